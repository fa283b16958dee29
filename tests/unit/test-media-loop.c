/* test-media-loop.c: pipelines/ingest/media-loop.c: a fixed number of
 * threads, least-loaded assignment, invoke on the loop thread in order,
 * direct invoke from the loop itself, and a shutdown that runs queued work
 * and joins every thread. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>

#include "media-loop.h"

static int
count_threads(void)
{
  DIR *dir = opendir("/proc/self/task");
  if (dir == NULL)
    return -1;
  int n = 0;
  struct dirent *entry;
  while ((entry = readdir(dir)) != NULL)
    if (entry->d_name[0] != '.')
      n++;
  closedir(dir);
  return n;
}

static void
test_media_loop_threads_are_fixed(void **state)
{
  int before = count_threads();
  g_autoptr(GError) error = NULL;
  ImsMediaLoops *loops = ims_media_loops_new(3, &error);
  assert_non_null(loops);
  assert_int_equal(ims_media_loops_get_n_loops(loops), 3);
  assert_int_equal(count_threads(), before + 3);
  /* 20 peers: still 3 threads. */
  for (int i = 0; i < 20; i++)
    ims_media_loops_acquire(loops);
  assert_int_equal(count_threads(), before + 3);
  for (guint i = 0; i < 3; i++) {
    ImsMediaLoop *loop = ims_media_loops_get_loop(loops, i);
    while (ims_media_loop_get_load(loop) > 0)
      ims_media_loop_release(loop);
  }
  ims_media_loops_free(loops);
  assert_int_equal(count_threads(), before);
}

static void
test_media_loop_least_loaded(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsMediaLoops) loops = ims_media_loops_new(3, &error);
  ImsMediaLoop *a = ims_media_loops_acquire(loops);
  ImsMediaLoop *b = ims_media_loops_acquire(loops);
  ImsMediaLoop *c = ims_media_loops_acquire(loops);
  assert_ptr_equal(a, ims_media_loops_get_loop(loops, 0));
  assert_ptr_equal(b, ims_media_loops_get_loop(loops, 1));
  assert_ptr_equal(c, ims_media_loops_get_loop(loops, 2));
  ImsMediaLoop *d = ims_media_loops_acquire(loops); /* all at 1: the first */
  assert_ptr_equal(d, a);
  ims_media_loop_release(b);
  assert_int_equal(ims_media_loop_get_load(b), 0);
  assert_ptr_equal(ims_media_loops_acquire(loops), b); /* the emptiest */
  assert_int_equal(ims_media_loop_get_load(a), 2);
  ims_media_loop_release(a);
  ims_media_loop_release(a);
  ims_media_loop_release(b);
  ims_media_loop_release(c);
}

typedef struct {
  ImsMediaLoop *loop;
  GMutex lock;
  GArray *order;         /* int, under lock */
  gboolean wrong_thread; /* under lock */
  int notified;          /* atomic */
  GThread *test_thread;
} InvokeState;

typedef struct {
  InvokeState *state;
  int value;
} InvokeItem;

static gboolean
record_item(gpointer data)
{
  InvokeItem *item = data;
  InvokeState *s = item->state;
  g_mutex_lock(&s->lock);
  if (!ims_media_loop_is_current(s->loop) || g_thread_self() == s->test_thread)
    s->wrong_thread = TRUE;
  g_array_append_val(s->order, item->value);
  g_mutex_unlock(&s->lock);
  return G_SOURCE_REMOVE;
}

static void
free_item(gpointer data)
{
  InvokeItem *item = data;
  g_atomic_int_inc(&item->state->notified);
  g_free(item);
}

static void
invoke_value(InvokeState *s, int value)
{
  InvokeItem *item = g_new0(InvokeItem, 1);
  item->state = s;
  item->value = value;
  ims_media_loop_invoke(s->loop, record_item, item, free_item);
}

/* From the loop thread: runs at once, before this function returns. */
static gboolean
nested_invoke(gpointer data)
{
  InvokeState *s = data;
  g_mutex_lock(&s->lock);
  guint before = s->order->len;
  g_mutex_unlock(&s->lock);
  invoke_value(s, -1);
  g_mutex_lock(&s->lock);
  if (s->order->len != before + 1)
    s->wrong_thread = TRUE;
  g_mutex_unlock(&s->lock);
  return G_SOURCE_REMOVE;
}

static void
test_media_loop_invoke_in_order_on_loop(void **state)
{
  g_autoptr(GError) error = NULL;
  ImsMediaLoops *loops = ims_media_loops_new(2, &error);
  InvokeState s = { 0 };
  g_mutex_init(&s.lock);
  s.order = g_array_new(FALSE, FALSE, sizeof(int));
  s.test_thread = g_thread_self();
  s.loop = ims_media_loops_get_loop(loops, 1);
  assert_false(ims_media_loop_is_current(s.loop));
  for (int i = 0; i < 200; i++)
    invoke_value(&s, i);
  ims_media_loop_invoke(s.loop, nested_invoke, &s, NULL);
  /* Freeing the set runs what is queued first, then joins. */
  ims_media_loops_free(loops);
  assert_int_equal(s.order->len, 201);
  for (int i = 0; i < 200; i++)
    assert_int_equal(g_array_index(s.order, int, i), i);
  assert_int_equal(g_array_index(s.order, int, 200), -1);
  assert_false(s.wrong_thread);
  assert_int_equal(g_atomic_int_get(&s.notified), 201);
  g_array_unref(s.order);
  g_mutex_clear(&s.lock);
}

static void
test_media_loop_cpu_time(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsMediaLoops) loops = ims_media_loops_new(1, &error);
  double cpu = ims_media_loop_get_cpu_seconds(ims_media_loops_get_loop(loops, 0));
  assert_true(cpu >= 0.0 && cpu < 1.0);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_media_loop_threads_are_fixed),
    cmocka_unit_test(test_media_loop_least_loaded),
    cmocka_unit_test(test_media_loop_invoke_in_order_on_loop),
    cmocka_unit_test(test_media_loop_cpu_time),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
