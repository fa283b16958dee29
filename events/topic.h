/* topic.h: where an event imsd produces goes on Kafka: topic, partition key,
 * dead letter topic.
 *
 *   candidate.*  -> candidate-events   key: payload.sessionId
 *   media.*      -> media-events       key: payload.userId (the candidate)
 *   interview.*  -> interview-events   key: payload.userId (the candidate)
 *
 * The key keeps the events of one session (or one user) in one partition, in
 * the order they were recorded.  Pure functions over constant tables.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define IMS_TOPIC_CANDIDATE_EVENTS "candidate-events"
#define IMS_TOPIC_MEDIA_EVENTS "media-events"
#define IMS_TOPIC_INTERVIEW_EVENTS "interview-events"
#define IMS_TOPIC_USER_EVENTS "user-events"
#define IMS_TOPIC_AUTH_EVENTS "auth-events"
/* The consumer group imsd reads user-events and auth-events with. */
#define IMS_EVENT_CONSUMER_GROUP "media-server-group"

/* The topic an event type imsd produces goes to ("candidate-events",
 * "media-events" or "interview-events"); NULL for a type imsd does not
 * produce.  The string is static. */
const char *ims_event_topic(const char *event_type);

/* The payload field whose value is the message key: "sessionId" for
 * candidate-events, "userId" for media-events and interview-events; NULL for a
 * type imsd does not produce.  The string is static. */
const char *ims_event_key_field(const char *event_type);

/* The message key of an event: the string value of ims_event_key_field() in
 * payload (a JSON object node, transfer none).  NULL if the type is not one
 * imsd produces or the field is missing or not a non-empty string.
 * Transfer full. */
char *ims_event_partition_key(const char *event_type, JsonNode *payload);

/* "<topic>-dlq", the platform's dead letter topic of topic.  Transfer full. */
char *ims_event_dlq_topic(const char *topic);

G_END_DECLS
