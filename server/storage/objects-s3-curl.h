/* objects-s3-curl.h: S3 multipart upload over libcurl (internal to the S3 store).
 *
 * Debian 12's libs3 is version 2.0, which has no multipart API (no
 * S3_initiate_multipart / S3_upload_part), so objects-s3.c hands large files
 * to this file: initiate, upload the parts in order, complete, and abort the
 * upload on any failure.  Requests are signed with AWS signature V2, like
 * libs3 2.0's.  Blocking and thread-safe (each call owns its curl handle).
 */
#pragma once

#include <glib.h>

#include "objects.h"

G_BEGIN_DECLS

/* Once per process, before any other call here (objects-s3.c does it inside
 * its g_once). */
void ims_s3_curl_global_init(void);

/* Uploads the size bytes of fd (read from offset 0 on, in order) to key in
 * parts of part_bytes, feeding every byte read to sha.  Any existing object
 * at key is replaced.  On failure returns FALSE with an IMS_OBJECTS_ERROR
 * (LOCAL if fd could not be read, otherwise UNAVAILABLE or REFUSED), after
 * trying to abort the upload so the service drops the parts. */
gboolean ims_s3_curl_multipart_upload(const ImsObjectStoreConfig *config, const char *key, int fd,
                                      gint64 size, const char *content_type, gint64 part_bytes,
                                      GChecksum *sha, GError **error);

/* TRUE if the bucket lists (GET /bucket?max-keys=1) with these credentials;
 * otherwise FALSE with IMS_OBJECTS_ERROR_UNAVAILABLE or _REFUSED. */
gboolean ims_s3_curl_ping(const ImsObjectStoreConfig *config, GError **error);

G_END_DECLS
