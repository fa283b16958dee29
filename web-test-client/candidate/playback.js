// The candidate watches their own take: asks the server for the take's
// playback URL (GET /api/v1/candidate/sessions/{id}/questions/{q}/takes/{n}/playback,
// authorized by the invite token), asks again with backoff while it answers
// 202 "preparing", and plays the answer in a <video> with controls.  One
// take at a time; stop() (leaving the review screen) ends any polling.

import { PLAYBACK_TEXT } from './text.js';

const FIRST_RETRY_MS = 1000;
const LONGEST_RETRY_MS = 8000;

export function createPlayback({ sessionId, token }) {
  const ui = {
    box: document.getElementById('playback'),
    watch: document.getElementById('watch'),
    status: document.getElementById('playback-status'),
    video: document.getElementById('playback-video'),
  };
  let current = null; // {key, timer, retryMs}: the take being fetched or shown
  let offered = null; // {questionId, number, key}: the take the Watch button plays
  ui.watch.textContent = PLAYBACK_TEXT.watch;
  ui.watch.addEventListener('click', () => { if (offered) watch(offered.questionId, offered.number); });

  function show(text, kind) {
    ui.status.textContent = text;
    ui.status.dataset.kind = kind;
  }

  function urlOf(questionId, number) {
    return `/api/v1/candidate/sessions/${encodeURIComponent(sessionId)}/questions/`
      + `${encodeURIComponent(questionId)}/takes/${number}/playback`;
  }

  async function ask(attempt, path) {
    let response;
    let body = {};
    try {
      response = await fetch(path, { headers: { Authorization: `Bearer ${token}` }, cache: 'no-store' });
      body = await response.json().catch(() => ({}));
    } catch {
      response = null;
    }
    if (current !== attempt) return; // stopped, or another take asked for meanwhile
    if (response && response.status === 200 && body.url) {
      attempt.kind = body.kind;
      show('', 'ready');
      ui.video.hidden = false;
      ui.video.src = body.url;
      // the candidate pressed Watch: play it (a browser may still ask for a click on play)
      ui.video.play().catch(() => { /* autoplay refused: the controls remain */ });
      return;
    }
    if (response && response.status === 202) {
      askAgain(attempt, path);
      return;
    }
    const code = response ? body.code : 'network';
    show(PLAYBACK_TEXT[code] || PLAYBACK_TEXT.other, 'error');
  }

  function askAgain(attempt, path) {
    show(PLAYBACK_TEXT.preparing, 'preparing');
    attempt.timer = setTimeout(() => ask(attempt, path), attempt.retryMs);
    attempt.retryMs = Math.min(attempt.retryMs * 2, LONGEST_RETRY_MS);
  }

  // The original (Matroska) is answered until the MP4 exists; a browser
  // that cannot play it waits for the MP4 instead of failing.
  ui.video.addEventListener('error', () => {
    const attempt = current;
    if (!attempt || !ui.video.getAttribute('src')) return;
    ui.video.hidden = true;
    if (attempt.kind === 'original') askAgain(attempt, attempt.path);
    else show(PLAYBACK_TEXT.other, 'error');
  });

  // Shows take number of questionId; a second press on the same take plays it again.
  function watch(questionId, number) {
    stop();
    const path = urlOf(questionId, number);
    const attempt = { key: `${questionId}/${number}`, path, kind: null, timer: null, retryMs: FIRST_RETRY_MS };
    current = attempt;
    show(PLAYBACK_TEXT.loading, 'loading');
    ask(attempt, path);
  }

  // Ends polling and hides the video (the screen changed or a new take began).
  function stop() {
    if (current && current.timer) clearTimeout(current.timer);
    current = null;
    ui.video.pause();
    ui.video.removeAttribute('src');
    ui.video.load();
    ui.video.hidden = true;
    show('', 'idle');
  }

  // The take to offer in state s (the state message): the newest saved take
  // of the question on review; none elsewhere.  Leaving it stops playback.
  function render(s) {
    const question = s && s.question && s.question.id;
    const takes = s && s.phase === 'review' && question
      ? (s.takes || []).filter((t) => t.questionIndex === s.questionIndex
        && (t.status === 'completed' || t.status === 'interrupted') && t.saved !== false)
      : [];
    const take = takes.length ? takes[takes.length - 1] : null;
    const key = take ? `${question}/${take.number}` : null;
    if (current && current.key !== key) stop();
    offered = take ? { questionId: question, number: take.number, key } : null;
    ui.box.hidden = !take;
  }

  return { render, watch, stop };
}
