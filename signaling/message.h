/* message.h: the signaling protocol's messages (docs/signaling.md).
 *
 * ims_message_parse() turns one WebSocket frame into a validated ImsMessage;
 * everything after it can trust the fields it reads.  The error codes the
 * protocol sends to clients live here too (ImsSignalError), so every layer
 * reports errors with the same names.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum {
  IMS_MESSAGE_JOIN,
  IMS_MESSAGE_OFFER,
  IMS_MESSAGE_ICE,
  IMS_MESSAGE_TAKE_START,
  IMS_MESSAGE_TAKE_STOP,
  IMS_MESSAGE_RETAKE,
  IMS_MESSAGE_NEXT,
  IMS_MESSAGE_END,
  IMS_MESSAGE_PING,
} ImsMessageType;

typedef struct {
  ImsMessageType type;
  char *session_id;  /* join */
  char *token;       /* join */
  char *sdp;         /* offer */
  char *candidate;   /* ice: "candidate:..." or "" for end of candidates */
  guint mline_index; /* ice */
} ImsMessage;

/* The protocol's error codes, sent as error.code (see docs/signaling.md). */
typedef enum {
  IMS_SIGNAL_ERROR_BAD_JSON,
  IMS_SIGNAL_ERROR_BAD_MESSAGE,
  IMS_SIGNAL_ERROR_UNKNOWN_TYPE,
  IMS_SIGNAL_ERROR_TOO_LARGE,
  IMS_SIGNAL_ERROR_NOT_JOINED,
  IMS_SIGNAL_ERROR_ALREADY_JOINED,
  IMS_SIGNAL_ERROR_BAD_TOKEN,
  IMS_SIGNAL_ERROR_TOKEN_EXPIRED,
  IMS_SIGNAL_ERROR_TOKEN_WRONG_SESSION,
  IMS_SIGNAL_ERROR_SESSION_NOT_FOUND,
  IMS_SIGNAL_ERROR_SESSION_COMPLETED,
  IMS_SIGNAL_ERROR_BAD_SDP,
  IMS_SIGNAL_ERROR_BAD_CANDIDATE,
  IMS_SIGNAL_ERROR_BAD_STATE,
  IMS_SIGNAL_ERROR_NO_RETAKES_LEFT,
  IMS_SIGNAL_ERROR_MEDIA_NOT_READY,
  IMS_SIGNAL_ERROR_REPLACED,
  IMS_SIGNAL_ERROR_MEDIA_FAILED,
  IMS_SIGNAL_ERROR_INTERNAL,
  IMS_SIGNAL_ERROR_LOGGED_OUT,
  IMS_SIGNAL_ERROR_TOKEN_NOT_YET_VALID,
} ImsSignalError;

#define IMS_SIGNAL_ERROR (ims_signal_error_quark())
GQuark ims_signal_error_quark(void);

/* "bad_json", "bad_message", ... */
const char *ims_signal_error_to_code(ImsSignalError error);
/* The wire code for any GError: its own code in IMS_SIGNAL_ERROR, "internal" otherwise. */
const char *ims_signal_error_code_of(const GError *error);

/* Parses one frame.  Returns NULL with an IMS_SIGNAL_ERROR (BAD_JSON,
 * BAD_MESSAGE, UNKNOWN_TYPE) whose message is fit to show a client.  When the
 * frame had a readable "type", *type_name receives it (transfer full) even on
 * error, so the reply can name the request; pass NULL if not needed.
 * Transfer full. */
ImsMessage *ims_message_parse(const char *data, gsize length, char **type_name, GError **error);
void ims_message_free(ImsMessage *message);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsMessage, ims_message_free)

const char *ims_message_type_to_string(ImsMessageType type);

/* Serializes a reply object to a compact JSON string.  Transfer full. */
char *ims_message_to_json(JsonNode *node);
/* {"type":"answer","sdp":...} */
char *ims_message_answer_json(const char *sdp);
/* {"type":"ice","candidate":...,"sdpMLineIndex":...} */
char *ims_message_ice_json(guint mline_index, const char *candidate);
/* {"type":"error","code":...,"message":...,"requestType":...}; request_type may be NULL. */
char *ims_message_error_json(const char *code, const char *message, const char *request_type);

G_END_DECLS
