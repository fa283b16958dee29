/* store-pg-events.c: transactions and the event outbox in PostgreSQL.
 *
 * An event is a row of outbox written in the same transaction as the state
 * change that caused it (ims_store_change); the relay reads unsent rows in
 * id order and marks each sent once Kafka acknowledged it; sent rows are
 * purged after [kafka] outbox_retention_hours (privacy/outbox-retention.c).
 * See store.h. */
#define G_LOG_DOMAIN "imsd.store-pg"

#include "pg-rows.h"
#include "store-pg-tables.h"

static gboolean
begin(ImsStore *store, GError **error)
{
  ImsStorePg *self = (ImsStorePg *) store;
  g_return_val_if_fail(!self->in_transaction, FALSE);
  /* make sure the connection is up before the transaction starts */
  if (PQstatus(self->conn) != CONNECTION_OK)
    PQreset(self->conn);
  if (!ims_pg_command(self, "BEGIN", error))
    return FALSE;
  self->in_transaction = TRUE;
  return TRUE;
}

static gboolean
commit(ImsStore *store, GError **error)
{
  ImsStorePg *self = (ImsStorePg *) store;
  gboolean ok = ims_pg_command(self, "COMMIT", error);
  self->in_transaction = FALSE;
  return ok;
}

static void
rollback(ImsStore *store)
{
  ImsStorePg *self = (ImsStorePg *) store;
  ims_pg_rollback(self);
  self->in_transaction = FALSE;
}

static gboolean
append_events_once(ImsStorePg *self, gpointer data, GError **error)
{
  const GPtrArray *events = data;
  for (guint i = 0; i < events->len; i++) {
    const ImsOutboxEvent *event = g_ptr_array_index(events, i);
    ImsPgParams params;
    ims_pg_params_init(&params);
    ims_pg_params_add_text(&params, event->event_id);
    ims_pg_params_add_text(&params, event->event_type);
    ims_pg_params_add_text(&params, event->topic);
    ims_pg_params_add_text(&params, event->key);
    ims_pg_params_add_text(&params, event->value);
    g_autoptr(PGresult)
        result = ims_pg_exec(self, "append event",
                             "INSERT INTO outbox (event_id, event_type, topic, message_key, value)"
                             " VALUES ($1, $2, $3, $4, $5)",
                             &params, PGRES_COMMAND_OK, error);
    ims_pg_params_clear(&params);
    if (result == NULL)
      return FALSE;
  }
  return TRUE;
}

static gboolean
append_events(ImsStore *store, const GPtrArray *events, GError **error)
{
  return ims_pg_run((ImsStorePg *) store, append_events_once, (gpointer) events, error);
}

typedef struct {
  gint64 after_id;
  int limit;
  GPtrArray *events; /* out */
} ListEvents;

static gboolean
list_pending_once(ImsStorePg *self, gpointer data, GError **error)
{
  ListEvents *list = data;
  ImsPgParams params;
  ims_pg_params_init(&params);
  ims_pg_params_add_int(&params, list->limit);
  ims_pg_params_add_int(&params, list->after_id);
  /* clang-format off: SQL with its column macros, line by line */
  g_autoptr(PGresult) result = ims_pg_exec(
      self, "list pending events",
      "SELECT id, event_id, event_type, topic, message_key, value, " IMS_PG_USEC(
          "created_at") " FROM outbox WHERE sent_at IS NULL AND id > $2 ORDER BY id LIMIT $1",
      &params, PGRES_TUPLES_OK, error);
  /* clang-format on */
  ims_pg_params_clear(&params);
  if (result == NULL)
    return FALSE;
  g_autoptr(GPtrArray)
      events = g_ptr_array_new_with_free_func((GDestroyNotify) ims_outbox_event_free);
  for (int row = 0; row < PQntuples(result); row++) {
    g_autofree char *event_id = ims_pg_get_text(result, row, 1);
    g_autofree char *event_type = ims_pg_get_text(result, row, 2);
    g_autofree char *topic = ims_pg_get_text(result, row, 3);
    g_autofree char *key = ims_pg_get_text(result, row, 4);
    g_autofree char *value = ims_pg_get_text(result, row, 5);
    ImsOutboxEvent *event = ims_outbox_event_new(event_id, event_type, topic, key, value);
    event->id = ims_pg_get_int(result, row, 0);
    event->created_at = ims_pg_get_int(result, row, 6);
    g_ptr_array_add(events, event);
  }
  list->events = g_steal_pointer(&events);
  return TRUE;
}

static GPtrArray *
list_pending_events(ImsStore *store, gint64 after_id, int limit, GError **error)
{
  ListEvents list = { after_id, limit, NULL };
  if (!ims_pg_run((ImsStorePg *) store, list_pending_once, &list, error))
    return NULL;
  return list.events;
}

typedef struct {
  const gint64 *ids;
  guint count;
} MarkSent;

static gboolean
mark_sent_once(ImsStorePg *self, gpointer data, GError **error)
{
  MarkSent *mark = data;
  /* one statement for the batch: an int8[] literal "{1,2,3}" */
  GString *array = g_string_new("{");
  for (guint i = 0; i < mark->count; i++)
    g_string_append_printf(array, "%s%" G_GINT64_FORMAT, i ? "," : "", mark->ids[i]);
  g_string_append_c(array, '}');
  ImsPgParams params;
  ims_pg_params_init(&params);
  ims_pg_params_add_owned(&params, g_string_free(array, FALSE));
  g_autoptr(PGresult) result = ims_pg_exec(
      self, "mark events sent",
      "UPDATE outbox SET sent_at = now() WHERE id = ANY($1::int8[]) AND sent_at IS NULL", &params,
      PGRES_COMMAND_OK, error);
  ims_pg_params_clear(&params);
  return result != NULL;
}

static gboolean
mark_events_sent(ImsStore *store, const gint64 *ids, guint count, GError **error)
{
  MarkSent mark = { ids, count };
  if (count == 0)
    return TRUE;
  return ims_pg_run((ImsStorePg *) store, mark_sent_once, &mark, error);
}

static gboolean
count_pending_once(ImsStorePg *self, gpointer data, GError **error)
{
  g_autoptr(PGresult) result = ims_pg_exec(self, "count pending events",
                                           "SELECT count(*) FROM outbox WHERE sent_at IS NULL",
                                           NULL, PGRES_TUPLES_OK, error);
  if (result == NULL)
    return FALSE;
  *(gint64 *) data = ims_pg_get_int(result, 0, 0);
  return TRUE;
}

static gint64
count_pending_events(ImsStore *store, GError **error)
{
  gint64 count = -1;
  if (!ims_pg_run((ImsStorePg *) store, count_pending_once, &count, error))
    return -1;
  return count;
}

typedef struct {
  gint64 sent_before;
  gint64 purged; /* out */
} PurgeSent;

static gboolean
purge_sent_once(ImsStorePg *self, gpointer data, GError **error)
{
  PurgeSent *purge = data;
  ImsPgParams params;
  ims_pg_params_init(&params);
  ims_pg_params_add_time(&params, purge->sent_before);
  g_autoptr(PGresult) result = ims_pg_exec(self, "purge sent events",
                                           "DELETE FROM outbox WHERE sent_at < $1::timestamptz",
                                           &params, PGRES_COMMAND_OK, error);
  ims_pg_params_clear(&params);
  if (result == NULL)
    return FALSE;
  purge->purged = g_ascii_strtoll(PQcmdTuples(result), NULL, 10);
  return TRUE;
}

static gboolean
purge_sent_events(ImsStore *store, gint64 sent_before, gint64 *purged, GError **error)
{
  PurgeSent purge = { sent_before, 0 };
  if (!ims_pg_run((ImsStorePg *) store, purge_sent_once, &purge, error))
    return FALSE;
  if (purged)
    *purged = purge.purged;
  return TRUE;
}

typedef struct {
  const char *event_id;
  const char *service;
  const char *event_type;
  gboolean processed; /* out */
} ProcessedEvent;

static gboolean
is_processed_once(ImsStorePg *self, gpointer data, GError **error)
{
  ProcessedEvent *event = data;
  ImsPgParams params;
  ims_pg_params_init(&params);
  ims_pg_params_add_text(&params, event->event_id);
  ims_pg_params_add_text(&params, event->service);
  g_autoptr(PGresult) result = ims_pg_exec(
      self, "is event processed",
      "SELECT 1 FROM processed_events WHERE event_id = $1 AND service_name = $2", &params,
      PGRES_TUPLES_OK, error);
  ims_pg_params_clear(&params);
  if (result == NULL)
    return FALSE;
  event->processed = PQntuples(result) > 0;
  return TRUE;
}

static gboolean
is_event_processed(ImsStore *store, const char *event_id, const char *service, gboolean *processed,
                   GError **error)
{
  ProcessedEvent event = { event_id, service, NULL, FALSE };
  if (!ims_pg_run((ImsStorePg *) store, is_processed_once, &event, error))
    return FALSE;
  *processed = event.processed;
  return TRUE;
}

static gboolean
mark_processed_once(ImsStorePg *self, gpointer data, GError **error)
{
  ProcessedEvent *event = data;
  ImsPgParams params;
  ims_pg_params_init(&params);
  ims_pg_params_add_text(&params, event->event_id);
  ims_pg_params_add_text(&params, event->service);
  ims_pg_params_add_text(&params, event->event_type);
  g_autoptr(PGresult) result = ims_pg_exec(
      self, "mark event processed",
      "INSERT INTO processed_events (event_id, service_name, event_type) VALUES ($1, $2, $3)",
      &params, PGRES_COMMAND_OK, error);
  ims_pg_params_clear(&params);
  return result != NULL;
}

static gboolean
mark_event_processed(ImsStore *store, const char *event_id, const char *service,
                     const char *event_type, GError **error)
{
  ProcessedEvent event = { event_id, service, event_type, FALSE };
  return ims_pg_run((ImsStorePg *) store, mark_processed_once, &event, error);
}

void
ims_store_pg_events_init(ImsStorePg *self)
{
  self->base.privacy.is_event_processed = is_event_processed;
  self->base.privacy.mark_event_processed = mark_event_processed;
  self->base.privacy.purge_sent_events = purge_sent_events;
  self->base.begin = begin;
  self->base.commit = commit;
  self->base.rollback = rollback;
  self->base.append_events = append_events;
  self->base.outbox.list_pending_events = list_pending_events;
  self->base.outbox.mark_events_sent = mark_events_sent;
  self->base.outbox.count_pending_events = count_pending_events;
}
