/* kafka-check.c: a Kafka client's reachability, probed; see kafka-check.h.
 *
 * Lock: check->lock protects running only (the probe's thread clears it,
 * free waits for that).  The record, the timer and freed are the main
 * context's.  refs (atomic) counts the owner and a probe whose answer has
 * not come back yet: the struct outlives free until that answer is dropped.
 */
#define G_LOG_DOMAIN "imsd.kafka"

#include "kafka-check.h"

#include <gio/gio.h>

struct _ImsKafkaCheck {
  ImsKafkaCheckConfig config;
  GMainContext *context;
  ImsCheck record;
  guint timer_id;
  gint64 last_probe; /* monotonic time the last probe started, 0 if none */
  gboolean freed;
  gint refs;
  GMutex lock;
  GCond returned;
  gboolean running; /* a probe is on its thread (lock) */
};

typedef struct {
  ImsKafkaCheck *check;
  gboolean reached;
  char *error;
} ProbeResult;

static void
check_unref(ImsKafkaCheck *check)
{
  if (!g_atomic_int_dec_and_test(&check->refs))
    return;
  ims_check_clear(&check->record);
  g_mutex_clear(&check->lock);
  g_cond_clear(&check->returned);
  g_main_context_unref(check->context);
  g_free(check);
}

/* The probe's answer, on the main context. */
static gboolean
on_probed(gpointer data)
{
  ProbeResult *result = data;
  ImsKafkaCheck *check = result->check;
  if (!check->freed) {
    gint64 now = g_get_real_time();
    if (result->reached && ims_check_succeeded(&check->record, now))
      g_message("Kafka reachable again");
    else if (!result->reached && ims_check_failed(&check->record, result->error, now))
      g_warning("Kafka unreachable: %s", result->error);
  }
  g_free(result->error);
  g_free(result);
  check_unref(check);
  return G_SOURCE_REMOVE;
}

static gpointer
run_probe(gpointer data)
{
  ImsKafkaCheck *check = data;
  ProbeResult *result = g_new0(ProbeResult, 1);
  result->check = check;
  result->reached = check->config.probe(check->config.data, check->config.timeout_ms,
                                        &result->error);
  if (!result->reached && !result->error)
    result->error = g_strdup("no answer");
  g_mutex_lock(&check->lock);
  check->running = FALSE;
  g_cond_broadcast(&check->returned);
  g_mutex_unlock(&check->lock);
  /* an idle, never g_main_context_invoke: that would run on_probed here
   * whenever no thread holds the context */
  GSource *answer = g_idle_source_new();
  g_source_set_priority(answer, G_PRIORITY_DEFAULT);
  g_source_set_callback(answer, on_probed, result, NULL);
  g_source_attach(answer, check->context);
  g_source_unref(answer);
  return NULL;
}

static void
start_probe(ImsKafkaCheck *check)
{
  g_mutex_lock(&check->lock);
  gboolean busy = check->running;
  check->running = TRUE;
  g_mutex_unlock(&check->lock);
  if (busy)
    return;
  check->last_probe = g_get_monotonic_time();
  g_atomic_int_inc(&check->refs);
  g_autoptr(GError) error = NULL;
  GThread *thread = g_thread_try_new("imsd-kafka-probe", run_probe, check, &error);
  if (thread) {
    g_thread_unref(thread);
    return;
  }
  g_mutex_lock(&check->lock);
  check->running = FALSE;
  g_mutex_unlock(&check->lock);
  g_atomic_int_dec_and_test(&check->refs);
  g_warning("cannot probe Kafka: %s", error->message);
}

static gboolean
on_tick(gpointer data)
{
  ImsKafkaCheck *check = data;
  gint64 since = g_get_monotonic_time() - check->last_probe;
  if (check->record.state != IMS_CHECK_OK ||
      since >= (gint64) check->config.ok_interval_ms * G_TIME_SPAN_MILLISECOND)
    start_probe(check);
  return G_SOURCE_CONTINUE;
}

ImsKafkaCheck *
ims_kafka_check_new(const ImsKafkaCheckConfig *config)
{
  ImsKafkaCheck *check = g_new0(ImsKafkaCheck, 1);
  check->config = *config;
  check->context = g_main_context_ref_thread_default();
  check->refs = 1;
  ims_check_init(&check->record, TRUE);
  g_mutex_init(&check->lock);
  g_cond_init(&check->returned);
  GSource *timer = g_timeout_source_new(config->failing_interval_ms);
  g_source_set_callback(timer, on_tick, check, NULL);
  g_source_set_static_name(timer, "imsd kafka probe");
  check->timer_id = g_source_attach(timer, check->context);
  g_source_unref(timer);
  start_probe(check);
  return check;
}

void
ims_kafka_check_client_error(ImsKafkaCheck *check, gboolean all_brokers_down, const char *reason)
{
  if (all_brokers_down)
    ims_check_failed(&check->record, reason, g_get_real_time());
  else
    check->last_probe = 0; /* the next tick probes */
}

void
ims_kafka_check_reached(ImsKafkaCheck *check)
{
  if (ims_check_succeeded(&check->record, g_get_real_time()))
    g_message("Kafka reachable again");
}

void
ims_kafka_check_get(ImsKafkaCheck *check, ImsCheck *out)
{
  ims_check_copy(out, &check->record);
}

void
ims_kafka_check_free(ImsKafkaCheck *check)
{
  if (!check)
    return;
  GSource *timer = g_main_context_find_source_by_id(check->context, check->timer_id);
  if (timer)
    g_source_destroy(timer);
  check->freed = TRUE;
  g_mutex_lock(&check->lock);
  while (check->running)
    g_cond_wait(&check->returned, &check->lock);
  g_mutex_unlock(&check->lock);
  check_unref(check);
}
