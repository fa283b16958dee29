/* room-media.h: binds a live room's media seam (ImsRoomMediaOps, room.h) to
 * the media engine: a publisher is an ImsReceiver (pipelines/ingest/
 * receiver.h), a subscriber an ImsSender (sender.h) created on its
 * publisher's receiver. */
#pragma once

#include "room.h"
#include "session-media.h"

G_BEGIN_DECLS

/* The ops table; pass an ImsMediaIngestData* (the sessions' media settings:
 * loops, bitrates, network, profiles) as the room context's media_data. */
const ImsRoomMediaOps *ims_room_media_ops(void);

G_END_DECLS
