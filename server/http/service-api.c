/* service-api.c: the platform's session API; see service-api.h. */
#define G_LOG_DOMAIN "imsd.api"

#include "service-api.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "api-input.h"
#include "json-build.h"
#include "json-depth.h"
#include "token.h"

#define MAX_QUESTIONS 50
#define MAX_FIELD_LENGTH 256
#define MAX_QUESTION_TEXT 4000

/* ---- create ---- */

/* Reads an optional string member: absent or null -> *out NULL.  FALSE with a
 * message if it is present but not a non-empty string within max_length. */
static gboolean
read_string(JsonObject *object, const char *name, gboolean required, gsize max_length,
            char **out, char **problem)
{
  JsonNode *node = json_object_get_member(object, name);
  *out = NULL;
  if (!node || JSON_NODE_HOLDS_NULL(node)) {
    if (required)
      *problem = g_strdup_printf("\"%s\" is required", name);
    return !required;
  }
  if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING ||
      json_node_get_string(node)[0] == '\0' || strlen(json_node_get_string(node)) > max_length) {
    *problem = g_strdup_printf("\"%s\" must be a non-empty string of at most %" G_GSIZE_FORMAT
                               " characters", name, max_length);
    return FALSE;
  }
  *out = g_strdup(json_node_get_string(node));
  return TRUE;
}

/* read_string for an id field: also refused if it is not an id (api-input.h). */
static gboolean
read_id(JsonObject *object, const char *name, gboolean required, char **out, char **problem)
{
  if (!read_string(object, name, required, IMS_API_MAX_ID_BYTES, out, problem))
    return FALSE;
  const char *why = *out ? ims_api_input_id_problem(*out, -1) : NULL;
  if (why) {
    *problem = g_strdup_printf("\"%s\" %s", name, why);
    g_clear_pointer(out, g_free);
    return FALSE;
  }
  return TRUE;
}

static gboolean
read_int(JsonObject *object, const char *name, int fallback, int min, int max, int *out,
         char **problem)
{
  JsonNode *node = object ? json_object_get_member(object, name) : NULL;
  if (!node || JSON_NODE_HOLDS_NULL(node)) {
    *out = fallback;
    return TRUE;
  }
  if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_INT64 ||
      json_node_get_int(node) < min || json_node_get_int(node) > max) {
    *problem = g_strdup_printf("\"%s\" must be an integer from %d to %d", name, min, max);
    return FALSE;
  }
  *out = (int) json_node_get_int(node);
  return TRUE;
}

/* Builds a session record from the request body; NULL with *problem and
 * *code (static: invalid_request or duplicate_question_id) set. */
static ImsSessionRecord *
parse_create(ImsApi *api, JsonObject *body, const char **code, char **problem)
{
  g_autoptr(ImsSessionRecord) record = ims_session_record_new();
  JsonObject *settings = NULL;

  *code = "invalid_request";
  if (!read_id(body, "interviewId", TRUE, &record->interview_id, problem) ||
      !read_id(body, "invitationId", FALSE, &record->invitation_id, problem) ||
      !read_id(body, "userId", TRUE, &record->user_id, problem) ||
      !read_string(body, "candidateEmail", FALSE, MAX_FIELD_LENGTH, &record->candidate_email,
                   problem) ||
      !read_id(body, "companyId", FALSE, &record->company_id, problem) ||
      !read_string(body, "profile", FALSE, 64, &record->profile, problem))
    return NULL;
  if (!record->profile)
    record->profile = g_strdup("default");
  const ImsProfile *profile = ims_profile_set_lookup(api->profiles, record->profile);
  if (!profile) {
    *problem = g_strdup_printf("unknown profile \"%s\"", record->profile);
    return NULL;
  }

  JsonNode *settings_node = json_object_get_member(body, "settings");
  if (settings_node && !JSON_NODE_HOLDS_NULL(settings_node)) {
    if (!JSON_NODE_HOLDS_OBJECT(settings_node)) {
      *problem = g_strdup("\"settings\" must be an object");
      return NULL;
    }
    settings = json_node_get_object(settings_node);
  }
  if (!read_int(settings, "thinkSeconds", api->config->default_think_seconds, 0, 600,
                &record->think_seconds, problem) ||
      !read_int(settings, "maxRetakes", MIN(api->config->default_max_retakes, profile->max_retakes),
                0, profile->max_retakes, &record->max_retakes, problem))
    return NULL;

  JsonNode *questions = json_object_get_member(body, "questions");
  if (!questions || !JSON_NODE_HOLDS_ARRAY(questions) ||
      json_array_get_length(json_node_get_array(questions)) == 0 ||
      json_array_get_length(json_node_get_array(questions)) > MAX_QUESTIONS) {
    *problem = g_strdup_printf("\"questions\" must be an array of 1 to %d questions", MAX_QUESTIONS);
    return NULL;
  }
  JsonArray *array = json_node_get_array(questions);
  /* question ids name object keys and events: one id, one question */
  g_autoptr(GHashTable) question_ids = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = 0; i < json_array_get_length(array); i++) {
    JsonNode *node = json_array_get_element(array, i);
    g_autofree char *id = NULL, *text = NULL, *inner = NULL;
    int limit = 0;
    if (!JSON_NODE_HOLDS_OBJECT(node)) {
      *problem = g_strdup_printf("questions[%u] must be an object", i);
      return NULL;
    }
    JsonObject *question = json_node_get_object(node);
    if (!read_id(question, "id", TRUE, &id, &inner) ||
        !read_string(question, "text", TRUE, MAX_QUESTION_TEXT, &text, &inner) ||
        !read_int(question, "timeLimitSeconds", -1, 5, profile->max_answer_seconds, &limit,
                  &inner) || limit < 0) {
      *problem = g_strdup_printf("questions[%u]: %s", i,
                                 inner ? inner : "\"timeLimitSeconds\" is required");
      return NULL;
    }
    if (g_hash_table_contains(question_ids, id)) {
      *code = "duplicate_question_id";
      *problem = g_strdup_printf("questions[%u]: the id \"%s\" is already used by another question",
                                 i, id);
      return NULL;
    }
    ImsQuestion *parsed = ims_question_new(id, text, limit);
    g_ptr_array_add(record->questions, parsed);
    g_hash_table_add(question_ids, parsed->id);
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

  if (request->body && !ims_json_depth_within(request->body, request->body_length, IMS_JSON_MAX_DEPTH)) {
    ims_api_respond_error(response, 400, "bad_json", "The body nests objects or arrays deeper than %d levels.",
                  IMS_JSON_MAX_DEPTH);
    return;
  }
  if (!request->body || !g_utf8_validate(request->body, request->body_length, NULL) ||
      !json_parser_load_from_data(parser, request->body, request->body_length, &error) ||
      json_parser_get_root(parser) == NULL ||   /* only whitespace */
      !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
    ims_api_respond_error(response, 400, "bad_json", "The body must be a JSON object.");
    return;
  }
  if (ims_api_input_json_has_nul(request->body, request->body_length)) {
    ims_api_respond_error(response, 400, "invalid_request", "Strings may not hold NUL (\\u0000).");
    return;
  }
  g_autoptr(ImsSessionRecord) record =
      parse_create(api, json_node_get_object(json_parser_get_root(parser)), &code, &problem);
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
  g_info("%s: session created for interview %s with %u questions", record->id,
         record->interview_id, record->questions->len);

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
