/* rendition.h: the files made from one take for reviewers and the platform.
 *
 * From a take's Matroska file (complete, or cut by a crash) and a profile:
 *   video.mp4      H.264 + AAC, moov before mdat (fast start).  Made by remux
 *                  when the take is H.264 within the profile's limits (no
 *                  re-encode), by transcode (x264) otherwise; Opus becomes AAC.
 *                  Audio only for an audio-only profile.  The audio edit
 *                  list skips the AAC encoder's priming, so the audio plays
 *                  where the take has it (docs/renditions.md).
 *   thumb.jpg      one frame at the profile's offset, its width (video profiles)
 *   audio-16k.wav  16 kHz mono S16LE, when the profile asks for it
 *
 * Each rendition is one GStreamer pipeline run to EOS on the calling thread
 * (a worker of the processing pool, never the main loop).  Encoders run with a
 * fixed thread count so the output does not depend on how many jobs run at
 * once.  Thread-safe: jobs share nothing.
 */
#pragma once

#include <glib.h>

#include "profile.h"

G_BEGIN_DECLS

typedef enum {
  IMS_RENDITION_MP4,
  IMS_RENDITION_THUMBNAIL,
  IMS_RENDITION_WAV,
} ImsRenditionKind;

typedef struct {
  ImsRenditionKind kind;
  char *path;               /* the output file in out_dir */
  const char *file_name;    /* "video.mp4", "thumb.jpg", "audio-16k.wav" (static) */
  const char *content_type; /* "video/mp4", "image/jpeg", "audio/wav" (static) */
  gint64 size_bytes;
  gint64 duration_ms;  /* mp4 and wav; 0 for the thumbnail */
  int width, height;   /* mp4 video and thumbnail; 0 otherwise */
  gboolean transcoded; /* mp4: TRUE if the video was re-encoded */
  gboolean repaired; /* made from a re-timestamped copy of the take (its timestamps were not increasing) */
} ImsRendition;

void ims_rendition_free(ImsRendition *rendition);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsRendition, ims_rendition_free)

/* The contract kind names: "video/mp4", "thumbnail", "audio/wav-16k". */
const char *ims_rendition_kind_to_string(ImsRenditionKind kind);

/* Makes every rendition the profile asks for from input into out_dir (which
 * must exist).  Blocking.  If a rendition fails for another reason than the
 * output (IMS_RENDITION_ERROR_OUTPUT), the take's timestamps are checked and,
 * when some were not increasing, every rendition is made again from a
 * re-timestamped copy (each flagged repaired; the copy, in out_dir, is removed).
 * Returns a GPtrArray of ImsRendition* (free func set; transfer full), or NULL
 * with an error naming the rendition and the GStreamer message (of both
 * attempts when a repair was tried); outputs of a failed call are removed. */
GPtrArray *ims_renditions_make(const ImsProfile *profile, const char *input, const char *out_dir,
                               GError **error);

/* Builds (without running) every pipeline the profile would use, so a broken
 * profile or a missing plugin is found at start-up.  FALSE with an error
 * naming the profile and the element otherwise. */
gboolean ims_renditions_check_profile(const ImsProfile *profile, GError **error);

#define IMS_RENDITION_ERROR (ims_rendition_error_quark())
GQuark ims_rendition_error_quark(void);
typedef enum {
  IMS_RENDITION_ERROR_INPUT,    /* the take cannot be read (no streams, corrupt) */
  IMS_RENDITION_ERROR_PIPELINE, /* an element is missing or the pipeline failed */
  IMS_RENDITION_ERROR_OUTPUT,   /* the output cannot be written (disk full, ...) */
} ImsRenditionError;

G_END_DECLS
