/* test-sender.c: pipelines/ingest/sender.c and the receiver calls it relies
 * on, without a peer: a sender needs a negotiated publisher, lives on the
 * publisher's media loop (not the least loaded one) and gives that loop's
 * load back once when freed; the receiver's negotiation, quality and split
 * before media.  Media through senders is tested end to end by
 * tests/browser/forward.test.mjs (tests/tools/forward-harness). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "ingest-fixture.h"
#include "media-loop.h"
#include "receiver.h"
#include "sdp-offers.h"
#include "sender.h"

/* The state: two media loops, so that the least loaded one is not the publisher's. */
static int
start_two_loops(void **state)
{
  *state = ims_media_loops_new(2, NULL);
  return *state ? 0 : -1;
}

static int
stop_loops(void **state)
{
  ims_media_loops_free(*state);
  return 0;
}

static const ImsSenderCallbacks sender_callbacks = { 0 };

/* A receiver on the fixture's loops (the least loaded one). */
static ImsReceiver *
new_receiver(ImsMediaLoops *loops)
{
  ImsReceiverConfig config = { .loops = loops, .target_kbps = 2500 };
  g_autoptr(GError) error = NULL;
  ImsReceiver *receiver = ims_receiver_new("publisher", &config, &test_noop_ingest_callbacks, NULL,
                                           &error);
  assert_non_null(receiver);
  return receiver;
}

static void
test_sender_needs_a_negotiated_publisher(void **state)
{
  ImsMediaLoops *loops = *state;
  g_autoptr(GError) error = NULL;
  ImsReceiver *receiver = new_receiver(loops);
  assert_null(ims_receiver_get_negotiation(receiver));
  ImsSenderConfig sender_config = { 0 };
  ImsSender *sender = ims_sender_new(receiver, "subscriber", &sender_config, &sender_callbacks, NULL,
                                     &error);
  assert_null(sender);
  assert_true(g_error_matches(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_STATE));
  ims_receiver_free(receiver);
  assert_int_equal(test_wait_for_load(ims_media_loops_get_loop(loops, 0), 0, 3000), 0);
}

static void
test_sender_lives_on_the_publishers_loop(void **state)
{
  ImsMediaLoops *loops = *state;
  ImsMediaLoop *loop0 = ims_media_loops_get_loop(loops, 0);
  ImsMediaLoop *loop1 = ims_media_loops_get_loop(loops, 1);
  g_autoptr(GError) error = NULL;
  ImsReceiver *receiver = new_receiver(loops);
  assert_true(ims_receiver_handle_offer(receiver, CHROMIUM_OFFER, &error));
  const ImsNegotiation *negotiation = ims_receiver_get_negotiation(receiver);
  assert_non_null(negotiation);
  assert_int_equal(negotiation->video.codec, IMS_SDP_CODEC_H264);
  assert_int_equal(negotiation->audio.codec, IMS_SDP_CODEC_OPUS);
  assert_non_null(negotiation->answer);
  assert_int_equal(ims_media_loop_get_load(loop0), 1);

  ImsSenderConfig sender_config = { .session_id = "s-1", .stream_id = "p-1-camera" };
  ImsSender *first = ims_sender_new(receiver, "sub-1", &sender_config, &sender_callbacks, NULL, &error);
  assert_non_null(first);
  ImsSender *second = ims_sender_new(receiver, "sub-2", &sender_config, &sender_callbacks, NULL, &error);
  assert_non_null(second);
  /* loop 1 is the least loaded, but a sender must share its publisher's thread */
  assert_int_equal(ims_media_loop_get_load(loop0), 3);
  assert_int_equal(ims_media_loop_get_load(loop1), 0);

  ImsLinkQuality quality = { 1, 1, 1 };
  ims_sender_get_quality(first, &quality);
  assert_true(quality.loss_percent == 0 && quality.rtt_ms == 0 && quality.bitrate_kbps == 0);
  ims_receiver_get_quality(receiver, &quality);
  assert_true(quality.loss_percent == 0 && quality.bitrate_kbps == 0);

  ims_sender_free(first);
  assert_int_equal(test_wait_for_load(loop0, 2, 3000), 2);
  ims_sender_free(second);
  assert_int_equal(test_wait_for_load(loop0, 1, 3000), 1);
  g_usleep(200 * 1000);
  assert_int_equal(test_wait_for_load(loop0, 0, 200), 1); /* the receiver is still counted */
  ims_receiver_free(receiver);
  assert_int_equal(test_wait_for_load(loop0, 0, 3000), 0);
  assert_int_equal(ims_media_loop_get_load(loop1), 0);
}

static void
test_split_needs_a_take(void **state)
{
  ImsMediaLoops *loops = *state;
  g_autoptr(GError) error = NULL;
  ImsReceiver *receiver = new_receiver(loops);
  assert_false(ims_receiver_split_take(receiver, "/nonexistent/take.mkv", NULL, &error));
  assert_true(g_error_matches(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_STATE));
  ims_receiver_free(receiver);
  assert_int_equal(test_wait_for_load(ims_media_loops_get_loop(loops, 0), 0, 3000), 0);
}

int
main(void)
{
  (void) AIORTC_OFFER; /* sdp-offers.h's other offer */
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_sender_needs_a_negotiated_publisher, start_two_loops, stop_loops),
    cmocka_unit_test_setup_teardown(test_sender_lives_on_the_publishers_loop, start_two_loops, stop_loops),
    cmocka_unit_test_setup_teardown(test_split_needs_a_take, start_two_loops, stop_loops),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
