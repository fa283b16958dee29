/* objects-s3-curl.c: the S3 requests libs3 2.0 cannot make, over libcurl, signed with AWS signature V2.
 *
 * libs3 2.0 (Debian 12) cannot do multipart uploads, so this file speaks the
 * four requests itself:
 *
 *   POST   /bucket/key?uploads                      -> UploadId
 *   PUT    /bucket/key?partNumber=N&uploadId=ID     (N = 1, 2, ...; ETag of each part kept)
 *   POST   /bucket/key?uploadId=ID                  <CompleteMultipartUpload> of the ETags
 *   DELETE /bucket/key?uploadId=ID                  on any failure after the first step
 *
 * and the bucket check, GET /bucket?max-keys=1 (libs3 2.0 would sign it as
 * "/bucket/", which s3rver refuses).
 *
 * One upload: initiated -> parts uploaded in order -> completed (or aborted).
 * Each request has its own curl easy handle, so concurrent uploads from
 * several worker threads share nothing but curl's global state, initialized
 * once by ims_s3_curl_global_init().
 *
 * Timeouts: connecting may take timeout_seconds, and a request that moves no
 * byte for timeout_seconds is abandoned (CURLOPT_LOW_SPEED_*), so a large
 * part on a slow but live link is not cut off.
 */
#define G_LOG_DOMAIN "imsd.objects.s3"

#include "objects-s3-curl.h"

#include <curl/curl.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

/* S3's limits for multipart uploads. */
#define IMS_S3_MIN_PART_BYTES (5 * 1024 * 1024)
#define IMS_S3_MAX_PARTS 10000

/* Where a request's body comes from: a byte range of a file (read in order,
 * every byte fed to sha) or a buffer in memory. */
typedef struct {
  int fd;
  gint64 offset;
  gint64 remaining;
  GChecksum *sha;
  int read_errno; /* non-zero once a read failed or the file ended early */
  const char *memory;
  gsize memory_length;
  gsize memory_position;
} ImsS3Body;

/* What came back. */
typedef struct {
  CURLcode curl_code;
  char curl_error[CURL_ERROR_SIZE];
  long http_code;
  GString *text; /* response body */
  char *etag;
} ImsS3Reply;

static void
ims_s3_reply_clear(ImsS3Reply *reply)
{
  if (reply->text != NULL)
    g_string_free(reply->text, TRUE);
  g_free(reply->etag);
  memset(reply, 0, sizeof(*reply));
}

void
ims_s3_curl_global_init(void)
{
  curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Appends s percent-encoded, keeping RFC 3986 unreserved bytes (and "/" if
 * keep_slash): the encoding libs3 and s3rver use for keys. */
static void
ims_s3_append_encoded(GString *out, const char *s, gboolean keep_slash)
{
  for (const guchar *p = (const guchar *) s; *p != '\0'; p++) {
    if (g_ascii_isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~' ||
        (keep_slash && *p == '/'))
      g_string_append_c(out, (char) *p);
    else
      g_string_append_printf(out, "%%%02X", *p);
  }
}

/* RFC 1123 date in English whatever the locale. */
static char *
ims_s3_http_date(void)
{
  static const char *const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
  static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  return g_strdup_printf("%s, %02d %s %04d %02d:%02d:%02d GMT",
                         days[g_date_time_get_day_of_week(now) - 1],
                         g_date_time_get_day_of_month(now), months[g_date_time_get_month(now) - 1],
                         g_date_time_get_year(now), g_date_time_get_hour(now),
                         g_date_time_get_minute(now), g_date_time_get_second(now));
}

/* "AWS access:base64(HMAC-SHA1(secret, string to sign))".  The time goes in
 * x-amz-date, so the Date line is empty (as libs3 does; s3rver 3.7 only
 * verifies that form, it ignores a Date header when checking). */
static char *
ims_s3_authorization(const ImsObjectStoreConfig *config, const char *method,
                     const char *content_type, const char *date, const char *resource)
{
  g_autofree char *to_sign = g_strdup_printf("%s\n\n%s\n\nx-amz-date:%s\n%s", method,
                                             content_type != NULL ? content_type : "", date,
                                             resource);
  g_autoptr(GHmac) hmac = g_hmac_new(G_CHECKSUM_SHA1, (const guchar *) config->secret_key,
                                     strlen(config->secret_key));
  g_hmac_update(hmac, (const guchar *) to_sign, -1);
  guint8 digest[20];
  gsize digest_length = sizeof(digest);
  g_hmac_get_digest(hmac, digest, &digest_length);
  g_autofree char *signature = g_base64_encode(digest, digest_length);
  return g_strdup_printf("Authorization: AWS %s:%s", config->access_key, signature);
}

static size_t
ims_s3_read_body(char *buffer, size_t size, size_t count, void *user_data)
{
  ImsS3Body *body = user_data;
  size_t wanted = size * count;
  if (body->memory != NULL) {
    size_t n = MIN(wanted, body->memory_length - body->memory_position);
    memcpy(buffer, body->memory + body->memory_position, n);
    body->memory_position += n;
    return n;
  }
  if (body->remaining <= 0)
    return 0;
  size_t n = (size_t) MIN((gint64) wanted, body->remaining);
  ssize_t got;
  do {
    got = pread(body->fd, buffer, n, body->offset);
  } while (got < 0 && errno == EINTR);
  if (got <= 0) {
    body->read_errno = got < 0 ? errno : EIO; /* EIO: the file became shorter */
    return CURL_READFUNC_ABORT;
  }
  g_checksum_update(body->sha, (const guchar *) buffer, got);
  body->offset += got;
  body->remaining -= got;
  return (size_t) got;
}

static size_t
ims_s3_write_text(char *data, size_t size, size_t count, void *user_data)
{
  ImsS3Reply *reply = user_data;
  if (reply->text->len < 64 * 1024) /* replies here are small XML documents */
    g_string_append_len(reply->text, data, (gssize) (size * count));
  return size * count;
}

static size_t
ims_s3_read_header(char *data, size_t size, size_t count, void *user_data)
{
  ImsS3Reply *reply = user_data;
  size_t length = size * count;
  if (length > 5 && g_ascii_strncasecmp(data, "ETag:", 5) == 0) {
    g_free(reply->etag);
    reply->etag = g_strstrip(g_strndup(data + 5, length - 5));
  }
  return length;
}

/* Makes one signed request: method on key with the (sorted, encoded) query,
 * the body if any.  key NULL means the bucket itself; its query is then not
 * signed (bucket requests here carry no subresource, only max-keys).  Fills
 * reply; curl_code tells whether it reached the service at all.  Costs one
 * connection (no reuse between requests). */
static void
ims_s3_request(const ImsObjectStoreConfig *config, const char *method, const char *key,
               const char *query, const char *content_type, ImsS3Body *body, gint64 body_length,
               ImsS3Reply *reply)
{
  memset(reply, 0, sizeof(*reply));
  reply->text = g_string_new(NULL);

  g_autoptr(GString) path = g_string_new(NULL);
  if (key != NULL) {
    g_string_append_c(path, '/');
    ims_s3_append_encoded(path, key, TRUE);
  }
  g_autofree char *resource = key != NULL
                                  ? g_strdup_printf("/%s%s?%s", config->bucket, path->str, query)
                                  : g_strdup_printf("/%s%s", config->bucket,
                                                    config->path_style ? "" : "/");
  const char *scheme = config->use_tls ? "https" : "http";
  g_autofree char *url = config->path_style
                             ? g_strdup_printf("%s://%s/%s%s?%s", scheme, config->endpoint,
                                               config->bucket, path->str, query)
                             : g_strdup_printf("%s://%s.%s%s?%s", scheme, config->bucket,
                                               config->endpoint, key != NULL ? path->str : "/",
                                               query);

  g_autofree char *date = ims_s3_http_date();
  g_autofree char *date_header = g_strconcat("x-amz-date: ", date, NULL);
  g_autofree char *authorization = ims_s3_authorization(config, method, content_type, date,
                                                        resource);
  g_autofree char *type_header = content_type != NULL
                                     ? g_strconcat("Content-Type: ", content_type, NULL)
                                     : g_strdup("Content-Type:");
  struct curl_slist *headers = NULL;
  headers = curl_slist_append(headers, date_header);
  headers = curl_slist_append(headers, authorization);
  headers = curl_slist_append(headers, type_header);
  headers = curl_slist_append(headers, "Expect:");

  CURL *curl = curl_easy_init();
  if (curl == NULL) {
    reply->curl_code = CURLE_FAILED_INIT;
    g_strlcpy(reply->curl_error, "cannot create a curl handle", sizeof(reply->curl_error));
    curl_slist_free_all(headers);
    return;
  }
  curl_easy_setopt(curl, CURLOPT_URL, url);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, reply->curl_error);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, (long) config->timeout_seconds);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, (long) config->timeout_seconds);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, ims_s3_write_text);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, reply);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, ims_s3_read_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, reply);
  if (g_str_equal(method, "PUT")) {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t) body_length);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, ims_s3_read_body);
    curl_easy_setopt(curl, CURLOPT_READDATA, body);
  } else if (g_str_equal(method, "POST")) {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) body_length);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body != NULL ? body->memory : "");
  } else if (!g_str_equal(method, "GET")) {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
  }

  reply->curl_code = curl_easy_perform(curl);
  if (reply->curl_error[0] == '\0' && reply->curl_code != CURLE_OK)
    g_strlcpy(reply->curl_error, curl_easy_strerror(reply->curl_code), sizeof(reply->curl_error));
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply->http_code);
  curl_easy_cleanup(curl);
  curl_slist_free_all(headers);
}

/* The text of <element> in xml, or NULL.  Transfer full. */
static char *
ims_s3_xml_text(const char *xml, const char *element)
{
  g_autofree char *open = g_strdup_printf("<%s>", element);
  g_autofree char *close = g_strdup_printf("</%s>", element);
  const char *start = strstr(xml, open);
  if (start == NULL)
    return NULL;
  start += strlen(open);
  const char *end = strstr(start, close);
  return end != NULL ? g_strndup(start, (gsize) (end - start)) : NULL;
}

/* TRUE if reply is a success; otherwise sets error (naming key and step) with
 * the code the failure maps to.  A 200 whose body is an <Error> (which
 * CompleteMultipartUpload may send) is a failure. */
static gboolean
ims_s3_reply_check(const ImsS3Reply *reply, const ImsS3Body *body, const char *verb,
                   const char *key, const char *step, GError **error)
{
  if (body != NULL && body->read_errno != 0) {
    g_set_error(error, IMS_OBJECTS_ERROR, IMS_OBJECTS_ERROR_LOCAL,
                "cannot %s %s: reading the file failed during %s: %s", verb, key, step,
                g_strerror(body->read_errno));
    return FALSE;
  }
  if (reply->curl_code != CURLE_OK) {
    g_set_error(error, IMS_OBJECTS_ERROR, IMS_OBJECTS_ERROR_UNAVAILABLE,
                "cannot %s %s: %s failed: %s", verb, key, step, reply->curl_error);
    return FALSE;
  }
  gboolean error_document = strstr(reply->text->str, "<Error>") != NULL;
  if (reply->http_code >= 200 && reply->http_code < 300 && !error_document)
    return TRUE;

  g_debug("%s of %s: HTTP %ld: %s", step, key, reply->http_code, reply->text->str);
  g_autofree char *code = ims_s3_xml_text(reply->text->str, "Code");
  g_autofree char *message = ims_s3_xml_text(reply->text->str, "Message");
  gboolean retry = reply->http_code >= 500 || reply->http_code == 408 || reply->http_code == 429 ||
                   (reply->http_code < 300) || /* an <Error> inside a 200: S3 says retry */
                   g_strcmp0(code, "NoSuchUpload") == 0 || g_strcmp0(code, "SlowDown") == 0 ||
                   g_strcmp0(code, "InternalError") == 0 || g_strcmp0(code, "RequestTimeout") == 0;
  g_set_error(error, IMS_OBJECTS_ERROR,
              retry ? IMS_OBJECTS_ERROR_UNAVAILABLE : IMS_OBJECTS_ERROR_REFUSED,
              "cannot %s %s: %s answered HTTP %ld %s%s%s", verb, key, step, reply->http_code,
              code != NULL ? code : "(no error code)", message != NULL ? ": " : "",
              message != NULL ? message : "");
  return FALSE;
}

static void
ims_s3_multipart_abort(const ImsObjectStoreConfig *config, const char *key, const char *query)
{
  ImsS3Reply reply;
  ims_s3_request(config, "DELETE", key, query, NULL, NULL, 0, &reply);
  if (reply.curl_code != CURLE_OK || reply.http_code >= 300)
    g_warning("cannot abort the multipart upload of %s (%s, HTTP %ld); the service keeps its parts "
              "until its lifecycle rules drop them",
              key, reply.curl_code != CURLE_OK ? reply.curl_error : "answered", reply.http_code);
  ims_s3_reply_clear(&reply);
}

gboolean
ims_s3_curl_multipart_upload(const ImsObjectStoreConfig *config, const char *key, int fd,
                             gint64 size, const char *content_type, gint64 part_bytes,
                             GChecksum *sha, GError **error)
{
  /* Parts are at least 5 MiB (S3's minimum) and at most 10000. */
  part_bytes = MAX(part_bytes, IMS_S3_MIN_PART_BYTES);
  if (size / part_bytes >= IMS_S3_MAX_PARTS)
    part_bytes = size / (IMS_S3_MAX_PARTS - 1) + 1;

  ImsS3Reply reply;
  ims_s3_request(config, "POST", key, "uploads", content_type, NULL, 0, &reply);
  if (!ims_s3_reply_check(&reply, NULL, "upload", key, "initiating the multipart upload", error)) {
    ims_s3_reply_clear(&reply);
    return FALSE;
  }
  g_autofree char *upload_id = ims_s3_xml_text(reply.text->str, "UploadId");
  ims_s3_reply_clear(&reply);
  if (upload_id == NULL || upload_id[0] == '\0') {
    g_set_error(error, IMS_OBJECTS_ERROR, IMS_OBJECTS_ERROR_UNAVAILABLE,
                "cannot upload %s: the service sent no UploadId", key);
    return FALSE;
  }
  g_autoptr(GString) encoded_id = g_string_new(NULL);
  ims_s3_append_encoded(encoded_id, upload_id, FALSE);
  g_autofree char *upload_query = g_strconcat("uploadId=", encoded_id->str, NULL);

  g_autoptr(GString) manifest = g_string_new("<CompleteMultipartUpload>");
  gint64 offset = 0;
  for (int part = 1; offset < size || part == 1; part++) {
    gint64 length = MIN(part_bytes, size - offset);
    ImsS3Body body = { .fd = fd, .offset = offset, .remaining = length, .sha = sha };
    g_autofree char *query = g_strdup_printf("partNumber=%d&%s", part, upload_query);
    g_autofree char *step = g_strdup_printf("part %d", part);
    ims_s3_request(config, "PUT", key, query, NULL, &body, length, &reply);
    if (!ims_s3_reply_check(&reply, &body, "upload", key, step, error)) {
      ims_s3_reply_clear(&reply);
      ims_s3_multipart_abort(config, key, upload_query);
      return FALSE;
    }
    if (reply.etag == NULL) {
      g_set_error(error, IMS_OBJECTS_ERROR, IMS_OBJECTS_ERROR_UNAVAILABLE,
                  "cannot upload %s: the service sent no ETag for part %d", key, part);
      ims_s3_reply_clear(&reply);
      ims_s3_multipart_abort(config, key, upload_query);
      return FALSE;
    }
    g_string_append_printf(manifest, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>",
                           part, reply.etag);
    ims_s3_reply_clear(&reply);
    offset += length;
  }
  g_string_append(manifest, "</CompleteMultipartUpload>");

  ImsS3Body manifest_body = { .memory = manifest->str, .memory_length = manifest->len };
  ims_s3_request(config, "POST", key, upload_query, "application/xml", &manifest_body,
                 (gint64) manifest->len, &reply);
  gboolean ok = ims_s3_reply_check(&reply, NULL, "upload", key, "completing the multipart upload",
                                   error);
  ims_s3_reply_clear(&reply);
  if (!ok)
    ims_s3_multipart_abort(config, key, upload_query);
  return ok;
}

gboolean
ims_s3_curl_ping(const ImsObjectStoreConfig *config, GError **error)
{
  ImsS3Reply reply;
  ims_s3_request(config, "GET", NULL, "max-keys=1", NULL, NULL, 0, &reply);
  gboolean ok = ims_s3_reply_check(&reply, NULL, "list bucket", config->bucket, "the request",
                                   error);
  ims_s3_reply_clear(&reply);
  return ok;
}
