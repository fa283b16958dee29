// review.js: the recruiters' review page (docs/review-api.md).
//
// Lifecycle: on load the token comes from a `#token=` fragment (then removed
// from the address bar) or sessionStorage; with one, the session list is
// loaded. Clicking a row opens the session (questions, takes, thumbnails);
// clicking a take fetches a fresh signed MP4 URL and plays it in #player.
// A 401 forgets the token and shows the sign-in form again.
//
// A live interview's session (kind "live") is marked in the list and shows
// its room's composite recording with chapters (review-live.js). The list's
// filters are review-filters.js's; a question's takes (the kept answer first,
// the others folded) review-takes.js's; each take's rating form
// review-ratings.js's.
//
// Test hooks: window.review = {state, errors}; errors holds every message
// shown to the user, newest last; state.room is the open live session's room.

import { kindCell, isLive, showRoom, hideRoom } from './review-live.js';
import { renderTakes, mediaOf } from './review-takes.js';
import { initFilters, addFilters } from './review-filters.js';
import { ratingForm, tokenSubject } from './review-ratings.js';

const API = '/api/v1/review';
const PAGE_SIZE = 20;
const TOKEN_KEY = 'imsd.review.token';
const SPEEDS = { 'speed-1': 1, 'speed-1_5': 1.5, 'speed-2': 2 };

const state = {
  signedIn: false,
  view: 'sign-in', // sign-in | list | session
  offset: 0,
  total: 0,
  sessions: [],
  session: null, // detail JSON of the open session
  takeId: null, // the take in #player
  room: null, // GET /api/v1/rooms/{id} of the open live session
  playbackRate: 1,
  loading: false,
};
const errors = [];
window.review = { state, errors };

const $ = (id) => document.getElementById(id);
let token = null;

/** Shows message in #status; kind 'error' also records it in errors. */
function showStatus(message, kind = '') {
  const el = $('status');
  el.textContent = message || '';
  el.className = `status ${kind}`.trim();
  if (kind === 'error' && message) errors.push(message);
}

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** The sentence shown for an HTTP status (or 0: network failure). */
function messageFor(status, what) {
  switch (status) {
    case 0: return 'The server could not be reached. Check your connection and try again.';
    case 401: return 'Your sign-in is not valid or has expired.';
    case 403: return 'Your account is not allowed to review interviews.';
    case 404: return `This ${what} does not exist or is not available to you.`;
    case 400: return 'The request was not accepted. Please change the filter and try again.';
    default: return `Something went wrong on the server (error ${status}). Please try again.`;
  }
}

/** GET API + path with the bearer token; resolves the JSON or throws ApiError. */
async function apiGet(path, what = 'item') {
  let res;
  try {
    res = await fetch(`${API}${path}`, { headers: { Authorization: `Bearer ${token}` }, cache: 'no-store' });
  } catch {
    throw new ApiError(0, messageFor(0, what));
  }
  if (!res.ok) throw new ApiError(res.status, messageFor(res.status, what));
  try {
    return await res.json();
  } catch {
    throw new ApiError(res.status, 'The server sent an answer this page cannot read.');
  }
}

/** Shows err; a 401 also signs out. */
function fail(err) {
  if (err.status === 401) signOut(false);
  showStatus(err.message || String(err), 'error');
}

function show(view) {
  state.view = view;
  $('sign-in-panel').hidden = view !== 'sign-in';
  $('list-panel').hidden = view !== 'list';
  $('session').hidden = view !== 'session';
  $('sign-out').hidden = !state.signedIn;
  if (view !== 'session') {
    const v = $('player');
    v.pause();
    v.removeAttribute('src');
    v.load();
    state.takeId = null;
    state.room = null;
    hideRoom();
  }
}

function signIn(newToken) {
  token = newToken.trim();
  sessionStorage.setItem(TOKEN_KEY, token);
  state.signedIn = true;
  state.offset = 0;
  showStatus('');
  loadList();
}

function signOut(clearStatus = true) {
  token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  state.signedIn = false;
  state.sessions = [];
  state.session = null;
  if (clearStatus) showStatus('');
  show('sign-in');
}

const fmtDate = (iso) => (iso ? new Date(iso).toLocaleString() : '');
const COLUMNS = ['Interview', 'Type', 'Candidate', 'Status', 'Created', 'Answered', 'Takes'];

/** "2 of 3", with " · Ended early" when the candidate ended the interview early. */
function answeredText(s) {
  if (!Number.isFinite(s.questionCount)) return '';
  const text = `${s.questionsAnswered ?? 0} of ${s.questionCount}`;
  return s.endedEarly ? `${text} · Ended early` : text;
}

async function loadList() {
  state.loading = true;
  const q = new URLSearchParams({ limit: String(PAGE_SIZE), offset: String(state.offset) });
  addFilters(q);
  try {
    const data = await apiGet(`/sessions?${q}`, 'list');
    state.sessions = data.items || [];
    state.total = data.total || 0;
    renderList();
    show('list');
  } catch (err) {
    fail(err);
  } finally {
    state.loading = false;
  }
}

function renderList() {
  const body = $('sessions');
  body.replaceChildren();
  if (state.sessions.length === 0) {
    const tr = document.createElement('tr');
    const td = document.createElement('td');
    td.colSpan = 7;
    td.className = 'empty';
    td.textContent = 'No sessions match.';
    tr.append(td);
    body.append(tr);
  }
  for (const s of state.sessions) {
    const tr = document.createElement('tr');
    tr.dataset.sessionId = s.sessionId;
    tr.dataset.kind = s.kind || 'one_way';
    tr.tabIndex = 0;
    const cells = [interviewLabel(s), kindCell(s), s.candidateEmail || s.userId || '', s.status, fmtDate(s.createdAt), answeredText(s), String(s.takeCount ?? '')];
    cells.forEach((text, i) => {
      const td = document.createElement('td');
      td.dataset.label = COLUMNS[i]; // the label of a stacked row (narrow screens)
      td.textContent = text ?? '';
      tr.append(td);
    });
    if (isLive(s)) tr.children[1].className = 'live-mark';
    if (s.endedEarly) tr.children[5].className = 'ended-early';
    const open = () => openSession(s.sessionId, s);
    tr.addEventListener('click', open);
    tr.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') open(); });
    body.append(tr);
  }
  const from = state.total === 0 ? 0 : state.offset + 1;
  const to = state.offset + state.sessions.length;
  $('page-info').textContent = `${from}–${to} of ${state.total}`;
  $('prev').disabled = state.offset === 0;
  $('next').disabled = to >= state.total;
}

/** "Backend engineer (int-a)": the interview's title where it has one, then its id. */
function interviewLabel(s) {
  return s.title ? `${s.title} (${s.interviewId})` : s.interviewId;
}

async function openSession(sessionId, listed = {}) {
  state.loading = true;
  try {
    const detail = await apiGet(`/sessions/${encodeURIComponent(sessionId)}`, 'session');
    state.session = { kind: listed.kind, roomId: listed.roomId, ...detail };
    showStatus('');
    show('session');
    renderSession();
    showRoom(state.session, token, { playTake, showStatus });
  } catch (err) {
    fail(err);
  } finally {
    state.loading = false;
  }
}

function renderSession() {
  const d = state.session;
  $('session-title').textContent = d.candidateEmail || d.userId || d.sessionId;
  $('session-meta').textContent = [`${isLive(d) ? 'Live interview' : 'Interview'} ${interviewLabel(d)}`, d.status,
    `created ${fmtDate(d.createdAt)}`, `answered ${answeredText(d)}`].join(' · ');
  const list = $('questions');
  list.replaceChildren();
  for (const q of d.questions || []) {
    const li = document.createElement('li');
    const p = document.createElement('p');
    p.className = 'question-text';
    p.textContent = q.text;
    li.append(p);
    li.append(renderTakes(q.takes, { playTake, extra: rateTake }));
    list.append(li);
  }
}

/** Take t's rating form; a 401 on save signs out like any other call. */
function rateTake(t) {
  const onSignedOut = () => fail(new ApiError(401, messageFor(401, 'answer')));
  return ratingForm(t, { token, me: tokenSubject(token), onSignedOut });
}

/** Plays take t: a fresh signed URL of its video/mp4 object into #player. */
async function playTake(t) {
  const mp4 = mediaOf(t, 'video/mp4');
  if (!mp4) {
    showStatus('This answer has no playable video yet.', 'error');
    return;
  }
  let url = mp4.url;
  // signed URLs are short-lived: ask for a new one unless this one is fresh
  if (!mp4.urlExpiresAt || Date.parse(mp4.urlExpiresAt) - Date.now() < 60000) {
    try {
      url = (await apiGet(`/media/${encodeURIComponent(mp4.fileId)}/url`, 'video')).url;
    } catch (err) {
      fail(err);
      return;
    }
  }
  state.takeId = t.id;
  for (const b of document.querySelectorAll('button.take')) {
    b.setAttribute('aria-pressed', String(b.dataset.takeId === t.id));
  }
  showStatus('');
  const v = $('player');
  v.src = url;
  v.playbackRate = state.playbackRate;
  v.defaultPlaybackRate = state.playbackRate;
  v.play().catch(() => { /* autoplay refused: the controls are there */ });
}

function setSpeed(id) {
  state.playbackRate = SPEEDS[id];
  const v = $('player');
  v.defaultPlaybackRate = state.playbackRate;
  v.playbackRate = state.playbackRate;
  for (const k of Object.keys(SPEEDS)) $(k).setAttribute('aria-pressed', String(k === id));
}

function init() {
  $('sign-in-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const value = $('token').value.trim();
    if (value) signIn(value);
  });
  $('sign-out').addEventListener('click', () => signOut());
  initFilters(() => {
    state.offset = 0;
    loadList();
  });
  $('prev').addEventListener('click', () => { state.offset = Math.max(0, state.offset - PAGE_SIZE); loadList(); });
  $('next').addEventListener('click', () => { state.offset += PAGE_SIZE; loadList(); });
  $('back').addEventListener('click', () => { showStatus(''); show('list'); loadList(); });
  for (const id of Object.keys(SPEEDS)) $(id).addEventListener('click', () => setSpeed(id));
  $('player').addEventListener('error', () => {
    if ($('player').getAttribute('src')) showStatus('This video could not be played. Try opening the answer again.', 'error');
  });

  const frag = new URLSearchParams(location.hash.slice(1)).get('token');
  if (frag) history.replaceState(null, '', location.pathname + location.search);
  const saved = frag || sessionStorage.getItem(TOKEN_KEY);
  if (saved) signIn(saved);
  else show('sign-in');
}

init();
