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
 * The database is the queue: ims_processor_scan() queues whatever it lists
 * as unprocessed, so a restart resumes every unfinished take, including
 * those cut by a crash.  Renditions run in a bounded pool of worker threads;
 * the rest wait in the pool's queue.  Workers touch no shared state: they get
 * a copy of the job and report back on the main loop.
 */
#pragma once

#include <glib.h>

#include "objects.h"
#include "profile.h"
#include "database.h"
#include "store.h"

G_BEGIN_DECLS

typedef struct _ImsProcessor ImsProcessor;

typedef struct {
  ImsDatabase *database;        /* its jobs are submitted from the main loop */
  const char *spool_dir;        /* absolute: only takes written under it are ours */
  ImsObjectStore *objects;      /* NULL: no S3; renditions stay in the spool */
  const ImsProfileSet *profiles;
  const char *key_prefix;
  gboolean upload_original;
  int workers;                  /* 0: one per core */
  int retry_max_seconds;
} ImsProcessorConfig;

/* config's pointers must outlive the processor.  Transfer full. */
ImsProcessor *ims_processor_new(const ImsProcessorConfig *config);

/* Queues every unprocessed take not already queued or being worked on.
 * Cheap; called at start-up, after each saved take, and periodically. */
void ims_processor_scan(ImsProcessor *processor);

typedef struct {
  guint queued;                 /* waiting for a worker */
  guint working;
  guint waiting;                /* backing off after a failure */
  gboolean storage_ok;          /* the last S3 request (upload or ping) succeeded */
  char *last_error;             /* the last failure (key and reason), NULL if none; owned */
} ImsProcessorStatus;

/* For /readyz.  Call ims_processor_status_clear after. */
void ims_processor_get_status(ImsProcessor *processor, ImsProcessorStatus *status);
void ims_processor_status_clear(ImsProcessorStatus *status);

/* Stops queueing, waits for the takes being worked on (their results are
 * recorded at the next start), frees. */
void ims_processor_free(ImsProcessor *processor);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsProcessor, ims_processor_free)

G_END_DECLS
