/* Unit tests for server/interview/session.c: the interview state machine.
 *
 * The store and the media are replaced at their seams (ImsStore, ImsMediaOps);
 * the store runs behind a real ImsDatabase (its thread), and the tests read
 * the fake store after ims_database_flush.  The peer functions and GLib's
 * timer calls are replaced with -Wl,--wrap so the tests fire timers by hand
 * and read every frame the session sends.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "session.h"

/* ---- wrapped peer ---- */

typedef struct {
  GPtrArray *frames;    /* of char*: everything sent, errors included */
  gboolean closed;
  char *close_reason;
} FakePeer;

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

typedef struct {
  guint id;
  guint interval;
  GSourceFunc func;
  gpointer data;
  gboolean active;
} FakeTimer;

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

static FakeTimer *
active_timer(guint interval)
{
  for (guint i = 0; i < timers->len; i++) {
    FakeTimer *timer = &g_array_index(timers, FakeTimer, i);
    if (timer->active && timer->interval == interval)
      return timer;
  }
  return NULL;
}

/* Runs the active timer of that interval as if it expired; FALSE if none. */
static gboolean
fire_timer(guint interval)
{
  FakeTimer *timer = active_timer(interval);
  if (!timer)
    return FALSE;
  guint id = timer->id;
  GSourceFunc func = timer->func;
  gpointer data = timer->data;
  gboolean again = func(data);
  if (!again) {
    for (guint i = 0; i < timers->len; i++)
      if (g_array_index(timers, FakeTimer, i).id == id)
        g_array_index(timers, FakeTimer, i).active = FALSE;
  }
  return TRUE;
}

/* ---- fake store ---- */

typedef struct {
  ImsStore base;
  ImsSessionRecord *saved;     /* last save_progress copy of the fields we check */
  int save_calls;
  GPtrArray *takes;            /* ImsTake* copies, by id */
  gboolean fail_next;          /* the next change is refused (a constraint, say) */
  gint unreachable;            /* atomic: changes and pings fail as if the server were down */
  gint attempts;               /* atomic: changes tried */
  gboolean in_transaction;
  GPtrArray *events;           /* committed event types (char*), in order */
  GPtrArray *staged;           /* event types appended in the open transaction */
} FakeStore;

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
  assert_true(store->in_transaction);  /* events only ever go with a state change */
  for (guint i = 0; i < events->len; i++) {
    const ImsOutboxEvent *event = g_ptr_array_index(events, i);
    assert_true(g_uuid_string_is_valid(event->event_id));
    assert_non_null(strstr(event->value, event->event_id));
    g_ptr_array_add(store->staged, g_strdup(event->event_type));
  }
  return TRUE;
}

/* How many committed events of that type. */
static int
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
    g_set_error_literal(error, IMS_STORE_ERROR, IMS_STORE_ERROR_CONNECT, "server closed the connection");
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

typedef struct {
  int number;
  char *take_path;        /* open take */
  int starts, stops;
  gint64 last_media;
  gboolean fail_start;
} FakeMedia;

static int media_opened, media_closed;
static FakeMedia *last_media;

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
fake_start_take(gpointer data, const char *path, GError **error)
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
  fake_open, fake_offer, fake_ice, fake_start_take, fake_stop_take, fake_last_media_time, fake_close,
};

/* ---- fixture ---- */

typedef struct {
  FakeStore store;
  ImsDatabase *database;
  ImsSessionContext context;
  int takes_saved;             /* take_saved calls */
  char *spool;
  ImsSession *session;
  FakePeer peer;
  FakePeer other_peer;
} Fixture;

#define THINK_SECONDS 10
#define LIMIT_SECONDS 30

static ImsSessionRecord *
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

/* The fake store once every queued change is written (or refused). */
static FakeStore *
written(Fixture *f)
{
  assert_true(ims_database_flush(f->database, 5000));
  return &f->store;
}

static int
setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
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
  f->context = (ImsSessionContext){ f->database, &fake_media_ops, NULL, f->spool, 10, 1280, 720, 30 };
  f->context.take_saved = on_take_saved;
  f->context.take_saved_data = f;
  f->session = ims_session_new(make_record(1), &f->context);
  f->peer.frames = g_ptr_array_new_with_free_func(g_free);
  f->other_peer.frames = g_ptr_array_new_with_free_func(g_free);
  *state = f;
  return 0;
}

static void
run_idles(void)
{
  while (g_main_context_iteration(NULL, FALSE))
    ;
}

static int
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
  g_free(f);
  return 0;
}

static JsonObject *
parse_frame(const char *json, JsonParser *parser)
{
  assert_true(json_parser_load_from_data(parser, json, -1, NULL));
  return json_node_get_object(json_parser_get_root(parser));
}

/* The last "state" frame's member as text (ints and strings), for assertions. */
static char *
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

#define assert_state(peer, member, expected)                                     \
  do {                                                                           \
    g_autofree char *actual_ = last_state_member((peer), (member));              \
    assert_string_equal(actual_, (expected));                                    \
  } while (0)

static gboolean
send_message(Fixture *f, ImsMessageType type, const char *sdp, GError **error)
{
  ImsMessage message = { .type = type, .sdp = (char *) sdp, .candidate = (char *) "" };
  return ims_session_handle_message(f->session, (ImsPeer *) &f->peer, &message, error);
}

static void
expect_refused(Fixture *f, ImsMessageType type, ImsSignalError code)
{
  g_autoptr(GError) error = NULL;
  assert_false(send_message(f, type, NULL, &error));
  assert_non_null(error);
  assert_int_equal(error->code, code);
}

static void
send_ok(Fixture *f, ImsMessageType type)
{
  g_autoptr(GError) error = NULL;
  if (!send_message(f, type, "v=0\r\n", &error))
    fail_msg("%s refused: %s", ims_message_type_to_string(type), error->message);
}

/* join + offer + media flowing */
static void
join_with_media(Fixture *f, FakePeer *peer)
{
  g_autoptr(GError) error = NULL;
  assert_true(ims_session_attach(f->session, (ImsPeer *) peer, &error));
  ImsMessage offer = { .type = IMS_MESSAGE_OFFER, .sdp = (char *) "v=0\r\n" };
  assert_true(ims_session_handle_message(f->session, (ImsPeer *) peer, &offer, &error));
  assert_non_null(last_media);
  last_media->last_media = g_get_monotonic_time();
  assert_true(fire_timer(250)); /* watchdog sees media */
  assert_state(peer, "mediaReady", "true");
}

static const ImsTake *
stored_take(Fixture *f, int question_index, int number)
{
  for (guint i = 0; i < written(f)->takes->len; i++) {
    const ImsTake *take = g_ptr_array_index(f->store.takes, i);
    if (take->question_index == question_index && take->number == number)
      return take;
  }
  return NULL;
}

/* What the fake media reports as each take's completeness record. */
#define COMPLETENESS "{\"video\":{\"frames\":{\"written\":150}},\"avOffsetMs\":null}"

/* Reports the open take of the current media as written to disk. */
static void
finish_take(Fixture *f, FakeMedia *media, gint64 duration_ms)
{
  assert_non_null(media->take_path);
  g_autofree char *path = g_steal_pointer(&media->take_path);
  ims_session_media_take_finished(f->session, media, path, duration_ms, 12345, "H264", "OPUS",
                                  1280, 720, TRUE, COMPLETENESS);
}

/* ---- tests ---- */

static void
test_first_join_activates_and_thinks(void **state)
{
  Fixture *f = *state;
  g_autoptr(GError) error = NULL;

  assert_true(ims_session_attach(f->session, (ImsPeer *) &f->peer, &error));
  assert_int_equal(written(f)->saved->state, IMS_SESSION_ACTIVE);
  assert_true(written(f)->saved->started_at > 0);
  assert_int_equal(count_events(written(f), "candidate.started"), 1);
  assert_int_equal(count_events(written(f), "interview.started"), 1);
  /* a second join (resume) is not a new start */
  assert_true(ims_session_attach(f->session, (ImsPeer *) &f->other_peer, &error));
  assert_int_equal(count_events(written(f), "candidate.started"), 1);
  ims_session_detach(f->session, (ImsPeer *) &f->other_peer);
  assert_true(ims_session_attach(f->session, (ImsPeer *) &f->peer, &error));
  assert_state(&f->peer, "phase", "thinking");
  assert_state(&f->peer, "questionIndex", "0");
  assert_state(&f->peer, "questionCount", "3");
  assert_state(&f->peer, "retakesLeft", "1");
  assert_state(&f->peer, "mediaReady", "false");
  assert_non_null(active_timer(THINK_SECONDS * 1000));
  g_autofree char *remaining = last_state_member(&f->peer, "remainingMs");
  assert_true(atoi(remaining) > (THINK_SECONDS - 1) * 1000 && atoi(remaining) <= THINK_SECONDS * 1000);
}

static void
test_take_start_needs_media(void **state)
{
  Fixture *f = *state;
  g_autoptr(GError) error = NULL;
  assert_true(ims_session_attach(f->session, (ImsPeer *) &f->peer, &error));
  expect_refused(f, IMS_MESSAGE_TAKE_START, IMS_SIGNAL_ERROR_MEDIA_NOT_READY);
  assert_int_equal(written(f)->takes->len, 0);
}

static void
test_take_is_recorded_and_stored(void **state)
{
  Fixture *f = *state;
  join_with_media(f, &f->peer);
  FakeMedia *media = last_media;

  send_ok(f, IMS_MESSAGE_TAKE_START);
  assert_state(&f->peer, "phase", "recording");
  assert_int_equal(media->starts, 1);
  assert_null(active_timer(THINK_SECONDS * 1000));
  assert_non_null(active_timer(LIMIT_SECONDS * 1000));
  /* the file lives in the spool, under the session id, named by the server */
  g_autofree char *dir = g_build_filename(f->spool, ims_session_get_id(f->session), NULL);
  assert_true(g_str_has_prefix(media->take_path, dir));
  assert_true(g_file_test(dir, G_FILE_TEST_IS_DIR));
  const ImsTake *take = stored_take(f, 0, 1);
  assert_non_null(take);
  assert_int_equal(take->status, IMS_TAKE_RECORDING);
  assert_null(take->completeness);   /* unknown until the media reports it */

  send_ok(f, IMS_MESSAGE_TAKE_STOP);
  assert_int_equal(media->stops, 1);
  assert_state(&f->peer, "phase", "saving");
  finish_take(f, media, 5000);
  assert_state(&f->peer, "phase", "review");
  take = stored_take(f, 0, 1);
  assert_int_equal(take->status, IMS_TAKE_COMPLETED);
  assert_int_equal(take->duration_ms, 5000);
  assert_string_equal(take->stop_reason, "candidate");
  assert_string_equal(take->video_codec, "H264");
  assert_int_equal(take->height, 720);
  assert_string_equal(take->completeness, COMPLETENESS);   /* stored with the take */
}

static void
test_think_time_starts_the_take(void **state)
{
  Fixture *f = *state;
  join_with_media(f, &f->peer);
  assert_true(fire_timer(THINK_SECONDS * 1000));
  assert_state(&f->peer, "phase", "recording");
  assert_int_equal(last_media->starts, 1);
}

static void
test_think_time_waits_for_media(void **state)
{
  Fixture *f = *state;
  g_autoptr(GError) error = NULL;
  assert_true(ims_session_attach(f->session, (ImsPeer *) &f->peer, &error));
  send_ok(f, IMS_MESSAGE_OFFER);
  assert_true(fire_timer(THINK_SECONDS * 1000));
  assert_int_equal(last_media->starts, 0);
  last_media->last_media = g_get_monotonic_time();
  assert_true(fire_timer(250));
  assert_int_equal(last_media->starts, 1);
  assert_state(&f->peer, "phase", "recording");
}

static void
test_time_limit_stops_the_take(void **state)
{
  Fixture *f = *state;
  join_with_media(f, &f->peer);
  send_ok(f, IMS_MESSAGE_TAKE_START);
  assert_true(fire_timer(LIMIT_SECONDS * 1000));
  assert_int_equal(last_media->stops, 1);
  finish_take(f, last_media, LIMIT_SECONDS * 1000);
  assert_string_equal(stored_take(f, 0, 1)->stop_reason, "time_limit");
  assert_int_equal(stored_take(f, 0, 1)->status, IMS_TAKE_COMPLETED);
  assert_state(&f->peer, "phase", "review");
}

static void
test_retakes_are_limited(void **state)
{
  Fixture *f = *state;
  join_with_media(f, &f->peer);

  send_ok(f, IMS_MESSAGE_TAKE_START);
  send_ok(f, IMS_MESSAGE_TAKE_STOP);
  finish_take(f, last_media, 3000);
  assert_state(&f->peer, "retakesLeft", "1");

  send_ok(f, IMS_MESSAGE_RETAKE);
  assert_state(&f->peer, "phase", "thinking");
  assert_non_null(active_timer(THINK_SECONDS * 1000));
  send_ok(f, IMS_MESSAGE_TAKE_START);
  send_ok(f, IMS_MESSAGE_TAKE_STOP);
  finish_take(f, last_media, 4000);
  assert_non_null(stored_take(f, 0, 2));
  assert_state(&f->peer, "retakesLeft", "0");

  expect_refused(f, IMS_MESSAGE_RETAKE, IMS_SIGNAL_ERROR_NO_RETAKES_LEFT);
  expect_refused(f, IMS_MESSAGE_TAKE_START, IMS_SIGNAL_ERROR_NO_RETAKES_LEFT);
  assert_null(stored_take(f, 0, 3));
}

static void
test_wrong_phase_is_refused(void **state)
{
  Fixture *f = *state;
  join_with_media(f, &f->peer);
  expect_refused(f, IMS_MESSAGE_TAKE_STOP, IMS_SIGNAL_ERROR_BAD_STATE);
  expect_refused(f, IMS_MESSAGE_NEXT, IMS_SIGNAL_ERROR_BAD_STATE);
  expect_refused(f, IMS_MESSAGE_RETAKE, IMS_SIGNAL_ERROR_BAD_STATE);
  send_ok(f, IMS_MESSAGE_TAKE_START);
  expect_refused(f, IMS_MESSAGE_TAKE_START, IMS_SIGNAL_ERROR_BAD_STATE);
  expect_refused(f, IMS_MESSAGE_OFFER, IMS_SIGNAL_ERROR_BAD_STATE);
  assert_int_equal(last_media->starts, 1);
}

static void
test_next_through_all_questions_completes(void **state)
{
  Fixture *f = *state;
  join_with_media(f, &f->peer);
  for (int q = 0; q < 3; q++) {
    g_autofree char *index = g_strdup_printf("%d", q);
    assert_state(&f->peer, "questionIndex", index);
    send_ok(f, IMS_MESSAGE_TAKE_START);
    send_ok(f, IMS_MESSAGE_TAKE_STOP);
    finish_take(f, last_media, 2000);
    send_ok(f, IMS_MESSAGE_NEXT);
  }
  assert_state(&f->peer, "phase", "completed");
  assert_state(&f->peer, "status", "completed");
  assert_int_equal(written(f)->saved->state, IMS_SESSION_COMPLETED);
  assert_int_equal(count_events(written(f), "candidate.response_submitted"), 3);
  assert_int_equal(count_events(written(f), "candidate.completed"), 1);
  assert_int_equal(count_events(written(f), "interview.completed"), 1);
  /* completed comes after every response */
  assert_string_equal(g_ptr_array_index(written(f)->events, f->store.events->len - 2),
                      "candidate.completed");
  assert_true(written(f)->saved->completed_at > 0);
  expect_refused(f, IMS_MESSAGE_TAKE_START, IMS_SIGNAL_ERROR_SESSION_COMPLETED);
}

static void
test_disconnect_interrupts_and_resumes(void **state)
{
  Fixture *f = *state;
  join_with_media(f, &f->peer);
  send_ok(f, IMS_MESSAGE_TAKE_START);
  send_ok(f, IMS_MESSAGE_TAKE_STOP);
  finish_take(f, last_media, 2000);
  send_ok(f, IMS_MESSAGE_NEXT); /* on question 2 now */
  send_ok(f, IMS_MESSAGE_TAKE_START);
  FakeMedia *media = last_media;

  ims_session_detach(f->session, (ImsPeer *) &f->peer);
  assert_int_equal(media->stops, 2); /* 1st take by the candidate, this one by the disconnect */
  assert_true(ims_session_is_busy(f->session)); /* until the file is complete */
  assert_null(active_timer(LIMIT_SECONDS * 1000));
  finish_take(f, media, 1500);
  written(f);    /* busy until the database has its changes, too */
  run_idles();
  assert_int_equal(media_closed, 1);
  assert_false(ims_session_is_busy(f->session));
  const ImsTake *take = stored_take(f, 1, 1);
  assert_int_equal(take->status, IMS_TAKE_INTERRUPTED);
  assert_string_equal(take->stop_reason, "disconnected");
  /* only the completed answer of question 1 was submitted */
  assert_int_equal(count_events(written(f), "candidate.response_submitted"), 1);

  /* a new connection resumes on question 2, the interrupted take costs no retake */
  join_with_media(f, &f->other_peer);
  assert_state(&f->other_peer, "questionIndex", "1");
  assert_state(&f->other_peer, "phase", "thinking");
  assert_state(&f->other_peer, "retakesLeft", "1");
  g_autoptr(GError) error = NULL;
  ImsMessage start = { .type = IMS_MESSAGE_TAKE_START };
  assert_true(ims_session_handle_message(f->session, (ImsPeer *) &f->other_peer, &start, &error));
  assert_non_null(stored_take(f, 1, 2));
  /* the finished first answer is kept */
  assert_int_equal(stored_take(f, 0, 1)->status, IMS_TAKE_COMPLETED);
}

static void
test_resume_from_stored_record(void **state)
{
  Fixture *f = *state;
  g_autoptr(GError) error = NULL;
  ImsSessionRecord *record = make_record(1);
  record->state = IMS_SESSION_ACTIVE;
  record->current_question = 2;
  ImsTake *take = ims_take_new();
  take->id = g_strdup("t1");
  take->question_index = 2;
  take->number = 1;
  take->status = IMS_TAKE_COMPLETED;
  g_ptr_array_add(record->takes, take);
  g_clear_pointer(&f->session, ims_session_unref);
  f->session = ims_session_new(record, &f->context);

  assert_true(ims_session_attach(f->session, (ImsPeer *) &f->peer, &error));
  assert_state(&f->peer, "questionIndex", "2");
  assert_state(&f->peer, "phase", "review");
  assert_int_equal(written(f)->save_calls, 0); /* already active: nothing to store */
}

static void
test_second_connection_replaces_first(void **state)
{
  Fixture *f = *state;
  g_autoptr(GError) error = NULL;
  join_with_media(f, &f->peer);
  send_ok(f, IMS_MESSAGE_TAKE_START);
  FakeMedia *media = last_media;

  assert_true(ims_session_attach(f->session, (ImsPeer *) &f->other_peer, &error));
  assert_true(f->peer.closed);
  /* the old connection was told why, before the close */
  g_autofree char *code = NULL;
  for (guint i = 0; i < f->peer.frames->len && !code; i++)
    if (strstr(g_ptr_array_index(f->peer.frames, i), "\"replaced\""))
      code = g_strdup("replaced");
  assert_non_null(code);
  assert_int_equal(media->stops, 1);
  assert_state(&f->other_peer, "phase", "thinking");
  finish_take(f, media, 1000);
  assert_int_equal(stored_take(f, 0, 1)->status, IMS_TAKE_INTERRUPTED);
}

static void
test_end_during_take_completes_after_save(void **state)
{
  Fixture *f = *state;
  join_with_media(f, &f->peer);
  send_ok(f, IMS_MESSAGE_TAKE_START);
  send_ok(f, IMS_MESSAGE_END);
  assert_int_equal(written(f)->saved->state, IMS_SESSION_ACTIVE);
  finish_take(f, last_media, 800);
  assert_int_equal(written(f)->saved->state, IMS_SESSION_COMPLETED);
  assert_int_equal(stored_take(f, 0, 1)->status, IMS_TAKE_COMPLETED);
  assert_state(&f->peer, "phase", "completed");
}

static void
test_completed_session_refuses_join(void **state)
{
  Fixture *f = *state;
  g_autoptr(GError) error = NULL;
  ImsSessionRecord *record = make_record(0);
  record->state = IMS_SESSION_COMPLETED;
  g_clear_pointer(&f->session, ims_session_unref);
  f->session = ims_session_new(record, &f->context);
  assert_false(ims_session_attach(f->session, (ImsPeer *) &f->peer, &error));
  assert_int_equal(error->code, IMS_SIGNAL_ERROR_SESSION_COMPLETED);
}

static void
test_refused_change_is_reported(void **state)
{
  Fixture *f = *state;
  g_autoptr(GError) error = NULL;
  f->store.fail_next = TRUE;
  assert_true(ims_session_attach(f->session, (ImsPeer *) &f->peer, &error));
  written(f);
  run_idles();
  g_autoptr(JsonParser) parser = json_parser_new();
  gboolean reported = FALSE;
  for (guint i = 0; i < f->peer.frames->len; i++) {
    JsonObject *frame = parse_frame(g_ptr_array_index(f->peer.frames, i), parser);
    reported |= g_str_equal(json_object_get_string_member(frame, "type"), "error") &&
                g_str_equal(json_object_get_string_member(frame, "code"), "internal");
  }
  assert_true(reported);
  assert_int_equal(count_events(written(f), "candidate.started"), 0);
}

/* Waits (a bounded while) until the database thread tried n changes. */
static void
wait_for_attempts(Fixture *f, int n)
{
  for (int i = 0; i < 500 && g_atomic_int_get(&f->store.attempts) < n; i++)
    g_usleep(10000);
  assert_true(g_atomic_int_get(&f->store.attempts) >= n);
}

static void
test_unreachable_database_keeps_changes_until_written(void **state)
{
  Fixture *f = *state;
  join_with_media(f, &f->peer);
  written(f);
  assert_state(&f->peer, "saved", "true");

  g_atomic_int_set(&f->store.unreachable, TRUE);
  int before = g_atomic_int_get(&f->store.attempts);
  send_ok(f, IMS_MESSAGE_TAKE_START);
  FakeMedia *media = last_media;
  send_ok(f, IMS_MESSAGE_TAKE_STOP);
  finish_take(f, media, 4000);
  wait_for_attempts(f, before + 1);
  run_idles();
  /* the candidate is told it is not saved yet, and processing waits */
  assert_state(&f->peer, "phase", "review");
  assert_state(&f->peer, "saved", "false");
  assert_int_equal(f->takes_saved, 0);
  assert_true(ims_session_is_busy(f->session));
  assert_false(ims_session_is_saved(f->session));

  g_atomic_int_set(&f->store.unreachable, FALSE);
  const ImsTake *take = stored_take(f, 0, 1);   /* flushes: both changes, in order */
  assert_non_null(take);
  assert_int_equal(take->status, IMS_TAKE_COMPLETED);
  assert_int_equal(take->duration_ms, 4000);
  assert_int_equal(count_events(written(f), "candidate.response_submitted"), 1);
  assert_int_equal(f->takes_saved, 1);
  assert_state(&f->peer, "saved", "true");
  assert_true(ims_session_is_saved(f->session));
}

static void
test_end_while_unreachable_completes_once_written(void **state)
{
  Fixture *f = *state;
  join_with_media(f, &f->peer);
  written(f);
  g_atomic_int_set(&f->store.unreachable, TRUE);
  int before = g_atomic_int_get(&f->store.attempts);
  send_ok(f, IMS_MESSAGE_END);
  wait_for_attempts(f, before + 1);
  run_idles();
  assert_state(&f->peer, "phase", "completed");
  assert_state(&f->peer, "saved", "false");
  assert_int_equal(count_events(&f->store, "candidate.completed"), 0);

  g_atomic_int_set(&f->store.unreachable, FALSE);
  assert_int_equal(written(f)->saved->state, IMS_SESSION_COMPLETED);
  assert_int_equal(count_events(written(f), "candidate.completed"), 1);
  assert_int_equal(count_events(written(f), "interview.completed"), 1);
  assert_state(&f->peer, "saved", "true");
}

static void
test_media_failure_interrupts_take(void **state)
{
  Fixture *f = *state;
  join_with_media(f, &f->peer);
  send_ok(f, IMS_MESSAGE_TAKE_START);
  ims_session_media_failed(f->session, last_media, "ICE failed");
  run_idles();
  assert_int_equal(media_closed, 1);
  assert_int_equal(stored_take(f, 0, 1)->status, IMS_TAKE_INTERRUPTED);
  assert_true(f->peer.closed);
}

/* The candidate asked to end during a take and the media failed before the take was finalized: the
 * take is saved as interrupted through the same path as a stopped take, and the interview completes
 * (its events written) as it does when the take finishes. */
static void
test_media_failure_after_end_completes(void **state)
{
  Fixture *f = *state;
  join_with_media(f, &f->peer);
  send_ok(f, IMS_MESSAGE_TAKE_START);
  send_ok(f, IMS_MESSAGE_END);
  ims_session_media_failed(f->session, last_media, "ICE failed");
  run_idles();
  const ImsTake *take = stored_take(f, 0, 1);
  assert_int_equal(take->status, IMS_TAKE_INTERRUPTED);
  assert_string_equal(take->stop_reason, "media_failed");
  assert_int_equal(f->takes_saved, 1);
  assert_int_equal(written(f)->saved->state, IMS_SESSION_COMPLETED);
  assert_int_equal(count_events(written(f), "candidate.completed"), 1);
  assert_int_equal(count_events(written(f), "interview.completed"), 1);
  assert_true(f->peer.closed);
}

/* A take cut by a media failure whose final write is refused is reported to the candidate, as a
 * stopped take's is, and processing does not start. */
static void
test_media_failure_refused_write_is_reported(void **state)
{
  Fixture *f = *state;
  join_with_media(f, &f->peer);
  send_ok(f, IMS_MESSAGE_TAKE_START);
  written(f);
  f->store.fail_next = TRUE;
  ims_session_media_failed(f->session, last_media, "ICE failed");
  written(f);
  run_idles();
  g_autoptr(JsonParser) parser = json_parser_new();
  gboolean reported = FALSE;
  for (guint i = 0; i < f->peer.frames->len; i++) {
    JsonObject *frame = parse_frame(g_ptr_array_index(f->peer.frames, i), parser);
    reported |= g_str_equal(json_object_get_string_member(frame, "type"), "error") &&
                g_str_equal(json_object_get_string_member(frame, "code"), "internal");
  }
  assert_true(reported);
  assert_int_equal(f->takes_saved, 0);
}

static void
test_no_media_closes_peer(void **state)
{
  Fixture *f = *state;
  join_with_media(f, &f->peer);
  send_ok(f, IMS_MESSAGE_TAKE_START);
  FakeMedia *media = last_media;
  media->last_media = g_get_monotonic_time() - 11 * G_USEC_PER_SEC;
  assert_true(fire_timer(250));
  assert_true(f->peer.closed);
  assert_int_equal(media->stops, 1);
  finish_take(f, media, 4000);
  assert_int_equal(stored_take(f, 0, 1)->status, IMS_TAKE_INTERRUPTED);
  assert_string_equal(stored_take(f, 0, 1)->stop_reason, "no_media");
}

static void
test_bad_offer_is_refused(void **state)
{
  Fixture *f = *state;
  g_autoptr(GError) error = NULL;
  assert_true(ims_session_attach(f->session, (ImsPeer *) &f->peer, &error));
  assert_false(send_message(f, IMS_MESSAGE_OFFER, "garbage", &error));
  assert_int_equal(error->code, IMS_SIGNAL_ERROR_BAD_SDP);
  assert_int_equal(media_closed, 1);
  g_clear_error(&error);
  ImsMessage ice = { .type = IMS_MESSAGE_ICE, .candidate = (char *) "candidate:1" };
  assert_false(ims_session_handle_message(f->session, (ImsPeer *) &f->peer, &ice, &error));
  assert_int_equal(error->code, IMS_SIGNAL_ERROR_BAD_STATE);
}

static int shutdown_calls;
static void
on_shutdown(gpointer data)
{
  shutdown_calls++;
}

static void
test_shutdown_waits_for_open_take(void **state)
{
  Fixture *f = *state;
  shutdown_calls = 0;
  join_with_media(f, &f->peer);
  send_ok(f, IMS_MESSAGE_TAKE_START);
  FakeMedia *media = last_media;
  ims_session_shutdown(f->session, on_shutdown, NULL);
  assert_int_equal(shutdown_calls, 0);
  assert_int_equal(media->stops, 1);
  finish_take(f, media, 900);
  assert_int_equal(shutdown_calls, 1);
  assert_string_equal(stored_take(f, 0, 1)->stop_reason, "shutdown");
  assert_int_equal(stored_take(f, 0, 1)->status, IMS_TAKE_INTERRUPTED);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
  const struct CMUnitTest tests[] = {
    T(test_first_join_activates_and_thinks),
    T(test_take_start_needs_media),
    T(test_take_is_recorded_and_stored),
    T(test_think_time_starts_the_take),
    T(test_think_time_waits_for_media),
    T(test_time_limit_stops_the_take),
    T(test_retakes_are_limited),
    T(test_wrong_phase_is_refused),
    T(test_next_through_all_questions_completes),
    T(test_disconnect_interrupts_and_resumes),
    T(test_resume_from_stored_record),
    T(test_second_connection_replaces_first),
    T(test_end_during_take_completes_after_save),
    T(test_completed_session_refuses_join),
    T(test_refused_change_is_reported),
    T(test_unreachable_database_keeps_changes_until_written),
    T(test_end_while_unreachable_completes_once_written),
    T(test_media_failure_after_end_completes),
    T(test_media_failure_refused_write_is_reported),
    T(test_media_failure_interrupts_take),
    T(test_no_media_closes_peer),
    T(test_bad_offer_is_refused),
    T(test_shutdown_waits_for_open_take),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
