/* store-pg-private.h: what the PostgreSQL store's files share: the store
 * struct, statement parameters and the helpers that run statements.  Only
 * store-pg*.c include it (and so libpq-fe.h). */
#pragma once

#include <libpq-fe.h>

#include "store-pg.h"

typedef struct {
  ImsStore base;              /* first: an ImsStore* is an ImsStorePg* */
  PGconn *conn;               /* owned; never NULL after construction */
  gboolean in_transaction;    /* between begin and commit/rollback: no reconnects */
} ImsStorePg;

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PGresult, PQclear)

/* Parameters of one statement: text values (NULL is SQL NULL), owning the
 * strings it formats. */
typedef struct {
  const char *values[16];
  int count;
  GPtrArray *owned;
} ImsPgParams;

/* SQL selecting a timestamptz column as unix microseconds (NULL stays NULL). */
#define IMS_PG_USEC(column) "(extract(epoch FROM " column ") * 1000000)::bigint"

#define IMS_PG_TAKE_COLUMNS \
  "id, session_id, question_idx, number, status, path, " IMS_PG_USEC("started_at") ", " \
  IMS_PG_USEC("stopped_at") ", duration_ms, size_bytes, video_codec, audio_codec, " \
  "width, height, stop_reason, processing_status, processing_error, completeness"

/* One store call: runs against self->conn; on failure leaves its output unset. */
typedef gboolean (*ImsPgOperation)(ImsStorePg *self, gpointer data, GError **error);

void ims_pg_params_init(ImsPgParams *params);
void ims_pg_params_clear(ImsPgParams *params);
void ims_pg_params_add_text(ImsPgParams *params, const char *text);
void ims_pg_params_add_owned(ImsPgParams *params, char *text);
void ims_pg_params_add_int(ImsPgParams *params, gint64 value);
void ims_pg_params_add_time(ImsPgParams *params, gint64 usec);
char * ims_pg_get_text(const PGresult *result, int row, int column);
gint64 ims_pg_get_int(const PGresult *result, int row, int column);
void ims_pg_set_error(ImsStorePg *self, const PGresult *result, const char *what, GError **error);
PGresult * ims_pg_exec(ImsStorePg *self, const char *what, const char *sql, const ImsPgParams *params, ExecStatusType expected, GError **error);
gboolean ims_pg_command(ImsStorePg *self, const char *sql, GError **error);
void ims_pg_rollback(ImsStorePg *self);
gboolean ims_pg_run(ImsStorePg *self, ImsPgOperation operation, gpointer data, GError **error);
ImsTake * ims_pg_take_from_row(const PGresult *result, int row, GError **error);
gboolean ims_pg_takes_from_result(const PGresult *result, GPtrArray *takes, GError **error);
gboolean ims_pg_update_one(ImsStorePg *self, const char *what, const char *sql, const ImsPgParams *params, const char *id, GError **error);

/* store-pg-media.c: fills the media and processing functions of the table. */
void ims_store_pg_media_init(ImsStorePg *self);
/* store-pg-events.c: transactions and the outbox. */
void ims_store_pg_events_init(ImsStorePg *self);
/* store-pg-takes.c: insert, update and list takes. */
void ims_store_pg_takes_init(ImsStorePg *self);
/* store-pg-review.c: the recruiters' queries and the audit log. */
void ims_store_pg_review_init(ImsStorePg *self);
/* store-pg-media.c: media_files rows of a result selecting its MEDIA_FILE_COLUMNS. */
GPtrArray *ims_pg_media_files_from_result(const PGresult *result);
#define IMS_PG_MEDIA_FILE_COLUMNS \
  "m.id, m.take_id, m.session_id, m.kind, m.object_key, m.content_type, m.size_bytes, " \
  "m.checksum, " IMS_PG_USEC("m.created_at")
