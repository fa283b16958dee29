/* ingest-probe.c: answers a browser's offer with pipelines/ingest/transport.c
 * alone (no webrtcbin) and counts the packets it receives per SSRC.
 *
 * Driven by tests/tools/ingest-probe.mjs (Chromium through playwright-core)
 * over a line protocol, stdin -> probe:
 *   offer <base64 SDP>            once, first
 *   candidate <candidate:...>     trickled remote candidates
 *   end-of-candidates
 * probe -> stdout:
 *   answer <base64 SDP>
 *   candidate <candidate:...> / end-of-candidates   (local, trickled)
 *   secure <SRTP profile>
 *   ssrc <hex> pt <n> packets <n> bytes <n> first-seq <n> last-seq <n>   (at the end)
 *   rtcp <n>; done                 (after --seconds of secure media; exit 0)
 *   failed <reason>                (exit 1)
 * Every 500 ms after secure it sends a PLI for the video SSRC through
 * ims_transport_send_rtcp(), so the browser sends keyframes on demand.
 *
 *   ingest-probe [--seconds N]
 */
#include <gio/gio.h>
#include <stdio.h>
#include <string.h>

#include "take-result.h"
#include "media-loop.h"
#include "sdp.h"
#include "transport.h"

typedef struct {
  guint8 payload_type;
  guint64 packets;
  guint64 bytes;
  guint16 first_seq;
  guint16 last_seq;
} SsrcCount;

typedef struct {
  GMainLoop *main_loop;
  ImsMediaLoops *loops;
  ImsMediaLoop *loop;
  ImsTransport *transport;
  double seconds;
  int exit_code;
  /* loop thread only */
  GHashTable *ssrcs; /* guint32 -> SsrcCount* */
  guint64 rtcp;
  guint32 video_ssrc;
  int video_pt;
  gint64 secure_at;
  gboolean finished;
} Probe;

static GMutex out_lock;

static void say(const char *format, ...) G_GNUC_PRINTF(1, 2);

static void
say(const char *format, ...)
{
  va_list args;
  va_start(args, format);
  g_mutex_lock(&out_lock);
  vprintf(format, args);
  putchar('\n');
  fflush(stdout);
  g_mutex_unlock(&out_lock);
  va_end(args);
}

static gboolean
quit_main(gpointer data)
{
  Probe *probe = data;
  g_main_loop_quit(probe->main_loop);
  return G_SOURCE_REMOVE;
}

/* ---- transport callbacks (media loop thread) ---------------------------- */

static void
report_and_quit(Probe *probe)
{
  if (probe->finished)
    return;
  probe->finished = TRUE;
  GHashTableIter iter;
  gpointer key, value;
  g_hash_table_iter_init(&iter, probe->ssrcs);
  while (g_hash_table_iter_next(&iter, &key, &value)) {
    SsrcCount *count = value;
    say("ssrc %08x pt %u packets %" G_GUINT64_FORMAT " bytes %" G_GUINT64_FORMAT
        " first-seq %u last-seq %u",
        GPOINTER_TO_UINT(key), count->payload_type, count->packets, count->bytes, count->first_seq,
        count->last_seq);
  }
  say("rtcp %" G_GUINT64_FORMAT, probe->rtcp);
  say("done");
  g_idle_add(quit_main, probe);
}

static gboolean
on_tick(gpointer data)
{
  Probe *probe = data;
  if (probe->finished)
    return G_SOURCE_REMOVE;
  if (probe->video_ssrc != 0) {
    /* PLI: V=2 FMT=1, PT=206, length 2, sender SSRC 1, media SSRC. */
    guint8 pli[12] = { 0x81, 206, 0, 2, 0, 0, 0, 1 };
    guint32 ssrc = g_htonl(probe->video_ssrc);
    memcpy(pli + 8, &ssrc, 4);
    int result = ims_transport_send_rtcp(probe->transport, pli, sizeof pli);
    if (result != 0)
      say("# send_rtcp: %d", result);
  }
  if (g_get_monotonic_time() - probe->secure_at >= (gint64) (probe->seconds * G_USEC_PER_SEC)) {
    report_and_quit(probe);
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

static void
on_state(ImsTransport *transport, ImsTransportState state, const GError *error, gpointer data)
{
  Probe *probe = data;
  say("# state %s", ims_transport_state_to_string(state));
  if (state == IMS_TRANSPORT_STATE_SECURE) {
    ImsTransportStats stats;
    ims_transport_get_stats(transport, &stats);
    say("secure %s", stats.srtp_profile);
    probe->secure_at = g_get_monotonic_time();
    GSource *tick = g_timeout_source_new(500);
    g_source_set_callback(tick, on_tick, probe, NULL);
    g_source_attach(tick, ims_media_loop_get_context(probe->loop));
    g_source_unref(tick);
  } else if (state == IMS_TRANSPORT_STATE_FAILED) {
    say("failed %s", error != NULL ? error->message : "?");
    probe->exit_code = 1;
    probe->finished = TRUE;
    g_idle_add(quit_main, probe);
  }
}

static void
on_local_candidate(ImsTransport *transport, const char *candidate, gpointer data)
{
  if (candidate == NULL)
    say("end-of-candidates");
  else
    say("candidate %s", candidate);
}

static void
on_rtp(ImsTransport *transport, guint8 *buf, gsize len, gpointer data)
{
  Probe *probe = data;
  if (len < 12)
    return;
  guint32 ssrc;
  memcpy(&ssrc, buf + 8, 4);
  ssrc = g_ntohl(ssrc);
  guint16 seq = (guint16) (buf[2] << 8 | buf[3]);
  SsrcCount *count = g_hash_table_lookup(probe->ssrcs, GUINT_TO_POINTER(ssrc));
  if (count == NULL) {
    count = g_new0(SsrcCount, 1);
    count->payload_type = buf[1] & 0x7f;
    count->first_seq = seq;
    g_hash_table_insert(probe->ssrcs, GUINT_TO_POINTER(ssrc), count);
    if (count->payload_type == probe->video_pt && probe->video_ssrc == 0)
      probe->video_ssrc = ssrc;
  }
  count->packets++;
  count->bytes += len;
  count->last_seq = seq;
}

static void
on_rtcp(ImsTransport *transport, guint8 *buf, gsize len, gpointer data)
{
  Probe *probe = data;
  probe->rtcp++;
}

static const ImsTransportCallbacks callbacks = {
  .state_changed = on_state,
  .local_candidate = on_local_candidate,
  .rtp = on_rtp,
  .rtcp = on_rtcp,
};

/* ---- the answer ----------------------------------------------------------- */

static const char *
media_or_session(const GstSDPMessage *offer, const GstSDPMedia *media, const char *name)
{
  const char *value = gst_sdp_media_get_attribute_val(media, name);
  return value != NULL ? value : gst_sdp_message_get_attribute_val(offer, name);
}

static const char *
attribute_for_pt(const GstSDPMedia *media, const char *name, int pt)
{
  g_autofree char *prefix = g_strdup_printf("%d ", pt);
  for (guint i = 0;; i++) {
    const char *value = gst_sdp_media_get_attribute_val_n(media, name, i);
    if (value == NULL)
      return NULL;
    if (g_str_has_prefix(value, prefix))
      return value + strlen(prefix);
  }
}

static char *
build_answer(Probe *probe, const char *offer_text, GError **error)
{
  ImsSdpOfferChoice choice = { 0 };
  if (!ims_sdp_choose_codecs(offer_text, 0, &choice, error))
    return NULL;
  g_autoptr(GstSDPMessage) offer = NULL;
  gst_sdp_message_new_from_text(offer_text, &offer);
  const GstSDPMedia *first = gst_sdp_message_get_media(
      offer, choice.video_first ? choice.video.mline_index : choice.audio.mline_index);
  const char *ufrag = media_or_session(offer, first, "ice-ufrag");
  const char *pwd = media_or_session(offer, first, "ice-pwd");
  const char *fingerprint = media_or_session(offer, first, "fingerprint");
  const char *setup_text = media_or_session(offer, first, "setup");
  ImsDtlsSetup setup = g_strcmp0(setup_text, "active") == 0    ? IMS_DTLS_SETUP_ACTIVE
                       : g_strcmp0(setup_text, "passive") == 0 ? IMS_DTLS_SETUP_PASSIVE
                                                               : IMS_DTLS_SETUP_ACTPASS;
  if (!ims_transport_set_remote(probe->transport, ufrag, pwd, fingerprint, setup, error)) {
    ims_sdp_offer_choice_clear(&choice);
    return NULL;
  }
  probe->video_pt = choice.video.payload_type;

  GString *answer = g_string_new("v=0\r\n");
  g_string_append_printf(answer, "o=- %u 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n", g_random_int());
  g_string_append(answer, "a=group:BUNDLE");
  for (guint i = 0; i < gst_sdp_message_medias_len(offer); i++)
    if (i == choice.video.mline_index || i == choice.audio.mline_index)
      g_string_append_printf(
          answer, " %s",
          gst_sdp_media_get_attribute_val(gst_sdp_message_get_media(offer, i), "mid"));
  g_string_append(answer, "\r\na=msid-semantic: WMS\r\n");
  for (guint i = 0; i < gst_sdp_message_medias_len(offer); i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media(offer, i);
    const char *mid = gst_sdp_media_get_attribute_val(media, "mid");
    int pt = i == choice.video.mline_index   ? choice.video.payload_type
             : i == choice.audio.mline_index ? choice.audio.payload_type
                                             : -1;
    if (pt < 0) {
      g_string_append_printf(answer,
                             "m=%s 0 %s %s\r\nc=IN IP4 0.0.0.0\r\na=mid:%s\r\na=inactive\r\n",
                             gst_sdp_media_get_media(media), gst_sdp_media_get_proto(media),
                             gst_sdp_media_get_format(media, 0), mid != NULL ? mid : "");
      continue;
    }
    g_string_append_printf(
        answer,
        "m=%s 9 UDP/TLS/RTP/SAVPF %d\r\nc=IN IP4 0.0.0.0\r\n"
        "a=rtcp:9 IN IP4 0.0.0.0\r\n"
        "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\na=ice-options:trickle\r\n"
        "a=fingerprint:%s\r\na=setup:%s\r\na=mid:%s\r\na=recvonly\r\na=rtcp-mux\r\n",
        gst_sdp_media_get_media(media), pt, ims_transport_get_local_ufrag(probe->transport),
        ims_transport_get_local_pwd(probe->transport),
        ims_transport_get_local_fingerprint(probe->transport),
        ims_transport_get_local_setup(probe->transport), mid);
    const char *rtpmap = attribute_for_pt(media, "rtpmap", pt);
    const char *fmtp = attribute_for_pt(media, "fmtp", pt);
    g_string_append_printf(answer, "a=rtpmap:%d %s\r\n", pt, rtpmap != NULL ? rtpmap : "?");
    if (fmtp != NULL)
      g_string_append_printf(answer, "a=fmtp:%d %s\r\n", pt, fmtp);
    if (i == choice.video.mline_index)
      g_string_append_printf(answer, "a=rtcp-fb:%d nack\r\na=rtcp-fb:%d nack pli\r\n", pt, pt);
  }
  ims_sdp_offer_choice_clear(&choice);
  return g_string_free(answer, FALSE);
}

/* ---- stdin (main thread) ------------------------------------------------- */

static gboolean
on_stdin(GIOChannel *channel, GIOCondition condition, gpointer data)
{
  Probe *probe = data;
  g_autofree char *line = NULL;
  gsize terminator = 0;
  GIOStatus status = g_io_channel_read_line(channel, &line, NULL, &terminator, NULL);
  if (status == G_IO_STATUS_EOF || status == G_IO_STATUS_ERROR) {
    if (!probe->finished) {
      say("failed stdin closed");
      probe->exit_code = 1;
    }
    g_main_loop_quit(probe->main_loop);
    return G_SOURCE_REMOVE;
  }
  if (line == NULL)
    return G_SOURCE_CONTINUE;
  line[terminator] = '\0';
  g_autoptr(GError) error = NULL;
  if (g_str_has_prefix(line, "offer ")) {
    gsize len = 0;
    g_autofree guchar *sdp = g_base64_decode(line + 6, &len);
    g_autofree char *text = g_strndup((const char *) sdp, len);
    g_autofree char *answer = build_answer(probe, text, &error);
    if (answer == NULL) {
      say("failed %s", error->message);
      probe->exit_code = 1;
      g_main_loop_quit(probe->main_loop);
      return G_SOURCE_REMOVE;
    }
    g_autofree char *encoded = g_base64_encode((const guchar *) answer, strlen(answer));
    say("answer %s", encoded);
  } else if (g_str_has_prefix(line, "candidate ")) {
    if (!ims_transport_add_remote_candidate(probe->transport, line + 10, &error))
      say("# candidate refused (%s): %s", error->message, line + 10);
  } else if (strcmp(line, "end-of-candidates") == 0) {
    ims_transport_remote_candidates_done(probe->transport);
  }
  return G_SOURCE_CONTINUE;
}

int
main(int argc, char **argv)
{
  Probe probe = { .seconds = 5 };
  for (int i = 1; i + 1 < argc; i += 2)
    if (strcmp(argv[i], "--seconds") == 0)
      probe.seconds = g_ascii_strtod(argv[i + 1], NULL);
  gst_init(NULL, NULL);
  g_autoptr(GError) error = NULL;
  probe.main_loop = g_main_loop_new(NULL, FALSE);
  probe.ssrcs = g_hash_table_new_full(NULL, NULL, NULL, g_free);
  probe.loops = ims_media_loops_new(1, &error);
  if (probe.loops == NULL) {
    say("failed %s", error->message);
    return 1;
  }
  probe.loop = ims_media_loops_acquire(probe.loops);
  probe.transport = ims_transport_new(probe.loop, "probe", &callbacks, &probe, &error);
  if (probe.transport == NULL) {
    say("failed %s", error->message);
    return 1;
  }
  GIOChannel *in = g_io_channel_unix_new(0);
  g_io_add_watch(in, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, &probe);
  g_main_loop_run(probe.main_loop);
  g_io_channel_unref(in);
  ims_transport_close(probe.transport);
  g_usleep(200000); /* let the loop run the deferred free */
  ims_media_loops_free(probe.loops);
  g_hash_table_unref(probe.ssrcs);
  g_main_loop_unref(probe.main_loop);
  return probe.exit_code;
}
