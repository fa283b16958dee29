/* fuzz-turn-servers.c: libFuzzer target for base/turn-credentials.c ([media]
 * turn_servers, as a config file or IMSD_MEDIA_TURN_SERVERS gives it) and for
 * the public twin of a candidate line (pipelines/ingest/answer.c,
 * ims_answer_public_candidate()).
 *
 * The input (text; a NUL ends it) is a TURN server list for
 * ims_turn_servers_parse(): it must never crash; an accepted list's every
 * entry must pass ims_turn_uri_check() on its own and hold no comma and no
 * space at either end; a refusal must be IMS_TURN_ERROR_BAD_URI.  Each entry
 * is then a name for ims_turn_credentials_mint() (a 28-character base64
 * credential, a username starting "<expiry>:").  The same text is a host
 * candidate line for ims_answer_public_candidate(): a twin, when there is one,
 * starts "candidate:p", is srflx with raddr/rport and names the public address.
 */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "turn-credentials.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_list(const char *text)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) servers = ims_turn_servers_parse(text, &error);
  if (servers == NULL) {
    if (!g_error_matches(error, IMS_TURN_ERROR, IMS_TURN_ERROR_BAD_URI) || !error->message[0])
      abort();
    return;
  }
  for (char **entry = servers; *entry != NULL; entry++) {
    gsize length = strlen(*entry);
    if (length == 0 || strchr(*entry, ',') != NULL || g_ascii_isspace((*entry)[0]) ||
        g_ascii_isspace((*entry)[length - 1]) || !ims_turn_uri_check(*entry, NULL))
      abort();
    g_autofree char *username = NULL;
    g_autofree char *credential = NULL;
    ims_turn_credentials_mint("fuzz-secret", *entry, 1700000000, &username, &credential);
    if (strlen(credential) != 28 || !g_str_has_prefix(username, "1700000000:"))
      abort();
  }
}

static void
check_twin(const char *text)
{
  g_autofree char *twin = ims_answer_public_candidate(text, "203.0.113.7");
  if (twin == NULL)
    return;
  if (!g_str_has_prefix(twin, "candidate:p") || strstr(twin, " 203.0.113.7 ") == NULL ||
      strstr(twin, " typ srflx raddr ") == NULL || strstr(twin, " rport ") == NULL)
    abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup((const char *) data, size);
  check_list(text);
  check_twin(text);
  return 0;
}
