/* notify.h: what imsd tells systemd (sd_notify(3)), for systemd/imsd.service
 * (Type=notify, WatchdogSec=).
 *
 *   start -> READY=1 once listening -> WATCHDOG=1 every WatchdogSec/2 from the
 *   main loop (a loop that hangs stops them, and systemd restarts imsd)
 *   -> RELOADING=1 ... READY=1 around a SIGHUP reload -> STOPPING=1 at shutdown
 *
 * STATUS= lines say what imsd is doing (systemctl status shows the last).
 * Built with libsystemd (meson finds it; optional): without it, or when
 * NOTIFY_SOCKET is not set (not started by systemd), every call does nothing.
 *
 * Threading: main loop.  A call sends one datagram on a local socket and
 * does not wait.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* READY=1 with STATUS=status. */
void ims_notify_ready(const char *status);

/* STATUS=status alone. */
void ims_notify_status(const char *status);

/* RELOADING=1 with STATUS=status (ims_notify_ready() ends it). */
void ims_notify_reloading(const char *status);

/* STOPPING=1 with STATUS=status. */
void ims_notify_stopping(const char *status);

/* If systemd asks for a watchdog (WATCHDOG_USEC for this process), sends
 * WATCHDOG=1 now and then every half of its interval from the default main
 * context, and returns the source's id (g_source_remove() stops it).
 * 0 if no watchdog is asked for. */
guint ims_notify_watchdog_start(void);

G_END_DECLS
