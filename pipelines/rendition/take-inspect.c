/* take-inspect.c: decodes one recorded take; see take-inspect.h.
 *
 *   filesrc ! matroskademux, each demuxed stream -> decodebin -> fakesink
 *
 * The first encoded video buffer out of the demuxer tells whether the file starts with a keyframe; the
 * decoded buffers give frame / sample counts and the duration (last pts + duration - first pts over all
 * decoded streams).  The calling thread polls the bus until EOS, the first error or the timeout.
 * Elements are added from the demuxer's and decodebin's streaming threads (pad-added); the counts are
 * written by the streaming threads under Inspection.lock and read after the pipeline is in NULL.
 */
#define G_LOG_DOMAIN "imsd.take-inspect"

#include "take-inspect.h"

#include <glib/gstdio.h>
#include <gst/audio/audio.h>
#include <gst/gst.h>
#include <string.h>
#include <sys/stat.h>

#include "rendition.h"

typedef struct {
  GstElement *pipeline;
  GMutex lock; /* protects media, first_pts and last_end: probes run on streaming threads */
  ImsTakeMedia *media;
  gboolean first_video_seen;
  GstClockTime first_pts, last_end;
} Inspection;

void
ims_take_media_clear(ImsTakeMedia *media)
{
  g_clear_pointer(&media->video_codec, g_free);
  g_clear_pointer(&media->audio_codec, g_free);
  g_clear_pointer(&media->error, g_free);
}

static void
note_decoded(Inspection *inspection, GstBuffer *buffer)
{
  GstClockTime pts = GST_BUFFER_PTS(buffer);
  if (!GST_CLOCK_TIME_IS_VALID(pts))
    return;
  GstClockTime end = pts + (GST_BUFFER_DURATION_IS_VALID(buffer) ? GST_BUFFER_DURATION(buffer) : 0);
  if (!GST_CLOCK_TIME_IS_VALID(inspection->first_pts) || pts < inspection->first_pts)
    inspection->first_pts = pts;
  if (!GST_CLOCK_TIME_IS_VALID(inspection->last_end) || end > inspection->last_end)
    inspection->last_end = end;
}

static GstPadProbeReturn
on_decoded(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  Inspection *inspection = data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  g_autoptr(GstCaps) caps = gst_pad_get_current_caps(pad);
  const char *name = caps != NULL ? gst_structure_get_name(gst_caps_get_structure(caps, 0)) : "";
  g_mutex_lock(&inspection->lock);
  if (g_str_has_prefix(name, "video/")) {
    inspection->media->decoded_video_frames++;
  } else if (g_str_has_prefix(name, "audio/")) {
    GstAudioInfo audio;
    if (gst_audio_info_from_caps(&audio, caps) && GST_AUDIO_INFO_BPF(&audio) > 0)
      inspection->media->decoded_audio_samples += gst_buffer_get_size(buffer) /
                                                  GST_AUDIO_INFO_BPF(&audio);
  }
  note_decoded(inspection, buffer);
  g_mutex_unlock(&inspection->lock);
  return GST_PAD_PROBE_OK;
}

static void
on_decodebin_pad(GstElement *decodebin, GstPad *pad, gpointer data)
{
  Inspection *inspection = data;
  GstElement *sink = gst_element_factory_make("fakesink", NULL);
  g_object_set(sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add(GST_BIN(inspection->pipeline), sink);
  gst_element_set_state(sink, GST_STATE_PLAYING); /* never wait for preroll */
  g_autoptr(GstPad) sink_pad = gst_element_get_static_pad(sink, "sink");
  gst_pad_add_probe(sink_pad, GST_PAD_PROBE_TYPE_BUFFER, on_decoded, inspection, NULL);
  gst_pad_link(pad, sink_pad);
}

static GstPadProbeReturn
on_encoded_video(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  Inspection *inspection = data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  g_mutex_lock(&inspection->lock);
  if (!inspection->first_video_seen) {
    inspection->first_video_seen = TRUE;
    inspection->media->first_video_keyframe = !GST_BUFFER_FLAG_IS_SET(buffer,
                                                                      GST_BUFFER_FLAG_DELTA_UNIT);
  }
  g_mutex_unlock(&inspection->lock);
  return GST_PAD_PROBE_REMOVE;
}

static void
on_demux_pad(GstElement *demux, GstPad *pad, gpointer data)
{
  Inspection *inspection = data;
  g_autoptr(GstCaps) caps = gst_pad_get_current_caps(pad);
  if (caps == NULL)
    return;
  const GstStructure *structure = gst_caps_get_structure(caps, 0);
  const char *name = gst_structure_get_name(structure);
  g_mutex_lock(&inspection->lock);
  ImsTakeMedia *media = inspection->media;
  if (g_str_has_prefix(name, "video/") && !media->has_video) {
    media->has_video = TRUE;
    media->video_codec = g_strdup(g_str_equal(name, "video/x-h264")  ? "H264"
                                  : g_str_equal(name, "video/x-vp8") ? "VP8"
                                                                     : name);
    gst_structure_get_int(structure, "width", &media->width);
    gst_structure_get_int(structure, "height", &media->height);
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_encoded_video, inspection, NULL);
  } else if (g_str_has_prefix(name, "audio/") && !media->has_audio) {
    media->has_audio = TRUE;
    media->audio_codec = g_strdup(g_str_equal(name, "audio/x-opus") ? "OPUS" : name);
  }
  g_mutex_unlock(&inspection->lock);

  GstElement *decodebin = gst_element_factory_make("decodebin", NULL);
  g_signal_connect(decodebin, "pad-added", G_CALLBACK(on_decodebin_pad), inspection);
  gst_bin_add(GST_BIN(inspection->pipeline), decodebin);
  gst_element_set_state(decodebin, GST_STATE_PLAYING);
  g_autoptr(GstPad) sink_pad = gst_element_get_static_pad(decodebin, "sink");
  gst_pad_link(pad, sink_pad);
}

/* Plays the pipeline until EOS, the first error or the deadline; fills media->eos / media->error. */
static void
run_inspection(Inspection *inspection, double timeout_seconds)
{
  ImsTakeMedia *media = inspection->media;
  g_autoptr(GstBus) bus = gst_pipeline_get_bus(GST_PIPELINE(inspection->pipeline));
  if (gst_element_set_state(inspection->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_autoptr(GstMessage) message = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
    g_autoptr(GError) gst_error = NULL;
    if (message != NULL)
      gst_message_parse_error(message, &gst_error, NULL);
    media->error = g_strdup(gst_error != NULL ? gst_error->message : "pipeline did not start");
    return;
  }
  gint64 deadline = g_get_monotonic_time() + (gint64) (timeout_seconds * G_USEC_PER_SEC);
  while (!media->eos && media->error == NULL) {
    gint64 remaining = deadline - g_get_monotonic_time();
    if (remaining <= 0) {
      media->error = g_strdup_printf("timed out decoding after %.0f s", timeout_seconds);
      break;
    }
    g_autoptr(GstMessage) message = gst_bus_timed_pop_filtered(bus, remaining * GST_USECOND,
                                                               GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    if (message == NULL)
      continue;
    if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_EOS) {
      media->eos = TRUE;
    } else {
      g_autoptr(GError) gst_error = NULL;
      gst_message_parse_error(message, &gst_error, NULL);
      media->error = g_strdup_printf("%s: %s", GST_OBJECT_NAME(GST_MESSAGE_SRC(message)),
                                     gst_error->message);
    }
  }
}

gboolean
ims_take_inspect(const char *path, double timeout_seconds, ImsTakeMedia *media, GError **error)
{
  g_return_val_if_fail(path != NULL && media != NULL, FALSE);
  memset(media, 0, sizeof *media);
  if (!gst_is_initialized())
    gst_init(NULL, NULL);
  GStatBuf st;
  if (g_stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
    media->error = g_strdup("no such file");
    g_set_error(error, IMS_RENDITION_ERROR, IMS_RENDITION_ERROR_INPUT,
                "the take file %s is missing", path);
    return FALSE;
  }
  if (st.st_size == 0) {
    media->error = g_strdup("empty file");
    g_set_error(error, IMS_RENDITION_ERROR, IMS_RENDITION_ERROR_INPUT, "the take file %s is empty",
                path);
    return FALSE;
  }

  Inspection inspection = { .media = media,
                            .first_pts = GST_CLOCK_TIME_NONE,
                            .last_end = GST_CLOCK_TIME_NONE };
  g_mutex_init(&inspection.lock);
  inspection.pipeline = gst_pipeline_new(NULL);
  GstElement *src = gst_element_factory_make("filesrc", NULL);
  GstElement *demux = gst_element_factory_make("matroskademux", NULL);
  if (src == NULL || demux == NULL) {
    media->error = g_strdup("filesrc or matroskademux is missing");
  } else {
    g_object_set(src, "location", path, NULL);
    gst_bin_add_many(GST_BIN(inspection.pipeline), src, demux, NULL);
    gst_element_link(src, demux);
    g_signal_connect(demux, "pad-added", G_CALLBACK(on_demux_pad), &inspection);
    run_inspection(&inspection, timeout_seconds);
  }
  gst_element_set_state(inspection.pipeline, GST_STATE_NULL);
  gst_object_unref(inspection.pipeline);
  g_mutex_clear(&inspection.lock);

  if (GST_CLOCK_TIME_IS_VALID(inspection.first_pts))
    media->duration_ms = (gint64) ((inspection.last_end - inspection.first_pts) / GST_MSECOND);
  if (media->decoded_video_frames == 0 && media->decoded_audio_samples == 0) {
    g_set_error(error, IMS_RENDITION_ERROR, IMS_RENDITION_ERROR_INPUT,
                "no decodable media in %s: %s", path,
                media->error != NULL ? media->error : "no stream decoded");
    return FALSE;
  }
  return TRUE;
}
