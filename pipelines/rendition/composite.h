/* composite.h: the composite recording of a live room: one MP4 with the people side by side.
 *
 * From each person's Matroska files (one per segment, as the receiver writes them: H.264 or VP8 +
 * Opus) and the screen shares of each segment (video only), one MP4 (H.264 + AAC, moov before mdat):
 *   - the canvas (16:9, the profile's mp4_max_height, at most 720 lines) holds one tile per person: the
 *     candidate (people[0]) on the left half, the interviewers (people[1..]) on the right half, one
 *     above the other; in a segment with a screen share the screen is the large tile on the left three
 *     quarters and the people are a column on the right (candidate at the top).  Each picture keeps
 *     its aspect ratio inside its tile (black bars);
 *   - every voice is mixed (audiomixer) into one stereo AAC track;
 *   - segments follow each other in their order: a segment lasts as long as its longest file (a
 *     segment's screen shares play one after the other from its start), or its recorded duration when
 *     none of its files can be read; a person with no file for a segment (or one that cannot be read,
 *     counted in skipped_files) is black and silent there, so every tile stays in sync;
 *   - chapters: one per segment, its title and where it starts in the MP4 (the durations written).
 * Each file is placed at its segment's start (the records hold no offset within a segment).
 *
 * One pass: one GStreamer pipeline (every file demuxed and decoded once, compositor + audiomixer, one
 * x264enc with threads=1 and one AAC encoder as rendition.c's), run on the calling thread (its bus
 * polled, no GMainContext): for a processing worker, never the main loop.  Thread-safe: calls share
 * nothing.
 */
#pragma once

#include <glib.h>

#include "profile.h"

G_BEGIN_DECLS

typedef struct {
  const char *title;          /* the chapter's title */
  gint64 duration_ms;         /* as the room recorded it: used only when none of its files is readable */
  const char *const *screens; /* the segment's screen-share files in order, NULL-terminated; NULL: none */
} ImsCompositeSegment;

typedef struct {
  const char *name;           /* in log lines ("candidate", a participant id) */
  const char *const *cameras; /* one entry per segment: its camera file, or NULL (none) */
} ImsCompositePerson;

typedef struct {
  const ImsCompositeSegment *segments;
  guint n_segments;
  const ImsCompositePerson *people; /* [0]: the candidate (left), then the interviewers (right) */
  guint n_people;                   /* at least 1 */
  int height; /* the canvas height; 0: the profile's mp4_max_height, at most 720 */
} ImsCompositeInput;

typedef struct {
  char *path; /* the MP4 */
  gint64 size_bytes;
  gint64 duration_ms;   /* the MP4's (mvhd) */
  int width, height;    /* the canvas; 0 for an audio-only profile */
  char *chapters;       /* JSON text: [{"title", "startSeconds"}], one per segment */
  guint skipped_files;  /* files that could not be read (drawn black and silent; a warning each) */
} ImsComposite;

void ims_composite_free(ImsComposite *composite);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsComposite, ims_composite_free)

/* Makes the composite of input at output (replaced if it exists).  Blocking: reads every file once
 * through its demuxer (nothing decoded: how long it really is, also when a crash left no duration in
 * its header), then runs one pipeline over the whole room, bounded by a timeout of 60 s plus 4 s per
 * second of media (the encode dominates: about one x264 pass over the canvas).  Returns
 * the composite (transfer full), or NULL with an IMS_RENDITION_ERROR: _INPUT when no file of any
 * segment can be read or the segments last nothing, _PIPELINE when an element is missing or the
 * pipeline failed, _OUTPUT when output cannot be written; output is removed then. */
ImsComposite *ims_composite_make(const ImsProfile *profile, const ImsCompositeInput *input,
                                 const char *output, GError **error);

/* One tile of the canvas, in pixels (even). */
typedef struct {
  int x, y, width, height;
} ImsCompositeTile;

/* The tiles of a segment on a width x height canvas: tiles[0 .. n_people-1] the people's,
 * tiles[n_people] the screen's when with_screen (tiles must hold n_people + 1).  One person alone
 * without a screen fills the canvas.  Pure. */
void ims_composite_layout(int width, int height, guint n_people, gboolean with_screen,
                          ImsCompositeTile *tiles);

/* The chapters' JSON text: one {"title", "startSeconds"} per segment, each starting where the ones
 * before it end (durations_ns: what each segment lasts in the MP4), seconds rounded to the millisecond.
 * Pure.  Transfer full. */
char *ims_composite_chapters_json(const ImsCompositeSegment *segments, guint n_segments,
                                  const gint64 *durations_ns);

G_END_DECLS
