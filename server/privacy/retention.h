/* retention.h: erases media past its company's retention.
 *
 * Every interval the job lists stored objects older than their company's
 * number of days ([review] retention_days, overridden per company by
 * retention_days_by_company) and erases them session by session through
 * the media eraser: S3 first, then the rows and media.deleted (reason
 * retention).  A live room's objects (its uploaded recordings and its
 * composite, as old as the room's end) expire the same way, with its
 * candidate session's; once they are erased, what the room left in the
 * spool goes too: every recording's file with its ".composite" link and
 * ".renditions" folder, composite-<room id>.mp4 and the session's folder
 * (read on the database thread with load_session and load_room).  A run
 * that fails is simply repeated by the next one.
 */
#pragma once

#include "objects.h"
#include "database.h"

G_BEGIN_DECLS

typedef struct _ImsRetention ImsRetention;

/* NULL (nothing to do) when no company keeps media for a limited time.
 * by_company: "companyA=30;companyB=90".  FALSE-like NULL with error on a
 * malformed by_company.  Transfer full. */
ImsRetention *ims_retention_new(ImsDatabase *database, ImsObjectStore *objects, int default_days,
                                const char *by_company, int interval_seconds, GError **error);
/* Erasures in flight (shutdown waits for them). */
guint ims_retention_running(ImsRetention *retention);
void ims_retention_free(ImsRetention *retention);

G_END_DECLS
