/* test-room-fakes.c: the fakes and fixture of the live room's unit tests; see test-room-fakes.h. */
#include "test-room-fakes.h"

/* ---- wrapped peer ---- */


void __wrap_ims_peer_send(ImsPeer *peer, const char *json);
void __wrap_ims_peer_send_error(ImsPeer *peer, const char *code, const char *message,
                                const char *request_type);
void __wrap_ims_peer_close(ImsPeer *peer, const char *reason);
const char *__wrap_ims_peer_get_log_id(ImsPeer *peer);
const char *__wrap_ims_peer_get_user_agent(ImsPeer *peer);
void __wrap_ims_peer_join_finish(ImsPeer *peer, gpointer endpoint, const char *log_id,
                                 const GError *error);

void
__wrap_ims_peer_join_finish(ImsPeer *peer, gpointer endpoint, const char *log_id,
                            const GError *error)
{
  FakePeer *fake = (FakePeer *) peer;
  assert_false(fake->answered); /* once */
  fake->answered = TRUE;
  fake->endpoint = endpoint;
  if (endpoint)
    assert_string_equal(log_id, ROOM_ID);
  else
    fake->error_code = g_strdup(ims_signal_error_code_of(error));
}

const char *
__wrap_ims_peer_get_user_agent(ImsPeer *peer)
{
  (void) peer;
  return "";
}

void
__wrap_ims_peer_send(ImsPeer *peer, const char *json)
{
  if (peer)
    g_ptr_array_add(((FakePeer *) peer)->frames, g_strdup(json));
}

void
__wrap_ims_peer_send_error(ImsPeer *peer, const char *code, const char *message,
                           const char *request_type)
{
  (void) message;
  (void) request_type;
  g_ptr_array_add(((FakePeer *) peer)->frames,
                  g_strdup_printf("{\"type\":\"error\",\"code\":\"%s\"}", code));
}

void
__wrap_ims_peer_close(ImsPeer *peer, const char *reason)
{
  (void) reason;
  ((FakePeer *) peer)->closed = TRUE;
}

const char *
__wrap_ims_peer_get_log_id(ImsPeer *peer)
{
  (void) peer;
  return "peer";
}

/* ---- fake store: every op appended to calls as text, events staged then committed ---- */


static void
record_call(ImsStore *store, char *text)
{
  FakeStore *fake = (FakeStore *) store;
  g_mutex_lock(&fake->lock);
  g_ptr_array_add(fake->calls, text);
  g_mutex_unlock(&fake->lock);
}

static gboolean
fake_begin(ImsStore *store, GError **error)
{
  (void) error;
  g_ptr_array_set_size(((FakeStore *) store)->staged, 0);
  return TRUE;
}

static gboolean
fake_commit(ImsStore *store, GError **error)
{
  (void) error;
  FakeStore *fake = (FakeStore *) store;
  g_mutex_lock(&fake->lock);
  for (guint i = 0; i < fake->staged->len; i++) {
    ImsOutboxEvent *event = g_ptr_array_index(fake->staged, i);
    g_ptr_array_add(fake->event_types, g_strdup(event->event_type));
    g_ptr_array_add(fake->events, g_strdup(event->value));
  }
  g_mutex_unlock(&fake->lock);
  g_ptr_array_set_size(fake->staged, 0);
  return TRUE;
}

static void
fake_rollback(ImsStore *store)
{
  g_ptr_array_set_size(((FakeStore *) store)->staged, 0);
}

static gboolean
fake_append_events(ImsStore *store, const GPtrArray *events, GError **error)
{
  (void) error;
  for (guint i = 0; i < events->len; i++) {
    const ImsOutboxEvent *event = g_ptr_array_index(events, i);
    g_ptr_array_add(((FakeStore *) store)->staged,
                    ims_outbox_event_new(event->event_id, event->event_type, event->topic,
                                         event->key, event->value));
  }
  return TRUE;
}

static gboolean
fake_save_room_state(ImsStore *store, const ImsRoomRecord *room, GError **error)
{
  (void) error;
  record_call(store, g_strdup_printf("save_room_state %s", ims_room_state_to_string(room->state)));
  return TRUE;
}

static gboolean
fake_insert_segment(ImsStore *store, const char *room_id, const ImsRoomSegment *segment,
                    GError **error)
{
  (void) room_id;
  (void) error;
  record_call(store, g_strdup_printf("insert_segment %d q%d%s", segment->index,
                                     segment->question_index, segment->take_id ? " take" : ""));
  return TRUE;
}

static gboolean
fake_finish_segment(ImsStore *store, const char *room_id, int index, gint64 ended_at,
                    GError **error)
{
  (void) room_id;
  (void) error;
  assert_true(ended_at > 0);
  record_call(store, g_strdup_printf("finish_segment %d", index));
  return TRUE;
}

static gboolean
fake_insert_recording(ImsStore *store, const char *room_id, const ImsRoomRecording *recording,
                      GError **error)
{
  (void) room_id;
  (void) error;
  record_call(store, g_strdup_printf("insert_recording %d %.8s %s", recording->segment,
                                     recording->participant_id, recording->stream));
  return TRUE;
}

static gboolean
fake_update_recording(ImsStore *store, const ImsRoomRecording *recording, GError **error)
{
  (void) error;
  record_call(store, g_strdup_printf("update_recording %d %.8s %s %s", recording->segment,
                                     recording->participant_id, recording->stream,
                                     ims_take_status_to_string(recording->status)));
  return TRUE;
}

static gboolean
fake_update_take(ImsStore *store, const ImsTake *take, GError **error)
{
  (void) error;
  record_call(store, g_strdup_printf("update_take q%d #%d %s", take->question_index, take->number,
                                     ims_take_status_to_string(take->status)));
  return TRUE;
}

static gboolean
fake_add_question(ImsStore *store, const char *session_id, const ImsQuestion *question, int *index,
                  GError **error)
{
  (void) session_id;
  (void) error;
  *index = 2;
  record_call(store, g_strdup_printf("add_question %s", question->text));
  return TRUE;
}

static ImsRoomRecord *
fake_load_room(ImsStore *store, const char *room_id, GError **error)
{
  g_atomic_int_inc(&((FakeStore *) store)->loads);
  if (g_strcmp0(room_id, ROOM_ID) != 0) {
    g_set_error_literal(error, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND, "no room");
    return NULL;
  }
  return make_room_record(FALSE, TRUE);
}

static ImsSessionRecord *
fake_load_session(ImsStore *store, const char *session_id, GError **error)
{
  (void) store;
  (void) error;
  assert_string_equal(session_id, SESSION_ID);
  return make_session_record();
}

static void
fake_free(ImsStore *store)
{
  (void) store;
}

/* ---- fake media ---- */


GPtrArray *media_log;
GPtrArray *all_media;

static FakeMedia *
fake_media_new(gboolean publisher, gpointer owner)
{
  FakeMedia *media = g_new0(FakeMedia, 1);
  media->publisher = publisher;
  media->owner = owner;
  media->files = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(all_media, media);
  return media;
}

static void
fake_media_free(FakeMedia *media)
{
  g_free(media->file);
  g_ptr_array_unref(media->files);
  g_free(media);
}

static gpointer
open_publisher(ImsRoom *room, gpointer owner, const char *log_id, gboolean video_only,
               gpointer media_data, GError **error)
{
  (void) room;
  (void) log_id;
  (void) video_only;
  (void) media_data;
  (void) error;
  return fake_media_new(TRUE, owner);
}

static gboolean
publisher_offer(gpointer media, const char *sdp, GError **error)
{
  (void) media;
  if (g_strcmp0(sdp, "bad") == 0) {
    g_set_error_literal(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_BAD_SDP, "bad offer");
    return FALSE;
  }
  return TRUE;
}

static gboolean
media_ice(gpointer media, guint mline_index, const char *candidate, GError **error)
{
  (void) media;
  (void) mline_index;
  (void) candidate;
  (void) error;
  return TRUE;
}

static gboolean
start_file(gpointer handle, const char *path, const char *file_id, GError **error)
{
  (void) file_id;
  (void) error;
  FakeMedia *media = handle;
  assert_null(media->file);
  media->file = g_strdup(path);
  g_ptr_array_add(media->files, g_strdup(path));
  return TRUE;
}

static gboolean
split_file(gpointer handle, const char *path, const char *file_id, GError **error)
{
  (void) file_id;
  (void) error;
  FakeMedia *media = handle;
  assert_non_null(media->file);
  g_free(media->file);
  media->file = g_strdup(path);
  g_ptr_array_add(media->files, g_strdup(path));
  return TRUE;
}

static void
stop_file(gpointer handle)
{
  ((FakeMedia *) handle)->stopped = TRUE;
}

static void
publisher_quality(gpointer handle, ImsLinkQuality *quality)
{
  (void) handle;
  quality->loss_percent = 1.5;
  quality->rtt_ms = 40;
  quality->bitrate_kbps = 900;
}

static void
close_publisher(gpointer handle)
{
  FakeMedia *media = handle;
  assert_false(media->closed);
  media->closed = TRUE;
  g_ptr_array_add(media_log, g_strdup("close_publisher"));
}

static gpointer
open_subscriber(ImsRoom *room, gpointer owner, gpointer publisher, const char *log_id,
                gpointer media_data, GError **error)
{
  (void) room;
  (void) log_id;
  (void) media_data;
  (void) error;
  assert_false(((FakeMedia *) publisher)->closed);
  FakeMedia *media = fake_media_new(FALSE, owner);
  media->publisher_media = publisher;
  return media;
}

static gboolean
subscriber_offer(gpointer media, const char *sdp, GError **error)
{
  (void) media;
  (void) sdp;
  (void) error;
  return TRUE;
}

static void
close_subscriber(gpointer handle)
{
  FakeMedia *media = handle;
  /* a sender is freed before its publisher's receiver */
  assert_false(((FakeMedia *) media->publisher_media)->closed);
  media->closed = TRUE;
  g_ptr_array_add(media_log, g_strdup("close_subscriber"));
}

const ImsRoomMediaOps fake_media_ops = {
  .open_publisher = open_publisher,
  .publisher_offer = publisher_offer,
  .publisher_ice = media_ice,
  .start_file = start_file,
  .split_file = split_file,
  .stop_file = stop_file,
  .publisher_quality = publisher_quality,
  .close_publisher = close_publisher,
  .open_subscriber = open_subscriber,
  .subscriber_offer = subscriber_offer,
  .subscriber_ice = media_ice,
  .close_subscriber = close_subscriber,
};

/* ---- fixture ---- */


static void
take_saved(gpointer data, const ImsProcessingJob *job)
{
  Fixture *f = data;
  g_ptr_array_add(f->saved_takes, g_strdup_printf("q%d #%d %s", job->take->question_index,
                                                  job->take->number, job->question_id));
}

static void
room_ended(gpointer data, const char *room_id)
{
  g_ptr_array_add(((Fixture *) data)->ended, g_strdup(room_id));
}

static ImsRoomParticipant *
participant(const char *id, ImsRoomRole role, const char *name)
{
  ImsRoomParticipant *p = ims_room_participant_new();
  p->id = g_strdup(id);
  p->role = role;
  p->user_id = g_strdup_printf("user-%s", name);
  p->name = g_strdup(name);
  return p;
}

ImsRoomRecord *
make_room_record(gboolean observers_visible, gboolean record_interviewers)
{
  ImsRoomRecord *record = ims_room_record_new();
  record->id = g_strdup(ROOM_ID);
  record->interview_id = g_strdup("iv-1");
  record->session_id = g_strdup(SESSION_ID);
  record->type = g_strdup("technical");
  record->company_id = g_strdup("acme");
  record->scheduled_at = g_get_real_time();
  record->duration_minutes = 45;
  record->observers_visible = observers_visible;
  record->allow_screen_share = FALSE;
  record->record_interviewers = record_interviewers;
  g_ptr_array_add(record->participants, participant(CANDIDATE, IMS_ROOM_ROLE_CANDIDATE, "Cleo"));
  g_ptr_array_add(record->participants,
                  participant(INTERVIEWER, IMS_ROOM_ROLE_INTERVIEWER, "Ada"));
  return record;
}

ImsSessionRecord *
make_session_record(void)
{
  ImsSessionRecord *session = ims_session_record_new();
  session->id = g_strdup(SESSION_ID);
  session->kind = IMS_SESSION_LIVE;
  session->interview_id = g_strdup("iv-1");
  session->user_id = g_strdup("user-Cleo");
  session->profile = g_strdup("technical");
  g_ptr_array_add(session->questions, ims_question_new("q1", "Tell me about you", 600));
  g_ptr_array_add(session->questions, ims_question_new("q2", "Design a cache", 600));
  return session;
}

ImsRoom *
make_room(Fixture *f, gboolean observers_visible, gboolean record_interviewers)
{
  return ims_room_new(make_room_record(observers_visible, record_interviewers),
                      make_session_record(), &f->context);
}

int
setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  g_mutex_init(&f->store.lock);
  f->store.calls = g_ptr_array_new_with_free_func(g_free);
  f->store.events = g_ptr_array_new_with_free_func(g_free);
  f->store.event_types = g_ptr_array_new_with_free_func(g_free);
  f->store.staged = g_ptr_array_new_with_free_func((GDestroyNotify) ims_outbox_event_free);
  ImsStore *base = &f->store.base;
  base->begin = fake_begin;
  base->commit = fake_commit;
  base->rollback = fake_rollback;
  base->append_events = fake_append_events;
  base->rooms.save_room_state = fake_save_room_state;
  base->rooms.insert_segment = fake_insert_segment;
  base->rooms.finish_segment = fake_finish_segment;
  base->rooms.insert_recording = fake_insert_recording;
  base->rooms.update_recording = fake_update_recording;
  base->rooms.add_question = fake_add_question;
  base->sessions.update_take = fake_update_take;
  base->rooms.load_room = fake_load_room;
  base->sessions.load_session = fake_load_session;
  base->free = fake_free;
  f->database = ims_database_new(base, NULL);
  f->spool = g_dir_make_tmp("test-room-XXXXXX", NULL);
  f->saved_takes = g_ptr_array_new_with_free_func(g_free);
  f->ended = g_ptr_array_new_with_free_func(g_free);
  f->sessions = (ImsSessionContext){
    .database = f->database,
    .spool_dir = f->spool,
    .take_saved = take_saved,
    .take_saved_data = f,
  };
  f->context = (ImsRoomContext){
    .sessions = &f->sessions,
    .media = &fake_media_ops,
    .room_ended = room_ended,
    .room_ended_data = f,
  };
  for (guint i = 0; i < G_N_ELEMENTS(f->peers); i++)
    f->peers[i].frames = g_ptr_array_new_with_free_func(g_free);
  media_log = g_ptr_array_new_with_free_func(g_free);
  all_media = g_ptr_array_new_with_free_func((GDestroyNotify) fake_media_free);
  f->room = make_room(f, FALSE, TRUE);
  *state = f;
  return 0;
}

static void
remove_spool(const char *dir)
{
  g_autoptr(GDir) handle = g_dir_open(dir, 0, NULL);
  const char *name;
  while (handle && (name = g_dir_read_name(handle))) {
    g_autofree char *path = g_build_filename(dir, name, NULL);
    if (g_file_test(path, G_FILE_TEST_IS_DIR))
      remove_spool(path);
    else
      g_unlink(path);
  }
  g_rmdir(dir);
}

int
teardown(void **state)
{
  Fixture *f = *state;
  for (guint i = 0; i < G_N_ELEMENTS(f->members); i++)
    if (f->members[i])
      ims_room_member_closed(f->members[i]);
  assert_true(ims_database_flush(f->database, 5000));
  ims_room_unref(f->room);
  ims_database_free(f->database);
  for (guint i = 0; i < G_N_ELEMENTS(f->peers); i++) {
    g_ptr_array_unref(f->peers[i].frames);
    g_free(f->peers[i].error_code);
  }
  g_ptr_array_unref(f->store.calls);
  g_ptr_array_unref(f->store.events);
  g_ptr_array_unref(f->store.event_types);
  g_ptr_array_unref(f->store.staged);
  g_mutex_clear(&f->store.lock);
  g_ptr_array_unref(f->saved_takes);
  g_ptr_array_unref(f->ended);
  g_ptr_array_unref(media_log);
  g_ptr_array_unref(all_media);
  remove_spool(f->spool);
  g_free(f->spool);
  g_free(f);
  return 0;
}

/* ---- helpers ---- */

void
flush(Fixture *f)
{
  assert_true(ims_database_flush(f->database, 5000));
  while (g_main_context_iteration(NULL, FALSE)) /* the idle closes */
    ;
}

ImsRoomMember *
join(Fixture *f, guint peer, const char *participant_id, const char *observer)
{
  g_autoptr(GError) error = NULL;
  f->members[peer] = ims_room_join(f->room, (ImsPeer *) &f->peers[peer], participant_id, observer,
                                   &error);
  g_assert_no_error(error);
  assert_non_null(f->members[peer]);
  return f->members[peer];
}

void
leave(Fixture *f, guint peer)
{
  ims_room_member_closed(g_steal_pointer(&f->members[peer]));
}

/* Sends member a message built from its fields; returns the error code, or NULL if it was taken. */
const char *
send_message(Fixture *f, guint peer, ImsMessageType type, const char *stream,
             const char *participant_id, int question_index, const char *text)
{
  static char code[64];
  ImsMessage message = {
    .type = type,
    .stream = (char *) stream,
    .participant_id = (char *) participant_id,
    .sdp = (char *) "v=0",
    .question_index = question_index,
    .text = (char *) text,
  };
  g_autoptr(GError) error = NULL;
  if (ims_room_member_handle_message(f->members[peer], &message, &error))
    return NULL;
  g_strlcpy(code, ims_signal_error_code_of(error), sizeof code);
  return code;
}

JsonObject *
parse(const char *json)
{
  static JsonNode *last; /* kept until the next call */
  g_clear_pointer(&last, json_node_unref);
  last = json_from_string(json, NULL);
  assert_non_null(last);
  return json_node_get_object(last);
}

/* The last frame of type sent to peer, parsed (NULL if none). */
JsonObject *
last_of_type(Fixture *f, guint peer, const char *type)
{
  GPtrArray *frames = f->peers[peer].frames;
  for (guint i = frames->len; i-- > 0;) {
    JsonObject *object = parse(g_ptr_array_index(frames, i));
    if (g_strcmp0(json_object_get_string_member(object, "type"), type) == 0)
      return object;
  }
  return NULL;
}

const char *
last_error_code(Fixture *f, guint peer)
{
  JsonObject *error = last_of_type(f, peer, "error");
  return error ? json_object_get_string_member(error, "code") : NULL;
}

/* The publisher handle of member's stream. */
FakeMedia *
publisher_media(Fixture *f, guint peer, const char *stream)
{
  Publication *publication = g_hash_table_lookup(f->members[peer]->publications, stream);
  assert_non_null(publication);
  return publication->media;
}

void
publish_flowing(Fixture *f, guint peer, const char *stream)
{
  assert_null(send_message(f, peer, IMS_MESSAGE_PUBLISH, stream, NULL, -1, NULL));
  FakeMedia *media = publisher_media(f, peer, stream);
  ims_room_media_flowing(f->room, media->owner);
}

/* The receiver reports media's file at path final (complete, with audio and video). */
void
finish_file(Fixture *f, FakeMedia *media, const char *path, gboolean complete)
{
  ImsTakeResult result = {
    .path = (char *) path,
    .duration_ms = 12000,
    .size_bytes = 4096,
    .video_codec = (char *) "VP8",
    .audio_codec = (char *) "OPUS",
    .width = 640,
    .height = 480,
    .complete = complete,
  };
  ims_room_media_file_finished(f->room, media->owner, &result);
}

guint
count_calls(Fixture *f, const char *prefix)
{
  guint n = 0;
  for (guint i = 0; i < f->store.calls->len; i++)
    if (g_str_has_prefix(g_ptr_array_index(f->store.calls, i), prefix))
      n++;
  return n;
}

gboolean
has_call(Fixture *f, const char *text)
{
  for (guint i = 0; i < f->store.calls->len; i++)
    if (g_strcmp0(g_ptr_array_index(f->store.calls, i), text) == 0)
      return TRUE;
  return FALSE;
}

char *
event_types(Fixture *f)
{
  g_ptr_array_add(f->store.event_types, NULL);
  char *joined = g_strjoinv(",", (char **) f->store.event_types->pdata);
  g_ptr_array_set_size(f->store.event_types, f->store.event_types->len - 1);
  return joined;
}

