// candidate-experience.test.mjs: what the candidate page tells the candidate,
// in real Chromium against a real imsd and PostgreSQL (issue 13, items 1, 6,
// 7, 8):
//   - "Starting camera…" on the Join button while the camera starts
//   - "Finish interview now" asks first, saying what is kept (0 answers, some
//     answers); Cancel and Escape keep the interview going, Finish ends it and
//     the final screen says how many answers the server kept
//   - on the last question only one finish button shows
//   - large think / answer countdowns with a warning (colour and the words
//     "Less than 10 s left") in the last 10 s, announced in a polite live
//     region of their own (the clock is not live); the take row counts the
//     running duration while recording
//   - on a phone (390x844) the self-view and Stop are on screen while recording
//   - imsd killed while recording: "Connection lost — reconnecting…" and what
//     happens to the answer, no Recording badge, no clock; after the restart
//     the page resumes the question with the cut take kept as interrupted
//   - axe-core: no serious or critical violation on each screen, desktop and phone
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

import { startImsd, withLogOnFailure, waitFor } from './lib/imsd.mjs';
import { sessionRow, takeRows } from './lib/db.mjs';
import { launchBrowser, waitForState, clickButton } from './lib/browser.mjs';
import { openCandidate, recordTake, stopTake, passOverview } from './lib/candidate.mjs';
import { axeViolations } from './lib/axe.mjs';
import { saveScreenshot } from './lib/screenshots.mjs';

const SUITE = 'candidate-experience';
const DESKTOP = { width: 1000, height: 800 };
const PHONE = { width: 390, height: 844 };
const THREE = [
  { id: 'q1', text: 'Tell us about a project you are proud of.', timeLimitSeconds: 30 },
  { id: 'q2', text: 'Describe a difficult bug you fixed.', timeLimitSeconds: 30 },
  { id: 'q3', text: 'Why this team?', timeLimitSeconds: 30 },
];

let imsd;
let browser;

before(async () => {
  imsd = await startImsd({ name: 'cand_experience' });
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (imsd) await imsd.shutdown();
});

/** Screenshot plus axe-core: no serious or critical violation on this screen. */
async function checkScreen(page, name) {
  await saveScreenshot(page, SUITE, name);
  const violations = await axeViolations(page);
  assert.deepEqual(violations, [], `axe-core on ${name}: ${JSON.stringify(violations, null, 1)}`);
}

async function onPhone(page, name) {
  await page.setViewportSize(PHONE);
  try {
    await checkScreen(page, `${name}-phone`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${name}: no horizontal overflow at 390 px, got ${overflow} px`);
  } finally {
    await page.setViewportSize(DESKTOP);
  }
}

const text = (page, selector) => page.locator(selector).innerText();

/** Seconds the countdown shows ("… 0:12" -> 12), null when it shows none. */
async function countdownSeconds(page) {
  const shown = await page.evaluate(() => {
    const c = document.getElementById('countdown');
    return c.hidden ? '' : c.textContent;
  });
  const m = /(\d+):(\d\d)/.exec(shown);
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

async function waitForCountdownAtMost(page, seconds) {
  return waitFor(async () => {
    const left = await countdownSeconds(page);
    return left !== null && left <= seconds ? left : null;
  }, { what: `the countdown at ${seconds} s or less`, timeoutMs: 30000, intervalMs: 100 });
}

/** The buttons on screen whose label says "finish". */
function visibleFinishButtons(page) {
  return page.evaluate(() => [...document.querySelectorAll('button')]
    .filter((b) => b.checkVisibility() && /finish/i.test(b.textContent) && !b.closest('dialog'))
    .map((b) => b.id));
}

async function dialogState(page) {
  return page.evaluate(() => {
    const d = document.querySelector('[role="dialog"], dialog');
    if (!d || !d.checkVisibility()) return { open: false };
    return {
      open: true,
      modal: d.matches(':modal') || d.getAttribute('aria-modal') === 'true',
      focusInside: d.contains(document.activeElement),
      text: d.innerText,
    };
  });
}

async function openFinishDialog(page) {
  await clickButton(page, 'end');
  const d = await waitFor(async () => { const s = await dialogState(page); return s.open ? s : null; },
    { what: 'the finish confirmation dialog' });
  assert.equal(d.modal, true, 'the confirmation is a modal dialog');
  assert.equal(d.focusInside, true, 'focus moved into the dialog');
  return d;
}

/** A new session with `settings`, joined on a new tab, in `thinking` with media ready. */
async function joinNewSession(settings) {
  const session = await imsd.createSession(settings);
  const page = await openCandidate(browser.context, session.joinUrl);
  await withLogOnFailure(imsd, () => waitForState(page, 's => s.phase === "thinking" && s.mediaReady',
    { what: 'the first question, thinking, media ready' }));
  return { session, page };
}

const sentEnds = (page) => page.evaluate(() => window.imsd.sent.filter((m) => m.type === 'end').length);

test('the Join button says "Starting camera…" while the camera starts', { timeout: 60000 }, async () => {
  const session = await imsd.createSession({ questions: THREE, thinkSeconds: 30 });
  const page = await browser.context.newPage();
  try {
    // the fake camera opens at once: hold getUserMedia back 3 s to see the wait
    await page.addInitScript(() => {
      const open = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
      navigator.mediaDevices.getUserMedia = (c) => new Promise((r) => setTimeout(r, 3000)).then(() => open(c));
    });
    await page.goto(session.joinUrl);
    await passOverview(page); // the overview comes first now (overview.js)
    assert.match(await text(page, '#join'), /Starting camera…/, 'the Join button says the camera is starting');
    await checkScreen(page, 'check-starting-camera');
    await page.waitForFunction(() => !document.getElementById('join').disabled, null, { timeout: 20000 });
    assert.equal(await text(page, '#join'), 'Join interview');
    await checkScreen(page, 'check-ready');
    await onPhone(page, 'check-ready');
  } finally {
    await page.close();
  }
});

test('finishing with no answers asks first, says none are kept; cancel and Escape keep going', { timeout: 90000 }, async () => {
  const { session, page } = await joinNewSession({ questions: THREE, thinkSeconds: 60 });
  await withLogOnFailure(imsd, async () => {
    await checkScreen(page, 'interview-thinking');
    await onPhone(page, 'interview-thinking');

    let d = await openFinishDialog(page);
    assert.match(d.text, /No questions answered yet \(0 of 3\)/);
    assert.match(d.text, /No answers will be kept/);
    assert.match(d.text, /The 3 unanswered questions cannot be answered later/);
    await checkScreen(page, 'finish-dialog-zero');
    await onPhone(page, 'finish-dialog-zero');

    await page.keyboard.press('Escape');
    assert.equal((await dialogState(page)).open, false, 'Escape closes the dialog');
    d = await openFinishDialog(page);
    await page.getByRole('button', { name: 'Cancel' }).click();
    assert.equal((await dialogState(page)).open, false, 'Cancel closes the dialog');
    assert.equal(await sentEnds(page), 0, 'nothing was sent to the server');
    await sleep(500);
    const s = await page.evaluate(() => window.imsd.state);
    assert.equal(s.status, 'active', 'the interview goes on');
    assert.equal(s.phase, 'thinking');

    await openFinishDialog(page);
    await page.getByRole('button', { name: 'Finish', exact: true }).click();
    await page.locator('#screen-done').waitFor({ state: 'visible' });
    const done = await text(page, '#done-text');
    assert.match(done, /No answers were recorded/);
    assert.doesNotMatch(done, /saved/, `no "saved" with zero answers: ${done}`);
    assert.equal((await sessionRow(imsd, session.sessionId)).state, 'completed');
    await checkScreen(page, 'done-zero');
    await onPhone(page, 'done-zero');
  });
  await page.close();
});

test('finishing after one of three answers says one is kept and two are lost', { timeout: 90000 }, async () => {
  const { session, page } = await joinNewSession({ questions: THREE, thinkSeconds: 60 });
  await withLogOnFailure(imsd, async () => {
    await recordTake(page, 0, 1);
    await sleep(1500);
    await stopTake(page, 0, 1);
    await checkScreen(page, 'interview-review');
    await onPhone(page, 'interview-review');
    await clickButton(page, 'next');
    await waitForState(page, 's => s.questionIndex === 1 && s.phase === "thinking"', { what: 'Q2 thinking' });

    let d = await openFinishDialog(page);
    assert.match(d.text, /1 of 3 questions answered/);
    assert.match(d.text, /Your 1 answer will be kept/);
    assert.match(d.text, /The 2 unanswered questions cannot be answered later/);
    await checkScreen(page, 'finish-dialog-one');
    await page.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await sentEnds(page), 0);

    d = await openFinishDialog(page);
    await page.getByRole('button', { name: 'Finish', exact: true }).click();
    await page.locator('#screen-done').waitFor({ state: 'visible' });
    const done = await text(page, '#done-text');
    assert.match(done, /Your 1 answer has been saved \(1 of 3 questions answered\)/);
    assert.equal((await sessionRow(imsd, session.sessionId)).state, 'completed');
    await checkScreen(page, 'done-one');
  });
  await page.close();
});

test('on the last question only one finish button shows', { timeout: 60000 }, async () => {
  const { page } = await joinNewSession({ questions: [THREE[0]], thinkSeconds: 60, maxRetakes: 1 });
  await withLogOnFailure(imsd, async () => {
    await recordTake(page, 0, 1);
    await sleep(1000);
    await stopTake(page, 0, 1);
    const buttons = await visibleFinishButtons(page);
    assert.equal(buttons.length, 1, `one finish button on the last question, got ${JSON.stringify(buttons)}`);
    await checkScreen(page, 'last-question-review');
    await clickButton(page, buttons[0]);
    if ((await dialogState(page)).open) await page.getByRole('button', { name: 'Finish', exact: true }).click();
    await page.locator('#screen-done').waitFor({ state: 'visible' });
    assert.match(await text(page, '#done-text'), /Your 1 answer has been saved \(1 of 1 question answered\)/);
  });
  await page.close();
});

test('countdowns are large, warn in the last 10 s with colour and words, and the take row counts up', { timeout: 90000 }, async () => {
  const { page } = await joinNewSession({
    questions: [{ id: 'q1', text: 'A short one.', timeLimitSeconds: 14 }], thinkSeconds: 14, maxRetakes: 0,
  });
  await withLogOnFailure(imsd, async () => {
    const countdown = page.locator('#countdown');
    assert.equal(await countdown.getAttribute('aria-live'), null, 'the clock itself is not a live region');
    const calm = await countdown.evaluate((el) => ({
      size: parseFloat(getComputedStyle(el).fontSize), color: getComputedStyle(el).color,
    }));
    assert.ok(calm.size >= 24, `the countdown is large text, got ${calm.size} px`);
    const live = page.locator('[aria-live="polite"]:not(#status)');
    assert.ok(await live.count() >= 1, 'a polite live region of its own announces the timer');
    assert.match(await live.first().textContent(), /Recording starts in/, 'think time announced');

    // think countdown, last 10 s
    await waitForCountdownAtMost(page, 9);
    const warned = await countdown.evaluate((el) => ({ color: getComputedStyle(el).color, text: el.innerText }));
    assert.notEqual(warned.color, calm.color, 'the warning changes the colour');
    assert.match(warned.text, /10 s left/, `a non-colour cue: ${warned.text}`);
    assert.match(await live.first().textContent(), /10 seconds left/);
    await checkScreen(page, 'thinking-warning');

    // recording (starts by itself or on Record), the take row counts up
    await recordTake(page, 0, 1);
    await sleep(2500);
    const row = page.locator('#takes li[data-status="recording"] .take-duration');
    const running = await row.innerText();
    assert.ok(Number(/(\d+) s/.exec(running)?.[1]) >= 2, `the running take shows its duration, got "${running}"`);
    assert.match(await live.first().textContent(), /Recording started/);
    await checkScreen(page, 'recording');

    await waitForCountdownAtMost(page, 9);
    assert.match(await countdown.innerText(), /10 s left/);
    assert.match(await live.first().textContent(), /10 seconds left/);
    await checkScreen(page, 'recording-warning');
    await onPhone(page, 'recording-warning');

    await waitForState(page, 's => s.phase === "review"', { what: 'review after the time limit' });
    await page.waitForFunction(() => /Time is up/.test(
      [...document.querySelectorAll('[aria-live="polite"]')].map((e) => e.textContent).join(' ')), null, { timeout: 5000 });
  });
  await page.close();
});

test('on a phone the self-view and Stop stay on screen while recording', { timeout: 60000 }, async () => {
  // a question of the length real ones have: on a phone it pushes what is below it down
  const long = 'Tell us about a time you disagreed with a decision your team made. What was the decision, '
    + 'how did you raise your concerns, what happened next, and what would you do differently today?';
  const session = await imsd.createSession({
    questions: [{ id: 'q1', text: long, timeLimitSeconds: 30 }], thinkSeconds: 60, maxRetakes: 1,
  });
  const page = await browser.context.newPage();
  await page.setViewportSize(PHONE);
  try {
    await page.goto(session.joinUrl);
    await passOverview(page); // the overview comes first now (overview.js)
    await clickButton(page, 'join');
    await waitForState(page, 's => s.phase === "thinking" && s.mediaReady', { what: 'thinking' });
    // a retake: the list of takes under the question grows
    await recordTake(page, 0, 1);
    await sleep(1000);
    await stopTake(page, 0, 1);
    await clickButton(page, 'retake');
    await recordTake(page, 0, 2);
    await sleep(500);
    for (const id of ['preview', 'stop']) {
      const box = await page.locator(`#${id}`).boundingBox();
      assert.ok(box && box.width > 0 && box.height > 0, `#${id} is shown`);
      assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.width <= PHONE.width + 0.5 && box.y + box.height <= PHONE.height + 0.5,
        `#${id} is inside the 390x844 viewport: ${JSON.stringify(box)}`);
    }
    await checkScreen(page, 'recording-phone');
  } finally {
    await page.close();
  }
});

test('imsd killed while recording: the page says the connection is lost, then resumes', { timeout: 120000 }, async () => {
  const { session, page } = await joinNewSession({ questions: THREE, thinkSeconds: 60, maxRetakes: 1 });
  await withLogOnFailure(imsd, async () => {
    await recordTake(page, 0, 1);
    await sleep(2000);
    assert.equal(await page.locator('#rec-badge').isVisible(), true, 'Recording badge while recording');

    await imsd.kill9();
    await page.getByText('Connection lost — reconnecting…').first().waitFor({ state: 'visible', timeout: 10000 });
    const body = await page.locator('body').innerText();
    assert.match(body, /What was recorded up to the drop is kept/, 'says what happens to the answer');
    assert.equal(await page.locator('#rec-badge').isVisible(), false, 'no Recording badge while offline');
    assert.doesNotMatch(await page.locator('.main-panel').innerText(), /^Recording$/m, 'no "Recording" phase while offline');
    assert.equal(await countdownSeconds(page), null, 'no running clock while offline');
    await checkScreen(page, 'connection-lost');
    await onPhone(page, 'connection-lost');

    await imsd.restart();
    const s = await waitForState(page,
      's => s.phase === "thinking" && s.mediaReady && s.takes.some(t => t.number === 1 && t.status === "interrupted")',
      { what: 'resumed Q1 with take 1 interrupted', timeoutMs: 40000 });
    assert.equal(s.questionIndex, 0);
    assert.equal(s.retakesLeft, 1, 'the cut take used no retake');
    assert.equal(await page.getByText('Connection lost — reconnecting…').first().isVisible(), false);
    const [row] = await takeRows(imsd, session.sessionId);
    assert.equal(row.status, 'interrupted');
    await checkScreen(page, 'resumed-after-outage');
  });
  await page.close();
});
