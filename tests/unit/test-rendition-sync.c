/* test-rendition-sync.c: video.mp4 presents its audio where the take has it (pipelines/rendition/rendition.c).
 *
 * AAC encoders put priming samples before the first real sample (FFmpeg's encoder, avenc_aac: 1024);
 * an MP4 says so in the audio track's edit list (elst media_time = the priming), and players start the
 * audio there.  Without it the whole audio track plays 1024 samples (21.3 ms at 48 kHz) late.
 *
 * The group's setup makes, the way the recorder writes them (Matroska, video + Opus, 320x180, 2 s),
 * takes whose video turns from black to white at exactly 1.000 s and whose audio turns from silence to a
 * 1 kHz beep at exactly 1.000 s: an H.264 take (remux), a VP8 take (transcode).  Each test makes the
 * renditions and reads video.mp4 back independently of the code under test:
 *   - decoded the way players decode it: libavformat + libavcodec, which honour the edit list (the
 *     priming dropped through the packets' skip-samples side data, timestamps shifted to match);
 *   - the audio track's elst box parsed from the file.
 * The take itself is decoded with GStreamer (what the renditions read), so the fixture is checked too.
 * A take whose audio starts 500 ms after its video checks the edit list mp4mux writes then (an empty
 * edit, then the media edit), an audio-only profile the MP4 without video; and ims_mp4_inspect()
 * (rendition-inspect.c) is checked alone on an MP4 as mp4mux writes it, with and without edit list.
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
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <string.h>

#include "imsd-build.h"
#include "profile.h"
#include "rendition-private.h"
#include "rendition.h"
#include "rendition-test.h"
#include "spool-files.h"

#define TAKE_FRAMES 60         /* 2 s at 30 fps */
#define TAKE_AUDIO_BUFFERS 100 /* 2 s of 20 ms */
#define EVENT_NS GST_SECOND    /* the flash and the beep */
#define WIDTH 320
#define HEIGHT 180
#define BEEP_THRESHOLD 3000      /* of 32767: the beep is at half scale, silence is 0 */
#define FLASH_THRESHOLD 128      /* mean luma: black is 16, white 235 */
#define AAC_PRIMING_SAMPLES 1024 /* FFmpeg's AAC encoder (AVCodecContext.initial_padding) */

typedef struct {
  char *directory;
  char *h264, *vp8;
  char *late_audio; /* H.264, the audio starting 500 ms after the video (mp4mux: an empty edit first) */
  ImsProfileSet *profiles;
} Takes;

static Takes takes;

typedef struct {
  char *out_dir;
} Fixture;

/* Where the events are in a decoded file, and where each stream ends (ns; -1 if never seen). */
typedef struct {
  gint64 beep_ns, flash_ns;
  gint64 audio_end_ns, video_end_ns;
} Timeline;

/* ---- the takes ------------------------------------------------------------------------------------ */

/* Video (I420, WIDTH x HEIGHT): frames stamped at or after EVENT_NS become white. */
static GstPadProbeReturn
on_raw_frame(GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  GstBuffer *buffer = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
  GST_PAD_PROBE_INFO_DATA(info) = buffer;
  if (GST_BUFFER_PTS(buffer) >= EVENT_NS) {
    GstMapInfo map;
    assert_true(gst_buffer_map(buffer, &map, GST_MAP_WRITE));
    memset(map.data, 235, WIDTH * HEIGHT); /* the Y plane; stride = WIDTH (a multiple of 4) */
    gst_buffer_unmap(buffer, &map);
  }
  return GST_PAD_PROBE_OK;
}

/* Audio (S16LE stereo 48 kHz sine): every sample before EVENT_NS is silenced. */
static GstPadProbeReturn
on_raw_audio(GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  GstBuffer *buffer = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
  GST_PAD_PROBE_INFO_DATA(info) = buffer;
  GstMapInfo map;
  assert_true(gst_buffer_map(buffer, &map, GST_MAP_WRITE));
  gint16 *samples = (gint16 *) map.data;
  gsize frames = map.size / 4;
  for (gsize i = 0; i < frames; i++)
    if (GST_BUFFER_PTS(buffer) + gst_util_uint64_scale(i, GST_SECOND, 48000) < EVENT_NS)
      samples[2 * i] = samples[2 * i + 1] = 0;
  gst_buffer_unmap(buffer, &map);
  return GST_PAD_PROBE_OK;
}

static void
add_probe(GstElement *pipeline, const char *name, GstPadProbeCallback callback)
{
  g_autoptr(GstElement) element = gst_bin_get_by_name(GST_BIN(pipeline), name);
  g_autoptr(GstPad) pad = gst_element_get_static_pad(element, "src");
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, callback, NULL, NULL);
}

/* A Matroska take (encoder: the video encoder's description) with the flash and the beep at EVENT_NS;
 * its audio starts audio_start_ns after its video (and ends with it). */
static char *
make_take(const char *name, const char *encoder, GstClockTime audio_start_ns)
{
  char *path = g_build_filename(takes.directory, name, NULL);
  g_autofree char *description = g_strdup_printf(
      "videotestsrc pattern=black num-buffers=%d ! "
      "video/x-raw,format=I420,width=%d,height=%d,framerate=30/1 ! identity name=flash ! %s ! queue ! "
      "matroskamux name=mux ! filesink location=%s "
      "audiotestsrc wave=sine freq=1000 volume=0.5 timestamp-offset=%" G_GUINT64_FORMAT
      " num-buffers=%d "
      "samplesperbuffer=960 ! "
      "audio/x-raw,format=S16LE,rate=48000,channels=2,layout=interleaved ! identity name=beep ! opusenc ! "
      "queue ! mux.",
      TAKE_FRAMES, WIDTH, HEIGHT, encoder, path, (guint64) audio_start_ns,
      TAKE_AUDIO_BUFFERS - (int) (audio_start_ns / (20 * GST_MSECOND)));
  g_autoptr(GError) error = NULL;
  g_autoptr(GstElement) pipeline = gst_parse_launch(description, &error);
  if (pipeline == NULL)
    fail_msg("%s: %s", description, error->message);
  add_probe(pipeline, "flash", on_raw_frame);
  add_probe(pipeline, "beep", on_raw_audio);
  rendition_test_run_to_eos(pipeline, description);
  return path;
}

/* ---- decoding ------------------------------------------------------------------------------------- */

/* The first sample of interleaved S16 audio louder than BEEP_THRESHOLD, or -1. */
static gint64
first_loud_sample(const gint16 *samples, gsize count, int channels)
{
  for (gsize i = 0; i < count; i++)
    if (abs(samples[i]) > BEEP_THRESHOLD)
      return (gint64) (i / channels);
  return -1;
}

static gboolean
is_white(const guint8 *luma, int stride, int width, int height)
{
  guint64 sum = 0;
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      sum += luma[y * stride + x];
  return sum / ((guint64) width * height) > FLASH_THRESHOLD;
}

/* GStreamer's view (streaming threads; each sink writes its own fields, read after NULL). */
static void
on_take_audio(GstElement *sink, GstBuffer *buffer, GstPad *pad, gpointer user_data)
{
  Timeline *timeline = user_data;
  GstMapInfo map;
  assert_true(gst_buffer_map(buffer, &map, GST_MAP_READ));
  gint64 loud = first_loud_sample((const gint16 *) map.data, map.size / 2, 1);
  if (timeline->beep_ns < 0 && loud >= 0)
    timeline->beep_ns = (gint64) GST_BUFFER_PTS(buffer) +
                        (gint64) gst_util_uint64_scale(loud, GST_SECOND, 48000);
  timeline->audio_end_ns = (gint64) (GST_BUFFER_PTS(buffer) +
                                     gst_util_uint64_scale(map.size / 2, GST_SECOND, 48000));
  gst_buffer_unmap(buffer, &map);
}

static void
on_take_frame(GstElement *sink, GstBuffer *buffer, GstPad *pad, gpointer user_data)
{
  Timeline *timeline = user_data;
  GstMapInfo map;
  assert_true(gst_buffer_map(buffer, &map, GST_MAP_READ));
  if (timeline->flash_ns < 0 && is_white(map.data, WIDTH, WIDTH, HEIGHT))
    timeline->flash_ns = (gint64) GST_BUFFER_PTS(buffer);
  timeline->video_end_ns = (gint64) (GST_BUFFER_PTS(buffer) + GST_BUFFER_DURATION(buffer));
  gst_buffer_unmap(buffer, &map);
}

/* The take as the renditions read it: matroskademux, opusdec and the video decoder. */
static Timeline
decode_take(const char *path)
{
  Timeline timeline = { -1, -1, -1, -1 };
  g_autofree char *description = g_strdup_printf(
      "filesrc location=%s ! matroskademux name=demux "
      "demux.audio_0 ! queue ! opusdec ! audioconvert ! audio/x-raw,format=S16LE,rate=48000,channels=1 ! "
      "fakesink name=audio signal-handoffs=true sync=false "
      "demux.video_0 ! queue ! decodebin ! videoconvert ! video/x-raw,format=I420 ! "
      "fakesink name=video signal-handoffs=true sync=false",
      path);
  g_autoptr(GstElement) pipeline = gst_parse_launch(description, NULL);
  assert_non_null(pipeline);
  g_autoptr(GstElement) audio = gst_bin_get_by_name(GST_BIN(pipeline), "audio");
  g_autoptr(GstElement) video = gst_bin_get_by_name(GST_BIN(pipeline), "video");
  g_signal_connect(audio, "handoff", G_CALLBACK(on_take_audio), &timeline);
  g_signal_connect(video, "handoff", G_CALLBACK(on_take_frame), &timeline);
  rendition_test_run_to_eos(pipeline, description);
  return timeline;
}

static gint64
to_ns(gint64 value, AVRational time_base)
{
  return av_rescale_q(value, time_base, (AVRational){ 1, 1000000000 });
}

static void
read_frames(AVCodecContext *decoder, AVStream *stream, AVFrame *frame, Timeline *timeline)
{
  while (avcodec_receive_frame(decoder, frame) >= 0) {
    gint64 pts = frame->best_effort_timestamp != AV_NOPTS_VALUE ? frame->best_effort_timestamp
                                                                : frame->pts;
    gint64 pts_ns = to_ns(pts, stream->time_base);
    if (stream->codecpar->codec_type == AVMEDIA_TYPE_AUDIO) {
      assert_int_equal(frame->format, AV_SAMPLE_FMT_FLTP); /* FFmpeg's AAC decoder */
      gint64 loud = -1;
      const float *left = (const float *) frame->extended_data[0];
      for (int i = 0; i < frame->nb_samples && loud < 0; i++)
        if (left[i] > BEEP_THRESHOLD / 32768.0f || left[i] < -BEEP_THRESHOLD / 32768.0f)
          loud = i;
      if (timeline->beep_ns < 0 && loud >= 0)
        timeline->beep_ns = pts_ns + av_rescale(loud, 1000000000, frame->sample_rate);
    } else {
      assert_int_equal(frame->format, AV_PIX_FMT_YUV420P);
      if (timeline->flash_ns < 0 &&
          is_white(frame->data[0], frame->linesize[0], frame->width, frame->height))
        timeline->flash_ns = pts_ns;
      gint64 duration = frame->pkt_duration > 0
                            ? frame->pkt_duration
                            : av_rescale_q(1, av_inv_q(stream->avg_frame_rate), stream->time_base);
      timeline->video_end_ns = to_ns(pts + duration, stream->time_base);
    }
    av_frame_unref(frame);
  }
}

/* The MP4 as players decode it: libavformat (edit lists applied) and libavcodec (skip samples). */
static Timeline
decode_mp4(const char *path)
{
  Timeline timeline = { -1, -1, -1, -1 };
  AVFormatContext *format = NULL;
  assert_int_equal(avformat_open_input(&format, path, NULL, NULL), 0);
  assert_true(avformat_find_stream_info(format, NULL) >= 0);
  AVCodecContext *decoders[4] = { 0 };
  for (unsigned i = 0; i < format->nb_streams && i < G_N_ELEMENTS(decoders); i++) {
    const AVCodec *codec = avcodec_find_decoder(format->streams[i]->codecpar->codec_id);
    assert_non_null(codec);
    decoders[i] = avcodec_alloc_context3(codec);
    avcodec_parameters_to_context(decoders[i], format->streams[i]->codecpar);
    decoders[i]->pkt_timebase = format->streams[i]->time_base;
    assert_int_equal(avcodec_open2(decoders[i], codec, NULL), 0);
  }
  AVPacket *packet = av_packet_alloc();
  AVFrame *frame = av_frame_alloc();
  while (av_read_frame(format, packet) >= 0) {
    unsigned i = packet->stream_index;
    if (i < G_N_ELEMENTS(decoders) && decoders[i] != NULL) {
      /* Audio ends where its last sample's duration (stts) says: the decoder outputs whole AAC frames. */
      AVStream *stream = format->streams[i];
      if (stream->codecpar->codec_type == AVMEDIA_TYPE_AUDIO && packet->pts != AV_NOPTS_VALUE)
        timeline.audio_end_ns = MAX(timeline.audio_end_ns,
                                    to_ns(packet->pts + packet->duration, stream->time_base));
      assert_true(avcodec_send_packet(decoders[i], packet) >= 0);
      read_frames(decoders[i], format->streams[i], frame, &timeline);
    }
    av_packet_unref(packet);
  }
  for (unsigned i = 0; i < G_N_ELEMENTS(decoders); i++) {
    if (decoders[i] == NULL)
      continue;
    avcodec_send_packet(decoders[i], NULL);
    read_frames(decoders[i], format->streams[i], frame, &timeline);
    avcodec_free_context(&decoders[i]);
  }
  av_frame_free(&frame);
  av_packet_free(&packet);
  avformat_close_input(&format);
  return timeline;
}

/* ---- the edit list -------------------------------------------------------------------------------- */

static guint32
be32(const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

static guint64
be64(const guint8 *p)
{
  return (guint64) be32(p) << 32 | be32(p + 4);
}

/* The child box of data[0..length) with this type (its payload), or NULL.  32-bit sizes only: the
 * renditions of these takes are small. */
static const guint8 *
find_box(const guint8 *data, gsize length, const char *type, gsize *payload_length)
{
  for (gsize offset = 0; offset + 8 <= length;) {
    gsize size = be32(data + offset);
    if (size < 8 || size > length - offset)
      return NULL;
    if (memcmp(data + offset + 4, type, 4) == 0) {
      *payload_length = size - 8;
      return data + offset + 8;
    }
    offset += size;
  }
  return NULL;
}

typedef struct {
  guint entries;
  gint64 media_time;       /* of the last entry (the one that plays media), media timescale */
  guint64 edited_duration; /* sum of the segment durations (where the track ends), movie timescale */
  guint64 media_segment;   /* the last entry's segment duration, movie timescale */
  guint32 movie_timescale, media_timescale;
  guint64 media_duration; /* mdhd */
} EditList;

/* The audio track's edit list, read from the file's bytes.  Fails the test if it has none. */
static EditList
audio_edit_list(const char *path)
{
  g_autofree guint8 *data = NULL;
  gsize length = 0, moov_length = 0, mvhd_length = 0;
  assert_true(g_file_get_contents(path, (char **) &data, &length, NULL));
  const guint8 *moov = find_box(data, length, "moov", &moov_length);
  assert_non_null(moov);
  const guint8 *mvhd = find_box(moov, moov_length, "mvhd", &mvhd_length);
  assert_non_null(mvhd);
  EditList edits = { 0 };
  edits.movie_timescale = be32(mvhd + (mvhd[0] == 1 ? 20 : 12));
  for (gsize offset = 0; offset + 8 <= moov_length;) {
    gsize size = be32(moov + offset), trak_length = size - 8, mdia_length = 0, hdlr_length = 0;
    assert_true(size >= 8 && size <= moov_length - offset);
    const guint8 *trak = moov + offset + 8;
    offset += size;
    if (memcmp(trak - 4, "trak", 4) != 0)
      continue;
    const guint8 *mdia = find_box(trak, trak_length, "mdia", &mdia_length);
    assert_non_null(mdia);
    const guint8 *hdlr = find_box(mdia, mdia_length, "hdlr", &hdlr_length);
    if (hdlr == NULL || memcmp(hdlr + 8, "soun", 4) != 0)
      continue;
    gsize mdhd_length = 0, edts_length = 0, elst_length = 0;
    const guint8 *mdhd = find_box(mdia, mdia_length, "mdhd", &mdhd_length);
    assert_non_null(mdhd);
    edits.media_timescale = be32(mdhd + (mdhd[0] == 1 ? 20 : 12));
    edits.media_duration = mdhd[0] == 1 ? be64(mdhd + 24) : be32(mdhd + 16);
    const guint8 *edts = find_box(trak, trak_length, "edts", &edts_length);
    if (edts == NULL)
      fail_msg("%s: the audio track has no edit list", path);
    const guint8 *elst = find_box(edts, edts_length, "elst", &elst_length);
    assert_non_null(elst);
    gboolean wide = elst[0] == 1;
    edits.entries = be32(elst + 4);
    const guint8 *entry = elst + 8;
    for (guint i = 0; i < edits.entries; i++, entry += wide ? 20 : 12) {
      assert_true(entry + (wide ? 20 : 12) <= elst + elst_length);
      edits.media_segment = wide ? be64(entry) : be32(entry);
      edits.edited_duration += edits.media_segment;
      edits.media_time = wide ? (gint64) be64(entry + 8) : (gint32) be32(entry + 4);
    }
    return edits;
  }
  fail_msg("%s: no audio track", path);
  return edits;
}

/* ---- the checks ----------------------------------------------------------------------------------- */

static GPtrArray *
make_or_fail(const char *profile_name, const char *input, const char *out_dir)
{
  return rendition_test_make(takes.profiles, profile_name, input, out_dir);
}

/* Prints the measure; a miss is added to failures (the test fails after every measure is printed). */
static void
check_near(GString *failures, const char *what, gint64 value_ns, gint64 expected_ns,
           gint64 tolerance_ns)
{
  gboolean ok = llabs(value_ns - expected_ns) <= tolerance_ns;
  print_message("  %-30s %9.3f ms (expected %.3f +- %.1f)%s\n", what, value_ns / 1e6,
                expected_ns / 1e6, tolerance_ns / 1e6, ok ? "" : "  <- off");
  if (!ok)
    g_string_append_printf(failures, "%s%s at %.3f ms", failures->len ? "; " : "", what,
                           value_ns / 1e6);
}

/* video.mp4 of take (profile) presents the beep and the flash at EVENT_NS, its streams end where the
 * take's do, and its audio edit list starts the media after the priming. */
static void
check_in_sync(const char *take, const char *profile, gboolean with_video, const char *out_dir)
{
  g_autoptr(GString) failures = g_string_new(NULL);
  Timeline source = decode_take(take);
  /* The fixture: the take has the events where it was told to (GStreamer's Opus path is sample exact). */
  check_near(failures, "take: beep", source.beep_ns, EVENT_NS, GST_MSECOND / 2);
  check_near(failures, "take: flash", source.flash_ns, EVENT_NS, GST_MSECOND / 2);

  g_autoptr(GPtrArray) renditions = make_or_fail(profile, take, out_dir);
  const ImsRendition *mp4 = renditions->pdata[0];
  assert_int_equal(mp4->kind, IMS_RENDITION_MP4);
  Timeline played = decode_mp4(mp4->path);
  /* A few ms: the beep's first loud sample is within a quarter period of 1 kHz. */
  check_near(failures, "mp4: beep", played.beep_ns, EVENT_NS, 2 * GST_MSECOND);
  if (with_video) {
    check_near(failures, "mp4: flash", played.flash_ns, EVENT_NS, GST_MSECOND);
    check_near(failures, "mp4: beep - flash", played.beep_ns - played.flash_ns, 0, 2 * GST_MSECOND);
    check_near(failures, "mp4: video end", played.video_end_ns, source.video_end_ns,
               5 * GST_MSECOND);
  }
  gint64 take_end_ns = MAX(source.audio_end_ns, with_video ? source.video_end_ns : 0);
  check_near(failures, "mp4: duration (mvhd)", mp4->duration_ms * GST_MSECOND, take_end_ns,
             5 * GST_MSECOND);

  EditList edits = audio_edit_list(mp4->path);
  print_message("  audio elst: %u entries, media_time %" G_GINT64_FORMAT
                "/%u, media edit %" G_GUINT64_FORMAT "/%u, ends at %" G_GUINT64_FORMAT
                "/%u, media %" G_GUINT64_FORMAT "/%u; last packet ends at %.3f ms\n",
                edits.entries, edits.media_time, edits.media_timescale, edits.media_segment,
                edits.movie_timescale, edits.edited_duration, edits.movie_timescale,
                edits.media_duration, edits.media_timescale, played.audio_end_ns / 1e6);
  if (edits.media_timescale != 48000 || edits.media_time != AAC_PRIMING_SAMPLES)
    g_string_append_printf(
        failures, "%saudio elst media_time %" G_GINT64_FORMAT "/%u, expected %d/48000",
        failures->len ? "; " : "", edits.media_time, edits.media_timescale, AAC_PRIMING_SAMPLES);
  /* The media edit plays the media from the priming to its end, no more; the audio track ends (its
   * edits' total) where the take's audio does. */
  gint64 segment_ns = (gint64) gst_util_uint64_scale(edits.media_segment, GST_SECOND,
                                                     edits.movie_timescale);
  gint64 media_after_priming_ns = (gint64) gst_util_uint64_scale(
      edits.media_duration - AAC_PRIMING_SAMPLES, GST_SECOND, edits.media_timescale);
  check_near(failures, "audio elst: media edit", segment_ns, media_after_priming_ns,
             GST_SECOND / edits.movie_timescale + 1);
  gint64 audio_end_ns = (gint64) gst_util_uint64_scale(edits.edited_duration, GST_SECOND,
                                                       edits.movie_timescale);
  check_near(failures, "mp4: audio end (edit list)", audio_end_ns, source.audio_end_ns,
             5 * GST_MSECOND);
  if (failures->len > 0)
    fail_msg("%s", failures->str);
}

/* ---- setup ---------------------------------------------------------------------------------------- */

static int
group_setup(void **state)
{
  gst_init(NULL, NULL);
  memset(&takes, 0, sizeof takes);
  takes.directory = g_dir_make_tmp("test-rendition-sync-XXXXXX", NULL);
  assert_non_null(takes.directory);
  g_autoptr(GError) error = NULL;
  takes.profiles = ims_profile_set_load_file(IMSD_SOURCE_DIR "/etc/profiles.ini", &error);
  if (takes.profiles == NULL)
    fail_msg("%s", error->message);
  /* As browsers send them: H.264 without B-frames (remux), VP8 (transcode). */
  const char *h264 = "x264enc speed-preset=ultrafast bframes=0 key-int-max=30 ! h264parse";
  takes.h264 = make_take("h264.mkv", h264, 0);
  takes.vp8 = make_take("vp8.mkv", "vp8enc deadline=1", 0);
  takes.late_audio = make_take("late-audio.mkv", h264, 500 * GST_MSECOND);
  return 0;
}

static int
group_teardown(void **state)
{
  char *files[] = { takes.h264, takes.vp8, takes.late_audio };
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
  assert_non_null(g_mkdtemp(fixture->out_dir));
  *state = fixture;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *fixture = *state;
  ims_spool_remove(fixture->out_dir);
  g_free(fixture->out_dir);
  g_free(fixture);
  return 0;
}

/* ---- tests ---------------------------------------------------------------------------------------- */

static void
test_remuxed_mp4_is_in_sync(void **state)
{
  Fixture *fixture = *state;
  check_in_sync(takes.h264, "default", TRUE, fixture->out_dir);
}

static void
test_transcoded_mp4_is_in_sync(void **state)
{
  Fixture *fixture = *state;
  check_in_sync(takes.vp8, "default", TRUE, fixture->out_dir);
}

/* The priming is trimmed from the media edit that follows the empty one. */
static void
test_late_audio_stays_in_sync(void **state)
{
  Fixture *fixture = *state;
  check_in_sync(takes.late_audio, "default", TRUE, fixture->out_dir);
}

static void
test_audio_only_mp4_starts_on_time(void **state)
{
  Fixture *fixture = *state;
  check_in_sync(takes.h264, "audio-only", FALSE, fixture->out_dir);
}

/* Renames the first box of this type in the file's bytes (same size: nothing moves).  FALSE if none. */
static gboolean
rename_box(guint8 *data, gsize length, const char *type, const char *new_type)
{
  for (gsize at = 4; at + 4 <= length; at++)
    if (memcmp(data + at, type, 4) == 0) {
      memcpy(data + at, new_type, 4);
      return TRUE;
    }
  return FALSE;
}

/* ims_mp4_inspect() on an MP4 as mp4mux writes it: read only, trimmed, and left alone when the audio
 * track has no edit list to trim. */
static void
test_inspect_trims_only_what_it_can(void **state)
{
  Fixture *fixture = *state;
  g_autofree char *path = g_build_filename(fixture->out_dir, "muxed.mp4", NULL);
  g_autofree char *description = g_strdup_printf(
      "filesrc location=%s ! matroskademux ! opusdec ! audioconvert ! audioresample ! avenc_aac ! aacparse ! "
      "mp4mux faststart=true ! filesink location=%s",
      takes.h264, path);
  g_autoptr(GstElement) pipeline = gst_parse_launch(description, NULL);
  assert_non_null(pipeline);
  rendition_test_run_to_eos(pipeline, description);
  g_autofree guint8 *muxed = NULL;
  gsize length = 0;
  assert_true(g_file_get_contents(path, (char **) &muxed, &length, NULL));

  ImsMp4Info info;
  g_autoptr(GError) error = NULL;
  assert_true(ims_mp4_inspect(path, NULL, &info, &error));
  assert_true(info.has_audio);
  assert_false(info.has_video);
  assert_int_equal(info.audio_media_time, 0); /* mp4mux: the priming plays */
  gint64 untrimmed_ms = info.duration_ms;
  assert_true(untrimmed_ms >= 2020);

  ImsMp4Rewrite rewrite = { .audio_priming_samples = AAC_PRIMING_SAMPLES };
  assert_true(ims_mp4_inspect(path, &rewrite, &info, &error));
  assert_int_equal(info.audio_media_time, AAC_PRIMING_SAMPLES);
  assert_int_equal(info.duration_ms, 2000);
  assert_true(ims_mp4_inspect(path, NULL, &info, &error)); /* written to the file */
  assert_int_equal(info.audio_media_time, AAC_PRIMING_SAMPLES);
  assert_int_equal(info.duration_ms, 2000);

  /* Without an edit list (the edts box hidden as free space) nothing is changed. */
  assert_true(rename_box(muxed, length, "edts", "free"));
  assert_true(g_file_set_contents(path, (const char *) muxed, length, NULL));
  assert_true(ims_mp4_inspect(path, &rewrite, &info, &error));
  assert_int_equal(info.audio_media_time, -1);
  assert_int_equal(info.duration_ms, untrimmed_ms);
  g_autofree guint8 *after = NULL;
  gsize after_length = 0;
  assert_true(g_file_get_contents(path, (char **) &after, &after_length, NULL));
  assert_int_equal(after_length, length);
  assert_memory_equal(after, muxed, length);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_remuxed_mp4_is_in_sync, setup, teardown),
    cmocka_unit_test_setup_teardown(test_transcoded_mp4_is_in_sync, setup, teardown),
    cmocka_unit_test_setup_teardown(test_late_audio_stays_in_sync, setup, teardown),
    cmocka_unit_test_setup_teardown(test_audio_only_mp4_starts_on_time, setup, teardown),
    cmocka_unit_test_setup_teardown(test_inspect_trims_only_what_it_can, setup, teardown),
  };
  return cmocka_run_group_tests_name("rendition-sync", tests, group_setup, group_teardown);
}
