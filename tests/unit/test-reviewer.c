/* test-reviewer.c: unit tests for server/http/reviewer.c. HS256 tokens are built by hand (base64url JSON +
 * HMAC-SHA256 from GLib) so each rule is tested on its own; RS256 tokens are signed by libjwt with the test
 * key pairs in tests/unit/keys/ (review-*.pem is the configured pair, other-*.pem a stranger's). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <jwt.h>
#include <stdlib.h>
#include <string.h>

#include "imsd-build.h"
#include "reviewer.h"
#include "token.h"

#define REVIEW_SECRET "review-secret-of-at-least-32-bytes-long!"
#define CANDIDATE_SECRET "candidate-secret-of-at-least-32-bytes!!"
#define NOW 1700000000
#define KEYS_DIR IMSD_SOURCE_DIR "/tests/unit/keys/"

#define HS256_HEADER "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define RECRUITER_CLAIMS \
  "{\"sub\":\"rec-1\",\"role\":\"recruiter\",\"companyId\":\"acme\",\"exp\":1700003600}"
#define ADMIN_CLAIMS \
  "{\"sub\":\"adm-1\",\"role\":\"admin\",\"companyId\":\"acme\",\"exp\":1700003600}"
#define SERVICE_CLAIMS "{\"sub\":\"svc-1\",\"role\":\"service\",\"exp\":1700003600}"

typedef struct {
  char *public_pem;        /* tests/unit/keys/review-public.pem */
  char *private_pem;       /* tests/unit/keys/review-private.pem */
  char *other_private_pem; /* tests/unit/keys/other-private.pem */
  ImsReviewerKeys hs_only, rs_only, both;
} Fixture;

static char *
read_key(const char *name)
{
  g_autofree char *path = g_strconcat(KEYS_DIR, name, NULL);
  char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_file_get_contents(path, &text, NULL, &error);
  assert_null(error);
  return text;
}

static int
setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  g_autoptr(GError) error = NULL;
  f->public_pem = ims_reviewer_load_public_key(KEYS_DIR "review-public.pem", &error);
  assert_null(error);
  assert_non_null(f->public_pem);
  f->private_pem = read_key("review-private.pem");
  f->other_private_pem = read_key("other-private.pem");
  f->hs_only = (ImsReviewerKeys){ .hs256_secret = REVIEW_SECRET, .rs256_public_key_pem = NULL };
  f->rs_only = (ImsReviewerKeys){ .hs256_secret = "", .rs256_public_key_pem = f->public_pem };
  f->both = (ImsReviewerKeys){ .hs256_secret = REVIEW_SECRET,
                               .rs256_public_key_pem = f->public_pem };
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *f = *state;
  g_free(f->public_pem);
  g_free(f->private_pem);
  g_free(f->other_private_pem);
  g_free(f);
  return 0;
}

static char *
base64url(const void *data, gsize length)
{
  char *text = g_base64_encode(data, length);
  g_strdelimit(text, "+", '-');
  g_strdelimit(text, "/", '_');
  char *padding = strchr(text, '=');
  if (padding != NULL)
    *padding = '\0';
  return text;
}

/* "Bearer " header.payload.signature, HS256-signed under secret (NULL: empty signature). */
static char *
make_hs256(const char *header_json, const char *payload_json, const char *secret)
{
  g_autofree char *header = base64url(header_json, strlen(header_json));
  g_autofree char *payload = base64url(payload_json, strlen(payload_json));
  g_autofree char *signing_input = g_strconcat(header, ".", payload, NULL);
  if (secret == NULL)
    return g_strconcat("Bearer ", signing_input, ".", NULL);
  g_autoptr(GHmac) hmac = g_hmac_new(G_CHECKSUM_SHA256, (const guchar *) secret, strlen(secret));
  g_hmac_update(hmac, (const guchar *) signing_input, -1);
  guint8 digest[32];
  gsize digest_length = sizeof digest;
  g_hmac_get_digest(hmac, digest, &digest_length);
  g_autofree char *signature = base64url(digest, digest_length);
  return g_strconcat("Bearer ", signing_input, ".", signature, NULL);
}

/* "Bearer " + an RS256 token with claims, signed by libjwt with private_pem. */
static char *
make_rs256(const char *claims_json, const char *private_pem)
{
  jwt_t *jwt = NULL;
  assert_int_equal(jwt_new(&jwt), 0);
  assert_int_equal(jwt_set_alg(jwt, JWT_ALG_RS256, (const unsigned char *) private_pem,
                               (int) strlen(private_pem)),
                   0);
  assert_int_equal(jwt_add_grants_json(jwt, claims_json), 0);
  char *encoded = jwt_encode_str(jwt);
  jwt_free(jwt);
  assert_non_null(encoded);
  char *header = g_strconcat("Bearer ", encoded, NULL);
  free(encoded);
  return header;
}

/* Authenticates and expects failure with code; the reviewer must stay untouched. */
static void
assert_refused(const ImsReviewerKeys *keys, const char *authorization, int code)
{
  ImsReviewer reviewer = { .subject = (char *) "untouched",
                           .role = IMS_REVIEWER_SERVICE,
                           .company_id = NULL };
  g_autoptr(GError) error = NULL;
  assert_false(ims_reviewer_authenticate(keys, authorization, NOW, &reviewer, &error));
  assert_non_null(error);
  assert_true(error->domain == IMS_REVIEWER_ERROR);
  if (error->code != code)
    fail_msg("expected code %d, got %d (%s) for %.80s", code, error->code, error->message,
             authorization != NULL ? authorization : "(null)");
  assert_string_equal(reviewer.subject, "untouched");
  assert_int_equal(reviewer.role, IMS_REVIEWER_SERVICE);
  assert_null(reviewer.company_id);
}

/* Authenticates and expects success with these fields (company NULL: expect no company). */
static void
assert_accepted(const ImsReviewerKeys *keys, const char *authorization, const char *subject,
                ImsReviewerRole role, const char *company)
{
  ImsReviewer reviewer = { 0 };
  g_autoptr(GError) error = NULL;
  gboolean ok = ims_reviewer_authenticate(keys, authorization, NOW, &reviewer, &error);
  if (!ok)
    fail_msg("refused: %s", error->message);
  assert_null(error);
  assert_string_equal(reviewer.subject, subject);
  assert_int_equal(reviewer.role, role);
  if (company == NULL)
    assert_null(reviewer.company_id);
  else
    assert_string_equal(reviewer.company_id, company);
  ims_reviewer_clear(&reviewer);
  assert_null(reviewer.subject);
  assert_null(reviewer.company_id);
  ims_reviewer_clear(&reviewer); /* twice is safe */
}

static void
test_hs256_roles(void **state)
{
  Fixture *f = *state;
  g_autofree char *recruiter = make_hs256(HS256_HEADER, RECRUITER_CLAIMS, REVIEW_SECRET);
  g_autofree char *admin = make_hs256(HS256_HEADER, ADMIN_CLAIMS, REVIEW_SECRET);
  g_autofree char *service = make_hs256(HS256_HEADER, SERVICE_CLAIMS, REVIEW_SECRET);
  assert_accepted(&f->hs_only, recruiter, "rec-1", IMS_REVIEWER_RECRUITER, "acme");
  assert_accepted(&f->both, recruiter, "rec-1", IMS_REVIEWER_RECRUITER, "acme");
  /* admin's companyId claim is ignored: admins see every company */
  assert_accepted(&f->hs_only, admin, "adm-1", IMS_REVIEWER_ADMIN, NULL);
  assert_accepted(&f->hs_only, service, "svc-1", IMS_REVIEWER_SERVICE, NULL);
  /* the scheme is case-insensitive, extra spaces before the token are skipped */
  g_autofree char *lower = g_strconcat("bearer   ", recruiter + strlen("Bearer "), NULL);
  assert_accepted(&f->hs_only, lower, "rec-1", IMS_REVIEWER_RECRUITER, "acme");
}

static void
test_expiry(void **state)
{
  Fixture *f = *state;
  g_autofree char *expired = make_hs256(
      HS256_HEADER, "{\"sub\":\"a\",\"role\":\"admin\",\"exp\":1699999999}", REVIEW_SECRET);
  assert_refused(&f->hs_only, expired, IMS_REVIEWER_ERROR_UNAUTHORIZED);
  g_autofree char *at_now = make_hs256(
      HS256_HEADER, "{\"sub\":\"a\",\"role\":\"admin\",\"exp\":1700000000}", REVIEW_SECRET);
  assert_accepted(&f->hs_only, at_now, "a", IMS_REVIEWER_ADMIN, NULL);
  g_autofree char *no_exp = make_hs256(HS256_HEADER, "{\"sub\":\"a\",\"role\":\"admin\"}",
                                       REVIEW_SECRET);
  assert_refused(&f->hs_only, no_exp, IMS_REVIEWER_ERROR_UNAUTHORIZED);
  g_autofree char *string_exp = make_hs256(
      HS256_HEADER, "{\"sub\":\"a\",\"role\":\"admin\",\"exp\":\"1800000000\"}", REVIEW_SECRET);
  assert_refused(&f->hs_only, string_exp, IMS_REVIEWER_ERROR_UNAUTHORIZED);
  g_autofree char *future_nbf = make_hs256(
      HS256_HEADER, "{\"sub\":\"a\",\"role\":\"admin\",\"exp\":1800000000,\"nbf\":1700000100}",
      REVIEW_SECRET);
  assert_refused(&f->hs_only, future_nbf, IMS_REVIEWER_ERROR_UNAUTHORIZED);
  g_autofree char *no_sub = make_hs256(HS256_HEADER, "{\"role\":\"admin\",\"exp\":1800000000}",
                                       REVIEW_SECRET);
  assert_refused(&f->hs_only, no_sub, IMS_REVIEWER_ERROR_UNAUTHORIZED);
}

static void
test_forged(void **state)
{
  Fixture *f = *state;
  g_autofree char *other_secret = make_hs256(HS256_HEADER, ADMIN_CLAIMS,
                                             "some-other-secret-of-32-bytes-or-more");
  assert_refused(&f->hs_only, other_secret, IMS_REVIEWER_ERROR_UNAUTHORIZED);
  /* a recruiter's token with the payload swapped for an admin one, signature kept */
  g_autofree char *recruiter = make_hs256(HS256_HEADER, RECRUITER_CLAIMS, REVIEW_SECRET);
  g_autofree char *admin = make_hs256(HS256_HEADER, ADMIN_CLAIMS, REVIEW_SECRET);
  g_auto(GStrv) r = g_strsplit(recruiter, ".", -1);
  g_auto(GStrv) a = g_strsplit(admin, ".", -1);
  g_autofree char *spliced = g_strjoin(".", r[0], a[1], r[2], NULL);
  assert_refused(&f->hs_only, spliced, IMS_REVIEWER_ERROR_UNAUTHORIZED);
  /* one flipped signature character */
  g_autofree char *flipped = g_strdup(recruiter);
  char *last = flipped + strlen(flipped) - 2;
  *last = *last == 'A' ? 'B' : 'A';
  assert_refused(&f->hs_only, flipped, IMS_REVIEWER_ERROR_UNAUTHORIZED);
}

static void
test_alg_none(void **state)
{
  Fixture *f = *state;
  g_autofree char *unsigned_none = make_hs256("{\"alg\":\"none\",\"typ\":\"JWT\"}", ADMIN_CLAIMS,
                                              NULL);
  g_autofree char *signed_none = make_hs256("{\"alg\":\"none\",\"typ\":\"JWT\"}", ADMIN_CLAIMS,
                                            REVIEW_SECRET);
  g_autofree char *no_alg = make_hs256("{\"typ\":\"JWT\"}", ADMIN_CLAIMS, REVIEW_SECRET);
  g_autofree char *hs512 = make_hs256("{\"alg\":\"HS512\",\"typ\":\"JWT\"}", ADMIN_CLAIMS,
                                      REVIEW_SECRET);
  g_autofree char *lowercase = make_hs256("{\"alg\":\"hs256\",\"typ\":\"JWT\"}", ADMIN_CLAIMS,
                                          REVIEW_SECRET);
  const char *tokens[] = { unsigned_none, signed_none, no_alg, hs512, lowercase };
  for (gsize i = 0; i < G_N_ELEMENTS(tokens); i++) {
    assert_refused(&f->hs_only, tokens[i], IMS_REVIEWER_ERROR_UNAUTHORIZED);
    assert_refused(&f->both, tokens[i], IMS_REVIEWER_ERROR_UNAUTHORIZED);
  }
}

static void
test_malformed_headers(void **state)
{
  Fixture *f = *state;
  const char *headers[] = { "",
                            "Basic x",
                            "Basic dXNlcjpwYXNz",
                            "Bearer",
                            "Bearer ",
                            "Bearer    ",
                            "Bearer abc",
                            "Bearer a.b",
                            "Bearer a.b.c.d",
                            "Bearer ..",
                            "Bearer a b.c.d",
                            "Bearer \xff\xfe.\x01.x",
                            "Token abc.def.ghi" };
  assert_refused(&f->both, NULL, IMS_REVIEWER_ERROR_UNAUTHORIZED);
  for (gsize i = 0; i < G_N_ELEMENTS(headers); i++)
    assert_refused(&f->both, headers[i], IMS_REVIEWER_ERROR_UNAUTHORIZED);
  /* a valid token followed by trailing garbage, and a valid token behind too long a header */
  g_autofree char *good = make_hs256(HS256_HEADER, RECRUITER_CLAIMS, REVIEW_SECRET);
  g_autofree char *trailing = g_strconcat(good, " ", NULL);
  assert_refused(&f->both, trailing, IMS_REVIEWER_ERROR_UNAUTHORIZED);
  g_autofree char *padding = g_strnfill(IMS_REVIEWER_MAX_HEADER_LENGTH, ' ');
  g_autofree char *too_long = g_strconcat("Bearer ", padding, good + strlen("Bearer "), NULL);
  assert_refused(&f->both, too_long, IMS_REVIEWER_ERROR_UNAUTHORIZED);
  /* no keys at all */
  ImsReviewerKeys none = { .hs256_secret = "", .rs256_public_key_pem = NULL };
  assert_refused(&none, good, IMS_REVIEWER_ERROR_UNAUTHORIZED);
  assert_refused(NULL, good, IMS_REVIEWER_ERROR_UNAUTHORIZED);
}

static void
test_candidate_token(void **state)
{
  Fixture *f = *state;
  g_autoptr(GError) error = NULL;
  /* the real configuration: the candidate secret is another key, so its tokens do not even verify */
  g_autofree char *issued = ims_token_issue(CANDIDATE_SECRET, "session-1", NOW, 600, &error);
  assert_non_null(issued);
  g_autofree char *with_candidate_secret = g_strconcat("Bearer ", issued, NULL);
  assert_refused(&f->both, with_candidate_secret, IMS_REVIEWER_ERROR_UNAUTHORIZED);
  /* the same secret configured for both: the candidate token verifies, but is forbidden */
  g_autofree char *issued_review = ims_token_issue(REVIEW_SECRET, "session-1", NOW, 600, &error);
  assert_non_null(issued_review);
  g_autofree char *with_review_secret = g_strconcat("Bearer ", issued_review, NULL);
  assert_refused(&f->hs_only, with_review_secret, IMS_REVIEWER_ERROR_FORBIDDEN);
  /* even when it claims a role, as a string or inside an aud array */
  g_autofree char *with_role = make_hs256(
      HS256_HEADER,
      "{\"sub\":\"s\",\"aud\":\"imsd.candidate\",\"role\":\"admin\",\"exp\":1800000000}",
      REVIEW_SECRET);
  assert_refused(&f->hs_only, with_role, IMS_REVIEWER_ERROR_FORBIDDEN);
  g_autofree char *aud_array = make_hs256(
      HS256_HEADER,
      "{\"sub\":\"s\",\"aud\":[\"x\",\"imsd.candidate\"],\"role\":\"admin\",\"exp\":1800000000}",
      REVIEW_SECRET);
  assert_refused(&f->hs_only, aud_array, IMS_REVIEWER_ERROR_FORBIDDEN);
  /* control: another audience with a role is fine */
  g_autofree char *other_aud = make_hs256(
      HS256_HEADER, "{\"sub\":\"s\",\"aud\":\"imsd.review\",\"role\":\"admin\",\"exp\":1800000000}",
      REVIEW_SECRET);
  assert_accepted(&f->hs_only, other_aud, "s", IMS_REVIEWER_ADMIN, NULL);
}

/* [review] jwt_audience and jwt_issuer: when set, a token must carry a matching aud (a string, or an
 * array holding it) and iss; when not set, neither is looked at. */
static void
test_audience_and_issuer(void **state)
{
  Fixture *f = *state;
  ImsReviewerKeys strict = f->both;
  strict.audience = "imsd.review";
  strict.issuer = "https://auth.example.com/";
  g_autofree char *good = make_hs256(
      HS256_HEADER,
      "{\"sub\":\"r\",\"role\":\"recruiter\",\"companyId\":\"acme\",\"aud\":\"imsd.review\","
      "\"iss\":\"https://auth.example.com/\",\"exp\":1800000000}",
      REVIEW_SECRET);
  assert_accepted(&strict, good, "r", IMS_REVIEWER_RECRUITER, "acme");
  g_autofree char *aud_array = make_hs256(
      HS256_HEADER,
      "{\"sub\":\"r\",\"role\":\"admin\",\"aud\":[\"other\",\"imsd.review\"],"
      "\"iss\":\"https://auth.example.com/\",\"exp\":1800000000}",
      REVIEW_SECRET);
  assert_accepted(&strict, aud_array, "r", IMS_REVIEWER_ADMIN, NULL);

  static const char *const refused[] = {
    /* no aud, wrong aud, aud of another type, an array without it, a prefix of it */
    "{\"sub\":\"r\",\"role\":\"admin\",\"iss\":\"https://auth.example.com/\",\"exp\":1800000000}",
    "{\"sub\":\"r\",\"role\":\"admin\",\"aud\":\"imsd.other\",\"iss\":\"https://auth.example.com/\",\"exp\":1800000000}",
    "{\"sub\":\"r\",\"role\":\"admin\",\"aud\":7,\"iss\":\"https://auth.example.com/\",\"exp\":1800000000}",
    "{\"sub\":\"r\",\"role\":\"admin\",\"aud\":[\"a\",\"b\"],\"iss\":\"https://auth.example.com/\",\"exp\":1800000000}",
    "{\"sub\":\"r\",\"role\":\"admin\",\"aud\":\"imsd.revie\",\"iss\":\"https://auth.example.com/\",\"exp\":1800000000}",
    /* no iss, wrong iss, iss of another type, iss in an array */
    "{\"sub\":\"r\",\"role\":\"admin\",\"aud\":\"imsd.review\",\"exp\":1800000000}",
    "{\"sub\":\"r\",\"role\":\"admin\",\"aud\":\"imsd.review\",\"iss\":\"https://evil.example.com/\",\"exp\":1800000000}",
    "{\"sub\":\"r\",\"role\":\"admin\",\"aud\":\"imsd.review\",\"iss\":1,\"exp\":1800000000}",
    "{\"sub\":\"r\",\"role\":\"admin\",\"aud\":\"imsd.review\",\"iss\":[\"https://auth.example.com/\"],\"exp\":1800000000}",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(refused); i++) {
    g_autofree char *token = make_hs256(HS256_HEADER, refused[i], REVIEW_SECRET);
    assert_refused(&strict, token, IMS_REVIEWER_ERROR_UNAUTHORIZED);
    /* the same tokens pass without the checks configured (a known role, unexpired) */
    assert_accepted(&f->both, token, "r", IMS_REVIEWER_ADMIN, NULL);
  }

  /* only one of the two configured: the other is not required */
  ImsReviewerKeys audience_only = f->both;
  audience_only.audience = "imsd.review";
  g_autofree char *no_iss = make_hs256(HS256_HEADER, refused[5], REVIEW_SECRET);
  assert_accepted(&audience_only, no_iss, "r", IMS_REVIEWER_ADMIN, NULL);
  ImsReviewerKeys issuer_only = f->both;
  issuer_only.issuer = "https://auth.example.com/";
  g_autofree char *no_aud = make_hs256(HS256_HEADER, refused[0], REVIEW_SECRET);
  assert_accepted(&issuer_only, no_aud, "r", IMS_REVIEWER_ADMIN, NULL);
  assert_refused(&issuer_only, no_iss, IMS_REVIEWER_ERROR_UNAUTHORIZED);
  ImsReviewerKeys empty = f->both;
  empty.audience = "";
  empty.issuer = "";
  assert_accepted(&empty, no_aud, "r", IMS_REVIEWER_ADMIN, NULL);

  /* RS256 tokens get the same checks */
  g_autofree char *rs_good = make_rs256(
      "{\"sub\":\"r\",\"role\":\"service\",\"aud\":\"imsd.review\",\"iss\":\"https://auth.example.com/\","
      "\"exp\":1800000000}",
      f->private_pem);
  assert_accepted(&strict, rs_good, "r", IMS_REVIEWER_SERVICE, NULL);
  g_autofree char *rs_wrong = make_rs256(
      "{\"sub\":\"r\",\"role\":\"service\",\"aud\":\"imsd.review\",\"iss\":\"https://other/\","
      "\"exp\":1800000000}",
      f->private_pem);
  assert_refused(&strict, rs_wrong, IMS_REVIEWER_ERROR_UNAUTHORIZED);
}

static void
test_roles_forbidden(void **state)
{
  Fixture *f = *state;
  const char *claims[] = {
    "{\"sub\":\"h\",\"role\":\"hacker\",\"companyId\":\"acme\",\"exp\":1800000000}",
    "{\"sub\":\"h\",\"companyId\":\"acme\",\"exp\":1800000000}",
    "{\"sub\":\"h\",\"role\":\"\",\"exp\":1800000000}",
    "{\"sub\":\"h\",\"role\":\"Admin\",\"exp\":1800000000}",
    "{\"sub\":\"h\",\"role\":[\"admin\"],\"exp\":1800000000}",
    "{\"sub\":\"h\",\"role\":1,\"exp\":1800000000}",
    "{\"sub\":\"h\",\"role\":\"recruiter\",\"exp\":1800000000}",
    "{\"sub\":\"h\",\"role\":\"recruiter\",\"companyId\":\"\",\"exp\":1800000000}",
    "{\"sub\":\"h\",\"role\":\"recruiter\",\"companyId\":42,\"exp\":1800000000}",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(claims); i++) {
    g_autofree char *token = make_hs256(HS256_HEADER, claims[i], REVIEW_SECRET);
    assert_refused(&f->hs_only, token, IMS_REVIEWER_ERROR_FORBIDDEN);
  }
}

static void
test_rs256(void **state)
{
  Fixture *f = *state;
  g_autofree char *recruiter = make_rs256(RECRUITER_CLAIMS, f->private_pem);
  assert_accepted(&f->rs_only, recruiter, "rec-1", IMS_REVIEWER_RECRUITER, "acme");
  assert_accepted(&f->both, recruiter, "rec-1", IMS_REVIEWER_RECRUITER, "acme");
  g_autofree char *service = make_rs256(SERVICE_CLAIMS, f->private_pem);
  assert_accepted(&f->rs_only, service, "svc-1", IMS_REVIEWER_SERVICE, NULL);
  /* signed with another key pair */
  g_autofree char *wrong_key = make_rs256(RECRUITER_CLAIMS, f->other_private_pem);
  assert_refused(&f->rs_only, wrong_key, IMS_REVIEWER_ERROR_UNAUTHORIZED);
  assert_refused(&f->both, wrong_key, IMS_REVIEWER_ERROR_UNAUTHORIZED);
  /* RS256 when only HS256 is configured */
  assert_refused(&f->hs_only, recruiter, IMS_REVIEWER_ERROR_UNAUTHORIZED);
  /* RS256 tokens get the same claim checks */
  g_autofree char *expired = make_rs256("{\"sub\":\"a\",\"role\":\"admin\",\"exp\":1600000000}",
                                        f->private_pem);
  assert_refused(&f->rs_only, expired, IMS_REVIEWER_ERROR_UNAUTHORIZED);
  g_autofree char *hacker = make_rs256("{\"sub\":\"a\",\"role\":\"hacker\",\"exp\":1800000000}",
                                       f->private_pem);
  assert_refused(&f->rs_only, hacker, IMS_REVIEWER_ERROR_FORBIDDEN);
}

static void
test_hs256_with_only_rs256(void **state)
{
  Fixture *f = *state;
  g_autofree char *token = make_hs256(HS256_HEADER, ADMIN_CLAIMS, REVIEW_SECRET);
  assert_refused(&f->rs_only, token, IMS_REVIEWER_ERROR_UNAUTHORIZED);
}

static void
test_rs_hs_confusion(void **state)
{
  Fixture *f = *state;
  /* HS256 "signed" with the public key text as the HMAC secret; also with the header saying RS256 */
  g_autofree char *confused = make_hs256(HS256_HEADER, ADMIN_CLAIMS, f->public_pem);
  g_autofree char *confused_rs_header = make_hs256("{\"alg\":\"RS256\",\"typ\":\"JWT\"}",
                                                   ADMIN_CLAIMS, f->public_pem);
  assert_refused(&f->rs_only, confused, IMS_REVIEWER_ERROR_UNAUTHORIZED);
  assert_refused(&f->both, confused, IMS_REVIEWER_ERROR_UNAUTHORIZED);
  assert_refused(&f->rs_only, confused_rs_header, IMS_REVIEWER_ERROR_UNAUTHORIZED);
  assert_refused(&f->both, confused_rs_header, IMS_REVIEWER_ERROR_UNAUTHORIZED);
}

static void
test_can_see(void **state)
{
  ImsReviewer recruiter = { .subject = (char *) "r",
                            .role = IMS_REVIEWER_RECRUITER,
                            .company_id = (char *) "acme" };
  ImsReviewer admin = { .subject = (char *) "a", .role = IMS_REVIEWER_ADMIN, .company_id = NULL };
  ImsReviewer service = { .subject = (char *) "s", .role = IMS_REVIEWER_SERVICE, .company_id = NULL };
  ImsReviewer broken = { .subject = (char *) "b",
                         .role = IMS_REVIEWER_RECRUITER,
                         .company_id = NULL };
  assert_true(ims_reviewer_can_see(&recruiter, "acme"));
  assert_false(ims_reviewer_can_see(&recruiter, "globex"));
  assert_false(ims_reviewer_can_see(&recruiter, "ACME"));
  assert_false(ims_reviewer_can_see(&recruiter, "acme2"));
  assert_false(ims_reviewer_can_see(&recruiter, ""));
  assert_false(ims_reviewer_can_see(&recruiter, NULL));
  assert_false(ims_reviewer_can_see(&broken, "acme"));
  assert_false(ims_reviewer_can_see(&broken, NULL));
  assert_false(ims_reviewer_can_see(NULL, "acme"));
  const char *companies[] = { "acme", "globex", "" };
  for (gsize i = 0; i < G_N_ELEMENTS(companies); i++) {
    assert_true(ims_reviewer_can_see(&admin, companies[i]));
    assert_true(ims_reviewer_can_see(&service, companies[i]));
  }
  assert_string_equal(ims_reviewer_role_to_string(IMS_REVIEWER_RECRUITER), "recruiter");
  assert_string_equal(ims_reviewer_role_to_string(IMS_REVIEWER_ADMIN), "admin");
  assert_string_equal(ims_reviewer_role_to_string(IMS_REVIEWER_SERVICE), "service");
  assert_string_equal(ims_reviewer_role_to_string((ImsReviewerRole) 99), "unknown");
}

static void
test_load_public_key(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *missing = ims_reviewer_load_public_key(KEYS_DIR "no-such-key.pem", &error);
  assert_null(missing);
  assert_non_null(error);
  g_clear_error(&error);
  g_autofree char *not_pem = ims_reviewer_load_public_key(IMSD_SOURCE_DIR "/meson.build", &error);
  assert_null(not_pem);
  assert_true(g_error_matches(error, IMS_REVIEWER_ERROR, IMS_REVIEWER_ERROR_KEY));
  g_clear_error(&error);
  g_autofree char *none = ims_reviewer_load_public_key(NULL, &error);
  assert_null(none);
  assert_true(g_error_matches(error, IMS_REVIEWER_ERROR, IMS_REVIEWER_ERROR_KEY));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_hs256_roles, setup, teardown),
    cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
    cmocka_unit_test_setup_teardown(test_forged, setup, teardown),
    cmocka_unit_test_setup_teardown(test_alg_none, setup, teardown),
    cmocka_unit_test_setup_teardown(test_malformed_headers, setup, teardown),
    cmocka_unit_test_setup_teardown(test_candidate_token, setup, teardown),
    cmocka_unit_test_setup_teardown(test_audience_and_issuer, setup, teardown),
    cmocka_unit_test_setup_teardown(test_roles_forbidden, setup, teardown),
    cmocka_unit_test_setup_teardown(test_rs256, setup, teardown),
    cmocka_unit_test_setup_teardown(test_hs256_with_only_rs256, setup, teardown),
    cmocka_unit_test_setup_teardown(test_rs_hs_confusion, setup, teardown),
    cmocka_unit_test(test_can_see),
    cmocka_unit_test(test_load_public_key),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
