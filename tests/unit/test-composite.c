/* test-composite.c: tests of pipelines/rendition/composite.c (a live room's composite MP4) with real
 * GStreamer.
 *
 * The group's setup makes the inputs once, into a private temporary directory, the way the receiver
 * writes them (Matroska, H.264 or VP8 + Opus, 1 s each, small): the candidate's segments are red (0)
 * and yellow (1) with a 440 Hz tone, the interviewer's blue (VP8) with 1000 Hz, a screen share green
 * (video only); plus a candidate file with no duration in its header (what a crash leaves) and a file
 * that is not Matroska.  Each test makes one composite (640x360) into its own directory, which
 * teardown removes, and reads it back independently of the code under test: qtdemux + avdec_h264 for
 * the colours of sampled pixels of every frame, avdec_aac for the tones (Goertzel power at each
 * person's frequency against one nobody sends), qtdemux's duration.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/pbutils/pbutils.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "composite.h"
#include "imsd-build.h"
#include "profile.h"
#include "rendition.h"
#include "rendition-test.h"
#include "spool-files.h"

#define WIDTH 640
#define HEIGHT 360
#define FRAME_MS 34 /* one frame at 30 fps, rounded up */
#define CANDIDATE_HZ 440.0
#define INTERVIEWER_HZ 1000.0
#define NOBODY_HZ 700.0

typedef struct {
  char *directory;
  char *candidate[2], *interviewer[2], *screen, *no_duration, *garbage;
  ImsProfileSet *profiles;
} Inputs;

static Inputs inputs;

typedef struct {
  char *out_dir;
  char *output;
} Fixture;

/* ---- making the inputs ---------------------------------------------------------------------------- */

/* One second of a solid colour (ARGB) through encoder, with a tone of hz unless it is 0; muxer_options
 * are matroskamux's. */
static char *
make_input(const char *name, guint32 argb, int width, int height, const char *encoder, double hz,
           const char *muxer_options)
{
  char *path = g_build_filename(inputs.directory, name, NULL);
  g_autofree char *audio = hz > 0 ? g_strdup_printf(
                                        "audiotestsrc freq=%.0f volume=0.5 num-buffers=50 "
                                        "samplesperbuffer=960 ! audio/x-raw,rate=48000,channels=2 ! "
                                        "opusenc ! queue ! mux.",
                                        hz)
                                  : g_strdup("");
  g_autofree char *description = g_strdup_printf(
      "videotestsrc pattern=solid-color foreground-color=0x%08x num-buffers=30 ! "
      "video/x-raw,width=%d,height=%d,framerate=30/1 ! %s ! queue ! matroskamux name=mux %s ! "
      "filesink location=%s %s",
      argb, width, height, encoder, muxer_options, path, audio);
  rendition_test_run_launch(description);
  return path;
}

#define H264 "x264enc tune=zerolatency speed-preset=ultrafast ! h264parse"
#define VP8 "vp8enc deadline=1"
#define RED 0xffff0000
#define YELLOW 0xffffff00
#define BLUE 0xff0000ff
#define GREEN 0xff00ff00

static int
group_setup(void **state)
{
  gst_init(NULL, NULL);
  inputs.directory = g_dir_make_tmp("test-composite-XXXXXX", NULL);
  assert_non_null(inputs.directory);
  inputs.candidate[0] = make_input("cand-0.mkv", RED, 320, 180, H264, CANDIDATE_HZ, "");
  inputs.candidate[1] = make_input("cand-1.mkv", YELLOW, 320, 180, H264, CANDIDATE_HZ, "");
  inputs.interviewer[0] = make_input("int-0.mkv", BLUE, 320, 240, VP8, INTERVIEWER_HZ, "");
  inputs.interviewer[1] = make_input("int-1.mkv", BLUE, 320, 240, VP8, INTERVIEWER_HZ, "");
  inputs.screen = make_input("screen-1.mkv", GREEN, 480, 270, VP8, 0, "");
  /* streamable: no duration and no cues, as a file the receiver never closed */
  inputs.no_duration = make_input("cand-cut.mkv", RED, 320, 180, H264, CANDIDATE_HZ,
                                  "streamable=true");
  inputs.garbage = g_build_filename(inputs.directory, "garbage.mkv", NULL);
  assert_true(g_file_set_contents(inputs.garbage, "not a Matroska file", -1, NULL));
  g_autoptr(GError) error = NULL;
  inputs.profiles = ims_profile_set_load_file(IMSD_SOURCE_DIR "/etc/profiles.ini", &error);
  assert_non_null(inputs.profiles);
  return 0;
}

static int
group_teardown(void **state)
{
  ims_spool_remove(inputs.directory);
  for (int i = 0; i < 2; i++) {
    g_free(inputs.candidate[i]);
    g_free(inputs.interviewer[i]);
  }
  g_free(inputs.screen);
  g_free(inputs.no_duration);
  g_free(inputs.garbage);
  g_free(inputs.directory);
  ims_profile_set_free(inputs.profiles);
  return 0;
}

static int
setup(void **state)
{
  Fixture *fixture = g_new0(Fixture, 1);
  fixture->out_dir = g_dir_make_tmp("test-composite-out-XXXXXX", NULL);
  fixture->output = g_build_filename(fixture->out_dir, "composite.mp4", NULL);
  *state = fixture;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *fixture = *state;
  ims_spool_remove(fixture->out_dir);
  g_free(fixture->out_dir);
  g_free(fixture->output);
  g_free(fixture);
  return 0;
}

/* ---- reading the composite back ------------------------------------------------------------------- */

/* The points sampled in every decoded frame. */
typedef enum { LEFT, RIGHT, SCREEN, COLUMN_TOP, COLUMN_BOTTOM, N_POINTS } Point;
static const int point_xy[N_POINTS][2] = {
  { WIDTH / 4, HEIGHT / 2 },      { 3 * WIDTH / 4, HEIGHT / 2 }, { 3 * WIDTH / 8, HEIGHT / 2 },
  { 7 * WIDTH / 8, HEIGHT / 4 }, { 7 * WIDTH / 8, 3 * HEIGHT / 4 },
};

typedef enum { BLACK, IS_RED, IS_YELLOW, IS_BLUE, IS_GREEN, OTHER } Colour;
static const char *const colour_names[] = { "black", "red", "yellow", "blue", "green", "other" };

static Colour
classify(const guint8 *rgb)
{
  gboolean r = rgb[0] > 150, g = rgb[1] > 150, b = rgb[2] > 150;
  gboolean r0 = rgb[0] < 60, g0 = rgb[1] < 60, b0 = rgb[2] < 60;
  if (r0 && g0 && b0)
    return BLACK;
  if (r && g0 && b0)
    return IS_RED;
  if (r && g && b0)
    return IS_YELLOW;
  if (b && r0 && g0)
    return IS_BLUE;
  if (g && r0 && b0)
    return IS_GREEN;
  return OTHER;
}

typedef struct {
  GArray *frame_ms;  /* gint64: each decoded frame's pts */
  GArray *colours;   /* Colour[N_POINTS] per frame */
  GArray *samples;   /* gint16, mono 48 kHz, from the first decoded sample */
  gint64 duration_ms; /* qtdemux's */
} Decoded;

static void
decoded_clear(Decoded *decoded)
{
  g_array_unref(decoded->frame_ms);
  g_array_unref(decoded->colours);
  g_array_unref(decoded->samples);
}

static void
pull_all(GstElement *pipeline, GstAppSink *video, GstAppSink *audio, Decoded *decoded)
{
  for (gboolean video_done = FALSE, audio_done = FALSE; !video_done || !audio_done;) {
    if (!video_done) {
      g_autoptr(GstSample) sample = gst_app_sink_try_pull_sample(video, 10 * GST_MSECOND);
      video_done = sample == NULL && gst_app_sink_is_eos(video);
      if (sample) {
        GstBuffer *buffer = gst_sample_get_buffer(sample);
        GstMapInfo map;
        assert_true(gst_buffer_map(buffer, &map, GST_MAP_READ));
        /* where the frame plays: qtdemux's segment maps the video edit list (the B-frame delay) */
        gint64 ms = (gint64) (gst_segment_to_running_time(gst_sample_get_segment(sample),
                                                          GST_FORMAT_TIME, GST_BUFFER_PTS(buffer)) /
                              GST_MSECOND);
        g_array_append_val(decoded->frame_ms, ms);
        for (int p = 0; p < N_POINTS; p++) {
          Colour colour = classify(map.data + (point_xy[p][1] * WIDTH + point_xy[p][0]) * 3);
          g_array_append_val(decoded->colours, colour);
        }
        gst_buffer_unmap(buffer, &map);
      }
    }
    if (!audio_done) {
      g_autoptr(GstSample) sample = gst_app_sink_try_pull_sample(audio, 10 * GST_MSECOND);
      audio_done = sample == NULL && gst_app_sink_is_eos(audio);
      if (sample) {
        GstBuffer *buffer = gst_sample_get_buffer(sample);
        GstMapInfo map;
        assert_true(gst_buffer_map(buffer, &map, GST_MAP_READ));
        g_array_append_vals(decoded->samples, map.data, map.size / 2);
        gst_buffer_unmap(buffer, &map);
      }
    }
    g_autoptr(GstBus) bus = gst_element_get_bus(pipeline);
    g_autoptr(GstMessage) error = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
    if (error)
      fail_msg("decoding the composite failed");
  }
}

/* Decodes the whole MP4 (it must have H.264 WIDTHxHEIGHT video and AAC audio). */
static void
decode(const char *path, Decoded *decoded)
{
  decoded->frame_ms = g_array_new(FALSE, FALSE, sizeof(gint64));
  decoded->colours = g_array_new(FALSE, FALSE, sizeof(Colour));
  decoded->samples = g_array_new(FALSE, FALSE, sizeof(gint16));
  g_autofree char *description = g_strdup_printf(
      "filesrc location=%s ! qtdemux name=demux "
      "demux.video_0 ! queue ! h264parse ! avdec_h264 ! videoconvert ! "
      "video/x-raw,format=RGB,width=%d,height=%d ! appsink name=video sync=false "
      "demux.audio_0 ! queue ! avdec_aac ! audioconvert ! audioresample ! "
      "audio/x-raw,format=S16LE,rate=48000,channels=1 ! appsink name=audio sync=false",
      path, WIDTH, HEIGHT);
  g_autoptr(GError) error = NULL;
  g_autoptr(GstElement) pipeline = gst_parse_launch(description, &error);
  assert_non_null(pipeline);
  g_autoptr(GstElement) video = gst_bin_get_by_name(GST_BIN(pipeline), "video");
  g_autoptr(GstElement) audio = gst_bin_get_by_name(GST_BIN(pipeline), "audio");
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  pull_all(pipeline, GST_APP_SINK(video), GST_APP_SINK(audio), decoded);
  gint64 duration = -1;
  assert_true(gst_element_query_duration(pipeline, GST_FORMAT_TIME, &duration));
  decoded->duration_ms = duration / GST_MSECOND;
  gst_element_set_state(pipeline, GST_STATE_NULL);
  assert_true(decoded->frame_ms->len > 0);
}

/* The colour at point in the frame nearest at_ms. */
static Colour
colour_at(const Decoded *decoded, gint64 at_ms, Point point)
{
  guint best = 0;
  for (guint i = 0; i < decoded->frame_ms->len; i++)
    if (llabs(g_array_index(decoded->frame_ms, gint64, i) - at_ms) <
        llabs(g_array_index(decoded->frame_ms, gint64, best) - at_ms))
      best = i;
  return g_array_index(decoded->colours, Colour, best * N_POINTS + point);
}

static void
expect_colour(const Decoded *decoded, gint64 at_ms, Point point, Colour expected)
{
  Colour colour = colour_at(decoded, at_ms, point);
  if (colour != expected)
    fail_msg("at %" G_GINT64_FORMAT " ms, point %d: %s, expected %s", at_ms, point,
             colour_names[colour], colour_names[expected]);
}

/* Goertzel: the power of hz in the decoded audio from from_ms to to_ms, per sample squared. */
static double
tone_power(const Decoded *decoded, gint64 from_ms, gint64 to_ms, double hz)
{
  guint from = (guint) (from_ms * 48), to = MIN((guint) (to_ms * 48), decoded->samples->len);
  assert_true(to > from + 4800);
  double coefficient = 2.0 * cos(2.0 * G_PI * hz / 48000.0), s1 = 0, s2 = 0;
  for (guint i = from; i < to; i++) {
    double s0 = g_array_index(decoded->samples, gint16, i) / 32768.0 + coefficient * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  double n = to - from;
  return (s1 * s1 + s2 * s2 - coefficient * s1 * s2) / (n * n);
}

/* Whether each person's tone is heard from from_ms to to_ms: present means at least 100 times the
 * power of a frequency nobody sends. */
static void
expect_tones(const Decoded *decoded, gint64 from_ms, gint64 to_ms, gboolean candidate,
             gboolean interviewer)
{
  double floor = MAX(tone_power(decoded, from_ms, to_ms, NOBODY_HZ), 1e-9);
  double c = tone_power(decoded, from_ms, to_ms, CANDIDATE_HZ);
  double i = tone_power(decoded, from_ms, to_ms, INTERVIEWER_HZ);
  if ((c > 100 * floor) != candidate || (i > 100 * floor) != interviewer)
    fail_msg("%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT " ms: candidate %g, interviewer %g, floor %g",
             from_ms, to_ms, c, i, floor);
}

/* The chapters' start seconds, checked against their titles. */
static void
expect_chapters(const char *chapters, guint count, const char *const *titles, const double *starts)
{
  g_autoptr(JsonParser) parser = json_parser_new();
  assert_true(json_parser_load_from_data(parser, chapters, -1, NULL));
  JsonArray *array = json_node_get_array(json_parser_get_root(parser));
  assert_int_equal(json_array_get_length(array), count);
  for (guint i = 0; i < count; i++) {
    JsonObject *chapter = json_array_get_object_element(array, i);
    assert_string_equal(json_object_get_string_member(chapter, "title"), titles[i]);
    double start = json_object_get_double_member(chapter, "startSeconds");
    if (fabs(start - starts[i]) > FRAME_MS / 1000.0)
      fail_msg("chapter %u starts at %.3f s, expected %.3f", i, start, starts[i]);
  }
}

static const ImsProfile *
profile(void)
{
  const ImsProfile *profile = ims_profile_set_lookup(inputs.profiles, "default");
  assert_non_null(profile);
  return profile;
}

static ImsComposite *
make_or_fail(const ImsCompositeInput *input, const char *output)
{
  g_autoptr(GError) error = NULL;
  ImsComposite *composite = ims_composite_make(profile(), input, output, &error);
  if (composite == NULL)
    fail_msg("composite: %s", error->message);
  assert_string_equal(composite->path, output);
  GStatBuf st;
  assert_int_equal(g_stat(output, &st), 0);
  assert_int_equal(st.st_size, composite->size_bytes);
  assert_int_equal(composite->width, WIDTH);
  assert_int_equal(composite->height, HEIGHT);
  return composite;
}

static void
expect_duration(const ImsComposite *composite, const Decoded *decoded, gint64 expected_ms)
{
  gint64 frames_ms = g_array_index(decoded->frame_ms, gint64, decoded->frame_ms->len - 1) + 33;
  if (llabs(composite->duration_ms - expected_ms) > FRAME_MS ||
      llabs(decoded->duration_ms - expected_ms) > FRAME_MS || llabs(frames_ms - expected_ms) > FRAME_MS)
    fail_msg("duration %" G_GINT64_FORMAT " ms (qtdemux %" G_GINT64_FORMAT
             ", frames end at %" G_GINT64_FORMAT "), expected %" G_GINT64_FORMAT,
             composite->duration_ms, decoded->duration_ms, frames_ms, expected_ms);
}

/* ---- tests ---------------------------------------------------------------------------------------- */

static void
test_layout(void **state)
{
  ImsCompositeTile tiles[4];
  ims_composite_layout(1280, 720, 2, FALSE, tiles);
  assert_int_equal(tiles[0].x, 0);
  assert_int_equal(tiles[0].width, 640);
  assert_int_equal(tiles[0].height, 720);
  assert_int_equal(tiles[1].x, 640);
  assert_int_equal(tiles[1].width, 640);

  ims_composite_layout(1280, 720, 3, FALSE, tiles); /* two interviewers share the right half */
  assert_int_equal(tiles[1].y, 0);
  assert_int_equal(tiles[1].height, 360);
  assert_int_equal(tiles[2].x, 640);
  assert_int_equal(tiles[2].y, 360);

  ims_composite_layout(1280, 720, 2, TRUE, tiles); /* the screen large, the people a column */
  assert_int_equal(tiles[2].x, 0);
  assert_int_equal(tiles[2].width, 960);
  assert_int_equal(tiles[2].height, 720);
  assert_int_equal(tiles[0].x, 960);
  assert_int_equal(tiles[0].y, 0);
  assert_int_equal(tiles[0].width, 320);
  assert_int_equal(tiles[1].y, 360);

  ims_composite_layout(854, 480, 1, FALSE, tiles); /* the candidate alone fills the canvas */
  assert_int_equal(tiles[0].width, 854);
  assert_int_equal(tiles[0].height, 480);
}

static void
test_chapters_json(void **state)
{
  const ImsCompositeSegment segments[] = { { .title = "Opening" }, { .title = "Tell me \"why\"" } };
  const gint64 durations[] = { 1234567890, 1 };
  g_autofree char *text = ims_composite_chapters_json(segments, 2, durations);
  assert_string_equal(text, "[{\"title\":\"Opening\",\"startSeconds\":0.0},"
                            "{\"title\":\"Tell me \\\"why\\\"\",\"startSeconds\":1.234}]");
}

static void
test_side_by_side(void **state)
{
  Fixture *fixture = *state;
  const char *cameras[2][2] = { { inputs.candidate[0], inputs.candidate[1] },
                                { inputs.interviewer[0], inputs.interviewer[1] } };
  ImsCompositePerson people[] = { { "candidate", cameras[0] }, { "interviewer", cameras[1] } };
  ImsCompositeSegment segments[] = { { .title = "Opening", .duration_ms = 5000 },
                                     { .title = "Question 1", .duration_ms = 5000 } };
  ImsCompositeInput input = { segments, 2, people, 2, HEIGHT };
  g_autoptr(ImsComposite) composite = make_or_fail(&input, fixture->output);
  assert_int_equal(composite->skipped_files, 0);

  Decoded decoded;
  decode(fixture->output, &decoded);
  expect_duration(composite, &decoded, 2000); /* the files' durations, not the recorded 5 s */
  expect_colour(&decoded, 500, LEFT, IS_RED);
  expect_colour(&decoded, 500, RIGHT, IS_BLUE);
  expect_colour(&decoded, 1500, LEFT, IS_YELLOW);
  expect_colour(&decoded, 1500, RIGHT, IS_BLUE);
  expect_tones(&decoded, 200, 900, TRUE, TRUE);
  expect_tones(&decoded, 1200, 1900, TRUE, TRUE);
  const char *titles[] = { "Opening", "Question 1" };
  expect_chapters(composite->chapters, 2, titles, (const double[]) { 0, 1.0 });
  decoded_clear(&decoded);
}

static void
test_missing_file_keeps_sync(void **state)
{
  Fixture *fixture = *state;
  /* the interviewer has nothing for the opening */
  const char *cameras[2][3] = { { inputs.candidate[0], inputs.candidate[1], inputs.candidate[0] },
                                { NULL, inputs.interviewer[1], inputs.interviewer[0] } };
  ImsCompositePerson people[] = { { "candidate", cameras[0] }, { "interviewer", cameras[1] } };
  ImsCompositeSegment segments[] = { { .title = "Opening" }, { .title = "Q1" }, { .title = "Q2" } };
  ImsCompositeInput input = { segments, 3, people, 2, HEIGHT };
  g_autoptr(ImsComposite) composite = make_or_fail(&input, fixture->output);

  Decoded decoded;
  decode(fixture->output, &decoded);
  expect_duration(composite, &decoded, 3000);
  expect_colour(&decoded, 500, LEFT, IS_RED);
  expect_colour(&decoded, 500, RIGHT, BLACK);
  expect_tones(&decoded, 200, 900, TRUE, FALSE);
  /* the interviewer's first file starts with the candidate's second, not at 0 */
  expect_colour(&decoded, 1100, LEFT, IS_YELLOW);
  expect_colour(&decoded, 1100, RIGHT, IS_BLUE);
  expect_tones(&decoded, 1200, 1900, TRUE, TRUE);
  expect_colour(&decoded, 2500, LEFT, IS_RED);
  expect_colour(&decoded, 2500, RIGHT, IS_BLUE);
  const char *titles[] = { "Opening", "Q1", "Q2" };
  expect_chapters(composite->chapters, 3, titles, (const double[]) { 0, 1.0, 2.0 });
  decoded_clear(&decoded);
}

static void
test_screen_share(void **state)
{
  Fixture *fixture = *state;
  const char *cameras[2][2] = { { inputs.candidate[0], inputs.candidate[1] },
                                { inputs.interviewer[0], inputs.interviewer[1] } };
  const char *screens[] = { inputs.screen, NULL };
  ImsCompositePerson people[] = { { "candidate", cameras[0] }, { "interviewer", cameras[1] } };
  ImsCompositeSegment segments[] = { { .title = "Opening" }, { .title = "Code", .screens = screens } };
  ImsCompositeInput input = { segments, 2, people, 2, HEIGHT };
  g_autoptr(ImsComposite) composite = make_or_fail(&input, fixture->output);

  Decoded decoded;
  decode(fixture->output, &decoded);
  expect_duration(composite, &decoded, 2000);
  expect_colour(&decoded, 500, LEFT, IS_RED); /* side by side before the share */
  expect_colour(&decoded, 500, RIGHT, IS_BLUE);
  expect_colour(&decoded, 1500, SCREEN, IS_GREEN);
  expect_colour(&decoded, 1500, COLUMN_TOP, IS_YELLOW);
  expect_colour(&decoded, 1500, COLUMN_BOTTOM, IS_BLUE);
  expect_tones(&decoded, 1200, 1900, TRUE, TRUE);
  decoded_clear(&decoded);
}

static void
test_segment_without_files(void **state)
{
  Fixture *fixture = *state;
  const char *cameras[2][3] = { { inputs.candidate[0], NULL, inputs.candidate[1] },
                                { inputs.interviewer[0], NULL, inputs.interviewer[1] } };
  ImsCompositePerson people[] = { { "candidate", cameras[0] }, { "interviewer", cameras[1] } };
  ImsCompositeSegment segments[] = { { .title = "Opening" },
                                     { .title = "Lost", .duration_ms = 500 },
                                     { .title = "Q2" } };
  ImsCompositeInput input = { segments, 3, people, 2, HEIGHT };
  g_autoptr(ImsComposite) composite = make_or_fail(&input, fixture->output);

  Decoded decoded;
  decode(fixture->output, &decoded);
  expect_duration(composite, &decoded, 2500); /* the recorded 500 ms of black between */
  expect_colour(&decoded, 1250, LEFT, BLACK);
  expect_colour(&decoded, 1250, RIGHT, BLACK);
  expect_tones(&decoded, 1550, 2450, TRUE, TRUE);
  expect_colour(&decoded, 2000, LEFT, IS_YELLOW);
  const char *titles[] = { "Opening", "Lost", "Q2" };
  expect_chapters(composite->chapters, 3, titles, (const double[]) { 0, 1.0, 1.5 });
  decoded_clear(&decoded);
}

static void
test_unreadable_and_cut_files(void **state)
{
  Fixture *fixture = *state;
  /* the candidate's opening has no duration in its header; the interviewer's is not Matroska */
  const char *cameras[2][2] = { { inputs.no_duration, inputs.candidate[1] },
                                { inputs.garbage, inputs.interviewer[1] } };
  ImsCompositePerson people[] = { { "candidate", cameras[0] }, { "interviewer", cameras[1] } };
  ImsCompositeSegment segments[] = { { .title = "Opening" }, { .title = "Q1" } };
  ImsCompositeInput input = { segments, 2, people, 2, HEIGHT };
  g_autoptr(ImsComposite) composite = make_or_fail(&input, fixture->output);
  assert_int_equal(composite->skipped_files, 1);

  Decoded decoded;
  decode(fixture->output, &decoded);
  expect_duration(composite, &decoded, 2000); /* the cut file's length was found by decoding it */
  expect_colour(&decoded, 500, LEFT, IS_RED);
  expect_colour(&decoded, 500, RIGHT, BLACK);
  expect_colour(&decoded, 1500, LEFT, IS_YELLOW);
  expect_colour(&decoded, 1500, RIGHT, IS_BLUE);
  decoded_clear(&decoded);
}

static void
test_candidate_alone(void **state)
{
  Fixture *fixture = *state;
  /* a room that records only the candidate: one tile, the whole canvas */
  const char *cameras[] = { inputs.candidate[0], inputs.candidate[1] };
  ImsCompositePerson people[] = { { "candidate", cameras } };
  ImsCompositeSegment segments[] = { { .title = "Opening" }, { .title = "Q1" } };
  ImsCompositeInput input = { segments, 2, people, 1, HEIGHT };
  g_autoptr(ImsComposite) composite = make_or_fail(&input, fixture->output);
  Decoded decoded;
  decode(fixture->output, &decoded);
  expect_duration(composite, &decoded, 2000);
  expect_colour(&decoded, 500, LEFT, IS_RED);
  expect_colour(&decoded, 500, RIGHT, IS_RED);
  expect_colour(&decoded, 1500, RIGHT, IS_YELLOW);
  expect_tones(&decoded, 200, 900, TRUE, FALSE);
  decoded_clear(&decoded);
}

static void
test_audio_only_profile(void **state)
{
  Fixture *fixture = *state;
  const ImsProfile *audio_only = ims_profile_set_lookup(inputs.profiles, "audio-only");
  assert_non_null(audio_only);
  const char *cameras[2][2] = { { inputs.candidate[0], inputs.candidate[1] },
                                { inputs.interviewer[0], NULL } };
  ImsCompositePerson people[] = { { "candidate", cameras[0] }, { "interviewer", cameras[1] } };
  ImsCompositeSegment segments[] = { { .title = "Opening" }, { .title = "Q1" } };
  ImsCompositeInput input = { segments, 2, people, 2, 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsComposite) composite = ims_composite_make(audio_only, &input, fixture->output, &error);
  if (!composite)
    fail_msg("%s", error->message);
  assert_int_equal(composite->width, 0);
  if (llabs(composite->duration_ms - 2000) > FRAME_MS)
    fail_msg("duration %" G_GINT64_FORMAT " ms", composite->duration_ms);
  g_autoptr(GstDiscoverer) discoverer = gst_discoverer_new(10 * GST_SECOND, NULL);
  g_autofree char *uri = gst_filename_to_uri(fixture->output, NULL);
  g_autoptr(GstDiscovererInfo) info = gst_discoverer_discover_uri(discoverer, uri, NULL);
  assert_non_null(info);
  GList *video = gst_discoverer_info_get_video_streams(info);
  GList *audio = gst_discoverer_info_get_audio_streams(info);
  assert_int_equal(g_list_length(video), 0);
  assert_int_equal(g_list_length(audio), 1);
  gst_discoverer_stream_info_list_free(video);
  gst_discoverer_stream_info_list_free(audio);
}

static void
test_nothing_readable(void **state)
{
  Fixture *fixture = *state;
  const char *cameras[2][1] = { { inputs.garbage }, { NULL } };
  ImsCompositePerson people[] = { { "candidate", cameras[0] }, { "interviewer", cameras[1] } };
  ImsCompositeSegment segments[] = { { .title = "Opening", .duration_ms = 1000 } };
  ImsCompositeInput input = { segments, 1, people, 2, HEIGHT };
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsComposite) composite = ims_composite_make(profile(), &input, fixture->output, &error);
  assert_null(composite);
  assert_true(g_error_matches(error, IMS_RENDITION_ERROR, IMS_RENDITION_ERROR_INPUT));
  assert_false(g_file_test(fixture->output, G_FILE_TEST_EXISTS));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_layout),
    cmocka_unit_test(test_chapters_json),
    cmocka_unit_test_setup_teardown(test_side_by_side, setup, teardown),
    cmocka_unit_test_setup_teardown(test_missing_file_keeps_sync, setup, teardown),
    cmocka_unit_test_setup_teardown(test_screen_share, setup, teardown),
    cmocka_unit_test_setup_teardown(test_segment_without_files, setup, teardown),
    cmocka_unit_test_setup_teardown(test_unreadable_and_cut_files, setup, teardown),
    cmocka_unit_test_setup_teardown(test_candidate_alone, setup, teardown),
    cmocka_unit_test_setup_teardown(test_audio_only_profile, setup, teardown),
    cmocka_unit_test_setup_teardown(test_nothing_readable, setup, teardown),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
