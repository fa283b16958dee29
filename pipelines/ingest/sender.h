/* sender.h: one subscriber of a publisher's receiver: the forwarding half of
 * the media engine (an SFU on the one-way ingest's engine).
 *
 * An ImsSender is a subscriber's ICE + DTLS-SRTP transport (transport.c)
 * created on the media loop of the publisher's ImsReceiver.  It answers the
 * subscriber's recvonly offer against what the publisher sends
 * (ims_answer_negotiate_subscriber(), answer-send.h) and, once its SRTP keys
 * are set, the receiver hands it every RTP packet and sender report of the
 * publisher on the receive thread, as a function call: no decode, no encode,
 * no allocation, no lock and no thread hop per packet (receiver-feedback.c).
 * Per packet it rewrites SSRC, payload type, sequence number (continuous per
 * sender) and header extensions to the subscriber's negotiation, keeps video
 * packets in a retransmission buffer (rtx-buffer.c: the last 512 packets or
 * 1 s) and protects and sends once.  From the subscriber's RTCP: NACK ->
 * resend from the buffer; PLI/FIR -> a keyframe request to the publisher (at
 * most one per 500 ms per publisher); REMB -> the publisher's REMB is the
 * lowest of the subscribers' and the receiver's target; receiver reports ->
 * ims_sender_get_quality().  A new sender asks for a keyframe at once.
 *
 * Lifecycle: new (transport gathering) -> negotiating (offer handled, answer
 * sent) -> connected (secure: on_connected, media forwarded) -> freed;
 * any -> failed (on_failed: free it from an idle, never inside the callback).
 *
 * Threads: every function is called on the main context that was the thread
 * default at ims_sender_new(); the callbacks run there too.  The forwarding
 * runs on the publisher's media loop; the two sides talk only through
 * ims_media_loop_invoke() and main-context sources, each message holding a
 * reference.  ims_sender_get_quality() may be called from any thread.
 */
#pragma once

#include <glib.h>

#include "receiver.h"
#include "transport.h"

G_BEGIN_DECLS

typedef struct _ImsSender ImsSender;

typedef struct {
  void (*on_answer)(const char *sdp, gpointer user_data);
  void (*on_ice_candidate)(guint mline_index, const char *candidate, gpointer user_data);
  void (*on_connected)(gpointer user_data);                   /* SRTP keys set: media is forwarded */
  void (*on_failed)(const GError *error, gpointer user_data); /* free it from an idle */
} ImsSenderCallbacks;

typedef struct {
  const ImsTransportNetwork *network; /* as ImsReceiverConfig.network; read by new only */
  const char *session_id;             /* log lines' session field (copied); NULL: log_id */
  const char *stream_id; /* the answer's a=msid stream id (the publisher's participant id +
                            stream; copied); NULL: log_id */
} ImsSenderConfig;

/* A subscriber of publisher (which must have negotiated: FALSE otherwise,
 * IMS_INGEST_ERROR_STATE), created on the publisher's media loop.  Gathering
 * starts at once.  callbacks is borrowed (keep it static), user_data borrowed
 * until ims_sender_free().  Callbacks run on the caller's main context.  NULL
 * with an error if the transport cannot be made.  Does not wait.  Transfer
 * full. */
ImsSender *ims_sender_new(ImsReceiver *publisher, const char *log_id, const ImsSenderConfig *config,
                          const ImsSenderCallbacks *callbacks, gpointer user_data, GError **error);

/* Negotiates the subscriber's recvonly offer; on_answer follows.  FALSE with
 * IMS_INGEST_ERROR_BAD_SDP if the offer cannot receive the publisher's codecs
 * (nothing changes then), IMS_INGEST_ERROR_STATE for a second offer. */
gboolean ims_sender_handle_offer(ImsSender *sender, const char *sdp, GError **error);

/* A remote candidate ("candidate:..."; NULL or empty: end of candidates).
 * FALSE with IMS_INGEST_ERROR_BAD_CANDIDATE for a line that does not parse. */
gboolean ims_sender_add_ice_candidate(ImsSender *sender, guint mline_index, const char *candidate,
                                      GError **error);

/* The subscriber's link from its receiver reports (the fraction lost of the
 * last one, video first; RTT from its LSR/DLSR against the sender reports
 * this sender sent) and the bitrate the sender sent over the publisher
 * receiver's last 500 ms report interval.  Any thread; a snapshot, zeros
 * before the first report. */
void ims_sender_get_quality(ImsSender *sender, ImsLinkQuality *quality);

/* Detaches from the publisher and closes.  Free every sender of a receiver
 * before the receiver.  No callback after this.  Not from inside a callback.
 * NULL is ignored. */
void ims_sender_free(ImsSender *sender);

G_END_DECLS
