/* Unit tests for the listener's TLS: the [server] tls_cert_file and
 * tls_key_file keys of server/config/config.c (defaults, file and
 * environment, set together or not at all) and server/tls.c's check of the
 * pair (readable, PEM, the key is the certificate's) that start-up and a
 * SIGHUP reload rely on.  Certificates are made here with OpenSSL in a
 * temporary directory that teardown removes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "config.h"
#include "tls.h"

#define GOOD_SECRET "0123456789abcdef0123456789abcdef"

typedef struct {
  ImsConfig *config;
  char *directory;
} Fixture;

static int
setup(void **state)
{
  Fixture *fixture = g_new0(Fixture, 1);
  fixture->config = ims_config_new();
  fixture->directory = g_dir_make_tmp("test-tls-XXXXXX", NULL);
  assert_non_null(fixture->directory);
  *state = fixture;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *fixture = *state;
  g_autoptr(GDir) dir = g_dir_open(fixture->directory, 0, NULL);
  for (const char *name; dir && (name = g_dir_read_name(dir));) {
    g_autofree char *path = g_build_filename(fixture->directory, name, NULL);
    g_unlink(path);
  }
  g_rmdir(fixture->directory);
  g_free(fixture->directory);
  ims_config_free(fixture->config);
  g_free(fixture);
  return 0;
}

static void
assert_contains(const char *haystack, const char *needle)
{
  if (strstr(haystack, needle) == NULL)
    fail_msg("“%s” does not contain “%s”", haystack, needle);
}

/* A certificate's and a key's PEM files. */
typedef struct {
  char *cert;
  char *key;
} Pair;

static void
pair_clear(Pair *pair)
{
  g_free(pair->cert);
  g_free(pair->key);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Pair, pair_clear)

static char *
path_of(Fixture *fixture, const char *name)
{
  return g_build_filename(fixture->directory, name, NULL);
}

/* Writes NAME.key (a new P-256 key) and NAME.pem (a self-signed certificate
 * of that key with CN=cn) into the fixture's directory; returns their paths. */
static Pair
make_pair(Fixture *fixture, const char *name, const char *cn)
{
  EVP_PKEY *key = EVP_EC_gen("P-256");
  assert_non_null(key);
  X509 *certificate = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(certificate), 1);
  X509_gmtime_adj(X509_getm_notBefore(certificate), 0);
  X509_gmtime_adj(X509_getm_notAfter(certificate), 3600);
  X509_set_pubkey(certificate, key);
  X509_NAME *subject = X509_get_subject_name(certificate);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, (const unsigned char *) cn, -1, -1, 0);
  X509_set_issuer_name(certificate, subject);
  assert_true(X509_sign(certificate, key, EVP_sha256()) > 0);

  g_autofree char *key_name = g_strdup_printf("%s.key", name);
  g_autofree char *cert_name = g_strdup_printf("%s.pem", name);
  Pair pair = { .cert = path_of(fixture, cert_name), .key = path_of(fixture, key_name) };
  FILE *file = g_fopen(pair.key, "w");
  assert_non_null(file);
  assert_true(PEM_write_PrivateKey(file, key, NULL, NULL, 0, NULL, NULL));
  fclose(file);
  file = g_fopen(pair.cert, "w");
  assert_non_null(file);
  assert_true(PEM_write_X509(file, certificate));
  fclose(file);
  X509_free(certificate);
  EVP_PKEY_free(key);
  return pair;
}

static void
test_keys_default_to_plain_http(void **state)
{
  Fixture *fixture = *state;
  assert_string_equal(fixture->config->tls_cert_file, "");
  assert_string_equal(fixture->config->tls_key_file, "");
  g_autofree char *text = ims_config_to_string(fixture->config);
  assert_contains(text, "tls_cert_file=\n");
  assert_contains(text, "IMSD_SERVER_TLS_KEY_FILE");
}

static void
test_keys_from_file_and_environment(void **state)
{
  Fixture *fixture = *state;
  g_autoptr(GError) error = NULL;
  const char *text = "[server]\ntls_cert_file=/etc/imsd/cert.pem\ntls_key_file=/etc/imsd/key.pem\n";
  if (!ims_config_load_data(fixture->config, text, -1, "tls.conf", &error))
    fail_msg("%s", error->message);
  assert_string_equal(fixture->config->tls_cert_file, "/etc/imsd/cert.pem");
  assert_string_equal(fixture->config->tls_key_file, "/etc/imsd/key.pem");
  char *envp[] = { "IMSD_SERVER_TLS_CERT_FILE=/run/cert.pem",
                   "IMSD_SERVER_TLS_KEY_FILE=/run/key.pem", NULL };
  if (!ims_config_apply_environment(fixture->config, envp, &error))
    fail_msg("%s", error->message);
  assert_string_equal(fixture->config->tls_cert_file, "/run/cert.pem");
  assert_string_equal(fixture->config->tls_key_file, "/run/key.pem");
}

static void
test_keys_must_be_set_together(void **state)
{
  Fixture *fixture = *state;
  ImsConfig *config = fixture->config;
  g_free(config->service_token);
  config->service_token = g_strdup("service");
  g_free(config->token_secret);
  config->token_secret = g_strdup(GOOD_SECRET);
  assert_true(ims_config_validate(config, NULL));

  g_free(config->tls_cert_file);
  config->tls_cert_file = g_strdup("/etc/imsd/cert.pem");
  g_autoptr(GError) error = NULL;
  assert_false(ims_config_validate(config, &error));
  assert_true(g_error_matches(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_MISSING));
  assert_contains(error->message, "tls_key_file");

  g_free(config->tls_key_file);
  config->tls_key_file = g_strdup("/etc/imsd/key.pem");
  assert_true(ims_config_validate(config, NULL));

  g_free(config->tls_cert_file);
  config->tls_cert_file = g_strdup("");
  g_clear_error(&error);
  assert_false(ims_config_validate(config, &error));
  assert_contains(error->message, "tls_cert_file");
}

static void
test_matching_pair_is_accepted(void **state)
{
  Fixture *fixture = *state;
  g_auto(Pair) a = make_pair(fixture, "a", "imsd.example.test");
  g_autoptr(GError) error = NULL;
  if (!ims_tls_check_files(a.cert, a.key, &error))
    fail_msg("%s", error->message);
  g_autofree char *description = ims_tls_describe_certificate(a.cert);
  assert_non_null(description);
  assert_contains(description, "CN=imsd.example.test");
  assert_contains(description, "sha256 ");
}

static void
test_key_of_another_certificate_is_refused(void **state)
{
  Fixture *fixture = *state;
  g_auto(Pair) a = make_pair(fixture, "a", "a.example.test");
  g_auto(Pair) b = make_pair(fixture, "b", "b.example.test");
  g_autoptr(GError) error = NULL;
  assert_false(ims_tls_check_files(a.cert, b.key, &error));
  assert_true(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA));
  assert_contains(error->message, "is not the private key of the certificate");
  assert_contains(error->message, b.key);
}

static void
test_unreadable_or_not_pem_is_refused(void **state)
{
  Fixture *fixture = *state;
  g_auto(Pair) a = make_pair(fixture, "a", "a.example.test");
  g_autofree char *missing = path_of(fixture, "missing.pem");
  g_autofree char *garbage = path_of(fixture, "garbage.pem");
  assert_true(g_file_set_contents(garbage, "not a PEM file\n", -1, NULL));

  g_autoptr(GError) error = NULL;
  assert_false(ims_tls_check_files(missing, a.key, &error));
  assert_contains(error->message, "tls_cert_file");
  assert_contains(error->message, "cannot be read");
  g_clear_error(&error);
  assert_false(ims_tls_check_files(a.cert, missing, &error));
  assert_contains(error->message, "tls_key_file");
  assert_contains(error->message, "cannot be read");
  g_clear_error(&error);
  assert_false(ims_tls_check_files(garbage, a.key, &error));
  assert_contains(error->message, "holds no PEM certificate");
  g_clear_error(&error);
  /* a certificate is no key */
  assert_false(ims_tls_check_files(a.cert, a.cert, &error));
  assert_contains(error->message, "holds no unencrypted PEM private key");
  assert_null(ims_tls_describe_certificate(missing));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_keys_default_to_plain_http, setup, teardown),
    cmocka_unit_test_setup_teardown(test_keys_from_file_and_environment, setup, teardown),
    cmocka_unit_test_setup_teardown(test_keys_must_be_set_together, setup, teardown),
    cmocka_unit_test_setup_teardown(test_matching_pair_is_accepted, setup, teardown),
    cmocka_unit_test_setup_teardown(test_key_of_another_certificate_is_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(test_unreadable_or_not_pem_is_refused, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
