// publish.js: one Janus VideoRoom publisher, the Janus side of
// bench/vs-janus.mjs.  Lifecycle: load -> Janus session + videoroom handle
// (window.bench.attached) -> the runner calls window.bench.join() on every
// page at once -> joined -> createOffer (janus.js's getUserMedia with the same
// constraints as the imsd candidate page) -> configure with the offer ->
// answer -> webrtcup -> Janus's "media" event says video is received
// (window.bench.videoReceiving) -> the runner measures -> window.bench.stop()
// unpublishes.
//
// The sender is tuned as web-test-client/candidate/candidate.js tunes it for
// imsd (maxBitrate 2.5 Mbit/s, degradationPreference maintain-resolution);
// the codec is forced by the room (bench/janus/janus.plugin.videoroom.jcfg.in).
// Test hooks: window.bench = {wsOpen, attached, joinSent, joined, webrtcUp,
// videoReceiving, unpublished, errors, pc(), join(), stop()}; times are
// performance.now() milliseconds.
'use strict';

const VIDEO_MAX_BITRATE = 2500000;
const VIDEO = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } };
const query = new URLSearchParams(location.search);
const room = Number(query.get('room'));
const index = query.get('i') || '0';
const statusLine = document.getElementById('status');

const bench = window.bench = {
  wsOpen: null, attached: null, joinSent: null, joined: null, webrtcUp: null,
  videoReceiving: null, unpublished: null, errors: [], handle: null,
  pc() { return bench.handle && bench.handle.webrtcStuff ? bench.handle.webrtcStuff.pc : null; },
  join() {
    bench.joinSent = performance.now();
    bench.handle.send({ message: { request: 'join', room, ptype: 'publisher', display: `bench-${index}` } });
  },
  stop() { bench.handle.send({ message: { request: 'unpublish' } }); },
};

function fail(what, err) {
  bench.errors.push(`${what}: ${err && err.message ? err.message : JSON.stringify(err)}`);
  statusLine.textContent = bench.errors.join('; ');
}

// janus.js asks adapter.js which browser this is; the page runs in Chromium only.
const chromeVersion = Number((navigator.userAgent.match(/Chrom(?:e|ium)\/(\d+)/) || [])[1]) || 120;
const adapterStub = { browserDetails: { browser: 'chrome', version: chromeVersion } };

// Timestamps the Janus API WebSocket opening, as the imsd side's hooks do.
class TimedWebSocket extends WebSocket {
  constructor(...a) {
    super(...a);
    this.addEventListener('open', () => { if (bench.wsOpen === null) bench.wsOpen = performance.now(); });
  }
}

async function tuneVideoSender(pc) {
  for (const sender of pc.getSenders()) {
    if (!sender.track || sender.track.kind !== 'video') continue;
    const params = sender.getParameters();
    if (!params.encodings || !params.encodings.length) params.encodings = [{}];
    params.encodings[0].maxBitrate = VIDEO_MAX_BITRATE;
    params.degradationPreference = 'maintain-resolution';
    try { await sender.setParameters(params); } catch (err) { fail('setParameters', err); }
  }
}

function publish(handle) {
  handle.createOffer({
    tracks: [{ type: 'audio', capture: true, recv: false }, { type: 'video', capture: VIDEO, recv: false }],
    success: async (jsep) => {
      await tuneVideoSender(bench.pc());
      handle.send({ message: { request: 'configure', audio: true, video: true }, jsep });
    },
    error: (err) => fail('createOffer', err),
  });
}

// The same page work as imsd's candidate page (web-test-client/candidate): the camera in a muted
// <video> preview and the microphone through an AnalyserNode read every animation frame, so the
// pages load Chromium alike and both servers get the same frame rate from it.
const preview = document.getElementById('preview');
let meterContext = null;
function showLocalTrack(track) {
  if (track.kind === 'video') {
    preview.srcObject = new MediaStream([track]);
    preview.play().catch(() => {});
    return;
  }
  meterContext = new AudioContext();
  const analyser = meterContext.createAnalyser();
  meterContext.createMediaStreamSource(new MediaStream([track])).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  const meter = document.getElementById('level');
  const draw = () => {
    analyser.getFloatTimeDomainData(samples);
    let peak = 0;
    for (const v of samples) peak = Math.max(peak, Math.abs(v));
    meter.style.width = `${Math.round(peak * 100)}%`;
    requestAnimationFrame(draw);
  };
  requestAnimationFrame(draw);
}

function attach(janus) {
  janus.attach({
    plugin: 'janus.plugin.videoroom',
    opaqueId: `imsd-bench-${index}`,
    success: (handle) => { bench.handle = handle; bench.attached = performance.now(); statusLine.textContent = 'attached'; },
    error: (err) => fail('attach', err),
    onlocaltrack: (track, on) => { if (on) showLocalTrack(track); },
    webrtcState: (up) => { if (up && bench.webrtcUp === null) bench.webrtcUp = performance.now(); },
    mediaState: (type, receiving) => {
      if (type === 'video' && receiving && bench.videoReceiving === null) {
        bench.videoReceiving = performance.now();
        statusLine.textContent = 'publishing';
      }
    },
    onmessage: (msg, jsep) => {
      if (msg.error) fail('videoroom', `${msg.error_code} ${msg.error}`);
      if (msg.videoroom === 'joined' && bench.joined === null) {
        bench.joined = performance.now();
        publish(bench.handle);
      }
      if (msg.unpublished === 'ok' && bench.unpublished === null) bench.unpublished = performance.now();
      if (jsep) bench.handle.handleRemoteJsep({ jsep, error: (err) => fail('remote jsep', err) });
    },
  });
}

Janus.init({
  debug: false,
  dependencies: Janus.useDefaultDependencies({ adapter: adapterStub, WebSocket: TimedWebSocket }),
  callback: () => {
    const janus = new Janus({
      server: query.get('ws'),
      success: () => attach(janus),
      error: (err) => fail('session', err),
    });
  },
});
