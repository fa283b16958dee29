// fidelity-aiortc.test.mjs: the fidelity checks with a second, independent
// sender (tests/fidelity/sender.py: aiortc, Debian's python3-aiortc, playing
// the fidelity media from one container, so its own A/V offset is 0), clean
// network, straight to imsd (no relay).  Run by CI (scripts/test.sh runs every
// tests/browser/ file) and by tests/fidelity/run.sh --aiortc.  Same checks as
// fidelity.test.mjs (checkTake in lib/fidelity-checks.mjs), all enforced; the
// figures go to IMSD_FIDELITY_RESULTS like the browser's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startImsd, withLogOnFailure, repoRoot } from './lib/imsd.mjs';
import { takeRows } from './lib/db.mjs';
import { makeMedia, analyzeTake } from './lib/fidelity.mjs';
import { checkTake } from './lib/fidelity-checks.mjs';

const TAKE_SECONDS = Number(process.env.IMSD_FIDELITY_TAKE_SECONDS || 10);

let imsd;
let media;

before(async () => {
  media = await makeMedia({ seconds: 20 });
  media.nut = path.join(media.dir, 'media.nut');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', media.y4m, '-i', media.wav, '-map', '0:v', '-map', '1:a',
    '-c', 'copy', media.nut]);
  imsd = await startImsd({ name: 'fidelity_aiortc' });
});

after(async () => {
  if (imsd) await imsd.shutdown();
  if (media) fs.rmSync(media.dir, { recursive: true, force: true });
});

test('fidelity (aiortc sender): clean', { timeout: TAKE_SECONDS * 1000 + 90000 }, async () => {
  const session = await imsd.createSession({
    thinkSeconds: 30, maxRetakes: 0,
    questions: [{ id: 'q1', text: 'aiortc', timeLimitSeconds: 60 }],
  });
  await withLogOnFailure(imsd, async () => {
    const url = `ws://127.0.0.1:${imsd.port}/ws`;
    const out = await new Promise((resolve) => {
      execFile('/usr/bin/python3', [path.join(repoRoot, 'tests/fidelity/sender.py'), '--url', url,
        '--session', session.sessionId, '--token', session.token, '--media', media.nut,
        '--seconds', String(TAKE_SECONDS)], { timeout: TAKE_SECONDS * 1000 + 80000, encoding: 'utf8' },
      (err, stdout, stderr) => resolve({ stdout, stderr }));
    });
    const line = out.stdout.trim().split('\n').pop() || '{}';
    const sent = JSON.parse(line);
    assert.equal(sent.ok, true, `sender.py: ${line}\n${out.stderr.slice(-2000)}`);
    const row = (await takeRows(imsd, session.sessionId)).find((r) => r.question_idx === 0 && r.number === 1);
    assert.ok(row && fs.existsSync(row.path), `take written: ${JSON.stringify(row)}`);
    // aiortc counts frames from the take's start; the file starts on a keyframe:
    // judged over the file's span like the browser (no sender drops: aiortc encodes every frame)
    let report = await analyzeTake(row.path, media);
    report = await analyzeTake(row.path, media, report.frames.span);
    for (const m of report.sync.marks) {
      m.senderOffsetMs = 0;
      m.senderWhiteFrames = 1;
      m.errorMs = m.offsetMs;
    }
    const failed = checkTake(report, { takeMs: TAKE_SECONDS * 1000 });
    const fig = {
      condition: 'aiortc-clean', loadAverage: Math.round(os.loadavg()[0] * 10) / 10,
      framesWritten: report.frames.distinct, framesSent: report.frames.framesSent,
      framesCountedBySender: sent.framesSent, writtenPerSent: report.frames.writtenPerSent,
      missing: report.frames.missing, missingRanges: report.frames.missingRanges,
      offsetsMs: report.sync.marks.map((m) => m.offsetMs), offsetErrorsMs: report.sync.marks.map((m) => m.errorMs),
      timelineMaxDeviationMs: report.timeline.maxDeviationMs,
      videoStrictlyIncreasing: report.timestamps.video.strictlyIncreasing,
      audioStrictlyIncreasing: report.timestamps.audio.strictlyIncreasing,
      videoLargestGapMs: report.timestamps.video.largestGapMs, audioLargestGapMs: report.timestamps.audio.largestGapMs,
      failedChecks: Object.keys(failed),
    };
    process.stdout.write(`# fidelity ${JSON.stringify(fig)}\n`);
    if (process.env.IMSD_FIDELITY_RESULTS) fs.appendFileSync(process.env.IMSD_FIDELITY_RESULTS, `${JSON.stringify(fig)}\n`);
    assert.deepEqual(Object.entries(failed).map(([g, v]) => `${g}: ${v.join('; ')}`), [], JSON.stringify(fig));
  });
});
