/* privacy-fakes.c: see privacy-fakes.h. */
#include "privacy-fakes.h"

#include <string.h>

#include <json-glib/json-glib.h>

ImsMediaFile *
ims_fake_media_file_copy(const ImsMediaFile *file)
{
  ImsMediaFile *copy = ims_media_file_new();
  copy->id = g_strdup(file->id);
  copy->take_id = g_strdup(file->take_id);
  copy->session_id = g_strdup(file->session_id);
  copy->kind = g_strdup(file->kind);
  copy->key = g_strdup(file->key);
  copy->content_type = g_strdup(file->content_type);
  copy->size_bytes = file->size_bytes;
  copy->checksum = g_strdup(file->checksum);
  copy->created_at = file->created_at;
  return copy;
}

static GPtrArray *
copy_files(const GPtrArray *files)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func((GDestroyNotify) ims_media_file_free);
  for (guint i = 0; files && i < files->len; i++)
    g_ptr_array_add(copy, ims_fake_media_file_copy(g_ptr_array_index(files, i)));
  return copy;
}

gboolean
ims_fake_store_record(ImsFakeStore *store, GError **error, const char *format, ...)
{
  va_list args;
  va_start(args, format);
  char *line = g_strdup_vprintf(format, args);
  va_end(args);
  g_mutex_lock(&store->lock);
  gboolean fail = store->fail_op && strcmp(store->fail_op, line) == 0;
  if (fail)
    g_clear_pointer(&store->fail_op, g_free);
  g_ptr_array_add(store->log, fail ? g_strdup_printf("%s FAILED", line) : g_strdup(line));
  g_mutex_unlock(&store->lock);
  if (fail)
    g_set_error(error, IMS_STORE_ERROR, IMS_STORE_ERROR_QUERY, "%s: refused by the fake", line);
  g_free(line);
  return !fail;
}

static gboolean
fake_begin(ImsStore *base, GError **error)
{
  ImsFakeStore *store = (ImsFakeStore *) base;
  if (!ims_fake_store_record(store, error, "begin"))
    return FALSE;
  store->in_transaction = TRUE;
  return TRUE;
}

static gboolean
fake_commit(ImsStore *base, GError **error)
{
  ImsFakeStore *store = (ImsFakeStore *) base;
  if (!ims_fake_store_record(store, error, "commit"))
    return FALSE;
  store->in_transaction = FALSE;
  return TRUE;
}

static void
fake_rollback(ImsStore *base)
{
  ImsFakeStore *store = (ImsFakeStore *) base;
  ims_fake_store_record(store, NULL, "rollback");
  store->in_transaction = FALSE;
}

static gboolean
fake_append_events(ImsStore *base, const GPtrArray *events, GError **error)
{
  ImsFakeStore *store = (ImsFakeStore *) base;
  if (!ims_fake_store_record(store, error, "append_events %u", events->len))
    return FALSE;
  g_mutex_lock(&store->lock);
  for (guint i = 0; i < events->len; i++) {
    const ImsOutboxEvent *event = g_ptr_array_index(events, i);
    g_ptr_array_add(store->events, ims_outbox_event_new(event->event_id, event->event_type,
                                                        event->topic, event->key, event->value));
  }
  g_mutex_unlock(&store->lock);
  return TRUE;
}

static gboolean
fake_mark_media_deleted(ImsStore *base, const char *file_id, GError **error)
{
  return ims_fake_store_record((ImsFakeStore *) base, error, "mark_media_deleted %s", file_id);
}

static gboolean
fake_erase_user(ImsStore *base, const char *user_id, int *sessions, GError **error)
{
  *sessions = 1;
  return ims_fake_store_record((ImsFakeStore *) base, error, "erase_user %s", user_id);
}

static gboolean
fake_purge_sent_events(ImsStore *base, gint64 sent_before, gint64 *purged, GError **error)
{
  ImsFakeStore *store = (ImsFakeStore *) base;
  if (purged)
    *purged = 3;
  /* whole seconds: a test compares them with its clock */
  return ims_fake_store_record(store, error, "purge_sent_events %" G_GINT64_FORMAT,
                               sent_before / G_USEC_PER_SEC);
}

static gboolean
fake_is_event_processed(ImsStore *base, const char *event_id, const char *service,
                        gboolean *processed, GError **error)
{
  ImsFakeStore *store = (ImsFakeStore *) base;
  if (!ims_fake_store_record(store, error, "is_event_processed %s %s", event_id, service))
    return FALSE;
  g_mutex_lock(&store->lock);
  *processed = g_hash_table_contains(store->processed, event_id);
  g_mutex_unlock(&store->lock);
  return TRUE;
}

static gboolean
fake_mark_event_processed(ImsStore *base, const char *event_id, const char *service,
                          const char *event_type, GError **error)
{
  ImsFakeStore *store = (ImsFakeStore *) base;
  if (!ims_fake_store_record(store, error, "mark_event_processed %s %s %s", event_id, service,
                             event_type))
    return FALSE;
  g_mutex_lock(&store->lock);
  g_hash_table_add(store->processed, g_strdup(event_id));
  g_mutex_unlock(&store->lock);
  return TRUE;
}

static GPtrArray *
fake_list_user_media_files(ImsStore *base, const char *user_id, GError **error)
{
  ImsFakeStore *store = (ImsFakeStore *) base;
  if (!ims_fake_store_record(store, error, "list_user_media_files %s", user_id))
    return NULL;
  g_mutex_lock(&store->lock);
  GPtrArray *files = copy_files(store->user_files);
  g_mutex_unlock(&store->lock);
  return files;
}

static GPtrArray *
fake_list_user_take_paths(ImsStore *base, const char *user_id, GError **error)
{
  ImsFakeStore *store = (ImsFakeStore *) base;
  if (!ims_fake_store_record(store, error, "list_user_take_paths %s", user_id))
    return NULL;
  GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
  g_mutex_lock(&store->lock);
  for (guint i = 0; store->user_paths && i < store->user_paths->len; i++)
    g_ptr_array_add(paths, g_strdup(g_ptr_array_index(store->user_paths, i)));
  g_mutex_unlock(&store->lock);
  return paths;
}

static GPtrArray *
fake_list_expired_media_files(ImsStore *base, const char *company_id, const char *const *excluded,
                              gint64 older_than, GPtrArray **users, GError **error)
{
  ImsFakeStore *store = (ImsFakeStore *) base;
  /* the age in whole days, rounded: the test runs well within an hour */
  gint64 age = g_get_real_time() - older_than;
  gint64 day = (gint64) 24 * 3600 * G_USEC_PER_SEC;
  g_autofree char *excluded_text = excluded ? g_strjoinv(",", (char **) excluded) : g_strdup("");
  if (!ims_fake_store_record(store, error, "list_expired %s excluding [%s] %" G_GINT64_FORMAT " days",
                             company_id ? company_id : "*", excluded_text, (age + day / 2) / day))
    return NULL;
  g_mutex_lock(&store->lock);
  const char *name = company_id ? company_id : "*";
  GPtrArray *files = copy_files(g_hash_table_lookup(store->expired_files, name));
  GPtrArray *listed_users = g_ptr_array_new_with_free_func(g_free);
  GPtrArray *stored_users = g_hash_table_lookup(store->expired_users, name);
  for (guint i = 0; stored_users && i < stored_users->len; i++)
    g_ptr_array_add(listed_users, g_strdup(g_ptr_array_index(stored_users, i)));
  g_mutex_unlock(&store->lock);
  *users = listed_users;
  return files;
}

static void
fake_store_free(ImsStore *base)
{
  /* the fixture owns it */
}

void
ims_fake_store_init(ImsFakeStore *store)
{
  memset(store, 0, sizeof *store);
  store->base.begin = fake_begin;
  store->base.commit = fake_commit;
  store->base.rollback = fake_rollback;
  store->base.append_events = fake_append_events;
  store->base.privacy.mark_media_deleted = fake_mark_media_deleted;
  store->base.privacy.erase_user = fake_erase_user;
  store->base.privacy.purge_sent_events = fake_purge_sent_events;
  store->base.privacy.is_event_processed = fake_is_event_processed;
  store->base.privacy.mark_event_processed = fake_mark_event_processed;
  store->base.privacy.list_user_media_files = fake_list_user_media_files;
  store->base.privacy.list_user_take_paths = fake_list_user_take_paths;
  store->base.privacy.list_expired_media_files = fake_list_expired_media_files;
  store->base.free = fake_store_free;
  g_mutex_init(&store->lock);
  store->log = g_ptr_array_new_with_free_func(g_free);
  store->events = g_ptr_array_new_with_free_func((GDestroyNotify) ims_outbox_event_free);
  store->user_files = g_ptr_array_new_with_free_func((GDestroyNotify) ims_media_file_free);
  store->user_paths = g_ptr_array_new_with_free_func(g_free);
  store->processed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  store->expired_files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                               (GDestroyNotify) g_ptr_array_unref);
  store->expired_users = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                               (GDestroyNotify) g_ptr_array_unref);
}

void
ims_fake_store_clear(ImsFakeStore *store)
{
  g_ptr_array_unref(store->log);
  g_ptr_array_unref(store->events);
  g_ptr_array_unref(store->user_files);
  g_ptr_array_unref(store->user_paths);
  g_hash_table_unref(store->processed);
  g_hash_table_unref(store->expired_files);
  g_hash_table_unref(store->expired_users);
  g_free(store->fail_op);
  g_mutex_clear(&store->lock);
}

char *
ims_fake_store_log(ImsFakeStore *store)
{
  g_mutex_lock(&store->lock);
  g_ptr_array_add(store->log, NULL);
  char *text = g_strjoinv("|", (char **) store->log->pdata);
  g_ptr_array_remove_index(store->log, store->log->len - 1);
  g_mutex_unlock(&store->lock);
  return text;
}

guint
ims_fake_store_count(ImsFakeStore *store, const char *prefix)
{
  guint count = 0;
  g_mutex_lock(&store->lock);
  for (guint i = 0; i < store->log->len; i++)
    if (g_str_has_prefix(g_ptr_array_index(store->log, i), prefix))
      count++;
  g_mutex_unlock(&store->lock);
  return count;
}

static gboolean
fake_delete_object(ImsObjectStore *base, const char *key, GError **error)
{
  ImsFakeObjects *objects = (ImsFakeObjects *) base;
  g_mutex_lock(&objects->lock);
  int refusals = GPOINTER_TO_INT(g_hash_table_lookup(objects->refuse, key));
  if (refusals > 0)
    g_hash_table_insert(objects->refuse, g_strdup(key), GINT_TO_POINTER(refusals - 1));
  else
    g_ptr_array_add(objects->deleted, g_strdup(key));
  g_mutex_unlock(&objects->lock);
  if (refusals > 0) {
    g_set_error(error, IMS_OBJECTS_ERROR, IMS_OBJECTS_ERROR_UNAVAILABLE, "%s: 503 SlowDown", key);
    return FALSE;
  }
  return TRUE;
}

static void
fake_objects_free(ImsObjectStore *base)
{
  /* the fixture owns it */
}

void
ims_fake_objects_init(ImsFakeObjects *objects)
{
  memset(objects, 0, sizeof *objects);
  objects->base.delete_object = fake_delete_object;
  objects->base.free = fake_objects_free;
  objects->base.bucket = "fake";
  g_mutex_init(&objects->lock);
  objects->deleted = g_ptr_array_new_with_free_func(g_free);
  objects->refuse = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

void
ims_fake_objects_clear(ImsFakeObjects *objects)
{
  g_ptr_array_unref(objects->deleted);
  g_hash_table_unref(objects->refuse);
  g_mutex_clear(&objects->lock);
}

void
ims_fake_objects_refuse(ImsFakeObjects *objects, const char *key, int times)
{
  g_mutex_lock(&objects->lock);
  g_hash_table_insert(objects->refuse, g_strdup(key), GINT_TO_POINTER(times));
  g_mutex_unlock(&objects->lock);
}

gboolean
ims_fake_objects_deleted(ImsFakeObjects *objects, const char *key)
{
  g_mutex_lock(&objects->lock);
  gboolean found = FALSE;
  for (guint i = 0; i < objects->deleted->len; i++)
    found = found || strcmp(g_ptr_array_index(objects->deleted, i), key) == 0;
  g_mutex_unlock(&objects->lock);
  return found;
}

ImsMediaFile *
ims_fake_media_file(const char *id, const char *session_id, gint64 size_bytes)
{
  ImsMediaFile *file = ims_media_file_new();
  file->id = g_strdup(id);
  file->take_id = g_strdup_printf("take-of-%s", id);
  file->session_id = g_strdup(session_id);
  file->kind = g_strdup("original");
  file->key = g_strdup_printf("k-%s", id);
  file->size_bytes = size_bytes;
  return file;
}

gboolean
ims_fake_wait(const int *flag, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
  while (!*flag && g_get_monotonic_time() < deadline)
    g_main_context_iteration(NULL, FALSE) || (g_usleep(1000), TRUE);
  return *flag != 0;
}

char *
ims_fake_event_field(ImsFakeStore *store, guint index, const char *member)
{
  g_mutex_lock(&store->lock);
  g_autofree char
      *value = index < store->events->len
                   ? g_strdup(((ImsOutboxEvent *) g_ptr_array_index(store->events, index))->value)
                   : NULL;
  g_mutex_unlock(&store->lock);
  if (!value)
    return NULL;
  g_autoptr(JsonParser) parser = json_parser_new();
  if (!json_parser_load_from_data(parser, value, -1, NULL))
    return NULL;
  JsonObject *object = json_node_get_object(json_parser_get_root(parser));
  if (g_str_has_prefix(member, "payload.")) {
    object = json_object_get_object_member(object, "payload");
    member += strlen("payload.");
  }
  JsonNode *node = object ? json_object_get_member(object, member) : NULL;
  if (!node || !JSON_NODE_HOLDS_VALUE(node))
    return NULL;
  if (json_node_get_value_type(node) == G_TYPE_STRING)
    return g_strdup(json_node_get_string(node));
  return g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(node));
}
