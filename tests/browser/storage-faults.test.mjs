// storage-faults.test.mjs: S3 outages and crashes while takes are processed.
//
// One private s3rver and one imsd (IMSD_PROCESSING_RETRY_MAX_SECONDS=2).
//   (a) s3rver is stopped while a take records: the candidate saves the take
//       as usual; /readyz says storage unreachable with lastError and a
//       retrying take; the files stay in the spool and media_files stays
//       empty while imsd keeps retrying (backoff <= 2 s).  s3rver starts
//       again on the same port and data dir: within 30 s every object is
//       there, one media_files row per kind, processed_at set, spool cleaned,
//       /readyz ready again.
//   (b) a 'behavioral' take forced to VP8 (so the MP4 is an x264 transcode)
//       of ~15 s; kill -9 imsd while /readyz shows it being worked on, before
//       processed_at; restart: the take is processed to the end, one row per
//       kind, spool cleaned.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { startImsd, withLogOnFailure, waitFor, repoRoot } from './lib/imsd.mjs';
import { query, takeRows } from './lib/db.mjs';
import { launchBrowser, waitForState, describePage } from './lib/browser.mjs';
import { openCandidate, recordTake, stopTake } from './lib/candidate.mjs';
import { startS3rver, readProfiles, expectedKinds, checkStoredObjects } from './lib/s3.mjs';

const KEY_PREFIX = 'faults';
const PROFILES = readProfiles(path.join(repoRoot, 'etc/profiles.ini'));

let s3;
let imsd;
let browser;

before(async () => {
  s3 = await startS3rver({ name: 'faults' });
  imsd = await startImsd({
    name: 'storage_faults',
    env: { ...s3.imsdEnv({ keyPrefix: KEY_PREFIX }), IMSD_PROCESSING_RETRY_MAX_SECONDS: '2' },
  });
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (imsd) {
    if (imsd.failed && s3) s3.keep = true;
    await imsd.shutdown();
  }
  if (s3) await s3.shutdown();
});

function withCodec(joinUrl, codec) {
  const url = new URL(joinUrl); // the token is in the #fragment: keep it last
  url.searchParams.set('codec', codec);
  return url.href;
}

async function mediaFiles(takeId) {
  return query(imsd, `SELECT * FROM media_files WHERE take_id = '${takeId}'`);
}

/** Everything about a processed take: rows, objects, spool. */
async function checkProcessed(session, questionId, profileName, take) {
  const where = `${profileName} take ${take.number}`;
  assert.ok(take.processed_at, `${where}: processed_at`);
  assert.equal(take.processing_error, null, `${where}: processing_error`);
  const api = await imsd.getSession(session.sessionId);
  const objects = await checkStoredObjects(s3, {
    files: await mediaFiles(take.id),
    kinds: expectedKinds(PROFILES[profileName]),
    keyPrefix: KEY_PREFIX, interviewId: api.json.interviewId, sessionId: session.sessionId,
    questionId, number: take.number, takeId: take.id, where,
  });
  assert.equal(objects.original.length, Number(take.size_bytes), `${where}: original.mkv is the take as recorded`);
  assert.equal(fs.existsSync(take.path), false, `${where}: spool file deleted: ${take.path}`);
  assert.equal(fs.existsSync(`${take.path}.renditions`), false, `${where}: renditions dir deleted`);
  // no stray objects under the take's folder (e.g. from an attempt cut short)
  const folder = `${KEY_PREFIX}/${api.json.interviewId}/${session.sessionId}/${questionId}/take-${take.number}-${take.id}/`;
  const listed = (await s3.listObjects(folder)).map((o) => o.key).sort();
  assert.deepEqual(listed, (await mediaFiles(take.id)).map((f) => f.object_key).sort(),
    `${where}: the bucket holds exactly the rows' objects`);
}

/** Records one take of ~seconds on question 0 and closes the page; resolves with the takes row. */
async function recordOneTake(session, seconds, { codec, duringTake } = {}) {
  const url = codec ? withCodec(session.joinUrl, codec) : session.joinUrl;
  const page = await openCandidate(browser.context, url);
  try {
    await waitForState(page, 's => s.mediaReady', { what: 'media ready' });
    await recordTake(page, 0, 1);
    await sleep(seconds * 1000);
    if (duringTake) await duringTake();
    const s = await stopTake(page, 0, 1);
    assert.equal(s.takes.find((t) => t.questionIndex === 0 && t.number === 1).status, 'completed',
      'the candidate saved the take');
    assert.deepEqual(await page.evaluate(() => window.imsd.errors), [], 'the candidate saw no error');
  } catch (err) {
    throw new Error(`${err.message}\n${await describePage(page).catch(() => '')}`);
  } finally {
    await page.close();
  }
  const [take] = await takeRows(imsd, session.sessionId);
  assert.equal(take.status, 'completed');
  return take;
}

test('(a) S3 down when a take is saved: the take is kept in the spool, retried, and stored once S3 is back',
  { timeout: 90000 }, async () => {
    await withLogOnFailure(imsd, async () => {
      const session = await imsd.createSession({
        questions: [{ id: 'outage-q1', text: 'What do you do when a dependency is down?', timeLimitSeconds: 30 }],
        thinkSeconds: 30, profile: 'default',
      });
      assert.equal((await imsd.readyz()).checks.storage, 'ok', 'storage is ok before the outage');

      const take = await recordOneTake(session, 3, { duringTake: () => s3.stop() });
      assert.equal(s3.isAlive(), false);

      const down = await waitFor(async () => {
        const r = await imsd.readyz();
        return r.checks && r.checks.storage === 'unreachable' && r.processing.lastError &&
          r.processing.retrying >= 1 ? r : null;
      }, { timeoutMs: 20000, intervalMs: 100, what: '/readyz: storage unreachable, retrying' });
      assert.equal(down.httpStatus, 503, `not ready while S3 is down: ${JSON.stringify(down)}`);
      assert.equal(down.status, 'not_ready');
      assert.equal(down.checks.database, 'ok');

      // a few retry rounds go by: nothing is recorded, nothing deleted
      await sleep(5000);
      const retries = imsd.logText().split('\n')
        .filter((l) => l.includes(take.id) && /trying again in \d+ s/.test(l));
      assert.ok(retries.length >= 2, `imsd retried at least twice in ~5 s:\n${retries.join('\n')}`);
      for (const l of retries) {
        assert.ok(Number(l.match(/trying again in (\d+) s/)[1]) <= 2, `backoff capped at retry_max_seconds 2: ${l}`);
      }
      const [waiting] = await takeRows(imsd, session.sessionId);
      assert.equal(waiting.processed_at, null, 'not processed while S3 is down');
      assert.deepEqual(await mediaFiles(take.id), [], 'no media_files rows while S3 is down');
      assert.ok(fs.existsSync(take.path), `the take stays in the spool: ${take.path}`);
      assert.equal(fs.statSync(take.path).size, Number(take.size_bytes));

      await s3.start();
      const done = await waitFor(async () => {
        const [row] = await takeRows(imsd, session.sessionId);
        return row.processed_at ? row : null;
      }, { timeoutMs: 30000, intervalMs: 250, what: 'processed_at once S3 is back' });
      await checkProcessed(session, 'outage-q1', 'default', done);

      const ready = await waitFor(async () => {
        const r = await imsd.readyz();
        return r.httpStatus === 200 ? r : null;
      }, { timeoutMs: 20000, what: '/readyz ready again' });
      assert.equal(ready.status, 'ready');
      assert.equal(ready.checks.storage, 'ok');
      assert.equal(ready.processing.retrying, 0);
      assert.equal(ready.processing.working, 0);
    });
  });

test('(b) kill -9 while a behavioral take is transcoded: after the restart it is processed to the end',
  { timeout: 120000 }, async () => {
    await withLogOnFailure(imsd, async () => {
      assert.ok(s3.isAlive(), 'S3 is up');
      const session = await imsd.createSession({
        questions: [{ id: 'crash-q1', text: 'Tell us about a long week.', timeLimitSeconds: 60 }],
        thinkSeconds: 30, profile: 'behavioral',
      });
      const take = await recordOneTake(session, 15, { codec: 'vp8' });
      assert.equal(take.video_codec, 'VP8', 'a VP8 take: the MP4 is a transcode');

      const busy = await waitFor(async () => {
        const r = await imsd.readyz();
        return r.processing && r.processing.working >= 1 ? r : null;
      }, { timeoutMs: 15000, intervalMs: 50, what: '/readyz processing.working >= 1' });
      assert.ok(imsd.logText().includes(`take ${take.id} queued for renditions (behavioral)`),
        'imsd logged the take queued for renditions');
      await sleep(500); // well into the transcode
      const exit = await imsd.kill9();
      assert.equal(exit.signal, 'SIGKILL');

      const [cut] = await takeRows(imsd, session.sessionId);
      assert.equal(cut.processed_at, null,
        `the kill came before processing finished (readyz was ${JSON.stringify(busy.processing)}); a longer take is needed otherwise`);
      assert.deepEqual(await mediaFiles(take.id), [], 'no media_files rows before the kill');
      assert.ok(fs.existsSync(take.path), 'the take is still in the spool after the kill');

      await imsd.restart();
      const done = await waitFor(async () => {
        const [row] = await takeRows(imsd, session.sessionId);
        return row.processed_at ? row : null;
      }, { timeoutMs: 60000, intervalMs: 250, what: 'processed_at after the restart' });
      const run2 = imsd.logText().split('===== run 2')[1] || '';
      assert.ok(run2.includes(`take ${take.id} queued for renditions`), 'the restarted imsd queued the take again');
      assert.equal(done.status, 'completed', 'the take is still completed (not cut by the crash)');
      await checkProcessed(session, 'crash-q1', 'behavioral', done);
    });
  });
