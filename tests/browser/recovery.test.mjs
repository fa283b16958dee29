// recovery.test.mjs: takes with nothing usable in them are failed, never
// "processed", and get no object (real imsd, PostgreSQL and s3rver; no
// browser: the takes are the rows and spool files a killed imsd leaves).
//
//   1. imsd runs with S3; a session of three questions is created
//   2. while it runs, three takes appear as a recorder would have left them:
//        q1: 'recording', its spool file empty (0 bytes)
//        q2: 'recording', its spool file missing
//        q3: 'completed' (with duration, codecs, size), its file not Matroska
//            (bytes that no demuxer reads: renditions fail every attempt)
//   3. kill -9, restart (recovery marks q1 and q2 interrupted, crash)
//   4. q1, q2: status 'failed', processing 'failed' with the reason (empty /
//      missing), no media_files row, no S3 object, one media.processing_failed
//   5. q3: renditions retried (attempts 1 and 2 of 3 in the log), then
//      processing 'failed' "after 3 attempts" with the GStreamer reason; the
//      take stays 'completed' (an answer), no object (nothing in it decodes),
//      /readyz processing.lastError names the take, media.processing_failed
//      says attempts 3; no media.processed for any of them
//   6. the review API's session detail shows each take's processing status and error
// Then a completed take whose video timestamps go backwards now and then
// (tests/tools/make-backwards-take), which the MP4 muxer refuses as recorded:
//   7. processing 'repaired', every rendition stored (original, video/mp4,
//      thumbnail, audio/wav-16k), a media.processed naming them, the review
//      API lists the media with processing {status: 'repaired', error: null}
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { startImsd, withLogOnFailure, waitFor, dropDatabase, buildDir } from './lib/imsd.mjs';
import { query } from './lib/db.mjs';
import { startS3rver } from './lib/s3.mjs';
import { signToken } from './lib/token.mjs';

const REVIEW_SECRET = 'recovery-test-secret-0123456789abcdef-XYZ';
const KEY_PREFIX = 'e2e-recovery';

let s3;
let imsd;

function recruiter() {
  const now = Math.floor(Date.now() / 1000);
  return signToken(REVIEW_SECRET, { iat: now, exp: now + 3600, sub: 'r@example.test', role: 'recruiter', companyId: 'company-r' });
}

before(async () => {
  dropDatabase('imsd_e2e_recovery'); // the outbox assertions see only this run
  s3 = await startS3rver({ name: 'recovery' });
  imsd = await startImsd({
    name: 'recovery',
    env: {
      ...s3.imsdEnv({ keyPrefix: KEY_PREFIX }),
      IMSD_PROCESSING_RETRY_MAX_SECONDS: '1',
      IMSD_REVIEW_JWT_SECRET: REVIEW_SECRET,
    },
  });
});

after(async () => {
  if (imsd) await imsd.shutdown();
  if (s3) await s3.shutdown();
});

/** Inserts a take row as the recorder writes it; values are the test's own (UUIDs, numbers). */
async function insertTake({ sessionId, questionIndex, status, file, finished, durationMs = 3000 }) {
  const id = crypto.randomUUID();
  const done = finished
    ? `now(), ${durationMs}, ${fs.statSync(file).size}, 'VP8', 'OPUS', 640, 360, 'candidate'`
    : 'NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL';
  execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', imsd.databaseUrl, '-c',
    `INSERT INTO takes (id, session_id, question_idx, number, status, path, started_at,
      stopped_at, duration_ms, size_bytes, video_codec, audio_codec, width, height, stop_reason)
    VALUES ('${id}', '${sessionId}', ${questionIndex}, 1, '${status}', '${file.replace(/'/g, "''")}', now(), ${done})`],
  { stdio: 'pipe' });
  return id;
}

test('empty, missing and undecodable takes are failed with their reason, and store nothing', { timeout: 120000 }, async () => {
  const session = await imsd.createSession({
    questions: [
      { id: 'q1', text: 'Empty?', timeLimitSeconds: 30 },
      { id: 'q2', text: 'Missing?', timeLimitSeconds: 30 },
      { id: 'q3', text: 'Garbage?', timeLimitSeconds: 30 },
    ],
    companyId: 'company-r',
  });
  const sessionId = session.sessionId;

  await withLogOnFailure(imsd, async () => {
    const empty = path.join(imsd.spoolDir, `${sessionId}-empty.mkv`);
    fs.writeFileSync(empty, '');
    const missing = path.join(imsd.spoolDir, `${sessionId}-missing.mkv`);
    const garbage = path.join(imsd.spoolDir, `${sessionId}-garbage.mkv`);
    fs.writeFileSync(garbage, Buffer.alloc(64 * 1024, 'not a Matroska file '));
    const ids = {
      empty: await insertTake({ sessionId, questionIndex: 0, status: 'recording', file: empty }),
      missing: await insertTake({ sessionId, questionIndex: 1, status: 'recording', file: missing }),
      garbage: await insertTake({ sessionId, questionIndex: 2, status: 'completed', file: garbage, finished: true }),
    };

    assert.equal((await imsd.kill9()).signal, 'SIGKILL');
    await imsd.restart();

    const rows = await waitFor(async () => {
      const r = await query(imsd, `SELECT id, status, stop_reason, processed_at, processing_status, processing_error
        FROM takes WHERE session_id = '${sessionId}' ORDER BY question_idx`);
      return r.length === 3 && r.every((t) => t.processed_at) ? r : null;
    }, { timeoutMs: 60000, what: 'the three takes to be processed' });
    const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
    const where = JSON.stringify(rows);

    for (const [name, word] of [['empty', 'empty'], ['missing', 'missing']]) {
      const t = byId[ids[name]];
      assert.equal(t.status, 'failed', `${name}: take failed: ${where}`);
      assert.equal(t.stop_reason, 'crash', `${name}: recovered as cut by a crash: ${where}`);
      assert.equal(t.processing_status, 'failed', `${name}: processing failed: ${where}`);
      assert.match(t.processing_error || '', new RegExp(word), `${name}: the reason says ${word}: ${where}`);
    }
    const g = byId[ids.garbage];
    assert.equal(g.status, 'completed', `the undecodable answer stays an answer: ${where}`);
    assert.equal(g.processing_status, 'failed', `garbage: processing failed: ${where}`);
    assert.match(g.processing_error || '', /^renditions failed after 3 attempts: .*demultiplex/i, `garbage: reason: ${where}`);
    const log = imsd.logText();
    assert.ok(log.includes(`take ${ids.garbage}: renditions failed (attempt 1 of 3)`), 'first attempt retried');
    assert.ok(log.includes(`take ${ids.garbage}: renditions failed (attempt 2 of 3)`), 'second attempt retried');

    // nothing stored, in PostgreSQL or S3
    const files = await query(imsd, `SELECT kind, take_id FROM media_files WHERE session_id = '${sessionId}'`);
    assert.deepEqual(files, [], 'no media_files row');
    const objects = await s3.listObjects(`${KEY_PREFIX}/`);
    assert.deepEqual(objects.filter((o) => o.key.includes(sessionId)), [], 'no S3 object of the session');

    // one media.processing_failed per take, no media.processed / media.uploaded
    const events = (await query(imsd, `SELECT event_type, topic, message_key, value FROM outbox
      WHERE event_type LIKE 'media.%' ORDER BY id`)).map((e) => ({ ...e, value: JSON.parse(e.value) }))
      .filter((e) => Object.values(ids).includes(e.value.payload.fileId));
    assert.deepEqual(events.map((e) => e.event_type), Array(3).fill('media.processing_failed'), JSON.stringify(events));
    for (const e of events) {
      assert.equal(e.topic, 'media-events');
      assert.equal(e.message_key, 'e2e-user');
      const p = e.value.payload;
      const t = byId[p.fileId];
      assert.ok(t, `the event names one of the takes: ${JSON.stringify(p)}`);
      assert.equal(p.responseId, p.fileId);
      assert.equal(p.sessionId, sessionId);
      assert.equal(p.reason, t.processing_error);
      assert.equal(p.originalStored, false);
      assert.equal(p.attempts, p.fileId === ids.garbage ? 3 : 1);
    }

    // /readyz: the processor's last error names the failed take
    const ready = await imsd.readyz();
    assert.match(ready.processing.lastError || '', new RegExp(`take (${Object.values(ids).join('|')}): `),
      `readyz: ${JSON.stringify(ready)}`);

    // the review API shows the processing status and reason of each take
    const detail = await imsd.request('GET', `/api/v1/review/sessions/${sessionId}`, { token: recruiter() });
    assert.equal(detail.status, 200, detail.text);
    const takes = detail.json.questions.flatMap((q) => q.takes);
    assert.equal(takes.length, 3);
    for (const t of takes) {
      assert.deepEqual(t.processing, { status: 'failed', error: byId[t.id].processing_error }, JSON.stringify(t));
      assert.deepEqual(t.media, [], 'no media listed');
    }
  });
});

test('a take whose timestamps go backwards is repaired: every rendition stored, processing repaired', { timeout: 120000 }, async () => {
  const session = await imsd.createSession({
    questions: [{ id: 'q1', text: 'Under load?', timeLimitSeconds: 30 }],
    companyId: 'company-r',
  });
  const sessionId = session.sessionId;
  await withLogOnFailure(imsd, async () => {
    const file = path.join(imsd.spoolDir, `${sessionId}-backwards.mkv`);
    execFileSync(path.join(buildDir, 'tests/tools/make-backwards-take'), [file, '2'], { stdio: 'pipe' });
    const id = await insertTake({ sessionId, questionIndex: 0, status: 'completed', file, finished: true, durationMs: 2000 });
    await imsd.restart(); // the processor's start-up scan finds the take at once

    const [row] = await waitFor(async () => {
      const r = await query(imsd, `SELECT processed_at, processing_status, processing_error FROM takes WHERE id = '${id}'`);
      return r[0] && r[0].processed_at ? r : null;
    }, { timeoutMs: 60000, what: 'the take to be processed' });
    assert.deepEqual({ status: row.processing_status, error: row.processing_error }, { status: 'repaired', error: null });
    assert.ok(imsd.logText().includes('re-timestamped'), 'the repair is logged');

    const files = await query(imsd, `SELECT kind, object_key, size_bytes FROM media_files WHERE take_id = '${id}' ORDER BY kind`);
    assert.deepEqual(files.map((f) => f.kind), ['audio/wav-16k', 'original', 'thumbnail', 'video/mp4'], JSON.stringify(files));
    const objects = await s3.listObjects(`${KEY_PREFIX}/`);
    for (const f of files) {
      const o = objects.find((x) => x.key === f.object_key);
      assert.ok(o && o.size === Number(f.size_bytes) && o.size > 0, `${f.kind} is in S3: ${JSON.stringify(o)}`);
    }
    const events = (await query(imsd, `SELECT event_type, value FROM outbox WHERE event_type LIKE 'media.process%' ORDER BY id`))
      .map((e) => ({ type: e.event_type, payload: JSON.parse(e.value).payload })).filter((e) => e.payload.fileId === id);
    assert.deepEqual(events.map((e) => e.type), ['media.processed']);
    assert.deepEqual(events[0].payload.renditions.map((r) => r.kind).sort(), ['audio/wav-16k', 'thumbnail', 'video/mp4']);

    const detail = await imsd.request('GET', `/api/v1/review/sessions/${sessionId}`, { token: recruiter() });
    assert.equal(detail.status, 200, detail.text);
    const [take] = detail.json.questions[0].takes;
    assert.deepEqual(take.processing, { status: 'repaired', error: null });
    assert.equal(take.media.length, 4);
  });
});
