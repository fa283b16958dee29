/* test-store-erasure.c: what a user's erasure and the outbox retention do
 * to the outbox, against a real PostgreSQL (store.h erase_user,
 * purge_sent_events).
 *
 * Needs IMSD_TEST_PG as test-store.c does (store-fixture.h): each run in its
 * own schema, every test from empty tables.  The events are the ones imsd
 * writes (events/payloads.c through the outbox), so the scrubbing is checked
 * on the exact text the relay would publish.
 */
#include <json-glib/json-glib.h>
#include <string.h>

#include "outbox.h"
#include "payloads.h"
#include "store-fixture.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PGresult, PQclear)

/* A session of user_id (with an e-mail address) and its events as imsd
 * writes them: started (with e-mail and browser), a response, an upload and
 * completed (with e-mail), appended in one change. */
static ImsSessionRecord *
add_user_session(ImsStore *store, const char *user_id, const char *email)
{
  ImsSessionRecord *record = make_session(TRUE);
  g_free(record->user_id);
  record->user_id = g_strdup(user_id);
  g_free(record->candidate_email);
  record->candidate_email = g_strdup(email);
  record->started_at = g_get_real_time();
  record->completed_at = record->started_at + 60 * G_USEC_PER_SEC;
  create_session(store, record);
  g_autoptr(ImsTake) take = make_take(record->id, 0, 1, IMS_TAKE_COMPLETED, record->started_at);
  take->duration_ms = 11033;
  insert_take(store, take);
  g_autoptr(ImsMediaFile) file = ims_media_file_new();
  file->id = g_strdup(take->id);
  file->take_id = g_strdup(take->id);
  file->session_id = g_strdup(record->id);
  file->key = g_strdup_printf("interviews/%s/%s/original.mkv", record->id, take->id);
  file->content_type = g_strdup("video/x-matroska");
  file->size_bytes = 1234;
  g_autoptr(GPtrArray) events = NULL;
  ims_outbox_add(&events, IMS_EVENT_CANDIDATE_STARTED,
                 ims_event_payload_candidate_started(record, "Mozilla/5.0 (\"quoted\")", 0), NULL);
  ims_outbox_add(&events, IMS_EVENT_CANDIDATE_RESPONSE_SUBMITTED,
                 ims_event_payload_candidate_response_submitted(record, take, take->id), NULL);
  ims_outbox_add(&events, IMS_EVENT_MEDIA_UPLOADED,
                 ims_event_payload_media_uploaded(user_id, file, "imsd", NULL), NULL);
  ims_outbox_add(&events, IMS_EVENT_CANDIDATE_COMPLETED,
                 ims_event_payload_candidate_completed(record, 1, 11.033), NULL);
  g_autoptr(GError) error = NULL;
  assert_true(store->append_events(store, events, &error));
  return record;
}

/* Rows of the outbox whose text contains needle (a literal, no quotes). */
static long
rows_containing(const char *needle, const char *where)
{
  g_autofree char *sql = g_strdup_printf(
      "SELECT count(*) FROM outbox WHERE strpos(value, '%s') > 0 AND %s", needle, where);
  return admin_count(sql);
}

/* Erases user_id as user-events.c does: inside a transaction. */
static void
erase(ImsStore *store, const char *user_id, int expected_sessions)
{
  g_autoptr(GError) error = NULL;
  int sessions = -1;
  assert_true(store->begin(store, &error));
  assert_true(store->privacy.erase_user(store, user_id, &sessions, &error));
  assert_true(store->commit(store, &error));
  assert_int_equal(sessions, expected_sessions);
}

/* The payload of the outbox row of event_type and user (transfer full). */
static JsonObject *
payload_of(const char *event_type, const char *session_id)
{
  g_autofree char *sql = g_strdup_printf(
      "SELECT value FROM outbox WHERE event_type = '%s' AND strpos(value, '%s') > 0", event_type,
      session_id);
  g_autoptr(PGresult) result = admin_exec(sql);
  assert_int_equal(PQntuples(result), 1);
  g_autoptr(JsonNode) root = json_from_string(PQgetvalue(result, 0, 0), NULL);
  assert_non_null(root); /* still valid JSON */
  return json_object_ref(json_object_get_object_member(json_node_get_object(root), "payload"));
}

/* After user.deleted no outbox row holds the user's e-mail, and no sent row
 * the user's id; the unsent ones stay (to go out in order) without the
 * e-mail and the browser; another user's rows are untouched. */
static void
test_erasure_deletes_sent_events_and_scrubs_unsent(void **state)
{
  ImsStore *store = *state;
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsSessionRecord) sent = add_user_session(store, "gone-user", "gone@example.com");
  /* the first session's events went out; the second's wait (Kafka away) */
  PQclear(admin_exec("UPDATE outbox SET sent_at = now()"));
  g_autoptr(ImsSessionRecord) unsent = add_user_session(store, "gone-user", "gone@example.com");
  g_autoptr(ImsSessionRecord) other = add_user_session(store, "kept-user", "kept@example.com");
  g_autoptr(PGresult) before = admin_exec(
      "SELECT id, value FROM outbox WHERE strpos(value, 'kept-user') > 0 ORDER BY id");
  assert_int_equal(PQntuples(before), 4);
  assert_int_equal(rows_containing("gone@example.com", "true"), 4);

  erase(store, "gone-user", 2);
  assert_int_equal(rows_containing("gone@example.com", "true"), 0);
  assert_int_equal(rows_containing("gone-user", "sent_at IS NOT NULL"), 0);
  assert_int_equal(rows_containing("Mozilla", "strpos(value, 'gone-user') > 0"), 0);
  /* the unsent four are still there, in their order, unsent */
  assert_int_equal(rows_containing("gone-user", "sent_at IS NULL"), 4);
  assert_int_equal(store->outbox.count_pending_events(store, &error), 8);
  g_autoptr(JsonObject) started = payload_of("candidate.started", unsent->id);
  assert_false(json_object_has_member(started, "candidateEmail")); /* "(if known)": left out */
  assert_true(json_object_get_null_member(started, "userAgent"));
  assert_string_equal(json_object_get_string_member(started, "userId"), "gone-user");
  g_autoptr(JsonObject) completed = payload_of("candidate.completed", unsent->id);
  assert_true(json_object_get_null_member(completed, "candidateEmail")); /* always present */
  assert_true(json_object_get_double_member(completed, "totalDuration") == 11.033);
  g_autoptr(JsonObject) response = payload_of("candidate.response_submitted", unsent->id);
  assert_string_equal(json_object_get_string_member(response, "status"), "completed");
  /* the other user's rows, byte for byte */
  g_autoptr(PGresult) after = admin_exec(
      "SELECT id, value FROM outbox WHERE strpos(value, 'kept-user') > 0 ORDER BY id");
  assert_int_equal(PQntuples(after), 4);
  for (int row = 0; row < 4; row++)
    assert_string_equal(PQgetvalue(after, row, 1), PQgetvalue(before, row, 1));
  assert_int_equal(admin_count("SELECT count(*) FROM sessions WHERE user_id = 'gone-user'"), 0);
  assert_int_equal(admin_count("SELECT count(*) FROM sessions WHERE user_id = 'kept-user'"), 1);
}

/* A user id JSON must escape is stored escaped: it is matched all the same,
 * and an id that is a prefix of another's matches only its own rows. */
static void
test_erasure_of_ids_json_escapes(void **state)
{
  ImsStore *store = *state;
  g_autoptr(ImsSessionRecord) quoted = add_user_session(store, "say \"hi\"\\", "q@example.com");
  g_autoptr(ImsSessionRecord) longer = add_user_session(store, "say \"hi\"\\ too", "t@example.com");
  PQclear(admin_exec("UPDATE outbox SET sent_at = now()"));
  erase(store, "say \"hi\"\\", 1);
  assert_int_equal(rows_containing("q@example.com", "true"), 0);
  assert_int_equal(rows_containing("t@example.com", "true"), 2);
  assert_int_equal(admin_count("SELECT count(*) FROM outbox"), 4);
}

/* The retention purge deletes what was sent before the limit, never what
 * is still to send, however old. */
static void
test_purge_keeps_unsent_and_recent_events(void **state)
{
  ImsStore *store = *state;
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsSessionRecord) record = add_user_session(store, "user-1", "a@example.com");
  /* rows 1-2 sent 3 h ago, row 3 sent now, row 4 unsent but recorded 3 h ago */
  PQclear(admin_exec("UPDATE outbox SET sent_at = now() - interval '3 hours'"
                     " WHERE id IN (SELECT id FROM outbox ORDER BY id LIMIT 2)"));
  PQclear(admin_exec("UPDATE outbox SET sent_at = now()"
                     " WHERE id = (SELECT id FROM outbox ORDER BY id OFFSET 2 LIMIT 1)"));
  PQclear(
      admin_exec("UPDATE outbox SET created_at = now() - interval '3 hours' WHERE sent_at IS NULL"));
  gint64 purged = -1;
  gint64 two_hours_ago = g_get_real_time() - (gint64) 2 * 3600 * G_USEC_PER_SEC;
  assert_true(store->privacy.purge_sent_events(store, two_hours_ago, &purged, &error));
  assert_int_equal(purged, 2);
  assert_int_equal(admin_count("SELECT count(*) FROM outbox"), 2);
  assert_int_equal(admin_count("SELECT count(*) FROM outbox WHERE sent_at IS NULL"), 1);
  assert_int_equal(
      admin_count("SELECT count(*) FROM outbox WHERE event_type = 'candidate.completed'"), 1);
  /* again: nothing left to purge */
  assert_true(store->privacy.purge_sent_events(store, two_hours_ago, &purged, &error));
  assert_int_equal(purged, 0);
}

int
main(void)
{
  require_test_pg();
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_erasure_deletes_sent_events_and_scrubs_unsent, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_erasure_of_ids_json_escapes, setup, teardown),
    cmocka_unit_test_setup_teardown(test_purge_keeps_unsent_and_recent_events, setup, teardown),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
