/* Unit tests for server/privacy/user-events.c: user.deleted erases everything of the
 * user (live sessions ended, S3 objects, rows, media.deleted per object,
 * spool files) and user.logged_out ends the user's live sessions; both are
 * recorded in processed_events and a redelivered event is skipped.
 *
 * The store and the object store are fakes (privacy-fakes.h); the database
 * thread and the eraser are real; the spool files are real files in a
 * temporary directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "payloads.h"
#include "privacy-fakes.h"
#include "user-events.h"

typedef struct {
  ImsFakeStore store;
  ImsFakeObjects objects;
  ImsUserEvents users;
  GPtrArray *ended; /* char*: "u1 keep" / "u1 forget", in order */
  char *spool;      /* temporary directory */
  char *take_path;  /* a take file of u1 with its .renditions directory */
  int done;
  char *error_message;
} Fixture;

static void
end_user_sessions(const char *user_id, gboolean forget, gpointer data)
{
  Fixture *f = data;
  g_ptr_array_add(f->ended, g_strdup_printf("%s %s", user_id, forget ? "forget" : "keep"));
}

static int
setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  ims_fake_store_init(&f->store);
  ims_fake_objects_init(&f->objects);
  f->users.database = ims_database_new(&f->store.base, NULL);
  f->users.objects = &f->objects.base;
  f->users.end_user_sessions = end_user_sessions;
  f->users.data = f;
  f->ended = g_ptr_array_new_with_free_func(g_free);
  f->spool = g_dir_make_tmp("test-user-events-XXXXXX", NULL);
  assert_non_null(f->spool);
  f->take_path = g_build_filename(f->spool, "take-1.mkv", NULL);
  assert_true(g_file_set_contents(f->take_path, "mkv", -1, NULL));
  g_autofree char *renditions = g_strdup_printf("%s.renditions", f->take_path);
  assert_int_equal(g_mkdir(renditions, 0700), 0);
  g_autofree char *rendition = g_build_filename(renditions, "video.mp4", NULL);
  assert_true(g_file_set_contents(rendition, "mp4", -1, NULL));
  g_ptr_array_add(f->store.user_files, ims_fake_media_file("f1", "s1", 10));
  g_ptr_array_add(f->store.user_files, ims_fake_media_file("f2", "s2", 20));
  g_ptr_array_add(f->store.user_paths, g_strdup(f->take_path));
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *f = *state;
  assert_true(ims_database_flush(f->users.database, 5000));
  ims_database_free(f->users.database);
  ims_fake_store_clear(&f->store);
  ims_fake_objects_clear(&f->objects);
  g_autofree char *renditions = g_strdup_printf("%s.renditions", f->take_path);
  g_autofree char *rendition = g_build_filename(renditions, "video.mp4", NULL);
  g_remove(rendition);
  g_rmdir(renditions);
  g_remove(f->take_path);
  g_rmdir(f->spool);
  g_ptr_array_unref(f->ended);
  g_free(f->take_path);
  g_free(f->spool);
  g_free(f->error_message);
  g_free(f);
  return 0;
}

static void
on_done(ImsConsumer *consumer, const char *error_message)
{
  Fixture *f = (Fixture *) consumer; /* the tests pass the fixture as the consumer */
  g_free(f->error_message);
  f->error_message = g_strdup(error_message);
  f->done++;
}

/* Hands event_type (kind) for u1 to the handler and waits for its answer. */
static void
handle(Fixture *f, ImsConsumedKind kind, const char *event_id, const char *event_type)
{
  ImsConsumedEvent event = {
    .event_id = (char *) event_id,
    .event_type = (char *) event_type,
    .kind = kind,
    .user_id = "u1",
  };
  int before = f->done;
  ims_user_events_handle(&event, (ImsConsumer *) f, on_done, &f->users);
  gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
  while (f->done == before && g_get_monotonic_time() < deadline)
    g_main_context_iteration(NULL, FALSE) || (g_usleep(1000), TRUE);
  assert_int_equal(f->done, before + 1);
  assert_int_equal(f->users.running, 0);
}

static char *
ended(Fixture *f)
{
  g_ptr_array_add(f->ended, NULL);
  char *text = g_strjoinv("|", (char **) f->ended->pdata);
  g_ptr_array_remove_index(f->ended, f->ended->len - 1);
  return text;
}

/* user.deleted: the live sessions end first, every object leaves S3, the
 * sessions' rows go with one media.deleted per object and the event is
 * recorded in one transaction, then the spool files go and the idle sessions
 * are forgotten. */
static void
test_user_deleted_erases_everything(void **state)
{
  Fixture *f = *state;
  handle(f, IMS_CONSUMED_USER_DELETED, "e1", "user.deleted");
  assert_null(f->error_message);
  g_autofree char *log = ims_fake_store_log(&f->store);
  assert_string_equal(log,
                      "is_event_processed e1 media-server|list_user_media_files u1|"
                      "list_user_take_paths u1|begin|erase_user u1|"
                      "mark_event_processed e1 media-server user.deleted|append_events 2|commit");
  assert_true(ims_fake_objects_deleted(&f->objects, "k-f1"));
  assert_true(ims_fake_objects_deleted(&f->objects, "k-f2"));
  assert_int_equal(f->store.events->len, 2);
  for (guint i = 0; i < 2; i++) {
    g_autofree char *reason = ims_fake_event_field(&f->store, i, "payload.reason");
    g_autofree char *user = ims_fake_event_field(&f->store, i, "payload.userId");
    g_autofree char *correlation = ims_fake_event_field(&f->store, i, "correlationId");
    assert_string_equal(reason, IMS_DELETE_REASON_USER_DELETED);
    assert_string_equal(user, "u1");
    assert_string_equal(correlation, "e1");
  }
  assert_false(g_file_test(f->take_path, G_FILE_TEST_EXISTS));
  g_autofree char *renditions = g_strdup_printf("%s.renditions", f->take_path);
  assert_false(g_file_test(renditions, G_FILE_TEST_EXISTS));
  g_autofree char *sessions = ended(f);
  assert_string_equal(sessions, "u1 keep|u1 forget");
}

/* The takes of a session are in its spool folder (spool/<session id>/): the
 * erasure removes the folder with them; a folder that still holds something
 * else stays, and so does one whose name is no session id. */
static void
test_user_deleted_removes_the_session_folders(void **state)
{
  Fixture *f = *state;
  const char *folders[] = { "6f1c0b3e-7a0d-4a52-9d3c-0c1f7a2b9e11", /* only u1's take */
                            "7f1c0b3e-7a0d-4a52-9d3c-0c1f7a2b9e11", /* and another file */
                            "not-a-session" };
  g_autofree char *other = NULL;
  char *paths[G_N_ELEMENTS(folders)];
  for (guint i = 0; i < G_N_ELEMENTS(folders); i++) {
    g_autofree char *folder = g_build_filename(f->spool, folders[i], NULL);
    assert_int_equal(g_mkdir(folder, 0700), 0);
    paths[i] = g_build_filename(folder, "take-2.mkv", NULL);
    assert_true(g_file_set_contents(paths[i], "mkv", -1, NULL));
    g_autofree char *renditions = g_strdup_printf("%s.renditions", paths[i]);
    assert_int_equal(g_mkdir(renditions, 0700), 0);
    g_ptr_array_add(f->store.user_paths, g_strdup(paths[i]));
    if (i == 1) {
      other = g_build_filename(folder, "other.mkv", NULL);
      assert_true(g_file_set_contents(other, "mkv", -1, NULL));
    }
  }
  handle(f, IMS_CONSUMED_USER_DELETED, "e1", "user.deleted");
  assert_null(f->error_message);
  for (guint i = 0; i < G_N_ELEMENTS(folders); i++) {
    g_autofree char *folder = g_path_get_dirname(paths[i]);
    assert_false(g_file_test(paths[i], G_FILE_TEST_EXISTS));
    assert_true(g_file_test(folder, G_FILE_TEST_IS_DIR) == (i != 0));
  }
  assert_true(g_file_test(other, G_FILE_TEST_EXISTS));
  g_remove(other);
  for (guint i = 0; i < G_N_ELEMENTS(folders); i++) {
    g_autofree char *folder = g_path_get_dirname(paths[i]);
    g_rmdir(folder);
    g_free(paths[i]);
  }
}

/* A candidate's live room: its uploaded recordings and composite leave S3
 * with one media.deleted each, like the other objects, and the spool loses
 * the take with its ".composite" link (room-composite.h), the room's other
 * recordings, the session folder and composite-<room id>.mp4. */
static void
test_user_deleted_erases_a_room(void **state)
{
  Fixture *f = *state;
  const char *room = "8e0c5a1b-2d3f-4a5b-9c6d-0e1f2a3b4c5d";
  g_autofree char *folder = g_build_filename(f->spool, "6f1c0b3e-7a0d-4a52-9d3c-0c1f7a2b9e11", NULL);
  assert_int_equal(g_mkdir(folder, 0700), 0);
  g_autofree char *take = g_build_filename(folder, "q1-take1-1a2b3c4d.mkv", NULL);
  g_autofree char *kept = g_strconcat(take, ".composite", NULL);
  g_autofree char *interviewer = g_build_filename(folder, "room-s1-interviewer-aa-camera-bb.mkv", NULL);
  g_autofree char *name = g_strdup_printf("composite-%s.mp4", room);
  g_autofree char *composite = g_build_filename(f->spool, name, NULL);
  assert_true(g_file_set_contents(take, "mkv", -1, NULL));
  assert_int_equal(link(take, kept), 0);
  assert_true(g_file_set_contents(interviewer, "mkv", -1, NULL));
  assert_true(g_file_set_contents(composite, "mp4", -1, NULL));
  g_ptr_array_set_size(f->store.user_files, 0);
  g_ptr_array_add(f->store.user_files, ims_fake_media_file("r1", "s1", 30)); /* a room recording */
  g_ptr_array_add(f->store.user_files, ims_fake_media_file(room, "s1", 40)); /* its composite */
  for (const char *const *path = (const char *const[]){ take, interviewer, composite, "", NULL };
       *path; path++)
    g_ptr_array_add(f->store.user_paths, g_strdup(*path));

  handle(f, IMS_CONSUMED_USER_DELETED, "e1", "user.deleted");
  assert_null(f->error_message);
  assert_true(ims_fake_objects_deleted(&f->objects, "k-r1"));
  g_autofree char *composite_key = g_strconcat("k-", room, NULL);
  assert_true(ims_fake_objects_deleted(&f->objects, composite_key));
  assert_int_equal(f->store.events->len, 2);
  const char *ids[] = { "r1", room };
  for (guint i = 0; i < 2; i++) {
    g_autofree char *type = ims_fake_event_field(&f->store, i, "eventType");
    g_autofree char *file = ims_fake_event_field(&f->store, i, "payload.fileId");
    assert_string_equal(type, IMS_EVENT_MEDIA_DELETED);
    assert_string_equal(file, ids[i]);
  }
  for (const char *const *path = (const char *const[]){ take, kept, interviewer, composite, folder,
                                                         NULL };
       *path; path++)
    if (g_file_test(*path, G_FILE_TEST_EXISTS))
      fail_msg("%s is still there", *path);
  assert_true(g_file_test(f->spool, G_FILE_TEST_IS_DIR)); /* the spool itself stays */
}

/* A redelivered user.deleted is skipped: nothing is erased or ended. */
static void
test_redelivered_event_skipped(void **state)
{
  Fixture *f = *state;
  g_hash_table_add(f->store.processed, g_strdup("e1"));
  handle(f, IMS_CONSUMED_USER_DELETED, "e1", "user.deleted");
  assert_null(f->error_message);
  g_autofree char *log = ims_fake_store_log(&f->store);
  assert_string_equal(log, "is_event_processed e1 media-server");
  assert_int_equal(f->objects.deleted->len, 0);
  assert_int_equal(f->ended->len, 0);
  assert_true(g_file_test(f->take_path, G_FILE_TEST_EXISTS));
}

/* S3 refuses an object: the consumer is told (so the event is handled
 * again), no row changes, the spool files stay; handled again, the erasure
 * completes. */
static void
test_failed_s3_delete_is_retried(void **state)
{
  Fixture *f = *state;
  ims_fake_objects_refuse(&f->objects, "k-f2", 1);
  handle(f, IMS_CONSUMED_USER_DELETED, "e1", "user.deleted");
  assert_non_null(f->error_message);
  assert_non_null(strstr(f->error_message, "k-f2"));
  assert_true(ims_database_flush(f->users.database, 5000));
  assert_int_equal(ims_fake_store_count(&f->store, "begin"), 0);
  assert_int_equal(ims_fake_store_count(&f->store, "erase_user"), 0);
  assert_int_equal(ims_fake_store_count(&f->store, "mark_event_processed"), 0);
  assert_true(g_file_test(f->take_path, G_FILE_TEST_EXISTS));
  g_autofree char *sessions = ended(f);
  assert_string_equal(sessions, "u1 keep");

  handle(f, IMS_CONSUMED_USER_DELETED, "e1", "user.deleted");
  assert_null(f->error_message);
  assert_true(ims_fake_objects_deleted(&f->objects, "k-f2"));
  assert_int_equal(ims_fake_store_count(&f->store, "erase_user u1"), 1);
  assert_int_equal(f->store.events->len, 2);
  assert_false(g_file_test(f->take_path, G_FILE_TEST_EXISTS));
}

/* Without S3 the rows and the spool files still go. */
static void
test_user_deleted_without_object_store(void **state)
{
  Fixture *f = *state;
  f->users.objects = NULL;
  handle(f, IMS_CONSUMED_USER_DELETED, "e1", "user.deleted");
  assert_null(f->error_message);
  assert_int_equal(f->objects.deleted->len, 0);
  assert_int_equal(ims_fake_store_count(&f->store, "erase_user u1"), 1);
  assert_false(g_file_test(f->take_path, G_FILE_TEST_EXISTS));
}

/* user.logged_out ends the user's live sessions (kept resumable) and is
 * recorded; nothing is listed or erased. */
static void
test_logged_out_ends_sessions(void **state)
{
  Fixture *f = *state;
  handle(f, IMS_CONSUMED_USER_LOGGED_OUT, "e2", "user.logged_out");
  assert_null(f->error_message);
  g_autofree char *log = ims_fake_store_log(&f->store);
  assert_string_equal(log, "is_event_processed e2 media-server|"
                           "mark_event_processed e2 media-server user.logged_out");
  g_autofree char *sessions = ended(f);
  assert_string_equal(sessions, "u1 keep");
  assert_int_equal(f->objects.deleted->len, 0);
  assert_true(g_file_test(f->take_path, G_FILE_TEST_EXISTS));
}

/* The processed check fails: the consumer gets the error, nothing is ended. */
static void
test_failed_check_reported(void **state)
{
  Fixture *f = *state;
  f->store.fail_op = g_strdup("is_event_processed e2 media-server");
  handle(f, IMS_CONSUMED_USER_LOGGED_OUT, "e2", "user.logged_out");
  assert_non_null(f->error_message);
  assert_int_equal(f->ended->len, 0);
  assert_int_equal(ims_fake_store_count(&f->store, "mark_event_processed"), 0);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_user_deleted_erases_everything, setup, teardown),
    cmocka_unit_test_setup_teardown(test_user_deleted_removes_the_session_folders, setup, teardown),
    cmocka_unit_test_setup_teardown(test_user_deleted_erases_a_room, setup, teardown),
    cmocka_unit_test_setup_teardown(test_redelivered_event_skipped, setup, teardown),
    cmocka_unit_test_setup_teardown(test_failed_s3_delete_is_retried, setup, teardown),
    cmocka_unit_test_setup_teardown(test_user_deleted_without_object_store, setup, teardown),
    cmocka_unit_test_setup_teardown(test_logged_out_ends_sessions, setup, teardown),
    cmocka_unit_test_setup_teardown(test_failed_check_reported, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
