// validate.mjs: checks event envelopes against events/schemas/*.schema.json.
//
// Usage: node tests/schemas/validate.mjs [--expect-invalid] FILE_OR_DASH...
// Each non-empty line of each file ('-' is standard input) is one envelope
// (JSON). It is validated against envelope.schema.json, then its payload
// against <eventType>.schema.json. Failures are printed; the exit status is 1
// if any line failed (or, with --expect-invalid, if any line passed: the
// negative check that proves the schemas reject what they must), 2 on usage
// errors, 0 otherwise. A run that read no line at all fails too.
//
// ajv and ajv-formats come from tests/browser/node_modules (npm install in
// tests/browser).
import { createRequire } from 'node:module';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const schemaDir = join(here, '..', '..', 'events', 'schemas');
const require = createRequire(join(here, '..', 'browser', 'package.json'));

let Ajv2020, addFormats;
try {
  Ajv2020 = require('ajv/dist/2020').default;
  addFormats = require('ajv-formats').default;
} catch (error) {
  console.error(`validate.mjs: ajv is not installed (cd tests/browser && npm install): ${error.message}`);
  process.exit(2);
}

const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);

const validators = new Map();
for (const name of readdirSync(schemaDir).filter((n) => n.endsWith('.schema.json')).sort()) {
  const schema = JSON.parse(readFileSync(join(schemaDir, name), 'utf8'));
  validators.set(name.replace(/\.schema\.json$/, ''), ajv.compile(schema));
}
const envelope = validators.get('envelope');
if (!envelope) {
  console.error(`validate.mjs: no envelope.schema.json in ${schemaDir}`);
  process.exit(2);
}

function describe(errors) {
  return ajv.errorsText(errors, { separator: '; ', dataVar: '' });
}

// Returns null if line is a valid envelope with a valid payload, else the reason.
function check(line) {
  let event;
  try {
    event = JSON.parse(line);
  } catch (error) {
    return `not JSON: ${error.message}`;
  }
  if (!envelope(event))
    return `envelope: ${describe(envelope.errors)}`;
  const payload = validators.get(event.eventType);
  if (!payload)
    return `no schema for eventType ${event.eventType}`;
  if (!payload(event.payload))
    return `${event.eventType} payload: ${describe(payload.errors)}`;
  return null;
}

const args = process.argv.slice(2);
const expectInvalid = args[0] === '--expect-invalid';
const files = expectInvalid ? args.slice(1) : args;
if (files.length === 0) {
  console.error('usage: node tests/schemas/validate.mjs [--expect-invalid] FILE_OR_DASH...');
  process.exit(2);
}

let lines = 0;
let bad = 0;
for (const file of files) {
  const text = readFileSync(file === '-' ? 0 : file, 'utf8');
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '' || line.startsWith('#'))
      return;
    lines++;
    const where = `${file === '-' ? 'stdin' : file}:${index + 1}`;
    const reason = check(line);
    if (expectInvalid) {
      if (reason === null) {
        bad++;
        console.log(`FAIL ${where}: accepted, but it must be rejected: ${line.slice(0, 200)}`);
      } else {
        console.log(`ok   ${where}: rejected (${reason})`);
      }
    } else if (reason !== null) {
      bad++;
      console.log(`FAIL ${where}: ${reason}`);
    } else {
      console.log(`ok   ${where}: ${JSON.parse(line).eventType}`);
    }
  });
}
if (lines === 0) {
  console.log('validate.mjs: no event read');
  process.exit(1);
}
console.log(`${lines - bad} passed, ${bad} failed`);
process.exit(bad === 0 ? 0 : 1);
