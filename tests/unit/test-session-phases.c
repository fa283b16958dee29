/* Unit tests for server/interview/session-phase.c: the table of the session's
 * phases and ims_session_fire, the one function that applies it.
 *
 * White-box (session-private.h): each test brings a session into a phase
 * through the public calls (join, offer, take.start, ...), then fires an
 * event directly and reads the phase.  Every row of the table is driven with
 * its guard holding (and the rows before it for the same phase and event not
 * holding); every (phase, event) without a row is refused with a critical
 * and changes nothing.  The fakes: session-fakes.h.
 */
#include "session-fakes.h"

#include "session-private.h"

/* What a phase is reached with: the guards the row needs, or must not have. */
typedef struct {
  gboolean answered; /* the question has a completed take */
  gboolean last_question;
  gboolean no_take_on_media; /* saving without a take on the attached peer's media */
  gboolean no_think_time;
} Situation;

static void
on_shutdown_done(gpointer data)
{
}

/* Records a completed take on the current question (review). */
static void
answer_question(Fixture *f)
{
  send_ok(f, IMS_MESSAGE_TAKE_START);
  send_ok(f, IMS_MESSAGE_TAKE_STOP);
  finish_take(f, last_media, 2000);
  assert_int_equal(f->session->phase, IMS_SESSION_PHASE_REVIEW);
}

/* Brings the fixture's session into phase, in situation. */
static void
reach(Fixture *f, ImsSessionPhase phase, const Situation *situation)
{
  ImsSession *session = f->session;
  gboolean answered = situation->answered || phase == IMS_SESSION_PHASE_REVIEW;

  if (situation->no_think_time)
    session->record->think_seconds = 0;
  if (situation->last_question)
    session->record->current_question = (int) session->record->questions->len - 1;
  join_with_media(f, &f->peer);
  if (answered) {
    answer_question(f);
    if (phase == IMS_SESSION_PHASE_THINKING || phase == IMS_SESSION_PHASE_WAITING_FOR_MEDIA)
      send_ok(f, IMS_MESSAGE_RETAKE);
  }
  switch (phase) {
  case IMS_SESSION_PHASE_WAITING_FOR_MEDIA:
    send_ok(f, IMS_MESSAGE_OFFER); /* a new offer gives the think time up */
    break;
  case IMS_SESSION_PHASE_RECORDING:
    send_ok(f, IMS_MESSAGE_TAKE_START);
    break;
  case IMS_SESSION_PHASE_SAVING:
    send_ok(f, IMS_MESSAGE_TAKE_START);
    if (situation->no_take_on_media)
      ims_session_shutdown(session, on_shutdown_done, NULL); /* media released, peer kept */
    else
      send_ok(f, IMS_MESSAGE_TAKE_STOP);
    break;
  case IMS_SESSION_PHASE_ENDING:
    send_ok(f, IMS_MESSAGE_TAKE_START);
    send_ok(f, IMS_MESSAGE_END);
    break;
  case IMS_SESSION_PHASE_COMPLETED:
    send_ok(f, IMS_MESSAGE_END);
    break;
  case IMS_SESSION_PHASE_THINKING:
  case IMS_SESSION_PHASE_REVIEW:
  default:
    break;
  }
  assert_int_equal(session->phase, phase);
}

/* Makes guard hold (want) or not in situation. */
static void
set_guard(Situation *situation, ImsSessionGuard guard, gboolean want)
{
  switch (guard) {
  case IMS_SESSION_GUARD_ANSWERED:
    situation->answered = want;
    break;
  case IMS_SESSION_GUARD_LAST_QUESTION:
    situation->last_question = want;
    break;
  case IMS_SESSION_GUARD_TAKE_ON_MEDIA:
    situation->no_take_on_media = !want;
    break;
  case IMS_SESSION_GUARD_THINK_TIME:
    situation->no_think_time = !want;
    break;
  case IMS_SESSION_GUARD_NONE:
  default:
    break;
  }
}

/* The situation in which row is the one that applies. */
static Situation
situation_for(const ImsSessionTransition *table, guint index)
{
  Situation situation = { 0 };
  for (guint i = 0; i < index; i++)
    if (table[i].from == table[index].from && table[i].event == table[index].event)
      set_guard(&situation, table[i].guard, FALSE);
  set_guard(&situation, table[index].guard, TRUE);
  return situation;
}

static int criticals;

static void
count_critical(const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
  assert_non_null(strstr(message, "bug"));
  criticals++;
}

static gboolean
has_row(const ImsSessionTransition *table, guint count, ImsSessionPhase phase, ImsSessionEvent event)
{
  for (guint i = 0; i < count; i++)
    if (table[i].from == phase && table[i].event == event)
      return TRUE;
  return FALSE;
}

#define REFUSED (-1)

/* What each event does, written apart from the table (as session-phase.c's diagram says it): the
 * phase the session goes to from phase from in situation, REFUSED where the event cannot happen. */
static int
expected_phase(ImsSessionPhase from, ImsSessionEvent event, const Situation *situation)
{
  gboolean answered = situation->answered || from == IMS_SESSION_PHASE_REVIEW;
  int resume = answered ? IMS_SESSION_PHASE_REVIEW : IMS_SESSION_PHASE_THINKING;
  gboolean live = from != IMS_SESSION_PHASE_COMPLETED;
  gboolean taking = from == IMS_SESSION_PHASE_RECORDING || from == IMS_SESSION_PHASE_ENDING;

  switch (event) {
  case IMS_SESSION_EVENT_JOINED:
    return live && !taking ? resume : REFUSED;
  case IMS_SESSION_EVENT_THINK_TIME_OVER:
    return from == IMS_SESSION_PHASE_THINKING ? IMS_SESSION_PHASE_WAITING_FOR_MEDIA : REFUSED;
  case IMS_SESSION_EVENT_TAKE_STARTED:
    return from == IMS_SESSION_PHASE_THINKING || from == IMS_SESSION_PHASE_WAITING_FOR_MEDIA ||
                   from == IMS_SESSION_PHASE_REVIEW
               ? IMS_SESSION_PHASE_RECORDING
               : REFUSED;
  case IMS_SESSION_EVENT_STOP_ASKED:
  case IMS_SESSION_EVENT_ANSWER_TIME_OVER:
    return from == IMS_SESSION_PHASE_RECORDING ? IMS_SESSION_PHASE_SAVING : REFUSED;
  case IMS_SESSION_EVENT_END_ASKED:
    if (!live)
      return REFUSED;
    return taking || (from == IMS_SESSION_PHASE_SAVING && !situation->no_take_on_media)
               ? IMS_SESSION_PHASE_ENDING
               : IMS_SESSION_PHASE_COMPLETED;
  case IMS_SESSION_EVENT_RETAKE_ASKED:
    return from == IMS_SESSION_PHASE_REVIEW ? IMS_SESSION_PHASE_THINKING : REFUSED;
  case IMS_SESSION_EVENT_NEXT_ASKED:
    if (from != IMS_SESSION_PHASE_REVIEW)
      return REFUSED;
    return situation->last_question ? IMS_SESSION_PHASE_COMPLETED : IMS_SESSION_PHASE_THINKING;
  case IMS_SESSION_EVENT_TAKE_FINALIZED:
    if (from == IMS_SESSION_PHASE_ENDING)
      return IMS_SESSION_PHASE_COMPLETED;
    return from == IMS_SESSION_PHASE_SAVING || from == IMS_SESSION_PHASE_RECORDING ? resume
                                                                                   : REFUSED;
  case IMS_SESSION_EVENT_MEDIA_RELEASED:
    if (from == IMS_SESSION_PHASE_THINKING)
      return situation->no_think_time ? IMS_SESSION_PHASE_THINKING
                                      : IMS_SESSION_PHASE_WAITING_FOR_MEDIA;
    return taking ? IMS_SESSION_PHASE_SAVING : (int) from;
  case IMS_SESSION_EVENT_MEDIA_FAILED:
    if (from == IMS_SESSION_PHASE_RECORDING)
      return IMS_SESSION_PHASE_SAVING;
    return from == IMS_SESSION_PHASE_SAVING || from == IMS_SESSION_PHASE_ENDING || !live ? (int) from
                                                                                         : resume;
  default:
    return REFUSED;
  }
}

/* ---- tests ---- */

/* The table reads as one machine: each (phase, event, guard) once, an unguarded row last for its
 * (phase, event), every event used, every phase reached, and completion only by completing. */
static void
test_table_is_well_formed(void **state)
{
  guint count;
  const ImsSessionTransition *table = ims_session_transitions(&count);
  gboolean reached[IMS_SESSION_PHASE_COUNT] = { FALSE };
  gboolean used[IMS_SESSION_EVENT_COUNT] = { FALSE };

  reached[IMS_SESSION_PHASE_THINKING] = TRUE; /* where a new session starts */
  for (guint i = 0; i < count; i++) {
    for (guint j = i + 1; j < count; j++) {
      if (table[j].from != table[i].from || table[j].event != table[i].event)
        continue;
      assert_int_not_equal(table[j].guard, table[i].guard);
      assert_int_not_equal(table[i].guard, IMS_SESSION_GUARD_NONE); /* nothing after the fallback */
    }
    reached[table[i].to] = TRUE;
    used[table[i].event] = TRUE;
    if (table[i].to == IMS_SESSION_PHASE_COMPLETED && table[i].from != IMS_SESSION_PHASE_COMPLETED)
      assert_non_null(table[i].action); /* completing is stored */
  }
  for (guint p = 0; p < IMS_SESSION_PHASE_COUNT; p++)
    assert_true(reached[p]);
  for (guint e = 0; e < IMS_SESSION_EVENT_COUNT; e++)
    assert_true(used[e]);
}

/* Every row, driven: in its phase, with its guard holding, its event moves the session to its
 * phase (the one expected_phase says), with that phase's countdown (thinking: the think time, recording: the answer time, others:
 * none) and, into completed, the session stored as completed. */
static void
test_every_transition_applies(void **state)
{
  guint count;
  const ImsSessionTransition *table = ims_session_transitions(&count);

  for (guint i = 0; i < count; i++) {
    const ImsSessionTransition *row = &table[i];
    Situation situation = situation_for(table, i);
    void *fixture;
    assert_int_equal(setup(&fixture), 0);
    Fixture *f = fixture;
    reach(f, row->from, &situation);
    int stops = last_media ? last_media->stops : 0;
    FakeMedia *media = last_media;

    if (!ims_session_fire(f->session, row->event, "test"))
      fail_msg("row %u (%s, %s) refused", i, ims_session_phase_name(row->from),
               ims_session_event_name(row->event));
    assert_int_equal(row->to, expected_phase(row->from, row->event, &situation));
    if (f->session->phase != row->to)
      fail_msg("row %u (%s, %s): %s, not %s", i, ims_session_phase_name(row->from),
               ims_session_event_name(row->event), ims_session_phase_name(f->session->phase),
               ims_session_phase_name(row->to));
    gboolean countdown = row->to == IMS_SESSION_PHASE_RECORDING ||
                         (row->to == IMS_SESSION_PHASE_THINKING && !situation.no_think_time);
    assert_int_equal(f->session->deadline > 0, countdown);
    assert_int_equal(f->session->timer_id != 0, countdown);
    if (row->to == IMS_SESSION_PHASE_COMPLETED)
      assert_int_equal(written(f)->saved->state, IMS_SESSION_COMPLETED);
    if (row->from == IMS_SESSION_PHASE_RECORDING && row->action) /* the take is stopped */
      assert_int_equal(media->stops, stops + 1);
    assert_int_equal(teardown(&fixture), 0); /* a critical on the way failed the test */
  }
}

/* Every (phase, event) the table has no row for (and expected_phase none) is refused: FALSE, a critical naming a bug, and
 * nothing changed (phase, countdown, what is stored). */
static void
test_every_other_event_is_refused(void **state)
{
  guint count, refused = 0;
  const ImsSessionTransition *table = ims_session_transitions(&count);

  for (guint p = 0; p < IMS_SESSION_PHASE_COUNT; p++) {
    for (guint e = 0; e < IMS_SESSION_EVENT_COUNT; e++) {
      if (has_row(table, count, p, e))
        continue;
      Situation situation = { 0 };
      if (expected_phase(p, e, &situation) != REFUSED)
        fail_msg("(%s, %s) has no row", ims_session_phase_name(p), ims_session_event_name(e));
      void *fixture;
      assert_int_equal(setup(&fixture), 0);
      Fixture *f = fixture;
      reach(f, p, &situation);
      gint64 deadline = f->session->deadline;
      guint timer = f->session->timer_id;
      int saves = written(f)->save_calls;
      criticals = 0;

      guint handler = g_log_set_handler("imsd.session", G_LOG_LEVEL_CRITICAL, count_critical, NULL);
      assert_false(ims_session_fire(f->session, e, "test"));
      g_log_remove_handler("imsd.session", handler);
      assert_int_equal(criticals, 1);
      assert_int_equal(f->session->phase, p);
      assert_int_equal(f->session->deadline, deadline);
      assert_int_equal(f->session->timer_id, timer);
      assert_int_equal(written(f)->save_calls, saves);
      refused++;
      assert_int_equal(teardown(&fixture), 0);
    }
  }
  assert_true(refused > 0);
}

/* One illegal transition by name: stopping a take in review is refused and the review stays. */
static void
test_stop_in_review_is_refused(void **state)
{
  Fixture *f = *state;
  join_with_media(f, &f->peer);
  answer_question(f);
  criticals = 0;
  assert_false(ims_session_can(f->session, IMS_SESSION_EVENT_STOP_ASKED));
  guint handler = g_log_set_handler("imsd.session", G_LOG_LEVEL_CRITICAL, count_critical, NULL);
  assert_false(ims_session_fire(f->session, IMS_SESSION_EVENT_STOP_ASKED, "candidate"));
  g_log_remove_handler("imsd.session", handler);
  assert_int_equal(criticals, 1);
  assert_int_equal(f->session->phase, IMS_SESSION_PHASE_REVIEW);
  assert_int_equal(last_media->stops, 1); /* the first take's stop only */
  expect_refused(f, IMS_MESSAGE_TAKE_STOP,
                 IMS_SIGNAL_ERROR_BAD_STATE); /* as the candidate meets it */
}

/* The phases the candidate does not see apart: waiting for media shows as thinking, ending as
 * saving. */
static void
test_inner_phases_show_as_the_protocol_names_them(void **state)
{
  Fixture *f = *state;
  Situation situation = { 0 };
  reach(f, IMS_SESSION_PHASE_ENDING, &situation);
  assert_int_equal(ims_session_visible_phase(f->session), IMS_PHASE_SAVING);
  assert_state(&f->peer, "phase", "saving");

  g_clear_pointer(&f->session, ims_session_unref);
  f->session = ims_session_new(make_record(1), &f->context);
  reach(f, IMS_SESSION_PHASE_WAITING_FOR_MEDIA, &situation);
  assert_int_equal(ims_session_visible_phase(f->session), IMS_PHASE_THINKING);
  g_autofree char *json = ims_session_state_json(f->session);
  g_autoptr(JsonParser) parser = json_parser_new();
  JsonObject *view = parse_frame(json, parser);
  assert_string_equal(json_object_get_string_member(view, "phase"), "thinking");
  assert_true(json_object_get_null_member(view, "remainingMs"));
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_table_is_well_formed),
    cmocka_unit_test(test_every_transition_applies),
    cmocka_unit_test(test_every_other_event_is_refused),
    T(test_stop_in_review_is_refused),
    T(test_inner_phases_show_as_the_protocol_names_them),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
