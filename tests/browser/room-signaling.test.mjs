// room-signaling.test.mjs: a live room's signaling (docs/live-rooms.md,
// "Signaling") against a real imsd and PostgreSQL, with WebSocket clients in
// node and no media: joins with each role, the authorization of every
// message and token, the contents of room.state, and end -> the room ended
// in PostgreSQL with its segments and its events in the outbox.
//
// Rooms are made with POST /api/v1/rooms; the tokens a test needs beside
// the room's (expired, not yet valid, of a stranger) are signed here with
// the server's token secret.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';

import { startImsd, withLogOnFailure, waitFor, TOKEN_SECRET } from './lib/imsd.mjs';
import { openSignaling } from './lib/signaling.mjs';
import { query } from './lib/db.mjs';
import { signToken } from './lib/token.mjs';
const REVIEW_SECRET = 'room-signaling-review-secret-0123456789abcdef';
const now = () => Math.floor(Date.now() / 1000);

let imsd;
const clients = [];

before(async () => {
  imsd = await startImsd({ name: 'room_signaling', env: { IMSD_REVIEW_JWT_SECRET: REVIEW_SECRET } });
});

after(async () => {
  for (const client of clients) client.ws.terminate();
  if (imsd) await imsd.shutdown();
});

function roomToken(roomId, participantId, role, { nbf = now() - 60, exp = now() + 3600 } = {}) {
  return signToken(TOKEN_SECRET, { sub: roomId, pid: participantId, role, aud: 'imsd.room', iat: now(), nbf, exp });
}

function reviewerToken(companyId, sub = 'recruiter@example.test') {
  return signToken(REVIEW_SECRET, { sub, role: 'recruiter', companyId, iat: now(), exp: now() + 3600 });
}


/** A scheduled room of one candidate and one interviewer with two questions:
 *  {roomId, sessionId, candidate: {participantId, token}, interviewer: {...}}. */
async function createRoom({ observersVisible = false, allowScreenShare = false, companyId = 'acme' } = {}) {
  const interviewId = `iv-${crypto.randomUUID()}`;
  const questions = [{ id: 'q1', text: 'Tell me about yourself', timeLimitSeconds: 600 },
    { id: 'q2', text: 'Design a cache', timeLimitSeconds: 600 }];
  const body = {
    interviewId, type: 'technical', scheduledAt: new Date().toISOString(), durationMinutes: 45, companyId,
    candidate: { userId: 'u-cand', email: 'c@example.com' }, interviewers: [{ userId: 'u-int', name: 'Ada' }],
    questions, settings: { observersVisible, allowScreenShare, recording: 'both' },
  };
  const res = await imsd.request('POST', '/api/v1/rooms', { body });
  assert.equal(res.status, 201, `POST /api/v1/rooms: ${res.status} ${res.text}`);
  const byRole = (role) => res.json.participants.find((p) => p.role === role);
  return { roomId: res.json.roomId, sessionId: res.json.sessionId, candidate: byRole('candidate'), interviewer: byRole('interviewer') };
}

async function connect() {
  const client = await openSignaling(imsd.baseUrl);
  clients.push(client);
  return client;
}

/** A client joined with token: its room.joined. */
async function join(roomId, token) {
  const client = await connect();
  client.send({ type: 'room.join', roomId, token });
  const joined = await client.next((m) => m.type === 'room.joined' || m.type === 'error', { what: 'room.joined' });
  assert.equal(joined.type, 'room.joined', JSON.stringify(joined));
  return { client, joined };
}

/** The error code a room.join with token gets. */
async function refusedJoin(roomId, token) {
  const client = await connect();
  client.send({ type: 'room.join', roomId, token });
  const error = await client.nextError();
  assert.equal(error.requestType, 'room.join');
  return error.code;
}

const nextState = (client, pred = () => true) =>
  client.next((m) => m.type === 'room.state' && pred(m), { what: 'room.state' });

test('join with each role; live once candidate and interviewer are in; observers hidden from the candidate', async () => {
  const room = await createRoom();
  await withLogOnFailure(imsd, async () => {
    const cand = await join(room.roomId, room.candidate.token);
    assert.equal(cand.joined.role, 'candidate');
    assert.equal(cand.joined.participantId, room.candidate.participantId);
    assert.equal(cand.joined.room.state, 'waiting');
    assert.equal(cand.joined.room.segment, null);
    assert.deepEqual(cand.joined.room.questions.map((q) => q.id), ['q1', 'q2']);
    assert.deepEqual(cand.joined.room.settings, { observersVisible: false, allowScreenShare: false, recording: 'both' });

    const obs = await join(room.roomId, reviewerToken('acme'));
    assert.equal(obs.joined.role, 'observer');
    assert.equal(obs.joined.room.state, 'waiting', 'an observer does not make the room live');

    const int = await join(room.roomId, room.interviewer.token);
    assert.equal(int.joined.role, 'interviewer');
    assert.equal(int.joined.room.state, 'live');
    assert.equal(int.joined.room.segment.index, 0);
    assert.equal(int.joined.room.segment.questionIndex, null);
    const roles = int.joined.room.participants.map((p) => p.role).sort();
    assert.deepEqual(roles, ['candidate', 'interviewer', 'observer'], 'the interviewer sees the observer');
    assert.ok(int.joined.room.participants.every((p) => p.connected));

    const candidateView = await nextState(cand.client, (m) => m.state === 'live');
    assert.deepEqual(candidateView.participants.map((p) => p.role).sort(), ['candidate', 'interviewer'],
      'the candidate does not see the observer');
    const rows = await waitFor(async () => {
      const r = await query(imsd, `SELECT state, started_at FROM rooms WHERE id = '${room.roomId}'`);
      return r[0]?.state === 'live' && r;
    }, { what: 'the room live in PostgreSQL' });
    assert.ok(rows[0].started_at);
    const sessions = await query(imsd, `SELECT state FROM sessions WHERE id = '${room.sessionId}'`);
    assert.equal(sessions[0].state, 'active');
    // REST's connected is the room registry's presence
    let res = await imsd.request('GET', `/api/v1/rooms/${room.roomId}`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json.participants.map((p) => [p.role, p.connected]).sort(), [['candidate', true], ['interviewer', true]]);
    cand.client.ws.close();
    await cand.client.waitClosed();
    await waitFor(async () => {
      res = await imsd.request('GET', `/api/v1/rooms/${room.roomId}`);
      return res.json.participants.find((p) => p.role === 'candidate').connected === false;
    }, { what: 'the candidate no longer connected in GET /api/v1/rooms/{id}' });
  });
});

test('authorization: candidate cannot mark or end, observer cannot publish, screen share refused', async () => {
  const room = await createRoom();
  await withLogOnFailure(imsd, async () => {
    const cand = await join(room.roomId, room.candidate.token);
    await join(room.roomId, room.interviewer.token);
    const obs = await join(room.roomId, reviewerToken('acme'));
    cand.client.send({ type: 'mark', questionIndex: 0 });
    let error = await cand.client.nextError();
    assert.deepEqual([error.code, error.requestType], ['forbidden', 'mark']);
    cand.client.send({ type: 'end' });
    error = await cand.client.nextError();
    assert.deepEqual([error.code, error.requestType], ['forbidden', 'end']);
    cand.client.send({ type: 'publish', stream: 'screen', sdp: 'v=0\r\n' });
    error = await cand.client.nextError();
    assert.deepEqual([error.code, error.requestType], ['forbidden', 'publish']);
    obs.client.send({ type: 'publish', stream: 'camera', sdp: 'v=0\r\n' });
    error = await obs.client.nextError();
    assert.deepEqual([error.code, error.requestType], ['forbidden', 'publish']);
    obs.client.send({ type: 'subscribe', participantId: room.candidate.participantId, stream: 'camera', sdp: 'v=0\r\n' });
    error = await obs.client.nextError();
    assert.equal(error.code, 'not_published');
    const [row] = await query(imsd, `SELECT state FROM rooms WHERE id = '${room.roomId}'`);
    assert.equal(row.state, 'live', 'the candidate could not end it');
  });
});

test('tokens: another company, expired, not yet valid, another room, garbage, unknown room', async () => {
  const room = await createRoom();
  const other = await createRoom();
  await withLogOnFailure(imsd, async () => {
    const { participantId } = room.candidate;
    assert.equal(await refusedJoin(room.roomId, reviewerToken('globex')), 'wrong_company');
    assert.equal(await refusedJoin(room.roomId, roomToken(room.roomId, participantId, 'candidate',
      { nbf: now() - 7200, exp: now() - 60 })), 'token_expired');
    assert.equal(await refusedJoin(room.roomId, roomToken(room.roomId, participantId, 'candidate',
      { nbf: now() + 3600, exp: now() + 7200 })), 'token_not_yet_valid');
    assert.equal(await refusedJoin(room.roomId, other.candidate.token), 'token_wrong_session');
    assert.equal(await refusedJoin(room.roomId, 'not-a-token'), 'bad_token');
    const missing = crypto.randomUUID();
    assert.equal(await refusedJoin(missing, roomToken(missing, participantId, 'candidate')), 'room_not_found');
    assert.equal(await refusedJoin(room.roomId, roomToken(room.roomId, crypto.randomUUID(), 'interviewer')), 'bad_token',
      'a participant the room does not have');
  });
});

test('rejoin replaces the old connection; the room stays live', async () => {
  const room = await createRoom();
  await withLogOnFailure(imsd, async () => {
    const first = await join(room.roomId, room.candidate.token);
    const int = await join(room.roomId, room.interviewer.token);
    await join(room.roomId, room.candidate.token);
    const replaced = await first.client.nextError();
    assert.equal(replaced.code, 'replaced');
    await first.client.waitClosed();
    const view = await nextState(int.client, (m) => m.participants.some((p) => p.role === 'candidate' && p.connected));
    assert.equal(view.state, 'live');
  });
});

test('mark and end: segments, the room ended in PostgreSQL, its events in the outbox once', async () => {
  const room = await createRoom();
  await withLogOnFailure(imsd, async () => {
    const cand = await join(room.roomId, room.candidate.token);
    const int = await join(room.roomId, room.interviewer.token);
    int.client.send({ type: 'mark', questionIndex: 1 });
    let view = await nextState(cand.client, (m) => m.segment?.index === 1);
    assert.equal(view.segment.questionIndex, 1);
    assert.equal(view.segment.text, 'Design a cache');
    int.client.send({ type: 'mark', text: 'What about sharding?' });
    view = await nextState(cand.client, (m) => m.segment?.index === 2);
    assert.equal(view.segment.questionIndex, 2);
    assert.equal(view.questions.length, 3);
    assert.equal(view.questions[2].text, 'What about sharding?');
    int.client.send({ type: 'mark', questionIndex: 9 });
    assert.equal((await int.client.nextError()).code, 'bad_message');
    int.client.send({ type: 'end' });
    view = await nextState(cand.client, (m) => m.state === 'ended');
    assert.equal(view.segment, null);
    int.client.send({ type: 'end' });
    assert.equal((await int.client.nextError()).code, 'room_ended');

    const [row] = await waitFor(async () => {
      const r = await query(imsd, `SELECT state, started_at, ended_at FROM rooms WHERE id = '${room.roomId}'`);
      return r[0]?.state === 'ended' && r;
    }, { what: 'the room ended in PostgreSQL' });
    assert.ok(new Date(row.ended_at) >= new Date(row.started_at));
    const segments = await query(imsd, `SELECT idx, question_idx, ended_at FROM room_segments
      WHERE room_id = '${room.roomId}' ORDER BY idx`);
    assert.deepEqual(segments.map((s) => [s.idx, s.question_idx]), [[0, null], [1, 1], [2, 2]]);
    assert.ok(segments.every((s) => s.ended_at), 'every segment closed');
    const [session] = await query(imsd, `SELECT state, completed_at FROM sessions WHERE id = '${room.sessionId}'`);
    assert.equal(session.state, 'completed');
    const questions = await query(imsd, `SELECT text FROM questions WHERE session_id = '${room.sessionId}' ORDER BY idx`);
    assert.equal(questions.length, 3);

    const events = await query(imsd, `SELECT event_type, value FROM outbox
      WHERE strpos(value, '${room.roomId}') > 0 OR strpos(value, '${room.sessionId}') > 0 ORDER BY id`);
    // no media were sent: no question segment has a response to announce
    assert.deepEqual(events.map((e) => e.event_type), ['interview.started', 'interview.completed']);
    const started = JSON.parse(events[0].value).payload;
    assert.equal(started.kind, 'live');
    assert.equal(started.roomId, room.roomId);
    assert.equal(started.sessionId, room.sessionId);
    const completed = JSON.parse(events[1].value).payload;
    assert.equal(completed.kind, 'live');
    assert.equal(completed.responsesCount, 0);
    assert.ok(completed.durationSeconds >= 0);

    assert.equal(await refusedJoin(room.roomId, room.candidate.token), 'room_ended');
  });
});
