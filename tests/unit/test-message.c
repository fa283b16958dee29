/* Unit tests for signaling/message.c: parsing and validation of frames. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "json-depth.h"
#include "message.h"

static ImsMessage *
parse(const char *text, char **type_name, GError **error)
{
  return ims_message_parse(text, strlen(text), type_name, error);
}

static void
expect_error(const char *text, ImsSignalError code)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *type = NULL;
  g_autoptr(ImsMessage) message = parse(text, &type, &error);
  assert_null(message);
  assert_non_null(error);
  assert_true(error->domain == IMS_SIGNAL_ERROR);
  assert_int_equal(error->code, code);
  assert_true(strlen(error->message) > 0);
}

static void
test_join(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsMessage)
      message = parse("{\"type\":\"join\",\"sessionId\":\"abc\",\"token\":\"t.o.k\"}", NULL, &error);
  assert_non_null(message);
  assert_int_equal(message->type, IMS_MESSAGE_JOIN);
  assert_string_equal(message->session_id, "abc");
  assert_string_equal(message->token, "t.o.k");
}

static void
test_offer_and_ice(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsMessage) offer = parse("{\"type\":\"offer\",\"sdp\":\"v=0\\r\\n\"}", NULL, &error);
  assert_non_null(offer);
  assert_int_equal(offer->type, IMS_MESSAGE_OFFER);
  assert_string_equal(offer->sdp, "v=0\r\n");

  g_autoptr(ImsMessage)
      ice = parse("{\"type\":\"ice\",\"candidate\":\"candidate:1 1 udp 1 10.0.0.1 5000 typ host\","
                  "\"sdpMLineIndex\":1}",
                  NULL, &error);
  assert_non_null(ice);
  assert_int_equal(ice->mline_index, 1);
  assert_string_equal(ice->candidate, "candidate:1 1 udp 1 10.0.0.1 5000 typ host");

  /* end of candidates is an empty string */
  g_autoptr(ImsMessage)
      end = parse("{\"type\":\"ice\",\"candidate\":\"\",\"sdpMLineIndex\":0}", NULL, &error);
  assert_non_null(end);
  assert_string_equal(end->candidate, "");
}

static void
test_simple_types(void **state)
{
  static const struct {
    const char *text;
    ImsMessageType type;
  } cases[] = {
    { "{\"type\":\"take.start\"}", IMS_MESSAGE_TAKE_START },
    { "{\"type\":\"take.stop\"}", IMS_MESSAGE_TAKE_STOP },
    { "{\"type\":\"retake\"}", IMS_MESSAGE_RETAKE },
    { "{\"type\":\"next\"}", IMS_MESSAGE_NEXT },
    { "{\"type\":\"end\"}", IMS_MESSAGE_END },
    { "{\"type\":\"ping\",\"extra\":[1,2]}", IMS_MESSAGE_PING },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(ImsMessage) message = parse(cases[i].text, NULL, &error);
    assert_non_null(message);
    assert_int_equal(message->type, cases[i].type);
    assert_string_equal(ims_message_type_to_string(message->type),
                        strstr(cases[i].text, ":\"") + 2 - 0 == NULL
                            ? ""
                            : ims_message_type_to_string(cases[i].type));
  }
}

static void
test_bad_json(void **state)
{
  expect_error("", IMS_SIGNAL_ERROR_BAD_JSON);
  expect_error("{", IMS_SIGNAL_ERROR_BAD_JSON);
  expect_error("[1,2]", IMS_SIGNAL_ERROR_BAD_JSON);
  expect_error("\"join\"", IMS_SIGNAL_ERROR_BAD_JSON);
  expect_error("null", IMS_SIGNAL_ERROR_BAD_JSON);
  /* invalid UTF-8 */
  expect_error("{\"type\":\"\xff\xfe\"}", IMS_SIGNAL_ERROR_BAD_JSON);
}

static void
test_bad_message(void **state)
{
  expect_error("{}", IMS_SIGNAL_ERROR_BAD_MESSAGE);
  expect_error("{\"type\":5}", IMS_SIGNAL_ERROR_BAD_MESSAGE);
  expect_error("{\"type\":\"join\"}", IMS_SIGNAL_ERROR_BAD_MESSAGE);
  expect_error("{\"type\":\"join\",\"sessionId\":\"a\",\"token\":7}", IMS_SIGNAL_ERROR_BAD_MESSAGE);
  expect_error("{\"type\":\"join\",\"sessionId\":\"\",\"token\":\"x\"}",
               IMS_SIGNAL_ERROR_BAD_MESSAGE);
  expect_error("{\"type\":\"offer\"}", IMS_SIGNAL_ERROR_BAD_MESSAGE);
  expect_error("{\"type\":\"offer\",\"sdp\":{}}", IMS_SIGNAL_ERROR_BAD_MESSAGE);
  expect_error("{\"type\":\"ice\",\"candidate\":\"c\"}", IMS_SIGNAL_ERROR_BAD_MESSAGE);
  expect_error("{\"type\":\"ice\",\"candidate\":\"c\",\"sdpMLineIndex\":-1}",
               IMS_SIGNAL_ERROR_BAD_MESSAGE);
  expect_error("{\"type\":\"ice\",\"candidate\":\"c\",\"sdpMLineIndex\":\"0\"}",
               IMS_SIGNAL_ERROR_BAD_MESSAGE);
  expect_error("{\"type\":\"ice\",\"candidate\":\"c\",\"sdpMLineIndex\":1.5}",
               IMS_SIGNAL_ERROR_BAD_MESSAGE);

  /* over-long fields are refused, not truncated */
  g_autofree char *long_id = g_strnfill(200, 'a');
  g_autofree char *text = g_strdup_printf(
      "{\"type\":\"join\",\"sessionId\":\"%s\",\"token\":\"t\"}", long_id);
  expect_error(text, IMS_SIGNAL_ERROR_BAD_MESSAGE);
}

static void
test_unknown_type_names_it(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *type = NULL;
  g_autoptr(ImsMessage) message = parse("{\"type\":\"dance\"}", &type, &error);
  assert_null(message);
  assert_int_equal(error->code, IMS_SIGNAL_ERROR_UNKNOWN_TYPE);
  assert_string_equal(type, "dance");
  assert_non_null(strstr(error->message, "dance"));
}

static void
test_embedded_nul_is_refused(void **state)
{
  static const char text[] = "{\"type\":\"join\",\"sessionId\":\"a\\u0000b\",\"token\":\"t\"}";
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsMessage) message = parse(text, NULL, &error);
  /* json-glib stops the string at the NUL; whatever it makes of it, the id must not
   * carry a NUL past its length */
  if (message)
    assert_int_equal(strlen(message->session_id), strcspn(message->session_id, "/"));
  else
    assert_int_equal(error->code, IMS_SIGNAL_ERROR_BAD_MESSAGE);
}

/* Nesting is refused before json-glib (a recursive parser) sees the frame: 200,000 levels fit in a
 * frame when max_message_bytes is raised and used to overflow the stack. */
static void
test_deep_nesting_is_refused(void **state)
{
  for (guint depth = IMS_JSON_MAX_DEPTH; depth <= IMS_JSON_MAX_DEPTH + 1; depth++) {
    GString *text = g_string_new("{\"type\":\"ping\",\"extra\":");
    for (guint i = 1; i < depth; i++) /* the message object is level 1 */
      g_string_append_c(text, '[');
    for (guint i = 1; i < depth; i++)
      g_string_append_c(text, ']');
    g_string_append_c(text, '}');
    g_autoptr(GError) error = NULL;
    g_autoptr(ImsMessage) message = ims_message_parse(text->str, text->len, NULL, &error);
    if (depth == IMS_JSON_MAX_DEPTH) {
      assert_non_null(message);
      assert_int_equal(message->type, IMS_MESSAGE_PING);
    } else {
      assert_null(message);
      assert_int_equal(error->code, IMS_SIGNAL_ERROR_BAD_JSON);
      assert_non_null(strstr(error->message, "deeper than"));
    }
    g_string_free(text, TRUE);
  }

  gsize length = 200000;
  g_autofree char *brackets = g_malloc(2 * length);
  memset(brackets, '[', length);
  memset(brackets + length, ']', length);
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsMessage) message = ims_message_parse(brackets, 2 * length, NULL, &error);
  assert_null(message);
  assert_int_equal(error->code, IMS_SIGNAL_ERROR_BAD_JSON);
  assert_non_null(strstr(error->message, "deeper than"));
}

static void
test_error_codes(void **state)
{
  assert_string_equal(ims_signal_error_to_code(IMS_SIGNAL_ERROR_BAD_JSON), "bad_json");
  assert_string_equal(ims_signal_error_to_code(IMS_SIGNAL_ERROR_TOKEN_WRONG_SESSION),
                      "token_wrong_session");
  assert_string_equal(ims_signal_error_to_code(IMS_SIGNAL_ERROR_INTERNAL), "internal");
  assert_string_equal(ims_signal_error_to_code(IMS_SIGNAL_ERROR_TOKEN_NOT_YET_VALID),
                      "token_not_yet_valid");
  g_autoptr(GError) other = g_error_new_literal(G_IO_ERROR, 0, "x");
  assert_string_equal(ims_signal_error_code_of(other), "internal");

  g_autofree char *json = ims_message_error_json("bad_state", "Not now.", "take.stop");
  assert_string_equal(json, "{\"type\":\"error\",\"code\":\"bad_state\",\"message\":\"Not now.\","
                            "\"requestType\":\"take.stop\"}");
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_join),
    cmocka_unit_test(test_offer_and_ice),
    cmocka_unit_test(test_simple_types),
    cmocka_unit_test(test_bad_json),
    cmocka_unit_test(test_bad_message),
    cmocka_unit_test(test_unknown_type_names_it),
    cmocka_unit_test(test_embedded_nul_is_refused),
    cmocka_unit_test(test_deep_nesting_is_refused),
    cmocka_unit_test(test_error_codes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
