/* outbox.h: makes outbox events: the envelope of the contract
 * (../shared/contracts/events.md) with a fresh eventId, its topic and its
 * partition key, ready to be appended in the transaction of the state change
 * that caused it (ims_store_change). */
#pragma once

#include <json-glib/json-glib.h>

#include "records.h"

G_BEGIN_DECLS

/* payload is transfer full.  NULL (after a critical) only on programming
 * errors: an unknown event type or a payload without its key field. */
ImsOutboxEvent *ims_outbox_event_make(const char *event_type, JsonNode *payload,
                                      const char *correlation_id);

/* Appends ims_outbox_event_make(...) to events (a GPtrArray with
 * ims_outbox_event_free as free func, created if *events is NULL). */
void ims_outbox_add(GPtrArray **events, const char *event_type, JsonNode *payload,
                    const char *correlation_id);

G_END_DECLS
