/* Unit tests for server/http/api.c: the REST API as request -> response, with the
 * store replaced at its seam. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "api.h"
#include "api-calls.h"
#include "imsd-build.h"
#include "json-build.h"
#include "token.h"

#define SERVICE_TOKEN "service-token-for-tests"
#define SECRET "unit-test-secret-unit-test-secret-0123"
#define REVIEW_SECRET "unit-test-review-secret-0123456789abcdef"

typedef struct {
  ImsStore base;
  ImsSessionRecord *created; /* copy of what create_session got */
  gboolean database_down;
} FakeStore;

static gboolean
fake_ping(ImsStore *base, GError **error)
{
  if (((FakeStore *) base)->database_down) {
    g_set_error_literal(error, IMS_STORE_ERROR, IMS_STORE_ERROR_CONNECT, "connection refused");
    return FALSE;
  }
  return TRUE;
}

static gboolean
fake_create_session(ImsStore *base, const ImsSessionRecord *record, GError **error)
{
  FakeStore *store = (FakeStore *) base;
  if (store->database_down) {
    g_set_error_literal(error, IMS_STORE_ERROR, IMS_STORE_ERROR_CONNECT, "connection refused");
    return FALSE;
  }
  ImsSessionRecord *copy = ims_session_record_new();
  copy->id = g_strdup(record->id);
  copy->interview_id = g_strdup(record->interview_id);
  copy->user_id = g_strdup(record->user_id);
  copy->profile = g_strdup(record->profile);
  copy->think_seconds = record->think_seconds;
  copy->max_retakes = record->max_retakes;
  copy->state = record->state;
  copy->created_at = record->created_at;
  copy->expires_at = record->expires_at;
  for (guint i = 0; i < record->questions->len; i++) {
    const ImsQuestion *q = g_ptr_array_index(record->questions, i);
    g_ptr_array_add(copy->questions, ims_question_new(q->id, q->text, q->time_limit_seconds));
  }
  g_clear_pointer(&store->created, ims_session_record_free);
  store->created = copy;
  return TRUE;
}

static ImsSessionRecord *
fake_load_session(ImsStore *base, const char *id, GError **error)
{
  FakeStore *store = (FakeStore *) base;
  if (!store->created || !g_str_equal(store->created->id, id)) {
    g_set_error_literal(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND, "no such session");
    return NULL;
  }
  ImsSessionRecord *copy = ims_session_record_new();
  copy->id = g_strdup(store->created->id);
  copy->interview_id = g_strdup(store->created->interview_id);
  copy->user_id = g_strdup(store->created->user_id);
  copy->profile = g_strdup(store->created->profile);
  ImsTake *take = ims_take_new();
  take->id = g_strdup("take-1");
  take->status = IMS_TAKE_COMPLETED;
  take->number = 1;
  take->duration_ms = 4200;
  g_ptr_array_add(copy->takes, take);
  return copy;
}

typedef struct {
  FakeStore store;
  ImsConfig *config;
  ImsApi api;
  ImsProfileSet *profiles;
  char *spool;
} Fixture;

static int
setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  f->store.base.ping = fake_ping;
  f->store.base.sessions.create_session = fake_create_session;
  f->store.base.sessions.load_session = fake_load_session;
  f->config = ims_config_new();
  g_free(f->config->service_token);
  f->config->service_token = g_strdup(SERVICE_TOKEN);
  g_free(f->config->token_secret);
  f->config->token_secret = g_strdup(SECRET);
  f->spool = g_dir_make_tmp("imsd-test-api-XXXXXX", NULL);
  g_free(f->config->spool_dir);
  f->config->spool_dir = g_strdup(f->spool);
  f->api.config = f->config;
  f->api.store = &f->store.base;
  f->api.review_secret = REVIEW_SECRET;
  f->profiles = ims_profile_set_load_file(IMSD_SOURCE_DIR "/etc/profiles.ini", NULL);
  assert_non_null(f->profiles);
  f->api.profiles = f->profiles;
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *f = *state;
  g_clear_pointer(&f->store.created, ims_session_record_free);
  ims_config_free(f->config);
  ims_profile_set_free(f->profiles);
  g_rmdir(f->spool);
  g_free(f->spool);
  g_free(f);
  return 0;
}

/* Runs a request; returns the parsed body (caller frees parser). */
static JsonObject *
call(Fixture *f, const char *method, const char *path, const char *auth, const char *body,
     int expected_status, JsonParser *parser)
{
  return api_call_expect(&f->api, method, path, auth, body, expected_status, parser);
}

static void
expect_error(Fixture *f, const char *method, const char *path, const char *auth, const char *body,
             int status, const char *code)
{
  g_autoptr(JsonParser) parser = json_parser_new();
  JsonObject *object = call(f, method, path, auth, body, status, parser);
  assert_string_equal(json_object_get_string_member(object, "code"), code);
  assert_true(strlen(json_object_get_string_member(object, "message")) > 0);
}

#define AUTH "Bearer " SERVICE_TOKEN
#define VALID_BODY \
  "{\"interviewId\":\"i-1\",\"userId\":\"u-1\",\"settings\":{\"thinkSeconds\":5," \
  "\"maxRetakes\":2},\"questions\":[{\"id\":\"q1\",\"text\":\"Why?\",\"timeLimitSeconds\":60}," \
  "{\"id\":\"q2\",\"text\":\"How?\",\"timeLimitSeconds\":30}]}"

static void
test_create_returns_join_url_and_token(void **state)
{
  Fixture *f = *state;
  g_autoptr(JsonParser) parser = json_parser_new();
  JsonObject *object = call(f, "POST", "/api/v1/sessions", AUTH, VALID_BODY, 201, parser);

  const char *id = json_object_get_string_member(object, "sessionId");
  assert_true(g_uuid_string_is_valid(id));
  assert_non_null(f->store.created);
  assert_string_equal(f->store.created->id, id);
  assert_int_equal(f->store.created->questions->len, 2);
  assert_int_equal(f->store.created->think_seconds, 5);
  assert_int_equal(f->store.created->max_retakes, 2);
  assert_string_equal(f->store.created->profile, "default");

  const char *token = json_object_get_string_member(object, "token");
  g_autofree char *token_session = NULL;
  gint64 expires = 0;
  g_autoptr(GError) error = NULL;
  assert_true(ims_token_verify(SECRET, token, g_get_real_time() / G_USEC_PER_SEC, &token_session,
                               &expires, &error));
  assert_string_equal(token_session, id);

  g_autofree char *prefix = g_strdup_printf(
      "%s/candidate/?session=%s#token=", f->config->public_url, id);
  assert_true(g_str_has_prefix(json_object_get_string_member(object, "joinUrl"), prefix));
  assert_true(g_str_has_suffix(json_object_get_string_member(object, "expiresAt"), "Z"));
}

static void
test_create_uses_config_defaults(void **state)
{
  Fixture *f = *state;
  g_autoptr(JsonParser) parser = json_parser_new();
  call(f, "POST", "/api/v1/sessions", AUTH,
       "{\"interviewId\":\"i\",\"userId\":\"u\",\"questions\":[{\"id\":\"q\",\"text\":\"t\","
       "\"timeLimitSeconds\":10}]}",
       201, parser);
  assert_int_equal(f->store.created->think_seconds, f->config->default_think_seconds);
  assert_int_equal(f->store.created->max_retakes, f->config->default_max_retakes);
}

static void
test_create_needs_service_token(void **state)
{
  Fixture *f = *state;
  expect_error(f, "POST", "/api/v1/sessions", NULL, VALID_BODY, 401, "unauthorized");
  expect_error(f, "POST", "/api/v1/sessions", "Bearer wrong", VALID_BODY, 401, "unauthorized");
  expect_error(f, "POST", "/api/v1/sessions", SERVICE_TOKEN, VALID_BODY, 401, "unauthorized");
  assert_null(f->store.created);
}

static void
test_create_refuses_bad_bodies(void **state)
{
  Fixture *f = *state;
  static const char *const bodies[] = {
    "not json",
    "[]",
    "{\"interviewId\":\"i\",\"userId\":\"u\"}",
    "{\"interviewId\":\"i\",\"userId\":\"u\",\"questions\":[]}",
    "{\"interviewId\":\"i\",\"questions\":[{\"id\":\"q\",\"text\":\"t\",\"timeLimitSeconds\":10}]}",
    "{\"interviewId\":5,\"userId\":\"u\",\"questions\":[{\"id\":\"q\",\"text\":\"t\",\"timeLimitSeconds\":10}]}",
    "{\"interviewId\":\"i\",\"userId\":\"u\",\"questions\":[{\"id\":\"q\",\"text\":\"t\"}]}",
    "{\"interviewId\":\"i\",\"userId\":\"u\",\"questions\":[{\"id\":\"q\",\"text\":\"t\",\"timeLimitSeconds\":0}]}",
    "{\"interviewId\":\"i\",\"userId\":\"u\",\"questions\":[{\"id\":\"q\",\"text\":\"t\",\"timeLimitSeconds\":\"10\"}]}",
    "{\"interviewId\":\"i\",\"userId\":\"u\",\"settings\":{\"thinkSeconds\":-1},\"questions\":[{\"id\":\"q\",\"text\":\"t\",\"timeLimitSeconds\":10}]}",
    "{\"interviewId\":\"i\",\"userId\":\"u\",\"settings\":{\"maxRetakes\":99},\"questions\":[{\"id\":\"q\",\"text\":\"t\",\"timeLimitSeconds\":10}]}",
    "{\"interviewId\":\"i\",\"userId\":\"u\",\"settings\":3,\"questions\":[{\"id\":\"q\",\"text\":\"t\",\"timeLimitSeconds\":10}]}",
    "{\"interviewId\":\"i\",\"userId\":\"u\",\"questions\":[7]}",
    /* the profile must exist, and bounds the answers */
    "{\"interviewId\":\"i\",\"userId\":\"u\",\"profile\":\"nope\",\"questions\":[{\"id\":\"q\",\"text\":\"t\",\"timeLimitSeconds\":10}]}",
    "{\"interviewId\":\"i\",\"userId\":\"u\",\"profile\":\"../default\",\"questions\":[{\"id\":\"q\",\"text\":\"t\",\"timeLimitSeconds\":10}]}",
    "{\"interviewId\":\"i\",\"userId\":\"u\",\"questions\":[{\"id\":\"q\",\"text\":\"t\",\"timeLimitSeconds\":100000}]}",
  };
  for (guint i = 0; i < G_N_ELEMENTS(bodies); i++) {
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonObject *object = call(f, "POST", "/api/v1/sessions", AUTH, bodies[i], 400, parser);
    const char *code = json_object_get_string_member(object, "code");
    assert_true(g_str_equal(code, "bad_json") || g_str_equal(code, "invalid_request"));
  }
  assert_null(f->store.created);
}

#define QUESTION(id) "{\"id\":\"" id "\",\"text\":\"t\",\"timeLimitSeconds\":10}"
#define BODY_WITH(interview, user, extra, questions) \
  "{\"interviewId\":\"" interview "\",\"userId\":\"" user "\"" extra ",\"questions\":[" questions \
  "]}"

/* Two questions with one id would share object keys (the second answer
 * overwrote the first in S3, and its media row was retried forever). */
static void
test_create_refuses_duplicate_question_ids(void **state)
{
  Fixture *f = *state;
  expect_error(f, "POST", "/api/v1/sessions", AUTH,
               BODY_WITH("i", "u", "", QUESTION("q1") "," QUESTION("q2") "," QUESTION("q1")), 400,
               "duplicate_question_id");
  assert_null(f->store.created);
  /* ids differing only in case are different ids */
  g_autoptr(JsonParser) parser = json_parser_new();
  call(f, "POST", "/api/v1/sessions", AUTH,
       BODY_WITH("i", "u", "", QUESTION("q1") "," QUESTION("Q1")), 201, parser);
  assert_int_equal(f->store.created->questions->len, 2);
}

/* Every id field refuses empty, over-long, non-printable and NUL (json-glib
 * cut "q1\u0000x" to "q1" and it was accepted). */
static void
test_create_refuses_bad_ids(void **state)
{
  Fixture *f = *state;
  g_autofree char *long_id = g_strnfill(257, 'q');
  g_autofree char *long_question = g_strdup_printf(
      BODY_WITH("i", "u", "", "{\"id\":\"%s\",\"text\":\"t\",\"timeLimitSeconds\":10}"), long_id);
  static const char *const bodies[] = {
    BODY_WITH("i", "u", "", QUESTION("")),
    BODY_WITH("i", "u", "", QUESTION("q1\\u0000x")),
    BODY_WITH("i", "u", "", QUESTION("q\\u0001")),
    BODY_WITH("i", "u", "", QUESTION("q\\n")),
    BODY_WITH("i", "u", "", QUESTION("q\\u007f")),
    BODY_WITH("i", "u", "", QUESTION("q\\u200b")),
    BODY_WITH("i\\u0000x", "u", "", QUESTION("q1")),
    BODY_WITH("i", "u\\u0000", "", QUESTION("q1")),
    BODY_WITH("i\\t", "u", "", QUESTION("q1")),
    BODY_WITH("i", "u", ",\"invitationId\":\"v\\u0000\"", QUESTION("q1")),
    BODY_WITH("i", "u", ",\"companyId\":\"c\\u0000\"", QUESTION("q1")),
    BODY_WITH("i", "u", ",\"companyId\":\"c\\u0007\"", QUESTION("q1")),
    /* a NUL anywhere in a string: it would be cut off silently */
    BODY_WITH("i", "u", ",\"candidateEmail\":\"a@b\\u0000.c\"", QUESTION("q1")),
  };
  for (guint i = 0; i < G_N_ELEMENTS(bodies); i++) {
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonObject *object = call(f, "POST", "/api/v1/sessions", AUTH, bodies[i], 400, parser);
    assert_string_equal(json_object_get_string_member(object, "code"), "invalid_request");
  }
  expect_error(f, "POST", "/api/v1/sessions", AUTH, long_question, 400, "invalid_request");
  assert_null(f->store.created);
  /* printable unicode and spaces are fine */
  g_autoptr(JsonParser) parser = json_parser_new();
  call(f, "POST", "/api/v1/sessions", AUTH,
       BODY_WITH("entretien \\u00e9t\u00e9", "u 1", "", QUESTION("question 1 / a?")), 201, parser);
  assert_string_equal(f->store.created->interview_id, "entretien \u00e9t\u00e9");
}

/* A body of only whitespace parses to no root: a clear 400, and no GLib
 * critical on the way (found by fuzz-rest-body). */
static void
test_create_whitespace_body(void **state)
{
  Fixture *f = *state;
  GLogLevelFlags old = g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR);
  expect_error(f, "POST", "/api/v1/sessions", AUTH, " \n\t ", 400, "bad_json");
  g_log_set_always_fatal(old);
  assert_null(f->store.created);
}

/* A body nested 200,000 deep (400 KB, under max_body_bytes) used to overflow the stack inside
 * json-glib; it is refused before parsing. */
static void
test_create_refuses_deep_nesting(void **state)
{
  Fixture *f = *state;
  gsize depth = 200000;
  GString *body = g_string_new("{\"interviewId\":\"i\",\"userId\":\"u\",\"x\":");
  for (gsize i = 0; i < depth; i++)
    g_string_append_c(body, '[');
  for (gsize i = 0; i < depth; i++)
    g_string_append_c(body, ']');
  g_string_append(body, ",\"questions\":[{\"id\":\"q\",\"text\":\"t\",\"timeLimitSeconds\":10}]}");
  g_autoptr(JsonParser) parser = json_parser_new();
  JsonObject *object = call(f, "POST", "/api/v1/sessions", AUTH, body->str, 400, parser);
  assert_string_equal(json_object_get_string_member(object, "code"), "bad_json");
  assert_non_null(strstr(json_object_get_string_member(object, "message"), "deeper than"));
  g_string_free(body, TRUE);
  assert_null(f->store.created);
}

static void
test_get_session(void **state)
{
  Fixture *f = *state;
  g_autoptr(JsonParser) created = json_parser_new();
  JsonObject *object = call(f, "POST", "/api/v1/sessions", AUTH, VALID_BODY, 201, created);
  g_autofree char *path = g_strdup_printf("/api/v1/sessions/%s",
                                          json_object_get_string_member(object, "sessionId"));
  g_autoptr(JsonParser) parser = json_parser_new();
  JsonObject *session = call(f, "GET", path, AUTH, NULL, 200, parser);
  assert_string_equal(json_object_get_string_member(session, "interviewId"), "i-1");
  JsonArray *takes = json_object_get_array_member(session, "takes");
  assert_int_equal(json_array_get_length(takes), 1);
  assert_int_equal(
      json_object_get_int_member(json_array_get_object_element(takes, 0), "durationMs"), 4200);
  expect_error(f, "GET", path, NULL, NULL, 401, "unauthorized");
}

static void
test_get_refuses_unknown_and_tricky_ids(void **state)
{
  Fixture *f = *state;
  expect_error(f, "GET", "/api/v1/sessions/6f1c0b3e-7a0d-4a52-9d3c-0c1f7a2b9e11", AUTH, NULL, 404,
               "not_found");
  /* odd paths are refused by the router (test-router.c) before any id is read */
  expect_error(f, "GET", "/api/v1/sessions/..", AUTH, NULL, 400, "bad_path");
  expect_error(f, "GET", "/api/v1/sessions/../../etc/passwd", AUTH, NULL, 400, "bad_path");
  expect_error(f, "GET", "/api/v1/sessions/%2e%2e", AUTH, NULL, 400, "bad_path");
  expect_error(f, "GET", "/api/v1/sessions/", AUTH, NULL, 400, "bad_path");
  expect_error(f, "GET", "/api/v1/sessions/not-a-uuid", AUTH, NULL, 404, "not_found");
  expect_error(f, "GET", "/api/v1/sessions/a/b", AUTH, NULL, 404, "not_found");
  expect_error(f, "GET", "/api/v1/nothing", AUTH, NULL, 404, "not_found");
  expect_error(f, "DELETE", "/api/v1/sessions", AUTH, NULL, 405, "method_not_allowed");
  /* health checks need no token, whatever the method */
  expect_error(f, "POST", "/healthz", NULL, NULL, 405, "method_not_allowed");
  expect_error(f, "GET", "/api/v1/nothing", NULL, NULL, 401, "unauthorized");
}

static void
test_health_and_readiness(void **state)
{
  Fixture *f = *state;
  g_autoptr(JsonParser) a = json_parser_new();
  assert_string_equal(
      json_object_get_string_member(call(f, "GET", "/healthz", NULL, NULL, 200, a), "status"), "ok");
  g_autoptr(JsonParser) b = json_parser_new();
  assert_string_equal(
      json_object_get_string_member(call(f, "GET", "/readyz", NULL, NULL, 200, b), "status"),
      "ready");
  f->store.database_down = TRUE;
  g_autoptr(JsonParser) c = json_parser_new();
  JsonObject *object = call(f, "GET", "/readyz", NULL, NULL, 503, c);
  assert_string_equal(json_object_get_string_member(object, "status"), "not_ready");
  JsonObject *checks = json_object_get_object_member(object, "checks");
  assert_string_equal(json_object_get_string_member(checks, "database"), "unreachable");
  assert_string_equal(json_object_get_string_member(checks, "spool"), "ok");
  /* a database outage is a 500 with a code, never a crash */
  expect_error(f, "POST", "/api/v1/sessions", AUTH, VALID_BODY, 500, "internal");
}

/* ---- review API paths ---- */

static char *
base64url(const char *text)
{
  char *encoded = g_base64_encode((const guchar *) text, strlen(text));
  g_strdelimit(encoded, "+", '-');
  g_strdelimit(encoded, "/", '_');
  char *padding = strchr(encoded, '=');
  if (padding)
    *padding = '\0';
  return encoded;
}

/* "Bearer <HS256 JWT>" with these claims, signed with REVIEW_SECRET. */
static char *
bearer_jwt(const char *claims_json)
{
  g_autofree char *header = base64url("{\"alg\":\"HS256\",\"typ\":\"JWT\"}");
  g_autofree char *claims = base64url(claims_json);
  g_autofree char *input = g_strconcat(header, ".", claims, NULL);
  guint8 digest[32];
  gsize digest_length = sizeof digest;
  g_autoptr(GHmac)
      hmac = g_hmac_new(G_CHECKSUM_SHA256, (const guchar *) REVIEW_SECRET, strlen(REVIEW_SECRET));
  g_hmac_update(hmac, (const guchar *) input, -1);
  g_hmac_get_digest(hmac, digest, &digest_length);
  g_autofree char *raw = g_base64_encode(digest, digest_length);
  g_strdelimit(raw, "+", '-');
  g_strdelimit(raw, "/", '_');
  char *padding = strchr(raw, '=');
  if (padding)
    *padding = '\0';
  return g_strconcat("Bearer ", input, ".", raw, NULL);
}

/* "Bearer <HS256 JWT>" of a recruiter of company-a, valid until 2100. */
static char *
recruiter_authorization(void)
{
  return bearer_jwt(
      "{\"sub\":\"rec-1\",\"role\":\"recruiter\",\"companyId\":\"company-a\",\"exp\":4102444800}");
}

/* Ids of length 0 in these paths once made review-api.c g_strndup(-1 bytes):
 * SIGSEGV with any valid recruiter token.  Each gets a JSON error instead. */
static void
test_review_odd_paths_get_errors(void **state)
{
  Fixture *f = *state;
  g_autofree char *auth = recruiter_authorization();
  expect_error(f, "GET", "/api/v1/review/media/url", auth, NULL, 404, "not_found");
  expect_error(f, "GET", "/api/v1/review/media//url", auth, NULL, 400, "bad_path");
  expect_error(f, "DELETE", "/api/v1/review/sessions/media", auth, NULL, 405, "method_not_allowed");
  expect_error(f, "DELETE", "/api/v1/review/sessions//media", auth, NULL, 400, "bad_path");
  expect_error(f, "GET", "/api/v1/review/sessions/", auth, NULL, 400, "bad_path");
  expect_error(f, "GET", "/api/v1/review/sessions/..", auth, NULL, 400, "bad_path");
  expect_error(f, "GET", "/api/v1/review/sessions/%2e%2e", auth, NULL, 400, "bad_path");
  expect_error(f, "GET", "/api/v1/review/nothing", auth, NULL, 404, "not_found");
  expect_error(f, "POST", "/api/v1/review/sessions", auth, NULL, 405, "method_not_allowed");
  /* a file id that is not a UUID is no file: 404 before the store is asked */
  expect_error(f, "GET", "/api/v1/review/media/not-a-uuid/url", auth, NULL, 404, "not_found");
  /* an id in the query string is checked like one in a body */
  g_autofree char *admin = recruiter_authorization();
  ImsApiRequest request = { "GET", "/api/v1/review/sessions", admin, NULL, 0, "interviewId=a%01b" };
  ImsApiResponse response = { 0 };
  ims_api_handle(&f->api, &request, &response);
  assert_int_equal(response.status, 400);
  assert_non_null(strstr(response.body, "\"invalid_request\""));
  ims_api_response_clear(&response);
  request.query = "interviewId=a%00b";
  ims_api_handle(&f->api, &request, &response);
  assert_int_equal(response.status, 400);
  ims_api_response_clear(&response);
  g_autofree char *long_query = g_strdup_printf("interviewId=%0257d", 7);
  request.query = long_query;
  ims_api_handle(&f->api, &request, &response);
  assert_int_equal(response.status, 400);
  ims_api_response_clear(&response);
  /* and without a token: 401, as before */
  expect_error(f, "GET", "/api/v1/review/media/url", NULL, NULL, 401, "unauthorized");
}

/* ---- review API: the completeness record of each take ---- */

#define REVIEWED_SESSION "5d1c9b0e-7f3a-4c2e-9b1d-0a6e8f2c4b71"
#define RECORD \
  "{\"video\": {\"frames\": {\"written\": 150}}, \"avOffsetMs\": {\"end\": 25, \"start\": 12}}"

static ImsSessionRecord *
fake_load_reviewed_session(ImsStore *base, const char *id, GError **error)
{
  ImsSessionRecord *record = ims_session_record_new();
  record->id = g_strdup(id);
  record->interview_id = g_strdup("i-1");
  record->user_id = g_strdup("u-1");
  record->company_id = g_strdup("company-a");
  record->profile = g_strdup("standard");
  g_ptr_array_add(record->questions, ims_question_new("q1", "Why?", 60));
  /* a record, none (unknown), and stored text that is not an object */
  static const char *const records[] = { RECORD, NULL, "[1, 2]" };
  for (guint i = 0; i < G_N_ELEMENTS(records); i++) {
    ImsTake *take = ims_take_new();
    take->id = g_strdup_printf("take-%u", i + 1);
    take->session_id = g_strdup(id);
    take->number = (int) i + 1;
    take->status = IMS_TAKE_COMPLETED;
    take->completeness = g_strdup(records[i]);
    g_ptr_array_add(record->takes, take);
  }
  return record;
}

/* No take of the fake session is rated. */
static GPtrArray *
fake_list_session_ratings(ImsStore *base, const char *session_id, const char *company_id,
                          GError **error)
{
  return g_ptr_array_new_with_free_func((GDestroyNotify) ims_take_rating_free);
}

static GPtrArray *
fake_list_session_media_files(ImsStore *base, const char *session_id, GError **error)
{
  return g_ptr_array_new_with_free_func((GDestroyNotify) ims_media_file_free);
}

static gboolean
fake_add_audit(ImsStore *base, const ImsAuditEntry *entry, GError **error)
{
  return TRUE;
}

static void
count_warning(const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
  (*(guint *) data)++;
}

static void
test_review_detail_has_completeness(void **state)
{
  Fixture *f = *state;
  f->store.base.sessions.load_session = fake_load_reviewed_session;
  f->store.base.review.list_session_media_files = fake_list_session_media_files;
  f->store.base.review.add_audit = fake_add_audit;
  f->store.base.ratings.list_session_ratings = fake_list_session_ratings;
  guint warnings = 0;
  guint handler = g_log_set_handler("imsd.review", G_LOG_LEVEL_WARNING, count_warning, &warnings);
  g_autofree char *auth = recruiter_authorization();
  g_autoptr(JsonParser) parser = json_parser_new();
  JsonObject *session = call(f, "GET", "/api/v1/review/sessions/" REVIEWED_SESSION, auth, NULL, 200,
                             parser);
  g_log_remove_handler("imsd.review", handler);

  JsonArray *questions = json_object_get_array_member(session, "questions");
  JsonArray *takes = json_object_get_array_member(json_array_get_object_element(questions, 0),
                                                  "takes");
  assert_int_equal(json_array_get_length(takes), 3);
  /* the stored record as an object, equal to the stored text */
  JsonNode *first = json_object_get_member(json_array_get_object_element(takes, 0), "completeness");
  assert_non_null(first);
  g_autoptr(JsonNode) record = json_from_string(RECORD, NULL);
  assert_true(JSON_NODE_HOLDS_OBJECT(first));
  assert_true(json_node_equal(first, record));
  /* unknown: null, always present */
  JsonNode *second = json_object_get_member(json_array_get_object_element(takes, 1), "completeness");
  assert_non_null(second);
  assert_true(JSON_NODE_HOLDS_NULL(second));
  /* not an object: null, and a warning in the log */
  JsonNode *third = json_object_get_member(json_array_get_object_element(takes, 2), "completeness");
  assert_non_null(third);
  assert_true(JSON_NODE_HOLDS_NULL(third));
  assert_int_equal(warnings, 1);
}

/* ---- the one router over both APIs ---- */

/* Every REST path asks for the credentials of its route, or of its part of
 * the API when no route has its shape; only the open routes are answered on
 * the loop. */
static void
test_route_access(void **state)
{
  (void) state;
  static const struct {
    const char *method, *path;
    ImsApiAccess access;
  } cases[] = {
    { "GET", "/healthz", IMS_API_ACCESS_OPEN },
    { "GET", "/readyz", IMS_API_ACCESS_OPEN },
    { "POST", "/healthz", IMS_API_ACCESS_OPEN }, /* 405, still without a token */
    { "DELETE", "/readyz", IMS_API_ACCESS_OPEN },
    { "POST", "/api/v1/sessions", IMS_API_ACCESS_SERVICE },
    { "GET", "/api/v1/sessions/x", IMS_API_ACCESS_SERVICE },
    { "DELETE", "/api/v1/sessions", IMS_API_ACCESS_SERVICE },
    { "GET", "/api/v1/nothing", IMS_API_ACCESS_SERVICE },
    { "GET", "/api/v1/review", IMS_API_ACCESS_SERVICE }, /* not under /api/v1/review/ */
    { "GET", "/healthz/", IMS_API_ACCESS_SERVICE },      /* malformed: not the open route */
    { "GET", "/api/v1/review/sessions", IMS_API_ACCESS_RECRUITER },
    { "GET", "/api/v1/review/sessions/x", IMS_API_ACCESS_RECRUITER },
    { "DELETE", "/api/v1/review/sessions/x/media", IMS_API_ACCESS_RECRUITER },
    { "GET", "/api/v1/review/media/x/url", IMS_API_ACCESS_RECRUITER },
    { "POST", "/api/v1/review/sessions", IMS_API_ACCESS_RECRUITER },
    { "GET", "/api/v1/review/nothing", IMS_API_ACCESS_RECRUITER },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    ImsApiAccess access = ims_api_route_access(cases[i].method, cases[i].path);
    if (access != cases[i].access)
      fail_msg("%s %s: access %d, expected %d", cases[i].method, cases[i].path, access,
               cases[i].access);
    ImsApiRequest request = { .method = cases[i].method, .path = cases[i].path };
    assert_int_equal(ims_api_uses_database(&request), cases[i].access != IMS_API_ACCESS_OPEN);
  }
}

static const char *store_called; /* the last store operation a handler used */

static ImsSessionRecord *
record_load_session(ImsStore *base, const char *id, GError **error)
{
  store_called = "load_session";
  return fake_load_session(base, id, error);
}

static GPtrArray *
record_list_sessions(ImsStore *base, const ImsSessionFilter *filter, gint64 *total, GError **error)
{
  store_called = "list_sessions";
  *total = 0;
  return g_ptr_array_new_with_free_func((GDestroyNotify) ims_session_summary_free);
}

static ImsMediaFile *
record_get_media_file(ImsStore *base, const char *file_id, char **company_id, GError **error)
{
  store_called = "get_media_file";
  g_set_error_literal(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND, "no such file");
  return NULL;
}

/* Each route of the table reaches its own handler, with the credentials it asks for. */
static void
test_every_route_reaches_its_handler(void **state)
{
  Fixture *f = *state;
  f->store.base.sessions.load_session = record_load_session;
  f->store.base.review.list_sessions = record_list_sessions;
  f->store.base.review.get_media_file = record_get_media_file;
  f->store.base.review.add_audit = fake_add_audit;
  g_autofree char *recruiter = recruiter_authorization();
#define ID "6f1c0b3e-7a0d-4a52-9d3c-0c1f7a2b9e11"
  static const struct {
    const char *method, *path;
    gboolean recruiter;
    const char *body;
    int status;
    const char *store_called; /* NULL: none */
  } routes[] = {
    { "GET", "/healthz", FALSE, NULL, 200, NULL },
    { "GET", "/readyz", FALSE, NULL, 200, NULL },
    { "POST", "/api/v1/sessions", FALSE, VALID_BODY, 201, NULL },
    { "GET", "/api/v1/sessions/" ID, FALSE, NULL, 404, "load_session" },
    { "GET", "/api/v1/review/sessions", TRUE, NULL, 200, "list_sessions" },
    { "GET", "/api/v1/review/sessions/" ID, TRUE, NULL, 404, "load_session" },
    { "DELETE", "/api/v1/review/sessions/" ID "/media", TRUE, NULL, 404, "load_session" },
    { "GET", "/api/v1/review/media/" ID "/url", TRUE, NULL, 404, "get_media_file" },
  };
#undef ID
  for (guint i = 0; i < G_N_ELEMENTS(routes); i++) {
    store_called = NULL;
    g_autoptr(JsonParser) parser = json_parser_new();
    call(f, routes[i].method, routes[i].path, routes[i].recruiter ? recruiter : AUTH,
         routes[i].body, routes[i].status, parser);
    if (g_strcmp0(store_called, routes[i].store_called) != 0)
      fail_msg("%s %s: the store's %s was called, expected %s", routes[i].method, routes[i].path,
               store_called, routes[i].store_called);
  }
  /* the create reached the store (the fake keeps what it got) */
  assert_non_null(f->store.created);
}

#define SERVICE_TOKEN_NEEDED "A valid service bearer token is required."
#define RECRUITER_TOKEN_NEEDED "A valid recruiter bearer token is required."

static void
expect_message(Fixture *f, const char *method, const char *path, const char *auth, int status,
               const char *code, const char *message)
{
  g_autoptr(JsonParser) parser = json_parser_new();
  JsonObject *object = call(f, method, path, auth, NULL, status, parser);
  assert_string_equal(json_object_get_string_member(object, "code"), code);
  assert_string_equal(json_object_get_string_member(object, "message"), message);
}

/* One API's credentials never open the other's routes, and a path of no
 * route asks for the credentials of its part of the API before it is 404. */
static void
test_credentials_by_part_of_the_api(void **state)
{
  Fixture *f = *state;
  g_autofree char *recruiter = recruiter_authorization();
  g_autofree char *candidate = bearer_jwt(
      "{\"sub\":\"c-1\",\"role\":\"candidate\",\"exp\":4102444800}");

  expect_message(f, "GET", "/api/v1/review/sessions", AUTH, 401, "unauthorized",
                 RECRUITER_TOKEN_NEEDED);
  expect_message(f, "GET", "/api/v1/review/nothing", AUTH, 401, "unauthorized",
                 RECRUITER_TOKEN_NEEDED);
  expect_message(f, "GET", "/api/v1/review/nothing", candidate, 403, "forbidden",
                 "This token may not use the review API.");
  expect_message(f, "GET", "/api/v1/review/nothing", recruiter, 404, "not_found",
                 "No such resource.");
  expect_message(f, "PUT", "/api/v1/review/media/x/url", recruiter, 405, "method_not_allowed",
                 "Use GET.");
  expect_message(f, "POST", "/api/v1/sessions", recruiter, 401, "unauthorized",
                 SERVICE_TOKEN_NEEDED);
  expect_message(f, "GET", "/api/v1/review", recruiter, 401, "unauthorized", SERVICE_TOKEN_NEEDED);
  expect_message(f, "GET", "/api/v1/review", AUTH, 404, "not_found", "No such resource.");
  expect_message(f, "GET", "/api/v1/sessions", AUTH, 405, "method_not_allowed", "Use POST.");
  /* a malformed path is refused before any credentials, in both parts */
  expect_message(f, "GET", "/api/v1/review/sessions//x", NULL, 400, "bad_path",
                 "The path is malformed: it has an empty segment (\"//\" or a trailing \"/\").");
  expect_message(f, "GET", "/api/v1/sessions/.", NULL, 400, "bad_path",
                 "The path is malformed: it has a \".\" or \"..\" segment.");
  /* the open routes need nothing, whatever the method or the token */
  expect_message(f, "DELETE", "/readyz", "Bearer junk", 405, "method_not_allowed", "Use GET.");
}

/* A reply's time member: ISO 8601 UTC with milliseconds (truncated), null for 0; a time before
 * 1970 is floored to the millisecond like any other, never written with a negative fraction. */
static void
test_time_members(void **state)
{
  static const struct {
    gint64 us;
    const char *text;
  } cases[] = {
    { G_GINT64_CONSTANT(1759744800001999), "2025-10-06T10:00:00.001Z" },
    { -1000, "1969-12-31T23:59:59.999Z" },
    { -1, "1969-12-31T23:59:59.999Z" },
    { -G_USEC_PER_SEC, "1969-12-31T23:59:59.000Z" },
    { 0, NULL },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    ims_json_add_time_or_null(b, "at", cases[i].us);
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    JsonNode *at = json_object_get_member(json_node_get_object(root), "at");
    assert_non_null(at);
    if (cases[i].text)
      assert_string_equal(json_node_get_string(at), cases[i].text);
    else
      assert_true(JSON_NODE_HOLDS_NULL(at));
  }
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
  const struct CMUnitTest tests[] = {
    T(test_create_returns_join_url_and_token),
    T(test_create_uses_config_defaults),
    T(test_create_needs_service_token),
    T(test_create_refuses_bad_bodies),
    T(test_create_refuses_duplicate_question_ids),
    T(test_create_refuses_bad_ids),
    T(test_create_refuses_deep_nesting),
    T(test_create_whitespace_body),
    T(test_get_session),
    T(test_get_refuses_unknown_and_tricky_ids),
    T(test_health_and_readiness),
    T(test_review_odd_paths_get_errors),
    T(test_review_detail_has_completeness),
    T(test_route_access),
    T(test_every_route_reaches_its_handler),
    T(test_credentials_by_part_of_the_api),
    T(test_time_members),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
