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
  assert_true(fire_timer(NO_MEDIA_SECONDS * 1000));
  assert_true(f->peer.closed);
  assert_int_equal(media->stops, 1);
  finish_take(f, media, 4000);
  assert_int_equal(stored_take(f, 0, 1)->status, IMS_TAKE_INTERRUPTED);
  assert_string_equal(stored_take(f, 0, 1)->stop_reason, "no_media");
}

/* Media flows before the think time is over: the candidate sees it at once, the countdown goes on,
 * and the take starts when the think time runs out. */
static void
test_media_ready_before_the_take_starts(void **state)
{
  Fixture *f = *state;
  join_with_offer(f, &f->peer);
  assert_state(&f->peer, "mediaReady", "false");
  last_media->last_media = g_get_monotonic_time();
  ims_session_media_flowing(f->session, last_media);
  assert_state(&f->peer, "mediaReady", "true");
  assert_state(&f->peer, "phase", "thinking");
  assert_int_equal(last_media->starts, 0);
  g_autofree char *remaining = last_state_member(&f->peer, "remainingMs");
  assert_string_not_equal(remaining, "null"); /* the think countdown goes on */
  assert_true(fire_timer(THINK_SECONDS * 1000));
  assert_int_equal(last_media->starts, 1);
  assert_state(&f->peer, "phase", "recording");
}

/* The think time runs out before media flows: the candidate still sees thinking (no countdown), a
 * take.start is refused as media_not_ready, and the take starts on the media's report, once. */
static void
test_media_ready_after_the_think_time(void **state)
{
  Fixture *f = *state;
  join_with_offer(f, &f->peer);
  FakeMedia *media = last_media;
  assert_true(fire_timer(THINK_SECONDS * 1000));
  g_autofree char *json = ims_session_state_json(f->session);
  g_autoptr(JsonParser) parser = json_parser_new();
  JsonObject *view = parse_frame(json, parser);
  assert_string_equal(json_object_get_string_member(view, "phase"), "thinking");
  assert_true(json_object_get_null_member(view, "remainingMs"));
  expect_refused(f, IMS_MESSAGE_TAKE_START, IMS_SIGNAL_ERROR_MEDIA_NOT_READY);
  assert_int_equal(media->starts, 0);
  assert_int_equal(written(f)->takes->len, 0);

  media->last_media = g_get_monotonic_time();
  ims_session_media_flowing(f->session, media);
  assert_int_equal(media->starts, 1);
  assert_state(&f->peer, "phase", "recording");
  assert_non_null(active_timer(LIMIT_SECONDS * 1000));
  ims_session_media_flowing(f->session, media); /* reported again: nothing more starts */
  assert_int_equal(media->starts, 1);
  assert_int_equal(written(f)->takes->len, 1);
}

/* A report from media the session has let go (a new offer replaced it) changes nothing. */
static void
test_flowing_of_replaced_media_is_ignored(void **state)
{
  Fixture *f = *state;
  join_with_offer(f, &f->peer);
  FakeMedia *first = last_media;
  send_ok(f, IMS_MESSAGE_OFFER); /* renegotiated: first is closed at the next idle */
  assert_ptr_not_equal(last_media, first);
  guint timers_before = count_active_timers();
  ims_session_media_flowing(f->session, first);
  assert_state(&f->peer, "mediaReady", "false");
  assert_int_equal(count_active_timers(), timers_before); /* no silence deadline for it */
  ims_session_media_flowing(f->session, last_media);
  assert_state(&f->peer, "mediaReady", "true");
}

/* Nothing polls the media: waiting for it arms no timer; flowing arms one one-shot silence deadline
 * of no_media_timeout_seconds, and letting the media go removes it. */
static void
test_media_is_not_polled(void **state)
{
  Fixture *f = *state;
  join_with_offer(f, &f->peer);
  assert_int_equal(count_active_timers(), 1); /* the think countdown only */
  assert_non_null(active_timer(THINK_SECONDS * 1000));
  assert_true(fire_timer(THINK_SECONDS * 1000));
  assert_int_equal(count_active_timers(), 0); /* waiting for media: no timer at all */

  last_media->last_media = g_get_monotonic_time();
  ims_session_media_flowing(f->session, last_media); /* the take starts */
  assert_int_equal(count_active_timers(), 2);        /* answer countdown + silence deadline */
  FakeTimer *silence = active_timer(NO_MEDIA_SECONDS * 1000);
  assert_non_null(silence);
  ims_session_detach(f->session, (ImsPeer *) &f->peer);
  assert_int_equal(count_active_timers(), 0);
  assert_null(active_timer(NO_MEDIA_SECONDS * 1000));
}

/* The silence deadline reads the last packet's time once when it fires: media that arrived since
 * moves it (armed again for the rest of the timeout); media silent for the whole timeout ends the
 * connection, the open take interrupted with "no_media". */
static void
test_silence_deadline_moves_with_the_media(void **state)
{
  Fixture *f = *state;
  join_with_media(f, &f->peer);
  send_ok(f, IMS_MESSAGE_TAKE_START);
  FakeMedia *media = last_media;
  FakeTimer *silence = active_timer(NO_MEDIA_SECONDS * 1000);
  assert_non_null(silence);
  guint first_id = silence->id;

  media->last_media = g_get_monotonic_time() - 2 * G_USEC_PER_SEC; /* a packet 2 s ago */
  fire(silence);
  assert_false(f->peer.closed);
  FakeTimer *moved = newest_timer();
  assert_non_null(moved);
  assert_int_not_equal(moved->id, first_id);
  assert_true(moved->interval > (NO_MEDIA_SECONDS - 3) * 1000 &&
              moved->interval <= (NO_MEDIA_SECONDS - 2) * 1000);
  assert_int_equal(count_active_timers(), 2); /* still one deadline, beside the answer countdown */

  media->last_media = g_get_monotonic_time() - (NO_MEDIA_SECONDS + 1) * G_USEC_PER_SEC;
  fire(moved);
  assert_true(f->peer.closed);
  assert_string_equal(f->peer.close_reason, "no media");
  assert_true(sent_error(&f->peer, "media_failed"));
  assert_int_equal(media->stops, 1);
  finish_take(f, media, 3000);
  assert_string_equal(stored_take(f, 0, 1)->stop_reason, "no_media");
}

/* Failed media takes its silence deadline with it. */
static void
test_media_failure_removes_the_silence_deadline(void **state)
{
  Fixture *f = *state;
  join_with_media(f, &f->peer);
  assert_non_null(active_timer(NO_MEDIA_SECONDS * 1000));
  ims_session_media_failed(f->session, last_media, "ICE failed");
  assert_null(active_timer(NO_MEDIA_SECONDS * 1000));
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
  const struct CMUnitTest tests[] = {
    T(test_think_time_waits_for_media),
    T(test_no_media_closes_peer),
    T(test_media_ready_before_the_take_starts),
    T(test_media_ready_after_the_think_time),
    T(test_flowing_of_replaced_media_is_ignored),
    T(test_media_is_not_polled),
    T(test_silence_deadline_moves_with_the_media),
    T(test_media_failure_removes_the_silence_deadline),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
