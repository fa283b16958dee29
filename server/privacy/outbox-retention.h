/* outbox-retention.h: how long the event outbox keeps what it has sent.
 *
 * An outbox row is needed until Kafka acknowledged it; after that it is only
 * a record of what went out (for an operator reading the table), and it
 * holds personal data.  This job deletes the rows sent more than [kafka]
 * outbox_retention_hours ago: once when it is created, then every interval.
 * Rows not sent yet are never deleted, whatever their age (no event is lost
 * while Kafka is down).
 *
 *   created -> purge (a database job) -> ... every interval ... -> freed
 *
 * Each purge is one DELETE on the database thread, submitted as a READ: it
 * fails at once while PostgreSQL is away instead of queueing, and the next
 * run does it.  Threading: new and free on the main loop; the jobs hold
 * nothing of the ImsOutboxRetention, so freeing it while one is queued is
 * safe.
 */
#pragma once

#include "database.h"

G_BEGIN_DECLS

typedef struct _ImsOutboxRetention ImsOutboxRetention;

/* NULL when retention_hours is 0 (sent rows are kept).  Submits the first
 * purge now, then one every interval_seconds.  Transfer full. */
ImsOutboxRetention *ims_outbox_retention_new(ImsDatabase *database, int retention_hours,
                                             int interval_seconds);
void ims_outbox_retention_free(ImsOutboxRetention *retention);

G_END_DECLS
