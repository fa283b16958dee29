// Words of the candidate page: what each error code and take status says to
// the candidate, and how times are written.  No state, no DOM.

// Errors after which reconnecting cannot help.
export const FATAL_CODES = new Set(['bad_token', 'token_expired', 'token_wrong_session',
  'session_not_found', 'session_completed', 'replaced', 'logged_out']);

export const ERROR_TEXT = {
  bad_token: 'This interview link is not valid. Please open the link exactly as you received it in your invitation.',
  token_expired: 'This interview link has expired. Please ask the person who invited you for a new link.',
  token_wrong_session: 'This interview link does not belong to this interview. Please open the link exactly as you received it.',
  session_not_found: 'This interview could not be found. Please check the link in your invitation.',
  session_completed: 'This interview has already been completed. Thank you for your time.',
  replaced: 'The interview was opened in another tab or window, so it was closed here. Continue there, or reload this page to continue here.',
  logged_out: 'You were signed out. Your answers so far are saved: reload this page to continue the interview.',
  media_not_ready: 'Your video connection is still starting. Please wait a moment and try again.',
  media_failed: 'The video connection was lost. Reconnecting…',
  no_retakes_left: 'You have no retakes left for this question.',
  bad_state: 'That is not possible right now.',
  internal: 'Something went wrong on our side. Please try again in a moment.',
};

export const TAKE_STATUS_TEXT = {
  completed: 'Saved',
  recording: 'Recording…',
  interrupted: 'Interrupted (connection lost)',
  cut: 'Cut by the lost connection',
  failed: 'Failed',
};

export const PHASE_TEXT = { thinking: 'Preparing', recording: 'Recording', review: 'Review', completed: 'Completed' };

export function formatClock(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`;
}

export function formatDuration(ms) {
  if (typeof ms !== 'number') return '';
  const total = Math.round(ms / 1000);
  return total < 60 ? `${total} s` : `${Math.floor(total / 60)} min ${total % 60} s`;
}

/** "90" -> "1 minute 30 seconds", for sentences. */
export function describeSeconds(seconds) {
  const minutes = Math.floor(seconds / 60);
  const rest = Math.round(seconds % 60);
  const parts = [];
  if (minutes) parts.push(`${minutes} ${minutes === 1 ? 'minute' : 'minutes'}`);
  if (rest || !minutes) parts.push(`${rest} ${rest === 1 ? 'second' : 'seconds'}`);
  return parts.join(' ');
}

// ---- finishing early (finish.js), timers (timers.js), connection (connection.js)

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

/** What "Finish interview now" keeps: answered of count questions; recording: a take is open now. */
export function finishConfirmText(answered, count, recording) {
  const unanswered = Math.max(0, count - answered);
  const lost = unanswered
    ? ` ${unanswered === 1 ? 'The 1 unanswered question' : `The ${unanswered} unanswered questions`} cannot be answered later.`
    : '';
  const open = recording ? ' The answer you are recording now is stopped and kept.' : '';
  if (answered === 0) {
    return `No questions answered yet (0 of ${count}). No answers will be kept.${open}${lost}`;
  }
  return `${answered} of ${plural(count, 'question', 'questions')} answered. `
    + `Your ${plural(answered, 'answer', 'answers')} will be kept.${open}${lost}`;
}

/** The final screen after the server confirmed completion with `answered` questions answered. */
export function finishedText(answered, count) {
  if (answered === 0) {
    return 'Your interview has ended. No answers were recorded. You can close this page now.';
  }
  const kept = answered === 1 ? 'Your 1 answer has' : `Your ${answered} answers have`;
  return `Your interview is complete. ${kept} been saved (${answered} of ${plural(count, 'question', 'questions')} answered). You can close this page now.`;
}

export const TIMER_WARNING_MS = 10000;
export const TIMER_WARNING_TEXT = 'Less than 10 s left';

export const ANNOUNCE = {
  thinking: (clock) => `Preparation time. Recording starts in ${clock}.`,
  recording: (limit) => (limit ? `Recording started. You have ${limit} to answer.` : 'Recording started.'),
  warning: '10 seconds left.',
  timeUp: 'Time is up.',
};

export const CONNECTION_LOST_TITLE = 'Connection lost — reconnecting…';
// What the server does (server/interview/session-phase.c, docs/signaling.md):
// a take cut by a lost connection is kept up to the drop as "interrupted",
// uses no retake, and the question goes back to preparing (or review when it
// already has a saved answer) once the page is connected again.
export const CONNECTION_LOST_TEXT = {
  recording: 'Your answer was being recorded. What was recorded up to the drop is kept (marked as interrupted) and does not use up a retake. When the connection is back you can record this question again.',
  other: 'Your saved answers are kept. The interview continues where you left off when the connection is back.',
};

// The overview screen (overview.js) and the refusals of its link check.
export const OVERVIEW_TEXT = {
  defaultTitle: 'Your video interview',
  company: (name) => `with ${name}`,
  questions: 'Questions',
  answerTime: 'Time per answer',
  upTo: (time) => `up to ${time}`,
  thinkTime: 'Time to think first',
  none: 'none',
  retakes: 'Retakes',
  retakesCount: (n) => (n === 0 ? 'no retakes' : n === 1 ? '1 retake per question' : `${n} retakes per question`),
  steps: (o) => [
    'Check that your camera and microphone work.',
    o.thinkSeconds > 0 ? 'Each question is shown first, with time to think before recording starts.'
      : 'Each question is shown, and you start recording when you are ready.',
    o.maxRetakes > 0 ? 'Answer on camera; you may record again if you are not happy with an answer.'
      : 'Answer on camera; each answer is recorded once.',
    'Your answers are saved as you go; the interview ends after the last question.',
  ],
  token_missing: 'This interview link is incomplete. Please open the full link from your invitation.',
  token_not_yet_valid: 'This interview link is not valid yet. Please try again later.',
  interview_completed: 'This interview has already been completed. Thank you for your time.',
  unreachable: 'The interview server cannot be reached. Please check your connection and reload this page.',
};

// What the playback of a take says (playback.js), by state or error code.
export const PLAYBACK_TEXT = {
  watch: 'Watch your answer',
  loading: 'Loading your answer…',
  preparing: 'Preparing playback… Your answer will play as soon as it is ready.',
  processing_failed: 'This answer could not be prepared for playback. It is still saved for the interviewer.',
  not_found: 'This answer could not be found.',
  token_expired: 'This interview link has expired, so the answer cannot be played.',
  bad_token: 'This interview link is not valid, so the answer cannot be played.',
  network: 'The answer could not be loaded. Please check your connection and press Watch again.',
  other: 'The answer cannot be played right now. Please try again in a moment.',
};

// ---- the practice question (practice.js)

export const PRACTICE_TEXT = {
  offer: 'Practise first',
  progress: 'Practice question (not counted)',
  intro: 'This is a practice question: nobody sees this answer and it does not count.',
  again: 'Practise again',
  start: 'Start the interview',
  takesTitle: 'Your practice answers',
  recorded: 'Practice answer recorded — start the interview when you are ready.',
  overviewFact: 'Practice question',
  overviewValue: 'Yes, before question 1 (not counted)',
};
