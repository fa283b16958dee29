// live-room.mjs: a live interview room (1 candidate + 1 interviewer, both
// recorded) on imsd against Janus's VideoRoom forwarding and recording the same
// two streams, in the same run: glass-to-glass latency, CPU and RSS per room.
//
//   node bench/live-room.mjs [--rooms 1,2] [--servers janus,imsd] [--seconds 20]
//                            [--warmup 5] [--codec vp8|h264] [--kbps 1500]
//                            [--build DIR] [--no-build] [--database-url URL]
//                            [--json FILE] [--keep]
//
// Lifecycle: start PostgreSQL (scripts/pg.sh; or --database-url) and a small
// HTTP server for the pages (bench/live/, Debian's janus.js at /janus.js) ->
// for every room count N (--rooms), every server: one round -> print the
// table, write the JSON.
//
// One round (server S, N rooms): a fresh S (Janus: `janus -F` on a temporary
// copy of bench/janus/*.jcfg.in plus N rooms with record = true and the codec
// forced; imsd: BUILD/imsd, temporary spool, N rooms by POST /api/v1/rooms,
// recording "both") -> S's CPU over 5 s and RSS at rest -> per room two Chromium processes
// (bench/lib/servers.mjs's flags: fake devices), the candidate's and the
// interviewer's page (bench/live/room.html, ?server=janus or imsd) -> every
// page joins at once: each publishes the clock canvas (bench/live/clock.js:
// Date.now() drawn as coded cells every frame, plus a noise band) with the
// fake microphone and subscribes to the other -> wait until every page reads
// clock codes from the other's video and the recordings exist (Janus: 4 .mjr
// per room; imsd: 2 .mkv per room) -> --warmup s -> a window of --seconds:
// S's utime+stime (/proc), max RSS (every 250 ms), the machine's busy time and
// load -> the pages' latency samples in the window (receiver's Date.now() at
// requestVideoFrameCallback - the time read from the frame: one clock, one
// machine) -> close the pages and Chromium, stop S.
//
// Figures: latency candidate -> interviewer and back, p50/p95 (ms); CPU (ms
// of CPU per second of wall time, i.e. 10 ms/s = 1 % of one core) at rest
// (5 s after start, before any page: the fixed cost), over the window, and
// per room ((window - rest) / N); RSS at rest and max; with two or more room
// counts also the least-squares split of CPU and RSS against N.  Never fails on time: exit
// status 1 when a round could not happen (its error is in its row), else 0.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRequire } from 'node:module';
import { repoRoot, JANUS_JS, SERVICE_TOKEN, CHROMIUM_ARGS, requireJanus, ensureBuild, databaseUrl,
         startPageServer, startJanus, startImsd, stopServer, janusVersion } from './lib/servers.mjs';
import { procStat, procRssKb, sampleWindow, loadAverage, fileSizes } from './lib/proc.mjs';
import { pct, mean, leastSquares, f0, f1 } from './lib/report.mjs';
import { parseOptions } from './lib/options.mjs';

const require = createRequire(path.join(repoRoot, 'tests/browser/package.json'));
const { chromium } = require('playwright-core');

const ROLES = ['candidate', 'interviewer'];
// the server's CPU at rest is measured over this, before the pages open (at 100 ticks/s: 2 ms/s resolution)
const REST_SECONDS = 5;

function parseArgs(argv) {
  const args = parseOptions(argv, {
    build: path.join(repoRoot, 'build-bench'), seconds: 20, warmup: 5, rooms: [1],
    servers: ['janus', 'imsd'], codec: 'vp8', kbps: 1500, keep: false, databaseUrl: null,
    json: path.join(os.tmpdir(), `imsd-live-room-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
  }, {
    '--build': ['build', 'path'], '--seconds': ['seconds', 'number'], '--warmup': ['warmup', 'number'],
    '--rooms': ['rooms', 'numbers'], '--servers': ['servers', 'list'], '--codec': ['codec', 'string'],
    '--kbps': ['kbps', 'number'], '--database-url': ['databaseUrl', 'string'], '--json': ['json', 'path'],
    '--keep': ['keep', 'flag'], '--no-build': ['noBuild', 'flag'],
  });
  if (!['vp8', 'h264'].includes(args.codec)) throw new Error(`unknown codec ${args.codec} (h264, vp8)`);
  for (const s of args.servers) if (!['janus', 'imsd'].includes(s)) throw new Error(`unknown server ${s} (janus, imsd)`);
  if (args.rooms.some(n => !(n >= 1))) throw new Error('--rooms: counts of 1 or more');
  return args;
}

let args;
try { args = parseArgs(process.argv); } catch (e) {
  console.error(`${e.message}\nusage: see the head of bench/live-room.mjs or bench/README.md, "Live room"`);
  process.exit(2);
}

// ---------------------------------------------------------------- the rooms

/** VideoRoom rooms 3001.. for Janus: two publishers each, both recorded, the codec forced. */
function janusRooms(n) {
  let text = '';
  for (let k = 1; k <= n; k++) {
    text += `\nroom-${3000 + k}: {\n\tdescription = "imsd live-room bench ${k}"\n\tpublishers = 4\n` +
      `\tbitrate = ${args.kbps * 1000}\n\tfir_freq = 0\n\taudiocodec = "opus"\n\tvideocodec = "${args.codec}"\n` +
      `\trecord = true\n\trec_dir = "@REC_DIR@"\n}\n`;
  }
  return text;
}

/** Creates an imsd live room (docs/live-rooms.md, REST); {roomId, tokens: {role: token}}. */
async function createImsdRoom(baseUrl, k) {
  const stamp = `${Date.now()}-${k}`;
  const res = await fetch(`${baseUrl}/api/v1/rooms`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${SERVICE_TOKEN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      interviewId: `live-room-bench-${stamp}`, type: 'technical', scheduledAt: new Date().toISOString(),
      durationMinutes: 60, companyId: 'bench',
      candidate: { userId: `bench-cand-${stamp}`, email: 'candidate@example.test' },
      interviewers: [{ userId: `bench-int-${stamp}`, name: 'Bench Interviewer' }],
      questions: [{ id: 'q1', text: 'Benchmark question.', timeLimitSeconds: 600 }],
      settings: { observersVisible: false, allowScreenShare: false, recording: 'both' },
    }),
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* reported below */ }
  if (res.status !== 201 || !json?.roomId) throw new Error(`POST /api/v1/rooms: HTTP ${res.status} ${text.slice(0, 200)}`);
  const tokens = {};
  for (const p of json.participants || []) if (!tokens[p.role]) tokens[p.role] = p.token;
  for (const role of ROLES) if (!tokens[role]) throw new Error(`POST /api/v1/rooms: no ${role} token in ${text.slice(0, 200)}`);
  return { roomId: json.roomId, tokens };
}

/** The URL of one participant's page. */
function pageUrl(ctx, server, srv, room, role) {
  const q = new URLSearchParams({ server, role, kbps: String(args.kbps), codec: args.codec });
  if (server === 'janus') {
    q.set('ws', srv.wsUrl);
    q.set('room', String(room.janusRoom));
    return `${ctx.pageBase}/room.html?${q}`;
  }
  q.set('ws', `${srv.baseUrl.replace(/^http/, 'ws')}/ws`);
  q.set('room', room.roomId);
  q.set('token', room.tokens[role]);
  return `${ctx.pageBase}/room.html?${q}`;
}

async function waitPages(pages, fn, what, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = await Promise.all(pages.map(p => p.page.evaluate(fn)));
    if (seen.every(Boolean)) return;
    const errors = (await Promise.all(pages.map(p => p.page.evaluate(() => window.bench?.errors || [])))).flat();
    if (errors.length) throw new Error(`page: ${errors.join('; ')}`);
    if (Date.now() > deadline) {
      const marks = await Promise.all(pages.map(p => p.page.evaluate(() => JSON.stringify({ ...window.bench, samples: window.bench?.samples?.length, pcs: Object.keys(window.bench?.pcs || {}), roomState: undefined }))));
      throw new Error(`timed out waiting for ${what}: ${marks.join(' ')}`);
    }
    await sleep(100);
  }
}

/** Recording files of the server so far: Janus .mjr (one per track), imsd .mkv (one per participant). */
function recordings(server, dir) {
  return Object.keys(fileSizes(dir)).filter(f => f.endsWith(server === 'janus' ? '.mjr' : '.mkv'));
}

/** {kbps, fps, width, height, limitation, jitterBufferMs (inbound: mean per frame)} of a page's video of type (outbound-rtp / inbound-rtp) between two bench.videoStats(). */
function videoRates(before, after, type) {
  const b = after.find(r => r.type === type), a = before.find(r => r.type === type && r.pc === b?.pc);
  if (!a || !b || b.t <= a.t) return null;
  const dt = (b.t - a.t) / 1000;
  const emitted = (b.jitterBufferEmitted ?? 0) - (a.jitterBufferEmitted ?? 0);
  return { kbps: (b.bytes - a.bytes) * 8 / dt / 1000, fps: (b.frames - a.frames) / dt, width: b.width, height: b.height,
           limitation: b.limitation,
           jitterBufferMs: emitted > 0 ? 1000 * (b.jitterBufferS - a.jitterBufferS) / emitted : undefined };
}

// ---------------------------------------------------------------- one round

/** One round; never throws: a failure is row.error. */
async function runRound(ctx, server, n) {
  const row = { server, rooms: n };
  let srv = null;
  const browsers = [];
  try {
    srv = server === 'janus' ? await startJanus({ extraRooms: janusRooms(n) })
      : await startImsd(args.build, ctx.dbUrl);
    await sleep(1000);
    // at rest, before any page: the server's fixed cost (timers, its threads' polls)
    row.cpuRestMsPerSecond = (await sampleWindow(srv.pid, REST_SECONDS)).cpuMsPerSecond;
    row.rssRestMb = procRssKb(srv.pid) / 1024;
    row.threadsRest = procStat(srv.pid).threads;

    const pages = [];
    for (let k = 1; k <= n; k++) {
      const room = server === 'janus' ? { janusRoom: 3000 + k } : await createImsdRoom(srv.baseUrl, k);
      for (const role of ROLES) {
        // one Chromium process per participant, as two people on two machines
        const browser = await chromium.launch({ executablePath: process.env.IMSD_CHROMIUM || '/usr/bin/chromium', args: CHROMIUM_ARGS });
        browsers.push(browser);
        const page = await (await browser.newContext()).newPage();
        await page.goto(pageUrl(ctx, server, srv, room, role));
        await page.waitForFunction(() => window.bench && window.bench.attached !== null, null, { timeout: 20000 });
        pages.push({ page, room: k, role });
      }
    }
    const t0 = Date.now();
    await Promise.all(pages.map(p => p.page.evaluate(() => window.bench.join())));
    await waitPages(pages, () => window.bench.firstSample !== null, 'every page reading the other\'s clock');
    row.firstSampleMs = await Promise.all(pages.map(p => p.page.evaluate(() => window.bench.firstSample))).then(xs => xs.map(x => x - t0));
    const want = server === 'janus' ? 4 * n : 2 * n;
    const deadline = Date.now() + 20000;
    while (recordings(server, srv.recDir).length < want) {
      if (Date.now() > deadline) throw new Error(`${server} wrote ${recordings(server, srv.recDir).length} recording files, want ${want}`);
      await sleep(100);
    }
    await sleep(args.warmup * 1000);

    const video0 = await Promise.all(pages.map(p => p.page.evaluate(() => window.bench.videoStats())));
    const files0 = fileSizes(srv.recDir);
    const from = Date.now();
    const sampled = await sampleWindow(srv.pid, args.seconds);
    const seconds = sampled.seconds, to = Date.now();
    const files1 = fileSizes(srv.recDir);
    const video1 = await Promise.all(pages.map(p => p.page.evaluate(() => window.bench.videoStats())));

    row.seconds = seconds;
    row.cpuMsPerSecond = sampled.cpuMsPerSecond;
    row.cpuMsPerSecondPerRoom = (row.cpuMsPerSecond - row.cpuRestMsPerSecond) / n;
    row.rssMaxMb = sampled.rssMaxKb / 1024;
    row.threadsMax = sampled.threadsMax;
    row.machineBusyPct = sampled.machineBusyPct;
    row.loadavg = loadAverage();
    row.recordings = recordings(server, srv.recDir).length;
    row.writtenKbps = Object.entries(files1).reduce((a, [f, s]) => a + s - (files0[f] || 0), 0) * 8 / seconds / 1000 / n;
    row.latency = {};
    row.pages = [];
    for (const [i, p] of pages.entries()) {
      const got = await p.page.evaluate(([a, b]) => ({
        samples: window.bench.samples.filter(([t]) => t >= a && t <= b).map(([, l]) => l),
        framesRead: window.bench.framesRead, unreadable: window.bench.unreadable,
      }), [from, to]);
      // the interviewer's page receives the candidate's video
      const direction = p.role === 'interviewer' ? 'candidateToInterviewer' : 'interviewerToCandidate';
      (row.latency[direction] ||= []).push(...got.samples);
      row.pages.push({ room: p.room, role: p.role, samples: got.samples.length, framesRead: got.framesRead,
                       unreadable: got.unreadable, fps: got.samples.length / seconds,
                       drawnFps: videoRates(video0[i], video1[i], 'drawn')?.fps,
                       capturedFps: videoRates(video0[i], video1[i], 'media-source')?.fps,
                       sent: videoRates(video0[i], video1[i], 'outbound-rtp'), received: videoRates(video0[i], video1[i], 'inbound-rtp') });
    }
    const sentKbps = row.pages.reduce((a, p) => a + (p.sent?.kbps || 0), 0);
    row.cpuMsPerSecondPerMbit = sentKbps > 0 ? (row.cpuMsPerSecond - row.cpuRestMsPerSecond) / (sentKbps / 1000) : null;
    if (row.pages.some(p => p.samples === 0)) throw new Error(`a page read no clock code in the window: ${JSON.stringify(row.pages)}`);
    await Promise.all(pages.map(p => p.page.evaluate(() => window.bench.leave && window.bench.leave()).catch(() => {})));
  } catch (e) {
    row.error = e.message.split('\n')[0];
  } finally {
    await Promise.all(browsers.map(b => b.close().catch(() => {})));
    if (srv) await stopServer(srv, row, args.keep);
  }
  return row;
}

// ---------------------------------------------------------------- report


function table(rows) {
  const head = ['server', 'rooms', 'latency c->i p50/p95 ms', 'latency i->c p50/p95 ms', 'CPU rest ms/s', 'CPU ms/s',
                'CPU ms/s per room', 'CPU ms/s per Mbit/s', 'RSS rest/max MB', 'threads max', 'sent kbps', 'sent fps', 'decoded fps', 'jitter buffer ms', 'clock fps', 'written kbps/room', 'machine busy %', 'load', 'note'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  const lat = xs => xs?.length ? `${f0(pct(xs, 0.5))}/${f0(pct(xs, 0.95))}` : '-';
  for (const r of rows) {
    lines.push(`| ${[r.server, r.rooms, lat(r.latency?.candidateToInterviewer), lat(r.latency?.interviewerToCandidate),
      f1(r.cpuRestMsPerSecond), f1(r.cpuMsPerSecond), f1(r.cpuMsPerSecondPerRoom), f1(r.cpuMsPerSecondPerMbit), `${f0(r.rssRestMb)}/${f0(r.rssMaxMb)}`, r.threadsMax ?? '-',
      f0(mean((r.pages || []).map(p => p.sent?.kbps).filter(x => x !== undefined))),
      f1(mean((r.pages || []).map(p => p.sent?.fps).filter(x => x !== undefined))),
      f1(mean((r.pages || []).map(p => p.received?.fps).filter(x => x !== undefined))),
      f0(mean((r.pages || []).map(p => p.received?.jitterBufferMs).filter(x => x !== undefined))),
      f1(mean((r.pages || []).map(p => p.fps))), f0(r.writtenKbps), f0(r.machineBusyPct),
      r.loadavg ? r.loadavg[0].toFixed(1) : '-', r.error ? `ERROR ${r.error}` : `${r.recordings} files`].join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Per server over the room counts: least squares of CPU (ms/s) and max RSS against rooms. */
function splitTable(rows) {
  const lines = ['| server | rooms measured | CPU fixed ms/s | CPU per room ms/s | RSS fixed MB | RSS per room MB |', '|---|---|---|---|---|---|'];
  for (const server of args.servers) {
    const rs = rows.filter(r => r.server === server && r.cpuMsPerSecond !== undefined);
    const ns = [...new Set(rs.map(r => r.rooms))];
    if (ns.length < 2) continue;
    const fit = ys => leastSquares(rs.map(r => r.rooms), ys);
    const [cpu0, cpu1] = fit(rs.map(r => r.cpuMsPerSecond)), [rss0, rss1] = fit(rs.map(r => r.rssMaxMb));
    lines.push(`| ${server} | ${ns.join(',')} | ${f1(cpu0)} | ${f1(cpu1)} | ${f1(rss0)} | ${f1(rss1)} |`);
  }
  return lines.length > 2 ? lines.join('\n') : '';
}

// ---------------------------------------------------------------- main

if (args.servers.includes('janus')) requireJanus(', or --servers imsd');
if (args.servers.includes('imsd') && !args.noBuild) ensureBuild(args.build);
const live = path.join(repoRoot, 'bench/live');
const files = Object.fromEntries(['room.html', 'clock.js', 'room-media.js', 'janus-room.js', 'imsd-room.js']
  .map(f => [`/${f}`, [path.join(live, f), f.endsWith('.html') ? 'text/html' : 'text/javascript']]));
if (fs.existsSync(JANUS_JS)) files['/janus.js'] = [JANUS_JS, 'text/javascript'];
const ctx = { dbUrl: args.servers.includes('imsd') ? (args.databaseUrl || databaseUrl()) : null,
              pageBase: await startPageServer(files) };
const cpus = os.cpus();
const servers = [args.servers.includes('imsd') ? `imsd ${args.build}` : null, args.servers.includes('janus') ? janusVersion() : null];
const header = `live room: ${servers.filter(Boolean).join(', ')}, ${args.codec} ${args.kbps} kbit/s 640x360 clock canvas + fake microphone, ${args.seconds} s windows after ${args.warmup} s warm-up, ` +
  `${cpus.length} x ${cpus[0]?.model || '?'}, load average at start ${loadAverage().join(' ')}`;
process.stderr.write(`${header}\n`);
const rows = [];
for (const n of args.rooms) {
  for (const server of args.servers) {
    process.stderr.write(`${server}, ${n} room(s)...`);
    const row = await runRound(ctx, server, n);
    rows.push(row);
    process.stderr.write(row.error ? ` ERROR ${row.error} (kept ${row.dir})\n`
      : ` ${f1(row.cpuMsPerSecondPerRoom)} ms/s per room, machine ${f0(row.machineBusyPct)} % busy\n`);
  }
}
console.log(`# ${header}\n`);
console.log(table(rows));
console.log('\nlatency: receiver\'s Date.now() at requestVideoFrameCallback - the time drawn into the frame by the sender (c->i: candidate to');
console.log('interviewer), over the window; CPU: the server\'s utime+stime per second of wall time (10 ms/s = 1 % of one core):');
console.log(`at rest (${REST_SECONDS} s before any page), over the window, and per room: (window - rest) / rooms; per Mbit/s: (window - rest) /`);
console.log('the Mbit/s of video all the publishers sent (the senders do not send alike under load);');
console.log('sent kbps / fps: the pages\' video outbound-rtp over the window, mean per page; decoded fps: their inbound-rtp framesDecoded;');
console.log('jitter buffer ms: inbound-rtp jitterBufferDelay / jitterBufferEmittedCount over the window (a part of the latency);');
console.log('clock fps: clock codes read per second per page; machine busy %: all cores (Chromium, other jobs) over the window.');
const split = splitTable(rows);
if (split) console.log(`\n${split}`);
fs.writeFileSync(args.json, JSON.stringify({ header, args, rows }, null, 2));
console.log(`\nJSON: ${args.json}`);
process.exit(rows.some(r => r.error) ? 1 : 0);
