/* test-completeness: unit tests for pipelines/ingest/completeness.c (the
 * per-take completeness record and its JSON for the review API and
 * media.processed). */
#define G_LOG_DOMAIN "imsd.test-completeness"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "completeness.h"

static JsonObject *
member_object(JsonObject *o, const char *name)
{
  assert_true(json_object_has_member(o, name));
  return json_object_get_object_member(o, name);
}

static void
test_empty_record(void **state)
{
  ImsTakeCompleteness c = { 0 };
  gint64 start, end;
  assert_false(ims_take_completeness_av_offset(&c, &start, &end));
  g_autofree char *text = ims_take_completeness_to_string(&c);
  g_autoptr(JsonNode) root = json_from_string(text, NULL);
  assert_non_null(root);
  JsonObject *o = json_node_get_object(root);
  assert_true(json_node_is_null(json_object_get_member(o, "avOffsetMs")));
  JsonObject *video = member_object(o, "video");
  assert_true(json_node_is_null(json_object_get_member(video, "firstMs")));
  assert_int_equal(json_object_get_int_member(member_object(video, "frames"), "written"), 0);
  assert_int_equal(json_object_get_int_member(member_object(video, "gaps"), "count"), 0);
}

static void
test_filled_record(void **state)
{
  ImsTakeCompleteness c = { 0 };
  ImsTrackCompleteness *v = &c.tracks[IMS_TRACK_VIDEO], *a = &c.tracks[IMS_TRACK_AUDIO];
  v->packets_expected = 1000;
  v->packets_received = 990;
  v->packets_recovered_by_nack = 40;
  v->packets_lost = 10;
  v->frames_dropped_incomplete = 2;
  a->packets_expected = 500;
  a->packets_received = 500;
  ims_take_completeness_add_frame(&c, IMS_TRACK_VIDEO, 40);
  ims_take_completeness_add_frame(&c, IMS_TRACK_VIDEO, 73);
  ims_take_completeness_add_frame(&c, IMS_TRACK_VIDEO, 9973);
  ims_take_completeness_add_frame(&c, IMS_TRACK_AUDIO, 0);
  ims_take_completeness_add_frame(&c, IMS_TRACK_AUDIO, 9980);
  ims_take_completeness_add_gap(&c, IMS_TRACK_VIDEO, 500);
  ims_take_completeness_add_gap(&c, IMS_TRACK_VIDEO, 2000);
  ims_take_completeness_add_gap(&c, IMS_TRACK_VIDEO, 120);
  ims_take_completeness_add_gap(&c, IMS_TRACK_AUDIO, 0);  /* no gap */
  ims_take_completeness_add_gap(&c, IMS_TRACK_AUDIO, -5); /* no gap */

  gint64 start, end;
  assert_true(ims_take_completeness_av_offset(&c, &start, &end));
  assert_int_equal(start, -40);
  assert_int_equal(end, 7);

  g_autoptr(JsonNode) root = ims_take_completeness_to_json(&c);
  JsonObject *o = json_node_get_object(root);
  JsonObject *video = member_object(o, "video"), *audio = member_object(o, "audio");
  JsonObject *packets = member_object(video, "packets");
  assert_int_equal(json_object_get_int_member(packets, "expected"), 1000);
  assert_int_equal(json_object_get_int_member(packets, "received"), 990);
  assert_int_equal(json_object_get_int_member(packets, "recoveredByNack"), 40);
  assert_int_equal(json_object_get_int_member(packets, "lost"), 10);
  JsonObject *frames = member_object(video, "frames");
  assert_int_equal(json_object_get_int_member(frames, "written"), 3);
  assert_int_equal(json_object_get_int_member(frames, "droppedIncomplete"), 2);
  assert_int_equal(json_object_get_int_member(frames, "refused"), 0);
  assert_int_equal(json_object_get_int_member(frames, "beforeKeyframe"), 0);
  assert_int_equal(json_object_get_int_member(member_object(video, "gaps"), "count"), 3);
  assert_int_equal(json_object_get_int_member(member_object(video, "gaps"), "longestMs"), 2000);
  assert_int_equal(json_object_get_int_member(member_object(audio, "gaps"), "count"), 0);
  assert_int_equal(json_object_get_int_member(video, "firstMs"), 40);
  assert_int_equal(json_object_get_int_member(video, "lastMs"), 9973);
  assert_int_equal(json_object_get_int_member(member_object(audio, "frames"), "written"), 2);
  assert_int_equal(json_object_get_int_member(audio, "lastMs"), 9980);
  JsonObject *offset = member_object(o, "avOffsetMs");
  assert_int_equal(json_object_get_int_member(offset, "start"), -40);
  assert_int_equal(json_object_get_int_member(offset, "end"), 7);
  /* the exact members, so a renamed key is caught */
  assert_int_equal(json_object_get_size(o), 3);
  assert_int_equal(json_object_get_size(video), 5);
  assert_int_equal(json_object_get_size(packets), 4);
  assert_int_equal(json_object_get_size(frames), 4);
}

static void
test_track_names(void **state)
{
  assert_string_equal(ims_track_name(IMS_TRACK_VIDEO), "video");
  assert_string_equal(ims_track_name(IMS_TRACK_AUDIO), "audio");
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_empty_record),
    cmocka_unit_test(test_filled_record),
    cmocka_unit_test(test_track_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
