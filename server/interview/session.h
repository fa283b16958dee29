/* session.h: one candidate's interview session and its state machine.
 *
 * An ImsSession wraps the stored ImsSessionRecord (the truth, in PostgreSQL)
 * and adds what only exists while the candidate is connected: the attached
 * peer (WebSocket), the media pipeline, the phase and its timer.
 *
 *   session:  created -> active -> completed            (stored)
 *   phase:    thinking -> recording -> saving -> review -> thinking (retake)
 *                                                      \-> next question / completed
 *
 * (the phase as the candidate sees it; session-phase.c has the full table of
 * transitions, with the phases it tells apart inside: waiting for media,
 * ending.)
 *
 * The server owns every timer and limit: the think timer starts the take when
 * it runs out, the answer timer stops it.  A take cut by a lost peer, lost
 * media or shutdown is kept as "interrupted" and does not use a retake.
 * Every change is queued for the database (database.h, in order, retried
 * until written) and announced at once with a "state" message whose
 * "saved" says whether the database has it yet; a second "state" follows
 * when it does.  A take's processing starts once its final row is written.
 *
 * Threading: main loop only.  Refcounted: the server's registry holds one
 * reference, an attached peer none (the peer is detached before it goes away).
 */
#pragma once

#include <glib.h>

#include "message.h"
#include "profile.h"
#include "database.h"
#include "ice-servers.h"
#include "store.h"

G_BEGIN_DECLS

typedef struct _ImsSession ImsSession;

/* Called once when an asynchronous teardown has finished. */
typedef void (*ImsDoneFunc)(gpointer user_data);
typedef struct _ImsPeer ImsPeer;

typedef enum {
  IMS_PHASE_THINKING,
  IMS_PHASE_RECORDING,
  IMS_PHASE_SAVING, /* take stopped, waiting for the file to be finalized */
  IMS_PHASE_REVIEW,
  IMS_PHASE_COMPLETED,
} ImsPhase;

const char *ims_phase_to_string(ImsPhase phase);

/* The media layer as the session sees it: one handle per connected peer. The
 * server binds it to ImsReceiver (server/interview/session-media.c); unit tests to a fake. */
typedef struct {
  /* Creates the pipeline for the attached peer; media_data is the context's.
   * Transfer full (close frees). */
  gpointer (*open)(ImsSession *session, gpointer media_data, GError **error);
  gboolean (*handle_offer)(gpointer media, const char *sdp, GError **error);
  gboolean (*add_ice_candidate)(gpointer media, guint mline_index, const char *candidate,
                                GError **error);
  /* records a take into path; take_id is for the media's log lines */
  gboolean (*start_take)(gpointer media, const char *path, const char *take_id, GError **error);
  void (*stop_take)(gpointer media);
  /* monotonic time of the last media buffer, 0 if none yet; read once per
   * silence deadline (no_media_timeout_seconds), never polled */
  gint64 (*last_media_time)(gpointer media);
  /* frees the pipeline; called from an idle, never from inside a media callback */
  void (*close)(gpointer media);
} ImsMediaOps;

typedef struct {
  ImsDatabase *database;
  const ImsMediaOps *media;
  gpointer media_data;
  const char *spool_dir;
  int no_media_timeout_seconds;              /* flowing media silent that long: peer gone */
  int max_width, max_height, max_frame_rate; /* server-wide capture limits */
  const ImsProfileSet *profiles;             /* a session's profile narrows them; may be NULL */
  const ImsIceServers *ice_servers;          /* "iceServers" of "state" (TURN); may be NULL */
  /* a take was saved (its final row is written): processing can start.  job
   * is the take as written with what its object keys and profile need
   * (transfer none: valid during the call).  Main loop; may be NULL. */
  void (*take_saved)(gpointer data, const ImsProcessingJob *job);
  gpointer take_saved_data;
} ImsSessionContext;

/* take of record's session is written final: hands it to context's take_saved
 * (processing) with what its object keys and profile need.  No-op without
 * take_saved.  A live room's candidate takes (room-files.c) go the same way. */
void ims_session_context_take_saved(const ImsSessionContext *context,
                                    const ImsSessionRecord *record, const ImsTake *take);

/* Takes ownership of record. context must outlive the session. Transfer full. */
ImsSession *ims_session_new(ImsSessionRecord *record, const ImsSessionContext *context);
ImsSession *ims_session_ref(ImsSession *session);
void ims_session_unref(ImsSession *session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsSession, ims_session_unref)

const char *ims_session_get_id(ImsSession *session);
const ImsSessionRecord *ims_session_get_record(ImsSession *session);
/* TRUE while a peer is attached or a take is still being finalized: the
 * registry must keep the session. */
gboolean ims_session_is_busy(ImsSession *session);

/* Attaches a joined peer: marks the session active (first join queues
 * started_at), resumes the current question, sends "state".  A previously
 * attached peer is told "replaced", closed and detached first.  Fails (and
 * changes nothing) if the session is completed. */
gboolean ims_session_attach(ImsSession *session, ImsPeer *peer, GError **error);

/* TRUE when every change of the session is written to the database. */
gboolean ims_session_is_saved(ImsSession *session);
/* TRUE when the take's row in the database is as the session knows it. */
gboolean ims_session_take_is_saved(ImsSession *session, const char *take_id);

/* The attached peer, NULL if none.  Transfer none. */
ImsPeer *ims_session_get_peer(ImsSession *session);

/* The peer is going away (WebSocket closed).  An open take is finalized as
 * interrupted, the media closed; the session stays resumable. */
void ims_session_detach(ImsSession *session, ImsPeer *peer);

/* Handles a message from the attached peer (anything but join/ping).  FALSE
 * with an IMS_SIGNAL_ERROR to report to the peer; nothing is changed then. */
gboolean ims_session_handle_message(ImsSession *session, ImsPeer *peer, const ImsMessage *message,
                                    GError **error);

/* Shutdown: finalizes an open take (reason "shutdown") and closes the media.
 * done runs (possibly at once) when nothing is left open. */
void ims_session_shutdown(ImsSession *session, ImsDoneFunc done, gpointer user_data);

/* The media layer reports here (main loop, outside of any media call). */
void ims_session_media_answer(ImsSession *session, gpointer media, const char *sdp);
void ims_session_media_ice_candidate(ImsSession *session, gpointer media, guint mline_index,
                                     const char *candidate);
/* Both of media's tracks have their first packets (once per media): the one way the session learns
 * that media flows.  A take waiting for media starts, and the silence deadline is armed. */
void ims_session_media_flowing(ImsSession *session, gpointer media);
/* The first keyframe of media's open take reached the file. */
void ims_session_media_take_started(ImsSession *session, gpointer media);
/* media's open take is finalized; completeness is its record as JSON text
 * (ImsTake.completeness), NULL if the media keeps none. */
void ims_session_media_take_finished(ImsSession *session, gpointer media, const char *path,
                                     gint64 duration_ms, gint64 size_bytes, const char *video_codec,
                                     const char *audio_codec, int width, int height,
                                     gboolean complete, const char *completeness);
void ims_session_media_failed(ImsSession *session, gpointer media, const char *reason);

/* Serializes the public view (the "state" message body, type included). Transfer full. */
char *ims_session_state_json(ImsSession *session);

G_END_DECLS
