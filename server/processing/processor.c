/* processor.c: the worker's attempt at a finished take (decode it if its row
 * does not say what it holds, make its renditions, upload them with the
 * original) and what the main loop does with the outcome; see processor.h.
 *
 * Threads: the takes come in on the main loop (ims_processor_scan's answer,
 * ims_processor_take_finished) and go into the job queue (job-queue.h);
 * run_work runs on a pool thread with its Work to itself and reads only the
 * processor's config; report_work, the database answers, the ping's answer
 * and everything in ImsProcessor run on the main loop, so nothing here needs
 * a lock.  The S3 ping runs on a GTask thread and touches only the object
 * store (thread-safe).
 */
#define G_LOG_DOMAIN "imsd.processor"

#include "processor.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "job-queue.h"
#include "log-session.h"
#include "metrics.h"
#include "processing-results.h"
#include "rendition.h"
#include "spool-files.h"
#include "take-inspect.h"

#define SCAN_INTERVAL_SECONDS 30
/* Decoding a take to learn what it holds: a fixed allowance plus this many bytes per second. */
#define INSPECT_TIMEOUT_BASE_SECONDS 60
#define INSPECT_BYTES_PER_SECOND 1000

/* Main loop only. */
struct _ImsProcessor {
  ImsProcessorConfig config;
  GMainContext *context; /* the main loop's */
  ImsJobQueue *queue;    /* the takes queued, worked on, waiting for a retry */
  char *spool_prefix;    /* spool_dir + "/": only takes under it are ours */
  ImsCheck storage;      /* S3: the last upload or ping */
  char *last_error;
  gint64 last_error_at;
  guint scan_id;
  gboolean scanning;   /* a scan's read is queued */
  gboolean scan_again; /* asked for while scanning */
  guint jobs;          /* database jobs not answered yet: each holds the processor */
  gboolean freed;      /* ims_processor_free was called: the last job's answer frees it */
  guint ping_id;
  gboolean ping_running;
  gint64 last_ping; /* monotonic time the last ping started */
  gboolean stopping;
};

/* One take's processing, across its attempts.  The worker owns it between
 * the queue handing it over and its report; the main loop the rest of the
 * time. */
typedef struct {
  ImsQueuedTake queued; /* first: the queue's part (job, kinds stored, attempts) */
  ImsProcessor *processor;
  GPtrArray *renditions; /* ImsRendition*: kept across retries (made once per run) */
  /* one attempt's results, written by the worker */
  GPtrArray *uploaded;    /* ImsMediaFile*: confirmed by S3 this attempt */
  GPtrArray *spool_files; /* char*: files to delete once everything is stored */
  char *rendition_error; /* renditions cannot be made (bad input): retried IMS_JOB_RENDITION_ATTEMPTS times */
  gboolean renditions_tried; /* this attempt's rendition_error is the renditions' own */
  gboolean no_media;  /* nothing in the take decodes: nothing uploaded, an interrupted take fails */
  ImsTake *inspected; /* the take with what decoding it found, NULL if it was not decoded */
  GError *error;      /* S3 or disk: try again later */
  /* main loop */
  const char *final_status; /* the take is done once its results are written: its status */
} Work;

static void
work_free(ImsQueuedTake *queued)
{
  Work *work = (Work *) queued;
  ims_queued_take_clear(&work->queued);
  g_clear_pointer(&work->uploaded, g_ptr_array_unref);
  g_clear_pointer(&work->spool_files, g_ptr_array_unref);
  g_clear_pointer(&work->renditions, g_ptr_array_unref);
  g_free(work->rendition_error);
  ims_take_free(work->inspected);
  g_clear_error(&work->error);
  g_free(work);
}

/* Forgets what a failed attempt found, before the next one (the renditions
 * made and what decoding found are kept). */
static void
work_reset_attempt(Work *work)
{
  g_clear_error(&work->error);
  g_clear_pointer(&work->rendition_error, g_free);
  work->no_media = work->renditions_tried = FALSE;
  g_clear_pointer(&work->spool_files, g_ptr_array_unref);
  g_clear_pointer(&work->uploaded, g_ptr_array_unref);
  work->final_status = NULL;
}

static void
processor_destroy(ImsProcessor *processor)
{
  ims_job_queue_free(processor->queue);
  g_free(processor->spool_prefix);
  g_free(processor->last_error);
  ims_check_clear(&processor->storage);
  g_main_context_unref(processor->context);
  g_free(processor);
}

/* A database job's answer came: TRUE if the processor is still in use
 * (else it was freed meanwhile, and is destroyed with its last job). */
static gboolean
job_answered(ImsProcessor *processor)
{
  processor->jobs--;
  if (!processor->freed)
    return TRUE;
  if (processor->jobs == 0)
    processor_destroy(processor);
  return FALSE;
}

static void
set_last_error(ImsProcessor *processor, const char *message)
{
  g_free(processor->last_error);
  processor->last_error = g_strdup(message);
  processor->last_error_at = g_get_real_time();
}

/* ---- worker side (pool threads: the Work and the config, nothing else) ---- */

/* Uploads path as file_name of the take unless that kind is stored already.
 * Blocks for the upload (bounded by the object store's request timeout).
 * FALSE with work->error set if S3 refused or failed. */
static gboolean
upload(Work *work, const char *kind, const char *path, const char *file_name,
       const char *content_type)
{
  const ImsProcessorConfig *config = &work->processor->config;
  const ImsProcessingJob *job = work->queued.job;
  const ImsTake *take = job->take;
  g_autoptr(GError) error = NULL;

  g_ptr_array_add(work->spool_files, g_strdup(path));
  if (ims_queued_take_has_kind(&work->queued, kind))
    return TRUE;
  g_autofree char *key = ims_object_key_build(config->key_prefix, job->interview_id,
                                              take->session_id, job->question_id, take->number,
                                              take->id, file_name, &error);
  g_autofree char *checksum = NULL;
  GStatBuf st;
  if (!key || g_stat(path, &st) != 0 ||
      !config->objects->put_file(config->objects, key, path, content_type, &checksum, &error)) {
    if (!error)
      g_set_error(&error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", path,
                  g_strerror(errno));
    g_propagate_prefixed_error(&work->error, g_steal_pointer(&error),
                               "upload of %s: ", key ? key : file_name);
    return FALSE;
  }
  ImsMediaFile *file = ims_media_file_new();
  /* the original's id is the take's: candidate.response_submitted named it */
  file->id = g_str_equal(kind, "original") ? g_strdup(take->id) : g_uuid_string_random();
  file->take_id = g_strdup(take->id);
  file->session_id = g_strdup(take->session_id);
  file->kind = g_strdup(kind);
  file->key = g_steal_pointer(&key);
  file->content_type = g_strdup(content_type);
  file->size_bytes = (gint64) st.st_size;
  file->checksum = g_steal_pointer(&checksum);
  g_ptr_array_add(work->uploaded, file);
  return TRUE;
}

/* A take whose record does not say what it holds (cut by a crash: the recorder that knew died). */
static gboolean
take_needs_inspection(const ImsTake *take)
{
  return take->duration_ms <= 0 || (take->video_codec == NULL && take->audio_codec == NULL);
}

/* Decodes the take (blocks for about one decode of it, at most
 * INSPECT_TIMEOUT_BASE_SECONDS plus a second per INSPECT_BYTES_PER_SECOND).
 * TRUE with work->inspected set to the take with its real duration, size,
 * codecs and resolution; FALSE with work->no_media and work->rendition_error
 * set if nothing in it decodes (missing, empty, not Matroska, no frame). */
static gboolean
inspect_take(Work *work)
{
  const ImsTake *take = work->queued.job->take;
  g_autoptr(GError) error = NULL;
  GStatBuf st;
  gint64 size = g_stat(take->path, &st) == 0 ? (gint64) st.st_size : 0;
  ImsTakeMedia media;
  gboolean ok = ims_take_inspect(
      take->path, INSPECT_TIMEOUT_BASE_SECONDS + (double) size / INSPECT_BYTES_PER_SECOND, &media,
      &error);
  if (ok) {
    ImsTake *inspected = ims_take_copy(take);
    inspected->duration_ms = media.duration_ms;
    inspected->size_bytes = size;
    g_free(inspected->video_codec);
    inspected->video_codec = g_strdup(media.video_codec);
    g_free(inspected->audio_codec);
    inspected->audio_codec = g_strdup(media.audio_codec);
    inspected->width = media.width;
    inspected->height = media.height;
    ims_take_free(work->inspected);
    work->inspected = inspected;
  } else {
    work->no_media = TRUE;
    g_free(work->rendition_error);
    work->rendition_error = g_strdup(error->message);
  }
  ims_take_media_clear(&media);
  return ok;
}

/* One attempt (a pool thread; blocks for the decode, the renditions and the
 * uploads): makes the renditions unless an earlier attempt did, then uploads
 * the original and the renditions not stored yet.  A failed attempt that will
 * be retried uploads nothing; after the last one the original is still kept
 * if anything in it decodes. */
static void
run_work(ImsQueuedTake *queued, gpointer data)
{
  Work *work = (Work *) queued;
  const ImsProcessorConfig *config = &work->processor->config;
  const ImsProcessingJob *job = work->queued.job;
  const ImsTake *take = job->take;
  g_autoptr(GError) error = NULL;

  work->uploaded = g_ptr_array_new_with_free_func((GDestroyNotify) ims_media_file_free);
  work->spool_files = g_ptr_array_new_with_free_func(g_free);

  const ImsProfile *profile = ims_profile_set_lookup(config->profiles, job->profile);
  gboolean have_take = g_file_test(take->path, G_FILE_TEST_IS_REGULAR);
  GPtrArray *renditions = work->renditions; /* from an earlier attempt, if any */
  g_autofree char *out_dir = g_strdup_printf("%s.renditions", take->path);

  if (renditions) {
    /* an upload failed last time: the renditions are made already */
  } else if (!have_take || (!work->inspected && take_needs_inspection(take) && !inspect_take(work))) {
    /* nothing to make renditions of */
    if (!work->no_media) {
      work->no_media = TRUE;
      work->rendition_error = g_strdup_printf("the take file %s is missing", take->path);
    }
  } else if (!profile) {
    work->rendition_error = g_strdup_printf("unknown profile '%s'", job->profile);
  } else if (g_mkdir_with_parents(out_dir, 0750) != 0) {
    g_set_error(&work->error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot create %s: %s",
                out_dir, g_strerror(errno));
  } else {
    renditions = work->renditions = ims_renditions_make(profile, take->path, out_dir, &error);
    if (!renditions && g_error_matches(error, IMS_RENDITION_ERROR, IMS_RENDITION_ERROR_OUTPUT))
      g_propagate_error(&work->error, g_steal_pointer(&error));
    else if (!renditions)
      work->rendition_error = g_strdup(error->message);
    work->renditions_tried = !renditions && !work->error;
    if (!renditions)
      g_rmdir(out_dir); /* empty: a failed call removes its outputs */
  }

  gboolean will_retry = work->rendition_error && !work->no_media &&
                        !ims_queued_take_is_last_rendition_attempt(&work->queued);
  if (work->renditions_tried && !will_retry && !work->inspected) {
    g_autofree char *rendition_error = g_steal_pointer(&work->rendition_error);
    inspect_take(work);
    g_free(work->rendition_error); /* the renditions' reason is the one to report */
    work->rendition_error = g_steal_pointer(&rendition_error);
  }
  if (!work->error && config->objects && !work->no_media && !will_retry) {
    if (have_take && config->upload_original)
      upload(work, "original", take->path, "original.mkv", "video/x-matroska");
    for (guint i = 0; renditions && !work->error && i < renditions->len; i++) {
      const ImsRendition *rendition = g_ptr_array_index(renditions, i);
      upload(work, ims_rendition_kind_to_string(rendition->kind), rendition->path,
             rendition->file_name, rendition->content_type);
    }
    if (!work->error && renditions)
      g_ptr_array_add(work->spool_files, g_strdup(out_dir));
  }
}

/* ---- main loop side ---- */

/* Deletes the take's spool files; only called once S3 holds them all. */
static void
delete_spool_files(Work *work)
{
  for (guint i = 0; i < work->spool_files->len; i++)
    ims_spool_remove(g_ptr_array_index(work->spool_files, i));
}

/* The processing status the take ends with. */
static const char *
final_status(const Work *work)
{
  if (work->rendition_error)
    return "failed";
  for (guint i = 0; work->renditions && i < work->renditions->len; i++)
    if (((const ImsRendition *) g_ptr_array_index(work->renditions, i))->repaired)
      return "repaired";
  return "processed";
}

/* Renditions failed but attempts are left: the same backoff as a failed
 * upload, then again; nothing was uploaded. */
static void
retry_renditions(Work *work)
{
  ImsProcessor *processor = work->processor;
  const ImsTake *take = work->queued.job->take;
  ims_metric_add(&ims_metric_processing_retries, IMS_METRIC_RETRY_RENDITIONS, 1);
  int delay = ims_job_queue_retry(processor->queue, &work->queued, IMS_JOB_RETRY_RENDITIONS);
  if (delay < 0)
    return;
  ims_log_session(G_LOG_LEVEL_WARNING, take->session_id, NULL,
                  "take %s: renditions failed (attempt %d of %d): %s; trying again in %d s",
                  take->id, work->queued.rendition_failures, IMS_JOB_RENDITION_ATTEMPTS,
                  work->rendition_error, delay);
  g_autofree char *status_error = g_strdup_printf("take %s: %s", take->id, work->rendition_error);
  set_last_error(processor, status_error);
  work_reset_attempt(work);
}

/* S3, the disk or the database failed: backs off and queues the work again
 * (or drops it when stopping: the database still lists it). */
static void
schedule_retry(Work *work)
{
  ImsProcessor *processor = work->processor;
  const ImsTake *take = work->queued.job->take;

  if (work->error->domain == IMS_OBJECTS_ERROR)
    ims_check_failed(&processor->storage, work->error->message, g_get_real_time());
  set_last_error(processor, work->error->message);
  if (processor->stopping) {
    ims_job_queue_drop(processor->queue, &work->queued);
    return;
  }
  ims_metric_add(&ims_metric_processing_retries,
                 work->error->domain == IMS_OBJECTS_ERROR ? IMS_METRIC_RETRY_STORAGE
                 : work->error->domain == IMS_STORE_ERROR ? IMS_METRIC_RETRY_DATABASE
                                                          : IMS_METRIC_RETRY_OTHER,
                 1);
  int delay = ims_job_queue_retry(processor->queue, &work->queued, IMS_JOB_RETRY_UNAVAILABLE);
  if (delay < 0)
    return;
  ims_log_session(G_LOG_LEVEL_WARNING, take->session_id, NULL, "take %s: %s; trying again in %d s",
                  take->id, work->error->message, delay);
  work_reset_attempt(work);
}

/* The results of the attempt are written (or the write failed for good). */
static void
on_recorded(gpointer data, const GPtrArray *recorded, const GError *error)
{
  Work *work = data;
  ImsProcessor *processor = work->processor;
  if (!job_answered(processor))
    return;
  const ImsTake *take = work->queued.job->take;

  for (guint i = 0; i < recorded->len; i++) {
    const ImsMediaFile *file = g_ptr_array_index(recorded, i);
    g_ptr_array_add(work->queued.stored_kinds, g_strdup(file->kind));
    ims_log_session(G_LOG_LEVEL_INFO, take->session_id, NULL,
                    "take %s: stored %s (%" G_GINT64_FORMAT " bytes)", take->id, file->key,
                    file->size_bytes);
  }
  if (error && !work->error)
    work->error = g_error_copy(error);
  if (work->error) {
    schedule_retry(work);
    return;
  }
  if (!work->final_status)
    return;
  if (processor->config.objects)
    delete_spool_files(work);
  ims_log_session(G_LOG_LEVEL_INFO, take->session_id, NULL, "take %s done: %s", take->id,
                  work->final_status);
  ims_job_queue_done(processor->queue, &work->queued);
}

/* The take is done (renditions stored, or failed for good): what its row
 * becomes, why it failed, and the event that says so (failed only, saying
 * whether the original is stored: by an earlier attempt, or by this one in
 * uploaded). */
static void
finish_results(Work *work, ImsProcessingResults *results, const GPtrArray *uploaded)
{
  ImsProcessor *processor = work->processor;
  const ImsTake *take = work->queued.job->take;
  int attempts = work->queued.rendition_failures + 1;
  g_autofree char *error_text = NULL;

  work->final_status = final_status(work);
  if (work->rendition_error) {
    error_text = !work->renditions_tried
                     ? g_strdup(work->rendition_error)
                     : g_strdup_printf("renditions failed after %d attempts: %s%s", attempts,
                                       work->rendition_error,
                                       work->no_media ? " (nothing in the take decodes)" : "");
    ims_log_session(G_LOG_LEVEL_WARNING, take->session_id, NULL, "take %s: processing failed: %s",
                    take->id, error_text);
    g_autofree char *status_error = g_strdup_printf("take %s: %s", take->id, error_text);
    set_last_error(processor, status_error);
  }
  /* a take a crash cut gets what decoding found, or is failed if nothing
   * decodes (a completed take stays an answer: only its processing failed) */
  ImsTake *updated = NULL;
  if (work->no_media && take->status == IMS_TAKE_INTERRUPTED) {
    updated = ims_take_copy(take);
    updated->status = IMS_TAKE_FAILED;
  } else if (take_needs_inspection(take) && work->inspected) {
    updated = ims_take_copy(work->inspected);
  }
  gboolean original_stored = ims_queued_take_has_kind(&work->queued, "original");
  for (guint i = 0; i < uploaded->len; i++)
    original_stored |= g_str_equal(((const ImsMediaFile *) g_ptr_array_index(uploaded, i))->kind,
                                   "original");
  ims_processing_results_finish(results, work->final_status, error_text, attempts, original_stored,
                                updated);
}

/* An attempt is over (the queue calls it on the main loop): the renditions
 * are retried, or what S3 confirmed is recorded (even if something else
 * failed) and the take finished or retried once the database has it. */
static void
report_work(ImsQueuedTake *queued, gpointer data)
{
  Work *work = (Work *) queued;
  ImsProcessor *processor = work->processor;
  const ImsProcessingJob *job = work->queued.job;

  if (work->uploaded->len > 0 && !work->error)
    ims_check_succeeded(&processor->storage, g_get_real_time());
  /* renditions failed with attempts left: nothing was uploaded, try again */
  if (!work->error && work->rendition_error && !work->no_media &&
      !ims_queued_take_is_last_rendition_attempt(&work->queued)) {
    if (processor->stopping) /* the next start tries again */
      ims_job_queue_drop(processor->queue, &work->queued);
    else
      retry_renditions(work);
    return;
  }

  GPtrArray *uploaded = g_steal_pointer(&work->uploaded);
  work->uploaded = g_ptr_array_new_with_free_func((GDestroyNotify) ims_media_file_free);
  ImsProcessingResults *results = ims_processing_results_new(
      job, uploaded, processor->config.objects ? processor->config.objects->bucket : NULL,
      work->queued.queued_at);
  if (!work->error)
    finish_results(work, results, uploaded); /* still alive: results own it */

  g_autofree char *what = g_strdup_printf("%s: take %s: processing results", job->take->session_id,
                                          job->take->id);
  processor->jobs++;
  ims_processing_results_submit(results, processor->config.database, what, on_recorded, work);
}

/* Queues job (transfer full) with the kinds stored for it (transfer full,
 * NULL: none), unless it is queued or done already. */
static void
queue_job(ImsProcessor *processor, ImsProcessingJob *job, GPtrArray *stored_kinds)
{
  if (ims_job_queue_knows(processor->queue, job->take->id)) {
    ims_processing_job_free(job);
    g_clear_pointer(&stored_kinds, g_ptr_array_unref);
    return;
  }
  Work *work = g_new0(Work, 1);
  work->processor = processor;
  ims_queued_take_init(&work->queued, job, stored_kinds);
  ims_log_session(G_LOG_LEVEL_INFO, job->take->session_id, NULL,
                  "take %s queued for renditions (%s)", job->take->id, job->profile);
  ims_job_queue_add(processor->queue, &work->queued);
}

void
ims_processor_take_finished(ImsProcessor *processor, const ImsProcessingJob *job)
{
  g_return_if_fail(processor && job && job->take && job->take->id && job->take->session_id &&
                   job->take->path);
  g_return_if_fail(job->interview_id && job->question_id && job->user_id && job->profile);
  const ImsTake *take = job->take;

  /* what the database's list of takes to process would leave out */
  if (processor->stopping)
    return; /* the next start finds it */
  if (take->status != IMS_TAKE_COMPLETED && take->status != IMS_TAKE_INTERRUPTED)
    return; /* nothing usable was written */
  if (!g_str_has_prefix(take->path, processor->spool_prefix)) {
    ims_log_session(G_LOG_LEVEL_WARNING, take->session_id, NULL,
                    "take %s: %s is not in the spool %s: not processed here", take->id, take->path,
                    processor->config.spool_dir);
    return;
  }
  queue_job(processor, ims_processing_job_copy(job), NULL);
}

/* ---- the scan: what the database lists as not processed yet ---- */

/* What a scan found: takes to process with the kinds they already have. */
typedef struct {
  ImsProcessor *processor;
  GPtrArray *jobs;         /* ImsProcessingJob* */
  GPtrArray *stored_kinds; /* GPtrArray* of char*, parallel to jobs */
} Scan;

static void
free_kinds(gpointer kinds)
{
  if (kinds) /* NULL once handed to its work */
    g_ptr_array_unref(kinds);
}

static void
scan_free(Scan *scan)
{
  g_clear_pointer(&scan->jobs, g_ptr_array_unref);
  g_clear_pointer(&scan->stored_kinds, g_ptr_array_unref);
  g_free(scan);
}

/* The database thread: the takes and, for each, the kinds stored. */
static gboolean
run_scan(ImsStore *store, gpointer data, GError **error)
{
  Scan *scan = data;
  scan->jobs = store->media.list_unprocessed_takes(store, scan->processor->spool_prefix, error);
  if (!scan->jobs)
    return FALSE;
  scan->stored_kinds = g_ptr_array_new_with_free_func(free_kinds);
  for (guint i = 0; i < scan->jobs->len; i++) {
    ImsProcessingJob *job = g_ptr_array_index(scan->jobs, i);
    g_autoptr(GPtrArray) files = store->media.list_media_files(store, job->take->id, error);
    if (!files)
      return FALSE;
    GPtrArray *kinds = g_ptr_array_new_with_free_func(g_free);
    for (guint f = 0; f < files->len; f++)
      g_ptr_array_add(kinds, g_strdup(((ImsMediaFile *) g_ptr_array_index(files, f))->kind));
    g_ptr_array_add(scan->stored_kinds, kinds);
  }
  return TRUE;
}

static void
on_scanned(gpointer data, const GError *error)
{
  Scan *scan = data;
  ImsProcessor *processor = scan->processor;

  if (!job_answered(processor))
    return;
  processor->scanning = FALSE;
  if (error) {
    g_warning("cannot list takes to process: %s", error->message);
    return;
  }
  if (processor->stopping)
    return;
  for (guint i = 0; i < scan->jobs->len; i++)
    queue_job(processor, g_steal_pointer(&scan->jobs->pdata[i]),
              g_steal_pointer(&scan->stored_kinds->pdata[i]));
  if (processor->scan_again) {
    processor->scan_again = FALSE;
    ims_processor_scan(processor);
  }
}

void
ims_processor_scan(ImsProcessor *processor)
{
  if (processor->stopping)
    return;
  if (processor->scanning) { /* one at a time; what this one misses the next finds */
    processor->scan_again = TRUE;
    return;
  }
  processor->scanning = TRUE;
  Scan *scan = g_new0(Scan, 1);
  scan->processor = processor;
  processor->jobs++;
  ims_database_submit(processor->config.database, IMS_DATABASE_READ, "list takes to process",
                      run_scan, on_scanned, scan, (GDestroyNotify) scan_free);
}

static gboolean
on_scan(gpointer data)
{
  ims_processor_scan(data);
  return G_SOURCE_CONTINUE;
}

/* ---- the S3 ping, for /readyz ---- */

static void
ping_in_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  ImsObjectStore *objects = data;
  GError *error = NULL;
  if (objects->ping(objects, &error))
    g_task_return_boolean(task, TRUE);
  else
    g_task_return_error(task, error);
}

static void
on_ping_done(GObject *source, GAsyncResult *result, gpointer data)
{
  ImsProcessor *processor = data;
  g_autoptr(GError) error = NULL;
  processor->ping_running = FALSE;
  gboolean ok = g_task_propagate_boolean(G_TASK(result), &error);
  gint64 now = g_get_real_time();
  if (ok && ims_check_succeeded(&processor->storage, now))
    g_message("S3 bucket %s reachable again", processor->config.objects->bucket);
  if (!ok && ims_check_failed(&processor->storage, error->message, now))
    g_warning("S3 bucket %s unreachable: %s", processor->config.objects->bucket, error->message);
  if (!ok)
    set_last_error(processor, error->message);
}

/* Every IMS_PROCESSOR_PING_FAILING_SECONDS: pings while S3 is failing, or
 * when the last ping is IMS_PROCESSOR_PING_OK_SECONDS old; one at a time. */
static gboolean
on_ping(gpointer data)
{
  ImsProcessor *processor = data;
  gint64 since = g_get_monotonic_time() - processor->last_ping;
  if (processor->ping_running || (processor->storage.state == IMS_CHECK_OK &&
                                  since < IMS_PROCESSOR_PING_OK_SECONDS * G_USEC_PER_SEC - 100000))
    return G_SOURCE_CONTINUE;
  processor->ping_running = TRUE;
  processor->last_ping = g_get_monotonic_time();
  g_autoptr(GTask) task = g_task_new(NULL, NULL, on_ping_done, processor);
  g_task_set_task_data(task, processor->config.objects, NULL);
  g_task_run_in_thread(task, ping_in_thread);
  return G_SOURCE_CONTINUE;
}

/* ---- lifecycle ---- */

ImsProcessor *
ims_processor_new(const ImsProcessorConfig *config)
{
  ImsProcessor *processor = g_new0(ImsProcessor, 1);
  processor->config = *config;
  processor->context = g_main_context_ref_thread_default();
  processor->spool_prefix = g_strconcat(config->spool_dir, G_DIR_SEPARATOR_S, NULL);
  int workers = config->workers > 0 ? config->workers : (int) g_get_num_processors();
  ImsJobQueueConfig queue_config = {
    .workers = workers,
    .retry_max_seconds = config->retry_max_seconds,
    .run = run_work,
    .report = report_work,
    .free_take = work_free,
    .data = processor,
  };
  processor->queue = ims_job_queue_new(&queue_config);
  ims_check_init(&processor->storage, config->objects != NULL);
  processor->scan_id = g_timeout_add_seconds(SCAN_INTERVAL_SECONDS, on_scan, processor);
  if (config->objects) {
    processor->ping_id = g_timeout_add_seconds(IMS_PROCESSOR_PING_FAILING_SECONDS, on_ping,
                                               processor);
    on_ping(processor);
  }
  g_message("processing with %d worker(s); %s", workers,
            config->objects ? "objects go to S3" : "no S3 configured: renditions stay in the spool");
  return processor;
}

void
ims_processor_get_status(ImsProcessor *processor, ImsProcessorStatus *status)
{
  ims_job_queue_get_counts(processor->queue, &status->queued, &status->working, &status->waiting);
  status->storage_ok = processor->storage.state == IMS_CHECK_OK;
  status->last_error = g_strdup(processor->last_error);
  status->last_error_at = processor->last_error_at;
  ims_check_copy(&status->storage, &processor->storage);
}

void
ims_processor_status_clear(ImsProcessorStatus *status)
{
  g_clear_pointer(&status->last_error, g_free);
  ims_check_clear(&status->storage);
}

void
ims_processor_free(ImsProcessor *processor)
{
  if (!processor)
    return;
  processor->stopping = TRUE;
  g_clear_handle_id(&processor->scan_id, g_source_remove);
  g_clear_handle_id(&processor->ping_id, g_source_remove);
  /* queued takes are dropped (the database still lists them); running ones
   * finish, and their reports submit their results */
  ims_job_queue_stop(processor->queue);
  while (processor->ping_running) /* bounded by the S3 request timeout */
    g_main_context_iteration(processor->context, TRUE);
  processor->freed = TRUE;
  /* else kept until its jobs answer: the queue runs nothing any more */
  if (processor->jobs == 0)
    processor_destroy(processor);
}
