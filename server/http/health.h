/* health.h: the two health routes of the REST API, open to anyone.
 *
 *   GET /healthz   the process is alive: 200 {"status": "ok"}
 *   GET /readyz    PostgreSQL answers, the spool is writable and S3 answers
 *                  (when configured): 200 "ready", else 503 "not_ready"; with
 *                  the database queue, the processing queue and the event
 *                  outbox's backlog (Kafka being down does not make imsd
 *                  unready: events wait in the outbox), and "details": every
 *                  check (database, spool, storage, kafka) with its state, the
 *                  time it was last checked and its last error with its time
 *                  (check.h), cleared once the check succeeds again
 *
 * Both read only the main loop's state (the last results of the probes that
 * run elsewhere: the database thread's pings and statements, the
 * processor's S3 ping, the Kafka client's probe), so the router answers
 * them on the loop, at once.  Handlers of rest.h.
 */
#pragma once

#include "check.h"
#include "rest.h"

G_BEGIN_DECLS

/* GET /healthz: never fails. */
void ims_health_live(ImsApi *api, const ImsApiCall *call, ImsApiResponse *response);

/* GET /readyz: writes and removes one small file in the spool (the
 * writability check); never waits for PostgreSQL, S3 or Kafka (their last
 * known state), except without api->database, where it pings the store
 * (tests). */
void ims_health_ready(ImsApi *api, const ImsApiCall *call, ImsApiResponse *response);

/* What /readyz is made of: snapshots of each part's status (borrowed). */
typedef struct {
  const ImsDatabaseStatus *database;
  const ImsCheck *spool;
  const ImsProcessorStatus *processing;
  gboolean storage_configured;
  const ImsRelayStatus *events; /* NULL: Kafka not configured */
} ImsReadiness;

/* Builds the /readyz object from readiness into builder (at its root).
 * TRUE if imsd is ready (database, spool and storage ok or not configured).
 * No waiting, no state. */
gboolean ims_health_build_ready(const ImsReadiness *readiness, JsonBuilder *builder);

G_END_DECLS
