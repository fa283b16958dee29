/* room-composite.h: what happens to a live room's recordings after End.
 *
 * For every ended room whose composite is not made yet:
 *
 *   loading  (database thread: the room with its participants, segments and
 *            recordings, and its candidate session for the questions' text)
 *   -> processing (rooms.set_composite "processing")
 *   -> working (the compositor's one worker thread): every recording that is
 *            not the candidate's camera take (those are the processor's:
 *            processor.h) and has no object key yet is uploaded to
 *            rooms/<roomId>/<segment>-<participantId>-<stream>.mkv; then the
 *            composite (composite.h) is made in the spool and uploaded to
 *            rooms/<roomId>/composite.mp4
 *   -> written (database thread): update_recording with each new key, one
 *            statement each; then set_composite with the outcome:
 *              ready (key, size, chapters) with media.uploaded (kind
 *                composite, responseId null) in the same transaction; the
 *                uploaded recordings' and the composite's spool files go;
 *              failed: the composite cannot be made from the files (counted
 *                by the store: list_rooms_to_composite retries a room a few
 *                times);
 *              pending: S3 or the disk failed (nothing counted): tried again
 *                at the next scan for as long as it takes; a composite made
 *                already is kept (in the spool) and not made again in this run.
 *            If set_composite finds no room (the candidate's user.deleted
 *            erased it while the attempt ran), what the attempt stored is
 *            deleted in S3 (a worker thread, objects.h), its spool files and
 *            the takes' links go, and the room is forgotten: no orphan stays.
 *
 * A room comes in two ways: ims_room_compositor_room_ended (the room runtime,
 * once its End is written) and the scan (list_rooms_to_composite: at start,
 * for rooms a previous run ended or left processing when it crashed, and
 * every 30 s, for failures to retry).  A room that is being handled is not
 * started twice: the scan lists the rooms processing too, and skips those
 * this run is handling.  Without S3 the composite
 * is made and stays in the spool: set_composite ready with no key and no event.
 *
 * The candidate's takes reach the processor while the room is live, and it
 * removes a take's file once S3 holds it: ims_room_compositor_keep_take
 * (called as each take goes to the processor) keeps a hard link for the
 * composite, removed once the composite is stored.
 *
 * Threads: every function here is for the main loop's thread; the worker
 * owns its room's job between the main loop handing it over and its report
 * (g_main_context_invoke); it reads only the config.  Nothing is locked.
 */
#pragma once

#include <glib.h>

#include "database.h"
#include "objects.h"
#include "profile.h"

G_BEGIN_DECLS

typedef struct _ImsRoomCompositor ImsRoomCompositor;

typedef struct {
  ImsDatabase *database;         /* its jobs are submitted from the main loop */
  ImsObjectStore *objects;       /* NULL: no S3 */
  const ImsProfileSet *profiles; /* the room's type names its profile ("default" if none) */
  const char *spool_dir;         /* composites are made in it: composite-<roomId>.mp4 */
  int canvas_height;             /* the composite's height; 0: the profile's (at most 720) */
} ImsRoomCompositorConfig;

/* The compositor, with its worker thread and its 30 s scan timer (the first
 * scan is the caller's: ims_room_compositor_scan once the database runs).
 * config's pointers must outlive it.  Transfer full. */
ImsRoomCompositor *ims_room_compositor_new(const ImsRoomCompositorConfig *config);

/* The room has ended and its End is written: its recordings are uploaded and
 * its composite made (see above), unless the room is being handled already.
 * Never waits: one database read is queued. */
void ims_room_compositor_room_ended(ImsRoomCompositor *compositor, const char *room_id);

/* A live room's candidate take is final and goes to the processor, which
 * removes its file from the spool once S3 holds it (after End the composite
 * still needs it): a hard link <path>.composite keeps it, and is removed once
 * the room's composite is stored.  Call it before the processor gets the
 * take.  Never waits (one link(2)); a failure is logged: the composite then
 * shows that segment's candidate black if the processor was first. */
void ims_room_compositor_keep_take(ImsRoomCompositor *compositor, const char *path);

/* Starts every room list_rooms_to_composite lists that is not being handled.
 * Never waits: one read on the database thread (one at a time; a call during
 * one asks for another after it). */
void ims_room_compositor_scan(ImsRoomCompositor *compositor);

/* Stops: no room is started any more; waits for the room being worked on (as
 * long as its uploads and composite take), whose results are submitted to the
 * database (the answers free the compositor, or the next start lists the room
 * again), then frees.  Rooms loading or queued are left for the next start. */
void ims_room_compositor_free(ImsRoomCompositor *compositor);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsRoomCompositor, ims_room_compositor_free)

G_END_DECLS
