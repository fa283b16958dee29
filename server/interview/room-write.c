/* room-write.c: a live room's changes on their way to the database (see
 * room-private.h).
 *
 * One change of the room (it goes live, a mark, a file starts or is final,
 * it ends) is one RoomWrite: a list of steps on the store's rooms and
 * sessions ops run in one transaction with the events it causes
 * (ims_store_change_atomic), queued as IMS_DATABASE_WRITE (kept and retried
 * in order until written).  The room is busy until its writes are done.  A
 * final candidate take goes to the processor once its write is done, as a
 * one-way take does (ims_session_context_take_saved); the write that ends
 * the room calls the context's room_ended.
 *
 * Threads: built and completed on the main loop; run_room_write runs on the
 * database thread and touches only its RoomWrite (copies of the records).
 */
#define G_LOG_DOMAIN "imsd.room"

#include "room-private.h"

#include "database.h"
#include "log-session.h"

typedef enum {
  STEP_SAVE_STATE,
  STEP_INSERT_SEGMENT,
  STEP_FINISH_SEGMENT,
  STEP_INSERT_RECORDING,
  STEP_UPDATE_RECORDING,
  STEP_UPDATE_TAKE,
  STEP_ADD_QUESTION,
} StepKind;

typedef struct {
  StepKind kind;
  ImsRoomRecord *state;        /* SAVE_STATE: id, state and times */
  ImsRoomSegment *segment;     /* INSERT_SEGMENT, FINISH_SEGMENT */
  ImsRoomRecording *recording; /* INSERT_RECORDING, UPDATE_RECORDING */
  ImsTake *take;               /* UPDATE_TAKE */
  ImsQuestion *question;       /* ADD_QUESTION */
} Step;

struct _RoomWrite {
  ImsRoom *room; /* a reference: the room waits for its writes */
  char *what;
  char *room_id, *session_id;
  GPtrArray *steps;    /* Step*, in order */
  GPtrArray *events;   /* ImsOutboxEvent*, may be NULL */
  GPtrArray *final_takes; /* ImsTake* copies to hand to the processor once written */
  gboolean then_ended;
  gboolean attempted; /* database thread: it ran before */
};

static void
step_free(Step *step)
{
  ims_room_record_free(step->state);
  ims_room_segment_free(step->segment);
  ims_room_recording_free(step->recording);
  ims_take_free(step->take);
  ims_question_free(step->question);
  g_free(step);
}

static void
room_write_free(RoomWrite *write)
{
  ims_room_unref(write->room);
  g_free(write->what);
  g_free(write->room_id);
  g_free(write->session_id);
  g_ptr_array_unref(write->steps);
  g_clear_pointer(&write->events, g_ptr_array_unref);
  g_ptr_array_unref(write->final_takes);
  g_free(write);
}

RoomWrite *
ims_room_write_new(ImsRoom *room, const char *what)
{
  RoomWrite *write = g_new0(RoomWrite, 1);
  write->room = ims_room_ref(room);
  write->what = g_strdup_printf("room %s: %s", ROOM_LOG_ID(room), what);
  write->room_id = g_strdup(ROOM_LOG_ID(room));
  write->session_id = g_strdup(room->session->id);
  write->steps = g_ptr_array_new_with_free_func((GDestroyNotify) step_free);
  write->final_takes = g_ptr_array_new_with_free_func((GDestroyNotify) ims_take_free);
  return write;
}

static Step *
add_step(RoomWrite *write, StepKind kind)
{
  Step *step = g_new0(Step, 1);
  step->kind = kind;
  g_ptr_array_add(write->steps, step);
  return step;
}

void
ims_room_write_state(RoomWrite *write)
{
  const ImsRoomRecord *record = write->room->record;
  ImsRoomRecord *state = ims_room_record_new();
  state->id = g_strdup(record->id);
  state->session_id = g_strdup(record->session_id);
  state->state = record->state;
  state->started_at = record->started_at;
  state->ended_at = record->ended_at;
  add_step(write, STEP_SAVE_STATE)->state = state;
}

void
ims_room_write_insert_segment(RoomWrite *write, const ImsRoomSegment *segment)
{
  add_step(write, STEP_INSERT_SEGMENT)->segment = ims_room_segment_copy(segment);
}

void
ims_room_write_finish_segment(RoomWrite *write, const ImsRoomSegment *segment)
{
  add_step(write, STEP_FINISH_SEGMENT)->segment = ims_room_segment_copy(segment);
}

void
ims_room_write_insert_recording(RoomWrite *write, const ImsRoomRecording *recording)
{
  add_step(write, STEP_INSERT_RECORDING)->recording = ims_room_recording_copy(recording);
}

void
ims_room_write_update_recording(RoomWrite *write, const ImsRoomRecording *recording)
{
  add_step(write, STEP_UPDATE_RECORDING)->recording = ims_room_recording_copy(recording);
}

void
ims_room_write_update_take(RoomWrite *write, const ImsTake *take, gboolean final)
{
  add_step(write, STEP_UPDATE_TAKE)->take = ims_take_copy(take);
  if (final)
    g_ptr_array_add(write->final_takes, ims_take_copy(take));
}

void
ims_room_write_add_question(RoomWrite *write, const ImsQuestion *question)
{
  add_step(write, STEP_ADD_QUESTION)->question = ims_question_new(question->id, question->text,
                                                                  question->time_limit_seconds);
}

void
ims_room_write_events(RoomWrite *write, GPtrArray *events)
{
  if (!events)
    return;
  if (!write->events) {
    write->events = events;
    return;
  }
  for (guint i = 0; i < events->len; i++)
    g_ptr_array_add(write->events, g_steal_pointer(&events->pdata[i]));
  g_ptr_array_unref(events);
}

void
ims_room_write_then_ended(RoomWrite *write)
{
  write->then_ended = TRUE;
}

static gboolean
run_step(ImsStore *store, const RoomWrite *write, const Step *step, GError **error)
{
  const ImsRoomStoreOps *rooms = &store->rooms;
  int index = 0;
  switch (step->kind) {
  case STEP_SAVE_STATE:
    return rooms->save_room_state(store, step->state, error);
  case STEP_INSERT_SEGMENT:
    return rooms->insert_segment(store, write->room_id, step->segment, error);
  case STEP_FINISH_SEGMENT:
    return rooms->finish_segment(store, write->room_id, step->segment->index,
                                 step->segment->ended_at, error);
  case STEP_INSERT_RECORDING:
    return rooms->insert_recording(store, write->room_id, step->recording, error);
  case STEP_UPDATE_RECORDING:
    return rooms->update_recording(store, step->recording, error);
  case STEP_UPDATE_TAKE:
    return store->sessions.update_take(store, step->take, error);
  case STEP_ADD_QUESTION:
  default:
    return rooms->add_question(store, write->session_id, step->question, &index, error);
  }
}

static gboolean
write_steps(ImsStore *store, gpointer data, GError **error)
{
  RoomWrite *write = data;
  for (guint i = 0; i < write->steps->len; i++)
    if (!run_step(store, write, g_ptr_array_index(write->steps, i), error))
      return FALSE;
  return TRUE;
}

/* Database thread.  A change retried after a broken connection may have
 * committed unseen the first time: its rows and events then exist, and that
 * conflict means it is written. */
static gboolean
run_room_write(ImsStore *store, gpointer data, GError **error)
{
  RoomWrite *write = data;
  gboolean retried = write->attempted;
  g_autoptr(GError) local = NULL;

  write->attempted = TRUE;
  if (ims_store_change_atomic(store, write_steps, write, write->events, &local))
    return TRUE;
  if (retried && g_error_matches(local, IMS_STORE_ERROR, IMS_STORE_ERROR_CONFLICT))
    return TRUE;
  g_propagate_error(error, g_steal_pointer(&local));
  return FALSE;
}

static void
on_room_written(gpointer data, const GError *error)
{
  RoomWrite *write = data;
  ImsRoom *room = write->room;
  const ImsRoomContext *context = room->context;

  room->unsaved--;
  if (error) {
    ims_log_session(G_LOG_LEVEL_WARNING, write->room_id, NULL,
                    "a change of the room was refused by the database (%s): %s", write->what,
                    error->message);
    return;
  }
  for (guint i = 0; i < write->final_takes->len; i++)
    ims_session_context_take_saved(context->sessions, room->session,
                                   g_ptr_array_index(write->final_takes, i));
  if (write->then_ended && context->room_ended)
    context->room_ended(context->room_ended_data, write->room_id);
}

void
ims_room_write_submit(RoomWrite *write)
{
  if (write->steps->len == 0 && !write->events) {
    room_write_free(write);
    return;
  }
  write->room->unsaved++;
  g_autofree char *what = g_strdup(write->what);
  ims_database_submit(write->room->context->sessions->database, IMS_DATABASE_WRITE, what,
                      run_room_write, on_room_written, write, (GDestroyNotify) room_write_free);
}
