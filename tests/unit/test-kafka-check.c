/* Unit tests for events/kafka-check.c: a Kafka client's reachability, with
 * a fake probe (the brokers are a flag) on the real timer and threads.
 * Intervals are short: ok every 200 ms, failing every 20 ms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "kafka-check.h"

#define OK_MS 200
#define FAILING_MS 20

typedef struct {
  gint up;       /* atomic: the brokers answer */
  gint probes;   /* atomic: probes started */
  gint slow_ms;  /* a probe takes this long */
  gint returned; /* atomic: probes that returned */
  ImsKafkaCheck *check;
} Fixture;

static gboolean
fake_probe(gpointer data, int timeout_ms, char **error)
{
  Fixture *f = data;
  g_atomic_int_inc(&f->probes);
  if (f->slow_ms)
    g_usleep(f->slow_ms * 1000);
  gboolean up = g_atomic_int_get(&f->up);
  if (!up)
    *error = g_strdup_printf("Kafka: metadata request: Local: Broker transport failure (%d ms)",
                             timeout_ms);
  g_atomic_int_inc(&f->returned);
  return up;
}

static void
run_for(guint ms)
{
  gint64 until = g_get_monotonic_time() + ms * 1000;
  while (g_get_monotonic_time() < until)
    g_main_context_iteration(NULL, FALSE), g_usleep(1000);
}

/* Runs the loop until the check is in state, up to timeout_ms; the record (clear it). */
static ImsCheck
wait_state(Fixture *f, ImsCheckState state, guint timeout_ms)
{
  gint64 until = g_get_monotonic_time() + timeout_ms * 1000;
  ImsCheck check;
  for (;;) {
    ims_kafka_check_get(f->check, &check);
    if (check.state == state || g_get_monotonic_time() > until)
      return check;
    ims_check_clear(&check);
    run_for(2);
  }
}

static int
setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  f->up = TRUE;
  *state = f;
  return 0;
}

static void
start(Fixture *f)
{
  const ImsKafkaCheckConfig config = {
    .probe = fake_probe,
    .data = f,
    .ok_interval_ms = OK_MS,
    .failing_interval_ms = FAILING_MS,
    .timeout_ms = 500,
  };
  f->check = ims_kafka_check_new(&config);
}

static int
teardown(void **state)
{
  Fixture *f = *state;
  ims_kafka_check_free(f->check);
  run_for(20); /* answers of probes after free are dropped */
  g_free(f);
  return 0;
}

/* Brokers down, no delivery: a probe sees it; back up: the probe sees that
 * too, and the error is marked cleared. */
static void
test_probe_follows_the_brokers(void **state)
{
  Fixture *f = *state;
  start(f);
  ImsCheck check;
  ims_kafka_check_get(f->check, &check);
  assert_int_equal(check.state, IMS_CHECK_OK); /* assumed until checked */
  assert_int_equal(check.checked_at, 0);
  ims_check_clear(&check);
  run_for(50);
  check = wait_state(f, IMS_CHECK_OK, 1000);
  assert_int_equal(check.state, IMS_CHECK_OK);
  assert_true(check.checked_at > 0); /* the first probe, at once */
  assert_null(check.last_error);
  ims_check_clear(&check);

  g_atomic_int_set(&f->up, FALSE);
  gint64 down_at = g_get_real_time();
  check = wait_state(f, IMS_CHECK_UNAVAILABLE, OK_MS + 500);
  assert_int_equal(check.state, IMS_CHECK_UNAVAILABLE);
  assert_non_null(strstr(check.last_error, "Broker transport failure (500 ms)"));
  assert_true(check.last_error_at >= down_at);
  assert_int_equal(check.cleared_at, 0);
  ims_check_clear(&check);

  g_atomic_int_set(&f->up, TRUE);
  gint64 up_at = g_get_real_time();
  check = wait_state(f, IMS_CHECK_OK, 10 * FAILING_MS + 200);
  assert_int_equal(check.state, IMS_CHECK_OK);
  assert_true(check.since >= up_at);
  assert_true(check.cleared_at >= up_at);
  assert_non_null(check.last_error); /* kept, marked past */
  ims_check_clear(&check);
}

/* Probes come every OK_MS while ok, every FAILING_MS while not. */
static void
test_probe_rate_follows_the_state(void **state)
{
  Fixture *f = *state;
  start(f);
  run_for(50);
  int before = g_atomic_int_get(&f->probes);
  run_for(3 * OK_MS);
  int while_ok = g_atomic_int_get(&f->probes) - before;
  assert_true(while_ok >= 2 && while_ok <= 4);

  g_atomic_int_set(&f->up, FALSE);
  ImsCheck check = wait_state(f, IMS_CHECK_UNAVAILABLE, OK_MS + 500);
  ims_check_clear(&check);
  before = g_atomic_int_get(&f->probes);
  run_for(3 * OK_MS);
  int while_down = g_atomic_int_get(&f->probes) - before;
  assert_true(while_down >= 10);
}

/* What the client reports: every broker down fails the check at once, a
 * delivery makes it ok at once; another error only brings the next probe
 * forward. */
static void
test_client_reports(void **state)
{
  Fixture *f = *state;
  start(f);
  ImsCheck check = wait_state(f, IMS_CHECK_OK, 1000);
  ims_check_clear(&check);
  run_for(30);

  int before = g_atomic_int_get(&f->probes);
  ims_kafka_check_client_error(f->check, FALSE, "1/3 brokers are down");
  ims_kafka_check_get(f->check, &check);
  assert_int_equal(check.state, IMS_CHECK_OK);
  assert_null(check.last_error);
  ims_check_clear(&check);
  run_for(4 * FAILING_MS);
  assert_true(g_atomic_int_get(&f->probes) > before); /* before OK_MS was up */

  g_atomic_int_set(&f->up, FALSE);
  ims_kafka_check_client_error(f->check, TRUE, "3/3 brokers are down");
  ims_kafka_check_get(f->check, &check);
  assert_int_equal(check.state, IMS_CHECK_UNAVAILABLE);
  assert_string_equal(check.last_error, "3/3 brokers are down");
  ims_check_clear(&check);

  ims_kafka_check_reached(f->check);
  ims_kafka_check_get(f->check, &check);
  assert_int_equal(check.state, IMS_CHECK_OK);
  assert_true(check.cleared_at > 0);
  ims_check_clear(&check);
}

/* free waits for a probe that is still running, so its data may go. */
static void
test_free_waits_for_a_running_probe(void **state)
{
  Fixture *f = *state;
  f->slow_ms = 150;
  start(f); /* the first probe starts now */
  g_usleep(20 * 1000);
  assert_int_equal(g_atomic_int_get(&f->returned), 0);
  ims_kafka_check_free(f->check);
  f->check = NULL;
  assert_int_equal(g_atomic_int_get(&f->returned), 1);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_probe_follows_the_brokers, setup, teardown),
    cmocka_unit_test_setup_teardown(test_probe_rate_follows_the_state, setup, teardown),
    cmocka_unit_test_setup_teardown(test_client_reports, setup, teardown),
    cmocka_unit_test_setup_teardown(test_free_waits_for_a_running_probe, setup, teardown),
  };
  return cmocka_run_group_tests_name("kafka-check", tests, NULL, NULL);
}
