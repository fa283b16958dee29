// s3.mjs: a private s3rver (the dev S3, npm s3rver) for one test file, and
// plain-HTTP reads of what imsd stored in it.
//
// Lifecycle of one S3rverProcess:
//   startS3rver({name})  -- picks a free port, makes a temp data dir, spawns
//                           node_modules/.bin/s3rver with --configure-bucket,
//                           waits until the bucket answers a listing
//   .stop()              -- SIGTERM (SIGKILL after a grace period), waits; the
//                           data dir stays, so .start() again serves the same
//                           objects on the same port (a storage outage)
//   .start()             -- spawns it again on the same port and dir
//   .shutdown()          -- stop(), then removes the data dir unless `keep`
// Reads (getObject, listObjects) are unsigned requests: s3rver serves
// anonymous GETs.  Keys are sent with each "/"-separated segment
// URI-encoded (imsd's keys hold percent escapes such as "%40").
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from './imsd.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const S3RVER_BIN = path.resolve(here, '../node_modules/.bin/s3rver');
export const S3_ACCESS_KEY = 'S3RVER';
export const S3_SECRET_KEY = 'S3RVER';

function encodeKey(key) {
  return key.split('/').map(encodeURIComponent).join('/');
}

function xmlText(s) {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

export class S3rverProcess {
  constructor({ port, dir, bucket }) {
    this.port = port;
    this.dir = dir;
    this.dataDir = path.join(dir, 'data');
    this.logPath = path.join(dir, 's3rver.log');
    this.bucket = bucket;
    this.baseUrl = `http://127.0.0.1:${port}`;
    this.proc = null;
    this.exit = null;
    this.exited = null;
    this.keep = false; // set when a test failed: keep the data dir for a look
  }

  /** The IMSD_STORAGE_* variables that point imsd at this bucket. */
  imsdEnv({ keyPrefix = 'media' } = {}) {
    return {
      IMSD_STORAGE_S3_ENDPOINT: `127.0.0.1:${this.port}`,
      IMSD_STORAGE_S3_BUCKET: this.bucket,
      IMSD_STORAGE_S3_ACCESS_KEY: S3_ACCESS_KEY,
      IMSD_STORAGE_S3_SECRET_KEY: S3_SECRET_KEY,
      IMSD_STORAGE_S3_PATH_STYLE: '1',
      IMSD_STORAGE_KEY_PREFIX: keyPrefix,
    };
  }

  isAlive() {
    return Boolean(this.proc) && this.exit === null;
  }

  /** Spawns s3rver and waits until the bucket lists (or throws after 20 s). */
  async start() {
    fs.mkdirSync(this.dataDir, { recursive: true });
    const log = fs.openSync(this.logPath, 'a');
    fs.writeSync(log, `\n===== s3rver on port ${this.port} =====\n`);
    this.proc = spawn(S3RVER_BIN, ['-d', this.dataDir, '-a', '127.0.0.1', '-p', String(this.port),
      '--configure-bucket', this.bucket], { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    this.exit = null;
    const proc = this.proc;
    this.exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => { this.exit = { code, signal }; resolve(this.exit); });
    });
    const deadline = Date.now() + 20000;
    while (Date.now() < deadline) {
      if (this.exit) throw new Error(`s3rver exited during start: ${JSON.stringify(this.exit)}\n${this.logText()}`);
      try {
        // v1 listing: s3rver makes v2 continuation tokens with DES, which Node 20 refuses (HTTP 500)
        const res = await fetch(`${this.baseUrl}/${this.bucket}?max-keys=1`);
        if (res.status === 200) return this;
      } catch { /* not listening yet */ }
      await sleep(100);
    }
    throw new Error(`s3rver did not answer in time\n${this.logText()}`);
  }

  /** SIGTERM (SIGKILL after graceMs); the port is closed when this resolves. */
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
      process.stderr.write(`# s3rver data and log kept in ${this.dir}\n`);
    } else {
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }

  logText() {
    try { return fs.readFileSync(this.logPath, 'utf8'); } catch { return ''; }
  }

  /** GET an object: {status, bytes (Buffer), contentType}. */
  async getObject(key) {
    const res = await fetch(`${this.baseUrl}/${this.bucket}/${encodeKey(key)}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    return { status: res.status, bytes, contentType: res.headers.get('content-type') };
  }

  /** Every object under prefix: [{key, size, etag}] (ListObjectsV2, all pages). */
  async listObjects(prefix = '') {
    const out = [];
    let token = null;
    for (;;) {
      const q = new URLSearchParams({ 'list-type': '2', prefix, 'max-keys': '1000' });
      if (token) q.set('continuation-token', token);
      const res = await fetch(`${this.baseUrl}/${this.bucket}?${q}`);
      const xml = await res.text();
      if (res.status !== 200) throw new Error(`list ${prefix}: HTTP ${res.status} ${xml}`);
      for (const m of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
        const field = (name) => {
          const f = m[1].match(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`));
          return f ? xmlText(f[1]) : null;
        };
        out.push({ key: field('Key'), size: Number(field('Size')), etag: field('ETag') });
      }
      const next = xml.match(/<NextContinuationToken>([\s\S]*?)<\/NextContinuationToken>/);
      if (!/<IsTruncated>true<\/IsTruncated>/.test(xml) || !next) break;
      token = xmlText(next[1]);
    }
    return out;
  }
}

/** Starts a private s3rver on a free port with a fresh data dir and bucket `bucket`. */
export async function startS3rver({ name = 's3', bucket = 'imsd' } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `imsd-s3rver-${name}-`));
  const port = await freePort();
  const s3 = new S3rverProcess({ port, dir, bucket });
  await s3.start();
  return s3;
}

export function sha256Hex(bytes) {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

// ---- what imsd stored for a take: media_files rows against the bucket

/** Kind -> [file name, content type], as imsd names a take's objects. */
export const OBJECT_FILES = {
  original: ['original.mkv', 'video/x-matroska'],
  'video/mp4': ['video.mp4', 'video/mp4'],
  thumbnail: ['thumb.jpg', 'image/jpeg'],
  'audio/wav-16k': ['audio-16k.wav', 'audio/wav'],
};

/**
 * etc/profiles.ini as {name: {key: value}}, each profile completed with the
 * defaults from the file's key table ("# key  default  meaning").
 */
export function readProfiles(file) {
  const text = fs.readFileSync(file, 'utf8');
  const defaults = {};
  const profiles = {};
  let current = null;
  for (const line of text.split('\n')) {
    const d = line.match(/^#\s+([a-z0-9_]+)\s+(\S+)\s{2,}\S/);
    if (d && d[1] !== 'key') defaults[d[1]] = d[2];
    const g = line.match(/^\[profile ([^\]]+)\]\s*$/);
    if (g) { current = profiles[g[1]] = {}; continue; }
    const kv = line.match(/^([a-z0-9_]+)\s*=\s*(.*?)\s*$/);
    if (kv && current) current[kv[1]] = kv[2];
  }
  for (const name of Object.keys(profiles)) profiles[name] = { ...defaults, ...profiles[name] };
  return profiles;
}

/** The kinds a take of this profile must have in media_files (upload_original on). */
export function expectedKinds(profile) {
  const kinds = ['original', 'video/mp4'];
  if (profile.video !== 'false') kinds.push('thumbnail');
  if (profile.transcription_wav !== 'false') kinds.push('audio/wav-16k');
  return kinds.sort();
}

/**
 * Asserts that `files` (the take's media_files rows) hold exactly one stored
 * row per kind in `kinds`, each under the documented key with its content
 * type, and that the bucket has that object with the same size and sha256
 * (and the content type imsd sent).  `where` names the take in messages.
 * Resolves with {kind: Buffer} of the objects fetched back.
 */
export async function checkStoredObjects(s3, { files, kinds, keyPrefix, interviewId, sessionId, questionId, number, takeId, where }) {
  assert.deepEqual(files.map((f) => f.kind).sort(), kinds.slice().sort(),
    `${where}: one media_files row per kind (rows: ${JSON.stringify(files.map((f) => [f.kind, f.object_key]))})`);
  const bytesByKind = {};
  for (const f of files) {
    const [fileName, contentType] = OBJECT_FILES[f.kind];
    const w = `${where} ${f.kind}`;
    assert.equal(f.object_key, `${keyPrefix}/${interviewId}/${sessionId}/${questionId}/take-${number}-${takeId}/${fileName}`,
      `${w}: object key layout`);
    assert.equal(f.content_type, contentType, `${w}: media_files.content_type`);
    assert.equal(f.status, 'stored', `${w}: media_files.status`);
    assert.match(f.checksum, /^[0-9a-f]{64}$/, `${w}: checksum is sha256 hex`);
    const obj = await s3.getObject(f.object_key);
    assert.equal(obj.status, 200, `${w}: GET ${f.object_key} from S3: ${obj.bytes.toString().slice(0, 300)}`);
    assert.equal(obj.bytes.length, Number(f.size_bytes), `${w}: size_bytes equals the S3 object's size`);
    assert.ok(obj.bytes.length > 0, `${w}: the object is not empty`);
    assert.equal(sha256Hex(obj.bytes), f.checksum, `${w}: sha256 of the bytes in S3 equals media_files.checksum`);
    assert.equal((obj.contentType || '').split(';')[0], contentType, `${w}: S3 Content-Type`);
    bytesByKind[f.kind] = obj.bytes;
  }
  return bytesByKind;
}
