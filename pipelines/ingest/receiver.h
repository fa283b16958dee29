/* receiver.h: one candidate's receive path built for recording.
 *
 * An ImsReceiver is the new ingest (issue 9): it answers the browser's offer
 * (answer.c), carries its media over one ICE + DTLS-SRTP transport on a media
 * loop (transport.c, media-loop.c), puts each track's RTP in order with NACK
 * (receive-stream.c), turns it into frames (depacketizer.c), times every
 * frame from the sender's clocks (timeline.c: RTP timestamps mapped with the
 * RTCP sender reports, never arrival) and writes a take's frames straight
 * into its Matroska file (take-writer.c), all on the media loop's thread:
 * nothing per packet crosses a thread.  It asks for keyframes (PLI) at take
 * start and after a broken frame, sends receiver reports and REMB with the
 * target bitrate, and counts every take's completeness (completeness.c).
 *
 * It reports through ImsIngestCallbacks and ImsTakeResult (take-result.h);
 * the session's media seam (server/interview/session-media.c) binds it.  It is imsd's only
 * ingest: webrtcbin is no longer used to receive.
 *
 * Forwarding: senders (sender.h) created on the receiver's media loop get
 * every RTP packet and sender report of the publisher as it arrives
 * (receiver-feedback.c); their feedback (PLI/FIR, REMB) is merged into the
 * receiver's own.  A screen share (allow_video_only) has no audio track.
 *
 * Lifecycle: new -> negotiating (offer handled, answer sent) -> live (secure,
 * both tracks flowing) -> [recording <-> live]* -> freed.
 *
 * Threads: every function but ims_receiver_get_last_media_time() is called on
 * the main context that was the thread default at ims_receiver_new(); the
 * callbacks run there too.  The media work runs on the media loop; the two
 * sides talk only through ims_media_loop_invoke() and
 * g_main_context_invoke_full(), each message holding a reference.
 */
#pragma once

#include <glib.h>

#include "answer.h"
#include "completeness.h"
#include "take-result.h"
#include "media-loop.h"
#include "transport.h"

G_BEGIN_DECLS

typedef struct _ImsReceiver ImsReceiver;

typedef struct {
  ImsMediaLoops *loops;               /* where the peer runs (one loop is picked) */
  guint video_codecs;                 /* IMS_SDP_ACCEPT_* mask, 0 = all */
  guint video_start_kbps;             /* x-google-start-bitrate in the answer, 0 = none */
  guint target_kbps;                  /* REMB sent to the browser: the bitrate to aim at */
  const ImsTransportNetwork *network; /* gathering and advertised addresses; NULL: host UDP on
                                         every interface.  Read by ims_receiver_new() only */
  const char *session_id; /* the session the peer's log lines are about: their session field
                                   (copied by ims_receiver_new()); NULL: none, lines name log_id */
  gboolean allow_video_only; /* a screen share: a sendonly offer with video and no audio track is
                                taken; media flows when video does; takes are video only */
} ImsReceiverConfig;

/* The link of a peer as imsd sees it: loss of the last reporting interval in
 * percent, round-trip time in ms (0: not known yet), bitrate of the last
 * reporting interval in kbit/s. */
typedef struct {
  double loss_percent;
  double rtt_ms;
  double bitrate_kbps;
} ImsLinkQuality;

/* Picks a media loop and creates the transport.  NULL with an error if the
 * transport cannot be made.  log_id names the peer in the text of log lines
 * when config has no session_id.  Transfer full. */
ImsReceiver *ims_receiver_new(const char *log_id, const ImsReceiverConfig *config,
                              const ImsIngestCallbacks *callbacks, gpointer user_data,
                              GError **error);

/* Negotiates the offer; on_answer follows.  FALSE with
 * IMS_INGEST_ERROR_BAD_SDP (the reason in the message) if the offer cannot
 * be taken; nothing changes then.  A second offer is refused with
 * IMS_INGEST_ERROR_STATE. */
gboolean ims_receiver_handle_offer(ImsReceiver *receiver, const char *sdp, GError **error);

/* A remote candidate ("candidate:..."; empty: end of candidates). */
gboolean ims_receiver_add_ice_candidate(ImsReceiver *receiver, guint mline_index,
                                        const char *candidate, GError **error);

/* Opens path for a take; frames are written from the next video keyframe
 * (asked for at once), then on_take_started.  take_id (copied; NULL: none) is
 * the take field of the take's log lines.  IMS_INGEST_ERROR_STATE if a
 * take is open or media does not flow yet. */
gboolean ims_receiver_start_take(ImsReceiver *receiver, const char *path, const char *take_id,
                                 GError **error);

/* Closes the take; on_take_finished follows.  No-op without a take. */
void ims_receiver_stop_take(ImsReceiver *receiver);

/* Closes the open take and opens path at the next keyframe (asked for at
 * once), atomically on the media loop: no frame is lost or written twice
 * between the two files.  on_take_finished for the old one, then
 * on_take_started for the new one.  take_id as ims_receiver_start_take().
 * IMS_INGEST_ERROR_STATE without a take.  Does not wait. */
gboolean ims_receiver_split_take(ImsReceiver *receiver, const char *path, const char *take_id,
                                 GError **error);

/* The publisher's link as the receiver sees it: the packets its receive
 * streams lost in the last 500 ms (RFC 3550 expected - received), the RTT
 * they measure from NACKed retransmissions (video first; their initial
 * 100 ms until one is measured: a publisher that only sends reports nothing
 * else imsd could time), the RTP bitrate received over the last 500 ms.
 * Any thread; a snapshot refreshed every 500 ms on the loop, zeros before
 * media. */
void ims_receiver_get_quality(ImsReceiver *receiver, ImsLinkQuality *quality);

/* The negotiation of the offer (borrowed, valid until ims_receiver_free()),
 * NULL before ims_receiver_handle_offer() succeeded: senders negotiate
 * against it (sender.h).  Main side. */
const ImsNegotiation *ims_receiver_get_negotiation(ImsReceiver *receiver);

/* Monotonic time of the last RTP packet, 0 until both tracks flow.  Any thread. */
gint64 ims_receiver_get_last_media_time(ImsReceiver *receiver);

/* Stops everything; an open take is cut (decodable, as after a crash).  No
 * callback runs after this.  Not from inside a callback. */
void ims_receiver_free(ImsReceiver *receiver);

G_END_DECLS
