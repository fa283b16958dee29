/* processing-results.c: an attempt's stored objects and a done take written
 * to the database with their events; see processing-results.h. */
#define G_LOG_DOMAIN "imsd.processor"

#include "processing-results.h"

#include "outbox.h"
#include "payloads.h"

struct _ImsProcessingResults {
  GPtrArray *files;           /* ImsMediaFile*: confirmed by S3 this attempt */
  GPtrArray *uploaded_events; /* GPtrArray* of ImsOutboxEvent*, parallel to files */
  guint recorded;             /* files recorded so far (database thread) */
  gboolean finish;            /* mark the take processed after the files */
  const char *status;         /* finish: "processed", "repaired", "failed" */
  char *error_text;           /* finish: why it failed, NULL if it did not */
  ImsTake *updated;           /* finish: the take's row to write first, or NULL */
  GPtrArray *processed;       /* media.processed or .processing_failed (may be empty), made
                                 * once: the same ids on retries */
  gboolean attempted;         /* database thread: it ran before */
  /* read-only copies of what the events need */
  char *user_id, *profile;
  ImsTake *take;
  double seconds;
  gboolean with_objects;
  /* the caller's */
  ImsProcessingResultsDone done;
  gpointer done_data;
};

static void
results_free(ImsProcessingResults *results)
{
  g_ptr_array_unref(results->files);
  g_ptr_array_unref(results->uploaded_events);
  g_clear_pointer(&results->processed, g_ptr_array_unref);
  g_free(results->user_id);
  g_free(results->profile);
  g_free(results->error_text);
  ims_take_free(results->updated);
  ims_take_free(results->take);
  g_free(results);
}

ImsProcessingResults *
ims_processing_results_new(const ImsProcessingJob *job, GPtrArray *files, const char *bucket,
                           gint64 queued_at)
{
  const ImsTake *take = job->take;
  ImsProcessingResults *results = g_new0(ImsProcessingResults, 1);
  results->files = files;
  results->uploaded_events = g_ptr_array_new_with_free_func((GDestroyNotify) g_ptr_array_unref);
  for (guint i = 0; i < files->len; i++) {
    ImsMediaFile *file = g_ptr_array_index(files, i);
    GPtrArray *events = NULL;
    g_autofree char *file_name = g_path_get_basename(file->key);
    ims_outbox_add(&events, IMS_EVENT_MEDIA_UPLOADED,
                   ims_event_payload_media_uploaded(job->user_id, file, bucket, file_name),
                   take->session_id);
    g_ptr_array_add(results->uploaded_events, events);
  }
  results->user_id = g_strdup(job->user_id);
  results->profile = g_strdup(job->profile);
  results->take = ims_take_copy(take);
  results->seconds = (g_get_monotonic_time() - queued_at) / 1e6;
  results->with_objects = bucket != NULL;
  return results;
}

void
ims_processing_results_finish(ImsProcessingResults *results, const char *status,
                              const char *error_text, int attempts, gboolean original_stored,
                              ImsTake *updated)
{
  const ImsTake *take = results->take;
  results->finish = TRUE;
  results->status = status;
  results->error_text = g_strdup(error_text);
  results->updated = updated;
  if (!error_text)
    return;
  /* media.processing_failed (docs/events.md): the take's renditions cannot be made */
  ims_outbox_add(&results->processed, IMS_EVENT_MEDIA_PROCESSING_FAILED,
                 ims_event_payload_media_processing_failed(results->user_id, take->id,
                                                           take->session_id, results->profile,
                                                           error_text, attempts, original_stored, 0),
                 take->session_id);
}

/* ---- the database thread ---- */

static gboolean
add_media_file_body(ImsStore *store, gpointer file, GError **error)
{
  return store->media.add_media_file(store, file, error);
}

static gboolean
finish_processing_body(ImsStore *store, gpointer data, GError **error)
{
  ImsProcessingResults *results = data;
  if (results->updated && !store->sessions.update_take(store, results->updated, error))
    return FALSE;
  return store->media.finish_processing(store, results->take->id, results->status,
                                        results->error_text, error);
}

/* media.processed, when the take's renditions are all stored (none when
 * there is no S3).  Transfer full; NULL with error if media_files cannot be
 * read. */
static GPtrArray *
processed_events(ImsStore *store, ImsProcessingResults *results, GError **error)
{
  const ImsTake *take = results->take;
  GPtrArray *events = NULL;

  if (!results->with_objects)
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
                 ims_event_payload_media_processed(results->user_id, take->id, take->size_bytes,
                                                   processed_size, results->seconds, renditions,
                                                   thumbnail, results->profile, take->completeness),
                 take->session_id);
  return events;
}

static gboolean
run_results(ImsStore *store, gpointer data, GError **error)
{
  ImsProcessingResults *results = data;
  gboolean again = results->attempted;
  results->attempted = TRUE;

  for (; results->recorded < results->files->len; results->recorded++) {
    ImsMediaFile *file = g_ptr_array_index(results->files, results->recorded);
    GPtrArray *events = g_ptr_array_index(results->uploaded_events, results->recorded);
    g_autoptr(GError) local = NULL;
    if (!ims_store_change(store, add_media_file_body, file, events, &local) &&
        !(again && g_error_matches(local, IMS_STORE_ERROR, IMS_STORE_ERROR_CONFLICT))) {
      g_propagate_prefixed_error(error, g_steal_pointer(&local), "recording %s: ", file->key);
      return FALSE;
    }
  }
  if (!results->finish)
    return TRUE;
  if (!results->processed)
    results->processed = processed_events(store, results, error);
  if (!results->processed)
    return FALSE;
  g_autoptr(GError) local = NULL;
  if (!ims_store_change(store, finish_processing_body, results, results->processed, &local) &&
      !(again && g_error_matches(local, IMS_STORE_ERROR, IMS_STORE_ERROR_CONFLICT))) {
    g_propagate_prefixed_error(error, g_steal_pointer(&local), "marking processed: ");
    return FALSE;
  }
  return TRUE;
}

/* ---- the main context ---- */

static void
on_results_written(gpointer data, const GError *error)
{
  ImsProcessingResults *results = data;
  g_autoptr(GPtrArray) recorded = g_ptr_array_new();
  for (guint i = 0; i < results->recorded && i < results->files->len; i++)
    g_ptr_array_add(recorded, g_ptr_array_index(results->files, i));
  results->done(results->done_data, recorded, error);
}

void
ims_processing_results_submit(ImsProcessingResults *results, ImsDatabase *database,
                              const char *what, ImsProcessingResultsDone done, gpointer data)
{
  results->done = done;
  results->done_data = data;
  ims_database_submit(database, IMS_DATABASE_WRITE, what, run_results, on_results_written, results,
                      (GDestroyNotify) results_free);
}
