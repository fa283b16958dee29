/* test-metrics.c: unit tests for base/metrics.c (the numbers, the Prometheus
 * text format 0.0.4, label escaping, histogram buckets, updates from many
 * threads), base/metrics-catalog.c (imsd's names follow the conventions) and
 * GET /metrics through the router (server/http/metrics-api.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "api.h"
#include "metrics.h"

/* The text of one metric (transfer full). */
static char *
format_one(ImsMetric *metric)
{
  GString *out = g_string_new(NULL);
  ImsMetric *const list[] = { metric };
  ims_metrics_format(list, 1, out);
  return g_string_free(out, FALSE);
}

static void
test_counter_text(void **state)
{
  static ImsMetric counter = { .name = "test_events_total",
                               .type = IMS_METRIC_COUNTER,
                               .help = "Events seen." };
  ims_metric_reset(&counter);
  g_autofree char *zero = format_one(&counter);
  assert_string_equal(zero, "# HELP test_events_total Events seen.\n"
                            "# TYPE test_events_total counter\n"
                            "test_events_total 0\n");
  ims_metric_add(&counter, 0, 2);
  ims_metric_add(&counter, 0, 1.5);
  ims_metric_add(&counter, 0, -10); /* a counter never goes down */
  assert_true(ims_metric_get(&counter, 0) == 3.5);
  ims_metric_set(&counter, 0, 0); /* nor is it set */
  g_autofree char *text = format_one(&counter);
  assert_non_null(strstr(text, "\ntest_events_total 3.5\n"));
}

static void
test_gauge_with_label(void **state)
{
  static ImsMetric gauge = { .name = "test_things",
                             .type = IMS_METRIC_GAUGE,
                             .help = "Things.",
                             .label = "kind",
                             .values = { "video", "audio" } };
  ims_metric_reset(&gauge);
  ims_metric_add(&gauge, 1, 3);
  ims_metric_add(&gauge, 1, -1);
  ims_metric_set(&gauge, 0, -7);
  ims_metric_observe(&gauge, 0, 100); /* not a histogram: ignored */
  g_autofree char *text = format_one(&gauge);
  assert_string_equal(text, "# HELP test_things Things.\n"
                            "# TYPE test_things gauge\n"
                            "test_things{kind=\"video\"} -7\n"
                            "test_things{kind=\"audio\"} 2\n");
}

static void
test_escaping(void **state)
{
  static ImsMetric odd = { .name = "test_odd",
                           .type = IMS_METRIC_GAUGE,
                           .help = "A \\ backslash\nand a \"quote\".",
                           .label = "value",
                           .values = { "a\"b\\c\nd" } };
  ims_metric_reset(&odd);
  g_autofree char *text = format_one(&odd);
  /* HELP escapes backslash and newline (not the quote); label values all three */
  assert_string_equal(text, "# HELP test_odd A \\\\ backslash\\nand a \"quote\".\n"
                            "# TYPE test_odd gauge\n"
                            "test_odd{value=\"a\\\"b\\\\c\\nd\"} 0\n");
}

static void
test_histogram_buckets(void **state)
{
  static ImsMetric histogram = { .name = "test_wait_seconds",
                                 .type = IMS_METRIC_HISTOGRAM,
                                 .help = "Waits.",
                                 .bounds = { 0.1, 1 },
                                 .n_bounds = 2 };
  ims_metric_reset(&histogram);
  ims_metric_observe(&histogram, 0, 0.05);
  ims_metric_observe(&histogram, 0, 0.1); /* le is inclusive */
  ims_metric_observe(&histogram, 0, 0.5);
  ims_metric_observe(&histogram, 0, 5); /* above every bound: +Inf only */
  ims_metric_add(&histogram, 0, 9);     /* not a counter: ignored */
  assert_int_equal(ims_metric_get_count(&histogram, 0), 4);
  g_autofree char *text = format_one(&histogram);
  assert_string_equal(text, "# HELP test_wait_seconds Waits.\n"
                            "# TYPE test_wait_seconds histogram\n"
                            "test_wait_seconds_bucket{le=\"0.1\"} 2\n"
                            "test_wait_seconds_bucket{le=\"1\"} 3\n"
                            "test_wait_seconds_bucket{le=\"+Inf\"} 4\n"
                            "test_wait_seconds_sum 5.65\n"
                            "test_wait_seconds_count 4\n");
}

static void
test_histogram_with_label(void **state)
{
  static ImsMetric histogram = { .name = "test_lat_seconds",
                                 .type = IMS_METRIC_HISTOGRAM,
                                 .help = "Latency.",
                                 .label = "path",
                                 .values = { "a", "b" },
                                 .bounds = { 1 },
                                 .n_bounds = 1 };
  ims_metric_reset(&histogram);
  ims_metric_observe(&histogram, 1, 2);
  g_autofree char *text = format_one(&histogram);
  assert_non_null(strstr(text, "\ntest_lat_seconds_bucket{path=\"a\",le=\"+Inf\"} 0\n"));
  assert_non_null(strstr(text, "\ntest_lat_seconds_bucket{path=\"b\",le=\"1\"} 0\n"));
  assert_non_null(strstr(text, "\ntest_lat_seconds_bucket{path=\"b\",le=\"+Inf\"} 1\n"));
  assert_non_null(strstr(text, "\ntest_lat_seconds_sum{path=\"b\"} 2\n"));
  assert_non_null(strstr(text, "\ntest_lat_seconds_count{path=\"b\"} 1\n"));
}

/* ---- threads ---- */

#define THREADS 4
#define UPDATES 2000000

static gint started; /* the threads update together: each waits for all to start */

static ImsMetric shared_counter = { .name = "test_shared_total",
                                    .type = IMS_METRIC_COUNTER,
                                    .help = "Shared." };
static ImsMetric shared_histogram = { .name = "test_shared_seconds",
                                      .type = IMS_METRIC_HISTOGRAM,
                                      .help = "Shared.",
                                      .bounds = { 0.5 },
                                      .n_bounds = 1 };

static gpointer
update_from_thread(gpointer data)
{
  g_atomic_int_inc(&started);
  while (g_atomic_int_get(&started) < THREADS)
    g_thread_yield();
  for (int i = 0; i < UPDATES; i++) {
    ims_metric_add(&shared_counter, 0, 1);
    ims_metric_observe(&shared_histogram, 0, i % 2 ? 1.0 : 0.25);
  }
  return NULL;
}

static void
test_threads(void **state)
{
  ims_metric_reset(&shared_counter);
  ims_metric_reset(&shared_histogram);
  g_atomic_int_set(&started, 0);
  GThread *threads[THREADS];
  for (int t = 0; t < THREADS; t++)
    threads[t] = g_thread_new("metrics", update_from_thread, NULL);
  for (int t = 0; t < THREADS; t++)
    g_thread_join(threads[t]);
  /* no update lost: exact totals (the values are exact in a double) */
  assert_true(ims_metric_get(&shared_counter, 0) == THREADS * UPDATES);
  assert_int_equal(ims_metric_get_count(&shared_histogram, 0), THREADS * UPDATES);
  assert_true(ims_metric_get(&shared_histogram, 0) == THREADS * (UPDATES / 2) * 1.25);
  g_autofree char *text = format_one(&shared_histogram);
  g_autofree char *low = g_strdup_printf("test_shared_seconds_bucket{le=\"0.5\"} %d\n",
                                         THREADS * UPDATES / 2);
  assert_non_null(strstr(text, low));
}

/* ---- stamps: a latency from where it starts to where it ends ---- */

static void
test_stamps(void **state)
{
  static ImsMetricStamps stamps;
  static ImsMetric latency = { .name = "test_latency_seconds",
                               .type = IMS_METRIC_HISTOGRAM,
                               .help = "Latency.",
                               .bounds = { 1 },
                               .n_bounds = 1 };
  ims_metric_reset(&latency);
  assert_int_equal(ims_metric_stamps_oldest(&stamps), 0);
  ims_metric_stamps_put(&stamps, 7, 1000000);
  ims_metric_stamps_put(&stamps, 8, 3000000);
  ims_metric_stamps_put(&stamps, 9, 0); /* no start time: nothing kept */
  assert_int_equal(ims_metric_stamps_oldest(&stamps), 1000000);
  assert_false(ims_metric_stamps_observe(&stamps, 9, 5000000, &latency));
  assert_false(ims_metric_stamps_observe(&stamps, 6, 5000000, &latency));
  assert_true(ims_metric_stamps_observe(&stamps, 7, 1500000, &latency));
  assert_false(ims_metric_stamps_observe(&stamps, 7, 1500000, &latency)); /* once */
  assert_int_equal(ims_metric_stamps_oldest(&stamps), 3000000);
  /* a key IMS_METRIC_STAMPS further takes the slot: the older one observes nothing */
  ims_metric_stamps_put(&stamps, 8 + IMS_METRIC_STAMPS, 4000000);
  assert_false(ims_metric_stamps_observe(&stamps, 8, 5000000, &latency));
  assert_true(ims_metric_stamps_observe(&stamps, 8 + IMS_METRIC_STAMPS, 6500000, &latency));
  assert_int_equal(ims_metric_stamps_oldest(&stamps), 0);
  assert_int_equal(ims_metric_get_count(&latency, 0), 2);
  assert_true(ims_metric_get(&latency, 0) == 0.5 + 2.5);
  g_autofree char *text = format_one(&latency);
  assert_non_null(strstr(text, "test_latency_seconds_bucket{le=\"1\"} 1\n"));
}

/* ---- imsd's catalogue ---- */

static gboolean
valid_name(const char *name)
{
  if (!g_str_has_prefix(name, "imsd_"))
    return FALSE;
  for (const char *c = name; *c; c++)
    if (!g_ascii_isalnum(*c) && *c != '_')
      return FALSE;
  return TRUE;
}

static void
test_catalog_conventions(void **state)
{
  guint n;
  ImsMetric *const *metrics = ims_metrics_catalog(&n);
  assert_true(n >= 20);
  g_autoptr(GHashTable) names = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = 0; i < n; i++) {
    const ImsMetric *m = metrics[i];
    if (!valid_name(m->name))
      fail_msg("%s: not imsd_[a-z0-9_]*", m->name);
    assert_true(g_hash_table_add(names, (gpointer) m->name)); /* unique */
    assert_non_null(m->help);
    if ((m->type == IMS_METRIC_COUNTER) != g_str_has_suffix(m->name, "_total"))
      fail_msg("%s: counters, and only they, end in _total", m->name);
    if (m->type == IMS_METRIC_HISTOGRAM) {
      assert_true(m->n_bounds > 0 && m->n_bounds <= IMS_METRIC_MAX_BUCKETS);
      assert_true(g_str_has_suffix(m->name, "_seconds"));
      for (guint b = 1; b < m->n_bounds; b++)
        assert_true(m->bounds[b - 1] < m->bounds[b]);
    }
    if (m->label) {
      assert_non_null(m->values[0]);
      assert_null(m->values[IMS_METRIC_MAX_VALUES]);
    }
  }
}

/* ---- GET /metrics through the router ---- */

static void
test_route(void **state)
{
  g_autoptr(ImsConfig) config = ims_config_new();
  ImsApi api = { .config = config };
  ImsApiRequest request = { .method = "GET", .path = "/metrics" };
  ImsApiResponse response = { 0 };

  assert_false(ims_api_uses_database(&request));
  assert_int_equal(ims_api_route_access("GET", "/metrics"), IMS_API_ACCESS_OPEN);
  ims_metric_add(&ims_metric_takes_completed, 0, 1);
  double completed = ims_metric_get(&ims_metric_takes_completed, 0);
  ims_api_handle(&api, &request, &response);
  assert_int_equal(response.status, 200);
  assert_string_equal(response.content_type, "text/plain; version=0.0.4; charset=utf-8");
  g_autofree char *line = g_strdup_printf("\nimsd_takes_completed_total %g\n", completed);
  assert_non_null(strstr(response.body, line));
  assert_non_null(strstr(response.body, "# TYPE imsd_join_seconds histogram\n"));
  /* nothing configured: no dependency is up, the relay has not read the outbox */
  assert_non_null(strstr(response.body, "\nimsd_dependency_up{dependency=\"kafka\"} 0\n"));
  assert_non_null(strstr(response.body, "\nimsd_outbox_pending_events NaN\n"));
  ims_api_response_clear(&response);
  assert_null(response.content_type);

  /* another route after it answers JSON again */
  ImsApiRequest health = { .method = "GET", .path = "/healthz" };
  ims_api_handle(&api, &health, &response);
  assert_int_equal(response.status, 200);
  assert_null(response.content_type);
  ims_api_response_clear(&response);

  ImsApiRequest post = { .method = "POST", .path = "/metrics" };
  ims_api_handle(&api, &post, &response);
  assert_int_equal(response.status, 405);
  ims_api_response_clear(&response);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_counter_text),
    cmocka_unit_test(test_gauge_with_label),
    cmocka_unit_test(test_escaping),
    cmocka_unit_test(test_histogram_buckets),
    cmocka_unit_test(test_histogram_with_label),
    cmocka_unit_test(test_threads),
    cmocka_unit_test(test_stamps),
    cmocka_unit_test(test_catalog_conventions),
    cmocka_unit_test(test_route),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
