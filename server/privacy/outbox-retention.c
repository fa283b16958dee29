/* outbox-retention.c: the purge of sent outbox rows; see outbox-retention.h. */
#define G_LOG_DOMAIN "imsd.outbox-retention"

#include "outbox-retention.h"

struct _ImsOutboxRetention {
  ImsDatabase *database;
  gint64 retention_us;
  guint timer_id;
};

/* One purge: what it deletes and, once run, how many it did. */
typedef struct {
  gint64 sent_before; /* unix us */
  gint64 purged;
} Purge;

static gboolean
run_purge(ImsStore *store, gpointer data, GError **error)
{
  Purge *purge = data;
  return store->privacy.purge_sent_events(store, purge->sent_before, &purge->purged, error);
}

static void
on_purged(gpointer data, const GError *error)
{
  Purge *purge = data;
  if (error)
    g_warning("sent events not purged (the next run tries again): %s", error->message);
  else if (purge->purged > 0)
    g_info("%" G_GINT64_FORMAT " sent event(s) purged from the outbox", purge->purged);
}

static gboolean
on_timer(gpointer data)
{
  ImsOutboxRetention *retention = data;
  Purge *purge = g_new0(Purge, 1);
  purge->sent_before = g_get_real_time() - retention->retention_us;
  ims_database_submit(retention->database, IMS_DATABASE_READ, "purge sent events", run_purge,
                      on_purged, purge, g_free);
  return G_SOURCE_CONTINUE;
}

ImsOutboxRetention *
ims_outbox_retention_new(ImsDatabase *database, int retention_hours, int interval_seconds)
{
  g_return_val_if_fail(retention_hours >= 0 && interval_seconds > 0, NULL);
  if (retention_hours == 0)
    return NULL;
  ImsOutboxRetention *retention = g_new0(ImsOutboxRetention, 1);
  retention->database = database;
  retention->retention_us = (gint64) retention_hours * 3600 * G_USEC_PER_SEC;
  on_timer(retention);
  retention->timer_id = g_timeout_add_seconds((guint) interval_seconds, on_timer, retention);
  return retention;
}

void
ims_outbox_retention_free(ImsOutboxRetention *retention)
{
  if (!retention)
    return;
  g_clear_handle_id(&retention->timer_id, g_source_remove);
  g_free(retention);
}
