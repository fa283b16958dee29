// fidelity.mjs: the pieces of the fidelity suite (tests/browser/fidelity.test.mjs,
// docs/fidelity.md): frame-coded media, the impairing UDP relay, a Chromium
// that sends that media through the relay, and the analyzer.
//
//   makeMedia({width, height, seconds})  -> {y4m, wav, fps, frames, flashEvery, dir}
//       runs BUILD_DIR/tests/tools/fidelity-media into a fresh dir under /tmp
//       (raw video: 10 MB per second at 640x360); remove(dir) when done.
//   startRelay()                         -> Relay {port, address, command(line), close()}
//       spawns tests/fidelity/udp-relay.mjs; command() resolves with its JSON reply.
//   launchFidelityBrowser(media, relay)  -> {context, close()}
//       Chromium with the y4m / WAV as fake camera / microphone, audio
//       processing off, and every RTCPeerConnection routed through the relay:
//       imsd's candidates are replaced by the relay's address (the first UDP
//       IPv4 one becomes the relay's target) and the browser's own candidates
//       are never sent, so imsd sees only the relay.
//   senderCounts(page)                   -> {sent, encoded, captured} video frames so far
//   senderSync(page, sinceUs)            -> the sender's own A/V offsets at its flashes
//   senderFramesSeen(page, sinceMs)      -> the frame numbers its camera delivered
//   analyzeTake(file, media, framesSent) -> the JSON of tests/fidelity/analyze.py
import { chromium } from 'playwright-core';
import { spawn, execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { CHROMIUM_ARGS } from './browser.mjs';
import { buildDir, repoRoot } from './imsd.mjs';

const fidelityDir = path.join(repoRoot, 'tests/fidelity');

function execJson(file, args, timeout) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { encoding: 'utf8', timeout, maxBuffer: 64 << 20, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      const line = stdout.trim().split('\n').pop() || '';
      try {
        resolve(JSON.parse(line));
      } catch {
        reject(new Error(`${path.basename(file)} ${args.join(' ')}: no JSON (${err ? err.message : 'exit 0'})\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}`));
      }
    });
  });
}

/** The machine's first non-internal IPv4 address (what ICE uses; loopback is ignored by imsd). */
export function hostAddress() {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list || []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  throw new Error('no non-loopback IPv4 address: WebRTC needs one');
}

export async function makeMedia({ width = 640, height = 360, seconds = 20 } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imsd-fidelity-'));
  const info = await execJson(path.join(buildDir, 'tests/tools/fidelity-media'), [
    '--y4m', path.join(dir, 'media.y4m'), '--wav', path.join(dir, 'media.wav'),
    '--width', String(width), '--height', String(height), '--seconds', String(seconds)], 120000);
  return { ...info, dir };
}

export class Relay {
  constructor(proc) {
    this.proc = proc;
    this.address = hostAddress();
    this.waiting = [];
    this.lines = readline.createInterface({ input: proc.stdout });
    this.lines.on('line', (line) => {
      const w = this.waiting.shift();
      if (w) w(JSON.parse(line));
    });
  }

  /** Sends one command line; resolves with the relay's JSON reply (throws if not ok). */
  command(line) {
    return new Promise((resolve, reject) => {
      this.waiting.push((reply) => (reply.ok ? resolve(reply) : reject(new Error(`relay ${line}: ${reply.error}`))));
      this.proc.stdin.write(`${line}\n`);
    });
  }

  async close() {
    this.proc.stdin.end();
    await new Promise((resolve) => {
      if (this.proc.exitCode !== null) resolve();
      else this.proc.once('exit', resolve);
    });
  }
}

export async function startRelay({ seed = 1 } = {}) {
  const proc = spawn(process.execPath, [path.join(fidelityDir, 'udp-relay.mjs'), '--seed', String(seed)],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  const relay = new Relay(proc);
  const hello = await new Promise((resolve, reject) => {
    relay.waiting.push(resolve);
    proc.once('exit', (code) => reject(new Error(`udp-relay exited ${code}`)));
  });
  relay.port = hello.port;
  return relay;
}

// Runs in the page before its scripts.  relay = {address, port}; media =
// {frames, flashEvery} (the loop of the y4m and the flash spacing, in frames).
function routeThroughRelay({ relay, media }) {
  const Native = window.RTCPeerConnection;
  const relayCandidate = `candidate:1 1 udp 2130706431 ${relay.address} ${relay.port} typ host`;
  let targetSent = false;
  const offerTarget = (line) => {
    const f = line.replace(/^a=/, '').trim().split(/\s+/);
    // candidate:foundation component transport priority address port typ type
    if (targetSent || f.length < 8 || f[2].toLowerCase() !== 'udp' || f[7] !== 'host') return;
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(f[4]) || f[4].startsWith('127.')) return;
    targetSent = true;
    window.__fidelityTarget(f[4], Number(f[5]));
  };
  class RelayedPeerConnection extends Native {
    set onicecandidate(handler) {
      // the browser's own candidates never reach imsd: it only learns the
      // relay's address, from the checks the relay forwards
      super.onicecandidate = handler ? (ev) => handler(ev.candidate ? { candidate: null } : ev) : null;
    }

    get onicecandidate() { return super.onicecandidate; }

    async setRemoteDescription(desc) {
      const lines = (desc.sdp || '').split('\r\n');
      lines.filter((l) => l.startsWith('a=candidate:')).forEach(offerTarget);
      const sdp = lines.filter((l) => !l.startsWith('a=candidate:') && l !== 'a=end-of-candidates').join('\r\n');
      await super.setRemoteDescription({ type: desc.type, sdp });
      await super.addIceCandidate({ candidate: relayCandidate, sdpMLineIndex: 0 });
    }

    async addIceCandidate(candidate) {
      if (candidate && candidate.candidate) {
        offerTarget(candidate.candidate);
        return undefined;
      }
      return super.addIceCandidate(candidate);
    }
  }
  window.RTCPeerConnection = RelayedPeerConnection;

  // the beeps must reach the encoder as they are: no echo cancellation,
  // noise suppression or gain control between the WAV and Opus
  const md = navigator.mediaDevices;
  const nativeGum = md.getUserMedia.bind(md);
  md.getUserMedia = async (constraints = {}) => {
    const c = { ...constraints };
    if (c.audio) {
      c.audio = { ...(typeof c.audio === 'object' ? c.audio : {}),
        echoCancellation: false, noiseSuppression: false, autoGainControl: false };
    }
    const stream = await nativeGum(c);
    watchSender(stream);
    return stream;
  };

  // The sender's own A/V offset: Chromium's fake camera and microphone read
  // their files independently (the camera on a timer that slips under load,
  // the microphone by sample count), so the flashes and beeps leave the
  // browser with an offset of their own, which moves.  Clones of the
  // captured tracks are read here: each flash's and each beep's capture
  // timestamp, put on performance.now()'s clock by the smallest
  // (read time - capture time) seen on that track (VideoFrame and AudioData
  // timestamps have different origins).  The file's offset is judged
  // against this.
  const sender = {
    flashes: [], beeps: [], errors: [], videoFrames: 0, audioChunks: 0,
    videoSkewUs: Infinity, audioSkewUs: Infinity,
    seen: [],   // [frame number, performance.now() ms] of every numbered frame captured (the last 6000)
  };
  window.__fidelitySender = sender;
  let watching = false;
  function watchSender(stream) {
    if (watching) return;
    if (typeof MediaStreamTrackProcessor === 'undefined') {
      sender.errors.push('no MediaStreamTrackProcessor in this browser');
      return;
    }
    watching = true;
    const v = stream.getVideoTracks()[0];
    const a = stream.getAudioTracks()[0];
    if (v) readVideo(new MediaStreamTrackProcessor({ track: v.clone() }).readable.getReader());
    if (a) readAudio(new MediaStreamTrackProcessor({ track: a.clone() }).readable.getReader());
  }
  // Reads each captured frame's number from its 8 x 4 cells (the layout of
  // tests/tools/fidelity-media.c; the CRC is left to the analyzer: the
  // captured frame is the file's, uncompressed); a flash is numbered from
  // the frame before it.
  async function readVideo(reader) {
    let previous = null;
    let inFlash = false;
    let buf = new Uint8Array(0);
    for (;;) {
      const { value: frame, done } = await reader.read();
      if (done) return;
      sender.videoFrames++;
      sender.videoSkewUs = Math.min(sender.videoSkewUs, performance.now() * 1000 - frame.timestamp);
      try {
        const size = frame.allocationSize();
        if (buf.length < size) buf = new Uint8Array(size);
        const layout = await frame.copyTo(buf);
        const rgb = /^(RGB|BGR)/.test(frame.format);
        const w = frame.visibleRect.width;
        const h = frame.visibleRect.height;
        const cells = [];
        for (let r = 0; r < 4; r++) {
          for (let c = 0; c < 8; c++) {
            const x = Math.floor(((c + 0.5) * w) / 8);
            const y = Math.floor(((r + 0.5) * h) / 4);
            const i = layout[0].offset + y * layout[0].stride + (rgb ? 4 * x : x);
            const luma = rgb ? (buf[i] + buf[i + 1] + buf[i + 2]) / 3 : buf[i];
            cells.push(luma > 126 ? 1 : 0);
          }
        }
        if (cells.every((v) => v === 1)) {
          if (!inFlash && previous !== null) {
            const number = (Math.round((previous + 1) / media.flashEvery) * media.flashEvery) % media.frames;
            sender.flashes.push({ t: frame.timestamp, number, whiteFrames: 1 });
          } else if (inFlash && sender.flashes.length) {
            sender.flashes[sender.flashes.length - 1].whiteFrames++;
          }
          inFlash = true;
        } else {
          inFlash = false;
          if (cells.slice(24).join('') === '10101010') {
            previous = parseInt(cells.slice(0, 16).join(''), 2);
            sender.seen.push([previous, performance.now()]);
            if (sender.seen.length > 6000) sender.seen.splice(0, 1000);
          }
        }
      } catch (err) {
        if (sender.errors.length < 5) sender.errors.push(`video: ${err}`);
      } finally {
        frame.close();
      }
    }
  }
  async function readAudio(reader) {
    let lastLoud = -1e12;
    let samples = new Float32Array(0);
    for (;;) {
      const { value: data, done } = await reader.read();
      if (done) return;
      sender.audioChunks++;
      try {
        const n = data.numberOfFrames;
        sender.audioSkewUs = Math.min(sender.audioSkewUs,
          performance.now() * 1000 - data.timestamp - (n * 1e6) / data.sampleRate);
        if (samples.length < n) samples = new Float32Array(n);
        data.copyTo(samples, { planeIndex: 0, format: 'f32-planar' });
        for (let i = 0; i < n; i++) {
          if (samples[i] > 0.05 || samples[i] < -0.05) {
            const t = data.timestamp + (i * 1e6) / data.sampleRate;
            if (t - lastLoud >= 500000) sender.beeps.push(t);
            lastLoud = t;
          }
        }
      } catch (err) {
        if (sender.errors.length < 5) sender.errors.push(`audio: ${err}`);
      } finally {
        data.close();
      }
    }
  }
}

/**
 * The sender's A/V offset at each of its flashes since `sinceUs`
 * (performance.now() clock, us; 0 = all): {marks: [{number (the flash's
 * frame number in the y4m), offsetMs (nearest beep - flash, beeps within
 * 1 s), whiteFrames (frames in the flash: the y4m's loop may repeat one)}], nowUs (performance.now() now), videoFrames, audioChunks, errors}.
 */
export function senderSync(page, sinceUs = 0) {
  return page.evaluate((since) => {
    const s = window.__fidelitySender || { flashes: [], beeps: [], errors: ['no sender watch'] };
    const beeps = s.beeps.map((t) => t + s.audioSkewUs);
    const marks = [];
    for (const f of s.flashes) {
      const t = f.t + s.videoSkewUs;
      if (t < since) continue;
      let best = null;
      for (const b of beeps) if (best === null || Math.abs(b - t) < Math.abs(best - t)) best = b;
      marks.push({ number: f.number, whiteFrames: f.whiteFrames, offsetMs: best !== null && Math.abs(best - t) < 1e6 ? Math.round((best - t) / 100) / 10 : null });
    }
    return {
      marks,
      nowUs: performance.now() * 1000,
      errors: s.errors,
      videoFrames: s.videoFrames,
      audioChunks: s.audioChunks,
    };
  }, sinceUs);
}

/**
 * The frame numbers the page's camera delivered since `sinceMs` (performance.now() clock, ms):
 * what the browser had to send.  Its fake camera skips frames of the y4m when the machine is busy;
 * those were never sent, so they are not missing from the file.
 */
export function senderFramesSeen(page, sinceMs) {
  return page.evaluate((since) => {
    const s = window.__fidelitySender || { seen: [] };
    return s.seen.filter(([, t]) => t >= since).map(([n]) => n);
  }, sinceMs);
}

export async function launchFidelityBrowser(media, relay) {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'imsd-chromium-fidelity-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.IMSD_CHROMIUM || '/usr/bin/chromium',
    headless: false,
    args: [...CHROMIUM_ARGS, `--use-file-for-fake-video-capture=${media.y4m}`,
      `--use-file-for-fake-audio-capture=${media.wav}`],
    viewport: { width: 1000, height: 800 },
  });
  context.targets = [];
  await context.exposeBinding('__fidelityTarget', async (_source, address, port) => {
    context.targets.push(`${address}:${port}`);
    await relay.command(`target ${address} ${port}`);
  });
  await context.addInitScript(routeThroughRelay, {
    relay: { address: relay.address, port: relay.port },
    media: { frames: media.frames, flashEvery: media.flashEvery },
  });
  return {
    context,
    async close() {
      try { await context.close(); } catch { /* already gone */ }
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The sender's video counters now: {sent: outbound-rtp framesSent, encoded:
 * framesEncoded, captured: media-source frames} (null without a peer).
 */
export function senderCounts(page) {
  return page.evaluate(async () => {
    const pc = window.imsd && window.imsd.pc;
    if (!pc) return null;
    const out = { sent: 0, encoded: 0, captured: 0 };
    (await pc.getStats()).forEach((r) => {
      if (r.type === 'outbound-rtp' && r.kind === 'video') {
        out.sent += r.framesSent || 0;
        out.encoded += r.framesEncoded || 0;
      }
      if (r.type === 'media-source' && r.kind === 'video') out.captured += r.frames || 0;
    });
    return out;
  });
}

/** The selected ICE pair's remote address as the browser sees it ("ip:port"). */
export function selectedRemote(page) {
  return page.evaluate(async () => {
    const pc = window.imsd && window.imsd.pc;
    if (!pc) return null;
    const stats = await pc.getStats();
    let out = null;
    stats.forEach((r) => {
      if (r.type === 'transport' && r.selectedCandidatePairId) {
        const pair = stats.get(r.selectedCandidatePairId);
        const remote = pair && stats.get(pair.remoteCandidateId);
        if (remote) out = `${remote.address || remote.ip}:${remote.port}`;
      }
    });
    return out;
  });
}

/** Runs tests/fidelity/analyze.py on a take; resolves with its JSON report. */
export function analyzeTake(file, media, sent) {
  const args = [path.join(fidelityDir, 'analyze.py'), file, '--fps', String(media.fps),
    '--period-frames', String(media.frames), '--flash-every', String(media.flashEvery)];
  if (sent) args.push('--frames-sent', String(sent));
  return execJson('python3', args, 120000);
}
