/* log.c: the process-wide GLib log writer, text or JSON lines, and GStreamer's output routed into it;
 * see log.h.
 *
 * The settings below are written by ims_log_init() before the daemon starts its threads and only read
 * after that (by the writer, on any thread), so they need no lock. One line is one fputs() on stderr,
 * which glibc does under the stream's lock: lines of two threads never interleave.
 */
#include "log.h"

#include <gst/gst.h>
#include <stdio.h>
#include <string.h>

#include "log-level.h"
#include "log-session.h"

static struct {
  GLogLevelFlags max_level; /* least severe level written (GLib levels grow as severity falls) */
  ImsLogFormat format;
  gboolean gstreamer_own_levels; /* asked ([log] gstreamer or GST_DEBUG): GStreamer keeps its severity */
} settings = { G_LOG_LEVEL_INFO, IMS_LOG_FORMAT_TEXT, FALSE };

/* One field's value: length bytes at text (not NUL-terminated when the writer was given a length). */
typedef struct {
  const char *text;
  gsize length;
} Span;

typedef struct {
  Span domain, message, session, take;
} LineFields;

static Span
span_of(const GLogField *field)
{
  const char *text = field->value != NULL ? field->value : "";
  return (Span){ text,
                 field->length < 0 || field->value == NULL ? strlen(text) : (gsize) field->length };
}

static LineFields
read_fields(const GLogField *fields, gsize n_fields)
{
  LineFields line = { { "imsd", 4 }, { "", 0 }, { "", 0 }, { "", 0 } };
  for (gsize i = 0; i < n_fields; i++) {
    if (g_strcmp0(fields[i].key, "GLIB_DOMAIN") == 0)
      line.domain = span_of(&fields[i]);
    else if (g_strcmp0(fields[i].key, "MESSAGE") == 0)
      line.message = span_of(&fields[i]);
    else if (g_strcmp0(fields[i].key, IMS_LOG_FIELD_SESSION) == 0)
      line.session = span_of(&fields[i]);
    else if (g_strcmp0(fields[i].key, IMS_LOG_FIELD_TAKE) == 0)
      line.take = span_of(&fields[i]);
  }
  return line;
}

/* The level's name, "INFO" (text) or "info" (JSON). */
static const char *
level_name(GLogLevelFlags level, gboolean upper)
{
  static const struct {
    GLogLevelFlags level;
    const char *upper, *lower;
  } names[] = {
    { G_LOG_LEVEL_ERROR, "ERROR", "error" },       { G_LOG_LEVEL_CRITICAL, "CRITICAL", "critical" },
    { G_LOG_LEVEL_WARNING, "WARNING", "warning" }, { G_LOG_LEVEL_MESSAGE, "MESSAGE", "message" },
    { G_LOG_LEVEL_INFO, "INFO", "info" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
    if (level & names[i].level)
      return upper ? names[i].upper : names[i].lower;
  return upper ? "DEBUG" : "debug";
}

/* "2026-12-01T15:15:22.571Z" (digits 3) or "2026-12-01T15:15:22.571234Z" (digits 6), in UTC. */
static void
append_time(GString *out, GDateTime *time, int digits)
{
  g_autoptr(GDateTime) utc = g_date_time_to_utc(time);
  g_autofree char *seconds = g_date_time_format(utc, "%Y-%m-%dT%H:%M:%S");
  int fraction = g_date_time_get_microsecond(utc);
  g_string_append_printf(out, "%s.%0*dZ", seconds, digits, digits == 3 ? fraction / 1000 : fraction);
}

/* value as a JSON string, quotes included: ", \ and control characters escaped, U+2028/U+2029 escaped
 * (JavaScript reads them as line ends), every byte that does not start a valid UTF-8 character written as
 * U+FFFD. */
static void
append_json_string(GString *out, Span value)
{
  const char *end = value.text + value.length;
  g_string_append_c(out, '"');
  for (const char *c = value.text; c < end;) {
    guchar byte = (guchar) *c;
    if (byte < 0x80) {
      switch (byte) {
      case '"':
        g_string_append(out, "\\\"");
        break;
      case '\\':
        g_string_append(out, "\\\\");
        break;
      case '\n':
        g_string_append(out, "\\n");
        break;
      case '\r':
        g_string_append(out, "\\r");
        break;
      case '\t':
        g_string_append(out, "\\t");
        break;
      case '\b':
        g_string_append(out, "\\b");
        break;
      case '\f':
        g_string_append(out, "\\f");
        break;
      default:
        if (byte < 0x20)
          g_string_append_printf(out, "\\u%04x", byte);
        else
          g_string_append_c(out, (char) byte);
      }
      c++;
      continue;
    }
    gunichar character = g_utf8_get_char_validated(c, end - c);
    if (character == (gunichar) -1 || character == (gunichar) -2) {
      g_string_append(out, "\\ufffd");
      c++;
      continue;
    }
    const char *next = g_utf8_next_char(c);
    if (character == 0x2028 || character == 0x2029)
      g_string_append_printf(out, "\\u%04x", character);
    else
      g_string_append_len(out, c, next - c);
    c = next;
  }
  g_string_append_c(out, '"');
}

char *
ims_log_format_line(ImsLogFormat format, GLogLevelFlags level, const GLogField *fields,
                    gsize n_fields, GDateTime *time)
{
  LineFields line = read_fields(fields, n_fields);
  GString *out = g_string_sized_new(128 + line.message.length);
  if (format == IMS_LOG_FORMAT_JSON) {
    g_string_append(out, "{\"time\":\"");
    append_time(out, time, 6);
    g_string_append_printf(out, "\",\"level\":\"%s\",\"domain\":", level_name(level, FALSE));
    append_json_string(out, line.domain);
    if (line.session.length > 0) {
      g_string_append(out, ",\"session\":");
      append_json_string(out, line.session);
    }
    if (line.take.length > 0) {
      g_string_append(out, ",\"take\":");
      append_json_string(out, line.take);
    }
    g_string_append(out, ",\"message\":");
    append_json_string(out, line.message);
    g_string_append(out, "}\n");
    return g_string_free(out, FALSE);
  }
  append_time(out, time, 3);
  g_string_append_printf(out, " %-8s %.*s", level_name(level, TRUE), (int) line.domain.length,
                         line.domain.text);
  if (line.session.length > 0 || line.take.length > 0) {
    g_string_append(out, " [");
    if (line.session.length > 0)
      g_string_append_printf(out, "session=%.*s", (int) line.session.length, line.session.text);
    if (line.take.length > 0)
      g_string_append_printf(out, "%stake=%.*s", line.session.length > 0 ? " " : "",
                             (int) line.take.length, line.take.text);
    g_string_append_c(out, ']');
  }
  g_string_append_printf(out, ": %.*s\n", (int) line.message.length, line.message.text);
  return g_string_free(out, FALSE);
}

static GLogWriterOutput
write_line(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  if ((level & G_LOG_LEVEL_MASK) > settings.max_level)
    return G_LOG_WRITER_HANDLED;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  g_autofree char *line = ims_log_format_line(settings.format, level & G_LOG_LEVEL_MASK, fields,
                                              n_fields, now);
  fputs(line, stderr);
  fflush(stderr);
  return G_LOG_WRITER_HANDLED;
}

/* GStreamer's own messages go through the same writer, under "gst.<category>": at debug level unless
 * asked (log.h), else at the level matching their own. */
static void
log_gstreamer(GstDebugCategory *category, GstDebugLevel level, const char *file,
              const char *function, gint line, GObject *object, GstDebugMessage *message,
              gpointer data)
{
  GLogLevelFlags flags = !settings.gstreamer_own_levels ? G_LOG_LEVEL_DEBUG
                         : level <= GST_LEVEL_ERROR     ? G_LOG_LEVEL_CRITICAL
                         : level <= GST_LEVEL_WARNING   ? G_LOG_LEVEL_WARNING
                         : level <= GST_LEVEL_INFO      ? G_LOG_LEVEL_INFO
                                                        : G_LOG_LEVEL_DEBUG;
  if (flags > settings.max_level)
    return; /* before the message is formatted */
  g_autofree char *domain = g_strdup_printf("gst.%s", gst_debug_category_get_name(category));
  /* GStreamer logs while holding an object's lock: never take it here
   * (gst_object_get_name would deadlock); read the name like
   * gst_debug_log_default does. */
  g_autofree char *object_name = object && GST_IS_OBJECT(object) && GST_OBJECT_NAME(object)
                                     ? g_strdup(GST_OBJECT_NAME(object))
                                     : NULL;
  g_log(domain, flags, "%s%s%s", object_name ? object_name : "", object_name ? ": " : "",
        gst_debug_message_get(message));
}

gboolean
ims_log_format_parse(const char *name, ImsLogFormat *format)
{
  ImsLogFormat parsed;
  if (g_strcmp0(name, "text") == 0)
    parsed = IMS_LOG_FORMAT_TEXT;
  else if (g_strcmp0(name, "json") == 0)
    parsed = IMS_LOG_FORMAT_JSON;
  else
    return FALSE;
  if (format != NULL)
    *format = parsed;
  return TRUE;
}

/* A level as GStreamer's parser reads it (case matters). */
static gboolean
is_gstreamer_level(const char *text)
{
  static const char *const names[] = { "ERROR", "FIXME", "INFO", "DEBUG", "LOG", "TRACE", "MEMDUMP" };
  if (g_ascii_isdigit(text[0]))
    return strspn(text, "0123456789") == strlen(text) && strlen(text) <= 2;
  return g_str_has_prefix(text, "WARN") || g_strv_contains(names, text);
}

gboolean
ims_log_gstreamer_thresholds_are_valid(const char *spec)
{
  if (spec == NULL || spec[0] == '\0')
    return FALSE;
  g_auto(GStrv) items = g_strsplit(spec, ",", -1);
  for (char **item = items; *item != NULL; item++) {
    g_auto(GStrv) parts = g_strsplit(*item, ":", 2);
    if (parts[0] == NULL)
      return FALSE; /* an empty item: "2,,3" */
    const char *level = g_strstrip(parts[g_strv_length(parts) - 1]);
    if (parts[1] != NULL) {
      const char *category = g_strstrip(parts[0]);
      if (category[0] == '\0' || strpbrk(category, " \t") != NULL)
        return FALSE;
    }
    if (!is_gstreamer_level(level))
      return FALSE;
  }
  return TRUE;
}

void
ims_log_init(const ImsConfig *config)
{
  settings.max_level = G_LOG_LEVEL_INFO; /* for values validation did not see */
  ims_log_level_parse(config->log_level, &settings.max_level);
  settings.format = IMS_LOG_FORMAT_TEXT;
  ims_log_format_parse(config->log_format, &settings.format);
  if (ims_log_gstreamer_thresholds_are_valid(config->log_gstreamer)) {
    gst_debug_set_threshold_from_string(config->log_gstreamer, TRUE);
    settings.gstreamer_own_levels = TRUE;
  } else if (g_getenv("GST_DEBUG") != NULL) {
    settings.gstreamer_own_levels = TRUE; /* gst_init() applied its thresholds */
  } else {
    gst_debug_set_default_threshold(GST_LEVEL_WARNING);
    settings.gstreamer_own_levels = FALSE;
  }

  static gsize writer_installed;
  if (g_once_init_enter(&writer_installed)) {
    g_log_set_writer_func(write_line, NULL, NULL); /* GLib allows one call per process */
    g_once_init_leave(&writer_installed, 1);
  }
  gst_debug_remove_log_function(gst_debug_log_default);
  gst_debug_remove_log_function(log_gstreamer);
  gst_debug_add_log_function(log_gstreamer, NULL, NULL);
}
