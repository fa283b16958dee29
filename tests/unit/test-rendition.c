/* test-rendition.c: tests of pipelines/rendition/rendition.c with real GStreamer, in two groups.
 *
 *   test-rendition           the unit group (suite 'unit', 60 s): small takes, 320x180, so that the
 *                            whole group costs about a second of CPU and passes on a loaded machine
 *   test-rendition --sizes   the real sizes (suite 'slow', tests/meson.build): 720p H.264 at the
 *                            default profile's limit (remux), 1080p (scaled to 720p), 720p with the
 *                            behavioral profile (480p); encoding and transcoding those costs seconds
 *
 * Each group's setup makes its takes once, into a private temporary directory, the way the recorder
 * writes them (Matroska, video + Opus): the unit group an H.264 take (remux), a VP8 take (transcode),
 * the H.264 take cut at 60% of its bytes (a crash), a VP8 take whose video timestamps go backwards now
 * and then (what the recorder wrote under CPU load), and a file that is not a take.  Each test makes
 * renditions into its own output directory, which teardown removes.  The MP4/JPEG/WAV checks read the
 * files independently of the code under test (qtdemux caps, top-level boxes, JPEG SOF, WAV header).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <string.h>

#include "imsd-build.h"
#include "profile.h"
#include "rendition.h"
#include "rendition-test.h"
#include "spool-files.h"

#define TAKE_SECONDS 1.5

/* Every path is NULL when the running group does not make that take. */
typedef struct {
  char *directory;
  char *h264, *vp8, *truncated, *garbage, *vp8_backwards; /* unit group: 320x180 */
  char *h264_720p, *h264_1080p;                           /* sizes group */
  ImsProfileSet *profiles;
} Takes;

static Takes takes;

typedef struct {
  char *out_dir;
  char *out_dir2;
} Fixture;

/* ---- helpers -------------------------------------------------------------------------------------- */

/* A Matroska take: `video` encoded frames at 30 fps beside TAKE_SECONDS of Opus. */
static char *
make_take(const char *name, const char *video)
{
  char *path = g_build_filename(takes.directory, name, NULL);
  g_autofree char *description = g_strdup_printf(
      "videotestsrc pattern=ball num-buffers=%d ! %s ! queue ! matroskamux name=mux ! filesink location=%s "
      "audiotestsrc num-buffers=%d samplesperbuffer=960 ! audio/x-raw,rate=48000,channels=2 ! opusenc ! "
      "queue ! mux.",
      (int) (TAKE_SECONDS * 30), video, path, (int) (TAKE_SECONDS * 50));
  rendition_test_run_launch(description);
  return path;
}

/* Every fifth video frame of make_backwards_take() is stamped 20 ms before the frame written before it. */
static GstPadProbeReturn
on_backwards_frame(GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  GstClockTime *previous = user_data; /* one streaming thread writes it */
  GstBuffer *buffer = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
  GST_PAD_PROBE_INFO_DATA(info) = buffer;
  static int frame;
  if (++frame % 5 == 0 && GST_CLOCK_TIME_IS_VALID(*previous) && *previous >= 20 * GST_MSECOND)
    GST_BUFFER_PTS(buffer) = *previous - 20 * GST_MSECOND;
  GST_BUFFER_DTS(buffer) = GST_BUFFER_PTS(buffer);
  *previous = GST_BUFFER_PTS(buffer);
  return GST_PAD_PROBE_OK;
}

/* A VP8 + Opus take (TAKE_SECONDS, 320x240) whose video timestamps are not increasing: matroskamux
 * stores them as given. */
static char *
make_backwards_take(const char *name)
{
  char *path = g_build_filename(takes.directory, name, NULL);
  g_autofree char *description = g_strdup_printf(
      "videotestsrc pattern=ball num-buffers=%d ! video/x-raw,width=320,height=240,framerate=30/1 ! "
      "vp8enc deadline=1 ! identity name=shuffle ! queue ! matroskamux name=mux ! filesink location=%s "
      "audiotestsrc num-buffers=%d samplesperbuffer=960 ! audio/x-raw,rate=48000,channels=2 ! opusenc ! "
      "queue ! mux.",
      (int) (TAKE_SECONDS * 30), path, (int) (TAKE_SECONDS * 50));
  g_autoptr(GError) error = NULL;
  g_autoptr(GstElement) pipeline = gst_parse_launch(description, &error);
  if (pipeline == NULL)
    fail_msg("%s: %s", description, error->message);
  g_autoptr(GstElement) shuffle = gst_bin_get_by_name(GST_BIN(pipeline), "shuffle");
  g_autoptr(GstPad) pad = gst_element_get_static_pad(shuffle, "src");
  GstClockTime previous = GST_CLOCK_TIME_NONE;
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_backwards_frame, &previous, NULL);
  rendition_test_run_to_eos(pipeline, description);
  return path;
}

/* Decodes every video frame of an MP4 (qtdemux ! avdec_h264); returns how many, -1 on an error. */
static int
decoded_mp4_frames(const char *path)
{
  g_autofree char *description = g_strdup_printf(
      "filesrc location=%s ! qtdemux name=demux demux.video_0 ! queue ! h264parse ! avdec_h264 ! "
      "fakesink name=frames signal-handoffs=true sync=false",
      path);
  g_autoptr(GstElement) pipeline = gst_parse_launch(description, NULL);
  assert_non_null(pipeline);
  g_autoptr(GstElement) frames = gst_bin_get_by_name(GST_BIN(pipeline), "frames");
  g_autoptr(GstBus) bus = gst_element_get_bus(pipeline);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  g_autoptr(GstMessage) message = gst_bus_timed_pop_filtered(bus, 30 * GST_SECOND,
                                                             GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  guint64 rendered = 0;
  g_autoptr(GstStructure) stats = NULL;
  g_object_get(frames, "stats", &stats, NULL);
  gst_structure_get_uint64(stats, "rendered", &rendered);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  return message != NULL && GST_MESSAGE_TYPE(message) == GST_MESSAGE_EOS ? (int) rendered : -1;
}

typedef struct {
  char *video_caps, *audio_caps; /* structure names, NULL if absent */
  int width, height;
  gint64 duration_ms;
} MediaInfo;

static void
media_info_clear(MediaInfo *info)
{
  g_free(info->video_caps);
  g_free(info->audio_caps);
}

static void
on_demux_pad(GstElement *demux, GstPad *pad, gpointer user_data)
{
  MediaInfo *info = user_data;
  g_autoptr(GstCaps) caps = gst_pad_get_current_caps(pad);
  const GstStructure *s = gst_caps_get_structure(caps, 0);
  const char *name = gst_structure_get_name(s);
  if (g_str_has_prefix(name, "video/")) {
    info->video_caps = g_strdup(name);
    gst_structure_get_int(s, "width", &info->width);
    gst_structure_get_int(s, "height", &info->height);
  } else {
    info->audio_caps = g_strdup(name);
  }
  GstElement *sink = gst_element_factory_make("fakesink", NULL);
  g_object_set(sink, "async", FALSE, NULL); /* one stream's preroll must not block the other's */
  GstElement *pipeline = GST_ELEMENT(gst_element_get_parent(demux));
  gst_bin_add(GST_BIN(pipeline), sink);
  gst_element_sync_state_with_parent(sink);
  g_autoptr(GstPad) sink_pad = gst_element_get_static_pad(sink, "sink");
  gst_pad_link(pad, sink_pad);
  gst_object_unref(pipeline);
}

static void
on_no_more_pads(GstElement *demux, gpointer user_data)
{
  gst_element_post_message(
      demux, gst_message_new_application(GST_OBJECT(demux), gst_structure_new_empty("pads")));
}

/* Streams and duration of a file, through the given demuxer (qtdemux, matroskademux) prerolled. */
static void
probe_media(const char *path, const char *demuxer, MediaInfo *info)
{
  memset(info, 0, sizeof *info);
  g_autofree char *description = g_strdup_printf("filesrc location=%s ! %s name=demux", path,
                                                 demuxer);
  g_autoptr(GstElement) pipeline = gst_parse_launch(description, NULL);
  g_autoptr(GstElement) demux = gst_bin_get_by_name(GST_BIN(pipeline), "demux");
  g_signal_connect(demux, "pad-added", G_CALLBACK(on_demux_pad), info);
  g_signal_connect(demux, "no-more-pads", G_CALLBACK(on_no_more_pads), NULL);
  g_autoptr(GstBus) bus = gst_element_get_bus(pipeline);
  gst_element_set_state(pipeline, GST_STATE_PAUSED);
  g_autoptr(GstMessage) message = gst_bus_timed_pop_filtered(
      bus, 10 * GST_SECOND, GST_MESSAGE_APPLICATION | GST_MESSAGE_ERROR);
  assert_non_null(message);
  assert_int_equal(GST_MESSAGE_TYPE(message), GST_MESSAGE_APPLICATION);
  gint64 duration = -1;
  info->duration_ms = gst_element_query_duration(pipeline, GST_FORMAT_TIME, &duration)
                          ? duration / GST_MSECOND
                          : -1;
  gst_element_set_state(pipeline, GST_STATE_NULL);
}

static guint32
be32(const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

/* The first top-level boxes of an MP4 file, as "ftyp moov mdat". */
static char *
top_level_boxes(const char *path)
{
  g_autofree guint8 *data = NULL;
  gsize length = 0;
  assert_true(g_file_get_contents(path, (char **) &data, &length, NULL));
  GString *boxes = g_string_new(NULL);
  for (gsize offset = 0; offset + 8 <= length;) {
    guint64 size = be32(data + offset);
    if (size == 1 && offset + 16 <= length)
      size = (guint64) be32(data + offset + 8) << 32 | be32(data + offset + 12);
    g_string_append_printf(boxes, "%s%.4s", boxes->len ? " " : "", data + offset + 4);
    if (size < 8)
      break;
    offset += size;
  }
  return g_string_free(boxes, FALSE);
}

static const ImsRendition *
find_rendition(GPtrArray *renditions, ImsRenditionKind kind)
{
  for (guint i = 0; i < renditions->len; i++)
    if (((ImsRendition *) renditions->pdata[i])->kind == kind)
      return renditions->pdata[i];
  return NULL;
}

static GPtrArray *
make_or_fail(const char *profile_name, const char *input, const char *out_dir)
{
  return rendition_test_make(takes.profiles, profile_name, input, out_dir);
}

/* video.mp4 is H.264 + AAC, fast start, of the given size and about the input's duration. */
static void
check_mp4(const ImsRendition *mp4, gint64 input_duration_ms, int width, int height)
{
  assert_non_null(mp4);
  assert_string_equal(mp4->file_name, "video.mp4");
  assert_string_equal(mp4->content_type, "video/mp4");
  g_autofree char *boxes = top_level_boxes(mp4->path);
  if (!g_str_has_prefix(boxes, "ftyp moov") || strstr(boxes, "mdat") == NULL)
    fail_msg("top-level boxes: %s", boxes);
  MediaInfo info;
  probe_media(mp4->path, "qtdemux", &info);
  assert_string_equal(info.video_caps, "video/x-h264");
  assert_string_equal(info.audio_caps, "audio/mpeg");
  assert_int_equal(info.width, width);
  assert_int_equal(info.height, height);
  assert_int_equal(mp4->width, width);
  assert_int_equal(mp4->height, height);
  if (llabs(info.duration_ms - input_duration_ms) > 500 ||
      llabs(mp4->duration_ms - input_duration_ms) > 500)
    fail_msg("mp4 duration %" G_GINT64_FORMAT " / %" G_GINT64_FORMAT " ms, input %" G_GINT64_FORMAT
             " ms",
             info.duration_ms, mp4->duration_ms, input_duration_ms);
  GStatBuf st;
  assert_int_equal(g_stat(mp4->path, &st), 0);
  assert_int_equal(st.st_size, mp4->size_bytes);
  media_info_clear(&info);
}

static void
check_thumbnail(const ImsRendition *thumbnail, int width)
{
  assert_non_null(thumbnail);
  assert_string_equal(thumbnail->content_type, "image/jpeg");
  g_autofree guint8 *data = NULL;
  gsize length = 0;
  assert_true(g_file_get_contents(thumbnail->path, (char **) &data, &length, NULL));
  assert_true(length > 100);
  assert_int_equal(data[0], 0xFF);
  assert_int_equal(data[1], 0xD8);
  /* Walk the markers to the baseline frame header (SOF0): height, width. */
  int jpeg_width = 0;
  for (gsize at = 2; at + 9 < length && data[at] == 0xFF;) {
    guint8 marker = data[at + 1];
    gsize segment = (gsize) data[at + 2] << 8 | data[at + 3];
    if (marker == 0xC0) {
      jpeg_width = data[at + 7] << 8 | data[at + 8];
      break;
    }
    at += 2 + segment;
  }
  assert_int_equal(jpeg_width, width);
  assert_int_equal(thumbnail->width, width);
}

static void
check_wav(const ImsRendition *wav, gint64 input_duration_ms)
{
  assert_non_null(wav);
  assert_string_equal(wav->content_type, "audio/wav");
  g_autofree guint8 *data = NULL;
  gsize length = 0;
  assert_true(g_file_get_contents(wav->path, (char **) &data, &length, NULL));
  assert_true(length > 44);
  assert_memory_equal(data, "RIFF", 4);
  assert_memory_equal(data + 8, "WAVEfmt ", 8);
  guint16 channels = data[22] | data[23] << 8;
  guint32 rate = data[24] | data[25] << 8 | data[26] << 16 | (guint32) data[27] << 24;
  guint16 bits = data[34] | data[35] << 8;
  assert_int_equal(channels, 1);
  assert_int_equal(rate, 16000);
  assert_int_equal(bits, 16);
  gint64 duration_ms = (gint64) (length - 44) * 1000 / (16000 * 2);
  if (llabs(duration_ms - input_duration_ms) > 500 ||
      llabs(wav->duration_ms - input_duration_ms) > 500)
    fail_msg("wav %" G_GINT64_FORMAT " ms, input %" G_GINT64_FORMAT " ms", duration_ms,
             input_duration_ms);
}

static gboolean
files_equal(const char *a, const char *b)
{
  g_autofree char *data_a = NULL, *data_b = NULL;
  gsize length_a = 0, length_b = 0;
  assert_true(g_file_get_contents(a, &data_a, &length_a, NULL));
  assert_true(g_file_get_contents(b, &data_b, &length_b, NULL));
  return length_a == length_b && memcmp(data_a, data_b, length_a) == 0;
}

static int
count_files(const char *directory)
{
  g_autoptr(GDir) dir = g_dir_open(directory, 0, NULL);
  int count = 0;
  while (g_dir_read_name(dir) != NULL)
    count++;
  return count;
}

/* ---- setup ---------------------------------------------------------------------------------------- */

/* Makes the takes' directory and loads the shipped profiles. */
static void
takes_init(void)
{
  gst_init(NULL, NULL);
  memset(&takes, 0, sizeof takes);
  takes.directory = g_dir_make_tmp("test-rendition-XXXXXX", NULL);
  assert_non_null(takes.directory);
  g_autoptr(GError) error = NULL;
  takes.profiles = ims_profile_set_load_file(IMSD_SOURCE_DIR "/etc/profiles.ini", &error);
  if (takes.profiles == NULL)
    fail_msg("%s", error->message);
}

static int
unit_group_setup(void **state)
{
  takes_init();
  takes.h264 = make_take("h264.mkv",
                         "video/x-raw,width=320,height=180,framerate=30/1 ! "
                         "x264enc speed-preset=ultrafast bframes=2 key-int-max=30 ! h264parse");
  takes.vp8 = make_take("vp8.mkv",
                        "video/x-raw,width=320,height=180,framerate=30/1 ! vp8enc deadline=1");
  /* A crash: the first 60% of the bytes, no cues, no duration. */
  g_autofree char *data = NULL;
  gsize length = 0;
  assert_true(g_file_get_contents(takes.h264, &data, &length, NULL));
  takes.truncated = g_build_filename(takes.directory, "truncated.mkv", NULL);
  assert_true(g_file_set_contents(takes.truncated, data, length * 6 / 10, NULL));
  takes.garbage = g_build_filename(takes.directory, "garbage.mkv", NULL);
  assert_true(g_file_set_contents(takes.garbage, "this is not a Matroska file\n", -1, NULL));
  takes.vp8_backwards = make_backwards_take("vp8-backwards.mkv");
  return 0;
}

static int
sizes_group_setup(void **state)
{
  takes_init();
  takes.h264_720p = make_take("h264-720p.mkv",
                              "video/x-raw,width=1280,height=720,framerate=30/1 ! "
                              "x264enc speed-preset=ultrafast bframes=2 key-int-max=30 ! h264parse");
  takes.h264_1080p = make_take("h264-1080p.mkv",
                               "video/x-raw,width=1920,height=1080,framerate=30/1 ! "
                               "x264enc speed-preset=ultrafast ! h264parse");
  return 0;
}

static int
group_teardown(void **state)
{
  char *files[] = { takes.h264,      takes.vp8,        takes.truncated,    takes.garbage,
                    takes.h264_720p, takes.h264_1080p, takes.vp8_backwards };
  for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
    if (files[i] != NULL)
      g_unlink(files[i]);
    g_free(files[i]);
  }
  g_rmdir(takes.directory);
  g_free(takes.directory);
  ims_profile_set_free(takes.profiles);
  memset(&takes, 0, sizeof takes);
  return 0;
}

static int
setup(void **state)
{
  Fixture *fixture = g_new0(Fixture, 1);
  fixture->out_dir = g_build_filename(takes.directory, "out-XXXXXX", NULL);
  fixture->out_dir2 = g_build_filename(takes.directory, "out2-XXXXXX", NULL);
  assert_non_null(g_mkdtemp(fixture->out_dir));
  assert_non_null(g_mkdtemp(fixture->out_dir2));
  *state = fixture;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *fixture = *state;
  ims_spool_remove(fixture->out_dir);
  ims_spool_remove(fixture->out_dir2);
  g_free(fixture->out_dir);
  g_free(fixture->out_dir2);
  g_free(fixture);
  return 0;
}

/* ---- tests ---------------------------------------------------------------------------------------- */

/* An H.264 take of width x height, no taller than the default profile's mp4_max_height: remuxed
 * (size kept), with a 320 px wide thumbnail and the WAV. */
static void
check_h264_is_remuxed(const char *take, const char *out_dir, int width, int height)
{
  MediaInfo input;
  probe_media(take, "matroskademux", &input);
  g_autoptr(GPtrArray) renditions = make_or_fail("default", take, out_dir);
  assert_int_equal(renditions->len, 3);
  const ImsRendition *mp4 = find_rendition(renditions, IMS_RENDITION_MP4);
  check_mp4(mp4, input.duration_ms, width, height);
  assert_false(mp4->transcoded);
  check_thumbnail(find_rendition(renditions, IMS_RENDITION_THUMBNAIL), 320);
  check_wav(find_rendition(renditions, IMS_RENDITION_WAV), input.duration_ms);
  g_autofree char *expected_path = g_build_filename(out_dir, "video.mp4", NULL);
  assert_string_equal(mp4->path, expected_path);
  media_info_clear(&input);
}

static void
test_h264_is_remuxed(void **state)
{
  Fixture *fixture = *state;
  check_h264_is_remuxed(takes.h264, fixture->out_dir, 320, 180);
}

/* At the limit: 720 lines is still a remux. */
static void
test_h264_720p_is_remuxed(void **state)
{
  Fixture *fixture = *state;
  check_h264_is_remuxed(takes.h264_720p, fixture->out_dir, 1280, 720);
}

static void
test_vp8_is_transcoded(void **state)
{
  Fixture *fixture = *state;
  MediaInfo input;
  probe_media(takes.vp8, "matroskademux", &input);
  g_autoptr(GPtrArray) renditions = make_or_fail("default", takes.vp8, fixture->out_dir);
  const ImsRendition *mp4 = find_rendition(renditions, IMS_RENDITION_MP4);
  check_mp4(mp4, input.duration_ms, 320, 180);
  assert_true(mp4->transcoded);
  check_thumbnail(find_rendition(renditions, IMS_RENDITION_THUMBNAIL), 320);
  check_wav(find_rendition(renditions, IMS_RENDITION_WAV), input.duration_ms);
  for (guint i = 0; i < renditions->len; i++)
    assert_false(((ImsRendition *) renditions->pdata[i])->repaired);
  media_info_clear(&input);
}

static void
test_non_increasing_timestamps_are_repaired(void **state)
{
  Fixture *fixture = *state;
  /* As recorded, the MP4 muxer refuses the stream ("Could not multiplex stream"); the renditions come
   * from a re-timestamped copy of the take instead, and play. */
  g_autoptr(GPtrArray) renditions = make_or_fail("default", takes.vp8_backwards, fixture->out_dir);
  assert_int_equal(renditions->len, 3);
  const ImsRendition *mp4 = find_rendition(renditions, IMS_RENDITION_MP4);
  check_mp4(mp4, TAKE_SECONDS * 1000, 320, 240);
  assert_true(mp4->transcoded);
  int frames = decoded_mp4_frames(mp4->path);
  if (frames < TAKE_SECONDS * 30 - 2)
    fail_msg("video.mp4 decodes %d frames of %d", frames, (int) (TAKE_SECONDS * 30));
  check_thumbnail(find_rendition(renditions, IMS_RENDITION_THUMBNAIL), 320);
  check_wav(find_rendition(renditions, IMS_RENDITION_WAV), TAKE_SECONDS * 1000);
  for (guint i = 0; i < renditions->len; i++)
    assert_true(((ImsRendition *) renditions->pdata[i])->repaired);
  /* The re-timestamped copy is gone: only the renditions are left in out_dir. */
  assert_int_equal(count_files(fixture->out_dir), 3);
}

static void
test_1080p_is_scaled_down(void **state)
{
  Fixture *fixture = *state;
  MediaInfo input;
  probe_media(takes.h264_1080p, "matroskademux", &input);
  g_autoptr(GPtrArray) renditions = make_or_fail("default", takes.h264_1080p, fixture->out_dir);
  const ImsRendition *mp4 = find_rendition(renditions, IMS_RENDITION_MP4);
  check_mp4(mp4, input.duration_ms, 1280, 720);
  assert_true(mp4->transcoded);
  media_info_clear(&input);
}

static void
test_behavioral_scales_to_480p(void **state)
{
  Fixture *fixture = *state;
  MediaInfo input;
  probe_media(takes.h264_720p, "matroskademux", &input);
  g_autoptr(GPtrArray) renditions = make_or_fail("behavioral", takes.h264_720p, fixture->out_dir);
  const ImsRendition *mp4 = find_rendition(renditions, IMS_RENDITION_MP4);
  check_mp4(mp4, input.duration_ms, 854, 480);
  assert_true(mp4->transcoded);
  media_info_clear(&input);
}

static void
test_truncated_take(void **state)
{
  Fixture *fixture = *state;
  g_autoptr(GPtrArray) renditions = make_or_fail("default", takes.truncated, fixture->out_dir);
  const ImsRendition *mp4 = find_rendition(renditions, IMS_RENDITION_MP4);
  const ImsRendition *wav = find_rendition(renditions, IMS_RENDITION_WAV);
  g_autofree char *boxes = top_level_boxes(mp4->path);
  assert_true(g_str_has_prefix(boxes, "ftyp moov"));
  assert_false(mp4->transcoded);
  /* Some of the take survived, not all of it. */
  assert_true(mp4->duration_ms > 300 && mp4->duration_ms < TAKE_SECONDS * 1000);
  assert_true(wav->duration_ms > 300 && wav->duration_ms < TAKE_SECONDS * 1000);
  check_thumbnail(find_rendition(renditions, IMS_RENDITION_THUMBNAIL), 320);
}

static void
test_audio_only(void **state)
{
  Fixture *fixture = *state;
  MediaInfo input;
  probe_media(takes.h264, "matroskademux", &input);
  g_autoptr(GPtrArray) renditions = make_or_fail("audio-only", takes.h264, fixture->out_dir);
  assert_int_equal(renditions->len, 2);
  assert_null(find_rendition(renditions, IMS_RENDITION_THUMBNAIL));
  g_autofree char *thumb = g_build_filename(fixture->out_dir, "thumb.jpg", NULL);
  assert_false(g_file_test(thumb, G_FILE_TEST_EXISTS));
  const ImsRendition *mp4 = find_rendition(renditions, IMS_RENDITION_MP4);
  MediaInfo info;
  probe_media(mp4->path, "qtdemux", &info);
  assert_null(info.video_caps);
  assert_string_equal(info.audio_caps, "audio/mpeg");
  assert_int_equal(mp4->width, 0);
  assert_false(mp4->transcoded);
  assert_true(llabs(mp4->duration_ms - input.duration_ms) <= 500);
  check_wav(find_rendition(renditions, IMS_RENDITION_WAV), input.duration_ms);
  media_info_clear(&info);
  media_info_clear(&input);
}

static void
test_thumbnail_of_short_take_is_last_frame(void **state)
{
  Fixture *fixture = *state;
  /* An offset past the end: the last frame is used rather than failing. */
  ImsProfile profile = *ims_profile_set_lookup(takes.profiles, "default");
  profile.thumbnail_offset_seconds = 600;
  profile.thumbnail_width = 160;
  profile.transcription_wav = FALSE;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray)
      renditions = ims_renditions_make(&profile, takes.vp8, fixture->out_dir, &error);
  if (renditions == NULL)
    fail_msg("%s", error->message);
  assert_int_equal(renditions->len, 2);
  check_thumbnail(find_rendition(renditions, IMS_RENDITION_THUMBNAIL), 160);
  assert_int_equal(find_rendition(renditions, IMS_RENDITION_THUMBNAIL)->height, 90);
}

static void
test_same_take_gives_same_bytes(void **state)
{
  Fixture *fixture = *state;
  const char *inputs[] = { takes.h264, takes.vp8 };
  for (gsize i = 0; i < G_N_ELEMENTS(inputs); i++) {
    g_autoptr(GPtrArray) first = make_or_fail("default", inputs[i], fixture->out_dir);
    g_usleep(1100 * 1000); /* mp4mux writes the wall clock (seconds) unless it is zeroed */
    g_autoptr(GPtrArray) second = make_or_fail("default", inputs[i], fixture->out_dir2);
    for (guint r = 0; r < first->len; r++) {
      const ImsRendition *a = first->pdata[r], *b = second->pdata[r];
      if (!files_equal(a->path, b->path))
        fail_msg("%s and %s differ", a->path, b->path);
    }
  }
}

static void
test_bad_input_leaves_nothing(void **state)
{
  Fixture *fixture = *state;
  const ImsProfile *profile = ims_profile_set_lookup(takes.profiles, "default");
  g_autoptr(GError) error = NULL;
  assert_null(ims_renditions_make(profile, takes.garbage, fixture->out_dir, &error));
  assert_true(error->domain == IMS_RENDITION_ERROR);
  assert_int_equal(error->code, IMS_RENDITION_ERROR_INPUT);
  assert_int_equal(count_files(fixture->out_dir), 0);
  g_clear_error(&error);

  assert_null(ims_renditions_make(profile, "/nonexistent/take.mkv", fixture->out_dir, &error));
  assert_int_equal(error->code, IMS_RENDITION_ERROR_INPUT);
  g_clear_error(&error);

  assert_null(ims_renditions_make(profile, takes.h264, "/nonexistent/dir", &error));
  assert_int_equal(error->code, IMS_RENDITION_ERROR_OUTPUT);
}

static void
test_failure_midway_removes_outputs(void **state)
{
  Fixture *fixture = *state;
  /* The MP4 succeeds, then the thumbnail encoder cannot be built: the MP4 must be removed too. */
  ImsProfile profile = *ims_profile_set_lookup(takes.profiles, "default");
  profile.thumbnail_width = 0; /* out of the loader's range: caps width=0 cannot be negotiated */
  g_autoptr(GError) error = NULL;
  assert_null(ims_renditions_make(&profile, takes.vp8, fixture->out_dir, &error));
  assert_non_null(error);
  if (strstr(error->message, "thumbnail") == NULL)
    fail_msg("error does not name the rendition: %s", error->message);
  assert_int_equal(count_files(fixture->out_dir), 0);
}

static void
test_shipped_profiles_build(void **state)
{
  const char *const *names = ims_profile_set_get_names(takes.profiles);
  int count = 0;
  for (; names[count] != NULL; count++) {
    g_autoptr(GError) error = NULL;
    if (!ims_renditions_check_profile(ims_profile_set_lookup(takes.profiles, names[count]), &error))
      fail_msg("%s: %s", names[count], error->message);
  }
  assert_true(count >= 4);

  /* A profile whose pipeline names an element that does not exist fails, naming the profile. */
  ImsProfile broken = *ims_profile_set_lookup(takes.profiles, "default");
  broken.h264_profile = (char *) "main ! no-such-element";
  g_autoptr(GError) error = NULL;
  assert_false(ims_renditions_check_profile(&broken, &error));
  assert_int_equal(error->code, IMS_RENDITION_ERROR_PIPELINE);
  assert_non_null(strstr(error->message, "profile default"));
  assert_non_null(strstr(error->message, "no-such-element"));

  /* A level too low for the size and frame rate the profile asks for (854x480 at 30 fps needs 3.1). */
  ImsProfile low = *ims_profile_set_lookup(takes.profiles, "behavioral");
  low.h264_level = (char *) "3.0";
  g_clear_error(&error);
  assert_false(ims_renditions_check_profile(&low, &error));
  assert_non_null(strstr(error->message,
                         "profile behavioral: h264_level 3.0 is too low for 854x480 at 30 fps"));
  low.max_frame_rate = 25; /* 1620 macroblocks x 25 fits level 3 */
  g_clear_error(&error);
  assert_true(ims_renditions_check_profile(&low, &error));
}

static void
test_kind_names(void **state)
{
  assert_string_equal(ims_rendition_kind_to_string(IMS_RENDITION_MP4), "video/mp4");
  assert_string_equal(ims_rendition_kind_to_string(IMS_RENDITION_THUMBNAIL), "thumbnail");
  assert_string_equal(ims_rendition_kind_to_string(IMS_RENDITION_WAV), "audio/wav-16k");
}

int
main(int argc, char **argv)
{
  const struct CMUnitTest unit_tests[] = {
    cmocka_unit_test_setup_teardown(test_h264_is_remuxed, setup, teardown),
    cmocka_unit_test_setup_teardown(test_vp8_is_transcoded, setup, teardown),
    cmocka_unit_test_setup_teardown(test_non_increasing_timestamps_are_repaired, setup, teardown),
    cmocka_unit_test_setup_teardown(test_truncated_take, setup, teardown),
    cmocka_unit_test_setup_teardown(test_audio_only, setup, teardown),
    cmocka_unit_test_setup_teardown(test_thumbnail_of_short_take_is_last_frame, setup, teardown),
    cmocka_unit_test_setup_teardown(test_same_take_gives_same_bytes, setup, teardown),
    cmocka_unit_test_setup_teardown(test_bad_input_leaves_nothing, setup, teardown),
    cmocka_unit_test_setup_teardown(test_failure_midway_removes_outputs, setup, teardown),
    cmocka_unit_test(test_shipped_profiles_build),
    cmocka_unit_test(test_kind_names),
  };
  const struct CMUnitTest sizes_tests[] = {
    cmocka_unit_test_setup_teardown(test_h264_720p_is_remuxed, setup, teardown),
    cmocka_unit_test_setup_teardown(test_1080p_is_scaled_down, setup, teardown),
    cmocka_unit_test_setup_teardown(test_behavioral_scales_to_480p, setup, teardown),
  };
  if (argc == 2 && g_str_equal(argv[1], "--sizes"))
    return cmocka_run_group_tests_name("rendition-sizes", sizes_tests, sizes_group_setup,
                                       group_teardown);
  if (argc != 1) {
    fprintf(stderr, "usage: %s [--sizes]\n", argv[0]);
    return 2;
  }
  return cmocka_run_group_tests_name("rendition", unit_tests, unit_group_setup, group_teardown);
}
