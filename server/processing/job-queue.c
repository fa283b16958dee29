/* job-queue.c: the finished takes waiting for a processing worker, and their
 * retries; see job-queue.h. */
#define G_LOG_DOMAIN "imsd.job-queue"

#include "job-queue.h"

#include "log-session.h"

struct _ImsJobQueue {
  ImsJobQueueConfig config;
  GMainContext *context; /* reports run here */
  GThreadPool *pool;     /* NULL once stopped */
  GHashTable *takes;     /* take id (the take's own) -> ImsQueuedTake*: queued, working, waiting */
  GHashTable *done;      /* take id (owned) -> itself: the last ..._REMEMBERED_DONE done */
  GQueue done_order;     /* the same ids (owned by done), oldest first */
  gint queued;           /* atomic */
  gint working;          /* atomic */
  guint waiting;
  gboolean stopping;
};

void
ims_queued_take_init(ImsQueuedTake *take, ImsProcessingJob *job, GPtrArray *stored_kinds)
{
  take->job = job;
  take->stored_kinds = stored_kinds ? stored_kinds : g_ptr_array_new_with_free_func(g_free);
  take->queued_at = g_get_monotonic_time();
  take->attempt = 0;
  take->rendition_failures = 0;
  take->queue = NULL;
  take->retry_id = 0;
}

void
ims_queued_take_clear(ImsQueuedTake *take)
{
  g_clear_handle_id(&take->retry_id, g_source_remove);
  g_clear_pointer(&take->job, ims_processing_job_free);
  g_clear_pointer(&take->stored_kinds, g_ptr_array_unref);
}

gboolean
ims_queued_take_has_kind(const ImsQueuedTake *take, const char *kind)
{
  for (guint i = 0; i < take->stored_kinds->len; i++)
    if (g_str_equal(g_ptr_array_index(take->stored_kinds, i), kind))
      return TRUE;
  return FALSE;
}

gboolean
ims_queued_take_is_last_rendition_attempt(const ImsQueuedTake *take)
{
  return take->rendition_failures + 1 >= IMS_JOB_RENDITION_ATTEMPTS;
}

int
ims_job_queue_backoff_seconds(int failed_attempts, int max_seconds)
{
  return MIN(max_seconds, 1 << CLAMP(failed_attempts, 0, 16));
}

static const char *
take_id(const ImsQueuedTake *take)
{
  return take->job->take->id;
}

/* The main context: the attempt is over. */
static gboolean
report_take(gpointer data)
{
  ImsQueuedTake *take = data;
  ImsJobQueue *queue = take->queue;
  queue->config.report(take, queue->config.data);
  return G_SOURCE_REMOVE;
}

/* A pool thread: one attempt, then its report is handed to the main context. */
static void
run_take(gpointer data, gpointer pool_data)
{
  ImsQueuedTake *take = data;
  ImsJobQueue *queue = pool_data;

  g_atomic_int_add(&queue->queued, -1);
  g_atomic_int_inc(&queue->working);
  queue->config.run(take, queue->config.data);
  g_atomic_int_add(&queue->working, -1);
  /* always through a source: g_main_context_invoke would run the report
   * right here if the main context happened not to be acquired */
  GSource *source = g_idle_source_new();
  g_source_set_callback(source, report_take, take, NULL);
  g_source_attach(source, queue->context);
  g_source_unref(source);
}

/* Hands a take of queue->takes to the pool; FALSE (the take removed and
 * freed) if the pool refuses it. */
static gboolean
push_take(ImsJobQueue *queue, ImsQueuedTake *take)
{
  g_autoptr(GError) error = NULL;
  g_atomic_int_inc(&queue->queued);
  if (g_thread_pool_push(queue->pool, take, &error))
    return TRUE;
  g_atomic_int_add(&queue->queued, -1);
  ims_log_session(G_LOG_LEVEL_WARNING, take->job->take->session_id, NULL,
                  "cannot queue take %s: %s", take_id(take), error->message);
  g_hash_table_remove(queue->takes, take_id(take));
  return FALSE;
}

ImsJobQueue *
ims_job_queue_new(const ImsJobQueueConfig *config)
{
  ImsJobQueue *queue = g_new0(ImsJobQueue, 1);
  queue->config = *config;
  queue->context = g_main_context_ref_thread_default();
  queue->pool = g_thread_pool_new(run_take, queue, MAX(config->workers, 1), FALSE, NULL);
  queue->takes = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                       (GDestroyNotify) config->free_take);
  queue->done = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  g_queue_init(&queue->done_order);
  return queue;
}

gboolean
ims_job_queue_knows(ImsJobQueue *queue, const char *take_id)
{
  return g_hash_table_contains(queue->takes, take_id) || g_hash_table_contains(queue->done, take_id);
}

gboolean
ims_job_queue_add(ImsJobQueue *queue, ImsQueuedTake *take)
{
  if (queue->stopping || ims_job_queue_knows(queue, take_id(take))) {
    queue->config.free_take(take);
    return FALSE;
  }
  take->queue = queue;
  g_hash_table_insert(queue->takes, (gpointer) take_id(take), take);
  return push_take(queue, take);
}

static gboolean
retry_take(gpointer data)
{
  ImsQueuedTake *take = data;
  take->retry_id = 0;
  take->queue->waiting--;
  push_take(take->queue, take);
  return G_SOURCE_REMOVE;
}

int
ims_job_queue_retry(ImsJobQueue *queue, ImsQueuedTake *take, ImsJobRetryReason reason)
{
  if (queue->stopping) {
    ims_job_queue_drop(queue, take);
    return -1;
  }
  int delay = ims_job_queue_backoff_seconds(take->attempt, queue->config.retry_max_seconds);
  take->attempt++;
  if (reason == IMS_JOB_RETRY_RENDITIONS)
    take->rendition_failures++;
  queue->waiting++;
  /* not g_timeout_add_seconds: its first second can be anything down to 0 */
  take->retry_id = g_timeout_add((guint) MAX(delay, 0) * 1000, retry_take, take);
  return delay;
}

void
ims_job_queue_drop(ImsJobQueue *queue, ImsQueuedTake *take)
{
  g_hash_table_remove(queue->takes, take_id(take));
}

void
ims_job_queue_done(ImsJobQueue *queue, ImsQueuedTake *take)
{
  char *id = g_strdup(take_id(take));
  g_hash_table_remove(queue->takes, id);
  if (!g_hash_table_add(queue->done, id))
    return; /* cannot be: a done take is refused by add */
  g_queue_push_tail(&queue->done_order, id);
  if (queue->done_order.length > IMS_JOB_QUEUE_REMEMBERED_DONE)
    g_hash_table_remove(queue->done, g_queue_pop_head(&queue->done_order));
}

void
ims_job_queue_get_counts(ImsJobQueue *queue, guint *queued, guint *working, guint *waiting)
{
  *queued = (guint) MAX(g_atomic_int_get(&queue->queued), 0);
  *working = (guint) MAX(g_atomic_int_get(&queue->working), 0);
  *waiting = queue->waiting;
}

void
ims_job_queue_stop(ImsJobQueue *queue)
{
  if (queue->stopping)
    return;
  queue->stopping = TRUE;
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init(&iter, queue->takes);
  while (g_hash_table_iter_next(&iter, NULL, &value))
    g_clear_handle_id(&((ImsQueuedTake *) value)->retry_id, g_source_remove);
  queue->waiting = 0;
  /* queued takes are dropped (the database still lists them); running ones finish */
  g_thread_pool_free(g_steal_pointer(&queue->pool), TRUE, TRUE);
  while (g_main_context_pending(queue->context))
    g_main_context_iteration(queue->context, FALSE);
}

void
ims_job_queue_free(ImsJobQueue *queue)
{
  if (!queue)
    return;
  ims_job_queue_stop(queue);
  g_hash_table_unref(queue->takes);
  g_queue_clear(&queue->done_order);
  g_hash_table_unref(queue->done);
  g_main_context_unref(queue->context);
  g_free(queue);
}
