/* api-input.h: checks of what REST clients send, shared by the handlers:
 * ids (every id field of a body or query), JSON text, and the parameter
 * tables every body member and query parameter is checked against.
 *
 * An id is 1 to IMS_API_MAX_ID_BYTES bytes of UTF-8 whose every character is
 * printable (g_unichar_isprint: letters, digits, punctuation, symbols,
 * spaces; no control or format characters, no NUL).  Ids become parts of
 * object keys, log lines and event payloads, so what is refused here never
 * reaches them.
 *
 * Parameter tables, in the spirit of Janus's janus_json_parameter: a handler
 * describes what it accepts as an array of ImsApiParameter {name, type,
 * flags, limits, where the value goes}, and one call checks the input
 * against it, entry by entry in table order, and stops at the first refusal
 * with one sentence naming it.  A JSON null counts as absent; members or
 * parameters the table does not name are ignored (clients may send more than
 * imsd reads).  In a body a member is named in quotes ("\"userId\" is
 * required"), in a query bare ("limit must be ..."); the sentence has no
 * final period, the handler adds it.
 *
 * Pure functions (they write only where the table says), thread-safe.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define IMS_API_MAX_ID_BYTES 256

/* NULL if id (length bytes, or up to its NUL if length is -1) is a valid id;
 * else why not, a static phrase ("is empty", ...) to follow the field's name. */
const char *ims_api_input_id_problem(const char *id, gssize length);

/* TRUE if the JSON text (length bytes) holds a "\u0000" escape inside a
 * string.  json-glib would cut such a string at the NUL and hand back a
 * shorter one, so the body is refused instead.  Escaped backslashes are
 * followed ("\\u0000" is six characters, no NUL).  O(length). */
gboolean ims_api_input_json_has_nul(const char *json, gsize length);

/* Parses a request body (length bytes, NULL: none) that must be one JSON
 * object, with parser (the caller's, which owns the result): the object
 * (borrowed from parser), or NULL with *code ("bad_json": nested deeper than
 * IMS_JSON_MAX_DEPTH, not UTF-8, not JSON, not an object; "invalid_request":
 * a string holding NUL) and *problem (transfer full, a sentence without its
 * final period).  O(length). */
JsonObject *ims_api_input_parse_body(JsonParser *parser, const char *body, gsize length,
                                     const char **code, char **problem);

/* What a parameter must hold, and the sentence a bad value gets (NAME is the
 * parameter's name, quoted in a body). */
typedef enum {
  /* a non-empty string of at most max bytes: "NAME must be a non-empty string
   * of at most <max> characters" */
  IMS_API_PARAM_STRING,
  /* an id (above): "NAME <why not>"; in a body first a STRING of at most
   * IMS_API_MAX_ID_BYTES (its sentence) */
  IMS_API_PARAM_ID,
  /* an integer from min to max (a body's a JSON integer, not 1.0 or "1"; a
   * query's decimal digits): "NAME must be an integer from <min> to <max>" */
  IMS_API_PARAM_INT,
  /* one of words: "NAME must be <w1>, <w2> or <w3>" */
  IMS_API_PARAM_WORD,
  /* an ISO 8601 time with its zone: "NAME must be an ISO 8601 time" */
  IMS_API_PARAM_TIME,
  /* (body) an object whose members the members table checks (their
   * sentences name them alone): "NAME must be an object" */
  IMS_API_PARAM_OBJECT,
  /* (body) an array of min to max elements, each the handler's to check:
   * "NAME must be an array of <min> to <max> elements" */
  IMS_API_PARAM_ARRAY,
  /* (body) a JSON true or false: "NAME must be true or false" */
  IMS_API_PARAM_BOOLEAN,
} ImsApiParamType;

/* flags: absent (or null) is refused: "NAME is required" */
#define IMS_API_PARAM_REQUIRED (1u << 0)

typedef struct _ImsApiParameter ImsApiParameter;
struct _ImsApiParameter {
  const char *name;
  ImsApiParamType type;
  guint flags;
  gint64 min, max;                /* INT: the range; STRING: the most bytes; ARRAY: the elements */
  const char *const *words;       /* WORD: the accepted words, NULL-terminated */
  const ImsApiParameter *members; /* OBJECT: its members' table */
  gsize n_members;
  const char *message; /* the sentence of every refusal of this parameter, absence
                               * included; NULL: the type's (above) */
  /* Where a valid value goes; NULL: checked only.  An absent parameter
   * leaves its place as it was (set defaults first). */
  char **copy;       /* STRING, ID: a copy (transfer full; must be NULL before) */
  const char **text; /* STRING, ID, WORD: the value itself (borrowed from the input) */
  int *integer;      /* INT */
  gint64 *time;      /* TIME: unix microseconds */
  JsonArray **array; /* ARRAY: borrowed from the object */
  gboolean *boolean; /* BOOLEAN */
};

/* Checks object's members against the n parameters and stores each valid
 * value where its entry says.  TRUE if all are valid; else FALSE with
 * *problem (transfer full) the sentence of the first refused one; values
 * stored before it stay stored (their owner frees them).  O(input). */
gboolean ims_api_input_check_object(JsonObject *object, const ImsApiParameter *parameters, gsize n,
                                    char **problem);

/* The same for a query string's parameters (params: name -> value, as
 * g_uri_parse_params returns them; NULL when there is no query).  OBJECT,
 * ARRAY and BOOLEAN parameters cannot be in a query: a table naming one is a bug, and
 * every query is refused with its sentence. */
gboolean ims_api_input_check_query(GHashTable *params, const ImsApiParameter *parameters, gsize n,
                                   char **problem);

G_END_DECLS
