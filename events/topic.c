/* topic.c: topic, partition key and dead letter topic of an event; see topic.h. */
#define G_LOG_DOMAIN "imsd.events"

#include "topic.h"

#include <string.h>

/* Event type prefix -> topic and key field. */
static const struct {
  const char *prefix;
  const char *topic;
  const char *key_field;
} routes[] = {
  { "candidate.", IMS_TOPIC_CANDIDATE_EVENTS, "sessionId" },
  { "media.", IMS_TOPIC_MEDIA_EVENTS, "userId" },
  { "interview.", IMS_TOPIC_INTERVIEW_EVENTS, "userId" },
};

/* The route of event_type, or -1.  "candidate." alone (no name) is no type. */
static int
find_route(const char *event_type)
{
  if (!event_type)
    return -1;
  for (guint i = 0; i < G_N_ELEMENTS(routes); i++)
    if (g_str_has_prefix(event_type, routes[i].prefix) &&
        event_type[strlen(routes[i].prefix)] != '\0')
      return (int) i;
  return -1;
}

const char *
ims_event_topic(const char *event_type)
{
  int route = find_route(event_type);
  return route < 0 ? NULL : routes[route].topic;
}

const char *
ims_event_key_field(const char *event_type)
{
  int route = find_route(event_type);
  return route < 0 ? NULL : routes[route].key_field;
}

char *
ims_event_partition_key(const char *event_type, JsonNode *payload)
{
  const char *field = ims_event_key_field(event_type);
  if (!field || !payload || !JSON_NODE_HOLDS_OBJECT(payload))
    return NULL;
  JsonNode *value = json_object_get_member(json_node_get_object(payload), field);
  if (!value || !JSON_NODE_HOLDS_VALUE(value) || json_node_get_value_type(value) != G_TYPE_STRING)
    return NULL;
  const char *key = json_node_get_string(value);
  return key && key[0] != '\0' ? g_strdup(key) : NULL;
}

char *
ims_event_dlq_topic(const char *topic)
{
  g_return_val_if_fail(topic != NULL, NULL);
  return g_strconcat(topic, "-dlq", NULL);
}
