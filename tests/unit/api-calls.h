/* api-calls.h: one REST request through ims_api_handle, for the API unit tests
 * (test-api.c, test-candidate-api.c, test-playback-api.c, test-room-api.c).
 */
#pragma once

#include <json-glib/json-glib.h>

#include "api.h"

/* Runs method path (authorization and body may be NULL); fails the test unless
 * the status is expected_status.  The body's object, owned by parser. */
JsonObject *api_call_expect(ImsApi *api, const char *method, const char *path,
                            const char *authorization, const char *body, int expected_status,
                            JsonParser *parser);

/* Runs method path; the status, the body's JSON in *root (the caller's to unref). */
int api_call(ImsApi *api, const char *method, const char *path, const char *authorization,
             const char *body, JsonNode **root);
