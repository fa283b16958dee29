/* Unit tests for server/privacy/outbox-retention.c: the purge of sent
 * outbox rows after [kafka] outbox_retention_hours.
 *
 * The store is ImsFakeStore (privacy-fakes.h) behind a real ImsDatabase:
 * each purge logs "purge_sent_events <sent_before in s>".  What the DELETE
 * itself keeps and removes is tested against PostgreSQL
 * (tests/integration/test-store.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "outbox-retention.h"
#include "privacy-fakes.h"

typedef struct {
  ImsFakeStore store;
  ImsDatabase *database;
} Fixture;

static int
setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  ims_fake_store_init(&f->store);
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
  g_free(f);
  return 0;
}

/* Iterates the main context until the store logged count purges (5 s at most). */
static void
wait_for_purges(Fixture *f, guint count)
{
  gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
  while (ims_fake_store_count(&f->store, "purge_sent_events") < count &&
         g_get_monotonic_time() < deadline)
    g_main_context_iteration(NULL, FALSE) || (g_usleep(1000), TRUE);
  assert_true(ims_database_flush(f->database, 5000));
  assert_int_equal(ims_fake_store_count(&f->store, "purge_sent_events"), count);
}

/* The sent_before (s) of the purge logged at index. */
static gint64
purge_time(Fixture *f, guint index)
{
  g_autofree char *log = ims_fake_store_log(&f->store);
  g_auto(GStrv) lines = g_strsplit(log, "|", -1);
  assert_true(index < g_strv_length(lines));
  assert_true(g_str_has_prefix(lines[index], "purge_sent_events "));
  return g_ascii_strtoll(lines[index] + strlen("purge_sent_events "), NULL, 10);
}

/* The first purge is at once, the next after the interval; each deletes
 * what was sent more than the retention ago. */
static void
test_purges_at_start_and_every_interval(void **state)
{
  Fixture *f = *state;
  gint64 before = g_get_real_time() / G_USEC_PER_SEC;
  ImsOutboxRetention *retention = ims_outbox_retention_new(f->database, 48, 1);
  assert_non_null(retention);
  wait_for_purges(f, 1);
  gint64 after = g_get_real_time() / G_USEC_PER_SEC;
  gint64 first = purge_time(f, 0);
  assert_true(first >= before - 48 * 3600 && first <= after - 48 * 3600);
  wait_for_purges(f, 2);
  assert_true(purge_time(f, 1) >= first);
  ims_outbox_retention_free(retention);
}

/* 0 hours: sent rows are kept, nothing runs. */
static void
test_zero_keeps_everything(void **state)
{
  Fixture *f = *state;
  assert_null(ims_outbox_retention_new(f->database, 0, 1));
  assert_true(ims_database_flush(f->database, 5000));
  assert_int_equal(ims_fake_store_count(&f->store, "purge_sent_events"), 0);
  ims_outbox_retention_free(NULL);
}

/* A purge the database refuses is only logged: the next one runs as usual. */
static void
test_a_failed_purge_is_tried_again(void **state)
{
  Fixture *f = *state;
  gint64 sent_before = g_get_real_time() / G_USEC_PER_SEC - 3600;
  g_autofree char *first = g_strdup_printf("purge_sent_events %" G_GINT64_FORMAT, sent_before);
  f->store.fail_op = g_strdup(first); /* the first purge, if it runs within this second */
  ImsOutboxRetention *retention = ims_outbox_retention_new(f->database, 1, 1);
  wait_for_purges(f, 2);
  ims_outbox_retention_free(retention);
  /* freed: no timer is left to run */
  guint count = ims_fake_store_count(&f->store, "purge_sent_events");
  gint64 deadline = g_get_monotonic_time() + 1500 * 1000;
  while (g_get_monotonic_time() < deadline)
    g_main_context_iteration(NULL, FALSE) || (g_usleep(1000), TRUE);
  assert_true(ims_database_flush(f->database, 5000));
  assert_int_equal(ims_fake_store_count(&f->store, "purge_sent_events"), count);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_purges_at_start_and_every_interval, setup, teardown),
    cmocka_unit_test_setup_teardown(test_zero_keeps_everything, setup, teardown),
    cmocka_unit_test_setup_teardown(test_a_failed_purge_is_tried_again, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
