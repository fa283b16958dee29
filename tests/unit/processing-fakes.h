/* processing-fakes.h: fakes at the seams the processor uses, for
 * test-processor.c.
 *
 * ImsFakeMediaStore is privacy-fakes.h's ImsFakeStore (transactions, the
 * log, the events appended) with the processing operations: its media table
 * (the takes to list as unprocessed, the media_files rows added, the takes
 * finished with their status and error) and sessions.update_take.  Each
 * operation logs one line ("list_unprocessed_takes", "add_media_file t1
 * thumbnail", "finish_processing t1 failed", "update_take t1 failed").
 * ImsFakeUploads is privacy-fakes.h's ImsFakeObjects with a put_file that
 * records the keys it was given (and when), and can fail the next calls.  Both are called on the
 * database thread or the processing workers: their state is behind a lock.
 */
#pragma once

#include "objects.h"
#include "privacy-fakes.h"

typedef struct {
  ImsFakeStore fake;        /* first; fake.lock protects what follows too */
  GPtrArray *unprocessed;   /* ImsProcessingJob*: listed (copies) until finished */
  GPtrArray *media_files;   /* ImsMediaFile*: rows added, at most one per take and kind */
  GHashTable *finished;     /* take id -> "status" or "status: error text" */
  GPtrArray *updated_takes; /* ImsTake*: copies of what update_take wrote */
} ImsFakeMediaStore;

typedef struct {
  ImsFakeObjects fake; /* first (delete_object, bucket); fake.lock protects the rest */
  GPtrArray *keys;     /* char*: keys stored, in order */
  GArray *put_times;   /* gint64, monotonic: when each put_file came (failed too) */
  int fail_next;       /* the next this many put_file calls fail (UNAVAILABLE) */
  gint ping_down;      /* atomic: ping fails (the bucket does not answer) */
  gint pings;          /* atomic: ping calls */
} ImsFakeUploads;

void ims_fake_media_store_init(ImsFakeMediaStore *store);
void ims_fake_media_store_clear(ImsFakeMediaStore *store);
/* Lists job (transfer full) as unprocessed. */
void ims_fake_media_store_add_job(ImsFakeMediaStore *store, ImsProcessingJob *job);
/* What finish_processing recorded for the take ("processed", "failed: why"),
 * NULL if it was not called.  Transfer full. */
char *ims_fake_media_store_finished(ImsFakeMediaStore *store, const char *take_id);
/* Kinds of the media_files rows of the take, sorted, joined with ","
 * (transfer full). */
char *ims_fake_media_store_kinds(ImsFakeMediaStore *store, const char *take_id);
/* Iterates the default main context until the take is finished, or timeout_ms
 * pass; TRUE if it was. */
gboolean ims_fake_media_store_wait_finished(ImsFakeMediaStore *store, const char *take_id,
                                            guint timeout_ms);
/* How many appended events have this eventType. */
guint ims_fake_media_store_count_events(ImsFakeMediaStore *store, const char *event_type);
/* The index of the first appended event of this eventType, -1 if none. */
int ims_fake_media_store_find_event(ImsFakeMediaStore *store, const char *event_type);

void ims_fake_uploads_init(ImsFakeUploads *uploads);
void ims_fake_uploads_clear(ImsFakeUploads *uploads);
/* put_file calls so far, failed ones included. */
guint ims_fake_uploads_calls(ImsFakeUploads *uploads);
/* Keys stored that end with suffix. */
guint ims_fake_uploads_count(ImsFakeUploads *uploads, const char *suffix);

/* A job for a take of session s1 (question q1 of interview i1, user u1) at
 * path, completed, with duration and codecs (so it is not decoded first)
 * under profile.  Transfer full. */
ImsProcessingJob *ims_fake_job(const char *take_id, const char *path, const char *profile);
