/* media-loop.c: a fixed set of media loop threads (see media-loop.h).
 *
 * Each ImsMediaLoop is one GThread running g_main_loop_run() on its own
 * GMainContext, pushed as that thread's default context so that GLib/GIO
 * objects created there (libnice's sockets) attach to it.  The thread records
 * its CPU clock (pthread_getcpuclockid) for benchmarks.
 *
 * Lifecycle of one loop: starting (thread created, waits for "ready") ->
 * running -> quitting (a quit idle queued behind pending work) -> joined.
 *
 * Locks: loops->lock protects every loop's load and the ready flag; it is a
 * leaf lock (nothing is called while it is held).
 */
#define G_LOG_DOMAIN "imsd.media-loop"

#include "media-loop.h"

#include <pthread.h>
#include <time.h>

#define IMS_MEDIA_LOOPS_MAX 64

struct _ImsMediaLoop {
  ImsMediaLoops *loops; /* owner, never NULL */
  guint index;
  GMainContext *context; /* owned */
  GMainLoop *main_loop;  /* owned */
  GThread *thread;       /* owned, joined at free */
  clockid_t cpu_clock;   /* written by the thread before ready */
  gboolean has_cpu_clock;
  guint load;     /* protected by loops->lock */
  gboolean ready; /* protected by loops->lock */
};

struct _ImsMediaLoops {
  GMutex lock;
  GCond ready_cond;
  guint n_loops;
  ImsMediaLoop *loop; /* array of n_loops */
};

static gpointer
media_loop_thread(gpointer data)
{
  ImsMediaLoop *loop = data;
  ImsMediaLoops *loops = loop->loops;

  g_main_context_push_thread_default(loop->context);
  loop->has_cpu_clock = pthread_getcpuclockid(pthread_self(), &loop->cpu_clock) == 0;
  g_mutex_lock(&loops->lock);
  loop->ready = TRUE;
  g_cond_broadcast(&loops->ready_cond);
  g_mutex_unlock(&loops->lock);

  g_main_loop_run(loop->main_loop);

  g_main_context_pop_thread_default(loop->context);
  return NULL;
}

static gboolean
media_loop_quit(gpointer data)
{
  ImsMediaLoop *loop = data;
  g_main_loop_quit(loop->main_loop);
  return G_SOURCE_REMOVE;
}

/* Quits and joins the loops that have a thread, frees every context. */
static void
media_loops_stop(ImsMediaLoops *loops)
{
  for (guint i = 0; i < loops->n_loops; i++) {
    ImsMediaLoop *loop = &loops->loop[i];
    if (loop->thread != NULL) {
      /* An idle at default priority runs after the work already queued. */
      GSource *source = g_idle_source_new();
      g_source_set_callback(source, media_loop_quit, loop, NULL);
      g_source_attach(source, loop->context);
      g_source_unref(source);
    }
  }
  for (guint i = 0; i < loops->n_loops; i++) {
    ImsMediaLoop *loop = &loops->loop[i];
    if (loop->thread != NULL)
      g_thread_join(loop->thread);
    loop->thread = NULL;
    if (loop->load > 0)
      g_warning("media loop %u freed with %u peers still on it", i, loop->load);
    g_clear_pointer(&loop->main_loop, g_main_loop_unref);
    g_clear_pointer(&loop->context, g_main_context_unref);
  }
}

ImsMediaLoops *
ims_media_loops_new(guint n_threads, GError **error)
{
  if (n_threads == 0)
    n_threads = g_get_num_processors();
  n_threads = CLAMP(n_threads, 1, IMS_MEDIA_LOOPS_MAX);

  ImsMediaLoops *loops = g_new0(ImsMediaLoops, 1);
  g_mutex_init(&loops->lock);
  g_cond_init(&loops->ready_cond);
  loops->n_loops = n_threads;
  loops->loop = g_new0(ImsMediaLoop, n_threads);

  for (guint i = 0; i < n_threads; i++) {
    ImsMediaLoop *loop = &loops->loop[i];
    loop->loops = loops;
    loop->index = i;
    loop->context = g_main_context_new();
    loop->main_loop = g_main_loop_new(loop->context, FALSE);
  }
  for (guint i = 0; i < n_threads; i++) {
    ImsMediaLoop *loop = &loops->loop[i];
    g_autofree char *name = g_strdup_printf("ims-media-%u", i);
    loop->thread = g_thread_try_new(name, media_loop_thread, loop, error);
    if (loop->thread == NULL) {
      g_prefix_error(error, "media loop %u: ", i);
      goto error;
    }
  }
  /* Wait until every thread owns its context, so is_current() and invoke()
   * are exact from the first call. */
  g_mutex_lock(&loops->lock);
  for (guint i = 0; i < n_threads; i++)
    while (!loops->loop[i].ready)
      g_cond_wait(&loops->ready_cond, &loops->lock);
  g_mutex_unlock(&loops->lock);
  return loops;

error:
  ims_media_loops_free(loops);
  return NULL;
}

void
ims_media_loops_free(ImsMediaLoops *loops)
{
  if (loops == NULL)
    return;
  for (guint i = 0; i < loops->n_loops; i++)
    g_return_if_fail(loops->loop[i].thread == NULL || !ims_media_loop_is_current(&loops->loop[i]));
  media_loops_stop(loops);
  g_free(loops->loop);
  g_cond_clear(&loops->ready_cond);
  g_mutex_clear(&loops->lock);
  g_free(loops);
}

guint
ims_media_loops_get_n_loops(ImsMediaLoops *loops)
{
  return loops->n_loops;
}

ImsMediaLoop *
ims_media_loops_get_loop(ImsMediaLoops *loops, guint index)
{
  g_return_val_if_fail(index < loops->n_loops, NULL);
  return &loops->loop[index];
}

ImsMediaLoop *
ims_media_loops_acquire(ImsMediaLoops *loops)
{
  g_mutex_lock(&loops->lock);
  ImsMediaLoop *best = &loops->loop[0];
  for (guint i = 1; i < loops->n_loops; i++)
    if (loops->loop[i].load < best->load)
      best = &loops->loop[i];
  best->load++;
  g_mutex_unlock(&loops->lock);
  return best;
}

void
ims_media_loop_hold(ImsMediaLoop *loop)
{
  g_mutex_lock(&loop->loops->lock);
  loop->load++;
  g_mutex_unlock(&loop->loops->lock);
}

void
ims_media_loop_release(ImsMediaLoop *loop)
{
  g_mutex_lock(&loop->loops->lock);
  g_warn_if_fail(loop->load > 0);
  if (loop->load > 0)
    loop->load--;
  g_mutex_unlock(&loop->loops->lock);
}

guint
ims_media_loop_get_load(ImsMediaLoop *loop)
{
  g_mutex_lock(&loop->loops->lock);
  guint load = loop->load;
  g_mutex_unlock(&loop->loops->lock);
  return load;
}

GMainContext *
ims_media_loop_get_context(ImsMediaLoop *loop)
{
  return loop->context;
}

gboolean
ims_media_loop_is_current(ImsMediaLoop *loop)
{
  return g_main_context_is_owner(loop->context);
}

void
ims_media_loop_invoke(ImsMediaLoop *loop, GSourceFunc func, gpointer data, GDestroyNotify notify)
{
  g_main_context_invoke_full(loop->context, G_PRIORITY_DEFAULT, func, data, notify);
}

double
ims_media_loop_get_cpu_seconds(ImsMediaLoop *loop)
{
  struct timespec ts;
  if (!loop->has_cpu_clock || clock_gettime(loop->cpu_clock, &ts) != 0)
    return -1.0;
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}
