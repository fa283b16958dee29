/* take-probe: decodes one recorded take and prints one line of JSON.
 *
 *   take-probe FILE
 *
 * The decoding is imsd's own (pipelines/rendition/take-inspect.c, what the processor
 * uses for takes cut by a crash): the first encoded video buffer tells
 * whether the file starts with a keyframe; the decoded buffers give frame /
 * sample counts and the duration.  Crash-truncated files (kill -9 mid-take)
 * are expected to decode up to the cut: an error is then only fatal if
 * nothing was decoded.  Exit status 0 iff "ok" is true.
 */
#define G_LOG_DOMAIN "imsd.take-probe"

#include <gst/gst.h>
#include <stdio.h>

#include "take-inspect.h"

#define DECODE_TIMEOUT_SECONDS 120

int
main(int argc, char **argv)
{
  gst_init(&argc, &argv);
  if (argc != 2) {
    fprintf(stderr, "usage: take-probe FILE\n");
    return 2;
  }
  ImsTakeMedia media;
  gboolean ok = ims_take_inspect(argv[1], DECODE_TIMEOUT_SECONDS, &media, NULL);

  GString *out = g_string_new("{");
  g_string_append_printf(out, "\"ok\":%s,\"eos\":%s,\"durationMs\":%" G_GINT64_FORMAT,
                         ok ? "true" : "false", media.eos ? "true" : "false", media.duration_ms);
  g_string_append_printf(out, ",\"hasVideo\":%s,\"hasAudio\":%s",
                         media.has_video ? "true" : "false", media.has_audio ? "true" : "false");
  if (media.video_codec != NULL)
    g_string_append_printf(out, ",\"videoCodec\":\"%s\"", media.video_codec);
  if (media.audio_codec != NULL)
    g_string_append_printf(out, ",\"audioCodec\":\"%s\"", media.audio_codec);
  g_string_append_printf(out, ",\"width\":%d,\"height\":%d,\"firstVideoFrameKeyframe\":%s",
                         media.width, media.height, media.first_video_keyframe ? "true" : "false");
  g_string_append_printf(out,
                         ",\"decodedVideoFrames\":%" G_GUINT64_FORMAT
                         ",\"decodedAudioSamples\":%" G_GUINT64_FORMAT,
                         media.decoded_video_frames, media.decoded_audio_samples);
  if (media.error != NULL) {
    g_autofree char *escaped = g_strescape(media.error, NULL);
    g_string_append_printf(out, ",\"error\":\"%s\"", escaped);
  }
  g_string_append(out, "}");
  printf("%s\n", out->str);
  g_string_free(out, TRUE);
  ims_take_media_clear(&media);
  return ok ? 0 : 1;
}
