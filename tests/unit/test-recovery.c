/* Unit tests for server/interview/recovery.c: the takes a previous run left
 * recording.
 *
 * The store is faked at its seam (sessions.list_open_takes, update_take,
 * load_session, the transaction and its events) behind a real ImsDatabase; the takes' files are real files in a temporary
 * spool, so the recovered sizes are the files' sizes.
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

#include "recovery.h"

#define SESSION_ID "6f1c0b3e-7a0d-4a52-9d3c-0c1f7a2b9e11"

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
  return record;
}

static gboolean
fake_begin(ImsStore *base, GError **error)
{
  FakeStore *store = (FakeStore *) base;
  g_ptr_array_set_size(store->pending, 0);
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
  return TRUE;
}

static void
fake_rollback(ImsStore *base)
{
  FakeStore *store = (FakeStore *) base;
  g_ptr_array_set_size(store->pending, 0);
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

/* No live room here (test-recovery-rooms.c has them). */
static GPtrArray *
fake_list_rooms_to_recover(ImsStore *base, const char *path_prefix, GError **error)
{
  return g_ptr_array_new_with_free_func(g_free);
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
recover(Fixture *f)
{
  gint64 before = g_get_real_time();
  ims_recovery_start(f->database, f->spool, NULL, on_done, f);
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
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
