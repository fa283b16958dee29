/* recovery.c: the takes and the live rooms' recordings a previous run left
 * recording; see recovery.h. */
#define G_LOG_DOMAIN "imsd.recovery"

#include "recovery.h"

#include <glib/gstdio.h>
#include <sys/stat.h>

#include "outbox.h"
#include "payloads.h"

#include "log-session.h"

typedef struct {
  char *spool_prefix; /* the spool directory with a trailing separator */
  GPtrArray *room_takes; /* char*: the cut files that are live rooms' candidate takes
                            (filled on the database thread, read on the main loop once done) */
  ImsRecoveryKeepFunc keep_room_take;
  ImsDoneFunc done;
  gpointer done_data;
} Recovery;

static void
recovery_free(Recovery *recovery)
{
  g_free(recovery->spool_prefix);
  g_ptr_array_unref(recovery->room_takes);
  g_free(recovery);
}

/* How long the cut take recorded, estimated as the time from its start to
 * the file's last write (the processor measures it exactly when it decodes
 * the file); 0 when the file is missing. */
static gint64
last_write_us(const struct stat *st)
{
  return (gint64) st->st_mtim.tv_sec * G_USEC_PER_SEC + st->st_mtim.tv_nsec / 1000;
}

static gint64
estimate_duration_ms(gint64 started_at, const struct stat *st)
{
  gint64 written_us = last_write_us(st);
  return started_at > 0 && written_us > started_at ? (written_us - started_at) / 1000 : 0;
}

static gboolean
update_take(ImsStore *store, gpointer data, GError **error)
{
  return store->sessions.update_take(store, data, error);
}

/* Adds to *events the cut take's candidate.response_submitted (status
 * interrupted): every take that has media is announced, so its media.*
 * events have a response to belong to.  FALSE, with error, if its session
 * cannot be read (sessions caches the records read). */
static gboolean
announce_take(ImsStore *store, GHashTable *sessions, const ImsTake *take, GPtrArray **events,
              GError **error)
{
  if (take->question_index == IMS_PRACTICE_QUESTION_INDEX)
    return TRUE; /* the practice is never announced */
  ImsSessionRecord *record = g_hash_table_lookup(sessions, take->session_id);
  if (!record) {
    record = store->sessions.load_session(store, take->session_id, error);
    if (!record)
      return FALSE;
    g_hash_table_insert(sessions, g_strdup(take->session_id), record);
  }
  /* the original's media file id is the take's, as for a finished take */
  ims_outbox_add(events, IMS_EVENT_CANDIDATE_RESPONSE_SUBMITTED,
                 ims_event_payload_candidate_response_submitted(record, take, take->id), record->id);
  return TRUE;
}

/* Database thread: each of our open takes becomes interrupted with the size
 * of what reached the disk and, if that is not nothing, its announcement,
 * one transaction per take:
 * a run retried after a lost connection lists only the takes still open, so
 * it repeats nothing. */
static gboolean
recover_takes(Recovery *recovery, ImsStore *store, GError **error)
{
  g_autoptr(GPtrArray) takes = store->sessions.list_open_takes(store, error);
  if (!takes)
    return FALSE;
  g_autoptr(GHashTable) sessions = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                                         (GDestroyNotify) ims_session_record_free);
  for (guint i = 0; i < takes->len; i++) {
    ImsTake *take = g_ptr_array_index(takes, i);
    struct stat st;
    if (!g_str_has_prefix(take->path, recovery->spool_prefix))
      continue;
    gboolean on_disk = stat(take->path, &st) == 0;
    take->status = IMS_TAKE_INTERRUPTED;
    take->stopped_at = g_get_real_time();
    take->size_bytes = on_disk ? (gint64) st.st_size : 0;
    take->duration_ms = on_disk ? estimate_duration_ms(take->started_at, &st) : 0;
    g_free(take->stop_reason);
    take->stop_reason = g_strdup("crash");
    g_autoptr(GPtrArray) events = NULL;
    /* a take whose file is gone or empty has no media: nothing to announce */
    if ((take->size_bytes > 0 && !announce_take(store, sessions, take, &events, error)) ||
        !ims_store_change(store, update_take, take, events, error)) {
      g_prefix_error(error, "%s: cannot mark take %s interrupted: ", take->session_id, take->id);
      return FALSE;
    }
    ims_log_session(G_LOG_LEVEL_MESSAGE, take->session_id, take->id,
                    "take %d of question %d was cut by a crash; kept as interrupted (%" G_GINT64_FORMAT
                    " bytes)",
                    take->number, take->question_index + 1, take->size_bytes);
  }
  return TRUE;
}

/* One room being recovered: its record, its session's takes, the spool. */
typedef struct {
  ImsRoomRecord *room;
  ImsSessionRecord *session;
  const char *spool_prefix;
  GPtrArray *room_takes; /* the Recovery's */
  int cut;               /* recordings finalized */
} RoomRecovery;

static ImsRoomSegment *
find_segment(ImsRoomRecord *room, int index)
{
  for (guint i = 0; i < room->segments->len; i++) {
    ImsRoomSegment *segment = g_ptr_array_index(room->segments, i);
    if (segment->index == index)
      return segment;
  }
  return NULL;
}

static ImsTake *
find_take(ImsSessionRecord *session, const char *take_id)
{
  for (guint i = 0; take_id && i < session->takes->len; i++) {
    ImsTake *take = g_ptr_array_index(session->takes, i);
    if (g_strcmp0(take->id, take_id) == 0)
      return take;
  }
  return NULL;
}

/* Database thread, inside the room's transaction: each of our recordings
 * left RECORDING becomes final as a cut take does (interrupted with the size
 * of its file and a duration from its segment's start to the file's last
 * write; failed without a file), and the open segment closes at the last
 * write of its files (its start if none), its take failed if it never had a
 * file.  The candidate's take of a cut file was finalized, and announced,
 * by the takes' recovery before. */
static gboolean
recover_room_rows(ImsStore *store, gpointer data, GError **error)
{
  RoomRecovery *recovery = data;
  ImsRoomRecord *room = recovery->room;
  GPtrArray *segments = room->segments;
  ImsRoomSegment *open = segments->len ? g_ptr_array_index(segments, segments->len - 1) : NULL;
  if (open && open->ended_at != 0)
    open = NULL;
  gint64 closed_at = open ? open->started_at : 0;
  for (guint i = 0; i < room->recordings->len; i++) {
    ImsRoomRecording *recording = g_ptr_array_index(room->recordings, i);
    if (recording->status != IMS_TAKE_RECORDING || !recording->path ||
        !g_str_has_prefix(recording->path, recovery->spool_prefix))
      continue;
    const ImsRoomSegment *segment = find_segment(room, recording->segment);
    struct stat st;
    gboolean on_disk = stat(recording->path, &st) == 0 && st.st_size > 0;
    recording->status = on_disk ? IMS_TAKE_INTERRUPTED : IMS_TAKE_FAILED;
    recording->size_bytes = on_disk ? (gint64) st.st_size : 0;
    recording->duration_ms = on_disk && segment ? estimate_duration_ms(segment->started_at, &st) : 0;
    if (!store->rooms.update_recording(store, recording, error))
      return FALSE;
    if (on_disk && open && recording->segment == open->index)
      closed_at = MAX(closed_at, last_write_us(&st));
    const ImsTake *take = segment ? find_take(recovery->session, segment->take_id) : NULL;
    if (on_disk && take && g_strcmp0(take->path, recording->path) == 0)
      g_ptr_array_add(recovery->room_takes, g_strdup(recording->path));
    recovery->cut++;
  }
  if (!open)
    return TRUE;
  open->ended_at = MAX(closed_at, open->started_at + 1);
  if (!store->rooms.finish_segment(store, room->id, open->index, open->ended_at, error))
    return FALSE;
  ImsTake *take = find_take(recovery->session, open->take_id);
  if (take && take->status == IMS_TAKE_RECORDING && (!take->path || !*take->path)) {
    take->status = IMS_TAKE_FAILED;
    take->stopped_at = open->ended_at;
    g_free(take->stop_reason);
    take->stop_reason = g_strdup("no_media");
    if (!store->sessions.update_take(store, take, error))
      return FALSE;
  }
  return TRUE;
}

/* Database thread: each live room with a recording of ours left RECORDING,
 * one transaction per room (a run retried lists only the rooms still open).
 * The room stays live: its members rejoin into a new segment. */
static gboolean
recover_rooms(Recovery *recovery, ImsStore *store, GError **error)
{
  g_autoptr(GPtrArray) room_ids = store->rooms.list_rooms_to_recover(store, recovery->spool_prefix,
                                                                     error);
  if (!room_ids)
    return FALSE;
  for (guint i = 0; i < room_ids->len; i++) {
    const char *room_id = g_ptr_array_index(room_ids, i);
    g_autoptr(ImsRoomRecord) room = store->rooms.load_room(store, room_id, error);
    g_autoptr(ImsSessionRecord) session = room ? store->sessions.load_session(store, room->session_id,
                                                                              error)
                                               : NULL;
    RoomRecovery rows = { room, session, recovery->spool_prefix, recovery->room_takes, 0 };
    if (!session || !ims_store_change_atomic(store, recover_room_rows, &rows, NULL, error)) {
      g_prefix_error(error, "room %s: cannot finalize the recordings left open: ", room_id);
      return FALSE;
    }
    ims_log_session(G_LOG_LEVEL_MESSAGE, room_id, NULL,
                    "%d room recording(s) cut by a crash; kept as interrupted, the room stays live",
                    rows.cut);
  }
  return TRUE;
}

/* Database thread: the takes first (a cut candidate file is a take, announced
 * once), then the rooms' other rows. */
static gboolean
run_recovery(ImsStore *store, gpointer data, GError **error)
{
  Recovery *recovery = data;
  return recover_takes(recovery, store, error) && recover_rooms(recovery, store, error);
}

static void
on_recovered(gpointer data, const GError *error)
{
  Recovery *recovery = data;
  if (error)
    g_warning("cannot recover takes left open: %s", error->message);
  for (guint i = 0; recovery->keep_room_take && i < recovery->room_takes->len; i++)
    recovery->keep_room_take(g_ptr_array_index(recovery->room_takes, i), recovery->done_data);
  if (recovery->done)
    recovery->done(recovery->done_data);
}

void
ims_recovery_start(ImsDatabase *database, const char *spool_dir,
                   ImsRecoveryKeepFunc keep_room_take, ImsDoneFunc done, gpointer user_data)
{
  Recovery *recovery = g_new0(Recovery, 1);
  recovery->spool_prefix = g_strconcat(spool_dir, G_DIR_SEPARATOR_S, NULL);
  recovery->room_takes = g_ptr_array_new_with_free_func(g_free);
  recovery->keep_room_take = keep_room_take;
  recovery->done = done;
  recovery->done_data = user_data;
  ims_database_submit(database, IMS_DATABASE_WRITE, "recover takes left open", run_recovery,
                      on_recovered, recovery, (GDestroyNotify) recovery_free);
}
