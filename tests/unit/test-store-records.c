/* test-store-records.c: the store's plain records (store.c), no database. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "store.h"

static void
test_take_status_strings_round_trip(void **state)
{
  const ImsTakeStatus all[] = { IMS_TAKE_RECORDING, IMS_TAKE_COMPLETED, IMS_TAKE_INTERRUPTED,
                                IMS_TAKE_FAILED };
  const char *names[] = { "recording", "completed", "interrupted", "failed" };
  for (guint i = 0; i < G_N_ELEMENTS(all); i++) {
    assert_string_equal(ims_take_status_to_string(all[i]), names[i]);
    ImsTakeStatus parsed = (ImsTakeStatus) 99;
    assert_true(ims_take_status_from_string(names[i], &parsed));
    assert_int_equal(parsed, all[i]);
  }
  ImsTakeStatus untouched = IMS_TAKE_COMPLETED;
  assert_false(ims_take_status_from_string("Recording", &untouched));
  assert_false(ims_take_status_from_string("", &untouched));
  assert_false(ims_take_status_from_string(NULL, &untouched));
  assert_int_equal(untouched, IMS_TAKE_COMPLETED);
  assert_string_equal(ims_take_status_to_string((ImsTakeStatus) 42), "invalid");
}

static void
test_session_state_strings_round_trip(void **state)
{
  const ImsSessionState all[] = { IMS_SESSION_CREATED, IMS_SESSION_ACTIVE, IMS_SESSION_COMPLETED };
  const char *names[] = { "created", "active", "completed" };
  for (guint i = 0; i < G_N_ELEMENTS(all); i++) {
    assert_string_equal(ims_session_state_to_string(all[i]), names[i]);
    ImsSessionState parsed = (ImsSessionState) 99;
    assert_true(ims_session_state_from_string(names[i], &parsed));
    assert_int_equal(parsed, all[i]);
  }
  ImsSessionState untouched = IMS_SESSION_ACTIVE;
  assert_false(ims_session_state_from_string("done", &untouched));
  assert_false(ims_session_state_from_string(NULL, &untouched));
  assert_int_equal(untouched, IMS_SESSION_ACTIVE);
  assert_string_equal(ims_session_state_to_string((ImsSessionState) -1), "invalid");
}

static void
test_take_copy_is_deep(void **state)
{
  g_autoptr(ImsTake) take = ims_take_new();
  assert_int_equal(take->status, IMS_TAKE_RECORDING);
  assert_null(take->id);
  take->id = g_strdup("id");
  take->session_id = g_strdup("session");
  take->path = g_strdup("/spool/a.mkv");
  take->video_codec = g_strdup("VP8");
  take->stop_reason = g_strdup("candidate");
  take->number = 3;
  take->size_bytes = G_GINT64_CONSTANT(5000000000);
  take->status = IMS_TAKE_COMPLETED;

  g_autoptr(ImsTake) copy = ims_take_copy(take);
  assert_ptr_not_equal(copy->id, take->id);
  assert_ptr_not_equal(copy->path, take->path);
  assert_string_equal(copy->id, "id");
  assert_string_equal(copy->session_id, "session");
  assert_string_equal(copy->path, "/spool/a.mkv");
  assert_string_equal(copy->video_codec, "VP8");
  assert_null(copy->audio_codec);
  assert_string_equal(copy->stop_reason, "candidate");
  assert_int_equal(copy->number, 3);
  assert_int_equal(copy->size_bytes, G_GINT64_CONSTANT(5000000000));
  assert_int_equal(copy->status, IMS_TAKE_COMPLETED);
  assert_null(ims_take_copy(NULL));
}

static void
test_session_record_owns_its_arrays(void **state)
{
  g_autoptr(ImsSessionRecord) record = ims_session_record_new();
  assert_non_null(record->questions);
  assert_non_null(record->takes);
  assert_int_equal(record->questions->len, 0);
  assert_int_equal(record->takes->len, 0);
  assert_int_equal(record->state, IMS_SESSION_CREATED);
  g_ptr_array_add(record->questions, ims_question_new("q1", "Why?", 90));
  g_ptr_array_add(record->takes, ims_take_new());
  record->id = g_strdup("x");
  ImsQuestion *question = g_ptr_array_index(record->questions, 0);
  assert_string_equal(question->id, "q1");
  assert_string_equal(question->text, "Why?");
  assert_int_equal(question->time_limit_seconds, 90);
  /* Freed by g_autoptr; leaks show under valgrind/ASan. */
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_take_status_strings_round_trip),
    cmocka_unit_test(test_session_state_strings_round_trip),
    cmocka_unit_test(test_take_copy_is_deep),
    cmocka_unit_test(test_session_record_owns_its_arrays),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
