/* relay.h: publishes the outbox to Kafka.
 *
 * The relay reads unsent outbox rows in the order they were recorded and
 * hands them to an idempotent Kafka producer through the seam kafka.h
 * (librdkafka: enable.idempotence=true, acks=all, no message timeout: a
 * message waits while Kafka is down).  A row
 * is marked sent only when its delivery report says Kafka has it; after a
 * failed report, or a restart, publishing resumes from the oldest unsent row,
 * so order per key holds and nothing is lost (a redelivered event keeps its
 * eventId: consumers deduplicate on it).
 *
 * Threading: main loop only (ims_relay_poke, ImsRelayListener: any thread).  librdkafka's own
 * threads never call back into imsd except its logger; delivery reports are
 * served by the producer's poll (rd_kafka_poll(0)) when it signals them on
 * a pipe the loop watches (kafka-watch.h), which never waits.  The
 * outbox is read and marked through the database thread (database.h).
 *
 * When it reads: at once on a poke (a commit's events), again as soon as a
 * read answers if a poke came while it ran, on delivery reports while a
 * backlog remains (the last read was full, 500 rows, or stopped at a full
 * local queue), after every earlier
 * report of a failed delivery came, and once a second when nothing else read.
 *
 *   new -> publishing (pokes, 1 s idle timer) -> flushing (free: up to a few seconds) -> freed
 */
#pragma once

#include <glib.h>

#include "database.h"
#include "kafka.h"

G_BEGIN_DECLS

typedef struct _ImsRelay ImsRelay;

typedef struct {
  ImsDatabase *database;         /* the outbox is read and marked through it */
  const char *bootstrap_servers; /* "host:port,..." */
  const char *properties;        /* extra librdkafka properties "k=v;k=v" (SASL, SSL, ...), or "" */
  const ImsKafkaOps *kafka;      /* NULL: librdkafka (ims_kafka_rdkafka_ops); tests pass a fake */
} ImsRelayConfig;

/* Creates the producer.  NULL with an error naming the property librdkafka
 * refused.  Transfer full. */
ImsRelay *ims_relay_new(const ImsRelayConfig *config, GError **error);

/* New rows were committed: read and publish them now, or, while a read is in
 * flight, right after it answers (cheap, never waits; any thread, but not
 * once ims_relay_free has begun). */
void ims_relay_poke(ImsRelay *relay);

/* The store's events listener (store.h) that pokes a relay: the database
 * thread tells it of committed events.  It outlives the relay: detach the
 * relay (set NULL) before ims_relay_free, while the database thread may still
 * commit; events committed after that wait for the next start's read.  Keep
 * the listener until the database is freed. */
typedef struct {
  ImsEventsListener base; /* store->events_listener = &listener.base */
  GMutex lock;
  ImsRelay *relay; /* protected by lock; NULL: nobody is poked */
} ImsRelayListener;

/* Never waits longer than a poke. */
void ims_relay_listener_init(ImsRelayListener *listener, ImsRelay *relay);
void ims_relay_listener_set_relay(ImsRelayListener *listener, ImsRelay *relay);
void ims_relay_listener_clear(ImsRelayListener *listener);

typedef struct {
  gint64 pending;       /* unsent rows at the last read (at most ~1 s old), -1 before one */
  guint in_flight;      /* handed to librdkafka, not yet acknowledged */
  gboolean kafka_ok;    /* the last delivery report succeeded, none failed since */
  char *last_error;     /* owned, NULL if none since the last delivery */
  gint64 last_error_at; /* unix us of last_error, 0 if none */
  ImsCheck kafka;       /* the producer's reachability (kafka.h get_check) */
} ImsRelayStatus;

void ims_relay_get_status(ImsRelay *relay, ImsRelayStatus *status);
void ims_relay_status_clear(ImsRelayStatus *status);

/* Waits up to flush_ms for in-flight deliveries (their rows are marked
 * sent), then frees; unsent rows stay in the outbox for the next start. */
void ims_relay_free(ImsRelay *relay, int flush_ms);

G_END_DECLS
