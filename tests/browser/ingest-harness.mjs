// ingest-harness.mjs: the ingest (the receive path, pipelines/ingest/receiver.c)
// against real Chromium, without the rest of imsd.
//
//   node tests/browser/ingest-harness.mjs --build BUILD_DIR [--codec h264|vp8]
//        [--seconds S] [--takes N] [--crash]
//
// Serves a tiny page on 127.0.0.1 (a secure context for getUserMedia), lets
// Chromium offer 1280x720@30 camera + microphone (fake devices), and relays
// offer / answer / ICE between the page and BUILD_DIR/tests/tools/ingest-harness
// (one JSON per line on its stdin/stdout).  The harness records N takes; each
// file is decoded by BUILD_DIR/tests/tools/take-probe and checked: video and
// audio present, first video frame a keyframe, duration within 0.5 s of what
// the harness reported, resolution equal to what the browser's sender sends,
// codec as forced.  --crash instead kills the harness with SIGKILL 2 s into
// the first take and checks that the partial file still decodes.
// Prints "N passed, N failed"; exits non-zero on any failure.
import { chromium } from 'playwright-core';
import { spawn, execFile } from 'node:child_process';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

function parseArgs(argv) {
  const args = { build: null, codec: 'h264', seconds: 4, takes: 2, crash: false };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--build') args.build = argv[++i];
    else if (a === '--codec') args.codec = argv[++i];
    else if (a === '--seconds') args.seconds = Number(argv[++i]);
    else if (a === '--takes') args.takes = Number(argv[++i]);
    else if (a === '--crash') args.crash = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!args.build) {
    const here = path.dirname(new URL(import.meta.url).pathname);
    args.build = path.resolve(here, '../../build');
  }
  if (!['h264', 'vp8'].includes(args.codec)) throw new Error('--codec must be h264 or vp8');
  return args;
}

const args = parseArgs(process.argv);
const harnessBin = path.join(args.build, 'tests/tools/ingest-harness');
const probeBin = path.join(args.build, 'tests/tools/take-probe');
let passed = 0, failed = 0;
function check(name, ok, detail = '') {
  if (ok) passed++; else failed++;
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name}${detail ? ' — ' + detail : ''}`);
}

const PAGE = `<!doctype html><html><body><script>
window.startCall = async (codec) => {
  const stream = await navigator.mediaDevices.getUserMedia(
      {video: {width: 1280, height: 720, frameRate: 30}, audio: true});
  const pc = new RTCPeerConnection({bundlePolicy: 'max-bundle'});
  window.pc = pc;
  let video = null;
  for (const track of stream.getTracks()) {
    const t = pc.addTransceiver(track, {direction: 'sendonly', streams: [stream]});
    if (track.kind === 'video') video = t;
  }
  const params = video.sender.getParameters();
  params.degradationPreference = 'maintain-resolution';
  await video.sender.setParameters(params);
  // Offer only the forced codec (plus its retransmission / FEC helpers), so
  // the server's own preference (H.264 over VP8) cannot override it.
  const wanted = codec === 'vp8' ? 'video/VP8' : 'video/H264';
  const helpers = ['video/rtx', 'video/red', 'video/ulpfec'];
  const codecs = RTCRtpSender.getCapabilities('video').codecs;
  const preferred = codecs.filter(c => c.mimeType === wanted)
      .sort((a, b) => (b.sdpFmtpLine || '').includes('42e01f') - (a.sdpFmtpLine || '').includes('42e01f'));
  video.setCodecPreferences([...preferred, ...codecs.filter(c => helpers.includes(c.mimeType))]);
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  await new Promise(resolve => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.addEventListener('icegatheringstatechange',
        () => pc.iceGatheringState === 'complete' && resolve());
    setTimeout(resolve, 3000);
  });
  return pc.localDescription.sdp;
};
window.videoStats = async () => {
  const all = [...(await window.pc.getStats()).values()];
  const pair = all.find(r => r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded');
  for (const r of all) {
    if (r.type === 'outbound-rtp' && r.kind === 'video') {
      return {availableOutgoingBitrate: pair ? pair.availableOutgoingBitrate : null,
              targetBitrate: r.targetBitrate, frameWidth: r.frameWidth, frameHeight: r.frameHeight, bytesSent: r.bytesSent,
              packetsSent: r.packetsSent,
              framesPerSecond: r.framesPerSecond, qualityLimitationReason: r.qualityLimitationReason,
              encoderImplementation: r.encoderImplementation, timestamp: r.timestamp,
              codecId: r.codecId};
    }
  }
  return null;
};
window.codecOf = async (id) => {
  const r = (await window.pc.getStats()).get(id);
  return r ? r.mimeType : null;
};
</script></body></html>`;

function probe(file) {
  return new Promise(resolve => {
    execFile(probeBin, [file], { timeout: 120000 }, (err, stdout, stderr) => {
      try { resolve(JSON.parse(stdout.trim().split('\n').pop())); }
      catch (e) { resolve({ ok: false, error: `take-probe output: ${stdout} ${stderr}` }); }
    });
  });
}

const server = http.createServer((req, res) => {
  res.setHeader('content-type', 'text/html');
  res.end(PAGE);
});
await new Promise(r => server.listen(0, '127.0.0.1', r));
const takeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ingest-takes-'));
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync',
         '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
  // playwright's launch() already runs on a fresh temporary --user-data-dir
  // (it refuses the flag).
});

let harness = null;
const timeout = setTimeout(() => {
  check('finished in time', false, 'overall timeout');
  finish();
}, (args.takes * (args.seconds + 4) + 60) * 1000);

async function finish() {
  clearTimeout(timeout);
  if (harness && harness.exitCode === null) harness.kill('SIGKILL');
  await browser.close().catch(() => {});
  server.close();
  console.log(`${passed} passed, ${failed} failed`);
  if (failed === 0) fs.rmSync(takeDir, { recursive: true, force: true });
  else console.log(`takes kept in ${takeDir}`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}

try {
  const page = await browser.newPage();
  page.on('console', m => console.error(`[page] ${m.text()}`));
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  const offer = await page.evaluate(c => window.startCall(c), args.codec);

  harness = spawn(harnessBin, ['--dir', takeDir, '--takes', String(args.crash ? 1 : args.takes),
                               '--seconds', String(args.crash ? 30 : args.seconds), '--gap', '2'],
                  { stdio: ['pipe', 'pipe', 'pipe'] });
  const logFile = path.join(takeDir, 'harness.log');
  harness.stderr.pipe(fs.createWriteStream(logFile));
  const exited = new Promise(r => harness.on('exit', (code, signal) => r({ code, signal })));
  const send = msg => harness.stdin.write(JSON.stringify(msg) + '\n');
  send({ type: 'offer', sdp: offer });

  const takes = [];
  const stats = [];
  let answered = false;
  const pendingIce = [];
  let statsTimer = null;
  const lines = readline.createInterface({ input: harness.stdout });
  for await (const line of lines) {
    const msg = JSON.parse(line);
    if (msg.type === 'answer') {
      // bandwidth feedback: REMB (goog-remb) or transport-cc, whichever the
      // ingest gives (the receive path sends REMB at the target bitrate)
      const feedback = msg.sdp.includes('goog-remb') || msg.sdp.includes('transport-wide-cc');
      check('answer carries bandwidth feedback (goog-remb or transport-cc)', feedback);
      check('answer carries x-google-start-bitrate', msg.sdp.includes('x-google-start-bitrate='));
      await page.evaluate(sdp => window.pc.setRemoteDescription({ type: 'answer', sdp }), msg.sdp);
      answered = true;
      for (const c of pendingIce.splice(0)) await page.evaluate(c => window.pc.addIceCandidate(c), c);
    } else if (msg.type === 'ice') {
      const c = { candidate: msg.candidate, sdpMLineIndex: msg.mline };
      if (answered) await page.evaluate(c => window.pc.addIceCandidate(c), c);
      else pendingIce.push(c);
    } else if (msg.type === 'take_started') {
      console.error(`take ${msg.index} started: ${msg.path}`);
      const first = await page.evaluate(() => window.videoStats());
      stats[msg.index] = { first };
      if (args.crash) {
        await new Promise(r => setTimeout(r, 2000));
        harness.kill('SIGKILL');
        takes.push({ path: msg.path, crashed: true });
      }
    } else if (msg.type === 'take') {
      const last = await page.evaluate(() => window.videoStats());
      stats[msg.index].last = last;
      takes.push(msg);
    } else if (msg.type === 'error') {
      check('harness ran without error', false, msg.message);
    } else if (msg.type === 'done') {
      break;
    }
  }
  clearInterval(statsTimer);
  const exit = await exited;
  if (!args.crash) check('harness exited 0', exit.code === 0, JSON.stringify(exit));
  check(`recorded ${args.crash ? 1 : args.takes} take(s)`, takes.length === (args.crash ? 1 : args.takes));

  for (const take of takes) {
    const p = await probe(take.path);
    const name = path.basename(take.path);
    console.log(`${name}: harness ${JSON.stringify(take)}`);
    console.log(`${name}: probe   ${JSON.stringify(p)}`);
    check(`${name} decodes`, p.ok === true, p.error || '');
    check(`${name} has video`, p.hasVideo === true);
    check(`${name} has audio`, p.hasAudio === true);
    check(`${name} first video frame is a keyframe`, p.firstVideoFrameKeyframe === true);
    check(`${name} decoded video frames`, p.decodedVideoFrames > 0, String(p.decodedVideoFrames));
    check(`${name} decoded audio samples`, p.decodedAudioSamples > 0, String(p.decodedAudioSamples));
    check(`${name} video codec ${args.codec}`, p.videoCodec === args.codec.toUpperCase(), p.videoCodec);
    check(`${name} audio codec opus`, p.audioCodec === 'OPUS', p.audioCodec);
    if (take.crashed) {
      check(`${name} (killed 2 s in) holds more than 1.5 s`, p.durationMs > 1500, `${p.durationMs} ms`);
      continue;
    }
    check(`${name} duration ${p.durationMs} ms within 500 ms of harness ${take.durationMs} ms`,
          Math.abs(p.durationMs - take.durationMs) <= 500);
    check(`${name} duration about --seconds`, Math.abs(take.durationMs - args.seconds * 1000) <= 1000,
          `${take.durationMs} ms`);
    const s = stats[take.index];
    const w = s.last?.frameWidth, h = s.last?.frameHeight;
    check(`${name} resolution ${p.width}x${p.height} equals sender ${w}x${h}`,
          p.width === w && p.height === h && p.width > 0);
    check(`${name} harness size matches file`, take.sizeBytes === fs.statSync(take.path).size);
    // the completeness record counts this take's packets, not the stream's
    // since it began: about what the browser sent from the take's first
    // keyframe to its stop (the take opens a moment before that keyframe)
    const packets = take.completeness?.video?.packets;
    const sentInTake = s.first && s.last ? s.last.packetsSent - s.first.packetsSent : null;
    check(`${name} completeness: video packets received ${packets?.received} are this take's (browser sent ${sentInTake})`,
          packets && sentInTake > 0 && packets.received >= 0.9 * sentInTake &&
          packets.received <= 1.6 * sentInTake + 50 && packets.expected >= packets.received - packets.recoveredByNack);
    if (s.first && s.last) {
      const secs = (s.last.timestamp - s.first.timestamp) / 1000;
      const kbps = secs > 0 ? ((s.last.bytesSent - s.first.bytesSent) * 8 / 1000 / secs) : 0;
      console.log(`${name}: browser sent ${w}x${h} @ ${s.last.framesPerSecond} fps, ` +
                  `${kbps.toFixed(0)} kbps video (${s.last.encoderImplementation}, ` +
                  `limited by ${s.last.qualityLimitationReason}; encoder target ${(s.last.targetBitrate / 1000).toFixed(0)} kbps, ` +
                  `send-side BWE ${(s.last.availableOutgoingBitrate / 1000).toFixed(0)} kbps); harness CPU ${take.cpuPercent.toFixed(2)}% of one core`);
    }
  }
} catch (e) {
  check('no exception', false, e.stack || String(e));
}
await finish();
