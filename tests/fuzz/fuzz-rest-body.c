/* fuzz-rest-body.c: libFuzzer target for the JSON body of POST /api/v1/sessions (server/http/service-api.c).
 *
 * The input is the request body, handed to ims_api_handle() as http.c would (length-delimited, not
 * NUL-terminated, authorized with the service token), with the store replaced at its seam by one that
 * accepts every session.  It must never crash, and every answer must be 201 with a session id, join URL
 * and token, or 400 bad_json / invalid_request with a message; a 201 must have reached the store with an
 * interview id, a user id and 1 to 50 questions.
 */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "imsd-build.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_SERVICE_TOKEN "fuzz-service-token"

static guint created;
static gboolean created_record_ok;

static gboolean
accept_session(ImsStore *store, const ImsSessionRecord *record, GError **error)
{
  created++;
  created_record_ok = record->id && record->interview_id && record->interview_id[0] &&
                      record->user_id && record->user_id[0] && record->questions->len >= 1 &&
                      record->questions->len <= 50;
  return TRUE;
}

/* The members code and message of body if it is {"code": string, "message": non-empty string}. */
static const char *
error_code(JsonParser *parser, const char *body)
{
  if (!body || !json_parser_load_from_data(parser, body, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
    return NULL;
  JsonObject *object = json_node_get_object(json_parser_get_root(parser));
  const char *message = json_object_get_string_member_with_default(object, "message", "");
  return message[0] ? json_object_get_string_member_with_default(object, "code", NULL) : NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static ImsConfig *config;
  static ImsProfileSet *profiles;
  static ImsStore store = { .sessions.create_session = accept_session };
  if (!config) {
    config = ims_config_new();
    g_free(config->service_token);
    config->service_token = g_strdup(FUZZ_SERVICE_TOKEN);
    g_free(config->token_secret);
    config->token_secret = g_strdup("fuzz-token-secret-fuzz-token-secret-0123");
    profiles = ims_profile_set_load_file(IMSD_SOURCE_DIR "/etc/profiles.ini", NULL);
    if (!profiles)
      abort();
  }
  ImsApi api = { .config = config, .store = &store, .profiles = profiles };
  /* exactly size bytes, as http.c hands the body over: no terminating NUL to lean on */
  g_autofree char *body = size > 0 ? g_memdup2(data, size) : NULL;
  ImsApiRequest request = { .method = "POST",
                            .path = "/api/v1/sessions",
                            .authorization = "Bearer " FUZZ_SERVICE_TOKEN,
                            .body = body,
                            .body_length = size };
  ImsApiResponse response = { 0 };
  guint created_before = created;
  ims_api_handle(&api, &request, &response);

  g_autoptr(JsonParser) parser = json_parser_new();
  if (response.status == 201) {
    if (created != created_before + 1 || !created_record_ok || !response.body ||
        !strstr(response.body, "\"sessionId\"") || !strstr(response.body, "\"joinUrl\"") ||
        !strstr(response.body, "\"token\""))
      abort();
  } else {
    const char *code = error_code(parser, response.body);
    if (response.status != 400 || created != created_before || !code ||
        (strcmp(code, "bad_json") != 0 && strcmp(code, "invalid_request") != 0))
      abort();
  }
  ims_api_response_clear(&response);
  return 0;
}
