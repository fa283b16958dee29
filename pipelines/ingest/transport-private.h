/* transport-private.h: the ImsTransport struct shared by transport.c (ICE,
 * demux, lifecycle) and transport-dtls.c (certificate, DTLS, SRTP).
 * Not for other modules. */
#pragma once

#include "transport.h"

#include <agent.h>
#include <openssl/ssl.h>
#include <srtp2/srtp.h>

/* Largest datagram we accept or send (RTP over UDP at MTU 1500 fits). */
#define IMS_TRANSPORT_PACKET_MAX 2048
/* DTLS records are cut to this size (fits every path MTU we meet). */
#define IMS_TRANSPORT_DTLS_MTU 1200

struct _ImsTransport {
  gatomicrefcount refcount;
  ImsMediaLoop *loop; /* released when the transport is freed */
  char *session_id;   /* owned, NULL: none; the session field of every log line */
  char *log_prefix;   /* "" with a session id, else "[<log_id>] ": the lines' text starts so */
  ImsTransportCallbacks callbacks;
  gpointer user_data;

  gint closed;     /* atomic: set by ims_transport_close() */
  gint state;      /* atomic ImsTransportState, written on the loop */
  gint remote_set; /* atomic: ims_transport_set_remote() was accepted */

  char *public_ip;  /* owned, NULL: no public twin of host candidates */
  gboolean ice_tcp; /* passive TCP candidates, remote TCP candidates taken */
  NiceAgent *agent; /* owned; signals handled on the loop */
  guint stream_id;
  char *local_ufrag; /* owned, set at new */
  char *local_pwd;

  /* Written by ims_transport_set_remote() before its work is posted; read
   * on the loop after (the post orders them). */
  gboolean dtls_client;
  guint8 remote_fingerprint[32]; /* SHA-256 of the peer's certificate */

  /* Loop thread only from here on. */
  SSL *ssl;            /* owned; rbio = memory BIO, wbio = sends via libnice */
  BIO *dtls_in;        /* borrowed from ssl */
  GSource *dtls_timer; /* owned, handshake retransmission */
  gboolean handshake_done;
  gboolean ice_connected;
  srtp_t srtp_in;  /* owned: remote's key, unprotect */
  srtp_t srtp_out; /* owned: our key, protect_rtcp */
  ImsTransportStats stats;

  guint8 recv_buf[IMS_TRANSPORT_PACKET_MAX];
  guint8 send_buf[IMS_TRANSPORT_PACKET_MAX + SRTP_MAX_TRAILER_LEN];
};

/* transport.c */
void ims_transport_set_state(ImsTransport *transport, ImsTransportState state);
void ims_transport_fail(ImsTransport *transport, ImsTransportError code, const char *format, ...)
    G_GNUC_PRINTF(3, 4);
/* Sends one datagram on the selected pair; returns 0 or -EIO. */
int ims_transport_send_datagram(ImsTransport *transport, const guint8 *buf, gsize len);

/* transport-dtls.c */
/* The process's certificate and DTLS context, made once (thread-safe).
 * Returns FALSE with IMS_TRANSPORT_ERROR_DTLS if OpenSSL or libsrtp2 could
 * not be set up. */
gboolean ims_transport_dtls_init(GError **error);
/* "sha-256 AB:CD:..." of the process's certificate (after dtls_init). */
const char *ims_transport_dtls_fingerprint(void);
/* Creates transport->ssl for its role (loop thread). */
gboolean ims_transport_dtls_setup(ImsTransport *transport, GError **error);
/* ICE is up: a client starts its handshake. */
void ims_transport_dtls_connected(ImsTransport *transport);
/* One DTLS datagram from the peer (first byte 20..63). */
void ims_transport_dtls_receive(ImsTransport *transport, const guint8 *buf, gsize len);
/* Frees SSL and SRTP state and the timer (loop thread; idempotent). */
void ims_transport_dtls_clear(ImsTransport *transport);
