/* session-private.h: the inside of ImsSession, shared by session.c (the
 * state machine), session-write.c (its changes on their way to the database)
 * and session-view.c (its JSON view).  Nothing else includes it. */
#pragma once

#include "session.h"

/* A take being written or finalized.  take points into record->takes. */
typedef struct {
  ImsTake *take;
  gpointer media;
  ImsTakeStatus final_status;    /* what the take becomes once saved */
  gboolean writing;              /* its first keyframe reached the file */
  gboolean close_media_after;    /* its media has no peer any more */
} OpenTake;

struct _ImsSession {
  grefcount ref_count;
  ImsSessionRecord *record;
  const ImsSessionContext *context;

  ImsPeer *peer;                 /* attached peer, not owned */
  gpointer media;                /* the attached peer's media, owned */
  gboolean media_ready;          /* media of the attached peer is flowing */
  ImsPhase phase;
  guint timer_id;                /* think or answer countdown */
  gint64 deadline;               /* monotonic end of that countdown, 0 if none */
  guint watchdog_id;
  gboolean start_when_ready;     /* think time ran out before media flowed */
  gboolean end_requested;        /* complete once the open take is saved */
  GPtrArray *open_takes;         /* of OpenTake*, owned */
  guint unsaved;                 /* changes queued for the database, not written yet */
  GHashTable *unsaved_takes;     /* take id -> its writes not done yet (int) */

  ImsDoneFunc shutdown_done;
  gpointer shutdown_data;
};

/* The current question, NULL past the last one. */
const ImsQuestion *ims_session_current_question(ImsSession *session);
/* Retakes the candidate may still use on the current question. */
int ims_session_retakes_left(ImsSession *session);
/* The take open on media, NULL if none. */
OpenTake *ims_session_find_open_take(ImsSession *session, gpointer media);

#define LOG_ID(session) ((session)->record->id)

/* Sends the attached peer the session's state (nothing without a peer). */
void ims_session_send_state(ImsSession *session);
/* Queues the session's progress (state, question, times) with the events it
 * causes (transfer full, may be NULL), in one transaction. */
void ims_session_save_progress(ImsSession *session, GPtrArray *events);
/* Queues the take's row as it is now (with its events, transfer full); final:
 * the take's processing may start once it is written. */
void ims_session_save_take(ImsSession *session, const ImsTake *take, gboolean insert,
                           GPtrArray *events, gboolean final);
