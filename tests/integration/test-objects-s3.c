/* test-objects-s3.c: the libs3 object store against a real S3 service (s3rver).
 *
 * Needs IMSD_TEST_S3 ("host:port" of a running service) and
 * IMSD_TEST_S3_BUCKET (an existing bucket; default credentials S3RVER /
 * S3RVER, or IMSD_TEST_S3_ACCESS_KEY / IMSD_TEST_S3_SECRET_KEY), e.g.
 *   scripts/s3.sh start
 *   IMSD_TEST_S3=127.0.0.1:4569 IMSD_TEST_S3_BUCKET=imsd meson test -C build --suite integration
 * Without them the test fails (it never passes silently).
 *
 * What the store wrote is read back independently with the curl program
 * (s3rver serves anonymous GETs) and hashed with sha256sum.  Failures are
 * provoked with a port nobody listens on (refused at once) and with a socket
 * that accepts connections but never answers (must time out).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "objects.h"

#define MIB (1024 * 1024)
#define TIMEOUT_SECONDS 2

static const char *endpoint;
static const char *bucket;
static char *work_dir;
static char *run_prefix; /* keys of this run live under it */

static ImsObjectStoreConfig
config_for(const char *at_endpoint)
{
  const char *access = g_getenv("IMSD_TEST_S3_ACCESS_KEY");
  const char *secret = g_getenv("IMSD_TEST_S3_SECRET_KEY");
  return (ImsObjectStoreConfig){
    .endpoint = at_endpoint,
    .bucket = bucket,
    .access_key = access != NULL ? access : "S3RVER",
    .secret_key = secret != NULL ? secret : "S3RVER",
    .use_tls = FALSE,
    .path_style = TRUE,
    .multipart_threshold_bytes = 5 * MIB,
    .multipart_part_bytes = 5 * MIB,
    .timeout_seconds = TIMEOUT_SECONDS,
  };
}

static ImsObjectStore *
store_new(const ImsObjectStoreConfig *config)
{
  g_autoptr(GError) error = NULL;
  ImsObjectStore *store = ims_object_store_s3_new(config, &error);
  if (store == NULL)
    fail_msg("ims_object_store_s3_new: %s", error->message);
  return store;
}

/* A file of size bytes of a pattern seeded by seed, in work_dir.  Transfer full. */
static char *
write_file(const char *name, gsize size, guint32 seed)
{
  char *path = g_build_filename(work_dir, name, NULL);
  guchar *data = g_malloc(size);
  GRand *rand = g_rand_new_with_seed(seed);
  for (gsize i = 0; i < size; i++)
    data[i] = (guchar) g_rand_int_range(rand, 0, 256);
  g_rand_free(rand);
  g_autoptr(GError) error = NULL;
  if (!g_file_set_contents(path, (const char *) data, (gssize) size, &error))
    fail_msg("%s", error->message);
  g_free(data);
  return path;
}

static char *
unique_key(const char *name)
{
  g_autoptr(GError) error = NULL;
  char *key = ims_object_key_build(run_prefix, "interview", "session", "question", 1, "take-id",
                                   name, &error);
  if (key == NULL)
    fail_msg("%s", error->message);
  return key;
}

/* Runs argv, fails the test unless it exits 0; returns its stdout.  Transfer full. */
static char *
run(const char *const *argv)
{
  char *out = NULL;
  char *err = NULL;
  int status = 0;
  g_autoptr(GError) error = NULL;
  if (!g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                    &status, &error))
    fail_msg("%s: %s", argv[0], error->message);
  if (!g_spawn_check_wait_status(status, &error))
    fail_msg("%s %s: %s: %s", argv[0], argv[1], error->message, err);
  g_free(err);
  return out;
}

/* GETs key anonymously with curl into a file; returns its path and sets
 * *content_type.  Transfer full. */
static char *
fetch(const char *key, char **content_type)
{
  g_autoptr(GString) url = g_string_new(NULL);
  g_string_printf(url, "http://%s/%s/", endpoint, bucket);
  for (const char *c = key; *c; c++) { /* keys hold [A-Za-z0-9._%/-]: escape the % */
    if (*c == '%')
      g_string_append(url, "%25");
    else
      g_string_append_c(url, *c);
  }
  char *path = g_build_filename(work_dir, "fetched", NULL);
  const char *argv[] = { "curl",   "-sS", "--fail", "-o", path, "-w", "%{content_type}",
                         url->str, NULL };
  char *type = run(argv);
  if (content_type != NULL)
    *content_type = type;
  else
    g_free(type);
  return path;
}

static void
assert_same_file(const char *a, const char *b)
{
  g_autofree char *data_a = NULL, *data_b = NULL;
  gsize length_a = 0, length_b = 0;
  assert_true(g_file_get_contents(a, &data_a, &length_a, NULL));
  assert_true(g_file_get_contents(b, &data_b, &length_b, NULL));
  assert_int_equal(length_a, length_b);
  assert_memory_equal(data_a, data_b, length_a);
}

/* The first word sha256sum prints for path.  Transfer full. */
static char *
sha256sum(const char *path)
{
  const char *argv[] = { "sha256sum", path, NULL };
  char *out = run(argv);
  char *space = strchr(out, ' ');
  assert_non_null(space);
  *space = '\0';
  return out;
}

static void
test_put_small_keeps_bytes_and_type(void **state)
{
  ImsObjectStoreConfig config = config_for(endpoint);
  g_autoptr(ImsObjectStore) store = store_new(&config);
  assert_string_equal(store->bucket, bucket);
  g_autofree char *path = write_file("small.bin", 1000, 1);
  g_autofree char *key = unique_key("small.webm");

  g_autoptr(GError) error = NULL;
  g_autofree char *checksum = NULL;
  assert_true(store->put_file(store, key, path, "video/webm", &checksum, &error));
  assert_null(error);
  g_autofree char *expected_sum = sha256sum(path);
  assert_string_equal(checksum, expected_sum);

  g_autofree char *type = NULL;
  g_autofree char *fetched = fetch(key, &type);
  assert_string_equal(type, "video/webm");
  assert_same_file(path, fetched);

  gint64 size = -1;
  assert_true(store->head(store, key, &size, &error));
  assert_int_equal(size, 1000);

  /* A second upload replaces the object. */
  g_autofree char *other = write_file("small2.bin", 333, 2);
  g_autofree char *other_checksum = NULL;
  assert_true(store->put_file(store, key, other, "audio/ogg", &other_checksum, &error));
  assert_string_not_equal(other_checksum, checksum);
  g_autofree char *type2 = NULL;
  g_autofree char *fetched2 = fetch(key, &type2);
  assert_string_equal(type2, "audio/ogg");
  assert_same_file(other, fetched2);
  assert_true(store->delete_object(store, key, &error));
}

static void
test_put_empty_file(void **state)
{
  ImsObjectStoreConfig config = config_for(endpoint);
  g_autoptr(ImsObjectStore) store = store_new(&config);
  g_autofree char *path = write_file("empty.bin", 0, 3);
  g_autofree char *key = unique_key("empty.bin");
  g_autoptr(GError) error = NULL;
  g_autofree char *checksum = NULL;
  assert_true(store->put_file(store, key, path, NULL, &checksum, &error));
  assert_string_equal(checksum, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  gint64 size = -1;
  assert_true(store->head(store, key, &size, &error));
  assert_int_equal(size, 0);
  assert_true(store->delete_object(store, key, &error));
}

static void
test_put_multipart(void **state)
{
  ImsObjectStoreConfig config = config_for(endpoint);
  g_autoptr(ImsObjectStore) store = store_new(&config);
  gsize size = 12 * MIB + 12345; /* three parts: 5 + 5 + 2 MiB and a bit */
  g_autofree char *path = write_file("big.bin", size, 4);
  g_autofree char *key = unique_key("big.mp4");

  g_autoptr(GError) error = NULL;
  g_autofree char *checksum = NULL;
  if (!store->put_file(store, key, path, "video/mp4", &checksum, &error))
    fail_msg("multipart put: %s", error->message);
  g_autofree char *expected_sum = sha256sum(path);
  assert_string_equal(checksum, expected_sum);

  gint64 head_size = -1;
  assert_true(store->head(store, key, &head_size, &error));
  assert_int_equal(head_size, size);
  g_autofree char *type = NULL;
  g_autofree char *fetched = fetch(key, &type);
  assert_string_equal(type, "video/mp4");
  assert_same_file(path, fetched);
  assert_true(store->delete_object(store, key, &error));
}

static void
test_escaped_key_round_trip(void **state)
{
  ImsObjectStoreConfig config = config_for(endpoint);
  g_autoptr(ImsObjectStore) store = store_new(&config);
  g_autoptr(GError) error = NULL;
  g_autofree char *key = ims_object_key_build(run_prefix, "../é x", "..", "a/b?c", 2, "take-id",
                                              "take.webm", &error);
  assert_non_null(key);
  g_autofree char *path = write_file("escaped.bin", 4096, 5);
  g_autofree char *checksum = NULL;
  if (!store->put_file(store, key, path, "video/webm", &checksum, &error))
    fail_msg("put %s: %s", key, error->message);
  gint64 size = -1;
  assert_true(store->head(store, key, &size, &error));
  assert_int_equal(size, 4096);
  g_autofree char *fetched = fetch(key, NULL);
  assert_same_file(path, fetched);
  assert_true(store->delete_object(store, key, &error));
}

static void
test_delete_then_head_is_not_found(void **state)
{
  ImsObjectStoreConfig config = config_for(endpoint);
  g_autoptr(ImsObjectStore) store = store_new(&config);
  g_autofree char *path = write_file("doomed.bin", 10, 6);
  g_autofree char *key = unique_key("doomed.bin");
  g_autoptr(GError) error = NULL;
  g_autofree char *checksum = NULL;
  assert_true(store->put_file(store, key, path, "application/octet-stream", &checksum, &error));
  assert_true(store->delete_object(store, key, &error));
  gint64 size = 77;
  assert_false(store->head(store, key, &size, &error));
  assert_true(g_error_matches(error, IMS_OBJECTS_ERROR, IMS_OBJECTS_ERROR_NOT_FOUND));
  assert_non_null(strstr(error->message, key));
  assert_int_equal(size, 77); /* untouched on failure */
  g_clear_error(&error);
  /* Deleting a missing key is not an error. */
  assert_true(store->delete_object(store, key, &error));
  assert_null(error);
}

static void
test_ping(void **state)
{
  ImsObjectStoreConfig config = config_for(endpoint);
  g_autoptr(ImsObjectStore) store = store_new(&config);
  g_autoptr(GError) error = NULL;
  assert_true(store->ping(store, &error));

  config.bucket = "imsd-no-such-bucket";
  g_autoptr(ImsObjectStore) missing = store_new(&config);
  assert_false(missing->ping(missing, &error));
  assert_true(g_error_matches(error, IMS_OBJECTS_ERROR, IMS_OBJECTS_ERROR_REFUSED));
}

static void
test_missing_local_file(void **state)
{
  ImsObjectStoreConfig config = config_for(endpoint);
  g_autoptr(ImsObjectStore) store = store_new(&config);
  g_autoptr(GError) error = NULL;
  g_autofree char *checksum = NULL;
  g_autofree char *key = unique_key("nothing.bin");
  assert_false(store->put_file(store, key, "/nonexistent/file", NULL, &checksum, &error));
  assert_true(g_error_matches(error, IMS_OBJECTS_ERROR, IMS_OBJECTS_ERROR_LOCAL));
  assert_null(checksum);
}

static void
test_wrong_credentials_are_refused(void **state)
{
  ImsObjectStoreConfig config = config_for(endpoint);
  config.secret_key = "not-the-secret";
  g_autoptr(ImsObjectStore) store = store_new(&config);
  g_autofree char *small = write_file("cred-small.bin", 100, 7);
  g_autofree char *big = write_file("cred-big.bin", 6 * MIB, 8);
  g_autofree char *key = unique_key("cred.bin");

  g_autoptr(GError) error = NULL;
  g_autofree char *checksum = NULL;
  assert_false(store->put_file(store, key, small, NULL, &checksum, &error));
  assert_true(g_error_matches(error, IMS_OBJECTS_ERROR, IMS_OBJECTS_ERROR_REFUSED));
  assert_non_null(strstr(error->message, key));
  g_clear_error(&error);
  assert_false(store->put_file(store, key, big, NULL, &checksum, &error));
  assert_true(g_error_matches(error, IMS_OBJECTS_ERROR, IMS_OBJECTS_ERROR_REFUSED));
  g_clear_error(&error);
  assert_false(store->ping(store, &error));
  assert_true(g_error_matches(error, IMS_OBJECTS_ERROR, IMS_OBJECTS_ERROR_REFUSED));
  g_clear_error(&error);

  config.access_key = "NOT-A-KEY";
  g_autoptr(ImsObjectStore) unknown = store_new(&config);
  assert_false(unknown->put_file(unknown, key, small, NULL, &checksum, &error));
  assert_true(g_error_matches(error, IMS_OBJECTS_ERROR, IMS_OBJECTS_ERROR_REFUSED));
  assert_null(checksum);
}

/* Every operation on store fails with UNAVAILABLE in under limit_seconds. */
static void
assert_all_unavailable(ImsObjectStore *store, double limit_seconds)
{
  g_autofree char *small = write_file("down-small.bin", 100, 9);
  g_autofree char *big = write_file("down-big.bin", 6 * MIB, 10);
  g_autofree char *key = unique_key("down.bin");
  const char *files[] = { small, big };
  for (int i = 0; i < 5; i++) {
    g_autoptr(GError) error = NULL;
    g_autofree char *checksum = NULL;
    gint64 size = 0;
    gint64 start = g_get_monotonic_time();
    gboolean ok;
    if (i < 2)
      ok = store->put_file(store, key, files[i], NULL, &checksum, &error);
    else if (i == 2)
      ok = store->head(store, key, &size, &error);
    else if (i == 3)
      ok = store->delete_object(store, key, &error);
    else
      ok = store->ping(store, &error);
    double elapsed = (double) (g_get_monotonic_time() - start) / G_USEC_PER_SEC;
    assert_false(ok);
    if (!g_error_matches(error, IMS_OBJECTS_ERROR, IMS_OBJECTS_ERROR_UNAVAILABLE))
      fail_msg("operation %d: expected UNAVAILABLE, got %d: %s", i, error->code, error->message);
    if (elapsed > limit_seconds)
      fail_msg("operation %d took %.1f s, more than %.1f s", i, elapsed, limit_seconds);
  }
}

static void
test_stopped_server_is_unavailable(void **state)
{
  /* A port that was just free: connections are refused. */
  g_autoptr(GSocket)
      probe = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new(loopback, 0);
  assert_true(g_socket_bind(probe, any_port, TRUE, NULL));
  g_autoptr(GSocketAddress) bound = g_socket_get_local_address(probe, NULL);
  guint16 port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
  g_socket_close(probe, NULL);

  g_autofree char *down = g_strdup_printf("127.0.0.1:%u", port);
  ImsObjectStoreConfig config = config_for(down);
  g_autoptr(ImsObjectStore) store = store_new(&config);
  assert_all_unavailable(store, 1.0);
}

static void
test_silent_server_times_out(void **state)
{
  /* Accepts connections (the kernel's backlog) but never answers. */
  g_autoptr(GSocket) silent = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                           G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new(loopback, 0);
  assert_true(g_socket_bind(silent, any_port, TRUE, NULL));
  g_socket_set_listen_backlog(silent, 64);
  assert_true(g_socket_listen(silent, NULL));
  g_autoptr(GSocketAddress) bound = g_socket_get_local_address(silent, NULL);
  g_autofree char *hung = g_strdup_printf(
      "127.0.0.1:%u", g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound)));
  ImsObjectStoreConfig config = config_for(hung);
  g_autoptr(ImsObjectStore) store = store_new(&config);
  assert_all_unavailable(store, TIMEOUT_SECONDS + 2.5);
}

/* GETs url with the curl program (no --fail: any answer counts), the body
 * into a file of work_dir, with "Range: bytes=range" unless range is NULL.
 * Returns the HTTP status; sets *body_path (transfer full). */
static long
fetch_url(const char *url, const char *range, char **body_path)
{
  char *path = g_build_filename(work_dir, "presigned", NULL);
  g_autofree char *range_header = range != NULL ? g_strconcat("Range: bytes=", range, NULL) : NULL;
  const char *argv[] = {
    "curl",       "-sS", "-o", path, "-w", "%{http_code}", url, range != NULL ? "-H" : NULL,
    range_header, NULL
  };
  g_autofree char *code = run(argv);
  *body_path = path;
  return strtol(code, NULL, 10);
}

/* The contents of path, NUL-terminated.  Transfer full. */
static char *
slurp(const char *path, gsize *length)
{
  char *data = NULL;
  if (!g_file_get_contents(path, &data, length, NULL))
    fail_msg("cannot read %s", path);
  return data;
}

/* The value of name= in url's query.  Transfer full. */
static char *
query_value(const char *url, const char *name)
{
  const char *query = strchr(url, '?');
  assert_non_null(query);
  g_auto(GStrv) pairs = g_strsplit(query + 1, "&", -1);
  g_autofree char *prefix = g_strconcat(name, "=", NULL);
  for (char **pair = pairs; *pair != NULL; pair++)
    if (g_str_has_prefix(*pair, prefix))
      return g_strdup(*pair + strlen(prefix));
  fail_msg("no %s in %s", name, url);
  return NULL;
}

static void
test_presign_get(void **state)
{
  ImsObjectStoreConfig config = config_for(endpoint);
  g_autoptr(ImsObjectStore) store = store_new(&config);
  g_autoptr(GError) error = NULL;
  /* Escaped ids: the key holds %XX, which must travel as %25XX and be signed so. */
  g_autofree char *key = ims_object_key_build(run_prefix, "presign/é x", "..", "q?&=+", 3,
                                              "take-id", "take.webm", &error);
  assert_non_null(key);
  assert_non_null(strchr(key, '%'));
  gsize size = 10000;
  g_autofree char *path = write_file("presign.bin", size, 11);
  g_autofree char *checksum = NULL;
  if (!store->put_file(store, key, path, "video/webm", &checksum, &error))
    fail_msg("put %s: %s", key, error->message);
  g_autofree char *original = NULL;
  gsize original_length = 0;
  assert_true(g_file_get_contents(path, &original, &original_length, NULL));

  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  g_autofree char *url = store->presign_get(store, key, 3, &error);
  if (url == NULL)
    fail_msg("presign_get: %s", error->message);
  /* Path style on the configured endpoint, key escaped (% -> %25). */
  g_autoptr(GString) escaped_key = g_string_new(NULL);
  for (const char *c = key; *c; c++) /* keys hold [A-Za-z0-9._%/-] */
    if (*c == '%')
      g_string_append(escaped_key, "%25");
    else
      g_string_append_c(escaped_key, *c);
  g_autofree char *expected_start = g_strdup_printf("http://%s/%s/%s?", endpoint, bucket,
                                                    escaped_key->str);
  if (!g_str_has_prefix(url, expected_start))
    fail_msg("url %s does not start with %s", url, expected_start);
  g_autofree char *access = query_value(url, "AWSAccessKeyId");
  assert_string_equal(access, config.access_key);
  g_autofree char *expires = query_value(url, "Expires");
  gint64 expires_at = g_ascii_strtoll(expires, NULL, 10);
  assert_in_range(expires_at, now + 3, now + 4);
  g_autofree char *signature = query_value(url, "Signature");
  assert_true(strlen(signature) >= 27);

  /* The whole object. */
  g_autofree char *body_path = NULL;
  assert_int_equal(fetch_url(url, NULL, &body_path), 200);
  assert_same_file(path, body_path);
  g_clear_pointer(&body_path, g_free);

  /* A range: 206 and exactly that slice. */
  assert_int_equal(fetch_url(url, "100-1099", &body_path), 206);
  gsize length = 0;
  g_autofree char *slice = slurp(body_path, &length);
  assert_int_equal(length, 1000);
  assert_memory_equal(slice, original + 100, 1000);
  g_clear_pointer(&body_path, g_free);

  /* A tampered signature: first character changed. */
  g_autofree char *tampered = g_strdup(url);
  char *sig = strstr(tampered, "Signature=") + strlen("Signature=");
  *sig = *sig == 'A' ? 'B' : 'A';
  assert_int_equal(fetch_url(tampered, NULL, &body_path), 403);
  g_autofree char *denied = slurp(body_path, NULL);
  assert_non_null(strstr(denied, "SignatureDoesNotMatch"));
  g_clear_pointer(&body_path, g_free);

  /* A later expiry than the one signed. */
  g_autofree char *extended = g_strdup(url);
  char *exp = strstr(extended, "Expires=") + strlen("Expires=");
  exp[strlen(expires) - 1] = exp[strlen(expires) - 1] == '9' ? '8' : exp[strlen(expires) - 1] + 1;
  assert_int_equal(fetch_url(extended, NULL, &body_path), 403);
  g_clear_pointer(&body_path, g_free);

  /* Signed with the wrong secret. */
  ImsObjectStoreConfig wrong = config;
  wrong.secret_key = "not-the-secret";
  g_autoptr(ImsObjectStore) wrong_store = store_new(&wrong);
  g_autofree char *wrong_url = wrong_store->presign_get(wrong_store, key, 60, &error);
  assert_non_null(wrong_url);
  assert_int_equal(fetch_url(wrong_url, NULL, &body_path), 403);
  g_clear_pointer(&body_path, g_free);

  /* Expired: s3rver answers AccessDenied "Request has expired". */
  while (g_get_real_time() / G_USEC_PER_SEC <= expires_at)
    g_usleep(G_USEC_PER_SEC / 4);
  g_usleep(G_USEC_PER_SEC);
  assert_int_equal(fetch_url(url, NULL, &body_path), 403);
  g_autofree char *expired = slurp(body_path, NULL);
  if (strstr(expired, "Request has expired") == NULL)
    fail_msg("expired URL answered: %s", expired);
  g_clear_pointer(&body_path, g_free);
  assert_int_equal(fetch_url(url, "0-9", &body_path), 403);
  g_clear_pointer(&body_path, g_free);

  assert_true(store->delete_object(store, key, &error));
}

/* [storage] s3_public_endpoint: the URL names another host of the same
 * s3rver ("localhost" for the store's "127.0.0.1"), as a reviewer's browser
 * reaches MinIO by a published address imsd does not use; the object
 * downloads from there, and s3rver still checks the signature. */
static void
test_presign_get_on_public_endpoint(void **state)
{
  const char *port = strrchr(endpoint, ':');
  if (port == NULL || !g_str_has_prefix(endpoint, "127.0.0.1:"))
    skip(); /* needs a service on 127.0.0.1 that localhost also reaches */
  g_autofree char *public_endpoint = g_strdup_printf("http://localhost%s", port);
  ImsObjectStoreConfig config = config_for(endpoint);
  config.public_endpoint = public_endpoint;
  g_autoptr(ImsObjectStore) store = store_new(&config);
  g_autoptr(GError) error = NULL;
  g_autofree char *key = unique_key("public.bin");
  g_autofree char *path = write_file("public.bin", 4096, 12);
  g_autofree char *checksum = NULL;
  if (!store->put_file(store, key, path, "video/mp4", &checksum, &error))
    fail_msg("put %s: %s", key, error->message);

  g_autofree char *url = store->presign_get(store, key, 60, &error);
  assert_non_null(url);
  g_autofree char *expected_start = g_strdup_printf("%s/%s/", public_endpoint, bucket);
  if (!g_str_has_prefix(url, expected_start))
    fail_msg("url %s does not start with %s", url, expected_start);
  g_autofree char *body_path = NULL;
  assert_int_equal(fetch_url(url, NULL, &body_path), 200);
  assert_same_file(path, body_path);
  g_clear_pointer(&body_path, g_free);

  g_autofree char *tampered = g_strdup(url);
  char *sig = strstr(tampered, "Signature=") + strlen("Signature=");
  *sig = *sig == 'A' ? 'B' : 'A';
  assert_int_equal(fetch_url(tampered, NULL, &body_path), 403);
  g_clear_pointer(&body_path, g_free);
  assert_true(store->delete_object(store, key, &error));
}

static void
test_presign_get_refuses_bad_arguments(void **state)
{
  ImsObjectStoreConfig config = config_for(endpoint);
  g_autoptr(ImsObjectStore) store = store_new(&config);
  g_autoptr(GError) error = NULL;
  g_autofree char *key = unique_key("never.bin");
  assert_null(store->presign_get(store, key, 0, &error));
  assert_true(g_error_matches(error, IMS_OBJECTS_ERROR, IMS_OBJECTS_ERROR_BAD_KEY));
  g_clear_error(&error);
  assert_null(store->presign_get(store, "", 60, &error));
  assert_true(g_error_matches(error, IMS_OBJECTS_ERROR, IMS_OBJECTS_ERROR_BAD_KEY));
  g_clear_error(&error);
  /* A valid URL for a missing key: the service says 404. */
  g_autofree char *url = store->presign_get(store, key, 60, &error);
  assert_non_null(url);
  g_autofree char *body_path = NULL;
  assert_int_equal(fetch_url(url, NULL, &body_path), 404);
}

static int
group_setup(void **state)
{
  endpoint = g_getenv("IMSD_TEST_S3");
  bucket = g_getenv("IMSD_TEST_S3_BUCKET");
  if (endpoint == NULL || *endpoint == '\0' || bucket == NULL || *bucket == '\0') {
    fprintf(stderr, "test-objects-s3: set IMSD_TEST_S3=host:port and IMSD_TEST_S3_BUCKET=bucket of a "
                    "running S3 service (scripts/s3.sh start prints the endpoint; bucket imsd)\n");
    return -1;
  }
  g_autoptr(GError) error = NULL;
  work_dir = g_dir_make_tmp("imsd-objects-XXXXXX", &error);
  if (work_dir == NULL) {
    fprintf(stderr, "test-objects-s3: %s\n", error->message);
    return -1;
  }
  run_prefix = g_strdup_printf("test/run-%" G_GINT64_FORMAT, g_get_real_time());
  return 0;
}

static int
group_teardown(void **state)
{
  if (work_dir != NULL) {
    g_autoptr(GDir) dir = g_dir_open(work_dir, 0, NULL);
    const char *name;
    while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
      g_autofree char *path = g_build_filename(work_dir, name, NULL);
      g_unlink(path);
    }
    g_rmdir(work_dir);
  }
  g_clear_pointer(&work_dir, g_free);
  g_clear_pointer(&run_prefix, g_free);
  return 0;
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_put_small_keeps_bytes_and_type),
    cmocka_unit_test(test_put_empty_file),
    cmocka_unit_test(test_put_multipart),
    cmocka_unit_test(test_escaped_key_round_trip),
    cmocka_unit_test(test_delete_then_head_is_not_found),
    cmocka_unit_test(test_ping),
    cmocka_unit_test(test_missing_local_file),
    cmocka_unit_test(test_wrong_credentials_are_refused),
    cmocka_unit_test(test_stopped_server_is_unavailable),
    cmocka_unit_test(test_silent_server_times_out),
    cmocka_unit_test(test_presign_get),
    cmocka_unit_test(test_presign_get_on_public_endpoint),
    cmocka_unit_test(test_presign_get_refuses_bad_arguments),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
