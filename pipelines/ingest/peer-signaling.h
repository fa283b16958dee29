/* peer-signaling.h: what a receiver (receiver.c) and a sender (sender.c)
 * share about their peer's signaling, on the main side: the negotiated
 * remote description put on the transport, the remote candidates trickled
 * in, the local candidates held back until the answer went out, and the
 * posts from the media loop to the main context.
 *
 * Threads: the main context that owns the peer (every function but
 * ims_peer_post(), which any thread may call).  Nothing here waits.
 */
#pragma once

#include <glib.h>

#include "answer.h"
#include "transport.h"

G_BEGIN_DECLS

/* The owner's on_ice_candidate (ImsIngestCallbacks, ImsSenderCallbacks). */
typedef void (*ImsPeerCandidateFunc)(guint mline_index, const char *candidate, gpointer user_data);

/* Local candidates before and after the answer. */
typedef struct {
  ImsPeerCandidateFunc deliver; /* NULL: the owner takes none */
  gpointer user_data;
  guint mline_index; /* the m-line whose transport the bundle uses: set with the answer */
  gboolean answered;
  GPtrArray *pending; /* char*: candidates gathered before the answer went out */
} ImsPeerCandidates;

void ims_peer_candidates_init(ImsPeerCandidates *candidates, ImsPeerCandidateFunc deliver,
                              gpointer user_data);
void ims_peer_candidates_clear(ImsPeerCandidates *candidates);
/* The answer went out: the held candidates are delivered, in order. */
void ims_peer_candidates_answered(ImsPeerCandidates *candidates);
/* One local candidate: delivered now after the answer, else held. */
void ims_peer_candidates_add(ImsPeerCandidates *candidates, const char *candidate);

/* Puts the negotiation's remote ICE credentials, fingerprint and setup on
 * transport and adds the candidates the offer carried.  FALSE with
 * IMS_INGEST_ERROR_BAD_SDP (the transport's reason) if the transport
 * refused them; nothing is changed then. */
gboolean ims_peer_apply_remote(ImsTransport *transport, const ImsNegotiation *negotiation,
                               GError **error);

/* The m-line whose transport the bundle uses: the lowest of the tracks the
 * negotiation accepted (a codec other than IMS_SDP_CODEC_NONE). */
guint ims_peer_transport_mline(const ImsNegotiation *negotiation);

/* A trickled remote candidate ("candidate:..." or "a=candidate:..."; NULL
 * or empty: end of candidates).  FALSE with IMS_INGEST_ERROR_BAD_CANDIDATE
 * for a line the transport cannot parse. */
gboolean ims_peer_add_remote_candidate(ImsTransport *transport, const char *candidate,
                                       GError **error);

/* Runs func(data) on context from an idle source at the default priority,
 * never inline (the owner must be out of its own call first); notify(data)
 * after it, or when the source is dropped. */
void ims_peer_post(GMainContext *context, GSourceFunc func, gpointer data, GDestroyNotify notify);

G_END_DECLS
