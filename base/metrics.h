/* metrics.h: counters, gauges and histograms, and their Prometheus text
 * (exposition format 0.0.4), for GET /metrics.
 *
 * A metric is one statically allocated ImsMetric: a name, its help text, a
 * type and at most one label whose values are fixed when the metric is
 * defined (the series exist from the start, so an update never allocates
 * and never looks a name up: it is one or a few atomic operations on the
 * series picked by its value's index).  Histograms have at most
 * IMS_METRIC_MAX_BUCKETS upper bounds, ascending, and the implied +Inf.
 *
 * Every metric imsd exposes is defined once, in metrics-catalog.c (the
 * table in docs/operations.md lists them), and updated where its event
 * happens: the media loops, the database thread, the pool workers and the
 * main loop update them from their own threads.
 *
 * Threads: every function is thread-safe.  Metrics take no lock (GCC's
 * __atomic builtins on each number; a double is added by compare-and-swap);
 * a stamps table (below) has one mutex, held for a few instructions.  A
 * scrape that runs while others update may show a histogram's sum a moment
 * behind its buckets; its _count is always the +Inf bucket's.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define IMS_METRIC_MAX_VALUES 8   /* values of a metric's label */
#define IMS_METRIC_MAX_BUCKETS 16 /* upper bounds of a histogram, +Inf not counted */

typedef enum {
  IMS_METRIC_COUNTER, /* only goes up; its name ends in _total */
  IMS_METRIC_GAUGE,
  IMS_METRIC_HISTOGRAM,
} ImsMetricType;

/* One series: the numbers of one label value.  Private: use the functions. */
typedef struct {
  guint64 value_bits;                          /* the double value, or a histogram's sum */
  guint64 buckets[IMS_METRIC_MAX_BUCKETS + 1]; /* observations per bucket (not cumulative); +Inf last */
} ImsMetricSeries;

typedef struct {
  const char *name; /* imsd_..., units in the name */
  const char *help; /* one line */
  ImsMetricType type;
  const char *label; /* the label's name, or NULL: one series without labels */
  const char *values[IMS_METRIC_MAX_VALUES + 1]; /* the label's values, NULL-terminated */
  double bounds[IMS_METRIC_MAX_BUCKETS];         /* histograms: upper bounds, ascending */
  guint n_bounds;
  ImsMetricSeries series[IMS_METRIC_MAX_VALUES]; /* zero-initialized: every value 0 */
} ImsMetric;

/* Adds amount to the series of the label's value_index (0 when the metric
 * has no label).  A counter ignores a negative amount; a histogram ignores
 * this call (use ims_metric_observe).  An index past the label's values is
 * ignored (a critical warning).  Never waits; no allocation. */
void ims_metric_add(ImsMetric *metric, guint value_index, double amount);

/* Sets a gauge's series to value.  Never waits; no allocation. */
void ims_metric_set(ImsMetric *metric, guint value_index, double value);

/* Counts value in a histogram's bucket (the first bound >= value, else
 * +Inf) and adds it to the sum.  Never waits; no allocation. */
void ims_metric_observe(ImsMetric *metric, guint value_index, double value);

/* The series' value (counter, gauge) or sum (histogram). */
double ims_metric_get(const ImsMetric *metric, guint value_index);

/* A histogram series' number of observations. */
guint64 ims_metric_get_count(const ImsMetric *metric, guint value_index);

/* Sets every series of metric back to 0 (tests). */
void ims_metric_reset(ImsMetric *metric);

/* Appends the metrics' text (HELP, TYPE and one line per series; label
 * values escaped: backslash, double quote, newline) to out.  Costs a few
 * hundred bytes per metric; never waits. */
void ims_metrics_format(ImsMetric *const *metrics, guint n_metrics, GString *out);

/* Start times of things in flight, by key, for a latency observed where
 * they end (the relay: an outbox row's commit until its delivery report).
 * A fixed table: key modulo IMS_METRIC_STAMPS picks the slot, so a key put
 * while IMS_METRIC_STAMPS others are in flight overwrites one of them (whose
 * end then observes nothing: under such a load the histogram samples).
 * Zero-initialized; one lock, held for a few instructions. */
#define IMS_METRIC_STAMPS 4096
typedef struct {
  GMutex lock;
  guint64 keys[IMS_METRIC_STAMPS];
  gint64 times[IMS_METRIC_STAMPS]; /* µs, 0: the slot is free */
} ImsMetricStamps;

/* Keeps key's start time (µs, any clock; 0 keeps nothing).  Never waits
 * long; no allocation. */
void ims_metric_stamps_put(ImsMetricStamps *stamps, guint64 key, gint64 start_us);

/* If key's start is kept: forgets it and observes (now_us - start) in
 * seconds in histogram's series 0; returns TRUE.  FALSE if it is not kept
 * (never put, overwritten, or observed already). */
gboolean ims_metric_stamps_observe(ImsMetricStamps *stamps, guint64 key, gint64 now_us,
                                   ImsMetric *histogram);

/* The earliest start kept, or 0 when none is.  Costs a scan of the table
 * (IMS_METRIC_STAMPS slots) under its lock. */
gint64 ims_metric_stamps_oldest(ImsMetricStamps *stamps);

/* ---- imsd's metrics (metrics-catalog.c; docs/operations.md, Metrics) ---- */

/* Label value indexes shared by the catalogue and its callers. */
enum { IMS_METRIC_KIND_VIDEO, IMS_METRIC_KIND_AUDIO }; /* = IMS_TRACK_* */
enum { IMS_METRIC_DEPENDENCY_POSTGRESQL, IMS_METRIC_DEPENDENCY_S3, IMS_METRIC_DEPENDENCY_KAFKA };
enum { IMS_METRIC_JOBS_QUEUED, IMS_METRIC_JOBS_WORKING, IMS_METRIC_JOBS_RETRYING };
enum {
  IMS_METRIC_RETRY_RENDITIONS,
  IMS_METRIC_RETRY_STORAGE,
  IMS_METRIC_RETRY_DATABASE,
  IMS_METRIC_RETRY_OTHER
};

extern ImsMetric ims_metric_candidates_connected;
extern ImsMetric ims_metric_sessions; /* label phase: the session's phase enum */
extern ImsMetric ims_metric_takes_started;
extern ImsMetric ims_metric_takes_completed;
extern ImsMetric ims_metric_takes_interrupted;
extern ImsMetric ims_metric_takes_failed;
extern ImsMetric ims_metric_join_seconds;
extern ImsMetric ims_metric_stop_to_playable_seconds;
extern ImsMetric ims_metric_receive_bytes; /* label kind */
extern ImsMetric ims_metric_receive_packets;
extern ImsMetric ims_metric_receive_packets_lost;
extern ImsMetric ims_metric_nacks_sent;
extern ImsMetric ims_metric_plis_sent;
extern ImsMetric ims_metric_processing_jobs;    /* label state */
extern ImsMetric ims_metric_processing_retries; /* label reason */
extern ImsMetric ims_metric_upload_bytes;
extern ImsMetric ims_metric_upload_errors;
extern ImsMetric ims_metric_database_queue;
extern ImsMetric ims_metric_outbox_pending;
extern ImsMetric ims_metric_outbox_oldest_age_seconds;
extern ImsMetric ims_metric_relay_in_flight;
extern ImsMetric ims_metric_relay_delivery_seconds;
extern ImsMetricStamps ims_metric_relay_stamps; /* outbox id -> created_at (real µs) */
extern ImsMetric ims_metric_relay_delivery_failures;
extern ImsMetric ims_metric_consumer_lag_seconds;
extern ImsMetric ims_metric_consumed_events;
extern ImsMetric ims_metric_dead_lettered;
extern ImsMetric ims_metric_up; /* label dependency */

/* Every metric of the catalogue, in the order /metrics shows them. */
ImsMetric *const *ims_metrics_catalog(guint *n_metrics);

G_END_DECLS
