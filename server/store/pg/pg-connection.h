/* pg-connection.h: what the PostgreSQL store's files share: the store
 * struct, statement parameters and the helpers that run statements.  Only
 * the files of pg/ include it (and so libpq-fe.h).
 *
 * Every function here runs on the caller's thread (the database thread) and
 * waits for PostgreSQL: a statement at most the statement timeout (5 s), a
 * reconnect at most the connect timeout (5 s). */
#pragma once

#include <libpq-fe.h>

#include "store-pg.h"

typedef struct {
  ImsStore base;           /* first: an ImsStore* is an ImsStorePg* */
  PGconn *conn;            /* owned; never NULL after construction */
  gboolean in_transaction; /* between begin and commit/rollback: no reconnects */
} ImsStorePg;

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PGresult, PQclear)

/* Parameters of one statement: text values (NULL is SQL NULL), owning the
 * strings it formats. */
typedef struct {
  const char *values[24]; /* the most: a sessions row (20) */
  int count;
  GPtrArray *owned;
} ImsPgParams;

/* SQL selecting a timestamptz column as unix microseconds (NULL stays NULL). */
#define IMS_PG_USEC(column) "(extract(epoch FROM " column ") * 1000000)::bigint"

#define IMS_PG_TAKE_COLUMNS \
  "id, session_id, question_idx, number, status, path, " IMS_PG_USEC("started_at") ", " IMS_PG_USEC( \
      "stopped_at") ", duration_ms, size_bytes, video_codec, audio_codec, " \
                    "width, height, stop_reason, processing_status, processing_error, completeness"

/* One store call: runs against self->conn; on failure leaves its output unset. */
typedef gboolean (*ImsPgOperation)(ImsStorePg *self, gpointer data, GError **error);

void ims_pg_params_init(ImsPgParams *params);
void ims_pg_params_clear(ImsPgParams *params);
void ims_pg_params_add_text(ImsPgParams *params, const char *text);
void ims_pg_params_add_owned(ImsPgParams *params, char *text);
void ims_pg_params_add_int(ImsPgParams *params, gint64 value);
void ims_pg_params_add_time(ImsPgParams *params, gint64 usec);
char *ims_pg_get_text(const PGresult *result, int row, int column);
gint64 ims_pg_get_int(const PGresult *result, int row, int column);
void ims_pg_set_error(ImsStorePg *self, const PGresult *result, const char *what, GError **error);
PGresult *ims_pg_exec(ImsStorePg *self, const char *what, const char *sql,
                      const ImsPgParams *params, ExecStatusType expected, GError **error);
gboolean ims_pg_command(ImsStorePg *self, const char *sql, GError **error);
void ims_pg_rollback(ImsStorePg *self);
/* Connects with conninfo (libpq syntax) plus imsd's settings; NULL with a
 * CONNECT error.  Transfer full. */
PGconn *ims_pg_connect(const char *conninfo, GError **error);
gboolean ims_pg_run(ImsStorePg *self, ImsPgOperation operation, gpointer data, GError **error);
gboolean ims_pg_update_one(ImsStorePg *self, const char *what, const char *sql,
                           const ImsPgParams *params, const char *id, GError **error);
