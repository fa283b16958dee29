/* Unit tests for the gathering side of pipelines/ingest/transport.c under an
 * ImsTransportNetwork ([media] ice_interfaces, public_ip, ice_tcp): which
 * local candidates the transport signals.  Gathers on 127.0.0.1 only (named
 * in interfaces: libnice's own choice would skip loopback), so it needs no
 * network; a real browser over these candidates is tests/browser/reach.test.mjs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "transport.h"

#define PUBLIC_IP "203.0.113.7"

typedef struct {
  ImsMediaLoops *loops;
  GMutex lock;
  GPtrArray *candidates; /* char*, under lock (filled on the loop thread) */
  gboolean done;         /* under lock: gathering done */
} Fixture;

static void
on_local_candidate(ImsTransport *transport, const char *candidate, gpointer data)
{
  Fixture *f = data;
  g_mutex_lock(&f->lock);
  if (candidate != NULL)
    g_ptr_array_add(f->candidates, g_strdup(candidate));
  else
    f->done = TRUE;
  g_mutex_unlock(&f->lock);
}

static const ImsTransportCallbacks callbacks = { .local_candidate = on_local_candidate };

static int
setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  g_autoptr(GError) error = NULL;
  f->loops = ims_media_loops_new(1, &error);
  assert_non_null(f->loops);
  g_mutex_init(&f->lock);
  f->candidates = g_ptr_array_new_with_free_func(g_free);
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *f = *state;
  /* closed transports give their loop back from an idle: wait for it */
  ImsMediaLoop *loop = ims_media_loops_get_loop(f->loops, 0);
  gint64 end = g_get_monotonic_time() + 3 * G_USEC_PER_SEC;
  while (ims_media_loop_get_load(loop) > 0 && g_get_monotonic_time() < end)
    g_usleep(1000);
  assert_int_equal(ims_media_loop_get_load(loop), 0);
  ims_media_loops_free(f->loops);
  g_ptr_array_unref(f->candidates);
  g_mutex_clear(&f->lock);
  g_free(f);
  return 0;
}

/* Gathers with network until done (at most 5 s); the candidates stay in f. */
static void
gather(Fixture *f, const ImsTransportNetwork *network)
{
  g_autoptr(GError) error = NULL;
  ImsMediaLoop *loop = ims_media_loops_acquire(f->loops);
  ImsTransport *transport = ims_transport_new_full(loop, "network", NULL, network, &callbacks, f,
                                                   &error);
  if (transport == NULL)
    fail_msg("ims_transport_new_full: %s", error->message);
  gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
  for (;;) {
    g_mutex_lock(&f->lock);
    gboolean done = f->done;
    g_mutex_unlock(&f->lock);
    if (done || g_get_monotonic_time() > end)
      break;
    g_usleep(1000);
  }
  ims_transport_close(transport);
  g_mutex_lock(&f->lock);
  for (guint i = 0; i < f->candidates->len; i++)
    print_message("candidate %s\n", (char *) g_ptr_array_index(f->candidates, i));
  assert_true(f->done);
  g_mutex_unlock(&f->lock);
}

static guint
count_matching(Fixture *f, const char *a, const char *b)
{
  guint n = 0;
  for (guint i = 0; i < f->candidates->len; i++) {
    const char *line = g_ptr_array_index(f->candidates, i);
    if (strstr(line, a) != NULL && (b == NULL || strstr(line, b) != NULL))
      n++;
  }
  return n;
}

/* The port of a candidate line ("candidate:F C T P ADDR PORT typ ..."). */
static char *
port_of(const char *line)
{
  g_auto(GStrv) fields = g_strsplit(line, " ", -1);
  return g_strdup(fields[5]);
}

/* Without a network: host UDP only, as before ICE-TCP and public_ip. */
static void
test_udp_host_only_by_default(void **state)
{
  Fixture *f = *state;
  const ImsTransportNetwork network = { .interfaces = "127.0.0.1" };
  gather(f, &network);
  assert_true(f->candidates->len >= 1);
  assert_int_equal(count_matching(f, " UDP ", " 127.0.0.1 "), f->candidates->len);
  assert_int_equal(count_matching(f, " TCP ", NULL), 0);
  assert_int_equal(count_matching(f, "srflx", NULL), 0);
}

/* ice_tcp: passive TCP candidates beside UDP, never an active one (port 9);
 * public_ip: every host candidate is followed by its twin on the public
 * address, same port, typ srflx raddr/rport the host's. */
static void
test_ice_tcp_and_public_twins(void **state)
{
  Fixture *f = *state;
  const ImsTransportNetwork network = { .interfaces = " 127.0.0.1 ",
                                        .public_ip = PUBLIC_IP,
                                        .ice_tcp = TRUE };
  gather(f, &network);
  guint udp_hosts = count_matching(f, " UDP ", "typ host");
  guint tcp_hosts = count_matching(f, " TCP ", "typ host tcptype passive");
  assert_int_equal(udp_hosts, 1);
  assert_int_equal(tcp_hosts, 1);
  assert_int_equal(count_matching(f, "tcptype active", NULL), 0);
  assert_int_equal(count_matching(f, "tcptype so", NULL), 0);
  assert_int_equal(f->candidates->len, 4); /* two hosts, two twins */
  for (guint i = 0; i < f->candidates->len; i += 2) {
    const char *host = g_ptr_array_index(f->candidates, i);
    const char *twin = g_ptr_array_index(f->candidates, i + 1);
    assert_non_null(strstr(host, " 127.0.0.1 "));
    assert_non_null(strstr(host, "typ host"));
    g_autofree char *port = port_of(host);
    g_autofree char *expected = g_strdup_printf(
        " " PUBLIC_IP " %s typ srflx raddr 127.0.0.1 rport %s", port, port);
    if (strstr(twin, expected) == NULL)
      fail_msg("“%s” is not the twin of “%s”", twin, host);
  }
}

static void
test_bad_network_is_refused(void **state)
{
  Fixture *f = *state;
  static const ImsTransportNetwork bad[] = {
    { .public_ip = "not-an-address" },
    { .interfaces = "127.0.0.1,no-such-interface0" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) error = NULL;
    ImsMediaLoop *loop = ims_media_loops_acquire(f->loops);
    ImsTransport *transport = ims_transport_new_full(loop, "bad", NULL, &bad[i], &callbacks, f,
                                                     &error);
    assert_null(transport);
    assert_true(g_error_matches(error, IMS_TRANSPORT_ERROR, IMS_TRANSPORT_ERROR_INVALID_ARGUMENT));
    print_message("refused: %s\n", error->message);
    ims_media_loop_release(loop); /* the caller's on failure (transport.h) */
  }
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_udp_host_only_by_default, setup, teardown),
    cmocka_unit_test_setup_teardown(test_ice_tcp_and_public_twins, setup, teardown),
    cmocka_unit_test_setup_teardown(test_bad_network_is_refused, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
