// consumer.test.mjs: imsd consuming user-events and auth-events (group
// media-server-group), end to end: events produced with kcat, effects read
// back from PostgreSQL, s3rver, Kafka and the candidate page.
//
// One private imsd-kafka-mock, one private s3rver, one real imsd (fresh
// database) and one Chromium for the whole file; the tests run in order:
//   1. user.deleted (user-service shape) for U, who recorded 2 takes: U's live
//      page gets logged_out, every S3 object and row of U goes, one
//      media.deleted per object (fileId = media_files.id, reason user_deleted,
//      key U, schema-valid), processed_events has the eventId; the session's
//      spool folder goes, and the outbox keeps no row with U's e-mail and
//      none with U's id but those media.deleted; V's session, rows, outbox
//      rows and objects stay.  The same event again: skipped, nothing more.
//   2. user.deleted (gateway shape, payload.userId) for a user with a session
//      and no media: rows gone, processed_events row, no event published.
//   3. poison messages (not JSON, no eventType, user.deleted without a user)
//      go to user-events-dlq at once with the five dlq-* headers; an unknown
//      type is skipped; the user.logged_out after them is processed.
//   4. user.logged_out on auth-events while W records: the page gets
//      logged_out, the take becomes 'interrupted' and decodes, and opening the
//      link again resumes on the same question.
//   5. a user.deleted whose handler fails (S3 down): retried 3 times with
//      backoff, then user-events-dlq with dlq-retry-count 3; nothing erased;
//      delivered again once S3 is back, it is carried out.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { startImsd, withLogOnFailure, waitFor, dropDatabase, repoRoot } from './lib/imsd.mjs';
import { query, takeRows } from './lib/db.mjs';
import { launchBrowser, waitForState, clickButton, describePage } from './lib/browser.mjs';
import { openCandidate, recordTake, stopTake } from './lib/candidate.mjs';
import { startS3rver, readProfiles, expectedKinds } from './lib/s3.mjs';
import { startKafkaMock, validateEvents } from './lib/kafka.mjs';
import { takeProbe } from './lib/probe.mjs';

const NAME = 'consumer';
const KEY_PREFIX = 'cons-media';
const RUN = crypto.randomBytes(3).toString('hex');
const U = `cons-u-${RUN}`;
const V = `cons-v-${RUN}`;
const X = `cons-x-${RUN}`;
const W = `cons-w-${RUN}`;
const DEFAULT_KINDS = expectedKinds(readProfiles(path.join(repoRoot, 'etc/profiles.ini')).default);

let kafka;
let s3;
let imsd;
let browser;
const passed = {};

before(async () => {
  dropDatabase(`imsd_e2e_${NAME}`);
  kafka = await startKafkaMock({ name: NAME });
  s3 = await startS3rver({ name: NAME });
  imsd = await startImsd({
    name: NAME,
    env: {
      ...s3.imsdEnv({ keyPrefix: KEY_PREFIX }),
      ...kafka.imsdEnv(),
      // the mock makes a group rejoin wait one session timeout (docs/kafka.md)
      IMSD_KAFKA_PROPERTIES: 'session.timeout.ms=6000;heartbeat.interval.ms=1000',
      IMSD_PROCESSING_RETRY_MAX_SECONDS: '2',
    },
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

// ---- helpers

/**
 * s3.start() again after s3.stop().  s3rver's readiness probe lists with
 * max-keys=1; on a bucket with more than one object s3rver then makes a
 * continuation token with DES, which Node 20's OpenSSL 3 refuses without the
 * legacy provider (HTTP 500, ERR_OSSL_EVP_UNSUPPORTED).  The s3rver child
 * inherits this process's environment, so lend it the flag for the spawn.
 */
async function restartS3() {
  const saved = process.env.NODE_OPTIONS;
  process.env.NODE_OPTIONS = `${saved ? `${saved} ` : ''}--openssl-legacy-provider`;
  try {
    await s3.start();
  } finally {
    if (saved === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = saved;
  }
}

/** kcat -P one message; partition 0 unless told (so messages keep their order). */
function produce(topic, value, { key, partition = 0, headers = {} } = {}) {
  const args = ['-P', '-b', kafka.bootstrap, '-t', topic, '-p', String(partition)];
  if (key !== undefined) args.push('-k', key);
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}=${v}`);
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  assert.ok(!text.includes('\n'), 'kcat -P sends one message per line');
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`kcat ${args.join(' ')}: exit ${code}: ${err}`))));
    child.stdin.end(`${text}\n`);
  });
}

/** The user service's envelope. */
function userServiceEvent(eventType, userId, data = {}) {
  return { eventId: crypto.randomUUID(), eventType, timestamp: Date.now(), userId, data: { userId, ...data } };
}

/** The API gateway's envelope. */
function gatewayEvent(eventType, userId, payload = {}) {
  return {
    eventId: crypto.randomUUID(), eventType, timestamp: new Date().toISOString(), version: '1.0',
    source: 'api-gateway', payload: { userId, ...payload },
  };
}

async function createSessionFor(userId, { questions, thinkSeconds = 30, maxRetakes = 1 } = {}) {
  const interviewId = `cons-interview-${userId}`;
  const res = await imsd.request('POST', '/api/v1/sessions', {
    body: {
      interviewId, userId, candidateEmail: `${userId}@example.test`,
      settings: { thinkSeconds, maxRetakes },
      questions: questions || [{ id: 'q1', text: 'Tell us about yourself.', timeLimitSeconds: 30 }],
    },
  });
  assert.equal(res.status, 201, `create session for ${userId}: ${res.text}`);
  return { ...res.json, interviewId };
}

async function processedEvent(eventId) {
  const rows = await query(imsd, `SELECT event_id, service_name, event_type FROM processed_events WHERE event_id = '${eventId}'`);
  return rows;
}

function waitProcessed(eventId, what, timeoutMs = 30000) {
  return waitFor(async () => {
    const rows = await processedEvent(eventId);
    return rows.length ? rows : null;
  }, { timeoutMs, intervalMs: 250, what: `processed_events row of ${what} ${eventId}` });
}

async function userRows(userId) {
  const [r] = await query(imsd, `SELECT
      (SELECT count(*)::int FROM sessions WHERE user_id = '${userId}') AS sessions,
      (SELECT count(*)::int FROM questions q JOIN sessions s ON s.id = q.session_id WHERE s.user_id = '${userId}') AS questions,
      (SELECT count(*)::int FROM takes t JOIN sessions s ON s.id = t.session_id WHERE s.user_id = '${userId}') AS takes,
      (SELECT count(*)::int FROM media_files m JOIN sessions s ON s.id = m.session_id WHERE s.user_id = '${userId}') AS media_files`);
  return r;
}

async function mediaFilesOf(sessionId) {
  return query(imsd, `SELECT id, take_id, kind, object_key, size_bytes, status FROM media_files
    WHERE session_id = '${sessionId}' ORDER BY object_key`);
}

/** Waits until every take of the session is processed with one stored object per kind. */
async function waitStored(sessionId, takes) {
  return waitFor(async () => {
    const rows = await takeRows(imsd, sessionId);
    if (rows.length !== takes || !rows.every((r) => r.processed_at)) return null;
    const files = await mediaFilesOf(sessionId);
    return files.length === takes * DEFAULT_KINDS.length ? files : null;
  }, { timeoutMs: 90000, intervalMs: 500, what: `${takes} processed take(s) of ${sessionId} with their objects` });
}

async function waitOutboxSent() {
  await waitFor(async () => {
    const [{ n }] = await query(imsd, 'SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL');
    return n === 0;
  }, { timeoutMs: 30000, intervalMs: 300, what: 'no unsent outbox row' });
}

async function mediaDeletedOnKafka() {
  return (await kafka.consume('media-events')).filter((m) => m.value && m.value.eventType === 'media.deleted');
}

/** Answers question 0 of a fresh page: take 1, then (takes = 2) a retake. */
async function recordTakes(page, takes) {
  await waitForState(page, 's => s.questionIndex === 0 && s.mediaReady', { what: 'Q1 with media ready' });
  for (let n = 1; n <= takes; n++) {
    if (n > 1) {
      await clickButton(page, 'retake');
      await waitForState(page, 's => s.questionIndex === 0 && (s.phase === "thinking" || s.phase === "recording")',
        { what: 'thinking after retake' });
    }
    await recordTake(page, 0, n);
    await sleep(2500);
    await stopTake(page, 0, n);
  }
}

function pageErrors(page) {
  return page.evaluate(() => window.imsd.errors.map((e) => e.code));
}

// ---- 1. user.deleted

const t1 = {};

test('user.deleted erases every object and row of the user, one media.deleted per object; a redelivery changes nothing',
  { timeout: 150000 }, async () => {
    let pageU;
    await withLogOnFailure(imsd, async () => {
      // U: 2 takes; V: 1 take
      const sessU = await createSessionFor(U);
      pageU = await openCandidate(browser.context, sessU.joinUrl);
      await recordTakes(pageU, 2);
      const sessV = await createSessionFor(V);
      const pageV = await openCandidate(browser.context, sessV.joinUrl);
      await recordTakes(pageV, 1);
      await pageV.close();

      const filesU = await waitStored(sessU.sessionId, 2);
      const filesV = await waitStored(sessV.sessionId, 1);
      const takesU = await takeRows(imsd, sessU.sessionId);
      for (const f of [...filesU, ...filesV]) {
        assert.equal(f.status, 'stored', JSON.stringify(f));
        const obj = await s3.getObject(f.object_key);
        assert.equal(obj.status, 200, `before: ${f.object_key} is in S3`);
      }
      const keysU = (await s3.listObjects(`${KEY_PREFIX}/${sessU.interviewId}/`)).map((o) => o.key).sort();
      assert.deepEqual(keysU, filesU.map((f) => f.object_key).sort(), 'before: the bucket holds exactly U\'s media_files');
      const rowsVBefore = await userRows(V);
      assert.deepEqual(rowsVBefore, { sessions: 1, questions: 1, takes: 1, media_files: DEFAULT_KINDS.length });
      await waitOutboxSent();
      const holding = async (text) => (await query(imsd,
        `SELECT event_type FROM outbox WHERE strpos(value, '${text}') > 0 ORDER BY id`)).map((r) => r.event_type);
      assert.deepEqual(await holding(`${U}@example.test`), ['candidate.started'], 'before: U\'s e-mail is in the outbox');
      const outboxVBefore = await holding(V);
      assert.equal((await mediaDeletedOnKafka()).length, 0, 'no media.deleted before the event');
      const outboxBefore = await query(imsd, 'SELECT max(id)::int AS id FROM outbox');

      // the user service says U is gone
      const event = userServiceEvent('user.deleted', U, { reason: 'gdpr_request' });
      await produce('user-events', event, { key: U });
      assert.deepEqual(await waitProcessed(event.eventId, 'user.deleted'),
        [{ event_id: event.eventId, service_name: 'media-server', event_type: 'user.deleted' }]);

      // U's live page was ended
      await pageU.waitForFunction(() => window.imsd.errors.some((e) => e.code === 'logged_out'), null, { timeout: 10000 })
        .catch(async (err) => { throw new Error(`U's page got no logged_out: ${err.message}\n${await describePage(pageU)}`); });

      // every object and row of U is gone
      for (const f of filesU) {
        const obj = await s3.getObject(f.object_key);
        assert.equal(obj.status, 404, `${f.object_key} is gone from S3 (HTTP ${obj.status})`);
      }
      assert.deepEqual(await s3.listObjects(`${KEY_PREFIX}/${sessU.interviewId}/`), [], 'nothing of U left in the bucket');
      assert.deepEqual(await userRows(U), { sessions: 0, questions: 0, takes: 0, media_files: 0 }, 'U\'s rows are gone');
      for (const t of takesU) assert.ok(!fs.existsSync(t.path), `spool file ${t.path} is gone`);
      const folderU = path.dirname(takesU[0].path);
      assert.equal(path.basename(folderU), sessU.sessionId, `the take files were in the session's folder: ${folderU}`);
      assert.ok(!fs.existsSync(folderU), `the session's spool folder ${folderU} is gone`);
      // the outbox keeps nothing of U but the erasure's own media.deleted (to go out), and never the e-mail
      assert.deepEqual(await holding(`${U}@example.test`), [], 'no outbox row holds U\'s e-mail');
      assert.deepEqual(await holding(U), filesU.map(() => 'media.deleted'), 'the only outbox rows with U\'s id are the media.deleted of the erasure');
      assert.deepEqual(await holding(V), outboxVBefore, 'V\'s outbox rows stay');
      const api = await imsd.getSession(sessU.sessionId);
      assert.equal(api.status, 404, `GET the erased session: ${api.status} ${api.text}`);

      // V is untouched
      assert.deepEqual(await userRows(V), rowsVBefore, 'V\'s rows stay');
      assert.deepEqual(await mediaFilesOf(sessV.sessionId), filesV, 'V\'s media_files rows unchanged');
      for (const f of filesV) {
        const obj = await s3.getObject(f.object_key);
        assert.equal(obj.status, 200, `V's ${f.object_key} stays in S3`);
        assert.equal(obj.bytes.length, Number(f.size_bytes), `V's ${f.object_key} size`);
      }

      // one media.deleted per erased object, in the outbox and on media-events
      const outboxDeleted = await query(imsd, `SELECT event_id, topic, message_key FROM outbox
        WHERE id > ${outboxBefore[0].id || 0} ORDER BY id`);
      assert.equal(outboxDeleted.length, filesU.length, `outbox rows after the event: ${JSON.stringify(outboxDeleted)}`);
      await waitOutboxSent();
      const deleted = await mediaDeletedOnKafka();
      assert.equal(deleted.length, filesU.length, `one media.deleted per object (${filesU.length}): ${deleted.map((m) => m.payload).join('\n')}`);
      const validation = await validateEvents(repoRoot, deleted.map((m) => m.payload));
      assert.ok(validation.ok, `validate.mjs (exit ${validation.code}):\n${validation.output}`);
      assert.match(validation.output, new RegExp(`^${deleted.length} passed, 0 failed$`, 'm'));
      assert.deepEqual(deleted.map((m) => m.value.payload.fileId).sort(), filesU.map((f) => f.id).sort(),
        'fileId = media_files.id of each erased object');
      assert.deepEqual(deleted.map((m) => m.value.eventId).sort(), outboxDeleted.map((r) => r.event_id).sort(),
        'the eventIds are the outbox rows\'');
      for (const m of deleted) {
        const p = m.value.payload;
        const file = filesU.find((f) => f.id === p.fileId);
        assert.equal(m.key, U, 'key userId');
        assert.equal(p.userId, U, 'payload.userId');
        assert.equal(p.reason, 'user_deleted', 'reason');
        assert.equal(p.fileSize, Number(file.size_bytes), `fileSize of ${file.object_key}`);
        assert.equal(m.headers.eventType, 'media.deleted', 'eventType header');
        assert.equal(m.headers.eventId, m.value.eventId, 'eventId header');
        assert.equal(m.value.correlationId, event.eventId, 'correlationId = the user.deleted eventId');
      }
      assert.equal(new Set(deleted.map((m) => m.partition)).size, 1, 'one key, one partition');

      // the same event again (a redelivery): skipped.  A marker after it on the
      // same partition tells when imsd has got past it.
      await produce('user-events', event, { key: U });
      const marker = userServiceEvent('user.logged_out', `cons-nobody-${RUN}`);
      await produce('user-events', marker, { key: U });
      await waitProcessed(marker.eventId, 'the marker after the redelivery');
      assert.ok(imsd.logText().includes(`user.deleted ${event.eventId} already processed: skipped`),
        'imsd logs the redelivery as skipped');
      assert.equal((await processedEvent(event.eventId)).length, 1, 'one processed_events row');
      const [{ n }] = await query(imsd, `SELECT count(*)::int AS n FROM outbox WHERE id > ${outboxBefore[0].id || 0}`);
      assert.equal(n, filesU.length, 'no new outbox row after the redelivery');
      await waitOutboxSent();
      assert.equal((await mediaDeletedOnKafka()).length, filesU.length, 'no second set of media.deleted');
      assert.deepEqual(await userRows(V), rowsVBefore, 'V\'s rows still stay');
      const dlq = await kafka.consume('user-events-dlq');
      assert.equal(dlq.length, 0, `nothing in the DLQ: ${dlq.map((m) => m.payload).join('\n')}`);

      t1.sessV = sessV;
      t1.filesV = filesV;
      t1.rowsV = rowsVBefore;
      passed.t1 = true;
    }, () => (pageU && !pageU.isClosed() ? describePage(pageU) : ''));
    if (pageU) await pageU.close();
  });

// ---- 2. gateway shape, no media

test('user.deleted in the gateway shape for a user without media: rows gone, processed, no event', { timeout: 30000 }, async () => {
  await withLogOnFailure(imsd, async () => {
    const sessX = await createSessionFor(X);
    assert.deepEqual(await userRows(X), { sessions: 1, questions: 1, takes: 0, media_files: 0 });
    const [{ id: outboxMax }] = await query(imsd, 'SELECT coalesce(max(id), 0)::int AS id FROM outbox');
    const deletedBefore = (await mediaDeletedOnKafka()).length;

    const event = gatewayEvent('user.deleted', X);
    await produce('user-events', event, { key: X });
    assert.deepEqual(await waitProcessed(event.eventId, 'gateway user.deleted'),
      [{ event_id: event.eventId, service_name: 'media-server', event_type: 'user.deleted' }]);
    assert.deepEqual(await userRows(X), { sessions: 0, questions: 0, takes: 0, media_files: 0 },
      'the user id was read from payload.userId: X\'s session is gone');
    assert.equal((await imsd.getSession(sessX.sessionId)).status, 404);
    const newRows = await query(imsd, `SELECT event_type, message_key FROM outbox WHERE id > ${outboxMax}`);
    assert.deepEqual(newRows, [], 'no event for a user without media');
    await sleep(500);
    assert.equal((await mediaDeletedOnKafka()).length, deletedBefore, 'no media.deleted on Kafka');
    if (passed.t1) assert.deepEqual(await userRows(V), t1.rowsV, 'V\'s rows still stay');
  });
});

// ---- 3. poison, unknown type, then a good one

test('poison messages go to user-events-dlq at once with the dlq-* headers; unknown types are skipped; the consumer goes on',
  { timeout: 40000 }, async () => {
    let dlq = [];
    await withLogOnFailure(imsd, async () => {
      const dlqBefore = (await kafka.consume('user-events-dlq')).length;
      const retriesBefore = (imsd.logText().match(/; retry \d of \d in \d+ ms/g) || []).length;
      const L = `cons-l-${RUN}`;
      const noType = { eventId: crypto.randomUUID(), timestamp: Date.now(), userId: L };
      const noUser = { eventId: crypto.randomUUID(), eventType: 'user.deleted', timestamp: Date.now(), data: {} };
      const unknown = userServiceEvent('user.renamed', L, { name: 'New Name' });
      const good = userServiceEvent('user.logged_out', L);
      const poison = 'not json{';
      await produce('user-events', poison, { key: 'poison-key' });
      await produce('user-events', noType, { key: L });
      await produce('user-events', noUser, { key: L });
      await produce('user-events', unknown, { key: L });
      await produce('user-events', good, { key: L });
      const started = Date.now();
      assert.deepEqual(await waitProcessed(good.eventId, 'the user.logged_out after the poison'),
        [{ event_id: good.eventId, service_name: 'media-server', event_type: 'user.logged_out' }]);
      const tookMs = Date.now() - started;

      // where the bad ones were on user-events
      const source = (await kafka.consume('user-events')).filter((m) => m.partition === 0);
      const at = (payload) => {
        const found = source.filter((m) => m.payload === payload);
        assert.equal(found.length, 1, `produced once: ${payload}`);
        return found[0];
      };
      const bad = [
        { what: 'not JSON', src: at(poison) },
        { what: 'no eventType', src: at(JSON.stringify(noType)) },
        { what: 'user.deleted without a user id', src: at(JSON.stringify(noUser)) },
      ];
      assert.ok(bad[0].src.offset < bad[1].src.offset && bad[1].src.offset < bad[2].src.offset);

      dlq = (await kafka.consume('user-events-dlq')).slice(dlqBefore);
      assert.equal(dlq.length, bad.length, 'exactly the 3 bad messages are dead-lettered (not the unknown type, not the good one)');
      for (let i = 0; i < bad.length; i++) {
        const { what, src } = bad[i];
        const m = dlq[i];
        assert.equal(m.payload, src.payload, `${what}: the DLQ holds the message as it was`);
        assert.equal(m.key, src.key, `${what}: key kept`);
        assert.equal(m.headers['dlq-original-topic'], 'user-events', `${what}: dlq-original-topic`);
        assert.equal(m.headers['dlq-original-partition'], '0', `${what}: dlq-original-partition`);
        assert.equal(m.headers['dlq-original-offset'], String(src.offset), `${what}: dlq-original-offset`);
        assert.equal(m.headers['dlq-retry-count'], '0', `${what}: no retries`);
        assert.ok(typeof m.headers['dlq-error'] === 'string' && m.headers['dlq-error'].length > 0,
          `${what}: dlq-error says why: ${JSON.stringify(m.headers)}`);
      }
      // "at once": 3 retries would take 0.5 + 1 + 2 s per message
      assert.ok(tookMs < 3500, `no backoff before the dead letters (${tookMs} ms)`);
      assert.equal((imsd.logText().match(/; retry \d of \d in \d+ ms/g) || []).length, retriesBefore, 'no retry logged');
      assert.deepEqual(await processedEvent(unknown.eventId), [], 'the unknown type left no processed_events row');
      assert.ok(imsd.logText().includes(`skipping user.renamed ${unknown.eventId}`), 'imsd logs the unknown type as skipped');
      for (const e of [noType, noUser]) assert.deepEqual(await processedEvent(e.eventId), []);
      assert.equal(imsd.isAlive(), true);
    }, async () => `DLQ:\n${dlq.map((m) => `${m.partition}@${m.offset} key=${m.key} ${JSON.stringify(m.headers)} ${m.payload}`).join('\n')}`);
  });

// ---- 4. logged out while recording

test('user.logged_out on auth-events while recording: logged_out on the page, take interrupted and decodable, the link resumes',
  { timeout: 120000 }, async () => {
    let page;
    let page2;
    await withLogOnFailure(imsd, async () => {
      const sessW = await createSessionFor(W, {
        questions: [
          { id: 'w-q1', text: 'What did you build last?', timeLimitSeconds: 30 },
          { id: 'w-q2', text: 'And before that?', timeLimitSeconds: 30 },
        ],
      });
      const id = sessW.sessionId;
      page = await openCandidate(browser.context, sessW.joinUrl);
      await waitForState(page, 's => s.questionIndex === 0 && s.mediaReady', { what: 'Q1 with media ready' });
      await recordTake(page, 0, 1);
      await sleep(3000);
      const [open] = await takeRows(imsd, id);
      assert.equal(open.status, 'recording', 'recording before the event');

      const event = gatewayEvent('user.logged_out', W, { sessionId: crypto.randomUUID(), reason: 'user_initiated' });
      await produce('auth-events', event, { key: W });
      await page.waitForFunction(() => window.imsd.errors.some((e) => e.code === 'logged_out'), null, { timeout: 15000 })
        .catch(async (err) => { throw new Error(`no logged_out on the page: ${err.message}\n${await describePage(page)}`); });
      await page.waitForFunction(() => window.imsd.connected === false, null, { timeout: 10000 });
      assert.deepEqual(await waitProcessed(event.eventId, 'user.logged_out'),
        [{ event_id: event.eventId, service_name: 'media-server', event_type: 'user.logged_out' }]);

      const [row] = await takeRows(imsd, id);
      assert.equal(row.status, 'interrupted', `the take is interrupted: ${JSON.stringify(row)}`);
      assert.ok(row.stopped_at, 'stopped_at set');
      assert.ok(Number(row.size_bytes) > 0, 'size_bytes set');
      // the file: from the spool while it is there, else from S3 once processed
      let file = row.path;
      let probe = fs.existsSync(file) ? await takeProbe(file).catch(() => null) : null;
      if (!probe || !probe.ok) {
        const files = await waitFor(async () => {
          const f = await mediaFilesOf(id);
          return f.some((x) => x.kind === 'original') ? f : null;
        }, { timeoutMs: 60000, intervalMs: 500, what: 'the interrupted take\'s original in S3' });
        const obj = await s3.getObject(files.find((x) => x.kind === 'original').object_key);
        assert.equal(obj.status, 200);
        file = path.join(os.tmpdir(), `cons-${RUN}-interrupted.mkv`);
        fs.writeFileSync(file, obj.bytes);
        probe = await takeProbe(file);
        fs.rmSync(file, { force: true });
      }
      assert.equal(probe.ok, true, `the interrupted take decodes: ${JSON.stringify(probe)}`);
      assert.equal(probe.hasVideo, true, `has video: ${JSON.stringify(probe)}`);
      assert.ok(probe.decodedVideoFrames > 0, `decodable frames: ${JSON.stringify(probe)}`);
      assert.ok(probe.durationMs >= 1500, `about 3 s recorded: ${JSON.stringify(probe)}`);
      await page.close();

      // opening the link again continues the session
      page2 = await openCandidate(browser.context, sessW.joinUrl);
      const s = await waitForState(page2,
        's => s.mediaReady && s.takes.some(t => t.questionIndex === 0 && t.number === 1 && t.status === "interrupted")',
        { timeoutMs: 30000, what: 'the resumed session' });
      assert.equal(s.questionIndex, 0, 'same question');
      assert.equal(s.phase, 'thinking', 'the interrupted question can be answered again');
      assert.equal(s.retakesLeft, 1, 'an interrupted take uses no retake');
      await recordTake(page2, 0, 2);
      await sleep(1500);
      const done = await stopTake(page2, 0, 2);
      assert.equal(done.takes.find((t) => t.questionIndex === 0 && t.number === 2).status, 'completed');
      assert.deepEqual((await takeRows(imsd, id)).map((r) => `${r.question_idx}-${r.number}:${r.status}`),
        ['0-1:interrupted', '0-2:completed']);
      assert.deepEqual(await pageErrors(page2), [], 'no error on the resumed page');
    }, () => {
      const p = page2 && !page2.isClosed() ? page2 : page;
      return p && !p.isClosed() ? describePage(p) : '';
    });
    if (page2 && !page2.isClosed()) await page2.close();
  });

// ---- 5. a failing handler: retries, then the DLQ

test('user.deleted failing (S3 down) is retried 3 times with backoff, then dead-lettered with dlq-retry-count 3',
  { timeout: 60000 }, async () => {
    assert.ok(passed.t1, 'needs V\'s session from test 1');
    let dlq = [];
    await withLogOnFailure(imsd, async () => {
      const { sessV, filesV, rowsV } = t1;
      const dlqBefore = (await kafka.consume('user-events-dlq')).length;
      await s3.stop();
      const event = userServiceEvent('user.deleted', V);
      const started = Date.now();
      await produce('user-events', event, { key: V });
      dlq = await waitFor(async () => {
        const all = (await kafka.consume('user-events-dlq')).slice(dlqBefore);
        return all.length ? all : null;
      }, { timeoutMs: 30000, intervalMs: 300, what: 'the failed user.deleted in user-events-dlq' });
      const tookMs = Date.now() - started;
      assert.equal(dlq.length, 1);
      const [m] = dlq;
      const src = (await kafka.consume('user-events')).find((x) => x.payload === JSON.stringify(event));
      assert.ok(src, 'the event is on user-events');
      assert.equal(m.payload, src.payload);
      assert.equal(m.key, V);
      assert.equal(m.headers['dlq-original-topic'], 'user-events');
      assert.equal(m.headers['dlq-original-partition'], String(src.partition));
      assert.equal(m.headers['dlq-original-offset'], String(src.offset));
      assert.equal(m.headers['dlq-retry-count'], '3');
      assert.ok(m.headers['dlq-error'], 'dlq-error says why');
      assert.ok(tookMs >= 3500, `backoff 0.5 + 1 + 2 s before the DLQ (took ${tookMs} ms)`);
      const log = imsd.logText();
      for (const [n, ms] of [[1, 500], [2, 1000], [3, 2000]]) {
        assert.ok(log.includes(`user.deleted ${event.eventId}: `) && new RegExp(`user\\.deleted ${event.eventId}: .*; retry ${n} of 3 in ${ms} ms`).test(log),
          `retry ${n} logged with ${ms} ms`);
      }
      assert.deepEqual(await processedEvent(event.eventId), [], 'a failed event is not marked processed');
      assert.deepEqual(await userRows(V), rowsV, 'nothing of V erased while S3 was down');

      // S3 back, the same event delivered again (e.g. replayed from the DLQ): carried out
      await restartS3();
      for (const f of filesV) assert.equal((await s3.getObject(f.object_key)).status, 200, 'V\'s objects survived');
      await produce('user-events', event, { key: V });
      await waitProcessed(event.eventId, 'the replayed user.deleted');
      assert.deepEqual(await userRows(V), { sessions: 0, questions: 0, takes: 0, media_files: 0 });
      for (const f of filesV) assert.equal((await s3.getObject(f.object_key)).status, 404, `${f.object_key} gone`);
      await waitOutboxSent();
      const deletedV = (await mediaDeletedOnKafka()).filter((x) => x.value.payload.userId === V);
      assert.deepEqual(deletedV.map((x) => x.value.payload.fileId).sort(), filesV.map((f) => f.id).sort(),
        'one media.deleted per V object, none from the failed attempts');
      assert.equal((await imsd.getSession(sessV.sessionId)).status, 404);
    }, async () => `DLQ:\n${dlq.map((m) => `${m.partition}@${m.offset} key=${m.key} ${JSON.stringify(m.headers)} ${m.payload}`).join('\n')}`);
  });
