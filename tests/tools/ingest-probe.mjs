// ingest-probe.mjs: Chromium (fake camera + microphone) sends to
// tests/tools/ingest-probe, which answers with pipelines/ingest/transport.c
// alone (no webrtcbin) and counts what it receives per SSRC.  Prints the
// probe's counts beside the browser's outbound-rtp packetsSent.
//
//   node tests/tools/ingest-probe.mjs [--build DIR] [--seconds N] [--codec h264|vp8]
//
// The last line is `result {json}`: {ok, profile, secureMs, probe: [{ssrc, pt,
// packets, bytes}], rtcp, chromium: [{kind, ssrc, packetsSent, pliCount}]}
// (tests/browser/transport.test.mjs reads it).
// playwright-core comes from tests/browser/node_modules; Chromium is
// /usr/bin/chromium (or $IMSD_CHROMIUM).  Media flows over the machine's
// interface address (ICE ignores loopback); nothing leaves the machine.
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { launchBrowser } from '../browser/lib/browser.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = { build: process.env.IMSD_BUILD_DIR || path.join(here, '..', '..', 'build'), seconds: 5, codec: 'vp8' };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--build') args.build = process.argv[++i];
  else if (a === '--seconds') args.seconds = Number(process.argv[++i]);
  else if (a === '--codec') args.codec = process.argv[++i];
}

const probe = spawn(path.join(args.build, 'tests', 'tools', 'ingest-probe'), ['--seconds', String(args.seconds)],
  { stdio: ['pipe', 'pipe', 'inherit'] });
const lines = readline.createInterface({ input: probe.stdout });
const browser = await launchBrowser();
const page = await browser.context.newPage();
await page.route('http://localhost:9/probe', (route) => route.fulfill({ contentType: 'text/html', body: '<title>probe</title>' }));
await page.goto('http://localhost:9/probe');

const send = (line) => probe.stdin.write(line + '\n');
await page.exposeFunction('probeCandidate', (c) => send(c ? `candidate ${c}` : 'end-of-candidates'));

const offer = await page.evaluate(async (codec) => {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 1280, height: 720 } });
  const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
  window.pc = pc;
  for (const track of stream.getTracks()) {
    const t = pc.addTransceiver(track, { direction: 'sendonly' });
    if (track.kind === 'video') {
      const codecs = RTCRtpSender.getCapabilities('video').codecs;
      const wanted = codecs.filter((c) => c.mimeType.toLowerCase() === `video/${codec}`);
      if (wanted.length) t.setCodecPreferences(wanted);
    }
  }
  pc.onicecandidate = (e) => window.probeCandidate(e.candidate ? e.candidate.candidate : null);
  await pc.setLocalDescription(await pc.createOffer());
  return pc.localDescription.sdp;
}, args.codec);
send(`offer ${Buffer.from(offer).toString('base64')}`);

const probeOut = [];
const t0 = Date.now();
let result = 1;
const summary = { ok: false, profile: null, secureMs: null, probe: [], rtcp: 0, chromium: [], failed: null };
for await (const line of lines) {
  if (line.startsWith('answer ')) {
    const sdp = Buffer.from(line.slice(7), 'base64').toString();
    await page.evaluate((s) => window.pc.setRemoteDescription({ type: 'answer', sdp: s }), sdp);
  } else if (line.startsWith('candidate ')) {
    const c = line.slice(10);
    await page.evaluate((cand) => window.pc.addIceCandidate({ candidate: cand, sdpMLineIndex: 0 }), c);
  } else if (line === 'end-of-candidates') {
    await page.evaluate(() => window.pc.addIceCandidate(null)).catch(() => {});
  } else if (line.startsWith('secure ')) {
    summary.profile = line.slice(7);
    summary.secureMs = Date.now() - t0;
    console.log(`probe: ${line} after ${summary.secureMs} ms`);
  } else if (line.startsWith('ssrc ') || line.startsWith('rtcp ')) {
    probeOut.push(line);
    const w = line.split(' ');
    if (w[0] === 'ssrc') summary.probe.push({ ssrc: parseInt(w[1], 16), pt: Number(w[3]), packets: Number(w[5]), bytes: Number(w[7]) });
    else summary.rtcp = Number(w[1]);
  } else if (line.startsWith('failed ')) {
    summary.failed = line.slice(7);
    console.log(`probe: ${line}`);
    break;
  } else if (line === 'done') {
    result = 0;
    break;
  } else if (line.startsWith('#')) {
    if (process.env.PROBE_VERBOSE) console.log(`probe ${line}`);
  }
}
const stats = await page.evaluate(async () => {
  const out = [];
  (await window.pc.getStats()).forEach((s) => {
    if (s.type === 'outbound-rtp') out.push({ kind: s.kind, ssrc: s.ssrc, packetsSent: s.packetsSent, bytesSent: s.bytesSent, pliCount: s.pliCount, nackCount: s.nackCount, frameWidth: s.frameWidth, framesEncoded: s.framesEncoded });
  });
  return out;
});
for (const line of probeOut) console.log(`probe: ${line}`);
for (const s of stats) console.log(`chromium: ${s.kind} ssrc ${s.ssrc.toString(16).padStart(8, '0')} packetsSent ${s.packetsSent} pliCount ${s.pliCount} frames ${s.framesEncoded} width ${s.frameWidth}`);
summary.chromium = stats.map((s) => ({ kind: s.kind, ssrc: s.ssrc, packetsSent: s.packetsSent, pliCount: s.pliCount ?? 0 }));
summary.ok = result === 0;
console.log(`result ${JSON.stringify(summary)}`);
probe.stdin.end();
await browser.close();
if (probe.exitCode === null && probe.signalCode === null) await new Promise((r) => probe.on('exit', r));
process.exit(result);
