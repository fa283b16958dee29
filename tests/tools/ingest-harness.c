/* ingest-harness: drives one ImsReceiver (pipelines/ingest/receiver.h, the
 * receive path) from stdin/stdout for the browser integration test
 * (tests/browser/ingest-harness.mjs) and tests/tools/aiortc-ingest.py.
 *
 *   ingest-harness [--dir DIR] [--takes N] [--seconds S] [--gap S]
 *                  [--start-bitrate KBPS] [--target-bitrate KBPS]
 *
 * One JSON object per line.  In (stdin):  {"type":"offer","sdp":"..."},
 * {"type":"ice","mline":N,"candidate":"..."}.  Out (stdout):
 * {"type":"answer","sdp":"..."}, {"type":"ice",...}, {"type":"take_started",
 * "index":i,"path":"..."}, {"type":"take",...result, "cpuPercent":x,
 * "completeness":{...}} (the take's record, docs/ingest.md),
 * {"type":"done"} or {"type":"error","message":"..."}.  Logs go to stderr.
 *
 * Once media flows it waits one second, records N takes of S seconds
 * (counted from the first keyframe) with a gap of --gap seconds between them,
 * and exits 0.  cpuPercent is this process's user+system CPU over the take
 * (from first keyframe to stop), in percent of one core: the main thread
 * and its one media loop thread.
 */
#define G_LOG_DOMAIN "imsd.ingest-harness"

#include "harness-lines.h"
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "media-loop.h"
#include "receiver.h"

typedef struct {
  GMainLoop *loop;
  ImsMediaLoops *loops;
  ImsReceiver *receiver;
  char *dir;
  int takes, take_index;
  double seconds, gap;
  int exit_code;
  gint64 take_started_at; /* monotonic us */
  gint64 take_cpu_at;     /* process cpu us */
  double take_cpu_percent;
  guint timer;
} Harness;

#define emit harness_emit

static void
emit_simple(const char *type, const char *key, const char *value)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "type");
  json_builder_add_string_value(b, type);
  if (key != NULL) {
    json_builder_set_member_name(b, key);
    json_builder_add_string_value(b, value);
  }
  json_builder_end_object(b);
  emit(b);
}

static gint64
process_cpu_us(void)
{
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (gint64) ru.ru_utime.tv_sec * G_USEC_PER_SEC + ru.ru_utime.tv_usec +
         (gint64) ru.ru_stime.tv_sec * G_USEC_PER_SEC + ru.ru_stime.tv_usec;
}

static void
quit(Harness *h, int code)
{
  h->exit_code = code;
  g_main_loop_quit(h->loop);
}

static gboolean start_next_take(gpointer data);

static gboolean
stop_take(gpointer data)
{
  Harness *h = data;
  h->timer = 0;
  gint64 wall = g_get_monotonic_time() - h->take_started_at;
  h->take_cpu_percent = wall > 0
                            ? 100.0 * (double) (process_cpu_us() - h->take_cpu_at) / (double) wall
                            : 0;
  ims_receiver_stop_take(h->receiver);
  return G_SOURCE_REMOVE;
}

static void
on_answer(const char *sdp, gpointer data)
{
  emit_simple("answer", "sdp", sdp);
}

static void
on_ice_candidate(guint mline_index, const char *candidate, gpointer data)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "type");
  json_builder_add_string_value(b, "ice");
  json_builder_set_member_name(b, "mline");
  json_builder_add_int_value(b, mline_index);
  json_builder_set_member_name(b, "candidate");
  json_builder_add_string_value(b, candidate);
  json_builder_end_object(b);
  emit(b);
}

static void
on_take_started(gpointer data)
{
  Harness *h = data;
  h->take_started_at = g_get_monotonic_time();
  h->take_cpu_at = process_cpu_us();
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "type");
  json_builder_add_string_value(b, "take_started");
  json_builder_set_member_name(b, "index");
  json_builder_add_int_value(b, h->take_index);
  json_builder_set_member_name(b, "path");
  g_autofree char *path = g_strdup_printf("%s/take-%d.mkv", h->dir, h->take_index);
  json_builder_add_string_value(b, path);
  json_builder_end_object(b);
  emit(b);
  h->timer = g_timeout_add((guint) (h->seconds * 1000), stop_take, h);
}

static void
on_take_finished(const ImsTakeResult *r, gpointer data)
{
  Harness *h = data;
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "type");
  json_builder_add_string_value(b, "take");
  json_builder_set_member_name(b, "index");
  json_builder_add_int_value(b, h->take_index);
  json_builder_set_member_name(b, "path");
  json_builder_add_string_value(b, r->path);
  json_builder_set_member_name(b, "durationMs");
  json_builder_add_int_value(b, r->duration_ms);
  json_builder_set_member_name(b, "sizeBytes");
  json_builder_add_int_value(b, (gint64) r->size_bytes);
  json_builder_set_member_name(b, "videoCodec");
  json_builder_add_string_value(b, r->video_codec);
  json_builder_set_member_name(b, "audioCodec");
  json_builder_add_string_value(b, r->audio_codec);
  json_builder_set_member_name(b, "width");
  json_builder_add_int_value(b, r->width);
  json_builder_set_member_name(b, "height");
  json_builder_add_int_value(b, r->height);
  json_builder_set_member_name(b, "complete");
  json_builder_add_boolean_value(b, r->complete);
  json_builder_set_member_name(b, "cpuPercent");
  json_builder_add_double_value(b, h->take_cpu_percent);
  if (r->completeness) {
    json_builder_set_member_name(b, "completeness");
    json_builder_add_value(b, json_from_string(r->completeness, NULL));
  }
  json_builder_end_object(b);
  emit(b);

  h->take_index++;
  if (h->take_index >= h->takes) {
    emit_simple("done", NULL, NULL);
    quit(h, 0);
    return;
  }
  h->timer = g_timeout_add((guint) (h->gap * 1000), start_next_take, h);
}

static void
on_failed(const GError *error, gpointer data)
{
  emit_simple("error", "message", error->message);
  quit(data, 1);
}

static gboolean
start_next_take(gpointer data)
{
  Harness *h = data;
  h->timer = 0;
  g_autofree char *path = g_strdup_printf("%s/take-%d.mkv", h->dir, h->take_index);
  g_autoptr(GError) error = NULL;
  if (!ims_receiver_start_take(h->receiver, path, NULL, &error)) {
    emit_simple("error", "message", error->message);
    quit(h, 1);
  }
  return G_SOURCE_REMOVE;
}

/* Polls until media flows, then starts the first take one second later. */
static gboolean
wait_for_media(gpointer data)
{
  Harness *h = data;
  if (ims_receiver_get_last_media_time(h->receiver) == 0)
    return G_SOURCE_CONTINUE;
  h->timer = g_timeout_add(1000, start_next_take, h);
  return G_SOURCE_REMOVE;
}

static void
handle_message(JsonObject *msg, gpointer data)
{
  Harness *h = data;
  const char *type = json_object_get_string_member_with_default(msg, "type", "");
  g_autoptr(GError) error = NULL;
  if (g_strcmp0(type, "offer") == 0) {
    if (!ims_receiver_handle_offer(
            h->receiver, json_object_get_string_member_with_default(msg, "sdp", ""), &error)) {
      emit_simple("error", "message", error->message);
      quit(h, 1);
      return;
    }
    g_timeout_add(50, wait_for_media, h);
  } else if (g_strcmp0(type, "ice") == 0) {
    if (!ims_receiver_add_ice_candidate(
            h->receiver, (guint) json_object_get_int_member_with_default(msg, "mline", 0),
            json_object_get_string_member_with_default(msg, "candidate", ""), &error))
      g_warning("candidate rejected: %s", error->message);
  }
}

int
main(int argc, char **argv)
{
  g_autofree char *dir = NULL;
  int takes = 2, start_bitrate = 2500, target_bitrate = 2500;
  double seconds = 4, gap = 2;
  GOptionEntry entries[] = {
    { "dir", 0, 0, G_OPTION_ARG_FILENAME, &dir, "Directory for take-N.mkv", "DIR" },
    { "takes", 0, 0, G_OPTION_ARG_INT, &takes, "Number of takes (2)", "N" },
    { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds, "Take length from first keyframe (4)", "S" },
    { "gap", 0, 0, G_OPTION_ARG_DOUBLE, &gap, "Gap between takes (2)", "S" },
    { "start-bitrate", 0, 0, G_OPTION_ARG_INT, &start_bitrate, "x-google-start-bitrate kbps (2500)",
      "KBPS" },
    { "target-bitrate", 0, 0, G_OPTION_ARG_INT, &target_bitrate,
      "REMB sent to the browser, kbps (2500)", "KBPS" },
    { NULL },
  };
  harness_log_to_stderr();
  if (!harness_parse_options(&argc, &argv, entries, "- drive one ImsReceiver over stdin/stdout"))
    return 2;
  g_autoptr(GError) error = NULL;

  Harness h = { 0 };
  h.loop = g_main_loop_new(NULL, FALSE);
  h.dir = dir ? g_strdup(dir) : g_dir_make_tmp("ingest-harness-XXXXXX", NULL);
  g_mkdir_with_parents(h.dir, 0755);
  h.takes = takes;
  h.seconds = seconds;
  h.gap = gap;

  h.loops = ims_media_loops_new(1, &error);
  if (h.loops == NULL) {
    emit_simple("error", "message", error->message);
    return 1;
  }
  ImsReceiverConfig config = { .loops = h.loops,
                               .video_start_kbps = (guint) start_bitrate,
                               .target_kbps = (guint) target_bitrate };
  ImsIngestCallbacks callbacks = { on_answer, on_ice_candidate, on_take_started, on_take_finished,
                                   on_failed };
  h.receiver = ims_receiver_new("harness", &config, &callbacks, &h, &error);
  if (h.receiver == NULL) {
    emit_simple("error", "message", error->message);
    ims_media_loops_free(h.loops);
    return 1;
  }
  harness_read_lines(handle_message, NULL, &h); /* stdin closed: keep running, takes may go on */

  g_main_loop_run(h.loop);

  ims_receiver_free(h.receiver);
  ims_media_loops_free(h.loops);
  g_main_loop_unref(h.loop);
  g_free(h.dir);
  return h.exit_code;
}
