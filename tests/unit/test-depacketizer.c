/* test-depacketizer: unit tests for pipelines/ingest/depacketizer.c.
 *
 * Real packets: x264enc / vp8enc / opusenc output, payloaded by GStreamer's
 * rtph264pay / rtpvp8pay / rtpopuspay, is depacketized and compared with
 * what the encoder produced; then packets are dropped (loss inside a frame,
 * a lost start, a lost end; with and without waiting for the next keyframe)
 * and malformed payloads pushed. */
#define G_LOG_DOMAIN "imsd.test-depacketizer"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "depacketizer.h"
#include "media-fixture.h"

#define H264_PIPELINE \
  "videotestsrc num-buffers=30 pattern=ball ! video/x-raw,width=320,height=240,framerate=30/1 " \
  "! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=10 bitrate=800 threads=1 " \
  "! video/x-h264,stream-format=byte-stream,alignment=au,profile=constrained-baseline ! tee name=t " \
  "t. ! queue ! appsink name=frames sync=false " \
  "t. ! queue ! rtph264pay mtu=500 config-interval=-1 aggregate-mode=zero-latency ! appsink name=rtp sync=false"
#define VP8_PIPELINE \
  "videotestsrc num-buffers=20 pattern=ball ! video/x-raw,width=320,height=240,framerate=30/1 " \
  "! vp8enc deadline=1 keyframe-max-dist=10 target-bitrate=800000 ! tee name=t " \
  "t. ! queue ! appsink name=frames sync=false " \
  "t. ! queue ! rtpvp8pay mtu=200 picture-id-mode=15-bit ! appsink name=rtp sync=false"
#define OPUS_PIPELINE \
  "audiotestsrc num-buffers=25 samplesperbuffer=960 ! audio/x-raw,rate=48000,channels=2 " \
  "! opusenc frame-size=20 ! tee name=t " \
  "t. ! queue ! appsink name=frames sync=false " \
  "t. ! queue ! rtpopuspay ! appsink name=rtp sync=false"

typedef struct {
  GPtrArray *frames;  /* ImsTestBuffer: encoder output */
  GPtrArray *packets; /* ImsTestBuffer: RTP payloads */
} Media;

static Media h264, vp8, opus;

/* What came out of a run. */
typedef struct {
  GPtrArray *frames;  /* GBytes */
  GArray *keyframes;  /* gboolean */
  GArray *timestamps; /* guint32 */
  guint dropped;      /* pushes reporting IMS_DEPACKETIZER_DROPPED */
  guint refused;      /* pushes answering < 0 */
  int last_error;
} Output;

static void
output_clear(Output *o)
{
  g_ptr_array_unref(o->frames);
  g_array_unref(o->keyframes);
  g_array_unref(o->timestamps);
}

static void
push(ImsDepacketizer *d, const guint8 *payload, gsize size, guint32 ts, gboolean marker,
     gboolean loss, Output *o)
{
  ImsRtpPayload packet = { payload, size, ts, marker, loss };
  ImsMediaFrame frame;
  int ret = ims_depacketizer_push(d, &packet, &frame);
  if (ret < 0) {
    o->refused++;
    o->last_error = ret;
    return;
  }
  if (ret & IMS_DEPACKETIZER_DROPPED)
    o->dropped++;
  if (ret & IMS_DEPACKETIZER_FRAME) {
    g_ptr_array_add(o->frames, g_bytes_new(frame.data, frame.size));
    g_array_append_val(o->keyframes, frame.keyframe);
    g_array_append_val(o->timestamps, frame.rtp_timestamp);
  }
}

/* Pushes every packet of media whose index is not in skip (-1 ends the
 * list); the packet after a skipped one carries the loss flag. */
static Output
run(ImsDepacketizer *d, const Media *m, const int *skip)
{
  Output o = { g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref),
               g_array_new(FALSE, FALSE, sizeof(gboolean)),
               g_array_new(FALSE, FALSE, sizeof(guint32)),
               0,
               0,
               0 };
  gboolean loss = FALSE;
  for (guint i = 0; i < m->packets->len; i++) {
    gboolean skipped = FALSE;
    for (const int *s = skip; s && *s >= 0; s++)
      skipped |= (guint) *s == i;
    if (skipped) {
      loss = TRUE;
      continue;
    }
    const ImsTestBuffer *p = g_ptr_array_index(m->packets, i);
    gsize size;
    const guint8 *data = g_bytes_get_data(p->data, &size);
    push(d, data, size, p->rtp_timestamp, p->marker, loss, &o);
    loss = FALSE;
  }
  return o;
}

static int
setup_media(void **state)
{
  ims_test_pull_two(H264_PIPELINE, &h264.frames, &h264.packets);
  ims_test_pull_two(VP8_PIPELINE, &vp8.frames, &vp8.packets);
  ims_test_pull_two(OPUS_PIPELINE, &opus.frames, &opus.packets);
  return 0;
}

static int
teardown_media(void **state)
{
  for (Media *m = &h264; m; m = m == &h264 ? &vp8 : m == &vp8 ? &opus : NULL) {
    g_ptr_array_unref(m->frames);
    g_ptr_array_unref(m->packets);
  }
  return 0;
}

/* The NAL units of an Annex B buffer, without start codes, as GBytes. */
static GPtrArray *
nal_units(GBytes *bytes)
{
  gsize size;
  const guint8 *p = g_bytes_get_data(bytes, &size);
  GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
  gsize i = 0, start = 0;
  gboolean in_nal = FALSE;
  while (i + 3 <= size) {
    if (p[i] == 0 && p[i + 1] == 0 && p[i + 2] == 1) {
      if (in_nal) {
        gsize end = i;
        while (end > start && p[end - 1] == 0)
          end--;
        g_ptr_array_add(out, g_bytes_new(p + start, end - start));
      }
      i += 3;
      start = i;
      in_nal = TRUE;
    } else {
      i++;
    }
  }
  if (in_nal)
    g_ptr_array_add(out, g_bytes_new(p + start, size - start));
  return out;
}

static guint8
nal_type(GBytes *nal)
{
  return ((const guint8 *) g_bytes_get_data(nal, NULL))[0] & 0x1f;
}

static gboolean
has_nal(GPtrArray *nals, guint8 type)
{
  for (guint i = 0; i < nals->len; i++)
    if (nal_type(g_ptr_array_index(nals, i)) == type)
      return TRUE;
  return FALSE;
}

/* The payloader used every packetization the depacketizer must handle. */
static void
test_h264_packet_types_covered(void **state)
{
  gboolean stap_a = FALSE, fu_a = FALSE, single = FALSE;
  for (guint i = 0; i < h264.packets->len; i++) {
    const ImsTestBuffer *p = g_ptr_array_index(h264.packets, i);
    guint8 type = ((const guint8 *) g_bytes_get_data(p->data, NULL))[0] & 0x1f;
    stap_a |= type == 24;
    fu_a |= type == 28;
    single |= type >= 1 && type <= 23;
  }
  assert_true(stap_a);
  assert_true(fu_a);
  assert_true(single);
}

/* Clean stream: every encoder frame comes out whole, as Annex B, with the
 * same slices, keyframes where the encoder put them, SPS/PPS remembered. */
static void
test_h264_clean_stream(void **state)
{
  g_autoptr(ImsDepacketizer) d = ims_depacketizer_new(IMS_MEDIA_CODEC_H264, 0);
  assert_true(ims_depacketizer_wants_keyframe(d));
  Output o = run(d, &h264, NULL);
  assert_int_equal(o.refused, 0);
  assert_int_equal(o.dropped, 0);
  assert_int_equal(o.frames->len, h264.frames->len);
  assert_int_equal(h264.frames->len, 30);
  guint keyframes = 0;
  for (guint i = 0; i < o.frames->len; i++) {
    const ImsTestBuffer *encoded = g_ptr_array_index(h264.frames, i);
    g_autoptr(GPtrArray) want = nal_units(encoded->data);
    g_autoptr(GPtrArray) got = nal_units(g_ptr_array_index(o.frames, i));
    /* the output is Annex B with 4-byte start codes */
    const guint8 *raw = g_bytes_get_data(g_ptr_array_index(o.frames, i), NULL);
    assert_memory_equal(raw, "\0\0\0\1", 4);
    /* every slice of the encoder's access unit, in order, byte for byte */
    guint j = 0;
    for (guint k = 0; k < want->len; k++) {
      GBytes *nal = g_ptr_array_index(want, k);
      if (nal_type(nal) != 1 && nal_type(nal) != 5)
        continue;
      while (j < got->len && nal_type(g_ptr_array_index(got, j)) != nal_type(nal))
        j++;
      assert_true(j < got->len);
      assert_true(g_bytes_equal(nal, g_ptr_array_index(got, j)));
      j++;
    }
    gboolean key = g_array_index(o.keyframes, gboolean, i);
    assert_int_equal(key, encoded->keyframe);
    assert_int_equal(key, has_nal(got, 5));
    if (key) {
      keyframes++;
      assert_true(has_nal(got, 7));
      assert_true(has_nal(got, 8));
    }
    if (i > 0)
      assert_true(g_array_index(o.timestamps, guint32, i) >
                  g_array_index(o.timestamps, guint32, i - 1));
  }
  assert_int_equal(keyframes, 3);
  assert_false(ims_depacketizer_wants_keyframe(d));

  const guint8 *sps, *pps;
  gsize sps_size, pps_size;
  assert_true(ims_depacketizer_get_h264_parameter_sets(d, &sps, &sps_size, &pps, &pps_size));
  assert_int_equal(sps[0] & 0x1f, 7);
  assert_int_equal(pps[0] & 0x1f, 8);
  g_autoptr(GPtrArray)
      first = nal_units(((ImsTestBuffer *) g_ptr_array_index(h264.frames, 0))->data);
  for (guint k = 0; k < first->len; k++)
    if (nal_type(g_ptr_array_index(first, k)) == 7)
      assert_true(g_bytes_equal(g_ptr_array_index(first, k), g_bytes_new_static(sps, sps_size)));
  const ImsDepacketizerStats *stats = ims_depacketizer_get_stats(d);
  assert_int_equal(stats->packets, h264.packets->len);
  assert_int_equal(stats->frames, 30);
  assert_int_equal(stats->keyframes, 3);
  assert_int_equal(stats->frames_dropped, 0);
  output_clear(&o);
}

/* Index of the first packet of frame number n (by RTP timestamp changes). */
static int
first_packet_of_frame(const Media *m, guint n)
{
  guint frame = 0;
  for (guint i = 1; i < m->packets->len; i++) {
    const ImsTestBuffer *a = g_ptr_array_index(m->packets, i - 1),
                        *b = g_ptr_array_index(m->packets, i);
    if (a->rtp_timestamp != b->rtp_timestamp && ++frame == n)
      return (int) i;
  }
  return n == 0 ? 0 : -1;
}

static int
packets_in_frame(const Media *m, int first)
{
  const ImsTestBuffer *f = g_ptr_array_index(m->packets, first);
  int count = 0;
  for (guint i = first; i < m->packets->len; i++, count++)
    if (((const ImsTestBuffer *) g_ptr_array_index(m->packets, i))->rtp_timestamp != f->rtp_timestamp)
      break;
  return count;
}

/* A loss inside, at the start or at the end of a frame drops that frame,
 * reports it and asks for a keyframe until the next one comes out. */
static void
check_losses(const Media *m, ImsMediaCodec codec, guint frame_number)
{
  int first = first_packet_of_frame(m, frame_number);
  assert_true(first > 0);
  int count = packets_in_frame(m, first);
  assert_true(count >= 3); /* the chosen frame needs a middle */
  /* the start: for H.264 the FU-A that starts the first slice (a lost
   * SPS/PPS packet before it is made up for by the remembered ones) */
  int start = first;
  while (codec == IMS_MEDIA_CODEC_H264) {
    const guint8 *p = g_bytes_get_data(
        ((ImsTestBuffer *) g_ptr_array_index(m->packets, start))->data, NULL);
    if ((p[0] & 0x1f) == 28 && (p[1] & 0x80))
      break;
    start++;
  }
  assert_true(start < first + count - 1);
  int cases[3][2] = { { start + 1, -1 },
                      { start, -1 },
                      { first + count - 1, -1 } }; /* middle, start, end */
  for (int c = 0; c < 3; c++) {
    g_autoptr(ImsDepacketizer) d = ims_depacketizer_new(codec, 0);
    Output o = run(d, m, cases[c]);
    assert_int_equal(o.refused, 0);
    assert_int_equal(o.frames->len, m->frames->len - 1);
    assert_true(o.dropped >= 1);
    assert_int_equal(ims_depacketizer_get_stats(d)->frames_dropped, 1);
    /* the frame is missing, its neighbours are there */
    const ImsTestBuffer *lost = g_ptr_array_index(m->packets, first);
    for (guint i = 0; i < o.timestamps->len; i++)
      assert_int_not_equal(g_array_index(o.timestamps, guint32, i), lost->rtp_timestamp);
    output_clear(&o);
  }
}

static void
test_h264_losses(void **state)
{
  /* frame 10 is a keyframe (key-int-max=10): large, many FU-A packets */
  check_losses(&h264, IMS_MEDIA_CODEC_H264, 10);
}

static void
test_h264_wants_keyframe_after_loss(void **state)
{
  g_autoptr(ImsDepacketizer) d = ims_depacketizer_new(IMS_MEDIA_CODEC_H264, 0);
  int first = first_packet_of_frame(&h264, 3);
  int skip[] = { first + 1, -1 };
  Output o = { g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref),
               g_array_new(FALSE, FALSE, sizeof(gboolean)),
               g_array_new(FALSE, FALSE, sizeof(guint32)),
               0,
               0,
               0 };
  gboolean loss = FALSE;
  gboolean asked_before_keyframe = FALSE;
  for (guint i = 0; i < h264.packets->len; i++) {
    if ((int) i == skip[0]) {
      loss = TRUE;
      continue;
    }
    const ImsTestBuffer *p = g_ptr_array_index(h264.packets, i);
    gsize size;
    const guint8 *data = g_bytes_get_data(p->data, &size);
    guint before = o.frames->len;
    push(d, data, size, p->rtp_timestamp, p->marker, loss, &o);
    loss = FALSE;
    if (o.dropped > 0 && o.frames->len > before &&
        g_array_index(o.keyframes, gboolean, o.frames->len - 1))
      break; /* the keyframe after the loss */
    if (o.dropped > 0)
      asked_before_keyframe |= ims_depacketizer_wants_keyframe(d);
  }
  assert_true(asked_before_keyframe);
  assert_false(ims_depacketizer_wants_keyframe(d));
  output_clear(&o);
}

static const guint8 SPS[] = { 0x67, 0x42, 0xc0, 0x1e, 0x8c, 0x8d, 0x40, 0x50 };
static const guint8 PPS[] = { 0x68, 0xce, 0x3c, 0x80 };
static const guint8 IDR[] = { 0x65, 0x88, 0x84, 0x00, 0x33 };
static const guint8 SLICE[] = { 0x41, 0x9a, 0x22 };

/* A keyframe sent without SPS/PPS gets the remembered ones in front. */
static void
test_h264_keyframe_gets_parameter_sets(void **state)
{
  g_autoptr(ImsDepacketizer) d = ims_depacketizer_new(IMS_MEDIA_CODEC_H264, 0);
  guint8 stap[64] = { 24 };
  gsize n = 1;
  stap[n++] = 0;
  stap[n++] = sizeof SPS;
  memcpy(stap + n, SPS, sizeof SPS);
  n += sizeof SPS;
  stap[n++] = 0;
  stap[n++] = sizeof PPS;
  memcpy(stap + n, PPS, sizeof PPS);
  n += sizeof PPS;
  ImsMediaFrame frame;
  ImsRtpPayload packet = { stap, n, 1000, FALSE, FALSE };
  assert_int_equal(ims_depacketizer_push(d, &packet, &frame), 0);
  packet = (ImsRtpPayload){ IDR, sizeof IDR, 1000, TRUE, FALSE };
  assert_int_equal(ims_depacketizer_push(d, &packet, &frame), IMS_DEPACKETIZER_FRAME);
  assert_true(frame.keyframe);
  assert_int_equal(frame.size, 4 * 3 + sizeof SPS + sizeof PPS + sizeof IDR);

  packet = (ImsRtpPayload){ SLICE, sizeof SLICE, 4000, TRUE, FALSE };
  assert_int_equal(ims_depacketizer_push(d, &packet, &frame), IMS_DEPACKETIZER_FRAME);
  assert_false(frame.keyframe);
  assert_int_equal(frame.size, 4 + sizeof SLICE);

  packet = (ImsRtpPayload){ IDR, sizeof IDR, 7000, TRUE, FALSE };
  assert_int_equal(ims_depacketizer_push(d, &packet, &frame), IMS_DEPACKETIZER_FRAME);
  assert_true(frame.keyframe);
  guint8 want[64];
  gsize w = 0;
  memcpy(want + w, "\0\0\0\1", 4), w += 4;
  memcpy(want + w, SPS, sizeof SPS), w += sizeof SPS;
  memcpy(want + w, "\0\0\0\1", 4), w += 4;
  memcpy(want + w, PPS, sizeof PPS), w += sizeof PPS;
  memcpy(want + w, "\0\0\0\1", 4), w += 4;
  memcpy(want + w, IDR, sizeof IDR), w += sizeof IDR;
  assert_int_equal(frame.size, w);
  assert_memory_equal(frame.data, want, w);
}

/* Payloads that are not H.264 packetization-mode 1 are refused with their
 * code, and the frame they were in is dropped. */
static void
test_h264_bad_payloads(void **state)
{
  static const struct {
    guint8 bytes[8];
    gsize size;
    int error;
  } cases[] = {
    { { 25, 0, 2, 0x41, 0x9a }, 5, -ENOTSUP },   /* STAP-B */
    { { 26, 0, 0 }, 3, -ENOTSUP },               /* MTAP16 */
    { { 27, 0, 0 }, 3, -ENOTSUP },               /* MTAP24 */
    { { 29, 0x85, 0x88 }, 3, -ENOTSUP },         /* FU-B */
    { { 0, 1, 2 }, 3, -EINVAL },                 /* type 0 */
    { { 30, 1 }, 2, -EINVAL },                   /* reserved */
    { { 0x80 | 1, 0x9a }, 2, -EINVAL },          /* forbidden bit */
    { { 24, 0, 9, 0x41, 0x9a }, 5, -EINVAL },    /* STAP-A unit longer than the packet */
    { { 24, 0, 0 }, 3, -EINVAL },                /* STAP-A unit of size 0 */
    { { 24, 0, 2, 0x41, 0x9a, 0 }, 6, -EINVAL }, /* STAP-A with a stray byte */
    { { 28, 0xc5, 0x88 }, 3, -EINVAL },          /* FU-A with both S and E */
    { { 28, 0x85 }, 2, -EINVAL },                /* FU-A without data */
    { { 0 }, 0, -EINVAL },                       /* empty */
  };
  for (gsize c = 0; c < G_N_ELEMENTS(cases); c++) {
    g_autoptr(ImsDepacketizer) d = ims_depacketizer_new(IMS_MEDIA_CODEC_H264, 0);
    ImsMediaFrame frame;
    ImsRtpPayload packet = { SLICE, sizeof SLICE, 90, TRUE, FALSE };
    assert_int_equal(ims_depacketizer_push(d, &packet, &frame), IMS_DEPACKETIZER_FRAME);
    packet = (ImsRtpPayload){ cases[c].bytes, cases[c].size, 180, TRUE, FALSE };
    assert_int_equal(ims_depacketizer_push(d, &packet, &frame), cases[c].error);
    assert_true(ims_depacketizer_wants_keyframe(d));
    assert_int_equal(ims_depacketizer_get_stats(d)->frames_dropped, 1);
    /* the next frame is fine again */
    packet = (ImsRtpPayload){ SLICE, sizeof SLICE, 270, TRUE, FALSE };
    assert_int_equal(ims_depacketizer_push(d, &packet, &frame), IMS_DEPACKETIZER_FRAME);
  }
}

/* A frame over max_frame_size: -EMSGSIZE, dropped, and the buffer is not
 * grown past the bound. */
static void
test_frame_size_bound(void **state)
{
  g_autoptr(ImsDepacketizer) d = ims_depacketizer_new(IMS_MEDIA_CODEC_H264, 1000);
  guint8 fu[600] = { 28, 0x80 | 5, 0x88 };
  ImsMediaFrame frame;
  ImsRtpPayload packet = { fu, sizeof fu, 90, FALSE, FALSE };
  assert_int_equal(ims_depacketizer_push(d, &packet, &frame), 0);
  fu[1] = 5;
  assert_int_equal(ims_depacketizer_push(d, &packet, &frame), -EMSGSIZE);
  fu[1] = 0x40 | 5;
  packet.marker = TRUE;
  assert_int_equal(ims_depacketizer_push(d, &packet, &frame), IMS_DEPACKETIZER_DROPPED);
  const ImsDepacketizerStats *stats = ims_depacketizer_get_stats(d);
  assert_int_equal(stats->frames_too_large, 1);
  assert_int_equal(stats->frames_dropped, 1);
  assert_int_equal(stats->frames, 0);
  /* a frame under the bound still goes through */
  packet = (ImsRtpPayload){ fu + 3, 500, 180, TRUE, FALSE };
  guint8 single[500] = { 0x65, 0x88 };
  packet.payload = single;
  assert_int_equal(ims_depacketizer_push(d, &packet, &frame), IMS_DEPACKETIZER_FRAME);
  assert_int_equal(frame.size, 504);
}

static void
test_vp8_clean_stream(void **state)
{
  g_autoptr(ImsDepacketizer) d = ims_depacketizer_new(IMS_MEDIA_CODEC_VP8, 0);
  Output o = run(d, &vp8, NULL);
  assert_int_equal(o.refused, 0);
  assert_int_equal(o.dropped, 0);
  assert_int_equal(vp8.frames->len, 20);
  assert_int_equal(o.frames->len, vp8.frames->len);
  guint keyframes = 0;
  for (guint i = 0; i < o.frames->len; i++) {
    const ImsTestBuffer *encoded = g_ptr_array_index(vp8.frames, i);
    assert_true(g_bytes_equal(encoded->data, g_ptr_array_index(o.frames, i)));
    assert_int_equal(g_array_index(o.keyframes, gboolean, i), encoded->keyframe);
    keyframes += encoded->keyframe;
  }
  assert_int_equal(keyframes, 2);
  assert_false(ims_depacketizer_wants_keyframe(d));
  output_clear(&o);
}

static void
test_vp8_keyframe_size(void **state)
{
  g_autoptr(ImsDepacketizer) d = ims_depacketizer_new(IMS_MEDIA_CODEC_VP8, 0);
  const ImsTestBuffer *p = g_ptr_array_index(vp8.packets, 0);
  ImsMediaFrame frame = { 0 };
  for (guint i = 0; i < vp8.packets->len; i++) {
    p = g_ptr_array_index(vp8.packets, i);
    gsize size;
    const guint8 *data = g_bytes_get_data(p->data, &size);
    ImsRtpPayload packet = { data, size, p->rtp_timestamp, p->marker, FALSE };
    if (ims_depacketizer_push(d, &packet, &frame) & IMS_DEPACKETIZER_FRAME)
      break;
  }
  assert_true(frame.keyframe);
  assert_int_equal(frame.width, 320);
  assert_int_equal(frame.height, 240);
}

static void
test_vp8_losses(void **state)
{
  check_losses(&vp8, IMS_MEDIA_CODEC_VP8, 10); /* keyframe-max-dist=10: frame 10 is a keyframe */
}

/* With set_wait_for_keyframe(): a loss inside frame 3 drops it and the whole
 * frames after it up to the keyframe at 10 (they refer to it); from 10 on
 * every frame comes out.  Frames before the first keyframe are not held back
 * (the take writer waits for one itself). */
static void
check_wait_for_keyframe(const Media *m, ImsMediaCodec codec)
{
  int first = first_packet_of_frame(m, 3);
  /* its second packet (a middle or the end), or its only one */
  int skip[] = { packets_in_frame(m, first) >= 2 ? first + 1 : first, -1 };
  g_autoptr(ImsDepacketizer) d = ims_depacketizer_new(codec, 0);
  ims_depacketizer_set_wait_for_keyframe(d, TRUE);
  Output o = run(d, m, skip);
  const ImsDepacketizerStats *stats = ims_depacketizer_get_stats(d);
  assert_int_equal(o.frames->len, m->frames->len - 7); /* 3 lost, 4..9 unreferenced */
  assert_int_equal(stats->frames_dropped, 7);
  assert_int_equal(stats->frames_unreferenced, 6);
  assert_true(o.dropped >= 6); /* a one-packet frame 4 reports two drops at once */
  /* what comes out: frames 0..2, then from the keyframe on */
  assert_true(g_array_index(o.keyframes, gboolean, 3));
  const ImsTestBuffer *tenth = g_ptr_array_index(m->packets, first_packet_of_frame(m, 10));
  assert_int_equal(g_array_index(o.timestamps, guint32, 3), tenth->rtp_timestamp);
  assert_false(ims_depacketizer_wants_keyframe(d));
  output_clear(&o);

  /* a stream joined after its keyframe (frame 0 never came): 1..9 come out */
  int no_keyframe[32], n = 0;
  for (int i = 0; i < first_packet_of_frame(m, 1); i++)
    no_keyframe[n++] = i;
  no_keyframe[n] = -1;
  g_autoptr(ImsDepacketizer) late = ims_depacketizer_new(codec, 0);
  ims_depacketizer_set_wait_for_keyframe(late, TRUE);
  o = run(late, m, no_keyframe);
  assert_int_equal(o.frames->len, m->frames->len - 1);
  assert_int_equal(ims_depacketizer_get_stats(late)->frames_unreferenced, 0);
  output_clear(&o);
}

static void
test_h264_wait_for_keyframe(void **state)
{
  check_wait_for_keyframe(&h264, IMS_MEDIA_CODEC_H264);
}

static void
test_vp8_wait_for_keyframe(void **state)
{
  check_wait_for_keyframe(&vp8, IMS_MEDIA_CODEC_VP8);
}

static void
test_vp8_bad_payloads(void **state)
{
  static const struct {
    guint8 bytes[12];
    gsize size;
  } cases[] = {
    { { 0x10 }, 1 },                   /* descriptor only */
    { { 0x90, 0x80 }, 2 },             /* X, I, picture ID missing */
    { { 0x90, 0x80, 0x81, 0x02 }, 4 }, /* 15-bit picture ID, no payload */
    { { 0x10, 0x00, 0x00 }, 3 },       /* keyframe tag without start code */
    { { 0x10, 0x00, 0x00, 0x00, 0x9d, 0x01, 0x2b, 0, 0, 0, 0 }, 11 }, /* wrong start code */
  };
  for (gsize c = 0; c < G_N_ELEMENTS(cases); c++) {
    g_autoptr(ImsDepacketizer) d = ims_depacketizer_new(IMS_MEDIA_CODEC_VP8, 0);
    ImsMediaFrame frame;
    ImsRtpPayload packet = { cases[c].bytes, cases[c].size, 90, TRUE, FALSE };
    assert_int_equal(ims_depacketizer_push(d, &packet, &frame), -EINVAL);
    assert_int_equal(ims_depacketizer_get_stats(d)->packets_malformed, 1);
    assert_int_equal(ims_depacketizer_get_stats(d)->frames_dropped, 1);
  }
}

static void
test_opus_passthrough(void **state)
{
  g_autoptr(ImsDepacketizer) d = ims_depacketizer_new(IMS_MEDIA_CODEC_OPUS, 0);
  Output o = run(d, &opus, NULL);
  assert_true(opus.frames->len >= 25); /* opusenc may flush one more at EOS */
  assert_int_equal(o.frames->len, opus.frames->len);
  for (guint i = 0; i < o.frames->len; i++) {
    assert_true(g_bytes_equal(((ImsTestBuffer *) g_ptr_array_index(opus.frames, i))->data,
                              g_ptr_array_index(o.frames, i)));
    assert_true(g_array_index(o.keyframes, gboolean, i));
    if (i > 1) /* the first one is shorter: the encoder's lookahead */
      assert_int_equal(g_array_index(o.timestamps, guint32, i) -
                           g_array_index(o.timestamps, guint32, i - 1),
                       960);
  }
  output_clear(&o);
  /* a lost packet loses that frame only */
  g_autoptr(ImsDepacketizer) lossy = ims_depacketizer_new(IMS_MEDIA_CODEC_OPUS, 0);
  int skip[] = { 5, -1 };
  o = run(lossy, &opus, skip);
  assert_int_equal(o.frames->len, opus.frames->len - 1);
  assert_int_equal(o.dropped, 0);
  output_clear(&o);
  ImsMediaFrame frame;
  ImsRtpPayload empty = { (const guint8 *) "", 0, 0, TRUE, FALSE };
  assert_int_equal(ims_depacketizer_push(lossy, &empty, &frame), -EINVAL);
}

static void
test_unsupported_codec(void **state)
{
  assert_null(ims_depacketizer_new(IMS_MEDIA_CODEC_NONE, 0));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_h264_packet_types_covered),
    cmocka_unit_test(test_h264_clean_stream),
    cmocka_unit_test(test_h264_losses),
    cmocka_unit_test(test_h264_wants_keyframe_after_loss),
    cmocka_unit_test(test_h264_keyframe_gets_parameter_sets),
    cmocka_unit_test(test_h264_bad_payloads),
    cmocka_unit_test(test_frame_size_bound),
    cmocka_unit_test(test_vp8_clean_stream),
    cmocka_unit_test(test_vp8_keyframe_size),
    cmocka_unit_test(test_vp8_losses),
    cmocka_unit_test(test_vp8_bad_payloads),
    cmocka_unit_test(test_h264_wait_for_keyframe),
    cmocka_unit_test(test_vp8_wait_for_keyframe),
    cmocka_unit_test(test_opus_passthrough),
    cmocka_unit_test(test_unsupported_codec),
  };
  return cmocka_run_group_tests(tests, setup_media, teardown_media);
}
