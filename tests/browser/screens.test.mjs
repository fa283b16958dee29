// screens.test.mjs: every screen of the pages, at a desktop (1280x800) and a
// phone (390x844) viewport, against a real stack (s3rver, imsd, Chromium).
// On each screen: a full-page screenshot (<suite>/<viewport>-<screen>.png),
// no serious or critical axe violation, no horizontal overflow
// (lib/screen-checks.mjs).  A failure lists every problem with its screen,
// viewport, axe rule, impact and selectors.
//
// SCREENS is the tour: one line per screen, in walking order, each reaching
// its screen from the one before (a page's screens share one tab, `t`).  The
// candidate walk records one short take per viewport; the review walk uses
// the session the desktop walk recorded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

import { startImsd, withLogOnFailure, waitFor, dropDatabase } from './lib/imsd.mjs';
import { query } from './lib/db.mjs';
import { launchBrowser, waitForState, clickButton } from './lib/browser.mjs';
import { passOverview, recordTake, stopTake } from './lib/candidate.mjs';
import { startS3rver } from './lib/s3.mjs';
import { signToken } from './lib/token.mjs';
import { checkScreen } from './lib/screen-checks.mjs';
import { createRoom, roomToken, roomUrl, waitForRoom } from './lib/room.mjs';

const SUITE = 'screens';
const REVIEW_SECRET = 'screens-test-secret-0123456789abcdef-XYZ';
const VIEWPORTS = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };

let s3;
let imsd;
let browser;
let recorded; // the session the desktop candidate walk recorded, for the review walk

function recruiter(secret = REVIEW_SECRET) {
  const now = Math.floor(Date.now() / 1000);
  return signToken(secret, { sub: 'recruiter-a@example.test', role: 'recruiter', companyId: 'company-a', iat: now, exp: now + 3600 });
}

// A page whose own script has settled: no request in flight.
async function settle(page) {
  await page.waitForLoadState('networkidle').catch(() => {});
}

const SCREENS = [
  ['candidate', 'bad-link', async (t) => {
    const s = await imsd.createSession({ questions: [{ id: 'x', text: 'Unused.', timeLimitSeconds: 30 }], companyId: 'company-a' });
    await t.page.goto(s.joinUrl.replace(/#token=.*/, '#token=not-a-token'));
    await t.page.getByText('This interview link is not valid.').first().waitFor({ state: 'visible', timeout: 10000 });
  }],
  ['candidate', 'overview', async (t) => {
    t.session = await imsd.createSession({
      questions: [
        { id: 's1', text: 'Describe a bug you fixed.', timeLimitSeconds: 30 },
        { id: 's2', text: 'How do you review code?', timeLimitSeconds: 30 },
      ],
      thinkSeconds: 30, maxRetakes: 1, profile: 'technical', companyId: 'company-a',
      title: 'Backend engineer', companyName: 'Example Ltd',
    });
    await t.page.goto(t.session.joinUrl);
    await t.page.locator('#overview-continue').waitFor({ state: 'visible', timeout: 10000 });
  }],
  ['candidate', 'device-check', async (t) => {
    await passOverview(t.page);
    await t.page.waitForFunction(() => !document.getElementById('join').disabled, null, { timeout: 20000 });
  }],
  ['candidate', 'think-time', async (t) => {
    await clickButton(t.page, 'join');
    await waitForState(t.page, 's => s.questionIndex === 0 && s.mediaReady', { what: 'media ready' });
  }],
  ['candidate', 'recording', async (t) => {
    await recordTake(t.page, 0, 1);
    await sleep(2000); // a take long enough to be processed into renditions
  }],
  ['candidate', 'take-saved', async (t) => {
    await stopTake(t.page, 0, 1);
  }],
  ['candidate', 'watching-take', async (t) => {
    await t.page.evaluate(() => { document.getElementById('playback-video').muted = true; });
    await clickButton(t.page, 'watch');
    await t.page.waitForFunction(() => document.getElementById('playback-video').readyState >= 1, null, { timeout: 60000 });
  }],
  ['candidate', 'finish-confirm', async (t) => {
    await clickButton(t.page, 'end');
    await t.page.locator('#finish-dialog').waitFor({ state: 'visible', timeout: 5000 });
  }],
  ['candidate', 'finished', async (t) => {
    await clickButton(t.page, 'finish-confirm');
    await waitForState(t.page, 's => s.phase === "completed"', { what: 'interview completed' });
    if (t.viewport === 'desktop') recorded = t.session;
  }],
  ['review', 'sign-in', async (t) => {
    await t.page.goto(`${imsd.baseUrl}/review/`);
    await t.page.locator('#token').waitFor({ state: 'visible' });
  }],
  ['review', 'bad-token', async (t) => {
    await t.page.fill('#token', recruiter('not-the-review-secret-0123456789abcdef'));
    await t.page.click('#sign-in');
    await t.page.waitForFunction(() => window.review.errors.length > 0, null, { timeout: 10000 });
  }],
  ['review', 'session-list', async (t) => {
    assert.ok(recorded, 'the desktop candidate walk must have recorded a session');
    await waitFor(async () => {
      const rows = await query(imsd, `SELECT kind FROM media_files WHERE session_id = '${recorded.sessionId}' AND status = 'stored'`);
      return rows.length === 4 ? rows : null;
    }, { timeoutMs: 120000, intervalMs: 500, what: '4 media_files rows' });
    await t.page.fill('#token', recruiter());
    await t.page.click('#sign-in');
    await t.page.locator(`#sessions tr[data-session-id="${recorded.sessionId}"]`).waitFor({ state: 'visible', timeout: 10000 });
  }],
  ['review', 'session-detail', async (t) => {
    await t.page.locator(`#sessions tr[data-session-id="${recorded.sessionId}"]`).click();
    await t.page.locator('#session button.take').first().waitFor({ state: 'visible', timeout: 10000 });
    await t.page.waitForFunction(() => {
      const img = document.querySelector('button.take img');
      return img && img.complete && img.naturalWidth > 0;
    }, null, { timeout: 10000 });
  }],
  ['review', 'take-playing', async (t) => {
    await t.page.evaluate(() => { document.getElementById('player').muted = true; });
    await t.page.locator('#session button.take').first().click();
    await t.page.waitForFunction(() => document.getElementById('player').readyState >= 1, null, { timeout: 15000 });
  }],
  ['room', 'candidate-joining', async (t) => {
    t.room = await createRoom(imsd);
    await t.page.goto(t.room.byRole.candidate.joinUrl);
    await t.page.locator('#join').waitFor({ state: 'visible', timeout: 15000 });
    await waitForRoom(t.page, '() => !document.getElementById("join").disabled', { what: 'the device check' });
  }],
  ['room', 'candidate-in-room', async (t) => {
    await t.page.locator('#join').click();
    await waitForRoom(t.page, '(r) => r.sent.some((m) => m.type === "publish" && m.stream === "camera")', { what: 'the camera published' });
  }],
  ['room', 'interviewer-joining', async (t) => {
    t.others.push(t.page);
    t.page = await browser.context.newPage();
    await t.page.setViewportSize(VIEWPORTS[t.viewport]);
    await t.page.goto(t.room.byRole.interviewer.joinUrl);
    await t.page.locator('#join').waitFor({ state: 'visible', timeout: 15000 });
    await waitForRoom(t.page, '() => !document.getElementById("join").disabled', { what: 'the device check' });
  }],
  ['room', 'interviewer-in-room', async (t) => {
    await t.page.locator('#join').click();
    await waitForRoom(t.page, '(r) => r.sent.some((m) => m.type === "publish" && m.stream === "camera")', { what: 'the camera published' });
  }],
  ['room', 'refused-link', async (t) => {
    const p = t.room.byRole.candidate;
    const forged = roomToken('not-the-room-secret-0123456789abcdef', { roomId: t.room.roomId, participantId: p.participantId, role: 'candidate' });
    t.others.push(t.page);
    t.page = await browser.context.newPage();
    await t.page.setViewportSize(VIEWPORTS[t.viewport]);
    await t.page.goto(roomUrl(imsd, t.room.roomId, forged));
    await waitForRoom(t.page, '(r) => r.errors && r.errors.length > 0', { what: 'the refusal shown' });
  }],
];

before(async () => {
  dropDatabase('imsd_e2e_screens');
  s3 = await startS3rver({ name: 'screens' });
  imsd = await startImsd({
    name: 'screens',
    env: {
      ...s3.imsdEnv({ keyPrefix: 'e2e-screens' }),
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

for (const [viewport, size] of Object.entries(VIEWPORTS)) {
  for (const pageName of [...new Set(SCREENS.map(([p]) => p))]) {
    test(`${pageName} screens at ${viewport} (${size.width}x${size.height})`, { timeout: 240000 }, async () => {
      await withLogOnFailure(imsd, async () => {
        const page = await browser.context.newPage();
        await page.setViewportSize(size);
        const t = { page, viewport, others: [] };
        const problems = [];
        try {
          for (const [p, name, reach] of SCREENS) {
            if (p !== pageName) continue;
            await reach(t);
            problems.push(...(await checkScreen(t.page, SUITE, `${viewport}-${p}-${name}`))
              .map((line) => `${viewport}: ${line}`));
          }
        } finally {
          for (const p of [t.page, ...t.others]) await p.close();
        }
        assert.deepEqual(problems, [], `problems found:\n${problems.join('\n')}`);
      });
    });
  }
}
