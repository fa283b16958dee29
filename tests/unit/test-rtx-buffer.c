/* test-rtx-buffer.c: unit tests for the forwarding path's pure parts:
 * pipelines/ingest/rtx-buffer.c (the sender's retransmission ring: NACKs of
 * packets in and out of it, by number and by age) and
 * pipelines/ingest/forward-rewrite.c (SSRC / payload type rewrite, sequence
 * continuity from the first forwarded packet, wrap at 65535, late packets,
 * header extensions rewritten to the subscriber's ids or dropped).  The
 * rewritten packets are read back with rtp.c's parser.  Stateless: each test
 * builds its packets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <glib.h>
#include <string.h>

#include "forward-rewrite.h"
#include "rtp.h"
#include "rtx-buffer.h"

/* A publisher packet: PT 96, SSRC 0x11223344, timestamp 0xa0b0c0d0, with the
 * one-byte extension elements given as (id, length, value byte) triples
 * (n of them), a payload of payload_length bytes (i & 0xff), marker set. */
static gsize
build_packet(guint8 *out, guint16 sequence, const guint8 (*elements)[3], guint n,
             gsize payload_length, gboolean padding)
{
  guint8 *p = out;
  *p++ = (guint8) (0x80 | (n ? 0x10 : 0) | (padding ? 0x20 : 0));
  *p++ = 0x80 | 96;
  *p++ = sequence >> 8, *p++ = sequence & 0xff;
  *p++ = 0xa0, *p++ = 0xb0, *p++ = 0xc0, *p++ = 0xd0;
  *p++ = 0x11, *p++ = 0x22, *p++ = 0x33, *p++ = 0x44;
  if (n) {
    guint8 *header = p;
    p += 4;
    for (guint i = 0; i < n; i++) {
      *p++ = (guint8) (elements[i][0] << 4 | (elements[i][1] - 1));
      for (guint j = 0; j < elements[i][1]; j++)
        *p++ = elements[i][2];
    }
    while ((p - header - 4) % 4)
      *p++ = 0;
    header[0] = 0xbe, header[1] = 0xde;
    header[2] = 0, header[3] = (guint8) ((p - header - 4) / 4);
  }
  for (gsize i = 0; i < payload_length; i++)
    *p++ = (guint8) i;
  if (padding)
    *p++ = 0, *p++ = 0, *p++ = 0, *p++ = 4;
  return (gsize) (p - out);
}

static ImsRtpPacket
parse(const guint8 *data, gsize length)
{
  ImsRtpPacket packet;
  assert_int_equal(ims_rtp_parse(data, length, &packet), 0);
  return packet;
}

/* rewrites sequence (no extensions, 10 payload bytes) and returns the number it got, or the error */
static int
rewrite_sequence(ImsForwardRewrite *rewrite, guint16 sequence)
{
  guint8 in[64], out[128];
  gsize length = build_packet(in, sequence, NULL, 0, 10, FALSE);
  ImsRtpPacket packet = parse(in, length);
  guint16 out_sequence = 0;
  int result = ims_forward_rewrite_packet(rewrite, &packet, out, sizeof out, &out_sequence);
  if (result < 0)
    return result;
  ImsRtpPacket written = parse(out, (gsize) result);
  assert_int_equal(written.sequence, out_sequence);
  return out_sequence;
}

static void
test_rewrite_ssrc_payload_type(void **state)
{
  ImsForwardRewrite rewrite;
  ims_forward_rewrite_init(&rewrite, 0xcafebabe, 102, 1000, 0, 0, 0, 0, NULL);
  guint8 in[64], out[128];
  gsize length = build_packet(in, 7, NULL, 0, 20, TRUE);
  ImsRtpPacket packet = parse(in, length);
  guint16 sequence;
  int written = ims_forward_rewrite_packet(&rewrite, &packet, out, sizeof out, &sequence);
  assert_int_equal(written, (int) length);
  ImsRtpPacket result = parse(out, (gsize) written);
  assert_int_equal(result.ssrc, 0xcafebabe);
  assert_int_equal(result.payload_type, 102);
  assert_true(result.marker);
  assert_int_equal(result.timestamp, 0xa0b0c0d0);
  assert_int_equal(result.sequence, 1000);
  assert_int_equal(result.padding_length, 4);
  assert_int_equal(result.payload_length, 20);
  assert_memory_equal(result.payload, packet.payload, 20);
  assert_null(result.extension);
}

/* Rewrites each publisher number of steps[i][0] in turn and checks it got steps[i][1]. */
static void
check_sequences(ImsForwardRewrite *rewrite, const int (*steps)[2], gsize n)
{
  for (gsize i = 0; i < n; i++) {
    int got = rewrite_sequence(rewrite, (guint16) steps[i][0]);
    if (got != steps[i][1])
      fail_msg("publisher %d: %d, not %d (step %zu)", steps[i][0], got, steps[i][1], i);
  }
}

static void
test_sequence_continuous_from_first(void **state)
{
  ImsForwardRewrite rewrite;
  ims_forward_rewrite_init(&rewrite, 1, 96, 500, 0, 0, 0, 0, NULL);
  const int steps[][2] = {
    { 3000, 500 }, { 3001, 501 }, /* the sender starts at 3000: no gap for what came before */
    { 3003, 503 },                /* a loss at the publisher stays a gap (the subscriber NACKs it) */
    { 3002, 502 },        /* its retransmission, late, gets the number it would have had */
    { 2999, -EALREADY },  /* a packet from before the first forwarded one is dropped */
    { 3004, 504 },
  };
  check_sequences(&rewrite, steps, G_N_ELEMENTS(steps));
}

static void
test_sequence_wraps(void **state)
{
  ImsForwardRewrite rewrite;
  /* the publisher wraps at 65535; a late one across the wrap */
  ims_forward_rewrite_init(&rewrite, 1, 96, 10, 0, 0, 0, 0, NULL);
  const int publisher_wraps[][2] = { { 65534, 10 }, { 65535, 11 }, { 0, 12 }, { 1, 13 }, { 65535, 11 } };
  check_sequences(&rewrite, publisher_wraps, G_N_ELEMENTS(publisher_wraps));
  /* the sender wraps at 65535 */
  ims_forward_rewrite_init(&rewrite, 1, 96, 65535, 0, 0, 0, 0, NULL);
  const int sender_wraps[][2] = { { 100, 65535 }, { 101, 0 }, { 102, 1 } };
  check_sequences(&rewrite, sender_wraps, G_N_ELEMENTS(sender_wraps));
  /* far along: 70000 packets later still continuous */
  for (guint i = 103; i < 70103; i++)
    rewrite_sequence(&rewrite, (guint16) i);
  assert_int_equal(rewrite_sequence(&rewrite, (guint16) 70103), (guint16) (65535 + 70003));
}

static void
test_extensions_rewritten(void **state)
{
  ImsForwardRewrite rewrite;
  /* the publisher: mid id 4, abs-send-time id 2, and audio level id 1 (not negotiated by the
   * subscriber); the subscriber: mid id 9, abs-send-time id 3 */
  ims_forward_rewrite_init(&rewrite, 1, 96, 0, 4, 2, 9, 3, "sub1");
  const guint8 elements[][3] = { { 1, 1, 0x7f }, { 4, 1, '0' }, { 2, 3, 0x42 } };
  guint8 in[128], out[128];
  gsize length = build_packet(in, 1, elements, 3, 8, FALSE);
  ImsRtpPacket packet = parse(in, length);
  guint16 sequence;
  int written = ims_forward_rewrite_packet(&rewrite, &packet, out, sizeof out, &sequence);
  assert_true(written > 0);
  ImsRtpPacket result = parse(out, (gsize) written);
  assert_int_equal(result.extension_profile, IMS_RTP_EXTENSION_ONE_BYTE);
  const guint8 *value;
  gsize value_length;
  assert_int_equal(ims_rtp_find_extension(&result, 9, &value, &value_length), 0);
  assert_int_equal(value_length, 4);
  assert_memory_equal(value, "sub1", 4);
  guint32 abs_send_time;
  assert_int_equal(ims_rtp_get_abs_send_time(&result, 3, &abs_send_time), 0);
  assert_int_equal(abs_send_time, 0x424242);
  /* the publisher's ids are gone */
  assert_int_equal(ims_rtp_find_extension(&result, 1, &value, &value_length), -ENOENT);
  assert_int_equal(ims_rtp_find_extension(&result, 2, &value, &value_length), -ENOENT);
  assert_int_equal(ims_rtp_find_extension(&result, 4, &value, &value_length), -ENOENT);
  assert_int_equal(result.payload_length, 8);
  assert_memory_equal(result.payload, packet.payload, 8);
}

static void
test_extensions_dropped(void **state)
{
  ImsForwardRewrite rewrite;
  /* the subscriber negotiated none: the X bit goes */
  ims_forward_rewrite_init(&rewrite, 1, 96, 0, 4, 2, 0, 0, "sub1");
  const guint8 elements[][3] = { { 4, 1, '0' }, { 2, 3, 0x42 } };
  guint8 in[128], out[128];
  gsize length = build_packet(in, 1, elements, 2, 8, FALSE);
  ImsRtpPacket packet = parse(in, length);
  guint16 sequence;
  int written = ims_forward_rewrite_packet(&rewrite, &packet, out, sizeof out, &sequence);
  assert_int_equal(written, IMS_RTP_HEADER_SIZE + 8);
  assert_int_equal(out[0] & 0x10, 0);
  ImsRtpPacket result = parse(out, (gsize) written);
  assert_null(result.extension);
  /* the subscriber has abs-send-time but the packet does not carry it: only the mid */
  ims_forward_rewrite_init(&rewrite, 1, 96, 0, 4, 2, 5, 3, "a");
  length = build_packet(in, 1, elements, 1, 8, FALSE);
  packet = parse(in, length);
  written = ims_forward_rewrite_packet(&rewrite, &packet, out, sizeof out, &sequence);
  result = parse(out, (gsize) written);
  guint32 abs_send_time;
  assert_int_equal(ims_rtp_get_abs_send_time(&result, 3, &abs_send_time), -ENOENT);
  const guint8 *value;
  gsize value_length;
  assert_int_equal(ims_rtp_find_extension(&result, 5, &value, &value_length), 0);
  assert_int_equal(value[0], 'a');
}

static void
test_rewrite_no_room(void **state)
{
  ImsForwardRewrite rewrite;
  ims_forward_rewrite_init(&rewrite, 1, 96, 0, 0, 0, 0, 0, NULL);
  guint8 in[256], out[64];
  gsize length = build_packet(in, 1, NULL, 0, 100, FALSE);
  ImsRtpPacket packet = parse(in, length);
  guint16 sequence;
  assert_int_equal(ims_forward_rewrite_packet(&rewrite, &packet, out, sizeof out, &sequence),
                   -ENOSPC);
  assert_false(rewrite.started); /* nothing counted */
}

static void
test_rtx_in_and_out_of_buffer(void **state)
{
  g_autoptr(ImsRtxBuffer) buffer = ims_rtx_buffer_new(0);
  guint8 packet[100];
  const guint8 *found;
  gsize length;
  assert_false(ims_rtx_buffer_lookup(buffer, 0, 1000, &found, &length)); /* empty */
  for (guint i = 0; i < 600; i++) {
    guint16 sequence = (guint16) (65500 + i); /* wraps at 65535 */
    memset(packet, (int) (i & 0xff), sizeof packet);
    assert_int_equal(ims_rtx_buffer_store(buffer, sequence, packet, 50 + i % 50, 1000 + i), 0);
  }
  /* the last 512 are there, with their own bytes */
  guint16 newest = (guint16) (65500 + 599);
  assert_true(ims_rtx_buffer_lookup(buffer, newest, 2000, &found, &length));
  assert_int_equal(length, 50 + 599 % 50);
  assert_int_equal(found[0], 599 & 0xff);
  guint16 oldest_kept = (guint16) (65500 + 600 - 512);
  assert_true(ims_rtx_buffer_lookup(buffer, oldest_kept, 2000, &found, &length));
  assert_int_equal(found[0], (600 - 512) & 0xff);
  /* one before: overwritten by the packet 512 after it */
  assert_false(ims_rtx_buffer_lookup(buffer, (guint16) (oldest_kept - 1), 2000, &found, &length));
  assert_false(ims_rtx_buffer_lookup(buffer, 65500, 2000, &found, &length));
  /* never sent */
  assert_false(ims_rtx_buffer_lookup(buffer, (guint16) (newest + 1), 2000, &found, &length));
}

static void
test_rtx_too_old(void **state)
{
  g_autoptr(ImsRtxBuffer) buffer = ims_rtx_buffer_new(0);
  guint8 packet[20] = { 0 };
  assert_int_equal(ims_rtx_buffer_store(buffer, 7, packet, sizeof packet, 5000000), 0);
  const guint8 *found;
  gsize length;
  assert_true(ims_rtx_buffer_lookup(buffer, 7, 5000000 + IMS_RTX_BUFFER_MAX_AGE_US, &found,
                                    &length));
  assert_false(ims_rtx_buffer_lookup(buffer, 7, 5000001 + IMS_RTX_BUFFER_MAX_AGE_US, &found,
                                     &length));
  /* a packet too big to keep empties its slot: no stale answer */
  guint8 big[IMS_RTX_BUFFER_PACKET_MAX + 1] = { 0 };
  assert_int_equal(ims_rtx_buffer_store(buffer, 7 + IMS_RTX_BUFFER_SLOTS, big, sizeof big, 5000100),
                   -EMSGSIZE);
  assert_false(ims_rtx_buffer_lookup(buffer, 7, 5000200, &found, &length));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_rewrite_ssrc_payload_type),
    cmocka_unit_test(test_sequence_continuous_from_first),
    cmocka_unit_test(test_sequence_wraps),
    cmocka_unit_test(test_extensions_rewritten),
    cmocka_unit_test(test_extensions_dropped),
    cmocka_unit_test(test_rewrite_no_room),
    cmocka_unit_test(test_rtx_in_and_out_of_buffer),
    cmocka_unit_test(test_rtx_too_old),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
