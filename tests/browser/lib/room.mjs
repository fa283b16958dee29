// room.mjs: live rooms (docs/live-rooms.md) as a test drives them: the REST
// call that makes one, the room page (web-test-client/room/) opened as a
// person would, and waits on its hooks (window.room, body[data-*]).
//
//   createRoom(imsd, {companyId, questions, settings, scheduledAt, ...})
//       -> the 201 body of POST /api/v1/rooms (service token), plus
//          byRole: {candidate, interviewer} participants
//   roomToken(secret, {roomId, participantId, role, nbf, exp}) -> a room JWT the test signs
//   recruiterToken(secret, companyId) -> a reviewer JWT (observers)
//   roomUrl(imsd, roomId, token)      -> /room/?room=..&token=..
//   openRoom(context, url, {join})    -> page, after room.joined (join: press
//                                       "Join the interview" after the device check)
//   waitForRoom(page, predicateSource, {what}) -> the page's hooks once predicate(hooks, body.dataset)
//   describeRoom(page)                -> a text dump of the hooks for failure messages
//   waitForFramesGrowing(page, participantId, stream, pattern) -> the frames read, once
//       at least 10 new decodable frames of that pattern with growing numbers arrived
import { setTimeout as sleep } from 'node:timers/promises';
import { signToken } from './token.mjs';
import { remoteFrames } from './room-media.mjs';

const ISO = (ms) => new Date(ms).toISOString();

export async function createRoom(imsd, {
  companyId = 'company-a', type = 'technical', durationMinutes = 30, scheduledAt = Date.now(),
  questions, settings = {}, interviewId = `room-iv-${Date.now()}-${Math.floor(Math.random() * 1e6)}`,
} = {}) {
  const body = {
    interviewId,
    type,
    scheduledAt: ISO(scheduledAt),
    durationMinutes,
    companyId,
    candidate: { userId: 'room-cand', email: 'cand@example.test' },
    interviewers: [{ userId: 'room-int', name: 'Ada Interviewer' }],
    questions: questions || [
      { id: 'rq1', text: 'Walk us through a system you designed.', timeLimitSeconds: 600 },
      { id: 'rq2', text: 'How would you test it?', timeLimitSeconds: 600 },
      { id: 'rq3', text: 'What would you change now?', timeLimitSeconds: 600 },
    ],
    settings: { observersVisible: false, allowScreenShare: true, recording: 'both', ...settings },
  };
  const res = await imsd.request('POST', '/api/v1/rooms', { body });
  if (res.status !== 201 || !res.json || !res.json.roomId) {
    throw new Error(`POST /api/v1/rooms: HTTP ${res.status} ${res.text}`);
  }
  const room = res.json;
  room.body = body;
  room.byRole = {};
  for (const p of room.participants || []) room.byRole[p.role] = p;
  if (!room.byRole.candidate || !room.byRole.interviewer) {
    throw new Error(`POST /api/v1/rooms: no candidate or interviewer participant: ${res.text}`);
  }
  return room;
}

export function roomToken(secret, { roomId, participantId, role, nbf, exp }) {
  const now = Math.floor(Date.now() / 1000);
  return signToken(secret, { sub: roomId, aud: 'imsd.room', pid: participantId, role, iat: now - 60, nbf: nbf ?? now - 60, exp: exp ?? now + 3600 });
}

export function recruiterToken(secret, companyId, sub = `recruiter@${companyId}.test`) {
  const now = Math.floor(Date.now() / 1000);
  return signToken(secret, { sub, role: 'recruiter', companyId, iat: now, exp: now + 3600 });
}

export function roomUrl(imsd, roomId, token) {
  return `${imsd.baseUrl}/room/?room=${encodeURIComponent(roomId)}&token=${encodeURIComponent(token)}`;
}

/** A text dump of the room page's hooks and visible state. */
export async function describeRoom(page) {
  if (page.isClosed()) return '(page closed)';
  return page.evaluate(() => {
    const r = window.room || {};
    return `room page ${JSON.stringify({
      body: { ...document.body.dataset },
      joined: r.joined && { participantId: r.joined.participantId, role: r.joined.role },
      state: r.state && { state: r.state.state, segment: r.state.segment,
        participants: (r.state.participants || []).map((p) => `${p.role}:${p.participantId}:${p.connected}:${(p.streams || []).join('+')}`) },
      errors: r.errors,
      sent: (r.sent || []).map((m) => m.type).slice(-30),
      received: (r.log || []).map((m) => (m.type === 'error' ? `error:${m.code}` : m.type)).filter((t) => t !== 'quality').slice(-30),
      pcs: [...(r.pcs || [])].map(([id, pc]) => `${id}:${pc.connectionState}`),
      status: document.getElementById('status').textContent,
      videos: [...document.querySelectorAll('video[data-participant]')].map((v) => `${v.dataset.participant}:${v.dataset.stream}:${v.readyState}:${v.videoWidth}x${v.videoHeight}`),
    }, null, 1)}`;
  }).catch((e) => `(page gone: ${e.message})`);
}

/** Waits until predicate(hooks, dataset) holds in the page (a function source). */
export async function waitForRoom(page, predicateSource, { timeoutMs = 30000, what } = {}) {
  try {
    await page.waitForFunction((src) => Boolean(window.room)
      && (0, eval)(`(${src})`)(window.room, document.body.dataset), predicateSource, { timeout: timeoutMs, polling: 100 });
  } catch (err) {
    throw new Error(`waiting for ${what || predicateSource}: ${err.message.split('\n')[0]}\n${await describeRoom(page)}`);
  }
}

/** Opens url in a new tab; waits for room.joined (or a fatal error: join false to let the caller look). */
export async function openRoom(context, url, { join = true, expectJoined = true } = {}) {
  const page = await context.newPage();
  page.on('pageerror', (err) => process.stderr.write(`[room page error] ${err.message}\n`));
  await page.goto(url);
  if (!expectJoined) return page;
  await waitForRoom(page, '(r) => Boolean(r.joined)', { what: 'room.joined' });
  const role = await page.evaluate(() => window.room.joined.role);
  if (join && role !== 'observer') {
    await page.locator('#join').waitFor({ state: 'visible', timeout: 15000 });
    await waitForRoom(page, '() => !document.getElementById("join").disabled', { what: 'the device check' });
    await page.locator('#join').click();
    await waitForRoom(page, '(r) => r.sent.some((m) => m.type === "publish" && m.stream === "camera")',
      { what: 'the camera published' });
  }
  return page;
}

/**
 * Waits until the page has read at least `count` new decodable frames of
 * participantId's stream with the given pattern since it was called, their
 * numbers growing (the y4m loops: a wrap to a smaller number is allowed once).
 * Resolves with {first, last, count}.
 */
export async function waitForFramesGrowing(page, participantId, stream, pattern, { count = 10, timeoutMs = 30000 } = {}) {
  const since = Date.now();
  const deadline = since + timeoutMs;
  let seen = [];
  for (;;) {
    const frames = await remoteFrames(page, participantId, stream);
    seen = frames.filter((f) => f.t >= since);
    const wrong = seen.filter((f) => f.pattern !== pattern);
    if (wrong.length) {
      throw new Error(`${participantId}:${stream}: frames of pattern ${wrong[0].pattern}, expected ${pattern} (another person's video?)`);
    }
    let drops = 0;
    for (let i = 1; i < seen.length; i++) if (seen[i].n < seen[i - 1].n) drops++;
    if (drops > 1) throw new Error(`${participantId}:${stream}: frame numbers go backwards: ${seen.map((f) => f.n).join(',')}`);
    if (seen.length >= count) return { first: seen[0].n, last: seen[seen.length - 1].n, count: seen.length };
    if (Date.now() > deadline) {
      throw new Error(`${participantId}:${stream}: ${seen.length} decodable ${pattern} frames in ${timeoutMs} ms (wanted ${count})\n${await describeRoom(page)}`);
    }
    await sleep(250);
  }
}
