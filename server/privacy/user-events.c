/* user-events.c: user.deleted and user.logged_out; see user-events.h. */
#define G_LOG_DOMAIN "imsd.users"

#include "user-events.h"

#include <string.h>

#include <glib/gstdio.h>

#include "media-eraser.h"
#include "payloads.h"
#include "spool-files.h"

/* One user.deleted being carried out. */
typedef struct {
  ImsUserEvents *users;
  ImsConsumer *consumer;
  ImsConsumerDone done;
  char *event_id;
  char *event_type;
  char *user_id;
  ImsConsumedKind kind;
  gboolean processed; /* processed_events has it already */
  GPtrArray *files;   /* ImsMediaFile*: the user's stored objects */
  GPtrArray *paths;   /* char*: the user's take files in the spool */
} Erasure;

static void
erasure_free(Erasure *erasure)
{
  g_free(erasure->event_id);
  g_free(erasure->event_type);
  g_free(erasure->user_id);
  g_clear_pointer(&erasure->files, g_ptr_array_unref);
  g_clear_pointer(&erasure->paths, g_ptr_array_unref);
  g_free(erasure);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Erasure, erasure_free)

/* In the eraser's transaction: the user's sessions go (questions, takes and
 * media_files with them), and the event is recorded as processed. */
static gboolean
erase_user_rows(ImsStore *store, gpointer data, GError **error)
{
  Erasure *erasure = data;
  int sessions = 0;
  if (!store->privacy.erase_user(store, erasure->user_id, &sessions, error) ||
      !store->privacy.mark_event_processed(store, erasure->event_id, IMS_SERVICE_NAME,
                                           erasure->event_type, error))
    return FALSE;
  g_info("user %s: %d session(s) erased (%s)", erasure->user_id, sessions, erasure->event_id);
  return TRUE;
}

/* Removes each recording file, its "<file>.renditions" directory and its
 * "<file>.composite" link (a live room's take kept for the composite:
 * room-composite.h), then the session's folder they were in
 * (spool/<session id>/) once it is empty.  A folder whose name is not a
 * session id (a take file written straight into the spool, or the spool
 * itself for a room's composite-<room id>.mp4) is never removed; an empty
 * path (a live take whose file never opened) is no file. */
static void
remove_spool_files(const GPtrArray *paths)
{
  static const char *const companions[] = { ".renditions", ".composite" };
  for (guint i = 0; i < paths->len; i++) {
    const char *path = g_ptr_array_index(paths, i);
    if (!path[0])
      continue;
    for (gsize c = 0; c < G_N_ELEMENTS(companions); c++) {
      g_autofree char *companion = g_strconcat(path, companions[c], NULL);
      ims_spool_remove(companion);
    }
    ims_spool_remove(path);
  }
  for (guint i = 0; i < paths->len; i++) {
    if (!((const char *) g_ptr_array_index(paths, i))[0])
      continue;
    g_autofree char *folder = g_path_get_dirname(g_ptr_array_index(paths, i));
    g_autofree char *name = g_path_get_basename(folder);
    if (g_uuid_string_is_valid(name))
      g_rmdir(folder); /* fails, harmlessly, while it holds anything else or is gone */
  }
}

static void
on_user_erased(const char *error_message, guint erased, gpointer data)
{
  g_autoptr(Erasure) erasure = data;
  ImsUserEvents *users = erasure->users;
  users->running--;
  if (!error_message) {
    remove_spool_files(erasure->paths);
    users->end_user_sessions(erasure->user_id, TRUE, users->data);
  }
  erasure->done(erasure->consumer, error_message);
}

/* ---- the steps, each a database job ----
 *
 * A consumed event is first checked against processed_events (a read).
 * user.logged_out: the user's live sessions end, then the event is recorded
 * (a write).  user.deleted: the live sessions end, the user's objects and
 * spool files are listed (a read), then the eraser deletes them in S3 and the
 * rows and records the event in one transaction (a write). */

static gboolean
run_is_processed(ImsStore *store, gpointer data, GError **error)
{
  Erasure *erasure = data;
  return store->privacy.is_event_processed(store, erasure->event_id, IMS_SERVICE_NAME,
                                           &erasure->processed, error);
}

static gboolean
run_list_user_media(ImsStore *store, gpointer data, GError **error)
{
  Erasure *erasure = data;
  erasure->files = store->privacy.list_user_media_files(store, erasure->user_id, error);
  if (erasure->files)
    erasure->paths = store->privacy.list_user_take_paths(store, erasure->user_id, error);
  return erasure->files && erasure->paths;
}

static gboolean
run_mark_processed(ImsStore *store, gpointer data, GError **error)
{
  Erasure *erasure = data;
  return store->privacy.mark_event_processed(store, erasure->event_id, IMS_SERVICE_NAME,
                                             erasure->event_type, error);
}

/* Ends the step: tells the consumer (error NULL: the event is handled). */
static void
finish(Erasure *erasure, const GError *error)
{
  erasure->users->running--;
  erasure->done(erasure->consumer, error ? error->message : NULL);
}

static void
on_marked_processed(gpointer data, const GError *error)
{
  finish(data, error);
}

static void
on_user_media_listed(gpointer data, const GError *error)
{
  Erasure *erasure = data;
  if (error) {
    finish(erasure, error);
    return;
  }
  /* the eraser owns the erasure from here (on_user_erased frees it) */
  Erasure *owned = g_new0(Erasure, 1);
  *owned = *erasure;
  memset(erasure, 0, sizeof *erasure);
  ims_media_erase(owned->users->database, owned->users->objects, g_steal_pointer(&owned->files),
                  owned->user_id, IMS_DELETE_REASON_USER_DELETED, owned->event_id, erase_user_rows,
                  owned, on_user_erased, owned);
}

static void
on_checked_processed(gpointer data, const GError *error)
{
  Erasure *erasure = data;
  ImsUserEvents *users = erasure->users;
  if (error) {
    finish(erasure, error);
    return;
  }
  if (erasure->processed) {
    g_info("%s %s already processed: skipped", erasure->event_type, erasure->event_id);
    finish(erasure, NULL);
    return;
  }
  /* nothing may be recorded while the user's media goes */
  users->end_user_sessions(erasure->user_id, FALSE, users->data);
  Erasure *next = g_new0(Erasure, 1);
  *next = *erasure;
  memset(erasure, 0, sizeof *erasure);
  if (next->kind == IMS_CONSUMED_USER_DELETED)
    ims_database_submit(users->database, IMS_DATABASE_READ, "list a deleted user's media",
                        run_list_user_media, on_user_media_listed, next,
                        (GDestroyNotify) erasure_free);
  else
    ims_database_submit(users->database, IMS_DATABASE_WRITE, "record user.logged_out",
                        run_mark_processed, on_marked_processed, next,
                        (GDestroyNotify) erasure_free);
}

void
ims_user_events_handle(const ImsConsumedEvent *event, ImsConsumer *consumer, ImsConsumerDone done,
                       gpointer user_data)
{
  ImsUserEvents *users = user_data;
  Erasure *erasure = g_new0(Erasure, 1);
  erasure->users = users;
  erasure->consumer = consumer;
  erasure->done = done;
  erasure->kind = event->kind;
  erasure->event_id = g_strdup(event->event_id);
  erasure->event_type = g_strdup(event->event_type);
  erasure->user_id = g_strdup(event->user_id);
  users->running++;
  ims_database_submit(users->database, IMS_DATABASE_READ, "check a consumed event", run_is_processed,
                      on_checked_processed, erasure, (GDestroyNotify) erasure_free);
}
