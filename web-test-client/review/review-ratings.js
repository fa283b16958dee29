// review-ratings.js: the recruiter's rating of one take on the review page
// (docs/review-api.md "Per-answer ratings").
//
// Each take of the open session gets a form (hooked in through
// review-takes.js's extra(take)): a radio group 1-5 under the legend "Your
// rating", a note, and Save.  The form starts with the signed-in recruiter's
// own rating from the session detail's take.ratings; Save PUTs it and says
// "Saved" only once the server answered 200, any refusal as a sentence.
// While the recruiter has a saved rating, "Remove my rating" DELETEs it and
// says "Removed" once the server answered 200 (the form is then empty).
// Under it, the other recruiters of the company's ratings of the take.
//
//   tokenSubject(token)                       -> the token's sub (who "I" am), or ''
//   ratingForm(take, {token, me, onSignedOut}) -> the <form> of take's rating;
//     onSignedOut() is called when the server answers 401.

const API = '/api/v1/review';
const MAX_NOTE = 2000; // the server's limit (note_too_long above it)

// the sentence shown for a refused save, by the server's error code
const SAVE_ERRORS = {
  invalid_rating: 'Choose a rating from 1 to 5.',
  note_too_long: `The note is too long: at most ${MAX_NOTE} characters.`,
  invalid_request: 'The note could not be read. Please change it and try again.',
  bad_json: 'The rating could not be sent. Please try again.',
  not_found: 'This answer does not exist or is not available to you.',
  forbidden: 'Only a recruiter can rate answers.',
  unauthorized: 'Your sign-in is not valid or has expired.',
};

/**
 * The sub claim of a JWT (the recruiter's e-mail), or '' when it cannot be
 * read.  Only used to tell the recruiter's own rating from the others': the
 * server decides who may rate what.
 */
export function tokenSubject(token) {
  try {
    const part = (token || '').split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part)).sub || '';
  } catch {
    return '';
  }
}

/** A new <tag> of class className holding text (if given). */
function element(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

/** "ana@b.test: 4/5 — clear answer" (the note left out when empty). */
function ratingLine(r) {
  const text = `${r.recruiter}: ${r.rating}/5`;
  return r.note ? `${text} — ${r.note}` : text;
}

/** The list of the other recruiters' ratings of the take. */
function othersList(others) {
  const box = element('div', 'other-ratings');
  if (others.length === 0) {
    box.append(element('p', 'muted', 'No other recruiter has rated this answer.'));
    return box;
  }
  box.append(element('p', 'other-ratings-title', 'Other recruiters'));
  const list = element('ul');
  for (const r of others) list.append(element('li', '', ratingLine(r)));
  box.append(list);
  return box;
}

/** The 1-5 radio group, with mine (if any) checked. */
function ratingChoices(take, mine) {
  const fieldset = element('fieldset', 'rating-choices');
  fieldset.append(element('legend', '', 'Your rating'));
  for (let n = 1; n <= 5; n++) {
    const label = element('label', 'rating-choice');
    const input = document.createElement('input');
    input.type = 'radio';
    input.name = `rating-${take.id}`;
    input.value = String(n);
    input.checked = mine?.rating === n;
    label.append(input, ` ${n}`);
    fieldset.append(label);
  }
  return fieldset;
}

/**
 * Sends method (PUT with {rating, note}, or DELETE) to take's rating;
 * resolves {done, status, message}: the sentence to show (done sentence once
 * the server answered 200).  Never throws: a network failure is a sentence
 * too.
 */
async function sendRating(take, method, body, token, done) {
  let res;
  try {
    res = await fetch(`${API}/takes/${encodeURIComponent(take.id)}/rating`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    return { done: false, status: 0, message: 'The server could not be reached. Check your connection and try again.' };
  }
  if (res.ok) return { done: true, status: res.status, message: done };
  let code = res.status === 401 ? 'unauthorized' : '';
  try {
    code = (await res.json()).code || code;
  } catch { /* no JSON body: the status decides */ }
  const what = method === 'DELETE' ? 'removed' : 'saved';
  const message = SAVE_ERRORS[code] || `The rating was not ${what} (error ${res.status}). Please try again.`;
  return { done: false, status: res.status, message };
}

/** The rating form of take (see the file comment). */
export function ratingForm(take, { token, me, onSignedOut } = {}) {
  const ratings = take.ratings || [];
  const mine = ratings.find((r) => r.recruiter === me);
  const form = element('form', 'rating');
  form.dataset.takeId = take.id;
  form.noValidate = true; // refusals are shown as this form's sentences

  const noteId = `rating-note-${take.id}`;
  const noteLabel = element('label', 'rating-note-label', 'Note');
  noteLabel.htmlFor = noteId;
  const note = element('textarea', 'rating-note');
  note.id = noteId;
  note.rows = 2;
  note.maxLength = MAX_NOTE;
  note.value = mine?.note || '';

  const save = element('button', 'secondary rating-save', 'Save rating');
  save.type = 'submit';
  const remove = element('button', 'secondary rating-remove', 'Remove my rating');
  remove.type = 'button';
  remove.hidden = !mine;
  const status = element('p', 'rating-status');
  status.setAttribute('role', 'status');
  status.setAttribute('aria-live', 'polite');
  const buttons = element('div', 'rating-buttons');
  buttons.append(save, remove);

  form.append(ratingChoices(take, mine), noteLabel, note, buttons, status,
    othersList(ratings.filter((r) => r.recruiter !== me)));

  const show = (text, className) => { status.textContent = text; status.className = `rating-status ${className}`; };
  // sends the request, the buttons disabled meanwhile; resolves whether it was done
  const send = async (method, body, busy, done) => {
    save.disabled = remove.disabled = true;
    show(busy, '');
    const result = await sendRating(take, method, body, token, done);
    save.disabled = remove.disabled = false;
    show(result.message, result.done ? 'saved' : 'error');
    if (result.status === 401 && onSignedOut) onSignedOut();
    return result.done;
  };
  form.addEventListener('input', () => show('', ''));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const chosen = form.querySelector(`input[name="rating-${CSS.escape(take.id)}"]:checked`);
    if (!chosen) {
      show(SAVE_ERRORS.invalid_rating, 'error');
      return;
    }
    if (await send('PUT', { rating: Number(chosen.value), note: note.value }, 'Saving…', 'Saved')) remove.hidden = false;
  });
  remove.addEventListener('click', async () => {
    if (!(await send('DELETE', undefined, 'Removing…', 'Removed'))) return;
    remove.hidden = true;
    for (const input of form.querySelectorAll('input[type=radio]')) input.checked = false;
    note.value = '';
  });
  return form;
}
