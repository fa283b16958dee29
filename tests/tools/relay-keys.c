/* relay-keys: publishes one event per key through imsd's relay, on
 * librdkafka with imsd's producer settings, for the partitioner test
 * (tests/browser/partitioner.test.mjs).
 *
 *   relay-keys BOOTSTRAP TOPIC < keys      (one key per line)
 *
 * The outbox is held in memory (tests/unit/outbox-fake.c: an ImsStore with
 * only the outbox operations, behind the real database thread); the relay (events/relay.c) publishes
 * row i with key i and value {"n":i} to TOPIC exactly as imsd would, through
 * ims_kafka_rdkafka_ops.  Prints "delivered N" and exits 0 once every row
 * is acknowledged and marked sent; exits 1 if that takes over 60 s.
 */
#include <stdio.h>
#include <string.h>

#include "database.h"
#include "outbox-fake.h"
#include "relay.h"

/* Row id: the id-th key, a fresh eventId, value {"n":id}. */
static ImsOutboxEvent *
make_row(guint id, gpointer data)
{
  GPtrArray *keys = data;
  const char *topic = g_ptr_array_index(keys, 0);
  g_autofree char *event_id = g_uuid_string_random();
  g_autofree char *value = g_strdup_printf("{\"n\":%u}", id);
  return ims_outbox_event_new(event_id, "candidate.started", topic, g_ptr_array_index(keys, id),
                              value);
}

/* keys[0] = topic, keys[n] = the n-th non-empty line of stdin. */
static GPtrArray *
read_keys(const char *topic)
{
  GPtrArray *keys = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(keys, g_strdup(topic));
  char line[1024];
  while (fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\r\n")] = '\0';
    if (*line)
      g_ptr_array_add(keys, g_strdup(line));
  }
  return keys;
}

int
main(int argc, char **argv)
{
  if (argc != 3) {
    fprintf(stderr, "usage: %s BOOTSTRAP TOPIC < keys\n", argv[0]);
    return 2;
  }
  g_autoptr(GPtrArray) keys = read_keys(argv[2]);
  ImsOutboxFake outbox;
  ims_outbox_fake_init(&outbox, make_row, keys);
  ims_outbox_fake_add_rows(&outbox, keys->len - 1);

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
  gint64 pending = ims_outbox_fake_pending(&outbox);
  printf("delivered %" G_GINT64_FORMAT "\n", (gint64) outbox.rows - pending);
  ims_outbox_fake_clear(&outbox);
  return done && pending == 0 ? 0 : 1;
}
