/* outbox-relay: how fast events go from the outbox to Kafka, and the floor
 * under it.
 *
 *   outbox-relay CONNINFO BOOTSTRAP [EVENTS] [BATCH] [PROPERTIES] [backlog]
 *
 * 1. floor: a bare librdkafka producer with the relay's settings
 *    (kafka-floor.c) produces EVENTS messages, BATCH at a time, to the same
 *    Kafka: what the broker and librdkafka alone cost.
 * 2. relay: commits EVENTS events (BATCH per transaction, as state changes
 *    do, on a thread of its own as imsd's database thread does), each a real
 *    contract envelope, while imsd's relay publishes them to
 *    the given Kafka (the dev mock cluster: scripts/kafka.sh bootstrap).
 *    Prints the throughput and the commit-to-acknowledgement latency
 *    (outbox.created_at to sent_at, as PostgreSQL recorded them).
 *    With "backlog": every event is committed first, then the relay starts
 *    (imsd restarted behind a backlog); throughput is then relay start to
 *    last acknowledgement, and commit -> ack counts the wait.
 * Both first send one event alone and wait for it (the cold start: printed,
 * not counted), as a running imsd has long done (not with backlog).
 * PROPERTIES ("k=v;k=v") go to both producers.  Prints figures; never fails
 * on time.
 */
#include <glib.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka-floor.h"
#include "outbox.h"
#include "payloads.h"
#include "database.h"
#include "relay.h"
#include "store-pg.h"

/* The relay's producer settings (events/relay.c, and the partitioner every
 * producer of events/kafka-rdkafka.c gets), for the floor. */
static const char *const relay_settings[][2] = {
  { "partitioner", "murmur2_random" },
  { "enable.idempotence", "true" },
  { "acks", "all" },
  { "message.timeout.ms", "0" },
  { "linger.ms", "5" },
};

static void
run_floor(const char *bootstrap, int events, int batch, const char *properties)
{
  g_auto(GStrv) pairs = g_strsplit(properties, ";", -1);
  guint n = G_N_ELEMENTS(relay_settings);
  typedef const char *Setting[2];
  Setting *settings = g_new0(Setting, n + g_strv_length(pairs));
  memcpy(settings, relay_settings, sizeof relay_settings);
  for (char **pair = pairs; *pair; pair++) {
    char *equals = strchr(*pair, '=');
    if (!equals)
      continue;
    *equals = '\0';
    settings[n][0] = *pair;
    settings[n++][1] = equals + 1;
  }
  BenchFloorFigures floor;
  if (bench_kafka_floor(bootstrap, "candidate-events", events, batch,
                        (const char *const(*)[2]) settings, n, &floor)) {
    printf("floor: bare librdkafka producer, relay's settings, %d messages, %d at a time\n", events,
           batch);
    printf("cold start -> 1st ack %.1f ms\n", floor.first_report_ms);
    printf("delivered             %d of %d (%d failed)\n", floor.delivered, events, floor.failed);
    printf("produce -> ack p50    %.1f ms\n", floor.p50_ms);
    printf("produce -> ack p99    %.1f ms (max %.1f)\n", floor.p99_ms, floor.max_ms);
    printf("throughput            %.0f events/s\n", floor.events_per_second);
  }
  g_free(settings);
}

static gboolean
nothing(ImsStore *store, gpointer data, GError **error)
{
  return TRUE;
}

/* Commits events envelopes of record's session, batch per transaction.
 * FALSE with an error. */
static gboolean
commit_events(ImsStore *store, ImsSessionRecord *record, int events, int batch, GError **error)
{
  for (int done = 0; done < events;) {
    g_autoptr(GPtrArray) batch_events = NULL;
    for (int i = 0; i < batch && done < events; i++, done++)
      ims_outbox_add(&batch_events, IMS_EVENT_CANDIDATE_STARTED,
                     ims_event_payload_candidate_started(record, "bench", 0), record->id);
    if (!ims_store_change(store, nothing, NULL, batch_events, error))
      return FALSE;
  }
  return TRUE;
}

/* The committer: a thread of its own, as imsd's database thread is, so the
 * relay's main loop never waits for a commit. */
typedef struct {
  ImsStore *store;
  ImsSessionRecord *record;
  int events, batch;
  GError *error;
  gint done; /* atomic */
} Committer;

static gpointer
run_committer(gpointer data)
{
  Committer *committer = data;
  commit_events(committer->store, committer->record, committer->events, committer->batch,
                &committer->error);
  g_atomic_int_set(&committer->done, TRUE);
  g_main_context_wakeup(NULL);
  return NULL;
}

/* Runs the main context until committer (NULL: none) is done and the relay
 * has every row acknowledged and marked (or 120 s passed). */
static void
wait_until_sent(ImsRelay *relay, Committer *committer)
{
  gint64 end = g_get_monotonic_time() + 120 * G_USEC_PER_SEC;
  for (;;) {
    ImsRelayStatus status = { 0 };
    ims_relay_get_status(relay, &status);
    gboolean idle = status.pending == 0 && status.in_flight == 0 &&
                    (!committer || g_atomic_int_get(&committer->done));
    ims_relay_status_clear(&status);
    if (idle || g_get_monotonic_time() > end)
      return;
    g_main_context_iteration(NULL, TRUE);
  }
}

static ImsSessionRecord *
bench_session(void)
{
  ImsSessionRecord *record = ims_session_record_new();
  record->id = g_uuid_string_random(); /* the key: it marks the run's rows */
  record->interview_id = g_strdup("bench-interview");
  record->user_id = g_strdup("bench-user");
  record->profile = g_strdup("default");
  record->started_at = g_get_real_time();
  return record;
}

static void
print_figures(const char *conninfo, const char *warm_up, const char *marker, int events,
              double seconds)
{
  PGconn *conn = PQconnectdb(conninfo);
  const char *params[2] = { marker, warm_up };
  PGresult *result = PQexecParams(
      conn,
      "SELECT count(*), "
      " percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - created_at)),"
      " percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - created_at)),"
      " extract(epoch FROM max(sent_at) - min(created_at)),"
      " extract(epoch FROM max(created_at) - min(created_at)),"
      " (SELECT extract(epoch FROM max(sent_at - created_at)) FROM outbox WHERE message_key = $2)"
      " FROM outbox WHERE message_key = $1 AND sent_at IS NOT NULL",
      2, NULL, params, NULL, NULL, 0);
  if (PQresultStatus(result) == PGRES_TUPLES_OK) {
    double span = atof(PQgetvalue(result, 0, 3));
    double commits = atof(PQgetvalue(result, 0, 4));
    if (!PQgetisnull(result, 0, 5))
      printf("cold start -> 1st ack %.1f ms (one event alone, not counted below)\n",
             atof(PQgetvalue(result, 0, 5)) * 1000);
    printf("events delivered      %s of %d\n", PQgetvalue(result, 0, 0), events);
    printf("commit -> ack p50     %.1f ms\n", atof(PQgetvalue(result, 0, 1)) * 1000);
    printf("commit -> ack p99     %.1f ms\n", atof(PQgetvalue(result, 0, 2)) * 1000);
    printf("throughput            %.0f events/s (first commit to last ack, %.2f s)\n",
           span > 0 ? events / span : 0, span);
    printf("commits alone         %.0f events/s (first to last commit, %.2f s)\n",
           commits > 0 ? events / commits : 0, commits);
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
    fprintf(stderr, "usage: %s CONNINFO BOOTSTRAP [EVENTS=5000] [BATCH=1] [PROPERTIES]\n", argv[0]);
    return 2;
  }
  int events = argc > 3 ? atoi(argv[3]) : 5000;
  int batch = argc > 4 ? MAX(1, atoi(argv[4])) : 1;
  const char *properties = argc > 5 ? argv[5] : "";

  run_floor(argv[2], events, batch, properties);

  gboolean backlog = argc > 6 && g_str_equal(argv[6], "backlog");

  /* the relay reads and marks through imsd's database thread; the benchmark
   * commits on a connection of its own, as sessions do on theirs */
  ImsStore *relay_store = ims_store_pg_new(argv[1], &error);
  g_autoptr(ImsStore) store = relay_store ? ims_store_pg_new(argv[1], &error) : NULL;
  if (!store) {
    fprintf(stderr, "outbox-relay: %s\n", error->message);
    return 1;
  }
  g_autoptr(ImsSessionRecord) warm_up = bench_session();
  g_autoptr(ImsSessionRecord) record = bench_session();
  if (backlog && !commit_events(store, record, events, batch, &error)) {
    fprintf(stderr, "outbox-relay: %s\n", error->message);
    return 1;
  }
  g_autoptr(ImsDatabase) database = ims_database_new(relay_store, NULL);
  ImsRelayConfig config = { database, argv[2], properties };
  gint64 start = g_get_monotonic_time();
  ImsRelay *relay = ims_relay_new(&config, &error);
  if (!relay) {
    fprintf(stderr, "outbox-relay: %s\n", error->message);
    return 1;
  }
  ImsRelayListener listener; /* as imsd wires it */
  ims_relay_listener_init(&listener, relay);
  store->events_listener = &listener.base;

  if (backlog) {
    wait_until_sent(relay, NULL);
  } else if (commit_events(store, warm_up, 1, 1, &error)) {
    wait_until_sent(relay, NULL);
    start = g_get_monotonic_time();
    Committer committer = { store, record, events, batch, NULL, FALSE };
    GThread *thread = g_thread_new("committer", run_committer, &committer);
    wait_until_sent(relay, &committer);
    g_thread_join(thread);
    error = committer.error;
  }
  if (error) {
    fprintf(stderr, "outbox-relay: %s\n", error->message);
    return 1;
  }
  double seconds = (g_get_monotonic_time() - start) / 1e6;
  ims_relay_listener_set_relay(&listener, NULL);
  ims_relay_free(relay, 5000);
  ims_database_flush(database, 5000);
  store->events_listener = NULL;
  ims_relay_listener_clear(&listener);
  printf("relay: %d events, %d per transaction, relay to %s%s\n", events, batch, argv[2],
         backlog ? ", all committed before the relay started" : "");
  if (backlog)
    printf("relay start -> all    %.0f events/s (%.2f s)\n", events / seconds, seconds);
  print_figures(argv[1], warm_up->id, record->id, events, seconds);
  return 0;
}
