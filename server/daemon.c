/* daemon.c: the daemon object; see daemon.h. */
#define G_LOG_DOMAIN "imsd.server"

#include "daemon.h"

#include <glib/gstdio.h>
#include <libwebsockets.h>
#include <string.h>

#include "api.h"
#include "http.h"
#include "http-files.h"
#include "session-media.h"
#include "media-loop.h"
#include "objects.h"
#include "peer.h"
#include "processor.h"
#include "consumer.h"
#include "topic.h"
#include "relay.h"
#include "retention.h"
#include "reviewer.h"
#include "user-events.h"
#include "profile.h"
#include "rendition.h"
#include "session.h"
#include "token.h"

#define SWEEP_INTERVAL_SECONDS 30

struct _ImsServer {
  const ImsConfig *config;
  ImsStore *store;            /* owned by database: its thread only */
  ImsDatabase *database;
  GMainLoop *loop;

  ImsApi api;
  ImsHttpConfig http_config;
  ImsPeerProtocolConfig peer_config;
  ImsMediaIngestData media_data;
  ImsMediaLoops *media_loops;  /* the receive path's threads ([media] media_loops) */
  ImsSessionContext session_context;
  char *candidate_root;
  char *spool_dir;            /* absolute: stored take paths start with it */

  struct lws_protocols protocols[3];
  struct lws_http_mount mounts[IMS_HTTP_MOUNT_COUNT];
  struct lws_retry_bo retry;
  struct lws_context *lws;

  ImsProfileSet *profiles;
  ImsIceServers *ice_servers; /* [media] turn_*: "iceServers" of "state" */
  ImsObjectStore *objects;    /* NULL without [storage] s3_endpoint */
  ImsProcessor *processor;
  ImsRelay *relay;            /* NULL without [kafka] bootstrap_servers: events wait in the outbox */
  ImsConsumer *consumer;      /* user-events and auth-events; NULL without Kafka */
  ImsUserEvents users;
  char *review_public_key;    /* PEM, NULL if RS256 recruiter tokens are not configured */
  ImsRetention *retention;    /* NULL when every company keeps its media */

  GHashTable *sessions;       /* id -> ImsSession*, owned: live sessions */
  GHashTable *loading;        /* id -> SessionLoad*: sessions being read for a join */
  guint sweep_id;

  guint shutdown_pending;     /* sessions still finalizing */
  guint shutdown_timeout_id;
  ImsDoneFunc shutdown_done;
  gpointer shutdown_data;
};

/* ---- joins ----
 *
 * A join of a session that is not in memory reads it on the database thread;
 * the peers that asked meanwhile wait in its SessionLoad and are answered
 * (ims_peer_join_finish) when the read is done. */

typedef struct {
  ImsServer *server;
  char *session_id;
  ImsSessionRecord *record;   /* the read's result */
  GPtrArray *peers;           /* ImsPeer* waiting, in the order they asked */
  gboolean cancelled;         /* the server is going away */
} SessionLoad;

static void
session_load_free(SessionLoad *load)
{
  g_free(load->session_id);
  ims_session_record_free(load->record);
  g_ptr_array_unref(load->peers);
  g_free(load);
}

static gboolean
run_load_session(ImsStore *store, gpointer data, GError **error)
{
  SessionLoad *load = data;
  load->record = store->sessions.load_session(store, load->session_id, error);
  return load->record != NULL;
}

/* Attaches peer to session and tells it; the session reference is the peer's. */
static void
finish_join(ImsSession *session, ImsPeer *peer)
{
  g_autoptr(GError) error = NULL;
  if (!ims_session_attach(session, peer, &error)) {
    ims_peer_join_finish(peer, NULL, NULL, error);
    return;
  }
  ims_peer_join_finish(peer, ims_session_ref(session), ims_session_get_id(session), NULL);
}

static void
on_session_loaded(gpointer data, const GError *store_error)
{
  SessionLoad *load = data;
  ImsServer *server = load->server;
  g_autoptr(GError) error = NULL;

  if (load->cancelled)
    return;
  g_hash_table_steal(server->loading, load->session_id);
  ImsSession *session = NULL;
  if (store_error) {
    if (g_error_matches(store_error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND)) {
      g_set_error_literal(&error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_SESSION_NOT_FOUND,
                          "This interview link is not valid.");
    } else {
      g_warning("%s: cannot load session: %s", load->session_id, store_error->message);
      g_set_error_literal(&error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_INTERNAL,
                          "The server cannot open the interview right now; try again.");
    }
  } else {
    session = ims_session_new(g_steal_pointer(&load->record), &server->session_context);
    g_hash_table_insert(server->sessions, g_strdup(load->session_id), session);
  }
  for (guint i = 0; i < load->peers->len; i++) {
    ImsPeer *peer = g_ptr_array_index(load->peers, i);
    if (session)
      finish_join(session, peer);
    else
      ims_peer_join_finish(peer, NULL, NULL, error);
  }
  /* the read's job frees load */
}

static void
join(ImsPeer *peer, const ImsMessage *message, gpointer data)
{
  ImsServer *server = data;
  g_autoptr(GError) token_error = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token_session = NULL;
  gint64 expires_at = 0;

  if (!ims_token_verify(server->config->token_secret, message->token,
                        g_get_real_time() / G_USEC_PER_SEC, &token_session, &expires_at,
                        &token_error)) {
    if (g_error_matches(token_error, IMS_TOKEN_ERROR, IMS_TOKEN_ERROR_EXPIRED))
      g_set_error_literal(&error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_TOKEN_EXPIRED,
                          "This interview link has expired.");
    else if (g_error_matches(token_error, IMS_TOKEN_ERROR, IMS_TOKEN_ERROR_NOT_YET_VALID))
      g_set_error_literal(&error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_TOKEN_NOT_YET_VALID,
                          "This interview link is not valid yet.");
    else
      g_set_error_literal(&error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_BAD_TOKEN,
                          "This interview link is not valid.");
    ims_peer_join_finish(peer, NULL, NULL, error);
    return;
  }
  if (strcmp(token_session, message->session_id) != 0) {
    g_set_error_literal(&error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_TOKEN_WRONG_SESSION,
                        "This link belongs to another interview.");
    ims_peer_join_finish(peer, NULL, NULL, error);
    return;
  }
  if (!g_uuid_string_is_valid(message->session_id)) {
    g_set_error_literal(&error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_SESSION_NOT_FOUND,
                        "This interview link is not valid.");
    ims_peer_join_finish(peer, NULL, NULL, error);
    return;
  }
  ImsSession *session = g_hash_table_lookup(server->sessions, message->session_id);
  if (session) {
    finish_join(session, peer);
    return;
  }
  SessionLoad *load = g_hash_table_lookup(server->loading, message->session_id);
  if (load) {
    g_ptr_array_add(load->peers, peer);
    return;
  }
  load = g_new0(SessionLoad, 1);
  load->server = server;
  load->session_id = g_strdup(message->session_id);
  load->peers = g_ptr_array_new();
  g_ptr_array_add(load->peers, peer);
  g_hash_table_insert(server->loading, load->session_id, load);
  g_autofree char *what = g_strdup_printf("%s: load for a join", load->session_id);
  ims_database_submit(server->database, IMS_DATABASE_READ, what, run_load_session,
                      on_session_loaded, load, (GDestroyNotify) session_load_free);
}

/* A peer waiting for its join went away. */
static void
join_cancel(ImsPeer *peer, gpointer data)
{
  ImsServer *server = data;
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init(&iter, server->loading);
  while (g_hash_table_iter_next(&iter, NULL, &value))
    g_ptr_array_remove(((SessionLoad *) value)->peers, peer);
}

/* The peer's handler (peer-handler.h): a joined peer's endpoint is its session. */
static gboolean
peer_message(gpointer endpoint, ImsPeer *peer, const ImsMessage *message, GError **error)
{
  return ims_session_handle_message(endpoint, peer, message, error);
}

static void
peer_closed(gpointer endpoint, ImsPeer *peer)
{
  ims_session_detach(endpoint, peer);
  ims_session_unref(endpoint);
}

static const ImsPeerHandler peer_handler = {
  .join = join,
  .join_cancel = join_cancel,
  .message = peer_message,
  .closed = peer_closed,
};

/* Drops sessions nobody uses any more; the store keeps them. */
static gboolean
sweep_sessions(gpointer data)
{
  ImsServer *server = data;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init(&iter, server->sessions);
  while (g_hash_table_iter_next(&iter, NULL, &value))
    if (!ims_session_is_busy(value))
      g_hash_table_iter_remove(&iter);
  return G_SOURCE_CONTINUE;
}

/* Ends a user's live sessions (user.logged_out, user.deleted): an open take
 * is finalized as interrupted, the session stays resumable.  With forget,
 * idle sessions of the user leave memory too (their rows are gone). */
static void
end_user_sessions(const char *user_id, gboolean forget, gpointer data)
{
  ImsServer *server = data;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init(&iter, server->sessions);
  while (g_hash_table_iter_next(&iter, NULL, &value)) {
    ImsSession *session = value;
    if (g_strcmp0(ims_session_get_record(session)->user_id, user_id) != 0)
      continue;
    ImsPeer *peer = ims_session_get_peer(session);
    if (peer) {
      g_info("%s: ending the live session of user %s", ims_session_get_id(session), user_id);
      ims_peer_send_error(peer, "logged_out",
                          "You were signed out. Open your interview link again to continue.",
                          NULL);
      ims_session_detach(session, peer);
      ims_peer_close(peer, "logged out");
    }
    if (forget && !ims_session_is_busy(session))
      g_hash_table_iter_remove(&iter);
  }
}

/* ---- crash recovery ---- */

/* Takes a previous run left "recording" were cut by a crash: keep them as
 * interrupted with the size of what reached the disk.  A spool directory
 * belongs to one imsd instance, so only takes written under ours are ours;
 * other instances sharing the database keep recording theirs.  Database
 * thread; a write, so it waits for the database if it is away. */
static gboolean
run_recover_open_takes(ImsStore *store, gpointer data, GError **error)
{
  ImsServer *server = data;    /* only its spool_dir, which never changes */
  g_autofree char *spool_prefix = g_strconcat(server->spool_dir, G_DIR_SEPARATOR_S, NULL);
  g_autoptr(GPtrArray) takes = store->sessions.list_open_takes(store, error);
  if (!takes)
    return FALSE;
  for (guint i = 0; i < takes->len; i++) {
    ImsTake *take = g_ptr_array_index(takes, i);
    GStatBuf st;
    if (!g_str_has_prefix(take->path, spool_prefix))
      continue;
    take->status = IMS_TAKE_INTERRUPTED;
    take->stopped_at = g_get_real_time();
    take->size_bytes = g_stat(take->path, &st) == 0 ? (gint64) st.st_size : 0;
    g_free(take->stop_reason);
    take->stop_reason = g_strdup("crash");
    if (!store->sessions.update_take(store, take, error)) {
      g_prefix_error(error, "%s: cannot mark take %s interrupted: ", take->session_id, take->id);
      return FALSE;
    }
    g_message("%s: take %d of question %d was cut by a crash; kept as interrupted (%" G_GINT64_FORMAT
              " bytes)", take->session_id, take->number, take->question_index + 1,
              take->size_bytes);
  }
  return TRUE;
}

static void
on_open_takes_recovered(gpointer data, const GError *error)
{
  ImsServer *server = data;
  if (error)
    g_warning("cannot recover takes left open: %s", error->message);
  if (server->processor)
    ims_processor_scan(server->processor);
}

static void
recover_open_takes(ImsServer *server)
{
  ims_database_submit(server->database, IMS_DATABASE_WRITE, "recover takes left open",
                      run_recover_open_takes, on_open_takes_recovered, server, NULL);
}

/* ims_store_change committed events, on the database thread: the relay
 * publishes them soon (ims_relay_poke may be called from any thread). */
static void
poke_relay(gpointer data)
{
  ims_relay_poke(data);
}

/* ---- lws ---- */

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

ImsServer *
ims_server_new(const ImsConfig *config, ImsStore *store, GMainLoop *loop, GError **error)
{
  g_autoptr(ImsServer) server = g_new0(ImsServer, 1);
  server->config = config;
  server->store = store;
  server->database = ims_database_new(store, NULL);
  server->loop = g_main_loop_ref(loop);
  server->sessions = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) ims_session_unref);
  server->loading = g_hash_table_new(g_str_hash, g_str_equal);

  server->api.config = config;
  server->api.store = store;
  server->api.database = server->database;
  server->http_config.api = &server->api;
  server->http_config.database = server->database;
  server->http_config.max_body_bytes = (gsize) config->max_body_bytes;
  server->peer_config.handler = &peer_handler;
  server->peer_config.handler_data = server;
  server->peer_config.max_message_bytes = (gsize) config->max_message_bytes;
  server->media_loops = ims_media_loops_new((guint) config->media_loops, error);
  if (!server->media_loops)
    return NULL;
  server->media_data.loops = server->media_loops;
  server->media_data.video_start_kbps = (guint) config->video_start_bitrate_kbps;
  server->media_data.target_kbps = (guint) config->target_bitrate_kbps;
  server->media_data.network = (ImsTransportNetwork){
    .interfaces = config->ice_interfaces, .public_ip = config->public_ip, .ice_tcp = config->ice_tcp,
  };
  server->ice_servers = ims_ice_servers_new(config->turn_servers, config->turn_secret,
                                            (guint) config->turn_credential_ttl_seconds, error);
  if (!server->ice_servers)
    return NULL;
  g_message("receive path: pipelines/ingest/ on %u media loop(s)",
            ims_media_loops_get_n_loops(server->media_loops));
  server->spool_dir = g_canonicalize_filename(config->spool_dir, NULL);
  server->session_context = (ImsSessionContext){
    .database = server->database,
    .media = ims_media_ingest_ops(),
    .media_data = &server->media_data,
    .spool_dir = server->spool_dir,
    .no_media_timeout_seconds = config->no_media_timeout_seconds,
    .max_width = config->max_width,
    .max_height = config->max_height,
    .max_frame_rate = config->max_frame_rate,
    .ice_servers = server->ice_servers,
  };

  server->profiles = ims_profile_set_load_file(config->profiles_file, error);
  if (!server->profiles)
    return NULL;
  for (const char *const *name = ims_profile_set_get_names(server->profiles); *name; name++)
    if (!ims_renditions_check_profile(ims_profile_set_lookup(server->profiles, *name), error))
      return NULL;
  if (config->s3_endpoint[0]) {
    ImsObjectStoreConfig objects_config = {
      .endpoint = config->s3_endpoint,
      .bucket = config->s3_bucket,
      .access_key = config->s3_access_key,
      .secret_key = config->s3_secret_key,
      .region = config->s3_region,
      .use_tls = config->s3_use_tls,
      .path_style = config->s3_path_style,
      .multipart_threshold_bytes = (gint64) config->multipart_threshold_mb << 20,
      .multipart_part_bytes = 8 << 20,
      .timeout_seconds = config->request_timeout_seconds,
    };
    server->objects = ims_object_store_s3_new(&objects_config, error);
    if (!server->objects)
      return NULL;
  }
  ImsProcessorConfig processor_config = {
    .database = server->database,
    .spool_dir = server->spool_dir,
    .objects = server->objects,
    .profiles = server->profiles,
    .key_prefix = config->key_prefix,
    .upload_original = config->upload_original,
    .workers = config->workers,
    .retry_max_seconds = config->retry_max_seconds,
  };
  server->processor = ims_processor_new(&processor_config);
  server->api.profiles = server->profiles;
  server->api.processor = server->processor;
  server->session_context.profiles = server->profiles;
  server->media_data.profiles = server->profiles;
  server->session_context.take_saved = (void (*)(gpointer)) ims_processor_scan;
  server->session_context.take_saved_data = server->processor;

  if (config->bootstrap_servers[0]) {
    ImsRelayConfig relay_config = {
      .database = server->database,
      .bootstrap_servers = config->bootstrap_servers,
      .properties = config->properties,
    };
    server->relay = ims_relay_new(&relay_config, error);
    if (!server->relay)
      return NULL;
  } else {
    g_message("no [kafka] bootstrap_servers: events wait in the outbox");
  }
  server->api.relay = server->relay;
  server->api.objects = server->objects;
  server->api.review_secret = config->jwt_secret;
  server->api.signed_url_seconds = config->signed_url_seconds;
  g_autoptr(GError) retention_error = NULL;
  server->retention = ims_retention_new(server->database, server->objects, config->retention_days,
                                        config->retention_days_by_company,
                                        config->retention_interval_seconds, &retention_error);
  if (retention_error) {
    g_propagate_error(error, g_steal_pointer(&retention_error));
    return NULL;
  }
  if (config->jwt_public_key_file[0]) {
    server->review_public_key = ims_reviewer_load_public_key(config->jwt_public_key_file, error);
    if (!server->review_public_key)
      return NULL;
    server->api.review_public_key = server->review_public_key;
  }
  if (server->relay) {
    /* set before the database thread runs a job that commits events */
    store->events_committed = poke_relay;
    store->events_committed_data = server->relay;
  }
  server->users = (ImsUserEvents){
    .database = server->database,
    .objects = server->objects,
    .end_user_sessions = end_user_sessions,
    .data = server,
  };
  if (config->bootstrap_servers[0]) {
    ImsConsumerConfig consumer_config = {
      .bootstrap_servers = config->bootstrap_servers,
      .properties = config->properties,
      .group_id = IMS_EVENT_CONSUMER_GROUP,
      .handler = ims_user_events_handle,
      .handler_data = &server->users,
    };
    server->consumer = ims_consumer_new(&consumer_config, error);
    if (!server->consumer)
      return NULL;
  }

  recover_open_takes(server);   /* then the processor scans */

  ims_http_protocol_init(&server->protocols[0], &server->http_config);
  ims_peer_protocol_init(&server->protocols[1], &server->peer_config);
  server->candidate_root = g_build_filename(config->web_root, "candidate", NULL);
  ims_http_mounts_init(server->mounts, config->web_root, server->candidate_root);

  /* a silent WebSocket is pinged after 20 s and dropped after 40 s */
  server->retry.secs_since_valid_ping = 20;
  server->retry.secs_since_valid_hangup = 40;

  int lws_levels = LLL_ERR | LLL_WARN;
  if (g_strcmp0(config->log_level, "debug") == 0)
    lws_levels |= LLL_NOTICE;
  lws_set_log_level(lws_levels, log_lws);

  void *foreign_loops[1] = { loop };
  struct lws_context_creation_info info;
  memset(&info, 0, sizeof info);
  info.port = config->port;
  info.iface = g_strcmp0(config->listen_address, "0.0.0.0") == 0 ? NULL : config->listen_address;
  info.protocols = server->protocols;
  info.mounts = server->mounts;
  info.options = LWS_SERVER_OPTION_GLIB | LWS_SERVER_OPTION_DISABLE_IPV6;
  info.foreign_loops = foreign_loops;
  info.retry_and_idle_policy = &server->retry;
  info.vhost_name = "imsd";
  info.server_string = "imsd";

  server->lws = lws_create_context(&info);
  if (!server->lws) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                "cannot start the HTTP server on %s:%d (port in use, or the libwebsockets GLib "
                "event library is missing: install libwebsockets-evlib-glib)",
                config->listen_address, config->port);
    return NULL;
  }
  /* the web client's files are served without following symlinks */
  const char *const web_roots[] = { config->web_root, server->candidate_root, NULL };
  ims_http_files_guard(server->lws, web_roots);
  server->sweep_id = g_timeout_add_seconds(SWEEP_INTERVAL_SECONDS, sweep_sessions, server);
  g_message("listening on http://%s:%d (public %s)", config->listen_address, config->port,
            config->public_url);
  return g_steal_pointer(&server);
}

/* ---- shutdown ---- */

static void
finish_shutdown(ImsServer *server)
{
  g_clear_handle_id(&server->shutdown_timeout_id, g_source_remove);
  if (server->shutdown_done) {
    ImsDoneFunc done = server->shutdown_done;
    server->shutdown_done = NULL;
    done(server->shutdown_data);
  }
}

static void
on_session_shut_down(gpointer data)
{
  ImsServer *server = data;
  if (server->shutdown_pending > 0 && --server->shutdown_pending == 0)
    finish_shutdown(server);
}

static gboolean
on_shutdown_timeout(gpointer data)
{
  ImsServer *server = data;
  server->shutdown_timeout_id = 0;
  g_warning("%u session(s) did not finalize in time; their takes stay recoverable",
            server->shutdown_pending);
  server->shutdown_pending = 0;
  finish_shutdown(server);
  return G_SOURCE_REMOVE;
}

void
ims_server_shutdown(ImsServer *server, ImsDoneFunc done, gpointer user_data)
{
  GHashTableIter iter;
  gpointer value;

  server->shutdown_done = done;
  server->shutdown_data = user_data;
  server->shutdown_pending = 1; /* held until every session was asked */
  g_hash_table_iter_init(&iter, server->sessions);
  while (g_hash_table_iter_next(&iter, NULL, &value)) {
    server->shutdown_pending++;
    ims_session_shutdown(value, on_session_shut_down, server);
  }
  server->shutdown_timeout_id = g_timeout_add_seconds(
      (guint) server->config->shutdown_timeout_seconds, on_shutdown_timeout, server);
  on_session_shut_down(server);
}

void
ims_server_free(ImsServer *server)
{
  if (!server)
    return;
  g_clear_handle_id(&server->sweep_id, g_source_remove);
  g_clear_handle_id(&server->shutdown_timeout_id, g_source_remove);
  /* closes every socket; peers detach from their sessions (their last
   * changes are queued for the database) */
  g_clear_pointer(&server->lws, lws_context_destroy);
  ims_http_files_unguard();
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init(&iter, server->loading);
  while (g_hash_table_iter_next(&iter, NULL, &value))
    ((SessionLoad *) value)->cancelled = TRUE;    /* their jobs free them */
  g_clear_pointer(&server->loading, g_hash_table_unref);
  g_clear_pointer(&server->sessions, g_hash_table_unref);
  /* the sessions' last writes still complete in the database flush below,
   * and a saved take would ask the processor to scan: it is gone by then
   * (a use-after-free at every SIGTERM during a take once the receive path
   * finalized takes at once) */
  server->session_context.take_saved = NULL;
  g_clear_pointer(&server->processor, ims_processor_free);
  if (server->relay) {
    ims_relay_free(server->relay, 3000);
    server->relay = NULL;
  }
  /* what is queued is written now (the sessions' last changes, erasures'
   * rows, sent marks), unless the database stays away past the timeout;
   * the erasures' S3 deletions are bounded by the S3 timeout */
  gint64 deadline = g_get_monotonic_time() +
                    (gint64) server->config->shutdown_timeout_seconds * G_USEC_PER_SEC;
  while ((server->users.running > 0 || ims_retention_running(server->retention) > 0) &&
         g_get_monotonic_time() < deadline) {
    if (!g_main_context_iteration(NULL, FALSE))
      g_usleep(10000);
  }
  gint64 left_ms = MAX(0, (deadline - g_get_monotonic_time()) / 1000);
  if (!ims_database_flush(server->database, (guint) left_ms))
    g_warning("the database did not take every change before shutdown");
  g_clear_pointer(&server->consumer, ims_consumer_free);
  g_clear_pointer(&server->retention, ims_retention_free);
  server->store->events_committed = NULL;
  g_clear_pointer(&server->database, ims_database_free);   /* frees the store */
  g_clear_pointer(&server->media_loops, ims_media_loops_free);   /* after every session's media */
  g_clear_pointer(&server->objects, ims_object_store_free);
  g_clear_pointer(&server->profiles, ims_profile_set_free);
  g_clear_pointer(&server->ice_servers, ims_ice_servers_free);
  g_free(server->candidate_root);
  g_free(server->spool_dir);
  g_free(server->review_public_key);
  g_clear_pointer(&server->loop, g_main_loop_unref);
  g_free(server);
}
