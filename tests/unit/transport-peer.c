/* transport-peer.c: the independent test endpoint (see transport-peer.h).
 * Deliberately written apart from pipelines/ingest/transport*.c: memory
 * BIOs on both sides, one datagram per flight, its own certificate. */
#include "transport-peer.h"

#include <dirent.h>

#include <agent.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <srtp2/srtp.h>

struct _TestPeer {
  GMainContext *context;
  NiceAgent *agent;
  guint stream_id;
  char *ufrag;
  char *pwd;
  char *fingerprint;
  TestPeerCandidateFunc on_candidate;
  gpointer user_data;

  gboolean dtls_server;
  guint8 remote_digest[32];
  SSL_CTX *ssl_context;
  SSL *ssl;
  BIO *in;
  BIO *out;
  GSource *timer;
  GSource *gather;
  gboolean ice_up;
  gboolean secure;
  gboolean failed;
  const char *profile;
  srtp_t srtp_in;
  srtp_t srtp_out;
  GPtrArray *received_rtcp;
  guint64 bytes_sent;
  guint drop_dtls_in; /* incoming DTLS datagrams still to drop */
  guint dtls_in;      /* incoming DTLS datagrams seen (dropped included) */
};

char *
test_find_ipv4(void)
{
  struct ifaddrs *list = NULL;
  char *found = NULL;
  if (getifaddrs(&list) != 0)
    return NULL;
  for (struct ifaddrs *it = list; it != NULL && found == NULL; it = it->ifa_next) {
    if (it->ifa_addr == NULL || it->ifa_addr->sa_family != AF_INET)
      continue;
    if ((it->ifa_flags & IFF_UP) == 0 || (it->ifa_flags & IFF_LOOPBACK) != 0)
      continue;
    char text[INET_ADDRSTRLEN];
    const struct sockaddr_in *in = (const struct sockaddr_in *) it->ifa_addr;
    if (inet_ntop(AF_INET, &in->sin_addr, text, sizeof text) != NULL &&
        !g_str_has_prefix(text, "127.") && !g_str_has_prefix(text, "169.254."))
      found = g_strdup(text);
  }
  freeifaddrs(list);
  return found;
}

static void
peer_send(TestPeer *peer, const guint8 *buf, gsize len)
{
  if (nice_agent_send(peer->agent, peer->stream_id, 1, len, (const gchar *) buf) == (gint) len)
    peer->bytes_sent += len;
}

/* Sends what DTLS wrote as one datagram. */
static void
peer_flush_dtls(TestPeer *peer)
{
  guint8 buf[4096];
  int n;
  while ((n = BIO_read(peer->out, buf, sizeof buf)) > 0)
    peer_send(peer, buf, (gsize) n);
}

static void peer_dtls_step(TestPeer *peer);

static void
peer_timer_clear(TestPeer *peer)
{
  if (peer->timer != NULL) {
    g_source_destroy(peer->timer);
    g_clear_pointer(&peer->timer, g_source_unref);
  }
}

static gboolean
on_peer_timer(gpointer data)
{
  TestPeer *peer = data;
  g_clear_pointer(&peer->timer, g_source_unref);
  if (!peer->secure && !peer->failed) {
    if (DTLSv1_handle_timeout(peer->ssl) < 0)
      peer->failed = TRUE;
    peer_flush_dtls(peer);
    peer_dtls_step(peer);
  }
  return G_SOURCE_REMOVE;
}

static gboolean
peer_make_srtp(TestPeer *peer)
{
  X509 *cert = SSL_get1_peer_certificate(peer->ssl);
  guint8 digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  gboolean ok = cert != NULL && X509_digest(cert, EVP_sha256(), digest, &len) && len == 32 &&
                memcmp(digest, peer->remote_digest, 32) == 0;
  X509_free(cert);
  const SRTP_PROTECTION_PROFILE *profile = SSL_get_selected_srtp_profile(peer->ssl);
  if (!ok || profile == NULL)
    return FALSE;
  gsize key_len = 16;
  gsize salt_len = profile->id == SRTP_AEAD_AES_128_GCM ? 12 : 14;
  guint8 material[60];
  if (SSL_export_keying_material(peer->ssl, material, 2 * (key_len + salt_len),
                                 "EXTRACTOR-dtls_srtp", 19, NULL, 0, 0) != 1)
    return FALSE;
  guint8 client[30], server[30];
  memcpy(client, material, key_len);
  memcpy(server, material + key_len, key_len);
  memcpy(client + key_len, material + 2 * key_len, salt_len);
  memcpy(server + key_len, material + 2 * key_len + salt_len, salt_len);

  srtp_policy_t in, out;
  memset(&in, 0, sizeof in);
  if (profile->id == SRTP_AEAD_AES_128_GCM) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&in.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&in.rtcp);
  } else {
    srtp_crypto_policy_set_rtp_default(&in.rtp);
    srtp_crypto_policy_set_rtcp_default(&in.rtcp);
  }
  in.window_size = 128;
  out = in;
  in.ssrc.type = ssrc_any_inbound;
  in.key = peer->dtls_server ? client : server;
  out.ssrc.type = ssrc_any_outbound;
  out.key = peer->dtls_server ? server : client;
  out.allow_repeat_tx = 1; /* lets the test replay a packet on purpose */
  if (srtp_create(&peer->srtp_in, &in) != srtp_err_status_ok ||
      srtp_create(&peer->srtp_out, &out) != srtp_err_status_ok)
    return FALSE;
  peer->profile = profile->name;
  return TRUE;
}

static void
peer_dtls_step(TestPeer *peer)
{
  if (peer->ssl == NULL || peer->secure || peer->failed)
    return;
  int result = SSL_do_handshake(peer->ssl);
  peer_flush_dtls(peer);
  if (result == 1) {
    peer_timer_clear(peer);
    if (peer_make_srtp(peer))
      peer->secure = TRUE;
    else
      peer->failed = TRUE;
    return;
  }
  int code = SSL_get_error(peer->ssl, result);
  if (code != SSL_ERROR_WANT_READ && code != SSL_ERROR_WANT_WRITE) {
    peer->failed = TRUE;
    ERR_clear_error();
    return;
  }
  struct timeval tv;
  if (peer->timer == NULL && DTLSv1_get_timeout(peer->ssl, &tv)) {
    peer->timer = g_timeout_source_new((guint) (tv.tv_sec * 1000 + tv.tv_usec / 1000) + 1);
    g_source_set_callback(peer->timer, on_peer_timer, peer, NULL);
    g_source_attach(peer->timer, peer->context);
  }
}

static void
on_peer_receive(NiceAgent *agent, guint stream_id, guint component_id, guint len, gchar *data,
                gpointer user_data)
{
  TestPeer *peer = user_data;
  guint8 first = (guint8) data[0];
  if (first >= 20 && first <= 63) {
    if (peer->ssl == NULL)
      return;
    peer->dtls_in++;
    if (peer->drop_dtls_in > 0) {
      peer->drop_dtls_in--;
      return;
    }
    BIO_write(peer->in, data, (int) len);
    if (!peer->secure)
      peer_dtls_step(peer);
    else
      (void) BIO_reset(peer->in);
  } else if (first >= 128 && first <= 191 && peer->srtp_in != NULL) {
    guint8 buf[2048];
    if (len > sizeof buf)
      return;
    memcpy(buf, data, len);
    int size = (int) len;
    gboolean rtcp = buf[1] >= 192 && buf[1] <= 223;
    if (rtcp && srtp_unprotect_rtcp(peer->srtp_in, buf, &size) == srtp_err_status_ok)
      g_ptr_array_add(peer->received_rtcp, g_bytes_new(buf, (gsize) size));
  }
}

static void
on_peer_candidate(NiceAgent *agent, NiceCandidate *candidate, gpointer data)
{
  TestPeer *peer = data;
  g_autofree char *line = nice_agent_generate_local_candidate_sdp(agent, candidate);
  if (line != NULL && peer->on_candidate != NULL)
    peer->on_candidate(peer, g_str_has_prefix(line, "a=") ? line + 2 : line, peer->user_data);
}

static void
on_peer_gathering_done(NiceAgent *agent, guint stream_id, gpointer data)
{
  TestPeer *peer = data;
  if (peer->on_candidate != NULL)
    peer->on_candidate(peer, NULL, peer->user_data);
}

static void
on_peer_state(NiceAgent *agent, guint stream_id, guint component_id, guint state, gpointer data)
{
  TestPeer *peer = data;
  if ((state == NICE_COMPONENT_STATE_CONNECTED || state == NICE_COMPONENT_STATE_READY) &&
      !peer->ice_up) {
    peer->ice_up = TRUE;
    if (!peer->dtls_server)
      peer_dtls_step(peer);
  }
}

static char *
peer_make_certificate(SSL_CTX *context)
{
  EVP_PKEY *key = EVP_EC_gen("P-256");
  X509 *cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), (long) g_random_int_range(1, G_MAXINT32));
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME *name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *) "test-peer", -1, -1,
                             0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, key, EVP_sha256());
  SSL_CTX_use_certificate(context, cert);
  SSL_CTX_use_PrivateKey(context, key);
  guint8 digest[32];
  unsigned int len = 0;
  X509_digest(cert, EVP_sha256(), digest, &len);
  GString *text = g_string_new("sha-256 ");
  for (unsigned int i = 0; i < len; i++)
    g_string_append_printf(text, i ? ":%02X" : "%02X", digest[i]);
  X509_free(cert);
  EVP_PKEY_free(key);
  return g_string_free(text, FALSE);
}

static gboolean
peer_gather(gpointer data)
{
  TestPeer *peer = data;
  g_clear_pointer(&peer->gather, g_source_unref);
  nice_agent_gather_candidates(peer->agent, peer->stream_id);
  return G_SOURCE_REMOVE;
}

static int
peer_verify(int ok, X509_STORE_CTX *store)
{
  return 1;
}

TestPeer *
test_peer_new(GMainContext *context, const char *ipv4, gboolean dtls_server,
              const char *srtp_profiles, TestPeerCandidateFunc on_candidate, gpointer user_data)
{
  static gsize srtp_ready = 0;
  if (g_once_init_enter(&srtp_ready)) {
    /* libsrtp2 2.5 refuses a second srtp_init(): the transport may have
     * made it first, which is fine. */
    (void) srtp_init();
    g_once_init_leave(&srtp_ready, 1);
  }
  TestPeer *peer = g_new0(TestPeer, 1);
  peer->context = g_main_context_ref(context);
  peer->dtls_server = dtls_server;
  peer->on_candidate = on_candidate;
  peer->user_data = user_data;
  peer->received_rtcp = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);

  peer->ssl_context = SSL_CTX_new(DTLS_method());
  peer->fingerprint = peer_make_certificate(peer->ssl_context);
  SSL_CTX_set_verify(peer->ssl_context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                     peer_verify);
  SSL_CTX_set_tlsext_use_srtp(peer->ssl_context, srtp_profiles);

  peer->agent = nice_agent_new_full(context, NICE_COMPATIBILITY_RFC5245,
                                    NICE_AGENT_OPTION_ICE_TRICKLE |
                                        NICE_AGENT_OPTION_REGULAR_NOMINATION);
  g_object_set(peer->agent, "controlling-mode", TRUE, "ice-tcp", FALSE, NULL);
  if (g_object_class_find_property(G_OBJECT_GET_CLASS(peer->agent), "upnp") != NULL)
    g_object_set(peer->agent, "upnp", FALSE, NULL); /* no thread, no SSDP multicast */
  NiceAddress address;
  nice_address_init(&address);
  nice_address_set_from_string(&address, ipv4);
  nice_agent_add_local_address(peer->agent, &address);
  peer->stream_id = nice_agent_add_stream(peer->agent, 1);
  nice_agent_get_local_credentials(peer->agent, peer->stream_id, &peer->ufrag, &peer->pwd);
  g_signal_connect(peer->agent, "new-candidate-full", G_CALLBACK(on_peer_candidate), peer);
  g_signal_connect(peer->agent, "candidate-gathering-done", G_CALLBACK(on_peer_gathering_done),
                   peer);
  g_signal_connect(peer->agent, "component-state-changed", G_CALLBACK(on_peer_state), peer);
  nice_agent_attach_recv(peer->agent, peer->stream_id, 1, context, on_peer_receive, peer);
  /* Gather from the context, once the caller has its transport to give
   * the candidates to. */
  peer->gather = g_idle_source_new();
  g_source_set_callback(peer->gather, peer_gather, peer, NULL);
  g_source_attach(peer->gather, context);
  return peer;
}

void
test_peer_free(TestPeer *peer)
{
  if (peer == NULL)
    return;
  peer_timer_clear(peer);
  if (peer->gather != NULL) {
    g_source_destroy(peer->gather);
    g_clear_pointer(&peer->gather, g_source_unref);
  }
  g_signal_handlers_disconnect_by_data(peer->agent, peer);
  nice_agent_attach_recv(peer->agent, peer->stream_id, 1, peer->context, NULL, NULL);
  g_object_unref(peer->agent);
  SSL_free(peer->ssl);
  SSL_CTX_free(peer->ssl_context);
  if (peer->srtp_in != NULL)
    srtp_dealloc(peer->srtp_in);
  if (peer->srtp_out != NULL)
    srtp_dealloc(peer->srtp_out);
  g_ptr_array_unref(peer->received_rtcp);
  g_main_context_unref(peer->context);
  g_free(peer->ufrag);
  g_free(peer->pwd);
  g_free(peer->fingerprint);
  g_free(peer);
}

const char *
test_peer_get_ufrag(TestPeer *peer)
{
  return peer->ufrag;
}
const char *
test_peer_get_pwd(TestPeer *peer)
{
  return peer->pwd;
}
const char *
test_peer_get_fingerprint(TestPeer *peer)
{
  return peer->fingerprint;
}
gboolean
test_peer_is_secure(TestPeer *peer)
{
  return peer->secure;
}
gboolean
test_peer_failed(TestPeer *peer)
{
  return peer->failed;
}
const char *
test_peer_get_srtp_profile(TestPeer *peer)
{
  return peer->profile;
}
GPtrArray *
test_peer_get_received_rtcp(TestPeer *peer)
{
  return peer->received_rtcp;
}
guint64
test_peer_get_bytes_sent(TestPeer *peer)
{
  return peer->bytes_sent;
}
void
test_peer_drop_dtls_in(TestPeer *peer, guint n)
{
  peer->drop_dtls_in = n;
}
guint
test_peer_get_dtls_in(TestPeer *peer)
{
  return peer->dtls_in;
}

void
test_peer_set_remote(TestPeer *peer, const char *ufrag, const char *pwd, const char *fingerprint)
{
  const char *hex = fingerprint + strlen("sha-256 ");
  for (int i = 0; i < 32; i++)
    peer->remote_digest[i] = (guint8) (g_ascii_xdigit_value(hex[3 * i]) << 4 |
                                       g_ascii_xdigit_value(hex[3 * i + 1]));
  peer->ssl = SSL_new(peer->ssl_context);
  peer->in = BIO_new(BIO_s_mem());
  peer->out = BIO_new(BIO_s_mem());
  BIO_set_mem_eof_return(peer->in, -1);
  BIO_set_mem_eof_return(peer->out, -1);
  SSL_set_bio(peer->ssl, peer->in, peer->out);
  SSL_set_options(peer->ssl, SSL_OP_NO_QUERY_MTU);
  DTLS_set_link_mtu(peer->ssl, 1200);
  if (peer->dtls_server)
    SSL_set_accept_state(peer->ssl);
  else
    SSL_set_connect_state(peer->ssl);
  nice_agent_set_remote_credentials(peer->agent, peer->stream_id, ufrag, pwd);
}

gboolean
test_peer_add_remote_candidate(TestPeer *peer, const char *candidate)
{
  g_autofree char *line = g_strconcat("a=", candidate, NULL);
  NiceCandidate *parsed = nice_agent_parse_remote_candidate_sdp(peer->agent, peer->stream_id, line);
  if (parsed == NULL)
    return FALSE;
  GSList list = { parsed, NULL };
  gboolean ok = nice_agent_set_remote_candidates(peer->agent, peer->stream_id, 1, &list) >= 0;
  nice_candidate_free(parsed);
  return ok;
}

int
test_peer_send_rtp(TestPeer *peer, guint8 payload_type, guint16 seq, guint32 timestamp,
                   guint32 ssrc, const guint8 *payload, gsize len, GBytes **protected_out)
{
  guint8 buf[2048];
  if (peer->srtp_out == NULL || 12 + len + SRTP_MAX_TRAILER_LEN > sizeof buf)
    return -1;
  buf[0] = 0x80;
  buf[1] = payload_type & 0x7f;
  buf[2] = (guint8) (seq >> 8);
  buf[3] = (guint8) seq;
  guint32 be_ts = g_htonl(timestamp), be_ssrc = g_htonl(ssrc);
  memcpy(buf + 4, &be_ts, 4);
  memcpy(buf + 8, &be_ssrc, 4);
  memcpy(buf + 12, payload, len);
  int size = (int) (12 + len);
  if (srtp_protect(peer->srtp_out, buf, &size) != srtp_err_status_ok)
    return -1;
  if (protected_out != NULL)
    *protected_out = g_bytes_new(buf, (gsize) size);
  peer_send(peer, buf, (gsize) size);
  return 0;
}

int
test_peer_send_raw(TestPeer *peer, GBytes *datagram)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data(datagram, &len);
  peer_send(peer, data, len);
  return 0;
}

int
test_peer_send_rtcp(TestPeer *peer, const guint8 *rtcp, gsize len)
{
  guint8 buf[2048];
  if (peer->srtp_out == NULL || len + SRTP_MAX_TRAILER_LEN > sizeof buf)
    return -1;
  memcpy(buf, rtcp, len);
  int size = (int) len;
  if (srtp_protect_rtcp(peer->srtp_out, buf, &size) != srtp_err_status_ok)
    return -1;
  peer_send(peer, buf, (gsize) size);
  return 0;
}

int
test_count_threads(void)
{
  DIR *dir = opendir("/proc/self/task");
  int n = 0;
  struct dirent *entry;
  if (dir == NULL)
    return -1;
  while ((entry = readdir(dir)) != NULL)
    if (entry->d_name[0] != '.')
      n++;
  closedir(dir);
  return n;
}
