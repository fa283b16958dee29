// candidate-practice.test.mjs: the practice question (issue 13 item 4).
//   1. With a practice question the candidate records a practice take in
//      Chromium (through the real media path), practises again, starts the
//      interview and answers question 1.  The recruiter's review API then
//      shows only question 1's take, 1 of 2 answered; the outbox has no
//      candidate.response_submitted for the practice take; the service API
//      lists no practice take.
//   2. Without a practice question the page offers none, and the server
//      refuses "practice".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import fs from 'node:fs';
import path from 'node:path';

import { startImsd, withLogOnFailure } from './lib/imsd.mjs';
import { query } from './lib/db.mjs';
import { launchBrowser, waitForState, clickButton, describePage } from './lib/browser.mjs';
import { openCandidate, recordTake, stopTake } from './lib/candidate.mjs';
import { signToken } from './lib/token.mjs';
import { saveScreenshot } from './lib/screenshots.mjs';
import { axeViolations } from './lib/axe.mjs';

const SUITE = 'candidate-practice';
const REVIEW_SECRET = 'practice-test-review-secret-0123456789abcdef';
const PRACTICE = -1;

let imsd;
let browser;

before(async () => {
  imsd = await startImsd({ name: 'practice', env: { IMSD_REVIEW_JWT_SECRET: REVIEW_SECRET } });
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (imsd) await imsd.shutdown();
});

function recruiterToken() {
  const now = Math.floor(Date.now() / 1000);
  return signToken(REVIEW_SECRET, { sub: 'recruiter@example.test', role: 'recruiter', companyId: 'company-p', iat: now, exp: now + 600 });
}

async function createSession(extra = {}) {
  const interviewId = `practice-${Date.now()}`;
  const res = await imsd.request('POST', '/api/v1/sessions', {
    body: {
      interviewId,
      userId: 'practice-user',
      companyId: 'company-p',
      settings: { thinkSeconds: 30, maxRetakes: 1 },
      questions: [
        { id: 'q1', text: 'Tell us about yourself.', timeLimitSeconds: 30 },
        { id: 'q2', text: 'Why this role?', timeLimitSeconds: 30 },
      ],
      ...extra,
    },
  });
  assert.equal(res.status, 201, res.text);
  return { ...res.json, interviewId };
}

/** Screenshot, axe-core (no serious or critical violation) and, at 390x844, no horizontal overflow. */
async function checkScreen(page, name) {
  await saveScreenshot(page, SUITE, name);
  assert.deepEqual(await axeViolations(page), [], `axe-core on ${name}`);
  const size = page.viewportSize();
  await page.setViewportSize({ width: 390, height: 844 });
  try {
    await saveScreenshot(page, SUITE, `${name}-phone`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${name}: no horizontal overflow at 390 px (${overflow} px)`);
  } finally {
    await page.setViewportSize(size);
  }
}

async function reviewGet(path) {
  const res = await fetch(`${imsd.baseUrl}${path}`, { headers: { Authorization: `Bearer ${recruiterToken()}` } });
  assert.equal(res.status, 200, `${path}: ${res.status}`);
  return res.json();
}

test('a practice take is recorded, then question 1; recruiters and events see only question 1', { timeout: 120000 }, async () => {
  await withLogOnFailure(imsd, async () => {
    const session = await createSession({ practice: { text: 'What did you have for breakfast?', timeLimitSeconds: 20 } });
    const page = await openCandidate(browser.context, session.joinUrl);
    try {
      await waitForState(page, 's => s.questionIndex === 0 && s.mediaReady', { what: 'media ready' });
      await checkScreen(page, 'practice-offered');
      await clickButton(page, 'practice');
      await waitForState(page, `s => s.questionIndex === ${PRACTICE} && s.phase === "thinking"`, { what: 'practising' });
      assert.equal(await page.locator('#question').textContent(), 'What did you have for breakfast?');
      assert.match(await page.locator('#progress').textContent(), /Practice question/);
      await recordTake(page, PRACTICE, 1);
      await sleep(2000);
      await stopTake(page, PRACTICE, 1);
      assert.match(await page.locator('#hint').textContent(), /Practice answer recorded/);
      assert.equal(await page.locator('#retake').textContent(), 'Practise again');
      assert.equal(await page.locator('#next').textContent(), 'Start the interview');
      await checkScreen(page, 'practice-recorded');

      // practise again: a second practice take
      await clickButton(page, 'retake');
      await recordTake(page, PRACTICE, 2);
      await sleep(1500);
      await stopTake(page, PRACTICE, 2);

      await clickButton(page, 'next');
      await waitForState(page, 's => s.questionIndex === 0 && s.phase === "thinking"', { what: 'question 1' });
      assert.equal(await page.locator('#progress').textContent(), 'Question 1 of 2');
      assert.equal(await page.locator('#practice').isVisible(), false, 'no practice once it is done');
      await recordTake(page, 0, 1);
      await sleep(2000);
      await stopTake(page, 0, 1);
      await saveScreenshot(page, SUITE, 'question-1-answered');
      const folder = path.join(imsd.spoolDir, session.sessionId);
      assert.equal(fs.readdirSync(folder).filter((f) => f.startsWith('practice-take')).length, 2,
        'the practice files are in the spool during the interview');
      // finishing: the practice files go with the interview (nothing else removes them)
      await page.evaluate(() => window.imsd.send({ type: 'end' }));
      await waitForState(page, 's => s.phase === "completed"', { what: 'interview completed' });
      assert.deepEqual(fs.readdirSync(folder).filter((f) => f.startsWith('practice-take')), [],
        'no practice file left once the interview completed');
    } catch (err) {
      throw new Error(`${err.message}\n${await describePage(page).catch(() => '')}`);
    } finally {
      await page.close();
    }

    const takes = await query(imsd, `SELECT id, question_idx FROM takes WHERE session_id = '${session.sessionId}' AND status = 'completed' ORDER BY question_idx, number`);
    assert.deepEqual(takes.map((t) => Number(t.question_idx)), [PRACTICE, PRACTICE, 0], 'two practice takes and one answer stored');
    const practiceIds = takes.filter((t) => Number(t.question_idx) === PRACTICE).map((t) => t.id);

    const list = await reviewGet(`/api/v1/review/sessions?interviewId=${encodeURIComponent(session.interviewId)}`);
    const item = list.items.find((i) => i.sessionId === session.sessionId);
    assert.ok(item, 'the session is listed');
    assert.equal(item.questionCount, 2);
    assert.equal(item.takeCount, 1);
    assert.equal(item.questionsAnswered, 1);
    const detail = await reviewGet(`/api/v1/review/sessions/${session.sessionId}`);
    assert.equal(detail.questions.length, 2);
    assert.deepEqual(detail.questions.map((q) => q.takes.length), [1, 0]);
    assert.equal(detail.questionsAnswered, 1);
    const detailText = JSON.stringify(detail);
    for (const id of practiceIds) assert.ok(!detailText.includes(id), 'no practice take in the review');
    assert.ok(!detailText.includes('breakfast'), 'no practice question in the review');

    const service = await imsd.getSession(session.sessionId);
    assert.deepEqual(service.json.takes.map((t) => t.questionIndex), [0], 'the service API lists no practice take');

    const outbox = await query(imsd, `SELECT event_type, value FROM outbox WHERE message_key = '${session.sessionId}' OR strpos(value, '${session.sessionId}') > 0`);
    const submitted = outbox.filter((r) => r.event_type === 'candidate.response_submitted');
    assert.equal(submitted.length, 1, 'one response announced: question 1\'s');
    for (const id of practiceIds) {
      assert.ok(!outbox.some((r) => r.value.includes(id)), `no outbox row names practice take ${id}`);
    }
  });
});

test('without a practice question the page offers none and the server refuses "practice"', { timeout: 60000 }, async () => {
  await withLogOnFailure(imsd, async () => {
    const session = await createSession();
    const page = await openCandidate(browser.context, session.joinUrl);
    try {
      await waitForState(page, 's => s.questionIndex === 0 && s.mediaReady', { what: 'media ready' });
      assert.equal(await page.locator('#practice').isVisible(), false, 'no practice offered');
      await page.evaluate(() => window.imsd.send({ type: 'practice' }));
      await page.waitForFunction(() => window.imsd.errors.some((e) => e.code === 'bad_state'), null, { timeout: 10000 });
      assert.equal(await page.evaluate(() => window.imsd.state.questionIndex), 0);
      await saveScreenshot(page, SUITE, 'no-practice');
    } finally {
      await page.close();
    }
  });
});
