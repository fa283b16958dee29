/* pg-migrations.h: brings the database's schema up to date (pg-migrations.c). */
#pragma once

#include "pg-connection.h"

/* Applies the migrations not yet in schema_migrations, in order, under a
 * database-wide advisory lock (another imsd starting at the same time waits
 * for it), each in its own transaction.  Stops at the first failure (earlier
 * ones stay applied) with a MIGRATE error naming it. */
gboolean ims_pg_migrate(ImsStorePg *self, GError **error);
