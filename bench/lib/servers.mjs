// servers.mjs: the servers the benchmarks compare, started fresh per round
// (bench/vs-janus.mjs, bench/live-room.mjs), and the small HTTP server of
// their pages.
//
// startJanus() writes a temporary copy of bench/janus/*.jcfg.in (plus the
// caller's extra VideoRoom rooms) and runs Debian's `janus -F` on it;
// startImsd() runs BUILD/imsd with a temporary spool.  Both spawn the server
// in a session of its own, wait (at most 20 s) until it answers, and return
// {pid, dir, recDir, stop()}: stop() signals it and waits for its exit (SIGKILL
// after 15 s).  A failed start throws with the log's path in the message.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import http from 'node:http';
import { spawn, execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const JANUS_BIN = '/usr/bin/janus';
export const JANUS_JS = '/usr/share/javascript/janus-gateway/janus.js';
export const SERVICE_TOKEN = 'bench-service-token-0123456789';
export const TOKEN_SECRET = 'bench-token-secret-0123456789abcdef0123456789';

/** tests/browser/lib/browser.mjs's Chromium flags (fake devices, auto-granted) plus autoplay. */
export const CHROMIUM_ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
  '--autoplay-policy=no-user-gesture-required'];

/** The first line of `janus --help`, e.g. "Janus version: 1102 (1.1.2)". Waits for the command. */
export function janusVersion() {
  return execFileSync(JANUS_BIN, ['--help'], { encoding: 'utf8' }).split('\n')[0];
}

/** Exits (status 1) with a message naming the packages (and hint) when Janus or its janus.js is missing. */
export function requireJanus(hint = '') {
  for (const f of [JANUS_BIN, JANUS_JS]) {
    if (!fs.existsSync(f)) {
      console.error(`${f} is missing: apt-get install janus libjs-janus-gateway (see bench/README.md)${hint}`);
      process.exit(1);
    }
  }
}

/** Builds imsd and take-probe in build (meson setup --buildtype=release first if needed). Waits for ninja. */
export function ensureBuild(build) {
  if (!fs.existsSync(path.join(build, 'build.ninja')))
    execFileSync('meson', ['setup', build, '--buildtype=release'], { cwd: repoRoot, stdio: 'inherit' });
  execFileSync('ninja', ['-C', build, 'imsd', 'tests/tools/take-probe'], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** Starts PostgreSQL (scripts/pg.sh, the caller's IMSD_PG_PORT / IMSD_RUN_DIR) and returns its URL. */
export function databaseUrl() {
  const out = execFileSync(path.join(repoRoot, 'scripts/pg.sh'), ['start'], { encoding: 'utf8' });
  return out.trim().split('\n').pop();
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

/** Serves files ({'/url-path': [file, content type]}, read at each request) on 127.0.0.1;
 * resolves with its base URL.  The server does not keep node alive. */
export function startPageServer(files) {
  const server = http.createServer((req, res) => {
    const f = files[new URL(req.url, 'http://x').pathname];
    if (!f) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'Content-Type': f[1], 'Cache-Control': 'no-store' }).end(fs.readFileSync(f[0]));
  });
  return new Promise(resolve => server.listen(0, '127.0.0.1', () => {
    server.unref();
    resolve(`http://127.0.0.1:${server.address().port}`);
  }));
}

/** Spawns cmd with its output in dir/log; returns {proc, exit, stop(signal)}.
 * Detached: the server runs in a session of its own, as a service does, so with the kernel's
 * autogroup scheduling it is not one more thread group beside this script and its pages' polling
 * (which starved imsd's two media loop threads, not Janus's thread per peer, at N=8). */
function spawnServer(cmd, argv, env, dir, log) {
  const fd = fs.openSync(path.join(dir, log), 'w');
  const proc = spawn(cmd, argv, { env, stdio: ['ignore', fd, fd], detached: true });
  fs.closeSync(fd);
  const s = { proc, exit: null };
  const exited = new Promise(r => proc.once('exit', (code, signal) => { s.exit = { code, signal }; r(s.exit); }));
  s.stop = async (signal) => {
    if (s.exit) return;
    proc.kill(signal);
    const t = setTimeout(() => { if (!s.exit) proc.kill('SIGKILL'); }, 15000);
    await exited;
    clearTimeout(t);
  };
  return s;
}

async function waitUntil(what, s, dir, log, probe, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (s.exit) throw new Error(`${what} exited at start: ${JSON.stringify(s.exit)} (log ${dir}/${log})`);
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} did not start (log ${dir}/${log})`);
    await sleep(100);
  }
}

const tcpOpen = (port) => new Promise(resolve => {
  const c = net.connect(port, '127.0.0.1', () => { c.end(); resolve(true); });
  c.once('error', () => resolve(false));
});

/** Starts Janus on a copy of bench/janus/*.jcfg.in; {pid, wsUrl, recDir, dir, stop()}.
 * extraRooms: VideoRoom room blocks appended to janus.plugin.videoroom.jcfg (its @REC_DIR@ replaced). */
export async function startJanus({ extraRooms = '' } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'janus-bench-'));
  const confDir = path.join(dir, 'conf');
  const recDir = path.join(dir, 'rec');
  fs.mkdirSync(confDir);
  fs.mkdirSync(recDir);
  const wsPort = await freePort();
  const vars = { CONFIGS_FOLDER: confDir, REC_DIR: recDir, WS_PORT: String(wsPort),
                 RTP_PORT_RANGE: '42000-42999', DEBUG_LEVEL: '4' };
  const src = path.join(repoRoot, 'bench/janus');
  for (const f of fs.readdirSync(src).filter(n => n.endsWith('.jcfg.in'))) {
    let text = fs.readFileSync(path.join(src, f), 'utf8');
    if (f === 'janus.plugin.videoroom.jcfg.in') text += extraRooms;
    fs.writeFileSync(path.join(confDir, f.slice(0, -3)), text.replace(/@([A-Z_]+)@/g, (m, k) => vars[k] ?? m));
  }
  const s = spawnServer(JANUS_BIN, ['-F', confDir, '-C', path.join(confDir, 'janus.jcfg'), '-o'],
                        process.env, dir, 'janus.log');
  await waitUntil('janus', s, dir, 'janus.log', () => tcpOpen(wsPort));
  return { pid: s.proc.pid, wsUrl: `ws://127.0.0.1:${wsPort}`, recDir, dir, stop: () => s.stop('SIGINT') };
}

/** Starts build/imsd with a temporary spool, the bench's tokens and dbUrl (plus env: more
 * IMSD_* keys); {pid, baseUrl, recDir, dir, stop()}.  The caller's IMSD_* variables are not passed. */
export async function startImsd(build, dbUrl, env = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imsd-bench-'));
  const recDir = path.join(dir, 'spool');
  fs.mkdirSync(recDir);
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const childEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('IMSD_')));
  Object.assign(childEnv, {
    IMSD_AUTH_SERVICE_TOKEN: SERVICE_TOKEN, IMSD_AUTH_TOKEN_SECRET: TOKEN_SECRET,
    IMSD_DATABASE_DATABASE_URL: dbUrl, IMSD_SERVER_SPOOL_DIR: recDir,
    IMSD_SERVER_PORT: String(port), IMSD_SERVER_LISTEN_ADDRESS: '0.0.0.0',
    IMSD_SERVER_PUBLIC_URL: baseUrl, IMSD_LOG_LOG_LEVEL: 'info',
  }, env);
  const s = spawnServer(path.join(build, 'imsd'), [], childEnv, dir, 'imsd.log');
  await waitUntil('imsd', s, dir, 'imsd.log', async () => (await fetch(`${baseUrl}/healthz`)).status === 200);
  return { pid: s.proc.pid, baseUrl, recDir, dir, stop: () => s.stop('SIGTERM') };
}

/** Stops srv (waits for its exit) and removes its folder, unless keep or row.error: then row.dir
 * names the folder (logs, recordings) for the reader. */
export async function stopServer(srv, row, keep) {
  await srv.stop();
  if (!keep && !row.error) fs.rmSync(srv.dir, { recursive: true, force: true });
  else row.dir = srv.dir;
}
