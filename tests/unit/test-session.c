/* Unit tests for server/interview/session.c: the interview as the candidate
 * drives it (join, think time, takes, retakes, next, end, resume, replace).
 * The fakes and the fixture: session-fakes.h.  Takes cut or saved the hard
 * way: test-session-takes.c; media readiness and silence:
 * test-session-media.c; the table of phases: test-session-phases.c.
 */
#include "session-fakes.h"

static void
test_first_join_activates_and_thinks(void **state)
{
  Fixture *f = *state;
  g_autoptr(GError) error = NULL;

  assert_true(ims_session_attach(f->session, (ImsPeer *) &f->peer, &error));
  assert_int_equal(written(f)->saved->state, IMS_SESSION_ACTIVE);
  assert_true(written(f)->saved->started_at > 0);
  assert_int_equal(count_events(written(f), "candidate.started"), 1);
  assert_int_equal(count_events(written(f), "interview.started"), 1);
  /* a second join (resume) is not a new start */
  assert_true(ims_session_attach(f->session, (ImsPeer *) &f->other_peer, &error));
  assert_int_equal(count_events(written(f), "candidate.started"), 1);
  ims_session_detach(f->session, (ImsPeer *) &f->other_peer);
  assert_true(ims_session_attach(f->session, (ImsPeer *) &f->peer, &error));
  assert_state(&f->peer, "phase", "thinking");
  assert_state(&f->peer, "questionIndex", "0");
  assert_state(&f->peer, "questionCount", "3");
  assert_state(&f->peer, "retakesLeft", "1");
  assert_state(&f->peer, "mediaReady", "false");
  assert_non_null(active_timer(THINK_SECONDS * 1000));
  g_autofree char *remaining = last_state_member(&f->peer, "remainingMs");
  assert_true(atoi(remaining) > (THINK_SECONDS - 1) * 1000 &&
              atoi(remaining) <= THINK_SECONDS * 1000);
}

static void
test_take_start_needs_media(void **state)
{
  Fixture *f = *state;
  g_autoptr(GError) error = NULL;
  assert_true(ims_session_attach(f->session, (ImsPeer *) &f->peer, &error));
  expect_refused(f, IMS_MESSAGE_TAKE_START, IMS_SIGNAL_ERROR_MEDIA_NOT_READY);
  assert_int_equal(written(f)->takes->len, 0);
}

static void
test_take_is_recorded_and_stored(void **state)
{
  Fixture *f = *state;
  join_with_media(f, &f->peer);
  FakeMedia *media = last_media;

  send_ok(f, IMS_MESSAGE_TAKE_START);
  assert_state(&f->peer, "phase", "recording");
  assert_int_equal(media->starts, 1);
  assert_null(active_timer(THINK_SECONDS * 1000));
  assert_non_null(active_timer(LIMIT_SECONDS * 1000));
  /* the file lives in the spool, under the session id, named by the server */
  g_autofree char *dir = g_build_filename(f->spool, ims_session_get_id(f->session), NULL);
  assert_true(g_str_has_prefix(media->take_path, dir));
  assert_true(g_file_test(dir, G_FILE_TEST_IS_DIR));
  const ImsTake *take = stored_take(f, 0, 1);
  assert_non_null(take);
  assert_int_equal(take->status, IMS_TAKE_RECORDING);
  assert_null(take->completeness); /* unknown until the media reports it */

  send_ok(f, IMS_MESSAGE_TAKE_STOP);
  assert_int_equal(media->stops, 1);
  assert_state(&f->peer, "phase", "saving");
  finish_take(f, media, 5000);
  assert_state(&f->peer, "phase", "review");
  take = stored_take(f, 0, 1);
  assert_int_equal(take->status, IMS_TAKE_COMPLETED);
  assert_int_equal(take->duration_ms, 5000);
  assert_string_equal(take->stop_reason, "candidate");
  assert_string_equal(take->video_codec, "H264");
  assert_int_equal(take->height, 720);
  assert_string_equal(take->completeness, COMPLETENESS); /* stored with the take */
}

static void
test_think_time_starts_the_take(void **state)
{
  Fixture *f = *state;
  join_with_media(f, &f->peer);
  assert_true(fire_timer(THINK_SECONDS * 1000));
  assert_state(&f->peer, "phase", "recording");
  assert_int_equal(last_media->starts, 1);
}

static void
test_time_limit_stops_the_take(void **state)
{
  Fixture *f = *state;
  join_with_media(f, &f->peer);
  send_ok(f, IMS_MESSAGE_TAKE_START);
  assert_true(fire_timer(LIMIT_SECONDS * 1000));
  assert_int_equal(last_media->stops, 1);
  finish_take(f, last_media, LIMIT_SECONDS * 1000);
  assert_string_equal(stored_take(f, 0, 1)->stop_reason, "time_limit");
  assert_int_equal(stored_take(f, 0, 1)->status, IMS_TAKE_COMPLETED);
  assert_state(&f->peer, "phase", "review");
}

static void
test_retakes_are_limited(void **state)
{
  Fixture *f = *state;
  join_with_media(f, &f->peer);

  send_ok(f, IMS_MESSAGE_TAKE_START);
  send_ok(f, IMS_MESSAGE_TAKE_STOP);
  finish_take(f, last_media, 3000);
  assert_state(&f->peer, "retakesLeft", "1");

  send_ok(f, IMS_MESSAGE_RETAKE);
  assert_state(&f->peer, "phase", "thinking");
  assert_non_null(active_timer(THINK_SECONDS * 1000));
  send_ok(f, IMS_MESSAGE_TAKE_START);
  send_ok(f, IMS_MESSAGE_TAKE_STOP);
  finish_take(f, last_media, 4000);
  assert_non_null(stored_take(f, 0, 2));
  assert_state(&f->peer, "retakesLeft", "0");

  expect_refused(f, IMS_MESSAGE_RETAKE, IMS_SIGNAL_ERROR_NO_RETAKES_LEFT);
  expect_refused(f, IMS_MESSAGE_TAKE_START, IMS_SIGNAL_ERROR_NO_RETAKES_LEFT);
  assert_null(stored_take(f, 0, 3));
}

static void
test_wrong_phase_is_refused(void **state)
{
  Fixture *f = *state;
  join_with_media(f, &f->peer);
  expect_refused(f, IMS_MESSAGE_TAKE_STOP, IMS_SIGNAL_ERROR_BAD_STATE);
  expect_refused(f, IMS_MESSAGE_NEXT, IMS_SIGNAL_ERROR_BAD_STATE);
  expect_refused(f, IMS_MESSAGE_RETAKE, IMS_SIGNAL_ERROR_BAD_STATE);
  send_ok(f, IMS_MESSAGE_TAKE_START);
  expect_refused(f, IMS_MESSAGE_TAKE_START, IMS_SIGNAL_ERROR_BAD_STATE);
  expect_refused(f, IMS_MESSAGE_OFFER, IMS_SIGNAL_ERROR_BAD_STATE);
  assert_int_equal(last_media->starts, 1);
}

static void
test_next_through_all_questions_completes(void **state)
{
  Fixture *f = *state;
  join_with_media(f, &f->peer);
  for (int q = 0; q < 3; q++) {
    g_autofree char *index = g_strdup_printf("%d", q);
    assert_state(&f->peer, "questionIndex", index);
    send_ok(f, IMS_MESSAGE_TAKE_START);
    send_ok(f, IMS_MESSAGE_TAKE_STOP);
    finish_take(f, last_media, 2000);
    send_ok(f, IMS_MESSAGE_NEXT);
  }
  assert_state(&f->peer, "phase", "completed");
  assert_state(&f->peer, "status", "completed");
  assert_int_equal(written(f)->saved->state, IMS_SESSION_COMPLETED);
  assert_int_equal(count_events(written(f), "candidate.response_submitted"), 3);
  assert_int_equal(count_events(written(f), "candidate.completed"), 1);
  assert_int_equal(count_events(written(f), "interview.completed"), 1);
  /* completed comes after every response */
  assert_string_equal(g_ptr_array_index(written(f)->events, f->store.events->len - 2),
                      "candidate.completed");
  assert_true(written(f)->saved->completed_at > 0);
  expect_refused(f, IMS_MESSAGE_TAKE_START, IMS_SIGNAL_ERROR_SESSION_COMPLETED);
}

static void
test_disconnect_interrupts_and_resumes(void **state)
{
  Fixture *f = *state;
  join_with_media(f, &f->peer);
  send_ok(f, IMS_MESSAGE_TAKE_START);
  send_ok(f, IMS_MESSAGE_TAKE_STOP);
  finish_take(f, last_media, 2000);
  send_ok(f, IMS_MESSAGE_NEXT); /* on question 2 now */
  send_ok(f, IMS_MESSAGE_TAKE_START);
  FakeMedia *media = last_media;

  ims_session_detach(f->session, (ImsPeer *) &f->peer);
  assert_int_equal(media->stops, 2); /* 1st take by the candidate, this one by the disconnect */
  assert_true(ims_session_is_busy(f->session)); /* until the file is complete */
  assert_null(active_timer(LIMIT_SECONDS * 1000));
  finish_take(f, media, 1500);
  written(f); /* busy until the database has its changes, too */
  run_idles();
  assert_int_equal(media_closed, 1);
  assert_false(ims_session_is_busy(f->session));
  const ImsTake *take = stored_take(f, 1, 1);
  assert_int_equal(take->status, IMS_TAKE_INTERRUPTED);
  assert_string_equal(take->stop_reason, "disconnected");
  /* the interrupted take has media: it is announced too (status interrupted),
   * after the completed answer of question 1 */
  assert_int_equal(count_events(written(f), "candidate.response_submitted"), 2);

  /* a new connection resumes on question 2, the interrupted take costs no retake */
  join_with_media(f, &f->other_peer);
  assert_state(&f->other_peer, "questionIndex", "1");
  assert_state(&f->other_peer, "phase", "thinking");
  assert_state(&f->other_peer, "retakesLeft", "1");
  g_autoptr(GError) error = NULL;
  ImsMessage start = { .type = IMS_MESSAGE_TAKE_START };
  assert_true(ims_session_handle_message(f->session, (ImsPeer *) &f->other_peer, &start, &error));
  assert_non_null(stored_take(f, 1, 2));
  /* the finished first answer is kept */
  assert_int_equal(stored_take(f, 0, 1)->status, IMS_TAKE_COMPLETED);
}

static void
test_resume_from_stored_record(void **state)
{
  Fixture *f = *state;
  g_autoptr(GError) error = NULL;
  ImsSessionRecord *record = make_record(1);
  record->state = IMS_SESSION_ACTIVE;
  record->current_question = 2;
  ImsTake *take = ims_take_new();
  take->id = g_strdup("t1");
  take->question_index = 2;
  take->number = 1;
  take->status = IMS_TAKE_COMPLETED;
  g_ptr_array_add(record->takes, take);
  g_clear_pointer(&f->session, ims_session_unref);
  f->session = ims_session_new(record, &f->context);

  assert_true(ims_session_attach(f->session, (ImsPeer *) &f->peer, &error));
  assert_state(&f->peer, "questionIndex", "2");
  assert_state(&f->peer, "phase", "review");
  assert_int_equal(written(f)->save_calls, 0); /* already active: nothing to store */
}

static void
test_second_connection_replaces_first(void **state)
{
  Fixture *f = *state;
  g_autoptr(GError) error = NULL;
  join_with_media(f, &f->peer);
  send_ok(f, IMS_MESSAGE_TAKE_START);
  FakeMedia *media = last_media;

  assert_true(ims_session_attach(f->session, (ImsPeer *) &f->other_peer, &error));
  assert_true(f->peer.closed);
  /* the old connection was told why, before the close */
  g_autofree char *code = NULL;
  for (guint i = 0; i < f->peer.frames->len && !code; i++)
    if (strstr(g_ptr_array_index(f->peer.frames, i), "\"replaced\""))
      code = g_strdup("replaced");
  assert_non_null(code);
  assert_int_equal(media->stops, 1);
  assert_state(&f->other_peer, "phase", "thinking");
  finish_take(f, media, 1000);
  assert_int_equal(stored_take(f, 0, 1)->status, IMS_TAKE_INTERRUPTED);
}

static void
test_end_during_take_completes_after_save(void **state)
{
  Fixture *f = *state;
  join_with_media(f, &f->peer);
  send_ok(f, IMS_MESSAGE_TAKE_START);
  send_ok(f, IMS_MESSAGE_END);
  assert_int_equal(written(f)->saved->state, IMS_SESSION_ACTIVE);
  finish_take(f, last_media, 800);
  assert_int_equal(written(f)->saved->state, IMS_SESSION_COMPLETED);
  assert_int_equal(stored_take(f, 0, 1)->status, IMS_TAKE_COMPLETED);
  assert_state(&f->peer, "phase", "completed");
}

static void
test_completed_session_refuses_join(void **state)
{
  Fixture *f = *state;
  g_autoptr(GError) error = NULL;
  ImsSessionRecord *record = make_record(0);
  record->state = IMS_SESSION_COMPLETED;
  g_clear_pointer(&f->session, ims_session_unref);
  f->session = ims_session_new(record, &f->context);
  assert_false(ims_session_attach(f->session, (ImsPeer *) &f->peer, &error));
  assert_int_equal(error->code, IMS_SIGNAL_ERROR_SESSION_COMPLETED);
}

static void
test_bad_offer_is_refused(void **state)
{
  Fixture *f = *state;
  g_autoptr(GError) error = NULL;
  assert_true(ims_session_attach(f->session, (ImsPeer *) &f->peer, &error));
  assert_false(send_message(f, IMS_MESSAGE_OFFER, "garbage", &error));
  assert_int_equal(error->code, IMS_SIGNAL_ERROR_BAD_SDP);
  assert_int_equal(media_closed, 1);
  g_clear_error(&error);
  ImsMessage ice = { .type = IMS_MESSAGE_ICE, .candidate = (char *) "candidate:1" };
  assert_false(ims_session_handle_message(f->session, (ImsPeer *) &f->peer, &ice, &error));
  assert_int_equal(error->code, IMS_SIGNAL_ERROR_BAD_STATE);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
  const struct CMUnitTest tests[] = {
    T(test_first_join_activates_and_thinks),
    T(test_take_start_needs_media),
    T(test_take_is_recorded_and_stored),
    T(test_think_time_starts_the_take),
    T(test_time_limit_stops_the_take),
    T(test_retakes_are_limited),
    T(test_wrong_phase_is_refused),
    T(test_next_through_all_questions_completes),
    T(test_disconnect_interrupts_and_resumes),
    T(test_resume_from_stored_record),
    T(test_second_connection_replaces_first),
    T(test_end_during_take_completes_after_save),
    T(test_completed_session_refuses_join),
    T(test_bad_offer_is_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
