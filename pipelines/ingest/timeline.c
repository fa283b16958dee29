/* timeline.c: RTP timestamps -> one session timeline through RTCP SR (see timeline.h).
 *
 * Per stream: "truth" is the mapping the stream has now (its arrival anchor, or NTP through its
 * last SR); output = truth + correction, where correction absorbs each change of mapping and decays
 * by IMS_TIMELINE_SLEW_PERMILLE of each step of truth.  Extended timestamps start at the first
 * timestamp + 2^32, so an earlier one (an SR sampled before the first packet) stays positive.
 */
#define G_LOG_DOMAIN "imsd.ingest.timeline"

#include "timeline.h"

#include <errno.h>

#define NS_PER_S G_GINT64_CONSTANT(1000000000)

typedef struct {
  guint clock_rate;
  gboolean have_packet;
  gint64 last_extended;
  guint32 last_rtp_time;
  gint64 last_output;
  gint64 anchor_extended;
  gint64 anchor_ns;
  gboolean have_sr;
  gint64 sr_ntp_ns;
  gint64 sr_extended;
  gboolean pending_sr;
  guint64 pending_ntp_time;
  guint32 pending_rtp_time;
  gint64 correction;
  guint discontinuities;
} Stream;

struct _ImsTimeline {
  Stream streams[IMS_TIMELINE_MAX_STREAMS];
  guint stream_count;
  gboolean have_origin;
  gint64 origin_us; /* the first arrival: session time 0 */
  gboolean have_ntp_offset;
  gint64 ntp_offset_ns; /* session ns = NTP ns - ntp_offset_ns */
};

ImsTimeline *
ims_timeline_new(void)
{
  return g_new0(ImsTimeline, 1);
}

void
ims_timeline_free(ImsTimeline *timeline)
{
  g_free(timeline);
}

int
ims_timeline_add_stream(ImsTimeline *timeline, guint clock_rate)
{
  if (clock_rate == 0)
    return -EINVAL;
  if (timeline->stream_count == IMS_TIMELINE_MAX_STREAMS)
    return -ENOSPC;
  timeline->streams[timeline->stream_count] = (Stream){ .clock_rate = clock_rate };
  return (int) timeline->stream_count++;
}

static gint64
ntp_to_ns(guint64 ntp_time)
{
  gint64 seconds = (gint64) (ntp_time >> 32);
  gint64 fraction = (gint64) ((((ntp_time & 0xffffffffu) * (guint64) NS_PER_S) + (1u << 31)) >> 32);
  return seconds * NS_PER_S + fraction;
}

static gint64
ticks_to_ns(const Stream *s, gint64 ticks)
{
  /* whole seconds apart, so the product never overflows (ticks * 10^9 would after ~1 day) */
  gint64 rate = (gint64) s->clock_rate;
  return (ticks / rate) * NS_PER_S + (ticks % rate) * NS_PER_S / rate;
}

static gint64
extend(const Stream *s, guint32 rtp_time)
{
  return s->last_extended + (gint32) (rtp_time - s->last_rtp_time);
}

static gint64
ntp_ns_of(const Stream *s, gint64 extended)
{
  return s->sr_ntp_ns + ticks_to_ns(s, extended - s->sr_extended);
}

static gint64
truth_of(const ImsTimeline *timeline, const Stream *s, gint64 extended)
{
  if (s->have_sr && timeline->have_ntp_offset)
    return ntp_ns_of(s, extended) - timeline->ntp_offset_ns;
  return s->anchor_ns + ticks_to_ns(s, extended - s->anchor_extended);
}

/* Takes (ntp_time, rtp_time) as stream s's mapping; s has had its first packet. */
static void
apply_sender_report(ImsTimeline *timeline, Stream *s, guint64 ntp_time, guint32 rtp_time)
{
  gint64 before = truth_of(timeline, s, s->last_extended);
  s->have_sr = TRUE;
  s->sr_ntp_ns = ntp_to_ns(ntp_time);
  s->sr_extended = extend(s, rtp_time);
  if (!timeline->have_ntp_offset) {
    timeline->ntp_offset_ns = ntp_ns_of(s, s->last_extended) - before;
    timeline->have_ntp_offset = TRUE;
  }
  s->correction += before - truth_of(timeline, s, s->last_extended);
}

void
ims_timeline_on_sender_report(ImsTimeline *timeline, guint stream, guint64 ntp_time,
                              guint32 rtp_time)
{
  if (stream >= timeline->stream_count)
    return;
  Stream *s = &timeline->streams[stream];
  if (!s->have_packet) {
    s->pending_sr = TRUE;
    s->pending_ntp_time = ntp_time;
    s->pending_rtp_time = rtp_time;
    return;
  }
  apply_sender_report(timeline, s, ntp_time, rtp_time);
}

static gint64
map_first(ImsTimeline *timeline, Stream *s, guint32 rtp_time, gint64 arrival_us)
{
  if (!timeline->have_origin) {
    timeline->origin_us = arrival_us;
    timeline->have_origin = TRUE;
  }
  s->have_packet = TRUE;
  s->last_rtp_time = rtp_time;
  s->last_extended = (G_GINT64_CONSTANT(1) << 32) + rtp_time;
  s->anchor_extended = s->last_extended;
  s->anchor_ns = (arrival_us - timeline->origin_us) * 1000;
  if (s->pending_sr) {
    s->pending_sr = FALSE;
    apply_sender_report(timeline, s, s->pending_ntp_time, s->pending_rtp_time);
    s->correction = 0; /* nothing was output yet: start on the SR mapping */
  }
  s->last_output = truth_of(timeline, s, s->last_extended);
  return s->last_output;
}

/* The sender's timestamps jumped (a restart without a new SSRC): its old SR no longer applies.
 * The new timestamps are anchored at this arrival (never before the last output) until the next SR
 * maps them through NTP again (slewed like any change of mapping). */
static gint64
map_discontinuity(ImsTimeline *timeline, Stream *s, guint32 rtp_time, gint64 arrival_us)
{
  gint64 output = MAX(s->last_output + 1, (arrival_us - timeline->origin_us) * 1000);
  s->have_sr = FALSE;
  s->correction = 0;
  s->last_rtp_time = rtp_time;
  s->last_extended = (G_GINT64_CONSTANT(1) << 32) + rtp_time;
  s->anchor_extended = s->last_extended;
  s->anchor_ns = output;
  s->last_output = output;
  s->discontinuities++;
  return output;
}

/* A packet that arrived before the session time its mapping gives it proves the mapping late by
 * that much (delays only ever make packets later: the first packet may have been a retransmission,
 * or the tail of a paced keyframe).  The mapping moves earlier, without a jump: the difference
 * becomes a correction, slewed like any change.  An arrival anchor moves its own stream; the NTP
 * offset moves every stream mapped through it, so their lip sync stays what the SRs say. */
static void
refine(ImsTimeline *timeline, Stream *s, gint64 extended, gint64 arrival_us)
{
  gint64 early = truth_of(timeline, s, extended) - (arrival_us - timeline->origin_us) * 1000;
  if (early <= 0)
    return;
  if (!(s->have_sr && timeline->have_ntp_offset)) {
    s->anchor_ns -= early;
    s->correction += early;
    return;
  }
  timeline->ntp_offset_ns += early;
  for (guint i = 0; i < timeline->stream_count; i++)
    if (timeline->streams[i].have_sr)
      timeline->streams[i].correction += early;
}

gint64
ims_timeline_map(ImsTimeline *timeline, guint stream, guint32 rtp_time, gint64 arrival_us)
{
  if (stream >= timeline->stream_count)
    return G_MININT64;
  Stream *s = &timeline->streams[stream];
  if (!s->have_packet)
    return map_first(timeline, s, rtp_time, arrival_us);
  gint64 extended = extend(s, rtp_time);
  if (extended == s->last_extended)
    return s->last_output;
  if (ABS(extended - s->last_extended) > (gint64) s->clock_rate * IMS_TIMELINE_DISCONTINUITY_SECONDS)
    return map_discontinuity(timeline, s, rtp_time, arrival_us);
  if (extended < s->last_extended)
    return ++s->last_output;
  refine(timeline, s, extended, arrival_us);
  gint64 step = truth_of(timeline, s, extended) - truth_of(timeline, s, s->last_extended);
  gint64 slew = step * IMS_TIMELINE_SLEW_PERMILLE / 1000;
  if (s->correction > slew)
    s->correction -= slew;
  else if (s->correction < -slew)
    s->correction += slew;
  else
    s->correction = 0;
  gint64 output = truth_of(timeline, s, extended) + s->correction;
  if (output <= s->last_output)
    output = s->last_output + 1;
  s->last_extended = extended;
  s->last_rtp_time = rtp_time;
  s->last_output = output;
  return output;
}

gint64
ims_timeline_get_correction(const ImsTimeline *timeline, guint stream)
{
  return stream < timeline->stream_count ? timeline->streams[stream].correction : 0;
}

gboolean
ims_timeline_is_synchronized(const ImsTimeline *timeline, guint stream)
{
  return stream < timeline->stream_count && timeline->streams[stream].have_sr &&
         timeline->have_ntp_offset;
}

guint
ims_timeline_get_discontinuities(const ImsTimeline *timeline, guint stream)
{
  return stream < timeline->stream_count ? timeline->streams[stream].discontinuities : 0;
}
