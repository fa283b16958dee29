/* peer-handler.h: the seam between a signaling peer (peer.c) and the layer that runs interviews.
 *
 * The peer knows the protocol (frames, parsing, ping, its own errors) and nothing of what a join
 * means.  The interview layer gives it an ImsPeerHandler: the peer calls join when a join arrives,
 * hands every other parsed message to the endpoint the join gave it, and lets that endpoint go when
 * the connection closes.  The interview layer talks back through the ims_peer_* calls below, which
 * are all it needs of a peer.  server/interview/registry.c fills the handler; the endpoint is an
 * ImsSession.
 *
 *   join -> ims_peer_join_finish(endpoint) -> message ... -> closed(endpoint)
 *   join -> (connection gone first) -> join_cancel
 *
 * Threading: main loop only.
 */
#pragma once

#include <glib.h>

#include "message.h"

G_BEGIN_DECLS

typedef struct _ImsPeer ImsPeer;

typedef struct {
  /* Starts resolving a join or a room.join (message->type says which: verify the token, find the
   * session or room, attach the peer).  The handler
   * answers with ims_peer_join_finish, at once or later; if the peer goes away first, join_cancel
   * is called instead and the answer must not come. */
  void (*join)(ImsPeer *peer, const ImsMessage *message, gpointer handler_data);
  void (*join_cancel)(ImsPeer *peer, gpointer handler_data);
  /* A parsed message other than join and ping, for the endpoint the join gave.  FALSE with an
   * IMS_SIGNAL_ERROR, which the peer sends as an error frame (its code from the message table). */
  gboolean (*message)(gpointer endpoint, ImsPeer *peer, const ImsMessage *message, GError **error);
  /* The connection is closed: the handler lets the endpoint go (the peer's reference with it).
   * The peer is freed right after; it must not be used again. */
  void (*closed)(gpointer endpoint, ImsPeer *peer);
} ImsPeerHandler;

/* The answer to a join: endpoint (transfer full: given back to closed) with its id for log lines (the
 * session's: the peer's lines carry it as their session field), or NULL with an IMS_SIGNAL_ERROR to
 * send (the handler logs a refusal: the peer does not). */
void ims_peer_join_finish(ImsPeer *peer, gpointer endpoint, const char *log_id, const GError *error);

/* Frames and payload bytes that may wait for a client's socket.  The largest
 * frame imsd sends is a state with 50 questions of 4000 characters (about
 * 200 KB); a client that reads never has more than a few frames queued. */
#define IMS_PEER_MAX_QUEUED_FRAMES 1024
#define IMS_PEER_MAX_QUEUED_BYTES (4 * 1024 * 1024)

/* Queues a text frame (copied). No-op once the peer is closing.  When the
 * frame would pass either bound above, the connection is dropped instead
 * (logged; the queue is freed and the socket closed without flushing). */
void ims_peer_send(ImsPeer *peer, const char *json);
/* Queues {"type":"error",...}. */
void ims_peer_send_error(ImsPeer *peer, const char *code, const char *message,
                         const char *request_type);
/* Flushes what is queued, then closes the connection with a reason.  The
 * handler's closed runs when the socket is closed. */
void ims_peer_close(ImsPeer *peer, const char *reason);
/* "peer-<n>", or the endpoint's log id once joined, for log lines. */
const char *ims_peer_get_log_id(ImsPeer *peer);
/* The client's User-Agent header (may be empty, never NULL). */
const char *ims_peer_get_user_agent(ImsPeer *peer);

G_END_DECLS
