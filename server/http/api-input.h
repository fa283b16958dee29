/* api-input.h: checks of what REST clients send, shared by api.c and
 * review-api.c: ids (every id field of a body or query) and JSON text.
 *
 * An id is 1 to IMS_API_MAX_ID_BYTES bytes of UTF-8 whose every character is
 * printable (g_unichar_isprint: letters, digits, punctuation, symbols,
 * spaces; no control or format characters, no NUL).  Ids become parts of
 * object keys, log lines and event payloads, so what is refused here never
 * reaches them.  Pure functions, thread-safe.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define IMS_API_MAX_ID_BYTES 256

/* NULL if id (length bytes, or up to its NUL if length is -1) is a valid id;
 * else why not, a static phrase ("is empty", ...) to follow the field's name. */
const char *ims_api_input_id_problem(const char *id, gssize length);

/* TRUE if the JSON text (length bytes) holds a "\u0000" escape inside a
 * string.  json-glib would cut such a string at the NUL and hand back a
 * shorter one, so the body is refused instead.  Escaped backslashes are
 * followed ("\\u0000" is six characters, no NUL).  O(length). */
gboolean ims_api_input_json_has_nul(const char *json, gsize length);

G_END_DECLS
