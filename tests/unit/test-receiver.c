/* test-receiver.c: pipelines/ingest/receiver.c without a peer: what a
 * receiver holds of its media loop.  A receiver acquires one loop load at
 * ims_receiver_new() and gives it back exactly once after
 * ims_receiver_free() (its transport's deferred close releases it), so a
 * loop's load stays the number of live receivers on it.  (It was released
 * twice, by the receiver's teardown and by the transport: the load of a loop
 * fell to 0 with a peer still on it, and "runtime check failed: (loop->load >
 * 0)" was logged at every later free.)  Media itself is tested end to end by
 * the browser suites (tests/browser/ingest.test.mjs and the server's). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "ingest-fixture.h"
#include "media-loop.h"
#include "receiver.h"

typedef struct {
  ImsMediaLoops *loops;
  guint warnings;
} Fixture;

static void
count_warning(const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
  Fixture *f = data;
  f->warnings++;
  print_message("warning (%s): %s\n", domain, message);
}

static int
setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  f->loops = ims_media_loops_new(1, NULL);
  assert_non_null(f->loops);
  g_log_set_handler("imsd.media-loop", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL, count_warning, f);
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *f = *state;
  ims_media_loops_free(f->loops);
  g_free(f);
  return 0;
}

static void
test_free_gives_the_loop_back_once(void **state)
{
  Fixture *f = *state;
  ImsMediaLoop *loop = ims_media_loops_get_loop(f->loops, 0);
  ImsReceiverConfig config = { .loops = f->loops, .target_kbps = 2500 };
  g_autoptr(GError) error = NULL;
  ImsReceiver *first = ims_receiver_new("test-1", &config, &test_noop_ingest_callbacks, NULL, &error);
  assert_non_null(first);
  ImsReceiver *second = ims_receiver_new("test-2", &config, &test_noop_ingest_callbacks, NULL, &error);
  assert_non_null(second);
  assert_int_equal(ims_media_loop_get_load(loop), 2);

  ims_receiver_free(first);
  assert_int_equal(test_wait_for_load(loop, 1, 3000), 1);
  /* the transport's close has run by now (it released the load); nothing
   * else gives one back: the second receiver is still counted */
  g_usleep(300 * 1000);
  assert_int_equal(test_wait_for_load(loop, 0, 300), 1);

  ims_receiver_free(second);
  assert_int_equal(test_wait_for_load(loop, 0, 3000), 0);
  g_usleep(300 * 1000);
  while (g_main_context_iteration(NULL, FALSE))
    ;
  assert_int_equal(f->warnings, 0);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_free_gives_the_loop_back_once, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
