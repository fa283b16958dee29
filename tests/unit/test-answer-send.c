/* Unit tests for pipelines/ingest/answer-send.c: a live room subscriber's
 * real recvonly offer (Chromium) against what a publisher sends (the
 * negotiation of a real Chromium, aiortc or screen-share offer), imsd's
 * sendonly answer and the agreed parameters out. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <gst/gst.h>
#include <gst/sdp/sdp.h>

#include "answer-send.h"
#include "answer-test.h"
#include "sdp-offers-room.h"
#include "sdp-offers.h"
#include "take-result.h"

#define FINGERPRINT                                                                               \
  "sha-256 01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:" \
  "89:AB:CD:EF"

static const ImsSubscriberLocal LOCAL = {
  .base = { .ice_ufrag = "imsdsend",
            .ice_pwd = "imsd-send-password-0123456789",
            .fingerprint = FINGERPRINT,
            .prefer_dtls_client = TRUE },
  .video_ssrc = 305419896u,
  .audio_ssrc = 2271560481u,
  .stream_id = "p-cand-camera",
};

/* The publisher's negotiation of offer (its receive path). */
static void
publish(const char *offer, guint video_codecs, gboolean video_only, ImsNegotiation *publisher)
{
  ImsAnswerLocal local = LOCAL.base;
  local.allow_video_only = video_only;
  g_autoptr(GError) error = NULL;
  assert_true(ims_answer_negotiate(offer, video_codecs, &local, publisher, &error));
}

/* Chromium's three-m-line subscriber offer: audio, video, video (see sdp-offers-room.h). */
static char *
three_mline_offer(void)
{
  const char *video = strstr(CHROMIUM_RECVONLY_OFFER, "m=video");
  g_autofree char *again = replace_all(video, "a=mid:1\r\n", "a=mid:2\r\n");
  g_autofree char *bundle = replace_all(CHROMIUM_RECVONLY_OFFER, "a=group:BUNDLE 0 1\r\n",
                                        "a=group:BUNDLE 0 1 2\r\n");
  return g_strconcat(bundle, again, NULL);
}

static void
test_camera_to_chromium_subscriber(void **state)
{
  ImsNegotiation publisher = { 0 }, n = { 0 };
  publish(CHROMIUM_OFFER, 0, FALSE, &publisher);
  g_autoptr(GError) error = NULL;
  assert_true(
      ims_answer_negotiate_subscriber(CHROMIUM_RECVONLY_OFFER, &publisher, &LOCAL, &n, &error));

  assert_string_equal(n.remote_ufrag, "cNjH");
  assert_string_equal(n.remote_pwd, "vurSpekM5jH9i3TrfFHiPaKx");
  assert_true(g_str_has_prefix(n.remote_fingerprint, "sha-256 BC:BB:EE"));
  assert_true(n.dtls_client);
  assert_int_equal(n.remote_candidates->len, 0);

  assert_int_equal(n.video.codec, IMS_SDP_CODEC_H264);
  assert_int_equal(n.video.payload_type, 108);
  assert_int_equal(n.video.mline_index, 1);
  assert_string_equal(n.video.mid, "1");
  assert_int_equal(n.video.ssrc, LOCAL.video_ssrc);
  assert_int_equal(n.video.clock_rate, 90000);
  assert_true(n.video.nack && n.video.pli && n.video.fir && n.video.remb);
  assert_int_equal(n.audio.codec, IMS_SDP_CODEC_OPUS);
  assert_int_equal(n.audio.payload_type, 111);
  assert_int_equal(n.audio.mline_index, 0);
  assert_string_equal(n.audio.mid, "0");
  assert_int_equal(n.audio.ssrc, LOCAL.audio_ssrc);
  assert_false(n.audio.nack);

  const char *a = n.answer;
  g_autoptr(GstSDPMessage) msg = parse_answer(a, 2);
  assert_non_null(strstr(a, "a=group:BUNDLE 0 1\r\n"));
  assert_non_null(strstr(a, "a=msid-semantic: WMS p-cand-camera\r\n"));
  assert_non_null(strstr(a, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"));
  assert_non_null(strstr(a, "m=video 9 UDP/TLS/RTP/SAVPF 108\r\n"));
  assert_int_equal(count(a, "a=sendonly\r\n"), 2);
  assert_int_equal(count(a, "a=recvonly"), 0);
  assert_int_equal(count(a, "a=rtcp-mux\r\n"), 2);
  assert_int_equal(count(a, "a=setup:active\r\n"), 2);
  assert_int_equal(count(a, "a=ice-ufrag:imsdsend\r\n"), 2);
  assert_int_equal(count(a, FINGERPRINT), 2);
  /* the fmtp of the subscriber's payload type, as it offered it */
  assert_non_null(strstr(
      a, "a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"));
  assert_non_null(strstr(a, "a=fmtp:111 minptime=10;useinbandfec=1\r\n"));
  assert_non_null(strstr(a, "a=rtcp-fb:108 nack\r\n"));
  assert_non_null(strstr(a, "a=rtcp-fb:108 nack pli\r\n"));
  assert_non_null(strstr(a, "a=rtcp-fb:108 ccm fir\r\n"));
  assert_non_null(strstr(a, "a=rtcp-fb:108 goog-remb\r\n"));
  /* the sender's stream, track and SSRCs */
  assert_non_null(strstr(a, "a=msid:p-cand-camera p-cand-camera-video\r\n"));
  assert_non_null(strstr(a, "a=msid:p-cand-camera p-cand-camera-audio\r\n"));
  assert_non_null(strstr(a, "a=ssrc:305419896 cname:p-cand-camera\r\n"));
  assert_non_null(strstr(a, "a=ssrc:305419896 msid:p-cand-camera p-cand-camera-video\r\n"));
  assert_non_null(strstr(a, "a=ssrc:2271560481 cname:p-cand-camera\r\n"));
  assert_non_null(strstr(a, "a=ssrc:2271560481 msid:p-cand-camera p-cand-camera-audio\r\n"));
  /* no RTX, no transport-cc, no other codec */
  assert_null(strstr(a, "rtx/"));
  assert_null(strstr(a, "transport-cc"));
  assert_null(strstr(a, "VP8"));
  assert_int_equal(count(a, "a=rtpmap:"), 2);
  /* each section as GstSDP reads it */
  const GstSDPMedia *video = gst_sdp_message_get_media(msg, 1);
  assert_string_equal(gst_sdp_media_get_attribute_val(video, "mid"), "1");
  assert_non_null(gst_sdp_media_get_attribute_val(video, "sendonly"));
  assert_int_equal(gst_sdp_media_formats_len(video), 1);
  ims_negotiation_clear(&n);
  ims_negotiation_clear(&publisher);
}

/* The codec is matched by name and parameters; the payload type is the
 * subscriber's own: aiortc's publisher sends H.264 as 101 and Opus as 96,
 * VP8 as 97; Chromium receives them as 108, 111 and 96. */
static void
test_codec_by_the_subscribers_payload_type(void **state)
{
  ImsNegotiation publisher = { 0 }, n = { 0 };
  g_autoptr(GError) error = NULL;
  publish(AIORTC_OFFER, 0, FALSE, &publisher);
  assert_int_equal(publisher.video.payload_type, 101);
  assert_int_equal(publisher.audio.payload_type, 96);
  assert_true(
      ims_answer_negotiate_subscriber(CHROMIUM_RECVONLY_OFFER, &publisher, &LOCAL, &n, &error));
  assert_int_equal(n.video.codec, IMS_SDP_CODEC_H264);
  assert_int_equal(n.video.payload_type, 108);
  assert_int_equal(n.audio.payload_type, 111);
  assert_non_null(strstr(n.answer, "a=rtpmap:108 H264/90000\r\n"));
  assert_null(strstr(n.answer, " 101\r\n"));
  ims_negotiation_clear(&n);
  ims_negotiation_clear(&publisher);

  publish(AIORTC_OFFER, IMS_SDP_ACCEPT_VP8, FALSE, &publisher);
  assert_int_equal(publisher.video.codec, IMS_SDP_CODEC_VP8);
  assert_int_equal(publisher.video.payload_type, 97);
  assert_true(
      ims_answer_negotiate_subscriber(CHROMIUM_RECVONLY_OFFER, &publisher, &LOCAL, &n, &error));
  assert_int_equal(n.video.codec, IMS_SDP_CODEC_VP8);
  assert_int_equal(n.video.payload_type, 96);
  assert_non_null(strstr(n.answer, "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"));
  assert_non_null(strstr(n.answer, "a=rtpmap:96 VP8/90000\r\n"));
  assert_null(strstr(n.answer, "a=fmtp:96")); /* Chromium gives VP8 no fmtp */
  assert_null(strstr(n.answer, "H264"));
  ims_negotiation_clear(&n);
  ims_negotiation_clear(&publisher);
}

/* Without the publisher's profile-level-id in the offer, a constrained
 * baseline one is taken (its fmtp in the answer), never plain baseline
 * (42001f) or main (4d001f). */
static void
test_compatible_constrained_baseline(void **state)
{
  ImsNegotiation publisher = { 0 }, n = { 0 };
  g_autoptr(GError) error = NULL;
  publish(CHROMIUM_OFFER, 0, FALSE, &publisher);
  g_autofree char *offer = replace_all(CHROMIUM_RECVONLY_OFFER, "packetization-mode=1;profile-level-id=42e01f",
                                       "packetization-mode=1;profile-level-id=42e034");
  assert_true(ims_answer_negotiate_subscriber(offer, &publisher, &LOCAL, &n, &error));
  assert_int_equal(n.video.payload_type, 108);
  assert_non_null(strstr(
      n.answer, "a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e034\r\n"));
  ims_negotiation_clear(&n);

  /* only packetization-mode 0 carries constrained baseline: no usable H.264 */
  g_autofree char *mode0 = replace_all(CHROMIUM_RECVONLY_OFFER, "packetization-mode=1;profile-level-id=42e01f",
                                       "packetization-mode=0;profile-level-id=42e01f");
  assert_false(ims_answer_negotiate_subscriber(mode0, &publisher, &LOCAL, &n, &error));
  assert_true(g_error_matches(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_BAD_SDP));
  assert_non_null(strstr(error->message, "H264"));
  assert_null(n.answer);
  ims_negotiation_clear(&publisher);
}

/* The publisher's own profile-level-id (its answer's fmtp) comes before
 * another constrained-baseline one, wherever it stands in the offer. */
static void
test_publishers_profile_first(void **state)
{
  ImsNegotiation publisher = { 0 }, n = { 0 };
  g_autoptr(GError) error = NULL;
  publish(CHROMIUM_OFFER, 0, FALSE, &publisher);
  g_autofree char *answer = replace_all(publisher.answer, "profile-level-id=42e01f",
                                        "profile-level-id=42e034");
  g_free(publisher.answer);
  publisher.answer = g_steal_pointer(&answer);
  /* 108 stays 42e01f; 114 (after it) becomes packetization-mode 1, 42e034 */
  g_autofree char *offer = replace_all(CHROMIUM_RECVONLY_OFFER,
                                       "a=fmtp:114 level-asymmetry-allowed=1;packetization-mode=0;"
                                       "profile-level-id=42e01f",
                                       "a=fmtp:114 level-asymmetry-allowed=1;packetization-mode=1;"
                                       "profile-level-id=42e034");
  assert_true(ims_answer_negotiate_subscriber(offer, &publisher, &LOCAL, &n, &error));
  assert_int_equal(n.video.payload_type, 114);
  assert_non_null(strstr(n.answer, "profile-level-id=42e034\r\n"));
  ims_negotiation_clear(&n);
  /* the receive path's own answer (42e01f) picks 108, the first of the offer's two */
  ims_negotiation_clear(&publisher);
  publish(CHROMIUM_OFFER, 0, FALSE, &publisher);
  assert_true(ims_answer_negotiate_subscriber(offer, &publisher, &LOCAL, &n, &error));
  assert_int_equal(n.video.payload_type, 108);
  ims_negotiation_clear(&n);
  ims_negotiation_clear(&publisher);
}

/* A subscriber that cannot receive the publisher's codec is refused, and
 * out stays cleared. */
static void
test_subscriber_without_the_codec_is_bad_sdp(void **state)
{
  ImsNegotiation publisher = { 0 };
  publish(CHROMIUM_OFFER, 0, FALSE, &publisher);
  g_autofree char *no_h264 = replace_all(CHROMIUM_RECVONLY_OFFER, "H264/90000", "H265/90000");
  g_autofree char *no_opus = replace_all(CHROMIUM_RECVONLY_OFFER, "opus/48000/2", "ISAC/16000");
  const char *offers[] = { no_h264, no_opus };
  for (guint i = 0; i < G_N_ELEMENTS(offers); i++) {
    ImsNegotiation n = { 0 };
    g_autoptr(GError) error = NULL;
    assert_false(ims_answer_negotiate_subscriber(offers[i], &publisher, &LOCAL, &n, &error));
    assert_true(g_error_matches(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_BAD_SDP));
    assert_non_null(strstr(error->message, i == 0 ? "video m-line 1" : "audio m-line 0"));
    assert_null(n.answer);
    assert_null(n.video.mid);
    assert_null(n.remote_ufrag);
  }
  ims_negotiation_clear(&publisher);

  /* a VP8 publisher and a subscriber without VP8 */
  publish(CHROMIUM_OFFER, IMS_SDP_ACCEPT_VP8, FALSE, &publisher);
  g_autofree char *no_vp8 = replace_all(CHROMIUM_RECVONLY_OFFER, "VP8/90000", "VP7/90000");
  ImsNegotiation n = { 0 };
  g_autoptr(GError) error = NULL;
  assert_false(ims_answer_negotiate_subscriber(no_vp8, &publisher, &LOCAL, &n, &error));
  assert_true(g_error_matches(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_BAD_SDP));
  assert_non_null(strstr(error->message, "VP8"));
  ims_negotiation_clear(&publisher);
}

/* A screen share (video only): the subscriber's audio m-line is rejected. */
static void
test_video_only_publisher(void **state)
{
  ImsNegotiation publisher = { 0 }, n = { 0 };
  g_autoptr(GError) error = NULL;
  publish(CHROMIUM_SCREEN_OFFER, 0, TRUE, &publisher);
  assert_int_equal(publisher.audio.codec, IMS_SDP_CODEC_NONE);
  ImsSubscriberLocal local = LOCAL;
  local.stream_id = "p-int-screen";
  assert_true(
      ims_answer_negotiate_subscriber(CHROMIUM_RECVONLY_OFFER, &publisher, &local, &n, &error));
  assert_int_equal(n.video.codec, IMS_SDP_CODEC_H264);
  assert_int_equal(n.video.payload_type, 108);
  assert_int_equal(n.video.mline_index, 1);
  assert_int_equal(n.audio.codec, IMS_SDP_CODEC_NONE);
  assert_null(n.audio.mid);
  assert_int_equal(n.audio.ssrc, 0);
  g_autoptr(GstSDPMessage) msg = parse_answer(n.answer, 2);
  const GstSDPMedia *audio = gst_sdp_message_get_media(msg, 0);
  assert_string_equal(gst_sdp_media_get_media(audio), "audio");
  assert_int_equal(gst_sdp_media_get_port(audio), 0);
  assert_string_equal(gst_sdp_media_get_attribute_val(audio, "mid"), "0");
  assert_non_null(strstr(n.answer, "a=group:BUNDLE 1\r\n"));
  assert_int_equal(count(n.answer, "a=sendonly\r\n"), 1);
  assert_int_equal(count(n.answer, "a=ssrc:"), 2);
  assert_null(strstr(n.answer, "opus"));
  assert_non_null(strstr(n.answer, "a=msid:p-int-screen p-int-screen-video\r\n"));
  ims_negotiation_clear(&n);
  ims_negotiation_clear(&publisher);
}

/* A publisher with audio only: the subscriber's video m-line is rejected. */
static void
test_audio_only_publisher(void **state)
{
  ImsNegotiation publisher = { 0 }, n = { 0 };
  g_autoptr(GError) error = NULL;
  publisher.audio.codec = IMS_SDP_CODEC_OPUS;
  publisher.audio.payload_type = 96;
  assert_true(
      ims_answer_negotiate_subscriber(CHROMIUM_RECVONLY_OFFER, &publisher, &LOCAL, &n, &error));
  assert_int_equal(n.audio.codec, IMS_SDP_CODEC_OPUS);
  assert_int_equal(n.audio.payload_type, 111);
  assert_int_equal(n.audio.clock_rate, 48000);
  assert_int_equal(n.video.codec, IMS_SDP_CODEC_NONE);
  g_autoptr(GstSDPMessage) msg = parse_answer(n.answer, 2);
  assert_int_equal(gst_sdp_media_get_port(gst_sdp_message_get_media(msg, 1)), 0);
  assert_non_null(strstr(n.answer, "a=group:BUNDLE 0\r\n"));
  assert_int_equal(count(n.answer, "a=sendonly\r\n"), 1);
  assert_null(strstr(n.answer, "H264"));
  ims_negotiation_clear(&n);
}

/* Audio, video, video: the second video m-line is rejected. */
static void
test_three_mline_offer(void **state)
{
  ImsNegotiation publisher = { 0 }, n = { 0 };
  g_autoptr(GError) error = NULL;
  publish(CHROMIUM_OFFER, 0, FALSE, &publisher);
  g_autofree char *offer = three_mline_offer();
  assert_true(ims_answer_negotiate_subscriber(offer, &publisher, &LOCAL, &n, &error));
  assert_int_equal(n.audio.mline_index, 0);
  assert_int_equal(n.video.mline_index, 1);
  g_autoptr(GstSDPMessage) msg = parse_answer(n.answer, 3);
  const GstSDPMedia *extra = gst_sdp_message_get_media(msg, 2);
  assert_string_equal(gst_sdp_media_get_media(extra), "video");
  assert_int_equal(gst_sdp_media_get_port(extra), 0);
  assert_string_equal(gst_sdp_media_get_attribute_val(extra, "mid"), "2");
  assert_non_null(strstr(n.answer, "a=group:BUNDLE 0 1\r\n"));
  assert_int_equal(count(n.answer, "a=sendonly\r\n"), 2);
  ims_negotiation_clear(&n);

  /* a screen share to the same offer: only its video m-line 1 is sent */
  ImsNegotiation screen = { 0 };
  publish(CHROMIUM_SCREEN_OFFER, 0, TRUE, &screen);
  assert_true(ims_answer_negotiate_subscriber(offer, &screen, &LOCAL, &n, &error));
  assert_int_equal(n.video.mline_index, 1);
  assert_int_equal(n.audio.codec, IMS_SDP_CODEC_NONE);
  assert_non_null(strstr(n.answer, "a=group:BUNDLE 1\r\n"));
  assert_int_equal(count(n.answer, " 0 UDP/TLS/RTP/SAVPF "), 2);
  ims_negotiation_clear(&n);
  ims_negotiation_clear(&screen);
  ims_negotiation_clear(&publisher);
}

/* The header extension ids in out (and in the answer) are the
 * subscriber's, not the publisher's. */
static void
test_subscribers_extension_ids(void **state)
{
  ImsNegotiation publisher = { 0 }, n = { 0 };
  g_autoptr(GError) error = NULL;
  publish(CHROMIUM_OFFER, 0, FALSE, &publisher);
  assert_int_equal(publisher.video.mid_ext_id, 4);
  assert_int_equal(publisher.video.abs_send_time_ext_id, 2);
  g_autofree char *mid9 = replace_all(CHROMIUM_RECVONLY_OFFER, "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
                                      "a=extmap:9 urn:ietf:params:rtp-hdrext:sdes:mid");
  g_autofree char *offer = replace_all(
      mid9, "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
      "a=extmap:12 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time");
  assert_true(ims_answer_negotiate_subscriber(offer, &publisher, &LOCAL, &n, &error));
  assert_int_equal(n.video.mid_ext_id, 9);
  assert_int_equal(n.audio.mid_ext_id, 9);
  assert_int_equal(n.video.abs_send_time_ext_id, 12);
  assert_int_equal(n.audio.abs_send_time_ext_id, 12);
  assert_int_equal(count(n.answer, "a=extmap:9 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"), 2);
  assert_int_equal(
      count(n.answer, "a=extmap:12 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"),
      2);
  assert_null(strstr(n.answer, "a=extmap:4 "));
  assert_null(strstr(n.answer, "a=extmap:2 "));
  ims_negotiation_clear(&n);

  /* an offer without them: none in out, none in the answer */
  g_autofree char *bare = replace_all(offer, "a=extmap:9 urn:ietf:params:rtp-hdrext:sdes:mid\r\n", "");
  assert_true(ims_answer_negotiate_subscriber(bare, &publisher, &LOCAL, &n, &error));
  assert_int_equal(n.video.mid_ext_id, 0);
  assert_null(strstr(n.answer, "sdes:mid"));
  ims_negotiation_clear(&n);
  ims_negotiation_clear(&publisher);
}

static void
test_refusals_are_bad_sdp(void **state)
{
  ImsNegotiation publisher = { 0 };
  publish(CHROMIUM_OFFER, 0, FALSE, &publisher);
  g_autofree char *no_bundle = replace_all(CHROMIUM_RECVONLY_OFFER, "a=group:BUNDLE 0 1\r\n", "");
  g_autofree char *no_mux = replace_all(CHROMIUM_RECVONLY_OFFER, "a=rtcp-mux\r\n", "");
  g_autofree char *no_fingerprint = replace_all(CHROMIUM_RECVONLY_OFFER, "a=fingerprint:", "a=x-fp:");
  g_autofree char *inactive = replace_all(CHROMIUM_RECVONLY_OFFER, "a=recvonly", "a=inactive");
  /* a publisher's own (sendonly) offer receives nothing */
  const char *offers[] = { no_bundle, no_mux, no_fingerprint, inactive, CHROMIUM_SCREEN_OFFER,
                           "v=0\r\n", "garbage", NULL };
  for (guint i = 0; i < G_N_ELEMENTS(offers); i++) {
    ImsNegotiation n = { 0 };
    g_autoptr(GError) error = NULL;
    assert_false(ims_answer_negotiate_subscriber(offers[i], &publisher, &LOCAL, &n, &error));
    assert_true(g_error_matches(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_BAD_SDP));
    assert_null(n.answer);
    assert_null(n.remote_ufrag);
    assert_null(n.video.mid);
    assert_null(n.audio.mid);
  }
  ims_negotiation_clear(&publisher);

  /* a publisher that sends nothing has nothing to answer with */
  ImsNegotiation nothing = { 0 }, n = { 0 };
  g_autoptr(GError) error = NULL;
  assert_false(
      ims_answer_negotiate_subscriber(CHROMIUM_RECVONLY_OFFER, &nothing, &LOCAL, &n, &error));
  assert_true(g_error_matches(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_BAD_SDP));
}

/* The DTLS role follows the offer's setup, and a=ice-lite is said when asked for. */
static void
test_dtls_role_and_ice_lite(void **state)
{
  ImsNegotiation publisher = { 0 }, n = { 0 };
  g_autoptr(GError) error = NULL;
  publish(CHROMIUM_OFFER, 0, FALSE, &publisher);
  g_autofree char *active = replace_all(CHROMIUM_RECVONLY_OFFER, "a=setup:actpass", "a=setup:active");
  ImsSubscriberLocal local = LOCAL;
  local.base.ice_lite = TRUE;
  assert_true(ims_answer_negotiate_subscriber(active, &publisher, &local, &n, &error));
  assert_false(n.dtls_client);
  assert_int_equal(count(n.answer, "a=setup:passive\r\n"), 2);
  assert_non_null(strstr(n.answer, "a=ice-lite\r\n"));
  ims_negotiation_clear(&n);
  ims_negotiation_clear(&publisher);
}

int
main(void)
{
  gst_init(NULL, NULL);
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_camera_to_chromium_subscriber),
    cmocka_unit_test(test_codec_by_the_subscribers_payload_type),
    cmocka_unit_test(test_compatible_constrained_baseline),
    cmocka_unit_test(test_publishers_profile_first),
    cmocka_unit_test(test_subscriber_without_the_codec_is_bad_sdp),
    cmocka_unit_test(test_video_only_publisher),
    cmocka_unit_test(test_audio_only_publisher),
    cmocka_unit_test(test_three_mline_offer),
    cmocka_unit_test(test_subscribers_extension_ids),
    cmocka_unit_test(test_refusals_are_bad_sdp),
    cmocka_unit_test(test_dtls_role_and_ice_lite),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
