/* store-pg.c: the ImsStore on PostgreSQL (libpq).
 *
 * Lifecycle: ims_store_pg_new() connects (application_name=imsd, a
 * statement_timeout on every statement), takes a database-wide advisory lock,
 * applies pending migrations in order (each in its own transaction, recorded
 * in schema_migrations), releases the lock and returns the store.  The
 * store's functions then run synchronously on the caller's thread (imsd's
 * database thread, database.h), each one
 * statement or one transaction.  If the connection is found broken, a call
 * resets it (PQreset) once and retries; a second failure is returned.
 * ims_store_free() closes the connection.
 *
 * The folder, bottom up: pg-connection.c (connect, statements, one call with
 * at most one reconnect), pg-rows.c (records from result rows),
 * pg-migrations.c (the schema), one file per group of tables
 * (store-pg-{sessions,takes,media,events,review,rooms,room-recovery}.c, each filling its part of
 * the table of operations), and this file, which puts them together.
 */
#define G_LOG_DOMAIN "imsd.store-pg"

#include "pg-migrations.h"
#include "store-pg-tables.h"

static gboolean
ims_pg_ping_once(ImsStorePg *self, gpointer data, GError **error)
{
  g_autoptr(PGresult) result = ims_pg_exec(self, "ping", "SELECT 1", NULL, PGRES_TUPLES_OK, error);
  return result != NULL;
}

static gboolean
ims_store_pg_ping(ImsStore *store, GError **error)
{
  return ims_pg_run((ImsStorePg *) store, ims_pg_ping_once, NULL, error);
}

static void
ims_store_pg_free(ImsStore *store)
{
  ImsStorePg *self = (ImsStorePg *) store;
  PQfinish(self->conn);
  g_free(self);
}

ImsStore *
ims_store_pg_new(const char *conninfo, GError **error)
{
  g_return_val_if_fail(conninfo != NULL, NULL);
  PGconn *conn = ims_pg_connect(conninfo, error);
  if (conn == NULL)
    return NULL;
  ImsStorePg *self = g_new0(ImsStorePg, 1);
  self->conn = conn;
  self->base.ping = ims_store_pg_ping;
  ims_store_pg_sessions_init(self);
  ims_store_pg_takes_init(self);
  ims_store_pg_media_init(self);
  ims_store_pg_events_init(self);
  ims_store_pg_review_init(self);
  ims_store_pg_ratings_init(self);
  ims_store_pg_rooms_init(self);
  ims_store_pg_room_recovery_init(self);
  self->base.free = ims_store_pg_free;
  if (!ims_pg_migrate(self, error)) {
    ims_store_pg_free(&self->base);
    return NULL;
  }
  return &self->base;
}
