/* store-pg-tables.h: the groups of tables, each filling its part of the
 * table of operations (store.h).  Only store-pg.c calls these. */
#pragma once

#include "pg-connection.h"

/* store-pg-sessions.c: create, load and save sessions with their questions. */
void ims_store_pg_sessions_init(ImsStorePg *self);
/* store-pg-takes.c: insert, update and list takes. */
void ims_store_pg_takes_init(ImsStorePg *self);
/* store-pg-media.c: the media and processing functions, and a user's media. */
void ims_store_pg_media_init(ImsStorePg *self);
/* store-pg-events.c: transactions and the outbox. */
void ims_store_pg_events_init(ImsStorePg *self);
/* store-pg-review.c: the recruiters' queries and the audit log. */
void ims_store_pg_review_init(ImsStorePg *self);
