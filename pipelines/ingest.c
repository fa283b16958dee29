/* ingest.c: one candidate's WebRTC ingest pipeline (see ingest.h).
 *
 * Pipeline (no queues of ours: every element below runs on webrtcbin's
 * jitterbuffer src threads, one per stream):
 *
 *   webrtcbin ─┬─ rtph264depay ! h264parse ! capsfilter(avc,au) ! tee ─┐
 *              │  (or rtpvp8depay ! tee)                              ├─ take bin
 *              └─ rtpopusdepay ! opusparse ! tee ─────────────────────┘  (ingest-take.c)
 *
 * This file: construction, negotiation (offer -> answer, trickle ICE), the
 * branches built in pad-added, failure, the main-context work queue and
 * teardown.  The tees have allow-not-linked=TRUE and no src pads between
 * takes, so media is depayloaded (keeps depayloader state and codec_data
 * current) and dropped; a take (ingest-take.c) requests one tee pad per
 * stream for its recording bin.
 *
 * Receive cost (bench/record.mjs, bench/README.md): almost all of it is
 * webrtcbin's own threads (nicesrc, the DTLS/SRTP queue, rtpjitterbuffer and
 * its timer, rtpsession-rtcp) and their per-packet wakeups, not these
 * branches.  Two settings here cut packets and wakeups without changing what
 * is recorded: NACK only on video (add_transceiver) and TWCC feedback paced at
 * 100 ms (pace_rtcp).
 *
 * Lifecycle: new -> negotiating -> live -> [recording <-> live]* -> closed.
 *
 * Threading: public functions and callbacks run on the main context captured
 * in ims_ingest_new.  Streaming threads (pad-added, probes, webrtcbin signals,
 * promise callbacks) only touch: the branch pointers (under ingest->lock),
 * last_media_time (atomic) and the per-take probe state (under take->lock);
 * everything else is handed to the main context through ims_ingest_dispatch(),
 * which always defers via an idle source (never runs synchronously).
 * Lock order: ingest->lock is never held while taking take->lock or vice versa.
 */
#define G_LOG_DOMAIN "imsd.ingest"

#include "ingest-private.h"

#include <string.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

G_DEFINE_QUARK(ims-ingest-error-quark, ims_ingest_error)

void
ims_take_result_free(ImsTakeResult *result)
{
  if (result == NULL)
    return;
  g_free(result->path);
  g_free(result->video_codec);
  g_free(result->audio_codec);
  g_free(result->completeness);
  g_free(result);
}

static ImsIngest *
ingest_ref(ImsIngest *ingest)
{
  g_atomic_ref_count_inc(&ingest->refcount);
  return ingest;
}

static void
ingest_unref(ImsIngest *ingest)
{
  if (!g_atomic_ref_count_dec(&ingest->refcount))
    return;
  ims_sdp_offer_choice_clear(&ingest->choice);
  g_mutex_clear(&ingest->lock);
  g_main_context_unref(ingest->context);
  g_free(ingest->stun_server);
  g_free(ingest->log_id);
  g_free(ingest);
}

/* ---- handing work to the main context -------------------------------- */

typedef struct {
  ImsIngest *ingest;
  ImsIngestWorkKind kind;
  guint number;      /* mline index, take serial or ICE state */
  char *text;        /* sdp or candidate */
  GError *error;
} Work;

static void work_free(Work *work);
static gboolean work_run(gpointer data);

/* See ingest-private.h. */
void
ims_ingest_dispatch(ImsIngest *ingest, ImsIngestWorkKind kind, guint number, char *text, GError *error)
{
  Work *work = g_new0(Work, 1);
  work->ingest = ingest_ref(ingest);
  work->kind = kind;
  work->number = number;
  work->text = text;
  work->error = error;
  GSource *source = g_idle_source_new();
  g_source_set_priority(source, G_PRIORITY_DEFAULT);
  g_source_set_callback(source, work_run, work, (GDestroyNotify) work_free);
  g_source_attach(source, ingest->context);
  g_source_unref(source);
}

static void
work_free(Work *work)
{
  ingest_unref(work->ingest);
  g_free(work->text);
  g_clear_error(&work->error);
  g_free(work);
}

/* ---- failure ---------------------------------------------------------- */

/* Main thread: reports the ingest unusable, once. */
static void
fail(ImsIngest *ingest, const GError *error)
{
  if (ingest->closed || ingest->failed)
    return;
  ingest->failed = TRUE;
  WARN(ingest, "ingest failed: %s", error->message);
  if (ingest->take != NULL)
    ims_ingest_take_finish(ingest, FALSE);
  if (ingest->callbacks.on_failed != NULL)
    ingest->callbacks.on_failed(error, ingest->user_data);
}

static gboolean
on_bus_message(GstBus *bus, GstMessage *message, gpointer data)
{
  ImsIngest *ingest = data;
  if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
    g_autoptr(GError) gst_error = NULL;
    g_autofree char *debug = NULL;
    gst_message_parse_error(message, &gst_error, &debug);
    g_autoptr(GError) error = g_error_new(IMS_INGEST_ERROR, IMS_INGEST_ERROR_FAILED,
        "pipeline error from %s: %s", GST_OBJECT_NAME(GST_MESSAGE_SRC(message)),
        gst_error->message);
    DBG(ingest, "error debug: %s", debug ? debug : "");
    fail(ingest, error);
  } else if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_WARNING) {
    g_autoptr(GError) warning = NULL;
    gst_message_parse_warning(message, &warning, NULL);
    WARN(ingest, "pipeline warning from %s: %s", GST_OBJECT_NAME(GST_MESSAGE_SRC(message)),
         warning->message);
  }
  return G_SOURCE_CONTINUE;
}

/* ---- webrtcbin signals (any thread) ----------------------------------- */

static void
on_ice_candidate(GstElement *webrtc, guint mline_index, char *candidate, gpointer data)
{
  ims_ingest_dispatch(data, IMS_INGEST_WORK_ICE_CANDIDATE, mline_index, g_strdup(candidate), NULL);
}

static void
on_ice_state_notify(GstElement *webrtc, GParamSpec *pspec, gpointer data)
{
  GstWebRTCICEConnectionState state;
  g_object_get(webrtc, "ice-connection-state", &state, NULL);
  ims_ingest_dispatch(data, IMS_INGEST_WORK_ICE_STATE, state, NULL, NULL);
}

static void
on_answer_created(GstPromise *promise, gpointer data)
{
  ImsIngest *ingest = data;
  GstWebRTCSessionDescription *answer = NULL;
  const GstStructure *reply = NULL;

  if (gst_promise_wait(promise) == GST_PROMISE_RESULT_REPLIED)
    reply = gst_promise_get_reply(promise);
  if (reply != NULL)
    gst_structure_get(reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &answer, NULL);
  gst_promise_unref(promise);
  if (answer == NULL) {
    ims_ingest_dispatch(ingest, IMS_INGEST_WORK_FAILED, 0, NULL,
             g_error_new(IMS_INGEST_ERROR, IMS_INGEST_ERROR_FAILED, "webrtcbin created no answer"));
    ingest_unref(ingest);
    return;
  }
  g_signal_emit_by_name(ingest->webrtc, "set-local-description", answer, NULL);
  g_autofree char *text = gst_sdp_message_as_text(answer->sdp);
  gst_webrtc_session_description_free(answer);
  ims_ingest_dispatch(ingest, IMS_INGEST_WORK_ANSWER, 0,
           ims_sdp_add_video_start_bitrate(text, ingest->config.video_start_bitrate_kbps), NULL);
  ingest_unref(ingest);
}

static void
on_remote_description_set(GstPromise *promise, gpointer data)
{
  ImsIngest *ingest = data;
  gboolean ok = gst_promise_wait(promise) == GST_PROMISE_RESULT_REPLIED;
  const GstStructure *reply = ok ? gst_promise_get_reply(promise) : NULL;
  if (reply != NULL && gst_structure_has_field(reply, "error")) {
    GError *error = NULL;
    gst_structure_get(reply, "error", G_TYPE_ERROR, &error, NULL);
    ims_ingest_dispatch(ingest, IMS_INGEST_WORK_FAILED, 0, NULL,
             g_error_new(IMS_INGEST_ERROR, IMS_INGEST_ERROR_FAILED,
                         "set-remote-description failed: %s", error ? error->message : "?"));
    g_clear_error(&error);
    ok = FALSE;
  }
  gst_promise_unref(promise);
  if (ok) {
    GstPromise *next = gst_promise_new_with_change_func(on_answer_created, ingest, NULL);
    g_signal_emit_by_name(ingest->webrtc, "create-answer", NULL, next);
    return;  /* the ingest reference moves to on_answer_created */
  }
  ingest_unref(ingest);
}

/* ---- media branches (built on a streaming thread in pad-added) -------- */

static GstPadProbeReturn
on_media_buffer(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  ImsIngest *ingest = data;
  __atomic_store_n(&ingest->last_media_time, g_get_monotonic_time(), __ATOMIC_RELAXED);
  return GST_PAD_PROBE_OK;
}

static GstElement *
make(const char *factory, GError **error)
{
  GstElement *element = gst_element_factory_make(factory, NULL);
  if (element == NULL)
    g_set_error(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_MISSING_ELEMENT,
                "GStreamer element '%s' is missing", factory);
  return element;
}

/* Builds depay [! parse ! capsfilter] ! tee for pad and links it. */
static gboolean
build_branch(ImsIngest *ingest, GstPad *pad, int stream, ImsSdpCodec codec, GError **error)
{
  GstElement *chain[4] = { NULL };
  guint n = 0;

  switch (codec) {
  case IMS_SDP_CODEC_H264:
    chain[n++] = make("rtph264depay", error);
    chain[n++] = make("h264parse", error);
    chain[n++] = make("capsfilter", error);
    break;
  case IMS_SDP_CODEC_VP8:
    chain[n++] = make("rtpvp8depay", error);
    break;
  case IMS_SDP_CODEC_OPUS:
    chain[n++] = make("rtpopusdepay", error);
    chain[n++] = make("opusparse", error);  /* caps with rate=48000 for the mux header */
    break;
  default:
    g_set_error(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_FAILED, "unexpected codec on new pad");
    return FALSE;
  }
  chain[n++] = make("tee", error);
  for (guint i = 0; i < n; i++) {
    if (chain[i] == NULL) {
      for (guint j = 0; j < n; j++)
        if (chain[j] != NULL)
          gst_object_unref(gst_object_ref_sink(chain[j]));
      return FALSE;
    }
  }
  if (stream == STREAM_VIDEO)
    g_object_set(chain[0], "request-keyframe", TRUE, "wait-for-keyframe", TRUE, NULL);
  if (codec == IMS_SDP_CODEC_H264) {
    g_autoptr(GstCaps) caps = gst_caps_from_string("video/x-h264,stream-format=avc,alignment=au");
    g_object_set(chain[2], "caps", caps, NULL);
  }
  g_object_set(chain[n - 1], "allow-not-linked", TRUE, NULL);

  for (guint i = 0; i < n; i++)
    gst_bin_add(GST_BIN(ingest->pipeline), chain[i]);
  for (guint i = 0; i + 1 < n; i++)
    gst_element_link(chain[i], chain[i + 1]);
  for (guint i = n; i > 0; i--)
    gst_element_sync_state_with_parent(chain[i - 1]);

  g_autoptr(GstPad) sink = gst_element_get_static_pad(chain[0], "sink");
  if (GST_PAD_LINK_FAILED(gst_pad_link(pad, sink))) {
    g_set_error(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_FAILED,
                "cannot link webrtcbin pad %s to %s", GST_PAD_NAME(pad), GST_ELEMENT_NAME(chain[0]));
    return FALSE;
  }
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                    on_media_buffer, ingest, NULL);

  g_mutex_lock(&ingest->lock);
  ingest->branches[stream].codec = codec;
  ingest->branches[stream].depay = chain[0];
  ingest->branches[stream].tee = chain[n - 1];
  g_mutex_unlock(&ingest->lock);
  return TRUE;
}

/* Streaming thread. */
static void
on_pad_added(GstElement *webrtc, GstPad *pad, gpointer data)
{
  ImsIngest *ingest = data;
  if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC)
    return;

  g_autoptr(GstCaps) caps = gst_pad_get_current_caps(pad);
  if (caps == NULL)
    caps = gst_pad_query_caps(pad, NULL);
  const GstStructure *s = caps && !gst_caps_is_empty(caps) ? gst_caps_get_structure(caps, 0) : NULL;
  const char *media = s ? gst_structure_get_string(s, "media") : NULL;
  ImsSdpCodec codec = ims_sdp_codec_from_encoding_name(s ? gst_structure_get_string(s, "encoding-name") : NULL);
  int stream = media && strcmp(media, "video") == 0 ? STREAM_VIDEO
             : media && strcmp(media, "audio") == 0 ? STREAM_AUDIO : -1;

  g_mutex_lock(&ingest->lock);
  gboolean taken = stream >= 0 && ingest->branches[stream].tee != NULL;
  g_mutex_unlock(&ingest->lock);
  if (stream < 0 || codec == IMS_SDP_CODEC_NONE || taken) {
    /* Not something we record (or a second stream of a kind): discard it. */
    g_autofree char *desc = caps ? gst_caps_to_string(caps) : g_strdup("no caps");
    DBG(ingest, "discarding webrtcbin pad %s (%s)", GST_PAD_NAME(pad), desc);
    GstElement *sink = gst_element_factory_make("fakesink", NULL);
    g_object_set(sink, "sync", FALSE, "async", FALSE, NULL);
    gst_bin_add(GST_BIN(ingest->pipeline), sink);
    gst_element_sync_state_with_parent(sink);
    g_autoptr(GstPad) sinkpad = gst_element_get_static_pad(sink, "sink");
    gst_pad_link(pad, sinkpad);
    return;
  }

  GError *error = NULL;
  if (!build_branch(ingest, pad, stream, codec, &error)) {
    ims_ingest_dispatch(ingest, IMS_INGEST_WORK_FAILED, 0, NULL, error);
    return;
  }
  DBG(ingest, "%s branch built (%s)", stream == STREAM_VIDEO ? "video" : "audio",
      ims_sdp_codec_name(codec));
}

/* ---- RTCP pacing ---------------------------------------------------- */

/* Transport-wide CC feedback every 100 ms, the interval Chrome's own receiver
 * uses, instead of rtpsession's default of one report per video frame
 * (marker bit): the browser's bandwidth estimate works the same, imsd sends
 * (SRTCP-protects, hands to libnice) a third to a half as many RTCP packets. */
#define TWCC_FEEDBACK_INTERVAL (100 * GST_MSECOND)

/* rtpbin "on-new-ssrc" (streaming thread): paces the session's TWCC feedback.
 * Idempotent; a GStreamer without the property is left as it is. */
static void
on_new_ssrc(GstElement *rtpbin, guint session_id, guint ssrc, gpointer data)
{
  GObject *session = NULL;
  g_signal_emit_by_name(rtpbin, "get-internal-session", session_id, &session);
  if (session == NULL)
    return;
  if (g_object_class_find_property(G_OBJECT_GET_CLASS(session), "twcc-feedback-interval") != NULL)
    g_object_set(session, "twcc-feedback-interval", (guint64) TWCC_FEEDBACK_INTERVAL, NULL);
  g_object_unref(session);
}

/* Hooks on_new_ssrc on webrtcbin's internal rtpbin, if it can be found. */
static void
pace_rtcp(ImsIngest *ingest)
{
  g_autoptr(GstElement) rtpbin = gst_bin_get_by_name(GST_BIN(ingest->webrtc), "rtpbin");
  if (rtpbin == NULL) {
    DBG(ingest, "no rtpbin inside webrtcbin: TWCC feedback keeps its default pacing");
    return;
  }
  g_signal_connect(rtpbin, "on-new-ssrc", G_CALLBACK(on_new_ssrc), NULL);
}

/* ---- construction ----------------------------------------------------- */

ImsIngest *
ims_ingest_new(const char *log_id, const ImsIngestConfig *config,
               const ImsIngestCallbacks *callbacks, gpointer user_data, GError **error)
{
  g_return_val_if_fail(config != NULL && callbacks != NULL, NULL);

  static const char *required[] = { "webrtcbin", "rtph264depay", "h264parse", "rtpvp8depay",
                                    "rtpopusdepay", "opusparse", "tee", "capsfilter", "matroskamux", "filesink" };
  for (guint i = 0; i < G_N_ELEMENTS(required); i++) {
    g_autoptr(GstElementFactory) factory = gst_element_factory_find(required[i]);
    if (factory == NULL) {
      g_set_error(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_MISSING_ELEMENT,
                  "GStreamer element '%s' is missing", required[i]);
      return NULL;
    }
  }

  ImsIngest *ingest = g_new0(ImsIngest, 1);
  g_atomic_ref_count_init(&ingest->refcount);
  g_mutex_init(&ingest->lock);
  ingest->log_id = g_strdup(log_id ? log_id : "-");
  ingest->stun_server = g_strdup(config->stun_server);
  ingest->config = *config;
  ingest->config.stun_server = ingest->stun_server;
  ingest->callbacks = *callbacks;
  ingest->user_data = user_data;
  ingest->context = g_main_context_ref_thread_default();

  ingest->pipeline = gst_pipeline_new(NULL);
  ingest->webrtc = gst_element_factory_make("webrtcbin", "webrtc");
  gst_bin_add(GST_BIN(ingest->pipeline), ingest->webrtc);
  g_object_set(ingest->webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, NULL);
  if (config->jitterbuffer_latency_ms > 0)
    g_object_set(ingest->webrtc, "latency", config->jitterbuffer_latency_ms, NULL);
  if (config->stun_server != NULL && *config->stun_server != '\0')
    g_object_set(ingest->webrtc, "stun-server", config->stun_server, NULL);

  g_signal_connect(ingest->webrtc, "on-ice-candidate", G_CALLBACK(on_ice_candidate), ingest);
  g_signal_connect(ingest->webrtc, "notify::ice-connection-state", G_CALLBACK(on_ice_state_notify), ingest);
  g_signal_connect(ingest->webrtc, "pad-added", G_CALLBACK(on_pad_added), ingest);
  pace_rtcp(ingest);

  g_autoptr(GstBus) bus = gst_pipeline_get_bus(GST_PIPELINE(ingest->pipeline));
  ingest->bus_source = gst_bus_create_watch(bus);
  g_source_set_callback(ingest->bus_source, G_SOURCE_FUNC(on_bus_message), ingest, NULL);
  g_source_attach(ingest->bus_source, ingest->context);

  if (gst_element_set_state(ingest->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_set_error(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_FAILED, "pipeline refused to start");
    ims_ingest_free(ingest);
    return NULL;
  }
  LOG(ingest, "ingest pipeline created");
  return ingest;
}

/* ---- negotiation ------------------------------------------------------ */

/* NACK (and so RTX) on video only.  Chrome offers no nack feedback for Opus,
 * so on audio it only armed a retransmission timer per packet in the
 * jitterbuffer (a timer-thread wakeup each) for requests nobody answers. */
static void
add_transceiver(ImsIngest *ingest, const ImsSdpMediaChoice *media, gboolean nack)
{
  GstWebRTCRTPTransceiver *transceiver = NULL;
  g_signal_emit_by_name(ingest->webrtc, "add-transceiver",
                        GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, media->caps, &transceiver);
  if (transceiver != NULL) {
    g_object_set(transceiver, "do-nack", nack, NULL);
    gst_object_unref(transceiver);
  }
}

gboolean
ims_ingest_handle_offer(ImsIngest *ingest, const char *sdp, GError **error)
{
  g_return_val_if_fail(ingest != NULL, FALSE);
  if (ingest->offer_handled || ingest->failed) {
    g_set_error(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_STATE,
                ingest->failed ? "ingest has failed" : "an offer was already handled");
    return FALSE;
  }
  ImsSdpOfferChoice choice = { 0 };
  if (!ims_sdp_choose_codecs(sdp, ingest->config.video_codecs, &choice, error))
    return FALSE;

  GstSDPMessage *msg = NULL;
  gst_sdp_message_new_from_text(sdp, &msg);
  if (msg == NULL) {
    ims_sdp_offer_choice_clear(&choice);
    g_set_error(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_BAD_SDP, "offer does not parse");
    return FALSE;
  }
  guint unified = ims_sdp_unify_bundle_transport(msg);
  if (unified > 0)
    LOG(ingest, "offer: %u bundled m-line(s) had their own ICE credentials (aiortc); the bundle uses "
        "the first bundled m-line's", unified);
  ingest->choice = choice;
  ingest->offer_handled = TRUE;
  LOG(ingest, "offer: video %s pt %d, audio %s pt %d, transport-cc extmap %u",
      ims_sdp_codec_name(choice.video.codec), choice.video.payload_type,
      ims_sdp_codec_name(choice.audio.codec), choice.audio.payload_type,
      choice.video.transport_cc_ext_id);

  /* Transceivers before the remote description, in m-line order, so webrtcbin
   * answers with our codec preferences (and the transport-cc extmap). */
  if (choice.video_first) {
    add_transceiver(ingest, &ingest->choice.video, TRUE);
    add_transceiver(ingest, &ingest->choice.audio, FALSE);
  } else {
    add_transceiver(ingest, &ingest->choice.audio, FALSE);
    add_transceiver(ingest, &ingest->choice.video, TRUE);
  }

  GstWebRTCSessionDescription *offer = gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_OFFER, msg);
  GstPromise *promise = gst_promise_new_with_change_func(on_remote_description_set, ingest_ref(ingest), NULL);
  g_signal_emit_by_name(ingest->webrtc, "set-remote-description", offer, promise);
  gst_webrtc_session_description_free(offer);
  return TRUE;
}

gboolean
ims_ingest_add_ice_candidate(ImsIngest *ingest, guint mline_index, const char *candidate, GError **error)
{
  g_return_val_if_fail(ingest != NULL, FALSE);
  if (candidate == NULL || *candidate == '\0')
    return TRUE;  /* end of candidates: nothing to do for webrtcbin 1.22 */
  const char *line = g_str_has_prefix(candidate, "a=") ? candidate + 2 : candidate;
  if (!g_str_has_prefix(line, "candidate:") || strchr(line, '\n') != NULL) {
    g_set_error(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_BAD_CANDIDATE,
                "not an ICE candidate line");
    return FALSE;
  }
  if (!ingest->offer_handled) {
    g_set_error(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_STATE, "candidate before the offer");
    return FALSE;
  }
  g_signal_emit_by_name(ingest->webrtc, "add-ice-candidate", mline_index, line);
  return TRUE;
}


/* ---- main-context work ------------------------------------------------ */

static gboolean
work_run(gpointer data)
{
  Work *work = data;
  ImsIngest *ingest = work->ingest;
  if (ingest->closed)
    return G_SOURCE_REMOVE;

  switch (work->kind) {
  case IMS_INGEST_WORK_ANSWER:
    LOG(ingest, "answer ready");
    if (ingest->callbacks.on_answer != NULL && !ingest->failed)
      ingest->callbacks.on_answer(work->text, ingest->user_data);
    break;
  case IMS_INGEST_WORK_ICE_CANDIDATE:
    if (ingest->callbacks.on_ice_candidate != NULL && !ingest->failed)
      ingest->callbacks.on_ice_candidate(work->number, work->text, ingest->user_data);
    break;
  case IMS_INGEST_WORK_ICE_STATE:
    DBG(ingest, "ICE connection state %u", work->number);
    if (work->number == GST_WEBRTC_ICE_CONNECTION_STATE_FAILED) {
      g_autoptr(GError) error = g_error_new(IMS_INGEST_ERROR, IMS_INGEST_ERROR_FAILED,
                                            "ICE connection failed");
      fail(ingest, error);
    }
    break;
  case IMS_INGEST_WORK_TAKE_STARTED:
    ims_ingest_take_started(ingest, work->number);
    break;
  case IMS_INGEST_WORK_TAKE_EOS:
    ims_ingest_take_eos(ingest, work->number);
    break;
  case IMS_INGEST_WORK_FAILED:
    fail(ingest, work->error);
    break;
  }
  return G_SOURCE_REMOVE;
}

gint64
ims_ingest_get_last_media_time(ImsIngest *ingest)
{
  g_return_val_if_fail(ingest != NULL, 0);
  /* flowing means both streams are up: before that a take cannot start */
  g_mutex_lock(&ingest->lock);
  gboolean both_up = ingest->branches[STREAM_VIDEO].tee != NULL &&
                     ingest->branches[STREAM_AUDIO].tee != NULL;
  g_mutex_unlock(&ingest->lock);
  return both_up ? __atomic_load_n(&ingest->last_media_time, __ATOMIC_RELAXED) : 0;
}

void
ims_ingest_free(ImsIngest *ingest)
{
  if (ingest == NULL)
    return;
  ingest->closed = TRUE;
  if (ingest->bus_source != NULL) {
    g_source_destroy(ingest->bus_source);
    g_source_unref(ingest->bus_source);
    ingest->bus_source = NULL;
  }
  gst_element_set_state(ingest->pipeline, GST_STATE_NULL);
  ims_ingest_take_cut(ingest);
  g_signal_handlers_disconnect_by_data(ingest->webrtc, ingest);
  gst_clear_object(&ingest->pipeline);
  LOG(ingest, "ingest closed");
  ingest_unref(ingest);
}
