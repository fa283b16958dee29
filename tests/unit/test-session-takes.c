/* Unit tests for server/interview/session.c: how takes end when things go
 * wrong: a database that refuses or is away, failed media, shutdown, a
 * candidate who leaves after asking to end, a take the media ends by itself.
 * Every take ends through one path (finalize_take).  The fakes:
 * session-fakes.h.
 */
#include "session-fakes.h"

#include "metrics.h"
#include "session-private.h" /* IMS_SESSION_PHASE_*: the label values of imsd_sessions */

static void
test_refused_change_is_reported(void **state)
{
  Fixture *f = *state;
  g_autoptr(GError) error = NULL;
  f->store.fail_next = TRUE;
  assert_true(ims_session_attach(f->session, (ImsPeer *) &f->peer, &error));
  written(f);
  run_idles();
  assert_true(sent_error(&f->peer, "internal"));
  assert_int_equal(count_events(written(f), "candidate.started"), 0);
}

static void
test_unreachable_database_keeps_changes_until_written(void **state)
{
  Fixture *f = *state;
  join_with_media(f, &f->peer);
  written(f);
  assert_state(&f->peer, "saved", "true");

  g_atomic_int_set(&f->store.unreachable, TRUE);
  int before = g_atomic_int_get(&f->store.attempts);
  send_ok(f, IMS_MESSAGE_TAKE_START);
  FakeMedia *media = last_media;
  send_ok(f, IMS_MESSAGE_TAKE_STOP);
  finish_take(f, media, 4000);
  wait_for_attempts(f, before + 1);
  run_idles();
  /* the candidate is told it is not saved yet, and processing waits */
  assert_state(&f->peer, "phase", "review");
  assert_state(&f->peer, "saved", "false");
  assert_int_equal(f->takes_saved, 0);
  assert_true(ims_session_is_busy(f->session));
  assert_false(ims_session_is_saved(f->session));

  g_atomic_int_set(&f->store.unreachable, FALSE);
  const ImsTake *take = stored_take(f, 0, 1); /* flushes: both changes, in order */
  assert_non_null(take);
  assert_int_equal(take->status, IMS_TAKE_COMPLETED);
  assert_int_equal(take->duration_ms, 4000);
  assert_int_equal(count_events(written(f), "candidate.response_submitted"), 1);
  assert_int_equal(f->takes_saved, 1);
  assert_state(&f->peer, "saved", "true");
  assert_true(ims_session_is_saved(f->session));
}

static void
test_end_while_unreachable_completes_once_written(void **state)
{
  Fixture *f = *state;
  join_with_media(f, &f->peer);
  written(f);
  g_atomic_int_set(&f->store.unreachable, TRUE);
  int before = g_atomic_int_get(&f->store.attempts);
  send_ok(f, IMS_MESSAGE_END);
  wait_for_attempts(f, before + 1);
  run_idles();
  assert_state(&f->peer, "phase", "completed");
  assert_state(&f->peer, "saved", "false");
  assert_int_equal(count_events(&f->store, "candidate.completed"), 0);

  g_atomic_int_set(&f->store.unreachable, FALSE);
  assert_int_equal(written(f)->saved->state, IMS_SESSION_COMPLETED);
  assert_int_equal(count_events(written(f), "candidate.completed"), 1);
  assert_int_equal(count_events(written(f), "interview.completed"), 1);
  assert_state(&f->peer, "saved", "true");
}

/* The candidate asked to end during a take and the media failed before the take was finalized: the
 * take is saved as interrupted through the same path as a stopped take, and the interview completes
 * (its events written) as it does when the take finishes. */
static void
test_media_failure_after_end_completes(void **state)
{
  Fixture *f = *state;
  join_with_media(f, &f->peer);
  send_ok(f, IMS_MESSAGE_TAKE_START);
  send_ok(f, IMS_MESSAGE_END);
  ims_session_media_failed(f->session, last_media, "ICE failed");
  run_idles();
  const ImsTake *take = stored_take(f, 0, 1);
  assert_int_equal(take->status, IMS_TAKE_INTERRUPTED);
  assert_string_equal(take->stop_reason, "media_failed");
  assert_int_equal(f->takes_saved, 1);
  assert_int_equal(written(f)->saved->state, IMS_SESSION_COMPLETED);
  assert_int_equal(count_events(written(f), "candidate.completed"), 1);
  assert_int_equal(count_events(written(f), "interview.completed"), 1);
  assert_true(f->peer.closed);
}

/* A take cut by a media failure whose final write is refused is reported to the candidate, as a
 * stopped take's is, and processing does not start. */
static void
test_media_failure_refused_write_is_reported(void **state)
{
  Fixture *f = *state;
  join_with_media(f, &f->peer);
  send_ok(f, IMS_MESSAGE_TAKE_START);
  written(f);
  f->store.fail_next = TRUE;
  ims_session_media_failed(f->session, last_media, "ICE failed");
  written(f);
  run_idles();
  assert_true(sent_error(&f->peer, "internal"));
  assert_int_equal(f->takes_saved, 0);
}

static void
test_media_failure_interrupts_take(void **state)
{
  Fixture *f = *state;
  join_with_media(f, &f->peer);
  send_ok(f, IMS_MESSAGE_TAKE_START);
  ims_session_media_failed(f->session, last_media, "ICE failed");
  run_idles();
  assert_int_equal(media_closed, 1);
  assert_int_equal(stored_take(f, 0, 1)->status, IMS_TAKE_INTERRUPTED);
  assert_true(f->peer.closed);
}

static int shutdown_calls;
static void
on_shutdown(gpointer data)
{
  shutdown_calls++;
}

static void
test_shutdown_waits_for_open_take(void **state)
{
  Fixture *f = *state;
  shutdown_calls = 0;
  join_with_media(f, &f->peer);
  send_ok(f, IMS_MESSAGE_TAKE_START);
  FakeMedia *media = last_media;
  ims_session_shutdown(f->session, on_shutdown, NULL);
  assert_int_equal(shutdown_calls, 0);
  assert_int_equal(media->stops, 1);
  finish_take(f, media, 900);
  assert_int_equal(shutdown_calls, 1);
  assert_string_equal(stored_take(f, 0, 1)->stop_reason, "shutdown");
  assert_int_equal(stored_take(f, 0, 1)->status, IMS_TAKE_INTERRUPTED);
}

/* The candidate asked to end during a take and left before it was saved: the interview is not
 * completed then (it was not before either), and the request leaves with the candidate: on their
 * return a later take does not complete the interview by itself. */
static void
test_end_before_leaving_does_not_complete_a_later_take(void **state)
{
  Fixture *f = *state;
  g_autoptr(GError) error = NULL;
  join_with_media(f, &f->peer);
  send_ok(f, IMS_MESSAGE_TAKE_START);
  FakeMedia *media = last_media;
  send_ok(f, IMS_MESSAGE_END);
  ims_session_detach(f->session, (ImsPeer *) &f->peer);
  finish_take(f, media, 1000);
  assert_int_equal(written(f)->saved->state, IMS_SESSION_ACTIVE);

  join_with_media(f, &f->other_peer);
  assert_state(&f->other_peer, "phase", "review");
  ImsMessage message = { .type = IMS_MESSAGE_NEXT };
  assert_true(ims_session_handle_message(f->session, (ImsPeer *) &f->other_peer, &message, &error));
  message.type = IMS_MESSAGE_TAKE_START;
  assert_true(ims_session_handle_message(f->session, (ImsPeer *) &f->other_peer, &message, &error));
  message.type = IMS_MESSAGE_TAKE_STOP;
  assert_true(ims_session_handle_message(f->session, (ImsPeer *) &f->other_peer, &message, &error));
  finish_take(f, last_media, 2000);
  assert_state(&f->other_peer, "phase", "review");
  assert_int_equal(written(f)->saved->state, IMS_SESSION_ACTIVE);
  assert_int_equal(count_events(written(f), "candidate.completed"), 0);
}

/* The media ended a take nobody stopped (its file could not be opened: nothing written): the take
 * is saved failed, the media is told the take is over, and the candidate is back in thinking with
 * no answer countdown, free to start again. */
static void
test_take_ended_by_the_media_goes_back_to_thinking(void **state)
{
  Fixture *f = *state;
  join_with_media(f, &f->peer);
  send_ok(f, IMS_MESSAGE_TAKE_START);
  FakeMedia *media = last_media;
  g_autofree char *path = g_steal_pointer(&media->take_path);
  ims_session_media_take_finished(f->session, media, path, 0, 0, NULL, NULL, 0, 0, FALSE, NULL);
  assert_int_equal(stored_take(f, 0, 1)->status, IMS_TAKE_FAILED);
  assert_state(&f->peer, "phase", "thinking");
  assert_int_equal(media->stops, 1);
  assert_null(active_timer(LIMIT_SECONDS * 1000));
  send_ok(f, IMS_MESSAGE_TAKE_START);
  assert_int_equal(media->starts, 2);
  assert_state(&f->peer, "phase", "recording");
}

/* End sent twice while a stopped take is being saved (a double click): the first one waits for the
 * take, the second changes nothing, and the interview completes once, after the take. */
static void
test_end_twice_completes_once(void **state)
{
  Fixture *f = *state;
  join_with_media(f, &f->peer);
  FakeMedia *media = last_media;
  send_ok(f, IMS_MESSAGE_TAKE_START);
  send_ok(f, IMS_MESSAGE_TAKE_STOP);
  for (int i = 0; i < 2; i++) {
    send_ok(f, IMS_MESSAGE_END);
    assert_state(&f->peer, "phase", "saving");
    assert_int_equal(written(f)->saved->state, IMS_SESSION_ACTIVE);
  }
  assert_int_equal(media->stops, 1);
  finish_take(f, media, 800);
  assert_state(&f->peer, "phase", "completed");
  assert_string_equal(stored_take(f, 0, 1)->stop_reason, "candidate");
  assert_int_equal(count_events(written(f), "interview.completed"), 1);
}

/* GET /metrics: the candidate is counted while attached, its join once its media flows, the
 * session by its phase, a take when it starts and by its status where it ends (finalize_take). */
static void
test_metrics_follow_the_candidate_the_phase_and_the_takes(void **state)
{
  Fixture *f = *state;
  /* the gauge's label values are the phases, in their order */
  for (guint phase = 0; phase < IMS_SESSION_PHASE_COUNT; phase++) {
    g_autofree char *name = g_strdup(ims_session_phase_name(phase));
    g_strdelimit(name, " ", '_');
    assert_string_equal(ims_metric_sessions.values[phase], name);
  }
  assert_null(ims_metric_sessions.values[IMS_SESSION_PHASE_COUNT]);
  double connected = ims_metric_get(&ims_metric_candidates_connected, 0);
  guint64 joins = ims_metric_get_count(&ims_metric_join_seconds, 0);
  double recording = ims_metric_get(&ims_metric_sessions, IMS_SESSION_PHASE_RECORDING);
  double started = ims_metric_get(&ims_metric_takes_started, 0);
  double failed = ims_metric_get(&ims_metric_takes_failed, 0);
  double interrupted = ims_metric_get(&ims_metric_takes_interrupted, 0);
  double completed = ims_metric_get(&ims_metric_takes_completed, 0);

  join_with_media(f, &f->peer);
  assert_true(ims_metric_get(&ims_metric_candidates_connected, 0) == connected + 1);
  assert_int_equal(ims_metric_get_count(&ims_metric_join_seconds, 0), joins + 1);
  send_ok(f, IMS_MESSAGE_TAKE_START);
  assert_true(ims_metric_get(&ims_metric_takes_started, 0) == started + 1);
  assert_true(ims_metric_get(&ims_metric_sessions, IMS_SESSION_PHASE_RECORDING) == recording + 1);

  /* the media ends the take with nothing written: failed, back to thinking */
  FakeMedia *media = last_media;
  g_autofree char *path = g_steal_pointer(&media->take_path);
  ims_session_media_take_finished(f->session, media, path, 0, 0, NULL, NULL, 0, 0, FALSE, NULL);
  assert_true(ims_metric_get(&ims_metric_takes_failed, 0) == failed + 1);
  assert_true(ims_metric_get(&ims_metric_sessions, IMS_SESSION_PHASE_RECORDING) == recording);

  /* the next take is cut by a media failure: interrupted */
  send_ok(f, IMS_MESSAGE_TAKE_START);
  ims_session_media_failed(f->session, last_media, "ICE failed");
  run_idles();
  assert_true(ims_metric_get(&ims_metric_takes_started, 0) == started + 2);
  assert_true(ims_metric_get(&ims_metric_takes_interrupted, 0) == interrupted + 1);
  assert_true(ims_metric_get(&ims_metric_takes_completed, 0) == completed);
  assert_true(ims_metric_get(&ims_metric_takes_failed, 0) == failed + 1);
  ims_session_detach(f->session, (ImsPeer *) &f->peer);
  assert_true(ims_metric_get(&ims_metric_candidates_connected, 0) == connected);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
  const struct CMUnitTest tests[] = {
    T(test_refused_change_is_reported),
    T(test_unreachable_database_keeps_changes_until_written),
    T(test_end_while_unreachable_completes_once_written),
    T(test_media_failure_after_end_completes),
    T(test_media_failure_refused_write_is_reported),
    T(test_media_failure_interrupts_take),
    T(test_shutdown_waits_for_open_take),
    T(test_end_before_leaving_does_not_complete_a_later_take),
    T(test_take_ended_by_the_media_goes_back_to_thinking),
    T(test_end_twice_completes_once),
    T(test_metrics_follow_the_candidate_the_phase_and_the_takes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
