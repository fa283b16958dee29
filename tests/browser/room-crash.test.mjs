// room-crash.test.mjs: imsd is killed with SIGKILL in the middle of a live
// room's question segment (docs/live-rooms.md, "Crash").
//
//   1. interviewer and candidate in the room, media both ways; the
//      interviewer marks question 1; ~3 s of it recorded; kill -9 imsd: its
//      recordings are still 'recording', their partial files decode
//   2. imsd restarts on the same database and spool: every recording left
//      'recording' becomes interrupted (its size the file's, a duration),
//      the candidate's take of the segment too, the segment closes, the room
//      stays live
//   3. both pages reconnect by themselves: the room goes on in a new segment
//      of the same question, the interviewer marks question 2 and ends
//   4. PostgreSQL: no recording and no take left 'recording'; Kafka:
//      interview.started, the three responses (the cut one interrupted) and
//      interview.completed once each, in order; the composite is ready with
//      a chapter per segment, both people in the cut segment's part of it,
//      and the recordings from before the crash uploaded
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';

import { withLogOnFailure, waitFor } from './lib/imsd.mjs';
import { takeProbe } from './lib/probe.mjs';
import { makePersonMedia, launchPersonBrowser } from './lib/room-media.mjs';
import { createRoom, openRoom, waitForRoom, describeRoom, waitForFramesGrowing } from './lib/room.mjs';
import { roomRows, roomEvents, segmentIndex, segmentQuestion, startRoomStack, stopRoomStack }
  from './lib/room-records.mjs';
import { peopleInComposite } from './lib/room-composite.mjs';

const REVIEW_SECRET = 'room-crash-test-review-secret-0123456789abcdef';

let stack = {};
const media = {};
const browsers = {};

before(async () => {
  stack = await startRoomStack({ name: 'room_crash', keyPrefix: 'room-crash', reviewSecret: REVIEW_SECRET });
  media.candidate = await makePersonMedia({ inverted: false });
  media.interviewer = await makePersonMedia({ inverted: true });
  browsers.candidate = await launchPersonBrowser(media.candidate);
  browsers.interviewer = await launchPersonBrowser(media.interviewer);
});

after(async () => {
  for (const b of Object.values(browsers)) await b.close();
  await stopRoomStack(stack);
  for (const m of Object.values(media)) fs.rmSync(m.dir, { recursive: true, force: true });
});

const run = promisify(execFile);

/** The GET /api/v1/rooms/{id} body once its composite is ready.  A composite
 * that failed is retried by the compositor's scan (every 30 s, up to 3
 * times): it is waited through, and the failure is logged here. */
async function waitForComposite(imsd, roomId) {
  let failed = 0;
  const detail = await waitFor(async () => {
    const res = await imsd.request('GET', `/api/v1/rooms/${roomId}`);
    if (res.status !== 200) throw new Error(`GET /api/v1/rooms/${roomId}: HTTP ${res.status} ${res.text}`);
    const c = res.json.composite || {};
    if (c.status === 'failed' && !failed++) process.stderr.write('# the composite failed once; waiting for its retry\n');
    return c.status === 'ready' ? res.json : null;
  }, { timeoutMs: 150000, intervalMs: 1000, what: `the composite of room ${roomId} ready` });
  return detail;
}

const segmentNow = async (page) => Number(await page.evaluate(() => document.body.dataset.segment || '-1'));

async function waitForSegment(pages, after, questionIndex) {
  for (const page of pages) {
    await waitForRoom(page, `(r) => r.state.segment && r.state.segment.index > ${after} && r.state.segment.questionIndex === ${questionIndex}`,
      { what: `a segment after ${after} of question ${questionIndex}`, timeoutMs: 45000 });
  }
}

async function markQuestion(ip, pages, index) {
  const before = await segmentNow(ip);
  await ip.locator(`#questions button[data-question-index="${index}"]`).click();
  await waitForSegment(pages, before, index);
}

test('a live room cut by kill -9 loses nothing: recordings finalized, the room goes on, the composite holds it all',
  { timeout: 420000 }, async () => {
    const { imsd, kafka } = stack;
    const room = await createRoom(imsd, { companyId: 'company-a' });
    const cand = room.byRole.candidate;
    const int = room.byRole.interviewer;
    const pages = {};
    let events = [];
    await withLogOnFailure(imsd, async () => {
      pages.interviewer = await openRoom(browsers.interviewer.context, int.joinUrl);
      pages.candidate = await openRoom(browsers.candidate.context, cand.joinUrl);
      const both = [pages.interviewer, pages.candidate];
      await waitForFramesGrowing(pages.interviewer, cand.participantId, 'camera', 'normal');
      await waitForFramesGrowing(pages.candidate, int.participantId, 'camera', 'inverted');
      await markQuestion(pages.interviewer, both, 0);
      await sleep(3000);

      // 1. the crash, mid-segment, after media flowed
      const cut = await waitFor(async () => {
        const r = await roomRows(imsd, room.roomId);
        const open = r.recordings.filter((x) => Number(x.segment) === 1 && x.status === 'recording');
        return open.length === 2 && open.every((x) => fs.existsSync(x.path) && fs.statSync(x.path).size > 0) ? open : null;
      }, { timeoutMs: 15000, what: 'both cameras recording in segment 1' });
      const exit = await imsd.kill9();
      assert.equal(exit.signal, 'SIGKILL');
      const sizes = new Map();
      for (const r of cut) {
        const probe = await takeProbe(r.path);
        assert.equal(probe.ok, true, `the partial file ${r.path} decodes: ${JSON.stringify(probe)}`);
        assert.ok(probe.decodedVideoFrames > 0, `the partial file ${r.path} has frames: ${JSON.stringify(probe)}`);
        sizes.set(r.id, fs.statSync(r.path).size);
      }

      // 2. recovery at the restart
      await imsd.restart();
      // the cut recordings only: the pages rejoin at once, and their new
      // recordings may already be 'recording' when recovery is seen
      const cutIds = new Set(cut.map((x) => x.id));
      const recovered = await waitFor(async () => {
        const r = await roomRows(imsd, room.roomId);
        return r.recordings.filter((x) => cutIds.has(x.id)).every((x) => x.status !== 'recording') ? r : null;
      }, { timeoutMs: 20000, what: 'no cut recording left recording after the restart' });
      assert.equal(recovered.room.state, 'live', 'the room stays live');
      for (const r of recovered.recordings.filter((x) => sizes.has(x.id))) {
        assert.equal(r.status, 'interrupted', `recording ${r.id} cut by the crash`);
        assert.equal(Number(r.size_bytes), sizes.get(r.id), `recording ${r.id}: size_bytes is the file's`);
        assert.ok(Number(r.duration_ms) > 1000, `recording ${r.id}: about 3 s recorded: ${r.duration_ms} ms`);
      }
      const segment1 = recovered.segments.find((s) => segmentIndex(s) === 1);
      assert.ok(segment1.ended_at, 'the cut segment is closed');
      // take 1 was cut; a rejoin already seen may have opened take 2
      assert.deepEqual(recovered.takes.map((t) => `${t.question_idx}-${t.number}:${t.status}`).slice(0, 1), ['0-1:interrupted']);

      // 3. the pages reconnect; the room goes on in a new segment of question 0
      await waitForSegment(both, 1, 0);
      await waitForFramesGrowing(pages.interviewer, cand.participantId, 'camera', 'normal', { timeoutMs: 45000 });
      await waitForFramesGrowing(pages.candidate, int.participantId, 'camera', 'inverted', { timeoutMs: 45000 });
      await sleep(2000);
      await markQuestion(pages.interviewer, both, 1);
      await sleep(3000);
      await pages.interviewer.locator('#end').click();
      await pages.interviewer.locator('#end-dialog').waitFor({ state: 'visible' });
      await pages.interviewer.locator('#end-confirm').click();
      for (const page of both) {
        await waitForRoom(page, '(r, d) => d.state === "ended" && d.screen === "ended"', { what: 'the end on every page' });
      }

      // 4. what is left
      const rows = await waitFor(async () => {
        const r = await roomRows(imsd, room.roomId);
        return r.takes.length === 3 && r.takes.every((t) => t.status !== 'recording') ? r : null;
      }, { timeoutMs: 60000, what: 'the 3 takes finalized' });
      assert.equal(rows.room.state, 'ended');
      assert.deepEqual(rows.segments.map((s) => [segmentIndex(s), segmentQuestion(s)]), [[0, null], [1, 0], [2, 0], [3, 1]],
        'the opening, question 0 cut, question 0 again after the restart, question 1');
      for (const s of rows.segments) assert.ok(s.ended_at, `segment ${segmentIndex(s)} closed`);
      assert.deepEqual(rows.takes.map((t) => `${t.question_idx}-${t.number}:${t.status}`),
        ['0-1:interrupted', '0-2:completed', '1-1:completed']);
      for (const r of rows.recordings) assert.notEqual(r.status, 'recording', `recording ${r.id} is final`);

      const got = await roomEvents(imsd, kafka, { roomId: room.roomId, sessionId: room.sessionId,
        interviewId: room.body.interviewId, fileIds: rows.takes.map((t) => t.id) });
      events = got.events;
      const flow = events.map((e) => e.eventType).filter((t) => t.startsWith('interview.') || t === 'candidate.response_submitted');
      assert.deepEqual(flow, ['interview.started', 'candidate.response_submitted', 'candidate.response_submitted',
        'candidate.response_submitted', 'interview.completed'], 'once each, in order');
      const responses = events.filter((e) => e.eventType === 'candidate.response_submitted').map((e) => e.payload);
      assert.deepEqual(responses.map((p) => `${p.questionIndex}-${p.take}:${p.status}`),
        ['0-1:interrupted', '0-2:completed', '1-1:completed']);
      assert.deepEqual(responses.map((p) => p.responseId), rows.takes.map((t) => t.id), 'responseId = take id');
      const [completed] = events.filter((e) => e.eventType === 'interview.completed').map((e) => e.payload);
      assert.equal(completed.responsesCount, 3, 'interview.completed counts the cut segment');

      // the composite, with the recordings from before the crash
      const detail = await waitForComposite(imsd, room.roomId);
      const chapters = typeof detail.composite.chapters === 'string'
        ? JSON.parse(detail.composite.chapters) : detail.composite.chapters;
      assert.equal(chapters.length, 4, `a chapter per segment: ${JSON.stringify(chapters)}`);
      // both people are in the cut segment's part of it (the candidate's
      // file was kept for it though the processor removed its take)
      const composite = await stack.s3.getObject(detail.composite.key);
      assert.equal(composite.status, 200, `S3 has the composite ${detail.composite.key}`);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imsd-room-crash-'));
      try {
        fs.writeFileSync(path.join(dir, 'composite.mp4'), composite.bytes);
        const from = chapters[1].startSeconds + 0.2;
        const seconds = chapters[2].startSeconds - from - 0.2;
        await run('ffmpeg', ['-v', 'error', '-ss', String(from), '-i', path.join(dir, 'composite.mp4'),
          '-t', String(seconds), '-an', '-c:v', 'ffv1', path.join(dir, 'cut.mkv')]);
        const people = await peopleInComposite(path.join(dir, 'cut.mkv'), { seconds });
        const best = (p) => Math.max(0, ...people.tiles.map((t) => t[p]));
        assert.ok(best('normal') >= 10, `the candidate in the cut segment (${from} s, ${seconds} s): ${JSON.stringify(people)}`);
        assert.ok(best('inverted') >= 10, `the interviewer in the cut segment (${from} s, ${seconds} s): ${JSON.stringify(people)}`);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
      const uploaded = await roomRows(imsd, room.roomId);
      for (const r of uploaded.recordings.filter((x) => sizes.has(x.id))) {
        assert.ok(r.object_key, `the cut recording ${r.id} (${r.stream}) uploaded`);
        const obj = await stack.s3.getObject(r.object_key);
        assert.equal(obj.status, 200, `S3 has ${r.object_key}`);
        assert.equal(obj.bytes.length, sizes.get(r.id), `${r.object_key}: the cut file`);
      }
    }, async () => {
      const parts = [`room events: ${events.map((e) => e.eventType).join(', ')}`];
      for (const [who, page] of Object.entries(pages)) if (page) parts.push(`--- ${who}: ${await describeRoom(page)}`);
      return parts.join('\n');
    });
    for (const page of Object.values(pages)) await page.close();
  });
