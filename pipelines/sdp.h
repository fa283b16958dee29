/* sdp.h: pure helpers for the ingest's SDP handling.
 *
 * The browser offers; the ingest (pipelines/ingest/answer.c) answers.  These
 * helpers inspect the offer: which video / audio codec and payload type to
 * accept, which extmap id carries transport-wide congestion control.  No
 * GStreamer element is involved (GstSDP parses), so everything here is
 * unit-testable (tests/unit/test-sdp.c).
 *
 * Lifecycle: ims_sdp_choose_codecs() fills an ImsSdpOfferChoice, which the
 * caller owns and releases with ims_sdp_offer_choice_clear().
 */
#pragma once

#include <glib.h>
#include <gst/gst.h>
#include <gst/sdp/sdp.h>

G_BEGIN_DECLS

#define IMS_SDP_TRANSPORT_CC_URI \
  "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

typedef enum {
  IMS_SDP_CODEC_NONE = 0,
  IMS_SDP_CODEC_H264,
  IMS_SDP_CODEC_VP8,
  IMS_SDP_CODEC_OPUS,
} ImsSdpCodec;

typedef struct {
  guint mline_index;         /* index of the m-line in the offer */
  ImsSdpCodec codec;         /* IMS_SDP_CODEC_NONE: this media was not found */
  int payload_type;          /* taken from the offer */
  guint transport_cc_ext_id; /* extmap id of transport-cc, 0 if not offered */
  GstCaps *caps;             /* the chosen payload type's caps
                                 (offer's fmtp + rtcp-fb + transport-cc extmap) */
} ImsSdpMediaChoice;

typedef struct {
  ImsSdpMediaChoice video;
  ImsSdpMediaChoice audio;
  gboolean video_first; /* the video m-line comes before the audio one */
} ImsSdpOfferChoice;

/* Parses offer_text and picks, from the first video and the first audio
 * m-line, the codec to receive: video H.264 constrained baseline 42e01f with
 * packetization-mode=1 first, then any other H.264 constrained-baseline/
 * baseline packetization-mode=1, then VP8; audio Opus.  Fills choice (which
 * must be zero-initialised) including the codec-preference caps (NACK, PLI,
 * FIR and transport-cc feedback kept from the offer, plus the transport-cc
 * extmap).  Returns FALSE with IMS_INGEST_ERROR_BAD_SDP if the text is not SDP,
 * lacks a video or an audio m-line, or offers no usable codec for one of them;
 * choice is left cleared then. */
/* Video codecs the caller accepts (a mask; 0 = all).  The bits match
 * ImsProfileCodecs. */
#define IMS_SDP_ACCEPT_H264 (1u << 0)
#define IMS_SDP_ACCEPT_VP8 (1u << 1)
gboolean ims_sdp_choose_codecs(const char *offer_text, guint video_codecs,
                               ImsSdpOfferChoice *choice, GError **error);

/* Flags of ims_sdp_choose_tracks(). */
#define IMS_SDP_ALLOW_NO_AUDIO (1u << 0) /* an offer without an audio m-line (a screen share) */

/* ims_sdp_choose_codecs() with flags: with IMS_SDP_ALLOW_NO_AUDIO an offer
 * with a video and no audio m-line is accepted, choice->audio.codec
 * IMS_SDP_CODEC_NONE then (an audio m-line without Opus is still refused). */
gboolean ims_sdp_choose_tracks(const char *offer_text, guint video_codecs, guint flags,
                               ImsSdpOfferChoice *choice, GError **error);

/* Releases what ims_sdp_choose_codecs() put in choice and zeroes it. */
void ims_sdp_offer_choice_clear(ImsSdpOfferChoice *choice);

/* "H264", "VP8", "OPUS" or NULL for IMS_SDP_CODEC_NONE (static string). */
const char *ims_sdp_codec_name(ImsSdpCodec codec);

/* Maps an RTP encoding-name (case-insensitive) to a codec we can record. */
ImsSdpCodec ims_sdp_codec_from_encoding_name(const char *encoding_name);

/* One payload type of an m-line (the send path's negotiation,
 * pipelines/ingest/answer-send.c, matches a publisher's codec with them). */

/* The payload type of media's i-th format (of its m= line), -1 if that is
 * not a number from 0 to 127. */
int ims_sdp_format_payload_type(const GstSDPMedia *media, guint i);

/* The codec of payload type pt in media (from its a=rtpmap, or the static
 * payload type), IMS_SDP_CODEC_NONE for one imsd does not forward or record. */
ImsSdpCodec ims_sdp_payload_codec(const GstSDPMedia *media, int pt);

/* The parameters of pt's a=fmtp line ("k1=v1;k2=v2", without the payload
 * type), NULL if pt has none.  Points into media. */
const char *ims_sdp_fmtp(const GstSDPMedia *media, int pt);

/* The value of key (case-insensitive) in pt's a=fmtp line, NULL if absent.
 * Transfer full. */
char *ims_sdp_fmtp_param(const GstSDPMedia *media, int pt, const char *key);

/* TRUE if the H.264 profile-level-id (6 hex digits) is constrained baseline:
 * profile_idc 0x42 with constraint_set1 (42e0xx, 42c0xx). */
gboolean ims_sdp_h264_is_constrained_baseline(const char *profile_level_id);

G_END_DECLS
