/* kafka-fake.c: a Kafka producer for unit tests; see kafka-fake.h. */
#include "kafka-fake.h"

#include <gio/gio.h>
#include <string.h>

struct _ImsKafkaClient {
  ImsKafkaFake fake; /* a producer's */
  gboolean is_consumer;
  ImsKafkaFakeConsumer consumer;
};

typedef struct {
  guint index;
  char *error;
} Report;

static ImsKafkaFake *last_fake;
static ImsKafkaFakeConsumer *last_consumer;

ImsKafkaFakeConsumer *
ims_kafka_fake_consumer(void)
{
  return last_consumer;
}

ImsKafkaFake *
ims_kafka_fake(void)
{
  return last_fake;
}

static void
record_free(ImsKafkaFakeRecord *record)
{
  g_free(record->topic);
  g_free(record->key);
  g_free(record->value);
  g_hash_table_unref(record->headers);
  g_free(record);
}

static ImsKafkaClient *
fake_producer_new(const ImsKafkaProducerConfig *config, GError **error)
{
  if (!config->bootstrap_servers || !*config->bootstrap_servers) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bootstrap.servers: empty");
    return NULL;
  }
  ImsKafkaClient *client = g_new0(ImsKafkaClient, 1);
  client->fake.config = *config;
  client->fake.produced = g_ptr_array_new_with_free_func((GDestroyNotify) record_free);
  g_queue_init(&client->fake.reports);
  ims_check_init(&client->fake.check, TRUE);
  last_fake = &client->fake;
  return client;
}

guint
ims_kafka_fake_in_flight(ImsKafkaFake *fake)
{
  guint count = 0;
  for (guint i = 0; i < fake->produced->len; i++) {
    ImsKafkaFakeRecord *record = g_ptr_array_index(fake->produced, i);
    count += !record->reported;
  }
  return count;
}

static gboolean
fake_produce(ImsKafkaClient *client, const ImsKafkaRecord *record, GError **error)
{
  ImsKafkaFake *fake = &client->fake;
  if (fake->queue_limit && ims_kafka_fake_in_flight(fake) >= fake->queue_limit) {
    fake->refused++;
    g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "Local: Queue full");
    return FALSE;
  }
  ImsKafkaFakeRecord *copy = g_new0(ImsKafkaFakeRecord, 1);
  copy->topic = g_strdup(record->topic);
  copy->key = g_strndup(record->key, record->key_len);
  copy->value = g_strndup(record->value, record->value_len);
  copy->headers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; i < record->n_headers; i++)
    g_hash_table_insert(copy->headers, g_strdup(record->headers[i].name),
                        g_strdup(record->headers[i].value));
  copy->opaque = record->opaque;
  g_ptr_array_add(fake->produced, copy);
  return TRUE;
}

static void
fake_poll(ImsKafkaClient *client)
{
  ImsKafkaFake *fake = &client->fake;
  Report *report;
  fake->polls++;
  while ((report = g_queue_pop_head(&fake->reports))) {
    ImsKafkaFakeRecord *record = g_ptr_array_index(fake->produced, report->index);
    fake->config.delivered(record->opaque, record->topic, report->error, fake->config.data);
    g_free(report->error);
    g_free(report);
  }
}

static gboolean
fake_flush(ImsKafkaClient *client, int timeout_ms)
{
  client->fake.flushed = TRUE;
  fake_poll(client);
  return ims_kafka_fake_in_flight(&client->fake) == 0;
}

static void
fake_purge(ImsKafkaClient *client)
{
  client->fake.purged = TRUE;
  ims_kafka_fake_report_all(&client->fake, "Local: Purged in queue");
  fake_poll(client);
}

static gboolean
on_kick(gpointer data)
{
  ImsKafkaFakeConsumer *consumer = data;
  consumer->kick_id = 0;
  if (consumer->ready)
    consumer->ready(consumer->ready_data);
  return G_SOURCE_REMOVE;
}

static void
fake_kick(ImsKafkaClient *client)
{
  if (client->is_consumer && !client->consumer.kick_id)
    client->consumer.kick_id = g_idle_add(on_kick, &client->consumer);
}

static gboolean
fake_watch(ImsKafkaClient *client, void (*ready)(gpointer data), gpointer data, GError **error)
{
  if (client->is_consumer) {
    client->consumer.ready = ready;
    client->consumer.ready_data = data;
    fake_kick(client); /* as the real watch: messages queued before it */
    return TRUE;
  }
  client->fake.ready = ready;
  client->fake.ready_data = data;
  return TRUE;
}

static void
fake_unwatch(ImsKafkaClient *client)
{
  client->fake.ready = NULL;
  client->consumer.ready = NULL;
  g_clear_handle_id(&client->consumer.kick_id, g_source_remove);
}

static void fake_message_free(ImsKafkaMessage *message);

static void
fake_get_check(ImsKafkaClient *client, ImsCheck *check)
{
  if (client->is_consumer)
    ims_check_init(check, FALSE);
  else
    ims_check_copy(check, &client->fake.check);
}

static void
fake_free(ImsKafkaClient *client)
{
  if (last_fake == &client->fake)
    last_fake = NULL;
  if (last_consumer == &client->consumer)
    last_consumer = NULL;
  fake_unwatch(client);
  if (client->is_consumer) {
    g_ptr_array_unref(client->consumer.topics);
    g_queue_clear_full(&client->consumer.incoming, (GDestroyNotify) fake_message_free);
    g_array_unref(client->consumer.committed);
  } else {
    g_ptr_array_unref(client->fake.produced);
    ims_check_clear(&client->fake.check);
  }
  g_free(client);
}

static ImsKafkaClient *
fake_consumer_new(const ImsKafkaConsumerConfig *config, GError **error)
{
  ImsKafkaClient *client = g_new0(ImsKafkaClient, 1);
  client->is_consumer = TRUE;
  client->consumer.topics = g_ptr_array_new_with_free_func(g_free);
  g_queue_init(&client->consumer.incoming);
  client->consumer.committed = g_array_new(FALSE, FALSE, sizeof(gint64));
  last_consumer = &client->consumer;
  return client;
}

static gboolean
fake_subscribe(ImsKafkaClient *client, const char *const *topics, guint n_topics, GError **error)
{
  for (guint i = 0; i < n_topics; i++)
    g_ptr_array_add(client->consumer.topics, g_strdup(topics[i]));
  return TRUE;
}

static ImsKafkaMessage *
fake_consume(ImsKafkaClient *client)
{
  ImsKafkaMessage *message = g_queue_pop_head(&client->consumer.incoming);
  if (message)
    client->consumer.consumed++;
  return message;
}

static gboolean
fake_commit(ImsKafkaClient *client, const ImsKafkaMessage *message, GError **error)
{
  g_array_append_val(client->consumer.committed, message->offset);
  return TRUE;
}

static void
fake_message_free(ImsKafkaMessage *message)
{
  if (!message)
    return;
  g_free((char *) message->topic);
  g_free((char *) message->key);
  g_free((char *) message->payload);
  g_free(message);
}

void
ims_kafka_fake_consumer_push(ImsKafkaFakeConsumer *consumer, const char *topic, gint64 offset,
                             const char *payload)
{
  ImsKafkaMessage *message = g_new0(ImsKafkaMessage, 1);
  message->topic = g_strdup(topic);
  message->offset = offset;
  message->key = g_strdup_printf("key-%" G_GINT64_FORMAT, offset);
  message->key_len = strlen(message->key);
  message->payload = g_strdup(payload);
  message->len = strlen(payload);
  g_queue_push_tail(&consumer->incoming, message);
  if (consumer->ready)
    consumer->ready(consumer->ready_data);
}

void
ims_kafka_fake_report(ImsKafkaFake *fake, guint index, const char *error)
{
  g_assert(index < fake->produced->len);
  ImsKafkaFakeRecord *record = g_ptr_array_index(fake->produced, index);
  g_assert(!record->reported);
  record->reported = TRUE;
  Report *report = g_new0(Report, 1);
  report->index = index;
  report->error = g_strdup(error);
  g_queue_push_tail(&fake->reports, report);
  if (fake->ready)
    fake->ready(fake->ready_data);
}

void
ims_kafka_fake_report_all(ImsKafkaFake *fake, const char *error)
{
  for (guint i = 0; i < fake->produced->len; i++) {
    ImsKafkaFakeRecord *record = g_ptr_array_index(fake->produced, i);
    if (!record->reported)
      ims_kafka_fake_report(fake, i, error);
  }
}

const ImsKafkaOps ims_kafka_fake_ops = {
  .producer_new = fake_producer_new,
  .produce = fake_produce,
  .poll = fake_poll,
  .flush = fake_flush,
  .purge = fake_purge,
  .watch = fake_watch,
  .unwatch = fake_unwatch,
  .kick = fake_kick,
  .get_check = fake_get_check,
  .free = fake_free,
  .consumer_new = fake_consumer_new,
  .subscribe = fake_subscribe,
  .consume = fake_consume,
  .commit = fake_commit,
  .message_free = fake_message_free,
};
