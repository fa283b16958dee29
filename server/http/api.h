/* api.h: imsd's REST API, as a function from request to response: the one
 * router every REST path goes through.
 *
 * http.c collects a request from libwebsockets and hands it here; nothing in
 * this file knows about sockets, so unit tests call ims_api_handle directly.
 * One route table (api.c) names every path, the credentials it needs and
 * its handler:
 *
 *   GET    /healthz                            open        health.c
 *   GET    /readyz                             open        health.c
 *   GET    /metrics                            open        metrics-api.c
 *   POST   /api/v1/sessions                    service     service-api.c
 *   GET    /api/v1/sessions/{id}               service     service-api.c
 *   GET    /api/v1/review/sessions             recruiter   review-api.c
 *   GET    /api/v1/review/sessions/{id}        recruiter   review-api.c
 *   DELETE /api/v1/review/sessions/{id}/media  recruiter   review-api.c
 *   GET    /api/v1/review/media/{id}/url       recruiter   review-api.c
 *   POST   /api/v1/rooms                       service     room-api.c
 *   GET    /api/v1/rooms/{id}                  service or  room-api.c
 *                                              recruiter
 *   GET    /api/v1/candidate/session           candidate   candidate-api.c
 *   GET    /api/v1/candidate/sessions/{id}/    candidate   playback-api.c
 *          questions/{id}/takes/{n}/playback
 *
 * The order of the checks, for every path: a malformed path is 400 bad_path
 * (router.h) before any token is looked at; then the credentials (none for
 * an open route, whatever the method; the service bearer token; a recruiter
 * JWT, reviewer.h: 401 unauthorized or 403 forbidden); then no route of that
 * shape is 404 not_found, another method 405 method_not_allowed; then the
 * handler.  A path of no route asks for the credentials of its part of the
 * API: a recruiter's under /api/v1/review/, the service token elsewhere.
 * Errors are JSON {"code", "message"} (rest.h), listed in docs/review-api.md.
 */
#pragma once

#include <glib.h>

#include "rest.h"

G_BEGIN_DECLS

/* The credentials a request needs. */
typedef enum {
  IMS_API_ACCESS_OPEN,      /* none: the health routes and /metrics */
  IMS_API_ACCESS_SERVICE,   /* "Bearer <[auth] service_token>" */
  IMS_API_ACCESS_RECRUITER, /* "Bearer <recruiter JWT>" (reviewer.h) */
  IMS_API_ACCESS_SERVICE_OR_RECRUITER, /* either; the handler sees a reviewer only for a JWT */
  IMS_API_ACCESS_CANDIDATE, /* "Bearer <candidate invite token>" (token.h), checked before the handler */
} ImsApiAccess;

/* The credentials method + path needs: its route's, or for a path of no
 * route (or a malformed one) its part of the API's.  Pure, thread-safe;
 * costs one route match. */
ImsApiAccess ims_api_route_access(const char *method, const char *path);

/* TRUE if answering request reads or writes PostgreSQL: the caller runs
 * ims_api_handle for it on the database thread.  The open routes read only
 * the main loop's state and run there.  Pure; costs one route match. */
gboolean ims_api_uses_database(const ImsApiRequest *request);

/* Handles one request; always fills response (status + JSON body).  Waits
 * as long as the route's handler does (see ims_api_uses_database). */
void ims_api_handle(ImsApi *api, const ImsApiRequest *request, ImsApiResponse *response);

G_END_DECLS
