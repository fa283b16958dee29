/* turn-credentials.c: TURN URIs and coturn's REST credentials; see
 * turn-credentials.h. */
#include "turn-credentials.h"

#include <string.h>

/* clang-format off */
G_DEFINE_QUARK(ims-turn-error-quark, ims_turn_error)
/* clang-format on */

static gboolean
bad_uri(GError **error, const char *uri, const char *why)
{
  g_set_error(error, IMS_TURN_ERROR, IMS_TURN_ERROR_BAD_URI, "“%s” is not a TURN URI: %s", uri, why);
  return FALSE;
}

/* A reg-name or IPv4 address: letters, digits, '-' and '.', not empty. */
static gboolean
is_host_name(const char *start, gsize length)
{
  if (length == 0 || length > 253)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isalnum(start[i]) && start[i] != '-' && start[i] != '.')
      return FALSE;
  return TRUE;
}

/* "[" IPv6 "]": hex digits, ':' and '.' (an embedded IPv4) inside. */
static gboolean
is_ipv6_literal(const char *start, gsize length)
{
  if (length < 4 || start[0] != '[' || start[length - 1] != ']')
    return FALSE;
  for (gsize i = 1; i + 1 < length; i++)
    if (!g_ascii_isxdigit(start[i]) && start[i] != ':' && start[i] != '.')
      return FALSE;
  return memchr(start, ':', length) != NULL;
}

gboolean
ims_turn_uri_check(const char *uri, GError **error)
{
  if (uri == NULL)
    return bad_uri(error, "", "empty");
  const char *rest;
  if (g_str_has_prefix(uri, "turn:"))
    rest = uri + strlen("turn:");
  else if (g_str_has_prefix(uri, "turns:"))
    rest = uri + strlen("turns:");
  else
    return bad_uri(error, uri, "it must start with turn: or turns:");

  const char *query = strchr(rest, '?');
  const char *end = query != NULL ? query : rest + strlen(rest);
  if (query != NULL && !g_str_equal(query, "?transport=udp") && !g_str_equal(query, "?transport=tcp"))
    return bad_uri(error, uri, "the only query it may have is ?transport=udp or ?transport=tcp");

  /* host [":" port]; an IPv6 host is bracketed, so its colons are inside */
  const char *host_end = end;
  const char *bracket = rest[0] == '[' ? memchr(rest, ']', end - rest) : NULL;
  const char *colon = NULL;
  if (rest[0] == '[') {
    if (bracket == NULL)
      return bad_uri(error, uri, "an IPv6 address must be closed by ]");
    colon = bracket + 1 < end && bracket[1] == ':' ? bracket + 1 : NULL;
    if (bracket + 1 < end && colon == NULL)
      return bad_uri(error, uri, "only :port may follow the IPv6 address");
  } else {
    colon = memchr(rest, ':', end - rest);
  }
  if (colon != NULL) {
    host_end = colon;
    g_autofree char *port_text = g_strndup(colon + 1, end - colon - 1);
    guint64 port = 0;
    if (!g_ascii_string_to_unsigned(port_text, 10, 1, 65535, &port, NULL))
      return bad_uri(error, uri, "the port must be a number from 1 to 65535");
  }
  gsize host_length = host_end - rest;
  if (rest[0] == '[' ? !is_ipv6_literal(rest, host_length) : !is_host_name(rest, host_length))
    return bad_uri(error, uri, "the host must be a name, an IPv4 address or [an IPv6 address]");
  return TRUE;
}

GStrv
ims_turn_servers_parse(const char *list, GError **error)
{
  g_autoptr(GStrvBuilder) servers = g_strv_builder_new();
  g_auto(GStrv) entries = g_strsplit(list != NULL ? list : "", ",", -1);
  for (char **entry = entries; *entry != NULL; entry++) {
    g_strstrip(*entry);
    if (**entry == '\0')
      continue;
    if (!ims_turn_uri_check(*entry, error))
      return NULL;
    g_strv_builder_add(servers, *entry);
  }
  return g_strv_builder_end(servers);
}

void
ims_turn_credentials_mint(const char *secret, const char *name, gint64 expires_at, char **username,
                          char **credential)
{
  g_autofree char *user = g_strdup_printf("%" G_GINT64_FORMAT ":%s", expires_at, name);
  g_autoptr(GHmac) hmac = g_hmac_new(G_CHECKSUM_SHA1, (const guchar *) secret, strlen(secret));
  g_hmac_update(hmac, (const guchar *) user, -1);
  guint8 digest[20];
  gsize digest_length = sizeof digest;
  g_hmac_get_digest(hmac, digest, &digest_length);
  *credential = g_base64_encode(digest, digest_length);
  *username = g_steal_pointer(&user);
}
