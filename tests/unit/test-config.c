/* test-config.c: unit tests for server/config/config.c (defaults, INI file, environment, validation,
 * to_string round trip, and the shipped etc/imsd.conf.example). Each test gets a fresh default config and
 * a private temporary directory from setup; teardown removes both. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "config.h"
#include "imsd-build.h"

#define GOOD_SECRET "0123456789abcdef0123456789abcdef"

typedef struct {
  ImsConfig *config;
  char *directory;
  char *path; /* directory/imsd.conf, written by write_config() */
} Fixture;

static int
setup(void **state)
{
  Fixture *fixture = g_new0(Fixture, 1);
  fixture->config = ims_config_new();
  fixture->directory = g_dir_make_tmp("test-config-XXXXXX", NULL);
  assert_non_null(fixture->directory);
  fixture->path = g_build_filename(fixture->directory, "imsd.conf", NULL);
  *state = fixture;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *fixture = *state;
  g_unlink(fixture->path);
  g_rmdir(fixture->directory);
  g_free(fixture->path);
  g_free(fixture->directory);
  ims_config_free(fixture->config);
  g_free(fixture);
  return 0;
}

static void
write_config(Fixture *fixture, const char *text)
{
  assert_true(g_file_set_contents(fixture->path, text, -1, NULL));
}

static void
assert_contains(const char *haystack, const char *needle)
{
  if (strstr(haystack, needle) == NULL)
    fail_msg("“%s” does not contain “%s”", haystack, needle);
}

static void
test_defaults(void **state)
{
  Fixture *fixture = *state;
  ImsConfig *config = fixture->config;
  assert_string_equal(config->listen_address, "0.0.0.0");
  assert_int_equal(config->port, 8080);
  assert_string_equal(config->public_url, "http://127.0.0.1:8080");
  assert_string_equal(config->web_root, IMSD_SOURCE_DIR "/web-test-client");
  assert_string_equal(config->spool_dir, "/var/spool/imsd");
  assert_int_equal(config->max_message_bytes, 65536);
  assert_int_equal(config->max_body_bytes, 1048576);
  assert_string_equal(config->service_token, "");
  assert_string_equal(config->token_secret, "");
  assert_int_equal(config->token_ttl_seconds, 604800);
  assert_string_equal(config->database_url, "postgresql:///imsd");
  assert_int_equal(config->media_loops, 0);
  assert_int_equal(config->target_bitrate_kbps, 2500);
  assert_int_equal(config->no_media_timeout_seconds, 10);
  assert_int_equal(config->video_start_bitrate_kbps, 2500);
  assert_int_equal(config->max_width, 1280);
  assert_int_equal(config->max_height, 720);
  assert_int_equal(config->max_frame_rate, 30);
  assert_int_equal(config->default_think_seconds, 30);
  assert_int_equal(config->default_max_retakes, 1);
  assert_int_equal(config->shutdown_timeout_seconds, 10);
  assert_string_equal(config->log_level, "info");
}

static void
test_load_file(void **state)
{
  Fixture *fixture = *state;
  write_config(fixture, "# comment\n"
                        "[server]\n"
                        "port = 9090\n"
                        "public_url=https://interviews.example.com\n"
                        "[auth]\n"
                        "token_secret=" GOOD_SECRET "\n"
                        "[media]\n"
                        "media_loops=3\n"
                        "max_frame_rate=60\n"
                        "[log]\n"
                        "log_level=debug\n");
  g_autoptr(GError) error = NULL;
  assert_true(ims_config_load_file(fixture->config, fixture->path, &error));
  assert_null(error);
  assert_int_equal(fixture->config->port, 9090);
  assert_string_equal(fixture->config->public_url, "https://interviews.example.com");
  assert_string_equal(fixture->config->token_secret, GOOD_SECRET);
  assert_int_equal(fixture->config->media_loops, 3);
  assert_int_equal(fixture->config->max_frame_rate, 60);
  assert_string_equal(fixture->config->log_level, "debug");
  /* Keys the file does not name keep their defaults. */
  assert_string_equal(fixture->config->listen_address, "0.0.0.0");
  assert_int_equal(fixture->config->max_height, 720);
}

static void
test_load_missing_file(void **state)
{
  Fixture *fixture = *state;
  g_autoptr(GError) error = NULL;
  assert_false(ims_config_load_file(fixture->config, fixture->path, &error));
  assert_true(g_error_matches(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_PARSE));
  assert_contains(error->message, fixture->path);
}

static void
test_unknown_key_names_file_line_group_key(void **state)
{
  Fixture *fixture = *state;
  write_config(fixture, "[server]\n"
                        "port=9999\n"
                        "\n"
                        "prot=80\n");
  g_autoptr(GError) error = NULL;
  assert_false(ims_config_load_file(fixture->config, fixture->path, &error));
  assert_true(g_error_matches(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_UNKNOWN_KEY));
  g_autofree char *where = g_strdup_printf("%s:4:", fixture->path);
  assert_contains(error->message, where);
  assert_contains(error->message, "[server] prot");
  /* Nothing is applied from a file that fails, not even the good key before the bad one. */
  assert_int_equal(fixture->config->port, 8080);
}

static void
test_unknown_group(void **state)
{
  Fixture *fixture = *state;
  write_config(fixture, "[server]\nport=1234\n[servr]\nport=80\n");
  g_autoptr(GError) error = NULL;
  assert_false(ims_config_load_file(fixture->config, fixture->path, &error));
  assert_true(g_error_matches(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_UNKNOWN_KEY));
  g_autofree char *where = g_strdup_printf("%s:3:", fixture->path);
  assert_contains(error->message, where);
  assert_contains(error->message, "[servr]");
  assert_int_equal(fixture->config->port, 8080);
}

static void
test_bad_int(void **state)
{
  Fixture *fixture = *state;
  const char *bad_files[] = {
    "[server]\nlisten_address=::\nport=80a\n",
    "[server]\nlisten_address=::\nport=70000\n",
    "[server]\nlisten_address=::\nport=\n",
    "[server]\nlisten_address=::\nport=0x50\n",
    "[server]\nlisten_address=::\nport=99999999999999999999\n",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad_files); i++) {
    write_config(fixture, bad_files[i]);
    g_autoptr(GError) error = NULL;
    assert_false(ims_config_load_file(fixture->config, fixture->path, &error));
    assert_true(g_error_matches(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_BAD_VALUE));
    g_autofree char *where = g_strdup_printf("%s:3: [server] port", fixture->path);
    assert_contains(error->message, where);
    assert_string_equal(fixture->config->listen_address, "0.0.0.0");
    assert_int_equal(fixture->config->port, 8080);
  }
}

static void
test_bad_string_values_in_file(void **state)
{
  Fixture *fixture = *state;
  const char *bad_files[] = {
    "[server]\npublic_url=ftp://example.com\n",
    "[log]\nlog_level=verbose\n",
    "[auth]\ntoken_secret=short\n",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad_files); i++) {
    write_config(fixture, bad_files[i]);
    g_autoptr(GError) error = NULL;
    assert_false(ims_config_load_file(fixture->config, fixture->path, &error));
    assert_true(g_error_matches(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_BAD_VALUE));
    g_autofree char *where = g_strdup_printf("%s:2:", fixture->path);
    assert_contains(error->message, where);
  }
}

static void
test_syntax_error(void **state)
{
  Fixture *fixture = *state;
  write_config(fixture, "[server]\nthis line is not a key\n");
  g_autoptr(GError) error = NULL;
  assert_false(ims_config_load_file(fixture->config, fixture->path, &error));
  assert_true(g_error_matches(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_PARSE));
  assert_contains(error->message, fixture->path);
}

static void
test_environment_override(void **state)
{
  Fixture *fixture = *state;
  char *envp[] = {
    "PATH=/usr/bin",
    "IMSD_SERVER_PORT=9000",
    "IMSD_AUTH_TOKEN_SECRET=" GOOD_SECRET,
    "IMSD_AUTH_SERVICE_TOKEN=service-bearer",
    "IMSD_DATABASE_DATABASE_URL=host=db dbname=imsd",
    "IMSD_STORAGE_S3_REGION=eu-west-1",
    "IMSD_CONFIG=/etc/imsd/imsd.conf",
    "IMSD_RUN_DIR=/run/imsd",
    "IMSD_TEST_PG=postgresql:///test",
    "IMSD_BUILD_DIR=/work/main/build",
    "IMSD_PG_PORT=55432",
    "IMSD_NO_EQUALS_SIGN",
    NULL,
  };
  g_autoptr(GError) error = NULL;
  assert_true(ims_config_apply_environment(fixture->config, envp, &error));
  assert_null(error);
  assert_int_equal(fixture->config->port, 9000);
  assert_string_equal(fixture->config->token_secret, GOOD_SECRET);
  assert_string_equal(fixture->config->service_token, "service-bearer");
  assert_string_equal(fixture->config->database_url, "host=db dbname=imsd");
  assert_string_equal(fixture->config->s3_region, "eu-west-1");
  assert_true(ims_config_validate(fixture->config, &error));

  /* The environment wins over the file when applied after it. */
  write_config(fixture, "[server]\nport=7000\n");
  assert_true(ims_config_load_file(fixture->config, fixture->path, &error));
  assert_int_equal(fixture->config->port, 7000);
  char *port_only[] = { "IMSD_SERVER_PORT=7001", NULL };
  assert_true(ims_config_apply_environment(fixture->config, port_only, &error));
  assert_int_equal(fixture->config->port, 7001);
}

static void
test_environment_bad_value(void **state)
{
  Fixture *fixture = *state;
  char *envp[] = {
    "IMSD_SERVER_LISTEN_ADDRESS=127.0.0.1",
    "IMSD_SERVER_PORT=80x",
    NULL,
  };
  g_autoptr(GError) error = NULL;
  assert_false(ims_config_apply_environment(fixture->config, envp, &error));
  assert_true(g_error_matches(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_BAD_VALUE));
  assert_contains(error->message, "IMSD_SERVER_PORT");
  assert_string_equal(fixture->config->listen_address, "0.0.0.0");
  assert_int_equal(fixture->config->port, 8080);

  char *range[] = { "IMSD_MEDIA_MAX_FRAME_RATE=0", NULL };
  g_clear_error(&error);
  assert_false(ims_config_apply_environment(fixture->config, range, &error));
  assert_true(g_error_matches(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_BAD_VALUE));
  assert_contains(error->message, "IMSD_MEDIA_MAX_FRAME_RATE");
  assert_int_equal(fixture->config->max_frame_rate, 30);
}

static void
test_environment_unknown_variable(void **state)
{
  Fixture *fixture = *state;
  char *envp[] = { "IMSD_SERVER_PROT=80", NULL };
  g_autoptr(GError) error = NULL;
  assert_false(ims_config_apply_environment(fixture->config, envp, &error));
  assert_true(g_error_matches(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_UNKNOWN_KEY));
  assert_contains(error->message, "IMSD_SERVER_PROT");

  /* Lower case is not accepted either: the names are IMSD_<GROUP>_<KEY> uppercase. */
  char *lower[] = { "IMSD_server_port=80", NULL };
  g_clear_error(&error);
  assert_false(ims_config_apply_environment(fixture->config, lower, &error));
  assert_true(g_error_matches(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_UNKNOWN_KEY));
  assert_int_equal(fixture->config->port, 8080);
}

static void
set_string(char **field, const char *value)
{
  g_free(*field);
  *field = g_strdup(value);
}

static void
test_validate(void **state)
{
  Fixture *fixture = *state;
  ImsConfig *config = fixture->config;
  g_autoptr(GError) error = NULL;

  set_string(&config->service_token, "service-bearer");
  assert_false(ims_config_validate(config, &error));
  assert_true(g_error_matches(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_MISSING));
  assert_contains(error->message, "token_secret");
  assert_contains(error->message, "IMSD_AUTH_TOKEN_SECRET");
  g_clear_error(&error);

  set_string(&config->token_secret, "31-bytes-is-one-byte-too-short!");
  assert_int_equal(strlen(config->token_secret), 31);
  assert_false(ims_config_validate(config, &error));
  assert_true(g_error_matches(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_BAD_VALUE));
  assert_contains(error->message, "token_secret");
  g_clear_error(&error);

  set_string(&config->token_secret, GOOD_SECRET);
  assert_true(ims_config_validate(config, &error));
  assert_null(error);

  set_string(&config->service_token, "");
  assert_false(ims_config_validate(config, &error));
  assert_true(g_error_matches(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_MISSING));
  assert_contains(error->message, "service_token");
  g_clear_error(&error);
  set_string(&config->service_token, "service-bearer");

  config->port = 0;
  assert_false(ims_config_validate(config, &error));
  assert_contains(error->message, "port");
  g_clear_error(&error);
  config->port = 65536;
  assert_false(ims_config_validate(config, &error));
  g_clear_error(&error);
  config->port = 65535;
  assert_true(ims_config_validate(config, NULL));

  config->max_body_bytes = -1;
  assert_false(ims_config_validate(config, &error));
  assert_contains(error->message, "max_body_bytes");
  g_clear_error(&error);
  config->max_body_bytes = 1048576;

  const char *bad_urls[] = { "ftp://example.com", "example.com", "http://", "" };
  for (gsize i = 0; i < G_N_ELEMENTS(bad_urls); i++) {
    set_string(&config->public_url, bad_urls[i]);
    assert_false(ims_config_validate(config, &error));
    assert_true(g_error_matches(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_BAD_VALUE));
    assert_contains(error->message, "public_url");
    g_clear_error(&error);
  }
  set_string(&config->public_url, "https://example.com:8443/imsd");
  assert_true(ims_config_validate(config, NULL));

  set_string(&config->log_level, "loud");
  assert_false(ims_config_validate(config, &error));
  assert_contains(error->message, "log_level");
  g_clear_error(&error);
}

static void
test_to_string_round_trip(void **state)
{
  Fixture *fixture = *state;
  ImsConfig *config = fixture->config;
  set_string(&config->listen_address, "::1");
  config->port = 1;
  set_string(&config->spool_dir, " /path with spaces\tand\\backslash #not-a-comment ");
  set_string(&config->service_token, "line one\nline two; é ☃");
  set_string(&config->token_secret, GOOD_SECRET "=[x]");
  set_string(&config->database_url, "host=db port=5433 dbname=imsd");
  set_string(&config->s3_region, "eu-west-1");
  config->max_width = 7680;
  config->media_loops = 64;
  config->default_max_retakes = 0;
  set_string(&config->log_level, "warning");

  g_autofree char *text = ims_config_to_string(config);
  assert_non_null(text);
  assert_contains(text, "[server]");
  assert_contains(text, "IMSD_AUTH_TOKEN_SECRET");

  g_autoptr(ImsConfig) copy = ims_config_new();
  g_autoptr(GError) error = NULL;
  if (!ims_config_load_data(copy, text, -1, "round-trip", &error))
    fail_msg("%s\n%s", error->message, text);
  assert_string_equal(copy->listen_address, "::1");
  assert_int_equal(copy->port, 1);
  assert_string_equal(copy->spool_dir, config->spool_dir);
  assert_string_equal(copy->service_token, config->service_token);
  assert_string_equal(copy->token_secret, config->token_secret);
  assert_string_equal(copy->database_url, config->database_url);
  assert_string_equal(copy->s3_region, config->s3_region);
  assert_int_equal(copy->max_width, 7680);
  assert_int_equal(copy->media_loops, 64);
  assert_int_equal(copy->default_max_retakes, 0);
  assert_string_equal(copy->log_level, "warning");
  g_autofree char *again = ims_config_to_string(copy);
  assert_string_equal(again, text);
}

/* The boolean keys, with the field each one sets. */
static const struct {
  const char *group, *key, *variable;
  size_t offset;
} boolean_keys[] = {
  { "storage", "s3_use_tls", "IMSD_STORAGE_S3_USE_TLS", offsetof(ImsConfig, s3_use_tls) },
  { "storage", "s3_path_style", "IMSD_STORAGE_S3_PATH_STYLE", offsetof(ImsConfig, s3_path_style) },
  { "storage", "upload_original", "IMSD_STORAGE_UPLOAD_ORIGINAL",
    offsetof(ImsConfig, upload_original) },
};

static gboolean
boolean_field(const ImsConfig *config, gsize i)
{
  return *(const gboolean *) ((const guint8 *) config + boolean_keys[i].offset);
}

/* Booleans accept true/false/yes/no/1/0 in any case, in a file and in the environment, for every boolean
 * key ("s3_use_tls=yes" was refused as "not a signed number"); anything else is refused naming the key. */
static void
test_booleans(void **state)
{
  Fixture *fixture = *state;
  static const struct {
    const char *text;
    gboolean value;
  } spellings[] = {
    { "true", TRUE },   { "TRUE", TRUE }, { "True", TRUE },  { "yes", TRUE },
    { "YES", TRUE },    { "1", TRUE },    { " yes ", TRUE }, { "false", FALSE },
    { "False", FALSE }, { "no", FALSE },  { "No", FALSE },   { "0", FALSE },
  };
  for (gsize k = 0; k < G_N_ELEMENTS(boolean_keys); k++) {
    for (gsize s = 0; s < G_N_ELEMENTS(spellings); s++) {
      g_autoptr(ImsConfig) config = ims_config_new();
      g_autofree char *text = g_strdup_printf("[%s]\n%s=%s\n", boolean_keys[k].group,
                                              boolean_keys[k].key, spellings[s].text);
      g_autoptr(GError) error = NULL;
      if (!ims_config_load_data(config, text, -1, "bool.conf", &error))
        fail_msg("%s: %s", text, error->message);
      assert_int_equal(boolean_field(config, k), spellings[s].value);

      g_autoptr(ImsConfig) from_environment = ims_config_new();
      g_autofree char *entry = g_strdup_printf("%s=%s", boolean_keys[k].variable, spellings[s].text);
      char *envp[] = { entry, "IMSD_AUTH_SERVICE_TOKEN=bearer",
                       "IMSD_AUTH_TOKEN_SECRET=" GOOD_SECRET, NULL };
      if (!ims_config_apply_environment(from_environment, envp, &error))
        fail_msg("%s: %s", entry, error->message);
      assert_int_equal(boolean_field(from_environment, k), spellings[s].value);
      if (!ims_config_validate(from_environment, &error))
        fail_msg("%s: %s", entry, error->message);
    }
    const char *bad[] = { "2", "-1", "maybe", "y", "on", "", "truefalse" };
    for (gsize b = 0; b < G_N_ELEMENTS(bad); b++) {
      g_autofree char *text = g_strdup_printf("[%s]\n%s=%s\n", boolean_keys[k].group,
                                              boolean_keys[k].key, bad[b]);
      g_autoptr(GError) error = NULL;
      g_autofree char *before = ims_config_to_string(fixture->config);
      assert_false(ims_config_load_data(fixture->config, text, -1, "bool.conf", &error));
      assert_true(g_error_matches(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_BAD_VALUE));
      g_autofree char *where = g_strdup_printf("bool.conf:2: [%s] %s", boolean_keys[k].group,
                                               boolean_keys[k].key);
      assert_contains(error->message, where);
      assert_contains(error->message, "true, false, yes, no, 1 or 0");
      g_autofree char *after = ims_config_to_string(fixture->config);
      assert_string_equal(before, after);
    }
  }
}

static void
assert_lacks(const char *haystack, const char *needle)
{
  if (strstr(haystack, needle) != NULL)
    fail_msg("“%s” shows “%s”", haystack, needle);
}

/* --print-config (ims_config_to_redacted_string) hides every secret: the secret keys whole, the password
 * in a database URL or conninfo and the secret Kafka properties; the rest shows as it is. */
static void
test_redacted_string(void **state)
{
  Fixture *fixture = *state;
  ImsConfig *config = fixture->config;
  set_string(&config->service_token, "svc-bearer-XYZ");
  set_string(&config->token_secret, GOOD_SECRET "-TOKEN");
  set_string(&config->s3_access_key, "AKIAEXAMPLE");
  set_string(&config->s3_secret_key, "s3-secret-ABC");
  set_string(&config->database_url,
             "postgresql://imsd:db-pass-1@db.example:5432/imsd?sslmode=require&password=db-pass-2");
  set_string(
      &config->properties,
      "security.protocol=SASL_SSL;sasl.username=imsd;sasl.password=kafka-pass; SSL.Key.Password = key-pass");
  set_string(&config->jwt_secret, "");
  g_autofree char *text = ims_config_to_redacted_string(config);
  const char *secrets[] = { "svc-bearer-XYZ", GOOD_SECRET,  "s3-secret-ABC", "db-pass-1",
                            "db-pass-2",      "kafka-pass", "key-pass" };
  for (gsize i = 0; i < G_N_ELEMENTS(secrets); i++)
    assert_lacks(text, secrets[i]);
  g_autoptr(GKeyFile) printed = g_key_file_new();
  assert_true(g_key_file_load_from_data(printed, text, -1, G_KEY_FILE_NONE, NULL));
  const struct {
    const char *group, *key, *value;
  } shown[] = {
    { "auth", "service_token", "<redacted>" },
    { "auth", "token_secret", "<redacted>" },
    { "storage", "s3_access_key", "AKIAEXAMPLE" },
    { "storage", "s3_secret_key", "<redacted>" },
    { "review", "jwt_secret", "" }, /* not set: shown empty */
    { "database", "database_url",
      "postgresql://imsd:<redacted>@db.example:5432/imsd?sslmode=require&password=<redacted>" },
    { "kafka", "properties",
      "security.protocol=SASL_SSL;sasl.username=imsd;sasl.password=<redacted>; SSL.Key.Password =<redacted>" },
    { "server", "listen_address", "0.0.0.0" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(shown); i++) {
    g_autofree char *value = g_key_file_get_string(printed, shown[i].group, shown[i].key, NULL);
    assert_non_null(value);
    assert_string_equal(value, shown[i].value);
  }
  /* a key named like a secret (a new one too) is never shown */
  g_auto(GStrv) groups = g_key_file_get_groups(printed, NULL);
  for (char **group = groups; *group != NULL; group++) {
    g_auto(GStrv) names = g_key_file_get_keys(printed, *group, NULL, NULL);
    for (char **name = names; *name != NULL; name++) {
      if (strstr(*name, "secret") == NULL && strstr(*name, "password") == NULL &&
          !g_str_has_suffix(*name, "_token"))
        continue;
      g_autofree char *value = g_key_file_get_string(printed, *group, *name, NULL);
      if (value[0] != '\0' && g_strcmp0(value, "<redacted>") != 0)
        fail_msg("[%s] %s is shown: %s", *group, *name, value);
    }
  }
  assert_int_equal(g_key_file_get_integer(printed, "server", "port", NULL), 8080);

  /* libpq's key=value conninfo, quoted values with escapes */
  set_string(&config->database_url,
             "host=db user=imsd password='p a\\'ss word' dbname=imsd sslpassword=x2");
  g_autofree char *conninfo = ims_config_to_redacted_string(config);
  assert_contains(
      conninfo,
      "database_url=host=db user=imsd password=<redacted> dbname=imsd sslpassword=<redacted>\n");
  set_string(&config->database_url, "postgresql:///imsd");
  g_autofree char *plain = ims_config_to_redacted_string(config);
  assert_contains(plain, "database_url=postgresql:///imsd\n");
  set_string(&config->database_url, "host=db password");
  g_autofree char *malformed = ims_config_to_redacted_string(config);
  assert_contains(malformed, "database_url=<redacted> (not key=value)\n");

  /* ims_config_to_string() still writes them (it is what loads back) */
  g_autofree char *full = ims_config_to_string(config);
  assert_contains(full, "svc-bearer-XYZ");
  assert_contains(full, "kafka-pass");
}

/* [log] format (text|json) and gstreamer (empty, or a GST_DEBUG threshold list GStreamer reads). */
static void
test_log_keys(void **state)
{
  Fixture *fixture = *state;
  assert_string_equal(fixture->config->log_format, "text");
  assert_string_equal(fixture->config->log_gstreamer, "");
  g_autoptr(GError) error = NULL;
  if (!ims_config_load_data(fixture->config,
                            "[log]\nformat=json\ngstreamer=WARNING,qtmux:5, *sink*:DEBUG\n", -1,
                            "log.conf", &error))
    fail_msg("%s", error->message);
  assert_string_equal(fixture->config->log_format, "json");
  assert_string_equal(fixture->config->log_gstreamer, "WARNING,qtmux:5, *sink*:DEBUG");
  char *envp[] = { "IMSD_LOG_FORMAT=text", "IMSD_LOG_GSTREAMER=2", NULL };
  assert_true(ims_config_apply_environment(fixture->config, envp, &error));
  assert_string_equal(fixture->config->log_format, "text");
  assert_string_equal(fixture->config->log_gstreamer, "2");

  const char *bad[] = { "[log]\nformat=xml\n",          "[log]\nformat=JSON\n",
                        "[log]\ngstreamer=warning\n",   "[log]\ngstreamer=qtmux:\n",
                        "[log]\ngstreamer=:5\n",        "[log]\ngstreamer=2,,3\n",
                        "[log]\ngstreamer=qtmux:5:6\n", "[log]\ngstreamer=loud\n" };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_clear_error(&error);
    if (ims_config_load_data(fixture->config, bad[i], -1, "log.conf", &error))
      fail_msg("accepted: %s", bad[i]);
    assert_true(g_error_matches(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_BAD_VALUE));
    assert_contains(error->message, "log.conf:2: [log]");
  }
  assert_string_equal(fixture->config->log_format, "text");
  assert_string_equal(fixture->config->log_gstreamer, "2");
  /* an empty format is refused by validation (like every string key that may not be empty) */
  g_clear_error(&error);
  char *empty[] = { "IMSD_LOG_FORMAT=", "IMSD_AUTH_SERVICE_TOKEN=bearer",
                    "IMSD_AUTH_TOKEN_SECRET=" GOOD_SECRET, NULL };
  assert_true(ims_config_apply_environment(fixture->config, empty, &error));
  assert_false(ims_config_validate(fixture->config, &error));
  assert_contains(error->message, "[log] format (IMSD_LOG_FORMAT) must not be empty");
}

/* Keys that the example shows commented out because their default depends on the build. */
static const char *const example_commented_keys[] = { "web_root", "profiles_file" };

/* A bad escape in a string value is refused at that key (GKeyFile returned
 * its text and an error at once; the error then lingered and a later error was
 * set over it: found by fuzz-config). */
static void
test_bad_escape_is_refused(void **state)
{
  Fixture *fixture = *state;
  g_autoptr(GError) error = NULL;
  GLogLevelFlags old = g_log_set_always_fatal(G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL);
  const char *text = "[server]\nweb_root=/a\\qb\nno_such_key=1\n";
  gboolean loaded = ims_config_load_data(fixture->config, text, -1, "escape", &error);
  g_log_set_always_fatal(old);
  assert_false(loaded);
  assert_true(g_error_matches(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_BAD_VALUE));
  assert_non_null(strstr(error->message, "web_root"));
}

/* A control character in a string value is refused: the config could not be
 * written back as it is (found by fuzz-config: a secret of form feeds). */
static void
test_control_characters_are_refused(void **state)
{
  Fixture *fixture = *state;
  g_autoptr(GError) error = NULL;
  char *envp[] = { (char *) "IMSD_AUTH_TOKEN_SECRET=\f\f\f0123456789abcdef0123456789abcdef", NULL };
  assert_false(ims_config_apply_environment(fixture->config, envp, &error));
  assert_true(g_error_matches(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_BAD_VALUE));
  g_clear_error(&error);
  char *tab[] = { (char *) "IMSD_AUTH_TOKEN_SECRET=0123456789abcdef\t0123456789abcdef", NULL };
  assert_true(ims_config_apply_environment(fixture->config, tab, &error));
}

typedef struct {
  guint warnings;
  GString *text;
} CapturedWarnings;

static void
capture_warning(const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
  CapturedWarnings *captured = data;
  captured->warnings++;
  g_string_append_printf(captured->text, "%s\n", message);
}

/* The keys of the removed webrtcbin ingest are accepted for one release, in a
 * file and in the environment, each with a warning that names it, and change
 * nothing; the example config and --print-config no longer list them. */
static void
test_retired_keys_are_ignored_with_a_warning(void **state)
{
  Fixture *fixture = *state;
  CapturedWarnings captured = { 0, g_string_new(NULL) };
  guint handler = g_log_set_handler("imsd.config", G_LOG_LEVEL_WARNING, capture_warning, &captured);
  g_autoptr(GError) error = NULL;
  g_autofree char *before = ims_config_to_string(fixture->config);
  gboolean loaded = ims_config_load_data(fixture->config,
                                         "[media]\ningest=webrtcbin\njitterbuffer_latency_ms=200\n"
                                         "stun_server=stun://stun.example.com:3478\nmedia_loops=2\n",
                                         -1, "old.conf", &error);
  guint file_warnings = captured.warnings;
  char *envp[] = { (char *) "IMSD_MEDIA_INGEST=receiver",
                   (char *) "IMSD_MEDIA_JITTERBUFFER_LATENCY_MS=50",
                   (char *) "IMSD_MEDIA_TARGET_BITRATE_KBPS=1800", NULL };
  gboolean applied = ims_config_apply_environment(fixture->config, envp, &error);
  g_log_remove_handler("imsd.config", handler);
  g_autofree char *warnings = g_string_free(captured.text, FALSE);
  if (!loaded || !applied)
    fail_msg("%s", error->message);
  assert_int_equal(file_warnings, 3);
  assert_int_equal(captured.warnings, 5);
  assert_contains(warnings, "old.conf: [media] ingest is no longer used");
  assert_contains(warnings, "[media] jitterbuffer_latency_ms is no longer used");
  assert_contains(warnings, "[media] stun_server is no longer used");
  assert_contains(warnings, "IMSD_MEDIA_INGEST ([media] ingest) is no longer used");
  assert_contains(warnings, "IMSD_MEDIA_JITTERBUFFER_LATENCY_MS");
  /* the keys beside them are still read */
  assert_int_equal(fixture->config->media_loops, 2);
  assert_int_equal(fixture->config->target_bitrate_kbps, 1800);
  g_autofree char *after = ims_config_to_string(fixture->config);
  assert_null(strstr(after, "jitterbuffer"));
  assert_null(strstr(after, "stun_server"));
  assert_null(strstr(after, "ingest="));
  assert_null(strstr(before, "jitterbuffer"));
  /* a key that never existed is still refused */
  assert_false(
      ims_config_load_data(fixture->config, "[media]\ningest_path=x\n", -1, "typo.conf", &error));
  assert_true(g_error_matches(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_UNKNOWN_KEY));
}

static void
test_shipped_example(void **state)
{
  Fixture *fixture = *state;
  const char *path = IMSD_SOURCE_DIR "/etc/imsd.conf.example";
  g_autoptr(GError) error = NULL;
  if (!ims_config_load_file(fixture->config, path, &error))
    fail_msg("%s", error->message);

  g_autofree char *example_text = NULL;
  assert_true(g_file_get_contents(path, &example_text, NULL, NULL));
  g_autoptr(GKeyFile) example = g_key_file_new();
  assert_true(g_key_file_load_from_data(example, example_text, -1, G_KEY_FILE_NONE, NULL));

  /* Every key of the table (as written by to_string) is in the example with its default value. */
  g_autoptr(ImsConfig) defaults = ims_config_new();
  g_autofree char *defaults_text = ims_config_to_string(defaults);
  g_autoptr(GKeyFile) table = g_key_file_new();
  assert_true(g_key_file_load_from_data(table, defaults_text, -1, G_KEY_FILE_NONE, NULL));
  g_auto(GStrv) groups = g_key_file_get_groups(table, NULL);
  gsize key_count = 0;
  for (char **group = groups; *group != NULL; group++) {
    g_auto(GStrv) keys = g_key_file_get_keys(table, *group, NULL, NULL);
    for (char **key = keys; *key != NULL; key++) {
      key_count++;
      if (g_strv_contains((const char *const *) example_commented_keys, *key)) {
        g_autofree char *line = g_strdup_printf("\n#%s=", *key);
        assert_contains(example_text, line);
        continue;
      }
      if (!g_key_file_has_key(example, *group, *key, NULL))
        fail_msg("etc/imsd.conf.example lacks [%s] %s", *group, *key);
      g_autofree char *want = g_key_file_get_value(table, *group, *key, NULL);
      g_autofree char *have = g_key_file_get_value(example, *group, *key, NULL);
      if (g_strcmp0(want, have) != 0)
        fail_msg("etc/imsd.conf.example: [%s] %s=%s but the default is %s", *group, *key, have,
                 want);
    }
  }
  assert_true(key_count >= 46);
  /* ... and the example names no key the table does not have. */
  g_auto(GStrv) example_groups = g_key_file_get_groups(example, NULL);
  for (char **group = example_groups; *group != NULL; group++) {
    g_auto(GStrv) keys = g_key_file_get_keys(example, *group, NULL, NULL);
    for (char **key = keys; *key != NULL; key++)
      if (!g_key_file_has_key(table, *group, *key, NULL))
        fail_msg("etc/imsd.conf.example: [%s] %s is not a key of the table", *group, *key);
  }

  /* So loading the example into a fresh config leaves it exactly at the defaults. */
  g_autofree char *loaded_text = ims_config_to_string(fixture->config);
  assert_string_equal(loaded_text, defaults_text);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
    cmocka_unit_test_setup_teardown(test_load_file, setup, teardown),
    cmocka_unit_test_setup_teardown(test_load_missing_file, setup, teardown),
    cmocka_unit_test_setup_teardown(test_unknown_key_names_file_line_group_key, setup, teardown),
    cmocka_unit_test_setup_teardown(test_unknown_group, setup, teardown),
    cmocka_unit_test_setup_teardown(test_bad_int, setup, teardown),
    cmocka_unit_test_setup_teardown(test_bad_string_values_in_file, setup, teardown),
    cmocka_unit_test_setup_teardown(test_syntax_error, setup, teardown),
    cmocka_unit_test_setup_teardown(test_environment_override, setup, teardown),
    cmocka_unit_test_setup_teardown(test_environment_bad_value, setup, teardown),
    cmocka_unit_test_setup_teardown(test_environment_unknown_variable, setup, teardown),
    cmocka_unit_test_setup_teardown(test_validate, setup, teardown),
    cmocka_unit_test_setup_teardown(test_to_string_round_trip, setup, teardown),
    cmocka_unit_test_setup_teardown(test_booleans, setup, teardown),
    cmocka_unit_test_setup_teardown(test_redacted_string, setup, teardown),
    cmocka_unit_test_setup_teardown(test_log_keys, setup, teardown),
    cmocka_unit_test_setup_teardown(test_bad_escape_is_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(test_control_characters_are_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(test_retired_keys_are_ignored_with_a_warning, setup, teardown),
    cmocka_unit_test_setup_teardown(test_shipped_example, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
