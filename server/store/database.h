/* database.h: the one thread that talks to PostgreSQL, so the main loop never
 * waits for it.
 *
 * An ImsDatabase owns the ImsStore (store.h) and a thread that runs jobs
 * against it one at a time, in the order they were submitted.  A job's run
 * function executes on the database thread with the store; its done function
 * then runs on the main context, in the same order, with the outcome.
 *
 * Two kinds of job:
 *   IMS_DATABASE_WRITE  a state change that must not be forgotten: when the
 *                       database is unreachable it stays at the head of the
 *                       queue and is retried (backoff 0.25 s .. 5 s) until it
 *                       is written; jobs behind it wait, so changes are
 *                       written in order.  Only an error the database gives
 *                       for the change itself (a constraint, bad data) ends
 *                       it unwritten, with that error.
 *   IMS_DATABASE_READ   a question or a request somebody waits for: while the
 *                       database is unreachable it fails at once with
 *                       IMS_STORE_ERROR_CONNECT instead of waiting.
 *
 * Any job failing with IMS_STORE_ERROR_CONNECT makes the database
 * unreachable; it is reachable again when a ping answers.  The thread pings
 * before a waiting write and, when nothing waits, on its own (the same
 * backoff), so reads work again once PostgreSQL is back even if no write
 * comes.  While reachable and idle it pings every IMS_DATABASE_IDLE_PING_MS,
 * so the status (/readyz) sees an outage that no job ran into.
 *
 *   queued -> running -> (retrying -> running ...) -> done (main context)
 *
 * Threading: submit from any thread; status and flush from the main context; run
 * functions on the database thread only (they may block: that thread is
 * theirs), done functions on the main context.  The queue is protected by
 * the database's lock; nothing else is shared.
 */
#pragma once

#include <glib.h>

#include "check.h"
#include "store.h"

G_BEGIN_DECLS

typedef struct _ImsDatabase ImsDatabase;

#define IMS_DATABASE_IDLE_PING_MS 2000

typedef enum {
  IMS_DATABASE_WRITE,
  IMS_DATABASE_READ,
} ImsDatabaseKind;

/* Runs on the database thread.  FALSE with error on failure; a failed WRITE
 * must have changed nothing (a transaction), since it may run again. */
typedef gboolean (*ImsDatabaseRun)(ImsStore *store, gpointer data, GError **error);
/* Runs on the main context once the job is over; error is NULL on success
 * (transfer none).  May be NULL. */
typedef void (*ImsDatabaseDone)(gpointer data, const GError *error);

typedef struct {
  gboolean available;   /* the last statement reached the database */
  guint queued;         /* jobs not done yet, the running one included */
  guint waiting_writes; /* writes held while the database is unreachable */
  char *last_error;     /* NULL if none since start; transfer full */
  gint64 last_error_at; /* unix us of last_error, 0 if none */
  ImsCheck check;       /* reachability: a statement or ping reached PostgreSQL (ok) or
                             * could not (unavailable, with why); refused statements are
                             * ok here (the database answered) */
} ImsDatabaseStatus;

/* Starts the thread; takes ownership of store.  Done functions are
 * dispatched on context (NULL: the default main context).  Transfer full. */
ImsDatabase *ims_database_new(ImsStore *store, GMainContext *context);

/* Queues a job.  data is passed to run and done and freed with free_data
 * (may be NULL) on the main context after done.  what names the job in log
 * lines ("save take 3 of session ...").  Never fails, never waits. */
void ims_database_submit(ImsDatabase *database, ImsDatabaseKind kind, const char *what,
                         ImsDatabaseRun run, ImsDatabaseDone done, gpointer data,
                         GDestroyNotify free_data);

/* A snapshot for /readyz; clear it with ims_database_status_clear. */
void ims_database_get_status(ImsDatabase *database, ImsDatabaseStatus *status);
void ims_database_status_clear(ImsDatabaseStatus *status);

/* Iterates the main context until every job submitted so far is done, or
 * timeout_ms passed.  TRUE if the queue is empty.  For shutdown and tests. */
gboolean ims_database_flush(ImsDatabase *database, guint timeout_ms);

/* Stops the thread after the running job and frees the store.  Jobs not
 * answered yet are dropped without their done (a warning names how many
 * were not run): flush first. */
void ims_database_free(ImsDatabase *database);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsDatabase, ims_database_free)

G_END_DECLS
