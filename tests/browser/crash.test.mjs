// crash.test.mjs: imsd is killed with SIGKILL in the middle of a take.
//
//   1. the candidate page records take 1 of question 1; ~3 s in, kill -9 imsd
//   2. the take row is still 'recording' and its partial .mkv decodes
//   3. imsd restarts on the same port, spool and database: the row becomes
//      'interrupted' (stop_reason 'crash', size_bytes = the file's size)
//   4. the page reconnects by itself, resumes question 1 in `thinking` (the
//      interrupted take uses no retake), and take 2 records and completes
//      and the cut take is announced: its candidate.response_submitted
//      (status interrupted, take 1, duration estimated from the file's last
//      write) is in the outbox, schema-valid, before take 2's (completed)
//   5. the recovered take is processed: decoding it gave PostgreSQL its real
//      duration (within 0.5 s of what the partial file holds), resolution and
//      codecs, and the review API shows the same, processing status processed,
//      and no completeness record (null: unknown); take 2 has one
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

import { startImsd, withLogOnFailure, waitFor, repoRoot } from './lib/imsd.mjs';
import { query, takeRows } from './lib/db.mjs';
import { validateEvents } from './lib/kafka.mjs';
import { signToken } from './lib/token.mjs';
import { takeProbe } from './lib/probe.mjs';
import { launchBrowser, waitForState, describePage } from './lib/browser.mjs';
import { openCandidate, recordTake, stopTake, sampleVideoSize } from './lib/candidate.mjs';

let imsd;
let browser;
let page;

const REVIEW_SECRET = 'crash-test-review-secret-0123456789abcdef-XYZ';
function admin() {
  const now = Math.floor(Date.now() / 1000);
  return signToken(REVIEW_SECRET, { iat: now, exp: now + 3600, sub: 'admin@example.test', role: 'admin' });
}

before(async () => {
  imsd = await startImsd({ name: 'crash', env: { IMSD_REVIEW_JWT_SECRET: REVIEW_SECRET } });
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (imsd) await imsd.shutdown();
});

test('a take cut by kill -9 is kept, and the candidate records the question again after the restart',
  { timeout: 150000 }, async () => {
    const session = await imsd.createSession({
      questions: [
        { id: 'q1', text: 'What happens when the server dies?', timeLimitSeconds: 30 },
        { id: 'q2', text: 'And then?', timeLimitSeconds: 30 },
      ],
      thinkSeconds: 0,
      maxRetakes: 1,
    });
    const id = session.sessionId;

    await withLogOnFailure(imsd, async () => {
      page = await openCandidate(browser.context, session.joinUrl);
      await waitForState(page, 's => s.mediaReady', { what: 'media ready' });
      await recordTake(page, 0, 1);
      // wait until the recording has really reached the disk
      await sleep(3000);
      const sentBefore = await sampleVideoSize(page);
      const [open] = await takeRows(imsd, id);
      assert.equal(open.status, 'recording', `the take is recording before the kill: ${JSON.stringify(open)} (now ${new Date().toISOString()})`);
      assert.ok(fs.existsSync(open.path), `the take file exists while recording: ${open.path}`);

      const exit = await imsd.kill9();
      assert.equal(exit.signal, 'SIGKILL');

      // the partial file as the crash left it
      let [row] = await takeRows(imsd, id);
      assert.equal(row.status, 'recording', 'nobody finalized the take');
      const partial = await takeProbe(row.path);
      assert.equal(partial.ok, true, `partial file decodes: ${JSON.stringify(partial)}`);
      assert.equal(partial.hasVideo, true, `partial file has video: ${JSON.stringify(partial)}`);
      assert.ok(partial.decodedVideoFrames > 0, `partial file has decodable frames: ${JSON.stringify(partial)}`);
      const partialSize = fs.statSync(row.path).size;

      // the page notices and keeps trying to reconnect
      await page.waitForFunction(() => window.imsd.connected === false, null, { timeout: 15000 });

      await imsd.restart();
      await imsd.waitForLog('cut by a crash');   // the recovered take (its write done)
      [row] = await takeRows(imsd, id);
      assert.equal(row.status, 'interrupted');
      assert.equal(row.stop_reason, 'crash');
      assert.ok(row.stopped_at, 'stopped_at is set');
      assert.equal(Number(row.size_bytes), partialSize, 'size_bytes is what reached the disk');

      // the page reconnects by itself (backoff <= 10 s) and renegotiates media
      const joinedBefore = await page.evaluate(() => window.imsd.log.filter((m) => m.type === 'state').length);
      const s = await waitForState(page,
        's => s.mediaReady && s.takes.some(t => t.questionIndex === 0 && t.number === 1 && t.status === "interrupted")',
        { timeoutMs: 45000, what: 'the page to reconnect to the restarted imsd' });
      assert.ok(await page.evaluate(() => window.imsd.log.filter((m) => m.type === 'state').length) > joinedBefore);
      assert.equal(s.questionIndex, 0, 'resumes on the question that was cut');
      assert.equal(s.phase, 'thinking', 'an interrupted take leaves the question in thinking');
      assert.equal(s.retakesLeft, 1, 'an interrupted take uses no retake');
      assert.equal(s.takes.find((t) => t.number === 1).stopReason, 'crash');

      // record the question again
      await recordTake(page, 0, 2);
      await sleep(3000);
      const sent = await sampleVideoSize(page);
      const done = await stopTake(page, 0, 2);
      assert.equal(done.takes.find((t) => t.questionIndex === 0 && t.number === 2).status, 'completed');

      const rows = await takeRows(imsd, id);
      assert.deepEqual(rows.map((r) => `${r.question_idx}-${r.number}:${r.status}:${r.stop_reason}`),
        ['0-1:interrupted:crash', '0-2:completed:candidate']);
      const retake = rows[1];
      const probe = await takeProbe(retake.path);
      const where = `take 2 (${retake.path}): ${JSON.stringify(probe)}`;
      assert.equal(probe.ok, true, where);
      assert.equal(probe.hasVideo, true, where);
      assert.equal(probe.hasAudio, true, where);
      assert.equal(probe.firstVideoFrameKeyframe, true, where);
      assert.ok(Math.abs(probe.durationMs - Number(retake.duration_ms)) <= 500,
        `${where}: file ${probe.durationMs} ms vs takes.duration_ms ${retake.duration_ms}`);
      assert.equal(probe.width, sent.width, `${where}: width as sent (${sent.width})`);
      assert.equal(probe.height, sent.height, `${where}: height as sent (${sent.height})`);

      // every take that has media is announced: the cut one as interrupted
      const announced = (await query(imsd, `SELECT value FROM outbox
        WHERE event_type = 'candidate.response_submitted' AND message_key = '${id}' ORDER BY id`)).map((r) => r.value);
      const responses = announced.map((v) => JSON.parse(v).payload);
      assert.deepEqual(responses.map((p) => `${p.questionIndex}-${p.take}:${p.status}`), ['0-1:interrupted', '0-2:completed'],
        `the responses in the outbox: ${announced.join('\n')}`);
      assert.deepEqual(responses.map((p) => p.responseId), rows.map((r) => r.id), 'responseId = take id');
      assert.equal(responses[0].mediaFileId, rows[0].id, 'the cut take\'s original is its media file');
      assert.ok(responses[0].duration > 1 && responses[0].duration < 10,
        `the cut take's duration (from its file's last write, about 3 s): ${responses[0].duration}`);
      assert.equal(responses[0].duration, Math.round(responses[0].duration * 1000) / 1000, 'to the ms');
      const validation = await validateEvents(repoRoot, announced);
      assert.ok(validation.ok, `validate.mjs (exit ${validation.code}):\n${validation.output}`);

      const api = await imsd.getSession(id);
      assert.equal(api.status, 200);
      assert.deepEqual(api.json.takes.map((t) => `${t.number}:${t.status}:${t.stopReason}`).sort(),
        ['1:interrupted:crash', '2:completed:candidate']);

      // the recovered take, once processed, says what it really holds
      const recovered = await waitFor(async () => {
        const [r] = await takeRows(imsd, id);
        return r.processed_at ? r : null;
      }, { timeoutMs: 90000, what: 'the recovered take to be processed' });
      const facts = `recovered take ${JSON.stringify(recovered)}, partial file ${JSON.stringify(partial)}`;
      assert.equal(recovered.status, 'interrupted', facts);
      assert.ok(partial.durationMs > 1000, `about 3 s were recorded: ${facts}`);
      assert.ok(Math.abs(Number(recovered.duration_ms) - partial.durationMs) <= 500,
        `duration_ms ${recovered.duration_ms} vs ${partial.durationMs} ms in the file: ${facts}`);
      assert.equal(Number(recovered.size_bytes), partialSize, facts);
      assert.equal(recovered.width, partial.width, facts);
      assert.equal(recovered.height, partial.height, facts);
      assert.equal(recovered.width, sentBefore.width, `width as sent before the kill (${sentBefore.width}): ${facts}`);
      assert.equal(recovered.height, sentBefore.height, `height as sent before the kill (${sentBefore.height}): ${facts}`);
      assert.equal(recovered.video_codec, partial.videoCodec, facts);
      assert.equal(recovered.audio_codec, partial.audioCodec, facts);
      assert.ok(['VP8', 'H264'].includes(recovered.video_codec), facts);
      assert.equal(recovered.audio_codec, 'OPUS', facts);
      assert.ok(['processed', 'repaired'].includes(recovered.processing_status), facts);
      assert.equal(recovered.processing_error, null, facts);

      const review = await imsd.request('GET', `/api/v1/review/sessions/${id}`, { token: admin() });
      assert.equal(review.status, 200, review.text);
      const shown = review.json.questions[0].takes.find((t) => t.number === 1);
      assert.deepEqual({ durationMs: shown.durationMs, width: shown.width, height: shown.height,
        videoCodec: shown.videoCodec, audioCodec: shown.audioCodec, processing: shown.processing },
      { durationMs: Number(recovered.duration_ms), width: recovered.width, height: recovered.height,
        videoCodec: recovered.video_codec, audioCodec: recovered.audio_codec,
        processing: { status: recovered.processing_status, error: null } }, `review API: ${JSON.stringify(shown)}`);
      // how complete the cut take is, nobody counted: unknown, never invented
      assert.equal(shown.completeness, null, `a take a crash cut has no completeness record: ${JSON.stringify(shown)}`);
      const retaken = review.json.questions[0].takes.find((t) => t.number === 2);
      assert.ok(retaken.completeness && retaken.completeness.video.frames.written > 0 &&
        retaken.completeness.audio.frames.written > 0, `take 2's completeness record: ${JSON.stringify(retaken)}`);
    }, () => (page && !page.isClosed() ? describePage(page) : ''));
  });
