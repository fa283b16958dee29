/* room-registry.h: the live rooms of this imsd, and how people join them.
 *
 * The room registry holds every room in memory (one somebody is in, one
 * with a file or a write still pending; a sweep every 30 s drops the others:
 * the store keeps them).  A room.join (the session registry, registry.c,
 * hands it over) checks the token: a room token (token.h) of that room names
 * the participant; otherwise a reviewer token of the room's company makes
 * the caller an observer (checked by the verify_reviewer callback: reviewer
 * tokens are the review API's, a layer above).  The room is found in memory
 * or read on the database thread (peers that ask for the same room meanwhile
 * wait for that one read), and the peer joins it: its endpoint is its
 * ImsRoomMember.
 *
 *   new (sweep timer) -> serving joins -> shutting down (open files
 *   finalized) -> freed (pending reads cancelled, rooms released)
 *
 * Threading: main loop only.
 */
#pragma once

#include <glib.h>

#include "peer-handler.h"
#include "room.h"

G_BEGIN_DECLS

typedef struct _ImsRoomRegistry ImsRoomRegistry;

/* Verifies a reviewer (recruiter) token given in room.join: TRUE with the
 * recruiter's user id and company (transfer full; company NULL: one who may
 * see every company).  FALSE with an IMS_SIGNAL_ERROR: BAD_TOKEN,
 * TOKEN_EXPIRED or TOKEN_NOT_YET_VALID.  Main loop; must not wait. */
typedef gboolean (*ImsVerifyReviewerFunc)(gpointer data, const char *token, char **user_id,
                                          char **company_id, GError **error);

typedef struct {
  const ImsRoomContext *context; /* the rooms' context; must outlive the registry */
  const char *token_secret;      /* the key of room tokens */
  ImsVerifyReviewerFunc verify_reviewer; /* NULL: observers cannot join */
  gpointer verify_reviewer_data;
} ImsRoomRegistryConfig;

/* config (copied) must outlive the registry.  Starts the sweep timer.
 * Never fails.  Transfer full. */
ImsRoomRegistry *ims_room_registry_new(const ImsRoomRegistryConfig *config);

/* The peer handler's parts for rooms (registry.c dispatches to them): join
 * resolves message (a room.join) and answers with ims_peer_join_finish, at
 * once or after the room is read; join_cancel forgets a waiting peer; the
 * endpoint of message and closed is an ImsRoomMember. */
void ims_room_registry_join(ImsRoomRegistry *registry, ImsPeer *peer, const ImsMessage *message);
void ims_room_registry_join_cancel(ImsRoomRegistry *registry, ImsPeer *peer);
gboolean ims_room_registry_message(gpointer endpoint, ImsPeer *peer, const ImsMessage *message,
                                   GError **error);
void ims_room_registry_closed(gpointer endpoint, ImsPeer *peer);

/* Presence: which participants are joined now, for REST (ImsRoomPresence
 * in http/rest.h, read on the database thread).  _set is the rooms'
 * context's presence_changed (main loop; data: the table); _is_connected
 * may be called from any thread and waits at most for one hash table
 * operation under the table's lock.  The table must outlive the rooms and
 * every reader (free it after the database).  Transfer full. */
typedef struct _ImsRoomPresenceTable ImsRoomPresenceTable;
ImsRoomPresenceTable *ims_room_presence_table_new(void);
void ims_room_presence_table_free(ImsRoomPresenceTable *table);
void ims_room_presence_table_set(gpointer table, const char *room_id, const char *participant_id,
                                 gboolean connected);
gboolean ims_room_presence_table_is_connected(gpointer table, const char *room_id,
                                              const char *participant_id);

/* Drops the rooms nobody uses any more (ims_room_is_busy).  Cheap. */
void ims_room_registry_sweep(ImsRoomRegistry *registry);

/* Asks every room to finalize its open files (ims_room_shutdown): each room
 * adds one to *pending before it is asked, and runs done once when it has
 * (possibly at once, inside this call).  The caller bounds the wait. */
void ims_room_registry_shutdown(ImsRoomRegistry *registry, guint *pending, ImsDoneFunc done,
                                gpointer user_data);

/* Cancels the room reads still pending and releases every room. */
void ims_room_registry_free(ImsRoomRegistry *registry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsRoomRegistry, ims_room_registry_free)

G_END_DECLS
