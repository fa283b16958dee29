/* store-pg-sessions.c: the sessions and questions tables on PostgreSQL:
 * create a session with its questions (also for a live room's candidate
 * session, store-pg-rooms.c), load one with its questions and takes, save
 * its progress.  See store.h for the contracts. */
#define G_LOG_DOMAIN "imsd.store-pg"

#include "pg-rows.h"
#include "store-pg-tables.h"

/* Inserts the sessions row of record and its questions rows, inside the
 * caller's transaction.  FALSE at the first statement that fails. */
gboolean
ims_pg_insert_session(ImsStorePg *self, const ImsSessionRecord *record, GError **error)
{
  ImsPgParams params;
  ims_pg_params_init(&params);
  ims_pg_params_add_text(&params, record->id);
  ims_pg_params_add_text(&params, record->interview_id);
  ims_pg_params_add_text(&params, record->invitation_id);
  ims_pg_params_add_text(&params, record->user_id);
  ims_pg_params_add_text(&params, record->candidate_email);
  ims_pg_params_add_text(&params, record->company_id);
  ims_pg_params_add_text(&params, record->profile);
  ims_pg_params_add_int(&params, record->think_seconds);
  ims_pg_params_add_int(&params, record->max_retakes);
  ims_pg_params_add_text(&params, ims_session_state_to_string(record->state));
  ims_pg_params_add_int(&params, record->current_question);
  ims_pg_params_add_time(&params, record->created_at);
  ims_pg_params_add_time(&params, record->expires_at);
  ims_pg_params_add_time(&params, record->started_at);
  ims_pg_params_add_time(&params, record->completed_at);
  ims_pg_params_add_text(&params, ims_session_kind_to_string(record->kind));
  ims_pg_params_add_text(&params, record->title);
  ims_pg_params_add_text(&params, record->company_name);
  ims_pg_params_add_text(&params, record->practice_text);
  ims_pg_params_add_int(&params, record->practice_seconds);
  PGresult *result = ims_pg_exec(
      self, "insert session",
      "INSERT INTO sessions (id, interview_id, invitation_id, user_id, candidate_email,"
      " company_id, profile, think_seconds, max_retakes, state, current_question,"
      " created_at, expires_at, started_at, completed_at, kind,"
      " title, company_name, practice_text, practice_seconds)"
      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,"
      " coalesce($12::timestamptz, now()), $13, $14, $15, $16, $17, $18, $19, $20)",
      &params, PGRES_COMMAND_OK, error);
  ims_pg_params_clear(&params);
  if (result == NULL)
    return FALSE;
  PQclear(result);

  /* the practice question first, at its reserved index */
  int first = record->practice_text ? IMS_PRACTICE_QUESTION_INDEX : 0;
  int count = record->questions ? (int) record->questions->len : 0;
  for (int i = first; i < count; i++) {
    ims_pg_params_init(&params);
    ims_pg_params_add_text(&params, record->id);
    ims_pg_params_add_int(&params, i);
    if (i == IMS_PRACTICE_QUESTION_INDEX) {
      ims_pg_params_add_text(&params, "practice");
      ims_pg_params_add_text(&params, record->practice_text);
      ims_pg_params_add_int(&params, record->practice_seconds);
    } else {
      const ImsQuestion *question = g_ptr_array_index(record->questions, i);
      ims_pg_params_add_text(&params, question->id);
      ims_pg_params_add_text(&params, question->text);
      ims_pg_params_add_int(&params, question->time_limit_seconds);
    }
    result = ims_pg_exec(
        self, "insert question",
        "INSERT INTO questions (session_id, idx, question_id, text, time_limit_seconds)"
        " VALUES ($1, $2, $3, $4, $5)",
        &params, PGRES_COMMAND_OK, error);
    ims_pg_params_clear(&params);
    if (result == NULL)
      return FALSE;
    PQclear(result);
  }
  return TRUE;
}

static gboolean
ims_pg_create_session_once(ImsStorePg *self, gpointer data, GError **error)
{
  if (!ims_pg_command(self, "BEGIN", error))
    return FALSE;
  if (!ims_pg_insert_session(self, data, error) || !ims_pg_command(self, "COMMIT", error)) {
    ims_pg_rollback(self);
    return FALSE;
  }
  return TRUE;
}

static gboolean
ims_store_pg_create_session(ImsStore *store, const ImsSessionRecord *record, GError **error)
{
  return ims_pg_run((ImsStorePg *) store, ims_pg_create_session_once, (gpointer) record, error);
}

typedef struct {
  const char *session_id;
  ImsSessionRecord *record; /* out, transfer full */
} ImsPgLoad;

/* Fills record from the sessions row of result.  FALSE on an unknown state. */
static gboolean
ims_pg_session_from_row(const PGresult *result, ImsSessionRecord *record, GError **error)
{
  const char *state = PQgetvalue(result, 0, 9);
  if (!ims_session_state_from_string(state, &record->state)) {
    g_set_error(error, IMS_STORE_ERROR, IMS_STORE_ERROR_QUERY, "unknown session state '%s'", state);
    return FALSE;
  }
  record->id = ims_pg_get_text(result, 0, 0);
  record->interview_id = ims_pg_get_text(result, 0, 1);
  record->invitation_id = ims_pg_get_text(result, 0, 2);
  record->user_id = ims_pg_get_text(result, 0, 3);
  record->candidate_email = ims_pg_get_text(result, 0, 4);
  record->company_id = ims_pg_get_text(result, 0, 5);
  record->profile = ims_pg_get_text(result, 0, 6);
  record->think_seconds = (int) ims_pg_get_int(result, 0, 7);
  record->max_retakes = (int) ims_pg_get_int(result, 0, 8);
  record->current_question = (int) ims_pg_get_int(result, 0, 10);
  record->created_at = ims_pg_get_int(result, 0, 11);
  record->expires_at = ims_pg_get_int(result, 0, 12);
  record->started_at = ims_pg_get_int(result, 0, 13);
  record->completed_at = ims_pg_get_int(result, 0, 14);
  const char *kind = PQgetvalue(result, 0, 15);
  if (!ims_session_kind_from_string(kind, &record->kind)) {
    g_set_error(error, IMS_STORE_ERROR, IMS_STORE_ERROR_QUERY, "unknown session kind '%s'", kind);
    return FALSE;
  }
  record->room_id = ims_pg_get_text(result, 0, 16);
  record->title = ims_pg_get_text(result, 0, 17);
  record->company_name = ims_pg_get_text(result, 0, 18);
  record->practice_text = ims_pg_get_text(result, 0, 19);
  record->practice_seconds = (int) ims_pg_get_int(result, 0, 20);
  return TRUE;
}

static gboolean
ims_pg_load_session_once(ImsStorePg *self, gpointer data, GError **error)
{
  ImsPgLoad *load = data;
  g_autoptr(ImsSessionRecord) record = ims_session_record_new();
  g_autoptr(PGresult) session = NULL;
  g_autoptr(PGresult) questions = NULL;
  g_autoptr(PGresult) takes = NULL;
  ImsPgParams params;
  ims_pg_params_init(&params);
  ims_pg_params_add_text(&params, load->session_id);

  /* One snapshot for the three reads. */
  if (!ims_pg_command(self, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", error)) {
    ims_pg_params_clear(&params);
    return FALSE;
  }
  /* clang-format off: SQL with its column macros, line by line */
  session = ims_pg_exec(
      self, "load session",
      "SELECT id, interview_id, invitation_id, user_id, candidate_email, company_id,"
      " profile, think_seconds, max_retakes, state, current_question, " IMS_PG_USEC("created_at") ", " IMS_PG_USEC(
          "expires_at") ", " IMS_PG_USEC("started_at") ", " IMS_PG_USEC("completed_at") ", kind,"
      " (SELECT r.id FROM rooms r WHERE r.session_id = sessions.id),"
      " title, company_name, practice_text, practice_seconds FROM sessions WHERE id = $1",
      &params, PGRES_TUPLES_OK, error);
  /* clang-format on */
  if (session == NULL)
    goto error;
  if (PQntuples(session) == 0) {
    g_set_error(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND, "no session %s",
                load->session_id);
    goto error;
  }
  if (!ims_pg_session_from_row(session, record, error))
    goto error;

  questions = ims_pg_exec(self, "load questions",
                          "SELECT question_id, text, time_limit_seconds FROM questions"
                          " WHERE session_id = $1 AND idx >= 0 ORDER BY idx",
                          &params, PGRES_TUPLES_OK, error);
  if (questions == NULL)
    goto error;
  for (int row = 0; row < PQntuples(questions); row++)
    g_ptr_array_add(record->questions,
                    ims_question_new(PQgetvalue(questions, row, 0), PQgetvalue(questions, row, 1),
                                     (int) ims_pg_get_int(questions, row, 2)));

  takes = ims_pg_exec(self, "load takes",
                      "SELECT " IMS_PG_TAKE_COLUMNS " FROM takes WHERE session_id = $1"
                      " ORDER BY question_idx, number",
                      &params, PGRES_TUPLES_OK, error);
  if (takes == NULL || !ims_pg_takes_from_result(takes, record->takes, error))
    goto error;
  if (!ims_pg_command(self, "COMMIT", error))
    goto error;
  ims_pg_params_clear(&params);
  load->record = g_steal_pointer(&record);
  return TRUE;

error:
  ims_pg_rollback(self);
  ims_pg_params_clear(&params);
  return FALSE;
}

static ImsSessionRecord *
ims_store_pg_load_session(ImsStore *store, const char *session_id, GError **error)
{
  /* Not a UUID: no such session (and no type error from the server). */
  if (session_id == NULL || !g_uuid_string_is_valid(session_id)) {
    g_set_error(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND, "no session %s",
                session_id ? session_id : "(null)");
    return NULL;
  }
  ImsPgLoad load = { session_id, NULL };
  if (!ims_pg_run((ImsStorePg *) store, ims_pg_load_session_once, &load, error))
    return NULL;
  return load.record;
}

static gboolean
ims_pg_save_progress_once(ImsStorePg *self, gpointer data, GError **error)
{
  const ImsSessionRecord *record = data;
  ImsPgParams params;
  ims_pg_params_init(&params);
  ims_pg_params_add_text(&params, record->id);
  ims_pg_params_add_text(&params, ims_session_state_to_string(record->state));
  ims_pg_params_add_int(&params, record->current_question);
  ims_pg_params_add_time(&params, record->started_at);
  ims_pg_params_add_time(&params, record->completed_at);
  gboolean ok = ims_pg_update_one(
      self, "save progress",
      "UPDATE sessions SET state = $2, current_question = $3, started_at = $4,"
      " completed_at = $5 WHERE id = $1",
      &params, record->id, error);
  ims_pg_params_clear(&params);
  return ok;
}

static gboolean
ims_store_pg_save_progress(ImsStore *store, const ImsSessionRecord *record, GError **error)
{
  if (record->id == NULL || !g_uuid_string_is_valid(record->id)) {
    g_set_error(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND, "no session %s",
                record->id ? record->id : "(null)");
    return FALSE;
  }
  return ims_pg_run((ImsStorePg *) store, ims_pg_save_progress_once, (gpointer) record, error);
}

void
ims_store_pg_sessions_init(ImsStorePg *self)
{
  self->base.sessions.create_session = ims_store_pg_create_session;
  self->base.sessions.load_session = ims_store_pg_load_session;
  self->base.sessions.save_progress = ims_store_pg_save_progress;
}
