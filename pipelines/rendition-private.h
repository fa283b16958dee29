/* rendition-private.h: reading back the files rendition.c produced (rendition-inspect.c). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  gboolean moov_before_mdat;  /* fast start: the index precedes the media data */
  gint64 duration_ms;         /* mvhd duration */
  int width, height;          /* the first video track's tkhd size; 0 without video */
  gboolean has_video, has_audio;
} ImsMp4Info;

/* Reads the top-level boxes and moov of an MP4 file.  With zero_times, the creation and modification
 * times of mvhd, tkhd and mdhd are overwritten with 0 in place (mp4mux writes the wall clock there, the
 * only bytes that differ between two runs over the same take).  FALSE with an error if the file is not
 * an MP4 with one moov and one mdat. */
gboolean ims_mp4_inspect(const char *path, gboolean zero_times, ImsMp4Info *info, GError **error);

typedef struct {
  int rate, channels, bits;
  gint64 duration_ms;  /* data size / byte rate */
} ImsWavInfo;

/* Reads a RIFF/WAVE header (fmt and data chunks).  FALSE with an error if it is not one. */
gboolean ims_wav_inspect(const char *path, ImsWavInfo *info, GError **error);

G_END_DECLS
