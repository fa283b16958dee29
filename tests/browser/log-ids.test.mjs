// log-ids.test.mjs: every log line about a session carries its id, in imsd's JSON log format.
//
//   1. imsd runs with [log] format=json (IMSD_LOG_FORMAT=json) at log_level debug (the harness's)
//   2. three joins are refused over a raw WebSocket: a bad token for the real session, a valid token
//      for a session that does not exist, and a valid token for an id that is no UUID and holds a line
//      break and brackets (untrusted input, longer than the 64 bytes kept)
//   3. the candidate page records one take of the interview's one question, stops it, ends the
//      interview; imsd processes the take (renditions, no S3); imsd is stopped
//   4. the log: every line is one JSON object (time, level, domain, message); every line whose message
//      names the session's id carries it in `session`, and every line naming the take's id carries the
//      session too; every line of the session's own modules (imsd.session, imsd.media, imsd.ingest.*,
//      imsd.transport, imsd.signaling, imsd.processor, imsd.recovery, imsd.registry) from the first join
//      to the stop carries `session`, but for the short list of process-wide lines below; the take's
//      lines of the session and the receive path carry `take`; each refused join is one line with the
//      session id asked for (escaped and truncated) and its reason code
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { startImsd, withLogOnFailure, waitFor, TOKEN_SECRET } from './lib/imsd.mjs';
import { takeRows } from './lib/db.mjs';
import { candidateToken } from './lib/token.mjs';
import { openSignaling } from './lib/signaling.mjs';
import { launchBrowser, waitForState, clickButton, describePage } from './lib/browser.mjs';
import { openCandidate, recordTake, stopTake } from './lib/candidate.mjs';

let imsd;
let browser;

before(async () => {
  imsd = await startImsd({ name: 'log_ids', env: { IMSD_LOG_FORMAT: 'json' } });
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (imsd) await imsd.shutdown();
});

// The session's own modules: their lines during the interview are about it.
const SESSION_DOMAINS = /^imsd\.(session|media|ingest\.[\w-]+|transport|signaling|processor|recovery|registry|take-writer|depacketizer|completeness)$/;

// Lines of those modules that are about the process, not one session: the DTLS certificate made once
// for every transport, and a connection before it joined (a refused join's connection never has one).
function isProcessWide(line, refusedPeers) {
  if (line.domain === 'imsd.transport' && /^DTLS certificate /.test(line.message)) return true;
  if (line.domain === 'imsd.signaling') {
    const peer = line.message.match(/^(peer-\d+): /);
    if (peer && (refusedPeers.has(peer[1]) || / connected$/.test(line.message))) return true;
  }
  return false;
}

// What ims_log_untrusted_id() makes of text (base/log-session.c): its first 64 bytes, each outside
// printable ASCII or one of \ " [ ] as \xNN, then "..." if there was more.
function untrustedId(text) {
  const bytes = Buffer.from(text, 'utf8');
  let out = '';
  for (const b of bytes.subarray(0, 64)) {
    const plain = b > 0x20 && b < 0x7f && !'\\"[]'.includes(String.fromCharCode(b));
    out += plain ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return bytes.length > 64 ? `${out}...` : out;
}

async function refusedJoin(sessionId, token) {
  const client = await openSignaling(imsd.baseUrl);
  try {
    client.send({ type: 'join', sessionId, token });
    return (await client.nextError()).code;
  } finally {
    client.close();
  }
}

test('every log line about the session carries its id; refused joins carry the id asked for and why',
  { timeout: 120000 }, async () => {
    const session = await imsd.createSession({
      questions: [{ id: 'q1', text: 'Whose line is it?', timeLimitSeconds: 30 }],
      thinkSeconds: 0,
      maxRetakes: 0,
    });
    const id = session.sessionId;
    const unknown = randomUUID();
    const hostile = `bad\n]: {"level":"error"} [session=${id}] ${'z'.repeat(40)}`;
    let page;

    await withLogOnFailure(imsd, async () => {
      // 2. refused joins
      assert.equal(await refusedJoin(id, 'not-a-token'), 'bad_token');
      assert.equal(await refusedJoin(unknown, candidateToken(TOKEN_SECRET, unknown)), 'session_not_found');
      assert.equal(await refusedJoin(hostile, candidateToken(TOKEN_SECRET, hostile)), 'session_not_found');

      // 3. a one-take interview, processed
      page = await openCandidate(browser.context, session.joinUrl);
      await waitForState(page, 's => s.mediaReady', { what: 'media ready' });
      await recordTake(page, 0, 1);
      await sleep(2500);
      await stopTake(page, 0, 1);
      await clickButton(page, 'next');
      await waitForState(page, 's => s.phase === "completed"', { what: 'completed' });
      const [take] = await takeRows(imsd, id);
      await waitFor(async () => (await takeRows(imsd, id))[0].processed_at, { timeoutMs: 60000, what: 'the take processed' });
      await page.close();
      await waitFor(() => imsd.logText().includes('"message":"candidate left"'), { what: 'the candidate left' });
      await imsd.stop();

      // 4. the log
      const text = imsd.logText();
      const lines = [];
      for (const raw of text.split('\n')) {
        if (raw === '' || /^===== run \d+: /.test(raw)) continue;   // the harness's own marker
        let line;
        assert.doesNotThrow(() => { line = JSON.parse(raw); }, `a JSON line: ${raw}`);
        for (const member of ['time', 'level', 'domain', 'message']) {
          assert.equal(typeof line[member], 'string', `${member} in ${raw}`);
        }
        lines.push(line);
      }
      assert.ok(lines.length > 50, `a log of some length (${lines.length} lines)`);
      const show = (l) => JSON.stringify(l);

      // the line that names the session's id (or its take's) carries the session
      for (const l of lines) {
        if (l.message.includes(id) || l.message.includes(take.id)) {
          assert.equal(l.session, id, `names the session or its take, so carries it: ${show(l)}`);
        }
      }

      // the refused joins: one line each, with the id asked for and the reason code
      const refusals = lines.filter((l) => l.domain === 'imsd.registry' && /join refused/.test(l.message));
      const refusal = (session, code) => refusals.filter((l) => l.session === session && l.message.includes(`join refused (${code})`));
      assert.equal(refusal(id, 'bad_token').length, 1, `the bad token, with the session asked for: ${refusals.map(show).join('\n')}`);
      assert.equal(refusal(unknown, 'session_not_found').length, 1, `the unknown session: ${refusals.map(show).join('\n')}`);
      const escaped = untrustedId(hostile);
      assert.ok(escaped.startsWith('bad\\x0a\\x5d:\\x20{\\x22level') && escaped.endsWith('...'),
        `the hostile id escaped and truncated: ${escaped}`);
      assert.equal(refusal(escaped, 'session_not_found').length, 1, `the id that is no UUID, escaped: ${refusals.map(show).join('\n')}`);
      assert.equal(refusals.length, 3, `three refusals: ${refusals.map(show).join('\n')}`);
      assert.ok(!lines.some((l) => l.message.includes(hostile) || (l.session || '').includes('\n')), 'the raw id is never written');
      const refusedPeers = new Set(refusals.map((l) => l.message.match(/^(peer-\d+): /)[1]));
      assert.equal(refusedPeers.size, 3, 'each refusal names its connection');

      // the session's modules during the interview: every line carries the session
      const first = lines.findIndex((l) => l.session === id && l.domain === 'imsd.session');
      assert.ok(first > 0, 'the session logged');
      const during = lines.slice(refusals.length ? lines.indexOf(refusals[0]) : first)
        .filter((l) => SESSION_DOMAINS.test(l.domain) && !isProcessWide(l, refusedPeers));
      const without = during.filter((l) => l.session === undefined && !refusals.includes(l));
      assert.deepEqual(without.map(show), [], 'lines of the session\'s modules without a session');
      assert.ok(during.filter((l) => l.session === id).length >= 20, 'the session\'s lines were seen');
      for (const domain of ['imsd.session', 'imsd.ingest.receiver', 'imsd.transport', 'imsd.signaling', 'imsd.processor']) {
        assert.ok(during.some((l) => l.domain === domain && l.session === id), `${domain} logged about the session`);
      }

      // the take's own lines carry it
      const takeLines = lines.filter((l) => l.take === take.id);
      for (const [domain, words] of [
        ['imsd.session', 'take 1 of question 1 started'],
        ['imsd.session', 'take 1 of question 1 saved'],
        ['imsd.ingest.receiver', 'first keyframe written'],
        ['imsd.ingest.receiver', 'finished: complete'],
      ]) {
        assert.ok(takeLines.some((l) => l.domain === domain && l.session === id && l.message.includes(words)),
          `${domain} "${words}" carries the take: ${takeLines.map(show).join('\n')}`);
      }
      // no id twice: a line with the fields does not repeat the session id in its text
      for (const l of lines.filter((x) => x.session === id)) {
        assert.ok(!l.message.startsWith(`${id}: `) && !l.message.startsWith(`[${id}]`), `the id once: ${show(l)}`);
      }
    }, () => (page && !page.isClosed() ? describePage(page) : ''));
  });
