/* consumed.h: an event imsd reads from Kafka (user-events, auth-events).
 *
 * Producers are not uniform (shared/contracts/events.md):
 *   user service:  {eventId, eventType, timestamp, userId, data:{...}}
 *   API gateway:   {eventId, eventType, timestamp, version, source, payload:{...}}
 * ims_event_parse_consumed() accepts both and returns one ImsConsumedEvent.
 * The user id is read from payload.userId, else userId, else data.userId.
 *
 * What the consumer does with the error codes (the platform's rules):
 *   IMS_EVENT_ERROR_NOT_JSON, IMS_EVENT_ERROR_MISSING_FIELDS: DLQ at once, no retry;
 *   IMS_EVENT_ERROR_BAD_PAYLOAD: a handled type without a usable user id;
 *     retrying cannot help either, so it goes to the DLQ too.
 * A type imsd does not handle parses fine (kind IMS_CONSUMED_OTHER): the
 * consumer commits it and moves on.
 *
 * Lifecycle: parse -> read fields -> ims_consumed_event_free().  No state.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "json-depth.h"

G_BEGIN_DECLS

/* Largest message accepted (Kafka's default message.max.bytes is about 1 MiB). */
#define IMS_EVENT_MAX_CONSUMED_BYTES (1024 * 1024)
/* Deepest nesting of objects and arrays accepted; deeper input is refused
 * before json-glib (a recursive parser) sees it (base/json-depth.h). */
#define IMS_EVENT_MAX_DEPTH IMS_JSON_MAX_DEPTH
/* Longest eventId, eventType and user id accepted, in bytes. */
#define IMS_EVENT_MAX_ID_LENGTH 255

#define IMS_EVENT_USER_DELETED "user.deleted"
#define IMS_EVENT_USER_LOGGED_OUT "user.logged_out"

typedef enum {
  IMS_CONSUMED_OTHER,           /* a type imsd ignores (commit it) */
  IMS_CONSUMED_USER_DELETED,    /* erase every object and row of user_id */
  IMS_CONSUMED_USER_LOGGED_OUT, /* close user_id's live room sessions */
} ImsConsumedKind;

typedef struct {
  char *event_id;   /* non-empty, at most IMS_EVENT_MAX_ID_LENGTH bytes */
  char *event_type; /* non-empty, at most IMS_EVENT_MAX_ID_LENGTH bytes */
  ImsConsumedKind kind;
  gint64 timestamp_ms; /* ms since the epoch: a number, or an ISO 8601 string converted; 0 if absent/unreadable */
  char *user_id;     /* NULL only for IMS_CONSUMED_OTHER without one */
  JsonNode *payload; /* the "payload" object (gateway) else the "data" object
                              * (user service), owned; NULL if there is neither */
} ImsConsumedEvent;

#define IMS_EVENT_ERROR (ims_event_error_quark())
GQuark ims_event_error_quark(void);
typedef enum {
  IMS_EVENT_ERROR_NOT_JSON,       /* not UTF-8, not JSON, not an object, too large or too deep */
  IMS_EVENT_ERROR_MISSING_FIELDS, /* no eventId / eventType non-empty string */
  IMS_EVENT_ERROR_BAD_PAYLOAD,    /* a handled type without a user id */
} ImsEventError;

/* Parses one Kafka message value (data, length bytes, need not be
 * NUL-terminated).  Returns the event, transfer full, or NULL with an
 * IMS_EVENT_ERROR naming what is wrong.  Cost: one JSON parse, linear in
 * length. */
ImsConsumedEvent *ims_event_parse_consumed(const char *data, gsize length, GError **error);

void ims_consumed_event_free(ImsConsumedEvent *event);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsConsumedEvent, ims_consumed_event_free)

G_END_DECLS
