/* pg-migrations.c: the schema, as the list of migrations applied in order
 * (pg-migrations.h).  Append only: a migration that has shipped is never
 * edited; a change is a new one.
 */
#define G_LOG_DOMAIN "imsd.store-pg"

#include "pg-migrations.h"

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
  { 7, "completeness record of takes", "ALTER TABLE takes ADD COLUMN completeness jsonb;" },
  /* live rooms (docs/live-rooms.md): a room goes with its candidate session (erase_user) */
  { 8, "live rooms: sessions' kind, rooms, participants, segments, recordings",
    "ALTER TABLE sessions ADD COLUMN kind text NOT NULL DEFAULT 'one_way'"
    "  CHECK (kind IN ('one_way', 'live'));"
    "CREATE TABLE rooms ("
    "  id uuid PRIMARY KEY,"
    "  interview_id text NOT NULL,"
    "  session_id uuid NOT NULL UNIQUE REFERENCES sessions ON DELETE CASCADE,"
    "  type text NOT NULL,"
    "  company_id text NOT NULL,"
    "  scheduled_at timestamptz NOT NULL,"
    "  duration_minutes int NOT NULL CHECK (duration_minutes > 0),"
    "  observers_visible boolean NOT NULL,"
    "  allow_screen_share boolean NOT NULL,"
    "  record_interviewers boolean NOT NULL,"
    "  state text NOT NULL CHECK (state IN ('scheduled', 'live', 'ended')),"
    "  created_at timestamptz NOT NULL DEFAULT now(),"
    "  started_at timestamptz,"
    "  ended_at timestamptz,"
    "  composite_status text NOT NULL DEFAULT 'pending'"
    "    CHECK (composite_status IN ('pending', 'processing', 'ready', 'failed')),"
    "  composite_key text,"
    "  composite_size bigint CHECK (composite_size >= 0),"
    "  composite_chapters jsonb,"
    "  composite_failures int NOT NULL DEFAULT 0);"
    /* one room not ended per interview */
    "CREATE UNIQUE INDEX rooms_open_interview_idx ON rooms (interview_id) WHERE state <> 'ended';"
    "CREATE INDEX rooms_to_composite_idx ON rooms (ended_at)"
    "  WHERE state = 'ended' AND composite_status IN ('pending', 'failed');"
    "CREATE TABLE room_participants ("
    "  id uuid PRIMARY KEY,"
    "  room_id uuid NOT NULL REFERENCES rooms ON DELETE CASCADE,"
    "  position int NOT NULL,"
    "  role text NOT NULL CHECK (role IN ('candidate', 'interviewer', 'observer')),"
    "  user_id text NOT NULL,"
    "  name text,"
    "  email text,"
    "  UNIQUE (room_id, position));"
    "CREATE TABLE room_segments ("
    "  room_id uuid NOT NULL REFERENCES rooms ON DELETE CASCADE,"
    "  idx int NOT NULL CHECK (idx >= 0),"
    "  question_idx int CHECK (question_idx >= 0),"
    "  take_id uuid REFERENCES takes ON DELETE SET NULL,"
    "  started_at timestamptz NOT NULL,"
    "  ended_at timestamptz,"
    "  PRIMARY KEY (room_id, idx));"
    "CREATE TABLE room_recordings ("
    "  id uuid PRIMARY KEY,"
    "  room_id uuid NOT NULL,"
    "  segment int NOT NULL,"
    "  participant_id uuid NOT NULL REFERENCES room_participants ON DELETE CASCADE,"
    "  stream text NOT NULL CHECK (stream IN ('camera', 'screen')),"
    "  path text NOT NULL,"
    "  status text NOT NULL"
    "    CHECK (status IN ('recording', 'completed', 'interrupted', 'failed')),"
    "  duration_ms bigint,"
    "  size_bytes bigint,"
    "  object_key text,"
    "  UNIQUE (room_id, segment, participant_id, stream),"
    "  FOREIGN KEY (room_id, segment) REFERENCES room_segments ON DELETE CASCADE);" },
  /* the candidate's overview (candidate-api.c): NULL when session creation named none */
  { 9, "sessions' title, company name and practice question",
    "ALTER TABLE sessions ADD COLUMN title text, ADD COLUMN company_name text,"
    "  ADD COLUMN practice_text text,"
    "  ADD COLUMN practice_seconds int NOT NULL DEFAULT 0 CHECK (practice_seconds >= 0);" },
  /* per-answer ratings (docs/database.md): one per take and recruiter; a take's go with it */
  { 10, "take ratings of recruiters",
    "CREATE TABLE take_ratings ("
    "  take_id uuid NOT NULL REFERENCES takes ON DELETE CASCADE,"
    "  recruiter text NOT NULL,"
    "  company_id text NOT NULL,"
    "  rating int NOT NULL CHECK (rating BETWEEN 1 AND 5),"
    "  note text NOT NULL DEFAULT '' CHECK (char_length(note) <= 2000),"
    "  created_at timestamptz NOT NULL DEFAULT now(),"
    "  updated_at timestamptz NOT NULL DEFAULT now(),"
    "  PRIMARY KEY (take_id, recruiter));" },
  /* the practice question is the questions row at idx -1 (IMS_PRACTICE_QUESTION_INDEX), so
   * that its takes are ordinary takes; recruiter-facing queries read idx >= 0 only */
  { 11, "the practice question as question -1",
    "ALTER TABLE questions DROP CONSTRAINT questions_idx_check,"
    "  ADD CONSTRAINT questions_idx_check CHECK (idx >= -1);"
    "INSERT INTO questions (session_id, idx, question_id, text, time_limit_seconds)"
    "  SELECT id, -1, 'practice', practice_text, practice_seconds FROM sessions"
    "  WHERE practice_text IS NOT NULL;" },
};

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
                       "VALUES ($1, $2, now())",
                       &params, PGRES_COMMAND_OK, &local);
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
gboolean
ims_pg_migrate(ImsStorePg *self, GError **error)
{
  ImsPgParams lock;
  ims_pg_params_init(&lock);
  ims_pg_params_add_text(&lock, IMS_STORE_PG_MIGRATION_LOCK);
  g_autoptr(PGresult)
      locked = ims_pg_exec(self, "lock for migrations", "SELECT pg_advisory_lock($1::bigint)",
                           &lock, PGRES_TUPLES_OK, error);
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
                                            " applied_at timestamptz NOT NULL DEFAULT now())",
                                            NULL, PGRES_COMMAND_OK, error);
  if (created == NULL)
    goto out;
  versions = ims_pg_exec(self, "read schema_migrations", "SELECT version FROM schema_migrations",
                         NULL, PGRES_TUPLES_OK, error);
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
  unlocked = ims_pg_exec(self, "unlock after migrations", "SELECT pg_advisory_unlock($1::bigint)",
                         &lock, PGRES_TUPLES_OK, &unlock_error);
  if (unlocked == NULL)
    g_warning("%s", unlock_error->message);
  ims_pg_params_clear(&lock);
  return ok;
}
