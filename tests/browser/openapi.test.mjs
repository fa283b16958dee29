// openapi.test.mjs: docs/openapi.yaml is a valid OpenAPI document, names
// every route imsd serves, and every real answer of imsd matches it.
//
// One private PostgreSQL (so the test can stop it), one s3rver, one imsd
// (review secret, small body limit), one Chromium that records one take.
//   1. the document validates (swagger-parser); its paths and methods are
//      exactly the route tables of server/http/ (read from the source)
//   2. service API and health: success and error answers (bad JSON, invalid
//      and duplicate members, no token, chunked, too large, bad path, long
//      query, unknown path, other method); the bodies imsd accepts validate
//      against the request schema and the ones it refuses as invalid do not
//   3. a take recorded in Chromium: GET /api/v1/sessions/{id} and the review
//      detail while it records and once it is processed
//   4. review API: list, detail, media URL, delete; 400, 401, 403, 404
//   4a. the candidate's playback of their take: 202 while it records, 200
//      once processed, 400, 401, 403, 404, 409 (media rows hidden and
//      processing marked failed for one call, then restored)
//   4b. rooms API: create (full and minimal bodies valid against the request
//      schema), get with the service token and a recruiter, 400, 401, 403,
//      404, 409, 411, 413; a live session in the review list and detail
//   5. imsd restarted without S3: media URLs are null, a fresh URL is 503
//      storage_unavailable, /readyz says storage not_configured
//   6. PostgreSQL stopped: /readyz 503 and 503 database_unavailable
//   7. every documented status of every operation was seen and validated,
//      but 500 internal (no request can cause it)
// Every answer goes through contract.check(): a status the spec does not
// list, a member it does not name or a wrong type fails the test.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { startImsd, withLogOnFailure, waitFor, repoRoot, SERVICE_TOKEN, TOKEN_SECRET } from './lib/imsd.mjs';
import { query, execute } from './lib/db.mjs';
import { launchBrowser, waitForState, clickButton } from './lib/browser.mjs';
import { recordTake, stopTake } from './lib/candidate.mjs';
import { startS3rver, readProfiles, expectedKinds } from './lib/s3.mjs';
import { startPostgres } from './lib/postgres.mjs';
import { signToken, candidateToken } from './lib/token.mjs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { loadOpenApi, serverRoutes, templateShape } from './lib/openapi.mjs';
import { stopStack, onCandidatePage } from './lib/stack.mjs';

const REVIEW_SECRET = 'openapi-test-review-secret-0123456789abcdef';
const MAX_BODY_BYTES = 16384;
const REVIEW = '/api/v1/review';
const OVERVIEW = '/api/v1/candidate/session';

/** Runs one SQL command on imsd's database (tests only build it from UUIDs). */
const psqlCommand = (sql) => promisify(execFile)('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', imsd.databaseUrl, '-c', sql]);
const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';
/** The candidate's playback path of take n of questionId in sessionId. */
const playbackPath = (sessionId, questionId, n) =>
  `/api/v1/candidate/sessions/${sessionId}/questions/${questionId}/takes/${n}/playback`;
const PROFILE = 'default';
const KINDS = expectedKinds(readProfiles(path.join(repoRoot, 'etc/profiles.ini'))[PROFILE]);

let pg;
let s3;
let imsd;
let browser;
let contract;
let recorded; // {sessionId, token, takeId, fileId}
let other;    // a session of company-b, never joined
let roomId;   // a room of company-a

function reviewToken(claims) {
  const now = Math.floor(Date.now() / 1000);
  return signToken(REVIEW_SECRET, { iat: now, exp: now + 3600, ...claims });
}
const recruiterA = () => reviewToken({ sub: 'recruiter-a@example.test', role: 'recruiter', companyId: 'company-a' });
const recruiterB = () => reviewToken({ sub: 'recruiter-b@example.test', role: 'recruiter', companyId: 'company-b' });
const admin = () => reviewToken({ sub: 'admin@example.test', role: 'admin' });
const unknownRole = () => reviewToken({ sub: 'mallory', role: 'hacker', companyId: 'company-a' });

/** imsd.request(), then the answer checked against the spec; resolves with it. */
async function call(method, urlPath, { status, as, ...options } = {}) {
  const res = await imsd.request(method, urlPath, options);
  if (status !== undefined) assert.equal(res.status, status, `${method} ${urlPath}: ${res.text}`);
  contract.check(method, urlPath, res, { as });
  return res;
}

/** A request node's fetch cannot send: a chunked body, or a raw path. */
function rawRequest(method, urlPath, { headers = {}, chunks = [] } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: imsd.port, method, path: urlPath, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        let json = null;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode, headers: new Headers(res.headers), text, json });
      });
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

function roomBody(overrides = {}) {
  return {
    interviewId: `openapi-room-${Date.now()}-${Math.random()}`,
    type: 'technical',
    scheduledAt: new Date(Date.now() + 3600000).toISOString(),
    durationMinutes: 45,
    companyId: 'company-a',
    candidate: { userId: 'openapi-cand' },
    interviewers: [{ userId: 'openapi-int', name: 'Ada' }],
    ...overrides,
  };
}

function sessionBody(overrides = {}) {
  return {
    interviewId: `openapi-${Date.now()}`,
    userId: 'openapi-user',
    questions: [{ id: 'q1', text: 'What does a contract promise?', timeLimitSeconds: 30 }],
    ...overrides,
  };
}

before(async () => {
  contract = await loadOpenApi();
  pg = await startPostgres({ name: 'openapi' });
  s3 = await startS3rver({ name: 'openapi' });
  const env = { ...s3.imsdEnv({ keyPrefix: 'openapi' }), IMSD_REVIEW_JWT_SECRET: REVIEW_SECRET,
    IMSD_SERVER_MAX_BODY_BYTES: String(MAX_BODY_BYTES), IMSD_PROCESSING_RETRY_MAX_SECONDS: '2' };
  imsd = await startImsd({ name: 'openapi', databaseUrl: pg.url, env });
  browser = await launchBrowser();
});

after(() => stopStack({ browser, imsd, s3, pg }));

test('docs/openapi.yaml is valid and its operations are exactly the routes of server/http/', async () => {
  // loadOpenApi() validated it and compiled every response schema
  const routes = serverRoutes();
  assert.ok(routes.length >= 8, `route tables found in server/http/: ${JSON.stringify(routes)}`);
  const served = routes.map((r) => `${r.method} ${r.template}`).sort();
  const documented = contract.operations().map((o) => `${o.method} ${templateShape(o.template)}`).sort();
  assert.deepEqual(documented, served, 'every route imsd serves is documented, and nothing else');
});

test('health and the service API: success and error answers match the spec', { timeout: 60000 }, async () => {
  await withLogOnFailure(imsd, async () => {
    await call('GET', '/healthz', { token: null, status: 200 });
    await call('GET', `/healthz?${'a'.repeat(1100)}`, { token: null, status: 400 });
    await call('GET', '/healthz/', { token: null, status: 404, as: 'NotFound' });
    await call('POST', '/healthz', { token: null, status: 405, as: 'MethodNotAllowed' });
    const ready = await call('GET', '/readyz', { token: null, status: 200 });
    assert.equal(ready.json.checks.storage, 'ok', ready.text);
    await call('GET', `/readyz?${'a'.repeat(1100)}`, { token: null, status: 400 });
    await call('GET', '/metrics', { token: null, status: 200 });
    await call('GET', `/metrics?${'a'.repeat(1100)}`, { token: null, status: 400 });

    // accepted bodies: each is valid against the request schema
    const full = sessionBody({
      invitationId: 'inv-1', candidateEmail: 'c@example.test', companyId: 'company-x', profile: PROFILE,
      settings: { thinkSeconds: 0, maxRetakes: 0 },
      questions: [{ id: 'q1', text: 'One?', timeLimitSeconds: 5 }, { id: 'q2', text: 'Two?', timeLimitSeconds: 60 }],
    });
    const nulls = sessionBody({ invitationId: null, candidateEmail: null, companyId: null, profile: null,
      settings: { thinkSeconds: null, maxRetakes: null } });
    for (const body of [sessionBody(), full, nulls, { ...sessionBody(), unknownMember: 1 }]) {
      assert.deepEqual(contract.requestProblems(body), [], `the spec accepts ${JSON.stringify(body)}`);
      const created = await call('POST', '/api/v1/sessions', { body, status: 201 });
      const got = await call('GET', `/api/v1/sessions/${created.json.sessionId}`, { status: 200 });
      assert.equal(got.json.status, 'created');
      assert.deepEqual(got.json.takes, []);
    }

    // refused as invalid_request: the spec refuses them too
    const q = (over) => [{ id: 'q1', text: 'T?', timeLimitSeconds: 30, ...over }];
    const invalid = {
      'no questions': sessionBody({ questions: [] }),
      'no userId': { interviewId: 'i', questions: q({}) },
      'empty interviewId': sessionBody({ interviewId: '' }),
      'interviewId of 257 bytes': sessionBody({ interviewId: 'i'.repeat(257) }),
      'userId not a string': sessionBody({ userId: 42 }),
      'time limit under 5 s': sessionBody({ questions: q({ timeLimitSeconds: 2 }) }),
      'time limit not an integer': sessionBody({ questions: q({ timeLimitSeconds: 'long' }) }),
      'question without text': sessionBody({ questions: [{ id: 'q1', timeLimitSeconds: 30 }] }),
      'thinkSeconds over 600': sessionBody({ settings: { thinkSeconds: 601 } }),
      'settings not an object': sessionBody({ settings: 3 }),
      '51 questions': sessionBody({ questions: Array.from({ length: 51 }, (_, i) => q({ id: `q${i}` })[0]) }),
    };
    for (const [what, body] of Object.entries(invalid)) {
      assert.notDeepEqual(contract.requestProblems(body), [], `the spec refuses a body with ${what}`);
      const res = await call('POST', '/api/v1/sessions', { body, status: 400 });
      assert.equal(res.json.code, 'invalid_request', `${what}: ${res.text}`);
    }
    // refusals the request schema cannot express: unknown profile, control character, \u0000
    for (const rawBody of [JSON.stringify(sessionBody({ profile: 'no-such-profile' })),
      JSON.stringify(sessionBody({ userId: 'a\u0007b' })), JSON.stringify(sessionBody()).replace('openapi-user', 'a\\u0000b')]) {
      const res = await call('POST', '/api/v1/sessions', { rawBody, status: 400 });
      assert.equal(res.json.code, 'invalid_request', res.text);
    }
    const duplicate = await call('POST', '/api/v1/sessions',
      { body: sessionBody({ questions: [...q({}), ...q({ text: 'Again?' })] }), status: 400 });
    assert.equal(duplicate.json.code, 'duplicate_question_id');
    for (const rawBody of ['not json', '[1, 2]', `${'['.repeat(65)}${']'.repeat(65)}`, '   ']) {
      const res = await call('POST', '/api/v1/sessions', { rawBody, status: 400 });
      assert.equal(res.json.code, 'bad_json', `${rawBody.slice(0, 20)}: ${res.text}`);
    }
    await call('POST', '/api/v1/sessions', { body: sessionBody(), token: null, status: 401 });
    await call('POST', '/api/v1/sessions', { body: sessionBody(), token: 'wrong-token', status: 401 });
    await call('POST', '/api/v1/sessions', { rawBody: JSON.stringify(sessionBody({ pad: 'x'.repeat(MAX_BODY_BYTES) })), status: 413 });
    const chunked = await rawRequest('POST', '/api/v1/sessions', {
      headers: { Authorization: `Bearer ${SERVICE_TOKEN}`, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      chunks: [JSON.stringify(sessionBody())],
    });
    assert.equal(chunked.status, 411, chunked.text);
    contract.check('POST', '/api/v1/sessions', chunked);
    await call('POST', `/api/v1/sessions?${'a'.repeat(1100)}`, { body: sessionBody(), status: 400 });
    await call('PUT', '/api/v1/sessions', { body: sessionBody(), status: 405, as: 'MethodNotAllowed' });

    await call('GET', `/api/v1/sessions/${NO_SUCH_ID}`, { status: 404 });
    await call('GET', '/api/v1/sessions/not-a-uuid', { status: 404 });
    await call('GET', `/api/v1/sessions/${NO_SUCH_ID}`, { token: null, status: 401 });
    // a malformed id segment (a space once decoded) is the operation's 400 bad_path;
    // a malformed path of no operation's shape is the component BadPath
    const badPath = await call('GET', '/api/v1/sessions/a%20b', { status: 400 });
    assert.equal(badPath.json.code, 'bad_path');
    await call('GET', `/api/v1/sessions/${NO_SUCH_ID}/`, { status: 400, as: 'BadPath' });
    await call('GET', '/api/v1/nothing-here', { status: 404, as: 'NotFound' });
    await call('GET', '/api/v1/nothing-here', { token: null, status: 401, as: 'Unauthorized' });
  });
});

test('a take recorded in Chromium: the session while it records and once it is processed', { timeout: 150000 }, async () => {
  await withLogOnFailure(imsd, async () => {
    const questions = [{ id: 'oq1', text: 'Which answer matches the spec?', timeLimitSeconds: 30 },
      { id: 'oq2', text: 'Never answered.', timeLimitSeconds: 30 }];
    const a = await imsd.createSession({ questions, thinkSeconds: 30, profile: PROFILE, companyId: 'company-a' });
    other = await imsd.createSession({ questions, thinkSeconds: 30, profile: PROFILE, companyId: 'company-b' });
    await onCandidatePage(browser, a.joinUrl, async (page) => {
      await waitForState(page, 's => s.questionIndex === 0 && s.mediaReady', { what: 'media ready' });
      await recordTake(page, 0, 1);
      await waitForState(page, 's => s.takeWriting', { what: 'the take is being written' });
      // while it records: stopReason, stoppedAt, completeness null; processing pending; no media
      const live = await call('GET', `/api/v1/sessions/${a.sessionId}`, { status: 200 });
      assert.equal(live.json.status, 'active', live.text);
      assert.equal(live.json.takes[0].status, 'recording', live.text);
      const liveReview = await call('GET', `${REVIEW}/sessions/${a.sessionId}`, { token: recruiterA(), status: 200 });
      const liveTake = liveReview.json.questions[0].takes[0];
      assert.equal(liveTake.completeness, null, liveReview.text);
      assert.deepEqual(liveTake.media, []);
      const preparing = await call('GET', playbackPath(a.sessionId, 'oq1', 1), { token: a.token, status: 202 });
      assert.equal(preparing.json.status, 'preparing', preparing.text);
      await sleep(3000);
      await stopTake(page, 0, 1);
      await clickButton(page, 'next');
      await waitForState(page, 's => s.questionIndex === 1', { what: 'the second question' });
    });
    const files = await waitFor(async () => {
      const rows = await query(imsd, `SELECT id, kind, take_id FROM media_files WHERE session_id = '${a.sessionId}' AND status = 'stored'`);
      return rows.length === KINDS.length ? rows : null;
    }, { timeoutMs: 120000, intervalMs: 500, what: `${KINDS.length} media_files rows of the take` });
    recorded = { ...a, takeId: files[0].take_id, fileId: files.find((f) => f.kind === 'video/mp4').id };

    const session = await call('GET', `/api/v1/sessions/${a.sessionId}`, { status: 200 });
    assert.equal(session.json.takes[0].status, 'completed', session.text);
    const review = await waitFor(async () => {
      const res = await call('GET', `${REVIEW}/sessions/${a.sessionId}`, { token: recruiterA(), status: 200 });
      const take = res.json.questions[0].takes[0];
      return take.processing.status !== 'pending' && take.media.length === KINDS.length ? res : null;
    }, { what: 'the take processed, with its media' });
    const take = review.json.questions[0].takes[0];
    assert.equal(typeof take.completeness, 'object', review.text);
    assert.notEqual(take.completeness, null, `the receive path counted the take: ${review.text}`);
    assert.ok(take.media.every((m) => typeof m.url === 'string'), review.text);
  });
});

test("the candidate's playback of their take and its errors match the spec", { timeout: 60000 }, async () => {
  assert.ok(recorded, 'the recording test must have passed first');
  await withLogOnFailure(imsd, async () => {
    const own = playbackPath(recorded.sessionId, 'oq1', 1);
    const ready = await call('GET', own, { token: recorded.token, status: 200 });
    assert.equal(ready.json.kind, 'video/mp4', `processed: the MP4 rendition: ${ready.text}`);
    assert.equal((await fetch(ready.json.url)).status, 200, 'the signed URL opens the object');

    await call('GET', playbackPath(recorded.sessionId, 'oq1', 'abc'), { token: recorded.token, status: 400 });
    await call('GET', playbackPath(recorded.sessionId, 'oq1', 5), { token: recorded.token, status: 404 });
    await call('GET', playbackPath(recorded.sessionId, 'oq2', 1), { token: recorded.token, status: 404 });
    const wrong = await call('GET', own, { token: other.token, status: 403 });
    assert.equal(wrong.json.code, 'wrong_session', wrong.text);
    await call('GET', own, { token: null, status: 401 });
    const forged = await call('GET', own, { token: candidateToken('a-forged-secret-0123456789abcdef', recorded.sessionId), status: 401 });
    assert.equal(forged.json.code, 'bad_token', forged.text);
    const expired = await call('GET', own, { token: candidateToken(TOKEN_SECRET, recorded.sessionId, -60), status: 401 });
    assert.equal(expired.json.code, 'token_expired', expired.text);

    // failed processing with nothing stored: hide the rows for one call, then restore them
    const where = `session_id = '${recorded.sessionId}'`;
    await execute(imsd, `UPDATE media_files SET status = 'deleted' WHERE ${where} AND status = 'stored'`);
    await execute(imsd, `UPDATE takes SET processing_status = 'failed', processing_error = 'openapi' WHERE ${where}`);
    try {
      const failed = await call('GET', own, { token: recorded.token, status: 409 });
      assert.equal(failed.json.code, 'processing_failed', failed.text);
    } finally {
      await execute(imsd, `UPDATE media_files SET status = 'stored' WHERE ${where} AND status = 'deleted'`);
      await execute(imsd, `UPDATE takes SET processing_status = 'processed', processing_error = NULL WHERE ${where}`);
    }
  });
});

test('review API: list, detail, media URL and delete, and their errors, match the spec', { timeout: 60000 }, async () => {
  assert.ok(recorded, 'the recording test must have passed first');
  await withLogOnFailure(imsd, async () => {
    const list = `${REVIEW}/sessions`;
    const detail = `${REVIEW}/sessions/${recorded.sessionId}`;
    const media = `${REVIEW}/media/${recorded.fileId}/url`;
    const erase = `${REVIEW}/sessions/${other.sessionId}/media`;

    const page = await call('GET', list, { token: admin(), status: 200 });
    assert.ok(page.json.total >= 2, page.text);
    await call('GET', `${list}?status=active&limit=1&offset=0&interviewId=x&from=2020-01-01T00:00:00Z&to=2999-01-01T00:00:00Z`,
      { token: recruiterA(), status: 200 });
    for (const bad of ['limit=0', 'limit=101', 'offset=-1', 'status=bogus', 'from=yesterday', 'interviewId=']) {
      const res = await call('GET', `${list}?${bad}`, { token: admin(), status: 400 });
      assert.equal(res.json.code, 'invalid_request', `${bad}: ${res.text}`);
    }
    await call('GET', `${list}?${'a'.repeat(1100)}`, { token: admin(), status: 400 });
    await call('GET', media, { token: recruiterA(), status: 200 });

    for (const p of [list, detail, media]) {
      await call('GET', p, { token: null, status: 401 });
      await call('GET', p, { token: SERVICE_TOKEN, status: 401 });
      await call('GET', p, { token: unknownRole(), status: 403 });
    }
    await call('DELETE', erase, { token: null, status: 401 });
    await call('DELETE', erase, { token: unknownRole(), status: 403 });

    await call('GET', detail, { token: recruiterB(), status: 404 });
    await call('GET', `${REVIEW}/sessions/${NO_SUCH_ID}`, { token: admin(), status: 404 });
    await call('GET', `${REVIEW}/media/${NO_SUCH_ID}/url`, { token: admin(), status: 404 });
    await call('GET', media, { token: recruiterB(), status: 404 });
    await call('DELETE', `${REVIEW}/sessions/${recorded.sessionId}/media`, { token: recruiterB(), status: 404 });
    await call('DELETE', `${REVIEW}/sessions/${NO_SUCH_ID}/media`, { token: admin(), status: 404 });
    for (const [method, p] of [['GET', `${REVIEW}/sessions/a%20b`], ['GET', `${REVIEW}/media/a%20b/url`],
      ['DELETE', `${REVIEW}/sessions/a%20b/media`]]) {
      const res = await call(method, p, { token: null, status: 400 });
      assert.equal(res.json.code, 'bad_path', res.text);
    }
    await call('POST', detail, { token: admin(), status: 405, as: 'MethodNotAllowed' });
    await call('GET', `${REVIEW}/nothing`, { token: admin(), status: 404, as: 'NotFound' });

    const deleting = await call('DELETE', erase, { token: admin(), status: 202 });
    assert.equal(deleting.json.deleting, 0, `B has no media: ${deleting.text}`);
  });
});

test('rooms API: create and get, and their errors, match the spec', { timeout: 60000 }, async () => {
  await withLogOnFailure(imsd, async () => {
    const schema = contract.api.paths['/api/v1/rooms'].post.requestBody.content['application/json'].schema;
    const requestValid = contract.validator(schema);
    const full = roomBody({
      candidate: { userId: 'openapi-cand', email: 'c@example.test', name: 'Cand' },
      interviewers: [{ userId: 'i1', name: 'Ada', email: 'a@example.test' }, { userId: 'i2' }],
      questions: [{ id: 'q1', text: 'One?', timeLimitSeconds: 600 }, { id: 'q2', text: 'Two?' }],
      settings: { observersVisible: true, allowScreenShare: false, recording: 'candidate' },
    });
    const nulls = roomBody({ questions: null, settings: { observersVisible: null, allowScreenShare: null, recording: null } });
    for (const body of [roomBody(), full, nulls]) {
      assert.ok(requestValid(body), `the spec accepts ${JSON.stringify(body)}: ${JSON.stringify(requestValid.errors)}`);
      const created = await call('POST', '/api/v1/rooms', { body, status: 201 });
      const got = await call('GET', `/api/v1/rooms/${created.json.roomId}`, { status: 200 });
      assert.equal(got.json.state, 'scheduled');
      roomId = roomId || created.json.roomId;
    }
    const invalid = {
      'no interviewers': roomBody({ interviewers: [] }),
      'no candidate': roomBody({ candidate: undefined }),
      'an unknown type': roomBody({ type: 'casual' }),
      'durationMinutes 0': roomBody({ durationMinutes: 0 }),
      'a string boolean': roomBody({ settings: { observersVisible: 'yes' } }),
      'a question without text': roomBody({ questions: [{ id: 'q1' }] }),
    };
    for (const [what, body] of Object.entries(invalid)) {
      assert.ok(!requestValid(body), `the spec refuses a body with ${what}`);
      const res = await call('POST', '/api/v1/rooms', { body, status: 400 });
      assert.equal(res.json.code, 'invalid_request', `${what}: ${res.text}`);
    }
    const twice = roomBody({ questions: [{ id: 'q1', text: 'A' }, { id: 'q1', text: 'B' }] });
    assert.equal((await call('POST', '/api/v1/rooms', { body: twice, status: 400 })).json.code, 'duplicate_question_id');
    await call('POST', '/api/v1/rooms', { rawBody: 'not json', status: 400 });
    const first = roomBody();
    await call('POST', '/api/v1/rooms', { body: first, status: 201 });
    const conflict = await call('POST', '/api/v1/rooms', { body: { ...first }, status: 409 });
    assert.equal(conflict.json.code, 'conflict');
    await call('POST', '/api/v1/rooms', { body: roomBody(), token: null, status: 401 });
    await call('POST', '/api/v1/rooms', { rawBody: JSON.stringify(roomBody({ pad: 'x'.repeat(MAX_BODY_BYTES) })), status: 413 });
    const chunked = await rawRequest('POST', '/api/v1/rooms', {
      headers: { Authorization: `Bearer ${SERVICE_TOKEN}`, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      chunks: [JSON.stringify(roomBody())],
    });
    assert.equal(chunked.status, 411, chunked.text);
    contract.check('POST', '/api/v1/rooms', chunked);

    const room = `/api/v1/rooms/${roomId}`;
    await call('GET', room, { token: recruiterA(), status: 200 });
    await call('GET', room, { token: admin(), status: 200 });
    await call('GET', room, { token: null, status: 401 });
    await call('GET', room, { token: unknownRole(), status: 403 });
    await call('GET', room, { token: recruiterB(), status: 404 });
    await call('GET', `/api/v1/rooms/${NO_SUCH_ID}`, { status: 404 });
    const badPath = await call('GET', '/api/v1/rooms/a%20b', { token: null, status: 400 });
    assert.equal(badPath.json.code, 'bad_path');
    await call('PUT', room, { body: roomBody(), status: 405, as: 'MethodNotAllowed' });

    // the room's candidate session in the review API: kind live, its roomId
    const { sessionId } = (await call('GET', room, { status: 200 })).json;
    const list = await call('GET', `${REVIEW}/sessions?limit=100`, { token: recruiterA(), status: 200 });
    const item = list.json.items.find((i) => i.sessionId === sessionId);
    assert.deepEqual([item.kind, item.roomId], ['live', roomId], list.text);
    const detail = await call('GET', `${REVIEW}/sessions/${sessionId}`, { token: recruiterA(), status: 200 });
    assert.deepEqual([detail.json.kind, detail.json.roomId], ['live', roomId], detail.text);
  });
});

test('ratings API: put, list, delete, and their errors, match the spec', async () => {
  await withLogOnFailure(imsd, async () => {
    const detail = await call('GET', `${REVIEW}/sessions/${recorded.sessionId}`, { token: recruiterA(), status: 200 });
    const takeId = detail.json.questions[0].takes[0].id;
    const rating = `${REVIEW}/takes/${takeId}/rating`;
    const ratings = `${REVIEW}/sessions/${recorded.sessionId}/ratings`;
    await call('PUT', rating, { token: recruiterA(), body: { rating: 4, note: 'clear' }, status: 200 });
    await call('GET', ratings, { token: recruiterA(), status: 200 });
    await call('GET', `${REVIEW}/sessions/${recorded.sessionId}`, { token: recruiterA(), status: 200 });
    await call('PUT', rating, { token: recruiterA(), body: { rating: 9 }, status: 400 });
    await call('PUT', rating, { token: null, body: { rating: 3 }, status: 401 });
    await call('PUT', rating, { token: admin(), body: { rating: 3 }, status: 403 });
    await call('PUT', rating, { token: recruiterB(), body: { rating: 3 }, status: 404 });
    await call('GET', ratings, { token: null, status: 401 });
    await call('GET', ratings, { token: unknownRole(), status: 403 });
    await call('GET', ratings, { token: recruiterB(), status: 404 });
    await call('DELETE', rating, { token: recruiterA(), status: 200 });
    await call('DELETE', rating, { token: recruiterA(), status: 404 });
    await call('DELETE', rating, { token: null, status: 401 });
    await call('DELETE', rating, { token: admin(), status: 403 });
  });
});

test('imsd without S3: media URLs are null, a fresh URL is 503 storage_unavailable', { timeout: 60000 }, async () => {
  assert.ok(recorded, 'the recording test must have passed first');
  await withLogOnFailure(imsd, async () => {
    const withS3 = imsd.extraEnv;
    imsd.extraEnv = Object.fromEntries(Object.entries(withS3).filter(([k]) => !k.startsWith('IMSD_STORAGE_')));
    try {
      await imsd.restart();
      const ready = await call('GET', '/readyz', { token: null, status: 200 });
      assert.equal(ready.json.checks.storage, 'not_configured', ready.text);
      const review = await call('GET', `${REVIEW}/sessions/${recorded.sessionId}`, { token: admin(), status: 200 });
      const files = review.json.questions[0].takes[0].media;
      assert.equal(files.length, KINDS.length, review.text);
      assert.ok(files.every((m) => m.url === null && m.urlExpiresAt === null), review.text);
      const res = await call('GET', `${REVIEW}/media/${recorded.fileId}/url`, { token: admin(), status: 503 });
      assert.equal(res.json.code, 'storage_unavailable', res.text);
      const playback = await call('GET', playbackPath(recorded.sessionId, 'oq1', 1), { token: recorded.token, status: 503 });
      assert.equal(playback.json.code, 'storage_unavailable', playback.text);
    } finally {
      imsd.extraEnv = withS3;
      await imsd.restart();
    }
  });
});

test('PostgreSQL stopped: /readyz is 503 and every API call 503 database_unavailable', { timeout: 60000 }, async () => {
  assert.ok(recorded, 'the recording test must have passed first');
  await withLogOnFailure(imsd, async () => {
    pg.stop();
    try {
      // the database thread learns that PostgreSQL is away from a statement: ask until it has
      await waitFor(async () => {
        const res = await call('GET', `/api/v1/sessions/${recorded.sessionId}`);
        return res.status === 503;
      }, { timeoutMs: 20000, what: 'a REST read answered 503' });
      const ready = await call('GET', '/readyz', { token: null, status: 503 });
      assert.equal(ready.json.status, 'not_ready');
      assert.equal(ready.json.checks.database, 'unreachable', ready.text);
      const calls = [
        ['POST', '/api/v1/sessions', { body: sessionBody() }],
        ['GET', `/api/v1/sessions/${recorded.sessionId}`, {}],
        ['GET', `${REVIEW}/sessions`, { token: admin() }],
        ['GET', `${REVIEW}/sessions/${recorded.sessionId}`, { token: admin() }],
        ['GET', `${REVIEW}/media/${recorded.fileId}/url`, { token: admin() }],
        ['DELETE', `${REVIEW}/sessions/${recorded.sessionId}/media`, { token: admin() }],
        ['PUT', `${REVIEW}/takes/${recorded.takeId}/rating`, { token: recruiterA(), body: { rating: 3 } }],
        ['DELETE', `${REVIEW}/takes/${recorded.takeId}/rating`, { token: recruiterA() }],
        ['GET', `${REVIEW}/sessions/${recorded.sessionId}/ratings`, { token: admin() }],
        ['POST', '/api/v1/rooms', { body: roomBody() }],
        ['GET', `/api/v1/rooms/${roomId}`, {}],
        ['GET', OVERVIEW, { token: candidateToken(TOKEN_SECRET, recorded.sessionId) }],
        ['GET', playbackPath(recorded.sessionId, 'oq1', 1), { token: recorded.token }],
      ];
      for (const [method, p, options] of calls) {
        const res = await call(method, p, { ...options, status: 503 });
        assert.equal(res.json.code, 'database_unavailable', `${method} ${p}: ${res.text}`);
      }
    } finally {
      pg.start();
    }
    await waitFor(async () => (await imsd.readyz()).httpStatus === 200, { timeoutMs: 30000, what: '/readyz 200 again' });
  });
});

test("the candidate's overview and its refusals match the spec", { timeout: 60000 }, async () => {
  await withLogOnFailure(imsd, async () => {
    const created = await call('POST', '/api/v1/sessions', {
      status: 201,
      body: sessionBody({ title: 'Engineer', companyName: 'Acme', practice: { text: 'Warm up?', timeLimitSeconds: 20 } }),
    });
    const overview = await call('GET', OVERVIEW, { token: created.json.token, status: 200 });
    assert.equal(overview.json.practice.timeLimitSeconds, 20);
    const plain = await call('POST', '/api/v1/sessions', { body: sessionBody(), status: 201 });
    assert.equal((await call('GET', OVERVIEW, { token: plain.json.token, status: 200 })).json.practice, null);
    for (const [token, status, code] of [
      [null, 401, 'token_missing'],
      ['not.a.token', 401, 'bad_token'],
      [candidateToken(TOKEN_SECRET, plain.json.sessionId, -60), 401, 'token_expired'],
      [candidateToken(TOKEN_SECRET, '6f1c0b3e-7a0d-4a52-9d3c-0c1f7a2b9e11'), 404, 'session_not_found'],
    ]) {
      const res = await call('GET', OVERVIEW, { token, status });
      assert.equal(res.json.code, code, res.text);
    }
    const now = Math.floor(Date.now() / 1000);
    const early = signToken(TOKEN_SECRET, { sub: plain.json.sessionId, aud: 'imsd.candidate', iat: now, nbf: now + 3600, exp: now + 7200 });
    assert.equal((await call('GET', OVERVIEW, { token: early, status: 401 })).json.code, 'token_not_yet_valid');
    await psqlCommand(`UPDATE sessions SET state = 'completed' WHERE id = '${plain.json.sessionId}'`);
    assert.equal((await call('GET', OVERVIEW, { token: plain.json.token, status: 410 })).json.code, 'interview_completed');
  });
});

test('every documented status of every operation was answered and checked (but 500)', () => {
  const missing = contract.unchecked().filter((key) => !key.endsWith(' 500'));
  assert.deepEqual(missing, [], 'documented answers no test provoked');
});
