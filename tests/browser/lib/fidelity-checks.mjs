// fidelity-checks.mjs: issue 9's expectations on a take measured by
// tests/fidelity/analyze.py (docs/fidelity.md), shared by the fidelity tests
// of every sender.  The caller adds to each sync mark the sender's own offset
// at that flash (senderOffsetMs), errorMs (file offset - sender's) and
// senderWhiteFrames.

export const MAX_OFFSET_MS = 40;
export const MIN_WRITTEN_PER_SENT = 0.995;
// not 40: the fake camera's own capture jitter reaches ~35-47 ms on a busy 2-core machine
export const MAX_TIMELINE_DEVIATION_MS = 100;

/**
 * Issue 9's expectations on one analyzed take, by group: {group: [what
 * failed]} (empty object: all hold).  Groups: sync, frames, order,
 * timeline, timestamps.  takeMs: how long the take was recorded;
 * minWrittenPerSent and flashesLost: for a condition that loses frames on
 * purpose (default MIN_WRITTEN_PER_SENT, and 0 flashes whose frames are not
 * in the file: as many beeps may then have no flash).
 */
export function checkTake(report, { takeMs, minWrittenPerSent = MIN_WRITTEN_PER_SENT, flashesLost = 0 }) {
  const failed = {};
  const fail = (group, text) => { (failed[group] = failed[group] || []).push(text); };
  const sync = report.sync;
  const expectedMarks = Math.floor(takeMs / 2000) - 1 - flashesLost;
  if (sync.marks.length < expectedMarks) fail('sync', `${sync.marks.length} flashes in the file, expected >= ${expectedMarks}`);
  if (sync.flashesWithoutBeep) fail('sync', `${sync.flashesWithoutBeep} flash(es) without a beep`);
  if (sync.beepsWithoutFlash.length > flashesLost) fail('sync', `beep(s) without a flash at ${sync.beepsWithoutFlash.join(', ')} ms`);
  for (const m of sync.marks) {
    if (m.beepCut) continue; // the take began inside this flash's beep: its onset is not in the file
    if (m.senderOffsetMs === null || m.senderOffsetMs === undefined) {
      fail('sync', `flash ${m.frame}: the browser's own offset was not measured`);
    } else if (m.errorMs === null || Math.abs(m.errorMs) > MAX_OFFSET_MS) {
      fail('sync', `flash ${m.frame} at ${m.videoMs} ms: offset ${m.offsetMs} ms vs the browser's ${m.senderOffsetMs} ms`);
    }
    if (m.senderWhiteFrames !== null && m.whiteFrames > m.senderWhiteFrames) {
      fail('order', `flash ${m.frame}: ${m.whiteFrames} white frames written, ${m.senderWhiteFrames} captured`);
    }
  }
  const f = report.frames;
  if (f.undecodable) fail('frames', `${f.undecodable} frame(s) unreadable`);
  if (!(f.writtenPerSent >= minWrittenPerSent)) fail('frames', `written / sent ${f.distinct} / ${f.framesSent} = ${f.writtenPerSent} < ${minWrittenPerSent}`);
  if (f.duplicates) fail('order', `frame(s) written twice: ${f.duplicateNumbers.join(', ')}`);
  if (f.outOfOrder) fail('order', `frame(s) out of order: ${f.outOfOrderNumbers.join(', ')}`);
  if (!(Math.abs(report.timeline.maxDeviationMs) <= MAX_TIMELINE_DEVIATION_MS)) {
    fail('timeline', `file time - sender time reaches ${report.timeline.maxDeviationMs} ms`);
  }
  for (const kind of ['video', 'audio']) {
    const t = report.timestamps[kind];
    if (!t.strictlyIncreasing) fail('timestamps', `${kind}: ${t.nonIncreasing} non-increasing timestamp(s)`);
  }
  return failed;
}
