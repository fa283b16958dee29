/* timeline.h: one session timeline for the RTP streams of one peer (lip sync from RTCP SR).
 *
 * Every stream (audio, video) has its RTP clock; the sender reports (SR) pair its RTP timestamps
 * with the sender's NTP wall clock, which is common to its streams.  ims_timeline_map() turns an RTP
 * timestamp (32-bit, extended across wrap) into nanoseconds on the session timeline:
 *
 *   - before its first SR a stream is anchored at its first packet: that packet's arrival (µs) is
 *     its place on the session timeline (0 = the first arrival of any stream), and from there on
 *     its RTP timestamps count, and an arrival only when it is earlier than the mapping gives
 *     (delays only make packets later, so such a packet proves the mapping late: a first packet
 *     that came as a retransmission); a stall followed by a burst with continuous timestamps
 *     changes nothing, and a real gap in the timestamps stays a gap of the same length;
 *   - the first SR of the session fixes the NTP -> session offset, chosen so that its stream does not
 *     move; from then on every stream with an SR is mapped through NTP, so streams line up as their
 *     sender captured them;
 *   - an arrival earlier than an SR mapping gives moves the NTP -> session offset earlier (every
 *     stream mapped through it alike: their lip sync stays the SRs');
 *   - when a stream changes mapping (its first SR, a later SR that refines it, an early arrival) the
 *     output does not jump: the difference becomes a correction that is slewed to zero at
 *     IMS_TIMELINE_SLEW_PERMILLE of the media time that passes (10 %: a 20 ms correction is gone
 *     after 200 ms of media).
 *
 * A timestamp more than IMS_TIMELINE_DISCONTINUITY_SECONDS away from the last one (forward or back:
 * a sender that restarted without a new SSRC) is a discontinuity: the stream forgets its SR, is
 * anchored again at that packet's arrival (never before its last output), and the next SR brings it
 * back onto NTP, slewed.
 *
 * Output per stream is strictly increasing for increasing RTP timestamps (a slew of 10 % leaves at
 * least 90 % of every step); the newest timestamp mapped again maps to the last output (the packets
 * of one picture); an older timestamp (a frame out of order) maps to the last output + 1 ns; so the
 * output never goes back.  Output can be negative (a stream that the SRs place before the first
 * arrival).
 *
 * Lifecycle: new -> add_stream ... -> map / on_sender_report ... -> free.
 * Threads: none of its own; one thread (the peer's media loop) at a time, no locks.
 * Cost: O(1) per call, no allocation after add_stream.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define IMS_TIMELINE_MAX_STREAMS 8
#define IMS_TIMELINE_SLEW_PERMILLE 100
#define IMS_TIMELINE_DISCONTINUITY_SECONDS 30

typedef struct _ImsTimeline ImsTimeline;

/* A new empty timeline (transfer full; free with ims_timeline_free()). */
ImsTimeline *ims_timeline_new(void);
void ims_timeline_free(ImsTimeline *timeline);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsTimeline, ims_timeline_free)

/* Adds a stream with an RTP clock of clock_rate Hz.  Returns its index (0, 1, ...), -EINVAL when
 * clock_rate is 0, -ENOSPC beyond IMS_TIMELINE_MAX_STREAMS. */
int ims_timeline_add_stream(ImsTimeline *timeline, guint clock_rate);

/* Takes a sender report of stream: its NTP time (32.32) and RTP time.  An SR that arrives before the
 * stream's first packet is kept until that packet.  Unknown stream: ignored. */
void ims_timeline_on_sender_report(ImsTimeline *timeline, guint stream, guint64 ntp_time,
                                   guint32 rtp_time);

/* The session time (ns) of rtp_time of stream; arrival_us (monotonic µs, when the packet came:
 * not when a reordering buffer handed it on) places the stream's first call, and later ones only
 * when earlier than the mapping.  Unknown stream: returns G_MININT64. */
gint64 ims_timeline_map(ImsTimeline *timeline, guint stream, guint32 rtp_time, gint64 arrival_us);

/* The correction (ns) stream's output still carries against its SR mapping (0 once slewed). */
gint64 ims_timeline_get_correction(const ImsTimeline *timeline, guint stream);

/* How many discontinuities (timestamp jumps) stream had. */
guint ims_timeline_get_discontinuities(const ImsTimeline *timeline, guint stream);

/* TRUE when stream is mapped through NTP (it has an SR and the session's NTP offset is fixed). */
gboolean ims_timeline_is_synchronized(const ImsTimeline *timeline, guint stream);

G_END_DECLS
