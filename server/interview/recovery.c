/* recovery.c: the takes a previous run left recording; see recovery.h. */
#define G_LOG_DOMAIN "imsd.recovery"

#include "recovery.h"

#include <glib/gstdio.h>
#include <sys/stat.h>

#include "outbox.h"
#include "payloads.h"

#include "log-session.h"

typedef struct {
  char *spool_prefix; /* the spool directory with a trailing separator */
  ImsDoneFunc done;
  gpointer done_data;
} Recovery;

static void
recovery_free(Recovery *recovery)
{
  g_free(recovery->spool_prefix);
  g_free(recovery);
}

/* How long the cut take recorded, estimated as the time from its start to
 * the file's last write (the processor measures it exactly when it decodes
 * the file); 0 when the file is missing. */
static gint64
estimate_duration_ms(const ImsTake *take, const struct stat *st)
{
  gint64 written_us = (gint64) st->st_mtim.tv_sec * G_USEC_PER_SEC + st->st_mtim.tv_nsec / 1000;
  return take->started_at > 0 && written_us > take->started_at
             ? (written_us - take->started_at) / 1000
             : 0;
}

static gboolean
update_take(ImsStore *store, gpointer data, GError **error)
{
  return store->sessions.update_take(store, data, error);
}

/* Adds to *events the cut take's candidate.response_submitted (status
 * interrupted): every take that has media is announced, so its media.*
 * events have a response to belong to.  FALSE, with error, if its session
 * cannot be read (sessions caches the records read). */
static gboolean
announce_take(ImsStore *store, GHashTable *sessions, const ImsTake *take, GPtrArray **events,
              GError **error)
{
  ImsSessionRecord *record = g_hash_table_lookup(sessions, take->session_id);
  if (!record) {
    record = store->sessions.load_session(store, take->session_id, error);
    if (!record)
      return FALSE;
    g_hash_table_insert(sessions, g_strdup(take->session_id), record);
  }
  /* the original's media file id is the take's, as for a finished take */
  ims_outbox_add(events, IMS_EVENT_CANDIDATE_RESPONSE_SUBMITTED,
                 ims_event_payload_candidate_response_submitted(record, take, take->id), record->id);
  return TRUE;
}

/* Database thread: each of our open takes becomes interrupted with the size
 * of what reached the disk and, if that is not nothing, its announcement,
 * one transaction per take:
 * a run retried after a lost connection lists only the takes still open, so
 * it repeats nothing. */
static gboolean
run_recovery(ImsStore *store, gpointer data, GError **error)
{
  Recovery *recovery = data;
  g_autoptr(GPtrArray) takes = store->sessions.list_open_takes(store, error);
  if (!takes)
    return FALSE;
  g_autoptr(GHashTable) sessions = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                                         (GDestroyNotify) ims_session_record_free);
  for (guint i = 0; i < takes->len; i++) {
    ImsTake *take = g_ptr_array_index(takes, i);
    struct stat st;
    if (!g_str_has_prefix(take->path, recovery->spool_prefix))
      continue;
    gboolean on_disk = stat(take->path, &st) == 0;
    take->status = IMS_TAKE_INTERRUPTED;
    take->stopped_at = g_get_real_time();
    take->size_bytes = on_disk ? (gint64) st.st_size : 0;
    take->duration_ms = on_disk ? estimate_duration_ms(take, &st) : 0;
    g_free(take->stop_reason);
    take->stop_reason = g_strdup("crash");
    g_autoptr(GPtrArray) events = NULL;
    /* a take whose file is gone or empty has no media: nothing to announce */
    if ((take->size_bytes > 0 && !announce_take(store, sessions, take, &events, error)) ||
        !ims_store_change(store, update_take, take, events, error)) {
      g_prefix_error(error, "%s: cannot mark take %s interrupted: ", take->session_id, take->id);
      return FALSE;
    }
    ims_log_session(G_LOG_LEVEL_MESSAGE, take->session_id, take->id,
                    "take %d of question %d was cut by a crash; kept as interrupted (%" G_GINT64_FORMAT
                    " bytes)",
                    take->number, take->question_index + 1, take->size_bytes);
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
