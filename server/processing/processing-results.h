/* processing-results.h: what one attempt at a take stored, on its way to the
 * database with the events that announce it.
 *
 * An attempt's results are one database write (IMS_DATABASE_WRITE: kept and
 * retried until the database has it):
 *   each object S3 confirmed: its media_files row with its media.uploaded,
 *     one transaction each;
 *   then, when the take is done (ims_processing_results_finish): the take's
 *     row where decoding changed it, takes.processed_at with the processing
 *     status, and media.processed (every rendition stored; read back from
 *     media_files) or media.processing_failed, in one transaction.
 * A step that committed is not run again, and on a retry a step whose commit
 * went unseen (its event ids are taken: IMS_STORE_ERROR_CONFLICT) counts as
 * written.  Events are made once: a retry writes the same event ids.
 *
 *   new -> (finish) -> submitted -> recorded (done, main context) -> freed
 *
 * Threads: made, finished and submitted on the main loop; the write runs on
 * the database thread and touches only its results; done runs on the main
 * context.
 */
#pragma once

#include <glib.h>

#include "database.h"
#include "records.h"

G_BEGIN_DECLS

typedef struct _ImsProcessingResults ImsProcessingResults;

/* The results of an attempt at job's take (job is copied): files
 * (ImsMediaFile*, transfer full) are the objects S3 confirmed in it, each
 * announced by a media.uploaded naming bucket.  bucket NULL: there is no S3
 * (files is then empty, and a finished take gets no media.processed).
 * queued_at: monotonic time the take was first queued (media.processed's
 * processingDuration).  Never waits.  Transfer full. */
ImsProcessingResults *ims_processing_results_new(const ImsProcessingJob *job, GPtrArray *files,
                                                 const char *bucket, gint64 queued_at);

/* The take is done once these results are written: status "processed",
 * "repaired" or "failed" (static); error_text why it failed (NULL unless
 * failed: then media.processing_failed goes instead of media.processed, with
 * attempts and original_stored); updated (transfer full, may be NULL) the
 * take's row to write first (what decoding found, or failed).  Never waits. */
void ims_processing_results_finish(ImsProcessingResults *results, const char *status,
                                   const char *error_text, int attempts, gboolean original_stored,
                                   ImsTake *updated);

/* Runs on the main context once the write is over: recorded are the files
 * (ImsMediaFile*, transfer none) in the database now, even when a later step
 * failed; error is NULL when everything was written (a finished take is then
 * processed). */
typedef void (*ImsProcessingResultsDone)(gpointer data, const GPtrArray *recorded,
                                         const GError *error);

/* Queues the write (takes ownership of results; freed after done).  what
 * names it in log lines.  Never waits; done runs once. */
void ims_processing_results_submit(ImsProcessingResults *results, ImsDatabase *database,
                                   const char *what, ImsProcessingResultsDone done, gpointer data);

G_END_DECLS
