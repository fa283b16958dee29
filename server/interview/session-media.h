/* session-media.h: binds the session's media seam (ImsMediaOps) to the receive path,
 * ImsReceiver (pipelines/ingest/receiver.h). */
#pragma once

#include "media-loop.h"
#include "profile.h"
#include "session.h"
#include "take-result.h"
#include "transport.h"

G_BEGIN_DECLS

/* What the ops need: the server's media settings, and the profiles that
 * narrow them per session (accepted video codecs). */
typedef struct {
  const ImsProfileSet *profiles; /* may be NULL */
  ImsMediaLoops *loops;          /* the receive path's threads */
  guint video_start_kbps;        /* x-google-start-bitrate in the answer, 0 = none */
  guint target_kbps;             /* REMB: the bitrate the browser is asked for */
  ImsTransportNetwork network;   /* where ICE gathers, what it advertises (strings borrowed) */
} ImsMediaIngestData;

/* The ops table; pass an ImsMediaIngestData* as the context's media_data. */
const ImsMediaOps *ims_media_ingest_ops(void);

G_END_DECLS
