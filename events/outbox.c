/* outbox.c: outbox events from payloads; see outbox.h. */
#define G_LOG_DOMAIN "imsd.events"

#include "outbox.h"

#include "envelope.h"
#include "topic.h"

ImsOutboxEvent *
ims_outbox_event_make(const char *event_type, JsonNode *payload, const char *correlation_id)
{
  g_autoptr(JsonNode) owned = payload;
  g_return_val_if_fail(payload != NULL, NULL);
  const char *topic = ims_event_topic(event_type);
  g_autofree char *key = ims_event_partition_key(event_type, payload);
  g_return_val_if_fail(topic != NULL && key != NULL, NULL);

  g_autofree char *event_id = g_uuid_string_random();
  g_autofree char *value = ims_event_envelope_build(event_id, event_type, g_get_real_time() / 1000,
                                                    NULL, correlation_id, payload);
  g_return_val_if_fail(value != NULL, NULL);
  return ims_outbox_event_new(event_id, event_type, topic, key, value);
}

void
ims_outbox_add(GPtrArray **events, const char *event_type, JsonNode *payload,
               const char *correlation_id)
{
  ImsOutboxEvent *event = ims_outbox_event_make(event_type, payload, correlation_id);
  if (!event)
    return;
  if (!*events)
    *events = g_ptr_array_new_with_free_func((GDestroyNotify) ims_outbox_event_free);
  g_ptr_array_add(*events, event);
}
