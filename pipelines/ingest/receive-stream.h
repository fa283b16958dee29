/* receive-stream.h: one SSRC's RTP receiver: packets in, packets out in sequence order.
 *
 * The transport hands every decrypted RTP packet of one SSRC to ims_receive_stream_push() with its
 * arrival time; the stream hands packets on, in extended sequence order and each at most once,
 * through the deliver callback given at creation.  A missing packet holds the ones after it for a
 * bounded wait, clamp(2.5 x RTT, min_wait, max_wait) from when the gap was seen, while the caller
 * sends the NACKs that ims_receive_stream_collect_nacks() lists (the first after reorder_delay, then
 * every RTT, at most max_nack_retries times); once the wait is over the slot is given up (counted,
 * never handed on) and the packets after it flow.  A packet whose slot was given up is dropped and
 * counted late; duplicates are dropped and counted.  The window is fixed (window packets of at most
 * max_packet_size bytes, allocated once): a gap longer than the window gives up its oldest slots.
 * For start_delay after the first packet nothing is handed on and a packet from before it moves the
 * start back, so reordering at the start loses nothing.
 * Sequence numbers are extended across wrap-around (RFC 3550 A.1; the extended numbers handed on
 * start at 65536 + the first sequence number, RR blocks count from cycle 0); a jump beyond 3000 forward or
 * window backward is held on probation and, when the next packet follows it, taken as a sender
 * restart: what is held is handed on and the stream resyncs at the new numbers.  A restart that lands
 * just behind (inside the window) shows as 32 consecutive numbers all behind: the stream resyncs at
 * the 32nd (the 31 before it are counted late).
 *
 * RTT: a receiver only learns it from its own NACKs: the delay from the one NACK of a packet to its
 * retransmission (Karn: never from a packet NACKed twice), smoothed 7/8; or the caller sets it
 * (ims_receive_stream_set_rtt(), e.g. from a DLSR the sender reports), which then wins.
 *
 * Statistics follow RFC 3550 A.3 (expected, received, lost = expected - received), plus recovered
 * (arrived after a NACK), given up, late, duplicates; interarrival jitter per A.8 (in-order packets
 * only).  The last sender report (NTP <-> RTP pair) is kept for LSR/DLSR and for the timeline.
 *
 * Lifecycle: new -> push / poll / collect_nacks / fill_report_block ... -> free.  Every call
 * delivers synchronously; the deliver callback must not call back into the same stream.
 * Threads: none of its own; one thread (the media loop that owns the peer) at a time, no locks.
 * Cost: push and release are O(1) per packet except a gap or a given-up run (O(its length)); an
 * in-order packet with nothing held is handed on from the caller's buffer without a copy.
 */
#pragma once

#include <glib.h>

#include "rtcp.h"
#include "rtp.h"

G_BEGIN_DECLS

typedef struct _ImsReceiveStream ImsReceiveStream;

typedef struct {
  guint clock_rate;        /* RTP clock (Hz), for jitter; 90000 video, 48000 Opus */
  guint window;            /* slots, a power of two (default 512) */
  guint max_packet_size;   /* bytes a slot holds (default 1500) */
  gboolean nack;           /* list NACKs (default TRUE; audio usually FALSE) */
  gint64 reorder_delay_us; /* a gap this old gets its first NACK (default 10 ms) */
  gint64 start_delay_us;   /* nothing is handed on this long after the first packet, so packets
                                reordered before it are kept (default 10 ms; 0 = none) */
  gint64 min_wait_us;      /* the wait for a missing packet is at least (default 100 ms) */
  gint64 max_wait_us;      /* ... and at most (default 1 s) */
  guint max_nack_retries;  /* NACKs per packet (default 10) */
  gint64 initial_rtt_us;   /* until measured or set (default 100 ms) */
} ImsReceiveStreamConfig;

typedef struct {
  guint64 expected;  /* RFC 3550 A.3: highest - base + 1, summed over resyncs */
  guint64 received;  /* unique packets received, late ones included */
  gint64 lost;       /* expected - received (A.3; what RR reports) */
  guint64 delivered; /* handed on */
  guint64 recovered; /* missing packets that arrived after a NACK */
  guint64 given_up;  /* slots skipped after the wait: missing from the output */
  guint64 late;      /* arrived after their slot was given up, or older than the window */
  guint64 duplicates;
  guint64 nacks;   /* sequence numbers listed for NACK (retries included) */
  guint64 resyncs; /* sender restarts followed */
  guint64 invalid; /* not RTP, another SSRC, too big to hold */
  guint32 jitter;  /* RTP timestamp units */
  gint64 rtt_us;       /* the config's initial_rtt_us until measured */
  guint64 rtt_samples; /* retransmissions timed (Karn), plus ims_receive_stream_set_rtt() calls */
  guint copies; /* packet copies allocated (max_packet_size each): the most ever
                                held at once, not the window */
} ImsReceiveStreamStats;

/* Called once per packet in sequence order.  packet points into the stream's slot or the caller's
 * buffer: valid only during the call. */
typedef void (*ImsReceiveStreamDeliverFunc)(const ImsRtpPacket *packet, guint64 extended_sequence,
                                            gint64 arrival_us, gpointer user_data);

/* Fills config with the defaults above for clock_rate. */
void ims_receive_stream_config_init(ImsReceiveStreamConfig *config, guint clock_rate);

/* Creates a stream (transfer full; free with ims_receive_stream_free()).  Allocates window x
 * max_packet_size bytes once.  Returns NULL when config is invalid (window not a power of two in
 * 16..32768, max_packet_size < 12, clock_rate 0, min_wait > max_wait). */
ImsReceiveStream *ims_receive_stream_new(const ImsReceiveStreamConfig *config,
                                         ImsReceiveStreamDeliverFunc deliver, gpointer user_data);
void ims_receive_stream_free(ImsReceiveStream *stream);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsReceiveStream, ims_receive_stream_free)

/* Takes one RTP packet of this stream (the first packet fixes the SSRC) that arrived at arrival_us
 * (monotonic µs), copies it if it must wait, and hands on what is due (given-up gaps included, with
 * arrival_us as now).  Returns 0 when accepted, -EEXIST duplicate, -ETIME late (both dropped),
 * -EAGAIN held on probation (a jump: handed on if the next packet confirms a restart), -EINVAL not
 * RTP or another SSRC, -EMSGSIZE larger than max_packet_size and unable to go on at once.  The caller's
 * buffer is not kept. */
int ims_receive_stream_push(ImsReceiveStream *stream, const guint8 *data, gsize length,
                            gint64 arrival_us);

/* Gives up the held gaps whose wait is over at now_us and hands on what follows them.  Call it at
 * ims_receive_stream_get_deadline(). */
void ims_receive_stream_poll(ImsReceiveStream *stream, gint64 now_us);

/* When the oldest held gap's wait ends (µs, same clock as arrivals), or G_MAXINT64 when nothing
 * waits. */
gint64 ims_receive_stream_get_deadline(const ImsReceiveStream *stream);

/* Writes into sequences (at most max, oldest first) the sequence numbers to NACK now and counts them
 * as NACKed at now_us.  Returns how many; 0 when NACK is off or nothing is due.  Cost: O(window) when
 * something is missing, O(1) otherwise.  Encode them with ims_rtcp_write_nack(). */
guint ims_receive_stream_collect_nacks(ImsReceiveStream *stream, gint64 now_us, guint16 *sequences,
                                       guint max);

/* Sets the round-trip time (µs, > 0); measured samples are ignored from then on. */
void ims_receive_stream_set_rtt(ImsReceiveStream *stream, gint64 rtt_us);

/* Keeps the sender report (SR) of this stream that arrived at arrival_us.  Ignores an RR. */
void ims_receive_stream_on_sender_report(ImsReceiveStream *stream, const ImsRtcpReport *report,
                                         gint64 arrival_us);
/* The last SR's NTP time, RTP time and arrival.  Returns FALSE (nothing set) when none came. */
gboolean ims_receive_stream_get_sender_report(const ImsReceiveStream *stream, guint64 *ntp_time,
                                              guint32 *rtp_time, gint64 *arrival_us);

/* The RR report block for this stream at now_us (fraction lost since the previous call).  Returns
 * FALSE (block untouched) before the first packet. */
gboolean ims_receive_stream_fill_report_block(ImsReceiveStream *stream, gint64 now_us,
                                              ImsRtcpReportBlock *block);

void ims_receive_stream_get_stats(const ImsReceiveStream *stream, ImsReceiveStreamStats *stats);
/* The SSRC (0 before the first packet). */
guint32 ims_receive_stream_get_ssrc(const ImsReceiveStream *stream);

G_END_DECLS
