/* metrics-catalog.c: every metric imsd exposes on GET /metrics (metrics.h).
 *
 * Names follow Prometheus' conventions: imsd_ prefix, the unit in the name
 * (_seconds, _bytes), counters end in _total.  Media metrics are summed per
 * track kind (audio, video), never labelled per session or stream: a label
 * per session would make a new series for every interview, which Prometheus
 * keeps for its whole retention (unbounded cardinality).  Each label's values
 * are fixed here; the callers pass their index (the IMS_METRIC_* enums in
 * metrics.h, or an enum of their own with the same order, said beside it).
 * docs/operations.md (Metrics) lists them all: keep the two in step.
 */
#include "metrics.h"

/* One metric: its variable, name, type (COUNTER, GAUGE, HISTOGRAM), help,
 * then its label and values or its bounds, if any. */
#define METRIC(var, metric_name, metric_type, text, ...) \
  ImsMetric var = { \
    .name = metric_name, .type = IMS_METRIC_##metric_type, .help = text, __VA_ARGS__ \
  }
#define KIND_LABEL .label = "kind", .values = { "video", "audio" }

METRIC(ims_metric_candidates_connected, "imsd_candidates_connected", GAUGE,
       "Candidates whose WebSocket is attached to their session now.");
/* the values are ImsSessionPhase's, in its order (server/interview/session-private.h) */
METRIC(ims_metric_sessions, "imsd_sessions", GAUGE,
       "Sessions held in memory, by the phase of their current question.", .label = "phase",
       .values = { "thinking", "waiting_for_media", "recording", "saving", "ending", "review",
                   "completed" });
METRIC(ims_metric_takes_started, "imsd_takes_started_total", COUNTER,
       "Takes whose recording started.");
METRIC(ims_metric_takes_completed, "imsd_takes_completed_total", COUNTER,
       "Takes finalized as completed (they count as an answer).");
METRIC(ims_metric_takes_interrupted, "imsd_takes_interrupted_total", COUNTER,
       "Takes cut by a lost connection or a media failure (file kept).");
METRIC(ims_metric_takes_failed, "imsd_takes_failed_total", COUNTER,
       "Takes that wrote nothing usable, or whose recording could not start.");
METRIC(ims_metric_join_seconds, "imsd_join_seconds", HISTOGRAM,
       "From a candidate's WebSocket join to its audio and video flowing.",
       .bounds = { 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60 }, .n_bounds = 11);
METRIC(ims_metric_stop_to_playable_seconds, "imsd_take_stop_to_playable_seconds", HISTOGRAM,
       "From a take's stop to its Matroska file closed and playable.",
       .bounds = { 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10 }, .n_bounds = 10);
METRIC(ims_metric_receive_bytes, "imsd_receive_bytes_total", COUNTER,
       "RTP bytes received (after SRTP), by track kind; its rate is the receive bitrate.",
       KIND_LABEL);
METRIC(ims_metric_receive_packets, "imsd_receive_packets_total", COUNTER,
       "RTP packets received, by track kind.", KIND_LABEL);
METRIC(ims_metric_receive_packets_lost, "imsd_receive_packets_lost_total", COUNTER,
       "RTP packets lost (RFC 3550 A.3: expected - received), by track kind.", KIND_LABEL);
METRIC(ims_metric_nacks_sent, "imsd_nacks_sent_total", COUNTER,
       "Sequence numbers asked again by RTCP NACK, by track kind.", KIND_LABEL);
METRIC(ims_metric_plis_sent, "imsd_plis_sent_total", COUNTER,
       "RTCP picture loss indications sent (keyframe requests), by track kind.", KIND_LABEL);
METRIC(ims_metric_processing_jobs, "imsd_processing_jobs", GAUGE,
       "Finished takes in the processing queue, by state.", .label = "state",
       .values = { "queued", "working", "retrying" });
METRIC(ims_metric_processing_retries, "imsd_processing_retries_total", COUNTER,
       "Processing attempts that failed and were scheduled again, by reason.", .label = "reason",
       .values = { "renditions", "storage", "database", "other" });
METRIC(ims_metric_upload_bytes, "imsd_upload_bytes_total", COUNTER,
       "Bytes of objects S3 confirmed.");
METRIC(ims_metric_upload_errors, "imsd_upload_errors_total", COUNTER,
       "Object uploads that failed (each is retried).");
METRIC(ims_metric_database_queue, "imsd_database_queue_jobs", GAUGE,
       "Jobs waiting for or running on the database thread.");
METRIC(ims_metric_outbox_pending, "imsd_outbox_pending_events", GAUGE,
       "Outbox events not yet sent to Kafka, at the relay's last read (-1 before one).");
METRIC(ims_metric_outbox_oldest_age_seconds, "imsd_outbox_oldest_unsent_age_seconds", GAUGE,
       "Age of the oldest outbox event handed to Kafka and not acknowledged yet (0: none).");
METRIC(ims_metric_relay_in_flight, "imsd_relay_in_flight_events", GAUGE,
       "Events handed to librdkafka and not yet acknowledged.");
METRIC(ims_metric_relay_delivery_seconds, "imsd_relay_delivery_seconds", HISTOGRAM,
       "From an outbox event's commit to Kafka's acknowledgement of it.",
       .bounds = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30 }, .n_bounds = 12);
ImsMetricStamps ims_metric_relay_stamps;
METRIC(ims_metric_relay_delivery_failures, "imsd_relay_delivery_failures_total", COUNTER,
       "Kafka delivery reports that failed (the relay resends from the oldest unsent event).");
METRIC(ims_metric_consumer_lag_seconds, "imsd_consumer_lag_seconds", GAUGE,
       "Age of the last consumed platform event (now - its timestamp) when it was taken.");
METRIC(ims_metric_consumed_events, "imsd_consumer_events_total", COUNTER,
       "Platform events taken from Kafka (user.deleted, user.logged_out, others skipped).");
METRIC(ims_metric_dead_lettered, "imsd_consumer_dead_lettered_total", COUNTER,
       "Consumed events written to their dead letter topic.");
METRIC(ims_metric_up, "imsd_dependency_up", GAUGE,
       "1 if the dependency answered its last request, else 0 (not configured: 0).",
       .label = "dependency", .values = { "postgresql", "s3", "kafka" });

static ImsMetric *const catalog[] = {
  &ims_metric_candidates_connected,
  &ims_metric_sessions,
  &ims_metric_takes_started,
  &ims_metric_takes_completed,
  &ims_metric_takes_interrupted,
  &ims_metric_takes_failed,
  &ims_metric_join_seconds,
  &ims_metric_stop_to_playable_seconds,
  &ims_metric_receive_bytes,
  &ims_metric_receive_packets,
  &ims_metric_receive_packets_lost,
  &ims_metric_nacks_sent,
  &ims_metric_plis_sent,
  &ims_metric_processing_jobs,
  &ims_metric_processing_retries,
  &ims_metric_upload_bytes,
  &ims_metric_upload_errors,
  &ims_metric_database_queue,
  &ims_metric_outbox_pending,
  &ims_metric_outbox_oldest_age_seconds,
  &ims_metric_relay_in_flight,
  &ims_metric_relay_delivery_seconds,
  &ims_metric_relay_delivery_failures,
  &ims_metric_consumer_lag_seconds,
  &ims_metric_consumed_events,
  &ims_metric_dead_lettered,
  &ims_metric_up,
};

ImsMetric *const *
ims_metrics_catalog(guint *n_metrics)
{
  *n_metrics = G_N_ELEMENTS(catalog);
  return catalog;
}
