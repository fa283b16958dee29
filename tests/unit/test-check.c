/* Unit tests for base/check.c: a readiness check's state, times and last
 * error, and its JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "check.h"

#define T0 1764600000000000 /* 2025-12-01T14:40:00.000Z */
#define S (G_USEC_PER_SEC)

static JsonObject *
to_json(const ImsCheck *check, JsonParser *parser)
{
  g_autoptr(JsonBuilder) builder = json_builder_new();
  json_builder_begin_object(builder);
  ims_check_add_json(builder, "c", check);
  json_builder_end_object(builder);
  g_autoptr(JsonGenerator) generator = json_generator_new();
  g_autoptr(JsonNode) root = json_builder_get_root(builder);
  json_generator_set_root(generator, root);
  g_autofree char *text = json_generator_to_data(generator, NULL);
  assert_true(json_parser_load_from_data(parser, text, -1, NULL));
  return json_object_get_object_member(json_node_get_object(json_parser_get_root(parser)), "c");
}

/* Fresh: ok, never checked, no error; all times null in JSON. */
static void
test_fresh_check(void **state)
{
  ImsCheck check;
  ims_check_init(&check, TRUE);
  assert_int_equal(check.state, IMS_CHECK_OK);
  g_autoptr(JsonParser) parser = json_parser_new();
  JsonObject *o = to_json(&check, parser);
  assert_string_equal(json_object_get_string_member(o, "state"), "ok");
  assert_true(json_object_get_null_member(o, "checkedAt"));
  assert_true(json_object_get_null_member(o, "since"));
  assert_true(json_object_get_null_member(o, "lastError"));
  ims_check_clear(&check);
}

/* ok -> failed -> failed again -> ok: since moves at each change only, the
 * error's time at each failure, cleared at the first success after it. */
static void
test_failure_then_recovery(void **state)
{
  ImsCheck check;
  ims_check_init(&check, TRUE);
  assert_false(ims_check_succeeded(&check, T0)); /* already ok */
  assert_int_equal(check.checked_at, T0);
  assert_int_equal(check.since, 0);

  assert_true(ims_check_failed(&check, "connection refused", T0 + 1 * S));
  assert_int_equal(check.state, IMS_CHECK_UNAVAILABLE);
  assert_int_equal(check.since, T0 + 1 * S);
  assert_false(ims_check_failed(&check, "timed out", T0 + 3 * S)); /* still down */
  assert_int_equal(check.since, T0 + 1 * S);
  assert_int_equal(check.checked_at, T0 + 3 * S);
  assert_string_equal(check.last_error, "timed out");
  assert_int_equal(check.last_error_at, T0 + 3 * S);
  assert_int_equal(check.cleared_at, 0);

  g_autoptr(JsonParser) down_parser = json_parser_new();
  JsonObject *down = to_json(&check, down_parser);
  assert_string_equal(json_object_get_string_member(down, "state"), "unavailable");
  assert_string_equal(json_object_get_string_member(down, "since"), "2025-12-01T14:40:01.000Z");
  JsonObject *error = json_object_get_object_member(down, "lastError");
  assert_string_equal(json_object_get_string_member(error, "message"), "timed out");
  assert_string_equal(json_object_get_string_member(error, "at"), "2025-12-01T14:40:03.000Z");
  assert_true(json_object_get_null_member(error, "clearedAt"));

  assert_true(ims_check_succeeded(&check, T0 + 4 * S));
  assert_false(ims_check_succeeded(&check, T0 + 6 * S));
  assert_int_equal(check.state, IMS_CHECK_OK);
  assert_int_equal(check.since, T0 + 4 * S);
  assert_int_equal(check.checked_at, T0 + 6 * S);
  assert_int_equal(check.cleared_at, T0 + 4 * S); /* the first success, not the last */

  g_autoptr(JsonParser) up_parser = json_parser_new();
  JsonObject *up = to_json(&check, up_parser);
  assert_string_equal(json_object_get_string_member(up, "checkedAt"), "2025-12-01T14:40:06.000Z");
  error = json_object_get_object_member(up, "lastError");
  assert_string_equal(json_object_get_string_member(error, "message"), "timed out");
  assert_string_equal(json_object_get_string_member(error, "clearedAt"), "2025-12-01T14:40:04.000Z");

  /* a new failure stands again */
  assert_true(ims_check_failed(&check, NULL, T0 + 7 * S));
  assert_string_equal(check.last_error, "failed");
  assert_int_equal(check.cleared_at, 0);
  ims_check_clear(&check);
}

/* Not configured: nothing changes it to ok; a copy is deep. */
static void
test_not_configured_and_copy(void **state)
{
  ImsCheck check;
  ims_check_init(&check, FALSE);
  assert_false(ims_check_succeeded(&check, T0));
  assert_int_equal(check.state, IMS_CHECK_NOT_CONFIGURED);
  assert_int_equal(check.checked_at, 0);
  assert_string_equal(ims_check_state_name(check.state), "not_configured");

  ImsCheck live;
  ims_check_init(&live, TRUE);
  ims_check_failed(&live, "down", T0);
  ImsCheck copy;
  ims_check_copy(&copy, &live);
  ims_check_failed(&live, "still down", T0 + S);
  assert_string_equal(copy.last_error, "down");
  assert_int_equal(copy.last_error_at, T0);
  ims_check_clear(&copy);
  ims_check_clear(&live);
  assert_null(live.last_error);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_fresh_check),
    cmocka_unit_test(test_failure_then_recovery),
    cmocka_unit_test(test_not_configured_and_copy),
  };
  return cmocka_run_group_tests_name("check", tests, NULL, NULL);
}
