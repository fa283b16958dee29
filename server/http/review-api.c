/* review-api.c: the recruiters' REST API's handlers; see review-api.h. */
#define G_LOG_DOMAIN "imsd.review"

#include "review-api.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "api-input.h"
#include "json-build.h"
#include "log-session.h"
#include "media-eraser.h"
#include "payloads.h"
#include "ratings-api.h"
#include "reviewer.h"

#define DEFAULT_LIMIT 20
#define MAX_LIMIT 100
/* the sentences of the list's filters that share one */
#define TIMES_MESSAGE "from and to must be ISO 8601 times"
#define PAGE_MESSAGE "limit must be 1 to " G_STRINGIFY(MAX_LIMIT) " and offset 0 or more"
/* the longest e-mail address (RFC 5321's path limit) */
#define MAX_EMAIL_BYTES 254

static void
audit(ImsApi *api, const ImsApiCall *call, const char *action, const char *target)
{
  g_autoptr(GError) error = NULL;
  const ImsReviewer *reviewer = call->reviewer;
  ImsAuditEntry entry = {
    .actor = reviewer->subject,
    .role = ims_reviewer_role_to_string(reviewer->role),
    .company_id = reviewer->company_id,
    .action = action,
    .target = target,
    .remote = call->request->remote,
  };
  if (!api->store->review.add_audit(api->store, &entry, &error))
    g_warning("audit of %s %s by %s not written: %s", action, target ? target : "",
              reviewer->subject, error->message);
}

char *
ims_review_api_sign(ImsApi *api, const char *key, const char *session_id, const char *take_id,
                    gint64 *expires_at)
{
  g_autoptr(GError) error = NULL;
  if (!api->objects)
    return NULL;
  char *url = api->objects->presign_get(api->objects, key, api->signed_url_seconds, &error);
  if (!url)
    ims_log_session(G_LOG_LEVEL_WARNING, session_id, take_id, "cannot sign a URL for %s: %s", key,
                    error->message);
  *expires_at = g_get_real_time() + (gint64) api->signed_url_seconds * G_USEC_PER_SEC;
  return url;
}

static char *
sign(ImsApi *api, const ImsMediaFile *file, gint64 *expires_at)
{
  return ims_review_api_sign(api, file->key, file->session_id, file->take_id, expires_at);
}

/* The fields a session shows in the list and in its detail. */
static void
add_session_fields(JsonBuilder *b, const ImsSessionRecord *record)
{
  ims_json_add_string(b, "sessionId", record->id);
  ims_json_add_string(b, "kind", ims_session_kind_to_string(record->kind));
  ims_json_add_string(b, "roomId", record->room_id); /* null but for a live session */
  ims_json_add_string(b, "interviewId", record->interview_id);
  ims_json_add_string(b, "title", record->title); /* null if not given at creation */
  ims_json_add_string(b, "userId", record->user_id);
  ims_json_add_string(b, "candidateEmail", record->candidate_email);
  ims_json_add_string(b, "companyId", record->company_id);
  ims_json_add_string(b, "profile", record->profile);
  ims_json_add_string(b, "status", ims_session_state_to_string(record->state));
  ims_json_add_time_or_null(b, "createdAt", record->created_at);
  ims_json_add_time_or_null(b, "startedAt", record->started_at);
  ims_json_add_time_or_null(b, "completedAt", record->completed_at);
}

/* questionsAnswered, questionCount and endedEarly: a completed session with
 * a question no completed take answers was ended early by the candidate. */
static void
add_answered_fields(JsonBuilder *b, const ImsSessionRecord *record, int answered, int count)
{
  ims_json_add_int(b, "questionCount", count);
  ims_json_add_int(b, "questionsAnswered", answered);
  json_builder_set_member_name(b, "endedEarly");
  json_builder_add_boolean_value(b, record->state == IMS_SESSION_COMPLETED && answered < count);
}

/* The number of questions of record with at least one completed take. */
static int
count_answered(const ImsSessionRecord *record)
{
  int answered = 0;
  for (guint q = 0; q < record->questions->len; q++) {
    for (guint i = 0; i < record->takes->len; i++) {
      const ImsTake *take = g_ptr_array_index(record->takes, i);
      if (take->question_index == (int) q && take->status == IMS_TAKE_COMPLETED) {
        answered++;
        break;
      }
    }
  }
  return answered;
}

/* The session if it exists and the reviewer may see it (transfer full);
 * otherwise NULL with the response filled: 404 for another company's too. */
static ImsSessionRecord *
load_visible_session(ImsApi *api, const ImsReviewer *reviewer, const char *id,
                     ImsApiResponse *response)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsSessionRecord)
      record = g_uuid_string_is_valid(id) ? api->store->sessions.load_session(api->store, id, &error)
                                          : NULL;

  if (!record && error && !g_error_matches(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND)) {
    ims_log_session(G_LOG_LEVEL_WARNING, id, NULL, "cannot load session: %s", error->message);
    ims_api_respond_error(response, 500, "internal", "The session could not be read.");
    return NULL;
  }
  if (!record || !ims_reviewer_can_see(reviewer, record->company_id)) {
    ims_api_respond_error(response, 404, "not_found", "No such session.");
    return NULL;
  }
  return g_steal_pointer(&record);
}

/* ---- list ---- */

static const char *const session_states[] = { "created", "active", "completed", NULL };
static const char *const sort_orders[] = { "newest", "oldest", NULL };

void
ims_review_api_list_sessions(ImsApi *api, const ImsApiCall *call, ImsApiResponse *response)
{
  const ImsApiRequest *request = call->request;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) params = NULL;
  g_autofree char *problem = NULL;
  ImsSessionFilter filter = { .limit = DEFAULT_LIMIT };
  const char *sort = NULL;
  const ImsApiParameter filters[] = {
    { .name = "interviewId", .type = IMS_API_PARAM_ID, .text = &filter.interview_id },
    { .name = "status", .type = IMS_API_PARAM_WORD, .words = session_states, .text = &filter.state },
    { .name = "from", .type = IMS_API_PARAM_TIME, .message = TIMES_MESSAGE, .time = &filter.from },
    { .name = "to", .type = IMS_API_PARAM_TIME, .message = TIMES_MESSAGE, .time = &filter.to },
    { .name = "limit",
      .type = IMS_API_PARAM_INT,
      .min = 1,
      .max = MAX_LIMIT,
      .message = PAGE_MESSAGE,
      .integer = &filter.limit },
    { .name = "offset",
      .type = IMS_API_PARAM_INT,
      .min = 0,
      .max = G_MAXINT,
      .message = PAGE_MESSAGE,
      .integer = &filter.offset },
    { .name = "candidateEmail",
      .type = IMS_API_PARAM_STRING,
      .max = MAX_EMAIL_BYTES,
      .text = &filter.candidate_email },
    { .name = "sort", .type = IMS_API_PARAM_WORD, .words = sort_orders, .text = &sort },
  };

  if (request->query && *request->query) {
    params = g_uri_parse_params(request->query, -1, "&", G_URI_PARAMS_NONE, &error);
    if (!params) {
      ims_api_respond_error(response, 400, "invalid_request", "The query string is malformed.");
      return;
    }
  }
  if (!ims_api_input_check_query(params, filters, G_N_ELEMENTS(filters), &problem)) {
    ims_api_respond_error(response, 400, "invalid_request", "%s.", problem);
    return;
  }
  filter.oldest_first = g_strcmp0(sort, "oldest") == 0;
  /* a recruiter's list is their company's, whatever the query says */
  filter.company_id = call->reviewer->role == IMS_REVIEWER_RECRUITER ? call->reviewer->company_id
                                                                     : NULL;

  gint64 total = 0;
  g_autoptr(GPtrArray)
      summaries = api->store->review.list_sessions(api->store, &filter, &total, &error);
  if (!summaries) {
    g_warning("cannot list sessions: %s", error->message);
    ims_api_respond_error(response, 500, "internal", "The sessions could not be read.");
    return;
  }
  audit(api, call, "list_sessions", NULL);

  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "items");
  json_builder_begin_array(b);
  for (guint i = 0; i < summaries->len; i++) {
    const ImsSessionSummary *summary = g_ptr_array_index(summaries, i);
    const ImsSessionRecord *record = summary->record;
    json_builder_begin_object(b);
    add_session_fields(b, record);
    add_answered_fields(b, record, summary->questions_answered, summary->question_count);
    ims_json_add_int(b, "takeCount", summary->take_count);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  ims_json_add_int(b, "limit", filter.limit);
  ims_json_add_int(b, "offset", filter.offset);
  ims_json_add_int(b, "total", total);
  json_builder_end_object(b);
  ims_api_respond_json(response, 200, b);
}

/* ---- detail ---- */

static void
add_media(ImsApi *api, JsonBuilder *b, const GPtrArray *files, const char *take_id)
{
  json_builder_set_member_name(b, "media");
  json_builder_begin_array(b);
  for (guint i = 0; i < files->len; i++) {
    const ImsMediaFile *file = g_ptr_array_index(files, i);
    if (g_strcmp0(file->take_id, take_id) != 0)
      continue;
    gint64 expires_at = 0;
    g_autofree char *url = sign(api, file, &expires_at);
    json_builder_begin_object(b);
    ims_json_add_string(b, "fileId", file->id);
    ims_json_add_string(b, "kind", file->kind);
    ims_json_add_string(b, "contentType", file->content_type);
    ims_json_add_int(b, "sizeBytes", file->size_bytes);
    ims_json_add_string(b, "url", url);
    ims_json_add_time_or_null(b, "urlExpiresAt", url ? expires_at : 0);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
}

/* "processing": {status, error} of a take (see ImsTake): never a silent "processed" for a failed take. */
static void
add_processing(JsonBuilder *b, const ImsTake *take)
{
  json_builder_set_member_name(b, "processing");
  json_builder_begin_object(b);
  ims_json_add_string(b, "status", take->processing_status ? take->processing_status : "pending");
  ims_json_add_string(b, "error", take->processing_error);
  json_builder_end_object(b);
}

/* "completeness": the take's completeness record (docs/ingest.md) as a JSON
 * object, null when unknown (or, with a warning, if the stored text does not
 * parse as an object: it never is anything else). */
static void
add_completeness(JsonBuilder *b, const ImsTake *take)
{
  g_autoptr(GError) error = NULL;
  if (!ims_json_add_object_text(b, "completeness", take->completeness, &error))
    /* g_warning, not ims_log_session: a g_log_set_handler() sees it (test-api counts it) */
    g_warning("take %s: completeness is not a JSON object: %s", take->id,
              error ? error->message : take->completeness);
}

void
ims_review_api_get_session(ImsApi *api, const ImsApiCall *call, ImsApiResponse *response)
{
  const char *id = call->id;
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsSessionRecord) record = load_visible_session(api, call->reviewer, id, response);
  if (!record)
    return;
  g_autoptr(GPtrArray) files = api->store->review.list_session_media_files(api->store, id, &error);
  if (!files) {
    ims_log_session(G_LOG_LEVEL_WARNING, id, NULL, "cannot list media: %s", error->message);
    ims_api_respond_error(response, 500, "internal", "The session could not be read.");
    return;
  }
  audit(api, call, "view_session", id);
  g_autoptr(GPtrArray) ratings = ims_ratings_api_load(api, call, id);

  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  add_session_fields(b, record);
  add_answered_fields(b, record, count_answered(record), (int) record->questions->len);
  json_builder_set_member_name(b, "questions");
  json_builder_begin_array(b);
  for (guint q = 0; q < record->questions->len; q++) {
    const ImsQuestion *question = g_ptr_array_index(record->questions, q);
    json_builder_begin_object(b);
    ims_json_add_int(b, "index", q);
    ims_json_add_string(b, "id", question->id);
    ims_json_add_string(b, "text", question->text);
    ims_json_add_int(b, "timeLimitSeconds", question->time_limit_seconds);
    json_builder_set_member_name(b, "takes");
    json_builder_begin_array(b);
    for (guint i = 0; i < record->takes->len; i++) {
      const ImsTake *take = g_ptr_array_index(record->takes, i);
      if (take->question_index != (int) q)
        continue;
      json_builder_begin_object(b);
      ims_json_add_string(b, "id", take->id);
      ims_json_add_int(b, "number", take->number);
      ims_json_add_string(b, "status", ims_take_status_to_string(take->status));
      ims_json_add_int(b, "durationMs", take->duration_ms);
      ims_json_add_int(b, "width", take->width);
      ims_json_add_int(b, "height", take->height);
      ims_json_add_string(b, "videoCodec", take->video_codec);
      ims_json_add_string(b, "audioCodec", take->audio_codec);
      ims_json_add_string(b, "stopReason", take->stop_reason);
      ims_json_add_time_or_null(b, "startedAt", take->started_at);
      add_processing(b, take);
      add_completeness(b, take);
      add_media(api, b, files, take->id);
      ims_ratings_api_add(b, ratings, take->id);
      json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);
  ims_api_respond_json(response, 200, b);
}

/* ---- one signed URL ---- */

void
ims_review_api_get_media_url(ImsApi *api, const ImsApiCall *call, ImsApiResponse *response)
{
  const char *file_id = call->id;
  g_autoptr(GError) error = NULL;
  g_autofree char *company_id = NULL;
  g_autoptr(ImsMediaFile)
      file = g_uuid_string_is_valid(file_id)
                 ? api->store->review.get_media_file(api->store, file_id, &company_id, &error)
                 : NULL;
  if (!file || !ims_reviewer_can_see(call->reviewer, company_id)) {
    if (error && !g_error_matches(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND)) {
      g_warning("%s: cannot read media: %s", file_id, error->message);
      ims_api_respond_error(response, 500, "internal", "The media could not be read.");
      return;
    }
    ims_api_respond_error(response, 404, "not_found", "No such media.");
    return;
  }
  gint64 expires_at = 0;
  g_autofree char *url = sign(api, file, &expires_at);
  if (!url) {
    ims_api_respond_error(response, 503, "storage_unavailable",
                          "A link to this media cannot be made right now.");
    return;
  }
  audit(api, call, "media_url", file_id);
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  ims_json_add_string(b, "url", url);
  ims_json_add_time_or_null(b, "expiresAt", expires_at);
  json_builder_end_object(b);
  ims_api_respond_json(response, 200, b);
}

/* ---- delete a session's media ---- */

static void
on_erased(const char *error_message, guint erased, gpointer data)
{
  g_autofree char *session_id = data;
  if (error_message)
    ims_log_session(G_LOG_LEVEL_WARNING, session_id, NULL,
                    "media deletion failed, nothing recorded (ask again): %s", error_message);
}

/* 202: the objects go asynchronously (S3 first, then rows and media.deleted). */
void
ims_review_api_delete_media(ImsApi *api, const ImsApiCall *call, ImsApiResponse *response)
{
  const char *id = call->id;
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsSessionRecord) record = load_visible_session(api, call->reviewer, id, response);
  if (!record)
    return;
  GPtrArray *files = api->store->review.list_session_media_files(api->store, id, &error);
  if (!files) {
    ims_log_session(G_LOG_LEVEL_WARNING, id, NULL, "cannot list media: %s", error->message);
    ims_api_respond_error(response, 500, "internal", "The media could not be read.");
    return;
  }
  audit(api, call, "delete_media", id);
  guint count = files->len;
  ims_media_erase(api->database, api->objects, files, record->user_id,
                  IMS_DELETE_REASON_RECRUITER_REQUEST, id, NULL, NULL, on_erased, g_strdup(id));
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  ims_json_add_int(b, "deleting", count);
  json_builder_end_object(b);
  ims_api_respond_json(response, 202, b);
}

/* ---- shared with ratings-api.c ---- */

void
ims_review_api_audit(ImsApi *api, const ImsApiCall *call, const char *action, const char *target)
{
  audit(api, call, action, target);
}

ImsSessionRecord *
ims_review_api_load_visible_session(ImsApi *api, const ImsApiCall *call, ImsApiResponse *response)
{
  return load_visible_session(api, call->reviewer, call->id, response);
}
