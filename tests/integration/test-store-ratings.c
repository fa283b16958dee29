/* test-store-ratings.c: the PostgreSQL store's per-answer ratings against a
 * real server: upsert per take and recruiter, the company filter, deletion,
 * the range and note checks of the table, and a take's ratings going with
 * it (store-fixture.h: IMSD_TEST_PG, a schema of the run's own). */
#include "store-fixture.h"

static ImsTakeRating *
make_rating(const char *take_id, const char *recruiter, const char *company_id, int value,
            const char *note)
{
  ImsTakeRating *rating = g_new0(ImsTakeRating, 1);
  rating->take_id = g_strdup(take_id);
  rating->recruiter = g_strdup(recruiter);
  rating->company_id = g_strdup(company_id);
  rating->rating = value;
  rating->note = g_strdup(note);
  return rating;
}

static void
save(ImsStore *store, ImsTakeRating *rating)
{
  g_autoptr(GError) error = NULL;
  assert_true(store->ratings.save_rating(store, rating, &error));
  assert_null(error);
  assert_true(rating->updated_at > 0);
}

static void
test_rating_upsert_list_delete(void **state)
{
  ImsStore *store = *state;
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsSessionRecord) session = make_session(TRUE);
  create_session(store, session);
  g_autoptr(ImsTake) take = make_take(session->id, 0, 1, IMS_TAKE_COMPLETED, 1700000300000000);
  insert_take(store, take);

  g_autofree char *session_id = NULL, *company_id = NULL;
  assert_true(store->ratings.get_take_owner(store, take->id, &session_id, &company_id, &error));
  assert_string_equal(session_id, session->id);
  assert_non_null(company_id);
  char *none_session = NULL, *none_company = NULL;
  assert_false(store->ratings.get_take_owner(store, "00000000-0000-4000-8000-000000000000",
                                             &none_session, &none_company, &error));
  assert_true(g_error_matches(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND));
  g_clear_error(&error);

  g_autoptr(ImsTakeRating) first = make_rating(take->id, "ann", "acme", 2, "thin");
  save(store, first);
  g_autoptr(ImsTakeRating) again = make_rating(take->id, "ann", "acme", 5, "better on replay");
  save(store, again);
  g_autoptr(ImsTakeRating) other = make_rating(take->id, "bob", "other", 3, "");
  save(store, other);

  g_autoptr(GPtrArray) acme = store->ratings.list_session_ratings(store, session->id, "acme", &error);
  assert_non_null(acme);
  assert_int_equal(acme->len, 1); /* one per recruiter: the second save replaced the first */
  const ImsTakeRating *read = g_ptr_array_index(acme, 0);
  assert_string_equal(read->recruiter, "ann");
  assert_int_equal(read->rating, 5);
  assert_string_equal(read->note, "better on replay");
  g_autoptr(GPtrArray) all = store->ratings.list_session_ratings(store, session->id, NULL, &error);
  assert_int_equal(all->len, 2);

  assert_true(store->ratings.delete_rating(store, take->id, "ann", &error));
  assert_false(store->ratings.delete_rating(store, take->id, "ann", &error));
  assert_true(g_error_matches(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND));
  g_clear_error(&error);
  assert_int_equal(admin_count("SELECT count(*) FROM take_ratings"), 1);
}

static void
test_rating_checks_and_cascade(void **state)
{
  ImsStore *store = *state;
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsSessionRecord) session = make_session(TRUE);
  create_session(store, session);
  g_autoptr(ImsTake) take = make_take(session->id, 0, 1, IMS_TAKE_COMPLETED, 1700000300000000);
  insert_take(store, take);

  g_autoptr(ImsTakeRating) high = make_rating(take->id, "ann", "acme", 6, "");
  assert_false(store->ratings.save_rating(store, high, &error));
  g_clear_error(&error);
  g_autofree char *long_note = g_strnfill(2001, 'x');
  g_autoptr(ImsTakeRating) wordy = make_rating(take->id, "ann", "acme", 4, long_note);
  assert_false(store->ratings.save_rating(store, wordy, &error));
  g_clear_error(&error);

  g_autoptr(ImsTakeRating) kept = make_rating(take->id, "ann", "acme", 4, "ok");
  save(store, kept);
  /* erasure deletes the session (and its takes): the ratings go with them */
  PQclear(admin_exec("DELETE FROM sessions"));
  assert_int_equal(admin_count("SELECT count(*) FROM take_ratings"), 0);
}

int
main(void)
{
  require_test_pg();
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_rating_upsert_list_delete, setup, teardown),
    cmocka_unit_test_setup_teardown(test_rating_checks_and_cascade, setup, teardown),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
