/* session-write.c: a session's changes on their way to the database (see session-private.h).
 *
 * The session's record in memory is ahead of the database: every change is
 * queued as one database write (IMS_DATABASE_WRITE: kept and retried in
 * order until written, never dropped when the database is away) with the
 * events it causes.  Until the writes are done the session is busy and its
 * state says "saved": false, so the candidate sees "saving" and never
 * "saved" before the database has it.
 *
 * Threads: queued and completed on the main loop; run_session_write runs on
 * the database thread and touches only its SessionWrite.
 */
#define G_LOG_DOMAIN "imsd.session"

#include "session-private.h"

#include "database.h"
#include "log-session.h"
#include "peer-handler.h"

typedef enum {
  WRITE_PROGRESS, /* ims_session_save_progress */
  WRITE_INSERT_TAKE,
  WRITE_UPDATE_TAKE,
} WriteKind;

typedef struct {
  ImsSession *session; /* a reference: the session waits for its writes */
  WriteKind kind;
  ImsSessionRecord *progress; /* WRITE_PROGRESS: the fields ims_session_save_progress stores */
  ImsTake *take;              /* the take's row as it is to be written */
  GPtrArray *events;          /* ImsOutboxEvent*, may be NULL */
  gboolean take_final;        /* processing may start once it is written */
  gboolean attempted;         /* database thread: it ran before */
} SessionWrite;

static void
session_write_free(SessionWrite *write)
{
  ims_session_unref(write->session);
  ims_session_record_free(write->progress);
  ims_take_free(write->take);
  g_clear_pointer(&write->events, g_ptr_array_unref);
  g_free(write);
}

static gboolean
write_body(ImsStore *store, gpointer data, GError **error)
{
  SessionWrite *write = data;
  switch (write->kind) {
  case WRITE_PROGRESS:
    return store->sessions.save_progress(store, write->progress, error);
  case WRITE_INSERT_TAKE:
    return store->sessions.insert_take(store, write->take, error);
  case WRITE_UPDATE_TAKE:
  default:
    return store->sessions.update_take(store, write->take, error);
  }
}

/* Database thread.  A change retried after a broken connection may have
 * committed unseen the first time: its ids (take, events) are then taken,
 * and that conflict means it is written. */
static gboolean
run_session_write(ImsStore *store, gpointer data, GError **error)
{
  SessionWrite *write = data;
  gboolean again = write->attempted;
  g_autoptr(GError) local = NULL;

  write->attempted = TRUE;
  if (ims_store_change(store, write_body, write, write->events, &local))
    return TRUE;
  if (again && g_error_matches(local, IMS_STORE_ERROR, IMS_STORE_ERROR_CONFLICT))
    return TRUE;
  g_propagate_error(error, g_steal_pointer(&local));
  return FALSE;
}

static void
on_session_written(gpointer data, const GError *error)
{
  SessionWrite *write = data;
  ImsSession *session = write->session;

  session->unsaved--;
  if (write->take) {
    int left = GPOINTER_TO_INT(g_hash_table_lookup(session->unsaved_takes, write->take->id)) - 1;
    if (left > 0)
      g_hash_table_insert(session->unsaved_takes, g_strdup(write->take->id), GINT_TO_POINTER(left));
    else
      g_hash_table_remove(session->unsaved_takes, write->take->id);
  }
  if (error) {
    ims_log_session(G_LOG_LEVEL_WARNING, LOG_ID(session), write->take ? write->take->id : NULL,
                    "a change was refused by the database: %s", error->message);
    if (session->peer)
      ims_peer_send_error(session->peer, "internal",
                          "The server could not save your progress; try again.", NULL);
  } else if (write->take_final) {
    ims_session_context_take_saved(session->context, session->record, write->take);
  }
  ims_session_send_state(session);
}

/* Queues one change (takes ownership of progress, take and events). */
static void
session_write(ImsSession *session, WriteKind kind, ImsSessionRecord *progress, ImsTake *take,
              GPtrArray *events, gboolean take_final)
{
  SessionWrite *write = g_new0(SessionWrite, 1);
  write->session = ims_session_ref(session);
  write->kind = kind;
  write->progress = progress;
  write->take = take;
  write->events = events;
  write->take_final = take_final;
  session->unsaved++;
  if (take) {
    int pending = GPOINTER_TO_INT(g_hash_table_lookup(session->unsaved_takes, take->id)) + 1;
    g_hash_table_insert(session->unsaved_takes, g_strdup(take->id), GINT_TO_POINTER(pending));
  }
  g_autofree char *what = take ? g_strdup_printf("%s: take %d of question %d", LOG_ID(session),
                                                 take->number, take->question_index + 1)
                               : g_strdup_printf("%s: progress", LOG_ID(session));
  ims_database_submit(session->context->database, IMS_DATABASE_WRITE, what, run_session_write,
                      on_session_written, write, (GDestroyNotify) session_write_free);
}

void
ims_session_context_take_saved(const ImsSessionContext *context, const ImsSessionRecord *record,
                               const ImsTake *take)
{
  /* the practice is neither processed nor announced (media.uploaded) */
  if (!context->take_saved || take->question_index == IMS_PRACTICE_QUESTION_INDEX)
    return;
  int index = take->question_index;
  const ImsQuestion *question = index >= 0 && index < (int) record->questions->len
                                    ? g_ptr_array_index(record->questions, index)
                                    : NULL;
  ImsProcessingJob job = {
    .take = (ImsTake *) take,
    .interview_id = record->interview_id,
    .question_id = question ? question->id : NULL,
    .user_id = record->user_id,
    .profile = record->profile,
  };
  context->take_saved(context->take_saved_data, &job);
}

void
ims_session_save_progress(ImsSession *session, GPtrArray *events)
{
  const ImsSessionRecord *record = session->record;
  ImsSessionRecord *progress = ims_session_record_new();
  progress->id = g_strdup(record->id);
  progress->state = record->state;
  progress->current_question = record->current_question;
  progress->started_at = record->started_at;
  progress->completed_at = record->completed_at;
  session_write(session, WRITE_PROGRESS, progress, NULL, events, FALSE);
}

void
ims_session_save_take(ImsSession *session, const ImsTake *take, gboolean insert, GPtrArray *events,
                      gboolean final)
{
  session_write(session, insert ? WRITE_INSERT_TAKE : WRITE_UPDATE_TAKE, NULL, ims_take_copy(take),
                events, final);
}

gboolean
ims_session_is_saved(ImsSession *session)
{
  return session->unsaved == 0;
}

gboolean
ims_session_take_is_saved(ImsSession *session, const char *take_id)
{
  return !g_hash_table_contains(session->unsaved_takes, take_id);
}
