/* completeness.c: the per-take completeness record and its JSON (see completeness.h). */
#define G_LOG_DOMAIN "imsd.completeness"

#include "completeness.h"

const char *
ims_track_name(ImsTrack track)
{
  return track == IMS_TRACK_VIDEO ? "video" : "audio";
}

void
ims_take_completeness_add_gap(ImsTakeCompleteness *completeness, ImsTrack track, gint64 duration_ms)
{
  g_return_if_fail(track < IMS_TRACK_COUNT);
  if (duration_ms <= 0)
    return;
  ImsTrackCompleteness *t = &completeness->tracks[track];
  t->gaps++;
  if (duration_ms > t->longest_gap_ms)
    t->longest_gap_ms = duration_ms;
}

void
ims_take_completeness_add_frame(ImsTakeCompleteness *completeness, ImsTrack track, gint64 time_ms)
{
  g_return_if_fail(track < IMS_TRACK_COUNT);
  ImsTrackCompleteness *t = &completeness->tracks[track];
  if (!t->has_frames) {
    t->has_frames = TRUE;
    t->first_ms = time_ms;
  }
  t->last_ms = time_ms;
  t->frames_written++;
}

gboolean
ims_take_completeness_av_offset(const ImsTakeCompleteness *completeness, gint64 *start_ms,
                                gint64 *end_ms)
{
  const ImsTrackCompleteness *video = &completeness->tracks[IMS_TRACK_VIDEO];
  const ImsTrackCompleteness *audio = &completeness->tracks[IMS_TRACK_AUDIO];
  if (!video->has_frames || !audio->has_frames)
    return FALSE;
  *start_ms = audio->first_ms - video->first_ms;
  *end_ms = audio->last_ms - video->last_ms;
  return TRUE;
}

static void
add_track(JsonBuilder *b, const ImsTrackCompleteness *t)
{
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "packets");
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "expected");
  json_builder_add_int_value(b, (gint64) t->packets_expected);
  json_builder_set_member_name(b, "received");
  json_builder_add_int_value(b, (gint64) t->packets_received);
  json_builder_set_member_name(b, "recoveredByNack");
  json_builder_add_int_value(b, (gint64) t->packets_recovered_by_nack);
  json_builder_set_member_name(b, "lost");
  json_builder_add_int_value(b, (gint64) t->packets_lost);
  json_builder_end_object(b);

  json_builder_set_member_name(b, "frames");
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "written");
  json_builder_add_int_value(b, (gint64) t->frames_written);
  json_builder_set_member_name(b, "droppedIncomplete");
  json_builder_add_int_value(b, (gint64) t->frames_dropped_incomplete);
  json_builder_set_member_name(b, "refused");
  json_builder_add_int_value(b, (gint64) t->frames_refused);
  json_builder_set_member_name(b, "beforeKeyframe");
  json_builder_add_int_value(b, (gint64) t->frames_before_keyframe);
  json_builder_end_object(b);

  json_builder_set_member_name(b, "gaps");
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "count");
  json_builder_add_int_value(b, t->gaps);
  json_builder_set_member_name(b, "longestMs");
  json_builder_add_int_value(b, t->longest_gap_ms);
  json_builder_end_object(b);

  json_builder_set_member_name(b, "firstMs");
  if (t->has_frames)
    json_builder_add_int_value(b, t->first_ms);
  else
    json_builder_add_null_value(b);
  json_builder_set_member_name(b, "lastMs");
  if (t->has_frames)
    json_builder_add_int_value(b, t->last_ms);
  else
    json_builder_add_null_value(b);
  json_builder_end_object(b);
}

JsonNode *
ims_take_completeness_to_json(const ImsTakeCompleteness *completeness)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  for (int track = 0; track < IMS_TRACK_COUNT; track++) {
    json_builder_set_member_name(b, ims_track_name(track));
    add_track(b, &completeness->tracks[track]);
  }
  json_builder_set_member_name(b, "avOffsetMs");
  gint64 start_ms, end_ms;
  if (ims_take_completeness_av_offset(completeness, &start_ms, &end_ms)) {
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "start");
    json_builder_add_int_value(b, start_ms);
    json_builder_set_member_name(b, "end");
    json_builder_add_int_value(b, end_ms);
    json_builder_end_object(b);
  } else {
    json_builder_add_null_value(b);
  }
  json_builder_end_object(b);
  return json_builder_get_root(b);
}

char *
ims_take_completeness_to_string(const ImsTakeCompleteness *completeness)
{
  g_autoptr(JsonNode) root = ims_take_completeness_to_json(completeness);
  return json_to_string(root, FALSE);
}
