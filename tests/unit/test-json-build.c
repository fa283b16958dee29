/* test-json-build.c: unit tests for base/json-build.c, the members every REST reply, the
 * candidate's view and every event payload are built with. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include <math.h>

#include "json-build.h"

/* A builder inside an open object, for each test. */
static int
setup(void **state)
{
  JsonBuilder *builder = json_builder_new();
  json_builder_begin_object(builder);
  *state = builder;
  return 0;
}

static int
teardown(void **state)
{
  g_object_unref(*state);
  return 0;
}

/* Closes the object and returns it as compact JSON text (transfer full). */
static char *
finish(JsonBuilder *builder)
{
  json_builder_end_object(builder);
  g_autoptr(JsonNode) root = json_builder_get_root(builder);
  return json_to_string(root, FALSE);
}

static void
test_strings(void **state)
{
  JsonBuilder *b = *state;
  ims_json_add_string(b, "a", "x\"y");
  ims_json_add_string(b, "b", NULL);
  ims_json_add_string(b, "c", "");
  ims_json_add_string_if_known(b, "d", "known");
  ims_json_add_string_if_known(b, "e", NULL);
  g_autofree char *text = finish(b);
  assert_string_equal(text, "{\"a\":\"x\\\"y\",\"b\":null,\"c\":\"\",\"d\":\"known\"}");
}

static void
test_numbers_and_booleans(void **state)
{
  JsonBuilder *b = *state;
  ims_json_add_int(b, "max", G_MAXINT64);
  ims_json_add_int(b, "min", G_MININT64);
  ims_json_add_boolean(b, "yes", TRUE);
  ims_json_add_boolean(b, "no", FALSE);
  assert_true(ims_json_add_double(b, "half", 0.5));
  /* JSON has no NaN or infinity: 0, and the caller is told */
  assert_false(ims_json_add_double(b, "nan", NAN));
  assert_false(ims_json_add_double(b, "inf", -INFINITY));
  g_autofree char *text = finish(b);
  assert_string_equal(text, "{\"max\":9223372036854775807,\"min\":-9223372036854775808,"
                            "\"yes\":true,\"no\":false,\"half\":0.5,\"nan\":0.0,\"inf\":0.0}");
}

static void
test_times(void **state)
{
  JsonBuilder *b = *state;
  ims_json_add_time_or_null(b, "known", G_GINT64_CONSTANT(1759744800001999));
  ims_json_add_time_or_null(b, "unknown", 0);
  ims_json_add_time_or_null(b, "before1970", -1);
  /* beyond year 9999: a reply writes null */
  ims_json_add_time_or_null(b, "far", G_GINT64_CONSTANT(253402300800) * G_USEC_PER_SEC);
  assert_true(ims_json_add_time(b, "epoch", 0));
  /* a time that cannot be written adds nothing, not even the name */
  assert_false(ims_json_add_time(b, "never", G_MAXINT64));
  g_autofree char *text = finish(b);
  assert_string_equal(text, "{\"known\":\"2025-10-06T10:00:00.001Z\",\"unknown\":null,"
                            "\"before1970\":\"1969-12-31T23:59:59.999Z\",\"far\":null,"
                            "\"epoch\":\"1970-01-01T00:00:00.000Z\"}");
}

static void
test_object_text(void **state)
{
  JsonBuilder *b = *state;
  g_autoptr(GError) parse_error = NULL;
  g_autoptr(GError) array_error = NULL;
  g_autoptr(GError) none_error = NULL;
  assert_true(ims_json_add_object_text(b, "object", "{\"n\": 1, \"inner\": {\"s\": \"t\"}}", NULL));
  assert_true(ims_json_add_object_text(b, "none", NULL, &none_error));
  assert_null(none_error);
  /* not JSON: null, FALSE and the parser's error */
  assert_false(ims_json_add_object_text(b, "broken", "{\"n\":", &parse_error));
  assert_non_null(parse_error);
  /* JSON but not an object: null, FALSE, no error to report */
  assert_false(ims_json_add_object_text(b, "array", "[1, 2]", &array_error));
  assert_null(array_error);
  g_autofree char *text = finish(b);
  assert_string_equal(text, "{\"object\":{\"n\":1,\"inner\":{\"s\":\"t\"}},\"none\":null,"
                            "\"broken\":null,\"array\":null}");
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
  const struct CMUnitTest tests[] = {
    T(test_strings),
    T(test_numbers_and_booleans),
    T(test_times),
    T(test_object_text),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
