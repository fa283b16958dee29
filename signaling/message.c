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

/* Fields a message type requires; every field is a string unless named here. */
typedef struct {
  const char *name;
  ImsMessageType type;
  gboolean needs_join_fields;
  gboolean needs_sdp;
  gboolean needs_ice_fields;
} MessageSpec;

static const MessageSpec specs[] = {
  { "join", IMS_MESSAGE_JOIN, TRUE, FALSE, FALSE },
  { "offer", IMS_MESSAGE_OFFER, FALSE, TRUE, FALSE },
  { "ice", IMS_MESSAGE_ICE, FALSE, FALSE, TRUE },
  { "take.start", IMS_MESSAGE_TAKE_START, FALSE, FALSE, FALSE },
  { "take.stop", IMS_MESSAGE_TAKE_STOP, FALSE, FALSE, FALSE },
  { "retake", IMS_MESSAGE_RETAKE, FALSE, FALSE, FALSE },
  { "next", IMS_MESSAGE_NEXT, FALSE, FALSE, FALSE },
  { "end", IMS_MESSAGE_END, FALSE, FALSE, FALSE },
  { "ping", IMS_MESSAGE_PING, FALSE, FALSE, FALSE },
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

  if (spec->needs_join_fields) {
    if (!take_string(object, "sessionId", MAX_ID_LENGTH, FALSE, &message->session_id, error) ||
        !take_string(object, "token", MAX_TOKEN_LENGTH, FALSE, &message->token, error))
      return NULL;
  }
  if (spec->needs_sdp) {
    /* the frame size limit bounds the SDP */
    if (!take_string(object, "sdp", G_MAXSIZE, FALSE, &message->sdp, error))
      return NULL;
  }
  if (spec->needs_ice_fields) {
    if (!take_string(object, "candidate", MAX_CANDIDATE_LENGTH, TRUE, &message->candidate, error))
      return NULL;
    JsonNode *index = json_object_get_member(object, "sdpMLineIndex");
    if (!index || !JSON_NODE_HOLDS_VALUE(index) || json_node_get_value_type(index) != G_TYPE_INT64 ||
        json_node_get_int(index) < 0 || json_node_get_int(index) > 64) {
      g_set_error_literal(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_BAD_MESSAGE,
                          "Field \"sdpMLineIndex\" must be an integer from 0 to 64.");
      return NULL;
    }
    message->mline_index = (guint) json_node_get_int(index);
  }
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

char *
ims_message_answer_json(const char *sdp)
{
  g_autoptr(JsonBuilder) builder = json_builder_new();
  json_builder_begin_object(builder);
  json_builder_set_member_name(builder, "type");
  json_builder_add_string_value(builder, "answer");
  json_builder_set_member_name(builder, "sdp");
  json_builder_add_string_value(builder, sdp);
  json_builder_end_object(builder);
  g_autoptr(JsonNode) root = json_builder_get_root(builder);
  return ims_message_to_json(root);
}

char *
ims_message_ice_json(guint mline_index, const char *candidate)
{
  g_autoptr(JsonBuilder) builder = json_builder_new();
  json_builder_begin_object(builder);
  json_builder_set_member_name(builder, "type");
  json_builder_add_string_value(builder, "ice");
  json_builder_set_member_name(builder, "candidate");
  json_builder_add_string_value(builder, candidate);
  json_builder_set_member_name(builder, "sdpMLineIndex");
  json_builder_add_int_value(builder, mline_index);
  json_builder_end_object(builder);
  g_autoptr(JsonNode) root = json_builder_get_root(builder);
  return ims_message_to_json(root);
}
