/* json-depth.c: the nesting check of JSON texts; see json-depth.h.
 *
 * A byte scan with two states: outside a string, '{' and '[' open a level and '}' and ']' close one;
 * inside a string (after an unescaped '"') nothing counts until the closing '"', and a backslash skips
 * the byte after it, so "\"[" stays inside the string.  Multi-byte UTF-8 never contains these ASCII
 * bytes, so the scan needs no decoding.
 */
#include "json-depth.h"

gboolean
ims_json_depth_within(const char *data, gsize length, guint max_depth)
{
  guint depth = 0;
  gboolean in_string = FALSE;
  if (data == NULL)
    return TRUE;
  for (gsize i = 0; i < length; i++) {
    char c = data[i];
    if (in_string) {
      if (c == '\\')
        i++; /* the escaped byte cannot end the string */
      else if (c == '"')
        in_string = FALSE;
      continue;
    }
    if (c == '"')
      in_string = TRUE;
    else if (c == '{' || c == '[') {
      if (++depth > max_depth)
        return FALSE;
    } else if ((c == '}' || c == ']') && depth > 0)
      depth--;
  }
  return TRUE;
}
