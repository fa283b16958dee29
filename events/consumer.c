/* consumer.c: the platform events imsd acts on; see consumer.h. */
#define G_LOG_DOMAIN "imsd.consumer"

#include "consumer.h"

#include <gio/gio.h>
#include <librdkafka/rdkafka.h>
#include <string.h>

#include "kafka-log.h"
#include "kafka-watch.h"
#include "kafka-rdkafka.h"
#include "topic.h"

#define MAX_RETRIES 3
#define FIRST_RETRY_MS 500
#define DLQ_TIMEOUT_MS 10000    /* a DLQ write not acknowledged by then is tried again */

struct _ImsConsumer {
  ImsConsumerConfig config;
  char *bootstrap_servers;
  char *properties;
  rd_kafka_t *consumer;
  rd_kafka_t *dlq_producer;
  ImsKafkaWatch *messages;        /* the consumer queue, served on the loop */
  ImsKafkaWatch *dlq_reports;     /* the DLQ producer's delivery reports */

  rd_kafka_message_t *current;    /* being handled; polling waits */
  ImsConsumedEvent *event;        /* parsed current */
  int attempts;
  guint retry_id;
  char *dlq_reason;               /* a DLQ write that waits for Kafka */
  int dlq_retries;
  gboolean dlq_in_flight;         /* the current message is on its way to the DLQ */
};

static rd_kafka_conf_t *
make_conf(ImsConsumer *consumer, GError **error)
{
  char reason[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", consumer->bootstrap_servers, reason,
                        sizeof reason) != RD_KAFKA_CONF_OK ||
      !ims_kafka_conf_apply(conf, consumer->properties, error)) {
    if (error && !*error)
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bootstrap.servers: %s", reason);
    rd_kafka_conf_destroy(conf);
    return NULL;
  }
  ims_kafka_route_log(conf);
  return conf;
}

static void
finish_current(ImsConsumer *consumer)
{
  g_autoptr(GError) error = NULL;
  rd_kafka_resp_err_t err = rd_kafka_commit_message(consumer->consumer, consumer->current, 0);
  if (err)
    g_warning("cannot commit %s [%d] @%" G_GINT64_FORMAT ": %s (it will be redelivered; "
              "handling is idempotent)", rd_kafka_topic_name(consumer->current->rkt),
              consumer->current->partition, (gint64) consumer->current->offset,
              rd_kafka_err2str(err));
  rd_kafka_message_destroy(consumer->current);
  consumer->current = NULL;
  g_clear_pointer(&consumer->event, ims_consumed_event_free);
  g_clear_pointer(&consumer->dlq_reason, g_free);
  consumer->attempts = 0;
  /* messages that arrived meanwhile signalled nothing new: look now */
  if (consumer->messages)
    ims_kafka_watch_kick(consumer->messages);
}

/* Hands the current message to librdkafka for <topic>-dlq with the
 * platform's headers; on_dead_lettered follows (from rd_kafka_poll, on the
 * main loop, within DLQ_TIMEOUT_MS).  FALSE if librdkafka refused it at once. */
static gboolean
dead_letter(ImsConsumer *consumer, const char *reason, int retries)
{
  const rd_kafka_message_t *message = consumer->current;
  const char *topic = rd_kafka_topic_name(message->rkt);
  g_autofree char *dlq = ims_event_dlq_topic(topic);
  g_autofree char *partition = g_strdup_printf("%d", message->partition);
  g_autofree char *offset = g_strdup_printf("%" G_GINT64_FORMAT, (gint64) message->offset);
  g_autofree char *retry_count = g_strdup_printf("%d", retries);

  rd_kafka_headers_t *headers = rd_kafka_headers_new(5);
  rd_kafka_header_add(headers, "dlq-original-topic", -1, topic, -1);
  rd_kafka_header_add(headers, "dlq-original-partition", -1, partition, -1);
  rd_kafka_header_add(headers, "dlq-original-offset", -1, offset, -1);
  rd_kafka_header_add(headers, "dlq-error", -1, reason, -1);
  rd_kafka_header_add(headers, "dlq-retry-count", -1, retry_count, -1);
  rd_kafka_resp_err_t err = rd_kafka_producev(consumer->dlq_producer,
      RD_KAFKA_V_TOPIC(dlq),
      RD_KAFKA_V_KEY(message->key, message->key_len),
      RD_KAFKA_V_VALUE(message->payload, message->len),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_HEADERS(headers),
      RD_KAFKA_V_END);
  if (err) {
    rd_kafka_headers_destroy(headers);
    g_warning("cannot write %s [%d] @%s to %s: %s", topic, message->partition, offset, dlq,
              rd_kafka_err2str(err));
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

/* Delivery report of a DLQ write: runs inside rd_kafka_poll, on the main loop. */
static void
on_dead_lettered(rd_kafka_t *rk, const rd_kafka_message_t *report, void *opaque)
{
  ImsConsumer *consumer = opaque;
  consumer->dlq_in_flight = FALSE;
  if (!consumer->current)
    return;
  const rd_kafka_message_t *message = consumer->current;
  if (report->err) {
    g_warning("cannot write %s [%d] @%" G_GINT64_FORMAT " to %s: %s; trying again",
              rd_kafka_topic_name(message->rkt), message->partition, (gint64) message->offset,
              rd_kafka_topic_name(report->rkt), rd_kafka_err2str(report->err));
    retry_dead_letter_later(consumer);
    return;
  }
  g_warning("%s [%d] @%" G_GINT64_FORMAT " sent to %s: %s", rd_kafka_topic_name(message->rkt),
            message->partition, (gint64) message->offset, rd_kafka_topic_name(report->rkt),
            consumer->dlq_reason);
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
  rd_kafka_poll(consumer->dlq_producer, 0);
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
  rd_kafka_message_t *message = rd_kafka_consumer_poll(consumer->consumer, 0);
  if (!message)
    return FALSE;
  if (message->err) {
    if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
      g_info("consumer: %s", rd_kafka_message_errstr(message));
    rd_kafka_message_destroy(message);
    return TRUE;
  }
  consumer->current = message;
  consumer->attempts = 0;
  consumer->event = ims_event_parse_consumed(message->payload, message->len, &error);
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
         consumer->event->event_id, consumer->event->user_id, rd_kafka_topic_name(message->rkt),
         message->partition, (gint64) message->offset);
  run_handler(consumer);
  return TRUE;
}

ImsConsumer *
ims_consumer_new(const ImsConsumerConfig *config, GError **error)
{
  char reason[512];
  g_autofree ImsConsumer *consumer = g_new0(ImsConsumer, 1);
  consumer->config = *config;
  consumer->bootstrap_servers = g_strdup(config->bootstrap_servers);
  consumer->properties = g_strdup(config->properties);

  rd_kafka_conf_t *conf = make_conf(consumer, error);
  if (!conf)
    goto error;
  static const char *const consumer_settings[][2] = {
    { "enable.auto.commit", "false" },
    { "enable.auto.offset.store", "false" },
    { "auto.offset.reset", "earliest" },
    { "client.id", "imsd-consumer" },
  };
  rd_kafka_conf_set(conf, "group.id", config->group_id, reason, sizeof reason);
  for (guint i = 0; i < G_N_ELEMENTS(consumer_settings); i++)
    rd_kafka_conf_set(conf, consumer_settings[i][0], consumer_settings[i][1], reason,
                      sizeof reason);
  consumer->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, reason, sizeof reason);
  if (!consumer->consumer) {
    rd_kafka_conf_destroy(conf);
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot create the Kafka consumer: %s",
                reason);
    goto error;
  }
  rd_kafka_poll_set_consumer(consumer->consumer);

  conf = make_conf(consumer, error);
  if (!conf)
    goto error;
  rd_kafka_conf_set(conf, "enable.idempotence", "true", reason, sizeof reason);
  rd_kafka_conf_set(conf, "acks", "all", reason, sizeof reason);
  char timeout[16];
  g_snprintf(timeout, sizeof timeout, "%d", DLQ_TIMEOUT_MS);
  rd_kafka_conf_set(conf, "message.timeout.ms", timeout, reason, sizeof reason);
  rd_kafka_conf_set_dr_msg_cb(conf, on_dead_lettered);
  rd_kafka_conf_set_opaque(conf, consumer);
  consumer->dlq_producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, reason, sizeof reason);
  if (!consumer->dlq_producer) {
    rd_kafka_conf_destroy(conf);
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot create the DLQ producer: %s",
                reason);
    goto error;
  }

  rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(2);
  rd_kafka_topic_partition_list_add(topics, IMS_TOPIC_USER_EVENTS, RD_KAFKA_PARTITION_UA);
  rd_kafka_topic_partition_list_add(topics, IMS_TOPIC_AUTH_EVENTS, RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t err = rd_kafka_subscribe(consumer->consumer, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (err) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot subscribe: %s", rd_kafka_err2str(err));
    goto error;
  }
  consumer->messages = ims_kafka_watch_new(rd_kafka_queue_get_consumer(consumer->consumer),
                                          on_messages, consumer, error);
  consumer->dlq_reports = consumer->messages
      ? ims_kafka_watch_new(rd_kafka_queue_get_main(consumer->dlq_producer), on_dlq_reports,
                            consumer, error)
      : NULL;
  if (!consumer->dlq_reports)
    goto error;
  g_message("consuming %s and %s as %s", IMS_TOPIC_USER_EVENTS, IMS_TOPIC_AUTH_EVENTS,
            config->group_id);
  return g_steal_pointer(&consumer);

error:
  g_clear_pointer(&consumer->messages, ims_kafka_watch_free);
  if (consumer->consumer)
    rd_kafka_destroy(consumer->consumer);
  if (consumer->dlq_producer)
    rd_kafka_destroy(consumer->dlq_producer);
  g_free(consumer->bootstrap_servers);
  g_free(consumer->properties);
  return NULL;
}

void
ims_consumer_free(ImsConsumer *consumer)
{
  if (!consumer)
    return;
  g_clear_pointer(&consumer->messages, ims_kafka_watch_free);
  g_clear_pointer(&consumer->dlq_reports, ims_kafka_watch_free);
  g_clear_handle_id(&consumer->retry_id, g_source_remove);
  g_clear_pointer(&consumer->current, rd_kafka_message_destroy);
  g_clear_pointer(&consumer->event, ims_consumed_event_free);
  rd_kafka_consumer_close(consumer->consumer);
  rd_kafka_destroy(consumer->consumer);
  rd_kafka_flush(consumer->dlq_producer, 2000);   /* shutdown: the loop has stopped */
  rd_kafka_destroy(consumer->dlq_producer);
  g_free(consumer->dlq_reason);
  g_free(consumer->bootstrap_servers);
  g_free(consumer->properties);
  g_free(consumer);
}
