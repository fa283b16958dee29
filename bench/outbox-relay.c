/* outbox-relay: how fast events go from the outbox to Kafka.
 *
 *   outbox-relay CONNINFO BOOTSTRAP [EVENTS] [BATCH]
 *
 * Commits EVENTS events (BATCH per transaction, as state changes do), each a
 * real contract envelope, while imsd's relay publishes them to the given
 * Kafka (the dev mock cluster: scripts/kafka.sh bootstrap).  Prints the
 * throughput and the commit-to-acknowledgement latency (outbox.created_at to
 * sent_at, as PostgreSQL recorded them).  Prints figures; never fails on time.
 */
#include <glib.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>

#include "outbox.h"
#include "payloads.h"
#include "database.h"
#include "relay.h"
#include "store-pg.h"

static gboolean
nothing(ImsStore *store, gpointer data, GError **error)
{
  return TRUE;
}

static void
print_figures(const char *conninfo, const char *marker, int events, double seconds)
{
  PGconn *conn = PQconnectdb(conninfo);
  const char *params[1] = { marker };
  PGresult *result = PQexecParams(conn,
      "SELECT count(*), "
      " percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - created_at)),"
      " percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - created_at)),"
      " extract(epoch FROM max(sent_at) - min(created_at))"
      " FROM outbox WHERE message_key = $1 AND sent_at IS NOT NULL", 1, NULL, params, NULL, NULL, 0);
  if (PQresultStatus(result) == PGRES_TUPLES_OK) {
    double span = atof(PQgetvalue(result, 0, 3));
    printf("events delivered      %s of %d\n", PQgetvalue(result, 0, 0), events);
    printf("commit -> ack p50     %.1f ms\n", atof(PQgetvalue(result, 0, 1)) * 1000);
    printf("commit -> ack p99     %.1f ms\n", atof(PQgetvalue(result, 0, 2)) * 1000);
    printf("throughput            %.0f events/s (first commit to last ack, %.2f s)\n",
           span > 0 ? events / span : 0, span);
    printf("wall time             %.2f s\n", seconds);
  } else {
    fprintf(stderr, "outbox-relay: %s", PQerrorMessage(conn));
  }
  PQclear(result);
  PQfinish(conn);
}

int
main(int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  if (argc < 3) {
    fprintf(stderr, "usage: %s CONNINFO BOOTSTRAP [EVENTS=5000] [BATCH=1]\n", argv[0]);
    return 2;
  }
  int events = argc > 3 ? atoi(argv[3]) : 5000;
  int batch = argc > 4 ? MAX(1, atoi(argv[4])) : 1;

  /* the relay reads and marks through imsd's database thread; the benchmark
   * commits on a connection of its own, as sessions do on theirs */
  ImsStore *relay_store = ims_store_pg_new(argv[1], &error);
  g_autoptr(ImsStore) store = relay_store ? ims_store_pg_new(argv[1], &error) : NULL;
  if (!store) {
    fprintf(stderr, "outbox-relay: %s\n", error->message);
    return 1;
  }
  g_autoptr(ImsDatabase) database = ims_database_new(relay_store, NULL);
  ImsRelayConfig config = { database, argv[2], "" };
  ImsRelay *relay = ims_relay_new(&config, &error);
  if (!relay) {
    fprintf(stderr, "outbox-relay: %s\n", error->message);
    return 1;
  }
  ImsRelayListener listener;    /* as imsd wires it */
  ims_relay_listener_init(&listener, relay);
  store->events_listener = &listener.base;

  /* a session-like record for real envelopes; its key marks this run's rows */
  g_autoptr(ImsSessionRecord) record = ims_session_record_new();
  record->id = g_uuid_string_random();
  record->interview_id = g_strdup("bench-interview");
  record->user_id = g_strdup("bench-user");
  record->profile = g_strdup("default");
  record->started_at = g_get_real_time();

  GMainContext *context = g_main_context_default();
  gint64 start = g_get_monotonic_time();
  for (int done = 0; done < events;) {
    g_autoptr(GPtrArray) batch_events = NULL;
    for (int i = 0; i < batch && done < events; i++, done++)
      ims_outbox_add(&batch_events, IMS_EVENT_CANDIDATE_STARTED,
                     ims_event_payload_candidate_started(record, "bench", 0), record->id);
    if (!ims_store_change(store, nothing, NULL, batch_events, &error)) {
      fprintf(stderr, "outbox-relay: %s\n", error->message);
      return 1;
    }
    while (g_main_context_iteration(context, FALSE))
      ;
  }
  /* until the relay has everything acknowledged */
  for (;;) {
    ImsRelayStatus status = { 0 };
    ims_relay_get_status(relay, &status);
    gboolean idle = status.pending == 0 && status.in_flight == 0;
    ims_relay_status_clear(&status);
    if (idle || g_get_monotonic_time() - start > 120 * G_USEC_PER_SEC)
      break;
    g_main_context_iteration(context, TRUE);
  }
  double seconds = (g_get_monotonic_time() - start) / 1e6;
  ims_relay_listener_set_relay(&listener, NULL);
  ims_relay_free(relay, 5000);
  ims_database_flush(database, 5000);
  store->events_listener = NULL;
  ims_relay_listener_clear(&listener);
  printf("outbox-relay: %d events, %d per transaction, relay to %s\n", events, batch, argv[2]);
  print_figures(argv[1], record->id, events, seconds);
  return 0;
}
