/* receiver-private.h: what receiver.c and receiver-take.c share: one
 * track of the receiver (loop side), and a take's end. */
#pragma once

#include "depacketizer.h"
#include "log-session.h"
#include "receive-stream.h"
#include "receiver.h"
#include "take-writer.h"

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
