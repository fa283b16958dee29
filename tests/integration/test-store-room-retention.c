/* test-store-room-retention.c: company retention of a live room's objects
 * against a real PostgreSQL (store.h list_expired_media_files,
 * mark_media_deleted): a room's uploaded recordings and its composite expire
 * with its candidate's takes, as old as the room's end, by the company of
 * the room's candidate session; a candidate take's recording (its object is
 * the take's original) is listed once, as the original, by retention and
 * by user.deleted's listing; marking them deleted clears the keys, so
 * nothing is listed twice.
 *
 * Needs IMSD_TEST_PG as test-store.c does (store-fixture.h): each run in its
 * own schema, every test from empty tables.
 */
#include <string.h>

#include "store-fixture.h"

#define DAY ((gint64) 24 * 3600 * G_USEC_PER_SEC)

/* What one room holds in S3 once its composite is ready. */
typedef struct {
  char *room_id;
  char *session_id;
  char *original_id; /* the candidate take's original (media_files) */
  char *opening_id;  /* the candidate's opening file (room_recordings, uploaded) */
  char *take_recording_id; /* the take's recording: its object is the original */
  char *screen_id;   /* the interviewer's screen share (room_recordings, uploaded) */
} StoredRoom;

static void
stored_room_clear(StoredRoom *room)
{
  g_free(room->room_id);
  g_free(room->session_id);
  g_free(room->original_id);
  g_free(room->opening_id);
  g_free(room->take_recording_id);
  g_free(room->screen_id);
}

/* Fails the test unless ok; *error is read after the call that set it. */
static void
check(gboolean ok, const char *what, GError **error)
{
  if (!ok)
    fail_msg("%s: %s", what, *error ? (*error)->message : "failed");
}

/* A recording of the room in its session's spool folder, with object_key (NULL: not uploaded). */
static char *
record(ImsStore *store, const StoredRoom *stored, int segment, const char *participant_id,
       const char *stream, const char *object_key)
{
  g_autoptr(GError) error = NULL;
  ImsRoomRecording *recording = ims_room_recording_new();
  recording->id = g_uuid_string_random();
  recording->segment = segment;
  recording->participant_id = g_strdup(participant_id);
  recording->stream = g_strdup(stream);
  recording->path = g_strdup_printf("/spool/%s/%d-%s.mkv", stored->session_id, segment, stream);
  check(store->rooms.insert_recording(store, stored->room_id, recording, &error), "insert_recording",
        &error);
  recording->status = IMS_TAKE_COMPLETED;
  recording->size_bytes = 300 + segment;
  recording->object_key = g_strdup(object_key);
  if (object_key)
    check(store->rooms.update_recording(store, recording, &error), "update_recording", &error);
  char *id = g_strdup(recording->id);
  ims_room_recording_free(recording);
  return id;
}

/* An ended room of company_id for user_id, ended (and its take's original uploaded) at ended_at:
 * the opening (the candidate's file uploaded), question 0 (the candidate's take with its original,
 * the interviewer's screen share uploaded), the composite ready. */
static void
add_stored_room(ImsStore *store, const char *company_id, const char *user_id, gint64 ended_at,
                StoredRoom *stored)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsSessionRecord) session = make_session(TRUE);
  g_free(session->user_id);
  session->user_id = g_strdup(user_id);
  g_free(session->company_id);
  session->company_id = g_strdup(company_id);
  g_autoptr(ImsRoomRecord) room = ims_room_record_new();
  room->id = g_uuid_string_random();
  room->interview_id = g_strdup_printf("iv-%s", room->id);
  room->session_id = g_strdup(session->id);
  room->type = g_strdup("technical");
  room->company_id = g_strdup(company_id);
  room->scheduled_at = ended_at - (gint64) 3600 * G_USEC_PER_SEC;
  room->duration_minutes = 45;
  const ImsRoomRole roles[] = { IMS_ROOM_ROLE_CANDIDATE, IMS_ROOM_ROLE_INTERVIEWER };
  for (gsize i = 0; i < G_N_ELEMENTS(roles); i++) {
    ImsRoomParticipant *participant = ims_room_participant_new();
    participant->id = g_uuid_string_random();
    participant->role = roles[i];
    participant->user_id = g_strdup(i == 0 ? user_id : "user-int");
    g_ptr_array_add(room->participants, participant);
  }
  check(store->rooms.create_room(store, room, session, &error), "create_room", &error);
  stored->room_id = g_strdup(room->id);
  stored->session_id = g_strdup(session->id);

  g_autofree char *take_id = g_uuid_string_random();
  for (int index = 0; index < 2; index++) {
    g_autoptr(ImsRoomSegment) segment = ims_room_segment_new();
    segment->index = index;
    segment->question_index = index - 1;
    segment->take_id = index == 1 ? g_strdup(take_id) : NULL;
    segment->started_at = room->scheduled_at + index * 60 * G_USEC_PER_SEC;
    check(store->rooms.insert_segment(store, room->id, segment, &error), "insert_segment", &error);
  }
  const char *candidate = ((ImsRoomParticipant *) g_ptr_array_index(room->participants, 0))->id;
  const char *interviewer = ((ImsRoomParticipant *) g_ptr_array_index(room->participants, 1))->id;
  g_autofree char *opening_key = g_strdup_printf("rooms/%s/0-c-camera.mkv", room->id);
  g_autofree char *screen_key = g_strdup_printf("rooms/%s/1-i-screen.mkv", room->id);
  stored->opening_id = record(store, stored, 0, candidate, "camera", opening_key);
  stored->take_recording_id = record(store, stored, 1, candidate, "camera", NULL);
  stored->screen_id = record(store, stored, 1, interviewer, "screen", screen_key);

  g_autoptr(ImsMediaFile) original = ims_media_file_new();
  original->id = g_uuid_string_random();
  original->take_id = g_strdup(take_id);
  original->session_id = g_strdup(session->id);
  original->kind = g_strdup("original");
  original->key = g_strdup_printf("interviews/%s/%s/original.mkv", session->id, take_id);
  original->content_type = g_strdup("video/x-matroska");
  original->size_bytes = 1000;
  original->checksum = g_strdup("d41d8cd98f00b204e9800998ecf8427e");
  original->created_at = ended_at - 60 * G_USEC_PER_SEC;
  check(store->media.add_media_file(store, original, &error), "add_media_file", &error);
  stored->original_id = g_strdup(original->id);

  room->state = IMS_ROOM_ENDED;
  room->started_at = room->scheduled_at;
  room->ended_at = ended_at;
  check(store->rooms.save_room_state(store, room, &error), "save_room_state", &error);
  g_autofree char *composite_key = g_strdup_printf("rooms/%s/composite.mp4", room->id);
  check(store->rooms.set_composite(store, room->id, "ready", composite_key, 5000, NULL, &error),
        "set_composite", &error);
}

static GPtrArray *
list_expired(ImsStore *store, const char *company_id, gint64 older_than, GPtrArray **users)
{
  static const char *const excluded[] = { "acme", "beta", NULL };
  g_autoptr(GError) error = NULL;
  GPtrArray *files = store->privacy.list_expired_media_files(store, company_id, excluded,
                                                             older_than, users, &error);
  check(files != NULL, "list_expired_media_files", &error);
  return files;
}

/* file is the object expected: id, kind, key's start, size. */
static void
assert_file(const ImsMediaFile *file, const char *id, const char *kind, const char *key_prefix,
            gint64 size_bytes, const char *session_id)
{
  if (g_strcmp0(file->id, id) != 0 || g_strcmp0(file->kind, kind) != 0)
    fail_msg("listed %s (%s), expected %s (%s)", file->id, file->kind, id, kind);
  assert_true(g_str_has_prefix(file->key, key_prefix));
  assert_int_equal(file->size_bytes, size_bytes);
  assert_string_equal(file->session_id, session_id);
}

static void
test_room_objects_expire(void **state)
{
  ImsStore *store = *state;
  gint64 now = g_get_real_time();
  StoredRoom old = { 0 }, recent = { 0 }, other = { 0 };
  add_stored_room(store, "acme", "user-42", now - 40 * DAY, &old);
  add_stored_room(store, "acme", "user-43", now - DAY, &recent);
  add_stored_room(store, "beta", "user-44", now - 40 * DAY, &other);

  /* acme's rooms ended 30+ days ago: the take's original, the recordings, then the composite */
  g_autoptr(GPtrArray) users = NULL;
  g_autoptr(GPtrArray) files = list_expired(store, "acme", now - 30 * DAY, &users);
  assert_int_equal(files->len, 4);
  assert_file(g_ptr_array_index(files, 0), old.original_id, "original", "interviews/", 1000,
              old.session_id);
  const ImsMediaFile *first = g_ptr_array_index(files, 1), *second = g_ptr_array_index(files, 2);
  gboolean opening_first = g_str_equal(first->id, old.opening_id);
  g_autofree char *room_keys = g_strdup_printf("rooms/%s/", old.room_id);
  assert_file(opening_first ? first : second, old.opening_id, "room-recording", room_keys, 300,
              old.session_id);
  assert_file(opening_first ? second : first, old.screen_id, "room-recording", room_keys, 301,
              old.session_id);
  assert_file(g_ptr_array_index(files, 3), old.room_id, "composite", room_keys, 5000,
              old.session_id);
  for (guint i = 0; i < users->len; i++)
    assert_string_equal(g_ptr_array_index(users, i), "user-42");
  assert_true(((ImsMediaFile *) g_ptr_array_index(files, 3))->created_at == now - 40 * DAY);

  /* the rest of the companies: not acme's nor beta's; beta's own listing has its room */
  g_autoptr(GPtrArray) rest_users = NULL;
  g_autoptr(GPtrArray) rest = list_expired(store, NULL, now - 30 * DAY, &rest_users);
  assert_int_equal(rest->len, 0);
  g_autoptr(GPtrArray) beta_users = NULL;
  g_autoptr(GPtrArray) beta = list_expired(store, "beta", now - 30 * DAY, &beta_users);
  assert_int_equal(beta->len, 4);

  /* marked deleted: the original's row, and every key of the room (the take's recording too) */
  g_autoptr(GError) error = NULL;
  for (guint i = 0; i < files->len; i++)
    check(store->privacy.mark_media_deleted(store, ((ImsMediaFile *) g_ptr_array_index(files, i))->id,
                                            &error),
          "mark_media_deleted", &error);
  g_autofree char *deleted = g_strdup_printf(
      "SELECT count(*) FROM media_files WHERE status = 'deleted' AND id = '%s'", old.original_id);
  assert_int_equal(admin_count(deleted), 1);
  g_autofree char *keys = g_strdup_printf(
      "SELECT count(*) FROM room_recordings WHERE object_key IS NOT NULL AND room_id = '%s'",
      old.room_id);
  assert_int_equal(admin_count(keys), 0);
  g_autofree char *composite = g_strdup_printf(
      "SELECT count(*) FROM rooms WHERE composite_key IS NULL AND id = '%s'", old.room_id);
  assert_int_equal(admin_count(composite), 1);
  assert_int_equal(admin_count("SELECT count(*) FROM room_recordings WHERE object_key IS NOT NULL"),
                   6); /* the other rooms keep theirs: 2 uploaded + the take's, each */
  g_autoptr(GPtrArray) again_users = NULL;
  g_autoptr(GPtrArray) again = list_expired(store, "acme", now - 30 * DAY, &again_users);
  assert_int_equal(again->len, 0);

  /* an id of nothing */
  g_autofree char *unknown = g_uuid_string_random();
  assert_false(store->privacy.mark_media_deleted(store, unknown, &error));
  assert_true(g_error_matches(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND));
  g_clear_error(&error);
  assert_false(store->privacy.mark_media_deleted(store, "not-a-uuid", &error));
  assert_true(g_error_matches(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND));
  stored_room_clear(&old);
  stored_room_clear(&recent);
  stored_room_clear(&other);
}

/* user.deleted's listing names a candidate take's object once, as its original (one media.deleted),
 * not a second time as the take's room recording. */
static void
test_user_objects_list_a_take_once(void **state)
{
  ImsStore *store = *state;
  StoredRoom room = { 0 };
  add_stored_room(store, "acme", "user-42", g_get_real_time(), &room);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) files = store->privacy.list_user_media_files(store, "user-42", &error);
  check(files != NULL, "list_user_media_files", &error);
  assert_int_equal(files->len, 4); /* the original, the opening, the screen share, the composite */
  for (guint i = 0; i < files->len; i++)
    if (g_str_equal(((ImsMediaFile *) g_ptr_array_index(files, i))->id, room.take_recording_id))
      fail_msg("the take's recording %s is listed beside its original", room.take_recording_id);
  stored_room_clear(&room);
}

int
main(void)
{
  require_test_pg();
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_room_objects_expire, setup, teardown),
    cmocka_unit_test_setup_teardown(test_user_objects_list_a_take_once, setup, teardown),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
