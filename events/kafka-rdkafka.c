/* kafka-rdkafka.c: the Kafka seam (kafka.h) on librdkafka.
 *
 * With kafka-watch.c (a queue on the main loop) and kafka-log.c (its log
 * lines), the only code of imsd that includes rdkafka.h.
 *
 * Every producer partitions keyed records with murmur2 (partitioner=
 * murmur2_random), as the platform's Java and kafkajs producers do, so a key
 * lands on the same partition whoever produces it (docs/kafka.md).  A
 * producer keeps one topic handle per topic it has produced to, made with
 * rd_kafka_topic_new: that asks for the topic's leaders at once, where a
 * topic named only in rd_kafka_producev (librdkafka 2.0.2) waits for the
 * client's 1 s topic scan, holding the first records to it for up to 1 s. */
#define G_LOG_DOMAIN "imsd.kafka"

#include "kafka.h"

#include "kafka-check.h"
#include "kafka-log.h"
#include "kafka-watch.h"

#include <gio/gio.h>
#include <librdkafka/rdkafka.h>
#include <string.h>

struct _ImsKafkaClient {
  rd_kafka_t *rk;
  gboolean consumer;    /* a group consumer (else a producer) */
  ImsKafkaWatch *watch; /* the main queue (a consumer's: its consumer queue), served on
                               * the loop; NULL unwatched */
  GHashTable *topics;   /* a producer's: name (owned) -> rd_kafka_topic_t */
  ImsKafkaCheck *check; /* a producer's reachability; NULL for a consumer */
  ImsKafkaDelivered delivered;
  ImsKafkaFailed failed;
  gpointer data;
};

/* Applied to every producer before its own defaults (which may override). */
static const char *const producer_settings[][2] = {
  { "partitioner", "murmur2_random" }, /* Java / kafkajs DefaultPartitioner compatible */
};

/* Applies "k=v;k=v" (NULL or "" applies nothing) to conf.  FALSE with
 * G_IO_ERROR_INVALID_ARGUMENT naming the first pair that is not key=value or
 * that librdkafka refused; pairs before it stay applied. */
static gboolean
apply_properties(rd_kafka_conf_t *conf, const char *properties, GError **error)
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
  if (!message->err && client->check)
    ims_kafka_check_reached(client->check);
  client->delivered(message->_private, rd_kafka_topic_name(message->rkt),
                    message->err ? rd_kafka_err2str(message->err) : NULL, client->data);
}

/* Client-level error: runs inside rd_kafka_poll. */
static void
on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
  ImsKafkaClient *client = opaque;
  gboolean all_brokers_down = err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN;
  if (client->check)
    ims_kafka_check_client_error(client->check, all_brokers_down, reason);
  if (client->failed)
    client->failed(all_brokers_down, reason, client->data);
  else
    g_warning("%s", reason);
}

/* The check's probe (kafka-check.h), on its own thread: a metadata request
 * for the topics the client knows (brokers only when none), up to timeout_ms. */
static gboolean
probe_metadata(gpointer data, int timeout_ms, char **error)
{
  ImsKafkaClient *client = data;
  const struct rd_kafka_metadata *metadata = NULL;
  rd_kafka_resp_err_t err = rd_kafka_metadata(client->rk, 0, NULL, &metadata, timeout_ms);
  if (err) {
    *error = g_strdup_printf("Kafka: metadata request: %s", rd_kafka_err2str(err));
    return FALSE;
  }
  rd_kafka_metadata_destroy(metadata);
  return TRUE;
}

static void
apply_settings(rd_kafka_conf_t *conf, const char *const (*settings)[2], guint n_settings)
{
  char reason[512];
  for (guint i = 0; i < n_settings; i++)
    rd_kafka_conf_set(conf, settings[i][0], settings[i][1], reason, sizeof reason);
}

/* A configuration: bootstrap servers, a producer's producer_settings,
 * defaults, properties, overrides, in that order, logging through kafka-log.h.  NULL with an error. */
static rd_kafka_conf_t *
make_conf(const char *bootstrap_servers, const char *properties, gboolean producer,
          const char *const (*defaults)[2], guint n_defaults, const char *const (*overrides)[2],
          guint n_overrides, GError **error)
{
  char reason[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();

  if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap_servers, reason, sizeof reason) !=
      RD_KAFKA_CONF_OK) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bootstrap.servers: %s", reason);
    rd_kafka_conf_destroy(conf);
    return NULL;
  }
  if (producer)
    apply_settings(conf, producer_settings, G_N_ELEMENTS(producer_settings));
  apply_settings(conf, defaults, n_defaults);
  if (!apply_properties(conf, properties, error)) {
    rd_kafka_conf_destroy(conf);
    return NULL;
  }
  apply_settings(conf, overrides, n_overrides);
  ims_kafka_route_log(conf);
  return conf;
}

static ImsKafkaClient *
producer_new(const ImsKafkaProducerConfig *config, GError **error)
{
  char reason[512];
  rd_kafka_conf_t *conf = make_conf(config->bootstrap_servers, config->properties, TRUE,
                                    config->defaults, config->n_defaults, config->overrides,
                                    config->n_overrides, error);
  if (!conf)
    return NULL;
  ImsKafkaClient *client = g_new0(ImsKafkaClient, 1);
  client->delivered = config->delivered;
  client->failed = config->failed;
  client->data = config->data;
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
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
  client->topics = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) rd_kafka_topic_destroy);
  const ImsKafkaCheckConfig check_config = {
    .probe = probe_metadata,
    .data = client,
    .ok_interval_ms = IMS_KAFKA_PROBE_OK_MS,
    .failing_interval_ms = IMS_KAFKA_PROBE_FAILING_MS,
    .timeout_ms = IMS_KAFKA_PROBE_TIMEOUT_MS,
  };
  client->check = ims_kafka_check_new(&check_config);
  return client;
}

/* The producer's handle of topic, made (and its leaders asked for) on first
 * use.  NULL with an error if librdkafka refused the name. */
static rd_kafka_topic_t *
producer_topic(ImsKafkaClient *client, const char *topic, GError **error)
{
  rd_kafka_topic_t *handle = g_hash_table_lookup(client->topics, topic);
  if (handle)
    return handle;
  handle = rd_kafka_topic_new(client->rk, topic, NULL);
  if (!handle) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "topic %s: %s", topic,
                rd_kafka_err2str(rd_kafka_last_error()));
    return NULL;
  }
  g_hash_table_insert(client->topics, g_strdup(topic), handle);
  return handle;
}

static gboolean
produce(ImsKafkaClient *client, const ImsKafkaRecord *record, GError **error)
{
  rd_kafka_topic_t *topic = producer_topic(client, record->topic, error);
  if (!topic)
    return FALSE;
  rd_kafka_headers_t *headers = rd_kafka_headers_new(record->n_headers);
  for (guint i = 0; i < record->n_headers; i++)
    rd_kafka_header_add(headers, record->headers[i].name, -1, record->headers[i].value, -1);
  rd_kafka_resp_err_t err = rd_kafka_producev(
      client->rk, RD_KAFKA_V_RKT(topic), RD_KAFKA_V_KEY(record->key, record->key_len),
      RD_KAFKA_V_VALUE((void *) record->value, record->value_len),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers),
      RD_KAFKA_V_OPAQUE(record->opaque), RD_KAFKA_V_END);
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
  rd_kafka_queue_t *queue = client->consumer ? rd_kafka_queue_get_consumer(client->rk)
                                             : rd_kafka_queue_get_main(client->rk);
  client->watch = ims_kafka_watch_new(queue, ready, data, error);
  return client->watch != NULL;
}

static void
unwatch_client(ImsKafkaClient *client)
{
  g_clear_pointer(&client->watch, ims_kafka_watch_free);
}

static void
kick_client(ImsKafkaClient *client)
{
  if (client->watch)
    ims_kafka_watch_kick(client->watch);
}

static void
get_check(ImsKafkaClient *client, ImsCheck *check)
{
  if (client->check)
    ims_kafka_check_get(client->check, check);
  else
    ims_check_init(check, FALSE);
}

static void
free_client(ImsKafkaClient *client)
{
  if (!client)
    return;
  unwatch_client(client);
  g_clear_pointer(&client->check, ims_kafka_check_free);
  if (client->consumer)
    rd_kafka_consumer_close(client->rk);
  g_clear_pointer(&client->topics, g_hash_table_unref); /* handles go before the client */
  rd_kafka_destroy(client->rk);
  g_free(client);
}

static ImsKafkaClient *
consumer_new(const ImsKafkaConsumerConfig *config, GError **error)
{
  char reason[512];
  rd_kafka_conf_t *conf = make_conf(config->bootstrap_servers, config->properties, FALSE, NULL, 0,
                                    config->overrides, config->n_overrides, error);
  if (!conf)
    return NULL;
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, reason, sizeof reason);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot create the Kafka consumer: %s",
                reason);
    return NULL;
  }
  rd_kafka_poll_set_consumer(rk);
  ImsKafkaClient *client = g_new0(ImsKafkaClient, 1);
  client->rk = rk;
  client->consumer = TRUE;
  return client;
}

static gboolean
subscribe(ImsKafkaClient *client, const char *const *topics, guint n_topics, GError **error)
{
  rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(n_topics);
  for (guint i = 0; i < n_topics; i++)
    rd_kafka_topic_partition_list_add(list, topics[i], RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t err = rd_kafka_subscribe(client->rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  if (err) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot subscribe: %s", rd_kafka_err2str(err));
    return FALSE;
  }
  return TRUE;
}

static ImsKafkaMessage *
consume(ImsKafkaClient *client)
{
  rd_kafka_message_t *handle = rd_kafka_consumer_poll(client->rk, 0);
  if (!handle)
    return NULL;
  ImsKafkaMessage *message = g_new0(ImsKafkaMessage, 1);
  message->handle = handle;
  if (handle->err) {
    message->error = rd_kafka_message_errstr(handle);
    message->end_of_partition = handle->err == RD_KAFKA_RESP_ERR__PARTITION_EOF;
    return message;
  }
  message->topic = rd_kafka_topic_name(handle->rkt);
  message->partition = handle->partition;
  message->offset = handle->offset;
  message->key = handle->key;
  message->key_len = handle->key_len;
  message->payload = handle->payload;
  message->len = handle->len;
  return message;
}

static gboolean
commit(ImsKafkaClient *client, const ImsKafkaMessage *message, GError **error)
{
  rd_kafka_resp_err_t err = rd_kafka_commit_message(client->rk, message->handle, 0);
  if (err) {
    g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED, rd_kafka_err2str(err));
    return FALSE;
  }
  return TRUE;
}

static void
message_free(ImsKafkaMessage *message)
{
  if (!message)
    return;
  rd_kafka_message_destroy(message->handle);
  g_free(message);
}

const ImsKafkaOps ims_kafka_rdkafka_ops = {
  .producer_new = producer_new,
  .produce = produce,
  .poll = poll_client,
  .flush = flush_client,
  .purge = purge_client,
  .watch = watch_client,
  .unwatch = unwatch_client,
  .kick = kick_client,
  .get_check = get_check,
  .free = free_client,
  .consumer_new = consumer_new,
  .subscribe = subscribe,
  .consume = consume,
  .commit = commit,
  .message_free = message_free,
};
