/* kafka-fake.h: a Kafka producer and consumer for unit tests, behind the
 * seam (kafka.h).
 *
 * ims_kafka_fake_ops makes one fake producer at a time (the last one made is
 * ims_kafka_fake()).  It records what is produced, in order; nothing is
 * delivered until the test says so with ims_kafka_fake_report, which queues
 * the report and runs the watcher's ready, as librdkafka's pipe would; the
 * client's poll then serves it.  queue_limit plays a full local queue.
 *
 * A fake consumer (one at a time, ims_kafka_fake_consumer()) hands out what
 * the test pushes, in order, and records the offsets committed.
 * Main thread only.
 */
#pragma once

#include "kafka.h"

G_BEGIN_DECLS

typedef struct {
  char *topic;
  char *key;
  char *value;
  GHashTable *headers; /* name -> value */
  gpointer opaque;
  gboolean reported; /* its delivery report was queued */
} ImsKafkaFakeRecord;

typedef struct {
  ImsKafkaProducerConfig config; /* strings not kept: only callbacks and data */
  GPtrArray *produced;           /* ImsKafkaFakeRecord*, every accepted produce, in order */
  guint queue_limit;             /* > 0: produce fails NO_SPACE while that many are unreported */
  guint refused;                 /* produce calls refused (queue full) */
  GQueue reports;                /* (index, error) waiting for poll */
  void (*ready)(gpointer data);
  gpointer ready_data;
  guint polls;
  gboolean flushed, purged;
  ImsCheck check; /* what get_check hands out (ok, not checked yet, at first) */
} ImsKafkaFake;

typedef struct {
  GPtrArray *topics; /* char*: subscribed */
  GQueue incoming;   /* ImsKafkaMessage* not consumed yet */
  GArray *committed; /* gint64 offsets, in commit order */
  guint consumed;    /* messages handed out */
  void (*ready)(gpointer data);
  gpointer ready_data;
  guint kick_id;
} ImsKafkaFakeConsumer;

extern const ImsKafkaOps ims_kafka_fake_ops;

/* The last consumer ims_kafka_fake_ops made (NULL after its free). */
ImsKafkaFakeConsumer *ims_kafka_fake_consumer(void);

/* Queues a message at topic [0] @offset with value payload (key: "key-<offset>")
 * and runs ready, as a new message would. */
void ims_kafka_fake_consumer_push(ImsKafkaFakeConsumer *consumer, const char *topic, gint64 offset,
                                  const char *payload);

/* The last producer ims_kafka_fake_ops made (NULL after its free). */
ImsKafkaFake *ims_kafka_fake(void);

/* Unreported records (handed to the producer, no report queued yet). */
guint ims_kafka_fake_in_flight(ImsKafkaFake *fake);

/* Queues the delivery report of produced[index] (error NULL: Kafka has it)
 * and runs ready. */
void ims_kafka_fake_report(ImsKafkaFake *fake, guint index, const char *error);

/* Reports every unreported record, in order, with error. */
void ims_kafka_fake_report_all(ImsKafkaFake *fake, const char *error);

/* Iterates the thread-default main context until cond holds or ms passed. */
#define IMS_KAFKA_FAKE_WAIT_FOR(cond, ms) \
  do { \
    gint64 end_ = g_get_monotonic_time() + (gint64) (ms) *1000; \
    while (!(cond) && g_get_monotonic_time() < end_) { \
      if (!g_main_context_iteration(NULL, FALSE)) \
        g_usleep(1000); \
    } \
  } while (0)

/* Iterates the main context for ms. */
static inline void
ims_kafka_fake_run_for(guint ms)
{
  IMS_KAFKA_FAKE_WAIT_FOR(FALSE, ms);
}

G_END_DECLS
