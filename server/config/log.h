/* log.h: where imsd's log lines go: one line per message on stderr, as text or JSON.
 *
 * The daemon calls ims_log_init() once, after the config is read and before it starts threads; from then
 * on every GLib message of the process (g_message(), g_log_structured(), ims_log_session() of
 * base/log-session.h), GStreamer's own debug output, and what daemon.c and events/ route into GLib
 * (libwebsockets, librdkafka) go through one writer, from any thread. GLib domains are one per file
 * (imsd.session, imsd.transport, ...); GStreamer's are "gst.<category>".
 *
 * [log] format=text (the default, for terminals):
 *   2026-12-01T15:15:22.571Z INFO     imsd.session [session=S take=T]: take 1 started
 * [log] format=json: one JSON object per line, members in this order, session and take only when the line
 * carries them (SESSION_ID / TAKE_ID fields):
 *   {"time":"2026-12-01T15:15:22.571234Z","level":"info","domain":"imsd.session","session":"S",
 *    "take":"T","message":"take 1 started"}
 * time is UTC (ISO 8601, microseconds); level is error, critical, warning, message, info or debug; every
 * string is escaped for JSON (quotes, backslashes, control characters; a byte that is not UTF-8 becomes
 * U+FFFD), so a line is always one valid JSON object.
 *
 * GStreamer: its elements warn about things imsd handles or ignores (72 of the 189 lines of one
 * tests/browser/e2e.test.mjs interview, docs/operations.md). Unless asked, GStreamer's errors and
 * warnings are written at debug level (so log_level=debug shows them) and nothing finer is collected. Asked by [log] gstreamer (a GST_DEBUG threshold list, e.g.
 * "2" or "WARNING,qtmux:5"; it replaces GST_DEBUG's) or by the GST_DEBUG environment variable, GStreamer's
 * thresholds are those and its lines keep their own severity: ERROR as critical, WARNING as warning, FIXME
 * and INFO as info, finer as debug (shown with log_level=debug).
 */
#pragma once

#include <glib.h>

#include "config.h"

G_BEGIN_DECLS

typedef enum {
  IMS_LOG_FORMAT_TEXT,
  IMS_LOG_FORMAT_JSON,
} ImsLogFormat;

/* The names of [log] format, for error messages. */
#define IMS_LOG_FORMAT_NAMES "text or json"

/* TRUE if name is "text" or "json"; then *format (if not NULL) is it. FALSE otherwise, *format unchanged. */
gboolean ims_log_format_parse(const char *name, ImsLogFormat *format);

/* TRUE if spec is a GST_DEBUG threshold list GStreamer reads: comma-separated items, each LEVEL or
 * CATEGORY:LEVEL, LEVEL a number (0 none .. 9 memdump) or ERROR, WARNING, FIXME, INFO, DEBUG, LOG, TRACE, MEMDUMP,
 * CATEGORY a name or a glob ("*", "rtp*"). "" is FALSE (it means "not asked" in the config). */
gboolean ims_log_gstreamer_thresholds_are_valid(const char *spec);

/* Installs the writer with config's [log] log_level, format and gstreamer (values validation did not
 * accept fall back to info, text and not asked), and routes GStreamer's debug output into it.  gst_init()
 * must have run. Called again (tests), it replaces the settings; it is not safe while other threads log. */
void ims_log_init(const ImsConfig *config);

/* The line the writer writes for one message (ending in "\n"), in format, with time as its time (in
 * UTC). fields as a GLogWriterFunc gets them: GLIB_DOMAIN (absent: "imsd"), MESSAGE, SESSION_ID, TAKE_ID
 * are read, any other is ignored; a value's length may be -1 (NUL-terminated). Pure. transfer full. */
char *ims_log_format_line(ImsLogFormat format, GLogLevelFlags level, const GLogField *fields,
                          gsize n_fields, GDateTime *time);

G_END_DECLS
