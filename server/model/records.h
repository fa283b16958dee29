/* records.h: the records every layer shares.
 *
 * Plain structs: an interview session with its questions and takes, the
 * objects stored for a take, a finished take waiting for processing, an event
 * waiting in the outbox, and the recruiters' list filters, rows and audit
 * entries; a live room with its participants, segments and recordings
 * (docs/live-rooms.md).  A record owns every string and array it points to; it has no
 * lifecycle beyond new -> filled -> free, and no behaviour: the store
 * (server/store/) reads and writes them, the other layers pass them around.
 * Times are unix microseconds (g_get_real_time).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  char *id; /* the platform's question id */
  char *text;
  int time_limit_seconds;
} ImsQuestion;

typedef enum {
  IMS_TAKE_RECORDING,   /* file being written */
  IMS_TAKE_COMPLETED,   /* finalized, counts as an answer */
  IMS_TAKE_INTERRUPTED, /* cut by a crash or a lost connection; file kept, does not use a retake */
  IMS_TAKE_FAILED,      /* nothing usable was written */
} ImsTakeStatus;

const char *ims_take_status_to_string(ImsTakeStatus status);
gboolean ims_take_status_from_string(const char *text, ImsTakeStatus *status);

typedef struct {
  char *id; /* UUID, made by imsd */
  char *session_id;
  int question_index; /* 0-based */
  int number;         /* 1-based, per question, interrupted takes included */
  ImsTakeStatus status;
  char *path;        /* absolute path of the Matroska file in the spool */
  gint64 started_at; /* unix microseconds (g_get_real_time) */
  gint64 stopped_at; /* 0 while recording */
  gint64 duration_ms;
  gint64 size_bytes;
  char *video_codec; /* NULL if none */
  char *audio_codec;
  int width, height;
  char *stop_reason;  /* "candidate", "time_limit", "disconnected", "shutdown", "crash", ... */
  char *completeness; /* the take's completeness record (docs/ingest.md) as the text of a JSON
                             * object, from the ingest when the take finished (takes.completeness,
                             * jsonb: read back normalized); NULL = unknown (a take recorded before it existed,
                             * a take still recording or cut by a crash).  update_take keeps the
                             * stored record when this is NULL. */
  /* Renditions and uploads (read from the database; insert_take and update_take ignore them):
   * "pending" (not processed yet), "processed", "repaired" (processed from a re-timestamped copy),
   * "failed" (processing_error says why; a take that recorded nothing is failed too).  NULL if not loaded. */
  char *processing_status;
  char *processing_error; /* NULL unless failed */
} ImsTake;

typedef enum {
  IMS_SESSION_CREATED,   /* never joined */
  IMS_SESSION_ACTIVE,    /* joined at least once, not finished */
  IMS_SESSION_COMPLETED, /* every question answered or ended by the candidate */
} ImsSessionState;

const char *ims_session_state_to_string(ImsSessionState state);
gboolean ims_session_state_from_string(const char *text, ImsSessionState *state);

/* One-way (questions, think time, takes) or the candidate's session of a live room. */
typedef enum {
  IMS_SESSION_ONE_WAY, /* the default */
  IMS_SESSION_LIVE,
} ImsSessionKind;

const char *ims_session_kind_to_string(ImsSessionKind kind); /* "one_way", "live" */
gboolean ims_session_kind_from_string(const char *text, ImsSessionKind *kind);

typedef struct {
  char *id; /* UUID, made by imsd */
  ImsSessionKind kind;
  char *interview_id;
  char *invitation_id; /* NULL if not given */
  char *user_id;
  char *candidate_email; /* NULL if not given */
  char *company_id;      /* NULL if not given */
  char *profile;
  int think_seconds;
  int max_retakes;
  ImsSessionState state;
  int current_question; /* 0-based index the candidate is on */
  gint64 created_at;    /* unix microseconds */
  gint64 expires_at;
  gint64 started_at;    /* 0 if never */
  gint64 completed_at;  /* 0 if not */
  GPtrArray *questions; /* of ImsQuestion*, owned */
  GPtrArray *takes;     /* of ImsTake*, owned, ordered by question then number */
  char *room_id;        /* a live session's room (read by load_session and the review list;
                         * create_session ignores it), else NULL */
  /* What the candidate's overview shows (candidate-api.c); NULL if not given */
  char *title;        /* the interview's title */
  char *company_name; /* the company's name as the candidate knows it */
  char *practice_text;  /* the practice question offered first; NULL: none */
  int practice_seconds; /* its time limit (0 without practice) */
} ImsSessionRecord;

/* The question index (current_question, takes, questions.idx) of the practice
 * question: before question 1, never counted, never shown to recruiters, never
 * announced (docs/database.md). */
#define IMS_PRACTICE_QUESTION_INDEX (-1)

ImsQuestion *ims_question_new(const char *id, const char *text, int time_limit_seconds);
void ims_question_free(ImsQuestion *question);
ImsTake *ims_take_new(void);
ImsTake *ims_take_copy(const ImsTake *take);
void ims_take_free(ImsTake *take);
ImsSessionRecord *ims_session_record_new(void); /* empty arrays, ready to fill */
void ims_session_record_free(ImsSessionRecord *record);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsQuestion, ims_question_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsTake, ims_take_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsSessionRecord, ims_session_record_free)

/* One object stored in S3 for a take (a row of media_files). */
typedef struct {
  char *id; /* UUID, made by imsd */
  char *take_id;
  char *session_id;
  char *kind; /* "original", "video/mp4", "thumbnail", "audio/wav-16k" */
  char *key;  /* the object key */
  char *content_type;
  gint64 size_bytes;
  char *checksum;    /* SHA-256 of the bytes, hex */
  gint64 created_at; /* unix microseconds; 0 = now */
} ImsMediaFile;

/* A finished take waiting for renditions and uploads, with what its object
 * keys and its profile need. */
typedef struct {
  ImsTake *take;
  char *interview_id;
  char *question_id;
  char *user_id;
  char *profile;
} ImsProcessingJob;

ImsMediaFile *ims_media_file_new(void);
void ims_media_file_free(ImsMediaFile *file);
ImsProcessingJob *ims_processing_job_copy(const ImsProcessingJob *job); /* transfer full */
void ims_processing_job_free(ImsProcessingJob *job);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsMediaFile, ims_media_file_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsProcessingJob, ims_processing_job_free)

/* An event waiting in the outbox (contract: ../shared/contracts/events.md). */
typedef struct {
  gint64 id;        /* outbox row, set by the store; orders events */
  char *event_id;   /* UUID v4, made once when the event is recorded */
  char *event_type; /* "candidate.started", ... */
  char *topic;
  char *key;         /* partition key */
  char *value;       /* the envelope, JSON text */
  gint64 created_at; /* unix microseconds, set by the store */
} ImsOutboxEvent;

ImsOutboxEvent *ims_outbox_event_new(const char *event_id, const char *event_type,
                                     const char *topic, const char *key, const char *value);
void ims_outbox_event_free(ImsOutboxEvent *event);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsOutboxEvent, ims_outbox_event_free)

/* Filters of the recruiters' session list; NULL / 0 fields do not filter. */
typedef struct {
  const char *company_id; /* NULL: every company (admin) */
  const char *interview_id;
  const char *state; /* "created", "active", "completed" */
  gint64 from, to;   /* created_at range, unix microseconds */
  int limit, offset;
  const char *candidate_email; /* a part of it, any case */
  gboolean oldest_first;       /* FALSE: newest first */
} ImsSessionFilter;

/* A row of the session list. */
typedef struct {
  ImsSessionRecord *record; /* without questions and takes */
  int question_count;
  int take_count;
  int questions_answered; /* distinct questions with a completed take */
} ImsSessionSummary;

void ims_session_summary_free(ImsSessionSummary *summary);

/* Who did what to which media, from where. */
typedef struct {
  const char *actor; /* the token's sub */
  const char *role;
  const char *company_id; /* the actor's, may be NULL */
  const char *action; /* "list_sessions", "view_session", "media_url", "delete_media", "retention",
                       * "view_room" */
  const char *target; /* session or file id, may be NULL */
  const char *remote; /* client address, may be NULL */
} ImsAuditEntry;

/* Live rooms (docs/live-rooms.md). */
typedef enum { IMS_ROOM_ROLE_CANDIDATE, IMS_ROOM_ROLE_INTERVIEWER, IMS_ROOM_ROLE_OBSERVER } ImsRoomRole;
typedef enum { IMS_ROOM_SCHEDULED, IMS_ROOM_LIVE, IMS_ROOM_ENDED } ImsRoomState;

/* "candidate", "interviewer", "observer"; "invalid" outside the enum. */
const char *ims_room_role_to_string(ImsRoomRole role);
gboolean ims_room_role_from_string(const char *text, ImsRoomRole *role);
/* "scheduled", "live", "ended"; "invalid" outside the enum. */
const char *ims_room_state_to_string(ImsRoomState state);
gboolean ims_room_state_from_string(const char *text, ImsRoomState *state);

typedef struct {
  char *id; /* participant id, UUID */
  ImsRoomRole role;
  char *user_id;
  char *name;  /* NULL if not given */
  char *email; /* NULL if not given */
} ImsRoomParticipant;

typedef struct {
  int index;          /* 0, 1, ... in order */
  int question_index; /* -1: the opening, before the first mark */
  char *take_id;      /* the candidate's take of a question segment, else NULL */
  gint64 started_at;  /* unix us */
  gint64 ended_at;    /* 0 while open */
} ImsRoomSegment;

typedef struct {
  char *id; /* UUID */
  int segment; /* ImsRoomSegment.index */
  char *participant_id;
  char *stream;         /* "camera" | "screen" */
  char *path;           /* Matroska file in the spool */
  ImsTakeStatus status; /* RECORDING, COMPLETED, INTERRUPTED, FAILED */
  gint64 duration_ms;
  gint64 size_bytes;
  char *object_key; /* NULL until uploaded */
} ImsRoomRecording;

typedef struct {
  char *id; /* UUID */
  char *interview_id;
  char *session_id; /* the candidate session */
  char *type;       /* the profile */
  char *company_id;
  gint64 scheduled_at; /* unix us */
  int duration_minutes;
  gboolean observers_visible, allow_screen_share, record_interviewers;
  ImsRoomState state;
  gint64 created_at, started_at, ended_at; /* unix us, 0: not yet */
  GPtrArray *participants;                 /* ImsRoomParticipant* */
  GPtrArray *segments;                     /* ImsRoomSegment*, by index */
  GPtrArray *recordings;                   /* ImsRoomRecording* */
  char *composite_status;                  /* "pending", "processing", "ready", "failed" */
  char *composite_key;                     /* NULL until uploaded */
  gint64 composite_size;
  char *composite_chapters; /* JSON text [{title, startSeconds}] or NULL */
} ImsRoomRecord;

/* new: zeroed (strings NULL); copy: deep (NULL for NULL); all transfer full. */
ImsRoomParticipant *ims_room_participant_new(void);
ImsRoomParticipant *ims_room_participant_copy(const ImsRoomParticipant *participant);
void ims_room_participant_free(ImsRoomParticipant *participant);
ImsRoomSegment *ims_room_segment_new(void); /* question_index -1 */
ImsRoomSegment *ims_room_segment_copy(const ImsRoomSegment *segment);
void ims_room_segment_free(ImsRoomSegment *segment);
ImsRoomRecording *ims_room_recording_new(void); /* status RECORDING */
ImsRoomRecording *ims_room_recording_copy(const ImsRoomRecording *recording);
void ims_room_recording_free(ImsRoomRecording *recording);
/* State SCHEDULED, composite_status "pending", record_interviewers TRUE, empty
 * arrays that free their elements. */
ImsRoomRecord *ims_room_record_new(void);
ImsRoomRecord *ims_room_record_copy(const ImsRoomRecord *room);
void ims_room_record_free(ImsRoomRecord *room);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsRoomParticipant, ims_room_participant_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsRoomSegment, ims_room_segment_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsRoomRecording, ims_room_recording_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsRoomRecord, ims_room_record_free)

G_END_DECLS
