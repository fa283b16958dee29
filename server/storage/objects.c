/* objects.c: object keys and the IMS_OBJECTS_ERROR domain.
 *
 * The store implementations live beside this file (objects-s3.c for libs3,
 * objects-s3-curl.c for the multipart upload libs3 2.0 lacks); this file
 * holds what every store shares: the error quark and ims_object_key_build(),
 * which turns ids from the platform's API into one safe key.
 *
 * A key is "{prefix}/{interviewId}/{sessionId}/{questionId}/take-{n}-{takeId}/{file}":
 * the take id (imsd's UUID) makes keys unique per take by construction, even
 * if the platform gave two questions one id.
 * Every id (and the file name) becomes exactly one segment: bytes outside
 * [A-Za-z0-9._-] are percent-escaped, and a segment "." or ".." has its dots
 * escaped, so no id can add, remove or climb a level.  Nothing here has
 * state; every function is thread-safe.
 */
#define G_LOG_DOMAIN "imsd.objects"

#include "objects.h"

#include <string.h>

/* Longest id (or prefix segment) accepted, in bytes before escaping. */
#define IMS_OBJECT_ID_MAX_BYTES 256
/* S3's own limit on a key, in bytes. */
#define IMS_OBJECT_KEY_MAX_BYTES 1024

/* clang-format off */
G_DEFINE_QUARK(ims-objects-error-quark, ims_objects_error)
/* clang-format on */

static gboolean
ims_object_byte_is_plain(guchar c)
{
  return g_ascii_isalnum(c) || c == '.' || c == '_' || c == '-';
}

/* Appends segment (length bytes) to key, escaped.  Returns FALSE with
 * IMS_OBJECTS_ERROR_BAD_KEY (naming what, never echoing the raw bytes) if the
 * segment is empty, too long or not UTF-8; key may then hold a partial
 * segment, which the caller discards. */
static gboolean
ims_object_key_append_segment(GString *key, const char *what, const char *segment, gsize length,
                              GError **error)
{
  if (segment == NULL || length == 0) {
    g_set_error(error, IMS_OBJECTS_ERROR, IMS_OBJECTS_ERROR_BAD_KEY, "%s is empty", what);
    return FALSE;
  }
  if (length > IMS_OBJECT_ID_MAX_BYTES) {
    g_set_error(error, IMS_OBJECTS_ERROR, IMS_OBJECTS_ERROR_BAD_KEY,
                "%s is %" G_GSIZE_FORMAT " bytes long, more than %d", what, length,
                IMS_OBJECT_ID_MAX_BYTES);
    return FALSE;
  }
  if (memchr(segment, '\0', length) != NULL || !g_utf8_validate(segment, (gssize) length, NULL)) {
    g_set_error(error, IMS_OBJECTS_ERROR, IMS_OBJECTS_ERROR_BAD_KEY, "%s is not valid UTF-8", what);
    return FALSE;
  }

  gboolean only_dots = (length == 1 && segment[0] == '.') ||
                       (length == 2 && segment[0] == '.' && segment[1] == '.');
  for (gsize i = 0; i < length; i++) {
    guchar c = (guchar) segment[i];
    if (ims_object_byte_is_plain(c) && !(only_dots && c == '.'))
      g_string_append_c(key, (char) c);
    else
      g_string_append_printf(key, "%%%02X", c);
  }
  return TRUE;
}

/* Appends the operator's prefix: "/"-separated segments, each escaped like an
 * id, then "/".  One leading and one trailing "/" are ignored; an empty
 * segment inside ("a//b") is refused. */
static gboolean
ims_object_key_append_prefix(GString *key, const char *prefix, GError **error)
{
  if (prefix == NULL || prefix[0] == '\0')
    return TRUE;
  gsize length = strlen(prefix);
  const char *start = prefix;
  const char *end = prefix + length;
  if (*start == '/')
    start++;
  if (end > start && end[-1] == '/')
    end--;
  if (length == 1 && prefix[0] == '/')
    return TRUE; /* "/" alone: no prefix */

  while (start <= end) {
    const char *slash = memchr(start, '/', (gsize) (end - start));
    const char *segment_end = slash != NULL ? slash : end;
    if (!ims_object_key_append_segment(key, "prefix segment", start, (gsize) (segment_end - start),
                                       error))
      return FALSE;
    g_string_append_c(key, '/');
    start = segment_end + 1;
  }
  return TRUE;
}

char *
ims_object_key_build(const char *prefix, const char *interview_id, const char *session_id,
                     const char *question_id, int take_number, const char *take_id,
                     const char *file_name, GError **error)
{
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);

  if (take_number < 0) {
    g_set_error(error, IMS_OBJECTS_ERROR, IMS_OBJECTS_ERROR_BAD_KEY, "take number %d is negative",
                take_number);
    return NULL;
  }

  g_autoptr(GString) key = g_string_sized_new(128);
  if (!ims_object_key_append_prefix(key, prefix, error))
    return NULL;

  const struct {
    const char *what;
    const char *value;
  } ids[] = {
    { "interview id", interview_id },
    { "session id", session_id },
    { "question id", question_id },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(ids); i++) {
    if (!ims_object_key_append_segment(key, ids[i].what, ids[i].value,
                                       ids[i].value != NULL ? strlen(ids[i].value) : 0, error))
      return NULL;
    g_string_append_c(key, '/');
  }
  g_string_append_printf(key, "take-%d-", take_number);
  if (!ims_object_key_append_segment(key, "take id", take_id, take_id != NULL ? strlen(take_id) : 0,
                                     error))
    return NULL;
  g_string_append_c(key, '/');
  if (!ims_object_key_append_segment(key, "file name", file_name,
                                     file_name != NULL ? strlen(file_name) : 0, error))
    return NULL;

  if (key->len > IMS_OBJECT_KEY_MAX_BYTES) {
    g_set_error(error, IMS_OBJECTS_ERROR, IMS_OBJECTS_ERROR_BAD_KEY,
                "object key is %" G_GSIZE_FORMAT " bytes once escaped, more than %d", key->len,
                IMS_OBJECT_KEY_MAX_BYTES);
    return NULL;
  }
  return g_string_free(g_steal_pointer(&key), FALSE);
}
