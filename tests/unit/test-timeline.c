/* test-timeline.c: unit tests for pipelines/ingest/timeline.c with synthetic senders.
 *
 * A sender captures video at 30 fps (90 kHz RTP clock, timestamps starting just below the 32-bit
 * wrap) and Opus audio in 20 ms packets (48 kHz), and sends an SR per stream every second (NTP =
 * its capture clock).  The network delays audio and video differently and adds jitter.  Every case
 * feeds the timeline in arrival order and checks, at every 100 ms where a video frame and an audio
 * packet were captured at the same instant, that their session times differ by at most 1 ms (the
 * SR-implied truth is 0), that each stream's output is strictly increasing, and that the output
 * steps match the capture steps (a gap stays a gap of the same length).  Cases: clean, a 500 ms and a
 * 2 s stall (no packets, then a burst with continuous timestamps), 10 % loss, reordering, an audio
 * SR that arrives 4 s late, a first video frame that arrives 40 ms late (a retransmission: held
 * frames after it keep their own arrivals), a real sender gap, an SR before the first packet.
 * Stateless: each case builds its own timeline. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <glib.h>
#include <string.h>

#include "timeline.h"

#define VIDEO_START 4294000000u /* wraps after ~11 s at 90 kHz */
#define AUDIO_START 123456u
#define NTP_BASE_SECONDS G_GUINT64_CONSTANT(0xe9000000)
#define SECONDS 12
#define VIDEO_FRAMES (SECONDS * 30)
#define AUDIO_PACKETS (SECONDS * 50)

typedef enum { VIDEO, AUDIO, VIDEO_SR, AUDIO_SR } Kind;

typedef struct {
  gint64 arrival_us;
  gint64 release_us; /* when the receive stream hands it on: its arrival, or a late packet's
                        before it (held until then) */
  guint order;       /* ties keep the generation order */
  Kind kind;
  guint index; /* frame / packet number, or SR capture time in ms */
} Event;

typedef struct {
  gint64 video_delay_us, audio_delay_us, jitter_us;
  gint64 stall_at_us, stall_us; /* both tracks: nothing arrives, then a burst */
  double loss;
  gboolean reorder;
  gint64 audio_sr_from_us;                /* first audio SR (video SRs from 0) */
  gint64 video_gap_from_us, video_gap_us; /* the sender sends no video (timestamps go on) */
  gint64 check_from_us;                   /* the offset is checked from this capture time */
  gboolean sr_before_packets;
  gint64 first_video_late_us; /* the first video frame arrives this much later (a retransmission) */
} Scenario;

typedef struct {
  gint64 video[VIDEO_FRAMES];
  gint64 audio[AUDIO_PACKETS];
  gboolean video_seen[VIDEO_FRAMES];
  gboolean audio_seen[AUDIO_PACKETS];
} Outputs;

static gint
compare_events(gconstpointer a, gconstpointer b)
{
  const Event *x = a, *y = b;
  if (x->release_us != y->release_us)
    return x->release_us < y->release_us ? -1 : 1;
  return x->order < y->order ? -1 : x->order > y->order;
}

/* When the packet captured at capture_us arrives.  A stall holds everything captured during it
 * until its end, then sends the backlog 100 µs apart; a stream's packets stay in order (the receive
 * stream in front of the timeline orders them), *previous is the stream's last arrival. */
static gint64
arrival_of(const Scenario *s, gint64 capture_us, gint64 delay_us, GRand *rand, gint64 *previous)
{
  gint64 arrival = capture_us + delay_us +
                   (s->jitter_us ? g_rand_int_range(rand, 0, (gint32) s->jitter_us) : 0);
  if (s->stall_us > 0 && capture_us >= s->stall_at_us && capture_us < s->stall_at_us + s->stall_us)
    arrival = s->stall_at_us + s->stall_us + delay_us;
  arrival = MAX(arrival, *previous + 100);
  *previous = arrival;
  return arrival;
}

static guint64
ntp_of(gint64 capture_us)
{
  return (NTP_BASE_SECONDS << 32) +
         (guint64) ((capture_us * (G_GINT64_CONSTANT(1) << 32)) / 1000000);
}

static void
run(const Scenario *s, Outputs *out)
{
  memset(out, 0, sizeof(*out));
  GRand *rand = g_rand_new_with_seed(42);
  GArray *events = g_array_new(FALSE, FALSE, sizeof(Event));
  guint order = 0;
  gint64 previous = G_MININT64 / 2, first_video_release = G_MININT64;
  if (s->sr_before_packets) {
    Event sr = { 0, 0, order++, VIDEO_SR, 0 };
    g_array_append_val(events, sr);
  }
  for (guint k = 0; k < VIDEO_FRAMES; k++) {
    gint64 t = (gint64) k * 1000000 / 30;
    if (s->video_gap_us > 0 && t >= s->video_gap_from_us &&
        t < s->video_gap_from_us + s->video_gap_us)
      continue;
    if (k > 0 && g_rand_double(rand) < s->loss)
      continue;
    gint64 arrival = arrival_of(s, t, s->video_delay_us, rand, &previous);
    if (k == 0)
      arrival += s->first_video_late_us, first_video_release = arrival;
    Event e = { arrival, MAX(arrival, first_video_release), order++, VIDEO, k };
    g_array_append_val(events, e);
  }
  previous = G_MININT64 / 2;
  for (guint j = 0; j < AUDIO_PACKETS; j++) {
    gint64 t = (gint64) j * 20000;
    if (j > 0 && g_rand_double(rand) < s->loss)
      continue;
    gint64 arrival = arrival_of(s, t, s->audio_delay_us, rand, &previous);
    Event e = { arrival, arrival, order++, AUDIO, j };
    g_array_append_val(events, e);
  }
  for (guint ms = 0; ms < SECONDS * 1000; ms += 1000) {
    gint64 video_sr = (gint64) ms * 1000 + s->video_delay_us + 1;
    gint64 audio_sr = (gint64) ms * 1000 + s->audio_delay_us + 1;
    Event v = { video_sr, video_sr, order++, VIDEO_SR, ms };
    if (!(s->sr_before_packets && ms == 0))
      g_array_append_val(events, v);
    if ((gint64) ms * 1000 >= s->audio_sr_from_us) {
      Event a = { audio_sr, audio_sr, order++, AUDIO_SR, ms };
      g_array_append_val(events, a);
    }
  }
  g_array_sort(events, compare_events);
  if (s->reorder) {
    /* swap neighbours in arrival: the first video frame arrives after the second, and every 7th
     * event comes after the one that followed it (delayed: it arrives with that one, which keeps
     * its own arrival) */
    for (guint i = 0; i + 1 < events->len; i++) {
      Event *a = &g_array_index(events, Event, i), *b = &g_array_index(events, Event, i + 1);
      if ((a->kind == VIDEO && a->index == 0) || i % 7 == 3) {
        Event tmp = *a;
        *a = *b;
        *b = tmp;
        b->arrival_us = a->arrival_us;
        i++;
      }
    }
  }

  g_autoptr(ImsTimeline) timeline = ims_timeline_new();
  int video = ims_timeline_add_stream(timeline, 90000);
  int audio = ims_timeline_add_stream(timeline, 48000);
  assert_int_equal(video, 0);
  assert_int_equal(audio, 1);
  gint64 last_video = G_MININT64, last_audio = G_MININT64;
  guint last_video_index = 0, last_audio_index = 0;
  gboolean any_video = FALSE, any_audio = FALSE;
  for (guint i = 0; i < events->len; i++) {
    const Event *e = &g_array_index(events, Event, i);
    switch (e->kind) {
    case VIDEO_SR:
      ims_timeline_on_sender_report(timeline, (guint) video, ntp_of((gint64) e->index * 1000),
                                    VIDEO_START + e->index * 90u);
      break;
    case AUDIO_SR:
      ims_timeline_on_sender_report(timeline, (guint) audio, ntp_of((gint64) e->index * 1000),
                                    AUDIO_START + e->index * 48u);
      break;
    case VIDEO: {
      gint64 t = ims_timeline_map(timeline, (guint) video, VIDEO_START + e->index * 3000u,
                                  e->arrival_us);
      if (t <= last_video)
        fail_msg("video frame %u: %" G_GINT64_FORMAT " ns after %" G_GINT64_FORMAT, e->index, t,
                 last_video);
      last_video = t;
      /* a frame older than the last one: not an instant to compare */
      if (!any_video || e->index > last_video_index) {
        out->video[e->index] = t;
        out->video_seen[e->index] = TRUE;
        last_video_index = e->index;
      }
      any_video = TRUE;
      break;
    }
    case AUDIO: {
      gint64 t = ims_timeline_map(timeline, (guint) audio, AUDIO_START + e->index * 960u,
                                  e->arrival_us);
      if (t <= last_audio)
        fail_msg("audio packet %u: %" G_GINT64_FORMAT " ns after %" G_GINT64_FORMAT, e->index, t,
                 last_audio);
      last_audio = t;
      if (!any_audio || e->index > last_audio_index) {
        out->audio[e->index] = t;
        out->audio_seen[e->index] = TRUE;
        last_audio_index = e->index;
      }
      any_audio = TRUE;
      break;
    }
    }
  }
  assert_true(ims_timeline_is_synchronized(timeline, (guint) video));
  assert_true(ims_timeline_is_synchronized(timeline, (guint) audio));
  g_array_unref(events);
  g_rand_free(rand);
}

/* A/V offset at every 100 ms from check_from, and output steps = capture steps (±1 ms) there. */
static guint
check(const Scenario *s, const Outputs *out)
{
  guint compared = 0;
  gint64 worst = 0;
  for (guint m = 0; m < SECONDS * 10; m++) {
    gint64 t = (gint64) m * 100000;
    guint k = 3 * m, j = 5 * m;
    if (t < s->check_from_us || !out->video_seen[k] || !out->audio_seen[j])
      continue;
    gint64 offset = out->audio[j] - out->video[k];
    if (ABS(offset) > ABS(worst))
      worst = offset;
    if (offset > 1000000 || offset < -1000000)
      fail_msg("A/V offset at %.1f s: %.3f ms", t / 1e6, offset / 1e6);
    compared++;
  }
  /* steps: from the first checked frame, each later frame sits at its capture distance */
  gint64 video_origin = G_MININT64, video_origin_t = 0;
  for (guint k = 0; k < VIDEO_FRAMES; k++) {
    gint64 t = (gint64) k * 1000000 / 30;
    if (t < s->check_from_us || !out->video_seen[k])
      continue;
    if (video_origin == G_MININT64) {
      video_origin = out->video[k];
      video_origin_t = t;
      continue;
    }
    gint64 error = (out->video[k] - video_origin) - (t - video_origin_t) * 1000;
    if (error > 1000000 || error < -1000000)
      fail_msg("video frame %u at %.1f s is %.3f ms off its capture distance", k, t / 1e6,
               error / 1e6);
  }
  print_message("    %u instants compared, worst A/V offset %.3f ms\n", compared, worst / 1e6);
  return compared;
}

static const Scenario base = {
  .video_delay_us = 30000,
  .audio_delay_us = 52000,
  .jitter_us = 8000,
  .check_from_us = 1000000,
};

static void
test_clean(void **state)
{
  Scenario s = base;
  Outputs out;
  run(&s, &out);
  assert_true(check(&s, &out) >= 100);
}

static void
test_stall_500ms(void **state)
{
  Scenario s = base;
  s.stall_at_us = 3000000;
  s.stall_us = 500000;
  Outputs out;
  run(&s, &out);
  assert_true(check(&s, &out) >= 100);
}

static void
test_stall_2s(void **state)
{
  Scenario s = base;
  s.stall_at_us = 5000000;
  s.stall_us = 2000000;
  Outputs out;
  run(&s, &out);
  assert_true(check(&s, &out) >= 100);
}

static void
test_stall_before_any_sr(void **state)
{
  /* the first SR of audio comes after a 2 s stall: until then audio runs on its arrival anchor,
   * and the stall must not move it against video either */
  Scenario s = base;
  s.audio_delay_us = s.video_delay_us;
  s.jitter_us = 0;
  s.audio_sr_from_us = 6000000;
  s.stall_at_us = 2000000;
  s.stall_us = 2000000;
  s.check_from_us = 0;
  Outputs out;
  run(&s, &out);
  assert_true(check(&s, &out) >= 100);
}

static void
test_loss(void **state)
{
  Scenario s = base;
  s.loss = 0.10;
  Outputs out;
  run(&s, &out);
  assert_true(check(&s, &out) >= 60);
}

static void
test_reordering(void **state)
{
  Scenario s = base;
  s.reorder = TRUE;
  Outputs out;
  run(&s, &out);
  assert_true(check(&s, &out) >= 90);
}

static void
test_late_sender_report(void **state)
{
  /* audio's first SR at 4 s: until then audio sits where its first arrival put it (22 ms + jitter
   * late against video); after it the correction slews away (10 % of media time: ~0.3 s) */
  Scenario s = base;
  s.audio_sr_from_us = 4000000;
  s.check_from_us = 5000000;
  Outputs out;
  run(&s, &out);
  assert_true(check(&s, &out) >= 60);
  /* before the SR the offset was the delay difference, and it did not drift */
  gint64 early = out.audio[5 * 10] - out.video[3 * 10];
  gint64 later = out.audio[5 * 35] - out.video[3 * 35];
  assert_true(early > 10000000 && early < 40000000);
  assert_true(ABS(later - early) < 1000000);
}

/* The first video frame comes 40 ms late (lost, then retransmitted after a NACK), the frames after
 * it on time, and audio has no SR for 4 s: the frames that came on time, not the late first one,
 * place video against audio (both delayed alike here: offset 0) long before audio's SR. */
static void
test_late_first_frame(void **state)
{
  Scenario s = base;
  s.audio_delay_us = s.video_delay_us;
  s.jitter_us = 0;
  s.first_video_late_us = 40000;
  s.audio_sr_from_us = 4000000;
  s.check_from_us = 1000000;
  Outputs out;
  run(&s, &out);
  assert_true(check(&s, &out) >= 100); /* from 1 s on: 3 s before audio's SR */
}

static void
test_sender_gap_stays_a_gap(void **state)
{
  /* the sender stops video for 1 s (camera paused: timestamps go on); the file keeps the gap */
  Scenario s = base;
  s.video_gap_from_us = 4000000;
  s.video_gap_us = 1000000;
  Outputs out;
  run(&s, &out);
  check(&s, &out);
  guint before = 119, after = 150; /* 3.967 s and 5.0 s */
  assert_true(out.video_seen[before] && out.video_seen[after]);
  gint64 gap = out.video[after] - out.video[before];
  gint64 truth = (gint64) (after - before) * 1000000000 / 30;
  assert_true(ABS(gap - truth) < 1000000);
}

static void
test_sender_report_before_packets(void **state)
{
  Scenario s = base;
  s.sr_before_packets = TRUE;
  Outputs out;
  run(&s, &out);
  assert_true(check(&s, &out) >= 100);
}

/* The video sender restarts its timestamps 2 s in (same SSRC, a jump of -10^9 ticks): output goes
 * on from the arrival, never backwards, and the next SR (3 s) brings video back onto audio. */
static void
test_timestamp_discontinuity(void **state)
{
  g_autoptr(ImsTimeline) timeline = ims_timeline_new();
  guint video = (guint) ims_timeline_add_stream(timeline, 90000);
  guint audio = (guint) ims_timeline_add_stream(timeline, 48000);
  const guint32 jumped = VIDEO_START - 1000000000u;
  gint64 video_out[150] = { 0 }, audio_out[250] = { 0 };
  gint64 last_video = G_MININT64;
  for (gint64 ms = 0; ms < 5000; ms++) {
    gint64 t = ms * 1000;
    if (ms % 1000 == 0) {
      guint32 base = ms >= 2000 ? jumped : VIDEO_START;
      ims_timeline_on_sender_report(timeline, video, ntp_of(t), base + (guint32) (ms * 90));
      ims_timeline_on_sender_report(timeline, audio, ntp_of(t), AUDIO_START + (guint32) (ms * 48));
    }
    if (ms % 100 == 0) { /* video every 100 ms here: instants every 100 ms */
      guint32 base = ms >= 2000 ? jumped : VIDEO_START;
      gint64 out = ims_timeline_map(timeline, video, base + (guint32) (ms * 90), t + 30000);
      assert_true(out > last_video);
      last_video = out;
      video_out[ms / 100] = out;
    }
    if (ms % 20 == 0)
      audio_out[ms / 20] = ims_timeline_map(timeline, audio, AUDIO_START + (guint32) (ms * 48),
                                            t + 52000);
  }
  assert_int_equal(ims_timeline_get_discontinuities(timeline, video), 1);
  /* at the jump: placed by its arrival, about where it belongs (within the delay difference) */
  gint64 at_jump = video_out[20] - audio_out[100];
  assert_true(ABS(at_jump) < 40000000);
  /* from 3.5 s (the 3 s SR, slewed) on: in sync again */
  for (guint m = 35; m < 50; m++) {
    gint64 offset = audio_out[m * 5] - video_out[m];
    if (ABS(offset) > 1000000)
      fail_msg("A/V offset at %.1f s after the restart: %.3f ms", m / 10.0, offset / 1e6);
  }
}

/* A stream without an SR for 33 h (20 s steps): no overflow in ticks -> ns. */
static void
test_long_stream(void **state)
{
  g_autoptr(ImsTimeline) timeline = ims_timeline_new();
  guint video = (guint) ims_timeline_add_stream(timeline, 90000);
  guint32 timestamp = 17;
  gint64 out = ims_timeline_map(timeline, video, timestamp, 0);
  for (guint i = 1; i <= 6000; i++) {
    timestamp += 20 * 90000;
    gint64 next = ims_timeline_map(timeline, video, timestamp, (gint64) i * 20 * 1000000);
    assert_true(next > out);
    out = next;
  }
  assert_true(out == G_GINT64_CONSTANT(6000) * 20 * 1000000000);
}

static void
test_map_contract(void **state)
{
  g_autoptr(ImsTimeline) timeline = ims_timeline_new();
  assert_int_equal(ims_timeline_add_stream(timeline, 0), -EINVAL);
  for (int i = 0; i < IMS_TIMELINE_MAX_STREAMS; i++)
    assert_int_equal(ims_timeline_add_stream(timeline, 90000), i);
  assert_int_equal(ims_timeline_add_stream(timeline, 90000), -ENOSPC);
  assert_true(ims_timeline_map(timeline, 99, 0, 0) == G_MININT64);
  /* first packet at arrival 1 s is time 0; timestamps, not arrivals, after that (a later arrival
   * changes nothing; an earlier one than the mapping gives: test_late_first_frame) */
  assert_int_equal(ims_timeline_map(timeline, 0, 4294967000u, 1000000), 0);
  assert_int_equal(ims_timeline_map(timeline, 0, 4294967000u, 1500000), 0); /* same picture */
  assert_int_equal(ims_timeline_map(timeline, 0, 4294967000u + 900u, 9000000), 10000000); /* wraps */
  assert_int_equal(ims_timeline_map(timeline, 0, 4294967000u + 450u, 9000000), 10000001); /* older */
  assert_int_equal(ims_timeline_map(timeline, 0, 4294967000u + 1800u, 9000000), 20000000);
  /* an SR that moves the mapping 5 ms later: no jump, slewed at 10 % */
  ims_timeline_on_sender_report(timeline, 0, ntp_of(0), 4294967000u + 1800u - 450u);
  assert_int_equal(ims_timeline_get_correction(timeline, 0), 0); /* the first SR fixes the offset */
  ims_timeline_on_sender_report(timeline, 0, ntp_of(5000), 4294967000u + 1800u - 450u);
  assert_int_equal(ims_timeline_get_correction(timeline, 0), -5000000);
  gint64 t = ims_timeline_map(timeline, 0, 4294967000u + 2700u, 9000000);
  assert_int_equal(t, 20000000 + 10000000 + 1000000); /* 10 ms step + 10 % of the correction's way */
  assert_int_equal(ims_timeline_get_correction(timeline, 0), -4000000);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_clean),
    cmocka_unit_test(test_stall_500ms),
    cmocka_unit_test(test_stall_2s),
    cmocka_unit_test(test_stall_before_any_sr),
    cmocka_unit_test(test_loss),
    cmocka_unit_test(test_reordering),
    cmocka_unit_test(test_late_sender_report),
    cmocka_unit_test(test_late_first_frame),
    cmocka_unit_test(test_sender_gap_stays_a_gap),
    cmocka_unit_test(test_sender_report_before_packets),
    cmocka_unit_test(test_timestamp_discontinuity),
    cmocka_unit_test(test_long_stream),
    cmocka_unit_test(test_map_contract),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
