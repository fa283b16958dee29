/* room-media.c: ImsRoomMediaOps over ImsReceiver and ImsSender.
 *
 * A binding pairs one receiver (a published stream) or one sender (a
 * subscription) with the room and the owner it reports for.  The room owns
 * the binding (its media handle) and closes it from an idle, every sender
 * before its publisher's receiver.  The engine's callbacks already run on
 * the main loop, so they forward straight into the room.  Forwarding itself
 * never passes here: a sender gets the publisher's packets on the
 * receiver's media loop (sender.h).
 */
#define G_LOG_DOMAIN "imsd.room"

#include "room-media.h"

#include "receiver.h"
#include "sender.h"

typedef struct {
  ImsRoom *room; /* not owned: the room outlives its media */
  gpointer owner;
  ImsReceiver *receiver;
} Publisher;

typedef struct {
  ImsRoom *room;
  gpointer owner;
  ImsSender *sender;
} Subscriber;

/* ---- publishers ---- */

static void
on_publisher_answer(const char *sdp, gpointer data)
{
  Publisher *publisher = data;
  ims_room_media_answer(publisher->room, publisher->owner, sdp);
}

static void
on_publisher_ice_candidate(guint mline_index, const char *candidate, gpointer data)
{
  Publisher *publisher = data;
  ims_room_media_ice_candidate(publisher->room, publisher->owner, mline_index, candidate);
}

static void
on_media_flowing(gpointer data)
{
  Publisher *publisher = data;
  ims_room_media_flowing(publisher->room, publisher->owner);
}

static void
on_take_started(gpointer data)
{
  (void) data; /* the file's row was written when it was asked for */
}

static void
on_take_finished(const ImsTakeResult *result, gpointer data)
{
  Publisher *publisher = data;
  ims_room_media_file_finished(publisher->room, publisher->owner, result);
}

static void
on_publisher_failed(const GError *error, gpointer data)
{
  Publisher *publisher = data;
  ims_room_media_failed(publisher->room, publisher->owner, error->message);
}

static const ImsIngestCallbacks publisher_callbacks = {
  .on_answer = on_publisher_answer,
  .on_ice_candidate = on_publisher_ice_candidate,
  .on_media_flowing = on_media_flowing,
  .on_take_started = on_take_started,
  .on_take_finished = on_take_finished,
  .on_failed = on_publisher_failed,
};

static gpointer
open_publisher(ImsRoom *room, gpointer owner, const char *log_id, gboolean video_only,
               gpointer media_data, GError **error)
{
  const ImsMediaIngestData *data = media_data;
  const char *profile_name = ims_room_get_record(room)->type;
  const ImsProfile *profile = data->profiles ? ims_profile_set_lookup(data->profiles, profile_name)
                                             : NULL;
  ImsReceiverConfig config = {
    .loops = data->loops,
    .video_codecs = profile ? profile->ingest_codecs : 0,
    .video_start_kbps = data->video_start_kbps,
    .target_kbps = data->target_kbps,
    .network = &data->network,
    .session_id = ims_room_get_id(room), /* the session field of the receive path's lines */
    .allow_video_only = video_only,
  };
  Publisher *publisher = g_new0(Publisher, 1);
  publisher->room = room;
  publisher->owner = owner;
  publisher->receiver = ims_receiver_new(log_id, &config, &publisher_callbacks, publisher, error);
  if (!publisher->receiver) {
    g_free(publisher);
    return NULL;
  }
  return publisher;
}

static gboolean
publisher_offer(gpointer media, const char *sdp, GError **error)
{
  return ims_receiver_handle_offer(((Publisher *) media)->receiver, sdp, error);
}

static gboolean
publisher_ice(gpointer media, guint mline_index, const char *candidate, GError **error)
{
  return ims_receiver_add_ice_candidate(((Publisher *) media)->receiver, mline_index, candidate,
                                        error);
}

static gboolean
start_file(gpointer media, const char *path, const char *file_id, GError **error)
{
  return ims_receiver_start_take(((Publisher *) media)->receiver, path, file_id, error);
}

static gboolean
split_file(gpointer media, const char *path, const char *file_id, GError **error)
{
  return ims_receiver_split_take(((Publisher *) media)->receiver, path, file_id, error);
}

static void
stop_file(gpointer media)
{
  ims_receiver_stop_take(((Publisher *) media)->receiver);
}

static void
publisher_quality(gpointer media, ImsLinkQuality *quality)
{
  ims_receiver_get_quality(((Publisher *) media)->receiver, quality);
}

static void
close_publisher(gpointer media)
{
  Publisher *publisher = media;
  ims_receiver_free(publisher->receiver);
  g_free(publisher);
}

/* ---- subscribers ---- */

static void
on_subscriber_answer(const char *sdp, gpointer data)
{
  Subscriber *subscriber = data;
  ims_room_media_answer(subscriber->room, subscriber->owner, sdp);
}

static void
on_subscriber_ice_candidate(guint mline_index, const char *candidate, gpointer data)
{
  Subscriber *subscriber = data;
  ims_room_media_ice_candidate(subscriber->room, subscriber->owner, mline_index, candidate);
}

static void
on_connected(gpointer data)
{
  (void) data; /* media is forwarded from now on: nothing for the room to do */
}

static void
on_subscriber_failed(const GError *error, gpointer data)
{
  Subscriber *subscriber = data;
  ims_room_media_failed(subscriber->room, subscriber->owner, error->message);
}

static const ImsSenderCallbacks subscriber_callbacks = {
  .on_answer = on_subscriber_answer,
  .on_ice_candidate = on_subscriber_ice_candidate,
  .on_connected = on_connected,
  .on_failed = on_subscriber_failed,
};

static gpointer
open_subscriber(ImsRoom *room, gpointer owner, gpointer publisher_media, const char *log_id,
                gpointer media_data, GError **error)
{
  const ImsMediaIngestData *data = media_data;
  ImsSenderConfig config = {
    .network = &data->network,
    .session_id = ims_room_get_id(room),
  };
  Subscriber *subscriber = g_new0(Subscriber, 1);
  subscriber->room = room;
  subscriber->owner = owner;
  subscriber->sender = ims_sender_new(((Publisher *) publisher_media)->receiver, log_id, &config,
                                      &subscriber_callbacks, subscriber, error);
  if (!subscriber->sender) {
    g_free(subscriber);
    return NULL;
  }
  return subscriber;
}

static gboolean
subscriber_offer(gpointer media, const char *sdp, GError **error)
{
  return ims_sender_handle_offer(((Subscriber *) media)->sender, sdp, error);
}

static gboolean
subscriber_ice(gpointer media, guint mline_index, const char *candidate, GError **error)
{
  return ims_sender_add_ice_candidate(((Subscriber *) media)->sender, mline_index, candidate,
                                      error);
}

static void
close_subscriber(gpointer media)
{
  Subscriber *subscriber = media;
  ims_sender_free(subscriber->sender);
  g_free(subscriber);
}

static const ImsRoomMediaOps ops = {
  .open_publisher = open_publisher,
  .publisher_offer = publisher_offer,
  .publisher_ice = publisher_ice,
  .start_file = start_file,
  .split_file = split_file,
  .stop_file = stop_file,
  .publisher_quality = publisher_quality,
  .close_publisher = close_publisher,
  .open_subscriber = open_subscriber,
  .subscriber_offer = subscriber_offer,
  .subscriber_ice = subscriber_ice,
  .close_subscriber = close_subscriber,
};

const ImsRoomMediaOps *
ims_room_media_ops(void)
{
  return &ops;
}
