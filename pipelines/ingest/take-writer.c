/* take-writer.c: one take's Matroska file through libavformat (see take-writer.h).
 *
 * States: opened (AVFormatContext and file, no header) -> writing (header
 * written at the first video keyframe, or the first audio frame of an
 * audio-only take) -> closed (trailer written) | failed (a write failed: the
 * file stays as it was flushed).
 *
 * H.264 goes into Matroska as AVC (avcC codec private data, 4-byte NAL
 * lengths): the writer converts each Annex B access unit into one reused
 * buffer itself rather than let the muxer allocate per frame.
 *
 * Threads: the caller's only (the take's media loop thread).
 */
#define G_LOG_DOMAIN "imsd.take-writer"

#include "take-writer.h"

#include <errno.h>
#include <string.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>

/* clang-format off */
G_DEFINE_QUARK(ims-take-writer-error-quark, ims_take_writer_error)
/* clang-format on */

static const AVRational NS_TIME_BASE = { 1, 1000000000 };
static const AVRational OPUS_TIME_BASE = { 1, 48000 };

typedef struct {
  guint8 *data;
  gsize size;
  gint64 timestamp_ns;
} PendingAudio;

typedef enum { WRITER_OPENED, WRITER_WRITING, WRITER_CLOSED, WRITER_FAILED } WriterState;

struct _ImsTakeWriter {
  char *path;
  ImsTakeWriterConfig config;
  WriterState state;
  AVFormatContext *format;
  AVStream *streams[IMS_TRACK_COUNT]; /* NULL: the take has no such track */
  AVPacket *packet;                   /* reused for every frame */
  GByteArray *avc;                    /* H.264 access unit as 4-byte-length NAL units; reused */
  gint64 origin_ns;                   /* session time of the file's time 0 */
  gboolean has_last[IMS_TRACK_COUNT];
  gint64 last_pts[IMS_TRACK_COUNT];                        /* in the stream's time base */
  PendingAudio pending[IMS_TAKE_WRITER_MAX_PENDING_AUDIO]; /* audio before the header, oldest first */
  guint pending_count;
  ImsTakeCompleteness completeness;
};

static const char *
av_error_text(int code, char *buffer, gsize size)
{
  av_strerror(code, buffer, size);
  return buffer;
}

/* ---- codec private data ---- */

/* OpusHead (RFC 7845 5.1): pre-skip 0 (RTP carries none), 48 kHz, family 0. */
static int
set_opus_head(AVCodecParameters *par, guint channels)
{
  static const gsize SIZE = 19;
  par->extradata = av_mallocz(SIZE + AV_INPUT_BUFFER_PADDING_SIZE);
  if (!par->extradata)
    return AVERROR(ENOMEM);
  guint8 *p = par->extradata;
  memcpy(p, "OpusHead", 8);
  p[8] = 1;
  p[9] = (guint8) channels;
  p[10] = p[11] = 0;
  guint32 rate = 48000;
  p[12] = rate & 0xff;
  p[13] = (rate >> 8) & 0xff;
  p[14] = (rate >> 16) & 0xff;
  p[15] = (rate >> 24) & 0xff;
  p[16] = p[17] = 0;
  p[18] = 0;
  par->extradata_size = SIZE;
  return 0;
}

/* Finds the next Annex B NAL unit in [*pos, end): TRUE with *nal / *size
 * (trailing zero bytes before the next start code removed), *pos after it. */
static gboolean
next_nal(const guint8 **pos, const guint8 *end, const guint8 **nal, gsize *size)
{
  const guint8 *p = *pos;
  while (p + 3 <= end && !(p[0] == 0 && p[1] == 0 && p[2] == 1))
    p++;
  if (p + 3 > end)
    return FALSE;
  p += 3;
  const guint8 *start = p;
  while (p + 3 <= end && !(p[0] == 0 && p[1] == 0 && p[2] == 1))
    p++;
  const guint8 *stop = p + 3 <= end ? p : end;
  while (stop > start && stop[-1] == 0 && stop < end)
    stop--;
  *nal = start;
  *size = stop - start;
  *pos = stop;
  return TRUE;
}

/* An access unit's Annex B NAL units -> self->avc (4-byte big-endian lengths). */
static gboolean
annex_b_to_avc(ImsTakeWriter *self, const guint8 *data, gsize size)
{
  g_byte_array_set_size(self->avc, 0);
  const guint8 *pos = data, *end = data + size, *nal;
  gsize nal_size;
  while (next_nal(&pos, end, &nal, &nal_size)) {
    if (nal_size == 0)
      continue;
    guint8 length[4] = { nal_size >> 24, nal_size >> 16, nal_size >> 8, nal_size };
    g_byte_array_append(self->avc, length, 4);
    g_byte_array_append(self->avc, nal, nal_size);
  }
  return self->avc->len > 0;
}

/* The video track's codec parameters from its first keyframe.  FALSE with
 * BAD_FRAME when the frame lacks what the header needs. */
static gboolean
set_video_parameters(ImsTakeWriter *self, const guint8 *data, gsize size, GError **error)
{
  AVCodecParameters *par = self->streams[IMS_TRACK_VIDEO]->codecpar;
  if (self->config.video_codec == IMS_MEDIA_CODEC_VP8) {
    /* RFC 6386 9.1: frame tag, start code 9d 01 2a, 14-bit width and height */
    if (size < 10 || data[3] != 0x9d || data[4] != 0x01 || data[5] != 0x2a) {
      g_set_error(error, IMS_TAKE_WRITER_ERROR, IMS_TAKE_WRITER_ERROR_BAD_FRAME,
                  "VP8 keyframe without its start code and size");
      return FALSE;
    }
    par->width = (data[6] | (data[7] << 8)) & 0x3fff;
    par->height = (data[8] | (data[9] << 8)) & 0x3fff;
    return TRUE;
  }

  const guint8 *pos = data, *end = data + size, *nal, *sps = NULL, *pps = NULL;
  gsize nal_size, sps_size = 0, pps_size = 0;
  while (next_nal(&pos, end, &nal, &nal_size)) {
    if (nal_size > 0 && (nal[0] & 0x1f) == 7 && !sps) {
      sps = nal;
      sps_size = nal_size;
    } else if (nal_size > 0 && (nal[0] & 0x1f) == 8 && !pps) {
      pps = nal;
      pps_size = nal_size;
    }
  }
  if (!sps || !pps || sps_size < 4 || sps_size > 0xffff || pps_size > 0xffff) {
    g_set_error(error, IMS_TAKE_WRITER_ERROR, IMS_TAKE_WRITER_ERROR_BAD_FRAME,
                "H.264 keyframe without SPS and PPS: the file cannot start on it");
    return FALSE;
  }
  /* avcC (ISO/IEC 14496-15 5.2.4.1): one SPS, one PPS, 4-byte NAL lengths */
  gsize avcc_size = 6 + 2 + sps_size + 1 + 2 + pps_size;
  guint8 *avcc = av_mallocz(avcc_size + AV_INPUT_BUFFER_PADDING_SIZE);
  if (!avcc) {
    g_set_error(error, IMS_TAKE_WRITER_ERROR, IMS_TAKE_WRITER_ERROR_MUXER, "out of memory");
    return FALSE;
  }
  guint8 *p = avcc;
  *p++ = 1;
  *p++ = sps[1]; /* profile_idc */
  *p++ = sps[2]; /* constraint flags */
  *p++ = sps[3]; /* level_idc */
  *p++ = 0xff;   /* 6 reserved bits, lengthSizeMinusOne = 3 */
  *p++ = 0xe1;   /* 3 reserved bits, one SPS */
  *p++ = sps_size >> 8;
  *p++ = sps_size & 0xff;
  memcpy(p, sps, sps_size);
  p += sps_size;
  *p++ = 1; /* one PPS */
  *p++ = pps_size >> 8;
  *p++ = pps_size & 0xff;
  memcpy(p, pps, pps_size);
  av_freep(&par->extradata);
  par->extradata = avcc;
  par->extradata_size = (int) avcc_size;

  /* the picture size, from the SPS, by libavcodec's parser */
  AVCodecParserContext *parser = av_parser_init(AV_CODEC_ID_H264);
  AVCodecContext *context = avcodec_alloc_context3(NULL);
  if (parser && context) {
    parser->flags |= PARSER_FLAG_COMPLETE_FRAMES;
    uint8_t *out = NULL;
    int out_size = 0;
    av_parser_parse2(parser, context, &out, &out_size, data, (int) size, AV_NOPTS_VALUE,
                     AV_NOPTS_VALUE, 0);
    par->width = parser->width > 0 ? parser->width : context->width;
    par->height = parser->height > 0 ? parser->height : context->height;
  }
  av_parser_close(parser);
  avcodec_free_context(&context);
  if (par->width <= 0 || par->height <= 0) {
    g_set_error(error, IMS_TAKE_WRITER_ERROR, IMS_TAKE_WRITER_ERROR_BAD_FRAME,
                "H.264 keyframe whose SPS gives no picture size");
    return FALSE;
  }
  return TRUE;
}

/* Samples at 48 kHz of an Opus packet, from its TOC (RFC 6716 3.1); 0 if malformed. */
static gint64
opus_packet_samples(const guint8 *data, gsize size)
{
  static const guint16 SILK[4] = { 480, 960, 1920, 2880 };
  static const guint16 HYBRID[2] = { 480, 960 };
  static const guint16 CELT[4] = { 120, 240, 480, 960 };
  if (size < 1)
    return 0;
  guint config = data[0] >> 3;
  gint64 frame = config < 12   ? SILK[config & 3]
                 : config < 16 ? HYBRID[config & 1]
                               : CELT[config & 3];
  switch (data[0] & 3) {
  case 0:
    return frame;
  case 1:
  case 2:
    return 2 * frame;
  default:
    return size >= 2 ? (data[1] & 0x3f) * frame : 0;
  }
}

/* ---- open / close ---- */

ImsTakeWriter *
ims_take_writer_open(const char *path, const ImsTakeWriterConfig *config, GError **error)
{
  char text[128];
  if ((config->video_codec != IMS_MEDIA_CODEC_NONE && config->video_codec != IMS_MEDIA_CODEC_H264 &&
       config->video_codec != IMS_MEDIA_CODEC_VP8) ||
      (config->audio_codec != IMS_MEDIA_CODEC_NONE && config->audio_codec != IMS_MEDIA_CODEC_OPUS) ||
      (config->video_codec == IMS_MEDIA_CODEC_NONE && config->audio_codec == IMS_MEDIA_CODEC_NONE) ||
      config->audio_channels > 2) {
    g_set_error(
        error, IMS_TAKE_WRITER_ERROR, IMS_TAKE_WRITER_ERROR_CONFIG,
        "a take needs H.264 or VP8 video and/or Opus audio (1 or 2 channels), got video %s audio %s",
        ims_media_codec_name(config->video_codec), ims_media_codec_name(config->audio_codec));
    return NULL;
  }

  ImsTakeWriter *self = g_new0(ImsTakeWriter, 1);
  self->path = g_strdup(path);
  self->config = *config;
  if (self->config.audio_channels == 0)
    self->config.audio_channels = 2;
  if (self->config.cluster_time_ms == 0)
    self->config.cluster_time_ms = 500;
  if (self->config.cluster_size_bytes == 0)
    self->config.cluster_size_bytes = 1024 * 1024;
  self->avc = g_byte_array_sized_new(64 * 1024);
  self->packet = av_packet_alloc();

  int ret = avformat_alloc_output_context2(&self->format, NULL, "matroska", path);
  if (ret < 0 || !self->packet) {
    g_set_error(error, IMS_TAKE_WRITER_ERROR, IMS_TAKE_WRITER_ERROR_MUXER,
                "libavformat has no matroska muxer: %s", av_error_text(ret, text, sizeof text));
    goto error;
  }
  if (config->video_codec != IMS_MEDIA_CODEC_NONE) {
    AVStream *stream = avformat_new_stream(self->format, NULL);
    if (!stream)
      goto no_memory;
    stream->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
    stream->codecpar->codec_id = config->video_codec == IMS_MEDIA_CODEC_H264 ? AV_CODEC_ID_H264
                                                                             : AV_CODEC_ID_VP8;
    self->streams[IMS_TRACK_VIDEO] = stream;
  }
  if (config->audio_codec != IMS_MEDIA_CODEC_NONE) {
    AVStream *stream = avformat_new_stream(self->format, NULL);
    if (!stream)
      goto no_memory;
    AVCodecParameters *par = stream->codecpar;
    par->codec_type = AVMEDIA_TYPE_AUDIO;
    par->codec_id = AV_CODEC_ID_OPUS;
    par->sample_rate = 48000;
    av_channel_layout_default(&par->ch_layout, (int) self->config.audio_channels);
    if (set_opus_head(par, self->config.audio_channels) < 0)
      goto no_memory;
    self->streams[IMS_TRACK_AUDIO] = stream;
  }
  ret = avio_open(&self->format->pb, path, AVIO_FLAG_WRITE);
  if (ret < 0) {
    g_set_error(error, IMS_TAKE_WRITER_ERROR, IMS_TAKE_WRITER_ERROR_FILE, "cannot create %s: %s",
                path, av_error_text(ret, text, sizeof text));
    goto error;
  }
  self->state = WRITER_OPENED;
  return self;

no_memory:
  g_set_error(error, IMS_TAKE_WRITER_ERROR, IMS_TAKE_WRITER_ERROR_MUXER, "out of memory");
error:
  ims_take_writer_free(self);
  return NULL;
}

static void
clear_pending(ImsTakeWriter *self)
{
  for (guint i = 0; i < self->pending_count; i++)
    g_free(self->pending[i].data);
  self->pending_count = 0;
}

void
ims_take_writer_free(ImsTakeWriter *self)
{
  if (self == NULL)
    return;
  if (self->format) {
    if (self->format->pb) {
      avio_flush(self->format->pb);
      avio_closep(&self->format->pb);
    }
    avformat_free_context(self->format);
  }
  clear_pending(self);
  av_packet_free(&self->packet);
  g_byte_array_unref(self->avc);
  g_free(self->path);
  g_free(self);
}

ImsTakeCompleteness *
ims_take_writer_get_completeness(ImsTakeWriter *self)
{
  return &self->completeness;
}

gint64
ims_take_writer_get_bytes_written(const ImsTakeWriter *self)
{
  return self->format && self->format->pb ? avio_tell(self->format->pb) : 0;
}

static gboolean
fail(ImsTakeWriter *self, int ret, const char *what, GError **error)
{
  char text[128];
  self->state = WRITER_FAILED;
  g_set_error(error, IMS_TAKE_WRITER_ERROR,
              ret == AVERROR(EIO) || ret == AVERROR(ENOSPC) ? IMS_TAKE_WRITER_ERROR_FILE
                                                            : IMS_TAKE_WRITER_ERROR_MUXER,
              "%s %s: %s", what, self->path, av_error_text(ret, text, sizeof text));
  return FALSE;
}

/* Closes the open cluster and puts everything buffered into the file. */
static int
flush_cluster(ImsTakeWriter *self)
{
  int ret = av_write_frame(self->format, NULL);
  if (ret < 0)
    return ret;
  avio_flush(self->format->pb);
  return self->format->pb->error;
}

gboolean
ims_take_writer_close(ImsTakeWriter *self, GError **error)
{
  if (self->state == WRITER_CLOSED || self->state == WRITER_FAILED) {
    g_set_error(error, IMS_TAKE_WRITER_ERROR, IMS_TAKE_WRITER_ERROR_CLOSED, "%s is already closed",
                self->path);
    return FALSE;
  }
  if (self->state == WRITER_OPENED) {
    self->state = WRITER_FAILED;
    g_set_error(error, IMS_TAKE_WRITER_ERROR, IMS_TAKE_WRITER_ERROR_MUXER,
                "%s: no frame was written (no video keyframe came)", self->path);
    return FALSE;
  }
  int ret = av_write_trailer(self->format);
  if (ret < 0)
    return fail(self, ret, "cannot finish", error);
  avio_flush(self->format->pb);
  ret = self->format->pb->error;
  int close_ret = avio_closep(&self->format->pb);
  if (ret < 0 || close_ret < 0)
    return fail(self, ret < 0 ? ret : close_ret, "cannot write", error);
  self->state = WRITER_CLOSED;
  return TRUE;
}

/* ---- frames ---- */

static gboolean write_frame(ImsTakeWriter *self, ImsTrack track, const guint8 *data, gsize size,
                            gint64 timestamp_ns, gboolean keyframe, GError **error);

static gboolean
write_header(ImsTakeWriter *self, GError **error)
{
  AVDictionary *options = NULL;
  av_dict_set_int(&options, "cluster_time_limit", self->config.cluster_time_ms, 0);
  av_dict_set_int(&options, "cluster_size_limit", self->config.cluster_size_bytes, 0);
  /* no CRC-32 element per cluster: nothing reads it (demuxers, the repair copy), and it was a
   * twentieth of the media loop's CPU */
  av_dict_set_int(&options, "write_crc32", 0, 0);
  int ret = avformat_write_header(self->format, &options);
  av_dict_free(&options);
  if (ret < 0)
    return fail(self, ret, "cannot write the header of", error);
  ret = flush_cluster(self);
  if (ret < 0)
    return fail(self, ret, "cannot write the header of", error);
  self->state = WRITER_WRITING;
  return TRUE;
}

/* Writes the audio held for the header whose time is before (or, with
 * before FALSE, not before) limit_ns. */
static void
write_pending_audio(ImsTakeWriter *self, gboolean before, gint64 limit_ns)
{
  for (guint i = 0; i < self->pending_count; i++) {
    PendingAudio *p = &self->pending[i];
    if (p->data == NULL || (p->timestamp_ns < limit_ns) != before)
      continue;
    /* a refused one is counted by write_frame; the others are in the file */
    write_frame(self, IMS_TRACK_AUDIO, p->data, p->size, p->timestamp_ns, TRUE, NULL);
    g_clear_pointer(&p->data, g_free);
  }
}

static void
hold_audio(ImsTakeWriter *self, const guint8 *data, gsize size, gint64 timestamp_ns)
{
  if (self->pending_count == IMS_TAKE_WRITER_MAX_PENDING_AUDIO) {
    g_free(self->pending[0].data);
    memmove(&self->pending[0], &self->pending[1],
            (self->pending_count - 1) * sizeof self->pending[0]);
    self->pending_count--;
    self->completeness.tracks[IMS_TRACK_AUDIO].frames_before_keyframe++;
  }
  self->pending[self->pending_count++] = (PendingAudio){ g_memdup2(data, size), size, timestamp_ns };
}

/* Writes one frame once the header is written: time check, conversion, muxer. */
static gboolean
write_frame(ImsTakeWriter *self, ImsTrack track, const guint8 *data, gsize size,
            gint64 timestamp_ns, gboolean keyframe, GError **error)
{
  AVStream *stream = self->streams[track];
  ImsTrackCompleteness *counts = &self->completeness.tracks[track];
  gint64 pts = timestamp_ns >= self->origin_ns
                   ? av_rescale_q(timestamp_ns - self->origin_ns, NS_TIME_BASE, stream->time_base)
                   : -1;
  if (pts < 0 || (self->has_last[track] && pts <= self->last_pts[track])) {
    counts->frames_refused++;
    g_set_error(
        error, IMS_TAKE_WRITER_ERROR, IMS_TAKE_WRITER_ERROR_NOT_INCREASING,
        "%s frame at %" G_GINT64_FORMAT " ns is not after the previous one (%" G_GINT64_FORMAT
        " in the file's time base %d/%d): refused",
        ims_track_name(track), timestamp_ns, self->has_last[track] ? self->last_pts[track] : 0,
        stream->time_base.num, stream->time_base.den);
    return FALSE;
  }

  AVPacket *packet = self->packet;
  av_packet_unref(packet);
  if (track == IMS_TRACK_VIDEO && self->config.video_codec == IMS_MEDIA_CODEC_H264) {
    if (!annex_b_to_avc(self, data, size)) {
      g_set_error(error, IMS_TAKE_WRITER_ERROR, IMS_TAKE_WRITER_ERROR_BAD_FRAME,
                  "H.264 frame without a NAL unit (not Annex B?)");
      return FALSE;
    }
    packet->data = self->avc->data;
    packet->size = (int) self->avc->len;
  } else {
    packet->data = (guint8 *) data;
    packet->size = (int) size;
  }
  packet->stream_index = stream->index;
  packet->pts = packet->dts = pts;
  packet->flags = keyframe || track == IMS_TRACK_AUDIO ? AV_PKT_FLAG_KEY : 0;
  if (track == IMS_TRACK_AUDIO)
    packet->duration = av_rescale_q(opus_packet_samples(data, size), OPUS_TIME_BASE,
                                    stream->time_base);

  /* every video keyframe starts a cluster, and the one before it reaches the file */
  int ret = 0;
  if (track == IMS_TRACK_VIDEO && keyframe && self->has_last[IMS_TRACK_VIDEO])
    ret = flush_cluster(self);
  if (ret == 0)
    ret = av_write_frame(self->format, packet);
  packet->data = NULL;
  packet->size = 0;
  if (ret == 0) {
    /* a cluster the muxer closed (time or size limit) goes to the file now; no-op otherwise */
    avio_flush(self->format->pb);
    ret = self->format->pb->error;
  }
  if (ret < 0)
    return fail(self, ret, "cannot write a frame to", error);

  self->has_last[track] = TRUE;
  self->last_pts[track] = pts;
  ims_take_completeness_add_frame(&self->completeness, track,
                                  av_rescale_q(pts, stream->time_base, (AVRational){ 1, 1000 }));
  return TRUE;
}

gboolean
ims_take_writer_write(ImsTakeWriter *self, ImsTrack track, const guint8 *data, gsize size,
                      gint64 timestamp_ns, gboolean keyframe, GError **error)
{
  if (self->state == WRITER_CLOSED || self->state == WRITER_FAILED) {
    g_set_error(error, IMS_TAKE_WRITER_ERROR, IMS_TAKE_WRITER_ERROR_CLOSED, "%s is closed",
                self->path);
    return FALSE;
  }
  if (track >= IMS_TRACK_COUNT || !self->streams[track]) {
    g_set_error(error, IMS_TAKE_WRITER_ERROR, IMS_TAKE_WRITER_ERROR_NO_TRACK,
                "the take has no %s track",
                track < IMS_TRACK_COUNT ? ims_track_name(track) : "such");
    return FALSE;
  }
  if (size == 0 || size > G_MAXINT / 2) {
    g_set_error(error, IMS_TAKE_WRITER_ERROR, IMS_TAKE_WRITER_ERROR_BAD_FRAME,
                "%s frame of %" G_GSIZE_FORMAT " bytes", ims_track_name(track), size);
    return FALSE;
  }
  if (self->state == WRITER_WRITING)
    return write_frame(self, track, data, size, timestamp_ns, keyframe, error);

  /* opened: the header waits for the first video keyframe */
  gboolean has_video = self->streams[IMS_TRACK_VIDEO] != NULL;
  if (track == IMS_TRACK_AUDIO && has_video) {
    if (self->pending_count > 0 &&
        timestamp_ns <= self->pending[self->pending_count - 1].timestamp_ns) {
      self->completeness.tracks[IMS_TRACK_AUDIO].frames_refused++;
      g_set_error(error, IMS_TAKE_WRITER_ERROR, IMS_TAKE_WRITER_ERROR_NOT_INCREASING,
                  "audio frame at %" G_GINT64_FORMAT " ns is not after the previous one: refused",
                  timestamp_ns);
      return FALSE;
    }
    hold_audio(self, data, size, timestamp_ns);
    return TRUE;
  }
  if (track == IMS_TRACK_VIDEO && !keyframe) {
    self->completeness.tracks[IMS_TRACK_VIDEO].frames_before_keyframe++;
    g_set_error(error, IMS_TAKE_WRITER_ERROR, IMS_TAKE_WRITER_ERROR_WAITING_FOR_KEYFRAME,
                "video frame before the first keyframe: dropped");
    return FALSE;
  }
  if (track == IMS_TRACK_VIDEO && !set_video_parameters(self, data, size, error)) {
    self->completeness.tracks[IMS_TRACK_VIDEO].frames_before_keyframe++;
    return FALSE;
  }
  self->origin_ns = timestamp_ns;
  if (self->pending_count > 0 && self->pending[0].timestamp_ns < self->origin_ns)
    self->origin_ns = self->pending[0].timestamp_ns;
  if (!write_header(self, error))
    return FALSE;
  write_pending_audio(self, TRUE, timestamp_ns);
  gboolean ok = self->state == WRITER_WRITING &&
                write_frame(self, track, data, size, timestamp_ns, keyframe, error);
  if (self->state == WRITER_WRITING)
    write_pending_audio(self, FALSE, timestamp_ns);
  clear_pending(self);
  return ok;
}

void
ims_take_writer_note_gap(ImsTakeWriter *self, ImsTrack track, gint64 duration_ns)
{
  if (track >= IMS_TRACK_COUNT || duration_ns <= 0)
    return;
  ims_take_completeness_add_gap(&self->completeness, track, (duration_ns + 500000) / 1000000);
}
