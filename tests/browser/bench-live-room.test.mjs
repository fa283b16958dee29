// bench-live-room.test.mjs: bench/live-room.mjs still runs (not its timings,
// which CI never judges): one room, a 3 s window after 1 s of warm-up, on
// each server, as `node bench/live-room.mjs --servers S --rooms 1 --seconds 3
// --warmup 1 --no-build --build $IMSD_BUILD_DIR` in a child process.  It must
// exit 0 with a row that has no error, clock codes read in both directions
// (the pages' latency samples are the bench's figure, so they must exist and
// be plausible: 0 <= latency < 5 s), the server's CPU over the window and its
// RSS, and the recordings (Janus: 4 .mjr per room; imsd: 2 .mkv per room).
//
// The Janus round runs where Debian's janus and libjs-janus-gateway are
// installed (IMSD_INSTALL_BENCH=1 scripts/install-deps.sh) and is skipped
// elsewhere, saying so.  The imsd round uses its own database
// (imsd_e2e_bench_live_room) so the bench's imsd never marks another test's
// takes as cut.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { repoRoot, buildDir, getDatabaseUrl } from './lib/imsd.mjs';

const JANUS_FILES = ['/usr/bin/janus', '/usr/share/javascript/janus-gateway/janus.js'];

/** Runs the bench for one server; resolves with {code, stdout, stderr, run (its JSON)}. */
function runBench(server, extra = []) {
  const json = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'imsd-bench-smoke-')), 'run.json');
  const argv = [path.join(repoRoot, 'bench/live-room.mjs'), '--servers', server, '--rooms', '1',
                '--seconds', '3', '--warmup', '1', '--no-build', '--build', buildDir, '--json', json, ...extra];
  return new Promise((resolve) => {
    execFile(process.execPath, argv, { timeout: 240000, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      let run = null;
      try { run = JSON.parse(fs.readFileSync(json, 'utf8')); } catch { /* asserted by the caller */ }
      fs.rmSync(path.dirname(json), { recursive: true, force: true });
      resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr, run });
    });
  });
}

function checkRound(result, server, filesPerRoom) {
  const why = `${result.stderr}\n${result.stdout}`;
  assert.ok(result.run, `the bench wrote its JSON: ${why}`);
  const [row] = result.run.rows;
  assert.equal(row.error, undefined, `the round ran: ${why}`);
  assert.equal(result.code, 0, `exit status 0: ${why}`);
  assert.equal(row.server, server);
  assert.equal(row.rooms, 1);
  for (const direction of ['candidateToInterviewer', 'interviewerToCandidate']) {
    const samples = row.latency[direction];
    assert.ok(samples.length > 0, `${direction}: clock codes read in the window`);
    for (const ms of samples) assert.ok(ms >= 0 && ms < 5000, `${direction}: latency ${ms} ms is plausible`);
  }
  assert.ok(row.cpuMsPerSecond > 0, `the server's CPU over the window: ${row.cpuMsPerSecond} ms/s`);
  assert.ok(row.cpuRestMsPerSecond >= 0 && Number.isFinite(row.cpuMsPerSecondPerRoom),
    `CPU at rest ${row.cpuRestMsPerSecond} ms/s, per room ${row.cpuMsPerSecondPerRoom} ms/s`);
  assert.ok(row.rssMaxMb > 0 && row.rssMaxMb >= row.rssRestMb * 0.5, `RSS: ${row.rssRestMb} -> ${row.rssMaxMb} MB`);
  assert.ok(row.recordings >= filesPerRoom, `${row.recordings} recording files, want ${filesPerRoom}`);
  assert.match(result.stdout, new RegExp(`\\| ${server} \\| 1 \\| \\d+/\\d+ \\| \\d+/\\d+ \\|`), 'the table has the round with its latency');
}

test('bench/live-room.mjs runs a Janus VideoRoom round', async (t) => {
  const missing = JANUS_FILES.filter(f => !fs.existsSync(f));
  if (missing.length) {
    t.skip(`${missing.join(', ')} not installed (IMSD_INSTALL_BENCH=1 scripts/install-deps.sh)`);
    return;
  }
  checkRound(await runBench('janus'), 'janus', 4);
});

test('bench/live-room.mjs runs an imsd live room round', async () => {
  checkRound(await runBench('imsd', ['--database-url', getDatabaseUrl('imsd_e2e_bench_live_room')]), 'imsd', 2);
});
