/* check.c: a readiness check's record; see check.h. */
#include "check.h"

#include "json-build.h"

void
ims_check_init(ImsCheck *check, gboolean configured)
{
  *check = (ImsCheck){ .state = configured ? IMS_CHECK_OK : IMS_CHECK_NOT_CONFIGURED };
}

gboolean
ims_check_succeeded(ImsCheck *check, gint64 now)
{
  if (check->state == IMS_CHECK_NOT_CONFIGURED)
    return FALSE;
  gboolean came_back = check->state == IMS_CHECK_UNAVAILABLE;
  check->checked_at = now;
  if (came_back) {
    check->state = IMS_CHECK_OK;
    check->since = now;
  }
  if (check->last_error && !check->cleared_at)
    check->cleared_at = now;
  return came_back;
}

gboolean
ims_check_failed(ImsCheck *check, const char *error, gint64 now)
{
  gboolean went_down = check->state != IMS_CHECK_UNAVAILABLE;
  if (went_down) {
    check->state = IMS_CHECK_UNAVAILABLE;
    check->since = now;
  }
  check->checked_at = now;
  if (error != check->last_error) {
    g_free(check->last_error);
    check->last_error = g_strdup(error ? error : "failed");
  }
  check->last_error_at = now;
  check->cleared_at = 0;
  return went_down;
}

void
ims_check_copy(ImsCheck *dest, const ImsCheck *src)
{
  *dest = *src;
  dest->last_error = g_strdup(src->last_error);
}

void
ims_check_clear(ImsCheck *check)
{
  g_clear_pointer(&check->last_error, g_free);
}

const char *
ims_check_state_name(ImsCheckState state)
{
  switch (state) {
  case IMS_CHECK_OK:
    return "ok";
  case IMS_CHECK_UNAVAILABLE:
    return "unavailable";
  case IMS_CHECK_NOT_CONFIGURED:
    break;
  }
  return "not_configured";
}

void
ims_check_add_json(JsonBuilder *builder, const char *name, const ImsCheck *check)
{
  json_builder_set_member_name(builder, name);
  json_builder_begin_object(builder);
  ims_json_add_string(builder, "state", ims_check_state_name(check->state));
  ims_json_add_time_or_null(builder, "checkedAt", check->checked_at);
  ims_json_add_time_or_null(builder, "since", check->since);
  json_builder_set_member_name(builder, "lastError");
  if (!check->last_error) {
    json_builder_add_null_value(builder);
  } else {
    json_builder_begin_object(builder);
    ims_json_add_string(builder, "message", check->last_error);
    ims_json_add_time_or_null(builder, "at", check->last_error_at);
    ims_json_add_time_or_null(builder, "clearedAt", check->cleared_at);
    json_builder_end_object(builder);
  }
  json_builder_end_object(builder);
}
