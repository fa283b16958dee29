/* candidate-api.h: what the candidate's page asks before the device check
 * (the candidate's invite token, the one the page joins with).
 *
 *   GET /api/v1/candidate/session   the interview's overview: 200 {sessionId,
 *                                   title, companyName, status, questionCount,
 *                                   answerSeconds, thinkSeconds, maxRetakes,
 *                                   practice: {text, timeLimitSeconds} | null}
 *
 * "Authorization: Bearer <candidate token>".  The token is checked by
 * ims_token_verify, as signaling's join checks it, so a link the page shows
 * as bad here is refused by Join alike.  Runs on the database thread (one
 * read).  Handler of rest.h.
 */
#pragma once

#include "rest.h"

G_BEGIN_DECLS

/* GET /api/v1/candidate/session: 401 token_missing (no bearer token),
 * bad_token (forged, malformed), token_expired, token_not_yet_valid; 404
 * session_not_found (a valid token of a session not stored, or of a live
 * room's session); 410 interview_completed; 500 internal if the store
 * fails. */
void ims_candidate_api_get_session(ImsApi *api, const ImsApiCall *call, ImsApiResponse *response);

G_END_DECLS
