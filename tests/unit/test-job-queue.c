/* Unit tests for server/processing/job-queue.c: which take runs next, that a
 * take enters once, the backoff and the retries by reason, and what stopping
 * does to takes queued, working and waiting.
 *
 * The takes' attempts are stand-ins: run records the take's id (and can be
 * held until the test lets it go), report hands the take to what the test
 * says (done, drop, retry).  The pool's threads and timers are real.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "job-queue.h"

typedef enum {
  REPORT_DONE,
  REPORT_DROP,
  REPORT_RETRY_UNAVAILABLE,
  REPORT_RETRY_RENDITIONS,
  REPORT_KEEP, /* the test decides later */
} ReportAction;

typedef struct {
  ImsJobQueue *queue;
  GMutex lock; /* protects runs, hold */
  GCond cond;
  GString *runs; /* "a,b,...": take ids, in the order run was called */
  guint run_count;
  gboolean hold;    /* run waits while set */
  GString *reports; /* the same of report (main loop) */
  guint report_count;
  ReportAction action; /* what report does (retries: while retries_left > 0) */
  int retries_left;    /* REPORT_RETRY_*: how many times, then done */
  int last_delay;
  ImsQueuedTake *kept; /* REPORT_KEEP: the last take reported */
  int freed;           /* free_take calls */
} Fixture;

static Fixture *current; /* free_take has no user data */

static void
on_run(ImsQueuedTake *take, gpointer data)
{
  Fixture *f = data;
  g_mutex_lock(&f->lock);
  g_string_append_printf(f->runs, "%s%s", f->run_count++ ? "," : "", take->job->take->id);
  g_cond_broadcast(&f->cond);
  while (f->hold)
    g_cond_wait(&f->cond, &f->lock);
  g_mutex_unlock(&f->lock);
}

static void
on_report(ImsQueuedTake *take, gpointer data)
{
  Fixture *f = data;
  g_string_append_printf(f->reports, "%s%s", f->report_count++ ? "," : "", take->job->take->id);
  switch (f->action) {
  case REPORT_RETRY_UNAVAILABLE:
  case REPORT_RETRY_RENDITIONS:
    if (f->retries_left > 0) {
      f->retries_left--;
      f->last_delay = ims_job_queue_retry(f->queue, take,
                                          f->action == REPORT_RETRY_RENDITIONS
                                              ? IMS_JOB_RETRY_RENDITIONS
                                              : IMS_JOB_RETRY_UNAVAILABLE);
      return;
    }
    ims_job_queue_done(f->queue, take);
    return;
  case REPORT_DROP:
    ims_job_queue_drop(f->queue, take);
    return;
  case REPORT_KEEP:
    f->kept = take;
    return;
  case REPORT_DONE:
  default:
    ims_job_queue_done(f->queue, take);
  }
}

static void
on_free_take(ImsQueuedTake *take)
{
  ims_queued_take_clear(take);
  g_free(take);
  current->freed++;
}

static ImsQueuedTake *
new_take(const char *id)
{
  ImsProcessingJob *job = g_new0(ImsProcessingJob, 1);
  job->take = ims_take_new();
  job->take->id = g_strdup(id);
  ImsQueuedTake *take = g_new0(ImsQueuedTake, 1);
  ims_queued_take_init(take, job, NULL);
  return take;
}

static ImsJobQueue *
new_queue(Fixture *f, int workers, int retry_max_seconds)
{
  ImsJobQueueConfig config = {
    .workers = workers,
    .retry_max_seconds = retry_max_seconds,
    .run = on_run,
    .report = on_report,
    .free_take = on_free_take,
    .data = f,
  };
  return f->queue = ims_job_queue_new(&config);
}

/* Iterates the main loop until reports holds count entries, or 10 s. */
static void
wait_reports(Fixture *f, guint count)
{
  gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
  while (f->report_count < count && g_get_monotonic_time() < deadline)
    if (!g_main_context_iteration(NULL, FALSE))
      g_usleep(1000);
  assert_int_equal(f->report_count, count);
}

/* Waits (no main loop) until run was called count times. */
static void
wait_runs(Fixture *f, guint count)
{
  gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
  g_mutex_lock(&f->lock);
  while (f->run_count < count && g_cond_wait_until(&f->cond, &f->lock, deadline))
    ;
  guint runs = f->run_count;
  g_mutex_unlock(&f->lock);
  assert_int_equal(runs, count);
}

static void
release(Fixture *f)
{
  g_mutex_lock(&f->lock);
  f->hold = FALSE;
  g_cond_broadcast(&f->cond);
  g_mutex_unlock(&f->lock);
}

static int
setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  g_mutex_init(&f->lock);
  g_cond_init(&f->cond);
  f->runs = g_string_new(NULL);
  f->reports = g_string_new(NULL);
  current = f;
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *f = *state;
  release(f);
  g_clear_pointer(&f->queue, ims_job_queue_free);
  g_string_free(f->runs, TRUE);
  g_string_free(f->reports, TRUE);
  g_cond_clear(&f->cond);
  g_mutex_clear(&f->lock);
  g_free(f);
  current = NULL;
  return 0;
}

/* 2^failures seconds, at most the maximum, whatever the count. */
static void
test_backoff_doubles_up_to_the_maximum(void **state)
{
  assert_int_equal(ims_job_queue_backoff_seconds(0, 300), 1);
  assert_int_equal(ims_job_queue_backoff_seconds(1, 300), 2);
  assert_int_equal(ims_job_queue_backoff_seconds(2, 300), 4);
  assert_int_equal(ims_job_queue_backoff_seconds(8, 300), 256);
  assert_int_equal(ims_job_queue_backoff_seconds(9, 300), 300);
  assert_int_equal(ims_job_queue_backoff_seconds(1000, 300), 300);
  assert_int_equal(ims_job_queue_backoff_seconds(1000, 1 << 20), 1 << 16);
  assert_int_equal(ims_job_queue_backoff_seconds(3, 5), 5);
}

/* One worker runs the takes in the order they were added; each is reported. */
static void
test_takes_run_first_added_first(void **state)
{
  Fixture *f = *state;
  new_queue(f, 1, 1);
  assert_true(ims_job_queue_add(f->queue, new_take("a")));
  assert_true(ims_job_queue_add(f->queue, new_take("b")));
  assert_true(ims_job_queue_add(f->queue, new_take("c")));
  wait_reports(f, 3);
  assert_string_equal(f->runs->str, "a,b,c");
  assert_string_equal(f->reports->str, "a,b,c");
  assert_int_equal(f->freed, 3);
}

/* A take in the queue, or done lately, is refused (and freed); a dropped
 * one may come again. */
static void
test_a_take_enters_once(void **state)
{
  Fixture *f = *state;
  new_queue(f, 1, 1);
  f->hold = TRUE;
  assert_true(ims_job_queue_add(f->queue, new_take("a")));
  wait_runs(f, 1);
  assert_false(ims_job_queue_add(f->queue, new_take("a"))); /* working */
  assert_int_equal(f->freed, 1);
  assert_true(ims_job_queue_add(f->queue, new_take("b")));
  assert_false(ims_job_queue_add(f->queue, new_take("b"))); /* queued */
  release(f);
  wait_reports(f, 2);
  assert_true(ims_job_queue_knows(f->queue, "a"));
  assert_false(ims_job_queue_add(f->queue, new_take("a"))); /* done */

  f->action = REPORT_DROP;
  assert_true(ims_job_queue_add(f->queue, new_take("c")));
  wait_reports(f, 3);
  assert_false(ims_job_queue_knows(f->queue, "c"));
  f->action = REPORT_DONE;
  assert_true(ims_job_queue_add(f->queue, new_take("c"))); /* dropped: the next scan's */
  wait_reports(f, 4);
  assert_string_equal(f->runs->str, "a,b,c,c");
}

/* Done takes are remembered up to IMS_JOB_QUEUE_REMEMBERED_DONE, the oldest
 * forgotten first (then it may come again). */
static void
test_done_takes_remembered_up_to_the_bound(void **state)
{
  Fixture *f = *state;
  new_queue(f, 1, 1);
  for (int i = 0; i <= IMS_JOB_QUEUE_REMEMBERED_DONE; i++) {
    g_autofree char *id = g_strdup_printf("take-%d", i);
    assert_true(ims_job_queue_add(f->queue, new_take(id)));
  }
  wait_reports(f, IMS_JOB_QUEUE_REMEMBERED_DONE + 1);
  g_autofree char *last = g_strdup_printf("take-%d", IMS_JOB_QUEUE_REMEMBERED_DONE);
  assert_true(ims_job_queue_knows(f->queue, last));
  assert_true(ims_job_queue_knows(f->queue, "take-1"));
  assert_false(ims_job_queue_knows(f->queue, "take-0"));
  assert_false(ims_job_queue_add(f->queue, new_take("take-1")));
  assert_true(ims_job_queue_add(f->queue, new_take("take-0")));
  wait_reports(f, IMS_JOB_QUEUE_REMEMBERED_DONE + 2);
}

/* A retry waits for the backoff (1 s, then 2 s) while counted as waiting,
 * then runs again; its attempts grow, rendition failures only by that reason. */
static void
test_retry_waits_for_the_backoff(void **state)
{
  Fixture *f = *state;
  new_queue(f, 1, 60);
  f->action = REPORT_KEEP;
  assert_true(ims_job_queue_add(f->queue, new_take("a")));
  wait_reports(f, 1);
  ImsQueuedTake *take = f->kept;
  assert_int_equal(take->attempt, 0);

  gint64 start = g_get_monotonic_time();
  assert_int_equal(ims_job_queue_retry(f->queue, take, IMS_JOB_RETRY_UNAVAILABLE), 1);
  guint queued, working, waiting;
  ims_job_queue_get_counts(f->queue, &queued, &working, &waiting);
  assert_int_equal(waiting, 1);
  assert_int_equal(queued + working, 0);
  wait_reports(f, 2);
  assert_true(g_get_monotonic_time() - start >= 900 * 1000);
  assert_ptr_equal(f->kept, take);
  assert_int_equal(take->attempt, 1);
  assert_int_equal(take->rendition_failures, 0);
  assert_false(ims_queued_take_is_last_rendition_attempt(take));

  start = g_get_monotonic_time();
  assert_int_equal(ims_job_queue_retry(f->queue, take, IMS_JOB_RETRY_RENDITIONS), 2);
  wait_reports(f, 3);
  assert_true(g_get_monotonic_time() - start >= 1900 * 1000);
  assert_int_equal(take->attempt, 2);
  assert_int_equal(take->rendition_failures, 1);
  assert_false(ims_queued_take_is_last_rendition_attempt(take));
  ims_job_queue_get_counts(f->queue, &queued, &working, &waiting);
  assert_int_equal(waiting, 0);
  /* retried, a take is still in the queue: refused if it comes again */
  assert_false(ims_job_queue_add(f->queue, new_take("a")));
  ims_job_queue_done(f->queue, take);
}

/* IMS_JOB_RENDITION_ATTEMPTS attempts at the renditions: the last is known
 * as the last. */
static void
test_rendition_attempts_are_counted(void **state)
{
  Fixture *f = *state;
  new_queue(f, 1, 0); /* no backoff */
  f->action = REPORT_KEEP;
  assert_true(ims_job_queue_add(f->queue, new_take("a")));
  for (int attempt = 1; attempt < IMS_JOB_RENDITION_ATTEMPTS; attempt++) {
    wait_reports(f, (guint) attempt);
    assert_false(ims_queued_take_is_last_rendition_attempt(f->kept));
    assert_int_equal(ims_job_queue_retry(f->queue, f->kept, IMS_JOB_RETRY_RENDITIONS), 0);
  }
  wait_reports(f, IMS_JOB_RENDITION_ATTEMPTS);
  assert_true(ims_queued_take_is_last_rendition_attempt(f->kept));
  assert_int_equal(f->kept->rendition_failures, IMS_JOB_RENDITION_ATTEMPTS - 1);
  ims_job_queue_done(f->queue, f->kept);
}

static gpointer
release_later(gpointer data)
{
  g_usleep(200 * 1000);
  release(data);
  return NULL;
}

/* Stopping waits for the take being worked on and runs its report inside;
 * queued takes do not run, a waiting one's timer is cancelled, a retry a
 * report asks for drops the take, nothing is added any more. */
static void
test_stop_waits_for_working_takes(void **state)
{
  Fixture *f = *state;
  new_queue(f, 1, 1);
  f->action = REPORT_RETRY_UNAVAILABLE;
  f->retries_left = 1;
  assert_true(ims_job_queue_add(f->queue, new_take("w")));
  wait_reports(f, 1); /* w waits 1 s for its retry */
  assert_int_equal(f->last_delay, 1);
  f->hold = TRUE;
  assert_true(ims_job_queue_add(f->queue, new_take("a")));
  assert_true(ims_job_queue_add(f->queue, new_take("b")));
  wait_runs(f, 2); /* a is working, b queued (no main loop: w's timer waits) */
  guint queued, working, waiting;
  ims_job_queue_get_counts(f->queue, &queued, &working, &waiting);
  assert_int_equal(queued, 1);
  assert_int_equal(working, 1);
  assert_int_equal(waiting, 1);

  f->retries_left = 1; /* a's report asks for a retry */
  GThread *releaser = g_thread_new("release", release_later, f);
  gint64 start = g_get_monotonic_time();
  ims_job_queue_stop(f->queue);
  assert_true(g_get_monotonic_time() - start >= 150 * 1000);
  g_thread_join(releaser);
  assert_string_equal(f->reports->str, "w,a");
  assert_int_equal(f->last_delay, -1);
  assert_int_equal(f->freed, 1); /* a, dropped */
  assert_false(ims_job_queue_knows(f->queue, "a"));

  assert_false(ims_job_queue_add(f->queue, new_take("x")));
  assert_int_equal(f->freed, 2);
  /* w's retry is not run, b never runs */
  gint64 end = g_get_monotonic_time() + 1500 * 1000;
  while (g_get_monotonic_time() < end)
    if (!g_main_context_iteration(NULL, FALSE))
      g_usleep(2000);
  assert_string_equal(f->runs->str, "w,a");
  g_clear_pointer(&f->queue, ims_job_queue_free);
  assert_int_equal(f->freed, 4); /* w and b with the queue */
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_backoff_doubles_up_to_the_maximum),
    cmocka_unit_test_setup_teardown(test_takes_run_first_added_first, setup, teardown),
    cmocka_unit_test_setup_teardown(test_a_take_enters_once, setup, teardown),
    cmocka_unit_test_setup_teardown(test_done_takes_remembered_up_to_the_bound, setup, teardown),
    cmocka_unit_test_setup_teardown(test_retry_waits_for_the_backoff, setup, teardown),
    cmocka_unit_test_setup_teardown(test_rendition_attempts_are_counted, setup, teardown),
    cmocka_unit_test_setup_teardown(test_stop_waits_for_working_takes, setup, teardown),
  };
  return cmocka_run_group_tests_name("job-queue", tests, NULL, NULL);
}
