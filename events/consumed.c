/* consumed.c: parsing the events imsd reads from Kafka; see consumed.h.
 *
 * Order of checks, cheapest first: size, UTF-8, nesting depth (base/json-depth.c,
 * a byte scan, so json-glib never recurses deeply), JSON syntax, object, eventId/eventType,
 * then the user id for the types imsd acts on.
 */
#define G_LOG_DOMAIN "imsd.events"

#include "consumed.h"

#include <math.h>
#include <string.h>

#include "json-depth.h"

/* clang-format off */
G_DEFINE_QUARK(ims-event-error-quark, ims_event_error)
/* clang-format on */

void
ims_consumed_event_free(ImsConsumedEvent *event)
{
  if (!event)
    return;
  g_free(event->event_id);
  g_free(event->event_type);
  g_free(event->user_id);
  if (event->payload)
    json_node_unref(event->payload);
  g_free(event);
}

/* The string value of member in object if it is a non-empty string of at most
 * IMS_EVENT_MAX_ID_LENGTH bytes; NULL otherwise.  Transfer none. */
static const char *
get_id_member(JsonObject *object, const char *member)
{
  if (!object)
    return NULL;
  JsonNode *node = json_object_get_member(object, member);
  if (!node || !JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING)
    return NULL;
  const char *value = json_node_get_string(node);
  if (!value || value[0] == '\0' || strlen(value) > IMS_EVENT_MAX_ID_LENGTH)
    return NULL;
  return value;
}

/* The object member of object, or NULL if absent or not an object. */
static JsonObject *
get_object_member(JsonObject *object, const char *member)
{
  JsonNode *node = json_object_get_member(object, member);
  return node && JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
}

/* Milliseconds since the epoch from a "timestamp" that is a number (ms) or a
 * string (digits: ms; otherwise ISO 8601, UTC unless it names a zone); 0 if
 * absent or unreadable: the timestamp is informative, never a reason to refuse. */
static gint64
read_timestamp_ms(JsonObject *object)
{
  JsonNode *node = json_object_get_member(object, "timestamp");
  if (!node || !JSON_NODE_HOLDS_VALUE(node))
    return 0;
  GType type = json_node_get_value_type(node);
  if (type == G_TYPE_INT64)
    return json_node_get_int(node);
  if (type == G_TYPE_DOUBLE) {
    double value = json_node_get_double(node);
    return isfinite(value) && fabs(value) < 9.0e18 ? (gint64) value : 0;
  }
  if (type != G_TYPE_STRING)
    return 0;
  const char *text = json_node_get_string(node);
  if (text[0] != '\0' && strspn(text, "0123456789") == strlen(text)) {
    guint64 value = 0;
    return g_ascii_string_to_unsigned(text, 10, 0, G_MAXINT64, &value, NULL) ? (gint64) value : 0;
  }
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
  g_autoptr(GDateTime) time = g_date_time_new_from_iso8601(text, utc);
  if (!time)
    return 0;
  return g_date_time_to_unix(time) * 1000 + g_date_time_get_microsecond(time) / 1000;
}

static ImsConsumedKind
kind_of(const char *event_type)
{
  if (strcmp(event_type, IMS_EVENT_USER_DELETED) == 0)
    return IMS_CONSUMED_USER_DELETED;
  if (strcmp(event_type, IMS_EVENT_USER_LOGGED_OUT) == 0)
    return IMS_CONSUMED_USER_LOGGED_OUT;
  return IMS_CONSUMED_OTHER;
}

ImsConsumedEvent *
ims_event_parse_consumed(const char *data, gsize length, GError **error)
{
  if (!data && length > 0) {
    g_set_error_literal(error, IMS_EVENT_ERROR, IMS_EVENT_ERROR_NOT_JSON, "No message data.");
    return NULL;
  }
  if (length > IMS_EVENT_MAX_CONSUMED_BYTES) {
    g_set_error(error, IMS_EVENT_ERROR, IMS_EVENT_ERROR_NOT_JSON,
                "The message is %" G_GSIZE_FORMAT " bytes, more than the %d accepted.", length,
                IMS_EVENT_MAX_CONSUMED_BYTES);
    return NULL;
  }
  if (length == 0 || !g_utf8_validate(data, length, NULL)) {
    g_set_error_literal(error, IMS_EVENT_ERROR, IMS_EVENT_ERROR_NOT_JSON,
                        length == 0 ? "The message is empty." : "The message is not valid UTF-8.");
    return NULL;
  }
  if (!ims_json_depth_within(data, length, IMS_EVENT_MAX_DEPTH)) {
    g_set_error(error, IMS_EVENT_ERROR, IMS_EVENT_ERROR_NOT_JSON,
                "The message nests deeper than %d levels.", IMS_EVENT_MAX_DEPTH);
    return NULL;
  }

  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  g_autoptr(GError) json_error = NULL;
  if (!json_parser_load_from_data(parser, data, (gssize) length, &json_error)) {
    g_set_error(error, IMS_EVENT_ERROR, IMS_EVENT_ERROR_NOT_JSON,
                "The message is not valid JSON: %s", json_error->message);
    return NULL;
  }
  JsonNode *root = json_parser_get_root(parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
    g_set_error_literal(error, IMS_EVENT_ERROR, IMS_EVENT_ERROR_NOT_JSON,
                        "The message is not a JSON object.");
    return NULL;
  }
  JsonObject *object = json_node_get_object(root);

  const char *event_id = get_id_member(object, "eventId");
  const char *event_type = get_id_member(object, "eventType");
  if (!event_id || !event_type) {
    g_set_error(error, IMS_EVENT_ERROR, IMS_EVENT_ERROR_MISSING_FIELDS,
                "The message has no \"%s\" (a non-empty string of at most %d bytes).",
                event_id ? "eventType" : "eventId", IMS_EVENT_MAX_ID_LENGTH);
    return NULL;
  }

  JsonObject *payload = get_object_member(object, "payload");
  JsonObject *data_object = get_object_member(object, "data");
  const char *user_id = get_id_member(payload, "userId");
  if (!user_id)
    user_id = get_id_member(object, "userId");
  if (!user_id)
    user_id = get_id_member(data_object, "userId");

  ImsConsumedKind kind = kind_of(event_type);
  if (kind != IMS_CONSUMED_OTHER && !user_id) {
    g_set_error(error, IMS_EVENT_ERROR, IMS_EVENT_ERROR_BAD_PAYLOAD,
                "Event %s (%s) names no user: no payload.userId, userId or data.userId "
                "(a non-empty string of at most %d bytes).",
                event_id, event_type, IMS_EVENT_MAX_ID_LENGTH);
    return NULL;
  }

  ImsConsumedEvent *event = g_new0(ImsConsumedEvent, 1);
  event->event_id = g_strdup(event_id);
  event->event_type = g_strdup(event_type);
  event->kind = kind;
  event->timestamp_ms = read_timestamp_ms(object);
  event->user_id = g_strdup(user_id);
  JsonNode *body = json_object_get_member(object, payload ? "payload" : "data");
  if (body && JSON_NODE_HOLDS_OBJECT(body))
    event->payload = json_node_copy(body);
  return event;
}
