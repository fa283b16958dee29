/* service-api.c: the platform's session API; see service-api.h. */
#define G_LOG_DOMAIN "imsd.api"

#include "service-api.h"

#include <json-glib/json-glib.h>

#include "api-input.h"
#include "json-build.h"
#include "log-session.h"
#include "token.h"

#define MAX_QUESTIONS 50
#define MAX_FIELD_LENGTH 256
#define MAX_PROFILE_NAME 64
#define MAX_QUESTION_TEXT 4000
#define MAX_THINK_SECONDS 600
#define MIN_ANSWER_SECONDS 5
#define MAX_TITLE_LENGTH 200

/* ---- create ---- */

/* What the body names: the session's ids, the candidate and the profile. */
static gboolean
check_identity(JsonObject *body, ImsSessionRecord *record, char **problem)
{
  const ImsApiParameter members[] = {
    { .name = "interviewId",
      .type = IMS_API_PARAM_ID,
      .flags = IMS_API_PARAM_REQUIRED,
      .copy = &record->interview_id },
    { .name = "invitationId", .type = IMS_API_PARAM_ID, .copy = &record->invitation_id },
    { .name = "userId",
      .type = IMS_API_PARAM_ID,
      .flags = IMS_API_PARAM_REQUIRED,
      .copy = &record->user_id },
    { .name = "candidateEmail",
      .type = IMS_API_PARAM_STRING,
      .max = MAX_FIELD_LENGTH,
      .copy = &record->candidate_email },
    { .name = "companyId", .type = IMS_API_PARAM_ID, .copy = &record->company_id },
    { .name = "profile",
      .type = IMS_API_PARAM_STRING,
      .max = MAX_PROFILE_NAME,
      .copy = &record->profile },
    /* shown to the candidate before the device check (candidate-api.c) */
    { .name = "title", .type = IMS_API_PARAM_STRING, .max = MAX_TITLE_LENGTH, .copy = &record->title },
    { .name = "companyName",
      .type = IMS_API_PARAM_STRING,
      .max = MAX_TITLE_LENGTH,
      .copy = &record->company_name },
  };
  return ims_api_input_check_object(body, members, G_N_ELEMENTS(members), problem);
}

/* What the interview asks: settings and questions, within the limits of
 * profile (so checked once the profile is known).  *questions: borrowed
 * from body, each element still to be checked. */
static gboolean
check_interview(JsonObject *body, const ImsProfile *profile, ImsSessionRecord *record,
                JsonArray **questions, char **problem)
{
  const ImsApiParameter settings[] = {
    { .name = "thinkSeconds",
      .type = IMS_API_PARAM_INT,
      .min = 0,
      .max = MAX_THINK_SECONDS,
      .integer = &record->think_seconds },
    { .name = "maxRetakes",
      .type = IMS_API_PARAM_INT,
      .min = 0,
      .max = profile->max_retakes,
      .integer = &record->max_retakes },
  };
  /* the practice question, per interview: offered first, never counted */
  const ImsApiParameter practice[] = {
    { .name = "text",
      .type = IMS_API_PARAM_STRING,
      .flags = IMS_API_PARAM_REQUIRED,
      .max = MAX_QUESTION_TEXT,
      .copy = &record->practice_text },
    { .name = "timeLimitSeconds",
      .type = IMS_API_PARAM_INT,
      .flags = IMS_API_PARAM_REQUIRED,
      .min = MIN_ANSWER_SECONDS,
      .max = profile->max_answer_seconds,
      .integer = &record->practice_seconds },
  };
  const ImsApiParameter members[] = {
    { .name = "settings",
      .type = IMS_API_PARAM_OBJECT,
      .members = settings,
      .n_members = G_N_ELEMENTS(settings) },
    { .name = "practice",
      .type = IMS_API_PARAM_OBJECT,
      .members = practice,
      .n_members = G_N_ELEMENTS(practice) },
    { .name = "questions",
      .type = IMS_API_PARAM_ARRAY,
      .flags = IMS_API_PARAM_REQUIRED,
      .min = 1,
      .max = MAX_QUESTIONS,
      .message = "\"questions\" must be an array of 1 to " G_STRINGIFY(MAX_QUESTIONS) " questions",
      .array = questions },
  };
  return ims_api_input_check_object(body, members, G_N_ELEMENTS(members), problem);
}

/* questions[index] as a question of profile (transfer full); NULL with
 * *problem if it is not one. */
static ImsQuestion *
read_question(JsonArray *questions, guint index, const ImsProfile *profile, char **problem)
{
  JsonNode *node = json_array_get_element(questions, index);
  g_autofree char *id = NULL, *text = NULL, *inner = NULL;
  int limit = 0;
  const ImsApiParameter members[] = {
    { .name = "id", .type = IMS_API_PARAM_ID, .flags = IMS_API_PARAM_REQUIRED, .copy = &id },
    { .name = "text",
      .type = IMS_API_PARAM_STRING,
      .flags = IMS_API_PARAM_REQUIRED,
      .max = MAX_QUESTION_TEXT,
      .copy = &text },
    { .name = "timeLimitSeconds",
      .type = IMS_API_PARAM_INT,
      .flags = IMS_API_PARAM_REQUIRED,
      .min = MIN_ANSWER_SECONDS,
      .max = profile->max_answer_seconds,
      .integer = &limit },
  };
  if (!JSON_NODE_HOLDS_OBJECT(node)) {
    *problem = g_strdup_printf("questions[%u] must be an object", index);
    return NULL;
  }
  if (!ims_api_input_check_object(json_node_get_object(node), members, G_N_ELEMENTS(members),
                                  &inner)) {
    *problem = g_strdup_printf("questions[%u]: %s", index, inner);
    return NULL;
  }
  return ims_question_new(id, text, limit);
}

/* Builds a session record from the request body; NULL with *problem and
 * *code (static: invalid_request or duplicate_question_id) set.  The checks
 * go in the body's order: the identity, the profile it names, the
 * interview. */
static ImsSessionRecord *
parse_create(ImsApi *api, JsonObject *body, const char **code, char **problem)
{
  g_autoptr(ImsSessionRecord) record = ims_session_record_new();
  JsonArray *questions = NULL;

  *code = "invalid_request";
  if (!check_identity(body, record, problem))
    return NULL;
  if (!record->profile)
    record->profile = g_strdup("default");
  const ImsProfile *profile = ims_profile_set_lookup(api->profiles, record->profile);
  if (!profile) {
    *problem = g_strdup_printf("unknown profile \"%s\"", record->profile);
    return NULL;
  }
  record->think_seconds = api->config->default_think_seconds;
  record->max_retakes = MIN(api->config->default_max_retakes, profile->max_retakes);
  if (!check_interview(body, profile, record, &questions, problem))
    return NULL;

  /* question ids name object keys and events: one id, one question */
  g_autoptr(GHashTable) question_ids = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = 0; i < json_array_get_length(questions); i++) {
    ImsQuestion *question = read_question(questions, i, profile, problem);
    if (!question)
      return NULL;
    if (g_hash_table_contains(question_ids, question->id)) {
      *code = "duplicate_question_id";
      *problem = g_strdup_printf("questions[%u]: the id \"%s\" is already used by another question",
                                 i, question->id);
      ims_question_free(question);
      return NULL;
    }
    g_ptr_array_add(record->questions, question);
    g_hash_table_add(question_ids, question->id);
  }
  return g_steal_pointer(&record);
}

void
ims_service_api_create_session(ImsApi *api, const ImsApiCall *call, ImsApiResponse *response)
{
  const ImsApiRequest *request = call->request;
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  g_autoptr(GError) error = NULL;
  g_autofree char *problem = NULL;
  const char *code = NULL;

  JsonObject *body = ims_api_input_parse_body(parser, request->body, request->body_length, &code,
                                              &problem);
  if (!body) {
    ims_api_respond_error(response, 400, code, "%s.", problem);
    return;
  }
  g_autoptr(ImsSessionRecord) record = parse_create(api, body, &code, &problem);
  if (!record) {
    ims_api_respond_error(response, 400, code, "%s.", problem);
    return;
  }

  gint64 now = g_get_real_time();
  record->id = g_uuid_string_random();
  record->state = IMS_SESSION_CREATED;
  record->created_at = now;
  record->expires_at = now + (gint64) api->config->token_ttl_seconds * G_USEC_PER_SEC;

  g_autofree char *token = ims_token_issue(api->config->token_secret, record->id,
                                           now / G_USEC_PER_SEC, api->config->token_ttl_seconds,
                                           &error);
  if (!token) {
    g_warning("cannot issue a token: %s", error->message);
    ims_api_respond_error(response, 500, "internal", "The session could not be created.");
    return;
  }
  if (!api->store->sessions.create_session(api->store, record, &error)) {
    g_warning("cannot store session: %s", error->message);
    ims_api_respond_error(response, 500, "internal", "The session could not be created.");
    return;
  }
  ims_log_session(G_LOG_LEVEL_INFO, record->id, NULL,
                  "session created for interview %s with %u questions", record->interview_id,
                  record->questions->len);

  g_autofree char *join_url = g_strdup_printf("%s/candidate/?session=%s#token=%s",
                                              api->config->public_url, record->id, token);
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  ims_json_add_string(b, "sessionId", record->id);
  ims_json_add_string(b, "joinUrl", join_url);
  ims_json_add_string(b, "token", token);
  ims_json_add_time_or_null(b, "expiresAt", record->expires_at);
  json_builder_end_object(b);
  ims_api_respond_json(response, 201, b);
}

/* ---- read ---- */

static void
build_session(JsonBuilder *b, const ImsSessionRecord *record)
{
  json_builder_begin_object(b);
  ims_json_add_string(b, "sessionId", record->id);
  ims_json_add_string(b, "interviewId", record->interview_id);
  ims_json_add_string(b, "invitationId", record->invitation_id);
  ims_json_add_string(b, "userId", record->user_id);
  ims_json_add_string(b, "candidateEmail", record->candidate_email);
  ims_json_add_string(b, "companyId", record->company_id);
  ims_json_add_string(b, "profile", record->profile);
  ims_json_add_string(b, "status", ims_session_state_to_string(record->state));
  ims_json_add_int(b, "currentQuestion", record->current_question);
  json_builder_set_member_name(b, "settings");
  json_builder_begin_object(b);
  ims_json_add_int(b, "thinkSeconds", record->think_seconds);
  ims_json_add_int(b, "maxRetakes", record->max_retakes);
  json_builder_end_object(b);
  ims_json_add_time_or_null(b, "createdAt", record->created_at);
  ims_json_add_time_or_null(b, "expiresAt", record->expires_at);
  ims_json_add_time_or_null(b, "startedAt", record->started_at);
  ims_json_add_time_or_null(b, "completedAt", record->completed_at);

  json_builder_set_member_name(b, "questions");
  json_builder_begin_array(b);
  for (guint i = 0; i < record->questions->len; i++) {
    const ImsQuestion *question = g_ptr_array_index(record->questions, i);
    json_builder_begin_object(b);
    ims_json_add_string(b, "id", question->id);
    ims_json_add_string(b, "text", question->text);
    ims_json_add_int(b, "timeLimitSeconds", question->time_limit_seconds);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);

  json_builder_set_member_name(b, "takes");
  json_builder_begin_array(b);
  for (guint i = 0; i < record->takes->len; i++) {
    const ImsTake *take = g_ptr_array_index(record->takes, i);
    if (take->question_index == IMS_PRACTICE_QUESTION_INDEX)
      continue; /* the candidate's own rehearsal, not an answer */
    json_builder_begin_object(b);
    ims_json_add_string(b, "id", take->id);
    ims_json_add_int(b, "questionIndex", take->question_index);
    ims_json_add_int(b, "number", take->number);
    ims_json_add_string(b, "status", ims_take_status_to_string(take->status));
    ims_json_add_string(b, "stopReason", take->stop_reason);
    ims_json_add_time_or_null(b, "startedAt", take->started_at);
    ims_json_add_time_or_null(b, "stoppedAt", take->stopped_at);
    ims_json_add_int(b, "durationMs", take->duration_ms);
    ims_json_add_int(b, "sizeBytes", take->size_bytes);
    ims_json_add_string(b, "videoCodec", take->video_codec);
    ims_json_add_string(b, "audioCodec", take->audio_codec);
    ims_json_add_int(b, "width", take->width);
    ims_json_add_int(b, "height", take->height);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);
}

void
ims_service_api_get_session(ImsApi *api, const ImsApiCall *call, ImsApiResponse *response)
{
  const char *id = call->id;
  g_autoptr(GError) error = NULL;

  if (!g_uuid_string_is_valid(id)) {
    ims_api_respond_error(response, 404, "not_found", "No such session.");
    return;
  }
  g_autoptr(ImsSessionRecord) record = api->store->sessions.load_session(api->store, id, &error);
  if (!record) {
    if (g_error_matches(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND)) {
      ims_api_respond_error(response, 404, "not_found", "No such session.");
    } else {
      g_warning("%s: cannot load session: %s", id, error->message);
      ims_api_respond_error(response, 500, "internal", "The session could not be read.");
    }
    return;
  }
  g_autoptr(JsonBuilder) b = json_builder_new();
  build_session(b, record);
  ims_api_respond_json(response, 200, b);
}
