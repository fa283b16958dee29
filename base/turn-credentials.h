/* turn-credentials.h: TURN server URIs and the time-limited credentials
 * imsd mints for them.
 *
 * imsd does not relay media: the browser relays through a TURN server to
 * imsd's own candidates.  imsd only hands the page the servers of [media]
 * turn_servers and, per session, a username and password the TURN server
 * can check without asking anyone: coturn's "use-auth-secret" scheme (the
 * TURN REST API draft, draft-uberti-behave-turn-rest-00):
 *   username   = "<expiry, unix seconds>:<name>"   (name: the session id)
 *   credential = base64(HMAC-SHA1(static-auth-secret, username))
 * coturn refuses a username whose expiry has passed, at every allocate and
 * refresh, so the lifetime must cover a whole interview after the page
 * connects.
 *
 * base/ is the bottom layer: GLib only, no state.  Used by the config check
 * (server/config/config.c) and by the state message's iceServers
 * (server/interview/ice-servers.c).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define IMS_TURN_ERROR (ims_turn_error_quark())
GQuark ims_turn_error_quark(void);

typedef enum {
  IMS_TURN_ERROR_BAD_URI, /* not turn:/turns: host[:port][?transport=udp|tcp] */
} ImsTurnError;

/* TRUE if uri is a TURN URI imsd hands to browsers (RFC 7065):
 * "turn:" or "turns:", a host name, an IPv4 address or a bracketed IPv6
 * address, an optional port (1..65535) and an optional "?transport=udp" or
 * "?transport=tcp".  FALSE with IMS_TURN_ERROR_BAD_URI saying what is wrong
 * otherwise.  Pure, does not wait. */
gboolean ims_turn_uri_check(const char *uri, GError **error);

/* Splits a comma-separated list of TURN URIs (spaces around each are
 * ignored, empty entries skipped) and checks each one.  Returns them in
 * order (transfer full; an empty vector for an empty or NULL list), or NULL
 * with the first bad entry's error. */
GStrv ims_turn_servers_parse(const char *list, GError **error);

/* Mints the credentials of name (the session id) valid until expires_at
 * (unix seconds) for a TURN server sharing secret: *username and
 * *credential as above, transfer full.  Pure, does not wait. */
void ims_turn_credentials_mint(const char *secret, const char *name, gint64 expires_at,
                               char **username, char **credential);

G_END_DECLS
