/* relay.c: the outbox relay; see relay.h. */
#define G_LOG_DOMAIN "imsd.relay"

#include "relay.h"

#include "kafka.h"

#include <gio/gio.h>
#include <stdint.h>
#include <string.h>

#define BATCH 500
#define POKE_INTERVAL_MS 50       /* how soon a commit's events are read */
#define IDLE_READ_INTERVAL_MS 1000

struct _ImsRelay {
  ImsDatabase *database;
  const ImsKafkaOps *kafka;
  ImsKafkaClient *producer;
  gint64 high_water;        /* highest outbox id handed to librdkafka */
  guint in_flight;
  gboolean kafka_ok;
  gboolean restart;         /* a delivery failed: re-read from the oldest unsent row */
  char *last_error;
  gint64 last_read;         /* monotonic time of the last outbox read */
  gboolean reading;         /* a read of the outbox is queued */
  gint64 pending;           /* unsent rows at the last read, -1 before one */
  gint poked;               /* atomic: set from any thread */
  GArray *acked;            /* gint64 outbox ids acknowledged in this poll round */
  guint jobs;               /* database jobs not answered yet: each holds the relay */
  gboolean freed;           /* ims_relay_free was called: the last job's answer frees it */
  guint read_timer_id;
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
                                            "failed: %s", id, topic, failure);
    if (relay->kafka_ok || !relay->restart)
      g_warning("%s; resending from the oldest unsent event", text);
    set_error(relay, text);
    relay->kafka_ok = FALSE;
    relay->restart = TRUE;
    return;
  }
  relay->kafka_ok = TRUE;
  g_array_append_val(relay->acked, id);
}

/* Marking acknowledged rows sent: a database write, retried until written
 * (sent twice at worst if imsd stops before: consumers deduplicate on
 * eventId).  It counts what is left unsent, for /readyz. */
typedef struct {
  ImsRelay *relay;
  GArray *ids;                /* gint64 outbox ids */
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
  if (error)
    g_warning("%u delivered event(s) not marked sent: %s", mark->ids->len, error->message);
  if (!job_answered(mark->relay) || error)
    return;
  if (mark->pending >= 0)
    mark->relay->pending = mark->pending;
}

/* Marks what this poll round acknowledged, in one statement. */
static void
mark_acked(ImsRelay *relay)
{
  if (relay->acked->len == 0)
    return;
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
  if (relay->restart)
    return;     /* a delivery failed meanwhile: the next read starts over */
  for (guint i = 0; i < read->events->len; i++) {
    const ImsOutboxEvent *event = g_ptr_array_index(read->events, i);
    if (event->id <= relay->high_water)
      continue;   /* already with librdkafka */
    if (!produce(relay, event))
      break;      /* queue full or refused: the next round continues in order */
  }
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
      return;   /* wait until every earlier message has reported */
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

/* The producer has delivery reports or errors: serve them all (never waits). */
static void
on_kafka_events(gpointer data)
{
  ImsRelay *relay = data;
  relay->kafka->poll(relay->producer);
  mark_acked(relay);
  if (relay->restart)
    publish_pending(relay);
}

/* Reads the outbox when a commit poked, after a failed delivery, or once a second. */
static gboolean
on_read_timer(gpointer data)
{
  ImsRelay *relay = data;
  gint64 since = g_get_monotonic_time() - relay->last_read;
  if (g_atomic_int_get(&relay->poked) || relay->restart || since > IDLE_READ_INTERVAL_MS * 1000)
    publish_pending(relay);
  return G_SOURCE_CONTINUE;
}

void
ims_relay_poke(ImsRelay *relay)
{
  if (relay)
    g_atomic_int_set(&relay->poked, TRUE);
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
    { "message.timeout.ms", "0" },     /* wait for Kafka as long as it takes */
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
  relay->poked = TRUE;  /* before any thread sees the relay */
  if (!relay->kafka->watch(relay->producer, on_kafka_events, relay, error)) {
    relay->kafka->free(relay->producer);
    g_array_unref(relay->acked);
    g_free(relay);
    return NULL;
  }
  relay->read_timer_id = g_timeout_add(POKE_INTERVAL_MS, on_read_timer, relay);
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
  g_clear_handle_id(&relay->read_timer_id, g_source_remove);
  relay->kafka->unwatch(relay->producer);
  /* delivery reports arrive through the flush's polling */
  if (relay->in_flight > 0 && !relay->kafka->flush(relay->producer, flush_ms))
    g_message("%u event(s) not acknowledged yet; they stay in the outbox", relay->in_flight);
  mark_acked(relay);
  relay->kafka->purge(relay->producer);
  relay->kafka->free(relay->producer);
  relay->freed = TRUE;
  if (relay->jobs == 0)
    relay_destroy(relay);
}
