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

#define KIND_LABEL .label = "kind", .values = { "video", "audio" }

ImsMetric ims_metric_candidates_connected = {
  .name = "imsd_candidates_connected", .type = IMS_METRIC_GAUGE,
  .help = "Candidates whose WebSocket is attached to their session now." };
/* the values are ImsSessionPhase's, in its order (server/interview/session-private.h) */
ImsMetric ims_metric_sessions = {
  .name = "imsd_sessions", .type = IMS_METRIC_GAUGE,
  .help = "Sessions held in memory, by the phase of their current question.",
  .label = "phase", .values = { "thinking", "waiting_for_media", "recording", "saving", "ending",
                                "review", "completed" } };
ImsMetric ims_metric_takes_started = {
  .name = "imsd_takes_started_total", .type = IMS_METRIC_COUNTER,
  .help = "Takes whose recording started." };
ImsMetric ims_metric_takes_completed = {
  .name = "imsd_takes_completed_total", .type = IMS_METRIC_COUNTER,
  .help = "Takes finalized as completed (they count as an answer)." };
ImsMetric ims_metric_takes_interrupted = {
  .name = "imsd_takes_interrupted_total", .type = IMS_METRIC_COUNTER,
  .help = "Takes cut by a lost connection or a media failure (file kept)." };
ImsMetric ims_metric_takes_failed = {
  .name = "imsd_takes_failed_total", .type = IMS_METRIC_COUNTER,
  .help = "Takes that wrote nothing usable, or whose recording could not start." };
ImsMetric ims_metric_join_seconds = {
  .name = "imsd_join_seconds", .type = IMS_METRIC_HISTOGRAM,
  .help = "From a candidate's WebSocket join to its audio and video flowing.",
  .bounds = { 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60 }, .n_bounds = 11 };
ImsMetric ims_metric_stop_to_playable_seconds = {
  .name = "imsd_take_stop_to_playable_seconds", .type = IMS_METRIC_HISTOGRAM,
  .help = "From a take's stop to its Matroska file closed and playable.",
  .bounds = { 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10 }, .n_bounds = 10 };
ImsMetric ims_metric_receive_bytes = {
  .name = "imsd_receive_bytes_total", .type = IMS_METRIC_COUNTER,
  .help = "RTP bytes received (after SRTP), by track kind; its rate is the receive bitrate.",
  KIND_LABEL };
ImsMetric ims_metric_receive_packets = {
  .name = "imsd_receive_packets_total", .type = IMS_METRIC_COUNTER,
  .help = "RTP packets received, by track kind.", KIND_LABEL };
ImsMetric ims_metric_receive_packets_lost = {
  .name = "imsd_receive_packets_lost_total", .type = IMS_METRIC_COUNTER,
  .help = "RTP packets lost (RFC 3550 A.3: expected - received), by track kind, counted when a "
          "stream ends.", KIND_LABEL };
ImsMetric ims_metric_nacks_sent = {
  .name = "imsd_nacks_sent_total", .type = IMS_METRIC_COUNTER,
  .help = "Sequence numbers asked again by RTCP NACK, by track kind.", KIND_LABEL };
ImsMetric ims_metric_plis_sent = {
  .name = "imsd_plis_sent_total", .type = IMS_METRIC_COUNTER,
  .help = "RTCP picture loss indications sent (keyframe requests), by track kind.", KIND_LABEL };
ImsMetric ims_metric_processing_jobs = {
  .name = "imsd_processing_jobs", .type = IMS_METRIC_GAUGE,
  .help = "Finished takes in the processing queue, by state.",
  .label = "state", .values = { "queued", "working", "retrying" } };
ImsMetric ims_metric_processing_retries = {
  .name = "imsd_processing_retries_total", .type = IMS_METRIC_COUNTER,
  .help = "Processing attempts that failed and were scheduled again, by reason.",
  .label = "reason", .values = { "renditions", "storage", "database", "other" } };
ImsMetric ims_metric_upload_bytes = {
  .name = "imsd_upload_bytes_total", .type = IMS_METRIC_COUNTER,
  .help = "Bytes of objects S3 confirmed." };
ImsMetric ims_metric_upload_errors = {
  .name = "imsd_upload_errors_total", .type = IMS_METRIC_COUNTER,
  .help = "Object uploads that failed (each is retried)." };
ImsMetric ims_metric_database_queue = {
  .name = "imsd_database_queue_jobs", .type = IMS_METRIC_GAUGE,
  .help = "Jobs waiting for or running on the database thread." };
ImsMetric ims_metric_outbox_pending = {
  .name = "imsd_outbox_pending_events", .type = IMS_METRIC_GAUGE,
  .help = "Outbox events not yet sent to Kafka, at the relay's last read (-1 before one)." };
ImsMetric ims_metric_outbox_oldest_age_seconds = {
  .name = "imsd_outbox_oldest_unsent_age_seconds", .type = IMS_METRIC_GAUGE,
  .help = "Age of the oldest outbox event handed to Kafka and not acknowledged yet (0: none)." };
ImsMetric ims_metric_relay_in_flight = {
  .name = "imsd_relay_in_flight_events", .type = IMS_METRIC_GAUGE,
  .help = "Events handed to librdkafka and not yet acknowledged." };
ImsMetric ims_metric_relay_delivery_seconds = {
  .name = "imsd_relay_delivery_seconds", .type = IMS_METRIC_HISTOGRAM,
  .help = "From an outbox event's commit to Kafka's acknowledgement of it.",
  .bounds = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30 }, .n_bounds = 12 };
ImsMetricStamps ims_metric_relay_stamps;
ImsMetric ims_metric_relay_delivery_failures = {
  .name = "imsd_relay_delivery_failures_total", .type = IMS_METRIC_COUNTER,
  .help = "Kafka delivery reports that failed (the relay resends from the oldest unsent event)." };
ImsMetric ims_metric_consumer_lag_seconds = {
  .name = "imsd_consumer_lag_seconds", .type = IMS_METRIC_GAUGE,
  .help = "Age of the last consumed platform event (now - its timestamp) when it was taken." };
ImsMetric ims_metric_consumed_events = {
  .name = "imsd_consumer_events_total", .type = IMS_METRIC_COUNTER,
  .help = "Platform events taken from Kafka (user.deleted, user.logged_out, others skipped)." };
ImsMetric ims_metric_dead_lettered = {
  .name = "imsd_consumer_dead_lettered_total", .type = IMS_METRIC_COUNTER,
  .help = "Consumed events written to their dead letter topic." };
ImsMetric ims_metric_up = {
  .name = "imsd_dependency_up", .type = IMS_METRIC_GAUGE,
  .help = "1 if the dependency answered its last request, else 0 (not configured: 0).",
  .label = "dependency", .values = { "postgresql", "s3", "kafka" } };

static ImsMetric *const catalog[] = {
  &ims_metric_candidates_connected, &ims_metric_sessions, &ims_metric_takes_started,
  &ims_metric_takes_completed, &ims_metric_takes_interrupted, &ims_metric_takes_failed,
  &ims_metric_join_seconds, &ims_metric_stop_to_playable_seconds, &ims_metric_receive_bytes,
  &ims_metric_receive_packets, &ims_metric_receive_packets_lost, &ims_metric_nacks_sent,
  &ims_metric_plis_sent, &ims_metric_processing_jobs, &ims_metric_processing_retries,
  &ims_metric_upload_bytes, &ims_metric_upload_errors, &ims_metric_database_queue,
  &ims_metric_outbox_pending, &ims_metric_outbox_oldest_age_seconds,
  &ims_metric_relay_in_flight, &ims_metric_relay_delivery_seconds,
  &ims_metric_relay_delivery_failures,
  &ims_metric_consumer_lag_seconds, &ims_metric_consumed_events, &ims_metric_dead_lettered,
  &ims_metric_up,
};

ImsMetric *const *
ims_metrics_catalog(guint *n_metrics)
{
  *n_metrics = G_N_ELEMENTS(catalog);
  return catalog;
}
