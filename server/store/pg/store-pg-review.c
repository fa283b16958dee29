/* store-pg-review.c: what recruiters read, and the audit log of it, in
 * PostgreSQL (marking deleted objects and retention's listing are
 * store-pg-media.c's).  See store.h for the contracts. */
#define G_LOG_DOMAIN "imsd.store-pg"

#include "pg-rows.h"
#include "store-pg-tables.h"

typedef struct {
  const ImsSessionFilter *filter;
  gint64 total;         /* out */
  GPtrArray *summaries; /* out */
} ListSessions;

static gboolean
list_sessions_once(ImsStorePg *self, gpointer data, GError **error)
{
  ListSessions *list = data;
  const ImsSessionFilter *filter = list->filter;
  ImsPgParams params;
  ims_pg_params_init(&params);
  ims_pg_params_add_text(&params, filter->company_id);
  ims_pg_params_add_text(&params, filter->interview_id);
  ims_pg_params_add_text(&params, filter->state);
  ims_pg_params_add_time(&params, filter->from);
  ims_pg_params_add_time(&params, filter->to);
  ims_pg_params_add_int(&params, filter->limit);
  ims_pg_params_add_int(&params, filter->offset);
  ims_pg_params_add_text(&params, filter->candidate_email);
  ims_pg_params_add_int(&params, filter->oldest_first);
  /* every filter is "$n IS NULL OR ...": one statement, parameters only */
  /* clang-format off: SQL with its column macros, line by line */
  g_autoptr(PGresult) result = ims_pg_exec(
      self, "list sessions",
      "SELECT s.id, s.interview_id, s.user_id, s.candidate_email, s.company_id, s.profile, s.state,"
      " " IMS_PG_USEC("s.created_at") ", " IMS_PG_USEC("s.started_at") ", " IMS_PG_USEC(
          "s.completed_at") ","
                            " (SELECT count(*) FROM questions q WHERE q.session_id = s.id AND q.idx >= 0),"
                            " (SELECT count(*) FROM takes t WHERE t.session_id = s.id AND t.question_idx >= 0),"
                            " count(*) OVER (), s.kind,"
                            " (SELECT r.id FROM rooms r WHERE r.session_id = s.id),"
                            " (SELECT count(DISTINCT t.question_idx) FROM takes t"
                            "  WHERE t.session_id = s.id AND t.status = 'completed' AND t.question_idx >= 0),"
                            " s.title"
                            " FROM sessions s"
                            " WHERE ($1::text IS NULL OR s.company_id = $1)"
                            " AND ($2::text IS NULL OR s.interview_id = $2)"
                            " AND ($3::text IS NULL OR s.state = $3)"
                            " AND ($4::timestamptz IS NULL OR s.created_at >= $4)"
                            " AND ($5::timestamptz IS NULL OR s.created_at < $5)"
                            /* strpos, not LIKE: the search's % and _ are letters */
                            " AND ($8::text IS NULL OR strpos(lower(s.candidate_email), lower($8)) > 0)"
                            " ORDER BY CASE WHEN $9::int = 1 THEN s.created_at END ASC,"
                            " s.created_at DESC, s.id LIMIT $6 OFFSET $7",
      &params, PGRES_TUPLES_OK, error);
  /* clang-format on */
  ims_pg_params_clear(&params);
  if (result == NULL)
    return FALSE;
  list->summaries = g_ptr_array_new_with_free_func((GDestroyNotify) ims_session_summary_free);
  list->total = 0;
  for (int row = 0; row < PQntuples(result); row++) {
    ImsSessionSummary *summary = g_new0(ImsSessionSummary, 1);
    ImsSessionRecord *record = summary->record = ims_session_record_new();
    record->id = ims_pg_get_text(result, row, 0);
    record->interview_id = ims_pg_get_text(result, row, 1);
    record->user_id = ims_pg_get_text(result, row, 2);
    record->candidate_email = ims_pg_get_text(result, row, 3);
    record->company_id = ims_pg_get_text(result, row, 4);
    record->profile = ims_pg_get_text(result, row, 5);
    ims_session_state_from_string(PQgetvalue(result, row, 6), &record->state);
    record->created_at = ims_pg_get_int(result, row, 7);
    record->started_at = ims_pg_get_int(result, row, 8);
    record->completed_at = ims_pg_get_int(result, row, 9);
    summary->question_count = (int) ims_pg_get_int(result, row, 10);
    summary->take_count = (int) ims_pg_get_int(result, row, 11);
    list->total = ims_pg_get_int(result, row, 12);
    ims_session_kind_from_string(PQgetvalue(result, row, 13), &record->kind);
    record->room_id = ims_pg_get_text(result, row, 14);
    summary->questions_answered = (int) ims_pg_get_int(result, row, 15);
    record->title = ims_pg_get_text(result, row, 16);
    g_ptr_array_add(list->summaries, summary);
  }
  return TRUE;
}

static GPtrArray *
list_sessions(ImsStore *store, const ImsSessionFilter *filter, gint64 *total, GError **error)
{
  ListSessions list = { filter, 0, NULL };
  if (!ims_pg_run((ImsStorePg *) store, list_sessions_once, &list, error))
    return NULL;
  if (total)
    *total = list.total;
  return list.summaries;
}

typedef struct {
  const char *id;
  char *text;         /* out: company or user */
  GPtrArray *files;   /* out */
  ImsMediaFile *file; /* out */
} Lookup;

static gboolean
list_session_media_once(ImsStorePg *self, gpointer data, GError **error)
{
  Lookup *lookup = data;
  ImsPgParams params;
  ims_pg_params_init(&params);
  ims_pg_params_add_text(&params, lookup->id);
  g_autoptr(PGresult) result = ims_pg_exec(self, "list the session's media",
                                           "SELECT " IMS_PG_MEDIA_FILE_COLUMNS
                                           " FROM media_files m WHERE m.session_id = $1"
                                           " AND m.status = 'stored' ORDER BY m.created_at, m.kind",
                                           &params, PGRES_TUPLES_OK, error);
  ims_pg_params_clear(&params);
  if (result == NULL)
    return FALSE;
  lookup->files = ims_pg_media_files_from_result(result);
  return TRUE;
}

static GPtrArray *
list_session_media_files(ImsStore *store, const char *session_id, GError **error)
{
  Lookup lookup = { session_id, NULL, NULL, NULL };
  if (!g_uuid_string_is_valid(session_id))
    return g_ptr_array_new_with_free_func((GDestroyNotify) ims_media_file_free);
  if (!ims_pg_run((ImsStorePg *) store, list_session_media_once, &lookup, error))
    return NULL;
  return lookup.files;
}

static gboolean
get_media_file_once(ImsStorePg *self, gpointer data, GError **error)
{
  Lookup *lookup = data;
  ImsPgParams params;
  ims_pg_params_init(&params);
  ims_pg_params_add_text(&params, lookup->id);
  g_autoptr(PGresult) result = ims_pg_exec(
      self, "get media file",
      "SELECT " IMS_PG_MEDIA_FILE_COLUMNS ", s.company_id FROM media_files m"
      " JOIN sessions s ON s.id = m.session_id WHERE m.id = $1 AND m.status = 'stored'",
      &params, PGRES_TUPLES_OK, error);
  ims_pg_params_clear(&params);
  if (result == NULL)
    return FALSE;
  if (PQntuples(result) == 0) {
    g_set_error(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND, "no media file %s", lookup->id);
    return FALSE;
  }
  g_autoptr(GPtrArray) files = ims_pg_media_files_from_result(result);
  lookup->file = g_ptr_array_steal_index(files, 0);
  lookup->text = ims_pg_get_text(result, 0, 9);
  return TRUE;
}

static ImsMediaFile *
get_media_file(ImsStore *store, const char *file_id, char **company_id, GError **error)
{
  Lookup lookup = { file_id, NULL, NULL, NULL };
  if (!g_uuid_string_is_valid(file_id)) {
    g_set_error(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND, "no media file %s", file_id);
    return NULL;
  }
  if (!ims_pg_run((ImsStorePg *) store, get_media_file_once, &lookup, error))
    return NULL;
  if (company_id)
    *company_id = lookup.text;
  else
    g_free(lookup.text);
  return lookup.file;
}

static gboolean
add_audit_once(ImsStorePg *self, gpointer data, GError **error)
{
  const ImsAuditEntry *entry = data;
  ImsPgParams params;
  ims_pg_params_init(&params);
  ims_pg_params_add_text(&params, entry->actor);
  ims_pg_params_add_text(&params, entry->role);
  ims_pg_params_add_text(&params, entry->company_id);
  ims_pg_params_add_text(&params, entry->action);
  ims_pg_params_add_text(&params, entry->target);
  ims_pg_params_add_text(&params, entry->remote);
  g_autoptr(PGresult)
      result = ims_pg_exec(self, "add audit",
                           "INSERT INTO audit_log (actor, role, company_id, action, target, remote)"
                           " VALUES ($1, $2, $3, $4, $5, $6)",
                           &params, PGRES_COMMAND_OK, error);
  ims_pg_params_clear(&params);
  return result != NULL;
}

static gboolean
add_audit(ImsStore *store, const ImsAuditEntry *entry, GError **error)
{
  return ims_pg_run((ImsStorePg *) store, add_audit_once, (gpointer) entry, error);
}

void
ims_store_pg_review_init(ImsStorePg *self)
{
  self->base.review.list_sessions = list_sessions;
  self->base.review.list_session_media_files = list_session_media_files;
  self->base.review.get_media_file = get_media_file;
  self->base.review.add_audit = add_audit;
}
