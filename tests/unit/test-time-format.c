/* Unit tests for base/time-format.c: the ISO 8601 text of every time in replies and events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <glib.h>

#include "time-format.h"

/* 2025-10-06T10:00:00.000Z in unix microseconds */
#define T0 G_GINT64_CONSTANT(1759744800000000)

static void
test_format(void **state)
{
  static const struct {
    gint64 us;
    const char *text;
  } cases[] = {
    { T0, "2025-10-06T10:00:00.000Z" },
    { T0 + 1999, "2025-10-06T10:00:00.001Z" }, /* truncated, not rounded */
    { T0 + 999999, "2025-10-06T10:00:00.999Z" },
    { 0, "1970-01-01T00:00:00.000Z" },
    { -1, "1969-12-31T23:59:59.999Z" }, /* floored, never a negative fraction */
    { -1000, "1969-12-31T23:59:59.999Z" },
    { -G_USEC_PER_SEC, "1969-12-31T23:59:59.000Z" },
    { G_GINT64_CONSTANT(951782400000000), "2000-02-29T00:00:00.000Z" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *text = ims_time_format_iso8601(cases[i].us);
    assert_string_equal(text, cases[i].text);
  }
}

static void
test_out_of_range(void **state)
{
  /* year 10000 and year 0 cannot be written in the format */
  assert_null(ims_time_format_iso8601(G_GINT64_CONSTANT(253402300800) * G_USEC_PER_SEC));
  assert_null(ims_time_format_iso8601(G_GINT64_CONSTANT(-62135596801) * G_USEC_PER_SEC));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_format),
    cmocka_unit_test(test_out_of_range),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
