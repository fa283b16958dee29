// readyz.test.mjs: /readyz follows PostgreSQL, S3 and Kafka within seconds,
// with the time of every check and the last error with its time, cleared
// once the service is back.
//
// A private PostgreSQL (lib/postgres.mjs), a private s3rver, a private
// imsd-kafka-mock (3 brokers) and one imsd; no browser.  Every answer is
// checked against docs/openapi.yaml.  Bounds (from the service's change to
// the first /readyz that shows it, sampled every 100 ms; the change counts
// from the moment the test asks for it, a return from the moment the
// service answers again):
//   S3 stopped / started again:      3.5 s (ping every 2 s, every 1 s while failing)
//   Kafka `down all` / `up all`:     6 s   (metadata probe every 3 s, every 1 s while
//                                            failing, each waits up to 2 s; the
//                                            brokers stay down 20 s)
//   PostgreSQL stopped:              5 s   (idle ping every 2 s, the relay reads every 1 s)
//   PostgreSQL started again:        8 s   (reconnect backoff up to 5 s)
// Each case: the state, summary and HTTP status; lastError's message and
// time (after the outage began), clearedAt null while down and set after;
// checkedAt advancing while down; outboxPending "unknown" while PostgreSQL
// is away, a count otherwise.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

import { startImsd, withLogOnFailure } from './lib/imsd.mjs';
import { startS3rver } from './lib/s3.mjs';
import { startKafkaMock } from './lib/kafka.mjs';
import { startPostgres } from './lib/postgres.mjs';
import { loadOpenApi } from './lib/openapi.mjs';

const KAFKA_OUTAGE_MS = 20000;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

let pg;
let s3;
let kafka;
let imsd;
let contract;

before(async () => {
  contract = await loadOpenApi();
  pg = await startPostgres({ name: 'readyz' });
  s3 = await startS3rver({ name: 'readyz' });
  kafka = await startKafkaMock({ name: 'readyz' });
  imsd = await startImsd({
    name: 'readyz',
    databaseUrl: pg.url,
    env: { ...s3.imsdEnv({ keyPrefix: 'readyz' }), ...kafka.imsdEnv() },
  });
});

after(async () => {
  if (kafka && kafka.isAlive()) await kafka.up().catch(() => {});
  const services = [s3, kafka].filter(Boolean);
  if (imsd && imsd.failed) for (const service of services) service.keep = true;  // their logs
  if (imsd) await imsd.shutdown();
  for (const service of services) await service.shutdown();
  if (pg) pg.shutdown();
});

/** GET /readyz, checked against the spec. */
async function readyz() {
  const res = await imsd.request('GET', '/readyz', { token: null });
  contract.check('GET', '/readyz', res);
  return { httpStatus: res.status, ...res.json };
}

/** Samples /readyz every 100 ms from `from` (ms) until pred holds; fails past boundMs. */
async function within(boundMs, from, what, pred) {
  let last;
  for (;;) {
    last = await readyz();
    const elapsed = Date.now() - from;
    if (pred(last)) {
      process.stderr.write(`# ${what}: ${elapsed} ms (bound ${boundMs} ms)\n`);
      return last;
    }
    if (elapsed > boundMs) assert.fail(`${what} not within ${boundMs} ms: ${JSON.stringify(last)}`);
    await sleep(100);
  }
}

const ms = (iso) => Date.parse(iso);

/** A check that is down since the outage began at `from`, with its error. */
function assertDown(check, from, message) {
  assert.equal(check.state, 'unavailable', JSON.stringify(check));
  assert.match(check.checkedAt, ISO);
  assert.match(check.since, ISO);
  assert.ok(ms(check.since) >= from - 50, `since is after the outage began: ${JSON.stringify(check)}`);
  assert.ok(check.lastError, JSON.stringify(check));
  assert.match(check.lastError.message, message);
  assert.match(check.lastError.at, ISO);
  assert.ok(ms(check.lastError.at) >= from - 50, `the error's time is after the outage began: ${JSON.stringify(check)}`);
  assert.equal(check.lastError.clearedAt, null, JSON.stringify(check));
}

/** A check that is ok again after the service came back at `back`, the outage's error marked past. */
function assertBack(check, back, message) {
  assert.equal(check.state, 'ok', JSON.stringify(check));
  assert.ok(ms(check.checkedAt) >= back - 50, JSON.stringify(check));
  assert.ok(ms(check.since) >= back - 50, `since: back up: ${JSON.stringify(check)}`);
  assert.match(check.lastError.message, message);
  assert.match(check.lastError.clearedAt, ISO);
  assert.ok(ms(check.lastError.clearedAt) >= ms(check.lastError.at), JSON.stringify(check));
}

test('every check is ok, checked within seconds, with no error', { timeout: 30000 }, async () => {
  await withLogOnFailure(imsd, async () => {
    const r = await within(6000, Date.now(), 'every check ok and checked', (x) =>
      Object.values(x.details).every((c) => c.state === 'ok' && c.checkedAt) && typeof x.events.outboxPending === 'number');
    assert.equal(r.httpStatus, 200);
    assert.deepEqual(r.checks, { database: 'ok', spool: 'ok', storage: 'ok' });
    assert.equal(r.events.kafka, 'ok');
    for (const [name, check] of Object.entries(r.details)) {
      assert.match(check.checkedAt, ISO, name);
      assert.ok(Math.abs(Date.now() - ms(check.checkedAt)) < 6000, `${name} checked lately: ${check.checkedAt}`);
      assert.equal(check.lastError, null, `${name}: ${JSON.stringify(check)}`);
    }
    assert.equal(r.events.outboxPending, 0);
    // idle, the checks go on: every checkedAt moves within a few seconds
    await sleep(3500);
    const later = await readyz();
    for (const name of ['database', 'storage', 'kafka', 'spool']) {
      assert.ok(ms(later.details[name].checkedAt) > ms(r.details[name].checkedAt),
        `${name} checked again while idle: ${r.details[name].checkedAt} -> ${later.details[name].checkedAt}`);
    }
  });
});

test('S3 stopped and started again: storage follows within 3.5 s', { timeout: 60000 }, async () => {
  await withLogOnFailure(imsd, async () => {
    const downAt = Date.now();
    await s3.stop();
    const down = await within(3500, downAt, 'S3 down shown', (x) => x.details.storage.state === 'unavailable');
    assert.equal(down.httpStatus, 503);
    assert.equal(down.status, 'not_ready');
    assert.equal(down.checks.storage, 'unreachable');
    assertDown(down.details.storage, downAt, /list bucket|imsd|connect|refused/i);
    await sleep(2500);
    const still = await readyz();
    assert.ok(ms(still.details.storage.checkedAt) > ms(down.details.storage.checkedAt), 'S3 probed again while down');

    const upAt = Date.now();
    await s3.start();
    const up = await within(3500, Date.now(), 'S3 back shown', (x) => x.details.storage.state === 'ok');
    assert.equal(up.httpStatus, 200);
    assert.equal(up.checks.storage, 'ok');
    assertBack(up.details.storage, upAt, /list bucket|imsd|connect|refused/i);
  });
});

test('Kafka brokers down and up: kafka follows within 6 s, imsd stays ready', { timeout: 60000 }, async () => {
  await withLogOnFailure(imsd, async () => {
    const downAt = Date.now();
    await kafka.down();
    const down = await within(6000, downAt, 'Kafka down shown', (x) => x.details.kafka.state === 'unavailable');
    assert.equal(down.httpStatus, 200, 'Kafka down does not make imsd unready');
    assert.equal(down.events.kafka, 'unreachable');
    assertDown(down.details.kafka, downAt, /Kafka|broker|down|timed out|transport/i);
    // a long outage: librdkafka's reconnect backoff grows (up to reconnect.backoff.max.ms)
    await sleep(Math.max(0, KAFKA_OUTAGE_MS - (Date.now() - downAt)));
    const still = await readyz();
    assert.equal(still.details.kafka.state, 'unavailable');
    assert.ok(ms(still.details.kafka.checkedAt) > ms(down.details.kafka.checkedAt), 'Kafka probed again while down');

    const upAt = Date.now();
    await kafka.up();
    // no event is produced meanwhile: only the probe can see the brokers return
    const up = await within(6000, Date.now(), 'Kafka back shown', (x) => x.details.kafka.state === 'ok');
    assert.equal(up.events.kafka, 'ok');
    assert.equal(up.events.inFlight, 0);
    assertBack(up.details.kafka, upAt, /Kafka|broker|down|timed out|transport/i);
  });
});

test('PostgreSQL stopped and started again: database follows, outboxPending unknown meanwhile',
  { timeout: 60000 }, async () => {
    await withLogOnFailure(imsd, async () => {
      const downAt = Date.now();
      pg.stop();
      const down = await within(5000, downAt, 'PostgreSQL down shown', (x) => x.details.database.state === 'unavailable');
      assert.equal(down.httpStatus, 503);
      assert.equal(down.checks.database, 'unreachable');
      assert.equal(down.events.outboxPending, 'unknown');
      assertDown(down.details.database, downAt, /PostgreSQL|connect|server|refused|terminat/i);
      assert.match(down.database.lastError, /./);
      assert.ok(ms(down.database.lastErrorAt) >= downAt - 50, JSON.stringify(down.database));

      const upAt = Date.now();
      pg.start();
      const up = await within(8000, Date.now(), 'PostgreSQL back shown', (x) =>
        x.details.database.state === 'ok' && typeof x.events.outboxPending === 'number');
      assert.equal(up.httpStatus, 200);
      assert.equal(up.checks.database, 'ok');
      assert.equal(up.events.outboxPending, 0);
      assertBack(up.details.database, upAt, /PostgreSQL|connect|server|refused|terminat/i);
    });
  });
