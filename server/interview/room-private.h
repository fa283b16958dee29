/* room-private.h: the inside of ImsRoom, shared by room.c (members, roles,
 * messages, the room's state), room-files.c (segments and the files recorded
 * into them), room-write.c (the room's changes on their way to the database)
 * and room-view.c (the JSON it sends).  Nothing else includes it but the
 * room's unit tests. */
#pragma once

#include "room.h"

/* What a media owner is: the room's side of a publisher or a subscriber. */
typedef enum {
  OWNER_PUBLICATION,
  OWNER_SUBSCRIPTION,
} OwnerKind;

typedef struct _Publication Publication;

/* One file being written by a publication's receiver (or finalized after a
 * split or a stop).  recording and take point into the room's and the
 * session's records. */
typedef struct {
  ImsRoomRecording *recording;
  ImsTake *take;              /* the segment's take (candidate camera, question segment), or NULL */
  Publication *publication;   /* NULL once the publication is gone */
  ImsTakeStatus final_status; /* what the file becomes: completed, or interrupted once cut */
  char *stop_reason;          /* the take's: "mark", "end", "disconnected", "failed", "shutdown" */
} OpenFile;

/* A stream a member publishes ("camera" or "screen"). */
struct _Publication {
  OwnerKind kind; /* OWNER_PUBLICATION: first, the media hand it back as owner */
  ImsRoomMember *member;
  char *stream;
  gpointer media;         /* the receiver, owned */
  gboolean negotiated;    /* its offer was taken: subscribers may come */
  gboolean flowing;       /* media flow: files can be written */
  OpenFile *file;         /* the file being written, NULL if none */
  GPtrArray *subscribers; /* Subscription* on it (owned by their members) */
};

/* A member's subscription to another member's stream. */
typedef struct {
  OwnerKind kind; /* OWNER_SUBSCRIPTION */
  ImsRoomMember *member;
  Publication *publication; /* what it forwards (not owned) */
  char *pc;                 /* "sub:<participantId>:<stream>" */
  gpointer media;           /* the sender, owned */
} Subscription;

struct _ImsRoomMember {
  grefcount ref_count;
  ImsRoom *room; /* a reference */
  const ImsRoomParticipant *participant; /* the room's (or one of its observers) */
  ImsPeer *peer;                         /* NULL once it left or was replaced */
  GHashTable *publications;              /* stream -> Publication*, owned */
  GHashTable *subscriptions;             /* pc -> Subscription*, owned */
};

struct _ImsRoom {
  grefcount ref_count;
  ImsRoomRecord *record;      /* the stored room (the truth, in PostgreSQL) */
  ImsSessionRecord *session;  /* its candidate session: questions and takes */
  const ImsRoomContext *context;
  GPtrArray *observers;       /* ImsRoomParticipant*, owned: observers who joined */
  GHashTable *members;        /* participant id -> ImsRoomMember*, joined, a reference each */
  GPtrArray *open_files;      /* OpenFile*, owned: files not final yet */
  GPtrArray *idle_closes;     /* media handles to close from an idle (ClosingMedia*) */
  guint idle_close_id;
  guint quality_id;
  gboolean completing;        /* ended: interview.completed waits for the open files */
  guint unsaved;              /* writes queued, not done yet */
  ImsDoneFunc shutdown_done;
  gpointer shutdown_data;
};

#define ROOM_LOG_ID(room) ((room)->record->id)

/* ---- room.c ---- */

/* Sends room.state to every member (each its own view). */
void ims_room_broadcast_state(ImsRoom *room);
/* Ends the room once no file is open any more: the last segment closed, the
 * state ended written with interview.completed.  No-op before. */
void ims_room_complete_if_idle(ImsRoom *room);
/* publication's file is final: the publication is closed now if it was retired. */
void ims_room_publication_file_done(ImsRoom *room, Publication *publication);
/* Runs the shutdown's done once no file is open. */
void ims_room_check_shutdown_done(ImsRoom *room);

/* ---- room-files.c ---- */

typedef struct _RoomWrite RoomWrite;

/* The open segment, NULL if none (not live yet, or ended and written). */
ImsRoomSegment *ims_room_open_segment(ImsRoom *room);
/* Opens a segment at now (question_index -1: the opening; off_script, transfer
 * full, a question appended first), with its take for a question segment,
 * after closing the open one; every file being written moves to it (split).
 * The steps go into write, in that order. */
void ims_room_open_segment_at(ImsRoom *room, int question_index, ImsQuestion *off_script,
                              RoomWrite *write, gint64 now);
/* The question segments announced (candidate.response_submitted): those
 * whose take has media, counted from the takes (a room read again after a
 * sweep counts those announced before). */
int ims_room_count_responses(ImsRoom *room);
/* Closes the open segment at now (its take failed if it never had a file). */
void ims_room_close_segment(ImsRoom *room, gint64 now, RoomWrite *write);
/* Starts publication's file in the open segment if the room records its
 * participant and its media flow.  A failure is logged; the stream is
 * forwarded all the same. */
void ims_room_start_file(ImsRoom *room, Publication *publication);
/* Stops publication's file (final_status: completed, or interrupted when
 * cut; stop_reason the take's).  It is final on ims_room_media_file_finished. */
void ims_room_stop_file(ImsRoom *room, Publication *publication, ImsTakeStatus final_status,
                        const char *stop_reason);
/* Finalizes file now as interrupted with what is on disk (its receiver
 * failed: no result will come). */
void ims_room_cut_file(ImsRoom *room, OpenFile *file);
void ims_room_open_file_free(OpenFile *file);

/* ---- room-write.c ---- */

RoomWrite *ims_room_write_new(ImsRoom *room, const char *what);
void ims_room_write_state(RoomWrite *write);
void ims_room_write_insert_segment(RoomWrite *write, const ImsRoomSegment *segment);
void ims_room_write_finish_segment(RoomWrite *write, const ImsRoomSegment *segment);
void ims_room_write_insert_recording(RoomWrite *write, const ImsRoomRecording *recording);
void ims_room_write_update_recording(RoomWrite *write, const ImsRoomRecording *recording);
/* final: the take goes to the processor once written. */
void ims_room_write_update_take(RoomWrite *write, const ImsTake *take, gboolean final);
void ims_room_write_add_question(RoomWrite *write, const ImsQuestion *question);
/* Takes events (transfer full, may be NULL). */
void ims_room_write_events(RoomWrite *write, GPtrArray *events);
/* After it is written, the context's room_ended runs. */
void ims_room_write_then_ended(RoomWrite *write);
/* Queues it: the steps in one transaction with its events (IMS_DATABASE_WRITE:
 * retried in order until written). */
void ims_room_write_submit(RoomWrite *write);

/* ---- room-view.c ---- */

/* The room.state body for member (without "type"): transfer full. */
JsonNode *ims_room_state_node(ImsRoom *room, ImsRoomMember *member);
/* {"type":"room.state",...} for member.  Transfer full. */
char *ims_room_state_json(ImsRoom *room, ImsRoomMember *member);
/* {"type":"room.joined","participantId","role","room"}.  Transfer full. */
char *ims_room_joined_json(ImsRoom *room, ImsRoomMember *member);
/* {"type":"quality","participants":[...]}.  Transfer full. */
char *ims_room_quality_json(ImsRoom *room);
