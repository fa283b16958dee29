/* Unit tests for server/interview/recovery.c: the live rooms a previous run
 * left recording (docs/live-rooms.md, "Crash").
 *
 * The store is faked at its seam (rooms.list_rooms_to_recover, load_room,
 * update_recording, finish_segment; sessions.list_open_takes, load_session,
 * update_take; the transaction and its events) behind a real ImsDatabase;
 * keep_room_take and done are recorded; the recordings' files are real files in a temporary spool with the last
 * write times set, so sizes, durations and the segment's end are the files'.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include <glib/gstdio.h>
#include <sys/time.h>

#include "recovery.h"

#define ROOM_ID "0c6b7b1e-3a51-4d47-9a0e-2f7c1d9e4a01"
#define SESSION_ID "6f1c0b3e-7a0d-4a52-9d3c-0c1f7a2b9e11"
#define SEGMENT_START (G_GINT64_CONSTANT(1700000000) * G_USEC_PER_SEC)

typedef struct {
  ImsStore base;
  ImsRoomRecord *room;    /* the stored room */
  GPtrArray *takes;       /* ImsTake*: the session's rows */
  GPtrArray *pending;     /* ImsOutboxEvent*: appended in the open transaction */
  GPtrArray *events;      /* ImsOutboxEvent*: committed */
  gboolean in_transaction;
  int room_writes_outside; /* room rows changed outside a transaction */
} FakeStore;

static gboolean
fake_begin(ImsStore *base, GError **error)
{
  ((FakeStore *) base)->in_transaction = TRUE;
  return TRUE;
}

static gboolean
fake_commit(ImsStore *base, GError **error)
{
  FakeStore *store = (FakeStore *) base;
  for (guint i = 0; i < store->pending->len; i++)
    g_ptr_array_add(store->events, g_steal_pointer(&g_ptr_array_index(store->pending, i)));
  g_ptr_array_set_size(store->pending, 0);
  store->in_transaction = FALSE;
  return TRUE;
}

static void
fake_rollback(ImsStore *base)
{
  FakeStore *store = (FakeStore *) base;
  g_ptr_array_set_size(store->pending, 0);
  store->in_transaction = FALSE;
}

static gboolean
fake_append_events(ImsStore *base, const GPtrArray *events, GError **error)
{
  FakeStore *store = (FakeStore *) base;
  for (guint i = 0; i < events->len; i++) {
    const ImsOutboxEvent *event = g_ptr_array_index(events, i);
    g_ptr_array_add(store->pending, ims_outbox_event_new(event->event_id, event->event_type,
                                                         event->topic, event->key, event->value));
  }
  return TRUE;
}

static GPtrArray *
fake_list_open_takes(ImsStore *base, GError **error)
{
  FakeStore *store = (FakeStore *) base;
  GPtrArray *open = g_ptr_array_new_with_free_func((GDestroyNotify) ims_take_free);
  for (guint i = 0; i < store->takes->len; i++) {
    ImsTake *take = g_ptr_array_index(store->takes, i);
    if (take->status == IMS_TAKE_RECORDING)
      g_ptr_array_add(open, ims_take_copy(take));
  }
  return open;
}

static gboolean
fake_update_take(ImsStore *base, const ImsTake *take, GError **error)
{
  FakeStore *store = (FakeStore *) base;
  for (guint i = 0; i < store->takes->len; i++) {
    ImsTake *stored = g_ptr_array_index(store->takes, i);
    if (g_str_equal(stored->id, take->id)) {
      g_ptr_array_index(store->takes, i) = ims_take_copy(take);
      ims_take_free(stored);
      return TRUE;
    }
  }
  fail_msg("update_take of an unknown take %s", take->id);
  return FALSE;
}

static ImsSessionRecord *
fake_load_session(ImsStore *base, const char *session_id, GError **error)
{
  FakeStore *store = (FakeStore *) base;
  assert_string_equal(session_id, SESSION_ID);
  ImsSessionRecord *record = ims_session_record_new();
  record->id = g_strdup(session_id);
  record->interview_id = g_strdup("interview-1");
  record->user_id = g_strdup("user-1");
  record->kind = IMS_SESSION_LIVE;
  g_ptr_array_add(record->questions, ims_question_new("q-1", "First?", 600));
  for (guint i = 0; i < store->takes->len; i++)
    g_ptr_array_add(record->takes, ims_take_copy(g_ptr_array_index(store->takes, i)));
  return record;
}

/* The prefix must be the spool with its separator: recovery only lists its own. */
static GPtrArray *
fake_list_rooms_to_recover(ImsStore *base, const char *path_prefix, GError **error)
{
  FakeStore *store = (FakeStore *) base;
  GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < store->room->recordings->len; i++) {
    const ImsRoomRecording *r = g_ptr_array_index(store->room->recordings, i);
    if (r->status == IMS_TAKE_RECORDING && g_str_has_prefix(r->path, path_prefix)) {
      g_ptr_array_add(ids, g_strdup(store->room->id));
      break;
    }
  }
  return ids;
}

static ImsRoomRecord *
fake_load_room(ImsStore *base, const char *room_id, GError **error)
{
  FakeStore *store = (FakeStore *) base;
  assert_string_equal(room_id, ROOM_ID);
  return ims_room_record_copy(store->room);
}

static gboolean
fake_update_recording(ImsStore *base, const ImsRoomRecording *recording, GError **error)
{
  FakeStore *store = (FakeStore *) base;
  store->room_writes_outside += !store->in_transaction;
  GPtrArray *recordings = store->room->recordings;
  for (guint i = 0; i < recordings->len; i++) {
    ImsRoomRecording *stored = g_ptr_array_index(recordings, i);
    if (g_str_equal(stored->id, recording->id)) {
      g_ptr_array_index(recordings, i) = ims_room_recording_copy(recording);
      ims_room_recording_free(stored);
      return TRUE;
    }
  }
  fail_msg("update_recording of an unknown recording %s", recording->id);
  return FALSE;
}

static gboolean
fake_finish_segment(ImsStore *base, const char *room_id, int index, gint64 ended_at,
                    GError **error)
{
  FakeStore *store = (FakeStore *) base;
  store->room_writes_outside += !store->in_transaction;
  ImsRoomSegment *segment = g_ptr_array_index(store->room->segments, index);
  segment->ended_at = ended_at;
  return TRUE;
}

static gboolean
fake_ping(ImsStore *base, GError **error)
{
  return TRUE;
}

static void
fake_store_free(ImsStore *base)
{
}

typedef struct {
  FakeStore store;
  ImsDatabase *database;
  char *root; /* temporary: spool/ (ours) and spool-other/ */
  char *spool;
  GPtrArray *kept; /* char*: the paths keep_room_take was told, this run */
  int done;
} Fixture;

static int
setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  ImsStore *base = &f->store.base;
  base->ping = fake_ping;
  base->free = fake_store_free;
  base->begin = fake_begin;
  base->commit = fake_commit;
  base->rollback = fake_rollback;
  base->append_events = fake_append_events;
  base->sessions.list_open_takes = fake_list_open_takes;
  base->sessions.update_take = fake_update_take;
  base->sessions.load_session = fake_load_session;
  base->rooms.list_rooms_to_recover = fake_list_rooms_to_recover;
  base->rooms.load_room = fake_load_room;
  base->rooms.update_recording = fake_update_recording;
  base->rooms.finish_segment = fake_finish_segment;
  f->store.pending = g_ptr_array_new_with_free_func((GDestroyNotify) ims_outbox_event_free);
  f->store.events = g_ptr_array_new_with_free_func((GDestroyNotify) ims_outbox_event_free);
  f->store.takes = g_ptr_array_new_with_free_func((GDestroyNotify) ims_take_free);
  f->root = g_dir_make_tmp("imsd-test-recovery-rooms-XXXXXX", NULL);
  f->spool = g_build_filename(f->root, "spool", NULL);
  g_autofree char *other = g_build_filename(f->root, "spool-other", NULL);
  assert_int_equal(g_mkdir(f->spool, 0700), 0);
  assert_int_equal(g_mkdir(other, 0700), 0);

  /* a live room: the opening (closed), question 1's segment open since SEGMENT_START */
  ImsRoomRecord *room = ims_room_record_new();
  room->id = g_strdup(ROOM_ID);
  room->session_id = g_strdup(SESSION_ID);
  room->state = IMS_ROOM_LIVE;
  room->started_at = SEGMENT_START - 10 * G_USEC_PER_SEC;
  ImsRoomSegment *opening = ims_room_segment_new();
  opening->index = 0;
  opening->started_at = room->started_at;
  opening->ended_at = SEGMENT_START;
  g_ptr_array_add(room->segments, opening);
  ImsRoomSegment *open = ims_room_segment_new();
  open->index = 1;
  open->question_index = 0;
  open->take_id = g_strdup("take-1");
  open->started_at = SEGMENT_START;
  g_ptr_array_add(room->segments, open);
  f->store.room = room;
  f->database = ims_database_new(base, NULL);
  f->kept = g_ptr_array_new_with_free_func(g_free);
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *f = *state;
  assert_true(ims_database_flush(f->database, 5000));
  ims_database_free(f->database);
  g_autofree char *command = g_strdup_printf("rm -rf '%s'", f->root);
  assert_int_equal(system(command), 0);
  g_free(f->root);
  g_free(f->spool);
  ims_room_record_free(f->store.room);
  g_ptr_array_unref(f->store.takes);
  g_ptr_array_unref(f->store.pending);
  g_ptr_array_unref(f->store.events);
  g_ptr_array_unref(f->kept);
  g_free(f);
  return 0;
}

/* A file of bytes (none if bytes < 0) under folder, last written at
 * written_s seconds after SEGMENT_START.  Transfer full. */
static char *
write_file(Fixture *f, const char *folder, const char *name, gssize bytes, int written_s)
{
  char *path = g_build_filename(f->root, folder, name, NULL);
  if (bytes < 0)
    return path;
  g_autofree char *contents = g_malloc0(bytes + 1);
  assert_true(g_file_set_contents(path, contents, bytes, NULL));
  struct timeval times[2] = { { SEGMENT_START / G_USEC_PER_SEC + written_s, 0 },
                              { SEGMENT_START / G_USEC_PER_SEC + written_s, 0 } };
  assert_int_equal(utimes(path, times), 0);
  return path;
}

static ImsRoomRecording *
add_recording(Fixture *f, const char *id, int segment, const char *participant, const char *path,
              ImsTakeStatus status)
{
  ImsRoomRecording *recording = ims_room_recording_new();
  recording->id = g_strdup(id);
  recording->segment = segment;
  recording->participant_id = g_strdup(participant);
  recording->stream = g_strdup("camera");
  recording->path = g_strdup(path);
  recording->status = status;
  g_ptr_array_add(f->store.room->recordings, recording);
  return recording;
}

/* The candidate's take of segment 1 (path NULL: it never had a file). */
static void
add_take(Fixture *f, const char *path)
{
  ImsTake *take = ims_take_new();
  take->id = g_strdup("take-1");
  take->session_id = g_strdup(SESSION_ID);
  take->question_index = 0;
  take->number = 1;
  take->status = IMS_TAKE_RECORDING;
  take->started_at = SEGMENT_START;
  take->path = g_strdup(path);
  g_ptr_array_add(f->store.takes, take);
}

static const ImsRoomRecording *
stored(Fixture *f, const char *id)
{
  for (guint i = 0; i < f->store.room->recordings->len; i++) {
    const ImsRoomRecording *r = g_ptr_array_index(f->store.room->recordings, i);
    if (g_str_equal(r->id, id))
      return r;
  }
  fail_msg("no recording %s", id);
  return NULL;
}

static void
on_keep(const char *path, gpointer data)
{
  Fixture *f = data;
  assert_int_equal(f->done, 0); /* before done: before the processor scans */
  g_ptr_array_add(f->kept, g_strdup(path));
}

static void
on_done(gpointer data)
{
  ((Fixture *) data)->done++;
}

static void
recover(Fixture *f)
{
  f->done = 0;
  g_ptr_array_set_size(f->kept, 0);
  ims_recovery_start(f->database, f->spool, on_keep, on_done, f);
  assert_true(ims_database_flush(f->database, 10000));
  while (g_main_context_iteration(NULL, FALSE))
    ;
  assert_int_equal(f->done, 1);
}

static int
count_responses(Fixture *f)
{
  int n = 0;
  for (guint i = 0; i < f->store.events->len; i++)
    n += g_str_equal(((ImsOutboxEvent *) g_ptr_array_index(f->store.events, i))->event_type,
                     "candidate.response_submitted");
  return n;
}

/* Every recording of ours left recording becomes interrupted with its
 * file's size and the time from its segment's start to its last write; the
 * open segment closes at the last write; the candidate's take is cut and
 * announced once, even when recovery runs again. */
static void
test_recordings_left_recording_are_finalized(void **state)
{
  Fixture *f = *state;
  g_autofree char *cand = write_file(f, "spool", "q1-take1.mkv", 5000, 4);
  g_autofree char *inter = write_file(f, "spool", "room-s1-interviewer.mkv", 7000, 6);
  g_autofree char *opening = write_file(f, "spool", "room-s0-candidate.mkv", 900, -2);
  add_take(f, cand);
  add_recording(f, "r-cand", 1, "p-cand", cand, IMS_TAKE_RECORDING);
  add_recording(f, "r-int", 1, "p-int", inter, IMS_TAKE_RECORDING);
  ImsRoomRecording *done = add_recording(f, "r-opening", 0, "p-cand", opening, IMS_TAKE_COMPLETED);
  done->size_bytes = 900;
  done->duration_ms = 8000;
  recover(f);

  assert_int_equal(stored(f, "r-cand")->status, IMS_TAKE_INTERRUPTED);
  assert_int_equal(stored(f, "r-cand")->size_bytes, 5000);
  assert_int_equal(stored(f, "r-cand")->duration_ms, 4000);
  assert_int_equal(stored(f, "r-int")->status, IMS_TAKE_INTERRUPTED);
  assert_int_equal(stored(f, "r-int")->size_bytes, 7000);
  assert_int_equal(stored(f, "r-int")->duration_ms, 6000);
  /* a finished recording is left as it was */
  assert_int_equal(stored(f, "r-opening")->status, IMS_TAKE_COMPLETED);
  assert_int_equal(stored(f, "r-opening")->duration_ms, 8000);
  const ImsRoomSegment *segment = g_ptr_array_index(f->store.room->segments, 1);
  assert_int_equal(segment->ended_at, SEGMENT_START + 6 * G_USEC_PER_SEC);
  const ImsRoomSegment *first = g_ptr_array_index(f->store.room->segments, 0);
  assert_int_equal(first->ended_at, SEGMENT_START);
  assert_int_equal(f->store.room->state, IMS_ROOM_LIVE);
  assert_int_equal(f->store.room_writes_outside, 0);
  const ImsTake *take = g_ptr_array_index(f->store.takes, 0);
  assert_int_equal(take->status, IMS_TAKE_INTERRUPTED);
  assert_string_equal(take->stop_reason, "crash");
  assert_int_equal(count_responses(f), 1);
  /* the candidate's take is kept for the composite, the interviewer's file is no take */
  assert_int_equal(f->kept->len, 1);
  assert_string_equal(g_ptr_array_index(f->kept, 0), cand);

  recover(f); /* nothing left open: nothing repeated */
  assert_int_equal(f->kept->len, 0);
  assert_int_equal(count_responses(f), 1);
  assert_int_equal(segment->ended_at, SEGMENT_START + 6 * G_USEC_PER_SEC);
}

/* A recording without a file (or an empty one) has no media: failed; the
 * segment's take that never had a file fails too (no_media), unannounced;
 * the segment closes at its start when nothing was written. */
static void
test_recordings_without_media_fail(void **state)
{
  Fixture *f = *state;
  g_autofree char *gone = write_file(f, "spool", "room-s1-interviewer.mkv", -1, 0);
  g_autofree char *empty = write_file(f, "spool", "room-s1-screen.mkv", 0, 3);
  add_take(f, NULL);
  add_recording(f, "r-gone", 1, "p-int", gone, IMS_TAKE_RECORDING);
  add_recording(f, "r-empty", 1, "p-int", empty, IMS_TAKE_RECORDING);
  recover(f);
  assert_int_equal(stored(f, "r-gone")->status, IMS_TAKE_FAILED);
  assert_int_equal(stored(f, "r-empty")->status, IMS_TAKE_FAILED);
  assert_int_equal(stored(f, "r-empty")->size_bytes, 0);
  const ImsTake *take = g_ptr_array_index(f->store.takes, 0);
  assert_int_equal(take->status, IMS_TAKE_FAILED);
  assert_string_equal(take->stop_reason, "no_media");
  assert_int_equal(count_responses(f), 0);
  assert_int_equal(f->kept->len, 0);
  const ImsRoomSegment *segment = g_ptr_array_index(f->store.room->segments, 1);
  assert_true(segment->ended_at > 0);
  assert_true(segment->ended_at <= SEGMENT_START + 1);
}

/* Another instance's spool (whose name starts with ours) is not ours: its
 * recordings and the room's segment are left alone. */
static void
test_recordings_of_another_spool_are_left_alone(void **state)
{
  Fixture *f = *state;
  g_autofree char *other = write_file(f, "spool-other", "room-s1-interviewer.mkv", 100, 2);
  add_recording(f, "r-other", 1, "p-int", other, IMS_TAKE_RECORDING);
  recover(f);
  assert_int_equal(stored(f, "r-other")->status, IMS_TAKE_RECORDING);
  assert_int_equal(((ImsRoomSegment *) g_ptr_array_index(f->store.room->segments, 1))->ended_at, 0);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_recordings_left_recording_are_finalized, setup, teardown),
    cmocka_unit_test_setup_teardown(test_recordings_without_media_fail, setup, teardown),
    cmocka_unit_test_setup_teardown(test_recordings_of_another_spool_are_left_alone, setup,
                                    teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
