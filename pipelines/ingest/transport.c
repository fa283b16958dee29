/* transport.c: one peer's ICE transport, packet demux and lifecycle (see
 * transport.h; DTLS and SRTP are in transport-dtls.c).
 *
 * ICE: one NiceAgent per peer, created with the media loop's context, full
 * ICE (RFC 5245 + trickle), controlled, UDP (and passive TCP with
 * ImsTransportNetwork.ice_tcp), one stream with one component (BUNDLE +
 * rtcp-mux), no UPnP.  libnice gathers host candidates on the machine's
 * interfaces (never loopback) or on the configured ones; with a public_ip
 * each host candidate is signalled with its public twin after it (answer.c:
 * ims_answer_public_candidate()).  Active TCP candidates are never
 * signalled: a browser's are active too, and two active ends cannot meet.
 * libnice emits its signals in the thread that calls into it, so every call
 * that can emit (gathering, remote credentials and candidates) is made on the
 * loop thread.
 *
 * Receive path, per packet, all on the loop thread: libnice's recv callback
 * -> copy into transport->recv_buf -> demux by the first byte (RFC 7983):
 * 20..63 DTLS, 128..191 RTP/RTCP (second byte 192..223: RTCP, RFC 5761) ->
 * srtp_unprotect(_rtcp) in place -> callback.  No allocation, no thread hop.
 * Send path (ims_transport_send_rtcp(), and ims_transport_send_rtp() for a
 * sender's forwarded media), on the loop thread: copy into send_buf ->
 * srtp_protect(_rtcp) -> nice_agent_send.
 *
 * Lifetime: a refcount; the caller's reference is dropped by close, and each
 * piece of work posted to the loop holds one.  Close marks the transport
 * closed (callbacks check it), then an idle on the loop disconnects libnice,
 * frees DTLS/SRTP, and nice_agent_close_async() finishes the free.
 */
#define G_LOG_DOMAIN "imsd.transport"

#include "transport-private.h"

#include <interfaces.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "answer.h" /* ims_answer_public_candidate() */
#include "log-session.h"
#include "rtp.h" /* ims_rtp_is_rtcp() */

/* clang-format off */
G_DEFINE_QUARK(ims-transport-error-quark, ims_transport_error)
/* clang-format on */

#define COMPONENT_ID 1
/* The selected pair's socket is asked for this much receive buffer (the kernel caps it at
 * net.core.rmem_max; Debian's default, 208 KiB, is about 0.3 s of a 2.5 Mbit/s stream): the media
 * loop serves many peers, and a loop thread the scheduler keeps waiting must not cost packets. */
#define RECEIVE_BUFFER_BYTES (2 * 1024 * 1024)

static ImsTransport *
transport_ref(ImsTransport *transport)
{
  g_atomic_ref_count_inc(&transport->refcount);
  return transport;
}

static void
transport_unref(gpointer data)
{
  ImsTransport *transport = data;
  if (!g_atomic_ref_count_dec(&transport->refcount))
    return;
  g_free(transport->local_ufrag);
  g_free(transport->local_pwd);
  g_free(transport->public_ip);
  g_free(transport->session_id);
  g_free(transport->log_prefix);
  g_free(transport);
}

static gboolean
transport_is_closed(ImsTransport *transport)
{
  return g_atomic_int_get(&transport->closed) != 0;
}

const char *
ims_transport_state_to_string(ImsTransportState state)
{
  switch (state) {
  case IMS_TRANSPORT_STATE_NEW:
    return "new";
  case IMS_TRANSPORT_STATE_CHECKING:
    return "checking";
  case IMS_TRANSPORT_STATE_CONNECTED:
    return "connected";
  case IMS_TRANSPORT_STATE_SECURE:
    return "secure";
  case IMS_TRANSPORT_STATE_FAILED:
    return "failed";
  case IMS_TRANSPORT_STATE_CLOSED:
    return "closed";
  }
  return "unknown";
}

ImsTransportState
ims_transport_get_state(ImsTransport *transport)
{
  return (ImsTransportState) g_atomic_int_get(&transport->state);
}

/* Loop thread.  Moves to state and tells the owner (not after close, not
 * out of failed). */
void
ims_transport_set_state(ImsTransport *transport, ImsTransportState state)
{
  ImsTransportState old = ims_transport_get_state(transport);
  if (old == state || old == IMS_TRANSPORT_STATE_FAILED || old == IMS_TRANSPORT_STATE_CLOSED)
    return;
  g_atomic_int_set(&transport->state, state);
  ims_log_session(G_LOG_LEVEL_DEBUG, transport->session_id, NULL, "%s%s -> %s",
                  transport->log_prefix, ims_transport_state_to_string(old),
                  ims_transport_state_to_string(state));
  if (!transport_is_closed(transport) && transport->callbacks.state_changed != NULL)
    transport->callbacks.state_changed(transport, state, NULL, transport->user_data);
}

void
ims_transport_fail(ImsTransport *transport, ImsTransportError code, const char *format, ...)
{
  ImsTransportState old = ims_transport_get_state(transport);
  if (old == IMS_TRANSPORT_STATE_FAILED || old == IMS_TRANSPORT_STATE_CLOSED)
    return;
  va_list args;
  va_start(args, format);
  g_autoptr(GError) error = g_error_new_valist(IMS_TRANSPORT_ERROR, code, format, args);
  va_end(args);
  g_atomic_int_set(&transport->state, IMS_TRANSPORT_STATE_FAILED);
  ims_log_session(G_LOG_LEVEL_MESSAGE, transport->session_id, NULL, "%stransport failed: %s",
                  transport->log_prefix, error->message);
  if (!transport_is_closed(transport) && transport->callbacks.state_changed != NULL)
    transport->callbacks.state_changed(transport, IMS_TRANSPORT_STATE_FAILED, error,
                                       transport->user_data);
}

int
ims_transport_send_datagram(ImsTransport *transport, const guint8 *buf, gsize len)
{
  if (transport->agent == NULL)
    return -EIO;
  gint sent = nice_agent_send(transport->agent, transport->stream_id, COMPONENT_ID, len,
                              (const gchar *) buf);
  return sent == (gint) len ? 0 : -EIO;
}

/* ---- libnice signals and receive (loop thread) -------------------------- */

static void
on_new_candidate(NiceAgent *agent, NiceCandidate *candidate, gpointer data)
{
  ImsTransport *transport = data;
  if (transport_is_closed(transport) || candidate->component_id != COMPONENT_ID)
    return;
  if (candidate->transport != NICE_CANDIDATE_TRANSPORT_UDP &&
      candidate->transport != NICE_CANDIDATE_TRANSPORT_TCP_PASSIVE)
    return;
  g_autofree char *line = nice_agent_generate_local_candidate_sdp(agent, candidate);
  if (line == NULL || transport->callbacks.local_candidate == NULL)
    return;
  const char *value = g_str_has_prefix(line, "a=") ? line + 2 : line;
  transport->callbacks.local_candidate(transport, value, transport->user_data);
  g_autofree char *twin = ims_answer_public_candidate(value, transport->public_ip);
  if (twin != NULL && !transport_is_closed(transport))
    transport->callbacks.local_candidate(transport, twin, transport->user_data);
}

static void
on_gathering_done(NiceAgent *agent, guint stream_id, gpointer data)
{
  ImsTransport *transport = data;
  if (!transport_is_closed(transport) && transport->callbacks.local_candidate != NULL)
    transport->callbacks.local_candidate(transport, NULL, transport->user_data);
}

static void
on_component_state(NiceAgent *agent, guint stream_id, guint component_id, guint state, gpointer data)
{
  ImsTransport *transport = data;
  if (transport_is_closed(transport))
    return;
  ims_log_session(G_LOG_LEVEL_DEBUG, transport->session_id, NULL, "%sICE component %s",
                  transport->log_prefix, nice_component_state_to_string(state));
  if (state == NICE_COMPONENT_STATE_CONNECTED || state == NICE_COMPONENT_STATE_READY) {
    if (transport->ice_connected)
      return;
    transport->ice_connected = TRUE;
    ims_transport_set_state(transport, IMS_TRANSPORT_STATE_CONNECTED);
    ims_transport_dtls_connected(transport);
  } else if (state == NICE_COMPONENT_STATE_FAILED) {
    ims_transport_fail(transport, IMS_TRANSPORT_ERROR_ICE, "ICE failed: no candidate pair works");
  }
}

/* Gives the socket media arrives on the receive buffer of RECEIVE_BUFFER_BYTES, or what the
 * kernel allows. */
static void
on_selected_pair(NiceAgent *agent, guint stream_id, guint component_id, NiceCandidate *local,
                 NiceCandidate *remote, gpointer data)
{
  ImsTransport *transport = data;
  GSocket *socket = nice_agent_get_selected_socket(agent, stream_id, component_id);
  if (socket == NULL)
    return;
  int size = RECEIVE_BUFFER_BYTES;
  int fd = g_socket_get_fd(socket);
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size) != 0)
    ims_log_session(G_LOG_LEVEL_DEBUG, transport->session_id, NULL, "%sSO_RCVBUF: %s",
                    transport->log_prefix, g_strerror(errno));
  socklen_t length = sizeof size;
  if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, &length) == 0)
    transport->stats.receive_buffer_bytes = size;
  g_object_unref(socket);
}

static void
receive_srtp(ImsTransport *transport, guint8 *buf, gsize len)
{
  if (transport->srtp_in == NULL || len < 8) {
    transport->stats.other_packets++;
    return;
  }
  int size = (int) len;
  gboolean is_rtcp = buf[1] >= 192 && buf[1] <= 223;
  srtp_err_status_t status = is_rtcp ? srtp_unprotect_rtcp(transport->srtp_in, buf, &size)
                                     : srtp_unprotect(transport->srtp_in, buf, &size);
  if (status != srtp_err_status_ok) {
    /* Replays and forged packets are dropped; log the first few only. */
    if (transport->stats.srtp_errors++ < 5)
      ims_log_session(G_LOG_LEVEL_MESSAGE, transport->session_id, NULL,
                      "%s%s unprotect failed (libsrtp2 status %d)", transport->log_prefix,
                      is_rtcp ? "SRTCP" : "SRTP", (int) status);
    return;
  }
  if (is_rtcp) {
    transport->stats.rtcp_packets++;
    if (transport->callbacks.rtcp != NULL)
      transport->callbacks.rtcp(transport, buf, (gsize) size, transport->user_data);
  } else {
    transport->stats.rtp_packets++;
    transport->stats.rtp_bytes += (guint64) size;
    if (transport->callbacks.rtp != NULL)
      transport->callbacks.rtp(transport, buf, (gsize) size, transport->user_data);
  }
}

static void
on_receive(NiceAgent *agent, guint stream_id, guint component_id, guint len, gchar *data,
           gpointer user_data)
{
  ImsTransport *transport = user_data;
  if (transport_is_closed(transport) || len == 0)
    return;
  if (len > sizeof transport->recv_buf) {
    transport->stats.other_packets++;
    return;
  }
  guint8 *buf = transport->recv_buf;
  memcpy(buf, data, len);
  guint8 first = buf[0];
  if (first >= 20 && first <= 63) {
    transport->stats.dtls_packets++;
    ims_transport_dtls_receive(transport, buf, len);
  } else if (first >= 128 && first <= 191) {
    receive_srtp(transport, buf, len);
  } else {
    /* STUN (0..3) never reaches here (libnice answers it); ZRTP, TURN
     * channels and garbage are dropped. */
    transport->stats.other_packets++;
  }
}

/* ---- work posted to the loop ------------------------------------------- */

static gboolean
start_on_loop(gpointer data)
{
  ImsTransport *transport = data;
  if (transport_is_closed(transport))
    return G_SOURCE_REMOVE;
  nice_agent_attach_recv(transport->agent, transport->stream_id, COMPONENT_ID,
                         ims_media_loop_get_context(transport->loop), on_receive, transport);
  if (!nice_agent_gather_candidates(transport->agent, transport->stream_id))
    ims_transport_fail(transport, IMS_TRANSPORT_ERROR_ICE,
                       "ICE gathering failed (no usable network interface?)");
  return G_SOURCE_REMOVE;
}

typedef struct {
  ImsTransport *transport;
  char *ufrag;
  char *pwd;
  GSList *candidates; /* NiceCandidate, owned */
  gboolean done;      /* remote end-of-candidates */
} TransportWork;

static void
transport_work_free(gpointer data)
{
  TransportWork *work = data;
  transport_unref(work->transport);
  g_free(work->ufrag);
  g_free(work->pwd);
  g_slist_free_full(work->candidates, (GDestroyNotify) nice_candidate_free);
  g_free(work);
}

static TransportWork *
transport_work_new(ImsTransport *transport)
{
  TransportWork *work = g_new0(TransportWork, 1);
  work->transport = transport_ref(transport);
  return work;
}

static gboolean
set_remote_on_loop(gpointer data)
{
  TransportWork *work = data;
  ImsTransport *transport = work->transport;
  if (transport_is_closed(transport))
    return G_SOURCE_REMOVE;
  g_autoptr(GError) error = NULL;
  if (!ims_transport_dtls_setup(transport, &error)) {
    ims_transport_fail(transport, error->code, "%s", error->message);
    return G_SOURCE_REMOVE;
  }
  if (!nice_agent_set_remote_credentials(transport->agent, transport->stream_id, work->ufrag,
                                         work->pwd)) {
    ims_transport_fail(transport, IMS_TRANSPORT_ERROR_ICE, "libnice refused the remote credentials");
    return G_SOURCE_REMOVE;
  }
  ims_transport_set_state(transport, IMS_TRANSPORT_STATE_CHECKING);
  return G_SOURCE_REMOVE;
}

static gboolean
add_candidates_on_loop(gpointer data)
{
  TransportWork *work = data;
  ImsTransport *transport = work->transport;
  if (transport_is_closed(transport))
    return G_SOURCE_REMOVE;
  if (work->candidates != NULL &&
      nice_agent_set_remote_candidates(transport->agent, transport->stream_id, COMPONENT_ID,
                                       work->candidates) < 0)
    ims_log_session(G_LOG_LEVEL_MESSAGE, transport->session_id, NULL,
                    "%slibnice refused a remote candidate", transport->log_prefix);
  if (work->done)
    nice_agent_peer_candidate_gathering_done(transport->agent, transport->stream_id);
  return G_SOURCE_REMOVE;
}

/* ---- public API --------------------------------------------------------- */

/* Restricts gathering to network->interfaces (before gathering starts).
 * FALSE with IMS_TRANSPORT_ERROR_INVALID_ARGUMENT naming an entry that is
 * neither an address nor a local interface's name. */
static gboolean
add_local_addresses(NiceAgent *agent, const char *interfaces, GError **error)
{
  g_auto(GStrv) names = g_strsplit(interfaces != NULL ? interfaces : "", ",", -1);
  for (char **name = names; *name != NULL; name++) {
    g_strstrip(*name);
    if (**name == '\0')
      continue;
    NiceAddress address;
    nice_address_init(&address);
    g_autofree char *ip = NULL;
    if (!nice_address_set_from_string(&address, *name)) {
      ip = nice_interfaces_get_ip_for_interface(*name);
      if (ip == NULL || !nice_address_set_from_string(&address, ip)) {
        g_set_error(error, IMS_TRANSPORT_ERROR, IMS_TRANSPORT_ERROR_INVALID_ARGUMENT,
                    "“%s” is neither an IP address nor a local interface with one", *name);
        return FALSE;
      }
    }
    nice_agent_add_local_address(agent, &address);
  }
  return TRUE;
}

ImsTransport *
ims_transport_new(ImsMediaLoop *loop, const char *log_id, const ImsTransportCallbacks *callbacks,
                  gpointer user_data, GError **error)
{
  return ims_transport_new_full(loop, log_id, NULL, NULL, callbacks, user_data, error);
}

ImsTransport *
ims_transport_new_full(ImsMediaLoop *loop, const char *log_id, const char *session_id,
                       const ImsTransportNetwork *network, const ImsTransportCallbacks *callbacks,
                       gpointer user_data, GError **error)
{
  g_return_val_if_fail(loop != NULL && callbacks != NULL, NULL);
  const ImsTransportNetwork no_network = { 0 };
  if (network == NULL)
    network = &no_network;
  NiceAddress public_address;
  nice_address_init(&public_address);
  if (network->public_ip != NULL && network->public_ip[0] != '\0' &&
      !nice_address_set_from_string(&public_address, network->public_ip)) {
    g_set_error(error, IMS_TRANSPORT_ERROR, IMS_TRANSPORT_ERROR_INVALID_ARGUMENT,
                "public address “%s” is not an IP address", network->public_ip);
    return NULL;
  }
  if (!ims_transport_dtls_init(error))
    return NULL;

  ImsTransport *transport = g_new0(ImsTransport, 1);
  g_atomic_ref_count_init(&transport->refcount);
  transport->loop = loop;
  transport->session_id = g_strdup(session_id);
  transport->log_prefix = session_id != NULL
                              ? g_strdup("")
                              : g_strdup_printf("[%s] ", log_id != NULL ? log_id : "transport");
  transport->callbacks = *callbacks;
  transport->user_data = user_data;
  transport->dtls_client = TRUE;
  if (network->public_ip != NULL && network->public_ip[0] != '\0')
    transport->public_ip = g_strdup(network->public_ip);
  transport->ice_tcp = network->ice_tcp;
  g_atomic_int_set(&transport->state, IMS_TRANSPORT_STATE_NEW);

  transport->agent = nice_agent_new_full(ims_media_loop_get_context(loop),
                                         NICE_COMPATIBILITY_RFC5245, NICE_AGENT_OPTION_ICE_TRICKLE);
  g_object_set(transport->agent, "controlling-mode", FALSE, "ice-tcp", transport->ice_tcp,
               "ice-udp", TRUE, NULL);
  /* UPnP (on by default where libnice is built with gupnp) starts a thread
   * per agent and multicasts SSDP: a server has no router to ask. */
  if (g_object_class_find_property(G_OBJECT_GET_CLASS(transport->agent), "upnp") != NULL)
    g_object_set(transport->agent, "upnp", FALSE, NULL);
  if (!add_local_addresses(transport->agent, network->interfaces, error)) {
    g_clear_object(&transport->agent);
    transport_unref(transport);
    return NULL;
  }
  transport->stream_id = nice_agent_add_stream(transport->agent, 1);
  if (transport->stream_id == 0 ||
      !nice_agent_get_local_credentials(transport->agent, transport->stream_id,
                                        &transport->local_ufrag, &transport->local_pwd)) {
    g_set_error(error, IMS_TRANSPORT_ERROR, IMS_TRANSPORT_ERROR_ICE,
                "libnice could not create the ICE stream");
    g_object_unref(transport->agent);
    transport->agent = NULL;
    transport_unref(transport);
    return NULL;
  }
  g_signal_connect(transport->agent, "new-candidate-full", G_CALLBACK(on_new_candidate), transport);
  g_signal_connect(transport->agent, "candidate-gathering-done", G_CALLBACK(on_gathering_done),
                   transport);
  g_signal_connect(transport->agent, "component-state-changed", G_CALLBACK(on_component_state),
                   transport);
  g_signal_connect(transport->agent, "new-selected-pair-full", G_CALLBACK(on_selected_pair),
                   transport);

  /* Gathering emits signals: always from the loop, even when called there. */
  GSource *source = g_idle_source_new();
  g_source_set_callback(source, start_on_loop, transport_ref(transport), transport_unref);
  g_source_attach(source, ims_media_loop_get_context(loop));
  g_source_unref(source);
  return transport;
}

const char *
ims_transport_get_local_ufrag(ImsTransport *transport)
{
  return transport->local_ufrag;
}

const char *
ims_transport_get_local_pwd(ImsTransport *transport)
{
  return transport->local_pwd;
}

const char *
ims_transport_get_local_fingerprint(ImsTransport *transport)
{
  return ims_transport_dtls_fingerprint();
}

const char *
ims_transport_get_local_setup(ImsTransport *transport)
{
  return transport->dtls_client ? "active" : "passive";
}

/* ice-char = ALPHA / DIGIT / "+" / "/" (RFC 8839), length in [min, 256]. */
static gboolean
is_ice_string(const char *text, gsize min)
{
  if (text == NULL)
    return FALSE;
  gsize len = strlen(text);
  if (len < min || len > 256)
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isalnum(*p) && *p != '+' && *p != '/')
      return FALSE;
  return TRUE;
}

/* "sha-256 AB:CD:..." -> 32 bytes.  Returns FALSE for anything else. */
static gboolean
parse_fingerprint(const char *text, guint8 out[32])
{
  if (text == NULL || g_ascii_strncasecmp(text, "sha-256 ", 8) != 0)
    return FALSE;
  const char *p = text + 8;
  for (int i = 0; i < 32; i++) {
    int high = g_ascii_xdigit_value(p[0]);
    int low = high < 0 ? -1 : g_ascii_xdigit_value(p[1]);
    if (low < 0)
      return FALSE;
    out[i] = (guint8) (high << 4 | low);
    p += 2;
    if (i < 31 && *p++ != ':')
      return FALSE;
  }
  return *p == '\0';
}

gboolean
ims_transport_set_remote(ImsTransport *transport, const char *ufrag, const char *pwd,
                         const char *fingerprint, ImsDtlsSetup remote_setup, GError **error)
{
  if (transport_is_closed(transport)) {
    g_set_error(error, IMS_TRANSPORT_ERROR, IMS_TRANSPORT_ERROR_CLOSED, "the transport is closed");
    return FALSE;
  }
  guint8 digest[32];
  const char *problem = NULL;
  if (!is_ice_string(ufrag, 4))
    problem = "ice-ufrag must be 4 to 256 ice-chars";
  else if (!is_ice_string(pwd, 22))
    problem = "ice-pwd must be 22 to 256 ice-chars";
  else if (!parse_fingerprint(fingerprint, digest))
    problem = "fingerprint must be \"sha-256\" and 32 colon-separated hex bytes";
  else if (remote_setup != IMS_DTLS_SETUP_ACTPASS && remote_setup != IMS_DTLS_SETUP_ACTIVE &&
           remote_setup != IMS_DTLS_SETUP_PASSIVE)
    problem = "setup must be actpass, active or passive";
  if (problem != NULL) {
    g_set_error(error, IMS_TRANSPORT_ERROR, IMS_TRANSPORT_ERROR_INVALID_ARGUMENT, "%s", problem);
    return FALSE;
  }
  if (!g_atomic_int_compare_and_exchange(&transport->remote_set, 0, 1)) {
    g_set_error(error, IMS_TRANSPORT_ERROR, IMS_TRANSPORT_ERROR_INVALID_ARGUMENT,
                "the remote description is already set");
    return FALSE;
  }
  memcpy(transport->remote_fingerprint, digest, sizeof digest);
  transport->dtls_client = remote_setup != IMS_DTLS_SETUP_ACTIVE;

  TransportWork *work = transport_work_new(transport);
  work->ufrag = g_strdup(ufrag);
  work->pwd = g_strdup(pwd);
  ims_media_loop_invoke(transport->loop, set_remote_on_loop, work, transport_work_free);
  return TRUE;
}

gboolean
ims_transport_add_remote_candidate(ImsTransport *transport, const char *candidate, GError **error)
{
  if (transport_is_closed(transport)) {
    g_set_error(error, IMS_TRANSPORT_ERROR, IMS_TRANSPORT_ERROR_CLOSED, "the transport is closed");
    return FALSE;
  }
  if (candidate == NULL || strchr(candidate, '\n') != NULL || strchr(candidate, '\r') != NULL) {
    g_set_error(error, IMS_TRANSPORT_ERROR, IMS_TRANSPORT_ERROR_INVALID_ARGUMENT,
                "not an ICE candidate line");
    return FALSE;
  }
  g_autofree char *line = g_str_has_prefix(candidate, "a=") ? g_strdup(candidate)
                                                            : g_strconcat("a=", candidate, NULL);
  /* Parsing emits nothing, so it is safe here, on the caller's thread. */
  NiceCandidate *parsed = nice_agent_parse_remote_candidate_sdp(transport->agent,
                                                                transport->stream_id, line);
  if (parsed == NULL) {
    g_set_error(error, IMS_TRANSPORT_ERROR, IMS_TRANSPORT_ERROR_INVALID_ARGUMENT,
                "not an ICE candidate line libnice can use");
    return FALSE;
  }
  if (parsed->component_id != COMPONENT_ID ||
      (parsed->transport != NICE_CANDIDATE_TRANSPORT_UDP && !transport->ice_tcp)) {
    /* RTCP candidates (rtcp-mux) are not needed, TCP ones only with ICE-TCP. */
    nice_candidate_free(parsed);
    return TRUE;
  }
  TransportWork *work = transport_work_new(transport);
  work->candidates = g_slist_prepend(NULL, parsed);
  ims_media_loop_invoke(transport->loop, add_candidates_on_loop, work, transport_work_free);
  return TRUE;
}

void
ims_transport_remote_candidates_done(ImsTransport *transport)
{
  if (transport_is_closed(transport))
    return;
  TransportWork *work = transport_work_new(transport);
  work->done = TRUE;
  ims_media_loop_invoke(transport->loop, add_candidates_on_loop, work, transport_work_free);
}

/* One copy into the reused send buffer, one protect (SRTCP or SRTP), one send. */
static int
protect_and_send(ImsTransport *transport, const guint8 *buf, gsize len, gboolean rtcp)
{
  if (len > IMS_TRANSPORT_PACKET_MAX)
    return -EMSGSIZE;
  memcpy(transport->send_buf, buf, len);
  int size = (int) len;
  srtp_err_status_t status = rtcp ? srtp_protect_rtcp(transport->srtp_out, transport->send_buf, &size)
                                  : srtp_protect(transport->srtp_out, transport->send_buf, &size);
  if (status != srtp_err_status_ok)
    return -EIO;
  return ims_transport_send_datagram(transport, transport->send_buf, (gsize) size);
}

int
ims_transport_send_rtcp(ImsTransport *transport, const guint8 *buf, gsize len)
{
  if (transport_is_closed(transport) || transport->srtp_out == NULL)
    return -ENOTCONN;
  if (len < 8 || (buf[0] >> 6) != 2 || buf[1] < 192 || buf[1] > 223)
    return -EINVAL;
  int result = protect_and_send(transport, buf, len, TRUE);
  if (result == 0)
    transport->stats.rtcp_sent++;
  return result;
}

int
ims_transport_send_rtp(ImsTransport *transport, const guint8 *buf, gsize len)
{
  if (transport_is_closed(transport) || transport->srtp_out == NULL)
    return -ENOTCONN;
  if (len < 12 || (buf[0] >> 6) != 2 || ims_rtp_is_rtcp(buf, len))
    return -EINVAL;
  int result = protect_and_send(transport, buf, len, FALSE);
  if (result == 0) {
    transport->stats.rtp_sent++;
    transport->stats.rtp_bytes_sent += len;
  }
  return result;
}

void
ims_transport_get_stats(ImsTransport *transport, ImsTransportStats *stats)
{
  *stats = transport->stats;
}

/* ---- close -------------------------------------------------------------- */

static void
on_agent_closed(GObject *source, GAsyncResult *result, gpointer data)
{
  ImsTransport *transport = data;
  g_clear_object(&transport->agent);
  ims_media_loop_release(transport->loop);
  transport_unref(transport);
}

static gboolean
close_on_loop(gpointer data)
{
  ImsTransport *transport = data;
  ims_log_session(G_LOG_LEVEL_DEBUG, transport->session_id, NULL, "%sclosing",
                  transport->log_prefix);
  g_atomic_int_set(&transport->state, IMS_TRANSPORT_STATE_CLOSED);
  ims_transport_dtls_clear(transport);
  g_signal_handlers_disconnect_by_data(transport->agent, transport);
  nice_agent_attach_recv(transport->agent, transport->stream_id, COMPONENT_ID,
                         ims_media_loop_get_context(transport->loop), NULL, NULL);
  /* The reference of this idle goes to on_agent_closed. */
  nice_agent_close_async(transport->agent, on_agent_closed, transport_ref(transport));
  return G_SOURCE_REMOVE;
}

void
ims_transport_close(ImsTransport *transport)
{
  if (transport == NULL || !g_atomic_int_compare_and_exchange(&transport->closed, 0, 1))
    return;
  /* Always an idle, even on the loop thread: never free inside a callback.
   * The caller's reference goes to this idle. */
  GSource *source = g_idle_source_new();
  g_source_set_callback(source, close_on_loop, transport, transport_unref);
  g_source_attach(source, ims_media_loop_get_context(transport->loop));
  g_source_unref(source);
}
