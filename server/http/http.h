/* http.h: the HTTP side of imsd's libwebsockets server.
 *
 * One lws protocol ("http") carries the REST API (api.c) and refuses any
 * WebSocket that did not name the signaling subprotocol; lws mounts serve the
 * web client's files.  A request is collected (method, path, Authorization,
 * body bounded by max_body_bytes), answered by ims_api_handle (on the
 * database thread when it needs PostgreSQL, so the loop never waits), and
 * written back in chunks when the socket is writable.
 */
#pragma once

#include <glib.h>

#include "api.h"
#include "database.h"

G_BEGIN_DECLS

/* Longest query string accepted (decoded, as lws holds it); longer is 400
 * query_too_long, never cut. */
#define IMS_HTTP_MAX_QUERY_BYTES 1024

typedef struct {
  ImsApi *api;
  ImsDatabase *database; /* NULL: every request is answered on the loop */
  gsize max_body_bytes;
} ImsHttpConfig;

struct lws_protocols;
struct lws_http_mount;

/* config must outlive the lws context. */
void ims_http_protocol_init(struct lws_protocols *protocol, ImsHttpConfig *config);

/* Fills mounts (an array of IMS_HTTP_MOUNT_COUNT, linked in order): the web
 * client's files under web_root at "/", the API paths to the "http" protocol.
 * web_root must outlive the context. */
#define IMS_HTTP_MOUNT_COUNT 6
void ims_http_mounts_init(struct lws_http_mount *mounts, const char *web_root,
                          const char *candidate_root);

/* lws hands the query string decoded, split at "&" and ";" into fragments
 * "name=value".  Joins them into one query string with each name and value
 * percent-escaped again, so the API decodes every parameter exactly once
 * ("a=x&y" from "?a=x%26y" stays one parameter a = "x&y").  Transfer full. */
char *ims_http_query_join(const char *const *fragments, guint n_fragments);

G_END_DECLS
