/* test-objects.c: unit tests for ims_object_key_build() (server/storage/objects.c)
 * and for the signed URLs of the S3 store (presign_get, server/storage/objects-s3.c).
 *
 * Every accepted key is also checked structurally (key_assert_safe): exactly
 * the expected number of "/"-separated segments, none empty, ".", or "..",
 * only bytes from [A-Za-z0-9._%-], so an id can never add or climb a level.
 *
 * Signed URLs are made offline (presign_get sends nothing) and checked
 * against an AWS signature V2 computed here from the secret: the URL names
 * the public endpoint when one is set, and its Signature is the HMAC-SHA1 of
 * "GET\n\n\n{Expires}\n/{bucket}/{key}", which holds no host, so it is valid
 * for the public host.  tests/integration/test-objects-s3.c fetches one
 * from s3rver by another host name.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>

#include "objects.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

/* Asserts key has segment_count segments and holds no path trick. */
static void
key_assert_safe(const char *key, guint segment_count)
{
  assert_non_null(key);
  assert_null(strstr(key, "/../"));
  assert_null(strstr(key, "//"));
  assert_true(key[0] != '/');
  g_auto(GStrv) segments = g_strsplit(key, "/", -1);
  assert_int_equal(g_strv_length(segments), segment_count);
  for (guint i = 0; segments[i] != NULL; i++) {
    assert_true(segments[i][0] != '\0');
    assert_false(g_str_equal(segments[i], "."));
    assert_false(g_str_equal(segments[i], ".."));
    for (const char *c = segments[i]; *c; c++)
      assert_true(g_ascii_isalnum(*c) || strchr("._-%", *c) != NULL);
  }
}

/* Builds with one interview id, the others fixed; checks the key is safe. */
static char *
build_with_interview(const char *interview_id, GError **error)
{
  char *key = ims_object_key_build("media", interview_id, "s1", "q1", 2, "t1", "take.webm", error);
  if (key != NULL)
    key_assert_safe(key, 6);
  return key;
}

static void
assert_bad_key(char *key, GError *error)
{
  assert_null(key);
  assert_non_null(error);
  assert_true(g_error_matches(error, IMS_OBJECTS_ERROR, IMS_OBJECTS_ERROR_BAD_KEY));
}

static void
test_normal_ids(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *key = ims_object_key_build("media", "iv-123", "sess_9", "Q.1", 3, "t1",
                                              "recording.webm", &error);
  assert_null(error);
  assert_string_equal(key, "media/iv-123/sess_9/Q.1/take-3-t1/recording.webm");
  key_assert_safe(key, 6);
}

static void
test_take_number(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *zero = ims_object_key_build(NULL, "a", "b", "c", 0, "t1", "f", &error);
  assert_string_equal(zero, "a/b/c/take-0-t1/f");
  g_autofree char *big = ims_object_key_build(NULL, "a", "b", "c", 2147483647, "t1", "f", &error);
  assert_string_equal(big, "a/b/c/take-2147483647-t1/f");
  char *negative = ims_object_key_build(NULL, "a", "b", "c", -1, "t1", "f", &error);
  assert_bad_key(negative, error);
}

static void
test_path_tricks_are_escaped(void **state)
{
  const struct {
    const char *id;
    const char *escaped;
  } cases[] = {
    { "../etc", "..%2Fetc" },
    { "..", "%2E%2E" },
    { ".", "%2E" },
    { "...", "..." }, /* three dots is an ordinary name */
    { "a/b", "a%2Fb" },
    { "/", "%2F" },
    { "../../..", "..%2F..%2F.." },
    { "a\\b", "a%5Cb" },
    { "%2F", "%252F" }, /* an escape in the input is escaped again */
    { "é", "%C3%A9" },
    { "sp ace?&=#", "sp%20ace%3F%26%3D%23" },
    { "\t\n\x7f", "%09%0A%7F" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autofree char *key = build_with_interview(cases[i].id, &error);
    assert_null(error);
    g_autofree char *expected = g_strdup_printf("media/%s/s1/q1/take-2-t1/take.webm",
                                                cases[i].escaped);
    assert_string_equal(key, expected);
  }
}

static void
test_every_position_is_escaped(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *key = ims_object_key_build(NULL, "..", "../x", "a/b", 1, "t1", "..", &error);
  assert_null(error);
  assert_string_equal(key, "%2E%2E/..%2Fx/a%2Fb/take-1-t1/%2E%2E");
  key_assert_safe(key, 5);
}

static void
test_refused_ids(void **state)
{
  g_autofree char *long_ok = g_strnfill(256, 'x');
  g_autofree char *too_long = g_strnfill(257, 'x');
  const char *invalid[] = { "", "\xff", "ab\xc3", "\xc0\xaf", "\xed\xa0\x80", too_long };
  for (gsize i = 0; i < G_N_ELEMENTS(invalid); i++) {
    g_autoptr(GError) error = NULL;
    char *key = build_with_interview(invalid[i], &error);
    assert_bad_key(key, error);
  }
  g_autoptr(GError) error = NULL;
  char *refused = ims_object_key_build(NULL, NULL, "b", "c", 1, "t1", "f", &error);
  assert_bad_key(refused, error);
  g_clear_error(&error);
  refused = ims_object_key_build(NULL, "a", "", "c", 1, "t1", "f", &error);
  assert_bad_key(refused, error);
  g_clear_error(&error);
  refused = ims_object_key_build(NULL, "a", "b", "\xfe", 1, "t1", "f", &error);
  assert_bad_key(refused, error);
  g_clear_error(&error);
  refused = ims_object_key_build(NULL, "a", "b", "c", 1, "t1", "", &error);
  assert_bad_key(refused, error);
  g_clear_error(&error);

  /* 256 bytes is the limit, inclusive. */
  g_autofree char *key = build_with_interview(long_ok, &error);
  assert_null(error);
  assert_non_null(key);
}

static void
test_escaped_key_too_long(void **state)
{
  /* Each id fits (256 bytes) but escaping triples it: past S3's 1024 bytes. */
  g_autofree char *slashes = g_strnfill(256, '/');
  g_autoptr(GError) error = NULL;
  char *refused = ims_object_key_build(NULL, slashes, slashes, "q", 1, "t1", "f", &error);
  assert_bad_key(refused, error);
}

static void
test_prefixes(void **state)
{
  const struct {
    const char *prefix;
    const char *expected; /* NULL: refused */
  } cases[] = {
    { NULL, "i/s/q/take-1-t1/f" },
    { "", "i/s/q/take-1-t1/f" },
    { "/", "i/s/q/take-1-t1/f" },
    { "media", "media/i/s/q/take-1-t1/f" },
    { "/media/", "media/i/s/q/take-1-t1/f" },
    { "a/b", "a/b/i/s/q/take-1-t1/f" },
    { "a/../b", "a/%2E%2E/b/i/s/q/take-1-t1/f" },
    { "../a", "%2E%2E/a/i/s/q/take-1-t1/f" },
    { "./a", "%2E/a/i/s/q/take-1-t1/f" },
    { "a b/é", "a%20b/%C3%A9/i/s/q/take-1-t1/f" },
    { "a//b", NULL },
    { "//", NULL },
    { "a/\xff", NULL },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autofree char *key = ims_object_key_build(cases[i].prefix, "i", "s", "q", 1, "t1", "f",
                                                &error);
    if (cases[i].expected == NULL) {
      assert_bad_key(g_steal_pointer(&key), error);
      continue;
    }
    assert_null(error);
    assert_string_equal(key, cases[i].expected);
    guint slashes = 0;
    for (const char *c = cases[i].expected; *c; c++)
      slashes += *c == '/';
    key_assert_safe(key, slashes + 1);
  }
}

/* Keys are unique per take by construction: two takes of one question, and
 * two questions with the same id (once the second answer overwrote the
 * first in S3), never share a key, because the take id is in the key. */
static void
test_keys_are_unique_per_take(void **state)
{
  g_autoptr(GError) error = NULL;
  const char *take_a = "6f1c0b3e-7a0d-4a52-9d3c-0c1f7a2b9e11";
  const char *take_b = "0b9d7c1e-2f4a-4e8b-a1c3-5d6e7f8a9b0c";
  /* question 1 and question 2 both named "q1", each its first take */
  g_autofree char *first = ims_object_key_build("m", "i", "s", "q1", 1, take_a, "video.mp4", &error);
  g_autofree char *second = ims_object_key_build("m", "i", "s", "q1", 1, take_b, "video.mp4",
                                                 &error);
  assert_null(error);
  assert_string_not_equal(first, second);
  assert_string_equal(first, "m/i/s/q1/take-1-6f1c0b3e-7a0d-4a52-9d3c-0c1f7a2b9e11/video.mp4");
  key_assert_safe(first, 6);
  /* two takes of one question */
  g_autofree char *retake = ims_object_key_build("m", "i", "s", "q1", 2, take_b, "video.mp4",
                                                 &error);
  assert_null(error);
  assert_string_not_equal(first, retake);
  assert_string_not_equal(second, retake);
  /* the take id is escaped like any id, and required */
  g_autofree char *tricky = ims_object_key_build(NULL, "i", "s", "q", 1, "../x", "f", &error);
  assert_string_equal(tricky, "i/s/q/take-1-..%2Fx/f");
  key_assert_safe(tricky, 5);
  char *refused = ims_object_key_build(NULL, "i", "s", "q", 1, NULL, "f", &error);
  assert_bad_key(refused, error);
  g_clear_error(&error);
  refused = ims_object_key_build(NULL, "i", "s", "q", 1, "", "f", &error);
  assert_bad_key(refused, error);
}

static void
test_error_message_never_holds_raw_bytes(void **state)
{
  g_autoptr(GError) error = NULL;
  char *key = build_with_interview("bad\xff", &error);
  assert_null(key);
  assert_non_null(error);
  assert_true(g_utf8_validate(error->message, -1, NULL));
  assert_non_null(strstr(error->message, "interview id"));
}

/* The S3 store of a test: bucket "imsd", fixed credentials, nothing sent. */
static ImsObjectStore *
presign_store_new(const char *endpoint, const char *public_endpoint, gboolean use_tls,
                  gboolean path_style, GError **error)
{
  ImsObjectStoreConfig config = {
    .endpoint = endpoint,
    .public_endpoint = public_endpoint,
    .bucket = "imsd",
    .access_key = "AKIDEXAMPLE",
    .secret_key = SECRET,
    .use_tls = use_tls,
    .path_style = path_style,
  };
  return ims_object_store_s3_new(&config, error);
}

/* The decoded value of query parameter name in url (NULL if absent).  Transfer full. */
static char *
query_value(const char *url, const char *name)
{
  const char *query = strchr(url, '?');
  assert_non_null(query);
  g_auto(GStrv) pairs = g_strsplit(query + 1, "&", -1);
  for (guint i = 0; pairs[i] != NULL; i++) {
    const char *equals = strchr(pairs[i], '=');
    if (equals != NULL && (gsize) (equals - pairs[i]) == strlen(name) &&
        strncmp(pairs[i], name, strlen(name)) == 0)
      return g_uri_unescape_string(equals + 1, NULL);
  }
  return NULL;
}

/* Asserts url's Signature is the V2 signature of a GET of resource
 * ("/{bucket}/{key}" as in the URL) until its Expires, with SECRET. */
static void
assert_v2_signature(const char *url, const char *resource)
{
  g_autofree char *access = query_value(url, "AWSAccessKeyId");
  g_autofree char *expires = query_value(url, "Expires");
  g_autofree char *signature = query_value(url, "Signature");
  assert_string_equal(access, "AKIDEXAMPLE");
  assert_non_null(expires);
  assert_non_null(signature);
  g_autofree char *to_sign = g_strdup_printf("GET\n\n\n%s\n%s", expires, resource);
  g_autoptr(GHmac) hmac = g_hmac_new(G_CHECKSUM_SHA1, (const guchar *) SECRET, strlen(SECRET));
  g_hmac_update(hmac, (const guchar *) to_sign, -1);
  guint8 digest[20];
  gsize digest_length = sizeof digest;
  g_hmac_get_digest(hmac, digest, &digest_length);
  g_autofree char *expected = g_base64_encode(digest, digest_length);
  assert_string_equal(signature, expected);
}

/* A signed URL of key from store, which must sign.  Transfer full. */
static char *
presign(ImsObjectStore *store, const char *key)
{
  g_autoptr(GError) error = NULL;
  char *url = store->presign_get(store, key, 600, &error);
  if (url == NULL)
    fail_msg("presign_get: %s", error->message);
  return url;
}

static void
test_presign_without_public_endpoint(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsObjectStore) store = presign_store_new("10.0.0.5:9000", NULL, FALSE, TRUE, &error);
  assert_non_null(store);
  g_autofree char *url = presign(store, "media/i/s/q/take-1-t1/video.mp4");
  assert_true(g_str_has_prefix(url, "http://10.0.0.5:9000/imsd/media/i/s/q/take-1-t1/video.mp4?"));
  assert_v2_signature(url, "/imsd/media/i/s/q/take-1-t1/video.mp4");
  /* "" is no public endpoint either */
  g_autoptr(ImsObjectStore) empty = presign_store_new("10.0.0.5:9000", "", TRUE, TRUE, &error);
  g_autofree char *tls_url = presign(empty, "k");
  assert_true(g_str_has_prefix(tls_url, "https://10.0.0.5:9000/imsd/k?"));
}

static void
test_presign_names_public_endpoint(void **state)
{
  const struct {
    const char *public_endpoint;
    gboolean use_tls; /* of the internal endpoint */
    const char *prefix;
  } cases[] = {
    { "https://media.example.com", FALSE, "https://media.example.com/imsd/" },
    { "https://media.example.com/", FALSE, "https://media.example.com/imsd/" },
    { "http://203.0.113.7:9000", TRUE, "http://203.0.113.7:9000/imsd/" },
    { "media.example.com:8443", TRUE, "https://media.example.com:8443/imsd/" },
    { "media.example.com:9000", FALSE, "http://media.example.com:9000/imsd/" },
    { "[2001:db8::7]:9000", FALSE, "http://[2001:db8::7]:9000/imsd/" },
  };
  const char *key = "media/%2E%2E/s/q/take-1-t1/video.mp4"; /* an escaped id: % travels as %25 */
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(ImsObjectStore) store = presign_store_new("minio:9000", cases[i].public_endpoint,
                                                        cases[i].use_tls, TRUE, &error);
    if (store == NULL)
      fail_msg("%s: %s", cases[i].public_endpoint, error->message);
    g_autofree char *url = presign(store, key);
    g_autofree char *expected = g_strdup_printf("%smedia/%%252E%%252E/s/q/take-1-t1/video.mp4?",
                                                cases[i].prefix);
    if (!g_str_has_prefix(url, expected))
      fail_msg("%s: %s does not start with %s", cases[i].public_endpoint, url, expected);
    assert_null(strstr(url, "minio"));
    assert_v2_signature(url, "/imsd/media/%252E%252E/s/q/take-1-t1/video.mp4");
  }
}

static void
test_presign_public_endpoint_virtual_host(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsObjectStore)
      store = presign_store_new("s3.internal:9000", "https://s3.example.com", FALSE, FALSE, &error);
  assert_non_null(store);
  g_autofree char *url = presign(store, "media/k.mp4");
  assert_true(g_str_has_prefix(url, "https://imsd.s3.example.com/media/k.mp4?"));
  /* V2 signs the bucket in the resource, not the host */
  assert_v2_signature(url, "/imsd/media/k.mp4");
}

/* The same key signed at the same second by a store with and one without a
 * public endpoint: one signature, so the service checks it the same way
 * whichever host the request came in by. */
static void
test_presign_signature_ignores_host(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsObjectStore)
      internal = presign_store_new("127.0.0.1:4569", NULL, FALSE, TRUE, &error);
  g_autoptr(ImsObjectStore) public = presign_store_new("127.0.0.1:4569", "https://cdn.example.org",
                                                       FALSE, TRUE, &error);
  assert_non_null(internal);
  assert_non_null(public);
  for (int attempt = 0; attempt < 3; attempt++) {
    g_autofree char *a = presign(internal, "media/x");
    g_autofree char *b = presign(public, "media/x");
    g_autofree char *expires_a = query_value(a, "Expires");
    g_autofree char *expires_b = query_value(b, "Expires");
    if (!g_str_equal(expires_a, expires_b))
      continue; /* a second boundary fell between them */
    g_autofree char *signature_a = query_value(a, "Signature");
    g_autofree char *signature_b = query_value(b, "Signature");
    assert_string_equal(signature_a, signature_b);
    assert_string_equal(strchr(a, '?'), strchr(b, '?'));
    return;
  }
  fail_msg("three second boundaries in a row");
}

static void
test_public_endpoint_refused(void **state)
{
  g_autofree char *long_host = g_strnfill(300, 'h');
  const char *refused[] = {
    "ftp://media.example.com",
    "http://",
    "https:///",
    "media.example.com/s3",
    "http://h/path/",
    "user@media.example.com",
    "http://user:pw@h",
    "h?x=1",
    "h#x",
    "a b",
    "http://h:99999",
    "h:0",
    "h:port",
    "[::1",
    "http://http://h",
    long_host,
  };
  for (gsize i = 0; i < G_N_ELEMENTS(refused); i++) {
    g_autoptr(GError) error = NULL;
    ImsObjectStore *store = presign_store_new("minio:9000", refused[i], FALSE, TRUE, &error);
    if (store != NULL)
      fail_msg("public endpoint \"%s\" was accepted", refused[i]);
    assert_true(g_error_matches(error, IMS_OBJECTS_ERROR, IMS_OBJECTS_ERROR_REFUSED));
    assert_non_null(strstr(error->message, "public endpoint"));
  }
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_normal_ids),
    cmocka_unit_test(test_take_number),
    cmocka_unit_test(test_path_tricks_are_escaped),
    cmocka_unit_test(test_every_position_is_escaped),
    cmocka_unit_test(test_refused_ids),
    cmocka_unit_test(test_escaped_key_too_long),
    cmocka_unit_test(test_prefixes),
    cmocka_unit_test(test_keys_are_unique_per_take),
    cmocka_unit_test(test_error_message_never_holds_raw_bytes),
    cmocka_unit_test(test_presign_without_public_endpoint),
    cmocka_unit_test(test_presign_names_public_endpoint),
    cmocka_unit_test(test_presign_public_endpoint_virtual_host),
    cmocka_unit_test(test_presign_signature_ignores_host),
    cmocka_unit_test(test_public_endpoint_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
