/* time-format.h: unix microseconds as the ISO 8601 text every reply and event carries.
 *
 * One formatter for the whole tree: REST replies and event payloads write times the same way,
 * "YYYY-MM-DDTHH:MM:SS.mmmZ", through base/json-build.h.  Each caller decides what an unknown time
 * (0) means: REST writes null (ims_json_add_time_or_null), an event falls back to another time
 * (ims_json_add_time).
 *
 * base/ is the bottom layer: GLib only here, no state.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Formats unix_us as "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC, floored to the millisecond, so a time before
 * 1970 keeps a positive fraction: -1000 us is "1969-12-31T23:59:59.999Z"; 0 is 1970-01-01).  NULL if
 * the time is outside years 0001..9999.  Cost: one GDateTime, no waiting.  Transfer full. */
char *ims_time_format_iso8601(gint64 unix_us);

G_END_DECLS
