// Finishing early: the "Finish interview now" confirmation and the count of
// answered questions both it and the final screen state.
//
// A question is answered when the server has confirmed a completed take of it
// (state.takes, status "completed"); clicks count for nothing, so the dialog
// and the final screen say only what the server really keeps.
//
// The dialog is a native <dialog> opened with showModal(): the browser makes it
// modal (aria-modal), moves focus into it and closes it on Escape (cancel).

import { finishConfirmText } from './text.js';

/** Questions with at least one completed take in `state` (0 without a state). */
export function answeredCount(state) {
  if (!state || !Array.isArray(state.takes)) return 0;
  const answered = new Set();
  for (const t of state.takes) {
    if (t.status === 'completed' && t.questionIndex >= 0) answered.add(t.questionIndex); // not the practice
  }
  return answered.size;
}

/**
 * Wires the dialog: open(state) fills in what will be kept and shows it;
 * Finish calls onConfirm(), Cancel or Escape close it and nothing is sent.
 */
export function finishDialog(dialog, onConfirm) {
  const text = dialog.querySelector('#finish-text');
  const cancel = dialog.querySelector('#finish-cancel');
  const confirm = dialog.querySelector('#finish-confirm');
  cancel.addEventListener('click', () => dialog.close('cancel'));
  confirm.addEventListener('click', () => {
    dialog.close('finish');
    onConfirm();
  });
  return {
    open(state) {
      if (!state || dialog.open) return;
      text.textContent = finishConfirmText(answeredCount(state), state.questionCount || 0,
        state.phase === 'recording');
      dialog.showModal();
      cancel.focus();
    },
    close() {
      if (dialog.open) dialog.close('cancel');
    },
  };
}
