// review-takes.js: one question's takes on the review page.
//
// The answer the candidate kept (the last completed take of the question,
// the one the interview moved on with) comes first, labelled "Kept answer";
// the other takes (discarded retakes, interrupted, failed) are folded under
// a <details> "2 other takes", each with its status.  Every take shows its
// recording's completeness (review-completeness.js).
//
//   mediaOf(take, kind)                   -> the take's media object of that kind
//   keptTake(takes)                       -> the kept take or null
//   renderTakes(takes, {playTake, extra}) -> the <div> of the question's takes;
//     extra(take), if given, returns a node (or null) appended to the take's
//     item: per-take controls of other modules hook in there.

import { completenessText } from './review-completeness.js';

/** The take's media object of kind (e.g. 'video/mp4', 'thumbnail'), or undefined. */
export const mediaOf = (take, kind) => (take.media || []).find((m) => m.kind === kind);

function fmtDuration(ms) {
  if (!Number.isFinite(ms) || ms <= 0) return '';
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** A new <tag> of class className holding text (if given). */
function element(tag, className, text) {
  const el = document.createElement(tag);
  el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

/** The last completed take (highest number), or null when none completed. */
export function keptTake(takes) {
  let kept = null;
  for (const t of takes || []) {
    if (t.status === 'completed' && (!kept || t.number > kept.number)) kept = t;
  }
  return kept;
}

/** The <li> of take t: its button (thumbnail, number, status, duration) and completeness. */
function takeItem(t, { playTake, extra, kept }) {
  const item = element('li', kept ? 'take-item kept' : 'take-item');
  if (kept) item.append(element('p', 'kept-label', 'Kept answer'));
  const b = element('button', 'take');
  b.type = 'button';
  b.dataset.takeId = t.id;
  b.setAttribute('aria-pressed', 'false');
  const thumb = mediaOf(t, 'thumbnail');
  if (thumb) {
    const img = document.createElement('img');
    img.src = thumb.url;
    img.alt = `Take ${t.number}`;
    b.append(img);
  } else {
    b.append(element('span', 'no-thumb', 'No picture'));
  }
  b.append(element('span', 'take-meta', [`Take ${t.number}`, t.status, fmtDuration(t.durationMs)].filter(Boolean).join(' · ')));
  b.addEventListener('click', () => playTake(t));
  item.append(b);
  const completeness = element('p', 'completeness', `Recording: ${completenessText(t)}`);
  completeness.dataset.takeId = t.id;
  item.append(completeness);
  const more = extra && extra(t);
  if (more) item.append(more);
  return item;
}

function takeList(takes, options) {
  const list = element('ul', 'take-list');
  for (const t of takes) list.append(takeItem(t, options));
  return list;
}

/** The question's takes: the kept one, then the others folded. */
export function renderTakes(takes, { playTake, extra } = {}) {
  const box = element('div', 'answer-takes');
  if (!takes || takes.length === 0) {
    box.append(element('p', 'muted', 'No answer recorded.'));
    return box;
  }
  const kept = keptTake(takes);
  if (kept) box.append(takeList([kept], { playTake, extra, kept: true }));
  else box.append(element('p', 'muted no-kept', 'No completed answer.'));
  const others = takes.filter((t) => t !== kept);
  if (others.length > 0) {
    const details = element('details', 'other-takes');
    const summary = element('summary', 'other-takes-summary', others.length === 1 ? '1 other take' : `${others.length} other takes`);
    details.append(summary, takeList(others, { playTake, extra, kept: false }));
    box.append(details);
  }
  return box;
}
