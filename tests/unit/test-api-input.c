/* test-api-input.c: unit tests for server/http/api-input.c: which ids the REST API
 * takes, and finding "\u0000" in JSON text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include <glib.h>

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
    "q\x01", "\t", "q\n", "q\x7f",
    "q\xc2\x85",          /* U+0085, a C1 control */
    "q\xe2\x80\x8b",      /* U+200B zero width space, a format character */
    "\xff", "q\xc3",      /* not UTF-8 */
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
    "{\"id\":\"\\\\\\u0000\"}",  /* an escaped backslash, then a NUL */
    "[\"\\u00001\"]",
  };
  static const char *const without[] = {
    "{\"id\":\"q1\"}",
    "{\"id\":\"\\\\u0000\"}",    /* a backslash and the text u0000 */
    "{\"id\":\"\\u0001\\u0100\\u1000\"}",
    "{\"id\":\"u0000\"}",
    "{\"id\":\"\\u000",          /* cut short: no NUL (the parser refuses it) */
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

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_valid_ids),
    cmocka_unit_test(test_refused_ids),
    cmocka_unit_test(test_json_nul),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
