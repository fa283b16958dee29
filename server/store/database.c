/* database.c: the database thread and its job queue; see database.h.
 *
 * Lock: database->lock protects queue, finished, dispatch,
 * stopping, available, waiting_writes, last_error(_at) and check.  It is never held
 * while a job runs or a done function is called.  The store is touched only
 * by the thread; outstanding is atomic.
 */
#define G_LOG_DOMAIN "imsd.database"

#include "database.h"

#define BACKOFF_FIRST_MS 250
#define BACKOFF_MAX_MS 5000
/* How long free waits for a statement that does not come back (a frozen
 * server) before it leaves the thread and the store behind. */
#define STOP_TIMEOUT_US (5 * G_USEC_PER_SEC)

typedef struct {
  ImsDatabaseKind kind;
  char *what;
  ImsDatabaseRun run;
  ImsDatabaseDone done;
  gpointer data;
  GDestroyNotify free_data;
  GError *error;
  gboolean retried; /* a write that waited for the database */
} Job;

struct _ImsDatabase {
  ImsStore *store; /* the thread's */
  GMainContext *context;
  GThread *thread;
  gint outstanding; /* atomic: submitted, done not yet called */

  GMutex lock;
  GCond wake;
  GQueue queue;      /* Job*: to run, head first */
  GQueue finished;   /* Job*: to hand to done, in order */
  GSource *dispatch; /* the idle that will run dispatch_finished, or NULL */
  gboolean stopping;
  gboolean thread_done; /* the thread left its loop */
  gboolean available;
  guint waiting_writes;
  char *last_error;
  gint64 last_error_at;
  ImsCheck check; /* what /readyz shows of reachability */
};

static void
job_free(Job *job)
{
  if (job->free_data)
    job->free_data(job->data);
  g_clear_error(&job->error);
  g_free(job->what);
  g_free(job);
}

/* ---- main context side ---- */

static gboolean
dispatch_finished(gpointer data)
{
  ImsDatabase *database = data;
  GQueue ready = G_QUEUE_INIT;

  g_mutex_lock(&database->lock);
  ready = database->finished;
  g_queue_init(&database->finished);
  g_clear_pointer(&database->dispatch, g_source_unref);
  g_mutex_unlock(&database->lock);

  Job *job;
  while ((job = g_queue_pop_head(&ready))) {
    if (job->done)
      job->done(job->data, job->error);
    g_atomic_int_dec_and_test(&database->outstanding);
    job_free(job);
  }
  return G_SOURCE_REMOVE;
}

/* Hands job to the main context.  Called with the lock held. */
static void
finish_locked(ImsDatabase *database, Job *job)
{
  g_queue_push_tail(&database->finished, job);
  if (database->dispatch)
    return;
  database->dispatch = g_idle_source_new();
  g_source_set_priority(database->dispatch, G_PRIORITY_DEFAULT);
  g_source_set_callback(database->dispatch, dispatch_finished, database, NULL);
  g_source_set_static_name(database->dispatch, "imsd database results");
  g_source_attach(database->dispatch, database->context);
}

static void
set_unreachable_error(GError **error, const char *last_error)
{
  g_set_error(error, IMS_STORE_ERROR, IMS_STORE_ERROR_CONNECT, "the database is unreachable: %s",
              last_error ? last_error : "not connected");
}

void
ims_database_submit(ImsDatabase *database, ImsDatabaseKind kind, const char *what,
                    ImsDatabaseRun run, ImsDatabaseDone done, gpointer data,
                    GDestroyNotify free_data)
{
  Job *job = g_new0(Job, 1);
  job->kind = kind;
  job->what = g_strdup(what);
  job->run = run;
  job->done = done;
  job->data = data;
  job->free_data = free_data;
  g_atomic_int_inc(&database->outstanding);

  g_mutex_lock(&database->lock);
  if (kind == IMS_DATABASE_READ && !database->available) {
    set_unreachable_error(&job->error, database->last_error);
    finish_locked(database, job);
  } else {
    g_queue_push_tail(&database->queue, job);
    if (!database->available) /* it waits: the status says so at once */
      database->waiting_writes = g_queue_get_length(&database->queue);
    g_cond_signal(&database->wake);
  }
  g_mutex_unlock(&database->lock);
}

void
ims_database_get_status(ImsDatabase *database, ImsDatabaseStatus *status)
{
  g_mutex_lock(&database->lock);
  status->available = database->available;
  status->queued = (guint) g_atomic_int_get(&database->outstanding);
  status->waiting_writes = database->waiting_writes;
  status->last_error = g_strdup(database->last_error);
  status->last_error_at = database->last_error_at;
  ims_check_copy(&status->check, &database->check);
  g_mutex_unlock(&database->lock);
}

void
ims_database_status_clear(ImsDatabaseStatus *status)
{
  g_clear_pointer(&status->last_error, g_free);
  ims_check_clear(&status->check);
}

static gboolean
on_flush_deadline(gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
ims_database_flush(ImsDatabase *database, guint timeout_ms)
{
  gboolean expired = FALSE;
  GSource *deadline = g_timeout_source_new(timeout_ms);
  g_source_set_callback(deadline, on_flush_deadline, &expired, NULL);
  g_source_attach(deadline, database->context);
  while (g_atomic_int_get(&database->outstanding) > 0 && !expired)
    g_main_context_iteration(database->context, TRUE);
  g_source_destroy(deadline);
  g_source_unref(deadline);
  return g_atomic_int_get(&database->outstanding) == 0;
}

/* ---- database thread ---- */

static gboolean
is_unreachable(const GError *error)
{
  return g_error_matches(error, IMS_STORE_ERROR, IMS_STORE_ERROR_CONNECT);
}

/* Records an error of the database (unreachable: the check fails too) or a
 * statement or ping that reached it (error NULL).  Called with the lock held. */
static void
note_outcome_locked(ImsDatabase *database, const GError *error)
{
  gint64 now = g_get_real_time();
  if (error) {
    g_free(database->last_error);
    database->last_error = g_strdup(error->message);
    database->last_error_at = now;
  }
  if (error && is_unreachable(error))
    ims_check_failed(&database->check, error->message, now);
  else
    ims_check_succeeded(&database->check, now);
}

/* Fails every queued read: nobody should wait for an unreachable database.
 * Called with the lock held. */
static void
fail_reads_locked(ImsDatabase *database)
{
  for (GList *link = database->queue.head; link;) {
    GList *next = link->next;
    Job *job = link->data;
    if (job->kind == IMS_DATABASE_READ) {
      g_queue_delete_link(&database->queue, link);
      set_unreachable_error(&job->error, database->last_error);
      finish_locked(database, job);
    }
    link = next;
  }
}

/* Waits up to ms for stopping.  Called with the lock held. */
static void
sleep_locked(ImsDatabase *database, int ms)
{
  gint64 until = g_get_monotonic_time() + (gint64) ms * 1000;
  while (!database->stopping && g_cond_wait_until(&database->wake, &database->lock, until))
    ;
}

/* Pings the database (the lock released meanwhile): TRUE, and available
 * again, if it answers; else FALSE after sleeping *backoff_ms, which doubles
 * (up to BACKOFF_MAX_MS).  Called with the lock held, on the thread. */
static gboolean
reconnect_locked(ImsDatabase *database, int *backoff_ms)
{
  g_mutex_unlock(&database->lock);
  g_autoptr(GError) ping_error = NULL;
  gboolean reachable = database->store->ping(database->store, &ping_error);
  g_mutex_lock(&database->lock);
  note_outcome_locked(database, ping_error);
  if (!reachable) {
    sleep_locked(database, *backoff_ms);
    *backoff_ms = MIN(*backoff_ms * 2, BACKOFF_MAX_MS);
    return FALSE;
  }
  database->available = TRUE;
  database->waiting_writes = 0;
  g_message("the database is reachable again%s",
            g_queue_is_empty(&database->queue) ? "" : "; writing what waited");
  return TRUE;
}

/* Nothing ran for IMS_DATABASE_IDLE_PING_MS: pings (the lock released
 * meanwhile), so an outage no job ran into still shows.  Called with the
 * lock held, on the thread, while available.  The ping waits as long as
 * the store's (PostgreSQL: its connect timeout when the server is away). */
static void
ping_idle_locked(ImsDatabase *database)
{
  if (!database->store->ping)
    return; /* a store that cannot be pinged (some test fakes) */
  g_mutex_unlock(&database->lock);
  g_autoptr(GError) ping_error = NULL;
  gboolean reachable = database->store->ping(database->store, &ping_error);
  g_mutex_lock(&database->lock);
  if (reachable || !is_unreachable(ping_error)) {
    note_outcome_locked(database, NULL);
    return;
  }
  note_outcome_locked(database, ping_error);
  g_warning("database unreachable (idle ping): %s", ping_error->message);
  database->available = FALSE;
}

static gpointer
run_thread(gpointer data)
{
  ImsDatabase *database = data;
  int backoff_ms = BACKOFF_FIRST_MS;

  g_mutex_lock(&database->lock);
  for (;;) {
    while (!database->stopping && g_queue_is_empty(&database->queue)) {
      if (database->available) {
        gint64 until = g_get_monotonic_time() + IMS_DATABASE_IDLE_PING_MS * G_TIME_SPAN_MILLISECOND;
        if (!g_cond_wait_until(&database->wake, &database->lock, until) && !database->stopping &&
            g_queue_is_empty(&database->queue))
          ping_idle_locked(database);
      } else /* reads fail fast and no write waits: look for the database ourselves */
        reconnect_locked(database, &backoff_ms);
    }
    if (database->stopping)
      break;

    if (!database->available) {
      /* wait for the database before the head job runs again */
      fail_reads_locked(database);
      /* what is left waits: writes, also those no statement failed for
       * (the outage was found by a ping or a read) */
      database->waiting_writes = g_queue_get_length(&database->queue);
      if (g_queue_is_empty(&database->queue) || !reconnect_locked(database, &backoff_ms))
        continue;
    }

    Job *job = g_queue_peek_head(&database->queue);
    g_mutex_unlock(&database->lock);
    g_clear_error(&job->error);
    gboolean ok = job->run(database->store, job->data, &job->error);
    g_mutex_lock(&database->lock);

    note_outcome_locked(database, ok ? NULL : job->error);
    if (!ok && is_unreachable(job->error)) {
      if (database->available)
        g_warning("database unreachable (%s): %s; state changes wait and are retried in order",
                  job->what, job->error->message);
      database->available = FALSE;
      if (job->kind == IMS_DATABASE_WRITE) {
        if (!job->retried)
          database->waiting_writes = g_queue_get_length(&database->queue);
        job->retried = TRUE;
        sleep_locked(database, backoff_ms);
        backoff_ms = MIN(backoff_ms * 2, BACKOFF_MAX_MS);
        continue;
      }
    } else {
      backoff_ms = BACKOFF_FIRST_MS;
      if (!ok) {
        if (job->kind == IMS_DATABASE_WRITE)
          g_warning("%s was refused by the database and is not retried: %s", job->what,
                    job->error->message);
      } else if (job->retried) {
        g_message("%s written after the database came back", job->what);
      }
    }
    g_queue_pop_head(&database->queue);
    finish_locked(database, job);
  }
  database->thread_done = TRUE;
  g_cond_broadcast(&database->wake);
  g_mutex_unlock(&database->lock);
  return NULL;
}

ImsDatabase *
ims_database_new(ImsStore *store, GMainContext *context)
{
  ImsDatabase *database = g_new0(ImsDatabase, 1);
  database->store = store;
  database->context = context ? g_main_context_ref(context) : g_main_context_ref_thread_default();
  database->available = TRUE;
  ims_check_init(&database->check, TRUE);
  g_mutex_init(&database->lock);
  g_cond_init(&database->wake);
  g_queue_init(&database->queue);
  g_queue_init(&database->finished);
  database->thread = g_thread_new("imsd-database", run_thread, database);
  return database;
}

void
ims_database_free(ImsDatabase *database)
{
  if (!database)
    return;
  g_mutex_lock(&database->lock);
  database->stopping = TRUE;
  g_cond_broadcast(&database->wake);
  gint64 until = g_get_monotonic_time() + STOP_TIMEOUT_US;
  while (!database->thread_done && g_cond_wait_until(&database->wake, &database->lock, until))
    ;
  gboolean stopped = database->thread_done;
  g_mutex_unlock(&database->lock);
  if (!stopped) {
    /* the process is ending: the thread keeps the store and the queue */
    g_warning("the database did not answer its last statement; leaving it behind");
    return;
  }
  g_thread_join(database->thread);

  guint dropped = g_queue_get_length(&database->queue);
  if (dropped > 0)
    g_warning("%u database job(s) were not done at shutdown (open takes are recovered at the "
              "next start)",
              dropped);
  g_queue_clear_full(&database->queue, (GDestroyNotify) job_free);
  /* answers not delivered yet are dropped too: whoever waited may be gone */
  if (database->dispatch) {
    g_source_destroy(database->dispatch);
    g_clear_pointer(&database->dispatch, g_source_unref);
  }
  g_queue_clear_full(&database->finished, (GDestroyNotify) job_free);
  ims_store_free(database->store);
  g_free(database->last_error);
  ims_check_clear(&database->check);
  g_cond_clear(&database->wake);
  g_mutex_clear(&database->lock);
  g_main_context_unref(database->context);
  g_free(database);
}
