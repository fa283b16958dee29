/* store-pg.h: the ImsStore of PostgreSQL (store.h), the only one imsd runs.
 *
 * pg/ is the one folder that includes libpq-fe.h: store-pg.c opens the
 * connection, applies the migrations and fills the table of operations;
 * store-pg-{takes,media,events,review}.c answer them, one file per group
 * of tables.  Only the daemon's composition (main.c) and the tests make one.
 */
#pragma once

#include "store.h"

G_BEGIN_DECLS

/* Connects with conninfo (libpq syntax), applies pending migrations in order
 * (each in its own transaction, recorded in schema_migrations), and returns the
 * store.  NULL with an error naming the failing migration otherwise. Transfer full. */
ImsStore *ims_store_pg_new(const char *conninfo, GError **error);

G_END_DECLS
