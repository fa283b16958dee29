/* log-session.c: an untrusted id made safe for a log line; see log-session.h. */
#include "log-session.h"

#include <string.h>

/* A byte printed as it is: printable ASCII but the ones that delimit or escape in the text format
 * ("[session=...]") and in the JSON one. */
static gboolean
is_plain(guchar byte)
{
  return byte > 0x20 && byte < 0x7f && byte != '\\' && byte != '"' && byte != '[' && byte != ']';
}

char *
ims_log_untrusted_id(const char *text)
{
  if (text == NULL)
    return NULL;
  gsize length = strlen(text);
  gsize kept = MIN(length, IMS_LOG_UNTRUSTED_ID_MAX);
  GString *out = g_string_sized_new(kept + 4);
  for (gsize i = 0; i < kept; i++) {
    guchar byte = (guchar) text[i];
    if (is_plain(byte))
      g_string_append_c(out, (char) byte);
    else
      g_string_append_printf(out, "\\x%02x", byte);
  }
  if (length > kept)
    g_string_append(out, "...");
  return g_string_free(out, FALSE);
}
