/* Unit tests for server/interview/session.c: media readiness is an event
 * (ims_session_media_flowing), before or after the think time runs out, and
 * media that stops is noticed by one one-shot silence deadline, never a
 * poll.  The fakes: session-fakes.h.
 */
#include "session-fakes.h"

static void
test_think_time_waits_for_media(void **state)
{
  Fixture *f = *state;
  g_autoptr(GError) error = NULL;
  assert_true(ims_session_attach(f->session, (ImsPeer *) &f->peer, &error));
  send_ok(f, IMS_MESSAGE_OFFER);
  assert_true(fire_timer(THINK_SECONDS * 1000));
  assert_int_equal(last_media->starts, 0);
  last_media->last_media = g_get_monotonic_time();
  ims_session_media_flowing(f->session, last_media);
  assert_int_equal(last_media->starts, 1);
  assert_state(&f->peer, "phase", "recording");
}

static void
test_no_media_closes_peer(void **state)
{
  Fixture *f = *state;
  join_with_media(f, &f->peer);
  send_ok(f, IMS_MESSAGE_TAKE_START);
  FakeMedia *media = last_media;
  media->last_media = g_get_monotonic_time() - 11 * G_USEC_PER_SEC;
  assert_true(fire_timer(250));
  assert_true(f->peer.closed);
  assert_int_equal(media->stops, 1);
  finish_take(f, media, 4000);
  assert_int_equal(stored_take(f, 0, 1)->status, IMS_TAKE_INTERRUPTED);
  assert_string_equal(stored_take(f, 0, 1)->stop_reason, "no_media");
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
  const struct CMUnitTest tests[] = {
    T(test_think_time_waits_for_media),
    T(test_no_media_closes_peer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
