/* daemon.h: the imsd server object.
 *
 * ImsServer ties the parts together on one GLib main loop: the libwebsockets
 * context (HTTP, REST, signaling WebSocket, running on the GLib loop through
 * LWS_SERVER_OPTION_GLIB), the store, and the registry of sessions that are
 * live (a candidate attached or a take being finalized).  Joins are resolved
 * here: token, session, attach.
 *
 *   new (recovers takes left open by a crash) -> running -> shutting down
 *   (every open take finalized) -> freed
 */
#pragma once

#include <glib.h>

#include "config.h"
#include "session.h"
#include "store.h"

G_BEGIN_DECLS

typedef struct _ImsServer ImsServer;

/* Starts listening on config's address and port, serving on loop. Takes
 * ownership of store.  NULL with an error if the port cannot be bound.
 * Transfer full. */
ImsServer *ims_server_new(const ImsConfig *config, ImsStore *store, GMainLoop *loop,
                          GError **error);

/* Finalizes every open take, then calls done (at once if none is open, at the
 * latest after config->shutdown_timeout_seconds). */
void ims_server_shutdown(ImsServer *server, ImsDoneFunc done, gpointer user_data);

void ims_server_free(ImsServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsServer, ims_server_free)

G_END_DECLS
