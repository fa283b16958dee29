/* api.c: the one router of every REST path; see api.h. */
#define G_LOG_DOMAIN "imsd.api"

#include "api.h"

#include "candidate-api.h"
#include "health.h"
#include "metrics-api.h"
#include "playback-api.h"
#include "ratings-api.h"
#include "review-api.h"
#include "room-api.h"
#include "router.h"
#include "service-api.h"
#include "token.h"

#define SESSIONS_PATH "/api/v1/sessions"
#define REVIEW_PATH "/api/v1/review/"
#define ROOMS_PATH "/api/v1/rooms"
#define CANDIDATE_PATH "/api/v1/candidate/"

/* Every REST route: its path (router.h), then what it needs and who answers
 * it, by the same name. */
enum {
  ROUTE_HEALTHZ,
  ROUTE_READYZ,
  ROUTE_METRICS,
  ROUTE_CREATE_SESSION,
  ROUTE_GET_SESSION,
  ROUTE_REVIEW_LIST,
  ROUTE_REVIEW_DETAIL,
  ROUTE_REVIEW_DELETE_MEDIA,
  ROUTE_REVIEW_MEDIA_URL,
  ROUTE_CREATE_ROOM,
  ROUTE_GET_ROOM,
  ROUTE_CANDIDATE_SESSION,
  ROUTE_CANDIDATE_PLAYBACK,
  ROUTE_RATING_PUT,
  ROUTE_RATING_DELETE,
  ROUTE_RATINGS_LIST,
  N_ROUTES
};

static const ImsRoute routes[] = {
  { "GET", "/healthz", ROUTE_HEALTHZ },
  { "GET", "/readyz", ROUTE_READYZ },
  { "GET", "/metrics", ROUTE_METRICS },
  { "POST", SESSIONS_PATH, ROUTE_CREATE_SESSION },
  { "GET", SESSIONS_PATH "/{}", ROUTE_GET_SESSION },
  { "GET", REVIEW_PATH "sessions", ROUTE_REVIEW_LIST },
  { "GET", REVIEW_PATH "sessions/{}", ROUTE_REVIEW_DETAIL },
  { "DELETE", REVIEW_PATH "sessions/{}/media", ROUTE_REVIEW_DELETE_MEDIA },
  { "GET", REVIEW_PATH "media/{}/url", ROUTE_REVIEW_MEDIA_URL },
  { "POST", ROOMS_PATH, ROUTE_CREATE_ROOM },
  { "GET", ROOMS_PATH "/{}", ROUTE_GET_ROOM },
  { "GET", "/api/v1/candidate/session", ROUTE_CANDIDATE_SESSION },
  { "GET", CANDIDATE_PATH "sessions/{}/questions/{}/takes/{}/playback", ROUTE_CANDIDATE_PLAYBACK },
  { "PUT", REVIEW_PATH "takes/{}/rating", ROUTE_RATING_PUT },
  { "DELETE", REVIEW_PATH "takes/{}/rating", ROUTE_RATING_DELETE },
  { "GET", REVIEW_PATH "sessions/{}/ratings", ROUTE_RATINGS_LIST },
};

static const struct {
  ImsApiAccess access;
  ImsApiHandler handler;
} route_handlers[N_ROUTES] = {
  [ROUTE_HEALTHZ] = { IMS_API_ACCESS_OPEN, ims_health_live },
  [ROUTE_READYZ] = { IMS_API_ACCESS_OPEN, ims_health_ready },
  [ROUTE_METRICS] = { IMS_API_ACCESS_OPEN, ims_metrics_respond },
  [ROUTE_CREATE_SESSION] = { IMS_API_ACCESS_SERVICE, ims_service_api_create_session },
  [ROUTE_GET_SESSION] = { IMS_API_ACCESS_SERVICE, ims_service_api_get_session },
  [ROUTE_REVIEW_LIST] = { IMS_API_ACCESS_RECRUITER, ims_review_api_list_sessions },
  [ROUTE_REVIEW_DETAIL] = { IMS_API_ACCESS_RECRUITER, ims_review_api_get_session },
  [ROUTE_REVIEW_DELETE_MEDIA] = { IMS_API_ACCESS_RECRUITER, ims_review_api_delete_media },
  [ROUTE_REVIEW_MEDIA_URL] = { IMS_API_ACCESS_RECRUITER, ims_review_api_get_media_url },
  [ROUTE_CREATE_ROOM] = { IMS_API_ACCESS_SERVICE, ims_room_api_create_room },
  [ROUTE_GET_ROOM] = { IMS_API_ACCESS_SERVICE_OR_RECRUITER, ims_room_api_get_room },
  [ROUTE_CANDIDATE_SESSION] = { IMS_API_ACCESS_CANDIDATE, ims_candidate_api_get_session },
  [ROUTE_CANDIDATE_PLAYBACK] = { IMS_API_ACCESS_CANDIDATE, ims_playback_api_get },
  [ROUTE_RATING_PUT] = { IMS_API_ACCESS_RECRUITER, ims_ratings_api_put },
  [ROUTE_RATING_DELETE] = { IMS_API_ACCESS_RECRUITER, ims_ratings_api_delete },
  [ROUTE_RATINGS_LIST] = { IMS_API_ACCESS_RECRUITER, ims_ratings_api_list },
};
G_STATIC_ASSERT(G_N_ELEMENTS(routes) == N_ROUTES);

/* The credentials of a match: the route's (found, or 405: a route of that
 * shape), else those of the path's part of the API. */
static ImsApiAccess
access_of(const ImsRouteMatch *match, const char *path)
{
  if (match->route >= 0 && match->route < N_ROUTES)
    return route_handlers[match->route].access;
  if (path && g_str_has_prefix(path, CANDIDATE_PATH))
    return IMS_API_ACCESS_CANDIDATE;
  return path && g_str_has_prefix(path, REVIEW_PATH) ? IMS_API_ACCESS_RECRUITER
                                                     : IMS_API_ACCESS_SERVICE;
}

ImsApiAccess
ims_api_route_access(const char *method, const char *path)
{
  ImsRouteMatch match = { 0 };
  ims_route_match(routes, G_N_ELEMENTS(routes), method, path, &match);
  ImsApiAccess access = access_of(&match, path);
  ims_route_match_clear(&match);
  return access;
}

gboolean
ims_api_uses_database(const ImsApiRequest *request)
{
  return ims_api_route_access(request->method, request->path) != IMS_API_ACCESS_OPEN;
}

static gboolean
is_service_token(ImsApi *api, const char *header)
{
  return header && g_ascii_strncasecmp(header, "Bearer ", 7) == 0 &&
         ims_token_equal(header + 7, api->config->service_token);
}

/* TRUE with *session_id (transfer full) if header is "Bearer <candidate
 * token>" that verifies (token.h, the check signaling makes); FALSE with
 * response filled (401: expired and forged tokens get their own codes). */
static gboolean
authenticate_candidate(ImsApi *api, const char *header, char **session_id,
                       ImsApiResponse *response)
{
  g_autoptr(GError) error = NULL;
  if (!header || g_ascii_strncasecmp(header, "Bearer ", 7) != 0) {
    ims_api_respond_error(response, 401, "token_missing",
                          "The interview link's token is required.");
    return FALSE;
  }
  if (ims_token_verify(api->config->token_secret, header + 7, g_get_real_time() / G_USEC_PER_SEC,
                       session_id, NULL, &error))
    return TRUE;
  /* the sentences are signaling's join refusals (registry.c), so both say alike */
  if (g_error_matches(error, IMS_TOKEN_ERROR, IMS_TOKEN_ERROR_EXPIRED))
    ims_api_respond_error(response, 401, "token_expired", "This interview link has expired.");
  else if (g_error_matches(error, IMS_TOKEN_ERROR, IMS_TOKEN_ERROR_NOT_YET_VALID))
    ims_api_respond_error(response, 401, "token_not_yet_valid",
                          "This interview link is not valid yet.");
  else
    ims_api_respond_error(response, 401, "bad_token", "This interview link is not valid.");
  return FALSE;
}

/* TRUE if request carries the credentials access asks for (a recruiter's
 * fill *reviewer, a candidate's *candidate_session); FALSE with response
 * filled (401 or 403) otherwise. */
static gboolean
authenticate(ImsApi *api, const ImsApiRequest *request, ImsApiAccess access, ImsReviewer *reviewer,
             char **candidate_session, ImsApiResponse *response)
{
  const char *header = request->authorization;
  g_autoptr(GError) error = NULL;

  switch (access) {
  case IMS_API_ACCESS_OPEN:
    return TRUE;
  case IMS_API_ACCESS_CANDIDATE:
    return authenticate_candidate(api, header, candidate_session, response);
  case IMS_API_ACCESS_SERVICE:
    if (is_service_token(api, header))
      return TRUE;
    ims_api_respond_error(response, 401, "unauthorized",
                          "A valid service bearer token is required.");
    return FALSE;
  case IMS_API_ACCESS_SERVICE_OR_RECRUITER:
    if (is_service_token(api, header))
      return TRUE;
    G_GNUC_FALLTHROUGH; /* else a recruiter's token */
  case IMS_API_ACCESS_RECRUITER: {
    ImsReviewerKeys keys = { api->review_secret, api->review_public_key, api->config->jwt_audience,
                             api->config->jwt_issuer };
    if (ims_reviewer_authenticate(&keys, header, g_get_real_time() / G_USEC_PER_SEC, reviewer,
                                  &error))
      return TRUE;
    if (g_error_matches(error, IMS_REVIEWER_ERROR, IMS_REVIEWER_ERROR_FORBIDDEN))
      ims_api_respond_error(response, 403, "forbidden", "This token may not use the review API.");
    else if (access == IMS_API_ACCESS_SERVICE_OR_RECRUITER)
      ims_api_respond_error(response, 401, "unauthorized",
                            "A valid service or recruiter bearer token is required.");
    else
      ims_api_respond_error(response, 401, "unauthorized",
                            "A valid recruiter bearer token is required.");
    return FALSE;
  }
  }
  g_assert_not_reached();
}

void
ims_api_handle(ImsApi *api, const ImsApiRequest *request, ImsApiResponse *response)
{
  ImsRouteMatch match = { 0 };
  ImsReviewer reviewer = { 0 };
  g_autofree char *candidate_session = NULL;

  response->status = 500;
  response->body = NULL;
  response->content_type = NULL;

  gboolean found = ims_route_match(routes, G_N_ELEMENTS(routes), request->method, request->path,
                                   &match);
  ImsApiAccess access = access_of(&match, request->path);
  if (!found && (match.status == 400 || access == IMS_API_ACCESS_OPEN)) {
    /* a malformed path is refused before any token is looked at; an open
     * route needs none, whatever the method */
    ims_api_respond_error(response, match.status, match.code, "%s", match.message);
  } else if (!authenticate(api, request, access, &reviewer, &candidate_session, response)) {
    /* response filled */
  } else if (!found) {
    ims_api_respond_error(response, match.status, match.code, "%s", match.message);
  } else {
    ImsApiCall call = {
      .request = request,
      .id = match.n_params > 0 ? match.params[0] : NULL,
      /* a recruiter's route, or a service-or-recruiter one that a JWT opened */
      .reviewer = reviewer.subject != NULL ? &reviewer : NULL,
      .params = (const char *const *) match.params,
      .n_params = match.n_params,
      .candidate_session = candidate_session,
    };
    route_handlers[match.route].handler(api, &call, response);
  }
  ims_route_match_clear(&match);
  ims_reviewer_clear(&reviewer);
}
