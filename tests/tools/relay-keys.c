/* relay-keys: publishes one event per key through imsd's relay, on
 * librdkafka with imsd's producer settings, for the partitioner test
 * (tests/browser/partitioner.test.mjs).
 *
 *   relay-keys BOOTSTRAP TOPIC < keys      (one key per line)
 *
 * The outbox is held in memory (an ImsStore with only the outbox operations,
 * behind the real database thread); the relay (events/relay.c) publishes
 * row i with key i and value {"n":i} to TOPIC exactly as imsd would, through
 * ims_kafka_rdkafka_ops.  Prints "delivered N" and exits 0 once every row
 * is acknowledged and marked sent; exits 1 if that takes over 60 s.
 */
#include <stdio.h>
#include <string.h>

#include "database.h"
#include "relay.h"

typedef struct {
  ImsStore base;
  GMutex lock;                /* the rows: database thread and main */
  GPtrArray *rows;            /* ImsOutboxEvent*, id = index + 1 */
  GArray *sent;               /* gboolean per row */
} MemoryOutbox;

static GPtrArray *
list_pending(ImsStore *base, gint64 after_id, int limit, GError **error)
{
  MemoryOutbox *outbox = (MemoryOutbox *) base;
  GPtrArray *events = g_ptr_array_new_with_free_func((GDestroyNotify) ims_outbox_event_free);
  g_mutex_lock(&outbox->lock);
  for (guint i = MAX(after_id, 0); i < outbox->rows->len && (int) events->len < limit; i++) {
    if (g_array_index(outbox->sent, gboolean, i))
      continue;
    const ImsOutboxEvent *row = g_ptr_array_index(outbox->rows, i);
    ImsOutboxEvent *copy = ims_outbox_event_new(row->event_id, row->event_type, row->topic,
                                                row->key, row->value);
    copy->id = row->id;
    g_ptr_array_add(events, copy);
  }
  g_mutex_unlock(&outbox->lock);
  return events;
}

static gboolean
mark_sent(ImsStore *base, const gint64 *ids, guint count, GError **error)
{
  MemoryOutbox *outbox = (MemoryOutbox *) base;
  g_mutex_lock(&outbox->lock);
  for (guint i = 0; i < count; i++)
    g_array_index(outbox->sent, gboolean, ids[i] - 1) = TRUE;
  g_mutex_unlock(&outbox->lock);
  return TRUE;
}

static gint64
count_pending(ImsStore *base, GError **error)
{
  MemoryOutbox *outbox = (MemoryOutbox *) base;
  gint64 pending = 0;
  g_mutex_lock(&outbox->lock);
  for (guint i = 0; i < outbox->sent->len; i++)
    pending += !g_array_index(outbox->sent, gboolean, i);
  g_mutex_unlock(&outbox->lock);
  return pending;
}

static gboolean
ping(ImsStore *base, GError **error)
{
  return TRUE;
}

static void
free_outbox(ImsStore *base)
{
  /* main owns it */
}

/* Row n (1-based) per line of stdin: key = the line. */
static void
read_keys(MemoryOutbox *outbox, const char *topic)
{
  char line[1024];
  while (fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\r\n")] = '\0';
    if (!*line)
      continue;
    gint64 id = outbox->rows->len + 1;
    g_autofree char *event_id = g_uuid_string_random();
    g_autofree char *value = g_strdup_printf("{\"n\":%" G_GINT64_FORMAT "}", id);
    ImsOutboxEvent *row = ims_outbox_event_new(event_id, "candidate.started", topic, line, value);
    row->id = id;
    g_ptr_array_add(outbox->rows, row);
    gboolean sent = FALSE;
    g_array_append_val(outbox->sent, sent);
  }
}

int
main(int argc, char **argv)
{
  if (argc != 3) {
    fprintf(stderr, "usage: %s BOOTSTRAP TOPIC < keys\n", argv[0]);
    return 2;
  }
  MemoryOutbox outbox = { 0 };
  outbox.base.ping = ping;
  outbox.base.free = free_outbox;
  outbox.base.outbox.list_pending_events = list_pending;
  outbox.base.outbox.mark_events_sent = mark_sent;
  outbox.base.outbox.count_pending_events = count_pending;
  g_mutex_init(&outbox.lock);
  outbox.rows = g_ptr_array_new_with_free_func((GDestroyNotify) ims_outbox_event_free);
  outbox.sent = g_array_new(FALSE, FALSE, sizeof(gboolean));
  read_keys(&outbox, argv[2]);

  g_autoptr(GError) error = NULL;
  ImsDatabase *database = ims_database_new(&outbox.base, NULL);
  ImsRelayConfig config = { database, argv[1], "" };
  ImsRelay *relay = ims_relay_new(&config, &error);
  if (!relay) {
    fprintf(stderr, "relay-keys: %s\n", error->message);
    return 1;
  }
  gint64 end = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;
  gboolean done = FALSE;
  while (!done && g_get_monotonic_time() < end) {
    g_main_context_iteration(NULL, TRUE);
    ImsRelayStatus status;
    ims_relay_get_status(relay, &status);
    done = status.pending == 0 && status.in_flight == 0;
    ims_relay_status_clear(&status);
  }
  ims_relay_free(relay, 5000);
  ims_database_flush(database, 5000);
  ims_database_free(database);
  gint64 pending = count_pending(&outbox.base, NULL);
  printf("delivered %" G_GINT64_FORMAT "\n", (gint64) outbox.rows->len - pending);
  g_ptr_array_unref(outbox.rows);
  g_array_unref(outbox.sent);
  return done && pending == 0 ? 0 : 1;
}
