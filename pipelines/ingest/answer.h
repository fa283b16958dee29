/* answer.h: negotiation of the receive path: a browser's offer in, imsd's
 * answer and what both sides agreed out.
 *
 * imsd receives one audio and one video track per candidate over one BUNDLE
 * transport with rtcp-mux.  From the offer this takes the first video and the
 * first audio m-line (codec choice as pipelines/sdp.h: H.264
 * packetization-mode 1 constrained baseline first, then VP8; Opus), the
 * transport of the first bundled m-line (ICE ufrag/pwd, DTLS fingerprint and
 * setup role: aiortc gives every m-line its own credentials, and with BUNDLE
 * only the first one's are used), the candidates the offer carries (aiortc
 * sends them inside the SDP), the sender's SSRCs and the header extension
 * ids imsd reads (sdes:mid for demultiplexing, abs-send-time).  The answer
 * is recvonly on both tracks, accepts NACK, PLI, FIR and REMB feedback (no
 * transport-cc and no RTX: retransmissions come on the original SSRC and
 * bandwidth is steered by REMB) and rejects every other m-line (port 0).
 * A live room's screen share has no audio m-line: with allow_video_only
 * the video alone is accepted.  A live room's subscribers are answered by
 * answer-send.h, with the pieces of answer-private.h.
 *
 * Pure text in, text out: unit-tested in tests/unit/test-answer.c.
 *
 * Lifecycle: ims_answer_negotiate() fills an ImsNegotiation that the caller
 * owns and releases with ims_negotiation_clear().
 */
#pragma once

#include <glib.h>

#include "sdp.h"

G_BEGIN_DECLS

/* What imsd puts in its answer about itself. */
typedef struct {
  const char *ice_ufrag;
  const char *ice_pwd;
  const char *fingerprint;     /* "sha-256 AB:CD:...", the DTLS certificate's */
  gboolean ice_lite;           /* say a=ice-lite */
  gboolean prefer_dtls_client; /* with an actpass offer: TRUE answers a=setup:active */
  guint video_start_kbps;      /* x-google-start-bitrate in the video fmtp; 0: none */
  gboolean allow_video_only;   /* a screen share: an offer with video and no audio m-line is
                                  accepted (negotiation->audio.codec IMS_SDP_CODEC_NONE) */
} ImsAnswerLocal;

/* One track both sides agreed on. */
typedef struct {
  guint mline_index;
  char *mid;
  ImsSdpCodec codec;
  int payload_type;
  guint clock_rate;
  guint32 ssrc;                  /* the sender's, from a=ssrc (first of an FID group); 0 if none */
  guint mid_ext_id;              /* extmap id of sdes:mid, 0 if not offered */
  guint abs_send_time_ext_id;    /* 0 if not offered */
  gboolean nack, pli, fir, remb; /* feedback the sender accepts (kept in the answer) */
} ImsNegotiatedTrack;

typedef struct {
  char *remote_ufrag;
  char *remote_pwd;
  char *remote_fingerprint;     /* "sha-256 AB:CD:..." */
  gboolean dtls_client;         /* imsd's DTLS role: TRUE = client (a=setup:active) */
  GPtrArray *remote_candidates; /* char*: "candidate:..." (without "a="), of the bundled transport */
  ImsNegotiatedTrack video;
  ImsNegotiatedTrack audio;
  char *answer; /* the SDP answer text, CRLF lines */
} ImsNegotiation;

/* Negotiates offer_text for the video codecs in video_codecs (IMS_SDP_ACCEPT_*
 * mask, 0 = all).  Fills negotiation (zero-initialised) and returns TRUE, or
 * FALSE with IMS_INGEST_ERROR_BAD_SDP naming what is missing (no video or
 * audio m-line, no usable codec, no ICE credentials or fingerprint, no
 * BUNDLE of the two tracks, no rtcp-mux); negotiation stays cleared then.
 * With local->allow_video_only an offer without an audio m-line is taken:
 * negotiation->audio stays zero (codec IMS_SDP_CODEC_NONE, mid NULL) and the
 * answer has the video m-line alone in its BUNDLE.  Does not wait. */
gboolean ims_answer_negotiate(const char *offer_text, guint video_codecs,
                              const ImsAnswerLocal *local, ImsNegotiation *negotiation,
                              GError **error);

void ims_negotiation_clear(ImsNegotiation *negotiation);

/* The public twin of a local host candidate behind a 1:1 NAT ([media]
 * public_ip, docs/ingest.md): host_candidate is "candidate:F C T P ADDR PORT
 * typ host [tcptype passive]" (libnice's line, without "a="); the result is
 * "candidate:pF C T P' PUBLIC PORT typ srflx raddr ADDR rport PORT
 * [tcptype passive]": the same port, a foundation of its own, and the
 * priority with the type preference of a server-reflexive candidate (5/6 of
 * the host's: libnice's 100 for its 120, so UDP stays above TCP).  NULL (no
 * twin) for a candidate that is not host, an active TCP one, one whose
 * address family is not public_ip's, or a line that does not parse.
 * transfer full. */
char *ims_answer_public_candidate(const char *host_candidate, const char *public_ip);

G_END_DECLS
