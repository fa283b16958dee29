// review-completeness.js: a take's completeness record (docs/ingest.md,
// "Completeness record") in plain words for a recruiter.
//
//   completenessText(take) -> "Complete", "not measured", or what is missing,
//     e.g. "3 gaps (longest 1.2 s), 120 packets lost, A/V offset 140 ms:
//     the candidate's network"

// Lip sync is seldom noticed under ~100 ms (ITU-R BT.1359 puts the
// detectability threshold at +45/-125 ms): smaller offsets are not a problem.
const AV_OFFSET_NOTICED_MS = 100;

const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const tracksOf = (c) => [c.video, c.audio].filter(Boolean);

/** The larger of the A/V offsets at start and end (ms, absolute), 0 if unknown. */
function avOffsetMs(c) {
  const o = c.avOffsetMs;
  if (!o) return 0;
  return Math.max(Math.abs(o.start || 0), Math.abs(o.end || 0));
}

/** The sentence shown for take.completeness (null: not measured). */
export function completenessText(take) {
  const c = take && take.completeness;
  if (!c || typeof c !== 'object') return 'not measured';
  const tracks = tracksOf(c);
  const gaps = tracks.reduce((n, t) => n + ((t.gaps && t.gaps.count) || 0), 0);
  const longest = tracks.reduce((n, t) => Math.max(n, (t.gaps && t.gaps.longestMs) || 0), 0);
  const lost = tracks.reduce((n, t) => n + ((t.packets && t.packets.lost) || 0), 0);
  const dropped = tracks.reduce((n, t) => n + ((t.frames && t.frames.droppedIncomplete) || 0), 0);
  const offset = avOffsetMs(c);
  const problems = [];
  if (gaps > 0) problems.push(`${plural(gaps, 'gap')} (longest ${seconds(longest)})`);
  if (lost > 0) problems.push(`${plural(lost, 'packet')} lost`);
  if (dropped > 0) problems.push(`${plural(dropped, 'incomplete frame')} dropped`);
  if (problems.length === 0 && offset < AV_OFFSET_NOTICED_MS) return 'Complete';
  if (offset > 0) problems.push(`A/V offset ${offset} ms`);
  return `${problems.join(', ')}: the candidate's network`;
}
