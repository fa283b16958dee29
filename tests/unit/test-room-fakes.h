/* test-room-fakes.h: the fakes of the live room's unit tests (test-room.c): a
 * fake store (rooms and sessions ops, transactions, the outbox) behind a real
 * ImsDatabase, fake media (ImsRoomMediaOps) driven by hand, the peer
 * functions wrapped (tests/meson.build) so every frame sent is read back,
 * and the fixture that owns them with its helpers. */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "database.h"
#include "payloads.h"
#include "peer-handler.h"
#include "room-private.h"

#define ROOM_ID "5b1f7c2e-8a43-4d0e-9f61-2c7d3e9a0b14"
#define SESSION_ID "3f0c2a8e-5d0b-4b8e-9a53-1c1f4f7f2f10"
#define CANDIDATE "c0000000-0000-4000-8000-000000000001"
#define INTERVIEWER "a0000000-0000-4000-8000-000000000002"

typedef struct {
  GPtrArray *frames; /* char*: everything sent, errors included */
  gboolean closed;
  gboolean answered; /* ims_peer_join_finish ran (once) */
  gpointer endpoint; /* its endpoint, or */
  char *error_code;  /* its refusal's code */
} FakePeer;

typedef struct {
  ImsStore base;
  GMutex lock;
  GPtrArray *calls;  /* char*: "insert_segment 1 q0", ... */
  GPtrArray *events; /* committed ImsOutboxEvent values (char*), in order */
  GPtrArray *event_types;
  GPtrArray *staged; /* ImsOutboxEvent* copies of the open transaction */
  gint loads;        /* atomic: load_room calls (a copy of make_room_record(FALSE, TRUE)) */
} FakeStore;

typedef struct {
  gboolean publisher;
  gpointer owner;
  gpointer publisher_media; /* a subscriber's */
  char *file;               /* the open file's path */
  GPtrArray *files;         /* char*: every path started or split to */
  gboolean stopped;
  gboolean closed;
} FakeMedia;

/* every close, in order: "close_subscriber", "close_publisher" */
extern GPtrArray *media_log;
extern GPtrArray *all_media; /* FakeMedia*, owned */

typedef struct {
  FakeStore store;
  ImsDatabase *database;
  char *spool;
  ImsSessionContext sessions;
  ImsRoomContext context;
  ImsRoom *room;
  FakePeer peers[6];
  ImsRoomMember *members[6];
  GPtrArray *saved_takes; /* char*: "q<N> #<n>" handed to the processor */
  GPtrArray *ended;       /* char*: room ids room_ended was called with */
} Fixture;

/* The stored room (observers_visible, record_interviewers as given; company "acme") of a
 * candidate and an interviewer, and its candidate session with two questions (transfer full). */
ImsRoomRecord *make_room_record(gboolean observers_visible, gboolean record_interviewers);
ImsSessionRecord *make_session_record(void);
/* That room in memory, with f's context. */
ImsRoom *make_room(Fixture *f, gboolean observers_visible, gboolean record_interviewers);
/* The fake media every room of the fixture is given. */
extern const ImsRoomMediaOps fake_media_ops;
/* cmocka setup and teardown: the fixture with f->room from make_room(f, FALSE, TRUE).  The
 * store's load_room answers ROOM_ID (NOT_FOUND for any other), load_session SESSION_ID. */
int setup(void **state);
int teardown(void **state);
/* Every queued write done, then the idle closes. */
void flush(Fixture *f);
/* Joins peers[peer] as participant_id, or as the observer of recruiter observer; must succeed. */
ImsRoomMember *join(Fixture *f, guint peer, const char *participant_id, const char *observer);
/* peers[peer]'s connection closes. */
void leave(Fixture *f, guint peer);
/* Sends peers[peer]'s member a message of those fields; NULL if taken, else the error code. */
const char *send_message(Fixture *f, guint peer, ImsMessageType type, const char *stream,
             const char *participant_id, int question_index, const char *text);
/* json parsed (kept until the next call). */
JsonObject *parse(const char *json);
/* The last frame of type sent to peers[peer], parsed (NULL if none). */
JsonObject *last_of_type(Fixture *f, guint peer, const char *type);
/* The code of the last error sent to peers[peer], NULL if none. */
const char *last_error_code(Fixture *f, guint peer);
/* The publisher handle of peers[peer]'s stream (it must be published). */
FakeMedia *publisher_media(Fixture *f, guint peer, const char *stream);
/* Publishes stream from peers[peer] and lets its media flow. */
void publish_flowing(Fixture *f, guint peer, const char *stream);
/* media's receiver reports its file at path final (complete: EOS reached; audio and video). */
void finish_file(Fixture *f, FakeMedia *media, const char *path, gboolean complete);
/* Store calls starting with prefix, and whether one is exactly text. */
guint count_calls(Fixture *f, const char *prefix);
gboolean has_call(Fixture *f, const char *text);
/* The committed event types, comma-separated (transfer full). */
char *event_types(Fixture *f);
