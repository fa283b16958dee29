/* room.c: one live room: its members, their roles and messages, its state
 * (scheduled -> live -> ended); see room.h.  The segments and the files
 * recorded into them are room-files.c's, the writes room-write.c's, the JSON
 * room-view.c's.
 *
 * Media handles are closed from an idle (never inside their own callbacks),
 * subscribers before the publisher they forward: a retired subscription or
 * publication is queued in idle_closes, in order, and a publication whose
 * file is still being finalized joins the queue once its file is final.
 */
#define G_LOG_DOMAIN "imsd.room"

#include "room-private.h"

#include <string.h>

#include "log-session.h"
#include "outbox.h"
#include "payloads.h"
#include "peer-handler.h"

/* A handle waiting for its close. */
typedef struct {
  OwnerKind kind;
  gpointer owner; /* Publication* or Subscription*, freed after the close */
} ClosingMedia;

/* ---- lifecycle ---- */

ImsRoom *
ims_room_new(ImsRoomRecord *record, ImsSessionRecord *session, const ImsRoomContext *context)
{
  ImsRoom *room = g_new0(ImsRoom, 1);
  g_ref_count_init(&room->ref_count);
  room->record = record;
  room->session = session;
  room->context = context;
  room->observers = g_ptr_array_new_with_free_func((GDestroyNotify) ims_room_participant_free);
  room->members = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  room->open_files = g_ptr_array_new_with_free_func((GDestroyNotify) ims_room_open_file_free);
  room->idle_closes = g_ptr_array_new_with_free_func(g_free);
  return room;
}

ImsRoom *
ims_room_ref(ImsRoom *room)
{
  g_ref_count_inc(&room->ref_count);
  return room;
}

static void run_idle_closes(ImsRoom *room);
static void close_later(ImsRoom *room, OwnerKind kind, gpointer owner);

void
ims_room_unref(ImsRoom *room)
{
  if (!room || !g_ref_count_dec(&room->ref_count))
    return;
  /* no member, no write: only handles waiting for their idle, and retired
   * publications whose files were never final (a shutdown that timed out),
   * may be left */
  for (guint i = 0; i < room->open_files->len; i++) {
    OpenFile *file = g_ptr_array_index(room->open_files, i);
    if (file->publication && file->publication->file == file)
      close_later(room, OWNER_PUBLICATION, file->publication);
  }
  g_clear_handle_id(&room->idle_close_id, g_source_remove);
  g_clear_handle_id(&room->quality_id, g_source_remove);
  run_idle_closes(room);
  g_ptr_array_unref(room->idle_closes);
  g_ptr_array_unref(room->open_files);
  g_hash_table_unref(room->members);
  g_ptr_array_unref(room->observers);
  ims_room_record_free(room->record);
  ims_session_record_free(room->session);
  g_free(room);
}

const char *
ims_room_get_id(ImsRoom *room)
{
  return room->record->id;
}

const ImsRoomRecord *
ims_room_get_record(ImsRoom *room)
{
  return room->record;
}

const ImsSessionRecord *
ims_room_get_session(ImsRoom *room)
{
  return room->session;
}

gboolean
ims_room_is_busy(ImsRoom *room)
{
  return g_hash_table_size(room->members) > 0 || room->open_files->len > 0 || room->unsaved > 0 ||
         room->completing || room->idle_closes->len > 0;
}

const char *
ims_room_member_get_participant_id(ImsRoomMember *member)
{
  return member->participant->id;
}

/* ---- closing media ---- */

static void
publication_free(Publication *publication)
{
  g_ptr_array_unref(publication->subscribers);
  g_free(publication->stream);
  g_free(publication);
}

static void
subscription_free(Subscription *subscription)
{
  g_free(subscription->pc);
  g_free(subscription);
}

static void
run_idle_closes(ImsRoom *room)
{
  const ImsRoomMediaOps *media = room->context->media;
  /* a close may not add to the queue (no callback runs inside it); take it anyway */
  g_autoptr(GPtrArray) closes = g_steal_pointer(&room->idle_closes);
  room->idle_closes = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < closes->len; i++) {
    ClosingMedia *closing = g_ptr_array_index(closes, i);
    if (closing->kind == OWNER_SUBSCRIPTION) {
      Subscription *subscription = closing->owner;
      if (subscription->media)
        media->close_subscriber(subscription->media);
      subscription_free(subscription);
    } else {
      Publication *publication = closing->owner;
      if (publication->media)
        media->close_publisher(publication->media);
      publication_free(publication);
    }
  }
}

static gboolean
on_idle_closes(gpointer data)
{
  ImsRoom *room = data;
  room->idle_close_id = 0;
  run_idle_closes(room);
  return G_SOURCE_REMOVE;
}

static void
close_later(ImsRoom *room, OwnerKind kind, gpointer owner)
{
  ClosingMedia *closing = g_new0(ClosingMedia, 1);
  closing->kind = kind;
  closing->owner = owner;
  g_ptr_array_add(room->idle_closes, closing);
  if (!room->idle_close_id)
    room->idle_close_id = g_idle_add(on_idle_closes, room);
}

/* Ends subscription: out of its member and its publication, closed from an idle. */
static void
retire_subscription(ImsRoom *room, Subscription *subscription)
{
  g_ptr_array_remove(subscription->publication->subscribers, subscription);
  g_hash_table_steal(subscription->member->subscriptions, subscription->pc);
  subscription->member = NULL;
  subscription->publication = NULL;
  close_later(room, OWNER_SUBSCRIPTION, subscription);
}

/* Ends publication: its subscribers first, its file stopped (final_status:
 * completed for an unpublish, interrupted when cut); closed from an idle once
 * its file is final. */
static void
retire_publication(ImsRoom *room, Publication *publication, ImsTakeStatus final_status,
                   const char *reason)
{
  while (publication->subscribers->len > 0)
    retire_subscription(room, g_ptr_array_index(publication->subscribers, 0));
  g_hash_table_steal(publication->member->publications, publication->stream);
  publication->member = NULL;
  if (publication->file)
    ims_room_stop_file(room, publication, final_status, reason); /* closed once final */
  else
    close_later(room, OWNER_PUBLICATION, publication);
}

/* A publication whose file is final: closed now if it was retired. */
void
ims_room_publication_file_done(ImsRoom *room, Publication *publication)
{
  publication->file = NULL;
  if (!publication->member)
    close_later(room, OWNER_PUBLICATION, publication);
}

/* ---- members ---- */

static ImsRoomMember *
member_ref(ImsRoomMember *member)
{
  g_ref_count_inc(&member->ref_count);
  return member;
}

static void
member_unref(ImsRoomMember *member)
{
  if (!g_ref_count_dec(&member->ref_count))
    return;
  g_hash_table_unref(member->publications);
  g_hash_table_unref(member->subscriptions);
  ims_room_unref(member->room);
  g_free(member);
}

static ImsRoomMember *
find_member(ImsRoom *room, const char *participant_id)
{
  return g_hash_table_lookup(room->members, participant_id);
}

/* Lets go of member's media: its subscriptions, then its publications (their
 * files cut: interrupted), and everyone's subscriptions of them. */
static void
release_member_media(ImsRoom *room, ImsRoomMember *member, const char *reason)
{
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init(&iter, member->subscriptions);
  while (g_hash_table_iter_next(&iter, NULL, &value)) {
    g_hash_table_iter_steal(&iter);
    Subscription *subscription = value;
    g_ptr_array_remove(subscription->publication->subscribers, subscription);
    subscription->member = NULL;
    close_later(room, OWNER_SUBSCRIPTION, subscription);
  }
  g_autoptr(GList) publications = g_hash_table_get_values(member->publications);
  for (GList *l = publications; l; l = l->next)
    retire_publication(room, l->data, IMS_TAKE_INTERRUPTED, reason);
}

static void
tell_presence(ImsRoom *room, ImsRoomMember *member, gboolean connected)
{
  const ImsRoomContext *context = room->context;
  if (context->presence_changed)
    context->presence_changed(context->presence_data, ROOM_LOG_ID(room), member->participant->id,
                              connected);
}

/* member is no longer in the room (left, replaced, shut down): its media go,
 * the room's reference with it.  Its peer is not closed here. */
static void
detach_member(ImsRoom *room, ImsRoomMember *member, const char *reason)
{
  release_member_media(room, member, reason);
  member->peer = NULL;
  if (find_member(room, member->participant->id) == member) {
    tell_presence(room, member, FALSE);
    g_hash_table_remove(room->members, member->participant->id);
    member_unref(member);
  }
}

static const ImsRoomParticipant *
find_participant(ImsRoom *room, const char *participant_id)
{
  for (guint i = 0; i < room->record->participants->len; i++) {
    const ImsRoomParticipant *participant = g_ptr_array_index(room->record->participants, i);
    if (g_strcmp0(participant->id, participant_id) == 0)
      return participant;
  }
  return NULL;
}

/* The observer of recruiter user_id, made on its first join. */
static const ImsRoomParticipant *
observer_of(ImsRoom *room, const char *user_id)
{
  for (guint i = 0; i < room->observers->len; i++) {
    const ImsRoomParticipant *observer = g_ptr_array_index(room->observers, i);
    if (g_strcmp0(observer->user_id, user_id) == 0)
      return observer;
  }
  ImsRoomParticipant *observer = ims_room_participant_new();
  observer->id = g_uuid_string_random();
  observer->role = IMS_ROOM_ROLE_OBSERVER;
  observer->user_id = g_strdup(user_id);
  g_ptr_array_add(room->observers, observer);
  return observer;
}

/* TRUE if a member of that role is joined. */
static gboolean
has_member_of_role(ImsRoom *room, ImsRoomRole role)
{
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init(&iter, room->members);
  while (g_hash_table_iter_next(&iter, NULL, &value))
    if (((ImsRoomMember *) value)->participant->role == role)
      return TRUE;
  return FALSE;
}

void
ims_room_broadcast_state(ImsRoom *room)
{
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init(&iter, room->members);
  while (g_hash_table_iter_next(&iter, NULL, &value)) {
    ImsRoomMember *member = value;
    g_autofree char *json = ims_room_state_json(room, member);
    ims_peer_send(member->peer, json);
  }
}

static gboolean
on_quality_timer(gpointer data)
{
  ims_room_send_quality(data);
  return G_SOURCE_CONTINUE;
}

void
ims_room_send_quality(ImsRoom *room)
{
  if (room->record->state != IMS_ROOM_LIVE)
    return;
  g_autofree char *json = ims_room_quality_json(room);
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init(&iter, room->members);
  while (g_hash_table_iter_next(&iter, NULL, &value))
    ims_peer_send(((ImsRoomMember *) value)->peer, json);
}

/* scheduled -> live once a candidate and an interviewer are in: the state
 * with interview.started and segment 0 in one write; the files of media
 * already flowing start. */
static void
go_live_if_ready(ImsRoom *room)
{
  if (room->record->state != IMS_ROOM_SCHEDULED || !has_member_of_role(room, IMS_ROOM_ROLE_CANDIDATE) ||
      !has_member_of_role(room, IMS_ROOM_ROLE_INTERVIEWER))
    return;
  gint64 now = g_get_real_time();
  room->record->state = IMS_ROOM_LIVE;
  room->record->started_at = now;
  room->session->state = IMS_SESSION_ACTIVE;
  room->session->started_at = now;
  GPtrArray *events = NULL;
  ims_outbox_add(&events, IMS_EVENT_INTERVIEW_STARTED,
                 ims_event_payload_room_started(room->session, ROOM_LOG_ID(room), now),
                 ROOM_LOG_ID(room));
  RoomWrite *write = ims_room_write_new(room, "live");
  ims_room_write_state(write);
  ims_room_write_events(write, events);
  ims_room_open_segment_at(room, -1, NULL, write, now);
  ims_room_write_submit(write);
  ims_log_session(G_LOG_LEVEL_INFO, ROOM_LOG_ID(room), NULL, "the room is live");
}

/* "quality" every quality_interval_ms while live (also for a live room read
 * again after a sweep). */
static void
start_quality_timer(ImsRoom *room)
{
  if (room->record->state == IMS_ROOM_LIVE && room->context->quality_interval_ms &&
      !room->quality_id)
    room->quality_id = g_timeout_add(room->context->quality_interval_ms, on_quality_timer, room);
}

ImsRoomMember *
ims_room_join(ImsRoom *room, ImsPeer *peer, const char *participant_id,
              const char *observer_user_id, GError **error)
{
  if (room->record->state == IMS_ROOM_ENDED) {
    g_set_error_literal(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_ROOM_ENDED,
                        "This interview has ended.");
    return NULL;
  }
  const ImsRoomParticipant *participant = participant_id ? find_participant(room, participant_id)
                                                         : observer_of(room, observer_user_id);
  if (!participant) {
    g_set_error_literal(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_BAD_TOKEN,
                        "This interview link is not valid.");
    return NULL;
  }
  ImsRoomMember *old = find_member(room, participant->id);
  if (old) {
    ImsPeer *old_peer = old->peer;
    ims_log_session(G_LOG_LEVEL_INFO, ROOM_LOG_ID(room), NULL,
                    "participant %s joined again: the new connection replaces the old one",
                    participant->id);
    detach_member(room, old, "disconnected");
    ims_peer_send_error(old_peer, "replaced", "The interview was opened in another window.", NULL);
    ims_peer_close(old_peer, "replaced");
  }
  ImsRoomMember *member = g_new0(ImsRoomMember, 1);
  g_ref_count_init(&member->ref_count);
  member->room = ims_room_ref(room);
  member->participant = participant;
  member->peer = peer;
  member->publications = g_hash_table_new(g_str_hash, g_str_equal);
  member->subscriptions = g_hash_table_new(g_str_hash, g_str_equal);
  g_hash_table_insert(room->members, g_strdup(participant->id), member_ref(member));
  tell_presence(room, member, TRUE);
  ims_log_session(G_LOG_LEVEL_INFO, ROOM_LOG_ID(room), NULL, "%s %s joined",
                  ims_room_role_to_string(participant->role), participant->id);
  go_live_if_ready(room);
  start_quality_timer(room);
  g_autofree char *joined = ims_room_joined_json(room, member);
  ims_peer_send(peer, joined);
  ims_room_broadcast_state(room);
  return member;
}

void
ims_room_member_closed(ImsRoomMember *member)
{
  ImsRoom *room = member->room;
  if (member->peer) {
    ims_log_session(G_LOG_LEVEL_INFO, ROOM_LOG_ID(room), NULL, "%s %s left",
                    ims_room_role_to_string(member->participant->role), member->participant->id);
    ims_room_ref(room);
    detach_member(room, member, "disconnected");
    ims_room_broadcast_state(room);
    ims_room_unref(room);
  }
  member_unref(member);
}

/* ---- messages ---- */

static gboolean
refuse(GError **error, ImsSignalError code, const char *message)
{
  g_set_error_literal(error, IMS_SIGNAL_ERROR, code, message);
  return FALSE;
}

/* An ingest error (bad SDP, bad candidate) as the protocol's. */
static gboolean
refuse_media(GError **error, const GError *media_error)
{
  if (g_error_matches(media_error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_BAD_SDP))
    return refuse(error, IMS_SIGNAL_ERROR_BAD_SDP, media_error->message);
  if (g_error_matches(media_error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_BAD_CANDIDATE))
    return refuse(error, IMS_SIGNAL_ERROR_BAD_CANDIDATE, media_error->message);
  return refuse(error, IMS_SIGNAL_ERROR_MEDIA_FAILED, "The media connection could not be made.");
}

static gboolean
handle_publish(ImsRoom *room, ImsRoomMember *member, const ImsMessage *message, GError **error)
{
  gboolean screen = g_strcmp0(message->stream, "screen") == 0;
  if (member->participant->role == IMS_ROOM_ROLE_OBSERVER)
    return refuse(error, IMS_SIGNAL_ERROR_FORBIDDEN, "Observers cannot send media.");
  if (screen && !room->record->allow_screen_share)
    return refuse(error, IMS_SIGNAL_ERROR_FORBIDDEN, "Screen sharing is not allowed here.");
  if (room->record->state == IMS_ROOM_ENDED)
    return refuse(error, IMS_SIGNAL_ERROR_ROOM_ENDED, "This interview has ended.");

  Publication *publication = g_new0(Publication, 1);
  publication->kind = OWNER_PUBLICATION;
  publication->stream = g_strdup(message->stream);
  publication->subscribers = g_ptr_array_new();
  g_autoptr(GError) media_error = NULL;
  g_autofree char *log_id = g_strdup_printf("%s/%.8s/%s", ROOM_LOG_ID(room),
                                            member->participant->id, message->stream);
  publication->media = room->context->media->open_publisher(room, publication, log_id, screen,
                                                            room->context->media_data,
                                                            &media_error);
  if (!publication->media ||
      !room->context->media->publisher_offer(publication->media, message->sdp, &media_error)) {
    if (publication->media)
      room->context->media->close_publisher(publication->media);
    publication_free(publication);
    return refuse_media(error, media_error);
  }
  Publication *old = g_hash_table_lookup(member->publications, message->stream);
  if (old)
    retire_publication(room, old, IMS_TAKE_COMPLETED, "republished");
  publication->member = member;
  publication->negotiated = TRUE;
  g_hash_table_insert(member->publications, publication->stream, publication);
  ims_room_broadcast_state(room);
  return TRUE;
}

static gboolean
handle_unpublish(ImsRoom *room, ImsRoomMember *member, const ImsMessage *message, GError **error)
{
  Publication *publication = g_hash_table_lookup(member->publications, message->stream);
  if (!publication)
    return refuse(error, IMS_SIGNAL_ERROR_NOT_PUBLISHED, "That stream is not published.");
  retire_publication(room, publication, IMS_TAKE_COMPLETED, "unpublished");
  ims_room_broadcast_state(room);
  return TRUE;
}

static gboolean
handle_subscribe(ImsRoom *room, ImsRoomMember *member, const ImsMessage *message, GError **error)
{
  ImsRoomMember *publisher = find_member(room, message->participant_id);
  Publication *publication = publisher && publisher != member
                                 ? g_hash_table_lookup(publisher->publications, message->stream)
                                 : NULL;
  if (!publication || !publication->negotiated)
    return refuse(error, IMS_SIGNAL_ERROR_NOT_PUBLISHED, "That stream is not published.");

  Subscription *subscription = g_new0(Subscription, 1);
  subscription->kind = OWNER_SUBSCRIPTION;
  subscription->pc = g_strdup_printf("sub:%s:%s", message->participant_id, message->stream);
  g_autoptr(GError) media_error = NULL;
  g_autofree char *log_id = g_strdup_printf("%s/%.8s/%s", ROOM_LOG_ID(room),
                                            member->participant->id, subscription->pc);
  const ImsRoomMediaOps *media = room->context->media;
  subscription->media = media->open_subscriber(room, subscription, publication->media, log_id,
                                               room->context->media_data, &media_error);
  if (!subscription->media ||
      !media->subscriber_offer(subscription->media, message->sdp, &media_error)) {
    if (subscription->media)
      media->close_subscriber(subscription->media);
    subscription_free(subscription);
    return refuse_media(error, media_error);
  }
  Subscription *old = g_hash_table_lookup(member->subscriptions, subscription->pc);
  if (old)
    retire_subscription(room, old);
  subscription->member = member;
  subscription->publication = publication;
  g_hash_table_insert(member->subscriptions, subscription->pc, subscription);
  g_ptr_array_add(publication->subscribers, subscription);
  return TRUE;
}

static gboolean
handle_unsubscribe(ImsRoom *room, ImsRoomMember *member, const ImsMessage *message)
{
  g_autofree char *pc = g_strdup_printf("sub:%s:%s", message->participant_id, message->stream);
  Subscription *subscription = g_hash_table_lookup(member->subscriptions, pc);
  if (subscription)
    retire_subscription(room, subscription);
  return TRUE;
}

static gboolean
handle_ice(ImsRoom *room, ImsRoomMember *member, const ImsMessage *message, GError **error)
{
  const ImsRoomMediaOps *media = room->context->media;
  g_autoptr(GError) media_error = NULL;
  gboolean ok;
  if (!message->pc)
    return refuse(error, IMS_SIGNAL_ERROR_BAD_MESSAGE, "A live room's ice names its pc.");
  if (g_str_has_prefix(message->pc, "pub:")) {
    Publication *publication = g_hash_table_lookup(member->publications, message->pc + 4);
    if (!publication)
      return refuse(error, IMS_SIGNAL_ERROR_NOT_PUBLISHED, "No such connection.");
    ok = media->publisher_ice(publication->media, message->mline_index, message->candidate,
                              &media_error);
  } else {
    Subscription *subscription = g_hash_table_lookup(member->subscriptions, message->pc);
    if (!subscription)
      return refuse(error, IMS_SIGNAL_ERROR_NOT_PUBLISHED, "No such connection.");
    ok = media->subscriber_ice(subscription->media, message->mline_index, message->candidate,
                               &media_error);
  }
  return ok || refuse_media(error, media_error);
}

static gboolean
handle_mark(ImsRoom *room, ImsRoomMember *member, const ImsMessage *message, GError **error)
{
  if (member->participant->role != IMS_ROOM_ROLE_INTERVIEWER)
    return refuse(error, IMS_SIGNAL_ERROR_FORBIDDEN, "Only an interviewer marks questions.");
  if (room->record->state != IMS_ROOM_LIVE)
    return refuse(error, IMS_SIGNAL_ERROR_BAD_STATE, "The interview is not live.");
  ImsQuestion *off_script = NULL;
  int question_index = message->question_index;
  if (message->text) {
    question_index = (int) room->session->questions->len;
    g_autofree char *id = g_strdup_printf("off-script-%d", question_index + 1);
    off_script = ims_question_new(id, message->text, 0);
  } else if (question_index < 0 || question_index >= (int) room->session->questions->len) {
    return refuse(error, IMS_SIGNAL_ERROR_BAD_MESSAGE, "There is no such question.");
  }
  RoomWrite *write = ims_room_write_new(room, "mark");
  ims_room_open_segment_at(room, question_index, off_script, write, g_get_real_time());
  ims_room_write_submit(write);
  ims_room_broadcast_state(room);
  return TRUE;
}

static gboolean
handle_end(ImsRoom *room, ImsRoomMember *member, GError **error)
{
  if (member->participant->role != IMS_ROOM_ROLE_INTERVIEWER)
    return refuse(error, IMS_SIGNAL_ERROR_FORBIDDEN, "Only an interviewer ends the interview.");
  if (room->record->state == IMS_ROOM_ENDED)
    return refuse(error, IMS_SIGNAL_ERROR_ROOM_ENDED, "This interview has ended.");
  if (room->record->state != IMS_ROOM_LIVE)
    return refuse(error, IMS_SIGNAL_ERROR_BAD_STATE, "The interview is not live.");
  room->record->state = IMS_ROOM_ENDED;
  room->record->ended_at = g_get_real_time();
  room->session->state = IMS_SESSION_COMPLETED;
  room->session->completed_at = room->record->ended_at;
  room->completing = TRUE;
  g_clear_handle_id(&room->quality_id, g_source_remove);
  ims_log_session(G_LOG_LEVEL_INFO, ROOM_LOG_ID(room), NULL, "ended by %s",
                  member->participant->id);
  /* every file stops; the room is written ended once they are final */
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init(&iter, room->members);
  while (g_hash_table_iter_next(&iter, NULL, &value))
    release_member_media(room, value, "end");
  for (guint i = 0; i < room->open_files->len; i++)
    ((OpenFile *) g_ptr_array_index(room->open_files, i))->final_status = IMS_TAKE_COMPLETED;
  ims_room_broadcast_state(room);
  ims_room_complete_if_idle(room);
  return TRUE;
}

gboolean
ims_room_member_handle_message(ImsRoomMember *member, const ImsMessage *message, GError **error)
{
  ImsRoom *room = member->room;
  if (!member->peer)
    return refuse(error, IMS_SIGNAL_ERROR_REPLACED, "This connection was replaced.");
  switch (message->type) {
  case IMS_MESSAGE_PUBLISH:
    return handle_publish(room, member, message, error);
  case IMS_MESSAGE_UNPUBLISH:
    return handle_unpublish(room, member, message, error);
  case IMS_MESSAGE_SUBSCRIBE:
    return handle_subscribe(room, member, message, error);
  case IMS_MESSAGE_UNSUBSCRIBE:
    return handle_unsubscribe(room, member, message);
  case IMS_MESSAGE_ICE:
    return handle_ice(room, member, message, error);
  case IMS_MESSAGE_MARK:
    return handle_mark(room, member, message, error);
  case IMS_MESSAGE_END:
    return handle_end(room, member, error);
  default:
    return refuse(error, IMS_SIGNAL_ERROR_BAD_STATE, "This message is not for a live room.");
  }
}

void
ims_room_complete_if_idle(ImsRoom *room)
{
  if (!room->completing || room->open_files->len > 0)
    return;
  room->completing = FALSE;
  const ImsRoomRecord *record = room->record;
  double duration_s = (double) (record->ended_at - record->started_at) / G_USEC_PER_SEC;
  int responses = ims_room_count_responses(room);
  GPtrArray *events = NULL;
  ims_outbox_add(&events, IMS_EVENT_INTERVIEW_COMPLETED,
                 ims_event_payload_room_completed(room->session, ROOM_LOG_ID(room),
                                                  record->ended_at, duration_s, responses),
                 ROOM_LOG_ID(room));
  RoomWrite *write = ims_room_write_new(room, "ended");
  ims_room_close_segment(room, record->ended_at, write);
  ims_room_write_state(write);
  ims_room_write_events(write, events);
  ims_room_write_then_ended(write);
  ims_room_write_submit(write);
  ims_log_session(G_LOG_LEVEL_INFO, ROOM_LOG_ID(room), NULL,
                  "completed: %.1f s, %d question segment(s) answered", duration_s, responses);
}

/* ---- media reports ---- */

/* The member owner's answers and candidates go to (NULL once retired), and
 * the pc id they are for (transfer full). */
static char *
owner_pc(gpointer owner, ImsRoomMember **member)
{
  if (*(OwnerKind *) owner == OWNER_PUBLICATION) {
    Publication *publication = owner;
    *member = publication->member;
    return g_strdup_printf("pub:%s", publication->stream);
  }
  Subscription *subscription = owner;
  *member = subscription->member;
  return g_strdup(subscription->pc);
}

void
ims_room_media_answer(ImsRoom *room, gpointer owner, const char *sdp)
{
  (void) room;
  ImsRoomMember *member;
  g_autofree char *pc = owner_pc(owner, &member);
  g_autofree char *json = ims_message_room_answer_json(pc, sdp);
  if (member && member->peer) /* retired: nobody to tell */
    ims_peer_send(member->peer, json);
}

void
ims_room_media_ice_candidate(ImsRoom *room, gpointer owner, guint mline_index,
                             const char *candidate)
{
  (void) room;
  ImsRoomMember *member;
  g_autofree char *pc = owner_pc(owner, &member);
  g_autofree char *json = ims_message_room_ice_json(pc, mline_index, candidate);
  if (member && member->peer)
    ims_peer_send(member->peer, json);
}

void
ims_room_media_flowing(ImsRoom *room, gpointer owner)
{
  Publication *publication = owner;
  if (publication->kind != OWNER_PUBLICATION || !publication->member)
    return;
  publication->flowing = TRUE;
  ims_room_start_file(room, publication);
}

void
ims_room_media_failed(ImsRoom *room, gpointer owner, const char *reason)
{
  ims_log_session(G_LOG_LEVEL_WARNING, ROOM_LOG_ID(room), NULL, "media failed: %s", reason);
  ImsRoomMember *member;
  if (*(OwnerKind *) owner == OWNER_PUBLICATION) {
    Publication *publication = owner;
    if (!(member = publication->member))
      return;
    /* its file will not be finalized by the receiver: it is what was written */
    if (publication->file)
      ims_room_cut_file(room, publication->file);
    retire_publication(room, publication, IMS_TAKE_INTERRUPTED, "failed");
  } else {
    Subscription *subscription = owner;
    if (!(member = subscription->member))
      return;
    retire_subscription(room, subscription);
  }
  ims_peer_send_error(member->peer, "media_failed", "A media connection failed; publish or "
                                                    "subscribe again.", NULL);
  ims_room_broadcast_state(room);
}

/* ---- shutdown ---- */

void
ims_room_check_shutdown_done(ImsRoom *room)
{
  if (room->shutdown_done && room->open_files->len == 0) {
    ImsDoneFunc done = room->shutdown_done;
    room->shutdown_done = NULL;
    done(room->shutdown_data);
  }
}

void
ims_room_shutdown(ImsRoom *room, ImsDoneFunc done, gpointer user_data)
{
  room->shutdown_done = done;
  room->shutdown_data = user_data;
  g_clear_handle_id(&room->quality_id, g_source_remove);
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init(&iter, room->members);
  while (g_hash_table_iter_next(&iter, NULL, &value))
    release_member_media(room, value, "shutdown");
  ims_room_check_shutdown_done(room);
}
