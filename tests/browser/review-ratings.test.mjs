// review-ratings.test.mjs: recruiters' per-answer ratings (docs/review-api.md)
// against a real imsd and PostgreSQL: a take of company-a's session (row
// inserted directly: the rating does not need its media) is rated by one
// recruiter, read by another of the same company (ratings list and session
// detail), 404 to company-b, bad input refused with codes, every read and
// write in audit_log.  Then the review page's rating form (review-ratings.js)
// in Chromium, on a second session: rated and saved, pre-filled on reload,
// seen by the company's other recruiter, not reachable from company-b, no
// axe or overflow problem at desktop and phone widths; removed again (audited).
import { test, before, after } from 'node:test';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';

import { startImsd, withLogOnFailure, dropDatabase } from './lib/imsd.mjs';
import { query } from './lib/db.mjs';
import { startS3rver } from './lib/s3.mjs';
import { signToken } from './lib/token.mjs';
import { launchBrowser } from './lib/browser.mjs';
import { checkScreen } from './lib/screen-checks.mjs';

const SECRET = 'review-ratings-test-secret-0123456789abcdef';
const REVIEW = '/api/v1/review';
const SUITE = 'review-ratings';

let s3;
let imsd;
let sessionId;
let takeId;
let browser;

function token(sub, companyId) {
  const now = Math.floor(Date.now() / 1000);
  return signToken(SECRET, { iat: now, exp: now + 3600, sub, role: 'recruiter', companyId });
}
const ann = () => token('ann@a.test', 'company-a');
const bob = () => token('bob@a.test', 'company-a');
const eve = () => token('eve@b.test', 'company-b');

before(async () => {
  dropDatabase('imsd_e2e_ratings');
  s3 = await startS3rver({ name: 'ratings' });
  imsd = await startImsd({
    name: 'ratings',
    env: { ...s3.imsdEnv({ keyPrefix: 'e2e-ratings' }), IMSD_REVIEW_JWT_SECRET: SECRET },
  });
  ({ sessionId, takeId } = await sessionWithTake());
});

after(async () => {
  if (browser) await browser.close();
  if (imsd) await imsd.shutdown();
  if (s3) await s3.shutdown();
});

const put = (tok, body, id = takeId) => imsd.request('PUT', `${REVIEW}/takes/${id}/rating`, { token: tok, body });

test('a rating is saved, replaced, and seen by the company only', async () => {
  await withLogOnFailure(imsd, async () => {
    let res = await put(ann(), { rating: 2, note: 'first' });
    assert.equal(res.status, 200, res.text);
    res = await put(ann(), { rating: 4, note: 'clear answer' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.rating.rating, 4);
    assert.equal(res.json.rating.recruiter, 'ann@a.test');

    res = await imsd.request('GET', `${REVIEW}/sessions/${sessionId}/ratings`, { token: bob() });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.items.map((r) => [r.takeId, r.recruiter, r.rating, r.note]),
      [[takeId, 'ann@a.test', 4, 'clear answer']]);
    res = await imsd.request('GET', `${REVIEW}/sessions/${sessionId}`, { token: bob() });
    assert.equal(res.status, 200, res.text);
    const take = res.json.questions[0].takes.find((t) => t.id === takeId);
    assert.deepEqual(take.ratings.map((r) => [r.recruiter, r.rating, r.note]), [['ann@a.test', 4, 'clear answer']]);

    res = await imsd.request('GET', `${REVIEW}/sessions/${sessionId}/ratings`, { token: eve() });
    assert.equal(res.status, 404, res.text);
    res = await put(eve(), { rating: 5, note: '' });
    assert.equal(res.status, 404, res.text);
    assert.equal(res.json.code, 'not_found');

    const rows = await query(imsd, `SELECT actor, action FROM audit_log WHERE target IN ('${takeId}', '${sessionId}')`);
    const actions = rows.map((r) => `${r.actor} ${r.action}`);
    assert.ok(actions.includes('ann@a.test rate_take'), actions.join());
    assert.ok(actions.includes('bob@a.test view_ratings'), actions.join());
  });
});

test('bad input is refused with a code', async () => {
  await withLogOnFailure(imsd, async () => {
    const cases = [
      [{ rating: 0 }, 400, 'invalid_rating'],
      [{ rating: 6, note: 'x' }, 400, 'invalid_rating'],
      [{ rating: '3' }, 400, 'invalid_rating'],
      [{ note: 'no rating' }, 400, 'invalid_rating'],
      [{ rating: 3, note: 'x'.repeat(2001) }, 400, 'note_too_long'],
      [{ rating: 3, note: 7 }, 400, 'invalid_request'],
    ];
    for (const [body, status, code] of cases) {
      const res = await put(ann(), body);
      assert.equal(res.status, status, `${JSON.stringify(body).slice(0, 40)}: ${res.text}`);
      assert.equal(res.json.code, code, res.text);
    }
    let res = await imsd.request('PUT', `${REVIEW}/takes/${takeId}/rating`, { token: ann(), rawBody: '{"rating":' });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.json.code, 'bad_json');
    res = await put(ann(), { rating: 3 }, randomUUID());
    assert.equal(res.status, 404, res.text);
    res = await imsd.request('DELETE', `${REVIEW}/takes/${takeId}/rating`, { token: ann() });
    assert.equal(res.status, 200, res.text);
    res = await imsd.request('DELETE', `${REVIEW}/takes/${takeId}/rating`, { token: ann() });
    assert.equal(res.status, 404, res.text);
  });
});

const psql = (sql) => execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', imsd.databaseUrl, '-c', sql], { stdio: 'pipe' });

/** A new company-a session with one completed take; resolves {sessionId, takeId}. */
async function sessionWithTake() {
  const { sessionId: id } = await imsd.createSession({ companyId: 'company-a' });
  const take = randomUUID();
  psql(`INSERT INTO takes (id, session_id, question_idx, number, status, path, started_at)
        VALUES ('${take}', '${id}', 0, 1, 'completed', '/nowhere', now())`);
  return { sessionId: id, takeId: take };
}

/** Opens the review page as tok and waits for its session list. */
async function openList(page, tok) {
  await page.goto(`${imsd.baseUrl}/review/#token=${tok}`);
  await page.waitForFunction(() => window.review && window.review.state.view === 'list' && !window.review.state.loading);
}

/** Opens session id from the list and waits for its takes. */
async function openSession(page, id) {
  await page.click(`#sessions tr[data-session-id="${id}"]`);
  await page.waitForFunction(() => window.review.state.view === 'session' && !window.review.state.loading);
}

/** The take's rating form: the checked rating (or null), the note, the status, the others' lines. */
const formOf = (page, id) => page.$eval(`form.rating[data-take-id="${id}"]`, (form) => ({
  rating: form.querySelector('input[type=radio]:checked')?.value ?? null,
  note: form.querySelector('textarea').value,
  status: form.querySelector('.rating-status').textContent,
  others: [...form.querySelectorAll('.other-ratings li')].map((li) => li.textContent),
}));

test('the review page rates a take, pre-fills it, and shows it to the company only', async () => {
  browser = browser || await launchBrowser();
  const { sessionId: id, takeId: take } = await sessionWithTake();
  const problems = [];
  const page = await browser.context.newPage();
  const other = await browser.context.newPage();
  const outsider = await browser.context.newPage(); // its own tab: sessionStorage keeps one token a tab
  try {
    await withLogOnFailure(imsd, async () => {
      await openList(page, ann());
      await openSession(page, id);
      const form = page.locator(`form.rating[data-take-id="${take}"]`);
      await form.getByRole('group', { name: 'Your rating' }).waitFor();
      // Save with no rating chosen is refused on the page, nothing is sent
      await form.getByRole('button', { name: 'Save rating' }).click();
      assert.equal((await formOf(page, take)).status, 'Choose a rating from 1 to 5.');

      // keyboard: the radio group is reached and changed without a mouse
      await form.getByRole('radio', { name: '3' }).focus();
      await page.keyboard.press('ArrowRight');
      assert.equal((await formOf(page, take)).rating, '4');
      await form.getByLabel('Note').fill('clear and structured');
      await form.getByRole('button', { name: 'Save rating' }).click();
      await page.waitForFunction((t) => document.querySelector(`form.rating[data-take-id="${t}"] .rating-status`).textContent === 'Saved', take);
      let res = await imsd.request('GET', `${REVIEW}/sessions/${id}/ratings`, { token: bob() });
      assert.deepEqual(res.json.items.map((r) => [r.takeId, r.recruiter, r.rating, r.note]),
        [[take, 'ann@a.test', 4, 'clear and structured']], 'the page saved what "Saved" says');
      problems.push(...await checkScreen(page, SUITE, 'rated-desktop'));

      await page.reload();
      await page.waitForFunction(() => window.review && window.review.state.view === 'list' && !window.review.state.loading);
      await openSession(page, id);
      const reloaded = await formOf(page, take);
      assert.deepEqual([reloaded.rating, reloaded.note, reloaded.others], ['4', 'clear and structured', []], 'own rating pre-filled');

      await openList(other, bob());
      await openSession(other, id);
      const seen = await formOf(other, take);
      assert.deepEqual([seen.rating, seen.note], [null, ''], "bob's own rating is empty");
      assert.deepEqual(seen.others, ['ann@a.test: 4/5 — clear and structured']);
      problems.push(...await checkScreen(other, SUITE, 'others-desktop'));
      await other.setViewportSize({ width: 390, height: 844 });
      problems.push(...await checkScreen(other, SUITE, 'others-390'));
      await page.setViewportSize({ width: 390, height: 844 });
      problems.push(...await checkScreen(page, SUITE, 'rated-390'));

      await outsider.setViewportSize({ width: 390, height: 844 });
      await openList(outsider, eve());
      const rows = await outsider.$$eval('#sessions tr[data-session-id]', (trs) => trs.map((tr) => tr.dataset.sessionId));
      assert.ok(!rows.includes(id), 'company-b does not list the session');
      res = await imsd.request('GET', `${REVIEW}/sessions/${id}`, { token: eve() });
      assert.equal(res.status, 404, res.text);
      problems.push(...await checkScreen(outsider, SUITE, 'company-b-list-390'));
      assert.deepEqual(problems, []);
    });
  } finally {
    await page.close();
    await other.close();
    await outsider.close();
  }
});

/** Runs fn({page, id, take, form}) on a new session's page, opened by ann at its take's rating form. */
async function onRatingForm(fn) {
  browser = browser || await launchBrowser();
  const { sessionId: id, takeId: take } = await sessionWithTake();
  const page = await browser.context.newPage();
  try {
    await withLogOnFailure(imsd, async () => {
      await openList(page, ann());
      await openSession(page, id);
      await fn({ page, id, take, form: page.locator(`form.rating[data-take-id="${take}"]`) });
    });
  } finally {
    await page.close();
  }
}

test('the review page removes the recruiter\'s own rating, audited', async () => {
  await onRatingForm(async ({ page, id, take, form }) => {
    const remove = form.getByRole('button', { name: 'Remove my rating' });
    assert.equal(await remove.count(), 0, 'nothing to remove before a rating is saved');
    await form.getByRole('radio', { name: '2' }).check();
    await form.getByLabel('Note').fill('too short');
    await form.getByRole('button', { name: 'Save rating' }).click();
    await page.waitForFunction((t) => document.querySelector(`form.rating[data-take-id="${t}"] .rating-status`).textContent === 'Saved', take);
    await remove.click();
    await page.waitForFunction((t) => document.querySelector(`form.rating[data-take-id="${t}"] .rating-status`).textContent === 'Removed', take);
    assert.deepEqual(await formOf(page, take), { rating: null, note: '', status: 'Removed', others: [] });
    assert.equal(await remove.count(), 0, 'the button goes with the rating');
    const res = await imsd.request('GET', `${REVIEW}/sessions/${id}/ratings`, { token: bob() });
    assert.deepEqual(res.json.items, [], 'the page removed what "Removed" says');
    const audit = await query(imsd, `SELECT action FROM audit_log WHERE target = '${take}' AND actor = 'ann@a.test' AND action IN ('rate_take', 'unrate_take') ORDER BY id`);
    assert.deepEqual(audit.map((r) => r.action), ['rate_take', 'unrate_take']);
    await page.reload();
    await page.waitForFunction(() => window.review && window.review.state.view === 'list' && !window.review.state.loading);
    await openSession(page, id);
    assert.deepEqual([(await formOf(page, take)).rating, await remove.count()], [null, 0], 'still gone after a reload');
  });
});

test('a refused save is shown as a sentence, never as "Saved"', async () => {
  await onRatingForm(async ({ page, take, form }) => {
    // the take disappears between opening the session and saving: 404 not_found
    psql(`DELETE FROM takes WHERE id = '${take}'`);
    await form.getByRole('radio', { name: '5' }).check();
    await form.getByRole('button', { name: 'Save rating' }).click();
    await page.waitForFunction((t) => {
      const s = document.querySelector(`form.rating[data-take-id="${t}"] .rating-status`).textContent;
      return s !== '' && s !== 'Saving…';
    }, take);
    assert.equal((await formOf(page, take)).status, 'This answer does not exist or is not available to you.');
  });
});
