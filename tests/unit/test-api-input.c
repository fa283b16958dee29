/* test-api-input.c: unit tests for server/http/api-input.c: which ids the REST API
 * takes, finding "\u0000" in JSON text, and the parameter tables bodies and
 * queries are checked against (missing, wrong type, out of range, unknown). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "api-input.h"

static void
test_valid_ids(void **state)
{
  (void) state;
  static const char *const ids[] = {
    "q1", "Q.1_x-y", "a b", "é", "面接 1", "interview/7?x=y", "\xf0\x9f\x99\x82",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(ids); i++)
    assert_null(ims_api_input_id_problem(ids[i], -1));
  g_autofree char *longest = g_strnfill(IMS_API_MAX_ID_BYTES, 'a');
  assert_null(ims_api_input_id_problem(longest, -1));
}

static void
test_refused_ids(void **state)
{
  (void) state;
  static const char *const ids[] = {
    "",
    "q\x01",
    "\t",
    "q\n",
    "q\x7f",
    "q\xc2\x85",     /* U+0085, a C1 control */
    "q\xe2\x80\x8b", /* U+200B zero width space, a format character */
    "\xff",
    "q\xc3", /* not UTF-8 */
  };
  for (gsize i = 0; i < G_N_ELEMENTS(ids); i++) {
    const char *problem = ims_api_input_id_problem(ids[i], -1);
    if (!problem)
      fail_msg("id %" G_GSIZE_FORMAT " was accepted", i);
  }
  assert_non_null(ims_api_input_id_problem(NULL, -1));
  assert_string_equal(ims_api_input_id_problem("q1\0x", 4), "holds a NUL character");
  g_autofree char *too_long = g_strnfill(IMS_API_MAX_ID_BYTES + 1, 'a');
  assert_non_null(ims_api_input_id_problem(too_long, -1));
}

static void
test_json_nul(void **state)
{
  (void) state;
  static const char *const with_nul[] = {
    "{\"id\":\"q1\\u0000x\"}",
    "{\"id\":\"\\u0000\"}",
    "{\"id\":\"\\\\\\u0000\"}", /* an escaped backslash, then a NUL */
    "[\"\\u00001\"]",
  };
  static const char *const without[] = {
    "{\"id\":\"q1\"}",
    "{\"id\":\"\\\\u0000\"}", /* a backslash and the text u0000 */
    "{\"id\":\"\\u0001\\u0100\\u1000\"}",
    "{\"id\":\"u0000\"}",
    "{\"id\":\"\\u000", /* cut short: no NUL (the parser refuses it) */
    "\\",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(with_nul); i++)
    assert_true(ims_api_input_json_has_nul(with_nul[i], strlen(with_nul[i])));
  for (gsize i = 0; i < G_N_ELEMENTS(without); i++)
    if (ims_api_input_json_has_nul(without[i], strlen(without[i])))
      fail_msg("found a NUL in %s", without[i]);
  /* only length bytes are read */
  assert_false(ims_api_input_json_has_nul("\"\\u0000\"", 4));
}

/* ---- parameter tables: a body ---- */

typedef struct {
  char *name;
  char *nick;
  int count;
  int depth;
  JsonArray *items;
} Body;

static void
body_clear(Body *body)
{
  g_clear_pointer(&body->name, g_free);
  g_clear_pointer(&body->nick, g_free);
  body->count = body->depth = -100; /* defaults: an absent member leaves them */
  body->items = NULL;
}

/* Checks json against a table of each type; NULL if accepted, else the
 * sentence (transfer full).  What was stored stays in *body. */
static char *
check_body(const char *json, Body *body)
{
  const ImsApiParameter options[] = {
    { .name = "depth", .type = IMS_API_PARAM_INT, .min = 1, .max = 3, .integer = &body->depth },
  };
  const ImsApiParameter table[] = {
    { .name = "name", .type = IMS_API_PARAM_ID, .flags = IMS_API_PARAM_REQUIRED, .copy = &body->name },
    { .name = "nick", .type = IMS_API_PARAM_STRING, .max = 4, .copy = &body->nick },
    { .name = "count", .type = IMS_API_PARAM_INT, .min = -2, .max = 7, .integer = &body->count },
    { .name = "options",
      .type = IMS_API_PARAM_OBJECT,
      .members = options,
      .n_members = G_N_ELEMENTS(options) },
    { .name = "items",
      .type = IMS_API_PARAM_ARRAY,
      .flags = IMS_API_PARAM_REQUIRED,
      .min = 1,
      .max = 2,
      .array = &body->items },
  };
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GError) error = NULL;
  if (!json_parser_load_from_data(parser, json, -1, &error))
    fail_msg("%s: %s", json, error->message);
  char *problem = NULL;
  gboolean ok = ims_api_input_check_object(json_node_get_object(json_parser_get_root(parser)),
                                           table, G_N_ELEMENTS(table), &problem);
  assert_true(ok == (problem == NULL));
  body->items = NULL; /* it pointed into the parser's tree */
  return problem;
}

static void
expect_body_refused(const char *json, const char *sentence)
{
  Body body = { 0 };
  body_clear(&body);
  g_autofree char *problem = check_body(json, &body);
  if (g_strcmp0(problem, sentence) != 0)
    fail_msg("%s: got <%s>, expected <%s>", json, problem, sentence);
  body_clear(&body);
}

#define ITEMS ",\"items\":[1]"

static void
test_body_accepted(void **state)
{
  (void) state;
  Body body = { 0 };
  body_clear(&body);
  g_autofree char *problem = check_body(
      "{\"name\":\"n 1\",\"nick\":\"abcd\",\"count\":-2,\"options\":{\"depth\":3},"
      "\"items\":[1,{}]}",
      &body);
  assert_null(problem);
  assert_string_equal(body.name, "n 1");
  assert_string_equal(body.nick, "abcd");
  assert_int_equal(body.count, -2);
  assert_int_equal(body.depth, 3);
  body_clear(&body);

  /* null is absent, and absent leaves the default */
  g_autofree char *nulls = check_body(
      "{\"name\":\"n\",\"nick\":null,\"count\":null,\"options\":null" ITEMS "}", &body);
  assert_null(nulls);
  assert_null(body.nick);
  assert_int_equal(body.count, -100);
  assert_int_equal(body.depth, -100);
  body_clear(&body);

  /* members the table does not name are ignored, whatever they hold;
   * names are case-sensitive */
  g_autofree char *unknown = check_body(
      "{\"name\":\"n\",\"Name\":5,\"unknown\":{\"deep\":[[]]},\"count \":\"x\"" ITEMS "}", &body);
  assert_null(unknown);
  assert_string_equal(body.name, "n");
  body_clear(&body);
}

static void
test_body_missing(void **state)
{
  (void) state;
  expect_body_refused("{\"items\":[1]}", "\"name\" is required");
  expect_body_refused("{\"name\":null" ITEMS "}", "\"name\" is required");
  expect_body_refused("{\"name\":\"n\"}", "\"items\" is required");
  expect_body_refused("{}", "\"name\" is required");
}

static void
test_body_wrong_type(void **state)
{
  (void) state;
  static const char *const not_strings[] = { "5", "true", "[\"n\"]", "{}", "1.5" };
  for (guint i = 0; i < G_N_ELEMENTS(not_strings); i++) {
    g_autofree char *json = g_strdup_printf("{\"name\":%s" ITEMS "}", not_strings[i]);
    expect_body_refused(json, "\"name\" must be a non-empty string of at most 256 characters");
  }
  static const char *const not_integers[] = { "1.0", "\"1\"", "true", "[1]", "{}" };
  for (guint i = 0; i < G_N_ELEMENTS(not_integers); i++) {
    g_autofree char *json = g_strdup_printf("{\"name\":\"n\",\"count\":%s" ITEMS "}",
                                            not_integers[i]);
    expect_body_refused(json, "\"count\" must be an integer from -2 to 7");
  }
  expect_body_refused("{\"name\":\"n\",\"options\":[]" ITEMS "}", "\"options\" must be an object");
  expect_body_refused("{\"name\":\"n\",\"options\":\"x\"" ITEMS "}",
                      "\"options\" must be an object");
  expect_body_refused("{\"name\":\"n\",\"items\":{}}",
                      "\"items\" must be an array of 1 to 2 elements");
  expect_body_refused("{\"name\":\"n\",\"items\":\"[1]\"}",
                      "\"items\" must be an array of 1 to 2 elements");
}

static void
test_body_out_of_range(void **state)
{
  (void) state;
  expect_body_refused("{\"name\":\"\"" ITEMS "}",
                      "\"name\" must be a non-empty string of at most 256 characters");
  g_autofree char *long_name = g_strnfill(IMS_API_MAX_ID_BYTES + 1, 'n');
  g_autofree char *long_json = g_strdup_printf("{\"name\":\"%s\"" ITEMS "}", long_name);
  expect_body_refused(long_json, "\"name\" must be a non-empty string of at most 256 characters");
  /* a string of the right length that is no id */
  expect_body_refused("{\"name\":\"a\\u0001\"" ITEMS "}",
                      "\"name\" holds a control or other non-printable character");
  expect_body_refused("{\"name\":\"n\",\"nick\":\"abcde\"" ITEMS "}",
                      "\"nick\" must be a non-empty string of at most 4 characters");
  expect_body_refused("{\"name\":\"n\",\"nick\":\"\"" ITEMS "}",
                      "\"nick\" must be a non-empty string of at most 4 characters");
  expect_body_refused("{\"name\":\"n\",\"count\":8" ITEMS "}",
                      "\"count\" must be an integer from -2 to 7");
  expect_body_refused("{\"name\":\"n\",\"count\":-3" ITEMS "}",
                      "\"count\" must be an integer from -2 to 7");
  expect_body_refused("{\"name\":\"n\",\"count\":9223372036854775807" ITEMS "}",
                      "\"count\" must be an integer from -2 to 7");
  /* a nested member is named alone */
  expect_body_refused("{\"name\":\"n\",\"options\":{\"depth\":0}" ITEMS "}",
                      "\"depth\" must be an integer from 1 to 3");
  expect_body_refused("{\"name\":\"n\",\"items\":[]}",
                      "\"items\" must be an array of 1 to 2 elements");
  expect_body_refused("{\"name\":\"n\",\"items\":[1,2,3]}",
                      "\"items\" must be an array of 1 to 2 elements");
}

/* The first refusal in table order is the one reported, wherever it is in
 * the body; what was stored before it stays for its owner to free. */
static void
test_body_first_refusal(void **state)
{
  (void) state;
  expect_body_refused("{\"items\":[],\"count\":99,\"name\":5}",
                      "\"name\" must be a non-empty string of at most 256 characters");
  expect_body_refused("{\"items\":[],\"count\":99,\"name\":\"n\"}",
                      "\"count\" must be an integer from -2 to 7");
  Body body = { 0 };
  body_clear(&body);
  g_autofree char *problem = check_body("{\"name\":\"kept\",\"nick\":\"ok\",\"items\":[]}", &body);
  assert_string_equal(problem, "\"items\" must be an array of 1 to 2 elements");
  assert_string_equal(body.name, "kept");
  assert_string_equal(body.nick, "ok");
  body_clear(&body);
}

/* A parameter's own message replaces every sentence of its type, absence included. */
static void
test_own_message(void **state)
{
  (void) state;
  const ImsApiParameter table[] = {
    { .name = "list",
      .type = IMS_API_PARAM_ARRAY,
      .flags = IMS_API_PARAM_REQUIRED,
      .min = 1,
      .max = 1,
      .message = "\"list\" must hold one thing" },
  };
  static const char *const bodies[] = { "{}", "{\"list\":null}", "{\"list\":[]}", "{\"list\":5}" };
  for (guint i = 0; i < G_N_ELEMENTS(bodies); i++) {
    g_autoptr(JsonNode) root = json_from_string(bodies[i], NULL);
    g_autofree char *problem = NULL;
    assert_false(ims_api_input_check_object(json_node_get_object(root), table, 1, &problem));
    assert_string_equal(problem, "\"list\" must hold one thing");
  }
}

/* ---- parameter tables: a query ---- */

static const char *const letters[] = { "a", "b", "c", NULL };

typedef struct {
  const char *id;
  const char *letter;
  char *tag;
  gint64 from;
  int limit;
} Query;

/* Checks query (as g_uri_parse_params reads it; NULL: none); NULL if
 * accepted, else the sentence (transfer full). */
static char *
check_query(const char *query, Query *out, GHashTable **params)
{
  const ImsApiParameter table[] = {
    { .name = "id", .type = IMS_API_PARAM_ID, .text = &out->id },
    { .name = "letter", .type = IMS_API_PARAM_WORD, .words = letters, .text = &out->letter },
    { .name = "tag",
      .type = IMS_API_PARAM_STRING,
      .flags = IMS_API_PARAM_REQUIRED,
      .max = 3,
      .copy = &out->tag },
    { .name = "from", .type = IMS_API_PARAM_TIME, .time = &out->from },
    { .name = "limit", .type = IMS_API_PARAM_INT, .min = 1, .max = 100, .integer = &out->limit },
  };
  *out = (Query){ .from = -1, .limit = 20 };
  *params = query ? g_uri_parse_params(query, -1, "&", G_URI_PARAMS_NONE, NULL) : NULL;
  if (query)
    assert_non_null(*params);
  char *problem = NULL;
  gboolean ok = ims_api_input_check_query(*params, table, G_N_ELEMENTS(table), &problem);
  assert_true(ok == (problem == NULL));
  return problem;
}

static void
expect_query_refused(const char *query, const char *sentence)
{
  Query out;
  g_autoptr(GHashTable) params = NULL;
  g_autofree char *problem = check_query(query, &out, &params);
  if (g_strcmp0(problem, sentence) != 0)
    fail_msg("%s: got <%s>, expected <%s>", query, problem, sentence);
  g_free(out.tag);
}

static void
test_query_accepted(void **state)
{
  (void) state;
  Query out;
  g_autoptr(GHashTable) params = NULL;
  g_autofree char *problem = check_query(
      "tag=t&id=a%20b&letter=c&from=2025-10-06T10:00:00.001Z&limit=100&other=x", &out, &params);
  assert_null(problem);
  assert_string_equal(out.id, "a b");
  assert_string_equal(out.letter, "c");
  assert_string_equal(out.tag, "t");
  assert_true(out.from == G_GINT64_CONSTANT(1759744800001000));
  assert_int_equal(out.limit, 100);
  g_free(out.tag);

  /* absent parameters leave the defaults */
  g_autoptr(GHashTable) few = NULL;
  g_autofree char *none = check_query("tag=t", &out, &few);
  assert_null(none);
  assert_null(out.id);
  assert_true(out.from == -1);
  assert_int_equal(out.limit, 20);
  g_free(out.tag);
}

static void
test_query_refused(void **state)
{
  (void) state;
  /* missing: a query parameter is named bare */
  expect_query_refused(NULL, "tag is required");
  expect_query_refused("id=x", "tag is required");
  /* an id in a query is checked by the id rule alone */
  expect_query_refused("tag=t&id=", "id is empty");
  expect_query_refused("tag=t&id=a%01", "id holds a control or other non-printable character");
  g_autofree char *long_id = g_strdup_printf("tag=t&id=%0257d", 7);
  expect_query_refused(long_id, "id is longer than 256 bytes");
  /* one of the words, said in a sentence */
  expect_query_refused("tag=t&letter=d", "letter must be a, b or c");
  expect_query_refused("tag=t&letter=A", "letter must be a, b or c");
  expect_query_refused("tag=t&letter=", "letter must be a, b or c");
  expect_query_refused("tag=abcd", "tag must be a non-empty string of at most 3 characters");
  expect_query_refused("tag=", "tag must be a non-empty string of at most 3 characters");
  expect_query_refused("tag=t&from=yesterday", "from must be an ISO 8601 time");
  expect_query_refused("tag=t&from=2025-10-06", "from must be an ISO 8601 time");
  static const char *const limits[] = { "0", "101", "-1", "1.5", "", "x", "99999999999999999999" };
  for (guint i = 0; i < G_N_ELEMENTS(limits); i++) {
    g_autofree char *query = g_strdup_printf("tag=t&limit=%s", limits[i]);
    expect_query_refused(query, "limit must be an integer from 1 to 100");
  }
  /* the first refusal in table order */
  expect_query_refused("limit=0&letter=z&tag=t", "letter must be a, b or c");
}

static void
count_critical(const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
  (*(guint *) data)++;
}

/* An object or array cannot come in a query: a table that asks for one is a
 * bug, said once in the log, and the parameter is refused, never read. */
static void
test_query_cannot_hold_objects(void **state)
{
  (void) state;
  const ImsApiParameter table[] = {
    { .name = "options", .type = IMS_API_PARAM_OBJECT },
  };
  g_autoptr(GHashTable) params = g_uri_parse_params("options=x", -1, "&", G_URI_PARAMS_NONE, NULL);
  guint criticals = 0;
  guint handler = g_log_set_handler("imsd.api", G_LOG_LEVEL_CRITICAL, count_critical, &criticals);
  g_autofree char *problem = NULL;
  gboolean ok = ims_api_input_check_query(params, table, 1, &problem);
  g_log_remove_handler("imsd.api", handler);
  assert_false(ok);
  assert_string_equal(problem, "options must be an object");
  assert_int_equal(criticals, 1);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_valid_ids),         cmocka_unit_test(test_refused_ids),
    cmocka_unit_test(test_json_nul),          cmocka_unit_test(test_body_accepted),
    cmocka_unit_test(test_body_missing),      cmocka_unit_test(test_body_wrong_type),
    cmocka_unit_test(test_body_out_of_range), cmocka_unit_test(test_body_first_refusal),
    cmocka_unit_test(test_own_message),       cmocka_unit_test(test_query_accepted),
    cmocka_unit_test(test_query_refused),     cmocka_unit_test(test_query_cannot_hold_objects),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
