// imsd.mjs: run a real imsd for a test file, and talk to its REST API.
//
// Lifecycle of one ImsdProcess:
//   startImsd()      -- picks a free port (or reuses one), makes a temp spool dir,
//                       spawns BUILD_DIR/imsd with env config, streams stderr+stdout
//                       to a log file, waits until GET /healthz answers 200
//   .kill9()         -- SIGKILL, waits for the exit (a crash)
//   .restart()       -- a new process on the same port / spool / database
//   .stop()          -- SIGTERM (then SIGKILL after a grace period), waits
// Env: IMSD_BUILD_DIR (default <repo>/build), IMSD_E2E_DATABASE_URL (default:
// database imsd_e2e_<name> in the scripts/pg.sh cluster, started and created
// if needed), IMSD_E2E_KEEP=1 keeps the log and spool dir even on success.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const buildDir = path.resolve(repoRoot, process.env.IMSD_BUILD_DIR || 'build');

export const SERVICE_TOKEN = 'e2e-service-token-0123456789';
export const TOKEN_SECRET = 'e2e-token-secret-0123456789abcdef0123456789';

let clusterUrl = null;

/**
 * The conninfo of the test database `name`: with IMSD_E2E_DATABASE_URL that
 * URL as is; otherwise database `name` in the scripts/pg.sh cluster (started
 * if needed), created if missing.  Each test file uses its own database
 * because imsd, when it starts, marks every take still 'recording' in its
 * database as cut by a crash; another imsd sharing the database (another
 * test file, anyone's bench) would cut our live takes.
 */
export function getDatabaseUrl(name = 'imsd_e2e') {
  if (process.env.IMSD_E2E_DATABASE_URL) return process.env.IMSD_E2E_DATABASE_URL;
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
  if (!clusterUrl) {
    const out = execFileSync(path.join(repoRoot, 'scripts/pg.sh'), ['start'], { encoding: 'utf8' });
    clusterUrl = new URL(out.trim().split('\n').pop());
  }
  const admin = new URL(clusterUrl);
  admin.pathname = '/postgres';
  const exists = execFileSync('psql', ['-X', '-tA', '-d', admin.href, '-c',
    `SELECT 1 FROM pg_database WHERE datname = '${name}'`], { encoding: 'utf8' }).trim();
  if (exists !== '1') {
    try {
      execFileSync('psql', ['-X', '-q', '-d', admin.href, '-c', `CREATE DATABASE ${name}`], { stdio: 'pipe' });
    } catch (err) {
      if (!/already exists/.test(String(err.stderr))) throw err;
    }
  }
  const url = new URL(clusterUrl);
  url.pathname = `/${name}`;
  return url.href;
}

/**
 * Drops test database `name` (created again by the next getDatabaseUrl), for
 * a test that compares whole tables (e.g. every outbox row) with what it saw.
 * Does nothing with IMSD_E2E_DATABASE_URL (a database the caller owns).
 */
export function dropDatabase(name) {
  if (process.env.IMSD_E2E_DATABASE_URL) return;
  const url = new URL(getDatabaseUrl(name));
  url.pathname = '/postgres';
  execFileSync('psql', ['-X', '-q', '-d', url.href, '-c', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`], { stdio: 'pipe' });
}

function portIsFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '0.0.0.0', () => srv.close(() => resolve(true)));
  });
}

/** A TCP port in 18000..19999 that nothing listens on right now. */
export async function freePort() {
  for (let i = 0; i < 50; i++) {
    const port = 18000 + Math.floor(Math.random() * 2000);
    if (await portIsFree(port)) return port;
  }
  throw new Error('no free port in 18000..19999');
}

export class ImsdProcess {
  constructor({ port, spoolDir, logPath, env, databaseUrl }) {
    this.port = port;
    this.databaseUrl = databaseUrl;
    this.spoolDir = spoolDir;
    this.logPath = logPath;
    this.extraEnv = env || {};
    this.baseUrl = `http://127.0.0.1:${port}`;
    this.proc = null;
    this.exited = null; // promise of {code, signal}
    this.exit = null;   // {code, signal} once exited
    this.runs = 0;
    this.failed = false; // set by withLogOnFailure: keep the log and spool for a look
  }

  get binary() {
    return path.join(buildDir, 'imsd');
  }

  env() {
    // imsd refuses unknown IMSD_* variables (IMSD_BUILD_DIR, IMSD_CONFIG, ...):
    // hand it only the ones set here.
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('IMSD_')));
    return {
      ...inherited,
      IMSD_AUTH_SERVICE_TOKEN: SERVICE_TOKEN,
      IMSD_AUTH_TOKEN_SECRET: TOKEN_SECRET,
      IMSD_DATABASE_DATABASE_URL: this.databaseUrl,
      IMSD_SERVER_SPOOL_DIR: this.spoolDir,
      IMSD_SERVER_PORT: String(this.port),
      IMSD_SERVER_LISTEN_ADDRESS: '0.0.0.0',
      IMSD_SERVER_PUBLIC_URL: this.baseUrl,
      IMSD_LOG_LOG_LEVEL: 'debug',
      ...this.extraEnv,
    };
  }

  /** Spawns the process and waits for /healthz. */
  async spawn() {
    if (!fs.existsSync(this.binary)) throw new Error(`no imsd binary at ${this.binary} (set IMSD_BUILD_DIR)`);
    this.runs++;
    const log = fs.openSync(this.logPath, 'a');
    fs.writeSync(log, `\n===== run ${this.runs}: ${this.binary} on port ${this.port} =====\n`);
    this.proc = spawn(this.binary, [], { env: this.env(), stdio: ['ignore', log, log] });
    fs.closeSync(log);
    this.exit = null;
    const proc = this.proc;
    this.exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
    const deadline = Date.now() + 20000;
    while (Date.now() < deadline) {
      if (this.exit) throw new Error(`imsd exited during start (${JSON.stringify(this.exit)})\n${this.logTail()}`);
      try {
        const res = await fetch(`${this.baseUrl}/healthz`);
        if (res.status === 200) return this;
      } catch { /* not listening yet */ }
      await sleep(100);
    }
    throw new Error(`imsd did not answer /healthz in time\n${this.logTail()}`);
  }

  get pid() {
    return this.proc ? this.proc.pid : null;
  }

  isAlive() {
    return Boolean(this.proc) && this.exit === null;
  }

  /** kill -9, waits until the process is gone. */
  async kill9() {
    if (!this.isAlive()) return this.exit;
    process.kill(this.proc.pid, 'SIGKILL');
    return this.exited;
  }

  async restart() {
    if (this.isAlive()) await this.stop();
    return this.spawn();
  }

  /** SIGTERM, SIGKILL after graceMs. Resolves with the exit. */
  async stop(graceMs = 15000) {
    if (!this.isAlive()) return this.exit;
    process.kill(this.proc.pid, 'SIGTERM');
    const timer = setTimeout(() => { if (this.isAlive()) process.kill(this.proc.pid, 'SIGKILL'); }, graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  /** stop(), then remove the temp dir (log + spool) unless a test failed or IMSD_E2E_KEEP is set. */
  async shutdown() {
    const exit = await this.stop();
    const dir = path.dirname(this.logPath);
    if (this.failed || process.env.IMSD_E2E_KEEP) {
      process.stderr.write(`# imsd log and spool kept in ${dir}\n`);
    } else {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    return exit;
  }

  logText() {
    try { return fs.readFileSync(this.logPath, 'utf8'); } catch { return ''; }
  }

  /** Waits until the log holds text (what imsd logs when a database answer
   * arrives can follow its first /healthz by a few ms); throws with the log's
   * tail after timeoutMs. */
  async waitForLog(text, { timeoutMs = 10000 } = {}) {
    const deadline = Date.now() + timeoutMs;
    while (!this.logText().includes(text)) {
      if (Date.now() > deadline) throw new Error(`imsd did not log "${text}" in ${timeoutMs} ms\n${this.logTail()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The last lines of the log, without GUPnP/GSSDP chatter (libnice at debug level). */
  logTail(lines = 60) {
    const all = this.logText().split('\n').filter((l) => !/ (gssdp|gupnp)[-\w]*: /.test(l));
    return `----- last ${lines} lines of ${this.logPath} -----\n${all.slice(-lines).join('\n')}`;
  }

  // ---- REST

  async request(method, urlPath, { body, token = SERVICE_TOKEN, rawBody, headers = {} } = {}) {
    const h = { ...headers };
    if (token) h.Authorization = `Bearer ${token}`;
    let payload;
    if (rawBody !== undefined) payload = rawBody;
    else if (body !== undefined) payload = JSON.stringify(body);
    if (payload !== undefined) h['Content-Type'] = 'application/json';
    const res = await fetch(`${this.baseUrl}${urlPath}`, { method, headers: h, body: payload });
    const text = await res.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, headers: res.headers, text, json };
  }

  /** POST /api/v1/sessions (profile: an etc/profiles.ini name, omitted = server default;
   *  companyId: the owning company, omitted = none); returns {sessionId, joinUrl, token, expiresAt}. */
  async createSession({ questions, thinkSeconds = 3, maxRetakes = 1, profile, companyId } = {}) {
    const body = {
      interviewId: `e2e-interview-${Date.now()}`,
      userId: 'e2e-user',
      candidateEmail: 'candidate@example.test',
      settings: { thinkSeconds, maxRetakes },
      questions: questions || [{ id: 'q1', text: 'Tell us about yourself.', timeLimitSeconds: 30 }],
    };
    if (profile !== undefined) body.profile = profile;
    if (companyId !== undefined) body.companyId = companyId;
    const res = await this.request('POST', '/api/v1/sessions', { body });
    if (res.status !== 201 || !res.json || !res.json.sessionId) {
      throw new Error(`create session: HTTP ${res.status} ${res.text}`);
    }
    return res.json;
  }

  async getSession(id) {
    return this.request('GET', `/api/v1/sessions/${id}`);
  }

  /** GET /readyz: {status (HTTP), ...body} (body: status, checks, processing). */
  async readyz() {
    const res = await this.request('GET', '/readyz', { token: null });
    return { httpStatus: res.status, ...(res.json || { text: res.text }) };
  }
}

/** Starts imsd on a free port with a fresh spool dir under /tmp and database
 *  imsd_e2e_<name> (or databaseUrl: a database the caller runs). */
export async function startImsd({ name = 'e2e', env, databaseUrl: ownDatabase } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `imsd-${name}-`));
  const spoolDir = path.join(dir, 'spool');
  fs.mkdirSync(spoolDir);
  const port = await freePort();
  const databaseUrl = ownDatabase || getDatabaseUrl(`imsd_e2e_${name.replace(/[^a-z0-9]/g, '_')}`);
  const imsd = new ImsdProcess({ port, spoolDir, logPath: path.join(dir, 'imsd.log'), env, databaseUrl });
  await imsd.spawn();
  return imsd;
}

/**
 * Runs fn(); on failure prints the tail of imsd's log (and extra context from
 * describe()) to stderr, then rethrows.
 */
export async function withLogOnFailure(imsd, fn, describe) {
  try {
    return await fn();
  } catch (err) {
    imsd.failed = true;
    let extra = '';
    try { extra = describe ? await describe() : ''; } catch (e) { extra = `(describe failed: ${e})`; }
    process.stderr.write(`\n${imsd.logTail(80)}\n${extra ? `${extra}\n` : ''}`);
    throw err;
  }
}

/** Polls fn() until it returns a truthy value; throws with the last value after timeoutMs. */
export async function waitFor(fn, { timeoutMs = 20000, intervalMs = 200, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
    await sleep(intervalMs);
  }
}
