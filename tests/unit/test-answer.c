/* Unit tests for pipelines/ingest/answer.c: real offers (Chromium, aiortc)
 * in, the receive path's answer and agreed parameters out. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <gst/gst.h>
#include <gst/sdp/sdp.h>

#include "answer.h"
#include "answer-test.h"
#include "take-result.h"
#include "sdp-offers-room.h"
#include "sdp-offers.h"

static const ImsAnswerLocal LOCAL = {
  .ice_ufrag = "imsdufrag",
  .ice_pwd = "imsd-ice-password-0123456789",
  .fingerprint = "sha-256 01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:"
                 "01:23:45:67:89:AB:CD:EF",
  .prefer_dtls_client = TRUE,
  .video_start_kbps = 1500,
};

static void
test_chromium_offer(void **state)
{
  ImsNegotiation n = { 0 };
  g_autoptr(GError) error = NULL;
  assert_true(ims_answer_negotiate(CHROMIUM_OFFER, 0, &LOCAL, &n, &error));

  assert_string_equal(n.remote_ufrag, "pS+l");
  assert_string_equal(n.remote_pwd, "lOMlv1vTC1SJL7b3vCvqAJE5");
  assert_true(g_str_has_prefix(n.remote_fingerprint, "sha-256 AF:6B:75"));
  assert_true(n.dtls_client); /* actpass offer, imsd prefers client */
  assert_int_equal(n.remote_candidates->len, 1);
  assert_true(
      g_str_has_prefix(g_ptr_array_index(n.remote_candidates, 0), "candidate:1932031474 1 udp"));

  assert_int_equal(n.video.codec, IMS_SDP_CODEC_H264);
  assert_int_equal(n.video.payload_type, 108); /* 42e01f packetization-mode 1 */
  assert_int_equal(n.video.clock_rate, 90000);
  assert_string_equal(n.video.mid, "1");
  assert_int_equal(n.video.ssrc, 1801411905u); /* the FID group's media SSRC, not RTX */
  assert_int_equal(n.video.mid_ext_id, 4);
  assert_int_equal(n.video.abs_send_time_ext_id, 2);
  assert_true(n.video.nack && n.video.pli && n.video.fir && n.video.remb);
  assert_int_equal(n.audio.codec, IMS_SDP_CODEC_OPUS);
  assert_int_equal(n.audio.payload_type, 111);
  assert_int_equal(n.audio.clock_rate, 48000);
  assert_int_equal(n.audio.ssrc, 2824452190u);
  assert_false(n.audio.remb);

  const char *a = n.answer;
  g_autoptr(GstSDPMessage) msg = parse_answer(a, 2);
  assert_non_null(strstr(a, "a=group:BUNDLE 0 1\r\n"));
  assert_non_null(strstr(a, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"));
  assert_non_null(strstr(a, "m=video 9 UDP/TLS/RTP/SAVPF 108\r\n"));
  assert_int_equal(count(a, "a=recvonly\r\n"), 2);
  assert_int_equal(count(a, "a=rtcp-mux\r\n"), 2);
  assert_int_equal(count(a, "a=setup:active\r\n"), 2);
  assert_int_equal(count(a, "a=ice-ufrag:imsdufrag\r\n"), 2);
  assert_int_equal(count(a, LOCAL.fingerprint), 2);
  assert_non_null(strstr(a, "a=rtcp-fb:108 goog-remb\r\n"));
  assert_non_null(strstr(a, "a=rtcp-fb:108 nack pli\r\n"));
  assert_non_null(
      strstr(a, "packetization-mode=1;profile-level-id=42e01f;x-google-start-bitrate=1500"));
  assert_non_null(strstr(a, "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"));
  /* no transport-cc and no RTX: REMB steers the bitrate, retransmissions keep the SSRC */
  assert_null(strstr(a, "transport-cc"));
  assert_null(strstr(a, "transport-wide-cc"));
  assert_null(strstr(a, "rtx/"));
  assert_null(strstr(a, "a=ice-lite"));
  ims_negotiation_clear(&n);
}

static void
test_vp8_when_the_profile_asks(void **state)
{
  ImsNegotiation n = { 0 };
  g_autoptr(GError) error = NULL;
  assert_true(ims_answer_negotiate(CHROMIUM_OFFER, IMS_SDP_ACCEPT_VP8, &LOCAL, &n, &error));
  assert_int_equal(n.video.codec, IMS_SDP_CODEC_VP8);
  assert_int_equal(n.video.payload_type, 96);
  assert_non_null(strstr(n.answer, "a=rtpmap:96 VP8/90000\r\n"));
  assert_non_null(strstr(n.answer, "a=fmtp:96 x-google-start-bitrate=1500\r\n"));
  ims_negotiation_clear(&n);
}

/* aiortc: BUNDLE with a ufrag per m-line and candidates in the SDP; the
 * bundle's transport is the first m-line's. */
static void
test_aiortc_offer(void **state)
{
  ImsNegotiation n = { 0 };
  g_autoptr(GError) error = NULL;
  assert_true(ims_answer_negotiate(AIORTC_OFFER, 0, &LOCAL, &n, &error));
  assert_string_equal(n.remote_ufrag, "TT2Y");
  assert_string_equal(n.remote_pwd, "o3FcRGABm6mqcEc3261hWM");
  assert_int_equal(n.remote_candidates->len, 2);
  assert_non_null(strstr(g_ptr_array_index(n.remote_candidates, 0), "192.0.2.2 54547 typ host"));
  assert_int_equal(n.video.codec, IMS_SDP_CODEC_H264);
  assert_int_equal(n.video.payload_type, 101);
  assert_int_equal(n.video.ssrc, 949949380u);
  assert_int_equal(n.audio.payload_type, 96);
  assert_int_equal(n.audio.ssrc, 108853901u);
  g_autoptr(GstSDPMessage) msg = parse_answer(n.answer, 2);
  assert_non_null(strstr(n.answer, "a=group:BUNDLE 0 1\r\n"));
  assert_non_null(strstr(n.answer, "m=video 9 UDP/TLS/RTP/SAVPF 101\r\n"));
  ims_negotiation_clear(&n);
}

static void
test_dtls_role_follows_the_offer(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *active = replace_all(CHROMIUM_OFFER, "a=setup:actpass", "a=setup:active");
  g_autofree char *passive = replace_all(CHROMIUM_OFFER, "a=setup:actpass", "a=setup:passive");
  ImsNegotiation n = { 0 };
  assert_true(ims_answer_negotiate(active, 0, &LOCAL, &n, &error));
  assert_false(n.dtls_client);
  assert_int_equal(count(n.answer, "a=setup:passive\r\n"), 2);
  ims_negotiation_clear(&n);
  assert_true(ims_answer_negotiate(passive, 0, &LOCAL, &n, &error));
  assert_true(n.dtls_client);
  ims_negotiation_clear(&n);
  ImsAnswerLocal server = LOCAL;
  server.prefer_dtls_client = FALSE;
  server.ice_lite = TRUE;
  assert_true(ims_answer_negotiate(CHROMIUM_OFFER, 0, &server, &n, &error));
  assert_false(n.dtls_client);
  assert_non_null(strstr(n.answer, "a=ice-lite\r\n"));
  ims_negotiation_clear(&n);
}

/* Firefox puts the fingerprint at session level. */
static void
test_session_level_transport_attributes(void **state)
{
  g_autoptr(GError) error = NULL;
  const char *fp = "a=fingerprint:sha-256 AF:6B:75:C1:BB:6E:77:46:1B:BB:45:52:56:28:02:EC:88:B6:B9:42:"
                   "C3:3B:22:74:7F:9F:5C:D6:FC:E2:05:EA\r\n";
  g_autofree char *without = replace_all(CHROMIUM_OFFER, fp, "");
  g_autofree char *session_level = replace_all(
      without, "a=extmap-allow-mixed\r\n",
      "a=extmap-allow-mixed\r\n"
      "a=fingerprint:sha-256 AF:6B:75:C1:BB:6E:77:46:1B:BB:45:"
      "52:56:28:02:EC:88:B6:B9:42:C3:3B:22:74:7F:9F:5C:D6:FC:E2:05:EA\r\n");
  ImsNegotiation n = { 0 };
  assert_true(ims_answer_negotiate(session_level, 0, &LOCAL, &n, &error));
  assert_true(g_str_has_prefix(n.remote_fingerprint, "sha-256 AF:6B:75"));
  ims_negotiation_clear(&n);
  /* no fingerprint at all: refused */
  assert_false(ims_answer_negotiate(without, 0, &LOCAL, &n, &error));
  assert_int_equal(error->code, IMS_INGEST_ERROR_BAD_SDP);
  assert_null(n.answer);
}

static void
test_refusals_are_bad_sdp(void **state)
{
  g_autofree char *no_bundle = replace_all(CHROMIUM_OFFER, "a=group:BUNDLE 0 1\r\n", "");
  g_autofree char *no_mux = replace_all(CHROMIUM_OFFER, "a=rtcp-mux\r\n", "");
  const char *offers[] = { no_bundle, no_mux, "v=0\r\n", "garbage" };
  for (guint i = 0; i < G_N_ELEMENTS(offers); i++) {
    ImsNegotiation n = { 0 };
    g_autoptr(GError) error = NULL;
    assert_false(ims_answer_negotiate(offers[i], 0, &LOCAL, &n, &error));
    assert_true(g_error_matches(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_BAD_SDP));
    assert_null(n.answer);
    assert_null(n.remote_ufrag);
  }
}

/* A data channel (or any other m-line) is answered with port 0 and stays
 * out of the bundle. */
static void
test_other_mlines_are_rejected(void **state)
{
  g_autofree char *bundle3 = replace_all(CHROMIUM_OFFER, "a=group:BUNDLE 0 1",
                                         "a=group:BUNDLE 0 1 2");
  g_autofree char *offer = g_strconcat(bundle3,
                                       "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
                                       "c=IN IP4 0.0.0.0\r\n"
                                       "a=mid:2\r\n"
                                       "a=sctp-port:5000\r\n",
                                       NULL);
  ImsNegotiation n = { 0 };
  g_autoptr(GError) error = NULL;
  assert_true(ims_answer_negotiate(offer, 0, &LOCAL, &n, &error));
  g_autoptr(GstSDPMessage) msg = parse_answer(n.answer, 3);
  const GstSDPMedia *data = gst_sdp_message_get_media(msg, 2);
  assert_string_equal(gst_sdp_media_get_media(data), "application");
  assert_int_equal(gst_sdp_media_get_port(data), 0);
  assert_string_equal(gst_sdp_media_get_attribute_val(data, "mid"), "2");
  assert_non_null(strstr(n.answer, "a=group:BUNDLE 0 1\r\n"));
  ims_negotiation_clear(&n);
}

/* A screen share (Chromium: one sendonly video track, no audio m-line) is
 * refused by default: the one-way interview needs both tracks. */
static void
test_video_only_refused_by_default(void **state)
{
  ImsNegotiation n = { 0 };
  g_autoptr(GError) error = NULL;
  assert_false(ims_answer_negotiate(CHROMIUM_SCREEN_OFFER, 0, &LOCAL, &n, &error));
  assert_true(g_error_matches(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_BAD_SDP));
  assert_non_null(strstr(error->message, "audio"));
  assert_null(n.answer);
}

/* With allow_video_only it is accepted: one recvonly video m-line, audio NONE. */
static void
test_video_only_screen_share(void **state)
{
  ImsAnswerLocal screen = LOCAL;
  screen.allow_video_only = TRUE;
  ImsNegotiation n = { 0 };
  g_autoptr(GError) error = NULL;
  assert_true(ims_answer_negotiate(CHROMIUM_SCREEN_OFFER, 0, &screen, &n, &error));
  assert_int_equal(n.video.codec, IMS_SDP_CODEC_H264);
  assert_int_equal(n.video.payload_type, 108);
  assert_int_equal(n.video.mline_index, 0);
  assert_string_equal(n.video.mid, "0");
  assert_int_equal(n.video.ssrc, 2969993862u);
  assert_int_equal(n.video.mid_ext_id, 9);
  assert_int_equal(n.audio.codec, IMS_SDP_CODEC_NONE);
  assert_null(n.audio.mid);
  assert_int_equal(n.audio.ssrc, 0);
  assert_string_equal(n.remote_ufrag, "XEeK");
  assert_true(g_str_has_prefix(n.remote_fingerprint, "sha-256 8E:D6:66"));
  g_autoptr(GstSDPMessage) msg = parse_answer(n.answer, 1);
  assert_non_null(strstr(n.answer, "a=group:BUNDLE 0\r\n"));
  assert_non_null(strstr(n.answer, "m=video 9 UDP/TLS/RTP/SAVPF 108\r\n"));
  assert_int_equal(count(n.answer, "a=recvonly\r\n"), 1);
  assert_null(strstr(n.answer, "m=audio"));
  assert_null(strstr(n.answer, "opus"));
  ims_negotiation_clear(&n);

  /* the flag takes audio when there is one: a camera offer is unchanged */
  assert_true(ims_answer_negotiate(CHROMIUM_OFFER, 0, &screen, &n, &error));
  assert_int_equal(n.audio.codec, IMS_SDP_CODEC_OPUS);
  assert_int_equal(n.audio.payload_type, 111);
  assert_non_null(strstr(n.answer, "a=group:BUNDLE 0 1\r\n"));
  ims_negotiation_clear(&n);

  /* an audio m-line without Opus is still refused, and so is no video */
  g_autofree char *no_opus = replace_all(CHROMIUM_OFFER, "opus/48000/2", "ISAC/16000");
  assert_false(ims_answer_negotiate(no_opus, 0, &screen, &n, &error));
  assert_true(g_error_matches(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_BAD_SDP));
  g_clear_error(&error);
  const char *video = strstr(CHROMIUM_OFFER, "m=video");
  g_autofree char *audio_only = g_strndup(CHROMIUM_OFFER, video - CHROMIUM_OFFER);
  assert_false(ims_answer_negotiate(audio_only, 0, &screen, &n, &error));
  assert_true(g_error_matches(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_BAD_SDP));
  assert_null(n.answer);
}

/* A screen share whose video is not the first m-line: the m-line before it
 * (a data channel here) is rejected, not taken for the missing audio. */
static void
test_video_only_after_another_mline(void **state)
{
  ImsAnswerLocal screen = LOCAL;
  screen.allow_video_only = TRUE;
  const char *video = strstr(CHROMIUM_SCREEN_OFFER, "m=video");
  g_autofree char *session = g_strndup(CHROMIUM_SCREEN_OFFER, video - CHROMIUM_SCREEN_OFFER);
  g_autofree char *offer = g_strconcat(session,
                                       "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
                                       "c=IN IP4 0.0.0.0\r\n"
                                       "a=mid:1\r\n"
                                       "a=sctp-port:5000\r\n",
                                       video, NULL);
  ImsNegotiation n = { 0 };
  g_autoptr(GError) error = NULL;
  assert_true(ims_answer_negotiate(offer, 0, &screen, &n, &error));
  assert_int_equal(n.video.mline_index, 1);
  assert_int_equal(n.audio.codec, IMS_SDP_CODEC_NONE);
  g_autoptr(GstSDPMessage) msg = parse_answer(n.answer, 2);
  const GstSDPMedia *data = gst_sdp_message_get_media(msg, 0);
  assert_string_equal(gst_sdp_media_get_media(data), "application");
  assert_int_equal(gst_sdp_media_get_port(data), 0);
  assert_string_equal(gst_sdp_media_get_media(gst_sdp_message_get_media(msg, 1)), "video");
  assert_null(strstr(n.answer, "m=audio"));
  ims_negotiation_clear(&n);
}

/* [media] public_ip: a host candidate's public twin, as libnice writes its lines (priorities
 * of libnice 0.1.21: host UDP 120 << 24 | ..., host TCP 60 << 24 | ...). */
static void
test_public_twin_of_host_candidates(void **state)
{
  g_autofree char *udp = ims_answer_public_candidate(
      "candidate:1 1 UDP 2015363327 10.0.0.5 50000 typ host", "203.0.113.7");
  /* type preference 120 -> 100 (srflx), the low 24 bits kept: 100 << 24 | 2097407 */
  assert_string_equal(udp, "candidate:p1 1 UDP 1679819007 203.0.113.7 50000 typ srflx "
                           "raddr 10.0.0.5 rport 50000");
  g_autofree char *tcp = ims_answer_public_candidate(
      "candidate:7 1 TCP 1015023871 10.0.0.5 45001 typ host tcptype passive", "203.0.113.7");
  /* 60 -> 50: still below every UDP candidate */
  assert_string_equal(tcp, "candidate:p7 1 TCP 847251711 203.0.113.7 45001 typ srflx "
                           "raddr 10.0.0.5 rport 45001 tcptype passive");
  g_autofree char *v6 = ims_answer_public_candidate(
      "candidate:3 1 UDP 2015363327 fd00::5 50002 typ host", "2001:db8::7");
  assert_string_equal(v6, "candidate:p3 1 UDP 1679819007 2001:db8::7 50002 typ srflx "
                          "raddr fd00::5 rport 50002");
}

static void
test_no_public_twin(void **state)
{
  const char *host = "candidate:1 1 UDP 2015363327 10.0.0.5 50000 typ host";
  /* no public address */
  assert_null(ims_answer_public_candidate(host, NULL));
  assert_null(ims_answer_public_candidate(host, ""));
  /* another address family than the public address's */
  assert_null(ims_answer_public_candidate(host, "2001:db8::7"));
  assert_null(ims_answer_public_candidate("candidate:3 1 UDP 2015363327 fd00::5 50002 typ host",
                                          "203.0.113.7"));
  /* not a host candidate, an active TCP one (port 9: it never listens), not a line */
  assert_null(ims_answer_public_candidate(
      "candidate:2 1 UDP 1679819007 198.51.100.1 50000 typ srflx raddr 10.0.0.5 rport 50000",
      "203.0.113.7"));
  assert_null(ims_answer_public_candidate(
      "candidate:5 1 TCP 1019218175 10.0.0.5 9 typ host tcptype active", "203.0.113.7"));
  assert_null(
      ims_answer_public_candidate("candidate:1 1 UDP 2015363327 10.0.0.5 50000", "203.0.113.7"));
  assert_null(
      ims_answer_public_candidate("candidate:1 1 UDP x 10.0.0.5 50000 typ host", "203.0.113.7"));
  assert_null(
      ims_answer_public_candidate("1 1 UDP 2015363327 10.0.0.5 50000 typ host", "203.0.113.7"));
  assert_null(ims_answer_public_candidate(NULL, "203.0.113.7"));
}

int
main(void)
{
  gst_init(NULL, NULL);
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_chromium_offer),
    cmocka_unit_test(test_vp8_when_the_profile_asks),
    cmocka_unit_test(test_aiortc_offer),
    cmocka_unit_test(test_dtls_role_follows_the_offer),
    cmocka_unit_test(test_session_level_transport_attributes),
    cmocka_unit_test(test_refusals_are_bad_sdp),
    cmocka_unit_test(test_other_mlines_are_rejected),
    cmocka_unit_test(test_video_only_refused_by_default),
    cmocka_unit_test(test_video_only_screen_share),
    cmocka_unit_test(test_video_only_after_another_mline),
    cmocka_unit_test(test_public_twin_of_host_candidates),
    cmocka_unit_test(test_no_public_twin),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
