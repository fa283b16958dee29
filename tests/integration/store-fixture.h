/* store-fixture.h: the fixture of the PostgreSQL store's integration tests
 * (store-fixture.c).
 *
 * Needs IMSD_TEST_PG, a libpq conninfo of a database the test may create
 * schemas in.  Each run works in its own fresh schema (search_path in the
 * store's conninfo), dropped at the end; every test starts from empty
 * tables.  The tests talk to the server directly with libpq to set up and
 * inspect. */
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <libpq-fe.h>

#include "store-pg.h"

extern PGconn *admin;        /* the test's own connection */
extern char *schema;         /* this run's schema */
extern char *store_conninfo; /* IMSD_TEST_PG + search_path=schema */

/* base conninfo with "-c search_path=<search_path>" added to its server
 * options, as keyword='value' pairs.  Transfer full. */
char *conninfo_with_search_path(const char *base, const char *search_path);
/* Runs sql (constant text) on the admin connection; fails the test on error.  Transfer full. */
PGresult *admin_exec(const char *sql);
/* The integer in the first cell of sql's result. */
long admin_count(const char *sql);
/* cmocka group setup/teardown: the run's schema; per test: an open store
 * (migrations applied, *state) and empty tables. */
int group_setup(void **state);
int group_teardown(void **state);
int setup(void **state);
int teardown(void **state);
/* A session with three questions, microsecond timestamps and optional
 * fields set or not by full.  Transfer full. */
ImsSessionRecord *make_session(gboolean full);
ImsTake *make_take(const char *session_id, int question_index, int number, ImsTakeStatus status,
                   gint64 started_at);
/* Store calls that fail the test on error. */
void create_session(ImsStore *store, const ImsSessionRecord *record);
void insert_take(ImsStore *store, const ImsTake *take);
ImsSessionRecord *load_session(ImsStore *store, const char *id);
void assert_take_equal(const ImsTake *expected, const ImsTake *actual);
/* Kills the store's server connections (application_name imsd) and waits
 * until they are gone.  Returns how many there were. */
long kill_store_connections(void);
/* count outbox events for key, values {"n":i}.  Transfer full. */
GPtrArray *make_events(const char *key, int count);
/* Exits with a message unless IMSD_TEST_PG is set (the tests never pass silently). */
void require_test_pg(void);
