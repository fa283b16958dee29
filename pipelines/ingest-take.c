/* ingest-take.c: one take of an ImsIngest, recorded by remux (see ingest.h).
 *
 * A take is a bin, matroskamux ! filesink, whose two mux pads are requested
 * and ghosted before the bin goes PLAYING, linked to one new src pad of each
 * branch tee (ingest.c).  A probe on each tee pad drops video until a
 * keyframe and audio until that keyframe's time, rewrites segments to
 * [0, inf) and rebases buffer timestamps so the file starts at 0 with a video
 * keyframe.  Until that keyframe the browser is asked for one (upstream
 * force-key-unit -> RTCP PLI/FIR) at the start and then once a second.
 * Stopping unlinks the tee pads from IDLE probes and sends EOS into the bin;
 * the EOS probe on the filesink sink pad hands the finish to the main context.
 *
 * Lifecycle: ims_ingest_start_take -> waiting for a keyframe -> writing
 * (on_take_started) -> stopping (ims_ingest_stop_take) -> finished
 * (on_take_finished, freed); or cut: a pipeline error finishes it as
 * incomplete, ims_ingest_free frees it without a report.
 *
 * Threading: start / stop / finish run on the main context; the probes run
 * on the branches' streaming threads and touch only the fields under
 * take->lock (and tee_pads / bin_pads, fixed while the take is linked).
 * take->lock is never held together with ingest->lock.
 */
#define G_LOG_DOMAIN "imsd.ingest.take"

#include "ingest-private.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#define KEYFRAME_RETRY_MS 1000

/* One take; owned by ingest->take (main thread). */
struct _ImsIngestTake {
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
};

typedef struct {
  ImsIngestTake *take;
  int stream;
} TakeProbe;

static void
take_free(ImsIngestTake *take)
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
take_rebase_buffer(ImsIngestTake *take, int stream, GstBuffer *buf, gboolean *started)
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
  ImsIngestTake *take;
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
  ImsIngestTake *take = probe->take;
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
    ims_ingest_dispatch(take->ingest, IMS_INGEST_WORK_TAKE_STARTED, take->serial, NULL, NULL);
  return GST_PAD_PROBE_OK;
}

/* IDLE probe (any thread, the pad is blocked while this runs): detaches the
 * tee pad from the take bin and ends that mux input. */
static GstPadProbeReturn
on_tee_pad_idle(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  TakeProbe *probe = data;
  ImsIngestTake *take = probe->take;
  GstPad *bin_pad = take->bin_pads[probe->stream];
  gst_pad_unlink(pad, bin_pad);
  gst_pad_send_event(bin_pad, gst_event_new_eos());
  return GST_PAD_PROBE_REMOVE;
}

/* EOS reached the file sink (streaming thread): the file is complete. */
static GstPadProbeReturn
on_filesink_event(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  ImsIngestTake *take = data;
  if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_EOS)
    ims_ingest_dispatch(take->ingest, IMS_INGEST_WORK_TAKE_EOS, take->serial, NULL, NULL);
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
  ImsIngestTake *take = data;
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
take_build_bin(ImsIngestTake *take, GError **error)
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

  ImsIngestTake *take = g_new0(ImsIngestTake, 1);
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
  ImsIngestTake *take = ingest->take;
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
void
ims_ingest_take_finish(ImsIngest *ingest, gboolean complete)
{
  ImsIngestTake *take = ingest->take;
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

void
ims_ingest_take_started(ImsIngest *ingest, guint serial)
{
  ImsIngestTake *take = ingest->take;
  if (take == NULL || take->serial != serial)
    return;
  LOG(ingest, "take %s: first keyframe written", take->path);
  if (ingest->callbacks.on_take_started != NULL)
    ingest->callbacks.on_take_started(ingest->user_data);
}

void
ims_ingest_take_eos(ImsIngest *ingest, guint serial)
{
  if (ingest->take != NULL && ingest->take->serial == serial)
    ims_ingest_take_finish(ingest, TRUE);
}

void
ims_ingest_take_cut(ImsIngest *ingest)
{
  ImsIngestTake *take = ingest->take;
  if (take == NULL)
    return;
  ingest->take = NULL;
  LOG(ingest, "take %s cut by teardown", take->path);
  take_free(take);
}
