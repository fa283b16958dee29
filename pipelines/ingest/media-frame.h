/* media-frame.h: the codecs of the receive path and one depacketized frame.
 *
 * Shared by depacketizer.[ch] (which produces frames) and take-writer.[ch]
 * (which records them): header only, no state.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  IMS_MEDIA_CODEC_NONE = 0,
  IMS_MEDIA_CODEC_H264, /* packetization-mode 1; frames are Annex B access units */
  IMS_MEDIA_CODEC_VP8,
  IMS_MEDIA_CODEC_OPUS,
} ImsMediaCodec;

/* One whole encoded frame.  data is borrowed from whoever filled it (see the
 * producer's contract for how long it stays valid). */
typedef struct {
  ImsMediaCodec codec;
  const guint8 *data;
  gsize size;
  guint32 rtp_timestamp;
  gboolean keyframe;   /* H.264: holds an IDR slice; VP8: P bit clear; Opus: always */
  guint width, height; /* VP8 keyframes carry them; 0 otherwise */
} ImsMediaFrame;

/* "H264", "VP8", "OPUS" (as takes.video_codec / audio_codec), "NONE". */
static inline const char *
ims_media_codec_name(ImsMediaCodec codec)
{
  switch (codec) {
  case IMS_MEDIA_CODEC_H264:
    return "H264";
  case IMS_MEDIA_CODEC_VP8:
    return "VP8";
  case IMS_MEDIA_CODEC_OPUS:
    return "OPUS";
  default:
    return "NONE";
  }
}

G_END_DECLS
