/* Unit tests for base/turn-credentials.c (TURN URIs, coturn's REST
 * credentials) and server/interview/ice-servers.c (the "iceServers" of the
 * state message made from them).
 *
 * The credential vectors were computed independently with Python:
 *   python3 -c "import hmac,hashlib,base64; print(base64.b64encode(hmac.new(
 *     b'coturn-static-auth-secret',
 *     b'1700000000:5f2b6c1e-1111-4222-8333-944445555666', hashlib.sha1).digest()))"
 *   -> kzBWkOIn/97JC34KoqPmiOIX1Fw=
 *   (secret b's', username b'60:x') -> zzXIDTX0Akqq3nBqqcCdy8Qb5NQ=
 * and tests/browser/reach.test.mjs checks them against a running coturn.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "ice-servers.h"
#include "turn-credentials.h"

static void
test_mint_known_vectors(void **state)
{
  g_autofree char *username = NULL;
  g_autofree char *credential = NULL;
  ims_turn_credentials_mint("coturn-static-auth-secret", "5f2b6c1e-1111-4222-8333-944445555666",
                            1700000000, &username, &credential);
  assert_string_equal(username, "1700000000:5f2b6c1e-1111-4222-8333-944445555666");
  assert_string_equal(credential, "kzBWkOIn/97JC34KoqPmiOIX1Fw=");

  g_autofree char *short_username = NULL;
  g_autofree char *short_credential = NULL;
  ims_turn_credentials_mint("s", "x", 60, &short_username, &short_credential);
  assert_string_equal(short_username, "60:x");
  assert_string_equal(short_credential, "zzXIDTX0Akqq3nBqqcCdy8Qb5NQ=");
}

static void
test_uri_check_accepts(void **state)
{
  const char *good[] = {
    "turn:turn.example.com",
    "turn:turn.example.com:3478",
    "turn:192.0.2.1:3478?transport=udp",
    "turn:192.0.2.1:3478?transport=tcp",
    "turns:turn.example.com:5349?transport=tcp",
    "turn:[2001:db8::1]:3478",
    "turn:[2001:db8::1]",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
    g_autoptr(GError) error = NULL;
    if (!ims_turn_uri_check(good[i], &error))
      fail_msg("%s refused: %s", good[i], error->message);
  }
}

static void
test_uri_check_refuses(void **state)
{
  const char *bad[] = {
    "",
    "stun:stun.example.com:3478", /* not TURN */
    "http://turn.example.com",
    "turn:", /* no host */
    "turn::3478",
    "turn:turn.example.com:0", /* port out of range */
    "turn:turn.example.com:65536",
    "turn:turn.example.com:34x8",
    "turn:turn.example.com?transport=sctp",
    "turn:turn.example.com:3478?foo=bar",
    "turn:user@turn.example.com", /* no userinfo in a TURN URI */
    "turn:turn example.com",
    "turn:[2001:db8::1", /* unclosed */
    "turn:[2001:db8::1]x",
    "turn:2001:db8::1", /* IPv6 must be bracketed */
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) error = NULL;
    if (ims_turn_uri_check(bad[i], &error))
      fail_msg("“%s” accepted", bad[i]);
    assert_true(g_error_matches(error, IMS_TURN_ERROR, IMS_TURN_ERROR_BAD_URI));
    assert_non_null(strstr(error->message, "is not a TURN URI"));
  }
}

static void
test_servers_parse(void **state)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) servers = ims_turn_servers_parse(
      " turn:a.example:3478?transport=udp , ,turns:b.example:5349?transport=tcp", &error);
  assert_non_null(servers);
  assert_int_equal(g_strv_length(servers), 2);
  assert_string_equal(servers[0], "turn:a.example:3478?transport=udp");
  assert_string_equal(servers[1], "turns:b.example:5349?transport=tcp");

  g_auto(GStrv) none = ims_turn_servers_parse("", &error);
  assert_non_null(none);
  assert_int_equal(g_strv_length(none), 0);
  g_auto(GStrv) null_list = ims_turn_servers_parse(NULL, &error);
  assert_int_equal(g_strv_length(null_list), 0);

  assert_null(ims_turn_servers_parse("turn:a.example,stun:b.example", &error));
  assert_true(g_error_matches(error, IMS_TURN_ERROR, IMS_TURN_ERROR_BAD_URI));
  assert_non_null(strstr(error->message, "stun:b.example"));
}

static char *
to_text(JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new();
  json_generator_set_root(generator, node);
  json_node_unref(node);
  return json_generator_to_data(generator, NULL);
}

static void
test_ice_servers_json(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsIceServers) servers = ims_ice_servers_new(
      "turn:192.0.2.1:3478?transport=udp,turn:192.0.2.1:3478?transport=tcp",
      "coturn-static-auth-secret", 300, &error);
  assert_non_null(servers);
  /* expiry = now + ttl: 1699999700 + 300 = the vector's 1700000000 */
  g_autofree char *text = to_text(
      ims_ice_servers_to_json(servers, "5f2b6c1e-1111-4222-8333-944445555666", 1699999700));
  assert_string_equal(
      text,
      "[{\"urls\":[\"turn:192.0.2.1:3478?transport=udp\",\"turn:192.0.2.1:3478?transport=tcp\"],"
      "\"username\":\"1700000000:5f2b6c1e-1111-4222-8333-944445555666\","
      "\"credential\":\"kzBWkOIn/97JC34KoqPmiOIX1Fw=\"}]");
}

static void
test_ice_servers_without_secret_or_servers(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsIceServers) no_secret = ims_ice_servers_new("turn:192.0.2.1", "", 300, &error);
  g_autofree char *urls_only = to_text(ims_ice_servers_to_json(no_secret, "s", 1000));
  assert_string_equal(urls_only, "[{\"urls\":[\"turn:192.0.2.1\"]}]");

  g_autoptr(ImsIceServers) empty = ims_ice_servers_new("", "secret", 300, &error);
  g_autofree char *none = to_text(ims_ice_servers_to_json(empty, "s", 1000));
  assert_string_equal(none, "[]");
  g_autofree char *null_set = to_text(ims_ice_servers_to_json(NULL, "s", 1000));
  assert_string_equal(null_set, "[]");

  assert_null(ims_ice_servers_new("turn:ok.example,turn:bad example", "secret", 300, &error));
  assert_true(g_error_matches(error, IMS_TURN_ERROR, IMS_TURN_ERROR_BAD_URI));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_mint_known_vectors),
    cmocka_unit_test(test_uri_check_accepts),
    cmocka_unit_test(test_uri_check_refuses),
    cmocka_unit_test(test_servers_parse),
    cmocka_unit_test(test_ice_servers_json),
    cmocka_unit_test(test_ice_servers_without_secret_or_servers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
