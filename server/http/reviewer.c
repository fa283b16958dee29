/* reviewer.c: recruiter, admin and service bearer tokens for the review API.
 *
 * Verification follows token.c and reuses its helpers: the shape and the header's alg are checked before
 * libjwt sees the token, and the alg picks the key, never the other way round. HS256 is checked against
 * [review] jwt_secret with a constant-time HMAC compare (libjwt 1.10 uses strcmp), RS256 against the PEM
 * public key; alg none, any other alg, and an alg whose key is not configured are refused, so an HS256
 * token "signed" with the public key text is never checked against that text. Only then does libjwt decode
 * (verifying again) and the claims get read. Nothing is kept between calls.
 */
#define G_LOG_DOMAIN "imsd.reviewer"

#include "reviewer.h"

#include <jwt.h>
#include <stdlib.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "json-depth.h"
#include "token.h"

/* clang-format off */
G_DEFINE_QUARK(ims-reviewer-error-quark, ims_reviewer_error)
/* clang-format on */

G_DEFINE_AUTOPTR_CLEANUP_FUNC(jwt_t, jwt_free)

#define BEARER_PREFIX "Bearer "
/* A PEM public key is a few hundred bytes; anything this large is not one. */
#define MAX_PUBLIC_KEY_FILE_SIZE (64 * 1024)

static gboolean
fail(GError **error, ImsReviewerError code, const char *reason)
{
  g_debug("reviewer token refused: %s", reason);
  g_set_error(error, IMS_REVIEWER_ERROR, code, "%s: %s",
              code == IMS_REVIEWER_ERROR_FORBIDDEN ? "forbidden" : "unauthorized", reason);
  return FALSE;
}

const char *
ims_reviewer_role_to_string(ImsReviewerRole role)
{
  switch (role) {
  case IMS_REVIEWER_RECRUITER:
    return "recruiter";
  case IMS_REVIEWER_ADMIN:
    return "admin";
  case IMS_REVIEWER_SERVICE:
    return "service";
  }
  return "unknown";
}

static gboolean
role_from_string(const char *text, ImsReviewerRole *role)
{
  for (ImsReviewerRole candidate = IMS_REVIEWER_RECRUITER; candidate <= IMS_REVIEWER_SERVICE;
       candidate++) {
    if (g_strcmp0(text, ims_reviewer_role_to_string(candidate)) == 0) {
      *role = candidate;
      return TRUE;
    }
  }
  return FALSE;
}

/* TRUE if the claim name of jwt is the JSON string expected, or (allow_array) an array holding it. */
static gboolean
claim_matches(jwt_t *jwt, const char *name, const char *expected, gboolean allow_array)
{
  char *json = jwt_get_grants_json(jwt, name);
  if (json == NULL)
    return FALSE;
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  gboolean parsed = ims_json_depth_within(json, strlen(json), IMS_JSON_MAX_DEPTH) &&
                    json_parser_load_from_data(parser, json, -1, NULL);
  free(json); /* libjwt allocates with malloc */
  JsonNode *root = parsed ? json_parser_get_root(parser) : NULL;
  if (root == NULL)
    return FALSE;
  if (JSON_NODE_HOLDS_VALUE(root))
    return json_node_get_value_type(root) == G_TYPE_STRING &&
           g_strcmp0(json_node_get_string(root), expected) == 0;
  if (!allow_array || !JSON_NODE_HOLDS_ARRAY(root))
    return FALSE;
  JsonArray *array = json_node_get_array(root);
  for (guint i = 0; i < json_array_get_length(array); i++) {
    JsonNode *element = json_array_get_element(array, i);
    if (JSON_NODE_HOLDS_VALUE(element) && json_node_get_value_type(element) == G_TYPE_STRING &&
        g_strcmp0(json_node_get_string(element), expected) == 0)
      return TRUE;
  }
  return FALSE;
}

/* TRUE if the aud claim is "imsd.candidate" or an array holding it. */
static gboolean
is_candidate_audience(jwt_t *jwt)
{
  return claim_matches(jwt, "aud", IMS_TOKEN_AUDIENCE, TRUE);
}

/* The token inside "Bearer <jwt>" (scheme case-insensitive, RFC 7235), or NULL. */
static const char *
bearer_token(const char *authorization)
{
  if (g_ascii_strncasecmp(authorization, BEARER_PREFIX, strlen(BEARER_PREFIX)) != 0)
    return NULL;
  const char *token = authorization + strlen(BEARER_PREFIX);
  while (*token == ' ')
    token++;
  return token[0] != '\0' ? token : NULL;
}

gboolean
ims_reviewer_authenticate(const ImsReviewerKeys *keys, const char *authorization,
                          gint64 now_seconds, ImsReviewer *reviewer, GError **error)
{
  g_return_val_if_fail(reviewer != NULL, FALSE);
  if (keys == NULL)
    return fail(error, IMS_REVIEWER_ERROR_UNAUTHORIZED, "no keys configured");
  if (authorization == NULL || authorization[0] == '\0')
    return fail(error, IMS_REVIEWER_ERROR_UNAUTHORIZED, "no token");
  if (strnlen(authorization, IMS_REVIEWER_MAX_HEADER_LENGTH + 1) > IMS_REVIEWER_MAX_HEADER_LENGTH)
    return fail(error, IMS_REVIEWER_ERROR_UNAUTHORIZED, "authorization header too long");
  const char *token = bearer_token(authorization);
  if (token == NULL)
    return fail(error, IMS_REVIEWER_ERROR_UNAUTHORIZED, "not a bearer token");

  g_autofree char *algorithm = ims_token_read_algorithm(token, IMS_REVIEWER_MAX_HEADER_LENGTH);
  if (algorithm == NULL)
    return fail(error, IMS_REVIEWER_ERROR_UNAUTHORIZED, "malformed token");

  /* The alg picks the key; an alg without a configured key is refused. */
  const char *key = NULL;
  jwt_alg_t expected_alg;
  if (strcmp(algorithm, "HS256") == 0 && keys->hs256_secret != NULL &&
      keys->hs256_secret[0] != '\0') {
    if (!ims_token_hs256_signature_matches(keys->hs256_secret, token))
      return fail(error, IMS_REVIEWER_ERROR_UNAUTHORIZED, "bad signature");
    key = keys->hs256_secret;
    expected_alg = JWT_ALG_HS256;
  } else if (strcmp(algorithm, "RS256") == 0 && keys->rs256_public_key_pem != NULL &&
             keys->rs256_public_key_pem[0] != '\0') {
    key = keys->rs256_public_key_pem;
    expected_alg = JWT_ALG_RS256;
  } else {
    return fail(error, IMS_REVIEWER_ERROR_UNAUTHORIZED, "algorithm not allowed");
  }
  gsize key_length = strlen(key);
  if (key_length > G_MAXINT)
    return fail(error, IMS_REVIEWER_ERROR_UNAUTHORIZED, "key too long");

  g_autoptr(jwt_t) jwt = NULL;
  if (jwt_decode(&jwt, token, (const unsigned char *) key, (int) key_length) != 0 || jwt == NULL)
    return fail(error, IMS_REVIEWER_ERROR_UNAUTHORIZED, "bad signature or token rejected by libjwt");
  if (jwt_get_alg(jwt) != expected_alg)
    return fail(error, IMS_REVIEWER_ERROR_UNAUTHORIZED, "algorithm changed while decoding");

  gint64 expires = 0, not_before = 0;
  if (!ims_token_get_integer_claim(jwt, "exp", &expires))
    return fail(error, IMS_REVIEWER_ERROR_UNAUTHORIZED, "no expiry");
  if (expires < now_seconds)
    return fail(error, IMS_REVIEWER_ERROR_UNAUTHORIZED, "expired");
  char *not_before_json = jwt_get_grants_json(jwt, "nbf");
  gboolean has_not_before = not_before_json != NULL;
  free(not_before_json); /* libjwt allocates with malloc */
  if (has_not_before &&
      (!ims_token_get_integer_claim(jwt, "nbf", &not_before) || not_before > now_seconds))
    return fail(error, IMS_REVIEWER_ERROR_UNAUTHORIZED, "not valid yet");
  const char *subject = jwt_get_grant(jwt, "sub");
  if (subject == NULL || subject[0] == '\0')
    return fail(error, IMS_REVIEWER_ERROR_UNAUTHORIZED, "no subject");

  /* RFC 7519: aud is a string or an array of strings; iss is a string. */
  if (keys->issuer != NULL && keys->issuer[0] != '\0' &&
      !claim_matches(jwt, "iss", keys->issuer, FALSE))
    return fail(error, IMS_REVIEWER_ERROR_UNAUTHORIZED, "no or wrong issuer (iss)");
  if (keys->audience != NULL && keys->audience[0] != '\0' &&
      !claim_matches(jwt, "aud", keys->audience, TRUE))
    return fail(error, IMS_REVIEWER_ERROR_UNAUTHORIZED, "no or wrong audience (aud)");

  if (is_candidate_audience(jwt))
    return fail(error, IMS_REVIEWER_ERROR_FORBIDDEN, "a candidate token");
  ImsReviewerRole role;
  if (!role_from_string(jwt_get_grant(jwt, "role"), &role))
    return fail(error, IMS_REVIEWER_ERROR_FORBIDDEN, "no or unknown role");
  const char *company_id = NULL;
  if (role == IMS_REVIEWER_RECRUITER) {
    company_id = jwt_get_grant(jwt, "companyId");
    if (company_id == NULL || company_id[0] == '\0')
      return fail(error, IMS_REVIEWER_ERROR_FORBIDDEN, "recruiter without companyId");
  }

  reviewer->subject = g_strdup(subject);
  reviewer->role = role;
  reviewer->company_id = g_strdup(company_id);
  return TRUE;
}

void
ims_reviewer_clear(ImsReviewer *reviewer)
{
  if (reviewer == NULL)
    return;
  g_clear_pointer(&reviewer->subject, g_free);
  g_clear_pointer(&reviewer->company_id, g_free);
  reviewer->role = IMS_REVIEWER_RECRUITER;
}

gboolean
ims_reviewer_can_see(const ImsReviewer *reviewer, const char *company_id)
{
  if (reviewer == NULL)
    return FALSE;
  switch (reviewer->role) {
  case IMS_REVIEWER_ADMIN:
  case IMS_REVIEWER_SERVICE:
    return TRUE;
  case IMS_REVIEWER_RECRUITER:
    return reviewer->company_id != NULL && company_id != NULL &&
           strcmp(reviewer->company_id, company_id) == 0;
  }
  return FALSE;
}

char *
ims_reviewer_load_public_key(const char *path, GError **error)
{
  if (path == NULL || path[0] == '\0') {
    g_set_error(error, IMS_REVIEWER_ERROR, IMS_REVIEWER_ERROR_KEY, "no public key file given");
    return NULL;
  }
  g_autofree char *contents = NULL;
  gsize length = 0;
  if (!g_file_get_contents(path, &contents, &length, error))
    return NULL;
  if (length == 0 || length > MAX_PUBLIC_KEY_FILE_SIZE || strlen(contents) != length) {
    g_set_error(error, IMS_REVIEWER_ERROR, IMS_REVIEWER_ERROR_KEY,
                "%s: empty, too large or binary, not a PEM public key", path);
    return NULL;
  }
  if (strstr(contents, "-----BEGIN PUBLIC KEY-----") == NULL &&
      strstr(contents, "-----BEGIN RSA PUBLIC KEY-----") == NULL) {
    g_set_error(error, IMS_REVIEWER_ERROR, IMS_REVIEWER_ERROR_KEY, "%s: no PEM public key block",
                path);
    return NULL;
  }
  return g_steal_pointer(&contents);
}
