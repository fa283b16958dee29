// partitioner.test.mjs: a key lands on the partition the platform's kafkajs
// producers choose for it (docs/kafka.md, Partitioning).
//
// A private imsd-kafka-mock (3 brokers).  tests/tools/relay-keys publishes one
// event per random UUID key through imsd's relay (events/relay.c) on
// librdkafka with imsd's producer settings, to candidate-events (3
// partitions) and to a topic the mock creates on first use (4 partitions).
// kcat reads each topic back; for every message, the partition it landed on
// must equal kafkajs's DefaultPartitioner (murmur2, Java-compatible) for the
// same key and the topic's partitions as kafkajs's admin client sees them.
// No Chromium and no imsd daemon: only the relay and Kafka.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import kafkajs from 'kafkajs';

import { buildDir } from './lib/imsd.mjs';
import { startKafkaMock } from './lib/kafka.mjs';

const { Kafka, Partitioners, logLevel } = kafkajs;
const RELAY_KEYS = path.join(buildDir, 'tests', 'relay-keys');
const KEYS = 2000;

let kafka;

before(async () => {
  kafka = await startKafkaMock({ name: 'partitioner' });
});

after(async () => {
  if (kafka) await kafka.shutdown();
});

/** Runs relay-keys: every key published (and acknowledged) to topic. */
function publishThroughRelay(topic, keys) {
  return new Promise((resolve, reject) => {
    const child = spawn(RELAY_KEYS, [kafka.bootstrap, topic], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk) => { out += chunk; });
    child.stderr.on('data', (chunk) => { out += chunk; });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`relay-keys exited ${code}: ${out}`))));
    child.stdin.end(keys.join('\n') + '\n');
  });
}

/** The topic's partitions as a kafkajs producer sees them (its partitioner's partitionMetadata). */
async function partitionMetadata(topic) {
  const admin = new Kafka({ clientId: 'partitioner-test', brokers: kafka.bootstrap.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return topics[0].partitions;
  } finally {
    await admin.disconnect();
  }
}

for (const [topic, partitions] of [['candidate-events', 3], ['partitioner-check', 4]]) {
  test(`imsd's partition of a key is kafkajs's DefaultPartitioner's (${topic}, ${partitions} partitions)`,
    { timeout: 90000 }, async () => {
      assert.ok(fs.existsSync(RELAY_KEYS), `no relay-keys at ${RELAY_KEYS} (ninja -C <build> tests/relay-keys)`);
      const keys = Array.from({ length: KEYS }, () => randomUUID());
      const out = await publishThroughRelay(topic, keys);
      assert.match(out, new RegExp(`delivered ${KEYS}\\b`));

      const metadata = await partitionMetadata(topic);
      assert.equal(metadata.length, partitions);
      const partitioner = Partitioners.DefaultPartitioner();
      const messages = await kafka.consume(topic);
      assert.equal(messages.length, KEYS);
      const seen = new Set();
      const used = new Set();
      const wrong = [];
      for (const message of messages) {
        seen.add(message.key);
        used.add(message.partition);
        const expected = partitioner({ topic, partitionMetadata: metadata, message: { key: message.key } });
        if (message.partition !== expected) wrong.push(`${message.key}: imsd ${message.partition}, kafkajs ${expected}`);
      }
      assert.equal(seen.size, KEYS, 'every key published once');
      assert.deepEqual(wrong, [], `${wrong.length} of ${KEYS} keys on another partition than kafkajs's`);
      assert.equal(used.size, partitions, 'the keys spread over every partition');
    });
}
