/* completeness.h: how complete one take's recording is (issue 9).
 *
 * A plain struct, filled by two parties:
 *  - the receive path (receive stream, depacketizer): per track, the RTP
 *    packets expected (from the extended sequence numbers), received
 *    (including retransmissions), recovered by NACK and lost, and the
 *    incomplete frames dropped;
 *  - the take writer (take-writer.c): frames written per track, frames
 *    refused (non-increasing timestamp) or dropped while waiting for the
 *    first keyframe, gaps (count and longest), the first and last timestamps
 *    written per track, hence the A/V offset at start and end.
 * Serialized to JSON (json-glib) for the review API and media.processed.
 * No locks: filled and read on the take's media loop thread; copy it to hand
 * it elsewhere (it holds no pointers).
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum { IMS_TRACK_VIDEO = 0, IMS_TRACK_AUDIO = 1, IMS_TRACK_COUNT } ImsTrack;

typedef struct {
  /* RTP packets (receive path) */
  guint64 packets_expected;
  guint64 packets_received; /* including the retransmitted ones */
  guint64 packets_recovered_by_nack;
  guint64 packets_lost; /* never received, even after NACK */
  /* frames */
  guint64 frames_dropped_incomplete; /* depacketizer: a packet of the frame, or of a frame it
                                        refers to (video, until the next keyframe), was missing */
  guint64 frames_written;            /* take writer */
  guint64 frames_refused;            /* take writer: timestamp not after the previous one */
  guint64 frames_before_keyframe;    /* take writer: video dropped until the first keyframe */
  /* the file's timeline on this track (take writer) */
  guint gaps; /* stretches the caller said had no frames */
  gint64 longest_gap_ms;
  gboolean has_frames;      /* first_ms / last_ms are set */
  gint64 first_ms, last_ms; /* first and last frame's time in the file */
} ImsTrackCompleteness;

typedef struct {
  ImsTrackCompleteness tracks[IMS_TRACK_COUNT];
} ImsTakeCompleteness;

/* "video" / "audio". */
const char *ims_track_name(ImsTrack track);

/* Notes one gap of duration_ms (> 0) on track: gaps and longest_gap_ms. */
void ims_take_completeness_add_gap(ImsTakeCompleteness *completeness, ImsTrack track,
                                   gint64 duration_ms);

/* Notes a frame written at time_ms in the file (first_ms / last_ms, frames_written). */
void ims_take_completeness_add_frame(ImsTakeCompleteness *completeness, ImsTrack track,
                                     gint64 time_ms);

/* A/V offset, audio minus video, in ms (positive: audio starts / ends later
 * than video in the file).  FALSE (nothing written) unless both tracks have
 * frames. */
gboolean ims_take_completeness_av_offset(const ImsTakeCompleteness *completeness, gint64 *start_ms,
                                         gint64 *end_ms);

/* The record as a JSON object (transfer full):
 *   {"video": {track}, "audio": {track}, "avOffsetMs": {"start": n, "end": n} | null}
 * with track = {"packets": {"expected", "received", "recoveredByNack", "lost"},
 *   "frames": {"written", "droppedIncomplete", "refused", "beforeKeyframe"},
 *   "gaps": {"count", "longestMs"}, "firstMs": n | null, "lastMs": n | null}.
 * Described in docs/ingest.md. */
JsonNode *ims_take_completeness_to_json(const ImsTakeCompleteness *completeness);

/* The same, as compact text (transfer full). */
char *ims_take_completeness_to_string(const ImsTakeCompleteness *completeness);

G_END_DECLS
