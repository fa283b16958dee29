/* test-http.c: unit tests for server/http/http.c's query string handling
 * (ims_http_query_join): lws hands the query decoded, in fragments; what the
 * API parses must give back exactly those parameters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include <glib.h>

#include "http.h"

/* Joins fragments and parses the result as review-api.c does. */
static GHashTable *
join_and_parse(const char *const *fragments, guint n)
{
  g_autofree char *query = ims_http_query_join(fragments, n);
  assert_non_null(query);
  GHashTable *params = g_uri_parse_params(query, -1, "&", G_URI_PARAMS_NONE, NULL);
  if (!params)
    fail_msg("the joined query does not parse: %s", query);
  return params;
}

static void
test_each_parameter_survives(void **state)
{
  (void) state;
  /* as lws decodes ?interviewId=a%26b%3Dc&status=created&note=100%25&x=a%20b */
  const char *const fragments[] = { "interviewId=a&b=c", "status=created", "note=100%", "x=a b",
                                    "empty=" };
  g_autoptr(GHashTable) params = join_and_parse(fragments, G_N_ELEMENTS(fragments));
  assert_int_equal(g_hash_table_size(params), 5);
  assert_string_equal(g_hash_table_lookup(params, "interviewId"), "a&b=c");
  assert_string_equal(g_hash_table_lookup(params, "status"), "created");
  assert_string_equal(g_hash_table_lookup(params, "note"), "100%");
  assert_string_equal(g_hash_table_lookup(params, "x"), "a b");
  assert_string_equal(g_hash_table_lookup(params, "empty"), "");

  /* a parameter without "=" stays one, so the API refuses it as malformed */
  const char *const flag[] = { "limit=1", "fl&ag" };
  g_autofree char *query = ims_http_query_join(flag, G_N_ELEMENTS(flag));
  assert_string_equal(query, "limit=1&fl%26ag");
}

static void
test_unicode_and_long_values(void **state)
{
  (void) state;
  g_autofree char *long_value = g_strnfill(IMS_HTTP_MAX_QUERY_BYTES, 'v');
  g_autofree char *long_fragment = g_strconcat("interviewId=", long_value, NULL);
  const char *const fragments[] = { "name=entretien été", long_fragment };
  g_autoptr(GHashTable) params = join_and_parse(fragments, G_N_ELEMENTS(fragments));
  assert_string_equal(g_hash_table_lookup(params, "name"), "entretien été");
  /* nothing is cut here: the length limit is the HTTP layer's, and it refuses */
  assert_string_equal(g_hash_table_lookup(params, "interviewId"), long_value);
}

static void
test_no_fragments(void **state)
{
  (void) state;
  g_autofree char *query = ims_http_query_join(NULL, 0);
  assert_string_equal(query, "");
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_each_parameter_survives),
    cmocka_unit_test(test_unicode_and_long_values),
    cmocka_unit_test(test_no_fragments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
