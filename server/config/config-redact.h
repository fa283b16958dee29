/* config-redact.h: what --print-config hides inside values that are not secrets as a whole.
 *
 * config.c marks the secret keys (KEY_SECRET) and shows them as IMS_CONFIG_REDACTED; the two keys that
 * may hold a secret among other things, [database] database_url and [kafka] properties, go through these.
 * Pure string functions: no state, any thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define IMS_CONFIG_REDACTED "<redacted>"

/* libpq's conninfo ("host=db password='a b'") or URI ("postgresql://user:password@host/db?password=x")
 * with the value of every parameter whose name holds "password" (password, sslpassword) and the URI's
 * user:password replaced by IMS_CONFIG_REDACTED; a conninfo that is not key=value pairs is replaced whole
 * ("<redacted> (not key=value)"). transfer full. */
char *ims_config_redact_conninfo(const char *value);

/* librdkafka properties "k=v;k=v" with the value of each key (any case) that holds "password" or
 * "secret", ends in "key.pem", or is sasl.oauthbearer.config replaced by IMS_CONFIG_REDACTED; the rest as
 * it is. transfer full. */
char *ims_config_redact_kafka_properties(const char *value);

G_END_DECLS
