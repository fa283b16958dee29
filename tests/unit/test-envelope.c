/* Unit tests for events/envelope.c, events/topic.c and events/consumed.c: the
 * envelope imsd produces, where it goes, and the events imsd reads (both
 * producer shapes, refusals, unicode, huge and deep input). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include <json-glib/json-glib.h>

#include "events/consumed.h"
#include "events/envelope.h"
#include "events/topic.h"

#define EVENT_ID "3f0c2a8e-5d0b-4b8e-9a53-1c1f4f7f2f10"

static JsonNode *
parse_json(const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string(text, &error);
  assert_non_null(node);
  return node;
}

static ImsConsumedEvent *
parse(const char *text, GError **error)
{
  return ims_event_parse_consumed(text, strlen(text), error);
}

static void
expect_error(const char *text, gsize length, ImsEventError code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsConsumedEvent) event = ims_event_parse_consumed(text, length, &error);
  assert_null(event);
  assert_non_null(error);
  assert_true(error->domain == IMS_EVENT_ERROR);
  if (error->code != (int) code)
    fail_msg("code %d (%s), expected %d", error->code, error->message, code);
  assert_true(strlen(error->message) > 0);
}

/* ---- envelope ---- */

static void
test_envelope_fields(void **state)
{
  g_autoptr(JsonNode) payload = parse_json("{\"userId\":\"u-1\",\"fileSize\":5000000000}");
  g_autofree char *text = ims_event_envelope_build(
      EVENT_ID, "media.deleted", G_GINT64_CONSTANT(1728212400123), NULL, "req-7", payload);
  assert_non_null(text);
  assert_null(strchr(text, '\n')); /* compact: one line */
  /* field order of the contract, timestamp a JSON number */
  assert_non_null(strstr(text, "{\"eventId\":\"" EVENT_ID "\",\"eventType\":\"media.deleted\","
                               "\"timestamp\":1728212400123,\"version\":\"1.0\","
                               "\"source\":\"media-server\",\"correlationId\":\"req-7\","
                               "\"payload\":{"));

  g_autoptr(JsonNode) root = parse_json(text);
  JsonObject *object = json_node_get_object(root);
  assert_int_equal(json_object_get_size(object), 7);
  assert_string_equal(json_object_get_string_member(object, "eventId"), EVENT_ID);
  assert_int_equal(json_node_get_value_type(json_object_get_member(object, "timestamp")),
                   G_TYPE_INT64);
  assert_int_equal(json_object_get_int_member(object, "timestamp"),
                   G_GINT64_CONSTANT(1728212400123));
  JsonObject *inner = json_object_get_object_member(object, "payload");
  assert_string_equal(json_object_get_string_member(inner, "userId"), "u-1");
  assert_int_equal(json_object_get_int_member(inner, "fileSize"), G_GINT64_CONSTANT(5000000000));

  /* the caller's payload is untouched and still usable */
  assert_true(JSON_NODE_HOLDS_OBJECT(payload));
  assert_string_equal(json_object_get_string_member(json_node_get_object(payload), "userId"), "u-1");
}

static void
test_envelope_optional(void **state)
{
  g_autoptr(JsonNode) payload = parse_json("{}");
  g_autofree char *text = ims_event_envelope_build(EVENT_ID, "interview.started", 0, "2.1", NULL,
                                                   payload);
  g_autoptr(JsonNode) root = parse_json(text);
  JsonObject *object = json_node_get_object(root);
  assert_false(json_object_has_member(object, "correlationId"));
  assert_string_equal(json_object_get_string_member(object, "version"), "2.1");
  assert_int_equal(json_object_get_size(object), 6);

  g_autofree char *empty = ims_event_envelope_build(EVENT_ID, "interview.started", 0, NULL, "",
                                                    payload);
  assert_null(strstr(empty, "correlationId"));
}

static void
test_envelope_unicode(void **state)
{
  /* non-ASCII and characters JSON must escape survive a round trip */
  g_autoptr(JsonNode) payload = parse_json("{\"candidateEmail\":\"zoë+😀@exämple.org\","
                                           "\"note\":\"quote \\\" backslash \\\\ tab \\t nl \\n\"}");
  g_autofree char *text = ims_event_envelope_build(EVENT_ID, "candidate.started", 1, NULL, "corr-ü",
                                                   payload);
  assert_true(g_utf8_validate(text, -1, NULL));
  assert_null(strchr(text, '\n'));
  g_autoptr(JsonNode) root = parse_json(text);
  JsonObject *inner = json_object_get_object_member(json_node_get_object(root), "payload");
  assert_string_equal(json_object_get_string_member(inner, "candidateEmail"), "zoë+😀@exämple.org");
  assert_string_equal(json_object_get_string_member(inner, "note"),
                      "quote \" backslash \\ tab \t nl \n");
  assert_string_equal(json_object_get_string_member(json_node_get_object(root), "correlationId"),
                      "corr-ü");
}

static guint criticals;

static void
count_critical(const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
  criticals++;
}

static void
test_envelope_programming_errors(void **state)
{
  guint handler = g_log_set_handler("imsd.events", G_LOG_LEVEL_CRITICAL, count_critical, NULL);
  g_autoptr(JsonNode) payload = parse_json("{}");
  g_autoptr(JsonNode) array = parse_json("[]");
  criticals = 0;
  assert_null(ims_event_envelope_build("not-a-uuid", "media.deleted", 0, NULL, NULL, payload));
  assert_null(ims_event_envelope_build(NULL, "media.deleted", 0, NULL, NULL, payload));
  assert_null(ims_event_envelope_build(EVENT_ID, "", 0, NULL, NULL, payload));
  assert_null(ims_event_envelope_build(EVENT_ID, "media.deleted", 0, NULL, NULL, array));
  assert_null(ims_event_envelope_build(EVENT_ID, "media.deleted", 0, NULL, NULL, NULL));
  assert_int_equal(criticals, 5);
  g_log_remove_handler("imsd.events", handler);
}

/* ---- topics and keys ---- */

static void
test_topics_and_keys(void **state)
{
  static const struct {
    const char *type, *topic, *field;
  } cases[] = {
    { "candidate.started", "candidate-events", "sessionId" },
    { "candidate.response_submitted", "candidate-events", "sessionId" },
    { "candidate.completed", "candidate-events", "sessionId" },
    { "media.uploaded", "media-events", "userId" },
    { "media.processed", "media-events", "userId" },
    { "media.deleted", "media-events", "userId" },
    { "interview.started", "interview-events", "userId" },
    { "interview.completed", "interview-events", "userId" },
  };
  g_autoptr(JsonNode) payload = parse_json("{\"sessionId\":\"s-1\",\"userId\":\"u-1\"}");
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    assert_string_equal(ims_event_topic(cases[i].type), cases[i].topic);
    assert_string_equal(ims_event_key_field(cases[i].type), cases[i].field);
    g_autofree char *key = ims_event_partition_key(cases[i].type, payload);
    assert_string_equal(key, strcmp(cases[i].field, "sessionId") == 0 ? "s-1" : "u-1");
  }
  static const char *const not_ours[] = { "user.deleted",  "candidate.",        "candidate", "",
                                          "Media.deleted", "interviews.started" };
  for (guint i = 0; i < G_N_ELEMENTS(not_ours); i++) {
    assert_null(ims_event_topic(not_ours[i]));
    assert_null(ims_event_key_field(not_ours[i]));
    assert_null(ims_event_partition_key(not_ours[i], payload));
  }
  assert_null(ims_event_topic(NULL));

  /* the key field missing, empty or not a string: no key */
  g_autoptr(JsonNode) bad = parse_json("{\"sessionId\":7,\"userId\":\"\"}");
  assert_null(ims_event_partition_key("candidate.started", bad));
  assert_null(ims_event_partition_key("media.deleted", bad));
  assert_null(ims_event_partition_key("media.deleted", NULL));

  g_autofree char *dlq = ims_event_dlq_topic("media-events");
  assert_string_equal(dlq, "media-events-dlq");
}

/* ---- consumed events ---- */

static void
test_consumed_user_service_shape(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsConsumedEvent) event = parse(
      "{\"eventId\":\"e-1\",\"eventType\":\"user.deleted\",\"timestamp\":1728212400000,"
      "\"userId\":\"u-top\",\"data\":{\"userId\":\"u-data\",\"reason\":\"gdpr\"}}",
      &error);
  assert_non_null(event);
  assert_null(error);
  assert_string_equal(event->event_id, "e-1");
  assert_string_equal(event->event_type, "user.deleted");
  assert_int_equal(event->kind, IMS_CONSUMED_USER_DELETED);
  assert_int_equal(event->timestamp_ms, G_GINT64_CONSTANT(1728212400000));
  assert_string_equal(event->user_id, "u-top"); /* userId before data.userId */
  assert_non_null(event->payload);
  assert_string_equal(json_object_get_string_member(json_node_get_object(event->payload), "reason"),
                      "gdpr");

  /* only data.userId */
  g_autoptr(ImsConsumedEvent)
      data_only = parse("{\"eventId\":\"e-2\",\"eventType\":\"user.logged_out\",\"timestamp\":1,"
                        "\"data\":{\"userId\":\"u-data\"}}",
                        &error);
  assert_non_null(data_only);
  assert_int_equal(data_only->kind, IMS_CONSUMED_USER_LOGGED_OUT);
  assert_string_equal(data_only->user_id, "u-data");
}

static void
test_consumed_gateway_shape(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsConsumedEvent) event = parse(
      "{\"eventId\":\"" EVENT_ID "\",\"eventType\":\"user.logged_out\",\"timestamp\":1728212400001,"
      "\"version\":\"1.0\",\"source\":\"api-gateway\",\"userId\":\"u-top\","
      "\"payload\":{\"userId\":\"u-payload\",\"sessionId\":\"x\"},\"data\":{\"userId\":\"u-data\"}}",
      &error);
  assert_non_null(event);
  assert_string_equal(event->event_id, EVENT_ID);
  assert_int_equal(event->kind, IMS_CONSUMED_USER_LOGGED_OUT);
  assert_string_equal(event->user_id, "u-payload"); /* payload.userId first */
  assert_int_equal(event->timestamp_ms, G_GINT64_CONSTANT(1728212400001));
  /* the payload object, not data */
  assert_string_equal(
      json_object_get_string_member(json_node_get_object(event->payload), "sessionId"), "x");

  /* a payload.userId that is not a string falls through to userId */
  g_autoptr(ImsConsumedEvent) fallback = parse(
      "{\"eventId\":\"e\",\"eventType\":\"user.deleted\",\"userId\":\"u-top\",\"payload\":{\"userId\":17}}",
      &error);
  assert_non_null(fallback);
  assert_string_equal(fallback->user_id, "u-top");
  assert_int_equal(fallback->timestamp_ms, 0); /* absent timestamp: 0, not a refusal */
}

static void
test_consumed_timestamps(void **state)
{
  static const struct {
    const char *value;
    gint64 ms;
  } cases[] = {
    { "1728212400000", G_GINT64_CONSTANT(1728212400000) },
    { "1728212400000.9", G_GINT64_CONSTANT(1728212400000) },
    { "\"1728212400000\"", G_GINT64_CONSTANT(1728212400000) },
    { "\"2025-10-06T10:00:00.123Z\"", G_GINT64_CONSTANT(1759744800123) },
    { "\"2025-10-06T12:00:00.123+02:00\"", G_GINT64_CONSTANT(1759744800123) },
    { "\"yesterday\"", 0 },
    { "null", 0 },
    { "1e300", 0 },
    { "{}", 0 },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *text = g_strdup_printf(
        "{\"eventId\":\"e\",\"eventType\":\"user.deleted\",\"userId\":\"u\",\"timestamp\":%s}",
        cases[i].value);
    g_autoptr(GError) error = NULL;
    g_autoptr(ImsConsumedEvent) event = parse(text, &error);
    assert_non_null(event);
    if (event->timestamp_ms != cases[i].ms)
      fail_msg("timestamp %s read as %" G_GINT64_FORMAT, cases[i].value, event->timestamp_ms);
  }
}

static void
test_consumed_other_types(void **state)
{
  /* types imsd does not act on parse (to be committed), with or without a user */
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsConsumedEvent)
      other = parse("{\"eventId\":\"e\",\"eventType\":\"user.created\"}", &error);
  assert_non_null(other);
  assert_int_equal(other->kind, IMS_CONSUMED_OTHER);
  assert_null(other->user_id);
  assert_null(other->payload);
  /* type names are matched exactly */
  g_autoptr(ImsConsumedEvent)
      similar = parse("{\"eventId\":\"e\",\"eventType\":\"User.Deleted\",\"data\":[]}", &error);
  assert_non_null(similar);
  assert_int_equal(similar->kind, IMS_CONSUMED_OTHER);
  assert_null(similar->payload); /* data not an object */
}

static void
test_consumed_not_json(void **state)
{
  static const char *const cases[] = {
    "",
    "not json",
    "{\"eventId\":\"e\"",
    "[]",
    "[{\"eventId\":\"e\",\"eventType\":\"t\"}]",
    "\"string\"",
    "42",
    "null",
    "{\"eventId\":\"e\",\"eventType\":\"t\",}x",
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++)
    expect_error(cases[i], strlen(cases[i]), IMS_EVENT_ERROR_NOT_JSON);

  /* invalid UTF-8, and an embedded NUL, are refused as not JSON */
  static const char bad_utf8[] =
      "{\"eventId\":\"e\",\"eventType\":\"user.deleted\",\"userId\":\"\xff\xfe\"}";
  expect_error(bad_utf8, sizeof bad_utf8 - 1, IMS_EVENT_ERROR_NOT_JSON);
  static const char overlong[] = "{\"eventId\":\"\xc0\xaf\",\"eventType\":\"t\"}";
  expect_error(overlong, sizeof overlong - 1, IMS_EVENT_ERROR_NOT_JSON);
  static const char nul[] = "{\"eventId\":\"e\",\"eventType\":\"t\"}\0{}";
  expect_error(nul, sizeof nul - 1, IMS_EVENT_ERROR_NOT_JSON);
  expect_error(NULL, 0, IMS_EVENT_ERROR_NOT_JSON);

  /* the length is honoured: the same bytes cut short are not JSON */
  const char *whole = "{\"eventId\":\"e\",\"eventType\":\"t\"}";
  expect_error(whole, strlen(whole) - 1, IMS_EVENT_ERROR_NOT_JSON);
}

static void
test_consumed_missing_fields(void **state)
{
  static const char *const cases[] = {
    "{}",
    "{\"eventType\":\"user.deleted\",\"userId\":\"u\"}",
    "{\"eventId\":\"e\",\"userId\":\"u\"}",
    "{\"eventId\":\"\",\"eventType\":\"user.deleted\",\"userId\":\"u\"}",
    "{\"eventId\":42,\"eventType\":\"user.deleted\",\"userId\":\"u\"}",
    "{\"eventId\":\"e\",\"eventType\":null,\"userId\":\"u\"}",
    "{\"eventId\":\"e\",\"eventType\":[\"user.deleted\"],\"userId\":\"u\"}",
    /* only inside payload does not count */
    "{\"payload\":{\"eventId\":\"e\",\"eventType\":\"user.deleted\",\"userId\":\"u\"}}",
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++)
    expect_error(cases[i], strlen(cases[i]), IMS_EVENT_ERROR_MISSING_FIELDS);

  /* an id longer than IMS_EVENT_MAX_ID_LENGTH is refused too */
  g_autofree char *long_id = g_strnfill(IMS_EVENT_MAX_ID_LENGTH + 1, 'a');
  g_autofree char *text = g_strdup_printf(
      "{\"eventId\":\"%s\",\"eventType\":\"user.deleted\",\"userId\":\"u\"}", long_id);
  expect_error(text, strlen(text), IMS_EVENT_ERROR_MISSING_FIELDS);
  long_id[IMS_EVENT_MAX_ID_LENGTH] = '\0';
  g_autofree char *at_limit = g_strdup_printf(
      "{\"eventId\":\"%s\",\"eventType\":\"user.deleted\",\"userId\":\"u\"}", long_id);
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsConsumedEvent) event = parse(at_limit, &error);
  assert_non_null(event);
}

static void
test_consumed_bad_payload(void **state)
{
  static const char *const cases[] = {
    "{\"eventId\":\"e\",\"eventType\":\"user.deleted\"}",
    "{\"eventId\":\"e\",\"eventType\":\"user.deleted\",\"data\":{}}",
    "{\"eventId\":\"e\",\"eventType\":\"user.logged_out\",\"payload\":{\"userId\":\"\"}}",
    "{\"eventId\":\"e\",\"eventType\":\"user.logged_out\",\"userId\":null,\"payload\":{\"userId\":[\"u\"]}}",
    "{\"eventId\":\"e\",\"eventType\":\"user.deleted\",\"payload\":\"userId\",\"data\":7}",
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++)
    expect_error(cases[i], strlen(cases[i]), IMS_EVENT_ERROR_BAD_PAYLOAD);
}

static void
test_consumed_unicode(void **state)
{
  g_autoptr(GError) error = NULL;
  /* escaped surrogate pair and raw UTF-8 both come out as UTF-8 */
  g_autoptr(ImsConsumedEvent)
      escaped = parse("{\"eventId\":\"\\u00e9v\\u00e9nement\",\"eventType\":\"user.deleted\","
                      "\"payload\":{\"userId\":\"\\ud83d\\ude00-\\u00fcser\"}}",
                      &error);
  assert_non_null(escaped);
  assert_string_equal(escaped->event_id, "événement");
  assert_string_equal(escaped->user_id, "😀-üser");
  g_autoptr(ImsConsumedEvent) raw = parse(
      "{\"eventId\":\"é\",\"eventType\":\"user.deleted\",\"userId\":\"用户-😀\"}", &error);
  assert_non_null(raw);
  assert_string_equal(raw->user_id, "用户-😀");
}

static void
test_consumed_huge_and_deep(void **state)
{
  /* a large but legal message (about 900 KiB of payload) parses */
  GString *big = g_string_new(
      "{\"eventId\":\"e\",\"eventType\":\"user.deleted\",\"payload\":{\"userId\":\"u\","
      "\"blob\":\"");
  while (big->len < 900 * 1024)
    g_string_append(big, "0123456789abcdef");
  g_string_append(big, "\"}}");
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsConsumedEvent) event = ims_event_parse_consumed(big->str, big->len, &error);
  assert_non_null(event);
  assert_string_equal(event->user_id, "u");

  /* past the limit: refused before parsing */
  while (big->len <= IMS_EVENT_MAX_CONSUMED_BYTES)
    g_string_insert(big, big->len - 3, "0123456789abcdef0123456789abcdef");
  expect_error(big->str, big->len, IMS_EVENT_ERROR_NOT_JSON);
  g_string_free(big, TRUE);

  /* nesting: the limit itself parses, one more level is refused, 500k levels do not crash */
  for (int depth = IMS_EVENT_MAX_DEPTH; depth <= IMS_EVENT_MAX_DEPTH + 1; depth++) {
    GString *deep = g_string_new("{\"eventId\":\"e\",\"eventType\":\"x\",\"payload\":");
    for (int i = 1; i < depth; i++) /* the envelope is level 1 */
      g_string_append_c(deep, '[');
    for (int i = 1; i < depth; i++)
      g_string_append_c(deep, ']');
    g_string_append_c(deep, '}');
    g_autoptr(GError) deep_error = NULL;
    g_autoptr(ImsConsumedEvent)
        deep_event = ims_event_parse_consumed(deep->str, deep->len, &deep_error);
    if (depth == IMS_EVENT_MAX_DEPTH)
      assert_non_null(deep_event);
    else
      expect_error(deep->str, deep->len, IMS_EVENT_ERROR_NOT_JSON);
    g_string_free(deep, TRUE);
  }
  g_autofree char *brackets = g_strnfill(500000, '[');
  expect_error(brackets, 500000, IMS_EVENT_ERROR_NOT_JSON);
  /* brackets inside strings do not count as nesting */
  GString *quoted = g_string_new("{\"eventId\":\"e\",\"eventType\":\"x\",\"payload\":{\"s\":\"");
  for (int i = 0; i < 1000; i++)
    g_string_append(quoted, "[{\\\"");
  g_string_append(quoted, "\"}}");
  g_autoptr(ImsConsumedEvent)
      quoted_event = ims_event_parse_consumed(quoted->str, quoted->len, &error);
  assert_non_null(quoted_event);
  g_string_free(quoted, TRUE);
}

static void
test_consumed_round_trip(void **state)
{
  /* what imsd produces, imsd could read back as a gateway-shaped event */
  g_autoptr(JsonNode) payload = parse_json("{\"userId\":\"u-9\",\"fileId\":\"f\"}");
  g_autofree char *text = ims_event_envelope_build(EVENT_ID, "media.deleted", 1234, NULL, NULL,
                                                   payload);
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsConsumedEvent) event = parse(text, &error);
  assert_non_null(event);
  assert_string_equal(event->event_id, EVENT_ID);
  assert_string_equal(event->user_id, "u-9");
  assert_int_equal(event->timestamp_ms, 1234);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_envelope_fields),
    cmocka_unit_test(test_envelope_optional),
    cmocka_unit_test(test_envelope_unicode),
    cmocka_unit_test(test_envelope_programming_errors),
    cmocka_unit_test(test_topics_and_keys),
    cmocka_unit_test(test_consumed_user_service_shape),
    cmocka_unit_test(test_consumed_gateway_shape),
    cmocka_unit_test(test_consumed_timestamps),
    cmocka_unit_test(test_consumed_other_types),
    cmocka_unit_test(test_consumed_not_json),
    cmocka_unit_test(test_consumed_missing_fields),
    cmocka_unit_test(test_consumed_bad_payload),
    cmocka_unit_test(test_consumed_unicode),
    cmocka_unit_test(test_consumed_huge_and_deep),
    cmocka_unit_test(test_consumed_round_trip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
