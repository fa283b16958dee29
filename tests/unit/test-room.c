/* Unit tests: a live room (server/interview/room*.c) with fakes at its seams:
 * a fake store (the rooms and sessions ops, transactions and the outbox)
 * behind a real ImsDatabase, fake media (ImsRoomMediaOps) driven by hand,
 * and the peer functions wrapped (tests/meson.build) so every frame sent is
 * read back.  States, roles, segments and their files, events, rejoin,
 * leave, observers. */
#include "test-room-fakes.h"

/* ---- tests ---- */

/* scheduled -> live only once a candidate and an interviewer are joined: interview.started with
 * the state and segment 0 in one write; an observer does not count. */
static void
test_live_when_candidate_and_interviewer(void **state)
{
  Fixture *f = *state;
  join(f, 0, CANDIDATE, NULL);
  join(f, 2, NULL, "recruiter-1");
  flush(f);
  assert_int_equal(f->room->record->state, IMS_ROOM_SCHEDULED);
  assert_int_equal(f->store.events->len, 0);
  assert_string_equal(json_object_get_string_member(last_of_type(f, 0, "room.state"), "state"),
                      "waiting");
  JsonObject *joined = last_of_type(f, 0, "room.joined");
  assert_string_equal(json_object_get_string_member(joined, "participantId"), CANDIDATE);
  assert_string_equal(json_object_get_string_member(joined, "role"), "candidate");

  join(f, 1, INTERVIEWER, NULL);
  flush(f);
  assert_int_equal(f->room->record->state, IMS_ROOM_LIVE);
  g_autofree char *types = event_types(f);
  assert_string_equal(types, "interview.started");
  JsonObject *started = json_object_get_object_member(parse(g_ptr_array_index(f->store.events, 0)),
                                                      "payload");
  assert_string_equal(json_object_get_string_member(started, "roomId"), ROOM_ID);
  assert_string_equal(json_object_get_string_member(started, "kind"), "live");
  assert_true(has_call(f, "save_room_state live"));
  assert_true(has_call(f, "insert_segment 0 q-1"));
  JsonObject *view = last_of_type(f, 0, "room.state");
  assert_string_equal(json_object_get_string_member(view, "state"), "live");
  assert_int_equal(json_object_get_int_member(json_object_get_object_member(view, "segment"),
                                              "index"),
                   0);
  /* leaving and coming back does not start it again */
  leave(f, 1);
  join(f, 1, INTERVIEWER, NULL);
  flush(f);
  assert_int_equal(f->store.events->len, 1);
  assert_int_equal(count_calls(f, "save_room_state"), 1);
}

/* A candidate may not mark or end, an observer not publish, nobody share a screen the room does
 * not allow; nothing changes. */
static void
test_roles_forbidden(void **state)
{
  Fixture *f = *state;
  join(f, 0, CANDIDATE, NULL);
  join(f, 1, INTERVIEWER, NULL);
  join(f, 2, NULL, "recruiter-1");
  assert_string_equal(send_message(f, 0, IMS_MESSAGE_MARK, NULL, NULL, 0, NULL), "forbidden");
  assert_string_equal(send_message(f, 0, IMS_MESSAGE_END, NULL, NULL, -1, NULL), "forbidden");
  assert_string_equal(send_message(f, 2, IMS_MESSAGE_PUBLISH, "camera", NULL, -1, NULL),
                      "forbidden");
  assert_string_equal(send_message(f, 2, IMS_MESSAGE_MARK, NULL, NULL, 0, NULL), "forbidden");
  assert_string_equal(send_message(f, 1, IMS_MESSAGE_PUBLISH, "screen", NULL, -1, NULL),
                      "forbidden");
  assert_string_equal(send_message(f, 1, IMS_MESSAGE_MARK, NULL, NULL, 7, NULL), "bad_message");
  assert_string_equal(send_message(f, 2, IMS_MESSAGE_SUBSCRIBE, "camera", CANDIDATE, -1, NULL),
                      "not_published");
  flush(f);
  assert_int_equal(f->room->record->segments->len, 1);
  assert_int_equal(f->room->record->state, IMS_ROOM_LIVE);
  assert_int_equal(all_media->len, 0);
  /* an observer subscribes */
  publish_flowing(f, 0, "camera");
  assert_null(send_message(f, 2, IMS_MESSAGE_SUBSCRIBE, "camera", CANDIDATE, -1, NULL));
}

/* Each mark closes the open segment and opens the next; every file being written is split into
 * the new segment; the candidate's camera file of a question segment is its take, named as a
 * one-way take.  An off-script mark appends a question. */
static void
test_mark_splits_files(void **state)
{
  Fixture *f = *state;
  join(f, 0, CANDIDATE, NULL);
  join(f, 1, INTERVIEWER, NULL);
  publish_flowing(f, 0, "camera");
  publish_flowing(f, 1, "camera");
  FakeMedia *candidate = publisher_media(f, 0, "camera");
  FakeMedia *interviewer = publisher_media(f, 1, "camera");
  assert_int_equal(candidate->files->len, 1);
  assert_int_equal(interviewer->files->len, 1);
  g_autofree char *dir = g_build_filename(f->spool, SESSION_ID, NULL);
  assert_true(g_str_has_prefix(g_ptr_array_index(candidate->files, 0), dir));

  assert_null(send_message(f, 1, IMS_MESSAGE_MARK, NULL, NULL, 1, NULL));
  assert_int_equal(candidate->files->len, 2);
  assert_int_equal(interviewer->files->len, 2);
  g_autofree char *base = g_path_get_basename(g_ptr_array_index(candidate->files, 1));
  assert_true(g_str_has_prefix(base, "q2-take1-"));
  JsonObject *segment = json_object_get_object_member(last_of_type(f, 0, "room.state"), "segment");
  assert_int_equal(json_object_get_int_member(segment, "questionIndex"), 1);
  assert_string_equal(json_object_get_string_member(segment, "text"), "Design a cache");

  assert_null(send_message(f, 1, IMS_MESSAGE_MARK, NULL, NULL, -1, "What about sharding?"));
  assert_int_equal(f->room->session->questions->len, 3);
  assert_int_equal(candidate->files->len, 3);
  flush(f);
  assert_true(has_call(f, "finish_segment 0"));
  assert_true(has_call(f, "insert_segment 1 q1 take"));
  assert_true(has_call(f, "finish_segment 1"));
  assert_true(has_call(f, "add_question What about sharding?"));
  assert_true(has_call(f, "insert_segment 2 q2 take"));
  assert_int_equal(count_calls(f, "insert_recording 2 "), 2);
  /* the first files are final once the receivers say so */
  finish_file(f, candidate, g_ptr_array_index(candidate->files, 0), TRUE);
  finish_file(f, candidate, g_ptr_array_index(candidate->files, 1), TRUE);
  flush(f);
  assert_true(has_call(f, "update_recording 0 c0000000 camera completed"));
  assert_true(has_call(f, "update_take q1 #1 completed"));
  assert_int_equal(f->saved_takes->len, 1);
  assert_string_equal(g_ptr_array_index(f->saved_takes, 0), "q1 #1 q2");
}

/* End stops every file; interview.completed waits for them: the events are interview.started,
 * one candidate.response_submitted per question segment, interview.completed, exactly once. */
static void
test_end_events_once(void **state)
{
  Fixture *f = *state;
  join(f, 0, CANDIDATE, NULL);
  join(f, 1, INTERVIEWER, NULL);
  publish_flowing(f, 0, "camera");
  FakeMedia *candidate = publisher_media(f, 0, "camera");
  assert_null(send_message(f, 1, IMS_MESSAGE_MARK, NULL, NULL, 0, NULL));
  assert_null(send_message(f, 1, IMS_MESSAGE_MARK, NULL, NULL, 1, NULL));
  assert_null(send_message(f, 1, IMS_MESSAGE_MARK, NULL, NULL, 0, NULL)); /* asked again */
  assert_null(send_message(f, 1, IMS_MESSAGE_END, NULL, NULL, -1, NULL));
  assert_true(candidate->stopped);
  assert_string_equal(json_object_get_string_member(last_of_type(f, 0, "room.state"), "state"),
                      "ended");
  assert_string_equal(send_message(f, 1, IMS_MESSAGE_END, NULL, NULL, -1, NULL), "room_ended");
  flush(f);
  /* not completed while files are open */
  assert_int_equal(count_calls(f, "save_room_state"), 1);
  assert_int_equal(f->ended->len, 0);
  for (guint i = 0; i < candidate->files->len; i++)
    finish_file(f, candidate, g_ptr_array_index(candidate->files, i), TRUE);
  flush(f);
  g_autofree char *types = event_types(f);
  assert_string_equal(types, "interview.started,candidate.response_submitted,"
                             "candidate.response_submitted,candidate.response_submitted,"
                             "interview.completed");
  JsonObject *third = json_object_get_object_member(parse(g_ptr_array_index(f->store.events, 3)),
                                                    "payload");
  assert_int_equal(json_object_get_int_member(third, "questionIndex"), 0);
  assert_int_equal(json_object_get_int_member(third, "take"), 2);
  JsonObject *completed = json_object_get_object_member(
      parse(g_ptr_array_index(f->store.events, 4)), "payload");
  assert_int_equal(json_object_get_int_member(completed, "responsesCount"), 3);
  assert_string_equal(json_object_get_string_member(completed, "kind"), "live");
  assert_true(has_call(f, "save_room_state ended"));
  assert_true(has_call(f, "finish_segment 3"));
  assert_int_equal(f->ended->len, 1);
  assert_string_equal(g_ptr_array_index(f->ended, 0), ROOM_ID);
  assert_int_equal(f->saved_takes->len, 3);
  /* the media are gone; a join now is refused */
  assert_true(candidate->closed);
  g_autoptr(GError) error = NULL;
  assert_null(ims_room_join(f->room, (ImsPeer *) &f->peers[3], CANDIDATE, NULL, &error));
  assert_true(g_error_matches(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_ROOM_ENDED));
  assert_int_equal(f->room->open_files->len, 0);
}

/* A question segment in which the candidate sent no camera is not announced. */
static void
test_segment_without_media_not_announced(void **state)
{
  Fixture *f = *state;
  join(f, 0, CANDIDATE, NULL);
  join(f, 1, INTERVIEWER, NULL);
  assert_null(send_message(f, 1, IMS_MESSAGE_MARK, NULL, NULL, 0, NULL));
  assert_null(send_message(f, 1, IMS_MESSAGE_END, NULL, NULL, -1, NULL));
  flush(f);
  g_autofree char *types = event_types(f);
  assert_string_equal(types, "interview.started,interview.completed");
  assert_true(has_call(f, "update_take q0 #1 failed"));
  assert_int_equal(f->saved_takes->len, 0);
}

/* The same participant joining again replaces its member: the old peer is told "replaced" and
 * closed, its receiver and everyone's senders on it are freed (senders first), the room goes
 * on, the others see the stream go. */
static void
test_rejoin_replaces(void **state)
{
  Fixture *f = *state;
  join(f, 0, CANDIDATE, NULL);
  join(f, 1, INTERVIEWER, NULL);
  publish_flowing(f, 0, "camera");
  FakeMedia *old_camera = publisher_media(f, 0, "camera");
  assert_null(send_message(f, 1, IMS_MESSAGE_SUBSCRIBE, "camera", CANDIDATE, -1, NULL));
  ImsRoomMember *old = g_steal_pointer(&f->members[0]);
  join(f, 3, CANDIDATE, NULL);
  assert_string_equal(last_error_code(f, 0), "replaced");
  assert_true(f->peers[0].closed);
  /* its file is cut: the receiver is freed once the file is final */
  assert_true(old_camera->stopped);
  flush(f);
  assert_false(old_camera->closed);
  finish_file(f, old_camera, old_camera->file, TRUE);
  flush(f);
  assert_true(old_camera->closed);
  assert_true(has_call(f, "update_recording 0 c0000000 camera interrupted"));
  assert_int_equal(media_log->len, 2);
  assert_string_equal(g_ptr_array_index(media_log, 0), "close_subscriber");
  assert_string_equal(g_ptr_array_index(media_log, 1), "close_publisher");
  assert_int_equal(f->room->record->state, IMS_ROOM_LIVE);
  JsonArray *participants = json_object_get_array_member(last_of_type(f, 1, "room.state"),
                                                         "participants");
  JsonObject *candidate = json_array_get_object_element(participants, 0);
  assert_true(json_object_get_boolean_member(candidate, "connected"));
  assert_int_equal(json_array_get_length(json_object_get_array_member(candidate, "streams")), 0);
  /* the old peer's close comes later and changes nothing */
  guint frames = f->peers[1].frames->len;
  ims_room_member_closed(old);
  assert_int_equal(f->peers[1].frames->len, frames);
  assert_string_equal(send_message(f, 3, IMS_MESSAGE_PUBLISH, "camera", NULL, -1, NULL) ?: "ok",
                      "ok");
}

/* A peer that goes stops its streams; a file it cut is final as interrupted (and announced so);
 * the room stays live. */
static void
test_leave_finalizes_interrupted(void **state)
{
  Fixture *f = *state;
  join(f, 0, CANDIDATE, NULL);
  join(f, 1, INTERVIEWER, NULL);
  assert_null(send_message(f, 1, IMS_MESSAGE_MARK, NULL, NULL, 0, NULL));
  publish_flowing(f, 0, "camera");
  FakeMedia *camera = publisher_media(f, 0, "camera");
  leave(f, 0);
  assert_true(camera->stopped);
  finish_file(f, camera, camera->file, TRUE);
  flush(f);
  assert_true(camera->closed);
  assert_true(has_call(f, "update_take q0 #1 interrupted"));
  assert_true(has_call(f, "update_recording 1 c0000000 camera interrupted"));
  g_autofree char *types = event_types(f);
  assert_string_equal(types, "interview.started,candidate.response_submitted");
  JsonObject *submitted = json_object_get_object_member(
      parse(g_ptr_array_index(f->store.events, 1)), "payload");
  assert_string_equal(json_object_get_string_member(submitted, "status"), "interrupted");
  assert_int_equal(f->room->record->state, IMS_ROOM_LIVE);
  JsonArray *participants = json_object_get_array_member(last_of_type(f, 1, "room.state"),
                                                         "participants");
  assert_false(json_object_get_boolean_member(json_array_get_object_element(participants, 0),
                                              "connected"));
}

/* A candidate who drops and comes back during a question goes on in a new segment of the same
 * question (a segment has one file per participant and stream): its first take is interrupted,
 * the second is take 2; the interviewer's file is split there. */
static void
test_rejoin_mid_question_new_segment(void **state)
{
  Fixture *f = *state;
  join(f, 0, CANDIDATE, NULL);
  join(f, 1, INTERVIEWER, NULL);
  publish_flowing(f, 1, "camera");
  assert_null(send_message(f, 1, IMS_MESSAGE_MARK, NULL, NULL, 1, NULL));
  publish_flowing(f, 0, "camera");
  FakeMedia *first = publisher_media(f, 0, "camera");
  FakeMedia *interviewer = publisher_media(f, 1, "camera");
  g_autofree char *first_path = g_strdup(first->file);
  leave(f, 0);
  finish_file(f, first, first_path, TRUE);
  join(f, 0, CANDIDATE, NULL);
  publish_flowing(f, 0, "camera");
  assert_int_equal(f->room->record->segments->len, 3);
  ImsRoomSegment *segment = g_ptr_array_index(f->room->record->segments, 2);
  assert_int_equal(segment->question_index, 1);
  FakeMedia *second = publisher_media(f, 0, "camera");
  g_autofree char *base = g_path_get_basename(second->file);
  assert_true(g_str_has_prefix(base, "q2-take2-"));
  assert_int_equal(interviewer->files->len, 3);
  JsonObject *view = json_object_get_object_member(last_of_type(f, 1, "room.state"), "segment");
  assert_int_equal(json_object_get_int_member(view, "index"), 2);
  flush(f);
  assert_true(has_call(f, "update_take q1 #1 interrupted"));
  assert_true(has_call(f, "insert_segment 2 q1 take"));
  assert_int_equal(count_calls(f, "insert_recording 2 c0000000 camera"), 1);
}

/* f's room as read again live: the opening, then question 0's segment (open, or closed by
 * crash recovery) whose candidate take take_id (take 1) was cut (interrupted).  Returns the
 * record. */
static ImsRoomRecord *
reload_live_room(Fixture *f, const char *take_id, gboolean closed)
{
  ImsRoomRecord *record = (ImsRoomRecord *) ims_room_get_record(f->room);
  record->state = IMS_ROOM_LIVE;
  record->started_at = g_get_real_time() - 60 * G_USEC_PER_SEC;
  ImsRoomSegment *opening = ims_room_segment_new();
  opening->started_at = record->started_at;
  opening->ended_at = record->started_at + 10 * G_USEC_PER_SEC;
  g_ptr_array_add(record->segments, opening);
  ImsRoomSegment *question = ims_room_segment_new();
  question->index = 1;
  question->question_index = 0;
  question->take_id = g_strdup(take_id);
  question->started_at = opening->ended_at;
  question->ended_at = closed ? question->started_at + 5 * G_USEC_PER_SEC : 0;
  g_ptr_array_add(record->segments, question);
  ImsTake *take = ims_take_new();
  take->id = g_strdup(take_id);
  take->question_index = 0;
  take->number = 1;
  take->status = IMS_TAKE_INTERRUPTED;
  take->path = g_strdup("/spool/q1-take1.mkv");
  g_ptr_array_add(f->room->session->takes, take);
  return record;
}

/* A live room read again (swept from memory while nobody was in, then joined) counts the
 * responses announced before in interview.completed. */
static void
test_reloaded_room_counts_earlier_responses(void **state)
{
  Fixture *f = *state;
  /* cut when everyone left */
  reload_live_room(f, "7d1f7c2e-8a43-4d0e-9f61-2c7d3e9a0b16", FALSE);

  join(f, 0, CANDIDATE, NULL);
  join(f, 1, INTERVIEWER, NULL);
  assert_null(send_message(f, 1, IMS_MESSAGE_END, NULL, NULL, -1, NULL));
  flush(f);
  g_autofree char *types = event_types(f);
  assert_string_equal(types, "interview.completed");
  JsonObject *completed = json_object_get_object_member(
      parse(g_ptr_array_index(f->store.events, 0)), "payload");
  assert_int_equal(json_object_get_int_member(completed, "responsesCount"), 1);
  assert_true(has_call(f, "finish_segment 1"));
}

/* A live room whose open segment crash recovery closed (its files and take cut, announced by
 * recovery): the first file to start after the restart opens a new segment of the same question
 * (take 2), the next ones record into it, and End announces only the new take. */
static void
test_recovered_room_goes_on_in_a_new_segment(void **state)
{
  Fixture *f = *state;
  ImsRoomRecord *record = reload_live_room(f, "7d1f7c2e-8a43-4d0e-9f61-2c7d3e9a0b17", TRUE);

  join(f, 0, CANDIDATE, NULL);
  join(f, 1, INTERVIEWER, NULL);
  publish_flowing(f, 0, "camera");
  assert_int_equal(record->segments->len, 3);
  ImsRoomSegment *segment = g_ptr_array_index(record->segments, 2);
  assert_int_equal(segment->question_index, 0);
  FakeMedia *candidate = publisher_media(f, 0, "camera");
  g_autofree char *base = g_path_get_basename(candidate->file);
  assert_true(g_str_has_prefix(base, "q1-take2-"));
  JsonObject *view = json_object_get_object_member(last_of_type(f, 1, "room.state"), "segment");
  assert_int_equal(json_object_get_int_member(view, "index"), 2);
  publish_flowing(f, 1, "camera");
  assert_int_equal(record->segments->len, 3); /* the interviewer records into it */
  FakeMedia *interviewer = publisher_media(f, 1, "camera");
  assert_non_null(interviewer->file);
  g_autofree char *candidate_path = g_strdup(candidate->file);
  g_autofree char *interviewer_path = g_strdup(interviewer->file);

  assert_null(send_message(f, 1, IMS_MESSAGE_END, NULL, NULL, -1, NULL));
  finish_file(f, candidate, candidate_path, TRUE);
  finish_file(f, interviewer, interviewer_path, TRUE);
  flush(f);
  assert_true(has_call(f, "insert_segment 2 q0 take"));
  assert_int_equal(count_calls(f, "insert_recording 2 "), 2);
  assert_false(has_call(f, "finish_segment 1"));
  g_autofree char *types = event_types(f);
  assert_string_equal(types, "candidate.response_submitted,interview.completed");
  JsonObject *completed = json_object_get_object_member(
      parse(g_ptr_array_index(f->store.events, 1)), "payload");
  assert_int_equal(json_object_get_int_member(completed, "responsesCount"), 2);
}

/* Observers are listed to interviewers (and to themselves), not to the candidate unless the
 * room's settings say so. */
static void
test_observer_visibility(void **state)
{
  Fixture *f = *state;
  join(f, 0, CANDIDATE, NULL);
  join(f, 1, INTERVIEWER, NULL);
  join(f, 2, NULL, "recruiter-1");
  assert_int_equal(json_array_get_length(json_object_get_array_member(
                       last_of_type(f, 0, "room.state"), "participants")),
                   2);
  assert_int_equal(json_array_get_length(json_object_get_array_member(
                       last_of_type(f, 1, "room.state"), "participants")),
                   3);
  JsonObject *own = last_of_type(f, 2, "room.joined");
  assert_string_equal(json_object_get_string_member(own, "role"), "observer");
  /* the same recruiter is the same observer */
  const char *observer_id = ims_room_member_get_participant_id(f->members[2]);
  g_autofree char *first = g_strdup(observer_id);
  leave(f, 2);
  join(f, 2, NULL, "recruiter-1");
  assert_string_equal(ims_room_member_get_participant_id(f->members[2]), first);

  f->room->record->observers_visible = TRUE;
  ims_room_broadcast_state(f->room);
  assert_int_equal(json_array_get_length(json_object_get_array_member(
                       last_of_type(f, 0, "room.state"), "participants")),
                   3);
}

/* "quality" lists each publishing member's link. */
static void
test_quality(void **state)
{
  Fixture *f = *state;
  join(f, 0, CANDIDATE, NULL);
  join(f, 1, INTERVIEWER, NULL);
  publish_flowing(f, 0, "camera");
  ims_room_send_quality(f->room);
  JsonArray *participants = json_object_get_array_member(last_of_type(f, 1, "quality"),
                                                         "participants");
  assert_int_equal(json_array_get_length(participants), 1);
  JsonObject *candidate = json_array_get_object_element(participants, 0);
  assert_string_equal(json_object_get_string_member(candidate, "participantId"), CANDIDATE);
  assert_float_equal(json_object_get_double_member(candidate, "rttMs"), 40, 0);

  /* an RTT not measured yet is null, never a made-up figure */
  fake_publisher_rtt_ms = -1;
  ims_room_send_quality(f->room);
  fake_publisher_rtt_ms = 40;
  participants = json_object_get_array_member(last_of_type(f, 1, "quality"), "participants");
  candidate = json_array_get_object_element(participants, 0);
  assert_true(json_object_get_null_member(candidate, "rttMs"));
}

/* With recording "candidate", interviewers are forwarded, not recorded. */
static void
test_record_candidate_only(void **state)
{
  Fixture *f = *state;
  ims_room_unref(f->room);
  f->room = make_room(f, FALSE, FALSE);
  join(f, 0, CANDIDATE, NULL);
  join(f, 1, INTERVIEWER, NULL);
  publish_flowing(f, 0, "camera");
  publish_flowing(f, 1, "camera");
  assert_int_equal(publisher_media(f, 0, "camera")->files->len, 1);
  assert_int_equal(publisher_media(f, 1, "camera")->files->len, 0);
  assert_null(send_message(f, 0, IMS_MESSAGE_SUBSCRIBE, "camera", INTERVIEWER, -1, NULL));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_live_when_candidate_and_interviewer, setup, teardown),
    cmocka_unit_test_setup_teardown(test_roles_forbidden, setup, teardown),
    cmocka_unit_test_setup_teardown(test_mark_splits_files, setup, teardown),
    cmocka_unit_test_setup_teardown(test_end_events_once, setup, teardown),
    cmocka_unit_test_setup_teardown(test_segment_without_media_not_announced, setup, teardown),
    cmocka_unit_test_setup_teardown(test_rejoin_replaces, setup, teardown),
    cmocka_unit_test_setup_teardown(test_leave_finalizes_interrupted, setup, teardown),
    cmocka_unit_test_setup_teardown(test_rejoin_mid_question_new_segment, setup, teardown),
    cmocka_unit_test_setup_teardown(test_recovered_room_goes_on_in_a_new_segment, setup, teardown),
    cmocka_unit_test_setup_teardown(test_reloaded_room_counts_earlier_responses, setup, teardown),
    cmocka_unit_test_setup_teardown(test_observer_visibility, setup, teardown),
    cmocka_unit_test_setup_teardown(test_quality, setup, teardown),
    cmocka_unit_test_setup_teardown(test_record_candidate_only, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
