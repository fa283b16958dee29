/* room-store-fakes.c: the fake rooms table of test-room-composite.c (room-store-fakes.h). */
#include "room-store-fakes.h"

#include "store.h"

static ImsRoomRecord *
fake_load_room(ImsStore *base, const char *room_id, GError **error)
{
  FakeRooms *store = (FakeRooms *) base;
  if (!ims_fake_store_record(&store->fake, error, "load_room %s", room_id))
    return NULL;
  g_mutex_lock(&store->fake.lock);
  ImsRoomRecord *room = g_hash_table_lookup(store->rooms, room_id);
  room = room ? ims_room_record_copy(room) : NULL;
  g_mutex_unlock(&store->fake.lock);
  if (!room)
    g_set_error(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND, "no room %s", room_id);
  return room;
}

static ImsSessionRecord *
fake_load_session(ImsStore *base, const char *session_id, GError **error)
{
  FakeRooms *store = (FakeRooms *) base;
  if (!ims_fake_store_record(&store->fake, error, "load_session %s", session_id))
    return NULL;
  ImsSessionRecord *session = ims_session_record_new();
  session->id = g_strdup(session_id);
  session->user_id = g_strdup("u-cand");
  g_ptr_array_add(session->questions, ims_question_new("q1", "Tell me about a bug", 600));
  return session;
}

static gboolean
fake_update_recording(ImsStore *base, const ImsRoomRecording *recording, GError **error)
{
  FakeRooms *store = (FakeRooms *) base;
  if (!ims_fake_store_record(&store->fake, error, "update_recording %s", recording->object_key))
    return FALSE;
  g_mutex_lock(&store->fake.lock);
  GHashTableIter iter;
  gpointer value;
  gboolean found = FALSE;
  g_hash_table_iter_init(&iter, store->rooms);
  while (g_hash_table_iter_next(&iter, NULL, &value)) {
    GPtrArray *recordings = ((ImsRoomRecord *) value)->recordings;
    for (guint i = 0; i < recordings->len; i++) {
      ImsRoomRecording *row = g_ptr_array_index(recordings, i);
      if (g_str_equal(row->id, recording->id)) {
        g_free(row->object_key);
        row->object_key = g_strdup(recording->object_key);
        found = TRUE;
      }
    }
  }
  g_mutex_unlock(&store->fake.lock);
  if (!found) /* as the PostgreSQL store: the row went (its room was erased) */
    g_set_error(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND, "no recording %s", recording->id);
  return found;
}

/* As the PostgreSQL store: ended rooms, pending or failed (with_processing: or processing) fewer
 * than 3 times. */
static GPtrArray *
fake_list_rooms_to_composite(ImsStore *base, gboolean with_processing, GError **error)
{
  FakeRooms *store = (FakeRooms *) base;
  if (!ims_fake_store_record(&store->fake, error, "list_rooms_to_composite"))
    return NULL;
  GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
  g_mutex_lock(&store->fake.lock);
  GHashTableIter iter;
  gpointer key, value;
  g_hash_table_iter_init(&iter, store->rooms);
  while (g_hash_table_iter_next(&iter, &key, &value)) {
    const ImsRoomRecord *room = value;
    int failures = GPOINTER_TO_INT(g_hash_table_lookup(store->failures, key));
    gboolean retried = g_str_equal(room->composite_status, "failed") ||
                       (with_processing && g_str_equal(room->composite_status, "processing"));
    if (room->state == IMS_ROOM_ENDED &&
        (g_str_equal(room->composite_status, "pending") || (retried && failures < 3)))
      g_ptr_array_add(ids, g_strdup(room->id));
  }
  g_mutex_unlock(&store->fake.lock);
  return ids;
}

gboolean
fake_set_composite(ImsStore *base, const char *room_id, const char *status, const char *key,
                   gint64 size, const char *chapters, GError **error)
{
  FakeRooms *store = (FakeRooms *) base;
  if (!ims_fake_store_record(&store->fake, error, "set_composite %s", status))
    return FALSE;
  g_mutex_lock(&store->fake.lock);
  ImsRoomRecord *room = g_hash_table_lookup(store->rooms, room_id);
  if (!room) {
    g_mutex_unlock(&store->fake.lock);
    g_set_error(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND, "no room %s", room_id);
    return FALSE;
  }
  g_free(room->composite_status);
  room->composite_status = g_strdup(status);
  g_free(room->composite_key);
  room->composite_key = g_strdup(key);
  room->composite_size = size;
  g_free(room->composite_chapters);
  room->composite_chapters = g_strdup(chapters);
  if (g_str_equal(status, "failed"))
    g_hash_table_insert(store->failures, g_strdup(room_id),
                        GINT_TO_POINTER(GPOINTER_TO_INT(g_hash_table_lookup(store->failures, room_id)) + 1));
  g_mutex_unlock(&store->fake.lock);
  return TRUE;
}


void
fake_rooms_install(FakeRooms *store)
{
  store->fake.base.rooms.load_room = fake_load_room;
  store->fake.base.sessions.load_session = fake_load_session;
  store->fake.base.rooms.update_recording = fake_update_recording;
  store->fake.base.rooms.list_rooms_to_composite = fake_list_rooms_to_composite;
  store->fake.base.rooms.set_composite = fake_set_composite;
}
