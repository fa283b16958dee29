/* session-view.c: the "state" message, the candidate's view of a session
 * (docs/signaling.md).  Read-only over the session's inside. */
#define G_LOG_DOMAIN "imsd.session"

#include <json-glib/json-glib.h>

#include "json-build.h"
#include "session-private.h"

char *
ims_session_state_json(ImsSession *session)
{
  const ImsSessionRecord *record = session->record;
  const ImsQuestion *question = ims_session_current_question(session);
  g_autoptr(JsonBuilder) b = json_builder_new();

  json_builder_begin_object(b);
  ims_json_add_string(b, "type", "state");
  ims_json_add_string(b, "sessionId", record->id);
  ims_json_add_string(b, "status", ims_session_state_to_string(record->state));
  ims_json_add_string(b, "phase", ims_phase_to_string(ims_session_visible_phase(session)));
  ims_json_add_int(b, "questionIndex", record->current_question);
  ims_json_add_int(b, "questionCount", record->questions->len);
  json_builder_set_member_name(b, "question");
  if (question && session->phase != IMS_SESSION_PHASE_COMPLETED) {
    json_builder_begin_object(b);
    ims_json_add_string(b, "id", question->id);
    ims_json_add_string(b, "text", question->text);
    ims_json_add_int(b, "timeLimitSeconds", question->time_limit_seconds);
    json_builder_end_object(b);
  } else {
    json_builder_add_null_value(b);
  }
  ims_json_add_int(b, "thinkSeconds", record->think_seconds);
  ims_json_add_int(b, "maxRetakes", record->max_retakes);
  ims_json_add_int(b, "retakesLeft", ims_session_retakes_left(session));
  json_builder_set_member_name(b, "remainingMs");
  if (session->deadline > 0)
    json_builder_add_int_value(b, MAX(0, (session->deadline - g_get_monotonic_time()) / 1000));
  else
    json_builder_add_null_value(b);
  ims_json_add_boolean(b, "mediaReady", session->media_ready);
  OpenTake *live_take = ims_session_find_open_take(session, session->media);
  ims_json_add_boolean(b, "takeWriting", live_take && live_take->writing);
  ims_json_add_boolean(b, "saved", ims_session_is_saved(session));

  json_builder_set_member_name(b, "takes");
  json_builder_begin_array(b);
  for (guint i = 0; i < record->takes->len; i++) {
    const ImsTake *take = g_ptr_array_index(record->takes, i);
    json_builder_begin_object(b);
    ims_json_add_int(b, "questionIndex", take->question_index);
    ims_json_add_int(b, "number", take->number);
    ims_json_add_string(b, "status", ims_take_status_to_string(take->status));
    ims_json_add_int(b, "durationMs", take->duration_ms);
    ims_json_add_boolean(b, "saved", ims_session_take_is_saved(session, take->id));
    ims_json_add_string(b, "stopReason", take->stop_reason);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);

  /* capture limits: the server's, narrowed by the session's profile */
  const ImsSessionContext *context = session->context;
  const ImsProfile *profile = context->profiles
                                  ? ims_profile_set_lookup(context->profiles, record->profile)
                                  : NULL;
  json_builder_set_member_name(b, "constraints");
  json_builder_begin_object(b);
  ims_json_add_boolean(b, "video", !profile || profile->video);
  ims_json_add_int(b, "maxWidth",
                   profile ? MIN(profile->max_width, context->max_width) : context->max_width);
  ims_json_add_int(b, "maxHeight",
                   profile ? MIN(profile->max_height, context->max_height) : context->max_height);
  ims_json_add_int(b, "maxFrameRate",
                   profile ? MIN(profile->max_frame_rate, context->max_frame_rate)
                           : context->max_frame_rate);
  json_builder_end_object(b);
  /* TURN servers with this session's credentials (ice-servers.h) */
  json_builder_set_member_name(b, "iceServers");
  json_builder_add_value(b, ims_ice_servers_to_json(context->ice_servers, record->id,
                                                    g_get_real_time() / G_USEC_PER_SEC));
  json_builder_end_object(b);

  g_autoptr(JsonNode) root = json_builder_get_root(b);
  return ims_message_to_json(root);
}
