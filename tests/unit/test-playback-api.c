/* test-playback-api.c: unit tests for server/http/playback-api.c through the
 * router (api.h), with the store and the object store replaced at their
 * seams: the take number's parsing, odd paths (non-numeric, huge or signed n,
 * path traversal in questionId), the candidate token (forged, expired,
 * another session's) and which answer each processing state gets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <json-glib/json-glib.h>

#include "api.h"
#include "api-calls.h"
#include "playback-api.h"
#include "token.h"

#define SECRET "playback-api-unit-test-secret-0123456789"
#define SESSION_ID "22222222-2222-4222-8222-222222222222"
#define OTHER_SESSION_ID "66666666-6666-4666-8666-666666666666"
#define TAKE_ID "55555555-5555-4555-8555-555555555555"
#define PATH "/api/v1/candidate/sessions/" SESSION_ID "/questions/q1/takes/"

typedef struct {
  ImsStore base;
  ImsObjectStore objects;
  const char *processing_status; /* of the one take */
  gboolean original, mp4;        /* which files are stored */
  int audits;
  char *audit_target;
} FakeStore;

static ImsSessionRecord *
fake_load_session(ImsStore *base, const char *session_id, GError **error)
{
  FakeStore *store = (FakeStore *) base;
  if (!g_str_equal(session_id, SESSION_ID)) {
    g_set_error_literal(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND, "no session");
    return NULL;
  }
  ImsSessionRecord *session = ims_session_record_new();
  session->id = g_strdup(session_id);
  session->user_id = g_strdup("u-c");
  g_ptr_array_add(session->questions, ims_question_new("q1", "Why?", 60));
  ImsTake *take = ims_take_new();
  take->id = g_strdup(TAKE_ID);
  take->session_id = g_strdup(session_id);
  take->number = 1;
  take->status = IMS_TAKE_COMPLETED;
  take->processing_status = g_strdup(store->processing_status);
  g_ptr_array_add(session->takes, take);
  return session;
}

static void
add_file(GPtrArray *files, const char *kind, const char *key)
{
  ImsMediaFile *file = ims_media_file_new();
  file->id = g_strdup(g_str_equal(kind, "original") ? TAKE_ID : "77777777-7777-4777-8777-777777777777");
  file->take_id = g_strdup(TAKE_ID);
  file->session_id = g_strdup(SESSION_ID);
  file->kind = g_strdup(kind);
  file->key = g_strdup(key);
  file->content_type = g_strdup(g_str_equal(kind, "original") ? "video/x-matroska" : "video/mp4");
  g_ptr_array_add(files, file);
}

static GPtrArray *
fake_list_files(ImsStore *base, const char *session_id, GError **error)
{
  FakeStore *store = (FakeStore *) base;
  GPtrArray *files = g_ptr_array_new_with_free_func((GDestroyNotify) ims_media_file_free);
  if (store->original)
    add_file(files, "original", "take/original.mkv");
  if (store->mp4)
    add_file(files, "video/mp4", "take/video.mp4");
  return files;
}

static gboolean
fake_add_audit(ImsStore *base, const ImsAuditEntry *entry, GError **error)
{
  FakeStore *store = (FakeStore *) base;
  store->audits++;
  g_free(store->audit_target);
  store->audit_target = g_strdup(entry->target);
  assert_string_equal(entry->role, "candidate");
  return TRUE;
}

static char *
fake_presign(ImsObjectStore *objects, const char *key, int expires_seconds, GError **error)
{
  return g_strdup_printf("https://s3.test/%s?expires=%d", key, expires_seconds);
}

typedef struct {
  FakeStore store;
  ImsConfig *config;
  ImsApi api;
} Fixture;

static int
setup(void **state)
{
  g_autoptr(GError) error = NULL;
  Fixture *f = g_new0(Fixture, 1);
  f->config = ims_config_new();
  if (!ims_config_load_data(f->config,
                            "[auth]\nservice_token=playback-service-token\ntoken_secret=" SECRET "\n",
                            -1, "test-playback-api", &error))
    fail_msg("%s", error->message);
  f->store.base.sessions.load_session = fake_load_session;
  f->store.base.review.list_session_media_files = fake_list_files;
  f->store.base.review.add_audit = fake_add_audit;
  f->store.objects.presign_get = fake_presign;
  f->store.processing_status = "pending";
  f->api.config = f->config;
  f->api.store = &f->store.base;
  f->api.objects = &f->store.objects;
  f->api.review_secret = "";
  f->api.signed_url_seconds = 300;
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *f = *state;
  g_free(f->store.audit_target);
  ims_config_free(f->config);
  g_free(f);
  return 0;
}

/* "Bearer <candidate token of session_id>", issued issued_ago seconds ago for ttl seconds. */
static char *
candidate_authorization(const char *secret, const char *session_id, gint64 issued_ago, gint64 ttl)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *token = ims_token_issue(secret, session_id,
                                           g_get_real_time() / G_USEC_PER_SEC - issued_ago, ttl,
                                           &error);
  assert_non_null(token);
  return g_strconcat("Bearer ", token, NULL);
}

/* The status of GET path with authorization; the JSON root object in *root. */
static int
get(Fixture *f, const char *path, const char *authorization, JsonNode **root)
{
  return api_call(&f->api, "GET", path, authorization, NULL, root);
}

static const char *
member(JsonNode *root, const char *name)
{
  return json_object_get_string_member_with_default(json_node_get_object(root), name, NULL);
}

/* Asserts GET path with the session's token answers status and code. */
static void
assert_refused(Fixture *f, const char *path, int status, const char *code)
{
  g_autofree char *auth = candidate_authorization(SECRET, SESSION_ID, 0, 3600);
  JsonNode *root = NULL;
  int got = get(f, path, auth, &root);
  if (got != status || g_strcmp0(member(root, "code"), code) != 0)
    fail_msg("%s: %d %s, expected %d %s", path, got, member(root, "code"), status, code);
  json_node_unref(root);
  assert_int_equal(f->store.audits, 0);
}

static void
test_parse_take_number(void **state)
{
  int n = 0;
  assert_true(ims_playback_parse_take_number("1", &n));
  assert_int_equal(n, 1);
  assert_true(ims_playback_parse_take_number("0012", &n));
  assert_int_equal(n, 12);
  assert_true(ims_playback_parse_take_number("1000", &n));
  assert_int_equal(n, IMS_PLAYBACK_MAX_TAKE_NUMBER);
  const char *bad[] = { NULL, "", "0", "-1", "+1", " 1", "1 ", "1a", "abc", "1001", "9999",
                        "99999999999999999999", "4294967297", "1.0", "0x1" };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    n = -7;
    if (ims_playback_parse_take_number(bad[i], &n))
      fail_msg("\"%s\" parsed as %d", bad[i] ? bad[i] : "(null)", n);
    assert_int_equal(n, -7);
  }
}

static void
test_odd_paths(void **state)
{
  Fixture *f = *state;
  assert_refused(f, PATH "abc/playback", 400, "invalid_request");
  assert_refused(f, PATH "-1/playback", 400, "invalid_request");
  assert_refused(f, PATH "0/playback", 400, "invalid_request");
  assert_refused(f, PATH "99999999999999999999/playback", 400, "invalid_request");
  assert_refused(f, PATH "2/playback", 404, "not_found");
  /* traversal never reaches the handler: the router refuses the path */
  assert_refused(f, "/api/v1/candidate/sessions/" SESSION_ID "/questions/../takes/1/playback", 400,
                 "bad_path");
  assert_refused(f, "/api/v1/candidate/sessions/" SESSION_ID "/questions/%2e%2e/takes/1/playback",
                 400, "bad_path");
  assert_refused(f, "/api/v1/candidate/sessions/" SESSION_ID "/questions/q1/../q1/takes/1/playback",
                 400, "bad_path");
  assert_refused(f, "/api/v1/candidate/sessions/" SESSION_ID "/questions/nope/takes/1/playback",
                 404, "not_found");
  assert_refused(f, "/api/v1/candidate/sessions/not-a-uuid/questions/q1/takes/1/playback", 403,
                 "wrong_session");
}

static void
test_tokens(void **state)
{
  Fixture *f = *state;
  JsonNode *root = NULL;
  const char *path = PATH "1/playback";

  assert_int_equal(get(f, path, NULL, &root), 401);
  assert_string_equal(member(root, "code"), "token_missing");
  json_node_unref(root);

  g_autofree char *forged = candidate_authorization("another-secret-0123456789-0123456789",
                                                    SESSION_ID, 0, 3600);
  assert_int_equal(get(f, path, forged, &root), 401);
  assert_string_equal(member(root, "code"), "bad_token");
  json_node_unref(root);

  g_autofree char *expired = candidate_authorization(SECRET, SESSION_ID, 7200, 3600);
  assert_int_equal(get(f, path, expired, &root), 401);
  assert_string_equal(member(root, "code"), "token_expired");
  json_node_unref(root);

  /* a valid token of another session opens nothing of this one */
  g_autofree char *other = candidate_authorization(SECRET, OTHER_SESSION_ID, 0, 3600);
  assert_int_equal(get(f, path, other, &root), 403);
  assert_string_equal(member(root, "code"), "wrong_session");
  json_node_unref(root);

  /* neither is the service token a candidate's */
  assert_int_equal(get(f, path, "Bearer playback-service-token", &root), 401);
  json_node_unref(root);
  assert_int_equal(f->store.audits, 0);
}

/* preparing while nothing is stored, the original once uploaded, the MP4
 * once rendered; failed with nothing stored is an error */
static void
test_states(void **state)
{
  Fixture *f = *state;
  g_autofree char *auth = candidate_authorization(SECRET, SESSION_ID, 0, 3600);
  JsonNode *root = NULL;
  const char *path = PATH "1/playback";

  assert_int_equal(get(f, path, auth, &root), 202);
  assert_string_equal(member(root, "status"), "preparing");
  json_node_unref(root);
  assert_int_equal(f->store.audits, 0);

  f->store.original = TRUE;
  assert_int_equal(get(f, path, auth, &root), 200);
  assert_string_equal(member(root, "status"), "ready");
  assert_string_equal(member(root, "url"), "https://s3.test/take/original.mkv?expires=300");
  json_node_unref(root);
  assert_int_equal(f->store.audits, 1);
  assert_string_equal(f->store.audit_target, TAKE_ID);

  f->store.mp4 = TRUE;
  f->store.processing_status = "processed";
  assert_int_equal(get(f, path, auth, &root), 200);
  assert_string_equal(member(root, "url"), "https://s3.test/take/video.mp4?expires=300");
  assert_string_equal(member(root, "contentType"), "video/mp4");
  json_node_unref(root);
  assert_int_equal(f->store.audits, 2);

  /* processed, and its media erased since: never "preparing" forever */
  f->store.mp4 = f->store.original = FALSE;
  assert_int_equal(get(f, path, auth, &root), 404);
  assert_string_equal(member(root, "code"), "not_found");
  json_node_unref(root);

  f->store.processing_status = "failed";
  assert_int_equal(get(f, path, auth, &root), 409);
  assert_string_equal(member(root, "code"), "processing_failed");
  json_node_unref(root);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_parse_take_number),
    cmocka_unit_test_setup_teardown(test_odd_paths, setup, teardown),
    cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
    cmocka_unit_test_setup_teardown(test_states, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
