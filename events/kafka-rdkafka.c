/* kafka-rdkafka.c: the Kafka seam (kafka.h) on librdkafka. */
#define G_LOG_DOMAIN "imsd.kafka"

#include "kafka.h"
#include "kafka-rdkafka.h"

#include "kafka-log.h"
#include "kafka-watch.h"

#include <gio/gio.h>
#include <librdkafka/rdkafka.h>
#include <string.h>

struct _ImsKafkaClient {
  rd_kafka_t *rk;
  ImsKafkaWatch *watch;       /* the main queue, served on the loop; NULL unwatched */
  ImsKafkaDelivered delivered;
  ImsKafkaFailed failed;
  gpointer data;
};

gboolean
ims_kafka_conf_apply(rd_kafka_conf_t *conf, const char *properties, GError **error)
{
  g_auto(GStrv) pairs = g_strsplit(properties ? properties : "", ";", -1);
  for (char **pair = pairs; *pair; pair++) {
    g_autofree char *item = g_strstrip(g_strdup(*pair));
    if (!*item)
      continue;
    char *equals = strchr(item, '=');
    if (!equals) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                  "Kafka property \"%s\" is not key=value", item);
      return FALSE;
    }
    *equals = '\0';
    char reason[512];
    if (rd_kafka_conf_set(conf, g_strstrip(item), g_strstrip(equals + 1), reason, sizeof reason) !=
        RD_KAFKA_CONF_OK) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "Kafka property %s: %s", item,
                  reason);
      return FALSE;
    }
  }
  return TRUE;
}

/* Delivery report: runs inside rd_kafka_poll / rd_kafka_flush. */
static void
on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *message, void *opaque)
{
  ImsKafkaClient *client = opaque;
  client->delivered(message->_private, rd_kafka_topic_name(message->rkt),
                    message->err ? rd_kafka_err2str(message->err) : NULL, client->data);
}

/* Client-level error: runs inside rd_kafka_poll. */
static void
on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
  ImsKafkaClient *client = opaque;
  client->failed(err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, reason, client->data);
}

static void
apply_settings(rd_kafka_conf_t *conf, const char *const (*settings)[2], guint n_settings)
{
  char reason[512];
  for (guint i = 0; i < n_settings; i++)
    rd_kafka_conf_set(conf, settings[i][0], settings[i][1], reason, sizeof reason);
}

static ImsKafkaClient *
producer_new(const ImsKafkaProducerConfig *config, GError **error)
{
  char reason[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();

  if (rd_kafka_conf_set(conf, "bootstrap.servers", config->bootstrap_servers, reason,
                        sizeof reason) != RD_KAFKA_CONF_OK) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bootstrap.servers: %s", reason);
    rd_kafka_conf_destroy(conf);
    return NULL;
  }
  apply_settings(conf, config->defaults, config->n_defaults);
  if (!ims_kafka_conf_apply(conf, config->properties, error)) {
    rd_kafka_conf_destroy(conf);
    return NULL;
  }
  apply_settings(conf, config->overrides, config->n_overrides);
  ImsKafkaClient *client = g_new0(ImsKafkaClient, 1);
  client->delivered = config->delivered;
  client->failed = config->failed;
  client->data = config->data;
  ims_kafka_route_log(conf);
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  if (config->failed)
    rd_kafka_conf_set_error_cb(conf, on_error);
  rd_kafka_conf_set_opaque(conf, client);
  client->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, reason, sizeof reason);
  if (!client->rk) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot create the %s: %s", config->what,
                reason);
    rd_kafka_conf_destroy(conf);
    g_free(client);
    return NULL;
  }
  return client;
}

static gboolean
produce(ImsKafkaClient *client, const ImsKafkaRecord *record, GError **error)
{
  rd_kafka_headers_t *headers = rd_kafka_headers_new(record->n_headers);
  for (guint i = 0; i < record->n_headers; i++)
    rd_kafka_header_add(headers, record->headers[i].name, -1, record->headers[i].value, -1);
  rd_kafka_resp_err_t err = rd_kafka_producev(client->rk,
      RD_KAFKA_V_TOPIC(record->topic),
      RD_KAFKA_V_KEY(record->key, record->key_len),
      RD_KAFKA_V_VALUE((void *) record->value, record->value_len),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_HEADERS(headers),
      RD_KAFKA_V_OPAQUE(record->opaque),
      RD_KAFKA_V_END);
  if (err) {
    rd_kafka_headers_destroy(headers);
    g_set_error_literal(error, G_IO_ERROR,
                        err == RD_KAFKA_RESP_ERR__QUEUE_FULL ? G_IO_ERROR_NO_SPACE
                                                             : G_IO_ERROR_FAILED,
                        rd_kafka_err2str(err));
    return FALSE;
  }
  return TRUE;
}

static void
poll_client(ImsKafkaClient *client)
{
  rd_kafka_poll(client->rk, 0);
}

static gboolean
flush_client(ImsKafkaClient *client, int timeout_ms)
{
  return rd_kafka_flush(client->rk, timeout_ms) == RD_KAFKA_RESP_ERR_NO_ERROR;
}

static void
purge_client(ImsKafkaClient *client)
{
  rd_kafka_purge(client->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  rd_kafka_poll(client->rk, 0);
}

static gboolean
watch_client(ImsKafkaClient *client, void (*ready)(gpointer data), gpointer data, GError **error)
{
  g_return_val_if_fail(client->watch == NULL, FALSE);
  client->watch = ims_kafka_watch_new(rd_kafka_queue_get_main(client->rk), ready, data, error);
  return client->watch != NULL;
}

static void
unwatch_client(ImsKafkaClient *client)
{
  g_clear_pointer(&client->watch, ims_kafka_watch_free);
}

static void
free_client(ImsKafkaClient *client)
{
  if (!client)
    return;
  unwatch_client(client);
  rd_kafka_destroy(client->rk);
  g_free(client);
}

const ImsKafkaOps ims_kafka_rdkafka_ops = {
  .producer_new = producer_new,
  .produce = produce,
  .poll = poll_client,
  .flush = flush_client,
  .purge = purge_client,
  .watch = watch_client,
  .unwatch = unwatch_client,
  .free = free_client,
};
