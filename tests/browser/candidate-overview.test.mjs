// candidate-overview.test.mjs: the candidate page checks its link as it loads
// (GET /api/v1/candidate/session) and shows the interview's overview before
// the device check; a bad link is said at once, with no camera opened.
//
// Every page counts its getUserMedia calls (an init script wraps it), so
// "before the device check" is checked as "no camera asked for, no preview
// shown" rather than by timing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import { startImsd, TOKEN_SECRET } from './lib/imsd.mjs';
import { launchBrowser } from './lib/browser.mjs';
import { signToken, candidateToken } from './lib/token.mjs';
import { saveScreenshot } from './lib/screenshots.mjs';

const SUITE = 'candidate-overview';
const run = promisify(execFile);

let imsd;
let browser;

before(async () => {
  imsd = await startImsd({ name: 'overview' });
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (imsd) await imsd.shutdown();
});

async function createSession(extra = {}) {
  const res = await imsd.request('POST', '/api/v1/sessions', {
    body: {
      interviewId: `overview-${Date.now()}`,
      userId: 'overview-user',
      settings: { thinkSeconds: 20, maxRetakes: 2 },
      questions: [
        { id: 'q1', text: 'Tell us about yourself.', timeLimitSeconds: 60 },
        { id: 'q2', text: 'Why this role?', timeLimitSeconds: 120 },
        { id: 'q3', text: 'A hard problem you solved?', timeLimitSeconds: 90 },
      ],
      ...extra,
    },
  });
  assert.equal(res.status, 201, res.text);
  return res.json;
}

/** A new page whose getUserMedia calls are counted in window.gumCalls. */
async function countingPage() {
  const page = await browser.context.newPage();
  await page.addInitScript(() => {
    window.gumCalls = 0;
    const md = navigator.mediaDevices;
    const original = md.getUserMedia.bind(md);
    md.getUserMedia = (c) => { window.gumCalls += 1; return original(c); };
  });
  return page;
}

const joinUrl = (sessionId, token) => `${imsd.baseUrl}/candidate/?session=${sessionId}#token=${token}`;

async function cameraUntouched(page) {
  assert.equal(await page.evaluate(() => window.gumCalls), 0, 'no camera asked for');
  assert.equal(await page.locator('#preview').isVisible(), false, 'no preview shown');
  assert.equal(await page.locator('#screen-check').isVisible(), false, 'no device check shown');
}

test('a good link shows the overview before the device check, then the device check', { timeout: 60000 }, async () => {
  const session = await createSession({
    title: 'Backend engineer', companyName: 'Acme Robotics',
    practice: { text: 'Tell us what you had for breakfast.', timeLimitSeconds: 30 },
  });
  const page = await countingPage();
  try {
    await page.goto(session.joinUrl);
    await page.locator('#screen-overview').waitFor({ state: 'visible', timeout: 15000 });
    await cameraUntouched(page);
    assert.equal(await page.locator('#overview-title').textContent(), 'Backend engineer');
    assert.match(await page.locator('#overview-company').textContent(), /Acme Robotics/);
    const facts = await page.locator('#overview-facts').innerText();
    assert.match(facts, /Questions\s+3/);
    assert.match(facts, /up to 2 minutes/);
    assert.match(facts, /20 seconds/);
    assert.match(facts, /2 retakes per question/);
    const steps = await page.locator('#overview-steps li').count();
    assert.ok(steps >= 3 && steps <= 4, `3-4 steps, got ${steps}`);
    await saveScreenshot(page, SUITE, 'overview');
    // a phone: the overview fits 390 px
    await page.setViewportSize({ width: 390, height: 844 });
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `no horizontal overflow at 390 px (content ${width} px)`);
    await saveScreenshot(page, SUITE, 'overview-phone');
    await page.setViewportSize({ width: 1000, height: 800 });

    await page.locator('#overview-continue').click();
    await page.locator('#screen-check').waitFor({ state: 'visible', timeout: 15000 });
    await page.waitForFunction(() => window.gumCalls > 0, null, { timeout: 15000 });
    assert.equal(await page.locator('#screen-overview').isVisible(), false);
    await page.waitForFunction(() => !document.getElementById('join').disabled, null, { timeout: 30000 });
    await saveScreenshot(page, SUITE, 'device-check');
  } finally {
    await page.close();
  }
});

test('without a title, company or practice the overview says what it knows', { timeout: 60000 }, async () => {
  const session = await createSession();
  const res = await fetch(`${imsd.baseUrl}/api/v1/candidate/session`, { headers: { Authorization: `Bearer ${session.token}` } });
  assert.equal(res.status, 200);
  const overview = await res.json();
  assert.equal(overview.title, null);
  assert.equal(overview.practice, null);
  assert.equal(overview.questionCount, 3);
  const page = await countingPage();
  try {
    await page.goto(session.joinUrl);
    await page.locator('#screen-overview').waitFor({ state: 'visible', timeout: 15000 });
    assert.equal(await page.locator('#overview-title').textContent(), 'Your video interview');
    await cameraUntouched(page);
  } finally {
    await page.close();
  }
});

const BAD_LINKS = [
  { name: 'expired', code: 'token_expired', text: /has expired/,
    link: (s) => joinUrl(s.sessionId, candidateToken(TOKEN_SECRET, s.sessionId, -60)) },
  { name: 'forged', code: 'bad_token', text: /not valid/,
    link: (s) => joinUrl(s.sessionId, candidateToken('not-the-secret-not-the-secret-012345', s.sessionId)) },
  { name: 'not-yet-valid', code: 'token_not_yet_valid', text: /not valid yet/,
    link: (s) => {
      const now = Math.floor(Date.now() / 1000);
      return joinUrl(s.sessionId, signToken(TOKEN_SECRET, { sub: s.sessionId, aud: 'imsd.candidate', iat: now, nbf: now + 3600, exp: now + 7200 }));
    } },
  { name: 'unknown', code: 'session_not_found', text: /could not be found/,
    link: () => {
      const id = '6f1c0b3e-7a0d-4a52-9d3c-0c1f7a2b9e11';
      return joinUrl(id, candidateToken(TOKEN_SECRET, id));
    } },
  { name: 'ended', code: 'interview_completed', text: /already been completed/,
    ended: true, link: (s) => s.joinUrl },
];

for (const bad of BAD_LINKS) {
  test(`a ${bad.name} link is reported at once, before the device check`, { timeout: 60000 }, async () => {
    const session = await createSession();
    if (bad.ended) {
      await run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', imsd.databaseUrl, '-c',
        `UPDATE sessions SET state = 'completed', completed_at = now() WHERE id = '${session.sessionId}'`]);
    }
    const page = await countingPage();
    try {
      await page.goto(bad.link(session));
      await page.locator('#screen-done').waitFor({ state: 'visible', timeout: 15000 });
      assert.match(await page.locator('#done-text').textContent(), bad.text);
      const errors = await page.evaluate(() => window.imsd.errors.map((e) => e.code));
      assert.deepEqual(errors, [bad.code]);
      await cameraUntouched(page);
      assert.equal(await page.locator('#screen-overview').isVisible(), false);
      // no Join was tried: the page never opened the WebSocket
      assert.equal(await page.evaluate(() => window.imsd.sent.length), 0);
      await saveScreenshot(page, SUITE, `bad-link-${bad.name}`);
    } finally {
      await page.close();
    }
  });
}
