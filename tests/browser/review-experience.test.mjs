// review-experience.test.mjs: what a recruiter sees of a session's answers
// on the review page (web-test-client/review/) and the list's filters, with
// one imsd (IMSD_REVIEW_JWT_SECRET) and one Chromium.
//
// The sessions, questions and takes are written straight into PostgreSQL
// (no recording: what is checked is how the page and the API show rows, and a
// retake or an early end is only rows): session A answered 2 of its 3 questions
// (question 0 three times: completed, completed, interrupted; question 1 once,
// with a lossy completeness record) and was completed: ended early; B
// answered its only question; C is active.
//
//   1. the API: candidateEmail (part, any case, % a plain letter), sort,
//      interviewId and from/to; questionsAnswered, questionCount, endedEarly,
//      title in the list and the detail; bad values refused with invalid_request; every
//      answer checked against docs/openapi.yaml
//   2. the page: the "Answered" column ("2 of 3 · Ended early"), the
//      interview by its title, each filter
//   3. the session: the kept answer labelled, the other takes folded with their
//      status, each take's completeness in words
//   4. at 390x844 neither the list, the session nor the take view overflows
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';

import { startImsd, withLogOnFailure, dropDatabase } from './lib/imsd.mjs';
import { launchBrowser } from './lib/browser.mjs';
import { loadOpenApi } from './lib/openapi.mjs';
import { saveScreenshot } from './lib/screenshots.mjs';
import { horizontalOverflow } from './lib/screen-checks.mjs';
import { signToken } from './lib/token.mjs';

const SUITE = 'review-experience';
const REVIEW_SECRET = 'review-experience-test-secret-0123456789abcdef';
const COMPANY = 'company-rx';

let imsd;
let browser;
let contract;
const ids = { A: randomUUID(), B: randomUUID(), C: randomUUID() };
const takes = { a0t1: randomUUID(), a0t2: randomUUID(), a0t3: randomUUID(), a1t1: randomUUID(), b0t1: randomUUID() };

// video and audio tracks of a completeness record (docs/ingest.md)
function track({ lost = 0, gaps = 0, longestMs = 0 } = {}) {
  return {
    packets: { expected: 1000, received: 1000 - lost, recoveredByNack: 0, lost },
    frames: { written: 300, droppedIncomplete: 0, refused: 0, beforeKeyframe: 0 },
    gaps: { count: gaps, longestMs },
    firstMs: 0,
    lastMs: 10000,
  };
}
const LOSSY = { video: track({ lost: 100, gaps: 2, longestMs: 1200 }), audio: track({ lost: 20, gaps: 1, longestMs: 300 }), avOffsetMs: { start: 40, end: 140 } };
const CLEAN = { video: track(), audio: track(), avOffsetMs: { start: 10, end: -20 } };

function recruiter() {
  const now = Math.floor(Date.now() / 1000);
  return signToken(REVIEW_SECRET, { sub: 'recruiter@rx.test', role: 'recruiter', companyId: COMPANY, iat: now, exp: now + 3600 });
}

function psql(sql) {
  execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', imsd.databaseUrl, '-c', sql], { encoding: 'utf8' });
}

const literal = (value) => (value === null ? 'NULL' : `'${String(value).replace(/'/g, "''")}'`);

function session(id, { interview, email, state, created, questions, title = null }) {
  const completed = state === 'completed' ? `'${created}'::timestamptz + interval '1 hour'` : 'NULL';
  psql(`INSERT INTO sessions (id, interview_id, user_id, candidate_email, company_id, profile, think_seconds, max_retakes, state, created_at, started_at, completed_at, title)
        VALUES ('${id}', ${literal(interview)}, 'user-${id.slice(0, 8)}', ${literal(email)}, '${COMPANY}', 'technical', 10, 3, '${state}', '${created}', '${created}', ${completed}, ${literal(title)})`);
  questions.forEach((text, idx) => psql(`INSERT INTO questions (session_id, idx, question_id, text, time_limit_seconds)
        VALUES ('${id}', ${idx}, 'q${idx}', ${literal(text)}, 60)`));
}

function take(id, sessionId, questionIdx, number, status, completeness = null) {
  psql(`INSERT INTO takes (id, session_id, question_idx, number, status, path, started_at, stopped_at, duration_ms, completeness)
        VALUES ('${id}', '${sessionId}', ${questionIdx}, ${number}, '${status}', '/spool/${id}.mkv', now(), now(), 10000,
                ${completeness ? `${literal(JSON.stringify(completeness))}::jsonb` : 'NULL'})`);
}

/** GET path with the recruiter's token, checked against docs/openapi.yaml. */
async function get(path) {
  const res = await fetch(`${imsd.baseUrl}${path}`, { headers: { Authorization: `Bearer ${recruiter()}` } });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* checked below */ }
  const answer = { status: res.status, headers: res.headers, text, json };
  contract.check('GET', path, answer);
  return answer;
}

const listed = async (query) => (await get(`/api/v1/review/sessions?${query}`)).json.items.map((s) => s.sessionId);

before(async () => {
  dropDatabase('imsd_e2e_reviewexperience');
  contract = await loadOpenApi();
  imsd = await startImsd({ name: 'reviewexperience', env: { IMSD_REVIEW_JWT_SECRET: REVIEW_SECRET } });
  session(ids.A, { interview: 'int-a', email: 'Alice.Smith@example.test', state: 'completed', created: '2026-01-10T10:00:00Z',
    title: 'Backend engineer', questions: ['Tell us about yourself.', 'Why this job?', 'Any questions?'] });
  take(takes.a0t1, ids.A, 0, 1, 'completed', CLEAN);
  take(takes.a0t2, ids.A, 0, 2, 'completed', CLEAN);
  take(takes.a0t3, ids.A, 0, 3, 'interrupted');
  take(takes.a1t1, ids.A, 1, 1, 'completed', LOSSY);
  session(ids.B, { interview: 'int-b', email: 'bob@example.test', state: 'completed', created: '2026-02-10T10:00:00Z',
    questions: ['Describe a project.'] });
  take(takes.b0t1, ids.B, 0, 1, 'completed');
  session(ids.C, { interview: 'int-a', email: 'carol_x@example.test', state: 'active', created: '2026-03-10T10:00:00Z',
    questions: ['Tell us about yourself.'] });
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (imsd) await imsd.shutdown();
});

test('the API filters by candidate e-mail, interview and dates, sorts, and counts answered questions', async () => {
  await withLogOnFailure(imsd, async () => {
    assert.deepEqual(await listed(''), [ids.C, ids.B, ids.A], 'newest first by default');
    assert.deepEqual(await listed('sort=newest'), [ids.C, ids.B, ids.A]);
    assert.deepEqual(await listed('sort=oldest'), [ids.A, ids.B, ids.C], 'sort=oldest');
    assert.deepEqual(await listed('candidateEmail=SMITH'), [ids.A], 'a part of the e-mail, any case');
    assert.deepEqual(await listed('candidateEmail=example.test&sort=oldest&limit=2'), [ids.A, ids.B]);
    assert.deepEqual(await listed('candidateEmail=%25'), [], '% is a plain letter, not a wildcard');
    assert.deepEqual(await listed('candidateEmail=_x'), [ids.C], '_ is a plain letter');
    assert.deepEqual(await listed(`candidateEmail=${encodeURIComponent("x' OR '1'='1")}`), [], 'a quote is text');
    assert.deepEqual(await listed('interviewId=int-a'), [ids.C, ids.A]);
    assert.deepEqual(await listed('from=2026-02-01T00:00:00Z&to=2026-03-01T00:00:00Z'), [ids.B]);

    const page = (await get('/api/v1/review/sessions?sort=oldest')).json;
    const [a, b, c] = page.items;
    assert.deepEqual([a.questionsAnswered, a.questionCount, a.endedEarly], [2, 3, true], 'A: 2 of 3, ended early');
    assert.deepEqual([b.questionsAnswered, b.questionCount, b.endedEarly], [1, 1, false], 'B: all answered');
    assert.deepEqual([c.questionsAnswered, c.questionCount, c.endedEarly], [0, 1, false], 'C: active, not ended');
    assert.deepEqual([a.title, b.title], ['Backend engineer', null], 'the title given at session creation, or null');

    const detail = (await get(`/api/v1/review/sessions/${ids.A}`)).json;
    assert.deepEqual([detail.questionsAnswered, detail.questionCount, detail.endedEarly], [2, 3, true]);
    assert.equal(detail.title, 'Backend engineer');
    assert.deepEqual(detail.questions[1].takes[0].completeness, LOSSY, 'the completeness record, as stored');
    assert.equal(detail.questions[0].takes[2].completeness, null);

    for (const [query, word] of [['sort=up', 'sort'], ['candidateEmail=', 'candidateEmail'],
      [`candidateEmail=${'a'.repeat(255)}`, 'candidateEmail']]) {
      const res = await get(`/api/v1/review/sessions?${query}`);
      assert.equal(res.status, 400, `${query}: ${res.text}`);
      assert.equal(res.json.code, 'invalid_request', res.text);
      assert.match(res.json.message, new RegExp(`^${word} must be`), res.text);
    }
  });
});

/** Opens the review page signed in, at the list. */
async function openList(page) {
  await page.goto(`${imsd.baseUrl}/review/#token=${recruiter()}`);
  await page.waitForFunction(() => window.review && window.review.state.view === 'list' && !window.review.state.loading);
}

const rowIds = (page) => page.$$eval('#sessions tr[data-session-id]', (rows) => rows.map((r) => r.dataset.sessionId));

/** Waits until the list shows exactly ids (in order). */
async function waitForRows(page, expected, what) {
  try {
    await page.waitForFunction((want) => {
      const got = [...document.querySelectorAll('#sessions tr[data-session-id]')].map((r) => r.dataset.sessionId);
      return !window.review.state.loading && JSON.stringify(got) === JSON.stringify(want);
    }, expected, { timeout: 5000 });
  } catch {
    assert.deepEqual(await rowIds(page), expected, what);
  }
}

test('the list shows answered questions and filters by e-mail, interview, dates and order', async () => {
  const page = await browser.context.newPage();
  try {
    await withLogOnFailure(imsd, async () => {
      await openList(page);
      await waitForRows(page, [ids.C, ids.B, ids.A], 'newest first');
      const headers = await page.$$eval('.sessions-table th', (ths) => ths.map((th) => th.textContent));
      const answered = headers.indexOf('Answered');
      assert.ok(answered >= 0, `an Answered column: ${headers}`);
      const cell = (id) => page.$eval(`tr[data-session-id="${id}"]`, (tr, i) => tr.children[i].textContent, answered);
      assert.equal(await cell(ids.A), '2 of 3 · Ended early');
      assert.equal(await cell(ids.B), '1 of 1');
      const interview = (id) => page.$eval(`tr[data-session-id="${id}"]`, (tr) => tr.children[0].textContent);
      assert.deepEqual([await interview(ids.A), await interview(ids.B)], ['Backend engineer (int-a)', 'int-b'],
        'the interview by its title where it has one');
      await saveScreenshot(page, SUITE, 'list');

      await page.fill('#filter-email', 'smith');
      await page.press('#filter-email', 'Enter');
      await waitForRows(page, [ids.A], 'e-mail search');
      await saveScreenshot(page, SUITE, 'list-email-filter');
      await page.fill('#filter-email', '');
      await page.selectOption('#filter-sort', 'oldest');
      await waitForRows(page, [ids.A, ids.B, ids.C], 'oldest first');
      await page.fill('#filter-interview', 'int-a');
      await page.press('#filter-interview', 'Enter');
      await waitForRows(page, [ids.A, ids.C], 'one interview');
      await page.fill('#filter-interview', '');
      await page.fill('#filter-from', '2026-02-01');
      await page.fill('#filter-to', '2026-02-28');
      await page.press('#filter-to', 'Enter');
      await waitForRows(page, [ids.B], 'a date range');
      await saveScreenshot(page, SUITE, 'list-date-filter');
    });
  } finally {
    await page.close();
  }
});

test('a session shows the kept answer, folds the other takes and says how complete each recording is', async () => {
  const page = await browser.context.newPage();
  try {
    await withLogOnFailure(imsd, async () => {
      await openList(page);
      await page.click(`tr[data-session-id="${ids.A}"]`);
      await page.waitForFunction(() => window.review.state.view === 'session' && !window.review.state.loading);
      const questions = await page.$$eval('#questions > li', (items) => items.map((li) => {
        const kept = li.querySelector('.kept');
        const details = li.querySelector('details.other-takes');
        return {
          keptLabel: kept && kept.querySelector('.kept-label').textContent,
          kept: kept && kept.querySelector('button.take').dataset.takeId,
          othersOpen: details ? details.open : null,
          othersSummary: details && details.querySelector('summary').textContent,
          others: details ? [...details.querySelectorAll('button.take')].map((b) => b.dataset.takeId) : [],
          otherMeta: details ? [...details.querySelectorAll('.take-meta')].map((m) => m.textContent) : [],
          completeness: [...li.querySelectorAll('.completeness')].map((p) => [p.dataset.takeId, p.textContent]),
          text: li.textContent,
        };
      }));
      const [q0, q1, q2] = questions;
      assert.equal(q0.keptLabel, 'Kept answer');
      assert.equal(q0.kept, takes.a0t2, 'the last completed take is the kept one');
      assert.equal(q0.othersOpen, false, 'the other takes are folded');
      assert.equal(q0.othersSummary, '2 other takes');
      assert.deepEqual(q0.others, [takes.a0t1, takes.a0t3]);
      assert.match(q0.otherMeta[0], /^Take 1 · completed/);
      assert.match(q0.otherMeta[1], /^Take 3 · interrupted/);
      const words = Object.fromEntries([...q0.completeness, ...q1.completeness]);
      assert.equal(words[takes.a0t2], 'Recording: Complete');
      assert.equal(words[takes.a0t3], 'Recording: not measured');
      assert.equal(words[takes.a1t1], "Recording: 3 gaps (longest 1.2 s), 120 packets lost, A/V offset 140 ms: the candidate's network");
      assert.equal(q1.kept, takes.a1t1);
      assert.equal(q1.othersSummary, null, 'no other takes, no disclosure');
      assert.match(q2.text, /No answer recorded/);
      assert.match(await page.textContent('#session-meta'), /answered 2 of 3 · Ended early/);
      assert.match(await page.textContent('#session-meta'), /^Interview Backend engineer \(int-a\) · /);
      await saveScreenshot(page, SUITE, 'session');
      await page.click('details.other-takes summary');
      await saveScreenshot(page, SUITE, 'session-other-takes');
    });
  } finally {
    await page.close();
  }
});

test('at 390x844 the list, the session and the take view fit the screen', async () => {
  const page = await browser.context.newPage();
  try {
    await page.setViewportSize({ width: 390, height: 844 });
    await withLogOnFailure(imsd, async () => {
      await openList(page);
      await waitForRows(page, [ids.C, ids.B, ids.A], 'newest first');
      let size = await horizontalOverflow(page);
      assert.ok(size.by <= 0, `the list overflows: ${JSON.stringify(size)}`);
      await saveScreenshot(page, SUITE, 'phone-list');

      await page.click(`tr[data-session-id="${ids.A}"]`);
      await page.waitForFunction(() => window.review.state.view === 'session' && !window.review.state.loading);
      await page.click('details.other-takes summary');
      size = await horizontalOverflow(page);
      assert.ok(size.by <= 0, `the session overflows: ${JSON.stringify(size)}`);
      await saveScreenshot(page, SUITE, 'phone-session');

      // the take view: a take chosen (these rows have no video: the page says so)
      await page.click(`button.take[data-take-id="${takes.a0t2}"]`);
      await page.waitForFunction(() => window.review.errors.length > 0);
      size = await horizontalOverflow(page);
      assert.ok(size.by <= 0, `the take view overflows: ${JSON.stringify(size)}`);
      await saveScreenshot(page, SUITE, 'phone-take');
    });
  } finally {
    await page.close();
  }
});
