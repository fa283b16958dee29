/* peer.c: one signaling WebSocket client; see peer.h.
 *
 * Bounds, so one client cannot cost imsd more than a little memory:
 * - incoming: a message is reassembled up to max_message_bytes; a larger one earns one too_large and the
 *   connection is closed; a binary message earns one bad_json.  The rest of a refused message (lws hands
 *   a large message over in many fragments) is discarded without another reply.
 * - outgoing: at most IMS_PEER_MAX_QUEUED_FRAMES frames and IMS_PEER_MAX_QUEUED_BYTES bytes wait for
 *   the socket.  A client that does not read (its pongs and states pile up) is dropped at once when a
 *   frame would pass either bound: the queue is freed and lws closes the socket without flushing.
 *
 * Log lines name the connection ("peer-3: ...") and, once joined, carry the session id as a field
 * (ims_log_session); before the join the peer knows no session (a refused join is logged by the
 * handler, which knows the id asked for).
 */
#define G_LOG_DOMAIN "imsd.signaling"

#include "peer.h"

#include <libwebsockets.h>
#include <string.h>

#include "log-session.h"

struct _ImsPeer {
  struct lws *wsi;
  ImsPeerProtocolConfig *config;
  gpointer endpoint;    /* what the join gave (a session), owned: handler->closed lets it go */
  gboolean joining;     /* a join is being resolved */
  const char *join_type; /* "join" or "room.join" (static): the refusal's requestType */
  GByteArray *incoming; /* frame being reassembled */
  gboolean discarding;  /* the current message was refused: drop its remaining fragments */
  GQueue outgoing;      /* of GBytes*, each with LWS_PRE bytes of headroom */
  gsize outgoing_bytes; /* payload bytes in outgoing */
  gboolean closing;
  char *close_reason;
  char *name;       /* "peer-<n>", for log lines */
  char *log_id;     /* name, or the endpoint's id once joined (ims_peer_get_log_id) */
  char *session_id; /* the endpoint's id once joined: the session field of log lines */
  char *user_agent;
};

/* lws keeps a pointer to our peer in its per-connection user area. */
typedef struct {
  ImsPeer *peer;
} PeerSlot;

static guint peer_counter;

const char *
ims_peer_get_log_id(ImsPeer *peer)
{
  return peer->log_id;
}

const char *
ims_peer_get_user_agent(ImsPeer *peer)
{
  return peer->user_agent ? peer->user_agent : "";
}

/* Drops a client that does not read: frees what is queued and has lws close the socket at once (a
 * close that waited for the queue to drain would wait forever). */
static void
drop(ImsPeer *peer, const char *why)
{
  ims_log_session(G_LOG_LEVEL_WARNING, peer->session_id, NULL,
                  "%s: outgoing queue full (%u frames, %" G_GSIZE_FORMAT
                  " bytes; %s): the client does not "
                  "read, dropping the connection",
                  peer->name, g_queue_get_length(&peer->outgoing), peer->outgoing_bytes, why);
  g_queue_clear_full(&peer->outgoing, (GDestroyNotify) g_bytes_unref);
  peer->outgoing_bytes = 0;
  peer->closing = TRUE;
  lws_set_timeout(peer->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
}

void
ims_peer_send(ImsPeer *peer, const char *json)
{
  if (peer->closing)
    return;
  gsize length = strlen(json);
  if (g_queue_get_length(&peer->outgoing) >= IMS_PEER_MAX_QUEUED_FRAMES) {
    drop(peer, "too many frames");
    return;
  }
  if (peer->outgoing_bytes + length > IMS_PEER_MAX_QUEUED_BYTES) {
    drop(peer, "too many bytes");
    return;
  }
  peer->outgoing_bytes += length;
  guint8 *frame = g_malloc(LWS_PRE + length);
  memcpy(frame + LWS_PRE, json, length);
  g_queue_push_tail(&peer->outgoing, g_bytes_new_take(frame, LWS_PRE + length));
  lws_callback_on_writable(peer->wsi);
}

void
ims_peer_send_error(ImsPeer *peer, const char *code, const char *message, const char *request_type)
{
  g_autofree char *json = ims_message_error_json(code, message, request_type);
  ims_log_session(G_LOG_LEVEL_DEBUG, peer->session_id, NULL, "%s: error %s: %s", peer->name, code,
                  message);
  ims_peer_send(peer, json);
}

void
ims_peer_close(ImsPeer *peer, const char *reason)
{
  if (peer->closing)
    return;
  /* Sending stops now; what is queued is flushed, then WRITEABLE closes. */
  g_free(peer->close_reason);
  peer->close_reason = g_strdup(reason);
  lws_callback_on_writable(peer->wsi);
  peer->closing = TRUE;
}

static void
send_signal_error(ImsPeer *peer, const GError *error, const char *request_type)
{
  ims_peer_send_error(peer, ims_signal_error_code_of(error), error->message, request_type);
}

static void
dispatch(ImsPeer *peer, const char *data, gsize length)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *type_name = NULL;
  g_autoptr(ImsMessage) message = ims_message_parse(data, length, &type_name, &error);

  if (!message) {
    send_signal_error(peer, error, type_name);
    return;
  }
  switch (message->type) {
  case IMS_MESSAGE_PING:
    ims_peer_send(peer, "{\"type\":\"pong\"}");
    return;
  case IMS_MESSAGE_JOIN:
  case IMS_MESSAGE_ROOM_JOIN: /* a live room's: the handler tells them apart */
    if (peer->endpoint || peer->joining) {
      ims_peer_send_error(peer, "already_joined", "This connection has already joined.", type_name);
      return;
    }
    peer->joining = TRUE;
    peer->join_type = ims_message_type_to_string(message->type);
    peer->config->handler->join(peer, message, peer->config->handler_data);
    return;
  default:
    break;
  }

  if (!peer->endpoint) {
    ims_peer_send_error(peer, "not_joined",
                        peer->joining ? "The join is not finished yet." : "Send join first.",
                        type_name);
    return;
  }
  if (!peer->config->handler->message(peer->endpoint, peer, message, &error)) {
    ims_log_session(G_LOG_LEVEL_INFO, peer->session_id, NULL, "%s: %s refused: %s", peer->name,
                    type_name, error->message);
    send_signal_error(peer, error, type_name);
  }
}

void
ims_peer_join_finish(ImsPeer *peer, gpointer endpoint, const char *log_id, const GError *error)
{
  peer->joining = FALSE;
  if (!endpoint) {
    /* the handler logged it, with the session id asked for */
    send_signal_error(peer, error, peer->join_type ? peer->join_type : "join");
    return;
  }
  peer->endpoint = endpoint;
  g_free(peer->log_id);
  peer->log_id = g_strdup(log_id);
  g_free(peer->session_id);
  peer->session_id = g_strdup(log_id);
}

static ImsPeer *
peer_new(struct lws *wsi, ImsPeerProtocolConfig *config)
{
  ImsPeer *peer = g_new0(ImsPeer, 1);
  peer->wsi = wsi;
  peer->config = config;
  peer->incoming = g_byte_array_new();
  g_queue_init(&peer->outgoing);
  peer->name = g_strdup_printf("peer-%u", ++peer_counter);
  peer->log_id = g_strdup(peer->name);
  int length = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_USER_AGENT);
  if (length > 0 && length < 1024) {
    peer->user_agent = g_malloc(length + 1);
    if (lws_hdr_copy(wsi, peer->user_agent, length + 1, WSI_TOKEN_HTTP_USER_AGENT) < 0)
      g_clear_pointer(&peer->user_agent, g_free);
  }
  return peer;
}

static void
peer_free(ImsPeer *peer)
{
  const ImsPeerHandler *handler = peer->config->handler;
  if (peer->joining && handler->join_cancel)
    handler->join_cancel(peer, peer->config->handler_data);
  if (peer->endpoint)
    handler->closed(g_steal_pointer(&peer->endpoint), peer);
  g_byte_array_unref(peer->incoming);
  g_queue_clear_full(&peer->outgoing, (GDestroyNotify) g_bytes_unref);
  g_free(peer->close_reason);
  g_free(peer->name);
  g_free(peer->log_id);
  g_free(peer->session_id);
  g_free(peer->user_agent);
  g_free(peer);
}

/* Appends a received fragment; dispatches the message on its last one.  A message over the limit is
 * answered with one too_large and the connection closed; a binary message with one bad_json.  Either way
 * the rest of that message is discarded without another reply. */
static void
receive(ImsPeer *peer, struct lws *wsi, const void *data, gsize length)
{
  /* the last fragment of the message: FIN set and nothing of this frame left to deliver */
  gboolean last = lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0;

  if (peer->discarding) {
    peer->discarding = !last;
    return;
  }
  if (lws_frame_is_binary(wsi)) {
    g_byte_array_set_size(peer->incoming, 0);
    ims_peer_send_error(peer, "bad_json", "Binary frames are not accepted; send JSON text.", NULL);
    peer->discarding = !last;
    return;
  }
  if (peer->incoming->len + length > peer->config->max_message_bytes) {
    ims_log_session(G_LOG_LEVEL_INFO, peer->session_id, NULL,
                    "%s: frame larger than %" G_GSIZE_FORMAT " bytes", peer->name,
                    peer->config->max_message_bytes);
    g_byte_array_set_size(peer->incoming, 0);
    g_autofree char *text = g_strdup_printf("Messages are limited to %" G_GSIZE_FORMAT " bytes.",
                                            peer->config->max_message_bytes);
    ims_peer_send_error(peer, "too_large", text, NULL);
    ims_peer_close(peer, "message too large");
    peer->discarding = !last;
    return;
  }
  g_byte_array_append(peer->incoming, data, length);
  if (!last)
    return;
  dispatch(peer, (const char *) peer->incoming->data, peer->incoming->len);
  g_byte_array_set_size(peer->incoming, 0);
}

/* Writes one queued frame; closes once the queue is drained if asked to. */
static int
write_next(ImsPeer *peer, struct lws *wsi)
{
  GBytes *frame = g_queue_pop_head(&peer->outgoing);
  if (frame) {
    gsize size;
    guint8 *data = (guint8 *) g_bytes_get_data(frame, &size);
    peer->outgoing_bytes -= size - LWS_PRE;
    int written = lws_write(wsi, data + LWS_PRE, size - LWS_PRE, LWS_WRITE_TEXT);
    g_bytes_unref(frame);
    if (written < (int) (size - LWS_PRE))
      return -1;
  }
  if (!g_queue_is_empty(&peer->outgoing)) {
    lws_callback_on_writable(wsi);
    return 0;
  }
  if (peer->closing) {
    const char *reason = peer->close_reason ? peer->close_reason : "";
    lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, (unsigned char *) reason, strlen(reason));
    return -1;
  }
  return 0;
}

static int
callback_signaling(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                   size_t len)
{
  PeerSlot *slot = user;
  ImsPeerProtocolConfig *config = (ImsPeerProtocolConfig *) lws_get_protocol(wsi)->user;

  switch (reason) {
  case LWS_CALLBACK_ESTABLISHED:
    slot->peer = peer_new(wsi, config);
    g_debug("%s: connected", slot->peer->name); /* no session yet */
    break;
  case LWS_CALLBACK_RECEIVE:
    if (slot->peer && !slot->peer->closing)
      receive(slot->peer, wsi, in, len);
    break;
  case LWS_CALLBACK_SERVER_WRITEABLE:
    if (slot->peer)
      return write_next(slot->peer, wsi);
    break;
  case LWS_CALLBACK_CLOSED:
    if (slot->peer) {
      ims_log_session(G_LOG_LEVEL_DEBUG, slot->peer->session_id, NULL, "%s: disconnected",
                      slot->peer->name);
      g_clear_pointer(&slot->peer, peer_free);
    }
    break;
  default:
    break;
  }
  return 0;
}

void
ims_peer_protocol_init(struct lws_protocols *protocol, ImsPeerProtocolConfig *config)
{
  memset(protocol, 0, sizeof *protocol);
  protocol->name = IMS_SIGNALING_PROTOCOL;
  protocol->callback = callback_signaling;
  protocol->per_session_data_size = sizeof(PeerSlot);
  /* lws delivers at most this much per RECEIVE; larger frames arrive in pieces */
  protocol->rx_buffer_size = 16384;
  protocol->user = config;
}
