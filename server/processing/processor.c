/* processor.c: renditions and uploads of finished takes; see processor.h. */
#define G_LOG_DOMAIN "imsd.processor"

#include "processor.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "database.h"
#include "outbox.h"
#include "payloads.h"
#include "rendition.h"
#include "spool-files.h"
#include "take-inspect.h"

#define SCAN_INTERVAL_SECONDS 30
#define PING_INTERVAL_SECONDS 15
/* Attempts at a take's renditions before it is failed (a loaded machine can time a pipeline out). */
#define RENDITION_ATTEMPTS 3
/* Decoding a take to learn what it holds: a fixed allowance plus this many bytes per second. */
#define INSPECT_TIMEOUT_BASE_SECONDS 60
#define INSPECT_BYTES_PER_SECOND 1000

struct _ImsProcessor {
  ImsProcessorConfig config;
  GMainContext *context;        /* the main loop's: workers report here */
  GThreadPool *pool;
  GHashTable *known;            /* take id -> Work*: queued, working or waiting */
  gint queued;                  /* atomic */
  gint working;                 /* atomic */
  guint waiting;
  gboolean storage_ok;
  char *last_error;
  guint scan_id;
  gboolean scanning;            /* a scan's read is queued */
  guint jobs;                   /* database jobs not answered yet: each holds the processor */
  gboolean freed;               /* ims_processor_free was called: the last job's answer frees it */
  gboolean scan_again;          /* asked for while scanning */
  guint ping_id;
  gboolean ping_running;
  gboolean stopping;
};

/* One take's processing attempt.  The worker owns it between push and report. */
typedef struct {
  ImsProcessor *processor;
  ImsProcessingJob *job;
  GPtrArray *stored_kinds;      /* char*: kinds already in media_files */
  int attempt;
  guint retry_id;
  gint64 queued_at;             /* monotonic, for media.processed's processingDuration */
  GPtrArray *renditions;        /* ImsRendition*: kept across retries (made once per run) */
  /* results, written by the worker */
  GPtrArray *uploaded;          /* ImsMediaFile*: confirmed by S3 this attempt */
  GPtrArray *spool_files;       /* char*: files to delete once everything is stored */
  char *rendition_error;        /* renditions cannot be made (bad input): retried RENDITION_ATTEMPTS times */
  int rendition_failures;       /* attempts whose renditions failed (uploads failing do not count) */
  gboolean renditions_tried;    /* this attempt's rendition_error is the renditions' own */
  gboolean no_media;            /* nothing in the take decodes: nothing uploaded, an interrupted take fails */
  ImsTake *inspected;           /* the take with what decoding it found, NULL if it was not decoded */
  GError *error;                /* S3 or disk: try again later */
} Work;

static void
work_free(Work *work)
{
  g_clear_handle_id(&work->retry_id, g_source_remove);
  ims_processing_job_free(work->job);
  g_ptr_array_unref(work->stored_kinds);
  g_clear_pointer(&work->uploaded, g_ptr_array_unref);
  g_clear_pointer(&work->spool_files, g_ptr_array_unref);
  g_clear_pointer(&work->renditions, g_ptr_array_unref);
  g_free(work->rendition_error);
  ims_take_free(work->inspected);
  g_clear_error(&work->error);
  g_free(work);
}

static void
processor_destroy(ImsProcessor *processor)
{
  g_hash_table_unref(processor->known);
  g_free(processor->last_error);
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
}

/* ---- worker side (pool threads: no shared state) ---- */

static gboolean
kind_stored(Work *work, const char *kind)
{
  for (guint i = 0; i < work->stored_kinds->len; i++)
    if (g_str_equal(g_ptr_array_index(work->stored_kinds, i), kind))
      return TRUE;
  return FALSE;
}

/* Uploads path as file_name of the take unless that kind is stored already.
 * FALSE with work->error set if S3 refused or failed. */
static gboolean
upload(Work *work, const char *kind, const char *path, const char *file_name,
       const char *content_type)
{
  const ImsProcessorConfig *config = &work->processor->config;
  const ImsTake *take = work->job->take;
  g_autoptr(GError) error = NULL;

  g_ptr_array_add(work->spool_files, g_strdup(path));
  if (kind_stored(work, kind))
    return TRUE;
  g_autofree char *key = ims_object_key_build(config->key_prefix, work->job->interview_id,
                                              take->session_id, work->job->question_id,
                                              take->number, take->id, file_name, &error);
  g_autofree char *checksum = NULL;
  GStatBuf st;
  if (!key || g_stat(path, &st) != 0 ||
      !config->objects->put_file(config->objects, key, path, content_type, &checksum, &error)) {
    if (!error)
      g_set_error(&error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", path,
                  g_strerror(errno));
    g_propagate_prefixed_error(&work->error, g_steal_pointer(&error), "upload of %s: ",
                               key ? key : file_name);
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

static gboolean report_work(gpointer data);

/* A take whose record does not say what it holds (cut by a crash: the recorder that knew died). */
static gboolean
take_needs_inspection(const ImsTake *take)
{
  return take->duration_ms <= 0 || (take->video_codec == NULL && take->audio_codec == NULL);
}

/* Decodes the take (worker thread; costs about one decode of it).  TRUE with work->inspected set to the
 * take with its real duration, size, codecs and resolution; FALSE with work->no_media and
 * work->rendition_error set if nothing in it decodes (missing, empty, not Matroska, no frame). */
static gboolean
inspect_take(Work *work)
{
  const ImsTake *take = work->job->take;
  g_autoptr(GError) error = NULL;
  GStatBuf st;
  gint64 size = g_stat(take->path, &st) == 0 ? (gint64) st.st_size : 0;
  ImsTakeMedia media;
  gboolean ok = ims_take_inspect(take->path, INSPECT_TIMEOUT_BASE_SECONDS +
                                 (double) size / INSPECT_BYTES_PER_SECOND, &media, &error);
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

/* The last attempt failed too: the original is still kept if anything in it decodes. */
static gboolean
last_rendition_attempt(const Work *work)
{
  return work->rendition_failures + 1 >= RENDITION_ATTEMPTS;
}

static void
run_work(gpointer data, gpointer pool_data)
{
  Work *work = data;
  ImsProcessor *processor = work->processor;
  const ImsProcessorConfig *config = &processor->config;
  const ImsTake *take = work->job->take;
  g_autoptr(GError) error = NULL;

  g_atomic_int_add(&processor->queued, -1);
  g_atomic_int_inc(&processor->working);
  work->uploaded = g_ptr_array_new_with_free_func((GDestroyNotify) ims_media_file_free);
  work->spool_files = g_ptr_array_new_with_free_func(g_free);

  const ImsProfile *profile = ims_profile_set_lookup(config->profiles, work->job->profile);
  gboolean have_take = g_file_test(take->path, G_FILE_TEST_IS_REGULAR);
  GPtrArray *renditions = work->renditions;   /* from an earlier attempt, if any */
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
    work->rendition_error = g_strdup_printf("unknown profile '%s'", work->job->profile);
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
      g_rmdir(out_dir);   /* empty: a failed call removes its outputs */
  }

  /* a failed attempt that will be retried uploads nothing yet; after the last one the original is
   * still kept, if anything in it decodes */
  gboolean will_retry = work->rendition_error && !work->no_media && !last_rendition_attempt(work);
  if (work->renditions_tried && !will_retry && !work->inspected) {
    g_autofree char *rendition_error = g_steal_pointer(&work->rendition_error);
    inspect_take(work);
    g_free(work->rendition_error);  /* the renditions' reason is the one to report */
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

  g_atomic_int_add(&processor->working, -1);
  /* always through a source: g_main_context_invoke would run report_work
   * right here if the main context happened not to be acquired */
  GSource *source = g_idle_source_new();
  g_source_set_callback(source, report_work, work, NULL);
  g_source_attach(source, processor->context);
  g_source_unref(source);
}

/* ---- main loop side ---- */

static void queue_work(ImsProcessor *processor, Work *work);

static gboolean
retry_work(gpointer data)
{
  Work *work = data;
  work->retry_id = 0;
  work->processor->waiting--;
  queue_work(work->processor, work);
  return G_SOURCE_REMOVE;
}

/* Deletes the take's spool files; only called once S3 holds them all. */
static void
delete_spool_files(Work *work)
{
  for (guint i = 0; i < work->spool_files->len; i++)
    ims_spool_remove(g_ptr_array_index(work->spool_files, i));
}

/* ---- recording results (database thread) ----
 *
 * What one attempt stored is recorded as one database write: each object S3
 * confirmed with its media.uploaded (one transaction each), then, when the
 * take is done, media.processed with takes.processed_at.  The write is kept
 * and retried until the database has it; steps that committed are not run
 * again, and a step whose commit went unseen (its event ids are taken) counts
 * as written. */

typedef struct {
  Work *work;                   /* main loop: owned by processor->known meanwhile */
  GPtrArray *files;             /* ImsMediaFile*: confirmed by S3 this attempt */
  GPtrArray *uploaded_events;   /* GPtrArray* of ImsOutboxEvent*, parallel to files */
  guint recorded;               /* files recorded so far (database thread) */
  gboolean finish;              /* mark the take processed after the files */
  const char *status;           /* finish: "processed", "repaired", "failed" */
  char *error_text;             /* finish: why it failed, NULL if it did not */
  ImsTake *updated;             /* finish: the take's row to write first (decoded, or failed), or NULL */
  GPtrArray *processed;         /* media.processed or .processing_failed (may be empty), made
                                 * once: the same ids on retries */
  gboolean attempted;
  /* read-only copies of what the events need */
  char *user_id, *profile;
  ImsTake *take;
  double seconds;
  gboolean with_objects;
} Recording;

static void
recording_free(Recording *recording)
{
  g_ptr_array_unref(recording->files);
  g_ptr_array_unref(recording->uploaded_events);
  g_clear_pointer(&recording->processed, g_ptr_array_unref);
  g_free(recording->user_id);
  g_free(recording->profile);
  g_free(recording->error_text);
  ims_take_free(recording->updated);
  ims_take_free(recording->take);
  g_free(recording);
}

static gboolean
add_media_file_body(ImsStore *store, gpointer file, GError **error)
{
  return store->media.add_media_file(store, file, error);
}

static gboolean
finish_processing_body(ImsStore *store, gpointer data, GError **error)
{
  Recording *recording = data;
  if (recording->updated && !store->sessions.update_take(store, recording->updated, error))
    return FALSE;
  return store->media.finish_processing(store, recording->take->id, recording->status,
                                  recording->error_text, error);
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

/* media.processing_failed (docs/events.md): the take's renditions cannot be made.  Transfer full. */
static GPtrArray *
failed_events(Work *work, const char *reason)
{
  const ImsTake *take = work->job->take;
  GPtrArray *events = NULL;
  ims_outbox_add(&events, IMS_EVENT_MEDIA_PROCESSING_FAILED,
                 ims_event_payload_media_processing_failed(work->job->user_id, take->id,
                                                           take->session_id, work->job->profile,
                                                           reason, work->rendition_failures + 1,
                                                           kind_stored(work, "original"), 0),
                 take->session_id);
  return events;
}

/* media.processed, when the take's renditions are all stored (NULL when there
 * are none, or S3 is not configured).  Transfer full. */
static GPtrArray *
processed_events(ImsStore *store, Recording *recording, GError **error)
{
  const ImsTake *take = recording->take;
  GPtrArray *events = NULL;

  if (!recording->with_objects)
    return g_ptr_array_new_with_free_func((GDestroyNotify) ims_outbox_event_free);
  g_autoptr(GPtrArray) files = store->media.list_media_files(store, take->id, error);
  if (!files)
    return NULL;
  g_autoptr(GPtrArray) renditions = g_ptr_array_new();
  gint64 processed_size = 0;
  const char *thumbnail = NULL;
  for (guint i = 0; i < files->len; i++) {
    ImsMediaFile *file = g_ptr_array_index(files, i);
    if (g_str_equal(file->kind, "original"))
      continue;
    g_ptr_array_add(renditions, file);
    processed_size += file->size_bytes;
    if (g_str_equal(file->kind, "thumbnail"))
      thumbnail = file->key;
  }
  ims_outbox_add(&events, IMS_EVENT_MEDIA_PROCESSED,
                 ims_event_payload_media_processed(recording->user_id, take->id, take->size_bytes,
                                                   processed_size, recording->seconds, renditions,
                                                   thumbnail, recording->profile, take->completeness),
                 take->session_id);
  return events;
}

/* Renditions failed but attempts are left: the same backoff as a failed upload, then again. */
static void
retry_renditions(Work *work)
{
  ImsProcessor *processor = work->processor;
  const ImsTake *take = work->job->take;
  int delay = MIN(processor->config.retry_max_seconds, 1 << MIN(work->attempt, 16));
  g_warning("%s: take %s: renditions failed (attempt %d of %d): %s; trying again in %d s",
            take->session_id, take->id, work->rendition_failures + 1, RENDITION_ATTEMPTS, work->rendition_error,
            delay);
  g_autofree char *status_error = g_strdup_printf("take %s: %s", take->id, work->rendition_error);
  set_last_error(processor, status_error);
  g_clear_pointer(&work->rendition_error, g_free);
  work->renditions_tried = FALSE;
  g_clear_pointer(&work->spool_files, g_ptr_array_unref);
  g_clear_pointer(&work->uploaded, g_ptr_array_unref);
  work->attempt++;
  work->rendition_failures++;
  processor->waiting++;
  work->retry_id = g_timeout_add_seconds((guint) delay, retry_work, work);
}

static gboolean
run_recording(ImsStore *store, gpointer data, GError **error)
{
  Recording *recording = data;
  gboolean again = recording->attempted;
  recording->attempted = TRUE;

  for (; recording->recorded < recording->files->len; recording->recorded++) {
    ImsMediaFile *file = g_ptr_array_index(recording->files, recording->recorded);
    GPtrArray *events = g_ptr_array_index(recording->uploaded_events, recording->recorded);
    g_autoptr(GError) local = NULL;
    if (!ims_store_change(store, add_media_file_body, file, events, &local) &&
        !(again && g_error_matches(local, IMS_STORE_ERROR, IMS_STORE_ERROR_CONFLICT))) {
      g_propagate_prefixed_error(error, g_steal_pointer(&local), "recording %s: ", file->key);
      return FALSE;
    }
  }
  if (!recording->finish)
    return TRUE;
  if (!recording->processed)
    recording->processed = processed_events(store, recording, error);
  if (!recording->processed)
    return FALSE;
  g_autoptr(GError) local = NULL;
  if (!ims_store_change(store, finish_processing_body, recording, recording->processed, &local) &&
      !(again && g_error_matches(local, IMS_STORE_ERROR, IMS_STORE_ERROR_CONFLICT))) {
    g_propagate_prefixed_error(error, g_steal_pointer(&local), "marking processed: ");
    return FALSE;
  }
  return TRUE;
}

static void schedule_retry(Work *work);

static void
on_recorded(gpointer data, const GError *error)
{
  Recording *recording = data;
  Work *work = recording->work;
  ImsProcessor *processor = work->processor;
  if (!job_answered(processor))
    return;
  const ImsTake *take = work->job->take;

  for (guint i = 0; i < recording->recorded && i < recording->files->len; i++) {
    ImsMediaFile *file = g_ptr_array_index(recording->files, i);
    g_ptr_array_add(work->stored_kinds, g_strdup(file->kind));
    g_info("%s: take %s: stored %s (%" G_GINT64_FORMAT " bytes)", take->session_id, take->id,
           file->key, file->size_bytes);
  }
  if (error && !work->error)
    work->error = g_error_copy(error);
  if (work->error) {
    schedule_retry(work);
    return;
  }
  if (!recording->finish)
    return;
  if (processor->config.objects)
    delete_spool_files(work);
  g_info("%s: take %s done: %s", take->session_id, take->id, recording->status);
  g_hash_table_remove(processor->known, take->id);
}

/* Backs off and queues the work again (or drops it when stopping: the
 * database still lists it). */
static void
schedule_retry(Work *work)
{
  ImsProcessor *processor = work->processor;
  const ImsTake *take = work->job->take;

  if (work->error->domain == IMS_OBJECTS_ERROR)
    processor->storage_ok = FALSE;
  set_last_error(processor, work->error->message);
  if (processor->stopping) {
    g_hash_table_remove(processor->known, take->id);
    return;
  }
  int delay = MIN(processor->config.retry_max_seconds, 1 << MIN(work->attempt, 16));
  g_warning("%s: take %s: %s; trying again in %d s", take->session_id, take->id,
            work->error->message, delay);
  g_clear_error(&work->error);
  g_clear_pointer(&work->rendition_error, g_free);
  work->no_media = work->renditions_tried = FALSE;
  g_clear_pointer(&work->spool_files, g_ptr_array_unref);
  g_clear_pointer(&work->uploaded, g_ptr_array_unref);
  work->attempt++;
  processor->waiting++;
  work->retry_id = g_timeout_add_seconds((guint) delay, retry_work, work);
}

/* The take is done (renditions stored, or failed for good): what its row
 * becomes, why it failed, and the event that says so (failed only). */
static void
finish_recording(Work *work, Recording *recording)
{
  ImsProcessor *processor = work->processor;
  const ImsTake *take = work->job->take;

  recording->finish = TRUE;
  recording->status = final_status(work);
  if (work->rendition_error) {
    recording->error_text = !work->renditions_tried
        ? g_strdup(work->rendition_error)
        : g_strdup_printf("renditions failed after %d attempts: %s%s", work->rendition_failures + 1,
                          work->rendition_error,
                          work->no_media ? " (nothing in the take decodes)" : "");
    g_warning("%s: take %s: processing failed: %s", take->session_id, take->id,
              recording->error_text);
    g_autofree char *status_error = g_strdup_printf("take %s: %s", take->id, recording->error_text);
    set_last_error(processor, status_error);
    recording->processed = failed_events(work, recording->error_text);
  }
  /* a take a crash cut gets what decoding found, or is failed if nothing
   * decodes (a completed take stays an answer: only its processing failed) */
  if (work->no_media && take->status == IMS_TAKE_INTERRUPTED) {
    recording->updated = ims_take_copy(take);
    recording->updated->status = IMS_TAKE_FAILED;
  } else if (take_needs_inspection(take) && work->inspected) {
    recording->updated = ims_take_copy(work->inspected);
  }
}

static gboolean
report_work(gpointer data)
{
  Work *work = data;
  ImsProcessor *processor = work->processor;
  const ImsTake *take = work->job->take;

  if (work->uploaded->len > 0 && !work->error)
    processor->storage_ok = TRUE;
  /* renditions failed with attempts left: nothing was uploaded, try again */
  if (!work->error && work->rendition_error && !work->no_media && !last_rendition_attempt(work)) {
    if (processor->stopping)   /* the next start tries again */
      g_hash_table_remove(processor->known, take->id);
    else
      retry_renditions(work);
    return G_SOURCE_REMOVE;
  }

  /* record what S3 confirmed, even if something else failed */
  Recording *recording = g_new0(Recording, 1);
  recording->work = work;
  recording->files = g_ptr_array_new_with_free_func((GDestroyNotify) ims_media_file_free);
  recording->uploaded_events = g_ptr_array_new_with_free_func((GDestroyNotify) g_ptr_array_unref);
  for (guint i = 0; i < work->uploaded->len; i++) {
    ImsMediaFile *file = g_ptr_array_index(work->uploaded, i);
    GPtrArray *events = NULL;
    g_autofree char *file_name = g_path_get_basename(file->key);
    ims_outbox_add(&events, IMS_EVENT_MEDIA_UPLOADED,
                   ims_event_payload_media_uploaded(work->job->user_id, file,
                                                    processor->config.objects->bucket, file_name),
                   take->session_id);
    g_ptr_array_add(recording->uploaded_events, events);
  }
  g_ptr_array_extend_and_steal(recording->files, g_steal_pointer(&work->uploaded));
  work->uploaded = g_ptr_array_new_with_free_func((GDestroyNotify) ims_media_file_free);
  recording->user_id = g_strdup(work->job->user_id);
  recording->profile = g_strdup(work->job->profile);
  recording->take = ims_take_copy(take);
  recording->seconds = (g_get_monotonic_time() - work->queued_at) / 1e6;
  recording->with_objects = processor->config.objects != NULL;
  if (!work->error)
    finish_recording(work, recording);

  g_autofree char *what = g_strdup_printf("%s: take %s: processing results", take->session_id,
                                          take->id);
  processor->jobs++;
  ims_database_submit(processor->config.database, IMS_DATABASE_WRITE, what, run_recording,
                      on_recorded, recording, (GDestroyNotify) recording_free);
  return G_SOURCE_REMOVE;
}

static void
queue_work(ImsProcessor *processor, Work *work)
{
  g_autoptr(GError) error = NULL;
  g_atomic_int_inc(&processor->queued);
  if (!g_thread_pool_push(processor->pool, work, &error)) {
    g_atomic_int_add(&processor->queued, -1);
    g_warning("cannot queue take %s: %s", work->job->take->id, error->message);
    g_hash_table_remove(processor->known, work->job->take->id);
  }
}

/* What a scan found: takes to process with the kinds they already have. */
typedef struct {
  ImsProcessor *processor;
  char *prefix;
  GPtrArray *jobs;              /* ImsProcessingJob* */
  GPtrArray *stored_kinds;      /* GPtrArray* of char*, parallel to jobs */
} Scan;

static void
free_kinds(gpointer kinds)
{
  if (kinds)    /* NULL once handed to its work */
    g_ptr_array_unref(kinds);
}

static void
scan_free(Scan *scan)
{
  g_free(scan->prefix);
  g_clear_pointer(&scan->jobs, g_ptr_array_unref);
  g_clear_pointer(&scan->stored_kinds, g_ptr_array_unref);
  g_free(scan);
}

static gboolean
run_scan(ImsStore *store, gpointer data, GError **error)
{
  Scan *scan = data;
  scan->jobs = store->media.list_unprocessed_takes(store, scan->prefix, error);
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
  for (guint i = 0; i < scan->jobs->len; i++) {
    ImsProcessingJob *job = g_ptr_array_index(scan->jobs, i);
    if (g_hash_table_contains(processor->known, job->take->id))
      continue;
    Work *work = g_new0(Work, 1);
    work->processor = processor;
    work->job = g_steal_pointer(&scan->jobs->pdata[i]);
    work->stored_kinds = g_steal_pointer(&scan->stored_kinds->pdata[i]);
    work->queued_at = g_get_monotonic_time();
    g_hash_table_insert(processor->known, g_strdup(work->job->take->id), work);
    g_info("%s: take %s queued for renditions (%s)", work->job->take->session_id,
           work->job->take->id, work->job->profile);
    queue_work(processor, work);
  }
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
  if (processor->scanning) {    /* one at a time; what this one misses the next finds */
    processor->scan_again = TRUE;
    return;
  }
  processor->scanning = TRUE;
  Scan *scan = g_new0(Scan, 1);
  scan->processor = processor;
  scan->prefix = g_strconcat(processor->config.spool_dir, G_DIR_SEPARATOR_S, NULL);
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
  if (!ok && processor->storage_ok)
    g_warning("S3 bucket %s unreachable: %s", processor->config.objects->bucket, error->message);
  processor->storage_ok = ok;
  if (!ok)
    set_last_error(processor, error->message);
}

static gboolean
on_ping(gpointer data)
{
  ImsProcessor *processor = data;
  if (processor->ping_running)
    return G_SOURCE_CONTINUE;
  processor->ping_running = TRUE;
  g_autoptr(GTask) task = g_task_new(NULL, NULL, on_ping_done, processor);
  g_task_set_task_data(task, processor->config.objects, NULL);
  g_task_run_in_thread(task, ping_in_thread);
  return G_SOURCE_CONTINUE;
}

ImsProcessor *
ims_processor_new(const ImsProcessorConfig *config)
{
  ImsProcessor *processor = g_new0(ImsProcessor, 1);
  processor->config = *config;
  processor->context = g_main_context_ref_thread_default();
  int workers = config->workers > 0 ? config->workers : (int) g_get_num_processors();
  processor->pool = g_thread_pool_new(run_work, processor, workers, FALSE, NULL);
  processor->known = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) work_free);
  processor->storage_ok = config->objects != NULL;
  processor->scan_id = g_timeout_add_seconds(SCAN_INTERVAL_SECONDS, on_scan, processor);
  if (config->objects) {
    processor->ping_id = g_timeout_add_seconds(PING_INTERVAL_SECONDS, on_ping, processor);
    on_ping(processor);
  }
  g_message("processing with %d worker(s); %s", workers,
            config->objects ? "objects go to S3" : "no S3 configured: renditions stay in the spool");
  return processor;
}

void
ims_processor_get_status(ImsProcessor *processor, ImsProcessorStatus *status)
{
  status->queued = (guint) g_atomic_int_get(&processor->queued);
  status->working = (guint) g_atomic_int_get(&processor->working);
  status->waiting = processor->waiting;
  status->storage_ok = processor->storage_ok;
  status->last_error = g_strdup(processor->last_error);
}

void
ims_processor_status_clear(ImsProcessorStatus *status)
{
  g_clear_pointer(&status->last_error, g_free);
}

void
ims_processor_free(ImsProcessor *processor)
{
  if (!processor)
    return;
  processor->stopping = TRUE;
  g_clear_handle_id(&processor->scan_id, g_source_remove);
  g_clear_handle_id(&processor->ping_id, g_source_remove);
  /* queued work is dropped (the database still lists it); running work finishes */
  g_thread_pool_free(processor->pool, TRUE, TRUE);
  while (processor->ping_running)  /* bounded by the S3 request timeout */
    g_main_context_iteration(processor->context, TRUE);
  /* reports of work that finished meanwhile: record them now */
  while (g_main_context_pending(processor->context))
    g_main_context_iteration(processor->context, FALSE);
  processor->freed = TRUE;
  if (processor->jobs == 0) {
    processor_destroy(processor);
    return;
  }
  /* kept until its jobs answer: nothing of it may run again meanwhile */
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init(&iter, processor->known);
  while (g_hash_table_iter_next(&iter, NULL, &value))
    g_clear_handle_id(&((Work *) value)->retry_id, g_source_remove);
}
