/* http.c: REST over libwebsockets; see http.h. */
#define G_LOG_DOMAIN "imsd.http"

#include "http.h"

#include <errno.h>
#include <libwebsockets.h>
#include <string.h>

#define CHUNK_SIZE 8192
/* How long a request may wait for the database thread before lws drops the
 * connection (the database may be away; writes behind it wait in order). */
#define DATABASE_ANSWER_TIMEOUT_S 120

typedef struct _PendingAnswer PendingAnswer;

typedef struct {
  char *method;
  char *path;
  char *query;
  char *remote;
  char *authorization;
  GByteArray *body;
  gboolean too_large;
  /* refused by this layer before the API sees it: 400 query_too_long, 411
   * length_required; then the connection is closed (close_after), since a
   * body that was not read may still be on it */
  int refused_status;
  gboolean close_after;
  gboolean collected; /* handed to answer(): a late HTTP_BODY_COMPLETION is ignored */
  ImsApiResponse response;
  gboolean answered; /* response is filled: WRITEABLE sends it */
  gboolean headers_sent;
  gsize sent;
  PendingAnswer *pending; /* an answer being made on the database thread */
} HttpRequest;

/* A request answered on the database thread (its handlers read and write
 * PostgreSQL).  The connection may close first: request is then NULL. */
struct _PendingAnswer {
  struct lws *wsi;
  HttpRequest *request; /* main loop: NULL once the connection is gone */
  ImsApi *api;
  ImsApiRequest api_request; /* points into the copies below */
  char *method, *path, *query, *remote, *authorization;
  GByteArray *body;
  ImsApiResponse response;
};

static void
pending_answer_free(PendingAnswer *pending)
{
  g_free(pending->method);
  g_free(pending->path);
  g_free(pending->query);
  g_free(pending->remote);
  g_free(pending->authorization);
  g_clear_pointer(&pending->body, g_byte_array_unref);
  ims_api_response_clear(&pending->response);
  g_free(pending);
}

static void
request_clear(HttpRequest *request)
{
  if (request->pending) { /* its answer comes to nobody */
    request->pending->request = NULL;
    request->pending = NULL;
  }
  g_clear_pointer(&request->method, g_free);
  g_clear_pointer(&request->path, g_free);
  g_clear_pointer(&request->query, g_free);
  g_clear_pointer(&request->remote, g_free);
  g_clear_pointer(&request->authorization, g_free);
  g_clear_pointer(&request->body, g_byte_array_unref);
  ims_api_response_clear(&request->response);
  request->too_large = FALSE;
  request->answered = FALSE;
  request->headers_sent = FALSE;
  request->refused_status = 0;
  request->close_after = FALSE;
  request->collected = FALSE;
  request->sent = 0;
}

char *
ims_http_query_join(const char *const *fragments, guint n_fragments)
{
  GString *query = g_string_new(NULL);
  for (guint i = 0; i < n_fragments; i++) {
    const char *equal = strchr(fragments[i], '=');
    g_autofree char *name = equal ? g_strndup(fragments[i], (gsize) (equal - fragments[i]))
                                  : g_strdup(fragments[i]);
    if (query->len)
      g_string_append_c(query, '&');
    g_string_append_uri_escaped(query, name, NULL, TRUE);
    if (equal) {
      g_string_append_c(query, '=');
      g_string_append_uri_escaped(query, equal + 1, NULL, TRUE);
    }
  }
  return g_string_free(query, FALSE);
}

/* The query string of the request, escaped again (ims_http_query_join), in
 * *query (transfer full; NULL if there is none).  -EMSGSIZE if lws holds
 * more than IMS_HTTP_MAX_QUERY_BYTES of it; 0 otherwise. */
static int
copy_query(struct lws *wsi, char **query)
{
  *query = NULL;
  int total = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS);
  if (total <= 0)
    return 0;
  if (total > IMS_HTTP_MAX_QUERY_BYTES)
    return -EMSGSIZE;
  g_autoptr(GPtrArray) fragments = g_ptr_array_new_with_free_func(g_free);
  for (int index = 0;; index++) {
    int length = lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, index);
    if (length <= 0)
      break;
    char *fragment = g_malloc(length + 1);
    if (lws_hdr_copy_fragment(wsi, fragment, length + 1, WSI_TOKEN_HTTP_URI_ARGS, index) < 0) {
      g_free(fragment);
      return -EMSGSIZE;
    }
    g_ptr_array_add(fragments, fragment);
  }
  *query = ims_http_query_join((const char *const *) fragments->pdata, fragments->len);
  return 0;
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

/* TRUE if lws will deliver a body: a Content-Length that is not 0 (lws reads
 * the body by its own parse of the header; one that is not a number stays
 * with it, as before).  Without the header there is no body. */
static gboolean
has_body(struct lws *wsi)
{
  g_autofree char *length = copy_header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
  guint64 bytes = 0;
  if (!length)
    return FALSE;
  return !g_ascii_string_to_unsigned(g_strstrip(length), 10, 0, G_MAXUINT64, &bytes, NULL) ||
         bytes > 0;
}

/* Writes the status line and headers (from WRITEABLE). */
static int
write_headers(struct lws *wsi, HttpRequest *request)
{
  guint8 buffer[LWS_PRE + 1024];
  guint8 *start = buffer + LWS_PRE, *p = start, *end = buffer + sizeof buffer - 1;
  gsize length = strlen(request->response.body);

  if (lws_add_http_common_headers(wsi, (unsigned int) request->response.status,
                                  request->response.content_type ? request->response.content_type
                                                                 : "application/json",
                                  length, &p, end) ||
      lws_add_http_header_by_name(wsi, (const unsigned char *) "cache-control:",
                                  (const unsigned char *) "no-store", 8, &p, end) ||
      lws_finalize_write_http_header(wsi, start, &p, end))
    return -1;
  request->headers_sent = TRUE;
  lws_callback_on_writable(wsi);
  return 0;
}

/* The response is ready: WRITEABLE sends it. */
static void
respond(struct lws *wsi, HttpRequest *request)
{
  g_debug("%s %s -> %d", request->method, request->path, request->response.status);
  request->answered = TRUE;
  lws_callback_on_writable(wsi);
}

/* Runs on the database thread.  A handler answers 500 internal when the
 * store failed; if that was because PostgreSQL cannot be reached, FALSE with
 * the connect error instead: the thread then knows the database is away
 * (the next reads fail fast, /readyz says unreachable) and on_answered
 * answers 503 database_unavailable.  Costs one ping, only after a 500. */
static gboolean
run_answer(ImsStore *store, gpointer data, GError **error)
{
  PendingAnswer *pending = data;
  ims_api_handle(pending->api, &pending->api_request, &pending->response);
  if (pending->response.status != 500)
    return TRUE;
  g_autoptr(GError) ping_error = NULL;
  if (store->ping(store, &ping_error) ||
      !g_error_matches(ping_error, IMS_STORE_ERROR, IMS_STORE_ERROR_CONNECT))
    return TRUE;
  g_propagate_error(error, g_steal_pointer(&ping_error));
  return FALSE;
}

static void
on_answered(gpointer data, const GError *error)
{
  PendingAnswer *pending = data;
  HttpRequest *request = pending->request;
  if (!request)
    return;
  request->pending = NULL;
  if (error) { /* not run: the database is unreachable */
    ims_api_respond_error(&request->response, 503, "database_unavailable",
                          "The database cannot be reached right now; try again shortly.");
  } else {
    request->response = pending->response;
    pending->response = (ImsApiResponse){ 0 };
  }
  lws_set_timeout(pending->wsi, NO_PENDING_TIMEOUT, 0);
  respond(pending->wsi, request);
}

/* Hands the request to the database thread; the copies keep it whole even
 * if lws reuses the connection's data meanwhile. */
static void
answer_on_database(struct lws *wsi, ImsHttpConfig *config, HttpRequest *request,
                   const ImsApiRequest *api_request)
{
  PendingAnswer *pending = g_new0(PendingAnswer, 1);
  pending->wsi = wsi;
  pending->request = request;
  pending->api = config->api;
  pending->method = g_strdup(request->method);
  pending->path = g_strdup(request->path);
  pending->query = g_strdup(request->query);
  pending->remote = g_strdup(request->remote);
  pending->authorization = g_strdup(request->authorization);
  if (request->body)
    pending->body = g_byte_array_ref(request->body);
  pending->api_request = (ImsApiRequest){
    .method = pending->method,
    .path = pending->path,
    .authorization = pending->authorization,
    .body = api_request->body,
    .body_length = api_request->body_length,
    .query = pending->query,
    .remote = pending->remote,
  };
  request->pending = pending;
  lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, DATABASE_ANSWER_TIMEOUT_S);
  g_autofree char *what = g_strdup_printf("%s %s", request->method, request->path);
  ims_database_submit(config->database, IMS_DATABASE_READ, what, run_answer, on_answered, pending,
                      (GDestroyNotify) pending_answer_free);
}

/* TRUE if path is under one of the API's mounts (ims_http_mounts_init), not
 * a file mount's miss. */
static gboolean
reached_by_api_mount(const char *path)
{
  return g_str_equal(path, "/api") || g_str_has_prefix(path, "/api/") ||
         g_str_equal(path, "/healthz") || g_str_equal(path, "/readyz") ||
         g_str_equal(path, "/metrics");
}

/* Answers a collected request: refused here (a file mount's miss, 413,
 * 400 query_too_long, 411), or by the API at once, or on the database thread
 * when the API needs PostgreSQL (ims_api_uses_database). */
static int
answer(struct lws *wsi, ImsHttpConfig *config, HttpRequest *request)
{
  if (!reached_by_api_mount(request->path)) {
    /* a file mount found no file it may serve (absent, or behind a
     * symlink: http-files.c) and lws handed the request to this protocol */
    ims_api_respond_error(&request->response, 404, "not_found", "No such file.");
  } else if (request->too_large) {
    ims_api_respond_error(&request->response, 413, "too_large",
                          "The body is limited to %" G_GSIZE_FORMAT " bytes.",
                          config->max_body_bytes);
  } else if (request->refused_status == 400) {
    ims_api_respond_error(&request->response, 400, "query_too_long",
                          "The query string is limited to %d bytes.", IMS_HTTP_MAX_QUERY_BYTES);
  } else if (request->refused_status == 411) {
    ims_api_respond_error(&request->response, 411, "length_required",
                          "Send the body with a Content-Length (chunked bodies are not read).");
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
    if (config->database && ims_api_uses_database(&api_request)) {
      answer_on_database(wsi, config, request, &api_request);
      return 0;
    }
    ims_api_handle(config->api, &api_request, &request->response);
  }
  respond(wsi, request);
  return 0;
}

static int
write_body(struct lws *wsi, HttpRequest *request)
{
  if (!request->answered || !request->response.body)
    return 0;
  if (!request->headers_sent)
    return write_headers(wsi, request);
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
  gboolean close_after = request->close_after;
  request_clear(request);
  if (close_after)
    return -1;
  return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int
callback_http(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
  HttpRequest *request = user;
  /* the vhost's TLS set-up callbacks come on a wsi with no protocol yet */
  const struct lws_protocols *protocol = lws_get_protocol(wsi);
  if (!protocol)
    return lws_callback_http_dummy(wsi, reason, user, in, len);
  ImsHttpConfig *config = (ImsHttpConfig *) protocol->user;

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
      if (strlen(request->query) > IMS_HTTP_MAX_QUERY_BYTES)
        request->refused_status = 400;
    } else if (copy_query(wsi, &request->query) < 0) {
      /* lws keeps the query apart from the URI, decoded, one fragment per parameter */
      request->refused_status = 400;
    }
    char address[64];
    request->remote = g_strdup(lws_get_peer_simple(wsi, address, sizeof address));
    request->authorization = copy_header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
    if (request->refused_status) {
      request->close_after = TRUE; /* a body may follow that is not read */
      return answer(wsi, config, request);
    }
    if ((method == 1 || method == 3 || method == 4) &&
        lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0 &&
        lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0) {
      /* lws 4.1 does not decode chunked request bodies: their bytes would be
       * read as the next request, so refuse and close */
      request->refused_status = 411;
      request->close_after = TRUE;
      return answer(wsi, config, request);
    }
    if (method == 1 || method == 3 || method == 4) {
      /* a body follows: HTTP_BODY ... HTTP_BODY_COMPLETION; but lws 4.1
       * sends no completion for a PUT or PATCH of "Content-Length: 0" (nor
       * any HTTP_BODY), so an empty body is answered now */
      request->body = g_byte_array_new();
      if (has_body(wsi))
        return 0;
    }
    request->collected = TRUE;
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
    if (request->collected) /* an empty body, answered already (a POST's completion still comes) */
      return 0;
    request->collected = TRUE;
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
ims_http_mounts_init(struct lws_http_mount *mounts, const char *web_root, const char *candidate_root)
{
  memset(mounts, 0, sizeof *mounts * IMS_HTTP_MOUNT_COUNT);
  callback_mount(&mounts[0], "/api");
  callback_mount(&mounts[1], "/healthz");
  callback_mount(&mounts[2], "/readyz");
  callback_mount(&mounts[3], "/metrics");

  mounts[4].mountpoint = "/candidate";
  mounts[4].mountpoint_len = strlen("/candidate");
  mounts[4].origin = candidate_root;
  mounts[4].origin_protocol = LWSMPRO_FILE;
  mounts[4].def = "index.html";
  mounts[4].cache_max_age = 0;

  mounts[5].mountpoint = "/";
  mounts[5].mountpoint_len = 1;
  mounts[5].origin = web_root;
  mounts[5].origin_protocol = LWSMPRO_FILE;
  mounts[5].def = "index.html";

  for (int i = 0; i < IMS_HTTP_MOUNT_COUNT - 1; i++)
    mounts[i].mount_next = &mounts[i + 1];
}
