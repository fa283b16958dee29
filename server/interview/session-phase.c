/* session-phase.c: a session's phases: one table of transitions, and the one
 * function that moves a session along it (ims_session_fire).
 *
 * The phase says where the candidate is on the current question.  It lives
 * only in memory; the stored state (record->state: created -> active ->
 * completed) is separate and outlives connections (session-private.h says
 * why), and "joined" works the phase out again from the record.
 *
 *                ┌──────────── retake, next (more questions) ───────────┐
 *                ▼                                                      │
 *   joined ──▶ thinking ── think time over ──▶ waiting for media        │
 *                │  └── media released* ──▶       ▲                     │
 *                │ take started                   │ take started        │
 *                ▼                                ▼ (when media flows)  │
 *            recording ◀───────────────────────────── take started ── review
 *             │     │                                                   ▲
 *             │     │ end                                               │ take finalized:
 *             │     ▼                                                   │ answered (else
 *             │   ending ── take finalized ──▶ completed                │ thinking)
 *             │     ▲                                                   │
 *             │     │ end                                               │
 *             └──▶ saving ──────────────────────────────────────────────┘
 *       stop, answer time over,
 *       media released or failed
 *
 *   joined: from thinking, waiting for media, saving or review; to review if
 *     the question has a completed take, else thinking
 *   review ── next (on the last question) ──▶ completed
 *   end in thinking, waiting for media, review, or saving with no take on
 *     the attached peer's media ──▶ completed; end again while ending: no change
 *   media failed with no take open ──▶ thinking (review if answered)
 *   ending ── media released ──▶ saving: the end request leaves with the peer
 *   recording ── take finalized (the media ended the take by itself, e.g. its
 *     file could not be opened) ──▶ review if answered, else thinking
 *   * media released while thinking gives the think time up (when the
 *     session has some): the next media starts the take as soon as it flows
 *
 * The table below is exact; the diagram is its summary.  Each phase has its
 * countdown, set when the phase is entered: thinking the think time (with a
 * peer attached and think time configured), recording the question's time
 * limit, every other phase none.  The candidate sees waiting for media as
 * "thinking" and ending as "saving" (ims_session_visible_phase).
 *
 * Threading: main loop only, like the rest of the session.
 */
#define G_LOG_DOMAIN "imsd.session"

#include "log-session.h"
#include "metrics.h"
#include "outbox.h"
#include "payloads.h"
#include "peer-handler.h"
#include "session-private.h"
#include "spool-files.h"

/* ---- the actions of the transitions ---- */

/* Asks the media to finalize the take on the attached peer's media;
 * ims_session_media_take_finished follows. */
static void
stop_take(ImsSession *session, ImsTakeStatus status, const char *reason)
{
  OpenTake *open = ims_session_find_open_take(session, session->media);
  g_return_if_fail(open != NULL);
  g_free(open->take->stop_reason);
  open->take->stop_reason = g_strdup(reason);
  open->final_status = status;
  ims_log_session(G_LOG_LEVEL_INFO, LOG_ID(session), open->take->id,
                  "stopping take %d of question %d (%s)", open->take->number,
                  open->take->question_index + 1, reason);
  session->context->media->stop_take(open->media);
}

static void
stop_take_completed(ImsSession *session, const char *reason)
{
  stop_take(session, IMS_TAKE_COMPLETED, reason);
}

static void
stop_take_interrupted(ImsSession *session, const char *reason)
{
  stop_take(session, IMS_TAKE_INTERRUPTED, reason);
}

/* The media finalized a take nobody stopped: it is told the take is over too,
 * so that it accepts the next one. */
static void
end_take_on_media(ImsSession *session, const char *reason)
{
  if (session->media)
    session->context->media->stop_take(session->media);
}

/* The responses of the session (docs/events.md): its takes that have media,
 * completed or interrupted, i.e. its candidate.response_submitted events,
 * retakes included, the practice's not; total_seconds is the sum of their durations. */
static void
count_answers(ImsSession *session, int *responses, double *total_seconds)
{
  const ImsSessionRecord *record = session->record;
  gint64 total_ms = 0;
  *responses = 0;
  for (guint i = 0; i < record->takes->len; i++) {
    const ImsTake *take = g_ptr_array_index(record->takes, i);
    if ((take->status == IMS_TAKE_COMPLETED || take->status == IMS_TAKE_INTERRUPTED) &&
        take->question_index != IMS_PRACTICE_QUESTION_INDEX) {
      (*responses)++;
      total_ms += MAX(take->duration_ms, 0);
    }
  }
  *total_seconds = total_ms / 1000.0;
}

/* The practice takes' files: never processed, so no processor removes them once uploaded; they
 * serve the candidate alone, during the interview, and go when it completes (every take is
 * finalized by then: complete runs after the last take finalized).  A session never completed
 * keeps them until the user's erasure (user-events.c lists every take's path). */
static void
remove_practice_files(ImsSession *session)
{
  const ImsSessionRecord *record = session->record;
  for (guint i = 0; i < record->takes->len; i++) {
    const ImsTake *take = g_ptr_array_index(record->takes, i);
    if (take->question_index == IMS_PRACTICE_QUESTION_INDEX && take->path && take->path[0])
      ims_spool_remove(take->path);
  }
}

/* Stores the session as completed, with candidate.completed and interview.completed. */
static void
complete(ImsSession *session, const char *reason)
{
  ImsSessionRecord *record = session->record;
  GPtrArray *events = NULL;
  int responses;
  double total_seconds;

  record->state = IMS_SESSION_COMPLETED;
  record->completed_at = g_get_real_time();
  count_answers(session, &responses, &total_seconds);
  ims_outbox_add(&events, IMS_EVENT_CANDIDATE_COMPLETED,
                 ims_event_payload_candidate_completed(record, responses, total_seconds),
                 record->id);
  double open_seconds = record->started_at ? (record->completed_at - record->started_at) / 1e6 : 0;
  ims_outbox_add(
      &events, IMS_EVENT_INTERVIEW_COMPLETED,
      ims_event_payload_interview_completed(record, record->completed_at, open_seconds, responses),
      record->id);
  ims_session_save_progress(session, events);
  remove_practice_files(session);
  ims_log_session(G_LOG_LEVEL_INFO, LOG_ID(session), NULL, "interview completed");
}

static void
next_question(ImsSession *session, const char *reason)
{
  session->record->current_question++;
  ims_session_save_progress(session, NULL);
}

static void
next_then_complete(ImsSession *session, const char *reason)
{
  session->record->current_question++;
  complete(session, reason);
}

/* ---- the table ---- */

/* one row a line, in columns */
/* clang-format off */
#define ROW(from, event, guard, to, action)                                                     \
  { IMS_SESSION_PHASE_##from, IMS_SESSION_EVENT_##event, IMS_SESSION_GUARD_##guard,            \
    IMS_SESSION_PHASE_##to, action }

static const ImsSessionTransition transitions[] = {
  /*  from               event             guard          to                 action */
  ROW(THINKING,          JOINED,           ANSWERED,      REVIEW,            NULL),
  ROW(THINKING,          JOINED,           NONE,          THINKING,          NULL),
  ROW(WAITING_FOR_MEDIA, JOINED,           ANSWERED,      REVIEW,            NULL),
  ROW(WAITING_FOR_MEDIA, JOINED,           NONE,          THINKING,          NULL),
  ROW(SAVING,            JOINED,           ANSWERED,      REVIEW,            NULL),
  ROW(SAVING,            JOINED,           NONE,          THINKING,          NULL),
  ROW(REVIEW,            JOINED,           NONE,          REVIEW,            NULL),

  ROW(THINKING,          THINK_TIME_OVER,  NONE,          WAITING_FOR_MEDIA, NULL),

  ROW(THINKING,          TAKE_STARTED,     NONE,          RECORDING,         NULL),
  ROW(WAITING_FOR_MEDIA, TAKE_STARTED,     NONE,          RECORDING,         NULL),
  ROW(REVIEW,            TAKE_STARTED,     NONE,          RECORDING,         NULL),

  ROW(RECORDING,         STOP_ASKED,       NONE,          SAVING,            stop_take_completed),
  ROW(RECORDING,         ANSWER_TIME_OVER, NONE,          SAVING,            stop_take_completed),

  ROW(RECORDING,         END_ASKED,        NONE,          ENDING,            stop_take_completed),
  ROW(SAVING,            END_ASKED,        TAKE_ON_MEDIA, ENDING,            NULL),
  ROW(ENDING,            END_ASKED,        NONE,          ENDING,            NULL),
  ROW(SAVING,            END_ASKED,        NONE,          COMPLETED,         complete),
  ROW(THINKING,          END_ASKED,        NONE,          COMPLETED,         complete),
  ROW(WAITING_FOR_MEDIA, END_ASKED,        NONE,          COMPLETED,         complete),
  ROW(REVIEW,            END_ASKED,        NONE,          COMPLETED,         complete),

  ROW(REVIEW,            RETAKE_ASKED,     NONE,          THINKING,          NULL),
  ROW(REVIEW,            NEXT_ASKED,       LAST_QUESTION, COMPLETED,         next_then_complete),
  ROW(REVIEW,            NEXT_ASKED,       NONE,          THINKING,          next_question),

  ROW(SAVING,            TAKE_FINALIZED,   ANSWERED,      REVIEW,            NULL),
  ROW(SAVING,            TAKE_FINALIZED,   NONE,          THINKING,          NULL),
  ROW(ENDING,            TAKE_FINALIZED,   NONE,          COMPLETED,         complete),
  ROW(RECORDING,         TAKE_FINALIZED,   ANSWERED,      REVIEW,            end_take_on_media),
  ROW(RECORDING,         TAKE_FINALIZED,   NONE,          THINKING,          end_take_on_media),

  ROW(THINKING,          MEDIA_RELEASED,   THINK_TIME,    WAITING_FOR_MEDIA, NULL),
  ROW(THINKING,          MEDIA_RELEASED,   NONE,          THINKING,          NULL),
  ROW(WAITING_FOR_MEDIA, MEDIA_RELEASED,   NONE,          WAITING_FOR_MEDIA, NULL),
  ROW(RECORDING,         MEDIA_RELEASED,   NONE,          SAVING,            stop_take_interrupted),
  ROW(SAVING,            MEDIA_RELEASED,   NONE,          SAVING,            NULL),
  ROW(ENDING,            MEDIA_RELEASED,   NONE,          SAVING,            NULL),
  ROW(REVIEW,            MEDIA_RELEASED,   NONE,          REVIEW,            NULL),
  ROW(COMPLETED,         MEDIA_RELEASED,   NONE,          COMPLETED,         NULL),

  /* a take open on the failed media is cut and finalized next (take finalized) */
  ROW(RECORDING,         MEDIA_FAILED,     NONE,          SAVING,            NULL),
  ROW(SAVING,            MEDIA_FAILED,     NONE,          SAVING,            NULL),
  ROW(ENDING,            MEDIA_FAILED,     NONE,          ENDING,            NULL),
  ROW(THINKING,          MEDIA_FAILED,     ANSWERED,      REVIEW,            NULL),
  ROW(THINKING,          MEDIA_FAILED,     NONE,          THINKING,          NULL),
  ROW(WAITING_FOR_MEDIA, MEDIA_FAILED,     ANSWERED,      REVIEW,            NULL),
  ROW(WAITING_FOR_MEDIA, MEDIA_FAILED,     NONE,          THINKING,          NULL),
  ROW(REVIEW,            MEDIA_FAILED,     NONE,          REVIEW,            NULL),
  ROW(COMPLETED,         MEDIA_FAILED,     NONE,          COMPLETED,         NULL),
};
/* clang-format on */

const ImsSessionTransition *
ims_session_transitions(guint *count)
{
  *count = G_N_ELEMENTS(transitions);
  return transitions;
}

const char *
ims_session_phase_name(ImsSessionPhase phase)
{
  static const char *const names[] = {
    "thinking", "waiting for media", "recording", "saving", "ending", "review", "completed"
  };
  G_STATIC_ASSERT(G_N_ELEMENTS(names) == IMS_SESSION_PHASE_COUNT);
  return (guint) phase < G_N_ELEMENTS(names) ? names[phase] : "unknown";
}

const char *
ims_session_event_name(ImsSessionEvent event)
{
  static const char *const names[] = { "joined",         "think time over",  "take started",
                                       "stop asked",     "answer time over", "end asked",
                                       "retake asked",   "next asked",       "take finalized",
                                       "media released", "media failed" };
  G_STATIC_ASSERT(G_N_ELEMENTS(names) == IMS_SESSION_EVENT_COUNT);
  return (guint) event < G_N_ELEMENTS(names) ? names[event] : "unknown";
}

ImsPhase
ims_session_visible_phase(ImsSession *session)
{
  static const ImsPhase visible[] = {
    [IMS_SESSION_PHASE_THINKING] = IMS_PHASE_THINKING,
    [IMS_SESSION_PHASE_WAITING_FOR_MEDIA] = IMS_PHASE_THINKING,
    [IMS_SESSION_PHASE_RECORDING] = IMS_PHASE_RECORDING,
    [IMS_SESSION_PHASE_SAVING] = IMS_PHASE_SAVING,
    [IMS_SESSION_PHASE_ENDING] = IMS_PHASE_SAVING,
    [IMS_SESSION_PHASE_REVIEW] = IMS_PHASE_REVIEW,
    [IMS_SESSION_PHASE_COMPLETED] = IMS_PHASE_COMPLETED,
  };
  G_STATIC_ASSERT(G_N_ELEMENTS(visible) == IMS_SESSION_PHASE_COUNT);
  return visible[session->phase];
}

gboolean
ims_session_guard_holds(ImsSession *session, ImsSessionGuard guard)
{
  const ImsSessionRecord *record = session->record;
  switch (guard) {
  case IMS_SESSION_GUARD_ANSWERED:
    return ims_session_count_takes(session, record->current_question, TRUE) > 0;
  case IMS_SESSION_GUARD_LAST_QUESTION:
    return (guint) record->current_question + 1 >= record->questions->len;
  case IMS_SESSION_GUARD_TAKE_ON_MEDIA:
    return ims_session_find_open_take(session, session->media) != NULL;
  case IMS_SESSION_GUARD_THINK_TIME:
    return record->think_seconds > 0;
  case IMS_SESSION_GUARD_NONE:
  default:
    return TRUE;
  }
}

static const ImsSessionTransition *
find_transition(ImsSession *session, ImsSessionEvent event)
{
  for (guint i = 0; i < G_N_ELEMENTS(transitions); i++) {
    const ImsSessionTransition *row = &transitions[i];
    if (row->from == session->phase && row->event == event &&
        ims_session_guard_holds(session, row->guard))
      return row;
  }
  return NULL;
}

gboolean
ims_session_can(ImsSession *session, ImsSessionEvent event)
{
  return find_transition(session, event) != NULL;
}

/* ---- countdowns ---- */

static void
clear_countdown(ImsSession *session)
{
  g_clear_handle_id(&session->timer_id, g_source_remove);
  session->deadline = 0;
}

static void
set_countdown(ImsSession *session, int seconds, GSourceFunc callback)
{
  session->deadline = g_get_monotonic_time() + (gint64) seconds * G_USEC_PER_SEC;
  session->timer_id = g_timeout_add_full(G_PRIORITY_DEFAULT, (guint) seconds * 1000, callback,
                                         session, NULL);
}

static gboolean
on_think_time_over(gpointer data)
{
  ImsSession *session = data;
  g_autoptr(GError) error = NULL;

  session->timer_id = 0;
  session->deadline = 0;
  ims_session_fire(session, IMS_SESSION_EVENT_THINK_TIME_OVER, NULL);
  if (!session->media_ready) {
    ims_log_session(G_LOG_LEVEL_INFO, LOG_ID(session), NULL,
                    "think time over, take starts when media flows");
    return G_SOURCE_REMOVE;
  }
  if (!ims_session_start_take(session, &error)) {
    ims_log_session(G_LOG_LEVEL_WARNING, LOG_ID(session), NULL,
                    "could not start the take when think time ran out: %s", error->message);
    if (session->peer)
      ims_peer_send_error(session->peer, ims_signal_error_code_of(error), error->message, NULL);
  }
  ims_session_send_state(session);
  return G_SOURCE_REMOVE;
}

static gboolean
on_answer_time_over(gpointer data)
{
  ImsSession *session = data;

  session->timer_id = 0;
  session->deadline = 0;
  if (ims_session_find_open_take(session, session->media) &&
      ims_session_can(session, IMS_SESSION_EVENT_ANSWER_TIME_OVER)) {
    ims_log_session(G_LOG_LEVEL_INFO, LOG_ID(session), NULL, "answer time limit reached");
    ims_session_fire(session, IMS_SESSION_EVENT_ANSWER_TIME_OVER, "time_limit");
    ims_session_send_state(session);
  }
  return G_SOURCE_REMOVE;
}

/* Enters phase with its countdown. */
static void
enter(ImsSession *session, ImsSessionPhase phase)
{
  const ImsQuestion *question = ims_session_current_question(session);

  ims_metric_add(&ims_metric_sessions, session->phase, -1);
  ims_metric_add(&ims_metric_sessions, phase, 1);
  session->phase = phase;
  clear_countdown(session);
  if (phase == IMS_SESSION_PHASE_THINKING && session->peer && session->record->think_seconds > 0)
    set_countdown(session, session->record->think_seconds, on_think_time_over);
  else if (phase == IMS_SESSION_PHASE_RECORDING && question)
    set_countdown(session, question->time_limit_seconds, on_answer_time_over);
}

gboolean
ims_session_fire(ImsSession *session, ImsSessionEvent event, const char *reason)
{
  const ImsSessionTransition *row = find_transition(session, event);

  if (!row) {
    /* g_critical, not ims_log_session: a g_log_set_handler() sees it (the unit tests count it) */
    g_critical("%s: bug: \"%s\" has no transition from %s; refused", LOG_ID(session),
               ims_session_event_name(event), ims_session_phase_name(session->phase));
    return FALSE;
  }
  ims_log_session(G_LOG_LEVEL_DEBUG, LOG_ID(session), NULL, "%s: %s -> %s",
                  ims_session_event_name(event), ims_session_phase_name(row->from),
                  ims_session_phase_name(row->to));
  if (row->action)
    row->action(session, reason);
  enter(session, row->to);
  return TRUE;
}
