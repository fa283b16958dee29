/* media-fixture.c: encoded media for the ingest unit tests (see media-fixture.h). */
#include "media-fixture.h"

#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/rtp/gstrtpbuffer.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

static void
test_buffer_free(gpointer data)
{
  ImsTestBuffer *b = data;
  g_bytes_unref(b->data);
  g_free(b);
}

static void
pull_all(GstElement *sink, GPtrArray *out, gboolean rtp)
{
  GstSample *sample;
  while ((sample = gst_app_sink_pull_sample(GST_APP_SINK(sink))) != NULL) {
    GstBuffer *buffer = gst_sample_get_buffer(sample);
    ImsTestBuffer *b = g_new0(ImsTestBuffer, 1);
    b->pts_ns = GST_BUFFER_PTS_IS_VALID(buffer) ? (gint64) GST_BUFFER_PTS(buffer) : -1;
    b->keyframe = !GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT);
    if (rtp) {
      GstRTPBuffer r = GST_RTP_BUFFER_INIT;
      g_assert_true(gst_rtp_buffer_map(buffer, GST_MAP_READ, &r));
      b->data = g_bytes_new(gst_rtp_buffer_get_payload(&r), gst_rtp_buffer_get_payload_len(&r));
      b->rtp_timestamp = gst_rtp_buffer_get_timestamp(&r);
      b->sequence = gst_rtp_buffer_get_seq(&r);
      b->marker = gst_rtp_buffer_get_marker(&r);
      gst_rtp_buffer_unmap(&r);
    } else {
      GstMapInfo map;
      g_assert_true(gst_buffer_map(buffer, &map, GST_MAP_READ));
      b->data = g_bytes_new(map.data, map.size);
      gst_buffer_unmap(buffer, &map);
    }
    g_ptr_array_add(out, b);
    gst_sample_unref(sample);
  }
}

static GstElement *
launch(const char *description)
{
  static gsize initialized;
  if (g_once_init_enter(&initialized)) {
    gst_init(NULL, NULL);
    g_once_init_leave(&initialized, 1);
  }
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch(description, &error);
  if (!pipeline)
    g_error("cannot build %s: %s", description, error->message);
  g_assert_cmpint(gst_element_set_state(pipeline, GST_STATE_PLAYING), !=, GST_STATE_CHANGE_FAILURE);
  return pipeline;
}

GPtrArray *
ims_test_pull(const char *description, const char *sink_name, gboolean rtp)
{
  GstElement *pipeline = launch(description);
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), sink_name);
  GPtrArray *out = g_ptr_array_new_with_free_func(test_buffer_free);
  pull_all(sink, out, rtp);
  gst_object_unref(sink);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return out;
}

void
ims_test_pull_two(const char *description, GPtrArray **frames, GPtrArray **packets)
{
  GstElement *pipeline = launch(description);
  GstElement *frame_sink = gst_bin_get_by_name(GST_BIN(pipeline), "frames");
  GstElement *rtp_sink = gst_bin_get_by_name(GST_BIN(pipeline), "rtp");
  *frames = g_ptr_array_new_with_free_func(test_buffer_free);
  *packets = g_ptr_array_new_with_free_func(test_buffer_free);
  pull_all(frame_sink, *frames, FALSE); /* both appsinks buffer without limit */
  pull_all(rtp_sink, *packets, TRUE);
  gst_object_unref(frame_sink);
  gst_object_unref(rtp_sink);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
}

/* ---- probe ---- */

static guint
decode(AVCodecContext *context, const AVPacket *packet, AVFrame *frame, guint *errors)
{
  guint frames = 0;
  int ret = avcodec_send_packet(context, packet);
  if (ret < 0 && ret != AVERROR_EOF)
    (*errors)++;
  while ((ret = avcodec_receive_frame(context, frame)) >= 0) {
    frames++;
    if (frame->decode_error_flags)
      (*errors)++;
    av_frame_unref(frame);
  }
  return frames;
}

gboolean
ims_test_probe(const char *path, ImsTestProbe *probe)
{
  memset(probe, 0, sizeof *probe);
  probe->duration_ms = -1;
  AVFormatContext *format = NULL;
  if (avformat_open_input(&format, path, NULL, NULL) < 0)
    return FALSE;
  avformat_find_stream_info(format, NULL);
  if (format->duration != AV_NOPTS_VALUE && format->duration > 0)
    probe->duration_ms = format->duration / 1000;

  ImsTestTrack *tracks[16] = { 0 };
  AVCodecContext *decoders[16] = { 0 };
  for (unsigned i = 0; i < format->nb_streams && i < 16; i++) {
    AVCodecParameters *par = format->streams[i]->codecpar;
    ImsTestTrack *t = par->codec_type == AVMEDIA_TYPE_VIDEO   ? &probe->video
                      : par->codec_type == AVMEDIA_TYPE_AUDIO ? &probe->audio
                                                              : NULL;
    if (!t || t->present)
      continue;
    t->present = TRUE;
    t->codec_id = par->codec_id;
    t->width = par->width;
    t->height = par->height;
    t->strictly_increasing = TRUE;
    t->pts_ms = g_array_new(FALSE, FALSE, sizeof(gint64));
    tracks[i] = t;
    const AVCodec *codec = avcodec_find_decoder(par->codec_id);
    if (codec) {
      decoders[i] = avcodec_alloc_context3(codec);
      avcodec_parameters_to_context(decoders[i], par);
      if (avcodec_open2(decoders[i], codec, NULL) < 0)
        avcodec_free_context(&decoders[i]);
    }
  }

  AVPacket *packet = av_packet_alloc();
  AVFrame *frame = av_frame_alloc();
  int ret;
  while ((ret = av_read_frame(format, packet)) >= 0) {
    unsigned i = packet->stream_index;
    ImsTestTrack *t = i < 16 ? tracks[i] : NULL;
    if (t) {
      gint64 ms = av_rescale_q(packet->pts, format->streams[i]->time_base, (AVRational){ 1, 1000 });
      if (t->packets == 0)
        t->first_keyframe = (packet->flags & AV_PKT_FLAG_KEY) != 0;
      else if (ms <= g_array_index(t->pts_ms, gint64, t->pts_ms->len - 1))
        t->strictly_increasing = FALSE;
      g_array_append_val(t->pts_ms, ms);
      t->packets++;
      if (decoders[i])
        t->decoded_frames += decode(decoders[i], packet, frame, &t->decode_errors);
    }
    av_packet_unref(packet);
  }
  probe->read_error = ret != AVERROR_EOF;
  for (unsigned i = 0; i < 16; i++) {
    if (decoders[i]) {
      tracks[i]->decoded_frames += decode(decoders[i], NULL, frame, &tracks[i]->decode_errors);
      avcodec_free_context(&decoders[i]);
    }
  }
  av_frame_free(&frame);
  av_packet_free(&packet);
  avformat_close_input(&format);
  return TRUE;
}

void
ims_test_probe_clear(ImsTestProbe *probe)
{
  if (probe->video.pts_ms)
    g_array_unref(probe->video.pts_ms);
  if (probe->audio.pts_ms)
    g_array_unref(probe->audio.pts_ms);
  memset(probe, 0, sizeof *probe);
}
