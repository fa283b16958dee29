/* json-build.h: the members of a JSON object being built, written the same way everywhere.
 *
 * REST replies (server/http/), the candidate's "state" view (server/interview/session-view.c) and
 * event payloads (events/payloads.c) add their members through these: a string or null, a string
 * left out when unknown, an integer, a boolean, a number JSON can carry, a time as ISO 8601
 * (base/time-format.h) or null, a time that must be known, an object given as JSON text.  Each call
 * sets the member's name and its value on builder, which must be inside an object.
 *
 * Nothing here logs: where a value cannot be written as asked, the call says so by its result and
 * the caller, which knows what the member is for, decides what to log (an event's time that cannot
 * be written is a bug, a reply's is null).  No state, no waiting; thread-safe as long as each
 * builder is used by one thread.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* "name": value, or null when value is NULL. */
void ims_json_add_string(JsonBuilder *builder, const char *name, const char *value);

/* "name": value; nothing at all when value is NULL (a member sent "if known"). */
void ims_json_add_string_if_known(JsonBuilder *builder, const char *name, const char *value);

/* "name": value. */
void ims_json_add_int(JsonBuilder *builder, const char *name, gint64 value);
void ims_json_add_boolean(JsonBuilder *builder, const char *name, gboolean value);

/* "name": value.  JSON has no NaN or infinity: such a value is written 0 and FALSE is returned. */
gboolean ims_json_add_double(JsonBuilder *builder, const char *name, double value);

/* "name": unix_us as ims_time_format_iso8601 ("2025-10-06T10:00:00.001Z"), or null when unix_us
 * is 0 (unknown) or outside the years 0001..9999.  Cost: one GDateTime. */
void ims_json_add_time_or_null(JsonBuilder *builder, const char *name, gint64 unix_us);

/* "name": unix_us as ims_time_format_iso8601.  FALSE, and nothing added (not even the name), if
 * the time is outside the years 0001..9999. */
gboolean ims_json_add_time(JsonBuilder *builder, const char *name, gint64 unix_us);

/* "name": the JSON object whose text is json (a copy: json is not kept), or null when json is
 * NULL.  Text that is not a JSON object is written null too and FALSE is returned, with *error
 * set to the parser's error if the text did not parse (left unset if it parsed to something that
 * is not an object).  Cost: one parse of json. */
gboolean ims_json_add_object_text(JsonBuilder *builder, const char *name, const char *json,
                                  GError **error);

G_END_DECLS
