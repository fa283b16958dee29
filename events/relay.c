/* relay.c: the outbox relay; see relay.h. */
#define G_LOG_DOMAIN "imsd.relay"

#include "relay.h"

#include "kafka.h"
#include "metrics.h"

#include <gio/gio.h>
#include <stdint.h>
#include <string.h>

#define BATCH 500
#define IDLE_READ_INTERVAL_MS 1000 /* a read when nothing poked (rows of another writer) */

struct _ImsRelay {
  ImsDatabase *database;
  const ImsKafkaOps *kafka;
  ImsKafkaClient *producer;
  gint64 high_water; /* highest outbox id handed to librdkafka */
  guint in_flight;
  gboolean kafka_ok;
  gboolean restart;     /* a delivery failed: re-read from the oldest unsent row */
  char *last_error;     /* since the last delivery; NULL if none */
  gint64 last_error_at; /* unix us of last_error */
  gint64 last_read;     /* monotonic time of the last outbox read */
  gboolean reading;     /* a read of the outbox is queued */
  gboolean backlog;     /* the last read was full (BATCH rows) or stopped at a full
                             * queue: more rows wait behind it */
  gint64 pending;       /* unsent rows at the last read, -1 before one */
  gint poked;           /* atomic: set from any thread; cleared when a read is queued */
  GSource *poke_source; /* dispatched on the main loop soon after a poke (ready time 0) */
  GArray *acked;        /* gint64 outbox ids acknowledged, not being marked yet */
  gboolean marking;     /* a mark job is in flight: acks wait and go in the next one */
  guint jobs;           /* database jobs not answered yet: each holds the relay */
  gboolean freed;       /* ims_relay_free was called: the last job's answer frees it */
  guint idle_timer_id;
};

static void
relay_destroy(ImsRelay *relay)
{
  g_array_unref(relay->acked);
  g_free(relay->last_error);
  g_free(relay);
}

/* A job's answer came: TRUE if the relay is still in use (else it was freed
 * meanwhile, and is destroyed with its last job). */
static gboolean
job_answered(ImsRelay *relay)
{
  relay->jobs--;
  if (!relay->freed)
    return TRUE;
  if (relay->jobs == 0)
    relay_destroy(relay);
  return FALSE;
}

static void
set_error(ImsRelay *relay, const char *message)
{
  g_free(relay->last_error);
  relay->last_error = g_strdup(message);
  relay->last_error_at = g_get_real_time();
}

/* Client-level errors (all brokers down, transport failures): served by
 * the producer's poll on the main loop.  Deliveries still wait (no message
 * timeout); this only tells /readyz and the log.  The next delivery clears it. */
static void
on_error(gboolean all_brokers_down, const char *reason, gpointer data)
{
  ImsRelay *relay = data;
  g_autofree char *text = g_strdup_printf("Kafka: %s", reason);
  if (relay->kafka_ok || all_brokers_down)
    g_warning("%s; events wait in the outbox", text);
  relay->kafka_ok = FALSE;
  set_error(relay, text);
}

/* Delivery report: runs inside the producer's poll, on the main loop. */
static void
on_delivery(gpointer opaque, const char *topic, const char *failure, gpointer data)
{
  ImsRelay *relay = data;
  gint64 id = (gint64) (intptr_t) opaque;

  relay->in_flight--;
  if (failure) {
    g_autofree char *text = g_strdup_printf("delivery of outbox row %" G_GINT64_FORMAT " to %s "
                                            "failed: %s",
                                            id, topic, failure);
    if (relay->kafka_ok || !relay->restart)
      g_warning("%s; resending from the oldest unsent event", text);
    set_error(relay, text);
    ims_metric_add(&ims_metric_relay_delivery_failures, 0, 1);
    relay->kafka_ok = FALSE;
    relay->restart = TRUE;
    return;
  }
  relay->kafka_ok = TRUE;
  g_clear_pointer(&relay->last_error, g_free); /* Kafka has taken one since */
  relay->last_error_at = 0;
  ims_metric_stamps_observe(&ims_metric_relay_stamps, (guint64) id, g_get_real_time(),
                            &ims_metric_relay_delivery_seconds);
  g_array_append_val(relay->acked, id);
}

static void mark_acked(ImsRelay *relay, gboolean final);

/* Marking acknowledged rows sent: a database write, retried until written
 * (sent twice at worst if imsd stops before: consumers deduplicate on
 * eventId).  It counts what is left unsent, for /readyz. */
typedef struct {
  ImsRelay *relay;
  GArray *ids; /* gint64 outbox ids */
  gint64 pending;
} MarkSent;

static void
mark_sent_free(MarkSent *mark)
{
  g_array_unref(mark->ids);
  g_free(mark);
}

static gboolean
run_mark_sent(ImsStore *store, gpointer data, GError **error)
{
  MarkSent *mark = data;
  if (!store->outbox.mark_events_sent(store, (const gint64 *) mark->ids->data, mark->ids->len, error))
    return FALSE;
  mark->pending = store->outbox.count_pending_events(store, NULL);
  return TRUE;
}

static void
on_marked_sent(gpointer data, const GError *error)
{
  MarkSent *mark = data;
  ImsRelay *relay = mark->relay;
  if (error)
    g_warning("%u delivered event(s) not marked sent: %s", mark->ids->len, error->message);
  if (!job_answered(relay))
    return;
  relay->marking = FALSE;
  if (!error && mark->pending >= 0)
    relay->pending = mark->pending;
  mark_acked(relay, FALSE); /* what was acknowledged meanwhile */
}

/* Marks what was acknowledged, in one statement; while one is in flight
 * (unless final), acks gather for the next, so marks never queue up behind
 * each other on the database thread. */
static void
mark_acked(ImsRelay *relay, gboolean final)
{
  if (relay->acked->len == 0 || (relay->marking && !final))
    return;
  relay->marking = TRUE;
  MarkSent *mark = g_new0(MarkSent, 1);
  mark->relay = relay;
  mark->ids = g_steal_pointer(&relay->acked);
  mark->pending = -1;
  relay->acked = g_array_new(FALSE, FALSE, sizeof(gint64));
  relay->jobs++;
  ims_database_submit(relay->database, IMS_DATABASE_WRITE, "mark events sent", run_mark_sent,
                      on_marked_sent, mark, (GDestroyNotify) mark_sent_free);
}

static gboolean
produce(ImsRelay *relay, const ImsOutboxEvent *event)
{
  const ImsKafkaHeader headers[] = {
    { "eventType", event->event_type },
    { "eventId", event->event_id },
  };
  const ImsKafkaRecord record = {
    .topic = event->topic,
    .key = event->key,
    .key_len = strlen(event->key),
    .value = event->value,
    .value_len = strlen(event->value),
    .headers = headers,
    .n_headers = G_N_ELEMENTS(headers),
    .opaque = (gpointer) (intptr_t) event->id,
  };
  g_autoptr(GError) error = NULL;
  if (!relay->kafka->produce(relay->producer, &record, &error)) {
    if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE)) {
      g_autofree char *text = g_strdup_printf("cannot produce outbox row %" G_GINT64_FORMAT ": %s",
                                              event->id, error->message);
      set_error(relay, text);
    }
    return FALSE;
  }
  relay->in_flight++;
  ims_metric_stamps_put(&ims_metric_relay_stamps, (guint64) event->id, event->created_at);
  relay->high_water = event->id;
  return TRUE;
}

/* One read of the outbox: unsent rows past after_id and how many are unsent. */
typedef struct {
  ImsRelay *relay;
  gint64 after_id;
  GPtrArray *events;
  gint64 pending;
} OutboxRead;

static void
outbox_read_free(OutboxRead *read)
{
  g_clear_pointer(&read->events, g_ptr_array_unref);
  g_free(read);
}

static gboolean
run_outbox_read(ImsStore *store, gpointer data, GError **error)
{
  OutboxRead *read = data;
  read->events = store->outbox.list_pending_events(store, read->after_id, BATCH, error);
  if (!read->events)
    return FALSE;
  read->pending = store->outbox.count_pending_events(store, error);
  return read->pending >= 0;
}

static void publish_pending(ImsRelay *relay);

static void
on_outbox_read(gpointer data, const GError *error)
{
  OutboxRead *read = data;
  ImsRelay *relay = read->relay;

  if (!job_answered(relay))
    return;
  relay->reading = FALSE;
  if (error) {
    set_error(relay, error->message);
    return;
  }
  relay->pending = read->pending;
  relay->backlog = read->events->len == BATCH;
  if (relay->restart) {
    publish_pending(relay); /* a delivery failed meanwhile: start over once all reported */
    return;
  }
  for (guint i = 0; i < read->events->len; i++) {
    const ImsOutboxEvent *event = g_ptr_array_index(read->events, i);
    if (event->id <= relay->high_water)
      continue; /* already with librdkafka */
    if (!produce(relay, event)) {
      relay->backlog = TRUE; /* queue full or refused: the next reports read on, in order */
      return;
    }
  }
  /* rows committed while this read ran may have missed it: read them now */
  if (g_atomic_int_get(&relay->poked))
    publish_pending(relay);
}

/* Asks the database for unsent rows past the high water mark; they go to
 * librdkafka, in id order, when the answer comes. */
static void
publish_pending(ImsRelay *relay)
{
  if (relay->reading)
    return;
  if (relay->restart) {
    if (relay->in_flight > 0)
      return; /* wait until every earlier message has reported */
    relay->restart = FALSE;
    relay->high_water = 0;
  }
  relay->last_read = g_get_monotonic_time();
  g_atomic_int_set(&relay->poked, FALSE);
  relay->reading = TRUE;
  OutboxRead *read = g_new0(OutboxRead, 1);
  read->relay = relay;
  read->after_id = relay->high_water;
  relay->jobs++;
  ims_database_submit(relay->database, IMS_DATABASE_READ, "read the outbox", run_outbox_read,
                      on_outbox_read, read, (GDestroyNotify) outbox_read_free);
}

/* The producer has delivery reports or errors: serve them all (never waits),
 * then read on if a delivery failed or rows wait behind a full read. */
static void
on_kafka_events(gpointer data)
{
  ImsRelay *relay = data;
  relay->kafka->poll(relay->producer);
  mark_acked(relay, FALSE);
  /* after a failed delivery: start over once all reported; with a backlog:
   * the next rows, paced by Kafka's acknowledgements rather than a timer */
  if (relay->restart || relay->backlog)
    publish_pending(relay);
}

/* A read when nothing read for a second (rows no poke told of), or after a
 * failed delivery that no report has restarted yet. */
static gboolean
on_idle_timer(gpointer data)
{
  ImsRelay *relay = data;
  gint64 since = g_get_monotonic_time() - relay->last_read;
  if (relay->restart || since >= IDLE_READ_INTERVAL_MS * 1000)
    publish_pending(relay);
  return G_SOURCE_CONTINUE;
}

/* The poke source: ready once its ready time (0) is set by a poke; reads at
 * once unless a read is in flight, whose answer then reads again. */
static gboolean
on_poked(GSource *source, GSourceFunc callback, gpointer data)
{
  g_source_set_ready_time(source, -1);
  ImsRelay *relay = data;
  if (g_atomic_int_get(&relay->poked))
    publish_pending(relay);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs poke_source_funcs = {
  .dispatch = on_poked,
};

void
ims_relay_poke(ImsRelay *relay)
{
  if (!relay)
    return;
  g_atomic_int_set(&relay->poked, TRUE);
  g_source_set_ready_time(relay->poke_source, 0); /* thread-safe; wakes the loop */
}

/* Database thread. */
static void
on_events_committed(ImsEventsListener *base)
{
  ImsRelayListener *listener = G_STRUCT_MEMBER_P(base, -G_STRUCT_OFFSET(ImsRelayListener, base));
  g_mutex_lock(&listener->lock);
  ims_relay_poke(listener->relay);
  g_mutex_unlock(&listener->lock);
}

void
ims_relay_listener_init(ImsRelayListener *listener, ImsRelay *relay)
{
  listener->base.events_committed = on_events_committed;
  g_mutex_init(&listener->lock);
  listener->relay = relay;
}

void
ims_relay_listener_set_relay(ImsRelayListener *listener, ImsRelay *relay)
{
  g_mutex_lock(&listener->lock);
  listener->relay = relay;
  g_mutex_unlock(&listener->lock);
}

void
ims_relay_listener_clear(ImsRelayListener *listener)
{
  g_mutex_clear(&listener->lock);
}

ImsRelay *
ims_relay_new(const ImsRelayConfig *config, GError **error)
{
  static const char *const settings[][2] = {
    { "enable.idempotence", "true" },
    { "acks", "all" },
    { "message.timeout.ms", "0" }, /* wait for Kafka as long as it takes */
    { "linger.ms", "5" },
    { "client.id", "imsd" },
  };
  ImsRelay *relay = g_new0(ImsRelay, 1);
  relay->database = config->database;
  relay->kafka = config->kafka ? config->kafka : &ims_kafka_rdkafka_ops;
  relay->pending = -1;
  const ImsKafkaProducerConfig producer_config = {
    .what = "Kafka producer",
    .bootstrap_servers = config->bootstrap_servers,
    .properties = config->properties,
    .defaults = settings,
    .n_defaults = G_N_ELEMENTS(settings),
    .delivered = on_delivery,
    .failed = on_error,
    .data = relay,
  };
  relay->producer = relay->kafka->producer_new(&producer_config, error);
  if (!relay->producer) {
    g_free(relay);
    return NULL;
  }
  relay->acked = g_array_new(FALSE, FALSE, sizeof(gint64));
  relay->kafka_ok = TRUE;
  relay->poked = TRUE; /* before any thread sees the relay */
  if (!relay->kafka->watch(relay->producer, on_kafka_events, relay, error)) {
    relay->kafka->free(relay->producer);
    g_array_unref(relay->acked);
    g_free(relay);
    return NULL;
  }
  relay->poke_source = g_source_new(&poke_source_funcs, sizeof(GSource));
  g_source_set_callback(relay->poke_source, NULL, relay, NULL);
  g_source_set_name(relay->poke_source, "imsd relay poke");
  g_source_set_ready_time(relay->poke_source, 0); /* the first read */
  g_source_attach(relay->poke_source, NULL);
  relay->idle_timer_id = g_timeout_add(IDLE_READ_INTERVAL_MS, on_idle_timer, relay);
  g_message("publishing events to Kafka at %s", config->bootstrap_servers);
  return relay;
}

void
ims_relay_get_status(ImsRelay *relay, ImsRelayStatus *status)
{
  status->pending = relay->pending;
  status->in_flight = relay->in_flight;
  status->kafka_ok = relay->kafka_ok;
  status->last_error = g_strdup(relay->last_error);
  status->last_error_at = relay->last_error_at;
  relay->kafka->get_check(relay->producer, &status->kafka);
}

void
ims_relay_status_clear(ImsRelayStatus *status)
{
  g_clear_pointer(&status->last_error, g_free);
  ims_check_clear(&status->kafka);
}

void
ims_relay_free(ImsRelay *relay, int flush_ms)
{
  if (!relay)
    return;
  g_clear_handle_id(&relay->idle_timer_id, g_source_remove);
  g_source_destroy(relay->poke_source);
  g_clear_pointer(&relay->poke_source, g_source_unref);
  relay->kafka->unwatch(relay->producer);
  /* delivery reports arrive through the flush's polling */
  if (relay->in_flight > 0 && !relay->kafka->flush(relay->producer, flush_ms))
    g_message("%u event(s) not acknowledged yet; they stay in the outbox", relay->in_flight);
  mark_acked(relay, TRUE);
  relay->kafka->purge(relay->producer);
  relay->kafka->free(relay->producer);
  relay->freed = TRUE;
  if (relay->jobs == 0)
    relay_destroy(relay);
}
