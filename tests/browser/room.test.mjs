// room.test.mjs: a live interview room (docs/live-rooms.md) end to end, from
// the room page (web-test-client/room/) to PostgreSQL, S3 and Kafka.
//
// A private Kafka mock, s3rver and imsd; three Chromium processes (fake
// capture files are per process): the candidate's camera is the frame-coded
// y4m of tests/tools/fidelity-media, the interviewer's the same with its
// reference cells inverted (so a page tells who it sees), both with the
// beeping WAV as microphone; the observer has Chromium's own fake devices
// and must send nothing.
//
//   1. the candidate waits in the lobby until the interviewer is in; then
//      each receives the other's frames (numbers growing, CRC good, the
//      other's pattern) and audio (inbound-rtp totalAudioEnergy growing); the
//      observer receives both and has no outbound-rtp; the interviewer's
//      screen share arrives at the candidate; the interviewer sees the timer
//      and the quality of both; marks 2 questions; ends (confirmed); every
//      page shows the end.  The candidate's page is 390 x 844 and fits.
//   2. after End: rooms / room_segments / room_recordings / takes rows, the
//      Kafka events (interview.started, 2 x candidate.response_submitted,
//      interview.completed, in that order, once each; media.uploaded /
//      media.processed of the takes)
//   3. rejoin: the candidate's page closed and opened again mid-interview,
//      then the interviewer's, then the candidate's reloaded (no second device
//      check): both see each other again each time, the recording goes on,
//      each rejoin in a new segment of the same question
//   4. authorization from the page: an expired and a not-yet-valid room
//      token show their sentence before any device check; another company's
//      recruiter is refused; a candidate cannot mark or end, an observer cannot publish
//   5. the review page lists test 1's session beside a one-way one, marked
//      "Live"; its detail lists the segments and plays a segment's take
//   6. then test 1's composite (made in the background meanwhile): every
//      recording and the composite MP4 in S3, the MP4 decodes with both
//      people in it, one chapter per segment, one media.uploaded of it
//   7. the review page plays the composite; its chapters seek it
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { withLogOnFailure, waitFor, TOKEN_SECRET } from './lib/imsd.mjs';
import { checkAgainstOutbox } from './lib/kafka.mjs';
import { makePersonMedia, launchPersonBrowser, pcStats } from './lib/room-media.mjs';
import { createRoom, roomToken, recruiterToken, roomUrl, openRoom, waitForRoom, describeRoom,
  waitForFramesGrowing } from './lib/room.mjs';
import { roomRows, roomEvents, waitForRoomDone, segmentIndex, segmentQuestion, startRoomStack, stopRoomStack }
  from './lib/room-records.mjs';
import { probeMedia, peopleInComposite } from './lib/room-composite.mjs';
import { checkReviewList, checkReviewComposite } from './lib/room-review.mjs';

const NAME = 'room';
const KEY_PREFIX = 'room-media';
const REVIEW_SECRET = 'room-test-review-secret-0123456789abcdef';

let kafka;
let s3;
let imsd;
const media = {};
const browsers = {};
let done = null; // test 1's room once ended: {room, marked: [questions]}

let stack = {};

before(async () => {
  stack = await startRoomStack({ name: NAME, keyPrefix: KEY_PREFIX, reviewSecret: REVIEW_SECRET });
  ({ kafka, s3, imsd } = stack);
  media.candidate = await makePersonMedia({ inverted: false });
  media.interviewer = await makePersonMedia({ inverted: true });
  browsers.candidate = await launchPersonBrowser(media.candidate);
  browsers.interviewer = await launchPersonBrowser(media.interviewer);
  browsers.observer = await launchPersonBrowser(null);
});

after(async () => {
  for (const b of Object.values(browsers)) await b.close();
  await stopRoomStack(stack);
  for (const m of Object.values(media)) fs.rmSync(m.dir, { recursive: true, force: true });
});

/** Runs fn with imsd's log and the pages' hooks printed on failure. */
function withContext(pages, fn) {
  return withLogOnFailure(imsd, fn, async () => {
    const parts = [];
    for (const [who, page] of Object.entries(pages)) if (page) parts.push(`--- ${who}: ${await describeRoom(page)}`);
    return parts.join('\n');
  });
}

/** Waits until the audio of pc `id` on page has more energy than `than` (and returns it). */
async function audioGrowing(page, id, than = 0) {
  return waitFor(async () => {
    const s = (await pcStats(page))[id];
    return s && s.inAudioEnergy > than && s.inAudioPackets > 0 ? s.inAudioEnergy : null;
  }, { timeoutMs: 30000, intervalMs: 300, what: `inbound audio energy on ${id}` });
}

async function audioKeepsGrowing(page, id) {
  const first = await audioGrowing(page, id);
  await sleep(1000);
  return audioGrowing(page, id, first);
}

const sub = (p, stream = 'camera') => `sub:${p.participantId}:${stream}`;

/** The index of the open segment on page (-1 before the room is live). */
const segmentNow = async (page) => Number(await page.evaluate(() => document.body.dataset.segment || '-1'));

/** Waits on every page for a segment after `after` whose question is questionIndex. */
async function waitForSegment(pages, after, questionIndex) {
  for (const page of pages) {
    await waitForRoom(page, `(r) => r.state.segment && r.state.segment.index > ${after} && r.state.segment.questionIndex === ${questionIndex}`,
      { what: `a segment after ${after} of question ${questionIndex}` });
  }
}

async function markQuestion(ip, pages, index) {
  const before = await segmentNow(ip);
  await ip.locator(`#questions button[data-question-index="${index}"]`).click();
  await waitForSegment(pages, before, index);
}

async function endInterview(ip, pages) {
  await ip.locator('#end').click();
  await ip.locator('#end-dialog').waitFor({ state: 'visible' });
  await ip.locator('#end-confirm').click();
  for (const page of pages) {
    await waitForRoom(page, '(r, d) => d.state === "ended" && d.screen === "ended"', { what: 'the end on every page' });
  }
}

test('interviewer, candidate and observer: lobby, video and audio both ways, screen share, 2 questions, End',
  { timeout: 240000 }, async () => {
    const room = await createRoom(imsd, { companyId: 'company-a' });
    const cand = room.byRole.candidate;
    const int = room.byRole.interviewer;
    assert.equal(room.state, 'scheduled', 'a new room is scheduled');
    assert.match(cand.joinUrl, new RegExp(`/room/\\?room=${room.roomId}&token=`), 'joinUrl is the room page');
    const pages = {};
    await withContext(pages, async () => {
      pages.candidate = await openRoom(browsers.candidate.context, cand.joinUrl);
      await pages.candidate.setViewportSize({ width: 390, height: 844 });
      await waitForRoom(pages.candidate, '(r, d) => d.role === "candidate" && d.screen === "lobby"', { what: 'the candidate in the lobby' });
      assert.match(await pages.candidate.locator('#screen-lobby h1').textContent(), /interviewer will join shortly/i);

      pages.interviewer = await openRoom(browsers.interviewer.context, int.joinUrl);
      for (const page of [pages.candidate, pages.interviewer]) {
        await waitForRoom(page, '(r, d) => d.state === "live" && d.screen === "room"', { what: 'the room live' });
      }
      pages.observer = await openRoom(browsers.observer.context,
        roomUrl(imsd, room.roomId, recruiterToken(REVIEW_SECRET, 'company-a')));
      await waitForRoom(pages.observer, '(r, d) => d.role === "observer" && d.screen === "room"', { what: 'the observer in' });

      // video both ways, and to the observer: each sees the other's pattern
      await waitForFramesGrowing(pages.interviewer, cand.participantId, 'camera', 'normal');
      await waitForFramesGrowing(pages.candidate, int.participantId, 'camera', 'inverted');
      await waitForFramesGrowing(pages.observer, cand.participantId, 'camera', 'normal');
      await waitForFramesGrowing(pages.observer, int.participantId, 'camera', 'inverted');
      // audio
      await audioKeepsGrowing(pages.interviewer, sub(cand));
      await audioKeepsGrowing(pages.candidate, sub(int));
      await audioKeepsGrowing(pages.observer, sub(cand));
      await audioKeepsGrowing(pages.observer, sub(int));

      // the observer sends nothing; the candidate does not see it (observersVisible false)
      const observerStats = await pcStats(pages.observer);
      assert.ok(Object.keys(observerStats).length >= 2, `the observer subscribes: ${JSON.stringify(observerStats)}`);
      for (const [id, s] of Object.entries(observerStats)) {
        assert.ok(id.startsWith('sub:'), `observer pc ${id} is a subscription`);
        assert.equal(s.outbound, 0, `observer pc ${id} has no outbound-rtp`);
      }
      const observerSent = await pages.observer.evaluate(() => window.room.sent.map((m) => m.type));
      assert.ok(!observerSent.includes('publish'), `the observer never publishes: ${observerSent}`);
      assert.equal(await pages.candidate.evaluate(() => window.room.state.participants.filter((p) => p.role === 'observer').length), 0,
        'the candidate does not see the observer');
      assert.equal(await pages.observer.locator('#join').isVisible(), false, 'no device check for the observer');

      // the big tile: the candidate for the interviewer, the interviewer for the candidate
      assert.equal(await pages.interviewer.locator('figure.tile.big video').getAttribute('data-participant'), cand.participantId);
      assert.equal(await pages.candidate.locator('figure.tile.big video').getAttribute('data-participant'), int.participantId);
      assert.equal(await pages.interviewer.locator('#self').isVisible(), true, 'the interviewer sees themself small');

      // timer and quality on the interviewer's page
      await waitForRoom(pages.interviewer, '() => /^\\d+:\\d\\d \\/ 30:00$/.test(document.getElementById("timer").textContent)', { what: 'the timer' });
      await waitForRoom(pages.interviewer, `() => ["${cand.participantId}", "${int.participantId}"].every((id) =>
        document.querySelector('#quality li[data-participant="' + id + '"][data-quality]'))`, { what: 'the quality of both sides', timeoutMs: 15000 });

      // screen share: the interviewer's arrives at the candidate
      await pages.interviewer.locator('#screen-share').click();
      await waitForRoom(pages.candidate, `(r) => r.state.participants.some((p) => p.participantId === "${int.participantId}" && p.streams.includes("screen"))`,
        { what: 'the interviewer publishing a screen' });
      const screenVideo = `video[data-participant="${int.participantId}"][data-stream="screen"]`;
      await waitForRoom(pages.candidate, `() => { const v = document.querySelector('${screenVideo}'); return v && v.videoWidth > 0; }`,
        { what: 'the shared screen playing at the candidate' });
      const screenFrames = async () => ((await pcStats(pages.candidate))[sub(int, 'screen')] || {}).inVideoFrames || 0;
      const f0 = await screenFrames();
      await waitFor(async () => (await screenFrames()) > f0 + 10, { timeoutMs: 15000, what: 'screen frames decoded at the candidate' });

      // 2 questions, then End
      const all = Object.values(pages);
      await markQuestion(pages.interviewer, all, 0);
      assert.equal(await pages.candidate.locator('#current-question').textContent(), room.body.questions[0].text,
        'the candidate sees the marked question');
      await sleep(3000);
      await markQuestion(pages.interviewer, all, 1);
      assert.equal(await pages.candidate.locator('#current-question').textContent(), room.body.questions[1].text);
      await sleep(3000);

      // 390 x 844: the candidate's page fits without sideways scrolling
      assert.ok(await pages.candidate.evaluate(() => document.documentElement.scrollWidth <= 390),
        'no horizontal overflow at 390 px');

      await endInterview(pages.interviewer, all);
      done = { room, marked: [0, 1] };
    });
    for (const page of Object.values(pages)) await page.close();
  });

test('after End: PostgreSQL holds the room, its segments, recordings and takes; Kafka the interview\'s events, once each, in order',
  { timeout: 120000 }, async () => {
    assert.ok(done, 'the room test must have passed first');
    const { room } = done;
    const cand = room.byRole.candidate;
    const int = room.byRole.interviewer;
    let events = [];
    await withLogOnFailure(imsd, async () => {
      const rows = await waitFor(async () => {
        const r = await roomRows(imsd, room.roomId);
        return r.takes.length === 2 && r.takes.every((t) => t.processed_at) ? r : null;
      }, { timeoutMs: 90000, intervalMs: 500, what: 'the 2 takes processed' });
      assert.equal(rows.room.state, 'ended', 'rooms.state');
      assert.ok(rows.room.started_at && rows.room.ended_at, 'rooms.started_at and ended_at');

      // segments: the opening, then the 2 marked questions; all closed
      assert.deepEqual(rows.segments.map((s) => [segmentIndex(s), segmentQuestion(s)]), [[0, null], [1, 0], [2, 1]],
        'room_segments: opening, question 0, question 1');
      for (const s of rows.segments) assert.ok(s.ended_at, `segment ${segmentIndex(s)} closed`);
      // takes: the candidate's file of each question segment
      assert.deepEqual(rows.takes.map((t) => `${t.question_idx}-${t.number}:${t.status}`), ['0-1:completed', '1-1:completed'],
        'one take per question segment');
      assert.deepEqual(rows.segments.slice(1).map((s) => s.take_id), rows.takes.map((t) => t.id), 'segments name their takes');
      for (const t of rows.takes) assert.ok(Number(t.duration_ms) >= 2000, `take ${t.id} lasts the segment: ${t.duration_ms} ms`);

      // recordings: each person's camera per segment, the interviewer's screen from when it was shared
      const rec = (pid, stream) => rows.recordings.filter((r) => r.participant_id === pid && r.stream === stream)
        .map((r) => Number(r.segment)).sort();
      assert.deepEqual(rec(cand.participantId, 'camera'), [0, 1, 2], 'the candidate\'s camera in every segment');
      assert.deepEqual(rec(int.participantId, 'camera'), [0, 1, 2], 'the interviewer\'s camera in every segment');
      assert.deepEqual(rec(int.participantId, 'screen'), [0, 1, 2], 'the interviewer\'s screen from segment 0 on');
      for (const r of rows.recordings) {
        assert.equal(r.status, 'completed', `recording ${r.id} (${r.stream}, segment ${r.segment}) completed`);
        assert.ok(Number(r.size_bytes) > 0 && Number(r.duration_ms) > 0, `recording ${r.id} has media`);
      }

      // Kafka: the room's events, once each, in order
      const got = await roomEvents(imsd, kafka, { roomId: room.roomId, sessionId: room.sessionId,
        interviewId: room.body.interviewId, fileIds: rows.takes.map((t) => t.id) });
      events = got.events;
      const { problems } = checkAgainstOutbox(got.messages, got.outbox);
      assert.deepEqual(problems, [], `Kafka vs outbox:\n${problems.join('\n')}`);
      const flow = events.map((e) => e.eventType).filter((t) => t.startsWith('interview.') || t === 'candidate.response_submitted');
      assert.deepEqual(flow, ['interview.started', 'candidate.response_submitted', 'candidate.response_submitted', 'interview.completed'],
        'interview.started, 2 responses, interview.completed, in that order, once each');
      const ofType = (t) => events.filter((e) => e.eventType === t).map((e) => e.payload);
      const [started] = ofType('interview.started');
      assert.equal(started.kind, 'live');
      assert.equal(started.roomId, room.roomId);
      const [completed] = ofType('interview.completed');
      assert.equal(completed.kind, 'live');
      assert.equal(completed.responsesCount, 2, 'interview.completed counts the question segments');
      assert.ok(completed.durationSeconds >= 6, `durationSeconds ${completed.durationSeconds}`);
      const responses = ofType('candidate.response_submitted');
      assert.deepEqual(responses.map((p) => p.responseId).sort(), rows.takes.map((t) => t.id).sort(), 'responseId = take id');
      for (const p of responses) assert.equal(p.status, 'completed', `response ${p.responseId} completed`);
      const uploaded = ofType('media.uploaded');
      for (const t of rows.takes) {
        assert.ok(uploaded.some((p) => p.responseId === t.id), `media.uploaded of take ${t.id}`);
        assert.equal(ofType('media.processed').filter((p) => p.fileId === t.id).length, 1, `one media.processed of take ${t.id}`);
      }
    }, async () => `room events: ${events.map((e) => e.eventType).join(', ')}`);
  });

test('rejoin: the candidate\'s page, then the interviewer\'s, closed and opened again; the room and its recording go on',
  { timeout: 240000 }, async () => {
    const room = await createRoom(imsd, { companyId: 'company-a' });
    const cand = room.byRole.candidate;
    const int = room.byRole.interviewer;
    const pages = {};
    await withContext(pages, async () => {
      pages.interviewer = await openRoom(browsers.interviewer.context, int.joinUrl);
      pages.candidate = await openRoom(browsers.candidate.context, cand.joinUrl);
      await waitForFramesGrowing(pages.interviewer, cand.participantId, 'camera', 'normal');
      await waitForFramesGrowing(pages.candidate, int.participantId, 'camera', 'inverted');
      await markQuestion(pages.interviewer, [pages.interviewer, pages.candidate], 0);
      await sleep(2000);

      // each rejoin of a recorded publisher goes on in a new segment of the
      // same question (docs/live-rooms.md, "Segments")
      let segment = await segmentNow(pages.interviewer);
      await pages.candidate.close();
      await waitForRoom(pages.interviewer, `(r) => !r.state.participants.some((p) => p.participantId === "${cand.participantId}" && p.connected)`,
        { what: 'the candidate gone' });
      pages.candidate = await openRoom(browsers.candidate.context, cand.joinUrl);
      await waitForRoom(pages.candidate, '(r, d) => d.state === "live" && d.screen === "room"', { what: 'the candidate back in the room' });
      await waitForFramesGrowing(pages.interviewer, cand.participantId, 'camera', 'normal');
      await waitForFramesGrowing(pages.candidate, int.participantId, 'camera', 'inverted');
      await waitForSegment([pages.interviewer, pages.candidate], segment, 0);
      segment = await segmentNow(pages.interviewer);

      await pages.interviewer.close();
      await waitForRoom(pages.candidate, `(r) => !r.state.participants.some((p) => p.participantId === "${int.participantId}" && p.connected)`,
        { what: 'the interviewer gone' });
      assert.equal(await pages.candidate.evaluate(() => document.body.dataset.state), 'live', 'the room stays live');
      pages.interviewer = await openRoom(browsers.interviewer.context, int.joinUrl);
      await waitForFramesGrowing(pages.interviewer, cand.participantId, 'camera', 'normal');
      await waitForFramesGrowing(pages.candidate, int.participantId, 'camera', 'inverted');
      await waitForSegment([pages.interviewer, pages.candidate], segment, 0);
      segment = await segmentNow(pages.interviewer);

      // a reload of the candidate's tab rejoins without the device check
      await pages.candidate.reload();
      await waitForRoom(pages.candidate, '(r, d) => Boolean(r.joined) && d.screen === "room" && r.sent.some((m) => m.type === "publish")',
        { what: 'the reloaded candidate publishing without a device check' });
      await waitForFramesGrowing(pages.interviewer, cand.participantId, 'camera', 'normal');
      await waitForFramesGrowing(pages.candidate, int.participantId, 'camera', 'inverted');
      await waitForSegment([pages.interviewer, pages.candidate], segment, 0);

      await markQuestion(pages.interviewer, [pages.interviewer, pages.candidate], 1);
      await sleep(3000);
      await endInterview(pages.interviewer, [pages.interviewer, pages.candidate]);

      const rows = await waitFor(async () => {
        const r = await roomRows(imsd, room.roomId);
        return r.takes.length === 5 && r.takes.every((t) => t.status !== 'recording') ? r : null;
      }, { timeoutMs: 60000, what: 'the 5 takes finalized' });
      assert.deepEqual(rows.segments.map((s) => [segmentIndex(s), segmentQuestion(s)]),
        [[0, null], [1, 0], [2, 0], [3, 0], [4, 0], [5, 1]], 'the opening, question 0 with a new segment per rejoin, question 1');
      assert.deepEqual(rows.takes.map((t) => `${t.question_idx}-${t.number}`), ['0-1', '0-2', '0-3', '0-4', '1-1'],
        'the candidate\'s take of each question segment is the next take');
      const last = rows.takes.find((t) => t.question_idx === 1);
      assert.equal(last.status, 'completed', 'the take after the rejoins is complete');
      assert.ok(Number(last.duration_ms) >= 2000, `the take after the rejoins has media: ${last.duration_ms} ms`);
      const cameras = (seg) => rows.recordings.filter((r) => Number(r.segment) === seg && r.stream === 'camera')
        .map((r) => r.participant_id).sort();
      for (let seg = 2; seg <= 5; seg++) {
        assert.deepEqual(cameras(seg), [cand.participantId, int.participantId].sort(), `both cameras recorded in segment ${seg}, after a rejoin`);
      }
    });
    for (const page of Object.values(pages)) if (!page.isClosed()) await page.close();
  });

test('authorization: expired, not-yet-valid, another company; a candidate cannot mark or end, an observer cannot publish',
  { timeout: 120000 }, async () => {
    const room = await createRoom(imsd, { companyId: 'company-a' });
    const cand = room.byRole.candidate;
    const now = Math.floor(Date.now() / 1000);
    const context = browsers.candidate.context;
    const refused = async (token, code, sentence) => {
      const page = await openRoom(context, roomUrl(imsd, room.roomId, token), { expectJoined: false });
      try {
        await waitForRoom(page, `(r, d) => d.error === "${code}"`, { what: `the ${code} refusal` });
        assert.match(await page.locator('#connecting-title').textContent(), sentence, `${code}: its sentence`);
        assert.equal(await page.locator('#screen-check').isVisible(), false, `${code}: no device check`);
        assert.equal(await page.evaluate(() => document.getElementById('check-preview').srcObject), null, `${code}: no camera opened`);
        assert.equal(await page.evaluate(() => window.room.joined), null, `${code}: never joined`);
      } finally {
        await page.close();
      }
    };
    const pid = cand.participantId;
    await withLogOnFailure(imsd, async () => {
      await refused(roomToken(TOKEN_SECRET, { roomId: room.roomId, participantId: pid, role: 'candidate', exp: now - 60, nbf: now - 7200 }),
        'token_expired', /expired/);
      await refused(roomToken(TOKEN_SECRET, { roomId: room.roomId, participantId: pid, role: 'candidate', nbf: now + 3600, exp: now + 7200 }),
        'token_not_yet_valid', /not open yet/);
      await refused(recruiterToken(REVIEW_SECRET, 'company-b'), 'wrong_company', /another company/);
      await refused('not-a-jwt', 'bad_token', /not valid/);

      const page = await openRoom(context, cand.joinUrl);
      try {
        const errorAfter = async (msg) => {
          const before = await page.evaluate(() => window.room.errors.length);
          await page.evaluate((m) => window.room.send(m), msg);
          await waitForRoom(page, `(r) => r.errors.length > ${before}`, { what: `a refusal of ${msg.type}` });
          return page.evaluate(() => window.room.errors[window.room.errors.length - 1]);
        };
        assert.equal((await errorAfter({ type: 'mark', questionIndex: 0 })).code, 'forbidden', 'a candidate cannot mark');
        assert.equal((await errorAfter({ type: 'end' })).code, 'forbidden', 'a candidate cannot end');
        assert.equal(await page.locator('#questions-box').isVisible(), false, 'the candidate has no question list');
      } finally {
        await page.close();
      }
      const observer = await openRoom(browsers.observer.context, roomUrl(imsd, room.roomId, recruiterToken(REVIEW_SECRET, 'company-a')));
      try {
        await observer.evaluate(() => window.room.send({ type: 'publish', stream: 'camera', sdp: 'v=0\r\n' }));
        await waitForRoom(observer, '(r) => r.errors.some((e) => e.code === "forbidden" && e.requestType === "publish")',
          { what: 'the observer\'s publish refused' });
      } finally {
        await observer.close();
      }
    });
  });

test('the review page lists the live session beside a one-way one, marked Live, with its segments\' takes', { timeout: 120000 }, async () => {
  assert.ok(done, 'the room test must have passed first');
  await withLogOnFailure(imsd, () => checkReviewList(browsers.observer.context, imsd, {
    token: recruiterToken(REVIEW_SECRET, 'company-a'), room: done.room,
  }));
});

test('after End: the composite MP4 (both people in it, a chapter per segment) and every recording are in S3, announced once',
  { timeout: 300000 }, async () => {
    assert.ok(done, 'the room test must have passed first');
    const { room } = done;
    let events = [];
    await withLogOnFailure(imsd, async () => {
      const detail = await waitForRoomDone(imsd, room.roomId);
      const rows = await roomRows(imsd, room.roomId);
      for (const r of rows.recordings) {
        assert.ok(r.object_key, `recording ${r.id} (${r.stream}, segment ${r.segment}) uploaded`);
        const obj = await s3.getObject(r.object_key);
        assert.equal(obj.status, 200, `S3 has ${r.object_key}`);
        assert.equal(obj.bytes.length, Number(r.size_bytes), `${r.object_key}: size_bytes`);
      }

      const c = detail.composite;
      const chapters = typeof c.chapters === 'string' ? JSON.parse(c.chapters) : c.chapters;
      assert.equal(chapters.length, 3, `a chapter per segment: ${JSON.stringify(chapters)}`);
      assert.deepEqual(chapters.slice(1).map((ch) => ch.title), room.body.questions.slice(0, 2).map((q) => q.text), 'chapter titles');
      for (let i = 1; i < chapters.length; i++) assert.ok(chapters[i].startSeconds > chapters[i - 1].startSeconds, 'chapters in order');
      const obj = await s3.getObject(c.key);
      assert.equal(obj.status, 200, `S3 has the composite ${c.key}`);
      assert.equal(obj.bytes.length, Number(c.size), 'composite size');
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'imsd-room-composite-')), 'composite.mp4');
      fs.writeFileSync(file, obj.bytes);
      const probe = await probeMedia(file);
      assert.equal(probe.video.length, 1, `one video stream: ${JSON.stringify(probe)}`);
      assert.equal(probe.audio.length, 1, `one audio stream (both voices mixed): ${JSON.stringify(probe)}`);
      assert.ok(probe.video[0].frames > 100 && probe.audio[0].frames > 100, `frames decode: ${JSON.stringify(probe)}`);
      const people = await peopleInComposite(file);
      const best = (p) => Math.max(0, ...people.tiles.map((t) => t[p]));
      assert.ok(best('normal') >= 30, `the candidate in the composite: ${JSON.stringify(people)}`);
      assert.ok(best('inverted') >= 30, `the interviewer in the composite: ${JSON.stringify(people)}`);
      fs.rmSync(path.dirname(file), { recursive: true, force: true });

      const got = await roomEvents(imsd, kafka, { roomId: room.roomId, sessionId: room.sessionId, interviewId: room.body.interviewId });
      events = got.events;
      const { problems } = checkAgainstOutbox(got.messages, got.outbox);
      assert.deepEqual(problems, [], `Kafka vs outbox:\n${problems.join('\n')}`);
      const composites = events.filter((e) => e.eventType === 'media.uploaded' && e.payload.kind === 'composite');
      assert.equal(composites.length, 1, 'one media.uploaded of the composite');
      assert.equal(composites[0].payload.responseId, null, 'the composite answers no question');
      done.composite = c;
    }, async () => `room events: ${events.map((e) => e.eventType).join(', ')}`);
  });

test('the review page plays the live session\'s composite, its chapters seek it', { timeout: 120000 }, async () => {
  assert.ok(done && done.composite, 'the composite test must have passed first');
  await withLogOnFailure(imsd, () => checkReviewComposite(browsers.observer.context, imsd, {
    token: recruiterToken(REVIEW_SECRET, 'company-a'), room: done.room,
  }));
});
