// The practice question (issue 13 item 4): when the interview has one, the
// candidate may record it before question 1 through the same media path
// ("practice" then take.start / take.stop / retake, docs/signaling.md), as
// often as they like, or skip it.  Its takes have questionIndex -1 and count
// for nothing: not answered, not shown to recruiters, not announced.  This
// file only relabels the interview screen while practising; candidate.js
// renders the rest.

import { PRACTICE_TEXT } from './text.js';

export const PRACTICE_INDEX = -1;

export function isPractising(state) {
  return Boolean(state) && state.questionIndex === PRACTICE_INDEX;
}

// The practice may start once, while question 1 is untouched (what the server checks too).
export function canStartPractice(state, offered) {
  return Boolean(offered) && Boolean(state) && state.questionIndex === 0 && state.phase === 'thinking' &&
    !(state.takes || []).some((t) => t.questionIndex === 0 || t.questionIndex === PRACTICE_INDEX);
}

// Adjusts what render() drew: the "Practise first" button before question 1,
// and the practice's own words while practising.
export function renderPractice(ui, state, offered, usable) {
  const start = canStartPractice(state, offered);
  ui.practice.hidden = !start;
  ui.practice.textContent = PRACTICE_TEXT.offer;
  ui.practice.disabled = !(start && usable);
  if (!isPractising(state)) return;
  ui.progress.textContent = PRACTICE_TEXT.progress;
  ui.retake.textContent = PRACTICE_TEXT.again;
  ui.retake.hidden = state.phase !== 'review';
  ui.next.textContent = PRACTICE_TEXT.start;
  ui.takesTitle.textContent = PRACTICE_TEXT.takesTitle;
  if (state.phase === 'review' && state.saved !== false) ui.hint.textContent = PRACTICE_TEXT.recorded;
  else if (state.phase === 'thinking') ui.hint.textContent = `${PRACTICE_TEXT.intro} ${ui.hint.textContent}`;
}
