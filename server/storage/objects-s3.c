/* objects-s3.c: the ImsObjectStore on S3-compatible services (MinIO, AWS, s3rver) through libs3.
 *
 * The only file that includes libs3.h.  A store is created from an
 * ImsObjectStoreConfig (copied), used from any number of worker threads, and
 * freed once no call is running.  It holds no mutable state: each call builds
 * its own libs3 request context and request state (ImsS3Call), drives it to
 * the end with S3_runonce_request_context, and tears it down.
 *
 * libs3 is process-global: S3_initialize runs once (g_once) with the first
 * store's endpoint as default host; every request names its host anyway.
 * Debian 12 ships libs3 2.0, which signs with AWS signature V2 only, has no
 * request timeout and no multipart API, so:
 *   - timeouts: a call ends with UNAVAILABLE when nothing moved (no byte sent,
 *     no answer) for timeout_seconds; destroying the request context cancels
 *     the transfer;
 *   - multipart uploads (files above multipart_threshold_bytes) and the
 *     bucket check (ping) go through objects-s3-curl.c (libcurl, the same V2
 *     signature).
 *
 * presign_get sends nothing: libs3's S3_generate_authenticated_query_string
 * signs a GET URL (V2 query-string authentication) with an absolute Expires.
 * Its URL names the public endpoint when the config gives one (a second
 * bucket context, presign_context, differing only in host and scheme): the
 * address a reviewer's browser reaches (a proxy, a published port) rather
 * than the one imsd talks to.  V2 signs "GET\n\n\n{Expires}\n/{bucket}/{key}"
 * and never the Host, in path and virtual-host style alike, so the one
 * signature is valid whichever host the request reaches the service by
 * (V4 would sign the Host header: a move to V4 must sign the public host).
 *
 * Status mapping (libs3 2.0 does not expose the HTTP status code):
 *   OK -> success; NoSuchKey / HTTP 404 -> NOT_FOUND (REFUSED for uploads:
 *   the bucket is missing); connection, name lookup, timeout, InternalError,
 *   SlowDown, RequestTimeout and answers libs3 cannot classify (5xx among
 *   them) -> UNAVAILABLE; every other S3 error (credentials, bucket, ...) ->
 *   REFUSED; a file that cannot be read -> LOCAL.
 */
#define G_LOG_DOMAIN "imsd.objects.s3"

#include "objects.h"

#include <errno.h>
#include <fcntl.h>
#include <libs3.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <unistd.h>

#include "metrics.h"
#include "objects-s3-curl.h"

typedef struct {
  ImsObjectStore base;
  ImsObjectStoreConfig config; /* strings owned, below */
  char *endpoint;
  char *bucket;
  char *access_key;
  char *secret_key;
  char *region;
  char *public_host;               /* "host[:port]" of the signed URLs */
  S3BucketContext context;         /* points into the strings above */
  S3BucketContext presign_context; /* context on public_host, for presign_get */
} ImsS3Store;

/* One call's state, shared with libs3's callbacks (same thread). */
typedef struct {
  S3Status status;
  gboolean finished;
  char *reason;         /* the service's words, when it sent any */
  gint64 last_activity; /* monotonic µs: start, data sent, answer received */
  /* put_object: the file, read in order */
  int fd;
  gint64 remaining;
  GChecksum *sha;
  int read_errno;
  /* head_object */
  gint64 content_length;
} ImsS3Call;

static GOnce ims_s3_once = G_ONCE_INIT;

static gpointer
ims_s3_initialize(gpointer endpoint)
{
  S3Status status = S3_initialize("imsd", S3_INIT_ALL, endpoint);
  ims_s3_curl_global_init();
  return GINT_TO_POINTER(status + 1); /* never NULL */
}

static S3Status
ims_s3_on_properties(const S3ResponseProperties *properties, void *user_data)
{
  ImsS3Call *call = user_data;
  call->last_activity = g_get_monotonic_time();
  call->content_length = (gint64) properties->contentLength;
  return S3StatusOK;
}

static void
ims_s3_on_complete(S3Status status, const S3ErrorDetails *details, void *user_data)
{
  ImsS3Call *call = user_data;
  call->status = status;
  call->finished = TRUE;
  g_clear_pointer(&call->reason, g_free);
  if (details != NULL && (details->message != NULL || details->furtherDetails != NULL))
    call->reason = g_strdup_printf(
        "%s%s%s", details->message != NULL ? details->message : "",
        details->message != NULL && details->furtherDetails != NULL ? "; " : "",
        details->furtherDetails != NULL ? details->furtherDetails : "");
}

static int
ims_s3_on_put_data(int buffer_size, char *buffer, void *user_data)
{
  ImsS3Call *call = user_data;
  call->last_activity = g_get_monotonic_time();
  if (call->remaining <= 0)
    return 0;
  size_t wanted = (size_t) MIN((gint64) buffer_size, call->remaining);
  ssize_t got;
  do {
    got = read(call->fd, buffer, wanted);
  } while (got < 0 && errno == EINTR);
  if (got <= 0) {
    call->read_errno = got < 0 ? errno : EIO; /* EIO: the file became shorter */
    return -1;                                /* aborts the request */
  }
  g_checksum_update(call->sha, (const guchar *) buffer, got);
  call->remaining -= got;
  return (int) got;
}

/* Runs the request(s) already queued on context until they finish or nothing
 * moved for timeout_seconds, then destroys the context (which ends a
 * request still running with S3StatusInterrupted). */
static void
ims_s3_drive(S3RequestContext *context, ImsS3Call *call, int timeout_seconds)
{
  gint64 stall_limit = (gint64) MAX(timeout_seconds, 1) * G_USEC_PER_SEC;
  call->last_activity = g_get_monotonic_time();
  for (;;) {
    int running = 0;
    S3Status status = S3_runonce_request_context(context, &running);
    if (status != S3StatusOK || running == 0 || call->finished)
      break;
    gint64 now = g_get_monotonic_time();
    if (now - call->last_activity > stall_limit) {
      g_clear_pointer(&call->reason, g_free);
      call->reason = g_strdup_printf("no progress for %d s", timeout_seconds);
      break;
    }
    fd_set readable, writable, failed;
    FD_ZERO(&readable);
    FD_ZERO(&writable);
    FD_ZERO(&failed);
    int max_fd = -1;
    S3_get_request_context_fdsets(context, &readable, &writable, &failed, &max_fd);
    gint64 wait_ms = S3_get_request_context_timeout(context);
    /* curl may have no socket yet (resolving) or sockets past FD_SETSIZE: poll. */
    if (wait_ms < 0 || wait_ms > 100)
      wait_ms = 100;
    if (max_fd < 0)
      wait_ms = MIN(wait_ms, 10);
    struct timeval wait = { .tv_sec = 0, .tv_usec = (suseconds_t) (wait_ms * 1000) };
    if (select(max_fd + 1, &readable, &writable, &failed, &wait) > 0)
      call->last_activity = g_get_monotonic_time();
  }
  S3_destroy_request_context(context);
  if (!call->finished) {
    call->status = S3StatusInterrupted;
    call->finished = TRUE;
  }
}

/* TRUE for statuses worth retrying later. */
static gboolean
ims_s3_status_is_unavailable(S3Status status)
{
  switch (status) {
  case S3StatusInternalError:
  case S3StatusOutOfMemory:
  case S3StatusInterrupted:
  case S3StatusXmlParseFailure:
  case S3StatusNameLookupError:
  case S3StatusFailedToConnect:
  case S3StatusConnectionFailed:
  case S3StatusErrorInternalError:
  case S3StatusErrorOperationAborted:
  case S3StatusErrorRequestTimeout:
  case S3StatusErrorSlowDown:
  case S3StatusErrorIncompleteBody:
  case S3StatusErrorUnknown:
  case S3StatusHttpErrorUnknown:
    return TRUE;
  default:
    return FALSE;
  }
}

static gboolean
ims_s3_status_is_not_found(S3Status status)
{
  return status == S3StatusErrorNoSuchKey || status == S3StatusHttpErrorNotFound;
}

/* Sets error from a finished call that failed: "verb key: STATUS (reason)". */
static void
ims_s3_set_error(GError **error, const ImsS3Call *call, const char *verb, const char *key,
                 gboolean missing_is_refused)
{
  ImsObjectsError code;
  if (call->read_errno != 0)
    code = IMS_OBJECTS_ERROR_LOCAL;
  else if (ims_s3_status_is_not_found(call->status))
    code = missing_is_refused ? IMS_OBJECTS_ERROR_REFUSED : IMS_OBJECTS_ERROR_NOT_FOUND;
  else if (ims_s3_status_is_unavailable(call->status))
    code = IMS_OBJECTS_ERROR_UNAVAILABLE;
  else
    code = IMS_OBJECTS_ERROR_REFUSED;

  if (call->read_errno != 0)
    g_set_error(error, IMS_OBJECTS_ERROR, code, "cannot %s %s: reading the file failed: %s", verb,
                key, g_strerror(call->read_errno));
  else
    g_set_error(error, IMS_OBJECTS_ERROR, code, "cannot %s %s: %s%s%s%s", verb, key,
                S3_get_status_name(call->status), call->reason != NULL ? " (" : "",
                call->reason != NULL ? call->reason : "", call->reason != NULL ? ")" : "");
}

static S3RequestContext *
ims_s3_context_new(ImsS3Call *call, const char *verb, const char *key, GError **error)
{
  S3RequestContext *context = NULL;
  S3Status status = S3_create_request_context(&context);
  if (status != S3StatusOK) {
    g_set_error(error, IMS_OBJECTS_ERROR, IMS_OBJECTS_ERROR_UNAVAILABLE,
                "cannot %s %s: no libs3 request context: %s", verb, key, S3_get_status_name(status));
    return NULL;
  }
  return context;
}

static const S3ResponseHandler ims_s3_response_handler = { ims_s3_on_properties,
                                                           ims_s3_on_complete };

static gboolean
ims_s3_put_single(ImsS3Store *self, const char *key, int fd, gint64 size, const char *content_type,
                  GChecksum *sha, GError **error)
{
  ImsS3Call call = { .fd = fd, .remaining = size, .sha = sha };
  S3RequestContext *context = ims_s3_context_new(&call, "upload", key, error);
  if (context == NULL)
    return FALSE;
  S3PutProperties properties = { .contentType = content_type, .expires = -1 };
  S3PutObjectHandler handler = { ims_s3_response_handler, ims_s3_on_put_data };
  S3_put_object(&self->context, key, (uint64_t) size, &properties, context, &handler, &call);
  ims_s3_drive(context, &call, self->config.timeout_seconds);

  gboolean ok = call.status == S3StatusOK && call.read_errno == 0;
  if (ok && call.remaining != 0) {
    call.read_errno = EIO;
    ok = FALSE;
  }
  if (!ok)
    ims_s3_set_error(error, &call, "upload", key, TRUE);
  g_free(call.reason);
  return ok;
}

static gboolean
ims_s3_put_file(ImsObjectStore *store, const char *key, const char *path, const char *content_type,
                char **checksum, GError **error)
{
  ImsS3Store *self = (ImsS3Store *) store;
  g_return_val_if_fail(key != NULL && path != NULL && checksum != NULL, FALSE);

  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int saved = errno;
    g_set_error(error, IMS_OBJECTS_ERROR, IMS_OBJECTS_ERROR_LOCAL,
                "cannot upload %s: cannot open %s: %s", key, path, g_strerror(saved));
    return FALSE;
  }
  struct stat info;
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    g_set_error(error, IMS_OBJECTS_ERROR, IMS_OBJECTS_ERROR_LOCAL,
                "cannot upload %s: %s is not a readable regular file", key, path);
    close(fd);
    return FALSE;
  }

  g_autoptr(GChecksum) sha = g_checksum_new(G_CHECKSUM_SHA256);
  gint64 size = (gint64) info.st_size;
  const char *type = content_type != NULL ? content_type : "application/octet-stream";
  gboolean ok;
  if (size > self->config.multipart_threshold_bytes)
    ok = ims_s3_curl_multipart_upload(&self->config, key, fd, size, type,
                                      self->config.multipart_part_bytes, sha, error);
  else
    ok = ims_s3_put_single(self, key, fd, size, type, sha, error);
  close(fd);
  ims_metric_add(ok ? &ims_metric_upload_bytes : &ims_metric_upload_errors, 0,
                 ok ? (double) size : 1);
  if (ok)
    *checksum = g_strdup(g_checksum_get_string(sha));
  return ok;
}

static gboolean
ims_s3_head(ImsObjectStore *store, const char *key, gint64 *size, GError **error)
{
  ImsS3Store *self = (ImsS3Store *) store;
  ImsS3Call call = { .content_length = -1 };
  S3RequestContext *context = ims_s3_context_new(&call, "look up", key, error);
  if (context == NULL)
    return FALSE;
  S3_head_object(&self->context, key, context, &ims_s3_response_handler, &call);
  ims_s3_drive(context, &call, self->config.timeout_seconds);
  gboolean ok = call.status == S3StatusOK;
  if (ok && size != NULL)
    *size = call.content_length;
  if (!ok)
    ims_s3_set_error(error, &call, "look up", key, FALSE);
  g_free(call.reason);
  return ok;
}

static gboolean
ims_s3_delete(ImsObjectStore *store, const char *key, GError **error)
{
  ImsS3Store *self = (ImsS3Store *) store;
  ImsS3Call call = { 0 };
  S3RequestContext *context = ims_s3_context_new(&call, "delete", key, error);
  if (context == NULL)
    return FALSE;
  S3_delete_object(&self->context, key, context, &ims_s3_response_handler, &call);
  ims_s3_drive(context, &call, self->config.timeout_seconds);
  /* S3 answers 204 for a missing key; some services say NoSuchKey. */
  gboolean ok = call.status == S3StatusOK || call.status == S3StatusErrorNoSuchKey;
  if (!ok)
    ims_s3_set_error(error, &call, "delete", key, TRUE);
  g_free(call.reason);
  return ok;
}

/* Lists at most one key (objects-s3-curl.c: libs3 2.0's bucket requests do
 * not pass s3rver's signature check): the cheapest request that proves the
 * bucket answers to these credentials. */
static gboolean
ims_s3_ping(ImsObjectStore *store, GError **error)
{
  ImsS3Store *self = (ImsS3Store *) store;
  return ims_s3_curl_ping(&self->config, error);
}

/* A query-string-authenticated GET URL (libs3: V2 signature of
 * "GET\n\n\n{Expires}\n/{bucket}/{encoded key}", key percent-encoded
 * except [A-Za-z0-9-_.!~*'()/], so the %XX of escaped ids travel as %25XX).
 * Nothing is sent: a wrong secret or a missing key only shows when the URL is
 * fetched.  Expires is absolute (Unix seconds), so the holder's clock does
 * not matter but the service's does. */
static char *
ims_s3_presign_get(ImsObjectStore *store, const char *key, int expires_seconds, GError **error)
{
  ImsS3Store *self = (ImsS3Store *) store;
  g_return_val_if_fail(key != NULL, NULL);
  if (key[0] == '\0' || strlen(key) > S3_MAX_KEY_SIZE) {
    g_set_error(error, IMS_OBJECTS_ERROR, IMS_OBJECTS_ERROR_BAD_KEY,
                "cannot sign a URL for \"%.40s\": the key is empty or longer than %d bytes", key,
                S3_MAX_KEY_SIZE);
    return NULL;
  }
  if (expires_seconds <= 0) {
    g_set_error(error, IMS_OBJECTS_ERROR, IMS_OBJECTS_ERROR_BAD_KEY,
                "cannot sign a URL for %s: expiry of %d s is not positive", key, expires_seconds);
    return NULL;
  }
  int64_t expires = g_get_real_time() / G_USEC_PER_SEC + expires_seconds;
  char buffer[S3_MAX_AUTHENTICATED_QUERY_STRING_SIZE];
  S3Status status = S3_generate_authenticated_query_string(buffer, &self->presign_context, key,
                                                           expires, NULL);
  if (status != S3StatusOK) {
    g_set_error(error, IMS_OBJECTS_ERROR, IMS_OBJECTS_ERROR_BAD_KEY, "cannot sign a URL for %s: %s",
                key, S3_get_status_name(status));
    return NULL;
  }
  return g_strdup(buffer);
}

static void
ims_s3_free(ImsObjectStore *store)
{
  ImsS3Store *self = (ImsS3Store *) store;
  g_free(self->endpoint);
  g_free(self->bucket);
  g_free(self->access_key);
  g_free(self->secret_key);
  g_free(self->region);
  g_free(self->public_host);
  g_free(self);
}

/* Parses a public endpoint: "host[:port]" (scheme from use_tls) or
 * "http(s)://host[:port]", one trailing "/" allowed, nothing else (no path,
 * query, user).  Sets *host (transfer full) and *use_tls; FALSE with
 * IMS_OBJECTS_ERROR_REFUSED and nothing set otherwise. */
static gboolean
ims_s3_parse_public_endpoint(const char *endpoint, gboolean default_tls, char **host,
                             gboolean *use_tls, GError **error)
{
  gboolean tls = default_tls;
  const char *rest = endpoint;
  if (g_str_has_prefix(rest, "https://")) {
    tls = TRUE;
    rest += strlen("https://");
  } else if (g_str_has_prefix(rest, "http://")) {
    tls = FALSE;
    rest += strlen("http://");
  }
  g_autofree char *authority = g_strdup(rest);
  gsize length = strlen(authority);
  if (length > 0 && authority[length - 1] == '/')
    authority[--length] = '\0';
  g_autofree char *parsed_host = NULL;
  gint port = -1;
  g_autofree char *as_url = g_strdup_printf("http://%s", authority);
  gboolean plain = length > 0 && length <= S3_MAX_HOSTNAME_SIZE &&
                   strpbrk(authority, "/?#@ \t\r\n\\") == NULL && strstr(authority, "://") == NULL;
  if (!plain || !g_uri_split_network(as_url, G_URI_FLAGS_NONE, NULL, &parsed_host, &port, NULL) ||
      parsed_host == NULL || parsed_host[0] == '\0' || port == 0) {
    g_set_error(error, IMS_OBJECTS_ERROR, IMS_OBJECTS_ERROR_REFUSED,
                "S3 public endpoint \"%.60s\" is not host[:port] or http(s)://host[:port]",
                endpoint);
    return FALSE;
  }
  *host = g_steal_pointer(&authority);
  *use_tls = tls;
  return TRUE;
}

ImsObjectStore *
ims_object_store_s3_new(const ImsObjectStoreConfig *config, GError **error)
{
  g_return_val_if_fail(config != NULL, NULL);
  if (config->endpoint == NULL || config->endpoint[0] == '\0' || config->bucket == NULL ||
      config->bucket[0] == '\0' || config->access_key == NULL || config->secret_key == NULL) {
    g_set_error(error, IMS_OBJECTS_ERROR, IMS_OBJECTS_ERROR_REFUSED,
                "S3 store needs an endpoint, a bucket, an access key and a secret key");
    return NULL;
  }
  if (strlen(config->endpoint) > S3_MAX_HOSTNAME_SIZE) {
    g_set_error(error, IMS_OBJECTS_ERROR, IMS_OBJECTS_ERROR_REFUSED,
                "S3 endpoint \"%.40s...\" is longer than %d bytes", config->endpoint,
                S3_MAX_HOSTNAME_SIZE);
    return NULL;
  }

  S3Status initialized = GPOINTER_TO_INT(
                             g_once(&ims_s3_once, ims_s3_initialize, (gpointer) config->endpoint)) -
                         1;
  if (initialized != S3StatusOK) {
    g_set_error(error, IMS_OBJECTS_ERROR, IMS_OBJECTS_ERROR_UNAVAILABLE,
                "cannot initialize libs3: %s", S3_get_status_name(initialized));
    return NULL;
  }
  S3UriStyle style = config->path_style ? S3UriStylePath : S3UriStyleVirtualHost;
  S3Status valid = S3_validate_bucket_name(config->bucket, style);
  if (valid != S3StatusOK) {
    g_set_error(error, IMS_OBJECTS_ERROR, IMS_OBJECTS_ERROR_REFUSED,
                "S3 bucket name \"%s\" is invalid: %s", config->bucket, S3_get_status_name(valid));
    return NULL;
  }

  /* without a public endpoint, signed URLs name the endpoint itself */
  g_autofree char *public_host = g_strdup(config->endpoint);
  gboolean public_tls = config->use_tls;
  if (config->public_endpoint != NULL && config->public_endpoint[0] != '\0') {
    g_clear_pointer(&public_host, g_free);
    if (!ims_s3_parse_public_endpoint(config->public_endpoint, config->use_tls, &public_host,
                                      &public_tls, error))
      return NULL;
  }

  ImsS3Store *self = g_new0(ImsS3Store, 1);
  self->endpoint = g_strdup(config->endpoint);
  self->bucket = g_strdup(config->bucket);
  self->access_key = g_strdup(config->access_key);
  self->secret_key = g_strdup(config->secret_key);
  self->region = g_strdup(config->region != NULL ? config->region : "");
  self->config = *config;
  self->config.endpoint = self->endpoint;
  self->config.bucket = self->bucket;
  self->config.access_key = self->access_key;
  self->config.secret_key = self->secret_key;
  self->config.region = self->region;
  self->public_host = g_steal_pointer(&public_host);
  self->config.public_endpoint = NULL; /* parsed into presign_context below */
  if (self->config.timeout_seconds <= 0)
    self->config.timeout_seconds = 30;
  if (self->config.multipart_part_bytes < 5 * 1024 * 1024)
    self->config.multipart_part_bytes = 5 * 1024 * 1024;
  if (self->config.multipart_threshold_bytes <= 0)
    self->config.multipart_threshold_bytes = 64 * 1024 * 1024;

  self->context = (S3BucketContext){
    .hostName = self->endpoint,
    .bucketName = self->bucket,
    .protocol = config->use_tls ? S3ProtocolHTTPS : S3ProtocolHTTP,
    .uriStyle = style,
    .accessKeyId = self->access_key,
    .secretAccessKey = self->secret_key,
  };
  self->presign_context = self->context;
  self->presign_context.hostName = self->public_host;
  self->presign_context.protocol = public_tls ? S3ProtocolHTTPS : S3ProtocolHTTP;
  self->base.put_file = ims_s3_put_file;
  self->base.head = ims_s3_head;
  self->base.delete_object = ims_s3_delete;
  self->base.ping = ims_s3_ping;
  self->base.presign_get = ims_s3_presign_get;
  self->base.bucket = self->bucket;
  self->base.free = ims_s3_free;
  return &self->base;
}
