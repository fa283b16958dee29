/* objects.h: the seam to S3-compatible object storage (MinIO, AWS, s3rver).
 *
 * The rest of imsd sees an ImsObjectStore, a small table of functions; only
 * objects-s3.c includes libs3.h.  Functions are blocking and thread-safe: the
 * processing workers call them, never the main loop.  Errors are
 * IMS_OBJECTS_ERROR with the key and the service's reason in the message.
 *
 * Object keys are built here too (ims_object_key_build): every id is checked
 * so that no client-supplied id can make a path trick.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _ImsObjectStore ImsObjectStore;

struct _ImsObjectStore {
  /* Uploads the file at path to key with content_type; multipart above the
   * store's threshold.  On success sets *checksum (transfer full) to the
   * file's SHA-256, hex.  An existing object is replaced (uploads are
   * idempotent: a retry after a crash writes the same bytes). */
  gboolean (*put_file)(ImsObjectStore *store, const char *key, const char *path,
                       const char *content_type, char **checksum, GError **error);
  /* Size of the object, or FALSE with IMS_OBJECTS_ERROR_NOT_FOUND. */
  gboolean (*head)(ImsObjectStore *store, const char *key, gint64 *size, GError **error);
  /* Deletes key; a missing key is not an error. */
  gboolean (*delete_object)(ImsObjectStore *store, const char *key, GError **error);
  /* TRUE if the bucket answers (for /readyz). */
  gboolean (*ping)(ImsObjectStore *store, GError **error);
  /* A URL that lets anyone GET key until now + expires_seconds (query-string
   * authentication, AWS signature V2: AWSAccessKeyId, Expires, Signature),
   * on the public endpoint when the config names one, else on the endpoint.
   * Works with range requests.  Sends nothing, never waits.  Transfer full;
   * NULL + error. */
  char *(*presign_get)(ImsObjectStore *store, const char *key, int expires_seconds, GError **error);
  const char *bucket;
  void (*free)(ImsObjectStore *store);
};

typedef struct {
  const char *endpoint; /* "host:port" (MinIO, s3rver) or "s3.amazonaws.com" */
  /* NULL or "": signed URLs name endpoint.  Else where a reviewer's browser
   * reaches the same service, used only in signed URLs (presign_get):
   * "host[:port]" (HTTPS if use_tls) or "http://host[:port]" / "https://host[:port]". */
  const char *public_endpoint;
  const char *bucket;
  const char *access_key;
  const char *secret_key;
  const char *region; /* may be NULL/"" */
  gboolean use_tls;
  gboolean path_style;              /* TRUE for MinIO and s3rver */
  gint64 multipart_threshold_bytes; /* files larger than this go multipart */
  gint64 multipart_part_bytes;      /* at least 5 MiB */
  int timeout_seconds;              /* per request */
} ImsObjectStoreConfig;

/* libs3 (AWS signature V2, which MinIO accepts).  Transfer full. */
ImsObjectStore *ims_object_store_s3_new(const ImsObjectStoreConfig *config, GError **error);

static inline void
ims_object_store_free(ImsObjectStore *store)
{
  if (store)
    store->free(store);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsObjectStore, ims_object_store_free)

/* "{prefix}/{interviewId}/{sessionId}/{questionId}/take-{n}-{takeId}/{file_name}".
 * The take id (a UUID imsd made) makes every take's keys its own whatever
 * the platform's ids are: two takes never share a key.
 * Ids come from the platform's API and may hold anything: every byte outside
 * [A-Za-z0-9._-] is percent-escaped ("/" -> "%2F", unicode byte by byte), and
 * a segment that is "." or ".." has its dots escaped, so an id is always
 * exactly one segment.  An empty id, one longer than 256 bytes, or invalid
 * UTF-8 is refused (NULL with IMS_OBJECTS_ERROR_BAD_KEY).  prefix is
 * operator config: "/"-separated segments checked the same way (each
 * escaped), or empty.  Transfer full. */
char *ims_object_key_build(const char *prefix, const char *interview_id, const char *session_id,
                           const char *question_id, int take_number, const char *take_id,
                           const char *file_name, GError **error);

#define IMS_OBJECTS_ERROR (ims_objects_error_quark())
GQuark ims_objects_error_quark(void);
typedef enum {
  IMS_OBJECTS_ERROR_BAD_KEY,
  IMS_OBJECTS_ERROR_NOT_FOUND,
  IMS_OBJECTS_ERROR_UNAVAILABLE, /* network, timeout, 5xx: retry later */
  IMS_OBJECTS_ERROR_REFUSED,     /* 4xx other than not found: credentials, bucket */
  IMS_OBJECTS_ERROR_LOCAL,       /* the local file cannot be read */
} ImsObjectsError;

G_END_DECLS
