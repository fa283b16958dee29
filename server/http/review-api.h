/* review-api.h: the recruiters' REST API (docs/review-api.md).
 *
 *   GET    /api/v1/review/sessions             list, filtered and paginated
 *   GET    /api/v1/review/sessions/{id}        questions, takes, media with signed URLs
 *   GET    /api/v1/review/media/{fileId}/url   a fresh signed URL
 *   DELETE /api/v1/review/sessions/{id}/media  erase a session's media
 *
 * The router (api.c) has checked the path and authenticated the caller as an
 * ImsReviewer (reviewer.c, call->reviewer).  A recruiter sees only their
 * company's sessions (another company's answer 404, as if absent).  Every
 * access to media is written to the audit log.  Each handler runs on the
 * database thread and waits for PostgreSQL (a few reads, one audit write);
 * signing a URL does not call S3.  Handlers of rest.h.
 */
#pragma once

#include "rest.h"

G_BEGIN_DECLS

/* A signed URL of the object key ([review] signed_url_seconds), or NULL without S3 or when
 * signing failed (logged with the session and take, either may be NULL); *expires_at gets
 * when it expires (unix us).  Does not wait: signing is local.  Transfer full. */
char *ims_review_api_sign(ImsApi *api, const char *key, const char *session_id,
                          const char *take_id, gint64 *expires_at);

/* GET /api/v1/review/sessions?interviewId=&status=&from=&to=&limit=&offset=
 * (the filters checked against one table, api-input.h): 400 invalid_request
 * for a bad filter. */
void ims_review_api_list_sessions(ImsApi *api, const ImsApiCall *call, ImsApiResponse *response);

/* GET /api/v1/review/sessions/{id}: 404 not_found for no such or another
 * company's session. */
void ims_review_api_get_session(ImsApi *api, const ImsApiCall *call, ImsApiResponse *response);

/* GET /api/v1/review/media/{fileId}/url: 503 storage_unavailable when no
 * URL can be signed. */
void ims_review_api_get_media_url(ImsApi *api, const ImsApiCall *call, ImsApiResponse *response);

/* DELETE /api/v1/review/sessions/{id}/media: 202 {deleting: N}; the objects
 * go asynchronously (media-eraser.h), this call does not wait for S3. */
void ims_review_api_delete_media(ImsApi *api, const ImsApiCall *call, ImsApiResponse *response);

/* Writes action on target (may be NULL) by call's reviewer to the audit log;
 * a failure is logged, not answered. */
void ims_review_api_audit(ImsApi *api, const ImsApiCall *call, const char *action,
                          const char *target);

/* The session call->id if the reviewer may see it (transfer full); NULL with
 * response filled (404 not_found for another company's too, 500). */
ImsSessionRecord *ims_review_api_load_visible_session(ImsApi *api, const ImsApiCall *call,
                                                      ImsApiResponse *response);

G_END_DECLS
