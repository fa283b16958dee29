/* pg-rows.h: records from result rows (pg-rows.c). */
#pragma once

#include "pg-connection.h"

/* The take in row of a result selecting IMS_PG_TAKE_COLUMNS, or NULL with a
 * QUERY error if its status is unknown.  Transfer full. */
ImsTake *ims_pg_take_from_row(const PGresult *result, int row, GError **error);
/* Appends every row's take to takes; FALSE (takes partly filled) on an unknown status. */
gboolean ims_pg_takes_from_result(const PGresult *result, GPtrArray *takes, GError **error);
/* The media_files rows of a result selecting IMS_PG_MEDIA_FILE_COLUMNS first.  Transfer full. */
GPtrArray *ims_pg_media_files_from_result(const PGresult *result);
#define IMS_PG_MEDIA_FILE_COLUMNS \
  "m.id, m.take_id, m.session_id, m.kind, m.object_key, m.content_type, m.size_bytes, " \
  "m.checksum, " IMS_PG_USEC("m.created_at")
