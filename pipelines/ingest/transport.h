/* transport.h: one peer's ICE + DTLS-SRTP transport on a media loop.
 *
 * One ImsTransport carries everything one WebRTC peer sends over one
 * BUNDLE group with rtcp-mux: one libnice stream with one component, full
 * ICE in the controlled role (the browser offers, so it controls), trickle
 * both ways, host UDP candidates (and, by ImsTransportNetwork, passive TCP
 * ones and a 1:1 NAT's public address beside them); DTLS-SRTP with OpenSSL
 * (one self-signed ECDSA P-256 certificate per process, memory BIOs,
 * SSL_export_keying_material) and libsrtp2 for SRTP/SRTCP.  It delivers decrypted RTP and RTCP to callbacks, protects
 * the RTCP feedback the receiver sends back and, for a sender (sender.h: a
 * subscriber's transport), protects and sends the RTP it forwards.
 *
 * Lifecycle (ImsTransportState):
 *   new -> checking (remote credentials set, ICE checks) -> connected
 *   (ICE selected a pair, DTLS handshaking) -> secure (SRTP keys set: media
 *   flows) ; any -> failed (ICE failed, DTLS failed, fingerprint mismatch) ;
 *   ims_transport_close(): -> closed (no callback after close).
 *
 * DTLS role: set by the caller from the negotiation (ims_transport_set_remote's
 * setup is the remote's): the receiver answers a=setup:passive (DTLS server) to
 * an actpass or active offer, active to a passive one.  As server the transport
 * chooses the SRTP profile by its own order (AES-GCM, then AES-CM).
 *
 * Threads: the transport lives on the media loop it was created on.  Every
 * callback runs on that loop's thread.  ims_transport_new(),
 * ims_transport_set_remote(), ims_transport_add_remote_candidate(),
 * ims_transport_remote_candidates_done(), ims_transport_close() and the
 * local getters may be called from any thread (work is posted to the loop
 * and runs in order); ims_transport_send_rtcp(), ims_transport_send_rtp()
 * and ims_transport_get_stats() only on the loop thread (per packet: no hop).
 */
#pragma once

#include <glib.h>

#include "media-loop.h"

G_BEGIN_DECLS

#define IMS_TRANSPORT_ERROR (ims_transport_error_quark())
GQuark ims_transport_error_quark(void);

typedef enum {
  IMS_TRANSPORT_ERROR_INVALID_ARGUMENT, /* bad credentials, fingerprint, setup or candidate */
  IMS_TRANSPORT_ERROR_ICE,              /* libnice refused or ICE failed */
  IMS_TRANSPORT_ERROR_DTLS,             /* handshake failed or timed out */
  IMS_TRANSPORT_ERROR_FINGERPRINT,      /* peer certificate != a=fingerprint */
  IMS_TRANSPORT_ERROR_SRTP,             /* no SRTP profile agreed, or libsrtp2 refused the keys */
  IMS_TRANSPORT_ERROR_CLOSED,           /* the transport is closed */
  IMS_TRANSPORT_ERROR_PEER_CLOSED,      /* the peer ended DTLS (close_notify): it went away */
} ImsTransportError;

typedef enum {
  IMS_TRANSPORT_STATE_NEW,
  IMS_TRANSPORT_STATE_CHECKING,
  IMS_TRANSPORT_STATE_CONNECTED,
  IMS_TRANSPORT_STATE_SECURE,
  IMS_TRANSPORT_STATE_FAILED,
  IMS_TRANSPORT_STATE_CLOSED,
} ImsTransportState;

/* The remote side's a=setup. */
typedef enum {
  IMS_DTLS_SETUP_ACTPASS,
  IMS_DTLS_SETUP_ACTIVE,
  IMS_DTLS_SETUP_PASSIVE,
} ImsDtlsSetup;

typedef struct _ImsTransport ImsTransport;

/* Called on the transport's loop thread.  buf is writable and valid only
 * during the call.  A callback may call ims_transport_close() (the free is
 * deferred); it must not free what it does not own. */
typedef struct {
  /* error is set for the failed state (borrowed), NULL otherwise. */
  void (*state_changed)(ImsTransport *transport, ImsTransportState state, const GError *error,
                        gpointer user_data);
  /* candidate: "candidate:..." (an SDP a=candidate value without "a="),
   * for the answer or for trickle; NULL once gathering is done.  Host UDP
   * and passive TCP ones, each followed by its public twin with a
   * public_ip (ImsTransportNetwork); never active TCP ones. */
  void (*local_candidate)(ImsTransport *transport, const char *candidate, gpointer user_data);
  void (*rtp)(ImsTransport *transport, guint8 *buf, gsize len, gpointer user_data);
  void (*rtcp)(ImsTransport *transport, guint8 *buf, gsize len, gpointer user_data);
} ImsTransportCallbacks;

typedef struct {
  guint64 rtp_packets;      /* delivered to the rtp callback */
  guint64 rtp_bytes;        /* decrypted bytes delivered */
  guint64 rtcp_packets;     /* delivered to the rtcp callback */
  guint64 srtp_errors;      /* packets unprotect refused (auth, replay) */
  guint64 dtls_packets;     /* DTLS records received */
  guint64 other_packets;    /* dropped by the RFC 7983 demux */
  guint64 rtcp_sent;        /* ims_transport_send_rtcp() packets sent */
  guint64 rtp_sent;         /* ims_transport_send_rtp() packets sent */
  guint64 rtp_bytes_sent;   /* their bytes before SRTP */
  const char *srtp_profile; /* "SRTP_AES128_CM_SHA1_80", ... or NULL */
  int receive_buffer_bytes; /* SO_RCVBUF of the selected pair's socket as the kernel reports it
                                (twice what it grants), 0 before a pair is selected */
} ImsTransportStats;

/* Where a transport gathers and what it advertises ([media] ice_interfaces,
 * public_ip, ice_tcp; docs/ingest.md "Reachability").  Read only by
 * ims_transport_new_full(): nothing in it is kept. */
typedef struct {
  /* Interface names or local IP addresses to gather on, comma-separated;
   * NULL or empty: every interface but loopback (libnice's choice). */
  const char *interfaces;
  /* An IPv4 or IPv6 address that reaches this machine through a 1:1 NAT, or
   * NULL: each host candidate of the same family is also advertised with this
   * address and the same port (typ srflx, raddr/rport the host's), beside it. */
  const char *public_ip;
  /* Also gather passive ICE-TCP candidates (RFC 6544) and take the remote's
   * TCP candidates; UDP stays preferred. */
  gboolean ice_tcp;
} ImsTransportNetwork;

/* Creates a transport on loop (acquired by the caller with
 * ims_media_loops_acquire(); the transport releases it when it is freed).
 * Gathering starts at once on the loop: local candidates arrive through
 * callbacks->local_candidate.  callbacks is copied; user_data is borrowed
 * until the closed state.  session_id (copied; NULL: none) is the session its log lines are about,
 * carried as their session field (ims_log_session); without one, log_id names the peer in their text
 * (copied).
 * network: NULL for host UDP candidates on every interface.
 * Returns the transport (transfer full: end it with ims_transport_close()),
 * or NULL with error set (ICE agent or DTLS context could not be made, or
 * IMS_TRANSPORT_ERROR_INVALID_ARGUMENT: an interface that is neither a
 * local interface's name nor an IP address, a public_ip that is not an
 * address: nothing is changed, the loop load is the caller's to release).
 * Does not wait (interface names are looked up with one ioctl each). */
ImsTransport *ims_transport_new_full(ImsMediaLoop *loop, const char *log_id, const char *session_id,
                                     const ImsTransportNetwork *network,
                                     const ImsTransportCallbacks *callbacks, gpointer user_data,
                                     GError **error);

/* ims_transport_new_full() with no session id and network NULL. */
ImsTransport *ims_transport_new(ImsMediaLoop *loop, const char *log_id,
                                const ImsTransportCallbacks *callbacks, gpointer user_data,
                                GError **error);

/* Local ICE credentials and certificate fingerprint for the answer
 * (borrowed, valid until close).  The fingerprint is the SDP value
 * "sha-256 AB:CD:...", the same for every transport of the process. */
const char *ims_transport_get_local_ufrag(ImsTransport *transport);
const char *ims_transport_get_local_pwd(ImsTransport *transport);
const char *ims_transport_get_local_fingerprint(ImsTransport *transport);

/* The answer's a=setup value: "active" (DTLS client) or "passive"; "active"
 * before ims_transport_set_remote(). */
const char *ims_transport_get_local_setup(ImsTransport *transport);

/* Sets the offer's ICE ufrag/pwd, its a=fingerprint value ("sha-256 AB:..";
 * only sha-256 is accepted) and its a=setup.  Checks the arguments here and
 * returns FALSE with IMS_TRANSPORT_ERROR_INVALID_ARGUMENT (nothing changed),
 * or IMS_TRANSPORT_ERROR_CLOSED; else posts the work to the loop (ICE checks
 * start, the DTLS role is fixed) and returns TRUE.  Once per transport. */
gboolean ims_transport_set_remote(ImsTransport *transport, const char *ufrag, const char *pwd,
                                  const char *fingerprint, ImsDtlsSetup remote_setup,
                                  GError **error);

/* Adds one remote candidate ("candidate:..." or "a=candidate:...").  The
 * syntax is checked here (FALSE + IMS_TRANSPORT_ERROR_INVALID_ARGUMENT for a
 * line libnice cannot parse); then the candidate is added on the loop.
 * RTCP-component candidates, and TCP ones without ICE-TCP, are accepted and
 * ignored.  Candidates before ims_transport_set_remote() are fine. */
gboolean ims_transport_add_remote_candidate(ImsTransport *transport, const char *candidate,
                                            GError **error);

/* The remote side sent end-of-candidates: ICE may now fail for lack of
 * pairs instead of waiting for more. */
void ims_transport_remote_candidates_done(ImsTransport *transport);

/* Protects one RTCP (compound) packet with SRTCP and sends it.  Loop thread
 * only.  Returns 0, -ENOTCONN before the secure state or after close,
 * -EMSGSIZE if len + the SRTCP trailer exceeds the send buffer, -EINVAL for
 * a packet that is not RTCP, -EIO if libsrtp2 or libnice refused it.
 * Cost: one copy into a reused buffer, one protect, one send. */
int ims_transport_send_rtcp(ImsTransport *transport, const guint8 *buf, gsize len);

/* Protects one RTP packet with SRTP and sends it.  Loop thread only.
 * Returns 0, -ENOTCONN before the secure state or after close, -EMSGSIZE
 * if len exceeds IMS_TRANSPORT_PACKET_MAX (1500-byte packets fit), -EINVAL
 * for a packet that is not RTP (or is RTCP), -EIO if libsrtp2 or libnice
 * refused it.  The same packet may be sent again (a retransmission: the
 * SRTP session allows the repeated index).  Cost: one copy into a reused
 * buffer, one protect, one send; no allocation. */
int ims_transport_send_rtp(ImsTransport *transport, const guint8 *buf, gsize len);

/* Counters so far (loop thread only). */
void ims_transport_get_stats(ImsTransport *transport, ImsTransportStats *stats);

/* Current state (any thread; a snapshot). */
ImsTransportState ims_transport_get_state(ImsTransport *transport);

/* Stops the transport: no callback starts after this returns (one already
 * running on the loop thread may finish).  The ICE agent, DTLS and SRTP state
 * are freed later on the loop, from an idle source (never inside a
 * callback), and the loop is released then.  Any thread, also from inside a
 * callback.  NULL is ignored; closing twice is harmless. */
void ims_transport_close(ImsTransport *transport);

/* Names of the states, for logs. */
const char *ims_transport_state_to_string(ImsTransportState state);

G_END_DECLS
