/* Unit tests for signaling/peer.c: one signaling WebSocket client against a fake handler.
 *
 * The lws calls peer.c makes are replaced with -Wl,--wrap: a FakeSocket stands for the connection
 * (struct lws *), records what is written and whether the socket was closed.  The tests drive the
 * protocol's callback as lws would (ESTABLISHED, RECEIVE, SERVER_WRITEABLE, CLOSED) and check what
 * the handler (peer-handler.h) is asked and what the client reads back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include <json-glib/json-glib.h>
#include <libwebsockets.h>

#include "peer.h"

/* ---- the fake socket (wrapped lws) ---- */

typedef struct {
  gboolean binary;    /* the frame being received is binary */
  GPtrArray *written; /* of char*: text frames written to the client */
  gboolean killed;    /* lws_set_timeout(.., LWS_TO_KILL_ASYNC): dropped without flushing */
  char *close_reason; /* lws_close_reason's text */
} FakeSocket;

static struct lws_protocols protocol;

const struct lws_protocols *__wrap_lws_get_protocol(struct lws *wsi);
int __wrap_lws_hdr_total_length(struct lws *wsi, enum lws_token_indexes h);
int __wrap_lws_hdr_copy(struct lws *wsi, char *dest, int len, enum lws_token_indexes h);
int __wrap_lws_callback_on_writable(struct lws *wsi);
int __wrap_lws_write(struct lws *wsi, unsigned char *buf, size_t len,
                     enum lws_write_protocol protocol);
int __wrap_lws_is_final_fragment(struct lws *wsi);
size_t __wrap_lws_remaining_packet_payload(struct lws *wsi);
int __wrap_lws_frame_is_binary(struct lws *wsi);
void __wrap_lws_set_timeout(struct lws *wsi, enum pending_timeout reason, int secs);
void __wrap_lws_close_reason(struct lws *wsi, enum lws_close_status status, unsigned char *buf,
                             size_t len);

const struct lws_protocols *
__wrap_lws_get_protocol(struct lws *wsi)
{
  return &protocol;
}

int
__wrap_lws_hdr_total_length(struct lws *wsi, enum lws_token_indexes h)
{
  return h == WSI_TOKEN_HTTP_USER_AGENT ? (int) strlen("test-agent") : 0;
}

int
__wrap_lws_hdr_copy(struct lws *wsi, char *dest, int len, enum lws_token_indexes h)
{
  g_strlcpy(dest, "test-agent", len);
  return (int) strlen(dest);
}

int
__wrap_lws_callback_on_writable(struct lws *wsi)
{
  return 1;
}

int
__wrap_lws_write(struct lws *wsi, unsigned char *buf, size_t len, enum lws_write_protocol mode)
{
  FakeSocket *socket = (FakeSocket *) wsi;
  assert_int_equal(mode, LWS_WRITE_TEXT);
  g_ptr_array_add(socket->written, g_strndup((const char *) buf, len));
  return (int) len;
}

int
__wrap_lws_is_final_fragment(struct lws *wsi)
{
  return 1;
}

size_t
__wrap_lws_remaining_packet_payload(struct lws *wsi)
{
  return 0;
}

int
__wrap_lws_frame_is_binary(struct lws *wsi)
{
  return ((FakeSocket *) wsi)->binary;
}

void
__wrap_lws_set_timeout(struct lws *wsi, enum pending_timeout reason, int secs)
{
  if (secs == LWS_TO_KILL_ASYNC)
    ((FakeSocket *) wsi)->killed = TRUE;
}

void
__wrap_lws_close_reason(struct lws *wsi, enum lws_close_status status, unsigned char *buf,
                        size_t len)
{
  FakeSocket *socket = (FakeSocket *) wsi;
  g_free(socket->close_reason);
  socket->close_reason = g_strndup((const char *) buf, len);
}

/* ---- the fake handler ---- */

typedef struct {
  FakeSocket socket;
  gpointer slot[4]; /* lws' per-connection user area (PeerSlot) */
  ImsPeerProtocolConfig config;
  ImsPeer *joining_peer; /* the peer of the last join */
  int joins, join_cancels, closes;
  GPtrArray *messages;        /* of char*: the type of each message routed to the endpoint */
  gpointer closed_endpoint;   /* what closed was given */
  ImsSignalError refuse_with; /* > 0: message refuses with this code */
} Fixture;

static int endpoint; /* its address is the endpoint the join gives */

static void
handler_join(ImsPeer *peer, const ImsMessage *message, gpointer data)
{
  Fixture *f = data;
  assert_string_equal(message->session_id, "s-1");
  assert_string_equal(message->token, "t");
  f->joins++;
  f->joining_peer = peer;
}

static void
handler_join_cancel(ImsPeer *peer, gpointer data)
{
  Fixture *f = data;
  assert_ptr_equal(peer, f->joining_peer);
  f->join_cancels++;
}

static Fixture *current;

static gboolean
handler_message(gpointer target, ImsPeer *peer, const ImsMessage *message, GError **error)
{
  assert_ptr_equal(target, &endpoint);
  g_ptr_array_add(current->messages, g_strdup(ims_message_type_to_string(message->type)));
  if (current->refuse_with) {
    g_set_error(error, IMS_SIGNAL_ERROR, current->refuse_with, "refused by the test");
    return FALSE;
  }
  return TRUE;
}

static void
handler_closed(gpointer target, ImsPeer *peer)
{
  current->closes++;
  current->closed_endpoint = target;
}

static const ImsPeerHandler handler = {
  .join = handler_join,
  .join_cancel = handler_join_cancel,
  .message = handler_message,
  .closed = handler_closed,
};

static int
setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  f->socket.written = g_ptr_array_new_with_free_func(g_free);
  f->messages = g_ptr_array_new_with_free_func(g_free);
  f->config = (ImsPeerProtocolConfig){ &handler, f, 64 };
  ims_peer_protocol_init(&protocol, &f->config);
  assert_true(protocol.per_session_data_size <= sizeof f->slot);
  current = f;
  assert_int_equal(
      protocol.callback((struct lws *) &f->socket, LWS_CALLBACK_ESTABLISHED, f->slot, NULL, 0), 0);
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *f = *state;
  protocol.callback((struct lws *) &f->socket, LWS_CALLBACK_CLOSED, f->slot, NULL, 0);
  g_ptr_array_unref(f->socket.written);
  g_ptr_array_unref(f->messages);
  g_free(f->socket.close_reason);
  g_free(f);
  current = NULL;
  return 0;
}

static ImsPeer *
the_peer(Fixture *f)
{
  return f->slot[0];
}

/* One whole text (or binary) message from the client; then lets the peer write what it queued. */
static void
client_sends(Fixture *f, const char *text, gboolean binary)
{
  f->socket.binary = binary;
  protocol.callback((struct lws *) &f->socket, LWS_CALLBACK_RECEIVE, f->slot, (void *) text,
                    strlen(text));
  f->socket.binary = FALSE;
  /* lws calls WRITEABLE once per frame while the peer asks; -1 once it closes */
  for (int i = 0; i < 16; i++)
    if (protocol.callback((struct lws *) &f->socket, LWS_CALLBACK_SERVER_WRITEABLE, f->slot, NULL,
                          0) != 0)
      break;
}

/* The member of the last frame the client read. Transfer full. */
static char *
last_frame_member(Fixture *f, const char *member)
{
  assert_true(f->socket.written->len > 0);
  g_autoptr(JsonParser) parser = json_parser_new();
  assert_true(json_parser_load_from_data(
      parser, g_ptr_array_index(f->socket.written, f->socket.written->len - 1), -1, NULL));
  JsonObject *object = json_node_get_object(json_parser_get_root(parser));
  return json_object_has_member(object, member)
             ? g_strdup(json_object_get_string_member(object, member))
             : NULL;
}

static void
assert_last_error(Fixture *f, const char *code, const char *request_type)
{
  g_autofree char *type = last_frame_member(f, "type");
  g_autofree char *got_code = last_frame_member(f, "code");
  g_autofree char *got_request = last_frame_member(f, "requestType");
  assert_string_equal(type, "error");
  assert_string_equal(got_code, code);
  if (request_type)
    assert_string_equal(got_request, request_type);
  else
    assert_null(got_request);
}

static void
join(Fixture *f)
{
  client_sends(f, "{\"type\":\"join\",\"sessionId\":\"s-1\",\"token\":\"t\"}", FALSE);
  assert_int_equal(f->joins, 1);
  assert_ptr_equal(f->joining_peer, the_peer(f));
  ims_peer_join_finish(the_peer(f), &endpoint, "s-1", NULL);
}

/* ---- tests ---- */

static void
test_ping_is_answered_by_the_peer(void **state)
{
  Fixture *f = *state;
  client_sends(f, "{\"type\":\"ping\"}", FALSE);
  assert_int_equal(f->socket.written->len, 1);
  assert_string_equal(g_ptr_array_index(f->socket.written, 0), "{\"type\":\"pong\"}");
  assert_int_equal(f->joins, 0);
  assert_int_equal(f->messages->len, 0);
}

static void
test_message_before_join_is_not_joined(void **state)
{
  Fixture *f = *state;
  client_sends(f, "{\"type\":\"take.start\"}", FALSE);
  assert_last_error(f, "not_joined", "take.start");
  assert_int_equal(f->messages->len, 0);

  /* a join under way is not a join yet */
  client_sends(f, "{\"type\":\"join\",\"sessionId\":\"s-1\",\"token\":\"t\"}", FALSE);
  client_sends(f, "{\"type\":\"next\"}", FALSE);
  assert_last_error(f, "not_joined", "next");
  assert_int_equal(f->messages->len, 0);
}

static void
test_joined_messages_reach_the_endpoint(void **state)
{
  Fixture *f = *state;
  join(f);
  assert_string_equal(ims_peer_get_log_id(the_peer(f)), "s-1");
  assert_string_equal(ims_peer_get_user_agent(the_peer(f)), "test-agent");
  client_sends(f, "{\"type\":\"take.start\"}", FALSE);
  client_sends(f, "{\"type\":\"end\"}", FALSE);
  assert_int_equal(f->messages->len, 2);
  assert_string_equal(g_ptr_array_index(f->messages, 0), "take.start");
  assert_string_equal(g_ptr_array_index(f->messages, 1), "end");
  assert_int_equal(f->socket.written->len, 0); /* accepted: the endpoint answers, not the peer */
}

static void
test_second_join_is_already_joined(void **state)
{
  Fixture *f = *state;
  join(f);
  client_sends(f, "{\"type\":\"join\",\"sessionId\":\"s-1\",\"token\":\"t\"}", FALSE);
  assert_last_error(f, "already_joined", "join");
  assert_int_equal(f->joins, 1);
}

static void
test_refused_join_gets_its_code(void **state)
{
  Fixture *f = *state;
  g_autoptr(GError) error = NULL;
  client_sends(f, "{\"type\":\"join\",\"sessionId\":\"s-1\",\"token\":\"t\"}", FALSE);
  g_set_error_literal(&error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_TOKEN_EXPIRED, "expired");
  ims_peer_join_finish(the_peer(f), NULL, NULL, error);
  client_sends(f, "{\"type\":\"ping\"}", FALSE); /* lets the peer write */
  g_autoptr(JsonParser) parser = json_parser_new();
  assert_true(f->socket.written->len >= 1);
  assert_true(json_parser_load_from_data(parser, g_ptr_array_index(f->socket.written, 0), -1, NULL));
  JsonObject *frame = json_node_get_object(json_parser_get_root(parser));
  assert_string_equal(json_object_get_string_member(frame, "code"), "token_expired");
  assert_string_equal(json_object_get_string_member(frame, "requestType"), "join");
  /* not joined: the client may join again */
  client_sends(f, "{\"type\":\"join\",\"sessionId\":\"s-1\",\"token\":\"t\"}", FALSE);
  assert_int_equal(f->joins, 2);
}

static void
test_refused_message_gets_its_code(void **state)
{
  Fixture *f = *state;
  join(f);
  f->refuse_with = IMS_SIGNAL_ERROR_NO_RETAKES_LEFT;
  client_sends(f, "{\"type\":\"retake\"}", FALSE);
  assert_last_error(f, "no_retakes_left", "retake");
  f->refuse_with = IMS_SIGNAL_ERROR_BAD_STATE;
  client_sends(f, "{\"type\":\"take.stop\"}", FALSE);
  assert_last_error(f, "bad_state", "take.stop");
  assert_int_equal(f->messages->len, 2);
}

static void
test_bad_messages_get_their_codes(void **state)
{
  Fixture *f = *state;
  join(f);
  client_sends(f, "{\"type\":", FALSE);
  assert_last_error(f, "bad_json", NULL);
  client_sends(f, "{\"type\":\"dance\"}", FALSE);
  assert_last_error(f, "unknown_type", "dance");
  client_sends(f, "{\"type\":\"offer\"}", FALSE);
  assert_last_error(f, "bad_message", "offer");
  client_sends(f, "{\"type\":\"ping\"}", TRUE);
  assert_last_error(f, "bad_json", NULL);
  assert_int_equal(f->messages->len, 0);
  assert_null(f->socket.close_reason);
}

static void
test_too_large_message_closes(void **state)
{
  Fixture *f = *state;
  join(f);
  g_autofree char *large = g_strnfill(65, ' '); /* the fixture's limit is 64 bytes */
  client_sends(f, large, FALSE);
  assert_last_error(f, "too_large", NULL);
  assert_string_equal(f->socket.close_reason, "message too large");
  assert_int_equal(f->messages->len, 0);
}

static void
test_close_lets_the_endpoint_go(void **state)
{
  Fixture *f = *state;
  join(f);
  protocol.callback((struct lws *) &f->socket, LWS_CALLBACK_CLOSED, f->slot, NULL, 0);
  assert_int_equal(f->closes, 1);
  assert_ptr_equal(f->closed_endpoint, &endpoint);
  assert_int_equal(f->join_cancels, 0);
}

static void
test_close_while_joining_cancels_the_join(void **state)
{
  Fixture *f = *state;
  client_sends(f, "{\"type\":\"join\",\"sessionId\":\"s-1\",\"token\":\"t\"}", FALSE);
  protocol.callback((struct lws *) &f->socket, LWS_CALLBACK_CLOSED, f->slot, NULL, 0);
  assert_int_equal(f->join_cancels, 1);
  assert_int_equal(f->closes, 0);
}

static void
test_unread_queue_drops_the_client(void **state)
{
  Fixture *f = *state;
  join(f);
  for (int i = 0; i < IMS_PEER_MAX_QUEUED_FRAMES; i++)
    ims_peer_send(the_peer(f), "{}");
  assert_false(f->socket.killed);
  ims_peer_send(the_peer(f), "{}");
  assert_true(f->socket.killed);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
  g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL);
  const struct CMUnitTest tests[] = {
    T(test_ping_is_answered_by_the_peer),       T(test_message_before_join_is_not_joined),
    T(test_joined_messages_reach_the_endpoint), T(test_second_join_is_already_joined),
    T(test_refused_join_gets_its_code),         T(test_refused_message_gets_its_code),
    T(test_bad_messages_get_their_codes),       T(test_too_large_message_closes),
    T(test_close_lets_the_endpoint_go),         T(test_close_while_joining_cancels_the_join),
    T(test_unread_queue_drops_the_client),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
