/* token.h: candidate tokens, room tokens and the service bearer token check.
 *
 * A candidate token is a compact HS256 JWT, {"alg":"HS256","typ":"JWT"} . {"sub": <session id>,
 * "aud": "imsd.candidate", "iat": <issued>, "exp": <expires>} . signature, issued when a session is
 * created (its joinUrl carries it) and verified on every candidate request. A room token (docs/live-rooms.md)
 * is the same kind of JWT with aud "imsd.room", sub <room id>, pid <participant id>, role, nbf and exp,
 * issued when a room is created and verified on room.join; a token of one audience is invalid for the
 * other's verify. Tokens are stateless: there
 * is nothing to create or free besides the returned strings.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define IMS_TOKEN_AUDIENCE "imsd.candidate"
#define IMS_ROOM_TOKEN_AUDIENCE "imsd.room"
/* How far a token's iat may lie in the future (clocks of the issuing and the verifying imsd differ a
 * little); beyond it the token is IMS_TOKEN_ERROR_NOT_YET_VALID. */
#define IMS_TOKEN_CLOCK_SKEW_SECONDS 60
/* Longest token string ims_token_verify() looks at; anything longer is invalid. */
#define IMS_TOKEN_MAX_LENGTH 4096

#define IMS_TOKEN_ERROR (ims_token_error_quark())
GQuark ims_token_error_quark(void);

typedef enum {
  IMS_TOKEN_ERROR_INVALID, /* malformed, bad signature, wrong alg or aud, missing claims; or issue failed */
  IMS_TOKEN_ERROR_EXPIRED,       /* well-formed and correctly signed, but exp < now */
  IMS_TOKEN_ERROR_NOT_YET_VALID, /* well-formed and correctly signed, but nbf > now or
                                  * iat > now + IMS_TOKEN_CLOCK_SKEW_SECONDS */
} ImsTokenError;

/* Issues a candidate token: HS256 JWT with sub=session_id, aud="imsd.candidate", iat=now, exp=now+ttl.
 * secret must be non-empty, session_id non-empty UTF-8, ttl_seconds > 0.
 * transfer full; NULL + IMS_TOKEN_ERROR_INVALID on failure. */
char *ims_token_issue(const char *secret, const char *session_id, gint64 now_seconds,
                      gint64 ttl_seconds, GError **error);

/* Verifies token: exactly three base64url parts, header alg "HS256" (alg none, any other alg and RS/HS
 * confusion are refused), HMAC-SHA256 signature under secret (compared in constant time), aud
 * "imsd.candidate", a non-empty string sub, integer exp with exp >= now_seconds, integer iat with
 * iat <= now_seconds + IMS_TOKEN_CLOCK_SKEW_SECONDS, and, if present, integer nbf with nbf <= now_seconds.
 * On success sets *session_id (transfer full) and *expires_at (seconds; either may be NULL) and returns
 * TRUE. On failure returns FALSE, leaves the outputs untouched, and sets IMS_TOKEN_ERROR_INVALID,
 * IMS_TOKEN_ERROR_EXPIRED (checked first) or IMS_TOKEN_ERROR_NOT_YET_VALID. Safe on any input: NULL,
 * empty, binary, or longer than IMS_TOKEN_MAX_LENGTH. */
gboolean ims_token_verify(const char *secret, const char *token, gint64 now_seconds,
                          char **session_id, gint64 *expires_at, GError **error);

/* Issues a room token: HS256 JWT with sub=room_id, pid=participant_id, role (e.g. "candidate",
 * "interviewer"), aud="imsd.room", nbf=not_before, exp=expires (unix seconds).
 * secret non-empty; room_id, participant_id and role non-empty UTF-8; 0 <= not_before < expires.
 * transfer full; NULL + IMS_TOKEN_ERROR_INVALID on failure. */
char *ims_room_token_issue(const char *secret, const char *room_id, const char *participant_id,
                           const char *role, gint64 not_before, gint64 expires, GError **error);

/* Verifies a room token as ims_token_verify() verifies a candidate token (same shape, alg and signature
 * checks) but with aud "imsd.room", non-empty string claims sub, pid and role, integer exp >= now_seconds
 * and integer nbf <= now_seconds. On success sets *room_id, *participant_id and *role (transfer full; any
 * may be NULL) and returns TRUE. On failure returns FALSE, leaves the outputs untouched and sets
 * IMS_TOKEN_ERROR_INVALID (a candidate token too), IMS_TOKEN_ERROR_EXPIRED (checked first) or
 * IMS_TOKEN_ERROR_NOT_YET_VALID. Safe on any input. */
gboolean ims_room_token_verify(const char *secret, const char *token, gint64 now_seconds,
                               char **room_id, char **participant_id, char **role, GError **error);

/* Constant-time (in the contents; the length is not secret) comparison for the service bearer token.
 * NULL equals nothing, not even NULL. */
gboolean ims_token_equal(const char *a, const char *b);

/* Helpers shared with reviewer.c (recruiter tokens), which verifies the same way. */

/* Checks only the shape of a compact JWS: at most max_length bytes, exactly three non-empty base64url
 * parts, a header that is a JSON object with a string alg (and typ "JWT" if present). Returns that alg
 * (transfer full) or NULL. Verifies nothing: the caller must still check the signature. */
char *ims_token_read_algorithm(const char *token, gsize max_length);

/* TRUE if token (shape-checked by ims_token_read_algorithm()) carries the HMAC-SHA256 of its header and
 * payload under secret (non-empty), compared in constant time. */
gboolean ims_token_hs256_signature_matches(const char *secret, const char *token);

/* Reads the integer claim name of a token decoded by libjwt (a jwt_t *). FALSE if missing or not a JSON
 * integer (libjwt 1.10's jwt_get_grant_int() answers 0 for a claim of another type). */
struct jwt;
gboolean ims_token_get_integer_claim(struct jwt *jwt, const char *name, gint64 *value);

G_END_DECLS
