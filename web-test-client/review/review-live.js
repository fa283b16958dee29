// review-live.js: what the review page shows of a live interview
// (docs/live-rooms.md): the "Live" mark of a session in the list, and in a
// live session's detail its room (GET /api/v1/rooms/{roomId} with the
// reviewer's token): each segment (the opening, each question asked) with
// the candidate's take of it (played in the page's #player by review.js),
// and once ready the composite recording, each segment then a chapter
// button that seeks it.
//
// No state of its own beyond the open room: review.js calls
//   kindCell(session)                 -> the list's "Type" cell text
//   showRoom(session, token, callbacks) once a live session's detail is shown
//   hideRoom()                        when it is left
// callbacks: {playTake(take), showStatus(message, kind)}.

const $ = (id) => document.getElementById(id);

export const isLive = (s) => Boolean(s) && s.kind === 'live';

/** "Live" or "One-way". */
export function kindCell(s) {
  return isLive(s) ? 'Live' : 'One-way';
}

let shownRoomId = null;

const clock = (seconds) => {
  const total = Math.max(0, Math.floor(seconds));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`;
};

export function hideRoom() {
  shownRoomId = null;
  const box = $('live');
  box.hidden = true;
  const v = $('composite');
  v.pause();
  v.removeAttribute('src');
  v.load();
  $('chapters').replaceChildren();
}

/** The sentence for the composite's status when it cannot be played yet. */
function compositeText(c) {
  switch (c && c.status) {
    case 'ready': return '';
    case 'failed': return 'The recording of the whole interview could not be made.';
    default: return 'The recording of the whole interview is being prepared. Open this interview again in a few minutes.';
  }
}

function chapterList(room) {
  const c = room.composite || {};
  let chapters = c.chapters || [];
  if (typeof chapters === 'string') {
    try { chapters = JSON.parse(chapters); } catch { chapters = []; }
  }
  return chapters;
}

/** Loads and shows the room of a live session; nothing happens for another kind. */
export async function showRoom(session, token, { playTake, showStatus }) {
  if (!isLive(session) || !session.roomId) {
    hideRoom();
    return;
  }
  const roomId = session.roomId;
  shownRoomId = roomId;
  $('live').hidden = false;
  $('live-status').textContent = 'Loading the live interview…';
  let room;
  try {
    const res = await fetch(`/api/v1/rooms/${encodeURIComponent(roomId)}`, { headers: { Authorization: `Bearer ${token}` }, cache: 'no-store' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    room = await res.json();
  } catch {
    if (shownRoomId !== roomId) return;
    $('live-status').textContent = '';
    showStatus('The recording of this live interview could not be loaded. Please try again.', 'error');
    return;
  }
  if (shownRoomId !== roomId) return;
  window.review.state.room = room;
  const c = room.composite || {};
  $('live-status').textContent = compositeText(c);
  const video = $('composite');
  video.hidden = c.status !== 'ready' || !c.url;
  if (!video.hidden && video.getAttribute('src') !== c.url) video.src = c.url;

  const takes = new Map();
  for (const q of session.questions || []) for (const t of q.takes || []) takes.set(t.id, t);
  const chapters = chapterList(room);
  const list = $('chapters');
  // one entry per segment; its chapter (a button that seeks) once the composite is ready
  list.replaceChildren(...(room.segments || []).map((segment, i) => {
    const li = document.createElement('li');
    li.dataset.chapter = String(i);
    const title = segment.text || (segment.questionIndex === null ? 'Opening' : `Question ${segment.questionIndex + 1}`);
    const ch = chapters[i];
    if (ch && !video.hidden) {
      const seek = document.createElement('button');
      seek.type = 'button';
      seek.className = 'secondary chapter';
      seek.dataset.startSeconds = String(ch.startSeconds);
      seek.textContent = `${clock(ch.startSeconds)} ${ch.title || title}`;
      seek.addEventListener('click', () => {
        video.currentTime = ch.startSeconds;
        video.play().catch(() => { /* autoplay refused: the controls are there */ });
      });
      li.append(seek);
    } else {
      const text = document.createElement('span');
      text.className = 'segment-title';
      text.textContent = title;
      li.append(text);
    }
    const take = segment.takeId ? takes.get(segment.takeId) : null;
    if (take) {
      const answer = document.createElement('button');
      answer.type = 'button';
      answer.className = 'quiet';
      answer.dataset.takeId = take.id;
      answer.textContent = 'Play the candidate\'s answer';
      answer.addEventListener('click', () => playTake(take));
      li.append(answer);
    }
    return li;
  }));
}
