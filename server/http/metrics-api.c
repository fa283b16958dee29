/* metrics-api.c: GET /metrics; see metrics-api.h. */
#define G_LOG_DOMAIN "imsd.api"

#include "metrics-api.h"

#include <math.h>

#include "metrics.h"

/* Copies the last known states of the database thread, the processor and
 * the relay into their gauges (none of them waits). */
static void
read_states(ImsApi *api)
{
  ImsDatabaseStatus database = { 0 };
  if (api->database)
    ims_database_get_status(api->database, &database);
  ims_metric_set(&ims_metric_database_queue, 0, database.queued);
  ims_metric_set(&ims_metric_up, IMS_METRIC_DEPENDENCY_POSTGRESQL, database.available);
  ims_database_status_clear(&database);

  ImsProcessorStatus processing = { 0 };
  if (api->processor)
    ims_processor_get_status(api->processor, &processing);
  ims_metric_set(&ims_metric_processing_jobs, IMS_METRIC_JOBS_QUEUED, processing.queued);
  ims_metric_set(&ims_metric_processing_jobs, IMS_METRIC_JOBS_WORKING, processing.working);
  ims_metric_set(&ims_metric_processing_jobs, IMS_METRIC_JOBS_RETRYING, processing.waiting);
  gboolean storage_configured = api->config->s3_endpoint[0] != '\0';
  ims_metric_set(&ims_metric_up, IMS_METRIC_DEPENDENCY_S3,
                 storage_configured && processing.storage_ok);
  ims_processor_status_clear(&processing);

  ImsRelayStatus events = { .pending = -1 };
  if (api->relay)
    ims_relay_get_status(api->relay, &events);
  /* NaN, not a made-up count, before the relay's first count or without Kafka */
  ims_metric_set(&ims_metric_outbox_pending, 0, events.pending >= 0 ? (double) events.pending : NAN);
  ims_metric_set(&ims_metric_relay_in_flight, 0, events.in_flight);
  gint64 oldest = ims_metric_stamps_oldest(&ims_metric_relay_stamps);
  ims_metric_set(&ims_metric_outbox_oldest_age_seconds, 0,
                 oldest ? MAX(g_get_real_time() - oldest, 0) / 1e6 : 0);
  ims_metric_set(&ims_metric_up, IMS_METRIC_DEPENDENCY_KAFKA, api->relay && events.kafka_ok);
  ims_relay_status_clear(&events);
}

void
ims_metrics_respond(ImsApi *api, const ImsApiCall *call, ImsApiResponse *response)
{
  read_states(api);
  guint n_metrics;
  ImsMetric *const *metrics = ims_metrics_catalog(&n_metrics);
  GString *text = g_string_sized_new(8192);
  ims_metrics_format(metrics, n_metrics, text);
  response->status = 200;
  response->content_type = "text/plain; version=0.0.4; charset=utf-8";
  response->body = g_string_free(text, FALSE);
}
