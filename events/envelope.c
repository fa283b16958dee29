/* envelope.c: the envelope around every event imsd produces; see envelope.h. */
#define G_LOG_DOMAIN "imsd.events"

#include "envelope.h"

#include <string.h>

/* Appends the double written at number (a JSON number token of length
 * bytes) in its shortest form that reads back as the same double: json-glib
 * writes 17 significant digits ("11.032999999999999"), a reader gets the
 * same value from "11.033".  A whole value keeps its ".0", as json-glib
 * writes it. */
static void
append_shortest_double(GString *out, const char *number, gsize length)
{
  g_autofree char *token = g_strndup(number, length);
  double value = g_ascii_strtod(token, NULL);
  static const char *const formats[] = { "%.15g", "%.16g", "%.17g" };
  char text[G_ASCII_DTOSTR_BUF_SIZE];
  for (guint i = 0; i < G_N_ELEMENTS(formats); i++) {
    g_ascii_formatd(text, sizeof text, formats[i], value);
    if (g_ascii_strtod(text, NULL) == value)
      break;
  }
  g_string_append(out, text);
  if (!strpbrk(text, ".eE"))
    g_string_append(out, ".0");
}

/* The compact JSON text with every double (a number with a fraction or an
 * exponent) in its shortest exact form; strings and integers as they are.
 * json is json-glib's output, so it is valid JSON. */
static char *
shorten_doubles(const char *json)
{
  GString *out = g_string_sized_new(strlen(json));
  const char *p = json;
  while (*p) {
    const char *start = p;
    if (*p == '"') {
      for (p++; *p && *p != '"'; p++)
        if (*p == '\\' && p[1])
          p++;
      if (*p)
        p++;
      g_string_append_len(out, start, p - start);
    } else if (*p == '-' || g_ascii_isdigit(*p)) {
      while (*p && (g_ascii_isdigit(*p) || strchr("+-.eE", *p)))
        p++;
      if (memchr(start, '.', p - start) || memchr(start, 'e', p - start) ||
          memchr(start, 'E', p - start))
        append_shortest_double(out, start, p - start);
      else
        g_string_append_len(out, start, p - start);
    } else {
      g_string_append_c(out, *p++);
    }
  }
  return g_string_free(out, FALSE);
}

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
  json_builder_add_value(builder, json_node_copy(payload)); /* the builder takes the copy */
  json_builder_end_object(builder);

  g_autoptr(JsonNode) root = json_builder_get_root(builder);
  g_autoptr(JsonGenerator) generator = json_generator_new();
  json_generator_set_pretty(generator, FALSE);
  json_generator_set_root(generator, root);
  g_autofree char *text = json_generator_to_data(generator, NULL);
  return shorten_doubles(text);
}
