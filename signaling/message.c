/* message.c: parsing and validation of signaling frames; see message.h. */
#define G_LOG_DOMAIN "imsd.signaling"

#include "message.h"

#include <string.h>

#include "json-depth.h"

/* clang-format off */
G_DEFINE_QUARK(ims-signal-error-quark, ims_signal_error)
/* clang-format on */

static const char *const error_codes[] = {
  [IMS_SIGNAL_ERROR_BAD_JSON] = "bad_json",
  [IMS_SIGNAL_ERROR_BAD_MESSAGE] = "bad_message",
  [IMS_SIGNAL_ERROR_UNKNOWN_TYPE] = "unknown_type",
  [IMS_SIGNAL_ERROR_TOO_LARGE] = "too_large",
  [IMS_SIGNAL_ERROR_NOT_JOINED] = "not_joined",
  [IMS_SIGNAL_ERROR_ALREADY_JOINED] = "already_joined",
  [IMS_SIGNAL_ERROR_BAD_TOKEN] = "bad_token",
  [IMS_SIGNAL_ERROR_TOKEN_EXPIRED] = "token_expired",
  [IMS_SIGNAL_ERROR_TOKEN_WRONG_SESSION] = "token_wrong_session",
  [IMS_SIGNAL_ERROR_SESSION_NOT_FOUND] = "session_not_found",
  [IMS_SIGNAL_ERROR_SESSION_COMPLETED] = "session_completed",
  [IMS_SIGNAL_ERROR_BAD_SDP] = "bad_sdp",
  [IMS_SIGNAL_ERROR_BAD_CANDIDATE] = "bad_candidate",
  [IMS_SIGNAL_ERROR_BAD_STATE] = "bad_state",
  [IMS_SIGNAL_ERROR_NO_RETAKES_LEFT] = "no_retakes_left",
  [IMS_SIGNAL_ERROR_MEDIA_NOT_READY] = "media_not_ready",
  [IMS_SIGNAL_ERROR_REPLACED] = "replaced",
  [IMS_SIGNAL_ERROR_MEDIA_FAILED] = "media_failed",
  [IMS_SIGNAL_ERROR_INTERNAL] = "internal",
  [IMS_SIGNAL_ERROR_LOGGED_OUT] = "logged_out",
  [IMS_SIGNAL_ERROR_TOKEN_NOT_YET_VALID] = "token_not_yet_valid",
  [IMS_SIGNAL_ERROR_FORBIDDEN] = "forbidden",
  [IMS_SIGNAL_ERROR_WRONG_COMPANY] = "wrong_company",
  [IMS_SIGNAL_ERROR_ROOM_NOT_FOUND] = "room_not_found",
  [IMS_SIGNAL_ERROR_ROOM_ENDED] = "room_ended",
  [IMS_SIGNAL_ERROR_NOT_PUBLISHED] = "not_published",
};

const char *
ims_signal_error_to_code(ImsSignalError error)
{
  if ((guint) error >= G_N_ELEMENTS(error_codes))
    return "internal";
  return error_codes[error];
}

const char *
ims_signal_error_code_of(const GError *error)
{
  if (error && error->domain == IMS_SIGNAL_ERROR)
    return ims_signal_error_to_code(error->code);
  return "internal";
}

/* The fields a message type carries (a mask); every field is a string unless
 * said otherwise. */
enum {
  FIELDS_JOIN = 1 << 0,        /* sessionId, token */
  FIELDS_SDP = 1 << 1,         /* sdp */
  FIELDS_ICE = 1 << 2,         /* candidate, sdpMLineIndex (integer); pc optional */
  FIELDS_ROOM_JOIN = 1 << 3,   /* roomId, token */
  FIELDS_STREAM = 1 << 4,      /* stream: camera | screen */
  FIELDS_PARTICIPANT = 1 << 5, /* participantId */
  FIELDS_MARK = 1 << 6,        /* questionIndex (integer) or text */
};

typedef struct {
  const char *name;
  ImsMessageType type;
  guint fields;
} MessageSpec;

static const MessageSpec specs[] = {
  { "join", IMS_MESSAGE_JOIN, FIELDS_JOIN },
  { "offer", IMS_MESSAGE_OFFER, FIELDS_SDP },
  { "ice", IMS_MESSAGE_ICE, FIELDS_ICE },
  { "take.start", IMS_MESSAGE_TAKE_START, 0 },
  { "take.stop", IMS_MESSAGE_TAKE_STOP, 0 },
  { "retake", IMS_MESSAGE_RETAKE, 0 },
  { "next", IMS_MESSAGE_NEXT, 0 },
  { "end", IMS_MESSAGE_END, 0 },
  { "ping", IMS_MESSAGE_PING, 0 },
  { "room.join", IMS_MESSAGE_ROOM_JOIN, FIELDS_ROOM_JOIN },
  { "publish", IMS_MESSAGE_PUBLISH, FIELDS_STREAM | FIELDS_SDP },
  { "unpublish", IMS_MESSAGE_UNPUBLISH, FIELDS_STREAM },
  { "subscribe", IMS_MESSAGE_SUBSCRIBE, FIELDS_PARTICIPANT | FIELDS_STREAM | FIELDS_SDP },
  { "unsubscribe", IMS_MESSAGE_UNSUBSCRIBE, FIELDS_PARTICIPANT | FIELDS_STREAM },
  { "mark", IMS_MESSAGE_MARK, FIELDS_MARK },
  { "practice", IMS_MESSAGE_PRACTICE, 0 },
};

const char *
ims_message_type_to_string(ImsMessageType type)
{
  for (guint i = 0; i < G_N_ELEMENTS(specs); i++)
    if (specs[i].type == type)
      return specs[i].name;
  return "unknown";
}

/* Longest accepted string fields; the frame limit bounds them too, these keep
 * each field sane on its own. */
#define MAX_ID_LENGTH 128
#define MAX_TOKEN_LENGTH 4096
#define MAX_CANDIDATE_LENGTH 1024
/* "sub:" + participant id + ":" + "screen" */
#define MAX_PC_LENGTH (4 + IMS_MESSAGE_MAX_ROOM_ID_LENGTH + 1 + 6)

/* Copies a required string member into *out; FALSE with BAD_MESSAGE if it is
 * missing, not a string, longer than max_length, or holds a NUL. */
static gboolean
take_string(JsonObject *object, const char *member, gsize max_length, gboolean allow_empty,
            char **out, GError **error)
{
  JsonNode *node = json_object_get_member(object, member);

  if (!node || !JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING) {
    g_set_error(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_BAD_MESSAGE,
                "Field \"%s\" is missing or is not a string.", member);
    return FALSE;
  }
  const char *value = json_node_get_string(node);
  gsize length = strlen(value);
  if (length > max_length || (!allow_empty && length == 0)) {
    g_set_error(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_BAD_MESSAGE,
                "Field \"%s\" must be %s%" G_GSIZE_FORMAT " characters at most.", member,
                allow_empty ? "" : "non-empty and ", max_length);
    return FALSE;
  }
  *out = g_strdup(value);
  return TRUE;
}

/* TRUE if stream is one a participant can publish: "camera" or "screen". */
static gboolean
valid_stream(const char *stream)
{
  return g_str_equal(stream, "camera") || g_str_equal(stream, "screen");
}

/* TRUE if pc names a peer connection of a room: "pub:<stream>" or
 * "sub:<participantId>:<stream>" (a non-empty id without ':'). */
static gboolean
valid_pc(const char *pc)
{
  if (g_str_has_prefix(pc, "pub:"))
    return valid_stream(pc + 4);
  if (!g_str_has_prefix(pc, "sub:"))
    return FALSE;
  const char *id = pc + 4;
  const char *colon = strchr(id, ':');
  return colon != NULL && colon != id && (gsize) (colon - id) <= IMS_MESSAGE_MAX_ROOM_ID_LENGTH &&
         valid_stream(colon + 1);
}

/* The integer member of object in [min, max] into *out: 1 if it is there, 0
 * if it is absent, -1 with BAD_MESSAGE if it is there but not such an integer. */
static int
take_integer(JsonObject *object, const char *member, gint64 min, gint64 max, gint64 *out,
             GError **error)
{
  JsonNode *node = json_object_get_member(object, member);
  if (!node)
    return 0;
  if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_INT64 ||
      json_node_get_int(node) < min || json_node_get_int(node) > max) {
    g_set_error(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_BAD_MESSAGE,
                "Field \"%s\" must be an integer from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT
                ".",
                member, min, max);
    return -1;
  }
  *out = json_node_get_int(node);
  return 1;
}

/* An ice message's candidate, sdpMLineIndex and (in a room) pc. */
static gboolean
take_ice(JsonObject *object, ImsMessage *message, GError **error)
{
  if (!take_string(object, "candidate", MAX_CANDIDATE_LENGTH, TRUE, &message->candidate, error))
    return FALSE;
  gint64 index = 0;
  int found = take_integer(object, "sdpMLineIndex", 0, 64, &index, error);
  if (found == 0)
    g_set_error_literal(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_BAD_MESSAGE,
                        "Field \"sdpMLineIndex\" must be an integer from 0 to 64.");
  if (found != 1)
    return FALSE;
  message->mline_index = (guint) index;
  if (!json_object_has_member(object, "pc"))
    return TRUE;
  if (!take_string(object, "pc", MAX_PC_LENGTH, FALSE, &message->pc, error))
    return FALSE;
  if (!valid_pc(message->pc)) {
    g_set_error_literal(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_BAD_MESSAGE,
                        "Field \"pc\" must be \"pub:<stream>\" or "
                        "\"sub:<participantId>:<stream>\" (stream camera or screen).");
    return FALSE;
  }
  return TRUE;
}

/* A mark's questionIndex or text: exactly one of them. */
static gboolean
take_mark(JsonObject *object, ImsMessage *message, GError **error)
{
  gint64 index = -1;
  int has_index = take_integer(object, "questionIndex", 0, IMS_MESSAGE_MAX_QUESTION_INDEX, &index,
                               error);
  if (has_index < 0)
    return FALSE;
  gboolean has_text = json_object_has_member(object, "text");
  if ((has_index == 1) == has_text) {
    g_set_error_literal(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_BAD_MESSAGE,
                        "A mark carries either \"questionIndex\" or \"text\".");
    return FALSE;
  }
  message->question_index = (int) index;
  if (!has_text)
    return TRUE;
  /* characters, not bytes: an off-script question may be in any language */
  if (!take_string(object, "text", G_MAXSIZE, FALSE, &message->text, error))
    return FALSE;
  if (g_utf8_strlen(message->text, -1) > IMS_MESSAGE_MAX_TEXT_LENGTH) {
    g_set_error(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_BAD_MESSAGE,
                "Field \"text\" must be %d characters at most.", IMS_MESSAGE_MAX_TEXT_LENGTH);
    return FALSE;
  }
  return TRUE;
}

/* Copies the members fields (a FIELDS_* mask) names into message; FALSE with
 * BAD_MESSAGE naming the first one that is missing or wrong. */
static gboolean
take_fields(JsonObject *object, guint fields, ImsMessage *message, GError **error)
{
  if ((fields & FIELDS_JOIN) &&
      (!take_string(object, "sessionId", MAX_ID_LENGTH, FALSE, &message->session_id, error) ||
       !take_string(object, "token", MAX_TOKEN_LENGTH, FALSE, &message->token, error)))
    return FALSE;
  if ((fields & FIELDS_ROOM_JOIN) &&
      (!take_string(object, "roomId", IMS_MESSAGE_MAX_ROOM_ID_LENGTH, FALSE, &message->room_id,
                    error) ||
       !take_string(object, "token", MAX_TOKEN_LENGTH, FALSE, &message->token, error)))
    return FALSE;
  if ((fields & FIELDS_PARTICIPANT) &&
      !take_string(object, "participantId", IMS_MESSAGE_MAX_ROOM_ID_LENGTH, FALSE,
                   &message->participant_id, error))
    return FALSE;
  if (fields & FIELDS_STREAM) {
    if (!take_string(object, "stream", 16, FALSE, &message->stream, error))
      return FALSE;
    if (!valid_stream(message->stream)) {
      g_set_error_literal(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_BAD_MESSAGE,
                          "Field \"stream\" must be \"camera\" or \"screen\".");
      return FALSE;
    }
  }
  /* the frame size limit bounds the SDP */
  if ((fields & FIELDS_SDP) && !take_string(object, "sdp", G_MAXSIZE, FALSE, &message->sdp, error))
    return FALSE;
  if ((fields & FIELDS_ICE) && !take_ice(object, message, error))
    return FALSE;
  if ((fields & FIELDS_MARK) && !take_mark(object, message, error))
    return FALSE;
  return TRUE;
}

ImsMessage *
ims_message_parse(const char *data, gsize length, char **type_name, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  g_autoptr(GError) json_error = NULL;

  if (type_name)
    *type_name = NULL;
  if (!g_utf8_validate(data, length, NULL)) {
    g_set_error_literal(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_BAD_JSON,
                        "The message is not valid UTF-8.");
    return NULL;
  }
  if (!ims_json_depth_within(data, length, IMS_JSON_MAX_DEPTH)) {
    g_set_error(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_BAD_JSON,
                "The message nests objects or arrays deeper than %d levels.", IMS_JSON_MAX_DEPTH);
    return NULL;
  }
  if (!json_parser_load_from_data(parser, data, length, &json_error)) {
    g_set_error(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_BAD_JSON,
                "The message is not valid JSON: %s", json_error->message);
    return NULL;
  }
  JsonNode *root = json_parser_get_root(parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
    g_set_error_literal(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_BAD_JSON,
                        "The message must be a JSON object.");
    return NULL;
  }
  JsonObject *object = json_node_get_object(root);

  g_autofree char *type = NULL;
  if (!take_string(object, "type", 32, FALSE, &type, error))
    return NULL;
  if (type_name)
    *type_name = g_strdup(type);

  const MessageSpec *spec = NULL;
  for (guint i = 0; i < G_N_ELEMENTS(specs); i++)
    if (strcmp(specs[i].name, type) == 0)
      spec = &specs[i];
  if (!spec) {
    g_set_error(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_UNKNOWN_TYPE,
                "Unknown message type \"%s\".", type);
    return NULL;
  }

  g_autoptr(ImsMessage) message = g_new0(ImsMessage, 1);
  message->type = spec->type;
  message->question_index = -1;
  if (!take_fields(object, spec->fields, message, error))
    return NULL;
  return g_steal_pointer(&message);
}

void
ims_message_free(ImsMessage *message)
{
  if (!message)
    return;
  g_free(message->session_id);
  g_free(message->token);
  g_free(message->sdp);
  g_free(message->candidate);
  g_free(message->room_id);
  g_free(message->participant_id);
  g_free(message->stream);
  g_free(message->pc);
  g_free(message->text);
  g_free(message);
}

char *
ims_message_to_json(JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new();
  json_generator_set_root(generator, node);
  return json_generator_to_data(generator, NULL);
}

char *
ims_message_error_json(const char *code, const char *message, const char *request_type)
{
  g_autoptr(JsonBuilder) builder = json_builder_new();
  json_builder_begin_object(builder);
  json_builder_set_member_name(builder, "type");
  json_builder_add_string_value(builder, "error");
  json_builder_set_member_name(builder, "code");
  json_builder_add_string_value(builder, code);
  json_builder_set_member_name(builder, "message");
  json_builder_add_string_value(builder, message);
  if (request_type) {
    json_builder_set_member_name(builder, "requestType");
    json_builder_add_string_value(builder, request_type);
  }
  json_builder_end_object(builder);
  g_autoptr(JsonNode) root = json_builder_get_root(builder);
  return ims_message_to_json(root);
}

/* {"type":"answer",["pc":...,]"sdp":...}: pc NULL for a one-way session's. */
static char *
answer_json(const char *pc, const char *sdp)
{
  g_autoptr(JsonBuilder) builder = json_builder_new();
  json_builder_begin_object(builder);
  json_builder_set_member_name(builder, "type");
  json_builder_add_string_value(builder, "answer");
  if (pc) {
    json_builder_set_member_name(builder, "pc");
    json_builder_add_string_value(builder, pc);
  }
  json_builder_set_member_name(builder, "sdp");
  json_builder_add_string_value(builder, sdp);
  json_builder_end_object(builder);
  g_autoptr(JsonNode) root = json_builder_get_root(builder);
  return ims_message_to_json(root);
}

char *
ims_message_answer_json(const char *sdp)
{
  return answer_json(NULL, sdp);
}

char *
ims_message_room_answer_json(const char *pc, const char *sdp)
{
  g_return_val_if_fail(pc != NULL, NULL);
  return answer_json(pc, sdp);
}

/* {"type":"ice",["pc":...,]"candidate":...,"sdpMLineIndex":...} */
static char *
ice_json(const char *pc, guint mline_index, const char *candidate)
{
  g_autoptr(JsonBuilder) builder = json_builder_new();
  json_builder_begin_object(builder);
  json_builder_set_member_name(builder, "type");
  json_builder_add_string_value(builder, "ice");
  if (pc) {
    json_builder_set_member_name(builder, "pc");
    json_builder_add_string_value(builder, pc);
  }
  json_builder_set_member_name(builder, "candidate");
  json_builder_add_string_value(builder, candidate);
  json_builder_set_member_name(builder, "sdpMLineIndex");
  json_builder_add_int_value(builder, mline_index);
  json_builder_end_object(builder);
  g_autoptr(JsonNode) root = json_builder_get_root(builder);
  return ims_message_to_json(root);
}

char *
ims_message_ice_json(guint mline_index, const char *candidate)
{
  return ice_json(NULL, mline_index, candidate);
}

char *
ims_message_room_ice_json(const char *pc, guint mline_index, const char *candidate)
{
  g_return_val_if_fail(pc != NULL, NULL);
  return ice_json(pc, mline_index, candidate);
}
