/* store-pg-media.c: the PostgreSQL side of take processing: which finished
 * takes still need renditions and uploads, and the media_files rows of the
 * objects S3 has confirmed; and of erasure: a user's objects and rows,
 * retention's expired objects, an object marked deleted.  See store.h for
 * the contracts. */
#define G_LOG_DOMAIN "imsd.store-pg"

#include "pg-rows.h"
#include "store-pg-tables.h"

typedef struct {
  const char *path_prefix;
  GPtrArray *jobs; /* out */
} ListJobs;

static gboolean
list_unprocessed_once(ImsStorePg *self, gpointer data, GError **error)
{
  ListJobs *list = data;
  ImsPgParams params;
  ims_pg_params_init(&params);
  ims_pg_params_add_text(&params, list->path_prefix);
  /* the take columns first, as ims_pg_take_from_row reads them */
  /* clang-format off: SQL with its column macros, line by line */
  g_autoptr(PGresult) result = ims_pg_exec(
      self, "list unprocessed takes",
      "SELECT t.id, t.session_id, t.question_idx, t.number, t.status, t.path, " IMS_PG_USEC("t.started_at") ", " IMS_PG_USEC(
          "t.stopped_at") ", t.duration_ms, t.size_bytes,"
                          " t.video_codec, t.audio_codec, t.width, t.height, t.stop_reason,"
                          " s.interview_id, q.question_id, s.user_id, s.profile, t.completeness"
                          " FROM takes t JOIN sessions s ON s.id = t.session_id"
                          " JOIN questions q ON q.session_id = t.session_id AND q.idx = t.question_idx"
                          " WHERE t.processed_at IS NULL AND t.status IN ('completed', 'interrupted')"
                          " AND t.question_idx >= 0" /* the practice: never processed */
                          " AND starts_with(t.path, $1)"
                          " ORDER BY t.stopped_at, t.id",
      &params, PGRES_TUPLES_OK, error);
  /* clang-format on */
  ims_pg_params_clear(&params);
  if (result == NULL)
    return FALSE;
  g_autoptr(GPtrArray)
      jobs = g_ptr_array_new_with_free_func((GDestroyNotify) ims_processing_job_free);
  for (int row = 0; row < PQntuples(result); row++) {
    ImsTake *take = ims_pg_take_from_row(result, row, error);
    if (take == NULL)
      return FALSE;
    ImsProcessingJob *job = g_new0(ImsProcessingJob, 1);
    job->take = take;
    job->interview_id = ims_pg_get_text(result, row, 15);
    job->question_id = ims_pg_get_text(result, row, 16);
    job->user_id = ims_pg_get_text(result, row, 17);
    job->profile = ims_pg_get_text(result, row, 18);
    g_ptr_array_add(jobs, job);
  }
  list->jobs = g_steal_pointer(&jobs);
  return TRUE;
}

static GPtrArray *
list_unprocessed_takes(ImsStore *store, const char *path_prefix, GError **error)
{
  ListJobs list = { path_prefix, NULL };
  if (!ims_pg_run((ImsStorePg *) store, list_unprocessed_once, &list, error))
    return NULL;
  return list.jobs;
}

/* One query of media_files rows (or, for list_user_take_paths, of paths)
 * by one id. */
typedef struct {
  const char *what; /* names the statement in errors */
  const char *sql;  /* $1 is id; selects MEDIA_FILE_COLUMNS first */
  const char *id;   /* a take id or a user id */
  GPtrArray *files; /* out */
} ListFiles;

#define MEDIA_FILE_COLUMNS IMS_PG_MEDIA_FILE_COLUMNS

static gboolean
list_files_once(ImsStorePg *self, gpointer data, GError **error)
{
  ListFiles *list = data;
  ImsPgParams params;
  ims_pg_params_init(&params);
  ims_pg_params_add_text(&params, list->id);
  g_autoptr(PGresult)
      result = ims_pg_exec(self, list->what, list->sql, &params, PGRES_TUPLES_OK, error);
  ims_pg_params_clear(&params);
  if (result == NULL)
    return FALSE;
  list->files = ims_pg_media_files_from_result(result);
  return TRUE;
}

static GPtrArray *
list_media_files(ImsStore *store, const char *take_id, GError **error)
{
  ListFiles list = { "list media files",
                     "SELECT " MEDIA_FILE_COLUMNS " FROM media_files m WHERE m.take_id = $1"
                     " AND m.status = 'stored' ORDER BY m.created_at, m.kind",
                     take_id, NULL };
  if (!g_uuid_string_is_valid(take_id))
    return g_ptr_array_new_with_free_func((GDestroyNotify) ims_media_file_free);
  if (!ims_pg_run((ImsStorePg *) store, list_files_once, &list, error))
    return NULL;
  return list.files;
}

static gboolean
add_media_file_once(ImsStorePg *self, gpointer data, GError **error)
{
  const ImsMediaFile *file = data;
  ImsPgParams params;
  ims_pg_params_init(&params);
  ims_pg_params_add_text(&params, file->id);
  ims_pg_params_add_text(&params, file->take_id);
  ims_pg_params_add_text(&params, file->session_id);
  ims_pg_params_add_text(&params, file->kind);
  ims_pg_params_add_text(&params, file->key);
  ims_pg_params_add_text(&params, file->content_type);
  ims_pg_params_add_int(&params, file->size_bytes);
  ims_pg_params_add_text(&params, file->checksum);
  ims_pg_params_add_time(&params, file->created_at);
  g_autoptr(PGresult) result = ims_pg_exec(
      self, "add media file",
      "WITH added AS (INSERT INTO media_files (id, take_id, session_id, kind, object_key,"
      " content_type, size_bytes, checksum, created_at)"
      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, coalesce($9::timestamptz, now()))"
      " ON CONFLICT (take_id, kind) DO NOTHING RETURNING take_id, kind, object_key)"
      /* a live room's candidate take is also its room recording: the processor's upload of the
       * original is that recording's object */
      " UPDATE room_recordings r SET object_key = a.object_key FROM added a, takes t"
      " WHERE a.kind = 'original' AND t.id = a.take_id AND r.path = t.path"
      " AND r.object_key IS NULL",
      &params, PGRES_COMMAND_OK, error);
  ims_pg_params_clear(&params);
  return result != NULL;
}

static gboolean
add_media_file(ImsStore *store, const ImsMediaFile *file, GError **error)
{
  return ims_pg_run((ImsStorePg *) store, add_media_file_once, (gpointer) file, error);
}

typedef struct {
  const char *take_id;
  const char *status;
  const char *error_text;
} FinishProcessing;

static gboolean
finish_processing_once(ImsStorePg *self, gpointer data, GError **error)
{
  FinishProcessing *finish = data;
  ImsPgParams params;
  ims_pg_params_init(&params);
  ims_pg_params_add_text(&params, finish->take_id);
  ims_pg_params_add_text(&params, finish->status);
  ims_pg_params_add_text(&params, finish->error_text);
  gboolean ok = ims_pg_update_one(
      self, "finish processing",
      "UPDATE takes SET processed_at = now(), processing_status = $2, processing_error = $3"
      " WHERE id = $1",
      &params, finish->take_id, error);
  ims_pg_params_clear(&params);
  return ok;
}

static gboolean
finish_processing(ImsStore *store, const char *take_id, const char *status, const char *error_text,
                  GError **error)
{
  FinishProcessing finish = { take_id, status, error_text };
  if (!g_uuid_string_is_valid(take_id)) {
    g_set_error(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND, "no take %s", take_id);
    return FALSE;
  }
  return ims_pg_run((ImsStorePg *) store, finish_processing_once, &finish, error);
}

/* The live rooms of the user's sessions (the candidate's rooms), as "g". */
#define USER_ROOMS " FROM rooms g JOIN sessions s ON s.id = g.session_id WHERE s.user_id = $1"
/* A room recording r of room g that is not a candidate take's: that one's object is the take's
 * original (add_media_file), listed as the original. */
#define NOT_A_TAKES_OBJECT \
  " AND NOT EXISTS (SELECT 1 FROM media_files m WHERE m.session_id = g.session_id" \
  " AND m.object_key = r.object_key)"

/* The media_files rows of the user's sessions, then the objects of the
 * user's live rooms, which have no media_files row: each uploaded room
 * recording that is not a candidate take's (id the recording's, kind
 * "room-recording") and the composite (id the room's, as its media.uploaded
 * fileId; kind "composite"). */
static GPtrArray *
list_user_media_files(ImsStore *store, const char *user_id, GError **error)
{
  ListFiles list = { "list the user's media files",
                     "SELECT " MEDIA_FILE_COLUMNS ", 0 AS part"
                     " FROM media_files m JOIN sessions s ON s.id = m.session_id"
                     " WHERE s.user_id = $1 AND m.status = 'stored'"
                     " UNION ALL SELECT r.id, NULL, g.session_id, 'room-recording', r.object_key,"
                     " 'video/x-matroska', coalesce(r.size_bytes, 0), NULL, 0, 1"
                     " FROM room_recordings r JOIN rooms g ON g.id = r.room_id"
                     " JOIN sessions s ON s.id = g.session_id"
                     " WHERE s.user_id = $1 AND r.object_key IS NOT NULL" NOT_A_TAKES_OBJECT
                     " UNION ALL SELECT g.id, NULL, g.session_id, 'composite', g.composite_key,"
                     " 'video/mp4', coalesce(g.composite_size, 0), NULL, 0, 2" USER_ROOMS
                     " AND g.composite_key IS NOT NULL"
                     " ORDER BY part, 9, 1",
                     user_id, NULL };
  if (!ims_pg_run((ImsStorePg *) store, list_files_once, &list, error))
    return NULL;
  return list.files;
}

static gboolean
list_user_take_paths_once(ImsStorePg *self, gpointer data, GError **error)
{
  ListFiles *list = data;
  ImsPgParams params;
  ims_pg_params_init(&params);
  ims_pg_params_add_text(&params, list->id);
  /* a live take's path is empty until its file opens (store.h insert_segment): no file */
  g_autoptr(PGresult) result = ims_pg_exec(
      self, "list the user's takes",
      "SELECT t.path FROM takes t JOIN sessions s ON s.id = t.session_id"
      " WHERE s.user_id = $1 AND t.path <> ''"
      " UNION SELECT r.path FROM room_recordings r JOIN rooms g ON g.id = r.room_id"
      " JOIN sessions s ON s.id = g.session_id WHERE s.user_id = $1 AND r.path <> ''"
      " UNION SELECT composite FROM (SELECT substring(r.path FROM '^(.*)/' || g.session_id || '/[^/]*$')"
      "   || '/composite-' || g.id || '.mp4' AS composite FROM room_recordings r"
      "   JOIN rooms g ON g.id = r.room_id JOIN sessions s ON s.id = g.session_id"
      "   WHERE s.user_id = $1) c WHERE composite IS NOT NULL",
      &params, PGRES_TUPLES_OK, error);
  ims_pg_params_clear(&params);
  if (result == NULL)
    return FALSE;
  list->files = g_ptr_array_new_with_free_func(g_free);
  for (int row = 0; row < PQntuples(result); row++)
    g_ptr_array_add(list->files, ims_pg_get_text(result, row, 0));
  return TRUE;
}

static GPtrArray *
list_user_take_paths(ImsStore *store, const char *user_id, GError **error)
{
  ListFiles list = { .id = user_id };
  if (!ims_pg_run((ImsStorePg *) store, list_user_take_paths_once, &list, error))
    return NULL;
  return list.files;
}

typedef struct {
  const char *user_id;
  int sessions; /* out */
} EraseUser;

/* The user's outbox rows: those whose payload's userId is the user's (every
 * payload imsd makes has one).  $1 the user id; $2 TRUE when the id has
 * characters JSON escapes, so the cheap text match on the stored value
 * (which then holds the id escaped) cannot be used before parsing it. */
#define USER_EVENTS \
  " ($2::boolean OR strpos(value, $1) > 0) AND (value::jsonb) #>> '{payload,userId}' = $1"

/* What an event that has not gone out yet keeps of the user: its ids (the
 * partition key; the platform's own user id, which user.deleted itself
 * carries) but not the e-mail address or the browser.  The value is the
 * compact text json-glib wrote, members as "name":value with no space, so a
 * member is one match: a quote after a comma or colon is never inside a
 * string.  candidateEmail is left out where the contract makes it "(if
 * known)" (candidate.started) and null where it is always present
 * (candidate.completed); userAgent becomes null. */
#define JSON_STRING "\"(?:[^\"\\\\]|\\\\.)*\""
#define SCRUBBED_VALUE \
  "regexp_replace(regexp_replace(value, ',\"candidateEmail\":" JSON_STRING "'," \
  " CASE WHEN event_type = 'candidate.started' THEN '' ELSE ',\"candidateEmail\":null' END)," \
  " '\"userAgent\":" JSON_STRING "', '\"userAgent\":null')"

static gboolean
erase_user_once(ImsStorePg *self, gpointer data, GError **error)
{
  EraseUser *erase = data;
  gboolean escaped = FALSE;
  for (const char *c = erase->user_id; *c; c++)
    escaped |= *c == '"' || *c == '\\' || (unsigned char) *c < 0x20;
  ImsPgParams params;
  ims_pg_params_init(&params);
  ims_pg_params_add_text(&params, erase->user_id);
  ims_pg_params_add_text(&params, escaped ? "true" : "false");
  /* events already sent go; those still to send lose the user's personal data */
  g_autoptr(PGresult)
      sent = ims_pg_exec(self, "erase the user's sent events",
                         "DELETE FROM outbox WHERE sent_at IS NOT NULL AND" USER_EVENTS, &params,
                         PGRES_COMMAND_OK, error);
  g_autoptr(PGresult) unsent = sent == NULL ? NULL
                                            : ims_pg_exec(self, "scrub the user's unsent events",
                                                          "UPDATE outbox SET value = " SCRUBBED_VALUE
                                                          " WHERE sent_at IS NULL AND" USER_EVENTS,
                                                          &params, PGRES_COMMAND_OK, error);
  ims_pg_params_clear(&params);
  if (unsent == NULL)
    return FALSE;
  ims_pg_params_init(&params);
  ims_pg_params_add_text(&params, erase->user_id);
  /* questions, takes and media_files go with their session (ON DELETE CASCADE), and with a
   * live session its room; in the rooms of others the user (an interviewer) keeps no name or
   * address */
  g_autoptr(PGresult)
      result = ims_pg_exec(self, "erase user", "DELETE FROM sessions WHERE user_id = $1", &params,
                           PGRES_COMMAND_OK, error);
  g_autoptr(PGresult) participants =
      result == NULL ? NULL
                     : ims_pg_exec(self, "erase the user's room participations",
                                   "UPDATE room_participants SET name = NULL, email = NULL"
                                   " WHERE user_id = $1",
                                   &params, PGRES_COMMAND_OK, error);
  ims_pg_params_clear(&params);
  if (participants == NULL)
    return FALSE;
  erase->sessions = atoi(PQcmdTuples(result));
  g_debug("user erased: %d session(s), %s sent event(s) deleted, %s unsent scrubbed",
          erase->sessions, PQcmdTuples(sent), PQcmdTuples(unsent));
  return TRUE;
}

static gboolean
erase_user(ImsStore *store, const char *user_id, int *sessions, GError **error)
{
  EraseUser erase = { user_id, 0 };
  if (!ims_pg_run((ImsStorePg *) store, erase_user_once, &erase, error))
    return FALSE;
  if (sessions)
    *sessions = erase.sessions;
  return TRUE;
}

/* Retention's company filter on the session s: $1 the company, or with $1 NULL every company not in
 * $2 (a text[]). */
#define EXPIRED_COMPANY \
  " AND (($1::text IS NOT NULL AND s.company_id = $1) OR ($1::text IS NULL AND" \
  " (s.company_id IS NULL OR NOT (s.company_id = ANY($2::text[])))))"
/* A room's uploaded objects are as old as the room's end (they are uploaded after it). */
#define ROOM_AGE "coalesce(g.ended_at, g.created_at)"

typedef struct {
  const char *company_id;
  const char *const *excluded;
  gint64 older_than;
  GPtrArray *files; /* out */
  GPtrArray *users; /* out */
} ListExpired;

/* The expired media_files rows, then the live rooms' objects as list_user_media_files lists them
 * (a candidate take's recording, whose object is its take's original, only once: as the original). */
static gboolean
list_expired_once(ImsStorePg *self, gpointer data, GError **error)
{
  ListExpired *list = data;
  GString *excluded = g_string_new("{");
  for (const char *const *company = list->excluded; company && *company; company++) {
    g_autofree char *escaped = g_strescape(*company, NULL);
    g_string_append_printf(excluded, "%s\"%s\"", excluded->len > 1 ? "," : "", escaped);
  }
  g_string_append_c(excluded, '}');
  ImsPgParams params;
  ims_pg_params_init(&params);
  ims_pg_params_add_text(&params, list->company_id);
  ims_pg_params_add_owned(&params, g_string_free(excluded, FALSE));
  ims_pg_params_add_time(&params, list->older_than);
  /* clang-format off: SQL with its column macros, line by line */
  g_autoptr(PGresult) result = ims_pg_exec(
      self, "list expired media",
      "SELECT " IMS_PG_MEDIA_FILE_COLUMNS ", s.user_id, 0 AS part FROM media_files m"
      " JOIN sessions s ON s.id = m.session_id"
      " WHERE m.status = 'stored' AND m.created_at < $3" EXPIRED_COMPANY
      " UNION ALL SELECT r.id, NULL, g.session_id, 'room-recording', r.object_key,"
      " 'video/x-matroska', coalesce(r.size_bytes, 0), NULL, " IMS_PG_USEC(ROOM_AGE) ", s.user_id, 1"
      " FROM room_recordings r JOIN rooms g ON g.id = r.room_id JOIN sessions s ON s.id = g.session_id"
      " WHERE r.object_key IS NOT NULL AND " ROOM_AGE " < $3" EXPIRED_COMPANY NOT_A_TAKES_OBJECT
      " UNION ALL SELECT g.id, NULL, g.session_id, 'composite', g.composite_key, 'video/mp4',"
      " coalesce(g.composite_size, 0), NULL, " IMS_PG_USEC(ROOM_AGE) ", s.user_id, 2"
      " FROM rooms g JOIN sessions s ON s.id = g.session_id"
      " WHERE g.composite_key IS NOT NULL AND " ROOM_AGE " < $3" EXPIRED_COMPANY
      " ORDER BY 3, 11, 9, 1",
      &params, PGRES_TUPLES_OK, error);
  /* clang-format on */
  ims_pg_params_clear(&params);
  if (result == NULL)
    return FALSE;
  list->files = ims_pg_media_files_from_result(result);
  list->users = g_ptr_array_new_with_free_func(g_free);
  for (int row = 0; row < PQntuples(result); row++)
    g_ptr_array_add(list->users, ims_pg_get_text(result, row, 9));
  return TRUE;
}

static GPtrArray *
list_expired_media_files(ImsStore *store, const char *company_id, const char *const *excluded,
                         gint64 older_than, GPtrArray **users, GError **error)
{
  ListExpired list = { company_id, excluded, older_than, NULL, NULL };
  if (!ims_pg_run((ImsStorePg *) store, list_expired_once, &list, error))
    return NULL;
  *users = list.users;
  return list.files;
}

/* One statement for the three kinds of object: a media_files row is marked deleted (and a live
 * take's room recording, which shares its object, loses the key), a room recording or a room's
 * composite loses its key. */
static gboolean
mark_media_deleted_once(ImsStorePg *self, gpointer data, GError **error)
{
  const char *file_id = data;
  ImsPgParams params;
  ims_pg_params_init(&params);
  ims_pg_params_add_text(&params, file_id);
  g_autoptr(PGresult) result = ims_pg_exec(
      self, "mark media deleted",
      "WITH file AS (UPDATE media_files SET status = 'deleted' WHERE id = $1::uuid"
      "   RETURNING session_id, object_key),"
      " take_recording AS (UPDATE room_recordings r SET object_key = NULL FROM file f, rooms g"
      "   WHERE g.session_id = f.session_id AND r.room_id = g.id AND r.object_key = f.object_key"
      "   RETURNING r.id),"
      " recording AS (UPDATE room_recordings SET object_key = NULL WHERE id = $1::uuid RETURNING id),"
      " composite AS (UPDATE rooms SET composite_key = NULL WHERE id = $1::uuid RETURNING id)"
      " SELECT (SELECT count(*) FROM file) + (SELECT count(*) FROM recording)"
      " + (SELECT count(*) FROM composite)", /* take_recording runs unread, as every WITH UPDATE */
      &params, PGRES_TUPLES_OK, error);
  ims_pg_params_clear(&params);
  if (result == NULL)
    return FALSE;
  if (ims_pg_get_int(result, 0, 0) == 0) {
    g_set_error(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND,
                "mark media deleted: no object with id %s", file_id);
    return FALSE;
  }
  return TRUE;
}

static gboolean
mark_media_deleted(ImsStore *store, const char *file_id, GError **error)
{
  if (!g_uuid_string_is_valid(file_id)) {
    g_set_error(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND, "no media file %s", file_id);
    return FALSE;
  }
  return ims_pg_run((ImsStorePg *) store, mark_media_deleted_once, (gpointer) file_id, error);
}

void
ims_store_pg_media_init(ImsStorePg *self)
{
  self->base.privacy.list_expired_media_files = list_expired_media_files;
  self->base.privacy.mark_media_deleted = mark_media_deleted;
  self->base.privacy.list_user_media_files = list_user_media_files;
  self->base.privacy.list_user_take_paths = list_user_take_paths;
  self->base.privacy.erase_user = erase_user;
  self->base.media.list_unprocessed_takes = list_unprocessed_takes;
  self->base.media.list_media_files = list_media_files;
  self->base.media.add_media_file = add_media_file;
  self->base.media.finish_processing = finish_processing;
}
