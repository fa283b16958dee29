// lifecycle.test.mjs: an open take survives the ways a recording can end
// without the candidate pressing Stop.
//
//   1. SIGTERM during a take: imsd finalizes the file (EOS reaches the sink)
//      before it exits 0; the take is 'interrupted' (reason 'shutdown') and its
//      file is complete: it decodes, and its duration is the stored one.
//   2. The browser's media stops (RTCPeerConnection closed, WebSocket still
//      open): after no_media_timeout_seconds imsd treats the peer as gone,
//      finalizes the take ('interrupted', reason 'no_media'), closes the
//      connection; the page reconnects and records the question again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

import { startImsd, withLogOnFailure } from './lib/imsd.mjs';
import { takeRows } from './lib/db.mjs';
import { takeProbe } from './lib/probe.mjs';
import { launchBrowser, waitForState } from './lib/browser.mjs';
import { openCandidate, recordTake, stopTake } from './lib/candidate.mjs';

let imsd;
let browser;

before(async () => {
  imsd = await startImsd({ name: 'lifecycle', env: { IMSD_MEDIA_NO_MEDIA_TIMEOUT_SECONDS: '2' } });
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (imsd) await imsd.shutdown();
});

const questions = [
  { id: 'q1', text: 'What do you do when the lights go out?', timeLimitSeconds: 60 },
  { id: 'q2', text: 'And after that?', timeLimitSeconds: 60 },
];

async function assertCompleteFile(row) {
  const probe = await takeProbe(row.path);
  assert.equal(probe.ok, true, `the take file decodes: ${JSON.stringify(probe)}`);
  assert.equal(probe.hasVideo, true, 'the take has video');
  assert.equal(probe.hasAudio, true, 'the take has audio');
  assert.equal(probe.firstVideoFrameKeyframe, true, 'the take starts on a keyframe');
  assert.ok(Number(row.duration_ms) > 1000, `a stored duration: ${row.duration_ms}`);
  assert.ok(Math.abs(probe.durationMs - Number(row.duration_ms)) <= 500,
    `file duration ${probe.durationMs} ms matches the stored ${row.duration_ms} ms`);
}

test('SIGTERM finalizes the open take before exit', { timeout: 120000 }, async () => {
  const session = await imsd.createSession({ questions, thinkSeconds: 0, maxRetakes: 1 });
  await withLogOnFailure(imsd, async () => {
    const page = await openCandidate(browser.context, session.joinUrl);
    await waitForState(page, 's => s.mediaReady', { what: 'media ready' });
    await recordTake(page, 0, 1);
    await waitForState(page, 's => s.takeWriting', { what: 'the first keyframe written' });
    await sleep(2500);

    const exit = await imsd.stop();
    assert.deepEqual(exit, { code: 0, signal: null }, 'imsd exits cleanly on SIGTERM');
    const [row] = await takeRows(imsd, session.sessionId);
    assert.equal(row.status, 'interrupted');
    assert.equal(row.stop_reason, 'shutdown');
    await assertCompleteFile(row);
    await page.close();
    await imsd.restart();
  });
});

test('a peer whose media stops is treated as gone; its take is kept and the page resumes',
  { timeout: 120000 }, async () => {
    const session = await imsd.createSession({ questions, thinkSeconds: 0, maxRetakes: 1 });
    await withLogOnFailure(imsd, async () => {
      const page = await openCandidate(browser.context, session.joinUrl);
      await waitForState(page, 's => s.mediaReady', { what: 'media ready' });
      await recordTake(page, 0, 1);
      await waitForState(page, 's => s.takeWriting', { what: 'the first keyframe written' });
      await sleep(2500);

      // media stops, the WebSocket stays open
      await page.evaluate(() => window.imsd.pc.close());
      let rows;
      const deadline = Date.now() + 20000;
      do {
        await sleep(300);
        rows = await takeRows(imsd, session.sessionId);
      } while (rows[0].status === 'recording' && Date.now() < deadline);
      assert.equal(rows[0].status, 'interrupted', `the take is finalized: ${JSON.stringify(rows[0])}`);
      assert.equal(rows[0].stop_reason, 'no_media');
      await assertCompleteFile(rows[0]);

      // the page reconnects by itself and answers the same question again
      await waitForState(page, 's => s.phase === "thinking" && s.questionIndex === 0 && s.mediaReady',
        { what: 'resumed on question 1 with media', timeoutMs: 45000 });
      await recordTake(page, 0, 2);
      await waitForState(page, 's => s.takeWriting', { what: 'the second take\'s first keyframe written' });
      await sleep(1500);
      await stopTake(page, 0, 2);
      rows = await takeRows(imsd, session.sessionId);
      assert.equal(rows.length, 2);
      assert.equal(rows[1].status, 'completed');
      await assertCompleteFile(rows[1]);
    });
  });
