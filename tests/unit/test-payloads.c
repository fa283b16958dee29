/* Unit tests for events/payloads.c: every produced event's payload fields and types (the time format itself:
 * test-time-format.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <string.h>
#include <cmocka.h>

#include <json-glib/json-glib.h>

#include "envelope.h"
#include "events/payloads.h"
#include "time-format.h"

#define SESSION_ID "3f0c2a8e-5d0b-4b8e-9a53-1c1f4f7f2f10"
#define TAKE_ID "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"
#define FILE_ID "1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed"
/* 2025-10-06T10:00:00.000Z in unix microseconds */
#define T0 G_GINT64_CONSTANT(1759744800000000)
/* a take's completeness record as the store reads it back (jsonb text) */
#define COMPLETENESS \
  "{\"audio\": {\"gaps\": {\"count\": 0, \"longestMs\": 0}, \"frames\": {\"refused\": 0, \"written\": 250," \
  " \"beforeKeyframe\": 0, \"droppedIncomplete\": 0}, \"lastMs\": 4992, \"firstMs\": 12, \"packets\": {\"lost\": 0," \
  " \"expected\": 250, \"received\": 250, \"recoveredByNack\": 0}}, \"video\": {\"gaps\": {\"count\": 1," \
  " \"longestMs\": 500}, \"frames\": {\"refused\": 0, \"written\": 150, \"beforeKeyframe\": 0," \
  " \"droppedIncomplete\": 1}, \"lastMs\": 4967, \"firstMs\": 0, \"packets\": {\"lost\": 2, \"expected\": 900," \
  " \"received\": 898, \"recoveredByNack\": 3}}, \"avOffsetMs\": {\"start\": 12, \"end\": 25}}"

typedef struct {
  ImsSessionRecord *record;
  ImsTake *take;
  ImsMediaFile *file;
  guint criticals;
  guint handler_id;
} Fixture;

static void
count_critical(const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
  (*(guint *) data)++;
}

static int
setup(void **state)
{
  Fixture *fixture = g_new0(Fixture, 1);
  ImsSessionRecord *record = ims_session_record_new();
  record->id = g_strdup(SESSION_ID);
  record->interview_id = g_strdup("interview-42");
  record->invitation_id = g_strdup("invitation-9");
  record->user_id = g_strdup("user-7");
  record->candidate_email = g_strdup("zoë@example.org");
  record->profile = g_strdup("standard");
  record->started_at = T0 + 1500; /* +1.5 ms */
  record->completed_at = T0 + 900 * G_USEC_PER_SEC + 999999;
  g_ptr_array_add(record->questions, ims_question_new("q-1", "First?", 60));
  g_ptr_array_add(record->questions, ims_question_new("q-2", "Second?", 60));
  fixture->record = record;

  ImsTake *take = ims_take_new();
  take->id = g_strdup(TAKE_ID);
  take->session_id = g_strdup(SESSION_ID);
  take->question_index = 1;
  take->number = 3;
  take->status = IMS_TAKE_COMPLETED;
  take->duration_ms = 45678;
  fixture->take = take;

  ImsMediaFile *file = ims_media_file_new();
  file->id = g_strdup(FILE_ID);
  file->take_id = g_strdup(TAKE_ID);
  file->session_id = g_strdup(SESSION_ID);
  file->kind = g_strdup("original");
  file->key = g_strdup("interviews/interview-42/" SESSION_ID "/" TAKE_ID "/original.mkv");
  file->content_type = g_strdup("video/x-matroska");
  file->size_bytes = G_GINT64_CONSTANT(5000000000); /* > 4 GiB: must stay an exact integer */
  fixture->file = file;
  fixture->handler_id = g_log_set_handler("imsd.events", G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING,
                                          count_critical, &fixture->criticals);
  *state = fixture;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *fixture = *state;
  g_log_remove_handler("imsd.events", fixture->handler_id);
  ims_session_record_free(fixture->record);
  ims_take_free(fixture->take);
  ims_media_file_free(fixture->file);
  g_free(fixture);
  return 0;
}

/* Asserts that node is an object with exactly the members of spec, a
 * comma-separated list of name=type (s string, i integer, d double, b boolean, n null, a array,
 * o object). */
static void
assert_members(JsonNode *node, const char *spec)
{
  assert_non_null(node);
  assert_true(JSON_NODE_HOLDS_OBJECT(node));
  JsonObject *object = json_node_get_object(node);
  g_auto(GStrv) fields = g_strsplit(spec, ",", -1);
  assert_int_equal(json_object_get_size(object), g_strv_length(fields));
  for (guint i = 0; fields[i]; i++) {
    g_auto(GStrv) pair = g_strsplit(fields[i], "=", 2);
    JsonNode *member = json_object_get_member(object, pair[0]);
    if (!member)
      fail_msg("member %s missing", pair[0]);
    switch (pair[1][0]) {
    case 'n':
      assert_true(JSON_NODE_HOLDS_NULL(member));
      break;
    case 'a':
      assert_true(JSON_NODE_HOLDS_ARRAY(member));
      break;
    case 'o':
      assert_true(JSON_NODE_HOLDS_OBJECT(member));
      break;
    default: {
      GType want = pair[1][0] == 's'   ? G_TYPE_STRING
                   : pair[1][0] == 'i' ? G_TYPE_INT64
                   : pair[1][0] == 'b' ? G_TYPE_BOOLEAN
                                       : G_TYPE_DOUBLE;
      if (!JSON_NODE_HOLDS_VALUE(member) || json_node_get_value_type(member) != want)
        fail_msg("member %s is not of type %s", pair[0], pair[1]);
    }
    }
  }
}

static const char *
get_string(JsonNode *node, const char *member)
{
  return json_object_get_string_member(json_node_get_object(node), member);
}

static gint64
get_int(JsonNode *node, const char *member)
{
  return json_object_get_int_member(json_node_get_object(node), member);
}

static double
get_double(JsonNode *node, const char *member)
{
  return json_object_get_double_member(json_node_get_object(node), member);
}

static void
test_candidate_started(void **state)
{
  Fixture *fixture = *state;
  g_autoptr(JsonNode) full = ims_event_payload_candidate_started(fixture->record, "Mozilla/5.0", 0);
  assert_members(full, "sessionId=s,interviewId=s,invitationId=s,userId=s,candidateEmail=s,"
                       "startedAt=s,userAgent=s");
  assert_string_equal(get_string(full, "sessionId"), SESSION_ID);
  assert_string_equal(get_string(full, "interviewId"), "interview-42");
  assert_string_equal(get_string(full, "invitationId"), "invitation-9");
  assert_string_equal(get_string(full, "userId"), "user-7");
  assert_string_equal(get_string(full, "candidateEmail"), "zoë@example.org");
  assert_string_equal(get_string(full, "startedAt"),
                      "2025-10-06T10:00:00.001Z"); /* record->started_at */
  assert_string_equal(get_string(full, "userAgent"), "Mozilla/5.0");

  /* "if known" fields are omitted; userAgent is always there, null when unknown */
  g_clear_pointer(&fixture->record->invitation_id, g_free);
  g_clear_pointer(&fixture->record->candidate_email, g_free);
  g_autoptr(JsonNode)
      bare = ims_event_payload_candidate_started(fixture->record, NULL, T0 + 61234567);
  assert_members(bare, "sessionId=s,interviewId=s,userId=s,startedAt=s,userAgent=n");
  assert_string_equal(get_string(bare, "startedAt"), "2025-10-06T10:01:01.234Z");
}

static void
test_response_submitted(void **state)
{
  Fixture *fixture = *state;
  g_autoptr(JsonNode) node = ims_event_payload_candidate_response_submitted(fixture->record,
                                                                            fixture->take, FILE_ID);
  assert_members(node, "sessionId=s,interviewId=s,userId=s,responseId=s,questionId=s,"
                       "questionIndex=i,take=i,mediaFileId=s,duration=d,status=s");
  assert_string_equal(get_string(node, "status"), "completed");
  assert_string_equal(get_string(node, "responseId"), TAKE_ID);
  assert_string_equal(get_string(node, "questionId"), "q-2");
  assert_int_equal(get_int(node, "questionIndex"), 1);
  assert_int_equal(get_int(node, "take"), 3);
  assert_string_equal(get_string(node, "mediaFileId"), FILE_ID);
  assert_float_equal(get_double(node, "duration"), 45.678, 1e-9);

  g_autoptr(JsonNode) unknown = ims_event_payload_candidate_response_submitted(fixture->record,
                                                                               fixture->take, NULL);
  assert_members(unknown, "sessionId=s,interviewId=s,userId=s,responseId=s,questionId=s,"
                          "questionIndex=i,take=i,mediaFileId=n,duration=d,status=s");

  /* a whole number of seconds is still a double (JSON "2.0", a number) */
  fixture->take->duration_ms = 2000;
  g_autoptr(JsonNode) whole = ims_event_payload_candidate_response_submitted(
      fixture->record, fixture->take, FILE_ID);
  assert_float_equal(get_double(whole, "duration"), 2.0, 0);

  /* a take a crash or a lost connection cut is announced as such */
  fixture->take->status = IMS_TAKE_INTERRUPTED;
  g_autoptr(JsonNode)
      cut = ims_event_payload_candidate_response_submitted(fixture->record, fixture->take, FILE_ID);
  assert_string_equal(get_string(cut, "status"), "interrupted");

  /* a take with no media (still recording, or failed) is never announced */
  guint before = fixture->criticals;
  fixture->take->status = IMS_TAKE_RECORDING;
  assert_null(
      ims_event_payload_candidate_response_submitted(fixture->record, fixture->take, FILE_ID));
  fixture->take->status = IMS_TAKE_FAILED;
  assert_null(
      ims_event_payload_candidate_response_submitted(fixture->record, fixture->take, FILE_ID));
  assert_int_equal(fixture->criticals, before + 2);

  /* a take whose question is not in the record is a programming error */
  fixture->take->status = IMS_TAKE_COMPLETED;
  fixture->take->question_index = 2;
  before = fixture->criticals;
  assert_null(
      ims_event_payload_candidate_response_submitted(fixture->record, fixture->take, FILE_ID));
  assert_int_equal(fixture->criticals, before + 1);
}

/* Durations are rounded to the millisecond in every payload: a sum of take
 * durations (0.002 + 11.031 is 11.033000000000001 in doubles) is the
 * double a reader gets from "11.033". */
static void
test_durations_rounded(void **state)
{
  Fixture *fixture = *state;
  volatile double first = 0.002; /* summed at run time, as the session does */
  double sum = first + 11.031;
  assert_true(sum != 11.033); /* the noise this guards against */
  g_autoptr(JsonNode) completed = ims_event_payload_candidate_completed(fixture->record, 3, sum);
  assert_true(get_double(completed, "totalDuration") == 11.033);
  g_autoptr(JsonNode)
      interview = ims_event_payload_interview_completed(fixture->record, 0, 900.0004999, 3);
  assert_true(get_double(interview, "durationSeconds") == 900.0);
  g_autoptr(JsonNode) processed = ims_event_payload_media_processed(
      "user-7", FILE_ID, 10, 20, 3.14159, NULL, NULL, "standard", NULL);
  assert_true(get_double(processed, "processingDuration") == 3.142);
  /* what JSON carries parses back to the same millisecond value */
  g_autofree char *text = json_to_string(completed, FALSE);
  g_autoptr(JsonNode) parsed = json_from_string(text, NULL);
  assert_true(get_double(parsed, "totalDuration") == 11.033);
  /* and the message value reads as it is meant: 11.033, not json-glib's
   * 17 digits; a whole number stays a double; strings are untouched */
  g_autofree char *envelope = ims_event_envelope_build("3f0c2a8e-5d0b-4b8e-9a53-1c1f4f7f2f10",
                                                       IMS_EVENT_CANDIDATE_COMPLETED, 1728212400000,
                                                       NULL, "req-1.5e3", completed);
  assert_non_null(strstr(envelope, "\"totalDuration\":11.033}"));
  assert_non_null(strstr(envelope, "\"timestamp\":1728212400000,"));
  assert_non_null(strstr(envelope, "\"correlationId\":\"req-1.5e3\""));
  g_autofree char *whole = ims_event_envelope_build("3f0c2a8e-5d0b-4b8e-9a53-1c1f4f7f2f10",
                                                    IMS_EVENT_INTERVIEW_COMPLETED, 1, NULL, NULL,
                                                    interview);
  assert_non_null(strstr(whole, "\"durationSeconds\":900.0,"));
  g_autofree char *processed_text = ims_event_envelope_build(
      "3f0c2a8e-5d0b-4b8e-9a53-1c1f4f7f2f10", IMS_EVENT_MEDIA_PROCESSED, 1, NULL, NULL, processed);
  assert_non_null(strstr(processed_text, "\"processingDuration\":3.142,"));
}

static void
test_candidate_completed(void **state)
{
  Fixture *fixture = *state;
  g_autoptr(JsonNode) node = ims_event_payload_candidate_completed(fixture->record, 4, 181.5);
  assert_members(node, "sessionId=s,interviewId=s,userId=s,candidateEmail=s,completedAt=s,"
                       "responsesCount=i,totalDuration=d");
  assert_string_equal(get_string(node, "completedAt"), "2025-10-06T10:15:00.999Z");
  assert_int_equal(get_int(node, "responsesCount"), 4);
  assert_float_equal(get_double(node, "totalDuration"), 181.5, 0);

  g_clear_pointer(&fixture->record->candidate_email, g_free);
  g_autoptr(JsonNode) bare = ims_event_payload_candidate_completed(fixture->record, 0, 0);
  assert_members(bare, "sessionId=s,interviewId=s,userId=s,candidateEmail=n,completedAt=s,"
                       "responsesCount=i,totalDuration=d");

  /* completed_at 0: now */
  fixture->record->completed_at = 0;
  gint64 before = g_get_real_time();
  g_autoptr(JsonNode) now = ims_event_payload_candidate_completed(fixture->record, 0, 0);
  g_autofree char *earliest = ims_time_format_iso8601(before - before % 1000);
  assert_true(strcmp(get_string(now, "completedAt"), earliest) >= 0);
}

static void
test_media_uploaded(void **state)
{
  Fixture *fixture = *state;
  g_autoptr(JsonNode)
      node = ims_event_payload_media_uploaded("user-7", fixture->file, "imsd-media", "answer.mkv");
  assert_members(node, "userId=s,fileId=s,sessionId=s,responseId=s,fileName=s,fileSize=i,"
                       "mimeType=s,bucket=s,path=s");
  assert_string_equal(get_string(node, "fileId"), FILE_ID);
  assert_string_equal(get_string(node, "sessionId"), SESSION_ID);
  assert_string_equal(get_string(node, "responseId"), TAKE_ID);
  assert_string_equal(get_string(node, "fileName"), "answer.mkv");
  assert_int_equal(get_int(node, "fileSize"), G_GINT64_CONSTANT(5000000000));
  assert_string_equal(get_string(node, "mimeType"), "video/x-matroska");
  assert_string_equal(get_string(node, "bucket"), "imsd-media");
  assert_string_equal(get_string(node, "path"), fixture->file->key);

  /* no file name: the last segment of the key */
  g_autoptr(JsonNode) derived = ims_event_payload_media_uploaded("user-7", fixture->file, "b", NULL);
  assert_string_equal(get_string(derived, "fileName"), "original.mkv");
}

static void
test_media_processed(void **state)
{
  Fixture *fixture = *state;
  g_autoptr(GPtrArray)
      renditions = g_ptr_array_new_with_free_func((GDestroyNotify) ims_media_file_free);
  static const struct {
    const char *kind, *key, *type;
    gint64 size;
  } files[] = {
    { "video/mp4", "k/video.mp4", "video/mp4", 100 },
    { "thumbnail", "k/thumbnail.jpg", "image/jpeg", 20 },
    { "audio/wav-16k", "k/audio-16k.wav", "audio/wav", 30 },
  };
  for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
    ImsMediaFile *file = ims_media_file_new();
    file->kind = g_strdup(files[i].kind);
    file->key = g_strdup(files[i].key);
    file->content_type = g_strdup(files[i].type);
    file->size_bytes = files[i].size;
    g_ptr_array_add(renditions, file);
  }
  g_autoptr(JsonNode) node = ims_event_payload_media_processed(
      "user-7", FILE_ID, 1000, 150, 2.25, renditions, "k/thumbnail.jpg", "standard", COMPLETENESS);
  assert_members(node, "userId=s,fileId=s,originalSize=i,processedSize=i,processingDuration=d,"
                       "renditions=a,thumbnailPath=s,profile=s,completeness=o");
  /* the take's record, as an object equal to the text's */
  g_autoptr(JsonNode) record = json_from_string(COMPLETENESS, NULL);
  assert_true(
      json_node_equal(json_object_get_member(json_node_get_object(node), "completeness"), record));
  assert_int_equal(get_int(node, "originalSize"), 1000);
  assert_int_equal(get_int(node, "processedSize"), 150);
  assert_float_equal(get_double(node, "processingDuration"), 2.25, 0);
  assert_string_equal(get_string(node, "thumbnailPath"), "k/thumbnail.jpg");
  assert_string_equal(get_string(node, "profile"), "standard");
  JsonArray *array = json_object_get_array_member(json_node_get_object(node), "renditions");
  assert_int_equal(json_array_get_length(array), G_N_ELEMENTS(files));
  for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
    JsonNode *item = json_array_get_element(array, i);
    assert_members(item, "kind=s,path=s,mimeType=s,size=i");
    assert_string_equal(get_string(item, "kind"), files[i].kind);
    assert_string_equal(get_string(item, "path"), files[i].key);
    assert_string_equal(get_string(item, "mimeType"), files[i].type);
    assert_int_equal(get_int(item, "size"), files[i].size);
  }

  g_autoptr(JsonNode) none = ims_event_payload_media_processed("user-7", FILE_ID, 1000, 0, 0.5,
                                                               NULL, NULL, "audio-only", NULL);
  assert_members(none, "userId=s,fileId=s,originalSize=i,processedSize=i,processingDuration=d,"
                       "renditions=a,thumbnailPath=n,profile=s,completeness=n"); /* unknown */
  assert_int_equal(
      json_array_get_length(json_object_get_array_member(json_node_get_object(none), "renditions")),
      0);

  /* NaN cannot be carried by JSON: 0 and a warning */
  guint before = fixture->criticals;
  g_autoptr(JsonNode)
      nan_node = ims_event_payload_media_processed("u", FILE_ID, 1, 1, NAN, NULL, NULL, "p", NULL);
  assert_float_equal(get_double(nan_node, "processingDuration"), 0, 0);
  assert_int_equal(fixture->criticals, before + 1);

  /* a record that is not a JSON object is never passed on: null and a warning */
  static const char *const not_objects[] = { "not json", "[1]", "42", "" };
  for (guint i = 0; i < G_N_ELEMENTS(not_objects); i++) {
    before = fixture->criticals;
    g_autoptr(JsonNode) bad = ims_event_payload_media_processed("u", FILE_ID, 1, 1, 1, NULL, NULL,
                                                                "p", not_objects[i]);
    assert_members(bad, "userId=s,fileId=s,originalSize=i,processedSize=i,processingDuration=d,"
                        "renditions=a,thumbnailPath=n,profile=s,completeness=n");
    assert_int_equal(fixture->criticals, before + 1);
  }
}

static void
test_media_processing_failed(void **state)
{
  Fixture *fixture = *state;
  g_autoptr(JsonNode) node = ims_event_payload_media_processing_failed(
      "user-7", TAKE_ID, SESSION_ID, "standard", "renditions failed after 3 attempts: mux", 3, TRUE,
      T0 + 7000);
  assert_members(node, "userId=s,fileId=s,sessionId=s,responseId=s,profile=s,reason=s,attempts=i,"
                       "originalStored=b,failedAt=s");
  assert_string_equal(get_string(node, "fileId"), TAKE_ID);
  assert_string_equal(get_string(node, "responseId"), TAKE_ID);
  assert_string_equal(get_string(node, "sessionId"), SESSION_ID);
  assert_string_equal(get_string(node, "reason"), "renditions failed after 3 attempts: mux");
  assert_int_equal(get_int(node, "attempts"), 3);
  assert_true(json_object_get_boolean_member(json_node_get_object(node), "originalStored"));
  assert_string_equal(get_string(node, "failedAt"), "2025-10-06T10:00:00.007Z");

  guint before = fixture->criticals;
  assert_null(ims_event_payload_media_processing_failed("user-7", TAKE_ID, SESSION_ID, "standard",
                                                        "", 1, FALSE, 0));
  assert_int_equal(fixture->criticals, before + 1);
}

static void
test_media_deleted(void **state)
{
  g_autoptr(JsonNode) node = ims_event_payload_media_deleted("user-7", FILE_ID, 42, T0 + 7000,
                                                             IMS_DELETE_REASON_USER_DELETED);
  assert_members(node, "userId=s,fileId=s,fileSize=i,deletedAt=s,reason=s");
  assert_string_equal(get_string(node, "deletedAt"), "2025-10-06T10:00:00.007Z");
  assert_string_equal(get_string(node, "reason"), "user_deleted");
  assert_int_equal(get_int(node, "fileSize"), 42);

  Fixture *fixture = *state;
  guint before = fixture->criticals;
  assert_null(ims_event_payload_media_deleted("user-7", FILE_ID, 42, T0, ""));
  assert_int_equal(fixture->criticals, before + 1);
}

static void
test_interview(void **state)
{
  Fixture *fixture = *state;
  g_autoptr(JsonNode) started = ims_event_payload_interview_started(fixture->record, T0);
  assert_members(started, "interviewId=s,sessionId=s,userId=s,startedAt=s");
  assert_string_equal(get_string(started, "startedAt"), "2025-10-06T10:00:00.000Z");
  assert_string_equal(get_string(started, "sessionId"), SESSION_ID);

  g_autoptr(JsonNode)
      completed = ims_event_payload_interview_completed(fixture->record, 0, 900.5, 2);
  assert_members(completed, "interviewId=s,sessionId=s,userId=s,completedAt=s,durationSeconds=d,"
                            "responsesCount=i");
  assert_string_equal(get_string(completed, "completedAt"), "2025-10-06T10:15:00.999Z");
  assert_float_equal(get_double(completed, "durationSeconds"), 900.5, 0);
  assert_int_equal(get_int(completed, "responsesCount"), 2);
}

static void
test_serialized_form(void **state)
{
  /* what consumers see: the compact JSON text, numbers unquoted, unicode intact */
  Fixture *fixture = *state;
  g_autoptr(JsonNode) node = ims_event_payload_candidate_completed(fixture->record, 2, 12.0);
  g_autofree char *text = json_to_string(node, FALSE);
  assert_non_null(strstr(text, "\"responsesCount\":2"));
  assert_non_null(strstr(text, "\"totalDuration\":12"));
  assert_null(strstr(text, "\"totalDuration\":\""));
  assert_non_null(strstr(text, "zoë@example.org"));
}

static void
test_programming_errors(void **state)
{
  Fixture *fixture = *state;
  guint before = fixture->criticals;
  assert_null(ims_event_payload_candidate_started(NULL, NULL, 0));
  g_clear_pointer(&fixture->record->user_id, g_free);
  assert_null(ims_event_payload_interview_started(fixture->record, T0));
  assert_null(ims_event_payload_media_uploaded("u", fixture->file, NULL, NULL));
  assert_int_equal(fixture->criticals, before + 3);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_candidate_started, setup, teardown),
    cmocka_unit_test_setup_teardown(test_response_submitted, setup, teardown),
    cmocka_unit_test_setup_teardown(test_candidate_completed, setup, teardown),
    cmocka_unit_test_setup_teardown(test_durations_rounded, setup, teardown),
    cmocka_unit_test_setup_teardown(test_media_uploaded, setup, teardown),
    cmocka_unit_test_setup_teardown(test_media_processed, setup, teardown),
    cmocka_unit_test_setup_teardown(test_media_processing_failed, setup, teardown),
    cmocka_unit_test_setup_teardown(test_media_deleted, setup, teardown),
    cmocka_unit_test_setup_teardown(test_interview, setup, teardown),
    cmocka_unit_test_setup_teardown(test_serialized_form, setup, teardown),
    cmocka_unit_test_setup_teardown(test_programming_errors, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
