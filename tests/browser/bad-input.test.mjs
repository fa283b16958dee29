// bad-input.test.mjs: hostile and broken input on the signaling WebSocket and
// the REST API.  Each bad request gets its documented error (docs/signaling.md,
// server/http/api.c) and, afterwards, imsd still serves a well-behaved client.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { startImsd, withLogOnFailure, TOKEN_SECRET } from './lib/imsd.mjs';
import { openSignaling, rawUpgrade, SUBPROTOCOL } from './lib/signaling.mjs';
import { candidateToken, signToken } from './lib/token.mjs';

const REVIEW_SECRET = 'bad-input-review-secret-0123456789abcdef';

let imsd;
let sessionA;
let sessionB;
const clients = [];

async function client() {
  const c = await openSignaling(imsd.baseUrl);
  clients.push(c);
  return c;
}

/** Sends frame on a fresh connection and returns the error it earns. */
async function errorFor(frame, { joinFirst } = {}) {
  const c = await client();
  if (joinFirst) {
    c.send({ type: 'join', sessionId: joinFirst.sessionId, token: joinFirst.token });
    await c.next((m) => m.type === 'state', { what: 'state after join' });
  }
  c.send(frame);
  const err = await c.nextError();
  return { c, err };
}

/** The connection still answers ping with pong. */
async function assertStillOpen(c) {
  assert.equal(c.isOpen(), true, 'the connection stays open after this error');
  c.send({ type: 'ping' });
  await c.next((m) => m.type === 'pong', { what: 'pong' });
}

function assertErrorShape(err, code) {
  assert.equal(err.type, 'error');
  assert.equal(err.code, code, `expected ${code}, got ${JSON.stringify(err)}`);
  assert.equal(typeof err.message, 'string');
  assert.ok(err.message.length > 0, 'the error carries a sentence');
}

before(async () => {
  imsd = await startImsd({ name: 'bad-input', env: { IMSD_REVIEW_JWT_SECRET: REVIEW_SECRET } });
  const questions = [{ id: 'q1', text: 'Hello?', timeLimitSeconds: 30 }];
  sessionA = await imsd.createSession({ questions, thinkSeconds: 0 });
  sessionB = await imsd.createSession({ questions, thinkSeconds: 0 });
});

after(async () => {
  for (const c of clients) c.close();
  if (imsd) await imsd.shutdown();
});

const wsTest = (name, fn) => test(name, { timeout: 30000 }, () => withLogOnFailure(imsd, fn));

wsTest('a WebSocket without the subprotocol is refused', async () => {
  const none = await rawUpgrade(imsd.baseUrl, null);
  assert.equal(none.upgraded, false, `upgrade without a subprotocol must fail: ${JSON.stringify(none)}`);
  const wrong = await rawUpgrade(imsd.baseUrl, 'chat');
  assert.equal(wrong.upgraded, false, `upgrade with another subprotocol must fail: ${JSON.stringify(wrong)}`);
  const right = await rawUpgrade(imsd.baseUrl, SUBPROTOCOL);
  assert.equal(right.upgraded, true, `upgrade with ${SUBPROTOCOL} works: ${JSON.stringify(right)}`);
  assert.equal(right.protocol, SUBPROTOCOL);
});

wsTest('malformed JSON -> bad_json, connection stays open', async () => {
  for (const frame of ['{"type": "join",', 'not json at all', '[1,2,3]', '"just a string"']) {
    const { c, err } = await errorFor(frame);
    assertErrorShape(err, 'bad_json');
    await assertStillOpen(c);
  }
});

wsTest('unknown type -> unknown_type', async () => {
  const { c, err } = await errorFor({ type: 'dance', steps: 3 });
  assertErrorShape(err, 'unknown_type');
  await assertStillOpen(c);
});

wsTest('a message without a string type -> bad_message', async () => {
  const { c, err } = await errorFor({ type: 42 });
  assertErrorShape(err, 'bad_message');
  await assertStillOpen(c);
});

wsTest('an oversized message (> 65536 bytes) -> too_large and the connection is closed', async () => {
  const c = await client();
  const big = JSON.stringify({ type: 'offer', sdp: 'v=0\r\n' + 'a=x\r\n'.repeat(70000 / 5) });
  assert.ok(Buffer.byteLength(big) > 65536);
  c.send(big);
  const err = await c.nextError();
  assertErrorShape(err, 'too_large');
  await c.waitClosed();
});

wsTest('offer before join -> not_joined', async () => {
  const { c, err } = await errorFor({ type: 'offer', sdp: 'v=0\r\n' });
  assertErrorShape(err, 'not_joined');
  assert.equal(err.requestType, 'offer');
  c.send({ type: 'take.start' });
  assertErrorShape(await c.nextError(), 'not_joined');
  await assertStillOpen(c);
});

wsTest('garbage SDP after a valid join -> bad_sdp, session unchanged', async () => {
  const { c, err } = await errorFor({ type: 'offer', sdp: 'this is not SDP\r\nat all' }, { joinFirst: sessionA });
  assertErrorShape(err, 'bad_sdp');
  await assertStillOpen(c);
  // an SDP with no usable codec is refused the same way
  c.send({ type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 120\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:120 FOO/90000\r\na=sendonly\r\na=mid:0\r\n' });
  assertErrorShape(await c.nextError(), 'bad_sdp');
  // the session still answers with its state, still thinking on question 0, no takes
  c.send({ type: 'take.start' });
  assertErrorShape(await c.nextError(), 'media_not_ready');
  c.close();
});

wsTest('a second join on the same connection -> already_joined', async () => {
  const { c, err } = await errorFor({ type: 'join', sessionId: sessionA.sessionId, token: sessionA.token },
    { joinFirst: sessionA });
  assertErrorShape(err, 'already_joined');
  c.close();
});

wsTest('forged token (valid shape, wrong signature) -> bad_token', async () => {
  const forged = candidateToken('not-the-server-secret-0123456789abcdef', sessionA.sessionId);
  const { err } = await errorFor({ type: 'join', sessionId: sessionA.sessionId, token: forged });
  assertErrorShape(err, 'bad_token');
  // the real token with its signature swapped for another one
  const [h, p] = sessionA.token.split('.');
  const swapped = `${h}.${p}.${sessionB.token.split('.')[2]}`;
  assertErrorShape((await errorFor({ type: 'join', sessionId: sessionA.sessionId, token: swapped })).err, 'bad_token');
  // alg none
  const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${p}.`;
  assertErrorShape((await errorFor({ type: 'join', sessionId: sessionA.sessionId, token: none })).err, 'bad_token');
  // right secret, wrong audience
  const now = Math.floor(Date.now() / 1000);
  const wrongAud = signToken(TOKEN_SECRET, { sub: sessionA.sessionId, aud: 'someone.else', iat: now, exp: now + 600 });
  assertErrorShape((await errorFor({ type: 'join', sessionId: sessionA.sessionId, token: wrongAud })).err, 'bad_token');
});

wsTest('expired token -> token_expired', async () => {
  const expired = candidateToken(TOKEN_SECRET, sessionA.sessionId, -60);
  const { err } = await errorFor({ type: 'join', sessionId: sessionA.sessionId, token: expired });
  assertErrorShape(err, 'token_expired');
});

wsTest("another session's token -> token_wrong_session", async () => {
  const { err } = await errorFor({ type: 'join', sessionId: sessionA.sessionId, token: sessionB.token });
  assertErrorShape(err, 'token_wrong_session');
});

wsTest('a valid token for a session that does not exist -> session_not_found', async () => {
  const ghost = randomUUID();
  const { err } = await errorFor({ type: 'join', sessionId: ghost, token: candidateToken(TOKEN_SECRET, ghost) });
  assertErrorShape(err, 'session_not_found');
});

wsTest('after all of it a well-behaved client joins and imsd is healthy', async () => {
  const c = await client();
  c.send({ type: 'join', sessionId: sessionB.sessionId, token: sessionB.token });
  const state = await c.next((m) => m.type === 'state', { what: 'state after join' });
  assert.equal(state.sessionId, sessionB.sessionId);
  assert.equal(state.status, 'active');
  assert.equal(state.phase, 'thinking');
  assert.equal(state.questionIndex, 0);
  assert.deepEqual(state.takes, []);
  c.send({ type: 'ping' });
  await c.next((m) => m.type === 'pong', { what: 'pong' });
  const health = await fetch(`${imsd.baseUrl}/healthz`);
  assert.equal(health.status, 200);
  assert.equal(imsd.isAlive(), true, 'imsd is still running');
  process.kill(imsd.pid, 0); // throws if the process is gone
});

// ---- REST

const restTest = (name, fn) => test(name, { timeout: 20000 }, () => withLogOnFailure(imsd, fn));

function assertJsonError(res, status, code) {
  assert.equal(res.status, status, `HTTP ${res.status}: ${res.text}`);
  assert.match(res.headers.get('content-type') || '', /application\/json/);
  assert.ok(res.json, `the body is JSON: ${res.text}`);
  assert.equal(typeof res.json.code, 'string');
  assert.equal(typeof res.json.message, 'string');
  if (code) assert.equal(res.json.code, code);
}

const validBody = {
  interviewId: 'i-1', userId: 'u-1', questions: [{ id: 'q1', text: 'Hi', timeLimitSeconds: 30 }],
};

restTest('REST: POST without a service token -> 401 JSON', async () => {
  assertJsonError(await imsd.request('POST', '/api/v1/sessions', { body: validBody, token: null }), 401);
  assertJsonError(await imsd.request('POST', '/api/v1/sessions', { body: validBody, token: 'wrong-token' }), 401);
  assertJsonError(await imsd.request('GET', `/api/v1/sessions/${sessionA.sessionId}`, { token: null }), 401);
  // a candidate token is not a service token
  assertJsonError(await imsd.request('GET', `/api/v1/sessions/${sessionA.sessionId}`, { token: sessionA.token }), 401);
});

restTest('REST: bad JSON body -> 400 JSON', async () => {
  assertJsonError(await imsd.request('POST', '/api/v1/sessions', { rawBody: '{"interviewId": ' }), 400);
  assertJsonError(await imsd.request('POST', '/api/v1/sessions', { rawBody: '[1,2]' }), 400);
  assertJsonError(await imsd.request('POST', '/api/v1/sessions', { rawBody: '' }), 400);
});

restTest('REST: missing or invalid questions -> 400 JSON', async () => {
  const { questions, ...noQuestions } = validBody;
  assertJsonError(await imsd.request('POST', '/api/v1/sessions', { body: noQuestions }), 400);
  assertJsonError(await imsd.request('POST', '/api/v1/sessions', { body: { ...validBody, questions: [] } }), 400);
  assertJsonError(await imsd.request('POST', '/api/v1/sessions',
    { body: { ...validBody, questions: [{ id: 'q1', text: 'no limit' }] } }), 400);
  assertJsonError(await imsd.request('POST', '/api/v1/sessions',
    { body: { ...validBody, questions: [{ id: 'q1', text: 'Hi', timeLimitSeconds: 'soon' }] } }), 400);
  // the valid body is accepted (the 400s above are about the questions)
  const ok = await imsd.request('POST', '/api/v1/sessions', { body: validBody });
  assert.equal(ok.status, 201, ok.text);
});

restTest('REST: unknown or path-trick session ids -> 404 JSON', async () => {
  assertJsonError(await imsd.request('GET', `/api/v1/sessions/${randomUUID()}`), 404);
  assertJsonError(await imsd.request('GET', '/api/v1/sessions/..%2F..%2Fetc'), 404);
  assertJsonError(await imsd.request('GET', '/api/v1/sessions/..%2F..%2Fetc%2Fpasswd'), 404);
  assertJsonError(await imsd.request('GET', '/api/v1/sessions/not-a-uuid'), 404);
  const res = await imsd.request('GET', '/api/v1/sessions/%00');
  assert.ok([400, 404].includes(res.status), `NUL id: HTTP ${res.status}`);
  // still serving
  const again = await imsd.getSession(sessionA.sessionId);
  assert.equal(again.status, 200);
  assert.equal(again.json.sessionId, sessionA.sessionId);
  assert.equal(imsd.isAlive(), true);
});

// ---- REST input the HTTP layer and the router see (issue 8)

function reviewToken(claims) {
  const now = Math.floor(Date.now() / 1000);
  return signToken(REVIEW_SECRET, { iat: now, exp: now + 3600, ...claims });
}
const recruiter = () => reviewToken({ sub: 'recruiter@example.test', role: 'recruiter', companyId: 'company-a' });
const admin = () => reviewToken({ sub: 'admin@example.test', role: 'admin' });

/**
 * Sends text as is on a fresh TCP connection (fetch would normalize the path
 * or the body framing) and resolves with {status, headers, json, text, closed}
 * once the response is complete, or the connection closes.
 */
function rawHttp(baseUrl, text, { timeoutMs = 5000 } = {}) {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    let data = '';
    let done = false;
    const finish = (closed) => {
      if (done) return;
      const head = data.indexOf('\r\n\r\n');
      if (head < 0) {
        if (closed) { done = true; resolve({ status: 0, text: data, closed }); }
        return;
      }
      const lines = data.slice(0, head).split('\r\n');
      const headers = Object.fromEntries(lines.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      const body = data.slice(head + 4);
      const length = Number(headers['content-length']);
      if (!closed && !(length >= 0 && Buffer.byteLength(body) >= length)) return;
      done = true;
      let json = null;
      try { json = JSON.parse(body); } catch { /* not JSON */ }
      resolve({ status: Number(lines[0].split(' ')[1]), headers, text: body, json, closed });
      if (!closed) socket.destroy();
    };
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => { data += chunk; finish(false); });
    socket.on('close', () => finish(true));
    socket.on('error', (err) => { if (!done) { done = true; reject(err); } });
    socket.setTimeout(timeoutMs, () => { socket.destroy(); if (!done) { done = true; reject(new Error(`no answer to ${text.split('\r\n')[0]}: ${data}`)); } });
    socket.write(text);
  });
}

const rawGet = (urlPath, token) => rawHttp(imsd.baseUrl,
  `GET ${urlPath} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n\r\n`);

function assertRawError(res, status, code, what) {
  assert.equal(res.status, status, `${what}: HTTP ${res.status}: ${res.text}`);
  assert.ok(res.json, `${what}: JSON body: ${res.text}`);
  assert.equal(res.json.code, code, `${what}: ${res.text}`);
  assert.ok(typeof res.json.message === 'string' && res.json.message.length > 0, `${what}: message`);
}

restTest('REST: review paths with an empty id get a JSON error, never a crash', async () => {
  // these made imsd SIGSEGV with any valid recruiter token
  for (const token of [recruiter(), admin()]) {
    assertRawError(await rawGet('/api/v1/review/media/url', token), 404, 'not_found', 'media/url');
    const doubled = await rawGet('/api/v1/review/media//url', token);
    assert.ok([400, 404].includes(doubled.status), `media//url: HTTP ${doubled.status} ${doubled.text}`);
    assert.ok(doubled.json && doubled.json.code, `media//url: JSON error: ${doubled.text}`);
    const deleted = await rawHttp(imsd.baseUrl, `DELETE /api/v1/review/sessions/media HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Length: 0\r\n\r\n`);
    assertRawError(deleted, 405, 'method_not_allowed', 'DELETE sessions/media');
    assert.equal(imsd.isAlive(), true, 'imsd is still running');
  }
  // odd paths: lws folds "//", "/./" and "/../" itself; what reaches imsd is still checked
  assertRawError(await rawGet('/api/v1/review/sessions/%2525', admin()), 400, 'bad_path', 'an escaped %');
  assertRawError(await rawGet('/api/v1/review/sessions/a%20b', admin()), 400, 'bad_path', 'a space');
  assertRawError(await rawGet('/api/v1/sessions/x%09y', 'e2e-service-token-0123456789'), 400, 'bad_path', 'a tab');
  assertRawError(await rawGet(`/api/v1/review/sessions/${'a'.repeat(1100)}`, admin()), 400, 'bad_path', 'over-long');
  assertRawError(await rawGet('/api/v1/review/media/not-a-uuid/url', admin()), 404, 'not_found', 'not a UUID');
  const list = await imsd.request('GET', '/api/v1/review/sessions', { token: admin() });
  assert.equal(list.status, 200, list.text);
  assert.equal(imsd.isAlive(), true);
});

restTest('REST: a query string over 1 KB is refused, not cut off', async () => {
  const long = 'x'.repeat(1100);
  const res = await imsd.request('GET', `/api/v1/review/sessions?interviewId=${long}`, { token: admin() });
  assertJsonError(res, 400, 'query_too_long');
  // every parameter is decoded once: "%26" is part of the value, "%25" a percent sign
  const amp = await imsd.request('GET', '/api/v1/review/sessions?status=created%26limit%3D1', { token: admin() });
  assertJsonError(amp, 400, 'invalid_request');
  const percent = await imsd.request('GET', '/api/v1/review/sessions?interviewId=100%25', { token: admin() });
  assert.equal(percent.status, 200, percent.text);
  assert.deepEqual(percent.json.items, []);
  const many = await imsd.request('GET', `/api/v1/review/sessions?limit=2&offset=0&status=created&interviewId=${encodeURIComponent('a b&c')}`, { token: admin() });
  assert.equal(many.status, 200, many.text);
  assert.equal(many.json.limit, 2);
  assert.deepEqual(many.json.items, []);
});

restTest('REST: a chunked body gets 411 length_required', async () => {
  const body = JSON.stringify(validBody);
  const chunked = `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
  const res = await rawHttp(imsd.baseUrl, 'POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\n'
    + 'Authorization: Bearer e2e-service-token-0123456789\r\nContent-Type: application/json\r\n'
    + `Transfer-Encoding: chunked\r\n\r\n${chunked}`);
  assertRawError(res, 411, 'length_required', 'chunked POST');
  // the same body with a Content-Length is accepted
  const ok = await imsd.request('POST', '/api/v1/sessions', { body: validBody });
  assert.equal(ok.status, 201, ok.text);
});

restTest('REST: a body method with Content-Length: 0 is answered at once', async () => {
  // it was never answered: the request waited for a body completion lws does not send for 0 bytes
  const head = (method, urlPath) => `${method} ${urlPath} HTTP/1.1\r\nHost: x\r\n`
    + 'Authorization: Bearer e2e-service-token-0123456789\r\nContent-Length: 0\r\n\r\n';
  const post = await rawHttp(imsd.baseUrl, head('POST', '/api/v1/sessions'), { timeoutMs: 3000 });
  assertRawError(post, 400, 'bad_json', 'POST with no body');
  for (const method of ['PUT', 'PATCH']) {
    const res = await rawHttp(imsd.baseUrl, head(method, '/api/v1/sessions'), { timeoutMs: 3000 });
    assertRawError(res, 405, 'method_not_allowed', `${method} with no body`);
  }
  const ok = await imsd.request('POST', '/api/v1/sessions', { body: validBody });
  assert.equal(ok.status, 201, ok.text);
});

restTest('REST: ids with NUL or control characters, and duplicate question ids, are refused', async () => {
  const q = (id) => ({ id, text: 'Hi', timeLimitSeconds: 30 });
  const dup = await imsd.request('POST', '/api/v1/sessions', { body: { ...validBody, questions: [q('q1'), q('q2'), q('q1')] } });
  assertJsonError(dup, 400, 'duplicate_question_id');
  const bodies = [
    { ...validBody, questions: [q('q1\u0000x')] },
    { ...validBody, questions: [q('')] },
    { ...validBody, questions: [q('q\u0001')] },
    { ...validBody, questions: [q('q'.repeat(257))] },
    { ...validBody, interviewId: 'i\u0000x' },
    { ...validBody, userId: 'u\u0000' },
    { ...validBody, companyId: 'c\n' },
    { ...validBody, invitationId: '\u0000' },
  ];
  for (const body of bodies) {
    assertJsonError(await imsd.request('POST', '/api/v1/sessions', { body }), 400, 'invalid_request');
  }
});

test('the web client files: a symlink out of the web root is 404', { timeout: 30000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imsd-webroot-'));
  const root = path.join(dir, 'root');
  const outside = path.join(dir, 'outside');
  fs.mkdirSync(path.join(root, 'candidate'), { recursive: true });
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(root, 'index.html'), '<p>root</p>');
  fs.writeFileSync(path.join(root, 'page.html'), '<p>inside</p>');
  fs.writeFileSync(path.join(root, 'candidate', 'index.html'), '<p>candidate</p>');
  fs.writeFileSync(path.join(outside, 'secret.html'), '<p>secret</p>');
  fs.symlinkSync(path.join(outside, 'secret.html'), path.join(root, 'leak.html'));
  fs.symlinkSync(outside, path.join(root, 'linked'));
  fs.symlinkSync(path.join(outside, 'secret.html'), path.join(root, 'candidate', 'leak.html'));
  fs.symlinkSync(path.join(root, 'page.html'), path.join(root, 'inner.html')); // inside, still a symlink
  const files = await startImsd({ name: 'bad-input-files', env: { IMSD_SERVER_WEB_ROOT: root } });
  try {
    await withLogOnFailure(files, async () => {
      const get = async (p) => { const r = await fetch(`${files.baseUrl}${p}`); return { status: r.status, text: await r.text() }; };
      assert.equal((await get('/page.html')).status, 200);
      assert.equal((await get('/page.html')).text, '<p>inside</p>');
      assert.equal((await get('/')).text, '<p>root</p>');
      assert.equal((await get('/candidate/')).text, '<p>candidate</p>');
      for (const p of ['/leak.html', '/linked/secret.html', '/candidate/leak.html', '/inner.html']) {
        const res = await get(p);
        assert.equal(res.status, 404, `${p}: HTTP ${res.status}`);
        assert.ok(!res.text.includes('secret') && !res.text.includes('inside'), `${p}: ${res.text}`);
      }
      // an absent file is 404 too (it was handed to the API and came back 401)
      assert.equal((await get('/missing.html')).status, 404);
      assert.equal((await get('/candidate/missing.js')).status, 404);
      // paths under the API's mounts still reach the API (it asks for a token first)
      assert.equal((await get('/api/v1/nothing')).status, 401);
      assert.equal(files.isAlive(), true);
    });
  } finally {
    await files.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
