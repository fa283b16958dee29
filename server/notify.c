/* notify.c: sd_notify(3) for systemd/imsd.service; see notify.h. */
#define G_LOG_DOMAIN "imsd.server"

#include "notify.h"

#ifdef IMSD_HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

/* Sends state (KEY=value lines) to systemd; nothing without libsystemd or
 * outside systemd.  A failure to send is logged at debug level only: imsd
 * works the same unsupervised. */
static void
notify(const char *state)
{
#ifdef IMSD_HAVE_LIBSYSTEMD
  int sent = sd_notify(0, state);
  if (sent < 0)
    g_debug("sd_notify: %s", g_strerror(-sent));
#else
  (void) state;
#endif
}

/* state and a STATUS= line (newlines in status become spaces). */
static void
notify_with_status(const char *state, const char *status)
{
  g_autofree char *line = g_strdelimit(g_strdup(status ? status : ""), "\n", ' ');
  g_autofree char *message = state ? g_strdup_printf("%s\nSTATUS=%s", state, line)
                                   : g_strdup_printf("STATUS=%s", line);
  notify(message);
}

void
ims_notify_ready(const char *status)
{
  notify_with_status("READY=1", status);
}

void
ims_notify_status(const char *status)
{
  notify_with_status(NULL, status);
}

void
ims_notify_reloading(const char *status)
{
  notify_with_status("RELOADING=1", status);
}

void
ims_notify_stopping(const char *status)
{
  notify_with_status("STOPPING=1", status);
}

#ifdef IMSD_HAVE_LIBSYSTEMD
static gboolean
on_watchdog(gpointer data)
{
  (void) data;
  notify("WATCHDOG=1");
  return G_SOURCE_CONTINUE;
}
#endif

guint
ims_notify_watchdog_start(void)
{
#ifdef IMSD_HAVE_LIBSYSTEMD
  uint64_t interval_usec = 0;
  if (sd_watchdog_enabled(0, &interval_usec) <= 0 || interval_usec == 0)
    return 0;
  guint period_ms = (guint) MAX(interval_usec / 2 / 1000, 1);
  g_message("systemd watchdog: WATCHDOG=1 every %u ms", period_ms);
  on_watchdog(NULL);
  return g_timeout_add(period_ms, on_watchdog, NULL);
#else
  return 0;
#endif
}
