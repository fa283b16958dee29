/* metrics.c: the numbers of metrics.h and their Prometheus text. */
#include "metrics.h"

#include <math.h>
#include <string.h>

/* A series' double, stored as its bits so it can be updated atomically. */
static double
load_double(const guint64 *bits)
{
  guint64 raw = __atomic_load_n(bits, __ATOMIC_RELAXED);
  double value;
  memcpy(&value, &raw, sizeof value);
  return value;
}

static void
store_double(guint64 *bits, double value)
{
  guint64 raw;
  memcpy(&raw, &value, sizeof raw);
  __atomic_store_n(bits, raw, __ATOMIC_RELAXED);
}

/* Adds amount with a compare-and-swap loop: lock-free, retried only when
 * another thread updated the same series meanwhile. */
static void
add_double(guint64 *bits, double amount)
{
  guint64 old_raw = __atomic_load_n(bits, __ATOMIC_RELAXED);
  guint64 new_raw;
  do {
    double value;
    memcpy(&value, &old_raw, sizeof value);
    value += amount;
    memcpy(&new_raw, &value, sizeof new_raw);
  } while (!__atomic_compare_exchange_n(bits, &old_raw, new_raw, TRUE, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED));
}

static guint
n_values(const ImsMetric *metric)
{
  if (!metric->label)
    return 1;
  guint n = 0;
  while (n < IMS_METRIC_MAX_VALUES && metric->values[n])
    n++;
  return n;
}

/* The series of value_index, or NULL (and a critical) past the label's values. */
static ImsMetricSeries *
series_of(ImsMetric *metric, guint value_index)
{
  g_return_val_if_fail(value_index < n_values(metric), NULL);
  return &metric->series[value_index];
}

void
ims_metric_add(ImsMetric *metric, guint value_index, double amount)
{
  ImsMetricSeries *series = series_of(metric, value_index);
  if (!series || metric->type == IMS_METRIC_HISTOGRAM ||
      (metric->type == IMS_METRIC_COUNTER && !(amount >= 0)))
    return;
  add_double(&series->value_bits, amount);
}

void
ims_metric_set(ImsMetric *metric, guint value_index, double value)
{
  ImsMetricSeries *series = series_of(metric, value_index);
  if (series && metric->type == IMS_METRIC_GAUGE)
    store_double(&series->value_bits, value);
}

void
ims_metric_observe(ImsMetric *metric, guint value_index, double value)
{
  ImsMetricSeries *series = series_of(metric, value_index);
  if (!series || metric->type != IMS_METRIC_HISTOGRAM || isnan(value))
    return;
  guint bucket = 0;
  while (bucket < metric->n_bounds && value > metric->bounds[bucket])
    bucket++;
  __atomic_add_fetch(&series->buckets[bucket], 1, __ATOMIC_RELAXED);
  add_double(&series->value_bits, value);
}

double
ims_metric_get(const ImsMetric *metric, guint value_index)
{
  g_return_val_if_fail(value_index < n_values(metric), 0);
  return load_double(&metric->series[value_index].value_bits);
}

guint64
ims_metric_get_count(const ImsMetric *metric, guint value_index)
{
  g_return_val_if_fail(value_index < n_values(metric), 0);
  guint64 count = 0;
  for (guint b = 0; b <= metric->n_bounds; b++)
    count += __atomic_load_n(&metric->series[value_index].buckets[b], __ATOMIC_RELAXED);
  return count;
}

void
ims_metric_reset(ImsMetric *metric)
{
  for (guint i = 0; i < IMS_METRIC_MAX_VALUES; i++) {
    store_double(&metric->series[i].value_bits, 0);
    for (guint b = 0; b <= IMS_METRIC_MAX_BUCKETS; b++)
      __atomic_store_n(&metric->series[i].buckets[b], 0, __ATOMIC_RELAXED);
  }
}

void
ims_metric_stamps_put(ImsMetricStamps *stamps, guint64 key, gint64 start_us)
{
  if (start_us == 0)
    return;
  guint slot = key % IMS_METRIC_STAMPS;
  g_mutex_lock(&stamps->lock);
  stamps->keys[slot] = key;
  stamps->times[slot] = start_us;
  g_mutex_unlock(&stamps->lock);
}

gboolean
ims_metric_stamps_observe(ImsMetricStamps *stamps, guint64 key, gint64 now_us, ImsMetric *histogram)
{
  guint slot = key % IMS_METRIC_STAMPS;
  g_mutex_lock(&stamps->lock);
  gint64 start = stamps->keys[slot] == key ? stamps->times[slot] : 0;
  if (start)
    stamps->times[slot] = 0;
  g_mutex_unlock(&stamps->lock);
  if (!start)
    return FALSE;
  ims_metric_observe(histogram, 0, (now_us - start) / 1e6);
  return TRUE;
}

gint64
ims_metric_stamps_oldest(ImsMetricStamps *stamps)
{
  gint64 oldest = 0;
  g_mutex_lock(&stamps->lock);
  for (guint slot = 0; slot < IMS_METRIC_STAMPS; slot++)
    if (stamps->times[slot] && (!oldest || stamps->times[slot] < oldest))
      oldest = stamps->times[slot];
  g_mutex_unlock(&stamps->lock);
  return oldest;
}

/* ---- text format 0.0.4 ---- */

/* The shortest of %.15g and %.17g that reads back as value (0.1, not
 * 0.10000000000000001), in the C locale, into buffer. */
static const char *
format_double(char buffer[G_ASCII_DTOSTR_BUF_SIZE], double value)
{
  if (isinf(value))
    return value > 0 ? "+Inf" : "-Inf";
  if (isnan(value))
    return "NaN";
  g_ascii_formatd(buffer, G_ASCII_DTOSTR_BUF_SIZE, "%.15g", value);
  if (g_ascii_strtod(buffer, NULL) != value)
    g_ascii_formatd(buffer, G_ASCII_DTOSTR_BUF_SIZE, "%.17g", value);
  return buffer;
}

static void
append_number(GString *out, double value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];
  g_string_append(out, format_double(buffer, value));
}

/* HELP text escapes backslash and newline; label values also the double quote. */
static void
append_escaped(GString *out, const char *text, gboolean quote)
{
  for (const char *c = text; *c; c++) {
    if (*c == '\\')
      g_string_append(out, "\\\\");
    else if (*c == '\n')
      g_string_append(out, "\\n");
    else if (*c == '"' && quote)
      g_string_append(out, "\\\"");
    else
      g_string_append_c(out, *c);
  }
}

/* name{label="value",le="bound"} with the labels that apply, then a space. */
static void
append_series_name(GString *out, const ImsMetric *metric, const char *suffix, guint value_index,
                   const char *le)
{
  g_string_append(out, metric->name);
  g_string_append(out, suffix);
  if (metric->label || le) {
    g_string_append_c(out, '{');
    if (metric->label) {
      g_string_append_printf(out, "%s=\"", metric->label);
      append_escaped(out, metric->values[value_index], TRUE);
      g_string_append_c(out, '"');
    }
    if (le)
      g_string_append_printf(out, "%sle=\"%s\"", metric->label ? "," : "", le);
    g_string_append_c(out, '}');
  }
  g_string_append_c(out, ' ');
}

static void
append_histogram(GString *out, const ImsMetric *metric, guint value_index)
{
  const ImsMetricSeries *series = &metric->series[value_index];
  guint64 cumulative = 0;
  for (guint b = 0; b <= metric->n_bounds; b++) {
    char buffer[G_ASCII_DTOSTR_BUF_SIZE];
    const char *le = b < metric->n_bounds ? format_double(buffer, metric->bounds[b]) : "+Inf";
    cumulative += __atomic_load_n(&series->buckets[b], __ATOMIC_RELAXED);
    append_series_name(out, metric, "_bucket", value_index, le);
    g_string_append_printf(out, "%" G_GUINT64_FORMAT "\n", cumulative);
  }
  append_series_name(out, metric, "_sum", value_index, NULL);
  append_number(out, load_double(&series->value_bits));
  g_string_append_c(out, '\n');
  append_series_name(out, metric, "_count", value_index, NULL);
  g_string_append_printf(out, "%" G_GUINT64_FORMAT "\n", cumulative);
}

void
ims_metrics_format(ImsMetric *const *metrics, guint n_metrics, GString *out)
{
  static const char *const types[] = { "counter", "gauge", "histogram" };
  for (guint m = 0; m < n_metrics; m++) {
    const ImsMetric *metric = metrics[m];
    g_string_append_printf(out, "# HELP %s ", metric->name);
    append_escaped(out, metric->help, FALSE);
    g_string_append_printf(out, "\n# TYPE %s %s\n", metric->name, types[metric->type]);
    for (guint i = 0; i < n_values(metric); i++) {
      if (metric->type == IMS_METRIC_HISTOGRAM) {
        append_histogram(out, metric, i);
        continue;
      }
      append_series_name(out, metric, "", i, NULL);
      append_number(out, load_double(&metric->series[i].value_bits));
      g_string_append_c(out, '\n');
    }
  }
}
