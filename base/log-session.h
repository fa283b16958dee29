/* log-session.h: a log line about one interview session (and one take of it), for every layer.
 *
 *   ims_log_session(G_LOG_LEVEL_INFO, session_id, take_id, "take %d started", number);
 *
 * logs like g_info() in the file's G_LOG_DOMAIN, and adds the structured fields SESSION_ID and TAKE_ID
 * (IMS_LOG_FIELD_SESSION, IMS_LOG_FIELD_TAKE; g_log_structured()) with the code location. The writer
 * (server/config/log.c) prints them: "[session=S take=T]" after the domain in the text format, "session"
 * and "take" members in the JSON format. Pass NULL (or "") for an id the line is not about; the message
 * then need not repeat the ids.
 *
 * An id that came from a client (a join's sessionId) is untrusted: ims_log_untrusted_id() makes it safe
 * to print before it becomes a field or part of a message.
 *
 * It lives here, in the bottom layer, because the layers that know sessions (interview, signaling,
 * pipelines/ingest) may not include server/config/. Lines from g_log_structured() go straight to the
 * writer: a g_log_set_handler() handler (as some unit tests install) does not see them; a test captures
 * them with g_log_set_writer_func() or by reading the process's stderr.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define IMS_LOG_FIELD_SESSION "SESSION_ID"
#define IMS_LOG_FIELD_TAKE "TAKE_ID"

/* id, or "" for NULL (g_log_structured() values must be strings; the writer leaves "" out). */
static inline const char *
ims_log_id(const char *id)
{
  return id != NULL ? id : "";
}

/* The most bytes of an untrusted id kept by ims_log_untrusted_id() (a UUID has 36). */
#define IMS_LOG_UNTRUSTED_ID_MAX 64

/* text, from a client, made safe for a log line (transfer full; NULL for NULL): its first
 * IMS_LOG_UNTRUSTED_ID_MAX bytes, each byte outside printable ASCII (controls, space, bytes >= 0x80) and
 * each of \ " [ ] written as \xNN, then "..." if text was longer.  A valid UUID comes back unchanged.
 * Costs one allocation of at most 4 * IMS_LOG_UNTRUSTED_ID_MAX + 4 bytes. */
char *ims_log_untrusted_id(const char *text);

/* Logs format (printf style) at level in G_LOG_DOMAIN with the session and take ids as fields. Never
 * waits on anything but the writer (one write to stderr). Like g_error(), G_LOG_LEVEL_ERROR aborts. */
#define ims_log_session(level, session_id, take_id, ...) \
  g_log_structured(G_LOG_DOMAIN, (level), "CODE_FILE", __FILE__, "CODE_LINE", \
                   G_STRINGIFY(__LINE__), "CODE_FUNC", G_STRFUNC, IMS_LOG_FIELD_SESSION, \
                   ims_log_id(session_id), IMS_LOG_FIELD_TAKE, ims_log_id(take_id), "MESSAGE", \
                   __VA_ARGS__)

G_END_DECLS
