// The candidate page's first screen: the interview's overview, asked from
// GET /api/v1/candidate/session with the link's token as the page loads, so a
// bad, expired, unknown or finished link is said at once, before any camera
// is opened.  A good link shows the title, the company, the questions, the
// times and retakes and how it works, with a button to go on to the device
// check.  No camera, no WebSocket here: candidate.js does those after.

import { OVERVIEW_TEXT, ERROR_TEXT, PRACTICE_TEXT, describeSeconds } from './text.js';

const OVERVIEW_PATH = '/api/v1/candidate/session';

// Asks the overview with token: {overview} or {code, message} (the server's
// code; 'unreachable' when no answer came).
export async function fetchOverview(token) {
  let response;
  try {
    response = await fetch(OVERVIEW_PATH, { headers: { Authorization: `Bearer ${token}` }, cache: 'no-store' });
  } catch {
    return { code: 'unreachable', message: OVERVIEW_TEXT.unreachable };
  }
  const body = await response.json().catch(() => ({}));
  if (response.ok) return { overview: body };
  const code = body.code || 'internal';
  return { code, message: OVERVIEW_TEXT[code] || ERROR_TEXT[code] || ERROR_TEXT.internal };
}

function addFact(list, label, value) {
  const term = document.createElement('dt');
  term.textContent = label;
  const detail = document.createElement('dd');
  detail.textContent = value;
  list.append(term, detail);
}

// Fills the overview screen (#screen-overview) from overview.
function fillOverview(overview) {
  const $ = (id) => document.getElementById(id);
  $('overview-title').textContent = overview.title || OVERVIEW_TEXT.defaultTitle;
  $('overview-company').textContent = overview.companyName ? OVERVIEW_TEXT.company(overview.companyName) : '';
  const facts = $('overview-facts');
  facts.replaceChildren();
  addFact(facts, OVERVIEW_TEXT.questions, String(overview.questionCount));
  addFact(facts, OVERVIEW_TEXT.answerTime, OVERVIEW_TEXT.upTo(describeSeconds(overview.answerSeconds)));
  addFact(facts, OVERVIEW_TEXT.thinkTime, overview.thinkSeconds > 0 ? describeSeconds(overview.thinkSeconds) : OVERVIEW_TEXT.none);
  addFact(facts, OVERVIEW_TEXT.retakes, OVERVIEW_TEXT.retakesCount(overview.maxRetakes));
  if (overview.practice) addFact(facts, PRACTICE_TEXT.overviewFact, PRACTICE_TEXT.overviewValue);
  const steps = $('overview-steps');
  steps.replaceChildren(...OVERVIEW_TEXT.steps(overview).map((text) => {
    const item = document.createElement('li');
    item.textContent = text;
    return item;
  }));
}

// Shows the overview screen and resolves once the candidate continues to the
// device check: {overview} (at once for a session already started); or at
// once {code, message} if the link is refused (the caller shows it as the
// final screen).
export async function runOverview(token) {
  const answer = await fetchOverview(token);
  if (!answer.overview) return answer;
  // a candidate who has started already saw it: straight on to the camera
  if (answer.overview.status === 'active') return answer;
  fillOverview(answer.overview);
  const screen = document.getElementById('screen-overview');
  const check = document.getElementById('screen-check');
  document.body.dataset.screen = 'overview';
  check.hidden = true;
  screen.hidden = false;
  screen.querySelector('h1').focus();
  await new Promise((resolve) => {
    document.getElementById('overview-continue').addEventListener('click', resolve, { once: true });
  });
  screen.hidden = true;
  return answer;
}
