/* media-eraser.c: see media-eraser.h. */
#define G_LOG_DOMAIN "imsd.eraser"

#include "media-eraser.h"

#include <gio/gio.h>

#include "outbox.h"
#include "payloads.h"

typedef struct {
  ImsDatabase *database;
  ImsObjectStore *objects;
  GPtrArray *files;
  char *user_id;
  char *reason;
  char *correlation_id;
  ImsEraseRows rows;
  gpointer rows_data;
  ImsEraseDone done;
  gpointer data;
} Erase;

static void
erase_free(Erase *erase)
{
  g_ptr_array_unref(erase->files);
  g_free(erase->user_id);
  g_free(erase->reason);
  g_free(erase->correlation_id);
  g_free(erase);
}

static gboolean
mark_rows(ImsStore *store, gpointer data, GError **error)
{
  Erase *erase = data;
  for (guint i = 0; i < erase->files->len; i++) {
    const ImsMediaFile *file = g_ptr_array_index(erase->files, i);
    if (!store->privacy.mark_media_deleted(store, file->id, error))
      return FALSE;
  }
  return TRUE;
}

/* The rows step of the transaction: the caller's, or the files marked deleted. */
static gboolean
change_rows(ImsStore *store, gpointer data, GError **error)
{
  Erase *erase = data;
  return erase->rows ? erase->rows(store, erase->rows_data, error) : mark_rows(store, erase, error);
}

/* Database thread: the rows and the media.deleted events, one transaction
 * even without events (the rows step may be several statements). */
static gboolean
run_rows(ImsStore *store, gpointer data, GError **error)
{
  Erase *erase = data;
  g_autoptr(GPtrArray) events = NULL;
  gint64 now = g_get_real_time();
  for (guint i = 0; i < erase->files->len; i++) {
    const ImsMediaFile *file = g_ptr_array_index(erase->files, i);
    ims_outbox_add(&events, IMS_EVENT_MEDIA_DELETED,
                   ims_event_payload_media_deleted(erase->user_id, file->id, file->size_bytes, now,
                                                   erase->reason),
                   erase->correlation_id);
  }
  return ims_store_change_atomic(store, change_rows, erase, events, error);
}

static void
on_rows_done(gpointer data, const GError *error)
{
  Erase *erase = data;
  if (error) {
    erase->done(error->message, 0, erase->data);
    return;
  }
  g_info("%u object(s) of user %s erased (%s)", erase->files->len, erase->user_id, erase->reason);
  erase->done(NULL, erase->files->len, erase->data);
}

/* S3 holds nothing of the files any more: the rows go, as a write that
 * waits for the database if it is away. */
static void
finish_rows(Erase *erase)
{
  ims_database_submit(erase->database, IMS_DATABASE_WRITE, "erase media rows", run_rows,
                      on_rows_done, erase, (GDestroyNotify) erase_free);
}

static void
delete_in_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Erase *erase = data;
  for (guint i = 0; i < erase->files->len; i++) {
    const ImsMediaFile *file = g_ptr_array_index(erase->files, i);
    GError *error = NULL;
    if (!erase->objects->delete_object(erase->objects, file->key, &error)) {
      g_prefix_error(&error, "deleting %s: ", file->key);
      g_task_return_error(task, error);
      return;
    }
  }
  g_task_return_boolean(task, TRUE);
}

static void
on_deleted(GObject *source, GAsyncResult *result, gpointer data)
{
  Erase *erase = data;
  g_autoptr(GError) error = NULL;
  if (!g_task_propagate_boolean(G_TASK(result), &error)) {
    g_warning("erasing media of user %s: %s", erase->user_id, error->message);
    erase->done(error->message, 0, erase->data);
    erase_free(erase);
    return;
  }
  finish_rows(erase);
}

void
ims_media_erase(ImsDatabase *database, ImsObjectStore *objects, GPtrArray *files,
                const char *user_id, const char *reason, const char *correlation_id,
                ImsEraseRows rows, gpointer rows_data, ImsEraseDone done, gpointer data)
{
  Erase *erase = g_new0(Erase, 1);
  erase->database = database;
  erase->objects = objects;
  erase->files = files;
  erase->user_id = g_strdup(user_id);
  erase->reason = g_strdup(reason);
  erase->correlation_id = g_strdup(correlation_id);
  erase->rows = rows;
  erase->rows_data = rows_data;
  erase->done = done;
  erase->data = data;
  if (!objects || files->len == 0) {
    finish_rows(erase);
    return;
  }
  g_autoptr(GTask) task = g_task_new(NULL, NULL, on_deleted, erase);
  g_task_set_task_data(task, erase, NULL);
  g_task_run_in_thread(task, delete_in_thread);
}
