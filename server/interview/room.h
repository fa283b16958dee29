/* room.h: one live interview room in memory (docs/live-rooms.md).
 *
 * An ImsRoom wraps the stored ImsRoomRecord and the room's candidate session
 * (ImsSessionRecord: its questions, and each question segment's take) and adds
 * what only exists while people are connected: the members (a joined
 * participant with its peer, the endpoint of its WebSocket), their published
 * streams (a receiver each) and their subscriptions (a sender each, on the
 * publisher's receiver), the open recordings and the quality timer.
 *
 *   room:     scheduled -> live (candidate and >= 1 interviewer joined:
 *             interview.started, segment 0 opens) -> ended (an interviewer's
 *             end: recordings stopped, interview.completed once every file is
 *             final, then the context's room_ended)
 *   segment:  opened (live or mark) -> closed (the next mark or end)
 *   file:     waiting for media -> recording -> split (mark) / stopped (end) /
 *             cut (leave, failed: interrupted) -> final (row updated; the
 *             candidate's camera file of a question segment is that segment's
 *             take: announced and handed to the processor)
 *   member:   joined -> (left | replaced by a join of the same participant)
 *
 * A live room whose people all left stays live.  Every change is sent to every
 * member as room.state; every change of the stored room is queued for the
 * database (database.h) with its events, in order.
 *
 * Threading: main loop only.  Refcounted: the room registry holds one
 * reference, each member one (given back when its peer closes), each queued
 * write one.
 */
#pragma once

#include <glib.h>

#include "message.h"
#include "receiver.h"
#include "session.h"
#include "take-result.h"

G_BEGIN_DECLS

typedef struct _ImsRoom ImsRoom;
/* A joined participant: the endpoint its peer's messages are for. */
typedef struct _ImsRoomMember ImsRoomMember;

/* The room's media as it sees them: publishers (a receiver each) and
 * subscribers (a sender on a publisher).  server/interview/room-media.c binds
 * them to ImsReceiver and ImsSender; unit tests to a fake.  owner is the
 * room's, handed back in the ims_room_media_* calls below; media_data is the
 * context's.  Every handle is freed by its close, never from inside one of
 * its own callbacks; a subscriber is closed before its publisher. */
typedef struct {
  /* A receiver for one published stream: "camera" (audio and video) or
   * "screen" (video only).  Transfer full. */
  gpointer (*open_publisher)(ImsRoom *room, gpointer owner, const char *log_id,
                             gboolean video_only, gpointer media_data, GError **error);
  gboolean (*publisher_offer)(gpointer publisher, const char *sdp, GError **error);
  gboolean (*publisher_ice)(gpointer publisher, guint mline_index, const char *candidate,
                            GError **error);
  /* Files: start once media flows, split at a mark, stop at end or leave;
   * each file ends with ims_room_media_file_finished. */
  gboolean (*start_file)(gpointer publisher, const char *path, const char *file_id,
                         GError **error);
  gboolean (*split_file)(gpointer publisher, const char *path, const char *file_id,
                         GError **error);
  void (*stop_file)(gpointer publisher);
  void (*publisher_quality)(gpointer publisher, ImsLinkQuality *quality);
  void (*close_publisher)(gpointer publisher);
  /* A sender forwarding publisher (which has negotiated) to a subscriber.
   * Transfer full. */
  gpointer (*open_subscriber)(ImsRoom *room, gpointer owner, gpointer publisher,
                              const char *log_id, gpointer media_data, GError **error);
  gboolean (*subscriber_offer)(gpointer subscriber, const char *sdp, GError **error);
  gboolean (*subscriber_ice)(gpointer subscriber, guint mline_index, const char *candidate,
                             GError **error);
  void (*close_subscriber)(gpointer subscriber);
} ImsRoomMediaOps;

typedef struct {
  /* database, spool_dir, take_saved (a candidate's take goes to the processor
   * as a one-way take does) */
  const ImsSessionContext *sessions;
  const ImsRoomMediaOps *media;
  gpointer media_data;
  guint quality_interval_ms; /* "quality" while live; 0: none (tests send it by hand) */
  /* After End, once the ended room is written (main loop; may be NULL): the
   * composite can be made. */
  void (*room_ended)(gpointer data, const char *room_id);
  gpointer room_ended_data;
  /* A participant joined (connected) or left, was replaced or shut down
   * (main loop; may be NULL): the room registry's presence for REST. */
  void (*presence_changed)(gpointer data, const char *room_id, const char *participant_id,
                           gboolean connected);
  gpointer presence_data;
} ImsRoomContext;

/* Takes ownership of room and session (the room's candidate session, with
 * its questions and takes).  context must outlive the room.  Transfer full. */
ImsRoom *ims_room_new(ImsRoomRecord *room, ImsSessionRecord *session,
                      const ImsRoomContext *context);
ImsRoom *ims_room_ref(ImsRoom *room);
void ims_room_unref(ImsRoom *room);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsRoom, ims_room_unref)

const char *ims_room_get_id(ImsRoom *room);
const ImsRoomRecord *ims_room_get_record(ImsRoom *room);
const ImsSessionRecord *ims_room_get_session(ImsRoom *room);
/* TRUE while a member is joined, a file is open or a write is queued: the
 * registry must keep the room. */
gboolean ims_room_is_busy(ImsRoom *room);

/* Joins peer as the room's participant participant_id, or, with
 * participant_id NULL, as an observer of the recruiter observer_user_id (the
 * same recruiter is the same observer on every join).  A member of the same
 * participant is replaced first (its peer gets "replaced" and is closed; its
 * media are freed).  Sends peer room.joined and everyone room.state; the room
 * goes live when a candidate and an interviewer are joined.  FALSE with
 * IMS_SIGNAL_ERROR_ROOM_ENDED once ended, or BAD_TOKEN for a participant the
 * room does not have (nothing changes).  Transfer full: the member is the
 * peer's endpoint, given back to ims_room_member_closed. */
ImsRoomMember *ims_room_join(ImsRoom *room, ImsPeer *peer, const char *participant_id,
                             const char *observer_user_id, GError **error);

/* A message of member's peer (anything but the joins and ping).  FALSE with
 * an IMS_SIGNAL_ERROR to report (forbidden, bad_state, not_published, ...);
 * nothing is changed then. */
gboolean ims_room_member_handle_message(ImsRoomMember *member, const ImsMessage *message,
                                        GError **error);
/* member's peer closed: it leaves (its streams stop, its open files are
 * finalized as interrupted, the room stays live), then the reference goes. */
void ims_room_member_closed(ImsRoomMember *member);
/* The member's participant id ("replaced" and log lines). */
const char *ims_room_member_get_participant_id(ImsRoomMember *member);

/* Sends every member "quality" (the timer does every quality_interval_ms while live). */
void ims_room_send_quality(ImsRoom *room);

/* Shutdown: stops every open file (finalized as interrupted) and closes
 * every member's media.  done runs (possibly at once) when no file is open. */
void ims_room_shutdown(ImsRoom *room, ImsDoneFunc done, gpointer user_data);

/* The media report here (main loop, outside any media call); owner is what
 * open_publisher / open_subscriber were given. */
void ims_room_media_answer(ImsRoom *room, gpointer owner, const char *sdp);
void ims_room_media_ice_candidate(ImsRoom *room, gpointer owner, guint mline_index,
                                  const char *candidate);
/* A publisher's media flow (once): its file starts if the room records it. */
void ims_room_media_flowing(ImsRoom *room, gpointer owner);
/* A publisher's file is final (split, stopped or cut). */
void ims_room_media_file_finished(ImsRoom *room, gpointer owner, const ImsTakeResult *result);
/* A publisher or subscriber failed: it is closed (from an idle), and the
 * member told with error media_failed. */
void ims_room_media_failed(ImsRoom *room, gpointer owner, const char *reason);

G_END_DECLS
