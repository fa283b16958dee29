// review-ratings.test.mjs: recruiters' per-answer ratings (docs/review-api.md)
// against a real imsd and PostgreSQL (no browser yet): a take of company-a's
// session (row inserted directly: the rating does not need its media) is
// rated by one recruiter, read by another of the same company (ratings list
// and session detail), 404 to company-b, bad input refused with codes, every
// read and write in audit_log.
import { test, before, after } from 'node:test';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';

import { startImsd, withLogOnFailure, dropDatabase } from './lib/imsd.mjs';
import { query } from './lib/db.mjs';
import { startS3rver } from './lib/s3.mjs';
import { signToken } from './lib/token.mjs';

const SECRET = 'review-ratings-test-secret-0123456789abcdef';
const REVIEW = '/api/v1/review';

let s3;
let imsd;
let sessionId;
let takeId;

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
  const session = await imsd.createSession({ companyId: 'company-a' });
  sessionId = session.sessionId;
  takeId = randomUUID();
  execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', imsd.databaseUrl, '-c',
    `INSERT INTO takes (id, session_id, question_idx, number, status, path, started_at)
     VALUES ('${takeId}', '${sessionId}', 0, 1, 'completed', '/nowhere', now())`], { stdio: 'pipe' });
});

after(async () => {
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
