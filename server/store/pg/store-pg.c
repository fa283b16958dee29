/* store-pg.c: the ImsStore on PostgreSQL (libpq).  The only file that
 * includes libpq-fe.h.
 *
 * Lifecycle: ims_store_pg_new() connects (application_name=imsd, a
 * statement_timeout on every statement), takes a database-wide advisory lock,
 * applies pending migrations in order (each in its own transaction, recorded
 * in schema_migrations), releases the lock and returns the store.  The
 * store's functions then run synchronously on the caller's thread (imsd's
 * database thread, database.h), each one
 * statement or one transaction.  If the connection is found broken, a call
 * resets it (PQreset) once and retries; a second failure is returned.
 * ims_store_free() closes the connection.
 *
 * Only parameterized statements (PQexecParams) touch input; the migration
 * texts are constants.  Timestamps cross the seam as unix microseconds: they
 * are written as exact ISO-8601 text and read back with extract(epoch) (a
 * numeric, so exact too); 0 is NULL.
 */
#define G_LOG_DOMAIN "imsd.store-pg"

#include "store-pg-private.h"

#define IMS_STORE_PG_STATEMENT_TIMEOUT_MS 5000
#define IMS_STORE_PG_CONNECT_TIMEOUT_S "5"
/* pg_advisory_lock key serializing migrations: "imsd" in ASCII. */
#define IMS_STORE_PG_MIGRATION_LOCK "1768780644"

typedef struct {
  int version;
  const char *name;
  const char *sql;
} ImsMigration;

/* Append only: never edit a migration that has shipped; add a new one. */
static const ImsMigration ims_migrations[] = {
  { 1, "create sessions, questions and takes",
    "CREATE TABLE sessions ("
    "  id uuid PRIMARY KEY,"
    "  interview_id text NOT NULL,"
    "  invitation_id text,"
    "  user_id text NOT NULL,"
    "  candidate_email text,"
    "  company_id text,"
    "  profile text NOT NULL,"
    "  think_seconds int NOT NULL,"
    "  max_retakes int NOT NULL,"
    "  state text NOT NULL CHECK (state IN ('created', 'active', 'completed')),"
    "  current_question int NOT NULL DEFAULT 0,"
    "  created_at timestamptz NOT NULL DEFAULT now(),"
    "  expires_at timestamptz,"
    "  started_at timestamptz,"
    "  completed_at timestamptz"
    ");"
    "CREATE TABLE questions ("
    "  session_id uuid NOT NULL REFERENCES sessions ON DELETE CASCADE,"
    "  idx int NOT NULL CHECK (idx >= 0),"
    "  question_id text NOT NULL,"
    "  text text NOT NULL,"
    "  time_limit_seconds int NOT NULL,"
    "  PRIMARY KEY (session_id, idx)"
    ");"
    "CREATE TABLE takes ("
    "  id uuid PRIMARY KEY,"
    "  session_id uuid NOT NULL REFERENCES sessions ON DELETE CASCADE,"
    "  question_idx int NOT NULL,"
    "  number int NOT NULL CHECK (number >= 1),"
    "  status text NOT NULL"
    "    CHECK (status IN ('recording', 'completed', 'interrupted', 'failed')),"
    "  path text NOT NULL,"
    "  started_at timestamptz NOT NULL,"
    "  stopped_at timestamptz,"
    "  duration_ms bigint,"
    "  size_bytes bigint,"
    "  video_codec text,"
    "  audio_codec text,"
    "  width int,"
    "  height int,"
    "  stop_reason text,"
    "  UNIQUE (session_id, question_idx, number),"
    "  FOREIGN KEY (session_id, question_idx) REFERENCES questions ON DELETE CASCADE"
    ");" },
  { 2, "index open takes and sessions by interview",
    "CREATE INDEX takes_recording_idx ON takes (started_at) WHERE status = 'recording';"
    "CREATE INDEX sessions_interview_idx ON sessions (interview_id);" },
  { 3, "media files and take processing",
    "ALTER TABLE takes ADD COLUMN processed_at timestamptz, ADD COLUMN processing_error text;"
    "CREATE INDEX takes_unprocessed_idx ON takes (stopped_at)"
    "  WHERE processed_at IS NULL AND status IN ('completed', 'interrupted');"
    "CREATE TABLE media_files ("
    "  id uuid PRIMARY KEY,"
    "  take_id uuid NOT NULL REFERENCES takes (id) ON DELETE CASCADE,"
    "  session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,"
    "  kind text NOT NULL,"
    "  object_key text NOT NULL UNIQUE,"
    "  content_type text NOT NULL,"
    "  size_bytes bigint NOT NULL CHECK (size_bytes >= 0),"
    "  checksum text NOT NULL,"
    "  status text NOT NULL DEFAULT 'stored' CHECK (status IN ('stored', 'deleted')),"
    "  created_at timestamptz NOT NULL DEFAULT now(),"
    "  UNIQUE (take_id, kind));"
    "CREATE INDEX media_files_session_idx ON media_files (session_id);" },
  { 4, "event outbox and processed consumed events",
    "CREATE TABLE outbox ("
    "  id bigserial PRIMARY KEY,"
    "  event_id uuid NOT NULL UNIQUE,"
    "  event_type text NOT NULL,"
    "  topic text NOT NULL,"
    "  message_key text NOT NULL,"
    "  value text NOT NULL,"
    "  created_at timestamptz NOT NULL DEFAULT now(),"
    "  sent_at timestamptz);"
    "CREATE INDEX outbox_pending_idx ON outbox (id) WHERE sent_at IS NULL;"
    "CREATE TABLE processed_events ("
    "  event_id text NOT NULL,"
    "  service_name text NOT NULL,"
    "  event_type text NOT NULL,"
    "  processed_at timestamptz NOT NULL DEFAULT now(),"
    "  PRIMARY KEY (event_id, service_name));" },
  { 5, "audit log of recruiters' access to media",
    "CREATE TABLE audit_log ("
    "  id bigserial PRIMARY KEY,"
    "  at timestamptz NOT NULL DEFAULT now(),"
    "  actor text NOT NULL,"
    "  role text NOT NULL,"
    "  company_id text,"
    "  action text NOT NULL,"
    "  target text,"
    "  remote text);"
    "CREATE INDEX audit_log_at_idx ON audit_log (at);"
    "CREATE INDEX sessions_company_created_idx ON sessions (company_id, created_at);" },
  { 6, "processing status of takes",
    "ALTER TABLE takes ADD COLUMN processing_status text NOT NULL DEFAULT 'pending'"
    "  CHECK (processing_status IN ('pending', 'processed', 'repaired', 'failed'));"
    /* before this, a take whose renditions failed was marked processed with its error */
    "UPDATE takes SET processing_status ="
    "  CASE WHEN processing_error IS NULL THEN 'processed' ELSE 'failed' END"
    "  WHERE processed_at IS NOT NULL;"
    "UPDATE takes SET processing_status = 'failed',"
    "  processing_error = coalesce(processing_error, 'nothing was recorded')"
    "  WHERE status = 'failed' AND processed_at IS NULL;" },
  /* NULL: unknown (takes recorded before, by the webrtcbin ingest, or cut by a crash) */
  { 7, "completeness record of takes",
    "ALTER TABLE takes ADD COLUMN completeness jsonb;" },
};

void
ims_pg_params_init(ImsPgParams *params)
{
  params->count = 0;
  params->owned = g_ptr_array_new_with_free_func(g_free);
}

void
ims_pg_params_clear(ImsPgParams *params)
{
  g_clear_pointer(&params->owned, g_ptr_array_unref);
}

void
ims_pg_params_add_text(ImsPgParams *params, const char *text)
{
  g_assert(params->count < (int) G_N_ELEMENTS(params->values));
  params->values[params->count++] = text;
}

void
ims_pg_params_add_owned(ImsPgParams *params, char *text)
{
  if (text != NULL)
    g_ptr_array_add(params->owned, text);
  ims_pg_params_add_text(params, text);
}

void
ims_pg_params_add_int(ImsPgParams *params, gint64 value)
{
  ims_pg_params_add_owned(params, g_strdup_printf("%" G_GINT64_FORMAT, value));
}

/* Adds unix microseconds as exact timestamptz text, or NULL for 0. */
void
ims_pg_params_add_time(ImsPgParams *params, gint64 usec)
{
  if (usec == 0) {
    ims_pg_params_add_text(params, NULL);
    return;
  }
  gint64 seconds = usec / G_USEC_PER_SEC;
  gint64 fraction = usec % G_USEC_PER_SEC;
  if (fraction < 0) {
    fraction += G_USEC_PER_SEC;
    seconds--;
  }
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc(seconds);
  if (time == NULL) {          /* outside years 1..9999: let the server reject it */
    ims_pg_params_add_owned(params, g_strdup("invalid"));
    return;
  }
  g_autofree char *base = g_date_time_format(time, "%Y-%m-%d %H:%M:%S");
  ims_pg_params_add_owned(params, g_strdup_printf("%s.%06" G_GINT64_FORMAT "+00", base, fraction));
}

char *
ims_pg_get_text(const PGresult *result, int row, int column)
{
  if (PQgetisnull(result, row, column))
    return NULL;
  return g_strdup(PQgetvalue(result, row, column));
}

gint64
ims_pg_get_int(const PGresult *result, int row, int column)
{
  if (PQgetisnull(result, row, column))
    return 0;
  return g_ascii_strtoll(PQgetvalue(result, row, column), NULL, 10);
}

/* Sets error from a failed result (or the connection when result is NULL),
 * prefixed by what.  Unique violations become CONFLICT, foreign key
 * violations NOT_FOUND (the session or question referred to is missing), a
 * broken connection CONNECT, anything else QUERY. */
void
ims_pg_set_error(ImsStorePg *self, const PGresult *result, const char *what, GError **error)
{
  const char *sqlstate = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : NULL;
  const char *message = result ? PQresultErrorMessage(result) : "";
  if (message == NULL || *message == '\0')
    message = PQerrorMessage(self->conn);
  g_autofree char *trimmed = g_strstrip(g_strdup(message));
  int code = IMS_STORE_ERROR_QUERY;
  if (g_strcmp0(sqlstate, "23505") == 0)
    code = IMS_STORE_ERROR_CONFLICT;
  else if (g_strcmp0(sqlstate, "23503") == 0)
    code = IMS_STORE_ERROR_NOT_FOUND;
  else if (PQstatus(self->conn) != CONNECTION_OK ||
           (sqlstate && (g_str_has_prefix(sqlstate, "08") || g_str_has_prefix(sqlstate, "57P"))))
    code = IMS_STORE_ERROR_CONNECT;   /* broken, or the server is shutting down */
  g_set_error(error, IMS_STORE_ERROR, code, "%s: %s", what, trimmed);
}

/* Runs one parameterized statement.  Returns its result if its status is
 * expected (PGRES_COMMAND_OK or PGRES_TUPLES_OK), else NULL with error.
 * Transfer full. */
PGresult *
ims_pg_exec(ImsStorePg *self, const char *what, const char *sql,
            const ImsPgParams *params, ExecStatusType expected, GError **error)
{
  PGresult *result = PQexecParams(self->conn, sql, params ? params->count : 0, NULL,
                                  params ? params->values : NULL, NULL, NULL, 0);
  if (result != NULL && PQresultStatus(result) == expected)
    return result;
  ims_pg_set_error(self, result, what, error);
  PQclear(result);
  return NULL;
}

/* Runs a statement without parameters or result rows (BEGIN, COMMIT...). */
gboolean
ims_pg_command(ImsStorePg *self, const char *sql, GError **error)
{
  g_autoptr(PGresult) result = ims_pg_exec(self, sql, sql, NULL, PGRES_COMMAND_OK, error);
  return result != NULL;
}

/* Rolls back the open transaction, if the connection still works; used on
 * failure paths, so its own errors are only logged. */
void
ims_pg_rollback(ImsStorePg *self)
{
  if (PQstatus(self->conn) != CONNECTION_OK)
    return;
  g_autoptr(GError) error = NULL;
  if (!ims_pg_command(self, "ROLLBACK", &error))
    g_warning("%s", error->message);
}

static void
ims_pg_notice(void *data, const char *message)
{
  g_debug("server: %s", message);
}

/* Connects with conninfo plus application_name=imsd, UTF-8 and the statement
 * timeout (appended to any server options the conninfo or PGOPTIONS give).
 * Returns the connection or NULL with a CONNECT error.  Transfer full. */
static PGconn *
ims_pg_connect(const char *conninfo, GError **error)
{
  char *parse_error = NULL;
  PQconninfoOption *options = PQconninfoParse(conninfo, &parse_error);
  if (options == NULL) {
    g_set_error(error, IMS_STORE_ERROR, IMS_STORE_ERROR_CONNECT, "invalid conninfo: %s",
                parse_error ? g_strstrip(parse_error) : "out of memory");
    PQfreemem(parse_error);
    return NULL;
  }
  g_autoptr(GPtrArray) keywords = g_ptr_array_new();
  g_autoptr(GPtrArray) values = g_ptr_array_new();
  const char *server_options = NULL;
  gboolean has_encoding = FALSE, has_connect_timeout = FALSE;
  for (const PQconninfoOption *option = options; option->keyword != NULL; option++) {
    if (option->val == NULL || *option->val == '\0' ||
        g_str_equal(option->keyword, "application_name"))
      continue;
    if (g_str_equal(option->keyword, "options")) {
      server_options = option->val;
      continue;
    }
    has_encoding |= g_str_equal(option->keyword, "client_encoding");
    has_connect_timeout |= g_str_equal(option->keyword, "connect_timeout");
    g_ptr_array_add(keywords, option->keyword);
    g_ptr_array_add(values, option->val);
  }
  if (server_options == NULL)
    server_options = g_getenv("PGOPTIONS");
  g_autofree char *all_options = g_strdup_printf("%s%s-c statement_timeout=%d",
      server_options ? server_options : "", server_options ? " " : "",
      IMS_STORE_PG_STATEMENT_TIMEOUT_MS);
  g_ptr_array_add(keywords, (char *) "application_name");
  g_ptr_array_add(values, (char *) "imsd");
  g_ptr_array_add(keywords, (char *) "options");
  g_ptr_array_add(values, all_options);
  if (!has_encoding) {
    g_ptr_array_add(keywords, (char *) "client_encoding");
    g_ptr_array_add(values, (char *) "UTF8");
  }
  if (!has_connect_timeout) {   /* a connect (or PQreset) waits this long at most */
    g_ptr_array_add(keywords, (char *) "connect_timeout");
    g_ptr_array_add(values, (char *) IMS_STORE_PG_CONNECT_TIMEOUT_S);
  }
  g_ptr_array_add(keywords, NULL);
  g_ptr_array_add(values, NULL);

  PGconn *conn = PQconnectdbParams((const char *const *) keywords->pdata,
                                   (const char *const *) values->pdata, 0);
  PQconninfoFree(options);
  if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
    g_autofree char *message = g_strstrip(g_strdup(conn ? PQerrorMessage(conn) : "out of memory"));
    g_set_error(error, IMS_STORE_ERROR, IMS_STORE_ERROR_CONNECT,
                "cannot connect to PostgreSQL: %s", message);
    PQfinish(conn);
    return NULL;
  }
  PQsetNoticeProcessor(conn, ims_pg_notice, NULL);
  return conn;
}

/* Applies one migration in its own transaction and records it.  On failure
 * nothing of it stays and error names it. */
static gboolean
ims_pg_apply_migration(ImsStorePg *self, const ImsMigration *migration, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_info("applying migration %d (%s)", migration->version, migration->name);
  if (!ims_pg_command(self, "BEGIN", &local))
    goto error;
  PGresult *result = PQexec(self->conn, migration->sql);
  if (result == NULL || PQresultStatus(result) != PGRES_COMMAND_OK) {
    ims_pg_set_error(self, result, "schema change", &local);
    PQclear(result);
    goto error;
  }
  PQclear(result);
  ImsPgParams params;
  ims_pg_params_init(&params);
  ims_pg_params_add_int(&params, migration->version);
  ims_pg_params_add_text(&params, migration->name);
  result = ims_pg_exec(self, "record migration",
                       "INSERT INTO schema_migrations (version, name, applied_at) "
                       "VALUES ($1, $2, now())", &params, PGRES_COMMAND_OK, &local);
  ims_pg_params_clear(&params);
  if (result == NULL)
    goto error;
  PQclear(result);
  if (!ims_pg_command(self, "COMMIT", &local))
    goto error;
  return TRUE;

error:
  ims_pg_rollback(self);
  g_set_error(error, IMS_STORE_ERROR, IMS_STORE_ERROR_MIGRATE, "migration %d (%s) failed: %s",
              migration->version, migration->name, local->message);
  return FALSE;
}

/* Applies the migrations not yet in schema_migrations, in order, under the
 * advisory lock.  Stops at the first failure (earlier ones stay applied). */
static gboolean
ims_pg_migrate(ImsStorePg *self, GError **error)
{
  ImsPgParams lock;
  ims_pg_params_init(&lock);
  ims_pg_params_add_text(&lock, IMS_STORE_PG_MIGRATION_LOCK);
  g_autoptr(PGresult) locked = ims_pg_exec(self, "lock for migrations",
      "SELECT pg_advisory_lock($1::bigint)", &lock, PGRES_TUPLES_OK, error);
  if (locked == NULL) {
    ims_pg_params_clear(&lock);
    return FALSE;
  }

  gboolean ok = FALSE;
  g_autoptr(GHashTable) applied = g_hash_table_new(g_direct_hash, g_direct_equal);
  g_autoptr(PGresult) versions = NULL;
  g_autoptr(GError) unlock_error = NULL;
  g_autoptr(PGresult) unlocked = NULL;
  g_autoptr(PGresult) created = ims_pg_exec(self, "create schema_migrations",
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version int PRIMARY KEY, name text NOT NULL,"
      " applied_at timestamptz NOT NULL DEFAULT now())", NULL, PGRES_COMMAND_OK, error);
  if (created == NULL)
    goto out;
  versions = ims_pg_exec(self, "read schema_migrations",
      "SELECT version FROM schema_migrations", NULL, PGRES_TUPLES_OK, error);
  if (versions == NULL)
    goto out;
  for (int row = 0; row < PQntuples(versions); row++)
    g_hash_table_add(applied, GINT_TO_POINTER((int) ims_pg_get_int(versions, row, 0)));

  ok = TRUE;
  for (guint i = 0; i < G_N_ELEMENTS(ims_migrations) && ok; i++) {
    if (!g_hash_table_contains(applied, GINT_TO_POINTER(ims_migrations[i].version)))
      ok = ims_pg_apply_migration(self, &ims_migrations[i], error);
  }

out:
  unlocked = ims_pg_exec(self, "unlock after migrations",
      "SELECT pg_advisory_unlock($1::bigint)", &lock, PGRES_TUPLES_OK, &unlock_error);
  if (unlocked == NULL)
    g_warning("%s", unlock_error->message);
  ims_pg_params_clear(&lock);
  return ok;
}

/* Runs operation, resetting the connection once (and retrying) if it is or
 * turns out to be broken.  At most one PQreset per call. */
gboolean
ims_pg_run(ImsStorePg *self, ImsPgOperation operation, gpointer data, GError **error)
{
  gboolean was_reset = FALSE;
  g_autoptr(GError) local = NULL;
  if (self->in_transaction)   /* a reset would lose the transaction: fail instead */
    return operation(self, data, error);
  for (;;) {
    if (PQstatus(self->conn) != CONNECTION_OK) {
      if (was_reset)
        break;
      g_message("connection to PostgreSQL lost%s%s; reconnecting",
                local ? ": " : "", local ? local->message : "");
      PQreset(self->conn);
      was_reset = TRUE;
      if (PQstatus(self->conn) != CONNECTION_OK) {
        g_autofree char *message = g_strstrip(g_strdup(PQerrorMessage(self->conn)));
        g_set_error(error, IMS_STORE_ERROR, IMS_STORE_ERROR_CONNECT,
                    "cannot reconnect to PostgreSQL: %s", message);
        return FALSE;
      }
    }
    g_clear_error(&local);
    if (operation(self, data, &local))
      return TRUE;
    if (PQstatus(self->conn) == CONNECTION_OK || was_reset)
      break;
  }
  g_propagate_error(error, g_steal_pointer(&local));
  return FALSE;
}

static gboolean
ims_pg_ping_once(ImsStorePg *self, gpointer data, GError **error)
{
  g_autoptr(PGresult) result = ims_pg_exec(self, "ping", "SELECT 1", NULL, PGRES_TUPLES_OK, error);
  return result != NULL;
}

static gboolean
ims_store_pg_ping(ImsStore *store, GError **error)
{
  return ims_pg_run((ImsStorePg *) store, ims_pg_ping_once, NULL, error);
}

static gboolean
ims_pg_create_session_once(ImsStorePg *self, gpointer data, GError **error)
{
  const ImsSessionRecord *record = data;
  if (!ims_pg_command(self, "BEGIN", error))
    return FALSE;

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
  PGresult *result = ims_pg_exec(self, "insert session",
      "INSERT INTO sessions (id, interview_id, invitation_id, user_id, candidate_email,"
      " company_id, profile, think_seconds, max_retakes, state, current_question,"
      " created_at, expires_at, started_at, completed_at)"
      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,"
      " coalesce($12::timestamptz, now()), $13, $14, $15)",
      &params, PGRES_COMMAND_OK, error);
  ims_pg_params_clear(&params);
  if (result == NULL)
    goto error;
  PQclear(result);

  for (guint i = 0; record->questions && i < record->questions->len; i++) {
    const ImsQuestion *question = g_ptr_array_index(record->questions, i);
    ims_pg_params_init(&params);
    ims_pg_params_add_text(&params, record->id);
    ims_pg_params_add_int(&params, i);
    ims_pg_params_add_text(&params, question->id);
    ims_pg_params_add_text(&params, question->text);
    ims_pg_params_add_int(&params, question->time_limit_seconds);
    result = ims_pg_exec(self, "insert question",
        "INSERT INTO questions (session_id, idx, question_id, text, time_limit_seconds)"
        " VALUES ($1, $2, $3, $4, $5)", &params, PGRES_COMMAND_OK, error);
    ims_pg_params_clear(&params);
    if (result == NULL)
      goto error;
    PQclear(result);
  }
  if (!ims_pg_command(self, "COMMIT", error))
    goto error;
  return TRUE;

error:
  ims_pg_rollback(self);
  return FALSE;
}

static gboolean
ims_store_pg_create_session(ImsStore *store, const ImsSessionRecord *record, GError **error)
{
  return ims_pg_run((ImsStorePg *) store, ims_pg_create_session_once, (gpointer) record, error);
}

typedef struct {
  const char *session_id;
  ImsSessionRecord *record;   /* out, transfer full */
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
  session = ims_pg_exec(self, "load session",
      "SELECT id, interview_id, invitation_id, user_id, candidate_email, company_id,"
      " profile, think_seconds, max_retakes, state, current_question, "
      IMS_PG_USEC("created_at") ", " IMS_PG_USEC("expires_at") ", "
      IMS_PG_USEC("started_at") ", " IMS_PG_USEC("completed_at")
      " FROM sessions WHERE id = $1", &params, PGRES_TUPLES_OK, error);
  if (session == NULL)
    goto error;
  if (PQntuples(session) == 0) {
    g_set_error(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND,
                "no session %s", load->session_id);
    goto error;
  }
  if (!ims_pg_session_from_row(session, record, error))
    goto error;

  questions = ims_pg_exec(self, "load questions",
      "SELECT question_id, text, time_limit_seconds FROM questions"
      " WHERE session_id = $1 ORDER BY idx", &params, PGRES_TUPLES_OK, error);
  if (questions == NULL)
    goto error;
  for (int row = 0; row < PQntuples(questions); row++)
    g_ptr_array_add(record->questions,
                    ims_question_new(PQgetvalue(questions, row, 0), PQgetvalue(questions, row, 1),
                                     (int) ims_pg_get_int(questions, row, 2)));

  takes = ims_pg_exec(self, "load takes",
      "SELECT " IMS_PG_TAKE_COLUMNS " FROM takes WHERE session_id = $1"
      " ORDER BY question_idx, number", &params, PGRES_TUPLES_OK, error);
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

/* Runs an UPDATE whose params are ready; NOT_FOUND if it changed no row. */
gboolean
ims_pg_update_one(ImsStorePg *self, const char *what, const char *sql, const ImsPgParams *params,
                  const char *id, GError **error)
{
  g_autoptr(PGresult) result = ims_pg_exec(self, what, sql, params, PGRES_COMMAND_OK, error);
  if (result == NULL)
    return FALSE;
  if (g_str_equal(PQcmdTuples(result), "0")) {
    g_set_error(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND, "%s: no row with id %s", what, id);
    return FALSE;
  }
  return TRUE;
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
  gboolean ok = ims_pg_update_one(self, "save progress",
      "UPDATE sessions SET state = $2, current_question = $3, started_at = $4,"
      " completed_at = $5 WHERE id = $1", &params, record->id, error);
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

static void
ims_store_pg_free(ImsStore *store)
{
  ImsStorePg *self = (ImsStorePg *) store;
  PQfinish(self->conn);
  g_free(self);
}

ImsStore *
ims_store_pg_new(const char *conninfo, GError **error)
{
  g_return_val_if_fail(conninfo != NULL, NULL);
  PGconn *conn = ims_pg_connect(conninfo, error);
  if (conn == NULL)
    return NULL;
  ImsStorePg *self = g_new0(ImsStorePg, 1);
  self->conn = conn;
  self->base.ping = ims_store_pg_ping;
  self->base.sessions.create_session = ims_store_pg_create_session;
  self->base.sessions.load_session = ims_store_pg_load_session;
  self->base.sessions.save_progress = ims_store_pg_save_progress;
  ims_store_pg_takes_init(self);
  ims_store_pg_media_init(self);
  ims_store_pg_events_init(self);
  ims_store_pg_review_init(self);
  self->base.free = ims_store_pg_free;
  if (!ims_pg_migrate(self, error)) {
    ims_store_pg_free(&self->base);
    return NULL;
  }
  return &self->base;
}
