/* envelope.h: the envelope around every event imsd produces on Kafka.
 *
 * The wire format is the platform's (shared/contracts/events.md, docs/events.md):
 *
 *   {"eventId":"<uuid v4>","eventType":"media.uploaded","timestamp":1728212400000,
 *    "version":"1.0","source":"media-server","correlationId":"...","payload":{...}}
 *
 * Lifecycle of an event: a payload builder (payloads.h) makes the payload when
 * the state change happens; the outbox row stores the event id (generated once,
 * never again on retry), the type, the time and the payload; the relay calls
 * ims_event_envelope_build() to make the message value and ims_event_topic() /
 * ims_event_partition_key() (topic.h) for where it goes.  Pure functions: no
 * state, no I/O, safe from any thread.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The producer name every envelope carries in "source". */
#define IMS_EVENT_SOURCE "media-server"
/* The payload schema version imsd writes today. */
#define IMS_EVENT_VERSION "1.0"

/* Serializes one envelope as compact JSON (UTF-8, no newline).
 *
 * event_id: a UUID (v4 when made by g_uuid_string_random()), the outbox row's;
 * event_type: e.g. "candidate.started"; timestamp_ms: milliseconds since the
 * Unix epoch (written as a JSON number); version: payload schema version, NULL
 * for IMS_EVENT_VERSION; correlation_id: copied into "correlationId", omitted
 * when NULL or empty; payload: a JSON object node, transfer none (it is copied).
 *
 * Doubles are written in their shortest form that reads back exactly
 * ("11.033", not json-glib's "11.032999999999999"); a whole one as "2.0".
 *
 * Returns the text, transfer full (g_free).  Programming errors (NULL id or
 * type, an id that is not a UUID, a payload that is not an object) return NULL
 * with a critical warning. */
char *ims_event_envelope_build(const char *event_id, const char *event_type, gint64 timestamp_ms,
                               const char *version, const char *correlation_id, JsonNode *payload);

G_END_DECLS
