/* peer-signaling.c: the signaling a receiver and a sender share; see
 * peer-signaling.h. */
#include "peer-signaling.h"

#include "take-result.h"

void
ims_peer_candidates_init(ImsPeerCandidates *candidates, ImsPeerCandidateFunc deliver,
                         gpointer user_data)
{
  *candidates = (ImsPeerCandidates){ .deliver = deliver, .user_data = user_data };
  candidates->pending = g_ptr_array_new_with_free_func(g_free);
}

void
ims_peer_candidates_clear(ImsPeerCandidates *candidates)
{
  g_clear_pointer(&candidates->pending, g_ptr_array_unref);
}

static void
deliver(ImsPeerCandidates *candidates, const char *candidate)
{
  if (candidates->deliver)
    candidates->deliver(candidates->mline_index, candidate, candidates->user_data);
}

void
ims_peer_candidates_answered(ImsPeerCandidates *candidates)
{
  candidates->answered = TRUE;
  for (guint i = 0; i < candidates->pending->len; i++)
    deliver(candidates, g_ptr_array_index(candidates->pending, i));
  g_ptr_array_set_size(candidates->pending, 0);
}

void
ims_peer_candidates_add(ImsPeerCandidates *candidates, const char *candidate)
{
  if (candidates->answered)
    deliver(candidates, candidate);
  else
    g_ptr_array_add(candidates->pending, g_strdup(candidate));
}

gboolean
ims_peer_apply_remote(ImsTransport *transport, const ImsNegotiation *negotiation, GError **error)
{
  /* the remote's role: the transport answers active to actpass (answer.c agrees) */
  ImsDtlsSetup setup = negotiation->dtls_client ? IMS_DTLS_SETUP_ACTPASS : IMS_DTLS_SETUP_ACTIVE;
  g_autoptr(GError) refused = NULL;
  if (!ims_transport_set_remote(transport, negotiation->remote_ufrag, negotiation->remote_pwd,
                                negotiation->remote_fingerprint, setup, &refused)) {
    g_set_error(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_BAD_SDP, "%s", refused->message);
    return FALSE;
  }
  for (guint i = 0; i < negotiation->remote_candidates->len; i++)
    ims_transport_add_remote_candidate(transport,
                                       g_ptr_array_index(negotiation->remote_candidates, i), NULL);
  return TRUE;
}

guint
ims_peer_transport_mline(const ImsNegotiation *negotiation)
{
  gboolean video = negotiation->video.codec != IMS_SDP_CODEC_NONE;
  gboolean audio = negotiation->audio.codec != IMS_SDP_CODEC_NONE;
  if (video && audio)
    return MIN(negotiation->video.mline_index, negotiation->audio.mline_index);
  return video ? negotiation->video.mline_index : negotiation->audio.mline_index;
}

gboolean
ims_peer_add_remote_candidate(ImsTransport *transport, const char *candidate, GError **error)
{
  if (!candidate || !*candidate) {
    ims_transport_remote_candidates_done(transport);
    return TRUE;
  }
  g_autoptr(GError) local = NULL;
  const char *line = g_str_has_prefix(candidate, "a=") ? candidate + 2 : candidate;
  if (!ims_transport_add_remote_candidate(transport, line, &local)) {
    g_set_error(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_BAD_CANDIDATE, "%s", local->message);
    return FALSE;
  }
  return TRUE;
}

void
ims_peer_post(GMainContext *context, GSourceFunc func, gpointer data, GDestroyNotify notify)
{
  GSource *source = g_idle_source_new();
  g_source_set_priority(source, G_PRIORITY_DEFAULT);
  g_source_set_callback(source, func, data, notify);
  g_source_attach(source, context);
  g_source_unref(source);
}
