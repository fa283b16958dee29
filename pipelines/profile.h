/* profile.h: interview-type profiles, loaded from a config file.
 *
 * A profile names what one kind of interview needs from the media path: the
 * codecs and capture limits asked of the browser, the answer limits, and the
 * renditions made from every take (MP4 H.264/AAC, JPEG thumbnail, 16 kHz mono
 * WAV for transcription).  Profiles live in an INI file (etc/profiles.ini),
 * one group per profile:
 *
 *   [profile default]
 *   ingest_codecs=h264,vp8
 *   max_height=720
 *   ...
 *
 * Every key of every group is checked at load: an unknown group or key, or a
 * bad value, fails the whole load with the file, line and key named.  Keys a
 * group leaves out take the defaults listed in etc/profiles.ini's header.
 * Immutable once loaded; safe to read from any thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  IMS_PROFILE_CODEC_H264 = 1 << 0,
  IMS_PROFILE_CODEC_VP8 = 1 << 1,
} ImsProfileCodecs;

typedef struct {
  char *name;

  /* ingest: what the browser is asked for and what is accepted */
  guint ingest_codecs; /* ImsProfileCodecs bits, at least one */
  int max_width;       /* capture constraints sent to the browser */
  int max_height;
  int max_frame_rate;
  gboolean video; /* FALSE: audio-only interview (no video rendition, no thumbnail) */

  /* answers */
  int max_answer_seconds; /* longest timeLimitSeconds a question may ask */
  int max_retakes;        /* most maxRetakes a session may ask */

  /* MP4 rendition (video.mp4, moov before mdat) */
  char *h264_profile;     /* "constrained-baseline", "baseline", "main" or "high" */
  char *h264_level;       /* "3.0", "3.1", "4.0", "4.1", ... */
  int mp4_max_height;     /* taller input is scaled down (transcode) */
  int video_bitrate_kbps; /* x264 target bitrate; 0 = constant quality */
  int video_quality;      /* x264 quantizer (0..51) when video_bitrate_kbps is 0 */
  int aac_bitrate_kbps;

  /* thumbnail (thumb.jpg) */
  double thumbnail_offset_seconds; /* taken at this time, or the last frame of a shorter take */
  int thumbnail_width;             /* height follows the aspect ratio */
  int thumbnail_quality;           /* JPEG quality 1..100 */

  /* transcription audio (audio-16k.wav, 16 kHz mono S16LE) */
  gboolean transcription_wav;
} ImsProfile;

typedef struct _ImsProfileSet ImsProfileSet;

/* Loads and checks every profile in the file.  NULL with IMS_PROFILE_ERROR
 * naming the file, line and key otherwise.  Transfer full. */
ImsProfileSet *ims_profile_set_load_file(const char *path, GError **error);
/* The same from memory; source_name is used in messages. */
ImsProfileSet *ims_profile_set_load_data(const char *data, gsize length, const char *source_name,
                                         GError **error);
void ims_profile_set_free(ImsProfileSet *set);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsProfileSet, ims_profile_set_free)

/* NULL if there is no profile of that name.  Transfer none. */
const ImsProfile *ims_profile_set_lookup(const ImsProfileSet *set, const char *name);
/* Names in file order, NULL-terminated.  Transfer none. */
const char *const *ims_profile_set_get_names(const ImsProfileSet *set);

#define IMS_PROFILE_ERROR (ims_profile_error_quark())
GQuark ims_profile_error_quark(void);
typedef enum {
  IMS_PROFILE_ERROR_PARSE,
  IMS_PROFILE_ERROR_UNKNOWN_KEY,
  IMS_PROFILE_ERROR_BAD_VALUE,
  IMS_PROFILE_ERROR_EMPTY,
} ImsProfileError;

G_END_DECLS
