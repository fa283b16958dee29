/* health.h: the two health routes of the REST API, open to anyone.
 *
 *   GET /healthz   the process is alive: 200 {"status": "ok"}
 *   GET /readyz    PostgreSQL answers, the spool is writable and S3 answers
 *                  (when configured): 200 "ready", else 503 "not_ready"; with
 *                  the database queue, the processing queue and the event
 *                  outbox's backlog (Kafka being down does not make imsd
 *                  unready: events wait in the outbox)
 *
 * Both read only the main loop's state (the database thread's status, not the
 * database), so the router answers them on the loop, at once.  Handlers of
 * rest.h.
 */
#pragma once

#include "rest.h"

G_BEGIN_DECLS

/* GET /healthz: never fails. */
void ims_health_live(ImsApi *api, const ImsApiCall *call, ImsApiResponse *response);

/* GET /readyz: writes and removes one small file in the spool (the
 * writability check); never waits for PostgreSQL or S3 (their last known
 * state), except without api->database, where it pings the store (tests). */
void ims_health_ready(ImsApi *api, const ImsApiCall *call, ImsApiResponse *response);

G_END_DECLS
