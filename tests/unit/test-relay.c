/* Unit tests for events/relay.c: the outbox relay.
 *
 * The store is a fake (the ImsStore seam, unit/outbox-fake.c) holding outbox rows in memory,
 * behind the real database thread; Kafka is the fake producer of
 * unit/kafka-fake.c (the kafka.h seam), whose delivery reports the tests
 * send.  They check what relay.h promises: rows go out in id order with
 * their headers, at most BATCH (500) per read of the outbox; a row is marked
 * sent only once Kafka has it; after a failed report the relay waits for
 * every earlier report and resends from the oldest unsent row; a full local
 * queue stops a round, and the next one goes on in order; freeing flushes
 * and marks what was delivered, and leaves the rest unsent; a poke reads at
 * once, a poke during a read reads again as soon as it answers (no timer),
 * behind a full read or a full queue delivery reports read the next rows, and
 * acknowledgements that come during a mark go together in the next.
 * The fake store (unit/outbox-fake.c) can hold a read's or a mark's answer
 * (its gates), to put the relay in those states.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdint.h>
#include <string.h>

#include "kafka-fake.h"
#include "metrics.h"
#include "outbox-fake.h"
#include "relay.h"

typedef ImsOutboxFakeListCall ListCall;

/* Row id: key session-<id % 3>, eventId event-<id>, value {"n":id}. */
static ImsOutboxEvent *
make_row(guint id, gpointer data)
{
  g_autofree char *event_id = g_strdup_printf("event-%u", id);
  g_autofree char *key = g_strdup_printf("session-%u", id % 3);
  g_autofree char *value = g_strdup_printf("{\"n\":%u}", id);
  return ims_outbox_event_new(event_id, "candidate.started", "interview-events", key, value);
}

typedef struct {
  ImsOutboxFake store;
  ImsDatabase *database;
  ImsRelay *relay;
} Fixture;

static int
setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  ims_outbox_fake_init(&f->store, make_row, NULL);
  f->database = ims_database_new(&f->store.base, NULL);
  *state = f;
  return 0;
}

static void
set_gate(Fixture *f, guint *gate, guint allowed)
{
  ims_outbox_fake_set_gate(&f->store, gate, allowed);
}

/* Without running the main context (so no timer of the relay can run meanwhile). */
static gboolean
wait_for_calls(Fixture *f, GArray *calls, guint count, guint ms)
{
  return ims_outbox_fake_wait_for_calls(&f->store, calls, count, ms);
}

static void
add_rows(Fixture *f, guint count)
{
  ims_outbox_fake_add_rows(&f->store, count);
}

static int
teardown(void **state)
{
  Fixture *f = *state;
  set_gate(f, &f->store.lists_allowed, G_MAXUINT);
  set_gate(f, &f->store.marks_allowed, G_MAXUINT);
  ims_relay_free(f->relay, 0);
  assert_true(ims_database_flush(f->database, 5000));
  ims_database_free(f->database);
  ims_outbox_fake_clear(&f->store);
  g_free(f);
  return 0;
}

/* Puts rows 1..rows in the outbox and starts the relay on the fake producer. */
static ImsKafkaFake *
start(Fixture *f, guint rows, guint queue_limit)
{
  add_rows(f, rows);
  ImsRelayConfig config = { f->database, "broker:9092", "", &ims_kafka_fake_ops };
  g_autoptr(GError) error = NULL;
  f->relay = ims_relay_new(&config, &error);
  assert_null(error);
  assert_non_null(f->relay);
  ImsKafkaFake *fake = ims_kafka_fake();
  assert_non_null(fake);
  fake->queue_limit = queue_limit;
  return fake;
}

#define WAIT_FOR IMS_KAFKA_FAKE_WAIT_FOR
#define run_for ims_kafka_fake_run_for

static gint64
produced_id(ImsKafkaFake *fake, guint index)
{
  ImsKafkaFakeRecord *record = g_ptr_array_index(fake->produced, index);
  return (gint64) (intptr_t) record->opaque;
}

static guint
list_calls(Fixture *f)
{
  g_mutex_lock(&f->store.lock);
  guint count = f->store.list_calls->len;
  g_mutex_unlock(&f->store.lock);
  return count;
}

static ListCall
list_call(Fixture *f, guint index)
{
  g_mutex_lock(&f->store.lock);
  ListCall call = g_array_index(f->store.list_calls, ListCall, index);
  g_mutex_unlock(&f->store.lock);
  return call;
}

static gboolean
is_sent(Fixture *f, guint id)
{
  return ims_outbox_fake_is_sent(&f->store, id);
}

static guint
sent_count(Fixture *f)
{
  guint count = 0;
  for (guint id = 1; id <= f->store.rows; id++)
    count += is_sent(f, id);
  return count;
}

static void
test_publishes_in_order_and_marks_sent_on_delivery(void **state)
{
  Fixture *f = *state;
  ImsKafkaFake *fake = start(f, 3, 0);

  WAIT_FOR(fake->produced->len == 3, 2000);
  assert_int_equal(fake->produced->len, 3);
  for (guint i = 0; i < 3; i++)
    assert_int_equal(produced_id(fake, i), i + 1);
  ImsKafkaFakeRecord *first = g_ptr_array_index(fake->produced, 0);
  assert_string_equal(first->topic, "interview-events");
  assert_string_equal(first->key, "session-1");
  assert_string_equal(first->value, "{\"n\":1}");
  assert_string_equal(g_hash_table_lookup(first->headers, "eventType"), "candidate.started");
  assert_string_equal(g_hash_table_lookup(first->headers, "eventId"), "event-1");

  ImsRelayStatus status;
  ims_relay_get_status(f->relay, &status);
  assert_int_equal(status.in_flight, 3);
  assert_true(status.kafka_ok);
  ims_relay_status_clear(&status);

  /* nothing is sent before its delivery report */
  run_for(100);
  assert_int_equal(sent_count(f), 0);
  ims_kafka_fake_report(fake, 0, NULL);
  ims_kafka_fake_report(fake, 1, NULL);
  WAIT_FOR(sent_count(f) == 2, 2000);
  assert_true(is_sent(f, 1));
  assert_true(is_sent(f, 2));
  assert_false(is_sent(f, 3));
  ims_kafka_fake_report(fake, 2, NULL);
  WAIT_FOR(sent_count(f) == 3, 2000);
  assert_int_equal(sent_count(f), 3);

  WAIT_FOR((ims_relay_get_status(f->relay, &status), ims_relay_status_clear(&status),
            status.pending == 0),
           2000);
  ims_relay_get_status(f->relay, &status);
  assert_int_equal(status.pending, 0);
  assert_int_equal(status.in_flight, 0);
  assert_true(status.kafka_ok);
  assert_null(status.last_error);
  ims_relay_status_clear(&status);
  /* every row went out once */
  assert_int_equal(fake->produced->len, 3);
}

static void
test_reads_at_most_500_rows_at_a_time(void **state)
{
  Fixture *f = *state;
  ImsKafkaFake *fake = start(f, 1200, 0);

  WAIT_FOR(fake->produced->len >= 500, 2000);
  assert_int_equal(fake->produced->len, 500);
  assert_int_equal(list_call(f, 0).after_id, 0);
  assert_int_equal(list_call(f, 0).limit, 500);
  /* the next read waits for a poke or the idle read (1 s) */
  run_for(200);
  assert_int_equal(fake->produced->len, 500);

  /* the rest follows, unacknowledged, past the high water mark */
  WAIT_FOR(fake->produced->len == 1200, 5000);
  assert_int_equal(fake->produced->len, 1200);
  for (guint i = 0; i < 1200; i++)
    assert_int_equal(produced_id(fake, i), i + 1);
  assert_true(list_calls(f) >= 3);
  assert_int_equal(list_call(f, 1).after_id, 500);
  assert_int_equal(list_call(f, 2).after_id, 1000);
  for (guint i = 0; i < list_calls(f); i++)
    assert_int_equal(list_call(f, i).limit, 500);

  ims_kafka_fake_report_all(fake, NULL);
  WAIT_FOR(sent_count(f) == 1200, 5000);
  assert_int_equal(sent_count(f), 1200);
}

static void
test_failed_delivery_resends_from_the_oldest_unsent_row(void **state)
{
  Fixture *f = *state;
  ImsKafkaFake *fake = start(f, 5, 0);

  WAIT_FOR(fake->produced->len == 5, 2000);
  assert_int_equal(fake->produced->len, 5);
  ims_kafka_fake_report(fake, 0, NULL);
  ims_kafka_fake_report(fake, 1, "Broker: Not enough in-sync replicas");
  WAIT_FOR(is_sent(f, 1), 2000);
  assert_true(is_sent(f, 1));

  ImsRelayStatus status;
  ims_relay_get_status(f->relay, &status);
  assert_false(status.kafka_ok);
  assert_non_null(status.last_error);
  assert_non_null(strstr(status.last_error, "delivery of outbox row 2 to interview-events failed: "
                                            "Broker: Not enough in-sync replicas"));
  assert_true(status.last_error_at > 0 && status.last_error_at <= g_get_real_time());
  ims_relay_status_clear(&status);

  /* rows 3..5 are still with the producer: no re-read until they report */
  guint calls = list_calls(f);
  run_for(300);
  assert_int_equal(list_calls(f), calls);
  assert_int_equal(fake->produced->len, 5);

  for (guint i = 2; i < 5; i++)
    ims_kafka_fake_report(fake, i, "Broker: Not enough in-sync replicas");
  WAIT_FOR(fake->produced->len == 9, 2000);
  assert_int_equal(fake->produced->len, 9);
  /* resent from the oldest unsent row, in order, row 1 not again */
  assert_int_equal(list_call(f, list_calls(f) - 1).after_id, 0);
  for (guint i = 0; i < 4; i++)
    assert_int_equal(produced_id(fake, 5 + i), i + 2);

  ims_kafka_fake_report_all(fake, NULL);
  WAIT_FOR(sent_count(f) == 5, 2000);
  assert_int_equal(sent_count(f), 5);
  ims_relay_get_status(f->relay, &status);
  assert_true(status.kafka_ok);
  assert_int_equal(status.in_flight, 0);
  /* a delivery after the failure clears the error (its time stays as when it cleared) */
  assert_null(status.last_error);
  assert_int_equal(status.last_error_at, 0);
  ims_relay_status_clear(&status);
  run_for(100);
  assert_int_equal(fake->produced->len, 9);
}

static void
test_full_queue_stops_the_round_and_the_next_goes_on_in_order(void **state)
{
  Fixture *f = *state;
  ImsKafkaFake *fake = start(f, 5, 2);

  WAIT_FOR(fake->produced->len == 2 && fake->refused == 1, 2000);
  assert_int_equal(fake->produced->len, 2);
  assert_int_equal(fake->refused, 1); /* row 3 refused: the round stopped there */
  ImsRelayStatus status;
  ims_relay_get_status(f->relay, &status);
  assert_null(status.last_error); /* a full queue is no error */
  assert_true(status.kafka_ok);
  ims_relay_status_clear(&status);

  ims_kafka_fake_report_all(fake, NULL);
  ims_relay_poke(f->relay);
  WAIT_FOR(fake->produced->len == 4, 2000);
  assert_int_equal(fake->produced->len, 4);
  assert_int_equal(list_call(f, list_calls(f) - 1).after_id, 2);
  ims_kafka_fake_report_all(fake, NULL);
  ims_relay_poke(f->relay);
  WAIT_FOR(fake->produced->len == 5, 2000);
  assert_int_equal(fake->produced->len, 5);
  for (guint i = 0; i < 5; i++)
    assert_int_equal(produced_id(fake, i), i + 1);
  ims_kafka_fake_report_all(fake, NULL);
  WAIT_FOR(sent_count(f) == 5, 2000);
  assert_int_equal(sent_count(f), 5);
}

static void
test_free_flushes_marks_delivered_and_leaves_the_rest(void **state)
{
  Fixture *f = *state;
  ImsKafkaFake *fake = start(f, 3, 0);

  WAIT_FOR(fake->produced->len == 3, 2000);
  assert_int_equal(fake->produced->len, 3);
  /* reports that only the flush serves (the loop does not run them) */
  void (*ready)(gpointer) = fake->ready;
  fake->ready = NULL;
  ims_kafka_fake_report(fake, 0, NULL);
  ims_kafka_fake_report(fake, 1, NULL);
  fake->ready = ready;
  ims_relay_free(g_steal_pointer(&f->relay), 100);
  assert_null(ims_kafka_fake()); /* the producer is freed */
  assert_true(ims_database_flush(f->database, 5000));
  assert_true(is_sent(f, 1));
  assert_true(is_sent(f, 2));
  assert_false(is_sent(f, 3)); /* purged: stays for the next start */
}

/* GET /metrics: an event's commit -> delivery latency is observed at its
 * (successful) delivery report, once; the oldest one in flight is kept. */
static void
test_delivery_latency_is_observed_once_per_delivered_event(void **state)
{
  Fixture *f = *state;
  ims_metric_reset(&ims_metric_relay_delivery_seconds);
  ImsKafkaFake *fake = start(f, 2, 0);
  WAIT_FOR(fake->produced->len == 2, 2000);
  gint64 oldest = ims_metric_stamps_oldest(&ims_metric_relay_stamps);
  assert_true(oldest > 0 && g_get_real_time() - oldest >= 1500000);

  ims_kafka_fake_report(fake, 0, "broker down"); /* a failure observes nothing */
  ims_kafka_fake_report(fake, 1, NULL);
  WAIT_FOR(sent_count(f) == 1, 2000);
  assert_int_equal(ims_metric_get_count(&ims_metric_relay_delivery_seconds, 0), 1);
  double seconds = ims_metric_get(&ims_metric_relay_delivery_seconds, 0);
  assert_true(seconds >= 1.5 && seconds < 60);
}

/* A poke's read is queued in the loop iteration that serves the poke, not
 * on a later timer tick. */
static void
test_a_poke_reads_at_once(void **state)
{
  Fixture *f = *state;
  ImsKafkaFake *fake = start(f, 3, 0);

  WAIT_FOR(fake->produced->len == 3, 2000);
  assert_int_equal(fake->produced->len, 3);
  assert_int_equal(list_calls(f), 1);
  add_rows(f, 2);
  ims_relay_poke(f->relay);
  g_main_context_iteration(NULL, FALSE); /* one iteration, waiting for nothing */
  assert_true(wait_for_calls(f, f->store.list_calls, 2, 2000));
  assert_int_equal(list_call(f, 1).after_id, 3);
  WAIT_FOR(fake->produced->len == 5, 2000);
  assert_int_equal(fake->produced->len, 5);
  assert_int_equal(produced_id(fake, 3), 4);
  assert_int_equal(produced_id(fake, 4), 5);
}

/* A poke while a read is in flight starts no second read beside it; the
 * read's answer queues the next read itself (no timer), which finds the
 * rows the first one could not see. */
static void
test_a_poke_during_a_read_reads_again_when_it_answers(void **state)
{
  Fixture *f = *state;
  f->store.lists_allowed = 0; /* every read waits for the test */
  ImsKafkaFake *fake = start(f, 3, 0);

  WAIT_FOR(list_calls(f) == 1, 2000);
  assert_int_equal(list_calls(f), 1); /* it saw rows 1..3 */
  add_rows(f, 2);
  ims_relay_poke(f->relay);
  run_for(100);
  assert_int_equal(list_calls(f), 1); /* one read at a time */
  assert_int_equal(fake->produced->len, 0);

  set_gate(f, &f->store.lists_allowed, 1); /* the first read answers, the second waits */
  WAIT_FOR(fake->produced->len == 3, 2000);
  assert_int_equal(fake->produced->len, 3);
  assert_true(wait_for_calls(f, f->store.list_calls, 2, 2000)); /* main context not run */
  assert_int_equal(list_call(f, 1).after_id, 3);
  set_gate(f, &f->store.lists_allowed, G_MAXUINT);
  WAIT_FOR(fake->produced->len == 5, 2000);
  assert_int_equal(fake->produced->len, 5);
  for (guint i = 0; i < 5; i++)
    assert_int_equal(produced_id(fake, i), i + 1);
}

/* Acknowledgements that come while a mark is in flight wait for it and are
 * then marked together, in one statement. */
static void
test_acks_during_a_mark_are_marked_together_after_it(void **state)
{
  Fixture *f = *state;
  ImsKafkaFake *fake = start(f, 4, 0);

  WAIT_FOR(fake->produced->len == 4, 2000);
  assert_int_equal(fake->produced->len, 4);
  set_gate(f, &f->store.marks_allowed, 0);
  ims_kafka_fake_report(fake, 0, NULL); /* each report: a poll round of its own */
  assert_true(wait_for_calls(f, f->store.mark_calls, 1, 2000));
  ims_kafka_fake_report(fake, 1, NULL);
  ims_kafka_fake_report(fake, 2, NULL);
  ims_kafka_fake_report(fake, 3, NULL);
  run_for(100);
  set_gate(f, &f->store.marks_allowed, G_MAXUINT);
  WAIT_FOR(sent_count(f) == 4, 2000);
  assert_int_equal(sent_count(f), 4);
  run_for(100);
  g_mutex_lock(&f->store.lock);
  guint marks = f->store.mark_calls->len;
  guint first = g_array_index(f->store.mark_calls, guint, 0);
  guint second = marks > 1 ? g_array_index(f->store.mark_calls, guint, 1) : 0;
  g_mutex_unlock(&f->store.lock);
  assert_int_equal(marks, 2);
  assert_int_equal(first, 1);
  assert_int_equal(second, 3);
}

/* Behind a full read (500 rows) more rows wait: delivery reports read the
 * next ones, without a poke and without waiting for the idle read. */
static void
test_a_backlog_reads_on_delivery_reports(void **state)
{
  Fixture *f = *state;
  ImsKafkaFake *fake = start(f, 1200, 0);

  WAIT_FOR(fake->produced->len == 500, 2000);
  assert_int_equal(fake->produced->len, 500);
  assert_int_equal(list_calls(f), 1);
  ims_kafka_fake_report(fake, 0, NULL); /* serves the report, in this call */
  assert_true(wait_for_calls(f, f->store.list_calls, 2, 2000)); /* main context not run */
  assert_int_equal(list_call(f, 1).after_id, 500);
  WAIT_FOR(fake->produced->len == 1000, 2000);
  assert_int_equal(fake->produced->len, 1000);
  ims_kafka_fake_report(fake, 1, NULL);
  assert_true(wait_for_calls(f, f->store.list_calls, 3, 2000));
  WAIT_FOR(fake->produced->len == 1200, 2000);
  assert_int_equal(fake->produced->len, 1200);
  for (guint i = 0; i < 1200; i++)
    assert_int_equal(produced_id(fake, i), i + 1);
  /* the last read was not full: a report reads nothing more */
  ims_kafka_fake_report(fake, 2, NULL);
  WAIT_FOR(sent_count(f) == 3, 2000);
  run_for(100);
  assert_int_equal(list_calls(f), 3);
  ims_kafka_fake_report_all(fake, NULL);
  WAIT_FOR(sent_count(f) == 1200, 5000);
  assert_int_equal(sent_count(f), 1200);
}

/* A round that stopped at a full local queue goes on when reports free it,
 * without a poke. */
static void
test_a_full_queue_reads_on_delivery_reports(void **state)
{
  Fixture *f = *state;
  ImsKafkaFake *fake = start(f, 5, 2);

  WAIT_FOR(fake->produced->len == 2 && fake->refused == 1, 2000);
  assert_int_equal(fake->refused, 1);
  assert_int_equal(list_calls(f), 1);
  ims_kafka_fake_report_all(fake, NULL);
  assert_true(wait_for_calls(f, f->store.list_calls, 2, 2000)); /* main context not run */
  assert_int_equal(list_call(f, 1).after_id, 2);
  WAIT_FOR(fake->produced->len == 4, 2000);
  assert_int_equal(fake->produced->len, 4);
  ims_kafka_fake_report_all(fake, NULL);
  WAIT_FOR(fake->produced->len == 5, 2000);
  assert_int_equal(fake->produced->len, 5);
  for (guint i = 0; i < 5; i++)
    assert_int_equal(produced_id(fake, i), i + 1);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
  const struct CMUnitTest tests[] = {
    T(test_publishes_in_order_and_marks_sent_on_delivery),
    T(test_reads_at_most_500_rows_at_a_time),
    T(test_failed_delivery_resends_from_the_oldest_unsent_row),
    T(test_full_queue_stops_the_round_and_the_next_goes_on_in_order),
    T(test_free_flushes_marks_delivered_and_leaves_the_rest),
    T(test_delivery_latency_is_observed_once_per_delivered_event),
    T(test_a_poke_reads_at_once),
    T(test_a_poke_during_a_read_reads_again_when_it_answers),
    T(test_acks_during_a_mark_are_marked_together_after_it),
    T(test_a_backlog_reads_on_delivery_reports),
    T(test_a_full_queue_reads_on_delivery_reports),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
