/* outbox-fake.h: an outbox in memory behind the ImsStore seam (store.h),
 * for the relay's tests (tests/unit/test-relay.c, tests/tools/relay-keys.c).
 *
 * Only the outbox operations the relay uses (list_pending_events,
 * mark_events_sent, count_pending_events) and ping.  Rows 1..rows are made
 * on each read by make_row; sent[id] says which were marked.  Every list and
 * mark call is recorded; gates can hold calls from a given one on (their
 * answer waits until the test opens the gate), to put the relay in the
 * state "a read / a mark is in flight".
 *
 * Threading: the operations run on the database thread, the helpers on the
 * test's; lock protects every field below it.
 */
#pragma once

#include "store.h"

G_BEGIN_DECLS

typedef struct {
  gint64 after_id;
  int limit;
} ImsOutboxFakeListCall;

/* Row id (1-based) of the outbox.  Transfer full; called with lock held. */
typedef ImsOutboxEvent *(*ImsOutboxFakeRow)(guint id, gpointer data);

typedef struct {
  ImsStore base;
  ImsOutboxFakeRow make_row;
  gpointer row_data;
  GMutex lock;         /* protects everything below (database thread and tests) */
  GCond changed;       /* a gate opened, a call recorded */
  guint rows;          /* outbox rows 1..rows */
  gboolean *sent;      /* [rows + 1] */
  GArray *list_calls;  /* ImsOutboxFakeListCall */
  GArray *mark_calls;  /* guint: how many ids each mark_events_sent call had */
  guint lists_allowed; /* list calls that may answer (G_MAXUINT: all); the rest wait */
  guint marks_allowed; /* the same for mark_events_sent */
} ImsOutboxFake;

/* An empty outbox, gates open; free with ims_outbox_fake_clear (the store's
 * own free does nothing: the caller owns the struct). */
void ims_outbox_fake_init(ImsOutboxFake *fake, ImsOutboxFakeRow make_row, gpointer row_data);
void ims_outbox_fake_clear(ImsOutboxFake *fake);

/* Adds count unsent rows, as a commit would (without its poke). */
void ims_outbox_fake_add_rows(ImsOutboxFake *fake, guint count);

/* Lets calls below `allowed` answer (gate: &fake->lists_allowed or
 * &fake->marks_allowed); the rest wait. */
void ims_outbox_fake_set_gate(ImsOutboxFake *fake, guint *gate, guint allowed);

/* Waits up to ms for calls (fake->list_calls or fake->mark_calls) to reach
 * count, without running any main context.  TRUE if it did. */
gboolean ims_outbox_fake_wait_for_calls(ImsOutboxFake *fake, GArray *calls, guint count, guint ms);

/* Whether row id was marked sent; how many rows are unsent. */
gboolean ims_outbox_fake_is_sent(ImsOutboxFake *fake, guint id);
gint64 ims_outbox_fake_pending(ImsOutboxFake *fake);

G_END_DECLS
