/* test-room-composite.c: server/processing/room-composite.c (a live room's uploads and composite
 * after End) on fakes at the store seam (the rooms and sessions tables below, on privacy-fakes.h's
 * ImsFakeStore: its log and its events) and the object store (processing-fakes.h's ImsFakeUploads),
 * through a real ImsDatabase thread and real composites (small Matroska files made at setup).
 *
 * The room: a candidate and an interviewer, two segments (the opening, then question 0, whose
 * candidate camera file is a take: the processor's), the interviewer's screen share in segment 1.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <gst/pbutils/pbutils.h>
#include <string.h>

#include "imsd-build.h"
#include "outbox.h"
#include "payloads.h"
#include "processing-fakes.h"
#include "profile.h"
#include "rendition-test.h"
#include "room-composite.h"
#include "room-store-fakes.h"
#include "spool-files.h"

#define ROOM "7e0c5a1b-2d3f-4a5b-9c6d-0e1f2a3b4c5d"
#define SESSION "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
#define CANDIDATE "c0c0c0c0-1111-4222-8333-444455556666"
#define INTERVIEWER "d0d0d0d0-1111-4222-8333-444455556666"
#define TAKE "e0e0e0e0-1111-4222-8333-444455556666"

/* ---- fixture ---- */

typedef struct {
  char *spool;
  char *files[5]; /* cand-0 (opening), cand-1 (the take), int-0, int-1, screen-1 */
} Media;

static Media media;

typedef struct {
  FakeRooms store;
  ImsFakeUploads uploads;
  ImsDatabase *database;
  ImsProfileSet *profiles;
  ImsRoomCompositor *compositor;
} Fixture;

static void
make_file(int index, const char *name, const char *video, const char *audio)
{
  g_free(media.files[index]);
  media.files[index] = g_build_filename(media.spool, name, NULL);
  g_autofree char *description = g_strdup_printf(
      "videotestsrc num-buffers=%d ! video/x-raw,width=160,height=90,framerate=30/1 ! %s ! queue ! "
      "matroskamux name=mux ! filesink location=%s %s",
      audio[0] ? 15 : 30, video, media.files[index], audio);
  rendition_test_run_launch(description);
}

#define OPUS                                                                                      \
  "audiotestsrc num-buffers=25 samplesperbuffer=960 ! audio/x-raw,rate=48000,channels=2 ! opusenc " \
  "! queue ! mux."

/* (Re)makes the room's files: a test's uploads delete those they stored. */
static void
make_media(void)
{
  const char *h264 = "x264enc speed-preset=ultrafast tune=zerolatency ! h264parse";
  make_file(0, "cand-0.mkv", h264, OPUS);
  make_file(1, "cand-1.mkv", h264, OPUS);
  make_file(2, "int-0.mkv", "vp8enc deadline=1", OPUS);
  make_file(3, "int-1.mkv", "vp8enc deadline=1", OPUS);
  make_file(4, "screen-1.mkv", "vp8enc deadline=1", "");
}

static ImsRoomRecording *
recording(const char *id, int segment, const char *participant, const char *stream, const char *path)
{
  ImsRoomRecording *recording = ims_room_recording_new();
  recording->id = g_strdup(id);
  recording->segment = segment;
  recording->participant_id = g_strdup(participant);
  recording->stream = g_strdup(stream);
  recording->path = g_strdup(path);
  recording->status = IMS_TAKE_COMPLETED;
  recording->duration_ms = 500;
  return recording;
}

/* The room (ended, composite pending) into the fake store. */
static void
add_room(Fixture *f, const char *id, ImsRoomState state, const char *composite_status)
{
  ImsRoomRecord *room = ims_room_record_new();
  room->id = g_strdup(id);
  room->session_id = g_strdup(SESSION);
  room->interview_id = g_strdup("iv-1");
  room->type = g_strdup("technical");
  room->state = state;
  g_free(room->composite_status);
  room->composite_status = g_strdup(composite_status);
  ImsRoomParticipant *candidate = ims_room_participant_new(), *interviewer = ims_room_participant_new();
  candidate->id = g_strdup(CANDIDATE);
  candidate->role = IMS_ROOM_ROLE_CANDIDATE;
  candidate->user_id = g_strdup("u-cand");
  interviewer->id = g_strdup(INTERVIEWER);
  interviewer->role = IMS_ROOM_ROLE_INTERVIEWER;
  interviewer->user_id = g_strdup("u-int");
  g_ptr_array_add(room->participants, interviewer); /* the candidate is found by role */
  g_ptr_array_add(room->participants, candidate);
  for (int s = 0; s < 2; s++) {
    ImsRoomSegment *segment = ims_room_segment_new();
    segment->index = s;
    segment->question_index = s - 1;
    segment->take_id = s == 1 ? g_strdup(TAKE) : NULL;
    segment->started_at = s * 500000;
    segment->ended_at = (s + 1) * 500000;
    g_ptr_array_add(room->segments, segment);
  }
  g_ptr_array_add(room->recordings, recording("r0", 0, CANDIDATE, "camera", media.files[0]));
  g_ptr_array_add(room->recordings, recording("r1", 1, CANDIDATE, "camera", media.files[1]));
  g_ptr_array_add(room->recordings, recording("r2", 0, INTERVIEWER, "camera", media.files[2]));
  g_ptr_array_add(room->recordings, recording("r3", 1, INTERVIEWER, "camera", media.files[3]));
  g_ptr_array_add(room->recordings, recording("r4", 1, INTERVIEWER, "screen", media.files[4]));
  g_mutex_lock(&f->store.fake.lock);
  g_hash_table_insert(f->store.rooms, g_strdup(id), room);
  g_mutex_unlock(&f->store.fake.lock);
}

static int
group_setup(void **state)
{
  gst_init(NULL, NULL);
  media.spool = g_dir_make_tmp("test-room-composite-XXXXXX", NULL);
  assert_non_null(media.spool);
  return 0;
}

static int
group_teardown(void **state)
{
  ims_spool_remove(media.spool);
  g_free(media.spool);
  for (int i = 0; i < 5; i++)
    g_free(media.files[i]);
  return 0;
}

static void
start_compositor(Fixture *f, gboolean with_objects)
{
  ImsRoomCompositorConfig config = { .database = f->database,
                                     .objects = with_objects ? &f->uploads.fake.base : NULL,
                                     .profiles = f->profiles,
                                     .spool_dir = media.spool,
                                     .canvas_height = 180 };
  f->compositor = ims_room_compositor_new(&config);
}

static int
setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  for (int i = 0; i < 5; i++)
    g_clear_pointer(&media.files[i], g_free);
  make_media();
  ims_fake_store_init(&f->store.fake);
  fake_rooms_install(&f->store);
  f->store.rooms = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) ims_room_record_free);
  f->store.failures = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  ims_fake_uploads_init(&f->uploads);
  f->database = ims_database_new(&f->store.fake.base, NULL);
  g_autoptr(GError) error = NULL;
  f->profiles = ims_profile_set_load_file(IMSD_SOURCE_DIR "/etc/profiles.ini", &error);
  assert_non_null(f->profiles);
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *f = *state;
  g_clear_pointer(&f->compositor, ims_room_compositor_free);
  assert_true(ims_database_flush(f->database, 10000));
  ims_database_free(f->database);
  g_hash_table_unref(f->store.rooms);
  g_hash_table_unref(f->store.failures);
  ims_fake_uploads_clear(&f->uploads);
  ims_fake_store_clear(&f->store.fake);
  ims_profile_set_free(f->profiles);
  g_free(f);
  return 0;
}

/* ---- helpers ---- */

static char *
room_field(Fixture *f, const char *id, gboolean key)
{
  g_mutex_lock(&f->store.fake.lock);
  const ImsRoomRecord *room = g_hash_table_lookup(f->store.rooms, id);
  char *value = g_strdup(key ? room->composite_key : room->composite_status);
  g_mutex_unlock(&f->store.fake.lock);
  return value;
}

/* Iterates the main context until the log has count lines starting with prefix (or 60 s pass). */
static void
wait_for(Fixture *f, const char *prefix, guint count)
{
  gint64 deadline = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;
  while (ims_fake_store_count(&f->store.fake, prefix) < count) {
    if (g_get_monotonic_time() > deadline) {
      g_autofree char *log = ims_fake_store_log(&f->store.fake);
      fail_msg("no %u x '%s' in %s", count, prefix, log);
    }
    if (!g_main_context_iteration(NULL, FALSE))
      g_usleep(2000);
  }
  assert_true(ims_database_flush(f->database, 10000)); /* and the compositor has the answer */
}

static guint
uploaded(Fixture *f, const char *key)
{
  g_mutex_lock(&f->uploads.fake.lock);
  guint count = 0;
  for (guint i = 0; i < f->uploads.keys->len; i++)
    count += g_str_equal(g_ptr_array_index(f->uploads.keys, i), key);
  g_mutex_unlock(&f->uploads.fake.lock);
  return count;
}

static void
expect_composite_event(Fixture *f, guint index)
{
  const char *const expected[][2] = {
    { "eventType", IMS_EVENT_MEDIA_UPLOADED },
    { "payload.userId", "u-cand" },
    { "payload.fileId", ROOM },
    { "payload.sessionId", SESSION },
    { "payload.kind", "composite" },
    { "payload.fileName", "composite.mp4" },
    { "payload.mimeType", "video/mp4" },
    { "payload.bucket", "fake" },
    { "payload.path", "rooms/" ROOM "/composite.mp4" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(expected); i++) {
    g_autofree char *value = ims_fake_event_field(&f->store.fake, index, expected[i][0]);
    if (g_strcmp0(value, expected[i][1]) != 0)
      fail_msg("%s is %s, not %s", expected[i][0], value ? value : "(none)", expected[i][1]);
  }
  g_autofree char *response = ims_fake_event_field(&f->store.fake, index, "payload.responseId");
  assert_null(response); /* null */
}

/* ---- tests ---- */

static void
test_success(void **state)
{
  Fixture *f = *state;
  add_room(f, ROOM, IMS_ROOM_ENDED, "pending");
  start_compositor(f, TRUE);
  ims_room_compositor_room_ended(f->compositor, ROOM);
  ims_room_compositor_room_ended(f->compositor, ROOM); /* handled once */
  wait_for(f, "set_composite ready", 1);

  /* every file but the candidate's take, then the composite */
  assert_int_equal(uploaded(f, "rooms/" ROOM "/0-" CANDIDATE "-camera.mkv"), 1);
  assert_int_equal(uploaded(f, "rooms/" ROOM "/1-" CANDIDATE "-camera.mkv"), 0);
  assert_int_equal(uploaded(f, "rooms/" ROOM "/0-" INTERVIEWER "-camera.mkv"), 1);
  assert_int_equal(uploaded(f, "rooms/" ROOM "/1-" INTERVIEWER "-camera.mkv"), 1);
  assert_int_equal(uploaded(f, "rooms/" ROOM "/1-" INTERVIEWER "-screen.mkv"), 1);
  assert_int_equal(uploaded(f, "rooms/" ROOM "/composite.mp4"), 1);
  assert_int_equal(ims_fake_uploads_calls(&f->uploads), 5);

  g_autofree char *log = ims_fake_store_log(&f->store.fake);
  const char *expected =
      "load_room " ROOM "|load_session " SESSION "|set_composite processing|"
      "update_recording rooms/" ROOM "/0-" CANDIDATE "-camera.mkv|"
      "update_recording rooms/" ROOM "/0-" INTERVIEWER "-camera.mkv|"
      "update_recording rooms/" ROOM "/1-" INTERVIEWER "-camera.mkv|"
      "update_recording rooms/" ROOM "/1-" INTERVIEWER "-screen.mkv|"
      "begin|set_composite ready|append_events 1|commit";
  assert_string_equal(log, expected);
  assert_int_equal(f->store.fake.events->len, 1);
  expect_composite_event(f, 0);

  g_autofree char *key = room_field(f, ROOM, TRUE);
  assert_string_equal(key, "rooms/" ROOM "/composite.mp4");
  g_mutex_lock(&f->store.fake.lock);
  const ImsRoomRecord *room = g_hash_table_lookup(f->store.rooms, ROOM);
  assert_true(room->composite_size > 0);
  assert_non_null(strstr(room->composite_chapters, "\"title\":\"Opening\""));
  assert_non_null(strstr(room->composite_chapters, "\"title\":\"Tell me about a bug\""));
  g_mutex_unlock(&f->store.fake.lock);

  /* what S3 holds left the spool; the take is the processor's to remove */
  assert_false(g_file_test(media.files[0], G_FILE_TEST_EXISTS));
  assert_false(g_file_test(media.files[4], G_FILE_TEST_EXISTS));
  assert_true(g_file_test(media.files[1], G_FILE_TEST_EXISTS));
  g_autofree char *made = g_build_filename(media.spool, "composite-" ROOM ".mp4", NULL);
  assert_false(g_file_test(made, G_FILE_TEST_EXISTS));
}

static void
test_s3_failure_then_retry(void **state)
{
  Fixture *f = *state;
  add_room(f, ROOM, IMS_ROOM_ENDED, "pending");
  start_compositor(f, TRUE);
  /* the first recording and then the composite's upload fail */
  g_mutex_lock(&f->uploads.fake.lock);
  f->uploads.fail_next = 1;
  g_mutex_unlock(&f->uploads.fake.lock);
  ims_room_compositor_room_ended(f->compositor, ROOM);
  wait_for(f, "set_composite pending", 1);
  assert_int_equal(f->store.fake.events->len, 0);
  g_autofree char *status = room_field(f, ROOM, FALSE);
  assert_string_equal(status, "pending"); /* not counted as a failure: listed again */
  assert_int_equal(ims_fake_store_count(&f->store.fake, "update_recording"), 0);

  /* the next scan: everything goes */
  ims_room_compositor_scan(f->compositor);
  wait_for(f, "set_composite ready", 1);
  assert_int_equal(uploaded(f, "rooms/" ROOM "/composite.mp4"), 1);
  assert_int_equal(ims_fake_store_count(&f->store.fake, "update_recording"), 4);
  assert_int_equal(f->store.fake.events->len, 1);
  expect_composite_event(f, 0);

  /* once ready, a scan and an End change nothing */
  ims_room_compositor_scan(f->compositor);
  ims_room_compositor_room_ended(f->compositor, ROOM);
  assert_true(ims_database_flush(f->database, 10000));
  assert_true(ims_database_flush(f->database, 10000));
  assert_int_equal(ims_fake_store_count(&f->store.fake, "set_composite"), 4);
  assert_int_equal(f->store.fake.events->len, 1);
}

/* put_file of the fake uploads, but the composite's fails while refuse_composite is above 0. */
static gboolean (*fake_put_file)(ImsObjectStore *, const char *, const char *, const char *, char **,
                                 GError **);
static gint refuse_composite;

static gboolean
put_file_refusing_composite(ImsObjectStore *store, const char *key, const char *path,
                            const char *content_type, char **checksum, GError **error)
{
  if (g_str_has_suffix(key, "/composite.mp4") && g_atomic_int_get(&refuse_composite) > 0) {
    g_atomic_int_add(&refuse_composite, -1);
    g_set_error(error, IMS_OBJECTS_ERROR, IMS_OBJECTS_ERROR_UNAVAILABLE, "%s: 503", key);
    return FALSE;
  }
  return fake_put_file(store, key, path, content_type, checksum, error);
}

static void
test_composite_upload_failure_keeps_composite(void **state)
{
  Fixture *f = *state;
  add_room(f, ROOM, IMS_ROOM_ENDED, "pending");
  fake_put_file = f->uploads.fake.base.put_file;
  f->uploads.fake.base.put_file = put_file_refusing_composite;
  g_atomic_int_set(&refuse_composite, 1);
  start_compositor(f, TRUE);
  ims_room_compositor_room_ended(f->compositor, ROOM);
  wait_for(f, "set_composite pending", 1);
  /* the recordings are stored and recorded; the composite stays in the spool for the retry */
  assert_int_equal(ims_fake_store_count(&f->store.fake, "update_recording"), 4);
  g_autofree char *made = g_build_filename(media.spool, "composite-" ROOM ".mp4", NULL);
  assert_true(g_file_test(made, G_FILE_TEST_EXISTS));

  /* without its files the composite could not be made again: the retry uploads the one made */
  for (int i = 0; i < 5; i++)
    g_unlink(media.files[i]);
  ims_room_compositor_scan(f->compositor);
  wait_for(f, "set_composite ready", 1);
  assert_int_equal(uploaded(f, "rooms/" ROOM "/composite.mp4"), 1);
  assert_int_equal(ims_fake_store_count(&f->store.fake, "update_recording"), 4);
  assert_int_equal(f->store.fake.events->len, 1);
  expect_composite_event(f, 0);
  assert_false(g_file_test(made, G_FILE_TEST_EXISTS));
}

/* put_file of the fake uploads, but the composite's upload first erases the room from the store (the
 * candidate's user.deleted while the worker composes). */
static Fixture *erasing_fixture;

static gboolean
put_file_erasing_room(ImsObjectStore *store, const char *key, const char *path,
                      const char *content_type, char **checksum, GError **error)
{
  if (g_str_has_suffix(key, "/composite.mp4")) {
    g_mutex_lock(&erasing_fixture->store.fake.lock);
    g_hash_table_remove(erasing_fixture->store.rooms, ROOM);
    g_mutex_unlock(&erasing_fixture->store.fake.lock);
  }
  return fake_put_file(store, key, path, content_type, checksum, error);
}

/* The room is erased while the compositor works on it: its write finds no room, so what it stored
 * leaves S3 and the spool, no event is written, and the room is forgotten (an End starts it again). */
static void
test_room_erased_while_working(void **state)
{
  Fixture *f = *state;
  add_room(f, ROOM, IMS_ROOM_ENDED, "pending");
  erasing_fixture = f;
  fake_put_file = f->uploads.fake.base.put_file;
  f->uploads.fake.base.put_file = put_file_erasing_room;
  start_compositor(f, TRUE);
  ims_room_compositor_room_ended(f->compositor, ROOM);
  wait_for(f, "set_composite ready", 1);
  assert_int_equal(ims_fake_uploads_calls(&f->uploads), 5);
  const char *keys[] = { "rooms/" ROOM "/0-" CANDIDATE "-camera.mkv",
                         "rooms/" ROOM "/0-" INTERVIEWER "-camera.mkv",
                         "rooms/" ROOM "/1-" INTERVIEWER "-camera.mkv",
                         "rooms/" ROOM "/1-" INTERVIEWER "-screen.mkv",
                         "rooms/" ROOM "/composite.mp4" };
  gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
  for (gsize i = 0; i < G_N_ELEMENTS(keys); i++)
    while (!ims_fake_objects_deleted(&f->uploads.fake, keys[i])) {
      if (g_get_monotonic_time() > deadline)
        fail_msg("%s was stored for an erased room and stays in S3", keys[i]);
      if (!g_main_context_iteration(NULL, FALSE))
        g_usleep(2000);
    }
  assert_int_equal(f->store.fake.events->len, 0);
  g_autofree char *made = g_build_filename(media.spool, "composite-" ROOM ".mp4", NULL);
  assert_false(g_file_test(made, G_FILE_TEST_EXISTS));
  for (int i = 0; i < 5; i++)
    if (i != 1) /* the take is the processor's */
      assert_false(g_file_test(media.files[i], G_FILE_TEST_EXISTS));

  /* forgotten once the deletes are answered: a later End of the same id is loaded again (and finds
   * nothing) */
  while (ims_fake_store_count(&f->store.fake, "load_room") < 2) {
    if (g_get_monotonic_time() > deadline)
      fail_msg("the erased room is still handled");
    ims_room_compositor_room_ended(f->compositor, ROOM);
    if (!g_main_context_iteration(NULL, FALSE))
      g_usleep(2000);
  }
  assert_true(ims_database_flush(f->database, 10000));
  assert_int_equal(ims_fake_store_count(&f->store.fake, "set_composite"), 2);
}

/* A new run's first scan: ROOM (the one room to make) is made, loaded once, announced. */
static void
scan_at_start(Fixture *f)
{
  start_compositor(f, TRUE);
  ims_room_compositor_scan(f->compositor);
  wait_for(f, "set_composite ready", 1);
  assert_int_equal(ims_fake_store_count(&f->store.fake, "load_room"), 1);
  expect_composite_event(f, 0);
}

static void
test_restart_scan(void **state)
{
  Fixture *f = *state;
  /* what a previous run left: one ended room to composite, one done, one still live */
  add_room(f, ROOM, IMS_ROOM_ENDED, "pending");
  add_room(f, "8e0c5a1b-2d3f-4a5b-9c6d-0e1f2a3b4c5d", IMS_ROOM_ENDED, "ready");
  add_room(f, "9e0c5a1b-2d3f-4a5b-9c6d-0e1f2a3b4c5d", IMS_ROOM_LIVE, "pending");
  scan_at_start(f);
  assert_int_equal(ims_fake_store_count(&f->store.fake, "set_composite"), 2);
}

/* A run that crashed mid-composite left the room processing: the next run's scan makes it. */
static void
test_restart_scan_left_processing(void **state)
{
  Fixture *f = *state;
  add_room(f, ROOM, IMS_ROOM_ENDED, "processing");
  scan_at_start(f);
}

/* A scan while this run makes the room's composite lists it (processing) and leaves it alone. */
static void
test_scan_while_processing(void **state)
{
  Fixture *f = *state;
  add_room(f, ROOM, IMS_ROOM_ENDED, "pending");
  start_compositor(f, TRUE);
  ims_room_compositor_room_ended(f->compositor, ROOM);
  wait_for(f, "set_composite processing", 1);
  ims_room_compositor_scan(f->compositor);
  wait_for(f, "list_rooms_to_composite", 1);
  wait_for(f, "set_composite ready", 1);
  g_autofree char *log = ims_fake_store_log(&f->store.fake);
  const char *listed = strstr(log, "list_rooms_to_composite");
  const char *ready = strstr(log, "set_composite ready");
  if (!listed || !ready || listed > ready)
    fail_msg("the scan did not run while the room was processing: %s", log);
  assert_int_equal(ims_fake_store_count(&f->store.fake, "load_room"), 1);
  assert_int_equal(ims_fake_store_count(&f->store.fake, "set_composite processing"), 1);
  assert_int_equal(uploaded(f, "rooms/" ROOM "/composite.mp4"), 1);
  assert_int_equal(f->store.fake.events->len, 1);
}

static void
test_failure_retried(void **state)
{
  Fixture *f = *state;
  add_room(f, ROOM, IMS_ROOM_ENDED, "pending");
  /* nothing in the room can be read: the composite fails, counted; the next scan tries again */
  for (int i = 0; i < 5; i++)
    assert_true(g_file_set_contents(media.files[i], "not Matroska", -1, NULL));
  start_compositor(f, FALSE);
  ims_room_compositor_room_ended(f->compositor, ROOM);
  wait_for(f, "set_composite failed", 1);
  ims_room_compositor_scan(f->compositor);
  wait_for(f, "set_composite failed", 2);
  assert_int_equal(ims_fake_store_count(&f->store.fake, "set_composite processing"), 2);
  assert_int_equal(f->store.fake.events->len, 0);
  g_mutex_lock(&f->store.fake.lock);
  assert_int_equal(GPOINTER_TO_INT(g_hash_table_lookup(f->store.failures, ROOM)), 2);
  g_mutex_unlock(&f->store.fake.lock);
}

static void
test_without_s3(void **state)
{
  Fixture *f = *state;
  add_room(f, ROOM, IMS_ROOM_ENDED, "pending");
  start_compositor(f, FALSE);
  ims_room_compositor_room_ended(f->compositor, ROOM);
  wait_for(f, "set_composite ready", 1);
  g_autofree char *key = room_field(f, ROOM, TRUE);
  assert_null(key);
  assert_int_equal(f->store.fake.events->len, 0);
  assert_int_equal(ims_fake_store_count(&f->store.fake, "update_recording"), 0);
  g_autofree char *made = g_build_filename(media.spool, "composite-" ROOM ".mp4", NULL);
  assert_true(g_file_test(made, G_FILE_TEST_EXISTS)); /* stays in the spool */
  assert_true(g_file_test(media.files[0], G_FILE_TEST_EXISTS));
  g_unlink(made);
}

/* The MP4's duration as GStreamer's discoverer reads it. */
static gint64
mp4_duration_ms(const char *path)
{
  g_autoptr(GstDiscoverer) discoverer = gst_discoverer_new(10 * GST_SECOND, NULL);
  g_autofree char *uri = gst_filename_to_uri(path, NULL);
  g_autoptr(GstDiscovererInfo) info = gst_discoverer_discover_uri(discoverer, uri, NULL);
  assert_non_null(info);
  return (gint64) (gst_discoverer_info_get_duration(info) / GST_MSECOND);
}

#define H264 "x264enc speed-preset=ultrafast tune=zerolatency ! h264parse"

/* An ended room whose segment 1 holds only the candidate's take, 1 s long (recorded as 0.5 s),
 * and a compositor that has kept that take (the processor removes it once S3 has it). */
static void
start_with_kept_take(Fixture *f)
{
  make_file(1, "cand-1.mkv", H264, "");
  add_room(f, ROOM, IMS_ROOM_ENDED, "pending");
  g_mutex_lock(&f->store.fake.lock);
  GPtrArray *recordings = ((ImsRoomRecord *) g_hash_table_lookup(f->store.rooms, ROOM))->recordings;
  g_ptr_array_set_size(recordings, 3); /* r0, r1 (the take), r2 */
  g_mutex_unlock(&f->store.fake.lock);
  start_compositor(f, FALSE);
  ims_room_compositor_keep_take(f->compositor, media.files[1]);
}

/* Ends the room and checks the composite holds the 0.5 s opening and the kept 1 s take. */
static void
assert_composite_of_kept_take(Fixture *f)
{
  ims_room_compositor_room_ended(f->compositor, ROOM);
  wait_for(f, "set_composite ready", 1);
  g_autofree char *made = g_build_filename(media.spool, "composite-" ROOM ".mp4", NULL);
  gint64 duration = mp4_duration_ms(made);
  if (duration < 1450 || duration > 1550)
    fail_msg("composite of %" G_GINT64_FORMAT " ms", duration);
  g_unlink(made);
}

static void
test_kept_take(void **state)
{
  Fixture *f = *state;
  start_with_kept_take(f);
  g_autofree char *kept = g_strconcat(media.files[1], ".composite", NULL);
  GStatBuf st;
  assert_int_equal(g_stat(kept, &st), 0);
  assert_int_equal(st.st_nlink, 2);
  ims_room_compositor_keep_take(f->compositor, media.files[1]); /* again: nothing changes */
  assert_int_equal(g_unlink(media.files[1]), 0);

  assert_composite_of_kept_take(f);
  assert_false(g_file_test(kept, G_FILE_TEST_EXISTS)); /* the composite is stored: the link goes */
}

/* The kept link is read even while the take's own name still exists: the processor may remove
 * that name between the plan and the pipeline opening it.  Here the name is given to another,
 * shorter file after keep_take: the composite must still hold the kept 1 s take. */
static void
test_kept_link_first(void **state)
{
  Fixture *f = *state;
  start_with_kept_take(f);
  assert_int_equal(g_unlink(media.files[1]), 0);
  make_file(1, "cand-1.mkv", H264, OPUS);
  assert_composite_of_kept_take(f);
}

/* set_composite, but "processing" waits (on the database thread) until the gate opens. */
static GMutex gate_lock;
static GCond gate_cond;
static gboolean gate_closed;

static gboolean
set_composite_gated(ImsStore *base, const char *room_id, const char *status, const char *key,
                    gint64 size, const char *chapters, GError **error)
{
  gboolean ok = fake_set_composite(base, room_id, status, key, size, chapters, error);
  g_mutex_lock(&gate_lock);
  while (gate_closed && g_str_equal(status, "processing"))
    g_cond_wait(&gate_cond, &gate_lock);
  g_mutex_unlock(&gate_lock);
  return ok;
}

static void
test_stopped_while_processing(void **state)
{
  Fixture *f = *state;
  add_room(f, ROOM, IMS_ROOM_ENDED, "pending");
  f->store.fake.base.rooms.set_composite = set_composite_gated;
  gate_closed = TRUE;
  start_compositor(f, TRUE);
  ims_room_compositor_room_ended(f->compositor, ROOM);
  gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
  while (ims_fake_store_count(&f->store.fake, "set_composite processing") == 0) {
    assert_true(g_get_monotonic_time() < deadline);
    if (!g_main_context_iteration(NULL, FALSE))
      g_usleep(2000);
  }
  /* imsd stops while "processing" is being written: its answer comes after the free */
  g_clear_pointer(&f->compositor, ims_room_compositor_free);
  g_mutex_lock(&gate_lock);
  gate_closed = FALSE;
  g_cond_broadcast(&gate_cond);
  g_mutex_unlock(&gate_lock);
  assert_true(ims_database_flush(f->database, 10000));
  g_autofree char *status = room_field(f, ROOM, FALSE);
  assert_string_equal(status, "pending"); /* listed again at the next start, not stuck */
  assert_int_equal(ims_fake_uploads_calls(&f->uploads), 0);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_success, setup, teardown),
    cmocka_unit_test_setup_teardown(test_s3_failure_then_retry, setup, teardown),
    cmocka_unit_test_setup_teardown(test_composite_upload_failure_keeps_composite, setup, teardown),
    cmocka_unit_test_setup_teardown(test_restart_scan, setup, teardown),
    cmocka_unit_test_setup_teardown(test_restart_scan_left_processing, setup, teardown),
    cmocka_unit_test_setup_teardown(test_scan_while_processing, setup, teardown),
    cmocka_unit_test_setup_teardown(test_failure_retried, setup, teardown),
    cmocka_unit_test_setup_teardown(test_without_s3, setup, teardown),
    cmocka_unit_test_setup_teardown(test_kept_take, setup, teardown),
    cmocka_unit_test_setup_teardown(test_kept_link_first, setup, teardown),
    cmocka_unit_test_setup_teardown(test_stopped_while_processing, setup, teardown),
    cmocka_unit_test_setup_teardown(test_room_erased_while_working, setup, teardown),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
