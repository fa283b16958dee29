/* Unit tests for base/log-level.c: the level names of the config and their GLib thresholds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <glib.h>

#include "log-level.h"

static void
test_known_names(void **state)
{
  static const struct {
    const char *name;
    GLogLevelFlags threshold;
  } cases[] = {
    { "error", G_LOG_LEVEL_CRITICAL }, /* criticals are written even at "error" */
    { "warning", G_LOG_LEVEL_WARNING }, { "message", G_LOG_LEVEL_MESSAGE },
    { "info", G_LOG_LEVEL_INFO },       { "debug", G_LOG_LEVEL_DEBUG },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    GLogLevelFlags threshold = 0;
    assert_true(ims_log_level_parse(cases[i].name, &threshold));
    assert_int_equal(threshold, cases[i].threshold);
  }
  assert_true(ims_log_level_parse("info", NULL));
}

static void
test_unknown_names(void **state)
{
  static const char *const names[] = { "", "INFO", "critical", "verbose", "info ", "deb" };
  for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
    GLogLevelFlags threshold = G_LOG_FLAG_FATAL;
    assert_false(ims_log_level_parse(names[i], &threshold));
    assert_int_equal(threshold, G_LOG_FLAG_FATAL); /* unchanged */
  }
  assert_false(ims_log_level_parse(NULL, NULL));
}

static void
test_names_list_matches(void **state)
{
  /* every name the error message offers is accepted */
  g_auto(GStrv) names = g_strsplit(IMS_LOG_LEVEL_NAMES, ", ", -1);
  assert_int_equal(g_strv_length(names), 5);
  for (guint i = 0; names[i]; i++)
    assert_true(ims_log_level_parse(names[i], NULL));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_known_names),
    cmocka_unit_test(test_unknown_names),
    cmocka_unit_test(test_names_list_matches),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
