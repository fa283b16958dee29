/* test-rtp.c: unit tests for pipelines/ingest/rtp.c: known byte vectors (CSRCs, padding, one-byte and
 * two-byte header extensions, truncations), packets built by GStreamer's GstRTPBuffer (an independent
 * implementation), real VP8 packets from rtpvp8pay with a transport-wide-cc extension (rtphdrexttwcc)
 * through appsink, and RTX unwrapping.  Stateless: each test builds its packets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <glib.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/rtp/rtp.h>
#include <string.h>

#include "rtp.h"

static void
test_minimal_header(void **state)
{
  const guint8 packet[] = { 0x80, 0xe0, 0x12, 0x34, 0xde, 0xad, 0xbe,
                            0xef, 0x01, 0x02, 0x03, 0x04, 0xaa, 0xbb };
  ImsRtpPacket p;
  assert_int_equal(ims_rtp_parse(packet, sizeof(packet), &p), 0);
  assert_true(p.marker);
  assert_int_equal(p.payload_type, 96);
  assert_int_equal(p.sequence, 0x1234);
  assert_int_equal(p.timestamp, 0xdeadbeef);
  assert_int_equal(p.ssrc, 0x01020304);
  assert_int_equal(p.csrc_count, 0);
  assert_null(p.extension);
  assert_int_equal(p.payload_length, 2);
  assert_int_equal(p.payload[0], 0xaa);
  assert_false(ims_rtp_is_rtcp(packet, sizeof(packet)));
}

static void
test_csrc_padding_extension(void **state)
{
  /* V=2 P=1 X=1 CC=2, PT 111, two CSRCs, one-byte extension (id 1 len 3 = abs-send-time, padding
   * byte, id 3 len 2 = transport-cc), 3 payload bytes, 4 padding bytes. */
  const guint8 packet[] = {
    0xb2, 0x6f, 0x00, 0x07, 0x00, 0x00, 0x03, 0xc0, 0xca, 0xfe, 0xba, 0xbe, 0x11,
    0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22, 0xbe, 0xde, 0x00, 0x02, 0x12, 0x0a,
    0xbc, 0xde, 0x00, 0x31, 0x01, 0x02, 0x55, 0x66, 0x77, 0x00, 0x00, 0x00, 0x04,
  };
  ImsRtpPacket p;
  assert_int_equal(ims_rtp_parse(packet, sizeof(packet), &p), 0);
  assert_false(p.marker);
  assert_int_equal(p.payload_type, 111);
  assert_int_equal(p.csrc_count, 2);
  assert_int_equal(p.csrc[0], 0x11111111);
  assert_int_equal(p.csrc[1], 0x22222222);
  assert_int_equal(p.extension_profile, IMS_RTP_EXTENSION_ONE_BYTE);
  assert_int_equal(p.extension_length, 8);
  assert_int_equal(p.padding_length, 4);
  assert_int_equal(p.payload_length, 3);
  assert_int_equal(p.payload[0], 0x55);
  guint32 abs_send_time = 0;
  assert_int_equal(ims_rtp_get_abs_send_time(&p, 1, &abs_send_time), 0);
  assert_int_equal(abs_send_time, 0x0abcde);
  guint16 twcc = 0;
  assert_int_equal(ims_rtp_get_transport_cc_sequence(&p, 3, &twcc), 0);
  assert_int_equal(twcc, 0x0102);
  /* wrong lengths for what the id is said to be, absent ids */
  assert_int_equal(ims_rtp_get_transport_cc_sequence(&p, 1, &twcc), -EINVAL);
  assert_int_equal(ims_rtp_get_abs_send_time(&p, 2, &abs_send_time), -ENOENT);
  assert_int_equal(ims_rtp_get_abs_send_time(&p, 15, &abs_send_time), -ENOENT);
}

static void
test_two_byte_extension(void **state)
{
  const guint8 packet[] = {
    0x90, 0x60, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x09, 0x10,
    0x00, 0x00, 0x02, 0x05, 0x00, 0x00, 0x10, 0x02, 0xab, 0xcd, 0x00, 0x99,
  };
  ImsRtpPacket p;
  assert_int_equal(ims_rtp_parse(packet, sizeof(packet), &p), 0);
  const guint8 *value = NULL;
  gsize length = 99;
  /* id 5 has length 0 (allowed only in two-byte form); padding byte; id 16 of 2 bytes */
  assert_int_equal(ims_rtp_find_extension(&p, 5, &value, &length), 0);
  assert_int_equal(length, 0);
  guint16 twcc = 0;
  assert_int_equal(ims_rtp_get_transport_cc_sequence(&p, 16, &twcc), 0);
  assert_int_equal(twcc, 0xabcd);
  assert_int_equal(p.payload_length, 1);
}

static void
test_malformed(void **state)
{
  guint8 packet[] = { 0x80, 0x60, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
                      0x00, 0x00, 0x00, 0x09, 0x01, 0x02, 0x03, 0x04 };
  ImsRtpPacket p;
  assert_int_equal(ims_rtp_parse(packet, 11, &p), -EINVAL); /* short header */
  assert_int_equal(ims_rtp_parse(NULL, 0, &p), -EINVAL);
  packet[0] = 0x40; /* version 1 */
  assert_int_equal(ims_rtp_parse(packet, sizeof(packet), &p), -EINVAL);
  packet[0] = 0x82; /* 2 CSRCs, room for 1 */
  assert_int_equal(ims_rtp_parse(packet, sizeof(packet), &p), -EINVAL);
  packet[0] = 0x90; /* extension of 0x0304 words */
  assert_int_equal(ims_rtp_parse(packet, sizeof(packet), &p), -EINVAL);
  packet[0] = 0xa0; /* padding 4 > ... fine */
  assert_int_equal(ims_rtp_parse(packet, sizeof(packet), &p), 0);
  assert_int_equal(p.payload_length, 0);
  packet[15] = 5; /* padding 5 > 4 payload bytes */
  assert_int_equal(ims_rtp_parse(packet, sizeof(packet), &p), -EINVAL);
  packet[15] = 0; /* padding count 0 */
  assert_int_equal(ims_rtp_parse(packet, sizeof(packet), &p), -EINVAL);
  assert_null(p.data);

  /* a one-byte element running past the block */
  const guint8 bad_element[] = { 0x90, 0x60, 0x00, 0x01, 0,    0,    0,    1,    0,    0,
                                 0,    9,    0xbe, 0xde, 0x00, 0x01, 0x1f, 0x00, 0x00, 0x00 };
  assert_int_equal(ims_rtp_parse(bad_element, sizeof(bad_element), &p), 0);
  const guint8 *value;
  gsize length;
  assert_int_equal(ims_rtp_find_extension(&p, 1, &value, &length), -EINVAL);

  /* RTCP on the same port (RFC 5761) */
  const guint8 rr[] = { 0x80, 0xc9, 0x00, 0x01, 0, 0, 0, 1 };
  assert_true(ims_rtp_is_rtcp(rr, sizeof(rr)));
}

/* GstRTPBuffer writes the packet; we read it. */
static void
test_against_gst_rtp_buffer(void **state)
{
  for (int two_byte = 0; two_byte <= 1; two_byte++) {
    GstBuffer *buffer = gst_rtp_buffer_new_allocate(100, 3, 2);
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    assert_true(gst_rtp_buffer_map(buffer, GST_MAP_READWRITE, &rtp));
    gst_rtp_buffer_set_payload_type(&rtp, 102);
    gst_rtp_buffer_set_seq(&rtp, 65535);
    gst_rtp_buffer_set_timestamp(&rtp, 4000000000u);
    gst_rtp_buffer_set_ssrc(&rtp, 0x5eed);
    gst_rtp_buffer_set_marker(&rtp, TRUE);
    gst_rtp_buffer_set_csrc(&rtp, 0, 7);
    gst_rtp_buffer_set_csrc(&rtp, 1, 8);
    const guint8 tcc[2] = { 0x12, 0x34 };
    const guint8 ast[3] = { 0x01, 0x02, 0x03 };
    if (two_byte) {
      assert_true(gst_rtp_buffer_add_extension_twobytes_header(&rtp, 0, 3, tcc, 2));
      assert_true(gst_rtp_buffer_add_extension_twobytes_header(&rtp, 0, 2, ast, 3));
    } else {
      assert_true(gst_rtp_buffer_add_extension_onebyte_header(&rtp, 3, tcc, 2));
      assert_true(gst_rtp_buffer_add_extension_onebyte_header(&rtp, 2, ast, 3));
    }
    guint8 *payload = gst_rtp_buffer_get_payload(&rtp);
    for (int i = 0; i < 100; i++)
      payload[i] = (guint8) i;
    gst_rtp_buffer_unmap(&rtp);

    GstMapInfo map;
    assert_true(gst_buffer_map(buffer, &map, GST_MAP_READ));
    ImsRtpPacket p;
    assert_int_equal(ims_rtp_parse(map.data, map.size, &p), 0);
    assert_int_equal(p.payload_type, 102);
    assert_int_equal(p.sequence, 65535);
    assert_int_equal(p.timestamp, 4000000000u);
    assert_int_equal(p.ssrc, 0x5eed);
    assert_true(p.marker);
    assert_int_equal(p.csrc_count, 2);
    assert_int_equal(p.csrc[1], 8);
    assert_int_equal(p.padding_length, 3);
    assert_int_equal(p.payload_length, 100);
    assert_int_equal(p.payload[99], 99);
    guint16 sequence = 0;
    guint32 abs_send_time = 0;
    assert_int_equal(ims_rtp_get_transport_cc_sequence(&p, 3, &sequence), 0);
    assert_int_equal(sequence, 0x1234);
    assert_int_equal(ims_rtp_get_abs_send_time(&p, 2, &abs_send_time), 0);
    assert_int_equal(abs_send_time, 0x010203);
    gst_buffer_unmap(buffer, &map);
    gst_buffer_unref(buffer);
  }
}

/* Real packets: rtpvp8pay with rtphdrexttwcc (extension id 5) through appsink. */
static void
test_vp8_payloader_packets(void **state)
{
  g_autoptr(GError) error = NULL;
  GstElement *pipeline = gst_parse_launch(
      "videotestsrc num-buffers=10 ! video/x-raw,width=320,height=240 ! vp8enc deadline=1 ! "
      "rtpvp8pay name=pay mtu=300 seqnum-offset=65530 ! appsink name=sink sync=false",
      &error);
  if (pipeline == NULL)
    fail_msg("%s", error->message);
  GstElement *pay = gst_bin_get_by_name(GST_BIN(pipeline), "pay");
  GstRTPHeaderExtension *twcc = gst_rtp_header_extension_create_from_uri(
      "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01");
  assert_non_null(twcc);
  gst_rtp_header_extension_set_id(twcc, 5);
  g_signal_emit_by_name(pay, "add-extension", twcc);
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  gst_element_set_state(pipeline, GST_STATE_PLAYING);

  guint packets = 0;
  guint16 previous_sequence = 0, previous_twcc = 0;
  gboolean markers = FALSE;
  GstSample *sample;
  while ((sample = gst_app_sink_pull_sample(GST_APP_SINK(sink))) != NULL) {
    GstBuffer *buffer = gst_sample_get_buffer(sample);
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    assert_true(gst_rtp_buffer_map(buffer, GST_MAP_READ, &rtp));
    GstMapInfo map;
    assert_true(gst_buffer_map(buffer, &map, GST_MAP_READ));
    ImsRtpPacket p;
    assert_int_equal(ims_rtp_parse(map.data, map.size, &p), 0);
    assert_int_equal(p.sequence, gst_rtp_buffer_get_seq(&rtp));
    assert_int_equal(p.timestamp, gst_rtp_buffer_get_timestamp(&rtp));
    assert_int_equal(p.ssrc, gst_rtp_buffer_get_ssrc(&rtp));
    assert_int_equal(p.marker, gst_rtp_buffer_get_marker(&rtp));
    assert_int_equal(p.payload_length, gst_rtp_buffer_get_payload_len(&rtp));
    assert_ptr_equal(p.payload, (const guint8 *) map.data + gst_rtp_buffer_get_header_len(&rtp));
    guint16 twcc_sequence = 0;
    assert_int_equal(ims_rtp_get_transport_cc_sequence(&p, 5, &twcc_sequence), 0);
    if (packets > 0) {
      assert_int_equal((guint16) (previous_sequence + 1), p.sequence); /* wraps at 65535 */
      assert_int_equal((guint16) (previous_twcc + 1), twcc_sequence);
    }
    markers |= p.marker;
    previous_sequence = p.sequence;
    previous_twcc = twcc_sequence;
    packets++;
    gst_buffer_unmap(buffer, &map);
    gst_rtp_buffer_unmap(&rtp);
    gst_sample_unref(sample);
  }
  assert_true(packets > 10);
  assert_true(markers);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(sink);
  gst_object_unref(pay);
  gst_object_unref(twcc);
  gst_object_unref(pipeline);
}

static void
test_unwrap_rtx(void **state)
{
  /* RTX: PT 97, seq 500, SSRC 0x0bad; payload = OSN 0x1234 + original payload "abc", 2 padding */
  const guint8 rtx[] = { 0xa0, 0xe1, 0x01, 0xf4, 0,   0,   0x10, 0,    0,   0,
                         0x0b, 0xad, 0x12, 0x34, 'a', 'b', 'c',  0x00, 0x02 };
  ImsRtpPacket p;
  assert_int_equal(ims_rtp_parse(rtx, sizeof(rtx), &p), 0);
  guint8 out[64];
  assert_int_equal(ims_rtp_unwrap_rtx(&p, 96, 0x0f00d, out, 14), -ENOSPC);
  int n = ims_rtp_unwrap_rtx(&p, 96, 0x0f00d, out, sizeof(out));
  assert_int_equal(n, 15);
  ImsRtpPacket original;
  assert_int_equal(ims_rtp_parse(out, (gsize) n, &original), 0);
  assert_int_equal(original.sequence, 0x1234);
  assert_int_equal(original.payload_type, 96);
  assert_true(original.marker);
  assert_int_equal(original.ssrc, 0x0f00d);
  assert_int_equal(original.timestamp, 0x1000);
  assert_int_equal(original.padding_length, 0);
  assert_memory_equal(original.payload, "abc", 3);
  assert_int_equal(original.payload_length, 3);
  /* an RTX packet without room for the OSN */
  const guint8 empty[] = { 0x80, 0x61, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0x12 };
  assert_int_equal(ims_rtp_parse(empty, sizeof(empty), &p), 0);
  assert_int_equal(ims_rtp_unwrap_rtx(&p, 96, 1, out, sizeof(out)), -EINVAL);
}

int
main(void)
{
  gst_init(NULL, NULL);
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_minimal_header),
    cmocka_unit_test(test_csrc_padding_extension),
    cmocka_unit_test(test_two_byte_extension),
    cmocka_unit_test(test_malformed),
    cmocka_unit_test(test_against_gst_rtp_buffer),
    cmocka_unit_test(test_vp8_payloader_packets),
    cmocka_unit_test(test_unwrap_rtx),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
