/* test-room-api.c: unit tests for server/http/room-api.c through the router
 * (api.h), with the store replaced at its seam (rooms, sessions.load_session,
 * review.add_audit): what create hands the store and the tokens it issues,
 * the store's refusals as HTTP answers, and a room's JSON with segments,
 * recordings, the composite and who is connected (api->room_presence), for
 * the service and for reviewers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jwt.h>
#include <json-glib/json-glib.h>

#include "api.h"
#include "api-calls.h"
#include "imsd-build.h"
#include "token.h"

#define SERVICE_AUTH "Bearer room-api-service-token"
#define SECRET "room-api-unit-test-secret-0123456789"
#define REVIEW_SECRET "room-api-unit-test-review-secret-0123456789"
#define ROOM_ID "11111111-1111-4111-8111-111111111111"
#define SESSION_ID "22222222-2222-4222-8222-222222222222"
#define CANDIDATE_ID "33333333-3333-4333-8333-333333333333"
#define INTERVIEWER_ID "44444444-4444-4444-8444-444444444444"
#define TAKE_ID "55555555-5555-4555-8555-555555555555"
/* 2100-01-01T00:00:00Z: a schedule that never lies in the past */
#define SCHEDULED_AT 4102444800
#define CREATE_BODY \
  "{\"interviewId\":\"iv-1\",\"type\":\"technical\",\"scheduledAt\":\"2100-01-01T00:00:00Z\"," \
  "\"durationMinutes\":45,\"companyId\":\"company-a\",\"candidate\":{\"userId\":\"u-c\"}," \
  "\"interviewers\":[{\"userId\":\"u-i\",\"name\":\"Ada\"}]," \
  "\"questions\":[{\"id\":\"q1\",\"text\":\"One?\"}],\"settings\":{\"recording\":\"candidate\"}}"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(jwt_t, jwt_free)

typedef struct {
  ImsStore base;
  ImsRoomRecord *created; /* copy of what create_room got */
  ImsSessionRecord *created_session;
  int create_error; /* -1: none; else the IMS_STORE_ERROR code create_room and load_room fail with */
  ImsRoomRecord *stored; /* what load_room answers (a copy), NULL: NOT_FOUND */
  int audits;
  char *audit_action, *audit_target;
} FakeStore;

static gboolean
fake_create_room(ImsStore *base, const ImsRoomRecord *room, const ImsSessionRecord *session,
                 GError **error)
{
  FakeStore *store = (FakeStore *) base;
  if (store->create_error >= 0) {
    g_set_error_literal(error, IMS_STORE_ERROR, store->create_error, "refused");
    return FALSE;
  }
  store->created = ims_room_record_copy(room);
  store->created_session = ims_session_record_new();
  store->created_session->kind = session->kind;
  store->created_session->id = g_strdup(session->id);
  store->created_session->think_seconds = session->think_seconds;
  store->created_session->max_retakes = session->max_retakes;
  store->created_session->expires_at = session->expires_at;
  store->created_session->profile = g_strdup(session->profile);
  for (guint i = 0; i < session->questions->len; i++) {
    const ImsQuestion *q = g_ptr_array_index(session->questions, i);
    g_ptr_array_add(store->created_session->questions,
                    ims_question_new(q->id, q->text, q->time_limit_seconds));
  }
  return TRUE;
}

static ImsRoomRecord *
fake_load_room(ImsStore *base, const char *room_id, GError **error)
{
  FakeStore *store = (FakeStore *) base;
  if (store->create_error >= 0 || store->stored == NULL ||
      !g_str_equal(store->stored->id, room_id)) {
    g_set_error_literal(error, IMS_STORE_ERROR,
                        store->create_error >= 0 ? store->create_error : IMS_STORE_ERROR_NOT_FOUND,
                        "no room");
    return NULL;
  }
  return ims_room_record_copy(store->stored);
}

static ImsSessionRecord *
fake_load_session(ImsStore *base, const char *session_id, GError **error)
{
  ImsSessionRecord *session = ims_session_record_new();
  session->id = g_strdup(session_id);
  session->kind = IMS_SESSION_LIVE;
  g_ptr_array_add(session->questions, ims_question_new("q1", "Design a cache.", 0));
  return session;
}

static gboolean
fake_add_audit(ImsStore *base, const ImsAuditEntry *entry, GError **error)
{
  FakeStore *store = (FakeStore *) base;
  store->audits++;
  g_free(store->audit_action);
  g_free(store->audit_target);
  store->audit_action = g_strdup(entry->action);
  store->audit_target = g_strdup(entry->target);
  return TRUE;
}

/* The presence the room registry would give: only the candidate is in. */
static gboolean
only_candidate_connected(gpointer data, const char *room_id, const char *participant_id)
{
  return g_str_equal(room_id, ROOM_ID) && g_str_equal(participant_id, CANDIDATE_ID);
}

typedef struct {
  FakeStore store;
  ImsConfig *config;
  ImsProfileSet *profiles;
  ImsRoomPresence presence;
  ImsApi api;
} Fixture;

/* The room ops room-api.c calls; the others stay NULL (a call would crash the test). */
static const ImsRoomStoreOps fake_rooms = {
  .create_room = fake_create_room,
  .load_room = fake_load_room,
};

static int
setup(void **state)
{
  g_autoptr(GError) error = NULL;
  Fixture *f = g_new0(Fixture, 1);
  f->config = ims_config_new();
  if (!ims_config_load_data(f->config,
                            "[auth]\nservice_token=room-api-service-token\ntoken_secret=" SECRET
                            "\n[rooms]\nearly_join_minutes=5\nlate_minutes=7\n",
                            -1, "test-room-api", &error))
    fail_msg("%s", error->message);
  f->store.base.rooms = fake_rooms;
  f->store.base.sessions.load_session = fake_load_session;
  f->store.base.review.add_audit = fake_add_audit;
  f->store.create_error = -1;
  f->profiles = ims_profile_set_load_file(IMSD_SOURCE_DIR "/etc/profiles.ini", NULL);
  assert_non_null(f->profiles);
  f->presence.is_connected = only_candidate_connected;
  f->api.config = f->config;
  f->api.store = &f->store.base;
  f->api.profiles = f->profiles;
  f->api.review_secret = REVIEW_SECRET;
  f->api.room_presence = &f->presence;
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *f = *state;
  ims_room_record_free(f->store.created);
  ims_session_record_free(f->store.created_session);
  ims_room_record_free(f->store.stored);
  g_free(f->store.audit_action);
  g_free(f->store.audit_target);
  ims_profile_set_free(f->profiles);
  ims_config_free(f->config);
  g_free(f);
  return 0;
}

/* The answer to method path (body may be NULL) with authorization; its JSON
 * root object (transfer full) in *root. */
static int
handle(Fixture *f, const char *method, const char *path, const char *authorization,
       const char *body, JsonNode **root)
{
  return api_call(&f->api, method, path, authorization, body, root);
}

static const char *
code_of(JsonNode *root)
{
  return json_object_get_string_member(json_node_get_object(root), "code");
}

/* "Bearer <HS256 JWT>" of a reviewer (libjwt, [review] jwt_secret); company_id may be NULL. */
static char *
reviewer_authorization(const char *role, const char *company_id)
{
  g_autoptr(jwt_t) jwt = NULL;
  assert_int_equal(jwt_new(&jwt), 0);
  assert_int_equal(jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *) REVIEW_SECRET,
                               strlen(REVIEW_SECRET)),
                   0);
  assert_int_equal(jwt_add_grant(jwt, "sub", "reviewer-1"), 0);
  assert_int_equal(jwt_add_grant(jwt, "role", role), 0);
  if (company_id)
    assert_int_equal(jwt_add_grant(jwt, "companyId", company_id), 0);
  assert_int_equal(jwt_add_grant_int(jwt, "exp", 4102444800), 0);
  char *encoded = jwt_encode_str(jwt);
  assert_non_null(encoded);
  char *authorization = g_strconcat("Bearer ", encoded, NULL);
  free(encoded);
  return authorization;
}

static void
test_create_hands_the_store_the_room_and_issues_tokens(void **state)
{
  Fixture *f = *state;
  g_autoptr(JsonNode) root = NULL;
  assert_int_equal(handle(f, "POST", "/api/v1/rooms", SERVICE_AUTH, CREATE_BODY, &root), 201);
  ImsRoomRecord *room = f->store.created;
  ImsSessionRecord *session = f->store.created_session;
  assert_non_null(room);
  assert_string_equal(room->interview_id, "iv-1");
  assert_string_equal(room->session_id, session->id);
  assert_int_equal(room->scheduled_at, (gint64) SCHEDULED_AT * G_USEC_PER_SEC);
  assert_false(room->record_interviewers); /* recording: candidate */
  assert_true(room->allow_screen_share);   /* the default */
  assert_int_equal(session->kind, IMS_SESSION_LIVE);
  assert_int_equal(session->think_seconds, 0);
  assert_int_equal(session->max_retakes, 0);
  assert_string_equal(session->profile, "technical");
  assert_int_equal(session->questions->len, 1);
  const gint64 not_before = SCHEDULED_AT - 5 * 60, expires = SCHEDULED_AT + (45 + 7) * 60;
  assert_int_equal(session->expires_at, expires * G_USEC_PER_SEC);

  JsonObject *body = json_node_get_object(root);
  assert_string_equal(json_object_get_string_member(body, "roomId"), room->id);
  assert_string_equal(json_object_get_string_member(body, "validFrom"), "2099-12-31T23:55:00.000Z");
  assert_string_equal(json_object_get_string_member(body, "validUntil"), "2100-01-01T00:52:00.000Z");
  JsonArray *participants = json_object_get_array_member(body, "participants");
  assert_int_equal(json_array_get_length(participants), 2);
  for (guint i = 0; i < 2; i++) {
    JsonObject *p = json_array_get_object_element(participants, i);
    const ImsRoomParticipant *stored = g_ptr_array_index(room->participants, i);
    const char *token = json_object_get_string_member(p, "token");
    g_autofree char *room_id = NULL, *participant_id = NULL, *role = NULL;
    g_autoptr(GError) error = NULL;
    if (!ims_room_token_verify(SECRET, token, not_before, &room_id, &participant_id, &role, &error))
      fail_msg("%s", error->message);
    assert_string_equal(room_id, room->id);
    assert_string_equal(participant_id, stored->id);
    assert_string_equal(role, i == 0 ? "candidate" : "interviewer");
    assert_true(ims_room_token_verify(SECRET, token, expires, NULL, NULL, NULL, NULL));
    assert_false(ims_room_token_verify(SECRET, token, not_before - 1, NULL, NULL, NULL, &error));
    assert_true(g_error_matches(error, IMS_TOKEN_ERROR, IMS_TOKEN_ERROR_NOT_YET_VALID));
    g_clear_error(&error);
    assert_false(ims_room_token_verify(SECRET, token, expires + 1, NULL, NULL, NULL, &error));
    assert_true(g_error_matches(error, IMS_TOKEN_ERROR, IMS_TOKEN_ERROR_EXPIRED));
    assert_false(ims_token_verify(SECRET, token, not_before, NULL, NULL, NULL));
  }
}

static void
test_create_store_refusals(void **state)
{
  Fixture *f = *state;
  const struct {
    int store_error, status;
    const char *code;
  } cases[] = {
    { IMS_STORE_ERROR_CONFLICT, 409, "conflict" },
    { IMS_STORE_ERROR_QUERY, 500, "internal" },
    { IMS_STORE_ERROR_CONNECT, 500, "internal" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    f->store.create_error = cases[i].store_error;
    g_autoptr(JsonNode) root = NULL;
    assert_int_equal(handle(f, "POST", "/api/v1/rooms", SERVICE_AUTH, CREATE_BODY, &root),
                     cases[i].status);
    assert_string_equal(code_of(root), cases[i].code);
  }
}

/* Bodies refused before the store is asked, each with the sentence that names its field. */
static void
test_create_validation(void **state)
{
  Fixture *f = *state;
  const struct {
    const char *from, *to, *sentence;
  } cases[] = {
    { "\"type\":\"technical\"", "\"type\":\"chat\"",
      "\"type\" must be technical, behavioral or system_design." },
    { "\"durationMinutes\":45", "\"durationMinutes\":1441",
      "\"durationMinutes\" must be an integer from 1 to 1440." },
    { "\"recording\":\"candidate\"", "\"recording\":\"none\"",
      "settings: \"recording\" must be both or candidate." },
    { "\"recording\":\"candidate\"", "\"observersVisible\":\"true\"",
      "settings: \"observersVisible\" must be true or false." },
    { "{\"userId\":\"u-c\"}", "{\"name\":\"Cand\"}", "candidate: \"userId\" is required." },
    { "\"name\":\"Ada\"", "\"name\":\"\"",
      "interviewers[0]: \"name\" must be a non-empty string of at most 256 characters." },
    { "{\"id\":\"q1\",\"text\":\"One?\"}", "{\"id\":\"q1\",\"text\":\"One?\"},{\"id\":\"q1\",\"text\":\"Two?\"}",
      "questions[1]: the id \"q1\" is already used by another question." },
    { "2100-01-01T00:00:00Z", "2000-01-01T00:00:00Z",
      "\"scheduledAt\" + \"durationMinutes\" lies in the past: the room could never be joined." },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_auto(GStrv) parts = g_strsplit(CREATE_BODY, cases[i].from, 2);
    assert_int_equal(g_strv_length(parts), 2);
    g_autofree char *body = g_strjoin(cases[i].to, parts[0], parts[1], NULL);
    g_autoptr(JsonNode) root = NULL;
    assert_int_equal(handle(f, "POST", "/api/v1/rooms", SERVICE_AUTH, body, &root), 400);
    assert_string_equal(
        json_object_get_string_member(json_node_get_object(root), "message"), cases[i].sentence);
  }
  assert_null(f->store.created);
}

/* A live room: the opening, question 0 with the candidate's take and files, a ready composite. */
static ImsRoomRecord *
make_stored_room(void)
{
  ImsRoomRecord *room = ims_room_record_new();
  room->id = g_strdup(ROOM_ID);
  room->interview_id = g_strdup("iv-1");
  room->session_id = g_strdup(SESSION_ID);
  room->type = g_strdup("technical");
  room->company_id = g_strdup("company-a");
  room->scheduled_at = (gint64) SCHEDULED_AT * G_USEC_PER_SEC;
  room->duration_minutes = 30;
  room->state = IMS_ROOM_LIVE;
  room->started_at = room->scheduled_at + G_USEC_PER_SEC;
  const char *ids[] = { CANDIDATE_ID, INTERVIEWER_ID };
  for (guint i = 0; i < 2; i++) {
    ImsRoomParticipant *participant = ims_room_participant_new();
    participant->id = g_strdup(ids[i]);
    participant->role = i == 0 ? IMS_ROOM_ROLE_CANDIDATE : IMS_ROOM_ROLE_INTERVIEWER;
    participant->user_id = g_strdup(i == 0 ? "u-c" : "u-i");
    g_ptr_array_add(room->participants, participant);
  }
  for (int index = 0; index < 2; index++) {
    ImsRoomSegment *segment = ims_room_segment_new();
    segment->index = index;
    segment->question_index = index - 1;
    segment->take_id = index == 1 ? g_strdup(TAKE_ID) : NULL;
    segment->started_at = room->started_at + index * 60 * G_USEC_PER_SEC;
    segment->ended_at = index == 0 ? segment->started_at + 60 * G_USEC_PER_SEC : 0;
    g_ptr_array_add(room->segments, segment);
  }
  const struct {
    int segment;
    const char *participant, *stream, *key;
  } files[] = { { 1, CANDIDATE_ID, "camera", "rooms/r/1-camera.mkv" },
                { 1, INTERVIEWER_ID, "screen", NULL } };
  for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
    ImsRoomRecording *recording = ims_room_recording_new();
    recording->id = g_uuid_string_random();
    recording->segment = files[i].segment;
    recording->participant_id = g_strdup(files[i].participant);
    recording->stream = g_strdup(files[i].stream);
    recording->object_key = g_strdup(files[i].key);
    recording->duration_ms = 1000 * (i + 1);
    g_ptr_array_add(room->recordings, recording);
  }
  g_free(room->composite_status);
  room->composite_status = g_strdup("ready");
  room->composite_key = g_strdup("rooms/" ROOM_ID "/composite.mp4");
  room->composite_size = 4242;
  room->composite_chapters = g_strdup("[{\"title\":\"Opening\",\"startSeconds\":0}]");
  return room;
}

static void
test_get_shows_segments_recordings_composite_and_presence(void **state)
{
  Fixture *f = *state;
  f->store.stored = make_stored_room();
  g_autoptr(JsonNode) root = NULL;
  assert_int_equal(handle(f, "GET", "/api/v1/rooms/" ROOM_ID, SERVICE_AUTH, NULL, &root), 200);
  JsonObject *room = json_node_get_object(root);
  assert_string_equal(json_object_get_string_member(room, "state"), "live");
  JsonArray *participants = json_object_get_array_member(room, "participants");
  assert_true(json_object_get_boolean_member(json_array_get_object_element(participants, 0),
                                             "connected"));
  assert_false(json_object_get_boolean_member(json_array_get_object_element(participants, 1),
                                              "connected"));
  JsonArray *segments = json_object_get_array_member(room, "segments");
  assert_int_equal(json_array_get_length(segments), 2);
  JsonObject *opening = json_array_get_object_element(segments, 0);
  assert_true(json_object_get_null_member(opening, "questionIndex"));
  assert_true(json_object_get_null_member(opening, "text"));
  assert_true(json_object_get_null_member(opening, "takeId"));
  assert_int_equal(json_array_get_length(json_object_get_array_member(opening, "recordings")), 0);
  JsonObject *question = json_array_get_object_element(segments, 1);
  assert_int_equal(json_object_get_int_member(question, "questionIndex"), 0);
  assert_string_equal(json_object_get_string_member(question, "text"), "Design a cache.");
  assert_string_equal(json_object_get_string_member(question, "takeId"), TAKE_ID);
  assert_true(json_object_get_null_member(question, "endedAt"));
  JsonArray *recordings = json_object_get_array_member(question, "recordings");
  assert_int_equal(json_array_get_length(recordings), 2);
  JsonObject *camera = json_array_get_object_element(recordings, 0);
  assert_string_equal(json_object_get_string_member(camera, "key"), "rooms/r/1-camera.mkv");
  assert_int_equal(json_object_get_int_member(camera, "durationMs"), 1000);
  assert_true(json_object_get_null_member(json_array_get_object_element(recordings, 1), "key"));
  JsonObject *composite = json_object_get_object_member(room, "composite");
  assert_string_equal(json_object_get_string_member(composite, "status"), "ready");
  assert_int_equal(json_object_get_int_member(composite, "size"), 4242);
  JsonArray *chapters = json_object_get_array_member(composite, "chapters");
  assert_string_equal(
      json_object_get_string_member(json_array_get_object_element(chapters, 0), "title"), "Opening");
  assert_int_equal(f->store.audits, 0); /* the service is not audited */

  /* Without presence nobody is connected; chapters that are not an array show as none. */
  f->api.room_presence = NULL;
  g_free(f->store.stored->composite_chapters);
  f->store.stored->composite_chapters = g_strdup("{\"not\":\"an array\"}");
  g_autoptr(JsonNode) again = NULL;
  assert_int_equal(handle(f, "GET", "/api/v1/rooms/" ROOM_ID, SERVICE_AUTH, NULL, &again), 200);
  room = json_node_get_object(again);
  participants = json_object_get_array_member(room, "participants");
  assert_false(json_object_get_boolean_member(json_array_get_object_element(participants, 0),
                                              "connected"));
  composite = json_object_get_object_member(room, "composite");
  JsonNode *none = json_object_get_member(composite, "chapters");
  assert_true(JSON_NODE_HOLDS_ARRAY(none));
  assert_int_equal(json_array_get_length(json_node_get_array(none)), 0);
}

static void
test_get_for_reviewers(void **state)
{
  Fixture *f = *state;
  f->store.stored = make_stored_room();
  g_autofree char *own = reviewer_authorization("recruiter", "company-a");
  g_autofree char *foreign = reviewer_authorization("recruiter", "company-b");
  g_autofree char *admin = reviewer_authorization("admin", NULL);
  g_autoptr(JsonNode) refused = NULL;
  assert_int_equal(handle(f, "GET", "/api/v1/rooms/" ROOM_ID, foreign, NULL, &refused), 404);
  assert_string_equal(code_of(refused), "not_found");
  assert_int_equal(f->store.audits, 0);
  const char *allowed[] = { own, admin };
  for (guint i = 0; i < G_N_ELEMENTS(allowed); i++) {
    g_autoptr(JsonNode) root = NULL;
    assert_int_equal(handle(f, "GET", "/api/v1/rooms/" ROOM_ID, allowed[i], NULL, &root), 200);
    assert_int_equal(f->store.audits, (int) i + 1);
    assert_string_equal(f->store.audit_action, "view_room");
    assert_string_equal(f->store.audit_target, ROOM_ID);
  }
  /* a reviewer may read rooms, never create them */
  g_autoptr(JsonNode) create = NULL;
  assert_int_equal(handle(f, "POST", "/api/v1/rooms", own, CREATE_BODY, &create), 401);
  assert_null(f->store.created);
}

static void
test_get_errors(void **state)
{
  Fixture *f = *state;
  f->store.stored = make_stored_room();
  const struct {
    const char *path, *authorization;
    int store_error, status;
    const char *code;
  } cases[] = {
    { "/api/v1/rooms/" ROOM_ID, NULL, -1, 401, "unauthorized" },
    { "/api/v1/rooms/" ROOM_ID, "Bearer nope", -1, 401, "unauthorized" },
    { "/api/v1/rooms/" SESSION_ID, SERVICE_AUTH, -1, 404, "not_found" },
    { "/api/v1/rooms/not-a-uuid", SERVICE_AUTH, -1, 404, "not_found" },
    { "/api/v1/rooms/" ROOM_ID, SERVICE_AUTH, IMS_STORE_ERROR_QUERY, 500, "internal" },
    { "/api/v1/rooms/" ROOM_ID "/x", SERVICE_AUTH, -1, 404, "not_found" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    f->store.create_error = cases[i].store_error;
    g_autoptr(JsonNode) root = NULL;
    assert_int_equal(handle(f, "GET", cases[i].path, cases[i].authorization, NULL, &root),
                     cases[i].status);
    assert_string_equal(code_of(root), cases[i].code);
  }
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_create_hands_the_store_the_room_and_issues_tokens, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_create_validation, setup, teardown),
    cmocka_unit_test_setup_teardown(test_create_store_refusals, setup, teardown),
    cmocka_unit_test_setup_teardown(test_get_shows_segments_recordings_composite_and_presence,
                                    setup, teardown),
    cmocka_unit_test_setup_teardown(test_get_for_reviewers, setup, teardown),
    cmocka_unit_test_setup_teardown(test_get_errors, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
