// room-media.js: what both live-room bench pages (bench/live/room.html,
// ?server=janus or imsd) send and how they measure what they receive, for
// bench/live-room.mjs.  The page's server-specific script does the signaling.
//
// Sent: a 640x360 canvas captureStream(30) on which clock.js draws
// Date.now() every animation frame (the clock code and a noise band), with
// the fake microphone's audio; the video sender is capped at ?kbps= (default
// 1500) with degradationPreference maintain-resolution, on both servers alike.
// Received: every remote video track plays in a muted <video>; at every
// requestVideoFrameCallback the frame is drawn onto a canvas and its clock
// code read; a readable one gives a sample [Date.now(), latency ms] (both
// pages run on one machine: one clock).
// Test hooks: window.bench = {errors, samples, unreadable, framesRead,
// firstSample, pcs: {name: RTCPeerConnection}, ...the signaling script's marks};
// times are Date.now() milliseconds.
'use strict';

const benchQuery = new URLSearchParams(location.search);
const VIDEO_MAX_BITRATE = Number(benchQuery.get('kbps') || 1500) * 1000;

const bench = window.bench = {
  errors: [], samples: [], unreadable: 0, framesRead: 0, drawn: 0, firstSample: null, pcs: {},
  /** The frames drawn on the clock canvas, and the video media-source, outbound-rtp and inbound-rtp
   * of every pc, for the runner's window. */
  async videoStats() {
    const out = [{ pc: 'canvas', type: 'drawn', frames: bench.drawn, bytes: 0, t: Date.now() }];
    for (const [name, pc] of Object.entries(bench.pcs)) {
      for (const r of (await pc.getStats()).values()) {
        if (r.type === 'media-source' && r.kind === 'video') out.push({ pc: name, type: r.type, frames: r.frames, bytes: 0, t: r.timestamp });
        if (r.kind !== 'video' || (r.type !== 'outbound-rtp' && r.type !== 'inbound-rtp')) continue;
        out.push({ pc: name, type: r.type, bytes: r.type === 'outbound-rtp' ? r.bytesSent : r.bytesReceived,
                   frames: r.type === 'outbound-rtp' ? r.framesSent : r.framesDecoded, t: r.timestamp,
                   width: r.frameWidth, height: r.frameHeight, fps: r.framesPerSecond,
                   limitation: r.qualityLimitationReason,
                   jitterBufferS: r.jitterBufferDelay, jitterBufferEmitted: r.jitterBufferEmittedCount });
      }
    }
    return out;
  },
};

function benchFail(what, err) {
  bench.errors.push(`${what}: ${err && err.message ? err.message : typeof err === 'string' ? err : JSON.stringify(err)}`);
  document.getElementById('status').textContent = bench.errors.join('; ');
}

/** Resolves with {audio, video}: the fake microphone and the clock canvas's track (drawn every frame). */
async function benchLocalMedia() {
  const canvas = document.getElementById('local');
  const draw = window.benchClock.makeDrawer(canvas);
  const tick = () => { draw(Date.now()); bench.drawn++; requestAnimationFrame(tick); };
  tick();
  const video = canvas.captureStream(30).getVideoTracks()[0];
  const mic = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
  return { audio: mic.getAudioTracks()[0], video };
}

/** Caps the video sender and keeps its resolution, as the candidate page does (failures in bench.errors). */
async function benchTuneSender(sender) {
  if (!sender.track || sender.track.kind !== 'video') return;
  const params = sender.getParameters();
  if (!params.encodings || !params.encodings.length) params.encodings = [{}];
  params.encodings[0].maxBitrate = VIDEO_MAX_BITRATE;
  params.degradationPreference = 'maintain-resolution';
  try { await sender.setParameters(params); } catch (err) { benchFail('setParameters', err); }
}

/** Plays a remote track; a video track is read at every frame it presents. */
function benchReceive(track) {
  const video = document.getElementById('remote');
  if (!video.srcObject) video.srcObject = new MediaStream();
  video.srcObject.addTrack(track);
  video.play().catch(() => {});
  if (track.kind !== 'video' || bench.reading) return;
  bench.reading = true;
  const read = window.benchClock.makeReader(video);
  const onFrame = () => {
    const code = read();
    const now = Date.now();
    bench.framesRead++;
    if (code === null) bench.unreadable++;
    else {
      bench.samples.push([now, window.benchClock.elapsed(now, code)]);
      if (bench.firstSample === null) bench.firstSample = now;
    }
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
}
