// database-faults.test.mjs: PostgreSQL away while candidates record.
//
// imsd runs against a private PostgreSQL cluster (lib/postgres.mjs) and a
// private s3rver, so the test can take the database away:
//   (a) stopped for >= 20 s while two candidates record: A presses Stop and
//       B presses End during the outage.  Their pages say "saving" (never
//       "saved", never the completed screen) until the database has the
//       change; afterwards, without a restart of imsd, every take is
//       completed with its real duration, processed, uploaded and announced
//       exactly once, and B's session is completed with its events once.
//   (b) frozen (SIGSTOP on every server process) for 10 s while a candidate
//       records and a REST request waits for the database: the main loop
//       keeps answering pings (p99 < 100 ms) and the take keeps growing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { startImsd, withLogOnFailure, waitFor, repoRoot } from './lib/imsd.mjs';
import { query, sessionRow, takeRows } from './lib/db.mjs';
import { launchBrowser, waitForState, describePage, clickButton } from './lib/browser.mjs';
import { openCandidate, recordTake, finishNow } from './lib/candidate.mjs';
import { startS3rver, readProfiles, expectedKinds } from './lib/s3.mjs';
import { startPostgres } from './lib/postgres.mjs';
import { openSignaling } from './lib/signaling.mjs';

const PROFILES = readProfiles(path.join(repoRoot, 'etc/profiles.ini'));
const OUTAGE_MS = 20000;

let pg;
let s3;
let imsd;
let browser;

before(async () => {
  pg = await startPostgres({ name: 'dbfaults' });
  s3 = await startS3rver({ name: 'dbfaults' });
  imsd = await startImsd({
    name: 'database_faults',
    databaseUrl: pg.url,
    env: { ...s3.imsdEnv({ keyPrefix: 'dbfaults' }), IMSD_PROCESSING_RETRY_MAX_SECONDS: '2' },
  });
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (pg) pg.thaw();
  if (imsd) await imsd.shutdown();
  if (s3) await s3.shutdown();
  if (pg) pg.shutdown();
});

const pageState = (page) => page.evaluate(() => window.imsd.state);
const pageText = (page) => page.evaluate(() => document.body.innerText);

async function outbox(filter) {
  return query(imsd, `SELECT event_type, value FROM outbox WHERE ${filter} ORDER BY id`);
}

/** How many outbox events of type have payload[field] === value (any field with field null). */
async function countEvents(type, value, field = null) {
  const rows = await outbox(`event_type = '${type}'`);
  return rows.filter((r) => {
    const payload = JSON.parse(r.value).payload || {};
    return field ? payload[field] === value : Object.values(payload).includes(value);
  }).length;
}

/** The take is stored whole, once: row, objects, events. */
async function checkTakeDone(take, recordedMs, where) {
  assert.equal(take.status, 'completed', `${where}: status`);
  const duration = Number(take.duration_ms);
  assert.ok(Math.abs(duration - recordedMs) < 1500,
    `${where}: duration ${duration} ms is what was recorded (~${recordedMs} ms)`);
  assert.ok(Number(take.size_bytes) > 0, `${where}: size`);
  assert.ok(take.processed_at, `${where}: processed`);
  assert.equal(take.processing_error, null, `${where}: no processing error`);
  const files = await query(imsd, `SELECT * FROM media_files WHERE take_id = '${take.id}'`);
  assert.deepEqual(files.map((f) => f.kind).sort(), [...expectedKinds(PROFILES.default)].sort(),
    `${where}: one object per kind`);
  for (const file of files) {
    const object = await s3.getObject(file.object_key);
    assert.equal(object.status, 200, `${where}: ${file.object_key} is in S3`);
    assert.equal(object.bytes.length, Number(file.size_bytes), `${where}: ${file.kind} whole`);
    assert.equal(await countEvents('media.uploaded', file.id, 'fileId'), 1, `${where}: media.uploaded once for ${file.kind}`);
  }
  assert.equal(await countEvents('candidate.response_submitted', take.id), 1, `${where}: response_submitted once`);
  assert.equal(await countEvents('media.processed', take.id), 1, `${where}: media.processed once`);
}

test('(a) PostgreSQL stopped for 20 s: Stop and End during the outage are saved once it is back',
  { timeout: 150000 }, async () => {
    await withLogOnFailure(imsd, async () => {
      const question = (id) => [{ id, text: 'How do you handle an outage?', timeLimitSeconds: 60 }];
      const a = await imsd.createSession({ questions: question('dbout-a'), thinkSeconds: 30, profile: 'default' });
      const b = await imsd.createSession({ questions: question('dbout-b'), thinkSeconds: 30, profile: 'default' });
      const pageA = await openCandidate(browser.context, a.joinUrl);
      const pageB = await openCandidate(browser.context, b.joinUrl);
      try {
        await waitForState(pageA, 's => s.mediaReady', { what: 'A media ready' });
        await waitForState(pageB, 's => s.mediaReady', { what: 'B media ready' });
        await recordTake(pageA, 0, 1);
        const startedA = Date.now();
        await recordTake(pageB, 0, 1);
        const startedB = Date.now();
        await waitForState(pageA, 's => s.takeWriting', { what: 'A writing' });
        await waitForState(pageB, 's => s.takeWriting', { what: 'B writing' });
        await sleep(2000);

        pg.stop();
        const outageStart = Date.now();
        await sleep(2000);
        await clickButton(pageA, 'stop');
        const recordedA = Date.now() - startedA;
        await finishNow(pageB);
        const recordedB = Date.now() - startedB;

        // while the database is away: "saving", never "saved", never completed
        const savingA = await waitForState(pageA, 's => s.phase === "review" && s.saved === false',
          { what: 'A in review, not saved' });
        assert.equal(savingA.takes[0].saved, false, 'A: the take is not saved yet');
        const savingB = await waitForState(pageB, 's => s.phase === "completed" && s.saved === false',
          { what: 'B completed, not saved' });
        assert.equal(savingB.saved, false);
        const readyDown = await waitFor(async () => {
          const r = await imsd.readyz();
          return r.checks && r.checks.database === 'unreachable' ? r : null;
        }, { timeoutMs: 15000, what: '/readyz: database unreachable' });
        assert.equal(readyDown.httpStatus, 503);
        assert.ok(readyDown.database.waitingWrites >= 1, `writes wait: ${JSON.stringify(readyDown.database)}`);
        const rest = await imsd.getSession(a.sessionId);
        assert.equal(rest.status, 503, `REST while the database is away: ${rest.text}`);
        assert.equal(rest.json.code, 'database_unavailable');
        while (Date.now() - outageStart < OUTAGE_MS) {
          const textA = await pageText(pageA);
          assert.match(textA, /Saving/, 'A: the page says saving');
          assert.doesNotMatch(textA, /has been saved|\bSaved\b/, 'A: the page never says saved during the outage');
          const textB = await pageText(pageB);
          assert.doesNotMatch(textB, /interview is complete/, 'B: no completed screen during the outage');
          assert.equal((await pageState(pageA)).saved, false);
          await sleep(1000);
        }

        pg.start();
        await waitForState(pageA, 's => s.saved === true && s.takes[0].saved === true',
          { timeoutMs: 30000, what: 'A saved once the database is back' });
        await pageA.waitForFunction(() => /has been saved/.test(document.body.innerText), null, { timeout: 10000 });
        await pageB.waitForFunction(() => /interview is complete/.test(document.body.innerText), null, { timeout: 30000 });

        // without a restart: processed, uploaded, announced once
        const [takeA] = await waitFor(async () => {
          const rows = await takeRows(imsd, a.sessionId);
          return rows.length === 1 && rows[0].processed_at ? rows : null;
        }, { timeoutMs: 60000, what: 'A processed' });
        const [takeB] = await waitFor(async () => {
          const rows = await takeRows(imsd, b.sessionId);
          return rows.length === 1 && rows[0].processed_at ? rows : null;
        }, { timeoutMs: 60000, what: 'B processed' });
        await checkTakeDone(takeA, recordedA, 'A');
        await checkTakeDone(takeB, recordedB, 'B');
        assert.equal((await sessionRow(imsd, a.sessionId)).state, 'active');
        const rowB = await sessionRow(imsd, b.sessionId);
        assert.equal(rowB.state, 'completed', 'B: the session is completed');
        assert.ok(rowB.completed_at);
        for (const type of ['candidate.started', 'interview.started', 'candidate.completed', 'interview.completed']) {
          assert.equal(await countEvents(type, b.sessionId), 1, `B: ${type} once`);
        }
        assert.equal(await countEvents('candidate.completed', a.sessionId), 0, 'A: not completed');
        const ids = await query(imsd, 'SELECT event_id FROM outbox');
        assert.equal(new Set(ids.map((r) => r.event_id)).size, ids.length, 'no event id twice');
        assert.equal((await imsd.readyz()).checks.database, 'ok');
      } catch (err) {
        throw new Error(`${err.message}\nA: ${await describePage(pageA).catch(() => '')}\n` +
          `B: ${await describePage(pageB).catch(() => '')}`);
      } finally {
        await pageA.close();
        await pageB.close();
      }
    });
  });

/** The growing .mkv of the session's open take (the database cannot say, it is frozen). */
function takeFile(sessionId) {
  const dir = path.join(imsd.spoolDir, sessionId);
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.mkv'));
  assert.equal(files.length, 1, `one take file in ${dir}: ${files}`);
  return path.join(dir, files[0]);
}

test('(b) PostgreSQL frozen for 10 s: pings are answered at once and the take keeps writing',
  { timeout: 90000 }, async () => {
    await withLogOnFailure(imsd, async () => {
      const session = await imsd.createSession({
        questions: [{ id: 'freeze-q1', text: 'Talk for a while.', timeLimitSeconds: 60 }],
        thinkSeconds: 30, profile: 'default',
      });
      const page = await openCandidate(browser.context, session.joinUrl);
      const client = await openSignaling(imsd.baseUrl);
      try {
        await waitForState(page, 's => s.mediaReady', { what: 'media ready' });
        await recordTake(page, 0, 1);
        await waitForState(page, 's => s.takeWriting', { what: 'writing' });
        const file = takeFile(session.sessionId);

        pg.freeze();
        const frozenAt = Date.now();
        const sizeBefore = fs.statSync(file).size;
        // a request that needs the database waits for it (on imsd's database thread)
        const waiting = imsd.getSession(session.sessionId).catch((err) => ({ status: `failed: ${err.cause || err}` }));
        const latencies = [];
        while (Date.now() - frozenAt < 10000) {
          const sent = performance.now();
          client.send({ type: 'ping' });
          await client.next((m) => m.type === 'pong', { timeoutMs: 15000, what: 'pong' });
          latencies.push(performance.now() - sent);
          await sleep(50);
        }
        const sizeAfter = fs.statSync(file).size;
        pg.thaw();

        latencies.sort((x, y) => x - y);
        const p50 = latencies[Math.floor(latencies.length * 0.5)];
        const p99 = latencies[Math.floor(latencies.length * 0.99)];
        const max = latencies[latencies.length - 1];
        process.stderr.write(`# ping while PostgreSQL is frozen: n=${latencies.length} p50=${p50.toFixed(1)} ms ` +
          `p99=${p99.toFixed(1)} ms max=${max.toFixed(1)} ms; take grew ${sizeAfter - sizeBefore} bytes\n`);
        assert.ok(latencies.length >= 50, `pings kept coming back: ${latencies.length}`);
        assert.ok(p99 < 100, `p99 ping latency ${p99.toFixed(1)} ms < 100 ms`);
        assert.ok(sizeAfter - sizeBefore > 50000, `the take kept writing: ${sizeBefore} -> ${sizeAfter}`);
        const answered = await waiting;
        assert.equal(answered.status, 200, 'the waiting request is answered once the database thaws');
        await clickButton(page, 'stop');
        await waitForState(page, 's => s.phase === "review" && s.saved === true', { what: 'saved after the freeze' });
      } catch (err) {
        throw new Error(`${err.message}\n${await describePage(page).catch(() => '')}`);
      } finally {
        client.close();
        await page.close();
      }
    });
  });

test('(c) imsd started while PostgreSQL is down waits for it instead of exiting',
  { timeout: 60000 }, async () => {
    pg.stop();
    let second;
    const starting = startImsd({ name: 'database_faults_start', databaseUrl: pg.url })
      .then((p) => { second = p; return p; });
    try {
      await sleep(4000);
      const logs = fs.readdirSync('/tmp').filter((d) => d.startsWith('imsd-database_faults_start-'))
        .map((d) => path.join('/tmp', d, 'imsd.log')).filter((f) => fs.existsSync(f))
        .sort((x, y) => fs.statSync(y).mtimeMs - fs.statSync(x).mtimeMs);
      assert.ok(logs.length > 0, 'the second imsd has a log');
      const log = fs.readFileSync(logs[0], 'utf8');
      const waits = log.split('\n').filter((l) => /PostgreSQL is not reachable yet .*trying again in \d+ ms/.test(l));
      assert.ok(waits.length >= 2, `it says why it waits, and tries again:\n${log}`);
      pg.start();
      await starting;
      assert.equal((await second.readyz()).checks.database, 'ok');
    } finally {
      pg.start();
      await starting.catch(() => {});
      if (second) await second.shutdown();
    }
  });
