/* fuzz-depacketizer.c: libFuzzer target for pipelines/ingest/depacketizer.c (RTP payloads of one stream)
 * and the frame parsing of pipelines/ingest/take-writer.c (Annex B access units, SPS, VP8 frame header,
 * Opus TOC).
 *
 * Input: byte 0 picks the codec (H.264, VP8, Opus by value % 3), byte 1 bit 0 also writes the frames into
 * a take on /dev/null; then records of [length (2 bytes, big-endian), flags (bit 0 marker, bit 1 a packet
 * was lost before, bit 2 next RTP timestamp), payload].  Seeds (corpus/depacketizer/) are rtph264pay,
 * rtpvp8pay and rtpopuspay output in that form.
 * Invariants: push() answers only its documented codes; a frame is non-empty, within the size bound, of
 * the stream's codec, Annex B for H.264 (every byte is read, so ASan sees overreads); the stats count
 * what push() answered; a keyframe out clears wants_keyframe; the writer answers only its error codes.
 */
#include <errno.h>
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/log.h>

#include "depacketizer.h"
#include "take-writer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FRAME (64 * 1024)

static void
write_frame(ImsTakeWriter *writer, const ImsMediaFrame *frame, gint64 timestamp_ns)
{
  g_autoptr(GError) error = NULL;
  ImsTrack track = frame->codec == IMS_MEDIA_CODEC_OPUS ? IMS_TRACK_AUDIO : IMS_TRACK_VIDEO;
  if (!ims_take_writer_write(writer, track, frame->data, frame->size, timestamp_ns, frame->keyframe,
                             &error)) {
    if (error == NULL || error->domain != IMS_TAKE_WRITER_ERROR ||
        error->code < IMS_TAKE_WRITER_ERROR_CONFIG || error->code > IMS_TAKE_WRITER_ERROR_CLOSED ||
        !error->message[0])
      abort();
  }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  /* libavcodec's H.264 parser reports every odd SPS/SEI on stderr */
  av_log_set_level(AV_LOG_QUIET);
  if (size < 2)
    return 0;
  static const ImsMediaCodec CODECS[] = { IMS_MEDIA_CODEC_H264, IMS_MEDIA_CODEC_VP8,
                                          IMS_MEDIA_CODEC_OPUS };
  ImsMediaCodec codec = CODECS[data[0] % 3];
  gboolean with_writer = data[1] & 1;
  g_autoptr(ImsDepacketizer) d = ims_depacketizer_new(codec, MAX_FRAME);
  g_autoptr(ImsTakeWriter) writer = NULL;
  if (with_writer) {
    ImsTakeWriterConfig config = {
      .video_codec = codec == IMS_MEDIA_CODEC_OPUS ? IMS_MEDIA_CODEC_NONE : codec,
      .audio_codec = codec == IMS_MEDIA_CODEC_OPUS ? IMS_MEDIA_CODEC_OPUS : IMS_MEDIA_CODEC_NONE,
    };
    writer = ims_take_writer_open("/dev/null", &config, NULL);
    if (!writer)
      abort();
  }

  size_t offset = 2;
  guint32 timestamp = 1000;
  guint64 pushes = 0, frames = 0;
  volatile guint8 sum = 0;
  while (offset + 3 <= size) {
    size_t length = ((size_t) data[offset] << 8) | data[offset + 1];
    guint8 flags = data[offset + 2];
    offset += 3;
    if (length > size - offset)
      length = size - offset;
    /* a copy of exactly length bytes, so reading past the payload is caught */
    g_autofree guint8 *payload = g_memdup2(data + offset, length);
    offset += length;
    ImsRtpPayload packet = { payload, length, timestamp, flags & 1, (flags & 2) != 0 };
    if (flags & 4)
      timestamp += 3000;
    ImsMediaFrame frame;
    int ret = ims_depacketizer_push(d, &packet, &frame);
    pushes++;
    if (ret < 0) {
      if (ret != -EINVAL && ret != -ENOTSUP && ret != -EMSGSIZE)
        abort();
      if (codec != IMS_MEDIA_CODEC_OPUS && !ims_depacketizer_wants_keyframe(d))
        abort();
      continue;
    }
    if (ret & ~(IMS_DEPACKETIZER_FRAME | IMS_DEPACKETIZER_DROPPED))
      abort();
    if (!(ret & IMS_DEPACKETIZER_FRAME))
      continue;
    frames++;
    if (frame.codec != codec || frame.size == 0 || frame.size > MAX_FRAME ||
        frame.rtp_timestamp != packet.rtp_timestamp)
      abort();
    if (codec == IMS_MEDIA_CODEC_H264 && (frame.size < 5 || memcmp(frame.data, "\0\0\0\1", 4) != 0))
      abort();
    if (frame.keyframe && ims_depacketizer_wants_keyframe(d))
      abort();
    for (gsize i = 0; i < frame.size; i++)
      sum += frame.data[i];
    if (writer)
      write_frame(writer, &frame, (gint64) frames * 20000000);
  }
  const ImsDepacketizerStats *stats = ims_depacketizer_get_stats(d);
  if (stats->packets != pushes || stats->frames != frames || stats->keyframes > stats->frames)
    abort();
  if (writer) {
    g_autoptr(GError) error = NULL;
    if (!ims_take_writer_close(writer, &error) && (!error || error->domain != IMS_TAKE_WRITER_ERROR))
      abort();
  }
  (void) sum;
  return 0;
}
