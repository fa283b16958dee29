/* spool-files.h: removing what a take left in the spool directory.
 *
 * A take's spool is a recording file and, beside it, a "<file>.renditions" directory of files (no
 * deeper).  Two callers remove them: the processor once S3 holds everything (server/processing/processor.c), and
 * a user's erasure (server/privacy/user-events.c).  Both use this one remover.
 *
 * base/ is the bottom layer: GLib only, no state.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Removes path: a file, or a directory with the files directly inside it (one level; a subdirectory
 * stays, and so does its parent).  A path that does not exist, or that cannot be removed, is left as
 * it is, silently: the spool is cleaned again on the next run.  Cost: one unlink per file, on the
 * calling thread. */
void ims_spool_remove(const char *path);

G_END_DECLS
