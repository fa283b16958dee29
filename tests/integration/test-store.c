/* test-store.c: the PostgreSQL store against a real server.
 *
 * Needs IMSD_TEST_PG, a libpq conninfo of a database the test may create
 * schemas in, e.g.
 *   scripts/pg.sh start
 *   IMSD_TEST_PG=postgresql://postgres@127.0.0.1:55432/imsd_test meson test -C build --suite integration
 * Without it the test fails (it never passes silently).
 *
 * Each run works in its own fresh schema (search_path in the store's
 * conninfo), dropped at the end; every test starts from empty tables.  The
 * test talks to the server directly with libpq to set up and inspect.
 */
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

#include "store-fixture.h"

static void
test_migrations_recorded_and_idempotent(void **state)
{
  long applied = admin_count("SELECT count(*) FROM schema_migrations");
  assert_true(applied >= 2);
  /* Versions are 1..n, each once, with a name and a time. */
  assert_int_equal(admin_count("SELECT max(version) FROM schema_migrations"), applied);
  assert_int_equal(admin_count("SELECT count(*) FROM schema_migrations"
                               " WHERE name <> '' AND applied_at IS NOT NULL"),
                   applied);
  assert_int_equal(
      admin_count("SELECT count(*) FROM pg_indexes WHERE indexname = 'takes_recording_idx'"
                  " AND schemaname = current_schema()"),
      1);

  /* Opening again (a second imsd) applies nothing and fails nothing. */
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsStore) second = ims_store_pg_new(store_conninfo, &error);
  assert_non_null(second);
  assert_null(error);
  assert_int_equal(admin_count("SELECT count(*) FROM schema_migrations"), applied);
  assert_true(second->ping(second, &error));
}

/* A migration that fails names itself and leaves the schema at the version
 * before it: here migration 2 collides with a relation that exists. */
static void
test_migration_failure_leaves_previous_version(void **state)
{
  g_autofree char *broken = g_strdup_printf("%s_broken", schema);
  g_autofree char *create = g_strdup_printf(
      "CREATE SCHEMA %s; CREATE TABLE %s.takes_recording_idx (x int)", broken, broken);
  PQclear(admin_exec(create));
  g_autofree char *conninfo = conninfo_with_search_path(g_getenv("IMSD_TEST_PG"), broken);

  g_autoptr(GError) error = NULL;
  ImsStore *store = ims_store_pg_new(conninfo, &error);
  assert_null(store);
  assert_non_null(error);
  assert_true(g_error_matches(error, IMS_STORE_ERROR, IMS_STORE_ERROR_MIGRATE));
  assert_non_null(strstr(error->message, "migration 2"));
  assert_non_null(strstr(error->message, "already exists"));

  g_autofree char *versions = g_strdup_printf(
      "SELECT coalesce(max(version), 0) * 100 + count(*) FROM %s.schema_migrations", broken);
  assert_int_equal(admin_count(versions), 101); /* only version 1 */
  g_autofree char *index = g_strdup_printf("SELECT count(*) FROM pg_indexes WHERE schemaname = '%s'"
                                           " AND indexname = 'sessions_interview_idx'",
                                           broken);
  assert_int_equal(admin_count(index), 0); /* nothing of migration 2 */

  /* Once the obstacle is gone, the next start finishes the job. */
  g_autofree char *drop_obstacle = g_strdup_printf("DROP TABLE %s.takes_recording_idx", broken);
  PQclear(admin_exec(drop_obstacle));
  g_clear_error(&error);
  store = ims_store_pg_new(conninfo, &error);
  assert_non_null(store);
  ims_store_free(store);
  /* every migration is applied now, each once, in order (later migrations add versions) */
  g_autofree char *complete = g_strdup_printf(
      "SELECT (max(version) = count(*) AND max(version) >= 2)::int FROM %s.schema_migrations",
      broken);
  assert_int_equal(admin_count(complete), 1);
  assert_int_equal(admin_count(index), 1);

  g_autofree char *drop = g_strdup_printf("DROP SCHEMA %s CASCADE", broken);
  PQclear(admin_exec(drop));
}

static gpointer
open_store_thread(gpointer conninfo)
{
  g_autoptr(GError) error = NULL;
  ImsStore *store = ims_store_pg_new(conninfo, &error);
  if (store == NULL)
    return g_strdup(error->message);
  ims_store_free(store);
  return NULL;
}

/* Several imsd starting at once on an empty schema: the advisory lock makes
 * one migrate while the others wait, then find nothing to do. */
static void
test_concurrent_start_migrates_once(void **state)
{
  g_autofree char *fresh = g_strdup_printf("%s_race", schema);
  g_autofree char *create = g_strdup_printf("CREATE SCHEMA %s", fresh);
  PQclear(admin_exec(create));
  g_autofree char *conninfo = conninfo_with_search_path(g_getenv("IMSD_TEST_PG"), fresh);

  GThread *threads[6];
  for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
    threads[i] = g_thread_new("open-store", open_store_thread, conninfo);
  for (guint i = 0; i < G_N_ELEMENTS(threads); i++) {
    g_autofree char *failure = g_thread_join(threads[i]);
    if (failure != NULL)
      fail_msg("concurrent ims_store_pg_new: %s", failure);
  }
  g_autofree char *count = g_strdup_printf("SELECT count(*) FROM %s.schema_migrations", fresh);
  assert_int_equal(admin_count(count), admin_count("SELECT count(*) FROM schema_migrations"));
  g_autofree char *drop = g_strdup_printf("DROP SCHEMA %s CASCADE", fresh);
  PQclear(admin_exec(drop));
}

static void
test_session_round_trip(void **state)
{
  ImsStore *store = *state;
  g_autoptr(ImsSessionRecord) full = make_session(TRUE);
  g_autoptr(ImsSessionRecord) sparse = make_session(FALSE);
  full->title = g_strdup("Backend engineer");
  full->company_name = g_strdup("Acme");
  full->practice_text = g_strdup("A warm-up?");
  full->practice_seconds = 30;
  create_session(store, full);
  create_session(store, sparse);

  g_autoptr(ImsSessionRecord) loaded = load_session(store, full->id);
  assert_string_equal(loaded->id, full->id);
  assert_string_equal(loaded->interview_id, "interview-7");
  assert_string_equal(loaded->invitation_id, "invitation-3");
  assert_string_equal(loaded->user_id, "user-42");
  assert_string_equal(loaded->candidate_email, "ana@example.com");
  assert_string_equal(loaded->company_id, "company-9");
  assert_string_equal(loaded->profile, "default");
  assert_int_equal(loaded->think_seconds, 30);
  assert_int_equal(loaded->max_retakes, 2);
  assert_int_equal(loaded->state, IMS_SESSION_CREATED);
  assert_int_equal(loaded->current_question, 0);
  assert_int_equal(loaded->created_at, 1700000000123456);
  assert_int_equal(loaded->expires_at, 1700086400654321);
  assert_int_equal(loaded->started_at, 0);
  assert_int_equal(loaded->completed_at, 0);
  assert_int_equal(loaded->questions->len, 3);
  for (guint i = 0; i < 3; i++) {
    const ImsQuestion *want = g_ptr_array_index(full->questions, i);
    const ImsQuestion *got = g_ptr_array_index(loaded->questions, i);
    assert_string_equal(got->id, want->id);
    assert_string_equal(got->text, want->text);
    assert_int_equal(got->time_limit_seconds, want->time_limit_seconds);
  }
  assert_int_equal(loaded->takes->len, 0);
  assert_string_equal(loaded->title, "Backend engineer");
  assert_string_equal(loaded->company_name, "Acme");
  assert_string_equal(loaded->practice_text, "A warm-up?");
  assert_int_equal(loaded->practice_seconds, 30);

  g_autoptr(ImsSessionRecord) loaded_sparse = load_session(store, sparse->id);
  assert_null(loaded_sparse->invitation_id);
  assert_null(loaded_sparse->candidate_email);
  assert_null(loaded_sparse->company_id);
  assert_null(loaded_sparse->title);
  assert_null(loaded_sparse->practice_text);
  assert_int_equal(loaded_sparse->practice_seconds, 0);

  /* Progress is saved and only for that session. */
  full->state = IMS_SESSION_ACTIVE;
  full->current_question = 2;
  full->started_at = 1700000100000001;
  g_autoptr(GError) error = NULL;
  assert_true(store->sessions.save_progress(store, full, &error));
  g_autoptr(ImsSessionRecord) progressed = load_session(store, full->id);
  assert_int_equal(progressed->state, IMS_SESSION_ACTIVE);
  assert_int_equal(progressed->current_question, 2);
  assert_int_equal(progressed->started_at, 1700000100000001);
  assert_int_equal(progressed->completed_at, 0);
  full->state = IMS_SESSION_COMPLETED;
  full->completed_at = 1700000200999999;
  assert_true(store->sessions.save_progress(store, full, &error));
  g_autoptr(ImsSessionRecord) completed = load_session(store, full->id);
  assert_int_equal(completed->state, IMS_SESSION_COMPLETED);
  assert_int_equal(completed->completed_at, 1700000200999999);
  g_autoptr(ImsSessionRecord) untouched = load_session(store, sparse->id);
  assert_int_equal(untouched->state, IMS_SESSION_CREATED);

  /* The same id twice is a conflict and changes nothing. */
  assert_false(store->sessions.create_session(store, full, &error));
  assert_true(g_error_matches(error, IMS_STORE_ERROR, IMS_STORE_ERROR_CONFLICT));
  g_clear_error(&error);

  /* Progress of an unknown session. */
  g_autoptr(ImsSessionRecord) ghost = make_session(FALSE);
  assert_false(store->sessions.save_progress(store, ghost, &error));
  assert_true(g_error_matches(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND));
}

/* A failed create_session leaves nothing behind (one transaction). */
static void
test_create_session_is_atomic(void **state)
{
  ImsStore *store = *state;
  g_autoptr(ImsSessionRecord) record = make_session(TRUE);
  ImsQuestion *bad = g_ptr_array_index(record->questions, 2);
  g_clear_pointer(&bad->text, g_free); /* NOT NULL violation on the third question */
  g_autoptr(GError) error = NULL;
  assert_false(store->sessions.create_session(store, record, &error));
  assert_true(g_error_matches(error, IMS_STORE_ERROR, IMS_STORE_ERROR_QUERY));
  assert_non_null(strstr(error->message, "null value")); /* the server's message */
  assert_int_equal(admin_count("SELECT count(*) FROM sessions"), 0);
  assert_int_equal(admin_count("SELECT count(*) FROM questions"), 0);
  /* The connection is usable afterwards (no transaction left open). */
  g_clear_error(&error);
  assert_true(store->ping(store, &error));
}

static void
test_load_missing_is_not_found(void **state)
{
  ImsStore *store = *state;
  g_autofree char *id = g_uuid_string_random();
  g_autoptr(GError) error = NULL;
  assert_null(store->sessions.load_session(store, id, &error));
  assert_true(g_error_matches(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND));
}

static void
test_non_uuid_session_is_not_found(void **state)
{
  ImsStore *store = *state;
  const char *ids[] = { "not-a-uuid", "", "'; DROP TABLE sessions; --",
                        "123e4567-e89b-12d3-a456-42661417400z" };
  for (guint i = 0; i < G_N_ELEMENTS(ids); i++) {
    g_autoptr(GError) error = NULL;
    assert_null(store->sessions.load_session(store, ids[i], &error));
    assert_true(g_error_matches(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND));
  }
  g_autoptr(ImsSessionRecord) record = make_session(FALSE);
  g_free(record->id);
  record->id = g_strdup("not-a-uuid");
  g_autoptr(GError) error = NULL;
  assert_false(store->sessions.save_progress(store, record, &error));
  assert_true(g_error_matches(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND));
  g_clear_error(&error);
  assert_true(store->ping(store, &error));
  assert_int_equal(admin_count("SELECT count(*) FROM pg_tables WHERE tablename = 'sessions'"
                               " AND schemaname = current_schema()"),
                   1);
}

static gboolean
save_progress_body(ImsStore *store, gpointer data, GError **error)
{
  return store->sessions.save_progress(store, data, error);
}

/* A state change and its events commit together, or neither does. */
static void
test_change_commits_events_with_state(void **state)
{
  ImsStore *store = *state;
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsSessionRecord) record = make_session(FALSE);
  create_session(store, record);

  record->state = IMS_SESSION_ACTIVE;
  g_autoptr(GPtrArray) events = make_events(record->id, 2);
  assert_true(ims_store_change(store, save_progress_body, record, events, &error));
  g_autoptr(ImsSessionRecord) loaded = load_session(store, record->id);
  assert_int_equal(loaded->state, IMS_SESSION_ACTIVE);
  g_autoptr(GPtrArray) pending = store->outbox.list_pending_events(store, 0, 10, &error);
  assert_non_null(pending);
  assert_int_equal(pending->len, 2);
  const ImsOutboxEvent *first = g_ptr_array_index(pending, 0);
  const ImsOutboxEvent *second = g_ptr_array_index(pending, 1);
  assert_string_equal(first->event_id, ((ImsOutboxEvent *) g_ptr_array_index(events, 0))->event_id);
  assert_true(first->id < second->id);
  assert_string_equal(first->value, "{\"n\":0}");
  assert_string_equal(first->key, record->id);
  assert_int_equal(store->outbox.count_pending_events(store, &error), 2);

  /* a failing change (missing session) leaves no event behind */
  g_autoptr(ImsSessionRecord) missing = make_session(FALSE);
  g_autoptr(GPtrArray) lost = make_events(missing->id, 1);
  assert_false(ims_store_change(store, save_progress_body, missing, lost, &error));
  g_clear_error(&error);
  /* ... and a failing event insert (duplicate event id) undoes the state change */
  record->state = IMS_SESSION_COMPLETED;
  assert_false(ims_store_change(store, save_progress_body, record, events, &error));
  g_clear_error(&error);
  g_autoptr(ImsSessionRecord) unchanged = load_session(store, record->id);
  assert_int_equal(unchanged->state, IMS_SESSION_ACTIVE);
  assert_int_equal(store->outbox.count_pending_events(store, &error), 2);

  /* sent events leave the pending list, in order */
  assert_true(store->outbox.mark_events_sent(store, &first->id, 1, &error));
  g_autoptr(GPtrArray) rest = store->outbox.list_pending_events(store, 0, 10, &error);
  assert_int_equal(rest->len, 1);
  /* and the relay's "past what librdkafka has" read */
  g_autoptr(GPtrArray) past = store->outbox.list_pending_events(store, second->id, 10, &error);
  assert_int_equal(past->len, 0);
  assert_int_equal(((ImsOutboxEvent *) g_ptr_array_index(rest, 0))->id, second->id);
  /* the store still works normally after the failed transactions */
  assert_true(store->ping(store, &error));
}

static void
test_ping_and_reconnect(void **state)
{
  ImsStore *store = *state;
  g_autoptr(GError) error = NULL;
  assert_true(store->ping(store, &error));

  g_autoptr(ImsSessionRecord) session = make_session(TRUE);
  create_session(store, session);

  /* application_name is imsd: the kill finds the store's connection. */
  assert_true(kill_store_connections() >= 1);
  assert_true(store->ping(store, &error));

  /* Other calls reconnect too, with the same options (search_path). */
  assert_true(kill_store_connections() >= 1);
  g_autoptr(ImsSessionRecord) loaded = load_session(store, session->id);
  assert_string_equal(loaded->id, session->id);
  assert_int_equal(loaded->questions->len, 3);
}

static void
test_connect_failure(void **state)
{
  g_autoptr(GError) error = NULL;
  assert_null(ims_store_pg_new("host=127.0.0.1 port=1 connect_timeout=2", &error));
  assert_true(g_error_matches(error, IMS_STORE_ERROR, IMS_STORE_ERROR_CONNECT));
  g_clear_error(&error);
  assert_null(ims_store_pg_new("this is = not a conninfo", &error));
  assert_true(g_error_matches(error, IMS_STORE_ERROR, IMS_STORE_ERROR_CONNECT));
}

int
main(void)
{
  require_test_pg();
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_migrations_recorded_and_idempotent, setup, teardown),
    cmocka_unit_test(test_migration_failure_leaves_previous_version),
    cmocka_unit_test(test_concurrent_start_migrates_once),
    cmocka_unit_test_setup_teardown(test_session_round_trip, setup, teardown),
    cmocka_unit_test_setup_teardown(test_create_session_is_atomic, setup, teardown),
    cmocka_unit_test_setup_teardown(test_load_missing_is_not_found, setup, teardown),
    cmocka_unit_test_setup_teardown(test_non_uuid_session_is_not_found, setup, teardown),
    cmocka_unit_test_setup_teardown(test_change_commits_events_with_state, setup, teardown),
    cmocka_unit_test_setup_teardown(test_ping_and_reconnect, setup, teardown),
    cmocka_unit_test(test_connect_failure),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
