/* rendition-repair.c: a re-timestamped copy of a take whose timestamps are not increasing.
 *
 * Under CPU load the recorder can write a video frame stamped at or before the one written before it.
 * Matroska keeps such a file, but the MP4 muxer refuses it ("Could not multiplex stream": the encoder
 * drops the timestamps it cannot order), so no rendition is made.  The repair is one remux pass:
 *
 *   filesrc ! matroskademux -> (per stream) queue [probe: strictly increasing PTS, DTS = PTS]
 *           -> matroskamux ! filesink
 *
 * No decoding: the frames keep their bytes and their order (the decode order, which is what the
 * decoder needs); only the stamps of the offending ones move, to 1 ms (Matroska's tick) after the
 * previous frame of their stream.  WebRTC takes have no B-frames (VP8, constrained-baseline H.264), so
 * decode order is presentation order and making PTS increase in that order is right.
 *
 * Threads: the pipeline runs on the calling thread (a processing worker); the probe runs on the
 * streaming thread of its stream and touches only its own StreamStamps.  The caller reads the counts
 * after the pipeline is back in NULL.
 */
#define G_LOG_DOMAIN "imsd.rendition"

#include <glib/gstdio.h>

#include "rendition.h"
#include "rendition-private.h"

#define MATROSKA_TICK GST_MSECOND

/* One stream's last timestamp and how many buffers the probe moved; written by its streaming thread
 * only, read once the pipeline is in NULL. */
typedef struct {
  GstClockTime previous;
  guint fixed;
} StreamStamps;

static GstPadProbeReturn
on_buffer(GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  StreamStamps *stamps = user_data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  GstClockTime pts = GST_BUFFER_PTS_IS_VALID(buffer) ? GST_BUFFER_PTS(buffer)
                                                     : GST_BUFFER_DTS(buffer);
  if (!GST_CLOCK_TIME_IS_VALID(pts))
    return GST_PAD_PROBE_OK; /* matroskamux stamps it from the previous one */
  gboolean backwards = GST_CLOCK_TIME_IS_VALID(stamps->previous) && pts <= stamps->previous;
  if (backwards || GST_BUFFER_DTS(buffer) != pts) {
    buffer = gst_buffer_make_writable(buffer);
    GST_PAD_PROBE_INFO_DATA(info) = buffer;
    if (backwards) {
      pts = stamps->previous + MATROSKA_TICK;
      stamps->fixed++;
    }
    GST_BUFFER_PTS(buffer) = pts;
    GST_BUFFER_DTS(buffer) = pts;
  }
  stamps->previous = pts;
  return GST_PAD_PROBE_OK;
}

static void
watch_stream(GstElement *pipeline, const char *queue_name, StreamStamps *stamps)
{
  g_autoptr(GstElement) queue = gst_bin_get_by_name(GST_BIN(pipeline), queue_name);
  g_autoptr(GstPad) pad = gst_element_get_static_pad(queue, "sink");
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_buffer, stamps, NULL);
}

gboolean
ims_rendition_repair_timestamps(const char *input, const char *output, gboolean has_video,
                                gboolean has_audio, double timeout_seconds, guint *fixed,
                                GError **error)
{
  g_return_val_if_fail(has_video || has_audio, FALSE);
  GString *description = g_string_new("filesrc name=src ! matroskademux name=demux "
                                      "matroskamux name=mux ! filesink name=sink ");
  if (has_video)
    g_string_append(description,
                    "demux.video_0 ! queue name=video max-size-buffers=0 max-size-bytes=0 "
                    "max-size-time=10000000000 ! mux.video_0 ");
  if (has_audio)
    g_string_append(description,
                    "demux.audio_0 ! queue name=audio max-size-buffers=0 max-size-bytes=0 "
                    "max-size-time=10000000000 ! mux.audio_0 ");
  g_autoptr(GstElement) pipeline = ims_rendition_build_pipeline(
      "timestamp repair", description->str, input, output, error);
  g_string_free(description, TRUE);
  if (pipeline == NULL)
    return FALSE;
  StreamStamps video = { GST_CLOCK_TIME_NONE, 0 }, audio = { GST_CLOCK_TIME_NONE, 0 };
  if (has_video)
    watch_stream(pipeline, "video", &video);
  if (has_audio)
    watch_stream(pipeline, "audio", &audio);
  if (!ims_rendition_run_pipeline(pipeline, "timestamp repair", timeout_seconds, error)) {
    g_unlink(output);
    return FALSE;
  }
  *fixed = video.fixed + audio.fixed;
  return TRUE;
}
