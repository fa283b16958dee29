/* playback-api.c: the candidate's playback of their own take; see playback-api.h. */
#define G_LOG_DOMAIN "imsd.playback"

#include "playback-api.h"

#include <string.h>

#include "json-build.h"
#include "log-session.h"
#include "review-api.h"

gboolean
ims_playback_parse_take_number(const char *text, int *number)
{
  /* at most 4 digits keeps the sum below overflow whatever the text holds */
  gsize length = text ? strnlen(text, 5) : 0;
  if (length == 0 || length > 4)
    return FALSE;
  int value = 0;
  for (gsize i = 0; i < length; i++) {
    if (!g_ascii_isdigit(text[i]))
      return FALSE;
    value = value * 10 + (text[i] - '0');
  }
  if (value < 1 || value > IMS_PLAYBACK_MAX_TAKE_NUMBER)
    return FALSE;
  *number = value;
  return TRUE;
}

static void
audit(ImsApi *api, const ImsApiCall *call, const ImsSessionRecord *record, const char *file_id)
{
  g_autoptr(GError) error = NULL;
  ImsAuditEntry entry = {
    .actor = record->user_id,
    .role = "candidate",
    .company_id = record->company_id,
    .action = "candidate_playback",
    .target = file_id,
    .remote = call->request->remote,
  };
  if (!api->store->review.add_audit(api->store, &entry, &error))
    ims_log_session(G_LOG_LEVEL_WARNING, record->id, NULL, "audit of playback %s not written: %s",
                    file_id, error->message);
}

/* The take number of the question questionId of record, or NULL. */
static const ImsTake *
find_take(const ImsSessionRecord *record, const char *question_id, int number)
{
  for (guint q = 0; q < record->questions->len; q++) {
    const ImsQuestion *question = g_ptr_array_index(record->questions, q);
    if (g_strcmp0(question->id, question_id) != 0)
      continue;
    for (guint i = 0; i < record->takes->len; i++) {
      const ImsTake *take = g_ptr_array_index(record->takes, i);
      if (take->question_index == (int) q && take->number == number)
        return take;
    }
  }
  return NULL;
}

/* The take's file of kind, or NULL. */
static const ImsMediaFile *
find_file(const GPtrArray *files, const char *take_id, const char *kind)
{
  for (guint i = 0; i < files->len; i++) {
    const ImsMediaFile *file = g_ptr_array_index(files, i);
    if (g_strcmp0(file->take_id, take_id) == 0 && g_strcmp0(file->kind, kind) == 0)
      return file;
  }
  return NULL;
}

static void
respond_url(ImsApi *api, const ImsApiCall *call, const ImsSessionRecord *record,
            const ImsMediaFile *file, ImsApiResponse *response)
{
  gint64 expires_at = 0;
  g_autofree char *url = ims_review_api_sign(api, file->key, file->session_id, file->take_id,
                                             &expires_at);
  if (!url) {
    ims_api_respond_error(response, 503, "storage_unavailable",
                          "Your answer cannot be played right now.");
    return;
  }
  audit(api, call, record, file->id);
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  ims_json_add_string(b, "status", "ready");
  ims_json_add_string(b, "kind", file->kind);
  ims_json_add_string(b, "contentType", file->content_type);
  ims_json_add_string(b, "url", url);
  ims_json_add_time_or_null(b, "expiresAt", expires_at);
  json_builder_end_object(b);
  ims_api_respond_json(response, 200, b);
}

void
ims_playback_api_get(ImsApi *api, const ImsApiCall *call, ImsApiResponse *response)
{
  const char *session_id = call->params[0];
  const char *question_id = call->params[1];
  g_autoptr(GError) error = NULL;
  int number = 0;

  if (g_strcmp0(session_id, call->candidate_session) != 0) {
    ims_api_respond_error(response, 403, "wrong_session",
                          "This link belongs to another interview.");
    return;
  }
  if (!ims_playback_parse_take_number(call->params[2], &number)) {
    ims_api_respond_error(response, 400, "invalid_request",
                          "The take number must be 1 to %d.", IMS_PLAYBACK_MAX_TAKE_NUMBER);
    return;
  }
  g_autoptr(ImsSessionRecord)
      record = g_uuid_string_is_valid(session_id)
                   ? api->store->sessions.load_session(api->store, session_id, &error)
                   : NULL;
  if (!record && error && !g_error_matches(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND)) {
    ims_log_session(G_LOG_LEVEL_WARNING, session_id, NULL, "cannot load session: %s",
                    error->message);
    ims_api_respond_error(response, 500, "internal", "The interview could not be read.");
    return;
  }
  const ImsTake *take = record ? find_take(record, question_id, number) : NULL;
  if (!take) {
    ims_api_respond_error(response, 404, "not_found", "No such answer.");
    return;
  }
  g_autoptr(GPtrArray)
      files = api->store->review.list_session_media_files(api->store, session_id, &error);
  if (!files) {
    ims_log_session(G_LOG_LEVEL_WARNING, session_id, take->id, "cannot list media: %s",
                    error->message);
    ims_api_respond_error(response, 500, "internal", "The answer could not be read.");
    return;
  }
  const ImsMediaFile *file = find_file(files, take->id, "video/mp4");
  if (!file)
    file = find_file(files, take->id, "original");
  if (file) {
    respond_url(api, call, record, file, response);
    return;
  }
  if (g_strcmp0(take->processing_status, "failed") == 0 || take->status == IMS_TAKE_FAILED) {
    ims_api_respond_error(response, 409, "processing_failed",
                          "This answer could not be prepared for playback.");
    return;
  }
  if (take->status != IMS_TAKE_RECORDING && g_strcmp0(take->processing_status, "pending") != 0) {
    /* processed once, and its media erased since (retention, a recruiter) */
    ims_api_respond_error(response, 404, "not_found", "This answer is no longer stored.");
    return;
  }
  /* recording, or stopped and not uploaded yet: the page asks again */
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  ims_json_add_string(b, "status", "preparing");
  json_builder_end_object(b);
  ims_api_respond_json(response, 202, b);
}
