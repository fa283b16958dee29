/* room-api.h: the live rooms' REST API (docs/live-rooms.md, "REST";
 * docs/openapi.yaml).
 *
 *   POST /api/v1/rooms          (service token) create a room from
 *                               {interviewId, type, scheduledAt,
 *                               durationMinutes, companyId,
 *                               candidate: {userId, email?, name?},
 *                               interviewers: [{userId, name?, email?}],
 *                               questions?: [{id, text, timeLimitSeconds?}],
 *                               settings?: {observersVisible, allowScreenShare,
 *                               recording: "both" | "candidate"}}:
 *                               201 {roomId, sessionId, state, validFrom,
 *                               validUntil, participants: [{participantId,
 *                               role, userId, name, joinUrl, token}]}
 *   GET  /api/v1/rooms/{id}     (service token, or a reviewer token of the
 *                               room's company) the room, its participants,
 *                               segments with their recordings, the composite
 *
 * A room's tokens (token.h, room tokens) are signed with [auth]
 * token_secret, as candidate tokens are, and valid from scheduledAt -
 * [rooms] early_join_minutes to scheduledAt + durationMinutes + [rooms]
 * late_minutes.  The room's candidate session (kind live, think time 0, no
 * retakes, the room's questions) is written with the room in one
 * transaction.
 *
 * The router (api.c) has checked the path and the credentials.  Both run on
 * the database thread and wait for PostgreSQL (one transaction; or two reads
 * and, for a reviewer, the audit row).  Handlers of rest.h.
 */
#pragma once

#include "rest.h"

G_BEGIN_DECLS

/* POST /api/v1/rooms: the body is checked (api-input.h) before anything is
 * written; 400 bad_json, invalid_request (naming the field) or
 * duplicate_question_id with nothing stored; 409 conflict if the interview
 * already has a room that is not ended; 500 internal if the store fails. */
void ims_room_api_create_room(ImsApi *api, const ImsApiCall *call, ImsApiResponse *response);

/* GET /api/v1/rooms/{id}: 404 not_found for an id that is not a UUID, not
 * stored, or (call->reviewer set) a room of another company; a reviewer's
 * view is audited ("view_room").  connected comes from api->room_presence
 * (FALSE for everyone without it). */
void ims_room_api_get_room(ImsApi *api, const ImsApiCall *call, ImsApiResponse *response);

G_END_DECLS
