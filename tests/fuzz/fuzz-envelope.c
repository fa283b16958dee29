/* fuzz-envelope.c: libFuzzer target for events/consumed.c (events imsd reads from Kafka).
 *
 * Every input is parsed as a consumed event envelope (either producer shape).
 * It must never crash; a parsed event must carry a non-empty id and type of
 * bounded length, a user id when its type is one imsd acts on, and a payload
 * that is an object when present; a refusal must carry an IMS_EVENT_ERROR with
 * a message.  A parsed event's payload must also survive being wrapped in an
 * envelope of our own and parsed back (the gateway shape).
 */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "events/consumed.h"
#include "events/envelope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_round_trip(const ImsConsumedEvent *event)
{
  g_autofree char *id = g_uuid_string_random();
  g_autofree char *text = ims_event_envelope_build(id, event->event_type, event->timestamp_ms, NULL,
                                                   NULL, event->payload);
  if (!text)
    abort();
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsConsumedEvent) again = ims_event_parse_consumed(text, strlen(text), &error);
  /* Our own envelope is at most one level deeper and a few bytes longer:
   * it may only be refused for that. */
  if (!again) {
    if (!error || error->domain != IMS_EVENT_ERROR || error->code == IMS_EVENT_ERROR_MISSING_FIELDS)
      abort();
    return;
  }
  if (strcmp(again->event_id, id) != 0 || strcmp(again->event_type, event->event_type) != 0 ||
      again->timestamp_ms != event->timestamp_ms || again->kind != event->kind)
    abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsConsumedEvent) event = ims_event_parse_consumed((const char *) data, size, &error);

  if (!event) {
    if (!error || error->domain != IMS_EVENT_ERROR || !error->message[0])
      abort();
    return 0;
  }
  if (error)
    abort();
  if (!event->event_id || !event->event_id[0] || strlen(event->event_id) > IMS_EVENT_MAX_ID_LENGTH)
    abort();
  if (!event->event_type || !event->event_type[0] ||
      strlen(event->event_type) > IMS_EVENT_MAX_ID_LENGTH)
    abort();
  if (event->kind != IMS_CONSUMED_OTHER && (!event->user_id || !event->user_id[0]))
    abort();
  if (event->payload && !JSON_NODE_HOLDS_OBJECT(event->payload))
    abort();
  if (event->payload)
    check_round_trip(event);
  return 0;
}
