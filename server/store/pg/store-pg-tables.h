/* store-pg-tables.h: the groups of tables, each filling its part of the
 * table of operations (store.h).  Only store-pg.c calls the init functions;
 * the table files share the few helpers at the end. */
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
/* store-pg-ratings.c: recruiters' per-answer ratings. */
void ims_store_pg_ratings_init(ImsStorePg *self);
/* store-pg-rooms.c: live rooms with their participants, segments and recordings. */
void ims_store_pg_rooms_init(ImsStorePg *self);
/* store-pg-room-recovery.c: the rooms a previous run left recording. */
void ims_store_pg_room_recovery_init(ImsStorePg *self);

/* Shared by the table files. */

/* store-pg-sessions.c: inserts a session's row (its kind too) and its questions, inside the caller's
 * transaction; FALSE at the first failing statement (the caller rolls back). */
gboolean ims_pg_insert_session(ImsStorePg *self, const ImsSessionRecord *record, GError **error);
