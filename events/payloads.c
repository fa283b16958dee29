/* payloads.c: the payload of each event type imsd produces; see payloads.h.
 *
 * Each builder fills a JsonBuilder in the field order of the contract and
 * returns its root.  Nothing here allocates beyond the returned tree.
 */
#define G_LOG_DOMAIN "imsd.events"

#include "payloads.h"

#include <string.h>

#include "json-build.h"

/* A time that is 0 falls back to fallback_us, then to now. */
static gint64
resolve_time(gint64 unix_us, gint64 fallback_us)
{
  if (unix_us != 0)
    return unix_us;
  if (fallback_us != 0)
    return fallback_us;
  return g_get_real_time();
}

/* Adds "member": time as an ISO string; FALSE (and a critical) if it cannot be formatted. */
static gboolean
add_time(JsonBuilder *builder, const char *member, gint64 unix_us)
{
  if (ims_json_add_time(builder, member, unix_us))
    return TRUE;
  g_critical("%s: time %" G_GINT64_FORMAT " us cannot be written as ISO 8601", member, unix_us);
  return FALSE;
}

/* "member": the JSON object whose text is json, or null when json is NULL.
 * Text that is not a JSON object (it never is: it comes from a jsonb column)
 * is null too, with a warning naming owner. */
static void
add_object_or_null(JsonBuilder *builder, const char *member, const char *json, const char *owner)
{
  g_autoptr(GError) error = NULL;
  if (!ims_json_add_object_text(builder, member, json, &error))
    g_warning("%s: %s is not a JSON object: %s", owner, member, error ? error->message : json);
}

/* "member": seconds rounded to the millisecond (11.033000000000001 becomes
 * the double nearest 11.033, what a reader parsing "11.033" gets), so sums
 * of durations carry no float noise. */
static void
add_seconds(JsonBuilder *builder, const char *member, double seconds)
{
  double rounded = seconds;
  if (seconds > -1e12 && seconds < 1e12) /* (false for NaN), then whole ms fit a gint64 */
    rounded = (double) (gint64) (seconds * 1000.0 + (seconds < 0 ? -0.5 : 0.5)) / 1000.0;
  if (!ims_json_add_double(builder, member, rounded))
    g_warning("%s: %g is not a number JSON can carry; writing 0", member, seconds);
}

static JsonNode *
finish(JsonBuilder *builder)
{
  json_builder_end_object(builder);
  return json_builder_get_root(builder);
}

static gboolean
record_is_complete(const ImsSessionRecord *record)
{
  return record && record->id && record->interview_id && record->user_id;
}

JsonNode *
ims_event_payload_candidate_started(const ImsSessionRecord *record, const char *user_agent,
                                    gint64 started_at_us)
{
  g_return_val_if_fail(record_is_complete(record), NULL);
  g_autoptr(JsonBuilder) builder = json_builder_new();
  json_builder_begin_object(builder);
  ims_json_add_string(builder, "sessionId", record->id);
  ims_json_add_string(builder, "interviewId", record->interview_id);
  ims_json_add_string_if_known(builder, "invitationId", record->invitation_id);
  ims_json_add_string(builder, "userId", record->user_id);
  ims_json_add_string_if_known(builder, "candidateEmail", record->candidate_email);
  if (!add_time(builder, "startedAt", resolve_time(started_at_us, record->started_at)))
    return NULL;
  ims_json_add_string(builder, "userAgent", user_agent);
  return finish(builder);
}

JsonNode *
ims_event_payload_candidate_response_submitted(const ImsSessionRecord *record, const ImsTake *take,
                                               const char *media_file_id)
{
  g_return_val_if_fail(record_is_complete(record), NULL);
  g_return_val_if_fail(take != NULL && take->id != NULL, NULL);
  g_return_val_if_fail(take->question_index >= 0 && record->questions != NULL &&
                           (guint) take->question_index < record->questions->len,
                       NULL);
  const ImsQuestion *question = g_ptr_array_index(record->questions, take->question_index);
  g_return_val_if_fail(question != NULL && question->id != NULL, NULL);
  /* only a take that has media is announced */
  g_return_val_if_fail(take->status == IMS_TAKE_COMPLETED || take->status == IMS_TAKE_INTERRUPTED,
                       NULL);

  g_autoptr(JsonBuilder) builder = json_builder_new();
  json_builder_begin_object(builder);
  ims_json_add_string(builder, "sessionId", record->id);
  ims_json_add_string(builder, "interviewId", record->interview_id);
  ims_json_add_string(builder, "userId", record->user_id);
  ims_json_add_string(builder, "responseId", take->id);
  ims_json_add_string(builder, "questionId", question->id);
  ims_json_add_int(builder, "questionIndex", take->question_index);
  ims_json_add_int(builder, "take", take->number);
  ims_json_add_string(builder, "mediaFileId", media_file_id);
  add_seconds(builder, "duration", (double) take->duration_ms / 1000.0);
  ims_json_add_string(builder, "status", ims_take_status_to_string(take->status));
  return finish(builder);
}

JsonNode *
ims_event_payload_candidate_completed(const ImsSessionRecord *record, int responses_count,
                                      double total_duration_s)
{
  g_return_val_if_fail(record_is_complete(record), NULL);
  g_autoptr(JsonBuilder) builder = json_builder_new();
  json_builder_begin_object(builder);
  ims_json_add_string(builder, "sessionId", record->id);
  ims_json_add_string(builder, "interviewId", record->interview_id);
  ims_json_add_string(builder, "userId", record->user_id);
  ims_json_add_string(builder, "candidateEmail", record->candidate_email);
  if (!add_time(builder, "completedAt", resolve_time(record->completed_at, 0)))
    return NULL;
  ims_json_add_int(builder, "responsesCount", responses_count);
  add_seconds(builder, "totalDuration", total_duration_s);
  return finish(builder);
}

/* The members of media.uploaded, one-way take or composite (kind NULL: none). */
static JsonNode *
uploaded_payload(const char *user_id, const char *file_id, const char *session_id,
                 const char *response_id, const char *kind, const char *key, const char *file_name,
                 gint64 size_bytes, const char *content_type, const char *bucket)
{
  const char *slash = strrchr(key, '/');
  g_autoptr(JsonBuilder) builder = json_builder_new();
  json_builder_begin_object(builder);
  ims_json_add_string(builder, "userId", user_id);
  ims_json_add_string(builder, "fileId", file_id);
  ims_json_add_string(builder, "sessionId", session_id);
  ims_json_add_string(builder, "responseId", response_id);
  if (kind)
    ims_json_add_string(builder, "kind", kind);
  ims_json_add_string(builder, "fileName", file_name ? file_name : slash ? slash + 1 : key);
  ims_json_add_int(builder, "fileSize", size_bytes);
  ims_json_add_string(builder, "mimeType", content_type ? content_type : "application/octet-stream");
  ims_json_add_string(builder, "bucket", bucket);
  ims_json_add_string(builder, "path", key);
  return finish(builder);
}

JsonNode *
ims_event_payload_media_uploaded(const char *user_id, const ImsMediaFile *file, const char *bucket,
                                 const char *file_name)
{
  g_return_val_if_fail(user_id != NULL && bucket != NULL, NULL);
  g_return_val_if_fail(file != NULL && file->id != NULL && file->key != NULL, NULL);
  g_return_val_if_fail(file->session_id != NULL && file->take_id != NULL, NULL);
  return uploaded_payload(user_id, file->id, file->session_id, file->take_id, NULL, file->key,
                          file_name, file->size_bytes, file->content_type, bucket);
}

JsonNode *
ims_event_payload_composite_uploaded(const char *user_id, const char *room_id,
                                     const char *session_id, const char *key, gint64 size_bytes,
                                     const char *bucket)
{
  g_return_val_if_fail(user_id != NULL && room_id != NULL && session_id != NULL, NULL);
  g_return_val_if_fail(key != NULL && bucket != NULL, NULL);
  return uploaded_payload(user_id, room_id, session_id, NULL, IMS_MEDIA_KIND_COMPOSITE, key, NULL,
                          size_bytes, "video/mp4", bucket);
}

JsonNode *
ims_event_payload_media_processed(const char *user_id, const char *file_id, gint64 original_size,
                                  gint64 processed_size, double processing_duration_s,
                                  const GPtrArray *renditions, const char *thumbnail_path,
                                  const char *profile, const char *completeness)
{
  g_return_val_if_fail(user_id != NULL && file_id != NULL && profile != NULL, NULL);
  g_autoptr(JsonBuilder) builder = json_builder_new();
  json_builder_begin_object(builder);
  ims_json_add_string(builder, "userId", user_id);
  ims_json_add_string(builder, "fileId", file_id);
  ims_json_add_int(builder, "originalSize", original_size);
  ims_json_add_int(builder, "processedSize", processed_size);
  add_seconds(builder, "processingDuration", processing_duration_s);
  json_builder_set_member_name(builder, "renditions");
  json_builder_begin_array(builder);
  for (guint i = 0; renditions && i < renditions->len; i++) {
    const ImsMediaFile *file = g_ptr_array_index(renditions, i);
    g_return_val_if_fail(file != NULL && file->kind != NULL && file->key != NULL, NULL);
    json_builder_begin_object(builder);
    ims_json_add_string(builder, "kind", file->kind);
    ims_json_add_string(builder, "path", file->key);
    ims_json_add_string(builder, "mimeType",
                        file->content_type ? file->content_type : "application/octet-stream");
    ims_json_add_int(builder, "size", file->size_bytes);
    json_builder_end_object(builder);
  }
  json_builder_end_array(builder);
  ims_json_add_string(builder, "thumbnailPath", thumbnail_path);
  ims_json_add_string(builder, "profile", profile);
  add_object_or_null(builder, "completeness", completeness, file_id);
  return finish(builder);
}

JsonNode *
ims_event_payload_media_processing_failed(const char *user_id, const char *take_id,
                                          const char *session_id, const char *profile,
                                          const char *reason, int attempts,
                                          gboolean original_stored, gint64 failed_at_us)
{
  g_return_val_if_fail(user_id != NULL && take_id != NULL && session_id != NULL, NULL);
  g_return_val_if_fail(profile != NULL && reason != NULL && reason[0] != '\0', NULL);
  g_autoptr(JsonBuilder) builder = json_builder_new();
  json_builder_begin_object(builder);
  ims_json_add_string(builder, "userId", user_id);
  ims_json_add_string(builder, "fileId", take_id);
  ims_json_add_string(builder, "sessionId", session_id);
  ims_json_add_string(builder, "responseId", take_id);
  ims_json_add_string(builder, "profile", profile);
  ims_json_add_string(builder, "reason", reason);
  ims_json_add_int(builder, "attempts", attempts);
  ims_json_add_boolean(builder, "originalStored", original_stored);
  if (!add_time(builder, "failedAt", resolve_time(failed_at_us, 0)))
    return NULL;
  return finish(builder);
}

JsonNode *
ims_event_payload_media_deleted(const char *user_id, const char *file_id, gint64 file_size,
                                gint64 deleted_at_us, const char *reason)
{
  g_return_val_if_fail(user_id != NULL && file_id != NULL, NULL);
  g_return_val_if_fail(reason != NULL && reason[0] != '\0', NULL);
  g_autoptr(JsonBuilder) builder = json_builder_new();
  json_builder_begin_object(builder);
  ims_json_add_string(builder, "userId", user_id);
  ims_json_add_string(builder, "fileId", file_id);
  ims_json_add_int(builder, "fileSize", file_size);
  if (!add_time(builder, "deletedAt", resolve_time(deleted_at_us, 0)))
    return NULL;
  ims_json_add_string(builder, "reason", reason);
  return finish(builder);
}

/* interview.started of a one-way session (room_id NULL) or of a live room (roomId, kind "live"). */
static JsonNode *
interview_started(const ImsSessionRecord *record, const char *room_id, gint64 started_at_us)
{
  g_return_val_if_fail(record_is_complete(record), NULL);
  g_autoptr(JsonBuilder) builder = json_builder_new();
  json_builder_begin_object(builder);
  ims_json_add_string(builder, "interviewId", record->interview_id);
  if (room_id)
    ims_json_add_string(builder, "roomId", room_id);
  ims_json_add_string(builder, "sessionId", record->id);
  ims_json_add_string(builder, "userId", record->user_id);
  if (room_id)
    ims_json_add_string(builder, "kind", IMS_INTERVIEW_KIND_LIVE);
  if (!add_time(builder, "startedAt", resolve_time(started_at_us, record->started_at)))
    return NULL;
  return finish(builder);
}

/* interview.completed of a one-way session (room_id NULL) or of a live room (roomId, kind "live"). */
static JsonNode *
interview_completed(const ImsSessionRecord *record, const char *room_id, gint64 completed_at_us,
                    double duration_s, int responses_count)
{
  g_return_val_if_fail(record_is_complete(record), NULL);
  g_autoptr(JsonBuilder) builder = json_builder_new();
  json_builder_begin_object(builder);
  ims_json_add_string(builder, "interviewId", record->interview_id);
  if (room_id)
    ims_json_add_string(builder, "roomId", room_id);
  ims_json_add_string(builder, "sessionId", record->id);
  ims_json_add_string(builder, "userId", record->user_id);
  if (room_id)
    ims_json_add_string(builder, "kind", IMS_INTERVIEW_KIND_LIVE);
  if (!add_time(builder, "completedAt", resolve_time(completed_at_us, record->completed_at)))
    return NULL;
  add_seconds(builder, "durationSeconds", duration_s);
  ims_json_add_int(builder, "responsesCount", responses_count);
  return finish(builder);
}

JsonNode *
ims_event_payload_interview_started(const ImsSessionRecord *record, gint64 started_at_us)
{
  return interview_started(record, NULL, started_at_us);
}

JsonNode *
ims_event_payload_interview_completed(const ImsSessionRecord *record, gint64 completed_at_us,
                                      double duration_s, int responses_count)
{
  return interview_completed(record, NULL, completed_at_us, duration_s, responses_count);
}

JsonNode *
ims_event_payload_room_started(const ImsSessionRecord *record, const char *room_id,
                               gint64 started_at_us)
{
  g_return_val_if_fail(room_id != NULL, NULL);
  return interview_started(record, room_id, started_at_us);
}

JsonNode *
ims_event_payload_room_completed(const ImsSessionRecord *record, const char *room_id,
                                 gint64 completed_at_us, double duration_s, int responses_count)
{
  g_return_val_if_fail(room_id != NULL, NULL);
  return interview_completed(record, room_id, completed_at_us, duration_s, responses_count);
}
