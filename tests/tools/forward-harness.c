/* forward-harness: one ImsReceiver (the publisher) and any number of
 * ImsSenders (its subscribers: pipelines/ingest/sender.h) driven over
 * stdin/stdout, for tests/browser/forward.test.mjs: forwarding without
 * rooms, server or database.
 *
 *   forward-harness [--video-only] [--target-bitrate KBPS]
 *
 * One JSON object per line; "pc" names the peer: "pub" the publisher, any
 * other name a subscriber (created by its first offer).  In (stdin):
 *   {"type":"offer","pc":P,"sdp":S}         the publisher's (first) or a subscriber's offer
 *   {"type":"ice","pc":P,"mline":N,"candidate":C}
 *   {"type":"start_take","path":F} / {"type":"split_take","path":F} / {"type":"stop_take"}
 *   {"type":"close","pc":P}                 frees that subscriber's sender
 *   {"type":"quality"}                      one "quality" line
 *   {"type":"quit"}
 * Out (stdout): {"type":"answer","pc","sdp"}, {"type":"ice","pc","mline",
 * "candidate"}, {"type":"media_flowing"}, {"type":"connected","pc"},
 * {"type":"take_started"}, {"type":"take","path","durationMs","sizeBytes",
 * "videoCodec","audioCodec","complete"}, {"type":"quality","publisher":{
 * lossPercent, rttMs, bitrateKbps},"subscribers":{P:{...}}}, {"type":"closed",
 * "pc"}, {"type":"error","pc","message"}.  Logs go to stderr.  Exits 0 at
 * "quit" or when stdin closes.
 */
#define G_LOG_DOMAIN "imsd.forward-harness"

#include <stdio.h>

#include "harness-lines.h"

#include "media-loop.h"
#include "receiver.h"
#include "sender.h"

typedef struct _Harness Harness;

typedef struct {
  Harness *harness;
  char *name;
  ImsSender *sender;
} Subscriber;

struct _Harness {
  GMainLoop *loop;
  ImsMediaLoops *loops;
  ImsReceiver *receiver;
  GHashTable *subscribers; /* name -> Subscriber* */
};

/* Writes one line: {"type":type, "pc":pc (if not NULL), then the string pairs of rest}. */
static void
emit(const char *type, const char *pc, ...)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "type");
  json_builder_add_string_value(b, type);
  if (pc) {
    json_builder_set_member_name(b, "pc");
    json_builder_add_string_value(b, pc);
  }
  va_list args;
  va_start(args, pc);
  const char *key;
  while ((key = va_arg(args, const char *)) != NULL) {
    json_builder_set_member_name(b, key);
    json_builder_add_string_value(b, va_arg(args, const char *));
  }
  va_end(args);
  json_builder_end_object(b);
  harness_emit(b);
}

static void
emit_candidate(const char *pc, guint mline_index, const char *candidate)
{
  g_autofree char *mline = g_strdup_printf("%u", mline_index);
  emit("ice", pc, "mline", mline, "candidate", candidate, NULL);
}

/* ---- the publisher ---- */

static void
on_answer(const char *sdp, gpointer data)
{
  emit("answer", "pub", "sdp", sdp, NULL);
}

static void
on_ice_candidate(guint mline_index, const char *candidate, gpointer data)
{
  emit_candidate("pub", mline_index, candidate);
}

static void
on_take_started(gpointer data)
{
  emit("take_started", NULL, NULL);
}

static void
on_take_finished(const ImsTakeResult *result, gpointer data)
{
  g_autofree char *duration = g_strdup_printf("%" G_GINT64_FORMAT, result->duration_ms);
  g_autofree char *size = g_strdup_printf("%" G_GUINT64_FORMAT, result->size_bytes);
  emit("take", NULL, "path", result->path, "durationMs", duration, "sizeBytes", size, "videoCodec",
       result->video_codec ? result->video_codec : "", "audioCodec",
       result->audio_codec ? result->audio_codec : "", "complete",
       result->complete ? "true" : "false", NULL);
}

static void
on_failed(const GError *error, gpointer data)
{
  emit("error", "pub", "message", error->message, NULL);
}

static void
on_media_flowing(gpointer data)
{
  emit("media_flowing", NULL, NULL);
}

static const ImsIngestCallbacks receiver_callbacks = {
  on_answer, on_ice_candidate, on_take_started, on_take_finished, on_failed, on_media_flowing,
};

/* ---- subscribers ---- */

static void
on_sender_answer(const char *sdp, gpointer data)
{
  Subscriber *subscriber = data;
  emit("answer", subscriber->name, "sdp", sdp, NULL);
}

static void
on_sender_candidate(guint mline_index, const char *candidate, gpointer data)
{
  Subscriber *subscriber = data;
  emit_candidate(subscriber->name, mline_index, candidate);
}

static void
on_sender_connected(gpointer data)
{
  Subscriber *subscriber = data;
  emit("connected", subscriber->name, NULL);
}

static void
on_sender_failed(const GError *error, gpointer data)
{
  Subscriber *subscriber = data;
  emit("error", subscriber->name, "message", error->message, NULL);
}

static const ImsSenderCallbacks sender_callbacks = {
  on_sender_answer, on_sender_candidate, on_sender_connected, on_sender_failed,
};

static void
subscriber_free(Subscriber *subscriber)
{
  ims_sender_free(subscriber->sender);
  g_free(subscriber->name);
  g_free(subscriber);
}

static void
subscribe(Harness *h, const char *name, const char *sdp)
{
  g_autoptr(GError) error = NULL;
  Subscriber *subscriber = g_new0(Subscriber, 1);
  subscriber->harness = h;
  subscriber->name = g_strdup(name);
  ImsSenderConfig config = { .stream_id = "publisher-camera" };
  subscriber->sender = ims_sender_new(h->receiver, name, &config, &sender_callbacks, subscriber,
                                      &error);
  if (!subscriber->sender || !ims_sender_handle_offer(subscriber->sender, sdp, &error)) {
    emit("error", name, "message", error->message, NULL);
    subscriber_free(subscriber);
    return;
  }
  g_hash_table_replace(h->subscribers, g_strdup(name), subscriber);
}

/* ---- input ---- */

static void
add_quality(JsonBuilder *b, const ImsLinkQuality *quality)
{
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "lossPercent");
  json_builder_add_double_value(b, quality->loss_percent);
  json_builder_set_member_name(b, "rttMs");
  json_builder_add_double_value(b, quality->rtt_ms);
  json_builder_set_member_name(b, "bitrateKbps");
  json_builder_add_double_value(b, quality->bitrate_kbps);
  json_builder_end_object(b);
}

static void
emit_quality(Harness *h)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  ImsLinkQuality quality;
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "type");
  json_builder_add_string_value(b, "quality");
  json_builder_set_member_name(b, "publisher");
  ims_receiver_get_quality(h->receiver, &quality);
  add_quality(b, &quality);
  json_builder_set_member_name(b, "subscribers");
  json_builder_begin_object(b);
  GHashTableIter iter;
  gpointer key, value;
  g_hash_table_iter_init(&iter, h->subscribers);
  while (g_hash_table_iter_next(&iter, &key, &value)) {
    json_builder_set_member_name(b, key);
    ims_sender_get_quality(((Subscriber *) value)->sender, &quality);
    add_quality(b, &quality);
  }
  json_builder_end_object(b);
  json_builder_end_object(b);
  harness_emit(b);
}

static void
handle_message(JsonObject *msg, gpointer data)
{
  Harness *h = data;
  const char *type = json_object_get_string_member_with_default(msg, "type", "");
  const char *pc = json_object_get_string_member_with_default(msg, "pc", "pub");
  const char *sdp = json_object_get_string_member_with_default(msg, "sdp", "");
  const char *path = json_object_get_string_member_with_default(msg, "path", "");
  gboolean publisher = g_strcmp0(pc, "pub") == 0;
  Subscriber *subscriber = g_hash_table_lookup(h->subscribers, pc);
  g_autoptr(GError) error = NULL;
  gboolean ok = TRUE;
  if (g_strcmp0(type, "offer") == 0 && publisher) {
    ok = ims_receiver_handle_offer(h->receiver, sdp, &error);
  } else if (g_strcmp0(type, "offer") == 0) {
    subscribe(h, pc, sdp);
  } else if (g_strcmp0(type, "ice") == 0) {
    guint mline = (guint) json_object_get_int_member_with_default(msg, "mline", 0);
    const char *candidate = json_object_get_string_member_with_default(msg, "candidate", "");
    if (publisher)
      ok = ims_receiver_add_ice_candidate(h->receiver, mline, candidate, &error);
    else if (subscriber)
      ok = ims_sender_add_ice_candidate(subscriber->sender, mline, candidate, &error);
  } else if (g_strcmp0(type, "start_take") == 0) {
    ok = ims_receiver_start_take(h->receiver, path, NULL, &error);
  } else if (g_strcmp0(type, "split_take") == 0) {
    ok = ims_receiver_split_take(h->receiver, path, NULL, &error);
  } else if (g_strcmp0(type, "stop_take") == 0) {
    ims_receiver_stop_take(h->receiver);
  } else if (g_strcmp0(type, "close") == 0 && subscriber) {
    g_hash_table_remove(h->subscribers, pc);
    emit("closed", pc, NULL);
  } else if (g_strcmp0(type, "quality") == 0) {
    emit_quality(h);
  } else if (g_strcmp0(type, "quit") == 0) {
    g_main_loop_quit(h->loop);
  }
  if (!ok)
    emit("error", pc, "message", error->message, NULL);
}

static void
on_stdin_closed(gpointer data)
{
  Harness *h = data;
  g_main_loop_quit(h->loop);
}

int
main(int argc, char **argv)
{
  gboolean video_only = FALSE;
  int target_bitrate = 2500;
  GOptionEntry entries[] = {
    { "video-only", 0, 0, G_OPTION_ARG_NONE, &video_only, "Take a screen share (no audio)", NULL },
    { "target-bitrate", 0, 0, G_OPTION_ARG_INT, &target_bitrate,
      "The receiver's REMB target, kbps (2500)", "KBPS" },
    { NULL },
  };
  harness_log_to_stderr();
  if (!harness_parse_options(&argc, &argv, entries, "- forward one publisher"))
    return 2;
  g_autoptr(GError) error = NULL;
  Harness h = { 0 };
  h.loop = g_main_loop_new(NULL, FALSE);
  h.subscribers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) subscriber_free);
  h.loops = ims_media_loops_new(1, &error);
  if (!h.loops) {
    emit("error", NULL, "message", error->message, NULL);
    return 1;
  }
  ImsReceiverConfig config = {
    .loops = h.loops,
    .video_start_kbps = 1500,
    .target_kbps = (guint) target_bitrate,
    .allow_video_only = video_only,
  };
  h.receiver = ims_receiver_new("publisher", &config, &receiver_callbacks, &h, &error);
  if (!h.receiver) {
    emit("error", NULL, "message", error->message, NULL);
    return 1;
  }
  harness_read_lines(handle_message, on_stdin_closed, &h);
  g_main_loop_run(h.loop);

  g_hash_table_destroy(h.subscribers); /* every sender before the receiver */
  ims_receiver_free(h.receiver);
  ims_media_loops_free(h.loops);
  g_main_loop_unref(h.loop);
  return 0;
}
