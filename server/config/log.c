/* log.c: the process-wide GLib log writer; see log.h. */
#include "log.h"

#include <gst/gst.h>
#include <stdio.h>

#include "log-level.h"

static GLogLevelFlags max_level = G_LOG_LEVEL_INFO;

static const char *
level_name(GLogLevelFlags level)
{
  if (level & G_LOG_LEVEL_ERROR) return "ERROR";
  if (level & G_LOG_LEVEL_CRITICAL) return "CRITICAL";
  if (level & G_LOG_LEVEL_WARNING) return "WARNING";
  if (level & G_LOG_LEVEL_MESSAGE) return "MESSAGE";
  if (level & G_LOG_LEVEL_INFO) return "INFO";
  return "DEBUG";
}

static GLogWriterOutput
write_line(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  const char *domain = "imsd", *message = "";
  GLogLevelFlags severity = level & G_LOG_LEVEL_MASK;

  /* GLib levels grow as severity falls: ERROR=4 ... DEBUG=128 */
  if (severity > max_level)
    return G_LOG_WRITER_HANDLED;
  for (gsize i = 0; i < n_fields; i++) {
    if (g_strcmp0(fields[i].key, "GLIB_DOMAIN") == 0)
      domain = fields[i].value;
    else if (g_strcmp0(fields[i].key, "MESSAGE") == 0)
      message = fields[i].value;
  }
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  g_autofree char *stamp = g_date_time_format(now, "%H:%M:%S");
  fprintf(stderr, "%s.%03d %-8s %s: %s\n", stamp, g_date_time_get_microsecond(now) / 1000,
          level_name(severity), domain, message);
  fflush(stderr);
  return G_LOG_WRITER_HANDLED;
}

/* GStreamer's own messages (thresholds from GST_DEBUG, default: errors and
 * warnings) go through the same writer, under "gst.<category>". */
static void
log_gstreamer(GstDebugCategory *category, GstDebugLevel level, const char *file,
              const char *function, gint line, GObject *object, GstDebugMessage *message,
              gpointer data)
{
  GLogLevelFlags flags = level <= GST_LEVEL_ERROR     ? G_LOG_LEVEL_CRITICAL
                         : level <= GST_LEVEL_WARNING ? G_LOG_LEVEL_WARNING
                         : level <= GST_LEVEL_INFO    ? G_LOG_LEVEL_INFO
                                                      : G_LOG_LEVEL_DEBUG;
  g_autofree char *domain = g_strdup_printf("gst.%s", gst_debug_category_get_name(category));
  /* GStreamer logs while holding an object's lock: never take it here
   * (gst_object_get_name would deadlock); read the name like
   * gst_debug_log_default does. */
  g_autofree char *object_name =
      object && GST_IS_OBJECT(object) && GST_OBJECT_NAME(object) ? g_strdup(GST_OBJECT_NAME(object)) : NULL;
  g_log(domain, flags, "%s%s%s", object_name ? object_name : "", object_name ? ": " : "",
        gst_debug_message_get(message));
}

void
ims_log_init(const char *level)
{
  max_level = G_LOG_LEVEL_INFO;          /* for a level config validation did not see */
  ims_log_level_parse(level, &max_level);
  g_log_set_writer_func(write_line, NULL, NULL);
  if (!g_getenv("GST_DEBUG"))
    gst_debug_set_default_threshold(GST_LEVEL_WARNING);
  gst_debug_remove_log_function(gst_debug_log_default);
  gst_debug_add_log_function(log_gstreamer, NULL, NULL);
}
