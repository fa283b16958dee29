/* media.h: binds the session's media seam (ImsMediaOps) to ImsIngest. */
#pragma once

#include "ingest.h"
#include "profile.h"
#include "session.h"

G_BEGIN_DECLS

/* What the ops need: the server's ingest settings, and the profiles that
 * narrow them per session (accepted video codecs). */
typedef struct {
  ImsIngestConfig ingest;
  const ImsProfileSet *profiles;    /* may be NULL */
} ImsMediaIngestData;

/* The ops table; pass an ImsMediaIngestData* as the context's media_data. */
const ImsMediaOps *ims_media_ingest_ops(void);

G_END_DECLS
