/* outbox-fake.c: an outbox in memory for the relay's tests; see outbox-fake.h. */
#include "outbox-fake.h"

#include <string.h>

/* Database thread: waits (lock held) until call number `index` may answer. */
static void
wait_at_gate(ImsOutboxFake *fake, const guint *allowed, guint index)
{
  g_cond_broadcast(&fake->changed);
  while (index >= *allowed)
    g_cond_wait(&fake->changed, &fake->lock);
}

static GPtrArray *
list_pending_events(ImsStore *base, gint64 after_id, int limit, GError **error)
{
  ImsOutboxFake *fake = (ImsOutboxFake *) base;
  GPtrArray *events = g_ptr_array_new_with_free_func((GDestroyNotify) ims_outbox_event_free);
  g_mutex_lock(&fake->lock);
  ImsOutboxFakeListCall call = { after_id, limit };
  g_array_append_val(fake->list_calls, call);
  guint index = fake->list_calls->len - 1;
  for (guint id = MAX(after_id, 0) + 1; id <= fake->rows && (int) events->len < limit; id++) {
    if (fake->sent[id])
      continue;
    ImsOutboxEvent *event = fake->make_row(id, fake->row_data);
    event->id = id;
    if (event->created_at == 0) /* committed 1.5 s ago, unless make_row says when */
      event->created_at = g_get_real_time() - 1500000;
    g_ptr_array_add(events, event);
  }
  wait_at_gate(fake, &fake->lists_allowed, index); /* the rows as they were at the call */
  g_mutex_unlock(&fake->lock);
  return events;
}

static gboolean
mark_events_sent(ImsStore *base, const gint64 *ids, guint count, GError **error)
{
  ImsOutboxFake *fake = (ImsOutboxFake *) base;
  g_mutex_lock(&fake->lock);
  g_array_append_val(fake->mark_calls, count);
  wait_at_gate(fake, &fake->marks_allowed, fake->mark_calls->len - 1);
  for (guint i = 0; i < count; i++) {
    g_assert(ids[i] >= 1 && ids[i] <= fake->rows);
    fake->sent[ids[i]] = TRUE;
  }
  g_mutex_unlock(&fake->lock);
  return TRUE;
}

static gint64
count_pending_events(ImsStore *base, GError **error)
{
  return ims_outbox_fake_pending((ImsOutboxFake *) base);
}

static gboolean
ping(ImsStore *base, GError **error)
{
  return TRUE;
}

static void
free_store(ImsStore *base)
{
  /* the caller owns it: ims_outbox_fake_clear */
}

void
ims_outbox_fake_init(ImsOutboxFake *fake, ImsOutboxFakeRow make_row, gpointer row_data)
{
  memset(fake, 0, sizeof *fake);
  fake->base.ping = ping;
  fake->base.free = free_store;
  fake->base.outbox.list_pending_events = list_pending_events;
  fake->base.outbox.mark_events_sent = mark_events_sent;
  fake->base.outbox.count_pending_events = count_pending_events;
  fake->make_row = make_row;
  fake->row_data = row_data;
  g_mutex_init(&fake->lock);
  g_cond_init(&fake->changed);
  fake->sent = g_new0(gboolean, 1);
  fake->list_calls = g_array_new(FALSE, FALSE, sizeof(ImsOutboxFakeListCall));
  fake->mark_calls = g_array_new(FALSE, FALSE, sizeof(guint));
  fake->lists_allowed = G_MAXUINT;
  fake->marks_allowed = G_MAXUINT;
}

void
ims_outbox_fake_clear(ImsOutboxFake *fake)
{
  g_array_unref(fake->list_calls);
  g_array_unref(fake->mark_calls);
  g_cond_clear(&fake->changed);
  g_free(fake->sent);
  g_mutex_clear(&fake->lock);
}

void
ims_outbox_fake_add_rows(ImsOutboxFake *fake, guint count)
{
  g_mutex_lock(&fake->lock);
  fake->sent = g_renew(gboolean, fake->sent, fake->rows + count + 1);
  memset(fake->sent + fake->rows + 1, 0, count * sizeof(gboolean));
  fake->rows += count;
  g_mutex_unlock(&fake->lock);
}

void
ims_outbox_fake_set_gate(ImsOutboxFake *fake, guint *gate, guint allowed)
{
  g_mutex_lock(&fake->lock);
  *gate = allowed;
  g_cond_broadcast(&fake->changed);
  g_mutex_unlock(&fake->lock);
}

gboolean
ims_outbox_fake_wait_for_calls(ImsOutboxFake *fake, GArray *calls, guint count, guint ms)
{
  gint64 end = g_get_monotonic_time() + ms * 1000;
  g_mutex_lock(&fake->lock);
  while (calls->len < count && g_cond_wait_until(&fake->changed, &fake->lock, end))
    ;
  gboolean reached = calls->len >= count;
  g_mutex_unlock(&fake->lock);
  return reached;
}

gboolean
ims_outbox_fake_is_sent(ImsOutboxFake *fake, guint id)
{
  g_mutex_lock(&fake->lock);
  gboolean sent = id <= fake->rows && fake->sent[id];
  g_mutex_unlock(&fake->lock);
  return sent;
}

gint64
ims_outbox_fake_pending(ImsOutboxFake *fake)
{
  gint64 count = 0;
  g_mutex_lock(&fake->lock);
  for (guint id = 1; id <= fake->rows; id++)
    count += !fake->sent[id];
  g_mutex_unlock(&fake->lock);
  return count;
}
