// The connection-lost notice: while the page has an interview but no live
// connection to the server (socket closed, reconnecting), it says so and what
// happens to the answer, instead of a "Recording" badge and a running clock
// that would pretend all is well.

import { CONNECTION_LOST_TITLE, CONNECTION_LOST_TEXT } from './text.js';

/**
 * Shows or hides the notice.  lost: interview joined, connection wanted, not
 * online.  wasRecording: the last state the server sent was `recording`.
 */
export function renderConnectionLost(ui, lost, wasRecording) {
  ui.connectionLost.hidden = !lost;
  if (!lost) return;
  ui.connectionTitle.textContent = CONNECTION_LOST_TITLE;
  ui.connectionText.textContent = wasRecording ? CONNECTION_LOST_TEXT.recording : CONNECTION_LOST_TEXT.other;
}
