/* ingest.c: one candidate's WebRTC ingest pipeline (see ingest.h).
 *
 * Pipeline (no queues: every element runs on webrtcbin's jitterbuffer
 * threads, one per stream):
 *
 *   webrtcbin ─┬─ rtph264depay ! h264parse ! capsfilter(avc,au) ! tee ─┐
 *              │  (or rtpvp8depay ! tee)                              ├─ take bin:
 *              └─ rtpopusdepay ! opusparse ! tee ─────────────────────┘  matroskamux ! filesink
 *
 * The tees have allow-not-linked=TRUE and no src pads between takes, so media
 * is depayloaded (cheap, keeps depayloader state and codec_data current) and
 * dropped.  A take requests one tee pad per stream and links it to a fresh
 * recording bin whose mux pads were all requested before the bin went
 * PLAYING.  A probe on each tee pad drops video until a keyframe and audio
 * until that keyframe's time, rewrites segments to [0, ∞) and rebases buffer
 * timestamps so the file starts at 0.  Stopping unlinks the tee pads from an
 * IDLE probe and sends EOS into the bin; the EOS probe on the filesink sink
 * pad hands the finish to the main context.
 *
 * Lifecycle: new -> negotiating -> live -> [recording <-> live]* -> closed.
 *
 * Threading: public functions and callbacks run on the main context captured
 * in ims_ingest_new.  Streaming threads (pad-added, probes, webrtcbin signals,
 * promise callbacks) only touch: the branch pointers (under ingest->lock),
 * last_media_time (atomic) and the per-take probe state (under take->lock);
 * everything else is handed to the main context through dispatch(), which
 * always defers via an idle source (never runs synchronously).
 * Lock order: ingest->lock is never held while taking take->lock or vice versa.
 */
#define G_LOG_DOMAIN "imsd.ingest"

#include "ingest.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#include "sdp.h"

#define LOG(ingest, fmt, ...) g_message("[%s] " fmt, (ingest)->log_id, ##__VA_ARGS__)
#define WARN(ingest, fmt, ...) g_warning("[%s] " fmt, (ingest)->log_id, ##__VA_ARGS__)
#define DBG(ingest, fmt, ...) g_debug("[%s] " fmt, (ingest)->log_id, ##__VA_ARGS__)

enum { STREAM_VIDEO = 0, STREAM_AUDIO = 1, N_STREAMS = 2 };

#define KEYFRAME_RETRY_MS 1000

typedef struct {
  ImsSdpCodec codec;
  GstElement *depay;   /* keyframe requests are sent into its src pad */
  GstElement *tee;     /* NULL until pad-added built the branch */
} IngestBranch;

/* One take; owned by ingest->take (main thread). */
typedef struct {
  ImsIngest *ingest;
  guint serial;
  char *path;
  GstElement *bin, *mux, *filesink;
  GstPad *tee_pads[N_STREAMS];   /* requested from the branch tees */
  GstPad *bin_pads[N_STREAMS];   /* ghost pads of the bin (mux sink pads) */
  ImsSdpCodec codecs[N_STREAMS];
  guint keyframe_timer;          /* re-requests a keyframe until one arrives */
  gboolean stopping;             /* main thread only */

  GMutex lock;                   /* protects everything below (streaming threads) */
  GstSegment segments[N_STREAMS];
  gboolean keyframe_seen;
  GstClockTime base;             /* running time of the first keyframe */
  GstClockTime end;              /* max rebased pts + duration written */
  gboolean wrote[N_STREAMS];
  int video_width, video_height; /* from the latest video caps event */
  int width, height;             /* of the first keyframe written */
} IngestTake;

struct _ImsIngest {
  gatomicrefcount refcount;
  char *log_id;
  char *stun_server;
  ImsIngestConfig config;
  ImsIngestCallbacks callbacks;
  gpointer user_data;
  GMainContext *context;

  GstElement *pipeline;
  GstElement *webrtc;
  GSource *bus_source;

  ImsSdpOfferChoice choice;      /* main thread; fixed once the offer is handled */
  gboolean offer_handled;
  gboolean closed, failed;       /* main thread */

  GMutex lock;                   /* protects branches */
  IngestBranch branches[N_STREAMS];

  gint64 last_media_time;        /* __atomic_*: written per buffer by streaming threads */

  IngestTake *take;              /* main thread */
  guint take_serial;
};

G_DEFINE_QUARK(ims-ingest-error-quark, ims_ingest_error)

void
ims_take_result_free(ImsTakeResult *result)
{
  if (result == NULL)
    return;
  g_free(result->path);
  g_free(result->video_codec);
  g_free(result->audio_codec);
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

typedef enum {
  WORK_ANSWER,
  WORK_ICE_CANDIDATE,
  WORK_ICE_STATE,
  WORK_TAKE_STARTED,
  WORK_TAKE_EOS,
  WORK_FAILED,
} WorkKind;

typedef struct {
  ImsIngest *ingest;
  WorkKind kind;
  guint number;      /* mline index, take serial or ICE state */
  char *text;        /* sdp or candidate */
  GError *error;
} Work;

static void work_free(Work *work);
static gboolean work_run(gpointer data);

/* Queues work on the ingest's main context; safe from any thread, always
 * deferred (an idle source), never run synchronously. Takes ownership of
 * text and error. */
static void
dispatch(ImsIngest *ingest, WorkKind kind, guint number, char *text, GError *error)
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

static void finish_take(ImsIngest *ingest, gboolean complete);

/* Main thread: reports the ingest unusable, once. */
static void
fail(ImsIngest *ingest, const GError *error)
{
  if (ingest->closed || ingest->failed)
    return;
  ingest->failed = TRUE;
  WARN(ingest, "ingest failed: %s", error->message);
  if (ingest->take != NULL)
    finish_take(ingest, FALSE);
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
  dispatch(data, WORK_ICE_CANDIDATE, mline_index, g_strdup(candidate), NULL);
}

static void
on_ice_state_notify(GstElement *webrtc, GParamSpec *pspec, gpointer data)
{
  GstWebRTCICEConnectionState state;
  g_object_get(webrtc, "ice-connection-state", &state, NULL);
  dispatch(data, WORK_ICE_STATE, state, NULL, NULL);
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
    dispatch(ingest, WORK_FAILED, 0, NULL,
             g_error_new(IMS_INGEST_ERROR, IMS_INGEST_ERROR_FAILED, "webrtcbin created no answer"));
    ingest_unref(ingest);
    return;
  }
  g_signal_emit_by_name(ingest->webrtc, "set-local-description", answer, NULL);
  g_autofree char *text = gst_sdp_message_as_text(answer->sdp);
  gst_webrtc_session_description_free(answer);
  dispatch(ingest, WORK_ANSWER, 0,
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
    dispatch(ingest, WORK_FAILED, 0, NULL,
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
    dispatch(ingest, WORK_FAILED, 0, NULL, error);
    return;
  }
  DBG(ingest, "%s branch built (%s)", stream == STREAM_VIDEO ? "video" : "audio",
      ims_sdp_codec_name(codec));
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

static void
add_transceiver(ImsIngest *ingest, const ImsSdpMediaChoice *media)
{
  GstWebRTCRTPTransceiver *transceiver = NULL;
  g_signal_emit_by_name(ingest->webrtc, "add-transceiver",
                        GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, media->caps, &transceiver);
  if (transceiver != NULL) {
    g_object_set(transceiver, "do-nack", TRUE, NULL);
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
  if (!ims_sdp_choose_codecs(sdp, &choice, error))
    return FALSE;

  GstSDPMessage *msg = NULL;
  gst_sdp_message_new_from_text(sdp, &msg);
  if (msg == NULL) {
    ims_sdp_offer_choice_clear(&choice);
    g_set_error(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_BAD_SDP, "offer does not parse");
    return FALSE;
  }
  ingest->choice = choice;
  ingest->offer_handled = TRUE;
  LOG(ingest, "offer: video %s pt %d, audio %s pt %d, transport-cc extmap %u",
      ims_sdp_codec_name(choice.video.codec), choice.video.payload_type,
      ims_sdp_codec_name(choice.audio.codec), choice.audio.payload_type,
      choice.video.transport_cc_ext_id);

  /* Transceivers before the remote description, in m-line order, so webrtcbin
   * answers with our codec preferences (and the transport-cc extmap). */
  if (choice.video_first) {
    add_transceiver(ingest, &ingest->choice.video);
    add_transceiver(ingest, &ingest->choice.audio);
  } else {
    add_transceiver(ingest, &ingest->choice.audio);
    add_transceiver(ingest, &ingest->choice.video);
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

/* ---- takes ------------------------------------------------------------ */

typedef struct {
  IngestTake *take;
  int stream;
} TakeProbe;

static void
take_free(IngestTake *take)
{
  ImsIngest *ingest = take->ingest;
  if (take->keyframe_timer != 0) {
    GSource *timer = g_main_context_find_source_by_id(ingest->context, take->keyframe_timer);
    if (timer != NULL)
      g_source_destroy(timer);
  }
  if (take->bin != NULL) {
    gst_element_set_state(take->bin, GST_STATE_NULL);
    gst_bin_remove(GST_BIN(ingest->pipeline), take->bin);
  }
  g_mutex_lock(&ingest->lock);
  for (int s = 0; s < N_STREAMS; s++) {
    if (take->tee_pads[s] != NULL) {
      GstElement *tee = ingest->branches[s].tee;
      GstPad *peer = gst_pad_get_peer(take->tee_pads[s]);
      if (peer != NULL) {
        gst_pad_unlink(take->tee_pads[s], peer);
        gst_object_unref(peer);
      }
      if (tee != NULL)
        gst_element_release_request_pad(tee, take->tee_pads[s]);
      gst_object_unref(take->tee_pads[s]);
    }
    g_clear_object(&take->bin_pads[s]);
  }
  g_mutex_unlock(&ingest->lock);
  g_mutex_clear(&take->lock);
  g_free(take->path);
  g_free(take);
}

/* Rebases buf (made writable by the caller) for the file; FALSE: drop it.
 * Streaming thread; *started is set when this is the take's first keyframe. */
static gboolean
take_rebase_buffer(IngestTake *take, int stream, GstBuffer *buf, gboolean *started)
{
  gboolean keep = TRUE;
  g_mutex_lock(&take->lock);
  GstSegment *segment = &take->segments[stream];
  GstClockTime pts = GST_BUFFER_PTS(buf), dts = GST_BUFFER_DTS(buf);
  GstClockTime rt = GST_CLOCK_TIME_IS_VALID(pts)
      ? gst_segment_to_running_time(segment, GST_FORMAT_TIME, pts) : GST_CLOCK_TIME_NONE;

  if (stream == STREAM_VIDEO && !take->keyframe_seen) {
    if (GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT) || !GST_CLOCK_TIME_IS_VALID(rt)) {
      keep = FALSE;
    } else {
      take->keyframe_seen = TRUE;
      take->base = rt;
      take->width = take->video_width;
      take->height = take->video_height;
      *started = TRUE;
    }
  } else if (!take->keyframe_seen || !GST_CLOCK_TIME_IS_VALID(rt) ||
             (stream == STREAM_AUDIO && rt < take->base)) {
    keep = FALSE;  /* audio before the first keyframe, or untimed data */
  }
  if (keep) {
    GstClockTime out = rt > take->base ? rt - take->base : 0;
    GST_BUFFER_PTS(buf) = out;
    if (GST_CLOCK_TIME_IS_VALID(dts)) {
      GstClockTime rt_dts = gst_segment_to_running_time(segment, GST_FORMAT_TIME, dts);
      GST_BUFFER_DTS(buf) = GST_CLOCK_TIME_IS_VALID(rt_dts) && rt_dts > take->base
          ? rt_dts - take->base : out;
    }
    GstClockTime end = out + (GST_BUFFER_DURATION_IS_VALID(buf) ? GST_BUFFER_DURATION(buf) : 0);
    if (end > take->end)
      take->end = end;
    take->wrote[stream] = TRUE;
  }
  g_mutex_unlock(&take->lock);
  return keep;
}

typedef struct {
  IngestTake *take;
  int stream;
  gboolean started;
} ListRebase;

static gboolean
rebase_list_item(GstBuffer **buf, guint idx, gpointer data)
{
  ListRebase *ctx = data;
  *buf = gst_buffer_make_writable(*buf);
  if (!take_rebase_buffer(ctx->take, ctx->stream, *buf, &ctx->started))
    gst_clear_buffer(buf);
  return TRUE;
}

/* Probe on a tee pad feeding the take (streaming thread): gates on the first
 * keyframe, rebases timestamps and presents a [0, ∞) segment to the mux. */
static GstPadProbeReturn
on_take_data(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  TakeProbe *probe = data;
  IngestTake *take = probe->take;
  gboolean started = FALSE;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
    info->data = buf;
    if (!take_rebase_buffer(take, probe->stream, buf, &started))
      return GST_PAD_PROBE_DROP;
  } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *list = gst_buffer_list_make_writable(GST_PAD_PROBE_INFO_BUFFER_LIST(info));
    info->data = list;
    ListRebase ctx = { take, probe->stream, FALSE };
    gst_buffer_list_foreach(list, rebase_list_item, &ctx);
    started = ctx.started;
    if (gst_buffer_list_length(list) == 0)
      return GST_PAD_PROBE_DROP;
  } else if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
    if (GST_EVENT_TYPE(event) == GST_EVENT_SEGMENT) {
      GstSegment segment;
      gst_event_copy_segment(event, &segment);
      if (segment.format != GST_FORMAT_TIME)
        return GST_PAD_PROBE_OK;
      g_mutex_lock(&take->lock);
      take->segments[probe->stream] = segment;
      g_mutex_unlock(&take->lock);
      gst_segment_init(&segment, GST_FORMAT_TIME);
      GstEvent *rebased = gst_event_new_segment(&segment);
      gst_event_set_seqnum(rebased, gst_event_get_seqnum(event));
      gst_event_unref(event);
      info->data = rebased;
    } else if (GST_EVENT_TYPE(event) == GST_EVENT_CAPS && probe->stream == STREAM_VIDEO) {
      GstCaps *caps = NULL;
      gst_event_parse_caps(event, &caps);
      const GstStructure *s = gst_caps_get_structure(caps, 0);
      int width = 0, height = 0;
      gst_structure_get_int(s, "width", &width);
      gst_structure_get_int(s, "height", &height);
      g_mutex_lock(&take->lock);
      take->video_width = width;
      take->video_height = height;
      g_mutex_unlock(&take->lock);
    }
    return GST_PAD_PROBE_OK;
  }
  if (started)
    dispatch(take->ingest, WORK_TAKE_STARTED, take->serial, NULL, NULL);
  return GST_PAD_PROBE_OK;
}

/* IDLE probe (any thread, the pad is blocked while this runs): detaches the
 * tee pad from the take bin and ends that mux input. */
static GstPadProbeReturn
on_tee_pad_idle(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  TakeProbe *probe = data;
  IngestTake *take = probe->take;
  GstPad *bin_pad = take->bin_pads[probe->stream];
  gst_pad_unlink(pad, bin_pad);
  gst_pad_send_event(bin_pad, gst_event_new_eos());
  return GST_PAD_PROBE_REMOVE;
}

/* EOS reached the file sink (streaming thread): the file is complete. */
static GstPadProbeReturn
on_filesink_event(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  IngestTake *take = data;
  if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_EOS)
    dispatch(take->ingest, WORK_TAKE_EOS, take->serial, NULL, NULL);
  return GST_PAD_PROBE_OK;
}

/* Asks the browser for a keyframe: webrtcbin's RTP session turns the
 * upstream force-key-unit event into RTCP PLI/FIR.  Built by hand (it is the
 * structure gst_video_event_new_upstream_force_key_unit makes) so the core
 * library needs no gstreamer-video dependency. */
static void
request_keyframe(ImsIngest *ingest)
{
  g_mutex_lock(&ingest->lock);
  GstElement *depay = ingest->branches[STREAM_VIDEO].depay
      ? gst_object_ref(ingest->branches[STREAM_VIDEO].depay) : NULL;
  g_mutex_unlock(&ingest->lock);
  if (depay == NULL)
    return;
  GstStructure *s = gst_structure_new("GstForceKeyUnit",
      "running-time", GST_TYPE_CLOCK_TIME, GST_CLOCK_TIME_NONE,
      "all-headers", G_TYPE_BOOLEAN, TRUE,
      "count", G_TYPE_UINT, 0, NULL);
  g_autoptr(GstPad) src = gst_element_get_static_pad(depay, "src");
  gst_pad_send_event(src, gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM, s));
  gst_object_unref(depay);
}

static gboolean
on_keyframe_timer(gpointer data)
{
  IngestTake *take = data;
  g_mutex_lock(&take->lock);
  gboolean seen = take->keyframe_seen;
  g_mutex_unlock(&take->lock);
  if (seen || take->stopping) {
    take->keyframe_timer = 0;
    return G_SOURCE_REMOVE;
  }
  LOG(take->ingest, "take %s: no keyframe yet, asking again", take->path);
  request_keyframe(take->ingest);
  return G_SOURCE_CONTINUE;
}

/* Builds matroskamux ! filesink with both mux pads requested up front. */
static gboolean
take_build_bin(IngestTake *take, GError **error)
{
  take->bin = gst_bin_new(NULL);
  take->mux = gst_element_factory_make("matroskamux", NULL);
  take->filesink = gst_element_factory_make("filesink", NULL);
  if (take->mux == NULL || take->filesink == NULL) {
    g_set_error(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_MISSING_ELEMENT,
                "matroskamux or filesink missing");
    return FALSE;
  }
  /* A small write buffer bounds what a crash (kill -9) loses: 16 KiB is
   * ~50 ms at 2.5 Mbit/s, at ~20 write(2) calls per second. */
  g_object_set(take->filesink, "location", take->path, "sync", FALSE, "async", FALSE,
               "buffer-size", 16384, NULL);
  gst_bin_add_many(GST_BIN(take->bin), take->mux, take->filesink, NULL);
  gst_element_link(take->mux, take->filesink);
  static const char *templates[N_STREAMS] = { "video_%u", "audio_%u" };
  static const char *names[N_STREAMS] = { "video", "audio" };
  for (int s = 0; s < N_STREAMS; s++) {
    g_autoptr(GstPad) mux_pad = gst_element_request_pad_simple(take->mux, templates[s]);
    GstPad *ghost = gst_ghost_pad_new(names[s], mux_pad);
    gst_pad_set_active(ghost, TRUE);
    gst_element_add_pad(take->bin, ghost);
    take->bin_pads[s] = gst_object_ref(ghost);
  }
  g_autoptr(GstPad) sink_pad = gst_element_get_static_pad(take->filesink, "sink");
  gst_pad_add_probe(sink_pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_filesink_event, take, NULL);
  return TRUE;
}

gboolean
ims_ingest_start_take(ImsIngest *ingest, const char *path, GError **error)
{
  g_return_val_if_fail(ingest != NULL && path != NULL, FALSE);
  if (ingest->failed || ingest->take != NULL) {
    g_set_error(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_STATE,
                ingest->failed ? "ingest has failed" : "a take is already open");
    return FALSE;
  }
  g_mutex_lock(&ingest->lock);
  GstElement *tees[N_STREAMS] = { ingest->branches[STREAM_VIDEO].tee, ingest->branches[STREAM_AUDIO].tee };
  ImsSdpCodec codecs[N_STREAMS] = { ingest->branches[STREAM_VIDEO].codec, ingest->branches[STREAM_AUDIO].codec };
  g_mutex_unlock(&ingest->lock);
  if (tees[STREAM_VIDEO] == NULL || tees[STREAM_AUDIO] == NULL ||
      ims_ingest_get_last_media_time(ingest) == 0) {
    g_set_error(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_STATE,
                "media is not flowing yet (video %s, audio %s)",
                tees[STREAM_VIDEO] ? "up" : "missing", tees[STREAM_AUDIO] ? "up" : "missing");
    return FALSE;
  }
  /* Fail here, not with a pipeline error from filesink that would fail the ingest. */
  FILE *probe_file = fopen(path, "wb");
  if (probe_file == NULL) {
    g_set_error(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_FAILED, "cannot write %s: %s",
                path, g_strerror(errno));
    return FALSE;
  }
  fclose(probe_file);

  IngestTake *take = g_new0(IngestTake, 1);
  g_mutex_init(&take->lock);
  take->ingest = ingest;
  take->serial = ++ingest->take_serial;
  take->path = g_strdup(path);
  for (int s = 0; s < N_STREAMS; s++) {
    take->codecs[s] = codecs[s];
    gst_segment_init(&take->segments[s], GST_FORMAT_TIME);
  }
  if (!take_build_bin(take, error)) {
    g_clear_object(&take->bin);
    take_free(take);
    return FALSE;
  }
  gst_bin_add(GST_BIN(ingest->pipeline), take->bin);
  if (!gst_element_sync_state_with_parent(take->bin)) {
    g_set_error(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_FAILED, "recording bin did not start");
    take_free(take);
    return FALSE;
  }
  ingest->take = take;

  for (int s = 0; s < N_STREAMS; s++) {
    TakeProbe *probe = g_new(TakeProbe, 1);
    probe->take = take;
    probe->stream = s;
    take->tee_pads[s] = gst_element_request_pad_simple(tees[s], "src_%u");
    gst_pad_add_probe(take->tee_pads[s],
                      GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST |
                      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                      on_take_data, probe, g_free);
    gst_pad_link(take->tee_pads[s], take->bin_pads[s]);
  }
  request_keyframe(ingest);
  GSource *timer = g_timeout_source_new(KEYFRAME_RETRY_MS);
  g_source_set_callback(timer, on_keyframe_timer, take, NULL);
  take->keyframe_timer = g_source_attach(timer, ingest->context);
  g_source_unref(timer);
  LOG(ingest, "take %s started, waiting for a keyframe", path);
  return TRUE;
}

void
ims_ingest_stop_take(ImsIngest *ingest)
{
  g_return_if_fail(ingest != NULL);
  IngestTake *take = ingest->take;
  if (take == NULL || take->stopping)
    return;
  take->stopping = TRUE;
  LOG(ingest, "take %s stopping", take->path);
  for (int s = 0; s < N_STREAMS; s++) {
    TakeProbe *probe = g_new(TakeProbe, 1);
    probe->take = take;
    probe->stream = s;
    gst_pad_add_probe(take->tee_pads[s], GST_PAD_PROBE_TYPE_IDLE, on_tee_pad_idle, probe, g_free);
  }
}

gboolean
ims_ingest_is_recording(ImsIngest *ingest)
{
  g_return_val_if_fail(ingest != NULL, FALSE);
  return ingest->take != NULL;
}

/* Main thread: reports and frees the current take.  complete == FALSE (a
 * pipeline error) stops the whole pipeline first: the ingest is unusable and
 * the file keeps whatever was written (Matroska stays decodable). */
static void
finish_take(ImsIngest *ingest, gboolean complete)
{
  IngestTake *take = ingest->take;
  ingest->take = NULL;
  if (!complete)
    gst_element_set_state(ingest->pipeline, GST_STATE_NULL);
  else
    gst_element_set_state(take->bin, GST_STATE_NULL);

  g_autoptr(ImsTakeResult) result = g_new0(ImsTakeResult, 1);
  result->path = g_strdup(take->path);
  result->complete = complete;
  g_mutex_lock(&take->lock);
  result->duration_ms = take->keyframe_seen ? (gint64) (take->end / GST_MSECOND) : 0;
  if (take->wrote[STREAM_VIDEO]) {
    result->video_codec = g_strdup(ims_sdp_codec_name(take->codecs[STREAM_VIDEO]));
    result->width = take->width;
    result->height = take->height;
  }
  if (take->wrote[STREAM_AUDIO])
    result->audio_codec = g_strdup(ims_sdp_codec_name(take->codecs[STREAM_AUDIO]));
  g_mutex_unlock(&take->lock);
  struct stat st;
  if (stat(take->path, &st) == 0)
    result->size_bytes = (guint64) st.st_size;
  take_free(take);

  LOG(ingest, "take %s finished: %s, %" G_GINT64_FORMAT " ms, %" G_GUINT64_FORMAT " bytes, %s %dx%d + %s",
      result->path, complete ? "complete" : "cut", result->duration_ms, result->size_bytes,
      result->video_codec ? result->video_codec : "no video", result->width, result->height,
      result->audio_codec ? result->audio_codec : "no audio");
  if (ingest->callbacks.on_take_finished != NULL)
    ingest->callbacks.on_take_finished(result, ingest->user_data);
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
  case WORK_ANSWER:
    LOG(ingest, "answer ready");
    if (ingest->callbacks.on_answer != NULL && !ingest->failed)
      ingest->callbacks.on_answer(work->text, ingest->user_data);
    break;
  case WORK_ICE_CANDIDATE:
    if (ingest->callbacks.on_ice_candidate != NULL && !ingest->failed)
      ingest->callbacks.on_ice_candidate(work->number, work->text, ingest->user_data);
    break;
  case WORK_ICE_STATE:
    DBG(ingest, "ICE connection state %u", work->number);
    if (work->number == GST_WEBRTC_ICE_CONNECTION_STATE_FAILED) {
      g_autoptr(GError) error = g_error_new(IMS_INGEST_ERROR, IMS_INGEST_ERROR_FAILED,
                                            "ICE connection failed");
      fail(ingest, error);
    }
    break;
  case WORK_TAKE_STARTED:
    if (ingest->take != NULL && ingest->take->serial == work->number) {
      LOG(ingest, "take %s: first keyframe written", ingest->take->path);
      if (ingest->callbacks.on_take_started != NULL)
        ingest->callbacks.on_take_started(ingest->user_data);
    }
    break;
  case WORK_TAKE_EOS:
    if (ingest->take != NULL && ingest->take->serial == work->number)
      finish_take(ingest, TRUE);
    break;
  case WORK_FAILED:
    fail(ingest, work->error);
    break;
  }
  return G_SOURCE_REMOVE;
}

gint64
ims_ingest_get_last_media_time(ImsIngest *ingest)
{
  g_return_val_if_fail(ingest != NULL, 0);
  return __atomic_load_n(&ingest->last_media_time, __ATOMIC_RELAXED);
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
  if (ingest->take != NULL) {
    LOG(ingest, "take %s cut by teardown", ingest->take->path);
    take_free(ingest->take);
    ingest->take = NULL;
  }
  g_signal_handlers_disconnect_by_data(ingest->webrtc, ingest);
  gst_clear_object(&ingest->pipeline);
  LOG(ingest, "ingest closed");
  ingest_unref(ingest);
}
