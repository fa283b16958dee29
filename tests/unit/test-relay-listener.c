/* Unit tests for ImsRelayListener (events/relay.h): the store's events
 * listener that pokes the relay when ims_store_change commits events.
 *
 * As imsd wires it (server/main.c): the listener is on a fake store behind
 * the real database thread, and a change with events is committed by a
 * database job, as a session's is.  The relay publishes on the fake
 * producer of unit/kafka-fake.c.  Without a poke the relay reads the outbox
 * only once a second (IDLE_READ_INTERVAL_MS); with one, within its 50 ms
 * poke timer: the tests tell the two apart by looking after 300 ms.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "kafka-fake.h"
#include "relay.h"

typedef struct {
  ImsStore base;
  GMutex lock;  /* protects what follows (database thread and tests) */
  GArray *sent; /* gboolean per outbox row, row n at index n - 1 */
  guint staged; /* rows appended in the open transaction */
  guint reads;  /* list_pending_events calls */
} FakeStore;

static GPtrArray *
fake_list_pending_events(ImsStore *base, gint64 after_id, int limit, GError **error)
{
  FakeStore *store = (FakeStore *) base;
  GPtrArray *events = g_ptr_array_new_with_free_func((GDestroyNotify) ims_outbox_event_free);
  g_mutex_lock(&store->lock);
  store->reads++;
  for (guint id = (guint) after_id + 1; id <= store->sent->len && (int) events->len < limit; id++) {
    if (g_array_index(store->sent, gboolean, id - 1))
      continue;
    g_autofree char *event_id = g_strdup_printf("event-%u", id);
    ImsOutboxEvent *event = ims_outbox_event_new(event_id, "candidate.started", "interview-events",
                                                 "session-1", "{}");
    event->id = id;
    g_ptr_array_add(events, event);
  }
  g_mutex_unlock(&store->lock);
  return events;
}

static gboolean
fake_mark_events_sent(ImsStore *base, const gint64 *ids, guint count, GError **error)
{
  FakeStore *store = (FakeStore *) base;
  g_mutex_lock(&store->lock);
  for (guint i = 0; i < count; i++)
    g_array_index(store->sent, gboolean, ids[i] - 1) = TRUE;
  g_mutex_unlock(&store->lock);
  return TRUE;
}

static gint64
fake_count_pending_events(ImsStore *base, GError **error)
{
  return 0;
}

static gboolean
fake_begin(ImsStore *base, GError **error)
{
  return TRUE;
}

static gboolean
fake_commit(ImsStore *base, GError **error)
{
  FakeStore *store = (FakeStore *) base;
  g_mutex_lock(&store->lock);
  for (; store->staged > 0; store->staged--) {
    gboolean sent = FALSE;
    g_array_append_val(store->sent, sent);
  }
  g_mutex_unlock(&store->lock);
  return TRUE;
}

static void
fake_rollback(ImsStore *base)
{
  ((FakeStore *) base)->staged = 0;
}

static gboolean
fake_append_events(ImsStore *base, const GPtrArray *events, GError **error)
{
  ((FakeStore *) base)->staged += events->len;
  return TRUE;
}

static void
fake_free(ImsStore *base)
{
  /* the fixture owns it */
}

typedef struct {
  FakeStore store;
  ImsRelayListener listener;
  ImsDatabase *database;
  ImsRelay *relay;
  ImsKafkaFake *kafka;
} Fixture;

static int
setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  f->store.base.outbox.list_pending_events = fake_list_pending_events;
  f->store.base.outbox.mark_events_sent = fake_mark_events_sent;
  f->store.base.outbox.count_pending_events = fake_count_pending_events;
  f->store.base.begin = fake_begin;
  f->store.base.commit = fake_commit;
  f->store.base.rollback = fake_rollback;
  f->store.base.append_events = fake_append_events;
  f->store.base.free = fake_free;
  g_mutex_init(&f->store.lock);
  f->store.sent = g_array_new(FALSE, FALSE, sizeof(gboolean));
  ims_relay_listener_init(&f->listener, NULL);
  f->store.base.events_listener = &f->listener.base;
  f->database = ims_database_new(&f->store.base, NULL);
  ImsRelayConfig config = { f->database, "broker:9092", "", &ims_kafka_fake_ops };
  f->relay = ims_relay_new(&config, NULL);
  assert_non_null(f->relay);
  f->kafka = ims_kafka_fake();
  ims_relay_listener_set_relay(&f->listener, f->relay);
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *f = *state;
  ims_relay_listener_set_relay(&f->listener, NULL);
  ims_relay_free(f->relay, 0);
  assert_true(ims_database_flush(f->database, 5000));
  ims_database_free(f->database);
  ims_relay_listener_clear(&f->listener);
  g_array_unref(f->store.sent);
  g_mutex_clear(&f->store.lock);
  g_free(f);
  return 0;
}

static guint
reads(Fixture *f)
{
  g_mutex_lock(&f->store.lock);
  guint count = f->store.reads;
  g_mutex_unlock(&f->store.lock);
  return count;
}

static gboolean
change_nothing(ImsStore *store, gpointer data, GError **error)
{
  return TRUE;
}

/* Database thread: one change with one event, as a session's write. */
static gboolean
run_change(ImsStore *store, gpointer data, GError **error)
{
  g_autoptr(GPtrArray)
      events = g_ptr_array_new_with_free_func((GDestroyNotify) ims_outbox_event_free);
  g_ptr_array_add(events, ims_outbox_event_new("event-x", "candidate.started", "interview-events",
                                               "session-1", "{}"));
  return ims_store_change(store, change_nothing, NULL, events, error);
}

/* The relay's first read of the (empty) outbox is done, and a commit right
 * after it is a full idle interval away from the next unpoked read. */
static void
commit_after_first_read(Fixture *f)
{
  IMS_KAFKA_FAKE_WAIT_FOR(reads(f) >= 1, 2000);
  assert_int_equal(reads(f), 1);
  ims_database_submit(f->database, IMS_DATABASE_WRITE, "a change", run_change, NULL, NULL, NULL);
  assert_true(ims_database_flush(f->database, 5000));
}

static void
test_a_commit_pokes_the_relay(void **state)
{
  Fixture *f = *state;
  commit_after_first_read(f);
  IMS_KAFKA_FAKE_WAIT_FOR(f->kafka->produced->len == 1, 300);
  assert_int_equal(f->kafka->produced->len, 1);
}

static void
test_a_detached_listener_pokes_nobody(void **state)
{
  Fixture *f = *state;
  ims_relay_listener_set_relay(&f->listener, NULL);
  commit_after_first_read(f);
  ims_kafka_fake_run_for(300);
  assert_int_equal(f->kafka->produced->len, 0);
  assert_int_equal(reads(f), 1);
  /* attached again, the next commit is published with the first */
  ims_relay_listener_set_relay(&f->listener, f->relay);
  ims_database_submit(f->database, IMS_DATABASE_WRITE, "a change", run_change, NULL, NULL, NULL);
  assert_true(ims_database_flush(f->database, 5000));
  IMS_KAFKA_FAKE_WAIT_FOR(f->kafka->produced->len == 2, 300);
  assert_int_equal(f->kafka->produced->len, 2);
}

/* Shutdown's order (main.c stop_parts): detach, free the relay, then the
 * flush still commits events; the listener is told and pokes nobody. */
static void
test_commits_after_the_relay_is_freed(void **state)
{
  Fixture *f = *state;
  IMS_KAFKA_FAKE_WAIT_FOR(reads(f) >= 1, 2000);
  ims_relay_listener_set_relay(&f->listener, NULL);
  ims_relay_free(f->relay, 0);
  f->relay = NULL;
  ims_database_submit(f->database, IMS_DATABASE_WRITE, "a change", run_change, NULL, NULL, NULL);
  assert_true(ims_database_flush(f->database, 5000));
  g_mutex_lock(&f->store.lock);
  assert_int_equal(f->store.sent->len, 1); /* committed, waiting for the next start */
  assert_false(g_array_index(f->store.sent, gboolean, 0));
  g_mutex_unlock(&f->store.lock);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_a_commit_pokes_the_relay, setup, teardown),
    cmocka_unit_test_setup_teardown(test_a_detached_listener_pokes_nobody, setup, teardown),
    cmocka_unit_test_setup_teardown(test_commits_after_the_relay_is_freed, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
