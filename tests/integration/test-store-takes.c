/* test-store-takes.c: the PostgreSQL store's takes against a real server:
 * round trip, numbering conflicts, the takes still recording, processing
 * status and the completeness record (store-fixture.h: IMSD_TEST_PG, a
 * schema of the run's own). */
#include <json-glib/json-glib.h>
#include <string.h>

#include "store-fixture.h"

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
  take->size_bytes = G_GINT64_CONSTANT(5000000000); /* > 4 GiB: bigint */
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
  g_autoptr(ImsTake)
      no_question = make_take(session->id, 3, 1, IMS_TAKE_RECORDING, 1700000500000000);
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

  g_autoptr(ImsTake)
      same_number = make_take(session->id, 0, 1, IMS_TAKE_RECORDING, 1700000001000000);
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
  assert_true(store->media.finish_processing(
      store, broken->id, "failed",
      "renditions failed after 3 attempts: mux: Could not multiplex stream.", &error));
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
                               " AND (completeness #>> '{avOffsetMs,end}')::int = 25"),
                   1);
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

int
main(void)
{
  require_test_pg();
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_take_round_trip, setup, teardown),
    cmocka_unit_test_setup_teardown(test_duplicate_take_number_conflicts, setup, teardown),
    cmocka_unit_test_setup_teardown(test_list_open_takes_returns_recording_only, setup, teardown),
    cmocka_unit_test_setup_teardown(test_processing_status_round_trip, setup, teardown),
    cmocka_unit_test_setup_teardown(test_completeness_round_trip, setup, teardown),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
