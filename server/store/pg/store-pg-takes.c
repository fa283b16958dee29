/* store-pg-takes.c: the takes table on PostgreSQL: one take from a row,
 * insert, update and the takes still recording.  See store.h for the
 * contracts. */
#define G_LOG_DOMAIN "imsd.store-pg"

#include "pg-rows.h"
#include "store-pg-tables.h"

static gboolean
ims_pg_insert_take_once(ImsStorePg *self, gpointer data, GError **error)
{
  const ImsTake *take = data;
  ImsPgParams params;
  ims_pg_params_init(&params);
  ims_pg_params_add_text(&params, take->id);
  ims_pg_params_add_text(&params, take->session_id);
  ims_pg_params_add_int(&params, take->question_index);
  ims_pg_params_add_int(&params, take->number);
  ims_pg_params_add_text(&params, ims_take_status_to_string(take->status));
  ims_pg_params_add_text(&params, take->path);
  ims_pg_params_add_time(&params, take->started_at);
  ims_pg_params_add_time(&params, take->stopped_at);
  ims_pg_params_add_int(&params, take->duration_ms);
  ims_pg_params_add_int(&params, take->size_bytes);
  ims_pg_params_add_text(&params, take->video_codec);
  ims_pg_params_add_text(&params, take->audio_codec);
  ims_pg_params_add_int(&params, take->width);
  ims_pg_params_add_int(&params, take->height);
  ims_pg_params_add_text(&params, take->stop_reason);
  ims_pg_params_add_text(&params, take->completeness);
  g_autoptr(PGresult) result = ims_pg_exec(
      self, "insert take",
      "INSERT INTO takes (id, session_id, question_idx, number, status, path, started_at,"
      " stopped_at, duration_ms, size_bytes, video_codec, audio_codec, width, height,"
      " stop_reason, completeness) VALUES ($1, $2, $3, $4, $5, $6,"
      " coalesce($7::timestamptz, now()), $8, $9, $10, $11, $12, $13, $14, $15, $16::jsonb)",
      &params, PGRES_COMMAND_OK, error);
  ims_pg_params_clear(&params);
  return result != NULL;
}

static gboolean
ims_store_pg_insert_take(ImsStore *store, const ImsTake *take, GError **error)
{
  return ims_pg_run((ImsStorePg *) store, ims_pg_insert_take_once, (gpointer) take, error);
}

static gboolean
ims_pg_update_take_once(ImsStorePg *self, gpointer data, GError **error)
{
  const ImsTake *take = data;
  ImsPgParams params;
  ims_pg_params_init(&params);
  ims_pg_params_add_text(&params, take->id);
  ims_pg_params_add_text(&params, ims_take_status_to_string(take->status));
  ims_pg_params_add_time(&params, take->stopped_at);
  ims_pg_params_add_int(&params, take->duration_ms);
  ims_pg_params_add_int(&params, take->size_bytes);
  ims_pg_params_add_text(&params, take->video_codec);
  ims_pg_params_add_text(&params, take->audio_codec);
  ims_pg_params_add_int(&params, take->width);
  ims_pg_params_add_int(&params, take->height);
  ims_pg_params_add_text(&params, take->stop_reason);
  ims_pg_params_add_text(&params, take->completeness);
  gboolean ok = ims_pg_update_one(
      self, "update take",
      "UPDATE takes SET status = $2, stopped_at = $3, duration_ms = $4, size_bytes = $5,"
      " video_codec = $6, audio_codec = $7, width = $8, height = $9, stop_reason = $10,"
      /* the record comes once, when the take finishes; later updates may not carry it */
      " completeness = coalesce($11::jsonb, completeness),"
      /* a take that recorded nothing is never processed: say so rather than 'pending' */
      " processing_status = CASE WHEN $2 = 'failed' AND processing_status = 'pending'"
      "   THEN 'failed' ELSE processing_status END,"
      " processing_error = CASE WHEN $2 = 'failed' AND processing_status = 'pending'"
      "   THEN coalesce(processing_error, 'nothing was recorded') ELSE processing_error END"
      " WHERE id = $1",
      &params, take->id, error);
  ims_pg_params_clear(&params);
  return ok;
}

static gboolean
ims_store_pg_update_take(ImsStore *store, const ImsTake *take, GError **error)
{
  if (take->id == NULL || !g_uuid_string_is_valid(take->id)) {
    g_set_error(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND, "update take: no take %s",
                take->id ? take->id : "(null)");
    return FALSE;
  }
  return ims_pg_run((ImsStorePg *) store, ims_pg_update_take_once, (gpointer) take, error);
}

static gboolean
ims_pg_list_open_takes_once(ImsStorePg *self, gpointer data, GError **error)
{
  GPtrArray **out = data;
  g_autoptr(PGresult)
      result = ims_pg_exec(self, "list open takes",
                           "SELECT " IMS_PG_TAKE_COLUMNS " FROM takes WHERE status = 'recording'"
                           " AND path <> '' ORDER BY started_at, id",
                           NULL, PGRES_TUPLES_OK, error);
  if (result == NULL)
    return FALSE;
  g_autoptr(GPtrArray) takes = g_ptr_array_new_with_free_func((GDestroyNotify) ims_take_free);
  if (!ims_pg_takes_from_result(result, takes, error))
    return FALSE;
  *out = g_steal_pointer(&takes);
  return TRUE;
}

static GPtrArray *
ims_store_pg_list_open_takes(ImsStore *store, GError **error)
{
  GPtrArray *takes = NULL;
  if (!ims_pg_run((ImsStorePg *) store, ims_pg_list_open_takes_once, &takes, error))
    return NULL;
  return takes;
}

void
ims_store_pg_takes_init(ImsStorePg *self)
{
  self->base.sessions.insert_take = ims_store_pg_insert_take;
  self->base.sessions.update_take = ims_store_pg_update_take;
  self->base.sessions.list_open_takes = ims_store_pg_list_open_takes;
}
