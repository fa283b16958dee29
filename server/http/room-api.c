/* room-api.c: the live rooms' REST API's handlers; see room-api.h. */
#define G_LOG_DOMAIN "imsd.api"

#include "room-api.h"

#include <json-glib/json-glib.h>

#include "api-input.h"
#include "json-build.h"
#include "log-session.h"
#include "token.h"

#define MAX_INTERVIEWERS 10
#define MAX_QUESTIONS 50
#define MAX_FIELD_LENGTH 256
#define MAX_QUESTION_TEXT 4000
#define MAX_DURATION_MINUTES (24 * 60)
#define MAX_TIME_LIMIT_SECONDS (24 * 3600)
#define MINUTE_US (60 * G_USEC_PER_SEC)

static const char *const room_types[] = { "technical", "behavioral", "system_design", NULL };
static const char *const recording_choices[] = { "both", "candidate", NULL };

/* ---- create ---- */

/* Checks element index of array (named name in sentences) as an object
 * against members; FALSE with *problem "name[index]: ..." otherwise. */
static gboolean
check_element(JsonArray *array, guint index, const char *name, const ImsApiParameter *members,
              gsize n_members, char **problem)
{
  JsonNode *node = json_array_get_element(array, index);
  g_autofree char *inner = NULL;
  if (!JSON_NODE_HOLDS_OBJECT(node)) {
    *problem = g_strdup_printf("%s[%u] must be an object", name, index);
    return FALSE;
  }
  if (ims_api_input_check_object(json_node_get_object(node), members, n_members, &inner))
    return TRUE;
  *problem = g_strdup_printf("%s[%u]: %s", name, index, inner);
  return FALSE;
}

/* Checks the member name of body (an object if present, as the table of the
 * caller has checked) against members; FALSE with *problem "name: ...". */
static gboolean
check_member_object(JsonObject *body, const char *name, const ImsApiParameter *members,
                    gsize n_members, char **problem)
{
  JsonNode *node = json_object_get_member(body, name);
  g_autofree char *inner = NULL;
  if (!node || !JSON_NODE_HOLDS_OBJECT(node) ||
      ims_api_input_check_object(json_node_get_object(node), members, n_members, &inner))
    return TRUE;
  *problem = g_strdup_printf("%s: %s", name, inner);
  return FALSE;
}

/* A participant of role from a candidate or interviewers[] object: the
 * table that checks it, filling participant. */
#define PARTICIPANT_MEMBERS(participant) \
  { { .name = "userId", \
      .type = IMS_API_PARAM_ID, \
      .flags = IMS_API_PARAM_REQUIRED, \
      .copy = &(participant)->user_id }, \
    { .name = "name", \
      .type = IMS_API_PARAM_STRING, \
      .max = MAX_FIELD_LENGTH, \
      .copy = &(participant)->name }, \
    { .name = "email", \
      .type = IMS_API_PARAM_STRING, \
      .max = MAX_FIELD_LENGTH, \
      .copy = &(participant)->email } }

static ImsRoomParticipant *
new_participant(ImsRoomRole role)
{
  ImsRoomParticipant *participant = ims_room_participant_new();
  participant->id = g_uuid_string_random();
  participant->role = role;
  return participant;
}

/* The room's own members, its candidate and its settings; *interviewers and
 * *questions borrowed from body, their elements still to be checked. */
static gboolean
check_room(JsonObject *body, ImsRoomRecord *room, JsonArray **interviewers, JsonArray **questions,
           char **problem)
{
  const char *recording = "both";
  const ImsApiParameter members[] = {
    { .name = "interviewId",
      .type = IMS_API_PARAM_ID,
      .flags = IMS_API_PARAM_REQUIRED,
      .copy = &room->interview_id },
    { .name = "type",
      .type = IMS_API_PARAM_WORD,
      .flags = IMS_API_PARAM_REQUIRED,
      .words = room_types,
      .copy = &room->type },
    { .name = "scheduledAt",
      .type = IMS_API_PARAM_TIME,
      .flags = IMS_API_PARAM_REQUIRED,
      .time = &room->scheduled_at },
    { .name = "durationMinutes",
      .type = IMS_API_PARAM_INT,
      .flags = IMS_API_PARAM_REQUIRED,
      .min = 1,
      .max = MAX_DURATION_MINUTES,
      .integer = &room->duration_minutes },
    { .name = "companyId",
      .type = IMS_API_PARAM_ID,
      .flags = IMS_API_PARAM_REQUIRED,
      .copy = &room->company_id },
    { .name = "candidate", .type = IMS_API_PARAM_OBJECT, .flags = IMS_API_PARAM_REQUIRED },
    { .name = "interviewers",
      .type = IMS_API_PARAM_ARRAY,
      .flags = IMS_API_PARAM_REQUIRED,
      .min = 1,
      .max = MAX_INTERVIEWERS,
      .array = interviewers },
    { .name = "questions",
      .type = IMS_API_PARAM_ARRAY,
      .min = 0,
      .max = MAX_QUESTIONS,
      .array = questions },
    { .name = "settings", .type = IMS_API_PARAM_OBJECT },
  };
  if (!ims_api_input_check_object(body, members, G_N_ELEMENTS(members), problem))
    return FALSE;

  ImsRoomParticipant *candidate = new_participant(IMS_ROOM_ROLE_CANDIDATE);
  g_ptr_array_add(room->participants, candidate);
  const ImsApiParameter candidate_members[] = PARTICIPANT_MEMBERS(candidate);
  room->allow_screen_share = TRUE;
  const ImsApiParameter settings[] = {
    { .name = "observersVisible",
      .type = IMS_API_PARAM_BOOLEAN,
      .boolean = &room->observers_visible },
    { .name = "allowScreenShare",
      .type = IMS_API_PARAM_BOOLEAN,
      .boolean = &room->allow_screen_share },
    { .name = "recording",
      .type = IMS_API_PARAM_WORD,
      .words = recording_choices,
      .text = &recording },
  };
  if (!check_member_object(body, "candidate", candidate_members, G_N_ELEMENTS(candidate_members),
                           problem) ||
      !check_member_object(body, "settings", settings, G_N_ELEMENTS(settings), problem))
    return FALSE;
  room->record_interviewers = g_str_equal(recording, "both");
  return TRUE;
}

static gboolean
read_interviewers(JsonArray *interviewers, ImsRoomRecord *room, char **problem)
{
  for (guint i = 0; i < json_array_get_length(interviewers); i++) {
    ImsRoomParticipant *interviewer = new_participant(IMS_ROOM_ROLE_INTERVIEWER);
    g_ptr_array_add(room->participants, interviewer);
    const ImsApiParameter members[] = PARTICIPANT_MEMBERS(interviewer);
    if (!check_element(interviewers, i, "interviewers", members, G_N_ELEMENTS(members), problem))
      return FALSE;
  }
  return TRUE;
}

/* The room's questions into session; *code "duplicate_question_id" for an
 * id given twice (question ids name object keys and events). */
static gboolean
read_questions(JsonArray *questions, ImsSessionRecord *session, const char **code,
               char **problem)
{
  g_autoptr(GHashTable) ids = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = 0; questions && i < json_array_get_length(questions); i++) {
    g_autoptr(ImsQuestion) question = ims_question_new(NULL, NULL, 0);
    const ImsApiParameter members[] = {
      { .name = "id", .type = IMS_API_PARAM_ID, .flags = IMS_API_PARAM_REQUIRED, .copy = &question->id },
      { .name = "text",
        .type = IMS_API_PARAM_STRING,
        .flags = IMS_API_PARAM_REQUIRED,
        .max = MAX_QUESTION_TEXT,
        .copy = &question->text },
      { .name = "timeLimitSeconds",
        .type = IMS_API_PARAM_INT,
        .min = 0,
        .max = MAX_TIME_LIMIT_SECONDS,
        .integer = &question->time_limit_seconds },
    };
    if (!check_element(questions, i, "questions", members, G_N_ELEMENTS(members), problem))
      return FALSE;
    if (g_hash_table_contains(ids, question->id)) {
      *code = "duplicate_question_id";
      *problem = g_strdup_printf("questions[%u]: the id \"%s\" is already used by another question",
                                 i, question->id);
      return FALSE;
    }
    g_hash_table_add(ids, question->id);
    g_ptr_array_add(session->questions, g_steal_pointer(&question));
  }
  return TRUE;
}

/* The room and its candidate session from the body, times set from now and
 * the config; FALSE with *code (static) and *problem otherwise. */
static gboolean
parse_room(ImsApi *api, JsonObject *body, gint64 now, ImsRoomRecord *room,
           ImsSessionRecord *session, const char **code, char **problem)
{
  JsonArray *interviewers = NULL, *questions = NULL;
  *code = "invalid_request";
  if (!check_room(body, room, &interviewers, &questions, problem) ||
      !read_interviewers(interviewers, room, problem) ||
      !read_questions(questions, session, code, problem))
    return FALSE;
  gint64 valid_until = room->scheduled_at +
                       (gint64) (room->duration_minutes + api->config->late_minutes) * MINUTE_US;
  if (valid_until <= now) {
    *problem = g_strdup("\"scheduledAt\" + \"durationMinutes\" lies in the past: the room "
                        "could never be joined");
    return FALSE;
  }

  const ImsRoomParticipant *candidate = g_ptr_array_index(room->participants, 0);
  room->id = g_uuid_string_random();
  room->created_at = now;
  session->id = g_uuid_string_random();
  session->kind = IMS_SESSION_LIVE;
  session->interview_id = g_strdup(room->interview_id);
  session->user_id = g_strdup(candidate->user_id);
  session->candidate_email = g_strdup(candidate->email);
  session->company_id = g_strdup(room->company_id);
  /* the room's type names its renditions' profile, when there is one */
  session->profile = g_strdup(ims_profile_set_lookup(api->profiles, room->type) ? room->type
                                                                               : "default");
  session->created_at = now;
  session->expires_at = valid_until;
  room->session_id = g_strdup(session->id);
  return TRUE;
}

/* Unix seconds of the tokens' window. */
static void
token_window(const ImsApi *api, const ImsRoomRecord *room, gint64 *not_before, gint64 *expires)
{
  *not_before = (room->scheduled_at - (gint64) api->config->early_join_minutes * MINUTE_US) /
                G_USEC_PER_SEC;
  *expires = (room->scheduled_at +
              (gint64) (room->duration_minutes + api->config->late_minutes) * MINUTE_US) /
             G_USEC_PER_SEC;
}

/* "participants": each with its token and join URL; FALSE if a token cannot
 * be issued (logged). */
static gboolean
add_participant_tokens(ImsApi *api, JsonBuilder *b, const ImsRoomRecord *room)
{
  gint64 not_before = 0, expires = 0;
  token_window(api, room, &not_before, &expires);
  json_builder_set_member_name(b, "participants");
  json_builder_begin_array(b);
  for (guint i = 0; i < room->participants->len; i++) {
    const ImsRoomParticipant *participant = g_ptr_array_index(room->participants, i);
    g_autoptr(GError) error = NULL;
    g_autofree char *token = ims_room_token_issue(
        api->config->token_secret, room->id, participant->id,
        ims_room_role_to_string(participant->role), not_before, expires, &error);
    if (!token) {
      g_warning("room %s: cannot issue a token: %s", room->id, error->message);
      return FALSE;
    }
    g_autofree char *join_url = g_strdup_printf("%s/room/?room=%s&token=%s",
                                                api->config->public_url, room->id, token);
    json_builder_begin_object(b);
    ims_json_add_string(b, "participantId", participant->id);
    ims_json_add_string(b, "role", ims_room_role_to_string(participant->role));
    ims_json_add_string(b, "userId", participant->user_id);
    ims_json_add_string(b, "name", participant->name);
    ims_json_add_string(b, "joinUrl", join_url);
    ims_json_add_string(b, "token", token);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  return TRUE;
}

static void
add_window(JsonBuilder *b, const ImsApi *api, const ImsRoomRecord *room)
{
  gint64 not_before = 0, expires = 0;
  token_window(api, room, &not_before, &expires);
  ims_json_add_time_or_null(b, "validFrom", not_before * G_USEC_PER_SEC);
  ims_json_add_time_or_null(b, "validUntil", expires * G_USEC_PER_SEC);
}

void
ims_room_api_create_room(ImsApi *api, const ImsApiCall *call, ImsApiResponse *response)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  g_autoptr(ImsRoomRecord) room = ims_room_record_new();
  g_autoptr(ImsSessionRecord) session = ims_session_record_new();
  g_autoptr(GError) error = NULL;
  g_autofree char *problem = NULL;
  const char *code = NULL;

  JsonObject *body = ims_api_input_parse_body(parser, call->request->body,
                                              call->request->body_length, &code, &problem);
  if (!body || !parse_room(api, body, g_get_real_time(), room, session, &code, &problem)) {
    ims_api_respond_error(response, 400, code, "%s.", problem);
    return;
  }

  /* the tokens first: nothing is stored for a room whose links cannot be made */
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  ims_json_add_string(b, "roomId", room->id);
  ims_json_add_string(b, "sessionId", session->id);
  ims_json_add_string(b, "state", ims_room_state_to_string(room->state));
  add_window(b, api, room);
  if (!add_participant_tokens(api, b, room)) {
    ims_api_respond_error(response, 500, "internal", "The room could not be created.");
    return;
  }
  json_builder_end_object(b);

  if (!api->store->rooms.create_room(api->store, room, session, &error)) {
    if (g_error_matches(error, IMS_STORE_ERROR, IMS_STORE_ERROR_CONFLICT)) {
      ims_api_respond_error(response, 409, "conflict",
                            "The interview \"%s\" already has a room that has not ended.",
                            room->interview_id);
      return;
    }
    g_warning("cannot store room: %s", error->message);
    ims_api_respond_error(response, 500, "internal", "The room could not be created.");
    return;
  }
  ims_log_session(G_LOG_LEVEL_INFO, session->id, NULL,
                  "room %s created for interview %s with %u participants and %u questions",
                  room->id, room->interview_id, room->participants->len, session->questions->len);
  ims_api_respond_json(response, 201, b);
}

/* ---- read ---- */

static void
add_participants(ImsApi *api, JsonBuilder *b, const ImsRoomRecord *room)
{
  const ImsRoomPresence *presence = api->room_presence;
  json_builder_set_member_name(b, "participants");
  json_builder_begin_array(b);
  for (guint i = 0; i < room->participants->len; i++) {
    const ImsRoomParticipant *participant = g_ptr_array_index(room->participants, i);
    json_builder_begin_object(b);
    ims_json_add_string(b, "participantId", participant->id);
    ims_json_add_string(b, "role", ims_room_role_to_string(participant->role));
    ims_json_add_string(b, "userId", participant->user_id);
    ims_json_add_string(b, "name", participant->name);
    ims_json_add_boolean(b, "connected",
                         presence && presence->is_connected(presence->data, room->id,
                                                            participant->id));
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
}

static void
add_recordings(JsonBuilder *b, const ImsRoomRecord *room, int segment)
{
  json_builder_set_member_name(b, "recordings");
  json_builder_begin_array(b);
  for (guint i = 0; i < room->recordings->len; i++) {
    const ImsRoomRecording *recording = g_ptr_array_index(room->recordings, i);
    if (recording->segment != segment)
      continue;
    json_builder_begin_object(b);
    ims_json_add_string(b, "recordingId", recording->id);
    ims_json_add_string(b, "participantId", recording->participant_id);
    ims_json_add_string(b, "stream", recording->stream);
    ims_json_add_string(b, "status", ims_take_status_to_string(recording->status));
    ims_json_add_int(b, "durationMs", recording->duration_ms);
    ims_json_add_int(b, "sizeBytes", recording->size_bytes);
    ims_json_add_string(b, "key", recording->object_key);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
}

/* "segments": each with its question (from the candidate session) and recordings. */
static void
add_segments(JsonBuilder *b, const ImsRoomRecord *room, const ImsSessionRecord *session)
{
  json_builder_set_member_name(b, "segments");
  json_builder_begin_array(b);
  for (guint i = 0; i < room->segments->len; i++) {
    const ImsRoomSegment *segment = g_ptr_array_index(room->segments, i);
    const ImsQuestion *question =
        segment->question_index >= 0 && (guint) segment->question_index < session->questions->len
            ? g_ptr_array_index(session->questions, segment->question_index)
            : NULL;
    json_builder_begin_object(b);
    ims_json_add_int(b, "index", segment->index);
    json_builder_set_member_name(b, "questionIndex");
    if (segment->question_index >= 0)
      json_builder_add_int_value(b, segment->question_index);
    else
      json_builder_add_null_value(b);
    ims_json_add_string(b, "questionId", question ? question->id : NULL);
    ims_json_add_string(b, "text", question ? question->text : NULL);
    ims_json_add_time_or_null(b, "startedAt", segment->started_at);
    ims_json_add_time_or_null(b, "endedAt", segment->ended_at);
    ims_json_add_string(b, "takeId", segment->take_id);
    add_recordings(b, room, segment->index);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
}

static void
add_composite(JsonBuilder *b, const ImsRoomRecord *room)
{
  g_autoptr(JsonNode) chapters = room->composite_chapters
                                     ? json_from_string(room->composite_chapters, NULL)
                                     : NULL;
  json_builder_set_member_name(b, "composite");
  json_builder_begin_object(b);
  ims_json_add_string(b, "status", room->composite_status ? room->composite_status : "pending");
  ims_json_add_string(b, "key", room->composite_key);
  json_builder_set_member_name(b, "size");
  if (room->composite_key)
    json_builder_add_int_value(b, room->composite_size);
  else
    json_builder_add_null_value(b);
  json_builder_set_member_name(b, "chapters");
  if (chapters && JSON_NODE_HOLDS_ARRAY(chapters)) {
    json_builder_add_value(b, g_steal_pointer(&chapters));
  } else {
    json_builder_begin_array(b);
    json_builder_end_array(b);
  }
  json_builder_end_object(b);
}

static void
build_room(ImsApi *api, JsonBuilder *b, const ImsRoomRecord *room, const ImsSessionRecord *session)
{
  json_builder_begin_object(b);
  ims_json_add_string(b, "roomId", room->id);
  ims_json_add_string(b, "interviewId", room->interview_id);
  ims_json_add_string(b, "sessionId", room->session_id);
  ims_json_add_string(b, "type", room->type);
  ims_json_add_string(b, "companyId", room->company_id);
  ims_json_add_string(b, "state", ims_room_state_to_string(room->state));
  ims_json_add_time_or_null(b, "scheduledAt", room->scheduled_at);
  ims_json_add_int(b, "durationMinutes", room->duration_minutes);
  add_window(b, api, room);
  ims_json_add_time_or_null(b, "createdAt", room->created_at);
  ims_json_add_time_or_null(b, "startedAt", room->started_at);
  ims_json_add_time_or_null(b, "endedAt", room->ended_at);
  json_builder_set_member_name(b, "settings");
  json_builder_begin_object(b);
  ims_json_add_boolean(b, "observersVisible", room->observers_visible);
  ims_json_add_boolean(b, "allowScreenShare", room->allow_screen_share);
  ims_json_add_string(b, "recording", room->record_interviewers ? "both" : "candidate");
  json_builder_end_object(b);
  add_participants(api, b, room);
  add_segments(b, room, session);
  add_composite(b, room);
  json_builder_end_object(b);
}

void
ims_room_api_get_room(ImsApi *api, const ImsApiCall *call, ImsApiResponse *response)
{
  const char *id = call->id;
  const ImsReviewer *reviewer = call->reviewer;
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsRoomRecord) room = NULL;
  g_autoptr(ImsSessionRecord) session = NULL;

  if (g_uuid_string_is_valid(id))
    room = api->store->rooms.load_room(api->store, id, &error);
  if (room)
    session = api->store->sessions.load_session(api->store, room->session_id, &error);
  if (!session && error && !g_error_matches(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND)) {
    g_warning("room %s: cannot load it: %s", id, error->message);
    ims_api_respond_error(response, 500, "internal", "The room could not be read.");
    return;
  }
  /* another company's room is not there, for a recruiter */
  if (!session || (reviewer && !ims_reviewer_can_see(reviewer, room->company_id))) {
    ims_api_respond_error(response, 404, "not_found", "No such room.");
    return;
  }
  if (reviewer) {
    ImsAuditEntry entry = { reviewer->subject, ims_reviewer_role_to_string(reviewer->role),
                            reviewer->company_id,  "view_room",
                            id,                    call->request->remote };
    if (!api->store->review.add_audit(api->store, &entry, &error))
      g_warning("audit of view_room %s by %s not written: %s", id, reviewer->subject,
                error->message);
  }
  g_autoptr(JsonBuilder) b = json_builder_new();
  build_room(api, b, room, session);
  ims_api_respond_json(response, 200, b);
}
