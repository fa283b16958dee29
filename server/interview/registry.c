/* registry.c: the live sessions and the joins; see registry.h. */
#define G_LOG_DOMAIN "imsd.registry"

#include "registry.h"

#include <string.h>

#include "database.h"
#include "log-session.h"
#include "room-registry.h"
#include "token.h"

#define SWEEP_INTERVAL_SECONDS 30

/* The peers whose join was a room.join (ImsPeer* set, main loop only): their
 * endpoint is an ImsRoomMember, every other peer's an ImsSession.  One set
 * for the process, because the handler's message and closed are given the
 * endpoint and the peer but no handler data, and a peer is one connection
 * whichever registry serves it. */
static GHashTable *room_peers;

static gboolean
is_room_peer(ImsPeer *peer)
{
  return room_peers && g_hash_table_contains(room_peers, peer);
}

/* FALSE if peer was not a room peer. */
static gboolean
forget_room_peer(ImsPeer *peer)
{
  return room_peers && g_hash_table_remove(room_peers, peer);
}

struct _ImsRegistry {
  const ImsSessionContext *context;
  const char *token_secret;
  GHashTable *sessions; /* id -> ImsSession*, owned: live sessions */
  GHashTable *loading;  /* id -> SessionLoad*: sessions being read for a join */
  guint sweep_id;
  ImsRoomRegistry *rooms; /* room.join goes there; NULL: refused (not owned) */

  guint shutdown_pending; /* sessions still finalizing */
  ImsDoneFunc shutdown_done;
  gpointer shutdown_data;
};

/* ---- joins ----
 *
 * A join of a session that is not in memory reads it on the database thread;
 * the peers that asked meanwhile wait in its SessionLoad and are answered
 * (ims_peer_join_finish) when the read is done. */

typedef struct {
  ImsRegistry *registry;
  char *session_id;
  ImsSessionRecord *record; /* the read's result */
  GPtrArray *peers;         /* ImsPeer* waiting, in the order they asked */
  gboolean cancelled;       /* the registry is going away */
} SessionLoad;

static void
session_load_free(SessionLoad *load)
{
  g_free(load->session_id);
  ims_session_record_free(load->record);
  g_ptr_array_unref(load->peers);
  g_free(load);
}

/* Database thread: touches only its SessionLoad. */
static gboolean
run_load_session(ImsStore *store, gpointer data, GError **error)
{
  SessionLoad *load = data;
  load->record = store->sessions.load_session(store, load->session_id, error);
  return load->record != NULL;
}

/* Answers peer's join with error, and logs it with the session id the client asked for (escaped and
 * truncated: it is the client's input) as the session field and the refusal's code. */
static void
refuse_join(ImsPeer *peer, const char *requested_session_id, const GError *error)
{
  g_autofree char *session_id = ims_log_untrusted_id(requested_session_id);
  ims_log_session(G_LOG_LEVEL_INFO, session_id, NULL, "%s: join refused (%s): %s",
                  ims_peer_get_log_id(peer), ims_signal_error_code_of(error), error->message);
  ims_peer_join_finish(peer, NULL, NULL, error);
}

/* Attaches peer to session and tells it; the session reference is the peer's. */
static void
finish_join(ImsSession *session, ImsPeer *peer)
{
  g_autoptr(GError) error = NULL;
  if (!ims_session_attach(session, peer, &error)) {
    refuse_join(peer, ims_session_get_id(session), error);
    return;
  }
  ims_peer_join_finish(peer, ims_session_ref(session), ims_session_get_id(session), NULL);
}

void
ims_registry_load_error(const GError *store_error, const char *id, ImsSignalError not_found,
                        const char *not_found_message, GError **error)
{
  if (g_error_matches(store_error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND)) {
    g_set_error_literal(error, IMS_SIGNAL_ERROR, not_found, not_found_message);
    return;
  }
  ims_log_session(G_LOG_LEVEL_WARNING, id, NULL, "cannot load it for a join: %s",
                  store_error->message);
  g_set_error_literal(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_INTERNAL,
                      "The server cannot open the interview right now; try again.");
}

static void
on_session_loaded(gpointer data, const GError *store_error)
{
  SessionLoad *load = data;
  ImsRegistry *registry = load->registry;
  g_autoptr(GError) error = NULL;

  if (load->cancelled)
    return;
  g_hash_table_steal(registry->loading, load->session_id);
  ImsSession *session = NULL;
  if (store_error) {
    ims_registry_load_error(store_error, load->session_id, IMS_SIGNAL_ERROR_SESSION_NOT_FOUND,
                            "This interview link is not valid.", &error);
  } else {
    session = ims_session_new(g_steal_pointer(&load->record), registry->context);
    g_hash_table_insert(registry->sessions, g_strdup(load->session_id), session);
  }
  for (guint i = 0; i < load->peers->len; i++) {
    ImsPeer *peer = g_ptr_array_index(load->peers, i);
    if (session)
      finish_join(session, peer);
    else
      refuse_join(peer, load->session_id, error);
  }
  /* the read's job frees load */
}

/* FALSE with the IMS_SIGNAL_ERROR to answer if message's token does not
 * open message's session. */
static gboolean
check_token(ImsRegistry *registry, const ImsMessage *message, GError **error)
{
  g_autoptr(GError) token_error = NULL;
  g_autofree char *token_session = NULL;
  gint64 expires_at = 0;

  if (!ims_token_verify(registry->token_secret, message->token, g_get_real_time() / G_USEC_PER_SEC,
                        &token_session, &expires_at, &token_error)) {
    if (g_error_matches(token_error, IMS_TOKEN_ERROR, IMS_TOKEN_ERROR_EXPIRED))
      g_set_error_literal(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_TOKEN_EXPIRED,
                          "This interview link has expired.");
    else if (g_error_matches(token_error, IMS_TOKEN_ERROR, IMS_TOKEN_ERROR_NOT_YET_VALID))
      g_set_error_literal(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_TOKEN_NOT_YET_VALID,
                          "This interview link is not valid yet.");
    else
      g_set_error_literal(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_BAD_TOKEN,
                          "This interview link is not valid.");
    return FALSE;
  }
  if (strcmp(token_session, message->session_id) != 0) {
    g_set_error_literal(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_TOKEN_WRONG_SESSION,
                        "This link belongs to another interview.");
    return FALSE;
  }
  if (!g_uuid_string_is_valid(message->session_id)) {
    g_set_error_literal(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_SESSION_NOT_FOUND,
                        "This interview link is not valid.");
    return FALSE;
  }
  return TRUE;
}

static void
join(ImsPeer *peer, const ImsMessage *message, gpointer data)
{
  ImsRegistry *registry = data;
  g_autoptr(GError) error = NULL;

  /* the first message decides: a live room's join is the room registry's */
  forget_room_peer(peer);
  if (message->type == IMS_MESSAGE_ROOM_JOIN) {
    if (!registry->rooms) {
      g_set_error_literal(&error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_ROOM_NOT_FOUND,
                          "This server has no live rooms.");
      ims_peer_join_finish(peer, NULL, NULL, error);
      return;
    }
    if (!room_peers)
      room_peers = g_hash_table_new(NULL, NULL);
    g_hash_table_add(room_peers, peer);
    ims_room_registry_join(registry->rooms, peer, message);
    return;
  }

  if (!check_token(registry, message, &error)) {
    refuse_join(peer, message->session_id, error);
    return;
  }
  ImsSession *session = g_hash_table_lookup(registry->sessions, message->session_id);
  if (session) {
    finish_join(session, peer);
    return;
  }
  SessionLoad *load = g_hash_table_lookup(registry->loading, message->session_id);
  if (load) {
    g_ptr_array_add(load->peers, peer);
    return;
  }
  load = g_new0(SessionLoad, 1);
  load->registry = registry;
  load->session_id = g_strdup(message->session_id);
  load->peers = g_ptr_array_new();
  g_ptr_array_add(load->peers, peer);
  g_hash_table_insert(registry->loading, load->session_id, load);
  g_autofree char *what = g_strdup_printf("%s: load for a join", load->session_id);
  ims_database_submit(registry->context->database, IMS_DATABASE_READ, what, run_load_session,
                      on_session_loaded, load, (GDestroyNotify) session_load_free);
}

/* A peer waiting for its join went away. */
static void
join_cancel(ImsPeer *peer, gpointer data)
{
  ImsRegistry *registry = data;
  GHashTableIter iter;
  gpointer value;
  if (forget_room_peer(peer)) {
    ims_room_registry_join_cancel(registry->rooms, peer);
    return;
  }
  g_hash_table_iter_init(&iter, registry->loading);
  while (g_hash_table_iter_next(&iter, NULL, &value))
    g_ptr_array_remove(((SessionLoad *) value)->peers, peer);
}

/* A joined peer's endpoint is its session, or its room member after a room.join. */
static gboolean
peer_message(gpointer endpoint, ImsPeer *peer, const ImsMessage *message, GError **error)
{
  if (is_room_peer(peer))
    return ims_room_registry_message(endpoint, peer, message, error);
  return ims_session_handle_message(endpoint, peer, message, error);
}

static void
peer_closed(gpointer endpoint, ImsPeer *peer)
{
  if (forget_room_peer(peer)) {
    ims_room_registry_closed(endpoint, peer);
    return;
  }
  ims_session_detach(endpoint, peer);
  ims_session_unref(endpoint);
}

static const ImsPeerHandler peer_handler = {
  .join = join,
  .join_cancel = join_cancel,
  .message = peer_message,
  .closed = peer_closed,
};

const ImsPeerHandler *
ims_registry_peer_handler(void)
{
  return &peer_handler;
}

/* ---- the sessions in memory ---- */

void
ims_registry_sweep(ImsRegistry *registry)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init(&iter, registry->sessions);
  while (g_hash_table_iter_next(&iter, NULL, &value))
    if (!ims_session_is_busy(value))
      g_hash_table_iter_remove(&iter);
}

static gboolean
on_sweep(gpointer data)
{
  ims_registry_sweep(data);
  return G_SOURCE_CONTINUE;
}

void
ims_registry_end_user_sessions(ImsRegistry *registry, const char *user_id, gboolean forget)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init(&iter, registry->sessions);
  while (g_hash_table_iter_next(&iter, NULL, &value)) {
    ImsSession *session = value;
    if (g_strcmp0(ims_session_get_record(session)->user_id, user_id) != 0)
      continue;
    ImsPeer *peer = ims_session_get_peer(session);
    if (peer) {
      ims_log_session(G_LOG_LEVEL_INFO, ims_session_get_id(session), NULL,
                      "ending the live session of user %s", user_id);
      ims_peer_send_error(peer, "logged_out",
                          "You were signed out. Open your interview link again to continue.", NULL);
      ims_session_detach(session, peer);
      ims_peer_close(peer, "logged out");
    }
    if (forget && !ims_session_is_busy(session))
      g_hash_table_iter_remove(&iter);
  }
}

/* ---- shutdown ---- */

static void
on_session_shut_down(gpointer data)
{
  ImsRegistry *registry = data;
  if (registry->shutdown_pending == 0 || --registry->shutdown_pending > 0)
    return;
  ImsDoneFunc done = registry->shutdown_done;
  registry->shutdown_done = NULL;
  if (done)
    done(registry->shutdown_data);
}

void
ims_registry_shutdown(ImsRegistry *registry, ImsDoneFunc done, gpointer user_data)
{
  GHashTableIter iter;
  gpointer value;

  registry->shutdown_done = done;
  registry->shutdown_data = user_data;
  registry->shutdown_pending = 1; /* held until every session was asked */
  g_hash_table_iter_init(&iter, registry->sessions);
  while (g_hash_table_iter_next(&iter, NULL, &value)) {
    registry->shutdown_pending++;
    ims_session_shutdown(value, on_session_shut_down, registry);
  }
  if (registry->rooms) /* and the live rooms' open files, each counted as a session */
    ims_room_registry_shutdown(registry->rooms, &registry->shutdown_pending, on_session_shut_down,
                               registry);
  on_session_shut_down(registry);
}

guint
ims_registry_get_finalizing(ImsRegistry *registry)
{
  return registry->shutdown_pending;
}

/* ---- lifecycle ---- */

ImsRegistry *
ims_registry_new(const ImsSessionContext *context, const char *token_secret)
{
  ImsRegistry *registry = g_new0(ImsRegistry, 1);
  registry->context = context;
  registry->token_secret = token_secret;
  registry->sessions = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                             (GDestroyNotify) ims_session_unref);
  registry->loading = g_hash_table_new(g_str_hash, g_str_equal);
  registry->sweep_id = g_timeout_add_seconds(SWEEP_INTERVAL_SECONDS, on_sweep, registry);
  return registry;
}

void
ims_registry_set_rooms(ImsRegistry *registry, ImsRoomRegistry *rooms)
{
  registry->rooms = rooms;
}

void
ims_registry_free(ImsRegistry *registry)
{
  if (!registry)
    return;
  g_clear_handle_id(&registry->sweep_id, g_source_remove);
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init(&iter, registry->loading);
  while (g_hash_table_iter_next(&iter, NULL, &value))
    ((SessionLoad *) value)->cancelled = TRUE; /* their jobs free them */
  g_clear_pointer(&registry->loading, g_hash_table_unref);
  /* sessions that did not finalize in time may outlive the registry (their
   * writes hold them): they must not call back into it */
  if (registry->shutdown_pending > 0) {
    g_hash_table_iter_init(&iter, registry->sessions);
    while (g_hash_table_iter_next(&iter, NULL, &value))
      ims_session_shutdown(value, NULL, NULL);
  }
  g_clear_pointer(&registry->sessions, g_hash_table_unref);
  g_free(registry);
}
