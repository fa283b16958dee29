/* json-build.c: members of a JSON object being built; see json-build.h. */
#include "json-build.h"

#include <math.h>

#include "time-format.h"

void
ims_json_add_string(JsonBuilder *builder, const char *name, const char *value)
{
  json_builder_set_member_name(builder, name);
  if (value)
    json_builder_add_string_value(builder, value);
  else
    json_builder_add_null_value(builder);
}

void
ims_json_add_string_if_known(JsonBuilder *builder, const char *name, const char *value)
{
  if (value)
    ims_json_add_string(builder, name, value);
}

void
ims_json_add_int(JsonBuilder *builder, const char *name, gint64 value)
{
  json_builder_set_member_name(builder, name);
  json_builder_add_int_value(builder, value);
}

void
ims_json_add_boolean(JsonBuilder *builder, const char *name, gboolean value)
{
  json_builder_set_member_name(builder, name);
  json_builder_add_boolean_value(builder, value);
}

gboolean
ims_json_add_double(JsonBuilder *builder, const char *name, double value)
{
  gboolean finite = isfinite(value);
  json_builder_set_member_name(builder, name);
  json_builder_add_double_value(builder, finite ? value : 0);
  return finite;
}

void
ims_json_add_time_or_null(JsonBuilder *builder, const char *name, gint64 unix_us)
{
  g_autofree char *text = unix_us != 0 ? ims_time_format_iso8601(unix_us) : NULL;
  ims_json_add_string(builder, name, text);
}

gboolean
ims_json_add_time(JsonBuilder *builder, const char *name, gint64 unix_us)
{
  g_autofree char *text = ims_time_format_iso8601(unix_us);
  if (!text)
    return FALSE;
  ims_json_add_string(builder, name, text);
  return TRUE;
}

gboolean
ims_json_add_object_text(JsonBuilder *builder, const char *name, const char *json, GError **error)
{
  JsonNode *node = json ? json_from_string(json, error) : NULL;
  if (node && !JSON_NODE_HOLDS_OBJECT(node))
    g_clear_pointer(&node, json_node_unref);
  json_builder_set_member_name(builder, name);
  json_builder_add_value(builder, node ? node : json_node_new(JSON_NODE_NULL));
  return !json || node;
}
