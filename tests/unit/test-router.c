/* test-router.c: unit tests for server/http/router.c, the REST path router:
 * matching and captures, the paths that once crashed the review API
 * (lengths by subtraction), and every kind of odd path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "router.h"

enum { LIST, DETAIL, DELETE_MEDIA, MEDIA_URL, HEALTH };

static const ImsRoute routes[] = {
  { "GET", "/api/v1/review/sessions", LIST },
  { "GET", "/api/v1/review/sessions/{}", DETAIL },
  { "DELETE", "/api/v1/review/sessions/{}/media", DELETE_MEDIA },
  { "GET", "/api/v1/review/media/{}/url", MEDIA_URL },
  { "GET", "/healthz", HEALTH },
  { "HEAD", "/healthz", HEALTH },
};

static void
expect_refused(const char *method, const char *path, int status, const char *code)
{
  ImsRouteMatch match = { 0 };
  gboolean found = ims_route_match(routes, G_N_ELEMENTS(routes), method, path, &match);
  if (found || match.status != status || g_strcmp0(match.code, code) != 0)
    fail_msg("%s %s: found %d status %d code %s, expected %d %s", method, path, found, match.status,
             match.code, status, code);
  assert_non_null(match.message);
  assert_true(strlen(match.message) > 0);
  assert_int_equal(match.n_params, 0);
  ims_route_match_clear(&match);
}

static void
test_matches_and_captures(void **state)
{
  (void) state;
  ImsRouteMatch match = { 0 };
  assert_true(ims_route_match(routes, G_N_ELEMENTS(routes), "GET",
                              "/api/v1/review/media/6f1c0b3e-7a0d-4a52-9d3c-0c1f7a2b9e11/url",
                              &match));
  assert_int_equal(match.status, 200);
  assert_int_equal(match.route, MEDIA_URL);
  assert_null(match.code);
  assert_int_equal(match.n_params, 1);
  assert_string_equal(match.params[0], "6f1c0b3e-7a0d-4a52-9d3c-0c1f7a2b9e11");

  assert_true(ims_route_match(routes, G_N_ELEMENTS(routes), "DELETE",
                              "/api/v1/review/sessions/abc/media", &match));
  assert_int_equal(match.route, DELETE_MEDIA);
  assert_int_equal(match.n_params, 1);
  assert_string_equal(match.params[0], "abc");

  assert_true(
      ims_route_match(routes, G_N_ELEMENTS(routes), "GET", "/api/v1/review/sessions", &match));
  assert_int_equal(match.route, LIST);
  assert_int_equal(match.n_params, 0);

  /* a one-character id is one segment like any other */
  assert_true(
      ims_route_match(routes, G_N_ELEMENTS(routes), "GET", "/api/v1/review/sessions/x", &match));
  assert_int_equal(match.route, DETAIL);
  assert_string_equal(match.params[0], "x");
  ims_route_match_clear(&match);
  ims_route_match_clear(&match); /* twice is safe */
  assert_int_equal(match.route, -1);
}

/* These paths made review-api.c compute an id length of -1 (SIGSEGV). */
static void
test_paths_that_crashed_the_review_api(void **state)
{
  (void) state;
  expect_refused("GET", "/api/v1/review/media/url", 404, "not_found");
  expect_refused("GET", "/api/v1/review/media//url", 400, "bad_path");
  /* the shape of a session's detail: DELETE is not a method of it */
  expect_refused("DELETE", "/api/v1/review/sessions/media", 405, "method_not_allowed");
  expect_refused("DELETE", "/api/v1/review/sessions//media", 400, "bad_path");
  expect_refused("DELETE", "/api/v1/review/sessions/media/", 400, "bad_path");
  expect_refused("GET", "/api/v1/review/media/", 400, "bad_path");
  expect_refused("GET", "/api/v1/review/media/url/", 400, "bad_path");
  expect_refused("GET", "/api/v1/review/media", 404, "not_found");
  expect_refused("GET", "/api/v1/review/media/a/b/url", 404, "not_found");
}

static void
test_odd_paths(void **state)
{
  (void) state;
  static const char *const bad[] = {
    "",
    "api",
    "/",
    "//",
    "/api/v1/review/sessions/",
    "/api//v1/review/sessions",
    "/api/v1/review/sessions/..",
    "/api/v1/review/sessions/.",
    "/api/v1/review/sessions/../x",
    "/api/v1/review/sessions/%2e%2e",
    "/api/v1/review/sessions/a%2Fb",
    "/api/v1/review/sessions/%00",
    "/api/v1/review/sessions/a b",
    "/api/v1/review/sessions/a\tb",
    "/api/v1/review/sessions/\x7f",
    "/api/v1/review/sessions/\xc3\xa9",
    "/api/v1/review/sessions/\xff",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
    expect_refused("GET", bad[i], 400, "bad_path");
  expect_refused("GET", NULL, 400, "bad_path");

  /* over-long: one byte over the limit is refused, at the limit it is routed */
  g_autoptr(GString) path = g_string_new("/api/v1/review/sessions/");
  while (path->len < IMS_ROUTE_MAX_PATH_BYTES)
    g_string_append_c(path, 'a');
  ImsRouteMatch match = { 0 };
  assert_true(ims_route_match(routes, G_N_ELEMENTS(routes), "GET", path->str, &match));
  assert_int_equal(match.route, DETAIL);
  ims_route_match_clear(&match);
  g_string_append_c(path, 'a');
  expect_refused("GET", path->str, 400, "bad_path");

  /* too many segments */
  g_autoptr(GString) deep = g_string_new("");
  for (int i = 0; i <= IMS_ROUTE_MAX_SEGMENTS; i++)
    g_string_append(deep, "/a");
  expect_refused("GET", deep->str, 400, "bad_path");
}

static void
test_unknown_paths_and_methods(void **state)
{
  (void) state;
  expect_refused("GET", "/api/v1/review", 404, "not_found");
  expect_refused("GET", "/api/v1/review/sessions/a/b", 404, "not_found");
  expect_refused("GET", "/healthz/x", 404, "not_found");
  expect_refused("GET", "/HEALTHZ", 404, "not_found");
  expect_refused("POST", "/api/v1/review/sessions", 405, "method_not_allowed");
  expect_refused(NULL, "/api/v1/review/sessions", 405, "method_not_allowed");

  /* a 405 names the route of that path and every method it has */
  ImsRouteMatch match = { 0 };
  assert_false(ims_route_match(routes, G_N_ELEMENTS(routes), "POST", "/healthz", &match));
  assert_int_equal(match.route, HEALTH);
  assert_string_equal(match.message, "Use GET or HEAD.");
  ims_route_match_clear(&match);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_matches_and_captures),
    cmocka_unit_test(test_paths_that_crashed_the_review_api),
    cmocka_unit_test(test_odd_paths),
    cmocka_unit_test(test_unknown_paths_and_methods),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
