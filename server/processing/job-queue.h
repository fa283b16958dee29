/* job-queue.h: the finished takes waiting for a processing worker, which one
 * runs next, and when one that failed is tried again.
 *
 * A take enters by its id, once: ims_job_queue_add refuses a take that is
 * queued, being worked on or waiting for its retry, and one finished lately
 * in this run (the last IMS_JOB_QUEUE_REMEMBERED_DONE; older ones the
 * database keeps out of a scan, its processed_at), so a take that arrives
 * both ways (the database's list, its session saying it finished) is
 * processed once.
 *
 *   added -> queued (the pool's FIFO: first added, first run)
 *         -> working (a pool thread runs config.run with the take to itself)
 *         -> reported (config.report on the main context)
 *         -> done (ims_job_queue_done: forgotten, remembered as done)
 *          | dropped (ims_job_queue_drop: forgotten; the next scan finds it)
 *          | waiting (ims_job_queue_retry: a timer of the backoff) -> queued
 *
 * When to retry, by reason:
 *   IMS_JOB_RETRY_UNAVAILABLE  S3, the disk or the database failed: tried
 *                              again, for as long as it takes
 *   IMS_JOB_RETRY_RENDITIONS   the renditions failed (a loaded machine can
 *                              time a pipeline out): IMS_JOB_RENDITION_ATTEMPTS
 *                              attempts in all; the worker asks
 *                              ims_queued_take_is_last_rendition_attempt and
 *                              fails the take after the last
 * Both back off alike: 2^(attempts failed so far) seconds (1, 2, 4, ...), at
 * most retry_max_seconds.
 *
 * Threading: made, fed and freed on one main context (the thread default
 * when ims_job_queue_new runs); config.report runs there too.  config.run
 * runs on a pool thread and owns its take until it returns: nothing else
 * reads or writes an ImsQueuedTake meanwhile.  The queued and working counts
 * are atomic (the pool threads change them); everything else is the main
 * context's alone, so there is no lock.
 */
#pragma once

#include <glib.h>

#include "records.h"

G_BEGIN_DECLS

typedef struct _ImsJobQueue ImsJobQueue;

#define IMS_JOB_RENDITION_ATTEMPTS 3
#define IMS_JOB_QUEUE_REMEMBERED_DONE 4096

/* One take in the queue.  A caller's per-take state embeds it as its first
 * member (processor.c's Work) and frees it in config.free_take. */
typedef struct {
  ImsProcessingJob *job;   /* owned */
  GPtrArray *stored_kinds; /* char*, owned: kinds media_files holds (not uploaded again) */
  gint64 queued_at;        /* monotonic, when it was first added */
  int attempt;             /* attempts that failed, any reason: the backoff's exponent */
  int rendition_failures;  /* attempts whose renditions failed */
  /* the queue's own */
  ImsJobQueue *queue; /* set by ims_job_queue_add */
  guint retry_id;     /* the backoff timer while waiting */
} ImsQueuedTake;

/* Fills take for job (transfer full) with the kinds already stored
 * (GPtrArray of char*, transfer full; NULL: none). */
void ims_queued_take_init(ImsQueuedTake *take, ImsProcessingJob *job, GPtrArray *stored_kinds);
/* Frees what ims_queued_take_init filled (not take itself). */
void ims_queued_take_clear(ImsQueuedTake *take);
/* TRUE if the database holds an object of this kind for the take. */
gboolean ims_queued_take_has_kind(const ImsQueuedTake *take, const char *kind);
/* TRUE if this attempt is the take's last at its renditions: when they fail
 * now, the take fails. */
gboolean ims_queued_take_is_last_rendition_attempt(const ImsQueuedTake *take);

typedef struct {
  int workers;           /* pool threads: at least 1 */
  int retry_max_seconds; /* the longest backoff */
  /* A pool thread: one attempt at take (may block: renditions, uploads). */
  void (*run)(ImsQueuedTake *take, gpointer data);
  /* The main context, after run: the caller retries, finishes or drops the take. */
  void (*report)(ImsQueuedTake *take, gpointer data);
  /* Frees a take the caller made (the queue's ims_queued_take_clear included). */
  void (*free_take)(ImsQueuedTake *take);
  gpointer data;
} ImsJobQueueConfig;

typedef enum {
  IMS_JOB_RETRY_UNAVAILABLE, /* S3, the disk or the database: until it works */
  IMS_JOB_RETRY_RENDITIONS,  /* counts toward IMS_JOB_RENDITION_ATTEMPTS */
} ImsJobRetryReason;

/* Starts the pool.  Transfer full. */
ImsJobQueue *ims_job_queue_new(const ImsJobQueueConfig *config);

/* The backoff before the next attempt after failed_attempts failed ones:
 * 2^failed_attempts seconds, at most max_seconds. */
int ims_job_queue_backoff_seconds(int failed_attempts, int max_seconds);

/* Queues take for a worker (transfer full).  FALSE if its take id is in the
 * queue already (queued, working, waiting), was done lately, or the queue is
 * stopping, or the pool refused it: take is then freed.  Never waits. */
gboolean ims_job_queue_add(ImsJobQueue *queue, ImsQueuedTake *take);

/* TRUE if a take of this id is in the queue or was done lately. */
gboolean ims_job_queue_knows(ImsJobQueue *queue, const char *take_id);

/* Takes back a reported take whose attempt failed: queued again after the
 * backoff; its attempt count grows by one, and with IMS_JOB_RETRY_RENDITIONS
 * its rendition failures too.  Returns the delay in seconds, or -1 if the
 * queue is stopping: take is then dropped (freed; the database still lists
 * it).  Never waits. */
int ims_job_queue_retry(ImsJobQueue *queue, ImsQueuedTake *take, ImsJobRetryReason reason);

/* A reported take is finished: freed, and refused if it comes again. */
void ims_job_queue_done(ImsJobQueue *queue, ImsQueuedTake *take);
/* A reported take is given up for this run: freed, not remembered. */
void ims_job_queue_drop(ImsJobQueue *queue, ImsQueuedTake *take);

/* How many takes wait for a worker, are being worked on, wait for a retry.
 * Any thread. */
void ims_job_queue_get_counts(ImsJobQueue *queue, guint *queued, guint *working, guint *waiting);

/* Stops: nothing is added or retried any more, the retry timers are
 * cancelled and queued takes will not run.  Waits for the takes being worked
 * on (as long as their attempt takes), then runs the main context until
 * nothing is pending there, so their reports run inside this call.  Takes
 * stay (freed by ims_job_queue_free).  Main context; once. */
void ims_job_queue_stop(ImsJobQueue *queue);

/* Stops if not stopped yet, frees every take left and the queue. */
void ims_job_queue_free(ImsJobQueue *queue);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsJobQueue, ims_job_queue_free)

G_END_DECLS
