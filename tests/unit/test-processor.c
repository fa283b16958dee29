/* Unit tests for server/processing/processor.c: a finished take becomes its
 * renditions, uploaded with the original, recorded with their events, once.
 *
 * The seams are faked (processing-fakes.h): the store's media table and
 * update_take, and the object store.  The database thread, the job queue's
 * worker and the renditions are real: the group's setup records one small
 * H.264 + Opus take (1.5 s, 320x180) the way the recorder writes it, and each
 * test copies it into its own spool directory (the processor deletes what S3
 * holds).  One worker, and backoffs of at most 1 s.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <string.h>

#include "imsd-build.h"
#include "processing-fakes.h"
#include "processor.h"
#include "spool-files.h"

#define KINDS_OF_DEFAULT "audio/wav-16k,original,thumbnail,video/mp4"
#define FINISH_TIMEOUT_MS 60000

static struct {
  char *directory;
  char *take; /* H.264 + Opus, Matroska */
  ImsProfileSet *profiles;
} group;

typedef struct {
  ImsFakeMediaStore store;
  ImsFakeUploads uploads;
  ImsDatabase *database;
  char *spool;
  ImsProcessor *processor;
} Fixture;

/* ---- helpers ---- */

static char *
spool_path(Fixture *f, const char *name)
{
  return g_build_filename(f->spool, name, NULL);
}

/* A copy of the group's take in the spool, as take_id's file (transfer full). */
static char *
spool_take(Fixture *f, const char *take_id)
{
  g_autofree char *name = g_strdup_printf("%s.mkv", take_id);
  char *path = spool_path(f, name);
  g_autofree char *data = NULL;
  gsize length = 0;
  assert_true(g_file_get_contents(group.take, &data, &length, NULL));
  assert_true(g_file_set_contents(path, data, (gssize) length, NULL));
  return path;
}

static void
start_processor(Fixture *f, gboolean with_objects)
{
  ImsProcessorConfig config = {
    .database = f->database,
    .spool_dir = f->spool,
    .objects = with_objects ? &f->uploads.fake.base : NULL,
    .profiles = group.profiles,
    .key_prefix = "pfx",
    .upload_original = TRUE,
    .workers = 1,
    .retry_max_seconds = 1,
  };
  f->processor = ims_processor_new(&config);
}

static char *
event_field(Fixture *f, const char *event_type, const char *member)
{
  int index = ims_fake_media_store_find_event(&f->store, event_type);
  assert_true(index >= 0);
  return ims_fake_event_field(&f->store.fake, (guint) index, member);
}

/* Waits until finish_processing recorded the take and the processor heard
 * so; the status recorded starts with expected. */
static void
assert_finished(Fixture *f, const char *take_id, const char *expected)
{
  if (!ims_fake_media_store_wait_finished(&f->store, take_id, FINISH_TIMEOUT_MS))
    fail_msg("take %s not finished; store log: %s", take_id, ims_fake_store_log(&f->store.fake));
  assert_true(ims_database_flush(f->database, 10000)); /* and the processor has the answer */
  g_autofree char *finished = ims_fake_media_store_finished(&f->store, take_id);
  if (!g_str_has_prefix(finished, expected))
    fail_msg("take %s finished as '%s', not '%s...'", take_id, finished, expected);
}

/* The one media.processing_failed says attempts and whether the original is
 * stored ("1") or not ("0"). */
static void
assert_failed_event(Fixture *f, const char *attempts, const char *original_stored)
{
  assert_int_equal(ims_fake_media_store_count_events(&f->store, "media.processing_failed"), 1);
  assert_int_equal(ims_fake_media_store_count_events(&f->store, "media.processed"), 0);
  g_autofree char *said_attempts = event_field(f, "media.processing_failed", "payload.attempts");
  assert_string_equal(said_attempts, attempts);
  g_autofree char *said_stored = event_field(f, "media.processing_failed", "payload.originalStored");
  assert_string_equal(said_stored, original_stored);
}

/* Starts the processor, hands it job (transfer full) as the take's session
 * would, and waits until the take is finished as expected. */
static void
process(Fixture *f, gboolean with_objects, ImsProcessingJob *job, const char *expected)
{
  g_autoptr(ImsProcessingJob) owned = job;
  start_processor(f, with_objects);
  ims_processor_take_finished(f->processor, job);
  assert_finished(f, job->take->id, expected);
}

static void
assert_kinds(Fixture *f, const char *take_id, const char *expected)
{
  g_autofree char *kinds = ims_fake_media_store_kinds(&f->store, take_id);
  assert_string_equal(kinds, expected);
}

/* Runs the main loop for ms milliseconds. */
static void
run_for(guint ms)
{
  gint64 end = g_get_monotonic_time() + (gint64) ms * 1000;
  while (g_get_monotonic_time() < end)
    if (!g_main_context_iteration(NULL, FALSE))
      g_usleep(2000);
}

/* ---- fixture ---- */

static int
group_setup(void **state)
{
  gst_init(NULL, NULL);
  group.directory = g_dir_make_tmp("test-processor-XXXXXX", NULL);
  assert_non_null(group.directory);
  group.take = g_build_filename(group.directory, "h264.mkv", NULL);
  g_autofree char *description = g_strdup_printf(
      "videotestsrc pattern=ball num-buffers=45 ! video/x-raw,width=320,height=180,framerate=30/1 ! "
      "x264enc speed-preset=ultrafast key-int-max=30 ! h264parse ! queue ! matroskamux name=mux ! "
      "filesink location=%s audiotestsrc num-buffers=75 samplesperbuffer=960 ! "
      "audio/x-raw,rate=48000,channels=2 ! opusenc ! queue ! mux.",
      group.take);
  g_autoptr(GError) error = NULL;
  g_autoptr(GstElement) pipeline = gst_parse_launch(description, &error);
  if (!pipeline)
    fail_msg("%s", error->message);
  g_autoptr(GstBus) bus = gst_element_get_bus(pipeline);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  g_autoptr(GstMessage) message = gst_bus_timed_pop_filtered(bus, 60 * GST_SECOND,
                                                             GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  assert_true(message && GST_MESSAGE_TYPE(message) == GST_MESSAGE_EOS);
  group.profiles = ims_profile_set_load_file(IMSD_SOURCE_DIR "/etc/profiles.ini", &error);
  if (!group.profiles)
    fail_msg("%s", error->message);
  return 0;
}

static int
group_teardown(void **state)
{
  g_unlink(group.take);
  g_rmdir(group.directory);
  g_free(group.take);
  g_free(group.directory);
  ims_profile_set_free(group.profiles);
  return 0;
}

static int
setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  ims_fake_media_store_init(&f->store);
  ims_fake_uploads_init(&f->uploads);
  f->database = ims_database_new(&f->store.fake.base, NULL);
  f->spool = g_dir_make_tmp("test-processor-spool-XXXXXX", NULL);
  assert_non_null(f->spool);
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *f = *state;
  g_clear_pointer(&f->processor, ims_processor_free);
  assert_true(ims_database_flush(f->database, 10000));
  ims_database_free(f->database);
  /* what a test left in its spool: takes and their renditions directories */
  g_autoptr(GDir) dir = g_dir_open(f->spool, 0, NULL);
  const char *name;
  while (dir && (name = g_dir_read_name(dir))) {
    g_autofree char *path = spool_path(f, name);
    ims_spool_remove(path);
  }
  g_rmdir(f->spool);
  g_free(f->spool);
  ims_fake_uploads_clear(&f->uploads);
  ims_fake_media_store_clear(&f->store);
  g_free(f);
  return 0;
}

/* ---- tests ---- */

/* A take its session saved: queued without a database read, its renditions
 * made, each object uploaded under the take's key, recorded with its
 * media.uploaded, then media.processed and processed_at; the spool emptied. */
static void
test_finished_take_processed_and_recorded(void **state)
{
  Fixture *f = *state;
  g_autofree char *path = spool_take(f, "t1");

  process(f, TRUE, ims_fake_job("t1", path, "default"), "processed");

  assert_int_equal(ims_fake_store_count(&f->store.fake, "list_unprocessed_takes"), 0);
  assert_kinds(f, "t1", KINDS_OF_DEFAULT);
  assert_int_equal(ims_fake_uploads_calls(&f->uploads), 4);
  assert_int_equal(ims_fake_uploads_count(&f->uploads, "pfx/i1/s1/q1/take-1-t1/original.mkv"), 1);
  assert_int_equal(ims_fake_uploads_count(&f->uploads, "pfx/i1/s1/q1/take-1-t1/video.mp4"), 1);
  assert_int_equal(ims_fake_uploads_count(&f->uploads, "pfx/i1/s1/q1/take-1-t1/thumb.jpg"), 1);
  assert_int_equal(ims_fake_uploads_count(&f->uploads, "pfx/i1/s1/q1/take-1-t1/audio-16k.wav"), 1);
  assert_int_equal(ims_fake_media_store_count_events(&f->store, "media.uploaded"), 4);
  assert_int_equal(ims_fake_media_store_count_events(&f->store, "media.processed"), 1);
  assert_int_equal(ims_fake_media_store_count_events(&f->store, "media.processing_failed"), 0);
  g_autofree char *file_id = event_field(f, "media.processed", "payload.fileId");
  assert_string_equal(file_id, "t1");
  g_autofree char *thumbnail = event_field(f, "media.processed", "payload.thumbnailPath");
  assert_string_equal(thumbnail, "pfx/i1/s1/q1/take-1-t1/thumb.jpg");
  g_autofree char *profile = event_field(f, "media.processed", "payload.profile");
  assert_string_equal(profile, "default");
  /* the take's row said what it holds: it is not written again */
  assert_int_equal(ims_fake_store_count(&f->store.fake, "update_take"), 0);
  /* S3 holds everything: the take and its renditions are gone from the spool */
  g_autofree char *renditions = g_strdup_printf("%s.renditions", path);
  assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
  assert_false(g_file_test(renditions, G_FILE_TEST_EXISTS));

  ImsProcessorStatus status;
  ims_processor_get_status(f->processor, &status);
  assert_int_equal(status.queued + status.working + status.waiting, 0);
  assert_true(status.storage_ok);
  assert_null(status.last_error);
  ims_processor_status_clear(&status);
}

/* The same take by the scan and by its session, while it is queued, and
 * again by both once it is done: one attempt, one set of objects and events. */
static void
test_same_take_twice_processed_once(void **state)
{
  Fixture *f = *state;
  start_processor(f, TRUE);
  g_autofree char *path = spool_take(f, "t1");
  ims_fake_media_store_add_job(&f->store, ims_fake_job("t1", path, "default"));
  g_autoptr(ImsProcessingJob) job = ims_fake_job("t1", path, "default");

  ims_processor_scan(f->processor);
  ims_processor_take_finished(f->processor, job);
  ims_processor_take_finished(f->processor, job);
  assert_finished(f, "t1", "processed");
  guint calls = ims_fake_uploads_calls(&f->uploads);
  assert_int_equal(calls, 4);

  /* done: its session saying it again, or a scan, changes nothing */
  ims_processor_take_finished(f->processor, job);
  ims_processor_scan(f->processor);
  assert_true(ims_database_flush(f->database, 10000));
  run_for(1500);
  assert_int_equal(ims_fake_uploads_calls(&f->uploads), calls);
  assert_int_equal(ims_fake_store_count(&f->store.fake, "finish_processing"), 1);
  assert_int_equal(ims_fake_media_store_count_events(&f->store, "media.uploaded"), 4);
  assert_int_equal(ims_fake_media_store_count_events(&f->store, "media.processed"), 1);
}

/* S3 refuses the first upload: the attempt is retried after the backoff (1 s),
 * meanwhile /readyz says waiting, storage not ok, and why; then every object
 * is stored once, the renditions are not made again. */
static void
test_failed_upload_retried_with_backoff(void **state)
{
  Fixture *f = *state;
  start_processor(f, TRUE);
  f->uploads.fail_next = 1;
  g_autofree char *path = spool_take(f, "t1");
  g_autoptr(ImsProcessingJob) job = ims_fake_job("t1", path, "default");

  ims_processor_take_finished(f->processor, job);
  ImsProcessorStatus status = { 0 };
  gint64 deadline = g_get_monotonic_time() + FINISH_TIMEOUT_MS * 1000;
  while (status.waiting == 0 && g_get_monotonic_time() < deadline) {
    ims_processor_status_clear(&status);
    run_for(5);
    ims_processor_get_status(f->processor, &status);
  }
  assert_int_equal(status.waiting, 1);
  assert_false(status.storage_ok);
  assert_non_null(status.last_error);
  assert_non_null(strstr(status.last_error, "503 SlowDown"));
  ims_processor_status_clear(&status);

  assert_finished(f, "t1", "processed");
  assert_int_equal(ims_fake_uploads_calls(&f->uploads), 5);
  gint64 first = g_array_index(f->uploads.put_times, gint64, 0);
  gint64 second = g_array_index(f->uploads.put_times, gint64, 1);
  assert_true(second - first >= 900 * 1000);
  assert_kinds(f, "t1", KINDS_OF_DEFAULT);
  assert_int_equal(ims_fake_uploads_count(&f->uploads, "/original.mkv"), 1);
  assert_int_equal(ims_fake_media_store_count_events(&f->store, "media.uploaded"), 4);
  assert_int_equal(ims_fake_media_store_count_events(&f->store, "media.processed"), 1);
  ims_processor_get_status(f->processor, &status);
  assert_int_equal(status.waiting, 0);
  assert_true(status.storage_ok);
  ims_processor_status_clear(&status);
}

/* Polls the status (running the loop) until storage is in state or timeout_ms pass. */
static ImsCheck
wait_storage(Fixture *f, ImsCheckState state, guint timeout_ms)
{
  gint64 until = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
  for (;;) {
    ImsProcessorStatus status;
    ims_processor_get_status(f->processor, &status);
    ImsCheck storage;
    ims_check_copy(&storage, &status.storage);
    ims_processor_status_clear(&status);
    if (storage.state == state || g_get_monotonic_time() > until)
      return storage;
    ims_check_clear(&storage);
    run_for(20);
  }
}

/* The S3 ping alone, with no upload: every 2 s while S3 answers, so an
 * outage shows within ~2 s; every second while it fails, so its return
 * shows within ~1 s; the error keeps its time and is marked cleared. */
static void
test_storage_follows_the_ping(void **state)
{
  Fixture *f = *state;
  start_processor(f, TRUE);
  ImsCheck storage = wait_storage(f, IMS_CHECK_OK, 1000);
  run_for(100);
  ims_check_clear(&storage);
  storage = wait_storage(f, IMS_CHECK_OK, 1000);
  assert_true(storage.checked_at > 0); /* pinged at start */
  assert_null(storage.last_error);
  ims_check_clear(&storage);

  g_atomic_int_set(&f->uploads.ping_down, TRUE);
  gint64 down_at = g_get_real_time();
  storage = wait_storage(f, IMS_CHECK_UNAVAILABLE, 3000);
  assert_int_equal(storage.state, IMS_CHECK_UNAVAILABLE);
  assert_true(g_get_real_time() - down_at < 3 * G_USEC_PER_SEC);
  assert_non_null(strstr(storage.last_error, "connection refused"));
  assert_true(storage.last_error_at >= down_at);
  assert_int_equal(storage.cleared_at, 0);
  ImsProcessorStatus status;
  ims_processor_get_status(f->processor, &status);
  assert_false(status.storage_ok);
  assert_true(status.last_error_at >= down_at);
  ims_processor_status_clear(&status);
  ims_check_clear(&storage);

  int pings = g_atomic_int_get(&f->uploads.pings);
  run_for(2200);
  assert_true(g_atomic_int_get(&f->uploads.pings) - pings >= 2); /* faster while failing */

  g_atomic_int_set(&f->uploads.ping_down, FALSE);
  gint64 up_at = g_get_real_time();
  storage = wait_storage(f, IMS_CHECK_OK, 2000);
  assert_int_equal(storage.state, IMS_CHECK_OK);
  assert_true(storage.since >= up_at);
  assert_true(storage.cleared_at >= up_at);
  assert_non_null(storage.last_error);
  ims_check_clear(&storage);
}

/* A take whose file is missing: failed at once with the reason, nothing
 * uploaded, one media.processing_failed (attempts 1); a completed take stays
 * completed. */
static void
test_missing_take_failed_at_once(void **state)
{
  Fixture *f = *state;
  g_autofree char *path = spool_path(f, "gone.mkv");

  process(f, TRUE, ims_fake_job("t1", path, "default"), "failed: the take file ");

  g_autofree char *finished = ims_fake_media_store_finished(&f->store, "t1");
  assert_true(g_str_has_suffix(finished, "gone.mkv is missing"));
  assert_int_equal(ims_fake_uploads_calls(&f->uploads), 0);
  assert_failed_event(f, "1", "0");
  assert_int_equal(ims_fake_store_count(&f->store.fake, "update_take"), 0);
}

/* A completed take no demuxer reads: renditions tried 3 times with the
 * backoff between, then failed with the renditions' reason; nothing stored. */
static void
test_undecodable_take_failed_after_attempts(void **state)
{
  Fixture *f = *state;
  g_autofree char *path = spool_path(f, "t1.mkv");
  assert_true(g_file_set_contents(path, "this is not a Matroska file\n", -1, NULL));

  process(f, TRUE, ims_fake_job("t1", path, "default"),
          "failed: renditions failed after 3 attempts: ");

  g_autofree char *finished = ims_fake_media_store_finished(&f->store, "t1");
  assert_true(g_str_has_suffix(finished, "(nothing in the take decodes)"));
  assert_int_equal(ims_fake_uploads_calls(&f->uploads), 0);
  assert_kinds(f, "t1", "");
  assert_failed_event(f, "3", "0");
  ImsProcessorStatus status;
  ims_processor_get_status(f->processor, &status);
  assert_non_null(status.last_error);
  assert_true(g_str_has_prefix(status.last_error, "take t1: renditions failed after 3 attempts"));
  ims_processor_status_clear(&status);
}

/* A take cut by a crash (interrupted, no duration or codecs in its row) with
 * nothing decodable: decoded first, failed at once, and its row becomes
 * failed. */
static void
test_interrupted_take_without_media_becomes_failed(void **state)
{
  Fixture *f = *state;
  g_autofree char *path = spool_path(f, "t1.mkv");
  assert_true(g_file_set_contents(path, "", 0, NULL));
  ImsProcessingJob *job = ims_fake_job("t1", path, "default");
  job->take->status = IMS_TAKE_INTERRUPTED;
  job->take->duration_ms = 0;
  g_clear_pointer(&job->take->video_codec, g_free);
  g_clear_pointer(&job->take->audio_codec, g_free);

  process(f, TRUE, job, "failed: ");

  assert_int_equal(ims_fake_store_count(&f->store.fake, "update_take t1 failed"), 1);
  assert_int_equal(ims_fake_uploads_calls(&f->uploads), 0);
  assert_failed_event(f, "1", "0");
}

/* Renditions that cannot be made of a take that decodes (its profile is
 * gone): 3 attempts, then failed with the reason, the original stored all
 * the same, and media.processing_failed says so. */
static void
test_failed_renditions_keep_the_original(void **state)
{
  Fixture *f = *state;
  g_autofree char *path = spool_take(f, "t1");

  process(f, TRUE, ims_fake_job("t1", path, "no-such-profile"),
          "failed: unknown profile 'no-such-profile'");

  assert_kinds(f, "t1", "original");
  assert_int_equal(ims_fake_media_store_count_events(&f->store, "media.uploaded"), 1);
  assert_failed_event(f, "3", "1");
}

/* A restart: the store lists what a previous run left (its original already
 * stored); a scan queues it, only what is missing is uploaded.  A take of
 * another spool is not listed, so not touched. */
static void
test_resumed_from_the_store_list(void **state)
{
  Fixture *f = *state;
  g_autofree char *path = spool_take(f, "t1");
  ims_fake_media_store_add_job(&f->store, ims_fake_job("t1", path, "default"));
  ims_fake_media_store_add_job(&f->store, ims_fake_job("t2", "/elsewhere/t2.mkv", "default"));
  ImsMediaFile *original = ims_media_file_new();
  original->id = g_strdup("t1");
  original->take_id = g_strdup("t1");
  original->session_id = g_strdup("s1");
  original->kind = g_strdup("original");
  original->key = g_strdup("pfx/i1/s1/q1/take-1-t1/original.mkv");
  g_ptr_array_add(f->store.media_files, original);

  start_processor(f, TRUE);
  ims_processor_scan(f->processor);
  assert_finished(f, "t1", "processed");

  assert_int_equal(ims_fake_store_count(&f->store.fake, "list_unprocessed_takes"), 1);
  assert_int_equal(ims_fake_uploads_calls(&f->uploads), 3);
  assert_int_equal(ims_fake_uploads_count(&f->uploads, "/original.mkv"), 0);
  assert_kinds(f, "t1", KINDS_OF_DEFAULT);
  assert_int_equal(ims_fake_media_store_count_events(&f->store, "media.uploaded"), 3);
  assert_int_equal(ims_fake_media_store_count_events(&f->store, "media.processed"), 1);
  g_autofree char *t2 = ims_fake_media_store_finished(&f->store, "t2");
  assert_null(t2);
}

/* What the database's list would leave out is left out of the direct way
 * too: a failed take, and one outside the spool.  (One worker, first come
 * first served: had they been queued, they would finish before t3.) */
static void
test_take_finished_ignores_what_is_not_processed(void **state)
{
  Fixture *f = *state;
  start_processor(f, TRUE);
  g_autofree char *failed_path = spool_take(f, "t1");
  g_autoptr(ImsProcessingJob) failed = ims_fake_job("t1", failed_path, "default");
  failed->take->status = IMS_TAKE_FAILED;
  g_autofree char *other_spool = g_build_filename(group.directory, "t2.mkv", NULL);
  g_autoptr(ImsProcessingJob) elsewhere = ims_fake_job("t2", other_spool, "default");
  g_autofree char *path = spool_take(f, "t3");
  g_autoptr(ImsProcessingJob) job = ims_fake_job("t3", path, "default");

  ims_processor_take_finished(f->processor, failed);
  ims_processor_take_finished(f->processor, elsewhere);
  ims_processor_take_finished(f->processor, job);
  assert_finished(f, "t3", "processed");

  g_autofree char *t1 = ims_fake_media_store_finished(&f->store, "t1");
  g_autofree char *t2 = ims_fake_media_store_finished(&f->store, "t2");
  assert_null(t1);
  assert_null(t2);
  assert_int_equal(ims_fake_uploads_calls(&f->uploads), 4);
  assert_true(g_file_test(failed_path, G_FILE_TEST_EXISTS));
}

/* Without S3 the renditions are made and stay in the spool; the take is
 * processed, with no object and no media.processed. */
static void
test_without_objects_renditions_stay(void **state)
{
  Fixture *f = *state;
  g_autofree char *path = spool_take(f, "t1");

  process(f, FALSE, ims_fake_job("t1", path, "default"), "processed");

  assert_kinds(f, "t1", "");
  assert_int_equal(ims_fake_media_store_count_events(&f->store, "media.processed"), 0);
  g_autofree char *mp4 = g_strdup_printf("%s.renditions/video.mp4", path);
  assert_true(g_file_test(path, G_FILE_TEST_IS_REGULAR));
  assert_true(g_file_test(mp4, G_FILE_TEST_IS_REGULAR));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_finished_take_processed_and_recorded, setup, teardown),
    cmocka_unit_test_setup_teardown(test_same_take_twice_processed_once, setup, teardown),
    cmocka_unit_test_setup_teardown(test_failed_upload_retried_with_backoff, setup, teardown),
    cmocka_unit_test_setup_teardown(test_missing_take_failed_at_once, setup, teardown),
    cmocka_unit_test_setup_teardown(test_storage_follows_the_ping, setup, teardown),
    cmocka_unit_test_setup_teardown(test_undecodable_take_failed_after_attempts, setup, teardown),
    cmocka_unit_test_setup_teardown(test_interrupted_take_without_media_becomes_failed, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_failed_renditions_keep_the_original, setup, teardown),
    cmocka_unit_test_setup_teardown(test_resumed_from_the_store_list, setup, teardown),
    cmocka_unit_test_setup_teardown(test_take_finished_ignores_what_is_not_processed, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_without_objects_renditions_stay, setup, teardown),
  };
  return cmocka_run_group_tests_name("processor", tests, group_setup, group_teardown);
}
