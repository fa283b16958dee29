// review-page.test.mjs: the recruiters' review page (web-test-client/review/)
// against a real stack: one s3rver, one imsd (IMSD_REVIEW_JWT_SECRET), one
// Chromium.
//
//   1. Chromium can play H.264/AAC MP4 (else nothing below can work)
//   2. one ~4 s take recorded in a 'technical' session of company-a, the
//      interview completed, its four media_files rows waited for
//   3. /review/: a bad token shows the 401 sentence; a company-a recruiter
//      token signs in, the session row is listed, opening it shows the take
//      with a loaded thumbnail; clicking the take plays the MP4 to 'ended',
//      a seek to 2.0 s lands there, the speed buttons set playbackRate
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

import { startImsd, withLogOnFailure, waitFor, dropDatabase } from './lib/imsd.mjs';
import { query } from './lib/db.mjs';
import { launchBrowser, waitForState, clickButton, describePage } from './lib/browser.mjs';
import { openCandidate, recordTake, stopTake } from './lib/candidate.mjs';
import { startS3rver } from './lib/s3.mjs';
import { signToken } from './lib/token.mjs';

const REVIEW_SECRET = 'review-page-test-secret-0123456789abcdef-XYZ';
const MP4_TYPE = 'video/mp4; codecs="avc1.42E01F, mp4a.40.2"';

let s3;
let imsd;
let browser;
let A; // {sessionId, ...} of the recorded session

function recruiterA() {
  const now = Math.floor(Date.now() / 1000);
  return signToken(REVIEW_SECRET, { sub: 'recruiter-a@example.test', role: 'recruiter', companyId: 'company-a', iat: now, exp: now + 3600 });
}

/** The review page's hooks and visible text, for failure messages. */
async function describeReview(page) {
  return page.evaluate(() => {
    const v = document.getElementById('player');
    return JSON.stringify({
      state: window.review && { ...window.review.state, session: undefined, sessions: window.review.state.sessions.length },
      errors: window.review && window.review.errors,
      status: document.getElementById('status').textContent,
      video: v && { src: v.currentSrc, readyState: v.readyState, networkState: v.networkState, error: v.error && v.error.message,
        currentTime: v.currentTime, duration: v.duration, paused: v.paused, ended: v.ended },
    }, null, 1);
  }).catch((e) => `(page gone: ${e.message})`);
}

before(async () => {
  dropDatabase('imsd_e2e_reviewpage');
  s3 = await startS3rver({ name: 'reviewpage' });
  imsd = await startImsd({
    name: 'reviewpage',
    env: {
      ...s3.imsdEnv({ keyPrefix: 'e2e-reviewpage' }),
      IMSD_PROCESSING_RETRY_MAX_SECONDS: '2',
      IMSD_REVIEW_JWT_SECRET: REVIEW_SECRET,
    },
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

test('Chromium plays H.264/AAC MP4', async () => {
  const page = await browser.context.newPage();
  try {
    const r = await page.evaluate((type) => ({
      canPlay: document.createElement('video').canPlayType(type),
      mse: typeof MediaSource !== 'undefined' && MediaSource.isTypeSupported(type),
    }), MP4_TYPE);
    assert.ok(r.canPlay === 'probably' || r.canPlay === 'maybe' || r.mse,
      `this Chromium cannot play ${MP4_TYPE}: ${JSON.stringify(r)}`);
  } finally {
    await page.close();
  }
});

test('a ~4 s take is recorded in a company-a session and processed', { timeout: 150000 }, async () => {
  await withLogOnFailure(imsd, async () => {
    const questions = [{ id: 'rp1', text: 'Describe a bug you fixed.', timeLimitSeconds: 30 }];
    const a = await imsd.createSession({ questions, thinkSeconds: 30, profile: 'technical', companyId: 'company-a' });
    const page = await openCandidate(browser.context, a.joinUrl);
    try {
      await waitForState(page, 's => s.questionIndex === 0 && s.mediaReady', { what: 'media ready' });
      await recordTake(page, 0, 1);
      await sleep(4000);
      await stopTake(page, 0, 1);
      await clickButton(page, 'next');
      await waitForState(page, 's => s.phase === "completed"', { what: 'interview completed' });
    } catch (err) {
      throw new Error(`${err.message}\n${await describePage(page).catch(() => '')}`);
    } finally {
      await page.close();
    }
    await waitFor(async () => {
      const rows = await query(imsd, `SELECT kind FROM media_files WHERE session_id = '${a.sessionId}' AND status = 'stored'`);
      return rows.length === 4 ? rows : null;
    }, { timeoutMs: 120000, intervalMs: 500, what: '4 media_files rows' });
    A = a;
  });
});

test('the review page signs in, lists, opens and plays the take', { timeout: 90000 }, async () => {
  assert.ok(A, 'the recording test must have passed first');
  await withLogOnFailure(imsd, async () => {
    const page = await browser.context.newPage();
    const consoleErrors = [];
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    try {
      const res = await page.goto(`${imsd.baseUrl}/review/`);
      assert.equal(res.status(), 200, '/review/ serves the page');
      await page.locator('#token').waitFor({ state: 'visible' });

      // a token signed with another secret: the 401 sentence, still signed out
      const now = Math.floor(Date.now() / 1000);
      const forged = signToken('not-the-review-secret-0123456789abcdef', { sub: 'x', role: 'recruiter', companyId: 'company-a', iat: now, exp: now + 600 });
      await page.fill('#token', forged);
      await page.click('#sign-in');
      await page.waitForFunction(() => window.review.errors.length > 0, null, { timeout: 10000 });
      assert.equal(await page.textContent('#status'), 'Your sign-in is not valid or has expired.');
      assert.equal(await page.evaluate(() => window.review.state.signedIn), false);
      assert.ok(await page.locator('#token').isVisible(), 'the sign-in form is shown again');

      // the company-a recruiter: A is listed
      await page.fill('#token', recruiterA());
      await page.click('#sign-in');
      const row = page.locator(`#sessions tr[data-session-id="${A.sessionId}"]`);
      await row.waitFor({ state: 'visible', timeout: 10000 });
      assert.match(await row.textContent(), /completed/, 'the row shows the status');
      assert.equal(await page.evaluate(() => sessionStorage.getItem('imsd.review.token') !== null), true, 'token kept in sessionStorage');

      // open it: one take button with a loaded thumbnail
      await row.click();
      await page.locator('#session').waitFor({ state: 'visible', timeout: 10000 });
      const take = page.locator('#session button.take');
      await take.first().waitFor({ state: 'visible', timeout: 10000 });
      assert.equal(await take.count(), 1, 'one take');
      assert.ok(await take.getAttribute('data-take-id'), 'data-take-id set');
      await page.waitForFunction(() => {
        const img = document.querySelector('button.take img');
        return img && img.complete && img.naturalWidth > 0;
      }, null, { timeout: 10000 }).catch(async (e) => {
        throw new Error(`thumbnail not loaded: ${e.message.split('\n')[0]}\n${await describeReview(page)}`);
      });

      // play: muted so autoplay policy does not matter; collect events first
      await page.evaluate(() => {
        const v = document.getElementById('player');
        v.muted = true;
        window.__ev = { ended: false, maxTime: 0, seeked: 0 };
        v.addEventListener('ended', () => { window.__ev.ended = true; });
        v.addEventListener('timeupdate', () => { window.__ev.maxTime = Math.max(window.__ev.maxTime, v.currentTime); });
        v.addEventListener('seeked', () => { window.__ev.seeked += 1; });
      });
      await take.first().click();
      await page.waitForFunction(() => document.getElementById('player').readyState >= 1, null, { timeout: 15000 })
        .catch(async (e) => { throw new Error(`no metadata: ${e.message.split('\n')[0]}\n${await describeReview(page)}`); });
      const duration = await page.evaluate(() => document.getElementById('player').duration);
      assert.ok(duration >= 3 && duration <= 8, `duration ${duration} s of a ~4 s take`);
      assert.equal(await page.evaluate(() => window.review.state.takeId), await take.getAttribute('data-take-id'));
      const src = await page.evaluate(() => document.getElementById('player').currentSrc);
      assert.ok(src.startsWith(s3.baseUrl) && /[?&]Signature=/.test(src), `the player uses a signed S3 URL: ${src}`);
      await page.evaluate(() => document.getElementById('player').play());
      await page.waitForFunction(() => window.__ev.ended, null, { timeout: 30000 })
        .catch(async (e) => { throw new Error(`never ended: ${e.message.split('\n')[0]}\n${await describeReview(page)}`); });
      const ev = await page.evaluate(() => window.__ev);
      assert.ok(ev.maxTime >= duration - 0.5, `currentTime advanced to ${ev.maxTime} of ${duration}`);

      // seek
      const landed = await page.evaluate(() => new Promise((resolve, reject) => {
        const v = document.getElementById('player');
        const t = setTimeout(() => reject(new Error('no seeked event')), 10000);
        v.addEventListener('seeked', () => { clearTimeout(t); resolve(v.currentTime); }, { once: true });
        v.currentTime = 2.0;
      }));
      assert.ok(Math.abs(landed - 2) < 0.3, `seek to 2.0 landed at ${landed}`);

      // speeds
      await page.click('#speed-1_5');
      assert.equal(await page.evaluate(() => document.getElementById('player').playbackRate), 1.5);
      await page.click('#speed-2');
      assert.equal(await page.evaluate(() => document.getElementById('player').playbackRate), 2);
      await page.click('#speed-1');
      assert.equal(await page.evaluate(() => document.getElementById('player').playbackRate), 1);

      const errs = await page.evaluate(() => window.review.errors);
      assert.deepEqual(errs, ['Your sign-in is not valid or has expired.'], 'no other error shown');
      assert.deepEqual(consoleErrors, [], 'no script errors');

      // the #token= fragment signs in too, and leaves the address bar
      const page2 = await browser.context.newPage();
      try {
        await page2.goto(`${imsd.baseUrl}/review/#token=${recruiterA()}`);
        await page2.locator(`#sessions tr[data-session-id="${A.sessionId}"]`).waitFor({ state: 'visible', timeout: 10000 });
        assert.ok(!page2.url().includes('token='), `fragment removed: ${page2.url()}`);
      } finally {
        await page2.close();
      }
    } catch (err) {
      throw new Error(`${err.message}\n${await describeReview(page)}`);
    } finally {
      await page.close();
    }
  });
});
