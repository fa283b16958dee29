/* reviewer.h: who is calling the review API (recruiter, admin or service) and what they may see.
 *
 * A reviewer token is a compact JWT in "Authorization: Bearer <jwt>", HS256-signed with [review]
 * jwt_secret or RS256-signed and checked with the PEM public key in [review] jwt_public_key_file, with
 * claims sub, role ("recruiter" | "admin" | "service"), companyId (required for recruiters) and exp
 * (docs/review-api.md). Stateless: ims_reviewer_authenticate() fills an ImsReviewer that the caller
 * owns and releases with ims_reviewer_clear().
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Longest Authorization header value ims_reviewer_authenticate() looks at; longer ones are refused. */
#define IMS_REVIEWER_MAX_HEADER_LENGTH 8192

#define IMS_REVIEWER_ERROR (ims_reviewer_error_quark())
GQuark ims_reviewer_error_quark(void);

typedef enum {
  IMS_REVIEWER_ERROR_UNAUTHORIZED, /* HTTP 401: missing, malformed, bad signature, expired, alg not allowed */
  IMS_REVIEWER_ERROR_FORBIDDEN, /* HTTP 403: valid signature, but a role that may not use the review API */
  IMS_REVIEWER_ERROR_KEY, /* ims_reviewer_load_public_key(): the key file cannot be used */
} ImsReviewerError;

typedef enum {
  IMS_REVIEWER_RECRUITER,
  IMS_REVIEWER_ADMIN,
  IMS_REVIEWER_SERVICE,
} ImsReviewerRole;

typedef struct {
  char *subject;
  ImsReviewerRole role;
  char *company_id; /* NULL for admin and service */
} ImsReviewer;

typedef struct {
  const char *hs256_secret;         /* "" or NULL: HS256 tokens are refused */
  const char *rs256_public_key_pem; /* NULL or "": RS256 tokens are refused */
  const char *audience;             /* [review] jwt_audience; NULL or "": aud is not checked */
  const char *issuer;               /* [review] jwt_issuer; NULL or "": iss is not checked */
} ImsReviewerKeys;

/* Verifies authorization, the whole Authorization header value "Bearer <jwt>" (may be NULL). The header
 * alg decides the key: "HS256" only if keys->hs256_secret is set (HMAC compared in constant time),
 * "RS256" only if keys->rs256_public_key_pem is set; anything else (none, HS512, ...) is refused, so an
 * HS256 token is never checked against the RSA key text. Then exp (integer, >= now_seconds), nbf (if
 * present, <= now_seconds) and a non-empty string sub are required, and, when keys->issuer is set, iss
 * must be that string, and when keys->audience is set, aud must be that string or an array holding it.
 * On success fills *reviewer (transfer full; release with ims_reviewer_clear()) and returns TRUE.
 * On failure returns FALSE, leaves *reviewer untouched and sets IMS_REVIEWER_ERROR_UNAUTHORIZED (the
 * above failed) or IMS_REVIEWER_ERROR_FORBIDDEN (correctly signed and unexpired, but a candidate token
 * (aud "imsd.candidate"), no or an unknown role, or a recruiter without companyId).
 * Safe on any input; header values longer than IMS_REVIEWER_MAX_HEADER_LENGTH are UNAUTHORIZED. */
gboolean ims_reviewer_authenticate(const ImsReviewerKeys *keys, const char *authorization,
                                   gint64 now_seconds, ImsReviewer *reviewer, GError **error);

/* Frees the reviewer's strings and zeroes it; safe to call twice or on a zeroed struct. */
void ims_reviewer_clear(ImsReviewer *reviewer);

/* TRUE if reviewer may see a session of company_id: a recruiter only its own company (a NULL company_id
 * never matches), admin and service every company. FALSE for a NULL reviewer. */
gboolean ims_reviewer_can_see(const ImsReviewer *reviewer, const char *company_id);

/* "recruiter", "admin", "service" (static), or "unknown". */
const char *ims_reviewer_role_to_string(ImsReviewerRole role);

/* Reads the PEM public key file at path ([review] jwt_public_key_file). Returns its text (transfer full),
 * or NULL + IMS_REVIEWER_ERROR_KEY (or a GFileError) if it cannot be read, is empty, larger than 64 KiB,
 * or holds no "-----BEGIN PUBLIC KEY-----" / "-----BEGIN RSA PUBLIC KEY-----" block. */
char *ims_reviewer_load_public_key(const char *path, GError **error);

G_END_DECLS
