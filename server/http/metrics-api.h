/* metrics-api.h: GET /metrics, imsd's metrics in Prometheus text format 0.0.4
 * (base/metrics.h; each metric in docs/operations.md, Metrics).
 *
 * Open like /healthz (no token): it shows counts only, never an id, a name
 * or an address; keep it off the public network (docs/operations.md says
 * why and how).  Runs on the main loop and never touches the database: the
 * gauges that need it come from the database thread's, the processor's and
 * the relay's last known values, read when the request comes.
 */
#pragma once

#include "rest.h"

G_BEGIN_DECLS

/* Answers 200 with the text of every metric (content type text/plain;
 * version=0.0.4).  Never waits; costs a few kilobytes of text. */
void ims_metrics_respond(ImsApi *api, const ImsApiCall *call, ImsApiResponse *response);

G_END_DECLS
