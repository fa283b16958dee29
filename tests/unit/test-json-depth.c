/* Unit tests for base/json-depth.c: the nesting check every JSON input passes before parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include <glib.h>

#include "json-depth.h"

static gboolean
within(const char *text, guint max_depth)
{
  return ims_json_depth_within(text, strlen(text), max_depth);
}

/* depth levels of '[' then as many ']', inside {"a": ...} when wrapped (which adds a level). */
static char *
nested(guint depth, gboolean wrapped)
{
  GString *text = g_string_new(wrapped ? "{\"a\":" : "");
  for (guint i = 0; i < depth; i++)
    g_string_append_c(text, '[');
  for (guint i = 0; i < depth; i++)
    g_string_append_c(text, ']');
  if (wrapped)
    g_string_append_c(text, '}');
  return g_string_free(text, FALSE);
}

static void
test_flat_values(void **state)
{
  assert_true(within("", 0));
  assert_true(within("42", 0));
  assert_true(within("\"text\"", 0));
  assert_false(within("{}", 0));
  assert_true(within("{}", 1));
  assert_true(within("[1,2,3]", 1));
  assert_true(within("{\"a\":1,\"b\":[]}", 2));
  assert_false(within("{\"a\":1,\"b\":[]}", 1));
  assert_true(ims_json_depth_within(NULL, 0, 0));
}

static void
test_limit_is_inclusive(void **state)
{
  for (guint depth = 1; depth <= IMS_JSON_MAX_DEPTH + 1; depth++) {
    g_autofree char *bare = nested(depth, FALSE);
    assert_int_equal(within(bare, IMS_JSON_MAX_DEPTH), depth <= IMS_JSON_MAX_DEPTH);
    g_autofree char *wrapped = nested(depth, TRUE); /* one level more */
    assert_int_equal(within(wrapped, IMS_JSON_MAX_DEPTH), depth + 1 <= IMS_JSON_MAX_DEPTH);
  }
  /* siblings do not add up: many shallow arrays in a row stay shallow */
  GString *siblings = g_string_new("[");
  for (int i = 0; i < 10000; i++)
    g_string_append(siblings, i ? ",[[]]" : "[[]]");
  g_string_append_c(siblings, ']');
  assert_true(ims_json_depth_within(siblings->str, siblings->len, 3));
  assert_false(ims_json_depth_within(siblings->str, siblings->len, 2));
  g_string_free(siblings, TRUE);
}

static void
test_brackets_in_strings_do_not_count(void **state)
{
  assert_true(within("{\"a\":\"[[[[[[[[{{{{{{\"}", 1));
  assert_true(within("[\"]]]]]]]\", \"[\"]", 1));
  /* an escaped quote does not end the string: the brackets after it are still inside */
  assert_true(within("{\"a\":\"\\\"[[[[{{{{\"}", 1));
  assert_true(within("[\"\\\"\",\"\\\"[[[[\"]", 1));
  /* an escaped backslash does end it: \\" closes the string, the bracket after it counts */
  assert_false(within("[\"\\\\\",[]]", 1));
  assert_true(within("[\"\\\\\",[]]", 2));
  /* a member name is a string too */
  assert_true(within("{\"[[[[\":1}", 1));
  /* other escapes, unicode escapes and UTF-8 inside strings */
  assert_true(within("{\"a\":\"\\n\\t\\u005b\\u007b [ é 😀 {\"}", 1));
  /* 100,000 quoted brackets with escaped quotes between them */
  GString *quoted = g_string_new("{\"s\":\"");
  for (int i = 0; i < 100000; i++)
    g_string_append(quoted, "[{\\\"");
  g_string_append(quoted, "\"}");
  assert_true(ims_json_depth_within(quoted->str, quoted->len, 1));
  g_string_free(quoted, TRUE);
}

static void
test_malformed_input(void **state)
{
  /* closers without openers never make the depth negative, so they cannot hide a deep part */
  g_autofree char *deep = nested(IMS_JSON_MAX_DEPTH + 1, FALSE);
  g_autofree char *after_closers = g_strconcat("]]]]]]]]}}}}", deep, NULL);
  assert_false(within(after_closers, IMS_JSON_MAX_DEPTH));
  /* an unterminated string swallows the rest: the parser refuses it anyway */
  assert_true(within("\"[[[[[[[[", 1));
  /* a trailing backslash must not read past the end */
  static const char trailing[] = { '"', '\\' };
  assert_true(ims_json_depth_within(trailing, sizeof trailing, 1));
  /* the length is honoured: bytes past it are not read */
  static const char prefix[] = "[[[[";
  assert_true(ims_json_depth_within(prefix, 1, 1));
  assert_false(ims_json_depth_within(prefix, 2, 1));
  /* NUL bytes are ordinary bytes */
  static const char with_nul[] = { '[', '\0', '[', ']', ']' };
  assert_false(ims_json_depth_within(with_nul, sizeof with_nul, 1));
}

static void
test_huge_input(void **state)
{
  /* 200,000 levels (400 KB), the REST body that used to overflow json-glib's stack */
  g_autofree char *deep = nested(200000, TRUE);
  assert_false(within(deep, IMS_JSON_MAX_DEPTH));
  assert_true(within(deep, 200001));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_flat_values),
    cmocka_unit_test(test_limit_is_inclusive),
    cmocka_unit_test(test_brackets_in_strings_do_not_count),
    cmocka_unit_test(test_malformed_input),
    cmocka_unit_test(test_huge_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
