/* user-events.c: user.deleted and user.logged_out; see user-events.h. */
#define G_LOG_DOMAIN "imsd.users"

#include "user-events.h"

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "outbox.h"
#include "payloads.h"

/* One user.deleted being carried out. */
typedef struct {
  ImsUserEvents *users;
  ImsConsumer *consumer;
  ImsConsumerDone done;
  char *event_id;
  char *event_type;
  char *user_id;
  GPtrArray *files;      /* ImsMediaFile*: the user's objects */
  GPtrArray *paths;      /* char*: the user's take files in the spool */
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

static void
finish(Erasure *erasure, const char *error_message)
{
  erasure->done(erasure->consumer, error_message);
  erasure_free(erasure);
}

static gboolean
erase_body(ImsStore *store, gpointer data, GError **error)
{
  Erasure *erasure = data;
  int sessions = 0;
  if (!store->erase_user(store, erasure->user_id, &sessions, error) ||
      !store->mark_event_processed(store, erasure->event_id, IMS_SERVICE_NAME,
                                   erasure->event_type, error))
    return FALSE;
  g_info("user %s: %d session(s) and %u object(s) erased (%s)", erasure->user_id, sessions,
         erasure->files->len, erasure->event_id);
  return TRUE;
}

static void
remove_spool_files(const GPtrArray *paths)
{
  for (guint i = 0; i < paths->len; i++) {
    const char *path = g_ptr_array_index(paths, i);
    g_autofree char *renditions = g_strdup_printf("%s.renditions", path);
    g_autoptr(GDir) dir = g_dir_open(renditions, 0, NULL);
    const char *name;
    while (dir && (name = g_dir_read_name(dir))) {
      g_autofree char *child = g_build_filename(renditions, name, NULL);
      g_unlink(child);
    }
    g_rmdir(renditions);
    g_unlink(path);
  }
}

/* S3 holds nothing of the user any more: the rows go, with the events. */
static void
erase_rows(Erasure *erasure)
{
  ImsUserEvents *users = erasure->users;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) events = NULL;
  gint64 now = g_get_real_time();

  for (guint i = 0; i < erasure->files->len; i++) {
    const ImsMediaFile *file = g_ptr_array_index(erasure->files, i);
    ims_outbox_add(&events, IMS_EVENT_MEDIA_DELETED,
                   ims_event_payload_media_deleted(erasure->user_id, file->id, file->size_bytes,
                                                   now, IMS_DELETE_REASON_USER_DELETED),
                   erasure->event_id);
  }
  /* the processed_events row must commit with the rows even without events */
  if (!users->store->begin(users->store, &error) || !erase_body(users->store, erasure, &error) ||
      (events && !users->store->append_events(users->store, events, &error)) ||
      !users->store->commit(users->store, &error)) {
    users->store->rollback(users->store);
    finish(erasure, error->message);
    return;
  }
  remove_spool_files(erasure->paths);
  users->end_user_sessions(erasure->user_id, TRUE, users->data);
  finish(erasure, NULL);
}

static void
delete_objects_in_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Erasure *erasure = data;
  ImsObjectStore *objects = erasure->users->objects;
  for (guint i = 0; i < erasure->files->len; i++) {
    const ImsMediaFile *file = g_ptr_array_index(erasure->files, i);
    GError *error = NULL;
    if (!objects->delete_object(objects, file->key, &error)) {
      g_prefix_error(&error, "deleting %s: ", file->key);
      g_task_return_error(task, error);
      return;
    }
  }
  g_task_return_boolean(task, TRUE);
}

static void
on_objects_deleted(GObject *source, GAsyncResult *result, gpointer data)
{
  Erasure *erasure = data;
  g_autoptr(GError) error = NULL;
  erasure->users->running--;
  if (!g_task_propagate_boolean(G_TASK(result), &error)) {
    finish(erasure, error->message);
    return;
  }
  erase_rows(erasure);
}

static void
handle_user_deleted(ImsUserEvents *users, const ImsConsumedEvent *event, ImsConsumer *consumer,
                    ImsConsumerDone done)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Erasure) erasure = g_new0(Erasure, 1);
  erasure->users = users;
  erasure->consumer = consumer;
  erasure->done = done;
  erasure->event_id = g_strdup(event->event_id);
  erasure->event_type = g_strdup(event->event_type);
  erasure->user_id = g_strdup(event->user_id);

  /* nothing may be recorded while the user's media goes */
  users->end_user_sessions(event->user_id, FALSE, users->data);
  erasure->files = users->store->list_user_media_files(users->store, event->user_id, &error);
  if (erasure->files)
    erasure->paths = users->store->list_user_take_paths(users->store, event->user_id, &error);
  if (!erasure->files || !erasure->paths) {
    done(consumer, error->message);
    return;
  }
  if (!users->objects || erasure->files->len == 0) {
    erase_rows(g_steal_pointer(&erasure));
    return;
  }
  users->running++;
  g_autoptr(GTask) task = g_task_new(NULL, NULL, on_objects_deleted, erasure);
  g_task_set_task_data(task, g_steal_pointer(&erasure), NULL);
  g_task_run_in_thread(task, delete_objects_in_thread);
}

void
ims_user_events_handle(const ImsConsumedEvent *event, ImsConsumer *consumer,
                       ImsConsumerDone done, gpointer user_data)
{
  ImsUserEvents *users = user_data;
  g_autoptr(GError) error = NULL;
  gboolean processed = FALSE;

  if (!users->store->is_event_processed(users->store, event->event_id, IMS_SERVICE_NAME,
                                        &processed, &error)) {
    done(consumer, error->message);
    return;
  }
  if (processed) {
    g_info("%s %s already processed: skipped", event->event_type, event->event_id);
    done(consumer, NULL);
    return;
  }
  if (event->kind == IMS_CONSUMED_USER_DELETED) {
    handle_user_deleted(users, event, consumer, done);
    return;
  }
  /* user.logged_out */
  users->end_user_sessions(event->user_id, FALSE, users->data);
  if (!users->store->mark_event_processed(users->store, event->event_id, IMS_SERVICE_NAME,
                                          event->event_type, &error)) {
    done(consumer, error->message);
    return;
  }
  done(consumer, NULL);
}
