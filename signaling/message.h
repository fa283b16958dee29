/* message.h: the signaling protocol's messages (docs/signaling.md).
 *
 * One protocol, two uses: a one-way interview session (join, offer, ice,
 * take.*, retake, next, end, ping) and a live room (docs/live-rooms.md:
 * room.join, publish, unpublish, subscribe, unsubscribe, ice with its pc,
 * mark, end, ping).  The first message of a connection decides which.
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
  /* live rooms (docs/live-rooms.md); "end", "ice" and "ping" are the ones above */
  IMS_MESSAGE_ROOM_JOIN,
  IMS_MESSAGE_PUBLISH,
  IMS_MESSAGE_UNPUBLISH,
  IMS_MESSAGE_SUBSCRIBE,
  IMS_MESSAGE_UNSUBSCRIBE,
  IMS_MESSAGE_MARK,
  /* the practice question (docs/signaling.md), appended */
  IMS_MESSAGE_PRACTICE,
} ImsMessageType;

/* Longest room id and participant id (roomId, participantId) accepted. */
#define IMS_MESSAGE_MAX_ROOM_ID_LENGTH 64
/* Longest off-script question (mark's text), in characters. */
#define IMS_MESSAGE_MAX_TEXT_LENGTH 4000
/* Highest question index a mark may name. */
#define IMS_MESSAGE_MAX_QUESTION_INDEX 999

typedef struct {
  ImsMessageType type;
  char *session_id;    /* join */
  char *token;         /* join, room.join */
  char *sdp;           /* offer, publish, subscribe */
  char *candidate;     /* ice: "candidate:..." or "" for end of candidates */
  guint mline_index;   /* ice */
  char *room_id;       /* room.join */
  char *participant_id; /* subscribe, unsubscribe: the publisher's */
  char *stream;        /* publish, unpublish, subscribe, unsubscribe: "camera" or "screen" */
  char *pc;            /* ice in a room: "pub:<stream>" or "sub:<participantId>:<stream>";
                          NULL when the ice message has none (a one-way session's) */
  int question_index;  /* mark: 0..999; -1 when the mark has text instead (and in every
                          other message) */
  char *text;          /* mark: the off-script question, 1..4000 characters; else NULL */
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
  /* live rooms */
  IMS_SIGNAL_ERROR_FORBIDDEN,      /* the role may not do this */
  IMS_SIGNAL_ERROR_WRONG_COMPANY,  /* a reviewer token of another company */
  IMS_SIGNAL_ERROR_ROOM_NOT_FOUND,
  IMS_SIGNAL_ERROR_ROOM_ENDED,
  IMS_SIGNAL_ERROR_NOT_PUBLISHED,  /* subscribe to a stream that is not there */
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
/* A live room's {"type":"answer","pc":...,"sdp":...} */
char *ims_message_room_answer_json(const char *pc, const char *sdp);
/* A live room's {"type":"ice","pc":...,"candidate":...,"sdpMLineIndex":...} */
char *ims_message_room_ice_json(const char *pc, guint mline_index, const char *candidate);
/* {"type":"error","code":...,"message":...,"requestType":...}; request_type may be NULL. */
char *ims_message_error_json(const char *code, const char *message, const char *request_type);

G_END_DECLS
