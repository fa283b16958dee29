// metrics.test.mjs: GET /metrics after a one-take interview in real Chromium
// against a real imsd, PostgreSQL, S3 (s3rver) and Kafka (the mock cluster).
//
// Before the candidate joins, /metrics is valid Prometheus text (promtool
// check metrics) with every take counter at 0.  The candidate then records
// one take, stops it and ends the interview; once the take is processed and
// stored, /metrics again passes promtool and its values moved: one take
// started and completed, none interrupted or failed; one join observed
// (join -> media flowing) and one stop -> playable; RTP bytes and packets of
// both kinds received; bytes uploaded to S3, no upload error; PostgreSQL and
// S3 and Kafka up; no processing job left; the outbox drained, every event's
// commit -> delivery observed.
// IMSD_METRICS_SAMPLE=<file> keeps the last scrape.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

import { startImsd, withLogOnFailure, waitFor } from './lib/imsd.mjs';
import { launchBrowser, waitForState, clickButton } from './lib/browser.mjs';
import { recordTake, stopTake } from './lib/candidate.mjs';
import { startS3rver } from './lib/s3.mjs';
import { startKafkaMock } from './lib/kafka.mjs';
import { stopStack, onCandidatePage } from './lib/stack.mjs';

let s3;
let kafka;
let imsd;
let browser;

before(async () => {
  s3 = await startS3rver({ name: 'metrics' });
  kafka = await startKafkaMock({ name: 'metrics' });
  imsd = await startImsd({ name: 'metrics', env: { ...s3.imsdEnv({ keyPrefix: 'metrics-media' }), ...kafka.imsdEnv() } });
  browser = await launchBrowser();
});

after(async () => {
  if (imsd && imsd.failed && kafka) kafka.keep = true;
  await stopStack({ browser, imsd, s3 });
  if (kafka) await kafka.shutdown();
});

/** GET /metrics: its text, after checking the status and content type. */
async function scrape() {
  const res = await imsd.request('GET', '/metrics', { token: null });
  assert.equal(res.status, 200, res.text);
  assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  return res.text;
}

/** promtool check metrics reads the text on stdin; it fails on a format error
 * and prints lint problems (names, units, help) to stderr: none allowed. */
function promtoolCheck(text) {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (run.error) throw new Error(`promtool: ${run.error.message} (scripts/install-deps.sh installs prometheus)`);
  assert.equal(run.status, 0, `promtool check metrics failed:\n${run.stdout}${run.stderr}`);
  assert.equal(`${run.stdout}${run.stderr}`.trim(), '', 'promtool reports no lint problem');
}

/** The value of one series, e.g. value(text, 'imsd_join_seconds_count') or
 * value(text, 'imsd_receive_bytes_total{kind="video"}'); throws if absent. */
function value(text, series) {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  assert.ok(line, `${series} is in /metrics`);
  return Number(line.slice(series.length + 1));
}

test('/metrics is valid Prometheus text and its values follow a one-take interview', { timeout: 150000 }, async () => {
  await withLogOnFailure(imsd, async () => {
    const before = await scrape();
    promtoolCheck(before);
    for (const name of ['started', 'completed', 'interrupted', 'failed']) {
      assert.equal(value(before, `imsd_takes_${name}_total`), 0, `imsd_takes_${name}_total before`);
    }
    assert.equal(value(before, 'imsd_join_seconds_count'), 0);
    assert.equal(value(before, 'imsd_candidates_connected'), 0);

    const session = await imsd.createSession({
      questions: [{ id: 'q1', text: 'Tell us about yourself.', timeLimitSeconds: 30 }],
      thinkSeconds: 3, maxRetakes: 0,
    });
    await onCandidatePage(browser, session.joinUrl, async (page) => {
      await waitForState(page, 's => s.questionIndex === 0 && s.mediaReady', { what: 'media ready' });
      const live = await scrape();
      assert.equal(value(live, 'imsd_candidates_connected'), 1, 'the candidate is connected');
      assert.equal(value(live, 'imsd_join_seconds_count'), 1, 'one join observed');
      assert.ok(value(live, 'imsd_join_seconds_sum') > 0, 'the join took some time');
      await recordTake(page, 0, 1);
      await sleep(3000);
      const recording = await scrape();
      assert.equal(value(recording, 'imsd_takes_started_total'), 1);
      assert.equal(value(recording, 'imsd_sessions{phase="recording"}'), 1, 'one session recording');
      await stopTake(page, 0, 1);
      await clickButton(page, 'next');
      await waitForState(page, 's => s.phase === "completed"', { what: 'completed' });
    });

    // processing: the take's original and renditions confirmed by S3
    await waitFor(async () => {
      const t = await scrape();
      return value(t, 'imsd_upload_bytes_total') > 0 &&
        value(t, 'imsd_processing_jobs{state="queued"}') === 0 &&
        value(t, 'imsd_processing_jobs{state="working"}') === 0 &&
        value(t, 'imsd_outbox_pending_events') === 0 && value(t, 'imsd_relay_in_flight_events') === 0;
    }, { timeoutMs: 60000, what: 'the take processed and stored, its events delivered' });

    const after = await scrape();
    // IMSD_METRICS_SAMPLE=<file>: keep this scrape (docs, the note)
    if (process.env.IMSD_METRICS_SAMPLE) fs.writeFileSync(process.env.IMSD_METRICS_SAMPLE, after);
    promtoolCheck(after);
    assert.equal(value(after, 'imsd_takes_started_total'), 1);
    assert.equal(value(after, 'imsd_takes_completed_total'), 1);
    assert.equal(value(after, 'imsd_takes_interrupted_total'), 0);
    assert.equal(value(after, 'imsd_takes_failed_total'), 0);
    assert.equal(value(after, 'imsd_join_seconds_count'), 1);
    assert.equal(value(after, 'imsd_take_stop_to_playable_seconds_count'), 1);
    assert.equal(value(after, 'imsd_take_stop_to_playable_seconds_bucket{le="+Inf"}'), 1);
    for (const kind of ['video', 'audio']) {
      assert.ok(value(after, `imsd_receive_bytes_total{kind="${kind}"}`) > 10000, `${kind} bytes received`);
      assert.ok(value(after, `imsd_receive_packets_total{kind="${kind}"}`) > 50, `${kind} packets received`);
    }
    assert.ok(value(after, 'imsd_plis_sent_total{kind="video"}') >= 1, 'a keyframe was asked for the take');
    assert.equal(value(after, 'imsd_upload_errors_total'), 0);
    assert.equal(value(after, 'imsd_candidates_connected'), 0, 'the page is closed');
    assert.equal(value(after, 'imsd_dependency_up{dependency="postgresql"}'), 1);
    assert.equal(value(after, 'imsd_dependency_up{dependency="s3"}'), 1);
    assert.equal(value(after, 'imsd_dependency_up{dependency="kafka"}'), 1);
    // candidate.started, interview.started, response_submitted, media.*, interview.completed, ...
    assert.ok(value(after, 'imsd_relay_delivery_seconds_count') >= 5, 'deliveries observed');
    assert.ok(value(after, 'imsd_relay_delivery_seconds_sum') > 0);
    assert.equal(value(after, 'imsd_relay_delivery_failures_total'), 0);
    assert.equal(value(after, 'imsd_outbox_oldest_unsent_age_seconds'), 0, 'nothing in flight');
    assert.equal(value(after, 'imsd_processing_retries_total{reason="storage"}'), 0);
  });
});
