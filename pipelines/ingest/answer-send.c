/* answer-send.c: the send path's SDP negotiation (a live room's subscriber);
 * see answer-send.h.  Pure text in, text out. */
#define G_LOG_DOMAIN "imsd.ingest.answer"

#include "answer-send.h"

#include <string.h>

#include "answer-private.h"
#include "take-result.h" /* IMS_INGEST_ERROR */

/* What imsd's receive answer asks a publisher for (answer.c). */
#define RECEIVE_PATH_H264_PROFILE "42e01f"

/* The publisher's H.264 profile-level-id: the one of its answer's fmtp
 * (imsd's receive answer names it), else the receive path's.  Transfer full. */
static char *
publisher_h264_profile(const ImsNegotiation *publisher)
{
  g_autoptr(GstSDPMessage) msg = NULL;
  if (publisher->answer == NULL || gst_sdp_message_new_from_text(publisher->answer, &msg) != GST_SDP_OK)
    return g_strdup(RECEIVE_PATH_H264_PROFILE);
  const GstSDPMedia *media = gst_sdp_message_get_media(msg, publisher->video.mline_index);
  char *profile = media ? ims_sdp_fmtp_param(media, publisher->video.payload_type,
                                             "profile-level-id")
                        : NULL;
  if (profile == NULL || strlen(profile) != 6) {
    g_free(profile);
    return g_strdup(RECEIVE_PATH_H264_PROFILE);
  }
  return profile;
}

/* How well payload type pt of media receives codec as the publisher sends
 * it: 0 not at all; for H.264 (packetization-mode 1 only) 2 for the
 * publisher's own profile-level-id, 1 for another constrained-baseline one
 * when the publisher's is constrained baseline; 1 for VP8 and Opus. */
static int
rank_payload(const GstSDPMedia *media, int pt, ImsSdpCodec codec, const char *profile)
{
  if (ims_sdp_payload_codec(media, pt) != codec)
    return 0;
  if (codec != IMS_SDP_CODEC_H264)
    return 1;
  g_autofree char *mode = ims_sdp_fmtp_param(media, pt, "packetization-mode");
  g_autofree char *offered = ims_sdp_fmtp_param(media, pt, "profile-level-id");
  if (g_strcmp0(mode, "1") != 0 || offered == NULL)
    return 0;
  if (g_ascii_strcasecmp(offered, profile) == 0)
    return 2;
  return ims_sdp_h264_is_constrained_baseline(profile) &&
                 ims_sdp_h264_is_constrained_baseline(offered)
             ? 1
             : 0;
}

/* The subscriber's payload type for codec in media (the best ranked, the
 * first of equals: the offer's order is its preference), -1 if none. */
static int
choose_payload(const GstSDPMedia *media, ImsSdpCodec codec, const char *profile)
{
  int best_pt = -1, best_rank = 0;
  for (guint i = 0; i < gst_sdp_media_formats_len(media); i++) {
    int pt = ims_sdp_format_payload_type(media, i);
    int rank = pt < 0 ? 0 : rank_payload(media, pt, codec, profile);
    if (rank > best_rank) {
      best_rank = rank;
      best_pt = pt;
    }
  }
  return best_pt;
}

/* TRUE if the subscriber receives on media: a port, and recvonly or
 * sendrecv (the default). */
static gboolean
receives(const GstSDPMedia *media)
{
  return gst_sdp_media_get_port(media) != 0 &&
         !gst_sdp_media_get_attribute_val(media, "sendonly") &&
         !gst_sdp_media_get_attribute_val(media, "inactive");
}

/* A sender's track: the shared lines, sendonly, the offer's fmtp of the
 * chosen payload type, and the sender's a=msid and a=ssrc. */
static void
append_sender_track(GString *out, const ImsSubscriberLocal *local, gboolean dtls_client,
                    const ImsNegotiatedTrack *track, const GstSDPMedia *offered,
                    const char *stream_id)
{
  ims_answer_append_media(out, &local->base, dtls_client, track, offered, "sendonly");
  const char *kind = track->codec == IMS_SDP_CODEC_OPUS ? "audio" : "video";
  g_string_append_printf(out, "a=msid:%s %s-%s\r\n", stream_id, stream_id, kind);
  const char *fmtp = ims_sdp_fmtp(offered, track->payload_type);
  if (fmtp != NULL)
    g_string_append_printf(out, "a=fmtp:%d %s\r\n", track->payload_type, fmtp);
  g_string_append_printf(out, "a=ssrc:%u cname:%s\r\n", track->ssrc, stream_id);
  g_string_append_printf(out, "a=ssrc:%u msid:%s %s-%s\r\n", track->ssrc, stream_id, stream_id,
                         kind);
}

gboolean
ims_answer_negotiate_subscriber(const char *offer_text, const ImsNegotiation *publisher,
                                const ImsSubscriberLocal *local, ImsNegotiation *out,
                                GError **error)
{
  g_return_val_if_fail(publisher != NULL && local != NULL && out != NULL, FALSE);
  if (publisher->video.codec == IMS_SDP_CODEC_NONE && publisher->audio.codec == IMS_SDP_CODEC_NONE)
    return ims_answer_bad_sdp(error, "the publisher sends no track");
  g_autoptr(GstSDPMessage) msg = ims_answer_parse_offer(offer_text, error);
  if (msg == NULL)
    return FALSE;
  g_autofree char *profile = publisher_h264_profile(publisher);
  const char *stream_id = local->stream_id ? local->stream_id : "imsd";

  /* the first receiving m-line of each kind takes the publisher's track of that kind */
  ImsNegotiation result = { 0 };
  const ImsNegotiatedTrack *tracks[2] = { NULL, NULL };
  guint n = 0;
  gboolean seen_video = FALSE, seen_audio = FALSE;
  for (guint i = 0; i < gst_sdp_message_medias_len(msg); i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media(msg, i);
    const char *kind = gst_sdp_media_get_media(media);
    gboolean video = g_strcmp0(kind, "video") == 0;
    if ((!video && g_strcmp0(kind, "audio") != 0) || !receives(media) ||
        (video ? seen_video : seen_audio))
      continue;
    *(video ? &seen_video : &seen_audio) = TRUE;
    const ImsNegotiatedTrack *source = video ? &publisher->video : &publisher->audio;
    if (source->codec == IMS_SDP_CODEC_NONE)
      continue; /* the publisher has nothing for it: rejected */
    int pt = choose_payload(media, source->codec, profile);
    if (pt < 0) {
      ims_negotiation_clear(&result);
      return ims_answer_bad_sdp(error, "%s m-line %u cannot receive the publisher's %s%s%s", kind, i,
                                ims_sdp_codec_name(source->codec),
                                source->codec == IMS_SDP_CODEC_H264 ? " packetization-mode=1 " : "",
                                source->codec == IMS_SDP_CODEC_H264 ? profile : "");
    }
    ImsNegotiatedTrack *track = video ? &result.video : &result.audio;
    ims_answer_fill_track(media, i, source->codec, pt, track);
    track->ssrc = video ? local->video_ssrc : local->audio_ssrc;
    tracks[n++] = track;
  }
  if (n == 0)
    return ims_answer_bad_sdp(error, "the offer has no receiving m-line for the publisher's %s",
                              publisher->video.codec != IMS_SDP_CODEC_NONE ? "video" : "audio");
  if (!ims_answer_check_bundle(msg, tracks, n, error) ||
      !ims_answer_read_transport(msg, tracks[0]->mline_index, &local->base, &result, error)) {
    ims_negotiation_clear(&result);
    return FALSE;
  }

  GString *answer = ims_answer_begin(&local->base, tracks, n, stream_id);
  for (guint i = 0; i < gst_sdp_message_medias_len(msg); i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media(msg, i);
    const ImsNegotiatedTrack *track = NULL;
    for (guint t = 0; t < n; t++)
      if (tracks[t]->mline_index == i)
        track = tracks[t];
    if (track != NULL)
      append_sender_track(answer, local, result.dtls_client, track, media, stream_id);
    else
      ims_answer_append_rejected(answer, media);
  }
  result.answer = g_string_free(answer, FALSE);
  *out = result;
  return TRUE;
}
