/* depacketizer.h: one RTP stream's payloads -> whole frames (H.264, VP8, Opus).
 *
 * Input: the payloads of one stream (SSRC), in sequence order (the receive
 * stream reorders and detects loss before), each with a flag saying a packet
 * before it was lost.  Output: whole frames (media-frame.h):
 *  - H.264 (RFC 6184, packetization-mode 1: single NAL unit, STAP-A, FU-A)
 *    as Annex B access units (00 00 00 01 before every NAL).  SPS and PPS are
 *    kept in the access unit and remembered; a keyframe (an IDR slice) that
 *    arrives without them gets the remembered ones put in front, so every
 *    keyframe can start a file.  STAP-B, MTAP and FU-B are not mode 1: refused.
 *  - VP8 (RFC 7741): the payload descriptor removed; keyframe = P bit clear
 *    in the first partition's header, with the width and height it carries.
 *  - Opus (RFC 7587): one packet is one frame, passed through.
 *
 * A frame is the packets of one RTP timestamp, ended by the marker bit.  It
 * is incomplete, and dropped, when a packet inside it was lost, when its
 * start is missing (a FU-A without its start, a VP8 packet not starting
 * partition 0, or, after a loss, an H.264 packet that does not provably
 * begin an access unit: a parameter set, AUD, SEI or a slice with
 * first_mb_in_slice 0), or when its end is missing (the timestamp changed
 * before the marker, or a FU-A did not end).  A drop is reported (push()'s
 * IMS_DEPACKETIZER_DROPPED) and ims_depacketizer_wants_keyframe() stays TRUE
 * until a keyframe comes out: the caller asks the sender for one (PLI).
 *
 * Cost: one reused buffer per stream (grown to the largest frame seen, at
 * most max_frame_size); no allocation per packet once it has grown.
 * Lifecycle: new -> push* -> free.  Not thread-safe: one stream, one thread
 * (the media loop thread that receives it).
 */
#pragma once

#include <glib.h>

#include "media-frame.h"

G_BEGIN_DECLS

#define IMS_DEPACKETIZER_DEFAULT_MAX_FRAME_SIZE (4u * 1024u * 1024u)

/* One received RTP packet's payload (header already parsed and removed,
 * padding too).  payload is borrowed for the call only, except for Opus,
 * whose frame points into it. */
typedef struct {
  const guint8 *payload;
  gsize payload_size;
  guint32 rtp_timestamp;
  gboolean marker;
  gboolean loss_before; /* at least one packet between the previous one pushed and this one was lost */
} ImsRtpPayload;

/* What push() reports (bits of its non-negative return). */
enum {
  IMS_DEPACKETIZER_FRAME = 1 << 0,   /* *frame holds a complete frame */
  IMS_DEPACKETIZER_DROPPED = 1 << 1, /* an incomplete frame was dropped: ask for a keyframe */
};

typedef struct {
  guint64 packets;             /* pushed */
  guint64 packets_malformed;   /* refused with -EINVAL */
  guint64 packets_unsupported; /* refused with -ENOTSUP */
  guint64 frames;              /* complete frames given out */
  guint64 keyframes;           /* of which keyframes */
  guint64 frames_dropped;      /* incomplete frames dropped (including the too large ones) */
  guint64 frames_too_large;    /* over max_frame_size (-EMSGSIZE) */
  guint64 frames_unreferenced; /* whole, but after a dropped one and before a keyframe, with
                                  set_wait_for_keyframe(): dropped (counted in frames_dropped) */
} ImsDepacketizerStats;

typedef struct _ImsDepacketizer ImsDepacketizer;

/* A depacketizer for codec (H264, VP8 or OPUS) whose frames are at most
 * max_frame_size bytes (0 = IMS_DEPACKETIZER_DEFAULT_MAX_FRAME_SIZE).
 * Returns NULL for another codec.  Transfer full. */
ImsDepacketizer *ims_depacketizer_new(ImsMediaCodec codec, gsize max_frame_size);
void ims_depacketizer_free(ImsDepacketizer *self);

/* Takes one packet.  Returns a combination of IMS_DEPACKETIZER_FRAME (then
 * *frame is a complete frame whose data stays valid until the next push,
 * reset or free) and IMS_DEPACKETIZER_DROPPED, 0 when the frame is not
 * complete yet, or a negative errno when the packet itself is refused: the
 * frame it belongs to is then incomplete and will be dropped, and
 * wants_keyframe() is TRUE (-EINVAL: malformed payload; -ENOTSUP: an H.264
 * packet type that packetization-mode 1 does not use; -EMSGSIZE: the frame
 * outgrew max_frame_size).  IMS_DEPACKETIZER_DROPPED is also reported when a
 * video frame starts whole right after a loss (whole frames were lost before
 * it: the decoding chain is broken).  Opus never reports drops (no frame
 * depends on another; the receive stream counts lost packets).  Never fails
 * for a lack of memory below max_frame_size. */
int ims_depacketizer_push(ImsDepacketizer *self, const ImsRtpPayload *packet, ImsMediaFrame *frame);

/* TRUE from the first dropped frame (or the start) until a keyframe has come
 * out of push(): the sender must be asked for one. */
gboolean ims_depacketizer_wants_keyframe(const ImsDepacketizer *self);

/* wait TRUE: once a keyframe has come out, a video frame that is whole but
 * follows a dropped one is dropped too until the next keyframe (it refers to
 * what is missing: a decoder would show it corrupted, as a browser never
 * does); push() reports it as IMS_DEPACKETIZER_DROPPED, counted in
 * frames_dropped and frames_unreferenced.  Default FALSE: every whole frame
 * comes out.  The frames before the first keyframe are the caller's. */
void ims_depacketizer_set_wait_for_keyframe(ImsDepacketizer *self, gboolean wait);

const ImsDepacketizerStats *ims_depacketizer_get_stats(const ImsDepacketizer *self);

/* H.264: the last SPS and PPS seen (NAL units without start codes), borrowed
 * until the next push.  FALSE (outputs untouched) until both were seen. */
gboolean ims_depacketizer_get_h264_parameter_sets(const ImsDepacketizer *self, const guint8 **sps,
                                                  gsize *sps_size, const guint8 **pps,
                                                  gsize *pps_size);

/* Forgets the frame being assembled (not the parameter sets, not the stats):
 * for a new SSRC of the same stream. */
void ims_depacketizer_reset(ImsDepacketizer *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsDepacketizer, ims_depacketizer_free)

G_END_DECLS
