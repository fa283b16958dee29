// imsd candidate page: device check, signaling (docs/signaling.md) and WebRTC upload.
//
// Lifecycle:
//   device check  -- getUserMedia, preview, level meter; Join enabled once media works
//   connecting    -- WebSocket "imsd.signaling.v1" to /ws, sends `join`
//   joined        -- every `state` re-renders the page; after the first `state` of a
//                    connection a fresh RTCPeerConnection offers sendonly audio + video
//   reconnecting  -- unexpected close: backoff 1 s, 2 s, 4 s ... 10 s, re-join with the
//                    same token and renegotiate WebRTC from scratch
//   finished      -- phase `completed` (thank-you screen) or a fatal error (bad link,
//                    already completed, opened in another tab): no more reconnects
//
// The server owns every timer; the page only counts `remainingMs` down locally
// between two `state` messages.
//
// Test hooks (Playwright): window.imsd = {state, log, errors, sent, pc, send(obj)}.
// URL parameters: ?session=<id> (required), #token=<jwt> (required),
//                 ?stun=stun:host:port[,more] (optional ICE servers, beside the TURN
//                 servers the first `state` of a connection brings in `iceServers`),
//                 ?codec=h264|vp8 (optional, force one video codec).

import { FATAL_CODES, ERROR_TEXT, TAKE_STATUS_TEXT, PHASE_TEXT, describeSeconds,
  finishedText } from './text.js';
import { answeredCount, finishDialog } from './finish.js';
import { Countdown, takeDurationText } from './timers.js';
import { renderConnectionLost } from './connection.js';
import { preferVideoCodecs, tuneVideoSender } from '../shared/video-codecs.js';
import { openCheckedMedia, fillDeviceSelects, LevelMeter, onDeviceSelect } from '../shared/devices.js';
import { SignalingConnection, backoffDelay, iceServersFromQuery, IceQueues } from '../shared/signaling.js';
import { runOverview } from './overview.js';
import { createPlayback } from './playback.js';
import { isPractising, renderPractice } from './practice.js';

const VIDEO_MAX_BITRATE = 2500000;
const DEFAULT_VIDEO = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } };

// ---------------------------------------------------------------- test hooks

const imsd = {
  state: null,     // last `state` message
  log: [],         // every message received (parsed)
  errors: [],      // every `error` received, plus local failures {code, message, local: true}
  sent: [],        // every message sent
  pc: null,        // current RTCPeerConnection
  connected: false,
  send: (obj) => sendMessage(obj),
};
window.imsd = imsd;

// ---------------------------------------------------------------- page inputs

const query = new URLSearchParams(location.search);
const fragment = new URLSearchParams(location.hash.replace(/^#/, ''));
const sessionId = query.get('session') || '';
const token = fragment.get('token') || '';
const forcedCodec = (query.get('codec') || '').toLowerCase();
const iceServers = iceServersFromQuery(query);
const constraintsKey = `imsd.constraints.${sessionId}`;
const playback = createPlayback({ sessionId, token });

const $ = (id) => document.getElementById(id);
const ui = {
  status: $('status'), progress: $('progress'),
  preview: $('preview'), previewEmpty: $('preview-empty'), recBadge: $('rec-badge'),
  level: $('level'), levelBar: $('level-bar'),
  screenCheck: $('screen-check'), screenInterview: $('screen-interview'), screenDone: $('screen-done'),
  cameraSelect: $('camera-select'), micSelect: $('mic-select'),
  retryDevices: $('retry-devices'), join: $('join'),
  phase: $('phase'), countdown: $('countdown'), question: $('question'), hint: $('hint'),
  record: $('record'), stop: $('stop'), retake: $('retake'), next: $('next'), end: $('end'),
  practice: $('practice'), takesTitle: $('takes-title'),
  takes: $('takes'), doneTitle: $('done-title'), doneText: $('done-text'),
  countdownClock: $('countdown-clock'), countdownCue: $('countdown-cue'), announce: $('announce'),
  connectionLost: $('connection-lost'), connectionTitle: $('connection-title'), connectionText: $('connection-text'),
};

// ---------------------------------------------------------------- page state

let stream = null;          // MediaStream from getUserMedia
let cameraStarting = true;  // getUserMedia asked, not answered yet
let streamConstraints = ''; // JSON of the video constraints `stream` was opened with
const levelMeter = new LevelMeter(ui.level, ui.levelBar);

const signaling = new SignalingConnection({
  sent: imsd.sent,
  log: imsd.log,
  onOpen: () => {
    imsd.connected = true;
    sendMessage({ type: 'join', sessionId, token });
  },
  onMessage: (msg, generation) => handleMessage(msg, generation),
  onClose: () => onSocketGone(),
  onLocalError: (code, text) => recordLocalError(code, text),
});
let joinedOnSocket = false; // a `state` arrived on the current socket
let wantConnection = false; // true from Join until completion or a fatal error
let reconnectAttempt = 0;
let reconnectTimer = 0;
let finished = false;       // no more reconnects: completed, or a fatal error
let showDone = false;       // the final screen replaces everything

let peer = null;            // per-socket negotiation: {pc, ice (IceQueues)}

let countdownDeadline = null; // performance.now() value when the current countdown hits 0
let pendingAction = null;     // type of the last take/retake/next/end sent, until the next state
let currentScreen = 'check';
let practiceOffered = false;  // the overview named a practice question (practice.js)
let statusTimer = 0;

// ---------------------------------------------------------------- status line

/** Shows one plain sentence. kind: 'info' | 'error' | 'ok'. transient ones fade after 8 s. */
function setStatus(text, kind = 'info', transient = false) {
  clearTimeout(statusTimer);
  ui.status.textContent = text;
  ui.status.className = `status ${text ? kind : ''}`;
  if (transient && text) {
    statusTimer = setTimeout(() => setStatus(''), 8000);
  }
}

function recordLocalError(code, message) {
  imsd.errors.push({ code, message, local: true, at: Date.now() });
}

// ---------------------------------------------------------------- devices

function videoConstraintsFor(deviceId) {
  let video = { ...DEFAULT_VIDEO };
  const limits = (imsd.state && imsd.state.constraints) || loadStoredConstraints();
  if (limits) {
    video = {};
    if (limits.maxWidth) video.width = { ideal: limits.maxWidth, max: limits.maxWidth };
    if (limits.maxHeight) video.height = { ideal: limits.maxHeight, max: limits.maxHeight };
    if (limits.maxFrameRate) video.frameRate = { ideal: limits.maxFrameRate, max: limits.maxFrameRate };
  }
  if (deviceId) video.deviceId = { exact: deviceId };
  return video;
}

function loadStoredConstraints() {
  try {
    const raw = sessionStorage.getItem(constraintsKey);
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

const devicePage = {
  showError: (text) => setStatus(text, 'error'), recordError: recordLocalError, retryButton: ui.retryDevices,
};

/** Opens camera + microphone (optionally specific devices). Returns true on success. */
async function openDevices(cameraId, micId) {
  const video = videoConstraintsFor(cameraId);
  const audio = micId ? { deviceId: { exact: micId } } : true;
  const next = await openCheckedMedia(video, audio, cameraId, devicePage);
  if (!next) return false;
  if (stream) stream.getTracks().forEach((t) => t.stop());
  stream = next;
  streamConstraints = JSON.stringify(videoConstraintsFor(null));
  ui.preview.srcObject = stream;
  ui.preview.play().catch(() => {});
  ui.previewEmpty.hidden = true;
  ui.retryDevices.hidden = true;
  levelMeter.attach(stream.getAudioTracks()[0]);
  await fillDeviceSelects(stream, ui.cameraSelect, ui.micSelect,
    (select) => finished || wantConnection || select.options.length < 2);
  return true;
}

function stopDevices() {
  if (stream) stream.getTracks().forEach((t) => t.stop());
  levelMeter.close();
  ui.preview.srcObject = null;
  ui.previewEmpty.textContent = 'Camera off';
  ui.previewEmpty.hidden = false;
}

// ---------------------------------------------------------------- signaling

function sendMessage(obj) {
  return signaling.send(obj);
}

function connect() {
  clearTimeout(reconnectTimer);
  joinedOnSocket = false;
  if (!signaling.connect()) scheduleReconnect();
}

function onSocketGone() {
  imsd.connected = false;
  joinedOnSocket = false;
  closePeer();
  pendingAction = null;
  if (!wantConnection || finished) {
    render();
    return;
  }
  scheduleReconnect();
  render();
}

function scheduleReconnect() {
  const delay = backoffDelay(reconnectAttempt);
  reconnectAttempt++;
  // with an interview on screen the connection-lost notice (connection.js) says it
  setStatus(imsd.state ? '' : 'Cannot reach the interview server, retrying…', 'error');
  clearTimeout(reconnectTimer);
  reconnectTimer = setTimeout(connect, delay);
}

/** Closes the socket on purpose (no reconnect unless wantConnection stays true). */
function dropSocket() {
  signaling.drop();
  imsd.connected = false;
  joinedOnSocket = false;
}

function handleMessage(msg, generation) {
  switch (msg.type) {
    case 'state': onState(msg, generation); break;
    case 'answer': onAnswer(msg); break;
    case 'ice': onRemoteIce(msg); break;
    case 'error': onError(msg); break;
    case 'pong': break;
    default: break;
  }
}

function onState(state, generation) {
  const previous = imsd.state;
  imsd.state = state;
  pendingAction = null;
  if (state.constraints) {
    try { sessionStorage.setItem(constraintsKey, JSON.stringify(state.constraints)); } catch { /* private mode */ }
  }
  countdownDeadline = typeof state.remainingMs === 'number' ? performance.now() + state.remainingMs : null;

  const firstOnSocket = !joinedOnSocket;
  joinedOnSocket = true;
  if (firstOnSocket) {
    reconnectAttempt = 0;
    if (ui.status.classList.contains('error') || ui.status.textContent) setStatus('');
  } else if (previous && (previous.phase !== state.phase || previous.questionIndex !== state.questionIndex)) {
    // A new phase makes an earlier "not possible right now" message stale.
    if (ui.status.classList.contains('error')) setStatus('');
  }

  // `saved` is false while the server has not yet written a change to its
  // database (it keeps it and retries): never say "saved" before it is.
  if ((state.phase === 'completed' || state.status === 'completed') && state.saved !== false) {
    finish('Thank you!', finishedText(answeredCount(state), state.questionCount || 0));
    return;
  }
  if (firstOnSocket) {
    applyServerConstraints(state.constraints)
      .finally(() => { if (generation === signaling.generation && !peer) startPeer(generation); });
  }
  render();
}

function onError(msg) {
  const code = msg.code || 'unknown';
  imsd.errors.push({ code, message: msg.message, requestType: msg.requestType, at: Date.now() });
  pendingAction = null; // whatever we asked for was refused; let the candidate try again
  const text = ERROR_TEXT[code] || msg.message || 'Something went wrong. Please try again.';

  if (code === 'session_completed') {
    finish('This interview is already complete', text);
    return;
  }
  if (FATAL_CODES.has(code)) {
    wantConnection = false;
    finished = true;
    clearTimeout(reconnectTimer);
    dropSocket();
    closePeer();
    if (imsd.state) stopDevices(); // release the camera for the other tab
    setStatus(text, 'error');
    render();
    return;
  }
  if (code === 'media_failed') {
    // The session stays resumable: reconnect, which renegotiates WebRTC from scratch.
    setStatus(text, 'error');
    dropSocket();
    closePeer();
    if (wantConnection) scheduleReconnect();
    render();
    return;
  }
  setStatus(text, 'error', true);
  render();
}

function finish(title, text) {
  finished = true;
  wantConnection = false;
  clearTimeout(reconnectTimer);
  closePeer();
  dropSocket();
  stopDevices();
  finishConfirm.close();
  showDone = true;
  ui.doneTitle.textContent = title;
  ui.doneText.textContent = text;
  setStatus('');
  render();
}

// ---------------------------------------------------------------- WebRTC

async function applyServerConstraints(limits) {
  const track = stream && stream.getVideoTracks()[0];
  if (!limits || !track) return;
  const wanted = videoConstraintsFor(null);
  if (JSON.stringify(wanted) === streamConstraints) return;
  try {
    await track.applyConstraints(wanted);
    streamConstraints = JSON.stringify(wanted);
  } catch (err) {
    recordLocalError('applyConstraints', String(err));
  }
}

async function startPeer(generation) {
  if (!stream || finished) return;
  const config = { bundlePolicy: 'max-bundle' };
  const servers = iceServers.concat((imsd.state && imsd.state.iceServers) || []);
  if (servers.length) config.iceServers = servers;
  const pc = new RTCPeerConnection(config);
  const p = { pc, ice: null };
  p.ice = new IceQueues(pc, (c) => sendMessage({ type: 'ice', ...c }),
    (where, err) => { if (peer === p) recordLocalError(where, String(err)); });
  peer = p;
  imsd.pc = pc;

  pc.onicecandidate = (ev) => {
    if (peer !== p) return;
    p.ice.onLocal(ev);
  };
  pc.onconnectionstatechange = () => {
    if (peer !== p) return;
    if (pc.connectionState === 'failed' && wantConnection && !finished) {
      recordLocalError('ice_failed', 'WebRTC connection failed');
      setStatus(ERROR_TEXT.media_failed, 'error');
      dropSocket();
      closePeer();
      scheduleReconnect();
      render();
    }
  };

  try {
    const audioTrack = stream.getAudioTracks()[0];
    const videoTrack = stream.getVideoTracks()[0];
    if (audioTrack) pc.addTransceiver(audioTrack, { direction: 'sendonly', streams: [stream] });
    if (videoTrack) {
      const transceiver = pc.addTransceiver(videoTrack, {
        direction: 'sendonly', streams: [stream], sendEncodings: [{ maxBitrate: VIDEO_MAX_BITRATE }],
      });
      preferVideoCodecs(transceiver, forcedCodec, recordLocalError);
      await tuneVideoSender(transceiver.sender, VIDEO_MAX_BITRATE, recordLocalError);
    }
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    if (peer !== p || generation !== signaling.generation) return;
    sendMessage({ type: 'offer', sdp: pc.localDescription.sdp });
    p.ice.offerSent();
  } catch (err) {
    recordLocalError('offer', String(err));
    setStatus('The video connection could not be started. Please reload the page.', 'error');
  }
}

async function onAnswer(msg) {
  const p = peer;
  if (!p || typeof msg.sdp !== 'string') return;
  try {
    await p.pc.setRemoteDescription({ type: 'answer', sdp: msg.sdp });
    await p.ice.answerSet();
  } catch (err) {
    recordLocalError('answer', String(err));
    setStatus('The video connection could not be started. Reconnecting…', 'error');
  }
}

function onRemoteIce(msg) {
  if (peer) peer.ice.onRemote(msg);
}

function closePeer() {
  if (!peer) return;
  const { pc } = peer;
  peer = null;
  try { pc.close(); } catch { /* already closed */ }
}

// ---------------------------------------------------------------- rendering

function showScreen(name) {
  if (currentScreen === name) return;
  currentScreen = name;
  document.body.dataset.screen = name;
  ui.screenCheck.hidden = name !== 'check';
  ui.screenInterview.hidden = name !== 'interview';
  ui.screenDone.hidden = name !== 'done';
  const heading = { check: ui.screenCheck.querySelector('h1'), interview: ui.question, done: ui.doneTitle }[name];
  if (heading) heading.focus({ preventScroll: false });
}

function render() {
  const s = imsd.state;
  const online = signaling.open && joinedOnSocket;
  ui.join.disabled = !stream || !sessionId || !token || wantConnection || finished;
  ui.join.textContent = cameraStarting ? 'Starting camera…' : wantConnection && !s ? 'Joining…' : 'Join interview';

  if (showDone) showScreen('done');
  else if (s) showScreen('interview');

  ui.progress.textContent = s && s.questionCount && !showDone ? `Question ${Math.min(s.questionIndex + 1, s.questionCount)} of ${s.questionCount}` : '';
  if (!s) {
    for (const b of [ui.record, ui.stop, ui.retake, ui.next, ui.end]) b.disabled = true;
    ui.recBadge.hidden = true;
    return;
  }

  const phase = s.phase;
  const last = s.questionIndex >= s.questionCount - 1;
  ui.phase.textContent = PHASE_TEXT[phase] || phase;
  ui.phase.dataset.phase = phase;
  ui.question.textContent = s.question && s.question.text ? s.question.text : '';
  const lost = wantConnection && !finished && !online;
  ui.recBadge.hidden = phase !== 'recording' || lost;
  ui.phase.hidden = lost; // no "Recording" while nothing is being recorded
  renderConnectionLost(ui, lost, phase === 'recording');
  ui.next.textContent = last ? 'Finish interview' : 'Next question';

  const busy = pendingAction !== null;
  const live = online && !finished;
  ui.record.disabled = !(live && !busy && phase === 'thinking' && s.mediaReady);
  ui.stop.disabled = !(live && !busy && phase === 'recording');
  ui.retake.disabled = !(live && !busy && phase === 'review' && s.retakesLeft > 0);
  ui.next.disabled = !(live && !busy && phase === 'review');
  ui.end.disabled = !(live && phase !== 'completed' && pendingAction !== 'end');
  ui.retake.textContent = s.retakesLeft > 0 ? `Retake (${s.retakesLeft} left)` : 'No retakes left';

  // Show only the buttons that make sense now; disabled ones stay in the DOM for tests.
  ui.record.hidden = phase !== 'thinking';
  ui.stop.hidden = phase !== 'recording' || lost;
  ui.retake.hidden = phase !== 'review' || s.maxRetakes === 0;
  ui.next.hidden = phase !== 'review';
  ui.end.hidden = last && phase === 'review'; // #next is the one finish button there

  ui.hint.textContent = hintFor(s, online);
  // a practice take is never uploaded, so there is nothing to play back
  playback.render(finished || isPractising(s) ? null : s);
  ui.takesTitle.textContent = 'Your answers to this question';
  renderTakes(s);
  renderPractice(ui, s, practiceOffered, live && !busy);
  renderCountdown();
}

function hintFor(s, online) {
  if (finished) return 'This page is no longer connected to the interview.';
  if (!online) return 'Waiting for the connection…';
  const limit = s.question && s.question.timeLimitSeconds ? describeSeconds(s.question.timeLimitSeconds) : '';
  switch (s.phase) {
    case 'thinking': {
      const media = s.mediaReady ? '' : ' Connecting your camera…';
      const auto = typeof s.remainingMs === 'number'
        ? 'Take a moment to prepare. Recording starts by itself when the time is up, or press Record when you are ready.'
        : 'Press Record when you are ready.';
      return `${auto}${limit ? ` You have ${limit} to answer.` : ''}${media}`;
    }
    case 'recording':
      return 'You are being recorded. Press Stop when you have finished your answer.';
    case 'completed':
      return s.saved === false ? 'Saving your answers… Please keep this page open.' : '';
    case 'review': {
      if (s.saved === false) return 'Saving your answer… Please keep this page open.';
      const retakes = s.retakesLeft > 0
        ? ` You can record it again (${s.retakesLeft} ${s.retakesLeft === 1 ? 'retake' : 'retakes'} left) or continue.`
        : ' Continue when you are ready.';
      return `Your answer has been saved.${retakes}`;
    }
    default:
      return '';
  }
}

function renderTakes(s) {
  const takes = (s.takes || []).filter((t) => t.questionIndex === s.questionIndex);
  ui.takes.replaceChildren();
  if (!takes.length) {
    const li = document.createElement('li');
    li.className = 'empty';
    li.textContent = 'No answers recorded yet.';
    ui.takes.append(li);
    return;
  }
  for (const t of takes) {
    const li = document.createElement('li');
    li.dataset.status = t.status;
    const name = document.createElement('span');
    name.className = 'take-name';
    name.textContent = `Take ${t.number}`;
    const duration = document.createElement('span');
    duration.className = 'take-duration';
    duration.textContent = takeDurationText(t, s, countdownDeadline, takeSeenAt);
    const status = document.createElement('span');
    status.className = 'take-status';
    let text = t.saved === false && t.status !== 'recording' ? 'Saving…' : (TAKE_STATUS_TEXT[t.status] || t.status);
    if (t.status === 'recording' && !(signaling.open && joinedOnSocket)) text = TAKE_STATUS_TEXT.cut;
    if (t.stopReason === 'time_limit') text += ' (time limit reached)';
    status.textContent = text;
    li.append(name, duration, status);
    ui.takes.append(li);
  }
}

const countdown = new Countdown(ui);
const takeSeenAt = new Map(); // "question-number" -> performance.now() a recording take was first shown

/** The clock, and the running duration of a take being recorded (every 250 ms). */
function renderCountdown() {
  const s = imsd.state;
  const online = signaling.open && joinedOnSocket;
  countdown.render(s, countdownDeadline, finished || !online);
  const running = s && online && (s.takes || []).find((t) => t.questionIndex === s.questionIndex && t.status === 'recording');
  const cell = ui.takes.querySelector('li[data-status="recording"] .take-duration');
  if (running && cell) cell.textContent = takeDurationText(running, s, countdownDeadline, takeSeenAt);
}

setInterval(renderCountdown, 250);

// ---------------------------------------------------------------- buttons

function act(type) {
  if (sendMessage({ type })) {
    pendingAction = type;
    render();
  }
}

ui.join.addEventListener('click', () => {
  if (!stream || wantConnection) return;
  levelMeter.resume();
  wantConnection = true;
  reconnectAttempt = 0;
  ui.cameraSelect.disabled = true;
  ui.micSelect.disabled = true;
  setStatus('Connecting to the interview…');
  render();
  connect();
});
ui.record.addEventListener('click', () => act('take.start'));
ui.stop.addEventListener('click', () => act('take.stop'));
ui.retake.addEventListener('click', () => act('retake'));
ui.next.addEventListener('click', () => act('next'));
ui.practice.addEventListener('click', () => act('practice'));
const finishConfirm = finishDialog($('finish-dialog'), () => act('end'));
ui.end.addEventListener('click', () => finishConfirm.open(imsd.state));
ui.retryDevices.addEventListener('click', async () => {
  setStatus('');
  cameraStarting = true;
  render();
  await openDevices();
  cameraStarting = false;
  render();
});
onDeviceSelect(ui.cameraSelect, ui.micSelect, () => wantConnection, async (cameraId, micId) => {
  await openDevices(cameraId, micId);
  render();
});

// ---------------------------------------------------------------- start

async function main() {
  render();
  if (!sessionId || !token) {
    const text = 'This interview link is incomplete. Please open the full link from your invitation.';
    setStatus(text, 'error');
    recordLocalError('bad_link', text);
  } else {
    // the link is checked before any camera opens: a refused one ends here
    const answer = await runOverview(token);
    if (!answer.overview) {
      recordLocalError(answer.code, answer.message);
      finish('This link cannot be used', answer.message);
      return;
    }
    practiceOffered = Boolean(answer.overview.practice);
  }
  currentScreen = '';
  showScreen('check');
  const ok = await openDevices();
  cameraStarting = false;
  if (ok && sessionId && token && !ui.status.classList.contains('error')) {
    setStatus('Your camera and microphone are working.', 'ok');
  }
  render();
}

main();
