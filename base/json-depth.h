/* json-depth.h: how deep a JSON text nests, checked before any parser sees it.
 *
 * json-glib's parser recurses once per object or array level, so a text of a few hundred kilobytes of
 * '[' overflows the stack.  Every layer that parses JSON from outside (REST bodies in server/http/,
 * signaling frames in signaling/message.c, Kafka messages in events/consumed.c, token headers in
 * server/interview/token.c) calls ims_json_depth_within() first and refuses deeper input with its own error code.
 *
 * base/ is the bottom layer: it depends on GLib and json-glib only and every other layer may use it.
 * No state.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Deepest nesting of objects and arrays imsd accepts in any JSON input.  The deepest legitimate input
 * (a Kafka event's payload) nests a handful of levels. */
#define IMS_JSON_MAX_DEPTH 64

/* TRUE if no object or array in data (length bytes, need not be NUL-terminated) nests deeper than
 * max_depth levels; the outermost object is level 1.  Brackets inside strings (including after escaped
 * quotes) do not count.  It checks nesting only: malformed JSON may pass, the parser refuses it next.
 * Cost: one pass over the bytes, no allocation. */
gboolean ims_json_depth_within(const char *data, gsize length, guint max_depth);

G_END_DECLS
