/* ratings-api.c: recruiters' per-answer ratings' handlers; see ratings-api.h. */
#define G_LOG_DOMAIN "imsd.review"

#include "ratings-api.h"

#include "api-input.h"
#include "json-build.h"
#include "review-api.h"

/* Only a recruiter rates: a rating is their company's. */
static gboolean
check_recruiter(const ImsApiCall *call, ImsApiResponse *response)
{
  if (call->reviewer->role == IMS_REVIEWER_RECRUITER)
    return TRUE;
  ims_api_respond_error(response, 403, "forbidden", "Only a recruiter rates answers.");
  return FALSE;
}

/* The take call->id's session if a recruiter calls who may see it (transfer
 * full); otherwise NULL with the response filled (403 for admin or service,
 * 404 for another company's take). */
static char *
load_rateable_take(ImsApi *api, const ImsApiCall *call, ImsApiResponse *response)
{
  g_autoptr(GError) error = NULL;
  if (!check_recruiter(call, response))
    return NULL;
  g_autofree char *session_id = NULL;
  g_autofree char *company_id = NULL;
  if (!api->store->ratings.get_take_owner(api->store, call->id, &session_id, &company_id,
                                          &error)) {
    if (!g_error_matches(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND)) {
      g_warning("take %s: cannot read: %s", call->id, error->message);
      ims_api_respond_error(response, 500, "internal", "The take could not be read.");
      return NULL;
    }
  }
  if (!session_id || !ims_reviewer_can_see(call->reviewer, company_id)) {
    ims_api_respond_error(response, 404, "not_found", "No such take.");
    return NULL;
  }
  return g_steal_pointer(&session_id);
}

/* One rating; with_take also names its take (the session's list). */
static void
add_rating(JsonBuilder *b, const ImsTakeRating *rating, gboolean with_take)
{
  json_builder_begin_object(b);
  if (with_take)
    ims_json_add_string(b, "takeId", rating->take_id);
  ims_json_add_string(b, "recruiter", rating->recruiter);
  ims_json_add_int(b, "rating", rating->rating);
  ims_json_add_string(b, "note", rating->note);
  ims_json_add_time_or_null(b, "updatedAt", rating->updated_at);
  json_builder_end_object(b);
}

/* rating (required, 1 to 5) and note (a string of at most
 * IMS_RATING_MAX_NOTE characters, "" when absent) of body into *rating;
 * FALSE with *code and *problem (transfer full) otherwise. */
static gboolean
parse_rating(JsonObject *body, ImsTakeRating *rating, const char **code, char **problem)
{
  const ImsApiParameter members[] = {
    { .name = "rating",
      .type = IMS_API_PARAM_INT,
      .flags = IMS_API_PARAM_REQUIRED,
      .min = 1,
      .max = 5,
      .message = "\"rating\" must be an integer from 1 to 5",
      .integer = &rating->rating },
  };
  JsonNode *note = json_object_get_member(body, "note");
  *code = "invalid_rating";
  if (!ims_api_input_check_object(body, members, G_N_ELEMENTS(members), problem))
    return FALSE;
  if (note && !JSON_NODE_HOLDS_NULL(note)) {
    if (!JSON_NODE_HOLDS_VALUE(note) || json_node_get_value_type(note) != G_TYPE_STRING) {
      *code = "invalid_request";
      *problem = g_strdup("\"note\" must be a string");
      return FALSE;
    }
    const char *text = json_node_get_string(note);
    if (g_utf8_strlen(text, -1) > IMS_RATING_MAX_NOTE) {
      *code = "note_too_long";
      *problem = g_strdup_printf("\"note\" must be at most %d characters", IMS_RATING_MAX_NOTE);
      return FALSE;
    }
    rating->note = g_strdup(text);
  } else {
    rating->note = g_strdup("");
  }
  return TRUE;
}

void
ims_ratings_api_put(ImsApi *api, const ImsApiCall *call, ImsApiResponse *response)
{
  const ImsApiRequest *request = call->request;
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  g_autoptr(GError) error = NULL;
  g_autofree char *problem = NULL;
  const char *code = NULL;
  g_autofree char *session_id = load_rateable_take(api, call, response);
  if (!session_id)
    return;
  JsonObject *body = ims_api_input_parse_body(parser, request->body, request->body_length, &code,
                                              &problem);
  g_autoptr(ImsTakeRating) rating = g_new0(ImsTakeRating, 1);
  if (!body || !parse_rating(body, rating, &code, &problem)) {
    ims_api_respond_error(response, 400, code, "%s.", problem);
    return;
  }
  rating->take_id = g_strdup(call->id);
  rating->recruiter = g_strdup(call->reviewer->subject);
  rating->company_id = g_strdup(call->reviewer->company_id);
  if (!api->store->ratings.save_rating(api->store, rating, &error)) {
    g_warning("take %s: cannot save rating: %s", call->id, error->message);
    ims_api_respond_error(response, 500, "internal", "The rating could not be saved.");
    return;
  }
  ims_review_api_audit(api, call, "rate_take", call->id);
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  ims_json_add_string(b, "takeId", rating->take_id);
  ims_json_add_string(b, "sessionId", session_id);
  json_builder_set_member_name(b, "rating");
  add_rating(b, rating, FALSE);
  json_builder_end_object(b);
  ims_api_respond_json(response, 200, b);
}

void
ims_ratings_api_delete(ImsApi *api, const ImsApiCall *call, ImsApiResponse *response)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *session_id = load_rateable_take(api, call, response);
  if (!session_id)
    return;
  if (!api->store->ratings.delete_rating(api->store, call->id, call->reviewer->subject, &error)) {
    if (g_error_matches(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND)) {
      ims_api_respond_error(response, 404, "not_found", "You have not rated this take.");
      return;
    }
    g_warning("take %s: cannot delete rating: %s", call->id, error->message);
    ims_api_respond_error(response, 500, "internal", "The rating could not be deleted.");
    return;
  }
  ims_review_api_audit(api, call, "unrate_take", call->id);
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  ims_json_add_string(b, "takeId", call->id);
  ims_json_add_boolean(b, "deleted", TRUE);
  json_builder_end_object(b);
  ims_api_respond_json(response, 200, b);
}

GPtrArray *
ims_ratings_api_load(ImsApi *api, const ImsApiCall *call, const char *session_id)
{
  g_autoptr(GError) error = NULL;
  /* a recruiter sees their company's ratings; admin and service every one */
  const char *company_id = call->reviewer->role == IMS_REVIEWER_RECRUITER
                               ? call->reviewer->company_id
                               : NULL;
  GPtrArray *ratings =
      api->store->ratings.list_session_ratings(api->store, session_id, company_id, &error);
  if (ratings)
    return ratings;
  g_warning("session %s: cannot read ratings: %s", session_id, error->message);
  return g_ptr_array_new_with_free_func((GDestroyNotify) ims_take_rating_free);
}

void
ims_ratings_api_add(JsonBuilder *b, const GPtrArray *ratings, const char *take_id)
{
  json_builder_set_member_name(b, "ratings");
  json_builder_begin_array(b);
  for (guint i = 0; i < ratings->len; i++) {
    const ImsTakeRating *rating = g_ptr_array_index(ratings, i);
    if (g_strcmp0(rating->take_id, take_id) == 0)
      add_rating(b, rating, FALSE);
  }
  json_builder_end_array(b);
}

void
ims_ratings_api_list(ImsApi *api, const ImsApiCall *call, ImsApiResponse *response)
{
  g_autoptr(ImsSessionRecord) record = ims_review_api_load_visible_session(api, call, response);
  if (!record)
    return;
  g_autoptr(GPtrArray) ratings = ims_ratings_api_load(api, call, record->id);
  ims_review_api_audit(api, call, "view_ratings", record->id);
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  ims_json_add_string(b, "sessionId", record->id);
  json_builder_set_member_name(b, "items");
  json_builder_begin_array(b);
  for (guint i = 0; i < ratings->len; i++) {
    add_rating(b, g_ptr_array_index(ratings, i), TRUE);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);
  ims_api_respond_json(response, 200, b);
}
