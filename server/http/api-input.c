/* api-input.c: id and JSON text checks of REST input; see api-input.h. */
#define G_LOG_DOMAIN "imsd.api"

#include "api-input.h"

#include <string.h>

const char *
ims_api_input_id_problem(const char *id, gssize length)
{
  if (!id)
    return "is missing";
  gsize bytes = length < 0 ? strlen(id) : (gsize) length;
  if (bytes == 0)
    return "is empty";
  if (bytes > IMS_API_MAX_ID_BYTES)
    return "is longer than " G_STRINGIFY(IMS_API_MAX_ID_BYTES) " bytes";
  if (memchr(id, '\0', bytes))
    return "holds a NUL character";
  if (!g_utf8_validate(id, (gssize) bytes, NULL))
    return "is not valid UTF-8";
  for (const char *p = id; p < id + bytes; p = g_utf8_next_char(p)) {
    if (!g_unichar_isprint(g_utf8_get_char(p)))
      return "holds a control or other non-printable character";
  }
  return NULL;
}

gboolean
ims_api_input_json_has_nul(const char *json, gsize length)
{
  /* outside strings a backslash is not valid JSON (the parser refuses it),
   * so every backslash starts an escape: skip what it escapes */
  for (gsize i = 0; i < length; i++) {
    if (json[i] != '\\' || i + 1 >= length)
      continue;
    if (json[i + 1] == 'u' && i + 5 < length && memcmp(json + i + 2, "0000", 4) == 0)
      return TRUE;
    i++;
  }
  return FALSE;
}
