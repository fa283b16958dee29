// rooms-api.test.mjs: the live rooms' REST API (docs/live-rooms.md, "REST";
// docs/openapi.yaml) against a real imsd and PostgreSQL, no browser.
//
//   1. POST /api/v1/rooms: 201 with one participant per person (candidate
//      first), joinUrl <public_url>/room/?room=<id>&token=<token>, each token
//      an HS256 JWT under [auth] token_secret with aud imsd.room, sub, pid,
//      role, and nbf/exp = scheduledAt - early_join_minutes /
//      scheduledAt + durationMinutes + late_minutes ([rooms] set to 10 and 30
//      here); the rows: rooms, room_participants, the live candidate session
//      and its questions
//   2. GET /api/v1/rooms/{id}: the room as created, with the service token, a
//      recruiter of the room's company (audited view_room) and an admin
//   3. validation: each bad body is 400 naming the field, nothing stored
//   4. auth: no token, a wrong token, a candidate token, a room token, a
//      recruiter's token on POST: 401; another company's recruiter 404, an
//      unknown role 403; unknown and malformed ids 404
//   5. 409 conflict for a second room of an interview whose room is not
//      ended; once it ended, a new room of the interview is created
//   6. the review API's list and detail say kind live and the roomId (one_way
//      and null for a one-way session)
//   7. imsd restarted with the default [rooms] keys: the window is 15 / 60 min
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';

import { startImsd, withLogOnFailure, dropDatabase, TOKEN_SECRET } from './lib/imsd.mjs';
import { query } from './lib/db.mjs';
import { signToken, candidateToken } from './lib/token.mjs';
import { stopStack } from './lib/stack.mjs';

const REVIEW_SECRET = 'rooms-api-test-review-secret-0123456789abcdef';
const EARLY = 10;
const LATE = 30;
const MINUTE = 60 * 1000;
const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';

let imsd;
let room;     // the 201 body of the first room
let body;     // the body it was created from

/** A reviewer JWT (docs/review-api.md) of role and companyId (may be undefined), valid for an hour;
 *  its sub is <role>@<companyId or "all">. */
function reviewer(role, companyId) {
  const iat = Math.floor(Date.now() / 1000);
  return signToken(REVIEW_SECRET, { sub: `${role}@${companyId || 'all'}`, role, companyId, iat, exp: iat + 3600 });
}

/** A room body scheduled minutesAhead from now (whole seconds). */
function roomBody(overrides = {}, minutesAhead = 60) {
  const scheduledAt = new Date(Math.floor((Date.now() + minutesAhead * MINUTE) / 1000) * 1000).toISOString();
  return {
    interviewId: `rooms-api-${crypto.randomUUID()}`,
    type: 'technical',
    scheduledAt,
    durationMinutes: 45,
    companyId: 'company-a',
    candidate: { userId: 'u-cand', email: 'cand@example.test' },
    interviewers: [{ userId: 'u-int', name: 'Ada' }, { userId: 'u-int2', name: 'Grace' }],
    questions: [{ id: 'q1', text: 'Design a rate limiter.', timeLimitSeconds: 600 },
      { id: 'q2', text: 'And make it distributed.' }],
    settings: { observersVisible: false, allowScreenShare: true, recording: 'both' },
    ...overrides,
  };
}

/** The claims of a JWT whose HS256 signature under secret the test checks itself. */
function decodeVerified(token, secret) {
  const [head, payload, signature] = token.split('.');
  const expected = crypto.createHmac('sha256', secret).update(`${head}.${payload}`).digest('base64url');
  assert.equal(signature, expected, 'the token is signed with [auth] token_secret');
  assert.deepEqual(JSON.parse(Buffer.from(head, 'base64url')), { alg: 'HS256', typ: 'JWT' });
  return JSON.parse(Buffer.from(payload, 'base64url'));
}

function psql(sql) {
  execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', imsd.databaseUrl, '-c', sql], { stdio: 'pipe' });
}

async function count(table) {
  return (await query(imsd, `SELECT count(*)::int AS n FROM ${table}`))[0].n;
}

/** Asserts the window of every token of a 201 body for early / late minutes. */
function assertTokens(created, request, early, late) {
  const scheduled = Date.parse(request.scheduledAt) / 1000;
  const nbf = scheduled - early * 60;
  const exp = scheduled + (request.durationMinutes + late) * 60;
  assert.equal(created.validFrom, new Date(nbf * 1000).toISOString());
  assert.equal(created.validUntil, new Date(exp * 1000).toISOString());
  for (const p of created.participants) {
    const claims = decodeVerified(p.token, TOKEN_SECRET);
    assert.deepEqual(claims, { aud: 'imsd.room', sub: created.roomId, pid: p.participantId, role: p.role, nbf, exp },
      `the claims of ${p.role}'s token`);
  }
}

before(async () => {
  dropDatabase('imsd_e2e_roomsapi'); // row counts see only this run
  imsd = await startImsd({
    name: 'roomsapi',
    env: { IMSD_REVIEW_JWT_SECRET: REVIEW_SECRET, IMSD_ROOMS_EARLY_JOIN_MINUTES: String(EARLY),
      IMSD_ROOMS_LATE_MINUTES: String(LATE) },
  });
});

after(() => stopStack({ imsd }));

test('POST /api/v1/rooms: 201, a join link and a room token per participant, the rows', async () => {
  await withLogOnFailure(imsd, async () => {
    body = roomBody();
    const res = await imsd.request('POST', '/api/v1/rooms', { body });
    assert.equal(res.status, 201, res.text);
    room = res.json;
    assert.equal(room.state, 'scheduled');
    assert.deepEqual(room.participants.map((p) => [p.role, p.userId, p.name]),
      [['candidate', 'u-cand', null], ['interviewer', 'u-int', 'Ada'], ['interviewer', 'u-int2', 'Grace']]);
    for (const p of room.participants) {
      assert.equal(p.joinUrl, `${imsd.baseUrl}/room/?room=${room.roomId}&token=${p.token}`);
      const url = new URL(p.joinUrl);
      assert.equal(url.searchParams.get('token'), p.token, 'the token survives the URL as it is');
    }
    assert.equal(new Set(room.participants.map((p) => p.participantId)).size, 3);
    assertTokens(room, body, EARLY, LATE);

    const [row] = await query(imsd, `SELECT interview_id, session_id, type, company_id, duration_minutes,
      observers_visible, allow_screen_share, record_interviewers, state, composite_status,
      (extract(epoch FROM scheduled_at) * 1000)::bigint AS scheduled_ms FROM rooms WHERE id = '${room.roomId}'`);
    assert.deepEqual(row, { interview_id: body.interviewId, session_id: room.sessionId, type: 'technical',
      company_id: 'company-a', duration_minutes: 45, observers_visible: false, allow_screen_share: true,
      record_interviewers: true, state: 'scheduled', composite_status: 'pending', scheduled_ms: Date.parse(body.scheduledAt) });
    const people = await query(imsd, `SELECT id, role, user_id, name, email FROM room_participants
      WHERE room_id = '${room.roomId}' ORDER BY position`);
    assert.deepEqual(people.map((p) => [p.id, p.role, p.email]), room.participants.map((p, i) =>
      [p.participantId, p.role, i === 0 ? 'cand@example.test' : null]));
    const [session] = await query(imsd, `SELECT kind, user_id, candidate_email, company_id, profile, think_seconds,
      max_retakes, state FROM sessions WHERE id = '${room.sessionId}'`);
    assert.deepEqual(session, { kind: 'live', user_id: 'u-cand', candidate_email: 'cand@example.test',
      company_id: 'company-a', profile: 'technical', think_seconds: 0, max_retakes: 0, state: 'created' });
    const questions = await query(imsd, `SELECT idx, question_id, text, time_limit_seconds FROM questions
      WHERE session_id = '${room.sessionId}' ORDER BY idx`);
    assert.deepEqual(questions, [
      { idx: 0, question_id: 'q1', text: 'Design a rate limiter.', time_limit_seconds: 600 },
      { idx: 1, question_id: 'q2', text: 'And make it distributed.', time_limit_seconds: 0 }]);

    // settings default: observers hidden, screen share allowed, both recorded; "candidate" records only them
    const minimal = roomBody({ settings: { recording: 'candidate' }, questions: undefined, type: 'system_design' });
    delete minimal.questions;
    const other = await imsd.request('POST', '/api/v1/rooms', { body: minimal });
    assert.equal(other.status, 201, other.text);
    const [defaults] = await query(imsd, `SELECT r.observers_visible, r.allow_screen_share, r.record_interviewers,
      s.profile, (SELECT count(*)::int FROM questions q WHERE q.session_id = s.id) AS questions
      FROM rooms r JOIN sessions s ON s.id = r.session_id WHERE r.id = '${other.json.roomId}'`);
    assert.deepEqual(defaults, { observers_visible: false, allow_screen_share: true, record_interviewers: false,
      profile: 'default', questions: 0 }, 'system_design has no profile of its own: default');
  });
});

test('GET /api/v1/rooms/{id}: the room, for the service, its company\'s recruiter (audited) and an admin', async () => {
  assert.ok(room, 'the create test must have passed first');
  await withLogOnFailure(imsd, async () => {
    const path = `/api/v1/rooms/${room.roomId}`;
    const res = await imsd.request('GET', path);
    assert.equal(res.status, 200, res.text);
    const got = res.json;
    assert.equal(got.roomId, room.roomId);
    assert.equal(got.interviewId, body.interviewId);
    assert.equal(got.sessionId, room.sessionId);
    assert.equal(got.type, 'technical');
    assert.equal(got.companyId, 'company-a');
    assert.equal(got.state, 'scheduled');
    assert.equal(got.scheduledAt, body.scheduledAt);
    assert.equal(got.durationMinutes, 45);
    assert.equal(got.validFrom, room.validFrom);
    assert.equal(got.validUntil, room.validUntil);
    assert.equal(got.startedAt, null);
    assert.equal(got.endedAt, null);
    assert.deepEqual(got.settings, { observersVisible: false, allowScreenShare: true, recording: 'both' });
    assert.deepEqual(got.participants, room.participants.map((p) =>
      ({ participantId: p.participantId, role: p.role, userId: p.userId, name: p.name, connected: false })));
    assert.deepEqual(got.segments, []);
    assert.deepEqual(got.composite, { status: 'pending', key: null, size: null, chapters: [] });

    for (const token of [reviewer('recruiter', 'company-a'), reviewer('admin')]) {
      const seen = await imsd.request('GET', path, { token });
      assert.equal(seen.status, 200, seen.text);
      assert.deepEqual(seen.json, got);
    }
    const audit = await query(imsd, `SELECT actor, role, company_id, action, target FROM audit_log
      WHERE action = 'view_room' ORDER BY id`);
    assert.deepEqual(audit, [
      { actor: 'recruiter@company-a', role: 'recruiter', company_id: 'company-a', action: 'view_room', target: room.roomId },
      { actor: 'admin@all', role: 'admin', company_id: null, action: 'view_room', target: room.roomId }],
    'a reviewer\'s views are audited, the service\'s are not');
  });
});

test('POST /api/v1/rooms: a bad body is 400 naming the field, and stores nothing', async () => {
  await withLogOnFailure(imsd, async () => {
    const rooms = await count('rooms');
    const sessions = await count('sessions');
    const invalid = [
      [{ interviewId: undefined }, '"interviewId" is required'],
      [{ interviewId: '' }, '"interviewId"'],
      [{ type: 'casual' }, '"type" must be technical, behavioral or system_design'],
      [{ scheduledAt: 'tomorrow' }, '"scheduledAt" must be an ISO 8601 time'],
      [{ durationMinutes: 0 }, '"durationMinutes" must be an integer from 1 to 1440'],
      [{ durationMinutes: 45.5 }, '"durationMinutes"'],
      [{ companyId: undefined }, '"companyId" is required'],
      [{ candidate: undefined }, '"candidate" is required'],
      [{ candidate: 'u-cand' }, '"candidate" must be an object'],
      [{ candidate: { email: 'x@example.test' } }, 'candidate: "userId" is required'],
      [{ interviewers: [] }, '"interviewers" must be an array of 1 to 10 elements'],
      [{ interviewers: [{ userId: 'a' }, { name: 'no id' }] }, 'interviewers[1]: "userId" is required'],
      [{ interviewers: ['u-int'] }, 'interviewers[0] must be an object'],
      [{ questions: [{ id: 'q1' }] }, 'questions[0]: "text" is required'],
      [{ questions: [{ id: 'q1', text: 'T', timeLimitSeconds: -1 }] }, 'questions[0]: "timeLimitSeconds"'],
      [{ settings: { recording: 'nobody' } }, 'settings: "recording" must be both or candidate'],
      [{ settings: { observersVisible: 'yes' } }, 'settings: "observersVisible" must be true or false'],
      [{ settings: { allowScreenShare: 1 } }, 'settings: "allowScreenShare" must be true or false'],
      [{ settings: 'all' }, '"settings" must be an object'],
    ];
    for (const [over, sentence] of invalid) {
      const res = await imsd.request('POST', '/api/v1/rooms', { body: roomBody(over) });
      assert.equal(res.status, 400, `${JSON.stringify(over)}: ${res.text}`);
      assert.equal(res.json.code, 'invalid_request', res.text);
      assert.ok(res.json.message.includes(sentence), `${JSON.stringify(over)}: "${res.json.message}" names ${sentence}`);
    }
    // over before it could be joined: scheduled 2 h ago for 45 min, late_minutes 30
    const past = await imsd.request('POST', '/api/v1/rooms', { body: roomBody({}, -120) });
    assert.equal(past.status, 400, past.text);
    assert.match(past.json.message, /"scheduledAt"/);
    const duplicate = await imsd.request('POST', '/api/v1/rooms',
      { body: roomBody({ questions: [{ id: 'q1', text: 'A' }, { id: 'q1', text: 'B' }] }) });
    assert.equal(duplicate.status, 400, duplicate.text);
    assert.equal(duplicate.json.code, 'duplicate_question_id');
    assert.match(duplicate.json.message, /questions\[1\]/);
    for (const rawBody of ['not json', '[]', '']) {
      const res = await imsd.request('POST', '/api/v1/rooms', { rawBody });
      assert.equal(res.status, 400, res.text);
      assert.equal(res.json.code, 'bad_json', res.text);
    }
    assert.equal(await count('rooms'), rooms, 'no room stored');
    assert.equal(await count('sessions'), sessions, 'no session stored');
  });
});

test('auth: who may create and read rooms', async () => {
  assert.ok(room, 'the create test must have passed first');
  await withLogOnFailure(imsd, async () => {
    const path = `/api/v1/rooms/${room.roomId}`;
    const candidateSession = candidateToken(TOKEN_SECRET, room.sessionId);
    const roomToken = room.participants[1].token;
    for (const token of [null, 'wrong-token', candidateSession, roomToken, reviewer('recruiter', 'company-a')]) {
      const post = await imsd.request('POST', '/api/v1/rooms', { body: roomBody(), token });
      assert.equal(post.status, 401, `POST with ${token}: ${post.text}`);
      assert.equal(post.json.code, 'unauthorized');
    }
    for (const token of [null, 'wrong-token', candidateSession, roomToken]) {
      const get = await imsd.request('GET', path, { token });
      assert.equal(get.status, 401, `GET with ${token}: ${get.text}`);
      assert.equal(get.json.code, 'unauthorized');
    }
    const foreign = await imsd.request('GET', path, { token: reviewer('recruiter', 'company-b') });
    assert.equal(foreign.status, 404, foreign.text);
    assert.equal(foreign.json.code, 'not_found');
    assert.ok(!foreign.text.includes(room.roomId), 'nothing about the room');
    const role = await imsd.request('GET', path, { token: reviewer('hacker', 'company-a') });
    assert.equal(role.status, 403, role.text);
    assert.equal(role.json.code, 'forbidden');
    for (const id of [NO_SUCH_ID, 'not-a-uuid']) {
      const res = await imsd.request('GET', `/api/v1/rooms/${id}`);
      assert.equal(res.status, 404, res.text);
      assert.equal(res.json.code, 'not_found');
    }
    const audit = await query(imsd, `SELECT actor FROM audit_log WHERE action = 'view_room' AND actor = 'recruiter@company-b'`);
    assert.deepEqual(audit, [], 'a refused view is not a view');
  });
});

test('409 conflict for a second room of an interview whose room has not ended', async () => {
  assert.ok(room, 'the create test must have passed first');
  await withLogOnFailure(imsd, async () => {
    const again = roomBody({ interviewId: body.interviewId });
    const res = await imsd.request('POST', '/api/v1/rooms', { body: again });
    assert.equal(res.status, 409, res.text);
    assert.equal(res.json.code, 'conflict');
    assert.equal((await query(imsd, `SELECT id FROM rooms WHERE interview_id = '${body.interviewId}'`)).length, 1);
    psql(`UPDATE rooms SET state = 'live', started_at = now() WHERE id = '${room.roomId}'`);
    const live = await imsd.request('POST', '/api/v1/rooms', { body: again });
    assert.equal(live.status, 409, `a live room is not ended either: ${live.text}`);
    psql(`UPDATE rooms SET state = 'ended', ended_at = now() WHERE id = '${room.roomId}'`);
    const after = await imsd.request('POST', '/api/v1/rooms', { body: again });
    assert.equal(after.status, 201, after.text);
    assert.notEqual(after.json.roomId, room.roomId);
    const ended = await imsd.request('GET', `/api/v1/rooms/${room.roomId}`);
    assert.equal(ended.json.state, 'ended');
    assert.notEqual(ended.json.endedAt, null);
  });
});

test('the review API shows kind and roomId', async () => {
  assert.ok(room, 'the create test must have passed first');
  await withLogOnFailure(imsd, async () => {
    const oneWay = await imsd.createSession({ companyId: 'company-a' });
    const list = await imsd.request('GET', '/api/v1/review/sessions?limit=100', { token: reviewer('recruiter', 'company-a') });
    assert.equal(list.status, 200, list.text);
    const byId = new Map(list.json.items.map((i) => [i.sessionId, i]));
    assert.equal(byId.get(room.sessionId).kind, 'live');
    assert.equal(byId.get(room.sessionId).roomId, room.roomId);
    assert.equal(byId.get(oneWay.sessionId).kind, 'one_way');
    assert.equal(byId.get(oneWay.sessionId).roomId, null);
    const live = await imsd.request('GET', `/api/v1/review/sessions/${room.sessionId}`, { token: reviewer('recruiter', 'company-a') });
    assert.equal(live.status, 200, live.text);
    assert.equal(live.json.kind, 'live');
    assert.equal(live.json.roomId, room.roomId);
    assert.deepEqual(live.json.questions.map((q) => q.id), ['q1', 'q2']);
    const detail = await imsd.request('GET', `/api/v1/review/sessions/${oneWay.sessionId}`, { token: reviewer('recruiter', 'company-a') });
    assert.equal(detail.json.kind, 'one_way');
    assert.equal(detail.json.roomId, null);
  });
});

test('with the default [rooms] keys the tokens are valid from 15 min before to 60 min after', async () => {
  await withLogOnFailure(imsd, async () => {
    const configured = imsd.extraEnv;
    imsd.extraEnv = { IMSD_REVIEW_JWT_SECRET: REVIEW_SECRET };
    try {
      await imsd.restart();
      const request = roomBody({ durationMinutes: 30 });
      const res = await imsd.request('POST', '/api/v1/rooms', { body: request });
      assert.equal(res.status, 201, res.text);
      assertTokens(res.json, request, 15, 60);
    } finally {
      imsd.extraEnv = configured;
    }
  });
});
