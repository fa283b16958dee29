/* test-log-session.c: an untrusted id made safe for a log line (base/log-session.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "log-session.h"

static void
assert_safe(const char *input, const char *expected)
{
  g_autofree char *safe = ims_log_untrusted_id(input);
  assert_string_equal(safe, expected);
}

/* A session id as the API makes them passes unchanged. */
static void
test_uuid_unchanged(void **state)
{
  assert_safe("799261e3-98d6-4923-b055-00c77c5b11e8", "799261e3-98d6-4923-b055-00c77c5b11e8");
  assert_safe("not-a-uuid_42", "not-a-uuid_42");
  assert_safe("", "");
  assert_null(ims_log_untrusted_id(NULL));
}

/* A line break cannot start a forged line; the text format's brackets, quotes, backslashes, spaces and
 * bytes that are not ASCII are written as \xNN. */
static void
test_escapes(void **state)
{
  assert_safe("a\nb", "a\\x0ab");
  assert_safe("x]: forged\r\n", "x\\x5d:\\x20forged\\x0d\\x0a");
  assert_safe("[\"\\\t", "\\x5b\\x22\\x5c\\x09");
  assert_safe("\x7f\x01", "\\x7f\\x01");
  assert_safe("caf\xc3\xa9", "caf\\xc3\\xa9");
}

/* Only the first IMS_LOG_UNTRUSTED_ID_MAX bytes are kept, "..." says more followed; exactly the limit is
 * not truncated. */
static void
test_truncates(void **state)
{
  char exact[IMS_LOG_UNTRUSTED_ID_MAX + 1];
  memset(exact, 'a', IMS_LOG_UNTRUSTED_ID_MAX);
  exact[IMS_LOG_UNTRUSTED_ID_MAX] = '\0';
  assert_safe(exact, exact);

  g_autofree char *longer = g_strnfill(1000, 'b');
  g_autofree char *safe = ims_log_untrusted_id(longer);
  assert_int_equal(strlen(safe), IMS_LOG_UNTRUSTED_ID_MAX + 3);
  assert_true(g_str_has_suffix(safe, "b..."));

  /* escapes count the input's bytes, not the output's */
  g_autofree char *breaks = g_strnfill(100, '\n');
  g_autofree char *escaped = ims_log_untrusted_id(breaks);
  assert_int_equal(strlen(escaped), 4 * IMS_LOG_UNTRUSTED_ID_MAX + 3);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_uuid_unchanged),
    cmocka_unit_test(test_escapes),
    cmocka_unit_test(test_truncates),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
