/* service-api.h: the platform's session API (the service bearer token).
 *
 *   POST /api/v1/sessions        create an interview session from
 *                                {interviewId, invitationId?, userId,
 *                                candidateEmail?, companyId?, profile?,
 *                                settings?: {thinkSeconds, maxRetakes},
 *                                questions: [{id, text, timeLimitSeconds}]}:
 *                                201 {sessionId, joinUrl, token, expiresAt}
 *   GET  /api/v1/sessions/{id}   a session's state, questions and takes
 *
 * The router (api.c) has checked the path and the service token.  Both run
 * on the database thread and wait for PostgreSQL (one write or one read).
 * Handlers of rest.h.
 */
#pragma once

#include "rest.h"

G_BEGIN_DECLS

/* POST /api/v1/sessions: the body is checked (api-input.h) before anything
 * is written; 400 bad_json, invalid_request or duplicate_question_id with
 * nothing stored, 500 internal if the store fails. */
void ims_service_api_create_session(ImsApi *api, const ImsApiCall *call, ImsApiResponse *response);

/* GET /api/v1/sessions/{id}: 404 not_found for an id that is not a UUID or
 * not stored. */
void ims_service_api_get_session(ImsApi *api, const ImsApiCall *call, ImsApiResponse *response);

G_END_DECLS
