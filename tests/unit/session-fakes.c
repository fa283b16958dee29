/* session-fakes.c: the fakes and the fixture of the session's unit tests
 * (see session-fakes.h). */
#include "session-fakes.h"

/* ---- wrapped peer ---- */

void __wrap_ims_peer_send(ImsPeer *peer, const char *json);
void __wrap_ims_peer_send_error(ImsPeer *peer, const char *code, const char *message,
                                const char *request_type);
void __wrap_ims_peer_close(ImsPeer *peer, const char *reason);
const char *__wrap_ims_peer_get_log_id(ImsPeer *peer);
const char *__wrap_ims_peer_get_user_agent(ImsPeer *peer);

const char *
__wrap_ims_peer_get_user_agent(ImsPeer *peer)
{
  return "FakeBrowser/1.0";
}

void
__wrap_ims_peer_send(ImsPeer *peer, const char *json)
{
  g_ptr_array_add(((FakePeer *) peer)->frames, g_strdup(json));
}

void
__wrap_ims_peer_send_error(ImsPeer *peer, const char *code, const char *message,
                           const char *request_type)
{
  g_ptr_array_add(((FakePeer *) peer)->frames, ims_message_error_json(code, message, request_type));
}

void
__wrap_ims_peer_close(ImsPeer *peer, const char *reason)
{
  FakePeer *fake = (FakePeer *) peer;
  fake->closed = TRUE;
  g_free(fake->close_reason);
  fake->close_reason = g_strdup(reason);
}

const char *
__wrap_ims_peer_get_log_id(ImsPeer *peer)
{
  return "fake-peer";
}

/* ---- wrapped timers ---- */

static GArray *timers; /* of FakeTimer */

guint __wrap_g_timeout_add_full(gint priority, guint interval, GSourceFunc func, gpointer data,
                                GDestroyNotify notify);
gboolean __wrap_g_source_remove(guint id);

guint
__wrap_g_timeout_add_full(gint priority, guint interval, GSourceFunc func, gpointer data,
                          GDestroyNotify notify)
{
  FakeTimer timer = { timers->len + 1000, interval, func, data, TRUE };
  g_array_append_val(timers, timer);
  return timer.id;
}

gboolean
__wrap_g_source_remove(guint id)
{
  for (guint i = 0; i < timers->len; i++) {
    FakeTimer *timer = &g_array_index(timers, FakeTimer, i);
    if (timer->id == id && timer->active) {
      timer->active = FALSE;
      return TRUE;
    }
  }
  fail_msg("g_source_remove(%u) of a timer that is not active", id);
  return FALSE;
}

FakeTimer *
newest_timer(void)
{
  for (guint i = timers->len; i > 0; i--) {
    FakeTimer *timer = &g_array_index(timers, FakeTimer, i - 1);
    if (timer->active)
      return timer;
  }
  return NULL;
}

guint
count_active_timers(void)
{
  guint count = 0;
  for (guint i = 0; i < timers->len; i++)
    count += g_array_index(timers, FakeTimer, i).active;
  return count;
}

FakeTimer *
active_timer(guint interval)
{
  for (guint i = 0; i < timers->len; i++) {
    FakeTimer *timer = &g_array_index(timers, FakeTimer, i);
    if (timer->active && timer->interval == interval)
      return timer;
  }
  return NULL;
}

void
fire(FakeTimer *timer)
{
  assert_true(timer->active);
  guint id = timer->id; /* timer may move: the callback can add timers */
  GSourceFunc func = timer->func;
  gpointer data = timer->data;
  gboolean again = func(data);
  if (!again) {
    for (guint i = 0; i < timers->len; i++)
      if (g_array_index(timers, FakeTimer, i).id == id)
        g_array_index(timers, FakeTimer, i).active = FALSE;
  }
}

gboolean
fire_timer(guint interval)
{
  FakeTimer *timer = active_timer(interval);
  if (!timer)
    return FALSE;
  fire(timer);
  return TRUE;
}

/* ---- fake store ---- */

static gboolean
fake_begin(ImsStore *base, GError **error)
{
  FakeStore *store = (FakeStore *) base;
  assert_false(store->in_transaction);
  store->in_transaction = TRUE;
  return TRUE;
}

static gboolean
fake_commit(ImsStore *base, GError **error)
{
  FakeStore *store = (FakeStore *) base;
  assert_true(store->in_transaction);
  store->in_transaction = FALSE;
  for (guint i = 0; i < store->staged->len; i++)
    g_ptr_array_add(store->events, g_strdup(g_ptr_array_index(store->staged, i)));
  g_ptr_array_set_size(store->staged, 0);
  return TRUE;
}

static void
fake_rollback(ImsStore *base)
{
  FakeStore *store = (FakeStore *) base;
  store->in_transaction = FALSE;
  g_ptr_array_set_size(store->staged, 0);
}

static gboolean
fake_append_events(ImsStore *base, const GPtrArray *events, GError **error)
{
  FakeStore *store = (FakeStore *) base;
  assert_true(store->in_transaction); /* events only ever go with a state change */
  for (guint i = 0; i < events->len; i++) {
    const ImsOutboxEvent *event = g_ptr_array_index(events, i);
    assert_true(g_uuid_string_is_valid(event->event_id));
    assert_non_null(strstr(event->value, event->event_id));
    g_ptr_array_add(store->staged, g_strdup(event->event_type));
  }
  return TRUE;
}

int
count_events(FakeStore *store, const char *type)
{
  int count = 0;
  for (guint i = 0; i < store->events->len; i++)
    count += g_str_equal(g_ptr_array_index(store->events, i), type);
  return count;
}

static gboolean
fake_fail(FakeStore *store, GError **error)
{
  g_atomic_int_inc(&store->attempts);
  if (g_atomic_int_get(&store->unreachable)) {
    g_set_error_literal(error, IMS_STORE_ERROR, IMS_STORE_ERROR_CONNECT,
                        "server closed the connection");
    return TRUE;
  }
  if (!store->fail_next)
    return FALSE;
  store->fail_next = FALSE;
  g_set_error_literal(error, IMS_STORE_ERROR, IMS_STORE_ERROR_QUERY, "database is down");
  return TRUE;
}

static gboolean
fake_ping(ImsStore *base, GError **error)
{
  FakeStore *store = (FakeStore *) base;
  if (!g_atomic_int_get(&store->unreachable))
    return TRUE;
  g_set_error_literal(error, IMS_STORE_ERROR, IMS_STORE_ERROR_CONNECT, "connection refused");
  return FALSE;
}

static void
fake_store_free(ImsStore *base)
{
  /* the fixture owns the fake */
}

static gboolean
fake_save_progress(ImsStore *base, const ImsSessionRecord *record, GError **error)
{
  FakeStore *store = (FakeStore *) base;
  if (fake_fail(store, error))
    return FALSE;
  store->save_calls++;
  store->saved->state = record->state;
  store->saved->current_question = record->current_question;
  store->saved->started_at = record->started_at;
  store->saved->completed_at = record->completed_at;
  return TRUE;
}

static ImsTake *
fake_find_take(FakeStore *store, const char *id)
{
  for (guint i = 0; i < store->takes->len; i++) {
    ImsTake *take = g_ptr_array_index(store->takes, i);
    if (g_str_equal(take->id, id))
      return take;
  }
  return NULL;
}

static gboolean
fake_insert_take(ImsStore *base, const ImsTake *take, GError **error)
{
  FakeStore *store = (FakeStore *) base;
  if (fake_fail(store, error))
    return FALSE;
  assert_null(fake_find_take(store, take->id));
  g_ptr_array_add(store->takes, ims_take_copy(take));
  return TRUE;
}

static gboolean
fake_update_take(ImsStore *base, const ImsTake *take, GError **error)
{
  FakeStore *store = (FakeStore *) base;
  if (fake_fail(store, error))
    return FALSE;
  ImsTake *stored = fake_find_take(store, take->id);
  assert_non_null(stored);
  g_ptr_array_remove(store->takes, stored);
  g_ptr_array_add(store->takes, ims_take_copy(take));
  return TRUE;
}

/* ---- fake media ---- */

int media_opened, media_closed;
FakeMedia *last_media;

static gpointer
fake_open(ImsSession *session, gpointer data, GError **error)
{
  FakeMedia *media = g_new0(FakeMedia, 1);
  media->number = ++media_opened;
  last_media = media;
  return media;
}

static gboolean
fake_offer(gpointer media, const char *sdp, GError **error)
{
  if (!g_str_has_prefix(sdp, "v=0")) {
    g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not SDP");
    return FALSE;
  }
  return TRUE;
}

static gboolean
fake_ice(gpointer media, guint mline, const char *candidate, GError **error)
{
  return TRUE;
}

static gboolean
fake_start_take(gpointer data, const char *path, const char *take_id, GError **error)
{
  FakeMedia *media = data;
  if (media->fail_start) {
    g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED, "no keyframe");
    return FALSE;
  }
  assert_null(media->take_path);
  media->take_path = g_strdup(path);
  media->starts++;
  return TRUE;
}

static void
fake_stop_take(gpointer data)
{
  FakeMedia *media = data;
  media->stops++;
}

static gint64
fake_last_media_time(gpointer data)
{
  return ((FakeMedia *) data)->last_media;
}

static void
fake_close(gpointer data)
{
  FakeMedia *media = data;
  media_closed++;
  if (last_media == media)
    last_media = NULL;
  g_free(media->take_path);
  g_free(media);
}

static const ImsMediaOps fake_media_ops = {
  fake_open,      fake_offer,           fake_ice,   fake_start_take,
  fake_stop_take, fake_last_media_time, fake_close,
};

/* ---- fixture ---- */

ImsSessionRecord *
make_record(int max_retakes)
{
  ImsSessionRecord *record = ims_session_record_new();
  record->id = g_strdup("6f1c0b3e-7a0d-4a52-9d3c-0c1f7a2b9e11");
  record->interview_id = g_strdup("interview-1");
  record->user_id = g_strdup("user-1");
  record->profile = g_strdup("default");
  record->think_seconds = THINK_SECONDS;
  record->max_retakes = max_retakes;
  record->state = IMS_SESSION_CREATED;
  for (int i = 0; i < 3; i++) {
    g_autofree char *id = g_strdup_printf("q%d", i + 1);
    g_ptr_array_add(record->questions, ims_question_new(id, "Tell us something.", LIMIT_SECONDS));
  }
  return record;
}

static void
on_take_saved(gpointer data, const ImsProcessingJob *job)
{
  /* the take as written, with what its processing needs (make_record's) */
  g_autofree char *question_id = g_strdup_printf("q%d", job->take->question_index + 1);
  ImsTakeStatus status = job->take->status;
  assert_true(status == IMS_TAKE_COMPLETED || status == IMS_TAKE_INTERRUPTED ||
              status == IMS_TAKE_FAILED);
  assert_string_equal(job->question_id, question_id);
  assert_string_equal(job->interview_id, "interview-1");
  assert_string_equal(job->user_id, "user-1");
  assert_string_equal(job->profile, "default");
  ((Fixture *) data)->takes_saved++;
}

FakeStore *
written(Fixture *f)
{
  assert_true(ims_database_flush(f->database, 5000));
  return &f->store;
}

static guint critical_handler;

/* A critical from the session is a bug (an event its table refuses, a failed check): the test fails. */
static void
fail_on_critical(const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
  fail_msg("%s: %s", domain, message);
}

int
setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  critical_handler = g_log_set_handler("imsd.session", G_LOG_LEVEL_CRITICAL, fail_on_critical, NULL);
  timers = g_array_new(FALSE, TRUE, sizeof(FakeTimer));
  media_opened = media_closed = 0;
  f->store.base.ping = fake_ping;
  f->store.base.free = fake_store_free;
  f->store.base.sessions.save_progress = fake_save_progress;
  f->store.base.sessions.insert_take = fake_insert_take;
  f->store.base.sessions.update_take = fake_update_take;
  f->store.base.begin = fake_begin;
  f->store.base.commit = fake_commit;
  f->store.base.rollback = fake_rollback;
  f->store.base.append_events = fake_append_events;
  f->store.events = g_ptr_array_new_with_free_func(g_free);
  f->store.staged = g_ptr_array_new_with_free_func(g_free);
  f->store.saved = ims_session_record_new();
  f->store.takes = g_ptr_array_new_with_free_func((GDestroyNotify) ims_take_free);
  f->spool = g_dir_make_tmp("imsd-test-session-XXXXXX", NULL);
  f->database = ims_database_new(&f->store.base, NULL);
  f->context = (ImsSessionContext){
    f->database, &fake_media_ops, NULL, f->spool, NO_MEDIA_SECONDS, 1280, 720, 30
  };
  f->context.take_saved = on_take_saved;
  f->context.take_saved_data = f;
  f->session = ims_session_new(make_record(1), &f->context);
  f->peer.frames = g_ptr_array_new_with_free_func(g_free);
  f->other_peer.frames = g_ptr_array_new_with_free_func(g_free);
  *state = f;
  return 0;
}

void
run_idles(void)
{
  while (g_main_context_iteration(NULL, FALSE))
    ;
}

int
teardown(void **state)
{
  Fixture *f = *state;
  g_clear_pointer(&f->session, ims_session_unref);
  run_idles();
  g_atomic_int_set(&f->store.unreachable, FALSE);
  assert_true(ims_database_flush(f->database, 5000));
  g_clear_pointer(&f->database, ims_database_free);
  g_autofree char *command = g_strdup_printf("rm -rf '%s'", f->spool);
  assert_int_equal(system(command), 0);
  g_free(f->spool);
  ims_session_record_free(f->store.saved);
  g_ptr_array_unref(f->store.takes);
  g_ptr_array_unref(f->store.events);
  g_ptr_array_unref(f->store.staged);
  g_ptr_array_unref(f->peer.frames);
  g_ptr_array_unref(f->other_peer.frames);
  g_free(f->peer.close_reason);
  g_free(f->other_peer.close_reason);
  g_array_unref(timers);
  g_log_remove_handler("imsd.session", critical_handler);
  g_free(f);
  return 0;
}

JsonObject *
parse_frame(const char *json, JsonParser *parser)
{
  assert_true(json_parser_load_from_data(parser, json, -1, NULL));
  return json_node_get_object(json_parser_get_root(parser));
}

char *
last_state_member(FakePeer *peer, const char *member)
{
  for (guint i = peer->frames->len; i > 0; i--) {
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonObject *object = parse_frame(g_ptr_array_index(peer->frames, i - 1), parser);
    if (!g_str_equal(json_object_get_string_member(object, "type"), "state"))
      continue;
    JsonNode *node = json_object_get_member(object, member);
    assert_non_null(node);
    if (JSON_NODE_HOLDS_NULL(node))
      return g_strdup("null");
    if (json_node_get_value_type(node) == G_TYPE_STRING)
      return g_strdup(json_node_get_string(node));
    if (json_node_get_value_type(node) == G_TYPE_BOOLEAN)
      return g_strdup(json_node_get_boolean(node) ? "true" : "false");
    return g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(node));
  }
  fail_msg("no state frame was sent");
  return NULL;
}

gboolean
sent_error(FakePeer *peer, const char *code)
{
  for (guint i = 0; i < peer->frames->len; i++) {
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonObject *frame = parse_frame(g_ptr_array_index(peer->frames, i), parser);
    if (g_str_equal(json_object_get_string_member(frame, "type"), "error") &&
        g_str_equal(json_object_get_string_member(frame, "code"), code))
      return TRUE;
  }
  return FALSE;
}

gboolean
send_message(Fixture *f, ImsMessageType type, const char *sdp, GError **error)
{
  ImsMessage message = { .type = type, .sdp = (char *) sdp, .candidate = (char *) "" };
  return ims_session_handle_message(f->session, (ImsPeer *) &f->peer, &message, error);
}

void
expect_refused(Fixture *f, ImsMessageType type, ImsSignalError code)
{
  g_autoptr(GError) error = NULL;
  assert_false(send_message(f, type, NULL, &error));
  assert_non_null(error);
  assert_int_equal(error->code, code);
}

void
send_ok(Fixture *f, ImsMessageType type)
{
  g_autoptr(GError) error = NULL;
  if (!send_message(f, type, "v=0\r\n", &error))
    fail_msg("%s refused: %s", ims_message_type_to_string(type), error->message);
}

void
join_with_offer(Fixture *f, FakePeer *peer)
{
  g_autoptr(GError) error = NULL;
  assert_true(ims_session_attach(f->session, (ImsPeer *) peer, &error));
  ImsMessage offer = { .type = IMS_MESSAGE_OFFER, .sdp = (char *) "v=0\r\n" };
  assert_true(ims_session_handle_message(f->session, (ImsPeer *) peer, &offer, &error));
  assert_non_null(last_media);
}

void
join_with_media(Fixture *f, FakePeer *peer)
{
  join_with_offer(f, peer);
  last_media->last_media = g_get_monotonic_time();
  ims_session_media_flowing(f->session, last_media); /* the media reports it */
  assert_state(peer, "mediaReady", "true");
}

const ImsTake *
stored_take(Fixture *f, int question_index, int number)
{
  for (guint i = 0; i < written(f)->takes->len; i++) {
    const ImsTake *take = g_ptr_array_index(f->store.takes, i);
    if (take->question_index == question_index && take->number == number)
      return take;
  }
  return NULL;
}

void
finish_take(Fixture *f, FakeMedia *media, gint64 duration_ms)
{
  assert_non_null(media->take_path);
  g_autofree char *path = g_steal_pointer(&media->take_path);
  ims_session_media_take_finished(f->session, media, path, duration_ms, 12345, "H264", "OPUS", 1280,
                                  720, TRUE, COMPLETENESS);
}

void
wait_for_attempts(Fixture *f, int n)
{
  for (int i = 0; i < 500 && g_atomic_int_get(&f->store.attempts) < n; i++)
    g_usleep(10000);
  assert_true(g_atomic_int_get(&f->store.attempts) >= n);
}
