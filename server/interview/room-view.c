/* room-view.c: what a live room sends its members (docs/live-rooms.md,
 * "Signaling"): room.state (each member its own view: observers are listed
 * to interviewers, or to everyone with observersVisible; a member always
 * sees itself), room.joined, quality.  Answers and candidates by pc id are
 * message.h's (ims_message_room_answer_json, ims_message_room_ice_json). */
#define G_LOG_DOMAIN "imsd.room"

#include "room-private.h"

#include "json-build.h"
#include "message.h"

/* "waiting" | "live" | "ended", as clients see the room. */
static const char *
visible_state(ImsRoomState state)
{
  switch (state) {
  case IMS_ROOM_LIVE:
    return "live";
  case IMS_ROOM_ENDED:
    return "ended";
  case IMS_ROOM_SCHEDULED:
  default:
    return "waiting";
  }
}

static void
add_participant(JsonBuilder *b, ImsRoom *room, const ImsRoomParticipant *participant)
{
  ImsRoomMember *member = g_hash_table_lookup(room->members, participant->id);
  json_builder_begin_object(b);
  ims_json_add_string(b, "participantId", participant->id);
  ims_json_add_string(b, "role", ims_room_role_to_string(participant->role));
  ims_json_add_string(b, "name", participant->name);
  ims_json_add_boolean(b, "connected", member != NULL);
  json_builder_set_member_name(b, "streams");
  json_builder_begin_array(b);
  /* in a fixed order: camera, then screen */
  static const char *const streams[] = { "camera", "screen" };
  for (guint i = 0; member && i < G_N_ELEMENTS(streams); i++) {
    Publication *publication = g_hash_table_lookup(member->publications, streams[i]);
    if (publication && publication->negotiated)
      json_builder_add_string_value(b, streams[i]);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);
}

static void
add_segment(JsonBuilder *b, ImsRoom *room)
{
  ImsRoomSegment *segment = room->record->state == IMS_ROOM_LIVE ? ims_room_open_segment(room)
                                                                 : NULL;
  json_builder_set_member_name(b, "segment");
  if (!segment) {
    json_builder_add_null_value(b);
    return;
  }
  const ImsQuestion *question = segment->question_index >= 0 &&
                                        segment->question_index < (int) room->session->questions->len
                                    ? g_ptr_array_index(room->session->questions,
                                                        segment->question_index)
                                    : NULL;
  json_builder_begin_object(b);
  ims_json_add_int(b, "index", segment->index);
  json_builder_set_member_name(b, "questionIndex");
  if (question)
    json_builder_add_int_value(b, segment->question_index);
  else
    json_builder_add_null_value(b);
  ims_json_add_string(b, "text", question ? question->text : NULL);
  ims_json_add_time_or_null(b, "startedAt", segment->started_at);
  json_builder_end_object(b);
}

static void
add_state_members(JsonBuilder *b, ImsRoom *room, ImsRoomMember *viewer)
{
  const ImsRoomRecord *record = room->record;
  ims_json_add_string(b, "state", visible_state(record->state));
  ims_json_add_time_or_null(b, "scheduledAt", record->scheduled_at);
  ims_json_add_int(b, "durationMinutes", record->duration_minutes);
  ims_json_add_time_or_null(b, "startedAt", record->started_at);
  json_builder_set_member_name(b, "questions");
  json_builder_begin_array(b);
  for (guint i = 0; i < room->session->questions->len; i++) {
    const ImsQuestion *question = g_ptr_array_index(room->session->questions, i);
    json_builder_begin_object(b);
    ims_json_add_int(b, "index", i);
    ims_json_add_string(b, "id", question->id);
    ims_json_add_string(b, "text", question->text);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  add_segment(b, room);

  gboolean sees_observers = record->observers_visible ||
                            (viewer && viewer->participant->role == IMS_ROOM_ROLE_INTERVIEWER);
  json_builder_set_member_name(b, "participants");
  json_builder_begin_array(b);
  for (guint i = 0; i < record->participants->len; i++)
    add_participant(b, room, g_ptr_array_index(record->participants, i));
  for (guint i = 0; i < room->observers->len; i++) {
    const ImsRoomParticipant *observer = g_ptr_array_index(room->observers, i);
    gboolean is_viewer = viewer && viewer->participant == observer;
    if (is_viewer || (sees_observers && g_hash_table_contains(room->members, observer->id)))
      add_participant(b, room, observer);
  }
  json_builder_end_array(b);

  json_builder_set_member_name(b, "settings");
  json_builder_begin_object(b);
  ims_json_add_boolean(b, "observersVisible", record->observers_visible);
  ims_json_add_boolean(b, "allowScreenShare", record->allow_screen_share);
  ims_json_add_string(b, "recording", record->record_interviewers ? "both" : "candidate");
  json_builder_end_object(b);
}

static char *
finish(JsonBuilder *b)
{
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  return ims_message_to_json(root);
}

JsonNode *
ims_room_state_node(ImsRoom *room, ImsRoomMember *member)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  add_state_members(b, room, member);
  json_builder_end_object(b);
  return json_builder_get_root(b);
}

char *
ims_room_state_json(ImsRoom *room, ImsRoomMember *member)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  ims_json_add_string(b, "type", "room.state");
  add_state_members(b, room, member);
  return finish(b);
}

char *
ims_room_joined_json(ImsRoom *room, ImsRoomMember *member)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  ims_json_add_string(b, "type", "room.joined");
  ims_json_add_string(b, "participantId", member->participant->id);
  ims_json_add_string(b, "role", ims_room_role_to_string(member->participant->role));
  json_builder_set_member_name(b, "room");
  json_builder_add_value(b, ims_room_state_node(room, member));
  return finish(b);
}

char *
ims_room_quality_json(ImsRoom *room)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  ims_json_add_string(b, "type", "quality");
  json_builder_set_member_name(b, "participants");
  json_builder_begin_array(b);
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init(&iter, room->members);
  while (g_hash_table_iter_next(&iter, NULL, &value)) {
    ImsRoomMember *member = value;
    Publication *camera = g_hash_table_lookup(member->publications, "camera");
    if (!camera)
      continue;
    ImsLinkQuality quality = { 0 };
    room->context->media->publisher_quality(camera->media, &quality);
    json_builder_begin_object(b);
    ims_json_add_string(b, "participantId", member->participant->id);
    ims_json_add_double(b, "lossPercent", quality.loss_percent);
    ims_json_add_double(b, "rttMs", quality.rtt_ms);
    ims_json_add_double(b, "bitrateKbps", quality.bitrate_kbps);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  return finish(b);
}
