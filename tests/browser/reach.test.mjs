// reach.test.mjs: a candidate whose UDP to imsd is blocked still connects and
// records (docs/ingest.md "Reachability"): Chromium in a network namespace
// (lib/reach-network.mjs) with nftables dropping its UDP, against a real imsd
// and Debian's coturn on the host side.
//   TURN/UDP   UDP only to coturn; [media] turn_servers=turn:...?transport=udp
//   TURN/TCP   no UDP; turn:...?transport=tcp
//   ICE-TCP    no UDP, no TURN; [media] ice_tcp=1: imsd's passive TCP candidates
//   public_ip  UDP only to a "public" address the namespace maps (1:1 NAT) to
//              imsd's; [media] public_ip: imsd advertises it beside its host candidates
//   public_ip + ICE-TCP  no UDP, TCP to imsd's own address only for signaling:
//              the passive TCP candidate's public twin is the way in
// Each case: a fresh imsd with that config, one take recorded; checks the pair
// Chromium selected (candidate types, protocols), what imsd trickled, the
// iceServers of `state` (coturn's REST credentials, recomputed here), the
// take's row and its file through take-probe.
// Needs root, ip, nft, coturn, unshare and nsenter (scripts/install-deps.sh;
// util-linux is in every Debian): without them every
// test fails saying what is missing (CI runs as root on Debian 12).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';

import { startImsd, withLogOnFailure, waitFor, freePort } from './lib/imsd.mjs';
import { takeRows } from './lib/db.mjs';
import { takeProbe } from './lib/probe.mjs';
import { CHROMIUM_ARGS, waitForState, describePage } from './lib/browser.mjs';
import { openCandidate, recordTake, stopTake } from './lib/candidate.mjs';
import { HOST_IP, PUBLIC_IP, createNetwork, setPolicy, startCoturn, coturnLogTail, destroy }
  from './lib/reach-network.mjs';

const TURN_SECRET = 'reach-test-coturn-static-auth-secret';
const TTL_SECONDS = 3600;
const QUESTIONS = [{ id: 'q1', text: 'Where are you connecting from?', timeLimitSeconds: 20 }];

let network;
let turnPort;
let setupError;

before(async () => {
  try {
    network = await createNetwork();
    turnPort = await freePort();
    await startCoturn(network, { port: turnPort, secret: TURN_SECRET });
  } catch (err) {
    setupError = err;
  }
});

after(() => {
  if (network) destroy(network);
});

/** Chromium inside the namespace, the page's origin (http://HOST_IP:port) treated as secure. */
async function launchInNamespace(origin) {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'imsd-chromium-reach-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: network.chromium,
    headless: false,
    args: [...CHROMIUM_ARGS, `--unsafely-treat-insecure-origin-as-secure=${origin}`],
    viewport: { width: 1000, height: 800 },
  });
  return {
    context,
    async close() {
      try { await context.close(); } catch { /* gone */ }
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** The pair Chromium's transport selected: its local and remote candidates. */
function selectedPair(page) {
  return page.evaluate(async () => {
    const stats = await window.imsd.pc.getStats();
    const byId = new Map();
    stats.forEach((r) => byId.set(r.id, r));
    let pair = null;
    stats.forEach((r) => {
      if (r.type === 'transport' && r.selectedCandidatePairId) pair = byId.get(r.selectedCandidatePairId);
    });
    if (!pair) return null;
    const pick = (c) => c && {
      candidateType: c.candidateType, protocol: c.protocol, relayProtocol: c.relayProtocol,
      address: c.address, port: c.port, tcpType: c.tcpType,
    };
    return { state: pair.state, local: pick(byId.get(pair.localCandidateId)), remote: pick(byId.get(pair.remoteCandidateId)) };
  });
}

/** The candidates imsd trickled to the page (its `ice` messages). */
function trickled(page) {
  return page.evaluate(() => window.imsd.log.filter((m) => m.type === 'ice' && m.candidate).map((m) => m.candidate));
}

/**
 * One interview through the namespace: imsd with env, UDP as policy; records
 * one take and returns what the checks need.
 */
async function interviewThrough(name, policy, env) {
  assert.ifError(setupError);
  const imsd = await startImsd({ name: 'reach', env });
  setPolicy(network, policy, { turnPort, signalingPort: imsd.port });
  const origin = `http://${HOST_IP}:${imsd.port}`;
  const browser = await launchInNamespace(origin);
  try {
    return await withLogOnFailure(imsd, async () => {
      const session = await imsd.createSession({ questions: QUESTIONS, thinkSeconds: 30, maxRetakes: 0 });
      const joinUrl = session.joinUrl.replace(/^http:\/\/[^/]+/, origin);
      const page = await openCandidate(browser.context, joinUrl);
      const pageDump = () => describePage(page);
      try {
        const state = await waitForState(page, 's => s.mediaReady', { timeoutMs: 45000, what: `media over ${name}` });
        const pair = await waitFor(async () => {
          const p = await selectedPair(page);
          return p && p.state === 'succeeded' ? p : null;
        }, { what: `a selected pair (${name})` });
        await recordTake(page, 0, 1);
        await sleep(3000);
        await stopTake(page, 0, 1);
        const rows = await takeRows(imsd, session.sessionId);
        const probe = await takeProbe(rows[0].path);
        const remoteSdp = await page.evaluate(() => window.imsd.pc.remoteDescription.sdp);
        return { session, state, pair, rows, probe, candidates: await trickled(page), remoteSdp };
      } catch (err) {
        err.message += `\n${await pageDump().catch(() => '')}\ncoturn:\n${coturnLogTail(network)}`;
        throw err;
      }
    });
  } finally {
    await browser.close();
    await imsd.shutdown();
  }
}

function assertRecorded(result, name) {
  const { rows, probe } = result;
  assert.equal(rows.length, 1, `one take over ${name}`);
  assert.equal(rows[0].status, 'completed', `the take over ${name} completed`);
  const where = `${name}: ${JSON.stringify(probe)}`;
  assert.equal(probe.ok, true, where);
  assert.equal(probe.hasVideo, true, where);
  assert.equal(probe.hasAudio, true, where);
  assert.equal(probe.firstVideoFrameKeyframe, true, where);
  assert.ok(probe.durationMs >= 2000, `the take holds seconds of media: ${where}`);
}

/** [media] ice_interfaces: every candidate imsd trickled is on one of addresses. */
function assertOnlyAddresses(result, addresses) {
  assert.ok(result.candidates.length > 0, 'imsd trickled candidates');
  for (const c of result.candidates) {
    assert.ok(addresses.includes(c.split(' ')[4]), `${c} is on ${addresses.join(' or ')} only`);
  }
}

/** state.iceServers: the configured URI and coturn's REST credentials for this session. */
function assertTurnCredentials(result, url) {
  const { state, session } = result;
  assert.equal(state.iceServers.length, 1, JSON.stringify(state.iceServers));
  const [server] = state.iceServers;
  assert.deepEqual(server.urls, [url]);
  const [expiry, name] = server.username.split(':');
  assert.equal(name, session.sessionId, 'the username names the session');
  const now = Math.floor(Date.now() / 1000);
  assert.ok(Number(expiry) > now + TTL_SECONDS - 120 && Number(expiry) <= now + TTL_SECONDS,
    `expiry ${expiry} is about now + ${TTL_SECONDS}`);
  const expected = crypto.createHmac('sha1', TURN_SECRET).update(server.username).digest('base64');
  assert.equal(server.credential, expected, 'credential = base64(HMAC-SHA1(secret, username))');
}

const turnEnv = (transport) => ({
  IMSD_MEDIA_TURN_SERVERS: `turn:${HOST_IP}:${turnPort}?transport=${transport}`,
  IMSD_MEDIA_TURN_SECRET: TURN_SECRET,
  IMSD_MEDIA_TURN_CREDENTIAL_TTL_SECONDS: String(TTL_SECONDS),
});

// TURN/UDP: only coturn's port is open; TURN/TCP: no UDP at all.
for (const [transport, policy, what] of [['udp', 'turn-only', 'UDP to imsd dropped'], ['tcp', 'none', 'no UDP at all']]) {
  test(`${what}: the page relays through TURN/${transport.toUpperCase()} (coturn) and the take records`,
    { timeout: 120000 }, async () => {
      const name = `TURN/${transport.toUpperCase()}`;
      const r = await interviewThrough(name, policy, turnEnv(transport));
      assertTurnCredentials(r, `turn:${HOST_IP}:${turnPort}?transport=${transport}`);
      assert.equal(r.pair.local.candidateType, 'relay', JSON.stringify(r.pair));
      assert.equal(r.pair.local.relayProtocol, transport, JSON.stringify(r.pair));
      assertRecorded(r, name);
    });
}

test('no UDP and no TURN: ICE-TCP to imsd\'s passive candidates, and the take records',
  { timeout: 120000 }, async () => {
    const r = await interviewThrough('ICE-TCP', 'none', { IMSD_MEDIA_ICE_TCP: '1' });
    assert.deepEqual(r.state.iceServers, [], 'no TURN configured: iceServers is empty');
    const tcp = r.candidates.filter((c) => / tcp /i.test(c));
    assert.ok(tcp.length > 0, `imsd trickled TCP candidates: ${r.candidates.join(' | ')}`);
    for (const c of tcp) assert.match(c, /tcptype passive/, `every TCP candidate is passive: ${c}`);
    assert.match(r.remoteSdp, /a=candidate:\S+ 1 tcp \d+ \S+ \d+ typ host tcptype passive/i,
      'the remote description carries the passive candidates');
    assert.equal(r.pair.remote.protocol, 'tcp', JSON.stringify(r.pair));
    assert.equal(r.pair.remote.address, HOST_IP, JSON.stringify(r.pair));
    assertRecorded(r, 'ICE-TCP');
  });

test('imsd behind a 1:1 NAT: the page reaches it at [media] public_ip only, and the take records',
  { timeout: 120000 }, async () => {
    // gathering on the veth alone, named by its interface ([media] ice_interfaces), as a
    // machine whose NAT maps one interface would be configured
    const r = await interviewThrough('public_ip', 'nat',
      { IMSD_MEDIA_PUBLIC_IP: PUBLIC_IP, IMSD_MEDIA_ICE_INTERFACES: network.hostVeth });
    assertOnlyAddresses(r, [HOST_IP, PUBLIC_IP]);
    const twins = r.candidates.filter((c) => c.includes(` ${PUBLIC_IP} `));
    assert.ok(twins.length > 0, `imsd trickled its public address: ${r.candidates.join(' | ')}`);
    for (const twin of twins) {
      const [, port] = twin.match(new RegExp(` ${PUBLIC_IP.replace(/\./g, '\\.')} (\\d+) typ srflx raddr \\S+ rport (\\d+)`)) || [];
      assert.ok(port, `a public twin is srflx with raddr/rport: ${twin}`);
      assert.ok(twin.endsWith(` rport ${port}`) || twin.includes(` rport ${port} `), `same port as its host candidate: ${twin}`);
    }
    assert.ok(r.candidates.some((c) => c.includes(` ${HOST_IP} `) && / typ host/.test(c)),
      'the host candidate is still sent, beside its twin');
    assert.equal(r.pair.remote.address, PUBLIC_IP, JSON.stringify(r.pair));
    assertRecorded(r, 'public_ip');
  });

test('behind a 1:1 NAT with no UDP: ICE-TCP to the public twin of the passive candidate, and the take records',
  { timeout: 120000 }, async () => {
    const r = await interviewThrough('public_ip + ICE-TCP', 'nat-tcp',
      { IMSD_MEDIA_PUBLIC_IP: PUBLIC_IP, IMSD_MEDIA_ICE_TCP: '1', IMSD_MEDIA_ICE_INTERFACES: HOST_IP });
    assertOnlyAddresses(r, [HOST_IP, PUBLIC_IP]);
    assert.ok(r.candidates.some((c) => new RegExp(` tcp \\d+ ${PUBLIC_IP.replace(/\./g, '\\.')} \\d+ typ srflx raddr \\S+ rport \\d+ tcptype passive`, 'i').test(c)),
      `imsd trickled the public twin of its passive TCP candidate: ${r.candidates.join(' | ')}`);
    assert.equal(r.pair.remote.protocol, 'tcp', JSON.stringify(r.pair));
    assert.equal(r.pair.remote.address, PUBLIC_IP, JSON.stringify(r.pair));
    assertRecorded(r, 'public_ip + ICE-TCP');
  });
