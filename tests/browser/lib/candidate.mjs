// candidate.mjs: steps of an interview on the candidate page, as a person
// would do them (clicking), waiting on the page's window.imsd.state.
import { setTimeout as sleep } from 'node:timers/promises';
import { waitForState, clickButton, describePage, sentVideoSize } from './browser.mjs';

/**
 * Passes the overview (shown before the device check of a session not yet
 * started; a started one goes straight to the device check).
 */
export async function passOverview(page) {
  await page.waitForFunction(() => !document.getElementById('screen-overview').hidden
    || !document.getElementById('screen-check').hidden, null, { timeout: 15000 });
  if (await page.locator('#overview-continue').isVisible()) await page.locator('#overview-continue').click();
}

/** Opens the join link in a new tab and presses Join; resolves with the page. */
export async function openCandidate(context, joinUrl) {
  const page = await context.newPage();
  page.on('pageerror', (err) => process.stderr.write(`[page error] ${err.message}\n`));
  await page.goto(joinUrl);
  await passOverview(page);
  await clickButton(page, 'join');
  await waitForState(page, 's => s.type === "state"', { what: 'the first state after join' });
  return page;
}

const hasTake = (s, q, n, status) =>
  s && s.takes.some((t) => t.questionIndex === q && t.number === n && (!status || t.status === status));

/**
 * Gets take n of question q recording: presses Record once media is ready in
 * `thinking` (the server may also start it by itself when think time runs out,
 * which is accepted).  Resolves with the state in `recording`.
 */
export async function recordTake(page, q, n, { timeoutMs = 30000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let clicked = false;
  for (;;) {
    const s = await page.evaluate(() => window.imsd.state);
    if (s && s.phase === 'recording' && s.questionIndex === q && hasTake(s, q, n, 'recording')) return s;
    const canClick = await page.evaluate(() => {
      const b = document.getElementById('record');
      return !b.hidden && !b.disabled;
    });
    if (!clicked && s && s.phase === 'thinking' && s.questionIndex === q && s.mediaReady && canClick) {
      await page.locator('#record').click({ timeout: 5000 }).catch(() => { /* it may have started by itself */ });
      clicked = true;
    } else if (clicked && s && s.phase === 'thinking' && canClick) {
      clicked = false; // refused (e.g. media_not_ready): try again
    }
    if (Date.now() > deadline) {
      throw new Error(`take ${n} of question index ${q} did not start recording\n${await describePage(page)}`);
    }
    await sleep(100);
  }
}

/** Presses Stop and waits for `review` with take n of question q completed. */
export async function stopTake(page, q, n) {
  await clickButton(page, 'stop');
  return waitForState(page,
    `s => s.phase === "review" && s.questionIndex === ${q} && s.takes.some(t => t.questionIndex === ${q} && t.number === ${n} && t.status === "completed")`,
    { what: `review after take ${n} of question index ${q}` });
}

/**
 * The video size the browser is sending (outbound-rtp frameWidth/Height).
 * With until(): samples every 300 ms until until() is true and returns the
 * last size seen (near the end of the take); otherwise the current size.
 */
export async function sampleVideoSize(page, { until, timeoutMs = 30000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last = null;
  for (;;) {
    const size = await sentVideoSize(page);
    if (size) last = size;
    if (until ? await until() : last) break;
    if (Date.now() > deadline) break;
    await sleep(300);
  }
  return last;
}

/**
 * Presses "Finish interview now" and confirms in the page's confirmation
 * dialog (candidate/finish.js); resolves once the Finish button was pressed.
 */
export async function finishNow(page) {
  await clickButton(page, 'end');
  await clickButton(page, 'finish-confirm');
}
