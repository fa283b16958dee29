/* media.c: ImsMediaOps over ImsIngest.
 *
 * A binding pairs one ingest with the session it reports to.  The session
 * owns the binding (its media handle) and keeps it until close; the ingest's
 * callbacks already run on the main loop, so they forward straight into the
 * session.
 */
#define G_LOG_DOMAIN "imsd.media"

#include "media.h"

#include "receiver.h"
#include "sdp.h"

G_STATIC_ASSERT(IMS_PROFILE_CODEC_H264 == IMS_SDP_ACCEPT_H264);
G_STATIC_ASSERT(IMS_PROFILE_CODEC_VP8 == IMS_SDP_ACCEPT_VP8);

typedef struct {
  ImsSession *session;   /* not owned: the session outlives its media */
  ImsIngest *ingest;     /* one of the two */
  ImsReceiver *receiver;
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
  ImsIngestConfig config = data->ingest;
  const char *profile_name = ims_session_get_record(session)->profile;
  const ImsProfile *profile =
      data->profiles ? ims_profile_set_lookup(data->profiles, profile_name) : NULL;
  if (profile)
    config.video_codecs = profile->ingest_codecs;  /* same bits as IMS_SDP_ACCEPT_* */
  MediaBinding *binding = g_new0(MediaBinding, 1);
  binding->session = session;
  if (data->loops) {
    ImsReceiverConfig receiver_config = {
      .loops = data->loops,
      .video_codecs = config.video_codecs,
      .video_start_kbps = config.video_start_bitrate_kbps,
      .target_kbps = data->target_kbps,
    };
    binding->receiver = ims_receiver_new(ims_session_get_id(session), &receiver_config, &callbacks,
                                         binding, error);
  } else {
    binding->ingest = ims_ingest_new(ims_session_get_id(session), &config, &callbacks, binding,
                                     error);
  }
  if (!binding->ingest && !binding->receiver) {
    g_free(binding);
    return NULL;
  }
  return binding;
}

static gboolean
media_handle_offer(gpointer media, const char *sdp, GError **error)
{
  MediaBinding *binding = media;
  return binding->receiver ? ims_receiver_handle_offer(binding->receiver, sdp, error)
                           : ims_ingest_handle_offer(binding->ingest, sdp, error);
}

static gboolean
media_add_ice_candidate(gpointer media, guint mline_index, const char *candidate, GError **error)
{
  MediaBinding *binding = media;
  return binding->receiver
      ? ims_receiver_add_ice_candidate(binding->receiver, mline_index, candidate, error)
      : ims_ingest_add_ice_candidate(binding->ingest, mline_index, candidate, error);
}

static gboolean
media_start_take(gpointer media, const char *path, GError **error)
{
  MediaBinding *binding = media;
  return binding->receiver ? ims_receiver_start_take(binding->receiver, path, error)
                           : ims_ingest_start_take(binding->ingest, path, error);
}

static void
media_stop_take(gpointer media)
{
  MediaBinding *binding = media;
  if (binding->receiver)
    ims_receiver_stop_take(binding->receiver);
  else
    ims_ingest_stop_take(binding->ingest);
}

static gint64
media_last_media_time(gpointer media)
{
  MediaBinding *binding = media;
  return binding->receiver ? ims_receiver_get_last_media_time(binding->receiver)
                           : ims_ingest_get_last_media_time(binding->ingest);
}

static void
media_close(gpointer media)
{
  MediaBinding *binding = media;
  if (binding->receiver)
    ims_receiver_free(binding->receiver);
  else
    ims_ingest_free(binding->ingest);
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
