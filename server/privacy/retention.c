/* retention.c: the retention job; see retention.h. */
#define G_LOG_DOMAIN "imsd.retention"

#include "retention.h"

#include <string.h>

#include "media-eraser.h"
#include "payloads.h"

struct _ImsRetention {
  ImsDatabase *database;
  ImsObjectStore *objects;
  int default_days;
  GStrv companies;   /* with their own retention */
  int *company_days; /* parallel to companies */
  guint timer_id;
  guint running;
};

static void
on_erased(const char *error_message, guint erased, gpointer data)
{
  ImsRetention *retention = data;
  retention->running--;
  if (error_message)
    g_warning("retention: %s (the next run tries again)", error_message);
}

/* Erases the files (ordered by session) one session at a time. */
static void
erase_by_session(ImsRetention *retention, GPtrArray *files, GPtrArray *users)
{
  for (guint start = 0; start < files->len;) {
    const ImsMediaFile *first = g_ptr_array_index(files, start);
    GPtrArray *batch = g_ptr_array_new_with_free_func((GDestroyNotify) ims_media_file_free);
    guint end = start;
    for (; end < files->len; end++) {
      ImsMediaFile *file = g_ptr_array_index(files, end);
      if (g_strcmp0(file->session_id, first->session_id) != 0)
        break;
      g_ptr_array_add(batch, g_ptr_array_index(files, end));
      g_ptr_array_index(files, end) = NULL;
    }
    const char *user_id = g_ptr_array_index(users, start);
    g_autofree char *session_id = g_strdup(
        ((ImsMediaFile *) g_ptr_array_index(batch, 0))->session_id);
    retention->running++;
    ims_media_erase(retention->database, retention->objects, batch, user_id,
                    IMS_DELETE_REASON_RETENTION, session_id, NULL, NULL, on_erased, retention);
    start = end;
  }
}

/* One company's (or the rest's) expired media, read on the database thread. */
typedef struct {
  ImsRetention *retention;
  char *company_id; /* NULL: companies without their own retention */
  int days;
  GPtrArray *files;
  GPtrArray *users;
} Expiry;

static void
expiry_free(Expiry *expiry)
{
  g_free(expiry->company_id);
  g_clear_pointer(&expiry->files, g_ptr_array_unref);
  g_clear_pointer(&expiry->users, g_ptr_array_unref);
  g_free(expiry);
}

static gboolean
run_list_expired(ImsStore *store, gpointer data, GError **error)
{
  Expiry *expiry = data;
  gint64 older_than = g_get_real_time() - (gint64) expiry->days * 24 * 3600 * G_USEC_PER_SEC;
  expiry->files = store->privacy.list_expired_media_files(
      store, expiry->company_id, (const char *const *) expiry->retention->companies, older_than,
      &expiry->users, error);
  return expiry->files != NULL;
}

static void
on_listed_expired(gpointer data, const GError *error)
{
  Expiry *expiry = data;
  ImsRetention *retention = expiry->retention;
  retention->running--;
  if (error) {
    g_warning("retention: cannot list expired media: %s", error->message);
    return;
  }
  if (expiry->files->len > 0)
    g_info("retention: %u object(s) of %s older than %d days", expiry->files->len,
           expiry->company_id ? expiry->company_id : "companies without their own retention",
           expiry->days);
  g_ptr_array_set_free_func(expiry->files, NULL); /* moved into the erase batches */
  erase_by_session(retention, expiry->files, expiry->users);
}

static void
expire(ImsRetention *retention, const char *company_id, int days)
{
  if (days <= 0)
    return;
  Expiry *expiry = g_new0(Expiry, 1);
  expiry->retention = retention;
  expiry->company_id = g_strdup(company_id);
  expiry->days = days;
  retention->running++;
  ims_database_submit(retention->database, IMS_DATABASE_READ, "list expired media",
                      run_list_expired, on_listed_expired, expiry, (GDestroyNotify) expiry_free);
}

static gboolean
on_timer(gpointer data)
{
  ImsRetention *retention = data;
  if (retention->running > 0)
    return G_SOURCE_CONTINUE; /* the last run is still erasing */
  for (guint i = 0; retention->companies[i]; i++)
    expire(retention, retention->companies[i], retention->company_days[i]);
  expire(retention, NULL, retention->default_days);
  return G_SOURCE_CONTINUE;
}

ImsRetention *
ims_retention_new(ImsDatabase *database, ImsObjectStore *objects, int default_days,
                  const char *by_company, int interval_seconds, GError **error)
{
  g_auto(GStrv) pairs = g_strsplit(by_company ? by_company : "", ";", -1);
  g_autoptr(GPtrArray) companies = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GArray) days = g_array_new(FALSE, FALSE, sizeof(int));
  gboolean any = default_days > 0;

  for (char **pair = pairs; *pair; pair++) {
    g_autofree char *item = g_strstrip(g_strdup(*pair));
    if (!*item)
      continue;
    char *equals = strchr(item, '=');
    gint64 value;
    if (!equals || equals == item ||
        !g_ascii_string_to_signed(g_strstrip(equals + 1), 10, 0, 36500, &value, NULL)) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                  "[review] retention_days_by_company: \"%s\" is not company=days", item);
      return NULL;
    }
    *equals = '\0';
    g_ptr_array_add(companies, g_strdup(g_strstrip(item)));
    int d = (int) value;
    g_array_append_val(days, d);
    any = any || d > 0;
  }
  if (!any)
    return NULL;
  ImsRetention *retention = g_new0(ImsRetention, 1);
  retention->database = database;
  retention->objects = objects;
  retention->default_days = default_days;
  g_ptr_array_add(companies, NULL);
  retention->companies = (GStrv) g_ptr_array_free(g_steal_pointer(&companies), FALSE);
  retention->company_days = (int *) g_array_free(g_steal_pointer(&days), FALSE);
  retention->timer_id = g_timeout_add_seconds((guint) interval_seconds, on_timer, retention);
  g_message("retention job every %d s (default %d days)", interval_seconds, default_days);
  return retention;
}

guint
ims_retention_running(ImsRetention *retention)
{
  return retention ? retention->running : 0;
}

void
ims_retention_free(ImsRetention *retention)
{
  if (!retention)
    return;
  g_clear_handle_id(&retention->timer_id, g_source_remove);
  g_strfreev(retention->companies);
  g_free(retention->company_days);
  g_free(retention);
}
