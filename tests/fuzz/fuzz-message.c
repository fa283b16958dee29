/* fuzz-message.c: libFuzzer target for signaling/message.c.
 *
 * Every input is parsed as a signaling frame.  It must never crash; a parsed
 * message must carry the fields its type requires, and a refusal must name a
 * protocol error code with a message.
 */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *type_name = NULL;
  g_autoptr(ImsMessage) message = ims_message_parse((const char *) data, size, &type_name, &error);

  if (!message) {
    if (!error || error->domain != IMS_SIGNAL_ERROR || !error->message[0])
      abort();
    return 0;
  }
  switch (message->type) {
  case IMS_MESSAGE_JOIN:
    if (!message->session_id || !message->token || !message->session_id[0])
      abort();
    break;
  case IMS_MESSAGE_OFFER:
    if (!message->sdp)
      abort();
    break;
  case IMS_MESSAGE_ICE:
    if (!message->candidate || message->mline_index > 64)
      abort();
    break;
  default:
    break;
  }
  if (!type_name || strcmp(type_name, ims_message_type_to_string(message->type)) != 0)
    abort();
  return 0;
}
