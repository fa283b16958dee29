/* fuzz-object-key.c: libFuzzer target for ims_object_key_build() (server/storage/objects.c).
 *
 * Input: the take number in the first byte (signed), then prefix, interview id, session id,
 * question id, file name and take id separated by NUL bytes (missing fields are NULL, except
 * a missing take id, which is "t1" so that older seeds still reach the rest).  Whatever is
 * accepted must be a safe key: only bytes from [A-Za-z0-9._%/-], no empty, "." or ".."
 * segment, at most 1024 bytes, and each id segment must percent-decode back to the id.
 * Whatever is refused must be refused with IMS_OBJECTS_ERROR_BAD_KEY.
 */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "objects.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The id a key segment stands for: every %XX decoded.  Transfer full. */
static char *
decode_segment(const char *segment)
{
  GString *out = g_string_new(NULL);
  for (const char *c = segment; *c; c++) {
    if (*c == '%') {
      if (!g_ascii_isxdigit(c[1]) || !g_ascii_isxdigit(c[2]))
        abort();
      g_string_append_c(out, (char) (g_ascii_xdigit_value(c[1]) * 16 + g_ascii_xdigit_value(c[2])));
      c += 2;
    } else {
      g_string_append_c(out, *c);
    }
  }
  return g_string_free(out, FALSE);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1 || size > 4096)
    return 0;
  int take = (int8_t) data[0];
  /* Split a NUL-terminated copy of the bytes after the first at each NUL. */
  char *fields[6] = { NULL };
  g_autofree char *copy = g_malloc(size);
  memcpy(copy, data + 1, size - 1);
  copy[size - 1] = '\0';
  char *cursor = copy;
  char *end = copy + size - 1;
  for (int i = 0; i < 6 && cursor <= end; i++) {
    fields[i] = cursor;
    cursor += strlen(cursor) + 1;
  }

  g_autoptr(GError) error = NULL;
  g_autofree char *key = ims_object_key_build(fields[0], fields[1], fields[2], fields[3], take,
                                              fields[5] ? fields[5] : "t1", fields[4], &error);
  if (key == NULL) {
    if (!g_error_matches(error, IMS_OBJECTS_ERROR, IMS_OBJECTS_ERROR_BAD_KEY))
      abort();
    return 0;
  }
  if (error != NULL || strlen(key) > 1024)
    abort();
  for (const char *c = key; *c; c++)
    if (!g_ascii_isalnum(*c) && strchr("._%/-", *c) == NULL)
      abort();
  g_auto(GStrv) segments = g_strsplit(key, "/", -1);
  guint count = g_strv_length(segments);
  if (count < 5)
    abort();
  for (guint i = 0; i < count; i++)
    if (segments[i][0] == '\0' || g_str_equal(segments[i], ".") || g_str_equal(segments[i], ".."))
      abort();
  /* The last five segments are interview, session, question, take, file. */
  const char *ids[] = { fields[1], fields[2], fields[3], NULL, fields[4] };
  for (int i = 0; i < 5; i++) {
    const char *segment = segments[count - 5 + i];
    if (ids[i] == NULL) {
      g_autofree char *expected = g_strdup_printf("take-%d-", take);
      if (!g_str_has_prefix(segment, expected))
        abort();
      g_autofree char *take_id = decode_segment(segment + strlen(expected));
      if (!g_str_equal(take_id, fields[5] ? fields[5] : "t1"))
        abort();
      continue;
    }
    g_autofree char *decoded = decode_segment(segment);
    if (!g_str_equal(decoded, ids[i]))
      abort();
  }
  return 0;
}
