/* session-media.c: ImsMediaOps over ImsReceiver (pipelines/ingest/receiver.h).
 *
 * A binding pairs one receiver with the session it reports to.  The session
 * owns the binding (its media handle) and keeps it until close; the
 * receiver's callbacks already run on the main loop, so they forward
 * straight into the session.
 */
#define G_LOG_DOMAIN "imsd.media"

#include "session-media.h"

#include "metrics.h"
#include "receiver.h"
#include "sdp.h"

G_STATIC_ASSERT(IMS_PROFILE_CODEC_H264 == IMS_SDP_ACCEPT_H264);
G_STATIC_ASSERT(IMS_PROFILE_CODEC_VP8 == IMS_SDP_ACCEPT_VP8);

typedef struct {
  ImsSession *session; /* not owned: the session outlives its media */
  ImsReceiver *receiver;
  gint64 stopped_at; /* monotonic time the open take was asked to stop, 0 if not */
} MediaBinding;

static void
on_answer(const char *sdp, gpointer data)
{
  MediaBinding *binding = data;
  ims_session_media_answer(binding->session, binding, sdp);
}

static void
on_ice_candidate(guint mline_index, const char *candidate, gpointer data)
{
  MediaBinding *binding = data;
  ims_session_media_ice_candidate(binding->session, binding, mline_index, candidate);
}

static void
on_media_flowing(gpointer data)
{
  MediaBinding *binding = data;
  ims_session_media_flowing(binding->session, binding);
}

static void
on_take_started(gpointer data)
{
  MediaBinding *binding = data;
  ims_session_media_take_started(binding->session, binding);
}

static void
on_take_finished(const ImsTakeResult *result, gpointer data)
{
  MediaBinding *binding = data;
  if (binding->stopped_at)
    ims_metric_observe(&ims_metric_stop_to_playable_seconds, 0,
                       (g_get_monotonic_time() - binding->stopped_at) / 1e6);
  binding->stopped_at = 0;
  ims_session_media_take_finished(binding->session, binding, result->path, result->duration_ms,
                                  (gint64) result->size_bytes, result->video_codec,
                                  result->audio_codec, result->width, result->height,
                                  result->complete, result->completeness);
}

static void
on_failed(const GError *error, gpointer data)
{
  MediaBinding *binding = data;
  ims_session_media_failed(binding->session, binding, error->message);
}

static const ImsIngestCallbacks callbacks = {
  .on_answer = on_answer,
  .on_ice_candidate = on_ice_candidate,
  .on_media_flowing = on_media_flowing,
  .on_take_started = on_take_started,
  .on_take_finished = on_take_finished,
  .on_failed = on_failed,
};

static gpointer
media_open(ImsSession *session, gpointer media_data, GError **error)
{
  const ImsMediaIngestData *data = media_data;
  const char *profile_name = ims_session_get_record(session)->profile;
  const ImsProfile *profile = data->profiles ? ims_profile_set_lookup(data->profiles, profile_name)
                                             : NULL;
  ImsReceiverConfig config = {
    .loops = data->loops,
    /* same bits as IMS_SDP_ACCEPT_*; 0 = all */
    .video_codecs = profile ? profile->ingest_codecs : 0,
    .video_start_kbps = data->video_start_kbps,
    .target_kbps = data->target_kbps,
    .network = &data->network,
    .session_id = ims_session_get_id(session), /* the session field of the receive path's lines */
  };
  MediaBinding *binding = g_new0(MediaBinding, 1);
  binding->session = session;
  binding->receiver = ims_receiver_new(ims_session_get_id(session), &config, &callbacks, binding,
                                       error);
  if (!binding->receiver) {
    g_free(binding);
    return NULL;
  }
  return binding;
}

static gboolean
media_handle_offer(gpointer media, const char *sdp, GError **error)
{
  MediaBinding *binding = media;
  return ims_receiver_handle_offer(binding->receiver, sdp, error);
}

static gboolean
media_add_ice_candidate(gpointer media, guint mline_index, const char *candidate, GError **error)
{
  MediaBinding *binding = media;
  return ims_receiver_add_ice_candidate(binding->receiver, mline_index, candidate, error);
}

static gboolean
media_start_take(gpointer media, const char *path, const char *take_id, GError **error)
{
  MediaBinding *binding = media;
  return ims_receiver_start_take(binding->receiver, path, take_id, error);
}

static void
media_stop_take(gpointer media)
{
  MediaBinding *binding = media;
  binding->stopped_at = g_get_monotonic_time();
  ims_receiver_stop_take(binding->receiver);
}

static gint64
media_last_media_time(gpointer media)
{
  MediaBinding *binding = media;
  return ims_receiver_get_last_media_time(binding->receiver);
}

static void
media_close(gpointer media)
{
  MediaBinding *binding = media;
  ims_receiver_free(binding->receiver);
  g_free(binding);
}

static const ImsMediaOps ingest_ops = {
  .open = media_open,
  .handle_offer = media_handle_offer,
  .add_ice_candidate = media_add_ice_candidate,
  .start_take = media_start_take,
  .stop_take = media_stop_take,
  .last_media_time = media_last_media_time,
  .close = media_close,
};

const ImsMediaOps *
ims_media_ingest_ops(void)
{
  return &ingest_ops;
}
