/* test-http-requests.c: unit tests for server/http/http.c's request path: a
 * request collected from libwebsockets, refused by the HTTP layer (413, 400
 * query_too_long, 411, a file mount's miss, an unknown method) or answered
 * by the API, and its answer written back in chunks.
 *
 * The lws calls http.c makes are replaced with -Wl,--wrap: a FakeConnection
 * stands for the connection (struct lws *), says what lws would say of the
 * request (URI, method, headers, query fragments) and records what is
 * written.  The tests drive the protocol's callback as lws would (HTTP,
 * HTTP_BODY, HTTP_BODY_COMPLETION, HTTP_WRITEABLE while a write is asked
 * for, CLOSED_HTTP).  No database: every request is answered on the spot.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include <json-glib/json-glib.h>
#include <libwebsockets.h>

#include "http.h"
#include "imsd-build.h"

#define SERVICE_TOKEN "service-token-for-http-tests"
#define MAX_BODY 512
#define SESSION_ID "6f1c0b3e-7a0d-4a52-9d3c-0c1f7a2b9e11"

enum { GET, POST, OPTIONS, PUT, PATCH, DELETE }; /* lws' method indexes */

/* ---- the fake connection (wrapped lws) ---- */

typedef struct {
  /* the request, as lws holds it */
  const char *uri; /* with "?query" if lws left it there */
  int method;
  const char *authorization;
  const char *const *fragments; /* WSI_TOKEN_HTTP_URI_ARGS, NULL-terminated */
  gboolean content_length;
  const char *content_length_value; /* the header's text ("100" if only content_length) */
  gboolean chunked;
  /* what http.c did with it */
  int status; /* lws_add_http_common_headers' */
  guint64 announced_length;
  GString *body;
  guint writes;
  gsize longest_write;
  gboolean final;      /* the last write was LWS_WRITE_HTTP_FINAL */
  guint completed;     /* lws_http_transaction_completed calls */
  int returned_status; /* lws_return_http_status' */
  guint writable_asked;
} FakeConnection;

static struct lws_protocols protocol;

const struct lws_protocols *__wrap_lws_get_protocol(struct lws *wsi);
int __wrap_lws_http_get_uri_and_method(struct lws *wsi, char **uri, int *length);
int __wrap_lws_hdr_total_length(struct lws *wsi, enum lws_token_indexes h);
int __wrap_lws_hdr_copy(struct lws *wsi, char *dest, int len, enum lws_token_indexes h);
int __wrap_lws_hdr_fragment_length(struct lws *wsi, enum lws_token_indexes h, int index);
int __wrap_lws_hdr_copy_fragment(struct lws *wsi, char *dest, int len, enum lws_token_indexes h,
                                 int index);
const char *__wrap_lws_get_peer_simple(struct lws *wsi, char *name, size_t length);
int __wrap_lws_callback_on_writable(struct lws *wsi);
int __wrap_lws_add_http_common_headers(struct lws *wsi, unsigned int code, const char *content_type,
                                       lws_filepos_t content_length, unsigned char **p,
                                       unsigned char *end);
int __wrap_lws_add_http_header_by_name(struct lws *wsi, const unsigned char *name,
                                       const unsigned char *value, int length, unsigned char **p,
                                       unsigned char *end);
int __wrap_lws_finalize_write_http_header(struct lws *wsi, unsigned char *start, unsigned char **p,
                                          unsigned char *end);
int __wrap_lws_write(struct lws *wsi, unsigned char *buf, size_t len, enum lws_write_protocol mode);
int __wrap_lws_http_transaction_completed(struct lws *wsi);
int __wrap_lws_return_http_status(struct lws *wsi, unsigned int code, const char *html_body);
void __wrap_lws_set_timeout(struct lws *wsi, enum pending_timeout reason, int secs);
int __wrap_lws_callback_http_dummy(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                                   void *in, size_t len);

const struct lws_protocols *
__wrap_lws_get_protocol(struct lws *wsi)
{
  return &protocol;
}

int
__wrap_lws_http_get_uri_and_method(struct lws *wsi, char **uri, int *length)
{
  FakeConnection *connection = (FakeConnection *) wsi;
  *uri = (char *) connection->uri;
  *length = (int) strlen(connection->uri);
  return connection->method;
}

int
__wrap_lws_hdr_total_length(struct lws *wsi, enum lws_token_indexes h)
{
  FakeConnection *connection = (FakeConnection *) wsi;
  int total = 0;
  switch ((int) h) {
  case WSI_TOKEN_HTTP_AUTHORIZATION:
    return connection->authorization ? (int) strlen(connection->authorization) : 0;
  case WSI_TOKEN_HTTP_CONTENT_LENGTH:
    if (connection->content_length_value)
      return (int) strlen(connection->content_length_value);
    return connection->content_length ? 3 : 0;
  case WSI_TOKEN_HTTP_TRANSFER_ENCODING:
    return connection->chunked ? (int) strlen("chunked") : 0;
  case WSI_TOKEN_HTTP_URI_ARGS:
    for (guint i = 0; connection->fragments && connection->fragments[i]; i++)
      total += (int) strlen(connection->fragments[i]) + (i > 0);
    return total;
  default:
    return 0;
  }
}

int
__wrap_lws_hdr_copy(struct lws *wsi, char *dest, int len, enum lws_token_indexes h)
{
  FakeConnection *connection = (FakeConnection *) wsi;
  if (h == WSI_TOKEN_HTTP_CONTENT_LENGTH)
    return (int) g_strlcpy(dest,
                           connection->content_length_value ? connection->content_length_value : "100",
                           len);
  assert_int_equal(h, WSI_TOKEN_HTTP_AUTHORIZATION);
  return (int) g_strlcpy(dest, connection->authorization, len);
}

int
__wrap_lws_hdr_fragment_length(struct lws *wsi, enum lws_token_indexes h, int index)
{
  FakeConnection *connection = (FakeConnection *) wsi;
  for (int i = 0; connection->fragments && connection->fragments[i]; i++)
    if (i == index)
      return (int) strlen(connection->fragments[i]);
  return 0;
}

int
__wrap_lws_hdr_copy_fragment(struct lws *wsi, char *dest, int len, enum lws_token_indexes h,
                             int index)
{
  FakeConnection *connection = (FakeConnection *) wsi;
  return (int) g_strlcpy(dest, connection->fragments[index], len);
}

const char *
__wrap_lws_get_peer_simple(struct lws *wsi, char *name, size_t length)
{
  g_strlcpy(name, "192.0.2.7", length);
  return name;
}

int
__wrap_lws_callback_on_writable(struct lws *wsi)
{
  ((FakeConnection *) wsi)->writable_asked++;
  return 1;
}

int
__wrap_lws_add_http_common_headers(struct lws *wsi, unsigned int code, const char *content_type,
                                   lws_filepos_t content_length, unsigned char **p,
                                   unsigned char *end)
{
  FakeConnection *connection = (FakeConnection *) wsi;
  assert_string_equal(content_type, "application/json");
  connection->status = (int) code;
  connection->announced_length = content_length;
  return 0;
}

int
__wrap_lws_add_http_header_by_name(struct lws *wsi, const unsigned char *name,
                                   const unsigned char *value, int length, unsigned char **p,
                                   unsigned char *end)
{
  assert_string_equal((const char *) name, "cache-control:");
  return 0;
}

int
__wrap_lws_finalize_write_http_header(struct lws *wsi, unsigned char *start, unsigned char **p,
                                      unsigned char *end)
{
  return 0;
}

int
__wrap_lws_write(struct lws *wsi, unsigned char *buf, size_t len, enum lws_write_protocol mode)
{
  FakeConnection *connection = (FakeConnection *) wsi;
  assert_false(connection->final); /* nothing after the last write */
  assert_true(mode == LWS_WRITE_HTTP || mode == LWS_WRITE_HTTP_FINAL);
  g_string_append_len(connection->body, (const char *) buf, (gssize) len);
  connection->writes++;
  connection->longest_write = MAX(connection->longest_write, len);
  connection->final = mode == LWS_WRITE_HTTP_FINAL;
  return (int) len;
}

int
__wrap_lws_http_transaction_completed(struct lws *wsi)
{
  ((FakeConnection *) wsi)->completed++;
  return 0;
}

int
__wrap_lws_return_http_status(struct lws *wsi, unsigned int code, const char *html_body)
{
  ((FakeConnection *) wsi)->returned_status = (int) code;
  return 0;
}

void
__wrap_lws_set_timeout(struct lws *wsi, enum pending_timeout reason, int secs)
{
}

int
__wrap_lws_callback_http_dummy(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                               void *in, size_t len)
{
  return 0;
}

/* ---- the API behind it ---- */

static guint sessions_created;

static gboolean
fake_create_session(ImsStore *store, const ImsSessionRecord *record, GError **error)
{
  sessions_created++;
  return TRUE;
}

/* A session whose JSON view is several chunks long. */
static ImsSessionRecord *
fake_load_session(ImsStore *store, const char *id, GError **error)
{
  ImsSessionRecord *record = ims_session_record_new();
  record->id = g_strdup(id);
  record->interview_id = g_strdup("i-1");
  record->user_id = g_strdup("u-1");
  for (int i = 0; i < 12; i++) {
    g_autofree char *question_id = g_strdup_printf("q%d", i);
    g_autofree char *text = g_strnfill(2000, (char) ('a' + i));
    g_ptr_array_add(record->questions, ims_question_new(question_id, text, 60));
  }
  return record;
}

typedef struct {
  ImsConfig *config;
  ImsStore store;
  ImsApi api;
  ImsHttpConfig http;
  FakeConnection connection;
  gpointer user; /* lws' per-connection data (HttpRequest) */
} Fixture;

static int
setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  f->config = ims_config_new();
  g_free(f->config->service_token);
  f->config->service_token = g_strdup(SERVICE_TOKEN);
  g_free(f->config->token_secret);
  f->config->token_secret = g_strdup("http-test-token-secret-http-test-token-secret");
  f->store.sessions.create_session = fake_create_session;
  f->store.sessions.load_session = fake_load_session;
  f->api.config = f->config;
  f->api.store = &f->store;
  f->api.profiles = ims_profile_set_load_file(IMSD_SOURCE_DIR "/etc/profiles.ini", NULL);
  assert_non_null(f->api.profiles);
  f->http = (ImsHttpConfig){ .api = &f->api, .max_body_bytes = MAX_BODY };
  ims_http_protocol_init(&protocol, &f->http);
  f->user = g_malloc0(protocol.per_session_data_size);
  f->connection.body = g_string_new(NULL);
  sessions_created = 0;
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *f = *state;
  protocol.callback((struct lws *) &f->connection, LWS_CALLBACK_CLOSED_HTTP, f->user, NULL, 0);
  g_string_free(f->connection.body, TRUE);
  g_free(f->user);
  ims_profile_set_free((ImsProfileSet *) f->api.profiles);
  ims_config_free(f->config);
  g_free(f);
  return 0;
}

static int
deliver(Fixture *f, enum lws_callback_reasons reason, const char *in, gsize length)
{
  return protocol.callback((struct lws *) &f->connection, reason, f->user, (void *) in, length);
}

/* Sends WRITEABLE while http.c asks for it; returns the last callback's result. */
static int
drain(Fixture *f)
{
  int result = 0;
  while (result == 0 && f->connection.writable_asked > 0) {
    f->connection.writable_asked--;
    result = deliver(f, LWS_CALLBACK_HTTP_WRITEABLE, NULL, 0);
  }
  return result;
}

/* Starts a new request on the connection (what was written is forgotten). */
static void
begin(Fixture *f, int method, const char *uri, const char *authorization)
{
  FakeConnection *c = &f->connection;
  GString *body = c->body;
  g_string_truncate(body, 0);
  *c = (FakeConnection){ .uri = uri, .method = method, .authorization = authorization, .body = body };
}

/* The "code" of the JSON error written back. */
static char *
written_code(Fixture *f)
{
  g_autoptr(JsonNode) root = json_from_string(f->connection.body->str, NULL);
  assert_non_null(root);
  assert_true(JSON_NODE_HOLDS_OBJECT(root));
  return g_strdup(json_object_get_string_member(json_node_get_object(root), "code"));
}

/* A request without a body, answered and written back. */
static void
test_answer_is_written_whole(void **state)
{
  Fixture *f = *state;
  begin(f, GET, "/healthz", NULL);
  assert_int_equal(deliver(f, LWS_CALLBACK_HTTP, NULL, 0), 0);
  assert_int_equal(f->connection.writes, 0); /* only when the socket is writable */
  assert_int_equal(drain(f), 0);
  assert_int_equal(f->connection.status, 200);
  assert_string_equal(f->connection.body->str, "{\"status\":\"ok\"}");
  assert_int_equal(f->connection.announced_length, f->connection.body->len);
  assert_true(f->connection.final);
  assert_int_equal(f->connection.completed, 1); /* the connection is kept for the next */

  /* the next request on the same connection starts clean */
  begin(f, GET, "/api/v1/sessions/" SESSION_ID, NULL);
  assert_int_equal(deliver(f, LWS_CALLBACK_HTTP, NULL, 0), 0);
  assert_int_equal(drain(f), 0);
  assert_int_equal(f->connection.status, 401);
  g_autofree char *code = written_code(f);
  assert_string_equal(code, "unauthorized");
}

/* An answer longer than one chunk goes in several writes, the last one final. */
static void
test_long_answer_in_chunks(void **state)
{
  Fixture *f = *state;
  begin(f, GET, "/api/v1/sessions/" SESSION_ID, "Bearer " SERVICE_TOKEN);
  assert_int_equal(deliver(f, LWS_CALLBACK_HTTP, NULL, 0), 0);
  assert_int_equal(drain(f), 0);
  assert_int_equal(f->connection.status, 200);
  assert_true(f->connection.body->len > 3 * 8192);
  assert_int_equal(f->connection.announced_length, f->connection.body->len);
  assert_int_equal(f->connection.writes, (f->connection.body->len + 8191) / 8192);
  assert_int_equal(f->connection.longest_write, 8192);
  assert_true(f->connection.final);
  g_autoptr(JsonNode) root = json_from_string(f->connection.body->str, NULL);
  assert_non_null(root);
  JsonObject *session = json_node_get_object(root);
  assert_string_equal(json_object_get_string_member(session, "sessionId"), SESSION_ID);
  assert_int_equal(json_array_get_length(json_object_get_array_member(session, "questions")), 12);
}

#define BODY \
  "{\"interviewId\":\"i\",\"userId\":\"u\",\"questions\":[{\"id\":\"q\",\"text\":\"t\"," \
  "\"timeLimitSeconds\":10}]}"

/* A body comes in pieces and is handed to the API whole. */
static void
test_body_collected(void **state)
{
  Fixture *f = *state;
  begin(f, POST, "/api/v1/sessions", "Bearer " SERVICE_TOKEN);
  f->connection.content_length = TRUE;
  assert_int_equal(deliver(f, LWS_CALLBACK_HTTP, NULL, 0), 0);
  gsize half = strlen(BODY) / 2;
  assert_int_equal(deliver(f, LWS_CALLBACK_HTTP_BODY, BODY, half), 0);
  assert_int_equal(deliver(f, LWS_CALLBACK_HTTP_BODY, BODY + half, strlen(BODY) - half), 0);
  assert_int_equal(f->connection.writable_asked, 0); /* not answered before the end */
  assert_int_equal(deliver(f, LWS_CALLBACK_HTTP_BODY_COMPLETION, NULL, 0), 0);
  assert_int_equal(drain(f), 0);
  assert_int_equal(f->connection.status, 201);
  assert_int_equal(sessions_created, 1);
}

/* "Content-Length: 0" on a body method: answered at once, since lws sends
 * no HTTP_BODY_COMPLETION for a PUT or PATCH of no bytes; the completion a
 * POST still gets answers nothing twice. */
static void
test_empty_body_answered_at_once(void **state)
{
  Fixture *f = *state;
  const struct {
    int method;
    int status;
    const char *code;
  } cases[] = { { PUT, 405, "method_not_allowed" },
                { PATCH, 405, "method_not_allowed" },
                { POST, 400, "bad_json" } };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    begin(f, cases[i].method, "/api/v1/sessions", "Bearer " SERVICE_TOKEN);
    f->connection.content_length_value = "0";
    assert_int_equal(deliver(f, LWS_CALLBACK_HTTP, NULL, 0), 0);
    if (f->connection.writable_asked == 0)
      fail_msg("request %" G_GSIZE_FORMAT " with Content-Length: 0 is not answered", i);
    if (cases[i].method == POST)
      assert_int_equal(deliver(f, LWS_CALLBACK_HTTP_BODY_COMPLETION, NULL, 0), 0);
    assert_int_equal(drain(f), 0);
    assert_int_equal(f->connection.status, cases[i].status);
    g_autofree char *code = written_code(f);
    assert_string_equal(code, cases[i].code);
    assert_int_equal(f->connection.completed, 1); /* one answer, the connection kept */
  }
  assert_int_equal(sessions_created, 0);
}

/* A body over max_body_bytes is 413, and never reaches the API. */
static void
test_body_too_large(void **state)
{
  Fixture *f = *state;
  g_autofree char *piece = g_strnfill(MAX_BODY / 2 + 1, ' ');
  begin(f, POST, "/api/v1/sessions", "Bearer " SERVICE_TOKEN);
  f->connection.content_length = TRUE;
  assert_int_equal(deliver(f, LWS_CALLBACK_HTTP, NULL, 0), 0);
  assert_int_equal(deliver(f, LWS_CALLBACK_HTTP_BODY, piece, strlen(piece)), 0);
  assert_int_equal(deliver(f, LWS_CALLBACK_HTTP_BODY, piece, strlen(piece)), 0);
  assert_int_equal(deliver(f, LWS_CALLBACK_HTTP_BODY_COMPLETION, NULL, 0), 0);
  assert_int_equal(drain(f), 0);
  assert_int_equal(f->connection.status, 413);
  g_autofree char *code = written_code(f);
  assert_string_equal(code, "too_large");
  assert_non_null(strstr(f->connection.body->str, G_STRINGIFY(MAX_BODY) " bytes"));
  assert_int_equal(sessions_created, 0);
}

/* A query over IMS_HTTP_MAX_QUERY_BYTES is refused, never cut, whether lws
 * left it in the URI or split it into fragments; the connection is closed
 * after the answer (a body may follow that is not read). */
static void
test_query_too_long(void **state)
{
  Fixture *f = *state;
  g_autofree char *value = g_strnfill(IMS_HTTP_MAX_QUERY_BYTES, 'x');
  g_autofree char *uri = g_strconcat("/api/v1/review/sessions?interviewId=", value, NULL);
  begin(f, GET, uri, NULL);
  assert_int_equal(deliver(f, LWS_CALLBACK_HTTP, NULL, 0), 0);
  assert_int_equal(drain(f), -1);
  assert_int_equal(f->connection.status, 400);
  g_autofree char *code = written_code(f);
  assert_string_equal(code, "query_too_long");
  assert_true(f->connection.final);
  assert_int_equal(f->connection.completed, 0);

  g_autofree char *fragment = g_strconcat("interviewId=", value, NULL);
  const char *const fragments[] = { fragment, NULL };
  begin(f, GET, "/api/v1/review/sessions", NULL);
  f->connection.fragments = fragments;
  assert_int_equal(deliver(f, LWS_CALLBACK_HTTP, NULL, 0), 0);
  assert_int_equal(drain(f), -1);
  g_autofree char *again = written_code(f);
  assert_string_equal(again, "query_too_long");
}

/* A chunked body without Content-Length is 411, and the connection closed. */
static void
test_chunked_body_refused(void **state)
{
  Fixture *f = *state;
  begin(f, PUT, "/api/v1/sessions", "Bearer " SERVICE_TOKEN);
  f->connection.chunked = TRUE;
  assert_int_equal(deliver(f, LWS_CALLBACK_HTTP, NULL, 0), 0);
  assert_int_equal(drain(f), -1);
  assert_int_equal(f->connection.status, 411);
  g_autofree char *code = written_code(f);
  assert_string_equal(code, "length_required");
  assert_int_equal(sessions_created, 0);
}

/* What reaches this protocol outside the API's mounts is a file mount's miss. */
static void
test_file_mount_miss(void **state)
{
  Fixture *f = *state;
  begin(f, GET, "/review/missing.js", "Bearer " SERVICE_TOKEN);
  assert_int_equal(deliver(f, LWS_CALLBACK_HTTP, NULL, 0), 0);
  assert_int_equal(drain(f), 0);
  assert_int_equal(f->connection.status, 404);
  assert_string_equal(f->connection.body->str,
                      "{\"code\":\"not_found\",\"message\":\"No such file.\"}");
}

/* A method lws knows but this server does not take gets lws' own 405; a
 * WebSocket without the signaling subprotocol is refused. */
static void
test_unknown_method_and_websocket(void **state)
{
  Fixture *f = *state;
  begin(f, DELETE + 1, "/healthz", NULL);
  assert_int_equal(deliver(f, LWS_CALLBACK_HTTP, NULL, 0), 0);
  assert_int_equal(f->connection.returned_status, HTTP_STATUS_METHOD_NOT_ALLOWED);
  assert_int_equal(f->connection.writable_asked, 0);
  begin(f, -1, "/healthz", NULL);
  assert_int_equal(deliver(f, LWS_CALLBACK_HTTP, NULL, 0), 0);
  assert_int_equal(f->connection.returned_status, HTTP_STATUS_METHOD_NOT_ALLOWED);

  assert_int_equal(deliver(f, LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION, NULL, 0), -1);
}

/* A connection closed before its answer is written: nothing is written
 * after, and a later WRITEABLE (a file lws serves) is lws' own. */
static void
test_closed_before_written(void **state)
{
  Fixture *f = *state;
  begin(f, GET, "/healthz", NULL);
  assert_int_equal(deliver(f, LWS_CALLBACK_HTTP, NULL, 0), 0);
  assert_int_equal(deliver(f, LWS_CALLBACK_CLOSED_HTTP, NULL, 0), 0);
  assert_int_equal(drain(f), 0);
  assert_int_equal(f->connection.writes, 0);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
  const struct CMUnitTest tests[] = {
    T(test_answer_is_written_whole), T(test_long_answer_in_chunks),
    T(test_body_collected),
    T(test_empty_body_answered_at_once), T(test_body_too_large),
    T(test_query_too_long),          T(test_chunked_body_refused),
    T(test_file_mount_miss),         T(test_unknown_method_and_websocket),
    T(test_closed_before_written),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
