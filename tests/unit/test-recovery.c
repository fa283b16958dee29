/* Unit tests for server/interview/recovery.c: the takes (and the live rooms'
 * recordings, docs/live-rooms.md "Crash") a previous run left recording.
 *
 * The store is faked at its seam (sessions.list_open_takes, update_take,
 * load_session, the transaction and its events) behind a real ImsDatabase; the takes' files are real files in a temporary
 * spool, so the recovered sizes are the files' sizes.  The rooms' ops
 * (rooms.list_rooms_to_recover, load_room, update_recording, finish_segment)
 * answer one room, if a test adds it; its files get their last write times
 * set, so durations and the segment's end are the files'.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include <glib/gstdio.h>
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "recovery.h"

#define SESSION_ID "6f1c0b3e-7a0d-4a52-9d3c-0c1f7a2b9e11"
#define ROOM_ID "0c6b7b1e-3a51-4d47-9a0e-2f7c1d9e4a01"
#define SEGMENT_START (G_GINT64_CONSTANT(1700000000) * G_USEC_PER_SEC)

typedef struct {
  ImsStore base;
  GPtrArray *takes;       /* ImsTake*: the rows, open or not */
  gint lists;             /* atomic: list_open_takes calls */
  gint unreachable_lists; /* atomic: that many lists fail as if the server were down */
  gboolean refuse_list;   /* list_open_takes fails with a query error */
  char *refuse_update;    /* update_take of this take id fails */
  GPtrArray *pending;     /* ImsOutboxEvent*: appended in the open transaction */
  GPtrArray *events;      /* ImsOutboxEvent*: committed */
  int loads;              /* load_session calls */
  ImsRoomRecord *room;    /* the stored live room, or NULL */
  gboolean in_transaction;
  int room_writes_outside; /* room rows changed outside a transaction */
} FakeStore;

static ImsSessionRecord *
fake_load_session(ImsStore *base, const char *session_id, GError **error)
{
  FakeStore *store = (FakeStore *) base;
  store->loads++;
  ImsSessionRecord *record = ims_session_record_new();
  record->id = g_strdup(session_id);
  record->interview_id = g_strdup("interview-1");
  record->user_id = g_strdup("user-1");
  g_ptr_array_add(record->questions, ims_question_new("q-1", "First?", 60));
  g_ptr_array_add(record->questions, ims_question_new("q-2", "Second?", 60));
  for (guint i = 0; i < store->takes->len; i++) {
    const ImsTake *take = g_ptr_array_index(store->takes, i);
    if (g_strcmp0(take->session_id, session_id) == 0)
      g_ptr_array_add(record->takes, ims_take_copy(take));
  }
  return record;
}

static gboolean
fake_begin(ImsStore *base, GError **error)
{
  FakeStore *store = (FakeStore *) base;
  g_ptr_array_set_size(store->pending, 0);
  store->in_transaction = TRUE;
  return TRUE;
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

static GPtrArray *
fake_list_open_takes(ImsStore *base, GError **error)
{
  FakeStore *store = (FakeStore *) base;
  g_atomic_int_inc(&store->lists);
  if (g_atomic_int_get(&store->unreachable_lists) > 0) {
    g_atomic_int_add(&store->unreachable_lists, -1);
    g_set_error_literal(error, IMS_STORE_ERROR, IMS_STORE_ERROR_CONNECT, "connection refused");
    return NULL;
  }
  if (store->refuse_list) {
    g_set_error_literal(error, IMS_STORE_ERROR, IMS_STORE_ERROR_QUERY, "relation does not exist");
    return NULL;
  }
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
  if (g_strcmp0(take->id, store->refuse_update) == 0) {
    g_set_error_literal(error, IMS_STORE_ERROR, IMS_STORE_ERROR_QUERY, "check constraint");
    return FALSE;
  }
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

/* The prefix must be the spool with its separator: recovery only lists its own. */
static GPtrArray *
fake_list_rooms_to_recover(ImsStore *base, const char *path_prefix, GError **error)
{
  FakeStore *store = (FakeStore *) base;
  GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; store->room && i < store->room->recordings->len; i++) {
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
  /* the fixture owns the fake */
}

typedef struct {
  FakeStore store;
  ImsDatabase *database;
  char *root; /* temporary: spool/ (ours) and spool-other/ (another instance's) */
  char *spool;
  int done;               /* done calls */
  int takes_open_at_done; /* RECORDING rows when done ran */
  GPtrArray *kept;        /* char*: the paths keep_room_take was told, this run */
  int done_before;        /* done calls before this run */
} Fixture;

static int
setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  f->store.base.ping = fake_ping;
  f->store.base.free = fake_store_free;
  f->store.base.sessions.list_open_takes = fake_list_open_takes;
  f->store.base.sessions.update_take = fake_update_take;
  f->store.base.sessions.load_session = fake_load_session;
  f->store.base.rooms.list_rooms_to_recover = fake_list_rooms_to_recover;
  f->store.base.rooms.load_room = fake_load_room;
  f->store.base.rooms.update_recording = fake_update_recording;
  f->store.base.rooms.finish_segment = fake_finish_segment;
  f->kept = g_ptr_array_new_with_free_func(g_free);
  f->store.base.begin = fake_begin;
  f->store.base.commit = fake_commit;
  f->store.base.rollback = fake_rollback;
  f->store.base.append_events = fake_append_events;
  f->store.pending = g_ptr_array_new_with_free_func((GDestroyNotify) ims_outbox_event_free);
  f->store.events = g_ptr_array_new_with_free_func((GDestroyNotify) ims_outbox_event_free);
  f->store.takes = g_ptr_array_new_with_free_func((GDestroyNotify) ims_take_free);
  f->database = ims_database_new(&f->store.base, NULL);
  f->root = g_dir_make_tmp("imsd-test-recovery-XXXXXX", NULL);
  f->spool = g_build_filename(f->root, "spool", NULL);
  g_autofree char *other = g_build_filename(f->root, "spool-other", NULL);
  assert_int_equal(g_mkdir(f->spool, 0700), 0);
  assert_int_equal(g_mkdir(other, 0700), 0);
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
  g_ptr_array_unref(f->store.takes);
  g_ptr_array_unref(f->store.pending);
  g_ptr_array_unref(f->store.events);
  g_free(f->store.refuse_update);
  g_clear_pointer(&f->store.room, ims_room_record_free);
  g_ptr_array_unref(f->kept);
  g_free(f);
  return 0;
}

/* A take row in folder (under root) with status; with bytes >= 0 its file
 * is written with that many bytes, else it has none. */
static ImsTake *
add_take(Fixture *f, const char *id, const char *folder, ImsTakeStatus status, gssize bytes)
{
  ImsTake *take = ims_take_new();
  take->id = g_strdup(id);
  take->session_id = g_strdup(SESSION_ID);
  take->question_index = 1;
  take->number = 2;
  take->status = status;
  g_autofree char *name = g_strconcat(id, ".mkv", NULL);
  take->path = g_build_filename(f->root, folder, name, NULL);
  take->started_at = g_get_real_time() - 60 * G_USEC_PER_SEC;
  take->stop_reason = status == IMS_TAKE_RECORDING ? NULL : g_strdup("candidate");
  if (bytes >= 0) {
    g_autofree char *contents = g_malloc0(bytes + 1);
    assert_true(g_file_set_contents(take->path, contents, bytes, NULL));
  }
  g_ptr_array_add(f->store.takes, take);
  return take;
}

static const ImsTake *
stored_take(Fixture *f, const char *id)
{
  for (guint i = 0; i < f->store.takes->len; i++) {
    const ImsTake *take = g_ptr_array_index(f->store.takes, i);
    if (g_str_equal(take->id, id))
      return take;
  }
  fail_msg("no take %s", id);
  return NULL;
}

static void
on_done(gpointer data)
{
  Fixture *f = data;
  f->done++;
  f->takes_open_at_done = 0;
  for (guint i = 0; i < f->store.takes->len; i++)
    f->takes_open_at_done += ((ImsTake *) g_ptr_array_index(f->store.takes, i))->status ==
                             IMS_TAKE_RECORDING;
}

static void
on_keep(const char *path, gpointer data)
{
  Fixture *f = data;
  assert_int_equal(f->done, f->done_before); /* before done: before the processor scans */
  g_ptr_array_add(f->kept, g_strdup(path));
}

static void
recover(Fixture *f)
{
  gint64 before = g_get_real_time();
  f->done_before = f->done;
  g_ptr_array_set_size(f->kept, 0);
  ims_recovery_start(f->database, f->spool, on_keep, on_done, f);
  assert_int_equal(f->done, 0); /* queued, never run at once */
  assert_true(ims_database_flush(f->database, 10000));
  for (guint i = 0; i < f->store.takes->len; i++) {
    const ImsTake *take = g_ptr_array_index(f->store.takes, i);
    if (take->status == IMS_TAKE_INTERRUPTED && g_strcmp0(take->stop_reason, "crash") == 0)
      assert_true(take->stopped_at >= before);
  }
}

static void
test_open_takes_of_our_spool_become_interrupted(void **state)
{
  Fixture *f = *state;
  add_take(f, "t-ours", "spool", IMS_TAKE_RECORDING, 4096);
  add_take(f, "t-done", "spool", IMS_TAKE_COMPLETED, 100);
  recover(f);
  const ImsTake *take = stored_take(f, "t-ours");
  assert_int_equal(take->status, IMS_TAKE_INTERRUPTED);
  assert_string_equal(take->stop_reason, "crash");
  assert_int_equal(take->size_bytes, 4096);
  assert_int_equal(take->question_index, 1);
  assert_int_equal(take->number, 2);
  /* a finished take is left as it was */
  assert_int_equal(stored_take(f, "t-done")->status, IMS_TAKE_COMPLETED);
  assert_string_equal(stored_take(f, "t-done")->stop_reason, "candidate");
  assert_int_equal(stored_take(f, "t-done")->stopped_at, 0);
  assert_int_equal(f->done, 1);
  assert_int_equal(f->takes_open_at_done, 0);
}

/* Another instance's spool, even one whose name starts with ours, is not ours. */
static void
test_takes_of_another_spool_keep_recording(void **state)
{
  Fixture *f = *state;
  add_take(f, "t-other", "spool-other", IMS_TAKE_RECORDING, 10);
  add_take(f, "t-ours", "spool", IMS_TAKE_RECORDING, 10);
  recover(f);
  assert_int_equal(stored_take(f, "t-other")->status, IMS_TAKE_RECORDING);
  assert_null(stored_take(f, "t-other")->stop_reason);
  assert_int_equal(stored_take(f, "t-ours")->status, IMS_TAKE_INTERRUPTED);
  assert_int_equal(f->done, 1);
  assert_int_equal(f->takes_open_at_done, 1);
}

static void
test_a_take_without_its_file_is_kept_with_size_zero(void **state)
{
  Fixture *f = *state;
  ImsTake *take = add_take(f, "t-lost", "spool", IMS_TAKE_RECORDING, -1);
  take->size_bytes = 777; /* what a previous update said */
  recover(f);
  assert_int_equal(stored_take(f, "t-lost")->status, IMS_TAKE_INTERRUPTED);
  assert_int_equal(stored_take(f, "t-lost")->size_bytes, 0);
  /* no media, so no response is announced for it */
  assert_int_equal(f->store.events->len, 0);
  assert_int_equal(f->store.loads, 0);
}

/* The payload of the committed event i (transfer full). */
static JsonObject *
event_payload(Fixture *f, guint i, const char **event_type)
{
  assert_true(i < f->store.events->len);
  const ImsOutboxEvent *event = g_ptr_array_index(f->store.events, i);
  *event_type = event->event_type;
  g_autoptr(JsonNode) root = json_from_string(event->value, NULL);
  assert_non_null(root);
  return json_object_ref(json_object_get_object_member(json_node_get_object(root), "payload"));
}

/* A take a crash cut has media, so it is announced like a finished one, with
 * status interrupted, in the transaction that marks it; its duration is
 * estimated from its file's last write (processing measures it later). */
static void
test_a_recovered_take_is_announced_as_interrupted(void **state)
{
  Fixture *f = *state;
  ImsTake *take = add_take(f, "0d6f7a52-1c0b-4e3a-9d3c-7a2b9e110c1f", "spool", IMS_TAKE_RECORDING,
                           4096);
  add_take(f, "t-done", "spool", IMS_TAKE_COMPLETED, 100);
  /* the last write reached the disk 3.5 s after the take started */
  gint64 written = take->started_at + 3500 * 1000;
  struct timespec times[2] = { { written / G_USEC_PER_SEC, (written % G_USEC_PER_SEC) * 1000 },
                               { written / G_USEC_PER_SEC, (written % G_USEC_PER_SEC) * 1000 } };
  assert_int_equal(utimensat(AT_FDCWD, take->path, times, 0), 0);
  recover(f);

  assert_int_equal(f->store.events->len, 1);
  const char *type = NULL;
  g_autoptr(JsonObject) payload = event_payload(f, 0, &type);
  assert_string_equal(type, "candidate.response_submitted");
  assert_string_equal(json_object_get_string_member(payload, "status"), "interrupted");
  assert_string_equal(json_object_get_string_member(payload, "sessionId"), SESSION_ID);
  assert_string_equal(json_object_get_string_member(payload, "responseId"),
                      "0d6f7a52-1c0b-4e3a-9d3c-7a2b9e110c1f");
  assert_string_equal(json_object_get_string_member(payload, "mediaFileId"),
                      "0d6f7a52-1c0b-4e3a-9d3c-7a2b9e110c1f");
  assert_string_equal(json_object_get_string_member(payload, "questionId"), "q-2");
  assert_int_equal(json_object_get_int_member(payload, "take"), 2);
  assert_true(json_object_get_double_member(payload, "duration") == 3.5);
  const ImsTake *stored = stored_take(f, "0d6f7a52-1c0b-4e3a-9d3c-7a2b9e110c1f");
  assert_int_equal(stored->duration_ms, 3500);
}

/* Two cut takes of one session: one event each, the session read once. */
static void
test_each_recovered_take_is_announced_once(void **state)
{
  Fixture *f = *state;
  add_take(f, "1d6f7a52-1c0b-4e3a-9d3c-7a2b9e110c1f", "spool", IMS_TAKE_RECORDING, 10);
  add_take(f, "2d6f7a52-1c0b-4e3a-9d3c-7a2b9e110c1f", "spool", IMS_TAKE_RECORDING, 10);
  add_take(f, "3d6f7a52-1c0b-4e3a-9d3c-7a2b9e110c1f", "spool-other", IMS_TAKE_RECORDING, 10);
  recover(f);
  assert_int_equal(f->store.events->len, 2);
  assert_int_equal(f->store.loads, 1);
  for (guint i = 0; i < 2; i++) {
    const char *type = NULL;
    g_autoptr(JsonObject) payload = event_payload(f, i, &type);
    assert_string_equal(json_object_get_string_member(payload, "status"), "interrupted");
    assert_int_equal(json_object_get_string_member(payload, "responseId")[0], '1' + i);
  }
  /* a second start finds nothing open: nothing is announced twice */
  ims_recovery_start(f->database, f->spool, NULL, on_done, f);
  assert_true(ims_database_flush(f->database, 10000));
  assert_int_equal(f->done, 2);
  assert_int_equal(f->store.events->len, 2);
}

static void
test_nothing_left_open_still_calls_done(void **state)
{
  Fixture *f = *state;
  recover(f);
  assert_int_equal(f->done, 1);
  assert_int_equal(g_atomic_int_get(&f->store.lists), 1);
}

/* A write: while the database is away it waits for it and runs again. */
static void
test_recovery_waits_for_the_database(void **state)
{
  Fixture *f = *state;
  add_take(f, "t-ours", "spool", IMS_TAKE_RECORDING, 10);
  g_atomic_int_set(&f->store.unreachable_lists, 2);
  recover(f);
  assert_int_equal(g_atomic_int_get(&f->store.lists), 3);
  assert_int_equal(stored_take(f, "t-ours")->status, IMS_TAKE_INTERRUPTED);
  assert_int_equal(f->done, 1);
}

/* An error of the database itself ends the recovery; done still runs (the
 * takes stay open for the next start). */
static void
test_a_refused_list_calls_done_and_changes_nothing(void **state)
{
  Fixture *f = *state;
  add_take(f, "t-ours", "spool", IMS_TAKE_RECORDING, 10);
  f->store.refuse_list = TRUE;
  recover(f);
  assert_int_equal(f->done, 1);
  assert_int_equal(stored_take(f, "t-ours")->status, IMS_TAKE_RECORDING);
}

static void
test_a_refused_update_stops_at_that_take(void **state)
{
  Fixture *f = *state;
  add_take(f, "t-first", "spool", IMS_TAKE_RECORDING, 10);
  add_take(f, "t-refused", "spool", IMS_TAKE_RECORDING, 10);
  add_take(f, "t-after", "spool", IMS_TAKE_RECORDING, 10);
  f->store.refuse_update = g_strdup("t-refused");
  recover(f);
  assert_int_equal(f->done, 1);
  assert_int_equal(stored_take(f, "t-first")->status, IMS_TAKE_INTERRUPTED);
  assert_int_equal(stored_take(f, "t-refused")->status, IMS_TAKE_RECORDING);
  assert_int_equal(stored_take(f, "t-after")->status, IMS_TAKE_RECORDING);
  /* the refused take's announcement went with its transaction */
  assert_int_equal(f->store.events->len, 1);
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
add_room_recording(Fixture *f, const char *id, int segment, const char *participant, const char *path,
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
add_room_take(Fixture *f, const char *path)
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
stored_recording(Fixture *f, const char *id)
{
  for (guint i = 0; i < f->store.room->recordings->len; i++) {
    const ImsRoomRecording *r = g_ptr_array_index(f->store.room->recordings, i);
    if (g_str_equal(r->id, id))
      return r;
  }
  fail_msg("no recording %s", id);
  return NULL;
}

/* A live room of SESSION_ID: the opening (closed), question 1's segment open
 * since SEGMENT_START with its take take-1. */
static void
add_live_room(Fixture *f)
{
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
  add_live_room(f);
  g_autofree char *cand = write_file(f, "spool", "q1-take1.mkv", 5000, 4);
  g_autofree char *inter = write_file(f, "spool", "room-s1-interviewer.mkv", 7000, 6);
  g_autofree char *opening = write_file(f, "spool", "room-s0-candidate.mkv", 900, -2);
  add_room_take(f, cand);
  add_room_recording(f, "r-cand", 1, "p-cand", cand, IMS_TAKE_RECORDING);
  add_room_recording(f, "r-int", 1, "p-int", inter, IMS_TAKE_RECORDING);
  ImsRoomRecording *done = add_room_recording(f, "r-opening", 0, "p-cand", opening, IMS_TAKE_COMPLETED);
  done->size_bytes = 900;
  done->duration_ms = 8000;
  recover(f);

  assert_int_equal(stored_recording(f, "r-cand")->status, IMS_TAKE_INTERRUPTED);
  assert_int_equal(stored_recording(f, "r-cand")->size_bytes, 5000);
  assert_int_equal(stored_recording(f, "r-cand")->duration_ms, 4000);
  assert_int_equal(stored_recording(f, "r-int")->status, IMS_TAKE_INTERRUPTED);
  assert_int_equal(stored_recording(f, "r-int")->size_bytes, 7000);
  assert_int_equal(stored_recording(f, "r-int")->duration_ms, 6000);
  /* a finished recording is left as it was */
  assert_int_equal(stored_recording(f, "r-opening")->status, IMS_TAKE_COMPLETED);
  assert_int_equal(stored_recording(f, "r-opening")->duration_ms, 8000);
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

  /* a second start: nothing left open, nothing repeated */
  g_ptr_array_set_size(f->kept, 0);
  f->done_before = f->done;
  ims_recovery_start(f->database, f->spool, on_keep, on_done, f);
  assert_true(ims_database_flush(f->database, 10000));
  assert_int_equal(f->done, 2);
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
  add_live_room(f);
  g_autofree char *gone = write_file(f, "spool", "room-s1-interviewer.mkv", -1, 0);
  g_autofree char *empty = write_file(f, "spool", "room-s1-screen.mkv", 0, 3);
  add_room_take(f, NULL);
  add_room_recording(f, "r-gone", 1, "p-int", gone, IMS_TAKE_RECORDING);
  add_room_recording(f, "r-empty", 1, "p-int", empty, IMS_TAKE_RECORDING);
  recover(f);
  assert_int_equal(stored_recording(f, "r-gone")->status, IMS_TAKE_FAILED);
  assert_int_equal(stored_recording(f, "r-empty")->status, IMS_TAKE_FAILED);
  assert_int_equal(stored_recording(f, "r-empty")->size_bytes, 0);
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
  add_live_room(f);
  g_autofree char *other = write_file(f, "spool-other", "room-s1-interviewer.mkv", 100, 2);
  add_room_recording(f, "r-other", 1, "p-int", other, IMS_TAKE_RECORDING);
  recover(f);
  assert_int_equal(stored_recording(f, "r-other")->status, IMS_TAKE_RECORDING);
  assert_int_equal(((ImsRoomSegment *) g_ptr_array_index(f->store.room->segments, 1))->ended_at, 0);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_open_takes_of_our_spool_become_interrupted, setup, teardown),
    cmocka_unit_test_setup_teardown(test_takes_of_another_spool_keep_recording, setup, teardown),
    cmocka_unit_test_setup_teardown(test_a_take_without_its_file_is_kept_with_size_zero, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_a_recovered_take_is_announced_as_interrupted, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_each_recovered_take_is_announced_once, setup, teardown),
    cmocka_unit_test_setup_teardown(test_nothing_left_open_still_calls_done, setup, teardown),
    cmocka_unit_test_setup_teardown(test_recovery_waits_for_the_database, setup, teardown),
    cmocka_unit_test_setup_teardown(test_a_refused_list_calls_done_and_changes_nothing, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_a_refused_update_stops_at_that_take, setup, teardown),
    cmocka_unit_test_setup_teardown(test_recordings_left_recording_are_finalized, setup, teardown),
    cmocka_unit_test_setup_teardown(test_recordings_without_media_fail, setup, teardown),
    cmocka_unit_test_setup_teardown(test_recordings_of_another_spool_are_left_alone, setup,
                                    teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
