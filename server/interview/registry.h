/* registry.h: the live sessions of this imsd, and how a candidate joins one.
 *
 * The registry holds every session that is in memory: one a candidate is
 * attached to, one whose take is still being finalized, and one that was used
 * recently (a sweep every 30 s drops those nobody uses; the store keeps
 * them).  It is the signaling peer's handler (peer-handler.h): a join checks
 * the candidate's token (token.h), finds the session in memory or reads it on
 * the database thread (peers that ask for the same session meanwhile wait for
 * that one read), and attaches the peer; the joined peer's endpoint is its
 * session.  user.logged_out and user.deleted end a user's live sessions
 * through it; shutdown asks every session to finalize its open take.  A
 * room.join is handed to the room registry (room-registry.h), whose members
 * are then those peers' endpoints.
 *
 *   new (sweep timer) -> serving joins -> shutting down (open takes
 *   finalized) -> freed (pending reads cancelled, sessions released)
 *
 * Threading: main loop only.  The registry holds one reference to each
 * session; a joined peer holds another (given back in the handler's closed).
 */
#pragma once

#include <glib.h>

#include "peer-handler.h"
#include "session.h"

G_BEGIN_DECLS

typedef struct _ImsRegistry ImsRegistry;

/* context is the sessions' context and token_secret the key of candidate
 * tokens; both must outlive the registry.  Starts the sweep timer.  Never
 * fails.  Transfer full. */
ImsRegistry *ims_registry_new(const ImsSessionContext *context, const char *token_secret);

/* The handler to give the signaling protocol (ImsPeerProtocolConfig), with
 * the registry as its handler_data.  Static, transfer none. */
const ImsPeerHandler *ims_registry_peer_handler(void);

/* Drops the sessions nobody uses any more (no peer, no take being
 * finalized); the store keeps them.  Cheap; the sweep timer calls it. */
void ims_registry_sweep(ImsRegistry *registry);

/* Ends user_id's live sessions (user.logged_out, user.deleted): each
 * attached peer is told "logged_out" and closed, an open take is finalized
 * as interrupted, the session stays resumable.  With forget, the user's
 * sessions that are not busy leave memory too (their rows are gone). */
void ims_registry_end_user_sessions(ImsRegistry *registry, const char *user_id, gboolean forget);

/* Asks every session to finalize its open take (ims_session_shutdown), and
 * every live room its open files (ims_room_registry_shutdown); done
 * runs once all have, at once if none has one.  There is no timeout here:
 * the caller bounds the wait.  The registry must outlive done. */
void ims_registry_shutdown(ImsRegistry *registry, ImsDoneFunc done, gpointer user_data);
/* Sessions asked to finalize that have not yet (for the log line of a
 * shutdown that timed out). */
guint ims_registry_get_finalizing(ImsRegistry *registry);

/* The IMS_SIGNAL_ERROR a join answers when reading what it joins (session
 * or room id) failed with store_error: not_found with its message when there
 * is none, else internal (logged as a warning). */
void ims_registry_load_error(const GError *store_error, const char *id, ImsSignalError not_found,
                             const char *not_found_message, GError **error);

/* room.join (a live room's join) goes to rooms (not owned: it must outlive
 * the peers it joined); without it, room.join is refused with room_not_found. */
typedef struct _ImsRoomRegistry ImsRoomRegistry;
void ims_registry_set_rooms(ImsRegistry *registry, ImsRoomRegistry *rooms);

/* Cancels the session reads still pending (their peers get no answer: the
 * connections are gone by then) and releases every session. */
void ims_registry_free(ImsRegistry *registry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsRegistry, ims_registry_free)

G_END_DECLS
