/* main.c: imsd, the interview media server: the composition of the program.
 *
 * main() reads the options and the config, builds every part from the ones
 * before it, in this order (start_parts), tells systemd it is ready
 * (notify.h), runs the GLib main loop until SIGTERM/SIGINT (SIGHUP reloads
 * the TLS certificate), lets the daemon finalize every open take, and stops
 * the parts (stop_parts, which states the order once):
 *
 *   config -> log -> store (PostgreSQL) -> database thread -> object store
 *   (S3) -> profiles -> media loops (the receive path's threads) -> processor
 *   -> relay (Kafka; its events listener is on the store) -> sessions context
 *   and registry -> live rooms (the compositor, their registry, given the
 *   sessions') -> user events and their consumer -> retention -> REST api
 *   -> crash recovery -> daemon (libwebsockets: listening)
 *
 * The two notifications on a finished take's way (docs/architecture.md) are
 * wired here: the interview layer's take_saved goes to the processor
 * (process_saved_take), the store's events listener to the relay.
 */
#define G_LOG_DOMAIN "imsd"

#include <glib-unix.h>
#include <gst/gst.h>
#include <stdio.h>

#include "config.h"
#include "consumer.h"
#include "daemon.h"
#include "imsd-build.h"
#include "log.h"
#include "media-loop.h"
#include "notify.h"
#include "objects.h"
#include "processor.h"
#include "ice-servers.h"
#include "recovery.h"
#include "registry.h"
#include "relay.h"
#include "rendition.h"
#include "outbox-retention.h"
#include "retention.h"
#include "reviewer.h"
#include "room-composite.h"
#include "room-media.h"
#include "room-registry.h"
#include "session-media.h"
#include "store-pg.h"
#include "tls.h"
#include "topic.h"
#include "user-events.h"

/* Every part of the running program; a part not built (yet) is NULL. */
typedef struct {
  const ImsConfig *config;
  GMainLoop *loop;
  ImsDatabase *database;   /* owns the store (its thread only) */
  ImsObjectStore *objects; /* NULL without [storage] s3_endpoint */
  ImsProfileSet *profiles;
  ImsMediaLoops *media_loops;
  ImsMediaIngestData media_data; /* what the sessions' media are opened with */
  ImsIceServers *ice_servers;    /* [media] turn_*: "iceServers" of "state" */
  char *spool_dir;               /* absolute: stored take paths start with it */
  ImsProcessor *processor;
  ImsRelay *relay;                 /* NULL without [kafka] bootstrap_servers */
  ImsRelayListener relay_listener; /* the store's events listener: pokes relay */
  ImsSessionContext session_context;
  ImsRegistry *registry;
  ImsSessionContext room_sessions; /* session_context, but a room's takes are kept for the
                                      composite before the processor gets them */
  ImsRoomContext room_context;
  ImsRoomRegistry *rooms; /* live rooms: room.join comes through registry */
  ImsRoomCompositor *compositor; /* a live room's uploads and composite after End */
  ImsRoomPresenceTable *presence; /* who is in the rooms: REST's "connected" */
  ImsRoomPresence room_presence;
  ImsUserEvents users;
  ImsConsumer *consumer;                /* user-events and auth-events; NULL without Kafka */
  ImsRetention *retention;              /* NULL when every company keeps its media */
  ImsOutboxRetention *outbox_retention; /* NULL when sent events are kept */
  char *review_public_key;              /* PEM, NULL without RS256 recruiter tokens */
  ImsApi api;
  ImsDaemon *daemon;
  gboolean stopping; /* a signal asked for shutdown */
} Imsd;

/* Connects and migrates; while PostgreSQL cannot be reached, waits and tries
 * again (0.5 s, doubling to 10 s) and says why.  NULL only for a failure
 * that waiting does not mend (a migration, a bad conninfo).  Transfer full. */
static ImsStore *
open_store(const char *conninfo, GError **error)
{
  guint delay_ms = 500;
  for (;;) {
    g_autoptr(GError) local = NULL;
    ImsStore *store = ims_store_pg_new(conninfo, &local);
    if (store)
      return store;
    if (!g_error_matches(local, IMS_STORE_ERROR, IMS_STORE_ERROR_CONNECT) ||
        g_str_has_prefix(local->message, "invalid conninfo")) {
      g_propagate_error(error, g_steal_pointer(&local));
      return NULL;
    }
    g_autofree char *reason = g_strdelimit(g_strdup(local->message), "\n\t", ' ');
    g_warning("PostgreSQL is not reachable yet (%s); trying again in %u ms", reason, delay_ms);
    g_usleep((gulong) delay_ms * 1000);
    delay_ms = MIN(delay_ms * 2, 10000);
  }
}

/* The S3 client of [storage]; *objects stays NULL without an endpoint. */
static gboolean
open_object_store(const ImsConfig *config, ImsObjectStore **objects, GError **error)
{
  if (!config->s3_endpoint[0])
    return TRUE;
  ImsObjectStoreConfig objects_config = {
    .endpoint = config->s3_endpoint,
    .public_endpoint = config->s3_public_endpoint,
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
  *objects = ims_object_store_s3_new(&objects_config, error);
  return *objects != NULL;
}

/* The interview-type profiles, each checked to build its renditions. */
static ImsProfileSet *
load_profiles(const char *path, GError **error)
{
  g_autoptr(ImsProfileSet) profiles = ims_profile_set_load_file(path, error);
  if (!profiles)
    return NULL;
  for (const char *const *name = ims_profile_set_get_names(profiles); *name; name++)
    if (!ims_renditions_check_profile(ims_profile_set_lookup(profiles, *name), error))
      return NULL;
  return g_steal_pointer(&profiles);
}

/* interview -> processing: a take's final row is written (main loop); the
 * processor queues it as written, without reading it back from PostgreSQL
 * (its scan still finds the takes a previous run finished). */
static void
process_saved_take(gpointer data, const ImsProcessingJob *job)
{
  Imsd *imsd = data;
  if (imsd->processor) /* NULL once stopped: the next start's scan finds the take */
    ims_processor_take_finished(imsd->processor, job);
}

/* a live room's candidate take -> the composite keeps its file (the
 * processor removes it once S3 has it), then processing as for a one-way take. */
static void
process_room_take(gpointer data, const ImsProcessingJob *job)
{
  Imsd *imsd = data;
  if (imsd->compositor && job->take->path)
    ims_room_compositor_keep_take(imsd->compositor, job->take->path);
  process_saved_take(data, job);
}

/* a live room's End is written -> its recordings uploaded, its composite made. */
static void
composite_room(gpointer data, const char *room_id)
{
  Imsd *imsd = data;
  if (imsd->compositor) /* NULL once stopped: the next start's scan finds the room */
    ims_room_compositor_room_ended(imsd->compositor, room_id);
}

/* crash recovery -> the composite: a live room's candidate take cut by a
 * crash is kept for the room's composite before the processor gets it. */
static void
keep_recovered_room_take(const char *path, gpointer data)
{
  Imsd *imsd = data;
  if (imsd->compositor)
    ims_room_compositor_keep_take(imsd->compositor, path);
}

/* crash recovery -> processing: the takes cut by a crash are finished now. */
static void
process_recovered_takes(gpointer data)
{
  Imsd *imsd = data;
  if (imsd->processor)
    ims_processor_scan(imsd->processor);
}

/* user events -> the registry: user.logged_out and user.deleted end the
 * user's live sessions. */
static void
end_user_sessions(const char *user_id, gboolean forget, gpointer data)
{
  ims_registry_end_user_sessions(data, user_id, forget);
}

/* interview -> review API: a reviewer token in a room.join makes its
 * recruiter an observer (the room registry checks the company). */
static gboolean
verify_room_observer(gpointer data, const char *token, char **user_id, char **company_id,
                     GError **error)
{
  Imsd *imsd = data;
  ImsReviewerKeys keys = { imsd->config->jwt_secret, imsd->review_public_key,
                           imsd->config->jwt_audience, imsd->config->jwt_issuer };
  g_autofree char *authorization = g_strconcat("Bearer ", token, NULL);
  ImsReviewer reviewer = { 0 };
  if (!ims_reviewer_authenticate(&keys, authorization, g_get_real_time() / G_USEC_PER_SEC,
                                 &reviewer, NULL)) {
    g_set_error_literal(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_BAD_TOKEN,
                        "This interview link is not valid.");
    return FALSE;
  }
  *user_id = g_steal_pointer(&reviewer.subject);
  *company_id = reviewer.role == IMS_REVIEWER_RECRUITER ? g_steal_pointer(&reviewer.company_id)
                                                        : NULL;
  ims_reviewer_clear(&reviewer);
  return TRUE;
}

/* Builds every part, in order.  FALSE with error at the first that cannot
 * be built (stop_parts then undoes the others). */
static gboolean
start_parts(Imsd *imsd, GError **error)
{
  const ImsConfig *config = imsd->config;

  /* the listener's certificate before anything: a start it refuses changes
   * nothing (the daemon checks it again when it loads it) */
  if (config->tls_cert_file[0] &&
      !ims_tls_check_files(config->tls_cert_file, config->tls_key_file, error))
    return FALSE;

  /* store -> database thread: the events listener is on the store before the
   * thread runs a job (it pokes the relay once there is one) */
  ImsStore *store = open_store(config->database_url, error);
  if (!store) {
    g_prefix_error(error, "cannot open the database: ");
    return FALSE;
  }
  store->events_listener = &imsd->relay_listener.base;
  imsd->database = ims_database_new(store, NULL);

  if (!open_object_store(config, &imsd->objects, error))
    return FALSE;
  imsd->profiles = load_profiles(config->profiles_file, error);
  if (!imsd->profiles)
    return FALSE;

  imsd->media_loops = ims_media_loops_new((guint) config->media_loops, error);
  if (!imsd->media_loops)
    return FALSE;
  g_message("receive path: pipelines/ingest/ on %u media loop(s)",
            ims_media_loops_get_n_loops(imsd->media_loops));
  imsd->media_data = (ImsMediaIngestData){
    .profiles = imsd->profiles,
    .loops = imsd->media_loops,
    .video_start_kbps = (guint) config->video_start_bitrate_kbps,
    .target_kbps = (guint) config->target_bitrate_kbps,
    .network = { .interfaces = config->ice_interfaces,
                 .public_ip = config->public_ip,
                 .ice_tcp = config->ice_tcp },
  };
  imsd->ice_servers = ims_ice_servers_new(config->turn_servers, config->turn_secret,
                                          (guint) config->turn_credential_ttl_seconds, error);
  if (!imsd->ice_servers)
    return FALSE;
  imsd->spool_dir = g_canonicalize_filename(config->spool_dir, NULL);

  ImsProcessorConfig processor_config = {
    .database = imsd->database,
    .spool_dir = imsd->spool_dir,
    .objects = imsd->objects,
    .profiles = imsd->profiles,
    .key_prefix = config->key_prefix,
    .upload_original = config->upload_original,
    .workers = config->workers,
    .retry_max_seconds = config->retry_max_seconds,
  };
  imsd->processor = ims_processor_new(&processor_config);

  if (config->bootstrap_servers[0]) {
    ImsRelayConfig relay_config = {
      .database = imsd->database,
      .bootstrap_servers = config->bootstrap_servers,
      .properties = config->properties,
    };
    imsd->relay = ims_relay_new(&relay_config, error);
    if (!imsd->relay)
      return FALSE;
    ims_relay_listener_set_relay(&imsd->relay_listener, imsd->relay);
  } else {
    g_message("no [kafka] bootstrap_servers: events wait in the outbox");
  }

  imsd->session_context = (ImsSessionContext){
    .database = imsd->database,
    .media = ims_media_ingest_ops(),
    .media_data = &imsd->media_data,
    .spool_dir = imsd->spool_dir,
    .no_media_timeout_seconds = config->no_media_timeout_seconds,
    .max_width = config->max_width,
    .max_height = config->max_height,
    .max_frame_rate = config->max_frame_rate,
    .profiles = imsd->profiles,
    .ice_servers = imsd->ice_servers,
    .take_saved = process_saved_take,
    .take_saved_data = imsd,
  };
  imsd->registry = ims_registry_new(&imsd->session_context, config->token_secret);

  /* the rooms' candidate takes go to the processor as the sessions' do (kept
   * for the composite first); their media are the sessions' engine and
   * settings; after End the compositor uploads and composes */
  ImsRoomCompositorConfig compositor_config = {
    .database = imsd->database,
    .objects = imsd->objects,
    .profiles = imsd->profiles,
    .spool_dir = imsd->spool_dir,
  };
  imsd->compositor = ims_room_compositor_new(&compositor_config);
  imsd->presence = ims_room_presence_table_new();
  ims_room_compositor_scan(imsd->compositor);
  imsd->room_sessions = imsd->session_context;
  imsd->room_sessions.take_saved = process_room_take;
  imsd->room_context = (ImsRoomContext){
    .sessions = &imsd->room_sessions,
    .media = ims_room_media_ops(),
    .media_data = &imsd->media_data,
    .quality_interval_ms = 2000,
    .room_ended = composite_room,
    .room_ended_data = imsd,
    .presence_changed = ims_room_presence_table_set,
    .presence_data = imsd->presence,
  };
  ImsRoomRegistryConfig rooms_config = {
    .context = &imsd->room_context,
    .token_secret = config->token_secret,
    .verify_reviewer = verify_room_observer,
    .verify_reviewer_data = imsd,
  };
  imsd->rooms = ims_room_registry_new(&rooms_config);
  ims_registry_set_rooms(imsd->registry, imsd->rooms);
  imsd->room_presence = (ImsRoomPresence){
    .is_connected = ims_room_presence_table_is_connected,
    .data = imsd->presence,
  };

  imsd->users = (ImsUserEvents){
    .database = imsd->database,
    .objects = imsd->objects,
    .end_user_sessions = end_user_sessions,
    .data = imsd->registry,
  };
  if (config->bootstrap_servers[0]) {
    ImsConsumerConfig consumer_config = {
      .bootstrap_servers = config->bootstrap_servers,
      .properties = config->properties,
      .group_id = IMS_EVENT_CONSUMER_GROUP,
      .handler = ims_user_events_handle,
      .handler_data = &imsd->users,
    };
    imsd->consumer = ims_consumer_new(&consumer_config, error);
    if (!imsd->consumer)
      return FALSE;
  }
  g_autoptr(GError) retention_error = NULL;
  imsd->retention = ims_retention_new(imsd->database, imsd->objects, config->retention_days,
                                      config->retention_days_by_company,
                                      config->retention_interval_seconds, &retention_error);
  if (retention_error) {
    g_propagate_error(error, g_steal_pointer(&retention_error));
    return FALSE;
  }
  imsd->outbox_retention = ims_outbox_retention_new(imsd->database, config->outbox_retention_hours,
                                                    3600);

  if (config->jwt_public_key_file[0]) {
    imsd->review_public_key = ims_reviewer_load_public_key(config->jwt_public_key_file, error);
    if (!imsd->review_public_key)
      return FALSE;
  }
  imsd->api = (ImsApi){
    .config = config,
    .store = store,
    .database = imsd->database,
    .profiles = imsd->profiles,
    .processor = imsd->processor,
    .relay = imsd->relay,
    .objects = imsd->objects,
    .review_secret = config->jwt_secret,
    .review_public_key = imsd->review_public_key,
    .signed_url_seconds = config->signed_url_seconds,
    .room_presence = &imsd->room_presence,
  };

  /* queued last before the daemon listens: the sessions' writes come after
   * it, and a start that failed before it changed nothing */
  ims_recovery_start(imsd->database, imsd->spool_dir, keep_recovered_room_take,
                     process_recovered_takes, imsd);

  ImsDaemonParts daemon_parts = {
    .config = config,
    .loop = imsd->loop,
    .database = imsd->database,
    .api = &imsd->api,
    .registry = imsd->registry,
  };
  imsd->daemon = ims_daemon_new(&daemon_parts, error);
  return imsd->daemon != NULL;
}

/* Stops every part built, also after a start that failed half way.  The
 * order is the reverse of the build, except that the database is flushed
 * after the parts that still write (so their last changes reach it) and
 * before the parts its answers still call:
 *   1. daemon: every socket closed; the peers detach, their sessions' last
 *      changes are queued;
 *   2. registry, then the rooms' registry: pending reads cancelled, the
 *      sessions and rooms released; the compositor: the room being worked
 *      on finishes (its results queued), the others wait for the next start;
 *   3. processor: the takes being worked on finish (recorded at the next
 *      start); a take saved from here on waits for that start's scan;
 *   4. relay: detached from the store's listener, then up to 3 s for the
 *      deliveries in flight (their rows are marked sent in the flush);
 *   5. user events and retention erasures still running, then every queued
 *      change, written within [server] shutdown_timeout_seconds in all;
 *   6. consumer and retention (the flush's answers still reach them), the
 *      database (its thread stops, the store is freed);
 *   7. media loops (after every session's media), object store, profiles. */
static void
stop_parts(Imsd *imsd)
{
  g_clear_pointer(&imsd->daemon, ims_daemon_free);
  g_clear_pointer(&imsd->registry, ims_registry_free);
  g_clear_pointer(&imsd->rooms, ims_room_registry_free);
  g_clear_pointer(&imsd->compositor, ims_room_compositor_free);
  g_clear_pointer(&imsd->processor, ims_processor_free);
  ims_relay_listener_set_relay(&imsd->relay_listener, NULL);
  if (imsd->relay) {
    ims_relay_free(imsd->relay, 3000);
    imsd->relay = NULL;
  }
  if (imsd->database) {
    gint64 deadline = g_get_monotonic_time() +
                      (gint64) imsd->config->shutdown_timeout_seconds * G_USEC_PER_SEC;
    while ((imsd->users.running > 0 || ims_retention_running(imsd->retention) > 0) &&
           g_get_monotonic_time() < deadline) {
      if (!g_main_context_iteration(NULL, FALSE))
        g_usleep(10000);
    }
    gint64 left_ms = MAX(0, (deadline - g_get_monotonic_time()) / 1000);
    if (!ims_database_flush(imsd->database, (guint) left_ms))
      g_warning("the database did not take every change before shutdown");
  }
  g_clear_pointer(&imsd->consumer, ims_consumer_free);
  g_clear_pointer(&imsd->retention, ims_retention_free);
  g_clear_pointer(&imsd->outbox_retention, ims_outbox_retention_free);
  g_clear_pointer(&imsd->database, ims_database_free);
  g_clear_pointer(&imsd->presence, ims_room_presence_table_free); /* after its readers and rooms */
  ims_relay_listener_clear(&imsd->relay_listener);
  g_clear_pointer(&imsd->media_loops, ims_media_loops_free);
  g_clear_pointer(&imsd->objects, ims_object_store_free);
  g_clear_pointer(&imsd->profiles, ims_profile_set_free);
  g_clear_pointer(&imsd->ice_servers, ims_ice_servers_free);
  g_clear_pointer(&imsd->review_public_key, g_free);
  g_clear_pointer(&imsd->spool_dir, g_free);
}

static void
quit_loop(gpointer loop)
{
  g_main_loop_quit(loop);
}

static gboolean
on_signal(gpointer data)
{
  Imsd *imsd = data;
  if (imsd->stopping) {
    g_message("second signal: exiting now");
    g_main_loop_quit(imsd->loop);
    return G_SOURCE_CONTINUE;
  }
  imsd->stopping = TRUE;
  g_message("stopping: finalizing open takes");
  ims_notify_stopping("stopping: finalizing open takes");
  ims_daemon_shutdown(imsd->daemon, quit_loop, imsd->loop);
  return G_SOURCE_CONTINUE;
}

/* SIGHUP: the listener's certificate is read again; a pair that fails
 * keeps the one in use (the log says why). */
static gboolean
on_reload(gpointer data)
{
  Imsd *imsd = data;
  if (!imsd->config->tls_cert_file[0]) {
    g_message("SIGHUP: the listener is plain HTTP, nothing to reload");
    return G_SOURCE_CONTINUE;
  }
  g_autoptr(GError) error = NULL;
  ims_notify_reloading("reloading the TLS certificate");
  if (!ims_daemon_reload_tls(imsd->daemon, &error))
    g_warning("SIGHUP: %s", error->message);
  ims_notify_ready(error ? "listening; the TLS reload failed, the old certificate is in use"
                         : "listening; TLS certificate reloaded");
  return G_SOURCE_CONTINUE;
}

int
main(int argc, char **argv)
{
  g_autofree char *config_path = NULL;
  gboolean version = FALSE, print_config = FALSE;
  g_autoptr(GError) error = NULL;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
      "INI configuration file (default: $IMSD_CONFIG)", "FILE" },
    { "print-config", 0, 0, G_OPTION_ARG_NONE, &print_config,
      "Print the effective configuration and exit", NULL },
    { "version", 'V', 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { NULL },
  };
  g_autoptr(GOptionContext) options = g_option_context_new("- interview media server");
  g_option_context_add_main_entries(options, entries, NULL);
  g_option_context_add_group(options, gst_init_get_option_group());
  g_option_context_set_description(
      options, "Every config key can be overridden by the environment variable IMSD_<GROUP>_<KEY>,\n"
               "e.g. IMSD_SERVER_PORT=8080. See etc/imsd.conf.example for every key.");
  if (!g_option_context_parse(options, &argc, &argv, &error)) {
    fprintf(stderr, "imsd: %s\n", error->message);
    return 2;
  }
  if (version) {
    printf("imsd %s (%s)\n", IMSD_VERSION, gst_version_string());
    return 0;
  }

  /* config -> log */
  g_autoptr(ImsConfig) config = ims_config_new();
  if (!config_path && g_getenv("IMSD_CONFIG"))
    config_path = g_strdup(g_getenv("IMSD_CONFIG"));
  g_auto(GStrv) environment = g_get_environ();
  if ((config_path && !ims_config_load_file(config, config_path, &error)) ||
      !ims_config_apply_environment(config, environment, &error) ||
      !ims_config_validate(config, &error)) {
    fprintf(stderr, "imsd: configuration: %s\n", error->message);
    return 2;
  }
  if (print_config) {
    g_autofree char *text = ims_config_to_redacted_string(config);
    fputs(text, stdout);
    return 0;
  }
  ims_log_init(config);

  /* every other part */
  g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
  Imsd imsd = { .config = config, .loop = loop };
  ims_relay_listener_init(&imsd.relay_listener, NULL);
  ims_notify_status("starting: database, storage, media loops");
  if (!start_parts(&imsd, &error)) {
    g_critical("%s", error->message);
    stop_parts(&imsd);
    return 1;
  }

  guint sigterm = g_unix_signal_add(SIGTERM, on_signal, &imsd);
  guint sigint = g_unix_signal_add(SIGINT, on_signal, &imsd);
  guint sighup = g_unix_signal_add(SIGHUP, on_reload, &imsd);
  guint watchdog = ims_notify_watchdog_start();
  g_message("imsd %s ready", IMSD_VERSION);
  ims_notify_ready("listening");
  g_main_loop_run(loop);

  g_source_remove(sigterm);
  g_source_remove(sigint);
  g_source_remove(sighup);
  if (watchdog)
    g_source_remove(watchdog);
  stop_parts(&imsd);
  g_message("stopped");
  return 0;
}
