/* ratings-api.h: recruiters' per-answer ratings (docs/review-api.md).
 *
 *   PUT    /api/v1/review/takes/{takeId}/rating     {rating: 1..5, note}: own rating, upserted
 *   DELETE /api/v1/review/takes/{takeId}/rating     own rating
 *   GET    /api/v1/review/sessions/{id}/ratings     the company's ratings of the session's takes
 *
 * A recruiter rates and reads only their company's takes (another company's
 * answer 404, as if absent); only recruiters rate (a rating belongs to a
 * company).  Every read and write is audited.  Handlers of rest.h, on the
 * database thread.
 */
#pragma once

#include "rest.h"

G_BEGIN_DECLS

/* Longest note, in characters. */
#define IMS_RATING_MAX_NOTE 2000

void ims_ratings_api_put(ImsApi *api, const ImsApiCall *call, ImsApiResponse *response);
void ims_ratings_api_delete(ImsApi *api, const ImsApiCall *call, ImsApiResponse *response);
void ims_ratings_api_list(ImsApi *api, const ImsApiCall *call, ImsApiResponse *response);

/* The ratings the reviewer may see of session_id's takes (ImsTakeRating*,
 * transfer full; an empty array, with a warning, if they cannot be read),
 * for the session detail. */
GPtrArray *ims_ratings_api_load(ImsApi *api, const ImsApiCall *call, const char *session_id);

/* "ratings": [{recruiter, rating, note, updatedAt}] of take_id among ratings. */
void ims_ratings_api_add(JsonBuilder *b, const GPtrArray *ratings, const char *take_id);

G_END_DECLS
