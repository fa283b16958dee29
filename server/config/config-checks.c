/* config-checks.c: the value checks of config.c's key table; see config-checks.h. */
#define G_LOG_DOMAIN "imsd.config"

#include "config-checks.h"

#include <net/if.h>
#include <string.h>

#include "config.h"
#include "log-level.h"
#include "log.h"
#include "turn-credentials.h"

gboolean
ims_config_check_http_url(const char *value, GError **error)
{
  g_autoptr(GUri) uri = g_uri_parse(value, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL ||
      (g_strcmp0(g_uri_get_scheme(uri), "http") != 0 &&
       g_strcmp0(g_uri_get_scheme(uri), "https") != 0) ||
      g_uri_get_host(uri) == NULL || g_uri_get_host(uri)[0] == '\0') {
    g_set_error(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_BAD_VALUE,
                "“%s” is not an http:// or https:// URL with a host", value);
    return FALSE;
  }
  return TRUE;
}

gboolean
ims_config_check_secret(const char *value, GError **error)
{
  if (strlen(value) < IMS_CONFIG_TOKEN_SECRET_MIN_BYTES) {
    g_set_error(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_BAD_VALUE,
                "the secret is %zu bytes long; at least %d are required", strlen(value),
                IMS_CONFIG_TOKEN_SECRET_MIN_BYTES);
    return FALSE;
  }
  return TRUE;
}

gboolean
ims_config_check_log_level(const char *value, GError **error)
{
  if (ims_log_level_parse(value, NULL))
    return TRUE;
  g_set_error(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_BAD_VALUE,
              "“%s” is not one of " IMS_LOG_LEVEL_NAMES, value);
  return FALSE;
}

gboolean
ims_config_check_log_format(const char *value, GError **error)
{
  if (ims_log_format_parse(value, NULL))
    return TRUE;
  g_set_error(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_BAD_VALUE,
              "“%s” is not " IMS_LOG_FORMAT_NAMES, value);
  return FALSE;
}

gboolean
ims_config_check_gstreamer_thresholds(const char *value, GError **error)
{
  if (ims_log_gstreamer_thresholds_are_valid(value))
    return TRUE;
  g_set_error(
      error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_BAD_VALUE,
      "“%s” is not a GST_DEBUG threshold list (LEVEL or CATEGORY:LEVEL, comma-separated; LEVEL 0..9 "
      "or ERROR, WARNING, FIXME, INFO, DEBUG, LOG, TRACE, MEMDUMP)",
      value);
  return FALSE;
}

gboolean
ims_config_check_ip_address(const char *value, GError **error)
{
  if (g_hostname_is_ip_address(value))
    return TRUE;
  g_set_error(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_BAD_VALUE, "“%s” is not an IP address",
              value);
  return FALSE;
}

/* Each comma-separated entry an IP address or the name of an interface this machine has. */
gboolean
ims_config_check_interfaces(const char *value, GError **error)
{
  g_auto(GStrv) entries = g_strsplit(value, ",", -1);
  for (char **entry = entries; *entry != NULL; entry++) {
    g_strstrip(*entry);
    if (**entry == '\0' || g_hostname_is_ip_address(*entry) || if_nametoindex(*entry) != 0)
      continue;
    g_set_error(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_BAD_VALUE,
                "“%s” is neither an IP address nor an interface of this machine", *entry);
    return FALSE;
  }
  return TRUE;
}

gboolean
ims_config_check_turn_servers(const char *value, GError **error)
{
  g_autoptr(GError) turn_error = NULL;
  g_auto(GStrv) servers = ims_turn_servers_parse(value, &turn_error);
  if (servers != NULL)
    return TRUE;
  g_set_error_literal(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_BAD_VALUE, turn_error->message);
  return FALSE;
}
