/* Unit tests for events/consumer.c: the platform events imsd acts on.
 *
 * Kafka is the fake of unit/kafka-fake.c (the kafka.h seam): the tests push
 * messages to the fake consumer, see the offsets it commits and the records
 * the DLQ producer was given, and send that producer's delivery reports.
 * The handler is the test's.  They check what consumer.h promises: one
 * message at a time, committed once handled; a failed handler retried after
 * 0.5 s, 1 s, 2 s, then the message goes to <topic>-dlq with the platform's
 * headers and is committed only once the DLQ has it; a message that cannot
 * parse goes to the DLQ at once; a type imsd does not handle is committed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "consumer.h"
#include "kafka-fake.h"
#include "metrics.h"

#define DELETED(id) \
  "{\"eventId\":\"" id "\",\"eventType\":\"user.deleted\"," \
  "\"timestamp\":1700000000000,\"userId\":\"user-7\",\"data\":{}}"

typedef struct {
  ImsConsumer *consumer;
  ImsKafkaFakeConsumer *kafka; /* the fake consumer */
  ImsKafkaFake *dlq;           /* the fake DLQ producer */
  guint failures;              /* the handler fails this many calls first */
  gboolean hold;               /* the handler keeps done for later */
  ImsConsumerDone held;
  GArray *calls;      /* gint64 monotonic times of handler calls */
  GPtrArray *handled; /* char*: "<eventType> <eventId> <userId>" */
} Fixture;

static void
handler(const ImsConsumedEvent *event, ImsConsumer *consumer, ImsConsumerDone done,
        gpointer user_data)
{
  Fixture *f = user_data;
  gint64 now = g_get_monotonic_time();
  g_array_append_val(f->calls, now);
  g_ptr_array_add(f->handled,
                  g_strdup_printf("%s %s %s", event->event_type, event->event_id, event->user_id));
  if (f->hold) {
    f->held = done;
    return;
  }
  if (f->failures > 0) {
    f->failures--;
    done(consumer, "database down");
    return;
  }
  done(consumer, NULL);
}

static int
setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  f->calls = g_array_new(FALSE, FALSE, sizeof(gint64));
  f->handled = g_ptr_array_new_with_free_func(g_free);
  ImsConsumerConfig config = {
    .bootstrap_servers = "broker:9092",
    .properties = "",
    .group_id = "media-server-group",
    .handler = handler,
    .handler_data = f,
    .kafka = &ims_kafka_fake_ops,
  };
  g_autoptr(GError) error = NULL;
  f->consumer = ims_consumer_new(&config, &error);
  assert_null(error);
  assert_non_null(f->consumer);
  f->kafka = ims_kafka_fake_consumer();
  f->dlq = ims_kafka_fake();
  assert_non_null(f->kafka);
  assert_non_null(f->dlq);
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *f = *state;
  ims_consumer_free(f->consumer);
  assert_null(ims_kafka_fake_consumer());
  assert_null(ims_kafka_fake());
  g_array_unref(f->calls);
  g_ptr_array_unref(f->handled);
  g_free(f);
  return 0;
}

#define WAIT_FOR IMS_KAFKA_FAKE_WAIT_FOR
#define run_for ims_kafka_fake_run_for

static gint64
committed(Fixture *f, guint index)
{
  return g_array_index(f->kafka->committed, gint64, index);
}

static void
test_subscribes_to_user_and_auth_events(void **state)
{
  Fixture *f = *state;
  assert_int_equal(f->kafka->topics->len, 2);
  assert_string_equal(g_ptr_array_index(f->kafka->topics, 0), "user-events");
  assert_string_equal(g_ptr_array_index(f->kafka->topics, 1), "auth-events");
}

static void
test_handled_message_is_committed(void **state)
{
  Fixture *f = *state;
  ims_kafka_fake_consumer_push(f->kafka, "user-events", 41, DELETED("e-1"));
  WAIT_FOR(f->kafka->committed->len == 1, 2000);
  assert_int_equal(f->handled->len, 1);
  assert_string_equal(g_ptr_array_index(f->handled, 0), "user.deleted e-1 user-7");
  assert_int_equal(f->kafka->committed->len, 1);
  assert_int_equal(committed(f, 0), 41);
  assert_int_equal(f->dlq->produced->len, 0);
}

static void
test_one_message_at_a_time(void **state)
{
  Fixture *f = *state;
  f->hold = TRUE;
  ims_kafka_fake_consumer_push(f->kafka, "user-events", 1, DELETED("e-1"));
  ims_kafka_fake_consumer_push(f->kafka, "user-events", 2, DELETED("e-2"));
  run_for(100);
  assert_int_equal(f->handled->len, 1);
  assert_int_equal(f->kafka->consumed, 1); /* the second waits in the queue */
  assert_int_equal(f->kafka->committed->len, 0);

  f->hold = FALSE;
  f->held(f->consumer, NULL);
  /* the second message signalled nothing new: the consumer looks by itself */
  WAIT_FOR(f->kafka->committed->len == 2, 2000);
  assert_int_equal(f->handled->len, 2);
  assert_string_equal(g_ptr_array_index(f->handled, 1), "user.deleted e-2 user-7");
  assert_int_equal(committed(f, 0), 1);
  assert_int_equal(committed(f, 1), 2);
}

static void
test_failed_handler_is_retried_with_backoff(void **state)
{
  Fixture *f = *state;
  f->failures = 2;
  ims_kafka_fake_consumer_push(f->kafka, "user-events", 5, DELETED("e-5"));
  WAIT_FOR(f->kafka->committed->len == 1, 5000);
  assert_int_equal(f->calls->len, 3);
  gint64 *at = (gint64 *) f->calls->data;
  assert_true(at[1] - at[0] >= 490 * 1000); /* 0.5 s */
  assert_true(at[1] - at[0] < 1000 * 1000);
  assert_true(at[2] - at[1] >= 990 * 1000); /* 1 s */
  assert_true(at[2] - at[1] < 2000 * 1000);
  assert_int_equal(committed(f, 0), 5);
  assert_int_equal(f->dlq->produced->len, 0);
}

static void
test_dead_letter_after_the_retry_limit(void **state)
{
  Fixture *f = *state;
  f->failures = 100;
  ims_kafka_fake_consumer_push(f->kafka, "user-events", 9, DELETED("e-9"));
  WAIT_FOR(f->dlq->produced->len == 1, 6000);
  assert_int_equal(f->calls->len, 4); /* the first try and 3 retries */
  gint64 *at = (gint64 *) f->calls->data;
  assert_true(at[3] - at[2] >= 1990 * 1000); /* 2 s */
  assert_int_equal(f->dlq->produced->len, 1);
  ImsKafkaFakeRecord *record = g_ptr_array_index(f->dlq->produced, 0);
  assert_string_equal(record->topic, "user-events-dlq");
  assert_string_equal(record->key, "key-9");
  assert_string_equal(record->value, DELETED("e-9"));
  assert_string_equal(g_hash_table_lookup(record->headers, "dlq-original-topic"), "user-events");
  assert_string_equal(g_hash_table_lookup(record->headers, "dlq-original-partition"), "0");
  assert_string_equal(g_hash_table_lookup(record->headers, "dlq-original-offset"), "9");
  assert_string_equal(g_hash_table_lookup(record->headers, "dlq-error"), "database down");
  assert_string_equal(g_hash_table_lookup(record->headers, "dlq-retry-count"), "3");

  /* committed only once the DLQ has it */
  run_for(100);
  assert_int_equal(f->kafka->committed->len, 0);
  ims_kafka_fake_report(f->dlq, 0, NULL);
  WAIT_FOR(f->kafka->committed->len == 1, 2000);
  assert_int_equal(f->kafka->committed->len, 1);
  assert_int_equal(committed(f, 0), 9);
  run_for(100);
  assert_int_equal(f->calls->len, 4);
}

static void
test_message_that_cannot_parse_goes_to_the_dlq_at_once(void **state)
{
  Fixture *f = *state;
  ims_kafka_fake_consumer_push(f->kafka, "auth-events", 3, "not json");
  WAIT_FOR(f->dlq->produced->len == 1, 2000);
  assert_int_equal(f->calls->len, 0);
  ImsKafkaFakeRecord *record = g_ptr_array_index(f->dlq->produced, 0);
  assert_string_equal(record->topic, "auth-events-dlq");
  assert_string_equal(g_hash_table_lookup(record->headers, "dlq-retry-count"), "0");
  assert_non_null(g_hash_table_lookup(record->headers, "dlq-error"));
  run_for(50);
  assert_int_equal(f->kafka->committed->len, 0); /* only once the DLQ has it */
  ims_kafka_fake_report(f->dlq, 0, NULL);
  WAIT_FOR(f->kafka->committed->len == 1, 2000);
  assert_int_equal(committed(f, 0), 3);
}

static void
test_type_imsd_does_not_handle_is_committed(void **state)
{
  Fixture *f = *state;
  ims_kafka_fake_consumer_push(f->kafka, "user-events", 12,
                               "{\"eventId\":\"e-12\",\"eventType\":\"user.created\","
                               "\"userId\":\"user-7\"}");
  WAIT_FOR(f->kafka->committed->len == 1, 2000);
  assert_int_equal(committed(f, 0), 12);
  assert_int_equal(f->calls->len, 0);
  assert_int_equal(f->dlq->produced->len, 0);
}

/* GET /metrics: every message taken is counted, its age when taken is the
 * lag, and a message the DLQ has is counted once it confirmed. */
static void
test_metrics_count_messages_lag_and_dead_letters(void **state)
{
  Fixture *f = *state;
  double taken = ims_metric_get(&ims_metric_consumed_events, 0);
  double dead = ims_metric_get(&ims_metric_dead_lettered, 0);
  g_autofree char *old = g_strdup_printf("{\"eventId\":\"e-5\",\"eventType\":\"user.deleted\","
                                         "\"timestamp\":%" G_GINT64_FORMAT ",\"userId\":\"user-7\"}",
                                         g_get_real_time() / 1000 - 90000);
  ims_kafka_fake_consumer_push(f->kafka, "user-events", 5, old);
  WAIT_FOR(f->kafka->committed->len == 1, 2000);
  assert_true(ims_metric_get(&ims_metric_consumed_events, 0) == taken + 1);
  double lag = ims_metric_get(&ims_metric_consumer_lag_seconds, 0);
  assert_true(lag >= 90 && lag < 100);

  ims_kafka_fake_consumer_push(f->kafka, "auth-events", 6, "not json");
  WAIT_FOR(f->dlq->produced->len == 1, 2000);
  assert_true(ims_metric_get(&ims_metric_consumed_events, 0) == taken + 2);
  assert_true(ims_metric_get(&ims_metric_dead_lettered, 0) == dead); /* not confirmed yet */
  ims_kafka_fake_report(f->dlq, 0, NULL);
  WAIT_FOR(f->kafka->committed->len == 2, 2000);
  assert_true(ims_metric_get(&ims_metric_dead_lettered, 0) == dead + 1);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
  const struct CMUnitTest tests[] = {
    T(test_subscribes_to_user_and_auth_events),
    T(test_handled_message_is_committed),
    T(test_one_message_at_a_time),
    T(test_failed_handler_is_retried_with_backoff),
    T(test_dead_letter_after_the_retry_limit),
    T(test_message_that_cannot_parse_goes_to_the_dlq_at_once),
    T(test_type_imsd_does_not_handle_is_committed),
    T(test_metrics_count_messages_lag_and_dead_letters),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
