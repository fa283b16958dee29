/* media.h: binds the session's media seam (ImsMediaOps) to a receive path:
 * ImsIngest (webrtcbin, pipelines/ingest.h) or ImsReceiver (pipelines/ingest/receiver.h),
 * as [media] ingest says. */
#pragma once

#include "ingest.h"
#include "media-loop.h"
#include "profile.h"
#include "session.h"

G_BEGIN_DECLS

/* What the ops need: the server's ingest settings, and the profiles that
 * narrow them per session (accepted video codecs). */
typedef struct {
  ImsIngestConfig ingest;
  const ImsProfileSet *profiles;    /* may be NULL */
  ImsMediaLoops *loops;             /* non-NULL: the receiver path, on these loops */
  guint target_kbps;                /* receiver path: REMB */
} ImsMediaIngestData;

/* The ops table; pass an ImsMediaIngestData* as the context's media_data. */
const ImsMediaOps *ims_media_ingest_ops(void);

G_END_DECLS
