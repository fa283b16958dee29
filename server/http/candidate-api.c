/* candidate-api.c: the candidate's overview; see candidate-api.h. */
#define G_LOG_DOMAIN "imsd.api"

#include "candidate-api.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "json-build.h"
#include "token.h"

/* The longest answer time of record's questions: the page says "up to N s". */
static int
longest_answer_seconds(const ImsSessionRecord *record)
{
  int longest = 0;
  for (guint i = 0; i < record->questions->len; i++) {
    const ImsQuestion *question = g_ptr_array_index(record->questions, i);
    longest = MAX(longest, question->time_limit_seconds);
  }
  return longest;
}

static void
build_overview(JsonBuilder *b, const ImsSessionRecord *record)
{
  json_builder_begin_object(b);
  ims_json_add_string(b, "sessionId", record->id);
  ims_json_add_string(b, "title", record->title);
  ims_json_add_string(b, "companyName", record->company_name);
  /* created: never joined; active: the candidate resumes where they were */
  ims_json_add_string(b, "status", ims_session_state_to_string(record->state));
  ims_json_add_int(b, "questionCount", record->questions->len);
  ims_json_add_int(b, "currentQuestion", record->current_question);
  ims_json_add_int(b, "answerSeconds", longest_answer_seconds(record));
  ims_json_add_int(b, "thinkSeconds", record->think_seconds);
  ims_json_add_int(b, "maxRetakes", record->max_retakes);
  json_builder_set_member_name(b, "practice");
  if (record->practice_text) {
    json_builder_begin_object(b);
    ims_json_add_string(b, "text", record->practice_text);
    ims_json_add_int(b, "timeLimitSeconds", record->practice_seconds);
    json_builder_end_object(b);
  } else {
    json_builder_add_null_value(b);
  }
  json_builder_end_object(b);
}

void
ims_candidate_api_get_session(ImsApi *api, const ImsApiCall *call, ImsApiResponse *response)
{
  g_autoptr(GError) error = NULL;
  const char *id = call->candidate_session; /* api.c checked the token */
  /* a signed token of a session id that is no UUID opens nothing, as at join */
  g_autoptr(ImsSessionRecord) record =
      g_uuid_string_is_valid(id) ? api->store->sessions.load_session(api->store, id, &error) : NULL;
  if (!record && error && !g_error_matches(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND)) {
    g_warning("%s: cannot load session: %s", id, error->message);
    ims_api_respond_error(response, 500, "internal", "The interview could not be read.");
    return;
  }
  if (!record || record->kind != IMS_SESSION_ONE_WAY) {
    ims_api_respond_error(response, 404, "session_not_found", "This interview link is not valid.");
    return;
  }
  if (record->state == IMS_SESSION_COMPLETED) {
    ims_api_respond_error(response, 410, "interview_completed",
                          "This interview is already completed.");
    return;
  }
  g_autoptr(JsonBuilder) b = json_builder_new();
  build_overview(b, record);
  ims_api_respond_json(response, 200, b);
}
