/* health.c: GET /healthz and /readyz; see health.h.
 *
 * The spool check is the only one made here, at each /readyz (a file
 * written and removed); its record lives in this file (main loop only: the
 * router answers /readyz there; one spool per process). */
#define G_LOG_DOMAIN "imsd.api"

#include "health.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "json-build.h"

static ImsCheck spool_check;

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

/* "name": "ok", else the word older clients read ("unreachable"). */
static void
add_summary(JsonBuilder *b, const char *name, const ImsCheck *check)
{
  ims_json_add_string(b, name,
                      check->state == IMS_CHECK_UNAVAILABLE ? "unreachable"
                                                            : ims_check_state_name(check->state));
}

gboolean
ims_health_build_ready(const ImsReadiness *readiness, JsonBuilder *b)
{
  const ImsDatabaseStatus *database = readiness->database;
  const ImsProcessorStatus *processing = readiness->processing;
  const ImsRelayStatus *events = readiness->events;
  ImsCheck storage, kafka;
  if (readiness->storage_configured)
    ims_check_copy(&storage, &processing->storage);
  else
    ims_check_init(&storage, FALSE);
  if (events)
    ims_check_copy(&kafka, &events->kafka);
  else
    ims_check_init(&kafka, FALSE);
  gboolean database_ok = database->check.state == IMS_CHECK_OK;
  gboolean spool_ok = readiness->spool->state == IMS_CHECK_OK;
  gboolean ready = database_ok && spool_ok && storage.state != IMS_CHECK_UNAVAILABLE;

  json_builder_begin_object(b);
  ims_json_add_string(b, "status", ready ? "ready" : "not_ready");
  json_builder_set_member_name(b, "checks");
  json_builder_begin_object(b);
  add_summary(b, "database", &database->check);
  ims_json_add_string(b, "spool", spool_ok ? "ok" : readiness->spool->last_error);
  add_summary(b, "storage", &storage);
  json_builder_end_object(b);

  json_builder_set_member_name(b, "details");
  json_builder_begin_object(b);
  ims_check_add_json(b, "database", &database->check);
  ims_check_add_json(b, "spool", readiness->spool);
  ims_check_add_json(b, "storage", &storage);
  ims_check_add_json(b, "kafka", &kafka);
  json_builder_end_object(b);

  json_builder_set_member_name(b, "database");
  json_builder_begin_object(b);
  ims_json_add_int(b, "queued", database->queued);
  ims_json_add_int(b, "waitingWrites", database->waiting_writes);
  ims_json_add_string(b, "lastError", database->last_error);
  ims_json_add_time_or_null(b, "lastErrorAt", database->last_error_at);
  json_builder_end_object(b);
  json_builder_set_member_name(b, "processing");
  json_builder_begin_object(b);
  ims_json_add_int(b, "queued", processing->queued);
  ims_json_add_int(b, "working", processing->working);
  ims_json_add_int(b, "retrying", processing->waiting);
  ims_json_add_string(b, "lastError", processing->last_error);
  ims_json_add_time_or_null(b, "lastErrorAt", processing->last_error_at);
  json_builder_end_object(b);
  /* Kafka being down does not make imsd unready: events wait in the outbox */
  json_builder_set_member_name(b, "events");
  json_builder_begin_object(b);
  add_summary(b, "kafka", &kafka);
  /* the relay's count, unless it has none yet or the database cannot be asked now */
  if (events && events->pending >= 0 && database_ok)
    ims_json_add_int(b, "outboxPending", events->pending);
  else
    ims_json_add_string(b, "outboxPending", "unknown");
  ims_json_add_int(b, "inFlight", events ? events->in_flight : 0);
  ims_json_add_string(b, "lastError", events ? events->last_error : NULL);
  ims_json_add_time_or_null(b, "lastErrorAt", events ? events->last_error_at : 0);
  json_builder_end_object(b);
  json_builder_end_object(b);
  ims_check_clear(&storage);
  ims_check_clear(&kafka);
  return ready;
}

void
ims_health_ready(ImsApi *api, const ImsApiCall *call, ImsApiResponse *response)
{
  gint64 now = g_get_real_time();
  ImsDatabaseStatus database = { 0 };
  if (api->database) {
    ims_database_get_status(api->database, &database);
  } else {
    g_autoptr(GError) error = NULL;
    ims_check_init(&database.check, TRUE);
    database.available = api->store->ping(api->store, &error);
    if (database.available)
      ims_check_succeeded(&database.check, now);
    else
      ims_check_failed(&database.check, error->message, now);
  }
  g_autofree char *spool_problem = NULL;
  if (spool_writable(api->config->spool_dir, &spool_problem)) {
    if (ims_check_succeeded(&spool_check, now))
      g_message("readyz: the spool is writable again");
  } else if (ims_check_failed(&spool_check, spool_problem, now)) {
    g_warning("readyz: %s", spool_problem);
  }
  ImsProcessorStatus processing = { 0 };
  if (api->processor)
    ims_processor_get_status(api->processor, &processing);
  else
    ims_check_init(&processing.storage, FALSE);
  ImsRelayStatus events = { .pending = -1 };
  if (api->relay)
    ims_relay_get_status(api->relay, &events);

  const ImsReadiness readiness = {
    .database = &database,
    .spool = &spool_check,
    .processing = &processing,
    .storage_configured = api->config->s3_endpoint[0] != '\0',
    .events = api->relay ? &events : NULL,
  };
  g_autoptr(JsonBuilder) b = json_builder_new();
  gboolean ready = ims_health_build_ready(&readiness, b);
  if (database.check.state != IMS_CHECK_OK)
    g_warning("readyz: database: %s",
              database.check.last_error ? database.check.last_error : "unreachable");
  ims_processor_status_clear(&processing);
  ims_relay_status_clear(&events);
  ims_database_status_clear(&database);
  ims_api_respond_json(response, ready ? 200 : 503, b);
}
