/* kafka-floor.h: a bare librdkafka producer against the relay's Kafka, the
 * floor its figures cannot go under (bench/README.md). */
#pragma once

#include <glib.h>

typedef struct {
  int delivered, failed;
  double first_report_ms;        /* producer created -> the warm-up message's report */
  double p50_ms, p99_ms, max_ms; /* produce -> delivery report */
  double events_per_second;      /* first produce -> last report */
} BenchFloorFigures;

/* Produces one warm-up message, waits for its report (up to 30 s), then
 * `events` keyed messages (~400 bytes, like an envelope) to topic through the
 * same new producer with settings applied in order, in groups of `batch`,
 * and waits (up to 60 s) for every delivery report.  FALSE if the
 * producer could not be made (the reason on stderr). */
gboolean bench_kafka_floor(const char *bootstrap, const char *topic, int events, int batch,
                           const char *const (*settings)[2], guint n_settings,
                           BenchFloorFigures *figures);
