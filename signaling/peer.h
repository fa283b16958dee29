/* peer.h: one signaling WebSocket client.
 *
 * An ImsPeer lives exactly as long as its WebSocket connection: created on
 * LWS_CALLBACK_ESTABLISHED, freed on LWS_CALLBACK_CLOSED.  It reassembles
 * frames (bounded by max_message_bytes), parses them (message.c), answers
 * ping and protocol errors itself, hands join to its handler and everything
 * else to the endpoint the join gave (peer-handler.h).  Outgoing frames are
 * queued and written when lws says the socket is writable; the queue is bounded
 * (IMS_PEER_MAX_QUEUED_FRAMES, IMS_PEER_MAX_QUEUED_BYTES) and a client that
 * lets it fill (it does not read) is dropped.
 *
 *   connected -> joining -> joined -> closing -> closed
 *
 * Threading: main loop only (lws runs on the GLib loop).
 */
#pragma once

#include <glib.h>

#include "peer-handler.h"

G_BEGIN_DECLS

struct lws_protocols;
/* The lws protocol entry for the signaling subprotocol.  user must point to an
 * ImsPeerProtocolConfig that outlives the lws context. */
typedef struct {
  const ImsPeerHandler *handler;
  gpointer handler_data; /* passed to handler->join and join_cancel */
  gsize max_message_bytes;
} ImsPeerProtocolConfig;

void ims_peer_protocol_init(struct lws_protocols *protocol, ImsPeerProtocolConfig *config);

#define IMS_SIGNALING_PROTOCOL "imsd.signaling.v1"

G_END_DECLS
