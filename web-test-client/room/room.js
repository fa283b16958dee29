// imsd live room page (docs/live-rooms.md): one page for the interviewer,
// the candidate and observers; the role comes from the server's room.joined.
//
// Lifecycle:
//   connecting -- WebSocket "imsd.signaling.v1" to /ws, sends `room.join`; a
//                 refused join (bad_token, token_expired, token_not_yet_valid,
//                 wrong_company, room_not_found, room_ended, ...) shows its
//                 sentence before anything else and stops
//   check      -- interviewer, candidate: camera + microphone preview, level
//                 meter; "Join the interview" publishes the camera (observers
//                 skip it: they send nothing)
//   lobby      -- candidate, until the room is live (an interviewer is in)
//   room       -- every stream of room.state's participants is subscribed (one
//                 recvonly pc each, room/peers.js), the ones that go are
//                 dropped; the interviewer asks questions (`mark`), shares a
//                 screen (`publish` screen), sees the timer and the quality of
//                 each side, and ends (`end`, after a confirmation)
//   ended      -- room.state `ended`: every pc closed, devices released
// A socket that closes unexpectedly is reopened (backoff 1 s .. 10 s): room.join
// again, then publish and subscribe again from scratch (the server forgot the
// pcs of the old connection).  A reload does the same from the top, without
// the device check if this tab passed it already (sessionStorage).
//
// Test hooks: window.room = {joined, state, quality, log, errors, sent, pcs, send(obj)};
// body[data-screen, data-state, data-role, data-segment, data-error]; each
// remote <video> has data-participant, data-stream and data-pc.
// URL parameters: ?room=<id>&token=<jwt> (required), ?stun=... (optional ICE
// servers), ?codec=h264|vp8 (optional, force one video codec).

import { ERROR_TEXT, FATAL_CODES, ROLE_TEXT, GRADE_TEXT, gradeQuality, toEpochMs, timerText } from './text.js';
import { RoomPeers, publishId } from './peers.js';
import { openCheckedMedia, fillDeviceSelects, LevelMeter, onDeviceSelect } from '../shared/devices.js';
import { SignalingConnection, backoffDelay, iceServersFromQuery } from '../shared/signaling.js';

const RESUBSCRIBE_MS = 1000;
const VIDEO = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } };

const query = new URLSearchParams(location.search);
const roomId = query.get('room') || '';
const token = query.get('token') || '';
const forcedCodec = (query.get('codec') || '').toLowerCase();

const $ = (id) => document.getElementById(id);
const ui = {
  status: $('status'), roleLabel: $('role-label'), timer: $('timer'),
  screens: { connecting: $('screen-connecting'), check: $('screen-check'), lobby: $('screen-lobby'),
    room: $('screen-room'), ended: $('screen-ended') },
  connectingTitle: $('connecting-title'), endedTitle: $('ended-title'), endedText: $('ended-text'),
  checkPreview: $('check-preview'), level: $('level'), levelBar: $('level-bar'),
  cameraSelect: $('camera-select'), micSelect: $('mic-select'), retryDevices: $('retry-devices'), join: $('join'),
  stage: $('stage'), stageEmpty: $('stage-empty'), self: $('self'), selfVideo: $('self-video'),
  currentQuestion: $('current-question'), questionsBox: $('questions-box'), questions: $('questions'),
  offscriptForm: $('offscript-form'), offscript: $('offscript'),
  qualityBox: $('quality-box'), quality: $('quality'),
  screenShare: $('screen-share'), end: $('end'),
  endDialog: $('end-dialog'),
};

// ---------------------------------------------------------------- page state

const hooks = {
  joined: null,   // the last room.joined
  state: null,    // the last room.state body
  quality: null,  // the last quality message
  log: [],        // every message received
  errors: [],     // every error received, plus local failures {code, message, local: true}
  sent: [],       // every message sent
  get pcs() { return peers.pcs; },
  send: (obj) => sendMessage(obj),
};
window.room = hooks;

const signaling = new SignalingConnection({
  sent: hooks.sent,
  log: hooks.log,
  onOpen: () => sendMessage({ type: 'room.join', roomId, token }),
  onMessage: (msg) => handleMessage(msg),
  onClose: () => {
    peers.closeAll();
    if (!stopped) scheduleReconnect();
    render();
  },
  onLocalError: (code, text) => recordLocalError(code, text),
});

let reconnectTimer = 0;
let reconnectAttempt = 0;
let resubscribeTimer = 0;
let stopped = false;       // a fatal error or the end: no more reconnects
let fatalCode = '';

let camera = null;         // MediaStream of camera + microphone (publishers)
let screenStream = null;   // MediaStream of getDisplayMedia while sharing
let checked = false;       // "Join the interview" pressed: publish on every connection
const levelMeter = new LevelMeter(ui.level, ui.levelBar);

const peers = new RoomPeers(sendMessage, iceServersFromQuery(query), {
  onRemoteStream: showRemote,
  onRemoteGone: removeRemote,
  onFailed: () => scheduleResync(),
  onError: (where, err) => recordLocalError(where, String(err && err.message ? err.message : err)),
});

const role = () => (hooks.joined ? hooks.joined.role : '');
const publishes = () => role() === 'interviewer' || role() === 'candidate';
const selfId = () => (hooks.joined ? hooks.joined.participantId : '');

function recordLocalError(code, message) {
  hooks.errors.push({ code, message, local: true, at: Date.now() });
}

let statusTimer = 0;
/** One plain sentence in #status. kind: 'info' | 'error' | 'ok'; transient ones fade after 8 s. */
function setStatus(text, kind = 'info', transient = false) {
  clearTimeout(statusTimer);
  ui.status.textContent = text;
  ui.status.className = `status ${text ? kind : ''}`;
  if (transient && text) statusTimer = setTimeout(() => setStatus(''), 8000);
}

// ---------------------------------------------------------------- signaling

function sendMessage(obj) {
  return signaling.send(obj);
}

function connect() {
  clearTimeout(reconnectTimer);
  if (!signaling.connect()) scheduleReconnect();
}

const checkedKey = `imsd.room.${roomId}.checked`;
/** This tab passed the device check of this room before (a reload). */
function checkedBefore() {
  try { return sessionStorage.getItem(checkedKey) === '1'; } catch { return false; }
}

function scheduleReconnect() {
  const delay = backoffDelay(reconnectAttempt++);
  setStatus(hooks.joined ? 'Connection lost, reconnecting…' : 'Cannot reach the interview server, retrying…', 'error');
  clearTimeout(reconnectTimer);
  reconnectTimer = setTimeout(connect, delay);
}

function handleMessage(msg) {
  switch (msg.type) {
    case 'room.joined': onJoined(msg); break;
    case 'room.state': onState(msg); break;
    case 'answer': peers.onAnswer(msg); break;
    case 'ice': peers.onIce(msg); break;
    case 'quality': hooks.quality = msg; renderQuality(); break;
    case 'error': onError(msg); break;
    default: break;
  }
}

async function onJoined(msg) {
  hooks.joined = msg;
  reconnectAttempt = 0;
  if (ui.status.classList.contains('error')) setStatus('');
  document.body.dataset.role = msg.role || '';
  ui.roleLabel.textContent = ROLE_TEXT[msg.role] || '';
  applyState(msg.room);
  if (publishes() && !camera && await openDevices() && !checked && checkedBefore()) checked = true;
  if (checked) await publishAll();
  syncSubscriptions();
  render();
}

function onState(msg) {
  applyState(msg);
  render();
}

function applyState(state) {
  if (!state) return;
  hooks.state = state;
  document.body.dataset.state = state.state || '';
  document.body.dataset.segment = state.segment ? String(state.segment.index) : '';
  if (state.state === 'ended') {
    finish('The interview has ended', 'Thank you. You can close this page now.');
    return;
  }
  syncSubscriptions();
}

/** Observers and people past the device check subscribe to what room.state lists. */
function syncSubscriptions() {
  if (stopped || !hooks.state || !signaling.exists) return;
  if (publishes() && !checked) return;
  peers.sync(hooks.state.participants, selfId());
}

function scheduleResync() {
  clearTimeout(resubscribeTimer);
  resubscribeTimer = setTimeout(syncSubscriptions, RESUBSCRIBE_MS);
}

function onError(msg) {
  const code = msg.code || 'unknown';
  hooks.errors.push({ code, message: msg.message, requestType: msg.requestType, at: Date.now() });
  const joinRefused = msg.requestType === 'room.join' && code !== 'already_joined';
  if (FATAL_CODES.has(code) || joinRefused) {
    const key = code === 'forbidden' && joinRefused ? 'forbidden_join' : code;
    fail(code, ERROR_TEXT[key] || msg.message || 'This interview room cannot be opened.');
    return;
  }
  if (code === 'not_published' || (code === 'bad_sdp' && msg.requestType === 'subscribe')) {
    // the stream went (or is not negotiated yet): ask again once room.state still lists it
    for (const id of peers.unanswered()) peers.close(id, { tell: false });
    scheduleResync();
    return;
  }
  if (msg.requestType === 'publish') stopScreenShare(false);
  setStatus(ERROR_TEXT[code] || msg.message || 'Something went wrong. Please try again.', 'error', true);
  render();
}

/** A fatal error: stop everything and say why. */
function fail(code, text) {
  fatalCode = code;
  document.body.dataset.error = code;
  stopAll();
  ui.connectingTitle.textContent = text;
  setStatus('');
  render();
}

function finish(title, text) {
  stopAll();
  ui.endedTitle.textContent = title;
  ui.endedText.textContent = text;
  setStatus('');
  render();
}

function stopAll() {
  stopped = true;
  clearTimeout(reconnectTimer);
  clearTimeout(resubscribeTimer);
  peers.closeAll();
  signaling.drop();
  for (const s of [camera, screenStream]) if (s) s.getTracks().forEach((t) => t.stop());
  camera = null;
  screenStream = null;
  levelMeter.close();
  ui.checkPreview.srcObject = null;
  ui.selfVideo.srcObject = null;
}

// ---------------------------------------------------------------- devices and publishing

function videoConstraints(cameraId) {
  return cameraId ? { ...VIDEO, deviceId: { exact: cameraId } } : { ...VIDEO };
}

/** Opens camera + microphone for the device check. Returns true on success. */
async function openDevices(cameraId, micId) {
  const next = await openCheckedMedia(videoConstraints(cameraId), micId ? { deviceId: { exact: micId } } : true, cameraId, {
    showError: (text) => setStatus(text, 'error'), recordError: recordLocalError, retryButton: ui.retryDevices,
  });
  if (!next) return false;
  if (stopped) {
    next.getTracks().forEach((t) => t.stop());
    return false;
  }
  if (camera) camera.getTracks().forEach((t) => t.stop());
  camera = next;
  ui.checkPreview.srcObject = camera;
  ui.selfVideo.srcObject = camera;
  ui.retryDevices.hidden = true;
  levelMeter.attach(camera.getAudioTracks()[0]);
  await fillDeviceSelects(camera, ui.cameraSelect, ui.micSelect, (select) => checked || select.options.length < 2);
  if (!checked) setStatus('Your camera and microphone are working.', 'ok');
  return true;
}

/** Publishes the camera (and the screen while shared) on the current connection. */
async function publishAll() {
  if (!camera || !signaling.exists) return;
  await peers.publish('camera', camera, forcedCodec);
  if (screenStream) await peers.publish('screen', screenStream, forcedCodec);
}

async function startScreenShare() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getDisplayMedia) {
    setStatus('This browser cannot share a screen.', 'error', true);
    return;
  }
  let shared;
  try {
    shared = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
  } catch (err) {
    recordLocalError(err && err.name ? err.name : 'getDisplayMedia', String(err));
    if (!err || err.name !== 'NotAllowedError') setStatus('Your screen could not be shared.', 'error', true);
    return;
  }
  if (stopped) {
    shared.getTracks().forEach((t) => t.stop());
    return;
  }
  screenStream = shared;
  const track = shared.getVideoTracks()[0];
  if (track) track.addEventListener('ended', () => stopScreenShare(true));
  await peers.publish('screen', shared, forcedCodec);
  render();
}

/** Stops sharing; tell: the server is told (unpublish). */
function stopScreenShare(tell) {
  if (!screenStream) return;
  screenStream.getTracks().forEach((t) => t.stop());
  screenStream = null;
  if (peers.has(publishId('screen'))) peers.close(publishId('screen'), { tell });
  render();
}

// ---------------------------------------------------------------- remote media

const participantOf = (id) => ((hooks.state && hooks.state.participants) || []).find((p) => p.participantId === id);

/** The participant shown big: the candidate for interviewers and observers, an interviewer for the candidate. */
function focusRole() {
  return role() === 'candidate' ? 'interviewer' : 'candidate';
}

function showRemote(id, participantId, stream, media) {
  let video = ui.stage.querySelector(`video[data-pc="${CSS.escape(id)}"]`);
  if (!video) {
    const figure = document.createElement('figure');
    figure.className = 'tile';
    figure.dataset.pc = id;
    video = document.createElement('video');
    video.autoplay = true;
    video.playsInline = true;
    video.dataset.pc = id;
    video.dataset.participant = participantId;
    video.dataset.stream = stream;
    const caption = document.createElement('figcaption');
    figure.append(video, caption);
    ui.stage.append(figure);
  }
  if (video.srcObject !== media) video.srcObject = media;
  video.play().catch(() => {
    // autoplay with sound refused (nobody clicked yet): play muted, sound on the first click
    video.muted = true;
    video.play().catch(() => {});
    document.addEventListener('pointerdown', () => { video.muted = false; }, { once: true, capture: true });
  });
  renderStage();
}

function removeRemote(id) {
  const figure = ui.stage.querySelector(`figure[data-pc="${CSS.escape(id)}"]`);
  if (figure) {
    const video = figure.querySelector('video');
    video.srcObject = null;
    figure.remove();
  }
  renderStage();
}

function renderStage() {
  const figures = [...ui.stage.querySelectorAll('figure.tile')];
  for (const figure of figures) {
    const video = figure.querySelector('video');
    const person = participantOf(video.dataset.participant);
    const name = (person && (person.name || ROLE_TEXT[person.role])) || 'Participant';
    const screen = video.dataset.stream === 'screen';
    figure.querySelector('figcaption').textContent = screen ? `${name}: screen` : name;
    video.setAttribute('aria-label', screen ? `Screen shared by ${name}` : `Video of ${name}`);
    figure.classList.toggle('screen', screen);
    figure.classList.toggle('big', !screen && Boolean(person) && person.role === focusRole());
  }
  // the focused person first, then screens, then everyone else
  const rank = (f) => (f.classList.contains('big') ? 0 : f.classList.contains('screen') ? 1 : 2);
  figures.sort((a, b) => rank(a) - rank(b)).forEach((f) => ui.stage.append(f));
  ui.stageEmpty.hidden = figures.length > 0;
}

// ---------------------------------------------------------------- rendering

function currentScreen() {
  if (fatalCode) return 'connecting';
  if (stopped) return 'ended';
  if (!hooks.joined) return 'connecting';
  if (publishes() && !checked) return 'check';
  if (role() === 'candidate' && hooks.state && hooks.state.state !== 'live') return 'lobby';
  return 'room';
}

let shownScreen = 'connecting';
function showScreen(name) {
  document.body.dataset.screen = name;
  if (shownScreen === name) return;
  shownScreen = name;
  for (const [key, el] of Object.entries(ui.screens)) el.hidden = key !== name;
  const heading = ui.screens[name].querySelector('h1');
  if (heading) heading.focus({ preventScroll: true });
}

function render() {
  const s = hooks.state;
  const screen = currentScreen();
  showScreen(screen);
  ui.join.disabled = !camera || checked || stopped;
  if (screen !== 'room') {
    ui.timer.hidden = true;
    return;
  }
  const interviewer = role() === 'interviewer';
  const settings = (s && s.settings) || {};
  ui.self.hidden = !camera;
  ui.questionsBox.hidden = !interviewer;
  ui.qualityBox.hidden = role() === 'candidate';
  ui.end.hidden = !interviewer;
  ui.screenShare.hidden = !publishes() || !settings.allowScreenShare;
  ui.screenShare.textContent = screenStream ? 'Stop sharing' : 'Share screen';
  ui.screenShare.setAttribute('aria-pressed', String(Boolean(screenStream)));
  const online = signaling.open;
  for (const b of [ui.end, ui.screenShare, ...ui.questions.querySelectorAll('button'),
    ui.offscriptForm.querySelector('button')]) b.disabled = !online;
  renderQuestion(s);
  if (interviewer) renderQuestions(s);
  renderStage();
  renderQuality();
  renderTimer();
}

function segmentText(s) {
  const seg = s && s.segment;
  if (!seg || seg.questionIndex === null || seg.questionIndex === undefined) return '';
  if (seg.text) return seg.text;
  const q = (s.questions || []).find((x) => x.index === seg.questionIndex);
  return q ? q.text : '';
}

function renderQuestion(s) {
  const text = segmentText(s);
  const shown = text || (role() === 'candidate' ? 'Your interviewer will ask the questions.' : 'No question asked yet.');
  if (ui.currentQuestion.textContent !== shown) ui.currentQuestion.textContent = shown;
}

function renderQuestions(s) {
  const list = (s && s.questions) || [];
  const current = s && s.segment ? s.segment.questionIndex : null;
  const key = JSON.stringify(list.map((q) => [q.index, q.text]));
  if (ui.questions.dataset.key !== key) {
    ui.questions.dataset.key = key;
    ui.questions.replaceChildren(...list.map((q) => {
      const li = document.createElement('li');
      li.dataset.questionIndex = String(q.index);
      const text = document.createElement('span');
      text.className = 'question-text';
      text.textContent = q.text;
      const ask = document.createElement('button');
      ask.type = 'button';
      ask.className = 'secondary';
      ask.textContent = 'Ask';
      ask.dataset.questionIndex = String(q.index);
      ask.setAttribute('aria-label', `Ask: ${q.text}`);
      ask.addEventListener('click', () => sendMessage({ type: 'mark', questionIndex: q.index }));
      li.append(text, ask);
      return li;
    }));
  }
  for (const li of ui.questions.children) {
    const isCurrent = String(current) === li.dataset.questionIndex;
    li.dataset.current = String(isCurrent);
    if (isCurrent) li.setAttribute('aria-current', 'step');
    else li.removeAttribute('aria-current');
  }
}

function renderQuality() {
  const q = hooks.quality;
  if (!q || !Array.isArray(q.participants) || ui.qualityBox.hidden) return;
  ui.quality.replaceChildren(...q.participants.map((entry) => {
    const person = participantOf(entry.participantId);
    const grade = gradeQuality(entry);
    const li = document.createElement('li');
    li.dataset.participant = entry.participantId;
    li.dataset.quality = grade;
    const name = document.createElement('span');
    name.textContent = entry.participantId === selfId() ? 'You'
      : person ? (person.name || ROLE_TEXT[person.role] || 'Participant') : 'Participant';
    const value = document.createElement('span');
    const figures = `${Math.round(entry.lossPercent || 0)} % loss, ${Math.round(entry.rttMs || 0)} ms, ${Math.round(entry.bitrateKbps || 0)} kbit/s`;
    const gradeText = document.createElement('span');
    gradeText.className = 'grade';
    gradeText.textContent = GRADE_TEXT[grade];
    value.append(gradeText, ` (${figures})`);
    li.append(name, value);
    return li;
  }));
}

function renderTimer() {
  const s = hooks.state;
  const show = shownScreen === 'room' && role() !== 'candidate' && s;
  ui.timer.hidden = !show;
  if (!show) return;
  const started = toEpochMs(s.startedAt);
  if (!Number.isFinite(started)) {
    ui.timer.textContent = 'Not started';
    ui.timer.classList.remove('over');
    return;
  }
  const elapsed = Date.now() - started;
  ui.timer.textContent = timerText(elapsed, s.durationMinutes);
  ui.timer.classList.toggle('over', Boolean(s.durationMinutes) && elapsed > s.durationMinutes * 60000);
}

setInterval(renderTimer, 500);

// ---------------------------------------------------------------- buttons

ui.join.addEventListener('click', async () => {
  if (!camera || checked) return;
  levelMeter.resume();
  checked = true;
  try { sessionStorage.setItem(checkedKey, '1'); } catch { /* private mode: check again next time */ }
  ui.cameraSelect.disabled = true;
  ui.micSelect.disabled = true;
  setStatus('');
  await publishAll();
  syncSubscriptions();
  render();
});
ui.retryDevices.addEventListener('click', async () => {
  setStatus('');
  await openDevices();
  render();
});
onDeviceSelect(ui.cameraSelect, ui.micSelect, () => checked, async (cameraId, micId) => {
  await openDevices(cameraId, micId);
  render();
});
ui.screenShare.addEventListener('click', () => (screenStream ? stopScreenShare(true) : startScreenShare()));
ui.offscriptForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const text = ui.offscript.value.trim();
  if (!text) return;
  if (sendMessage({ type: 'mark', text })) ui.offscript.value = '';
});
ui.end.addEventListener('click', () => ui.endDialog.showModal());
ui.endDialog.addEventListener('close', () => {
  if (ui.endDialog.returnValue === 'end') sendMessage({ type: 'end' });
});

// ---------------------------------------------------------------- start

function main() {
  render();
  if (!roomId || !token) {
    fail('bad_link', 'This interview link is incomplete. Please open the full link you received.');
    return;
  }
  connect();
}

main();
