/* store.h: the seam to PostgreSQL.
 *
 * The rest of imsd sees records (model/records.h) and an ImsStore: a few
 * operations every caller shares (ping, transactions, the outbox append), and
 * one table per consumer (sessions, media, outbox, privacy, review, rooms); only pg/ (store-pg.h) includes libpq-fe.h.  Unit tests provide their
 * own ImsStore.  Every function returns TRUE/FALSE (or NULL) with a GError
 * (IMS_STORE_ERROR); on failure nothing is changed in the database.
 *
 * Calls are synchronous, one short statement or one transaction bounded by
 * the connection's statement_timeout; in imsd they run only on the database
 * thread (database.h), never on the main loop.
 */
#pragma once

#include <glib.h>

#include "records.h"

G_BEGIN_DECLS

typedef struct _ImsStore ImsStore;

/* Told after ims_store_change committed events, on the database thread: the
 * relay then publishes them at once instead of at its next look.  Embed it
 * in the struct of whoever listens; the store passes it back. */
typedef struct _ImsEventsListener ImsEventsListener;
struct _ImsEventsListener {
  void (*events_committed)(ImsEventsListener *listener);
};

/* The interview (interview/) and the service API: sessions, questions and takes;
 * crash recovery lists the takes a previous run left open (and the rooms:
 * ImsRoomStoreOps.list_rooms_to_recover). */
typedef struct {
  /* Inserts the session and its questions in one transaction.  record->takes is ignored. */
  gboolean (*create_session)(ImsStore *store, const ImsSessionRecord *record, GError **error);
  /* Loads a session with its questions and takes; NULL with IMS_STORE_ERROR_NOT_FOUND
   * if there is none.  Transfer full. */
  ImsSessionRecord *(*load_session)(ImsStore *store, const char *session_id, GError **error);
  /* Saves state, current_question, started_at and completed_at of the session. */
  gboolean (*save_progress)(ImsStore *store, const ImsSessionRecord *record, GError **error);
  /* Inserts a take (normally with status RECORDING). */
  gboolean (*insert_take)(ImsStore *store, const ImsTake *take, GError **error);
  /* Updates status, stopped_at, duration, size, codecs, resolution and stop_reason of take->id.
   * A take becoming failed before it was processed gets processing status "failed" too. */
  gboolean (*update_take)(ImsStore *store, const ImsTake *take, GError **error);
  /* Takes left RECORDING by a previous run (crash): returns them (transfer full,
   * GPtrArray of ImsTake*, free func set) without changing them.  A live
   * room's take whose file never opened (path still empty: insert_segment)
   * is not listed: nothing of it is on disk, and no spool can claim it. */
  GPtrArray *(*list_open_takes)(ImsStore *store, GError **error);
} ImsSessionStoreOps;

/* Processing (processing/): finished takes waiting for renditions, and the
 * objects stored for them. */
typedef struct {
  /* Finished takes (completed or interrupted) not processed yet whose file
   * path starts with path_prefix (an instance's spool), oldest first:
   * GPtrArray of ImsProcessingJob*, free func set, transfer full. */
  GPtrArray *(*list_unprocessed_takes)(ImsStore *store, const char *path_prefix, GError **error);
  /* The objects already stored for a take: GPtrArray of ImsMediaFile*. */
  GPtrArray *(*list_media_files)(ImsStore *store, const char *take_id, GError **error);
  /* Records an object S3 has confirmed.  A second row for the same take and
   * kind is not added (TRUE: the object is recorded).  The original of a live
   * room's candidate take is also the object of the room recording with the
   * take's path. */
  gboolean (*add_media_file)(ImsStore *store, const ImsMediaFile *file, GError **error);
  /* Marks the take processed with its processing status ("processed",
   * "repaired" or "failed", see ImsTake); error_text records why a failed
   * take's renditions could not be made (NULL otherwise). */
  gboolean (*finish_processing)(ImsStore *store, const char *take_id, const char *status,
                                const char *error_text, GError **error);
} ImsMediaStoreOps;

/* The relay (events/relay.c): the outbox, read in order and marked sent. */
typedef struct {
  /* Up to limit unsent events with an id above after_id, in the order they
   * were recorded (transfer full). */
  GPtrArray *(*list_pending_events)(ImsStore *store, gint64 after_id, int limit, GError **error);
  /* Marks the outbox rows sent (their delivery was acknowledged), in one statement. */
  gboolean (*mark_events_sent)(ImsStore *store, const gint64 *ids, guint count, GError **error);
  /* Number of unsent events (for /readyz). */
  gint64 (*count_pending_events)(ImsStore *store, GError **error);
} ImsOutboxStoreOps;

/* Privacy (privacy/): consumed platform events, a user's media and erasure,
 * media deleted, retention. */
typedef struct {
  /* Consumed events: *processed is TRUE if (event_id, service) was recorded. */
  gboolean (*is_event_processed)(ImsStore *store, const char *event_id, const char *service,
                                 gboolean *processed, GError **error);
  /* Records (event_id, service); inside the transaction of the event's effect. */
  gboolean (*mark_event_processed)(ImsStore *store, const char *event_id, const char *service,
                                   const char *event_type, GError **error);
  /* Every stored object of the user's sessions (ImsMediaFile*), with those of
   * the user's live rooms (uploaded room recordings: id the recording's,
   * kind "room-recording", but not a candidate take's, whose object is its
   * take's original; the composite: id the room's, kind "composite"),
   * and the spool paths of the user's takes and room recordings with each
   * room's composite-<room id>.mp4 (char*; no empty path). */
  GPtrArray *(*list_user_media_files)(ImsStore *store, const char *user_id, GError **error);
  GPtrArray *(*list_user_take_paths)(ImsStore *store, const char *user_id, GError **error);
  /* Deletes every session of the user with its questions, takes and
   * media_files rows (and a live session's room with its participants,
   * segments and recordings); *sessions gets how many.  In other users'
   * rooms (an interviewer's) the user's name and email are cleared.  The user's events in the
   * outbox (payload userId) go too if they were sent; those not sent yet
   * stay, to go out in order, scrubbed of the user's personal data
   * (candidateEmail, userAgent).  Run it inside the erasure's transaction,
   * before its media.deleted events are appended.  Cost: the outbox rows
   * whose text holds the user id are parsed as JSON. */
  gboolean (*erase_user)(ImsStore *store, const char *user_id, int *sessions, GError **error);
  /* Deletes the outbox rows sent before sent_before (unix us); *purged
   * (may be NULL) gets how many.  Unsent rows are never touched. */
  gboolean (*purge_sent_events)(ImsStore *store, gint64 sent_before, gint64 *purged, GError **error);
  /* Marks the object deleted (inside the transaction of its media.deleted):
   * a media_files row by its id (a live take's room recording, which shares
   * its object, loses the key too), a room recording or a room's composite
   * (ids as list_user_media_files gives them) loses its key.  NOT_FOUND if
   * no object has the id. */
  gboolean (*mark_media_deleted)(ImsStore *store, const char *file_id, GError **error);
  /* Retention: stored objects created before older_than (unix us) of the
   * company's sessions, or, with company_id NULL, of every company not in
   * excluded (NULL-terminated), with the live rooms' objects (as
   * list_user_media_files lists them, a candidate take's recording only as
   * its take's original) of rooms that ended before older_than.  Ordered by
   * session: each file's session_id groups them; the user of each is in the
   * parallel array users (char*).  Transfer full. */
  GPtrArray *(*list_expired_media_files)(ImsStore *store, const char *company_id,
                                         const char *const *excluded, gint64 older_than,
                                         GPtrArray **users, GError **error);
} ImsPrivacyStoreOps;

/* The review API (http/review-api.c): the session list, a session's
 * objects, one object, the audit log. */
typedef struct {
  /* Recruiters: the session list (ImsSessionSummary*, newest first) and its total. */
  GPtrArray *(*list_sessions)(ImsStore *store, const ImsSessionFilter *filter, gint64 *total,
                              GError **error);
  /* Stored (not deleted) objects of a session (ImsMediaFile*). */
  GPtrArray *(*list_session_media_files)(ImsStore *store, const char *session_id, GError **error);
  /* One stored object and the company of its session (transfer full); NULL
   * with NOT_FOUND if there is none. */
  ImsMediaFile *(*get_media_file)(ImsStore *store, const char *file_id, char **company_id,
                                  GError **error);
  gboolean (*add_audit)(ImsStore *store, const ImsAuditEntry *entry, GError **error);
} ImsReviewStoreOps;

/* Live rooms (interview/room*, http/room-api.c, processing/room-*): a room
 * with its participants, segments and recordings (docs/live-rooms.md). */
typedef struct {
  /* The room, its participants and its candidate session (with questions)
   * in one transaction.  IMS_STORE_ERROR_CONFLICT if the interview already
   * has a room that is not ended (or a row with the same id exists). */
  gboolean (*create_room)(ImsStore *store, const ImsRoomRecord *room,
                          const ImsSessionRecord *session, GError **error);
  /* The room with its participants, segments (by index) and recordings;
   * NULL with IMS_STORE_ERROR_NOT_FOUND.  Transfer full. */
  ImsRoomRecord *(*load_room)(ImsStore *store, const char *room_id, GError **error);
  /* Saves state, started_at, ended_at (and the session's state with it:
   * live -> active with started_at, ended -> completed with completed_at). */
  gboolean (*save_room_state)(ImsStore *store, const ImsRoomRecord *room, GError **error);
  /* Opens a segment (with the candidate's take row inserted before it when
   * take_id is set: of question segment->question_index, numbered by how many
   * times that question was marked, status RECORDING, started_at the
   * segment's, path empty until insert_recording of the candidate's camera
   * file of this segment sets it; the take is finished with
   * sessions.update_take as a one-way take is).  One statement.
   * IMS_STORE_ERROR_CONFLICT for an index the room already has, NOT_FOUND
   * without the room or the question. */
  gboolean (*insert_segment)(ImsStore *store, const char *room_id, const ImsRoomSegment *segment,
                             GError **error);
  /* Sets ended_at of segment index; NOT_FOUND if the room has no such segment. */
  gboolean (*finish_segment)(ImsStore *store, const char *room_id, int index, gint64 ended_at,
                             GError **error);
  /* The candidate's camera file of a question segment also becomes its
   * take's path.  IMS_STORE_ERROR_CONFLICT for a second (segment,
   * participant, stream); NOT_FOUND without the segment or participant. */
  gboolean (*insert_recording)(ImsStore *store, const char *room_id,
                               const ImsRoomRecording *recording, GError **error);
  /* status, duration, size, object_key of recording->id; NOT_FOUND if none. */
  gboolean (*update_recording)(ImsStore *store, const ImsRoomRecording *recording, GError **error);
  /* Appends an off-script question to the session: *index gets the next
   * question index (the number of questions before it).  NOT_FOUND without
   * the session. */
  gboolean (*add_question)(ImsStore *store, const char *session_id, const ImsQuestion *question,
                           int *index, GError **error);
  /* Ended rooms whose composite is pending or failed-retryable (failed fewer
   * than 3 times: each set_composite "failed" counts one), oldest end first
   * (char* room ids, free func set, transfer full).  With with_processing,
   * also those left "processing" (fewer than 3 failures too), so that a run
   * that crashed mid-composite is retried: the caller skips the rooms it is
   * handling itself.  A set_composite "processing" of a room already
   * processing counts one failure (an attempt a crash cut), so a room whose
   * composite brings imsd down is not retried forever. */
  GPtrArray *(*list_rooms_to_composite)(ImsStore *store, gboolean with_processing,
                                        GError **error);
  /* Sets composite_status, composite_key, composite_size, composite_chapters
   * (key and chapters may be NULL); NOT_FOUND without the room. */
  gboolean (*set_composite)(ImsStore *store, const char *room_id, const char *status,
                            const char *key, gint64 size, const char *chapters, GError **error);
  /* Crash recovery: the rooms not ended with a recording left RECORDING by a
   * previous run whose path starts with path_prefix (an instance's spool),
   * oldest start first (char* room ids, free func set, transfer full).
   * Changes nothing. */
  GPtrArray *(*list_rooms_to_recover)(ImsStore *store, const char *path_prefix, GError **error);
} ImsRoomStoreOps;

/* Per-answer ratings (http/ratings-api.c): one rating (1-5) and note per
 * take and recruiter, visible to the recruiter's company. */
typedef struct {
  char *take_id;
  char *recruiter; /* the token's sub */
  char *company_id;
  int rating;
  char *note; /* "" when none */
  gint64 updated_at; /* unix us; out of save_rating */
} ImsTakeRating;

void ims_take_rating_free(ImsTakeRating *rating);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsTakeRating, ims_take_rating_free)

typedef struct {
  /* The session and company of a take (transfer full); FALSE with NOT_FOUND
   * without the take. */
  gboolean (*get_take_owner)(ImsStore *store, const char *take_id, char **session_id,
                             char **company_id, GError **error);
  /* Inserts or replaces (take, recruiter)'s rating; sets rating->updated_at. */
  gboolean (*save_rating)(ImsStore *store, ImsTakeRating *rating, GError **error);
  /* Deletes (take, recruiter)'s rating; NOT_FOUND if there is none. */
  gboolean (*delete_rating)(ImsStore *store, const char *take_id, const char *recruiter,
                            GError **error);
  /* The ratings (ImsTakeRating*) of company_id's recruiters (NULL: every
   * company's) of the session's takes, by take then recruiter. */
  GPtrArray *(*list_session_ratings)(ImsStore *store, const char *session_id,
                                     const char *company_id, GError **error);
} ImsRatingStoreOps;

struct _ImsStore {
  /* TRUE if the database answers (SELECT 1); reconnects once if the connection dropped. */
  gboolean (*ping)(ImsStore *store, GError **error);
  /* Transactions: everything between begin and commit is one atomic change
   * (no reconnect inside).  rollback never fails. */
  gboolean (*begin)(ImsStore *store, GError **error);
  gboolean (*commit)(ImsStore *store, GError **error);
  void (*rollback)(ImsStore *store);
  /* Adds events (ImsOutboxEvent*) to the outbox; inside a transaction they
   * commit with the state change that caused them. */
  gboolean (*append_events)(ImsStore *store, const GPtrArray *events, GError **error);

  /* The operations, grouped by the layer that calls them: a fake store for a
   * unit test fills the group its code uses, nothing else. */
  ImsSessionStoreOps sessions;
  ImsMediaStoreOps media;
  ImsOutboxStoreOps outbox;
  ImsPrivacyStoreOps privacy;
  ImsReviewStoreOps review;
  ImsRoomStoreOps rooms;
  ImsRatingStoreOps ratings;

  void (*free)(ImsStore *store);

  /* Optional, not owned: set before the database thread runs a job that
   * commits events, valid as long as that thread runs jobs. */
  ImsEventsListener *events_listener;
};

/* Runs body inside one transaction together with appending events: all of
 * it commits, or nothing does.  Without events (NULL or empty) body runs
 * alone, outside a transaction: for a body of one statement. */
gboolean ims_store_change(ImsStore *store,
                          gboolean (*body)(ImsStore *store, gpointer data, GError **error),
                          gpointer data, const GPtrArray *events, GError **error);
/* The same, but body runs inside the transaction even without events (a
 * body of several statements). */
gboolean ims_store_change_atomic(ImsStore *store,
                                 gboolean (*body)(ImsStore *store, gpointer data, GError **error),
                                 gpointer data, const GPtrArray *events, GError **error);

static inline void
ims_store_free(ImsStore *store)
{
  if (store)
    store->free(store);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsStore, ims_store_free)

#define IMS_STORE_ERROR (ims_store_error_quark())
GQuark ims_store_error_quark(void);
typedef enum {
  IMS_STORE_ERROR_CONNECT,
  IMS_STORE_ERROR_MIGRATE,
  IMS_STORE_ERROR_QUERY,
  IMS_STORE_ERROR_NOT_FOUND,
  IMS_STORE_ERROR_CONFLICT, /* unique violation */
} ImsStoreError;

G_END_DECLS
