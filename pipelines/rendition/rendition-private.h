/* rendition-private.h: what the rendition files share: running pipelines (rendition.c), reading back
 * the files rendition.c produced (rendition-inspect.c), re-timestamping a take (rendition-repair.c). */
#pragma once

#include <glib.h>
#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct {
  gboolean moov_before_mdat; /* fast start: the index precedes the media data */
  gint64 duration_ms;        /* mvhd duration (after the rewrite, if any) */
  int width, height;         /* the first video track's tkhd size; 0 without video */
  gboolean has_video, has_audio;
  gint64 audio_media_time; /* the audio track's media edit: where its media starts playing (its media
                               * timescale; after the rewrite); -1 without audio or edit list */
} ImsMp4Info;

/* What ims_mp4_inspect() rewrites in the moov, in place (box sizes kept: nothing else moves). */
typedef struct {
  /* The creation and modification times of mvhd, tkhd and mdhd become 0 (mp4mux writes the wall
   * clock there, the only bytes that differ between two runs over the same take). */
  gboolean zero_times;
  /* The first samples of the audio track that are the encoder's priming (at the track's sample rate;
   * 0: none).  The audio track's media edit (elst) then starts that much later in the media and lasts
   * that much less, so players start the audio at its first real sample, where the take had it; the
   * track's and the movie's durations follow. */
  guint audio_priming_samples;
} ImsMp4Rewrite;

/* Reads the top-level boxes and moov of an MP4 file, and applies rewrite to the moov (NULL: reads
 * only).  The priming is trimmed only from an audio track whose edit list has one media edit (after at
 * most one empty edit) and whose media is longer than the priming; otherwise that part of the rewrite
 * is not done (info->audio_media_time tells what the file has).  FALSE with an error if the file is
 * not an MP4 with one moov and one mdat, or cannot be rewritten; the file may be half rewritten then. */
gboolean ims_mp4_inspect(const char *path, const ImsMp4Rewrite *rewrite, ImsMp4Info *info,
                         GError **error);

typedef struct {
  int rate, channels, bits;
  gint64 duration_ms; /* data size / byte rate */
} ImsWavInfo;

/* Reads a RIFF/WAVE header (fmt and data chunks).  FALSE with an error if it is not one. */
gboolean ims_wav_inspect(const char *path, ImsWavInfo *info, GError **error);

/* Builds a pipeline from a gst-launch description; elements named "src" / "sink" get location set (input,
 * output: NULL leaves them).  NULL with IMS_RENDITION_ERROR_PIPELINE naming what and the missing element
 * otherwise.  Transfer full. */
GstElement *ims_rendition_build_pipeline(const char *what, const char *description,
                                         const char *input, const char *output, GError **error);

/* Plays pipeline until EOS, an "ims-stop" application message, an error or timeout_seconds, then sets it
 * to NULL.  Blocks the calling thread (no GMainContext).  FALSE with an IMS_RENDITION_ERROR naming what,
 * the element and the GStreamer message otherwise. */
gboolean ims_rendition_run_pipeline(GstElement *pipeline, const char *what, double timeout_seconds,
                                    GError **error);

/* Copies the Matroska take input to output (Matroska) with every stream's timestamps made strictly
 * increasing: a buffer stamped at or before the previous one of its stream is moved 1 ms after it, and
 * its DTS is its PTS.  No decoding.  *fixed gets how many buffers were moved (0: the take's timestamps
 * were fine and the copy cannot help).  Blocking, bounded by timeout_seconds.  FALSE with an
 * IMS_RENDITION_ERROR otherwise; output is removed then. */
gboolean ims_rendition_repair_timestamps(const char *input, const char *output, gboolean has_video,
                                         gboolean has_audio, double timeout_seconds, guint *fixed,
                                         GError **error);

G_END_DECLS
