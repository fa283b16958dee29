/* sdp.c: offer inspection and codec choice for the ingest (see sdp.h).
 * Pure functions: no element, no global state. */
#define G_LOG_DOMAIN "imsd.sdp"

#include "sdp.h"

#include <string.h>

#include "take-result.h"

const char *
ims_sdp_codec_name(ImsSdpCodec codec)
{
  switch (codec) {
  case IMS_SDP_CODEC_H264:
    return "H264";
  case IMS_SDP_CODEC_VP8:
    return "VP8";
  case IMS_SDP_CODEC_OPUS:
    return "OPUS";
  default:
    return NULL;
  }
}

ImsSdpCodec
ims_sdp_codec_from_encoding_name(const char *encoding_name)
{
  if (encoding_name == NULL)
    return IMS_SDP_CODEC_NONE;
  if (g_ascii_strcasecmp(encoding_name, "H264") == 0)
    return IMS_SDP_CODEC_H264;
  if (g_ascii_strcasecmp(encoding_name, "VP8") == 0)
    return IMS_SDP_CODEC_VP8;
  if (g_ascii_strcasecmp(encoding_name, "OPUS") == 0)
    return IMS_SDP_CODEC_OPUS;
  return IMS_SDP_CODEC_NONE;
}

static void
media_choice_clear(ImsSdpMediaChoice *m)
{
  gst_clear_caps(&m->caps);
  memset(m, 0, sizeof(*m));
}

void
ims_sdp_offer_choice_clear(ImsSdpOfferChoice *choice)
{
  if (choice == NULL)
    return;
  media_choice_clear(&choice->video);
  media_choice_clear(&choice->audio);
  choice->video_first = FALSE;
}

/* Extmap id of transport-cc in this media (or the session), 0 if absent. */
static guint
find_transport_cc_ext_id(const GstSDPMessage *msg, const GstSDPMedia *media)
{
  for (int pass = 0; pass < 2; pass++) {
    guint n = pass == 0 ? gst_sdp_media_attributes_len(media) : gst_sdp_message_attributes_len(msg);
    for (guint i = 0; i < n; i++) {
      const GstSDPAttribute *attr = pass == 0 ? gst_sdp_media_get_attribute(media, i)
                                              : gst_sdp_message_get_attribute(msg, i);
      if (attr->key == NULL || attr->value == NULL || strcmp(attr->key, "extmap") != 0)
        continue;
      /* "<id>[/direction] <uri> [attributes]" */
      char *end = NULL;
      guint64 id = g_ascii_strtoull(attr->value, &end, 10);
      if (end == attr->value || id == 0 || id > 255)
        continue;
      while (*end != '\0' && *end != ' ')
        end++;
      while (*end == ' ')
        end++;
      if (g_str_has_prefix(end, IMS_SDP_TRANSPORT_CC_URI)) {
        char after = end[strlen(IMS_SDP_TRANSPORT_CC_URI)];
        if (after == '\0' || after == ' ' || after == '\r')
          return (guint) id;
      }
    }
  }
  return 0;
}

/* Caps GStreamer derives from the offer for pt, as application/x-rtp;
 * NULL if the payload type has no usable description. */
static GstCaps *
caps_for_payload(const GstSDPMedia *media, int pt)
{
  GstCaps *caps = gst_sdp_media_get_caps_from_media(media, pt);
  if (caps == NULL)
    return NULL;
  caps = gst_caps_make_writable(caps);
  GstStructure *s = gst_caps_get_structure(caps, 0);
  gst_structure_set_name(s, "application/x-rtp");
  if (gst_structure_get_string(s, "encoding-name") == NULL) {
    gst_caps_unref(caps);
    return NULL;
  }
  return caps;
}

const char *
ims_sdp_fmtp(const GstSDPMedia *media, int pt)
{
  char prefix[16];
  g_snprintf(prefix, sizeof(prefix), "%d ", pt);
  for (guint i = 0;; i++) {
    const char *fmtp = gst_sdp_media_get_attribute_val_n(media, "fmtp", i);
    if (fmtp == NULL || g_str_has_prefix(fmtp, prefix))
      return fmtp ? fmtp + strlen(prefix) : NULL;
  }
}

/* Parsed from the text because the caps carry a rewritten form (e.g.
 * profile=constrained-baseline instead of profile-level-id). */
char *
ims_sdp_fmtp_param(const GstSDPMedia *media, int pt, const char *key)
{
  const char *fmtp = ims_sdp_fmtp(media, pt);
  if (fmtp == NULL)
    return NULL;
  g_auto(GStrv) params = g_strsplit(fmtp, ";", -1);
  for (guint j = 0; params[j] != NULL; j++) {
    char *param = g_strstrip(params[j]);
    char *eq = strchr(param, '=');
    if (eq != NULL && (gsize) (eq - param) == strlen(key) &&
        g_ascii_strncasecmp(param, key, strlen(key)) == 0)
      return g_strdup(g_strstrip(eq + 1));
  }
  return NULL;
}

gboolean
ims_sdp_h264_is_constrained_baseline(const char *profile_level_id)
{
  return profile_level_id != NULL && strlen(profile_level_id) == 6 &&
         (g_ascii_strncasecmp(profile_level_id, "42e0", 4) == 0 ||
          g_ascii_strncasecmp(profile_level_id, "42c0", 4) == 0);
}

int
ims_sdp_format_payload_type(const GstSDPMedia *media, guint i)
{
  const char *format = gst_sdp_media_get_format(media, i);
  char *end = NULL;
  guint64 pt = format ? g_ascii_strtoull(format, &end, 10) : G_MAXUINT64;
  return format == NULL || end == format || *end != '\0' || pt > 127 ? -1 : (int) pt;
}

ImsSdpCodec
ims_sdp_payload_codec(const GstSDPMedia *media, int pt)
{
  g_autoptr(GstCaps) caps = caps_for_payload(media, pt);
  if (caps == NULL)
    return IMS_SDP_CODEC_NONE;
  const GstStructure *s = gst_caps_get_structure(caps, 0);
  return ims_sdp_codec_from_encoding_name(gst_structure_get_string(s, "encoding-name"));
}

/* Rank of a video payload type, higher is better, 0 = unusable. */
static int
rank_video_caps(const GstSDPMedia *media, int pt, const GstCaps *caps, guint video_codecs)
{
  const GstStructure *s = gst_caps_get_structure(caps, 0);
  ImsSdpCodec codec = ims_sdp_codec_from_encoding_name(gst_structure_get_string(s, "encoding-name"));
  if (codec == IMS_SDP_CODEC_VP8)
    return (video_codecs & IMS_SDP_ACCEPT_VP8) ? 1 : 0;
  if (codec != IMS_SDP_CODEC_H264 || !(video_codecs & IMS_SDP_ACCEPT_H264))
    return 0;
  g_autofree char *mode = ims_sdp_fmtp_param(media, pt, "packetization-mode");
  g_autofree char *profile = ims_sdp_fmtp_param(media, pt, "profile-level-id");
  if (mode == NULL || strcmp(mode, "1") != 0 || profile == NULL || strlen(profile) != 6)
    return 0;
  if (g_ascii_strcasecmp(profile, "42e01f") == 0)
    return 4;
  /* constrained baseline (42e0xx / 42c0xx) then plain baseline (4200xx) */
  if (ims_sdp_h264_is_constrained_baseline(profile))
    return 3;
  if (g_ascii_strncasecmp(profile, "42", 2) == 0)
    return 2;
  return 0;
}

static int
rank_audio_caps(const GstCaps *caps)
{
  const GstStructure *s = gst_caps_get_structure(caps, 0);
  return ims_sdp_codec_from_encoding_name(gst_structure_get_string(s, "encoding-name")) ==
                 IMS_SDP_CODEC_OPUS
             ? 1
             : 0;
}

/* Picks the best payload type of media into out; FALSE if none is usable. */
static gboolean
choose_media(const GstSDPMessage *msg, const GstSDPMedia *media, guint index, gboolean video,
             guint video_codecs, ImsSdpMediaChoice *out)
{
  GstCaps *best = NULL;
  int best_rank = 0, best_pt = -1;

  for (guint i = 0; i < gst_sdp_media_formats_len(media); i++) {
    int pt = ims_sdp_format_payload_type(media, i);
    if (pt < 0)
      continue;
    GstCaps *caps = caps_for_payload(media, pt);
    if (caps == NULL)
      continue;
    int rank = video ? rank_video_caps(media, pt, caps, video_codecs) : rank_audio_caps(caps);
    if (rank > best_rank) {
      gst_clear_caps(&best);
      best = caps;
      best_rank = rank;
      best_pt = (int) pt;
    } else {
      gst_caps_unref(caps);
    }
  }
  if (best == NULL)
    return FALSE;

  GstStructure *s = gst_caps_get_structure(best, 0);
  out->mline_index = index;
  out->payload_type = best_pt;
  out->codec = ims_sdp_codec_from_encoding_name(gst_structure_get_string(s, "encoding-name"));
  out->transport_cc_ext_id = find_transport_cc_ext_id(msg, media);
  if (out->transport_cc_ext_id != 0) {
    char field[32];
    g_snprintf(field, sizeof(field), "extmap-%u", out->transport_cc_ext_id);
    gst_structure_set(s, field, G_TYPE_STRING, IMS_SDP_TRANSPORT_CC_URI, NULL);
  }
  if (out->codec == IMS_SDP_CODEC_H264) {
    /* GstSDP turned profile-level-id into profile=...; put it back so the
     * answer's fmtp names the exact profile and level we accept. */
    g_autofree char *profile = ims_sdp_fmtp_param(media, best_pt, "profile-level-id");
    gst_structure_set(s, "profile-level-id", G_TYPE_STRING, profile, NULL);
  }
  if (video) {
    /* Lost packets are re-requested (NACK) and keyframes asked for (PLI). */
    gst_structure_set(s, "rtcp-fb-nack", G_TYPE_BOOLEAN, TRUE, "rtcp-fb-nack-pli", G_TYPE_BOOLEAN,
                      TRUE, NULL);
  }
  out->caps = best;
  return TRUE;
}

gboolean
ims_sdp_choose_codecs(const char *offer_text, guint video_codecs, ImsSdpOfferChoice *choice,
                      GError **error)
{
  return ims_sdp_choose_tracks(offer_text, video_codecs, 0, choice, error);
}

gboolean
ims_sdp_choose_tracks(const char *offer_text, guint video_codecs, guint flags,
                      ImsSdpOfferChoice *choice, GError **error)
{
  if (video_codecs == 0)
    video_codecs = IMS_SDP_ACCEPT_H264 | IMS_SDP_ACCEPT_VP8;
  g_return_val_if_fail(choice != NULL, FALSE);

  if (offer_text == NULL || !g_str_has_prefix(offer_text, "v=0")) {
    g_set_error(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_BAD_SDP,
                "offer is not SDP (must start with v=0)");
    return FALSE;
  }
  g_autoptr(GstSDPMessage) msg = NULL;
  if (gst_sdp_message_new(&msg) != GST_SDP_OK ||
      gst_sdp_message_parse_buffer((const guint8 *) offer_text, strlen(offer_text), msg) !=
          GST_SDP_OK) {
    g_set_error(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_BAD_SDP, "offer does not parse as SDP");
    return FALSE;
  }

  ImsSdpOfferChoice found = { 0 };
  gboolean seen_video = FALSE, seen_audio = FALSE;
  for (guint i = 0; i < gst_sdp_message_medias_len(msg); i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media(msg, i);
    const char *kind = gst_sdp_media_get_media(media);
    if (kind == NULL || gst_sdp_media_get_port(media) == 0)
      continue; /* rejected / disabled m-line */
    if (strcmp(kind, "video") == 0 && !seen_video) {
      seen_video = TRUE;
      found.video_first = !seen_audio;
      if (!choose_media(msg, media, i, TRUE, video_codecs, &found.video)) {
        ims_sdp_offer_choice_clear(&found);
        g_set_error(
            error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_BAD_SDP,
            "video m-line %u offers no accepted codec (%s%s%s)", i,
            (video_codecs & IMS_SDP_ACCEPT_H264) ? "H.264 packetization-mode=1 baseline" : "",
            (video_codecs & IMS_SDP_ACCEPT_H264) && (video_codecs & IMS_SDP_ACCEPT_VP8) ? ", " : "",
            (video_codecs & IMS_SDP_ACCEPT_VP8) ? "VP8" : "");
        return FALSE;
      }
    } else if (strcmp(kind, "audio") == 0 && !seen_audio) {
      seen_audio = TRUE;
      if (!choose_media(msg, media, i, FALSE, 0, &found.audio)) {
        ims_sdp_offer_choice_clear(&found);
        g_set_error(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_BAD_SDP,
                    "audio m-line %u does not offer Opus", i);
        return FALSE;
      }
    }
  }
  if (!seen_video || (!seen_audio && !(flags & IMS_SDP_ALLOW_NO_AUDIO))) {
    ims_sdp_offer_choice_clear(&found);
    g_set_error(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_BAD_SDP, "offer lacks a%s%s m-line",
                seen_video ? "" : " video",
                seen_audio ? "" : (seen_video ? "n audio" : " or audio"));
    return FALSE;
  }
  *choice = found;
  return TRUE;
}
