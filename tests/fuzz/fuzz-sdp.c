/* fuzz-sdp.c: libFuzzer target for pipelines/sdp.c (the candidate's SDP offer).
 *
 * The input is an offer as it arrives in an "offer" message (text; a NUL ends it, as json-glib's
 * strings do).  ims_sdp_choose_codecs() must never crash; an accepted offer must name a video codec it
 * accepts (H.264 or VP8; only VP8 when only VP8 is accepted), Opus audio, payload types 0..127 and caps;
 * a refusal must be IMS_INGEST_ERROR_BAD_SDP with a message.  Whatever gst_sdp parses also goes through
 * ims_sdp_unify_bundle_transport(), which must be idempotent (a second pass changes nothing), and the
 * text through ims_sdp_add_video_start_bitrate(), which must always answer.
 */
#include <glib.h>
#include <gst/gst.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "take-result.h"
#include "sdp.h"

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
  if (choice.video.payload_type < 0 || choice.video.payload_type > 127 || choice.audio.payload_type < 0 ||
      choice.audio.payload_type > 127 || !choice.video.caps || !choice.audio.caps ||
      choice.video.mline_index == choice.audio.mline_index)
    abort();
  ims_sdp_offer_choice_clear(&choice);
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

  /* gst_sdp_message_new_from_text() keeps the message it allocated when parsing fails, and refuses
   * an empty text with a g_critical: the ingest only gets here with text ims_sdp_choose_codecs() parsed. */
  GstSDPMessage *msg = NULL;
  if (text[0] != '\0' && gst_sdp_message_new_from_text(text, &msg) == GST_SDP_OK) {
    ims_sdp_unify_bundle_transport(msg);
    if (ims_sdp_unify_bundle_transport(msg) != 0)
      abort();
    g_autofree char *unified = gst_sdp_message_as_text(msg);
    if (!unified)
      abort();
    check_choice(unified, 0);
  }
  if (msg)
    gst_sdp_message_free(msg);

  g_autofree char *munged = ims_sdp_add_video_start_bitrate(text, 2500);
  if (!munged)
    abort();
  return 0;
}
