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
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <json-glib/json-glib.h>
#include <libpq-fe.h>
#include <string.h>
#include <unistd.h>

#include "store-pg.h"

static PGconn *admin;            /* the test's own connection */
static char *schema;             /* this run's schema */
static char *store_conninfo;     /* IMSD_TEST_PG + search_path=schema */

/* Returns base conninfo with "-c search_path=<search_path>" added to its
 * server options, as keyword='value' pairs.  Transfer full. */
static char *
conninfo_with_search_path(const char *base, const char *search_path)
{
  char *parse_error = NULL;
  PQconninfoOption *options = PQconninfoParse(base, &parse_error);
  if (options == NULL)
    fail_msg("IMSD_TEST_PG is not a valid conninfo: %s", parse_error);
  GString *out = g_string_new(NULL);
  const char *server_options = "";
  for (PQconninfoOption *option = options; option->keyword; option++) {
    if (option->val == NULL || *option->val == '\0')
      continue;
    if (g_str_equal(option->keyword, "options")) {
      server_options = option->val;
      continue;
    }
    g_string_append_printf(out, "%s='", option->keyword);
    for (const char *c = option->val; *c; c++) {
      if (*c == '\\' || *c == '\'')
        g_string_append_c(out, '\\');
      g_string_append_c(out, *c);
    }
    g_string_append(out, "' ");
  }
  g_string_append_printf(out, "options='%s -c search_path=%s'", server_options, search_path);
  PQconninfoFree(options);
  return g_string_free(out, FALSE);
}

/* Runs sql (no parameters, constant text) on the admin connection and
 * returns its result; fails the test on error.  Transfer full. */
static PGresult *
admin_exec(const char *sql)
{
  PGresult *result = PQexec(admin, sql);
  ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    fail_msg("%s: %s", sql, PQresultErrorMessage(result));
  return result;
}

/* Returns the integer in the first cell of sql's result. */
static long
admin_count(const char *sql)
{
  PGresult *result = admin_exec(sql);
  assert_int_equal(PQntuples(result), 1);
  long value = strtol(PQgetvalue(result, 0, 0), NULL, 10);
  PQclear(result);
  return value;
}

static void
ignore_notice(void *data, const char *message)
{
}

static int
group_setup(void **state)
{
  const char *base = g_getenv("IMSD_TEST_PG");
  admin = PQconnectdb(base);
  if (PQstatus(admin) != CONNECTION_OK) {
    fprintf(stderr, "cannot connect to IMSD_TEST_PG (%s): %s", base, PQerrorMessage(admin));
    return -1;
  }
  PQsetNoticeProcessor(admin, ignore_notice, NULL);
  schema = g_strdup_printf("imsd_test_%d_%u", (int) getpid(), g_random_int());
  g_autofree char *create = g_strdup_printf("CREATE SCHEMA %s", schema);
  PQclear(admin_exec(create));
  g_autofree char *set = g_strdup_printf("SET search_path = %s", schema);
  PQclear(admin_exec(set));
  store_conninfo = conninfo_with_search_path(base, schema);
  return 0;
}

static int
group_teardown(void **state)
{
  if (schema != NULL) {
    /* Also the side schemas of tests that failed before cleaning up. */
    g_autofree char *drop = g_strdup_printf("DROP SCHEMA IF EXISTS %s, %s_broken, %s_race CASCADE",
                                            schema, schema, schema);
    PQclear(PQexec(admin, drop));
  }
  PQfinish(admin);
  g_clear_pointer(&schema, g_free);
  g_clear_pointer(&store_conninfo, g_free);
  return 0;
}

/* Per test: an open store (migrations applied) and empty tables. */
static int
setup(void **state)
{
  g_autoptr(GError) error = NULL;
  ImsStore *store = ims_store_pg_new(store_conninfo, &error);
  if (store == NULL) {
    fprintf(stderr, "ims_store_pg_new: %s\n", error->message);
    return -1;
  }
  PQclear(admin_exec("TRUNCATE sessions, outbox CASCADE"));
  *state = store;
  return 0;
}

static int
teardown(void **state)
{
  ims_store_free(*state);
  return 0;
}

/* A session with three questions, microsecond timestamps and optional fields
 * set or not by full.  Transfer full. */
static ImsSessionRecord *
make_session(gboolean full)
{
  ImsSessionRecord *record = ims_session_record_new();
  record->id = g_uuid_string_random();
  record->interview_id = g_strdup("interview-7");
  record->invitation_id = full ? g_strdup("invitation-3") : NULL;
  record->user_id = g_strdup("user-42");
  record->candidate_email = full ? g_strdup("ana@example.com") : NULL;
  record->company_id = full ? g_strdup("company-9") : NULL;
  record->profile = g_strdup("default");
  record->think_seconds = 30;
  record->max_retakes = 2;
  record->state = IMS_SESSION_CREATED;
  record->current_question = 0;
  record->created_at = 1700000000123456;
  record->expires_at = 1700086400654321;
  g_ptr_array_add(record->questions, ims_question_new("q-a", "Tell us about yourself.", 120));
  g_ptr_array_add(record->questions, ims_question_new("q-b", "Why \"us\"? 'Quotes'; -- and ünïcode", 90));
  g_ptr_array_add(record->questions, ims_question_new("q-c", "Any questions?", 60));
  return record;
}

static ImsTake *
make_take(const char *session_id, int question_index, int number, ImsTakeStatus status,
          gint64 started_at)
{
  ImsTake *take = ims_take_new();
  take->id = g_uuid_string_random();
  take->session_id = g_strdup(session_id);
  take->question_index = question_index;
  take->number = number;
  take->status = status;
  take->path = g_strdup_printf("/spool/%s/q%d-t%d.mkv", session_id, question_index, number);
  take->started_at = started_at;
  return take;
}

static void
create_session(ImsStore *store, const ImsSessionRecord *record)
{
  g_autoptr(GError) error = NULL;
  if (!store->sessions.create_session(store, record, &error))
    fail_msg("create_session: %s", error->message);
}

static void
insert_take(ImsStore *store, const ImsTake *take)
{
  g_autoptr(GError) error = NULL;
  if (!store->sessions.insert_take(store, take, &error))
    fail_msg("insert_take: %s", error->message);
}

static ImsSessionRecord *
load_session(ImsStore *store, const char *id)
{
  g_autoptr(GError) error = NULL;
  ImsSessionRecord *record = store->sessions.load_session(store, id, &error);
  if (record == NULL)
    fail_msg("load_session: %s", error->message);
  return record;
}

static void
assert_take_equal(const ImsTake *expected, const ImsTake *actual)
{
  assert_string_equal(actual->id, expected->id);
  assert_string_equal(actual->session_id, expected->session_id);
  assert_int_equal(actual->question_index, expected->question_index);
  assert_int_equal(actual->number, expected->number);
  assert_int_equal(actual->status, expected->status);
  assert_string_equal(actual->path, expected->path);
  assert_int_equal(actual->started_at, expected->started_at);
  assert_int_equal(actual->stopped_at, expected->stopped_at);
  assert_int_equal(actual->duration_ms, expected->duration_ms);
  assert_int_equal(actual->size_bytes, expected->size_bytes);
  assert_true(g_strcmp0(actual->video_codec, expected->video_codec) == 0);
  assert_true(g_strcmp0(actual->audio_codec, expected->audio_codec) == 0);
  assert_int_equal(actual->width, expected->width);
  assert_int_equal(actual->height, expected->height);
  assert_true(g_strcmp0(actual->stop_reason, expected->stop_reason) == 0);
}

static void
test_migrations_recorded_and_idempotent(void **state)
{
  long applied = admin_count("SELECT count(*) FROM schema_migrations");
  assert_true(applied >= 2);
  /* Versions are 1..n, each once, with a name and a time. */
  assert_int_equal(admin_count("SELECT max(version) FROM schema_migrations"), applied);
  assert_int_equal(admin_count("SELECT count(*) FROM schema_migrations"
                               " WHERE name <> '' AND applied_at IS NOT NULL"), applied);
  assert_int_equal(admin_count("SELECT count(*) FROM pg_indexes WHERE indexname = 'takes_recording_idx'"
                               " AND schemaname = current_schema()"), 1);

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
  assert_int_equal(admin_count(versions), 101);   /* only version 1 */
  g_autofree char *index = g_strdup_printf(
      "SELECT count(*) FROM pg_indexes WHERE schemaname = '%s'"
      " AND indexname = 'sessions_interview_idx'", broken);
  assert_int_equal(admin_count(index), 0);        /* nothing of migration 2 */

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
  g_autofree char *count = g_strdup_printf(
      "SELECT count(*) FROM %s.schema_migrations", fresh);
  assert_int_equal(admin_count(count),
                   admin_count("SELECT count(*) FROM schema_migrations"));
  g_autofree char *drop = g_strdup_printf("DROP SCHEMA %s CASCADE", fresh);
  PQclear(admin_exec(drop));
}

static void
test_session_round_trip(void **state)
{
  ImsStore *store = *state;
  g_autoptr(ImsSessionRecord) full = make_session(TRUE);
  g_autoptr(ImsSessionRecord) sparse = make_session(FALSE);
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

  g_autoptr(ImsSessionRecord) loaded_sparse = load_session(store, sparse->id);
  assert_null(loaded_sparse->invitation_id);
  assert_null(loaded_sparse->candidate_email);
  assert_null(loaded_sparse->company_id);

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
  g_clear_pointer(&bad->text, g_free);   /* NOT NULL violation on the third question */
  g_autoptr(GError) error = NULL;
  assert_false(store->sessions.create_session(store, record, &error));
  assert_true(g_error_matches(error, IMS_STORE_ERROR, IMS_STORE_ERROR_QUERY));
  assert_non_null(strstr(error->message, "null value"));   /* the server's message */
  assert_int_equal(admin_count("SELECT count(*) FROM sessions"), 0);
  assert_int_equal(admin_count("SELECT count(*) FROM questions"), 0);
  /* The connection is usable afterwards (no transaction left open). */
  g_clear_error(&error);
  assert_true(store->ping(store, &error));
}

static void
test_take_round_trip(void **state)
{
  ImsStore *store = *state;
  g_autoptr(ImsSessionRecord) session = make_session(TRUE);
  create_session(store, session);

  g_autoptr(ImsTake) take = make_take(session->id, 1, 1, IMS_TAKE_RECORDING, 1700000300000042);
  insert_take(store, take);
  g_autoptr(ImsSessionRecord) loaded = load_session(store, session->id);
  assert_int_equal(loaded->takes->len, 1);
  assert_take_equal(take, g_ptr_array_index(loaded->takes, 0));

  take->status = IMS_TAKE_COMPLETED;
  take->stopped_at = 1700000360500000;
  take->duration_ms = 60500;
  take->size_bytes = G_GINT64_CONSTANT(5000000000);   /* > 4 GiB: bigint */
  take->video_codec = g_strdup("VP8");
  take->audio_codec = g_strdup("opus");
  take->width = 1280;
  take->height = 720;
  take->stop_reason = g_strdup("candidate");
  g_autoptr(GError) error = NULL;
  assert_true(store->sessions.update_take(store, take, &error));
  g_autoptr(ImsSessionRecord) updated = load_session(store, session->id);
  assert_int_equal(updated->takes->len, 1);
  assert_take_equal(take, g_ptr_array_index(updated->takes, 0));

  /* Ordered by question then number, whatever the insertion order. */
  g_autoptr(ImsTake) later = make_take(session->id, 1, 2, IMS_TAKE_INTERRUPTED, 1700000400000000);
  g_autoptr(ImsTake) earlier = make_take(session->id, 0, 1, IMS_TAKE_FAILED, 1700000500000000);
  insert_take(store, later);
  insert_take(store, earlier);
  g_autoptr(ImsSessionRecord) ordered = load_session(store, session->id);
  assert_int_equal(ordered->takes->len, 3);
  assert_take_equal(earlier, g_ptr_array_index(ordered->takes, 0));
  assert_take_equal(take, g_ptr_array_index(ordered->takes, 1));
  assert_take_equal(later, g_ptr_array_index(ordered->takes, 2));

  /* Updating a take that does not exist. */
  g_autoptr(ImsTake) ghost = make_take(session->id, 0, 9, IMS_TAKE_COMPLETED, 1700000500000000);
  assert_false(store->sessions.update_take(store, ghost, &error));
  assert_true(g_error_matches(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND));
  g_clear_error(&error);

  /* A take for a session or question that does not exist. */
  g_autoptr(ImsTake) orphan = make_take("00000000-0000-4000-8000-000000000000", 0, 1,
                                        IMS_TAKE_RECORDING, 1700000500000000);
  assert_false(store->sessions.insert_take(store, orphan, &error));
  assert_true(g_error_matches(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND));
  g_clear_error(&error);
  g_autoptr(ImsTake) no_question = make_take(session->id, 3, 1, IMS_TAKE_RECORDING, 1700000500000000);
  assert_false(store->sessions.insert_take(store, no_question, &error));
  assert_true(g_error_matches(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND));
}

static void
test_duplicate_take_number_conflicts(void **state)
{
  ImsStore *store = *state;
  g_autoptr(ImsSessionRecord) session = make_session(FALSE);
  create_session(store, session);
  g_autoptr(ImsTake) first = make_take(session->id, 0, 1, IMS_TAKE_RECORDING, 1700000000000000);
  insert_take(store, first);

  g_autoptr(ImsTake) same_number = make_take(session->id, 0, 1, IMS_TAKE_RECORDING, 1700000001000000);
  g_autoptr(GError) error = NULL;
  assert_false(store->sessions.insert_take(store, same_number, &error));
  assert_true(g_error_matches(error, IMS_STORE_ERROR, IMS_STORE_ERROR_CONFLICT));
  assert_non_null(strstr(error->message, "duplicate key"));
  g_clear_error(&error);

  g_autoptr(ImsTake) same_id = ims_take_copy(first);
  same_id->number = 2;
  assert_false(store->sessions.insert_take(store, same_id, &error));
  assert_true(g_error_matches(error, IMS_STORE_ERROR, IMS_STORE_ERROR_CONFLICT));
  g_clear_error(&error);

  assert_int_equal(admin_count("SELECT count(*) FROM takes"), 1);
  /* The next number is fine. */
  g_autoptr(ImsTake) second = make_take(session->id, 0, 2, IMS_TAKE_RECORDING, 1700000002000000);
  insert_take(store, second);
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
                               " AND schemaname = current_schema()"), 1);
}

static void
test_list_open_takes_returns_recording_only(void **state)
{
  ImsStore *store = *state;
  g_autoptr(ImsSessionRecord) one = make_session(FALSE);
  g_autoptr(ImsSessionRecord) two = make_session(FALSE);
  create_session(store, one);
  create_session(store, two);

  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) none = store->sessions.list_open_takes(store, &error);
  assert_non_null(none);
  assert_int_equal(none->len, 0);

  g_autoptr(ImsTake) open_late = make_take(one->id, 1, 1, IMS_TAKE_RECORDING, 1700000009000000);
  g_autoptr(ImsTake) done = make_take(one->id, 0, 1, IMS_TAKE_RECORDING, 1700000001000000);
  g_autoptr(ImsTake) cut = make_take(one->id, 0, 2, IMS_TAKE_INTERRUPTED, 1700000002000000);
  g_autoptr(ImsTake) failed = make_take(two->id, 0, 1, IMS_TAKE_FAILED, 1700000003000000);
  g_autoptr(ImsTake) open_early = make_take(two->id, 2, 1, IMS_TAKE_RECORDING, 1700000004000000);
  insert_take(store, open_late);
  insert_take(store, done);
  insert_take(store, cut);
  insert_take(store, failed);
  insert_take(store, open_early);
  done->status = IMS_TAKE_COMPLETED;
  done->stopped_at = 1700000005000000;
  assert_true(store->sessions.update_take(store, done, &error));

  g_autoptr(GPtrArray) open = store->sessions.list_open_takes(store, &error);
  assert_non_null(open);
  assert_int_equal(open->len, 2);
  assert_take_equal(open_early, g_ptr_array_index(open, 0));
  assert_take_equal(open_late, g_ptr_array_index(open, 1));
  /* Listing changes nothing. */
  assert_int_equal(admin_count("SELECT count(*) FROM takes WHERE status = 'recording'"), 2);
}

/* The processing status a take ends with, read back with the session; a take that becomes failed before
 * processing is failed for processing too, and finishing processing never changes the take's status. */
static void
test_processing_status_round_trip(void **state)
{
  ImsStore *store = *state;
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsSessionRecord) record = make_session(FALSE);
  create_session(store, record);
  g_autoptr(ImsTake) repaired = make_take(record->id, 0, 1, IMS_TAKE_COMPLETED, 1700000001000000);
  g_autoptr(ImsTake) broken = make_take(record->id, 1, 1, IMS_TAKE_INTERRUPTED, 1700000002000000);
  g_autoptr(ImsTake) empty = make_take(record->id, 2, 1, IMS_TAKE_RECORDING, 1700000003000000);
  g_autoptr(ImsTake) waiting = make_take(record->id, 2, 2, IMS_TAKE_COMPLETED, 1700000004000000);
  insert_take(store, repaired);
  insert_take(store, broken);
  insert_take(store, empty);
  insert_take(store, waiting);

  assert_true(store->media.finish_processing(store, repaired->id, "repaired", NULL, &error));
  assert_true(store->media.finish_processing(store, broken->id, "failed",
                                       "renditions failed after 3 attempts: mux: Could not multiplex stream.",
                                       &error));
  empty->status = IMS_TAKE_FAILED;
  assert_true(store->sessions.update_take(store, empty, &error));
  /* a CHECK keeps the status to the known ones */
  assert_false(store->media.finish_processing(store, waiting->id, "done", NULL, &error));
  g_clear_error(&error);

  g_autoptr(ImsSessionRecord) loaded = load_session(store, record->id);
  assert_int_equal(loaded->takes->len, 4);
  const ImsTake *takes[4];
  for (guint i = 0; i < 4; i++)
    takes[i] = g_ptr_array_index(loaded->takes, i);
  assert_string_equal(takes[0]->processing_status, "repaired");
  assert_null(takes[0]->processing_error);
  assert_int_equal(takes[0]->status, IMS_TAKE_COMPLETED);
  assert_string_equal(takes[1]->processing_status, "failed");
  assert_string_equal(takes[1]->processing_error,
                      "renditions failed after 3 attempts: mux: Could not multiplex stream.");
  assert_int_equal(takes[1]->status, IMS_TAKE_INTERRUPTED);
  assert_string_equal(takes[2]->processing_status, "failed");
  assert_string_equal(takes[2]->processing_error, "nothing was recorded");
  assert_string_equal(takes[3]->processing_status, "pending");
  assert_null(takes[3]->processing_error);
  /* only the processed ones have processed_at; the failed one is not listed again */
  assert_int_equal(admin_count("SELECT count(*) FROM takes WHERE processed_at IS NOT NULL"), 2);
  g_autoptr(GPtrArray) jobs = store->media.list_unprocessed_takes(store, "/spool/", &error);
  assert_non_null(jobs);
  assert_int_equal(jobs->len, 1);
  assert_string_equal(((ImsProcessingJob *) g_ptr_array_index(jobs, 0))->take->id, waiting->id);
}

/* TRUE if the JSON texts a and b hold the same value (jsonb normalizes the
 * text: spacing and member order), or are both NULL. */
static gboolean
json_text_equal(const char *a, const char *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  g_autoptr(JsonNode) node_a = json_from_string(a, NULL);
  g_autoptr(JsonNode) node_b = json_from_string(b, NULL);
  return node_a && node_b && json_node_equal(node_a, node_b);
}

#define COMPLETENESS_RECORD \
  "{\"video\":{\"packets\":{\"expected\":900,\"received\":898,\"recoveredByNack\":3,\"lost\":2}," \
  "\"frames\":{\"written\":150,\"droppedIncomplete\":1,\"refused\":0,\"beforeKeyframe\":0}," \
  "\"gaps\":{\"count\":1,\"longestMs\":500},\"firstMs\":0,\"lastMs\":4967}," \
  "\"audio\":{\"packets\":{\"expected\":250,\"received\":250,\"recoveredByNack\":0,\"lost\":0}," \
  "\"frames\":{\"written\":250,\"droppedIncomplete\":0,\"refused\":0,\"beforeKeyframe\":0}," \
  "\"gaps\":{\"count\":0,\"longestMs\":0},\"firstMs\":12,\"lastMs\":4992}," \
  "\"avOffsetMs\":{\"start\":12,\"end\":25}}"

/* A take's completeness record is stored as jsonb when the take finishes and
 * read back with the session, the open and the unprocessed takes; a take that
 * never got one (still recording, cut by a crash) reads NULL: unknown. */
static void
test_completeness_round_trip(void **state)
{
  ImsStore *store = *state;
  g_autoptr(ImsSessionRecord) record = make_session(FALSE);
  create_session(store, record);
  g_autoptr(GError) error = NULL;

  g_autoptr(ImsTake) take = make_take(record->id, 0, 1, IMS_TAKE_RECORDING, 1700000100000000);
  g_autoptr(ImsTake) cut = make_take(record->id, 0, 2, IMS_TAKE_RECORDING, 1700000200000000);
  insert_take(store, take);
  insert_take(store, cut);
  g_autoptr(GPtrArray) open = store->sessions.list_open_takes(store, &error);
  assert_non_null(open);
  assert_int_equal(open->len, 2);
  assert_null(((ImsTake *) g_ptr_array_index(open, 0))->completeness);

  take->status = IMS_TAKE_COMPLETED;
  take->stopped_at = 1700000105000000;
  take->duration_ms = 4992;
  take->video_codec = g_strdup("H264");
  take->audio_codec = g_strdup("OPUS");
  take->completeness = g_strdup(COMPLETENESS_RECORD);
  assert_true(store->sessions.update_take(store, take, &error));
  /* a take a crash cut: recovery marks it interrupted and knows no record */
  cut->status = IMS_TAKE_INTERRUPTED;
  cut->stopped_at = 1700000205000000;
  cut->stop_reason = g_strdup("crash");
  assert_true(store->sessions.update_take(store, cut, &error));

  /* a jsonb column: queryable as JSON */
  assert_int_equal(admin_count("SELECT count(*) FROM takes"
                               " WHERE (completeness #>> '{video,frames,written}')::int = 150"
                               " AND (completeness #>> '{avOffsetMs,end}')::int = 25"), 1);
  assert_int_equal(admin_count("SELECT count(*) FROM takes WHERE completeness IS NULL"), 1);

  g_autoptr(ImsSessionRecord) loaded = load_session(store, record->id);
  assert_int_equal(loaded->takes->len, 2);
  const ImsTake *loaded_take = g_ptr_array_index(loaded->takes, 0);
  const ImsTake *loaded_cut = g_ptr_array_index(loaded->takes, 1);
  assert_non_null(loaded_take->completeness);
  assert_true(json_text_equal(loaded_take->completeness, COMPLETENESS_RECORD));
  assert_null(loaded_cut->completeness);

  /* processing (media.processed) reads it with the job's take */
  g_autoptr(GPtrArray) jobs = store->media.list_unprocessed_takes(store, "/spool/", &error);
  assert_non_null(jobs);
  assert_int_equal(jobs->len, 2);
  for (guint i = 0; i < jobs->len; i++) {
    const ImsTake *job_take = ((ImsProcessingJob *) g_ptr_array_index(jobs, i))->take;
    if (g_str_equal(job_take->id, take->id))
      assert_true(json_text_equal(job_take->completeness, COMPLETENESS_RECORD));
    else
      assert_null(job_take->completeness);
  }

  /* an update that does not carry the record keeps the stored one */
  g_clear_pointer(&take->completeness, g_free);
  take->duration_ms = 4990;
  assert_true(store->sessions.update_take(store, take, &error));
  g_autoptr(ImsSessionRecord) kept = load_session(store, record->id);
  const ImsTake *kept_take = g_ptr_array_index(kept->takes, 0);
  assert_int_equal(kept_take->duration_ms, 4990);
  assert_true(json_text_equal(kept_take->completeness, COMPLETENESS_RECORD));
}

/* Kills the store's server connections (application_name imsd) and waits
 * until they are gone.  Returns how many there were. */
static long
kill_store_connections(void)
{
  return admin_count("SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity"
                     " WHERE application_name = 'imsd' AND datname = current_database()"
                     " AND pid <> pg_backend_pid()");
}

static GPtrArray *
make_events(const char *key, int count)
{
  GPtrArray *events = g_ptr_array_new_with_free_func((GDestroyNotify) ims_outbox_event_free);
  for (int i = 0; i < count; i++) {
    g_autofree char *id = g_uuid_string_random();
    g_autofree char *value = g_strdup_printf("{\"n\":%d}", i);
    g_ptr_array_add(events, ims_outbox_event_new(id, "candidate.started", "candidate-events", key,
                                                 value));
  }
  return events;
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
  if (g_getenv("IMSD_TEST_PG") == NULL || *g_getenv("IMSD_TEST_PG") == '\0') {
    fprintf(stderr, "IMSD_TEST_PG is not set: give it a PostgreSQL conninfo, e.g.\n"
            "  scripts/pg.sh start\n"
            "  IMSD_TEST_PG=postgresql://postgres@127.0.0.1:55432/imsd_test meson test ...\n");
    return 1;
  }
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_migrations_recorded_and_idempotent, setup, teardown),
    cmocka_unit_test(test_migration_failure_leaves_previous_version),
    cmocka_unit_test(test_concurrent_start_migrates_once),
    cmocka_unit_test_setup_teardown(test_session_round_trip, setup, teardown),
    cmocka_unit_test_setup_teardown(test_create_session_is_atomic, setup, teardown),
    cmocka_unit_test_setup_teardown(test_take_round_trip, setup, teardown),
    cmocka_unit_test_setup_teardown(test_duplicate_take_number_conflicts, setup, teardown),
    cmocka_unit_test_setup_teardown(test_load_missing_is_not_found, setup, teardown),
    cmocka_unit_test_setup_teardown(test_non_uuid_session_is_not_found, setup, teardown),
    cmocka_unit_test_setup_teardown(test_list_open_takes_returns_recording_only, setup, teardown),
    cmocka_unit_test_setup_teardown(test_processing_status_round_trip, setup, teardown),
    cmocka_unit_test_setup_teardown(test_completeness_round_trip, setup, teardown),
    cmocka_unit_test_setup_teardown(test_change_commits_events_with_state, setup, teardown),
    cmocka_unit_test_setup_teardown(test_ping_and_reconnect, setup, teardown),
    cmocka_unit_test(test_connect_failure),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
