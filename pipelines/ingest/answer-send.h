/* answer-send.h: negotiation of the send path of a live room: a subscriber's
 * recvonly offer in, imsd's sendonly answer and what both sides agreed out.
 *
 * A subscriber (docs/live-rooms.md) receives one publisher's stream (its
 * camera: audio + video, or its screen: video only) from an ImsSender.  imsd
 * forwards without decoding, so the answer can only offer what the publisher
 * sends: the publisher's codec, under the subscriber's own payload type for
 * it (H.264 packetization-mode 1 with the publisher's profile-level-id or a
 * compatible constrained-baseline one of the offer, the answer's fmtp the
 * offer's one of that payload type; VP8; Opus).  The answer is sendonly on
 * each track the publisher has, with a=ssrc (cname, msid) and a=msid of the
 * sender, NACK, PLI, FIR and REMB feedback, rtcp-mux, a BUNDLE of the
 * accepted m-lines and imsd's ICE / DTLS; every other m-line is rejected
 * (port 0).  The offer parsing is answer.c's (answer-private.h).
 *
 * Pure text in, text out: unit-tested in tests/unit/test-answer-send.c.
 *
 * Lifecycle: ims_answer_negotiate_subscriber() fills an ImsNegotiation that
 * the caller owns and releases with ims_negotiation_clear().
 */
#pragma once

#include <glib.h>

#include "answer.h"

G_BEGIN_DECLS

/* What imsd puts in a subscriber answer about itself. */
typedef struct {
  ImsAnswerLocal base;   /* ICE credentials, fingerprint, setup preference */
  guint32 video_ssrc;    /* the sender's SSRCs (random, per sender) */
  guint32 audio_ssrc;
  const char *stream_id; /* a=msid stream id: the publisher's participant id + stream */
} ImsSubscriberLocal;

/* Negotiates a subscriber's recvonly offer against what the publisher sends
 * (publisher: the publisher's ImsNegotiation; its video and/or audio track,
 * a track whose codec is IMS_SDP_CODEC_NONE is one it does not send).
 * The answer is sendonly for each track the publisher has, with the same codec
 * (the offer's payload type for it), a=ssrc/msid of the sender, NACK, PLI, FIR
 * and REMB feedback; other m-lines rejected.  out->video/audio carry the
 * subscriber's payload types and the sender's SSRCs (mid and extension ids
 * of the subscriber's offer); mline_index is the subscriber's; a track the
 * publisher does not send stays with codec IMS_SDP_CODEC_NONE.  out (which
 * must be zero-initialised) also gets the subscriber's ICE credentials,
 * fingerprint, DTLS role and candidates, as ims_answer_negotiate() fills them.
 * FALSE with IMS_INGEST_ERROR_BAD_SDP if the offer cannot receive the
 * publisher's codec (or is not SDP, lacks ICE credentials, a fingerprint,
 * BUNDLE or rtcp-mux); out stays cleared then.  Does not wait. */
gboolean ims_answer_negotiate_subscriber(const char *offer_text, const ImsNegotiation *publisher,
                                         const ImsSubscriberLocal *local,
                                         ImsNegotiation *out, GError **error);

G_END_DECLS
