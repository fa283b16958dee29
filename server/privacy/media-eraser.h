/* media-eraser.h: erases stored objects: S3 first (a worker thread), then in
 * one transaction on the database thread their rows and one media.deleted event per
 * object.  If S3 fails nothing in PostgreSQL changes, so a retry starts over
 * (deleting a missing object is not an error).  Used by recruiters' deletions,
 * the retention job and user.deleted. */
#pragma once

#include "objects.h"
#include "database.h"
#include "store.h"

G_BEGIN_DECLS

typedef void (*ImsEraseDone)(const char *error_message, guint erased, gpointer data);

/* What the transaction does to the rows once S3 holds nothing of the files. */
typedef gboolean (*ImsEraseRows)(ImsStore *store, gpointer data, GError **error);

/* files: ImsMediaFile* of user_id, transfer full.  rows runs in the
 * transaction (NULL: the files' rows are marked deleted); media.deleted
 * carries reason and correlation_id.  done runs on the main loop
 * (error_message NULL on success), after the transaction.  Any thread may
 * call it. */
void ims_media_erase(ImsDatabase *database, ImsObjectStore *objects, GPtrArray *files,
                     const char *user_id, const char *reason, const char *correlation_id,
                     ImsEraseRows rows, gpointer rows_data, ImsEraseDone done, gpointer data);

G_END_DECLS
