/* bench/transport.c: what the receive transport costs (pipelines/ingest/).
 *
 * Prints, never fails on time:
 *  1. threads of this process: at start, with the media loops, with 1 and
 *     with 8 transports connected (secure) to independent peers
 *     (tests/unit/transport-peer.c) over the machine's interface address;
 *  2. the media loop threads' CPU while the 8 (and 1) peers send SRTP
 *     (1200-byte RTP payloads) at a given total rate: % of one core per
 *     Mbit/s received, i.e. libnice receive + demux + srtp_unprotect + the
 *     callback, measured on the loop threads' own CPU clocks;
 *  3. srtp_unprotect alone (AES-CM-128/HMAC-SHA1-80 and AES-GCM-128):
 *     ns per packet and % of one core per Mbit/s.
 *
 *   bench-transport [--loops N] [--mbps M] [--seconds S]
 *
 * Traffic goes only to this machine's own interface address.
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <srtp2/srtp.h>

#include "media-loop.h"
#include "transport.h"
#include "transport-peer.h"

#define MAX_PEERS 8
#define PAYLOAD 1200

typedef struct {
  GMainContext *context;
  TestPeer *peer;
  ImsTransport *transport;
  gint secure;      /* atomic */
  gint64 rtp_bytes; /* atomic (added on the loop thread) */
  gint rtp_packets; /* atomic */
  guint16 seq;      /* next RTP sequence number (continues across rounds: SRTP replay window) */
} Pair;

typedef struct {
  TestPeer *peer;
  char *candidate;
} CandidateWork;

static gboolean
give_candidate(gpointer data)
{
  CandidateWork *work = data;
  if (work->candidate != NULL)
    test_peer_add_remote_candidate(work->peer, work->candidate);
  g_free(work->candidate);
  g_free(work);
  return G_SOURCE_REMOVE;
}

static void
on_state(ImsTransport *transport, ImsTransportState state, const GError *error, gpointer data)
{
  Pair *pair = data;
  if (state == IMS_TRANSPORT_STATE_SECURE)
    g_atomic_int_set(&pair->secure, 1);
  if (state == IMS_TRANSPORT_STATE_FAILED)
    fprintf(stderr, "transport failed: %s\n", error != NULL ? error->message : "?");
}

static void
on_local_candidate(ImsTransport *transport, const char *candidate, gpointer data)
{
  Pair *pair = data;
  CandidateWork *work = g_new0(CandidateWork, 1);
  work->peer = pair->peer;
  work->candidate = g_strdup(candidate);
  g_main_context_invoke(pair->context, give_candidate, work);
}

static void
on_rtp(ImsTransport *transport, guint8 *buf, gsize len, gpointer data)
{
  Pair *pair = data;
  g_atomic_pointer_add(&pair->rtp_bytes, (gssize) len);
  g_atomic_int_inc(&pair->rtp_packets);
}

static void
on_rtcp(ImsTransport *transport, guint8 *buf, gsize len, gpointer data)
{
}

static const ImsTransportCallbacks callbacks = {
  .state_changed = on_state,
  .local_candidate = on_local_candidate,
  .rtp = on_rtp,
  .rtcp = on_rtcp,
};

static void
on_peer_candidate(TestPeer *peer, const char *candidate, gpointer data)
{
  Pair *pair = data;
  if (candidate == NULL)
    ims_transport_remote_candidates_done(pair->transport);
  else
    ims_transport_add_remote_candidate(pair->transport, candidate, NULL);
}

static void
iterate(GMainContext *context, gint64 ms)
{
  gint64 end = g_get_monotonic_time() + ms * 1000;
  do {
    while (g_main_context_iteration(context, FALSE))
      ;
    g_usleep(500);
  } while (g_get_monotonic_time() < end);
}

static gboolean
connect_pair(Pair *pair, GMainContext *context, ImsMediaLoops *loops, const char *ipv4, int index)
{
  pair->context = context;
  pair->peer = test_peer_new(context, ipv4, TRUE, "SRTP_AES128_CM_SHA1_80", on_peer_candidate, pair);
  g_autofree char *log_id = g_strdup_printf("bench-%d", index);
  g_autoptr(GError) error = NULL;
  pair->transport = ims_transport_new(ims_media_loops_acquire(loops), log_id, &callbacks, pair,
                                      &error);
  if (pair->transport == NULL) {
    fprintf(stderr, "ims_transport_new: %s\n", error->message);
    return FALSE;
  }
  ims_transport_set_remote(pair->transport, test_peer_get_ufrag(pair->peer),
                           test_peer_get_pwd(pair->peer), test_peer_get_fingerprint(pair->peer),
                           IMS_DTLS_SETUP_ACTPASS, NULL);
  test_peer_set_remote(pair->peer, ims_transport_get_local_ufrag(pair->transport),
                       ims_transport_get_local_pwd(pair->transport),
                       ims_transport_get_local_fingerprint(pair->transport));
  return TRUE;
}

static gboolean
wait_secure(Pair *pairs, int n, GMainContext *context)
{
  gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
  for (;;) {
    int secure = 0;
    for (int i = 0; i < n; i++)
      secure += g_atomic_int_get(&pairs[i].secure) && test_peer_is_secure(pairs[i].peer);
    if (secure == n)
      return TRUE;
    if (g_get_monotonic_time() > end)
      return FALSE;
    iterate(context, 5);
  }
}

static double
loops_cpu(ImsMediaLoops *loops)
{
  double total = 0;
  for (guint i = 0; i < ims_media_loops_get_n_loops(loops); i++)
    total += ims_media_loop_get_cpu_seconds(ims_media_loops_get_loop(loops, i));
  return total;
}

/* The peers send at mbps in total for seconds; prints the loop threads' CPU. */
static void
measure_receive(Pair *pairs, int n, ImsMediaLoops *loops, GMainContext *context, double mbps,
                double seconds)
{
  guint8 payload[PAYLOAD];
  memset(payload, 0x5a, sizeof payload);
  double packets_per_second = mbps * 1e6 / 8 / (PAYLOAD + 12);
  for (int i = 0; i < n; i++) {
    g_atomic_pointer_set(&pairs[i].rtp_bytes, 0);
    g_atomic_int_set(&pairs[i].rtp_packets, 0);
  }
  double cpu_start = loops_cpu(loops);
  gint64 start = g_get_monotonic_time();
  gint64 end = start + (gint64) (seconds * G_USEC_PER_SEC);
  guint64 sent = 0;
  while (g_get_monotonic_time() < end) {
    double elapsed = (double) (g_get_monotonic_time() - start) / G_USEC_PER_SEC;
    while ((double) sent < elapsed * packets_per_second) {
      Pair *pair = &pairs[sent % n];
      test_peer_send_rtp(pair->peer, 96, pair->seq++, (guint32) sent * 90,
                         0x1000 + (guint32) (sent % n), payload, sizeof payload, NULL);
      sent++;
    }
    while (g_main_context_iteration(context, FALSE))
      ;
    g_usleep(1000);
  }
  iterate(context, 200); /* let the loops drain */
  double wall = (double) (g_get_monotonic_time() - start) / G_USEC_PER_SEC;
  double cpu = loops_cpu(loops) - cpu_start;
  gint64 bytes = 0;
  gint64 packets = 0;
  for (int i = 0; i < n; i++) {
    bytes += (gint64) g_atomic_pointer_get(&pairs[i].rtp_bytes);
    packets += g_atomic_int_get(&pairs[i].rtp_packets);
  }
  if (g_getenv("BENCH_VERBOSE") != NULL)
    for (int i = 0; i < n; i++)
      printf("  pair %d: received %d\n", i, g_atomic_int_get(&pairs[i].rtp_packets));
  double received_mbps = (double) bytes * 8 / 1e6 / seconds;
  double core_percent = cpu / wall * 100;
  printf(
      "receive  peers=%d  sent=%" G_GUINT64_FORMAT " pkts  received=%" G_GINT64_FORMAT
      " pkts  %.1f Mbit/s  loop CPU %.2f %% of a core  -> %.3f %% core per Mbit/s, %.2f us per packet\n",
      n, sent, packets, received_mbps, core_percent,
      received_mbps > 0 ? core_percent / received_mbps : 0.0,
      packets > 0 ? cpu * 1e6 / (double) packets : 0.0);
}

/* srtp_unprotect alone on 1212-byte packets. */
static void
measure_unprotect(gboolean gcm)
{
  srtp_policy_t policy;
  memset(&policy, 0, sizeof policy);
  if (gcm) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
  } else {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
  }
  guint8 key[SRTP_MAX_KEY_LEN];
  for (gsize i = 0; i < sizeof key; i++)
    key[i] = (guint8) g_random_int();
  policy.key = key;
  policy.window_size = 1024;
  srtp_policy_t in = policy, out = policy;
  in.ssrc.type = ssrc_any_inbound;
  out.ssrc.type = ssrc_any_outbound;
  srtp_t sender = NULL, receiver = NULL;
  if (srtp_create(&sender, &out) != srtp_err_status_ok ||
      srtp_create(&receiver, &in) != srtp_err_status_ok) {
    printf("unprotect %s: libsrtp2 has no such cipher\n",
           gcm ? "AES-GCM-128" : "AES-CM-128/SHA1-80");
    return;
  }
  enum { BATCH = 2000, ROUNDS = 25 };
  static guint8 packets[BATCH][PAYLOAD + 12 + SRTP_MAX_TRAILER_LEN];
  static int lengths[BATCH];
  double cpu_total = 0;
  guint32 index = 0;
  for (int round = 0; round < ROUNDS; round++) {
    for (int i = 0; i < BATCH; i++, index++) {
      guint8 *p = packets[i];
      memset(p, 0, 12);
      p[0] = 0x80;
      p[1] = 96;
      p[2] = (guint8) (index >> 8);
      p[3] = (guint8) index;
      p[11] = 1;
      memset(p + 12, 0x33, PAYLOAD);
      lengths[i] = PAYLOAD + 12;
      srtp_protect(sender, p, &lengths[i]);
    }
    struct timespec a, b;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
    for (int i = 0; i < BATCH; i++)
      srtp_unprotect(receiver, packets[i], &lengths[i]);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
    cpu_total += (double) (b.tv_sec - a.tv_sec) + (double) (b.tv_nsec - a.tv_nsec) / 1e9;
  }
  double per_packet = cpu_total / (BATCH * ROUNDS);
  double mbit_per_core = (PAYLOAD + 12) * 8 / per_packet / 1e6;
  printf(
      "unprotect %-20s %.2f us per %d-byte packet  -> %.4f %% core per Mbit/s (%.0f Mbit/s per core)\n",
      gcm ? "AES-GCM-128" : "AES-CM-128/SHA1-80", per_packet * 1e6, PAYLOAD + 12,
      100.0 / mbit_per_core, mbit_per_core);
  srtp_dealloc(sender);
  srtp_dealloc(receiver);
}

int
main(int argc, char **argv)
{
  int n_loops = 2;
  double mbps = 20;
  double seconds = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--loops") == 0)
      n_loops = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--mbps") == 0)
      mbps = g_ascii_strtod(argv[i + 1], NULL);
    else if (strcmp(argv[i], "--seconds") == 0)
      seconds = g_ascii_strtod(argv[i + 1], NULL);
  }
  g_log_set_handler("imsd.transport", G_LOG_LEVEL_MESSAGE, g_log_default_handler, NULL);
  g_autofree char *ipv4 = test_find_ipv4();
  if (ipv4 == NULL) {
    printf("no non-loopback IPv4 address: transport figures skipped\n");
  }
  GMainContext *context = g_main_context_new();
  g_main_context_push_thread_default(context);
  printf("threads at start: %d\n", test_count_threads());
  g_autoptr(GError) error = NULL;
  ImsMediaLoops *loops = ims_media_loops_new((guint) n_loops, &error);
  if (loops == NULL) {
    fprintf(stderr, "%s\n", error->message);
    return 1;
  }
  printf("threads with %d media loops: %d\n", n_loops, test_count_threads());
  static Pair pairs[MAX_PEERS];
  if (ipv4 != NULL) {
    if (!connect_pair(&pairs[0], context, loops, ipv4, 0) || !wait_secure(pairs, 1, context))
      return 1;
    printf("threads with 1 transport (secure): %d\n", test_count_threads());
    measure_receive(pairs, 1, loops, context, mbps / 4, seconds);
    for (int i = 1; i < MAX_PEERS; i++)
      if (!connect_pair(&pairs[i], context, loops, ipv4, i))
        return 1;
    if (!wait_secure(pairs, MAX_PEERS, context)) {
      fprintf(stderr, "not every transport became secure\n");
      return 1;
    }
    printf("threads with %d transports (secure): %d\n", MAX_PEERS, test_count_threads());
    measure_receive(pairs, MAX_PEERS, loops, context, mbps, seconds);
    for (int i = 0; i < MAX_PEERS; i++)
      ims_transport_close(pairs[i].transport);
    gint64 end = g_get_monotonic_time() + 3 * G_USEC_PER_SEC;
    for (;;) {
      guint load = 0;
      for (guint l = 0; l < ims_media_loops_get_n_loops(loops); l++)
        load += ims_media_loop_get_load(ims_media_loops_get_loop(loops, l));
      if (load == 0 || g_get_monotonic_time() > end)
        break;
      iterate(context, 5);
    }
    iterate(context, 20);
    for (int i = 0; i < MAX_PEERS; i++)
      test_peer_free(pairs[i].peer);
  }
  measure_unprotect(FALSE);
  measure_unprotect(TRUE);
  ims_media_loops_free(loops);
  printf("threads after freeing the loops: %d\n", test_count_threads());
  return 0;
}
