// vs-janus.mjs: imsd against Janus (Debian's janus 1.1.2, VideoRoom with
// record=true) on the same Chromium source, rounds alternating A B A B.
//
//   node bench/vs-janus.mjs [--codecs h264,vp8] [--streams 1,2,4,8]
//                           [--seconds 30] [--warmup 5] [--pairs 2]
//                           [--build DIR] [--no-build] [--json FILE]
//                           [--y4m FILE] [--threads] [--keep]
//   node bench/vs-janus.mjs --report FILE.json [--threads]   # the tables again, from a run's JSON
//
// Lifecycle of the bench: make the busy source (a 1280x720 30 fps y4m with
// moving patterns and temporal noise, ffmpeg, into the temporary folder,
// never into the repository) -> start PostgreSQL (scripts/pg.sh) and a small
// HTTP server for the Janus page (bench/janus/publish.html, publish.js, and
// Debian's janus.js at /janus.js) -> for every N, every codec, every pair:
// one Janus round then one imsd round -> print the table, write the JSON.
//
// One round (server S, codec, N): start a fresh S (Janus: `janus -F` a
// temporary copy of bench/janus/*.jcfg.in; imsd: a release build, temporary
// spool) -> sample it at rest (RSS, threads) -> one headless Chromium with
// --use-file-for-fake-video-capture=<y4m>, N pages (Janus: publish.html;
// imsd: the candidate page with ?codec=) -> every page joins at once ->
// wait until every stream records (Janus: its "media" event says video is
// received and the .mjr files exist; imsd: state.takeWriting, i.e. the take's
// first keyframe is written) -> warm-up (at least --warmup s, then until
// every sender's bandwidth estimate, availableOutgoingBitrate, is 2 Mbit/s;
// at most 30 s more; its length is a figure) -> a window of --seconds: S's utime+stime, max RSS and threads
// (/proc, every 250 ms), the pages' outbound-rtp video stats, the growth of
// the recording files -> stop (imsd: #stop, time to the review phase, then
// take-probe on every take; Janus: unpublish) -> close Chromium, stop S.
//
// Figures per round: CPU as % of one core per stream, RSS at rest / max and
// growth per stream, threads at rest / max, sent video kbps and fps
// (outbound-rtp over the window), written kbps (recording files' growth over
// the window), WxH sent; imsd only: join (WebSocket open -> takeWriting) and
// stop (take.stop sent -> review: the file is finalized) p50/p95.  The ratio
// column divides imsd's CPU per stream by the Janus round just before it.
// Also the machine's CPU busy % and load average over each window, because
// the machine is shared: compare rounds of one pair, not runs on different days.
//
// Never fails on time.  Exit status 1 when a round could not happen (its
// error is in its row and in the JSON), else 0.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRequire } from 'node:module';
import { repoRoot, JANUS_JS, SERVICE_TOKEN, CHROMIUM_ARGS, requireJanus, ensureBuild, databaseUrl,
         startPageServer, startJanus, startImsd, stopServer, janusVersion } from './lib/servers.mjs';
import { procStat, procRssKb, sampleWindow, fileSizes, loadAverage } from './lib/proc.mjs';
import { pct, mean, leastSquares, f0, f1, f2 } from './lib/report.mjs';
import { parseOptions } from './lib/options.mjs';

const require = createRequire(path.join(repoRoot, 'tests/browser/package.json'));
const { chromium } = require('playwright-core');

const RAMPED_KBPS = 2000;                       // warm-up ends when every sender estimates this
const JANUS_ROOMS = { vp8: 1001, h264: 1002 };  // bench/janus/janus.plugin.videoroom.jcfg.in

function parseArgs(argv) {
  const args = parseOptions(argv, {
    build: path.join(repoRoot, 'build-bench'), seconds: 30, warmup: 5, pairs: 2,
    codecs: ['h264', 'vp8'], streams: [1, 2, 4, 8], threads: false, keep: false,
    y4m: path.join(os.tmpdir(), 'imsd-bench-busy-720p30.y4m'),
    json: path.join(os.tmpdir(), `imsd-vs-janus-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
  }, {
    '--build': ['build', 'path'], '--seconds': ['seconds', 'number'], '--warmup': ['warmup', 'number'],
    '--pairs': ['pairs', 'number'], '--codecs': ['codecs', 'list'], '--streams': ['streams', 'numbers'],
    '--json': ['json', 'path'], '--y4m': ['y4m', 'path'], '--threads': ['threads', 'flag'],
    '--keep': ['keep', 'flag'], '--report': ['report', 'path'], '--no-build': ['noBuild', 'flag'],
  });
  for (const c of args.codecs) if (!JANUS_ROOMS[c]) throw new Error(`unknown codec ${c} (h264, vp8)`);
  return args;
}

const args = parseArgs(process.argv);

// ---------------------------------------------------------------- setup

/** Makes the busy 720p30 source once (10 s, looped by Chromium; ~415 MB). */
function ensureY4m() {
  if (fs.existsSync(args.y4m) && fs.statSync(args.y4m).size > 1e8) return;
  process.stderr.write(`making ${args.y4m} (ffmpeg testsrc2 + temporal noise)...\n`);
  const tmp = `${args.y4m}.part`;
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi',
    '-i', 'testsrc2=size=1280x720:rate=30', '-vf', 'noise=alls=14:allf=t+u', '-t', '10',
    '-pix_fmt', 'yuv420p', '-f', 'yuv4mpegpipe', tmp], { stdio: 'inherit' });
  fs.renameSync(tmp, args.y4m);
}

async function createSession(baseUrl, i) {
  const res = await fetch(`${baseUrl}/api/v1/sessions`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${SERVICE_TOKEN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      interviewId: `vs-janus-${Date.now()}-${i}`, userId: `bench-${i}`, candidateEmail: 'bench@example.test',
      // think time and answer limit (the API's maxima: 600 s, the default
      // profile's 300 s) beyond a round: the server never starts or stops a take itself
      settings: { thinkSeconds: 600, maxRetakes: 1 },
      questions: [{ id: 'q1', text: 'Benchmark question.', timeLimitSeconds: 300 }],
    }),
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* reported below */ }
  if (res.status !== 201 || !json?.joinUrl) throw new Error(`create session: HTTP ${res.status} ${text.slice(0, 200)}`);
  return json;
}

// ---------------------------------------------------------------- /proc

function takeProbe(file) {
  return new Promise(resolve => {
    execFile(path.join(args.build, 'tests/tools/take-probe'), [file], { timeout: 180000 }, (err, stdout) => {
      try { resolve(JSON.parse(stdout.trim().split('\n').pop())); } catch { resolve({ ok: false }); }
    });
  });
}

// ---------------------------------------------------------------- page side

// imsd pages: runs before the candidate page's scripts; timestamps WebSocket
// open, the first state with takeWriting, take.stop sent and the review
// after it, and presses #record as soon as the state says mediaReady (again
// after media_not_ready), as bench/record.mjs does.
function imsdPageHooks() {
  const b = window.__bench = { wsOpen: null, takeWriting: null, stopSent: null, review: null, steps: {} };
  const step = (name) => { if (b.steps[name] === undefined && b.wsOpen !== null) b.steps[name] = performance.now() - b.wsOpen; };
  const Native = window.WebSocket;
  const clickRecord = () => {
    const s = window.imsd && window.imsd.state;
    const button = document.getElementById('record');
    if (!s || s.phase !== 'thinking' || !s.mediaReady) return;
    if (button && !button.hidden && !button.disabled) { step('record clicked'); button.click(); }
    else setTimeout(clickRecord, 5);
  };
  window.WebSocket = class extends Native {
    constructor(...a) {
      super(...a);
      this.addEventListener('open', () => { if (b.wsOpen === null) b.wsOpen = performance.now(); });
      this.addEventListener('message', (ev) => {
        let m; try { m = JSON.parse(ev.data); } catch { return; }
        if (m.type === 'error' && m.code === 'media_not_ready') setTimeout(clickRecord, 200);
        step(`got ${m.type}`);
        if (m.type !== 'state') return;
        const now = performance.now();
        if (m.mediaReady) step('mediaReady');
        if (m.takeWriting && b.takeWriting === null) b.takeWriting = now;
        if (b.stopSent !== null && b.review === null && m.phase === 'review') b.review = now;
        if (m.phase === 'thinking' && m.mediaReady) setTimeout(clickRecord, 0);
      });
    }
    send(data) {
      try {
        const type = JSON.parse(data).type;
        step(`sent ${type}`);
        if (type === 'take.stop' && b.stopSent === null) b.stopSent = performance.now();
      } catch { /* not JSON */ }
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
      const seen = await Promise.all(pages.map(p => p.evaluate(() => JSON.stringify(
        window.bench ? { ...window.bench, handle: undefined } : { bench: window.__bench, phase: window.imsd?.state?.phase,
          errors: window.imsd?.errors }))));
      throw new Error(`timed out waiting for ${what}: ${seen.join(' ')}`);
    }
    await sleep(50);
  }
}

/** The video outbound-rtp of each page's peer connection (fn returns the pc in the page). */
function outboundVideo(pages, server) {
  return Promise.all(pages.map(p => p.evaluate(async (server) => {
    const pc = server === 'janus' ? window.bench.pc() : window.imsd.pc;
    if (!pc) return null;
    const stats = [...(await pc.getStats()).values()];
    // the selected pair (a page can hold several succeeded pairs, one per host address)
    const transport = stats.find(r => r.type === 'transport' && r.selectedCandidatePairId);
    const pair = transport && stats.find(r => r.id === transport.selectedCandidatePairId);
    const r = stats.find(x => x.type === 'outbound-rtp' && x.kind === 'video');
    if (!r) return null;
    return { bytes: r.bytesSent, frames: r.framesSent, t: r.timestamp, width: r.frameWidth,
             height: r.frameHeight, limitation: r.qualityLimitationReason,
             codec: stats.find(c => c.id === r.codecId)?.mimeType,
             targetKbps: r.targetBitrate / 1000, bweKbps: pair ? pair.availableOutgoingBitrate / 1000 : null,
             keyFrames: r.keyFramesEncoded, pli: r.pliCount, fir: r.firCount, nack: r.nackCount,
             retransmittedBytes: r.retransmittedBytesSent,
             limitationS: r.qualityLimitationDurations ? { ...r.qualityLimitationDurations } : null };
  }, server)));
}

// ---------------------------------------------------------------- one round

/** Opens n pages for server; resolves when every stream records. */
async function openPages(browser, server, srv, codec, n, pageBase) {
  const pages = [];
  for (let i = 0; i < n; i++) {
    const context = await browser.newContext();
    if (server === 'imsd') await context.addInitScript(imsdPageHooks);
    const page = await context.newPage();
    if (server === 'janus') {
      const url = `${pageBase}/publish.html?ws=${encodeURIComponent(srv.wsUrl)}&room=${JANUS_ROOMS[codec]}&i=${i}`;
      await page.goto(url);
      await page.waitForFunction(() => window.bench && window.bench.attached !== null, null, { timeout: 20000 });
    } else {
      const s = await createSession(srv.baseUrl, i);
      const url = new URL(s.joinUrl);
      url.searchParams.set('codec', codec);
      await page.goto(url.toString());
      await page.waitForFunction(() => !document.getElementById('join').disabled, null, { timeout: 20000 });
    }
    pages.push(page);
  }
  if (server === 'janus') {
    await Promise.all(pages.map(p => p.evaluate(() => window.bench.join())));
    await waitPages(pages, () => window.bench.videoReceiving !== null || window.bench.errors.length > 0, 'Janus receiving video');
    const errs = (await Promise.all(pages.map(p => p.evaluate(() => window.bench.errors)))).flat();
    if (errs.length) throw new Error(`Janus page: ${errs.join('; ')}`);
    // record=true: one .mjr per track and publisher once media flows
    const deadline = Date.now() + 20000;
    while (Object.keys(fileSizes(srv.recDir)).filter(f => f.endsWith('.mjr')).length < 2 * n) {
      if (Date.now() > deadline) throw new Error(`Janus wrote ${Object.keys(fileSizes(srv.recDir)).length} .mjr files, want ${2 * n}`);
      await sleep(100);
    }
  } else {
    await Promise.all(pages.map(p => p.evaluate(() => document.getElementById('join').click())));
    await waitPages(pages, () => window.__bench.takeWriting !== null, 'every take writing');
  }
  return pages;
}

/** One round; never throws: a failure is row.error. */
async function runRound(ctx, server, codec, n, pair) {
  const row = { server, codec, n, pair };
  let srv = null;
  let browser = null;
  try {
    srv = server === 'janus' ? await startJanus() : await startImsd(args.build, ctx.dbUrl);
    await sleep(1000);
    const rest = procStat(srv.pid);
    row.rssRestMb = procRssKb(srv.pid) / 1024;
    row.threadsRest = rest.threads;

    // playwright's launch() uses a fresh temporary profile per browser
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
      args: [...CHROMIUM_ARGS, `--use-file-for-fake-video-capture=${args.y4m}`] });
    const pages = await openPages(browser, server, srv, codec, n, ctx.pageBase);
    if (server === 'imsd') {
      const marks = await Promise.all(pages.map(p => p.evaluate(() => window.__bench)));
      row.joinMs = marks.map(m => m.takeWriting - m.wsOpen);
      row.joinSteps = marks.map(m => m.steps);
      if (process.env.IMSD_BENCH_JOIN_STEPS) for (const m of marks) console.log('join steps (ms after WebSocket open):', JSON.stringify(m.steps));
    } else {
      const marks = await Promise.all(pages.map(p => p.evaluate(() => ({ ...window.bench, handle: undefined }))));
      row.janusJoinMs = marks.map(m => m.videoReceiving - m.joinSent);
    }
    // warm-up: at least --warmup s, then until every sender's bandwidth
    // estimate reaches 2 Mbit/s (Chromium starts at 300 kbit/s and ramps by
    // the server's feedback), at most 30 s more
    const ramp0 = performance.now();
    await sleep(args.warmup * 1000);
    for (;;) {
      const bwe = (await outboundVideo(pages, server)).map(o => o?.bweKbps || 0);
      row.rampMs = performance.now() - ramp0;
      if (bwe.every(b => b >= RAMPED_KBPS)) break;
      if (row.rampMs > args.warmup * 1000 + 30000) { row.notRamped = bwe; break; }
      await sleep(250);
    }

    const out0 = await outboundVideo(pages, server);
    const files0 = fileSizes(srv.recDir);
    const sampled = await sampleWindow(srv.pid, args.seconds);
    const seconds = sampled.seconds;
    const files1 = fileSizes(srv.recDir);
    const out1 = await outboundVideo(pages, server);

    row.seconds = seconds;
    row.cpuPerStream = sampled.cpuMsPerSecond / 10 / n;   // % of one core
    row.rssMaxMb = sampled.rssMaxKb / 1024;
    row.rssPerStreamMb = (row.rssMaxMb - row.rssRestMb) / n;
    row.threadsMax = sampled.threadsMax;
    row.threadSplit = sampled.threadSplit;
    row.machineBusyPct = sampled.machineBusyPct;
    row.loadavg = loadAverage();
    row.sent = out1.map((b, i) => {
      const a = out0[i];
      if (!a || !b) return null;
      const dt = (b.t - a.t) / 1000;
      const limited = {};
      for (const [k, v] of Object.entries(b.limitationS || {}))
        if (k !== 'none') limited[k] = v - ((a.limitationS || {})[k] || 0);
      return { kbps: (b.bytes - a.bytes) * 8 / dt / 1000, fps: (b.frames - a.frames) / dt,
               keyFrames: b.keyFrames - a.keyFrames, pli: b.pli - a.pli, fir: b.fir - a.fir, nack: b.nack - a.nack,
               rtxKbps: (b.retransmittedBytes - a.retransmittedBytes) * 8 / dt / 1000, limitedS: limited,
               width: b.width, height: b.height, limitation: b.limitation, codec: b.codec,
               bweKbps: [a.bweKbps, b.bweKbps], targetKbps: [a.targetKbps, b.targetKbps] };
    });
    const grown = Object.entries(files1).reduce((a, [f, s]) => a + s - (files0[f] || 0), 0);
    row.writtenKbps = grown * 8 / seconds / 1000 / n;

    if (server === 'imsd') {
      await Promise.all(pages.map(p => p.evaluate(() => document.getElementById('stop').click())));
      await waitPages(pages, () => window.__bench.review !== null, 'review after stop');
      const done = await Promise.all(pages.map(p => p.evaluate(() => window.__bench)));
      row.stopMs = done.map(m => m.review - m.stopSent);
      row.takes = [];
      for (const f of Object.keys(fileSizes(srv.recDir)).filter(f => f.endsWith('.mkv'))) {
        const probe = await takeProbe(f);
        row.takes.push({ ok: probe.ok, width: probe.width, height: probe.height, durationMs: probe.durationMs });
      }
    } else {
      await Promise.all(pages.map(p => p.evaluate(() => window.bench.stop())));
      await waitPages(pages, () => window.bench.unpublished !== null, 'unpublished', 15000).catch(() => {});
      row.mjrFiles = Object.keys(fileSizes(srv.recDir)).filter(f => f.endsWith('.mjr')).length;
    }
  } catch (e) {
    row.error = e.message.split('\n')[0];
  } finally {
    if (browser) await browser.close().catch(() => {});
    if (srv) await stopServer(srv, row, args.keep);
  }
  return row;
}

// ---------------------------------------------------------------- report


/** The markdown table, one line per round, imsd rows with the ratio to the Janus round before them. */
function table(rows) {
  const head = ['codec', 'N', 'pair', 'server', 'cpu % core/stream', 'imsd/Janus', 'cpu %/(Mbit/s)', 'RSS rest/max MB', 'RSS +MB/stream',
                'threads rest/max', 'warm-up s', 'sent kbps', 'sent fps', 'sent WxH', 'keyframes/PLI+FIR/NACK', 'cpu-limited s', 'written kbps', 'join p50/p95 ms',
                'stop p50/p95 ms', 'machine busy %', 'note'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    const sent = (r.sent || []).filter(Boolean);
    const janus = rows.find(j => j.server === 'janus' && j.codec === r.codec && j.n === r.n && j.pair === r.pair);
    const ratio = r.server === 'imsd' && janus?.cpuPerStream > 0 && r.cpuPerStream !== undefined
      ? f2(r.cpuPerStream / janus.cpuPerStream) : '';
    const sizes = [...new Set(sent.map(s => `${s.width}x${s.height}`))].join(',');
    const limits = [...new Set(sent.map(s => s.limitation).filter(l => l && l !== 'none'))];
    let note = r.error ? `ERROR ${r.error}` : '';
    if (limits.length) note += `${note ? '; ' : ''}limited: ${limits.join(',')}`;
    if (r.notRamped) note += `${note ? '; ' : ''}bandwidth estimate ${r.notRamped.map(f0).join(',')} kbps after warm-up`;
    if (r.takes) {
      const ok = r.takes.filter(t => t.ok).length;
      note += `${note ? '; ' : ''}${ok}/${r.n} takes decode`;
    }
    if (r.mjrFiles !== undefined) note += `${note ? '; ' : ''}${r.mjrFiles} .mjr`;
    lines.push(`| ${[r.codec, r.n, r.pair, r.server, f1(r.cpuPerStream), ratio, f2(perMbit(r)),
      `${f0(r.rssRestMb)}/${f0(r.rssMaxMb)}`, f1(r.rssPerStreamMb), `${r.threadsRest ?? '-'}/${r.threadsMax ?? '-'}`, f1(r.rampMs / 1000),
      f0(mean(sent.map(s => s.kbps))), f1(mean(sent.map(s => s.fps))), sizes || '-',
      sent.length ? [mean(sent.map(s => s.keyFrames)), mean(sent.map(s => s.pli + s.fir)), mean(sent.map(s => s.nack))].map(f1).join('/') : '-',
      f1(mean(sent.map(s => s.limitedS?.cpu || 0))), f0(r.writtenKbps),
      r.joinMs ? `${f0(pct(r.joinMs, 0.5))}/${f0(pct(r.joinMs, 0.95))}` : '-',
      r.stopMs ? `${f0(pct(r.stopMs, 0.5))}/${f0(pct(r.stopMs, 0.95))}` : '-',
      f0(r.machineBusyPct), note].join(' | ')} |`);
  }
  return lines.join('\n');
}

/** A round's CPU per stream divided by its streams' mean sent Mbit/s (per packet rather than per stream). */
function perMbit(r) {
  const kbps = mean((r.sent || []).filter(Boolean).map(s => s.kbps));
  return r.cpuPerStream !== undefined && kbps > 0 ? r.cpuPerStream / (kbps / 1000) : null;
}

/** One line per (codec, N): both servers' cpu per stream over the pairs and the ratios. */
function pairSummary(rows) {
  const lines = ['| codec | N | Janus % core/stream | imsd % core/stream | imsd/Janus per stream | imsd/Janus per Mbit/s | Janus threads max | imsd threads max | Janus RSS max MB | imsd RSS max MB |',
                 '|---|---|---|---|---|---|---|---|---|---|'];
  const keys = [...new Set(rows.map(r => `${r.codec} ${r.n}`))];
  for (const key of keys) {
    const [codec, n] = [key.split(' ')[0], Number(key.split(' ')[1])];
    const of = server => rows.filter(r => r.server === server && r.codec === codec && r.n === n && r.cpuPerStream !== undefined);
    const j = of('janus'), i = of('imsd');
    const span = xs => xs.length ? (Math.min(...xs) === Math.max(...xs) ? f2(xs[0]) : `${f2(Math.min(...xs))}-${f2(Math.max(...xs))}`) : '-';
    const pairs = i.map(x => [x, j.find(y => y.pair === x.pair)]).filter(([, y]) => y);
    lines.push(`| ${[codec, n, span(j.map(r => r.cpuPerStream)), span(i.map(r => r.cpuPerStream)),
      span(pairs.map(([x, y]) => x.cpuPerStream / y.cpuPerStream)), span(pairs.map(([x, y]) => perMbit(x) / perMbit(y))),
      Math.max(...j.map(r => r.threadsMax)), Math.max(...i.map(r => r.threadsMax)),
      f0(Math.max(...j.map(r => r.rssMaxMb))), f0(Math.max(...i.map(r => r.rssMaxMb)))].join(' | ')} |`);
  }
  return lines.join('\n');
}

/** RSS growth per added stream: the least-squares slope of (max RSS - RSS at rest) against N over
 * every round of a server and codec, so the first stream's one-time costs (libraries' pages touched,
 * a media loop's first allocations) are the intercept, not part of every stream.  Needs two N. */
function rssSlopeSummary(rows) {
  const lines = ['| codec | server | N measured | RSS growth at smallest N, MB | per added stream, MB (slope) |', '|---|---|---|---|---|'];
  for (const codec of [...new Set(rows.map(r => r.codec))]) {
    for (const server of ['janus', 'imsd']) {
      const rs = rows.filter(r => r.server === server && r.codec === codec && r.rssMaxMb !== undefined);
      const ns = [...new Set(rs.map(r => r.n))].sort((a, b) => a - b);
      if (ns.length < 2) continue;
      const [, slope] = leastSquares(rs.map(r => r.n), rs.map(r => r.rssMaxMb - r.rssRestMb));
      const first = mean(rs.filter(r => r.n === ns[0]).map(r => r.rssMaxMb - r.rssRestMb));
      lines.push(`| ${codec} | ${server} | ${ns.join(',')} | ${f1(first)} | ${f2(slope)} |`);
    }
  }
  return lines.length > 2 ? lines.join('\n') : '';
}

/** imsd's join and stop over every round of a codec (p50/p95 over all streams). */
function joinSummary(rows) {
  const lines = ['| codec | streams measured | join p50 ms | join p95 ms | stop p50 ms | stop p95 ms |', '|---|---|---|---|---|---|'];
  for (const codec of [...new Set(rows.map(r => r.codec))]) {
    const rs = rows.filter(r => r.server === 'imsd' && r.codec === codec);
    const join = rs.flatMap(r => r.joinMs || []), stop = rs.flatMap(r => r.stopMs || []);
    if (!join.length) continue;
    lines.push(`| ${codec} | ${join.length} | ${f0(pct(join, 0.5))} | ${f0(pct(join, 0.95))} | ${stop.length ? f0(pct(stop, 0.5)) : '-'} | ${stop.length ? f0(pct(stop, 0.95)) : '-'} |`);
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------- main

if (args.report) {
  const run = JSON.parse(fs.readFileSync(args.report, 'utf8'));
  printReport(run.header, run.rows);
  process.exit(0);
}
requireJanus();
if (!args.noBuild) ensureBuild(args.build);
ensureY4m();
const ctx = { dbUrl: databaseUrl(), pageBase: await startPageServer({
  '/publish.html': [path.join(repoRoot, 'bench/janus/publish.html'), 'text/html'],
  '/publish.js': [path.join(repoRoot, 'bench/janus/publish.js'), 'text/javascript'],
  '/janus.js': [JANUS_JS, 'text/javascript'],
}) };
const cpus = os.cpus();
const header = `imsd vs Janus: ${args.build}, ${janusVersion()}, ${args.seconds} s windows after ${args.warmup} s warm-up, ` +
  `${cpus.length} x ${cpus[0]?.model || '?'}, load average at start ${loadAverage().join(' ')}`;
process.stderr.write(`${header}\n`);
const rows = [];
for (const n of args.streams) {          // the largest N last: the one most likely to be cut short
  for (const codec of args.codecs) {
    for (let pair = 1; pair <= args.pairs; pair++) {
      for (const server of ['janus', 'imsd']) {   // A B A B: Janus, imsd, Janus, imsd
        process.stderr.write(`${codec} N=${n} pair ${pair}: ${server}...`);
        const row = await runRound(ctx, server, codec, n, pair);
        rows.push(row);
        process.stderr.write(row.error ? ` ERROR ${row.error} (kept ${row.dir})\n`
          : ` ${f1(row.cpuPerStream)} % core/stream, machine ${f0(row.machineBusyPct)} % busy\n`);
      }
    }
  }
}

printReport(header, rows);
fs.writeFileSync(args.json, JSON.stringify({ header, args: { ...args, build: args.build }, rows }, null, 2));
console.log(`\nJSON: ${args.json}`);
process.exit(rows.some(r => r.error) ? 1 : 0);

/** Prints the tables of one run (header and rows as in its JSON). */
function printReport(header, rows) {
console.log(`# ${header}\n`);
console.log(table(rows));
console.log('\ncpu: server utime+stime over the window / N, % of one core; imsd/Janus: imsd cpu / the same pair\'s Janus cpu;');
console.log('RSS +MB/stream: (max RSS in the window - RSS at rest) / N; sent: the pages\' video outbound-rtp over the window,');
console.log('mean per stream; written kbps: growth of the recording files over the window / N (Janus: .mjr, imsd: .mkv);');
console.log('join: WebSocket open -> state.takeWriting (first keyframe written); stop: take.stop sent -> review (file finalized);');
console.log('keyframes/PLI+FIR/NACK: keyFramesEncoded, pliCount+firCount, nackCount over the window, mean per stream;');
console.log('cpu-limited s: qualityLimitationDurations.cpu over the window, mean per stream;');
console.log('warm-up s: streams recording -> every sender\'s bandwidth estimate >= 2 Mbit/s (at least --warmup s);');
console.log('machine busy %: all cores, whole machine (Chromium, other jobs) over the window.\n');
console.log(pairSummary(rows));
console.log('\ncpu %/(Mbit/s): cpu % core/stream / the streams\' mean sent Mbit/s (the senders do not send alike under load).\n');
console.log(joinSummary(rows));
const slopes = rssSlopeSummary(rows);
if (slopes) console.log(`\n${slopes}`);
if (args.threads) {
  for (const r of rows.filter(x => x.threadSplit)) {
    console.log(`\n# threads ${r.server} ${r.codec} N=${r.n} pair ${r.pair} (% of one core)`);
    for (const [name, p] of r.threadSplit.slice(0, 12)) console.log(`  ${name.padEnd(20)} ${p.toFixed(2)}`);
  }
}
}
