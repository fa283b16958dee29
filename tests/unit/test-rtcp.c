/* test-rtcp.c: unit tests for pipelines/ingest/rtcp.c.  Our builders are read back by GStreamer's
 * GstRTCPBuffer (an independent implementation) and by our reader; GstRTCPBuffer writes SR/SDES/BYE
 * compounds that our reader parses; known byte vectors cover REMB and transport-cc (run-length,
 * one-bit and two-bit chunks, small and large deltas) and the malformed cases (truncated, bad
 * version, bad padding, unknown types skipped).  Stateless. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <glib.h>
#include <gst/gst.h>
#include <gst/rtp/rtp.h>
#include <string.h>

#include "rtcp.h"

static GstRTCPBuffer rtcp_map;

/* Maps data as a GstRTCPBuffer after GStreamer validated it as a compound (reduced size allowed). */
static GstBuffer *
gst_rtcp_of(const guint8 *data, gsize length)
{
  assert_true(gst_rtcp_buffer_validate_data_reduced((guint8 *) data, (guint) length));
  GstBuffer *buffer = gst_buffer_new_memdup(data, length);
  memset(&rtcp_map, 0, sizeof(rtcp_map));
  assert_true(gst_rtcp_buffer_map(buffer, GST_MAP_READ, &rtcp_map));
  return buffer;
}

static void
gst_rtcp_done(GstBuffer *buffer)
{
  gst_rtcp_buffer_unmap(&rtcp_map);
  gst_buffer_unref(buffer);
}

static void
test_receiver_report_and_sdes(void **state)
{
  ImsRtcpReportBlock blocks[2] = {
    { .ssrc = 0xaaaa,
      .fraction_lost = 25,
      .cumulative_lost = -3,
      .extended_highest_sequence = 0x10005,
      .jitter = 77,
      .last_sender_report = 0x12345678,
      .delay_since_last_sender_report = 65536 },
    { .ssrc = 0xbbbb, .cumulative_lost = 0x7fffffff /* clamped to 24 bits */ },
  };
  guint8 buffer[256];
  int rr = ims_rtcp_write_receiver_report(buffer, sizeof(buffer), 0x1111, blocks, 2);
  assert_int_equal(rr, 8 + 48);
  int sdes = ims_rtcp_write_sdes_cname(buffer + rr, sizeof(buffer) - rr, 0x1111, "imsd-rtp");
  assert_int_equal(sdes, 20);
  assert_int_equal(ims_rtcp_write_sdes_cname(buffer, 8, 1, "x"), -ENOSPC);
  assert_int_equal(ims_rtcp_write_receiver_report(buffer, 55, 1, blocks, 2), -ENOSPC);

  GstBuffer *gst = gst_rtcp_of(buffer, rr + sdes);
  GstRTCPPacket packet;
  assert_true(gst_rtcp_buffer_get_first_packet(&rtcp_map, &packet));
  assert_int_equal(gst_rtcp_packet_get_type(&packet), GST_RTCP_TYPE_RR);
  assert_int_equal(gst_rtcp_packet_rr_get_ssrc(&packet), 0x1111);
  assert_int_equal(gst_rtcp_packet_get_rb_count(&packet), 2);
  guint32 ssrc, highest, jitter, lsr, dlsr;
  guint8 fraction;
  gint32 lost;
  gst_rtcp_packet_get_rb(&packet, 0, &ssrc, &fraction, &lost, &highest, &jitter, &lsr, &dlsr);
  assert_int_equal(ssrc, 0xaaaa);
  assert_int_equal(fraction, 25);
  assert_int_equal(lost, -3);
  assert_int_equal(highest, 0x10005);
  assert_int_equal(jitter, 77);
  assert_int_equal(lsr, 0x12345678);
  assert_int_equal(dlsr, 65536);
  gst_rtcp_packet_get_rb(&packet, 1, &ssrc, &fraction, &lost, &highest, &jitter, &lsr, &dlsr);
  assert_int_equal(lost, 0x7fffff);
  assert_true(gst_rtcp_packet_move_to_next(&packet));
  assert_int_equal(gst_rtcp_packet_get_type(&packet), GST_RTCP_TYPE_SDES);
  assert_true(gst_rtcp_packet_sdes_first_item(&packet));
  assert_int_equal(gst_rtcp_packet_sdes_get_ssrc(&packet), 0x1111);
  GstRTCPSDESType type;
  guint8 length;
  guint8 *data;
  assert_true(gst_rtcp_packet_sdes_first_entry(&packet));
  assert_true(gst_rtcp_packet_sdes_get_entry(&packet, &type, &length, &data));
  assert_int_equal(type, GST_RTCP_SDES_CNAME);
  assert_int_equal(length, 8);
  assert_memory_equal(data, "imsd-rtp", 8);
  gst_rtcp_done(gst);

  /* and our own reader */
  ImsRtcpReader reader;
  ImsRtcpPacket p;
  ImsRtcpReport report;
  ims_rtcp_reader_init(&reader, buffer, rr + sdes);
  assert_int_equal(ims_rtcp_reader_next(&reader, &p), 1);
  assert_int_equal(ims_rtcp_parse_report(&p, &report), 0);
  assert_false(report.has_sender_info);
  assert_int_equal(report.report_count, 2);
  assert_int_equal(report.blocks[0].cumulative_lost, -3);
  assert_int_equal(report.blocks[0].delay_since_last_sender_report, 65536);
  assert_int_equal(ims_rtcp_reader_next(&reader, &p), 1);
  char cname[5];
  assert_int_equal(ims_rtcp_parse_sdes_cname(&p, &ssrc, cname, sizeof(cname)), 0);
  assert_string_equal(cname, "imsd"); /* truncated to the buffer */
  assert_int_equal(ims_rtcp_reader_next(&reader, &p), 0);
  assert_true(ims_rtcp_is_valid_compound(buffer, rr + sdes));
}

/* GStreamer writes SR + SDES + BYE; we read it. */
static void
test_gst_sender_report(void **state)
{
  GstBuffer *buffer = gst_rtcp_buffer_new(1400);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  assert_true(gst_rtcp_buffer_map(buffer, GST_MAP_READWRITE, &rtcp));
  assert_true(gst_rtcp_buffer_add_packet(&rtcp, GST_RTCP_TYPE_SR, &packet));
  gst_rtcp_packet_sr_set_sender_info(&packet, 0xcafe, G_GUINT64_CONSTANT(0xe1234567aabbccdd), 90000,
                                     1000, 123456);
  assert_true(gst_rtcp_packet_add_rb(&packet, 0xbeef, 3, 10, 70000, 12, 0x1234, 0x10));
  assert_true(gst_rtcp_buffer_add_packet(&rtcp, GST_RTCP_TYPE_SDES, &packet));
  assert_true(gst_rtcp_packet_sdes_add_item(&packet, 0xcafe));
  assert_true(gst_rtcp_packet_sdes_add_entry(&packet, GST_RTCP_SDES_CNAME, 9,
                                             (const guint8 *) "{chrome}x"));
  assert_true(gst_rtcp_buffer_add_packet(&rtcp, GST_RTCP_TYPE_BYE, &packet));
  assert_true(gst_rtcp_packet_bye_add_ssrc(&packet, 0xcafe));
  gst_rtcp_buffer_unmap(&rtcp);
  GstMapInfo map;
  assert_true(gst_buffer_map(buffer, &map, GST_MAP_READ));

  ImsRtcpReader reader;
  ImsRtcpPacket p;
  ImsRtcpReport report;
  ims_rtcp_reader_init(&reader, map.data, map.size);
  assert_int_equal(ims_rtcp_reader_next(&reader, &p), 1);
  assert_int_equal(p.type, IMS_RTCP_SR);
  assert_int_equal(ims_rtcp_parse_report(&p, &report), 0);
  assert_true(report.has_sender_info);
  assert_int_equal(report.ssrc, 0xcafe);
  assert_true(report.ntp_time == G_GUINT64_CONSTANT(0xe1234567aabbccdd));
  assert_int_equal(report.rtp_time, 90000);
  assert_int_equal(report.packet_count, 1000);
  assert_int_equal(report.octet_count, 123456);
  assert_int_equal(report.report_count, 1);
  assert_int_equal(report.blocks[0].ssrc, 0xbeef);
  assert_int_equal(report.blocks[0].extended_highest_sequence, 70000);
  assert_int_equal(report.blocks[0].delay_since_last_sender_report, 0x10);
  assert_int_equal(ims_rtcp_reader_next(&reader, &p), 1);
  guint32 ssrc = 0;
  char cname[64];
  assert_int_equal(ims_rtcp_parse_sdes_cname(&p, &ssrc, cname, sizeof(cname)), 0);
  assert_int_equal(ssrc, 0xcafe);
  assert_string_equal(cname, "{chrome}x");
  assert_int_equal(ims_rtcp_reader_next(&reader, &p), 1);
  assert_int_equal(ims_rtcp_parse_bye_ssrc(&p, 0, &ssrc), 0);
  assert_int_equal(ims_rtcp_parse_bye_ssrc(&p, 1, &ssrc), -EINVAL);
  assert_int_equal(ims_rtcp_reader_next(&reader, &p), 0);

  /* our SR builder gives the same packet as GStreamer's */
  ImsRtcpReportBlock block = { .ssrc = 0xbeef,
                               .fraction_lost = 3,
                               .cumulative_lost = 10,
                               .extended_highest_sequence = 70000,
                               .jitter = 12,
                               .last_sender_report = 0x1234,
                               .delay_since_last_sender_report = 0x10 };
  guint8 ours[64];
  int n = ims_rtcp_write_sender_report(ours, sizeof(ours), 0xcafe,
                                       G_GUINT64_CONSTANT(0xe1234567aabbccdd), 90000, 1000, 123456,
                                       &block, 1);
  assert_int_equal(n, 52);
  assert_memory_equal(ours, map.data, 52);
  gst_buffer_unmap(buffer, &map);
  gst_buffer_unref(buffer);
}

static void
test_feedback(void **state)
{
  guint8 buffer[512];
  gsize at = 0;
  /* 1000 + {1001, 1003}, 1017 (beyond PID+16), 65535 + {0, 1} across the wrap, 1 again: three items */
  const guint16 lost[] = { 1000, 1001, 1003, 1017, 65535, 0, 1, 1 };
  int n = ims_rtcp_write_nack(buffer, sizeof(buffer), 0x1, 0x2, lost, G_N_ELEMENTS(lost));
  assert_int_equal(n, 12 + 3 * 4);
  at += (gsize) n;
  n = ims_rtcp_write_pli(buffer + at, sizeof(buffer) - at, 0x1, 0x2);
  assert_int_equal(n, 12);
  at += (gsize) n;
  n = ims_rtcp_write_fir(buffer + at, sizeof(buffer) - at, 0x1, 0x2, 7);
  assert_int_equal(n, 20);
  at += (gsize) n;
  const guint32 ssrcs[] = { 0x2, 0x3 };
  n = ims_rtcp_write_remb(buffer + at, sizeof(buffer) - at, 0x1, 2500000, ssrcs, 2);
  assert_int_equal(n, 28);
  at += (gsize) n;
  assert_int_equal(ims_rtcp_write_nack(buffer, sizeof(buffer), 1, 2, lost, 0), -EINVAL);
  assert_int_equal(ims_rtcp_write_nack(buffer, 15, 1, 2, lost, 1), -ENOSPC);
  assert_int_equal(ims_rtcp_write_pli(buffer, 11, 1, 2), -ENOSPC);

  /* GStreamer reads the feedback */
  GstBuffer *gst = gst_rtcp_of(buffer, at);
  GstRTCPPacket packet;
  assert_true(gst_rtcp_buffer_get_first_packet(&rtcp_map, &packet));
  assert_int_equal(gst_rtcp_packet_get_type(&packet), GST_RTCP_TYPE_RTPFB);
  assert_int_equal(gst_rtcp_packet_fb_get_type(&packet), GST_RTCP_RTPFB_TYPE_NACK);
  assert_int_equal(gst_rtcp_packet_fb_get_media_ssrc(&packet), 0x2);
  assert_int_equal(gst_rtcp_packet_fb_get_fci_length(&packet), 3);
  guint8 *fci = gst_rtcp_packet_fb_get_fci(&packet);
  assert_int_equal(GST_READ_UINT16_BE(fci), 1000);
  assert_int_equal(GST_READ_UINT16_BE(fci + 2), 0x0001 | 0x0004);
  assert_int_equal(GST_READ_UINT16_BE(fci + 4), 1017);
  assert_int_equal(GST_READ_UINT16_BE(fci + 8), 65535);
  assert_int_equal(GST_READ_UINT16_BE(fci + 10), 0x0003);
  assert_true(gst_rtcp_packet_move_to_next(&packet));
  assert_int_equal(gst_rtcp_packet_fb_get_type(&packet), GST_RTCP_PSFB_TYPE_PLI);
  assert_true(gst_rtcp_packet_move_to_next(&packet));
  assert_int_equal(gst_rtcp_packet_fb_get_type(&packet), GST_RTCP_PSFB_TYPE_FIR);
  assert_int_equal(gst_rtcp_packet_fb_get_media_ssrc(&packet), 0);
  fci = gst_rtcp_packet_fb_get_fci(&packet);
  assert_int_equal(GST_READ_UINT32_BE(fci), 0x2);
  assert_int_equal(fci[4], 7);
  assert_true(gst_rtcp_packet_move_to_next(&packet));
  assert_int_equal(gst_rtcp_packet_fb_get_type(&packet), GST_RTCP_PSFB_TYPE_AFB);
  gst_rtcp_done(gst);

  /* and ours */
  ImsRtcpReader reader;
  ImsRtcpPacket p;
  ims_rtcp_reader_init(&reader, buffer, at);
  assert_int_equal(ims_rtcp_reader_next(&reader, &p), 1);
  guint16 sequences[32];
  assert_int_equal(ims_rtcp_parse_nack(&p, sequences, 32), 7);
  const guint16 expected[] = { 1000, 1001, 1003, 1017, 65535, 0, 1 };
  assert_memory_equal(sequences, expected, sizeof(expected));
  assert_int_equal(ims_rtcp_parse_nack(&p, sequences, 2), 2);
  guint32 sender, media;
  assert_int_equal(ims_rtcp_parse_feedback_ssrcs(&p, &sender, &media), 0);
  assert_int_equal(sender, 1);
  assert_int_equal(media, 2);
  assert_false(ims_rtcp_is_pli(&p));
  assert_int_equal(ims_rtcp_reader_next(&reader, &p), 1);
  assert_true(ims_rtcp_is_pli(&p));
  assert_int_equal(ims_rtcp_reader_next(&reader, &p), 1);
  guint8 fir_sequence;
  assert_int_equal(ims_rtcp_parse_fir(&p, 0, &media, &fir_sequence), 0);
  assert_int_equal(media, 2);
  assert_int_equal(fir_sequence, 7);
  assert_int_equal(ims_rtcp_parse_fir(&p, 1, &media, &fir_sequence), -EINVAL);
  assert_int_equal(ims_rtcp_reader_next(&reader, &p), 1);
  guint64 bitrate;
  guint32 remb_ssrcs[1];
  guint count;
  assert_int_equal(ims_rtcp_parse_remb(&p, &bitrate, remb_ssrcs, 1, &count), 0);
  /* 2500000 = 0b1001100010010110100000: mantissa 2500000 >> 4 = 156250, exponent 4 */
  assert_int_equal(bitrate, 2500000);
  assert_int_equal(count, 2);
  assert_int_equal(remb_ssrcs[0], 2);
  assert_int_equal(ims_rtcp_reader_next(&reader, &p), 0);
}

static void
test_remb_known_vector(void **state)
{
  /* A REMB written by hand from the draft's layout: 1 SSRC, exponent 8, mantissa 0x3ffff
   * (67108608 bit/s). */
  const guint8 remb[] = { 0x8f, 0xce, 0x00, 0x05, 0,    0,    0,    1,    0,    0,    0,    0,
                          'R',  'E',  'M',  'B',  0x01, 0x23, 0xff, 0xff, 0x12, 0x34, 0x56, 0x78 };
  ImsRtcpReader reader;
  ImsRtcpPacket p;
  ims_rtcp_reader_init(&reader, remb, sizeof(remb));
  assert_int_equal(ims_rtcp_reader_next(&reader, &p), 1);
  guint64 bitrate;
  guint32 ssrc;
  guint count;
  assert_int_equal(ims_rtcp_parse_remb(&p, &bitrate, &ssrc, 1, &count), 0);
  assert_int_equal(bitrate, (guint64) 0x3ffff << 8);
  assert_int_equal(ssrc, 0x12345678);
  guint8 out[32];
  assert_int_equal(ims_rtcp_write_remb(out, sizeof(out), 1, (guint64) 0x3ffff << 8, &ssrc, 1), 24);
  assert_memory_equal(out, remb, sizeof(remb));
}

typedef struct {
  guint count;
  guint16 sequences[64];
  gboolean received[64];
  gint64 delta_us[64];
} TccResult;

static void
collect_tcc(guint16 sequence, gboolean received, gint64 delta_us, gpointer user_data)
{
  TccResult *r = user_data;
  if (r->count < 64) {
    r->sequences[r->count] = sequence;
    r->received[r->count] = received;
    r->delta_us[r->count] = delta_us;
  }
  r->count++;
}

static void
test_transport_cc_known_vector(void **state)
{
  /* base 0xfffe, 20 statuses: run-length chunk "3 x small delta", one-bit vector of 14
   * (received, lost, then 12 received), two-bit vector (large delta, not received, small delta) for
   * the last 3; deltas: 4 ms, 0, 63.75 ms | 0.25 ms, 12 x 0 | -50 ms, 1 ms. */
  const guint8 tcc[] = {
    0xaf, 0xcd, 0x00, 0x0b, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0xff,
    0xfe, 0x00, 0x14, 0x00, 0x00, 0x10, 0x2a, /* ref 16 x 64 ms, fb 42 */
    0x20, 0x03,                               /* run: 3 x small delta */
    0xaf, 0xff,                               /* 1-bit: 1 0 then 12 x 1 */
    0xe1, 0x00,                               /* 2-bit: 2 0 1 */
    0x10, 0x00, 0xff,                         /* 3 small deltas */
    0x01, 0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0, /* 13 small deltas */
    0xff, 0x38,       /* large delta -200 x 250 us */
    0x04,             /* small 1 ms */
    0x00, 0x00, 0x03, /* 3 bytes padding (P bit) */
  };
  G_STATIC_ASSERT(sizeof(tcc) == 48);
  ImsRtcpReader reader;
  ImsRtcpPacket p;
  ims_rtcp_reader_init(&reader, tcc, sizeof(tcc));
  assert_int_equal(ims_rtcp_reader_next(&reader, &p), 1);
  ImsRtcpTransportCcInfo info;
  TccResult r = { 0 };
  assert_int_equal(ims_rtcp_parse_transport_cc(&p, &info, collect_tcc, &r), 0);
  assert_int_equal(info.base_sequence, 0xfffe);
  assert_int_equal(info.status_count, 20);
  assert_int_equal(info.reference_time, 16);
  assert_int_equal(info.feedback_count, 42);
  assert_int_equal(r.count, 20);
  assert_int_equal(r.sequences[0], 0xfffe);
  assert_int_equal(r.sequences[2], 0);
  assert_int_equal(r.delta_us[0], 4000);
  assert_int_equal(r.delta_us[2], 63750);
  assert_true(r.received[3]);
  assert_int_equal(r.delta_us[3], 250);
  assert_false(r.received[4]);
  assert_true(r.received[5]);
  assert_int_equal(r.delta_us[16], 0);
  assert_int_equal(r.delta_us[17], -50000);
  assert_false(r.received[18]);
  assert_int_equal(r.delta_us[19], 1000);
  /* truncated deltas are an error */
  ImsRtcpPacket cut = p;
  cut.body_length -= 3;
  r.count = 0;
  assert_int_equal(ims_rtcp_parse_transport_cc(&cut, &info, collect_tcc, &r), -EINVAL);
}

static void
test_transport_cc_round_trip(void **state)
{
  gint64 arrivals[20];
  for (int i = 0; i < 20; i++)
    arrivals[i] = 1000000 + i * 5000;
  arrivals[3] = -1;                            /* lost */
  arrivals[7] = 1000000 + 6 * 5000 - 750;      /* arrived before the one sent earlier: negative */
  arrivals[12] = 1000000 + 12 * 5000 + 900000; /* 0.9 s late: large delta */
  guint8 buffer[128];
  int n = ims_rtcp_write_transport_cc(buffer, sizeof(buffer), 0x11, 0x22, 65530, 9, arrivals, 20);
  assert_true(n > 0);
  assert_int_equal(n % 4, 0);
  assert_int_equal(ims_rtcp_write_transport_cc(buffer, 20, 0x11, 0x22, 65530, 9, arrivals, 20),
                   -ENOSPC);
  gint64 none[2] = { -1, -1 };
  assert_int_equal(ims_rtcp_write_transport_cc(buffer, sizeof(buffer), 1, 2, 0, 0, none, 2),
                   -EINVAL);
  assert_true(gst_rtcp_buffer_validate_data_reduced(buffer, (guint) n));

  ImsRtcpReader reader;
  ImsRtcpPacket p;
  ims_rtcp_reader_init(&reader, buffer, (gsize) n);
  assert_int_equal(ims_rtcp_reader_next(&reader, &p), 1);
  ImsRtcpTransportCcInfo info;
  TccResult r = { 0 };
  assert_int_equal(ims_rtcp_parse_transport_cc(&p, &info, collect_tcc, &r), 0);
  assert_int_equal(info.base_sequence, 65530);
  assert_int_equal(info.feedback_count, 9);
  assert_int_equal(r.count, 20);
  gint64 t = (gint64) info.reference_time * 64000;
  for (int i = 0; i < 20; i++) {
    assert_int_equal(r.sequences[i], (guint16) (65530 + i));
    assert_int_equal(r.received[i], arrivals[i] >= 0);
    if (!r.received[i])
      continue;
    t += r.delta_us[i];
    if (t - arrivals[i] > 125 || arrivals[i] - t > 125)
      fail_msg("packet %d: %" G_GINT64_FORMAT " us, sent %" G_GINT64_FORMAT, i, t, arrivals[i]);
  }
}

static void
test_malformed_compounds(void **state)
{
  ImsRtcpReader reader;
  ImsRtcpPacket p;
  /* an unknown type (APP 204, and 210) is handed out for the caller to skip, then the RR */
  const guint8 mixed[] = { 0x80, 0xd2, 0x00, 0x01, 1, 2, 3,   4,   0x81, 0xcc,
                           0x00, 0x02, 0,    0,    0, 1, 'n', 'a', 'm',  'e',
                           0x80, 0xc9, 0x00, 0x01, 0, 0, 0,   9 };
  ims_rtcp_reader_init(&reader, mixed, sizeof(mixed));
  assert_int_equal(ims_rtcp_reader_next(&reader, &p), 1);
  assert_int_equal(p.type, 210);
  assert_int_equal(ims_rtcp_reader_next(&reader, &p), 1);
  assert_int_equal(p.type, IMS_RTCP_APP);
  ImsRtcpReport report;
  assert_int_equal(ims_rtcp_parse_report(&p, &report), -EINVAL);
  assert_int_equal(ims_rtcp_reader_next(&reader, &p), 1);
  assert_int_equal(ims_rtcp_parse_report(&p, &report), 0);
  assert_int_equal(report.ssrc, 9);
  assert_int_equal(ims_rtcp_reader_next(&reader, &p), 0);
  assert_true(ims_rtcp_is_valid_compound(mixed, sizeof(mixed)));

  /* length past the end */
  assert_false(ims_rtcp_is_valid_compound(mixed, sizeof(mixed) - 1));
  ims_rtcp_reader_init(&reader, mixed, 7);
  assert_int_equal(ims_rtcp_reader_next(&reader, &p), -EINVAL);
  assert_int_equal(ims_rtcp_reader_next(&reader, &p), 0);
  /* bad version */
  const guint8 v1[] = { 0x40, 0xc9, 0x00, 0x01, 0, 0, 0, 9 };
  assert_false(ims_rtcp_is_valid_compound(v1, sizeof(v1)));
  /* padding: 0, and larger than the body */
  guint8 padded[] = { 0xa0, 0xc9, 0x00, 0x02, 0, 0, 0, 9, 0, 0, 0, 4 };
  assert_true(ims_rtcp_is_valid_compound(padded, sizeof(padded)));
  ims_rtcp_reader_init(&reader, padded, sizeof(padded));
  assert_int_equal(ims_rtcp_reader_next(&reader, &p), 1);
  assert_int_equal(p.body_length, 4);
  padded[11] = 0;
  assert_false(ims_rtcp_is_valid_compound(padded, sizeof(padded)));
  padded[11] = 9;
  assert_false(ims_rtcp_is_valid_compound(padded, sizeof(padded)));
  /* an RR whose count says 1 block but has none; an empty compound */
  const guint8 short_rr[] = { 0x81, 0xc9, 0x00, 0x01, 0, 0, 0, 9 };
  ims_rtcp_reader_init(&reader, short_rr, sizeof(short_rr));
  assert_int_equal(ims_rtcp_reader_next(&reader, &p), 1);
  assert_int_equal(ims_rtcp_parse_report(&p, &report), -EINVAL);
  assert_false(ims_rtcp_is_valid_compound(short_rr, 0));
  /* a NACK without FCI space, a transport-cc whose chunks run out */
  const guint8 nack[] = { 0x81, 0xcd, 0x00, 0x01, 0, 0, 0, 1 };
  ims_rtcp_reader_init(&reader, nack, sizeof(nack));
  assert_int_equal(ims_rtcp_reader_next(&reader, &p), 1);
  guint16 sequences[4];
  assert_int_equal(ims_rtcp_parse_nack(&p, sequences, 4), -EINVAL);
  const guint8 tcc[] = { 0x8f, 0xcd, 0x00, 0x04, 0,    0,    0, 1, 0, 0,
                         0,    2,    0x00, 0x01, 0x00, 0x64, 0, 0, 0, 0 };
  ims_rtcp_reader_init(&reader, tcc, sizeof(tcc));
  assert_int_equal(ims_rtcp_reader_next(&reader, &p), 1);
  ImsRtcpTransportCcInfo info;
  assert_int_equal(ims_rtcp_parse_transport_cc(&p, &info, NULL, NULL), -EINVAL);
}

int
main(void)
{
  gst_init(NULL, NULL);
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_receiver_report_and_sdes),
    cmocka_unit_test(test_gst_sender_report),
    cmocka_unit_test(test_feedback),
    cmocka_unit_test(test_remb_known_vector),
    cmocka_unit_test(test_transport_cc_known_vector),
    cmocka_unit_test(test_transport_cc_round_trip),
    cmocka_unit_test(test_malformed_compounds),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
