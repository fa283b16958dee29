/* daemon.c: the libwebsockets context and the shutdown order; see daemon.h. */
#define G_LOG_DOMAIN "imsd.server"

#include "daemon.h"

#include <libwebsockets.h>
#include <string.h>

#include "http.h"
#include "http-files.h"
#include "peer.h"
#include "tls.h"

struct _ImsDaemon {
  const ImsConfig *config;
  ImsRegistry *registry;

  ImsHttpConfig http_config;
  ImsPeerProtocolConfig peer_config;
  char *candidate_root;

  struct lws_protocols protocols[3];
  struct lws_http_mount mounts[IMS_HTTP_MOUNT_COUNT];
  struct lws_retry_bo retry;
  struct lws_context *lws;

  guint shutdown_timeout_id;
  ImsDoneFunc shutdown_done;
  gpointer shutdown_data;
};

static void
log_lws(int level, const char *line)
{
  g_autofree char *text = g_strchomp(g_strdup(line));
  if (level & LLL_ERR)
    g_log("imsd.lws", G_LOG_LEVEL_WARNING, "%s", text);
  else if (level & (LLL_WARN | LLL_NOTICE))
    g_log("imsd.lws", G_LOG_LEVEL_INFO, "%s", text);
  else
    g_log("imsd.lws", G_LOG_LEVEL_DEBUG, "%s", text);
}

ImsDaemon *
ims_daemon_new(const ImsDaemonParts *parts, GError **error)
{
  const ImsConfig *config = parts->config;
  g_autoptr(ImsDaemon) daemon = g_new0(ImsDaemon, 1);
  daemon->config = config;
  daemon->registry = parts->registry;

  daemon->http_config.api = parts->api;
  daemon->http_config.database = parts->database;
  daemon->http_config.max_body_bytes = (gsize) config->max_body_bytes;
  daemon->peer_config.handler = ims_registry_peer_handler();
  daemon->peer_config.handler_data = parts->registry;
  daemon->peer_config.max_message_bytes = (gsize) config->max_message_bytes;
  ims_http_protocol_init(&daemon->protocols[0], &daemon->http_config);
  ims_peer_protocol_init(&daemon->protocols[1], &daemon->peer_config);
  daemon->candidate_root = g_build_filename(config->web_root, "candidate", NULL);
  ims_http_mounts_init(daemon->mounts, config->web_root, daemon->candidate_root);

  /* a silent WebSocket is pinged after 20 s and dropped after 40 s */
  daemon->retry.secs_since_valid_ping = 20;
  daemon->retry.secs_since_valid_hangup = 40;

  int lws_levels = LLL_ERR | LLL_WARN;
  if (g_strcmp0(config->log_level, "debug") == 0)
    lws_levels |= LLL_NOTICE;
  lws_set_log_level(lws_levels, log_lws);

  gboolean tls = config->tls_cert_file[0] != '\0';
  if (tls && !ims_tls_check_files(config->tls_cert_file, config->tls_key_file, error))
    return NULL;

  void *foreign_loops[1] = { parts->loop };
  struct lws_context_creation_info info;
  memset(&info, 0, sizeof info);
  info.port = config->port;
  info.iface = g_strcmp0(config->listen_address, "0.0.0.0") == 0 ? NULL : config->listen_address;
  info.protocols = daemon->protocols;
  info.mounts = daemon->mounts;
  info.options = LWS_SERVER_OPTION_GLIB | LWS_SERVER_OPTION_DISABLE_IPV6;
  info.foreign_loops = foreign_loops;
  info.retry_and_idle_policy = &daemon->retry;
  info.vhost_name = "imsd";
  info.server_string = "imsd";
  if (tls) {
    /* lws loads the pair (checked above); SIGHUP reloads it in place */
    info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.ssl_cert_filepath = config->tls_cert_file;
    info.ssl_private_key_filepath = config->tls_key_file;
  }

  daemon->lws = lws_create_context(&info);
  if (!daemon->lws) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                "cannot start the HTTP server on %s:%d (port in use, or the libwebsockets GLib "
                "event library is missing: install libwebsockets-evlib-glib)",
                config->listen_address, config->port);
    return NULL;
  }
  /* the web client's files are served without following symlinks */
  const char *const web_roots[] = { config->web_root, daemon->candidate_root, NULL };
  ims_http_files_guard(daemon->lws, web_roots);
  g_message("listening on %s://%s:%d (public %s)", tls ? "https" : "http", config->listen_address,
            config->port, config->public_url);
  if (tls) {
    g_autofree char *certificate = ims_tls_describe_certificate(config->tls_cert_file);
    g_message("TLS certificate: %s", certificate);
  }
  return g_steal_pointer(&daemon);
}

gboolean
ims_daemon_reload_tls(ImsDaemon *daemon, GError **error)
{
  const ImsConfig *config = daemon->config;
  if (!config->tls_cert_file[0]) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                "no [server] tls_cert_file: the listener is plain HTTP, nothing to reload");
    return FALSE;
  }
  if (!ims_tls_check_files(config->tls_cert_file, config->tls_key_file, error)) {
    g_prefix_error(error, "the certificate in use is kept: ");
    return FALSE;
  }
  /* the vhost's SSL_CTX gets the new pair: handshakes from now on use it,
   * connections already open keep theirs */
  if (lws_tls_cert_updated(daemon->lws, config->tls_cert_file, config->tls_key_file, NULL, 0, NULL,
                           0) != 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                "libwebsockets did not take the new certificate (see its log above)");
    return FALSE;
  }
  g_autofree char *certificate = ims_tls_describe_certificate(config->tls_cert_file);
  g_message("TLS certificate reloaded: %s", certificate);
  return TRUE;
}

/* ---- shutdown ----
 *
 * The order: the sessions finalize their open takes (the registry), bounded
 * by the timeout; then (ims_daemon_free) the context closes every socket. */

static void
finish_shutdown(ImsDaemon *daemon)
{
  g_clear_handle_id(&daemon->shutdown_timeout_id, g_source_remove);
  if (daemon->shutdown_done) {
    ImsDoneFunc done = daemon->shutdown_done;
    daemon->shutdown_done = NULL;
    done(daemon->shutdown_data);
  }
}

static void
on_sessions_finalized(gpointer data)
{
  finish_shutdown(data);
}

static gboolean
on_shutdown_timeout(gpointer data)
{
  ImsDaemon *daemon = data;
  daemon->shutdown_timeout_id = 0;
  g_warning("%u session(s) did not finalize in time; their takes stay recoverable",
            ims_registry_get_finalizing(daemon->registry));
  finish_shutdown(daemon);
  return G_SOURCE_REMOVE;
}

void
ims_daemon_shutdown(ImsDaemon *daemon, ImsDoneFunc done, gpointer user_data)
{
  daemon->shutdown_done = done;
  daemon->shutdown_data = user_data;
  daemon->shutdown_timeout_id = g_timeout_add_seconds(
      (guint) daemon->config->shutdown_timeout_seconds, on_shutdown_timeout, daemon);
  ims_registry_shutdown(daemon->registry, on_sessions_finalized, daemon);
}

void
ims_daemon_free(ImsDaemon *daemon)
{
  if (!daemon)
    return;
  g_clear_handle_id(&daemon->shutdown_timeout_id, g_source_remove);
  /* closes every socket; peers detach from their sessions (their last
   * changes are queued for the database) */
  g_clear_pointer(&daemon->lws, lws_context_destroy);
  ims_http_files_unguard();
  g_free(daemon->candidate_root);
  g_free(daemon);
}
