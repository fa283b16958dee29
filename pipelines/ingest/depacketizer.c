/* depacketizer.c: RTP payloads -> whole H.264 / VP8 / Opus frames (see depacketizer.h).
 *
 * State: at most one frame being assembled (in_frame), in one reused buffer;
 * for H.264 at most one FU-A NAL unit open inside it.  A frame found
 * incomplete is marked broken: its later packets are not copied, and it is
 * dropped when it ends (marker, or another timestamp).
 *
 * Threads: none of its own; the caller's (one stream, one thread).
 */
#define G_LOG_DOMAIN "imsd.depacketizer"

#include "depacketizer.h"

#include <errno.h>
#include <string.h>

enum {
  H264_NAL_SLICE = 1,
  H264_NAL_IDR = 5,
  H264_NAL_SEI = 6,
  H264_NAL_SPS = 7,
  H264_NAL_PPS = 8,
  H264_NAL_AUD = 9,
  H264_STAP_A = 24,
  H264_STAP_B = 25,
  H264_MTAP16 = 26,
  H264_MTAP24 = 27,
  H264_FU_A = 28,
  H264_FU_B = 29,
};

/* Does a frame's first packet begin the frame? */
typedef enum { START_NO, START_YES, START_UNKNOWN } FrameStart;

static const guint8 ANNEX_B_START_CODE[4] = { 0, 0, 0, 1 };

struct _ImsDepacketizer {
  ImsMediaCodec codec;
  gsize max_frame_size;
  ImsDepacketizerStats stats;
  gboolean seen_packet; /* any packet pushed since new/reset */
  gboolean wants_keyframe;
  gboolean wait_for_keyframe; /* drop whole frames while wants_keyframe, after a first keyframe */

  /* the frame being assembled */
  GByteArray *buffer; /* Annex B AU or VP8 frame; reused */
  gboolean in_frame;
  guint32 frame_timestamp;
  gboolean frame_broken; /* a packet of it is missing or was refused: dropped at its end */
  gboolean frame_keyframe;
  guint frame_width, frame_height;
  gboolean frame_has_sps, frame_has_pps;
  gboolean in_fu;      /* H.264: a FU-A NAL unit is open */
  gsize fu_nal_offset; /* where its NAL header is in buffer */

  /* H.264: the last parameter sets seen, NAL units without start codes */
  GByteArray *sps, *pps;
};

ImsDepacketizer *
ims_depacketizer_new(ImsMediaCodec codec, gsize max_frame_size)
{
  if (codec != IMS_MEDIA_CODEC_H264 && codec != IMS_MEDIA_CODEC_VP8 && codec != IMS_MEDIA_CODEC_OPUS)
    return NULL;
  ImsDepacketizer *self = g_new0(ImsDepacketizer, 1);
  self->codec = codec;
  self->max_frame_size = max_frame_size ? max_frame_size : IMS_DEPACKETIZER_DEFAULT_MAX_FRAME_SIZE;
  self->buffer = g_byte_array_sized_new(codec == IMS_MEDIA_CODEC_OPUS ? 0 : 64 * 1024);
  self->sps = g_byte_array_new();
  self->pps = g_byte_array_new();
  self->wants_keyframe = TRUE;
  return self;
}

void
ims_depacketizer_free(ImsDepacketizer *self)
{
  if (self == NULL)
    return;
  g_byte_array_unref(self->buffer);
  g_byte_array_unref(self->sps);
  g_byte_array_unref(self->pps);
  g_free(self);
}

void
ims_depacketizer_reset(ImsDepacketizer *self)
{
  self->in_frame = FALSE;
  self->in_fu = FALSE;
  self->seen_packet = FALSE;
  g_byte_array_set_size(self->buffer, 0);
}

gboolean
ims_depacketizer_wants_keyframe(const ImsDepacketizer *self)
{
  return self->wants_keyframe;
}

void
ims_depacketizer_set_wait_for_keyframe(ImsDepacketizer *self, gboolean wait)
{
  self->wait_for_keyframe = wait;
}

const ImsDepacketizerStats *
ims_depacketizer_get_stats(const ImsDepacketizer *self)
{
  return &self->stats;
}

gboolean
ims_depacketizer_get_h264_parameter_sets(const ImsDepacketizer *self, const guint8 **sps,
                                         gsize *sps_size, const guint8 **pps, gsize *pps_size)
{
  if (self->sps->len == 0 || self->pps->len == 0)
    return FALSE;
  *sps = self->sps->data;
  *sps_size = self->sps->len;
  *pps = self->pps->data;
  *pps_size = self->pps->len;
  return TRUE;
}

/* 0, or -EMSGSIZE (frame marked broken, counted once) when size more bytes
 * would outgrow the bound. */
static int
append(ImsDepacketizer *self, const guint8 *data, gsize size)
{
  if (size > self->max_frame_size - self->buffer->len) {
    self->frame_broken = TRUE;
    self->stats.frames_too_large++;
    return -EMSGSIZE;
  }
  g_byte_array_append(self->buffer, data, size);
  return 0;
}

static void
drop_frame(ImsDepacketizer *self)
{
  self->stats.frames_dropped++;
  self->wants_keyframe = TRUE;
  self->in_frame = FALSE;
  self->in_fu = FALSE;
}

/* ---- H.264 ---- */

static FrameStart
h264_nal_starts_access_unit(guint8 type, const guint8 *after_header, gsize size)
{
  switch (type) {
  case H264_NAL_SPS:
  case H264_NAL_PPS:
  case H264_NAL_AUD:
  case H264_NAL_SEI:
    return START_YES;
  case H264_NAL_SLICE:
  case H264_NAL_IDR:
    /* first_mb_in_slice is ue(v): 0 is the single bit 1 */
    if (size < 1)
      return START_NO;
    return (after_header[0] & 0x80) ? START_YES : START_NO;
  default:
    return START_UNKNOWN;
  }
}

static FrameStart
h264_packet_starts_frame(const guint8 *p, gsize n)
{
  if (n < 2)
    return START_UNKNOWN; /* refused later as malformed if it is */
  guint8 type = p[0] & 0x1f;
  if (type >= 1 && type <= 23)
    return h264_nal_starts_access_unit(type, p + 1, n - 1);
  if (type == H264_STAP_A) {
    if (n < 4)
      return START_UNKNOWN;
    gsize size = ((gsize) p[1] << 8) | p[2];
    if (size < 1 || 3 + size > n)
      return START_UNKNOWN;
    return h264_nal_starts_access_unit(p[3] & 0x1f, p + 4, size - 1);
  }
  if (type == H264_FU_A) {
    if (!(p[1] & 0x80))
      return START_NO;
    return h264_nal_starts_access_unit(p[1] & 0x1f, p + 2, n - 2);
  }
  return START_UNKNOWN;
}

/* A whole NAL unit now sits at nal (inside buffer): note what it is. */
static void
h264_nal_complete(ImsDepacketizer *self, const guint8 *nal, gsize size)
{
  guint8 type = nal[0] & 0x1f;
  if (type == H264_NAL_IDR) {
    self->frame_keyframe = TRUE;
  } else if (type == H264_NAL_SPS) {
    self->frame_has_sps = TRUE;
    g_byte_array_set_size(self->sps, 0);
    g_byte_array_append(self->sps, nal, size);
  } else if (type == H264_NAL_PPS) {
    self->frame_has_pps = TRUE;
    g_byte_array_set_size(self->pps, 0);
    g_byte_array_append(self->pps, nal, size);
  }
}

static int
h264_append_nal(ImsDepacketizer *self, const guint8 *nal, gsize size)
{
  if (size < 1 || (nal[0] & 0x80)) /* forbidden_zero_bit */
    return -EINVAL;
  int ret = append(self, ANNEX_B_START_CODE, sizeof ANNEX_B_START_CODE);
  if (ret == 0)
    ret = append(self, nal, size);
  if (ret < 0)
    return ret;
  h264_nal_complete(self, self->buffer->data + self->buffer->len - size, size);
  return 0;
}

static int
h264_append_packet(ImsDepacketizer *self, const guint8 *p, gsize n)
{
  if (n < 1 || (p[0] & 0x80))
    return -EINVAL;
  guint8 type = p[0] & 0x1f;
  if (self->in_fu && type != H264_FU_A)
    return -EINVAL; /* a FU-A left open: its end never came */

  if (type >= 1 && type <= 23)
    return h264_append_nal(self, p, n);

  switch (type) {
  case H264_STAP_A: {
    gsize offset = 1;
    guint units = 0;
    while (offset < n) {
      if (offset + 2 > n)
        return -EINVAL;
      gsize size = ((gsize) p[offset] << 8) | p[offset + 1];
      offset += 2;
      if (size == 0 || size > n - offset)
        return -EINVAL;
      int ret = h264_append_nal(self, p + offset, size);
      if (ret < 0)
        return ret;
      offset += size;
      units++;
    }
    return units > 0 ? 0 : -EINVAL;
  }
  case H264_FU_A: {
    if (n < 3)
      return -EINVAL;
    gboolean start = (p[1] & 0x80) != 0, end = (p[1] & 0x40) != 0;
    guint8 nal_type = p[1] & 0x1f;
    if (start && end)
      return -EINVAL; /* RFC 6184 5.8: a FU must not hold a whole NAL unit */
    if (start) {
      if (self->in_fu)
        return -EINVAL;
      guint8 header = (p[0] & 0xe0) | nal_type;
      int ret = append(self, ANNEX_B_START_CODE, sizeof ANNEX_B_START_CODE);
      if (ret == 0)
        ret = append(self, &header, 1);
      if (ret < 0)
        return ret;
      self->in_fu = TRUE;
      self->fu_nal_offset = self->buffer->len - 1;
    } else if (!self->in_fu) {
      self->frame_broken = TRUE; /* its start was lost */
      return 0;
    } else if (((self->buffer->data[self->fu_nal_offset]) & 0x1f) != nal_type) {
      return -EINVAL;
    }
    int ret = append(self, p + 2, n - 2);
    if (ret < 0)
      return ret;
    if (end) {
      self->in_fu = FALSE;
      h264_nal_complete(self, self->buffer->data + self->fu_nal_offset,
                        self->buffer->len - self->fu_nal_offset);
    }
    return 0;
  }
  case H264_STAP_B:
  case H264_MTAP16:
  case H264_MTAP24:
  case H264_FU_B:
    return -ENOTSUP;
  default: /* 0, 30, 31: reserved */
    return -EINVAL;
  }
}

/* A keyframe without its parameter sets gets the remembered ones in front. */
static int
h264_complete_keyframe(ImsDepacketizer *self)
{
  if (!self->frame_keyframe || (self->frame_has_sps && self->frame_has_pps))
    return 0;
  if (self->sps->len == 0 || self->pps->len == 0)
    return 0; /* nothing to add: the writer waits for a keyframe that has them */
  gsize prefix = 0;
  if (!self->frame_has_sps)
    prefix += 4 + self->sps->len;
  if (!self->frame_has_pps)
    prefix += 4 + self->pps->len;
  if (prefix > self->max_frame_size - self->buffer->len) {
    self->stats.frames_too_large++;
    return -EMSGSIZE;
  }
  if (!self->frame_has_pps) {
    g_byte_array_prepend(self->buffer, self->pps->data, self->pps->len);
    g_byte_array_prepend(self->buffer, ANNEX_B_START_CODE, 4);
  }
  if (!self->frame_has_sps) {
    g_byte_array_prepend(self->buffer, self->sps->data, self->sps->len);
    g_byte_array_prepend(self->buffer, ANNEX_B_START_CODE, 4);
  }
  return 0;
}

/* ---- VP8 ---- */

/* Parses the RFC 7741 payload descriptor: 0 with *offset at the VP8 payload,
 * *partition_start TRUE for the S bit with partition index 0; -EINVAL. */
static int
vp8_parse_descriptor(const guint8 *p, gsize n, gsize *offset, gboolean *partition_start)
{
  if (n < 1)
    return -EINVAL;
  gsize off = 1;
  *partition_start = (p[0] & 0x10) && (p[0] & 0x07) == 0;
  if (p[0] & 0x80) { /* X */
    if (off >= n)
      return -EINVAL;
    guint8 x = p[off++];
    if (x & 0x80) { /* I: picture ID, 7 or 15 bits */
      if (off >= n)
        return -EINVAL;
      off += (p[off] & 0x80) ? 2 : 1;
    }
    if (x & 0x40) /* L: TL0PICIDX */
      off++;
    if (x & 0x30) /* T or K: TID / Y / KEYIDX */
      off++;
  }
  if (off >= n)
    return -EINVAL; /* no VP8 payload */
  *offset = off;
  return 0;
}

static FrameStart
vp8_packet_starts_frame(const guint8 *p, gsize n)
{
  gsize offset;
  gboolean partition_start;
  if (vp8_parse_descriptor(p, n, &offset, &partition_start) < 0)
    return START_UNKNOWN;
  return partition_start ? START_YES : START_NO;
}

static int
vp8_append_packet(ImsDepacketizer *self, const guint8 *p, gsize n, gboolean first)
{
  gsize offset;
  gboolean partition_start;
  int ret = vp8_parse_descriptor(p, n, &offset, &partition_start);
  if (ret < 0)
    return ret;
  if (partition_start && !first)
    return -EINVAL; /* a second start of partition 0 in one frame */
  if (partition_start) {
    /* RFC 6386 9.1: 3-byte frame tag (bit 0 = P, inverse keyframe), then for
     * keyframes the start code 9d 01 2a and 14-bit width and height. */
    const guint8 *vp8 = p + offset;
    gsize size = n - offset;
    if (size < 3)
      return -EINVAL;
    self->frame_keyframe = !(vp8[0] & 0x01);
    if (self->frame_keyframe) {
      if (size < 10 || vp8[3] != 0x9d || vp8[4] != 0x01 || vp8[5] != 0x2a)
        return -EINVAL;
      self->frame_width = (vp8[6] | (vp8[7] << 8)) & 0x3fff;
      self->frame_height = (vp8[8] | (vp8[9] << 8)) & 0x3fff;
    }
  }
  return append(self, p + offset, n - offset);
}

/* ---- frames ---- */

static void
begin_frame(ImsDepacketizer *self, guint32 timestamp)
{
  self->in_frame = TRUE;
  self->frame_timestamp = timestamp;
  self->frame_broken = FALSE;
  self->frame_keyframe = FALSE;
  self->frame_width = self->frame_height = 0;
  self->frame_has_sps = self->frame_has_pps = FALSE;
  self->in_fu = FALSE;
  g_byte_array_set_size(self->buffer, 0);
}

static int
push_opus(ImsDepacketizer *self, const ImsRtpPayload *packet, ImsMediaFrame *frame)
{
  /* a lost Opus packet is a lost frame, but nothing after it depends on it:
   * no drop to report (the receive stream counts lost packets) */
  if (packet->payload_size == 0) { /* an Opus packet has at least its TOC byte */
    self->stats.packets_malformed++;
    return -EINVAL;
  }
  *frame = (ImsMediaFrame){
    .codec = IMS_MEDIA_CODEC_OPUS,
    .data = packet->payload,
    .size = packet->payload_size,
    .rtp_timestamp = packet->rtp_timestamp,
    .keyframe = TRUE,
  };
  self->stats.frames++;
  self->stats.keyframes++;
  self->wants_keyframe = FALSE;
  return IMS_DEPACKETIZER_FRAME;
}

int
ims_depacketizer_push(ImsDepacketizer *self, const ImsRtpPayload *packet, ImsMediaFrame *frame)
{
  self->stats.packets++;
  if (self->codec == IMS_MEDIA_CODEC_OPUS)
    return push_opus(self, packet, frame);

  gboolean loss = packet->loss_before || !self->seen_packet;
  self->seen_packet = TRUE;
  int result = 0;

  if (self->in_frame && packet->rtp_timestamp != self->frame_timestamp) {
    drop_frame(self); /* its end (the marker) never came */
    result |= IMS_DEPACKETIZER_DROPPED;
  } else if (self->in_frame && loss) {
    self->frame_broken = TRUE; /* a packet inside it was lost */
  }

  gboolean first = !self->in_frame, missing_start = FALSE;
  if (first) {
    FrameStart start = self->codec == IMS_MEDIA_CODEC_H264
                           ? h264_packet_starts_frame(packet->payload, packet->payload_size)
                           : vp8_packet_starts_frame(packet->payload, packet->payload_size);
    begin_frame(self, packet->rtp_timestamp);
    if (start == START_YES && packet->loss_before && !(result & IMS_DEPACKETIZER_DROPPED)) {
      /* this frame starts whole after a frame that ended whole, so what was
       * lost were whole frames: the decoding chain is broken until a keyframe */
      self->stats.frames_dropped++;
      self->wants_keyframe = TRUE;
      result |= IMS_DEPACKETIZER_DROPPED;
    }
    /* a frame that does not start whole is marked broken after its first
     * packet went through the checks below, so a malformed one is refused */
    missing_start = start == START_NO || (start == START_UNKNOWN && loss);
  }

  int ret = 0;
  if (!self->frame_broken) {
    ret = self->codec == IMS_MEDIA_CODEC_H264
              ? h264_append_packet(self, packet->payload, packet->payload_size)
              : vp8_append_packet(self, packet->payload, packet->payload_size, first);
    if (ret < 0) {
      self->frame_broken = TRUE;
      self->wants_keyframe = TRUE;
      if (ret == -EINVAL)
        self->stats.packets_malformed++;
      else if (ret == -ENOTSUP)
        self->stats.packets_unsupported++;
    }
  }
  if (missing_start)
    self->frame_broken = TRUE;

  if (packet->marker) {
    if (!self->frame_broken && !self->in_fu && self->codec == IMS_MEDIA_CODEC_H264) {
      int prefix_ret = h264_complete_keyframe(self);
      if (prefix_ret < 0) {
        self->frame_broken = TRUE;
        ret = ret < 0 ? ret : prefix_ret;
      }
    }
    gboolean incomplete = self->frame_broken || self->in_fu || self->buffer->len == 0;
    gboolean unreferenced = self->wait_for_keyframe && self->wants_keyframe &&
                            self->stats.keyframes > 0 && !self->frame_keyframe;
    if (incomplete || unreferenced) {
      if (!incomplete)
        self->stats.frames_unreferenced++;
      drop_frame(self);
      result |= IMS_DEPACKETIZER_DROPPED;
    } else {
      *frame = (ImsMediaFrame){
        .codec = self->codec,
        .data = self->buffer->data,
        .size = self->buffer->len,
        .rtp_timestamp = self->frame_timestamp,
        .keyframe = self->frame_keyframe,
        .width = self->frame_width,
        .height = self->frame_height,
      };
      self->in_frame = FALSE;
      self->stats.frames++;
      if (self->frame_keyframe) {
        self->stats.keyframes++;
        self->wants_keyframe = FALSE;
      }
      result |= IMS_DEPACKETIZER_FRAME;
    }
  }
  return ret < 0 ? ret : result;
}
