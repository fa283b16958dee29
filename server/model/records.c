/* records.c: the records every layer shares (records.h).
 *
 * Plain structs with deep-copying/freeing helpers, the text forms of take
 * statuses and session states (as written in the database).  Records have no lifecycle beyond new -> filled -> free; a record
 * owns every string and array it points to.
 */
#define G_LOG_DOMAIN "imsd.model"

#include "records.h"

static const char *const take_status_names[] = {
  [IMS_TAKE_RECORDING] = "recording",
  [IMS_TAKE_COMPLETED] = "completed",
  [IMS_TAKE_INTERRUPTED] = "interrupted",
  [IMS_TAKE_FAILED] = "failed",
};

static const char *const session_state_names[] = {
  [IMS_SESSION_CREATED] = "created",
  [IMS_SESSION_ACTIVE] = "active",
  [IMS_SESSION_COMPLETED] = "completed",
};

/* Returns the database text of status ("recording", ...), or "invalid" for a
 * value outside the enum. */
const char *
ims_take_status_to_string(ImsTakeStatus status)
{
  if ((guint) status >= G_N_ELEMENTS(take_status_names))
    return "invalid";
  return take_status_names[status];
}

/* Parses the database text of a take status.  Returns FALSE (and leaves
 * *status alone) for NULL or unknown text. */
gboolean
ims_take_status_from_string(const char *text, ImsTakeStatus *status)
{
  if (text == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS(take_status_names); i++) {
    if (g_str_equal(text, take_status_names[i])) {
      *status = (ImsTakeStatus) i;
      return TRUE;
    }
  }
  return FALSE;
}

/* Returns the database text of state ("created", ...), or "invalid". */
const char *
ims_session_state_to_string(ImsSessionState state)
{
  if ((guint) state >= G_N_ELEMENTS(session_state_names))
    return "invalid";
  return session_state_names[state];
}

/* Parses the database text of a session state.  Returns FALSE (and leaves
 * *state alone) for NULL or unknown text. */
gboolean
ims_session_state_from_string(const char *text, ImsSessionState *state)
{
  if (text == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS(session_state_names); i++) {
    if (g_str_equal(text, session_state_names[i])) {
      *state = (ImsSessionState) i;
      return TRUE;
    }
  }
  return FALSE;
}

/* Returns a new question holding copies of id and text.  Transfer full. */
ImsQuestion *
ims_question_new(const char *id, const char *text, int time_limit_seconds)
{
  ImsQuestion *question = g_new0(ImsQuestion, 1);
  question->id = g_strdup(id);
  question->text = g_strdup(text);
  question->time_limit_seconds = time_limit_seconds;
  return question;
}

void
ims_question_free(ImsQuestion *question)
{
  if (question == NULL)
    return;
  g_free(question->id);
  g_free(question->text);
  g_free(question);
}

/* Returns a zeroed take (status RECORDING, no strings).  Transfer full. */
ImsTake *
ims_take_new(void)
{
  ImsTake *take = g_new0(ImsTake, 1);
  take->status = IMS_TAKE_RECORDING;
  return take;
}

/* Returns a deep copy of take (NULL for NULL).  Transfer full. */
ImsTake *
ims_take_copy(const ImsTake *take)
{
  if (take == NULL)
    return NULL;
  ImsTake *copy = g_new0(ImsTake, 1);
  *copy = *take;
  copy->id = g_strdup(take->id);
  copy->session_id = g_strdup(take->session_id);
  copy->path = g_strdup(take->path);
  copy->video_codec = g_strdup(take->video_codec);
  copy->audio_codec = g_strdup(take->audio_codec);
  copy->stop_reason = g_strdup(take->stop_reason);
  copy->completeness = g_strdup(take->completeness);
  copy->processing_status = g_strdup(take->processing_status);
  copy->processing_error = g_strdup(take->processing_error);
  return copy;
}

void
ims_take_free(ImsTake *take)
{
  if (take == NULL)
    return;
  g_free(take->id);
  g_free(take->session_id);
  g_free(take->path);
  g_free(take->video_codec);
  g_free(take->audio_codec);
  g_free(take->stop_reason);
  g_free(take->completeness);
  g_free(take->processing_status);
  g_free(take->processing_error);
  g_free(take);
}

/* Returns an empty record (state CREATED) whose questions and takes arrays
 * exist, are empty and free their elements.  Transfer full. */
ImsSessionRecord *
ims_session_record_new(void)
{
  ImsSessionRecord *record = g_new0(ImsSessionRecord, 1);
  record->state = IMS_SESSION_CREATED;
  record->questions = g_ptr_array_new_with_free_func((GDestroyNotify) ims_question_free);
  record->takes = g_ptr_array_new_with_free_func((GDestroyNotify) ims_take_free);
  return record;
}

void
ims_session_record_free(ImsSessionRecord *record)
{
  if (record == NULL)
    return;
  g_free(record->id);
  g_free(record->interview_id);
  g_free(record->invitation_id);
  g_free(record->user_id);
  g_free(record->candidate_email);
  g_free(record->company_id);
  g_free(record->profile);
  g_clear_pointer(&record->questions, g_ptr_array_unref);
  g_clear_pointer(&record->takes, g_ptr_array_unref);
  g_free(record);
}

ImsMediaFile *
ims_media_file_new(void)
{
  return g_new0(ImsMediaFile, 1);
}

void
ims_media_file_free(ImsMediaFile *file)
{
  if (!file)
    return;
  g_free(file->id);
  g_free(file->take_id);
  g_free(file->session_id);
  g_free(file->kind);
  g_free(file->key);
  g_free(file->content_type);
  g_free(file->checksum);
  g_free(file);
}

ImsProcessingJob *
ims_processing_job_copy(const ImsProcessingJob *job)
{
  if (!job)
    return NULL;
  ImsProcessingJob *copy = g_new0(ImsProcessingJob, 1);
  copy->take = ims_take_copy(job->take);
  copy->interview_id = g_strdup(job->interview_id);
  copy->question_id = g_strdup(job->question_id);
  copy->user_id = g_strdup(job->user_id);
  copy->profile = g_strdup(job->profile);
  return copy;
}

void
ims_processing_job_free(ImsProcessingJob *job)
{
  if (!job)
    return;
  ims_take_free(job->take);
  g_free(job->interview_id);
  g_free(job->question_id);
  g_free(job->user_id);
  g_free(job->profile);
  g_free(job);
}

ImsOutboxEvent *
ims_outbox_event_new(const char *event_id, const char *event_type, const char *topic,
                     const char *key, const char *value)
{
  ImsOutboxEvent *event = g_new0(ImsOutboxEvent, 1);
  event->event_id = g_strdup(event_id);
  event->event_type = g_strdup(event_type);
  event->topic = g_strdup(topic);
  event->key = g_strdup(key);
  event->value = g_strdup(value);
  return event;
}

void
ims_outbox_event_free(ImsOutboxEvent *event)
{
  if (!event)
    return;
  g_free(event->event_id);
  g_free(event->event_type);
  g_free(event->topic);
  g_free(event->key);
  g_free(event->value);
  g_free(event);
}

void
ims_session_summary_free(ImsSessionSummary *summary)
{
  if (!summary)
    return;
  ims_session_record_free(summary->record);
  g_free(summary);
}
