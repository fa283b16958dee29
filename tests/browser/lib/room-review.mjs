// room-review.mjs: the review page (web-test-client/review/) with a live
// interview in it, for tests/browser/room.test.mjs.
//
//   checkReviewList(context, imsd, {token, room})
//       makes a one-way session of the same company, opens /review/ with the
//       recruiter token and asserts: both sessions listed, the room's marked
//       "Live" (data-kind live) and the other "One-way"; opening the live one
//       lists its 3 segments, and a question segment's "Play the candidate's
//       answer" plays that segment's take in #player
//   checkReviewComposite(context, imsd, {token, room})
//       the live session opened again once its composite is ready: the
//       composite loads, one chapter button per segment, a chapter's button
//       seeks the composite to its start
import assert from 'node:assert/strict';

async function describeReview(page) {
  return page.evaluate(() => JSON.stringify({
    state: window.review && { ...window.review.state, sessions: window.review.state.sessions.length, session: undefined },
    errors: window.review && window.review.errors,
    status: document.getElementById('status').textContent,
    live: document.getElementById('live-status').textContent,
  }, null, 1)).catch((e) => `(page gone: ${e.message})`);
}

/** Opens /review/ signed in, runs fn(page); the page's hooks go into a failure's message. */
async function onReviewPage(context, imsd, token, fn) {
  const page = await context.newPage();
  try {
    await page.goto(`${imsd.baseUrl}/review/#token=${encodeURIComponent(token)}`);
    return await fn(page);
  } catch (err) {
    throw new Error(`${err.message}\n${await describeReview(page)}`);
  } finally {
    await page.close();
  }
}

async function openLive(page, room) {
  const row = page.locator(`#sessions tr[data-session-id="${room.sessionId}"]`);
  await row.waitFor({ state: 'visible', timeout: 15000 });
  await row.click();
  await page.locator('#live').waitFor({ state: 'visible', timeout: 15000 });
  await page.waitForFunction(() => window.review.state.room !== null, null, { timeout: 15000 });
  return row;
}

export async function checkReviewList(context, imsd, { token, room }) {
  const oneWay = await imsd.createSession({ companyId: 'company-a' });
  await onReviewPage(context, imsd, token, async (page) => {
    const oneWayRow = page.locator(`#sessions tr[data-session-id="${oneWay.sessionId}"]`);
    await oneWayRow.waitFor({ state: 'visible', timeout: 15000 });
    assert.equal(await oneWayRow.locator('td').nth(1).textContent(), 'One-way', 'a one-way session marked One-way');
    const liveRow = page.locator(`#sessions tr[data-session-id="${room.sessionId}"]`);
    await liveRow.waitFor({ state: 'visible', timeout: 15000 });
    assert.equal(await liveRow.getAttribute('data-kind'), 'live', 'the room\'s session is a live one');
    assert.equal(await liveRow.locator('td').nth(1).textContent(), 'Live', 'marked Live');

    await openLive(page, room);
    assert.equal(await page.locator('#chapters li').count(), 3, 'one entry per segment');
    const answer = page.locator('#chapters li[data-chapter="1"] button[data-take-id]');
    const takeId = await answer.getAttribute('data-take-id');
    assert.ok(takeId, 'the first question segment names its take');
    await answer.click();
    await page.waitForFunction((id) => window.review.state.takeId === id && document.getElementById('player').readyState >= 1,
      takeId, { timeout: 30000 });
  });
}

export async function checkReviewComposite(context, imsd, { token, room }) {
  await onReviewPage(context, imsd, token, async (page) => {
    await openLive(page, room);
    await page.waitForFunction(() => {
      const v = document.getElementById('composite');
      return !v.hidden && v.readyState >= 1 && v.duration > 0;
    }, null, { timeout: 30000 });
    const chapters = page.locator('#chapters button.chapter');
    assert.equal(await chapters.count(), 3, 'a chapter button per segment');
    const start = Number(await chapters.nth(2).getAttribute('data-start-seconds'));
    assert.ok(start > 0, `the last chapter starts after the first: ${start}`);
    await chapters.nth(2).click();
    await page.waitForFunction((s) => Math.abs(document.getElementById('composite').currentTime - s) < 1.0, start, { timeout: 10000 });
  });
}
