/* Unit tests for server/notify.c: what imsd tells systemd.  The test binds
 * an AF_UNIX datagram socket in a temporary directory and points
 * NOTIFY_SOCKET at it, as systemd does for a Type=notify service, then reads
 * what each call sent: READY=1, RELOADING=1, STOPPING=1 with their STATUS=
 * lines, and WATCHDOG=1 at once and every half of WATCHDOG_USEC from the main
 * context.  Built without libsystemd, notify.c sends nothing: the tests are
 * skipped then. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"

typedef struct {
  char *directory;
  char *socket_path;
  int socket_fd;
} Fixture;

static int
setup(void **state)
{
  Fixture *fixture = g_new0(Fixture, 1);
  fixture->directory = g_dir_make_tmp("test-notify-XXXXXX", NULL);
  assert_non_null(fixture->directory);
  fixture->socket_path = g_build_filename(fixture->directory, "notify", NULL);
  fixture->socket_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  assert_true(fixture->socket_fd >= 0);
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  g_strlcpy(address.sun_path, fixture->socket_path, sizeof address.sun_path);
  assert_int_equal(bind(fixture->socket_fd, (struct sockaddr *) &address, sizeof address), 0);
  g_setenv("NOTIFY_SOCKET", fixture->socket_path, TRUE);
  g_unsetenv("WATCHDOG_USEC");
  g_unsetenv("WATCHDOG_PID");
  *state = fixture;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *fixture = *state;
  g_unsetenv("NOTIFY_SOCKET");
  g_unsetenv("WATCHDOG_USEC");
  g_unsetenv("WATCHDOG_PID");
  close(fixture->socket_fd);
  g_unlink(fixture->socket_path);
  g_rmdir(fixture->directory);
  g_free(fixture->socket_path);
  g_free(fixture->directory);
  g_free(fixture);
  return 0;
}

/* The next datagram on the socket, waiting up to timeout_ms; NULL if none
 * came.  Transfer full. */
static char *
receive(Fixture *fixture, int timeout_ms)
{
  struct pollfd pollfd = { .fd = fixture->socket_fd, .events = POLLIN };
  if (poll(&pollfd, 1, timeout_ms) != 1)
    return NULL;
  char buffer[4096];
  ssize_t length = recv(fixture->socket_fd, buffer, sizeof buffer - 1, 0);
  assert_true(length >= 0);
  return g_strndup(buffer, (gsize) length);
}

/* The next datagram is expected, within a second. */
static void
assert_received(Fixture *fixture, const char *expected)
{
  g_autofree char *datagram = receive(fixture, 1000);
  if (!datagram)
    fail_msg("nothing sent; expected “%s”", expected);
  assert_string_equal(datagram, expected);
}

static void
skip_without_libsystemd(void)
{
#ifndef IMSD_HAVE_LIBSYSTEMD
  skip();
#endif
}

static void
test_ready_reloading_stopping_carry_their_status(void **state)
{
  Fixture *fixture = *state;
  skip_without_libsystemd();
  ims_notify_ready("listening");
  assert_received(fixture, "READY=1\nSTATUS=listening");
  ims_notify_reloading("reloading the TLS certificate");
  assert_received(fixture, "RELOADING=1\nSTATUS=reloading the TLS certificate");
  /* a newline in a status would start another assignment: it is a space */
  ims_notify_status("starting\nMAINPID=1");
  assert_received(fixture, "STATUS=starting MAINPID=1");
  ims_notify_stopping("stopping: finalizing open takes");
  assert_received(fixture, "STOPPING=1\nSTATUS=stopping: finalizing open takes");
}

static void
test_no_watchdog_unless_asked(void **state)
{
  Fixture *fixture = *state;
  skip_without_libsystemd();
  assert_int_equal(ims_notify_watchdog_start(), 0);
  /* WATCHDOG_PID names another process: not ours to feed */
  g_setenv("WATCHDOG_USEC", "200000", TRUE);
  g_autofree char *other = g_strdup_printf("%d", (int) getpid() + 1);
  g_setenv("WATCHDOG_PID", other, TRUE);
  assert_int_equal(ims_notify_watchdog_start(), 0);
  g_autofree char *nothing = receive(fixture, 100);
  assert_null(nothing);
}

static gboolean
on_stop(gpointer loop)
{
  g_main_loop_quit(loop);
  return G_SOURCE_REMOVE;
}

static void
test_watchdog_every_half_interval_from_the_loop(void **state)
{
  Fixture *fixture = *state;
  skip_without_libsystemd();
  g_setenv("WATCHDOG_USEC", "200000", TRUE); /* 200 ms: WATCHDOG=1 every 100 ms */
  g_autofree char *pid = g_strdup_printf("%d", (int) getpid());
  g_setenv("WATCHDOG_PID", pid, TRUE);
  guint source = ims_notify_watchdog_start();
  assert_true(source != 0);
  assert_received(fixture, "WATCHDOG=1");

  /* nothing more until the loop runs */
  g_autofree char *early = receive(fixture, 150);
  assert_null(early);
  g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
  g_timeout_add(550, on_stop, loop);
  g_main_loop_run(loop);
  int pings = 0;
  for (char *ping; (ping = receive(fixture, 0)); g_free(ping)) {
    assert_string_equal(ping, "WATCHDOG=1");
    pings++;
  }
  /* 550 ms of loop, one every 100 ms (the one due while the loop did not
   * run comes at once); a loaded machine may run the loop late */
  if (pings < 2 || pings > 7)
    fail_msg("%d WATCHDOG=1 in 550 ms of the loop; expected about 5", pings);
  g_source_remove(source);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_ready_reloading_stopping_carry_their_status, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_no_watchdog_unless_asked, setup, teardown),
    cmocka_unit_test_setup_teardown(test_watchdog_every_half_interval_from_the_loop, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
