/* answer-send-stub.c: stands in for answer-send.c (helper i12-sdp's
 * subscriber negotiation) until that file is in the tree: meson.build
 * compiles this file only when answer-send.c is absent.  Every subscriber
 * offer is refused, so the tree builds and links. */
#include "answer-send.h"

#include "take-result.h"

gboolean
ims_answer_negotiate_subscriber(const char *offer_text, const ImsNegotiation *publisher,
                                const ImsSubscriberLocal *local, ImsNegotiation *out,
                                GError **error)
{
  g_set_error_literal(error, IMS_INGEST_ERROR, IMS_INGEST_ERROR_BAD_SDP,
                      "subscriber negotiation is not built (answer-send.c)");
  return FALSE;
}
