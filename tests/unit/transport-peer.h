/* transport-peer.h: an independent WebRTC-like endpoint for testing
 * pipelines/ingest/transport.c without a browser.
 *
 * It shares no code with the transport: its own libnice agent (full ICE,
 * controlling, host candidates on one given IPv4 address only), its own
 * self-signed certificate and OpenSSL DTLS (memory BIOs both ways, a flight
 * sent as one datagram, retransmission timer), and its own libsrtp2
 * sessions.  It sends SRTP/SRTCP and keeps the SRTCP it receives, decrypted.
 *
 * Threads: everything runs on the GMainContext given at creation; the
 * caller iterates it.  Used by tests/unit/test-transport.c and
 * bench/transport.c.
 */
#pragma once

#include <glib.h>

typedef struct _TestPeer TestPeer;

/* Called on the peer's context: candidate is "candidate:..." or NULL when
 * gathering is done. */
typedef void (*TestPeerCandidateFunc)(TestPeer *peer, const char *candidate, gpointer user_data);

/* dtls_server: TRUE to take the DTLS server role (offer a=setup:actpass or
 * passive), FALSE for client (a=setup:active).  srtp_profiles: the OpenSSL
 * use_srtp list to offer or accept, e.g. "SRTP_AES128_CM_SHA1_80".
 * Gathering starts from the context's next iteration. */
TestPeer *test_peer_new(GMainContext *context, const char *ipv4, gboolean dtls_server,
                        const char *srtp_profiles, TestPeerCandidateFunc on_candidate,
                        gpointer user_data);
void test_peer_free(TestPeer *peer);

/* Threads of this process (/proc/self/task), -1 if unknown. */
int test_count_threads(void);

const char *test_peer_get_ufrag(TestPeer *peer);
const char *test_peer_get_pwd(TestPeer *peer);
/* "sha-256 AB:CD:..." */
const char *test_peer_get_fingerprint(TestPeer *peer);

/* The transport's answer: ICE credentials and certificate fingerprint. */
void test_peer_set_remote(TestPeer *peer, const char *ufrag, const char *pwd,
                          const char *fingerprint);
/* Returns FALSE if libnice cannot parse the line. */
gboolean test_peer_add_remote_candidate(TestPeer *peer, const char *candidate);

/* TRUE once SRTP keys are set. */
gboolean test_peer_is_secure(TestPeer *peer);
/* TRUE if the DTLS handshake failed (e.g. the other side refused us). */
gboolean test_peer_failed(TestPeer *peer);
/* The SRTP profile agreed ("SRTP_..."), or NULL. */
const char *test_peer_get_srtp_profile(TestPeer *peer);

/* Protects and sends one RTP packet (version 2, no CSRC/extension) with the
 * given header fields and payload.  If protected_out is not NULL, the
 * SRTP bytes sent are stored there (transfer full), for replay tests.
 * Returns 0 or -1. */
int test_peer_send_rtp(TestPeer *peer, guint8 payload_type, guint16 seq, guint32 timestamp,
                       guint32 ssrc, const guint8 *payload, gsize len, GBytes **protected_out);
/* Sends bytes as they are (e.g. a replayed SRTP packet). */
int test_peer_send_raw(TestPeer *peer, GBytes *datagram);
/* Protects and sends one RTCP packet. Returns 0 or -1. */
int test_peer_send_rtcp(TestPeer *peer, const guint8 *rtcp, gsize len);

/* SRTCP received and unprotected so far (GBytes, borrowed array). */
GPtrArray *test_peer_get_received_rtcp(TestPeer *peer);
/* SRTP bytes sent so far (for the benchmark). */
guint64 test_peer_get_bytes_sent(TestPeer *peer);

/* Drops the next n DTLS datagrams that arrive (lost on the way), so only
 * the other side's retransmission timer can complete the handshake. */
void test_peer_drop_dtls_in(TestPeer *peer, guint n);
/* DTLS datagrams that arrived so far, dropped ones included. */
guint test_peer_get_dtls_in(TestPeer *peer);

/* A non-loopback IPv4 address of an interface that is up (transfer full),
 * or NULL if the machine has none. */
char *test_find_ipv4(void);
