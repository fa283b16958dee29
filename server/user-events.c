/* user-events.c: user.deleted and user.logged_out; see user-events.h. */
#define G_LOG_DOMAIN "imsd.users"

#include "user-events.h"

#include <glib/gstdio.h>

#include "media-eraser.h"
#include "payloads.h"

/* One user.deleted being carried out. */
typedef struct {
  ImsUserEvents *users;
  ImsConsumer *consumer;
  ImsConsumerDone done;
  char *event_id;
  char *event_type;
  char *user_id;
  GPtrArray *paths;      /* char*: the user's take files in the spool */
} Erasure;

static void
erasure_free(Erasure *erasure)
{
  g_free(erasure->event_id);
  g_free(erasure->event_type);
  g_free(erasure->user_id);
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
  if (!store->erase_user(store, erasure->user_id, &sessions, error) ||
      !store->mark_event_processed(store, erasure->event_id, IMS_SERVICE_NAME,
                                   erasure->event_type, error))
    return FALSE;
  g_info("user %s: %d session(s) erased (%s)", erasure->user_id, sessions, erasure->event_id);
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
  GPtrArray *files = users->store->list_user_media_files(users->store, event->user_id, &error);
  if (files)
    erasure->paths = users->store->list_user_take_paths(users->store, event->user_id, &error);
  if (!files || !erasure->paths) {
    g_clear_pointer(&files, g_ptr_array_unref);
    done(consumer, error->message);
    return;
  }
  users->running++;
  Erasure *owned = g_steal_pointer(&erasure);
  ims_media_erase(users->store, users->objects, files, owned->user_id,
                  IMS_DELETE_REASON_USER_DELETED, owned->event_id, erase_user_rows, owned,
                  on_user_erased, owned);
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
