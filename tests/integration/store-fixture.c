/* store-fixture.c: what the PostgreSQL store's integration tests share
 * (store-fixture.h): a schema of this run's own, a fresh store per test,
 * records to store, and the admin connection that inspects the server. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <json-glib/json-glib.h>
#include <libpq-fe.h>
#include <string.h>
#include <unistd.h>

#include "store-fixture.h"

PGconn *admin;
char *schema;
char *store_conninfo;

/* Returns base conninfo with "-c search_path=<search_path>" added to its
 * server options, as keyword='value' pairs.  Transfer full. */
char *
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
PGresult *
admin_exec(const char *sql)
{
  PGresult *result = PQexec(admin, sql);
  ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    fail_msg("%s: %s", sql, PQresultErrorMessage(result));
  return result;
}

/* Returns the integer in the first cell of sql's result. */
long
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

int
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

int
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
int
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

int
teardown(void **state)
{
  ims_store_free(*state);
  return 0;
}

/* A session with three questions, microsecond timestamps and optional fields
 * set or not by full.  Transfer full. */
ImsSessionRecord *
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
  g_ptr_array_add(record->questions,
                  ims_question_new("q-b", "Why \"us\"? 'Quotes'; -- and ünïcode", 90));
  g_ptr_array_add(record->questions, ims_question_new("q-c", "Any questions?", 60));
  return record;
}

ImsTake *
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

void
create_session(ImsStore *store, const ImsSessionRecord *record)
{
  g_autoptr(GError) error = NULL;
  if (!store->sessions.create_session(store, record, &error))
    fail_msg("create_session: %s", error->message);
}

void
insert_take(ImsStore *store, const ImsTake *take)
{
  g_autoptr(GError) error = NULL;
  if (!store->sessions.insert_take(store, take, &error))
    fail_msg("insert_take: %s", error->message);
}

ImsSessionRecord *
load_session(ImsStore *store, const char *id)
{
  g_autoptr(GError) error = NULL;
  ImsSessionRecord *record = store->sessions.load_session(store, id, &error);
  if (record == NULL)
    fail_msg("load_session: %s", error->message);
  return record;
}

void
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

/* Kills the store's server connections (application_name imsd) and waits
 * until they are gone.  Returns how many there were. */
long
kill_store_connections(void)
{
  return admin_count("SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity"
                     " WHERE application_name = 'imsd' AND datname = current_database()"
                     " AND pid <> pg_backend_pid()");
}

GPtrArray *
make_events(const char *key, int count)
{
  GPtrArray *events = g_ptr_array_new_with_free_func((GDestroyNotify) ims_outbox_event_free);
  for (int i = 0; i < count; i++) {
    g_autofree char *id = g_uuid_string_random();
    g_autofree char *value = g_strdup_printf("{\"n\":%d}", i);
    g_ptr_array_add(events,
                    ims_outbox_event_new(id, "candidate.started", "candidate-events", key, value));
  }
  return events;
}

void
require_test_pg(void)
{
  if (g_getenv("IMSD_TEST_PG") == NULL || *g_getenv("IMSD_TEST_PG") == '\0') {
    fprintf(stderr,
            "IMSD_TEST_PG is not set: give it a PostgreSQL conninfo, e.g.\n"
            "  scripts/pg.sh start\n"
            "  IMSD_TEST_PG=postgresql://postgres@127.0.0.1:55432/imsd_test meson test ...\n");
    exit(1);
  }
}
