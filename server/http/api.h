/* api.h: imsd's REST API, as a function from request to response.
 *
 * http.c collects a request from libwebsockets and hands it here; nothing in
 * this file knows about sockets, so unit tests call ims_api_handle directly.
 *
 *   GET  /healthz                 process is alive
 *   GET  /readyz                  PostgreSQL answers and the spool is writable
 *   POST /api/v1/sessions         create an interview session (service token)
 *   GET  /api/v1/sessions/{id}    a session's state and takes (service token)
 *
 * Paths are matched by router.c against the route table in api.c (the
 * review API's, under /api/v1/review/, in review-api.c).  Errors are JSON
 * {"code", "message"} with the matching HTTP status; the codes are listed in
 * docs/review-api.md.
 */
#pragma once

#include <glib.h>

#include "config.h"
#include "database.h"
#include "objects.h"
#include "processor.h"
#include "profile.h"
#include "relay.h"
#include "store.h"

G_BEGIN_DECLS

typedef struct {
  const ImsConfig *config;
  ImsStore *store;                /* only where ims_api_uses_database says: its thread */
  ImsDatabase *database;          /* /readyz reads its status; NULL: /readyz pings store */
  const ImsProfileSet *profiles;  /* sessions must name one of these */
  ImsProcessor *processor;        /* for /readyz; may be NULL */
  ImsRelay *relay;                /* for /readyz; NULL when Kafka is not configured */
  ImsObjectStore *objects;        /* signed media URLs; NULL without S3 */
  const char *review_secret;      /* HS256 secret of recruiter tokens, "" if none */
  const char *review_public_key;  /* RS256 PEM of recruiter tokens, NULL if none */
  int signed_url_seconds;
} ImsApi;

typedef struct {
  const char *method;         /* "GET", "POST", ... */
  const char *path;           /* without the query string */
  const char *authorization;  /* the Authorization header or NULL */
  const char *body;           /* NULL when there is none */
  gsize body_length;
  const char *query;          /* after "?", NULL if none */
  const char *remote;         /* the client's address, may be NULL */
} ImsApiRequest;

typedef struct {
  int status;
  char *body;                 /* JSON, owned */
} ImsApiResponse;

/* JSON {"code", "message"} with status into response (shared with review-api.c). */
void ims_api_respond_error(ImsApiResponse *response, int status, const char *code,
                           const char *format, ...) G_GNUC_PRINTF(4, 5);
/* TRUE if answering request reads or writes PostgreSQL: the caller runs
 * ims_api_handle for it on the database thread.  /healthz and /readyz read
 * only the main loop's state and run there. */
gboolean ims_api_uses_database(const ImsApiRequest *request);

/* Handles one request; always fills response (status + JSON body). */
void ims_api_handle(ImsApi *api, const ImsApiRequest *request, ImsApiResponse *response);

void ims_api_response_clear(ImsApiResponse *response);

G_END_DECLS
