/* media.h: binds the session's media seam (ImsMediaOps) to ImsIngest. */
#pragma once

#include "ingest.h"
#include "session.h"

G_BEGIN_DECLS

/* The ops table; pass an ImsIngestConfig* as the context's media_data. */
const ImsMediaOps *ims_media_ingest_ops(void);

G_END_DECLS
