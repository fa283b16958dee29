// imsd-room.js: the imsd side of bench/live-room.mjs: one participant of an
// imsd live room over docs/live-rooms.md's signaling ("Live rooms"), written
// for the bench (the room page of web-test-client sends a camera, not the
// clock canvas).  Lifecycle: load -> the runner calls bench.join() on both
// pages -> WebSocket /ws (imsd.signaling.v1) -> room.join {roomId, token} ->
// room.joined -> publish camera (a sendonly offer: microphone + clock canvas,
// the video codec preferred by ?codec=) -> answer pc "pub:camera" -> for every
// other participant whose streams include "camera" (room.joined's room and
// every room.state): subscribe (a recvonly offer) -> answer pc
// "sub:<participantId>:camera" -> its video track read by room-media.js.
// ICE both ways by trickle, keyed by the pc id; a ping every 10 s.
// Marks (Date.now()): joinSent, joined, published (the publisher pc
// connected), subscribed (first remote track), live (first room.state live).
'use strict';

const imsdCodec = benchQuery.get('codec') || 'vp8';
Object.assign(bench, { joinSent: null, joined: null, published: null, subscribed: null, live: null,
                       participantId: null, role: null, roomState: null, attached: Date.now() });

let socket = null;
let localTracks = null;
const peers = {};  // pc id -> {pc, remoteSet, remoteQueue}

function sendMessage(msg) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(msg));
}

function preferCodec(transceiver) {
  const caps = RTCRtpReceiver.getCapabilities('video');
  const mime = `video/${imsdCodec === 'h264' ? 'H264' : 'VP8'}`;
  const first = caps.codecs.filter(c => c.mimeType === mime);
  const rest = caps.codecs.filter(c => /rtx|red|ulpfec/i.test(c.mimeType));
  if (!first.length) { benchFail('codec', `no ${mime} in this browser`); return; }
  try { transceiver.setCodecPreferences([...first, ...rest]); } catch (err) { benchFail('setCodecPreferences', err); }
}

/** A pc whose local candidates go out as `ice` messages for pcId once its offer is sent. */
function newPeer(pcId) {
  const pc = new RTCPeerConnection();
  const p = { pc, remoteSet: false, remoteQueue: [], endSent: false };
  peers[pcId] = p;
  bench.pcs[pcId] = pc;
  pc.onicecandidate = (ev) => {
    if (ev.candidate && ev.candidate.candidate) {
      sendMessage({ type: 'ice', pc: pcId, candidate: ev.candidate.candidate, sdpMLineIndex: ev.candidate.sdpMLineIndex ?? 0 });
    } else if (!p.endSent) {
      p.endSent = true;
      sendMessage({ type: 'ice', pc: pcId, candidate: '', sdpMLineIndex: 0 });
    }
  };
  return p;
}

async function publishCamera() {
  const p = newPeer('pub:camera');
  const stream = new MediaStream([localTracks.audio, localTracks.video]);
  p.pc.addTransceiver(localTracks.audio, { direction: 'sendonly', streams: [stream] });
  const video = p.pc.addTransceiver(localTracks.video, {
    direction: 'sendonly', streams: [stream], sendEncodings: [{ maxBitrate: VIDEO_MAX_BITRATE }] });
  preferCodec(video);
  await benchTuneSender(video.sender);
  p.pc.onconnectionstatechange = () => {
    if (p.pc.connectionState === 'connected' && bench.published === null) bench.published = Date.now();
  };
  await p.pc.setLocalDescription(await p.pc.createOffer());
  sendMessage({ type: 'publish', stream: 'camera', sdp: p.pc.localDescription.sdp });
}

async function subscribe(participantId) {
  const p = newPeer(`sub:${participantId}:camera`);
  p.pc.addTransceiver('audio', { direction: 'recvonly' });
  p.pc.addTransceiver('video', { direction: 'recvonly' });
  p.pc.ontrack = (ev) => {
    if (bench.subscribed === null) bench.subscribed = Date.now();
    benchReceive(ev.track);
  };
  await p.pc.setLocalDescription(await p.pc.createOffer());
  sendMessage({ type: 'subscribe', participantId, stream: 'camera', sdp: p.pc.localDescription.sdp });
}

function onRoomState(room) {
  bench.roomState = room;
  if (room.state === 'live' && bench.live === null) bench.live = Date.now();
  for (const other of room.participants || []) {
    if (other.participantId === bench.participantId) continue;
    const pcId = `sub:${other.participantId}:camera`;
    if ((other.streams || []).includes('camera') && !peers[pcId]) subscribe(other.participantId).catch(err => benchFail('subscribe', err));
  }
}

async function onAnswer(msg) {
  const p = peers[msg.pc];
  if (!p) { benchFail('answer', `unknown pc ${msg.pc}`); return; }
  await p.pc.setRemoteDescription({ type: 'answer', sdp: msg.sdp });
  p.remoteSet = true;
  for (const c of p.remoteQueue.splice(0)) await addRemoteCandidate(p, c);
}

async function addRemoteCandidate(p, msg) {
  try {
    if (!msg.candidate) await p.pc.addIceCandidate();
    else await p.pc.addIceCandidate({ candidate: msg.candidate, sdpMLineIndex: msg.sdpMLineIndex ?? 0 });
  } catch (err) {
    if (msg.candidate) benchFail('addIceCandidate', err);
  }
}

function onMessage(ev) {
  let msg;
  try { msg = JSON.parse(ev.data); } catch { return; }
  switch (msg.type) {
    case 'room.joined':
      bench.joined = Date.now();
      bench.participantId = msg.participantId;
      bench.role = msg.role;
      document.getElementById('status').textContent = `joined as ${msg.role}`;
      publishCamera().catch(err => benchFail('publish', err));
      if (msg.room) onRoomState(msg.room);
      break;
    case 'room.state': onRoomState(msg); break;
    case 'answer': onAnswer(msg).catch(err => benchFail('answer', err)); break;
    case 'ice': {
      const p = peers[msg.pc];
      if (!p) break;
      if (!p.remoteSet) p.remoteQueue.push(msg);
      else addRemoteCandidate(p, msg);
      break;
    }
    case 'error': benchFail(`imsd ${msg.requestType || ''}`, `${msg.code} ${msg.message || ''}`); break;
    default: break;
  }
}

bench.join = async () => {
  bench.joinSent = Date.now();
  try { localTracks = await benchLocalMedia(); } catch (err) { benchFail('local media', err); return; }
  socket = new WebSocket(benchQuery.get('ws'), 'imsd.signaling.v1');
  socket.onopen = () => sendMessage({ type: 'room.join', roomId: benchQuery.get('room'), token: benchQuery.get('token') });
  socket.onmessage = onMessage;
  socket.onclose = (ev) => { if (!bench.closedByRunner) benchFail('socket', `closed ${ev.code} ${ev.reason}`); };
  setInterval(() => sendMessage({ type: 'ping' }), 10000);
};

bench.leave = () => {
  bench.closedByRunner = true;
  for (const p of Object.values(peers)) p.pc.close();
  if (socket) socket.close();
};
document.getElementById('status').textContent = 'ready';
