/* media-loop.h: a fixed set of media loop threads for the receive path.
 *
 * An ImsMediaLoops owns N threads (about one per core), each running its own
 * GMainContext + GMainLoop.  Every peer's transport (transport.h) is assigned
 * to one loop for its whole life, the least-loaded one at the time it is
 * created, and everything that peer does per packet (ICE, DTLS, SRTP, RTP
 * parsing, writing) runs on that loop's thread: nothing per packet crosses a
 * thread.  The number of threads never depends on the number of peers.
 *
 * Lifecycle: ims_media_loops_new() starts the threads -> peers acquire and
 * release loops -> ims_media_loops_free() quits every loop and joins its
 * thread.
 *
 * Threads: ims_media_loops_acquire(), ims_media_loop_release(),
 * ims_media_loop_invoke() and the getters may be called from any thread.
 * Locks: ImsMediaLoops.lock protects the load counts only; nothing is called
 * with it held.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _ImsMediaLoops ImsMediaLoops;
typedef struct _ImsMediaLoop ImsMediaLoop;

/* Starts n_threads media loop threads (0: one per core, g_get_num_processors(),
 * at most 64).  Returns the set (transfer full: free with
 * ims_media_loops_free()), or NULL with error set if a thread could not be
 * started (then nothing is left running). */
ImsMediaLoops *ims_media_loops_new(guint n_threads, GError **error);

/* Quits every loop after the work already queued on it has run, joins the
 * threads and frees the set.  Peers still holding a loop are a caller bug
 * (logged as a warning); their sources are destroyed with the contexts.
 * Must not be called from a media loop thread.  NULL is ignored. */
void ims_media_loops_free(ImsMediaLoops *loops);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsMediaLoops, ims_media_loops_free)

/* Number of loop threads in the set. */
guint ims_media_loops_get_n_loops(ImsMediaLoops *loops);

/* Loop number index (0 .. n-1), borrowed. */
ImsMediaLoop *ims_media_loops_get_loop(ImsMediaLoops *loops, guint index);

/* Picks the loop with the fewest peers (ties: the lowest index), counts one
 * more peer on it and returns it (borrowed: valid until the set is freed).
 * Pair with ims_media_loop_release(). */
ImsMediaLoop *ims_media_loops_acquire(ImsMediaLoops *loops);

/* Counts one more peer on this very loop (a sender that must live on its
 * publisher's loop, sender.h).  Pair with ims_media_loop_release(). */
void ims_media_loop_hold(ImsMediaLoop *loop);

/* Counts one peer less on loop (after ims_media_loops_acquire() or ims_media_loop_hold()). */
void ims_media_loop_release(ImsMediaLoop *loop);

/* Peers currently counted on loop. */
guint ims_media_loop_get_load(ImsMediaLoop *loop);

/* The loop's context (borrowed): attach a peer's sources here. */
GMainContext *ims_media_loop_get_context(ImsMediaLoop *loop);

/* TRUE when called on loop's own thread. */
gboolean ims_media_loop_is_current(ImsMediaLoop *loop);

/* Runs func(data) once on loop's thread: directly when called on that
 * thread, else from an idle source at priority G_PRIORITY_DEFAULT (so it runs
 * after what is already queued there).  notify(data), if not NULL, is called
 * after func, on the loop thread, or when the loop is freed before func ran.
 * Cost: one source and one wakeup when called from another thread. */
void ims_media_loop_invoke(ImsMediaLoop *loop, GSourceFunc func, gpointer data,
                           GDestroyNotify notify);

/* CPU time (user + system) the loop thread has used, in seconds, or -1 if
 * the platform cannot tell.  For benchmarks. */
double ims_media_loop_get_cpu_seconds(ImsMediaLoop *loop);

G_END_DECLS
