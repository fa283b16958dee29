// The think and answer countdowns: large text, a warning (colour plus the
// words "Less than 10 s left") in the last 10 s, and announcements for screen
// readers at the moments that matter (think starts, recording starts, 10 s
// left, time up) in a polite live region of their own: the clock itself is
// not live, or it would be read out every second.
//
// The server owns every timer; the page counts remainingMs down between two
// `state` messages (countdownDeadline, a performance.now() value).

import { formatClock, formatDuration, describeSeconds, TIMER_WARNING_MS, TIMER_WARNING_TEXT,
  ANNOUNCE } from './text.js';

export class Countdown {
  /** ui: {countdown, countdownClock, countdownCue, announce} elements. */
  constructor(ui) {
    this.ui = ui;
    this.lastText = null;
    this.lastWarning = null;
    this.moment = '';   // key of the last announced moment, e.g. "recording:0:2"
  }

  /**
   * Shows the countdown of `state` (null: none) ending at deadline; hidden
   * when paused (offline, finished).  Cheap: touches the DOM only on change.
   */
  render(state, deadline, paused) {
    let text = '';
    let leftMs = null;
    const timed = state && deadline !== null && (state.phase === 'thinking' || state.phase === 'recording');
    if (timed && !paused) {
      leftMs = deadline - performance.now();
      const left = formatClock(leftMs);
      text = state.phase === 'thinking' ? `Recording starts in ${left}` : `Time left ${left}`;
    }
    const warning = text !== '' && leftMs <= TIMER_WARNING_MS;
    if (text !== this.lastText || warning !== this.lastWarning) {
      this.ui.countdownClock.textContent = text;
      this.ui.countdownCue.textContent = warning ? TIMER_WARNING_TEXT : '';
      this.ui.countdownCue.hidden = !warning;
      this.ui.countdown.hidden = !text;
      this.ui.countdown.classList.toggle('warning', warning);
      this.lastText = text;
      this.lastWarning = warning;
    }
    if (state && !paused) this.announce(state, leftMs, timed);
  }

  /** Says the moment `state` is at, once per moment (a later state of it stays quiet). */
  announce(state, leftMs, timed) {
    const where = `${state.phase}:${state.questionIndex}:${(state.takes || []).length}`;
    let moment = `${where}:start`;
    let words = '';
    if (timed && leftMs <= 0) {
      moment = `${where}:up`;
      words = state.phase === 'recording' ? ANNOUNCE.timeUp : '';
    } else if (timed && leftMs <= TIMER_WARNING_MS) {
      moment = `${where}:warning`;
      words = ANNOUNCE.warning;
    } else if (state.phase === 'thinking') {
      words = timed ? ANNOUNCE.thinking(formatClock(leftMs)) : '';
    } else if (state.phase === 'recording') {
      const limit = state.question && state.question.timeLimitSeconds;
      words = ANNOUNCE.recording(limit ? describeSeconds(limit) : '');
    } else if (state.phase === 'review' && lastTakeOf(state).stopReason === 'time_limit') {
      // the server's cut often arrives before the local clock reaches 0
      words = ANNOUNCE.timeUp;
    }
    if (moment === this.moment) return;
    this.moment = moment;
    if (words) this.ui.announce.textContent = words;
  }
}

function lastTakeOf(state) {
  const takes = (state.takes || []).filter((t) => t.questionIndex === state.questionIndex);
  return takes.length ? takes[takes.length - 1] : {};
}

/**
 * The duration a take row shows: while it records, the time since it started
 * (worked out from the answer countdown, else from when the page first saw
 * it recording); otherwise the stored duration.
 */
export function takeDurationText(take, state, deadline, seenAt) {
  if (take.status !== 'recording') return formatDuration(take.durationMs);
  const limit = state.question && state.question.timeLimitSeconds;
  let elapsed;
  if (limit && deadline !== null && state.phase === 'recording') {
    elapsed = limit * 1000 - (deadline - performance.now());
  } else {
    const key = `${take.questionIndex}-${take.number}`;
    if (!seenAt.has(key)) seenAt.set(key, performance.now());
    elapsed = performance.now() - seenAt.get(key);
  }
  return formatDuration(Math.max(0, Math.floor(elapsed / 1000) * 1000));
}
