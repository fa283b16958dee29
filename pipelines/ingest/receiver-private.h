/* receiver-private.h: what receiver.c, receiver-take.c and
 * receiver-feedback.c share: the receiver's struct, one track of the
 * receiver (loop side), a take's end, and what a sender (sender.c) asks of
 * its publisher's receiver. */
#pragma once

#include "depacketizer.h"
#include "log-session.h"
#include "peer-signaling.h"
#include "receive-stream.h"
#include "receiver.h"
#include "sender.h"
#include "take-writer.h"
#include "timeline.h"

/* What the receiver's log lines carry (ims_log_session): the session and the open take as fields, or,
 * without a session id, the peer's log id at the start of the text. */
typedef struct {
  char *session_id; /* owned, NULL: none; set at new, then only read */
  char *prefix;     /* owned: "" with a session id, else "[<log_id>] "; set at new */
  char *take_id;    /* owned, loop side: the open take's, NULL between takes */
} ImsReceiverLog;

typedef struct _Track Track;
struct _Track {
  ImsReceiver *receiver;
  ImsTrack track;
  ImsMediaCodec codec;
  guint8 payload_type;
  guint clock_rate;
  gboolean nack;
  guint32 ssrc;             /* from the first packet, 0 before */
  ImsReceiveStream *stream; /* created with the first packet */
  ImsDepacketizer *depacketizer;
  int timeline_index;
  guint64 next_sequence; /* extended; 0 before the first packet */
  gint64 last_packet_us; /* atomic (__atomic builtins): read from the main side */
  guint width, height;   /* VP8: of the last keyframe */
  /* the stream's and depacketizer's counters when the open take started (zero
   * before the first packet): a take's record counts its own packets only */
  ImsReceiveStreamStats take_start_stats;
  guint64 take_start_frames_dropped;
  gint64 lost_counted; /* of the stream's lost packets, those in imsd_receive_packets_lost_total */
  guint64 quality_expected; /* the stream's expected and lost at the last quality snapshot */
  gint64 quality_lost;
};

/* The receiver: see receiver.c's head for which side owns which field. */
struct _ImsReceiver {
  gatomicrefcount refs;
  ImsReceiverLog log;       /* the ids of every log line; its take_id is loop side */
  ImsReceiverConfig config; /* its session_id and network are not kept: read log, new only */
  const ImsIngestCallbacks *callbacks;
  gpointer user_data;
  GMainContext *main_context;
  ImsMediaLoop *loop;
  ImsTransport *transport;

  /* main side */
  gboolean closed;
  gboolean offered;
  ImsPeerCandidates candidates; /* local ones, held until the answer went out */
  gboolean take_open;
  ImsNegotiation negotiation; /* of the offer, kept for senders; zeros before */
  gboolean negotiated;
  gint video_only; /* atomic: the offer has no audio (a screen share) */

  /* loop side */
  gboolean configured;
  Track tracks[IMS_TRACK_COUNT];
  ImsTimeline *timeline;
  GSource *timer;
  guint32 local_ssrc;
  gint64 last_report_us;
  ImsTakeWriter *writer;
  char *take_path;
  gboolean take_started; /* the first keyframe is in the file */
  gint64 keyframe_asked_us;
  gboolean want_keyframe;
  char *split_path; /* a split asked for: the next video keyframe opens it (NULL: none) */
  char *split_take_id;

  /* forwarding, loop side (receiver-feedback.c) */
  GPtrArray *senders;             /* ImsSender* attached (borrowed: each detaches before it goes) */
  gint64 keyframe_forwarded_us;   /* the last PLI sent for a subscriber */
  guint64 rtp_bytes_at_report;    /* transport bytes at the last report, for the bitrate */
  gint64 report_bytes_us;

  /* the link quality snapshot: written on the loop every report, read anywhere */
  GMutex quality_lock; /* protects quality only; nothing is called with it held */
  ImsLinkQuality quality;
};

/* Notes every track's counters (IMS_TRACK_COUNT of them) at the start of a
 * take, so that its record counts its own packets only. */
void ims_receiver_tracks_mark_take_start(Track *tracks);
/* Closes the open take's file (*writer, if it opened; cleared) and returns
 * its result, with its completeness record as JSON text in
 * result->completeness (every finished take has one: a take whose file could
 * not be opened has a record of nothing written).  Transfer full. */
ImsTakeResult *ims_receiver_take_close(const ImsReceiverLog *log, ImsTakeWriter **writer,
                                       const char *take_path, Track *tracks);

/* receiver.c: the receiver's references, for a sender that holds one. */
ImsReceiver *ims_receiver_ref(ImsReceiver *receiver);
void ims_receiver_unref(ImsReceiver *receiver);
/* Loop side: sends a PLI for the publisher's video now (no limit). */
void ims_receiver_send_pli(ImsReceiver *receiver, gint64 now);

/* receiver-feedback.c, every function on the receiver's loop thread. */
/* Adds the packets the track's stream lost since the last call to
 * imsd_receive_packets_lost_total. */
void ims_receiver_count_lost(Track *track);
/* Receiver reports for both tracks and REMB (ims_receiver_forward_remb()). */
void ims_receiver_send_reports(ImsReceiver *receiver, gint64 now);
/* Adds / removes a sender of this receiver: it gets every packet from then on / no more. */
void ims_receiver_attach_sender(ImsReceiver *receiver, ImsSender *sender);
void ims_receiver_detach_sender(ImsReceiver *receiver, ImsSender *sender);
/* A subscriber asked for a keyframe (PLI/FIR, or a new sender): one PLI to
 * the publisher, at most one per 500 ms. */
void ims_receiver_request_keyframe(ImsReceiver *receiver, gint64 now);
/* Hands one of the publisher's RTP packets (after SRTP) of track to every sender. */
void ims_receiver_forward_rtp(ImsReceiver *receiver, ImsTrack track, const ImsRtpPacket *packet,
                              gint64 now);
/* Hands one of the publisher's SRs of track to every sender. */
void ims_receiver_forward_sender_report(ImsReceiver *receiver, ImsTrack track,
                                        const ImsRtcpReport *report, gint64 now);
/* The REMB bitrate for the publisher (bits/s): the lowest of target_bps
 * (0: none) and the subscribers' REMBs; 0 when neither says anything. */
guint64 ims_receiver_forward_remb(ImsReceiver *receiver, guint64 target_bps, gint64 now);
/* Every report interval: the quality snapshot of the receiver and of its senders. */
void ims_receiver_forward_report(ImsReceiver *receiver, gint64 now);
/* The receiver's teardown: drops the senders still attached (a caller bug: logged). */
void ims_receiver_forward_clear(ImsReceiver *receiver);
