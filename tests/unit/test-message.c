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

/* The live room's messages (docs/live-rooms.md) and their fields. */
static void
test_room_messages(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsMessage) join = parse("{\"type\":\"room.join\",\"roomId\":\"r-1\",\"token\":\"a.b.c\"}",
                                     NULL, &error);
  assert_non_null(join);
  assert_int_equal(join->type, IMS_MESSAGE_ROOM_JOIN);
  assert_string_equal(join->room_id, "r-1");
  assert_string_equal(join->token, "a.b.c");
  assert_null(join->session_id);
  assert_int_equal(join->question_index, -1);
  assert_string_equal(ims_message_type_to_string(join->type), "room.join");

  g_autoptr(ImsMessage) publish =
      parse("{\"type\":\"publish\",\"stream\":\"screen\",\"sdp\":\"v=0\\r\\n\"}", NULL, &error);
  assert_non_null(publish);
  assert_int_equal(publish->type, IMS_MESSAGE_PUBLISH);
  assert_string_equal(publish->stream, "screen");
  assert_string_equal(publish->sdp, "v=0\r\n");

  g_autoptr(ImsMessage) unpublish = parse("{\"type\":\"unpublish\",\"stream\":\"camera\"}", NULL,
                                          &error);
  assert_non_null(unpublish);
  assert_int_equal(unpublish->type, IMS_MESSAGE_UNPUBLISH);
  assert_string_equal(unpublish->stream, "camera");
  assert_null(unpublish->sdp);

  g_autoptr(ImsMessage) subscribe = parse("{\"type\":\"subscribe\",\"participantId\":\"p-2\","
                                          "\"stream\":\"camera\",\"sdp\":\"v=0\"}",
                                          NULL, &error);
  assert_non_null(subscribe);
  assert_int_equal(subscribe->type, IMS_MESSAGE_SUBSCRIBE);
  assert_string_equal(subscribe->participant_id, "p-2");
  assert_string_equal(subscribe->stream, "camera");
  assert_string_equal(subscribe->sdp, "v=0");

  g_autoptr(ImsMessage) unsubscribe =
      parse("{\"type\":\"unsubscribe\",\"participantId\":\"p-2\",\"stream\":\"screen\"}", NULL,
            &error);
  assert_non_null(unsubscribe);
  assert_int_equal(unsubscribe->type, IMS_MESSAGE_UNSUBSCRIBE);
  assert_string_equal(unsubscribe->participant_id, "p-2");
  assert_string_equal(unsubscribe->stream, "screen");

  g_autoptr(ImsMessage) end = parse("{\"type\":\"end\"}", NULL, &error);
  assert_non_null(end);
  assert_int_equal(end->type, IMS_MESSAGE_END);
  assert_null(error);
}

static void
test_room_ice_names_its_pc(void **state)
{
  static const char *const pcs[] = { "pub:camera", "pub:screen", "sub:p-2:camera",
                                     "sub:0b7c6c1e-9a0e-4f55-8f4e-6f1f2d9a4b3c:screen" };
  for (guint i = 0; i < G_N_ELEMENTS(pcs); i++) {
    g_autoptr(GError) error = NULL;
    g_autofree char *text = g_strdup_printf(
        "{\"type\":\"ice\",\"pc\":\"%s\",\"candidate\":\"candidate:1 1 udp 1 10.0.0.1 5 typ "
        "host\",\"sdpMLineIndex\":2}",
        pcs[i]);
    g_autoptr(ImsMessage) ice = parse(text, NULL, &error);
    assert_non_null(ice);
    assert_int_equal(ice->type, IMS_MESSAGE_ICE);
    assert_string_equal(ice->pc, pcs[i]);
    assert_int_equal(ice->mline_index, 2);
  }
  /* a one-way session's ice has no pc */
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsMessage) plain = parse("{\"type\":\"ice\",\"candidate\":\"\",\"sdpMLineIndex\":0}",
                                      NULL, &error);
  assert_non_null(plain);
  assert_null(plain->pc);

  /* a pc that names no peer connection of a room */
  static const char *const bad[] = { "\"\"", "7", "\"pub:\"", "\"pub:mic\"", "\"sub:camera\"",
                                     "\"sub::camera\"", "\"sub:p-2:video\"", "\"peer:camera\"",
                                     "null" };
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autofree char *text = g_strdup_printf(
        "{\"type\":\"ice\",\"pc\":%s,\"candidate\":\"\",\"sdpMLineIndex\":0}", bad[i]);
    expect_error(text, IMS_SIGNAL_ERROR_BAD_MESSAGE);
  }
  g_autofree char *long_id = g_strnfill(IMS_MESSAGE_MAX_ROOM_ID_LENGTH + 1, 'p');
  g_autofree char *too_long = g_strdup_printf(
      "{\"type\":\"ice\",\"pc\":\"sub:%s:camera\",\"candidate\":\"\",\"sdpMLineIndex\":0}",
      long_id);
  expect_error(too_long, IMS_SIGNAL_ERROR_BAD_MESSAGE);
}

static void
test_mark(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsMessage) first = parse("{\"type\":\"mark\",\"questionIndex\":0}", NULL, &error);
  assert_non_null(first);
  assert_int_equal(first->type, IMS_MESSAGE_MARK);
  assert_int_equal(first->question_index, 0);
  assert_null(first->text);
  g_autoptr(ImsMessage) last = parse("{\"type\":\"mark\",\"questionIndex\":999}", NULL, &error);
  assert_non_null(last);
  assert_int_equal(last->question_index, 999);

  g_autoptr(ImsMessage) text = parse(
      "{\"type\":\"mark\",\"text\":\"Why \\u00e9t\\u00e9?\"}", NULL, &error);
  assert_non_null(text);
  assert_int_equal(text->question_index, -1);
  assert_string_equal(text->text, "Why \xc3\xa9t\xc3\xa9?");

  /* 4000 characters of two bytes each: the limit counts characters */
  GString *longest = g_string_new("{\"type\":\"mark\",\"text\":\"");
  for (int i = 0; i < IMS_MESSAGE_MAX_TEXT_LENGTH; i++)
    g_string_append(longest, "\xc3\xa9");
  g_string_append(longest, "\"}");
  g_autoptr(ImsMessage) at_limit = parse(longest->str, NULL, &error);
  assert_non_null(at_limit);
  assert_int_equal(g_utf8_strlen(at_limit->text, -1), IMS_MESSAGE_MAX_TEXT_LENGTH);
  g_string_insert(longest, strlen("{\"type\":\"mark\",\"text\":\""), "x");
  expect_error(longest->str, IMS_SIGNAL_ERROR_BAD_MESSAGE);
  g_string_free(longest, TRUE);

  expect_error("{\"type\":\"mark\"}", IMS_SIGNAL_ERROR_BAD_MESSAGE);
  expect_error("{\"type\":\"mark\",\"questionIndex\":1,\"text\":\"both\"}",
               IMS_SIGNAL_ERROR_BAD_MESSAGE);
  expect_error("{\"type\":\"mark\",\"questionIndex\":-1}", IMS_SIGNAL_ERROR_BAD_MESSAGE);
  expect_error("{\"type\":\"mark\",\"questionIndex\":1000}", IMS_SIGNAL_ERROR_BAD_MESSAGE);
  expect_error("{\"type\":\"mark\",\"questionIndex\":1.5}", IMS_SIGNAL_ERROR_BAD_MESSAGE);
  expect_error("{\"type\":\"mark\",\"questionIndex\":\"2\"}", IMS_SIGNAL_ERROR_BAD_MESSAGE);
  expect_error("{\"type\":\"mark\",\"text\":\"\"}", IMS_SIGNAL_ERROR_BAD_MESSAGE);
  expect_error("{\"type\":\"mark\",\"text\":5}", IMS_SIGNAL_ERROR_BAD_MESSAGE);
}

static void
test_bad_room_messages(void **state)
{
  expect_error("{\"type\":\"room.join\",\"token\":\"t\"}", IMS_SIGNAL_ERROR_BAD_MESSAGE);
  expect_error("{\"type\":\"room.join\",\"roomId\":\"r\"}", IMS_SIGNAL_ERROR_BAD_MESSAGE);
  expect_error("{\"type\":\"room.join\",\"roomId\":\"\",\"token\":\"t\"}",
               IMS_SIGNAL_ERROR_BAD_MESSAGE);
  expect_error("{\"type\":\"room.join\",\"roomId\":1,\"token\":\"t\"}", IMS_SIGNAL_ERROR_BAD_MESSAGE);
  expect_error("{\"type\":\"publish\",\"stream\":\"camera\"}", IMS_SIGNAL_ERROR_BAD_MESSAGE);
  expect_error("{\"type\":\"publish\",\"sdp\":\"v=0\"}", IMS_SIGNAL_ERROR_BAD_MESSAGE);
  expect_error("{\"type\":\"publish\",\"stream\":\"microphone\",\"sdp\":\"v=0\"}",
               IMS_SIGNAL_ERROR_BAD_MESSAGE);
  expect_error("{\"type\":\"publish\",\"stream\":\"Camera\",\"sdp\":\"v=0\"}",
               IMS_SIGNAL_ERROR_BAD_MESSAGE);
  expect_error("{\"type\":\"unpublish\"}", IMS_SIGNAL_ERROR_BAD_MESSAGE);
  expect_error("{\"type\":\"subscribe\",\"stream\":\"camera\",\"sdp\":\"v=0\"}",
               IMS_SIGNAL_ERROR_BAD_MESSAGE);
  expect_error("{\"type\":\"subscribe\",\"participantId\":\"p\",\"sdp\":\"v=0\"}",
               IMS_SIGNAL_ERROR_BAD_MESSAGE);
  expect_error("{\"type\":\"subscribe\",\"participantId\":\"p\",\"stream\":\"camera\"}",
               IMS_SIGNAL_ERROR_BAD_MESSAGE);
  expect_error("{\"type\":\"unsubscribe\",\"participantId\":\"p\"}", IMS_SIGNAL_ERROR_BAD_MESSAGE);
  expect_error("{\"type\":\"unsubscribe\",\"participantId\":[],\"stream\":\"camera\"}",
               IMS_SIGNAL_ERROR_BAD_MESSAGE);

  /* ids of 64 characters are taken, of 65 refused */
  for (guint length = IMS_MESSAGE_MAX_ROOM_ID_LENGTH; length <= IMS_MESSAGE_MAX_ROOM_ID_LENGTH + 1;
       length++) {
    g_autofree char *id = g_strnfill(length, 'r');
    g_autofree char *join = g_strdup_printf("{\"type\":\"room.join\",\"roomId\":\"%s\",\"token\":\"t\"}",
                                            id);
    g_autofree char *subscribe = g_strdup_printf(
        "{\"type\":\"unsubscribe\",\"participantId\":\"%s\",\"stream\":\"camera\"}", id);
    if (length == IMS_MESSAGE_MAX_ROOM_ID_LENGTH) {
      g_autoptr(GError) error = NULL;
      g_autoptr(ImsMessage) a = parse(join, NULL, &error);
      g_autoptr(ImsMessage) b = parse(subscribe, NULL, &error);
      assert_non_null(a);
      assert_non_null(b);
      assert_int_equal(strlen(a->room_id), length);
      assert_int_equal(strlen(b->participant_id), length);
    } else {
      expect_error(join, IMS_SIGNAL_ERROR_BAD_MESSAGE);
      expect_error(subscribe, IMS_SIGNAL_ERROR_BAD_MESSAGE);
    }
  }
}

static void
test_room_replies(void **state)
{
  g_autofree char *answer = ims_message_room_answer_json("sub:p-2:camera", "v=0\r\n");
  assert_string_equal(answer, "{\"type\":\"answer\",\"pc\":\"sub:p-2:camera\",\"sdp\":\"v=0\\r\\n\"}");
  g_autofree char *ice = ims_message_room_ice_json("pub:camera", 1, "candidate:x");
  assert_string_equal(
      ice, "{\"type\":\"ice\",\"pc\":\"pub:camera\",\"candidate\":\"candidate:x\",\"sdpMLineIndex\":1}");
  /* the one-way session's replies keep their shape */
  g_autofree char *plain_answer = ims_message_answer_json("v=0");
  assert_string_equal(plain_answer, "{\"type\":\"answer\",\"sdp\":\"v=0\"}");
  g_autofree char *plain_ice = ims_message_ice_json(0, "");
  assert_string_equal(plain_ice, "{\"type\":\"ice\",\"candidate\":\"\",\"sdpMLineIndex\":0}");
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
  assert_string_equal(ims_signal_error_to_code(IMS_SIGNAL_ERROR_FORBIDDEN), "forbidden");
  assert_string_equal(ims_signal_error_to_code(IMS_SIGNAL_ERROR_WRONG_COMPANY), "wrong_company");
  assert_string_equal(ims_signal_error_to_code(IMS_SIGNAL_ERROR_ROOM_NOT_FOUND), "room_not_found");
  assert_string_equal(ims_signal_error_to_code(IMS_SIGNAL_ERROR_ROOM_ENDED), "room_ended");
  assert_string_equal(ims_signal_error_to_code(IMS_SIGNAL_ERROR_NOT_PUBLISHED), "not_published");
  g_autoptr(GError) room = g_error_new_literal(IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_NOT_PUBLISHED, "x");
  assert_string_equal(ims_signal_error_code_of(room), "not_published");
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
    cmocka_unit_test(test_room_messages),
    cmocka_unit_test(test_room_ice_names_its_pc),
    cmocka_unit_test(test_mark),
    cmocka_unit_test(test_bad_room_messages),
    cmocka_unit_test(test_room_replies),
    cmocka_unit_test(test_bad_json),
    cmocka_unit_test(test_bad_message),
    cmocka_unit_test(test_unknown_type_names_it),
    cmocka_unit_test(test_embedded_nul_is_refused),
    cmocka_unit_test(test_deep_nesting_is_refused),
    cmocka_unit_test(test_error_codes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
