/* Unit tests for server/http/candidate-api.c (GET /api/v1/candidate/session)
 * and the overview members of POST /api/v1/sessions (title, companyName,
 * practice), through ims_api_handle with the store replaced: the store keeps
 * the one session created, as it was given. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include <json-glib/json-glib.h>

#include "api.h"
#include "api-calls.h"
#include "imsd-build.h"
#include "token.h"

#define SERVICE_AUTH "Bearer service-token-for-tests"
#define SECRET "unit-test-secret-unit-test-secret-0123"
#define OTHER_SECRET "another-secret-another-secret-0123456"
#define OVERVIEW_PATH "/api/v1/candidate/session"

#define QUESTIONS \
  "\"questions\":[{\"id\":\"q1\",\"text\":\"Why?\",\"timeLimitSeconds\":60}," \
  "{\"id\":\"q2\",\"text\":\"How?\",\"timeLimitSeconds\":90}]"
#define BODY(extra) "{\"interviewId\":\"i-1\",\"userId\":\"u-1\"" extra "," QUESTIONS "}"

typedef struct {
  ImsStore store;
  ImsSessionRecord *created; /* what create_session got (the overview's members) */
  ImsConfig *config;
  ImsProfileSet *profiles;
  ImsApi api;
} Fixture;

/* A copy of the members of record the overview reads (transfer full; a
 * record has no copy function). */
static ImsSessionRecord *
copy_overview_members(const ImsSessionRecord *record)
{
  ImsSessionRecord *copy = ims_session_record_new();
  copy->id = g_strdup(record->id);
  copy->kind = record->kind;
  copy->title = g_strdup(record->title);
  copy->company_name = g_strdup(record->company_name);
  copy->practice_text = g_strdup(record->practice_text);
  copy->practice_seconds = record->practice_seconds;
  copy->think_seconds = record->think_seconds;
  copy->max_retakes = record->max_retakes;
  copy->state = record->state;
  for (guint i = 0; i < record->questions->len; i++) {
    const ImsQuestion *q = g_ptr_array_index(record->questions, i);
    g_ptr_array_add(copy->questions, ims_question_new(q->id, q->text, q->time_limit_seconds));
  }
  return copy;
}

static gboolean
keep_session(ImsStore *store, const ImsSessionRecord *record, GError **error)
{
  (void) error;
  Fixture *f = (Fixture *) store;
  g_clear_pointer(&f->created, ims_session_record_free);
  f->created = copy_overview_members(record);
  return TRUE;
}

/* The kept session (a fresh record each time: the caller frees it). */
static ImsSessionRecord *
load_kept_session(ImsStore *store, const char *id, GError **error)
{
  Fixture *f = (Fixture *) store;
  if (!f->created || strcmp(f->created->id, id) != 0) {
    g_set_error_literal(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND, "no such session");
    return NULL;
  }
  return copy_overview_members(f->created);
}

static int
setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  f->store.sessions.create_session = keep_session;
  f->store.sessions.load_session = load_kept_session;
  f->config = ims_config_new();
  g_free(f->config->service_token);
  f->config->service_token = g_strdup("service-token-for-tests");
  g_free(f->config->token_secret);
  f->config->token_secret = g_strdup(SECRET);
  f->profiles = ims_profile_set_load_file(IMSD_SOURCE_DIR "/etc/profiles.ini", NULL);
  assert_non_null(f->profiles);
  f->api.config = f->config;
  f->api.store = &f->store;
  f->api.profiles = f->profiles;
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *f = *state;
  g_clear_pointer(&f->created, ims_session_record_free);
  ims_config_free(f->config);
  ims_profile_set_free(f->profiles);
  g_free(f);
  return 0;
}

/* Runs a request, checks its status; the body's object (owned by parser). */
static JsonObject *
call(Fixture *f, const char *method, const char *path, const char *auth, const char *body,
     int expected_status, JsonParser *parser)
{
  return api_call_expect(&f->api, method, path, auth, body, expected_status, parser);
}

/* The candidate's "Bearer <token>" of a session created from body. */
static char *
create(Fixture *f, const char *body)
{
  g_autoptr(JsonParser) parser = json_parser_new();
  JsonObject *created = call(f, "POST", "/api/v1/sessions", SERVICE_AUTH, body, 201, parser);
  return g_strdup_printf("Bearer %s", json_object_get_string_member(created, "token"));
}

static void
expect_overview_error(Fixture *f, const char *auth, int status, const char *code)
{
  g_autoptr(JsonParser) parser = json_parser_new();
  JsonObject *error = call(f, "GET", OVERVIEW_PATH, auth, NULL, status, parser);
  assert_string_equal(json_object_get_string_member(error, "code"), code);
  assert_true(strlen(json_object_get_string_member(error, "message")) > 0);
}

static void
test_overview_of_a_created_session(void **state)
{
  Fixture *f = *state;
  g_autofree char *auth = create(
      f, BODY(",\"title\":\"Backend engineer\",\"companyName\":\"Acme\","
              "\"settings\":{\"thinkSeconds\":20,\"maxRetakes\":1},"
              "\"practice\":{\"text\":\"Tell us about your day.\",\"timeLimitSeconds\":30}"));
  g_autoptr(JsonParser) parser = json_parser_new();
  JsonObject *overview = call(f, "GET", OVERVIEW_PATH, auth, NULL, 200, parser);
  assert_string_equal(json_object_get_string_member(overview, "sessionId"), f->created->id);
  assert_string_equal(json_object_get_string_member(overview, "title"), "Backend engineer");
  assert_string_equal(json_object_get_string_member(overview, "companyName"), "Acme");
  assert_string_equal(json_object_get_string_member(overview, "status"), "created");
  assert_int_equal(json_object_get_int_member(overview, "questionCount"), 2);
  assert_int_equal(json_object_get_int_member(overview, "answerSeconds"), 90);
  assert_int_equal(json_object_get_int_member(overview, "thinkSeconds"), 20);
  assert_int_equal(json_object_get_int_member(overview, "maxRetakes"), 1);
  JsonObject *practice = json_object_get_object_member(overview, "practice");
  assert_string_equal(json_object_get_string_member(practice, "text"), "Tell us about your day.");
  assert_int_equal(json_object_get_int_member(practice, "timeLimitSeconds"), 30);
}

static void
test_overview_without_the_optional_members(void **state)
{
  Fixture *f = *state;
  g_autofree char *auth = create(f, BODY(""));
  g_autoptr(JsonParser) parser = json_parser_new();
  JsonObject *overview = call(f, "GET", OVERVIEW_PATH, auth, NULL, 200, parser);
  assert_true(json_object_get_null_member(overview, "title"));
  assert_true(json_object_get_null_member(overview, "companyName"));
  assert_true(json_object_get_null_member(overview, "practice"));
}

static void
test_create_refuses_bad_overview_members(void **state)
{
  Fixture *f = *state;
  g_autofree char *long_title = g_strnfill(201, 'x');
  g_autofree char *long_body = g_strdup_printf(BODY(",\"title\":\"%s\""), long_title);
  const char *bodies[] = {
    BODY(",\"title\":\"\""),
    BODY(",\"title\":5"),
    BODY(",\"companyName\":[]"),
    BODY(",\"practice\":true"),
    BODY(",\"practice\":{\"timeLimitSeconds\":30}"),
    BODY(",\"practice\":{\"text\":\"t\"}"),
    BODY(",\"practice\":{\"text\":\"t\",\"timeLimitSeconds\":1}"),
    BODY(",\"practice\":{\"text\":\"t\",\"timeLimitSeconds\":100000}"),
    long_body,
  };
  for (guint i = 0; i < G_N_ELEMENTS(bodies); i++) {
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonObject *error = call(f, "POST", "/api/v1/sessions", SERVICE_AUTH, bodies[i], 400, parser);
    assert_string_equal(json_object_get_string_member(error, "code"), "invalid_request");
  }
  assert_null(f->created);
}

static void
test_overview_refuses_bad_tokens(void **state)
{
  Fixture *f = *state;
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  const char *id = "6f1c0b3e-7a0d-4a52-9d3c-0c1f7a2b9e11";
  g_autofree char *expired = ims_token_issue(SECRET, id, now - 7200, 60, NULL);
  g_autofree char *future = ims_token_issue(SECRET, id, now + 3600, 60, NULL);
  g_autofree char *forged = ims_token_issue(OTHER_SECRET, id, now, 60, NULL);
  g_autofree char *unknown = ims_token_issue(SECRET, id, now, 60, NULL);
  g_autofree char *not_uuid = ims_token_issue(SECRET, "../etc", now, 60, NULL);
  g_autofree char *auth = NULL;

  expect_overview_error(f, NULL, 401, "token_missing");
  expect_overview_error(f, "Basic abc", 401, "token_missing");
  expect_overview_error(f, "Bearer not.a.token", 401, "bad_token");
  expect_overview_error(f, (auth = g_strdup_printf("Bearer %s", forged)), 401, "bad_token");
  g_free(auth);
  expect_overview_error(f, (auth = g_strdup_printf("Bearer %s", expired)), 401, "token_expired");
  g_free(auth);
  expect_overview_error(f, (auth = g_strdup_printf("Bearer %s", future)), 401,
                        "token_not_yet_valid");
  g_free(auth);
  expect_overview_error(f, (auth = g_strdup_printf("Bearer %s", unknown)), 404,
                        "session_not_found");
  g_free(auth);
  expect_overview_error(f, (auth = g_strdup_printf("Bearer %s", not_uuid)), 404,
                        "session_not_found");
  g_free(auth);
  auth = NULL;
  /* the service token opens no candidate's overview */
  expect_overview_error(f, SERVICE_AUTH, 401, "bad_token");
}

static void
test_overview_of_a_completed_or_live_session(void **state)
{
  Fixture *f = *state;
  g_autofree char *auth = create(f, BODY(""));
  f->created->state = IMS_SESSION_COMPLETED;
  expect_overview_error(f, auth, 410, "interview_completed");
  f->created->state = IMS_SESSION_ACTIVE;
  f->created->kind = IMS_SESSION_LIVE;
  expect_overview_error(f, auth, 404, "session_not_found");
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
  const struct CMUnitTest tests[] = {
    T(test_overview_of_a_created_session),
    T(test_overview_without_the_optional_members),
    T(test_create_refuses_bad_overview_members),
    T(test_overview_refuses_bad_tokens),
    T(test_overview_of_a_completed_or_live_session),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
