/* session.c: one candidate's interview session (session.h): its peer, its
 * media and its takes.  Every phase change goes through ims_session_fire
 * (session-phase.c: the table of transitions and its diagram); this file says
 * when each event happens.
 *
 * Media readiness is an event: the media reports flowing once per negotiation
 * (ims_session_media_flowing), and a take that waited for it starts then.
 * Media that stops afterwards is noticed by one one-shot timer per session,
 * the silence deadline: armed when media starts flowing, due
 * no_media_timeout_seconds after the last packet.  When it fires it reads the
 * time of the last packet once: media that arrived since moves the deadline
 * (the timer is armed again for the rest), none means the peer is gone.
 * While media flows that is one wakeup per timeout (10 s by default), not a
 * poll; the receive path keeps its packets on its own thread and reports no
 * "stopped" event (that would cost a message per packet).
 */
#define G_LOG_DOMAIN "imsd.session"

#include "session.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "log-session.h"
#include "metrics.h"
#include "outbox.h"
#include "payloads.h"
#include "peer-handler.h"
#include "session-private.h"

const char *
ims_phase_to_string(ImsPhase phase)
{
  static const char *const names[] = { "thinking", "recording", "saving", "review", "completed" };
  return (guint) phase < G_N_ELEMENTS(names) ? names[phase] : "unknown";
}

ImsSession *
ims_session_new(ImsSessionRecord *record, const ImsSessionContext *context)
{
  ImsSession *session = g_new0(ImsSession, 1);
  g_ref_count_init(&session->ref_count);
  session->record = record;
  session->context = context;
  session->open_takes = g_ptr_array_new_with_free_func(g_free);
  session->unsaved_takes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  if (record->practice_text)
    session->practice =
        ims_question_new("practice", record->practice_text, record->practice_seconds);
  /* the initial phase; every later one comes from ims_session_fire */
  session->phase = record->state == IMS_SESSION_COMPLETED ? IMS_SESSION_PHASE_COMPLETED
                                                          : IMS_SESSION_PHASE_THINKING;
  ims_metric_add(&ims_metric_sessions, session->phase, 1);
  return session;
}

ImsSession *
ims_session_ref(ImsSession *session)
{
  g_ref_count_inc(&session->ref_count);
  return session;
}

typedef struct {
  const ImsMediaOps *ops;
  gpointer media;
} MediaClose;

static gboolean
close_media_idle(gpointer data)
{
  MediaClose *close = data;
  close->ops->close(close->media);
  g_free(close);
  return G_SOURCE_REMOVE;
}

/* Media is never freed from inside one of its own callbacks: schedule it. */
static void
close_media_later(ImsSession *session, gpointer media)
{
  if (!media)
    return;
  MediaClose *close = g_new(MediaClose, 1);
  close->ops = session->context->media;
  close->media = media;
  g_idle_add(close_media_idle, close);
}

void
ims_session_unref(ImsSession *session)
{
  if (!session || !g_ref_count_dec(&session->ref_count))
    return;
  g_clear_handle_id(&session->timer_id, g_source_remove);
  g_clear_handle_id(&session->silence_id, g_source_remove);
  /* media still open here means the registry dropped a busy session; closing
   * it cuts the file, which is still decodable (Matroska) */
  for (guint i = 0; i < session->open_takes->len; i++) {
    OpenTake *open = g_ptr_array_index(session->open_takes, i);
    if (open->media != session->media)
      session->context->media->close(open->media);
  }
  if (session->media)
    session->context->media->close(session->media);
  g_ptr_array_unref(session->open_takes);
  g_hash_table_unref(session->unsaved_takes);
  g_clear_pointer(&session->practice, ims_question_free);
  ims_metric_add(&ims_metric_sessions, session->phase, -1);
  ims_session_record_free(session->record);
  g_free(session);
}

const char *
ims_session_get_id(ImsSession *session)
{
  return session->record->id;
}

const ImsSessionRecord *
ims_session_get_record(ImsSession *session)
{
  return session->record;
}

gboolean
ims_session_is_busy(ImsSession *session)
{
  return session->peer != NULL || session->media != NULL || session->open_takes->len > 0 ||
         session->unsaved > 0;
}

/* ---- questions and takes ---- */

const ImsQuestion *
ims_session_current_question(ImsSession *session)
{
  const ImsSessionRecord *record = session->record;
  if (record->current_question == IMS_PRACTICE_QUESTION_INDEX)
    return session->practice;
  if (record->current_question < 0 || (guint) record->current_question >= record->questions->len)
    return NULL;
  return g_ptr_array_index(record->questions, record->current_question);
}

int
ims_session_count_takes(ImsSession *session, int question_index, gboolean completed_only)
{
  int count = 0;
  for (guint i = 0; i < session->record->takes->len; i++) {
    const ImsTake *take = g_ptr_array_index(session->record->takes, i);
    if (take->question_index == question_index &&
        (!completed_only || take->status == IMS_TAKE_COMPLETED))
      count++;
  }
  return count;
}

int
ims_session_retakes_left(ImsSession *session)
{
  /* the practice may be retaken at will: one more is always left */
  if (session->record->current_question == IMS_PRACTICE_QUESTION_INDEX)
    return 1;
  int used = ims_session_count_takes(session, session->record->current_question, TRUE);
  int allowed = 1 + session->record->max_retakes;
  return MIN(session->record->max_retakes, MAX(0, allowed - used));
}

OpenTake *
ims_session_find_open_take(ImsSession *session, gpointer media)
{
  for (guint i = 0; i < session->open_takes->len; i++) {
    OpenTake *open = g_ptr_array_index(session->open_takes, i);
    if (open->media == media)
      return open;
  }
  return NULL;
}

/* ---- state messages ---- */

void
ims_session_send_state(ImsSession *session)
{
  if (!session->peer)
    return;
  g_autofree char *json = ims_session_state_json(session);
  ims_peer_send(session->peer, json);
}

/* ---- takes ---- */

gboolean
ims_session_start_take(ImsSession *session, GError **error)
{
  const ImsQuestion *question = ims_session_current_question(session);
  g_autoptr(GError) local_error = NULL;

  if (!session->media || !session->media_ready) {
    g_set_error_literal(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_MEDIA_NOT_READY,
                        "Camera and microphone are not connected yet.");
    return FALSE;
  }
  g_return_val_if_fail(question != NULL, FALSE);

  g_autofree char *dir = g_build_filename(session->context->spool_dir, LOG_ID(session), NULL);
  if (g_mkdir_with_parents(dir, 0750) != 0) {
    ims_log_session(G_LOG_LEVEL_WARNING, LOG_ID(session), NULL, "cannot create %s: %s", dir,
                    g_strerror(errno));
    g_set_error_literal(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_INTERNAL,
                        "The server cannot store recordings right now.");
    return FALSE;
  }

  g_autoptr(ImsTake) take = ims_take_new();
  take->id = g_uuid_string_random();
  take->session_id = g_strdup(LOG_ID(session));
  take->question_index = session->record->current_question;
  take->number = ims_session_count_takes(session, take->question_index, FALSE) + 1;
  take->status = IMS_TAKE_RECORDING;
  g_autofree char *name =
      take->question_index == IMS_PRACTICE_QUESTION_INDEX
          ? g_strdup_printf("practice-take%d-%.8s.mkv", take->number, take->id)
          : g_strdup_printf("q%d-take%d-%.8s.mkv", take->question_index + 1, take->number, take->id);
  take->path = g_build_filename(dir, name, NULL);
  take->started_at = g_get_real_time();

  ims_session_save_take(session, take, TRUE, NULL, FALSE);
  if (!session->context->media->start_take(session->media, take->path, take->id, &local_error)) {
    ims_log_session(G_LOG_LEVEL_WARNING, LOG_ID(session), take->id, "could not start recording: %s",
                    local_error->message);
    take->status = IMS_TAKE_FAILED;
    take->stopped_at = g_get_real_time();
    take->stop_reason = g_strdup("start_failed");
    ims_metric_add(&ims_metric_takes_failed, 0, 1);
    ims_session_save_take(session, take, FALSE, NULL, FALSE);
    g_ptr_array_add(session->record->takes, g_steal_pointer(&take));
    g_set_error_literal(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_MEDIA_NOT_READY,
                        "The recording could not start; try again in a moment.");
    return FALSE;
  }

  OpenTake *open = g_new0(OpenTake, 1);
  open->take = take;
  open->media = session->media;
  open->final_status = IMS_TAKE_COMPLETED;
  g_ptr_array_add(session->open_takes, open);
  ims_metric_add(&ims_metric_takes_started, 0, 1);
  ims_log_session(G_LOG_LEVEL_INFO, LOG_ID(session), take->id, "take %d of question %d started: %s",
                  take->number, take->question_index + 1, take->path);
  g_ptr_array_add(session->record->takes, g_steal_pointer(&take));

  ims_session_fire(session, IMS_SESSION_EVENT_TAKE_STARTED, NULL);
  return TRUE;
}

/* Forgets the attached peer's media (its owner closes it) and its silence deadline. */
static void
drop_media(ImsSession *session)
{
  session->media = NULL;
  session->media_ready = FALSE;
  g_clear_handle_id(&session->silence_id, g_source_remove);
}

/* Lets go of the attached peer's media (reason: why, the stop reason of a
 * take it cuts): a take being recorded is finalized as interrupted and the
 * media closed after it; otherwise the media is closed now. */
static void
release_media(ImsSession *session, const char *reason)
{
  OpenTake *open = ims_session_find_open_take(session, session->media);

  if (open)
    open->close_media_after = TRUE;
  else
    close_media_later(session, session->media);
  ims_session_fire(session, IMS_SESSION_EVENT_MEDIA_RELEASED, reason);
  drop_media(session);
}

static void
check_shutdown_done(ImsSession *session)
{
  if (session->shutdown_done && session->open_takes->len == 0) {
    ImsDoneFunc done = session->shutdown_done;
    session->shutdown_done = NULL;
    done(session->shutdown_data);
  }
}

/* ---- media silence ---- */

static gboolean on_silence_deadline(gpointer data);

static void
arm_silence_deadline(ImsSession *session, gint64 delay_us)
{
  guint delay_ms = (guint) MAX(1, (delay_us + 999) / 1000);
  session->silence_id = g_timeout_add_full(G_PRIORITY_DEFAULT, delay_ms, on_silence_deadline,
                                           session, NULL);
}

/* No packet for no_media_timeout_seconds since the last one seen: the peer is
 * treated as gone.  A packet since moves the deadline instead. */
static gboolean
on_silence_deadline(gpointer data)
{
  ImsSession *session = data;
  gint64 timeout = (gint64) session->context->no_media_timeout_seconds * G_USEC_PER_SEC;

  session->silence_id = 0;
  gint64 last = session->context->media->last_media_time(session->media);
  gint64 silent = g_get_monotonic_time() - last;
  if (silent <= timeout) {
    arm_silence_deadline(session, timeout - silent);
    return G_SOURCE_REMOVE;
  }
  ims_log_session(G_LOG_LEVEL_WARNING, LOG_ID(session), NULL,
                  "no media for %d s, treating the peer as gone",
                  session->context->no_media_timeout_seconds);
  ImsPeer *peer = session->peer;
  release_media(session, "no_media");
  ims_session_send_state(session);
  if (peer) {
    ims_peer_send_error(peer, "media_failed",
                        "Your camera and microphone stopped reaching the server; reconnecting.",
                        NULL);
    ims_peer_close(peer, "no media");
  }
  return G_SOURCE_REMOVE;
}

/* ---- peer ---- */

gboolean
ims_session_attach(ImsSession *session, ImsPeer *peer, GError **error)
{
  ImsSessionRecord *record = session->record;

  if (record->state == IMS_SESSION_COMPLETED) {
    g_set_error_literal(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_SESSION_COMPLETED,
                        "This interview is already completed.");
    return FALSE;
  }
  if (record->state == IMS_SESSION_CREATED) {
    GPtrArray *events = NULL;
    record->state = IMS_SESSION_ACTIVE;
    record->started_at = g_get_real_time();
    ims_outbox_add(&events, IMS_EVENT_CANDIDATE_STARTED,
                   ims_event_payload_candidate_started(record, ims_peer_get_user_agent(peer),
                                                       record->started_at),
                   record->id);
    ims_outbox_add(&events, IMS_EVENT_INTERVIEW_STARTED,
                   ims_event_payload_interview_started(record, record->started_at), record->id);
    ims_session_save_progress(session, events);
  }
  if (session->peer && session->peer != peer) {
    ImsPeer *old = session->peer;
    ims_log_session(G_LOG_LEVEL_INFO, LOG_ID(session), NULL,
                    "a new connection replaces the previous one");
    ims_peer_send_error(old, "replaced", "The interview was opened in another window.", NULL);
    ims_session_detach(session, old);
    ims_peer_close(old, "replaced");
  }
  if (session->peer != peer)
    ims_metric_add(&ims_metric_candidates_connected, 0, 1);
  session->joined_at = g_get_monotonic_time();
  session->peer = peer;
  ims_session_fire(session, IMS_SESSION_EVENT_JOINED, NULL);
  ims_log_session(G_LOG_LEVEL_INFO, LOG_ID(session), NULL, "candidate joined at question %d (%s)",
                  record->current_question + 1, ims_session_phase_name(session->phase));
  ims_session_send_state(session);
  return TRUE;
}

ImsPeer *
ims_session_get_peer(ImsSession *session)
{
  return session->peer;
}

void
ims_session_detach(ImsSession *session, ImsPeer *peer)
{
  if (session->peer != peer)
    return;
  ims_log_session(G_LOG_LEVEL_INFO, LOG_ID(session), NULL, "candidate left");
  release_media(session, "disconnected");
  session->peer = NULL;
  ims_metric_add(&ims_metric_candidates_connected, 0, -1);
}

/* ---- messages ---- */

static gboolean
handle_offer(ImsSession *session, const char *sdp, GError **error)
{
  const ImsMediaOps *ops = session->context->media;
  g_autoptr(GError) local_error = NULL;

  if (ims_session_visible_phase(session) == IMS_PHASE_RECORDING ||
      ims_session_visible_phase(session) == IMS_PHASE_SAVING) {
    g_set_error_literal(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_BAD_STATE,
                        "Cannot renegotiate while a take is being recorded.");
    return FALSE;
  }
  if (session->media)
    release_media(session, "renegotiated");

  gpointer media = ops->open(session, session->context->media_data, &local_error);
  if (!media) {
    ims_log_session(G_LOG_LEVEL_WARNING, LOG_ID(session), NULL,
                    "cannot create the media pipeline: %s", local_error->message);
    g_set_error_literal(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_INTERNAL,
                        "The server cannot receive media right now.");
    return FALSE;
  }
  if (!ops->handle_offer(media, sdp, &local_error)) {
    ops->close(media);
    g_set_error(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_BAD_SDP, "The offer was refused: %s",
                local_error->message);
    return FALSE;
  }
  /* waiting for media (think time over or given up), the take starts once this media flows */
  session->media = media;
  return TRUE;
}

static gboolean
bad_state(GError **error, const char *what, ImsSession *session)
{
  g_set_error(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_BAD_STATE, "Cannot %s while %s.", what,
              ims_phase_to_string(ims_session_visible_phase(session)));
  return FALSE;
}

gboolean
ims_session_handle_message(ImsSession *session, ImsPeer *peer, const ImsMessage *message,
                           GError **error)
{
  const ImsMediaOps *ops = session->context->media;
  g_autoptr(GError) local_error = NULL;

  if (peer != session->peer) {
    g_set_error_literal(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_BAD_STATE,
                        "This connection no longer controls the interview.");
    return FALSE;
  }

  if (session->phase == IMS_SESSION_PHASE_COMPLETED && message->type != IMS_MESSAGE_PING) {
    g_set_error_literal(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_SESSION_COMPLETED,
                        "This interview is already completed.");
    return FALSE;
  }

  switch (message->type) {
  case IMS_MESSAGE_OFFER:
    return handle_offer(session, message->sdp, error);

  case IMS_MESSAGE_ICE:
    if (!session->media) {
      g_set_error_literal(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_BAD_STATE,
                          "Send an offer before ICE candidates.");
      return FALSE;
    }
    if (!ops->add_ice_candidate(session->media, message->mline_index, message->candidate,
                                &local_error)) {
      g_set_error(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_BAD_CANDIDATE,
                  "The ICE candidate was refused: %s", local_error->message);
      return FALSE;
    }
    return TRUE;

  case IMS_MESSAGE_TAKE_START:
    if (session->phase == IMS_SESSION_PHASE_REVIEW && ims_session_retakes_left(session) == 0) {
      g_set_error_literal(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_NO_RETAKES_LEFT,
                          "No retakes are left for this question.");
      return FALSE;
    }
    if (!ims_session_can(session, IMS_SESSION_EVENT_TAKE_STARTED))
      return bad_state(error, "start a take", session);
    if (!ims_session_start_take(session, error))
      return FALSE;
    break;

  case IMS_MESSAGE_TAKE_STOP:
    if (!ims_session_can(session, IMS_SESSION_EVENT_STOP_ASKED) ||
        !ims_session_find_open_take(session, session->media))
      return bad_state(error, "stop a take", session);
    ims_session_fire(session, IMS_SESSION_EVENT_STOP_ASKED, "candidate");
    break;

  case IMS_MESSAGE_RETAKE:
    if (!ims_session_can(session, IMS_SESSION_EVENT_RETAKE_ASKED))
      return bad_state(error, "retake", session);
    if (ims_session_retakes_left(session) == 0) {
      g_set_error_literal(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_NO_RETAKES_LEFT,
                          "No retakes are left for this question.");
      return FALSE;
    }
    ims_session_fire(session, IMS_SESSION_EVENT_RETAKE_ASKED, NULL);
    break;

  case IMS_MESSAGE_PRACTICE:
    /* once, before question 1 is touched: the practice comes first or not at all */
    if (!session->practice || session->record->current_question != 0 ||
        ims_session_count_takes(session, 0, FALSE) > 0 ||
        ims_session_count_takes(session, IMS_PRACTICE_QUESTION_INDEX, FALSE) > 0 ||
        !ims_session_can(session, IMS_SESSION_EVENT_JOINED) ||
        session->phase == IMS_SESSION_PHASE_REVIEW)
      return bad_state(error, "practise", session);
    session->record->current_question = IMS_PRACTICE_QUESTION_INDEX;
    ims_session_save_progress(session, NULL);
    /* entered again, thinking on the practice question with its countdown */
    ims_session_fire(session, IMS_SESSION_EVENT_JOINED, NULL);
    break;

  case IMS_MESSAGE_NEXT:
    if (!ims_session_can(session, IMS_SESSION_EVENT_NEXT_ASKED))
      return bad_state(error, "go to the next question", session);
    ims_session_fire(session, IMS_SESSION_EVENT_NEXT_ASKED, NULL);
    break;

  case IMS_MESSAGE_END:
    /* with a take on the media it completes once the take is saved (ending) */
    ims_session_fire(session, IMS_SESSION_EVENT_END_ASKED, "ended");
    break;

  case IMS_MESSAGE_JOIN:
  case IMS_MESSAGE_PING:
  default:
    g_set_error_literal(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_BAD_STATE,
                        "This message is handled by the connection.");
    return FALSE;
  }

  ims_session_send_state(session);
  return TRUE;
}

/* ---- media reports ---- */

void
ims_session_media_answer(ImsSession *session, gpointer media, const char *sdp)
{
  if (media != session->media || !session->peer)
    return;
  g_autofree char *json = ims_message_answer_json(sdp);
  ims_peer_send(session->peer, json);
}

void
ims_session_media_ice_candidate(ImsSession *session, gpointer media, guint mline_index,
                                const char *candidate)
{
  if (media != session->media || !session->peer)
    return;
  g_autofree char *json = ims_message_ice_json(mline_index, candidate);
  ims_peer_send(session->peer, json);
}

void
ims_session_media_flowing(ImsSession *session, gpointer media)
{
  if (media != session->media || session->media_ready)
    return;
  session->media_ready = TRUE;
  if (session->joined_at) /* the first media since the join */
    ims_metric_observe(&ims_metric_join_seconds, 0,
                       (g_get_monotonic_time() - session->joined_at) / 1e6);
  session->joined_at = 0;
  ims_log_session(G_LOG_LEVEL_INFO, LOG_ID(session), NULL, "media flowing");
  arm_silence_deadline(session,
                       (gint64) session->context->no_media_timeout_seconds * G_USEC_PER_SEC);
  if (session->phase == IMS_SESSION_PHASE_WAITING_FOR_MEDIA) {
    g_autoptr(GError) error = NULL;
    if (!ims_session_start_take(session, &error) && session->peer)
      ims_peer_send_error(session->peer, ims_signal_error_code_of(error), error->message, NULL);
  }
  ims_session_send_state(session);
}

void
ims_session_media_take_started(ImsSession *session, gpointer media)
{
  OpenTake *open = ims_session_find_open_take(session, media);
  if (!open)
    return;
  open->writing = TRUE;
  ims_log_session(G_LOG_LEVEL_INFO, LOG_ID(session), open->take->id,
                  "take %d of question %d: first keyframe written", open->take->number,
                  open->take->question_index + 1);
  if (media == session->media)
    ims_session_send_state(session);
}

/* The one way a take ends, for a finished take and for one cut by a media failure: open's take (its
 * fields already set by the caller) is queued as final through the retried write (a refused write is
 * reported to the candidate, on_session_written), with candidate.response_submitted when it has
 * media (completed or interrupted); processing starts once the row is written.  open is removed and its media closed if it has
 * no peer any more.  current says the take was on the attached peer's media: the session then moves on
 * (IMS_SESSION_EVENT_TAKE_FINALIZED: completes when the candidate asked to end, else resumes) and
 * "state" is sent. */
static void
finalize_take(ImsSession *session, OpenTake *open, gboolean current)
{
  ImsTake *take = open->take;
  GPtrArray *events = NULL;

  if (!take->stop_reason)
    take->stop_reason = g_strdup("media");
  /* every take that has media is announced, completed or interrupted; the
   * original's media file id is the take's */
  if ((take->status == IMS_TAKE_COMPLETED || take->status == IMS_TAKE_INTERRUPTED) &&
      take->question_index != IMS_PRACTICE_QUESTION_INDEX)
    ims_outbox_add(&events, IMS_EVENT_CANDIDATE_RESPONSE_SUBMITTED,
                   ims_event_payload_candidate_response_submitted(session->record, take, take->id),
                   session->record->id);
  ims_session_save_take(session, take, FALSE, events, TRUE);
  ims_metric_add(take->status == IMS_TAKE_COMPLETED     ? &ims_metric_takes_completed
                 : take->status == IMS_TAKE_INTERRUPTED ? &ims_metric_takes_interrupted
                                                        : &ims_metric_takes_failed,
                 0, 1);
  ims_log_session(G_LOG_LEVEL_INFO, LOG_ID(session), take->id,
                  "take %d of question %d saved: %s (%s), %" G_GINT64_FORMAT
                  " ms, %" G_GINT64_FORMAT " bytes, %s/%s %dx%d",
                  take->number, take->question_index + 1, ims_take_status_to_string(take->status),
                  take->stop_reason, take->duration_ms, take->size_bytes,
                  take->video_codec ? take->video_codec : "-",
                  take->audio_codec ? take->audio_codec : "-", take->width, take->height);

  if (open->close_media_after)
    close_media_later(session, open->media);
  g_ptr_array_remove(session->open_takes, open);

  if (current)
    ims_session_fire(session, IMS_SESSION_EVENT_TAKE_FINALIZED, NULL);
  ims_session_send_state(session);
  check_shutdown_done(session);
}

void
ims_session_media_take_finished(ImsSession *session, gpointer media, const char *path,
                                gint64 duration_ms, gint64 size_bytes, const char *video_codec,
                                const char *audio_codec, int width, int height, gboolean complete,
                                const char *completeness)
{
  OpenTake *open = ims_session_find_open_take(session, media);

  if (!open) {
    ims_log_session(G_LOG_LEVEL_WARNING, LOG_ID(session), NULL,
                    "a take finished that is not open: %s", path);
    return;
  }
  ImsTake *take = open->take;
  take->stopped_at = g_get_real_time();
  take->duration_ms = duration_ms;
  take->size_bytes = size_bytes;
  g_free(take->video_codec);
  take->video_codec = g_strdup(video_codec);
  g_free(take->audio_codec);
  take->audio_codec = g_strdup(audio_codec);
  take->width = width;
  take->height = height;
  g_free(take->completeness);
  take->completeness = g_strdup(completeness);
  if (!video_codec && !audio_codec)
    take->status = IMS_TAKE_FAILED; /* nothing was written */
  else if (!complete)
    take->status = IMS_TAKE_INTERRUPTED;
  else
    take->status = open->final_status;
  finalize_take(session, open, media == session->media);
}

void
ims_session_media_failed(ImsSession *session, gpointer media, const char *reason)
{
  OpenTake *open = ims_session_find_open_take(session, media);
  gboolean current = media == session->media;
  ImsPeer *peer = current ? session->peer : NULL;

  ims_log_session(G_LOG_LEVEL_WARNING, LOG_ID(session), open ? open->take->id : NULL,
                  "media failed: %s", reason);
  if (current) {
    /* the attached peer's media is gone: it is closed once its take (if any) is finalized */
    drop_media(session);
    if (open)
      open->close_media_after = TRUE; /* the take is cut: finalize_take moves the session on */
    else
      close_media_later(session, media);
    ims_session_fire(session, IMS_SESSION_EVENT_MEDIA_FAILED, reason);
  }
  if (open) {
    /* the pipeline is gone: the file holds what reached it */
    open->take->status = IMS_TAKE_INTERRUPTED;
    open->take->stopped_at = g_get_real_time();
    g_free(open->take->stop_reason);
    open->take->stop_reason = g_strdup("media_failed");
    finalize_take(session, open, current);
  }
  if (peer) {
    ims_peer_send_error(peer, "media_failed", "The media connection failed; reconnecting.", NULL);
    ims_peer_close(peer, "media failed");
  }
  check_shutdown_done(session);
}

void
ims_session_shutdown(ImsSession *session, ImsDoneFunc done, gpointer user_data)
{
  session->shutdown_done = done;
  session->shutdown_data = user_data;
  if (session->media)
    release_media(session, "shutdown");
  check_shutdown_done(session);
}
