// events.test.mjs: the contract's Kafka events of one whole interview,
// outbox -> relay -> Kafka, read back with kcat.
//
// A private imsd-kafka-mock (3 brokers), a private s3rver and a real imsd
// pointed at both, with a fresh database (so the outbox holds exactly this
// test's events).  Real Chromium: 2 questions, Q1 take, retake, Q2 take,
// complete.  Once every completed take has takes.processed_at and the outbox
// has no unsent row (PostgreSQL and /readyz outboxPending), kcat reads
// candidate-events, media-events and interview-events from the beginning:
//   - every value validates against events/schemas (tests/schemas/validate.mjs)
//   - key = sessionId (candidate-events) / userId (media-, interview-events)
//     = outbox.message_key; headers eventType and eventId equal the body's
//   - no eventId twice; the eventIds are exactly the outbox's
//   - per key: one partition, offsets in outbox.id order
//   - 1 candidate.started, 1 interview.started, one response_submitted per
//     completed take (responseId = mediaFileId = take id, status completed), 1
//     candidate.completed (responsesCount 3: every take; totalDuration the
//     sum of their durations, to the ms), 1 interview.completed, one media.uploaded per
//     media_files row (fileId, path), one media.processed per processed take
//   - each processed take's completeness record (docs/ingest.md) is the same
//     object in the review API and in its media.processed, and counts what
//     was recorded
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

import { startImsd, withLogOnFailure, waitFor, dropDatabase, repoRoot } from './lib/imsd.mjs';
import { query, takeRows } from './lib/db.mjs';
import { launchBrowser, waitForState, clickButton, describePage } from './lib/browser.mjs';
import { openCandidate, recordTake, stopTake } from './lib/candidate.mjs';
import { startS3rver } from './lib/s3.mjs';
import { startKafkaMock, validateEvents, checkAgainstOutbox } from './lib/kafka.mjs';
import { signToken } from './lib/token.mjs';

const NAME = 'events';
const TOPICS = ['candidate-events', 'media-events', 'interview-events'];
const REVIEW_SECRET = 'events-test-review-secret-0123456789abcdef';
const QUESTIONS = [
  { id: 'ev-q1', text: 'Tell us about a project you are proud of.', timeLimitSeconds: 30 },
  { id: 'ev-q2', text: 'Describe a difficult bug you fixed.', timeLimitSeconds: 30 },
];

let kafka;
let s3;
let imsd;
let browser;
let session;
let interviewDone = false;

before(async () => {
  dropDatabase(`imsd_e2e_${NAME}`);
  kafka = await startKafkaMock({ name: NAME });
  s3 = await startS3rver({ name: NAME });
  imsd = await startImsd({
    name: NAME,
    env: { ...s3.imsdEnv({ keyPrefix: 'ev-media' }), ...kafka.imsdEnv(), IMSD_PROCESSING_RETRY_MAX_SECONDS: '2',
      IMSD_REVIEW_JWT_SECRET: REVIEW_SECRET },
  });
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (imsd) {
    if (imsd.failed) { if (s3) s3.keep = true; if (kafka) kafka.keep = true; }
    await imsd.shutdown();
  }
  if (s3) await s3.shutdown();
  if (kafka) await kafka.shutdown();
});

test('candidate answers 2 questions with one retake and completes', { timeout: 90000 }, async () => {
  session = await imsd.createSession({ questions: QUESTIONS, thinkSeconds: 30, maxRetakes: 1 });
  const page = await openCandidate(browser.context, session.joinUrl);
  await withLogOnFailure(imsd, async () => {
    await waitForState(page, 's => s.questionIndex === 0 && s.mediaReady', { what: 'Q1 with media ready' });
    await recordTake(page, 0, 1);
    await sleep(2500);
    await stopTake(page, 0, 1);
    await clickButton(page, 'retake');
    await waitForState(page, 's => s.questionIndex === 0 && (s.phase === "thinking" || s.phase === "recording")',
      { what: 'thinking after retake' });
    await recordTake(page, 0, 2);
    await sleep(2500);
    await stopTake(page, 0, 2);
    await clickButton(page, 'next');
    await waitForState(page, 's => s.questionIndex === 1 && s.mediaReady', { what: 'Q2' });
    await recordTake(page, 1, 1);
    await sleep(2500);
    await stopTake(page, 1, 1);
    await clickButton(page, 'next');
    await waitForState(page, 's => s.phase === "completed"', { what: 'completed' });
    interviewDone = true;
  }, () => (page.isClosed() ? '' : describePage(page)));
  await page.close();
});

test('every event is on Kafka once, valid, keyed, with headers, in order per key', { timeout: 120000 }, async () => {
  assert.ok(interviewDone, 'the interview test must have passed first');
  let messages = [];
  await withLogOnFailure(imsd, async () => {
    const sid = session.sessionId;
    const takes = await waitFor(async () => {
      const rows = await takeRows(imsd, sid);
      const done = rows.filter((r) => r.status === 'completed');
      return done.length === 3 && done.every((r) => r.processed_at) ? rows : null;
    }, { timeoutMs: 90000, intervalMs: 500, what: 'processed_at on the 3 completed takes' });
    assert.deepEqual(takes.map((t) => `${t.question_idx}-${t.number}:${t.status}`), ['0-1:completed', '0-2:completed', '1-1:completed']);

    await waitFor(async () => {
      const [{ n }] = await query(imsd, 'SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL');
      return n === 0;
    }, { timeoutMs: 30000, intervalMs: 300, what: 'no unsent outbox row' });
    const ready = await imsd.readyz();
    assert.equal(ready.httpStatus, 200, JSON.stringify(ready));
    assert.equal(ready.events.kafka, 'ok', JSON.stringify(ready.events));
    assert.equal(ready.events.outboxPending, 0, JSON.stringify(ready.events));
    assert.equal(ready.events.inFlight, 0, JSON.stringify(ready.events));

    const outbox = await query(imsd, 'SELECT id, event_id, event_type, topic, message_key, sent_at FROM outbox ORDER BY id');
    for (const t of TOPICS) messages.push(...await kafka.consume(t));

    // every value against its schema
    const validation = await validateEvents(repoRoot, messages.map((m) => m.payload));
    assert.ok(validation.ok, `validate.mjs (exit ${validation.code}):\n${validation.output}`);
    assert.match(validation.output, new RegExp(`^${messages.length} passed, 0 failed$`, 'm'));

    const { problems, counts, byEventId } = checkAgainstOutbox(messages, outbox);
    assert.deepEqual(problems, [], `Kafka vs outbox:\n${problems.join('\n')}`);

    const files = await query(imsd, `SELECT id, take_id, kind, object_key, size_bytes FROM media_files WHERE session_id = '${sid}'`);
    const completed = takes.filter((t) => t.status === 'completed');
    const processed = takes.filter((t) => t.processed_at);
    assert.ok(files.length >= 3 * 2, `media_files rows for 3 takes: ${files.length}`);
    assert.deepEqual(counts, {
      'candidate.started': 1,
      'interview.started': 1,
      'candidate.response_submitted': completed.length,
      'candidate.completed': 1,
      'interview.completed': 1,
      'media.uploaded': files.length,
      'media.processed': processed.length,
    }, 'one event per fact');

    const events = [...byEventId.values()].map((copies) => copies[0].value);
    const ofType = (t) => events.filter((e) => e.eventType === t).map((e) => e.payload);
    for (const e of events) {
      if (e.payload.sessionId !== undefined) assert.equal(e.payload.sessionId, sid, `${e.eventType} sessionId`);
      assert.equal(e.payload.userId, 'e2e-user', `${e.eventType} userId`);
    }
    const responses = ofType('candidate.response_submitted');
    assert.deepEqual(responses.map((p) => p.responseId).sort(), completed.map((t) => t.id).sort(), 'responseId = take id');
    for (const p of responses) {
      const take = completed.find((t) => t.id === p.responseId);
      assert.equal(p.mediaFileId, take.id, 'mediaFileId = take id');
      assert.equal(p.questionIndex, take.question_idx, 'questionIndex');
      assert.equal(p.take, take.number, 'take number');
      assert.equal(p.questionId, QUESTIONS[take.question_idx].id, 'questionId');
      assert.ok(files.some((f) => f.id === p.mediaFileId && f.kind === 'original'), `mediaFileId ${p.mediaFileId} is the original's media_files row`);
    }
    const uploaded = ofType('media.uploaded');
    assert.deepEqual(uploaded.map((p) => `${p.fileId} ${p.path} ${p.fileSize}`).sort(),
      files.map((f) => `${f.id} ${f.object_key} ${Number(f.size_bytes)}`).sort(), 'media.uploaded per media_files row');
    assert.deepEqual(ofType('media.processed').map((p) => p.fileId).sort(), processed.map((t) => t.id).sort(),
      'media.processed per processed take');
    for (const p of responses) assert.equal(p.status, 'completed', `status of take ${p.take} of question ${p.questionIndex}`);
    const [done] = ofType('candidate.completed');
    assert.equal(done.responsesCount, 3, 'candidate.completed counts the responses (every take announced, retakes included)');
    assert.equal(done.responsesCount, responses.length, 'responsesCount = the candidate.response_submitted events');
    const totalMs = completed.reduce((sum, t) => sum + Number(t.duration_ms), 0);
    assert.equal(done.totalDuration, totalMs / 1000, `totalDuration is the sum of the takes' durations, to the ms: ${done.totalDuration}`);
    assert.equal(done.totalDuration, Math.round(done.totalDuration * 1000) / 1000, 'totalDuration has no float noise');
    for (const p of responses) {
      const take = completed.find((t) => t.id === p.responseId);
      assert.equal(p.duration, Number(take.duration_ms) / 1000, 'duration = takes.duration_ms in seconds');
    }
    const [closed] = ofType('interview.completed');
    assert.equal(closed.responsesCount, done.responsesCount, 'interview.completed responsesCount');

    // the same via kcat's -f format (key and headers as kcat prints them)
    const text = await kafka.consumeFormat('interview-events', '%k|%h|%s\n');
    const lines = text.split('\n').filter(Boolean);
    assert.equal(lines.length, 2, text);
    for (const line of lines) {
      const [key, headers] = line.split('|');
      assert.equal(key, 'e2e-user', line);
      assert.match(headers, /^eventType=interview\.(started|completed),eventId=[0-9a-f-]{36}$/, line);
    }
  }, async () => `messages on Kafka:\n${messages.map((m) => `${m.topic}[${m.partition}]@${m.offset} key=${m.key} ` +
    `${JSON.stringify(m.headers)} ${m.payload.slice(0, 160)}`).join('\n')}`);
});

test('each take\'s completeness record: the review API\'s is media.processed\'s', { timeout: 60000 }, async () => {
  assert.ok(interviewDone, 'the interview test must have passed first');
  await withLogOnFailure(imsd, async () => {
    const sid = session.sessionId;
    const now = Math.floor(Date.now() / 1000);
    const token = signToken(REVIEW_SECRET, { sub: 'admin@example.test', role: 'admin', iat: now, exp: now + 600 });
    const res = await imsd.request('GET', `/api/v1/review/sessions/${sid}`, { token });
    assert.equal(res.status, 200, res.text);
    const takes = res.json.questions.flatMap((q) => q.takes);
    assert.equal(takes.length, 3, res.text);

    const processed = new Map();
    for (const m of await kafka.consume('media-events')) {
      const event = JSON.parse(m.payload);
      if (event.eventType === 'media.processed') processed.set(event.payload.fileId, event.payload);
    }
    for (const take of takes) {
      const what = `take ${take.id} (${take.status})`;
      assert.ok(Object.hasOwn(take, 'completeness'), `${what}: completeness in the review API: ${JSON.stringify(take)}`);
      const event = processed.get(take.id);
      assert.ok(event, `${what}: a media.processed`);
      assert.ok(Object.hasOwn(event, 'completeness'), `${what}: completeness in media.processed: ${JSON.stringify(event)}`);
      assert.deepStrictEqual(event.completeness, take.completeness, `${what}: the same record in both`);
      const c = take.completeness;
      assert.ok(c && typeof c === 'object', `${what}: a record: ${JSON.stringify(c)}`);
      for (const track of ['video', 'audio']) {
        const { packets, frames } = c[track];
        assert.ok(frames.written > 0, `${what}: ${track} frames written: ${JSON.stringify(c[track])}`);
        assert.ok(packets.expected > 0, `${what}: ${track} packets expected: ${JSON.stringify(c[track])}`);
        assert.ok(packets.received >= packets.expected - packets.lost,
          `${what}: ${track} received >= expected - lost: ${JSON.stringify(packets)}`);
      }
      // the take's own packets, not the connection's: one Opus packet per 20 ms
      // frame, plus those before the first keyframe (counted, not written)
      const audio = c.audio;
      assert.ok(audio.packets.expected <= audio.frames.written + audio.frames.refused + 100,
        `${what}: audio packets of this take only: ${JSON.stringify(audio)}`);
      // a ~2.5 s take: both tracks span most of it, and the A/V offsets are known
      assert.ok(c.video.lastMs - c.video.firstMs >= 1500, `${what}: video span: ${JSON.stringify(c.video)}`);
      assert.ok(c.avOffsetMs && Number.isInteger(c.avOffsetMs.start) && Number.isInteger(c.avOffsetMs.end),
        `${what}: avOffsetMs: ${JSON.stringify(c.avOffsetMs)}`);
    }
  });
});
