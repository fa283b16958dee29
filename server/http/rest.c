/* rest.c: the JSON replies of every REST handler; see rest.h. */
#define G_LOG_DOMAIN "imsd.api"

#include "rest.h"

#include "json-build.h"
#include "message.h"

void
ims_api_response_clear(ImsApiResponse *response)
{
  g_clear_pointer(&response->body, g_free);
  response->content_type = NULL;
}

void
ims_api_respond_json(ImsApiResponse *response, int status, JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root(builder);
  response->status = status;
  response->body = ims_message_to_json(root);
}

void
ims_api_respond_error(ImsApiResponse *response, int status, const char *code, const char *format,
                      ...)
{
  va_list args;
  va_start(args, format);
  g_autofree char *message = g_strdup_vprintf(format, args);
  va_end(args);

  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  ims_json_add_string(b, "code", code);
  ims_json_add_string(b, "message", message);
  json_builder_end_object(b);
  ims_api_respond_json(response, status, b);
}
