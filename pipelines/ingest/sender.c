/* sender.c: one subscriber of a publisher's receiver; see sender.h.
 *
 * Two halves share the struct, as in receiver.c:
 *   main side (the caller's main context): closed, offered, the
 *     candidates held until the answer (peer-signaling.c);
 *   loop side (the publisher receiver's media loop): secure, the per-track
 *     rewrite (forward-rewrite.c) and counters, the retransmission buffer
 *     (rtx-buffer.c), the last REMB, the sender reports sent.
 * The quality snapshot is written on the loop and read anywhere under
 * quality_lock (once per report, never per packet).  Messages between the
 * sides hold a reference; one that reaches the main side after
 * ims_sender_free() is dropped.
 *
 * Per forwarded packet (ims_sender_forward_rtp(), from the receiver's
 * on_rtp): rewrite into packet_buffer, keep a video packet in the rtx
 * buffer, ims_transport_send_rtp() (one copy, one protect, one send).
 */
#define G_LOG_DOMAIN "imsd.ingest.sender"

#include "sender-private.h"

#include <errno.h>
#include <string.h>

#include "answer-send.h"
#include "forward-rewrite.h"
#include "log-session.h"
#include "receiver-private.h"
#include "rtx-buffer.h"

#define REMB_VALID_US (5 * G_USEC_PER_SEC)
#define SENT_REPORTS 4 /* sender reports remembered per track, for RTT */
#define MAX_NACKS 64

typedef struct {
  guint32 lsr; /* ims_rtcp_ntp_middle() of the SR sent */
  gint64 sent_us;
} SentReport;

typedef struct {
  gboolean on; /* the subscriber takes this track */
  ImsForwardRewrite rewrite;
  guint32 packets, octets; /* sent, for the sender reports */
  SentReport reports[SENT_REPORTS];
  guint next_report;
} SendTrack;

struct _ImsSender {
  gatomicrefcount refs;
  ImsReceiver *publisher; /* a reference */
  ImsMediaLoop *loop;     /* the publisher's */
  ImsTransport *transport;
  GMainContext *main_context;
  const ImsSenderCallbacks *callbacks;
  gpointer user_data;
  char *session_id; /* owned, NULL: none */
  char *prefix;     /* "" with a session id, else "[<log_id>] " */
  char *stream_id;
  guint32 ssrcs[IMS_TRACK_COUNT]; /* random, set at new */

  /* main side */
  gboolean closed, offered;
  ImsPeerCandidates candidates; /* local ones, held until the answer went out */

  /* loop side */
  gboolean attached, secure;
  SendTrack tracks[IMS_TRACK_COUNT];
  ImsRtxBuffer *rtx; /* video */
  guint64 remb_bps;
  gint64 remb_us;
  guint64 octets_total, octets_at_report;
  gint64 report_us;
  guint8 packet_buffer[IMS_RTX_BUFFER_PACKET_MAX + 64];

  GMutex quality_lock; /* protects quality only */
  ImsLinkQuality quality;
};

static ImsSender *
sender_ref(ImsSender *sender)
{
  g_atomic_ref_count_inc(&sender->refs);
  return sender;
}

static void
sender_unref(ImsSender *sender)
{
  if (!g_atomic_ref_count_dec(&sender->refs))
    return;
  ims_receiver_unref(sender->publisher);
  g_clear_pointer(&sender->rtx, ims_rtx_buffer_free);
  ims_peer_candidates_clear(&sender->candidates);
  g_mutex_clear(&sender->quality_lock);
  g_main_context_unref(sender->main_context);
  g_free(sender->session_id);
  g_free(sender->prefix);
  g_free(sender->stream_id);
  g_free(sender);
}

/* ---- loop -> main ---- */

typedef enum { SENDER_ANSWER, SENDER_CANDIDATE, SENDER_CONNECTED, SENDER_FAILED } SenderEvent;

typedef struct {
  ImsSender *sender;
  SenderEvent event;
  char *text;
  GError *error;
} SenderMessage;

static void
message_free(SenderMessage *message)
{
  sender_unref(message->sender);
  g_free(message->text);
  g_clear_error(&message->error);
  g_free(message);
}

static gboolean
dispatch_message(gpointer data)
{
  SenderMessage *message = data;
  ImsSender *sender = message->sender;
  if (sender->closed)
    return G_SOURCE_REMOVE;
  switch (message->event) {
  case SENDER_ANSWER:
    sender->callbacks->on_answer(message->text, sender->user_data);
    ims_peer_candidates_answered(&sender->candidates);
    break;
  case SENDER_CANDIDATE:
    ims_peer_candidates_add(&sender->candidates, message->text);
    break;
  case SENDER_CONNECTED:
    if (sender->callbacks->on_connected)
      sender->callbacks->on_connected(sender->user_data);
    break;
  case SENDER_FAILED:
    if (sender->callbacks->on_failed)
      sender->callbacks->on_failed(message->error, sender->user_data);
    break;
  }
  return G_SOURCE_REMOVE;
}

/* Queues an event for the main side, always through a source. */
static void
send_to_main(ImsSender *sender, SenderEvent event, const char *text, const GError *error)
{
  SenderMessage *message = g_new0(SenderMessage, 1);
  message->sender = sender_ref(sender);
  message->event = event;
  message->text = g_strdup(text);
  message->error = error ? g_error_copy(error) : NULL;
  ims_peer_post(sender->main_context, dispatch_message, message, (GDestroyNotify) message_free);
}

/* ---- forwarding (loop) ---- */

void
ims_sender_forward_rtp(ImsSender *sender, ImsTrack track, const ImsRtpPacket *packet, gint64 now)
{
  SendTrack *send = &sender->tracks[track];
  if (!sender->secure || !send->on)
    return;
  guint16 sequence;
  int length = ims_forward_rewrite_packet(&send->rewrite, packet, sender->packet_buffer,
                                          sizeof sender->packet_buffer, &sequence);
  if (length < 0)
    return;
  if (track == IMS_TRACK_VIDEO)
    ims_rtx_buffer_store(sender->rtx, sequence, sender->packet_buffer, (gsize) length, now);
  if (ims_transport_send_rtp(sender->transport, sender->packet_buffer, (gsize) length) == 0) {
    send->packets++;
    send->octets += (guint32) (packet->payload_length);
    sender->octets_total += (guint64) length;
  }
}

void
ims_sender_forward_sender_report(ImsSender *sender, ImsTrack track, const ImsRtcpReport *report,
                                 gint64 now)
{
  SendTrack *send = &sender->tracks[track];
  if (!sender->secure || !send->on || send->packets == 0)
    return;
  guint8 buffer[28 + 4 + 8 + 256]; /* an SR without blocks, an SDES with one CNAME (<= 255 bytes) */
  int length = ims_rtcp_write_sender_report(buffer, sizeof buffer, sender->ssrcs[track],
                                            report->ntp_time, report->rtp_time, send->packets,
                                            send->octets, NULL, 0);
  if (length < 0)
    return;
  /* the CNAME of the answer's a=ssrc lines (answer-send.c: the stream id) */
  int sdes = ims_rtcp_write_sdes_cname(buffer + length, sizeof buffer - (gsize) length,
                                       sender->ssrcs[track], sender->stream_id);
  if (sdes > 0)
    length += sdes;
  if (ims_transport_send_rtcp(sender->transport, buffer, (gsize) length) == 0) {
    send->reports[send->next_report] =
        (SentReport){ .lsr = ims_rtcp_ntp_middle(report->ntp_time), .sent_us = now };
    send->next_report = (send->next_report + 1) % SENT_REPORTS;
  }
}

gboolean
ims_sender_get_remb(ImsSender *sender, gint64 now, guint64 *bitrate)
{
  if (!sender->remb_us || now - sender->remb_us > REMB_VALID_US)
    return FALSE;
  *bitrate = sender->remb_bps;
  return TRUE;
}

void
ims_sender_report(ImsSender *sender, gint64 now)
{
  if (sender->report_us && now > sender->report_us) {
    double kbps = (double) (sender->octets_total - sender->octets_at_report) * 8.0 * 1000.0 /
                  (double) (now - sender->report_us);
    g_mutex_lock(&sender->quality_lock);
    sender->quality.bitrate_kbps = kbps;
    g_mutex_unlock(&sender->quality_lock);
  }
  sender->octets_at_report = sender->octets_total;
  sender->report_us = now;
}

/* ---- the subscriber's RTCP (loop) ---- */

/* The track the sender sends with ssrc: TRUE and *track, else FALSE. */
static gboolean
track_of_ssrc(ImsSender *sender, guint32 ssrc, ImsTrack *track)
{
  for (guint i = 0; i < IMS_TRACK_COUNT; i++) {
    if (sender->tracks[i].on && sender->ssrcs[i] == ssrc) {
      *track = (ImsTrack) i;
      return TRUE;
    }
  }
  return FALSE;
}

/* A receiver report block about one of our SSRCs: loss and RTT. */
static void
on_report_block(ImsSender *sender, const ImsRtcpReportBlock *block, gint64 now)
{
  ImsTrack track;
  if (!track_of_ssrc(sender, block->ssrc, &track))
    return;
  SendTrack *send = &sender->tracks[track];
  double rtt_ms = -1;
  for (guint i = 0; block->last_sender_report && i < SENT_REPORTS; i++)
    if (send->reports[i].sent_us && send->reports[i].lsr == block->last_sender_report)
      rtt_ms = (double) (now - send->reports[i].sent_us) / 1000.0 -
               (double) block->delay_since_last_sender_report * 1000.0 / 65536.0;
  g_mutex_lock(&sender->quality_lock);
  if (track == IMS_TRACK_VIDEO || !sender->tracks[IMS_TRACK_VIDEO].on)
    sender->quality.loss_percent = block->fraction_lost * 100.0 / 256.0;
  if (rtt_ms >= 0)
    sender->quality.rtt_ms = rtt_ms;
  g_mutex_unlock(&sender->quality_lock);
}

static void
on_nack(ImsSender *sender, const ImsRtcpPacket *packet, gint64 now)
{
  guint32 sender_ssrc, media_ssrc;
  guint16 sequences[MAX_NACKS];
  if (ims_rtcp_parse_feedback_ssrcs(packet, &sender_ssrc, &media_ssrc) < 0 ||
      media_ssrc != sender->ssrcs[IMS_TRACK_VIDEO] || !sender->tracks[IMS_TRACK_VIDEO].on)
    return;
  int count = ims_rtcp_parse_nack(packet, sequences, MAX_NACKS);
  for (int i = 0; i < count; i++) {
    const guint8 *resend;
    gsize length;
    if (ims_rtx_buffer_lookup(sender->rtx, sequences[i], now, &resend, &length))
      ims_transport_send_rtp(sender->transport, resend, length);
  }
}

static void
on_rtcp(ImsTransport *transport, guint8 *buf, gsize len, gpointer data)
{
  ImsSender *sender = data;
  ImsRtcpReader reader;
  ImsRtcpPacket packet;
  gint64 now = g_get_monotonic_time();
  ims_rtcp_reader_init(&reader, buf, len);
  while (ims_rtcp_reader_next(&reader, &packet) == 1) {
    ImsRtcpReport report;
    guint64 bitrate;
    guint32 ssrcs[4];
    guint ssrc_count;
    guint32 fir_ssrc;
    guint8 fir_sequence;
    if ((packet.type == IMS_RTCP_RR || packet.type == IMS_RTCP_SR) &&
        ims_rtcp_parse_report(&packet, &report) == 0) {
      for (guint i = 0; i < report.report_count; i++)
        on_report_block(sender, &report.blocks[i], now);
    } else if (packet.type == IMS_RTCP_RTPFB && packet.count == IMS_RTCP_RTPFB_NACK) {
      on_nack(sender, &packet, now);
    } else if (ims_rtcp_is_pli(&packet) ||
               (packet.type == IMS_RTCP_PSFB && packet.count == IMS_RTCP_PSFB_FIR &&
                ims_rtcp_parse_fir(&packet, 0, &fir_ssrc, &fir_sequence) == 0)) {
      ims_receiver_request_keyframe(sender->publisher, now);
    } else if (packet.type == IMS_RTCP_PSFB && packet.count == IMS_RTCP_PSFB_AFB &&
               ims_rtcp_parse_remb(&packet, &bitrate, ssrcs, G_N_ELEMENTS(ssrcs), &ssrc_count) ==
                   0) {
      sender->remb_bps = bitrate;
      sender->remb_us = now;
    }
  }
}

static void
on_rtp(ImsTransport *transport, guint8 *buf, gsize len, gpointer data)
{
  /* a subscriber sends no media (its offer is recvonly) */
}

static void
on_state_changed(ImsTransport *transport, ImsTransportState state, const GError *error,
                 gpointer data)
{
  ImsSender *sender = data;
  ims_log_session(G_LOG_LEVEL_INFO, sender->session_id, NULL, "%ssender transport %s",
                  sender->prefix, ims_transport_state_to_string(state));
  if (state == IMS_TRANSPORT_STATE_SECURE) {
    sender->secure = TRUE;
    ims_receiver_request_keyframe(sender->publisher, g_get_monotonic_time());
    send_to_main(sender, SENDER_CONNECTED, NULL, NULL);
  } else if (state == IMS_TRANSPORT_STATE_FAILED) {
    sender->secure = FALSE;
    send_to_main(sender, SENDER_FAILED, NULL, error);
  }
}

static void
on_local_candidate(ImsTransport *transport, const char *candidate, gpointer data)
{
  if (candidate)
    send_to_main(data, SENDER_CANDIDATE, candidate, NULL);
}

static const ImsTransportCallbacks transport_callbacks = {
  .state_changed = on_state_changed,
  .local_candidate = on_local_candidate,
  .rtp = on_rtp,
  .rtcp = on_rtcp,
};

/* ---- configuration (loop) ---- */

typedef struct {
  ImsSender *sender;
  ImsNegotiatedTrack out[IMS_TRACK_COUNT];     /* the subscriber's (mids owned) */
  ImsNegotiatedTrack in[IMS_TRACK_COUNT];      /* the publisher's (mids not kept) */
} SenderWork;

static void
sender_work_free(SenderWork *work)
{
  for (guint i = 0; i < IMS_TRACK_COUNT; i++)
    g_free(work->out[i].mid);
  sender_unref(work->sender);
  g_free(work);
}

static gboolean
loop_configure(gpointer data)
{
  SenderWork *work = data;
  ImsSender *sender = work->sender;
  for (guint i = 0; i < IMS_TRACK_COUNT; i++) {
    const ImsNegotiatedTrack *out = &work->out[i], *in = &work->in[i];
    SendTrack *send = &sender->tracks[i];
    send->on = out->codec != IMS_SDP_CODEC_NONE && in->codec != IMS_SDP_CODEC_NONE;
    ims_forward_rewrite_init(&send->rewrite, sender->ssrcs[i], (guint8) out->payload_type,
                             (guint16) g_random_int_range(0, 0x8000), (guint8) in->mid_ext_id,
                             (guint8) in->abs_send_time_ext_id, (guint8) out->mid_ext_id,
                             (guint8) out->abs_send_time_ext_id, out->mid);
  }
  ims_receiver_attach_sender(sender->publisher, sender);
  sender->attached = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
loop_teardown(gpointer data)
{
  SenderWork *work = data;
  ImsSender *sender = work->sender;
  if (sender->attached)
    ims_receiver_detach_sender(sender->publisher, sender);
  sender->attached = sender->secure = FALSE;
  ims_transport_close(sender->transport); /* releases the loop with its deferred free */
  sender->transport = NULL;
  return G_SOURCE_REMOVE;
}

static void
run_on_loop(ImsSender *sender, GSourceFunc func, SenderWork *work)
{
  work->sender = sender_ref(sender);
  ims_media_loop_invoke(sender->loop, func, work, (GDestroyNotify) sender_work_free);
}

/* ---- main side ---- */

ImsSender *
ims_sender_new(ImsReceiver *publisher, const char *log_id, const ImsSenderConfig *config,
               const ImsSenderCallbacks *callbacks, gpointer user_data, GError **error)
{
  if (!ims_receiver_get_negotiation(publisher)) {
    g_set_error_literal(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_STATE,
                        "the publisher has not negotiated yet");
    return NULL;
  }
  ImsSender *sender = g_new0(ImsSender, 1);
  g_atomic_ref_count_init(&sender->refs);
  g_mutex_init(&sender->quality_lock);
  sender->publisher = ims_receiver_ref(publisher);
  sender->loop = publisher->loop;
  sender->main_context = g_main_context_ref_thread_default();
  sender->callbacks = callbacks;
  sender->user_data = user_data;
  sender->session_id = g_strdup(config->session_id);
  sender->prefix = config->session_id ? g_strdup("") : g_strdup_printf("[%s] ", log_id);
  sender->stream_id = g_strdup(config->stream_id ? config->stream_id : log_id);
  ims_peer_candidates_init(&sender->candidates, callbacks->on_ice_candidate, user_data);
  for (guint i = 0; i < IMS_TRACK_COUNT; i++)
    sender->ssrcs[i] = g_random_int() | 1;
  sender->rtx = ims_rtx_buffer_new(0);
  ims_media_loop_hold(sender->loop);
  sender->transport = ims_transport_new_full(sender->loop, log_id, config->session_id,
                                             config->network, &transport_callbacks, sender, error);
  if (!sender->transport) {
    ims_media_loop_release(sender->loop);
    sender_unref(sender);
    return NULL;
  }
  return sender;
}

gboolean
ims_sender_handle_offer(ImsSender *sender, const char *sdp, GError **error)
{
  if (sender->offered) {
    g_set_error_literal(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_STATE,
                        "this subscription has negotiated already");
    return FALSE;
  }
  const ImsNegotiation *publisher = ims_receiver_get_negotiation(sender->publisher);
  ImsSubscriberLocal local = {
    .base = {
      .ice_ufrag = ims_transport_get_local_ufrag(sender->transport),
      .ice_pwd = ims_transport_get_local_pwd(sender->transport),
      .fingerprint = ims_transport_get_local_fingerprint(sender->transport),
      .prefer_dtls_client = FALSE, /* DTLS server: the SRTP profile by OpenSSL's order (receiver.c) */
    },
    .video_ssrc = sender->ssrcs[IMS_TRACK_VIDEO],
    .audio_ssrc = sender->ssrcs[IMS_TRACK_AUDIO],
    .stream_id = sender->stream_id,
  };
  ImsNegotiation negotiation = { 0 };
  if (!ims_answer_negotiate_subscriber(sdp, publisher, &local, &negotiation, error))
    return FALSE;
  if (!ims_peer_apply_remote(sender->transport, &negotiation, error)) {
    ims_negotiation_clear(&negotiation);
    return FALSE;
  }
  sender->candidates.mline_index = ims_peer_transport_mline(&negotiation);
  sender->offered = TRUE;

  SenderWork *work = g_new0(SenderWork, 1);
  work->out[IMS_TRACK_VIDEO] = negotiation.video;
  work->out[IMS_TRACK_AUDIO] = negotiation.audio;
  negotiation.video.mid = negotiation.audio.mid = NULL; /* moved */
  work->in[IMS_TRACK_VIDEO] = publisher->video;
  work->in[IMS_TRACK_AUDIO] = publisher->audio;
  work->in[IMS_TRACK_VIDEO].mid = work->in[IMS_TRACK_AUDIO].mid = NULL; /* not needed */
  run_on_loop(sender, loop_configure, work);
  send_to_main(sender, SENDER_ANSWER, negotiation.answer, NULL);
  ims_negotiation_clear(&negotiation);
  return TRUE;
}

gboolean
ims_sender_add_ice_candidate(ImsSender *sender, guint mline_index, const char *candidate,
                             GError **error)
{
  return ims_peer_add_remote_candidate(sender->transport, candidate, error);
}

void
ims_sender_get_quality(ImsSender *sender, ImsLinkQuality *quality)
{
  g_mutex_lock(&sender->quality_lock);
  *quality = sender->quality;
  g_mutex_unlock(&sender->quality_lock);
}

void
ims_sender_free(ImsSender *sender)
{
  if (!sender)
    return;
  sender->closed = TRUE;
  run_on_loop(sender, loop_teardown, g_new0(SenderWork, 1));
  sender_unref(sender);
}
