/* ice-servers.c: the page's TURN servers and their per-session credentials;
 * see ice-servers.h. */
#define G_LOG_DOMAIN "imsd.session"

#include "ice-servers.h"

#include "turn-credentials.h"

struct _ImsIceServers {
  GStrv urls;   /* owned, checked turn:/turns: URIs */
  char *secret; /* owned, NULL: no credentials */
  guint ttl_seconds;
};

ImsIceServers *
ims_ice_servers_new(const char *turn_servers, const char *secret, guint ttl_seconds, GError **error)
{
  GStrv urls = ims_turn_servers_parse(turn_servers, error);
  if (urls == NULL)
    return NULL;
  ImsIceServers *servers = g_new0(ImsIceServers, 1);
  servers->urls = urls;
  servers->secret = secret != NULL && secret[0] != '\0' ? g_strdup(secret) : NULL;
  servers->ttl_seconds = ttl_seconds;
  return servers;
}

void
ims_ice_servers_free(ImsIceServers *servers)
{
  if (servers == NULL)
    return;
  g_strfreev(servers->urls);
  g_free(servers->secret);
  g_free(servers);
}

JsonNode *
ims_ice_servers_to_json(const ImsIceServers *servers, const char *session_id, gint64 now_unix)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_array(b);
  if (servers != NULL && servers->urls[0] != NULL) {
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "urls");
    json_builder_begin_array(b);
    for (char **url = servers->urls; *url != NULL; url++)
      json_builder_add_string_value(b, *url);
    json_builder_end_array(b);
    if (servers->secret != NULL) {
      g_autofree char *username = NULL;
      g_autofree char *credential = NULL;
      ims_turn_credentials_mint(servers->secret, session_id, now_unix + servers->ttl_seconds,
                                &username, &credential);
      json_builder_set_member_name(b, "username");
      json_builder_add_string_value(b, username);
      json_builder_set_member_name(b, "credential");
      json_builder_add_string_value(b, credential);
    }
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  return json_builder_get_root(b);
}
