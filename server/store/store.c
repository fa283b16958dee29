/* store.c: what every store shares, whatever its database: the error
 * quark, and one change committed together with its events (store.h).
 */
#define G_LOG_DOMAIN "imsd.store"

#include "store.h"

/* clang-format off */
G_DEFINE_QUARK(ims-store-error-quark, ims_store_error)
/* clang-format on */

gboolean
ims_store_change_atomic(ImsStore *store,
                        gboolean (*body)(ImsStore *store, gpointer data, GError **error),
                        gpointer data, const GPtrArray *events, GError **error)
{
  gboolean with_events = events && events->len > 0;
  if (!store->begin(store, error))
    return FALSE;
  if (!body(store, data, error) || (with_events && !store->append_events(store, events, error)) ||
      !store->commit(store, error)) {
    store->rollback(store);
    return FALSE;
  }
  if (with_events && store->events_listener)
    store->events_listener->events_committed(store->events_listener);
  return TRUE;
}

gboolean
ims_store_change(ImsStore *store, gboolean (*body)(ImsStore *store, gpointer data, GError **error),
                 gpointer data, const GPtrArray *events, GError **error)
{
  if (!events || events->len == 0)
    return body(store, data, error);
  return ims_store_change_atomic(store, body, data, events, error);
}

void
ims_take_rating_free(ImsTakeRating *rating)
{
  if (!rating)
    return;
  g_free(rating->take_id);
  g_free(rating->recruiter);
  g_free(rating->company_id);
  g_free(rating->note);
  g_free(rating);
}
