/* test-receive-stream.c: unit tests for pipelines/ingest/receive-stream.c with synthetic RTP packets
 * (12-byte header + a payload that names the packet): in-order hand-on without copy, reordering,
 * NACK timing (reorder delay, retries every RTT, at most N), the bounded wait and give-up, late and
 * duplicate packets, wrap-around, a gap longer than the window, sender restart (resync) and a stray
 * jump, RTT from NACK -> retransmission, RFC 3550 jitter and the RR report block, a 5 % loss +
 * reordering run whose output must be complete, ordered and counted, and real VP8 packets from
 * rtpvp8pay (appsink) that must come out byte for byte in order after reordering, NACK and loss.  Setup owns the stream and
 * the record of what was handed on. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <glib.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <math.h>
#include <string.h>

#include "receive-stream.h"

#define SSRC 0x1234abcd

typedef struct {
  ImsReceiveStream *stream;
  GArray *delivered;       /* guint64 extended sequence numbers, in order handed on */
  GArray *sequences;       /* guint16 from the packets themselves */
  const guint8 *last_data; /* where the last packet handed on lived */
} Fixture;

static void
on_deliver(const ImsRtpPacket *packet, guint64 extended_sequence, gint64 arrival_us,
           gpointer user_data)
{
  Fixture *f = user_data;
  g_array_append_val(f->delivered, extended_sequence);
  g_array_append_val(f->sequences, packet->sequence);
  assert_int_equal(packet->payload[0], (guint8) packet->sequence); /* the packet's own payload */
  f->last_data = packet->data;
}

static Fixture *
fixture_new(const ImsReceiveStreamConfig *config)
{
  Fixture *f = g_new0(Fixture, 1);
  f->delivered = g_array_new(FALSE, FALSE, sizeof(guint64));
  f->sequences = g_array_new(FALSE, FALSE, sizeof(guint16));
  ImsReceiveStreamConfig defaults;
  ims_receive_stream_config_init(&defaults, 90000);
  defaults.start_delay_us = 0; /* the steady state; test_start_reordering has the start hold */
  f->stream = ims_receive_stream_new(config ? config : &defaults, on_deliver, f);
  assert_non_null(f->stream);
  return f;
}

static int
setup(void **state)
{
  *state = fixture_new(NULL);
  return 0;
}

static int
teardown(void **state)
{
  Fixture *f = *state;
  ims_receive_stream_free(f->stream);
  g_array_unref(f->delivered);
  g_array_unref(f->sequences);
  g_free(f);
  return 0;
}

static gsize
make_packet(guint8 *buffer, guint16 sequence, guint32 timestamp, guint32 ssrc)
{
  memset(buffer, 0, 40);
  buffer[0] = 0x80;
  buffer[1] = 96;
  buffer[2] = (guint8) (sequence >> 8);
  buffer[3] = (guint8) sequence;
  buffer[4] = (guint8) (timestamp >> 24);
  buffer[5] = (guint8) (timestamp >> 16);
  buffer[6] = (guint8) (timestamp >> 8);
  buffer[7] = (guint8) timestamp;
  buffer[8] = (guint8) (ssrc >> 24);
  buffer[9] = (guint8) (ssrc >> 16);
  buffer[10] = (guint8) (ssrc >> 8);
  buffer[11] = (guint8) ssrc;
  buffer[12] = (guint8) sequence;
  return 40;
}

static int
push(Fixture *f, guint16 sequence, gint64 arrival_us)
{
  guint8 buffer[40];
  gsize length = make_packet(buffer, sequence, sequence * 3000u, SSRC);
  return ims_receive_stream_push(f->stream, buffer, length, arrival_us);
}

static void
assert_delivered(Fixture *f, const guint16 *expected, guint count)
{
  if (f->sequences->len != count)
    fail_msg("%u packets handed on, expected %u", f->sequences->len, count);
  for (guint i = 0; i < count; i++)
    if (g_array_index(f->sequences, guint16, i) != expected[i])
      fail_msg("packet %u is %u, expected %u", i, g_array_index(f->sequences, guint16, i),
               expected[i]);
}

/* Copies follow the packets held at once: none in order, one per packet behind a gap, reused for the
 * next gap (they used to be the whole window, allocated at creation). */
static void
test_copies_follow_what_is_held(void **state)
{
  Fixture *f = *state;
  ImsReceiveStreamStats stats;
  guint16 s = 100;
  for (; s < 2100; s++)
    assert_int_equal(push(f, s, s * 1000), 0);
  ims_receive_stream_get_stats(f->stream, &stats);
  assert_int_equal(stats.copies, 0);
  for (int round = 0; round < 50; round++) {
    guint16 missing = s++;
    for (int i = 0; i < 20; i++, s++) /* 20 behind the missing one wait */
      assert_int_equal(push(f, s, s * 1000), 0);
    assert_int_equal(push(f, missing, s * 1000), 0); /* it arrives: all 21 handed on */
    for (int i = 0; i < 30; i++, s++)
      assert_int_equal(push(f, s, s * 1000), 0);
  }
  ims_receive_stream_get_stats(f->stream, &stats);
  assert_int_equal(stats.delivered, 2000 + 50 * 51);
  assert_int_equal(stats.given_up, 0);
  assert_int_equal(stats.copies, 20);
}

static void
test_in_order_without_copy(void **state)
{
  Fixture *f = *state;
  guint8 buffer[40];
  gsize length = make_packet(buffer, 10, 0, SSRC);
  assert_int_equal(ims_receive_stream_push(f->stream, buffer, length, 0), 0);
  assert_ptr_equal(f->last_data, buffer); /* handed on from the caller's buffer */
  for (guint16 s = 11; s < 20; s++)
    assert_int_equal(push(f, s, s * 1000), 0);
  const guint16 expected[] = { 10, 11, 12, 13, 14, 15, 16, 17, 18, 19 };
  assert_delivered(f, expected, 10);
  assert_int_equal(g_array_index(f->delivered, guint64, 9), 65536 + 19);
  ImsReceiveStreamStats stats;
  ims_receive_stream_get_stats(f->stream, &stats);
  assert_int_equal(stats.expected, 10);
  assert_int_equal(stats.received, 10);
  assert_int_equal(stats.lost, 0);
  assert_int_equal(stats.delivered, 10);
  assert_int_equal(ims_receive_stream_get_ssrc(f->stream), SSRC);
  assert_true(ims_receive_stream_get_deadline(f->stream) == G_MAXINT64);
  /* another SSRC, not RTP */
  length = make_packet(buffer, 20, 0, SSRC + 1);
  assert_int_equal(ims_receive_stream_push(f->stream, buffer, length, 30000), -EINVAL);
  assert_int_equal(ims_receive_stream_push(f->stream, buffer, 5, 30000), -EINVAL);
}

static void
test_reorder_without_nack(void **state)
{
  Fixture *f = *state;
  guint16 nacks[8];
  assert_int_equal(push(f, 1, 0), 0);
  assert_int_equal(push(f, 3, 1000), 0);
  assert_int_equal(push(f, 4, 2000), 0);
  const guint16 first[] = { 1 };
  assert_delivered(f, first, 1);
  assert_int_equal(ims_receive_stream_collect_nacks(f->stream, 9000, nacks, 8), 0); /* < 10 ms */
  assert_int_equal(push(f, 2, 9500), 0);
  const guint16 all[] = { 1, 2, 3, 4 };
  assert_delivered(f, all, 4);
  ImsReceiveStreamStats stats;
  ims_receive_stream_get_stats(f->stream, &stats);
  assert_int_equal(stats.recovered, 0);
  assert_int_equal(stats.nacks, 0);
  assert_int_equal(stats.lost, 0);
}

static void
test_nack_retries_and_recovery(void **state)
{
  Fixture *f = *state;
  guint16 nacks[8];
  push(f, 1, 0);
  push(f, 2, 1000);
  push(f, 5, 2000); /* 3 and 4 missing, seen at 2 ms */
  push(f, 6, 3000);
  assert_int_equal(ims_receive_stream_collect_nacks(f->stream, 11000, nacks, 8), 0);
  assert_int_equal(ims_receive_stream_collect_nacks(f->stream, 12000, nacks, 8), 2);
  assert_int_equal(nacks[0], 3);
  assert_int_equal(nacks[1], 4);
  /* not again before an RTT (100 ms until measured) */
  assert_int_equal(ims_receive_stream_collect_nacks(f->stream, 50000, nacks, 8), 0);
  assert_int_equal(ims_receive_stream_collect_nacks(f->stream, 112000, nacks, 1), 1);
  assert_int_equal(nacks[0], 3);
  assert_int_equal(ims_receive_stream_collect_nacks(f->stream, 112000, nacks, 8), 1);
  assert_int_equal(nacks[0], 4);
  /* 3 was NACKed twice: recovered, but no RTT sample (Karn) */
  push(f, 3, 150000);
  push(f, 4, 151000);
  const guint16 all[] = { 1, 2, 3, 4, 5, 6 };
  assert_delivered(f, all, 6);
  ImsReceiveStreamStats stats;
  ims_receive_stream_get_stats(f->stream, &stats);
  assert_int_equal(stats.recovered, 2);
  assert_int_equal(stats.nacks, 4);
  assert_int_equal(stats.rtt_us, 100000);
  assert_int_equal(stats.rtt_samples, 0); /* the seed, not a measurement */
  assert_int_equal(stats.given_up, 0);
}

static void
test_rtt_from_retransmission(void **state)
{
  Fixture *f = *state;
  guint16 nacks[8];
  push(f, 1, 0);
  push(f, 3, 1000);
  assert_int_equal(ims_receive_stream_collect_nacks(f->stream, 20000, nacks, 8), 1);
  push(f, 2, 60000); /* 40 ms after its only NACK */
  ImsReceiveStreamStats stats;
  ims_receive_stream_get_stats(f->stream, &stats);
  assert_int_equal(stats.rtt_us, (7 * 100000 + 40000) / 8);
  assert_int_equal(stats.rtt_samples, 1);
  /* the caller's RTT wins over samples */
  ims_receive_stream_set_rtt(f->stream, 300000);
  push(f, 5, 61000);
  assert_int_equal(ims_receive_stream_collect_nacks(f->stream, 80000, nacks, 8), 1);
  push(f, 4, 90000);
  ims_receive_stream_get_stats(f->stream, &stats);
  assert_int_equal(stats.rtt_us, 300000);
  /* wait = 2.5 x 300 ms: a gap seen at 100 ms is given up at 850 ms, not before */
  push(f, 7, 100000);
  ims_receive_stream_poll(f->stream, 849999);
  assert_int_equal(f->sequences->len, 5);
  assert_true(ims_receive_stream_get_deadline(f->stream) == 850000);
  ims_receive_stream_poll(f->stream, 850000);
  assert_int_equal(f->sequences->len, 6);
}

static void
test_give_up_late_duplicate(void **state)
{
  Fixture *f = *state;
  guint16 nacks[8];
  push(f, 1, 0);
  push(f, 2, 0);
  push(f, 4, 10000); /* 3 seen missing at 10 ms; wait = max(2.5 x 100 ms, 100 ms) = 250 ms */
  push(f, 5, 11000);
  assert_int_equal(push(f, 5, 12000), -EEXIST); /* duplicate of a held packet */
  assert_int_equal(push(f, 2, 12000), -EEXIST); /* duplicate of one handed on */
  assert_true(ims_receive_stream_get_deadline(f->stream) == 260000);
  ims_receive_stream_poll(f->stream, 259999);
  const guint16 before[] = { 1, 2 };
  assert_delivered(f, before, 2);
  /* NACKed at most max_nack_retries (10) times, every RTT, never after the wait */
  guint total = 0;
  for (gint64 t = 20000; t < 400000; t += 1000)
    total += ims_receive_stream_collect_nacks(f->stream, t, nacks, 8);
  assert_int_equal(total, 3); /* at 20, 120, 220 ms: the next would be at 320 > 260 */
  ims_receive_stream_poll(f->stream, 260000);
  const guint16 after[] = { 1, 2, 4, 5 };
  assert_delivered(f, after, 4);
  assert_int_equal(push(f, 3, 300000), -ETIME);
  assert_int_equal(push(f, 3, 301000), -EEXIST);
  ImsReceiveStreamStats stats;
  ims_receive_stream_get_stats(f->stream, &stats);
  assert_int_equal(stats.given_up, 1);
  assert_int_equal(stats.late, 1);
  assert_int_equal(stats.duplicates, 3);
  assert_int_equal(stats.expected, 5);
  assert_int_equal(stats.received, 5); /* RFC 3550 A.3 counts the late one */
  assert_int_equal(stats.lost, 0);
  assert_int_equal(stats.recovered, 0);
  /* push gives up too: an arrival past a gap's deadline releases what waited behind it */
  push(f, 7, 400000); /* 6 missing since 400 ms */
  assert_delivered(f, after, 4);
  push(f, 8, 650000); /* its wait is over at 650 ms */
  const guint16 last[] = { 1, 2, 4, 5, 7, 8 };
  assert_delivered(f, last, 6);
}

static void
test_wraparound(void **state)
{
  Fixture *f = *state;
  push(f, 65533, 0);
  push(f, 65535, 1000);
  push(f, 0, 2000);
  push(f, 65534, 3000);
  push(f, 1, 4000);
  const guint16 expected[] = { 65533, 65534, 65535, 0, 1 };
  assert_delivered(f, expected, 5);
  assert_int_equal(g_array_index(f->delivered, guint64, 0), 65536 + 65533);
  assert_int_equal(g_array_index(f->delivered, guint64, 3), 2 * 65536);
  assert_int_equal(g_array_index(f->delivered, guint64, 4), 2 * 65536 + 1);
  ImsRtcpReportBlock block;
  assert_true(ims_receive_stream_fill_report_block(f->stream, 5000, &block));
  assert_int_equal(block.extended_highest_sequence, 65537);
  assert_int_equal(block.cumulative_lost, 0);
  /* a packet from before the first one is late, not a new cycle */
  assert_int_equal(push(f, 65530, 6000), -ETIME);
}

static void
test_gap_longer_than_window(void **state)
{
  Fixture *f = *state;
  push(f, 1, 0);
  push(f, 601, 1000); /* window 512: 2..89 cannot wait, 90..600 can */
  ImsReceiveStreamStats stats;
  ims_receive_stream_get_stats(f->stream, &stats);
  assert_int_equal(stats.given_up, 88);
  assert_int_equal(f->sequences->len, 1);
  push(f, 90, 2000);
  assert_int_equal(f->sequences->len, 2);
  assert_int_equal(g_array_index(f->sequences, guint16, 1), 90);
  ims_receive_stream_poll(f->stream, 1000 + 250000);
  assert_int_equal(f->sequences->len, 3);
  assert_int_equal(g_array_index(f->sequences, guint16, 2), 601);
  ims_receive_stream_get_stats(f->stream, &stats);
  assert_int_equal(stats.given_up, 88 + 510);
  assert_int_equal(stats.expected, 601);
  assert_int_equal(stats.lost, 601 - 3);
}

static void
test_restart_resyncs(void **state)
{
  Fixture *f = *state;
  for (guint16 s = 100; s <= 110; s++)
    push(f, s, s * 1000);
  /* a stray packet far away is held, then dropped when the stream goes on */
  assert_int_equal(push(f, 30000, 200000), -EAGAIN);
  assert_int_equal(push(f, 111, 201000), 0);
  /* a restart: two consecutive packets after the jump */
  assert_int_equal(push(f, 40000, 300000), -EAGAIN);
  assert_int_equal(push(f, 40001, 301000), 0);
  push(f, 40002, 302000);
  assert_int_equal(f->sequences->len, 15);
  assert_int_equal(g_array_index(f->sequences, guint16, 11), 111);
  assert_int_equal(g_array_index(f->sequences, guint16, 12), 40000);
  assert_int_equal(g_array_index(f->sequences, guint16, 14), 40002);
  guint64 before = g_array_index(f->delivered, guint64, 11);
  guint64 after = g_array_index(f->delivered, guint64, 12);
  assert_true(after > before);
  assert_int_equal(after & 0xffff, 40000);
  ImsReceiveStreamStats stats;
  ims_receive_stream_get_stats(f->stream, &stats);
  assert_int_equal(stats.resyncs, 1);
  assert_int_equal(stats.expected, 12 + 3);
  assert_int_equal(stats.lost, 0);
  assert_int_equal(stats.given_up, 0);
}

/* A sender restart that lands 50 numbers back (inside the window): no jump to see, every packet is
 * behind; after 32 in a row the stream resyncs and the rest flows. */
static void
test_restart_just_behind(void **state)
{
  Fixture *f = *state;
  for (guint16 s = 100; s <= 200; s++)
    push(f, s, s * 1000);
  /* interleaved duplicates of old packets never look like a restart */
  for (guint16 s = 0; s < 40; s++) {
    assert_int_equal(push(f, (guint16) (160 + s), 201000 + s * 1000), -EEXIST);
    push(f, (guint16) (201 + s), 201000 + s * 1000 + 500);
  }
  ImsReceiveStreamStats stats;
  ims_receive_stream_get_stats(f->stream, &stats);
  assert_int_equal(stats.resyncs, 0);
  guint before = f->sequences->len;
  assert_int_equal(before, 141);
  for (guint16 s = 0; s < 31; s++)
    assert_int_equal(push(f, (guint16) (190 + s), 300000 + s * 1000), -EEXIST);
  assert_int_equal(push(f, 221, 331000), 0);
  for (guint16 s = 222; s < 260; s++)
    assert_int_equal(push(f, s, 332000 + s * 1000), 0);
  ims_receive_stream_get_stats(f->stream, &stats);
  assert_int_equal(stats.resyncs, 1);
  assert_int_equal(f->sequences->len, before + 1 + 38);
  assert_int_equal(g_array_index(f->sequences, guint16, before), 221);
  assert_true(g_array_index(f->delivered, guint64, before) >
              g_array_index(f->delivered, guint64, before - 1));
}

static void
test_report_block_and_jitter(void **state)
{
  Fixture *f = *state;
  /* 90 kHz, a packet every 10 ms (900 ticks); arrivals 0 or +2 ms late alternately */
  double jitter = 0;
  double previous_transit = 0;
  for (guint16 s = 0; s < 20; s++) {
    if (s == 7)
      continue; /* lost */
    gint64 arrival = s * 10000 + (s % 2 ? 2000 : 0);
    guint8 buffer[40];
    gsize length = make_packet(buffer, s, s * 900u, SSRC);
    ims_receive_stream_push(f->stream, buffer, length, arrival);
    double transit = (double) (arrival * 90000 / 1000000) - s * 900.0;
    if (s > 0)
      jitter += (fabs(transit - previous_transit) - jitter) / 16;
    previous_transit = transit;
  }
  ImsRtcpReport sr = { .has_sender_info = TRUE,
                       .ntp_time = G_GUINT64_CONSTANT(0x0000aaaabbbb0000),
                       .rtp_time = 1 };
  ims_receive_stream_on_sender_report(f->stream, &sr, 100000);
  ImsRtcpReportBlock block;
  assert_true(ims_receive_stream_fill_report_block(f->stream, 600000, &block));
  assert_int_equal(block.ssrc, SSRC);
  assert_int_equal(block.fraction_lost, 256 / 20);
  assert_int_equal(block.cumulative_lost, 1);
  assert_int_equal(block.extended_highest_sequence, 19);
  if (fabs(block.jitter - jitter) > 1.0)
    fail_msg("jitter %u, RFC 3550 A.8 gives %.2f", block.jitter, jitter);
  assert_true(block.jitter > 50);
  assert_int_equal(block.last_sender_report, 0xaaaabbbb);
  assert_int_equal(block.delay_since_last_sender_report, 32768);
  /* the next interval lost nothing */
  push(f, 20, 700000);
  assert_true(ims_receive_stream_fill_report_block(f->stream, 700000, &block));
  assert_int_equal(block.fraction_lost, 0);
  assert_int_equal(block.cumulative_lost, 1);
  guint64 ntp;
  guint32 rtp;
  gint64 arrival;
  assert_true(ims_receive_stream_get_sender_report(f->stream, &ntp, &rtp, &arrival));
  assert_int_equal(arrival, 100000);
}

/* 100 000 packets, 5 % lost of which 80 % come back after a NACK, 3 % swapped with the next. */
static void
test_loss_and_reordering_run(void **state)
{
  Fixture *f = *state;
  GRand *rand = g_rand_new_with_seed(9);
  enum { PACKETS = 100000 };
  typedef struct {
    guint16 sequence;
    gint64 at;
  } Pending;
  GArray *retransmissions = g_array_new(FALSE, FALSE, sizeof(Pending));
  guint lost_forever = 0;
  guint16 nacks[64];
  gint64 now = 0;
  guint16 held = 0;
  gboolean holding = FALSE;
  guint nacked_and_pending = 0;
  GHashTable *dropped = g_hash_table_new(NULL, NULL);
  for (guint i = 0; i < PACKETS; i++, now += 1000) {
    guint16 s = (guint16) (i + 60000);
    for (guint r = 0; r < retransmissions->len;) {
      Pending *p = &g_array_index(retransmissions, Pending, r);
      if (p->at <= now) {
        push(f, p->sequence, now);
        g_array_remove_index_fast(retransmissions, r);
      } else {
        r++;
      }
    }
    if (g_rand_double(rand) < 0.05) {
      g_hash_table_add(dropped, GUINT_TO_POINTER((guint) s));
      continue;
    }
    if (!holding && g_rand_double(rand) < 0.03) {
      held = s;
      holding = TRUE;
      continue;
    }
    push(f, s, now);
    if (holding) {
      push(f, held, now);
      holding = FALSE;
    }
    if (i % 10 == 0) {
      ims_receive_stream_poll(f->stream, now);
      guint n = ims_receive_stream_collect_nacks(f->stream, now, nacks, G_N_ELEMENTS(nacks));
      for (guint k = 0; k < n; k++) {
        if (!g_hash_table_remove(dropped, GUINT_TO_POINTER((guint) nacks[k])))
          continue; /* already on its way, or a reordered one */
        if (g_rand_double(rand) < 0.8) {
          Pending p = { nacks[k], now + 30000 };
          g_array_append_val(retransmissions, p);
          nacked_and_pending++;
        } else {
          lost_forever++;
        }
      }
    }
  }
  ims_receive_stream_poll(f->stream, now + 2000000);
  ImsReceiveStreamStats stats;
  ims_receive_stream_get_stats(f->stream, &stats);
  /* ordered, each once */
  for (guint i = 1; i < f->delivered->len; i++)
    assert_true(g_array_index(f->delivered, guint64, i) >
                g_array_index(f->delivered, guint64, i - 1));
  assert_int_equal(stats.expected, PACKETS);
  assert_int_equal(stats.delivered, f->delivered->len);
  assert_int_equal(stats.delivered + stats.given_up, stats.expected);
  assert_int_equal(stats.lost, (gint64) stats.expected - (gint64) stats.received);
  /* every packet the sender retransmitted in time was recovered */
  assert_true(stats.recovered >= nacked_and_pending * 99 / 100);
  assert_true(stats.given_up <= lost_forever + g_hash_table_size(dropped) + 2);
  double delivered = 100.0 * stats.delivered / stats.expected;
  print_message("delivered %.2f %%, recovered %" G_GUINT64_FORMAT ", given up %" G_GUINT64_FORMAT
                ", late %" G_GUINT64_FORMAT ", nacks %" G_GUINT64_FORMAT "\n",
                delivered, stats.recovered, stats.given_up, stats.late, stats.nacks);
  assert_true(delivered > 98.5);
  g_hash_table_unref(dropped);
  g_array_unref(retransmissions);
  g_rand_free(rand);
}

/* Real packets: rtpvp8pay's output, reordered in pairs, every 13th lost and retransmitted after its
 * NACK, every 97th lost for good; what comes out must be the payloader's packets, byte for byte,
 * in order, minus the ones lost for good. */
typedef struct {
  GPtrArray *packets; /* GBytes, as handed on */
} RealOutput;

static void
on_deliver_copy(const ImsRtpPacket *packet, guint64 extended_sequence, gint64 arrival_us,
                gpointer user_data)
{
  RealOutput *out = user_data;
  g_ptr_array_add(out->packets, g_bytes_new(packet->data, packet->length));
}

static void
test_vp8_payloader_packets(void **state)
{
  g_autoptr(GError) error = NULL;
  GstElement *pipeline = gst_parse_launch(
      "videotestsrc num-buffers=30 pattern=snow ! video/x-raw,width=320,height=240 ! "
      "vp8enc deadline=1 target-bitrate=2000000 ! rtpvp8pay mtu=400 seqnum-offset=65000 ! "
      "appsink name=sink sync=false",
      &error);
  if (pipeline == NULL)
    fail_msg("%s", error->message);
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  g_autoptr(GPtrArray) sent = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
  GstSample *sample;
  while ((sample = gst_app_sink_pull_sample(GST_APP_SINK(sink))) != NULL) {
    GstMapInfo map;
    GstBuffer *buffer = gst_sample_get_buffer(sample);
    assert_true(gst_buffer_map(buffer, &map, GST_MAP_READ));
    g_ptr_array_add(sent, g_bytes_new(map.data, map.size));
    gst_buffer_unmap(buffer, &map);
    gst_sample_unref(sample);
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(sink);
  gst_object_unref(pipeline);
  assert_true(sent->len > 600); /* enough to wrap from 65000 */

  RealOutput out = { g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref) };
  ImsReceiveStreamConfig config;
  ims_receive_stream_config_init(&config, 90000);
  g_autoptr(ImsReceiveStream) stream = ims_receive_stream_new(&config, on_deliver_copy, &out);
  GArray *pending = g_array_new(FALSE, FALSE, sizeof(guint)); /* NACKed, to come back */
  guint answered_twice = 0;
  gint64 now = 0;
  guint16 nacks[64];
  for (guint i = 0; i < sent->len; i++, now += 2000) {
    guint n = (i % 2 == 0 && i + 1 < sent->len) ? i + 1
                                                : (i % 2 == 1 ? i - 1 : i); /* pairs swapped */
    if ((n % 97 == 50 || n % 13 == 5) && n + 2 < sent->len) /* the last two always arrive */
      continue;
    gsize length;
    const guint8 *data = g_bytes_get_data(sent->pdata[n], &length);
    int rc = ims_receive_stream_push(stream, data, length, now);
    if (rc != 0)
      fail_msg("packet %u (arrival %u): %d", n, i, rc);
    guint count = ims_receive_stream_collect_nacks(stream, now, nacks, G_N_ELEMENTS(nacks));
    for (guint k = 0; k < count; k++) {
      guint index = (guint16) (nacks[k] - 65000); /* the payloader started at 65000 */
      if (index % 97 != 50)
        g_array_append_val(pending, index);
    }
    if (i % 4 == 3) { /* retransmissions arrive a few ms after the NACK */
      for (guint k = 0; k < pending->len; k++) {
        guint index = g_array_index(pending, guint, k);
        data = g_bytes_get_data(sent->pdata[index], &length);
        if (ims_receive_stream_push(stream, data, length, now) == -EEXIST)
          answered_twice++; /* NACKed again before the first answer came */
      }
      g_array_set_size(pending, 0);
    }
    ims_receive_stream_poll(stream, now);
  }
  /* the NACKs of the tail, answered */
  guint count = ims_receive_stream_collect_nacks(stream, now + 20000, nacks, G_N_ELEMENTS(nacks));
  for (guint k = 0; k < count; k++) {
    guint index = (guint16) (nacks[k] - 65000);
    if (index % 97 != 50)
      g_array_append_val(pending, index);
  }
  for (guint k = 0; k < pending->len; k++) {
    gsize length;
    const guint8 *data = g_bytes_get_data(sent->pdata[g_array_index(pending, guint, k)], &length);
    if (ims_receive_stream_push(stream, data, length, now + 25000) == -EEXIST)
      answered_twice++;
  }
  ims_receive_stream_poll(stream, now + 2000000);
  guint expected_out = 0;
  for (guint n = 0; n < sent->len; n++) {
    if (n % 97 == 50 && n + 2 < sent->len)
      continue;
    if (expected_out >= out.packets->len)
      fail_msg("only %u packets handed on; packet %u missing", out.packets->len, n);
    if (!g_bytes_equal(out.packets->pdata[expected_out], sent->pdata[n])) {
      ImsReceiveStreamStats s;
      ims_receive_stream_get_stats(stream, &s);
      fail_msg(
          "packet %u handed on is not the payloader's packet %u (of %u; resyncs %" G_GUINT64_FORMAT
          ", given up %" G_GUINT64_FORMAT ", late %" G_GUINT64_FORMAT ")",
          expected_out, n, sent->len, s.resyncs, s.given_up, s.late);
    }
    expected_out++;
  }
  assert_int_equal(out.packets->len, expected_out);
  ImsReceiveStreamStats stats;
  ims_receive_stream_get_stats(stream, &stats);
  assert_int_equal(stats.expected, sent->len);
  assert_int_equal(stats.given_up, sent->len - expected_out);
  assert_true(stats.recovered > sent->len / 13 - 2);
  assert_int_equal(stats.duplicates, answered_twice);
  assert_int_equal(stats.late, 0);
  g_array_unref(pending);
  g_ptr_array_unref(out.packets);
}

static void
test_start_reordering(void **state)
{
  ImsReceiveStreamConfig config;
  ims_receive_stream_config_init(&config, 90000); /* start_delay 10 ms */
  Fixture *f = fixture_new(&config);
  assert_int_equal(push(f, 1, 0), 0);
  assert_int_equal(push(f, 0, 1000), 0);     /* before the first: kept */
  assert_int_equal(push(f, 65534, 2000), 0); /* and across the wrap; 65535 now missing */
  assert_int_equal(f->sequences->len, 0);    /* held during the start delay */
  assert_true(ims_receive_stream_get_deadline(f->stream) == 10000);
  ims_receive_stream_poll(f->stream, 9999);
  assert_int_equal(f->sequences->len, 0);
  ims_receive_stream_poll(f->stream, 10000);
  const guint16 first[] = { 65534 };
  assert_delivered(f, first, 1);
  guint16 nacks[4];
  assert_int_equal(ims_receive_stream_collect_nacks(f->stream, 12000, nacks, 4), 1);
  assert_int_equal(nacks[0], 65535);
  assert_int_equal(push(f, 65535, 15000), 0);
  const guint16 all[] = { 65534, 65535, 0, 1 };
  assert_delivered(f, all, 4);
  assert_true(g_array_index(f->delivered, guint64, 0) > 0);
  /* once the start is over, an earlier one is late */
  assert_int_equal(push(f, 65533, 16000), -ETIME);
  ImsReceiveStreamStats stats;
  ims_receive_stream_get_stats(f->stream, &stats);
  assert_int_equal(stats.expected, 4);
  assert_int_equal(stats.recovered, 1);
  assert_int_equal(stats.lost, 0);
  ImsRtcpReportBlock block;
  assert_true(ims_receive_stream_fill_report_block(f->stream, 20000, &block));
  assert_int_equal(block.extended_highest_sequence, 65536 + 1);
  void *saved = f;
  teardown(&saved);
}

static void
test_config(void **state)
{
  ImsReceiveStreamConfig config;
  ims_receive_stream_config_init(&config, 48000);
  config.window = 500;
  assert_null(ims_receive_stream_new(&config, on_deliver, NULL));
  config.window = 64;
  config.min_wait_us = 2000000;
  assert_null(ims_receive_stream_new(&config, on_deliver, NULL));
  config.min_wait_us = 50000;
  config.nack = FALSE;
  Fixture *f = fixture_new(&config);
  guint16 nacks[4];
  push(f, 1, 0);
  push(f, 3, 0);
  assert_int_equal(ims_receive_stream_collect_nacks(f->stream, 40000, nacks, 4), 0);
  /* no NACK: a gap waits min_wait = 50 ms... 2.5 x initial RTT = 250 ms, within 50 ms..1 s */
  ims_receive_stream_poll(f->stream, 249999);
  assert_int_equal(f->sequences->len, 1);
  ims_receive_stream_poll(f->stream, 250000);
  assert_int_equal(f->sequences->len, 2);
  /* a packet larger than a slot goes on only when it is next */
  guint8 big[1600];
  make_packet(big, 4, 0, SSRC);
  assert_int_equal(ims_receive_stream_push(f->stream, big, sizeof(big), 260000), 0);
  make_packet(big, 6, 0, SSRC);
  assert_int_equal(ims_receive_stream_push(f->stream, big, sizeof(big), 260000), -EMSGSIZE);
  void *saved = f;
  teardown(&saved);
}

int
main(void)
{
  gst_init(NULL, NULL);
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_in_order_without_copy, setup, teardown),
    cmocka_unit_test_setup_teardown(test_reorder_without_nack, setup, teardown),
    cmocka_unit_test_setup_teardown(test_nack_retries_and_recovery, setup, teardown),
    cmocka_unit_test_setup_teardown(test_rtt_from_retransmission, setup, teardown),
    cmocka_unit_test_setup_teardown(test_give_up_late_duplicate, setup, teardown),
    cmocka_unit_test_setup_teardown(test_wraparound, setup, teardown),
    cmocka_unit_test_setup_teardown(test_gap_longer_than_window, setup, teardown),
    cmocka_unit_test_setup_teardown(test_copies_follow_what_is_held, setup, teardown),
    cmocka_unit_test_setup_teardown(test_restart_resyncs, setup, teardown),
    cmocka_unit_test_setup_teardown(test_restart_just_behind, setup, teardown),
    cmocka_unit_test_setup_teardown(test_report_block_and_jitter, setup, teardown),
    cmocka_unit_test_setup_teardown(test_loss_and_reordering_run, setup, teardown),
    cmocka_unit_test(test_start_reordering),
    cmocka_unit_test(test_vp8_payloader_packets),
    cmocka_unit_test(test_config),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
