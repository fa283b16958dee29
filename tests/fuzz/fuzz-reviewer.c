/* fuzz-reviewer.c: libFuzzer target for server/http/reviewer.c.
 *
 * The input is used as the whole Authorization header value, checked with an HS256 secret and an RS256
 * public key configured. It must never crash; on success the reviewer must be complete (subject, a known
 * role, a companyId exactly for recruiters) and no error set; on failure an UNAUTHORIZED or FORBIDDEN error
 * must be set and the reviewer left untouched. The input is also tried with "Bearer " prepended, so seeds
 * may be bare tokens.  Each is checked again with [review] jwt_audience / jwt_issuer configured, which
 * may only refuse more (corpus/reviewer/hs256-aud-iss.jwt carries the matching claims).
 */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reviewer.h"

/* The seed corpus (tests/fuzz/corpus/reviewer) has HS256 tokens signed with this secret. */
#define FUZZ_SECRET "fuzz-review-secret-fuzz-review-secret!"
#define FUZZ_NOW 1700000000

/* tests/unit/keys/review-public.pem; corpus/reviewer/rs256-*.jwt are signed with review-private.pem. */
static const char fuzz_public_key[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAy2xIo8xLOWQ57nC3kPCP\n"
    "5ckBreA9UmScQGmSoJCwaFm0sqrux+XSf4A64NcYauh6aCp11Sum5rWjwiQqorS8\n"
    "rvABHgZloR2M6ms5xdGkWnhlRdF2KEghc4Pj2YHUw9sOd1zi8ekhOjgPYEcLk1NH\n"
    "0PprySd+A+vjI7pkMlo7PWgb5/z39cy/Y9SwY60DLHfRobrYKG6apiU8ibNMRePz\n"
    "zULyx9id14GnMsrVxpfG4j3tzY/PVY2WxdKanlU5jgBGQQb4/Xw14Ob9tw2YHO/t\n"
    "xdywjYVwRc3+INMPIGy2rpZzjTjGZ7PnmujIJ+bb2lqN+/4b91Y7ciUddSflfP6I\n"
    "cQIDAQAB\n"
    "-----END PUBLIC KEY-----\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Checks one authentication's outcome; returns TRUE if it was accepted. */
static gboolean
check(const ImsReviewerKeys *keys, const char *authorization)
{
  ImsReviewer reviewer = { 0 };
  g_autoptr(GError) error = NULL;
  gboolean accepted = ims_reviewer_authenticate(keys, authorization, FUZZ_NOW, &reviewer, &error);
  if (accepted) {
    if (error != NULL || reviewer.subject == NULL || reviewer.subject[0] == '\0' ||
        reviewer.role > IMS_REVIEWER_SERVICE ||
        (reviewer.role == IMS_REVIEWER_RECRUITER) != (reviewer.company_id != NULL) ||
        (reviewer.company_id != NULL && !ims_reviewer_can_see(&reviewer, reviewer.company_id)))
      abort();
    ims_reviewer_clear(&reviewer);
  } else if (error == NULL || error->domain != IMS_REVIEWER_ERROR ||
             (error->code != IMS_REVIEWER_ERROR_UNAUTHORIZED &&
              error->code != IMS_REVIEWER_ERROR_FORBIDDEN) ||
             reviewer.subject != NULL || reviewer.company_id != NULL) {
    abort();
  }
  return accepted;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size > 4 * IMS_REVIEWER_MAX_HEADER_LENGTH)
    return 0;
  g_autofree char *text = g_strndup(size > 0 ? (const char *) data : "", size);
  ImsReviewerKeys keys = { .hs256_secret = FUZZ_SECRET, .rs256_public_key_pem = fuzz_public_key };
  /* [review] jwt_audience and jwt_issuer set: only ever fewer tokens are accepted */
  ImsReviewerKeys strict = keys;
  strict.audience = "imsd.review";
  strict.issuer = "https://auth.example/";
  g_autofree char *bearer = g_strconcat("Bearer ", text, NULL);
  if ((check(&strict, text) && !check(&keys, text)) ||
      (check(&strict, bearer) && !check(&keys, bearer)))
    abort();
  return 0;
}
