/* session-private.h: the inside of ImsSession, shared by session.c (the
 * session's life: peer, media, takes), session-phase.c (its phases: the table
 * of transitions and the one function that applies it), session-write.c (its
 * changes on their way to the database) and session-view.c (its JSON view).
 * Nothing else includes it but the session's unit tests. */
#pragma once

#include "session.h"

/* The session's phases (session-phase.c: the diagram and the table).  Finer
 * than the phase the candidate sees (ImsPhase, session.h) where the session
 * waits for something: waiting-for-media shows as thinking, ending as saving
 * (ims_session_visible_phase). */
typedef enum {
  IMS_SESSION_PHASE_THINKING,          /* the question is shown; its think countdown runs */
  IMS_SESSION_PHASE_WAITING_FOR_MEDIA, /* think time is over: the take starts when media flows */
  IMS_SESSION_PHASE_RECORDING,         /* a take is open on the attached peer's media */
  IMS_SESSION_PHASE_SAVING, /* the take was stopped or cut; its file is being finalized */
  IMS_SESSION_PHASE_ENDING, /* saving, and the interview completes once the take is saved */
  IMS_SESSION_PHASE_REVIEW, /* the question has a completed take: retake or next */
  IMS_SESSION_PHASE_COMPLETED,
} ImsSessionPhase;
#define IMS_SESSION_PHASE_COUNT (IMS_SESSION_PHASE_COMPLETED + 1)

/* What moves a session from one phase to another. */
typedef enum {
  IMS_SESSION_EVENT_JOINED, /* a peer attached: the candidate continues on the question */
  IMS_SESSION_EVENT_THINK_TIME_OVER,
  IMS_SESSION_EVENT_TAKE_STARTED, /* a take was opened on the attached peer's media */
  IMS_SESSION_EVENT_STOP_ASKED,   /* take.stop */
  IMS_SESSION_EVENT_ANSWER_TIME_OVER,
  IMS_SESSION_EVENT_END_ASKED,      /* end */
  IMS_SESSION_EVENT_RETAKE_ASKED,   /* retake */
  IMS_SESSION_EVENT_NEXT_ASKED,     /* next */
  IMS_SESSION_EVENT_TAKE_FINALIZED, /* the take of the attached peer's media is finalized */
  IMS_SESSION_EVENT_MEDIA_RELEASED, /* the attached peer's media is let go (or there was none):
                                          peer gone, new offer, no media, shutdown */
  IMS_SESSION_EVENT_MEDIA_FAILED,   /* the attached peer's media failed */
} ImsSessionEvent;
#define IMS_SESSION_EVENT_COUNT (IMS_SESSION_EVENT_MEDIA_FAILED + 1)

/* A condition a transition may depend on, read from the session when the event happens. */
typedef enum {
  IMS_SESSION_GUARD_NONE,          /* always */
  IMS_SESSION_GUARD_ANSWERED,      /* the current question has a completed take */
  IMS_SESSION_GUARD_LAST_QUESTION, /* the current question is the last one */
  IMS_SESSION_GUARD_TAKE_ON_MEDIA, /* a take is open on the attached peer's media */
  IMS_SESSION_GUARD_THINK_TIME,    /* the session has think time */
} ImsSessionGuard;

/* One row of the table: in phase from, event moves the session to phase to when guard holds
 * (the first row that matches wins), running action first. */
typedef struct {
  ImsSessionPhase from;
  ImsSessionEvent event;
  ImsSessionGuard guard;
  ImsSessionPhase to;
  void (*action)(ImsSession *session, const char *reason); /* may be NULL */
} ImsSessionTransition;

/* A take being written or finalized.  take points into record->takes. */
typedef struct {
  ImsTake *take;
  gpointer media;
  ImsTakeStatus final_status; /* what the take becomes once saved */
  gboolean writing;           /* its first keyframe reached the file */
  gboolean close_media_after; /* its media has no peer any more */
} OpenTake;

struct _ImsSession {
  grefcount ref_count;
  /* The stored session (the truth, in PostgreSQL).  Its state (created ->
   * active -> completed) is not folded into phase: it is what the database
   * keeps and REST shows, and it outlives every connection, whereas phase
   * exists only in memory and is worked out again from the record when a
   * candidate joins (IMS_SESSION_EVENT_JOINED).  Completing is the one
   * transition that writes both. */
  ImsSessionRecord *record;
  const ImsSessionContext *context;

  ImsPeer *peer;  /* attached peer, not owned */
  gpointer media; /* the attached peer's media, owned */
  /* The attached peer's media is flowing (ims_session_media_flowing).  Not a
   * phase: media comes and goes in any phase (a candidate may reconnect while
   * thinking or in review), so folding it in would double every phase;
   * waiting for it before a take is a phase (waiting-for-media). */
  gboolean media_ready;
  gint64 joined_at;          /* monotonic time of the last join, 0 once its media flowed */
  guint silence_id;          /* one-shot: no media for no_media_timeout_seconds */
  ImsSessionPhase phase;     /* moved only by ims_session_fire (session-phase.c) */
  guint timer_id;            /* the phase's countdown: think or answer time */
  gint64 deadline;           /* monotonic end of that countdown, 0 if none */
  GPtrArray *open_takes;     /* of OpenTake*, owned */
  guint unsaved;             /* changes queued for the database, not written yet */
  GHashTable *unsaved_takes; /* take id -> its writes not done yet (int) */
  ImsQuestion *practice;     /* record's practice question, NULL without one; owned */

  ImsDoneFunc shutdown_done;
  gpointer shutdown_data;
};

#define LOG_ID(session) ((session)->record->id)

/* ---- session.c ---- */

/* The current question (the practice one while practising), NULL past the last one. */
const ImsQuestion *ims_session_current_question(ImsSession *session);
/* Takes of question_index (only the completed ones if completed_only). */
int ims_session_count_takes(ImsSession *session, int question_index, gboolean completed_only);
/* Retakes the candidate may still use on the current question. */
int ims_session_retakes_left(ImsSession *session);
/* The take open on media, NULL if none (or media is NULL). */
OpenTake *ims_session_find_open_take(ImsSession *session, gpointer media);
/* Starts take n+1 of the current question on the attached peer's media and
 * fires IMS_SESSION_EVENT_TAKE_STARTED.  FALSE with an IMS_SIGNAL_ERROR when
 * media is not flowing or the recording cannot start: nothing is left open
 * then (a row already stored is marked failed), the phase is unchanged. */
gboolean ims_session_start_take(ImsSession *session, GError **error);
/* Sends the attached peer the session's state (nothing without a peer). */
void ims_session_send_state(ImsSession *session);

/* ---- session-phase.c ---- */

/* The table, in the order rows are tried.  Transfer none, static. */
const ImsSessionTransition *ims_session_transitions(guint *count);
gboolean ims_session_guard_holds(ImsSession *session, ImsSessionGuard guard);
/* TRUE if event has a transition from the session's phase now. */
gboolean ims_session_can(ImsSession *session, ImsSessionEvent event);
/* The one way the phase changes: applies the first row of the table for
 * (phase, event) whose guard holds: its action (reason: why, for the actions
 * that stop a take), then the new phase and its countdown.  Without such a
 * row the event is a bug in the caller: logged as critical, refused (FALSE),
 * nothing changed.  Main loop; never waits. */
gboolean ims_session_fire(ImsSession *session, ImsSessionEvent event, const char *reason);
/* The phase the candidate sees ("state" message). */
ImsPhase ims_session_visible_phase(ImsSession *session);
const char *ims_session_phase_name(ImsSessionPhase phase);
const char *ims_session_event_name(ImsSessionEvent event);

/* ---- session-write.c ---- */

/* Queues the session's progress (state, question, times) with the events it
 * causes (transfer full, may be NULL), in one transaction. */
void ims_session_save_progress(ImsSession *session, GPtrArray *events);
/* Queues the take's row as it is now (with its events, transfer full); final:
 * the take's processing may start once it is written. */
void ims_session_save_take(ImsSession *session, const ImsTake *take, gboolean insert,
                           GPtrArray *events, gboolean final);
