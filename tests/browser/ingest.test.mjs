// ingest.test.mjs: the ingest pipeline alone against real Chromium, for each
// codec it accepts (the server tests mostly see H.264, which the page
// prefers).  Runs tests/tools/ingest-harness (the C pipeline, no server)
// through ingest-harness.mjs: two takes per codec, each checked with
// take-probe (audio + video, keyframe first, duration, the browser's size).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const build = path.resolve(here, '../..', process.env.IMSD_BUILD_DIR || 'build');

function runHarness(codec) {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(here, 'ingest-harness.mjs'), '--build', build,
      '--codec', codec, '--takes', '2', '--seconds', '3'],
    { timeout: 120000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? (error.code ?? 1) : 0, output: `${stdout}\n${stderr}` });
    });
  });
}

for (const codec of ['h264', 'vp8']) {
  test(`ingest records ${codec} takes from Chromium`, { timeout: 150000 }, async () => {
    const { code, output } = await runHarness(codec);
    const summary = output.match(/^(\d+) passed, (\d+) failed$/m);
    assert.ok(summary, `the harness printed its summary:\n${output.slice(-3000)}`);
    assert.equal(Number(summary[2]), 0, `no harness check failed:\n${output.slice(-3000)}`);
    assert.ok(Number(summary[1]) >= 20, `the harness ran its checks (${summary[1]})`);
    assert.equal(code, 0, output.slice(-3000));
  });
}
