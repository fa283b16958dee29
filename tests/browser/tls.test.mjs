// tls.test.mjs: a candidate on an https page (docs/operations.md "TLS"), the
// two ways imsd is put behind TLS:
//   imsd's own TLS   [server] tls_cert_file/tls_key_file; the page is
//                    https://imsd.test:PORT and its WebSocket wss://.
//                    During the interview SIGHUP with a new certificate: a
//                    new connection gets it, the page's WebSocket stays
//                    connected (no second join) and the take records; a
//                    reload with a key that does not match keeps the new
//                    certificate in use.
//   nginx            Debian's nginx runs the shipped etc/nginx-imsd.conf (its
//                    ports and certificate paths replaced) in the foreground
//                    with its own pid, log and temp paths, terminating TLS
//                    and proxying HTTP and the WebSocket to imsd's plain
//                    listener.
//   start refused    a key that is not the certificate's: imsd exits at once
//                    naming the files.
// The test makes its own CA and server certificates (openssl CLI, in a temp
// dir). Chromium maps the name imsd.test to 127.0.0.1 (--host-resolver-rules):
// unlike localhost, that origin is a secure context only through a valid
// certificate, as for a candidate on another machine. Chromium verifies the chain for real: the CA is a trusted root in
// the NSS database of the HOME Chromium is given (certutil), and playwright
// ignores no certificate error. Node's own requests (REST, /healthz) trust
// the CA through https.request({ca}).
// Needs openssl, certutil (libnss3-tools) and nginx (scripts/install-deps.sh).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';

import { ImsdProcess, freePort, getDatabaseUrl, repoRoot, withLogOnFailure, waitFor } from './lib/imsd.mjs';
import { takeRows } from './lib/db.mjs';
import { takeProbe } from './lib/probe.mjs';
import { CHROMIUM_ARGS } from './lib/browser.mjs';
import { openCandidate, recordTake, stopTake } from './lib/candidate.mjs';

// the page's host name: Chromium resolves it to 127.0.0.1, the certificates name it
const PAGE_HOST = 'imsd.test';
const BROWSER_ARGS = [...CHROMIUM_ARGS, `--host-resolver-rules=MAP ${PAGE_HOST} 127.0.0.1`];
const QUESTIONS = [{ id: 'q1', text: 'Is this page secure?', timeLimitSeconds: 20 }];

let dir;          // certificates, the Chromium HOME, nginx's files, the imsd runs
let browser;      // {context, close()}
const running = []; // ImsdProcess and nginx processes to stop in after()

// ---- certificates

function openssl(...args) {
  return execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** name.key + name.pem: a P-256 server certificate for imsd.test, localhost
 *  and 127.0.0.1 signed by the test CA (ca.pem, ca.key). */
function makeServerCertificate(name) {
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=imsd tls test ${name}`);
  fs.writeFileSync(path.join(dir, `${name}.ext`),
    'subjectAltName=DNS:imsd.test,DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n'
    + 'keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n');
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
    '-days', '2', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.pem`);
  return { cert: path.join(dir, `${name}.pem`), key: path.join(dir, `${name}.key`) };
}

/** The SHA-256 fingerprint of a PEM certificate, as node's tls shows it (AB:CD:...). */
function fingerprint(pemPath) {
  return new crypto.X509Certificate(fs.readFileSync(pemPath)).fingerprint256;
}

/** The fingerprint of the certificate a new TLS connection to port gets (verified against the CA). */
function servedFingerprint(port) {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: PAGE_HOST, ca: caPem() }, () => {
      const cert = socket.getPeerCertificate();
      socket.end();
      resolve(cert.fingerprint256);
    });
    socket.once('error', reject);
  });
}

function caPem() {
  return fs.readFileSync(path.join(dir, 'ca.pem'));
}

// ---- node's requests over https (global fetch has no way to take a CA)

const plainFetch = globalThis.fetch;
function fetchTrustingTheCa(url, options = {}) {
  if (!String(url).startsWith('https:')) return plainFetch(url, options);
  return new Promise((resolve, reject) => {
    const headers = { ...(options.headers || {}) };
    if (options.body !== undefined) headers['Content-Length'] = Buffer.byteLength(options.body);
    const req = https.request(url, { method: options.method || 'GET', headers, ca: caPem() },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode, headers: new Headers(res.headers), text: async () => body });
        });
      });
    req.once('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

// ---- processes

/** An ImsdProcess on a free port with its own spool and log in dir/name,
 *  REST at baseUrl, join links at publicUrl. Not started. */
async function newImsd(name, { env = {}, scheme = 'http', publicUrl } = {}) {
  const runDir = path.join(dir, name);
  fs.mkdirSync(path.join(runDir, 'spool'), { recursive: true });
  const port = await freePort();
  const imsd = new ImsdProcess({
    port, spoolDir: path.join(runDir, 'spool'), logPath: path.join(runDir, 'imsd.log'),
    databaseUrl: getDatabaseUrl('imsd_e2e_tls'), env,
  });
  imsd.baseUrl = `${scheme}://127.0.0.1:${port}`;
  imsd.extraEnv.IMSD_SERVER_PUBLIC_URL = publicUrl || `${scheme}://${PAGE_HOST}:${port}`;
  running.push({ stop: () => imsd.stop() });
  return imsd;
}

/** Debian's nginx in the foreground running etc/nginx-imsd.conf, its upstream,
 *  listen address and certificate replaced; resolves with {port, logDir}. */
async function startNginx({ imsdPort, cert, key }) {
  const nginxDir = path.join(dir, 'nginx');
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) fs.mkdirSync(path.join(nginxDir, sub), { recursive: true });
  const port = await freePort();
  const shipped = fs.readFileSync(path.join(repoRoot, 'etc/nginx-imsd.conf'), 'utf8');
  const site = shipped
    .replace('server 127.0.0.1:8080;', `server 127.0.0.1:${imsdPort};`)
    .replace('listen 443 ssl;', `listen 127.0.0.1:${port} ssl;`)
    .replace(/^\s*listen \[::\]:443 ssl;\n/m, '')
    .replace('/etc/ssl/imsd/fullchain.pem', cert)
    .replace('/etc/ssl/imsd/privkey.pem', key);
  for (const want of [`127.0.0.1:${imsdPort}`, `127.0.0.1:${port} ssl`, cert, key]) {
    assert.ok(site.includes(want), `etc/nginx-imsd.conf no longer has the line this test replaces for ${want}`);
  }
  fs.writeFileSync(path.join(nginxDir, 'imsd-site.conf'), site);
  fs.writeFileSync(path.join(nginxDir, 'nginx.conf'), [
    'daemon off;',
    'master_process off;', // one process, as the user that runs the test: no workers, no "user"
    `pid ${nginxDir}/nginx.pid;`,
    `error_log ${nginxDir}/error.log info;`,
    'events { worker_connections 256; }',
    'http {',
    `  access_log ${nginxDir}/access.log;`,
    ...['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) =>
      `  ${t === 'body' ? 'client_body' : t}_temp_path ${nginxDir}/${t};`),
    `  include ${nginxDir}/imsd-site.conf;`,
    '}',
    '',
  ].join('\n'));
  const args = ['-p', nginxDir, '-e', `${nginxDir}/error.log`, '-c', `${nginxDir}/nginx.conf`];
  execFileSync('nginx', [...args, '-t'], { stdio: 'pipe' });
  const proc = spawn('nginx', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let exited = null;
  proc.once('exit', (code, signal) => { exited = { code, signal }; });
  running.push({
    stop: async () => {
      if (exited) return;
      proc.kill('SIGQUIT');
      await waitFor(() => exited, { timeoutMs: 10000, what: 'nginx to exit' });
    },
  });
  const errorLog = () => { try { return fs.readFileSync(`${nginxDir}/error.log`, 'utf8'); } catch { return ''; } };
  await waitFor(async () => {
    if (exited) throw new Error(`nginx exited: ${JSON.stringify(exited)}\n${errorLog()}`);
    return servedFingerprint(port).then(() => true, () => false);
  }, { timeoutMs: 10000, what: 'nginx to listen' });
  return { port, accessLog: () => fs.readFileSync(`${nginxDir}/access.log`, 'utf8'), errorLog };
}

// ---- the interview

/** One question, one take, on the page at session.joinUrl, checked in the
 *  database and the file; the page opened one WebSocket (wss://) and joined
 *  once. mid(page) runs after the join, before recording. */
async function interviewOneTake(imsd, session, { mid } = {}) {
  const socketUrls = [];
  const watch = (p) => p.on('websocket', (ws) => socketUrls.push(ws.url()));
  browser.context.once('page', watch);
  const page = await openCandidate(browser.context, session.joinUrl);
  const secure = await page.evaluate(() => ({ protocol: location.protocol, isSecureContext }));
  assert.deepEqual(secure, { protocol: 'https:', isSecureContext: true },
    'the join link opens a secure page (camera and microphone need one)');
  if (mid) await mid(page);
  await recordTake(page, 0, 1);
  await sleep(3000);
  await stopTake(page, 0, 1);
  const rows = await takeRows(imsd, session.sessionId);
  assert.equal(rows.length, 1, 'one take stored');
  const row = rows[0];
  assert.equal(row.status, 'completed');
  assert.ok(fs.existsSync(row.path), `the take's file exists: ${row.path}`);
  const probe = await takeProbe(row.path);
  const where = `${row.path}: ${JSON.stringify(probe)}`;
  assert.equal(probe.ok, true, where);
  assert.equal(probe.hasVideo, true, where);
  assert.equal(probe.hasAudio, true, where);
  assert.ok(probe.durationMs > 2000, where);
  const joins = await page.evaluate(() => window.imsd.sent.filter((m) => m.type === 'join').length);
  assert.equal(joins, 1, 'the page joined once: its WebSocket never dropped');
  const { host } = new URL(session.joinUrl);
  assert.deepEqual(socketUrls, [`wss://${host}/ws`], 'one WebSocket, over wss:// to the page\'s host');
  await page.close();
}

/** The chain is verified for real: a Chromium whose HOME has no NSS
 *  database with the test CA refuses the page. */
async function assertRefusedWithoutTheCa(url) {
  const home = path.join(dir, 'home-without-ca');
  fs.mkdirSync(home, { recursive: true });
  const untrusting = await chromium.launch({
    executablePath: process.env.IMSD_CHROMIUM || '/usr/bin/chromium',
    headless: false,
    args: BROWSER_ARGS,
    env: { ...process.env, HOME: home },
  });
  try {
    const page = await untrusting.newPage();
    await assert.rejects(page.goto(url), /ERR_CERT_AUTHORITY_INVALID/);
  } finally {
    await untrusting.close();
  }
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imsd-tls-'));
  globalThis.fetch = fetchTrustingTheCa;
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-sha256', '-subj', '/CN=imsd tls test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  // Chromium's trust store on Linux: $HOME/.pki/nssdb
  const home = path.join(dir, 'home');
  const nssdb = path.join(home, '.pki/nssdb');
  fs.mkdirSync(nssdb, { recursive: true });
  execFileSync('certutil', ['-d', `sql:${nssdb}`, '-N', '--empty-password'], { stdio: 'pipe' });
  execFileSync('certutil', ['-d', `sql:${nssdb}`, '-A', '-t', 'C,,', '-n', 'imsd tls test CA',
    '-i', path.join(dir, 'ca.pem')], { stdio: 'pipe' });
  const userDataDir = path.join(dir, 'chromium');
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.IMSD_CHROMIUM || '/usr/bin/chromium',
    headless: false,
    args: BROWSER_ARGS,
    env: { ...process.env, HOME: home },
    viewport: { width: 1000, height: 800 },
  });
  browser = { context, close: () => context.close().catch(() => {}) };
});

after(async () => {
  if (browser) await browser.close();
  for (const p of running.reverse()) await p.stop().catch(() => {});
  globalThis.fetch = plainFetch;
  if (dir && !process.env.IMSD_E2E_KEEP) fs.rmSync(dir, { recursive: true, force: true });
  else if (dir) process.stderr.write(`# tls test files kept in ${dir}\n`);
});

test('imsd\'s own TLS: an interview over https/wss; SIGHUP swaps the certificate without dropping the WebSocket',
  { timeout: 120000 }, async () => {
    const first = makeServerCertificate('first');
    const second = makeServerCertificate('second');
    const mismatched = makeServerCertificate('mismatched');
    const live = { cert: path.join(dir, 'live.pem'), key: path.join(dir, 'live.key') };
    fs.copyFileSync(first.cert, live.cert);
    fs.copyFileSync(first.key, live.key);
    const imsd = await newImsd('own-tls', {
      scheme: 'https',
      env: { IMSD_SERVER_TLS_CERT_FILE: live.cert, IMSD_SERVER_TLS_KEY_FILE: live.key },
    });
    await imsd.spawn();
    await withLogOnFailure(imsd, async () => {
      assert.equal(await servedFingerprint(imsd.port), fingerprint(first.cert), 'the first certificate is served');
      await assertRefusedWithoutTheCa(`https://${PAGE_HOST}:${imsd.port}/healthz`);
      const session = await imsd.createSession({ questions: QUESTIONS, thinkSeconds: 2, maxRetakes: 0 });
      assert.ok(session.joinUrl.startsWith(`https://${PAGE_HOST}:${imsd.port}/`), session.joinUrl);

      await interviewOneTake(imsd, session, {
        mid: async () => {
          fs.copyFileSync(second.cert, live.cert);
          fs.copyFileSync(second.key, live.key);
          process.kill(imsd.pid, 'SIGHUP');
          await imsd.waitForLog('TLS certificate reloaded: subject /CN=imsd tls test second');
          assert.equal(await servedFingerprint(imsd.port), fingerprint(second.cert),
            'a new connection gets the new certificate');
        },
      });

      // a pair that does not match: the certificate in use stays
      fs.copyFileSync(mismatched.key, live.key);
      process.kill(imsd.pid, 'SIGHUP');
      await imsd.waitForLog('SIGHUP: the certificate in use is kept');
      assert.match(imsd.logText(), /tls_key_file \S+live\.key is not the private key of the certificate/);
      assert.equal(await servedFingerprint(imsd.port), fingerprint(second.cert), 'the failed reload kept the second certificate');
      assert.equal((await imsd.request('GET', '/healthz', { token: null })).status, 200);
      assert.ok(imsd.isAlive(), 'imsd runs on after a failed reload');
    });
  });

test('nginx terminating TLS (etc/nginx-imsd.conf) in front of imsd\'s plain listener', { timeout: 120000 }, async () => {
  const proxied = makeServerCertificate('nginx');
  const imsd = await newImsd('behind-nginx');
  const nginx = await startNginx({ imsdPort: imsd.port, ...proxied });
  imsd.extraEnv.IMSD_SERVER_PUBLIC_URL = `https://${PAGE_HOST}:${nginx.port}`;
  await imsd.spawn();
  await withLogOnFailure(imsd, async () => {
    assert.equal(await servedFingerprint(nginx.port), fingerprint(proxied.cert), 'nginx serves its certificate');
    const session = await imsd.createSession({ questions: QUESTIONS, thinkSeconds: 2, maxRetakes: 0 });
    assert.ok(session.joinUrl.startsWith(`https://${PAGE_HOST}:${nginx.port}/`), session.joinUrl);
    await interviewOneTake(imsd, session);
    // nginx logs the WebSocket's request when it closes (the page just did)
    await waitFor(() => /"GET \/ws HTTP\/1\.1" 101 /.test(nginx.accessLog()),
      { timeoutMs: 10000, what: 'the WebSocket (101 Switching Protocols) in nginx\'s access log' });
    const access = nginx.accessLog();
    assert.match(access, /"GET \/candidate\/\S* HTTP\/1\.1" 200 /, 'the page came through nginx');
  }, async () => `----- nginx error.log -----\n${nginx.errorLog().split('\n').slice(-30).join('\n')}`);
});

test('a key that is not the certificate\'s: imsd refuses to start, naming the files', { timeout: 30000 }, async () => {
  const a = makeServerCertificate('refused-a');
  const b = makeServerCertificate('refused-b');
  const imsd = await newImsd('refused', {
    scheme: 'https',
    env: { IMSD_SERVER_TLS_CERT_FILE: a.cert, IMSD_SERVER_TLS_KEY_FILE: b.key },
  });
  await assert.rejects(imsd.spawn(), /exited during start/);
  assert.equal(imsd.exit.code, 1);
  assert.match(imsd.logText(), new RegExp(`tls_key_file ${b.key} is not the private key of the certificate in ${a.cert}`));
});
