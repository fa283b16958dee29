/* test-store-rooms.c: the PostgreSQL store's live rooms against a real
 * server (store.h ImsRoomStoreOps): create/load round trip, segments with
 * the candidate's takes, recordings, off-script questions, the composite
 * listing, NOT_FOUND, one room not ended per interview, the review list's
 * kind and room id, and a user's erasure taking the room with it
 * (store-fixture.h: IMSD_TEST_PG, a schema of the run's own). */
#include <json-glib/json-glib.h>
#include <string.h>

#include "store-fixture.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PGresult, PQclear)

static ImsRoomParticipant *
make_participant(ImsRoomRole role, const char *user_id, const char *name, const char *email)
{
  ImsRoomParticipant *participant = ims_room_participant_new();
  participant->id = g_uuid_string_random();
  participant->role = role;
  participant->user_id = g_strdup(user_id);
  participant->name = g_strdup(name);
  participant->email = g_strdup(email);
  return participant;
}

/* A scheduled room of interview_id for user-42 (make_session's user) with a
 * candidate and two interviewers; *session gets its candidate session. */
static ImsRoomRecord *
make_room(const char *interview_id, ImsSessionRecord **session)
{
  ImsSessionRecord *record = make_session(TRUE);
  g_free(record->interview_id);
  record->interview_id = g_strdup(interview_id);
  record->think_seconds = 0;
  record->max_retakes = 0;
  ImsRoomRecord *room = ims_room_record_new();
  room->id = g_uuid_string_random();
  room->interview_id = g_strdup(interview_id);
  room->session_id = g_strdup(record->id);
  room->type = g_strdup("technical");
  room->company_id = g_strdup("company-9");
  room->scheduled_at = 1700003600000001;
  room->duration_minutes = 45;
  room->observers_visible = FALSE;
  room->allow_screen_share = TRUE;
  room->record_interviewers = TRUE;
  room->created_at = 1700000000654321;
  g_ptr_array_add(room->participants, make_participant(IMS_ROOM_ROLE_CANDIDATE, record->user_id,
                                                       NULL, "ana@example.com"));
  g_ptr_array_add(room->participants,
                  make_participant(IMS_ROOM_ROLE_INTERVIEWER, "user-int", "Ada \"L\"", NULL));
  g_ptr_array_add(room->participants,
                  make_participant(IMS_ROOM_ROLE_INTERVIEWER, "user-int2", "Grace", NULL));
  *session = record;
  return room;
}

static void
create_room(ImsStore *store, const ImsRoomRecord *room, const ImsSessionRecord *session)
{
  g_autoptr(GError) error = NULL;
  if (!store->rooms.create_room(store, room, session, &error))
    fail_msg("create_room: %s", error->message);
}

static ImsRoomRecord *
load_room(ImsStore *store, const char *id)
{
  g_autoptr(GError) error = NULL;
  ImsRoomRecord *room = store->rooms.load_room(store, id, &error);
  if (room == NULL)
    fail_msg("load_room: %s", error->message);
  return room;
}

/* Per test: an open store (store-fixture.h) holding one scheduled room of
 * interview iv-fixture and its candidate session. */
typedef struct {
  ImsStore *store;
  ImsRoomRecord *room;
  ImsSessionRecord *session;
  const ImsRoomSegment *segment; /* what insert_segment_body inserts */
} RoomFixture;

static int
room_setup(void **state)
{
  if (setup(state) != 0)
    return -1;
  RoomFixture *fixture = g_new0(RoomFixture, 1);
  fixture->store = *state;
  fixture->room = make_room("iv-fixture", &fixture->session);
  create_room(fixture->store, fixture->room, fixture->session);
  *state = fixture;
  return 0;
}

static int
room_teardown(void **state)
{
  RoomFixture *fixture = *state;
  ims_room_record_free(fixture->room);
  ims_session_record_free(fixture->session);
  *state = fixture->store;
  g_free(fixture);
  return teardown(state);
}

static ImsRoomParticipant *
participant_of(const ImsRoomRecord *room, guint index)
{
  return g_ptr_array_index(room->participants, index);
}

static void
test_create_load_round_trip(void **state)
{
  RoomFixture *f = *state;
  ImsStore *store = f->store;
  ImsRoomRecord *room = f->room;
  ImsSessionRecord *session = f->session;

  g_autoptr(ImsRoomRecord) loaded = load_room(store, room->id);
  assert_string_equal(loaded->id, room->id);
  assert_string_equal(loaded->interview_id, "iv-fixture");
  assert_string_equal(loaded->session_id, session->id);
  assert_string_equal(loaded->type, "technical");
  assert_string_equal(loaded->company_id, "company-9");
  assert_int_equal(loaded->scheduled_at, room->scheduled_at);
  assert_int_equal(loaded->duration_minutes, 45);
  assert_false(loaded->observers_visible);
  assert_true(loaded->allow_screen_share);
  assert_true(loaded->record_interviewers);
  assert_int_equal(loaded->state, IMS_ROOM_SCHEDULED);
  assert_int_equal(loaded->created_at, room->created_at);
  assert_int_equal(loaded->started_at, 0);
  assert_int_equal(loaded->ended_at, 0);
  assert_string_equal(loaded->composite_status, "pending");
  assert_null(loaded->composite_key);
  assert_null(loaded->composite_chapters);
  assert_int_equal(loaded->segments->len, 0);
  assert_int_equal(loaded->recordings->len, 0);
  assert_int_equal(loaded->participants->len, 3);
  for (guint i = 0; i < 3; i++) {
    ImsRoomParticipant *expected = participant_of(room, i), *actual = participant_of(loaded, i);
    assert_string_equal(actual->id, expected->id);
    assert_int_equal(actual->role, expected->role);
    assert_string_equal(actual->user_id, expected->user_id);
    assert_true(g_strcmp0(actual->name, expected->name) == 0);
    assert_true(g_strcmp0(actual->email, expected->email) == 0);
  }

  /* The candidate session is live, with its questions. */
  g_autoptr(ImsSessionRecord) live = load_session(store, session->id);
  assert_int_equal(live->kind, IMS_SESSION_LIVE);
  assert_string_equal(live->room_id, room->id);
  assert_int_equal(live->questions->len, 3);
  assert_int_equal(live->think_seconds, 0);

  /* A copy is deep and equal. */
  g_autoptr(ImsRoomRecord) copy = ims_room_record_copy(loaded);
  assert_ptr_not_equal(copy->participants, loaded->participants);
  assert_string_equal(participant_of(copy, 1)->name, "Ada \"L\"");
}

/* A one-way session stays one_way; the review list says each session's kind
 * and a live one's room. */
static void
test_review_list_kind_and_room(void **state)
{
  RoomFixture *f = *state;
  ImsStore *store = f->store;
  g_autoptr(ImsSessionRecord) one_way = make_session(TRUE);
  create_session(store, one_way);
  g_autoptr(ImsSessionRecord) loaded = load_session(store, one_way->id);
  assert_int_equal(loaded->kind, IMS_SESSION_ONE_WAY);
  assert_null(loaded->room_id);

  ImsSessionFilter filter = { .company_id = "company-9", .limit = 10 };
  gint64 total = 0;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = store->review.list_sessions(store, &filter, &total, &error);
  assert_non_null(list);
  assert_int_equal(total, 2);
  int live = 0;
  for (guint i = 0; i < list->len; i++) {
    ImsSessionSummary *summary = g_ptr_array_index(list, i);
    if (g_str_equal(summary->record->id, f->session->id)) {
      assert_int_equal(summary->record->kind, IMS_SESSION_LIVE);
      assert_string_equal(summary->record->room_id, f->room->id);
      live++;
    } else {
      assert_int_equal(summary->record->kind, IMS_SESSION_ONE_WAY);
      assert_null(summary->record->room_id);
    }
  }
  assert_int_equal(live, 1);
}

static ImsRoomSegment *
make_segment(int index, int question_index, gboolean with_take, gint64 started_at)
{
  ImsRoomSegment *segment = ims_room_segment_new();
  segment->index = index;
  segment->question_index = question_index;
  segment->take_id = with_take ? g_uuid_string_random() : NULL;
  segment->started_at = started_at;
  return segment;
}

static void
insert_segment(ImsStore *store, const char *room_id, const ImsRoomSegment *segment)
{
  g_autoptr(GError) error = NULL;
  if (!store->rooms.insert_segment(store, room_id, segment, &error))
    fail_msg("insert_segment: %s", error->message);
}

static ImsRoomRecording *
make_recording(int segment, const char *participant_id, const char *stream)
{
  ImsRoomRecording *recording = ims_room_recording_new();
  recording->id = g_uuid_string_random();
  recording->segment = segment;
  recording->participant_id = g_strdup(participant_id);
  recording->stream = g_strdup(stream);
  recording->path = g_strdup_printf("/spool/room/%s-%d-%s.mkv", participant_id, segment, stream);
  return recording;
}

static void
insert_recording(ImsStore *store, const char *room_id, const ImsRoomRecording *recording)
{
  g_autoptr(GError) error = NULL;
  if (!store->rooms.insert_recording(store, room_id, recording, &error))
    fail_msg("insert_recording: %s", error->message);
}

/* The opening, then question 1 twice: each question segment is a take of the
 * candidate session numbered by how many times the question was marked, whose
 * file is the candidate's camera recording of that segment. */
static void
test_segments_with_takes(void **state)
{
  RoomFixture *f = *state;
  ImsStore *store = f->store;
  ImsRoomRecord *room = f->room;
  ImsSessionRecord *session = f->session;
  const gint64 t0 = 1700003600000000;

  g_autoptr(ImsRoomSegment) opening = make_segment(0, -1, FALSE, t0);
  insert_segment(store, room->id, opening);
  g_autoptr(GError) error = NULL;
  assert_true(store->rooms.finish_segment(store, room->id, 0, t0 + 1000000, &error));
  g_autoptr(ImsRoomSegment) first = make_segment(1, 1, TRUE, t0 + 1000000);
  insert_segment(store, room->id, first);
  ImsRoomParticipant *candidate = participant_of(room, 0), *interviewer = participant_of(room, 1);
  g_autoptr(ImsRoomRecording) candidate_camera = make_recording(1, candidate->id, "camera");
  g_autoptr(ImsRoomRecording) candidate_screen = make_recording(1, candidate->id, "screen");
  g_autoptr(ImsRoomRecording) interviewer_camera = make_recording(1, interviewer->id, "camera");
  insert_recording(store, room->id, candidate_camera);
  insert_recording(store, room->id, candidate_screen);
  insert_recording(store, room->id, interviewer_camera);
  assert_true(store->rooms.finish_segment(store, room->id, 1, t0 + 2000000, &error));
  g_autoptr(ImsRoomSegment) again = make_segment(2, 1, TRUE, t0 + 2000000);
  insert_segment(store, room->id, again);

  g_autoptr(ImsRoomRecord) loaded = load_room(store, room->id);
  assert_int_equal(loaded->segments->len, 3);
  ImsRoomSegment *segment = g_ptr_array_index(loaded->segments, 0);
  assert_int_equal(segment->index, 0);
  assert_int_equal(segment->question_index, -1);
  assert_null(segment->take_id);
  assert_int_equal(segment->started_at, t0);
  assert_int_equal(segment->ended_at, t0 + 1000000);
  segment = g_ptr_array_index(loaded->segments, 1);
  assert_int_equal(segment->question_index, 1);
  assert_string_equal(segment->take_id, first->take_id);
  assert_int_equal(segment->ended_at, t0 + 2000000);
  segment = g_ptr_array_index(loaded->segments, 2);
  assert_string_equal(segment->take_id, again->take_id);
  assert_int_equal(segment->ended_at, 0);

  g_autoptr(ImsSessionRecord) live = load_session(store, session->id);
  assert_int_equal(live->takes->len, 2);
  ImsTake *take = g_ptr_array_index(live->takes, 0);
  assert_string_equal(take->id, first->take_id);
  assert_int_equal(take->question_index, 1);
  assert_int_equal(take->number, 1);
  assert_int_equal(take->status, IMS_TAKE_RECORDING);
  assert_int_equal(take->started_at, t0 + 1000000);
  assert_string_equal(take->path, candidate_camera->path); /* not the screen's nor the interviewer's */
  take = g_ptr_array_index(live->takes, 1);
  assert_string_equal(take->id, again->take_id);
  assert_int_equal(take->number, 2);
  assert_string_equal(take->path, "");

  /* By segment, then participant (creation order), then stream. */
  assert_int_equal(loaded->recordings->len, 3);
  ImsRoomRecording *recording = g_ptr_array_index(loaded->recordings, 0);
  assert_string_equal(recording->id, candidate_camera->id);
  assert_int_equal(recording->status, IMS_TAKE_RECORDING);
  assert_string_equal(recording->path, candidate_camera->path);
  assert_null(recording->object_key);
  assert_string_equal(((ImsRoomRecording *) g_ptr_array_index(loaded->recordings, 1))->id,
                      candidate_screen->id);
  assert_string_equal(((ImsRoomRecording *) g_ptr_array_index(loaded->recordings, 2))->id,
                      interviewer_camera->id);

  /* A second segment 2, a segment of a question the session does not have,
   * a take without a question, a segment or a recording of no room. */
  g_autoptr(ImsRoomSegment) duplicate = make_segment(2, 0, FALSE, t0);
  assert_false(store->rooms.insert_segment(store, room->id, duplicate, &error));
  assert_true(g_error_matches(error, IMS_STORE_ERROR, IMS_STORE_ERROR_CONFLICT));
  g_clear_error(&error);
  g_autoptr(ImsRoomSegment) unknown_question = make_segment(3, 7, TRUE, t0);
  assert_false(store->rooms.insert_segment(store, room->id, unknown_question, &error));
  assert_true(g_error_matches(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND));
  g_clear_error(&error);
  g_autoptr(ImsRoomSegment) no_question = make_segment(3, -1, TRUE, t0);
  assert_false(store->rooms.insert_segment(store, room->id, no_question, &error));
  g_clear_error(&error);
  g_autoptr(ImsRoomRecording) no_segment = make_recording(9, candidate->id, "camera");
  assert_false(store->rooms.insert_recording(store, room->id, no_segment, &error));
  assert_true(g_error_matches(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND));
  g_clear_error(&error);
  g_autoptr(ImsSessionRecord) after = load_session(store, session->id);
  assert_int_equal(after->takes->len, 2); /* the failed inserts left no take */
}

static void
test_recordings_update(void **state)
{
  RoomFixture *f = *state;
  ImsStore *store = f->store;
  ImsRoomRecord *room = f->room;
  g_autoptr(ImsRoomSegment) opening = make_segment(0, -1, FALSE, 1700003600000000);
  insert_segment(store, room->id, opening);
  g_autoptr(ImsRoomRecording) recording = make_recording(0, participant_of(room, 1)->id, "screen");
  insert_recording(store, room->id, recording);

  recording->status = IMS_TAKE_COMPLETED;
  recording->duration_ms = 61234;
  recording->size_bytes = G_GINT64_CONSTANT(5000000000);
  recording->object_key = g_strdup_printf("rooms/%s/%s.mkv", room->id, recording->id);
  g_autoptr(GError) error = NULL;
  assert_true(store->rooms.update_recording(store, recording, &error));
  g_autoptr(ImsRoomRecord) loaded = load_room(store, room->id);
  assert_int_equal(loaded->recordings->len, 1);
  ImsRoomRecording *stored = g_ptr_array_index(loaded->recordings, 0);
  assert_int_equal(stored->status, IMS_TAKE_COMPLETED);
  assert_int_equal(stored->segment, 0);
  assert_string_equal(stored->participant_id, recording->participant_id);
  assert_string_equal(stored->stream, "screen");
  assert_int_equal(stored->duration_ms, 61234);
  assert_int_equal(stored->size_bytes, G_GINT64_CONSTANT(5000000000));
  assert_string_equal(stored->object_key, recording->object_key);

  /* One file per (segment, participant, stream); an unknown recording. */
  g_autoptr(ImsRoomRecording) second = make_recording(0, recording->participant_id, "screen");
  assert_false(store->rooms.insert_recording(store, room->id, second, &error));
  assert_true(g_error_matches(error, IMS_STORE_ERROR, IMS_STORE_ERROR_CONFLICT));
  g_clear_error(&error);
  assert_false(store->rooms.update_recording(store, second, &error));
  assert_true(g_error_matches(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND));
}

static void
test_add_question(void **state)
{
  RoomFixture *f = *state;
  ImsStore *store = f->store;
  ImsRoomRecord *room = f->room;
  ImsSessionRecord *session = f->session;

  g_autoptr(ImsQuestion) first = ims_question_new(NULL, "Off script: what's a monad?", 0);
  g_autoptr(ImsQuestion) second = ims_question_new("q-x", "And a functor?", 300);
  int index = -1;
  g_autoptr(GError) error = NULL;
  assert_true(store->rooms.add_question(store, session->id, first, &index, &error));
  assert_int_equal(index, 3);
  assert_true(store->rooms.add_question(store, session->id, second, &index, &error));
  assert_int_equal(index, 4);
  g_autoptr(ImsSessionRecord) loaded = load_session(store, session->id);
  assert_int_equal(loaded->questions->len, 5);
  ImsQuestion *question = g_ptr_array_index(loaded->questions, 3);
  assert_string_equal(question->text, "Off script: what's a monad?");
  assert_string_equal(question->id, "off-script-3");
  question = g_ptr_array_index(loaded->questions, 4);
  assert_string_equal(question->id, "q-x");
  assert_int_equal(question->time_limit_seconds, 300);

  /* A marked off-script question becomes a take like the others. */
  g_autoptr(ImsRoomSegment) segment = make_segment(0, 4, TRUE, 1700003600000000);
  insert_segment(store, room->id, segment);

  index = -1;
  assert_false(store->rooms.add_question(store, "00000000-0000-4000-8000-000000000000", first,
                                         &index, &error));
  assert_true(g_error_matches(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND));
  assert_int_equal(index, -1);
}

static void
save_state(ImsStore *store, ImsRoomRecord *room, ImsRoomState state, gint64 at)
{
  room->state = state;
  if (state == IMS_ROOM_LIVE)
    room->started_at = at;
  if (state == IMS_ROOM_ENDED)
    room->ended_at = at;
  g_autoptr(GError) error = NULL;
  if (!store->rooms.save_room_state(store, room, &error))
    fail_msg("save_room_state: %s", error->message);
}

/* scheduled -> live -> ended, and the candidate session with it. */
static void
test_save_room_state(void **state)
{
  RoomFixture *f = *state;
  ImsStore *store = f->store;
  ImsRoomRecord *room = f->room;
  ImsSessionRecord *session = f->session;
  const gint64 started = 1700003700000007, ended = 1700006400000009;

  save_state(store, room, IMS_ROOM_LIVE, started);
  g_autoptr(ImsRoomRecord) live = load_room(store, room->id);
  assert_int_equal(live->state, IMS_ROOM_LIVE);
  assert_int_equal(live->started_at, started);
  assert_int_equal(live->ended_at, 0);
  g_autoptr(ImsSessionRecord) active = load_session(store, session->id);
  assert_int_equal(active->state, IMS_SESSION_ACTIVE);
  assert_int_equal(active->started_at, started);
  assert_int_equal(active->completed_at, 0);

  save_state(store, room, IMS_ROOM_ENDED, ended);
  g_autoptr(ImsRoomRecord) done = load_room(store, room->id);
  assert_int_equal(done->state, IMS_ROOM_ENDED);
  assert_int_equal(done->ended_at, ended);
  g_autoptr(ImsSessionRecord) completed = load_session(store, session->id);
  assert_int_equal(completed->state, IMS_SESSION_COMPLETED);
  assert_int_equal(completed->started_at, started);
  assert_int_equal(completed->completed_at, ended);
}

/* Ended rooms whose composite is pending, or failed fewer than 3 times,
 * oldest end first; set_composite records the result. */
static void
test_composite_listing(void **state)
{
  ImsStore *store = *state;
  const char *names[] = { "iv-c-late", "iv-c-live", "iv-c-ready", "iv-c-failed", "iv-c-gave-up",
                          "iv-c-early" };
  ImsRoomRecord *rooms[G_N_ELEMENTS(names)];
  for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
    g_autoptr(ImsSessionRecord) session = NULL;
    rooms[i] = make_room(names[i], &session);
    create_room(store, rooms[i], session);
    save_state(store, rooms[i], IMS_ROOM_LIVE, 1700003600000000);
    if (i != 1) /* iv-c-early ended first */
      save_state(store, rooms[i], IMS_ROOM_ENDED, 1700007200000000 - (i == 5) * 60000000 + i);
  }
  g_autoptr(GError) error = NULL;
  assert_true(store->rooms.set_composite(store, rooms[2]->id, "ready", "rooms/x/composite.mp4",
                                         123456,
                                         "[{\"title\": \"Opening\", \"startSeconds\": 0}]",
                                         &error));
  assert_true(store->rooms.set_composite(store, rooms[3]->id, "failed", NULL, 0, NULL, &error));
  for (int attempt = 0; attempt < 3; attempt++)
    assert_true(store->rooms.set_composite(store, rooms[4]->id, "failed", NULL, 0, NULL, &error));

  g_autoptr(GPtrArray) ids = store->rooms.list_rooms_to_composite(store, &error);
  assert_non_null(ids);
  assert_int_equal(ids->len, 3);
  assert_string_equal(g_ptr_array_index(ids, 0), rooms[5]->id);
  assert_string_equal(g_ptr_array_index(ids, 1), rooms[0]->id);
  assert_string_equal(g_ptr_array_index(ids, 2), rooms[3]->id);

  g_autoptr(ImsRoomRecord) ready = load_room(store, rooms[2]->id);
  assert_string_equal(ready->composite_status, "ready");
  assert_string_equal(ready->composite_key, "rooms/x/composite.mp4");
  assert_int_equal(ready->composite_size, 123456);
  g_autoptr(JsonNode) chapters = json_from_string(ready->composite_chapters, NULL);
  assert_non_null(chapters);
  JsonObject *chapter = json_array_get_object_element(json_node_get_array(chapters), 0);
  assert_string_equal(json_object_get_string_member(chapter, "title"), "Opening");

  /* Processing leaves the list; set on no room. */
  assert_true(store->rooms.set_composite(store, rooms[0]->id, "processing", NULL, 0, NULL, &error));
  g_autoptr(GPtrArray) after = store->rooms.list_rooms_to_composite(store, &error);
  assert_int_equal(after->len, 2);
  assert_false(store->rooms.set_composite(store, "00000000-0000-4000-8000-000000000000", "ready",
                                          NULL, 0, NULL, &error));
  assert_true(g_error_matches(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND));
  for (guint i = 0; i < G_N_ELEMENTS(names); i++)
    ims_room_record_free(rooms[i]);
}

static void
assert_not_found(GError **error)
{
  if (!g_error_matches(*error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND))
    fail_msg("expected NOT_FOUND, got %s", *error ? (*error)->message : "no error");
  g_clear_error(error);
}

static void
test_not_found(void **state)
{
  ImsStore *store = *state;
  const char *nobody = "00000000-0000-4000-8000-000000000000";
  g_autoptr(GError) error = NULL;
  assert_null(store->rooms.load_room(store, nobody, &error));
  assert_not_found(&error);
  assert_null(store->rooms.load_room(store, "not-a-uuid", &error));
  assert_not_found(&error);
  assert_null(store->rooms.load_room(store, NULL, &error));
  assert_not_found(&error);

  g_autoptr(ImsSessionRecord) session = NULL;
  g_autoptr(ImsRoomRecord) ghost = make_room("iv-ghost", &session);
  ghost->state = IMS_ROOM_LIVE;
  assert_false(store->rooms.save_room_state(store, ghost, &error));
  assert_not_found(&error);
  g_autoptr(ImsRoomSegment) segment = make_segment(0, -1, FALSE, 1700003600000000);
  assert_false(store->rooms.insert_segment(store, ghost->id, segment, &error));
  assert_not_found(&error);
  assert_false(store->rooms.finish_segment(store, ghost->id, 0, 1700003600000000, &error));
  assert_not_found(&error);

  /* A room that exists, a segment that does not. */
  create_room(store, ghost, session);
  assert_false(store->rooms.finish_segment(store, ghost->id, 5, 1700003600000000, &error));
  assert_not_found(&error);
}

/* One room not ended per interview: the second is refused and leaves nothing behind. */
static void
test_conflict_second_live_room(void **state)
{
  RoomFixture *f = *state;
  ImsStore *store = f->store;
  ImsRoomRecord *room = f->room;
  save_state(store, room, IMS_ROOM_LIVE, 1700003600000000);

  g_autoptr(ImsSessionRecord) second_session = NULL;
  g_autoptr(ImsRoomRecord) second = make_room("iv-fixture", &second_session);
  g_autoptr(GError) error = NULL;
  assert_false(store->rooms.create_room(store, second, second_session, &error));
  assert_true(g_error_matches(error, IMS_STORE_ERROR, IMS_STORE_ERROR_CONFLICT));
  g_clear_error(&error);
  assert_int_equal(admin_count("SELECT count(*) FROM rooms"), 1);
  assert_int_equal(admin_count("SELECT count(*) FROM sessions"), 1);
  assert_int_equal(admin_count("SELECT count(*) FROM room_participants"), 3);

  /* Once it ended, the interview may have a new room. */
  save_state(store, room, IMS_ROOM_ENDED, 1700006000000000);
  create_room(store, second, second_session);
  assert_int_equal(admin_count("SELECT count(*) FROM rooms WHERE interview_id = 'iv-fixture'"), 2);
}

/* Inside the caller's transaction (ims_store_change_atomic): the segment
 * commits with the events, or not at all. */
static gboolean
insert_segment_body(ImsStore *store, gpointer data, GError **error)
{
  const RoomFixture *fixture = data;
  return store->rooms.insert_segment(store, fixture->room->id, fixture->segment, error);
}

static void
test_segment_inside_transaction(void **state)
{
  RoomFixture *f = *state;
  ImsStore *store = f->store;
  g_autoptr(ImsRoomSegment) segment = make_segment(0, 0, TRUE, 1700003600000000);
  f->segment = segment;
  g_autoptr(GPtrArray) events = make_events("user-42", 2);
  g_autoptr(GError) error = NULL;
  assert_true(ims_store_change_atomic(store, insert_segment_body, f, events, &error));
  assert_int_equal(admin_count("SELECT count(*) FROM room_segments"), 1);
  assert_int_equal(admin_count("SELECT count(*) FROM outbox"), 2);

  /* A duplicate segment: neither it nor its events. */
  g_autoptr(GPtrArray) more = make_events("user-42", 1);
  assert_false(ims_store_change_atomic(store, insert_segment_body, f, more, &error));
  assert_int_equal(admin_count("SELECT count(*) FROM outbox"), 2);
  assert_int_equal(admin_count("SELECT count(*) FROM takes"), 1);
}

/* Erasing the candidate (user.deleted) takes the room with it. */
static void
test_erase_user_removes_room(void **state)
{
  RoomFixture *f = *state;
  ImsStore *store = f->store;
  ImsRoomRecord *room = f->room;
  ImsSessionRecord *session = f->session;
  g_autoptr(ImsRoomSegment) segment = make_segment(0, 0, TRUE, 1700003600000000);
  insert_segment(store, room->id, segment);
  g_autoptr(ImsRoomRecording) recording = make_recording(0, participant_of(room, 0)->id, "camera");
  insert_recording(store, room->id, recording);
  /* Another user's room stays. */
  g_autoptr(ImsSessionRecord) other_session = NULL;
  g_autoptr(ImsRoomRecord) other = make_room("iv-other", &other_session);
  g_free(other_session->user_id);
  other_session->user_id = g_strdup("user-7");
  create_room(store, other, other_session);

  g_autoptr(GError) error = NULL;
  int sessions = -1;
  assert_true(store->begin(store, &error));
  assert_true(store->privacy.erase_user(store, session->user_id, &sessions, &error));
  assert_true(store->commit(store, &error));
  assert_int_equal(sessions, 1);
  assert_int_equal(admin_count("SELECT count(*) FROM rooms"), 1);
  assert_int_equal(admin_count("SELECT count(*) FROM room_participants"), 3);
  assert_int_equal(admin_count("SELECT count(*) FROM room_segments"), 0);
  assert_int_equal(admin_count("SELECT count(*) FROM room_recordings"), 0);
  assert_null(store->rooms.load_room(store, room->id, &error));
  assert_true(g_error_matches(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND));
  g_autoptr(ImsRoomRecord) kept = load_room(store, other->id);
  assert_string_equal(kept->interview_id, "iv-other");
}

int
main(void)
{
  require_test_pg();
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_create_load_round_trip, room_setup, room_teardown),
    cmocka_unit_test_setup_teardown(test_review_list_kind_and_room, room_setup, room_teardown),
    cmocka_unit_test_setup_teardown(test_segments_with_takes, room_setup, room_teardown),
    cmocka_unit_test_setup_teardown(test_recordings_update, room_setup, room_teardown),
    cmocka_unit_test_setup_teardown(test_add_question, room_setup, room_teardown),
    cmocka_unit_test_setup_teardown(test_save_room_state, room_setup, room_teardown),
    cmocka_unit_test_setup_teardown(test_composite_listing, setup, teardown),
    cmocka_unit_test_setup_teardown(test_not_found, setup, teardown),
    cmocka_unit_test_setup_teardown(test_conflict_second_live_room, room_setup, room_teardown),
    cmocka_unit_test_setup_teardown(test_segment_inside_transaction, room_setup, room_teardown),
    cmocka_unit_test_setup_teardown(test_erase_user_removes_room, room_setup, room_teardown),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
