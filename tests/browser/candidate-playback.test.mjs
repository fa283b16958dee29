// candidate-playback.test.mjs: the candidate watches their own take.
//
// A private s3rver and a real imsd pointed at it; Chromium's fake camera
// records one take of ~3 s.
//   - while the take records, GET .../takes/1/playback answers 202
//     {status: "preparing"}; a valid token of another session is 403
//     wrong_session, a forged token 401 bad_token, an unknown take 404
//   - from Stop on, the answers the test sees go preparing -> ready
//     (original) -> ready (video/mp4), never back: the sequence of states,
//     not how long each lasts
//   - on the page, "Watch your answer" plays the take in a <video> with
//     controls until its `ended` event; Retake and Next remain, and Retake
//     hides the player; no horizontal overflow at 390x844
// Screenshots of each screen (screenshots.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

import { startImsd, withLogOnFailure, waitFor, TOKEN_SECRET } from './lib/imsd.mjs';
import { launchBrowser, waitForState, clickButton, describePage } from './lib/browser.mjs';
import { openCandidate, recordTake, stopTake } from './lib/candidate.mjs';
import { startS3rver } from './lib/s3.mjs';
import { candidateToken } from './lib/token.mjs';
import { saveScreenshot } from './lib/screenshots.mjs';
import { stopStack } from './lib/stack.mjs';

const SUITE = 'candidate-playback';
const QUESTIONS = [{ id: 'pq1', text: 'What would you like to see again?', timeLimitSeconds: 30 }];

let s3;
let imsd;
let browser;

before(async () => {
  s3 = await startS3rver({ name: 'playback' });
  imsd = await startImsd({
    name: 'playback',
    env: { ...s3.imsdEnv({ keyPrefix: 'playback' }), IMSD_PROCESSING_RETRY_MAX_SECONDS: '2' },
  });
  browser = await launchBrowser();
});

after(() => stopStack({ browser, imsd, s3 }));

const playbackPath = (sessionId, questionId, n) =>
  `/api/v1/candidate/sessions/${sessionId}/questions/${questionId}/takes/${n}/playback`;

/** The answer's state: "preparing", "ready original", "ready video/mp4", or "<status> <code>". */
function stateOf(res) {
  if (res.status === 202) return res.json.status;
  if (res.status === 200) return `${res.json.status} ${res.json.kind}`;
  return `${res.status} ${res.json && res.json.code}`;
}

const ORDER = ['preparing', 'ready original', 'ready video/mp4'];

test('the candidate watches their take: preparing, then the video plays to its end', { timeout: 180000 }, async () => {
  const session = await imsd.createSession({ questions: QUESTIONS, thinkSeconds: 30, maxRetakes: 1 });
  const other = await imsd.createSession({ questions: QUESTIONS, thinkSeconds: 30, maxRetakes: 1 });
  const own = playbackPath(session.sessionId, 'pq1', 1);
  const page = await openCandidate(browser.context, session.joinUrl);
  await withLogOnFailure(imsd, async () => {
    await waitForState(page, 's => s.questionIndex === 0 && s.mediaReady', { what: 'media ready' });
    await saveScreenshot(page, SUITE, '1-question');
    assert.equal(await page.locator('#playback').isHidden(), true, 'nothing to watch before a take');

    await recordTake(page, 0, 1);
    await saveScreenshot(page, SUITE, '2-recording');
    const states = [];
    const recording = await imsd.request('GET', own, { token: session.token });
    assert.equal(recording.status, 202, `while it records: ${recording.text}`);
    states.push(stateOf(recording));

    const wrong = await imsd.request('GET', own, { token: other.token });
    assert.equal(wrong.status, 403, wrong.text);
    assert.equal(wrong.json.code, 'wrong_session', wrong.text);
    const forged = await imsd.request('GET', own, { token: candidateToken(`${TOKEN_SECRET}-forged`, session.sessionId) });
    assert.equal(forged.status, 401, forged.text);
    assert.equal(forged.json.code, 'bad_token', forged.text);
    const unknown = await imsd.request('GET', playbackPath(session.sessionId, 'pq1', 2), { token: session.token });
    assert.equal(unknown.status, 404, unknown.text);

    await sleep(3000);
    await stopTake(page, 0, 1);
    await page.locator('#watch').waitFor({ state: 'visible' });
    await saveScreenshot(page, SUITE, '3-review-watch');

    // the page's own story: record every video event and every status line
    await page.evaluate(() => {
      window.playbackSeen = [];
      const video = document.getElementById('playback-video');
      for (const type of ['loadedmetadata', 'playing', 'ended', 'error']) {
        video.addEventListener(type, () => window.playbackSeen.push(type));
      }
      new MutationObserver(() => {
        const kind = document.getElementById('playback-status').dataset.kind;
        if (kind && window.playbackSeen.at(-1) !== kind) window.playbackSeen.push(kind);
      }).observe(document.getElementById('playback-status'), { attributes: true, childList: true });
    });
    await clickButton(page, 'watch');

    // the API's states from Stop until the MP4, in order
    await waitFor(async () => {
      const res = await imsd.request('GET', own, { token: session.token });
      const state = stateOf(res);
      if (states.at(-1) !== state) states.push(state);
      return state === 'ready video/mp4';
    }, { timeoutMs: 120000, intervalMs: 250, what: 'the MP4 rendition of the take' });
    for (const state of states) assert.ok(ORDER.includes(state), `a known state: ${states.join(' -> ')}`);
    const ranks = states.map((st) => ORDER.indexOf(st));
    assert.deepEqual(ranks, [...ranks].sort((a, b) => a - b), `never back: ${states.join(' -> ')}`);
    assert.equal(states[0], 'preparing');

    // the page plays (muted if the browser's autoplay rule asks) to the end
    await page.waitForFunction(() => window.playbackSeen.includes('loadedmetadata'), null, { timeout: 120000 })
      .catch(async (e) => { throw new Error(`${e.message}\n${await page.evaluate(() => JSON.stringify(window.playbackSeen))}\n${await describePage(page)}`); });
    await saveScreenshot(page, SUITE, '4-playing');
    await page.locator('#playback-video').evaluate((v) => { if (v.paused) { v.muted = true; return v.play(); } return null; });
    await page.waitForFunction(() => window.playbackSeen.includes('ended'), null, { timeout: 60000 });
    const seen = await page.evaluate(() => window.playbackSeen);
    assert.ok(seen.indexOf('loadedmetadata') < seen.lastIndexOf('ended'), `events in order: ${seen.join(', ')}`);
    const video = await page.locator('#playback-video').evaluate((v) => ({ controls: v.controls, src: v.currentSrc }));
    assert.equal(video.controls, true, 'the video has controls');
    assert.ok(video.src.startsWith('http'), `a signed URL plays: ${video.src}`);
    await saveScreenshot(page, SUITE, '5-ended');
    await page.setViewportSize({ width: 390, height: 844 });
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390),
      'the player does not overflow a 390 px wide phone');
    await saveScreenshot(page, SUITE, '5-ended-390');

    // Retake and Next remain; a retake leaves the take's screen and hides the player
    assert.equal(await page.locator('#next').isEnabled(), true, 'Next remains');
    assert.equal(await page.locator('#retake').isEnabled(), true, 'Retake remains');
    await clickButton(page, 'retake');
    await waitForState(page, 's => s.phase === "thinking" || s.phase === "recording"', { what: 'thinking after retake' });
    assert.equal(await page.locator('#playback').isHidden(), true, 'the player goes with the review screen');
    await saveScreenshot(page, SUITE, '6-after-retake');
  }, () => describePage(page));
  await page.close();
});
