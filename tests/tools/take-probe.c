/* take-probe: decodes one recorded take and prints one line of JSON.
 *
 *   take-probe FILE
 *
 * filesrc ! matroskademux, each demuxed stream -> decodebin -> fakesink.  The
 * first encoded video buffer out of the demuxer tells whether the file starts
 * with a keyframe; the decoded buffers give frame / sample counts and the
 * duration (last pts + duration - first pts over all decoded streams).
 * Crash-truncated files (kill -9 mid-take) are expected to decode up to the
 * cut: an error is then only fatal if nothing was decoded.
 * Exit status 0 iff "ok" is true.
 */
#define G_LOG_DOMAIN "imsd.take-probe"

#include <gst/gst.h>
#include <gst/audio/audio.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  GMainLoop *loop;
  GstElement *pipeline;
  GMutex lock;  /* protects the fields below: probes run on streaming threads */
  gboolean has_video, has_audio;
  char *video_codec, *audio_codec;
  int width, height;
  gboolean first_video_seen, first_video_keyframe;
  guint64 decoded_video_frames, decoded_audio_samples;
  GstClockTime first_pts, last_end;
  gboolean eos;
  char *error;
} Probe;

static void
note_decoded(Probe *probe, GstBuffer *buf)
{
  GstClockTime pts = GST_BUFFER_PTS(buf);
  if (!GST_CLOCK_TIME_IS_VALID(pts))
    return;
  GstClockTime end = pts + (GST_BUFFER_DURATION_IS_VALID(buf) ? GST_BUFFER_DURATION(buf) : 0);
  if (!GST_CLOCK_TIME_IS_VALID(probe->first_pts) || pts < probe->first_pts)
    probe->first_pts = pts;
  if (!GST_CLOCK_TIME_IS_VALID(probe->last_end) || end > probe->last_end)
    probe->last_end = end;
}

static GstPadProbeReturn
on_decoded(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  Probe *probe = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
  g_autoptr(GstCaps) caps = gst_pad_get_current_caps(pad);
  const char *name = caps ? gst_structure_get_name(gst_caps_get_structure(caps, 0)) : "";
  g_mutex_lock(&probe->lock);
  if (g_str_has_prefix(name, "video/")) {
    probe->decoded_video_frames++;
  } else if (g_str_has_prefix(name, "audio/")) {
    GstAudioInfo ainfo;
    if (gst_audio_info_from_caps(&ainfo, caps) && GST_AUDIO_INFO_BPF(&ainfo) > 0)
      probe->decoded_audio_samples += gst_buffer_get_size(buf) / GST_AUDIO_INFO_BPF(&ainfo);
  }
  note_decoded(probe, buf);
  g_mutex_unlock(&probe->lock);
  return GST_PAD_PROBE_OK;
}

static void
on_decodebin_pad(GstElement *decodebin, GstPad *pad, gpointer data)
{
  Probe *probe = data;
  GstElement *sink = gst_element_factory_make("fakesink", NULL);
  g_object_set(sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add(GST_BIN(probe->pipeline), sink);
  gst_element_set_state(sink, GST_STATE_PLAYING);  /* never wait for preroll */
  g_autoptr(GstPad) sinkpad = gst_element_get_static_pad(sink, "sink");
  gst_pad_add_probe(sinkpad, GST_PAD_PROBE_TYPE_BUFFER, on_decoded, probe, NULL);
  gst_pad_link(pad, sinkpad);
}

static GstPadProbeReturn
on_encoded_video(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  Probe *probe = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
  g_mutex_lock(&probe->lock);
  if (!probe->first_video_seen) {
    probe->first_video_seen = TRUE;
    probe->first_video_keyframe = !GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
  }
  g_mutex_unlock(&probe->lock);
  return GST_PAD_PROBE_REMOVE;
}

static void
on_demux_pad(GstElement *demux, GstPad *pad, gpointer data)
{
  Probe *probe = data;
  g_autoptr(GstCaps) caps = gst_pad_get_current_caps(pad);
  if (caps == NULL)
    return;
  const GstStructure *s = gst_caps_get_structure(caps, 0);
  const char *name = gst_structure_get_name(s);
  g_mutex_lock(&probe->lock);
  if (g_str_has_prefix(name, "video/")) {
    probe->has_video = TRUE;
    probe->video_codec = g_strdup(strcmp(name, "video/x-h264") == 0 ? "H264"
                                  : strcmp(name, "video/x-vp8") == 0 ? "VP8" : name);
    gst_structure_get_int(s, "width", &probe->width);
    gst_structure_get_int(s, "height", &probe->height);
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_encoded_video, probe, NULL);
  } else if (g_str_has_prefix(name, "audio/")) {
    probe->has_audio = TRUE;
    probe->audio_codec = g_strdup(strcmp(name, "audio/x-opus") == 0 ? "OPUS" : name);
  }
  g_mutex_unlock(&probe->lock);

  GstElement *decodebin = gst_element_factory_make("decodebin", NULL);
  g_signal_connect(decodebin, "pad-added", G_CALLBACK(on_decodebin_pad), probe);
  gst_bin_add(GST_BIN(probe->pipeline), decodebin);
  gst_element_set_state(decodebin, GST_STATE_PLAYING);
  g_autoptr(GstPad) sinkpad = gst_element_get_static_pad(decodebin, "sink");
  gst_pad_link(pad, sinkpad);
}

static gboolean
on_bus(GstBus *bus, GstMessage *message, gpointer data)
{
  Probe *probe = data;
  switch (GST_MESSAGE_TYPE(message)) {
  case GST_MESSAGE_EOS:
    probe->eos = TRUE;
    g_main_loop_quit(probe->loop);
    break;
  case GST_MESSAGE_ERROR: {
    g_autoptr(GError) error = NULL;
    gst_message_parse_error(message, &error, NULL);
    if (probe->error == NULL)
      probe->error = g_strdup_printf("%s: %s", GST_OBJECT_NAME(GST_MESSAGE_SRC(message)), error->message);
    g_main_loop_quit(probe->loop);
    break;
  }
  default:
    break;
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_timeout(gpointer data)
{
  Probe *probe = data;
  if (probe->error == NULL)
    probe->error = g_strdup("timed out decoding");
  g_main_loop_quit(probe->loop);
  return G_SOURCE_REMOVE;
}

int
main(int argc, char **argv)
{
  gst_init(&argc, &argv);
  if (argc != 2) {
    fprintf(stderr, "usage: take-probe FILE\n");
    return 2;
  }
  Probe probe = { 0 };
  g_mutex_init(&probe.lock);
  probe.first_pts = probe.last_end = GST_CLOCK_TIME_NONE;
  probe.loop = g_main_loop_new(NULL, FALSE);

  if (!g_file_test(argv[1], G_FILE_TEST_IS_REGULAR)) {
    probe.error = g_strdup("no such file");
  } else {
    probe.pipeline = gst_pipeline_new(NULL);
    GstElement *src = gst_element_factory_make("filesrc", NULL);
    GstElement *demux = gst_element_factory_make("matroskademux", NULL);
    g_object_set(src, "location", argv[1], NULL);
    gst_bin_add_many(GST_BIN(probe.pipeline), src, demux, NULL);
    gst_element_link(src, demux);
    g_signal_connect(demux, "pad-added", G_CALLBACK(on_demux_pad), &probe);
    g_autoptr(GstBus) bus = gst_pipeline_get_bus(GST_PIPELINE(probe.pipeline));
    gst_bus_add_watch(bus, on_bus, &probe);
    g_timeout_add_seconds(120, on_timeout, &probe);
    if (gst_element_set_state(probe.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
      if (probe.error == NULL)
        probe.error = g_strdup("pipeline did not start");
    } else {
      g_main_loop_run(probe.loop);
    }
    gst_element_set_state(probe.pipeline, GST_STATE_NULL);
    gst_bus_remove_watch(bus);
    gst_object_unref(probe.pipeline);
  }

  gboolean decoded = probe.decoded_video_frames > 0 || probe.decoded_audio_samples > 0;
  /* A crash-truncated file may end in a demuxer error after the last whole
   * block: accept it when data decoded. */
  gboolean ok = decoded && (probe.eos || probe.error != NULL);
  gint64 duration_ms = GST_CLOCK_TIME_IS_VALID(probe.first_pts)
      ? (gint64) ((probe.last_end - probe.first_pts) / GST_MSECOND) : 0;

  GString *out = g_string_new("{");
  g_string_append_printf(out, "\"ok\":%s,\"eos\":%s,\"durationMs\":%" G_GINT64_FORMAT,
                         ok ? "true" : "false", probe.eos ? "true" : "false", duration_ms);
  g_string_append_printf(out, ",\"hasVideo\":%s,\"hasAudio\":%s",
                         probe.has_video ? "true" : "false", probe.has_audio ? "true" : "false");
  if (probe.video_codec != NULL)
    g_string_append_printf(out, ",\"videoCodec\":\"%s\"", probe.video_codec);
  if (probe.audio_codec != NULL)
    g_string_append_printf(out, ",\"audioCodec\":\"%s\"", probe.audio_codec);
  g_string_append_printf(out, ",\"width\":%d,\"height\":%d,\"firstVideoFrameKeyframe\":%s",
                         probe.width, probe.height,
                         probe.first_video_seen && probe.first_video_keyframe ? "true" : "false");
  g_string_append_printf(out, ",\"decodedVideoFrames\":%" G_GUINT64_FORMAT
                         ",\"decodedAudioSamples\":%" G_GUINT64_FORMAT,
                         probe.decoded_video_frames, probe.decoded_audio_samples);
  if (probe.error != NULL) {
    g_autofree char *escaped = g_strescape(probe.error, NULL);
    g_string_append_printf(out, ",\"error\":\"%s\"", escaped);
  }
  g_string_append(out, "}");
  printf("%s\n", out->str);
  g_string_free(out, TRUE);
  return ok ? 0 : 1;
}
