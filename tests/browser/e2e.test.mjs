// e2e.test.mjs: a whole interview in real Chromium against a real imsd and
// PostgreSQL, driven by clicking the candidate page.
//
// Session: 3 questions (time limits 8 / 6 / 8 s), thinkSeconds 3, maxRetakes 1.
//   Q1: record, stop, retake, record, stop, next        (takes 1 and 2 completed)
//   Q2: record and let the 6 s time limit cut it, next   (stopReason time_limit)
//   Q3: record, close the tab while recording            (take 1 interrupted)
//       open the join link in a new tab: resumes at question index 2 with the
//       earlier takes kept; record, stop, next           (take 2 completed) -> completed
// Then PostgreSQL (sessions, takes), GET /api/v1/sessions/{id}, and every
// recorded file through take-probe (video + audio, first frame a keyframe,
// duration and resolution as stored / as the browser sent).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

import { startImsd, withLogOnFailure, waitFor } from './lib/imsd.mjs';
import { sessionRow, takeRows } from './lib/db.mjs';
import { takeProbe } from './lib/probe.mjs';
import { launchBrowser, waitForState, clickButton, describePage } from './lib/browser.mjs';
import { openCandidate, recordTake, stopTake, sampleVideoSize } from './lib/candidate.mjs';

const QUESTIONS = [
  { id: 'q1', text: 'Tell us about a project you are proud of.', timeLimitSeconds: 8 },
  { id: 'q2', text: 'Describe a difficult bug you fixed.', timeLimitSeconds: 6 },
  { id: 'q3', text: 'Why this team?', timeLimitSeconds: 8 },
];

let imsd;
let browser;
let session;
let interviewDone = false;
// what the browser sent during each take, keyed "q-n": {width, height}
const sentSizes = new Map();

before(async () => {
  imsd = await startImsd({ name: 'e2e' });
  browser = await launchBrowser();
  session = await imsd.createSession({ questions: QUESTIONS, thinkSeconds: 3, maxRetakes: 1 });
});

after(async () => {
  if (browser) await browser.close();
  if (imsd) await imsd.shutdown();
});

test('candidate answers 3 questions with a retake, a time limit cut and a resume after closing the tab',
  { timeout: 150000 }, async () => {
    let page = await openCandidate(browser.context, session.joinUrl);
    await withLogOnFailure(imsd, async () => {
      let s = await waitForState(page, 's => s.questionIndex === 0 && s.mediaReady', { what: 'Q1 with media ready' });
      assert.equal(s.status, 'active');
      assert.equal(s.questionCount, 3);
      assert.equal(s.question.id, 'q1');
      assert.equal(s.maxRetakes, 1);

      // Q1, take 1
      await recordTake(page, 0, 1);
      await sleep(3000);
      sentSizes.set('0-1', await sampleVideoSize(page));
      s = await stopTake(page, 0, 1);
      assert.equal(s.phase, 'review');
      assert.equal(s.retakesLeft, 1, 'one retake left after the first take');
      assert.equal(s.takes.find((t) => t.questionIndex === 0 && t.number === 1).stopReason, 'candidate');

      // Q1, retake
      await clickButton(page, 'retake');
      s = await waitForState(page, 's => s.phase === "thinking" || s.phase === "recording"', { what: 'thinking after retake' });
      assert.equal(s.questionIndex, 0, 'a retake stays on the same question');
      await recordTake(page, 0, 2);
      await sleep(3000);
      sentSizes.set('0-2', await sampleVideoSize(page));
      s = await stopTake(page, 0, 2);
      assert.equal(s.retakesLeft, 0, 'no retakes left after the retake');
      assert.equal(await page.locator('#retake').isDisabled(), true, '#retake is disabled with no retakes left');
      // the server refuses a third take on Q1 even if asked directly
      const errorsBefore = (await page.evaluate(() => window.imsd.errors.length));
      await page.evaluate(() => window.imsd.send({ type: 'retake' }));
      const refusal = await page.waitForFunction((n) => window.imsd.errors.length > n && window.imsd.errors[window.imsd.errors.length - 1], errorsBefore)
        .then((h) => h.jsonValue());
      assert.equal(refusal.code, 'no_retakes_left');

      await clickButton(page, 'next');
      s = await waitForState(page, 's => s.questionIndex === 1', { what: 'Q2' });
      assert.equal(s.question.id, 'q2');
      assert.equal(s.retakesLeft, 1, 'retakes are counted per question');

      // Q2: the 6 s time limit cuts the take; the page does not press stop
      await recordTake(page, 1, 1);
      const size = await sampleVideoSize(page, {
        until: () => page.evaluate(() => window.imsd.state.phase !== 'recording'),
      });
      sentSizes.set('1-1', size);
      s = await waitForState(page, 's => s.phase === "review" && s.questionIndex === 1', { what: 'Q2 review after the time limit' });
      const cut = s.takes.find((t) => t.questionIndex === 1 && t.number === 1);
      assert.equal(cut.status, 'completed');
      assert.equal(cut.stopReason, 'time_limit');
      assert.ok(cut.durationMs > 0 && cut.durationMs <= 6000 + 1000,
        `a take cut at 6 s lasts at most ~6 s, got ${cut.durationMs} ms`);
      await clickButton(page, 'next');
      s = await waitForState(page, 's => s.questionIndex === 2', { what: 'Q3' });

      // Q3: start recording, then close the tab mid-take
      await recordTake(page, 2, 1);
      await sleep(2500);
      await page.close();
      const interrupted = await waitFor(async () => {
        const rows = await takeRows(imsd, session.sessionId);
        const row = rows.find((r) => r.question_idx === 2 && r.number === 1);
        return row && row.status !== 'recording' ? row : null;
      }, { what: 'the Q3 take to be finalized after the tab closed' });
      assert.equal(interrupted.status, 'interrupted', 'a take cut by closing the tab is interrupted');
      assert.equal(interrupted.stop_reason, 'disconnected');

      // resume in a new tab
      page = await openCandidate(browser.context, session.joinUrl);
      s = await waitForState(page, 's => s.mediaReady', { what: 'resumed session with media' });
      assert.equal(s.questionIndex, 2, 'resumes at the question the candidate was on');
      assert.ok(['thinking', 'recording'].includes(s.phase), `resumes thinking on Q3, got ${s.phase}`);
      const kept = s.takes.map((t) => `${t.questionIndex}-${t.number}:${t.status}`);
      for (const k of ['0-1:completed', '0-2:completed', '1-1:completed', '2-1:interrupted']) {
        assert.ok(kept.includes(k), `take ${k} is kept after resume (have ${kept.join(', ')})`);
      }
      assert.equal(s.retakesLeft, 1, 'an interrupted take does not use up a retake');

      await recordTake(page, 2, 2);
      await sleep(3000);
      sentSizes.set('2-2', await sampleVideoSize(page));
      await stopTake(page, 2, 2);
      await clickButton(page, 'next');
      s = await waitForState(page, 's => s.phase === "completed"', { what: 'completed' });
      assert.equal(s.status, 'completed');
      await page.locator('#screen-done').waitFor({ state: 'visible', timeout: 10000 });
      interviewDone = true;
    }, () => (page.isClosed() ? '' : describePage(page)));
  });

test('the finished interview is in PostgreSQL, in the REST API and on disk', { timeout: 60000 }, async () => {
  assert.ok(interviewDone, 'the interview test must have passed first');
  await withLogOnFailure(imsd, async () => {
    const row = await sessionRow(imsd, session.sessionId);
    assert.equal(row.state, 'completed');
    assert.ok(row.completed_at, 'completed_at is set');
    assert.ok(row.started_at, 'started_at is set');

    const rows = await takeRows(imsd, session.sessionId);
    const summary = rows.map((r) => `${r.question_idx}-${r.number}:${r.status}:${r.stop_reason}`);
    assert.deepEqual(summary, [
      '0-1:completed:candidate',
      '0-2:completed:candidate',
      '1-1:completed:time_limit',
      '2-1:interrupted:disconnected',
      '2-2:completed:candidate',
    ]);

    for (const r of rows) {
      const key = `${r.question_idx}-${r.number}`;
      assert.ok(r.path.startsWith(imsd.spoolDir), `take ${key} is written under the spool dir: ${r.path}`);
      assert.ok(fs.existsSync(r.path), `take ${key} file exists: ${r.path}`);
      assert.equal(fs.statSync(r.path).size, Number(r.size_bytes), `take ${key} size_bytes matches the file`);
      const probe = await takeProbe(r.path);
      const where = `take ${key} (${r.path}): ${JSON.stringify(probe)}`;
      assert.equal(probe.ok, true, where);
      assert.equal(probe.hasVideo, true, where);
      if (r.status !== 'completed') continue;
      assert.equal(probe.hasAudio, true, where);
      assert.equal(probe.firstVideoFrameKeyframe, true, where);
      assert.ok(Math.abs(probe.durationMs - Number(r.duration_ms)) <= 500,
        `${where}: file lasts ${probe.durationMs} ms, takes.duration_ms is ${r.duration_ms}`);
      const sent = sentSizes.get(key);
      assert.ok(sent, `the browser's sent video size was sampled for take ${key}`);
      assert.equal(probe.width, sent.width, `${where}: width as sent by the browser (${sent.width})`);
      assert.equal(probe.height, sent.height, `${where}: height as sent by the browser (${sent.height})`);
      assert.equal(r.width, probe.width, `${where}: takes.width`);
      assert.equal(r.height, probe.height, `${where}: takes.height`);
      assert.ok(r.video_codec && r.audio_codec, `take ${key} codecs stored: ${r.video_codec}/${r.audio_codec}`);
    }

    const res = await imsd.getSession(session.sessionId);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.sessionId, session.sessionId);
    assert.equal(res.json.status, 'completed');
    assert.deepEqual(res.json.questions.map((q) => q.id), ['q1', 'q2', 'q3']);
    const api = res.json.takes
      .map((t) => `${t.questionIndex}-${t.number}:${t.status}:${t.stopReason}`)
      .sort();
    assert.deepEqual(api, summary.slice().sort());
    for (const t of res.json.takes) {
      const r = rows.find((x) => x.id === t.id);
      assert.ok(r, `API take ${t.id} is a takes row`);
      assert.equal(t.durationMs, Number(r.duration_ms));
    }
  });
});
