/* Unit tests for server/privacy/retention.c: which companies' media a sweep lists
 * and at what age, how it erases them (session by session, reason
 * retention), and that a failed erasure is picked up by the next sweep.
 *
 * The store and the object store are fakes (privacy-fakes.h); the database
 * thread, the eraser and the job's one-second timer are real.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "payloads.h"
#include "privacy-fakes.h"
#include "retention.h"

typedef struct {
  ImsFakeStore store;
  ImsFakeObjects objects;
  ImsDatabase *database;
  ImsRetention *retention;
} Fixture;

static int
setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  ims_fake_store_init(&f->store);
  ims_fake_objects_init(&f->objects);
  f->database = ims_database_new(&f->store.base, NULL);
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *f = *state;
  ims_retention_free(f->retention);
  assert_true(ims_database_flush(f->database, 5000));
  ims_database_free(f->database);
  ims_fake_store_clear(&f->store);
  ims_fake_objects_clear(&f->objects);
  g_free(f);
  return 0;
}

/* Expired files of company ("*": the rest), each "file:session:user". */
static void
expire_files(Fixture *f, const char *company, const char *const *files)
{
  GPtrArray *listed = g_ptr_array_new_with_free_func((GDestroyNotify) ims_media_file_free);
  GPtrArray *users = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; files[i]; i++) {
    g_auto(GStrv) parts = g_strsplit(files[i], ":", 3);
    g_ptr_array_add(listed, ims_fake_media_file(parts[0], parts[1], 100));
    g_ptr_array_add(users, g_strdup(parts[2]));
  }
  g_hash_table_insert(f->store.expired_files, g_strdup(company), listed);
  g_hash_table_insert(f->store.expired_users, g_strdup(company), users);
}

/* Runs the loop until the store has logged commits + rollbacks commits (or
 * more) and the job has nothing in flight, for at most timeout_ms. */
static gboolean
wait_for_transactions(Fixture *f, guint transactions, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
  while (g_get_monotonic_time() < deadline) {
    if (ims_fake_store_count(&f->store, "commit") >= transactions &&
        ims_retention_running(f->retention) == 0)
      return TRUE;
    g_main_context_iteration(NULL, FALSE) || (g_usleep(2000), TRUE);
  }
  return FALSE;
}

/* Nothing to do: no default and no company with a positive number of days. */
static void
test_no_retention_no_job(void **state)
{
  Fixture *f = *state;
  GError *error = NULL;
  assert_null(ims_retention_new(f->database, &f->objects.base, 0, NULL, 1, &error));
  assert_null(error);
  assert_null(ims_retention_new(f->database, &f->objects.base, 0, " acme=0 ; ", 1, &error));
  assert_null(error);
  assert_int_equal(ims_retention_running(NULL), 0);
}

/* A malformed by_company is refused with a message naming the item. */
static void
test_malformed_by_company_refused(void **state)
{
  Fixture *f = *state;
  const char *bad[] = { "acme", "=30", "acme=", "acme=x", "acme=-1", "acme=36501", "a=1;beta" };
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    GError *error = NULL;
    assert_null(ims_retention_new(f->database, &f->objects.base, 30, bad[i], 1, &error));
    assert_non_null(error);
    assert_true(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT));
    assert_non_null(strstr(error->message, "retention_days_by_company"));
    g_clear_error(&error);
  }
}

/* A sweep lists each company with its own days, then every other company
 * with the default (those with their own retention excluded, a company with 0
 * days never swept), and erases what it found session by session: S3, the
 * rows, one media.deleted per object with reason retention and the session
 * as correlation id. */
static void
test_sweep_lists_by_company_and_erases_by_session(void **state)
{
  Fixture *f = *state;
  expire_files(f, "acme", (const char *const[]){ "f1:s1:u1", "f2:s1:u1", "f3:s2:u2", NULL });
  expire_files(f, "*", (const char *const[]){ "f4:s3:u3", NULL });
  expire_files(f, "beta", (const char *const[]){ "f9:s9:u9", NULL });
  GError *error = NULL;
  f->retention = ims_retention_new(f->database, &f->objects.base, 30, "acme=7; beta=0", 1, &error);
  assert_non_null(f->retention);
  assert_null(error);
  assert_true(wait_for_transactions(f, 3, 5000));

  assert_int_equal(
      ims_fake_store_count(&f->store, "list_expired acme excluding [acme,beta] 7 days"), 1);
  assert_int_equal(ims_fake_store_count(&f->store, "list_expired * excluding [acme,beta] 30 days"),
                   1);
  assert_int_equal(ims_fake_store_count(&f->store, "list_expired beta"), 0);
  assert_int_equal(ims_fake_store_count(&f->store, "list_expired"), 2);
  assert_int_equal(ims_fake_store_count(&f->store, "begin"), 3);
  const char *keys[] = { "k-f1", "k-f2", "k-f3", "k-f4" };
  for (guint i = 0; i < G_N_ELEMENTS(keys); i++)
    assert_true(ims_fake_objects_deleted(&f->objects, keys[i]));
  assert_false(ims_fake_objects_deleted(&f->objects, "k-f9"));
  g_autofree char *log = ims_fake_store_log(&f->store);
  assert_non_null(
      strstr(log, "begin|mark_media_deleted f1|mark_media_deleted f2|append_events 2|commit"));
  assert_non_null(strstr(log, "begin|mark_media_deleted f3|append_events 1|commit"));
  assert_non_null(strstr(log, "begin|mark_media_deleted f4|append_events 1|commit"));

  assert_int_equal(f->store.events->len, 4);
  for (guint i = 0; i < f->store.events->len; i++) {
    g_autofree char *file = ims_fake_event_field(&f->store, i, "payload.fileId");
    g_autofree char *user = ims_fake_event_field(&f->store, i, "payload.userId");
    g_autofree char *reason = ims_fake_event_field(&f->store, i, "payload.reason");
    g_autofree char *correlation = ims_fake_event_field(&f->store, i, "correlationId");
    assert_string_equal(reason, IMS_DELETE_REASON_RETENTION);
    const char *session = g_str_equal(file, "f4") ? "s3" : g_str_equal(file, "f3") ? "s2" : "s1";
    const char *owner = g_str_equal(file, "f4") ? "u3" : g_str_equal(file, "f3") ? "u2" : "u1";
    assert_string_equal(correlation, session);
    assert_string_equal(user, owner);
  }
}

/* A session whose S3 delete fails keeps its rows and is erased by the next
 * sweep; the other sessions of the sweep are erased at once. */
static void
test_failed_session_erased_by_next_sweep(void **state)
{
  Fixture *f = *state;
  expire_files(f, "*", (const char *const[]){ "f1:s1:u1", "f2:s2:u2", NULL });
  ims_fake_objects_refuse(&f->objects, "k-f2", 1);
  GError *error = NULL;
  f->retention = ims_retention_new(f->database, &f->objects.base, 30, NULL, 1, &error);
  assert_non_null(f->retention);
  assert_true(wait_for_transactions(f, 1, 5000));
  assert_int_equal(ims_fake_store_count(&f->store, "mark_media_deleted f2"), 0);
  assert_int_equal(ims_fake_store_count(&f->store, "list_expired"), 1);

  assert_true(wait_for_transactions(f, 3, 5000));
  assert_int_equal(ims_fake_store_count(&f->store, "list_expired"), 2);
  assert_int_equal(ims_fake_store_count(&f->store, "mark_media_deleted f2"), 1);
  assert_true(ims_fake_objects_deleted(&f->objects, "k-f2"));
}

/* A live room (ROOM, of the candidate session SESSION) whose recordings are in spool/SESSION/. */
#define ROOM "7e0c5a1b-2d3f-4a5b-9c6d-0e1f2a3b4c5d"
#define SESSION "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
static char *room_spool; /* the spool of the test's room */

/* sessions.load_session: SESSION is ROOM's candidate session, any other one-way. */
static ImsSessionRecord *
fake_load_session(ImsStore *base, const char *session_id, GError **error)
{
  if (!ims_fake_store_record((ImsFakeStore *) base, error, "load_session %s", session_id))
    return NULL;
  ImsSessionRecord *session = ims_session_record_new();
  session->id = g_strdup(session_id);
  session->room_id = g_str_equal(session_id, SESSION) ? g_strdup(ROOM) : NULL;
  return session;
}

/* rooms.load_room: ROOM with a recording per file name in spool/SESSION/ (and one whose file never
 * opened: path empty). */
static ImsRoomRecord *
fake_load_room(ImsStore *base, const char *room_id, GError **error)
{
  if (!ims_fake_store_record((ImsFakeStore *) base, error, "load_room %s", room_id))
    return NULL;
  ImsRoomRecord *room = ims_room_record_new();
  room->id = g_strdup(room_id);
  room->session_id = g_strdup(SESSION);
  const char *names[] = { "cand-0.mkv", "take-1.mkv", "screen-1.mkv", NULL };
  for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
    ImsRoomRecording *recording = ims_room_recording_new();
    recording->id = g_strdup_printf("r%u", i);
    recording->segment = (int) i;
    recording->path = names[i] ? g_build_filename(room_spool, SESSION, names[i], NULL) : g_strdup("");
    g_ptr_array_add(room->recordings, recording);
  }
  return room;
}

/* A live room's objects expire as the takes' do (S3, rows, media.deleted with reason retention), and
 * what the room left in the spool goes with them: every recording's file, a candidate take's
 * ".composite" link, composite-<room>.mp4 and the session's folder.  A one-way session's
 * objects read no room. */
static void
test_room_objects_expire_with_their_spool_files(void **state)
{
  Fixture *f = *state;
  f->store.base.sessions.load_session = fake_load_session;
  f->store.base.rooms.load_room = fake_load_room;
  room_spool = g_dir_make_tmp("test-retention-XXXXXX", NULL);
  g_autofree char *folder = g_build_filename(room_spool, SESSION, NULL);
  assert_int_equal(g_mkdir(folder, 0700), 0);
  const char *names[] = { SESSION "/cand-0.mkv", SESSION "/take-1.mkv",
                          SESSION "/take-1.mkv.composite", SESSION "/screen-1.mkv",
                          "composite-" ROOM ".mp4" };
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
    g_ptr_array_add(paths, g_build_filename(room_spool, names[i], NULL));
    assert_true(g_file_set_contents(g_ptr_array_index(paths, i), "media", -1, NULL));
  }
  expire_files(f, "*",
               (const char *const[]){ "f1:s1:u1", "f9:" SESSION ":u-cand", "r0:" SESSION ":u-cand",
                                      "r2:" SESSION ":u-cand", ROOM ":" SESSION ":u-cand", NULL });
  GPtrArray *listed = g_hash_table_lookup(f->store.expired_files, "*");
  for (guint i = 2; i < listed->len; i++) {
    ImsMediaFile *file = g_ptr_array_index(listed, i);
    g_free(file->kind);
    file->kind = g_strdup(i == 4 ? "composite" : "room-recording");
  }
  GError *error = NULL;
  f->retention = ims_retention_new(f->database, &f->objects.base, 30, NULL, 1, &error);
  assert_non_null(f->retention);
  assert_true(wait_for_transactions(f, 2, 5000));

  const char *keys[] = { "k-f9", "k-r0", "k-r2", "k-" ROOM };
  for (guint i = 0; i < G_N_ELEMENTS(keys); i++)
    assert_true(ims_fake_objects_deleted(&f->objects, keys[i]));
  g_autofree char *log = ims_fake_store_log(&f->store);
  assert_non_null(strstr(log, "begin|mark_media_deleted f9|mark_media_deleted r0|"
                              "mark_media_deleted r2|mark_media_deleted " ROOM
                              "|append_events 4|commit"));
  assert_int_equal(ims_fake_store_count(&f->store, "load_session " SESSION), 1);
  assert_int_equal(ims_fake_store_count(&f->store, "load_session"), 1); /* not s1's */
  assert_int_equal(f->store.events->len, 5);
  for (guint i = 1; i < f->store.events->len; i++) {
    g_autofree char *reason = ims_fake_event_field(&f->store, i, "payload.reason");
    g_autofree char *user = ims_fake_event_field(&f->store, i, "payload.userId");
    assert_string_equal(reason, IMS_DELETE_REASON_RETENTION);
    assert_string_equal(user, "u-cand");
  }
  for (guint i = 0; i < paths->len; i++)
    if (g_file_test(g_ptr_array_index(paths, i), G_FILE_TEST_EXISTS))
      fail_msg("%s stays in the spool", (char *) g_ptr_array_index(paths, i));
  assert_false(g_file_test(folder, G_FILE_TEST_EXISTS));
  assert_true(g_file_test(room_spool, G_FILE_TEST_IS_DIR)); /* the spool itself stays */
  g_rmdir(room_spool);
  g_clear_pointer(&room_spool, g_free);
}

/* A sweep whose listing fails is repeated by the next one. */
static void
test_failed_listing_repeated(void **state)
{
  Fixture *f = *state;
  expire_files(f, "*", (const char *const[]){ "f1:s1:u1", NULL });
  f->store.fail_op = g_strdup("list_expired * excluding [] 30 days");
  GError *error = NULL;
  f->retention = ims_retention_new(f->database, &f->objects.base, 30, "", 1, &error);
  assert_non_null(f->retention);
  assert_true(wait_for_transactions(f, 1, 5000));
  assert_int_equal(ims_fake_store_count(&f->store, "list_expired * excluding [] 30 days FAILED"), 1);
  assert_int_equal(ims_fake_store_count(&f->store, "mark_media_deleted f1"), 1);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_no_retention_no_job, setup, teardown),
    cmocka_unit_test_setup_teardown(test_malformed_by_company_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(test_sweep_lists_by_company_and_erases_by_session, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_failed_session_erased_by_next_sweep, setup, teardown),
    cmocka_unit_test_setup_teardown(test_failed_listing_repeated, setup, teardown),
    cmocka_unit_test_setup_teardown(test_room_objects_expire_with_their_spool_files, setup,
                                    teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
