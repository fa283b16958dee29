/* log-level.h: the names of imsd's log levels and the GLib threshold each one means.
 *
 * One table for the config check (server/config/config.c refuses a name not in it) and the log writer
 * (server/config/log.c drops messages below the threshold).
 *
 * base/ is the bottom layer: GLib only, no state.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The accepted names, for error messages. */
#define IMS_LOG_LEVEL_NAMES "error, warning, message, info, debug"

/* TRUE if name is one of IMS_LOG_LEVEL_NAMES; then *threshold (if not NULL) is the least severe GLib
 * level still written.  "error" means G_LOG_LEVEL_CRITICAL, so g_critical() is written at every
 * level.  FALSE for any other name (and NULL): *threshold is not changed. */
gboolean ims_log_level_parse(const char *name, GLogLevelFlags *threshold);

G_END_DECLS
