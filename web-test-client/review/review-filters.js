// review-filters.js: the session list's filters (the form #filters):
// status, interview, created from / to (days, the page's time zone, both
// included), a part of the candidate's e-mail, and the sort order.
//
//   initFilters(onChange) -> wires the form; onChange() after any change
//   addFilters(query)     -> sets the GET /api/v1/review/sessions parameters
//                            (URLSearchParams) of the filters set
//   filterValues()        -> {status, interviewId, from, to, candidateEmail, sort}

const $ = (id) => document.getElementById(id);

/** The ISO time of local midnight of day ("YYYY-MM-DD"), plus days; '' if none. */
function dayStart(day, plusDays = 0) {
  if (!day) return '';
  const [y, m, d] = day.split('-').map(Number);
  const t = new Date(y, m - 1, d + plusDays);
  return Number.isNaN(t.getTime()) ? '' : t.toISOString();
}

export function filterValues() {
  return {
    status: $('filter-status').value,
    interviewId: $('filter-interview').value.trim(),
    from: dayStart($('filter-from').value),
    to: dayStart($('filter-to').value, 1), // the API's "to" is exclusive: the day after
    candidateEmail: $('filter-email').value.trim(),
    sort: $('filter-sort').value,
  };
}

export function addFilters(query) {
  for (const [name, value] of Object.entries(filterValues())) {
    if (value && !(name === 'sort' && value === 'newest')) query.set(name, value);
  }
}

export function initFilters(onChange) {
  const form = $('filters');
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    onChange();
  });
  // selects and dates apply at once; the text boxes on Enter or when left
  form.addEventListener('change', () => onChange());
}
