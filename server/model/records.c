/* records.c: the records every layer shares (records.h).
 *
 * Plain structs with deep-copying/freeing helpers, the text forms of take
 * statuses, session states and kinds, room roles and states (as written in
 * the database).  Records have no lifecycle beyond new -> filled -> free; a record
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

static const char *const session_kind_names[] = {
  [IMS_SESSION_ONE_WAY] = "one_way",
  [IMS_SESSION_LIVE] = "live",
};

static const char *const room_role_names[] = {
  [IMS_ROOM_ROLE_CANDIDATE] = "candidate",
  [IMS_ROOM_ROLE_INTERVIEWER] = "interviewer",
  [IMS_ROOM_ROLE_OBSERVER] = "observer",
};

static const char *const room_state_names[] = {
  [IMS_ROOM_SCHEDULED] = "scheduled",
  [IMS_ROOM_LIVE] = "live",
  [IMS_ROOM_ENDED] = "ended",
};

/* names[value], or "invalid" for a value outside the table. */
static const char *
name_of(const char *const *names, guint count, int value)
{
  if ((guint) value >= count)
    return "invalid";
  return names[value];
}

/* Sets *value to the index of text in names; FALSE (and *value untouched)
 * for NULL or unknown text.  value points to an enum (an int). */
static gboolean
find_name(const char *const *names, guint count, const char *text, int *value)
{
  if (text == NULL)
    return FALSE;
  for (guint i = 0; i < count; i++) {
    if (g_str_equal(text, names[i])) {
      *value = (int) i;
      return TRUE;
    }
  }
  return FALSE;
}

/* Returns the database text of status ("recording", ...), or "invalid" for a
 * value outside the enum. */
const char *
ims_take_status_to_string(ImsTakeStatus status)
{
  return name_of(take_status_names, G_N_ELEMENTS(take_status_names), status);
}

/* Parses the database text of a take status.  Returns FALSE (and leaves
 * *status alone) for NULL or unknown text. */
gboolean
ims_take_status_from_string(const char *text, ImsTakeStatus *status)
{
  return find_name(take_status_names, G_N_ELEMENTS(take_status_names), text, (int *) status);
}

/* Returns the database text of state ("created", ...), or "invalid". */
const char *
ims_session_state_to_string(ImsSessionState state)
{
  return name_of(session_state_names, G_N_ELEMENTS(session_state_names), state);
}

/* Parses the database text of a session state.  Returns FALSE (and leaves
 * *state alone) for NULL or unknown text. */
gboolean
ims_session_state_from_string(const char *text, ImsSessionState *state)
{
  return find_name(session_state_names, G_N_ELEMENTS(session_state_names), text, (int *) state);
}

const char *
ims_session_kind_to_string(ImsSessionKind kind)
{
  return name_of(session_kind_names, G_N_ELEMENTS(session_kind_names), kind);
}

gboolean
ims_session_kind_from_string(const char *text, ImsSessionKind *kind)
{
  return find_name(session_kind_names, G_N_ELEMENTS(session_kind_names), text, (int *) kind);
}

const char *
ims_room_role_to_string(ImsRoomRole role)
{
  return name_of(room_role_names, G_N_ELEMENTS(room_role_names), role);
}

gboolean
ims_room_role_from_string(const char *text, ImsRoomRole *role)
{
  return find_name(room_role_names, G_N_ELEMENTS(room_role_names), text, (int *) role);
}

const char *
ims_room_state_to_string(ImsRoomState state)
{
  return name_of(room_state_names, G_N_ELEMENTS(room_state_names), state);
}

gboolean
ims_room_state_from_string(const char *text, ImsRoomState *state)
{
  return find_name(room_state_names, G_N_ELEMENTS(room_state_names), text, (int *) state);
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
  g_free(record->room_id);
  g_free(record->title);
  g_free(record->company_name);
  g_free(record->practice_text);
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

ImsRoomParticipant *
ims_room_participant_new(void)
{
  return g_new0(ImsRoomParticipant, 1);
}

ImsRoomParticipant *
ims_room_participant_copy(const ImsRoomParticipant *participant)
{
  if (participant == NULL)
    return NULL;
  ImsRoomParticipant *copy = g_new0(ImsRoomParticipant, 1);
  copy->id = g_strdup(participant->id);
  copy->role = participant->role;
  copy->user_id = g_strdup(participant->user_id);
  copy->name = g_strdup(participant->name);
  copy->email = g_strdup(participant->email);
  return copy;
}

void
ims_room_participant_free(ImsRoomParticipant *participant)
{
  if (participant == NULL)
    return;
  g_free(participant->id);
  g_free(participant->user_id);
  g_free(participant->name);
  g_free(participant->email);
  g_free(participant);
}

ImsRoomSegment *
ims_room_segment_new(void)
{
  ImsRoomSegment *segment = g_new0(ImsRoomSegment, 1);
  segment->question_index = -1;
  return segment;
}

ImsRoomSegment *
ims_room_segment_copy(const ImsRoomSegment *segment)
{
  if (segment == NULL)
    return NULL;
  ImsRoomSegment *copy = g_new0(ImsRoomSegment, 1);
  *copy = *segment;
  copy->take_id = g_strdup(segment->take_id);
  return copy;
}

void
ims_room_segment_free(ImsRoomSegment *segment)
{
  if (segment == NULL)
    return;
  g_free(segment->take_id);
  g_free(segment);
}

ImsRoomRecording *
ims_room_recording_new(void)
{
  ImsRoomRecording *recording = g_new0(ImsRoomRecording, 1);
  recording->status = IMS_TAKE_RECORDING;
  return recording;
}

ImsRoomRecording *
ims_room_recording_copy(const ImsRoomRecording *recording)
{
  if (recording == NULL)
    return NULL;
  ImsRoomRecording *copy = g_new0(ImsRoomRecording, 1);
  *copy = *recording;
  copy->id = g_strdup(recording->id);
  copy->participant_id = g_strdup(recording->participant_id);
  copy->stream = g_strdup(recording->stream);
  copy->path = g_strdup(recording->path);
  copy->object_key = g_strdup(recording->object_key);
  return copy;
}

void
ims_room_recording_free(ImsRoomRecording *recording)
{
  if (recording == NULL)
    return;
  g_free(recording->id);
  g_free(recording->participant_id);
  g_free(recording->stream);
  g_free(recording->path);
  g_free(recording->object_key);
  g_free(recording);
}

ImsRoomRecord *
ims_room_record_new(void)
{
  ImsRoomRecord *room = g_new0(ImsRoomRecord, 1);
  room->state = IMS_ROOM_SCHEDULED;
  room->record_interviewers = TRUE;
  room->composite_status = g_strdup("pending");
  room->participants = g_ptr_array_new_with_free_func((GDestroyNotify) ims_room_participant_free);
  room->segments = g_ptr_array_new_with_free_func((GDestroyNotify) ims_room_segment_free);
  room->recordings = g_ptr_array_new_with_free_func((GDestroyNotify) ims_room_recording_free);
  return room;
}

/* Appends a copy (made by copy) of every element of from to to. */
static void
copy_elements(GPtrArray *to, const GPtrArray *from, gpointer (*copy)(gconstpointer element))
{
  for (guint i = 0; from != NULL && i < from->len; i++)
    g_ptr_array_add(to, copy(g_ptr_array_index(from, i)));
}

ImsRoomRecord *
ims_room_record_copy(const ImsRoomRecord *room)
{
  if (room == NULL)
    return NULL;
  ImsRoomRecord *copy = ims_room_record_new();
  GPtrArray *participants = copy->participants, *segments = copy->segments,
            *recordings = copy->recordings;
  g_free(copy->composite_status);
  *copy = *room;
  copy->id = g_strdup(room->id);
  copy->interview_id = g_strdup(room->interview_id);
  copy->session_id = g_strdup(room->session_id);
  copy->type = g_strdup(room->type);
  copy->company_id = g_strdup(room->company_id);
  copy->composite_status = g_strdup(room->composite_status);
  copy->composite_key = g_strdup(room->composite_key);
  copy->composite_chapters = g_strdup(room->composite_chapters);
  copy->participants = participants;
  copy->segments = segments;
  copy->recordings = recordings;
  copy_elements(participants, room->participants, (gpointer (*)(gconstpointer)) ims_room_participant_copy);
  copy_elements(segments, room->segments, (gpointer (*)(gconstpointer)) ims_room_segment_copy);
  copy_elements(recordings, room->recordings, (gpointer (*)(gconstpointer)) ims_room_recording_copy);
  return copy;
}

void
ims_room_record_free(ImsRoomRecord *room)
{
  if (room == NULL)
    return;
  g_free(room->id);
  g_free(room->interview_id);
  g_free(room->session_id);
  g_free(room->type);
  g_free(room->company_id);
  g_free(room->composite_status);
  g_free(room->composite_key);
  g_free(room->composite_chapters);
  g_clear_pointer(&room->participants, g_ptr_array_unref);
  g_clear_pointer(&room->segments, g_ptr_array_unref);
  g_clear_pointer(&room->recordings, g_ptr_array_unref);
  g_free(room);
}
