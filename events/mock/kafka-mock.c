/* kafka-mock.c: imsd-kafka-mock, the development / CI Kafka broker.
 *
 * Debian ships no Kafka broker, but librdkafka has a mock cluster that speaks
 * the real Kafka protocol over TCP (produce, fetch, metadata, consumer groups
 * with offset commits), so kcat, imsd and any other client can use it.  This
 * program owns one such cluster:
 *
 *   start:   create an rd_kafka_t (a producer with no topics: the mock needs a
 *            handle for its book keeping), a cluster of --brokers brokers
 *            (ids 1..N, 127.0.0.1 on ephemeral ports), and the imsd contract's
 *            topics; write the bootstrap list "127.0.0.1:p1,127.0.0.1:p2,..."
 *            to --bootstrap-file (atomically) and to stdout.
 *   running: a GLib main loop serves the control interface, a line protocol
 *            on a unix socket (--control-socket) or a loopback TCP port
 *            (--control-port), for fault tests:
 *              down N | down all   disconnect broker N / every broker, refuse
 *                                  new connections (no leader change)
 *              up N | up all       accept connections again
 *              status              "ok up 1,2,3 down -"
 *              bootstrap           "ok 127.0.0.1:p1,..."
 *            every request is one line, every answer one line: "ok ..." or
 *            "error <why>".
 *   stop:    SIGTERM / SIGINT: remove the bootstrap file and the unix socket,
 *            destroy the cluster (every message is lost: it lives in memory).
 *
 * Client mode: with --command "LINE" the program connects to the control
 * interface of a running instance instead, sends LINE, prints the answer and
 * exits 0 on "ok", 1 otherwise (scripts/kafka.sh uses it: no socat needed).
 */
#define G_LOG_DOMAIN "imsd.kafka-mock"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

/* The topics of the imsd event contract: one per aggregate plus its
 * dead-letter topic. */
static const struct {
  const char *name;
  int partitions;
} ims_kafka_mock_topics[] = {
  { "candidate-events", 3 }, { "media-events", 3 },         { "interview-events", 3 },
  { "user-events", 3 },      { "auth-events", 3 },          { "candidate-events-dlq", 1 },
  { "media-events-dlq", 1 }, { "interview-events-dlq", 1 }, { "user-events-dlq", 1 },
  { "auth-events-dlq", 1 },
};

#define IMS_KAFKA_MOCK_MAX_REPLICATION 3
#define IMS_KAFKA_MOCK_MAX_LINE 256

typedef struct {
  rd_kafka_t *handle;               /* owns nothing but the cluster's book keeping */
  rd_kafka_mock_cluster_t *cluster; /* owned; destroyed before handle */
  int broker_count;
  gboolean *broker_up;     /* [broker id - 1]; only the loop thread touches it */
  char *bootstrap;         /* owned copy of the bootstrap list */
  GSocketService *control; /* owned; NULL without a control interface */
  GMainLoop *loop;
} ImsKafkaMock;

typedef struct {
  ImsKafkaMock *mock;            /* borrowed */
  GSocketConnection *connection; /* owned */
  GDataInputStream *input;       /* owned */
} ImsControlClient;

/* ---- librdkafka logging ------------------------------------------------ */

/* Routes librdkafka's log lines (syslog levels) into GLib's logger.  Called
 * from librdkafka's threads; g_log is thread-safe. */
static void
on_rdkafka_log(const rd_kafka_t *rk, int level, const char *facility, const char *text)
{
  /* The owning handle has no bootstrap.servers on purpose: it never
   * connects anywhere, so its warning about that is noise. */
  if (g_str_equal(facility, "CONFWARN") && strstr(text, "bootstrap.servers") != NULL)
    return;
  if (level <= 3)
    g_warning("rdkafka %s: %s", facility, text);
  else if (level <= 5)
    g_message("rdkafka %s: %s", facility, text);
  else
    g_debug("rdkafka %s: %s", facility, text);
}

/* ---- the cluster --------------------------------------------------------- */

/* Creates the handle, the cluster and every contract topic.  Returns FALSE
 * and sets @error on failure; whatever was created stays in @mock for
 * ims_kafka_mock_clear() to tear down. */
static gboolean
ims_kafka_mock_start(ImsKafkaMock *mock, int broker_count, GError **error)
{
  char errstr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set_log_cb(conf, on_rdkafka_log);
  if (rd_kafka_conf_set(conf, "client.id", "imsd-kafka-mock", errstr, sizeof errstr) !=
      RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "rdkafka conf: %s", errstr);
    return FALSE;
  }
  mock->handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (mock->handle == NULL) {
    rd_kafka_conf_destroy(conf); /* rd_kafka_new keeps conf only on success */
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "rd_kafka_new: %s", errstr);
    return FALSE;
  }

  mock->cluster = rd_kafka_mock_cluster_new(mock->handle, broker_count);
  if (mock->cluster == NULL) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                "rd_kafka_mock_cluster_new(%d brokers) failed", broker_count);
    return FALSE;
  }
  mock->broker_count = broker_count;
  mock->broker_up = g_new(gboolean, broker_count);
  for (int i = 0; i < broker_count; i++)
    mock->broker_up[i] = TRUE;

  int replication = MIN(broker_count, IMS_KAFKA_MOCK_MAX_REPLICATION);
  for (gsize i = 0; i < G_N_ELEMENTS(ims_kafka_mock_topics); i++) {
    rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(
        mock->cluster, ims_kafka_mock_topics[i].name, ims_kafka_mock_topics[i].partitions,
        replication);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "creating topic %s: %s",
                  ims_kafka_mock_topics[i].name, rd_kafka_err2str(err));
      return FALSE;
    }
  }
  mock->bootstrap = g_strdup(rd_kafka_mock_cluster_bootstraps(mock->cluster));
  return TRUE;
}

/* Destroys whatever ims_kafka_mock_start() created.  Safe on a partly
 * started mock. */
static void
ims_kafka_mock_clear(ImsKafkaMock *mock)
{
  if (mock->control != NULL) {
    g_socket_service_stop(mock->control);
    g_socket_listener_close(G_SOCKET_LISTENER(mock->control));
    g_clear_object(&mock->control);
  }
  if (mock->cluster != NULL)
    rd_kafka_mock_cluster_destroy(mock->cluster);
  mock->cluster = NULL;
  if (mock->handle != NULL)
    rd_kafka_destroy(mock->handle);
  mock->handle = NULL;
  g_clear_pointer(&mock->broker_up, g_free);
  g_clear_pointer(&mock->bootstrap, g_free);
}

/* Sets broker @broker_id (1..N, or -1 for all) up or down.  Returns NULL on
 * success, or a newly allocated error text; on error nothing changed. */
static char *
ims_kafka_mock_set_broker(ImsKafkaMock *mock, int broker_id, gboolean up)
{
  int first = broker_id, last = broker_id;
  if (broker_id == -1) {
    first = 1;
    last = mock->broker_count;
  } else if (broker_id < 1 || broker_id > mock->broker_count) {
    return g_strdup_printf("no broker %d (brokers are 1..%d)", broker_id, mock->broker_count);
  }
  /* One call per broker rather than librdkafka's -1: the per-broker state
   * kept here for "status" then follows exactly what was asked. */
  for (int id = first; id <= last; id++) {
    rd_kafka_resp_err_t err = up ? rd_kafka_mock_broker_set_up(mock->cluster, id)
                                 : rd_kafka_mock_broker_set_down(mock->cluster, id);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
      return g_strdup_printf("broker %d: %s", id, rd_kafka_err2str(err));
    if (mock->broker_up[id - 1] != up)
      g_message("broker %d %s", id, up ? "up" : "down");
    mock->broker_up[id - 1] = up;
  }
  return NULL;
}

/* Returns the comma-separated ids of the brokers whose state is @up, or "-"
 * if there are none (transfer full). */
static char *
ims_kafka_mock_list_brokers(ImsKafkaMock *mock, gboolean up)
{
  GString *ids = g_string_new(NULL);
  for (int i = 0; i < mock->broker_count; i++) {
    if (mock->broker_up[i] != up)
      continue;
    g_string_append_printf(ids, "%s%d", ids->len > 0 ? "," : "", i + 1);
  }
  if (ids->len == 0)
    g_string_append_c(ids, '-');
  return g_string_free(ids, FALSE);
}

/* Runs one control line and returns the one-line answer, without its newline
 * (transfer full). */
static char *
ims_kafka_mock_execute(ImsKafkaMock *mock, const char *line)
{
  g_auto(GStrv) words = g_strsplit_set(line, " \t", -1);
  /* Drop the empty words that repeated blanks leave. */
  GPtrArray *argv = g_ptr_array_new();
  for (int i = 0; words[i] != NULL; i++)
    if (words[i][0] != '\0')
      g_ptr_array_add(argv, words[i]);
  guint argc = argv->len;
  const char *verb = argc > 0 ? g_ptr_array_index(argv, 0) : "";
  const char *arg = argc > 1 ? g_ptr_array_index(argv, 1) : NULL;
  char *answer;

  if ((g_str_equal(verb, "down") || g_str_equal(verb, "up")) && argc == 2) {
    gint64 id = -1;
    if (!g_str_equal(arg, "all") && (!g_ascii_string_to_signed(arg, 10, 1, G_MAXINT32, &id, NULL))) {
      answer = g_strdup_printf("error bad broker id '%s': want 1..%d or all", arg,
                               mock->broker_count);
    } else {
      g_autofree char *failure = ims_kafka_mock_set_broker(mock, (int) id, verb[0] == 'u');
      answer = failure ? g_strdup_printf("error %s", failure) : g_strdup("ok");
    }
  } else if (g_str_equal(verb, "status") && argc == 1) {
    g_autofree char *up = ims_kafka_mock_list_brokers(mock, TRUE);
    g_autofree char *down = ims_kafka_mock_list_brokers(mock, FALSE);
    answer = g_strdup_printf("ok up %s down %s", up, down);
  } else if (g_str_equal(verb, "bootstrap") && argc == 1) {
    answer = g_strdup_printf("ok %s", mock->bootstrap);
  } else {
    answer = g_strdup("error unknown command: use down N|all, up N|all, status, bootstrap");
  }
  g_ptr_array_unref(argv);
  return answer;
}

/* ---- control interface --------------------------------------------------- */

static void
ims_control_client_free(ImsControlClient *client)
{
  g_io_stream_close(G_IO_STREAM(client->connection), NULL, NULL);
  g_clear_object(&client->input);
  g_clear_object(&client->connection);
  g_free(client);
}

static void on_control_line(GObject *source, GAsyncResult *result, gpointer data);

static void
ims_control_client_read_next(ImsControlClient *client)
{
  g_data_input_stream_read_line_async(client->input, G_PRIORITY_DEFAULT, NULL, on_control_line,
                                      client);
}

/* One request line arrived (or the peer closed): answer it and read the
 * next, or free the client on end of stream / error. */
static void
on_control_line(GObject *source, GAsyncResult *result, gpointer data)
{
  ImsControlClient *client = data;
  g_autoptr(GError) error = NULL;
  gsize length = 0;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8(G_DATA_INPUT_STREAM(source),
                                                                    result, &length, &error);
  if (line == NULL) {
    if (error != NULL)
      g_debug("control client: %s", error->message);
    ims_control_client_free(client);
    return;
  }
  g_strstrip(line);
  g_autofree char *answer = NULL;
  if (length > IMS_KAFKA_MOCK_MAX_LINE)
    answer = g_strdup("error line too long");
  else if (line[0] == '\0')
    answer = NULL;
  else
    answer = ims_kafka_mock_execute(client->mock, line);
  if (answer != NULL) {
    g_autofree char *reply = g_strconcat(answer, "\n", NULL);
    GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(client->connection));
    /* Answers are a few dozen bytes on a local socket: a blocking write is
     * bounded and keeps the protocol strictly request / answer. */
    if (!g_output_stream_write_all(out, reply, strlen(reply), NULL, NULL, &error)) {
      g_debug("control client: %s", error->message);
      ims_control_client_free(client);
      return;
    }
  }
  ims_control_client_read_next(client);
}

static gboolean
on_control_incoming(GSocketService *service, GSocketConnection *connection, GObject *source,
                    gpointer data)
{
  ImsControlClient *client = g_new0(ImsControlClient, 1);
  client->mock = data;
  client->connection = g_object_ref(connection);
  client->input = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(connection)));
  g_data_input_stream_set_newline_type(client->input, G_DATA_STREAM_NEWLINE_TYPE_ANY);
  ims_control_client_read_next(client);
  return TRUE;
}

/* Returns the control address for a unix socket @path or a loopback TCP
 * @port (transfer full), or NULL if neither is set. */
static GSocketAddress *
ims_control_address(const char *path, int port)
{
  if (path != NULL)
    return g_unix_socket_address_new(path);
  if (port > 0) {
    g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    return g_inet_socket_address_new(loopback, (guint16) port);
  }
  return NULL;
}

/* Starts listening on the control interface.  A stale unix socket file is
 * replaced.  Returns FALSE and sets @error if the address cannot be bound. */
static gboolean
ims_kafka_mock_listen(ImsKafkaMock *mock, const char *path, int port, GError **error)
{
  g_autoptr(GSocketAddress) address = ims_control_address(path, port);
  if (address == NULL)
    return TRUE;
  if (path != NULL)
    g_unlink(path);
  mock->control = g_socket_service_new();
  if (!g_socket_listener_add_address(G_SOCKET_LISTENER(mock->control), address, G_SOCKET_TYPE_STREAM,
                                     G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, error))
    return FALSE;
  g_signal_connect(mock->control, "incoming", G_CALLBACK(on_control_incoming), mock);
  g_socket_service_start(mock->control);
  return TRUE;
}

/* Client mode: sends @command to the control interface and prints the
 * answer.  Returns the process exit status: 0 on "ok ...", 1 otherwise. */
static int
ims_control_send(const char *path, int port, const char *command)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) address = ims_control_address(path, port);
  g_autoptr(GSocketClient) socket_client = g_socket_client_new();
  g_socket_client_set_timeout(socket_client, 10);
  g_autoptr(GSocketConnection) connection = g_socket_client_connect(
      socket_client, G_SOCKET_CONNECTABLE(address), NULL, &error);
  if (connection == NULL) {
    g_printerr("imsd-kafka-mock: cannot reach the control interface: %s\n", error->message);
    return 1;
  }
  g_autofree char *request = g_strconcat(command, "\n", NULL);
  GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(connection));
  if (!g_output_stream_write_all(out, request, strlen(request), NULL, NULL, &error)) {
    g_printerr("imsd-kafka-mock: sending: %s\n", error->message);
    return 1;
  }
  g_autoptr(GDataInputStream)
      in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(connection)));
  g_autofree char *answer = g_data_input_stream_read_line_utf8(in, NULL, NULL, &error);
  if (answer == NULL) {
    g_printerr("imsd-kafka-mock: no answer: %s\n", error ? error->message : "connection closed");
    return 1;
  }
  g_print("%s\n", answer);
  return g_str_has_prefix(answer, "ok") ? 0 : 1;
}

/* ---- main ---------------------------------------------------------------- */

static gboolean
on_signal(gpointer loop)
{
  g_message("signal received: stopping");
  g_main_loop_quit(loop);
  return G_SOURCE_CONTINUE;
}

int
main(int argc, char **argv)
{
  int brokers = 3;
  int control_port = 0;
  g_autofree char *bootstrap_file = NULL;
  g_autofree char *control_socket = NULL;
  g_autofree char *command = NULL;
  GOptionEntry entries[] = {
    { "brokers", 0, 0, G_OPTION_ARG_INT, &brokers, "Number of brokers (default 3)", "N" },
    { "bootstrap-file", 0, 0, G_OPTION_ARG_FILENAME, &bootstrap_file,
      "Write the bootstrap servers list here", "PATH" },
    { "control-socket", 0, 0, G_OPTION_ARG_FILENAME, &control_socket,
      "Control interface on this unix socket", "PATH" },
    { "control-port", 0, 0, G_OPTION_ARG_INT, &control_port, "Control interface on 127.0.0.1:N",
      "N" },
    { "command", 0, 0, G_OPTION_ARG_STRING, &command,
      "Client mode: send LINE to a running instance's control interface", "LINE" },
    { NULL },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) options = g_option_context_new("- Kafka mock cluster for imsd");
  g_option_context_add_main_entries(options, entries, NULL);
  if (!g_option_context_parse(options, &argc, &argv, &error)) {
    g_printerr("imsd-kafka-mock: %s\n", error->message);
    return 2;
  }
  if (brokers < 1 || brokers > 32 || control_port < 0 || control_port > 65535) {
    g_printerr("imsd-kafka-mock: --brokers must be 1..32, --control-port 1..65535\n");
    return 2;
  }
  if (control_socket != NULL && control_port > 0) {
    g_printerr("imsd-kafka-mock: use --control-socket or --control-port, not both\n");
    return 2;
  }
  if (command != NULL) {
    if (control_socket == NULL && control_port == 0) {
      g_printerr("imsd-kafka-mock: --command needs --control-socket or --control-port\n");
      return 2;
    }
    return ims_control_send(control_socket, control_port, command);
  }

  ImsKafkaMock mock = { 0 };
  int status = 1;
  mock.loop = g_main_loop_new(NULL, FALSE);
  /* Installed first: a signal during the start waits for the loop instead of
   * killing the process between writing the bootstrap file and cleanup. */
  g_unix_signal_add(SIGTERM, on_signal, mock.loop);
  g_unix_signal_add(SIGINT, on_signal, mock.loop);
  if (!ims_kafka_mock_start(&mock, brokers, &error) ||
      !ims_kafka_mock_listen(&mock, control_socket, control_port, &error)) {
    g_printerr("imsd-kafka-mock: %s\n", error->message);
    goto out;
  }
  if (bootstrap_file != NULL && !g_file_set_contents(bootstrap_file, mock.bootstrap, -1, &error)) {
    g_printerr("imsd-kafka-mock: %s\n", error->message);
    goto out;
  }
  g_print("%s\n", mock.bootstrap);
  fflush(stdout);

  g_main_loop_run(mock.loop);
  status = 0;

out:
  if (bootstrap_file != NULL && mock.bootstrap != NULL)
    g_unlink(bootstrap_file);
  if (control_socket != NULL && mock.control != NULL)
    g_unlink(control_socket);
  ims_kafka_mock_clear(&mock);
  g_main_loop_unref(mock.loop);
  return status;
}
