// signaling-limits.test.mjs: what one hostile WebSocket client can cost imsd (signaling/peer.c).
//
// - A client that sends pings and never reads the pongs: imsd's outgoing queue for it is bounded
//   (frames and bytes), so imsd's memory stays bounded, and past the bound the connection is dropped
//   with a log line.
// - A 10 MB binary message (lws delivers it in many fragments) earns exactly one error, and the
//   connection keeps working.
// - Deep JSON nesting in a frame (max_message_bytes raised, as the config allows) is refused, not
//   parsed (json-glib would overflow its stack), and a token not valid yet is token_not_yet_valid.
// Each check is followed by a well-behaved request on the same imsd.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

import { startImsd, withLogOnFailure, waitFor, TOKEN_SECRET } from './lib/imsd.mjs';
import { openSignaling } from './lib/signaling.mjs';
import { signToken } from './lib/token.mjs';

let imsd;
let session;
const clients = [];

/** imsd's resident set size in MiB (Linux /proc). */
function rssMiB() {
  const status = fs.readFileSync(`/proc/${imsd.pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)[1]) / 1024;
}

async function client() {
  const c = await openSignaling(imsd.baseUrl);
  clients.push(c);
  return c;
}

async function assertServing() {
  const c = await client();
  c.send({ type: 'ping' });
  await c.next((m) => m.type === 'pong', { what: 'pong from a fresh connection' });
  c.close();
  assert.equal(imsd.isAlive(), true, 'imsd is still running');
}

before(async () => {
  // frames up to 16 MiB (the config's maximum), so deep nesting and 10 MB frames reach the parser
  imsd = await startImsd({ name: 'signaling_limits', env: { IMSD_SERVER_MAX_MESSAGE_BYTES: String(16 * 1024 * 1024) } });
  session = await imsd.createSession({ questions: [{ id: 'q1', text: 'Hello?', timeLimitSeconds: 30 }], thinkSeconds: 0 });
});

after(async () => {
  for (const c of clients) c.close();
  if (imsd) await imsd.shutdown();
});

const limitTest = (name, fn) => test(name, { timeout: 120000 }, () => withLogOnFailure(imsd, fn));

limitTest('a client that never reads: memory stays bounded and the connection is dropped', async () => {
  const before = rssMiB();
  const c = await client();
  c.ws.pause(); // read nothing: every pong stays with imsd once the socket buffers are full
  const pings = 1000000;
  const frame = JSON.stringify({ type: 'ping' });
  for (let sent = 0; sent < pings && !c.closeInfo; sent += 10000) {
    for (let i = 0; i < 10000; i++) c.ws.send(frame);
    // let the socket drain into imsd before queueing more in this process
    while (c.ws.bufferedAmount > 4 * 1024 * 1024 && !c.closeInfo) await sleep(5);
  }
  // imsd takes in every ping (or drops the client first); the peak is what the client cost it
  let peak = rssMiB();
  const dropped = () => /outgoing queue full/.test(imsd.logText());
  for (const deadline = Date.now() + 30000; Date.now() < deadline && !dropped();) {
    await sleep(250);
    peak = Math.max(peak, rssMiB());
  }
  peak = Math.max(peak, rssMiB());
  const grown = peak - before;
  process.stderr.write(`# imsd RSS ${before.toFixed(1)} MiB before, ${peak.toFixed(1)} MiB peak (+${grown.toFixed(1)}) for ${pings} unread pings\n`);
  assert.ok(grown < 48, `imsd grew by ${grown.toFixed(1)} MiB for one client that does not read`);
  assert.ok(dropped(), 'imsd logs that it dropped the client');
  c.ws.resume();
  await c.waitClosed(30000);
  const pongs = c.messages.filter((m) => m.type === 'pong').length;
  assert.ok(pongs < pings, `imsd stopped answering the flood (${pongs} pongs for ${pings} pings)`);
  await assertServing();
});

limitTest('a 10 MB binary message earns exactly one error and the connection stays usable', async () => {
  const c = await client();
  c.ws.send(Buffer.alloc(10 * 1024 * 1024, 0x5b), { binary: true });
  c.send({ type: 'ping' });
  await c.next((m) => m.type === 'pong', { what: 'pong after the binary message', timeoutMs: 60000 });
  const errors = c.messages.filter((m) => m.type === 'error');
  assert.equal(errors.length, 1, `one error for one binary message, got ${errors.length}: ${JSON.stringify(errors.slice(0, 3))}`);
  assert.equal(errors[0].code, 'bad_json');
  assert.equal(c.isOpen(), true);
  // a second one: again exactly one error
  c.ws.send(Buffer.alloc(3 * 1024 * 1024, 0x7b), { binary: true });
  c.send({ type: 'ping' });
  await c.next((m) => m.type === 'pong', { what: 'pong after the second binary message', timeoutMs: 60000 });
  assert.equal(c.messages.filter((m) => m.type === 'error').length, 2);
  c.close();
});

limitTest('a text message nested 200,000 deep is bad_json, and imsd survives it', async () => {
  const c = await client();
  const depth = 200000;
  c.send(`{"type":"ping","x":${'['.repeat(depth)}${']'.repeat(depth)}}`);
  const err = await c.nextError({ timeoutMs: 30000 });
  assert.equal(err.code, 'bad_json');
  assert.match(err.message, /deeper than 64/);
  c.send({ type: 'ping' });
  await c.next((m) => m.type === 'pong', { what: 'pong after the deep message' });
  c.close();
  await assertServing();
});

limitTest('a REST body nested 200,000 deep is 400 bad_json, and imsd survives it', async () => {
  const depth = 200000;
  const res = await imsd.request('POST', '/api/v1/sessions', {
    rawBody: `{"interviewId":"i","userId":"u","x":${'['.repeat(depth)}${']'.repeat(depth)},"questions":[{"id":"q","text":"t","timeLimitSeconds":10}]}`,
  });
  assert.equal(res.status, 400, res.text);
  assert.equal(res.json.code, 'bad_json');
  assert.match(res.json.message, /deeper than 64/);
  await assertServing();
});

limitTest('a token issued in the future or with a future nbf -> token_not_yet_valid', async () => {
  const now = Math.floor(Date.now() / 1000);
  const cases = [
    { sub: session.sessionId, aud: 'imsd.candidate', iat: now + 3600, exp: now + 7200 },
    { sub: session.sessionId, aud: 'imsd.candidate', iat: now, nbf: now + 600, exp: now + 7200 },
  ];
  for (const claims of cases) {
    const c = await client();
    c.send({ type: 'join', sessionId: session.sessionId, token: signToken(TOKEN_SECRET, claims) });
    const err = await c.nextError();
    assert.equal(err.code, 'token_not_yet_valid', JSON.stringify(err));
    assert.equal(err.requestType, 'join');
    c.close();
  }
  // within the clock skew (iat 30 s ahead) the join works
  const c = await client();
  c.send({ type: 'join', sessionId: session.sessionId,
    token: signToken(TOKEN_SECRET, { sub: session.sessionId, aud: 'imsd.candidate', iat: now + 30, exp: now + 7200 }) });
  const state = await c.next((m) => m.type === 'state' || m.type === 'error', { what: 'state after join' });
  assert.equal(state.type, 'state', JSON.stringify(state));
  c.close();
});
