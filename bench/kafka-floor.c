/* kafka-floor.c: the floor under the relay's figures: a bare librdkafka
 * producer, no outbox and no imsd code, against the same Kafka; see
 * kafka-floor.h.
 *
 * One producer per run, made fresh, with the caller's settings (the relay's).
 * One message alone first: how long a cold producer (no connection, producer
 * id or topic leaders yet) takes to its first report.  Then the messages
 * are produced in groups of `batch` (as the relay hands over what one
 * outbox read returned), rd_kafka_poll(0) between groups, then polled (1 ms
 * waits) until every delivery report came.  Latency is produce call ->
 * delivery report, per message, on the monotonic clock.
 */
#include "kafka-floor.h"

#include <librdkafka/rdkafka.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  gint64 *produced_at;  /* [events] */
  gint64 *delivered_at; /* [events] */
  int delivered;
  int failed;
  gint64 *warm_up_at; /* the warm-up message's report time */
} FloorRun;

static void
on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *message, void *opaque)
{
  FloorRun *run = opaque;
  int index = (int) (intptr_t) message->_private;
  if (index < 0) {
    *run->warm_up_at = g_get_monotonic_time();
    return;
  }
  run->delivered_at[index] = g_get_monotonic_time();
  if (message->err)
    run->failed++;
  else
    run->delivered++;
}

static int
compare_gint64(gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

gboolean
bench_kafka_floor(const char *bootstrap, const char *topic, int events, int batch,
                  const char *const (*settings)[2], guint n_settings, BenchFloorFigures *figures)
{
  char reason[512];
  FloorRun run = { g_new0(gint64, events), g_new0(gint64, events), 0, 0 };
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  gboolean ok = rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, reason, sizeof reason) ==
                RD_KAFKA_CONF_OK;
  for (guint i = 0; ok && i < n_settings; i++)
    ok = rd_kafka_conf_set(conf, settings[i][0], settings[i][1], reason, sizeof reason) ==
         RD_KAFKA_CONF_OK;
  if (!ok) {
    fprintf(stderr, "kafka-floor: %s\n", reason);
    rd_kafka_conf_destroy(conf);
    return FALSE;
  }
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_conf_set_opaque(conf, &run);
  gint64 created = g_get_monotonic_time();
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, reason, sizeof reason);
  if (!rk) {
    fprintf(stderr, "kafka-floor: %s\n", reason);
    rd_kafka_conf_destroy(conf);
    return FALSE;
  }
  char value[400];
  memset(value, 'x', sizeof value - 1);
  value[sizeof value - 1] = '\0';
  /* one message first, alone: the cold start (connections, producer id, the
   * topic's leaders), not counted in the latencies */
  gint64 warm_up = -1;
  rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY("warm-up", 7),
                    RD_KAFKA_V_VALUE(value, sizeof value - 1),
                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                    RD_KAFKA_V_OPAQUE((void *) (intptr_t) -1), RD_KAFKA_V_END);
  run.warm_up_at = &warm_up;
  for (gint64 end = created + 30 * G_USEC_PER_SEC; warm_up < 0 && g_get_monotonic_time() < end;)
    rd_kafka_poll(rk, 1);
  for (int i = 0; i < events;) {
    for (int j = 0; j < batch && i < events; j++, i++) {
      char key[40];
      g_snprintf(key, sizeof key, "floor-key-%d", i % 97);
      run.produced_at[i] = g_get_monotonic_time();
      rd_kafka_resp_err_t err;
      while ((err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, strlen(key)),
                                      RD_KAFKA_V_VALUE(value, sizeof value - 1),
                                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                      RD_KAFKA_V_OPAQUE((void *) (intptr_t) i), RD_KAFKA_V_END)) ==
             RD_KAFKA_RESP_ERR__QUEUE_FULL)
        rd_kafka_poll(rk, 1);
      if (err) {
        fprintf(stderr, "kafka-floor: produce: %s\n", rd_kafka_err2str(err));
        events = i;
        break;
      }
    }
    rd_kafka_poll(rk, 0);
  }
  gint64 deadline = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;
  while (run.delivered + run.failed < events && g_get_monotonic_time() < deadline)
    rd_kafka_poll(rk, 1);
  rd_kafka_destroy(rk);

  g_autofree gint64 *latency = g_new0(gint64, MAX(events, 1));
  gint64 last = created;
  int n = 0;
  for (int i = 0; i < events; i++) {
    if (!run.delivered_at[i])
      continue;
    latency[n++] = run.delivered_at[i] - run.produced_at[i];
    last = MAX(last, run.delivered_at[i]);
  }
  qsort(latency, n, sizeof *latency, compare_gint64);
  figures->delivered = run.delivered;
  figures->failed = run.failed;
  figures->first_report_ms = warm_up >= 0 ? (warm_up - created) / 1000.0 : -1;
  figures->p50_ms = n ? latency[n / 2] / 1000.0 : -1;
  figures->p99_ms = n ? latency[MIN(n - 1, n * 99 / 100)] / 1000.0 : -1;
  figures->max_ms = n ? latency[n - 1] / 1000.0 : -1;
  double span = n && events ? (last - run.produced_at[0]) / 1e6 : 0;
  figures->events_per_second = span > 0 ? run.delivered / span : 0;
  g_free(run.produced_at);
  g_free(run.delivered_at);
  return TRUE;
}
