/* ice-servers.h: the TURN servers a candidate's page relays through, with
 * the credentials minted for its session: the "iceServers" of the "state"
 * message (docs/signaling.md), which the page gives its RTCPeerConnection.
 *
 * Made once at start-up from [media] turn_servers, turn_secret and
 * turn_credential_ttl_seconds, then only read (main loop).  Credentials are
 * coturn's "use-auth-secret" ones (base/turn-credentials.h): a fresh pair
 * per message, for the session's id, expiring ttl seconds after it.
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _ImsIceServers ImsIceServers;

/* Parses turn_servers (comma-separated turn:/turns: URIs; empty or NULL:
 * none) and keeps a copy of secret (empty or NULL: the page gets the URIs
 * without credentials) and ttl_seconds.  Returns the set (transfer full), or
 * NULL with IMS_TURN_ERROR_BAD_URI for a bad URI. */
ImsIceServers *ims_ice_servers_new(const char *turn_servers, const char *secret, guint ttl_seconds,
                                   GError **error);
void ims_ice_servers_free(ImsIceServers *servers);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsIceServers, ims_ice_servers_free)

/* The iceServers JSON array for session_id at now_unix (seconds):
 * [{"urls": [...], "username": "<now+ttl>:<session_id>", "credential": "..."}],
 * one entry holding every URI (the credentials are the same for all); without
 * a secret no username/credential; [] for NULL or no servers.  Transfer full.
 * Costs one HMAC-SHA1; does not wait. */
JsonNode *ims_ice_servers_to_json(const ImsIceServers *servers, const char *session_id,
                                  gint64 now_unix);

G_END_DECLS
