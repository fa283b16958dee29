/* envelope.c: the envelope around every event imsd produces; see envelope.h. */
#define G_LOG_DOMAIN "imsd.events"

#include "envelope.h"

char *
ims_event_envelope_build(const char *event_id, const char *event_type, gint64 timestamp_ms,
                         const char *version, const char *correlation_id, JsonNode *payload)
{
  g_return_val_if_fail(event_id != NULL && g_uuid_string_is_valid(event_id), NULL);
  g_return_val_if_fail(event_type != NULL && event_type[0] != '\0', NULL);
  g_return_val_if_fail(payload != NULL && JSON_NODE_HOLDS_OBJECT(payload), NULL);

  g_autoptr(JsonBuilder) builder = json_builder_new();
  json_builder_begin_object(builder);
  json_builder_set_member_name(builder, "eventId");
  json_builder_add_string_value(builder, event_id);
  json_builder_set_member_name(builder, "eventType");
  json_builder_add_string_value(builder, event_type);
  json_builder_set_member_name(builder, "timestamp");
  json_builder_add_int_value(builder, timestamp_ms);
  json_builder_set_member_name(builder, "version");
  json_builder_add_string_value(builder, version ? version : IMS_EVENT_VERSION);
  json_builder_set_member_name(builder, "source");
  json_builder_add_string_value(builder, IMS_EVENT_SOURCE);
  if (correlation_id && correlation_id[0] != '\0') {
    json_builder_set_member_name(builder, "correlationId");
    json_builder_add_string_value(builder, correlation_id);
  }
  json_builder_set_member_name(builder, "payload");
  json_builder_add_value(builder, json_node_copy(payload));   /* the builder takes the copy */
  json_builder_end_object(builder);

  g_autoptr(JsonNode) root = json_builder_get_root(builder);
  g_autoptr(JsonGenerator) generator = json_generator_new();
  json_generator_set_pretty(generator, FALSE);
  json_generator_set_root(generator, root);
  return json_generator_to_data(generator, NULL);
}
