/* pg-rows.c: records (model/records.h) from the rows of a result, for the
 * table files that select them (pg-rows.h). */
#define G_LOG_DOMAIN "imsd.store-pg"

#include "pg-rows.h"

/* Returns the take in row of a result selecting IMS_PG_TAKE_COLUMNS, or NULL
 * with a QUERY error if its status is unknown.  Transfer full. */
ImsTake *
ims_pg_take_from_row(const PGresult *result, int row, GError **error)
{
  g_autoptr(ImsTake) take = ims_take_new();
  const char *status = PQgetvalue(result, row, 4);
  if (!ims_take_status_from_string(status, &take->status)) {
    g_set_error(error, IMS_STORE_ERROR, IMS_STORE_ERROR_QUERY, "unknown take status '%s'", status);
    return NULL;
  }
  take->id = ims_pg_get_text(result, row, 0);
  take->session_id = ims_pg_get_text(result, row, 1);
  take->question_index = (int) ims_pg_get_int(result, row, 2);
  take->number = (int) ims_pg_get_int(result, row, 3);
  take->path = ims_pg_get_text(result, row, 5);
  take->started_at = ims_pg_get_int(result, row, 6);
  take->stopped_at = ims_pg_get_int(result, row, 7);
  take->duration_ms = ims_pg_get_int(result, row, 8);
  take->size_bytes = ims_pg_get_int(result, row, 9);
  take->video_codec = ims_pg_get_text(result, row, 10);
  take->audio_codec = ims_pg_get_text(result, row, 11);
  take->width = (int) ims_pg_get_int(result, row, 12);
  take->height = (int) ims_pg_get_int(result, row, 13);
  take->stop_reason = ims_pg_get_text(result, row, 14);
  /* by name: the processing columns are not in every select of take columns */
  int column = PQfnumber(result, "processing_status");
  if (column >= 0)
    take->processing_status = ims_pg_get_text(result, row, column);
  column = PQfnumber(result, "processing_error");
  if (column >= 0)
    take->processing_error = ims_pg_get_text(result, row, column);
  column = PQfnumber(result, "completeness"); /* jsonb as text: NULL stays NULL */
  if (column >= 0)
    take->completeness = ims_pg_get_text(result, row, column);
  return g_steal_pointer(&take);
}

/* Appends the takes of result to takes.  FALSE with error on a bad row. */
gboolean
ims_pg_takes_from_result(const PGresult *result, GPtrArray *takes, GError **error)
{
  for (int row = 0; row < PQntuples(result); row++) {
    ImsTake *take = ims_pg_take_from_row(result, row, error);
    if (take == NULL)
      return FALSE;
    g_ptr_array_add(takes, take);
  }
  return TRUE;
}

/* The rows of a result selecting MEDIA_FILE_COLUMNS.  Transfer full. */
GPtrArray *
ims_pg_media_files_from_result(const PGresult *result)
{
  GPtrArray *files = g_ptr_array_new_with_free_func((GDestroyNotify) ims_media_file_free);
  for (int row = 0; row < PQntuples(result); row++) {
    ImsMediaFile *file = ims_media_file_new();
    file->id = ims_pg_get_text(result, row, 0);
    file->take_id = ims_pg_get_text(result, row, 1);
    file->session_id = ims_pg_get_text(result, row, 2);
    file->kind = ims_pg_get_text(result, row, 3);
    file->key = ims_pg_get_text(result, row, 4);
    file->content_type = ims_pg_get_text(result, row, 5);
    file->size_bytes = ims_pg_get_int(result, row, 6);
    file->checksum = ims_pg_get_text(result, row, 7);
    file->created_at = ims_pg_get_int(result, row, 8);
    g_ptr_array_add(files, file);
  }
  return files;
}
