/* daemon.h: the imsd daemon, what listens.
 *
 * ImsDaemon is the libwebsockets context on the GLib main loop
 * (LWS_SERVER_OPTION_GLIB): HTTP with REST (http.h, api.h), the web client's
 * files, and the signaling WebSocket, whose peers join through the registry
 * of live sessions (registry.h).  It is built from parts made before it
 * (main.c composes them) and owns none of them.  With [server]
 * tls_cert_file and tls_key_file it listens over TLS (https, wss), and
 * reloads the pair on request (SIGHUP in main.c).  Its shutdown is ordered:
 * the sessions finalize their open takes first (bounded by [server]
 * shutdown_timeout_seconds), then the context closes every socket.
 *
 *   new (listening) -> shutting down (open takes finalized) -> freed (sockets closed)
 *
 * Threading: main loop only.
 */
#pragma once

#include <glib.h>

#include "api.h"
#include "config.h"
#include "database.h"
#include "registry.h"

G_BEGIN_DECLS

typedef struct _ImsDaemon ImsDaemon;

/* What the daemon serves with; every pointer must outlive it. */
typedef struct {
  const ImsConfig *config; /* address and port, web root, body and message limits,
                              * shutdown timeout, log level */
  GMainLoop *loop;         /* libwebsockets runs on its context */
  ImsDatabase *database;   /* REST requests that read or write PostgreSQL run on its thread */
  ImsApi *api;             /* REST */
  ImsRegistry *registry;   /* the signaling peers' handler; shutdown finalizes its sessions */
} ImsDaemonParts;

/* Starts listening on config's address and port.  NULL with an error if the
 * port cannot be bound (or libwebsockets' GLib event library is missing), or
 * if the TLS files are set but cannot be read or do not match (tls.h).
 * Transfer full. */
ImsDaemon *ims_daemon_new(const ImsDaemonParts *parts, GError **error);

/* Reloads [server] tls_cert_file and tls_key_file (SIGHUP): new connections
 * get the new certificate, open ones (WebSockets included) keep theirs and
 * stay connected.  If the files cannot be read or do not match (tls.h), or
 * the listener is plain HTTP, FALSE with an error and the certificate in use
 * is kept.  Reads two small files; does not otherwise wait. */
gboolean ims_daemon_reload_tls(ImsDaemon *daemon, GError **error);

/* Asks every live session to finalize its open take, then calls done (at
 * once if none is open, at the latest after config->shutdown_timeout_seconds;
 * takes not finalized by then stay recoverable).  Never waits. */
void ims_daemon_shutdown(ImsDaemon *daemon, ImsDoneFunc done, gpointer user_data);

/* Closes every socket: the peers detach from their sessions, whose last
 * changes are queued for the database.  The parts are left to their owner. */
void ims_daemon_free(ImsDaemon *daemon);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsDaemon, ims_daemon_free)

G_END_DECLS
