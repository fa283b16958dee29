/* processing-fakes.c: see processing-fakes.h. */
#include "processing-fakes.h"

#include <string.h>

static GPtrArray *
fake_list_unprocessed_takes(ImsStore *base, const char *path_prefix, GError **error)
{
  ImsFakeMediaStore *store = (ImsFakeMediaStore *) base;
  if (!ims_fake_store_record(&store->fake, error, "list_unprocessed_takes"))
    return NULL;
  GPtrArray *jobs = g_ptr_array_new_with_free_func((GDestroyNotify) ims_processing_job_free);
  g_mutex_lock(&store->fake.lock);
  for (guint i = 0; i < store->unprocessed->len; i++) {
    const ImsProcessingJob *job = g_ptr_array_index(store->unprocessed, i);
    if (!g_hash_table_contains(store->finished, job->take->id) &&
        g_str_has_prefix(job->take->path, path_prefix))
      g_ptr_array_add(jobs, ims_processing_job_copy(job));
  }
  g_mutex_unlock(&store->fake.lock);
  return jobs;
}

static GPtrArray *
fake_list_media_files(ImsStore *base, const char *take_id, GError **error)
{
  ImsFakeMediaStore *store = (ImsFakeMediaStore *) base;
  if (!ims_fake_store_record(&store->fake, error, "list_media_files %s", take_id))
    return NULL;
  GPtrArray *files = g_ptr_array_new_with_free_func((GDestroyNotify) ims_media_file_free);
  g_mutex_lock(&store->fake.lock);
  for (guint i = 0; i < store->media_files->len; i++) {
    const ImsMediaFile *file = g_ptr_array_index(store->media_files, i);
    if (g_str_equal(file->take_id, take_id))
      g_ptr_array_add(files, ims_fake_media_file_copy(file));
  }
  g_mutex_unlock(&store->fake.lock);
  return files;
}

static gboolean
fake_add_media_file(ImsStore *base, const ImsMediaFile *file, GError **error)
{
  ImsFakeMediaStore *store = (ImsFakeMediaStore *) base;
  if (!ims_fake_store_record(&store->fake, error, "add_media_file %s %s", file->take_id, file->kind))
    return FALSE;
  g_mutex_lock(&store->fake.lock);
  gboolean known = FALSE;
  for (guint i = 0; i < store->media_files->len; i++) {
    const ImsMediaFile *row = g_ptr_array_index(store->media_files, i);
    known = known ||
            (g_str_equal(row->take_id, file->take_id) && g_str_equal(row->kind, file->kind));
  }
  if (!known)
    g_ptr_array_add(store->media_files, ims_fake_media_file_copy(file));
  g_mutex_unlock(&store->fake.lock);
  return TRUE;
}

static gboolean
fake_finish_processing(ImsStore *base, const char *take_id, const char *status,
                       const char *error_text, GError **error)
{
  ImsFakeMediaStore *store = (ImsFakeMediaStore *) base;
  if (!ims_fake_store_record(&store->fake, error, "finish_processing %s %s", take_id, status))
    return FALSE;
  g_mutex_lock(&store->fake.lock);
  g_hash_table_insert(store->finished, g_strdup(take_id),
                      error_text ? g_strdup_printf("%s: %s", status, error_text) : g_strdup(status));
  g_mutex_unlock(&store->fake.lock);
  return TRUE;
}

static gboolean
fake_update_take(ImsStore *base, const ImsTake *take, GError **error)
{
  ImsFakeMediaStore *store = (ImsFakeMediaStore *) base;
  if (!ims_fake_store_record(&store->fake, error, "update_take %s %s", take->id,
                             ims_take_status_to_string(take->status)))
    return FALSE;
  g_mutex_lock(&store->fake.lock);
  g_ptr_array_add(store->updated_takes, ims_take_copy(take));
  g_mutex_unlock(&store->fake.lock);
  return TRUE;
}

void
ims_fake_media_store_init(ImsFakeMediaStore *store)
{
  ims_fake_store_init(&store->fake);
  store->fake.base.media.list_unprocessed_takes = fake_list_unprocessed_takes;
  store->fake.base.media.list_media_files = fake_list_media_files;
  store->fake.base.media.add_media_file = fake_add_media_file;
  store->fake.base.media.finish_processing = fake_finish_processing;
  store->fake.base.sessions.update_take = fake_update_take;
  store->unprocessed = g_ptr_array_new_with_free_func((GDestroyNotify) ims_processing_job_free);
  store->media_files = g_ptr_array_new_with_free_func((GDestroyNotify) ims_media_file_free);
  store->finished = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  store->updated_takes = g_ptr_array_new_with_free_func((GDestroyNotify) ims_take_free);
}

void
ims_fake_media_store_clear(ImsFakeMediaStore *store)
{
  g_ptr_array_unref(store->unprocessed);
  g_ptr_array_unref(store->media_files);
  g_hash_table_unref(store->finished);
  g_ptr_array_unref(store->updated_takes);
  ims_fake_store_clear(&store->fake);
}

void
ims_fake_media_store_add_job(ImsFakeMediaStore *store, ImsProcessingJob *job)
{
  g_mutex_lock(&store->fake.lock);
  g_ptr_array_add(store->unprocessed, job);
  g_mutex_unlock(&store->fake.lock);
}

char *
ims_fake_media_store_finished(ImsFakeMediaStore *store, const char *take_id)
{
  g_mutex_lock(&store->fake.lock);
  char *finished = g_strdup(g_hash_table_lookup(store->finished, take_id));
  g_mutex_unlock(&store->fake.lock);
  return finished;
}

static int
compare_strings(gconstpointer a, gconstpointer b)
{
  return strcmp(*(const char *const *) a, *(const char *const *) b);
}

char *
ims_fake_media_store_kinds(ImsFakeMediaStore *store, const char *take_id)
{
  g_autoptr(GPtrArray) kinds = g_ptr_array_new();
  g_mutex_lock(&store->fake.lock);
  for (guint i = 0; i < store->media_files->len; i++) {
    const ImsMediaFile *file = g_ptr_array_index(store->media_files, i);
    if (g_str_equal(file->take_id, take_id))
      g_ptr_array_add(kinds, file->kind);
  }
  g_ptr_array_sort(kinds, compare_strings);
  g_ptr_array_add(kinds, NULL);
  char *text = g_strjoinv(",", (char **) kinds->pdata);
  g_mutex_unlock(&store->fake.lock);
  return text;
}

gboolean
ims_fake_media_store_wait_finished(ImsFakeMediaStore *store, const char *take_id, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
  for (;;) {
    g_autofree char *finished = ims_fake_media_store_finished(store, take_id);
    if (finished)
      return TRUE;
    if (g_get_monotonic_time() >= deadline)
      return FALSE;
    if (!g_main_context_iteration(NULL, FALSE))
      g_usleep(2000);
  }
}

guint
ims_fake_media_store_count_events(ImsFakeMediaStore *store, const char *event_type)
{
  guint count = 0;
  g_mutex_lock(&store->fake.lock);
  for (guint i = 0; i < store->fake.events->len; i++)
    if (g_str_equal(((ImsOutboxEvent *) g_ptr_array_index(store->fake.events, i))->event_type,
                    event_type))
      count++;
  g_mutex_unlock(&store->fake.lock);
  return count;
}

int
ims_fake_media_store_find_event(ImsFakeMediaStore *store, const char *event_type)
{
  int found = -1;
  g_mutex_lock(&store->fake.lock);
  for (guint i = 0; found < 0 && i < store->fake.events->len; i++)
    if (g_str_equal(((ImsOutboxEvent *) g_ptr_array_index(store->fake.events, i))->event_type,
                    event_type))
      found = (int) i;
  g_mutex_unlock(&store->fake.lock);
  return found;
}

static gboolean
fake_put_file(ImsObjectStore *base, const char *key, const char *path, const char *content_type,
              char **checksum, GError **error)
{
  ImsFakeUploads *uploads = (ImsFakeUploads *) base;
  gint64 now = g_get_monotonic_time();
  g_mutex_lock(&uploads->fake.lock);
  g_array_append_val(uploads->put_times, now);
  gboolean fail = uploads->fail_next > 0;
  if (fail)
    uploads->fail_next--;
  else
    g_ptr_array_add(uploads->keys, g_strdup(key));
  g_mutex_unlock(&uploads->fake.lock);
  if (fail) {
    g_set_error(error, IMS_OBJECTS_ERROR, IMS_OBJECTS_ERROR_UNAVAILABLE, "%s: 503 SlowDown", key);
    return FALSE;
  }
  if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
    g_set_error(error, IMS_OBJECTS_ERROR, IMS_OBJECTS_ERROR_LOCAL, "%s: no file %s", key, path);
    return FALSE;
  }
  *checksum = g_strdup("fake-sha256");
  return TRUE;
}

static gboolean
fake_ping(ImsObjectStore *base, GError **error)
{
  ImsFakeUploads *uploads = (ImsFakeUploads *) base;
  g_atomic_int_inc(&uploads->pings);
  if (!g_atomic_int_get(&uploads->ping_down))
    return TRUE;
  g_set_error(error, IMS_OBJECTS_ERROR, IMS_OBJECTS_ERROR_UNAVAILABLE,
              "list bucket %s: connection refused", base->bucket);
  return FALSE;
}

void
ims_fake_uploads_init(ImsFakeUploads *uploads)
{
  ims_fake_objects_init(&uploads->fake);
  uploads->fake.base.put_file = fake_put_file;
  uploads->fake.base.ping = fake_ping;
  uploads->keys = g_ptr_array_new_with_free_func(g_free);
  uploads->put_times = g_array_new(FALSE, FALSE, sizeof(gint64));
  uploads->fail_next = 0;
}

void
ims_fake_uploads_clear(ImsFakeUploads *uploads)
{
  g_ptr_array_unref(uploads->keys);
  g_array_unref(uploads->put_times);
  ims_fake_objects_clear(&uploads->fake);
}

guint
ims_fake_uploads_calls(ImsFakeUploads *uploads)
{
  g_mutex_lock(&uploads->fake.lock);
  guint calls = uploads->put_times->len;
  g_mutex_unlock(&uploads->fake.lock);
  return calls;
}

guint
ims_fake_uploads_count(ImsFakeUploads *uploads, const char *suffix)
{
  guint count = 0;
  g_mutex_lock(&uploads->fake.lock);
  for (guint i = 0; i < uploads->keys->len; i++)
    if (g_str_has_suffix(g_ptr_array_index(uploads->keys, i), suffix))
      count++;
  g_mutex_unlock(&uploads->fake.lock);
  return count;
}

ImsProcessingJob *
ims_fake_job(const char *take_id, const char *path, const char *profile)
{
  ImsProcessingJob *job = g_new0(ImsProcessingJob, 1);
  ImsTake *take = job->take = ims_take_new();
  take->id = g_strdup(take_id);
  take->session_id = g_strdup("s1");
  take->question_index = 0;
  take->number = 1;
  take->status = IMS_TAKE_COMPLETED;
  take->path = g_strdup(path);
  take->started_at = g_get_real_time() - 2 * G_USEC_PER_SEC;
  take->stopped_at = g_get_real_time();
  take->duration_ms = 1500;
  take->size_bytes = 1000;
  take->video_codec = g_strdup("H264");
  take->audio_codec = g_strdup("OPUS");
  take->width = 320;
  take->height = 180;
  take->stop_reason = g_strdup("candidate");
  take->completeness = g_strdup("{\"video\": {\"frames\": {\"written\": 45}}}");
  job->interview_id = g_strdup("i1");
  job->question_id = g_strdup("q1");
  job->user_id = g_strdup("u1");
  job->profile = g_strdup(profile);
  return job;
}
