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
    if (!message->candidate || message->mline_index > 64 ||
        (message->pc && !g_str_has_prefix(message->pc, "pub:") &&
         !g_str_has_prefix(message->pc, "sub:")))
      abort();
    break;
  case IMS_MESSAGE_ROOM_JOIN:
    if (!message->room_id || !message->room_id[0] || !message->token ||
        strlen(message->room_id) > IMS_MESSAGE_MAX_ROOM_ID_LENGTH)
      abort();
    break;
  case IMS_MESSAGE_PUBLISH:
  case IMS_MESSAGE_SUBSCRIBE:
    if (!message->sdp || !message->stream)
      abort();
    break;
  case IMS_MESSAGE_MARK:
    if ((message->question_index < 0) == (message->text == NULL) ||
        message->question_index > IMS_MESSAGE_MAX_QUESTION_INDEX ||
        (message->text && g_utf8_strlen(message->text, -1) > IMS_MESSAGE_MAX_TEXT_LENGTH))
      abort();
    break;
  default:
    break;
  }
  if (message->stream && strcmp(message->stream, "camera") != 0 &&
      strcmp(message->stream, "screen") != 0)
    abort();
  if (message->type != IMS_MESSAGE_MARK && (message->question_index != -1 || message->text))
    abort();
  if (!type_name || strcmp(type_name, ims_message_type_to_string(message->type)) != 0)
    abort();
  return 0;
}
