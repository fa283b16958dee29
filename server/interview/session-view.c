/* session-view.c: the "state" message, the candidate's view of a session
 * (docs/signaling.md).  Read-only over the session's inside. */
#define G_LOG_DOMAIN "imsd.session"

#include <json-glib/json-glib.h>

#include "session-private.h"

char *
ims_session_state_json(ImsSession *session)
{
  const ImsSessionRecord *record = session->record;
  const ImsQuestion *question = ims_session_current_question(session);
  g_autoptr(JsonBuilder) b = json_builder_new();

  json_builder_begin_object(b);
  json_builder_set_member_name(b, "type");
  json_builder_add_string_value(b, "state");
  json_builder_set_member_name(b, "sessionId");
  json_builder_add_string_value(b, record->id);
  json_builder_set_member_name(b, "status");
  json_builder_add_string_value(b, ims_session_state_to_string(record->state));
  json_builder_set_member_name(b, "phase");
  json_builder_add_string_value(b, ims_phase_to_string(session->phase));
  json_builder_set_member_name(b, "questionIndex");
  json_builder_add_int_value(b, record->current_question);
  json_builder_set_member_name(b, "questionCount");
  json_builder_add_int_value(b, record->questions->len);
  json_builder_set_member_name(b, "question");
  if (question && session->phase != IMS_PHASE_COMPLETED) {
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "id");
    json_builder_add_string_value(b, question->id);
    json_builder_set_member_name(b, "text");
    json_builder_add_string_value(b, question->text);
    json_builder_set_member_name(b, "timeLimitSeconds");
    json_builder_add_int_value(b, question->time_limit_seconds);
    json_builder_end_object(b);
  } else {
    json_builder_add_null_value(b);
  }
  json_builder_set_member_name(b, "thinkSeconds");
  json_builder_add_int_value(b, record->think_seconds);
  json_builder_set_member_name(b, "maxRetakes");
  json_builder_add_int_value(b, record->max_retakes);
  json_builder_set_member_name(b, "retakesLeft");
  json_builder_add_int_value(b, ims_session_retakes_left(session));
  json_builder_set_member_name(b, "remainingMs");
  if (session->deadline > 0)
    json_builder_add_int_value(b, MAX(0, (session->deadline - g_get_monotonic_time()) / 1000));
  else
    json_builder_add_null_value(b);
  json_builder_set_member_name(b, "mediaReady");
  json_builder_add_boolean_value(b, session->media_ready);
  OpenTake *live_take = ims_session_find_open_take(session, session->media);
  json_builder_set_member_name(b, "takeWriting");
  json_builder_add_boolean_value(b, live_take && live_take->writing);
  json_builder_set_member_name(b, "saved");
  json_builder_add_boolean_value(b, ims_session_is_saved(session));

  json_builder_set_member_name(b, "takes");
  json_builder_begin_array(b);
  for (guint i = 0; i < record->takes->len; i++) {
    const ImsTake *take = g_ptr_array_index(record->takes, i);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "questionIndex");
    json_builder_add_int_value(b, take->question_index);
    json_builder_set_member_name(b, "number");
    json_builder_add_int_value(b, take->number);
    json_builder_set_member_name(b, "status");
    json_builder_add_string_value(b, ims_take_status_to_string(take->status));
    json_builder_set_member_name(b, "durationMs");
    json_builder_add_int_value(b, take->duration_ms);
    json_builder_set_member_name(b, "saved");
    json_builder_add_boolean_value(b, ims_session_take_is_saved(session, take->id));
    json_builder_set_member_name(b, "stopReason");
    if (take->stop_reason)
      json_builder_add_string_value(b, take->stop_reason);
    else
      json_builder_add_null_value(b);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);

  /* capture limits: the server's, narrowed by the session's profile */
  const ImsSessionContext *context = session->context;
  const ImsProfile *profile =
      context->profiles ? ims_profile_set_lookup(context->profiles, record->profile) : NULL;
  json_builder_set_member_name(b, "constraints");
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "video");
  json_builder_add_boolean_value(b, !profile || profile->video);
  json_builder_set_member_name(b, "maxWidth");
  json_builder_add_int_value(b, profile ? MIN(profile->max_width, context->max_width)
                                        : context->max_width);
  json_builder_set_member_name(b, "maxHeight");
  json_builder_add_int_value(b, profile ? MIN(profile->max_height, context->max_height)
                                        : context->max_height);
  json_builder_set_member_name(b, "maxFrameRate");
  json_builder_add_int_value(b, profile ? MIN(profile->max_frame_rate, context->max_frame_rate)
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

