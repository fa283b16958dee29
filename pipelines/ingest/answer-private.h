/* answer-private.h: the pieces of an answer that the receive path's
 * negotiation (answer.c) and the send path's (answer-send.c) share: reading
 * an offer's transport and tracks, writing an answer's session header, its
 * accepted and rejected m-lines.  Inside pipelines/ingest/ only.
 */
#pragma once

#include <glib.h>
#include <gst/sdp/sdp.h>

#include "answer.h"

G_BEGIN_DECLS

#define IMS_ANSWER_MID_URI "urn:ietf:params:rtp-hdrext:sdes:mid"
#define IMS_ANSWER_ABS_SEND_TIME_URI "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"

/* Sets IMS_INGEST_ERROR_BAD_SDP with the formatted message; returns FALSE. */
gboolean ims_answer_bad_sdp(GError **error, const char *format, ...) G_GNUC_PRINTF(2, 3);

/* Parses offer_text (which must start with v=0); NULL with BAD_SDP if it
 * does not parse.  Transfer full. */
GstSDPMessage *ims_answer_parse_offer(const char *offer_text, GError **error);

/* Fills track from the offer's m-line media (its index mline_index) for
 * codec under payload type pt: mid, clock rate, the offer's sender SSRC,
 * the mid and abs-send-time extension ids, the feedback the offer accepts. */
void ims_answer_fill_track(const GstSDPMedia *media, guint mline_index, ImsSdpCodec codec, int pt,
                           ImsNegotiatedTrack *track);

/* FALSE with BAD_SDP unless every one of the n tracks has a mid in the
 * offer's BUNDLE group and its m-line uses rtcp-mux. */
gboolean ims_answer_check_bundle(const GstSDPMessage *msg, const ImsNegotiatedTrack *const *tracks,
                                 guint n, GError **error);

/* The transport of the offer's BUNDLE (its first mid's m-line; first_mline,
 * the first accepted track's, if that mid names none): ICE credentials,
 * DTLS fingerprint and role (local->prefer_dtls_client for an actpass
 * offer), candidates, into negotiation.  FALSE with BAD_SDP if the
 * credentials or a sha-256 fingerprint are missing (negotiation holds
 * nothing new then).  Call after ims_answer_check_bundle(). */
gboolean ims_answer_read_transport(const GstSDPMessage *msg, guint first_mline,
                                   const ImsAnswerLocal *local, ImsNegotiation *negotiation,
                                   GError **error);

/* A new answer's session part: v=, o=, s=, t=, the BUNDLE of the n tracks
 * (in m-line order), a=ice-lite if local says so, a=msid-semantic (with
 * stream_id when not NULL).  Transfer full. */
GString *ims_answer_begin(const ImsAnswerLocal *local, const ImsNegotiatedTrack *const *tracks,
                          guint n, const char *stream_id);

/* An accepted m-line of track up to its feedback lines: m=, c=, imsd's ICE
 * and DTLS, a=mid, the extmaps of track, direction ("recvonly",
 * "sendonly"), rtcp-mux (and rtcp-rsize if offered), rtpmap, rtcp-fb.  The
 * caller appends its fmtp and, for a sender, its a=msid and a=ssrc lines. */
void ims_answer_append_media(GString *out, const ImsAnswerLocal *local, gboolean dtls_client,
                             const ImsNegotiatedTrack *track, const GstSDPMedia *offered,
                             const char *direction);

/* An m-line imsd does not take: the same kind and mid, port 0. */
void ims_answer_append_rejected(GString *out, const GstSDPMedia *media);

G_END_DECLS
