/* router.c: splits a REST path into checked segments and finds its route;
 * see router.h. */
#define G_LOG_DOMAIN "imsd.router"

#include "router.h"

#include <string.h>

typedef struct {
  const char *start;
  gsize length;
} Segment;

static gboolean
refuse(ImsRouteMatch *match, int status, const char *code, char *message)
{
  match->status = status;
  match->code = code;
  g_free(match->message);
  match->message = message;
  return FALSE;
}

static gboolean
refuse_path(ImsRouteMatch *match, const char *why)
{
  return refuse(match, 400, "bad_path", g_strdup_printf("The path is malformed: %s.", why));
}

/* Why segment cannot be part of an API path, or NULL if it can. */
static const char *
segment_problem(const char *start, gsize length)
{
  if (length == 0)
    return "it has an empty segment (\"//\" or a trailing \"/\")";
  if ((length == 1 && start[0] == '.') || (length == 2 && start[0] == '.' && start[1] == '.'))
    return "it has a \".\" or \"..\" segment";
  for (gsize i = 0; i < length; i++) {
    guchar c = (guchar) start[i];
    if (c == '%')
      return "percent-escapes are not accepted";
    if (c <= 0x20 || c >= 0x7f)
      return "it holds a space, a control character or a non-ASCII byte";
  }
  return NULL;
}

/* Splits path ("/a/b") into segments; FALSE with match refused if the path
 * or one of its segments is malformed. */
static gboolean
split_path(const char *path, Segment *segments, guint *n_segments, ImsRouteMatch *match)
{
  if (!path || path[0] != '/')
    return refuse_path(match, "it must start with \"/\"");
  gsize length = strnlen(path, IMS_ROUTE_MAX_PATH_BYTES + 1);
  if (length > IMS_ROUTE_MAX_PATH_BYTES)
    return refuse_path(match, "it is longer than " G_STRINGIFY(IMS_ROUTE_MAX_PATH_BYTES) " bytes");

  const char *end = path + length;
  const char *start = path + 1;
  guint n = 0;
  for (;;) {
    const char *slash = memchr(start, '/', (gsize) (end - start));
    const char *segment_end = slash ? slash : end;
    if (n == IMS_ROUTE_MAX_SEGMENTS)
      return refuse_path(match, "it has more than " G_STRINGIFY(IMS_ROUTE_MAX_SEGMENTS) " segments");
    const char *problem = segment_problem(start, (gsize) (segment_end - start));
    if (problem)
      return refuse_path(match, problem);
    segments[n].start = start;
    segments[n].length = (gsize) (segment_end - start);
    n++;
    if (!slash)
      break;
    start = slash + 1;
  }
  *n_segments = n;
  return TRUE;
}

/* TRUE if the segments have the shape of pattern; captures the "{}"
 * segments into match if capture is set. */
static gboolean
pattern_matches(const char *pattern, const Segment *segments, guint n_segments,
                ImsRouteMatch *match, gboolean capture)
{
  const char *p = pattern + 1; /* patterns start with "/" */
  for (guint i = 0; i < n_segments; i++) {
    const char *slash = strchr(p, '/');
    gsize length = slash ? (gsize) (slash - p) : strlen(p);
    gboolean wildcard = length == 2 && p[0] == '{' && p[1] == '}';
    if (!wildcard && (length != segments[i].length || memcmp(p, segments[i].start, length) != 0))
      return FALSE;
    if (i + 1 < n_segments && !slash)
      return FALSE; /* the path is longer than the pattern */
    if (i + 1 == n_segments && slash)
      return FALSE; /* the pattern is longer than the path */
    if (wildcard && capture && match->n_params < IMS_ROUTE_MAX_PARAMS)
      match->params[match->n_params++] = g_strndup(segments[i].start, segments[i].length);
    p = slash ? slash + 1 : p + length;
  }
  return TRUE;
}

gboolean
ims_route_match(const ImsRoute *routes, gsize n_routes, const char *method, const char *path,
                ImsRouteMatch *match)
{
  Segment segments[IMS_ROUTE_MAX_SEGMENTS];
  guint n_segments = 0;

  ims_route_match_clear(match);
  if (!split_path(path, segments, &n_segments, match))
    return FALSE;

  g_autoptr(GString) allowed = NULL;
  for (gsize r = 0; r < n_routes; r++) {
    if (!pattern_matches(routes[r].pattern, segments, n_segments, match, FALSE))
      continue;
    if (method && g_str_equal(method, routes[r].method)) {
      pattern_matches(routes[r].pattern, segments, n_segments, match, TRUE);
      match->status = 200;
      match->route = routes[r].id;
      return TRUE;
    }
    if (!allowed) {
      allowed = g_string_new(routes[r].method);
      match->route = routes[r].id;
    } else if (!strstr(allowed->str, routes[r].method)) {
      g_string_append_printf(allowed, " or %s", routes[r].method);
    }
  }
  if (allowed)
    return refuse(match, 405, "method_not_allowed", g_strdup_printf("Use %s.", allowed->str));
  return refuse(match, 404, "not_found", g_strdup("No such resource."));
}

void
ims_route_match_clear(ImsRouteMatch *match)
{
  for (guint i = 0; i < match->n_params; i++)
    g_free(match->params[i]);
  g_free(match->message);
  memset(match, 0, sizeof *match);
  match->route = -1;
}
