/* review-api.h: the recruiters' REST API (docs/review-api.md).
 *
 *   GET /api/v1/review/sessions             list, filtered and paginated
 *   GET /api/v1/review/sessions/{id}        questions, takes, media with signed URLs
 *   GET /api/v1/review/media/{fileId}/url   a fresh signed URL
 *   DELETE /api/v1/review/sessions/{id}/media   erase a session's media
 *
 * Paths are matched by router.c against this file's route table (a
 * malformed path is 400 bad_path before the token is checked).
 * Every request is authenticated as an ImsReviewer (reviewer.c); a recruiter
 * sees only their company's sessions (another company's answer 404, as if
 * absent).  Every access to media is written to the audit log.  Called from
 * api.c; request in, response out, no sockets.
 */
#pragma once

#include "api.h"

G_BEGIN_DECLS

#define IMS_REVIEW_PATH "/api/v1/review/"

void ims_review_api_handle(ImsApi *api, const ImsApiRequest *request, ImsApiResponse *response);

G_END_DECLS
