/* test-take-writer: unit tests for pipelines/ingest/take-writer.c.
 *
 * Real frames (x264enc / vp8enc / opusenc in the test) are written into a
 * take, which is read back with libavformat and decoded with libavcodec
 * (media-fixture.c) and with GStreamer (ims_take_inspect): frame counts,
 * first frame a keyframe, strictly increasing timestamps, the A/V start
 * offset and gaps as written, non-increasing timestamps refused; and a take
 * whose writer process is killed (SIGKILL) mid-way still decodes up to its
 * last flushed cluster. */
#define G_LOG_DOMAIN "imsd.test-take-writer"

#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <libavcodec/avcodec.h>

#include "media-fixture.h"
#include "take-inspect.h"
#include "take-writer.h"

#define H264_PIPELINE \
  "videotestsrc num-buffers=60 pattern=ball ! video/x-raw,width=320,height=240,framerate=30/1 " \
  "! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 bitrate=600 threads=1 " \
  "! video/x-h264,stream-format=byte-stream,alignment=au,profile=constrained-baseline ! appsink name=sink sync=false"
#define VP8_PIPELINE \
  "videotestsrc num-buffers=60 pattern=ball ! video/x-raw,width=320,height=240,framerate=30/1 " \
  "! vp8enc deadline=1 keyframe-max-dist=30 target-bitrate=600000 ! appsink name=sink sync=false"
#define OPUS_PIPELINE \
  "audiotestsrc num-buffers=100 samplesperbuffer=960 ! audio/x-raw,rate=48000,channels=2 " \
  "! opusenc frame-size=20 ! appsink name=sink sync=false"

#define MS G_GINT64_CONSTANT(1000000)
#define SESSION_BASE (5000 * MS) /* the take starts 5 s into the session */
#define VIDEO_START_MS 60        /* video's first frame 60 ms after audio's */
#define VIDEO_FRAMES 60
#define AUDIO_FRAMES 100

static GPtrArray *h264, *vp8, *opus; /* ImsTestBuffer */

typedef struct {
  char *dir;
  char *path;
} Fixture;

static int
setup_media(void **state)
{
  gst_init(NULL, NULL);
  h264 = ims_test_pull(H264_PIPELINE, "sink", FALSE);
  vp8 = ims_test_pull(VP8_PIPELINE, "sink", FALSE);
  opus = ims_test_pull(OPUS_PIPELINE, "sink", FALSE);
  if (h264->len != VIDEO_FRAMES || vp8->len != VIDEO_FRAMES || opus->len < AUDIO_FRAMES)
    return -1;
  return 0;
}

static int
teardown_media(void **state)
{
  g_ptr_array_unref(h264);
  g_ptr_array_unref(vp8);
  g_ptr_array_unref(opus);
  return 0;
}

static int
setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  f->dir = g_dir_make_tmp("test-take-writer-XXXXXX", NULL);
  f->path = g_build_filename(f->dir, "take.mkv", NULL);
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *f = *state;
  g_unlink(f->path);
  g_rmdir(f->dir);
  g_free(f->path);
  g_free(f->dir);
  g_free(f);
  return 0;
}

static gint64
video_ts(guint i)
{
  return SESSION_BASE + VIDEO_START_MS * MS + (gint64) i * G_GINT64_CONSTANT(1000000000) / 30;
}

static gint64
audio_ts(guint j)
{
  return SESSION_BASE + (gint64) j * 20 * MS;
}

/* Writes video frames [video_from, video_to) and audio frames [0, audio_to)
 * in timestamp order, video timestamps shifted by gap_ns from video frame
 * gap_at on (audio likewise at the same time).  Returns the number of writes
 * that failed. */
static guint
write_interleaved(ImsTakeWriter *w, GPtrArray *video, guint video_from, guint video_to,
                  guint audio_to, guint gap_at, gint64 gap_ns)
{
  guint i = video_from, j = 0, failed = 0;
  gint64 gap_start = gap_ns > 0 ? video_ts(gap_at) : G_MAXINT64;
  while (i < video_to || j < audio_to) {
    gint64 vt = i < video_to ? video_ts(i) : G_MAXINT64;
    gint64 at = j < audio_to ? audio_ts(j) : G_MAXINT64;
    gint64 vt_shifted = vt >= gap_start && vt != G_MAXINT64 ? vt + gap_ns : vt;
    gint64 at_shifted = at >= gap_start && at != G_MAXINT64 ? at + gap_ns : at;
    gboolean is_video = vt <= at;
    const ImsTestBuffer *b = g_ptr_array_index(is_video ? video : opus, is_video ? i : j);
    gsize size;
    const guint8 *data = g_bytes_get_data(b->data, &size);
    if (gap_ns > 0 &&
        ((is_video && i == gap_at) || (!is_video && at >= gap_start && at - 20 * MS < gap_start)))
      ims_take_writer_note_gap(w, is_video ? IMS_TRACK_VIDEO : IMS_TRACK_AUDIO, gap_ns);
    if (!ims_take_writer_write(w, is_video ? IMS_TRACK_VIDEO : IMS_TRACK_AUDIO, data, size,
                               is_video ? vt_shifted : at_shifted, b->keyframe, NULL))
      failed++;
    if (is_video)
      i++;
    else
      j++;
  }
  return failed;
}

static ImsTakeWriter *
open_take(const char *path, ImsMediaCodec video)
{
  ImsTakeWriterConfig config = { .video_codec = video, .audio_codec = IMS_MEDIA_CODEC_OPUS };
  g_autoptr(GError) error = NULL;
  ImsTakeWriter *w = ims_take_writer_open(path, &config, &error);
  assert_null(error);
  assert_non_null(w);
  return w;
}

static gint64
pts(const ImsTestTrack *t, guint i)
{
  return g_array_index(t->pts_ms, gint64, i);
}

static void
check_whole_take(const char *path, ImsMediaCodec codec, GPtrArray *video)
{
  g_autoptr(ImsTakeWriter) w = open_take(path, codec);
  assert_int_equal(write_interleaved(w, video, 0, VIDEO_FRAMES, AUDIO_FRAMES, 0, 0), 0);
  g_autoptr(GError) error = NULL;
  assert_true(ims_take_writer_close(w, &error));

  /* the writer's record */
  const ImsTakeCompleteness *c = ims_take_writer_get_completeness(w);
  assert_int_equal(c->tracks[IMS_TRACK_VIDEO].frames_written, VIDEO_FRAMES);
  assert_int_equal(c->tracks[IMS_TRACK_AUDIO].frames_written, AUDIO_FRAMES);
  gint64 start_ms, end_ms;
  assert_true(ims_take_completeness_av_offset(c, &start_ms, &end_ms));
  assert_int_equal(start_ms, -VIDEO_START_MS);
  assert_int_equal(end_ms,
                   (AUDIO_FRAMES - 1) * 20 - (VIDEO_START_MS + (VIDEO_FRAMES - 1) * 1000 / 30 + 1));

  /* read back */
  ImsTestProbe probe;
  assert_true(ims_test_probe(path, &probe));
  assert_false(probe.read_error);
  assert_true(probe.video.present);
  assert_int_equal(probe.video.codec_id,
                   codec == IMS_MEDIA_CODEC_H264 ? AV_CODEC_ID_H264 : AV_CODEC_ID_VP8);
  assert_int_equal(probe.video.width, 320);
  assert_int_equal(probe.video.height, 240);
  assert_int_equal(probe.video.packets, VIDEO_FRAMES);
  assert_int_equal(probe.video.decoded_frames, VIDEO_FRAMES);
  assert_int_equal(probe.video.decode_errors, 0);
  assert_true(probe.video.first_keyframe);
  assert_true(probe.video.strictly_increasing);
  assert_true(probe.audio.present);
  assert_int_equal(probe.audio.codec_id, AV_CODEC_ID_OPUS);
  assert_int_equal(probe.audio.packets, AUDIO_FRAMES);
  assert_int_equal(probe.audio.decoded_frames, AUDIO_FRAMES);
  assert_true(probe.audio.strictly_increasing);
  /* A/V start offset as written; every frame where its timestamp said, within a millisecond */
  assert_int_equal(pts(&probe.audio, 0), 0);
  assert_int_equal(pts(&probe.video, 0), VIDEO_START_MS);
  for (guint i = 0; i < VIDEO_FRAMES; i++)
    assert_true(llabs(pts(&probe.video, i) - (video_ts(i) - SESSION_BASE) / MS) <= 1);
  for (guint j = 0; j < AUDIO_FRAMES; j++)
    assert_int_equal(pts(&probe.audio, j), j * 20);
  /* the duration (trailer): the last video frame's time, within one frame */
  gint64 last_video_ms = VIDEO_START_MS + (VIDEO_FRAMES - 1) * 1000 / 30;
  assert_true(probe.duration_ms >= last_video_ms);
  assert_true(probe.duration_ms <= last_video_ms + 34);
  ims_test_probe_clear(&probe);

  /* and GStreamer (what renditions read) agrees */
  ImsTakeMedia media = { 0 };
  assert_true(ims_take_inspect(path, 20, &media, &error));
  assert_true(media.has_video);
  assert_true(media.has_audio);
  assert_true(media.first_video_keyframe);
  assert_int_equal(media.decoded_video_frames, VIDEO_FRAMES);
  assert_true(media.eos);
  assert_null(media.error);
  ims_take_media_clear(&media);
}

static void
test_h264_opus_take(void **state)
{
  check_whole_take(((Fixture *) *state)->path, IMS_MEDIA_CODEC_H264, h264);
}

static void
test_vp8_opus_take(void **state)
{
  check_whole_take(((Fixture *) *state)->path, IMS_MEDIA_CODEC_VP8, vp8);
}

/* A take that begins mid-GOP starts on the next keyframe; audio that came
 * before it is kept (the file starts with it). */
static void
test_starts_on_keyframe(void **state)
{
  Fixture *f = *state;
  g_autoptr(ImsTakeWriter) w = open_take(f->path, IMS_MEDIA_CODEC_H264);
  g_autoptr(GError) error = NULL;
  const ImsTestBuffer *delta = g_ptr_array_index(h264, 5);
  assert_false(delta->keyframe);
  assert_false(ims_take_writer_write(w, IMS_TRACK_VIDEO, g_bytes_get_data(delta->data, NULL),
                                     g_bytes_get_size(delta->data), video_ts(5), FALSE, &error));
  assert_true(
      g_error_matches(error, IMS_TAKE_WRITER_ERROR, IMS_TAKE_WRITER_ERROR_WAITING_FOR_KEYFRAME));
  /* frames 6..29 are deltas, 30 the next keyframe */
  assert_int_equal(write_interleaved(w, h264, 6, VIDEO_FRAMES, AUDIO_FRAMES, 0, 0), 24);
  assert_true(ims_take_writer_close(w, NULL));
  const ImsTakeCompleteness *c = ims_take_writer_get_completeness(w);
  assert_int_equal(c->tracks[IMS_TRACK_VIDEO].frames_before_keyframe, 25);
  assert_int_equal(c->tracks[IMS_TRACK_VIDEO].frames_written, 30);
  assert_int_equal(c->tracks[IMS_TRACK_AUDIO].frames_written, AUDIO_FRAMES);

  ImsTestProbe probe;
  assert_true(ims_test_probe(f->path, &probe));
  assert_int_equal(probe.video.packets, 30);
  assert_int_equal(probe.video.decoded_frames, 30);
  assert_true(probe.video.first_keyframe);
  assert_int_equal(probe.audio.packets, AUDIO_FRAMES);
  assert_int_equal(pts(&probe.audio, 0), 0);
  assert_true(llabs(pts(&probe.video, 0) - (video_ts(30) - SESSION_BASE) / MS) <= 1);
  ims_test_probe_clear(&probe);
}

/* Audio held for the first keyframe is bounded: the oldest goes first. */
static void
test_held_audio_is_bounded(void **state)
{
  Fixture *f = *state;
  g_autoptr(ImsTakeWriter) w = open_take(f->path, IMS_MEDIA_CODEC_H264);
  for (guint j = 0; j < AUDIO_FRAMES; j++) {
    const ImsTestBuffer *b = g_ptr_array_index(opus, j);
    assert_true(ims_take_writer_write(w, IMS_TRACK_AUDIO, g_bytes_get_data(b->data, NULL),
                                      g_bytes_get_size(b->data), audio_ts(j), TRUE, NULL));
  }
  const ImsTestBuffer *key = g_ptr_array_index(h264, 0);
  assert_true(ims_take_writer_write(w, IMS_TRACK_VIDEO, g_bytes_get_data(key->data, NULL),
                                    g_bytes_get_size(key->data), audio_ts(AUDIO_FRAMES), TRUE, NULL));
  assert_true(ims_take_writer_close(w, NULL));
  const ImsTakeCompleteness *c = ims_take_writer_get_completeness(w);
  assert_int_equal(c->tracks[IMS_TRACK_AUDIO].frames_written, IMS_TAKE_WRITER_MAX_PENDING_AUDIO);
  assert_int_equal(c->tracks[IMS_TRACK_AUDIO].frames_before_keyframe,
                   AUDIO_FRAMES - IMS_TAKE_WRITER_MAX_PENDING_AUDIO);
  ImsTestProbe probe;
  assert_true(ims_test_probe(f->path, &probe));
  assert_int_equal(probe.audio.packets, IMS_TAKE_WRITER_MAX_PENDING_AUDIO);
  assert_int_equal(probe.video.packets, 1);
  /* the file starts with the oldest audio kept */
  assert_int_equal(pts(&probe.audio, 0), 0);
  assert_int_equal(pts(&probe.video, 0), IMS_TAKE_WRITER_MAX_PENDING_AUDIO * 20);
  ims_test_probe_clear(&probe);
}

/* A timestamp that is not after the previous one of its track is refused
 * and counted; the file stays strictly increasing. */
static void
test_refuses_non_increasing(void **state)
{
  Fixture *f = *state;
  g_autoptr(ImsTakeWriter) w = open_take(f->path, IMS_MEDIA_CODEC_H264);
  assert_int_equal(write_interleaved(w, h264, 0, 10, 10, 0, 0), 0);
  const ImsTestBuffer *b = g_ptr_array_index(h264, 10);
  gsize size = g_bytes_get_size(b->data);
  const guint8 *data = g_bytes_get_data(b->data, NULL);
  gint64 cases[] = { video_ts(9), video_ts(8),
                     video_ts(9) + MS / 4 /* same millisecond in the file */ };
  for (gsize c = 0; c < G_N_ELEMENTS(cases); c++) {
    g_autoptr(GError) error = NULL;
    assert_false(ims_take_writer_write(w, IMS_TRACK_VIDEO, data, size, cases[c], FALSE, &error));
    assert_true(g_error_matches(error, IMS_TAKE_WRITER_ERROR, IMS_TAKE_WRITER_ERROR_NOT_INCREASING));
  }
  const ImsTestBuffer *a = g_ptr_array_index(opus, 10);
  g_autoptr(GError) audio_error = NULL;
  assert_false(ims_take_writer_write(w, IMS_TRACK_AUDIO, g_bytes_get_data(a->data, NULL),
                                     g_bytes_get_size(a->data), audio_ts(9), TRUE, &audio_error));
  assert_true(
      g_error_matches(audio_error, IMS_TAKE_WRITER_ERROR, IMS_TAKE_WRITER_ERROR_NOT_INCREASING));
  /* the take goes on */
  assert_true(ims_take_writer_write(w, IMS_TRACK_VIDEO, data, size, video_ts(10), FALSE, NULL));
  assert_true(ims_take_writer_close(w, NULL));
  const ImsTakeCompleteness *c = ims_take_writer_get_completeness(w);
  assert_int_equal(c->tracks[IMS_TRACK_VIDEO].frames_refused, 3);
  assert_int_equal(c->tracks[IMS_TRACK_AUDIO].frames_refused, 1);
  assert_int_equal(c->tracks[IMS_TRACK_VIDEO].frames_written, 11);

  ImsTestProbe probe;
  assert_true(ims_test_probe(f->path, &probe));
  assert_int_equal(probe.video.packets, 11);
  assert_true(probe.video.strictly_increasing);
  assert_true(probe.audio.strictly_increasing);
  assert_int_equal(probe.video.decode_errors, 0);
  ims_test_probe_clear(&probe);
}

/* A 500 ms stretch without frames stays 500 ms in the file. */
static void
test_gap_stays_a_gap(void **state)
{
  Fixture *f = *state;
  g_autoptr(ImsTakeWriter) w = open_take(f->path, IMS_MEDIA_CODEC_H264);
  assert_int_equal(write_interleaved(w, h264, 0, VIDEO_FRAMES, AUDIO_FRAMES, 30, 500 * MS), 0);
  assert_true(ims_take_writer_close(w, NULL));
  const ImsTakeCompleteness *c = ims_take_writer_get_completeness(w);
  assert_int_equal(c->tracks[IMS_TRACK_VIDEO].gaps, 1);
  assert_int_equal(c->tracks[IMS_TRACK_VIDEO].longest_gap_ms, 500);
  assert_int_equal(c->tracks[IMS_TRACK_AUDIO].gaps, 1);

  ImsTestProbe probe;
  assert_true(ims_test_probe(f->path, &probe));
  assert_int_equal(probe.video.packets, VIDEO_FRAMES);
  assert_int_equal(probe.audio.packets, AUDIO_FRAMES);
  gint64 jump = pts(&probe.video, 30) - pts(&probe.video, 29);
  assert_true(jump >= 533 && jump <= 534);
  for (guint j = 1; j < AUDIO_FRAMES; j++) {
    gint64 step = pts(&probe.audio, j) - pts(&probe.audio, j - 1);
    assert_true(step == 20 || step == 520);
  }
  gint64 last_video_ms = 500 + VIDEO_START_MS + (VIDEO_FRAMES - 1) * 1000 / 30;
  assert_true(probe.duration_ms >= last_video_ms && probe.duration_ms <= last_video_ms + 34);
  ims_test_probe_clear(&probe);
}

/* kill -9 of the writing process: the file decodes up to the last cluster
 * flushed (the one closed by the keyframe at frame 30), and is not whole. */
static void
test_survives_sigkill(void **state)
{
  Fixture *f = *state;
  int ready[2];
  assert_int_equal(pipe(ready), 0);
  pid_t child = fork();
  assert_true(child >= 0);
  if (child == 0) {
    close(ready[0]);
    ImsTakeWriterConfig config = { .video_codec = IMS_MEDIA_CODEC_H264,
                                   .audio_codec = IMS_MEDIA_CODEC_OPUS };
    ImsTakeWriter *w = ims_take_writer_open(f->path, &config, NULL);
    /* video 0..45 (a keyframe at 30), audio up to the same time */
    if (!w || write_interleaved(w, h264, 0, 46, 75, 0, 0) != 0)
      _exit(1);
    if (write(ready[1], "x", 1) != 1)
      _exit(1);
    for (;;)
      pause();
  }
  close(ready[1]);
  char byte;
  assert_int_equal(read(ready[0], &byte, 1), 1);
  close(ready[0]);
  assert_int_equal(kill(child, SIGKILL), 0);
  int status;
  assert_int_equal(waitpid(child, &status, 0), child);
  assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

  ImsTestProbe probe;
  assert_true(ims_test_probe(f->path, &probe));
  assert_true(probe.video.present);
  assert_true(probe.video.first_keyframe);
  assert_true(probe.video.strictly_increasing);
  assert_true(probe.video.packets >= 30);
  assert_true(probe.video.packets < 46);
  assert_int_equal(probe.video.decoded_frames, probe.video.packets);
  assert_int_equal(probe.video.decode_errors, 0);
  assert_true(probe.audio.packets >= 50); /* audio before the keyframe at 30 (1060 ms) */
  assert_true(probe.audio.strictly_increasing);
  guint packets = probe.video.packets;
  print_message(
      "killed after 46 video / 75 audio frames written: %u video / %u audio frames decode\n",
      packets, probe.audio.packets);
  ims_test_probe_clear(&probe);

  g_autoptr(GError) error = NULL;
  ImsTakeMedia media = { 0 };
  assert_true(ims_take_inspect(f->path, 20, &media, &error));
  assert_true(media.first_video_keyframe);
  assert_int_equal(media.decoded_video_frames, packets);
  ims_take_media_clear(&media);
}

/* A take with one track: audio only starts at its first frame, video only
 * at its first keyframe. */
static void
test_single_track_takes(void **state)
{
  Fixture *f = *state;
  ImsTakeWriterConfig audio_only = { .audio_codec = IMS_MEDIA_CODEC_OPUS, .audio_channels = 1 };
  g_autoptr(ImsTakeWriter) a = ims_take_writer_open(f->path, &audio_only, NULL);
  assert_non_null(a);
  for (guint j = 0; j < AUDIO_FRAMES; j++) {
    const ImsTestBuffer *b = g_ptr_array_index(opus, j);
    assert_true(ims_take_writer_write(a, IMS_TRACK_AUDIO, g_bytes_get_data(b->data, NULL),
                                      g_bytes_get_size(b->data), audio_ts(j), TRUE, NULL));
  }
  assert_true(ims_take_writer_close(a, NULL));
  ImsTestProbe probe;
  assert_true(ims_test_probe(f->path, &probe));
  assert_false(probe.video.present);
  assert_int_equal(probe.audio.packets, AUDIO_FRAMES);
  assert_int_equal(probe.audio.decoded_frames, AUDIO_FRAMES);
  assert_int_equal(pts(&probe.audio, 0), 0);
  assert_true(probe.duration_ms >= (AUDIO_FRAMES - 1) * 20 && probe.duration_ms <= AUDIO_FRAMES * 20);
  ims_test_probe_clear(&probe);
  gint64 start_ms, end_ms;
  assert_false(
      ims_take_completeness_av_offset(ims_take_writer_get_completeness(a), &start_ms, &end_ms));

  ImsTakeWriterConfig video_only = { .video_codec = IMS_MEDIA_CODEC_VP8 };
  g_autoptr(ImsTakeWriter) v = ims_take_writer_open(f->path, &video_only, NULL);
  assert_non_null(v);
  for (guint i = 1; i < VIDEO_FRAMES; i++) { /* from a delta frame: the keyframe at 30 starts it */
    const ImsTestBuffer *b = g_ptr_array_index(vp8, i);
    gboolean ok = ims_take_writer_write(v, IMS_TRACK_VIDEO, g_bytes_get_data(b->data, NULL),
                                        g_bytes_get_size(b->data), video_ts(i), b->keyframe, NULL);
    assert_int_equal(ok, i >= 30);
  }
  assert_true(ims_take_writer_close(v, NULL));
  assert_true(ims_test_probe(f->path, &probe));
  assert_false(probe.audio.present);
  assert_int_equal(probe.video.packets, 30);
  assert_true(probe.video.first_keyframe);
  assert_int_equal(pts(&probe.video, 0), 0);
  assert_int_equal(probe.video.decoded_frames, 30);
  ims_test_probe_clear(&probe);
}

static void
test_errors(void **state)
{
  Fixture *f = *state;
  g_autoptr(GError) error = NULL;
  ImsTakeWriterConfig none = { 0 };
  assert_null(ims_take_writer_open(f->path, &none, &error));
  assert_true(g_error_matches(error, IMS_TAKE_WRITER_ERROR, IMS_TAKE_WRITER_ERROR_CONFIG));
  g_clear_error(&error);
  ImsTakeWriterConfig swapped = { .video_codec = IMS_MEDIA_CODEC_OPUS,
                                  .audio_codec = IMS_MEDIA_CODEC_VP8 };
  assert_null(ims_take_writer_open(f->path, &swapped, &error));
  assert_true(g_error_matches(error, IMS_TAKE_WRITER_ERROR, IMS_TAKE_WRITER_ERROR_CONFIG));
  g_clear_error(&error);
  g_autofree char *missing = g_build_filename(f->dir, "no", "such", "take.mkv", NULL);
  ImsTakeWriterConfig video_only = { .video_codec = IMS_MEDIA_CODEC_H264 };
  assert_null(ims_take_writer_open(missing, &video_only, &error));
  assert_true(g_error_matches(error, IMS_TAKE_WRITER_ERROR, IMS_TAKE_WRITER_ERROR_FILE));
  g_clear_error(&error);

  g_autoptr(ImsTakeWriter) w = ims_take_writer_open(f->path, &video_only, &error);
  assert_non_null(w);
  const ImsTestBuffer *a = g_ptr_array_index(opus, 0);
  assert_false(ims_take_writer_write(w, IMS_TRACK_AUDIO, g_bytes_get_data(a->data, NULL),
                                     g_bytes_get_size(a->data), 0, TRUE, &error));
  assert_true(g_error_matches(error, IMS_TAKE_WRITER_ERROR, IMS_TAKE_WRITER_ERROR_NO_TRACK));
  g_clear_error(&error);
  /* an IDR slice without its SPS and PPS cannot start the file */
  static const guint8 idr_only[] = { 0, 0, 0, 1, 0x65, 0x88, 0x84, 0x00 };
  assert_false(ims_take_writer_write(w, IMS_TRACK_VIDEO, idr_only, sizeof idr_only, 0, TRUE, &error));
  assert_true(g_error_matches(error, IMS_TAKE_WRITER_ERROR, IMS_TAKE_WRITER_ERROR_BAD_FRAME));
  g_clear_error(&error);
  assert_false(ims_take_writer_write(w, IMS_TRACK_VIDEO, idr_only, 0, 0, TRUE, &error));
  assert_true(g_error_matches(error, IMS_TAKE_WRITER_ERROR, IMS_TAKE_WRITER_ERROR_BAD_FRAME));
  g_clear_error(&error);
  /* nothing written: close says so */
  assert_false(ims_take_writer_close(w, &error));
  assert_true(g_error_matches(error, IMS_TAKE_WRITER_ERROR, IMS_TAKE_WRITER_ERROR_MUXER));
  g_clear_error(&error);
  const ImsTestBuffer *key = g_ptr_array_index(h264, 0);
  assert_false(ims_take_writer_write(w, IMS_TRACK_VIDEO, g_bytes_get_data(key->data, NULL),
                                     g_bytes_get_size(key->data), 0, TRUE, &error));
  assert_true(g_error_matches(error, IMS_TAKE_WRITER_ERROR, IMS_TAKE_WRITER_ERROR_CLOSED));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_h264_opus_take, setup, teardown),
    cmocka_unit_test_setup_teardown(test_vp8_opus_take, setup, teardown),
    cmocka_unit_test_setup_teardown(test_starts_on_keyframe, setup, teardown),
    cmocka_unit_test_setup_teardown(test_held_audio_is_bounded, setup, teardown),
    cmocka_unit_test_setup_teardown(test_refuses_non_increasing, setup, teardown),
    cmocka_unit_test_setup_teardown(test_gap_stays_a_gap, setup, teardown),
    cmocka_unit_test_setup_teardown(test_survives_sigkill, setup, teardown),
    cmocka_unit_test_setup_teardown(test_single_track_takes, setup, teardown),
    cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
  };
  return cmocka_run_group_tests(tests, setup_media, teardown_media);
}
