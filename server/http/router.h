/* router.h: the REST API's path router, one small table per API.
 *
 * api.c (service API) and review-api.c (recruiters' API) each declare a
 * table of ImsRoute {method, pattern, id}; ims_route_match() splits the
 * request path into segments, checks every segment, and finds the route:
 *
 *   "/api/v1/review/media/{}/url"   literal segments, "{}" captures one segment
 *
 * A path is refused before any route is looked at (400 bad_path) if it is
 * longer than IMS_ROUTE_MAX_PATH_BYTES, has more than IMS_ROUTE_MAX_SEGMENTS
 * segments, an empty segment ("//", a trailing "/"), a "." or ".." segment,
 * a percent-escape, or a byte outside printable ASCII (space, control, NUL
 * cannot arrive in a C string, non-ASCII).  Ids of this API are UUIDs and
 * fixed words: none of them needs any of that.  Then no route with that
 * shape is 404 not_found, a route with that shape but another method 405
 * method_not_allowed.  Lengths come from the positions of the "/"s found,
 * never from subtracting lengths, so no path can make a negative length.
 *
 * The error codes are the ones in docs/review-api.md's error table.  No
 * state; thread-safe.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define IMS_ROUTE_MAX_PATH_BYTES 1024
#define IMS_ROUTE_MAX_SEGMENTS 16
#define IMS_ROUTE_MAX_PARAMS 4

typedef struct {
  const char *method;  /* "GET", "POST", "DELETE", ... */
  const char *pattern; /* "/a/{}/b": starts with "/", segments literal or "{}" */
  int id;              /* the caller's name for the route */
} ImsRoute;

typedef struct {
  int status;       /* 200 on a match; else 400, 404 or 405 */
  const char *code; /* NULL on a match; else "bad_path", "not_found", "method_not_allowed" */
  char *message;    /* NULL on a match; else one sentence for the client (owned) */
  int route;        /* the matched route's id; on 405 the id of a route of that
                         * path with another method; -1 otherwise */
  char *params[IMS_ROUTE_MAX_PARAMS]; /* the "{}" segments in order (owned) */
  guint n_params;
} ImsRouteMatch;

/* Matches method and path against routes (n_routes of them, first match
 * wins) and fills *match (zero it first or clear it; release it with
 * ims_route_match_clear()).  Returns TRUE on a match; FALSE with status,
 * code and message set otherwise.  Never fails on any input (NULL method or
 * path is a 400).  Costs O(path length + routes x segments). */
gboolean ims_route_match(const ImsRoute *routes, gsize n_routes, const char *method,
                         const char *path, ImsRouteMatch *match);

/* Frees what *match holds and zeroes it (route -1); safe to call twice. */
void ims_route_match_clear(ImsRouteMatch *match);

G_END_DECLS
