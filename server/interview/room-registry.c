/* room-registry.c: the live rooms and their joins; see room-registry.h. */
#define G_LOG_DOMAIN "imsd.room"

#include "room-registry.h"

#include <string.h>

#include "database.h"
#include "log-session.h"
#include "registry.h"
#include "token.h"

#define SWEEP_INTERVAL_SECONDS 30

struct _ImsRoomRegistry {
  ImsRoomRegistryConfig config;
  GHashTable *rooms;   /* id -> ImsRoom*, owned */
  GHashTable *loading; /* id -> RoomLoad*: rooms being read for a join */
  guint sweep_id;
  gboolean shut_down; /* its rooms were asked to finalize their files */
};

struct _ImsRoomPresenceTable {
  GMutex lock;
  GHashTable *present; /* "<room id>/<participant id>" of every joined participant; by lock */
};

/* Who a join's token says the peer is. */
typedef struct {
  ImsPeer *peer;
  char *participant_id;   /* a room token's participant, or NULL for an observer */
  char *observer_user_id; /* a reviewer token's sub */
  char *observer_company; /* its company, NULL: every company */
} Joiner;

static void
joiner_free(Joiner *joiner)
{
  g_free(joiner->participant_id);
  g_free(joiner->observer_user_id);
  g_free(joiner->observer_company);
  g_free(joiner);
}

/* A room read for the joins that wait for it. */
typedef struct {
  ImsRoomRegistry *registry;
  char *room_id;
  ImsRoomRecord *room;       /* the read's result */
  ImsSessionRecord *session; /* the room's candidate session */
  GPtrArray *joiners;        /* Joiner*, in the order they asked */
  gboolean cancelled;        /* the registry is going away */
} RoomLoad;

static void
room_load_free(RoomLoad *load)
{
  g_free(load->room_id);
  ims_room_record_free(load->room);
  ims_session_record_free(load->session);
  g_ptr_array_unref(load->joiners);
  g_free(load);
}

/* Database thread: touches only its RoomLoad. */
static gboolean
run_load_room(ImsStore *store, gpointer data, GError **error)
{
  RoomLoad *load = data;
  load->room = store->rooms.load_room(store, load->room_id, error);
  if (!load->room)
    return FALSE;
  load->session = store->sessions.load_session(store, load->room->session_id, error);
  return load->session != NULL;
}

static void
refuse_join(ImsPeer *peer, const char *requested_room_id, const GError *error)
{
  g_autofree char *room_id = ims_log_untrusted_id(requested_room_id);
  ims_log_session(G_LOG_LEVEL_INFO, room_id, NULL, "%s: room.join refused (%s): %s",
                  ims_peer_get_log_id(peer), ims_signal_error_code_of(error), error->message);
  ims_peer_join_finish(peer, NULL, NULL, error);
}

static void
finish_join(ImsRoom *room, Joiner *joiner)
{
  g_autoptr(GError) error = NULL;
  const ImsRoomRecord *record = ims_room_get_record(room);
  if (!joiner->participant_id && joiner->observer_company &&
      g_strcmp0(joiner->observer_company, record->company_id) != 0) {
    g_set_error_literal(&error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_WRONG_COMPANY,
                        "This interview belongs to another company.");
    refuse_join(joiner->peer, record->id, error);
    return;
  }
  ImsRoomMember *member = ims_room_join(room, joiner->peer, joiner->participant_id,
                                        joiner->observer_user_id, &error);
  if (!member) {
    refuse_join(joiner->peer, record->id, error);
    return;
  }
  ims_peer_join_finish(joiner->peer, member, record->id, NULL);
}

static void
on_room_loaded(gpointer data, const GError *store_error)
{
  RoomLoad *load = data;
  ImsRoomRegistry *registry = load->registry;
  g_autoptr(GError) error = NULL;

  if (load->cancelled)
    return;
  g_hash_table_steal(registry->loading, load->room_id);
  ImsRoom *room = NULL;
  if (store_error) {
    ims_registry_load_error(store_error, load->room_id, IMS_SIGNAL_ERROR_ROOM_NOT_FOUND,
                            "This interview room does not exist.", &error);
  } else {
    room = ims_room_new(g_steal_pointer(&load->room), g_steal_pointer(&load->session),
                        registry->config.context);
    g_hash_table_insert(registry->rooms, g_strdup(load->room_id), room);
  }
  for (guint i = 0; i < load->joiners->len; i++) {
    Joiner *joiner = g_ptr_array_index(load->joiners, i);
    if (room)
      finish_join(room, joiner);
    else
      refuse_join(joiner->peer, load->room_id, error);
  }
  /* the read's job frees load */
}

/* The joiner message's token names, or NULL with the IMS_SIGNAL_ERROR to answer. */
static Joiner *
check_token(ImsRoomRegistry *registry, ImsPeer *peer, const ImsMessage *message, GError **error)
{
  g_autoptr(GError) token_error = NULL;
  g_autofree char *token_room = NULL;
  g_autofree char *participant_id = NULL;
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;

  if (ims_room_token_verify(registry->config.token_secret, message->token, now, &token_room,
                            &participant_id, NULL, &token_error)) {
    if (strcmp(token_room, message->room_id) != 0) {
      g_set_error_literal(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_TOKEN_WRONG_SESSION,
                          "This link belongs to another interview.");
      return NULL;
    }
    Joiner *joiner = g_new0(Joiner, 1);
    joiner->peer = peer;
    joiner->participant_id = g_steal_pointer(&participant_id);
    return joiner;
  }
  if (g_error_matches(token_error, IMS_TOKEN_ERROR, IMS_TOKEN_ERROR_EXPIRED)) {
    g_set_error_literal(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_TOKEN_EXPIRED,
                        "This interview link has expired.");
    return NULL;
  }
  if (g_error_matches(token_error, IMS_TOKEN_ERROR, IMS_TOKEN_ERROR_NOT_YET_VALID)) {
    g_set_error_literal(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_TOKEN_NOT_YET_VALID,
                        "This interview link is not valid yet.");
    return NULL;
  }
  /* not a room token: a recruiter's, who observes */
  g_autofree char *user_id = NULL;
  g_autofree char *company_id = NULL;
  if (!registry->config.verify_reviewer ||
      !registry->config.verify_reviewer(registry->config.verify_reviewer_data, message->token,
                                        &user_id, &company_id, error)) {
    if (error && !*error)
      g_set_error_literal(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_BAD_TOKEN,
                          "This interview link is not valid.");
    return NULL;
  }
  Joiner *joiner = g_new0(Joiner, 1);
  joiner->peer = peer;
  joiner->observer_user_id = g_steal_pointer(&user_id);
  joiner->observer_company = g_steal_pointer(&company_id);
  return joiner;
}

void
ims_room_registry_join(ImsRoomRegistry *registry, ImsPeer *peer, const ImsMessage *message)
{
  g_autoptr(GError) error = NULL;
  Joiner *joiner = check_token(registry, peer, message, &error);
  if (joiner && !g_uuid_string_is_valid(message->room_id)) {
    joiner_free(g_steal_pointer(&joiner));
    g_set_error_literal(&error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_ROOM_NOT_FOUND,
                        "This interview room does not exist.");
  }
  if (!joiner) {
    refuse_join(peer, message->room_id, error);
    return;
  }
  ImsRoom *room = g_hash_table_lookup(registry->rooms, message->room_id);
  if (room) {
    finish_join(room, joiner);
    joiner_free(joiner);
    return;
  }
  RoomLoad *load = g_hash_table_lookup(registry->loading, message->room_id);
  if (load) {
    g_ptr_array_add(load->joiners, joiner);
    return;
  }
  load = g_new0(RoomLoad, 1);
  load->registry = registry;
  load->room_id = g_strdup(message->room_id);
  load->joiners = g_ptr_array_new_with_free_func((GDestroyNotify) joiner_free);
  g_ptr_array_add(load->joiners, joiner);
  g_hash_table_insert(registry->loading, load->room_id, load);
  g_autofree char *what = g_strdup_printf("room %s: load for a join", load->room_id);
  ims_database_submit(registry->config.context->sessions->database, IMS_DATABASE_READ, what,
                      run_load_room, on_room_loaded, load, (GDestroyNotify) room_load_free);
}

void
ims_room_registry_join_cancel(ImsRoomRegistry *registry, ImsPeer *peer)
{
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init(&iter, registry->loading);
  while (g_hash_table_iter_next(&iter, NULL, &value)) {
    GPtrArray *joiners = ((RoomLoad *) value)->joiners;
    for (guint i = joiners->len; i-- > 0;)
      if (((Joiner *) g_ptr_array_index(joiners, i))->peer == peer)
        g_ptr_array_remove_index(joiners, i);
  }
}

gboolean
ims_room_registry_message(gpointer endpoint, ImsPeer *peer, const ImsMessage *message,
                          GError **error)
{
  (void) peer;
  return ims_room_member_handle_message(endpoint, message, error);
}

void
ims_room_registry_closed(gpointer endpoint, ImsPeer *peer)
{
  (void) peer;
  ims_room_member_closed(endpoint);
}

/* ---- the rooms in memory ---- */

void
ims_room_registry_sweep(ImsRoomRegistry *registry)
{
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init(&iter, registry->rooms);
  while (g_hash_table_iter_next(&iter, NULL, &value))
    if (!ims_room_is_busy(value))
      g_hash_table_iter_remove(&iter);
}

static gboolean
on_sweep(gpointer data)
{
  ims_room_registry_sweep(data);
  return G_SOURCE_CONTINUE;
}

void
ims_room_registry_shutdown(ImsRoomRegistry *registry, guint *pending, ImsDoneFunc done,
                           gpointer user_data)
{
  GHashTableIter iter;
  gpointer value;
  registry->shut_down = TRUE;
  g_hash_table_iter_init(&iter, registry->rooms);
  while (g_hash_table_iter_next(&iter, NULL, &value)) {
    (*pending)++;
    ims_room_shutdown(value, done, user_data);
  }
}

/* ---- presence ---- */

ImsRoomPresenceTable *
ims_room_presence_table_new(void)
{
  ImsRoomPresenceTable *table = g_new0(ImsRoomPresenceTable, 1);
  g_mutex_init(&table->lock);
  table->present = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  return table;
}

void
ims_room_presence_table_free(ImsRoomPresenceTable *table)
{
  if (!table)
    return;
  g_hash_table_unref(table->present);
  g_mutex_clear(&table->lock);
  g_free(table);
}

void
ims_room_presence_table_set(gpointer data, const char *room_id, const char *participant_id,
                            gboolean connected)
{
  ImsRoomPresenceTable *table = data;
  char *key = g_strconcat(room_id, "/", participant_id, NULL);
  g_mutex_lock(&table->lock);
  if (connected)
    g_hash_table_add(table->present, key); /* the table owns key */
  else
    g_hash_table_remove(table->present, key);
  g_mutex_unlock(&table->lock);
  if (!connected)
    g_free(key);
}

gboolean
ims_room_presence_table_is_connected(gpointer data, const char *room_id,
                                     const char *participant_id)
{
  ImsRoomPresenceTable *table = data;
  g_autofree char *key = g_strconcat(room_id, "/", participant_id, NULL);
  g_mutex_lock(&table->lock);
  gboolean connected = g_hash_table_contains(table->present, key);
  g_mutex_unlock(&table->lock);
  return connected;
}

/* ---- lifecycle ---- */

ImsRoomRegistry *
ims_room_registry_new(const ImsRoomRegistryConfig *config)
{
  ImsRoomRegistry *registry = g_new0(ImsRoomRegistry, 1);
  registry->config = *config;
  registry->rooms = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) ims_room_unref);
  registry->loading = g_hash_table_new(g_str_hash, g_str_equal);
  registry->sweep_id = g_timeout_add_seconds(SWEEP_INTERVAL_SECONDS, on_sweep, registry);
  return registry;
}

void
ims_room_registry_free(ImsRoomRegistry *registry)
{
  if (!registry)
    return;
  g_clear_handle_id(&registry->sweep_id, g_source_remove);
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init(&iter, registry->loading);
  while (g_hash_table_iter_next(&iter, NULL, &value))
    ((RoomLoad *) value)->cancelled = TRUE; /* their jobs free them */
  g_clear_pointer(&registry->loading, g_hash_table_unref);
  /* rooms that did not finalize in time may outlive the registry (their
   * writes hold them): they must not call back into its owner */
  if (registry->shut_down) {
    g_hash_table_iter_init(&iter, registry->rooms);
    while (g_hash_table_iter_next(&iter, NULL, &value))
      ims_room_shutdown(value, NULL, NULL);
  }
  g_clear_pointer(&registry->rooms, g_hash_table_unref);
  g_free(registry);
}
