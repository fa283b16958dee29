/* test-log.c: unit tests for server/config/log.c: the text and JSON line formats (ims_log_format_line,
 * read back with json-glib), the structured session/take fields of base/log-session.h, and the routing of
 * GStreamer's own output, through the installed writer with the process's stderr captured in a file.
 *
 * GST_DEBUG is unset before gst_init() (main), so "not asked" is what each test starts from unless it
 * asks. Each test gets a fresh default config from setup; teardown frees it and restores stderr.
 */
#define G_LOG_DOMAIN "imsd.test-log"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log-session.h"
#include "log.h"

GST_DEBUG_CATEGORY_STATIC(test_category);

typedef struct {
  ImsConfig *config;
  char *capture_path; /* stderr goes here between capture_start() and capture_stop() */
  int saved_stderr;
} Fixture;

static int
setup(void **state)
{
  Fixture *fixture = g_new0(Fixture, 1);
  fixture->config = ims_config_new();
  fixture->saved_stderr = -1;
  *state = fixture;
  return 0;
}

static void
set_string(char **field, const char *value)
{
  g_free(*field);
  *field = g_strdup(value);
}

static void
capture_start(Fixture *fixture)
{
  int fd = g_file_open_tmp("test-log-XXXXXX", &fixture->capture_path, NULL);
  assert_true(fd >= 0);
  fflush(stderr);
  fixture->saved_stderr = dup(STDERR_FILENO);
  assert_true(dup2(fd, STDERR_FILENO) >= 0);
  close(fd);
}

/* Restores stderr; returns what was written meanwhile. transfer full. */
static char *
capture_stop(Fixture *fixture)
{
  fflush(stderr);
  if (fixture->saved_stderr >= 0) {
    dup2(fixture->saved_stderr, STDERR_FILENO);
    close(fixture->saved_stderr);
    fixture->saved_stderr = -1;
  }
  char *text = NULL;
  assert_true(g_file_get_contents(fixture->capture_path, &text, NULL, NULL));
  g_unlink(fixture->capture_path);
  g_clear_pointer(&fixture->capture_path, g_free);
  return text;
}

static int
teardown(void **state)
{
  Fixture *fixture = *state;
  if (fixture->capture_path != NULL)
    g_free(capture_stop(fixture));
  /* back to the defaults for the next test (the writer stays installed: GLib allows one) */
  g_autoptr(ImsConfig) defaults = ims_config_new();
  ims_log_init(defaults);
  ims_config_free(fixture->config);
  g_free(fixture);
  return 0;
}

static GDateTime *
fixed_time(void)
{
  return g_date_time_new_utc(2026, 12, 1, 15, 15, 22.571234);
}

/* Parses one JSON line (with its "\n") as an object; fails the test if it is not exactly that. */
static JsonObject *
parse_line(const char *line)
{
  gsize length = strlen(line);
  if (length == 0 || line[length - 1] != '\n' || memchr(line, '\n', length - 1) != NULL)
    fail_msg("not one line: %s", line);
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GError) error = NULL;
  if (!json_parser_load_from_data(parser, line, length, &error))
    fail_msg("not JSON (%s): %s", error->message, line);
  JsonNode *root = json_parser_get_root(parser);
  if (!JSON_NODE_HOLDS_OBJECT(root))
    fail_msg("not an object: %s", line);
  return json_object_ref(json_node_get_object(root));
}

static void
assert_member(JsonObject *object, const char *name, const char *value)
{
  if (!json_object_has_member(object, name))
    fail_msg("no member %s", name);
  assert_string_equal(json_object_get_string_member(object, name), value);
}

/* A line about take t-2 of session s-1 (and a field the writer ignores), for the format tests. */
static const GLogField take_line_fields[] = {
  { "GLIB_DOMAIN", "imsd.session", -1 },
  { "MESSAGE", "take 1 started", -1 },
  { IMS_LOG_FIELD_SESSION, "s-1", -1 },
  { IMS_LOG_FIELD_TAKE, "t-2", -1 },
  { "CODE_LINE", "12", -1 },
};

/* The text line: date, time to the millisecond and zone, level, domain, the ids when given, message. */
static void
test_text_line(void **state)
{
  g_autoptr(GDateTime) time = fixed_time();
  const GLogField *fields = take_line_fields;
  g_autofree char *line = ims_log_format_line(IMS_LOG_FORMAT_TEXT, G_LOG_LEVEL_INFO, fields, 5,
                                              time);
  assert_string_equal(
      line,
      "2026-12-01T15:15:22.571Z INFO     imsd.session [session=s-1 take=t-2]: take 1 started\n");
  g_autofree char *plain = ims_log_format_line(IMS_LOG_FORMAT_TEXT, G_LOG_LEVEL_WARNING, fields, 2,
                                               time);
  assert_string_equal(plain, "2026-12-01T15:15:22.571Z WARNING  imsd.session: take 1 started\n");
  GLogField take_fields[] = { { "MESSAGE", "done", -1 }, { IMS_LOG_FIELD_TAKE, "t-2", -1 } };
  g_autofree char *take_only = ims_log_format_line(IMS_LOG_FORMAT_TEXT, G_LOG_LEVEL_DEBUG,
                                                   take_fields, 2, time);
  assert_string_equal(take_only, "2026-12-01T15:15:22.571Z DEBUG    imsd [take=t-2]: done\n");

  /* a time in another zone is written in UTC */
  g_autoptr(GTimeZone) zone = g_time_zone_new_identifier("+02:00");
  g_autoptr(GDateTime) local = g_date_time_new(zone, 2026, 12, 1, 17, 15, 22.571234);
  g_autofree char *from_local = ims_log_format_line(IMS_LOG_FORMAT_TEXT, G_LOG_LEVEL_INFO, fields,
                                                    2, local);
  assert_true(g_str_has_prefix(from_local, "2026-12-01T15:15:22.571Z "));
}

/* The JSON line: one object, members time (ISO 8601, microseconds, zone), level, domain, session, take,
 * message, in that order; session and take only when given (not for ""). */
static void
test_json_line(void **state)
{
  g_autoptr(GDateTime) time = fixed_time();
  const GLogField *fields = take_line_fields;
  g_autofree char *line = ims_log_format_line(IMS_LOG_FORMAT_JSON, G_LOG_LEVEL_INFO, fields, 5,
                                              time);
  assert_string_equal(
      line,
      "{\"time\":\"2026-12-01T15:15:22.571234Z\",\"level\":\"info\",\"domain\":\"imsd.session\","
      "\"session\":\"s-1\",\"take\":\"t-2\",\"message\":\"take 1 started\"}\n");
  g_autoptr(JsonObject) object = parse_line(line);
  assert_member(object, "level", "info");
  assert_member(object, "session", "s-1");

  GLogField empty_ids[] = {
    { "MESSAGE", "no ids", -1 },
    { IMS_LOG_FIELD_SESSION, "", -1 },
    { IMS_LOG_FIELD_TAKE, "", -1 },
  };
  g_autofree char *without = ims_log_format_line(IMS_LOG_FORMAT_JSON, G_LOG_LEVEL_CRITICAL,
                                                 empty_ids, 3, time);
  g_autoptr(JsonObject) bare = parse_line(without);
  assert_int_equal(json_object_get_size(bare), 4);
  assert_member(bare, "domain", "imsd");
  assert_member(bare, "level", "critical");
  assert_false(json_object_has_member(bare, "session"));
  assert_false(json_object_has_member(bare, "take"));

  static const struct {
    GLogLevelFlags level;
    const char *name;
  } levels[] = {
    { G_LOG_LEVEL_ERROR, "error" },
    { G_LOG_LEVEL_WARNING, "warning" },
    { G_LOG_LEVEL_MESSAGE, "message" },
    { G_LOG_LEVEL_DEBUG, "debug" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(levels); i++) {
    g_autofree char *text = ims_log_format_line(IMS_LOG_FORMAT_JSON, levels[i].level, fields, 2,
                                                time);
    g_autoptr(JsonObject) parsed = parse_line(text);
    assert_member(parsed, "level", levels[i].name);
  }
}

/* Quotes, backslashes, line breaks, control characters, bytes that are not UTF-8 (a lone continuation
 * byte, a cut sequence, 0xff) and U+2028 in a message, a domain and an id: the line stays one valid JSON
 * object, valid UTF-8 passes as it is and every bad byte reads back as U+FFFD. A value with a length (not
 * NUL-terminated) ends there. */
static void
test_json_escaping(void **state)
{
  g_autoptr(GDateTime) time = fixed_time();
  const char message[] =
      "say \"hi\" \\ path\nsecond line\r\ttab \x01\x1f del\x7f é ☃ \x80 cut \xe2\x82 ff \xff "
      "ls\xe2\x80\xa8 end";
  const char bounded[] = "only-this-part and not this";
  GLogField fields[] = {
    { "GLIB_DOMAIN", "dom\"ain", -1 },
    { "MESSAGE", message, -1 },
    { IMS_LOG_FIELD_SESSION, "s\n1", -1 },
    { IMS_LOG_FIELD_TAKE, bounded, 14 },
  };
  g_autofree char *line = ims_log_format_line(IMS_LOG_FORMAT_JSON, G_LOG_LEVEL_WARNING, fields, 4,
                                              time);
  g_autoptr(JsonObject) object = parse_line(line);
  assert_member(object, "message",
                "say \"hi\" \\ path\nsecond line\r\ttab \x01\x1f del\x7f é ☃ \xef\xbf\xbd cut "
                "\xef\xbf\xbd\xef\xbf\xbd ff \xef\xbf\xbd ls\xe2\x80\xa8 end");
  assert_member(object, "domain", "dom\"ain");
  assert_member(object, "session", "s\n1");
  assert_member(object, "take", "only-this-part");
  assert_true(g_utf8_validate(line, -1, NULL));
  assert_non_null(strstr(line, "\\u2028"));
  assert_non_null(strstr(line, "\\u0001"));
}

/* Through GLib: g_message() and ims_log_session() reach the installed writer as JSON lines, the ids as
 * members; a line below log_level is dropped. */
static void
test_writer_json_with_session_fields(void **state)
{
  Fixture *fixture = *state;
  set_string(&fixture->config->log_format, "json");
  ims_log_init(fixture->config);
  capture_start(fixture);
  ims_log_session(G_LOG_LEVEL_MESSAGE, "session-7", "take-9", "take %d of question %d saved", 2, 3);
  g_message("plain \"line\"");
  ims_log_session(G_LOG_LEVEL_INFO, "session-7", NULL, "joined");
  g_debug("below info: dropped");
  ims_log_session(G_LOG_LEVEL_DEBUG, "session-7", NULL, "below info: dropped");
  g_autofree char *text = capture_stop(fixture);

  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  assert_int_equal(g_strv_length(lines), 4); /* three lines and what follows the last "\n" */
  assert_string_equal(lines[3], "");
  const char *expected_messages[] = { "take 2 of question 3 saved", "plain \"line\"", "joined" };
  for (gsize i = 0; i < 3; i++) {
    g_autofree char *with_end = g_strconcat(lines[i], "\n", NULL);
    g_autoptr(JsonObject) object = parse_line(with_end);
    assert_member(object, "message", expected_messages[i]);
    assert_member(object, "domain", "imsd.test-log");
    if (!g_regex_match_simple("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z$",
                              json_object_get_string_member(object, "time"), 0, 0))
      fail_msg("time: %s", json_object_get_string_member(object, "time"));
    if (i == 1) {
      assert_false(json_object_has_member(object, "session"));
    } else {
      assert_member(object, "session", "session-7");
    }
    assert_int_equal(json_object_has_member(object, "take"), i == 0);
  }
}

/* The text format through GLib carries a date too, and the ids. */
static void
test_writer_text(void **state)
{
  Fixture *fixture = *state;
  ims_log_init(fixture->config);
  capture_start(fixture);
  ims_log_session(G_LOG_LEVEL_WARNING, "session-7", "take-9", "cut by a crash");
  g_autofree char *text = capture_stop(fixture);
  if (!g_regex_match_simple(
          "^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z WARNING  imsd.test-log "
          "\\[session=session-7 take=take-9\\]: cut by a crash\\n$",
          text, 0, 0))
    fail_msg("text line: %s", text);
}

/* Emits a GStreamer warning and error in the test's category and returns what the writer wrote. */
static char *
emit_gstreamer_lines(Fixture *fixture)
{
  ims_log_init(fixture->config);
  capture_start(fixture);
  GST_CAT_WARNING(test_category, "gst warning %d", 1);
  GST_CAT_ERROR(test_category, "gst error %d", 2);
  GST_CAT_INFO(test_category, "gst info %d", 3);
  return capture_stop(fixture);
}

/* Not asked: GStreamer's warnings and errors are hidden at log_level=info, written at debug level with
 * log_level=debug (under gst.<category>), and nothing finer than warnings is collected. */
static void
test_gstreamer_below_warning_unless_asked(void **state)
{
  Fixture *fixture = *state;
  set_string(&fixture->config->log_format, "json");
  g_autofree char *at_info = emit_gstreamer_lines(fixture);
  assert_string_equal(at_info, "");

  set_string(&fixture->config->log_level, "debug");
  g_autofree char *at_debug = emit_gstreamer_lines(fixture);
  g_auto(GStrv) lines = g_strsplit(at_debug, "\n", -1);
  assert_int_equal(g_strv_length(lines), 3);
  const char *messages[] = { "gst warning 1", "gst error 2" };
  for (gsize i = 0; i < 2; i++) {
    g_autofree char *with_end = g_strconcat(lines[i], "\n", NULL);
    g_autoptr(JsonObject) object = parse_line(with_end);
    assert_member(object, "level", "debug");
    assert_member(object, "domain", "gst.imsd-test-log");
    assert_member(object, "message", messages[i]);
  }
}

/* Asked by [log] gstreamer: its thresholds apply and the lines keep their own severity (an error is
 * critical). Asked by GST_DEBUG: the same. */
static void
test_gstreamer_asked(void **state)
{
  Fixture *fixture = *state;
  set_string(&fixture->config->log_gstreamer, "imsd-test-log:4");
  g_autofree char *asked = emit_gstreamer_lines(fixture);
  g_auto(GStrv) lines = g_strsplit(asked, "\n", -1);
  assert_int_equal(g_strv_length(lines), 4);
  assert_non_null(strstr(lines[0], " WARNING  gst.imsd-test-log: gst warning 1"));
  assert_non_null(strstr(lines[1], " CRITICAL gst.imsd-test-log: gst error 2"));
  assert_non_null(strstr(lines[2], " INFO     gst.imsd-test-log: gst info 3"));

  set_string(&fixture->config->log_gstreamer, "");
  g_setenv("GST_DEBUG", "imsd-test-log:2", TRUE);
  gst_debug_set_threshold_for_name("imsd-test-log",
                                   GST_LEVEL_WARNING); /* what gst_init() would have read */
  g_autofree char *by_environment = emit_gstreamer_lines(fixture);
  g_unsetenv("GST_DEBUG");
  g_auto(GStrv) environment_lines = g_strsplit(by_environment, "\n", -1);
  assert_int_equal(g_strv_length(environment_lines), 3);
  assert_non_null(strstr(environment_lines[0], " WARNING  gst.imsd-test-log: gst warning 1"));
  assert_non_null(strstr(environment_lines[1], " CRITICAL gst.imsd-test-log: gst error 2"));
  gst_debug_unset_threshold_for_name("imsd-test-log");
}

/* The threshold lists the config accepts are those GStreamer reads. */
static void
test_gstreamer_threshold_lists(void **state)
{
  const char *valid[] = { "2",
                          "WARNING",
                          "WARN",
                          "*:2",
                          "*:3,qtmux:5",
                          " qtmux : DEBUG , 1",
                          "rtp*:MEMDUMP",
                          "0",
                          "9",
                          "FIXME,LOG,TRACE,INFO,ERROR" };
  for (gsize i = 0; i < G_N_ELEMENTS(valid); i++)
    if (!ims_log_gstreamer_thresholds_are_valid(valid[i]))
      fail_msg("refused: %s", valid[i]);
  const char *invalid[] = { "",      "warning", "qtmux:",   ":5",  "2,,3", ",",
                            "a:b:c", "loud",    "qt mux:5", "100", "2,",   "-1" };
  for (gsize i = 0; i < G_N_ELEMENTS(invalid); i++)
    if (ims_log_gstreamer_thresholds_are_valid(invalid[i]))
      fail_msg("accepted: %s", invalid[i]);
  assert_false(ims_log_gstreamer_thresholds_are_valid(NULL));
}

int
main(int argc, char **argv)
{
  g_unsetenv("GST_DEBUG");
  gst_init(&argc, &argv);
  GST_DEBUG_CATEGORY_INIT(test_category, "imsd-test-log", 0, "test-log.c");
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_text_line, setup, teardown),
    cmocka_unit_test_setup_teardown(test_json_line, setup, teardown),
    cmocka_unit_test_setup_teardown(test_json_escaping, setup, teardown),
    cmocka_unit_test_setup_teardown(test_writer_json_with_session_fields, setup, teardown),
    cmocka_unit_test_setup_teardown(test_writer_text, setup, teardown),
    cmocka_unit_test_setup_teardown(test_gstreamer_below_warning_unless_asked, setup, teardown),
    cmocka_unit_test_setup_teardown(test_gstreamer_asked, setup, teardown),
    cmocka_unit_test_setup_teardown(test_gstreamer_threshold_lists, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
