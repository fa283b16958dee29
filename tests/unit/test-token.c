/* test-token.c: unit tests for server/interview/token.c (candidate and room tokens). Besides tokens from ims_token_issue(), tests build tokens
 * by hand (base64url JSON + HMAC-SHA256 from GLib) so that each rule of ims_token_verify() is tested on
 * its own, with a hand-built correct token as the positive control. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>

#include "token.h"

#define SECRET "an-hs256-secret-of-at-least-32-bytes!"
#define OTHER_SECRET "another-hs256-secret-of-32-bytes-or-more"
#define NOW 1700000000
#define TTL 3600

typedef struct {
  char *token; /* issued by setup: sub "session-42", iat NOW, exp NOW + TTL */
} Fixture;

static int
setup(void **state)
{
  Fixture *fixture = g_new0(Fixture, 1);
  g_autoptr(GError) error = NULL;
  fixture->token = ims_token_issue(SECRET, "session-42", NOW, TTL, &error);
  assert_null(error);
  assert_non_null(fixture->token);
  *state = fixture;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *fixture = *state;
  g_free(fixture->token);
  g_free(fixture);
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

/* header.payload.signature with an HS256 signature under secret (NULL: empty signature). */
static char *
make_token(const char *header_json, const char *payload_json, const char *secret)
{
  g_autofree char *header = base64url(header_json, strlen(header_json));
  g_autofree char *payload = base64url(payload_json, strlen(payload_json));
  g_autofree char *signing_input = g_strconcat(header, ".", payload, NULL);
  if (secret == NULL)
    return g_strconcat(signing_input, ".", NULL);
  g_autoptr(GHmac) hmac = g_hmac_new(G_CHECKSUM_SHA256, (const guchar *) secret, strlen(secret));
  g_hmac_update(hmac, (const guchar *) signing_input, -1);
  guint8 digest[32];
  gsize digest_length = sizeof digest;
  g_hmac_get_digest(hmac, digest, &digest_length);
  g_autofree char *signature = base64url(digest, digest_length);
  return g_strconcat(signing_input, ".", signature, NULL);
}

#define HS256_HEADER "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define GOOD_PAYLOAD \
  "{\"sub\":\"session-7\",\"aud\":\"imsd.candidate\",\"iat\":1700000000,\"exp\":1700003600}"

/* Verifies and expects failure with code; outputs must stay untouched. */
static void
assert_rejected(const char *secret, const char *token, gint64 now, int code)
{
  char *session_id = (char *) "untouched";
  gint64 expires_at = -7;
  g_autoptr(GError) error = NULL;
  assert_false(ims_token_verify(secret, token, now, &session_id, &expires_at, &error));
  assert_non_null(error);
  if (!g_error_matches(error, IMS_TOKEN_ERROR, code))
    fail_msg("expected code %d, got %s (%d)", code, error->message, error->code);
  assert_string_equal(session_id, "untouched");
  assert_int_equal(expires_at, -7);
}

static void
test_round_trip(void **state)
{
  Fixture *fixture = *state;
  g_autofree char *session_id = NULL;
  gint64 expires_at = 0;
  g_autoptr(GError) error = NULL;
  assert_true(ims_token_verify(SECRET, fixture->token, NOW, &session_id, &expires_at, &error));
  assert_null(error);
  assert_string_equal(session_id, "session-42");
  assert_int_equal(expires_at, NOW + TTL);
  g_auto(GStrv) parts = g_strsplit(fixture->token, ".", -1);
  assert_int_equal(g_strv_length(parts), 3);

  /* Still valid at the last second. */
  g_clear_pointer(&session_id, g_free);
  assert_true(ims_token_verify(SECRET, fixture->token, NOW + TTL, &session_id, NULL, &error));
  assert_string_equal(session_id, "session-42");
}

static void
test_hand_built_token_is_accepted(void **state)
{
  g_autofree char *token = make_token(HS256_HEADER, GOOD_PAYLOAD, SECRET);
  g_autofree char *session_id = NULL;
  gint64 expires_at = 0;
  g_autoptr(GError) error = NULL;
  if (!ims_token_verify(SECRET, token, NOW, &session_id, &expires_at, &error))
    fail_msg("%s", error->message);
  assert_string_equal(session_id, "session-7");
  assert_int_equal(expires_at, 1700003600);
}

static void
test_expired(void **state)
{
  Fixture *fixture = *state;
  assert_rejected(SECRET, fixture->token, NOW + TTL + 1, IMS_TOKEN_ERROR_EXPIRED);
  assert_rejected(SECRET, fixture->token, G_MAXINT64, IMS_TOKEN_ERROR_EXPIRED);
}

/* A token is not valid before its nbf, nor when it claims to be issued more than
 * IMS_TOKEN_CLOCK_SKEW_SECONDS in the future (a clock far ahead, or a forged lifetime). */
static void
test_not_yet_valid(void **state)
{
  Fixture *fixture = *state;
  /* issued at NOW: fine within the skew before it, refused beyond it */
  g_autofree char *session_id = NULL;
  g_autoptr(GError) error = NULL;
  assert_true(ims_token_verify(SECRET, fixture->token, NOW - IMS_TOKEN_CLOCK_SKEW_SECONDS,
                               &session_id, NULL, &error));
  assert_rejected(SECRET, fixture->token, NOW - IMS_TOKEN_CLOCK_SKEW_SECONDS - 1,
                  IMS_TOKEN_ERROR_NOT_YET_VALID);

  /* hand-built: iat in the future */
  g_autofree char *iat_future = make_token(
      HS256_HEADER,
      "{\"sub\":\"s\",\"aud\":\"imsd.candidate\",\"iat\":1700000061,\"exp\":1700003600}", SECRET);
  assert_rejected(SECRET, iat_future, NOW, IMS_TOKEN_ERROR_NOT_YET_VALID);
  g_autofree char *iat_skew = make_token(
      HS256_HEADER,
      "{\"sub\":\"s\",\"aud\":\"imsd.candidate\",\"iat\":1700000060,\"exp\":1700003600}", SECRET);
  g_clear_pointer(&session_id, g_free);
  assert_true(ims_token_verify(SECRET, iat_skew, NOW, &session_id, NULL, &error));
  assert_string_equal(session_id, "s");
  g_autofree char *iat_far = make_token(
      HS256_HEADER,
      "{\"sub\":\"s\",\"aud\":\"imsd.candidate\",\"iat\":4000000000,\"exp\":4000003600}", SECRET);
  assert_rejected(SECRET, iat_far, NOW, IMS_TOKEN_ERROR_NOT_YET_VALID);

  /* nbf: refused while in the future, accepted from that second on */
  g_autofree char *nbf_future = make_token(
      HS256_HEADER,
      "{\"sub\":\"s\",\"aud\":\"imsd.candidate\",\"iat\":1700000000,\"nbf\":1700000100,\"exp\":1700003600}",
      SECRET);
  assert_rejected(SECRET, nbf_future, NOW, IMS_TOKEN_ERROR_NOT_YET_VALID);
  assert_rejected(SECRET, nbf_future, NOW + 99, IMS_TOKEN_ERROR_NOT_YET_VALID);
  g_clear_pointer(&session_id, g_free);
  assert_true(ims_token_verify(SECRET, nbf_future, NOW + 100, &session_id, NULL, &error));
  g_autofree char *nbf_past = make_token(
      HS256_HEADER,
      "{\"sub\":\"s\",\"aud\":\"imsd.candidate\",\"iat\":1700000000,\"nbf\":1699999000,\"exp\":1700003600}",
      SECRET);
  g_clear_pointer(&session_id, g_free);
  assert_true(ims_token_verify(SECRET, nbf_past, NOW, &session_id, NULL, &error));
  /* an nbf that is not an integer is malformed, not ignored */
  g_autofree char *nbf_string = make_token(
      HS256_HEADER,
      "{\"sub\":\"s\",\"aud\":\"imsd.candidate\",\"iat\":1700000000,\"nbf\":\"1700000100\",\"exp\":1700003600}",
      SECRET);
  assert_rejected(SECRET, nbf_string, NOW, IMS_TOKEN_ERROR_INVALID);
  /* once exp has passed the token is expired, even with an nbf */
  assert_rejected(SECRET, nbf_future, NOW + TTL + 1, IMS_TOKEN_ERROR_EXPIRED);
}

static void
test_tampered_payload(void **state)
{
  Fixture *fixture = *state;
  /* Swap in a payload for another session, keeping the original header and signature. */
  g_auto(GStrv) parts = g_strsplit(fixture->token, ".", -1);
  assert_int_equal(g_strv_length(parts), 3);
  const char *forged_json = "{\"sub\":\"session-43\",\"aud\":\"imsd.candidate\",\"iat\":1700000000,"
                            "\"exp\":1700003600}";
  g_autofree char *forged_payload = base64url(forged_json, strlen(forged_json));
  g_autofree char *forged = g_strjoin(".", parts[0], forged_payload, parts[2], NULL);
  assert_rejected(SECRET, forged, NOW, IMS_TOKEN_ERROR_INVALID);

  /* Flip one character of the payload. */
  g_autofree char *flipped = g_strdup(fixture->token);
  char *payload = strchr(flipped, '.') + 1;
  payload[3] = payload[3] == 'A' ? 'B' : 'A';
  assert_rejected(SECRET, flipped, NOW, IMS_TOKEN_ERROR_INVALID);
}

static void
test_tampered_signature(void **state)
{
  Fixture *fixture = *state;
  g_autofree char *tampered = g_strdup(fixture->token);
  char *signature = strrchr(tampered, '.') + 1;
  signature[5] = signature[5] == 'x' ? 'y' : 'x';
  assert_rejected(SECRET, tampered, NOW, IMS_TOKEN_ERROR_INVALID);

  /* Same signature bytes, non-canonical base64url: the last of 43 characters carries 4 bits and 2 unused
   * ones; setting an unused bit must not be accepted as the same signature. */
  g_autofree char *non_canonical = g_strdup(fixture->token);
  char *last = non_canonical + strlen(non_canonical) - 1;
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  *last = alphabet[(strchr(alphabet, *last) - alphabet) | 1];
  assert_int_equal(strlen(strrchr(non_canonical, '.') + 1), 43);
  assert_string_not_equal(non_canonical, fixture->token);
  assert_rejected(SECRET, non_canonical, NOW, IMS_TOKEN_ERROR_INVALID);

  /* Truncated, extended, and removed signatures. */
  g_autofree char *truncated = g_strndup(fixture->token, strlen(fixture->token) - 1);
  assert_rejected(SECRET, truncated, NOW, IMS_TOKEN_ERROR_INVALID);
  g_autofree char *extended = g_strconcat(fixture->token, "A", NULL);
  assert_rejected(SECRET, extended, NOW, IMS_TOKEN_ERROR_INVALID);
  g_autofree char *unsigned_token = g_strndup(fixture->token,
                                              strrchr(fixture->token, '.') - fixture->token + 1);
  assert_rejected(SECRET, unsigned_token, NOW, IMS_TOKEN_ERROR_INVALID);
}

static void
test_alg_none(void **state)
{
  Fixture *fixture = *state;
  /* The classic: alg none with no signature. */
  g_autofree char *none = make_token("{\"alg\":\"none\",\"typ\":\"JWT\"}", GOOD_PAYLOAD, NULL);
  assert_rejected(SECRET, none, NOW, IMS_TOKEN_ERROR_INVALID);
  /* alg none, but "signed" anyway. */
  g_autofree char *none_signed = make_token("{\"alg\":\"none\",\"typ\":\"JWT\"}", GOOD_PAYLOAD,
                                            SECRET);
  assert_rejected(SECRET, none_signed, NOW, IMS_TOKEN_ERROR_INVALID);
  /* An issued token's header replaced by alg none, signature kept. */
  const char *none_header = "{\"alg\":\"none\",\"typ\":\"JWT\"}";
  g_autofree char *header = base64url(none_header, strlen(none_header));
  g_autofree char *swapped = g_strconcat(header, strchr(fixture->token, '.'), NULL);
  assert_rejected(SECRET, swapped, NOW, IMS_TOKEN_ERROR_INVALID);
}

static void
test_other_algorithms(void **state)
{
  /* Correctly HMAC-SHA256-signed with our secret, but the header claims another algorithm: RS/HS
   * confusion (the secret used as an HMAC key for an "RS256" token) and HS512/ES256/lowercase names. */
  const char *headers[] = {
    "{\"alg\":\"RS256\",\"typ\":\"JWT\"}",
    "{\"alg\":\"HS512\",\"typ\":\"JWT\"}",
    "{\"alg\":\"ES256\",\"typ\":\"JWT\"}",
    "{\"alg\":\"hs256\",\"typ\":\"JWT\"}",
    "{\"typ\":\"JWT\"}",
    "{\"alg\":null}",
    "{\"alg\":256}",
    "{\"alg\":\"HS256\",\"typ\":\"JWE\"}",
    "[\"HS256\"]",
    "not json",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(headers); i++) {
    g_autofree char *token = make_token(headers[i], GOOD_PAYLOAD, SECRET);
    assert_rejected(SECRET, token, NOW, IMS_TOKEN_ERROR_INVALID);
  }
}

static void
test_other_secret(void **state)
{
  Fixture *fixture = *state;
  assert_rejected(OTHER_SECRET, fixture->token, NOW, IMS_TOKEN_ERROR_INVALID);
  g_autofree char *token = make_token(HS256_HEADER, GOOD_PAYLOAD, OTHER_SECRET);
  assert_rejected(SECRET, token, NOW, IMS_TOKEN_ERROR_INVALID);
  assert_rejected("", fixture->token, NOW, IMS_TOKEN_ERROR_INVALID);
  assert_rejected(NULL, fixture->token, NOW, IMS_TOKEN_ERROR_INVALID);
}

static void
test_claims(void **state)
{
  const char *payloads[] = {
    "{\"sub\":\"session-7\",\"aud\":\"imsd.service\",\"iat\":1700000000,\"exp\":1700003600}",
    "{\"sub\":\"session-7\",\"aud\":[\"imsd.candidate\"],\"iat\":1700000000,\"exp\":1700003600}",
    "{\"sub\":\"session-7\",\"iat\":1700000000,\"exp\":1700003600}",
    "{\"aud\":\"imsd.candidate\",\"iat\":1700000000,\"exp\":1700003600}",
    "{\"sub\":\"\",\"aud\":\"imsd.candidate\",\"iat\":1700000000,\"exp\":1700003600}",
    "{\"sub\":7,\"aud\":\"imsd.candidate\",\"iat\":1700000000,\"exp\":1700003600}",
    "{\"sub\":\"session-7\",\"aud\":\"imsd.candidate\",\"iat\":1700000000}",
    "{\"sub\":\"session-7\",\"aud\":\"imsd.candidate\",\"iat\":1700000000,\"exp\":\"1700003600\"}",
    "{\"sub\":\"session-7\",\"aud\":\"imsd.candidate\",\"exp\":1700003600}",
    "[1,2,3]",
    "{}",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(payloads); i++) {
    g_autofree char *token = make_token(HS256_HEADER, payloads[i], SECRET);
    assert_rejected(SECRET, token, NOW, IMS_TOKEN_ERROR_INVALID);
  }
}

static void
test_garbage(void **state)
{
  Fixture *fixture = *state;
  const char *inputs[] = {
    "",
    ".",
    "..",
    "...",
    "a.b",
    "a.b.c",
    "a.b.c.d",
    "!!!.@@@.###",
    "eyJ.eyJ.sig",
    " ",
    "\xff\xfe\xfd",
    "eyJhbGciOiJIUzI1NiJ9..",
    ".eyJzdWIiOiJ4In0.abc",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(inputs); i++)
    assert_rejected(SECRET, inputs[i], NOW, IMS_TOKEN_ERROR_INVALID);
  assert_rejected(SECRET, NULL, NOW, IMS_TOKEN_ERROR_INVALID);

  /* Binary: every byte value, in a token-shaped frame. */
  char binary[3 * 256 + 1];
  for (int i = 0; i < 256; i++) {
    binary[3 * i] = (char) (i == 0 ? 1 : i);
    binary[3 * i + 1] = (char) (255 - i == 0 ? 2 : 255 - i);
    binary[3 * i + 2] = i % 50 == 0 ? '.' : 'A';
  }
  binary[sizeof binary - 1] = '\0';
  assert_rejected(SECRET, binary, NOW, IMS_TOKEN_ERROR_INVALID);

  /* Huge: a valid token padded past the cap, and a megabyte of base64url. */
  GString *long_payload = g_string_new(
      "{\"sub\":\"session-7\",\"aud\":\"imsd.candidate\",\"iat\":1700000000,"
      "\"exp\":1700003600,\"pad\":\"");
  for (int i = 0; i < IMS_TOKEN_MAX_LENGTH; i++)
    g_string_append_c(long_payload, 'x');
  g_string_append(long_payload, "\"}");
  g_autofree char *long_json = g_string_free(long_payload, FALSE);
  g_autofree char *too_long = make_token(HS256_HEADER, long_json, SECRET);
  assert_true(strlen(too_long) > IMS_TOKEN_MAX_LENGTH);
  assert_rejected(SECRET, too_long, NOW, IMS_TOKEN_ERROR_INVALID);

  gsize huge_length = 1024 * 1024;
  g_autofree char *huge = g_malloc(huge_length + 1);
  memset(huge, 'A', huge_length);
  huge[100] = '.';
  huge[200] = '.';
  huge[huge_length] = '\0';
  assert_rejected(SECRET, huge, NOW, IMS_TOKEN_ERROR_INVALID);

  /* The real token with junk around it. */
  g_autofree char *spaced = g_strconcat(" ", fixture->token, NULL);
  assert_rejected(SECRET, spaced, NOW, IMS_TOKEN_ERROR_INVALID);
}

static void
test_issue_refuses_bad_arguments(void **state)
{
  g_autoptr(GError) error = NULL;
  assert_null(ims_token_issue("", "session", NOW, TTL, &error));
  assert_true(g_error_matches(error, IMS_TOKEN_ERROR, IMS_TOKEN_ERROR_INVALID));
  g_clear_error(&error);
  assert_null(ims_token_issue(SECRET, "", NOW, TTL, &error));
  assert_non_null(error);
  g_clear_error(&error);
  assert_null(ims_token_issue(SECRET, "bad\xff", NOW, TTL, &error));
  assert_non_null(error);
  g_clear_error(&error);
  assert_null(ims_token_issue(SECRET, "session", NOW, 0, &error));
  assert_non_null(error);
  g_clear_error(&error);
  assert_null(ims_token_issue(SECRET, "session", G_MAXINT64 - 5, TTL, &error));
  assert_non_null(error);
}

static void
test_session_id_with_json_characters(void **state)
{
  const char *session = "a\"b\\c/é\n";
  g_autoptr(GError) error = NULL;
  g_autofree char *token = ims_token_issue(SECRET, session, NOW, TTL, &error);
  assert_non_null(token);
  g_autofree char *session_id = NULL;
  assert_true(ims_token_verify(SECRET, token, NOW, &session_id, NULL, &error));
  assert_string_equal(session_id, session);
}

static void
test_equal(void **state)
{
  assert_true(ims_token_equal("bearer-token", "bearer-token"));
  assert_true(ims_token_equal("", ""));
  assert_false(ims_token_equal("bearer-token", "bearer-tokem"));
  assert_false(ims_token_equal("bearer-token", "Bearer-token"));
  assert_false(ims_token_equal("bearer-token", "bearer-token2"));
  assert_false(ims_token_equal("bearer-token", "bearer-toke"));
  assert_false(ims_token_equal("bearer-token", ""));
  assert_false(ims_token_equal(NULL, "x"));
  assert_false(ims_token_equal("x", NULL));
  assert_false(ims_token_equal(NULL, NULL));
}

/* Room tokens (docs/live-rooms.md): aud "imsd.room", sub room, pid participant, role, nbf, exp. */
#define ROOM_NBF 1700000000
#define ROOM_EXP 1700007200

static char *
issue_room_token(void)
{
  g_autoptr(GError) error = NULL;
  char *token = ims_room_token_issue(SECRET, "room-1", "participant-2", "interviewer", ROOM_NBF,
                                     ROOM_EXP, &error);
  if (token == NULL)
    fail_msg("%s", error->message);
  return token;
}

/* Verifies a room token and expects failure with code; outputs must stay untouched. */
static void
assert_room_rejected(const char *secret, const char *token, gint64 now, int code)
{
  char *room_id = (char *) "untouched", *participant_id = room_id, *role = room_id;
  g_autoptr(GError) error = NULL;
  assert_false(ims_room_token_verify(secret, token, now, &room_id, &participant_id, &role, &error));
  assert_non_null(error);
  if (!g_error_matches(error, IMS_TOKEN_ERROR, code))
    fail_msg("expected code %d, got %s (%d)", code, error->message, error->code);
  assert_string_equal(room_id, "untouched");
  assert_string_equal(participant_id, "untouched");
  assert_string_equal(role, "untouched");
}

/* The claims of a good room token, with claim name's JSON value replaced by
 * value (NULL: the claim left out).  Transfer full. */
static char *
room_payload(const char *name, const char *value)
{
  static const char *const claims[][2] = {
    { "sub", "\"r\"" }, { "pid", "\"p\"" }, { "role", "\"observer\"" },
    { "aud", "\"imsd.room\"" }, { "nbf", "1" }, { "exp", "1800000000" },
  };
  GString *json = g_string_new("{");
  for (guint i = 0; i < G_N_ELEMENTS(claims); i++) {
    gboolean replaced = name != NULL && g_str_equal(name, claims[i][0]);
    if (replaced && value == NULL)
      continue;
    g_string_append_printf(json, "%s\"%s\":%s", json->len > 1 ? "," : "", claims[i][0],
                           replaced ? value : claims[i][1]);
  }
  g_string_append_c(json, '}');
  return g_string_free(json, FALSE);
}

static void
test_room_round_trip(void **state)
{
  g_autofree char *token = issue_room_token();
  const gint64 instants[] = { ROOM_NBF, ROOM_NBF + 60, ROOM_EXP };
  for (guint i = 0; i < G_N_ELEMENTS(instants); i++) {
    g_autofree char *room_id = NULL, *participant_id = NULL, *role = NULL;
    g_autoptr(GError) error = NULL;
    if (!ims_room_token_verify(SECRET, token, instants[i], &room_id, &participant_id, &role, &error))
      fail_msg("at %" G_GINT64_FORMAT ": %s", instants[i], error->message);
    assert_string_equal(room_id, "room-1");
    assert_string_equal(participant_id, "participant-2");
    assert_string_equal(role, "interviewer");
  }
  /* The outputs may be NULL. */
  assert_true(ims_room_token_verify(SECRET, token, ROOM_NBF, NULL, NULL, NULL, NULL));
}

static void
test_room_window(void **state)
{
  g_autofree char *token = issue_room_token();
  assert_room_rejected(SECRET, token, ROOM_EXP + 1, IMS_TOKEN_ERROR_EXPIRED);
  assert_room_rejected(SECRET, token, G_MAXINT64, IMS_TOKEN_ERROR_EXPIRED);
  assert_room_rejected(SECRET, token, ROOM_NBF - 1, IMS_TOKEN_ERROR_NOT_YET_VALID);
  assert_room_rejected(SECRET, token, 0, IMS_TOKEN_ERROR_NOT_YET_VALID);
}

/* A candidate token does not open a room, and a room token is no candidate token, even under one secret. */
static void
test_room_audience_confusion(void **state)
{
  Fixture *fixture = *state;
  assert_room_rejected(SECRET, fixture->token, NOW, IMS_TOKEN_ERROR_INVALID);
  g_autofree char *room_token = issue_room_token();
  /* A room token carries no iat: give it one so only the audience differs. */
  g_autofree char *payload = room_payload("exp", "1700007200,\"iat\":1700000000");
  g_autofree char *with_iat = make_token(HS256_HEADER, payload, SECRET);
  assert_rejected(SECRET, room_token, ROOM_NBF, IMS_TOKEN_ERROR_INVALID);
  assert_rejected(SECRET, with_iat, ROOM_NBF, IMS_TOKEN_ERROR_INVALID);
  assert_true(ims_room_token_verify(SECRET, with_iat, ROOM_NBF, NULL, NULL, NULL, NULL));
}

static void
test_room_signature(void **state)
{
  g_autofree char *token = issue_room_token();
  assert_room_rejected(OTHER_SECRET, token, ROOM_NBF, IMS_TOKEN_ERROR_INVALID);
  g_autofree char *tampered = g_strdup(token);
  char *last = tampered + strlen(tampered) - 1;
  *last = *last == 'A' ? 'B' : 'A';
  assert_room_rejected(SECRET, tampered, ROOM_NBF, IMS_TOKEN_ERROR_INVALID);
  g_autofree char *payload = room_payload(NULL, NULL);
  g_autofree char *none = make_token("{\"alg\":\"none\"}", payload, NULL);
  assert_room_rejected(SECRET, none, ROOM_NBF, IMS_TOKEN_ERROR_INVALID);
}

/* Each claim on its own: the unchanged payload is the positive control. */
static void
test_room_claims(void **state)
{
  g_autofree char *payload = room_payload(NULL, NULL);
  g_autofree char *good = make_token(HS256_HEADER, payload, SECRET);
  g_autofree char *room_id = NULL, *participant_id = NULL, *role = NULL;
  assert_true(ims_room_token_verify(SECRET, good, NOW, &room_id, &participant_id, &role, NULL));
  assert_string_equal(room_id, "r");
  assert_string_equal(participant_id, "p");
  assert_string_equal(role, "observer");
  const struct {
    const char *name, *value; /* value NULL: the claim is missing */
  } changes[] = {
    { "sub", NULL },   { "sub", "\"\"" },   { "sub", "7" },
    { "pid", NULL },   { "pid", "7" },      { "pid", "\"\"" },
    { "role", NULL },  { "role", "[]" },    { "aud", NULL },
    { "aud", "\"imsd.candidate\"" },        { "aud", "\"imsd.review\"" },
    { "nbf", NULL },   { "nbf", "\"1\"" },  { "exp", NULL },
    { "exp", "1.8e9" }, { "exp", "\"1800000000\"" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(changes); i++) {
    g_autofree char *changed = room_payload(changes[i].name, changes[i].value);
    g_autofree char *token = make_token(HS256_HEADER, changed, SECRET);
    assert_room_rejected(SECRET, token, NOW, IMS_TOKEN_ERROR_INVALID);
  }
  assert_room_rejected(SECRET, NULL, NOW, IMS_TOKEN_ERROR_INVALID);
  assert_room_rejected(SECRET, "", NOW, IMS_TOKEN_ERROR_INVALID);
  assert_room_rejected(SECRET, "a.b.c", NOW, IMS_TOKEN_ERROR_INVALID);
  assert_room_rejected("", good, NOW, IMS_TOKEN_ERROR_INVALID);
}

static void
test_room_issue_refuses_bad_arguments(void **state)
{
  const struct {
    const char *secret, *room, *participant, *role;
    gint64 not_before, expires;
  } cases[] = {
    { "", "r", "p", "candidate", 10, 20 },      { NULL, "r", "p", "candidate", 10, 20 },
    { SECRET, "", "p", "candidate", 10, 20 },   { SECRET, "r", NULL, "candidate", 10, 20 },
    { SECRET, "r", "p", "", 10, 20 },           { SECRET, "r\xff", "p", "candidate", 10, 20 },
    { SECRET, "r", "p", "candidate", 20, 20 },  { SECRET, "r", "p", "candidate", 20, 10 },
    { SECRET, "r", "p", "candidate", -1, 20 },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autofree char *token = ims_room_token_issue(cases[i].secret, cases[i].room, cases[i].participant,
                                                  cases[i].role, cases[i].not_before,
                                                  cases[i].expires, &error);
    if (token != NULL)
      fail_msg("case %u issued a token", i);
    assert_true(g_error_matches(error, IMS_TOKEN_ERROR, IMS_TOKEN_ERROR_INVALID));
  }
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
    cmocka_unit_test_setup_teardown(test_hand_built_token_is_accepted, setup, teardown),
    cmocka_unit_test_setup_teardown(test_expired, setup, teardown),
    cmocka_unit_test_setup_teardown(test_not_yet_valid, setup, teardown),
    cmocka_unit_test_setup_teardown(test_tampered_payload, setup, teardown),
    cmocka_unit_test_setup_teardown(test_tampered_signature, setup, teardown),
    cmocka_unit_test_setup_teardown(test_alg_none, setup, teardown),
    cmocka_unit_test_setup_teardown(test_other_algorithms, setup, teardown),
    cmocka_unit_test_setup_teardown(test_other_secret, setup, teardown),
    cmocka_unit_test_setup_teardown(test_claims, setup, teardown),
    cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
    cmocka_unit_test_setup_teardown(test_issue_refuses_bad_arguments, setup, teardown),
    cmocka_unit_test_setup_teardown(test_session_id_with_json_characters, setup, teardown),
    cmocka_unit_test_setup_teardown(test_equal, setup, teardown),
    cmocka_unit_test_setup_teardown(test_room_round_trip, setup, teardown),
    cmocka_unit_test_setup_teardown(test_room_window, setup, teardown),
    cmocka_unit_test_setup_teardown(test_room_audience_confusion, setup, teardown),
    cmocka_unit_test_setup_teardown(test_room_signature, setup, teardown),
    cmocka_unit_test_setup_teardown(test_room_claims, setup, teardown),
    cmocka_unit_test_setup_teardown(test_room_issue_refuses_bad_arguments, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
