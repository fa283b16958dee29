/* transport-dtls.c: DTLS-SRTP for ImsTransport (see transport.h).
 *
 * Process-wide (made once, thread-safe, never freed): one self-signed ECDSA
 * P-256 certificate, its SHA-256 fingerprint, one SSL_CTX (DTLS, use_srtp
 * with SRTP_AEAD_AES_128_GCM when libsrtp2 has it, then
 * SRTP_AES128_CM_SHA1_80; peer certificate required but checked against the
 * SDP fingerprint ourselves, since it is self-signed), and srtp_init().
 *
 * Per transport (loop thread): one SSL in the role the SDP chose.  Reads go
 * through a memory BIO fed one datagram at a time; writes go through a small
 * BIO of ours whose every write is one datagram sent with nice_agent_send(),
 * so records keep their datagram boundaries (as Janus's dtls-bio does).
 * Handshake retransmissions: DTLSv1_get_timeout() drives a GSource on the
 * loop.  When the handshake ends: the peer certificate's SHA-256 must match
 * a=fingerprint, then SSL_export_keying_material("EXTRACTOR-dtls_srtp")
 * gives client key, server key, client salt, server salt (RFC 5764 4.2);
 * the remote's key makes srtp_in (unprotect), ours srtp_out (protect_rtcp).
 *
 * States of one handshake: set up -> handshaking (client: from ICE
 * connected; server: from the first ClientHello) -> done (secure) or failed.
 */
#define G_LOG_DOMAIN "imsd.transport"

#include "transport-private.h"

#include <string.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "log-session.h"

static SSL_CTX *dtls_context;
static char *dtls_fingerprint;
static BIO_METHOD *send_bio_method;
static char *dtls_init_error;

/* ---- the process's certificate and context ------------------------------ */

static char *
openssl_error_string(void)
{
  unsigned long code = ERR_get_error();
  char text[256];
  if (code == 0)
    return g_strdup("unknown OpenSSL error");
  ERR_error_string_n(code, text, sizeof text);
  ERR_clear_error();
  return g_strdup(text);
}

static char *
format_fingerprint(X509 *certificate)
{
  guint8 digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!X509_digest(certificate, EVP_sha256(), digest, &len) || len != 32)
    return NULL;
  GString *text = g_string_new("sha-256 ");
  for (unsigned int i = 0; i < len; i++)
    g_string_append_printf(text, i == 0 ? "%02X" : ":%02X", digest[i]);
  return g_string_free(text, FALSE);
}

static int
accept_any_certificate(int preverify_ok, X509_STORE_CTX *store)
{
  /* Self-signed by design: the fingerprint check after the handshake is
   * what authenticates the peer. */
  return 1;
}

static int
send_bio_write(BIO *bio, const char *data, int len)
{
  ImsTransport *transport = BIO_get_data(bio);
  if (transport != NULL && len > 0)
    (void) ims_transport_send_datagram(transport, (const guint8 *) data, (gsize) len);
  return len; /* a lost datagram is retransmitted by the DTLS timer */
}

static long
send_bio_ctrl(BIO *bio, int cmd, long num, void *ptr)
{
  switch (cmd) {
  case BIO_CTRL_FLUSH:
    return 1;
  case BIO_CTRL_DGRAM_QUERY_MTU:
  case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
    return IMS_TRANSPORT_DTLS_MTU;
  case BIO_CTRL_WPENDING:
  case BIO_CTRL_PENDING:
    return 0;
  default:
    return 0;
  }
}

static int
send_bio_create(BIO *bio)
{
  BIO_set_init(bio, 1);
  return 1;
}

/* Whether libsrtp2 makes a session with this cipher (AES-GCM needs a build
 * with OpenSSL or NSS; nothing works before srtp_init()). */
static gboolean
srtp_can_create(gboolean gcm)
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
  guint8 key[SRTP_MAX_KEY_LEN] = { 0 };
  policy.key = key;
  policy.ssrc.type = ssrc_any_inbound;
  policy.window_size = 128;
  srtp_t session = NULL;
  if (srtp_create(&session, &policy) != srtp_err_status_ok)
    return FALSE;
  srtp_dealloc(session);
  return TRUE;
}

static gpointer
dtls_init_once(gpointer unused)
{
  EVP_PKEY *key = NULL;
  X509 *certificate = NULL;
  SSL_CTX *context = NULL;

  /* libsrtp2 2.5 refuses a second srtp_init() (another user in the process
   * made it already): fine as long as sessions can be made. */
  srtp_err_status_t srtp_status = srtp_init();
  if (srtp_status != srtp_err_status_ok && !srtp_can_create(FALSE)) {
    dtls_init_error = g_strdup_printf("srtp_init failed (%d)", (int) srtp_status);
    goto error;
  }
  key = EVP_EC_gen("P-256");
  certificate = X509_new();
  if (key == NULL || certificate == NULL)
    goto openssl_error;
  guint64 serial = g_random_int() | (guint64) g_random_int() << 31;
  if (!X509_set_version(certificate, 2) ||
      !ASN1_INTEGER_set_uint64(X509_get_serialNumber(certificate), serial | 1) ||
      !X509_gmtime_adj(X509_getm_notBefore(certificate), -24 * 3600) ||
      !X509_gmtime_adj(X509_getm_notAfter(certificate), 30L * 24 * 3600) ||
      !X509_set_pubkey(certificate, key))
    goto openssl_error;
  X509_NAME *name = X509_get_subject_name(certificate);
  if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *) "imsd", -1, -1,
                                  0) ||
      !X509_set_issuer_name(certificate, name) || !X509_sign(certificate, key, EVP_sha256()))
    goto openssl_error;

  context = SSL_CTX_new(DTLS_method());
  if (context == NULL || !SSL_CTX_use_certificate(context, certificate) ||
      !SSL_CTX_use_PrivateKey(context, key) || !SSL_CTX_check_private_key(context) ||
      !SSL_CTX_set_min_proto_version(context, DTLS1_2_VERSION))
    goto openssl_error;
  SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                     accept_any_certificate);
  const char *profiles = srtp_can_create(TRUE) ? "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"
                                               : "SRTP_AES128_CM_SHA1_80";
  /* Returns 0 on success, unlike the rest of OpenSSL. */
  if (SSL_CTX_set_tlsext_use_srtp(context, profiles) != 0)
    goto openssl_error;

  send_bio_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "ims-dtls-send");
  if (send_bio_method == NULL)
    goto openssl_error;
  BIO_meth_set_write(send_bio_method, send_bio_write);
  BIO_meth_set_ctrl(send_bio_method, send_bio_ctrl);
  BIO_meth_set_create(send_bio_method, send_bio_create);

  dtls_fingerprint = format_fingerprint(certificate);
  if (dtls_fingerprint == NULL)
    goto openssl_error;
  dtls_context = context;
  g_debug("DTLS certificate %s, SRTP profiles %s", dtls_fingerprint, profiles);
  X509_free(certificate);
  EVP_PKEY_free(key);
  return NULL;

openssl_error:
  dtls_init_error = openssl_error_string();
error:
  SSL_CTX_free(context);
  X509_free(certificate);
  EVP_PKEY_free(key);
  return NULL;
}

gboolean
ims_transport_dtls_init(GError **error)
{
  static GOnce once = G_ONCE_INIT;
  g_once(&once, dtls_init_once, NULL);
  if (dtls_context == NULL) {
    g_set_error(error, IMS_TRANSPORT_ERROR, IMS_TRANSPORT_ERROR_DTLS, "DTLS-SRTP set-up failed: %s",
                dtls_init_error);
    return FALSE;
  }
  return TRUE;
}

const char *
ims_transport_dtls_fingerprint(void)
{
  return dtls_fingerprint;
}

/* ---- one handshake ------------------------------------------------------ */

static void dtls_schedule_timer(ImsTransport *transport);

static void
source_destroy_and_unref(GSource *source)
{
  g_source_destroy(source);
  g_source_unref(source);
}

static void
srtp_session_free(srtp_t session)
{
  (void) srtp_dealloc(session);
}

/* OpenSSL's default starts at 1 s; start at 200 ms (Chromium: 50 ms, then
 * doubling), at most 3 s. */
static unsigned int
dtls_timer_cb(SSL *ssl, unsigned int previous_us)
{
  if (previous_us == 0)
    return 200000;
  return MIN(previous_us * 2, 3000000u);
}

gboolean
ims_transport_dtls_setup(ImsTransport *transport, GError **error)
{
  g_return_val_if_fail(transport->ssl == NULL, FALSE);
  SSL *ssl = SSL_new(dtls_context);
  BIO *in = BIO_new(BIO_s_mem());
  BIO *out = BIO_new(send_bio_method);
  if (ssl == NULL || in == NULL || out == NULL) {
    g_autofree char *why = openssl_error_string();
    g_set_error(error, IMS_TRANSPORT_ERROR, IMS_TRANSPORT_ERROR_DTLS, "DTLS: %s", why);
    SSL_free(ssl);
    BIO_free(in);
    BIO_free(out);
    return FALSE;
  }
  BIO_set_mem_eof_return(in, -1);
  BIO_set_data(out, transport);
  SSL_set_bio(ssl, in, out);
  SSL_set_options(ssl, SSL_OP_NO_QUERY_MTU);
  DTLS_set_link_mtu(ssl, IMS_TRANSPORT_DTLS_MTU);
  DTLS_set_timer_cb(ssl, dtls_timer_cb);
  if (transport->dtls_client)
    SSL_set_connect_state(ssl);
  else
    SSL_set_accept_state(ssl);
  transport->ssl = ssl;
  transport->dtls_in = in;
  return TRUE;
}

static gboolean
dtls_make_srtp(ImsTransport *transport)
{
  X509 *peer = SSL_get1_peer_certificate(transport->ssl);
  guint8 digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  gboolean matches = peer != NULL && X509_digest(peer, EVP_sha256(), digest, &digest_len) &&
                     digest_len == 32 && memcmp(digest, transport->remote_fingerprint, 32) == 0;
  X509_free(peer);
  if (!matches) {
    ims_transport_fail(transport, IMS_TRANSPORT_ERROR_FINGERPRINT,
                       "the peer's DTLS certificate does not match a=fingerprint");
    return FALSE;
  }

  const SRTP_PROTECTION_PROFILE *profile = SSL_get_selected_srtp_profile(transport->ssl);
  if (profile == NULL) {
    ims_transport_fail(transport, IMS_TRANSPORT_ERROR_SRTP, "the peer agreed no SRTP profile");
    return FALSE;
  }
  gsize key_len = 16, salt_len;
  srtp_policy_t in_policy, out_policy;
  memset(&in_policy, 0, sizeof in_policy);
  if (profile->id == SRTP_AES128_CM_SHA1_80) {
    salt_len = 14;
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&in_policy.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&in_policy.rtcp);
  } else if (profile->id == SRTP_AEAD_AES_128_GCM) {
    salt_len = 12;
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&in_policy.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&in_policy.rtcp);
  } else {
    ims_transport_fail(transport, IMS_TRANSPORT_ERROR_SRTP, "unexpected SRTP profile %s",
                       profile->name);
    return FALSE;
  }
  guint8 material[2 * (16 + 14)];
  gsize material_len = 2 * (key_len + salt_len);
  static const char label[] = "EXTRACTOR-dtls_srtp";
  if (SSL_export_keying_material(transport->ssl, material, material_len, label, sizeof label - 1,
                                 NULL, 0, 0) != 1) {
    ims_transport_fail(transport, IMS_TRANSPORT_ERROR_SRTP, "SSL_export_keying_material failed");
    return FALSE;
  }
  /* client key | server key | client salt | server salt */
  guint8 client_key[16 + 14], server_key[16 + 14];
  memcpy(client_key, material, key_len);
  memcpy(server_key, material + key_len, key_len);
  memcpy(client_key + key_len, material + 2 * key_len, salt_len);
  memcpy(server_key + key_len, material + 2 * key_len + salt_len, salt_len);

  out_policy = in_policy;
  in_policy.ssrc.type = ssrc_any_inbound;
  in_policy.key = transport->dtls_client ? server_key : client_key;
  in_policy.window_size = 1024; /* NACK retransmissions arrive late */
  out_policy.ssrc.type = ssrc_any_outbound;
  out_policy.key = transport->dtls_client ? client_key : server_key;
  out_policy.window_size = 128;
  out_policy.allow_repeat_tx = 1;
  srtp_err_status_t in_status = srtp_create(&transport->srtp_in, &in_policy);
  srtp_err_status_t out_status = srtp_create(&transport->srtp_out, &out_policy);
  OPENSSL_cleanse(material, sizeof material);
  OPENSSL_cleanse(client_key, sizeof client_key);
  OPENSSL_cleanse(server_key, sizeof server_key);
  if (in_status != srtp_err_status_ok || out_status != srtp_err_status_ok) {
    ims_transport_fail(transport, IMS_TRANSPORT_ERROR_SRTP, "libsrtp2 refused the keys (%d, %d)",
                       (int) in_status, (int) out_status);
    return FALSE;
  }
  transport->stats.srtp_profile = profile->name;
  ims_log_session(G_LOG_LEVEL_MESSAGE, transport->session_id, NULL, "%sDTLS-SRTP up (%s, %s)",
                  transport->log_prefix, profile->name,
                  transport->dtls_client ? "client" : "server");
  return TRUE;
}

/* Runs the handshake as far as it goes now; on its end makes the SRTP
 * sessions and moves to secure. */
static void
dtls_step(ImsTransport *transport)
{
  if (transport->ssl == NULL || transport->handshake_done)
    return;
  ERR_clear_error();
  int result = SSL_do_handshake(transport->ssl);
  if (result == 1) {
    transport->handshake_done = TRUE;
    g_clear_pointer(&transport->dtls_timer, source_destroy_and_unref);
    if (dtls_make_srtp(transport))
      ims_transport_set_state(transport, IMS_TRANSPORT_STATE_SECURE);
    return;
  }
  int code = SSL_get_error(transport->ssl, result);
  if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) {
    dtls_schedule_timer(transport);
    return;
  }
  g_autofree char *why = openssl_error_string();
  g_clear_pointer(&transport->dtls_timer, source_destroy_and_unref);
  ims_transport_fail(transport, IMS_TRANSPORT_ERROR_DTLS, "DTLS handshake failed: %s", why);
}

static gboolean
on_dtls_timer(gpointer data)
{
  ImsTransport *transport = data;
  g_clear_pointer(&transport->dtls_timer, g_source_unref);
  if (transport->ssl == NULL || transport->handshake_done)
    return G_SOURCE_REMOVE;
  if (DTLSv1_handle_timeout(transport->ssl) < 0) {
    ims_transport_fail(transport, IMS_TRANSPORT_ERROR_DTLS, "DTLS handshake timed out");
    return G_SOURCE_REMOVE;
  }
  dtls_schedule_timer(transport);
  return G_SOURCE_REMOVE;
}

static void
dtls_schedule_timer(ImsTransport *transport)
{
  struct timeval timeout;
  if (!DTLSv1_get_timeout(transport->ssl, &timeout))
    return;
  guint ms = (guint) (timeout.tv_sec * 1000 + timeout.tv_usec / 1000);
  g_clear_pointer(&transport->dtls_timer, source_destroy_and_unref);
  transport->dtls_timer = g_timeout_source_new(MAX(ms, 1));
  g_source_set_callback(transport->dtls_timer, on_dtls_timer, transport, NULL);
  g_source_attach(transport->dtls_timer, ims_media_loop_get_context(transport->loop));
}

void
ims_transport_dtls_connected(ImsTransport *transport)
{
  if (transport->dtls_client)
    dtls_step(transport);
}

void
ims_transport_dtls_receive(ImsTransport *transport, const guint8 *buf, gsize len)
{
  if (transport->ssl == NULL)
    return; /* before the remote description: the peer retransmits */
  BIO_write(transport->dtls_in, buf, (int) len);
  if (!transport->handshake_done) {
    dtls_step(transport);
    return;
  }
  /* After the handshake: a retransmitted final flight, an alert. */
  guint8 scratch[256];
  ERR_clear_error();
  int result = SSL_read(transport->ssl, scratch, sizeof scratch);
  if (result <= 0 && SSL_get_error(transport->ssl, result) == SSL_ERROR_ZERO_RETURN)
    ims_transport_fail(transport, IMS_TRANSPORT_ERROR_PEER_CLOSED,
                       "the peer closed DTLS (close_notify)");
  (void) BIO_reset(transport->dtls_in);
}

void
ims_transport_dtls_clear(ImsTransport *transport)
{
  g_clear_pointer(&transport->dtls_timer, source_destroy_and_unref);
  if (transport->ssl != NULL) {
    /* Detach the send BIO from the transport before freeing: SSL_free may
     * try to write. */
    BIO_set_data(SSL_get_wbio(transport->ssl), NULL);
    SSL_free(transport->ssl);
    transport->ssl = NULL;
    transport->dtls_in = NULL;
  }
  g_clear_pointer(&transport->srtp_in, srtp_session_free);
  g_clear_pointer(&transport->srtp_out, srtp_session_free);
}
