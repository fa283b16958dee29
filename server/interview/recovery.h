/* recovery.h: crash recovery, the takes (and live rooms' recordings) a
 * previous run left recording.
 *
 * A take whose row still says RECORDING when imsd starts was cut by a crash
 * (or a kill): its Matroska file stays playable up to the last cluster that
 * reached the disk.  Recovery keeps it as interrupted (stop reason "crash")
 * with the size of its file and a duration estimated from the file's last
 * write, and announces it (candidate.response_submitted, status
 * interrupted) in the same transaction, so the processor makes its
 * renditions like any finished take's and its media.* events belong to a
 * response.  A live room (docs/live-rooms.md, "Crash") with recordings left
 * RECORDING gets the same: each becomes interrupted with its file's size
 * and a duration from its segment's start to the file's last write (the
 * candidate's camera file is the take above, announced once), its open
 * segment closes at the last write, and the room stays live: its members
 * rejoin into a new segment of the same question.  A spool directory
 * belongs to one imsd instance: only the
 * takes written under ours are ours; other instances sharing the database
 * keep recording theirs.
 *
 *   queued (a database WRITE, before the daemon listens) -> run on the
 *   database thread -> done on the main loop (then the processor scans)
 *
 * Threading: start and done on the main loop; the recovery itself runs on
 * the database thread (database.h) and touches only its own copy of the
 * spool path.
 */
#pragma once

#include <glib.h>

#include "database.h"
#include "session.h"

G_BEGIN_DECLS

/* Told, on the main loop before done, the path of each cut file that is a
 * live room's candidate take (the processor removes it once S3 holds it,
 * but the room's composite still needs it after End). */
typedef void (*ImsRecoveryKeepFunc)(const char *path, gpointer user_data);

/* Queues the recovery of the takes and room recordings left open under
 * spool_dir (absolute; copied).  keep_room_take (may be NULL) runs with
 * user_data for each cut candidate take of a live room, before done.  A write: if the database is away it waits for it, and the jobs
 * submitted after it (the sessions' first writes) wait behind it.  done runs
 * on the main loop once it is over, whether it recovered every take or not
 * (a failure is logged; what was not recovered stays RECORDING until the
 * next start).
 * Never waits. */
void ims_recovery_start(ImsDatabase *database, const char *spool_dir,
                        ImsRecoveryKeepFunc keep_room_take, ImsDoneFunc done, gpointer user_data);

G_END_DECLS
