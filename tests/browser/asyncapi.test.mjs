// asyncapi.test.mjs: docs/asyncapi.yaml is a valid AsyncAPI 3 document and
// says what imsd's code does.  No imsd, no broker: the document, the source
// and the C code's sample envelopes (tests/tools/emit-sample-events).
//   1. it parses and validates (@asyncapi/parser): no error, no warning
//   2. every file of events/schemas/ is referenced by it, and nothing else
//      there is
//   3. every topic of events/topic.[ch] is a channel; each produced topic's
//      key field (topic.c) is the channel's x-key-field, and its messages are
//      exactly the event types of that prefix in envelope.schema.json; each
//      consumed topic has its <topic>-dlq channel with a send operation
//   4. the headers imsd sets (events/relay.c, events/consumer.c) are the
//      documented ones, all required
//   5. every sample envelope the C builders make validates against the
//      message of its eventType, and against no other message
//   6. both producer shapes of user.deleted / user.logged_out validate
//      against their messages; one without a user id does not
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { Parser, fromFile } from '@asyncapi/parser';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

import { repoRoot, buildDir } from './lib/imsd.mjs';

const DOC = path.join(repoRoot, 'docs/asyncapi.yaml');
const SCHEMAS = path.join(repoRoot, 'events/schemas');
const EVENTS = path.join(repoRoot, 'events');
const SEVERITY = ['error', 'warning', 'info', 'hint'];

let doc;
let diagnostics;
let byName; // message name -> Message (components)

/** A validator of message's payload (its $refs resolved by the parser). */
function payloadValidator(message) {
  // one ajv per schema: the referenced files carry $id, which ajv keeps per instance
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
  addFormats(ajv);
  ajv.addKeyword('x-parser-schema-id');
  const validate = ajv.compile(message.payload().json());
  return (value) => (validate(value) ? null : ajv.errorsText(validate.errors));
}

/** Names of the `const ImsKafkaHeader headers[] = { { "name", ... }, ... }` of a source file. */
function headerNames(file) {
  const text = fs.readFileSync(path.join(EVENTS, file), 'utf8');
  const block = text.match(/ImsKafkaHeader headers\[\] = \{([\s\S]*?)\n\s*\};/);
  assert.ok(block, `${file}: no ImsKafkaHeader headers[] table`);
  return [...block[1].matchAll(/\{\s*"([^"]+)"\s*,/g)].map((m) => m[1]).sort();
}

before(async () => {
  const parser = new Parser();
  ({ document: doc, diagnostics } = await fromFile(parser, DOC).parse());
  if (doc) byName = new Map(doc.components().messages().all().map((m) => [m.name(), m]));
});

test('docs/asyncapi.yaml parses and validates with no error or warning', () => {
  const problems = diagnostics.filter((d) => d.severity <= 1)
    .map((d) => `${SEVERITY[d.severity]} ${d.code} at ${d.path.join('/')}: ${d.message}`);
  assert.deepEqual(problems, [], 'diagnostics of @asyncapi/parser');
  assert.ok(doc, 'a document');
  assert.match(doc.version(), /^3\./, 'AsyncAPI 3');
});

test('every JSON Schema of events/schemas/ is referenced, and only those', () => {
  const text = fs.readFileSync(DOC, 'utf8');
  const referenced = new Set([...text.matchAll(/\$ref: '\.\.\/events\/schemas\/([^'#]+)'/g)].map((m) => m[1]));
  const files = fs.readdirSync(SCHEMAS).filter((f) => f.endsWith('.schema.json')).sort();
  assert.ok(files.length >= 10, `schemas found: ${files}`);
  assert.deepEqual([...referenced].sort(), files);
});

test('every topic of events/topic.[ch] is a channel, with the key field and event types of topic.c', () => {
  assert.ok(doc, 'the document parsed');
  const header = fs.readFileSync(path.join(EVENTS, 'topic.h'), 'utf8');
  const topicNames = new Map([...header.matchAll(/#define (IMS_TOPIC_\w+) "([^"]+)"/g)].map((m) => [m[1], m[2]]));
  assert.ok(topicNames.size >= 5, `topics of topic.h: ${[...topicNames.values()]}`);
  const source = fs.readFileSync(path.join(EVENTS, 'topic.c'), 'utf8');
  const routes = [...source.matchAll(/\{\s*"([a-z_]+\.)",\s*(IMS_TOPIC_\w+),\s*"(\w+)"\s*\}/g)]
    .map((m) => ({ prefix: m[1], topic: topicNames.get(m[2]), keyField: m[3] }));
  assert.ok(routes.length >= 3 && routes.every((r) => r.topic), `routes of topic.c: ${JSON.stringify(routes)}`);

  const channels = new Map(doc.channels().all().map((c) => [c.address(), c]));
  for (const topic of topicNames.values()) assert.ok(channels.has(topic), `channel ${topic}`);

  const envelope = JSON.parse(fs.readFileSync(path.join(SCHEMAS, 'envelope.schema.json'), 'utf8'));
  const produced = envelope.properties.eventType.enum;
  for (const { prefix, topic, keyField } of routes) {
    const channel = channels.get(topic);
    assert.equal(channel.json()['x-key-field'], keyField, `${topic}: key field`);
    const names = channel.messages().all().map((m) => m.name()).sort();
    assert.deepEqual(names, produced.filter((t) => t.startsWith(prefix)).sort(), `${topic}: event types`);
    const operations = channel.operations().all();
    assert.deepEqual(operations.map((o) => o.action()), ['send'], `${topic}: imsd sends`);
    for (const message of channel.messages().all()) {
      assert.ok(message.bindings().has('kafka') && message.bindings().get('kafka').value().key,
        `${message.name()}: its key is described`);
    }
  }
  // what imsd reads, and where it puts what it cannot handle (ims_event_dlq_topic: <topic>-dlq)
  const consumed = doc.operations().all().filter((o) => o.action() === 'receive').map((o) => o.channels().all()[0].address());
  assert.deepEqual(consumed.sort(), [topicNames.get('IMS_TOPIC_AUTH_EVENTS'), topicNames.get('IMS_TOPIC_USER_EVENTS')].sort());
  for (const topic of consumed) {
    const dlq = channels.get(`${topic}-dlq`);
    assert.ok(dlq, `channel ${topic}-dlq`);
    assert.deepEqual(dlq.operations().all().map((o) => o.action()), ['send'], `${topic}-dlq: imsd sends`);
  }
  const groups = doc.operations().all().filter((o) => o.action() === 'receive')
    .map((o) => o.bindings().get('kafka').value().groupId.enum[0]);
  const group = header.match(/#define IMS_EVENT_CONSUMER_GROUP "([^"]+)"/)[1];
  assert.deepEqual(groups, [group, group], 'the consumer group of topic.h');
});

test('the headers imsd sets are the documented ones', () => {
  assert.ok(doc, 'the document parsed');
  const produced = byName.get('candidate.started').headers().json();
  assert.deepEqual([...produced.required].sort(), headerNames('relay.c'), 'headers of events/relay.c');
  for (const name of byName.keys()) {
    const message = byName.get(name);
    if (message.channels().all().some((c) => c.operations().all().some((o) => o.action() === 'send') &&
        !c.address().endsWith('-dlq'))) {
      assert.deepEqual(message.headers().json().required, produced.required, `${name}: produced headers`);
    }
  }
  const deadLetter = byName.get('dead-letter').headers().json();
  assert.deepEqual([...deadLetter.required].sort(), headerNames('consumer.c'), 'headers of events/consumer.c');
});

test("the C code's sample envelopes validate against their message, and no other", () => {
  assert.ok(doc, 'the document parsed');
  const tool = path.join(buildDir, 'tests/tools/emit-sample-events');
  const lines = execFileSync(tool, { encoding: 'utf8' }).trim().split('\n');
  assert.ok(lines.length >= 9, `${lines.length} sample envelopes`);
  const envelope = JSON.parse(fs.readFileSync(path.join(SCHEMAS, 'envelope.schema.json'), 'utf8'));
  const produced = envelope.properties.eventType.enum.map((type) => byName.get(type));
  assert.ok(produced.every(Boolean), 'a message for every eventType of envelope.schema.json');
  const validators = new Map(produced.map((m) => [m.name(), payloadValidator(m)]));
  const seen = new Set();
  for (const line of lines) {
    const event = JSON.parse(line);
    seen.add(event.eventType);
    assert.ok(validators.has(event.eventType), `a message for ${event.eventType}`);
    for (const [name, validate] of validators) {
      const problem = validate(event);
      if (name === event.eventType) assert.equal(problem, null, `${name}: ${line}`);
      else assert.notEqual(problem, null, `${event.eventType} must not validate as ${name}`);
    }
  }
  assert.deepEqual([...seen].sort(), [...validators.keys()].sort(), 'every produced message has samples');
});

test('consumed events: both producer shapes validate, one without a user id does not', () => {
  assert.ok(doc, 'the document parsed');
  for (const type of ['user.deleted', 'user.logged_out']) {
    const validate = payloadValidator(byName.get(type));
    const id = '7b0c9f5e-1111-4d2a-9c3e-2f1f4f7f2f10';
    const userService = { eventId: id, eventType: type, timestamp: 1728212400000, userId: 'u-1', data: { reason: 'gdpr' } };
    const gateway = { eventId: id, eventType: type, timestamp: '2025-10-06T10:00:00.000Z', version: '1.0', source: 'api-gateway', payload: { userId: 'u-1' } };
    const nested = { eventId: id, eventType: type, timestamp: '1728212400000', data: { userId: 'u-1' } };
    for (const event of [userService, gateway, nested]) assert.equal(validate(event), null, `${type}: ${JSON.stringify(event)}`);
    assert.notEqual(validate({ eventId: id, eventType: type, payload: {} }), null, `${type} without a user id`);
    assert.notEqual(validate({ eventId: '', eventType: type, userId: 'u-1' }), null, `${type} with an empty eventId`);
    assert.notEqual(validate({ ...gateway, eventType: 'user.created' }), null, `${type}: another type`);
  }
  const other = payloadValidator(byName.get('other'));
  assert.equal(other({ eventId: 'e-1', eventType: 'user.created', timestamp: { odd: true } }), null,
    'any other type is read (an unreadable timestamp is no refusal)');
  assert.notEqual(other({ eventType: 'user.created' }), null, 'but needs an eventId');
});
