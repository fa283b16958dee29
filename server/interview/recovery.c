/* recovery.c: the takes a previous run left recording; see recovery.h. */
#define G_LOG_DOMAIN "imsd.recovery"

#include "recovery.h"

#include <glib/gstdio.h>

#include "log-session.h"

typedef struct {
  char *spool_prefix;         /* the spool directory with a trailing separator */
  ImsDoneFunc done;
  gpointer done_data;
} Recovery;

static void
recovery_free(Recovery *recovery)
{
  g_free(recovery->spool_prefix);
  g_free(recovery);
}

/* Database thread: each of our open takes becomes interrupted with the size
 * of what reached the disk, one update per take and no transaction: a run
 * retried after a lost connection lists only the takes still open, so it
 * repeats nothing. */
static gboolean
run_recovery(ImsStore *store, gpointer data, GError **error)
{
  Recovery *recovery = data;
  g_autoptr(GPtrArray) takes = store->sessions.list_open_takes(store, error);
  if (!takes)
    return FALSE;
  for (guint i = 0; i < takes->len; i++) {
    ImsTake *take = g_ptr_array_index(takes, i);
    GStatBuf st;
    if (!g_str_has_prefix(take->path, recovery->spool_prefix))
      continue;
    take->status = IMS_TAKE_INTERRUPTED;
    take->stopped_at = g_get_real_time();
    take->size_bytes = g_stat(take->path, &st) == 0 ? (gint64) st.st_size : 0;
    g_free(take->stop_reason);
    take->stop_reason = g_strdup("crash");
    if (!store->sessions.update_take(store, take, error)) {
      g_prefix_error(error, "%s: cannot mark take %s interrupted: ", take->session_id, take->id);
      return FALSE;
    }
    ims_log_session(G_LOG_LEVEL_MESSAGE, take->session_id, take->id,
                    "take %d of question %d was cut by a crash; kept as interrupted (%" G_GINT64_FORMAT
                    " bytes)", take->number, take->question_index + 1, take->size_bytes);
  }
  return TRUE;
}

static void
on_recovered(gpointer data, const GError *error)
{
  Recovery *recovery = data;
  if (error)
    g_warning("cannot recover takes left open: %s", error->message);
  if (recovery->done)
    recovery->done(recovery->done_data);
}

void
ims_recovery_start(ImsDatabase *database, const char *spool_dir, ImsDoneFunc done,
                   gpointer user_data)
{
  Recovery *recovery = g_new0(Recovery, 1);
  recovery->spool_prefix = g_strconcat(spool_dir, G_DIR_SEPARATOR_S, NULL);
  recovery->done = done;
  recovery->done_data = user_data;
  ims_database_submit(database, IMS_DATABASE_WRITE, "recover takes left open", run_recovery,
                      on_recovered, recovery, (GDestroyNotify) recovery_free);
}
