// Words of the room page: what each error code says to the person, the
// names of roles, the connection grades, and the timer's text.  No state, no DOM.

// Errors after which reconnecting cannot help (the page stops and says why).
export const FATAL_CODES = new Set(['bad_token', 'token_expired', 'token_not_yet_valid',
  'token_wrong_session', 'forbidden_join', 'wrong_company', 'room_not_found', 'room_ended', 'replaced']);

export const ERROR_TEXT = {
  bad_token: 'This interview link is not valid. Please open the link exactly as you received it.',
  token_expired: 'This interview link has expired. Please ask the person who invited you for a new link.',
  token_not_yet_valid: 'This interview room is not open yet. Please come back shortly before the scheduled time.',
  token_wrong_session: 'This link does not belong to this interview room. Please open the link exactly as you received it.',
  forbidden: 'You are not allowed to do that in this interview.',
  forbidden_join: 'You are not allowed to join this interview room.',
  wrong_company: 'This interview belongs to another company: your account cannot watch it.',
  room_not_found: 'This interview room could not be found. Please check the link.',
  room_ended: 'This interview has already ended.',
  replaced: 'The interview was opened in another tab or window, so it was closed here. Reload this page to continue here.',
  not_published: 'A video is not available yet. Trying again…',
  bad_sdp: 'Your browser and the server could not agree on a video connection. Please reload the page.',
  bad_candidate: 'A network address of your browser was refused. If video does not start, please reload the page.',
  not_joined: 'The connection to the room was not ready. Reconnecting…',
  already_joined: 'This page is already in the room.',
  internal: 'Something went wrong on our side. Please try again in a moment.',
};

export const ROLE_TEXT = { interviewer: 'Interviewer', candidate: 'Candidate', observer: 'Observer' };

/** good | fair | poor from a `quality` entry. */
export function gradeQuality(q) {
  const loss = Number(q.lossPercent) || 0;
  const rtt = Number(q.rttMs) || 0;
  if (loss < 2 && rtt < 250) return 'good';
  if (loss < 8 && rtt < 600) return 'fair';
  return 'poor';
}

export const GRADE_TEXT = { good: 'Good', fair: 'Fair', poor: 'Poor' };

/** ISO text or unix ms as ms since the epoch (NaN if neither). */
export function toEpochMs(value) {
  if (typeof value === 'number') return value;
  return typeof value === 'string' ? Date.parse(value) : NaN;
}

/** "12:05 / 45:00" (elapsed against the scheduled duration). */
export function timerText(elapsedMs, durationMinutes) {
  const clock = (ms) => {
    const total = Math.max(0, Math.floor(ms / 1000));
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = String(total % 60).padStart(2, '0');
    return h ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
  };
  return durationMinutes ? `${clock(elapsedMs)} / ${clock(durationMinutes * 60000)}` : clock(elapsedMs);
}
