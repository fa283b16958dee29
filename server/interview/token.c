/* token.c: candidate and room tokens (HS256 JWTs through libjwt) and constant-time bearer token
 * comparison.
 *
 * Verification does not trust libjwt alone: some libjwt versions accept alg "none" even when a key is
 * given, and 1.10 compares signatures with strcmp. So both verify functions first check the shape of the
 * token, read the header's alg themselves and require exactly "HS256", recompute the HMAC-SHA256 with
 * GLib and compare it in constant time; only then does libjwt decode (and verify again) and the claims get
 * checked.
 */
#define G_LOG_DOMAIN "imsd.token"

#include "token.h"

#include <errno.h>
#include <jwt.h>
#include <stdlib.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "json-depth.h"

/* clang-format off */
G_DEFINE_QUARK(ims-token-error-quark, ims_token_error)
/* clang-format on */

G_DEFINE_AUTOPTR_CLEANUP_FUNC(jwt_t, jwt_free)

gboolean
ims_token_equal(const char *a, const char *b)
{
  if (a == NULL || b == NULL)
    return FALSE;
  gsize length = strlen(a);
  if (length != strlen(b))
    return FALSE;
  volatile guchar difference = 0;
  for (gsize i = 0; i < length; i++)
    difference |= (guchar) a[i] ^ (guchar) b[i];
  return difference == 0;
}

/* One claim of a token being issued: a string (text set) or an integer. */
typedef struct {
  const char *name;
  const char *text;
  gint64 number;
} Claim;

static gboolean
usable_secret(const char *secret)
{
  return secret != NULL && secret[0] != '\0' && strlen(secret) <= G_MAXINT;
}

static gboolean
usable_text(const char *text)
{
  return text != NULL && text[0] != '\0' && g_utf8_validate(text, -1, NULL);
}

/* The HS256 JWT of claims under secret (checked by the caller). transfer full; NULL +
 * IMS_TOKEN_ERROR_INVALID if libjwt cannot encode it. */
static char *
encode_token(const char *secret, const Claim *claims, guint count, GError **error)
{
  g_autoptr(jwt_t) jwt = NULL;
  int status = jwt_new(&jwt);
  if (status == 0)
    status = jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *) secret, (int) strlen(secret));
  for (guint i = 0; status == 0 && i < count; i++)
    status = claims[i].text != NULL ? jwt_add_grant(jwt, claims[i].name, claims[i].text)
                                    : jwt_add_grant_int(jwt, claims[i].name, (long) claims[i].number);
  char *encoded = status == 0 ? jwt_encode_str(jwt) : NULL;
  if (encoded == NULL) {
    g_set_error(error, IMS_TOKEN_ERROR, IMS_TOKEN_ERROR_INVALID, "cannot encode token: %s",
                g_strerror(status != 0 ? status : errno));
    return NULL;
  }
  char *token = g_strdup(encoded);
  free(encoded); /* libjwt allocates with malloc */
  return token;
}

char *
ims_token_issue(const char *secret, const char *session_id, gint64 now_seconds, gint64 ttl_seconds,
                GError **error)
{
  if (!usable_secret(secret)) {
    g_set_error(error, IMS_TOKEN_ERROR, IMS_TOKEN_ERROR_INVALID, "no token secret");
    return NULL;
  }
  if (!usable_text(session_id)) {
    g_set_error(error, IMS_TOKEN_ERROR, IMS_TOKEN_ERROR_INVALID, "session id is empty or not UTF-8");
    return NULL;
  }
  if (ttl_seconds <= 0 || now_seconds < 0 || now_seconds > G_MAXINT64 - ttl_seconds) {
    g_set_error(error, IMS_TOKEN_ERROR, IMS_TOKEN_ERROR_INVALID,
                "bad token lifetime %" G_GINT64_FORMAT, ttl_seconds);
    return NULL;
  }
  const Claim claims[] = {
    { "sub", session_id, 0 },
    { "aud", IMS_TOKEN_AUDIENCE, 0 },
    { "iat", NULL, now_seconds },
    { "exp", NULL, now_seconds + ttl_seconds },
  };
  return encode_token(secret, claims, G_N_ELEMENTS(claims), error);
}

char *
ims_room_token_issue(const char *secret, const char *room_id, const char *participant_id,
                     const char *role, gint64 not_before, gint64 expires, GError **error)
{
  if (!usable_secret(secret)) {
    g_set_error(error, IMS_TOKEN_ERROR, IMS_TOKEN_ERROR_INVALID, "no token secret");
    return NULL;
  }
  if (!usable_text(room_id) || !usable_text(participant_id) || !usable_text(role)) {
    g_set_error(error, IMS_TOKEN_ERROR, IMS_TOKEN_ERROR_INVALID,
                "room id, participant id or role is empty or not UTF-8");
    return NULL;
  }
  if (not_before < 0 || expires <= not_before) {
    g_set_error(error, IMS_TOKEN_ERROR, IMS_TOKEN_ERROR_INVALID,
                "bad token window %" G_GINT64_FORMAT " .. %" G_GINT64_FORMAT, not_before, expires);
    return NULL;
  }
  const Claim claims[] = {
    { "sub", room_id, 0 },  { "pid", participant_id, 0 }, { "role", role, 0 },
    { "aud", IMS_ROOM_TOKEN_AUDIENCE, 0 }, { "nbf", NULL, not_before }, { "exp", NULL, expires },
  };
  return encode_token(secret, claims, G_N_ELEMENTS(claims), error);
}

static gboolean
is_base64url(const char *text, gsize length)
{
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isalnum(text[i]) && text[i] != '-' && text[i] != '_')
      return FALSE;
  return TRUE;
}

/* Decodes unpadded base64url; NULL if the length is impossible. transfer full. */
static guchar *
base64url_decode(const char *text, gsize length, gsize *out_length)
{
  if (length % 4 == 1)
    return NULL;
  GString *standard = g_string_sized_new(length + 3);
  for (gsize i = 0; i < length; i++)
    g_string_append_c(standard, text[i] == '-' ? '+' : text[i] == '_' ? '/' : text[i]);
  while (standard->len % 4 != 0)
    g_string_append_c(standard, '=');
  g_autofree char *padded = g_string_free(standard, FALSE);
  return g_base64_decode(padded, out_length);
}

/* base64url without padding. transfer full. */
static char *
base64url_encode(const guchar *data, gsize length)
{
  char *text = g_base64_encode(data, length);
  for (char *c = text; *c != '\0'; c++) {
    if (*c == '+')
      *c = '-';
    else if (*c == '/')
      *c = '_';
    else if (*c == '=') {
      *c = '\0';
      break;
    }
  }
  return text;
}

/* The header's alg if the base64url header decodes to a JSON object with a string alg (and typ, if
 * present, is "JWT"); NULL otherwise. transfer full. */
static char *
read_header_algorithm(const char *header, gsize length)
{
  gsize json_length = 0;
  g_autofree guchar *json = base64url_decode(header, length, &json_length);
  if (json == NULL || json_length == 0 || !g_utf8_validate((const char *) json, json_length, NULL) ||
      !ims_json_depth_within((const char *) json, json_length, IMS_JSON_MAX_DEPTH))
    return NULL;
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  if (!json_parser_load_from_data(parser, (const char *) json, json_length, NULL))
    return NULL;
  JsonNode *root = json_parser_get_root(parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
    return NULL;
  JsonObject *object = json_node_get_object(root);
  JsonNode *alg = json_object_get_member(object, "alg");
  JsonNode *typ = json_object_get_member(object, "typ");
  if (alg == NULL || json_node_get_value_type(alg) != G_TYPE_STRING)
    return NULL;
  if (typ != NULL && (json_node_get_value_type(typ) != G_TYPE_STRING ||
                      g_ascii_strcasecmp(json_node_get_string(typ), "JWT") != 0))
    return NULL;
  return g_strdup(json_node_get_string(alg));
}

/* TRUE if token (length bytes) is header "." payload "." signature, each non-empty base64url; sets the
 * header's length and where the signature starts. */
static gboolean
split_token(const char *token, gsize length, gsize *header_length, const char **signature)
{
  const char *first_dot = memchr(token, '.', length);
  const char *second_dot = first_dot != NULL
                               ? memchr(first_dot + 1, '.', length - (first_dot + 1 - token))
                               : NULL;
  if (first_dot == NULL || second_dot == NULL ||
      memchr(second_dot + 1, '.', length - (second_dot + 1 - token)) != NULL)
    return FALSE;
  gsize payload_length = second_dot - first_dot - 1;
  gsize signature_length = length - (second_dot + 1 - token);
  *header_length = first_dot - token;
  *signature = second_dot + 1;
  return *header_length > 0 && payload_length > 0 && signature_length > 0 &&
         is_base64url(token, *header_length) && is_base64url(first_dot + 1, payload_length) &&
         is_base64url(*signature, signature_length);
}

char *
ims_token_read_algorithm(const char *token, gsize max_length)
{
  if (token == NULL)
    return NULL;
  gsize length = strnlen(token, max_length + 1);
  gsize header_length = 0;
  const char *signature = NULL;
  if (length == 0 || length > max_length || !split_token(token, length, &header_length, &signature))
    return NULL;
  return read_header_algorithm(token, header_length);
}

static gboolean
signature_matches(const char *secret, const char *token, gsize signing_length, const char *signature)
{
  g_autoptr(GHmac) hmac = g_hmac_new(G_CHECKSUM_SHA256, (const guchar *) secret, strlen(secret));
  g_hmac_update(hmac, (const guchar *) token, signing_length);
  guint8 digest[32];
  gsize digest_length = sizeof digest;
  g_hmac_get_digest(hmac, digest, &digest_length);
  g_autofree char *expected = base64url_encode(digest, digest_length);
  return ims_token_equal(expected, signature);
}

gboolean
ims_token_hs256_signature_matches(const char *secret, const char *token)
{
  if (secret == NULL || secret[0] == '\0' || token == NULL)
    return FALSE;
  const char *signature = strrchr(token, '.');
  if (signature == NULL)
    return FALSE;
  return signature_matches(secret, token, signature - token, signature + 1);
}

/* Reads an integer claim. jwt_get_grant_int() in libjwt 1.10 returns 0 without an error for a claim of
 * another JSON type (e.g. "exp":"1700000000"), so the claim's JSON text is checked instead. */
gboolean
ims_token_get_integer_claim(jwt_t *jwt, const char *name, gint64 *value)
{
  char *json = jwt_get_grants_json(jwt, name);
  if (json == NULL)
    return FALSE;
  gboolean ok = g_ascii_string_to_signed(json, 10, G_MININT64, G_MAXINT64, value, NULL);
  free(json); /* libjwt allocates with malloc */
  return ok;
}

static gboolean
invalid(GError **error, const char *reason)
{
  g_set_error(error, IMS_TOKEN_ERROR, IMS_TOKEN_ERROR_INVALID, "invalid token: %s", reason);
  return FALSE;
}

/* invalid() for a function returning a decoded token. */
static jwt_t *
refuse(GError **error, const char *reason)
{
  invalid(error, reason);
  return NULL;
}

/* Checks the shape, the header's alg, the signature (in constant time) and the audience of token, then
 * lets libjwt decode it. Returns the decoded token (transfer full) or NULL + IMS_TOKEN_ERROR_INVALID. */
static jwt_t *
decode_verified(const char *secret, const char *token, const char *expected_audience, GError **error)
{
  if (!usable_secret(secret))
    return refuse(error, "no secret to verify it with");
  if (token == NULL)
    return refuse(error, "no token");
  gsize length = strnlen(token, IMS_TOKEN_MAX_LENGTH + 1);
  if (length == 0)
    return refuse(error, "empty");
  if (length > IMS_TOKEN_MAX_LENGTH)
    return refuse(error, "too long");

  /* header "." payload "." signature, each non-empty base64url. */
  gsize header_length = 0;
  const char *signature = NULL;
  if (!split_token(token, length, &header_length, &signature))
    return refuse(error, "malformed");

  g_autofree char *algorithm = read_header_algorithm(token, header_length);
  if (g_strcmp0(algorithm, "HS256") != 0)
    return refuse(error, "header is not HS256");
  if (!signature_matches(secret, token, signature - 1 - token, signature))
    return refuse(error, "bad signature");

  g_autoptr(jwt_t) jwt = NULL;
  if (jwt_decode(&jwt, token, (const unsigned char *) secret, (int) strlen(secret)) != 0 ||
      jwt == NULL)
    return refuse(error, "rejected by libjwt");
  if (jwt_get_alg(jwt) != JWT_ALG_HS256)
    return refuse(error, "not HS256");
  if (g_strcmp0(jwt_get_grant(jwt, "aud"), expected_audience) != 0)
    return refuse(error, "wrong audience");
  return g_steal_pointer(&jwt);
}

/* A non-empty string claim, or NULL. Owned by jwt. */
static const char *
get_text_claim(jwt_t *jwt, const char *name)
{
  const char *text = jwt_get_grant(jwt, name);
  return text != NULL && text[0] != '\0' ? text : NULL;
}

/* EXPIRED if expires < now (checked first), NOT_YET_VALID if not_before > now. */
static gboolean
check_window(gint64 expires, gint64 not_before, gint64 now_seconds, GError **error)
{
  if (expires < now_seconds) {
    g_set_error(error, IMS_TOKEN_ERROR, IMS_TOKEN_ERROR_EXPIRED,
                "token expired at %" G_GINT64_FORMAT " (now %" G_GINT64_FORMAT ")", expires,
                now_seconds);
    return FALSE;
  }
  if (not_before > now_seconds) {
    g_set_error(error, IMS_TOKEN_ERROR, IMS_TOKEN_ERROR_NOT_YET_VALID,
                "token not valid before %" G_GINT64_FORMAT " (now %" G_GINT64_FORMAT ")",
                not_before, now_seconds);
    return FALSE;
  }
  return TRUE;
}

gboolean
ims_token_verify(const char *secret, const char *token, gint64 now_seconds, char **session_id,
                 gint64 *expires_at, GError **error)
{
  g_autoptr(jwt_t) jwt = decode_verified(secret, token, IMS_TOKEN_AUDIENCE, error);
  if (jwt == NULL)
    return FALSE;
  const char *subject = get_text_claim(jwt, "sub");
  if (subject == NULL)
    return invalid(error, "no subject");
  gint64 issued = 0, expires = 0;
  if (!ims_token_get_integer_claim(jwt, "iat", &issued) || issued < 0)
    return invalid(error, "no issue time");
  if (!ims_token_get_integer_claim(jwt, "exp", &expires))
    return invalid(error, "no expiry");
  gint64 not_before = G_MININT64;
  char *not_before_json = jwt_get_grants_json(jwt, "nbf");
  gboolean has_not_before = not_before_json != NULL;
  free(not_before_json); /* libjwt allocates with malloc */
  if (has_not_before && !ims_token_get_integer_claim(jwt, "nbf", &not_before))
    return invalid(error, "nbf is not an integer");
  if (!check_window(expires, not_before, now_seconds, error))
    return FALSE;
  if (now_seconds < G_MAXINT64 - IMS_TOKEN_CLOCK_SKEW_SECONDS &&
      issued > now_seconds + IMS_TOKEN_CLOCK_SKEW_SECONDS) {
    g_set_error(error, IMS_TOKEN_ERROR, IMS_TOKEN_ERROR_NOT_YET_VALID,
                "token issued at %" G_GINT64_FORMAT ", more than %d s after now (%" G_GINT64_FORMAT
                ")",
                issued, IMS_TOKEN_CLOCK_SKEW_SECONDS, now_seconds);
    return FALSE;
  }

  if (session_id != NULL)
    *session_id = g_strdup(subject);
  if (expires_at != NULL)
    *expires_at = expires;
  return TRUE;
}

gboolean
ims_room_token_verify(const char *secret, const char *token, gint64 now_seconds, char **room_id,
                      char **participant_id, char **role, GError **error)
{
  g_autoptr(jwt_t) jwt = decode_verified(secret, token, IMS_ROOM_TOKEN_AUDIENCE, error);
  if (jwt == NULL)
    return FALSE;
  const char *room = get_text_claim(jwt, "sub");
  const char *participant = get_text_claim(jwt, "pid");
  const char *role_text = get_text_claim(jwt, "role");
  if (room == NULL || participant == NULL || role_text == NULL)
    return invalid(error, "no room, participant or role");
  gint64 expires = 0, not_before = 0;
  if (!ims_token_get_integer_claim(jwt, "exp", &expires))
    return invalid(error, "no expiry");
  if (!ims_token_get_integer_claim(jwt, "nbf", &not_before))
    return invalid(error, "no nbf");
  if (!check_window(expires, not_before, now_seconds, error))
    return FALSE;

  if (room_id != NULL)
    *room_id = g_strdup(room);
  if (participant_id != NULL)
    *participant_id = g_strdup(participant);
  if (role != NULL)
    *role = g_strdup(role_text);
  return TRUE;
}
