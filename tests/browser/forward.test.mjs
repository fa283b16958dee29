// forward.test.mjs: forwarding (the SFU path, pipelines/ingest/sender.c and
// receiver-feedback.c) against real Chromium, without rooms, server or
// database.  tests/tools/forward-harness runs one receiver (the publisher)
// and its senders (subscribers) and speaks one JSON per line on
// stdin/stdout; this file relays it to Chromium pages: a publisher whose
// fake camera is the frame-coded y4m of tests/tools/fidelity-media (every
// frame carries its number and a CRC) with its beeping WAV, and one or two
// subscribers (recvonly).  Checked:
//   * the subscriber decodes video (inbound-rtp framesDecoded grows) and
//     hears audio (totalAudioEnergy grows);
//   * the frames it shows are the publisher's: the numbers read from its
//     video (a canvas, at every presented frame) pass their CRC and follow
//     each other in order (no frame shown twice or out of order), and over
//     the same 3 s they are the numbers the publisher's page read from its
//     own camera track (nearly all of them, none it did not capture);
//   * a keyframe on demand: a second subscriber decodes (its first frame
//     needs a keyframe, which its sender asked the publisher for), and the
//     first subscriber's keyFramesDecoded grows too (same stream);
//   * ims_receiver_split_take() during forwarding writes two playable
//     files (tests/tools/take-probe): video and audio, a keyframe first;
//   * a screen share (--video-only: a video-only publisher) is forwarded and
//     its take has video and no audio;
//   * a subscriber's NACKs are answered from its sender's retransmission
//     buffer: with 10 % of the forwarded datagrams dropped on the way to it
//     (tests/fidelity/udp-relay.mjs), it NACKs and ends with (nearly) no
//     video packet lost;
//   * a subscriber's REMB lowers the publisher's: with its path capped at
//     40 kbit/s the publisher's own estimate (availableOutgoingBitrate)
//     falls to at most half of what it was;
//   * a VP8 publisher is forwarded too (the first test's is H.264, imsd's
//     preference): the subscriber decodes it and shows its numbered frames.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS } from './lib/browser.mjs';
import { makeMedia, startRelay } from './lib/fidelity.mjs';
import { buildDir } from './lib/imsd.mjs';

const PAGE = `<!doctype html><html><body><script>
window.pcs = {};
function watch(pc) {
  pc.onicecandidate = (e) => {
    if (e.candidate && e.candidate.candidate)
      window.__signal({ type: 'ice', candidate: e.candidate.candidate, mline: e.candidate.sdpMLineIndex });
  };
}
async function gathered(pc) {
  await new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
    setTimeout(resolve, 2000);
  });
}
window.publish = async (videoOnly, codec) => {
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { width: 640, height: 360, frameRate: 30 },
    audio: videoOnly ? false : { echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
  const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
  window.pc = pc;
  watch(pc);
  for (const track of stream.getTracks()) {
    const transceiver = pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
    if (codec && track.kind === 'video') {
      const codecs = RTCRtpSender.getCapabilities('video').codecs;
      transceiver.setCodecPreferences(codecs.filter((c) => c.mimeType === codec));
    }
  }
  // the frames the camera gives the encoder, read like the subscriber's
  const local = document.createElement('video');
  local.muted = true;
  local.autoplay = true;
  local.srcObject = new MediaStream(stream.getVideoTracks());
  document.body.appendChild(local);
  local.play().catch(() => {});
  readCodes(local);
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  return pc.localDescription.sdp;
};
// CRC-8 (0x07) of the number's two bytes, as tests/tools/fidelity-media.c
function crc8(bytes) {
  let crc = 0;
  for (const b of bytes) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}
window.codes = [];   // [number or -1 (unreadable) or -2 (flash)] of every presented frame
function readCodes(video) {
  const canvas = document.createElement('canvas');
  canvas.width = 64; canvas.height = 36;
  const context = canvas.getContext('2d', { willReadFrequently: true });
  const onFrame = () => {
    context.drawImage(video, 0, 0, 64, 36);
    const data = context.getImageData(0, 0, 64, 36).data;
    const cells = [];
    for (let r = 0; r < 4; r++) for (let c = 0; c < 8; c++) {
      const i = ((r * 9 + 4) * 64 + c * 8 + 4) * 4;
      cells.push((data[i] + data[i + 1] + data[i + 2]) / 3 > 126 ? 1 : 0);
    }
    let value = -1;
    if (cells.every((v) => v === 1)) value = -2;
    else {
      const number = cells.slice(0, 16).reduce((n, b) => n * 2 + b, 0);
      const crc = cells.slice(16, 24).reduce((n, b) => n * 2 + b, 0);
      const reference = cells.slice(24).every((v, i) => v === (i % 2 === 0 ? 1 : 0));
      if (reference && crc === crc8([number >> 8, number & 0xff])) value = number;
    }
    window.codes.push(value);
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
}
window.subscribe = async (audio) => {
  // a granted getUserMedia lets the page's candidates carry real addresses (not mDNS names)
  (await navigator.mediaDevices.getUserMedia({ audio: true })).getTracks().forEach((t) => t.stop());
  const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
  window.pc = pc;
  watch(pc);
  pc.addTransceiver('video', { direction: 'recvonly' });
  if (audio) pc.addTransceiver('audio', { direction: 'recvonly' });
  pc.ontrack = (e) => {
    const element = document.createElement(e.track.kind);
    element.autoplay = true;
    element.muted = e.track.kind === 'video';
    element.srcObject = new MediaStream([e.track]);
    document.body.appendChild(element);
    element.play().catch(() => {});
    if (e.track.kind === 'video') readCodes(element);
  };
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  return pc.localDescription.sdp;
};
window.framesSent = async () => {
  let sent = 0;
  (await window.pc.getStats()).forEach((r) => { if (r.type === 'outbound-rtp' && r.kind === 'video') sent = r.framesSent || 0; });
  return sent;
};
window.availableOutgoingBitrate = async () => {
  let bitrate = null;
  let target = null;
  (await window.pc.getStats()).forEach((r) => {
    if (r.type === 'candidate-pair' && r.availableOutgoingBitrate) bitrate = r.availableOutgoingBitrate;
    if (r.type === 'outbound-rtp' && r.kind === 'video') target = r.targetBitrate;
  });
  return [bitrate, target];
};
window.answer = (sdp) => window.pc.setRemoteDescription({ type: 'answer', sdp });
window.candidate = (candidate, mline) => window.pc.addIceCandidate({ candidate, sdpMLineIndex: mline });
window.inbound = async () => {
  const out = { video: null, audio: null };
  (await window.pc.getStats()).forEach((r) => {
    if (r.type === 'inbound-rtp') out[r.kind] = r;
  });
  return {
    framesDecoded: out.video ? out.video.framesDecoded || 0 : 0,
    keyFramesDecoded: out.video ? out.video.keyFramesDecoded || 0 : 0,
    totalAudioEnergy: out.audio ? out.audio.totalAudioEnergy || 0 : 0,
    audioPackets: out.audio ? out.audio.packetsReceived || 0 : 0,
    videoPackets: out.video ? out.video.packetsReceived || 0 : 0,
    videoLost: out.video ? out.video.packetsLost || 0 : 0,
    nackCount: out.video ? out.video.nackCount || 0 : 0,
  };
};
</script></body></html>`;

/** The harness and the pages it talks to, by pc name ("pub", "sub1", ...). */
class Forwarding {
  constructor(args) {
    this.proc = spawn(path.join(buildDir, 'tests/tools/forward-harness'), args,
      { stdio: ['pipe', 'pipe', 'pipe'] });
    this.stderr = '';
    this.proc.stderr.on('data', (d) => { this.stderr = (this.stderr + d).slice(-20000); });
    this.pages = {};
    this.queues = {};
    this.openPages = [];
    this.relayed = {}; // pc -> Relay: that subscriber's media cross it (see joinThroughRelay)
    this.events = [];
    this.waiters = [];
    readline.createInterface({ input: this.proc.stdout }).on('line', (line) => this.onLine(JSON.parse(line)));
  }

  send(message) { this.proc.stdin.write(`${JSON.stringify(message)}\n`); }

  onLine(message) {
    const page = this.pages[message.pc];
    if (message.type === 'answer') this.events.push(message);
    if (page && this.relayed[message.pc] && (message.type === 'answer' || message.type === 'ice')) {
      // the page learns no address of imsd's: only the relay's, from the checks it forwards
      if (message.type === 'answer') {
        const sdp = message.sdp.split('\r\n').filter((l) => !l.startsWith('a=candidate:')).join('\r\n');
        this.queues[message.pc] = this.queues[message.pc].then(() => page.evaluate((a) => window.answer(a), sdp));
      }
      return;
    }
    if (page && (message.type === 'answer' || message.type === 'ice')) {
      // in order per page: the answer before its candidates
      this.queues[message.pc] = this.queues[message.pc].then(() => (message.type === 'answer'
        ? page.evaluate((sdp) => window.answer(sdp), message.sdp)
        : page.evaluate(([c, m]) => window.candidate(c, m), [message.candidate, Number(message.mline)])))
        .catch((e) => this.events.push({ type: 'page-error', pc: message.pc, message: String(e) }));
      return;
    }
    this.events.push(message);
    this.waiters = this.waiters.filter((w) => !w(message));
  }

  /** Resolves with the first event (past or future) for which match() is true. */
  waitFor(match, what, timeoutMs = 20000) {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} in ${timeoutMs} ms; events ${JSON.stringify(this.events).slice(-2000)}\n${this.stderr.slice(-4000)}`)), timeoutMs);
      this.waiters.push((m) => {
        if (!match(m)) return false;
        clearTimeout(timer);
        resolve(m);
        return true;
      });
    });
  }

  async join(pc, page, offer) {
    this.pages[pc] = page;
    this.queues[pc] = Promise.resolve();
    await page.exposeFunction('__signal', (m) => this.send({ ...m, pc }));
    this.send({ type: 'offer', pc, sdp: await offer() });
  }

  /**
   * A subscriber whose every packet crosses relay (tests/fidelity/udp-relay.mjs) with imsd as the
   * relay's client and the page as its target: the relay's "upstream" is imsd -> page, the
   * forwarded media, which it can impair.  imsd gets the relay's address as the page's only
   * candidate; the page gets none of imsd's.
   */
  async joinThroughRelay(pc, page, offer, relay) {
    this.pages[pc] = page;
    this.queues[pc] = Promise.resolve();
    this.relayed[pc] = relay;
    let target = null; // the page's first host UDP IPv4 candidate: where the relay sends
    const takeTarget = (candidate) => {
      const f = candidate.replace(/^a=/, '').split(/\s+/);
      if (!target && f.length >= 8 && f[2].toLowerCase() === 'udp' && f[7] === 'host'
          && /^\d+\.\d+\.\d+\.\d+$/.test(f[4])) target = `${f[4]} ${f[5]}`;
    };
    await page.exposeFunction('__signal', (m) => (m.type === 'ice' ? takeTarget(m.candidate) : this.send({ ...m, pc })));
    const lines = (await offer()).split('\r\n');
    lines.filter((l) => l.startsWith('a=candidate:')).forEach(takeTarget);
    assert.ok(target, 'the subscriber page has a host UDP IPv4 candidate');
    await relay.command(`target ${target}`);
    // the offer's own candidates stay out of imsd's sight: it gets the relay's only
    this.send({ type: 'offer', pc, sdp: lines.filter((l) => !l.startsWith('a=candidate:')).join('\r\n') });
    this.send({ type: 'ice', pc, mline: 0,
      candidate: `candidate:1 1 udp 2130706431 ${relay.address} ${relay.port} typ host` });
  }

  /** A publisher page (camera, or video only; codec: a mimeType to force), once media flows. */
  async publish(videoOnly = false, codec = null) {
    const page = await newPage();
    this.openPages.push(page);
    await this.join('pub', page, () => page.evaluate(([v, c]) => window.publish(v, c), [videoOnly, codec]));
    await this.waitFor((m) => m.type === 'media_flowing', 'media_flowing');
    return page;
  }

  /** A subscriber page named pc (with audio or not; through relay if given), once its sender is secure. */
  async subscribe(pc, audio = true, relay = null) {
    const page = await newPage();
    this.openPages.push(page);
    const offer = () => page.evaluate((a) => window.subscribe(a), audio);
    if (relay) await this.joinThroughRelay(pc, page, offer, relay);
    else await this.join(pc, page, offer);
    await this.waitFor((m) => m.type === 'connected' && m.pc === pc, `${pc} connected`);
    return page;
  }

  assertNoErrors() {
    assert.deepEqual(this.events.filter((m) => m.type === 'error' || m.type === 'page-error'), []);
  }

  async close() {
    for (const page of this.openPages) await page.close().catch(() => {});
    if (this.proc.exitCode === null) {
      this.send({ type: 'quit' });
      await Promise.race([new Promise((r) => this.proc.once('exit', r)), sleep(5000)]);
      if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
    }
  }
}

function probe(file) {
  return new Promise((resolve) => {
    execFile(path.join(buildDir, 'tests/tools/take-probe'), [file], { timeout: 120000 }, (err, stdout) => {
      try { resolve(JSON.parse(stdout.trim().split('\n').pop())); } catch { resolve({ ok: false, stdout }); }
    });
  });
}

/** Polls page's inbound stats (10 s at most) until framesDecoded > min; returns the last ones. */
async function decoding(page, min) {
  let stats;
  for (let i = 0; i < 40; i++) {
    stats = await page.evaluate(() => window.inbound());
    if (stats.framesDecoded > min) break;
    await sleep(250);
  }
  return stats;
}

async function grows(page, key, ms = 2000) {
  const first = (await page.evaluate(() => window.inbound()))[key];
  await sleep(ms);
  const second = (await page.evaluate(() => window.inbound()))[key];
  return { first, second };
}

let media, context, server, userDataDir, url;
const takeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'imsd-forward-'));

before(async () => {
  media = await makeMedia({ width: 640, height: 360, seconds: 10 });
  server = http.createServer((req, res) => { res.setHeader('content-type', 'text/html'); res.end(PAGE); });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${server.address().port}/`;
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'imsd-chromium-forward-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.IMSD_CHROMIUM || '/usr/bin/chromium',
    headless: false,
    args: [...CHROMIUM_ARGS, `--use-file-for-fake-video-capture=${media.y4m}`,
      `--use-file-for-fake-audio-capture=${media.wav}`, '--autoplay-policy=no-user-gesture-required'],
  });
});

after(async () => {
  if (context) await context.close().catch(() => {});
  if (server) server.close();
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  if (media) fs.rmSync(media.dir, { recursive: true, force: true });
  fs.rmSync(takeDir, { recursive: true, force: true });
});

async function newPage() {
  const page = await context.newPage();
  await page.goto(url);
  return page;
}

test('a publisher is forwarded to subscribers: frames, audio, keyframes, split takes',
  { timeout: 150000 }, async (t) => {
    const f = new Forwarding([]);
    try {
      const publisher = await f.publish();
      const sub1 = await f.subscribe('sub1');

      // a take while forwarding, split in two
      const take1 = path.join(takeDir, 'take-1.mkv');
      const take2 = path.join(takeDir, 'take-2.mkv');
      f.send({ type: 'start_take', path: take1 });
      await f.waitFor((m) => m.type === 'take_started', 'take_started');

      const stats = await decoding(sub1, 30);
      assert.ok(stats.framesDecoded > 30, `sub1 decodes video: ${JSON.stringify(stats)}`);
      const video = await grows(sub1, 'framesDecoded');
      assert.ok(video.second > video.first + 20, `framesDecoded grows: ${JSON.stringify(video)}`);
      const audio = await grows(sub1, 'totalAudioEnergy', 2500);
      assert.ok(audio.second > audio.first, `totalAudioEnergy grows: ${JSON.stringify(audio)}`);

      // the frames shown are the publisher's, in order
      await Promise.all([sub1, publisher].map((p) => p.evaluate(() => { window.codes = []; })));
      const sentBefore = await publisher.evaluate(() => window.framesSent());
      const decodedBefore = (await sub1.evaluate(() => window.inbound())).framesDecoded;
      await sleep(3000);
      const [codes, captured] = await Promise.all([sub1, publisher].map((p) => p.evaluate(() => window.codes)));
      const sent = (await publisher.evaluate(() => window.framesSent())) - sentBefore;
      const decoded = (await sub1.evaluate(() => window.inbound())).framesDecoded - decodedBefore;
      const numbered = codes.filter((c) => c >= 0);
      const unreadable = codes.filter((c) => c === -1).length;
      assert.ok(numbered.length >= 45, `>= 45 numbered frames shown in 3 s: ${numbered.length} of ${codes.length}`);
      assert.ok(unreadable <= codes.length * 0.05, `unreadable ${unreadable} of ${codes.length}`);
      let backwards = 0;
      let repeated = 0;
      for (let i = 1; i < numbered.length; i++) {
        const step = (numbered[i] - numbered[i - 1] + media.frames) % media.frames;
        if (step === 0) repeated++;
        else if (step > media.frames / 2) backwards++;
      }
      assert.equal(backwards, 0, `frames in order: ${numbered.join(',')}`);
      assert.ok(repeated <= 2, `no frame shown twice (${repeated}): ${numbered.join(',')}`);
      // the same frames: what sub1 showed was captured by the publisher (but for the first few,
      // captured before the window began: the path's latency); every frame the publisher sent
      // was decoded by sub1 (forwarding loses none; the encoder and the subscriber's
      // compositor may skip some, so shown frames are not counted against captured ones)
      const capturedNumbers = captured.filter((c) => c >= 0);
      const capturedSet = new Set(capturedNumbers);
      const notCaptured = numbered.filter((n) => !capturedSet.has(n));
      assert.ok(capturedNumbers.length >= 45, `the publisher read its own frames: ${capturedNumbers.length}`);
      assert.ok(notCaptured.length <= 10, `sub1 shows the publisher's frames: not captured ${notCaptured.join(',')}`);
      assert.ok(sent >= 45 && decoded >= sent - 5, `sub1 decoded what the publisher sent: sent ${sent}, decoded ${decoded}`);
      t.diagnostic(`in 3 s the publisher captured ${capturedNumbers.length} numbered frames and sent ${sent}; `
        + `sub1 decoded ${decoded}, showed ${numbered.length}, ${notCaptured.length} from before the window`);
      t.diagnostic(`sub1: ${JSON.stringify(stats)}; 3 s shown: ${codes.length} frames, ${numbered.length} numbered `
        + `(${numbered[0]}..${numbered[numbered.length - 1]}), ${unreadable} unreadable, ${repeated} repeated`);

      f.send({ type: 'split_take', path: take2 });
      const first = await f.waitFor((m) => m.type === 'take' && m.path === take1, 'the first take');
      await sleep(3000);

      // a second subscriber: its sender asks for a keyframe, which every subscriber gets
      const before = (await sub1.evaluate(() => window.inbound())).keyFramesDecoded;
      const sub2 = await f.subscribe('sub2');
      const stats2 = await decoding(sub2, 10);
      assert.ok(stats2.framesDecoded > 10 && stats2.keyFramesDecoded >= 1,
        `sub2 decodes from a keyframe: ${JSON.stringify(stats2)}`);
      await sleep(500);
      const afterJoin = (await sub1.evaluate(() => window.inbound())).keyFramesDecoded;
      assert.ok(afterJoin > before, `sub1's keyFramesDecoded grows with sub2's join: ${before} -> ${afterJoin}`);

      f.send({ type: 'quality' });
      const quality = await f.waitFor((m) => m.type === 'quality', 'quality');
      assert.ok(quality.publisher.bitrateKbps > 50, `publisher bitrate: ${JSON.stringify(quality)}`);
      assert.ok(quality.subscribers.sub1.bitrateKbps > 50, `sub1 bitrate: ${JSON.stringify(quality)}`);

      t.diagnostic(`keyFramesDecoded sub1 ${before} -> ${afterJoin}; sub2 ${JSON.stringify(stats2)}; `
        + `quality ${JSON.stringify(quality)}`);
      f.send({ type: 'stop_take' });
      const second = await f.waitFor((m) => m.type === 'take' && m.path === take2, 'the second take');
      for (const take of [first, second]) {
        const probed = await probe(take.path);
        t.diagnostic(`${path.basename(take.path)}: ${JSON.stringify(probed)}`);
        assert.ok(probed.ok, `${take.path} decodes: ${JSON.stringify(probed)}`);
        assert.ok(probed.hasVideo && probed.hasAudio, `video and audio: ${JSON.stringify(probed)}`);
        assert.ok(probed.firstVideoFrameKeyframe, `keyframe first: ${JSON.stringify(probed)}`);
        assert.ok(probed.durationMs > 2000, `duration: ${JSON.stringify(probed)}`);
      }
      f.send({ type: 'close', pc: 'sub2' });
      await f.waitFor((m) => m.type === 'closed' && m.pc === 'sub2', 'sub2 closed');
      const still = await grows(sub1, 'framesDecoded', 1500);
      assert.ok(still.second > still.first, `sub1 still decodes after sub2 left: ${JSON.stringify(still)}`);
      f.assertNoErrors();
    } finally {
      await f.close();
    }
  });

test('a screen share (video only) is forwarded and recorded', { timeout: 90000 }, async (t) => {
  const f = new Forwarding(['--video-only']);
  try {
    await f.publish(true);
    const take = path.join(takeDir, 'screen.mkv');
    f.send({ type: 'start_take', path: take });
    await f.waitFor((m) => m.type === 'take_started', 'take_started');
    const sub = await f.subscribe('sub1', false);
    const stats = await decoding(sub, 30);
    assert.ok(stats.framesDecoded > 30, `the subscriber decodes the screen: ${JSON.stringify(stats)}`);
    await sleep(1000);
    f.send({ type: 'stop_take' });
    const result = await f.waitFor((m) => m.type === 'take' && m.path === take, 'the take');
    assert.equal(result.audioCodec, '');
    const probed = await probe(take);
    t.diagnostic(`subscriber ${JSON.stringify(stats)}; ${JSON.stringify(probed)}`);
    assert.ok(probed.ok && probed.hasVideo && !probed.hasAudio, `video only: ${JSON.stringify(probed)}`);
    assert.ok(probed.firstVideoFrameKeyframe && probed.durationMs > 1500, JSON.stringify(probed));
    f.assertNoErrors();
  } finally {
    await f.close();
  }
});

test('a VP8 publisher is forwarded', { timeout: 90000 }, async (t) => {
  const f = new Forwarding([]);
  try {
    await f.publish(false, 'video/VP8');
    const sub = await f.subscribe('sub1');
    const answer = f.events.find((m) => m.type === 'answer' && m.pc === 'sub1');
    assert.ok(answer && /a=rtpmap:\d+ VP8\/90000/.test(answer.sdp), 'the subscriber is answered VP8');
    const stats = await decoding(sub, 30);
    assert.ok(stats.framesDecoded > 30, `the subscriber decodes VP8: ${JSON.stringify(stats)}`);
    await sub.evaluate(() => { window.codes = []; });
    await sleep(2000);
    const numbered = (await sub.evaluate(() => window.codes)).filter((c) => c >= 0);
    assert.ok(numbered.length >= 30, `numbered frames shown in 2 s: ${numbered.length}`);
    t.diagnostic(`VP8 subscriber ${JSON.stringify(stats)}; ${numbered.length} numbered frames in 2 s`);
    f.assertNoErrors();
  } finally {
    await f.close();
  }
});

test("a subscriber's NACKs are answered from the sender's retransmission buffer", { timeout: 90000 }, async (t) => {
  const f = new Forwarding([]);
  const relay = await startRelay({ seed: 7 });
  try {
    await f.publish();
    const sub = await f.subscribe('sub1', true, relay);
    const stats = await decoding(sub, 30);
    assert.ok(stats.framesDecoded > 30, `sub1 decodes through the relay: ${JSON.stringify(stats)}`);
    await relay.command('reset');
    await relay.command('drop 10');
    await sleep(8000);
    await relay.command('clear');
    await sleep(1500); // the last retransmissions
    const dropped = (await relay.command('stats')).dropRandom;
    const after = await sub.evaluate(() => window.inbound());
    t.diagnostic(`relay dropped ${dropped} datagrams to sub1; sub1 ${JSON.stringify(after)}`);
    assert.ok(dropped >= 20, `the relay dropped datagrams: ${dropped}`);
    assert.ok(after.nackCount - stats.nackCount >= 2, `sub1 NACKed: ${JSON.stringify({ before: stats, after })}`);
    assert.ok(after.videoLost - stats.videoLost <= 1,
      `the sender's buffer answered sub1's NACKs (video packets lost: ${after.videoLost - stats.videoLost})`);
    assert.ok(after.framesDecoded > stats.framesDecoded + 150, `sub1 kept decoding: ${JSON.stringify(after)}`);
    f.assertNoErrors();
  } finally {
    await f.close();
    await relay.close();
  }
});

test("a subscriber's REMB lowers the publisher's", { timeout: 90000 }, async (t) => {
  const f = new Forwarding([]);
  const relay = await startRelay({ seed: 3 });
  try {
    const publisher = await f.publish();
    const sub = await f.subscribe('sub1', true, relay);
    await decoding(sub, 30);
    await sleep(3000);
    const [before] = await publisher.evaluate(() => window.availableOutgoingBitrate());
    // sub1's path capped at 40 kbit/s: its REMB falls, and the receiver's REMB to the
    // publisher is the lowest of its target (2500 kbit/s) and the subscribers'
    await relay.command('rate 40 200');
    const samples = [];
    for (let i = 0; i < 20; i++) {
      await sleep(500);
      samples.push((await publisher.evaluate(() => window.availableOutgoingBitrate()))[0]);
    }
    t.diagnostic(`publisher availableOutgoingBitrate before ${before}, with sub1 capped: ${samples.join(',')}`);
    assert.ok(before >= 50000, `the publisher's estimate before: ${before}`);
    const last = samples.slice(-5);
    assert.ok(last.every((b) => b <= before / 2),
      `the publisher's estimate follows sub1's REMB down: ${before} -> ${samples.join(',')}`);
    f.assertNoErrors();
  } finally {
    await f.close();
    await relay.close();
  }
});
