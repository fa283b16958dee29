// record.mjs: what imsd's recording path costs, measured end to end.
//
//   node bench/record.mjs [--build DIR] [--seconds S] [--codecs h264,vp8]
//                         [--candidates 1,2] [--modes baseline,record]
//                         [--threads] [--keep] [--no-build]
//
// For every (codec, N candidates, mode) it starts a fresh imsd (release build
// in DIR, default <repo>/build-bench, configured and built when missing) on
// the scripts/pg.sh PostgreSQL cluster, creates N sessions, opens N candidate
// pages in headless Chromium (fake camera + microphone, ?codec=...) and joins
// them all at once.  mode "record": each page clicks #record as soon as its
// state says mediaReady; once every take is writing, imsd's CPU is sampled
// for S seconds (default 30), then every page clicks #stop.  mode "baseline":
// the same, but no take is started (media flows and is dropped).
//
// Figures, one row per run:
//   cpu%/stream  imsd utime+stime (/proc/PID/stat) over the S-second window,
//                percent of one core, divided by N
//   rss max      VmRSS max during the window (sampled every 250 ms)
//   join p50/max page side: WebSocket open -> first state with takeWriting
//                (record) or mediaReady (baseline)
//   kbps, WxH    from the take files: size*8/duration, take-probe's size
//   stop p50/max page side: take.stop sent -> first state in phase review
//   sent kbps    baseline rows: the browsers' own video bytesSent over the window
// --threads also prints imsd's CPU per thread name over the window.
// --no-build uses DIR's imsd as it is (e.g. a saved copy to compare against).
// Never fails on time: a run that breaks prints its error in the row and the
// bench goes on.  Exit status is 0 unless nothing could be measured.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { spawn, execFileSync, execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(repoRoot, 'tests/browser/package.json'));
const { chromium } = require('playwright-core');

const SERVICE_TOKEN = 'bench-service-token-0123456789';
const TOKEN_SECRET = 'bench-token-secret-0123456789abcdef0123456789';
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

function parseArgs(argv) {
  const args = { build: path.join(repoRoot, 'build-bench'), seconds: 30, codecs: ['h264', 'vp8'],
                 candidates: [1, 2], modes: ['baseline', 'record'], threads: false, keep: false };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--build') args.build = path.resolve(argv[++i]);
    else if (a === '--seconds') args.seconds = Number(argv[++i]);
    else if (a === '--codecs') args.codecs = argv[++i].split(',');
    else if (a === '--candidates') args.candidates = argv[++i].split(',').map(Number);
    else if (a === '--modes') args.modes = argv[++i].split(',');
    else if (a === '--threads') args.threads = true;
    else if (a === '--keep') args.keep = true;
    else if (a === '--no-build') args.noBuild = true;
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

const args = parseArgs(process.argv);

// ---------------------------------------------------------------- setup

function ensureBuild() {
  if (args.noBuild) return;
  if (!fs.existsSync(path.join(args.build, 'build.ninja'))) {
    execFileSync('meson', ['setup', args.build, '--buildtype=release'], { cwd: repoRoot, stdio: 'inherit' });
  }
  execFileSync('ninja', ['-C', args.build, 'imsd', 'tests/tools/take-probe'], { stdio: ['ignore', 'ignore', 'inherit'] });
}

function databaseUrl() {
  const out = execFileSync(path.join(repoRoot, 'scripts/pg.sh'), ['start'], { encoding: 'utf8' });
  return out.trim().split('\n').pop();
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '0.0.0.0', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

/** Starts imsd; resolves with {proc, port, baseUrl, spoolDir, dir, stop()}. */
async function startImsd(dbUrl) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imsd-bench-'));
  const spoolDir = path.join(dir, 'spool');
  fs.mkdirSync(spoolDir);
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('IMSD_')));
  Object.assign(env, {
    IMSD_AUTH_SERVICE_TOKEN: SERVICE_TOKEN, IMSD_AUTH_TOKEN_SECRET: TOKEN_SECRET,
    IMSD_DATABASE_DATABASE_URL: dbUrl, IMSD_SERVER_SPOOL_DIR: spoolDir,
    IMSD_SERVER_PORT: String(port), IMSD_SERVER_LISTEN_ADDRESS: '0.0.0.0',
    IMSD_SERVER_PUBLIC_URL: baseUrl, IMSD_LOG_LOG_LEVEL: 'info',
  });
  const log = fs.openSync(path.join(dir, 'imsd.log'), 'w');
  const proc = spawn(path.join(args.build, 'imsd'), [], { env, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  let exit = null;
  const exited = new Promise(r => proc.once('exit', (code, signal) => { exit = { code, signal }; r(exit); }));
  const deadline = Date.now() + 20000;
  for (;;) {
    if (exit) throw new Error(`imsd exited at start: ${JSON.stringify(exit)} (log ${dir}/imsd.log)`);
    try { if ((await fetch(`${baseUrl}/healthz`)).status === 200) break; } catch { /* not yet */ }
    if (Date.now() > deadline) throw new Error(`imsd did not answer /healthz (log ${dir}/imsd.log)`);
    await sleep(100);
  }
  return {
    proc, port, baseUrl, spoolDir, dir,
    async stop() {
      if (exit) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => { if (!exit) proc.kill('SIGKILL'); }, 15000);
      await exited;
      clearTimeout(t);
    },
  };
}

async function createSession(baseUrl, i) {
  const res = await fetch(`${baseUrl}/api/v1/sessions`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${SERVICE_TOKEN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      interviewId: `bench-${Date.now()}-${i}`, userId: `bench-${i}`, candidateEmail: 'bench@example.test',
      // think time and answer limit (the API's maxima: 600 s, the default
      // profile's 300 s) beyond the window: the server must not start or stop
      // a take by itself
      settings: { thinkSeconds: 600, maxRetakes: 1 },
      questions: [{ id: 'q1', text: 'Benchmark question.', timeLimitSeconds: 300 }],
    }),
  });
  const json = await res.json().catch(() => null);
  if (res.status !== 201 || !json?.joinUrl) throw new Error(`create session: HTTP ${res.status}`);
  return json;
}

// ---------------------------------------------------------------- /proc

function procCpuTicks(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);  // utime, stime (fields 14, 15)
}

function procRssKb(pid) {
  if (!fs.existsSync(`/proc/${pid}/status`)) throw new Error('imsd exited during the window (see its log)');
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

/** {tid: {name, ticks}} for every thread of pid. */
function threadTicks(pid) {
  const out = {};
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out[tid] = { name, ticks: Number(f[11]) + Number(f[12]) };
    } catch { /* thread ended */ }
  }
  return out;
}

/** CPU % of one core per thread name (digits folded to N) between two snapshots. */
function threadSplit(before, after, seconds) {
  const byName = {};
  for (const [tid, a] of Object.entries(after)) {
    const ticks = a.ticks - (before[tid] ? before[tid].ticks : 0);
    const name = a.name.replace(/\d+/g, 'N');
    byName[name] = (byName[name] || 0) + ticks;
  }
  return Object.entries(byName).map(([name, ticks]) => [name, 100 * ticks / CLK_TCK / seconds])
    .filter(([, pct]) => pct > 0).sort((x, y) => y[1] - x[1]);
}

function takeProbe(file) {
  return new Promise(resolve => {
    execFile(path.join(args.build, 'tests/tools/take-probe'), [file], { timeout: 180000 }, (err, stdout) => {
      try { resolve(JSON.parse(stdout.trim().split('\n').pop())); } catch { resolve({ ok: false }); }
    });
  });
}

function findTakes(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...findTakes(p));
    else if (p.endsWith('.mkv')) out.push(p);
  }
  return out;
}

// ---------------------------------------------------------------- page side

// Runs in every page before its scripts: timestamps the signaling (WebSocket
// open, first state with takeWriting / mediaReady, take.stop sent, first
// review after it) and clicks #record as soon as mediaReady when asked to.
function pageHooks() {
  const b = window.__bench = { wsOpen: null, mediaReady: null, takeWriting: null, stopSent: null,
                               review: null, autoRecord: false, recordClicks: 0 };
  const Native = window.WebSocket;
  const clickRecord = () => {
    const s = window.imsd && window.imsd.state;
    const button = document.getElementById('record');
    if (!b.autoRecord || !s || s.phase !== 'thinking' || !s.mediaReady) return;
    if (button && !button.hidden && !button.disabled) { button.click(); b.recordClicks++; }
    else setTimeout(clickRecord, 5);
  };
  window.WebSocket = class extends Native {
    constructor(...a) {
      super(...a);
      this.addEventListener('open', () => { if (b.wsOpen === null) b.wsOpen = performance.now(); });
      this.addEventListener('message', (ev) => {
        let m; try { m = JSON.parse(ev.data); } catch { return; }
        // take.start can be refused while the video branch is still coming up
        // (mediaReady counts any media): press Record again, as a person would
        if (m.type === 'error' && m.code === 'media_not_ready') setTimeout(clickRecord, 200);
        if (m.type !== 'state') return;
        const now = performance.now();
        if (m.mediaReady && b.mediaReady === null) b.mediaReady = now;
        if (m.takeWriting && b.takeWriting === null) b.takeWriting = now;
        if (b.stopSent !== null && b.review === null && m.phase === 'review') b.review = now;
        if (m.phase === 'thinking' && m.mediaReady) setTimeout(clickRecord, 0);  // after the page rendered it
      });
    }
    send(data) {
      try { if (JSON.parse(data).type === 'take.stop' && b.stopSent === null) b.stopSent = performance.now(); } catch { /* not JSON */ }
      return super.send(data);
    }
  };
}

async function waitPages(pages, fn, what, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await Promise.all(pages.map(p => p.evaluate(fn)));
    if (ok.every(Boolean)) return;
    if (Date.now() > deadline) {
      const seen = await Promise.all(pages.map(p => p.evaluate(() => JSON.stringify({
        bench: window.__bench, phase: window.imsd?.state?.phase, mediaReady: window.imsd?.state?.mediaReady,
        errors: window.imsd?.errors, log: (window.imsd?.log || []).map(m => m.type + (m.type === "state" ? ":" + m.phase + ":" + m.mediaReady : "")) }))));
      throw new Error(`timed out waiting for ${what}: ${seen.join(' ')}`);
    }
    await sleep(50);
  }
}

/** Video bytes the browsers sent so far (outbound-rtp), per page. */
function sentVideo(pages) {
  return Promise.all(pages.map(p => p.evaluate(async () => {
    const pc = window.imsd.pc;
    if (!pc) return null;
    for (const r of (await pc.getStats()).values())
      if (r.type === 'outbound-rtp' && r.kind === 'video') return { bytes: r.bytesSent, t: r.timestamp };
    return null;
  })));
}

const CHROMIUM_ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };

// ---------------------------------------------------------------- one run

async function runOne(dbUrl, codec, n, mode) {
  const row = { codec, n, mode };
  const imsd = await startImsd(dbUrl);
  // playwright's launch() uses a fresh temporary user data dir (it refuses --user-data-dir)
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const sessions = [];
    for (let i = 0; i < n; i++) sessions.push(await createSession(imsd.baseUrl, i));
    const pages = [];
    for (const s of sessions) {
      const context = await browser.newContext();
      await context.addInitScript(pageHooks);
      const page = await context.newPage();
      const url = new URL(s.joinUrl);
      url.searchParams.set('codec', codec);
      await page.goto(url.toString());
      await page.evaluate(auto => { window.__bench.autoRecord = auto; }, mode === 'record');
      await page.waitForFunction(() => !document.getElementById('join').disabled, null, { timeout: 20000 });
      pages.push(page);
    }
    // join all at once
    await Promise.all(pages.map(p => p.evaluate(() => document.getElementById('join').click())));
    const ready = mode === 'record' ? () => window.__bench.takeWriting !== null : () => window.__bench.mediaReady !== null;
    await waitPages(pages, ready, mode === 'record' ? 'every take writing' : 'media ready on every page');

    const sent0 = await sentVideo(pages);
    const pid = imsd.proc.pid;
    const t0 = procCpuTicks(pid), threads0 = threadTicks(pid), wall0 = performance.now();
    let rssMax = procRssKb(pid);
    const deadline = wall0 + args.seconds * 1000;
    while (performance.now() < deadline) {
      await sleep(Math.min(250, Math.max(0, deadline - performance.now())));
      rssMax = Math.max(rssMax, procRssKb(pid));
    }
    const seconds = (performance.now() - wall0) / 1000;
    const t1 = procCpuTicks(pid), threads1 = threadTicks(pid);
    const sent1 = await sentVideo(pages);
    row.sentKbps = sent1.map((b, i) => b && sent0[i] ? (b.bytes - sent0[i].bytes) * 8 / (b.t - sent0[i].t) : 0);
    row.cpuPerStream = 100 * (t1 - t0) / CLK_TCK / seconds / n;
    row.rssMb = rssMax / 1024;
    row.threads = threadSplit(threads0, threads1, seconds);

    const marks = await Promise.all(pages.map(p => p.evaluate(() => window.__bench)));
    row.join = marks.map(m => (mode === 'record' ? m.takeWriting : m.mediaReady) - m.wsOpen);

    if (mode === 'record') {
      await Promise.all(pages.map(p => p.evaluate(() => document.getElementById('stop').click())));
      await waitPages(pages, () => window.__bench.review !== null, 'review after stop');
      const done = await Promise.all(pages.map(p => p.evaluate(() => window.__bench)));
      row.stop = done.map(m => m.review - m.stopSent);
      const files = findTakes(imsd.spoolDir);
      row.takes = [];
      for (const f of files) {
        const probe = await takeProbe(f);
        const size = fs.statSync(f).size;
        row.takes.push({ file: f, ok: probe.ok, kbps: probe.durationMs > 0 ? size * 8 / probe.durationMs : 0,
                         width: probe.width, height: probe.height, durationMs: probe.durationMs });
      }
    }
  } catch (e) {
    row.error = e.message;
  } finally {
    await browser.close().catch(() => {});
    await imsd.stop();
    if (!args.keep && !row.error) fs.rmSync(imsd.dir, { recursive: true, force: true });
    else row.dir = imsd.dir;
  }
  return row;
}

// ---------------------------------------------------------------- main

ensureBuild();
const dbUrl = databaseUrl();
const cpus = os.cpus();
console.log(`# imsd record bench: ${args.build}, ${args.seconds} s window, ${cpus.length} x ${cpus[0]?.model || '?'}`);
const rows = [];
for (const codec of args.codecs) {
  for (const n of args.candidates) {
    for (const mode of args.modes) {
      process.stderr.write(`running ${codec} N=${n} ${mode}...\n`);
      const row = await runOne(dbUrl, codec, n, mode);
      rows.push(row);
      if (row.error) process.stderr.write(`  error: ${row.error} (kept ${row.dir})\n`);
    }
  }
}

const f1 = x => (x === undefined || x === null || Number.isNaN(x)) ? '-' : x.toFixed(1);
const f0 = x => (x === undefined || x === null || Number.isNaN(x)) ? '-' : x.toFixed(0);
const header = ['codec', 'N', 'mode', 'cpu%/stream', 'rss MB', 'join p50/max ms', 'sent kbps', 'file kbps', 'WxH', 'take s', 'stop p50/max ms', 'note'];
const table = [header];
for (const r of rows) {
  const takes = r.takes || [];
  const okTakes = takes.filter(t => t.ok);
  const kbps = okTakes.length ? okTakes.reduce((a, t) => a + t.kbps, 0) / okTakes.length : null;
  const sizes = [...new Set(okTakes.map(t => `${t.width}x${t.height}`))].join(',');
  const durs = okTakes.map(t => (t.durationMs / 1000).toFixed(1)).join(',');
  let note = r.error ? `ERROR ${r.error}` : '';
  if (r.mode === 'record' && !r.error && okTakes.length !== r.n) note = `${okTakes.length}/${r.n} takes decode`;
  table.push([r.codec, String(r.n), r.mode, f1(r.cpuPerStream), f0(r.rssMb),
              r.join ? `${f0(pct(r.join, 0.5))}/${f0(Math.max(...r.join))}` : '-',
              r.sentKbps ? f0(r.sentKbps.reduce((a, x) => a + x, 0) / r.sentKbps.length) : '-',
              kbps !== null ? f0(kbps) : '-', sizes || '-', durs || '-',
              r.stop ? `${f0(pct(r.stop, 0.5))}/${f0(Math.max(...r.stop))}` : '-', note]);
}
const widths = header.map((_, i) => Math.max(...table.map(r => r[i].length)));
for (const r of table) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
console.log('join: WebSocket open -> takeWriting (record) / mediaReady (baseline); stop: take.stop sent -> review;');
console.log('sent kbps: browser video bytesSent over the window, mean per stream; file kbps: take size*8/duration');
console.log('(audio+video+container), mean per stream; cpu: imsd utime+stime over the window / N, % of one core.');
if (args.threads) {
  for (const r of rows) {
    if (!r.threads) continue;
    console.log(`\n# threads ${r.codec} N=${r.n} ${r.mode} (% of one core, whole process)`);
    for (const [name, p] of r.threads) console.log(`  ${name.padEnd(20)} ${p.toFixed(2)}`);
  }
}
process.exit(rows.some(r => !r.error) ? 0 : 1);
