/* config.h: imsd's typed configuration.
 *
 * An ImsConfig is filled once at start-up and then only read:
 *   ims_config_new() (built-in defaults)
 *     -> ims_config_load_file() (INI file, optional)
 *     -> ims_config_apply_environment() (IMSD_<GROUP>_<KEY> overrides)
 *     -> ims_config_validate() (required keys, ranges, URL shapes)
 *     -> read-only use by the rest of the daemon -> ims_config_free().
 * Every key is described once, in the table in config.c: its group, name, type, default, range and
 * one-line meaning. Defaults, parsing, environment names, validation, ims_config_to_string() and the
 * shipped etc/imsd.conf.example all follow from that table.
 * Strings in the struct are owned by the struct (g_free'd by ims_config_free()).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  /* [server] */
  char *listen_address;  /* "0.0.0.0" */
  int port;              /* 8080 */
  char *public_url;      /* "http://127.0.0.1:8080": base of joinUrl */
  char *web_root;        /* IMSD_SOURCE_DIR "/web-test-client" */
  char *spool_dir;       /* "/var/spool/imsd" */
  int max_message_bytes; /* 65536: largest signaling frame accepted */
  int max_body_bytes;    /* 1048576: largest REST request body */
  char *tls_cert_file; /* "": plain HTTP; else PEM certificate chain of the listener (server/tls.h) */
  char *tls_key_file; /* "": plain HTTP; else PEM private key of tls_cert_file */
  /* [auth] */
  char *service_token;   /* no default: bearer token for the service REST API; required */
  char *token_secret;    /* no default: HS256 secret for candidate tokens; required, >= 32 bytes */
  int token_ttl_seconds; /* 604800 */
  /* [database] */
  char *database_url; /* "postgresql:///imsd" (libpq conninfo) */
  /* [media] */
  int media_loops;              /* 0 = one per core (the receive path's threads) */
  int target_bitrate_kbps;      /* 2500: REMB the receive path sends */
  int no_media_timeout_seconds; /* 10: a live peer whose media stops that long is treated as gone */
  int video_start_bitrate_kbps; /* 2500 */
  int max_width;                /* 1280 (capture constraints sent to the browser) */
  int max_height;               /* 720 */
  int max_frame_rate;           /* 30 */
  char *ice_interfaces; /* "": every interface; else interface names / local IPs, comma-separated */
  char *public_ip;      /* "": none; else the 1:1 NAT's address advertised beside host candidates */
  gboolean ice_tcp;     /* also passive ICE-TCP candidates */
  char *turn_servers;   /* "": none; turn:/turns: URIs, comma-separated, handed to the page */
  char *turn_secret;    /* "": no credentials; coturn's static-auth-secret */
  int turn_credential_ttl_seconds; /* 86400: lifetime of the TURN credentials minted per session */
  /* [session] */
  int default_think_seconds;    /* 30 */
  int default_max_retakes;      /* 1 */
  int shutdown_timeout_seconds; /* 10: longest wait for open takes to finalize on SIGTERM */
  /* [storage] */
  char *s3_endpoint;        /* "": renditions stay in the spool */
  char *s3_public_endpoint; /* "": signed URLs name s3_endpoint */
  char *s3_bucket;          /* "imsd" */
  char *s3_access_key;
  char *s3_secret_key;
  char *s3_region;
  gboolean s3_use_tls;         /* FALSE */
  gboolean s3_path_style;      /* TRUE */
  char *key_prefix;            /* "media" */
  gboolean upload_original;    /* TRUE */
  int multipart_threshold_mb;  /* 16 */
  int request_timeout_seconds; /* 30 */
  /* [processing] */
  int workers;           /* 0 = one per core */
  char *profiles_file;   /* IMSD_SOURCE_DIR "/etc/profiles.ini" */
  int retry_max_seconds; /* 60 */
  /* [kafka] */
  char *bootstrap_servers;    /* "": events wait in the outbox */
  char *properties;           /* "k=v;k=v" librdkafka properties */
  int outbox_retention_hours; /* 168; 0: sent rows are kept */
  /* [review] */
  char *jwt_secret;                /* "": no HS256 recruiter tokens */
  char *jwt_public_key_file;       /* "": no RS256 recruiter tokens */
  char *jwt_audience;              /* "": aud of recruiter tokens not checked */
  char *jwt_issuer;                /* "": iss of recruiter tokens not checked */
  int signed_url_seconds;          /* 900 */
  int retention_days;              /* 0: keep */
  char *retention_days_by_company; /* "a=30;b=90" */
  int retention_interval_seconds;  /* 3600 */
  /* [rooms] (docs/live-rooms.md) */
  int early_join_minutes; /* 15: room tokens are valid from scheduledAt minus this */
  int late_minutes;       /* 60: ... to scheduledAt + durationMinutes plus this */
  /* [log] */
  char *log_level;     /* "info": error|warning|message|info|debug */
  char *log_format;    /* [log] format: "text" | "json" (server/config/log.h) */
  char *log_gstreamer; /* [log] gstreamer: "" (GStreamer below warning) or GST_DEBUG thresholds */
} ImsConfig;

#define IMS_CONFIG_ERROR (ims_config_error_quark())
GQuark ims_config_error_quark(void);

typedef enum {
  IMS_CONFIG_ERROR_PARSE,       /* the file is not valid INI syntax, or cannot be read */
  IMS_CONFIG_ERROR_UNKNOWN_KEY, /* a group, key or IMSD_* variable that imsd does not know */
  IMS_CONFIG_ERROR_BAD_VALUE, /* not an integer or boolean, out of range, or a malformed URL/level */
  IMS_CONFIG_ERROR_MISSING,   /* a required key has no value */
} ImsConfigError;

/* Returns a config holding the built-in defaults. Never fails. transfer full. */
ImsConfig *ims_config_new(void);

/* Frees config and every string in it. NULL is allowed. */
void ims_config_free(ImsConfig *config);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsConfig, ims_config_free)

/* Reads the INI file at path and sets every key it names. Booleans accept true/false, yes/no and 1/0 in
 * any case. An unknown group or key, an integer that does not parse or is out of range, a boolean that is
 * none of those words, or a syntax error -> FALSE with an error naming the file, the line (when it
 * can be found), the group and the key; config is unchanged then. Keys the file does not name keep their
 * current values. The keys of the removed webrtcbin ingest ([media] ingest, jitterbuffer_latency_ms,
 * stun_server) are accepted for one release with a g_warning naming them, and ignored. */
gboolean ims_config_load_file(ImsConfig *config, const char *path, GError **error);

/* Like ims_config_load_file() for INI text already in memory (length bytes, or -1 if NUL-terminated).
 * source_name is used in error messages in place of a path. Same contract. */
gboolean ims_config_load_data(ImsConfig *config, const char *data, gssize length,
                              const char *source_name, GError **error);

/* Applies overrides from envp (as from g_get_environ(); NULL means none): IMSD_<GROUP>_<KEY> uppercase,
 * e.g. IMSD_SERVER_PORT, IMSD_AUTH_TOKEN_SECRET, IMSD_DATABASE_DATABASE_URL. Any other IMSD_* variable is
 * refused with IMS_CONFIG_ERROR_UNKNOWN_KEY, except the non-config ones IMSD_CONFIG, IMSD_RUN_DIR,
 * IMSD_TEST_* and those scripts/ export (IMSD_ROOT, IMSD_BUILD_DIR, IMSD_PG_*, IMSD_SKIP_INSTALL).
 * The variables of the removed webrtcbin ingest's keys (IMSD_MEDIA_INGEST, ...) are ignored with a
 * g_warning, as in a file. A bad value -> FALSE naming the variable. On failure config is unchanged. */
gboolean ims_config_apply_environment(ImsConfig *config, char **envp, GError **error);

/* Checks required keys (service_token, token_secret), the ranges of every integer, token_secret length
 * (>= 32 bytes), public_url (http:// or https://), log_level, [log] format and gstreamer, and that
 * [server] tls_cert_file and tls_key_file are both set or both empty (whether the files are readable and
 * match is the daemon's check: server/tls.h).
 * Returns FALSE with the first problem found. */
gboolean ims_config_validate(const ImsConfig *config, GError **error);

/* Returns every key with its current value and a one-line meaning as a comment, in INI format that
 * ims_config_load_data() reads back to the same values (booleans as true/false). Secrets are written as
 * they are: do not log it, print ims_config_to_redacted_string(). transfer full. */
char *ims_config_to_string(const ImsConfig *config);

/* What --print-config prints: ims_config_to_string() with every secret hidden. The secret keys
 * (service_token, token_secret, s3_secret_key, jwt_secret) show "<redacted>" when set and "" when not;
 * the password in database_url (URI user:password@, password= / sslpassword=) and the values of Kafka
 * properties that hold a secret (*password*, *secret*, *key.pem, sasl.oauthbearer.config) show
 * "<redacted>". Not meant to be loaded back. transfer full. */
char *ims_config_to_redacted_string(const ImsConfig *config);

G_END_DECLS
