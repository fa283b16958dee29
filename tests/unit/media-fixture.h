/* media-fixture.h: real encoded media for the ingest unit tests.
 *
 * Encodes with GStreamer in the test (videotestsrc ! x264enc / vp8enc,
 * audiotestsrc ! opusenc, and the RTP payloaders) into memory, and reads a
 * written Matroska file back with libavformat / libavcodec.  Blocking; used by
 * test-depacketizer and test-take-writer only.
 */
#pragma once

#include <glib.h>

typedef struct {
  GBytes *data;
  gint64 pts_ns;     /* encoder's running time */
  gboolean keyframe; /* no DELTA_UNIT flag */
  /* RTP only */
  guint32 rtp_timestamp;
  guint16 sequence;
  gboolean marker;
} ImsTestBuffer;

/* Runs the pipeline description to EOS and returns what its appsink named
 * sink_name pulled (ImsTestBuffer *, transfer full; free with g_ptr_array_unref).
 * With rtp, each buffer is parsed as RTP and data is its payload. */
GPtrArray *ims_test_pull(const char *pipeline, const char *sink_name, gboolean rtp);

/* Runs a pipeline with two appsinks ("frames": encoder output, "rtp": its
 * payloader's packets) and returns both. */
void ims_test_pull_two(const char *pipeline, GPtrArray **frames, GPtrArray **packets);

typedef struct {
  gboolean present;
  int codec_id; /* AVCodecID */
  int width, height;
  guint packets;
  gboolean first_keyframe;
  gboolean strictly_increasing;
  GArray *pts_ms;       /* gint64 per packet, in file order */
  guint decoded_frames; /* video: pictures out of libavcodec; audio: frames */
  guint decode_errors;
} ImsTestTrack;

typedef struct {
  ImsTestTrack video, audio;
  gint64 duration_ms;  /* the container's duration, -1 if none */
  gboolean read_error; /* av_read_frame ended with something else than EOF */
} ImsTestProbe;

/* Demuxes and decodes path; FALSE if libavformat cannot open it. */
gboolean ims_test_probe(const char *path, ImsTestProbe *probe);
void ims_test_probe_clear(ImsTestProbe *probe);
