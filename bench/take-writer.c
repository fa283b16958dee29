/* bench/take-writer.c: CPU per frame of the take writer (pipelines/ingest/take-writer.c).
 *
 *   build/bench/take-writer [seconds] [rounds]      (defaults 5 s of media, 5 rounds)
 *
 * Encodes `seconds` of 1280x720 30 fps H.264 (x264enc, ~2.5 Mbit/s, a keyframe every 2 s) and 48 kHz
 * stereo Opus in 20 ms frames (50 fps) with GStreamer into memory first, then, per round, writes them
 * into a fresh take in a temporary directory (interleaved by timestamp, as the media loop would) and
 * measures the process CPU time from open to close.  Rounds are repeated for video only and audio only
 * too, to split the cost.  Prints µs per frame (median round), what that is in % of one core for one
 * candidate's 30 + 50 frames per second, and the file's overhead over the frames' bytes (Matroska
 * elements, cues).  Never fails on time.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "take-writer.h"
#include "../tests/unit/media-fixture.h"

#define MS G_GINT64_CONSTANT(1000000)

static double
cpu_seconds(void)
{
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static int
compare_doubles(const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

typedef struct {
  double cpu_seconds;
  gint64 file_bytes;
  guint64 frame_bytes;
  guint frames;
} Round;

static Round
write_take(const char *path, GPtrArray *video, GPtrArray *audio)
{
  ImsTakeWriterConfig config = {
    .video_codec = video ? IMS_MEDIA_CODEC_H264 : IMS_MEDIA_CODEC_NONE,
    .audio_codec = audio ? IMS_MEDIA_CODEC_OPUS : IMS_MEDIA_CODEC_NONE,
  };
  Round r = { 0 };
  guint vn = video ? video->len : 0, an = audio ? audio->len : 0, i = 0, j = 0;
  double start = cpu_seconds();
  g_autoptr(GError) error = NULL;
  ImsTakeWriter *w = ims_take_writer_open(path, &config, &error);
  if (!w)
    g_error("%s", error->message);
  while (i < vn || j < an) {
    gint64 vt = i < vn ? (gint64) i * 1000000000 / 30 : G_MAXINT64;
    gint64 at = j < an ? (gint64) j * 20 * MS : G_MAXINT64;
    gboolean is_video = vt <= at;
    const ImsTestBuffer *b = g_ptr_array_index(is_video ? video : audio, is_video ? i++ : j++);
    gsize size;
    const guint8 *data = g_bytes_get_data(b->data, &size);
    if (!ims_take_writer_write(w, is_video ? IMS_TRACK_VIDEO : IMS_TRACK_AUDIO, data, size,
                               is_video ? vt : at, b->keyframe, &error))
      g_error("%s", error->message);
    r.frame_bytes += size;
    r.frames++;
  }
  if (!ims_take_writer_close(w, &error))
    g_error("%s", error->message);
  ims_take_writer_free(w);
  r.cpu_seconds = cpu_seconds() - start;
  GStatBuf st;
  r.file_bytes = g_stat(path, &st) == 0 ? st.st_size : -1;
  return r;
}

static Round
median_round(const char *path, GPtrArray *video, GPtrArray *audio, int rounds)
{
  double times[64];
  Round r = { 0 };
  for (int k = 0; k < rounds && k < 64; k++) {
    r = write_take(path, video, audio);
    times[k] = r.cpu_seconds;
  }
  qsort(times, rounds, sizeof times[0], compare_doubles);
  r.cpu_seconds = times[rounds / 2];
  return r;
}

int
main(int argc, char **argv)
{
  int seconds = argc > 1 ? atoi(argv[1]) : 5;
  int rounds = argc > 2 ? atoi(argv[2]) : 5;
  if (seconds < 1 || rounds < 1 || rounds > 64) {
    fprintf(stderr, "usage: %s [seconds] [rounds (1..64)]\n", argv[0]);
    return 2;
  }
  gst_init(&argc, &argv);
  g_autofree char *video_pipeline = g_strdup_printf(
      "videotestsrc num-buffers=%d pattern=snow ! video/x-raw,width=1280,height=720,framerate=30/1 "
      "! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=60 bitrate=2500 "
      "! video/x-h264,stream-format=byte-stream,alignment=au,profile=constrained-baseline "
      "! appsink name=sink sync=false",
      seconds * 30);
  g_autofree char *audio_pipeline = g_strdup_printf(
      "audiotestsrc num-buffers=%d samplesperbuffer=960 wave=pink-noise ! audio/x-raw,rate=48000,channels=2 "
      "! opusenc frame-size=20 bitrate=64000 ! appsink name=sink sync=false",
      seconds * 50);
  fprintf(stderr, "encoding %d s of 720p30 H.264 and Opus...\n", seconds);
  GPtrArray *video = ims_test_pull(video_pipeline, "sink", FALSE);
  GPtrArray *audio = ims_test_pull(audio_pipeline, "sink", FALSE);

  g_autofree char *dir = g_dir_make_tmp("bench-take-writer-XXXXXX", NULL);
  g_autofree char *path = g_build_filename(dir, "take.mkv", NULL);
  write_take(path, video, audio); /* warm-up */
  Round both = median_round(path, video, audio, rounds);
  Round video_only = median_round(path, video, NULL, rounds);
  Round audio_only = median_round(path, NULL, audio, rounds);
  g_unlink(path);
  g_rmdir(dir);

  guint64 video_bytes = video_only.frame_bytes;
  printf("take writer, %d s of media, median of %d rounds (process CPU time, open to close)\n",
         seconds, rounds);
  printf("  media: %u H.264 720p30 frames (%.0f kbit/s), %u Opus frames (%.0f kbit/s)\n",
         video->len, video_bytes * 8.0 / seconds / 1000, audio->len,
         audio_only.frame_bytes * 8.0 / seconds / 1000);
  printf(
      "  video + audio: %.2f us/frame (%u frames), %.3f %% of one core per candidate (30 + 50 fps)\n",
      both.cpu_seconds * 1e6 / both.frames, both.frames, both.cpu_seconds * 100.0 / seconds);
  printf("  video only:    %.2f us/frame\n", video_only.cpu_seconds * 1e6 / video_only.frames);
  printf("  audio only:    %.2f us/frame\n", audio_only.cpu_seconds * 1e6 / audio_only.frames);
  printf("  file overhead: %" G_GINT64_FORMAT " bytes over %" G_GUINT64_FORMAT " bytes of frames "
         "(%.2f %%, %.1f bytes/frame)\n",
         both.file_bytes - (gint64) both.frame_bytes, both.frame_bytes,
         (both.file_bytes - (double) both.frame_bytes) * 100.0 / both.frame_bytes,
         (both.file_bytes - (double) both.frame_bytes) / both.frames);
  g_ptr_array_unref(video);
  g_ptr_array_unref(audio);
  return 0;
}
