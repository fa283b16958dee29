/* Unit tests: room.join through the session registry's peer handler
 * (registry.c hands it to room-registry.c): room tokens, reviewer tokens as
 * observers, the room read once for the joins that wait, a cancelled join,
 * and a shutdown that waits for the rooms' open files.  The store is a fake
 * behind a real ImsDatabase; the peer functions are wrapped
 * (tests/meson.build). */
#include "registry.h"
#include "room-registry.h"
#include "test-room-fakes.h"
#include "token.h"

#define SECRET "room-registry-secret-0123456789abcdef"
#define OTHER_ROOM "6c2f7c2e-8a43-4d0e-9f61-2c7d3e9a0b15"

/* The registries over the shared fixture (test-room-fakes.h), whose store holds ROOM_ID. */
typedef struct {
  Fixture *f;
  ImsRegistry *registry;
  ImsRoomRegistry *rooms;
  const ImsPeerHandler *handler;
  int shutdown_done;
} Registries;

/* A reviewer token is "reviewer:<company>" or "admin" here. */
static gboolean
verify_reviewer(gpointer data, const char *token, char **user_id, char **company_id,
                GError **error)
{
  (void) data;
  if (g_str_has_prefix(token, "reviewer:")) {
    *user_id = g_strdup("recruiter-1");
    *company_id = g_strdup(token + strlen("reviewer:"));
    return TRUE;
  }
  if (g_strcmp0(token, "admin") == 0) {
    *user_id = g_strdup("admin-1");
    *company_id = NULL;
    return TRUE;
  }
  g_set_error_literal(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_BAD_TOKEN, "not a token");
  return FALSE;
}

static int
setup_registries(void **state)
{
  setup(state);
  Registries *r = g_new0(Registries, 1);
  r->f = *state;
  ImsRoomRegistryConfig config = {
    .context = &r->f->context,
    .token_secret = SECRET,
    .verify_reviewer = verify_reviewer,
  };
  r->rooms = ims_room_registry_new(&config);
  r->registry = ims_registry_new(&r->f->sessions, SECRET);
  ims_registry_set_rooms(r->registry, r->rooms);
  r->handler = ims_registry_peer_handler();
  *state = r;
  return 0;
}

static int
teardown_registries(void **state)
{
  Registries *r = *state;
  Fixture *f = r->f;
  for (guint i = 0; i < G_N_ELEMENTS(f->peers); i++)
    if (f->peers[i].endpoint)
      r->handler->closed(g_steal_pointer(&f->peers[i].endpoint), (ImsPeer *) &f->peers[i]);
  assert_true(ims_database_flush(f->database, 5000));
  ims_registry_free(r->registry);
  ims_room_registry_free(r->rooms);
  g_free(r);
  *state = f;
  return teardown(state);
}

static char *
token(const char *room_id, const char *participant_id, gint64 nbf, gint64 exp)
{
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  char *text = ims_room_token_issue(SECRET, room_id, participant_id, "candidate", now + nbf,
                                    now + exp, NULL);
  assert_non_null(text);
  return text;
}

/* peers[peer] sends room.join for room_id with text (the database answers on flush). */
static void
room_join(Registries *r, guint peer, const char *room_id, const char *text)
{
  ImsMessage message = {
    .type = IMS_MESSAGE_ROOM_JOIN,
    .room_id = (char *) room_id,
    .token = (char *) text,
    .question_index = -1,
  };
  r->handler->join((ImsPeer *) &r->f->peers[peer], &message, r->registry);
}

static void
test_room_token_joins(void **state)
{
  Registries *r = *state;
  Fixture *f = r->f;
  g_autofree char *text = token(ROOM_ID, CANDIDATE, -60, 3600);
  room_join(r, 0, ROOM_ID, text);
  room_join(r, 1, ROOM_ID, text); /* waits for the same read */
  flush(f);
  assert_int_equal(g_atomic_int_get(&f->store.loads), 1);
  assert_non_null(f->peers[0].endpoint);
  assert_string_equal(ims_room_member_get_participant_id(f->peers[0].endpoint), CANDIDATE);
  /* the second join of the same participant replaced the first */
  assert_non_null(f->peers[1].endpoint);
  assert_string_equal(last_error_code(f, 0), "replaced");
  /* a message reaches the room member: a candidate may not end */
  ImsMessage end = { .type = IMS_MESSAGE_END, .question_index = -1 };
  g_autoptr(GError) error = NULL;
  assert_false(r->handler->message(f->peers[1].endpoint, (ImsPeer *) &f->peers[1], &end, &error));
  assert_true(g_error_matches(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_FORBIDDEN));
}

static void
test_token_refusals(void **state)
{
  Registries *r = *state;
  Fixture *f = r->f;
  g_autofree char *expired = token(ROOM_ID, CANDIDATE, -7200, -60);
  g_autofree char *early = token(ROOM_ID, CANDIDATE, 3600, 7200);
  g_autofree char *other = token(OTHER_ROOM, CANDIDATE, -60, 3600);
  g_autofree char *stranger = token(ROOM_ID, "e0000000-0000-4000-8000-000000000009", -60, 3600);
  room_join(r, 0, ROOM_ID, expired);
  room_join(r, 1, ROOM_ID, early);
  room_join(r, 2, ROOM_ID, other);
  room_join(r, 3, ROOM_ID, "garbage");
  flush(f);
  assert_string_equal(f->peers[0].error_code, "token_expired");
  assert_string_equal(f->peers[1].error_code, "token_not_yet_valid");
  assert_string_equal(f->peers[2].error_code, "token_wrong_session");
  assert_string_equal(f->peers[3].error_code, "bad_token");
  assert_int_equal(g_atomic_int_get(&f->store.loads), 0);
  for (guint i = 0; i < G_N_ELEMENTS(f->peers); i++) {
    g_clear_pointer(&f->peers[i].error_code, g_free);
    f->peers[i].answered = FALSE;
  }
  /* a participant the room does not have; a room that does not exist */
  room_join(r, 0, ROOM_ID, stranger);
  room_join(r, 1, OTHER_ROOM, other);
  flush(f);
  assert_string_equal(f->peers[0].error_code, "bad_token");
  assert_string_equal(f->peers[1].error_code, "room_not_found");
}

static void
test_reviewer_observes_own_company(void **state)
{
  Registries *r = *state;
  Fixture *f = r->f;
  room_join(r, 0, ROOM_ID, "reviewer:acme");
  room_join(r, 1, ROOM_ID, "reviewer:globex");
  room_join(r, 2, ROOM_ID, "admin");
  flush(f);
  assert_non_null(f->peers[0].endpoint);
  ImsRoomMember *member = f->peers[0].endpoint;
  assert_int_equal(member->participant->role, IMS_ROOM_ROLE_OBSERVER);
  assert_string_equal(f->peers[1].error_code, "wrong_company");
  assert_non_null(f->peers[2].endpoint);
}

static void
test_join_cancelled_while_reading(void **state)
{
  Registries *r = *state;
  Fixture *f = r->f;
  g_autofree char *text = token(ROOM_ID, CANDIDATE, -60, 3600);
  room_join(r, 0, ROOM_ID, text);
  r->handler->join_cancel((ImsPeer *) &f->peers[0], r->registry);
  flush(f);
  assert_false(f->peers[0].answered);
}

/* Who is connected, for REST: set as members join, replace each other and leave. */
static void
test_presence(void **state)
{
  Registries *r = *state;
  Fixture *f = r->f;
  g_autoptr(GError) error = NULL;
  ImsRoomPresenceTable *table = ims_room_presence_table_new();
  f->context.presence_changed = ims_room_presence_table_set;
  f->context.presence_data = table;
  g_autofree char *text = token(ROOM_ID, CANDIDATE, -60, 3600);
  room_join(r, 0, ROOM_ID, text);
  flush(f);
  assert_true(ims_room_presence_table_is_connected(table, ROOM_ID, CANDIDATE));
  assert_false(ims_room_presence_table_is_connected(table, ROOM_ID, INTERVIEWER));
  room_join(r, 1, ROOM_ID, text); /* replaces peers[0] */
  flush(f);
  assert_true(ims_room_presence_table_is_connected(table, ROOM_ID, CANDIDATE));
  r->handler->closed(g_steal_pointer(&f->peers[0].endpoint), (ImsPeer *) &f->peers[0]);
  assert_true(ims_room_presence_table_is_connected(table, ROOM_ID, CANDIDATE));
  r->handler->closed(g_steal_pointer(&f->peers[1].endpoint), (ImsPeer *) &f->peers[1]);
  assert_false(ims_room_presence_table_is_connected(table, ROOM_ID, CANDIDATE));
  f->context.presence_changed = NULL;
  ims_room_presence_table_free(table);
}

static void
on_shutdown_done(gpointer data)
{
  ((Registries *) data)->shutdown_done++;
}

/* The registry's shutdown waits for a room's open file; a room with none is done at once and
 * does not end the wait early. */
static void
test_shutdown_waits_for_files(void **state)
{
  Registries *r = *state;
  Fixture *f = r->f;
  g_autofree char *text = token(ROOM_ID, CANDIDATE, -60, 3600);
  room_join(r, 0, ROOM_ID, text);
  flush(f);
  ImsRoomMember *member = f->peers[0].endpoint;
  ImsRoom *room = member->room;
  /* live with a file open on the candidate's camera, as room-files.c leaves it */
  room->record->state = IMS_ROOM_LIVE;
  ImsRoomSegment *segment = ims_room_segment_new();
  g_ptr_array_add(room->record->segments, segment);
  ImsMessage publish = { .type = IMS_MESSAGE_PUBLISH, .stream = (char *) "camera",
                         .sdp = (char *) "v=0", .question_index = -1 };
  assert_true(r->handler->message(member, (ImsPeer *) &f->peers[0], &publish, NULL));
  Publication *publication = g_hash_table_lookup(member->publications, "camera");
  ims_room_media_flowing(room, publication);
  assert_int_equal(room->open_files->len, 1);
  const char *path = ((OpenFile *) g_ptr_array_index(room->open_files, 0))->recording->path;
  g_autofree char *file = g_strdup(path);

  ims_registry_shutdown(r->registry, on_shutdown_done, r);
  assert_int_equal(r->shutdown_done, 0);
  ImsTakeResult result = { .path = file, .video_codec = (char *) "VP8", .complete = TRUE };
  ims_room_media_file_finished(room, publication, &result);
  assert_int_equal(r->shutdown_done, 1);
  flush(f);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_room_token_joins, setup_registries, teardown_registries),
    cmocka_unit_test_setup_teardown(test_token_refusals, setup_registries, teardown_registries),
    cmocka_unit_test_setup_teardown(test_reviewer_observes_own_company, setup_registries, teardown_registries),
    cmocka_unit_test_setup_teardown(test_join_cancelled_while_reading, setup_registries, teardown_registries),
    cmocka_unit_test_setup_teardown(test_presence, setup_registries, teardown_registries),
    cmocka_unit_test_setup_teardown(test_shutdown_waits_for_files, setup_registries, teardown_registries),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
