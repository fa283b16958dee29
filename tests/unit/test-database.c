/* Unit tests for server/store/database.c: the database thread and its queue.
 *
 * The store is a fake (the ImsStore seam) that can play an unreachable
 * server; the thread is real.  Jobs record, on the thread, the order they ran
 * in; done functions record the order they were answered in, and on which
 * thread.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "database.h"

typedef struct {
  ImsStore base;
  gint unreachable; /* atomic: statements and pings fail as if the server were down */
  gint pings;       /* atomic */
  GMutex lock;
  GPtrArray *ran; /* char*: names of jobs that ran to success, in order (lock) */
} FakeStore;

static gboolean
fake_ping(ImsStore *base, GError **error)
{
  FakeStore *store = (FakeStore *) base;
  g_atomic_int_inc(&store->pings);
  if (!g_atomic_int_get(&store->unreachable))
    return TRUE;
  g_set_error_literal(error, IMS_STORE_ERROR, IMS_STORE_ERROR_CONNECT, "connection refused");
  return FALSE;
}

static void
fake_free(ImsStore *base)
{
  /* the fixture owns it */
}

typedef struct {
  FakeStore store;
  ImsDatabase *database;
  GPtrArray *answered; /* char*: names in the order done ran (main thread) */
  GThread *main_thread;
  gboolean done_off_main; /* a done ran on another thread */
} Fixture;

typedef struct {
  Fixture *fixture;
  char *name;
  gboolean refuse; /* fail with a constraint error */
  GError *error;   /* what done saw */
} Job;

static void
job_free(Job *job)
{
  g_free(job->name);
  g_clear_error(&job->error);
  g_free(job);
}

static gboolean
run_job(ImsStore *base, gpointer data, GError **error)
{
  FakeStore *store = (FakeStore *) base;
  Job *job = data;
  if (g_atomic_int_get(&store->unreachable)) {
    g_set_error_literal(error, IMS_STORE_ERROR, IMS_STORE_ERROR_CONNECT,
                        "server closed the connection");
    return FALSE;
  }
  if (job->refuse) {
    g_set_error_literal(error, IMS_STORE_ERROR, IMS_STORE_ERROR_CONFLICT, "duplicate key");
    return FALSE;
  }
  g_mutex_lock(&store->lock);
  g_ptr_array_add(store->ran, g_strdup(job->name));
  g_mutex_unlock(&store->lock);
  return TRUE;
}

static void
on_job_done(gpointer data, const GError *error)
{
  Job *job = data;
  Fixture *f = job->fixture;
  if (g_thread_self() != f->main_thread)
    f->done_off_main = TRUE;
  g_ptr_array_add(
      f->answered,
      g_strdup_printf("%s:%s", job->name,
                      error ? (error->code == IMS_STORE_ERROR_CONNECT ? "unreachable" : "refused")
                            : "ok"));
}

static void
submit(Fixture *f, ImsDatabaseKind kind, const char *name, gboolean refuse)
{
  Job *job = g_new0(Job, 1);
  job->fixture = f;
  job->name = g_strdup(name);
  job->refuse = refuse;
  ims_database_submit(f->database, kind, name, run_job, on_job_done, job, (GDestroyNotify) job_free);
}

static int
setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  f->store.base.ping = fake_ping;
  f->store.base.free = fake_free;
  g_mutex_init(&f->store.lock);
  f->store.ran = g_ptr_array_new_with_free_func(g_free);
  f->answered = g_ptr_array_new_with_free_func(g_free);
  f->main_thread = g_thread_self();
  f->database = ims_database_new(&f->store.base, NULL);
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *f = *state;
  g_atomic_int_set(&f->store.unreachable, FALSE);
  assert_true(ims_database_flush(f->database, 5000));
  ims_database_free(f->database);
  g_ptr_array_unref(f->store.ran);
  g_mutex_clear(&f->store.lock);
  g_ptr_array_unref(f->answered);
  g_free(f);
  return 0;
}

static char *
joined(GPtrArray *names)
{
  g_ptr_array_add(names, NULL);
  char *text = g_strjoinv(",", (char **) names->pdata);
  g_ptr_array_remove_index(names, names->len - 1);
  return text;
}

#define assert_names(array, expected) \
  do { \
    g_autofree char *text_ = joined(array); \
    assert_string_equal(text_, (expected)); \
  } while (0)

static void
test_jobs_run_and_answer_in_order(void **state)
{
  Fixture *f = *state;
  submit(f, IMS_DATABASE_WRITE, "w1", FALSE);
  submit(f, IMS_DATABASE_READ, "r1", FALSE);
  submit(f, IMS_DATABASE_WRITE, "w2", FALSE);
  assert_int_equal(f->answered->len, 0); /* answers come through the main context */
  assert_true(ims_database_flush(f->database, 5000));
  assert_names(f->store.ran, "w1,r1,w2");
  assert_names(f->answered, "w1:ok,r1:ok,w2:ok");
  assert_false(f->done_off_main);
}

static void
test_refused_write_is_answered_not_retried(void **state)
{
  Fixture *f = *state;
  submit(f, IMS_DATABASE_WRITE, "bad", TRUE);
  submit(f, IMS_DATABASE_WRITE, "good", FALSE);
  assert_true(ims_database_flush(f->database, 5000));
  assert_names(f->answered, "bad:refused,good:ok");
  ImsDatabaseStatus status = { 0 };
  ims_database_get_status(f->database, &status);
  assert_true(status.available);
  assert_non_null(status.last_error);
  ims_database_status_clear(&status);
}

static void
test_writes_wait_for_an_unreachable_database(void **state)
{
  Fixture *f = *state;
  g_atomic_int_set(&f->store.unreachable, TRUE);
  submit(f, IMS_DATABASE_WRITE, "w1", FALSE);
  submit(f, IMS_DATABASE_READ, "r1", FALSE);
  submit(f, IMS_DATABASE_WRITE, "w2", FALSE);
  /* held: the flush gives up, the writes are not answered */
  assert_false(ims_database_flush(f->database, 1200));
  assert_names(f->answered, "r1:unreachable");
  assert_true(g_atomic_int_get(&f->store.pings) >= 2); /* it keeps trying */

  ImsDatabaseStatus status = { 0 };
  ims_database_get_status(f->database, &status);
  assert_false(status.available);
  assert_int_equal(status.queued, 2);
  assert_true(status.waiting_writes >= 1);
  assert_non_null(status.last_error);
  ims_database_status_clear(&status);

  /* a read asked while it is away fails at once */
  submit(f, IMS_DATABASE_READ, "r2", FALSE);
  assert_false(ims_database_flush(f->database, 100));
  assert_names(f->answered, "r1:unreachable,r2:unreachable");

  g_atomic_int_set(&f->store.unreachable, FALSE);
  assert_true(ims_database_flush(f->database, 10000));
  assert_names(f->store.ran, "w1,w2");
  assert_names(f->answered, "r1:unreachable,r2:unreachable,w1:ok,w2:ok");
  ims_database_get_status(f->database, &status);
  assert_true(status.available);
  assert_int_equal(status.queued, 0);
  assert_int_equal(status.waiting_writes, 0);
  ims_database_status_clear(&status);
}

/* A read that finds the database away marks it unavailable; with no write
 * waiting (nothing to retry), the thread looks for the database by itself,
 * so reads work again once it is back instead of failing fast for ever. */
static void
test_reads_work_again_when_the_database_is_back(void **state)
{
  Fixture *f = *state;
  ImsDatabaseStatus status = { 0 };
  g_atomic_int_set(&f->store.unreachable, TRUE);
  submit(f, IMS_DATABASE_READ, "r1", FALSE);
  assert_true(ims_database_flush(f->database, 5000));
  assert_names(f->answered, "r1:unreachable");
  ims_database_get_status(f->database, &status);
  assert_false(status.available);
  ims_database_status_clear(&status);

  g_atomic_int_set(&f->store.unreachable, FALSE);
  gint64 deadline = g_get_monotonic_time() + 8 * G_USEC_PER_SEC;
  for (;;) {
    ims_database_get_status(f->database, &status);
    gboolean available = status.available;
    ims_database_status_clear(&status);
    if (available)
      break;
    assert_true(g_get_monotonic_time() < deadline); /* back within the 5 s backoff */
    g_usleep(50 * 1000);
  }
  submit(f, IMS_DATABASE_READ, "r2", FALSE);
  assert_true(ims_database_flush(f->database, 5000));
  assert_names(f->answered, "r1:unreachable,r2:ok");
}

/* Polls the status until its check is in state; fails after timeout_ms.
 * status is filled (clear it). */
static void
wait_check(Fixture *f, ImsCheckState state, guint timeout_ms, ImsDatabaseStatus *status)
{
  gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
  for (;;) {
    ims_database_get_status(f->database, status);
    if (status->check.state == state)
      return;
    ims_database_status_clear(status);
    assert_true(g_get_monotonic_time() < deadline);
    g_usleep(20 * 1000);
  }
}

/* The status's check while nothing is submitted: an idle ping finds the
 * outage within IMS_DATABASE_IDLE_PING_MS (reads then fail fast), the
 * reconnect loop its end; the error keeps its time and is marked cleared.
 * A refused statement leaves the check ok (the database answered). */
static void
test_idle_database_check_follows_the_server(void **state)
{
  Fixture *f = *state;
  submit(f, IMS_DATABASE_WRITE, "w1", TRUE);
  assert_true(ims_database_flush(f->database, 5000));
  ImsDatabaseStatus status = { 0 };
  ims_database_get_status(f->database, &status);
  assert_int_equal(status.check.state, IMS_CHECK_OK);
  assert_true(status.check.checked_at > 0);
  assert_null(status.check.last_error);
  assert_string_equal(status.last_error, "duplicate key");
  assert_true(status.last_error_at > 0);
  ims_database_status_clear(&status);

  g_atomic_int_set(&f->store.unreachable, TRUE);
  gint64 down_at = g_get_real_time();
  wait_check(f, IMS_CHECK_UNAVAILABLE, IMS_DATABASE_IDLE_PING_MS + 1000, &status);
  assert_false(status.available);
  assert_string_equal(status.check.last_error, "connection refused");
  assert_true(status.check.since >= down_at);
  assert_true(status.check.last_error_at >= down_at);
  assert_int_equal(status.check.cleared_at, 0);
  ims_database_status_clear(&status);
  submit(f, IMS_DATABASE_READ, "r1", FALSE); /* fails fast: no job ran into the outage */
  assert_true(ims_database_flush(f->database, 100));
  assert_names(f->answered, "w1:refused,r1:unreachable");
  /* a write that comes now waits, and the status counts it (no write ran into the outage) */
  submit(f, IMS_DATABASE_WRITE, "w2", FALSE);
  ims_database_get_status(f->database, &status);
  assert_int_equal(status.waiting_writes, 1); /* at once */
  ims_database_status_clear(&status);
  assert_false(ims_database_flush(f->database, 600));
  ims_database_get_status(f->database, &status);
  assert_int_equal(status.waiting_writes, 1);
  ims_database_status_clear(&status);

  g_atomic_int_set(&f->store.unreachable, FALSE);
  gint64 up_at = g_get_real_time();
  wait_check(f, IMS_CHECK_OK, 8000, &status);
  assert_true(status.check.cleared_at >= up_at);
  assert_string_equal(status.check.last_error, "connection refused");
  ims_database_status_clear(&status);
  assert_true(ims_database_flush(f->database, 5000));
  assert_names(f->answered, "w1:refused,r1:unreachable,w2:ok");
}

static gpointer
submit_from_thread(gpointer data)
{
  submit(data, IMS_DATABASE_WRITE, "from-thread", FALSE);
  return NULL;
}

static void
test_submit_from_another_thread_answers_on_main(void **state)
{
  Fixture *f = *state;
  g_thread_join(g_thread_new("submitter", submit_from_thread, f));
  assert_true(ims_database_flush(f->database, 5000));
  assert_names(f->answered, "from-thread:ok");
  assert_false(f->done_off_main);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
  const struct CMUnitTest tests[] = {
    T(test_jobs_run_and_answer_in_order),
    T(test_refused_write_is_answered_not_retried),
    T(test_writes_wait_for_an_unreachable_database),
    T(test_reads_work_again_when_the_database_is_back),
    T(test_submit_from_another_thread_answers_on_main),
    T(test_idle_database_check_follows_the_server),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
