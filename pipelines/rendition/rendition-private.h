/* rendition-private.h: what the rendition files share: running pipelines and probing takes
 * (rendition-pipeline.c), the encoders and the MP4's finish (rendition.c), reading back the files
 * rendition.c produced (rendition-inspect.c), re-timestamping a take (rendition-repair.c); composite.c
 * (a live room's composite) uses them too. */
#pragma once

#include <glib.h>
#include <gst/gst.h>

#include "profile.h"

G_BEGIN_DECLS

/* Room between a demuxer and each branch, so one stream running ahead never starves the muxer. */
#define IMS_RENDITION_BRANCH_QUEUE "queue max-size-buffers=0 max-size-bytes=0 max-size-time=10000000000"
/* The samples FFmpeg's AAC encoder (avenc_aac) puts before the first real one (its initial_padding), at
 * the encoder's rate: an MP4's audio edit list skips them (ims_rendition_finish_mp4), or the audio would
 * play 21.3 ms late at 48 kHz.  GStreamer is not told of them; test-rendition-sync measures them. */
#define IMS_RENDITION_AAC_PRIMING_SAMPLES 1024

/* What a take's Matroska track headers say (ims_rendition_probe_take). */
typedef struct {
  gboolean has_video, has_audio;
  char *video_codec; /* "h264", "vp8" or the caps name of anything else */
  int width, height;
  int fps_n, fps_d;
  char *audio_codec;     /* "opus" or the caps name */
  GstClockTime duration; /* GST_CLOCK_TIME_NONE if the file does not say */
  gint64 size_bytes;
} ImsTakeStreams;

void ims_take_streams_clear(ImsTakeStreams *info);

/* Reads the take's streams (the Matroska track headers) into *info without decoding anything (blocks
 * for the demuxer's preroll, at most 20 s).  FALSE with IMS_RENDITION_ERROR_INPUT (info cleared) if
 * the file is not a readable Matroska file with a video or audio stream, its audio is not Opus or its
 * video not H.264 or VP8. */
gboolean ims_rendition_probe_take(const char *input, ImsTakeStreams *info, GError **error);

/* How long a pipeline over media_seconds of media may run: a fixed allowance plus a multiple. */
double ims_rendition_timeout_seconds(double media_seconds);

/* The decoder of "h264" or "vp8" in gst-launch syntax (static). */
const char *ims_rendition_video_decoder(const char *video_codec);

/* value rounded to the nearest even integer, at least 2 (video dimensions). */
int ims_rendition_round_even(double value);

/* The profile's H.264 encoder for width x height at frame_rate in gst-launch syntax, from raw video
 * to parsed H.264: x264enc with one thread (the output does not depend on how many jobs run), its rate
 * control, a keyframe every 2 s, the profile's H.264 profile and the level the size needs (at least the
 * profile's).  Transfer full. */
char *ims_rendition_h264_encoder(const ImsProfile *profile, int width, int height, int frame_rate);

/* The profile's AAC encoder in gst-launch syntax, from raw audio to parsed AAC.  Transfer full. */
char *ims_rendition_aac_encoder(const ImsProfile *profile);

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

/* Finishes an MP4 mp4mux wrote with faststart (what names it in errors): its creation times zeroed,
 * the AAC priming trimmed by the audio edit list (has_audio; a warning if it cannot be), and *mp4 read
 * back.  FALSE with IMS_RENDITION_ERROR_OUTPUT if the file is not such an MP4 or its moov does not
 * precede its mdat. */
gboolean ims_rendition_finish_mp4(const char *path, const char *what, gboolean has_audio,
                                  ImsMp4Info *mp4, GError **error);

G_END_DECLS
