/* log.h: one line per message on stderr: time, level, domain, text.
 * GLib domains are one per file (imsd.session, imsd.ingest, ...).
 * libwebsockets' and GStreamer's domains go through the same writer. */
#pragma once

#include <glib.h>

/* level: one of IMS_LOG_LEVEL_NAMES (base/log-level.h), else "info"; messages below it are dropped. */
void ims_log_init(const char *level);
