/* Unit tests: room.join through the session registry's peer handler
 * (registry.c hands it to room-registry.c): room tokens, reviewer tokens as
 * observers, the room read once for the joins that wait, a cancelled join,
 * and a shutdown that waits for the rooms' open files.  The store is a fake
 * behind a real ImsDatabase; the peer functions are wrapped
 * (tests/meson.build). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include <glib/gstdio.h>

#include "database.h"
#include "registry.h"
#include "room-private.h"
#include "room-registry.h"
#include "token.h"

#define SECRET "room-registry-secret-0123456789abcdef"
#define ROOM_ID "5b1f7c2e-8a43-4d0e-9f61-2c7d3e9a0b14"
#define OTHER_ROOM "6c2f7c2e-8a43-4d0e-9f61-2c7d3e9a0b15"
#define SESSION_ID "3f0c2a8e-5d0b-4b8e-9a53-1c1f4f7f2f10"
#define CANDIDATE "c0000000-0000-4000-8000-000000000001"
#define INTERVIEWER "a0000000-0000-4000-8000-000000000002"

/* ---- wrapped peer ---- */

typedef struct {
  gpointer endpoint; /* the join's answer */
  char *error_code;  /* or its refusal */
  gboolean answered;
  GPtrArray *frames;
} FakePeer;

void __wrap_ims_peer_join_finish(ImsPeer *peer, gpointer endpoint, const char *log_id,
                                 const GError *error);
void __wrap_ims_peer_send(ImsPeer *peer, const char *json);
void __wrap_ims_peer_send_error(ImsPeer *peer, const char *code, const char *message,
                                const char *request_type);
void __wrap_ims_peer_close(ImsPeer *peer, const char *reason);
const char *__wrap_ims_peer_get_log_id(ImsPeer *peer);
const char *__wrap_ims_peer_get_user_agent(ImsPeer *peer);

void
__wrap_ims_peer_join_finish(ImsPeer *peer, gpointer endpoint, const char *log_id,
                            const GError *error)
{
  FakePeer *fake = (FakePeer *) peer;
  assert_false(fake->answered); /* once */
  fake->answered = TRUE;
  fake->endpoint = endpoint;
  if (endpoint)
    assert_string_equal(log_id, ROOM_ID);
  else
    fake->error_code = g_strdup(ims_signal_error_code_of(error));
}

void
__wrap_ims_peer_send(ImsPeer *peer, const char *json)
{
  g_ptr_array_add(((FakePeer *) peer)->frames, g_strdup(json));
}

void
__wrap_ims_peer_send_error(ImsPeer *peer, const char *code, const char *message,
                           const char *request_type)
{
  (void) message;
  (void) request_type;
  g_ptr_array_add(((FakePeer *) peer)->frames, g_strdup(code));
}

void
__wrap_ims_peer_close(ImsPeer *peer, const char *reason)
{
  (void) peer;
  (void) reason;
}

const char *
__wrap_ims_peer_get_log_id(ImsPeer *peer)
{
  (void) peer;
  return "peer";
}

const char *
__wrap_ims_peer_get_user_agent(ImsPeer *peer)
{
  (void) peer;
  return "";
}

/* ---- fake store: one room ---- */

typedef struct {
  ImsStore base;
  gint loads; /* atomic: load_room calls */
  ImsRoomRecord *room;
  ImsSessionRecord *session;
} FakeStore;

static ImsRoomRecord *
fake_load_room(ImsStore *store, const char *room_id, GError **error)
{
  FakeStore *fake = (FakeStore *) store;
  g_atomic_int_inc(&fake->loads);
  if (g_strcmp0(room_id, fake->room->id) != 0) {
    g_set_error_literal(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND, "no room");
    return NULL;
  }
  return ims_room_record_copy(fake->room);
}

static ImsSessionRecord *
fake_load_session(ImsStore *store, const char *session_id, GError **error)
{
  (void) error;
  FakeStore *fake = (FakeStore *) store;
  assert_string_equal(session_id, SESSION_ID);
  ImsSessionRecord *session = ims_session_record_new();
  session->id = g_strdup(fake->session->id);
  session->interview_id = g_strdup(fake->session->interview_id);
  session->user_id = g_strdup(fake->session->user_id);
  session->profile = g_strdup("technical");
  return session;
}

static void
fake_free(ImsStore *store)
{
  (void) store;
}

/* The room's writes succeed (what they write is test-room.c's business). */
static gboolean
ok_transaction(ImsStore *store, GError **error)
{
  (void) store;
  (void) error;
  return TRUE;
}

static gboolean
ok_recording(ImsStore *store, const char *room_id, const ImsRoomRecording *recording,
             GError **error)
{
  (void) store;
  (void) room_id;
  (void) recording;
  (void) error;
  return TRUE;
}

static gboolean
ok_update_recording(ImsStore *store, const ImsRoomRecording *recording, GError **error)
{
  return ok_recording(store, NULL, recording, error);
}

/* ---- fake media: a publisher's file is stopped, then finished by hand ---- */

static gpointer
open_handle(ImsRoom *room, gpointer owner, const char *log_id, gboolean video_only,
            gpointer media_data, GError **error)
{
  (void) room;
  (void) owner;
  (void) log_id;
  (void) video_only;
  (void) media_data;
  (void) error;
  return g_new0(int, 1);
}

static gboolean
ok_text(gpointer media, const char *text, GError **error)
{
  (void) media;
  (void) text;
  (void) error;
  return TRUE;
}

static gboolean
ok_file(gpointer media, const char *path, const char *id, GError **error)
{
  (void) media;
  (void) path;
  (void) id;
  (void) error;
  return TRUE;
}

static void
no_op(gpointer media)
{
  (void) media;
}

static const ImsRoomMediaOps media_ops = {
  .open_publisher = open_handle,
  .publisher_offer = ok_text,
  .start_file = ok_file,
  .stop_file = no_op,
  .close_publisher = g_free,
};

/* ---- fixture ---- */

typedef struct {
  FakeStore store;
  ImsDatabase *database;
  char *spool;
  ImsSessionContext sessions;
  ImsRoomContext context;
  ImsRegistry *registry;
  ImsRoomRegistry *rooms;
  const ImsPeerHandler *handler;
  FakePeer peers[4];
  int shutdown_done;
} Fixture;

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
setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  ImsRoomRecord *room = ims_room_record_new();
  room->id = g_strdup(ROOM_ID);
  room->session_id = g_strdup(SESSION_ID);
  room->company_id = g_strdup("acme");
  room->type = g_strdup("technical");
  ImsRoomParticipant *candidate = ims_room_participant_new();
  candidate->id = g_strdup(CANDIDATE);
  candidate->role = IMS_ROOM_ROLE_CANDIDATE;
  candidate->user_id = g_strdup("u-cand");
  g_ptr_array_add(room->participants, candidate);
  f->store.room = room;
  f->store.session = ims_session_record_new();
  f->store.session->id = g_strdup(SESSION_ID);
  f->store.session->interview_id = g_strdup("iv-1");
  f->store.session->user_id = g_strdup("u-cand");
  f->store.base.rooms.load_room = fake_load_room;
  f->store.base.sessions.load_session = fake_load_session;
  f->store.base.free = fake_free;
  f->store.base.begin = ok_transaction;
  f->store.base.commit = ok_transaction;
  f->store.base.rooms.insert_recording = ok_recording;
  f->store.base.rooms.update_recording = ok_update_recording;
  f->database = ims_database_new(&f->store.base, NULL);
  f->spool = g_dir_make_tmp("test-room-registry-XXXXXX", NULL);
  f->sessions = (ImsSessionContext){ .database = f->database, .spool_dir = f->spool };
  f->context = (ImsRoomContext){ .sessions = &f->sessions, .media = &media_ops };
  ImsRoomRegistryConfig config = {
    .context = &f->context,
    .token_secret = SECRET,
    .verify_reviewer = verify_reviewer,
  };
  f->rooms = ims_room_registry_new(&config);
  f->registry = ims_registry_new(&f->sessions, SECRET);
  ims_registry_set_rooms(f->registry, f->rooms);
  f->handler = ims_registry_peer_handler();
  for (guint i = 0; i < G_N_ELEMENTS(f->peers); i++)
    f->peers[i].frames = g_ptr_array_new_with_free_func(g_free);
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *f = *state;
  for (guint i = 0; i < G_N_ELEMENTS(f->peers); i++) {
    if (f->peers[i].endpoint)
      f->handler->closed(f->peers[i].endpoint, (ImsPeer *) &f->peers[i]);
    g_free(f->peers[i].error_code);
    g_ptr_array_unref(f->peers[i].frames);
  }
  assert_true(ims_database_flush(f->database, 5000));
  ims_registry_free(f->registry);
  ims_room_registry_free(f->rooms);
  ims_database_free(f->database);
  ims_room_record_free(f->store.room);
  ims_session_record_free(f->store.session);
  g_autofree char *dir = g_build_filename(f->spool, SESSION_ID, NULL);
  g_rmdir(dir);
  g_rmdir(f->spool);
  g_free(f->spool);
  g_free(f);
  return 0;
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

/* peers[peer] sends room.join for room_id with text; the database answers. */
static void
room_join(Fixture *f, guint peer, const char *room_id, const char *text)
{
  ImsMessage message = {
    .type = IMS_MESSAGE_ROOM_JOIN,
    .room_id = (char *) room_id,
    .token = (char *) text,
    .question_index = -1,
  };
  f->handler->join((ImsPeer *) &f->peers[peer], &message, f->registry);
}

static void
flush(Fixture *f)
{
  assert_true(ims_database_flush(f->database, 5000));
}

static void
test_room_token_joins(void **state)
{
  Fixture *f = *state;
  g_autofree char *text = token(ROOM_ID, CANDIDATE, -60, 3600);
  room_join(f, 0, ROOM_ID, text);
  room_join(f, 1, ROOM_ID, text); /* waits for the same read */
  flush(f);
  assert_int_equal(g_atomic_int_get(&f->store.loads), 1);
  assert_non_null(f->peers[0].endpoint);
  assert_string_equal(ims_room_member_get_participant_id(f->peers[0].endpoint), CANDIDATE);
  /* the second join of the same participant replaced the first */
  assert_non_null(f->peers[1].endpoint);
  assert_true(g_ptr_array_find_with_equal_func(f->peers[0].frames, "replaced", g_str_equal, NULL));
  /* a message reaches the room member: a candidate may not end */
  ImsMessage end = { .type = IMS_MESSAGE_END, .question_index = -1 };
  g_autoptr(GError) error = NULL;
  assert_false(f->handler->message(f->peers[1].endpoint, (ImsPeer *) &f->peers[1], &end, &error));
  assert_true(g_error_matches(error, IMS_SIGNAL_ERROR, IMS_SIGNAL_ERROR_FORBIDDEN));
}

static void
test_token_refusals(void **state)
{
  Fixture *f = *state;
  g_autofree char *expired = token(ROOM_ID, CANDIDATE, -7200, -60);
  g_autofree char *early = token(ROOM_ID, CANDIDATE, 3600, 7200);
  g_autofree char *other = token(OTHER_ROOM, CANDIDATE, -60, 3600);
  g_autofree char *stranger = token(ROOM_ID, INTERVIEWER, -60, 3600);
  room_join(f, 0, ROOM_ID, expired);
  room_join(f, 1, ROOM_ID, early);
  room_join(f, 2, ROOM_ID, other);
  room_join(f, 3, ROOM_ID, "garbage");
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
  room_join(f, 0, ROOM_ID, stranger);
  room_join(f, 1, OTHER_ROOM, other);
  flush(f);
  assert_string_equal(f->peers[0].error_code, "bad_token");
  assert_string_equal(f->peers[1].error_code, "room_not_found");
}

static void
test_reviewer_observes_own_company(void **state)
{
  Fixture *f = *state;
  room_join(f, 0, ROOM_ID, "reviewer:acme");
  room_join(f, 1, ROOM_ID, "reviewer:globex");
  room_join(f, 2, ROOM_ID, "admin");
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
  Fixture *f = *state;
  g_autofree char *text = token(ROOM_ID, CANDIDATE, -60, 3600);
  room_join(f, 0, ROOM_ID, text);
  f->handler->join_cancel((ImsPeer *) &f->peers[0], f->registry);
  flush(f);
  assert_false(f->peers[0].answered);
}

static void
on_shutdown_done(gpointer data)
{
  ((Fixture *) data)->shutdown_done++;
}

/* The registry's shutdown waits for a room's open file; a room with none is done at once and
 * does not end the wait early. */
static void
test_shutdown_waits_for_files(void **state)
{
  Fixture *f = *state;
  g_autofree char *text = token(ROOM_ID, CANDIDATE, -60, 3600);
  room_join(f, 0, ROOM_ID, text);
  flush(f);
  ImsRoomMember *member = f->peers[0].endpoint;
  ImsRoom *room = member->room;
  /* live with a file open on the candidate's camera, as room-files.c leaves it */
  room->record->state = IMS_ROOM_LIVE;
  ImsRoomSegment *segment = ims_room_segment_new();
  g_ptr_array_add(room->record->segments, segment);
  ImsMessage publish = { .type = IMS_MESSAGE_PUBLISH, .stream = (char *) "camera",
                         .sdp = (char *) "v=0", .question_index = -1 };
  assert_true(f->handler->message(member, (ImsPeer *) &f->peers[0], &publish, NULL));
  Publication *publication = g_hash_table_lookup(member->publications, "camera");
  ims_room_media_flowing(room, publication);
  assert_int_equal(room->open_files->len, 1);
  const char *path = ((OpenFile *) g_ptr_array_index(room->open_files, 0))->recording->path;
  g_autofree char *file = g_strdup(path);

  ims_registry_shutdown(f->registry, on_shutdown_done, f);
  assert_int_equal(f->shutdown_done, 0);
  ImsTakeResult result = { .path = file, .video_codec = (char *) "VP8", .complete = TRUE };
  ims_room_media_file_finished(room, publication, &result);
  assert_int_equal(f->shutdown_done, 1);
  flush(f);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_room_token_joins, setup, teardown),
    cmocka_unit_test_setup_teardown(test_token_refusals, setup, teardown),
    cmocka_unit_test_setup_teardown(test_reviewer_observes_own_company, setup, teardown),
    cmocka_unit_test_setup_teardown(test_join_cancelled_while_reading, setup, teardown),
    cmocka_unit_test_setup_teardown(test_shutdown_waits_for_files, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
