/* privacy-fakes.h: fakes at the store and object-store seams for the tests
 * of the erasure paths (test-media-eraser.c, test-retention.c,
 * test-user-events.c, test-outbox-retention.c); the processor's tests build on the store
 * (processing-fakes.h).
 *
 * ImsFakeStore is an ImsStore whose media, erasure and consumed-event
 * operations write one line each to a log ("begin", "mark_media_deleted f1",
 * "append_events 2", "commit", ...) and keep the events appended.  A single
 * operation can be made to fail (fail_op: a log line such as "commit").
 * ImsFakeObjects is an ImsObjectStore whose delete_object records the keys
 * and can refuse some of them a number of times.  Both are called on the
 * database thread or on the eraser's worker: their state is behind a lock.
 */
#pragma once

#include "database.h"
#include "objects.h"
#include "store.h"

typedef struct {
  ImsStore base;
  GMutex lock;       /* protects everything below */
  GPtrArray *log;    /* char*: the operations, in order */
  GPtrArray *events; /* ImsOutboxEvent*: appended (committed or not) */
  char *fail_op;     /* the log line that fails once (NULL: none) */
  gboolean in_transaction;
  /* list_user_media_files, list_user_take_paths */
  GPtrArray *user_files; /* ImsMediaFile*, copied out */
  GPtrArray *user_paths; /* char*, copied out */
  GHashTable *processed; /* event id -> "" */
  /* list_expired_media_files: company id ("*" for the rest) -> ImsMediaFile* array,
   * and the parallel users */
  GHashTable *expired_files;
  GHashTable *expired_users;
} ImsFakeStore;

typedef struct {
  ImsObjectStore base;
  GMutex lock;
  GPtrArray *deleted; /* char*: keys whose delete was asked and succeeded */
  GHashTable *refuse; /* key -> GINT_TO_POINTER(times left to refuse) */
} ImsFakeObjects;

void ims_fake_store_init(ImsFakeStore *store);
void ims_fake_store_clear(ImsFakeStore *store);
/* Logs a line (the format's) for a fake operation; FALSE with a query error
 * if it is fail_op (which then fails no more).  Any thread. */
gboolean ims_fake_store_record(ImsFakeStore *store, GError **error, const char *format, ...)
    G_GNUC_PRINTF(3, 4);
/* The log joined with "|" (transfer full). */
char *ims_fake_store_log(ImsFakeStore *store);
/* Lines of the log that start with prefix. */
guint ims_fake_store_count(ImsFakeStore *store, const char *prefix);

void ims_fake_objects_init(ImsFakeObjects *objects);
void ims_fake_objects_clear(ImsFakeObjects *objects);
void ims_fake_objects_refuse(ImsFakeObjects *objects, const char *key, int times);
gboolean ims_fake_objects_deleted(ImsFakeObjects *objects, const char *key);

/* A copy of every field of file (transfer full). */
ImsMediaFile *ims_fake_media_file_copy(const ImsMediaFile *file);
/* A media file of session_id with key "k-<id>" (transfer full). */
ImsMediaFile *ims_fake_media_file(const char *id, const char *session_id, gint64 size_bytes);

/* Iterates the default main context until *flag becomes nonzero or
 * timeout_ms pass; TRUE if it did. */
gboolean ims_fake_wait(const int *flag, guint timeout_ms);

/* The string (or integer, as text) member of an appended event's envelope:
 * "eventType", "correlationId", or "payload.<member>".  Transfer full; NULL if
 * absent. */
char *ims_fake_event_field(ImsFakeStore *store, guint index, const char *member);
