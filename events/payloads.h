/* payloads.h: the payload of each event type imsd produces, built from its records.
 *
 * One builder per event type (shared/contracts/events.md, docs/events.md).  Each
 * returns a JSON object node, transfer full, that the outbox stores and the
 * relay wraps in an envelope (envelope.h).  Rules every builder follows:
 *   - times are ISO 8601 UTC strings with milliseconds ("2025-10-06T10:00:00.000Z");
 *   - durations are seconds as JSON numbers (doubles rounded to the
 *     millisecond; NaN or infinity, which JSON cannot carry, is written as 0
 *     with a warning), sizes bytes as integers;
 *   - a field the contract marks "(if known)" is omitted when unknown (NULL);
 *   - every other field is always present; the few imsd may not know
 *     (userAgent, mediaFileId, candidateEmail of candidate.completed,
 *     thumbnailPath) are JSON null then.
 * Programming errors (a NULL record, a missing required id) return NULL with a
 * critical warning.  Pure functions: no I/O, safe from any thread.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "records.h"

G_BEGIN_DECLS

#define IMS_EVENT_CANDIDATE_STARTED "candidate.started"
#define IMS_EVENT_CANDIDATE_RESPONSE_SUBMITTED "candidate.response_submitted"
#define IMS_EVENT_CANDIDATE_COMPLETED "candidate.completed"
#define IMS_EVENT_MEDIA_UPLOADED "media.uploaded"
#define IMS_EVENT_MEDIA_PROCESSED "media.processed"
#define IMS_EVENT_MEDIA_DELETED "media.deleted"
/* imsd's addition on media-events (docs/events.md): the contract's consumers ignore types they do not
 * handle, and media.processed keeps meaning "the renditions are stored". */
#define IMS_EVENT_MEDIA_PROCESSING_FAILED "media.processing_failed"
#define IMS_EVENT_INTERVIEW_STARTED "interview.started"
#define IMS_EVENT_INTERVIEW_COMPLETED "interview.completed"

/* Reasons of media.deleted the platform knows; others may be passed. */
#define IMS_DELETE_REASON_USER_DELETED "user_deleted"
#define IMS_DELETE_REASON_RETENTION "retention"
#define IMS_DELETE_REASON_RECRUITER_REQUEST "recruiter_request"

/* candidate.started: sessionId, interviewId, invitationId (if known), userId,
 * candidateEmail (if known), startedAt, userAgent (null if NULL).
 * started_at_us: the join time; 0 means record->started_at, then now. */
JsonNode *ims_event_payload_candidate_started(const ImsSessionRecord *record,
                                              const char *user_agent, gint64 started_at_us);

/* candidate.response_submitted: sessionId, interviewId, userId, responseId
 * (take->id), questionId (of take->question_index in record->questions; a
 * take whose index has no question is a programming error), questionIndex
 * (0-based, as imsd counts),
 * take (take->number, 1-based), mediaFileId (null if NULL), duration
 * (take->duration_ms in seconds), status ("completed" or "interrupted":
 * take->status; any other status is a programming error, as only a take
 * that has media is announced). */
JsonNode *ims_event_payload_candidate_response_submitted(const ImsSessionRecord *record,
                                                         const ImsTake *take,
                                                         const char *media_file_id);

/* candidate.completed: sessionId, interviewId, userId, candidateEmail (null if
 * unknown), completedAt (record->completed_at; 0 means now), responsesCount,
 * totalDuration (seconds).  The caller counts (docs/events.md): responses are
 * the session's candidate.response_submitted events, i.e. its takes that
 * have media, and totalDuration the sum of their durations. */
JsonNode *ims_event_payload_candidate_completed(const ImsSessionRecord *record, int responses_count,
                                                double total_duration_s);

/* media.uploaded: userId, fileId (file->id), sessionId, responseId
 * (file->take_id), fileName (file_name, or the last segment of file->key when
 * NULL), fileSize, mimeType (file->content_type), bucket, path (file->key). */
JsonNode *ims_event_payload_media_uploaded(const char *user_id, const ImsMediaFile *file,
                                           const char *bucket, const char *file_name);

/* media.uploaded of a live room's composite recording (docs/events.md, "Live interviews"): userId
 * (the candidate's), fileId (room_id: a room has one composite), sessionId (the room's candidate
 * session), responseId null (it answers no one question), kind "composite", fileName (the last
 * segment of key), fileSize, mimeType "video/mp4", bucket, path (key). */
#define IMS_MEDIA_KIND_COMPOSITE "composite"
JsonNode *ims_event_payload_composite_uploaded(const char *user_id, const char *room_id,
                                               const char *session_id, const char *key,
                                               gint64 size_bytes, const char *bucket);

/* media.processed: userId, fileId (the recording's), originalSize,
 * processedSize, processingDuration (seconds), renditions (one
 * {kind, path, mimeType, size} per ImsMediaFile* of renditions: kind, key,
 * content_type, size_bytes; NULL for none), thumbnailPath (null if NULL),
 * profile, completeness (imsd's addition: the take's completeness record,
 * ImsTake.completeness, a JSON object's text, as an object; null if NULL, or
 * with a warning if the text is not a JSON object). */
JsonNode *ims_event_payload_media_processed(const char *user_id, const char *file_id,
                                            gint64 original_size, gint64 processed_size,
                                            double processing_duration_s,
                                            const GPtrArray *renditions, const char *thumbnail_path,
                                            const char *profile, const char *completeness);

/* media.processing_failed: userId, fileId (the recording's, = the take id), sessionId, responseId
 * (the take id), profile, reason (non-empty), attempts, originalStored (the original recording is
 * in S3 all the same), failedAt (0 means now). */
JsonNode *ims_event_payload_media_processing_failed(const char *user_id, const char *take_id,
                                                    const char *session_id, const char *profile,
                                                    const char *reason, int attempts,
                                                    gboolean original_stored, gint64 failed_at_us);

/* media.deleted: userId, fileId, fileSize, deletedAt (0 means now), reason. */
JsonNode *ims_event_payload_media_deleted(const char *user_id, const char *file_id, gint64 file_size,
                                          gint64 deleted_at_us, const char *reason);

/* interview.started: interviewId, sessionId, userId, startedAt (0 means
 * record->started_at, then now). */
JsonNode *ims_event_payload_interview_started(const ImsSessionRecord *record, gint64 started_at_us);

/* interview.completed: interviewId, sessionId, userId, completedAt (0 means
 * record->completed_at, then now), durationSeconds, responsesCount. */
JsonNode *ims_event_payload_interview_completed(const ImsSessionRecord *record,
                                                gint64 completed_at_us, double duration_s,
                                                int responses_count);

/* The live room's (server/interview/room.c, docs/events.md "Live interviews"): the one-way
 * interview's fields (record is the room's candidate session), with roomId after interviewId and
 * kind "live" after userId.  started_at_us: the room went live; completed_at_us: an interviewer
 * ended it; duration_s from one to the other; responses_count the question segments announced
 * (candidate.response_submitted).  A NULL room_id is a programming error. */
#define IMS_INTERVIEW_KIND_LIVE "live"
JsonNode *ims_event_payload_room_started(const ImsSessionRecord *record, const char *room_id,
                                         gint64 started_at_us);
JsonNode *ims_event_payload_room_completed(const ImsSessionRecord *record, const char *room_id,
                                           gint64 completed_at_us, double duration_s,
                                           int responses_count);

G_END_DECLS
