/* store-pg-room-recovery.c: the live rooms a previous run left recording
 * (crash recovery, interview/recovery.c): the one query recovery needs
 * beside the rooms' own operations (store-pg-rooms.c).  See store.h for the
 * contract. */
#define G_LOG_DOMAIN "imsd.store-pg"

#include "store-pg-tables.h"

typedef struct {
  const char *path_prefix;
  GPtrArray *room_ids; /* out */
} ListRooms;

static gboolean
list_rooms_to_recover_once(ImsStorePg *self, gpointer data, GError **error)
{
  ListRooms *list = data;
  ImsPgParams params;
  ims_pg_params_init(&params);
  ims_pg_params_add_text(&params, list->path_prefix);
  g_autoptr(PGresult) result = ims_pg_exec(
      self, "list rooms to recover",
      "SELECT r.id FROM rooms r WHERE r.state <> 'ended' AND EXISTS (SELECT 1 FROM room_recordings x"
      " WHERE x.room_id = r.id AND x.status = 'recording' AND starts_with(x.path, $1))"
      " ORDER BY r.started_at, r.id",
      &params, PGRES_TUPLES_OK, error);
  ims_pg_params_clear(&params);
  if (result == NULL)
    return FALSE;
  list->room_ids = g_ptr_array_new_with_free_func(g_free);
  for (int row = 0; row < PQntuples(result); row++)
    g_ptr_array_add(list->room_ids, ims_pg_get_text(result, row, 0));
  return TRUE;
}

static GPtrArray *
list_rooms_to_recover(ImsStore *store, const char *path_prefix, GError **error)
{
  ListRooms list = { path_prefix, NULL };
  if (!ims_pg_run((ImsStorePg *) store, list_rooms_to_recover_once, &list, error))
    return NULL;
  return list.room_ids;
}

void
ims_store_pg_room_recovery_init(ImsStorePg *self)
{
  self->base.rooms.list_rooms_to_recover = list_rooms_to_recover;
}
