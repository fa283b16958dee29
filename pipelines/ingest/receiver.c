/* receiver.c: one candidate's receive path; see receiver.h.
 *
 * Two halves share the struct (receiver-private.h):
 *   main side (main context): closed, offered, the candidates held until the answer,
 *     take_open, the kept negotiation;
 *   loop side (the media loop's thread): tracks, timeline, writer, timer,
 *     a pending split, the senders.
 * The transport's getters and setters may be called from either side
 * (transport.h).  last_media_us and video_only are atomic; the quality
 * snapshot has its own lock.  A take's result, its file closed and its
 * completeness counted, comes from receiver-take.c; the reports, REMB and
 * forwarding to senders from receiver-feedback.c.  Messages between the
 * sides hold a reference; a message that reaches the main side after
 * ims_receiver_free() is dropped (closed).
 *
 * A split (ims_receiver_split_take()) waits on the loop for the next video
 * keyframe: the frames before it go to the old file, the keyframe starts the
 * new one, so the two files join without a gap or an overlap.
 */
#define G_LOG_DOMAIN "imsd.ingest.receiver"

#include "receiver-private.h"

#include <errno.h>
#include <string.h>

#include "answer.h"
#include "metrics.h"
#include "rtcp.h"
#include "rtp.h"
#include "timeline.h"
#include "transport.h"

G_STATIC_ASSERT((int) IMS_METRIC_KIND_VIDEO == (int) IMS_TRACK_VIDEO &&
                (int) IMS_METRIC_KIND_AUDIO == (int) IMS_TRACK_AUDIO);

#define TIMER_INTERVAL_MS 20
#define REPORT_INTERVAL_US (500 * 1000)
#define KEYFRAME_RETRY_US (300 * 1000)
#define MAX_NACKS 64


ImsReceiver *
ims_receiver_ref(ImsReceiver *receiver)
{
  g_atomic_ref_count_inc(&receiver->refs);
  return receiver;
}
#define receiver_ref ims_receiver_ref

void
ims_receiver_unref(ImsReceiver *receiver)
{
  if (!g_atomic_ref_count_dec(&receiver->refs))
    return;
  ims_negotiation_clear(&receiver->negotiation);
  g_mutex_clear(&receiver->quality_lock);
  g_free(receiver->log.session_id);
  g_free(receiver->log.prefix);
  g_free(receiver->log.take_id);
  ims_peer_candidates_clear(&receiver->candidates);
  g_main_context_unref(receiver->main_context);
  g_free(receiver);
}

/* ---- loop -> main ---- */

typedef enum {
  POST_ANSWER,
  POST_CANDIDATE,
  POST_MEDIA_FLOWING,
  POST_TAKE_STARTED,
  POST_TAKE_FINISHED,
  POST_FAILED
} PostKind;

typedef struct {
  ImsReceiver *receiver;
  PostKind kind;
  char *text;
  ImsTakeResult *result;
  GError *error;
} Post;

#define receiver_unref ims_receiver_unref

static void
post_free(Post *post)
{
  receiver_unref(post->receiver);
  g_free(post->text);
  g_clear_pointer(&post->result, ims_take_result_free);
  g_clear_error(&post->error);
  g_free(post);
}

static gboolean
dispatch_post(gpointer data)
{
  Post *post = data;
  ImsReceiver *receiver = post->receiver;
  const ImsIngestCallbacks *callbacks = receiver->callbacks;
  if (receiver->closed)
    return G_SOURCE_REMOVE;
  switch (post->kind) {
  case POST_ANSWER:
    callbacks->on_answer(post->text, receiver->user_data);
    ims_peer_candidates_answered(&receiver->candidates);
    break;
  case POST_CANDIDATE:
    ims_peer_candidates_add(&receiver->candidates, post->text);
    break;
  case POST_MEDIA_FLOWING:
    if (callbacks->on_media_flowing)
      callbacks->on_media_flowing(receiver->user_data);
    break;
  case POST_TAKE_STARTED:
    if (callbacks->on_take_started)
      callbacks->on_take_started(receiver->user_data);
    break;
  case POST_TAKE_FINISHED:
    callbacks->on_take_finished(post->result, receiver->user_data);
    break;
  case POST_FAILED:
    callbacks->on_failed(post->error, receiver->user_data);
    break;
  }
  return G_SOURCE_REMOVE;
}

/* Queues post for the main side; always through a source, never inline (the
 * session must be out of its own call first). */
static void
post(ImsReceiver *receiver, Post *post)
{
  post->receiver = receiver_ref(receiver);
  ims_peer_post(receiver->main_context, dispatch_post, post, (GDestroyNotify) post_free);
}

static void
post_simple(ImsReceiver *receiver, PostKind kind, const char *text, const GError *error)
{
  Post *p = g_new0(Post, 1);
  p->kind = kind;
  p->text = g_strdup(text);
  p->error = error ? g_error_copy(error) : NULL;
  post(receiver, p);
}

/* ---- feedback (loop) ---- */

static void
send_rtcp(ImsReceiver *receiver, const guint8 *buffer, int length)
{
  if (length > 0)
    ims_transport_send_rtcp(receiver->transport, buffer, (gsize) length);
}

void
ims_receiver_send_pli(ImsReceiver *receiver, gint64 now)
{
  Track *video = &receiver->tracks[IMS_TRACK_VIDEO];
  if (!video->ssrc)
    return;
  guint8 buffer[64];
  send_rtcp(receiver, buffer,
            ims_rtcp_write_pli(buffer, sizeof buffer, receiver->local_ssrc, video->ssrc));
  ims_metric_add(&ims_metric_plis_sent, IMS_METRIC_KIND_VIDEO, 1);
  receiver->keyframe_asked_us = now;
}

static void
ask_keyframe(ImsReceiver *receiver, gint64 now)
{
  if (now - receiver->keyframe_asked_us >= KEYFRAME_RETRY_US)
    ims_receiver_send_pli(receiver, now);
}

static gboolean
on_timer(gpointer data)
{
  ImsReceiver *receiver = data;
  gint64 now = g_get_monotonic_time();
  for (guint i = 0; i < IMS_TRACK_COUNT; i++) {
    Track *track = &receiver->tracks[i];
    if (!track->stream)
      continue;
    ims_receive_stream_poll(track->stream, now);
    guint16 sequences[MAX_NACKS];
    guint n = ims_receive_stream_collect_nacks(track->stream, now, sequences, MAX_NACKS);
    if (n > 0) {
      guint8 buffer[16 + 4 * MAX_NACKS];
      send_rtcp(receiver, buffer,
                ims_rtcp_write_nack(buffer, sizeof buffer, receiver->local_ssrc, track->ssrc,
                                    sequences, n));
      ims_metric_add(&ims_metric_nacks_sent, track->track, n);
    }
  }
  if (now - receiver->last_report_us >= REPORT_INTERVAL_US) {
    ims_receiver_send_reports(receiver, now);
    ims_receiver_forward_report(receiver, now);
    receiver->last_report_us = now;
  }
  if (receiver->want_keyframe || (receiver->writer && !receiver->take_started) ||
      receiver->split_path)
    ask_keyframe(receiver, now);
  return G_SOURCE_CONTINUE;
}

/* ---- media (loop) ---- */

static void split_now(ImsReceiver *receiver);

static void
on_frame(Track *track, const ImsMediaFrame *frame, gint64 arrival_us)
{
  ImsReceiver *receiver = track->receiver;
  gint64 time_ns = ims_timeline_map(receiver->timeline, (guint) track->timeline_index,
                                    frame->rtp_timestamp, arrival_us);
  if (frame->keyframe && frame->width)
    track->width = frame->width, track->height = frame->height;
  if (track->track == IMS_TRACK_VIDEO && frame->keyframe) {
    receiver->want_keyframe = FALSE;
    if (receiver->split_path)
      split_now(receiver);
  }
  if (!receiver->writer)
    return;
  g_autoptr(GError) error = NULL;
  if (!ims_take_writer_write(receiver->writer, track->track, frame->data, frame->size, time_ns,
                             frame->keyframe, &error)) {
    if (!g_error_matches(error, IMS_TAKE_WRITER_ERROR, IMS_TAKE_WRITER_ERROR_WAITING_FOR_KEYFRAME))
      ims_log_session(G_LOG_LEVEL_DEBUG, receiver->log.session_id, receiver->log.take_id,
                      "%s%s frame not written: %s", receiver->log.prefix,
                      ims_track_name(track->track), error->message);
    return;
  }
  if (track->track == IMS_TRACK_VIDEO && !receiver->take_started) {
    receiver->take_started = TRUE;
    ims_log_session(G_LOG_LEVEL_MESSAGE, receiver->log.session_id, receiver->log.take_id,
                    "%stake %s: first keyframe written", receiver->log.prefix, receiver->take_path);
    post_simple(receiver, POST_TAKE_STARTED, NULL, NULL);
  }
}

/* The receive stream hands packets on in order, here. */
static void
on_ordered_packet(const ImsRtpPacket *packet, guint64 extended_sequence, gint64 arrival_us,
                  gpointer data)
{
  Track *track = data;
  gboolean loss = track->next_sequence != 0 && extended_sequence != track->next_sequence;
  track->next_sequence = extended_sequence + 1;
  if (packet->payload_length == 0)
    return; /* padding (bandwidth probing) */
  ImsRtpPayload payload = {
    .payload = packet->payload,
    .payload_size = packet->payload_length,
    .rtp_timestamp = packet->timestamp,
    .marker = packet->marker,
    .loss_before = loss,
  };
  ImsMediaFrame frame;
  int result = ims_depacketizer_push(track->depacketizer, &payload, &frame);
  if (result < 0)
    return;
  if (result & IMS_DEPACKETIZER_DROPPED && track->track == IMS_TRACK_VIDEO) {
    track->receiver->want_keyframe = TRUE;
    ask_keyframe(track->receiver, g_get_monotonic_time());
  }
  if (result & IMS_DEPACKETIZER_FRAME)
    on_frame(track, &frame, arrival_us);
}

static Track *
track_of_payload_type(ImsReceiver *receiver, guint8 payload_type)
{
  for (guint i = 0; i < IMS_TRACK_COUNT; i++)
    if (receiver->tracks[i].codec != IMS_MEDIA_CODEC_NONE &&
        receiver->tracks[i].payload_type == payload_type)
      return &receiver->tracks[i];
  return NULL;
}

static Track *
track_of_ssrc(ImsReceiver *receiver, guint32 ssrc)
{
  for (guint i = 0; i < IMS_TRACK_COUNT; i++)
    if (receiver->tracks[i].ssrc == ssrc && ssrc != 0)
      return &receiver->tracks[i];
  return NULL;
}

static void
on_rtp(ImsTransport *transport, guint8 *buf, gsize len, gpointer data)
{
  ImsReceiver *receiver = data;
  ImsRtpPacket packet;
  if (!receiver->configured || ims_rtp_parse(buf, len, &packet) < 0)
    return;
  Track *track = track_of_payload_type(receiver, packet.payload_type);
  if (!track)
    return;
  gint64 now = g_get_monotonic_time();
  if (!track->stream) {
    ImsReceiveStreamConfig config;
    ims_receive_stream_config_init(&config, track->clock_rate);
    config.nack = track->nack;
    track->stream = ims_receive_stream_new(&config, on_ordered_packet, track);
    track->ssrc = packet.ssrc;
    ims_log_session(G_LOG_LEVEL_INFO, receiver->log.session_id, NULL,
                    "%s%s flowing (SSRC %u, payload type %u)", receiver->log.prefix,
                    ims_track_name(track->track), packet.ssrc, packet.payload_type);
    __atomic_store_n(&track->last_packet_us, now, __ATOMIC_RELAXED);
    if (receiver->tracks[IMS_TRACK_VIDEO].stream &&
        (receiver->tracks[IMS_TRACK_AUDIO].stream ||
         receiver->tracks[IMS_TRACK_AUDIO].codec == IMS_MEDIA_CODEC_NONE))
      post_simple(receiver, POST_MEDIA_FLOWING, NULL, NULL);
  }
  __atomic_store_n(&track->last_packet_us, now, __ATOMIC_RELAXED);
  ims_receiver_forward_rtp(receiver, track->track, &packet, now);
  ims_receive_stream_push(track->stream, buf, len, now);
  ims_metric_add(&ims_metric_receive_bytes, track->track, (double) len); /* kind = IMS_TRACK_* */
  ims_metric_add(&ims_metric_receive_packets, track->track, 1);
}

static void
on_rtcp(ImsTransport *transport, guint8 *buf, gsize len, gpointer data)
{
  ImsReceiver *receiver = data;
  ImsRtcpReader reader;
  ImsRtcpPacket packet;
  gint64 now = g_get_monotonic_time();
  ims_rtcp_reader_init(&reader, buf, len);
  while (ims_rtcp_reader_next(&reader, &packet) == 1) {
    ImsRtcpReport report;
    if (packet.type != IMS_RTCP_SR || ims_rtcp_parse_report(&packet, &report) < 0 ||
        !report.has_sender_info)
      continue;
    Track *track = track_of_ssrc(receiver, report.ssrc);
    if (!track)
      continue;
    ims_receive_stream_on_sender_report(track->stream, &report, now);
    ims_timeline_on_sender_report(receiver->timeline, (guint) track->timeline_index,
                                  report.ntp_time, report.rtp_time);
    ims_receiver_forward_sender_report(receiver, track->track, &report, now);
  }
}

static void
on_state_changed(ImsTransport *transport, ImsTransportState state, const GError *error,
                 gpointer data)
{
  ImsReceiver *receiver = data;
  ims_log_session(G_LOG_LEVEL_INFO, receiver->log.session_id, NULL, "%stransport %s",
                  receiver->log.prefix, ims_transport_state_to_string(state));
  /* a peer that closed DTLS went away like one whose media stopped: the
   * owner's silence deadline finalizes the take (reason no_media) */
  if (state == IMS_TRANSPORT_STATE_FAILED &&
      !g_error_matches(error, IMS_TRANSPORT_ERROR, IMS_TRANSPORT_ERROR_PEER_CLOSED))
    post_simple(receiver, POST_FAILED, NULL, error);
}

static void
on_local_candidate(ImsTransport *transport, const char *candidate, gpointer data)
{
  if (candidate)
    post_simple(data, POST_CANDIDATE, candidate, NULL);
}

static const ImsTransportCallbacks transport_callbacks = {
  .state_changed = on_state_changed,
  .local_candidate = on_local_candidate,
  .rtp = on_rtp,
  .rtcp = on_rtcp,
};

/* ---- configuration and takes (loop) ---- */

typedef struct {
  ImsReceiver *receiver;
  ImsNegotiatedTrack video, audio;
  char *path;
  char *take_id;
} LoopWork;

static void
loop_work_free(LoopWork *work)
{
  receiver_unref(work->receiver);
  g_free(work->video.mid);
  g_free(work->audio.mid);
  g_free(work->path);
  g_free(work->take_id);
  g_free(work);
}

static ImsMediaCodec
media_codec(ImsSdpCodec codec)
{
  switch (codec) {
  case IMS_SDP_CODEC_H264:
    return IMS_MEDIA_CODEC_H264;
  case IMS_SDP_CODEC_VP8:
    return IMS_MEDIA_CODEC_VP8;
  case IMS_SDP_CODEC_OPUS:
    return IMS_MEDIA_CODEC_OPUS;
  default:
    return IMS_MEDIA_CODEC_NONE;
  }
}

static void
configure_track(ImsReceiver *receiver, Track *track, ImsTrack which,
                const ImsNegotiatedTrack *agreed)
{
  track->receiver = receiver;
  track->track = which;
  track->codec = media_codec(agreed->codec);
  if (track->codec == IMS_MEDIA_CODEC_NONE)
    return; /* a screen share's audio (allow_video_only): no such track */
  track->payload_type = (guint8) agreed->payload_type;
  track->clock_rate = agreed->clock_rate;
  track->nack = which == IMS_TRACK_VIDEO && agreed->nack;
  track->depacketizer = ims_depacketizer_new(track->codec, IMS_DEPACKETIZER_DEFAULT_MAX_FRAME_SIZE);
  /* a recording shows what a browser would: no frame that refers to a missing one */
  ims_depacketizer_set_wait_for_keyframe(track->depacketizer, which == IMS_TRACK_VIDEO);
  track->timeline_index = ims_timeline_add_stream(receiver->timeline, agreed->clock_rate);
}

static gboolean
loop_configure(gpointer data)
{
  LoopWork *work = data;
  ImsReceiver *receiver = work->receiver;
  receiver->timeline = ims_timeline_new();
  configure_track(receiver, &receiver->tracks[IMS_TRACK_VIDEO], IMS_TRACK_VIDEO, &work->video);
  configure_track(receiver, &receiver->tracks[IMS_TRACK_AUDIO], IMS_TRACK_AUDIO, &work->audio);
  receiver->local_ssrc = g_random_int() | 1;
  receiver->timer = g_timeout_source_new(TIMER_INTERVAL_MS);
  g_source_set_callback(receiver->timer, on_timer, receiver, NULL);
  g_source_attach(receiver->timer, ims_media_loop_get_context(receiver->loop));
  receiver->configured = TRUE;
  return G_SOURCE_REMOVE;
}

/* Closes the open take and returns its result (receiver-take.c). */
static ImsTakeResult *
close_take(ImsReceiver *receiver)
{
  ImsTakeResult *result = ims_receiver_take_close(&receiver->log, &receiver->writer,
                                                  receiver->take_path, receiver->tracks);
  g_clear_pointer(&receiver->take_path, g_free);
  g_clear_pointer(&receiver->log.take_id, g_free);
  receiver->take_started = FALSE;
  return result;
}

/* Opens path for a take (take_path and the log's take_id set); FALSE, with
 * the take finished and posted, if the file cannot be opened. */
static gboolean
open_take(ImsReceiver *receiver, const char *path, const char *take_id)
{
  ImsTakeWriterConfig config = {
    .video_codec = receiver->tracks[IMS_TRACK_VIDEO].codec,
    .audio_codec = receiver->tracks[IMS_TRACK_AUDIO].codec,
  };
  g_autoptr(GError) error = NULL;
  receiver->take_path = g_strdup(path);
  g_free(receiver->log.take_id);
  receiver->log.take_id = g_strdup(take_id);
  receiver->take_started = FALSE;
  ims_receiver_tracks_mark_take_start(receiver->tracks);
  receiver->writer = ims_take_writer_open(path, &config, &error);
  if (!receiver->writer) {
    ims_log_session(G_LOG_LEVEL_WARNING, receiver->log.session_id, receiver->log.take_id,
                    "%stake %s cannot be opened: %s", receiver->log.prefix, path, error->message);
    Post *p = g_new0(Post, 1);
    p->kind = POST_TAKE_FINISHED;
    p->result = close_take(receiver);
    post(receiver, p);
    return FALSE;
  }
  return TRUE;
}

static gboolean
loop_start_take(gpointer data)
{
  LoopWork *work = data;
  ImsReceiver *receiver = work->receiver;
  if (!open_take(receiver, work->path, work->take_id))
    return G_SOURCE_REMOVE;
  ims_log_session(G_LOG_LEVEL_MESSAGE, receiver->log.session_id, receiver->log.take_id,
                  "%stake %s started, waiting for a keyframe", receiver->log.prefix, work->path);
  receiver->keyframe_asked_us = 0;
  ask_keyframe(receiver, g_get_monotonic_time());
  return G_SOURCE_REMOVE;
}

/* Closes the open take and posts its result, with its log line. */
static void
finish_take(ImsReceiver *receiver)
{
  g_autofree char *take_id = g_strdup(receiver->log.take_id); /* close_take() clears it */
  Post *p = g_new0(Post, 1);
  p->kind = POST_TAKE_FINISHED;
  p->result = close_take(receiver);
  ims_log_session(G_LOG_LEVEL_MESSAGE, receiver->log.session_id, take_id,
                  "%stake %s finished: %s, %" G_GINT64_FORMAT " ms, %" G_GUINT64_FORMAT " bytes; %s",
                  receiver->log.prefix, p->result->path, p->result->complete ? "complete" : "cut",
                  p->result->duration_ms, p->result->size_bytes, p->result->completeness);
  post(receiver, p);
}

static gboolean
loop_stop_take(gpointer data)
{
  LoopWork *work = data;
  ImsReceiver *receiver = work->receiver;
  g_clear_pointer(&receiver->split_path, g_free); /* a split not yet done ends with the take */
  g_clear_pointer(&receiver->split_take_id, g_free);
  if (receiver->take_path)
    finish_take(receiver);
  return G_SOURCE_REMOVE;
}

/* A video keyframe arrived while a split waits: the open take ends before
 * it and the next one starts with it (the caller writes it next). */
static void
split_now(ImsReceiver *receiver)
{
  g_autofree char *path = g_steal_pointer(&receiver->split_path);
  g_autofree char *take_id = g_steal_pointer(&receiver->split_take_id);
  if (receiver->take_path)
    finish_take(receiver);
  if (open_take(receiver, path, take_id))
    ims_log_session(G_LOG_LEVEL_MESSAGE, receiver->log.session_id, receiver->log.take_id,
                    "%stake %s started by a split", receiver->log.prefix, path);
}

static gboolean
loop_split_take(gpointer data)
{
  LoopWork *work = data;
  ImsReceiver *receiver = work->receiver;
  g_free(receiver->split_path);
  g_free(receiver->split_take_id);
  receiver->split_path = g_strdup(work->path);
  receiver->split_take_id = g_strdup(work->take_id);
  receiver->keyframe_asked_us = 0;
  ask_keyframe(receiver, g_get_monotonic_time());
  return G_SOURCE_REMOVE;
}

static gboolean
loop_teardown(gpointer data)
{
  LoopWork *work = data;
  ImsReceiver *receiver = work->receiver;
  if (receiver->timer) {
    g_source_destroy(receiver->timer);
    g_clear_pointer(&receiver->timer, g_source_unref);
  }
  g_clear_pointer(&receiver->writer, ims_take_writer_free); /* cut, as a crash would */
  g_clear_pointer(&receiver->take_path, g_free);
  g_clear_pointer(&receiver->log.take_id, g_free);
  g_clear_pointer(&receiver->split_path, g_free);
  g_clear_pointer(&receiver->split_take_id, g_free);
  ims_receiver_forward_clear(receiver);
  ims_transport_close(receiver->transport);
  receiver->transport = NULL;
  for (guint i = 0; i < IMS_TRACK_COUNT; i++) {
    ims_receiver_count_lost(&receiver->tracks[i]);
    receiver->tracks[i].lost_counted = 0;
    g_clear_pointer(&receiver->tracks[i].stream, ims_receive_stream_free);
    g_clear_pointer(&receiver->tracks[i].depacketizer, ims_depacketizer_free);
  }
  g_clear_pointer(&receiver->timeline, ims_timeline_free);
  receiver->configured = FALSE;
  /* the loop's load is the transport's to give back (transport.h): its
   * deferred close releases it */
  return G_SOURCE_REMOVE;
}

static void
run_on_loop(ImsReceiver *receiver, GSourceFunc func, LoopWork *work)
{
  work->receiver = receiver_ref(receiver);
  ims_media_loop_invoke(receiver->loop, func, work, (GDestroyNotify) loop_work_free);
}

/* ---- main side ---- */

ImsReceiver *
ims_receiver_new(const char *log_id, const ImsReceiverConfig *config,
                 const ImsIngestCallbacks *callbacks, gpointer user_data, GError **error)
{
  ImsReceiver *receiver = g_new0(ImsReceiver, 1);
  g_atomic_ref_count_init(&receiver->refs);
  receiver->log.session_id = g_strdup(config->session_id);
  receiver->log.prefix = config->session_id != NULL ? g_strdup("")
                                                    : g_strdup_printf("[%s] ", log_id);
  receiver->config = *config;
  receiver->config.session_id = NULL; /* borrowed: only log keeps it */
  receiver->callbacks = callbacks;
  receiver->user_data = user_data;
  receiver->main_context = g_main_context_ref_thread_default();
  ims_peer_candidates_init(&receiver->candidates, callbacks->on_ice_candidate, user_data);
  g_mutex_init(&receiver->quality_lock);
  receiver->quality.rtt_ms = -1; /* not measured before media */
  receiver->loop = ims_media_loops_acquire(config->loops);
  receiver->transport = ims_transport_new_full(receiver->loop, log_id, config->session_id,
                                               config->network, &transport_callbacks, receiver,
                                               error);
  if (!receiver->transport) {
    ims_media_loop_release(receiver->loop);
    receiver_unref(receiver);
    return NULL;
  }
  return receiver;
}

gboolean
ims_receiver_handle_offer(ImsReceiver *receiver, const char *sdp, GError **error)
{
  if (receiver->offered) {
    g_set_error_literal(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_STATE,
                        "this connection has negotiated already");
    return FALSE;
  }
  ImsAnswerLocal local = {
    .ice_ufrag = ims_transport_get_local_ufrag(receiver->transport),
    .ice_pwd = ims_transport_get_local_pwd(receiver->transport),
    .fingerprint = ims_transport_get_local_fingerprint(receiver->transport),
    /* DTLS server to an actpass offer: the server picks the SRTP profile, and OpenSSL picks by its
     * own order (AES-GCM first), where Chromium as server picks AES-CM + HMAC-SHA1, which Debian's
     * libsrtp2 (NSS) unprotects at several times GCM's cost (docs/ingest.md) */
    .prefer_dtls_client = FALSE,
    .video_start_kbps = receiver->config.video_start_kbps,
    .allow_video_only = receiver->config.allow_video_only,
  };
  ImsNegotiation negotiation = { 0 };
  if (!ims_answer_negotiate(sdp, receiver->config.video_codecs, &local, &negotiation, error))
    return FALSE;
  if (!ims_peer_apply_remote(receiver->transport, &negotiation, error)) {
    ims_negotiation_clear(&negotiation);
    return FALSE;
  }
  receiver->candidates.mline_index = ims_peer_transport_mline(&negotiation);
  receiver->offered = TRUE;
  g_atomic_int_set(&receiver->video_only, negotiation.audio.codec == IMS_SDP_CODEC_NONE);

  LoopWork *work = g_new0(LoopWork, 1);
  work->video = negotiation.video;
  work->audio = negotiation.audio;
  work->video.mid = g_strdup(negotiation.video.mid);
  work->audio.mid = g_strdup(negotiation.audio.mid);
  run_on_loop(receiver, loop_configure, work);
  post_simple(receiver, POST_ANSWER, negotiation.answer, NULL);
  receiver->negotiation = negotiation; /* kept for the senders (moved) */
  receiver->negotiated = TRUE;
  return TRUE;
}

gboolean
ims_receiver_add_ice_candidate(ImsReceiver *receiver, guint mline_index, const char *candidate,
                               GError **error)
{
  return ims_peer_add_remote_candidate(receiver->transport, candidate, error);
}

gint64
ims_receiver_get_last_media_time(ImsReceiver *receiver)
{
  gint64 video = __atomic_load_n(&receiver->tracks[IMS_TRACK_VIDEO].last_packet_us,
                                 __ATOMIC_RELAXED);
  gint64 audio = __atomic_load_n(&receiver->tracks[IMS_TRACK_AUDIO].last_packet_us,
                                 __ATOMIC_RELAXED);
  if (g_atomic_int_get(&receiver->video_only))
    return video; /* a screen share */
  return video && audio ? MAX(video, audio) : 0;
}

const ImsNegotiation *
ims_receiver_get_negotiation(ImsReceiver *receiver)
{
  return receiver->negotiated ? &receiver->negotiation : NULL;
}

gboolean
ims_receiver_start_take(ImsReceiver *receiver, const char *path, const char *take_id, GError **error)
{
  if (receiver->take_open || ims_receiver_get_last_media_time(receiver) == 0) {
    g_set_error_literal(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_STATE,
                        receiver->take_open ? "a take is already open" : "media is not flowing yet");
    return FALSE;
  }
  receiver->take_open = TRUE;
  LoopWork *work = g_new0(LoopWork, 1);
  work->path = g_strdup(path);
  work->take_id = g_strdup(take_id);
  run_on_loop(receiver, loop_start_take, work);
  return TRUE;
}

gboolean
ims_receiver_split_take(ImsReceiver *receiver, const char *path, const char *take_id, GError **error)
{
  if (!receiver->take_open) {
    g_set_error_literal(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_STATE, "no take is open");
    return FALSE;
  }
  LoopWork *work = g_new0(LoopWork, 1);
  work->path = g_strdup(path);
  work->take_id = g_strdup(take_id);
  run_on_loop(receiver, loop_split_take, work);
  return TRUE;
}

void
ims_receiver_stop_take(ImsReceiver *receiver)
{
  if (!receiver->take_open)
    return;
  receiver->take_open = FALSE;
  run_on_loop(receiver, loop_stop_take, g_new0(LoopWork, 1));
}

void
ims_receiver_free(ImsReceiver *receiver)
{
  if (!receiver)
    return;
  receiver->closed = TRUE;
  run_on_loop(receiver, loop_teardown, g_new0(LoopWork, 1));
  receiver_unref(receiver);
}
