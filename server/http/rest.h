/* rest.h: what every REST handler works with: the API's context (ImsApi),
 * the request as http.c collected it, the call the router checked (the
 * path's id, who asks), the response, and the JSON replies.
 *
 * The layer reads bottom up: rest.c (this) <- the handlers, each API in its
 * own file (health.c: /healthz and /readyz; service-api.c: the platform's
 * /api/v1/sessions; room-api.c: the live rooms' /api/v1/rooms; review-api.c:
 * the recruiters' /api/v1/review/...) <-
 * api.c, the one router every REST path goes through <- http.c, which
 * speaks HTTP.  No handler file includes another's header or the router's.
 *
 * Errors are JSON {"code", "message"} with the matching HTTP status; the
 * codes are listed in docs/review-api.md.  Nothing here knows about sockets;
 * no state, thread-safe.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "config.h"
#include "database.h"
#include "objects.h"
#include "processor.h"
#include "profile.h"
#include "relay.h"
#include "reviewer.h"
#include "store.h"

G_BEGIN_DECLS

/* Who is connected to a live room now, as the room registry (interview/)
 * knows it, for GET /api/v1/rooms/{id}.  Called on the database thread: it
 * must be thread-safe and must not wait. */
typedef struct {
  gboolean (*is_connected)(gpointer data, const char *room_id, const char *participant_id);
  gpointer data;
} ImsRoomPresence;

/* What the handlers read; filled once by the daemon and never changed while
 * requests are answered. */
typedef struct {
  const ImsConfig *config;
  ImsStore *store;               /* only where ims_api_uses_database says: its thread */
  ImsDatabase *database;         /* /readyz reads its status; NULL: /readyz pings store */
  const ImsProfileSet *profiles; /* sessions must name one of these */
  ImsProcessor *processor;       /* for /readyz; may be NULL */
  ImsRelay *relay;               /* for /readyz; NULL when Kafka is not configured */
  ImsObjectStore *objects;       /* signed media URLs; NULL without S3 */
  const char *review_secret;     /* HS256 secret of recruiter tokens, "" if none */
  const char *review_public_key; /* RS256 PEM of recruiter tokens, NULL if none */
  int signed_url_seconds;
  const ImsRoomPresence *room_presence; /* NULL: nobody shows as connected */
} ImsApi;

typedef struct {
  const char *method;        /* "GET", "POST", ... */
  const char *path;          /* without the query string */
  const char *authorization; /* the Authorization header or NULL */
  const char *body;          /* NULL when there is none */
  gsize body_length;
  const char *query;  /* after "?", NULL if none */
  const char *remote; /* the client's address, may be NULL */
} ImsApiRequest;

typedef struct {
  int status;
  char *body;               /* JSON, owned */
  const char *content_type; /* static; NULL: application/json */
} ImsApiResponse;

/* A request the router matched to a route and authenticated as the route
 * asks; everything in it is borrowed for the handler's call. */
typedef struct {
  const ImsApiRequest *request;
  const char *id;              /* the path's "{}" segment; NULL if the route has none */
  const ImsReviewer *reviewer; /* who asks, on the review API's routes; NULL elsewhere */
  const char *const *params;   /* every "{}" segment, in order (id is the first) */
  guint n_params;
  const char *candidate_session; /* the candidate token's session, on candidate routes; else NULL */
} ImsApiCall;

/* A route's handler: always fills response (status + JSON body).  It runs
 * where ims_api_uses_database says (the database thread, or the loop). */
typedef void (*ImsApiHandler)(ImsApi *api, const ImsApiCall *call, ImsApiResponse *response);

/* Fills response with status and the JSON {"code", "message"}, message
 * formatted from format. */
void ims_api_respond_error(ImsApiResponse *response, int status, const char *code,
                           const char *format, ...) G_GNUC_PRINTF(4, 5);

/* Fills response with status and the JSON text of builder's root. */
void ims_api_respond_json(ImsApiResponse *response, int status, JsonBuilder *builder);

/* Frees the body; the response can be filled again. */
void ims_api_response_clear(ImsApiResponse *response);

G_END_DECLS
