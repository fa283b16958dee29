/* room-store-fakes.h: a fake of the store's rooms table for test-room-composite.c, on
 * privacy-fakes.h's ImsFakeStore (its log, its failures, its events): rooms and their failure
 * counts in memory, one candidate session.  Every op records itself in the fake's log.
 */
#pragma once

#include <glib.h>

#include "privacy-fakes.h"

typedef struct {
  ImsFakeStore fake; /* first; fake.lock protects the rest too */
  GHashTable *rooms; /* id -> ImsRoomRecord* */
  GHashTable *failures; /* id -> GINT_TO_POINTER(set_composite failed count) */
  ImsSessionRecord *session;
} FakeRooms;

/* Sets the rooms ops (load_room, update_recording, list_rooms_to_composite, set_composite) and
 * sessions.load_session of store's ImsStore; the tables are the caller's to make and free. */
void fake_rooms_install(FakeRooms *store);

/* The fake's set_composite, for a test that wraps it. */
gboolean fake_set_composite(ImsStore *base, const char *room_id, const char *status, const char *key,
                            gint64 size, const char *chapters, GError **error);
