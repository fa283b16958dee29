/* harness-lines.h: the stdin/stdout plumbing the test harnesses share
 * (ingest-harness.c, forward-harness.c): one JSON object per line in, one
 * per line out, GLib's log lines sent to stderr so stdout carries only the
 * protocol.  Main context only. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

/* Parses the command line against entries (summary: the usage line's
 * text).  FALSE, with the reason on stderr, for a bad command line. */
gboolean harness_parse_options(int *argc, char ***argv, const GOptionEntry *entries,
                               const char *summary);

/* Sends every GLib log line to stderr (stdout carries the protocol). */
void harness_log_to_stderr(void);

/* Writes builder's object as one line on stdout and flushes. */
void harness_emit(JsonBuilder *builder);

/* Reads stdin line by line on the main context: on_message(object,
 * user_data) for each line that is a JSON object (borrowed for the call;
 * other lines are logged and skipped), then on_closed(user_data) (may be
 * NULL) when stdin closes. */
void harness_read_lines(void (*on_message)(JsonObject *message, gpointer user_data),
                        void (*on_closed)(gpointer user_data), gpointer user_data);
