/* processor.h: turns finished takes into stored renditions.
 *
 * Every take that is finished (completed or interrupted) and not processed
 * yet goes through:
 *
 *   queued -> working (a pool thread: a take whose record lacks its duration
 *             or codecs, i.e. one cut by a crash, is decoded first to learn
 *             them; then renditions, then uploads)
 *          -> recorded (main loop: a media_files row per object S3 confirmed)
 *          -> done (takes.processed_at, processing_status processed or
 *             repaired; its spool files deleted)
 *   a failed upload or a full disk -> waiting (backoff, doubling up to
 *   retry_max_seconds) -> queued again; objects already stored are skipped.
 *   renditions that fail (rendition.c already tried a re-timestamped copy)
 *   -> waiting, the same backoff, 3 attempts in all -> failed: processing_status
 *   failed with the reason, the original still uploaded if anything in it
 *   decodes, media.processing_failed, /readyz lastError.
 *   nothing in the take decodes (missing, empty, not Matroska) -> failed at
 *   once, nothing uploaded; an interrupted take's status becomes failed too.
 *
 * A take comes in two ways: directly when its session has saved it
 * (ims_processor_take_finished: no database read), and from the database's
 * list of unprocessed takes (ims_processor_scan: at start-up, so a restart
 * resumes every unfinished take, including those cut by a crash, and every
 * 30 s, for whatever was dropped meanwhile).  A take that comes both ways
 * is processed once (job-queue.h).
 *
 * The files: job-queue.c (which take runs next, when a failed one is tried
 * again), processor.c (the worker's attempt and what the main loop makes of
 * it), processing-results.c (what an attempt stored, written to the database
 * with its events).  Renditions run in a bounded pool of worker threads; the
 * rest wait in the queue.  Workers touch no shared state: each has its take
 * to itself and reports back on the main loop.  Every function here is for
 * the main loop's thread.
 */
#pragma once

#include <glib.h>

#include "check.h"
#include "objects.h"
#include "profile.h"
#include "database.h"
#include "store.h"

G_BEGIN_DECLS

typedef struct _ImsProcessor ImsProcessor;

typedef struct {
  ImsDatabase *database;   /* its jobs are submitted from the main loop */
  const char *spool_dir;   /* absolute: only takes written under it are ours */
  ImsObjectStore *objects; /* NULL: no S3; renditions stay in the spool */
  const ImsProfileSet *profiles;
  const char *key_prefix;
  gboolean upload_original;
  int workers; /* 0: one per core */
  int retry_max_seconds;
} ImsProcessorConfig;

/* config's pointers must outlive the processor.  Transfer full. */
ImsProcessor *ims_processor_new(const ImsProcessorConfig *config);

/* Queues every unprocessed take the database lists that is not queued,
 * being worked on or done already.  Never waits: one read on the database
 * thread (at most one at a time; a call during one asks for another after
 * it).  Called at start-up (after crash recovery), and every 30 s by the
 * processor itself. */
void ims_processor_scan(ImsProcessor *processor);

/* A take its session has just saved as finished (its final row is written):
 * queued for a worker without reading the database.  job is copied (transfer
 * none): job->take is the take's row as written (status completed or
 * interrupted, its path under spool_dir, duration, size, codecs, resolution,
 * completeness), interview_id, user_id and profile are its session's, and
 * question_id the platform's id of the take's question.  Nothing of the take
 * may be stored yet (a take finished in this run).  A take that is queued,
 * being worked on or done lately (it came by a scan too), one that is not
 * finished (failed: nothing usable was written), or one outside spool_dir is
 * ignored.  Never waits. */
void ims_processor_take_finished(ImsProcessor *processor, const ImsProcessingJob *job);

typedef struct {
  guint queued; /* waiting for a worker */
  guint working;
  guint waiting;        /* backing off after a failure */
  gboolean storage_ok;  /* the last S3 request (upload or ping) succeeded */
  char *last_error;     /* the last failure (key and reason), NULL if none; owned */
  gint64 last_error_at; /* unix us of last_error, 0 if none */
  ImsCheck storage;     /* S3: the last upload or ping (not configured without S3) */
} ImsProcessorStatus;

/* S3 is pinged (objects->ping, a one-request bucket check on a GTask
 * thread) every IMS_PROCESSOR_PING_OK_SECONDS while it answers, and every
 * IMS_PROCESSOR_PING_FAILING_SECONDS after a failed ping or upload until it
 * answers again, so /readyz follows S3 within seconds either way. */
#define IMS_PROCESSOR_PING_OK_SECONDS 2
#define IMS_PROCESSOR_PING_FAILING_SECONDS 1

/* For /readyz; never waits.  Call ims_processor_status_clear after. */
void ims_processor_get_status(ImsProcessor *processor, ImsProcessorStatus *status);
void ims_processor_status_clear(ImsProcessorStatus *status);

/* Stops queueing, waits for the takes being worked on (as long as their
 * renditions and uploads take; their results are submitted to the database,
 * whose answers free the processor, or recorded at the next start) and for
 * a running S3 ping (at most its request timeout), frees. */
void ims_processor_free(ImsProcessor *processor);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsProcessor, ims_processor_free)

G_END_DECLS
