/* Unit tests for server/interview/registry.c: joins, the sweep, ending a
 * user's sessions, shutdown.
 *
 * The store is faked at its seam (its sessions ops) behind a real
 * ImsDatabase; the sessions are real ImsSessions with a media seam that is
 * never opened (no offer is sent).  The peer functions are replaced with
 * -Wl,--wrap, so the tests read every answer to a join and every frame.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "registry.h"
#include "token.h"

#define SECRET "registry-test-secret-0123456789abcdef"
#define SESSION_A "6f1c0b3e-7a0d-4a52-9d3c-0c1f7a2b9e11"
#define SESSION_B "0b7e4c2a-1d3f-4e5a-8b6c-9d0e1f2a3b4c"
#define SESSION_DONE "3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a"
#define SESSION_MISSING "11111111-2222-4333-8444-555555555555"

/* ---- wrapped peer ---- */

typedef struct {
  int answers;       /* ims_peer_join_finish calls */
  gpointer endpoint; /* the last answer's, transfer full */
  int error_code;    /* the last answer's IMS_SIGNAL_ERROR code, -1 if none */
  GPtrArray *errors; /* codes of error frames sent (char*) */
  int frames;        /* other frames sent */
  gboolean closed;
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
  fake->answers++;
  assert_null(fake->endpoint); /* a peer is answered once, or its endpoint was let go */
  fake->endpoint = endpoint;
  fake->error_code = -1;
  if (error) {
    assert_null(endpoint);
    assert_true(error->domain == IMS_SIGNAL_ERROR);
    fake->error_code = error->code;
  } else {
    assert_non_null(endpoint);
    assert_string_equal(log_id, ims_session_get_id(endpoint));
  }
}

void
__wrap_ims_peer_send(ImsPeer *peer, const char *json)
{
  ((FakePeer *) peer)->frames++;
}

void
__wrap_ims_peer_send_error(ImsPeer *peer, const char *code, const char *message,
                           const char *request_type)
{
  g_ptr_array_add(((FakePeer *) peer)->errors, g_strdup(code));
}

void
__wrap_ims_peer_close(ImsPeer *peer, const char *reason)
{
  ((FakePeer *) peer)->closed = TRUE;
}

const char *
__wrap_ims_peer_get_log_id(ImsPeer *peer)
{
  return "fake-peer";
}

const char *
__wrap_ims_peer_get_user_agent(ImsPeer *peer)
{
  return "FakeBrowser/1.0";
}

/* ---- fake store: three sessions, A and B of user-1, DONE completed ---- */

typedef struct {
  ImsStore base;
  gint loads;       /* atomic: load_session calls */
  gint unreachable; /* atomic: reads fail as if the server were down */
} FakeStore;

static ImsSessionRecord *
fake_load_session(ImsStore *base, const char *session_id, GError **error)
{
  FakeStore *store = (FakeStore *) base;
  g_atomic_int_inc(&store->loads);
  if (g_atomic_int_get(&store->unreachable)) {
    g_set_error_literal(error, IMS_STORE_ERROR, IMS_STORE_ERROR_CONNECT, "connection refused");
    return NULL;
  }
  if (strcmp(session_id, SESSION_A) != 0 && strcmp(session_id, SESSION_B) != 0 &&
      strcmp(session_id, SESSION_DONE) != 0) {
    g_set_error_literal(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND, "no such session");
    return NULL;
  }
  ImsSessionRecord *record = ims_session_record_new();
  record->id = g_strdup(session_id);
  record->interview_id = g_strdup("interview-1");
  record->user_id = g_strdup(strcmp(session_id, SESSION_B) == 0 ? "user-2" : "user-1");
  record->profile = g_strdup("default");
  record->think_seconds = 10;
  record->max_retakes = 1;
  record->state = strcmp(session_id, SESSION_DONE) == 0 ? IMS_SESSION_COMPLETED : IMS_SESSION_ACTIVE;
  g_ptr_array_add(record->questions, ims_question_new("q1", "Tell us something.", 30));
  return record;
}

static gboolean
fake_ping(ImsStore *base, GError **error)
{
  return TRUE;
}

static gboolean
fake_ok(ImsStore *base, GError **error)
{
  return TRUE;
}

static void
fake_rollback(ImsStore *base)
{
}

static gboolean
fake_save_progress(ImsStore *base, const ImsSessionRecord *record, GError **error)
{
  return TRUE;
}

static gboolean
fake_append_events(ImsStore *base, const GPtrArray *events, GError **error)
{
  return TRUE;
}

static void
fake_store_free(ImsStore *base)
{
  /* the fixture owns the fake */
}

/* ---- fixture ---- */

static gpointer
media_not_opened(ImsSession *session, gpointer data, GError **error)
{
  fail_msg("no test sends an offer");
  return NULL;
}

static const ImsMediaOps media_ops = { .open = media_not_opened };

typedef struct {
  FakeStore store;
  ImsDatabase *database;
  ImsSessionContext context;
  ImsRegistry *registry;
  const ImsPeerHandler *handler;
  FakePeer peers[3];
  int shutdowns; /* shutdown done calls */
} Fixture;

static int
setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  f->store.base.ping = fake_ping;
  f->store.base.begin = fake_ok;
  f->store.base.commit = fake_ok;
  f->store.base.rollback = fake_rollback;
  f->store.base.append_events = fake_append_events;
  f->store.base.free = fake_store_free;
  f->store.base.sessions.load_session = fake_load_session;
  f->store.base.sessions.save_progress = fake_save_progress;
  f->database = ims_database_new(&f->store.base, NULL);
  f->context = (ImsSessionContext){
    .database = f->database,
    .media = &media_ops,
    .spool_dir = "/nonexistent",
    .no_media_timeout_seconds = 600,
    .max_width = 1280,
    .max_height = 720,
    .max_frame_rate = 30,
  };
  f->registry = ims_registry_new(&f->context, SECRET);
  f->handler = ims_registry_peer_handler();
  for (guint i = 0; i < G_N_ELEMENTS(f->peers); i++) {
    f->peers[i].errors = g_ptr_array_new_with_free_func(g_free);
    f->peers[i].error_code = -1;
  }
  *state = f;
  return 0;
}

/* The connection of peer closes: the handler lets its endpoint go. */
static void
close_peer(Fixture *f, FakePeer *peer)
{
  if (!peer->endpoint)
    return;
  f->handler->closed(peer->endpoint, (ImsPeer *) peer);
  peer->endpoint = NULL;
}

static int
teardown(void **state)
{
  Fixture *f = *state;
  for (guint i = 0; i < G_N_ELEMENTS(f->peers); i++)
    close_peer(f, &f->peers[i]);
  g_clear_pointer(&f->registry, ims_registry_free);
  assert_true(ims_database_flush(f->database, 5000));
  g_clear_pointer(&f->database, ims_database_free);
  for (guint i = 0; i < G_N_ELEMENTS(f->peers); i++)
    g_ptr_array_unref(f->peers[i].errors);
  g_free(f);
  return 0;
}

/* Sends peer's join of session_id with a token made for token_session
 * (valid from iat_offset seconds from now, for ttl seconds), without
 * waiting for the database. */
static void
send_join_token(Fixture *f, FakePeer *peer, const char *session_id, const char *token_session,
                gint64 iat_offset, gint64 ttl)
{
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  g_autofree char *token = ims_token_issue(SECRET, token_session, now + iat_offset, ttl, NULL);
  assert_non_null(token);
  ImsMessage message = { .type = IMS_MESSAGE_JOIN,
                         .session_id = (char *) session_id,
                         .token = token };
  f->handler->join((ImsPeer *) peer, &message, f->registry);
}

/* Joins and waits until the database answered. */
static void
join(Fixture *f, FakePeer *peer, const char *session_id)
{
  send_join_token(f, peer, session_id, session_id, 0, 3600);
  assert_true(ims_database_flush(f->database, 5000));
}

static int
loads(Fixture *f)
{
  return g_atomic_int_get(&f->store.loads);
}

/* ---- tokens ---- */

static void
test_join_refuses_a_bad_token(void **state)
{
  Fixture *f = *state;
  ImsMessage message = { .type = IMS_MESSAGE_JOIN,
                         .session_id = (char *) SESSION_A,
                         .token = (char *) "not.a.token" };
  f->handler->join((ImsPeer *) &f->peers[0], &message, f->registry);
  assert_int_equal(f->peers[0].answers, 1);
  assert_int_equal(f->peers[0].error_code, IMS_SIGNAL_ERROR_BAD_TOKEN);
  assert_true(ims_database_flush(f->database, 5000));
  assert_int_equal(loads(f), 0);
}

static void
test_join_refuses_an_expired_token(void **state)
{
  Fixture *f = *state;
  send_join_token(f, &f->peers[0], SESSION_A, SESSION_A, -7200, 60);
  assert_int_equal(f->peers[0].error_code, IMS_SIGNAL_ERROR_TOKEN_EXPIRED);
}

static void
test_join_refuses_a_token_not_valid_yet(void **state)
{
  Fixture *f = *state;
  send_join_token(f, &f->peers[0], SESSION_A, SESSION_A, 3600, 7200);
  assert_int_equal(f->peers[0].error_code, IMS_SIGNAL_ERROR_TOKEN_NOT_YET_VALID);
}

static void
test_join_refuses_another_sessions_token(void **state)
{
  Fixture *f = *state;
  send_join_token(f, &f->peers[0], SESSION_A, SESSION_B, 0, 3600);
  assert_int_equal(f->peers[0].error_code, IMS_SIGNAL_ERROR_TOKEN_WRONG_SESSION);
  assert_true(ims_database_flush(f->database, 5000));
  assert_int_equal(loads(f), 0);
}

static void
test_join_refuses_a_session_id_that_is_no_uuid(void **state)
{
  Fixture *f = *state;
  send_join_token(f, &f->peers[0], "../../etc", "../../etc", 0, 3600);
  assert_int_equal(f->peers[0].error_code, IMS_SIGNAL_ERROR_SESSION_NOT_FOUND);
  assert_true(ims_database_flush(f->database, 5000));
  assert_int_equal(loads(f), 0);
}

/* ---- the log line of a refused join ---- */

/* "<SESSION_ID field>|<message>" of each imsd.registry line (the writer is installed in main). */
static GPtrArray *registry_lines;

static GLogWriterOutput
capture_registry_lines(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  const char *domain = NULL, *session = "", *message = "";
  for (gsize i = 0; i < n_fields; i++) {
    const char *value = fields[i].length < 0 ? fields[i].value : NULL; /* strings only */
    if (value == NULL)
      continue;
    if (strcmp(fields[i].key, "GLIB_DOMAIN") == 0)
      domain = value;
    else if (strcmp(fields[i].key, "SESSION_ID") == 0)
      session = value;
    else if (strcmp(fields[i].key, "MESSAGE") == 0)
      message = value;
  }
  if (registry_lines && g_strcmp0(domain, "imsd.registry") == 0)
    g_ptr_array_add(registry_lines, g_strdup_printf("%s|%s", session, message));
  return g_log_writer_default(level, fields, n_fields, data);
}

/* Every refusal is one line with the session id the client asked for as its session field (escaped
 * when it is not plain: it is the client's input) and the refusal's code; an accepted join logs none. */
static void
test_refused_joins_are_logged_with_the_id_asked_for(void **state)
{
  Fixture *f = *state;
  registry_lines = g_ptr_array_new_with_free_func(g_free);
  ImsMessage bad = { .type = IMS_MESSAGE_JOIN,
                     .session_id = (char *) SESSION_A,
                     .token = (char *) "not.a.token" };
  f->handler->join((ImsPeer *) &f->peers[0], &bad, f->registry);
  send_join_token(f, &f->peers[0], "x\n]: y", "x\n]: y", 0, 3600); /* a refused peer may ask again */
  join(f, &f->peers[1], SESSION_MISSING);
  join(f, &f->peers[1], SESSION_DONE);
  join(f, &f->peers[2], SESSION_A);
  assert_int_equal(f->peers[2].error_code, -1);

  const char *expected[] = {
    SESSION_A "|fake-peer: join refused (bad_token): This interview link is not valid.",
    "x\\x0a\\x5d:\\x20y|fake-peer: join refused (session_not_found): This interview link is not valid.",
    SESSION_MISSING
    "|fake-peer: join refused (session_not_found): This interview link is not valid.",
    SESSION_DONE
    "|fake-peer: join refused (session_completed): This interview is already completed.",
  };
  GPtrArray *lines = g_steal_pointer(&registry_lines);
  assert_int_equal(lines->len, G_N_ELEMENTS(expected));
  for (guint i = 0; i < G_N_ELEMENTS(expected); i++)
    assert_string_equal(g_ptr_array_index(lines, i), expected[i]);
  g_ptr_array_unref(lines);
}

/* ---- the read of a session ---- */

static void
test_join_reads_the_session_and_attaches(void **state)
{
  Fixture *f = *state;
  join(f, &f->peers[0], SESSION_A);
  assert_int_equal(f->peers[0].answers, 1);
  assert_int_equal(f->peers[0].error_code, -1);
  assert_string_equal(ims_session_get_id(f->peers[0].endpoint), SESSION_A);
  assert_ptr_equal(ims_session_get_peer(f->peers[0].endpoint), &f->peers[0]);
  assert_true(f->peers[0].frames > 0); /* its state */
  assert_int_equal(loads(f), 1);
}

static void
test_join_of_an_unknown_session(void **state)
{
  Fixture *f = *state;
  join(f, &f->peers[0], SESSION_MISSING);
  assert_int_equal(f->peers[0].error_code, IMS_SIGNAL_ERROR_SESSION_NOT_FOUND);
}

static gboolean
write_nothing(ImsStore *store, gpointer data, GError **error)
{
  return TRUE;
}

static void
test_join_while_the_database_is_away(void **state)
{
  Fixture *f = *state;
  g_atomic_int_set(&f->store.unreachable, TRUE);
  join(f, &f->peers[0], SESSION_A);
  assert_int_equal(f->peers[0].error_code, IMS_SIGNAL_ERROR_INTERNAL);
  /* nothing was kept: once it is back, the next join reads again */
  g_atomic_int_set(&f->store.unreachable, FALSE);
  /* (reads fail at once until a write finds the database back) */
  ims_database_submit(f->database, IMS_DATABASE_WRITE, "a write", write_nothing, NULL, NULL, NULL);
  assert_true(ims_database_flush(f->database, 5000));
  join(f, &f->peers[1], SESSION_A);
  assert_int_equal(f->peers[1].error_code, -1);
}

static void
test_join_of_a_completed_session(void **state)
{
  Fixture *f = *state;
  join(f, &f->peers[0], SESSION_DONE);
  assert_int_equal(f->peers[0].error_code, IMS_SIGNAL_ERROR_SESSION_COMPLETED);
}

/* Peers asking for a session being read wait for that one read. */
static void
test_joins_during_a_read_share_it(void **state)
{
  Fixture *f = *state;
  send_join_token(f, &f->peers[0], SESSION_A, SESSION_A, 0, 3600);
  send_join_token(f, &f->peers[1], SESSION_A, SESSION_A, 0, 3600);
  assert_int_equal(f->peers[0].answers + f->peers[1].answers, 0);
  assert_true(ims_database_flush(f->database, 5000));
  assert_int_equal(loads(f), 1);
  assert_int_equal(f->peers[0].answers, 1);
  assert_int_equal(f->peers[1].answers, 1);
  assert_ptr_equal(f->peers[0].endpoint, f->peers[1].endpoint);
  /* answered in the order they asked: the second replaced the first */
  assert_true(f->peers[0].closed);
  assert_string_equal(g_ptr_array_index(f->peers[0].errors, 0), "replaced");
  assert_ptr_equal(ims_session_get_peer(f->peers[1].endpoint), &f->peers[1]);
}

static void
test_join_of_a_session_in_memory_reads_nothing(void **state)
{
  Fixture *f = *state;
  join(f, &f->peers[0], SESSION_A);
  close_peer(f, &f->peers[0]);
  send_join_token(f, &f->peers[1], SESSION_A, SESSION_A, 0, 3600);
  assert_int_equal(f->peers[1].answers, 1); /* at once */
  assert_int_equal(f->peers[1].error_code, -1);
  assert_int_equal(loads(f), 1);
}

static void
test_a_cancelled_join_is_not_answered(void **state)
{
  Fixture *f = *state;
  send_join_token(f, &f->peers[0], SESSION_A, SESSION_A, 0, 3600);
  send_join_token(f, &f->peers[1], SESSION_A, SESSION_A, 0, 3600);
  f->handler->join_cancel((ImsPeer *) &f->peers[0], f->registry);
  assert_true(ims_database_flush(f->database, 5000));
  assert_int_equal(f->peers[0].answers, 0);
  assert_int_equal(f->peers[1].answers, 1);
  assert_int_equal(f->peers[1].error_code, -1);
}

/* The registry goes away with a read pending: its peers get no answer. */
static void
test_free_cancels_a_pending_read(void **state)
{
  Fixture *f = *state;
  send_join_token(f, &f->peers[0], SESSION_A, SESSION_A, 0, 3600);
  g_clear_pointer(&f->registry, ims_registry_free);
  assert_true(ims_database_flush(f->database, 5000));
  assert_int_equal(loads(f), 1);
  assert_int_equal(f->peers[0].answers, 0);
}

/* ---- the sweep ---- */

static void
test_sweep_drops_idle_sessions_and_keeps_busy_ones(void **state)
{
  Fixture *f = *state;
  join(f, &f->peers[0], SESSION_A);
  join(f, &f->peers[1], SESSION_B);
  close_peer(f, &f->peers[0]); /* A is idle, B has its peer */
  assert_true(ims_database_flush(f->database, 5000));
  ims_registry_sweep(f->registry);
  assert_int_equal(loads(f), 2);
  join(f, &f->peers[2], SESSION_B); /* replaces B's peer: B was kept */
  assert_int_equal(loads(f), 2);
  close_peer(f, &f->peers[2]);
  join(f, &f->peers[0], SESSION_A); /* A was dropped: read again */
  assert_int_equal(loads(f), 3);
  assert_int_equal(f->peers[0].error_code, -1);
}

/* ---- ending a user's sessions ---- */

static void
test_end_user_sessions_closes_their_peers(void **state)
{
  Fixture *f = *state;
  join(f, &f->peers[0], SESSION_A); /* user-1 */
  join(f, &f->peers[1], SESSION_B); /* user-2 */
  ims_registry_end_user_sessions(f->registry, "user-1", FALSE);
  assert_true(f->peers[0].closed);
  assert_int_equal(f->peers[0].errors->len, 1);
  assert_string_equal(g_ptr_array_index(f->peers[0].errors, 0), "logged_out");
  assert_null(ims_session_get_peer(f->peers[0].endpoint));
  assert_false(f->peers[1].closed);
  assert_ptr_equal(ims_session_get_peer(f->peers[1].endpoint), &f->peers[1]);
  /* without forget the session stays in memory: a new join reads nothing */
  close_peer(f, &f->peers[0]);
  join(f, &f->peers[2], SESSION_A);
  assert_int_equal(loads(f), 2);
}

static void
test_end_user_sessions_with_forget_drops_them(void **state)
{
  Fixture *f = *state;
  join(f, &f->peers[0], SESSION_A);
  join(f, &f->peers[1], SESSION_B);
  close_peer(f, &f->peers[1]);
  assert_true(ims_database_flush(f->database, 5000)); /* A's first progress is written */
  ims_registry_end_user_sessions(f->registry, "user-1", TRUE);
  assert_true(f->peers[0].closed);
  close_peer(f, &f->peers[0]);
  join(f, &f->peers[2], SESSION_A); /* dropped: read again */
  assert_int_equal(loads(f), 3);
  close_peer(f, &f->peers[2]);
  join(f, &f->peers[1], SESSION_B); /* another user's: kept */
  assert_int_equal(loads(f), 3);
}

/* ---- shutdown ---- */

static void
on_shut_down(gpointer data)
{
  ((Fixture *) data)->shutdowns++;
}

static void
test_shutdown_without_open_takes_is_done_at_once(void **state)
{
  Fixture *f = *state;
  ims_registry_shutdown(f->registry, on_shut_down, f);
  assert_int_equal(f->shutdowns, 1);
  join(f, &f->peers[0], SESSION_A);
  join(f, &f->peers[1], SESSION_B);
  ims_registry_shutdown(f->registry, on_shut_down, f);
  assert_int_equal(f->shutdowns, 2);
  assert_int_equal(ims_registry_get_finalizing(f->registry), 0);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_join_refuses_a_bad_token, setup, teardown),
    cmocka_unit_test_setup_teardown(test_join_refuses_an_expired_token, setup, teardown),
    cmocka_unit_test_setup_teardown(test_join_refuses_a_token_not_valid_yet, setup, teardown),
    cmocka_unit_test_setup_teardown(test_join_refuses_another_sessions_token, setup, teardown),
    cmocka_unit_test_setup_teardown(test_join_refuses_a_session_id_that_is_no_uuid, setup, teardown),
    cmocka_unit_test_setup_teardown(test_refused_joins_are_logged_with_the_id_asked_for, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_join_reads_the_session_and_attaches, setup, teardown),
    cmocka_unit_test_setup_teardown(test_join_of_an_unknown_session, setup, teardown),
    cmocka_unit_test_setup_teardown(test_join_while_the_database_is_away, setup, teardown),
    cmocka_unit_test_setup_teardown(test_join_of_a_completed_session, setup, teardown),
    cmocka_unit_test_setup_teardown(test_joins_during_a_read_share_it, setup, teardown),
    cmocka_unit_test_setup_teardown(test_join_of_a_session_in_memory_reads_nothing, setup, teardown),
    cmocka_unit_test_setup_teardown(test_a_cancelled_join_is_not_answered, setup, teardown),
    cmocka_unit_test_setup_teardown(test_free_cancels_a_pending_read, setup, teardown),
    cmocka_unit_test_setup_teardown(test_sweep_drops_idle_sessions_and_keeps_busy_ones, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_end_user_sessions_closes_their_peers, setup, teardown),
    cmocka_unit_test_setup_teardown(test_end_user_sessions_with_forget_drops_them, setup, teardown),
    cmocka_unit_test_setup_teardown(test_shutdown_without_open_takes_is_done_at_once, setup,
                                    teardown),
  };
  g_log_set_writer_func(capture_registry_lines, NULL, NULL);
  return cmocka_run_group_tests(tests, NULL, NULL);
}
