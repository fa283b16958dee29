/* take-writer.h: one take's Matroska file, written through libavformat.
 *
 * Called synchronously from the media loop thread that receives the
 * candidate's streams: no thread, no queue of its own.  Tracks: video (H.264
 * as Annex B access units, or VP8) and/or audio (Opus, 48 kHz).
 *
 * Lifecycle: open (file created; nothing written yet) -> the first video
 * keyframe (or, without video, the first audio frame) writes the header and
 * fixes the file's time 0 -> write* -> close (cues and duration written:
 * playable and seekable) -> free.  Freeing without close leaves the file as a
 * crash would (what was flushed stays decodable).
 *
 * Timestamps: ns on the session timeline, from the caller (timeline.c);
 * file time = timestamp - the first frame written (either track), in the
 * Matroska time base (1 ms).  A frame whose time is not after the previous
 * one on its track is refused (IMS_TAKE_WRITER_ERROR_NOT_INCREASING, counted
 * in the completeness record) rather than written into a broken file.  A gap
 * (no frames for a while) stays a gap: the writer never closes one up.
 *
 * Video starts on a keyframe: frames before the first one are dropped
 * (IMS_TAKE_WRITER_ERROR_WAITING_FOR_KEYFRAME, counted); the H.264 codec
 * private data (avcC) comes from that keyframe's SPS and PPS, its size from
 * the SPS (libavcodec's parser) or the VP8 frame header.  Audio that arrives
 * before it is held (at most IMS_TAKE_WRITER_MAX_PENDING_AUDIO frames, the
 * oldest dropped first) and written after the header.
 *
 * Crash safety: clusters hold at most cluster_time_ms (default 500 ms) and
 * every video keyframe starts one; a cluster reaches the file (avio_flush)
 * as soon as it is closed, so a kill -9 loses at most the open cluster
 * (and the one audio frame libavformat's muxer holds back to put it in the
 * cluster of the video keyframe that follows).
 * The muxer's "live" option is not used: on a seekable file the Segment is
 * written with an unknown size anyway (so a cut file still parses), and only
 * without "live" does close write the cues and the duration.
 * Cost: one AVPacket reused, no copy of the frame (libavformat copies it
 * into its cluster buffer); one write(2) per cluster.
 *
 * Not thread-safe: one take, one thread.
 */
#pragma once

#include <glib.h>

#include "completeness.h"
#include "media-frame.h"

G_BEGIN_DECLS

#define IMS_TAKE_WRITER_ERROR (ims_take_writer_error_quark())
GQuark ims_take_writer_error_quark(void);

typedef enum {
  IMS_TAKE_WRITER_ERROR_CONFIG,               /* no track, or a codec a track cannot have */
  IMS_TAKE_WRITER_ERROR_FILE,                 /* the file cannot be created or written */
  IMS_TAKE_WRITER_ERROR_MUXER,                /* libavformat refused (header, frame, trailer) */
  IMS_TAKE_WRITER_ERROR_NO_TRACK,             /* a frame for a track the take does not have */
  IMS_TAKE_WRITER_ERROR_WAITING_FOR_KEYFRAME, /* video before the first keyframe: dropped */
  IMS_TAKE_WRITER_ERROR_BAD_FRAME, /* an empty frame, or a keyframe without what the header needs */
  IMS_TAKE_WRITER_ERROR_NOT_INCREASING, /* timestamp not after the previous one of its track */
  IMS_TAKE_WRITER_ERROR_CLOSED,         /* written after close or after a file error */
} ImsTakeWriterError;

#define IMS_TAKE_WRITER_MAX_PENDING_AUDIO 64

typedef struct {
  ImsMediaCodec video_codec; /* H264, VP8, or NONE for no video track */
  ImsMediaCodec audio_codec; /* OPUS, or NONE for no audio track */
  guint audio_channels;      /* 1 or 2; 0 = 2 (the SDP's opus/48000/2) */
  guint cluster_time_ms;     /* 0 = 500: what a kill -9 can lose, and the muxer's cluster buffer */
  guint cluster_size_bytes;  /* 0 = 1 MiB */
} ImsTakeWriterConfig;

typedef struct _ImsTakeWriter ImsTakeWriter;

/* Creates (truncates) the file at path for the tracks in config.  NULL with
 * IMS_TAKE_WRITER_ERROR_CONFIG or _FILE; nothing is left behind then.
 * Transfer full. */
ImsTakeWriter *ims_take_writer_open(const char *path, const ImsTakeWriterConfig *config,
                                    GError **error);

/* Writes one whole frame of track (Annex B access unit, VP8 frame or Opus
 * packet; data is only read during the call) at timestamp_ns on the session
 * timeline; keyframe matters for video only.  Opus durations come from the
 * packet's TOC.  FALSE with one of the ImsTakeWriterError codes: the frame is
 * not written (WAITING_FOR_KEYFRAME and NOT_INCREASING are counted in the
 * completeness record and harmless; FILE / MUXER mean the file is lost from
 * here on, later writes answer CLOSED). */
gboolean ims_take_writer_write(ImsTakeWriter *self, ImsTrack track, const guint8 *data, gsize size,
                               gint64 timestamp_ns, gboolean keyframe, GError **error);

/* The caller (timeline) says track had no frames for duration_ns: counted
 * as a gap in the completeness record.  The file keeps it as a gap (the next
 * frame's timestamp says where the track resumes). */
void ims_take_writer_note_gap(ImsTakeWriter *self, ImsTrack track, gint64 duration_ns);

/* Writes what is buffered, the cues and the duration, and closes the file.
 * FALSE with _FILE / _MUXER if that failed (the file then is as after a
 * crash), or _MUXER if nothing was ever written (the file holds no header:
 * the caller should fail the take).  Later calls but free answer CLOSED. */
gboolean ims_take_writer_close(ImsTakeWriter *self, GError **error);

/* Frees; an unclosed file is left as a crash would leave it. */
void ims_take_writer_free(ImsTakeWriter *self);

/* The writer's half of the record (frames, gaps, first/last times) and
 * whatever the caller put into it: writable, so the receive path can add its
 * packet counts.  Valid until free. */
ImsTakeCompleteness *ims_take_writer_get_completeness(ImsTakeWriter *self);

/* Bytes written to the file so far (flushed or not). */
gint64 ims_take_writer_get_bytes_written(const ImsTakeWriter *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsTakeWriter, ims_take_writer_free)

G_END_DECLS
