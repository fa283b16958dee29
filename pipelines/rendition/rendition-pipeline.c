/* rendition-pipeline.c: what every rendition file runs its GStreamer work with: a pipeline built from
 * a gst-launch description, run to EOS on the calling thread (its bus polled, no GMainContext), and
 * the probe of a take's streams (the Matroska track headers, nothing decoded).  Used by rendition.c
 * (a take's renditions) and composite.c (a live room's composite).  Stateless, thread-safe.
 */
#define G_LOG_DOMAIN "imsd.rendition"

#include "rendition-private.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "rendition.h"

#define PROBE_TIMEOUT_SECONDS 20

/* ---- running pipelines ---------------------------------------------------------------------------- */

/* See rendition-private.h. */
GstElement *
ims_rendition_build_pipeline(const char *what, const char *description, const char *input,
                             const char *output, GError **error)
{
  g_autoptr(GError) parse_error = NULL;
  GstElement *pipeline = gst_parse_launch_full(description, NULL, GST_PARSE_FLAG_FATAL_ERRORS,
                                               &parse_error);
  if (pipeline == NULL) {
    g_set_error(error, IMS_RENDITION_ERROR, IMS_RENDITION_ERROR_PIPELINE,
                "%s: cannot build pipeline: %s", what,
                parse_error != NULL ? parse_error->message : "unknown error");
    return NULL;
  }
  if (input != NULL) {
    g_autoptr(GstElement) src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
    g_object_set(src, "location", input, NULL);
  }
  if (output != NULL) {
    g_autoptr(GstElement) sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
    g_object_set(sink, "location", output, NULL);
  }
  return pipeline;
}

/* See rendition-private.h. */
gboolean
ims_rendition_run_pipeline(GstElement *pipeline, const char *what, double timeout_seconds,
                           GError **error)
{
  g_autoptr(GstBus) bus = gst_element_get_bus(pipeline);
  gboolean ok = FALSE;
  if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    /* The reason, if any, is an error message on the bus. */
    g_autoptr(GstMessage) message = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
    g_autoptr(GError) gst_error = NULL;
    if (message != NULL)
      gst_message_parse_error(message, &gst_error, NULL);
    int code = gst_error != NULL && gst_error->domain == GST_RESOURCE_ERROR &&
                       gst_error->code == GST_RESOURCE_ERROR_OPEN_WRITE
                   ? IMS_RENDITION_ERROR_OUTPUT
                   : IMS_RENDITION_ERROR_PIPELINE;
    g_set_error(error, IMS_RENDITION_ERROR, code, "%s: cannot start: %s", what,
                gst_error != NULL ? gst_error->message : "state change failed");
    gst_element_set_state(pipeline, GST_STATE_NULL);
    return FALSE;
  }
  gint64 deadline = g_get_monotonic_time() + (gint64) (timeout_seconds * G_USEC_PER_SEC);
  for (;;) {
    gint64 remaining = deadline - g_get_monotonic_time();
    if (remaining <= 0) {
      g_set_error(error, IMS_RENDITION_ERROR, IMS_RENDITION_ERROR_PIPELINE,
                  "%s: timed out after %.0f s", what, timeout_seconds);
      break;
    }
    g_autoptr(GstMessage) message = gst_bus_timed_pop_filtered(
        bus, remaining * GST_USECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_APPLICATION);
    if (message == NULL)
      continue;
    if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_EOS) {
      ok = TRUE;
      break;
    }
    if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_APPLICATION) {
      if (gst_message_has_name(message, "ims-stop")) {
        ok = TRUE;
        break;
      }
      continue;
    }
    g_autoptr(GError) gst_error = NULL;
    g_autofree char *debug = NULL;
    gst_message_parse_error(message, &gst_error, &debug);
    int code = IMS_RENDITION_ERROR_PIPELINE;
    if (gst_error->domain == GST_RESOURCE_ERROR &&
        (gst_error->code == GST_RESOURCE_ERROR_NO_SPACE_LEFT ||
         gst_error->code == GST_RESOURCE_ERROR_WRITE ||
         gst_error->code == GST_RESOURCE_ERROR_OPEN_WRITE))
      code = IMS_RENDITION_ERROR_OUTPUT;
    else if (gst_error->domain == GST_STREAM_ERROR &&
             (gst_error->code == GST_STREAM_ERROR_DEMUX ||
              gst_error->code == GST_STREAM_ERROR_WRONG_TYPE ||
              gst_error->code == GST_STREAM_ERROR_TYPE_NOT_FOUND))
      code = IMS_RENDITION_ERROR_INPUT;
    g_set_error(error, IMS_RENDITION_ERROR, code, "%s: %s: %s", what,
                GST_OBJECT_NAME(GST_MESSAGE_SRC(message)), gst_error->message);
    g_debug("%s: %s", what, debug != NULL ? debug : "");
    break;
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  return ok;
}

/* ---- probing the take ----------------------------------------------------------------------------- */

static void
on_probe_pad_added(GstElement *demux, GstPad *pad, gpointer user_data)
{
  ImsTakeStreams *info = user_data; /* written here (streaming thread) before "no-more-pads"; read after it */
  g_autoptr(GstCaps) caps = gst_pad_get_current_caps(pad);
  if (caps == NULL || gst_caps_is_empty(caps))
    return;
  const GstStructure *structure = gst_caps_get_structure(caps, 0);
  const char *name = gst_structure_get_name(structure);
  if (g_str_has_prefix(name, "video/") && !info->has_video) {
    info->has_video = TRUE;
    info->video_codec = g_strdup(g_str_equal(name, "video/x-h264")  ? "h264"
                                 : g_str_equal(name, "video/x-vp8") ? "vp8"
                                                                    : name);
    gst_structure_get_int(structure, "width", &info->width);
    gst_structure_get_int(structure, "height", &info->height);
    if (!gst_structure_get_fraction(structure, "framerate", &info->fps_n, &info->fps_d))
      info->fps_n = 0;
  } else if (g_str_has_prefix(name, "audio/") && !info->has_audio) {
    info->has_audio = TRUE;
    info->audio_codec = g_strdup(g_str_equal(name, "audio/x-opus") ? "opus" : name);
  }
}

static void
on_probe_no_more_pads(GstElement *demux, gpointer user_data)
{
  gst_element_post_message(demux, gst_message_new_application(
                                      GST_OBJECT(demux), gst_structure_new_empty("ims-probe-done")));
}

/* See rendition-private.h. */
gboolean
ims_rendition_probe_take(const char *input, ImsTakeStreams *info, GError **error)
{
  memset(info, 0, sizeof *info);
  info->duration = GST_CLOCK_TIME_NONE;
  GStatBuf stat_buf;
  if (g_stat(input, &stat_buf) != 0) {
    g_set_error(error, IMS_RENDITION_ERROR, IMS_RENDITION_ERROR_INPUT, "%s: %s", input,
                g_strerror(errno));
    return FALSE;
  }
  info->size_bytes = stat_buf.st_size;

  g_autoptr(GstElement) pipeline = ims_rendition_build_pipeline(
      "probe", "filesrc name=src ! matroskademux name=demux", input, NULL, error);
  if (pipeline == NULL)
    return FALSE;
  g_autoptr(GstElement) demux = gst_bin_get_by_name(GST_BIN(pipeline), "demux");
  g_signal_connect(demux, "pad-added", G_CALLBACK(on_probe_pad_added), info);
  g_signal_connect(demux, "no-more-pads", G_CALLBACK(on_probe_no_more_pads), NULL);

  g_autoptr(GstBus) bus = gst_element_get_bus(pipeline);
  gst_element_set_state(pipeline, GST_STATE_PAUSED);
  g_autoptr(GstMessage) message = gst_bus_timed_pop_filtered(
      bus, PROBE_TIMEOUT_SECONDS * GST_SECOND, GST_MESSAGE_ERROR | GST_MESSAGE_APPLICATION);
  gboolean ok = message != NULL && GST_MESSAGE_TYPE(message) == GST_MESSAGE_APPLICATION;
  if (ok) {
    gint64 duration = -1;
    if (gst_element_query_duration(demux, GST_FORMAT_TIME, &duration) && duration > 0)
      info->duration = duration;
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  g_signal_handlers_disconnect_by_data(demux, info);

  if (!ok) {
    g_autoptr(GError) gst_error = NULL;
    if (message != NULL)
      gst_message_parse_error(message, &gst_error, NULL);
    g_set_error(error, IMS_RENDITION_ERROR, IMS_RENDITION_ERROR_INPUT, "%s: not a readable take: %s",
                input, gst_error != NULL ? gst_error->message : "no streams found in time");
    ims_take_streams_clear(info);
    return FALSE;
  }
  if (!info->has_video && !info->has_audio) {
    g_set_error(error, IMS_RENDITION_ERROR, IMS_RENDITION_ERROR_INPUT,
                "%s: no audio or video stream", input);
    return FALSE;
  }
  if (info->has_audio && !g_str_equal(info->audio_codec, "opus")) {
    g_set_error(error, IMS_RENDITION_ERROR, IMS_RENDITION_ERROR_INPUT, "%s: audio is %s, not Opus",
                input, info->audio_codec);
    ims_take_streams_clear(info);
    return FALSE;
  }
  if (info->has_video &&
      ((!g_str_equal(info->video_codec, "h264") && !g_str_equal(info->video_codec, "vp8")) ||
       info->width <= 0 || info->height <= 0)) {
    g_set_error(error, IMS_RENDITION_ERROR, IMS_RENDITION_ERROR_INPUT,
                "%s: video is %s %dx%d, not H.264 or VP8", input, info->video_codec, info->width,
                info->height);
    ims_take_streams_clear(info);
    return FALSE;
  }
  return TRUE;
}

/* See rendition-private.h. */
void
ims_take_streams_clear(ImsTakeStreams *info)
{
  g_clear_pointer(&info->video_codec, g_free);
  g_clear_pointer(&info->audio_codec, g_free);
}
