/* Unit tests for the [media] reachability keys of server/config/config.c
 * (docs/ingest.md "Reachability"): ice_interfaces, public_ip, ice_tcp,
 * turn_servers, turn_secret, turn_credential_ttl_seconds.  Their own file
 * beside test-config.c (the table's general behaviour): defaults, file and
 * environment, and the refusals naming the key. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"

static int
setup(void **state)
{
  *state = ims_config_new();
  return 0;
}

static int
teardown(void **state)
{
  ims_config_free(*state);
  return 0;
}

static void
test_defaults(void **state)
{
  ImsConfig *config = *state;
  assert_string_equal(config->ice_interfaces, "");
  assert_string_equal(config->public_ip, "");
  assert_int_equal(config->ice_tcp, 0);
  assert_string_equal(config->turn_servers, "");
  assert_string_equal(config->turn_secret, "");
  assert_int_equal(config->turn_credential_ttl_seconds, 86400);
}

static void
test_file_sets_every_key(void **state)
{
  ImsConfig *config = *state;
  g_autoptr(GError) error = NULL;
  const char *text =
      "[media]\n"
      "ice_interfaces=127.0.0.1, lo\n"
      "public_ip=203.0.113.7\n"
      "ice_tcp=1\n"
      "turn_servers=turn:turn.example.com:3478?transport=udp,turns:turn.example.com:5349?transport=tcp\n"
      "turn_secret=coturn-static-auth-secret\n"
      "turn_credential_ttl_seconds=3600\n";
  if (!ims_config_load_data(config, text, -1, "reach.conf", &error))
    fail_msg("%s", error->message);
  assert_string_equal(config->ice_interfaces, "127.0.0.1, lo");
  assert_string_equal(config->public_ip, "203.0.113.7");
  assert_int_equal(config->ice_tcp, 1);
  assert_string_equal(
      config->turn_servers,
      "turn:turn.example.com:3478?transport=udp,turns:turn.example.com:5349?transport=tcp");
  assert_string_equal(config->turn_secret, "coturn-static-auth-secret");
  assert_int_equal(config->turn_credential_ttl_seconds, 3600);

  /* ice_tcp is a boolean: every spelling of one */
  assert_true(ims_config_load_data(config, "[media]\nice_tcp=no\n", -1, "reach.conf", &error));
  assert_false(config->ice_tcp);
  assert_true(ims_config_load_data(config, "[media]\nice_tcp=True\n", -1, "reach.conf", &error));
  assert_true(config->ice_tcp);

  /* an IPv6 public address is an address too */
  assert_true(
      ims_config_load_data(config, "[media]\npublic_ip=2001:db8::7\n", -1, "v6.conf", &error));
  assert_string_equal(config->public_ip, "2001:db8::7");
}

/* Each bad value is refused naming the file, the key and why; nothing changes. */
static void
test_bad_values_are_refused(void **state)
{
  ImsConfig *config = *state;
  static const struct {
    const char *line;
    const char *why;
  } cases[] = {
    { "public_ip=turn.example.com", "is not an IP address" },
    { "public_ip=203.0.113.300", "is not an IP address" },
    { "ice_interfaces=127.0.0.1,no-such-interface0", "neither an IP address nor an interface" },
    { "ice_tcp=2", "ice_tcp" },
    { "turn_servers=stun:stun.example.com:3478", "is not a TURN URI" },
    { "turn_servers=turn:ok.example.com,turn:bad host", "is not a TURN URI" },
    { "turn_credential_ttl_seconds=59", "turn_credential_ttl_seconds" },
    { "turn_credential_ttl_seconds=604801", "turn_credential_ttl_seconds" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autofree char *text = g_strdup_printf("[media]\n%s\n", cases[i].line);
    if (ims_config_load_data(config, text, -1, "bad.conf", &error))
      fail_msg("accepted: %s", cases[i].line);
    assert_true(g_error_matches(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_BAD_VALUE));
    assert_non_null(strstr(error->message, "bad.conf:2: [media]"));
    if (strstr(error->message, cases[i].why) == NULL)
      fail_msg("%s: “%s” does not say “%s”", cases[i].line, error->message, cases[i].why);
    assert_string_equal(config->public_ip, "");
    assert_string_equal(config->turn_servers, "");
  }
}

static void
test_environment(void **state)
{
  ImsConfig *config = *state;
  g_autoptr(GError) error = NULL;
  char *good[] = {
    "IMSD_MEDIA_PUBLIC_IP=198.51.100.4",
    "IMSD_MEDIA_ICE_TCP=1",
    "IMSD_MEDIA_TURN_SERVERS=turn:198.51.100.5:3478?transport=tcp",
    "IMSD_MEDIA_TURN_SECRET=s3cr3t",
    "IMSD_MEDIA_TURN_CREDENTIAL_TTL_SECONDS=600",
    "IMSD_MEDIA_ICE_INTERFACES=lo",
    NULL,
  };
  if (!ims_config_apply_environment(config, good, &error))
    fail_msg("%s", error->message);
  assert_string_equal(config->public_ip, "198.51.100.4");
  assert_int_equal(config->ice_tcp, 1);
  assert_string_equal(config->turn_servers, "turn:198.51.100.5:3478?transport=tcp");
  assert_string_equal(config->turn_secret, "s3cr3t");
  assert_int_equal(config->turn_credential_ttl_seconds, 600);
  assert_string_equal(config->ice_interfaces, "lo");

  char *bad[] = { "IMSD_MEDIA_TURN_SERVERS=turn:", NULL };
  g_autoptr(GError) bad_error = NULL;
  assert_false(ims_config_apply_environment(config, bad, &bad_error));
  assert_true(g_error_matches(bad_error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_BAD_VALUE));
  assert_non_null(strstr(bad_error->message, "IMSD_MEDIA_TURN_SERVERS"));
  assert_string_equal(config->turn_servers, "turn:198.51.100.5:3478?transport=tcp");
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
    cmocka_unit_test_setup_teardown(test_file_sets_every_key, setup, teardown),
    cmocka_unit_test_setup_teardown(test_bad_values_are_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(test_environment, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
