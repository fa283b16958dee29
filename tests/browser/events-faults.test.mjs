// events-faults.test.mjs: contract events survive a Kafka outage and an imsd
// crash (outbox -> relay -> Kafka).
//
// A private imsd-kafka-mock (3 brokers), a private s3rver, a real imsd with a
// fresh database, real Chromium.
//   (a) every broker down (control `down all`) for ~30 s: the candidate joins
//       and records 2 takes while it is down (the takes are processed into S3
//       meanwhile); /readyz stays 200 and shows outboxPending > 0; then `up
//       all`, the candidate completes.  Once the outbox has no unsent row,
//       kcat reads everything: each outbox eventId is on Kafka, values valid
//       against the schemas, keys and headers as contracted, order per key by
//       first occurrence = outbox.id order, one event per fact.  Duplicates
//       (the relay may resend after a failure) must be byte-identical copies;
//       their counts are printed.
//   (b) brokers down again, a second candidate joins, records and completes;
//       rows are unsent in PostgreSQL; kill -9 imsd; `up all`; imsd restarts
//       and sends them: outbox pending reaches 0 and kcat sees each eventId.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

import { startImsd, withLogOnFailure, waitFor, dropDatabase, repoRoot } from './lib/imsd.mjs';
import { query, takeRows } from './lib/db.mjs';
import { launchBrowser, waitForState, clickButton, describePage } from './lib/browser.mjs';
import { openCandidate, recordTake, stopTake } from './lib/candidate.mjs';
import { startS3rver } from './lib/s3.mjs';
import { startKafkaMock, validateEvents, checkAgainstOutbox } from './lib/kafka.mjs';

const NAME = 'events_faults';
const TOPICS = ['candidate-events', 'media-events', 'interview-events'];
const OUTAGE_MS = 30000;

let kafka;
let s3;
let imsd;
let browser;
let lastMessages = [];

before(async () => {
  dropDatabase(`imsd_e2e_${NAME}`);
  kafka = await startKafkaMock({ name: 'faults' });
  s3 = await startS3rver({ name: 'evfaults' });
  imsd = await startImsd({
    name: NAME,
    env: { ...s3.imsdEnv({ keyPrefix: 'evf-media' }), ...kafka.imsdEnv(), IMSD_PROCESSING_RETRY_MAX_SECONDS: '2' },
  });
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (kafka && kafka.isAlive()) await kafka.up().catch(() => {});
  if (imsd) {
    if (imsd.failed) { if (s3) s3.keep = true; if (kafka) kafka.keep = true; }
    await imsd.shutdown();
  }
  if (s3) await s3.shutdown();
  if (kafka) await kafka.shutdown();
});

const describeMessages = async () => `messages on Kafka:\n${lastMessages.map((m) =>
  `${m.topic}[${m.partition}]@${m.offset} key=${m.key} ${JSON.stringify(m.headers)} ${m.payload.slice(0, 120)}`).join('\n')}`;

async function pendingCount() {
  const [{ n }] = await query(imsd, 'SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL');
  return n;
}

/** Answers questions q0.. of an open page: one ~2 s take each, then next (the last next completes). */
async function answer(page, questions, { complete = true } = {}) {
  for (let q = 0; q < questions; q++) {
    if (q > 0) await waitForState(page, `s => s.questionIndex === ${q} && s.mediaReady`, { what: `question ${q}` });
    await recordTake(page, q, 1);
    await sleep(2000);
    await stopTake(page, q, 1);
    if (q < questions - 1 || complete) await clickButton(page, 'next');
  }
}

/** Waits until every completed take of these sessions is processed and the outbox is empty. */
async function waitDrained(sessionIds, takesPerSession) {
  const ids = sessionIds.map((s) => `'${s}'`).join(',');
  await waitFor(async () => {
    const rows = await query(imsd, `SELECT processed_at FROM takes WHERE session_id IN (${ids}) AND status = 'completed'`);
    return rows.length === takesPerSession * sessionIds.length && rows.every((r) => r.processed_at);
  }, { timeoutMs: 60000, intervalMs: 500, what: 'every completed take processed' });
  await waitFor(async () => (await pendingCount()) === 0, { timeoutMs: 60000, intervalMs: 500, what: 'no unsent outbox row' });
}

/** Reads the topics, validates, compares with the whole outbox; returns {outbox, result}. */
async function readAndCheck() {
  const outbox = await query(imsd, 'SELECT id, event_id, event_type, topic, message_key FROM outbox ORDER BY id');
  lastMessages = [];
  for (const t of TOPICS) lastMessages.push(...await kafka.consume(t));
  const validation = await validateEvents(repoRoot, lastMessages.map((m) => m.payload));
  assert.ok(validation.ok, `validate.mjs (exit ${validation.code}):\n${validation.output}`);
  const result = checkAgainstOutbox(lastMessages, outbox, { allowDuplicates: true });
  assert.deepEqual(result.problems, [], `Kafka vs outbox:\n${result.problems.join('\n')}`);
  const dups = Object.entries(result.duplicates);
  process.stderr.write(`# ${lastMessages.length} messages, ${result.byEventId.size} distinct eventIds, ` +
    `${outbox.length} outbox rows, duplicates: ${dups.length ? JSON.stringify(result.duplicates) : 'none'}\n`);
  return { outbox, result };
}

/** Distinct events of one session by type: {eventType: count}. */
function countsFor(result, sessionId, takeIds) {
  const counts = {};
  for (const copies of result.byEventId.values()) {
    const e = copies[0].value;
    const mine = e.payload.sessionId === sessionId || takeIds.includes(e.payload.fileId) || takeIds.includes(e.payload.responseId);
    if (mine) counts[e.eventType] = (counts[e.eventType] || 0) + 1;
  }
  return counts;
}

async function expectedCounts(sessionId, { completed = true } = {}) {
  const takes = await takeRows(imsd, sessionId);
  const done = takes.filter((t) => t.status === 'completed');
  const [{ n: files }] = await query(imsd, `SELECT count(*)::int AS n FROM media_files WHERE session_id = '${sessionId}'`);
  const want = {
    'candidate.started': 1,
    'interview.started': 1,
    'candidate.response_submitted': done.length,
    'media.uploaded': files,
    'media.processed': takes.filter((t) => t.processed_at).length,
  };
  if (completed) Object.assign(want, { 'candidate.completed': 1, 'interview.completed': 1 });
  return { want, takeIds: takes.map((t) => t.id) };
}

test('(a) all brokers down for ~30 s during an interview: everything arrives after up, in order per key',
  { timeout: 150000 }, async () => {
    const session = await imsd.createSession({
      questions: [
        { id: 'fa-q1', text: 'First question', timeLimitSeconds: 30 },
        { id: 'fa-q2', text: 'Second question', timeLimitSeconds: 30 },
      ],
      thinkSeconds: 30, maxRetakes: 1,
    });
    let page;
    const samples = [];
    let sampling = true;
    let sampler;
    await withLogOnFailure(imsd, async () => {
      await kafka.down();
      const downAt = Date.now();
      sampler = (async () => {
        while (sampling) {
          const r = await imsd.readyz().catch((err) => ({ httpStatus: 0, error: String(err) }));
          samples.push({ t: Date.now() - downAt, ...r });
          await sleep(1000);
        }
      })();

      page = await openCandidate(browser.context, session.joinUrl);
      await waitForState(page, 's => s.questionIndex === 0 && s.mediaReady', { what: 'Q1 with media ready' });
      await answer(page, 2, { complete: false });
      // the takes get processed while Kafka is down: media events join the queue
      await waitFor(async () => {
        const rows = await takeRows(imsd, session.sessionId);
        return rows.length === 2 && rows.every((r) => r.processed_at);
      }, { timeoutMs: Math.max(5000, OUTAGE_MS - (Date.now() - downAt)), intervalMs: 500, what: 'both takes processed during the outage' });

      const pendingDown = await pendingCount();
      const [{ n: total }] = await query(imsd, 'SELECT count(*)::int AS n FROM outbox');
      assert.ok(pendingDown > 0, 'outbox rows wait while every broker is down');
      assert.equal(pendingDown, total, 'nothing can be sent while every broker is down');
      await sleep(Math.max(0, OUTAGE_MS - (Date.now() - downAt)));
      sampling = false;
      await sampler;

      const last = samples[samples.length - 1];
      process.stderr.write(`# /readyz during the outage (last of ${samples.length}): ${JSON.stringify(last.events)}\n`);
      assert.ok(samples.length >= 20, `readyz sampled through the outage: ${samples.length}`);
      for (const s of samples) assert.equal(s.httpStatus, 200, `Kafka down must not make imsd unready: ${JSON.stringify(s)}`);
      assert.ok(samples.some((s) => s.events && s.events.outboxPending > 0), 'readyz shows pending events during the outage');
      assert.equal(last.events.outboxPending, pendingDown, `readyz outboxPending = unsent rows: ${JSON.stringify(last.events)}`);
      const kafkaStates = [...new Set(samples.map((s) => s.events && s.events.kafka))];
      process.stderr.write(`# /readyz events.kafka values seen during the outage: ${kafkaStates.join(', ')}; ` +
        `lastError: ${JSON.stringify(last.events.lastError)}\n`);

      await kafka.up();
      await clickButton(page, 'next');
      await waitForState(page, 's => s.phase === "completed"', { what: 'completed' });
      await page.close();

      await waitDrained([session.sessionId], 2);
      const ready = await imsd.readyz();
      assert.equal(ready.events.kafka, 'ok', JSON.stringify(ready.events));
      assert.equal(ready.events.outboxPending, 0, JSON.stringify(ready.events));

      const { result } = await readAndCheck();
      const { want, takeIds } = await expectedCounts(session.sessionId);
      assert.deepEqual(countsFor(result, session.sessionId, takeIds), want, 'one event per fact');
    }, async () => `${page && !page.isClosed() ? await describePage(page) : ''}\n` +
      `readyz samples: ${JSON.stringify(samples.map((s) => [s.t, s.httpStatus, s.events]))}\n${await describeMessages()}`)
      .finally(() => { sampling = false; });
  });

test('(b) kill -9 with unsent outbox rows: after brokers up and a restart they go out', { timeout: 120000 }, async () => {
  const session = await imsd.createSession({
    questions: [{ id: 'fb-q1', text: 'Only question', timeLimitSeconds: 30 }],
    thinkSeconds: 30, maxRetakes: 1,
  });
  let page;
  await withLogOnFailure(imsd, async () => {
    await kafka.down();
    page = await openCandidate(browser.context, session.joinUrl);
    await waitForState(page, 's => s.questionIndex === 0 && s.mediaReady', { what: 'Q1 with media ready' });
    await answer(page, 1);
    await waitForState(page, 's => s.phase === "completed"', { what: 'completed' });
    await page.close();
    await waitFor(async () => {
      const rows = await takeRows(imsd, session.sessionId);
      return rows.length === 1 && rows[0].processed_at;
    }, { timeoutMs: 30000, intervalMs: 500, what: 'the take processed' });

    const unsent = await query(imsd, 'SELECT id, event_id, event_type FROM outbox WHERE sent_at IS NULL ORDER BY id');
    const types = unsent.map((r) => r.event_type);
    process.stderr.write(`# unsent before kill -9: ${unsent.length} (${types.join(', ')})\n`);
    assert.ok(unsent.length > 0, 'rows are pending in PostgreSQL before the crash');
    for (const t of ['candidate.started', 'candidate.response_submitted', 'candidate.completed', 'media.processed']) {
      assert.ok(types.includes(t), `${t} is among the unsent rows`);
    }

    const exit = await imsd.kill9();
    assert.equal(exit.signal, 'SIGKILL');
    assert.equal(await pendingCount(), unsent.length, 'the crash changes no outbox row');
    await kafka.up();
    await imsd.spawn();

    await waitDrained([session.sessionId], 1);
    const { result } = await readAndCheck();
    for (const r of unsent) {
      assert.ok(result.byEventId.has(r.event_id), `outbox row ${r.id} (${r.event_type}) unsent at the crash is on Kafka`);
    }
    const { want, takeIds } = await expectedCounts(session.sessionId);
    assert.deepEqual(countsFor(result, session.sessionId, takeIds), want, 'one event per fact');
    const ready = await imsd.readyz();
    assert.equal(ready.httpStatus, 200, JSON.stringify(ready));
    assert.equal(ready.events.outboxPending, 0, JSON.stringify(ready.events));
  }, async () => `${page && !page.isClosed() ? await describePage(page) : ''}\n${await describeMessages()}`);
});

test('(c) with message.timeout.ms=4000 deliveries fail during an outage: the relay resends, nothing is lost',
  { timeout: 120000 }, async () => {
    // restart imsd with a short message timeout: deliveries fail while every
    // broker is down, so the relay's resend-from-the-oldest-unsent path runs
    Object.assign(imsd.extraEnv, kafka.imsdEnv({ properties: 'message.timeout.ms=4000' }));
    await imsd.restart();
    const session = await imsd.createSession({
      questions: [{ id: 'fc-q1', text: 'Only question', timeLimitSeconds: 30 }],
      thinkSeconds: 30, maxRetakes: 1,
    });
    let page;
    await withLogOnFailure(imsd, async () => {
      await kafka.down();
      const downAt = Date.now();
      page = await openCandidate(browser.context, session.joinUrl);
      await waitForState(page, 's => s.questionIndex === 0 && s.mediaReady', { what: 'Q1 with media ready' });
      await answer(page, 1);
      await waitForState(page, 's => s.phase === "completed"', { what: 'completed' });
      await page.close();
      // at least two rounds of timed-out deliveries
      const ready = await waitFor(async () => {
        const r = await imsd.readyz();
        return Date.now() - downAt > 12000 && r.events.kafka === 'unreachable' ? r : null;
      }, { timeoutMs: 30000, intervalMs: 500, what: 'readyz events.kafka unreachable after failed deliveries' });
      process.stderr.write(`# /readyz after failed deliveries: ${JSON.stringify(ready.events)}\n`);
      assert.equal(ready.httpStatus, 200, JSON.stringify(ready));
      assert.ok(ready.events.outboxPending > 0, JSON.stringify(ready.events));
      // the latest failure: a timed-out delivery, or librdkafka's own report of the outage
      assert.match(String(ready.events.lastError), /delivery of outbox row \d+ .*failed|^Kafka: .*(refused|down|fail)/i,
        JSON.stringify(ready.events));
      const logged = imsd.logText().split('\n').filter((l) => /imsd\.relay/.test(l) && /failed/.test(l));
      process.stderr.write(`# relay failure log lines: ${logged.length}; first: ${logged[0]}\n`);

      await kafka.up();
      await waitDrained([session.sessionId], 1);
      const { result } = await readAndCheck();
      const { want, takeIds } = await expectedCounts(session.sessionId);
      assert.deepEqual(countsFor(result, session.sessionId, takeIds), want, 'one event per fact');
      const after = await imsd.readyz();
      assert.equal(after.events.kafka, 'ok', JSON.stringify(after.events));
    }, async () => `${page && !page.isClosed() ? await describePage(page) : ''}\n${await describeMessages()}`);
  });
