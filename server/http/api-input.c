/* api-input.c: ids, JSON text and the parameter tables of REST input; see
 * api-input.h. */
#define G_LOG_DOMAIN "imsd.api"

#include "api-input.h"

#include <string.h>

#include "json-depth.h"

const char *
ims_api_input_id_problem(const char *id, gssize length)
{
  if (!id)
    return "is missing";
  gsize bytes = length < 0 ? strlen(id) : (gsize) length;
  if (bytes == 0)
    return "is empty";
  if (bytes > IMS_API_MAX_ID_BYTES)
    return "is longer than " G_STRINGIFY(IMS_API_MAX_ID_BYTES) " bytes";
  if (memchr(id, '\0', bytes))
    return "holds a NUL character";
  if (!g_utf8_validate(id, (gssize) bytes, NULL))
    return "is not valid UTF-8";
  for (const char *p = id; p < id + bytes; p = g_utf8_next_char(p)) {
    if (!g_unichar_isprint(g_utf8_get_char(p)))
      return "holds a control or other non-printable character";
  }
  return NULL;
}

gboolean
ims_api_input_json_has_nul(const char *json, gsize length)
{
  /* outside strings a backslash is not valid JSON (the parser refuses it),
   * so every backslash starts an escape: skip what it escapes */
  for (gsize i = 0; i < length; i++) {
    if (json[i] != '\\' || i + 1 >= length)
      continue;
    if (json[i + 1] == 'u' && i + 5 < length && memcmp(json + i + 2, "0000", 4) == 0)
      return TRUE;
    i++;
  }
  return FALSE;
}

JsonObject *
ims_api_input_parse_body(JsonParser *parser, const char *body, gsize length, const char **code,
                         char **problem)
{
  *code = "bad_json";
  if (body && !ims_json_depth_within(body, length, IMS_JSON_MAX_DEPTH)) {
    *problem = g_strdup_printf("The body nests objects or arrays deeper than %d levels",
                               IMS_JSON_MAX_DEPTH);
    return NULL;
  }
  if (!body || !g_utf8_validate(body, length, NULL) ||
      !json_parser_load_from_data(parser, body, length, NULL) ||
      json_parser_get_root(parser) == NULL || /* only whitespace */
      !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
    *problem = g_strdup("The body must be a JSON object");
    return NULL;
  }
  if (ims_api_input_json_has_nul(body, length)) {
    *code = "invalid_request";
    *problem = g_strdup("Strings may not hold NUL (\\u0000)");
    return NULL;
  }
  return json_node_get_object(json_parser_get_root(parser));
}

/* ---- parameter tables ---- */

/* The sentence a bad value of p gets: its own message, else its type's. */
static char *
type_sentence(const ImsApiParameter *p, const char *label)
{
  if (p->message)
    return g_strdup(p->message);
  switch (p->type) {
  case IMS_API_PARAM_STRING:
    return g_strdup_printf(
        "%s must be a non-empty string of at most %" G_GINT64_FORMAT " characters", label, p->max);
  case IMS_API_PARAM_ID:
    return g_strdup_printf("%s must be a non-empty string of at most %d characters", label,
                           IMS_API_MAX_ID_BYTES);
  case IMS_API_PARAM_INT:
    return g_strdup_printf("%s must be an integer from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT,
                           label, p->min, p->max);
  case IMS_API_PARAM_WORD: {
    GString *sentence = g_string_new(NULL);
    g_string_printf(sentence, "%s must be ", label);
    for (guint i = 0; p->words && p->words[i]; i++) {
      if (i > 0)
        g_string_append(sentence, p->words[i + 1] ? ", " : " or ");
      g_string_append(sentence, p->words[i]);
    }
    return g_string_free(sentence, FALSE);
  }
  case IMS_API_PARAM_TIME:
    return g_strdup_printf("%s must be an ISO 8601 time", label);
  case IMS_API_PARAM_OBJECT:
    return g_strdup_printf("%s must be an object", label);
  case IMS_API_PARAM_ARRAY:
    return g_strdup_printf("%s must be an array of %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT
                           " elements",
                           label, p->min, p->max);
  case IMS_API_PARAM_BOOLEAN:
    return g_strdup_printf("%s must be true or false", label);
  }
  g_return_val_if_reached(g_strdup_printf("%s is not accepted", label));
}

static gboolean
refuse(const ImsApiParameter *p, const char *label, char **problem)
{
  *problem = type_sentence(p, label);
  return FALSE;
}

static gboolean
refuse_absent(const ImsApiParameter *p, const char *label, char **problem)
{
  *problem = p->message ? g_strdup(p->message) : g_strdup_printf("%s is required", label);
  return FALSE;
}

static gboolean
parse_time(const char *text, gint64 *unix_us)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_iso8601(text, NULL);
  if (!time)
    return FALSE;
  *unix_us = g_date_time_to_unix(time) * G_USEC_PER_SEC + g_date_time_get_microsecond(time);
  return TRUE;
}

static void
store_text(const ImsApiParameter *p, const char *text)
{
  if (p->copy)
    *p->copy = g_strdup(text);
  if (p->text)
    *p->text = text;
}

/* Checks text, the value of p (a body's string member or any query value),
 * and stores it.  in_body: an ID must first be a body's kind of string. */
static gboolean
check_text(const ImsApiParameter *p, const char *label, const char *text, gboolean in_body,
           char **problem)
{
  switch (p->type) {
  case IMS_API_PARAM_STRING:
    if (text[0] == '\0' || strlen(text) > (gsize) p->max)
      return refuse(p, label, problem);
    store_text(p, text);
    return TRUE;
  case IMS_API_PARAM_ID: {
    if (in_body && (text[0] == '\0' || strlen(text) > IMS_API_MAX_ID_BYTES))
      return refuse(p, label, problem);
    const char *why = ims_api_input_id_problem(text, -1);
    if (why) {
      *problem = p->message ? g_strdup(p->message) : g_strdup_printf("%s %s", label, why);
      return FALSE;
    }
    store_text(p, text);
    return TRUE;
  }
  case IMS_API_PARAM_INT: {
    gint64 value;
    if (!g_ascii_string_to_signed(text, 10, p->min, p->max, &value, NULL))
      return refuse(p, label, problem);
    if (p->integer)
      *p->integer = (int) value;
    return TRUE;
  }
  case IMS_API_PARAM_WORD:
    for (guint i = 0; p->words && p->words[i]; i++) {
      if (g_str_equal(text, p->words[i])) {
        store_text(p, text);
        return TRUE;
      }
    }
    return refuse(p, label, problem);
  case IMS_API_PARAM_TIME: {
    gint64 unix_us;
    if (!parse_time(text, &unix_us))
      return refuse(p, label, problem);
    if (p->time)
      *p->time = unix_us;
    return TRUE;
  }
  case IMS_API_PARAM_OBJECT:
  case IMS_API_PARAM_ARRAY:
  case IMS_API_PARAM_BOOLEAN:
    break;
  }
  g_critical("%s: a %s cannot hold a %s", p->name, in_body ? "string member" : "query parameter",
             p->type == IMS_API_PARAM_OBJECT  ? "object"
             : p->type == IMS_API_PARAM_ARRAY ? "array"
                                              : "boolean");
  return refuse(p, label, problem);
}

static gboolean
check_member(JsonObject *object, const ImsApiParameter *p, char **problem)
{
  g_autofree char *label = g_strdup_printf("\"%s\"", p->name);
  JsonNode *node = json_object_get_member(object, p->name);
  if (!node || JSON_NODE_HOLDS_NULL(node))
    return (p->flags & IMS_API_PARAM_REQUIRED) ? refuse_absent(p, label, problem) : TRUE;

  switch (p->type) {
  case IMS_API_PARAM_INT:
    if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_INT64 ||
        json_node_get_int(node) < p->min || json_node_get_int(node) > p->max)
      return refuse(p, label, problem);
    if (p->integer)
      *p->integer = (int) json_node_get_int(node);
    return TRUE;
  case IMS_API_PARAM_OBJECT:
    if (!JSON_NODE_HOLDS_OBJECT(node))
      return refuse(p, label, problem);
    return ims_api_input_check_object(json_node_get_object(node), p->members, p->n_members, problem);
  case IMS_API_PARAM_BOOLEAN:
    if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_BOOLEAN)
      return refuse(p, label, problem);
    if (p->boolean)
      *p->boolean = json_node_get_boolean(node);
    return TRUE;
  case IMS_API_PARAM_ARRAY: {
    guint length = JSON_NODE_HOLDS_ARRAY(node) ? json_array_get_length(json_node_get_array(node))
                                               : 0;
    if (!JSON_NODE_HOLDS_ARRAY(node) || length < p->min || length > p->max)
      return refuse(p, label, problem);
    if (p->array)
      *p->array = json_node_get_array(node);
    return TRUE;
  }
  default: /* the string types */
    if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING)
      return refuse(p, label, problem);
    return check_text(p, label, json_node_get_string(node), TRUE, problem);
  }
}

gboolean
ims_api_input_check_object(JsonObject *object, const ImsApiParameter *parameters, gsize n,
                           char **problem)
{
  for (gsize i = 0; i < n; i++) {
    if (!check_member(object, &parameters[i], problem))
      return FALSE;
  }
  return TRUE;
}

gboolean
ims_api_input_check_query(GHashTable *params, const ImsApiParameter *parameters, gsize n,
                          char **problem)
{
  for (gsize i = 0; i < n; i++) {
    const ImsApiParameter *p = &parameters[i];
    const char *text = params ? g_hash_table_lookup(params, p->name) : NULL;
    if (!text) {
      if (p->flags & IMS_API_PARAM_REQUIRED)
        return refuse_absent(p, p->name, problem);
      continue;
    }
    if (!check_text(p, p->name, text, FALSE, problem))
      return FALSE;
  }
  return TRUE;
}
