/* config-redact.c: the secret parts of values that are not secrets as a whole; see config-redact.h. */
#include "config-redact.h"

#include <string.h>

#define SPACES " \t\n\r\f\v"

/* TRUE if the parameter name (length bytes) names a password (password, sslpassword). */
static gboolean
names_password(const char *name, gsize length)
{
  return g_strstr_len(name, length, "password") != NULL;
}

/* postgresql://user:password@host/db?k=v&password=x */
static char *
redact_uri(const char *value)
{
  GString *out = g_string_new(NULL);
  const char *authority = strstr(value, "://") + 3;
  const char *authority_end = authority + strcspn(authority, "/?#");
  const char *at = g_strrstr_len(authority, authority_end - authority, "@");
  const char *colon = at != NULL ? memchr(authority, ':', at - authority) : NULL;
  if (colon != NULL) {
    g_string_append_len(out, value, colon + 1 - value);
    g_string_append(out, IMS_CONFIG_REDACTED);
    value = at;
  }
  const char *query = strchr(value, '?');
  if (query == NULL)
    return g_string_free(g_string_append(out, value), FALSE);
  g_string_append_len(out, value, query + 1 - value);
  g_auto(GStrv) parameters = g_strsplit(query + 1, "&", -1);
  for (char **parameter = parameters; *parameter != NULL; parameter++) {
    const char *equals = strchr(*parameter, '=');
    if (parameter != parameters)
      g_string_append_c(out, '&');
    if (equals != NULL && names_password(*parameter, equals - *parameter))
      g_string_append_printf(out, "%.*s=" IMS_CONFIG_REDACTED, (int) (equals - *parameter),
                             *parameter);
    else
      g_string_append(out, *parameter);
  }
  return g_string_free(out, FALSE);
}

/* host=db password='a \' b' (libpq's quoting: single quotes, backslash escapes) */
static char *
redact_keywords(const char *value)
{
  GString *out = g_string_new(NULL);
  for (const char *c = value; *c != '\0';) {
    const char *key = c + strspn(c, SPACES);
    g_string_append_len(out, c, key - c);
    if (*key == '\0')
      break;
    const char *key_end = key + strcspn(key, "=" SPACES);
    const char *equals = key_end + strspn(key_end, SPACES);
    if (*equals != '=' || key_end == key) {
      g_string_free(out, TRUE);
      return g_strdup(IMS_CONFIG_REDACTED " (not key=value)");
    }
    const char *start = equals + 1 + strspn(equals + 1, SPACES);
    gboolean quoted = *start == '\'';
    const char *end = quoted ? start + 1 : start;
    for (; *end != '\0'; end++) {
      if (*end == '\\' && end[1] != '\0')
        end++;
      else if (quoted ? *end == '\'' : g_ascii_isspace(*end))
        break;
    }
    if (quoted && *end == '\'')
      end++;
    g_string_append_len(out, key, start - key);
    if (names_password(key, key_end - key))
      g_string_append(out, IMS_CONFIG_REDACTED);
    else
      g_string_append_len(out, start, end - start);
    c = end;
  }
  return g_string_free(out, FALSE);
}

char *
ims_config_redact_conninfo(const char *value)
{
  if (g_str_has_prefix(value, "postgresql://") || g_str_has_prefix(value, "postgres://"))
    return redact_uri(value);
  return redact_keywords(value);
}

char *
ims_config_redact_kafka_properties(const char *value)
{
  g_auto(GStrv) pairs = g_strsplit(value, ";", -1);
  for (char **pair = pairs; *pair != NULL; pair++) {
    char *equals = strchr(*pair, '=');
    if (equals == NULL)
      continue;
    g_autofree char *key = g_ascii_strdown(*pair, equals - *pair);
    g_strstrip(key);
    if (strstr(key, "password") != NULL || strstr(key, "secret") != NULL ||
        g_str_has_suffix(key, "key.pem") || g_str_equal(key, "sasl.oauthbearer.config")) {
      equals[1] = '\0';
      char *redacted = g_strconcat(*pair, IMS_CONFIG_REDACTED, NULL);
      g_free(*pair);
      *pair = redacted;
    }
  }
  return g_strjoinv(";", pairs);
}
