/* answer.c: the receive path's SDP negotiation (see answer.h), and the
 * pieces it shares with the send path's (answer-private.h). */
#define G_LOG_DOMAIN "imsd.ingest.answer"

#include "answer.h"

#include <stdlib.h>
#include <string.h>

#include "answer-private.h"
#include "take-result.h" /* IMS_INGEST_ERROR */

static void
track_clear(ImsNegotiatedTrack *track)
{
  g_clear_pointer(&track->mid, g_free);
}

void
ims_negotiation_clear(ImsNegotiation *negotiation)
{
  g_clear_pointer(&negotiation->remote_ufrag, g_free);
  g_clear_pointer(&negotiation->remote_pwd, g_free);
  g_clear_pointer(&negotiation->remote_fingerprint, g_free);
  g_clear_pointer(&negotiation->remote_candidates, g_ptr_array_unref);
  track_clear(&negotiation->video);
  track_clear(&negotiation->audio);
  g_clear_pointer(&negotiation->answer, g_free);
  memset(negotiation, 0, sizeof *negotiation);
}

gboolean
ims_answer_bad_sdp(GError **error, const char *format, ...)
{
  va_list args;
  va_start(args, format);
  g_autofree char *message = g_strdup_vprintf(format, args);
  va_end(args);
  g_set_error_literal(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_BAD_SDP, message);
  return FALSE;
}

GstSDPMessage *
ims_answer_parse_offer(const char *offer_text, GError **error)
{
  if (offer_text == NULL || !g_str_has_prefix(offer_text, "v=0")) {
    ims_answer_bad_sdp(error, "offer is not SDP (must start with v=0)");
    return NULL;
  }
  GstSDPMessage *msg = NULL;
  if (gst_sdp_message_new(&msg) != GST_SDP_OK)
    return NULL;
  if (gst_sdp_message_parse_buffer((const guint8 *) offer_text, strlen(offer_text), msg) !=
      GST_SDP_OK) {
    gst_sdp_message_free(msg);
    ims_answer_bad_sdp(error, "offer does not parse as SDP");
    return NULL;
  }
  return msg;
}

/* The attribute of media, else of the session (ICE and DTLS attributes may
 * stand at either level). */
static const char *
attribute(const GstSDPMessage *msg, const GstSDPMedia *media, const char *key)
{
  const char *value = gst_sdp_media_get_attribute_val(media, key);
  return value ? value : gst_sdp_message_get_attribute_val(msg, key);
}

/* The extmap id of uri in media, 0 if it is not offered. */
static guint
extmap_id(const GstSDPMedia *media, const char *uri)
{
  for (guint i = 0;; i++) {
    const char *value = gst_sdp_media_get_attribute_val_n(media, "extmap", i);
    if (!value)
      return 0;
    char *end = NULL;
    guint64 id = g_ascii_strtoull(value, &end, 10);
    if (end == value || id == 0 || id > 14)
      continue;
    if (*end == '/') /* "id/direction uri" */
      end = strchr(end, ' ');
    if (!end)
      continue;
    while (*end == ' ')
      end++;
    gsize length = strlen(uri);
    if (strncmp(end, uri, length) == 0 && (end[length] == '\0' || end[length] == ' '))
      return (guint) id;
  }
}

/* TRUE if media offers "a=rtcp-fb:<pt> <kind>" (or "* <kind>"). */
static gboolean
has_feedback(const GstSDPMedia *media, int pt, const char *kind)
{
  g_autofree char *mine = g_strdup_printf("%d %s", pt, kind);
  g_autofree char *any = g_strdup_printf("* %s", kind);
  for (guint i = 0;; i++) {
    const char *value = gst_sdp_media_get_attribute_val_n(media, "rtcp-fb", i);
    if (!value)
      return FALSE;
    if (g_str_equal(value, mine) || g_str_equal(value, any))
      return TRUE;
  }
}

/* The first SSRC the sender declares: of an FID group the first (the
 * media, not the RTX stream), else of the first a=ssrc line. */
static guint32
sender_ssrc(const GstSDPMedia *media)
{
  const char *group = gst_sdp_media_get_attribute_val(media, "ssrc-group");
  if (group && g_str_has_prefix(group, "FID "))
    return (guint32) g_ascii_strtoull(group + 4, NULL, 10);
  const char *ssrc = gst_sdp_media_get_attribute_val(media, "ssrc");
  return ssrc ? (guint32) g_ascii_strtoull(ssrc, NULL, 10) : 0;
}

void
ims_answer_fill_track(const GstSDPMedia *media, guint mline_index, ImsSdpCodec codec, int pt,
                      ImsNegotiatedTrack *track)
{
  track->mline_index = mline_index;
  track->mid = g_strdup(gst_sdp_media_get_attribute_val(media, "mid"));
  track->codec = codec;
  track->payload_type = pt;
  track->clock_rate = codec == IMS_SDP_CODEC_OPUS ? 48000 : 90000;
  track->ssrc = sender_ssrc(media);
  track->mid_ext_id = extmap_id(media, IMS_ANSWER_MID_URI);
  track->abs_send_time_ext_id = extmap_id(media, IMS_ANSWER_ABS_SEND_TIME_URI);
  track->nack = has_feedback(media, pt, "nack");
  track->pli = has_feedback(media, pt, "nack pli");
  track->fir = has_feedback(media, pt, "ccm fir");
  track->remb = has_feedback(media, pt, "goog-remb");
}

/* The mids of the session's first BUNDLE group, NULL without one. */
static GStrv
bundle_mids(const GstSDPMessage *msg)
{
  const char *group = gst_sdp_message_get_attribute_val(msg, "group");
  if (!group || !g_str_has_prefix(group, "BUNDLE "))
    return NULL;
  return g_strsplit(group + strlen("BUNDLE "), " ", -1);
}

gboolean
ims_answer_check_bundle(const GstSDPMessage *msg, const ImsNegotiatedTrack *const *tracks,
                        guint n, GError **error)
{
  g_auto(GStrv) mids = bundle_mids(msg);
  for (guint i = 0; i < n; i++)
    if (!mids || !tracks[i]->mid || !g_strv_contains((const char *const *) mids, tracks[i]->mid))
      return ims_answer_bad_sdp(error, "the offer must BUNDLE its %s m-lines (a=group:BUNDLE "
                                       "with their a=mid)",
                                n > 1 ? "audio and video" : "media");
  for (guint i = 0; i < n; i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media(msg, tracks[i]->mline_index);
    if (!gst_sdp_media_get_attribute_val(media, "rtcp-mux"))
      return ims_answer_bad_sdp(error, "the offer must use rtcp-mux");
  }
  return TRUE;
}

gboolean
ims_answer_read_transport(const GstSDPMessage *msg, guint first_mline, const ImsAnswerLocal *local,
                          ImsNegotiation *negotiation, GError **error)
{
  g_auto(GStrv) mids = bundle_mids(msg);
  const GstSDPMedia *transport = gst_sdp_message_get_media(msg, first_mline);
  for (guint i = 0; mids && mids[0] && i < gst_sdp_message_medias_len(msg); i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media(msg, i);
    if (g_strcmp0(gst_sdp_media_get_attribute_val(media, "mid"), mids[0]) == 0) {
      transport = media;
      break;
    }
  }
  const char *ufrag = attribute(msg, transport, "ice-ufrag");
  const char *pwd = attribute(msg, transport, "ice-pwd");
  const char *fingerprint = attribute(msg, transport, "fingerprint");
  const char *setup = attribute(msg, transport, "setup");
  if (!ufrag || !pwd || !fingerprint || !g_str_has_prefix(fingerprint, "sha-256 "))
    return ims_answer_bad_sdp(error, "the offer lacks ICE credentials or a sha-256 DTLS "
                                     "fingerprint");
  negotiation->remote_ufrag = g_strdup(ufrag);
  negotiation->remote_pwd = g_strdup(pwd);
  negotiation->remote_fingerprint = g_strdup(fingerprint);
  if (g_strcmp0(setup, "active") == 0)
    negotiation->dtls_client = FALSE;
  else if (g_strcmp0(setup, "passive") == 0)
    negotiation->dtls_client = TRUE;
  else
    negotiation->dtls_client = local->prefer_dtls_client;
  negotiation->remote_candidates = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0;; i++) {
    const char *candidate = gst_sdp_media_get_attribute_val_n(transport, "candidate", i);
    if (!candidate)
      break;
    g_ptr_array_add(negotiation->remote_candidates, g_strconcat("candidate:", candidate, NULL));
  }
  return TRUE;
}

GString *
ims_answer_begin(const ImsAnswerLocal *local, const ImsNegotiatedTrack *const *tracks, guint n,
                 const char *stream_id)
{
  GString *out = g_string_new(NULL);
  guint64 session_id = g_random_int() | ((guint64) g_random_int() << 31);
  g_string_append_printf(
      out, "v=0\r\no=- %" G_GUINT64_FORMAT " 2 IN IP4 0.0.0.0\r\ns=imsd\r\nt=0 0\r\n", session_id);
  g_string_append(out, "a=group:BUNDLE");
  for (guint i = 0; i < n; i++)
    g_string_append_printf(out, " %s", tracks[i]->mid);
  g_string_append(out, "\r\n");
  if (local->ice_lite)
    g_string_append(out, "a=ice-lite\r\n");
  g_string_append_printf(out, "a=msid-semantic: WMS%s%s\r\n", stream_id ? " " : "",
                         stream_id ? stream_id : "");
  return out;
}

void
ims_answer_append_media(GString *out, const ImsAnswerLocal *local, gboolean dtls_client,
                        const ImsNegotiatedTrack *track, const GstSDPMedia *offered,
                        const char *direction)
{
  gboolean video = track->codec != IMS_SDP_CODEC_OPUS;
  g_string_append_printf(out, "m=%s 9 UDP/TLS/RTP/SAVPF %d\r\n", video ? "video" : "audio",
                         track->payload_type);
  g_string_append(out, "c=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n");
  g_string_append_printf(out, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\na=ice-options:trickle\r\n",
                         local->ice_ufrag, local->ice_pwd);
  g_string_append_printf(out, "a=fingerprint:%s\r\n", local->fingerprint);
  g_string_append_printf(out, "a=setup:%s\r\n", dtls_client ? "active" : "passive");
  g_string_append_printf(out, "a=mid:%s\r\n", track->mid);
  if (track->mid_ext_id)
    g_string_append_printf(out, "a=extmap:%u " IMS_ANSWER_MID_URI "\r\n", track->mid_ext_id);
  if (track->abs_send_time_ext_id)
    g_string_append_printf(out, "a=extmap:%u " IMS_ANSWER_ABS_SEND_TIME_URI "\r\n",
                           track->abs_send_time_ext_id);
  g_string_append_printf(out, "a=%s\r\na=rtcp-mux\r\n", direction);
  if (gst_sdp_media_get_attribute_val(offered, "rtcp-rsize"))
    g_string_append(out, "a=rtcp-rsize\r\n");
  int pt = track->payload_type;
  switch (track->codec) {
  case IMS_SDP_CODEC_H264:
    g_string_append_printf(out, "a=rtpmap:%d H264/90000\r\n", pt);
    break;
  case IMS_SDP_CODEC_VP8:
    g_string_append_printf(out, "a=rtpmap:%d VP8/90000\r\n", pt);
    break;
  default:
    g_string_append_printf(out, "a=rtpmap:%d opus/48000/2\r\n", pt);
    break;
  }
  if (track->nack)
    g_string_append_printf(out, "a=rtcp-fb:%d nack\r\n", pt);
  if (track->pli)
    g_string_append_printf(out, "a=rtcp-fb:%d nack pli\r\n", pt);
  if (track->fir)
    g_string_append_printf(out, "a=rtcp-fb:%d ccm fir\r\n", pt);
  if (track->remb)
    g_string_append_printf(out, "a=rtcp-fb:%d goog-remb\r\n", pt);
}

/* The receive path's track: the shared lines, recvonly, and the fmtp of
 * what imsd decodes. */
static void
append_track(GString *out, const ImsAnswerLocal *local, const ImsNegotiation *negotiation,
             const ImsNegotiatedTrack *track, const GstSDPMedia *offered)
{
  ims_answer_append_media(out, local, negotiation->dtls_client, track, offered, "recvonly");
  int pt = track->payload_type;
  g_autofree char *start = local->video_start_kbps ? g_strdup_printf(";x-google-start-bitrate=%u",
                                                                     local->video_start_kbps)
                                                   : g_strdup("");
  if (track->codec == IMS_SDP_CODEC_H264) {
    /* the profile imsd decodes; level-asymmetry lets the sender pick its level */
    g_string_append_printf(out,
                           "a=fmtp:%d level-asymmetry-allowed=1;packetization-mode=1;"
                           "profile-level-id=42e01f%s\r\n",
                           pt, start);
  } else if (track->codec == IMS_SDP_CODEC_VP8 && *start) {
    g_string_append_printf(out, "a=fmtp:%d %s\r\n", pt, start + 1);
  } else if (track->codec == IMS_SDP_CODEC_OPUS) {
    g_string_append_printf(out, "a=fmtp:%d minptime=10;useinbandfec=1\r\n", pt);
  }
}

void
ims_answer_append_rejected(GString *out, const GstSDPMedia *media)
{
  const char *format = gst_sdp_media_formats_len(media) > 0 ? gst_sdp_media_get_format(media, 0)
                                                            : "0";
  g_string_append_printf(out, "m=%s 0 %s %s\r\nc=IN IP4 0.0.0.0\r\n",
                         gst_sdp_media_get_media(media), gst_sdp_media_get_proto(media), format);
  const char *mid = gst_sdp_media_get_attribute_val(media, "mid");
  if (mid)
    g_string_append_printf(out, "a=mid:%s\r\n", mid);
  g_string_append(out, "a=inactive\r\n");
}

static gboolean negotiate(const char *offer_text, const ImsSdpOfferChoice *choice,
                          const ImsAnswerLocal *local, ImsNegotiation *negotiation, GError **error);

gboolean
ims_answer_negotiate(const char *offer_text, guint video_codecs, const ImsAnswerLocal *local,
                     ImsNegotiation *negotiation, GError **error)
{
  ImsSdpOfferChoice choice = { 0 };
  guint flags = local->allow_video_only ? IMS_SDP_ALLOW_NO_AUDIO : 0;
  if (!ims_sdp_choose_tracks(offer_text, video_codecs, flags, &choice, error))
    return FALSE;
  gboolean ok = negotiate(offer_text, &choice, local, negotiation, error);
  ims_sdp_offer_choice_clear(&choice);
  return ok;
}

static gboolean
negotiate(const char *offer_text, const ImsSdpOfferChoice *choice, const ImsAnswerLocal *local,
          ImsNegotiation *negotiation, GError **error)
{
  g_autoptr(GstSDPMessage) msg = ims_answer_parse_offer(offer_text, error);
  if (msg == NULL)
    return FALSE;

  ImsNegotiation result = { 0 };
  const GstSDPMedia *video = gst_sdp_message_get_media(msg, choice->video.mline_index);
  ims_answer_fill_track(video, choice->video.mline_index, choice->video.codec,
                        choice->video.payload_type, &result.video);
  /* the accepted tracks in m-line order (a screen share has no audio) */
  const ImsNegotiatedTrack *tracks[2] = { &result.video };
  guint n = 1;
  if (choice->audio.codec != IMS_SDP_CODEC_NONE) {
    const GstSDPMedia *audio = gst_sdp_message_get_media(msg, choice->audio.mline_index);
    ims_answer_fill_track(audio, choice->audio.mline_index, choice->audio.codec,
                          choice->audio.payload_type, &result.audio);
    tracks[n++] = &result.audio;
    if (result.audio.mline_index < result.video.mline_index) {
      tracks[0] = &result.audio;
      tracks[1] = &result.video;
    }
  }
  if (!ims_answer_check_bundle(msg, tracks, n, error) ||
      !ims_answer_read_transport(msg, tracks[0]->mline_index, local, &result, error)) {
    ims_negotiation_clear(&result);
    return FALSE;
  }

  GString *out = ims_answer_begin(local, tracks, n, NULL);
  for (guint i = 0; i < gst_sdp_message_medias_len(msg); i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media(msg, i);
    if (i == result.video.mline_index)
      append_track(out, local, &result, &result.video, media);
    else if (result.audio.codec != IMS_SDP_CODEC_NONE && i == result.audio.mline_index)
      append_track(out, local, &result, &result.audio, media);
    else
      ims_answer_append_rejected(out, media);
  }
  result.answer = g_string_free(out, FALSE);
  *negotiation = result;
  return TRUE;
}

char *
ims_answer_public_candidate(const char *host_candidate, const char *public_ip)
{
  if (host_candidate == NULL || public_ip == NULL || *public_ip == '\0' ||
      !g_str_has_prefix(host_candidate, "candidate:"))
    return NULL;
  g_auto(GStrv) fields = g_strsplit(host_candidate + strlen("candidate:"), " ", -1);
  /* foundation component transport priority address port "typ" type [name value]* */
  if (g_strv_length(fields) < 8 || !g_str_equal(fields[6], "typ") || !g_str_equal(fields[7], "host"))
    return NULL;
  const char *tcptype = NULL;
  for (guint i = 8; fields[i] != NULL && fields[i + 1] != NULL; i += 2)
    if (g_str_equal(fields[i], "tcptype"))
      tcptype = fields[i + 1];
  if (tcptype != NULL && !g_str_equal(tcptype, "passive"))
    return NULL;
  if ((strchr(fields[4], ':') != NULL) != (strchr(public_ip, ':') != NULL))
    return NULL;
  char *end = NULL;
  guint64 priority = g_ascii_strtoull(fields[3], &end, 10);
  if (end == fields[3] || *end != '\0' || priority > G_MAXUINT32)
    return NULL;
  guint64 type_preference = (priority >> 24) * 5 / 6;
  guint64 twin_priority = type_preference << 24 | (priority & 0xFFFFFF);
  GString *line = g_string_new(NULL);
  g_string_append_printf(
      line, "candidate:p%s %s %s %" G_GUINT64_FORMAT " %s %s typ srflx raddr %s rport %s",
      fields[0], fields[1], fields[2], twin_priority, public_ip, fields[5], fields[4], fields[5]);
  if (tcptype != NULL)
    g_string_append_printf(line, " tcptype %s", tcptype);
  return g_string_free(line, FALSE);
}
