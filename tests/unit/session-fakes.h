/* session-fakes.h: what the session's unit tests share (test-session*.c):
 * fakes at the session's seams and a fixture that owns them.
 *
 * The store and the media are replaced at their seams (ImsStore, ImsMediaOps);
 * the store runs behind a real ImsDatabase (its thread), and the tests read
 * the fake store after ims_database_flush.  The peer functions and GLib's
 * timer calls are replaced with -Wl,--wrap (tests/meson.build: session_wraps)
 * so the tests fire timers by hand and read every frame the session sends.
 */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "session.h"

/* ---- wrapped peer ---- */

typedef struct {
  GPtrArray *frames; /* of char*: everything sent, errors included */
  gboolean closed;
  char *close_reason;
} FakePeer;

/* ---- wrapped timers ---- */

typedef struct {
  guint id;
  guint interval;
  GSourceFunc func;
  gpointer data;
  gboolean active;
} FakeTimer;

/* The first active timer of that interval, NULL if none. */
FakeTimer *active_timer(guint interval);
/* The active timer added last, NULL if none. */
FakeTimer *newest_timer(void);
/* How many timers are active. */
guint count_active_timers(void);
/* Runs the active timer of that interval as if it expired; FALSE if none. */
gboolean fire_timer(guint interval);
/* Runs timer as if it expired (it must be active). */
void fire(FakeTimer *timer);

/* ---- fake store ---- */

typedef struct {
  ImsStore base;
  ImsSessionRecord *saved; /* last save_progress copy of the fields we check */
  int save_calls;
  GPtrArray *takes;   /* ImsTake* copies, by id */
  gboolean fail_next; /* the next change is refused (a constraint, say) */
  gint unreachable;   /* atomic: changes and pings fail as if the server were down */
  gint attempts;      /* atomic: changes tried */
  gboolean in_transaction;
  GPtrArray *events; /* committed event types (char*), in order */
  GPtrArray *staged; /* event types appended in the open transaction */
} FakeStore;

/* How many committed events of that type. */
int count_events(FakeStore *store, const char *type);

/* ---- fake media ---- */

typedef struct {
  int number;
  char *take_path; /* open take */
  int starts, stops;
  gint64 last_media;
  gboolean fail_start;
} FakeMedia;

extern int media_opened, media_closed;
extern FakeMedia *last_media;

/* ---- fixture ---- */

typedef struct {
  FakeStore store;
  ImsDatabase *database;
  ImsSessionContext context;
  int takes_saved; /* take_saved calls */
  char *spool;
  ImsSession *session;
  FakePeer peer;
  FakePeer other_peer;
} Fixture;

#define THINK_SECONDS 10
#define LIMIT_SECONDS 30
#define NO_MEDIA_SECONDS 7 /* the context's no_media_timeout_seconds: apart from the others */

/* A created session's record: 3 questions, THINK_SECONDS, LIMIT_SECONDS. Transfer full. */
ImsSessionRecord *make_record(int max_retakes);
/* The fake store once every queued change is written (or refused). */
FakeStore *written(Fixture *f);
/* Also makes a critical of the session's log domain fail the test (until teardown). */
int setup(void **state);
int teardown(void **state);
void run_idles(void);

JsonObject *parse_frame(const char *json, JsonParser *parser);
/* The last "state" frame's member as text (ints and strings), for assertions. */
char *last_state_member(FakePeer *peer, const char *member);
/* TRUE if peer was sent an error frame with that code. */
gboolean sent_error(FakePeer *peer, const char *code);

#define assert_state(peer, member, expected) \
  do { \
    g_autofree char *actual_ = last_state_member((peer), (member)); \
    assert_string_equal(actual_, (expected)); \
  } while (0)

gboolean send_message(Fixture *f, ImsMessageType type, const char *sdp, GError **error);
void expect_refused(Fixture *f, ImsMessageType type, ImsSignalError code);
void send_ok(Fixture *f, ImsMessageType type);
/* join + offer (its media not flowing yet) */
void join_with_offer(Fixture *f, FakePeer *peer);
/* join + offer + media flowing */
void join_with_media(Fixture *f, FakePeer *peer);
const ImsTake *stored_take(Fixture *f, int question_index, int number);

/* What the fake media reports as each take's completeness record. */
#define COMPLETENESS "{\"video\":{\"frames\":{\"written\":150}},\"avOffsetMs\":null}"

/* Reports the open take of the current media as written to disk. */
void finish_take(Fixture *f, FakeMedia *media, gint64 duration_ms);
/* Waits (a bounded while) until the database thread tried n changes. */
void wait_for_attempts(Fixture *f, int n);
