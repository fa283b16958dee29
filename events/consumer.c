/* consumer.c: the platform events imsd acts on; see consumer.h. */
#define G_LOG_DOMAIN "imsd.consumer"

#include "consumer.h"

#include <gio/gio.h>
#include <string.h>

#include "metrics.h"
#include "topic.h"

#define MAX_RETRIES 3
#define FIRST_RETRY_MS 500
#define DLQ_TIMEOUT_MS 10000 /* a DLQ write not acknowledged by then is tried again */

struct _ImsConsumer {
  ImsConsumerConfig config;
  const ImsKafkaOps *kafka;
  ImsKafkaClient *consumer;     /* its queue is served on the loop (on_messages) */
  ImsKafkaClient *dlq_producer; /* its delivery reports too (on_dlq_reports) */

  ImsKafkaMessage *current; /* being handled; polling waits */
  ImsConsumedEvent *event;  /* parsed current */
  int attempts;
  guint retry_id;
  char *dlq_reason; /* a DLQ write that waits for Kafka */
  int dlq_retries;
  gboolean dlq_in_flight; /* the current message is on its way to the DLQ */
};

static void
finish_current(ImsConsumer *consumer)
{
  g_autoptr(GError) error = NULL;
  if (!consumer->kafka->commit(consumer->consumer, consumer->current, &error))
    g_warning("cannot commit %s [%d] @%" G_GINT64_FORMAT ": %s (it will be redelivered; "
              "handling is idempotent)",
              consumer->current->topic, consumer->current->partition, consumer->current->offset,
              error->message);
  g_clear_pointer(&consumer->current, consumer->kafka->message_free);
  g_clear_pointer(&consumer->event, ims_consumed_event_free);
  g_clear_pointer(&consumer->dlq_reason, g_free);
  consumer->attempts = 0;
  /* messages that arrived meanwhile signalled nothing new: look now */
  consumer->kafka->kick(consumer->consumer);
}

/* Hands the current message to the DLQ producer for <topic>-dlq with the
 * platform's headers; on_dead_lettered follows (from its poll, on the main
 * loop, within DLQ_TIMEOUT_MS).  FALSE if the producer refused it at once. */
static gboolean
dead_letter(ImsConsumer *consumer, const char *reason, int retries)
{
  const ImsKafkaMessage *message = consumer->current;
  const char *topic = message->topic;
  g_autofree char *dlq = ims_event_dlq_topic(topic);
  g_autofree char *partition = g_strdup_printf("%d", message->partition);
  g_autofree char *offset = g_strdup_printf("%" G_GINT64_FORMAT, message->offset);
  g_autofree char *retry_count = g_strdup_printf("%d", retries);

  const ImsKafkaHeader headers[] = {
    { "dlq-original-topic", topic },    { "dlq-original-partition", partition },
    { "dlq-original-offset", offset },  { "dlq-error", reason },
    { "dlq-retry-count", retry_count },
  };
  const ImsKafkaRecord record = {
    .topic = dlq,
    .key = message->key,
    .key_len = message->key_len,
    .value = message->payload,
    .value_len = message->len,
    .headers = headers,
    .n_headers = G_N_ELEMENTS(headers),
  };
  g_autoptr(GError) error = NULL;
  if (!consumer->kafka->produce(consumer->dlq_producer, &record, &error)) {
    g_warning("cannot write %s [%d] @%s to %s: %s", topic, message->partition, offset, dlq,
              error->message);
    return FALSE;
  }
  consumer->dlq_in_flight = TRUE;
  return TRUE;
}

static gboolean retry_dead_letter(gpointer data);

/* Kafka is down: keep the message and try the DLQ again later. */
static void
retry_dead_letter_later(ImsConsumer *consumer)
{
  consumer->retry_id = g_timeout_add(DLQ_TIMEOUT_MS, retry_dead_letter, consumer);
}

static void
dead_letter_current(ImsConsumer *consumer, const char *reason, int retries)
{
  if (reason != consumer->dlq_reason) {
    g_free(consumer->dlq_reason);
    consumer->dlq_reason = g_strdup(reason);
  }
  consumer->dlq_retries = retries;
  if (!dead_letter(consumer, reason, retries))
    retry_dead_letter_later(consumer);
}

/* Delivery report of a DLQ write: runs inside the DLQ producer's poll, on the main loop. */
static void
on_dead_lettered(gpointer opaque, const char *dlq, const char *failure, gpointer data)
{
  ImsConsumer *consumer = data;
  consumer->dlq_in_flight = FALSE;
  if (!consumer->current)
    return;
  const ImsKafkaMessage *message = consumer->current;
  if (failure) {
    g_warning("cannot write %s [%d] @%" G_GINT64_FORMAT " to %s: %s; trying again", message->topic,
              message->partition, message->offset, dlq, failure);
    retry_dead_letter_later(consumer);
    return;
  }
  ims_metric_add(&ims_metric_dead_lettered, 0, 1);
  g_warning("%s [%d] @%" G_GINT64_FORMAT " sent to %s: %s", message->topic, message->partition,
            message->offset, dlq, consumer->dlq_reason);
  finish_current(consumer);
}

static gboolean
retry_dead_letter(gpointer data)
{
  ImsConsumer *consumer = data;
  consumer->retry_id = 0;
  dead_letter_current(consumer, consumer->dlq_reason, consumer->dlq_retries);
  return G_SOURCE_REMOVE;
}

static void on_handler_done(ImsConsumer *consumer, const char *error_message);

static void
run_handler(ImsConsumer *consumer)
{
  consumer->attempts++;
  consumer->config.handler(consumer->event, consumer, on_handler_done,
                           consumer->config.handler_data);
}

static gboolean
retry_current(gpointer data)
{
  ImsConsumer *consumer = data;
  consumer->retry_id = 0;
  run_handler(consumer);
  return G_SOURCE_REMOVE;
}

static void
on_handler_done(ImsConsumer *consumer, const char *error_message)
{
  if (!error_message) {
    finish_current(consumer);
    return;
  }
  if (consumer->attempts > MAX_RETRIES) {
    g_autofree char *reason = g_strdup(error_message);
    g_clear_pointer(&consumer->event, ims_consumed_event_free);
    dead_letter_current(consumer, reason, MAX_RETRIES);
    return;
  }
  guint delay = FIRST_RETRY_MS << (consumer->attempts - 1);
  g_warning("%s %s: %s; retry %d of %d in %u ms", consumer->event->event_type,
            consumer->event->event_id, error_message, consumer->attempts, MAX_RETRIES, delay);
  consumer->retry_id = g_timeout_add(delay, retry_current, consumer);
}

/* DLQ delivery reports (on_dead_lettered); never waits. */
static void
on_dlq_reports(gpointer data)
{
  ImsConsumer *consumer = data;
  consumer->kafka->poll(consumer->dlq_producer);
}

static gboolean take_message(ImsConsumer *consumer);

/* The consumer queue has messages (or events): take them, one at a time. */
static void
on_messages(gpointer data)
{
  ImsConsumer *consumer = data;
  while (!consumer->current && take_message(consumer))
    ;
}

/* Takes the next message if nothing is being handled; FALSE if there was
 * none (or one is being handled). */
static gboolean
take_message(ImsConsumer *consumer)
{
  g_autoptr(GError) error = NULL;

  if (consumer->current)
    return FALSE;
  ImsKafkaMessage *message = consumer->kafka->consume(consumer->consumer);
  if (!message)
    return FALSE;
  if (message->error) {
    if (!message->end_of_partition)
      g_info("consumer: %s", message->error);
    consumer->kafka->message_free(message);
    return TRUE;
  }
  consumer->current = message;
  consumer->attempts = 0;
  consumer->event = ims_event_parse_consumed(message->payload, message->len, &error);
  ims_metric_add(&ims_metric_consumed_events, 0, 1);
  if (consumer->event && consumer->event->timestamp_ms > 0)
    ims_metric_set(&ims_metric_consumer_lag_seconds, 0,
                   (g_get_real_time() / 1000 - consumer->event->timestamp_ms) / 1e3);
  if (!consumer->event) {
    /* it will never parse: no retries */
    dead_letter_current(consumer, error->message, 0);
    return TRUE;
  }
  if (consumer->event->kind == IMS_CONSUMED_OTHER) {
    g_debug("skipping %s %s", consumer->event->event_type, consumer->event->event_id);
    finish_current(consumer);
    return TRUE;
  }
  g_info("%s %s for user %s (%s [%d] @%" G_GINT64_FORMAT ")", consumer->event->event_type,
         consumer->event->event_id, consumer->event->user_id, message->topic, message->partition,
         message->offset);
  run_handler(consumer);
  return TRUE;
}

ImsConsumer *
ims_consumer_new(const ImsConsumerConfig *config, GError **error)
{
  g_autofree ImsConsumer *consumer = g_new0(ImsConsumer, 1);
  consumer->config = *config;
  consumer->kafka = config->kafka ? config->kafka : &ims_kafka_rdkafka_ops;

  const char *const consumer_settings[][2] = {
    { "group.id", config->group_id },        { "enable.auto.commit", "false" },
    { "enable.auto.offset.store", "false" }, { "auto.offset.reset", "earliest" },
    { "client.id", "imsd-consumer" },
  };
  const ImsKafkaConsumerConfig consumer_config = {
    .bootstrap_servers = config->bootstrap_servers,
    .properties = config->properties,
    .overrides = consumer_settings,
    .n_overrides = G_N_ELEMENTS(consumer_settings),
  };
  consumer->consumer = consumer->kafka->consumer_new(&consumer_config, error);
  if (!consumer->consumer)
    goto error;

  char timeout[16];
  g_snprintf(timeout, sizeof timeout, "%d", DLQ_TIMEOUT_MS);
  const char *const dlq_settings[][2] = {
    { "enable.idempotence", "true" },
    { "acks", "all" },
    { "message.timeout.ms", timeout },
  };
  const ImsKafkaProducerConfig dlq_config = {
    .what = "DLQ producer",
    .bootstrap_servers = config->bootstrap_servers,
    .properties = config->properties,
    .overrides = dlq_settings,
    .n_overrides = G_N_ELEMENTS(dlq_settings),
    .delivered = on_dead_lettered,
    .data = consumer,
  };
  consumer->dlq_producer = consumer->kafka->producer_new(&dlq_config, error);
  if (!consumer->dlq_producer)
    goto error;

  const char *const topics[] = { IMS_TOPIC_USER_EVENTS, IMS_TOPIC_AUTH_EVENTS };
  if (!consumer->kafka->subscribe(consumer->consumer, topics, G_N_ELEMENTS(topics), error) ||
      !consumer->kafka->watch(consumer->consumer, on_messages, consumer, error) ||
      !consumer->kafka->watch(consumer->dlq_producer, on_dlq_reports, consumer, error))
    goto error;
  g_message("consuming %s and %s as %s", IMS_TOPIC_USER_EVENTS, IMS_TOPIC_AUTH_EVENTS,
            config->group_id);
  return g_steal_pointer(&consumer);

error:
  if (consumer->consumer)
    consumer->kafka->free(consumer->consumer);
  if (consumer->dlq_producer)
    consumer->kafka->free(consumer->dlq_producer);
  return NULL;
}

void
ims_consumer_free(ImsConsumer *consumer)
{
  if (!consumer)
    return;
  consumer->kafka->unwatch(consumer->consumer);
  consumer->kafka->unwatch(consumer->dlq_producer);
  g_clear_handle_id(&consumer->retry_id, g_source_remove);
  g_clear_pointer(&consumer->current, consumer->kafka->message_free);
  g_clear_pointer(&consumer->event, ims_consumed_event_free);
  consumer->kafka->free(consumer->consumer);            /* leaves the group */
  consumer->kafka->flush(consumer->dlq_producer, 2000); /* shutdown: the loop has stopped */
  consumer->kafka->free(consumer->dlq_producer);
  g_free(consumer->dlq_reason);
  g_free(consumer);
}
