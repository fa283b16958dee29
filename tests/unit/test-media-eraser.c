/* Unit tests for server/privacy/media-eraser.c: S3 first, then the rows and one
 * media.deleted per object in one transaction; a failed S3 delete changes no
 * row, so the erasure can be asked again and nothing is forgotten.
 *
 * The store and the object store are fakes (privacy-fakes.h); the database
 * thread and the eraser's worker thread are real.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "media-eraser.h"
#include "payloads.h"
#include "privacy-fakes.h"

typedef struct {
  ImsFakeStore store;
  ImsFakeObjects objects;
  ImsDatabase *database;
  int done;            /* erasures answered */
  char *error_message; /* the last answer's */
  guint erased;
  int committed;              /* events_committed calls */
  ImsEventsListener listener; /* the store tells it */
} Fixture;

static void
on_events_committed(ImsEventsListener *listener)
{
  Fixture *f = G_STRUCT_MEMBER_P(listener, -G_STRUCT_OFFSET(Fixture, listener));
  g_atomic_int_inc(&f->committed);
}

static int
setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  ims_fake_store_init(&f->store);
  f->listener.events_committed = on_events_committed;
  f->store.base.events_listener = &f->listener;
  ims_fake_objects_init(&f->objects);
  f->database = ims_database_new(&f->store.base, NULL);
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *f = *state;
  assert_true(ims_database_flush(f->database, 5000));
  ims_database_free(f->database);
  ims_fake_store_clear(&f->store);
  ims_fake_objects_clear(&f->objects);
  g_free(f->error_message);
  g_free(f);
  return 0;
}

static void
on_done(const char *error_message, guint erased, gpointer data)
{
  Fixture *f = data;
  g_free(f->error_message);
  f->error_message = g_strdup(error_message);
  f->erased = erased;
  f->done++;
}

static GPtrArray *
two_files(void)
{
  GPtrArray *files = g_ptr_array_new_with_free_func((GDestroyNotify) ims_media_file_free);
  g_ptr_array_add(files, ims_fake_media_file("f1", "s1", 1000));
  g_ptr_array_add(files, ims_fake_media_file("f2", "s1", 2000));
  return files;
}

/* Erases and waits for the answer. */
static void
erase(Fixture *f, GPtrArray *files, ImsObjectStore *objects, ImsEraseRows rows, gpointer rows_data)
{
  int before = f->done;
  ims_media_erase(f->database, objects, files, "u1", IMS_DELETE_REASON_RETENTION, "corr-1", rows,
                  rows_data, on_done, f);
  int answered = 0;
  gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
  while (f->done == before && g_get_monotonic_time() < deadline)
    g_main_context_iteration(NULL, FALSE) || (g_usleep(1000), TRUE);
  answered = f->done > before;
  assert_true(answered);
}

/* Every object goes from S3, then the rows are marked and one media.deleted
 * per object is recorded, all in one transaction, and the relay is told. */
static void
test_erases_objects_then_rows_and_events(void **state)
{
  Fixture *f = *state;
  erase(f, two_files(), &f->objects.base, NULL, NULL);
  assert_null(f->error_message);
  assert_int_equal(f->erased, 2);
  assert_true(ims_fake_objects_deleted(&f->objects, "k-f1"));
  assert_true(ims_fake_objects_deleted(&f->objects, "k-f2"));
  g_autofree char *log = ims_fake_store_log(&f->store);
  assert_string_equal(log,
                      "begin|mark_media_deleted f1|mark_media_deleted f2|append_events 2|commit");
  assert_int_equal(f->store.events->len, 2);
  const char *ids[] = { "f1", "f2" };
  const char *sizes[] = { "1000", "2000" };
  for (guint i = 0; i < 2; i++) {
    g_autofree char *type = ims_fake_event_field(&f->store, i, "eventType");
    g_autofree char *correlation = ims_fake_event_field(&f->store, i, "correlationId");
    g_autofree char *user = ims_fake_event_field(&f->store, i, "payload.userId");
    g_autofree char *file = ims_fake_event_field(&f->store, i, "payload.fileId");
    g_autofree char *size = ims_fake_event_field(&f->store, i, "payload.fileSize");
    g_autofree char *reason = ims_fake_event_field(&f->store, i, "payload.reason");
    assert_string_equal(type, IMS_EVENT_MEDIA_DELETED);
    assert_string_equal(correlation, "corr-1");
    assert_string_equal(user, "u1");
    assert_string_equal(file, ids[i]);
    assert_string_equal(size, sizes[i]);
    assert_string_equal(reason, IMS_DELETE_REASON_RETENTION);
  }
  assert_int_equal(g_atomic_int_get(&f->committed), 1);
}

/* S3 refuses the second object: no row changes and no event is recorded, the
 * answer names the key; asked again, the erasure completes (the first object,
 * already gone, is deleted again: a missing key is not an error). */
static void
test_failed_s3_delete_changes_nothing_and_is_retried(void **state)
{
  Fixture *f = *state;
  ims_fake_objects_refuse(&f->objects, "k-f2", 1);
  erase(f, two_files(), &f->objects.base, NULL, NULL);
  assert_non_null(f->error_message);
  assert_non_null(strstr(f->error_message, "k-f2"));
  assert_int_equal(f->erased, 0);
  assert_true(ims_database_flush(f->database, 5000));
  g_autofree char *log = ims_fake_store_log(&f->store);
  assert_string_equal(log, "");
  assert_int_equal(f->store.events->len, 0);

  erase(f, two_files(), &f->objects.base, NULL, NULL);
  assert_null(f->error_message);
  assert_int_equal(f->erased, 2);
  assert_true(ims_fake_objects_deleted(&f->objects, "k-f2"));
  assert_int_equal(ims_fake_store_count(&f->store, "mark_media_deleted"), 2);
  assert_int_equal(f->store.events->len, 2);
}

/* The database refuses the change: the transaction is rolled back, nothing
 * is published, and the answer carries the error. */
static void
test_refused_rows_roll_back(void **state)
{
  Fixture *f = *state;
  f->store.fail_op = g_strdup("append_events 2");
  erase(f, two_files(), &f->objects.base, NULL, NULL);
  assert_non_null(f->error_message);
  assert_int_equal(f->erased, 0);
  g_autofree char *log = ims_fake_store_log(&f->store);
  assert_string_equal(log, "begin|mark_media_deleted f1|mark_media_deleted f2|"
                           "append_events 2 FAILED|rollback");
  assert_int_equal(g_atomic_int_get(&f->committed), 0);
}

static gboolean
custom_rows(ImsStore *store, gpointer data, GError **error)
{
  int *calls = data;
  (*calls)++;
  return store->privacy.erase_user(store, "u1", &(int){ 0 }, error) &&
         store->privacy.mark_event_processed(store, "e1", "media-server", "user.deleted", error);
}

/* A rows step replaces the marking and runs inside the same transaction as
 * the events. */
static void
test_rows_step_runs_in_the_transaction(void **state)
{
  Fixture *f = *state;
  int calls = 0;
  erase(f, two_files(), &f->objects.base, custom_rows, &calls);
  assert_null(f->error_message);
  assert_int_equal(calls, 1);
  g_autofree char *log = ims_fake_store_log(&f->store);
  assert_string_equal(log, "begin|erase_user u1|mark_event_processed e1 media-server user.deleted|"
                           "append_events 2|commit");
}

/* No files: still one transaction around a rows step of several statements,
 * without events, and nothing is asked of S3. */
static void
test_no_files_keeps_the_rows_step_atomic(void **state)
{
  Fixture *f = *state;
  int calls = 0;
  erase(f, g_ptr_array_new_with_free_func((GDestroyNotify) ims_media_file_free), &f->objects.base,
        custom_rows, &calls);
  assert_null(f->error_message);
  assert_int_equal(f->erased, 0);
  assert_int_equal(f->objects.deleted->len, 0);
  g_autofree char *log = ims_fake_store_log(&f->store);
  assert_string_equal(
      log, "begin|erase_user u1|mark_event_processed e1 media-server user.deleted|commit");
  assert_int_equal(f->store.events->len, 0);

  /* the second statement refused: the first is rolled back with it */
  f->store.fail_op = g_strdup("mark_event_processed e1 media-server user.deleted");
  erase(f, g_ptr_array_new_with_free_func((GDestroyNotify) ims_media_file_free), &f->objects.base,
        custom_rows, &calls);
  assert_non_null(f->error_message);
  g_autofree char *log2 = ims_fake_store_log(&f->store);
  assert_true(
      g_str_has_suffix(log2, "|begin|erase_user u1|"
                             "mark_event_processed e1 media-server user.deleted FAILED|rollback"));
}

/* Without an object store (no S3 configured) the rows and events still go. */
static void
test_without_object_store_only_rows(void **state)
{
  Fixture *f = *state;
  erase(f, two_files(), NULL, NULL, NULL);
  assert_null(f->error_message);
  assert_int_equal(f->erased, 2);
  assert_int_equal(f->objects.deleted->len, 0);
  assert_int_equal(ims_fake_store_count(&f->store, "mark_media_deleted"), 2);
  assert_int_equal(f->store.events->len, 2);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_erases_objects_then_rows_and_events, setup, teardown),
    cmocka_unit_test_setup_teardown(test_failed_s3_delete_changes_nothing_and_is_retried, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_refused_rows_roll_back, setup, teardown),
    cmocka_unit_test_setup_teardown(test_rows_step_runs_in_the_transaction, setup, teardown),
    cmocka_unit_test_setup_teardown(test_no_files_keeps_the_rows_step_atomic, setup, teardown),
    cmocka_unit_test_setup_teardown(test_without_object_store_only_rows, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
