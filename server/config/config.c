/* config.c: imsd's typed configuration, driven by one table of keys.
 *
 * Each key is one row of `keys` below: group, key, type, field offset in ImsConfig, default, range, flags,
 * an optional value check and a one-line meaning. Loading (file or environment) is two-phase: every value
 * is parsed and checked into a staging array first, and only when all of them are good are they committed
 * to the ImsConfig, so a failed load leaves the config exactly as it was.
 */
#define G_LOG_DOMAIN "imsd.config"

#include "config.h"

#include <stddef.h>
#include <string.h>

#include "config-checks.h"
#include "config-redact.h"
#include "imsd-build.h"

/* clang-format off */
G_DEFINE_QUARK(ims-config-error-quark, ims_config_error)
/* clang-format on */

typedef enum {
  VALUE_STRING,
  VALUE_INT,
  VALUE_BOOL, /* a gboolean field: true/false/yes/no/1/0 in any case; written as true or false */
} ValueType;

typedef enum {
  KEY_REQUIRED = 1 << 0,     /* empty -> IMS_CONFIG_ERROR_MISSING in ims_config_validate() */
  KEY_MAY_BE_EMPTY = 1 << 1, /* "" is a meaningful value (otherwise an empty string is a bad value) */
  KEY_SECRET = 1 << 2,       /* ims_config_to_redacted_string() (--print-config) hides the value */
} KeyFlags;

/* Checks a non-empty string value; returns FALSE with a reason (no location; the caller adds it). */
typedef gboolean (*ValueCheck)(const char *value, GError **error);

typedef struct {
  const char *group;
  const char *key;
  ValueType type;
  size_t offset;
  const char *default_string; /* VALUE_STRING */
  int default_int;            /* VALUE_INT, VALUE_BOOL */
  int min, max;               /* VALUE_INT, inclusive */
  KeyFlags flags;
  ValueCheck check; /* VALUE_STRING, optional */
  const char *meaning;
} KeyInfo;

#define STRING_KEY(group, key, default_value, flags, check, meaning) \
  STRING_FIELD_KEY(group, #key, key, default_value, flags, check, meaning)
/* a string key whose ImsConfig field is named otherwise ([log] format: log_format) */
#define STRING_FIELD_KEY(group, key, field, default_value, flags, check, meaning) \
  { \
    group, key, VALUE_STRING, offsetof(ImsConfig, field), default_value, 0, 0, 0, flags, check, \
        meaning \
  }
#define INT_KEY(group, key, default_value, min, max, meaning) \
  { \
    group, #key, VALUE_INT, offsetof(ImsConfig, key), NULL, default_value, min, max, 0, NULL, \
        meaning \
  }
#define BOOL_KEY(group, key, default_value, meaning) \
  { \
    group, #key, VALUE_BOOL, offsetof(ImsConfig, key), NULL, default_value, FALSE, TRUE, 0, NULL, \
        meaning \
  }

static const KeyInfo keys[] = {
  STRING_KEY("server", listen_address, "0.0.0.0", 0, NULL,
             "Address the HTTP/WebSocket listener binds to."),
  INT_KEY("server", port, 8080, 1, 65535, "TCP port of the HTTP/WebSocket listener."),
  STRING_KEY("server", public_url, "http://127.0.0.1:8080", 0, ims_config_check_http_url,
             "Public base URL (http:// or https://) that candidate join URLs start with."),
  STRING_KEY("server", web_root, IMSD_SOURCE_DIR "/web-test-client", 0, NULL,
             "Directory of the static web client served over HTTP."),
  STRING_KEY("server", spool_dir, "/var/spool/imsd", 0, NULL,
             "Directory where recordings are written before upload."),
  INT_KEY("server", max_message_bytes, 65536, 1024, 16 * 1024 * 1024,
          "Largest signaling (WebSocket) message accepted, in bytes."),
  INT_KEY("server", max_body_bytes, 1048576, 1024, 64 * 1024 * 1024,
          "Largest REST request body accepted, in bytes."),
  STRING_KEY(
      "server", tls_cert_file, "", KEY_MAY_BE_EMPTY, NULL,
      "PEM certificate (chain) of the listener, reloaded on SIGHUP; empty (with tls_key_file): plain HTTP."),
  STRING_KEY("server", tls_key_file, "", KEY_MAY_BE_EMPTY, NULL,
             "PEM private key of tls_cert_file; set both or neither."),

  STRING_KEY("auth", service_token, "", KEY_REQUIRED | KEY_SECRET, NULL,
             "Required. Bearer token that callers of the service REST API must present."),
  STRING_KEY("auth", token_secret, "", KEY_REQUIRED | KEY_SECRET, ims_config_check_secret,
             "Required. HS256 secret (at least 32 bytes) that signs candidate tokens."),
  INT_KEY("auth", token_ttl_seconds, 604800, 60, 90 * 24 * 3600,
          "Lifetime of a candidate token, in seconds."),

  STRING_KEY("database", database_url, "postgresql:///imsd", 0, NULL,
             "PostgreSQL connection string (libpq conninfo or URI)."),

  INT_KEY("media", media_loops, 0, 0, 64,
          "Media loop threads of the receive path, 0 = one per core."),
  INT_KEY("media", target_bitrate_kbps, 2500, 100, 50000,
          "Video bitrate the browser is asked for (REMB), in kbit/s."),
  INT_KEY("media", no_media_timeout_seconds, 10, 1, 3600,
          "A live peer whose media stops for this many seconds is treated as gone."),
  INT_KEY("media", video_start_bitrate_kbps, 2500, 100, 50000,
          "Video bitrate the browser is asked to start at, in kbit/s."),
  INT_KEY("media", max_width, 1280, 160, 7680,
          "Largest capture width requested from the browser, in pixels."),
  INT_KEY("media", max_height, 720, 120, 4320,
          "Largest capture height requested from the browser, in pixels."),
  INT_KEY("media", max_frame_rate, 30, 1, 120,
          "Largest capture frame rate requested from the browser, in frames per second."),
  STRING_KEY(
      "media", ice_interfaces, "", KEY_MAY_BE_EMPTY, ims_config_check_interfaces,
      "Interface names or local IP addresses ICE gathers on, comma-separated; empty: every interface but loopback."),
  STRING_KEY(
      "media", public_ip, "", KEY_MAY_BE_EMPTY, ims_config_check_ip_address,
      "Address that reaches this machine through a 1:1 NAT, advertised beside each host candidate (same port); empty: none."),
  BOOL_KEY(
      "media", ice_tcp, FALSE,
      "true: also offer passive ICE-TCP candidates (browsers whose UDP is blocked); false: UDP only."),
  STRING_KEY(
      "media", turn_servers, "", KEY_MAY_BE_EMPTY, ims_config_check_turn_servers,
      "TURN servers handed to the page, comma-separated turn:host:port[?transport=udp|tcp] or turns: URIs; empty: none."),
  STRING_KEY(
      "media", turn_secret, "", KEY_MAY_BE_EMPTY | KEY_SECRET, NULL,
      "Shared secret of the TURN servers (coturn static-auth-secret) that signs the per-session credentials; empty: none sent."),
  INT_KEY(
      "media", turn_credential_ttl_seconds, 86400, 60, 7 * 24 * 3600,
      "Lifetime of the TURN credentials minted for a session, in seconds (must outlast an interview)."),

  INT_KEY("session", default_think_seconds, 30, 0, 3600,
          "Thinking time before an answer starts, when the interview does not set one."),
  INT_KEY("session", default_max_retakes, 1, 0, 100,
          "Retakes allowed per question, when the interview does not set a number."),
  INT_KEY("session", shutdown_timeout_seconds, 10, 1, 600,
          "Longest wait on SIGTERM for open takes to finalize, in seconds."),

  STRING_KEY(
      "storage", s3_endpoint, "", KEY_MAY_BE_EMPTY, NULL,
      "S3 endpoint host[:port] (MinIO: host:9000; AWS: s3.amazonaws.com); empty keeps renditions in the spool."),
  STRING_KEY(
      "storage", s3_public_endpoint, "", KEY_MAY_BE_EMPTY, NULL,
      "Where reviewers' browsers reach S3, host[:port] or http(s)://host[:port], used only in signed URLs; empty: s3_endpoint."),
  STRING_KEY("storage", s3_bucket, "imsd", 0, NULL, "Bucket every object is stored in."),
  STRING_KEY("storage", s3_access_key, "", KEY_MAY_BE_EMPTY, NULL, "S3 access key id."),
  STRING_KEY("storage", s3_secret_key, "", KEY_MAY_BE_EMPTY | KEY_SECRET, NULL,
             "S3 secret access key."),
  STRING_KEY("storage", s3_region, "", KEY_MAY_BE_EMPTY, NULL,
             "S3 region, empty for the endpoint's default."),
  BOOL_KEY("storage", s3_use_tls, FALSE, "true: talk to the endpoint over HTTPS; false: plain HTTP."),
  BOOL_KEY("storage", s3_path_style, TRUE,
           "true: path-style URLs (MinIO, s3rver); false: virtual-host style (AWS)."),
  STRING_KEY(
      "storage", key_prefix, "media", KEY_MAY_BE_EMPTY, NULL,
      "First segment(s) of every object key: {prefix}/{interviewId}/{sessionId}/{questionId}/take-{n}-{takeId}/{file}."),
  BOOL_KEY("storage", upload_original, TRUE, "true: upload the take's original Matroska file too."),
  INT_KEY("storage", multipart_threshold_mb, 16, 5, 5000,
          "Files larger than this many MiB are uploaded in parts."),
  INT_KEY("storage", request_timeout_seconds, 30, 1, 3600, "Longest wait for one S3 request."),

  INT_KEY("processing", workers, 0, 0, 64,
          "Renditions made at once (worker threads); 0 = one per CPU core."),
  STRING_KEY("processing", profiles_file, IMSD_SOURCE_DIR "/etc/profiles.ini", 0, NULL,
             "Interview-type profiles (renditions, capture limits), see etc/profiles.ini."),
  INT_KEY("processing", retry_max_seconds, 60, 1, 3600,
          "Longest wait between retries of a failed upload (backoff doubles up to it)."),

  STRING_KEY("kafka", bootstrap_servers, "", KEY_MAY_BE_EMPTY, NULL,
             "Kafka brokers host:port,...; empty keeps events in the outbox table until set."),
  STRING_KEY("kafka", properties, "", KEY_MAY_BE_EMPTY, NULL,
             "Extra librdkafka properties k=v;k=v (SASL, SSL, ...), passed through as they are."),
  INT_KEY("kafka", outbox_retention_hours, 168, 0, 24 * 36500,
          "Sent events are purged from the outbox table after this many hours; 0 keeps them."),

  STRING_KEY("review", jwt_secret, "", KEY_MAY_BE_EMPTY | KEY_SECRET, NULL,
             "HS256 secret of recruiters' bearer tokens; empty: HS256 recruiter tokens are refused."),
  STRING_KEY("review", jwt_public_key_file, "", KEY_MAY_BE_EMPTY, NULL,
             "PEM public key that verifies RS256 recruiter tokens; empty: RS256 is refused."),
  STRING_KEY("review", jwt_audience, "", KEY_MAY_BE_EMPTY, NULL,
             "Audience recruiter tokens must name in aud; empty: aud is not checked."),
  STRING_KEY("review", jwt_issuer, "", KEY_MAY_BE_EMPTY, NULL,
             "Issuer recruiter tokens must name in iss; empty: iss is not checked."),
  INT_KEY("review", signed_url_seconds, 900, 10, 7 * 24 * 3600,
          "Lifetime of the signed S3 URLs given to reviewers, in seconds."),
  INT_KEY("review", retention_days, 0, 0, 36500,
          "Media older than this many days is erased (reason retention); 0 keeps it."),
  STRING_KEY("review", retention_days_by_company, "", KEY_MAY_BE_EMPTY, NULL,
             "Per-company retention overriding retention_days: companyA=30;companyB=90 (0 keeps)."),
  INT_KEY("review", retention_interval_seconds, 3600, 1, 7 * 24 * 3600,
          "How often the retention job looks for expired media, in seconds."),

  INT_KEY("rooms", early_join_minutes, 15, 0, 24 * 60,
          "Room tokens are valid from this many minutes before a live room's scheduledAt."),
  INT_KEY("rooms", late_minutes, 60, 0, 24 * 60,
          "Room tokens stay valid this many minutes after a live room's scheduled end."),

  STRING_KEY("log", log_level, "info", 0, ims_config_check_log_level,
             "Least severe message logged: error, warning, message, info or debug."),
  STRING_FIELD_KEY(
      "log", "format", log_format, "text", 0, ims_config_check_log_format,
      "text: one line per message for terminals; json: one JSON object per line (time, level, "
      "domain, session, take, message)."),
  STRING_FIELD_KEY(
      "log", "gstreamer", log_gstreamer, "", KEY_MAY_BE_EMPTY, ims_config_check_gstreamer_thresholds,
      "Empty: GStreamer's own warnings and errors are logged at debug level; else GST_DEBUG "
      "thresholds (2, WARNING, *:2,qtmux:5) and its lines keep their own levels."),
};

/* Keys of the webrtcbin ingest, removed with it (issue 9): still accepted
 * in a file or the environment for one release, with a warning, and
 * ignored.  Not in the example config, not printed by --print-config. */
static const struct {
  const char *group;
  const char *key;
  const char *why;
} retired_keys[] = {
  { "media", "ingest", "the receive path of pipelines/ingest/ is the only ingest" },
  { "media", "jitterbuffer_latency_ms",
    "the receive path holds a packet only while it waits for a lost one" },
  { "media", "stun_server",
    "the receive path advertises [media] public_ip; browsers get [media] turn_servers" },
};

/* IMSD_* environment variables that are not config keys and must not be refused: the config file path,
 * and what scripts/ (env.sh, pg.sh, install-deps.sh) export around imsd. A trailing '*' matches any
 * suffix. Keep in sync with the scripts. */
static const char *const environment_allow_list[] = {
  "IMSD_CONFIG", "IMSD_RUN_DIR",      "IMSD_TEST_*", "IMSD_ROOT",       "IMSD_BUILD_DIR",
  "IMSD_PG_*",   "IMSD_SKIP_INSTALL", "IMSD_S3_*",   "IMSD_KAFKA_MOCK", "IMSD_KAFKA_BROKERS",
};

/* One parsed value waiting to be committed. */
typedef struct {
  gboolean set;
  char *string;
  int integer;
} PendingValue;

static char **
string_field(ImsConfig *config, const KeyInfo *info)
{
  return (char **) ((guint8 *) config + info->offset);
}

static int *
int_field(ImsConfig *config, const KeyInfo *info)
{
  return (int *) ((guint8 *) config + info->offset);
}

static const char *
string_value(const ImsConfig *config, const KeyInfo *info)
{
  const char *value = *(const char *const *) ((const guint8 *) config + info->offset);
  return value != NULL ? value : "";
}

static int
int_value(const ImsConfig *config, const KeyInfo *info)
{
  return *(const int *) ((const guint8 *) config + info->offset);
}

static const KeyInfo *
find_key(const char *group, const char *key)
{
  for (gsize i = 0; i < G_N_ELEMENTS(keys); i++)
    if (g_str_equal(keys[i].group, group) && g_str_equal(keys[i].key, key))
      return &keys[i];
  return NULL;
}

static gboolean
group_is_known(const char *group)
{
  for (gsize i = 0; i < G_N_ELEMENTS(keys); i++)
    if (g_str_equal(keys[i].group, group))
      return TRUE;
  return FALSE;
}

/* IMSD_<GROUP>_<KEY>, uppercase. transfer full. */
static char *
environment_name(const KeyInfo *info)
{
  g_autofree char *name = g_strdup_printf("IMSD_%s_%s", info->group, info->key);
  return g_ascii_strup(name, -1);
}

/* The retired key [group] key, or NULL. */
static const char *
retired_key_reason(const char *group, const char *key)
{
  for (gsize i = 0; i < G_N_ELEMENTS(retired_keys); i++)
    if (g_str_equal(retired_keys[i].group, group) && g_str_equal(retired_keys[i].key, key))
      return retired_keys[i].why;
  return NULL;
}

/* The retired key whose IMSD_<GROUP>_<KEY> is name: its reason, and its
 * group and key in *group / *key; NULL if name is none. */
static const char *
retired_environment_reason(const char *name, const char **group, const char **key)
{
  for (gsize i = 0; i < G_N_ELEMENTS(retired_keys); i++) {
    g_autofree char *candidate = g_strdup_printf("IMSD_%s_%s", retired_keys[i].group,
                                                 retired_keys[i].key);
    g_autofree char *upper = g_ascii_strup(candidate, -1);
    if (g_str_equal(upper, name)) {
      *group = retired_keys[i].group;
      *key = retired_keys[i].key;
      return retired_keys[i].why;
    }
  }
  return NULL;
}

/* TRUE if text is one of the boolean spellings (any case); its value in *value. */
static gboolean
parse_boolean(const char *text, gboolean *value)
{
  static const char *const true_words[] = { "true", "yes", "1" };
  static const char *const false_words[] = { "false", "no", "0" };
  for (gsize i = 0; i < G_N_ELEMENTS(true_words); i++) {
    if (g_ascii_strcasecmp(text, true_words[i]) == 0) {
      *value = TRUE;
      return TRUE;
    }
    if (g_ascii_strcasecmp(text, false_words[i]) == 0) {
      *value = FALSE;
      return TRUE;
    }
  }
  return FALSE;
}

/* Parses text as the value of info into *pending. Emptiness of strings is not judged here (the example
 * config leaves the required secrets empty); ims_config_validate() does that. */
static gboolean
parse_value(const KeyInfo *info, const char *text, PendingValue *pending, GError **error)
{
  if (info->type == VALUE_BOOL) {
    gboolean value;
    g_autofree char *trimmed = g_strstrip(g_strdup(text));
    if (!parse_boolean(trimmed, &value)) {
      g_set_error(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_BAD_VALUE,
                  "“%s” is not a boolean (true, false, yes, no, 1 or 0)", text);
      return FALSE;
    }
    pending->integer = value;
  } else if (info->type == VALUE_INT) {
    gint64 number;
    g_autoptr(GError) number_error = NULL;
    if (!g_ascii_string_to_signed(text, 10, info->min, info->max, &number, &number_error)) {
      g_set_error_literal(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_BAD_VALUE,
                          number_error->message);
      return FALSE;
    }
    pending->integer = (int) number;
  } else {
    if (!g_utf8_validate(text, -1, NULL)) {
      g_set_error_literal(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_BAD_VALUE,
                          "the value is not UTF-8");
      return FALSE;
    }
    /* control characters other than tab and line breaks (which GKeyFile
     * escapes) could not be written back: GKeyFile trims a leading form feed
     * (found by fuzz-config) */
    for (const char *c = text; *c; c++) {
      if (g_ascii_iscntrl(*c) && *c != '\t' && *c != '\n' && *c != '\r') {
        g_set_error(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_BAD_VALUE,
                    "the value holds a control character (0x%02x)", (guint) (guchar) *c);
        return FALSE;
      }
    }
    if (text[0] != '\0' && info->check != NULL && !info->check(text, error))
      return FALSE;
    g_free(pending->string);
    pending->string = g_strdup(text);
  }
  pending->set = TRUE;
  return TRUE;
}

static void
commit_pending(ImsConfig *config, PendingValue *pending)
{
  for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
    if (!pending[i].set)
      continue;
    if (keys[i].type != VALUE_STRING) {
      *int_field(config, &keys[i]) = pending[i].integer;
    } else {
      char **field = string_field(config, &keys[i]);
      g_free(*field);
      *field = g_steal_pointer(&pending[i].string);
    }
  }
}

static void
free_pending(PendingValue *pending)
{
  for (gsize i = 0; i < G_N_ELEMENTS(keys); i++)
    g_free(pending[i].string);
  g_free(pending);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PendingValue, free_pending)

ImsConfig *
ims_config_new(void)
{
  ImsConfig *config = g_new0(ImsConfig, 1);
  for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
    if (keys[i].type != VALUE_STRING)
      *int_field(config, &keys[i]) = keys[i].default_int;
    else
      *string_field(config, &keys[i]) = g_strdup(keys[i].default_string);
  }
  return config;
}

void
ims_config_free(ImsConfig *config)
{
  if (config == NULL)
    return;
  for (gsize i = 0; i < G_N_ELEMENTS(keys); i++)
    if (keys[i].type == VALUE_STRING)
      g_free(*string_field(config, &keys[i]));
  g_free(config);
}

/* Returns the 1-based line of "[group]" (key == NULL) or of "key=" inside that group in the INI text, or
 * 0 if it cannot be found. Mirrors GKeyFile's syntax closely enough for error messages. */
static int
find_line(const char *data, gsize length, const char *group, const char *key)
{
  const char *end = data + length;
  gboolean in_group = FALSE;
  int line_number = 0;
  for (const char *line = data; line < end;) {
    const char *newline = memchr(line, '\n', end - line);
    const char *line_end = newline != NULL ? newline : end;
    g_autofree char *text = g_strndup(line, line_end - line);
    line_number++;
    g_strstrip(text);
    if (text[0] == '[') {
      char *close = strchr(text, ']');
      if (close != NULL) {
        *close = '\0';
        in_group = g_str_equal(text + 1, group);
        if (in_group && key == NULL)
          return line_number;
      }
    } else if (in_group && key != NULL && text[0] != '#') {
      char *equals = strchr(text, '=');
      if (equals != NULL) {
        *equals = '\0';
        g_strchomp(text);
        if (g_str_equal(text, key))
          return line_number;
      }
    }
    line = newline != NULL ? newline + 1 : end;
  }
  return 0;
}

/* Replaces *error (if any) with one prefixed "source:line: [group] key: ", keeping the code. */
static void
locate_error(GError **error, gint code, const char *source, const char *data, gsize length,
             const char *group, const char *key)
{
  if (error == NULL || *error == NULL)
    return;
  int line = find_line(data, length, group, key);
  g_autofree char *where = line > 0 ? g_strdup_printf("%s:%d", source, line) : g_strdup(source);
  GError *located = g_error_new(IMS_CONFIG_ERROR, code, "%s: [%s]%s%s: %s", where, group,
                                key != NULL ? " " : "", key != NULL ? key : "", (*error)->message);
  g_clear_error(error);
  *error = located;
}

gboolean
ims_config_load_data(ImsConfig *config, const char *data, gssize length, const char *source_name,
                     GError **error)
{
  g_return_val_if_fail(config != NULL, FALSE);
  g_return_val_if_fail(data != NULL, FALSE);
  if (source_name == NULL)
    source_name = "<config>";
  gsize size = length < 0 ? strlen(data) : (gsize) length;

  g_autoptr(GKeyFile) key_file = g_key_file_new();
  g_autoptr(GError) local_error = NULL;
  if (!g_key_file_load_from_data(key_file, data, size, G_KEY_FILE_NONE, &local_error)) {
    g_set_error(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_PARSE, "%s: %s", source_name,
                local_error->message);
    return FALSE;
  }

  g_autoptr(PendingValue) pending = g_new0(PendingValue, G_N_ELEMENTS(keys));
  g_auto(GStrv) groups = g_key_file_get_groups(key_file, NULL);
  for (char **group = groups; *group != NULL; group++) {
    if (!group_is_known(*group)) {
      g_set_error(&local_error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_UNKNOWN_KEY, "unknown group");
      locate_error(&local_error, IMS_CONFIG_ERROR_UNKNOWN_KEY, source_name, data, size, *group,
                   NULL);
      g_propagate_error(error, g_steal_pointer(&local_error));
      return FALSE;
    }
    g_auto(GStrv) names = g_key_file_get_keys(key_file, *group, NULL, NULL);
    for (char **name = names; name != NULL && *name != NULL; name++) {
      const KeyInfo *info = find_key(*group, *name);
      const char *retired = info == NULL ? retired_key_reason(*group, *name) : NULL;
      if (retired != NULL) {
        g_warning("%s: [%s] %s is no longer used and is ignored (%s); remove it", source_name,
                  *group, *name, retired);
        continue;
      }
      if (info == NULL) {
        g_set_error(&local_error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_UNKNOWN_KEY, "unknown key");
        locate_error(&local_error, IMS_CONFIG_ERROR_UNKNOWN_KEY, source_name, data, size, *group,
                     *name);
        g_propagate_error(error, g_steal_pointer(&local_error));
        return FALSE;
      }
      /* Integers and booleans: the raw value, trimmed; strings: GKeyFile's unescaping (\s, \n, \\ ...). */
      g_autofree char *text = info->type != VALUE_STRING
                                  ? g_key_file_get_value(key_file, *group, *name, &local_error)
                                  : g_key_file_get_string(key_file, *group, *name, &local_error);
      if (text != NULL && info->type != VALUE_STRING)
        g_strstrip(text);
      /* GKeyFile hands back a bad escape's text and sets the error too */
      if (text == NULL || local_error != NULL ||
          !parse_value(info, text, &pending[info - keys], &local_error)) {
        locate_error(&local_error, IMS_CONFIG_ERROR_BAD_VALUE, source_name, data, size, *group,
                     *name);
        g_propagate_error(error, g_steal_pointer(&local_error));
        return FALSE;
      }
    }
  }
  commit_pending(config, pending);
  return TRUE;
}

gboolean
ims_config_load_file(ImsConfig *config, const char *path, GError **error)
{
  g_return_val_if_fail(config != NULL, FALSE);
  g_return_val_if_fail(path != NULL, FALSE);
  g_autofree char *data = NULL;
  gsize length = 0;
  g_autoptr(GError) local_error = NULL;
  if (!g_file_get_contents(path, &data, &length, &local_error)) {
    g_set_error(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_PARSE, "%s", local_error->message);
    return FALSE;
  }
  return ims_config_load_data(config, data, length, path, error);
}

static gboolean
environment_name_is_allowed(const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS(environment_allow_list); i++) {
    const char *allowed = environment_allow_list[i];
    gsize allowed_length = strlen(allowed);
    if (allowed[allowed_length - 1] == '*') {
      if (strncmp(name, allowed, allowed_length - 1) == 0)
        return TRUE;
    } else if (g_str_equal(name, allowed)) {
      return TRUE;
    }
  }
  return FALSE;
}

gboolean
ims_config_apply_environment(ImsConfig *config, char **envp, GError **error)
{
  g_return_val_if_fail(config != NULL, FALSE);
  if (envp == NULL)
    return TRUE;

  g_autoptr(PendingValue) pending = g_new0(PendingValue, G_N_ELEMENTS(keys));
  for (char **entry = envp; *entry != NULL; entry++) {
    if (!g_str_has_prefix(*entry, "IMSD_"))
      continue;
    const char *equals = strchr(*entry, '=');
    if (equals == NULL)
      continue;
    g_autofree char *name = g_strndup(*entry, equals - *entry);
    const char *value = equals + 1;
    if (environment_name_is_allowed(name))
      continue;

    const KeyInfo *info = NULL;
    for (gsize i = 0; i < G_N_ELEMENTS(keys) && info == NULL; i++) {
      g_autofree char *candidate = environment_name(&keys[i]);
      if (g_str_equal(candidate, name))
        info = &keys[i];
    }
    const char *retired_group = NULL, *retired_name = NULL;
    const char *retired = info == NULL
                              ? retired_environment_reason(name, &retired_group, &retired_name)
                              : NULL;
    if (retired != NULL) {
      g_warning("environment variable %s ([%s] %s) is no longer used and is ignored (%s); unset it",
                name, retired_group, retired_name, retired);
      continue;
    }
    if (info == NULL) {
      g_set_error(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_UNKNOWN_KEY,
                  "environment variable %s is not an imsd setting (expected IMSD_<GROUP>_<KEY>)",
                  name);
      return FALSE;
    }
    g_autoptr(GError) local_error = NULL;
    if (!parse_value(info, value, &pending[info - keys], &local_error)) {
      g_set_error(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_BAD_VALUE,
                  "environment variable %s ([%s] %s): %s", name, info->group, info->key,
                  local_error->message);
      return FALSE;
    }
  }
  commit_pending(config, pending);
  return TRUE;
}

gboolean
ims_config_validate(const ImsConfig *config, GError **error)
{
  g_return_val_if_fail(config != NULL, FALSE);
  for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
    const KeyInfo *info = &keys[i];
    g_autofree char *variable = environment_name(info);
    g_autoptr(GError) local_error = NULL;
    if (info->type == VALUE_BOOL) {
      int value = int_value(config, info);
      if (value != TRUE && value != FALSE) {
        g_set_error(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_BAD_VALUE,
                    "[%s] %s (%s) is %d; it must be true (1) or false (0)", info->group, info->key,
                    variable, value);
        return FALSE;
      }
      continue;
    }
    if (info->type == VALUE_INT) {
      int value = int_value(config, info);
      if (value < info->min || value > info->max) {
        g_set_error(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_BAD_VALUE,
                    "[%s] %s (%s) is %d; it must be between %d and %d", info->group, info->key,
                    variable, value, info->min, info->max);
        return FALSE;
      }
      continue;
    }
    const char *value = string_value(config, info);
    if (value[0] == '\0') {
      if (info->flags & KEY_REQUIRED) {
        g_set_error(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_MISSING,
                    "[%s] %s (%s) is required but not set", info->group, info->key, variable);
        return FALSE;
      }
      if (!(info->flags & KEY_MAY_BE_EMPTY)) {
        g_set_error(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_BAD_VALUE,
                    "[%s] %s (%s) must not be empty", info->group, info->key, variable);
        return FALSE;
      }
      continue;
    }
    if (info->check != NULL && !info->check(value, &local_error)) {
      g_set_error(error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_BAD_VALUE, "[%s] %s (%s): %s",
                  info->group, info->key, variable, local_error->message);
      return FALSE;
    }
  }
  if (!config->tls_cert_file[0] != !config->tls_key_file[0]) {
    g_set_error(
        error, IMS_CONFIG_ERROR, IMS_CONFIG_ERROR_MISSING,
        "[server] tls_cert_file and tls_key_file must be set together (TLS) or both left empty");
    return FALSE;
  }
  return TRUE;
}

/* Keys that are not secrets but may hold one: --print-config shows them with that part hidden. */
static const struct {
  const char *group;
  const char *key;
  char *(*redact)(const char *value);
} partly_secret_keys[] = {
  { "database", "database_url", ims_config_redact_conninfo },
  { "kafka", "properties", ims_config_redact_kafka_properties },
};

/* info's value as --print-config shows it: a secret as IMS_CONFIG_REDACTED (empty stays empty, so "not
 * set" shows), a partly secret value with its secret parts hidden, anything else as it is. transfer full. */
static char *
printable_value(const ImsConfig *config, const KeyInfo *info)
{
  const char *value = string_value(config, info);
  if (value[0] == '\0')
    return g_strdup("");
  if (info->flags & KEY_SECRET)
    return g_strdup(IMS_CONFIG_REDACTED);
  for (gsize i = 0; i < G_N_ELEMENTS(partly_secret_keys); i++)
    if (g_str_equal(partly_secret_keys[i].group, info->group) &&
        g_str_equal(partly_secret_keys[i].key, info->key))
      return partly_secret_keys[i].redact(value);
  return g_strdup(value);
}

/* ims_config_to_string() and ims_config_to_redacted_string(). */
static char *
format_config(const ImsConfig *config, gboolean redact)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new();
  for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
    const KeyInfo *info = &keys[i];
    g_autofree char *env = environment_name(info);
    g_autofree char *comment = NULL;
    if (info->type == VALUE_INT) {
      g_key_file_set_integer(key_file, info->group, info->key, int_value(config, info));
      comment = g_strdup_printf(" %s (%d..%d; env %s)", info->meaning, info->min, info->max, env);
    } else if (info->type == VALUE_BOOL) {
      g_key_file_set_boolean(key_file, info->group, info->key, int_value(config, info));
      comment = g_strdup_printf(" %s (true or false; env %s)", info->meaning, env);
    } else {
      g_autofree char *value = redact ? printable_value(config, info)
                                      : g_strdup(string_value(config, info));
      g_key_file_set_string(key_file, info->group, info->key, value);
      comment = g_strdup_printf(" %s (env %s)", info->meaning, env);
    }
    g_key_file_set_comment(key_file, info->group, info->key, comment, NULL);
  }
  g_autofree char *head = g_strconcat(
      " imsd configuration. Every key can also be set by the environment"
      " variable named\n beside it, which wins over this file. Integers show"
      " their allowed range;\n booleans are true/false, yes/no or 1/0.",
      redact ? "\n Secrets are shown as " IMS_CONFIG_REDACTED " (empty: not set)." : NULL, NULL);
  g_key_file_set_comment(key_file, NULL, NULL, head, NULL);
  return g_key_file_to_data(key_file, NULL, NULL);
}

char *
ims_config_to_string(const ImsConfig *config)
{
  g_return_val_if_fail(config != NULL, NULL);
  return format_config(config, FALSE);
}

char *
ims_config_to_redacted_string(const ImsConfig *config)
{
  g_return_val_if_fail(config != NULL, NULL);
  return format_config(config, TRUE);
}
