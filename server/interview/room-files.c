/* room-files.c: a live room's segments and the files recorded into them
 * (see room-private.h).
 *
 * Each recorded publication writes one file per segment (a row of
 * room_recordings): it starts once media flow in a live room, is split at
 * each mark (the receiver closes one file and opens the next atomically) and
 * stopped at end or when the publication goes (cut: interrupted).  A stream
 * that starts again in a segment where it already has a file (its publisher
 * rejoined) opens the next segment, of the same question: a segment holds at
 * most one file per participant and stream.  The
 * candidate's camera file of a question segment is also that segment's take
 * of the candidate session: when it is final it is announced
 * (candidate.response_submitted) and handed to the processor like a one-way
 * take (the session context's take_saved, room-write.c).
 *
 * Paths follow the session spool: <spool>/<candidate session id>/, the take
 * named as a one-way take (q<N>-take<M>-<take id>.mkv), every other file
 * room-s<segment>-<role>-<participant>-<stream>-<recording id>.mkv.
 */
#define G_LOG_DOMAIN "imsd.room"

#include "room-private.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "log-session.h"
#include "outbox.h"
#include "payloads.h"

void
ims_room_open_file_free(OpenFile *file)
{
  g_free(file->stop_reason);
  g_free(file);
}

ImsRoomSegment *
ims_room_open_segment(ImsRoom *room)
{
  GPtrArray *segments = room->record->segments;
  if (segments->len == 0)
    return NULL;
  ImsRoomSegment *last = g_ptr_array_index(segments, segments->len - 1);
  return last->ended_at == 0 ? last : NULL;
}

static ImsTake *
find_take(ImsRoom *room, const char *take_id)
{
  for (guint i = 0; take_id && i < room->session->takes->len; i++) {
    ImsTake *take = g_ptr_array_index(room->session->takes, i);
    if (g_strcmp0(take->id, take_id) == 0)
      return take;
  }
  return NULL;
}

/* TRUE if the room records what participant publishes. */
static gboolean
records(ImsRoom *room, const ImsRoomParticipant *participant)
{
  switch (participant->role) {
  case IMS_ROOM_ROLE_CANDIDATE:
    return TRUE;
  case IMS_ROOM_ROLE_INTERVIEWER:
    return room->record->record_interviewers;
  case IMS_ROOM_ROLE_OBSERVER:
  default:
    return FALSE;
  }
}

/* A new file of publication in segment (its recording row added to the
 * room's record, its insert into write).  NULL if the spool folder cannot be
 * made. */
static OpenFile *
new_file(ImsRoom *room, Publication *publication, const ImsRoomSegment *segment, RoomWrite *write)
{
  const ImsRoomParticipant *participant = publication->member->participant;
  g_autofree char *dir = g_build_filename(room->context->sessions->spool_dir, room->session->id,
                                          NULL);
  if (g_mkdir_with_parents(dir, 0750) != 0) {
    ims_log_session(G_LOG_LEVEL_WARNING, ROOM_LOG_ID(room), NULL, "cannot create %s: %s", dir,
                    g_strerror(errno));
    return NULL;
  }
  OpenFile *file = g_new0(OpenFile, 1);
  file->publication = publication;
  file->final_status = IMS_TAKE_COMPLETED;
  ImsRoomRecording *recording = ims_room_recording_new();
  recording->id = g_uuid_string_random();
  recording->segment = segment->index;
  recording->participant_id = g_strdup(participant->id);
  recording->stream = g_strdup(publication->stream);
  ImsTake *take = find_take(room, segment->take_id);
  if (take && !take->path && participant->role == IMS_ROOM_ROLE_CANDIDATE &&
      g_strcmp0(publication->stream, "camera") == 0) {
    g_autofree char *name = g_strdup_printf("q%d-take%d-%.8s.mkv", take->question_index + 1,
                                            take->number, take->id);
    take->path = g_build_filename(dir, name, NULL);
    take->started_at = g_get_real_time();
    file->take = take;
    recording->path = g_strdup(take->path);
  } else {
    g_autofree char *name = g_strdup_printf("room-s%d-%s-%.8s-%s-%.8s.mkv", segment->index,
                                            ims_room_role_to_string(participant->role),
                                            participant->id, publication->stream, recording->id);
    recording->path = g_build_filename(dir, name, NULL);
  }
  file->recording = recording;
  g_ptr_array_add(room->record->recordings, recording);
  g_ptr_array_add(room->open_files, file);
  ims_room_write_insert_recording(write, recording);
  return file;
}

/* file never started: failed, final at once (its rows into write). */
static void
fail_file(ImsRoom *room, OpenFile *file, const char *why, RoomWrite *write)
{
  ims_log_session(G_LOG_LEVEL_WARNING, ROOM_LOG_ID(room), file->recording->id,
                  "could not record %s: %s", file->recording->path, why);
  file->recording->status = IMS_TAKE_FAILED;
  ims_room_write_update_recording(write, file->recording);
  if (file->take) {
    file->take->status = IMS_TAKE_FAILED;
    file->take->stopped_at = g_get_real_time();
    g_free(file->take->stop_reason);
    file->take->stop_reason = g_strdup("start_failed");
    ims_room_write_update_take(write, file->take, FALSE);
  }
  g_ptr_array_remove(room->open_files, file);
}

/* TRUE if participant_id already has a file of stream in segment. */
static gboolean
has_file(ImsRoom *room, int segment, const char *participant_id, const char *stream)
{
  for (guint i = 0; i < room->record->recordings->len; i++) {
    const ImsRoomRecording *recording = g_ptr_array_index(room->record->recordings, i);
    if (recording->segment == segment && g_strcmp0(recording->participant_id, participant_id) == 0 &&
        g_strcmp0(recording->stream, stream) == 0)
      return TRUE;
  }
  return FALSE;
}

static void
start_file_into(ImsRoom *room, Publication *publication, RoomWrite *write)
{
  ImsRoomSegment *segment = ims_room_open_segment(room);
  GPtrArray *segments = room->record->segments;
  if (room->record->state != IMS_ROOM_LIVE || !publication->flowing ||
      publication->file || !publication->member || !records(room, publication->member->participant))
    return;
  if (!segment && segments->len > 0 && !room->completing) {
    /* crash recovery closed the segment a previous run left open (and
     * finalized its files): the room goes on in a new segment of the same
     * question, which starts this file */
    const ImsRoomSegment *last = g_ptr_array_index(segments, segments->len - 1);
    ims_log_session(G_LOG_LEVEL_INFO, ROOM_LOG_ID(room), NULL,
                    "segment %d was closed by crash recovery: segment %d goes on with the same question",
                    last->index, last->index + 1);
    ims_room_open_segment_at(room, last->question_index, NULL, write, g_get_real_time());
    ims_room_broadcast_state(room);
    return;
  }
  if (!segment)
    return;
  const ImsRoomParticipant *participant = publication->member->participant;
  if (has_file(room, segment->index, participant->id, publication->stream)) {
    /* a rejoin: a segment has one file per participant and stream, so the
     * room goes on in a new segment of the same question (which starts
     * this file and splits the others) */
    ims_log_session(G_LOG_LEVEL_INFO, ROOM_LOG_ID(room), NULL,
                    "%s's %s is back in segment %d: segment %d goes on with the same question",
                    participant->id, publication->stream, segment->index, segment->index + 1);
    ims_room_open_segment_at(room, segment->question_index, NULL, write, g_get_real_time());
    ims_room_broadcast_state(room);
    return;
  }
  OpenFile *file = new_file(room, publication, segment, write);
  if (!file)
    return;
  g_autoptr(GError) error = NULL;
  if (!room->context->media->start_file(publication->media, file->recording->path,
                                        file->recording->id, &error)) {
    fail_file(room, file, error->message, write);
    return;
  }
  publication->file = file;
  ims_log_session(G_LOG_LEVEL_INFO, ROOM_LOG_ID(room), file->recording->id,
                  "recording %s of %s into %s", publication->stream,
                  publication->member->participant->id, file->recording->path);
}

void
ims_room_start_file(ImsRoom *room, Publication *publication)
{
  RoomWrite *write = ims_room_write_new(room, "recording");
  start_file_into(room, publication, write);
  ims_room_write_submit(write);
}

void
ims_room_stop_file(ImsRoom *room, Publication *publication, ImsTakeStatus final_status,
                   const char *stop_reason)
{
  OpenFile *file = publication->file;
  if (!file)
    return;
  file->final_status = final_status;
  g_free(file->stop_reason);
  file->stop_reason = g_strdup(stop_reason);
  room->context->media->stop_file(publication->media);
}

/* A take of segment's question: number = how many times it was marked. */
static ImsTake *
new_take(ImsRoom *room, int question_index, gint64 now)
{
  int number = 0;
  for (guint i = 0; i < room->record->segments->len; i++)
    if (((ImsRoomSegment *) g_ptr_array_index(room->record->segments, i))->question_index ==
        question_index)
      number++;
  ImsTake *take = ims_take_new();
  take->id = g_uuid_string_random();
  take->session_id = g_strdup(room->session->id);
  take->question_index = question_index;
  take->number = number;
  take->status = IMS_TAKE_RECORDING;
  take->started_at = now;
  g_ptr_array_add(room->session->takes, take);
  return take;
}

int
ims_room_count_responses(ImsRoom *room)
{
  int responses = 0;
  for (guint i = 0; i < room->record->segments->len; i++) {
    const ImsRoomSegment *segment = g_ptr_array_index(room->record->segments, i);
    const ImsTake *take = find_take(room, segment->take_id);
    if (take && (take->status == IMS_TAKE_COMPLETED || take->status == IMS_TAKE_INTERRUPTED))
      responses++;
  }
  return responses;
}

void
ims_room_close_segment(ImsRoom *room, gint64 now, RoomWrite *write)
{
  ImsRoomSegment *segment = ims_room_open_segment(room);
  if (!segment)
    return;
  segment->ended_at = now;
  ims_room_write_finish_segment(write, segment);
  ImsTake *take = find_take(room, segment->take_id);
  if (take && !take->path) { /* the candidate sent no camera in it: nothing to announce */
    take->status = IMS_TAKE_FAILED;
    take->stopped_at = now;
    g_free(take->stop_reason);
    take->stop_reason = g_strdup("no_media");
    ims_room_write_update_take(write, take, FALSE);
  }
}

void
ims_room_open_segment_at(ImsRoom *room, int question_index, ImsQuestion *off_script,
                         RoomWrite *write, gint64 now)
{
  ims_room_close_segment(room, now, write);
  if (off_script) {
    ims_room_write_add_question(write, off_script);
    g_ptr_array_add(room->session->questions, off_script);
  }
  ImsRoomSegment *segment = ims_room_segment_new();
  segment->index = (int) room->record->segments->len;
  segment->question_index = question_index;
  segment->started_at = now;
  g_ptr_array_add(room->record->segments, segment);
  if (question_index >= 0)
    segment->take_id = g_strdup(new_take(room, question_index, now)->id);
  ims_room_write_insert_segment(write, segment);
  ims_log_session(G_LOG_LEVEL_INFO, ROOM_LOG_ID(room), segment->take_id,
                  "segment %d opened (question %d)", segment->index, question_index + 1);

  /* every file being written goes on in the new segment; media flowing
   * without a file (the opening just began) start one */
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init(&iter, room->members);
  while (g_hash_table_iter_next(&iter, NULL, &value)) {
    g_autoptr(GList) publications = g_hash_table_get_values(((ImsRoomMember *) value)->publications);
    for (GList *l = publications; l; l = l->next) {
      Publication *publication = l->data;
      OpenFile *old = publication->file;
      if (!old) {
        start_file_into(room, publication, write);
        continue;
      }
      OpenFile *file = new_file(room, publication, segment, write);
      if (!file)
        continue; /* the old file goes on; it is stopped at end */
      old->final_status = IMS_TAKE_COMPLETED;
      g_free(old->stop_reason);
      old->stop_reason = g_strdup("mark");
      g_autoptr(GError) error = NULL;
      if (!room->context->media->split_file(publication->media, file->recording->path,
                                            file->recording->id, &error)) {
        fail_file(room, file, error->message, write);
        continue;
      }
      old->publication = NULL; /* final on its own; the publication writes the new one */
      publication->file = file;
    }
  }
}

static OpenFile *
find_open_file(ImsRoom *room, const char *path)
{
  for (guint i = 0; path && i < room->open_files->len; i++) {
    OpenFile *file = g_ptr_array_index(room->open_files, i);
    if (g_strcmp0(file->recording->path, path) == 0)
      return file;
  }
  return NULL;
}

/* file is final with result: its rows (and, for a take with media, its
 * announcement) in one write; the take goes to the processor once written. */
static void
finalize_file(ImsRoom *room, OpenFile *file, const ImsTakeResult *result, gboolean media_on_disk)
{
  ImsRoomRecording *recording = file->recording;
  gboolean has_media = media_on_disk || result->video_codec || result->audio_codec;
  ImsTakeStatus status = !has_media          ? IMS_TAKE_FAILED
                         : !result->complete ? IMS_TAKE_INTERRUPTED
                                             : file->final_status;
  recording->status = status;
  recording->duration_ms = result->duration_ms;
  recording->size_bytes = (gint64) result->size_bytes;
  RoomWrite *write = ims_room_write_new(room, "file");
  ims_room_write_update_recording(write, recording);
  ImsTake *take = file->take;
  if (take) {
    take->status = status;
    take->stopped_at = g_get_real_time();
    take->duration_ms = result->duration_ms;
    take->size_bytes = (gint64) result->size_bytes;
    g_free(take->video_codec);
    take->video_codec = g_strdup(result->video_codec);
    g_free(take->audio_codec);
    take->audio_codec = g_strdup(result->audio_codec);
    take->width = result->width;
    take->height = result->height;
    g_free(take->stop_reason);
    take->stop_reason = g_strdup(file->stop_reason ? file->stop_reason : "end");
    g_free(take->completeness);
    take->completeness = g_strdup(result->completeness);
    if (has_media) {
      GPtrArray *events = NULL;
      ims_outbox_add(&events, IMS_EVENT_CANDIDATE_RESPONSE_SUBMITTED,
                     ims_event_payload_candidate_response_submitted(room->session, take, NULL),
                     ROOM_LOG_ID(room));
      ims_room_write_events(write, events);
    }
    ims_room_write_update_take(write, take, has_media);
  }
  ims_room_write_submit(write);
  ims_log_session(G_LOG_LEVEL_INFO, ROOM_LOG_ID(room), recording->id, "%s is final: %s, %" G_GINT64_FORMAT " ms",
                  recording->path, ims_take_status_to_string(status), recording->duration_ms);

  Publication *publication = file->publication;
  g_ptr_array_remove(room->open_files, file);
  if (publication && publication->file == file)
    ims_room_publication_file_done(room, publication);
  ims_room_complete_if_idle(room);
  ims_room_check_shutdown_done(room);
}

void
ims_room_media_file_finished(ImsRoom *room, gpointer owner, const ImsTakeResult *result)
{
  (void) owner;
  OpenFile *file = find_open_file(room, result->path);
  if (!file) {
    ims_log_session(G_LOG_LEVEL_WARNING, ROOM_LOG_ID(room), NULL,
                    "a file the room does not know is final: %s", result->path);
    return;
  }
  finalize_file(room, file, result, FALSE);
}

void
ims_room_cut_file(ImsRoom *room, OpenFile *file)
{
  GStatBuf info;
  gboolean exists = g_stat(file->recording->path, &info) == 0 && info.st_size > 0;
  ImsTakeResult result = {
    .path = file->recording->path,
    .size_bytes = exists ? (guint64) info.st_size : 0,
    .complete = FALSE,
  };
  g_free(file->stop_reason);
  file->stop_reason = g_strdup("failed");
  /* what the receiver wrote is not known here: a file on disk has media */
  finalize_file(room, file, &result, exists);
}
