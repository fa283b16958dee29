/* kafka.h: the Kafka seam: what imsd's clients need of Kafka.
 *
 * An ImsKafkaOps table makes and drives an opaque ImsKafkaClient, a
 * producer or a group consumer.  The real table, ims_kafka_rdkafka_ops
 * (kafka-rdkafka.c), is librdkafka; unit tests pass a fake
 * (tests/unit/kafka-fake.c) so the relay's ordering, restart and batching
 * and the consumer's retries and dead letters run without a broker.  No
 * header but kafka-watch.h and kafka-log.h (kafka-rdkafka.c's helpers)
 * names a librdkafka type.
 *
 * Delivery reports and client errors are only ever reported from inside
 * poll or flush, on the thread that called them (the main loop).  watch
 * makes ready run on the main context whenever there is something to poll
 * or consume (for librdkafka: a pipe its queue writes to, kafka-watch.h).
 *
 * A producer also keeps whether it reaches its cluster (check): ok after a
 * delivery, unavailable once every broker is down, and probed actively
 * (a metadata request off the loop, events/kafka-check.h) every
 * IMS_KAFKA_PROBE_FAILING_MS while unavailable and IMS_KAFKA_PROBE_OK_MS
 * while ok, so it follows the brokers within seconds.
 *
 *   producer: producer_new -> watch -> produce / poll ... -> unwatch -> flush -> purge -> free
 *   consumer: consumer_new -> subscribe -> watch -> consume / commit ... -> unwatch -> free (leaves)
 */
#pragma once

#include <glib.h>

#include "check.h"

G_BEGIN_DECLS

typedef struct _ImsKafkaClient ImsKafkaClient;

#define IMS_KAFKA_PROBE_OK_MS 3000
#define IMS_KAFKA_PROBE_FAILING_MS 1000
#define IMS_KAFKA_PROBE_TIMEOUT_MS 2000

/* A delivery report: opaque as given to produce, the record's topic, and
 * error NULL if Kafka has the record, else why not (transfer none). */
typedef void (*ImsKafkaDelivered)(gpointer opaque, const char *topic, const char *error,
                                  gpointer data);

/* A client-level error (brokers unreachable, transport failures);
 * all_brokers_down when every broker is down. */
typedef void (*ImsKafkaFailed)(gboolean all_brokers_down, const char *reason, gpointer data);

typedef struct {
  const char *what;                 /* names the client in errors: "Kafka producer" */
  const char *bootstrap_servers;    /* "host:port,..." */
  const char *properties;           /* "k=v;k=v" (SASL, SSL, ...), or "" / NULL */
  const char *const (*defaults)[2]; /* settings applied before properties (they may override) */
  guint n_defaults;
  const char *const (*overrides)[2]; /* settings applied after properties */
  guint n_overrides;
  ImsKafkaDelivered delivered; /* required */
  ImsKafkaFailed failed;       /* NULL: client errors go to the log only */
  gpointer data;               /* passed to delivered and failed */
} ImsKafkaProducerConfig;

typedef struct {
  const char *name;
  const char *value;
} ImsKafkaHeader;

typedef struct {
  const char *topic;
  const void *key;
  gsize key_len;
  const void *value;
  gsize value_len;
  const ImsKafkaHeader *headers;
  guint n_headers;
  gpointer opaque; /* handed back in the delivery report */
} ImsKafkaRecord;

typedef struct {
  const char *bootstrap_servers;     /* "host:port,..." */
  const char *properties;            /* "k=v;k=v" (SASL, SSL, ...), or "" / NULL */
  const char *const (*overrides)[2]; /* settings applied after properties: group.id, ... */
  guint n_overrides;
} ImsKafkaConsumerConfig;

/* A consumed message, or an error the consumer reported instead (error set). */
typedef struct {
  const char *topic;
  int partition;
  gint64 offset;
  const void *key;
  gsize key_len;
  const void *payload;
  gsize len;
  const char *error;         /* NULL for a message; else why there is none */
  gboolean end_of_partition; /* error is only "reached the end of a partition" */
  gpointer handle;           /* the implementation's */
} ImsKafkaMessage;

typedef struct {
  /* NULL with an error (G_IO_ERROR_INVALID_ARGUMENT naming a property the
   * client refused, or G_IO_ERROR_FAILED).  Transfer full. */
  ImsKafkaClient *(*producer_new)(const ImsKafkaProducerConfig *config, GError **error);
  /* Queues record (copied).  FALSE with G_IO_ERROR_NO_SPACE when the local
   * queue is full (try again later), another code when it was refused. */
  gboolean (*produce)(ImsKafkaClient *client, const ImsKafkaRecord *record, GError **error);
  /* Serves delivery reports and errors that are ready; never waits. */
  void (*poll)(ImsKafkaClient *client);
  /* Waits up to timeout_ms for every queued record's report (served like
   * poll).  TRUE if none is left. */
  gboolean (*flush)(ImsKafkaClient *client, int timeout_ms);
  /* Drops queued and in-flight records; their reports (failed) are served. */
  void (*purge)(ImsKafkaClient *client);
  /* ready runs on the main context whenever poll has something to serve
   * (and once soon after watch).  FALSE with an error if it cannot. */
  gboolean (*watch)(ImsKafkaClient *client, void (*ready)(gpointer data), gpointer data,
                    GError **error);
  /* Stops ready; safe without watch. */
  void (*unwatch)(ImsKafkaClient *client);
  /* Runs ready from an idle, for messages that came while they were not
   * consumed (a consumer that held its current message).  Cheap; needs watch. */
  void (*kick)(ImsKafkaClient *client);
  /* Copies whether a producer reaches its cluster (see above) into check
   * (clear it with ims_check_clear); a consumer's is not configured.  Cheap. */
  void (*get_check)(ImsKafkaClient *client, ImsCheck *check);
  /* Frees the client (waiting for a running probe, at most
   * IMS_KAFKA_PROBE_TIMEOUT_MS); a consumer leaves its group first. */
  void (*free)(ImsKafkaClient *client);

  /* A consumer in a group, offsets committed by hand only.  NULL with an
   * error as producer_new.  Transfer full. */
  ImsKafkaClient *(*consumer_new)(const ImsKafkaConsumerConfig *config, GError **error);
  gboolean (*subscribe)(ImsKafkaClient *client, const char *const *topics, guint n_topics,
                        GError **error);
  /* The next message or error, NULL if none is ready; never waits.
   * Transfer full: free with message_free. */
  ImsKafkaMessage *(*consume)(ImsKafkaClient *client);
  /* Commits message's offset (synchronously); FALSE with an error if not. */
  gboolean (*commit)(ImsKafkaClient *client, const ImsKafkaMessage *message, GError **error);
  void (*message_free)(ImsKafkaMessage *message);
} ImsKafkaOps;

/* librdkafka (kafka-rdkafka.c). */
extern const ImsKafkaOps ims_kafka_rdkafka_ops;

G_END_DECLS
