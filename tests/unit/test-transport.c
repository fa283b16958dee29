/* test-transport.c: pipelines/ingest/transport.c end to end, without a
 * browser.  An independent endpoint (transport-peer.c: its own libnice
 * agent, OpenSSL DTLS and libsrtp2) connects to an ImsTransport on a media
 * loop over the machine's non-loopback IPv4 address (ICE ignores
 * 127.0.0.1; without such an address the network tests are skipped), sends
 * SRTP and SRTCP, and receives the SRTCP feedback the transport sends.
 *
 * Threads: the peer runs on this thread's context (iterated by the test);
 * the transport's callbacks run on its media loop thread and only record
 * into Sink (under sink->lock) or hand candidates to this context.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "media-loop.h"
#include "transport.h"
#include "transport-peer.h"

#define N_PACKETS 50
#define TEST_SSRC 0x11223344u

typedef struct {
  GMutex lock;
  GMainContext *context; /* the peer's: where candidates are handed */
  TestPeer *peer;
  ImsTransport *transport;
  GPtrArray *rtp;             /* GBytes, under lock */
  GPtrArray *rtcp;            /* GBytes, under lock */
  GPtrArray *candidates;      /* char*, under lock */
  gboolean secure;            /* under lock */
  gboolean failed;            /* under lock */
  int failed_code;            /* under lock */
  gboolean close_in_callback; /* set before the transport exists */
  gint closed_in_callback;    /* atomic */
  int callbacks_after_close;  /* atomic */
  gboolean gathering_done;    /* under lock */
  int send_rtcp_result;       /* under lock; 1 = not called */
  gboolean loop_thread_ok;    /* under lock: every callback on the loop thread */
  ImsMediaLoop *loop;
} Sink;

typedef struct {
  char *ipv4;
  ImsMediaLoops *loops;
  GMainContext *context;
  Sink sink;
} Fixture;

static const guint8 pli[12] = { 0x81, 206, 0, 2, 0, 0, 0, 1, 0x11, 0x22, 0x33, 0x44 };

/* ---- the transport's callbacks (media loop thread) ---------------------- */

typedef struct {
  TestPeer *peer;
  char *candidate;
} CandidateWork;

static gboolean
give_candidate_to_peer(gpointer data)
{
  CandidateWork *work = data;
  if (work->candidate != NULL)
    test_peer_add_remote_candidate(work->peer, work->candidate);
  g_free(work->candidate);
  g_free(work);
  return G_SOURCE_REMOVE;
}

static void
sink_check_thread(Sink *sink)
{
  if (!ims_media_loop_is_current(sink->loop))
    sink->loop_thread_ok = FALSE;
}

static void
on_state(ImsTransport *transport, ImsTransportState state, const GError *error, gpointer data)
{
  Sink *sink = data;
  g_mutex_lock(&sink->lock);
  sink_check_thread(sink);
  if (state == IMS_TRANSPORT_STATE_SECURE)
    sink->secure = TRUE;
  if (state == IMS_TRANSPORT_STATE_FAILED) {
    sink->failed = TRUE;
    sink->failed_code = error != NULL ? error->code : -1;
  }
  g_mutex_unlock(&sink->lock);
}

static void
on_local_candidate(ImsTransport *transport, const char *candidate, gpointer data)
{
  Sink *sink = data;
  if (g_atomic_int_get(&sink->closed_in_callback))
    g_atomic_int_inc(&sink->callbacks_after_close);
  g_mutex_lock(&sink->lock);
  sink_check_thread(sink);
  if (candidate == NULL)
    sink->gathering_done = TRUE;
  else
    g_ptr_array_add(sink->candidates, g_strdup(candidate));
  g_mutex_unlock(&sink->lock);
  if (sink->close_in_callback) {
    /* Closing inside a callback must be safe: the free is deferred, and
     * no callback follows (libnice still has candidates to report). */
    ims_transport_close(transport);
    g_atomic_int_set(&sink->closed_in_callback, TRUE);
    return;
  }
  if (sink->peer == NULL)
    return;
  CandidateWork *work = g_new0(CandidateWork, 1);
  work->peer = sink->peer;
  work->candidate = g_strdup(candidate);
  g_main_context_invoke(sink->context, give_candidate_to_peer, work);
}

static void
on_rtp(ImsTransport *transport, guint8 *buf, gsize len, gpointer data)
{
  Sink *sink = data;
  g_mutex_lock(&sink->lock);
  sink_check_thread(sink);
  g_ptr_array_add(sink->rtp, g_bytes_new(buf, len));
  gboolean last = sink->rtp->len == N_PACKETS;
  g_mutex_unlock(&sink->lock);
  if (last) {
    /* Feedback from the loop thread, as the receiver will send it. */
    int result = ims_transport_send_rtcp(transport, pli, sizeof pli);
    g_mutex_lock(&sink->lock);
    sink->send_rtcp_result = result;
    g_mutex_unlock(&sink->lock);
  }
}

static void
on_rtcp(ImsTransport *transport, guint8 *buf, gsize len, gpointer data)
{
  Sink *sink = data;
  g_mutex_lock(&sink->lock);
  sink_check_thread(sink);
  g_ptr_array_add(sink->rtcp, g_bytes_new(buf, len));
  g_mutex_unlock(&sink->lock);
}

static const ImsTransportCallbacks callbacks = {
  .state_changed = on_state,
  .local_candidate = on_local_candidate,
  .rtp = on_rtp,
  .rtcp = on_rtcp,
};

/* ---- the peer's candidates (this thread) -------------------------------- */

static void
on_peer_candidate(TestPeer *peer, const char *candidate, gpointer data)
{
  Sink *sink = data;
  if (sink->transport == NULL)
    return;
  if (candidate == NULL) {
    ims_transport_remote_candidates_done(sink->transport);
    return;
  }
  g_autoptr(GError) error = NULL;
  gboolean ok = ims_transport_add_remote_candidate(sink->transport, candidate, &error);
  if (!ok && !g_error_matches(error, IMS_TRANSPORT_ERROR, IMS_TRANSPORT_ERROR_CLOSED))
    fail_msg("peer candidate refused: %s (%s)", candidate, error->message);
}

/* ---- fixture ------------------------------------------------------------ */

static int
setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  f->ipv4 = test_find_ipv4();
  g_autoptr(GError) error = NULL;
  f->loops = ims_media_loops_new(2, &error);
  assert_non_null(f->loops);
  f->context = g_main_context_new();
  g_main_context_push_thread_default(f->context);
  g_mutex_init(&f->sink.lock);
  f->sink.context = f->context;
  f->sink.rtp = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
  f->sink.rtcp = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
  f->sink.candidates = g_ptr_array_new_with_free_func(g_free);
  f->sink.send_rtcp_result = 1;
  f->sink.loop_thread_ok = TRUE;
  *state = f;
  return 0;
}

static void
iterate_for(Fixture *f, gint64 ms)
{
  gint64 end = g_get_monotonic_time() + ms * 1000;
  while (g_get_monotonic_time() < end)
    g_main_context_iteration(f->context, FALSE), g_usleep(1000);
}

/* Iterates the peer's context until check(f) or timeout_ms; returns check's value. */
static gboolean
iterate_until(Fixture *f, gboolean (*check)(Fixture *f), gint64 timeout_ms)
{
  gint64 end = g_get_monotonic_time() + timeout_ms * 1000;
  while (!check(f) && g_get_monotonic_time() < end) {
    while (g_main_context_iteration(f->context, FALSE))
      ;
    g_usleep(1000);
  }
  return check(f);
}

static int
teardown(void **state)
{
  Fixture *f = *state;
  Sink *sink = &f->sink;
  if (sink->transport != NULL && !g_atomic_int_get(&sink->closed_in_callback))
    ims_transport_close(sink->transport);
  /* The deferred free releases the loop: wait for it (proves it ran). */
  gint64 end = g_get_monotonic_time() + 3 * G_USEC_PER_SEC;
  while (sink->loop != NULL && ims_media_loop_get_load(sink->loop) > 0 &&
         g_get_monotonic_time() < end) {
    g_main_context_iteration(f->context, FALSE);
    g_usleep(1000);
  }
  if (sink->loop != NULL)
    assert_int_equal(ims_media_loop_get_load(sink->loop), 0);
  while (g_main_context_iteration(f->context, FALSE))
    ;
  test_peer_free(sink->peer);
  ims_media_loops_free(f->loops);
  while (g_main_context_iteration(f->context, FALSE))
    ;
  g_main_context_pop_thread_default(f->context);
  g_main_context_unref(f->context);
  g_ptr_array_unref(sink->rtp);
  g_ptr_array_unref(sink->rtcp);
  g_ptr_array_unref(sink->candidates);
  g_mutex_clear(&sink->lock);
  g_free(f->ipv4);
  g_free(f);
  return 0;
}

/* Peer + transport, offer/answer exchanged; media not yet flowing. */
static void
connect_pair(Fixture *f, gboolean peer_dtls_server, const char *profiles,
             const char *fingerprint_override)
{
  if (f->ipv4 == NULL) {
    print_message("skipped: this machine has no non-loopback IPv4 address (ICE ignores 127.0.0.1)\n");
    skip();
  }
  Sink *sink = &f->sink;
  sink->peer = test_peer_new(f->context, f->ipv4, peer_dtls_server, profiles, on_peer_candidate,
                             sink);
  sink->loop = ims_media_loops_acquire(f->loops);
  g_autoptr(GError) error = NULL;
  sink->transport = ims_transport_new(sink->loop, "test", &callbacks, sink, &error);
  if (sink->transport == NULL)
    fail_msg("ims_transport_new: %s", error->message);
  /* The offer: actpass from a peer that will be the DTLS server, active from a client. */
  ImsDtlsSetup setup = peer_dtls_server ? IMS_DTLS_SETUP_ACTPASS : IMS_DTLS_SETUP_ACTIVE;
  const char *fingerprint = fingerprint_override != NULL ? fingerprint_override
                                                         : test_peer_get_fingerprint(sink->peer);
  assert_true(ims_transport_set_remote(sink->transport, test_peer_get_ufrag(sink->peer),
                                       test_peer_get_pwd(sink->peer), fingerprint, setup, &error));
  assert_string_equal(ims_transport_get_local_setup(sink->transport),
                      peer_dtls_server ? "active" : "passive");
  test_peer_set_remote(sink->peer, ims_transport_get_local_ufrag(sink->transport),
                       ims_transport_get_local_pwd(sink->transport),
                       ims_transport_get_local_fingerprint(sink->transport));
}

static gboolean
both_secure(Fixture *f)
{
  g_mutex_lock(&f->sink.lock);
  gboolean secure = f->sink.secure;
  g_mutex_unlock(&f->sink.lock);
  return secure && test_peer_is_secure(f->sink.peer);
}

static gboolean
all_media_in(Fixture *f)
{
  g_mutex_lock(&f->sink.lock);
  gboolean done = f->sink.rtp->len >= N_PACKETS && f->sink.rtcp->len >= 1;
  g_mutex_unlock(&f->sink.lock);
  return done && test_peer_get_received_rtcp(f->sink.peer)->len >= 1;
}

/* Sends N_PACKETS SRTP packets, one replay of the first, and one SRTCP
 * sender report; checks exactly those payloads arrive, decrypted, in order,
 * and that the PLI the transport sends reaches the peer. */
static void
exchange_media(Fixture *f, const char *expected_profile)
{
  Sink *sink = &f->sink;
  assert_true(iterate_until(f, both_secure, 8000));
  assert_string_equal(test_peer_get_srtp_profile(sink->peer), expected_profile);

  g_autoptr(GBytes) first_protected = NULL;
  for (int i = 0; i < N_PACKETS; i++) {
    g_autofree char *payload = g_strdup_printf(
        "payload %d %.*s", i, i, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    assert_int_equal(test_peer_send_rtp(sink->peer, 96, (guint16) (1000 + i), 90000u + 3000u * i,
                                        TEST_SSRC, (const guint8 *) payload, strlen(payload),
                                        i == 0 ? &first_protected : NULL),
                     0);
  }
  /* A replayed packet must be refused by libsrtp2's replay window. */
  test_peer_send_raw(sink->peer, first_protected);
  /* SR: V=2, PT=200, length 6, SSRC, NTP, RTP ts, counts. */
  guint8 sr[28] = { 0x80, 200, 0, 6, 0x11, 0x22, 0x33, 0x44, 1, 2,         3, 4, 5,    6,
                    7,    8,   0, 1, 0x5f, 0x90, 0,    0,    0, N_PACKETS, 0, 0, 0x10, 0 };
  assert_int_equal(test_peer_send_rtcp(sink->peer, sr, sizeof sr), 0);
  assert_true(iterate_until(f, all_media_in, 5000));
  iterate_for(f, 100); /* anything extra (the replay) would show now */

  g_mutex_lock(&sink->lock);
  assert_int_equal(sink->rtp->len, N_PACKETS);
  for (guint i = 0; i < N_PACKETS; i++) {
    gsize len = 0;
    const guint8 *data = g_bytes_get_data(sink->rtp->pdata[i], &len);
    g_autofree char *payload = g_strdup_printf(
        "payload %u %.*s", i, (int) i, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    assert_int_equal(len, 12 + strlen(payload));
    assert_int_equal(data[0], 0x80);
    assert_int_equal(data[1], 96);
    assert_int_equal((data[2] << 8 | data[3]), 1000 + i);
    assert_memory_equal(data + 8, "\x11\x22\x33\x44", 4);
    assert_memory_equal(data + 12, payload, strlen(payload));
  }
  assert_int_equal(sink->rtcp->len, 1);
  gsize rtcp_len = 0;
  const guint8 *rtcp = g_bytes_get_data(sink->rtcp->pdata[0], &rtcp_len);
  assert_int_equal(rtcp_len, sizeof sr);
  assert_memory_equal(rtcp, sr, sizeof sr);
  assert_int_equal(sink->send_rtcp_result, 0);
  assert_true(sink->loop_thread_ok);
  g_mutex_unlock(&sink->lock);

  GPtrArray *feedback = test_peer_get_received_rtcp(sink->peer);
  assert_int_equal(feedback->len, 1);
  gsize feedback_len = 0;
  const guint8 *feedback_data = g_bytes_get_data(feedback->pdata[0], &feedback_len);
  assert_int_equal(feedback_len, sizeof pli);
  assert_memory_equal(feedback_data, pli, sizeof pli);
}

static gboolean
read_stats_on_loop(gpointer data)
{
  gpointer *args = data;
  ims_transport_get_stats(args[0], args[1]);
  g_atomic_int_set((gint *) args[2], 1);
  return G_SOURCE_REMOVE;
}

static void
get_stats(Fixture *f, ImsTransportStats *stats)
{
  gint done = 0;
  gpointer args[3] = { f->sink.transport, stats, &done };
  ims_media_loop_invoke(f->sink.loop, read_stats_on_loop, args, NULL);
  while (!g_atomic_int_get(&done))
    g_usleep(1000);
}

static void
check_candidates_not_loopback(Fixture *f)
{
  g_mutex_lock(&f->sink.lock);
  assert_true(f->sink.candidates->len >= 1);
  gboolean has_interface = FALSE;
  for (guint i = 0; i < f->sink.candidates->len; i++) {
    const char *line = f->sink.candidates->pdata[i];
    assert_true(g_str_has_prefix(line, "candidate:"));
    assert_null(strstr(line, " 127.0.0.1 "));
    g_autofree char *needle = g_strdup_printf(" %s ", f->ipv4);
    if (strstr(line, needle) != NULL)
      has_interface = TRUE;
  }
  assert_true(has_interface);
  g_mutex_unlock(&f->sink.lock);
}

/* ---- tests -------------------------------------------------------------- */

/* The offer says actpass: the transport answers active (DTLS client);
 * AES-CM-128/HMAC-SHA1-80. */
static void
test_transport_client_delivers_srtp(void **state)
{
  Fixture *f = *state;
  connect_pair(f, TRUE, "SRTP_AES128_CM_SHA1_80", NULL);
  exchange_media(f, "SRTP_AES128_CM_SHA1_80");
  check_candidates_not_loopback(f);
  ImsTransportStats stats;
  get_stats(f, &stats);
  assert_int_equal(stats.rtp_packets, N_PACKETS);
  assert_int_equal(stats.rtcp_packets, 1);
  assert_int_equal(stats.srtp_errors, 1); /* the replay */
  assert_int_equal(stats.rtcp_sent, 1);
  assert_string_equal(stats.srtp_profile, "SRTP_AES128_CM_SHA1_80");
  assert_int_equal(ims_transport_get_state(f->sink.transport), IMS_TRANSPORT_STATE_SECURE);
  /* The media socket got a bigger receive buffer than a new socket's, as far as rmem_max allows
   * (the kernel reports twice what it grants). */
  int fresh = socket(AF_INET, SOCK_DGRAM, 0), fresh_size = 0;
  socklen_t length = sizeof fresh_size;
  assert_int_equal(getsockopt(fresh, SOL_SOCKET, SO_RCVBUF, &fresh_size, &length), 0);
  close(fresh);
  g_autofree char *rmem_max_text = NULL;
  if (g_file_get_contents("/proc/sys/net/core/rmem_max", &rmem_max_text, NULL, NULL) &&
      2 * g_ascii_strtoll(rmem_max_text, NULL, 10) > fresh_size)
    assert_true(stats.receive_buffer_bytes > fresh_size);
  else
    assert_true(stats.receive_buffer_bytes >= fresh_size);
}

/* The offer says active: the transport is the DTLS server; AES-GCM when
 * libsrtp2 has it (the peer offers both, GCM first). */
static void
test_transport_server_delivers_srtp_gcm(void **state)
{
  Fixture *f = *state;
  connect_pair(f, FALSE, "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80", NULL);
  assert_true(iterate_until(f, both_secure, 8000));
  const char *profile = test_peer_get_srtp_profile(f->sink.peer);
  print_message("agreed profile: %s\n", profile);
  exchange_media(f, profile);
  assert_string_equal(profile, "SRTP_AEAD_AES_128_GCM");
}

static gboolean
sink_failed(Fixture *f)
{
  g_mutex_lock(&f->sink.lock);
  gboolean failed = f->sink.failed;
  g_mutex_unlock(&f->sink.lock);
  return failed;
}

/* A certificate that is not the one in a=fingerprint: failed with
 * IMS_TRANSPORT_ERROR_FINGERPRINT, no SRTP keys, no media. */
static void
test_transport_fingerprint_mismatch_fails(void **state)
{
  Fixture *f = *state;
  const char *wrong = "sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
                      "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF";
  connect_pair(f, TRUE, "SRTP_AES128_CM_SHA1_80", wrong);
  assert_true(iterate_until(f, sink_failed, 8000));
  assert_int_equal(f->sink.failed_code, IMS_TRANSPORT_ERROR_FINGERPRINT);
  assert_int_equal(ims_transport_get_state(f->sink.transport), IMS_TRANSPORT_STATE_FAILED);
  /* The peer may believe DTLS is up; its media must go nowhere. */
  if (test_peer_is_secure(f->sink.peer)) {
    const guint8 payload[4] = { 1, 2, 3, 4 };
    test_peer_send_rtp(f->sink.peer, 96, 1, 1, TEST_SSRC, payload, sizeof payload, NULL);
  }
  iterate_for(f, 200);
  g_mutex_lock(&f->sink.lock);
  assert_int_equal(f->sink.rtp->len, 0);
  g_mutex_unlock(&f->sink.lock);
}

/* Bad remote descriptions are refused at the call, with the code. */
static void
test_transport_rejects_bad_remote(void **state)
{
  Fixture *f = *state;
  Sink *sink = &f->sink;
  sink->loop = ims_media_loops_acquire(f->loops);
  g_autoptr(GError) error = NULL;
  sink->transport = ims_transport_new(sink->loop, "bad", &callbacks, sink, &error);
  if (sink->transport == NULL)
    fail_msg("ims_transport_new: %s", error->message);
  const char *pwd = "abcdefghijklmnopqrstuvwx";
  const char *good_fp = "sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
                        "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF";
  struct {
    const char *ufrag, *pwd, *fingerprint;
    ImsDtlsSetup setup;
  } bad[] = {
    { "abc", pwd, good_fp, IMS_DTLS_SETUP_ACTPASS },             /* ufrag too short */
    { "abcd", "short", good_fp, IMS_DTLS_SETUP_ACTPASS },        /* pwd too short */
    { "ab d", pwd, good_fp, IMS_DTLS_SETUP_ACTPASS },            /* not ice-chars */
    { "abcd", pwd, "sha-1 00:11", IMS_DTLS_SETUP_ACTPASS },      /* not sha-256 */
    { "abcd", pwd, "sha-256 00:11:22", IMS_DTLS_SETUP_ACTPASS }, /* short digest */
    { "abcd", pwd, NULL, IMS_DTLS_SETUP_ACTPASS },
    { "abcd", pwd, good_fp, (ImsDtlsSetup) 7 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_clear_error(&error);
    assert_false(ims_transport_set_remote(sink->transport, bad[i].ufrag, bad[i].pwd,
                                          bad[i].fingerprint, bad[i].setup, &error));
    assert_true(g_error_matches(error, IMS_TRANSPORT_ERROR, IMS_TRANSPORT_ERROR_INVALID_ARGUMENT));
  }
  g_clear_error(&error);
  assert_true(ims_transport_set_remote(sink->transport, "abcd", pwd, good_fp,
                                       IMS_DTLS_SETUP_PASSIVE, &error));
  assert_string_equal(ims_transport_get_local_setup(sink->transport), "active");
  assert_false(ims_transport_set_remote(sink->transport, "abcd", pwd, good_fp,
                                        IMS_DTLS_SETUP_ACTPASS, &error));
  assert_true(g_error_matches(error, IMS_TRANSPORT_ERROR, IMS_TRANSPORT_ERROR_INVALID_ARGUMENT));

  const char *bad_candidates[] = { "",
                                   "candidate:", "candidate:1 1 UDP 2122 not-an-address 5 typ host",
                                   "candidate:1 1 UDP 2122 1.2.3.4 5 typ host\r\nx", "hello" };
  for (gsize i = 0; i < G_N_ELEMENTS(bad_candidates); i++) {
    g_clear_error(&error);
    assert_false(ims_transport_add_remote_candidate(sink->transport, bad_candidates[i], &error));
    assert_true(g_error_matches(error, IMS_TRANSPORT_ERROR, IMS_TRANSPORT_ERROR_INVALID_ARGUMENT));
  }
  assert_true(ims_transport_add_remote_candidate(
      sink->transport, "candidate:1 1 UDP 2122252543 192.0.2.9 40000 typ host", &error));
  /* Not secure yet: feedback cannot be sent (checked on the loop thread). */
  assert_int_equal(ims_transport_get_state(sink->transport) == IMS_TRANSPORT_STATE_SECURE, 0);

  ims_transport_close(sink->transport);
  g_atomic_int_set(&sink->closed_in_callback, TRUE); /* teardown: already closed */
}

/* Closing from inside the transport's own callback (the first local
 * candidate) is safe: the free is deferred to the loop, the loop is
 * released (teardown waits for it), and no callback follows. */
static void
test_transport_close_inside_callback(void **state)
{
  Fixture *f = *state;
  Sink *sink = &f->sink;
  if (f->ipv4 == NULL) {
    print_message("skipped: this machine has no non-loopback IPv4 address\n");
    skip();
  }
  sink->close_in_callback = TRUE;
  sink->loop = ims_media_loops_acquire(f->loops);
  g_autoptr(GError) error = NULL;
  sink->transport = ims_transport_new(sink->loop, "close", &callbacks, sink, &error);
  if (sink->transport == NULL)
    fail_msg("ims_transport_new: %s", error->message);
  gint64 end = g_get_monotonic_time() + 3 * G_USEC_PER_SEC;
  while (ims_media_loop_get_load(sink->loop) > 0 && g_get_monotonic_time() < end)
    g_usleep(1000);
  assert_int_equal(ims_media_loop_get_load(sink->loop), 0);
  assert_true(g_atomic_int_get(&sink->closed_in_callback));
  assert_int_equal(g_atomic_int_get(&sink->callbacks_after_close), 0);
  g_mutex_lock(&sink->lock);
  assert_int_equal(sink->candidates->len, 1);
  g_mutex_unlock(&sink->lock);
}

/* The transport is the DTLS client and its first two ClientHellos are lost:
 * only its retransmission timer (200 ms, then 400 ms) completes the
 * handshake; the peer (server) has nothing to retransmit. */
static void
test_transport_retransmits_lost_client_hello(void **state)
{
  Fixture *f = *state;
  connect_pair(f, TRUE, "SRTP_AES128_CM_SHA1_80", NULL);
  test_peer_drop_dtls_in(f->sink.peer, 2);
  gint64 start = g_get_monotonic_time();
  assert_true(iterate_until(f, both_secure, 8000));
  gint64 elapsed_ms = (g_get_monotonic_time() - start) / 1000;
  print_message("secure after %" G_GINT64_FORMAT " ms, %u DTLS datagrams reached the peer\n",
                elapsed_ms, test_peer_get_dtls_in(f->sink.peer));
  assert_true(test_peer_get_dtls_in(f->sink.peer) >= 4); /* 3 ClientHellos + the next flight */
  assert_true(elapsed_ms < 4000);
  exchange_media(f, "SRTP_AES128_CM_SHA1_80");
}

/* Transports add no thread: 1 and 8 of them (gathering on the machine's
 * interfaces) leave the process's thread count as the loops made it. */
static void
test_transport_adds_no_thread(void **state)
{
  Fixture *f = *state;
  static const ImsTransportCallbacks no_callbacks = { 0 };
  ImsTransport *transports[8];
  ImsMediaLoop *loops[8];
  g_autoptr(GError) error = NULL;
  int before = test_count_threads();
  for (int i = 0; i < 8; i++) {
    loops[i] = ims_media_loops_acquire(f->loops);
    transports[i] = ims_transport_new(loops[i], "threads", &no_callbacks, NULL, &error);
    if (transports[i] == NULL)
      fail_msg("ims_transport_new: %s", error->message);
    iterate_for(f, 100); /* gathering runs on the loops meanwhile */
    if (i == 0)
      assert_int_equal(test_count_threads(), before);
  }
  int with_eight = test_count_threads();
  print_message("threads: %d before, %d with 8 transports\n", before, with_eight);
  assert_int_equal(with_eight, before);
  for (int i = 0; i < 8; i++)
    ims_transport_close(transports[i]);
  gint64 end = g_get_monotonic_time() + 3 * G_USEC_PER_SEC;
  while ((ims_media_loop_get_load(ims_media_loops_get_loop(f->loops, 0)) > 0 ||
          ims_media_loop_get_load(ims_media_loops_get_loop(f->loops, 1)) > 0) &&
         g_get_monotonic_time() < end)
    g_usleep(1000);
  assert_int_equal(ims_media_loop_get_load(ims_media_loops_get_loop(f->loops, 0)), 0);
  assert_int_equal(ims_media_loop_get_load(ims_media_loops_get_loop(f->loops, 1)), 0);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_transport_client_delivers_srtp, setup, teardown),
    cmocka_unit_test_setup_teardown(test_transport_server_delivers_srtp_gcm, setup, teardown),
    cmocka_unit_test_setup_teardown(test_transport_fingerprint_mismatch_fails, setup, teardown),
    cmocka_unit_test_setup_teardown(test_transport_rejects_bad_remote, setup, teardown),
    cmocka_unit_test_setup_teardown(test_transport_close_inside_callback, setup, teardown),
    cmocka_unit_test_setup_teardown(test_transport_retransmits_lost_client_hello, setup, teardown),
    cmocka_unit_test_setup_teardown(test_transport_adds_no_thread, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
