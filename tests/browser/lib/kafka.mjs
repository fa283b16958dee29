// kafka.mjs: a private imsd-kafka-mock (librdkafka's mock cluster as a
// program, see docs/kafka.md) for one test file, and kcat to read it.
//
// Lifecycle of one KafkaMock:
//   startKafkaMock({name}) -- makes a temp dir, spawns
//                             <build>/events/mock/imsd-kafka-mock with its own
//                             --bootstrap-file and --control-socket, waits
//                             until kcat lists the contract's topics
//   .down() / .up()        -- every broker down / up (`--command "down all"`);
//                             while all are down kcat cannot read (it exits)
//   .stop()                -- SIGTERM (SIGKILL after a grace period), waits;
//                             every message is lost (memory only)
//   .shutdown()            -- stop(), then removes the temp dir unless `keep`
// Reading: consume(topic) reads a topic from the beginning to its current end
// with `kcat -C -e -J` and returns the messages with key, headers (as an
// object and as the raw list), partition, offset and payload (string);
// consumeFormat(topic, fmt) returns kcat's -f output as text.
import { spawn, execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { buildDir } from './imsd.mjs';

const run = promisify(execFile);

export const KAFKA_MOCK_BIN = process.env.IMSD_KAFKA_MOCK || path.join(buildDir, 'events', 'mock', 'imsd-kafka-mock');
export const CONTRACT_TOPICS = ['candidate-events', 'media-events', 'interview-events', 'user-events', 'auth-events'];

export class KafkaMock {
  constructor({ dir }) {
    this.dir = dir;
    this.bootstrapFile = path.join(dir, 'bootstrap');
    this.controlSocket = path.join(dir, 'control.sock');
    this.logPath = path.join(dir, 'kafka-mock.log');
    this.bootstrap = null;
    this.proc = null;
    this.exit = null;
    this.exited = null;
    this.keep = false; // set when a test failed: keep the log for a look
  }

  isAlive() {
    return Boolean(this.proc) && this.exit === null;
  }

  /** Spawns the mock, waits for its bootstrap file and for kcat to list the topics (20 s). */
  async start() {
    if (!fs.existsSync(KAFKA_MOCK_BIN)) {
      throw new Error(`no imsd-kafka-mock at ${KAFKA_MOCK_BIN} (ninja -C <build> events/mock/imsd-kafka-mock)`);
    }
    fs.rmSync(this.bootstrapFile, { force: true });
    const log = fs.openSync(this.logPath, 'a');
    this.proc = spawn(KAFKA_MOCK_BIN, ['--brokers', '3', '--bootstrap-file', this.bootstrapFile,
      '--control-socket', this.controlSocket], { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    this.exit = null;
    const proc = this.proc;
    this.exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => { this.exit = { code, signal }; resolve(this.exit); });
    });
    const deadline = Date.now() + 20000;
    while (Date.now() < deadline) {
      if (this.exit) throw new Error(`imsd-kafka-mock exited during start: ${JSON.stringify(this.exit)}\n${this.logText()}`);
      if (fs.existsSync(this.bootstrapFile)) {
        this.bootstrap = fs.readFileSync(this.bootstrapFile, 'utf8').trim();
        try {
          const { stdout } = await run('kcat', ['-L', '-b', this.bootstrap, '-m', '5'], { encoding: 'utf8', timeout: 10000 });
          if (CONTRACT_TOPICS.every((t) => stdout.includes(`topic "${t}" with 3 partitions`))) return this;
        } catch { /* not answering yet */ }
      }
      await sleep(200);
    }
    throw new Error(`imsd-kafka-mock did not list the contract's topics in time\n${this.logText()}`);
  }

  /** Sends one control line (`down all`, `status`, ...); resolves with the answer, throws on `error ...`. */
  async control(line) {
    const { stdout } = await run(KAFKA_MOCK_BIN, ['--control-socket', this.controlSocket, '--command', line],
      { encoding: 'utf8', timeout: 15000 });
    const answer = stdout.trim();
    if (!answer.startsWith('ok')) throw new Error(`imsd-kafka-mock ${line}: ${answer}`);
    return answer;
  }

  /** Every broker down; resolves once `status` says so. */
  async down() {
    await this.control('down all');
    const status = await this.control('status');
    if (status !== 'ok up - down 1,2,3') throw new Error(`after down all: ${status}`);
    return status;
  }

  /** Every broker up; resolves once `status` says so. */
  async up() {
    await this.control('up all');
    const status = await this.control('status');
    if (status !== 'ok up 1,2,3 down -') throw new Error(`after up all: ${status}`);
    return status;
  }

  /**
   * Every message of `topic`, from offset 0 of each partition to its end now:
   * [{topic, partition, offset, key, headers: {name: value}, headerList,
   * payload (string), value (parsed JSON or null)}], in partition then
   * offset order.  Throws if kcat fails (e.g. every broker is down).
   */
  async consume(topic, { timeoutMs = 30000 } = {}) {
    const { stdout } = await run('kcat', ['-C', '-b', this.bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-J'],
      { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    const messages = [];
    for (const line of stdout.split('\n')) {
      if (!line.trim()) continue;
      const m = JSON.parse(line);
      const headerList = m.headers || [];
      const headers = {};
      for (let i = 0; i + 1 < headerList.length; i += 2) {
        if (Object.hasOwn(headers, headerList[i])) headers[headerList[i]] = [].concat(headers[headerList[i]], headerList[i + 1]);
        else headers[headerList[i]] = headerList[i + 1];
      }
      let value = null;
      try { value = JSON.parse(m.payload); } catch { /* left null: the caller's schema check reports it */ }
      messages.push({ topic: m.topic, partition: m.partition, offset: m.offset, key: m.key, headers, headerList, payload: m.payload, value });
    }
    messages.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
    return messages;
  }

  /** kcat -C -e -f FORMAT output of `topic` from the beginning, as text. */
  async consumeFormat(topic, format, { timeoutMs = 30000 } = {}) {
    const { stdout } = await run('kcat', ['-C', '-b', this.bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', format],
      { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  }

  async stop(graceMs = 5000) {
    if (!this.isAlive()) return this.exit;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => { if (this.isAlive()) this.proc.kill('SIGKILL'); }, graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  async shutdown() {
    await this.stop();
    if (this.keep || process.env.IMSD_E2E_KEEP) {
      process.stderr.write(`# imsd-kafka-mock log kept in ${this.dir}\n`);
    } else {
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }

  logText() {
    try { return fs.readFileSync(this.logPath, 'utf8'); } catch { return ''; }
  }

  /**
   * The variables that point imsd at this cluster (with `properties`, also
   * [kafka] properties, librdkafka's k=v;k=v).  Besides the IMSD_KAFKA_*
   * variables it writes the same into a config file passed as IMSD_CONFIG:
   * server/config/config.c once allow-listed "IMSD_KAFKA_*" (for the scripts'
   * IMSD_KAFKA_MOCK/BROKERS) ahead of its keys and silently ignored the
   * variables; the file makes the tests independent of that.
   */
  imsdEnv({ properties } = {}) {
    const file = path.join(this.dir, properties ? 'imsd-kafka-props.conf' : 'imsd-kafka.conf');
    fs.writeFileSync(file, `[kafka]\nbootstrap_servers=${this.bootstrap}\n${properties ? `properties=${properties}\n` : ''}`);
    const env = { IMSD_KAFKA_BOOTSTRAP_SERVERS: this.bootstrap, IMSD_CONFIG: file };
    if (properties) env.IMSD_KAFKA_PROPERTIES = properties;
    return env;
  }
}

/** Starts a private imsd-kafka-mock (3 brokers, the contract's topics) in a fresh temp dir. */
export async function startKafkaMock({ name = 'kafka' } = {}) {
  // short dir: the control socket path must fit in 108 bytes
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `imsd-kafka-${name}-`));
  const kafka = new KafkaMock({ dir });
  await kafka.start();
  return kafka;
}

/**
 * Runs tests/schemas/validate.mjs on `values` (envelope JSON strings, one per
 * line on its stdin).  Resolves with {ok, output}: ok is true only if the
 * validator exited 0 (every line valid, at least one line).
 */
export async function validateEvents(repoRoot, values) {
  const script = path.join(repoRoot, 'tests', 'schemas', 'validate.mjs');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ ok: code === 0, code, output }));
    child.stdin.end(values.map((v) => v.replace(/\n/g, ' ')).join('\n') + '\n');
  });
}

// ---- checking what imsd published against its outbox table

/** The topic and key field the contract gives each event type's prefix. */
export const ROUTES = {
  'candidate.': { topic: 'candidate-events', keyField: 'sessionId' },
  'media.': { topic: 'media-events', keyField: 'userId' },
  'interview.': { topic: 'interview-events', keyField: 'userId' },
};

export function routeOf(eventType) {
  const prefix = Object.keys(ROUTES).find((p) => eventType.startsWith(p));
  return prefix ? ROUTES[prefix] : null;
}

/**
 * Compares the messages read from Kafka (consume() of each topic, concatenated)
 * with the outbox rows ({id, event_id, event_type, topic, message_key}).
 * Returns {problems: [string], duplicates: {eventId: count}, byEventId: Map,
 * counts: {eventType: distinct eventIds}}.  Problems checked:
 *   - the value parses, its eventId/eventType equal the eventId/eventType headers
 *   - each topic carries only its event types; key = payload.<keyField> = outbox.message_key
 *   - every outbox row's eventId is on Kafka; nothing on Kafka that is not in the outbox
 *   - a duplicate (same eventId twice) carries the same value and key
 *   - per key: every message in one partition, and the first occurrences'
 *     offsets in the order of outbox.id
 * `allowDuplicates` false adds each duplicate as a problem.
 */
export function checkAgainstOutbox(messages, outbox, { allowDuplicates = false } = {}) {
  const problems = [];
  const byEventId = new Map();
  for (const m of messages) {
    const where = `${m.topic}[${m.partition}]@${m.offset}`;
    if (!m.value) { problems.push(`${where}: value is not JSON: ${String(m.payload).slice(0, 200)}`); continue; }
    const { eventId, eventType, payload } = m.value;
    if (m.headers.eventId !== eventId) problems.push(`${where}: header eventId ${JSON.stringify(m.headers.eventId)} != body ${eventId}`);
    if (m.headers.eventType !== eventType) problems.push(`${where}: header eventType ${JSON.stringify(m.headers.eventType)} != body ${eventType}`);
    const route = routeOf(String(eventType));
    if (!route) { problems.push(`${where}: unknown eventType ${eventType}`); continue; }
    if (route.topic !== m.topic) problems.push(`${where}: ${eventType} on ${m.topic}, contract says ${route.topic}`);
    const want = payload && payload[route.keyField];
    if (m.key !== want) problems.push(`${where}: ${eventType} key ${JSON.stringify(m.key)} != payload.${route.keyField} ${JSON.stringify(want)}`);
    if (!byEventId.has(eventId)) byEventId.set(eventId, []);
    byEventId.get(eventId).push(m);
  }

  const duplicates = {};
  for (const [eventId, copies] of byEventId) {
    if (copies.length < 2) continue;
    duplicates[eventId] = copies.length;
    const first = copies[0];
    for (const c of copies.slice(1)) {
      if (c.payload !== first.payload || c.key !== first.key) {
        problems.push(`eventId ${eventId}: copies differ: ${first.topic}[${first.partition}]@${first.offset} vs ${c.topic}[${c.partition}]@${c.offset}`);
      }
    }
    if (!allowDuplicates) {
      problems.push(`eventId ${eventId} (${first.value.eventType}) appears ${copies.length} times: ` +
        copies.map((c) => `${c.topic}[${c.partition}]@${c.offset}`).join(', '));
    }
  }

  const outboxIds = new Set(outbox.map((r) => r.event_id));
  for (const [eventId, copies] of byEventId) {
    if (!outboxIds.has(eventId)) problems.push(`eventId ${eventId} (${copies[0].value.eventType}) is on Kafka but not in the outbox`);
  }
  const groups = new Map();
  for (const row of [...outbox].sort((a, b) => Number(a.id) - Number(b.id))) {
    const copies = byEventId.get(row.event_id);
    if (!copies) { problems.push(`outbox row ${row.id} ${row.event_type} ${row.event_id} is not on Kafka`); continue; }
    const first = copies[0];
    if (first.topic !== row.topic) problems.push(`outbox row ${row.id}: topic ${row.topic}, on Kafka in ${first.topic}`);
    if (first.key !== row.message_key) problems.push(`outbox row ${row.id}: key ${row.message_key}, on Kafka ${first.key}`);
    if (first.value.eventType !== row.event_type) problems.push(`outbox row ${row.id}: type ${row.event_type}, on Kafka ${first.value.eventType}`);
    const g = `${row.topic} ${row.message_key}`;
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g).push({ row, copies });
  }
  for (const [g, list] of groups) {
    const partitions = new Set(list.flatMap((e) => e.copies.map((c) => c.partition)));
    if (partitions.size !== 1) problems.push(`key ${g}: spread over partitions ${[...partitions]}`);
    for (let i = 1; i < list.length; i++) {
      const a = list[i - 1];
      const b = list[i];
      if (!(b.copies[0].offset > a.copies[0].offset)) {
        problems.push(`key ${g}: outbox ${a.row.id} (${a.row.event_type}) is at offset ${a.copies[0].offset} but the later ` +
          `outbox ${b.row.id} (${b.row.event_type}) at ${b.copies[0].offset}`);
      }
    }
  }

  const counts = {};
  for (const copies of byEventId.values()) {
    const t = copies[0].value.eventType;
    counts[t] = (counts[t] || 0) + 1;
  }
  return { problems, duplicates, byEventId, counts };
}
