/* Unit tests for server/http/health.c: the /readyz object built from the
 * parts' status snapshots (ims_health_build_ready), and the relay's status
 * carrying the Kafka client's check (a fake at the events/kafka.h seam). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "health.h"
#include "kafka-fake.h"

#define T0 1764600000000000 /* 2025-12-01T14:40:00.000Z */
#define S (G_USEC_PER_SEC)

typedef struct {
  ImsDatabaseStatus database;
  ImsCheck spool;
  ImsProcessorStatus processing;
  ImsRelayStatus events;
  ImsReadiness readiness;
  JsonParser *parser;
} Fixture;

static int
setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  f->database.available = TRUE;
  ims_check_init(&f->database.check, TRUE);
  ims_check_succeeded(&f->database.check, T0);
  ims_check_init(&f->spool, TRUE);
  ims_check_succeeded(&f->spool, T0);
  ims_check_init(&f->processing.storage, TRUE);
  ims_check_succeeded(&f->processing.storage, T0);
  f->events.pending = 3;
  ims_check_init(&f->events.kafka, TRUE);
  ims_check_succeeded(&f->events.kafka, T0);
  f->readiness = (ImsReadiness){
    .database = &f->database,
    .spool = &f->spool,
    .processing = &f->processing,
    .storage_configured = TRUE,
    .events = &f->events,
  };
  f->parser = json_parser_new();
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *f = *state;
  ims_database_status_clear(&f->database);
  ims_check_clear(&f->spool);
  ims_processor_status_clear(&f->processing);
  ims_relay_status_clear(&f->events);
  g_object_unref(f->parser);
  g_free(f);
  return 0;
}

/* Builds /readyz; *ready set to what it returned. */
static JsonObject *
build(Fixture *f, gboolean *ready)
{
  g_autoptr(JsonBuilder) builder = json_builder_new();
  *ready = ims_health_build_ready(&f->readiness, builder);
  g_autoptr(JsonGenerator) generator = json_generator_new();
  g_autoptr(JsonNode) root = json_builder_get_root(builder);
  json_generator_set_root(generator, root);
  g_autofree char *text = json_generator_to_data(generator, NULL);
  assert_true(json_parser_load_from_data(f->parser, text, -1, NULL));
  return json_node_get_object(json_parser_get_root(f->parser));
}

static const char *
member(JsonObject *object, const char *path)
{
  g_auto(GStrv) parts = g_strsplit(path, ".", -1);
  for (guint i = 0; parts[i + 1]; i++)
    object = json_object_get_object_member(object, parts[i]);
  return json_object_get_string_member(object, parts[g_strv_length(parts) - 1]);
}

static void
test_all_ok(void **state)
{
  Fixture *f = *state;
  gboolean ready;
  JsonObject *o = build(f, &ready);
  assert_true(ready);
  assert_string_equal(member(o, "status"), "ready");
  assert_string_equal(member(o, "checks.database"), "ok");
  assert_string_equal(member(o, "checks.storage"), "ok");
  assert_string_equal(member(o, "events.kafka"), "ok");
  for (const char *const *name =
           (const char *const[]){ "database", "spool", "storage", "kafka", NULL };
       *name; name++) {
    JsonObject *check = json_object_get_object_member(json_object_get_object_member(o, "details"),
                                                      *name);
    assert_string_equal(json_object_get_string_member(check, "state"), "ok");
    assert_string_equal(json_object_get_string_member(check, "checkedAt"),
                        "2025-12-01T14:40:00.000Z");
    assert_true(json_object_get_null_member(check, "lastError"));
  }
  JsonObject *events = json_object_get_object_member(o, "events");
  assert_int_equal(json_object_get_int_member(events, "outboxPending"), 3);
}

/* Kafka down: still ready, its check unavailable with the error's time. */
static void
test_kafka_down_is_still_ready(void **state)
{
  Fixture *f = *state;
  ims_check_failed(&f->events.kafka, "3/3 brokers are down", T0 + 2 * S);
  gboolean ready;
  JsonObject *o = build(f, &ready);
  assert_true(ready);
  assert_string_equal(member(o, "events.kafka"), "unreachable");
  assert_string_equal(member(o, "details.kafka.state"), "unavailable");
  assert_string_equal(member(o, "details.kafka.lastError.message"), "3/3 brokers are down");
  assert_string_equal(member(o, "details.kafka.lastError.at"), "2025-12-01T14:40:02.000Z");
}

/* S3 or PostgreSQL down: not ready; with PostgreSQL down the outbox count
 * is unknown, not a stale number or -1. */
static void
test_storage_or_database_down_is_not_ready(void **state)
{
  Fixture *f = *state;
  ims_check_failed(&f->processing.storage, "list bucket imsd: connection refused", T0 + S);
  gboolean ready;
  JsonObject *o = build(f, &ready);
  assert_false(ready);
  assert_string_equal(member(o, "status"), "not_ready");
  assert_string_equal(member(o, "checks.storage"), "unreachable");
  assert_string_equal(member(o, "checks.database"), "ok");

  ims_check_succeeded(&f->processing.storage, T0 + 2 * S);
  f->database.available = FALSE;
  ims_check_failed(&f->database.check, "cannot reconnect to PostgreSQL", T0 + 3 * S);
  o = build(f, &ready);
  assert_false(ready);
  assert_string_equal(member(o, "checks.database"), "unreachable");
  assert_string_equal(member(o, "checks.storage"), "ok");
  assert_string_equal(member(o, "details.storage.lastError.clearedAt"), "2025-12-01T14:40:02.000Z");
  assert_string_equal(member(o, "events.outboxPending"), "unknown");
}

/* No Kafka, no S3, no count yet: not configured and unknown, never -1. */
static void
test_not_configured(void **state)
{
  Fixture *f = *state;
  f->readiness.events = NULL;
  f->readiness.storage_configured = FALSE;
  gboolean ready;
  JsonObject *o = build(f, &ready);
  assert_true(ready);
  assert_string_equal(member(o, "checks.storage"), "not_configured");
  assert_string_equal(member(o, "events.kafka"), "not_configured");
  assert_string_equal(member(o, "details.kafka.state"), "not_configured");
  assert_true(json_object_get_null_member(
      json_object_get_object_member(json_object_get_object_member(o, "details"), "kafka"),
      "checkedAt"));
  assert_string_equal(member(o, "events.outboxPending"), "unknown");

  f->readiness.events = &f->events;
  f->events.pending = -1; /* the relay has not counted yet */
  o = build(f, &ready);
  assert_string_equal(member(o, "events.outboxPending"), "unknown");
}

/* The relay hands out its producer's check (the seam's get_check). */
static void
test_relay_status_carries_the_kafka_check(void **state)
{
  /* nothing runs on the database: the loop is not iterated, so the relay's
   * read timer never fires */
  ImsStore *store = g_new0(ImsStore, 1);
  store->free = (void (*)(ImsStore *)) g_free;
  ImsDatabase *database = ims_database_new(store, NULL);
  const ImsRelayConfig config = {
    .database = database,
    .bootstrap_servers = "fake:9092",
    .kafka = &ims_kafka_fake_ops,
  };
  ImsRelay *relay = ims_relay_new(&config, NULL);
  assert_non_null(relay);
  ims_check_failed(&ims_kafka_fake()->check, "all brokers down", T0);
  ImsRelayStatus status;
  ims_relay_get_status(relay, &status);
  assert_int_equal(status.kafka.state, IMS_CHECK_UNAVAILABLE);
  assert_string_equal(status.kafka.last_error, "all brokers down");
  ims_relay_status_clear(&status);
  ims_relay_free(relay, 0);
  ims_database_free(database);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
  const struct CMUnitTest tests[] = {
    T(test_all_ok),
    T(test_kafka_down_is_still_ready),
    T(test_storage_or_database_down_is_not_ready),
    T(test_not_configured),
    cmocka_unit_test(test_relay_status_carries_the_kafka_check),
  };
  return cmocka_run_group_tests_name("health", tests, NULL, NULL);
}
