/* receive-stream.c: one SSRC's RTP receiver (see receive-stream.h).
 *
 * State: the extended sequence numbers next (the next to hand on) <= highest + 1; every number in
 * next..highest has the slot number & (window - 1), which is STORED (a copy waits), MISSING (since
 * missing_since, with its NACK count) or, behind next, RELEASED / GIVEN_UP / LATE until reused, so a
 * packet behind next tells a duplicate from a late arrival while its slot still holds its number.
 * Invariant: highest - next < window.  Extended numbers start at 65536 + the first sequence number
 * (so packets from just before the first one, reordered at the start, stay positive); a resync
 * continues above the old highest so they never go back.  RR blocks count cycles from the epoch's
 * first packet.
 *
 * Start: for start_delay after the first packet nothing is handed on, and a packet from before the
 * first one (within the window) moves the start back: reordering at the start loses nothing.
 */
#define G_LOG_DOMAIN "imsd.ingest.receive-stream"

#include "receive-stream.h"

#include <errno.h>
#include <string.h>

#define MAX_DROPOUT 3000 /* RFC 3550 A.1: a forward jump beyond this is a restart candidate */
/* Consecutive numbers all behind next: a sender restarted just below where it was (inside the
 * window, where a jump is not seen): resync at the last of them. */
#define RESTART_RUN 32
#define MIN_RTT_SAMPLE_US 1000
#define MAX_RTT_SAMPLE_US 5000000

typedef enum {
  SLOT_EMPTY = 0,
  SLOT_MISSING,
  SLOT_STORED,
  SLOT_RELEASED,
  SLOT_GIVEN_UP,
  SLOT_LATE, /* given up, then arrived: a second copy is a duplicate */
} SlotState;

typedef struct {
  gint64 sequence;   /* extended number held, -1 when never used */
  gint64 arrival_us; /* STORED: arrival; MISSING: when the gap was seen */
  gint64 last_nack_us;
  guint16 length;
  guint8 state;
  guint8 nacks;
} Slot;

struct _ImsReceiveStream {
  ImsReceiveStreamConfig config;
  ImsReceiveStreamDeliverFunc deliver;
  gpointer user_data;

  Slot *slots;
  /* A copy per STORED slot, of max_packet_size bytes: held[slot] while it waits, back on the
   * spare stack once handed on, so memory follows the packets held at once (a few after a loss),
   * not the window.  A slot overwritten while STORED keeps its buffer for its next copy. */
  guint8 **held;
  guint8 **spare;
  guint spare_count;
  guint mask;

  gboolean started;
  gboolean starting; /* within start_delay of the first packet: hold, accept earlier ones */
  gint64 start_until_us;
  guint32 ssrc;
  gint64 base; /* first extended number of this epoch */
  gint64 highest;
  gint64 next;
  guint missing;           /* MISSING slots in next..highest */
  guint64 expected_before; /* expected of the epochs before a resync */

  /* probation: a packet after a big jump, kept until the next one says restart or not */
  guint behind_run; /* consecutive packets, each the one after the previous, behind next */
  guint16 behind_last;
  gboolean probation;
  guint16 probation_sequence;
  gint64 probation_arrival_us;
  guint16 probation_length;
  guint8 *probation_buffer;

  gint64 rtt_us;
  gboolean rtt_from_caller;

  gboolean have_transit;
  gint64 last_transit;
  gint64 jitter_q4; /* jitter x 16 (RFC 3550 A.8) */

  gboolean have_sender_report;
  guint64 sr_ntp_time;
  guint32 sr_rtp_time;
  gint64 sr_arrival_us;

  guint64 expected_prior; /* at the previous report block */
  guint64 received_prior;

  ImsReceiveStreamStats stats;
};

void
ims_receive_stream_config_init(ImsReceiveStreamConfig *config, guint clock_rate)
{
  *config = (ImsReceiveStreamConfig){
    .clock_rate = clock_rate,
    .window = 512,
    .max_packet_size = 1500,
    .nack = TRUE,
    .reorder_delay_us = 10000,
    .start_delay_us = 10000,
    .min_wait_us = 100000,
    .max_wait_us = 1000000,
    .max_nack_retries = 10,
    .initial_rtt_us = 100000,
  };
}

ImsReceiveStream *
ims_receive_stream_new(const ImsReceiveStreamConfig *config, ImsReceiveStreamDeliverFunc deliver,
                       gpointer user_data)
{
  if (config == NULL || deliver == NULL || config->clock_rate == 0 || config->window < 16 ||
      config->window > 32768 || (config->window & (config->window - 1)) != 0 ||
      config->max_packet_size < IMS_RTP_HEADER_SIZE || config->max_packet_size > 65535 ||
      config->min_wait_us > config->max_wait_us || config->initial_rtt_us <= 0 ||
      config->start_delay_us < 0)
    return NULL;
  ImsReceiveStream *stream = g_new0(ImsReceiveStream, 1);
  stream->config = *config;
  stream->deliver = deliver;
  stream->user_data = user_data;
  stream->mask = config->window - 1;
  stream->slots = g_new0(Slot, config->window);
  for (guint i = 0; i < config->window; i++)
    stream->slots[i].sequence = -1;
  stream->held = g_new0(guint8 *, config->window);
  stream->spare = g_new(guint8 *, config->window);
  stream->probation_buffer = g_malloc(config->max_packet_size);
  stream->rtt_us = config->initial_rtt_us;
  stream->stats.rtt_us = stream->rtt_us;
  return stream;
}

void
ims_receive_stream_free(ImsReceiveStream *stream)
{
  if (stream == NULL)
    return;
  for (guint i = 0; i <= stream->mask; i++)
    g_free(stream->held[i]);
  for (guint i = 0; i < stream->spare_count; i++)
    g_free(stream->spare[i]);
  g_free(stream->held);
  g_free(stream->spare);
  g_free(stream->slots);
  g_free(stream->probation_buffer);
  g_free(stream);
}

static inline Slot *
slot_of(ImsReceiveStream *stream, gint64 sequence)
{
  return &stream->slots[(guint64) sequence & stream->mask];
}

/* The copy of the packet numbered sequence; allocated (or taken from the spares) on first use. */
static guint8 *
held_buffer(ImsReceiveStream *stream, gint64 sequence)
{
  guint8 **held = &stream->held[(guint64) sequence & stream->mask];
  if (*held == NULL) {
    if (stream->spare_count > 0) {
      *held = stream->spare[--stream->spare_count];
    } else {
      *held = g_malloc(stream->config.max_packet_size);
      stream->stats.copies++;
    }
  }
  return *held;
}

/* Gives the copy of sequence back to the spares (at most window of them exist). */
static void
drop_held_buffer(ImsReceiveStream *stream, gint64 sequence)
{
  guint8 **held = &stream->held[(guint64) sequence & stream->mask];
  stream->spare[stream->spare_count++] = *held;
  *held = NULL;
}

static gint64
wait_us(const ImsReceiveStream *stream)
{
  return CLAMP(stream->rtt_us * 5 / 2, stream->config.min_wait_us, stream->config.max_wait_us);
}

static void
deliver_buffer(ImsReceiveStream *stream, const guint8 *data, gsize length, gint64 sequence,
               gint64 arrival_us)
{
  ImsRtpPacket packet;
  /* Checked at push: cannot fail. */
  if (ims_rtp_parse(data, length, &packet) < 0)
    return;
  stream->stats.delivered++;
  stream->deliver(&packet, (guint64) sequence, arrival_us, stream->user_data);
}

/* Hands on the head of the window while it is STORED, gives it up when it is MISSING and either
 * force or its wait is over at now_us.  Stops at the first missing slot still in its wait. */
static void
release(ImsReceiveStream *stream, gint64 now_us, gint64 force_until)
{
  if (stream->starting) {
    if (now_us < stream->start_until_us && force_until == 0)
      return;
    stream->starting = FALSE;
  }
  gint64 wait = wait_us(stream);
  while (stream->next <= stream->highest) {
    Slot *slot = slot_of(stream, stream->next);
    if (slot->state == SLOT_STORED) {
      slot->state = SLOT_RELEASED;
      stream->next++;
      deliver_buffer(stream, held_buffer(stream, slot->sequence), slot->length, slot->sequence,
                     slot->arrival_us);
      drop_held_buffer(stream, slot->sequence);
      continue;
    }
    if (slot->state == SLOT_MISSING &&
        (stream->next < force_until || now_us - slot->arrival_us >= wait)) {
      slot->state = SLOT_GIVEN_UP;
      stream->missing--;
      stream->stats.given_up++;
      stream->next++;
      continue;
    }
    break;
  }
}

static void
update_jitter(ImsReceiveStream *stream, guint32 timestamp, gint64 arrival_us)
{
  gint64 arrival_rtp = arrival_us * (gint64) stream->config.clock_rate / 1000000;
  gint64 transit = arrival_rtp - (gint64) timestamp;
  if (stream->have_transit) {
    gint64 d = (gint32) (guint32) (transit - stream->last_transit); /* RTP wrap */
    if (d < 0)
      d = -d;
    stream->jitter_q4 += ((d << 4) - stream->jitter_q4 + 8) >> 4;
  }
  stream->last_transit = transit;
  stream->have_transit = TRUE;
}

static void
start_epoch(ImsReceiveStream *stream, gint64 first)
{
  stream->base = first;
  stream->highest = first - 1;
  stream->next = first;
  stream->started = TRUE;
}

/* Hands on or gives up everything held (a restart), then starts an epoch at the restart's first
 * packet (sequence). */
static void
resync(ImsReceiveStream *stream, guint16 sequence, gint64 now_us)
{
  release(stream, now_us, stream->highest + 1);
  stream->expected_before += (guint64) (stream->highest - stream->base + 1);
  gint64 first = (stream->highest & ~(gint64) 0xffff) + sequence;
  if (first <= stream->highest)
    first += 65536;
  stream->stats.resyncs++;
  stream->have_transit = FALSE;
  start_epoch(stream, first);
}

/* Takes the packet numbered sequence (extended, >= next) that parsed as packet. */
static int
accept(ImsReceiveStream *stream, const guint8 *data, gsize length, const ImsRtpPacket *packet,
       gint64 sequence, gint64 arrival_us)
{
  if (length > stream->config.max_packet_size && (sequence != stream->next || stream->starting)) {
    /* Cannot wait in a slot: as if it never came (a later packet marks it missing). */
    stream->stats.invalid++;
    return -EMSGSIZE;
  }
  gboolean in_order = FALSE;
  if (sequence > stream->highest) {
    /* Make room: the window must hold next..sequence. */
    gint64 keep_from = sequence - stream->config.window + 1;
    if (stream->next < keep_from) {
      stream->starting = FALSE;
      release(stream, arrival_us, keep_from);
      if (stream->next < keep_from) { /* numbers never seen, beyond the old highest */
        stream->stats.given_up += (guint64) (keep_from - stream->next);
        stream->next = keep_from;
      }
    }
    for (gint64 s = MAX(stream->highest + 1, stream->next); s < sequence; s++) {
      Slot *gap = slot_of(stream, s);
      *gap = (Slot){ .sequence = s, .arrival_us = arrival_us, .state = SLOT_MISSING };
      stream->missing++;
    }
    Slot *slot = slot_of(stream, sequence);
    slot->sequence = sequence;
    slot->nacks = 0;
    slot->state = SLOT_EMPTY;
    stream->highest = sequence;
    in_order = TRUE;
  } else {
    Slot *slot = slot_of(stream, sequence);
    if (slot->sequence == sequence && slot->state == SLOT_STORED) {
      stream->stats.duplicates++;
      return -EEXIST;
    }
    if (slot->state == SLOT_MISSING) {
      stream->missing--;
      if (slot->nacks > 0) {
        stream->stats.recovered++;
        gint64 sample = arrival_us - slot->last_nack_us;
        if (slot->nacks == 1 && !stream->rtt_from_caller && sample >= MIN_RTT_SAMPLE_US &&
            sample <= MAX_RTT_SAMPLE_US) {
          stream->rtt_us = (7 * stream->rtt_us + sample) / 8;
          stream->stats.rtt_us = stream->rtt_us;
          stream->stats.rtt_samples++;
        }
      }
    }
  }
  stream->stats.received++;
  if (in_order)
    update_jitter(stream, packet->timestamp, arrival_us);

  Slot *slot = slot_of(stream, sequence);
  if (sequence == stream->next && !stream->starting) {
    /* Its turn: hand it on from the caller's buffer, then whatever was waiting behind it. */
    slot->state = SLOT_RELEASED;
    stream->next++;
    stream->stats.delivered++;
    stream->deliver(packet, (guint64) sequence, arrival_us, stream->user_data);
    release(stream, arrival_us, 0);
    return 0;
  }
  memcpy(held_buffer(stream, sequence), data, length);
  slot->length = (guint16) length;
  slot->arrival_us = arrival_us;
  slot->state = SLOT_STORED;
  release(stream, arrival_us, 0);
  return 0;
}

/* While starting: moves the start back to sequence (< next); what lies between is missing. */
static void
start_earlier(ImsReceiveStream *stream, gint64 sequence, gint64 arrival_us)
{
  for (gint64 s = sequence + 1; s < stream->next; s++) {
    *slot_of(stream, s) = (Slot){ .sequence = s, .arrival_us = arrival_us, .state = SLOT_MISSING };
    stream->missing++;
  }
  *slot_of(stream, sequence) = (Slot){ .sequence = sequence, .state = SLOT_EMPTY };
  stream->base = sequence;
  stream->next = sequence;
}

/* A packet behind next: a duplicate or late. */
static int
behind(ImsReceiveStream *stream, gint64 sequence)
{
  Slot *slot = sequence >= 0 ? slot_of(stream, sequence) : NULL;
  if (slot != NULL && slot->sequence == sequence) {
    if (slot->state == SLOT_RELEASED || slot->state == SLOT_LATE) {
      stream->stats.duplicates++;
      return -EEXIST;
    }
    if (slot->state == SLOT_GIVEN_UP) {
      slot->state = SLOT_LATE;
      stream->stats.received++; /* RFC 3550 A.3 counts it */
    }
  }
  stream->stats.late++;
  return -ETIME;
}

int
ims_receive_stream_push(ImsReceiveStream *stream, const guint8 *data, gsize length,
                        gint64 arrival_us)
{
  ImsRtpPacket packet;
  if (ims_rtp_parse(data, length, &packet) < 0 || (stream->started && packet.ssrc != stream->ssrc)) {
    stream->stats.invalid++;
    return -EINVAL;
  }
  if (!stream->started) {
    stream->ssrc = packet.ssrc;
    start_epoch(stream, 65536 + (gint64) packet.sequence);
    stream->starting = stream->config.start_delay_us > 0;
    stream->start_until_us = arrival_us + stream->config.start_delay_us;
    return accept(stream, data, length, &packet, stream->next, arrival_us);
  }
  guint16 delta = (guint16) (packet.sequence - (guint16) stream->highest);
  gint64 sequence;
  if (delta < MAX_DROPOUT) {
    sequence = stream->highest + delta;
  } else if (delta >= 65536 - stream->config.window) {
    sequence = stream->highest - (65536 - delta);
  } else {
    /* A jump: a restart if the next packet follows this one (RFC 3550 A.1). */
    if (stream->probation && packet.sequence == (guint16) (stream->probation_sequence + 1)) {
      stream->probation = FALSE;
      resync(stream, stream->probation_sequence, arrival_us);
      ImsRtpPacket held;
      if (ims_rtp_parse(stream->probation_buffer, stream->probation_length, &held) == 0)
        accept(stream, stream->probation_buffer, stream->probation_length, &held, stream->next,
               stream->probation_arrival_us);
      return accept(stream, data, length, &packet, stream->highest + 1, arrival_us);
    }
    if (length > stream->config.max_packet_size) {
      stream->stats.invalid++;
      return -EMSGSIZE;
    }
    stream->probation = TRUE;
    stream->probation_sequence = packet.sequence;
    stream->probation_arrival_us = arrival_us;
    stream->probation_length = (guint16) length;
    memcpy(stream->probation_buffer, data, length);
    return -EAGAIN;
  }
  stream->probation = FALSE;
  if (sequence < stream->next && stream->starting &&
      stream->highest - sequence < (gint64) stream->config.window)
    start_earlier(stream, sequence, arrival_us);
  if (sequence < stream->next) {
    gboolean follows = stream->behind_run > 0 &&
                       packet.sequence == (guint16) (stream->behind_last + 1);
    stream->behind_run = follows ? stream->behind_run + 1 : 1;
    stream->behind_last = packet.sequence;
    if (stream->behind_run < RESTART_RUN)
      return behind(stream, sequence);
    stream->behind_run = 0;
    resync(stream, packet.sequence, arrival_us);
    return accept(stream, data, length, &packet, stream->next, arrival_us);
  }
  stream->behind_run = 0;
  return accept(stream, data, length, &packet, sequence, arrival_us);
}

void
ims_receive_stream_poll(ImsReceiveStream *stream, gint64 now_us)
{
  if (stream->started)
    release(stream, now_us, 0);
}

gint64
ims_receive_stream_get_deadline(const ImsReceiveStream *stream)
{
  if (stream->started && stream->starting)
    return stream->start_until_us;
  if (!stream->started || stream->missing == 0 || stream->next > stream->highest)
    return G_MAXINT64;
  const Slot *slot = &stream->slots[(guint64) stream->next & stream->mask];
  if (slot->state != SLOT_MISSING)
    return G_MAXINT64;
  return slot->arrival_us + wait_us(stream);
}

guint
ims_receive_stream_collect_nacks(ImsReceiveStream *stream, gint64 now_us, guint16 *sequences,
                                 guint max)
{
  if (!stream->config.nack || stream->missing == 0 || max == 0)
    return 0;
  gint64 wait = wait_us(stream);
  guint count = 0, seen = 0;
  for (gint64 s = stream->next; s <= stream->highest && seen < stream->missing && count < max; s++) {
    Slot *slot = slot_of(stream, s);
    if (slot->state != SLOT_MISSING)
      continue;
    seen++;
    gint64 age = now_us - slot->arrival_us;
    if (age < stream->config.reorder_delay_us || age >= wait ||
        slot->nacks >= stream->config.max_nack_retries ||
        (slot->nacks > 0 && now_us - slot->last_nack_us < stream->rtt_us))
      continue;
    slot->nacks++;
    slot->last_nack_us = now_us;
    sequences[count++] = (guint16) s;
  }
  stream->stats.nacks += count;
  return count;
}

void
ims_receive_stream_set_rtt(ImsReceiveStream *stream, gint64 rtt_us)
{
  if (rtt_us <= 0)
    return;
  stream->rtt_us = rtt_us;
  stream->rtt_from_caller = TRUE;
  stream->stats.rtt_us = rtt_us;
  stream->stats.rtt_samples++;
}

void
ims_receive_stream_on_sender_report(ImsReceiveStream *stream, const ImsRtcpReport *report,
                                    gint64 arrival_us)
{
  if (!report->has_sender_info)
    return;
  stream->have_sender_report = TRUE;
  stream->sr_ntp_time = report->ntp_time;
  stream->sr_rtp_time = report->rtp_time;
  stream->sr_arrival_us = arrival_us;
}

gboolean
ims_receive_stream_get_sender_report(const ImsReceiveStream *stream, guint64 *ntp_time,
                                     guint32 *rtp_time, gint64 *arrival_us)
{
  if (!stream->have_sender_report)
    return FALSE;
  *ntp_time = stream->sr_ntp_time;
  *rtp_time = stream->sr_rtp_time;
  *arrival_us = stream->sr_arrival_us;
  return TRUE;
}

static guint64
expected_of(const ImsReceiveStream *stream)
{
  return stream->expected_before + (guint64) (stream->highest - stream->base + 1);
}

gboolean
ims_receive_stream_fill_report_block(ImsReceiveStream *stream, gint64 now_us,
                                     ImsRtcpReportBlock *block)
{
  if (!stream->started)
    return FALSE;
  guint64 expected = expected_of(stream);
  guint64 received = stream->stats.received;
  gint64 expected_interval = (gint64) (expected - stream->expected_prior);
  gint64 lost_interval = expected_interval - (gint64) (received - stream->received_prior);
  stream->expected_prior = expected;
  stream->received_prior = received;
  gint64 lost = (gint64) expected - (gint64) received;
  *block = (ImsRtcpReportBlock){
    .ssrc = stream->ssrc,
    .fraction_lost = (expected_interval == 0 || lost_interval <= 0)
                         ? 0
                         : (guint8) MIN(255, (lost_interval << 8) / expected_interval),
    .cumulative_lost = (gint32) CLAMP(lost, -0x800000, 0x7fffff),
    /* cycles counted from the first packet of the epoch (RFC 3550 A.1) */
    .extended_highest_sequence = (guint32) (stream->highest - (stream->base & ~(gint64) 0xffff)),
    .jitter = (guint32) (stream->jitter_q4 >> 4),
  };
  if (stream->have_sender_report) {
    block->last_sender_report = ims_rtcp_ntp_middle(stream->sr_ntp_time);
    gint64 delay = MAX(0, now_us - stream->sr_arrival_us);
    block->delay_since_last_sender_report = (guint32) (delay * 65536 / 1000000);
  }
  return TRUE;
}

void
ims_receive_stream_get_stats(const ImsReceiveStream *stream, ImsReceiveStreamStats *stats)
{
  *stats = stream->stats;
  if (stream->started) {
    stats->expected = expected_of(stream);
    stats->lost = (gint64) stats->expected - (gint64) stats->received;
  }
  stats->jitter = (guint32) (stream->jitter_q4 >> 4);
}

guint32
ims_receive_stream_get_ssrc(const ImsReceiveStream *stream)
{
  return stream->started ? stream->ssrc : 0;
}
