/* take-inspect.h: what a recorded take really holds, found by decoding it.
 *
 * A take cut by a crash (kill -9 mid-take) has no Matroska duration, and
 * imsd never learnt its codecs, size or length: the recorder that knew died.
 * Decoding the file answers for it.  Used by the processor for takes whose
 * record lacks them (server/processing/processor.c) and by tests/tools/take-probe.
 *
 * One call is one pipeline on the calling thread (filesrc ! matroskademux,
 * each stream -> decodebin -> fakesink), its bus polled: no GMainContext, so
 * processing workers can inspect takes side by side.  Thread-safe.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  gboolean has_video, has_audio; /* the demuxer exposed such a stream */
  char *video_codec; /* "H264", "VP8" (as takes.video_codec) or the caps name; NULL if none */
  char *audio_codec; /* "OPUS" or the caps name; NULL if none */
  int width, height; /* of the video track; 0 without video */
  gboolean first_video_keyframe; /* the first encoded video buffer is a keyframe */
  guint64 decoded_video_frames;
  guint64 decoded_audio_samples;
  gint64 duration_ms; /* last decoded end - first decoded pts, over every stream */
  gboolean eos;       /* decoded to the end (a crash-cut file may end in an error) */
  char *error;        /* the first GStreamer error ("element: message"), NULL if none */
} ImsTakeMedia;

void ims_take_media_clear(ImsTakeMedia *media);

/* Decodes the Matroska file at path into *media (cleared first; call
 * ims_take_media_clear after, whatever the result).  Blocking, bounded by
 * timeout_seconds.  TRUE if anything decoded: a crash-truncated file decodes
 * up to the cut, and an error after decoded data only shows in media->error.
 * FALSE with IMS_RENDITION_ERROR_INPUT ("the take file is missing", "... is
 * empty", "no decodable media: ...") otherwise. */
gboolean ims_take_inspect(const char *path, double timeout_seconds, ImsTakeMedia *media,
                          GError **error);

G_END_DECLS
