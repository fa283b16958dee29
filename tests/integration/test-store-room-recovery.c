/* test-store-room-recovery.c: the PostgreSQL store's list_rooms_to_recover
 * (store.h ImsRoomStoreOps) against a real server: the rooms not ended with
 * a recording left RECORDING under a spool prefix, and nothing else
 * (store-fixture.h: IMSD_TEST_PG, a schema of the run's own). */
#include <string.h>

#include "store-fixture.h"

/* A live room of interview_id with a candidate, segment 0 open; transfer full. */
static ImsRoomRecord *
create_live_room(ImsStore *store, const char *interview_id)
{
  g_autoptr(ImsSessionRecord) session = make_session(FALSE);
  g_free(session->interview_id);
  session->interview_id = g_strdup(interview_id);
  ImsRoomRecord *room = ims_room_record_new();
  room->id = g_uuid_string_random();
  room->interview_id = g_strdup(interview_id);
  room->session_id = g_strdup(session->id);
  room->type = g_strdup("technical");
  room->company_id = g_strdup("company-9");
  room->scheduled_at = 1700003600000000;
  room->duration_minutes = 30;
  room->created_at = 1700000000000000;
  ImsRoomParticipant *candidate = ims_room_participant_new();
  candidate->id = g_uuid_string_random();
  candidate->role = IMS_ROOM_ROLE_CANDIDATE;
  candidate->user_id = g_strdup(session->user_id);
  g_ptr_array_add(room->participants, candidate);
  g_autoptr(GError) error = NULL;
  if (!store->rooms.create_room(store, room, session, &error))
    fail_msg("create_room: %s", error->message);
  room->state = IMS_ROOM_LIVE;
  room->started_at = 1700003600000000;
  if (!store->rooms.save_room_state(store, room, &error))
    fail_msg("save_room_state: %s", error->message);
  g_autoptr(ImsRoomSegment) segment = ims_room_segment_new();
  segment->index = 0;
  segment->started_at = room->started_at;
  if (!store->rooms.insert_segment(store, room->id, segment, &error))
    fail_msg("insert_segment: %s", error->message);
  return room;
}

/* A recording of the room's candidate's stream in segment 0 at path with status. */
static void
add_recording(ImsStore *store, const ImsRoomRecord *room, const char *stream, const char *path,
              ImsTakeStatus status)
{
  g_autoptr(ImsRoomRecording) recording = ims_room_recording_new();
  recording->id = g_uuid_string_random();
  recording->segment = 0;
  recording->participant_id =
      g_strdup(((ImsRoomParticipant *) g_ptr_array_index(room->participants, 0))->id);
  recording->stream = g_strdup(stream);
  recording->path = g_strdup(path);
  g_autoptr(GError) error = NULL;
  if (!store->rooms.insert_recording(store, room->id, recording, &error))
    fail_msg("insert_recording: %s", error->message);
  recording->status = status;
  recording->size_bytes = 10;
  if (status != IMS_TAKE_RECORDING && !store->rooms.update_recording(store, recording, &error))
    fail_msg("update_recording: %s", error->message);
}

static GPtrArray *
list(ImsStore *store, const char *prefix)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *ids = store->rooms.list_rooms_to_recover(store, prefix, &error);
  if (!ids)
    fail_msg("list_rooms_to_recover: %s", error->message);
  return ids;
}

static void
test_rooms_left_recording_under_the_prefix(void **state)
{
  ImsStore *store = *state;
  g_autoptr(ImsRoomRecord) open = create_live_room(store, "iv-open");
  add_recording(store, open, "camera", "/spool/a/room-s0.mkv", IMS_TAKE_RECORDING);
  add_recording(store, open, "screen", "/spool/a/room-s0-b.mkv", IMS_TAKE_RECORDING);
  g_autoptr(ImsRoomRecord) finished = create_live_room(store, "iv-finished");
  add_recording(store, finished, "camera", "/spool/a/room-s0-c.mkv", IMS_TAKE_INTERRUPTED);
  g_autoptr(ImsRoomRecord) other = create_live_room(store, "iv-other");
  add_recording(store, other, "camera", "/spool/ab/room-s0.mkv", IMS_TAKE_RECORDING);
  g_autoptr(ImsRoomRecord) ended = create_live_room(store, "iv-ended");
  add_recording(store, ended, "camera", "/spool/a/room-s0-d.mkv", IMS_TAKE_RECORDING);
  ended->state = IMS_ROOM_ENDED;
  ended->ended_at = ended->started_at + 1;
  g_autoptr(GError) error = NULL;
  assert_true(store->rooms.save_room_state(store, ended, &error));

  /* once, though it has two; not the finished one, another spool's or an ended room */
  g_autoptr(GPtrArray) ids = list(store, "/spool/a/");
  assert_int_equal(ids->len, 1);
  assert_string_equal(g_ptr_array_index(ids, 0), open->id);
  g_autoptr(GPtrArray) others = list(store, "/spool/ab/");
  assert_int_equal(others->len, 1);
  assert_string_equal(g_ptr_array_index(others, 0), other->id);
  g_autoptr(GPtrArray) none = list(store, "/elsewhere/");
  assert_int_equal(none->len, 0);
  /* it changes nothing */
  assert_int_equal(admin_count("SELECT count(*) FROM room_recordings WHERE status = 'recording'"), 4);
}

int
main(void)
{
  require_test_pg();
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_rooms_left_recording_under_the_prefix, setup, teardown),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
