/* retention.c: the retention job; see retention.h. */
#define G_LOG_DOMAIN "imsd.retention"

#include "retention.h"

#include <string.h>

#include <glib/gstdio.h>

#include "media-eraser.h"
#include "payloads.h"
#include "spool-files.h"

/* The kind of a live room's recording among the objects the store lists (store.h). */
#define ROOM_RECORDING_KIND "room-recording"

struct _ImsRetention {
  ImsDatabase *database;
  ImsObjectStore *objects;
  int default_days;
  GStrv companies;   /* with their own retention */
  int *company_days; /* parallel to companies */
  guint timer_id;
  guint running;
};

/* What a live room whose objects expire leaves in the spool: every recording's file with its
 * ".composite" link (a candidate take kept for the composite) and ".renditions" folder, and the
 * room's composite-<room id>.mp4 beside the session's folder (spool/<session id>/), which goes
 * last, once empty. */
typedef struct {
  GPtrArray *paths; /* char* */
  char *folder;     /* NULL: the recordings are not in a folder of the session */
} RoomSpool;

static void
room_spool_free(RoomSpool *spool)
{
  g_ptr_array_unref(spool->paths);
  g_free(spool->folder);
  g_free(spool);
}

/* One session's erasure. */
typedef struct {
  ImsRetention *retention;
  RoomSpool *spool; /* NULL: nothing of the session in the spool */
} Batch;

static void
on_erased(const char *error_message, guint erased, gpointer data)
{
  Batch *batch = data;
  batch->retention->running--;
  if (error_message)
    g_warning("retention: %s (the next run tries again)", error_message);
  else if (batch->spool) {
    for (guint i = 0; i < batch->spool->paths->len; i++)
      ims_spool_remove(g_ptr_array_index(batch->spool->paths, i));
    if (batch->spool->folder)
      g_rmdir(batch->spool->folder); /* fails, harmlessly, while it holds anything else */
  }
  g_clear_pointer(&batch->spool, room_spool_free);
  g_free(batch);
}

/* Erases the files (ordered by session) one session at a time; rooms (session id -> RoomSpool*)
 * gives each live session's spool files, removed once its erasure is done. */
static void
erase_by_session(ImsRetention *retention, GPtrArray *files, GPtrArray *users, GHashTable *rooms)
{
  for (guint start = 0; start < files->len;) {
    const ImsMediaFile *first = g_ptr_array_index(files, start);
    GPtrArray *batch = g_ptr_array_new_with_free_func((GDestroyNotify) ims_media_file_free);
    guint end = start;
    for (; end < files->len; end++) {
      ImsMediaFile *file = g_ptr_array_index(files, end);
      if (g_strcmp0(file->session_id, first->session_id) != 0)
        break;
      g_ptr_array_add(batch, g_ptr_array_index(files, end));
      g_ptr_array_index(files, end) = NULL;
    }
    const char *user_id = g_ptr_array_index(users, start);
    g_autofree char *session_id = g_strdup(
        ((ImsMediaFile *) g_ptr_array_index(batch, 0))->session_id);
    Batch *erase = g_new0(Batch, 1);
    erase->retention = retention;
    g_hash_table_steal_extended(rooms, session_id, NULL, (gpointer *) &erase->spool);
    retention->running++;
    ims_media_erase(retention->database, retention->objects, batch, user_id,
                    IMS_DELETE_REASON_RETENTION, session_id, NULL, NULL, on_erased, erase);
    start = end;
  }
}

/* One company's (or the rest's) expired media, read on the database thread. */
typedef struct {
  ImsRetention *retention;
  char *company_id; /* NULL: companies without their own retention */
  int days;
  GPtrArray *files;
  GPtrArray *users;
  GHashTable *rooms; /* session id -> RoomSpool*: the live sessions whose room's objects expire */
} Expiry;

static void
expiry_free(Expiry *expiry)
{
  g_free(expiry->company_id);
  g_clear_pointer(&expiry->files, g_ptr_array_unref);
  g_clear_pointer(&expiry->users, g_ptr_array_unref);
  g_clear_pointer(&expiry->rooms, g_hash_table_unref);
  g_free(expiry);
}

/* Database thread: the spool files of the session's room (RoomSpool), read from the room's
 * recordings.  NULL without error when the session has no room (or went meanwhile). */
static RoomSpool *
read_room_spool(ImsStore *store, const char *session_id, GError **error)
{
  static const char *const companions[] = { "", ".composite", ".renditions" };
  g_autoptr(GError) local = NULL;
  g_autoptr(ImsSessionRecord) session = store->sessions.load_session(store, session_id, &local);
  g_autoptr(ImsRoomRecord) room = session && session->room_id
                                      ? store->rooms.load_room(store, session->room_id, &local)
                                      : NULL;
  if (!room) {
    if (local && !g_error_matches(local, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND))
      g_propagate_error(error, g_steal_pointer(&local));
    return NULL;
  }
  RoomSpool *spool = g_new0(RoomSpool, 1);
  spool->paths = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < room->recordings->len; i++) {
    const char *path = ((ImsRoomRecording *) g_ptr_array_index(room->recordings, i))->path;
    if (!path || !path[0]) /* a live take whose file never opened */
      continue;
    for (gsize c = 0; c < G_N_ELEMENTS(companions); c++)
      g_ptr_array_add(spool->paths, g_strconcat(path, companions[c], NULL));
    g_autofree char *folder = g_path_get_dirname(path);
    g_autofree char *name = g_path_get_basename(folder);
    if (!spool->folder && g_str_equal(name, session_id))
      spool->folder = g_steal_pointer(&folder);
  }
  if (spool->folder) {
    g_autofree char *spool_dir = g_path_get_dirname(spool->folder);
    g_autofree char *composite = g_strdup_printf("composite-%s.mp4", room->id);
    g_ptr_array_add(spool->paths, g_build_filename(spool_dir, composite, NULL));
  }
  return spool;
}

static gboolean
run_list_expired(ImsStore *store, gpointer data, GError **error)
{
  Expiry *expiry = data;
  gint64 older_than = g_get_real_time() - (gint64) expiry->days * 24 * 3600 * G_USEC_PER_SEC;
  expiry->files = store->privacy.list_expired_media_files(
      store, expiry->company_id, (const char *const *) expiry->retention->companies, older_than,
      &expiry->users, error);
  if (!expiry->files)
    return FALSE;
  expiry->rooms = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) room_spool_free);
  for (guint i = 0; i < expiry->files->len; i++) {
    const ImsMediaFile *file = g_ptr_array_index(expiry->files, i);
    gboolean room_object = g_strcmp0(file->kind, ROOM_RECORDING_KIND) == 0 ||
                           g_strcmp0(file->kind, IMS_MEDIA_KIND_COMPOSITE) == 0;
    if (!room_object || g_hash_table_contains(expiry->rooms, file->session_id))
      continue;
    GError *local = NULL;
    RoomSpool *spool = read_room_spool(store, file->session_id, &local);
    if (local) {
      g_propagate_error(error, local);
      return FALSE;
    }
    if (spool)
      g_hash_table_insert(expiry->rooms, g_strdup(file->session_id), spool);
  }
  return TRUE;
}

static void
on_listed_expired(gpointer data, const GError *error)
{
  Expiry *expiry = data;
  ImsRetention *retention = expiry->retention;
  retention->running--;
  if (error) {
    g_warning("retention: cannot list expired media: %s", error->message);
    return;
  }
  if (expiry->files->len > 0)
    g_info("retention: %u object(s) of %s older than %d days", expiry->files->len,
           expiry->company_id ? expiry->company_id : "companies without their own retention",
           expiry->days);
  g_ptr_array_set_free_func(expiry->files, NULL); /* moved into the erase batches */
  erase_by_session(retention, expiry->files, expiry->users, expiry->rooms);
}

static void
expire(ImsRetention *retention, const char *company_id, int days)
{
  if (days <= 0)
    return;
  Expiry *expiry = g_new0(Expiry, 1);
  expiry->retention = retention;
  expiry->company_id = g_strdup(company_id);
  expiry->days = days;
  retention->running++;
  ims_database_submit(retention->database, IMS_DATABASE_READ, "list expired media",
                      run_list_expired, on_listed_expired, expiry, (GDestroyNotify) expiry_free);
}

static gboolean
on_timer(gpointer data)
{
  ImsRetention *retention = data;
  if (retention->running > 0)
    return G_SOURCE_CONTINUE; /* the last run is still erasing */
  for (guint i = 0; retention->companies[i]; i++)
    expire(retention, retention->companies[i], retention->company_days[i]);
  expire(retention, NULL, retention->default_days);
  return G_SOURCE_CONTINUE;
}

ImsRetention *
ims_retention_new(ImsDatabase *database, ImsObjectStore *objects, int default_days,
                  const char *by_company, int interval_seconds, GError **error)
{
  g_auto(GStrv) pairs = g_strsplit(by_company ? by_company : "", ";", -1);
  g_autoptr(GPtrArray) companies = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GArray) days = g_array_new(FALSE, FALSE, sizeof(int));
  gboolean any = default_days > 0;

  for (char **pair = pairs; *pair; pair++) {
    g_autofree char *item = g_strstrip(g_strdup(*pair));
    if (!*item)
      continue;
    char *equals = strchr(item, '=');
    gint64 value;
    if (!equals || equals == item ||
        !g_ascii_string_to_signed(g_strstrip(equals + 1), 10, 0, 36500, &value, NULL)) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                  "[review] retention_days_by_company: \"%s\" is not company=days", item);
      return NULL;
    }
    *equals = '\0';
    g_ptr_array_add(companies, g_strdup(g_strstrip(item)));
    int d = (int) value;
    g_array_append_val(days, d);
    any = any || d > 0;
  }
  if (!any)
    return NULL;
  ImsRetention *retention = g_new0(ImsRetention, 1);
  retention->database = database;
  retention->objects = objects;
  retention->default_days = default_days;
  g_ptr_array_add(companies, NULL);
  retention->companies = (GStrv) g_ptr_array_free(g_steal_pointer(&companies), FALSE);
  retention->company_days = (int *) g_array_free(g_steal_pointer(&days), FALSE);
  retention->timer_id = g_timeout_add_seconds((guint) interval_seconds, on_timer, retention);
  g_message("retention job every %d s (default %d days)", interval_seconds, default_days);
  return retention;
}

guint
ims_retention_running(ImsRetention *retention)
{
  return retention ? retention->running : 0;
}

void
ims_retention_free(ImsRetention *retention)
{
  if (!retention)
    return;
  g_clear_handle_id(&retention->timer_id, g_source_remove);
  g_strfreev(retention->companies);
  g_free(retention->company_days);
  g_free(retention);
}
