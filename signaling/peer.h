/* peer.h: one signaling WebSocket client.
 *
 * An ImsPeer lives exactly as long as its WebSocket connection: created on
 * LWS_CALLBACK_ESTABLISHED, freed on LWS_CALLBACK_CLOSED.  It reassembles
 * frames (bounded by max_message_bytes), parses them (message.c), answers
 * ping and protocol errors itself, hands join to the server's join function
 * and everything else to the session it joined.  Outgoing frames are queued
 * and written when lws says the socket is writable; the queue is bounded
 * (IMS_PEER_MAX_QUEUED_FRAMES, IMS_PEER_MAX_QUEUED_BYTES) and a client that
 * lets it fill (it does not read) is dropped.
 *
 *   connected -> joining -> joined -> closing -> closed
 *
 * Threading: main loop only (lws runs on the GLib loop).
 */
#pragma once

#include <glib.h>

#include "message.h"

G_BEGIN_DECLS

typedef struct _ImsPeer ImsPeer;
typedef struct _ImsSession ImsSession;

/* Starts resolving a join: verify the token, find (or read) the session and
 * attach the peer (ims_session_attach).  It answers with
 * ims_peer_join_finish, at once or later (the session may have to be read
 * from the database); if the peer goes away first, join_cancel is called
 * instead and the answer must not come. */
typedef void (*ImsPeerJoinFunc)(ImsPeer *peer, const ImsMessage *message, gpointer user_data);
typedef void (*ImsPeerJoinCancelFunc)(ImsPeer *peer, gpointer user_data);

/* The answer to a join: session (transfer full) or NULL with an
 * IMS_SIGNAL_ERROR to send. */
void ims_peer_join_finish(ImsPeer *peer, ImsSession *session, const GError *error);

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
 * session is detached when the socket is closed. */
void ims_peer_close(ImsPeer *peer, const char *reason);
/* "peer-<n>" or the session id once joined, for log lines. */
const char *ims_peer_get_log_id(ImsPeer *peer);
/* The client's User-Agent header (may be empty, never NULL). */
const char *ims_peer_get_user_agent(ImsPeer *peer);

struct lws_protocols;
/* The lws protocol entry for the signaling subprotocol.  user must point to an
 * ImsPeerProtocolConfig that outlives the lws context. */
typedef struct {
  ImsPeerJoinFunc join;
  ImsPeerJoinCancelFunc join_cancel;
  gpointer join_data;
  gsize max_message_bytes;
} ImsPeerProtocolConfig;

void ims_peer_protocol_init(struct lws_protocols *protocol, ImsPeerProtocolConfig *config);

#define IMS_SIGNALING_PROTOCOL "imsd.signaling.v1"

G_END_DECLS
