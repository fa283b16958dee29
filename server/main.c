/* main.c: imsd, the interview media server.
 *
 * Parse the config, create the store and the server, run the GLib main loop
 * until SIGTERM/SIGINT, finalize every open take, tear down.
 */
#define G_LOG_DOMAIN "imsd"

#include <glib-unix.h>
#include <gst/gst.h>
#include <stdio.h>

#include "config.h"
#include "imsd-build.h"
#include "log.h"
#include "daemon.h"
#include "store-pg.h"

static void
quit_loop(gpointer loop)
{
  g_main_loop_quit(loop);
}

typedef struct {
  ImsServer *server;
  GMainLoop *loop;
  gboolean stopping;
} Running;

static gboolean
on_signal(gpointer data)
{
  Running *running = data;
  if (running->stopping) {
    g_message("second signal: exiting now");
    g_main_loop_quit(running->loop);
    return G_SOURCE_CONTINUE;
  }
  running->stopping = TRUE;
  g_message("stopping: finalizing open takes");
  ims_server_shutdown(running->server, quit_loop, running->loop);
  return G_SOURCE_CONTINUE;
}

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
  g_option_context_set_description(options,
      "Every config key can be overridden by the environment variable IMSD_<GROUP>_<KEY>,\n"
      "e.g. IMSD_SERVER_PORT=8080. See etc/imsd.conf.example for every key.");
  if (!g_option_context_parse(options, &argc, &argv, &error)) {
    fprintf(stderr, "imsd: %s\n", error->message);
    return 2;
  }
  if (version) {
    printf("imsd %s (%s)\n", IMSD_VERSION, gst_version_string());
    return 0;
  }

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

  g_autoptr(ImsStore) store = open_store(config->database_url, &error);
  if (!store) {
    g_critical("cannot open the database: %s", error->message);
    return 1;
  }

  g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
  g_autoptr(ImsServer) server = ims_server_new(config, g_steal_pointer(&store), loop, &error);
  if (!server) {
    g_critical("%s", error->message);
    return 1;
  }

  Running running = { .server = server, .loop = loop };
  guint sigterm = g_unix_signal_add(SIGTERM, on_signal, &running);
  guint sigint = g_unix_signal_add(SIGINT, on_signal, &running);
  g_message("imsd %s ready", IMSD_VERSION);
  g_main_loop_run(loop);

  g_source_remove(sigterm);
  g_source_remove(sigint);
  g_clear_pointer(&server, ims_server_free);
  g_message("stopped");
  return 0;
}
