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
