/* emit-sample-events.c: prints sample envelopes built by events/ (one JSON per line).
 *
 * For each event type imsd produces: one envelope with every optional field
 * known (media.processed with a completeness record the receive path's
 * serializer wrote), and one with the optional fields unknown (omitted or
 * null, as docs/events.md says).  tests/meson.build pipes the output into
 * tests/schemas/validate.mjs ('event-schemas' test): the C builders and the
 * JSON Schemas other teams read must agree.  Exits 1 if a builder fails.
 */
#include <glib.h>
#include <stdio.h>

#include "events/envelope.h"
#include "events/payloads.h"
#include "events/topic.h"
#include "pipelines/ingest/completeness.h"

static int failures;

/* Wraps payload (transfer full) in an envelope and prints it. */
static void
emit(const char *event_type, JsonNode *payload, const char *correlation_id)
{
  if (!payload) {
    fprintf(stderr, "emit-sample-events: the %s builder returned NULL\n", event_type);
    failures++;
    return;
  }
  g_autoptr(JsonNode) owned = payload;
  g_autofree char *event_id = g_uuid_string_random();
  g_autofree char *text = ims_event_envelope_build(event_id, event_type, g_get_real_time() / 1000,
                                                   NULL, correlation_id, owned);
  g_autofree char *key = ims_event_partition_key(event_type, owned);
  if (!text || !key || !ims_event_topic(event_type)) {
    fprintf(stderr, "emit-sample-events: %s: no envelope, key or topic\n", event_type);
    failures++;
    return;
  }
  printf("%s\n", text);
}

static ImsSessionRecord *
make_record(gboolean optional_known)
{
  ImsSessionRecord *record = ims_session_record_new();
  record->id = g_uuid_string_random();
  record->interview_id = g_strdup("interview-42");
  record->user_id = g_strdup("user-7f3a");
  if (optional_known) {
    record->invitation_id = g_strdup("invitation-9");
    record->candidate_email = g_strdup("zoë.candidate@example.org");
  }
  record->profile = g_strdup("standard");
  record->state = IMS_SESSION_COMPLETED;
  record->created_at = 1759744800000000; /* 2025-10-06T10:00:00Z */
  record->started_at = record->created_at + 61234567;
  record->completed_at = record->started_at + 900 * G_USEC_PER_SEC;
  g_ptr_array_add(record->questions, ims_question_new("q-1", "Tell us about yourself.", 120));
  g_ptr_array_add(record->questions, ims_question_new("q-2", "Why this role?", 90));
  return record;
}

static ImsMediaFile *
make_file(const ImsSessionRecord *record, const char *take_id, const char *kind, const char *key,
          const char *content_type, gint64 size)
{
  ImsMediaFile *file = ims_media_file_new();
  file->id = g_uuid_string_random();
  file->take_id = g_strdup(take_id);
  file->session_id = g_strdup(record->id);
  file->kind = g_strdup(kind);
  file->key = g_strdup(key);
  file->content_type = g_strdup(content_type);
  file->size_bytes = size;
  return file;
}

static void
emit_all(gboolean optional_known)
{
  g_autoptr(ImsSessionRecord) record = make_record(optional_known);
  g_autoptr(ImsTake) take = ims_take_new();
  take->id = g_uuid_string_random();
  take->session_id = g_strdup(record->id);
  take->question_index = 1;
  take->number = 2;
  /* known: a completed take; unknown: one a crash cut, before processing measured it */
  take->status = optional_known ? IMS_TAKE_COMPLETED : IMS_TAKE_INTERRUPTED;
  take->duration_ms = 45678;
  g_autofree char *prefix = g_strdup_printf("interviews/%s/%s/%s", record->interview_id, record->id,
                                            take->id);
  g_autofree char *original_key = g_strconcat(prefix, "/original.mkv", NULL);
  g_autofree char *mp4_key = g_strconcat(prefix, "/video.mp4", NULL);
  g_autofree char *thumb_key = g_strconcat(prefix, "/thumbnail.jpg", NULL);
  g_autofree char *wav_key = g_strconcat(prefix, "/audio-16k.wav", NULL);
  g_autoptr(ImsMediaFile)
      original = make_file(record, take->id, "original", original_key, "video/x-matroska", 7340032);
  g_autoptr(GPtrArray)
      renditions = g_ptr_array_new_with_free_func((GDestroyNotify) ims_media_file_free);
  g_ptr_array_add(renditions,
                  make_file(record, take->id, "video/mp4", mp4_key, "video/mp4", 5242880));
  if (optional_known)
    g_ptr_array_add(renditions,
                    make_file(record, take->id, "thumbnail", thumb_key, "image/jpeg", 20480));
  g_ptr_array_add(renditions,
                  make_file(record, take->id, "audio/wav-16k", wav_key, "audio/wav", 1461760));
  const char *correlation = optional_known ? "req-0c1d" : NULL;
  /* the receive path's record of a take with a gap, as the receiver serializes it */
  ImsTakeCompleteness record_of_take = { 0 };
  for (int i = 0; i < 150; i++)
    ims_take_completeness_add_frame(&record_of_take, IMS_TRACK_VIDEO, i * 33);
  for (int i = 0; i < 250; i++)
    ims_take_completeness_add_frame(&record_of_take, IMS_TRACK_AUDIO, 12 + i * 20);
  ims_take_completeness_add_gap(&record_of_take, IMS_TRACK_VIDEO, 500);
  record_of_take.tracks[IMS_TRACK_VIDEO].packets_expected = 900;
  record_of_take.tracks[IMS_TRACK_VIDEO].packets_received = 898;
  record_of_take.tracks[IMS_TRACK_VIDEO].packets_recovered_by_nack = 3;
  record_of_take.tracks[IMS_TRACK_VIDEO].packets_lost = 2;
  g_autofree char *completeness = optional_known ? ims_take_completeness_to_string(&record_of_take)
                                                 : NULL;

  emit(IMS_EVENT_CANDIDATE_STARTED,
       ims_event_payload_candidate_started(
           record, optional_known ? "Mozilla/5.0 (X11; Linux x86_64)" : NULL, 0),
       correlation);
  emit(IMS_EVENT_CANDIDATE_RESPONSE_SUBMITTED,
       ims_event_payload_candidate_response_submitted(record, take,
                                                      optional_known ? original->id : NULL),
       correlation);
  emit(IMS_EVENT_CANDIDATE_COMPLETED, ims_event_payload_candidate_completed(record, 2, 101.25),
       correlation);
  emit(IMS_EVENT_MEDIA_UPLOADED,
       ims_event_payload_media_uploaded(record->user_id, original, "imsd-media",
                                        optional_known ? "answer-q2-take2.mkv" : NULL),
       correlation);
  /* a live room's composite recording (docs/events.md "Live interviews") */
  emit(IMS_EVENT_MEDIA_UPLOADED,
       ims_event_payload_composite_uploaded(record->user_id, "0d6b2f4e-1c3a-4e5b-8f7d-9a0b1c2d3e4f",
                                            record->id,
                                            "rooms/0d6b2f4e-1c3a-4e5b-8f7d-9a0b1c2d3e4f/composite.mp4",
                                            48234567, "imsd-media"),
       correlation);
  emit(IMS_EVENT_MEDIA_PROCESSED,
       ims_event_payload_media_processed(
           record->user_id, original->id, original->size_bytes, 5242880 + 20480 + 1461760, 3.5,
           renditions, optional_known ? thumb_key : NULL, "standard", completeness),
       correlation);
  emit(IMS_EVENT_MEDIA_PROCESSING_FAILED,
       ims_event_payload_media_processing_failed(record->user_id, take->id, record->id, "standard",
                                                 "renditions failed after 3 attempts: video/mp4: mux: "
                                                 "Could not multiplex stream.",
                                                 3, optional_known, 0),
       correlation);
  emit(IMS_EVENT_MEDIA_DELETED,
       ims_event_payload_media_deleted(record->user_id, original->id, original->size_bytes, 0,
                                       optional_known ? IMS_DELETE_REASON_USER_DELETED : "retention"),
       correlation);
  emit(IMS_EVENT_INTERVIEW_STARTED, ims_event_payload_interview_started(record, 0), correlation);
  emit(IMS_EVENT_INTERVIEW_COMPLETED, ims_event_payload_interview_completed(record, 0, 900.0, 2),
       correlation);
  /* a live room's (docs/events.md "Live interviews") */
  const char *room_id = "5b1f7c2e-8a43-4d0e-9f61-2c7d3e9a0b14";
  emit(IMS_EVENT_INTERVIEW_STARTED, ims_event_payload_room_started(record, room_id, 0), correlation);
  emit(IMS_EVENT_INTERVIEW_COMPLETED,
       ims_event_payload_room_completed(record, room_id, 0, 2700.0, 3), correlation);
}

int
main(void)
{
  emit_all(TRUE);
  emit_all(FALSE);
  return failures == 0 ? 0 : 1;
}
