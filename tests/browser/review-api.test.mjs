// review-api.test.mjs: the recruiters' review API (docs/review-api.md) against
// a real stack: one s3rver, one imsd (IMSD_REVIEW_JWT_SECRET, signed URLs of
// 10 s), one Chromium.
//
//   1. session A (companyId company-a) and B (company-b); one ~3 s take in A
//      recorded in Chromium, the interview completed, its media_files rows
//      (original, video/mp4, thumbnail, audio/wav-16k) waited for
//   2. who may see what: company-b recruiter gets 404 not_found for A (detail
//      and media URL) and no A in its list; company-a recruiter sees A, not B;
//      admin sees both; unknown role 403; expired / forged / missing token,
//      the service token 401; the candidate join token 401 or 403. Every
//      error is JSON {code, message} without session data.
//   3. A's detail lists the take's four media with signed URLs; the MP4 URL
//      serves the object (200, video/mp4, sizeBytes bytes; Range -> 206),
//      a tampered signature is refused, and the URL is refused after it expires
//   4. list filters (status, limit, interviewId) and bad parameters -> 400
//   5. audit_log rows for view_session and media_url by the company-a recruiter
import { test, before, after } from 'node:test';
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

import { startImsd, withLogOnFailure, waitFor, dropDatabase, SERVICE_TOKEN } from './lib/imsd.mjs';
import { query } from './lib/db.mjs';
import { launchBrowser, waitForState, clickButton, describePage } from './lib/browser.mjs';
import { openCandidate, recordTake, stopTake } from './lib/candidate.mjs';
import { startS3rver } from './lib/s3.mjs';
import { signToken } from './lib/token.mjs';

const REVIEW_SECRET = 'review-api-test-secret-0123456789abcdef-XYZ';
const URL_SECONDS = 10;
const KINDS = ['audio/wav-16k', 'original', 'thumbnail', 'video/mp4'];
const REVIEW = '/api/v1/review';

let s3;
let imsd;
let browser;
let A; // {sessionId, token, interviewId}
let B;
let fileIds; // kind -> media_files.id of A's take

function reviewToken(claims, secret = REVIEW_SECRET) {
  const now = Math.floor(Date.now() / 1000);
  return signToken(secret, { iat: now, exp: now + 3600, ...claims });
}
const recruiterA = () => reviewToken({ sub: 'recruiter-a@example.test', role: 'recruiter', companyId: 'company-a' });
const recruiterB = () => reviewToken({ sub: 'recruiter-b@example.test', role: 'recruiter', companyId: 'company-b' });
const admin = () => reviewToken({ sub: 'admin@example.test', role: 'admin' });

const get = (urlPath, token) => imsd.request('GET', urlPath, { token });

/** An error response: the status, JSON {code, message}, and nothing about any session. */
function assertError(res, status, codes, what) {
  const want = Array.isArray(status) ? status : [status];
  assert.ok(want.includes(res.status), `${what}: HTTP ${res.status} (want ${want}) ${res.text}`);
  assert.ok(res.json && typeof res.json === 'object', `${what}: JSON body, got ${res.text}`);
  const code = Array.isArray(codes) ? codes[want.indexOf(res.status)] : codes;
  assert.equal(res.json.code, code, `${what}: code in ${res.text}`);
  assert.equal(typeof res.json.message, 'string', `${what}: message in ${res.text}`);
  assert.ok(!res.text.includes('sessionId'), `${what}: no session data in ${res.text}`);
  for (const s of [A, B]) {
    if (s) assert.ok(!res.text.includes(s.sessionId), `${what}: ${s.sessionId} not in ${res.text}`);
  }
  assert.match(res.headers.get('content-type') || '', /application\/json/, `${what}: content type`);
}

const ids = (res) => res.json.items.map((i) => i.sessionId);

before(async () => {
  dropDatabase('imsd_e2e_reviewapi'); // audit_log / list assertions see only this run
  s3 = await startS3rver({ name: 'reviewapi' });
  imsd = await startImsd({
    name: 'reviewapi',
    env: {
      ...s3.imsdEnv({ keyPrefix: 'e2e-review' }),
      IMSD_PROCESSING_RETRY_MAX_SECONDS: '2',
      IMSD_REVIEW_JWT_SECRET: REVIEW_SECRET,
      IMSD_REVIEW_SIGNED_URL_SECONDS: String(URL_SECONDS),
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

test('session A (company-a) is recorded and processed, B (company-b) is created', { timeout: 150000 }, async () => {
  await withLogOnFailure(imsd, async () => {
    const questions = [{ id: 'rq1', text: 'Why this team?', timeLimitSeconds: 30 }];
    const a = await imsd.createSession({ questions, thinkSeconds: 30, profile: 'technical', companyId: 'company-a' });
    await sleep(20); // createSession names the interview after Date.now()
    const b = await imsd.createSession({ questions, thinkSeconds: 30, profile: 'technical', companyId: 'company-b' });
    const rowsA = await query(imsd, `SELECT interview_id, company_id FROM sessions WHERE id = '${a.sessionId}'`);
    const rowsB = await query(imsd, `SELECT interview_id, company_id FROM sessions WHERE id = '${b.sessionId}'`);
    assert.equal(rowsA[0].company_id, 'company-a');
    assert.equal(rowsB[0].company_id, 'company-b');
    assert.notEqual(rowsA[0].interview_id, rowsB[0].interview_id);

    const page = await openCandidate(browser.context, a.joinUrl);
    try {
      await waitForState(page, 's => s.questionIndex === 0 && s.mediaReady', { what: 'media ready' });
      await recordTake(page, 0, 1);
      await sleep(3000);
      await stopTake(page, 0, 1);
      await clickButton(page, 'next');
      await waitForState(page, 's => s.phase === "completed"', { what: 'interview completed' });
    } catch (err) {
      throw new Error(`${err.message}\n${await describePage(page).catch(() => '')}`);
    } finally {
      await page.close();
    }

    const files = await waitFor(async () => {
      const rows = await query(imsd, `SELECT id, kind FROM media_files WHERE session_id = '${a.sessionId}' AND status = 'stored'`);
      return rows.length === 4 ? rows : null;
    }, { timeoutMs: 120000, intervalMs: 500, what: "4 media_files rows of A's take" });
    assert.deepEqual(files.map((f) => f.kind).sort(), KINDS);
    fileIds = Object.fromEntries(files.map((f) => [f.kind, f.id]));
    A = { ...a, interviewId: rowsA[0].interview_id };
    B = { ...b, interviewId: rowsB[0].interview_id };
  });
});

test('authorization: company scope, roles and bad tokens', { timeout: 30000 }, async () => {
  assert.ok(A && fileIds, 'the recording test must have passed first');
  await withLogOnFailure(imsd, async () => {
    const list = `${REVIEW}/sessions?limit=100`;
    const detailA = `${REVIEW}/sessions/${A.sessionId}`;
    const mediaA = `${REVIEW}/media/${fileIds['video/mp4']}/url`;

    // company-b: A does not exist for them
    let res = await get(list, recruiterB());
    assert.equal(res.status, 200, res.text);
    assert.ok(ids(res).includes(B.sessionId), `company-b sees B: ${res.text}`);
    assert.ok(!ids(res).includes(A.sessionId), `company-b does not see A: ${res.text}`);
    assert.ok(res.json.items.every((i) => i.companyId === 'company-b'), res.text);
    assertError(await get(detailA, recruiterB()), 404, 'not_found', 'company-b: detail of A');
    assertError(await get(mediaA, recruiterB()), 404, 'not_found', 'company-b: media URL of A');
    // ... the same answer as a session that does not exist at all
    assertError(await get(`${REVIEW}/sessions/00000000-0000-4000-8000-000000000000`, recruiterB()),
      404, 'not_found', 'company-b: unknown session');

    // company-a
    res = await get(list, recruiterA());
    assert.equal(res.status, 200, res.text);
    assert.ok(ids(res).includes(A.sessionId), `company-a sees A: ${res.text}`);
    assert.ok(!ids(res).includes(B.sessionId), `company-a does not see B: ${res.text}`);
    res = await get(detailA, recruiterA());
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.sessionId, A.sessionId);
    res = await get(mediaA, recruiterA());
    assert.equal(res.status, 200, res.text);
    assert.equal(typeof res.json.url, 'string');
    assert.ok(!Number.isNaN(Date.parse(res.json.expiresAt)), res.text);

    // admin: both
    res = await get(list, admin());
    assert.equal(res.status, 200, res.text);
    assert.ok(ids(res).includes(A.sessionId) && ids(res).includes(B.sessionId), `admin sees A and B: ${res.text}`);
    assert.equal((await get(`${REVIEW}/sessions/${B.sessionId}`, admin())).status, 200);

    // refused tokens, on every endpoint
    const now = Math.floor(Date.now() / 1000);
    const hacker = reviewToken({ sub: 'mallory', role: 'hacker', companyId: 'company-a' });
    const expired = signToken(REVIEW_SECRET, { sub: 'recruiter-a@example.test', role: 'recruiter',
      companyId: 'company-a', iat: now - 7200, exp: now - 60 });
    const forged = reviewToken({ sub: 'recruiter-a@example.test', role: 'admin' },
      'not-the-review-secret-0123456789abcdef');
    const good = recruiterA().split('.');
    const tampered = [good[0], Buffer.from(JSON.stringify({ sub: 'x', role: 'admin',
      exp: now + 3600 })).toString('base64url'), good[2]].join('.');
    for (const p of [list, detailA, mediaA]) {
      assertError(await get(p, hacker), 403, 'forbidden', `role hacker: ${p}`);
      assertError(await get(p, expired), 401, 'unauthorized', `expired token: ${p}`);
      assertError(await get(p, forged), 401, 'unauthorized', `forged signature: ${p}`);
      assertError(await get(p, tampered), 401, 'unauthorized', `payload swapped under a valid signature: ${p}`);
      assertError(await get(p, null), 401, 'unauthorized', `no token: ${p}`);
      assertError(await get(p, A.token), [401, 403], ['unauthorized', 'forbidden'], `candidate join token: ${p}`);
      assertError(await get(p, SERVICE_TOKEN), 401, 'unauthorized', `service token of POST /sessions: ${p}`);
    }
    // a candidate token signed with the review secret is still no recruiter token
    const candidateWithReviewSecret = reviewToken({ sub: A.sessionId, aud: 'imsd.candidate', role: 'admin' });
    assertError(await get(list, candidateWithReviewSecret), 403, 'forbidden', 'candidate audience, review secret');
  });
});

test('detail of A: four media with signed URLs that serve, seek and expire', { timeout: 60000 }, async (t) => {
  assert.ok(A && fileIds, 'the recording test must have passed first');
  await withLogOnFailure(imsd, async () => {
    const res = await get(`${REVIEW}/sessions/${A.sessionId}`, recruiterA());
    assert.equal(res.status, 200, res.text);
    const d = res.json;
    assert.equal(d.companyId, 'company-a');
    assert.equal(d.interviewId, A.interviewId);
    assert.equal(d.status, 'completed');
    assert.equal(d.questions.length, 1, res.text);
    const takes = d.questions[0].takes;
    assert.equal(takes.length, 1, res.text);
    assert.equal(takes[0].status, 'completed');
    assert.ok(takes[0].durationMs >= 1500, `durationMs ${takes[0].durationMs}`);
    const media = takes[0].media;
    assert.deepEqual(media.map((m) => m.kind).sort(), KINDS, res.text);
    const issuedAt = Date.now();
    for (const m of media) {
      assert.equal(m.fileId, fileIds[m.kind], `${m.kind}: fileId`);
      assert.ok(typeof m.url === 'string' && m.url.startsWith(s3.baseUrl), `${m.kind}: url ${m.url}`);
      assert.match(m.url, /[?&]Signature=/, `${m.kind}: a signed URL`);
      const exp = Date.parse(m.urlExpiresAt);
      assert.ok(exp > issuedAt && exp <= issuedAt + (URL_SECONDS + 2) * 1000,
        `${m.kind}: urlExpiresAt ${m.urlExpiresAt} about ${URL_SECONDS} s from now`);
      assert.ok(m.sizeBytes > 0, `${m.kind}: sizeBytes ${m.sizeBytes}`);
    }

    const mp4 = media.find((m) => m.kind === 'video/mp4');
    assert.equal(mp4.contentType, 'video/mp4');
    let r = await fetch(mp4.url);
    const body = Buffer.from(await r.arrayBuffer());
    assert.equal(r.status, 200, `GET signed MP4 URL: ${body.toString('utf8', 0, 300)}`);
    assert.match(r.headers.get('content-type') || '', /^video\/mp4/);
    assert.equal(body.length, mp4.sizeBytes, 'the object is sizeBytes long');
    assert.equal(body.toString('latin1', 4, 8), 'ftyp', 'an MP4');

    r = await fetch(mp4.url, { headers: { Range: 'bytes=0-99' } });
    const part = Buffer.from(await r.arrayBuffer());
    if (r.status === 200 && part.length === mp4.sizeBytes) {
      t.diagnostic('s3rver ignored the Range header (200 with the whole object); 206 not asserted');
    } else {
      assert.equal(r.status, 206, 'a Range request is answered 206');
      assert.equal(part.length, 100);
      assert.ok(part.equals(body.subarray(0, 100)), 'the first 100 bytes');
    }

    // a changed signature is refused
    const bad = new URL(mp4.url);
    const sig = bad.searchParams.get('Signature');
    bad.searchParams.set('Signature', (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1));
    r = await fetch(bad.href);
    await r.arrayBuffer();
    assert.equal(r.status, 403, 'a tampered Signature is refused');

    // and the URL stops working once expired (s3rver enforces Expires to the second)
    const wait = Date.parse(mp4.urlExpiresAt) + 2000 - Date.now();
    if (wait > 0) await sleep(wait);
    r = await fetch(mp4.url);
    const text = await r.text();
    assert.equal(r.status, 403, `the expired URL is refused: ${text.slice(0, 300)}`);
  });
});

test('list filters and bad query parameters', { timeout: 30000 }, async () => {
  assert.ok(A, 'the recording test must have passed first');
  await withLogOnFailure(imsd, async () => {
    let res = await get(`${REVIEW}/sessions?status=completed&limit=1`, admin());
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.items.length, 1, res.text);
    assert.ok(res.json.total >= 1, res.text);
    assert.equal(res.json.limit, 1);
    assert.equal(res.json.items[0].status, 'completed');

    res = await get(`${REVIEW}/sessions?status=created&limit=100`, admin());
    assert.equal(res.status, 200, res.text);
    assert.ok(ids(res).includes(B.sessionId) && !ids(res).includes(A.sessionId), `status=created: ${res.text}`);

    res = await get(`${REVIEW}/sessions?interviewId=${encodeURIComponent(A.interviewId)}`, admin());
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(ids(res), [A.sessionId], res.text);
    assert.equal(res.json.total, 1);
    assert.equal(res.json.items[0].takeCount, 1, res.text);
    assert.equal(res.json.items[0].questionCount, 1, res.text);

    // a recruiter of company-b filtering on A's interview gets nothing
    res = await get(`${REVIEW}/sessions?interviewId=${encodeURIComponent(A.interviewId)}`, recruiterB());
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.items, [], res.text);
    assert.equal(res.json.total, 0);

    for (const q of ['limit=0', 'limit=101', 'offset=-1', 'from=not-a-date', 'to=yesterday', 'status=done']) {
      assertError(await get(`${REVIEW}/sessions?${q}`, admin()), 400, 'invalid_request', `?${q}`);
    }
  });
});

test('audit_log records who viewed A and asked for its media URLs', { timeout: 30000 }, async () => {
  assert.ok(A && fileIds, 'the recording test must have passed first');
  await withLogOnFailure(imsd, async () => {
    const rows = await query(imsd, "SELECT actor, role, company_id, action, target, remote FROM audit_log WHERE actor = 'recruiter-a@example.test' ORDER BY id");
    const view = rows.filter((r) => r.action === 'view_session' && r.target === A.sessionId);
    const url = rows.filter((r) => r.action === 'media_url' && r.target === fileIds['video/mp4']);
    assert.ok(view.length >= 1, `view_session rows: ${JSON.stringify(rows)}`);
    assert.ok(url.length >= 1, `media_url rows: ${JSON.stringify(rows)}`);
    for (const r of [...view, ...url]) {
      assert.equal(r.role, 'recruiter');
      assert.equal(r.company_id, 'company-a');
      assert.ok(r.remote && r.remote.length > 0, `remote set: ${JSON.stringify(r)}`);
    }
    // refused and other-company requests leave no trace as a view
    const leaks = await query(imsd, `SELECT actor, action FROM audit_log WHERE target = '${A.sessionId}' AND actor <> 'recruiter-a@example.test' AND actor <> 'admin@example.test'`);
    assert.deepEqual(leaks, [], 'only company-a and admin viewed A');
  });
});

test('a recruiter deletes a session\'s media: S3 objects go, rows are marked, media.deleted is recorded', { timeout: 60000 }, async () => {
  assert.ok(A && fileIds, 'the recording test must have passed first');
  await withLogOnFailure(imsd, async () => {
    const path = `${REVIEW}/sessions/${A.sessionId}/media`;
    // another company cannot, and learns nothing
    const refused = await imsd.request('DELETE', path, { token: recruiterB() });
    assertError(refused, 404, ['not_found'], 'company-b deleting A');
    const before = await query(imsd, `SELECT count(*)::int AS n FROM media_files WHERE session_id = '${A.sessionId}' AND status = 'stored'`);
    assert.equal(before[0].n, 4, 'nothing was deleted by the refused request');

    const res = await imsd.request('DELETE', path, { token: recruiterA() });
    assert.equal(res.status, 202, JSON.stringify(res.json));
    assert.equal(res.json.deleting, 4);
    const keys = (await query(imsd, `SELECT object_key FROM media_files WHERE session_id = '${A.sessionId}'`)).map((r) => r.object_key);
    await waitFor(async () => {
      const rows = await query(imsd, `SELECT count(*)::int AS n FROM media_files WHERE session_id = '${A.sessionId}' AND status = 'deleted'`);
      return rows[0].n === 4;
    }, { timeoutMs: 20000, what: 'the four media_files rows marked deleted' });
    for (const key of keys) {
      const object = await s3.getObject(key);
      assert.equal(object.status, 404, `${key} is gone from S3`);
    }
    const events = await query(imsd, "SELECT value FROM outbox WHERE event_type = 'media.deleted'");
    const deleted = events.map((e) => JSON.parse(e.value).payload).filter((p) => Object.values(fileIds).includes(p.fileId));
    assert.equal(deleted.length, 4, 'one media.deleted per object');
    for (const p of deleted) assert.equal(p.reason, 'recruiter_request');
    // the detail no longer offers them, and their URLs are refused
    const detail = await get(`${REVIEW}/sessions/${A.sessionId}`, recruiterA());
    assert.equal(detail.status, 200);
    assert.deepEqual(detail.json.questions.flatMap((q) => q.takes.flatMap((t) => t.media)), []);
    assertError(await get(`${REVIEW}/media/${fileIds['video/mp4']}/url`, recruiterA()), 404, ['not_found'], 'URL of a deleted file');
    const audit = await query(imsd, `SELECT count(*)::int AS n FROM audit_log WHERE action = 'delete_media' AND target = '${A.sessionId}' AND actor = 'recruiter-a@example.test'`);
    assert.equal(audit[0].n, 1, 'the deletion is audited');
  });
});

test('retention erases exactly the media past its company\'s age, with media.deleted', { timeout: 150000 }, async () => {
  await withLogOnFailure(imsd, async () => {
    const questions = [{ id: 'rq1', text: 'What do you keep?', timeLimitSeconds: 30 }];
    const c = await imsd.createSession({ questions, thinkSeconds: 30, profile: 'technical', companyId: 'company-a' });
    const page = await openCandidate(browser.context, c.joinUrl);
    try {
      await waitForState(page, 's => s.questionIndex === 0 && s.mediaReady', { what: 'media ready' });
      await recordTake(page, 0, 1);
      await sleep(2500);
      await stopTake(page, 0, 1);
    } finally {
      await page.close();
    }
    const files = await waitFor(async () => {
      const rows = await query(imsd, `SELECT id, kind, object_key FROM media_files WHERE session_id = '${c.sessionId}' AND status = 'stored'`);
      return rows.length === 4 ? rows : null;
    }, { timeoutMs: 120000, intervalMs: 500, what: "4 media_files rows of C's take" });
    // two of them are 40 days old, two are new; company-a keeps media 30 days
    const old = files.filter((f) => f.kind === 'thumbnail' || f.kind === 'audio/wav-16k');
    const fresh = files.filter((f) => !old.includes(f));
    execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', imsd.databaseUrl, '-c',
      `UPDATE media_files SET created_at = now() - interval '40 days' WHERE id IN ('${old.map((f) => f.id).join("','")}')`]);

    imsd.extraEnv = { ...imsd.extraEnv, IMSD_REVIEW_RETENTION_DAYS_BY_COMPANY: 'company-a=30;company-b=0', IMSD_REVIEW_RETENTION_INTERVAL_SECONDS: '1' };
    await imsd.restart();
    await waitFor(async () => {
      const rows = await query(imsd, `SELECT count(*)::int AS n FROM media_files WHERE session_id = '${c.sessionId}' AND status = 'deleted'`);
      return rows[0].n === 2;
    }, { timeoutMs: 30000, what: 'the two expired objects erased' });
    await sleep(2500); // a few more runs: nothing else may go
    const rows = await query(imsd, `SELECT id, status FROM media_files WHERE session_id = '${c.sessionId}'`);
    for (const f of old) {
      assert.equal(rows.find((r) => r.id === f.id).status, 'deleted', `${f.kind} is past its age`);
      assert.equal((await s3.getObject(f.object_key)).status, 404, `${f.object_key} is gone`);
    }
    for (const f of fresh) {
      assert.equal(rows.find((r) => r.id === f.id).status, 'stored', `${f.kind} is kept`);
      assert.equal((await s3.getObject(f.object_key)).status, 200, `${f.object_key} is kept`);
    }
    const events = (await query(imsd, "SELECT value FROM outbox WHERE event_type = 'media.deleted'"))
      .map((e) => JSON.parse(e.value).payload).filter((p) => files.some((f) => f.id === p.fileId));
    assert.deepEqual(events.map((p) => p.fileId).sort(), old.map((f) => f.id).sort());
    for (const p of events) assert.equal(p.reason, 'retention');
  });
});
