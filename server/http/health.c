/* health.c: GET /healthz and /readyz; see health.h. */
#define G_LOG_DOMAIN "imsd.api"

#include "health.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "json-build.h"

void
ims_health_live(ImsApi *api, const ImsApiCall *call, ImsApiResponse *response)
{
  response->status = 200;
  response->body = g_strdup("{\"status\":\"ok\"}");
}

static gboolean
spool_writable(const char *spool_dir, char **problem)
{
  if (g_mkdir_with_parents(spool_dir, 0750) != 0) {
    *problem = g_strdup_printf("cannot create the spool: %s", g_strerror(errno));
    return FALSE;
  }
  g_autofree char *probe = g_build_filename(spool_dir, ".readyz", NULL);
  g_autoptr(GError) error = NULL;
  if (!g_file_set_contents(probe, "ok", 2, &error)) {
    *problem = g_strdup_printf("the spool is not writable: %s", error->message);
    return FALSE;
  }
  g_unlink(probe);
  return TRUE;
}

void
ims_health_ready(ImsApi *api, const ImsApiCall *call, ImsApiResponse *response)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *spool_problem = NULL;
  ImsDatabaseStatus database = { 0 };
  gboolean database_ok;
  if (api->database) {
    ims_database_get_status(api->database, &database);
    database_ok = database.available;
    if (!database_ok)
      g_set_error_literal(&error, IMS_STORE_ERROR, IMS_STORE_ERROR_CONNECT,
                          database.last_error ? database.last_error : "unreachable");
  } else {
    database_ok = api->store->ping(api->store, &error);
  }
  gboolean spool_ok = spool_writable(api->config->spool_dir, &spool_problem);
  ImsProcessorStatus processing = { 0 };
  gboolean storage_configured = api->config->s3_endpoint[0] != '\0';
  if (api->processor)
    ims_processor_get_status(api->processor, &processing);
  gboolean storage_ok = !storage_configured || processing.storage_ok;
  ImsRelayStatus events = { .pending = -1 };
  if (api->relay)
    ims_relay_get_status(api->relay, &events);

  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  ims_json_add_string(b, "status", database_ok && spool_ok && storage_ok ? "ready" : "not_ready");
  json_builder_set_member_name(b, "checks");
  json_builder_begin_object(b);
  ims_json_add_string(b, "database", database_ok ? "ok" : "unreachable");
  ims_json_add_string(b, "spool", spool_ok ? "ok" : spool_problem);
  ims_json_add_string(b, "storage", !storage_configured ? "not_configured"
                                   : storage_ok        ? "ok"
                                                       : "unreachable");
  json_builder_end_object(b);
  json_builder_set_member_name(b, "database");
  json_builder_begin_object(b);
  ims_json_add_int(b, "queued", database.queued);
  ims_json_add_int(b, "waitingWrites", database.waiting_writes);
  ims_json_add_string(b, "lastError", database.last_error);
  json_builder_end_object(b);
  json_builder_set_member_name(b, "processing");
  json_builder_begin_object(b);
  ims_json_add_int(b, "queued", processing.queued);
  ims_json_add_int(b, "working", processing.working);
  ims_json_add_int(b, "retrying", processing.waiting);
  ims_json_add_string(b, "lastError", processing.last_error);
  json_builder_end_object(b);
  /* Kafka being down does not make imsd unready: events wait in the outbox */
  json_builder_set_member_name(b, "events");
  json_builder_begin_object(b);
  ims_json_add_string(b, "kafka", !api->relay ? "not_configured" : events.kafka_ok ? "ok"
                                                                                  : "unreachable");
  ims_json_add_int(b, "outboxPending", events.pending);
  ims_json_add_int(b, "inFlight", events.in_flight);
  ims_json_add_string(b, "lastError", events.last_error);
  json_builder_end_object(b);
  json_builder_end_object(b);
  ims_processor_status_clear(&processing);
  ims_relay_status_clear(&events);
  ims_database_status_clear(&database);
  if (!database_ok)
    g_warning("readyz: database: %s", error->message);
  ims_api_respond_json(response, database_ok && spool_ok && storage_ok ? 200 : 503, b);
}
