/* fuzz-sdp.c: libFuzzer target for pipelines/sdp.c and pipelines/ingest/answer.c (the candidate's
 * SDP offer).
 *
 * The input is an offer as it arrives in an "offer" message (text; a NUL ends it, as json-glib's
 * strings do).  ims_sdp_choose_codecs() must never crash; an accepted offer must name a video codec it
 * accepts (H.264 or VP8; only VP8 when only VP8 is accepted), Opus audio, payload types 0..127 and caps;
 * a refusal must be IMS_INGEST_ERROR_BAD_SDP with a message.  The same text goes through the
 * receiver's negotiation, ims_answer_negotiate(), with the same contract for a refusal; an accepted
 * one must give an SDP answer and the remote ICE credentials and fingerprint.  It goes through the
 * screen share's negotiation (allow_video_only) and, as a live room subscriber's offer, through
 * ims_answer_negotiate_subscriber() against a camera publisher (H.264 + Opus), with the same
 * contract; an accepted subscriber answer carries at least one track, with the sender's SSRC.
 */
#include <glib.h>
#include <gst/gst.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "answer-send.h"
#include "answer.h"
#include "sdp.h"
#include "take-result.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_choice(const char *text, guint video_codecs)
{
  ImsSdpOfferChoice choice = { 0 };
  g_autoptr(GError) error = NULL;
  if (!ims_sdp_choose_codecs(text, video_codecs, &choice, &error)) {
    if (!g_error_matches(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_BAD_SDP) || !error->message[0])
      abort();
    if (choice.video.caps || choice.audio.caps)
      abort();
    return;
  }
  if (choice.video.codec != IMS_SDP_CODEC_H264 && choice.video.codec != IMS_SDP_CODEC_VP8)
    abort();
  if (video_codecs == IMS_SDP_ACCEPT_VP8 && choice.video.codec != IMS_SDP_CODEC_VP8)
    abort();
  if (choice.audio.codec != IMS_SDP_CODEC_OPUS)
    abort();
  if (choice.video.payload_type < 0 || choice.video.payload_type > 127 ||
      choice.audio.payload_type < 0 || choice.audio.payload_type > 127 || !choice.video.caps ||
      !choice.audio.caps || choice.video.mline_index == choice.audio.mline_index)
    abort();
  ims_sdp_offer_choice_clear(&choice);
}

static gboolean
is_bad_sdp(const GError *error)
{
  return g_error_matches(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_BAD_SDP) && error->message[0];
}

static gboolean
answer_is_sane(const ImsNegotiation *negotiation)
{
  return negotiation->answer && g_str_has_prefix(negotiation->answer, "v=0") &&
         negotiation->remote_ufrag && negotiation->remote_pwd && negotiation->remote_fingerprint;
}

/* The receive path's negotiation of text: a sane answer, or BAD_SDP. */
static void
check_negotiation(const char *text, const ImsAnswerLocal *local)
{
  ImsNegotiation negotiation = { 0 };
  g_autoptr(GError) error = NULL;
  if (ims_answer_negotiate(text, 0, local, &negotiation, &error)) {
    if (!answer_is_sane(&negotiation) || negotiation.video.codec == IMS_SDP_CODEC_NONE ||
        (!local->allow_video_only && negotiation.audio.codec == IMS_SDP_CODEC_NONE))
      abort();
    ims_negotiation_clear(&negotiation);
  } else if (!is_bad_sdp(error)) {
    abort();
  }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static gboolean initialized;
  if (!initialized) {
    gst_init(NULL, NULL);
    initialized = TRUE;
  }
  g_autofree char *text = g_strndup(size > 0 ? (const char *) data : "", size);

  check_choice(text, 0);
  check_choice(text, IMS_SDP_ACCEPT_VP8);

  static const ImsAnswerLocal local = {
    .ice_ufrag = "fuzz",
    .ice_pwd = "fuzzfuzzfuzzfuzzfuzzfuzz",
    .fingerprint = "sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
                   "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF",
    .prefer_dtls_client = TRUE,
    .video_start_kbps = 2500,
  };
  check_negotiation(text, &local);
  ImsAnswerLocal screen = local;
  screen.allow_video_only = TRUE;
  check_negotiation(text, &screen);

  ImsNegotiation publisher = { 0 };
  publisher.video.codec = IMS_SDP_CODEC_H264;
  publisher.video.payload_type = 102;
  publisher.audio.codec = IMS_SDP_CODEC_OPUS;
  publisher.audio.payload_type = 111;
  const ImsSubscriberLocal subscriber = {
    .base = local, .video_ssrc = 11, .audio_ssrc = 22, .stream_id = "fuzz-camera"
  };
  ImsNegotiation out = { 0 };
  g_autoptr(GError) error = NULL;
  if (ims_answer_negotiate_subscriber(text, &publisher, &subscriber, &out, &error)) {
    if (!answer_is_sane(&out) || (out.video.codec == IMS_SDP_CODEC_NONE &&
                                  out.audio.codec == IMS_SDP_CODEC_NONE) ||
        (out.video.codec != IMS_SDP_CODEC_NONE && out.video.ssrc != 11) ||
        (out.audio.codec != IMS_SDP_CODEC_NONE && out.audio.ssrc != 22))
      abort();
    ims_negotiation_clear(&out);
  } else if (!is_bad_sdp(error) || out.answer) {
    abort();
  }
  return 0;
}
