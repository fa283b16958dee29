/* playback-api.h: the candidate watches their own take.
 *
 *   GET /api/v1/candidate/sessions/{sessionId}/questions/{questionId}/takes/{n}/playback
 *
 * The router (api.c) has verified the candidate's invite token (token.h, the
 * one signaling checks) and put the session it names in call->candidate_session;
 * a path naming another session is 403 wrong_session.  The answer is a signed
 * URL (the review API's signing, review-api.h) of the take's MP4 rendition,
 * else of its original; 202 {status: "preparing"} while processing is pending
 * and nothing is stored yet; 409 processing_failed when processing failed with
 * nothing to show; 404 not_found for a take whose media were erased.  Every URL given is written to the audit log.  Runs on the
 * database thread.  A handler of rest.h.
 */
#pragma once

#include "rest.h"

G_BEGIN_DECLS

/* Largest take number the path may name: more than any session's retakes. */
#define IMS_PLAYBACK_MAX_TAKE_NUMBER 1000

/* TRUE with *number set if text is a take number: decimal digits only (no
 * sign, no spaces), 1 to IMS_PLAYBACK_MAX_TAKE_NUMBER; FALSE otherwise. */
gboolean ims_playback_parse_take_number(const char *text, int *number);

void ims_playback_api_get(ImsApi *api, const ImsApiCall *call, ImsApiResponse *response);

G_END_DECLS
