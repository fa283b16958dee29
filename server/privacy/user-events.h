/* user-events.h: what imsd does when the platform says something about a user.
 *
 *   user.deleted     end the user's live sessions, delete every object of the
 *                    user from S3, then in one transaction delete the user's
 *                    sessions (questions, takes, media_files go with them)
 *                    and the user's outbox events already sent, scrub the
 *                    unsent ones of personal data (store.h erase_user),
 *                    record media.deleted per object and mark the event
 *                    processed; last, remove the user's spool files and
 *                    their sessions' spool folders.  A candidate's live
 *                    rooms go the same way: their uploaded recordings and
 *                    composite (one media.deleted each), their recordings'
 *                    files, the takes' ".composite" links and the
 *                    composite's spool file.
 *   user.logged_out  end the user's live sessions cleanly (takes finalized,
 *                    sessions resumable) and mark the event processed.
 *
 * Both are idempotent through processed_events: a redelivered event is
 * skipped.  The erasure goes through media-eraser.c: S3 deletions on a
 * worker thread, the rest on the main loop.
 */
#pragma once

#include "consumer.h"
#include "objects.h"
#include "database.h"

G_BEGIN_DECLS

#define IMS_SERVICE_NAME "media-server"

typedef struct {
  ImsDatabase *database;
  ImsObjectStore *objects; /* NULL without S3: only rows and spool files go */
  /* ends the user's live sessions; with forget, also drops the idle ones
   * from memory (their rows are gone) */
  void (*end_user_sessions)(const char *user_id, gboolean forget, gpointer data);
  gpointer data;
  guint running; /* events being handled (shutdown waits for them) */
} ImsUserEvents;

/* An ImsConsumerHandler; user_data is an ImsUserEvents*. */
void ims_user_events_handle(const ImsConsumedEvent *event, ImsConsumer *consumer,
                            ImsConsumerDone done, gpointer user_data);

G_END_DECLS
