/* config-checks.h: the checks of string values named in config.c's key table.
 *
 * Each takes a non-empty value and returns TRUE, or FALSE with an
 * IMS_CONFIG_ERROR_BAD_VALUE saying what is wrong with it (the caller adds
 * the file, line, group and key).  Pure functions of the value, except
 * ims_config_check_interfaces(), which asks the kernel for this machine's
 * interface names; any thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* the shortest [auth] token_secret accepted (HS256) */
#define IMS_CONFIG_TOKEN_SECRET_MIN_BYTES 32

/* an http:// or https:// URL with a host ([server] public_url) */
gboolean ims_config_check_http_url(const char *value, GError **error);

/* at least IMS_CONFIG_TOKEN_SECRET_MIN_BYTES bytes */
gboolean ims_config_check_secret(const char *value, GError **error);

/* one of IMS_LOG_LEVEL_NAMES */
gboolean ims_config_check_log_level(const char *value, GError **error);

/* one of IMS_LOG_FORMAT_NAMES */
gboolean ims_config_check_log_format(const char *value, GError **error);

/* a GST_DEBUG threshold list */
gboolean ims_config_check_gstreamer_thresholds(const char *value, GError **error);

/* an IPv4 or IPv6 address */
gboolean ims_config_check_ip_address(const char *value, GError **error);

/* comma-separated IP addresses or names of this machine's interfaces */
gboolean ims_config_check_interfaces(const char *value, GError **error);

/* TURN URIs as ims_turn_servers_parse() takes them */
gboolean ims_config_check_turn_servers(const char *value, GError **error);

G_END_DECLS
