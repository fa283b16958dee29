/* store-pg-rooms.c: the live rooms' tables on PostgreSQL (rooms,
 * room_participants, room_segments, room_recordings; docs/database.md):
 * create a room with its candidate session, load it, save its state, its
 * segments and recordings, off-script questions, and the composite after
 * End.  See store.h (ImsRoomStoreOps) for the contracts.
 *
 * An op of several statements runs in a transaction of its own, or inside
 * the caller's when one is open (ims_store_change_atomic): then it neither
 * begins nor commits, and a failure aborts the caller's transaction.
 */
#define G_LOG_DOMAIN "imsd.store-pg"

#include "store-pg-tables.h"

/* How many failed composites of a room list_rooms_to_composite retries. */
#define IMS_PG_COMPOSITE_ATTEMPTS 3

/* begin_sql unless the caller's transaction is open. */
static gboolean
open_transaction(ImsStorePg *self, const char *begin_sql, GError **error)
{
  return self->in_transaction || ims_pg_command(self, begin_sql, error);
}

static gboolean
commit_transaction(ImsStorePg *self, GError **error)
{
  return self->in_transaction || ims_pg_command(self, "COMMIT", error);
}

/* After a failure: rolls back our own transaction (the caller rolls back its own). */
static void
abort_transaction(ImsStorePg *self)
{
  if (!self->in_transaction)
    ims_pg_rollback(self);
}

/* Runs sql with params (cleared here) expecting no rows; FALSE with error. */
static gboolean
run_command(ImsStorePg *self, const char *what, const char *sql, ImsPgParams *params,
            GError **error)
{
  g_autoptr(PGresult) result = ims_pg_exec(self, what, sql, params, PGRES_COMMAND_OK, error);
  ims_pg_params_clear(params);
  return result != NULL;
}

/* NOT_FOUND for a NULL or malformed id (the server would answer a type error). */
static gboolean
check_id(const char *id, const char *what, GError **error)
{
  if (id != NULL && g_uuid_string_is_valid(id))
    return TRUE;
  g_set_error(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND, "no %s %s", what,
              id != NULL ? id : "(null)");
  return FALSE;
}

static const char *
pg_boolean(gboolean value)
{
  return value ? "t" : "f";
}

typedef struct {
  const ImsRoomRecord *room;
  const ImsSessionRecord *session;
} CreateRoom;

static gboolean
insert_participants(ImsStorePg *self, const ImsRoomRecord *room, const char *room_id,
                    GError **error)
{
  for (guint i = 0; room->participants != NULL && i < room->participants->len; i++) {
    const ImsRoomParticipant *participant = g_ptr_array_index(room->participants, i);
    ImsPgParams params;
    ims_pg_params_init(&params);
    ims_pg_params_add_text(&params, participant->id);
    ims_pg_params_add_text(&params, room_id);
    ims_pg_params_add_int(&params, i);
    ims_pg_params_add_text(&params, ims_room_role_to_string(participant->role));
    ims_pg_params_add_text(&params, participant->user_id);
    ims_pg_params_add_text(&params, participant->name);
    ims_pg_params_add_text(&params, participant->email);
    if (!run_command(self, "insert room participant",
                     "INSERT INTO room_participants (id, room_id, position, role, user_id, name,"
                     " email) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                     &params, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
create_room_once(ImsStorePg *self, gpointer data, GError **error)
{
  const CreateRoom *create = data;
  const ImsRoomRecord *room = create->room;
  ImsSessionRecord live = *create->session; /* shallow: only the kind differs */
  live.kind = IMS_SESSION_LIVE;
  if (!open_transaction(self, "BEGIN", error))
    return FALSE;
  if (!ims_pg_insert_session(self, &live, error))
    goto error;

  ImsPgParams params;
  ims_pg_params_init(&params);
  ims_pg_params_add_text(&params, room->id);
  ims_pg_params_add_text(&params, room->interview_id);
  ims_pg_params_add_text(&params, live.id);
  ims_pg_params_add_text(&params, room->type);
  ims_pg_params_add_text(&params, room->company_id);
  ims_pg_params_add_time(&params, room->scheduled_at);
  ims_pg_params_add_int(&params, room->duration_minutes);
  ims_pg_params_add_text(&params, pg_boolean(room->observers_visible));
  ims_pg_params_add_text(&params, pg_boolean(room->allow_screen_share));
  ims_pg_params_add_text(&params, pg_boolean(room->record_interviewers));
  ims_pg_params_add_text(&params, ims_room_state_to_string(room->state));
  ims_pg_params_add_time(&params, room->created_at);
  ims_pg_params_add_time(&params, room->started_at);
  ims_pg_params_add_time(&params, room->ended_at);
  ims_pg_params_add_text(&params, room->composite_status ? room->composite_status : "pending");
  if (!run_command(self, "insert room",
                   "INSERT INTO rooms (id, interview_id, session_id, type, company_id,"
                   " scheduled_at, duration_minutes, observers_visible, allow_screen_share,"
                   " record_interviewers, state, created_at, started_at, ended_at,"
                   " composite_status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,"
                   " coalesce($12::timestamptz, now()), $13, $14, $15)",
                   &params, error))
    goto error;
  if (!insert_participants(self, room, room->id, error) || !commit_transaction(self, error))
    goto error;
  return TRUE;

error:
  abort_transaction(self);
  return FALSE;
}

static gboolean
create_room(ImsStore *store, const ImsRoomRecord *room, const ImsSessionRecord *session,
            GError **error)
{
  CreateRoom create = { room, session };
  return ims_pg_run((ImsStorePg *) store, create_room_once, &create, error);
}

/* The room row's columns, in the order room_from_row reads them. */
#define ROOM_COLUMNS \
  "id, interview_id, session_id, type, company_id, " IMS_PG_USEC("scheduled_at") ", " \
  "duration_minutes, observers_visible, allow_screen_share, record_interviewers, state, " \
  IMS_PG_USEC("created_at") ", " IMS_PG_USEC("started_at") ", " IMS_PG_USEC("ended_at") ", " \
  "composite_status, composite_key, composite_size, composite_chapters"

static gboolean
get_boolean(const PGresult *result, int row, int column)
{
  return g_str_equal(PQgetvalue(result, row, column), "t");
}

static gboolean
room_from_row(const PGresult *result, ImsRoomRecord *room, GError **error)
{
  const char *state = PQgetvalue(result, 0, 10);
  if (!ims_room_state_from_string(state, &room->state)) {
    g_set_error(error, IMS_STORE_ERROR, IMS_STORE_ERROR_QUERY, "unknown room state '%s'", state);
    return FALSE;
  }
  room->id = ims_pg_get_text(result, 0, 0);
  room->interview_id = ims_pg_get_text(result, 0, 1);
  room->session_id = ims_pg_get_text(result, 0, 2);
  room->type = ims_pg_get_text(result, 0, 3);
  room->company_id = ims_pg_get_text(result, 0, 4);
  room->scheduled_at = ims_pg_get_int(result, 0, 5);
  room->duration_minutes = (int) ims_pg_get_int(result, 0, 6);
  room->observers_visible = get_boolean(result, 0, 7);
  room->allow_screen_share = get_boolean(result, 0, 8);
  room->record_interviewers = get_boolean(result, 0, 9);
  room->created_at = ims_pg_get_int(result, 0, 11);
  room->started_at = ims_pg_get_int(result, 0, 12);
  room->ended_at = ims_pg_get_int(result, 0, 13);
  g_free(room->composite_status);
  room->composite_status = ims_pg_get_text(result, 0, 14);
  room->composite_key = ims_pg_get_text(result, 0, 15);
  room->composite_size = ims_pg_get_int(result, 0, 16);
  room->composite_chapters = ims_pg_get_text(result, 0, 17);
  return TRUE;
}

static gboolean
participants_from_result(const PGresult *result, GPtrArray *participants, GError **error)
{
  for (int row = 0; row < PQntuples(result); row++) {
    g_autoptr(ImsRoomParticipant) participant = ims_room_participant_new();
    const char *role = PQgetvalue(result, row, 1);
    if (!ims_room_role_from_string(role, &participant->role)) {
      g_set_error(error, IMS_STORE_ERROR, IMS_STORE_ERROR_QUERY, "unknown room role '%s'", role);
      return FALSE;
    }
    participant->id = ims_pg_get_text(result, row, 0);
    participant->user_id = ims_pg_get_text(result, row, 2);
    participant->name = ims_pg_get_text(result, row, 3);
    participant->email = ims_pg_get_text(result, row, 4);
    g_ptr_array_add(participants, g_steal_pointer(&participant));
  }
  return TRUE;
}

static void
segments_from_result(const PGresult *result, GPtrArray *segments)
{
  for (int row = 0; row < PQntuples(result); row++) {
    ImsRoomSegment *segment = ims_room_segment_new();
    segment->index = (int) ims_pg_get_int(result, row, 0);
    if (!PQgetisnull(result, row, 1))
      segment->question_index = (int) ims_pg_get_int(result, row, 1);
    segment->take_id = ims_pg_get_text(result, row, 2);
    segment->started_at = ims_pg_get_int(result, row, 3);
    segment->ended_at = ims_pg_get_int(result, row, 4);
    g_ptr_array_add(segments, segment);
  }
}

static gboolean
recordings_from_result(const PGresult *result, GPtrArray *recordings, GError **error)
{
  for (int row = 0; row < PQntuples(result); row++) {
    g_autoptr(ImsRoomRecording) recording = ims_room_recording_new();
    const char *status = PQgetvalue(result, row, 5);
    if (!ims_take_status_from_string(status, &recording->status)) {
      g_set_error(error, IMS_STORE_ERROR, IMS_STORE_ERROR_QUERY, "unknown recording status '%s'",
                  status);
      return FALSE;
    }
    recording->id = ims_pg_get_text(result, row, 0);
    recording->segment = (int) ims_pg_get_int(result, row, 1);
    recording->participant_id = ims_pg_get_text(result, row, 2);
    recording->stream = ims_pg_get_text(result, row, 3);
    recording->path = ims_pg_get_text(result, row, 4);
    recording->duration_ms = ims_pg_get_int(result, row, 6);
    recording->size_bytes = ims_pg_get_int(result, row, 7);
    recording->object_key = ims_pg_get_text(result, row, 8);
    g_ptr_array_add(recordings, g_steal_pointer(&recording));
  }
  return TRUE;
}

typedef struct {
  const char *room_id;
  ImsRoomRecord *room; /* out, transfer full */
} LoadRoom;

static gboolean
load_room_once(ImsStorePg *self, gpointer data, GError **error)
{
  LoadRoom *load = data;
  g_autoptr(ImsRoomRecord) room = ims_room_record_new();
  g_autoptr(PGresult) row = NULL, participants = NULL, segments = NULL, recordings = NULL;
  ImsPgParams params;
  ims_pg_params_init(&params);
  ims_pg_params_add_text(&params, load->room_id);
  /* One snapshot for the four reads. */
  if (!open_transaction(self, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", error)) {
    ims_pg_params_clear(&params);
    return FALSE;
  }
  row = ims_pg_exec(self, "load room", "SELECT " ROOM_COLUMNS " FROM rooms WHERE id = $1", &params,
                    PGRES_TUPLES_OK, error);
  if (row == NULL)
    goto error;
  if (PQntuples(row) == 0) {
    g_set_error(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND, "no room %s", load->room_id);
    goto error;
  }
  if (!room_from_row(row, room, error))
    goto error;
  participants = ims_pg_exec(self, "load room participants",
                             "SELECT id, role, user_id, name, email FROM room_participants"
                             " WHERE room_id = $1 ORDER BY position",
                             &params, PGRES_TUPLES_OK, error);
  if (participants == NULL || !participants_from_result(participants, room->participants, error))
    goto error;
  segments = ims_pg_exec(self, "load room segments",
                         "SELECT idx, question_idx, take_id, " IMS_PG_USEC("started_at") ", "
                         IMS_PG_USEC("ended_at") " FROM room_segments WHERE room_id = $1"
                         " ORDER BY idx",
                         &params, PGRES_TUPLES_OK, error);
  if (segments == NULL)
    goto error;
  segments_from_result(segments, room->segments);
  recordings = ims_pg_exec(self, "load room recordings",
                           "SELECT r.id, r.segment, r.participant_id, r.stream, r.path, r.status,"
                           " r.duration_ms, r.size_bytes, r.object_key FROM room_recordings r"
                           " JOIN room_participants p ON p.id = r.participant_id"
                           " WHERE r.room_id = $1 ORDER BY r.segment, p.position, r.stream",
                           &params, PGRES_TUPLES_OK, error);
  if (recordings == NULL || !recordings_from_result(recordings, room->recordings, error) ||
      !commit_transaction(self, error))
    goto error;
  ims_pg_params_clear(&params);
  load->room = g_steal_pointer(&room);
  return TRUE;

error:
  abort_transaction(self);
  ims_pg_params_clear(&params);
  return FALSE;
}

static ImsRoomRecord *
load_room(ImsStore *store, const char *room_id, GError **error)
{
  if (!check_id(room_id, "room", error))
    return NULL;
  LoadRoom load = { room_id, NULL };
  if (!ims_pg_run((ImsStorePg *) store, load_room_once, &load, error))
    return NULL;
  return load.room;
}

static gboolean
save_room_state_once(ImsStorePg *self, gpointer data, GError **error)
{
  const ImsRoomRecord *room = data;
  ImsPgParams params;
  ims_pg_params_init(&params);
  ims_pg_params_add_text(&params, room->id);
  ims_pg_params_add_text(&params, ims_room_state_to_string(room->state));
  ims_pg_params_add_time(&params, room->started_at);
  ims_pg_params_add_time(&params, room->ended_at);
  /* One statement: the room and its session change together. */
  gboolean ok = ims_pg_update_one(
      self, "save room state",
      "WITH room AS (UPDATE rooms SET state = $2, started_at = $3, ended_at = $4"
      "   WHERE id = $1 RETURNING session_id)"
      " UPDATE sessions s SET"
      "  state = CASE $2 WHEN 'live' THEN 'active' WHEN 'ended' THEN 'completed' ELSE s.state END,"
      "  started_at = coalesce(s.started_at, $3::timestamptz),"
      "  completed_at = CASE WHEN $2 = 'ended' THEN coalesce(s.completed_at, $4::timestamptz)"
      "    ELSE s.completed_at END"
      " FROM room WHERE s.id = room.session_id",
      &params, room->id, error);
  ims_pg_params_clear(&params);
  return ok;
}

static gboolean
save_room_state(ImsStore *store, const ImsRoomRecord *room, GError **error)
{
  if (!check_id(room->id, "room", error))
    return FALSE;
  return ims_pg_run((ImsStorePg *) store, save_room_state_once, (gpointer) room, error);
}

typedef struct {
  const char *room_id;
  const ImsRoomSegment *segment;
} SegmentOfRoom;

static gboolean
insert_segment_once(ImsStorePg *self, gpointer data, GError **error)
{
  const SegmentOfRoom *insert = data;
  const ImsRoomSegment *segment = insert->segment;
  ImsPgParams params;
  ims_pg_params_init(&params);
  ims_pg_params_add_text(&params, insert->room_id);
  ims_pg_params_add_int(&params, segment->index);
  if (segment->question_index >= 0)
    ims_pg_params_add_int(&params, segment->question_index);
  else
    ims_pg_params_add_text(&params, NULL);
  ims_pg_params_add_text(&params, segment->take_id);
  ims_pg_params_add_time(&params, segment->started_at);
  ims_pg_params_add_time(&params, segment->ended_at);
  /* One statement: the candidate's take (number: how many times the question
   * was marked) and the segment that refers to it.  The take's path is set by
   * insert_recording of the candidate's camera. */
  gboolean ok = ims_pg_update_one(
      self, "insert room segment",
      "WITH room AS (SELECT session_id FROM rooms WHERE id = $1),"
      " take AS (INSERT INTO takes (id, session_id, question_idx, number, status, path, started_at)"
      "   SELECT $4::uuid, room.session_id, $3::int,"
      "     1 + (SELECT count(*) FROM takes t WHERE t.session_id = room.session_id"
      "          AND t.question_idx = $3::int),"
      "     'recording', '', coalesce($5::timestamptz, now())"
      "   FROM room WHERE $4::uuid IS NOT NULL RETURNING id)"
      " INSERT INTO room_segments (room_id, idx, question_idx, take_id, started_at, ended_at)"
      " SELECT $1, $2, $3::int, (SELECT id FROM take), coalesce($5::timestamptz, now()), $6"
      " FROM room",
      &params, insert->room_id, error);
  ims_pg_params_clear(&params);
  return ok;
}

static gboolean
insert_segment(ImsStore *store, const char *room_id, const ImsRoomSegment *segment,
               GError **error)
{
  if (!check_id(room_id, "room", error))
    return FALSE;
  if (segment->take_id != NULL && (segment->question_index < 0 ||
                                   !g_uuid_string_is_valid(segment->take_id))) {
    g_set_error(error, IMS_STORE_ERROR, IMS_STORE_ERROR_QUERY,
                "insert room segment: a take needs a question and a UUID");
    return FALSE;
  }
  SegmentOfRoom insert = { room_id, segment };
  return ims_pg_run((ImsStorePg *) store, insert_segment_once, &insert, error);
}

typedef struct {
  const char *room_id;
  int index;
  gint64 ended_at;
} FinishSegment;

static gboolean
finish_segment_once(ImsStorePg *self, gpointer data, GError **error)
{
  const FinishSegment *finish = data;
  ImsPgParams params;
  ims_pg_params_init(&params);
  ims_pg_params_add_text(&params, finish->room_id);
  ims_pg_params_add_int(&params, finish->index);
  ims_pg_params_add_time(&params, finish->ended_at);
  gboolean ok = ims_pg_update_one(self, "finish room segment",
                                  "UPDATE room_segments SET ended_at = coalesce($3, now())"
                                  " WHERE room_id = $1 AND idx = $2",
                                  &params, finish->room_id, error);
  ims_pg_params_clear(&params);
  return ok;
}

static gboolean
finish_segment(ImsStore *store, const char *room_id, int index, gint64 ended_at, GError **error)
{
  if (!check_id(room_id, "room", error))
    return FALSE;
  FinishSegment finish = { room_id, index, ended_at };
  return ims_pg_run((ImsStorePg *) store, finish_segment_once, &finish, error);
}

typedef struct {
  const char *room_id;
  const ImsRoomRecording *recording;
} RecordingOfRoom;

static gboolean
insert_recording_once(ImsStorePg *self, gpointer data, GError **error)
{
  const RecordingOfRoom *insert = data;
  const ImsRoomRecording *recording = insert->recording;
  ImsPgParams params;
  ims_pg_params_init(&params);
  ims_pg_params_add_text(&params, recording->id);
  ims_pg_params_add_text(&params, insert->room_id);
  ims_pg_params_add_int(&params, recording->segment);
  ims_pg_params_add_text(&params, recording->participant_id);
  ims_pg_params_add_text(&params, recording->stream);
  ims_pg_params_add_text(&params, recording->path);
  ims_pg_params_add_text(&params, ims_take_status_to_string(recording->status));
  ims_pg_params_add_int(&params, recording->duration_ms);
  ims_pg_params_add_int(&params, recording->size_bytes);
  ims_pg_params_add_text(&params, recording->object_key);
  /* One statement: the candidate's camera file of a question segment is the
   * file of that segment's take. */
  return run_command(
      self, "insert room recording",
      "WITH recording AS (INSERT INTO room_recordings (id, room_id, segment, participant_id,"
      "   stream, path, status, duration_ms, size_bytes, object_key)"
      "   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING room_id, segment)"
      " UPDATE takes SET path = $6 FROM room_segments g, room_participants p, recording r"
      " WHERE g.room_id = r.room_id AND g.idx = r.segment AND takes.id = g.take_id"
      " AND p.id = $4 AND p.role = 'candidate' AND $5 = 'camera'",
      &params, error);
}

static gboolean
insert_recording(ImsStore *store, const char *room_id, const ImsRoomRecording *recording,
                 GError **error)
{
  if (!check_id(room_id, "room", error) || !check_id(recording->id, "recording", error) ||
      !check_id(recording->participant_id, "participant", error))
    return FALSE;
  RecordingOfRoom insert = { room_id, recording };
  return ims_pg_run((ImsStorePg *) store, insert_recording_once, &insert, error);
}

static gboolean
update_recording_once(ImsStorePg *self, gpointer data, GError **error)
{
  const ImsRoomRecording *recording = data;
  ImsPgParams params;
  ims_pg_params_init(&params);
  ims_pg_params_add_text(&params, recording->id);
  ims_pg_params_add_text(&params, ims_take_status_to_string(recording->status));
  ims_pg_params_add_int(&params, recording->duration_ms);
  ims_pg_params_add_int(&params, recording->size_bytes);
  ims_pg_params_add_text(&params, recording->object_key);
  gboolean ok = ims_pg_update_one(self, "update room recording",
                                  "UPDATE room_recordings SET status = $2, duration_ms = $3,"
                                  " size_bytes = $4, object_key = $5 WHERE id = $1",
                                  &params, recording->id, error);
  ims_pg_params_clear(&params);
  return ok;
}

static gboolean
update_recording(ImsStore *store, const ImsRoomRecording *recording, GError **error)
{
  if (!check_id(recording->id, "recording", error))
    return FALSE;
  return ims_pg_run((ImsStorePg *) store, update_recording_once, (gpointer) recording, error);
}

typedef struct {
  const char *session_id;
  const ImsQuestion *question;
  int index; /* out */
} AddQuestion;

static gboolean
add_question_once(ImsStorePg *self, gpointer data, GError **error)
{
  AddQuestion *add = data;
  ImsPgParams params;
  ims_pg_params_init(&params);
  ims_pg_params_add_text(&params, add->session_id);
  ims_pg_params_add_text(&params, add->question->id);
  ims_pg_params_add_text(&params, add->question->text);
  ims_pg_params_add_int(&params, add->question->time_limit_seconds);
  /* A missing session fails the foreign key: NOT_FOUND. */
  g_autoptr(PGresult) result = ims_pg_exec(
      self, "add question",
      "INSERT INTO questions (session_id, idx, question_id, text, time_limit_seconds)"
      " SELECT $1, n.idx, coalesce($2, 'off-script-' || n.idx), $3, $4"
      " FROM (SELECT count(*)::int AS idx FROM questions WHERE session_id = $1) n"
      " RETURNING idx",
      &params, PGRES_TUPLES_OK, error);
  ims_pg_params_clear(&params);
  if (result == NULL)
    return FALSE;
  add->index = (int) ims_pg_get_int(result, 0, 0);
  return TRUE;
}

static gboolean
add_question(ImsStore *store, const char *session_id, const ImsQuestion *question, int *index,
             GError **error)
{
  if (!check_id(session_id, "session", error))
    return FALSE;
  AddQuestion add = { session_id, question, -1 };
  if (!ims_pg_run((ImsStorePg *) store, add_question_once, &add, error))
    return FALSE;
  if (index != NULL)
    *index = add.index;
  return TRUE;
}

static gboolean
list_rooms_to_composite_once(ImsStorePg *self, gpointer data, GError **error)
{
  GPtrArray **out = data;
  ImsPgParams params;
  ims_pg_params_init(&params);
  ims_pg_params_add_int(&params, IMS_PG_COMPOSITE_ATTEMPTS);
  g_autoptr(PGresult) result = ims_pg_exec(
      self, "list rooms to composite",
      "SELECT id FROM rooms WHERE state = 'ended' AND (composite_status = 'pending'"
      " OR (composite_status = 'failed' AND composite_failures < $1)) ORDER BY ended_at, id",
      &params, PGRES_TUPLES_OK, error);
  ims_pg_params_clear(&params);
  if (result == NULL)
    return FALSE;
  *out = g_ptr_array_new_with_free_func(g_free);
  for (int row = 0; row < PQntuples(result); row++)
    g_ptr_array_add(*out, ims_pg_get_text(result, row, 0));
  return TRUE;
}

static GPtrArray *
list_rooms_to_composite(ImsStore *store, GError **error)
{
  GPtrArray *ids = NULL;
  if (!ims_pg_run((ImsStorePg *) store, list_rooms_to_composite_once, &ids, error))
    return NULL;
  return ids;
}

typedef struct {
  const char *room_id, *status, *key;
  gint64 size;
  const char *chapters;
} SetComposite;

static gboolean
set_composite_once(ImsStorePg *self, gpointer data, GError **error)
{
  const SetComposite *set = data;
  ImsPgParams params;
  ims_pg_params_init(&params);
  ims_pg_params_add_text(&params, set->room_id);
  ims_pg_params_add_text(&params, set->status);
  ims_pg_params_add_text(&params, set->key);
  if (set->key != NULL)
    ims_pg_params_add_int(&params, set->size);
  else
    ims_pg_params_add_text(&params, NULL);
  ims_pg_params_add_text(&params, set->chapters);
  gboolean ok = ims_pg_update_one(
      self, "set composite",
      "UPDATE rooms SET composite_status = $2, composite_key = $3, composite_size = $4,"
      " composite_chapters = $5::jsonb,"
      " composite_failures = composite_failures + CASE WHEN $2 = 'failed' THEN 1 ELSE 0 END"
      " WHERE id = $1",
      &params, set->room_id, error);
  ims_pg_params_clear(&params);
  return ok;
}

static gboolean
set_composite(ImsStore *store, const char *room_id, const char *status, const char *key,
              gint64 size, const char *chapters, GError **error)
{
  if (!check_id(room_id, "room", error))
    return FALSE;
  SetComposite set = { room_id, status, key, size, chapters };
  return ims_pg_run((ImsStorePg *) store, set_composite_once, &set, error);
}

void
ims_store_pg_rooms_init(ImsStorePg *self)
{
  self->base.rooms.create_room = create_room;
  self->base.rooms.load_room = load_room;
  self->base.rooms.save_room_state = save_room_state;
  self->base.rooms.insert_segment = insert_segment;
  self->base.rooms.finish_segment = finish_segment;
  self->base.rooms.insert_recording = insert_recording;
  self->base.rooms.update_recording = update_recording;
  self->base.rooms.add_question = add_question;
  self->base.rooms.list_rooms_to_composite = list_rooms_to_composite;
  self->base.rooms.set_composite = set_composite;
}
