/* api-calls.c: see api-calls.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "api-calls.h"

JsonObject *
api_call_expect(ImsApi *api, const char *method, const char *path, const char *authorization,
                const char *body, int expected_status, JsonParser *parser)
{
  ImsApiRequest request = { .method = method, .path = path, .authorization = authorization,
                            .body = body, .body_length = body ? strlen(body) : 0 };
  ImsApiResponse response = { 0 };
  ims_api_handle(api, &request, &response);
  if (response.status != expected_status)
    fail_msg("%s %s: status %d, expected %d: %s", method, path, response.status, expected_status,
             response.body);
  assert_non_null(response.body);
  assert_true(json_parser_load_from_data(parser, response.body, -1, NULL));
  ims_api_response_clear(&response);
  assert_true(JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)));
  return json_node_get_object(json_parser_get_root(parser));
}

int
api_call(ImsApi *api, const char *method, const char *path, const char *authorization,
         const char *body, JsonNode **root)
{
  ImsApiRequest request = { .method = method, .path = path, .authorization = authorization,
                            .body = body, .body_length = body ? strlen(body) : 0 };
  ImsApiResponse response = { 0 };
  ims_api_handle(api, &request, &response);
  *root = json_from_string(response.body, NULL);
  assert_non_null(*root);
  int status = response.status;
  ims_api_response_clear(&response);
  return status;
}
