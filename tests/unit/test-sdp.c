/* test-sdp: unit tests for pipelines/sdp.c (codec choice from real
 * Chromium and aiortc offers, the chosen caps, bad input). */
#define G_LOG_DOMAIN "imsd.test-sdp"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <gst/gst.h>

#include "take-result.h"
#include "sdp.h"
#include "sdp-offers.h"

/* Captured from Chromium 156 (fake devices, max-bundle, sendonly camera +
 * microphone); AV1, some VP9/H.264 variants, RED/ULPFEC trimmed. */

/* Replaces every occurrence of from with to (test helper). */
static char *
replace_all(const char *text, const char *from, const char *to)
{
  g_auto(GStrv) parts = g_strsplit(text, from, -1);
  return g_strjoinv(to, parts);
}

/* Drops every line of text that contains needle. */
static char *
drop_lines(const char *text, const char *needle)
{
  g_auto(GStrv) lines = g_strsplit(text, "\r\n", -1);
  GString *out = g_string_new(NULL);
  for (guint i = 0; lines[i] != NULL; i++) {
    if (lines[i][0] == '\0' || strstr(lines[i], needle) != NULL)
      continue;
    g_string_append_printf(out, "%s\r\n", lines[i]);
  }
  return g_string_free(out, FALSE);
}

static void
test_chromium_offer_prefers_h264_42e01f(void **state)
{
  ImsSdpOfferChoice choice = { 0 };
  g_autoptr(GError) error = NULL;
  assert_true(ims_sdp_choose_codecs(CHROMIUM_OFFER, 0, &choice, &error));
  assert_null(error);
  assert_int_equal(choice.video.codec, IMS_SDP_CODEC_H264);
  assert_int_equal(choice.video.payload_type, 108);
  assert_int_equal(choice.video.mline_index, 1);
  assert_int_equal(choice.video.transport_cc_ext_id, 3);
  assert_int_equal(choice.audio.codec, IMS_SDP_CODEC_OPUS);
  assert_int_equal(choice.audio.payload_type, 111);
  assert_int_equal(choice.audio.mline_index, 0);
  assert_false(choice.video_first);

  const GstStructure *v = gst_caps_get_structure(choice.video.caps, 0);
  assert_string_equal(gst_structure_get_name(v), "application/x-rtp");
  assert_string_equal(gst_structure_get_string(v, "encoding-name"), "H264");
  /* GstSDP turns profile-level-id=42e01f into profile=constrained-baseline */
  assert_string_equal(gst_structure_get_string(v, "profile"), "constrained-baseline");
  /* ... and the chooser puts the exact value back for the answer */
  assert_string_equal(gst_structure_get_string(v, "profile-level-id"), "42e01f");
  assert_string_equal(gst_structure_get_string(v, "packetization-mode"), "1");
  assert_string_equal(gst_structure_get_string(v, "extmap-3"), IMS_SDP_TRANSPORT_CC_URI);
  int pt = 0;
  assert_true(gst_structure_get_int(v, "payload", &pt));
  assert_int_equal(pt, 108);
  gboolean flag = FALSE;
  assert_true(gst_structure_get_boolean(v, "rtcp-fb-nack", &flag) && flag);
  assert_true(gst_structure_get_boolean(v, "rtcp-fb-nack-pli", &flag) && flag);
  assert_true(gst_structure_get_boolean(v, "rtcp-fb-transport-cc", &flag) && flag);

  const GstStructure *a = gst_caps_get_structure(choice.audio.caps, 0);
  assert_string_equal(gst_structure_get_string(a, "encoding-name"), "OPUS");
  assert_string_equal(gst_structure_get_string(a, "extmap-3"), IMS_SDP_TRANSPORT_CC_URI);
  assert_true(gst_structure_get_int(a, "payload", &pt));
  assert_int_equal(pt, 111);

  ims_sdp_offer_choice_clear(&choice);
  assert_null(choice.video.caps);
  assert_int_equal(choice.video.codec, IMS_SDP_CODEC_NONE);
}

static void
test_other_h264_before_vp8(void **state)
{
  /* Without 42e01f the 42001f packetization-mode=1 entry (pt 102) wins over VP8. */
  g_autofree char *offer = drop_lines(CHROMIUM_OFFER, ":108 ");
  ImsSdpOfferChoice choice = { 0 };
  assert_true(ims_sdp_choose_codecs(offer, 0, &choice, NULL));
  assert_int_equal(choice.video.codec, IMS_SDP_CODEC_H264);
  assert_int_equal(choice.video.payload_type, 102);
  ims_sdp_offer_choice_clear(&choice);
}

static void
test_vp8_when_no_h264(void **state)
{
  g_autofree char *offer = drop_lines(CHROMIUM_OFFER, "H264/90000");
  ImsSdpOfferChoice choice = { 0 };
  assert_true(ims_sdp_choose_codecs(offer, 0, &choice, NULL));
  assert_int_equal(choice.video.codec, IMS_SDP_CODEC_VP8);
  assert_int_equal(choice.video.payload_type, 96);
  assert_string_equal(ims_sdp_codec_name(choice.video.codec), "VP8");
  ims_sdp_offer_choice_clear(&choice);
}

static void
test_no_transport_cc_extmap(void **state)
{
  g_autofree char *offer = drop_lines(CHROMIUM_OFFER, "transport-wide-cc");
  ImsSdpOfferChoice choice = { 0 };
  assert_true(ims_sdp_choose_codecs(offer, 0, &choice, NULL));
  assert_int_equal(choice.video.transport_cc_ext_id, 0);
  assert_null(gst_structure_get_string(gst_caps_get_structure(choice.video.caps, 0), "extmap-3"));
  ims_sdp_offer_choice_clear(&choice);
}

static void
assert_bad_sdp(const char *text)
{
  ImsSdpOfferChoice choice = { 0 };
  g_autoptr(GError) error = NULL;
  assert_false(ims_sdp_choose_codecs(text, 0, &choice, &error));
  assert_non_null(error);
  assert_true(g_error_matches(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_BAD_SDP));
  assert_null(choice.video.caps);
  assert_null(choice.audio.caps);
}

static void
test_garbage_is_bad_sdp(void **state)
{
  assert_bad_sdp(NULL);
  assert_bad_sdp("");
  assert_bad_sdp("hello world");
  assert_bad_sdp("{\"type\":\"offer\"}");
  assert_bad_sdp("v=0\r\n");
  assert_bad_sdp("v=0\r\nm=video\r\nm=audio x y z\r\na=rtpmap:\r\na=fmtp:999999999999 x\r\n");
  assert_bad_sdp("v=0\nm=video 9 UDP/TLS/RTP/SAVPF 96\na=rtpmap:96\nm=audio 9 RTP/AVP 111\n");
  /* truncated offers must not crash whatever the cut */
  gsize len = strlen(CHROMIUM_OFFER);
  for (gsize cut = 0; cut < len; cut += 97) {
    g_autofree char *part = g_strndup(CHROMIUM_OFFER, cut);
    ImsSdpOfferChoice choice = { 0 };
    g_autoptr(GError) error = NULL;
    if (ims_sdp_choose_codecs(part, 0, &choice, &error))
      ims_sdp_offer_choice_clear(&choice);
    else
      assert_true(g_error_matches(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_BAD_SDP));
  }
}

static void
test_no_usable_codec(void **state)
{
  /* video without H.264 (packetization-mode 1) or VP8 */
  g_autofree char *no_h264 = drop_lines(CHROMIUM_OFFER, "H264/90000");
  g_autofree char *no_video_codec = drop_lines(no_h264, "VP8/90000");
  assert_bad_sdp(no_video_codec);
  /* only packetization-mode=0 H.264 */
  g_autofree char *pm0 = replace_all(CHROMIUM_OFFER, "packetization-mode=1", "packetization-mode=0");
  g_autofree char *pm0_no_vp8 = drop_lines(pm0, "VP8/90000");
  assert_bad_sdp(pm0_no_vp8);
  /* audio without Opus */
  g_autofree char *no_opus = drop_lines(CHROMIUM_OFFER, "opus/48000");
  assert_bad_sdp(no_opus);
  /* audio only */
  g_autofree char *audio_only = replace_all(CHROMIUM_OFFER, "m=video", "m=text");
  assert_bad_sdp(audio_only);
}

static void
test_accepted_video_codecs(void **state)
{
  ImsSdpOfferChoice choice = { 0 };
  g_autoptr(GError) error = NULL;

  assert_true(ims_sdp_choose_codecs(CHROMIUM_OFFER, IMS_SDP_ACCEPT_VP8, &choice, &error));
  assert_int_equal(choice.video.codec, IMS_SDP_CODEC_VP8);
  ims_sdp_offer_choice_clear(&choice);

  assert_true(ims_sdp_choose_codecs(CHROMIUM_OFFER, IMS_SDP_ACCEPT_H264, &choice, &error));
  assert_int_equal(choice.video.codec, IMS_SDP_CODEC_H264);
  ims_sdp_offer_choice_clear(&choice);

  /* an offer of VP8 only, to a profile that takes H.264 only */
  g_autofree char *vp8_only = g_strdup(CHROMIUM_OFFER);
  char *h264 = NULL;
  while ((h264 = strstr(vp8_only, "H264")))
    memcpy(h264, "XXXX", 4);
  assert_false(ims_sdp_choose_codecs(vp8_only, IMS_SDP_ACCEPT_H264, &choice, &error));
  assert_true(g_error_matches(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_BAD_SDP));
  assert_non_null(strstr(error->message, "H.264"));
}

/* Captured from aiortc 1.4.0 (Debian's python3-aiortc: VideoStreamTrack + AudioStreamTrack, createOffer):
 * BUNDLE with a different ice-ufrag / ice-pwd and its own candidates on every m-line, which
 * webrtcbin 1.22 refuses ("different ice-ufrag values in bundle"). */

static void
test_aiortc_offer_codecs(void **state)
{
  ImsSdpOfferChoice choice = { 0 };
  g_autoptr(GError) error = NULL;
  assert_true(ims_sdp_choose_codecs(AIORTC_OFFER, 0, &choice, &error));
  assert_int_equal(choice.video.codec, IMS_SDP_CODEC_H264);
  assert_int_equal(choice.video.payload_type, 101); /* 42e01f, before 99's 42001f */
  assert_int_equal(choice.audio.codec, IMS_SDP_CODEC_OPUS);
  assert_int_equal(choice.audio.payload_type, 96);
  assert_true(choice.video_first);
  ims_sdp_offer_choice_clear(&choice);
}

int
main(void)
{
  gst_init(NULL, NULL);
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_chromium_offer_prefers_h264_42e01f),
    cmocka_unit_test(test_accepted_video_codecs),
    cmocka_unit_test(test_other_h264_before_vp8),
    cmocka_unit_test(test_vp8_when_no_h264),
    cmocka_unit_test(test_no_transport_cc_extmap),
    cmocka_unit_test(test_garbage_is_bad_sdp),
    cmocka_unit_test(test_no_usable_codec),
    cmocka_unit_test(test_aiortc_offer_codecs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
