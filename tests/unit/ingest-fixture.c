/* ingest-fixture.c: see ingest-fixture.h. */
#include "ingest-fixture.h"

static void
on_answer(const char *sdp, gpointer data)
{
}

static void
on_ice_candidate(guint mline_index, const char *candidate, gpointer data)
{
}

static void
on_take_finished(const ImsTakeResult *result, gpointer data)
{
}

static void
on_failed(const GError *error, gpointer data)
{
}

const ImsIngestCallbacks test_noop_ingest_callbacks = {
  .on_answer = on_answer,
  .on_ice_candidate = on_ice_candidate,
  .on_take_finished = on_take_finished,
  .on_failed = on_failed,
};

guint
test_wait_for_load(ImsMediaLoop *loop, guint want, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
  while (ims_media_loop_get_load(loop) != want && g_get_monotonic_time() < deadline) {
    while (g_main_context_iteration(NULL, FALSE))
      ;
    g_usleep(10 * 1000);
  }
  return ims_media_loop_get_load(loop);
}
