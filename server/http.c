/* http.c: REST over libwebsockets; see http.h. */
#define G_LOG_DOMAIN "imsd.http"

#include "http.h"

#include <libwebsockets.h>
#include <string.h>

#define CHUNK_SIZE 8192

typedef struct {
  char *method;
  char *path;
  char *query;
  char *remote;
  char *authorization;
  GByteArray *body;
  gboolean too_large;
  ImsApiResponse response;
  gsize sent;
} HttpRequest;

static void
request_clear(HttpRequest *request)
{
  g_clear_pointer(&request->method, g_free);
  g_clear_pointer(&request->path, g_free);
  g_clear_pointer(&request->query, g_free);
  g_clear_pointer(&request->remote, g_free);
  g_clear_pointer(&request->authorization, g_free);
  g_clear_pointer(&request->body, g_byte_array_unref);
  ims_api_response_clear(&request->response);
  request->too_large = FALSE;
  request->sent = 0;
}

static char *
copy_header(struct lws *wsi, enum lws_token_indexes token)
{
  int length = lws_hdr_total_length(wsi, token);
  if (length <= 0 || length > 8192)
    return NULL;
  char *value = g_malloc(length + 1);
  if (lws_hdr_copy(wsi, value, length + 1, token) < 0) {
    g_free(value);
    return NULL;
  }
  return value;
}

/* Writes the status line and headers, then asks for WRITEABLE to send the body. */
static int
start_response(struct lws *wsi, HttpRequest *request)
{
  guint8 buffer[LWS_PRE + 1024];
  guint8 *start = buffer + LWS_PRE, *p = start, *end = buffer + sizeof buffer - 1;
  gsize length = strlen(request->response.body);

  if (lws_add_http_common_headers(wsi, (unsigned int) request->response.status,
                                  "application/json", length, &p, end) ||
      lws_add_http_header_by_name(wsi, (const unsigned char *) "cache-control:",
                                  (const unsigned char *) "no-store", 8, &p, end) ||
      lws_finalize_write_http_header(wsi, start, &p, end))
    return -1;
  lws_callback_on_writable(wsi);
  return 0;
}

static int
answer(struct lws *wsi, ImsHttpConfig *config, HttpRequest *request)
{
  if (request->too_large) {
    request->response.status = 413;
    request->response.body = g_strdup_printf(
        "{\"code\":\"too_large\",\"message\":\"The body is limited to %" G_GSIZE_FORMAT " bytes.\"}",
        config->max_body_bytes);
  } else {
    ImsApiRequest api_request = {
      .method = request->method,
      .path = request->path,
      .authorization = request->authorization,
      .body = request->body ? (const char *) request->body->data : NULL,
      .body_length = request->body ? request->body->len : 0,
      .query = request->query,
      .remote = request->remote,
    };
    ims_api_handle(config->api, &api_request, &request->response);
  }
  g_debug("%s %s -> %d", request->method, request->path, request->response.status);
  return start_response(wsi, request);
}

static int
write_body(struct lws *wsi, HttpRequest *request)
{
  if (!request->response.body)
    return 0;
  gsize length = strlen(request->response.body);
  gsize chunk = MIN(CHUNK_SIZE, length - request->sent);
  guint8 buffer[LWS_PRE + CHUNK_SIZE];
  memcpy(buffer + LWS_PRE, request->response.body + request->sent, chunk);
  gboolean last = request->sent + chunk == length;
  if (lws_write(wsi, buffer + LWS_PRE, chunk, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) !=
      (int) chunk)
    return -1;
  request->sent += chunk;
  if (!last) {
    lws_callback_on_writable(wsi);
    return 0;
  }
  request_clear(request);
  return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int
callback_http(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
  HttpRequest *request = user;
  ImsHttpConfig *config = (ImsHttpConfig *) lws_get_protocol(wsi)->user;

  switch (reason) {
  case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
  case LWS_CALLBACK_ESTABLISHED:
    /* a WebSocket that did not name imsd.signaling.v1 lands on this protocol */
    g_info("refusing a WebSocket without the %s subprotocol", "imsd.signaling.v1");
    return -1;

  case LWS_CALLBACK_HTTP: {
    if (!request)
      return -1;
    const char *uri = NULL;
    int uri_length = 0;
    int method = lws_http_get_uri_and_method(wsi, (char **) &uri, &uri_length);
    static const char *const methods[] = { "GET", "POST", "OPTIONS", "PUT", "PATCH", "DELETE" };

    request_clear(request);
    if (method < 0 || method >= (int) G_N_ELEMENTS(methods) || uri_length <= 0)
      return lws_return_http_status(wsi, HTTP_STATUS_METHOD_NOT_ALLOWED, NULL) ? -1 : 0;
    request->method = g_strdup(methods[method]);
    request->path = g_strndup(uri, uri_length);
    char *query = strchr(request->path, '?');
    if (query) {
      *query = '\0';
      request->query = g_strdup(query + 1);
    } else {
      /* lws keeps the query apart from the URI */
      int length = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS);
      if (length > 0 && length < 4096) {
        request->query = g_malloc0(length + 1);
        for (int fragment = 0, at = 0;; fragment++) {
          char part[1024];
          int n = lws_hdr_copy_fragment(wsi, part, sizeof part, WSI_TOKEN_HTTP_URI_ARGS, fragment);
          if (n <= 0)
            break;
          g_snprintf(request->query + at, length + 1 - at, "%s%s", at ? "&" : "", part);
          at = strlen(request->query);
        }
      }
    }
    char address[64];
    request->remote = g_strdup(lws_get_peer_simple(wsi, address, sizeof address));
    request->authorization = copy_header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
    if (method == 1 || method == 3 || method == 4) {
      /* a body follows: HTTP_BODY ... HTTP_BODY_COMPLETION */
      request->body = g_byte_array_new();
      if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0)
        return 0;
    }
    return answer(wsi, config, request);
  }

  case LWS_CALLBACK_HTTP_BODY:
    if (!request || !request->body)
      return 0;
    if (request->body->len + len > config->max_body_bytes)
      request->too_large = TRUE;
    else
      g_byte_array_append(request->body, in, len);
    return 0;

  case LWS_CALLBACK_HTTP_BODY_COMPLETION:
    if (!request || !request->method)
      return -1;
    return answer(wsi, config, request);

  case LWS_CALLBACK_HTTP_WRITEABLE:
    /* lws also serves files on this protocol: those have no request of ours */
    if (!request || !request->method)
      return lws_callback_http_dummy(wsi, reason, user, in, len);
    return write_body(wsi, request);

  case LWS_CALLBACK_CLOSED_HTTP:
  case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    /* lws may close before it allocated the per-connection data */
    if (request)
      request_clear(request);
    return lws_callback_http_dummy(wsi, reason, user, in, len);

  default:
    return lws_callback_http_dummy(wsi, reason, user, in, len);
  }
}

void
ims_http_protocol_init(struct lws_protocols *protocol, ImsHttpConfig *config)
{
  memset(protocol, 0, sizeof *protocol);
  protocol->name = "http";
  protocol->callback = callback_http;
  protocol->per_session_data_size = sizeof(HttpRequest);
  protocol->user = config;
}

static void
callback_mount(struct lws_http_mount *mount, const char *mountpoint)
{
  mount->mountpoint = mountpoint;
  mount->mountpoint_len = (unsigned char) strlen(mountpoint);
  mount->origin = "http";
  mount->origin_protocol = LWSMPRO_CALLBACK;
}

void
ims_http_mounts_init(struct lws_http_mount *mounts, const char *web_root,
                     const char *candidate_root)
{
  memset(mounts, 0, sizeof *mounts * IMS_HTTP_MOUNT_COUNT);
  callback_mount(&mounts[0], "/api");
  callback_mount(&mounts[1], "/healthz");
  callback_mount(&mounts[2], "/readyz");

  mounts[3].mountpoint = "/candidate";
  mounts[3].mountpoint_len = strlen("/candidate");
  mounts[3].origin = candidate_root;
  mounts[3].origin_protocol = LWSMPRO_FILE;
  mounts[3].def = "index.html";
  mounts[3].cache_max_age = 0;

  mounts[4].mountpoint = "/";
  mounts[4].mountpoint_len = 1;
  mounts[4].origin = web_root;
  mounts[4].origin_protocol = LWSMPRO_FILE;
  mounts[4].def = "index.html";

  for (int i = 0; i < IMS_HTTP_MOUNT_COUNT - 1; i++)
    mounts[i].mount_next = &mounts[i + 1];
}
