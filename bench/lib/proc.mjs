// proc.mjs: what the benchmarks read of a server process and of the machine
// from /proc (bench/vs-janus.mjs, bench/live-room.mjs): CPU ticks and threads
// of a process and of each of its threads, its RSS, the whole machine's busy
// time and load, and the sizes of the recording files.
// Every function reads /proc once and returns at once (no waiting).
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/** Kernel clock ticks per second (utime and stime are counted in these). */
export const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** {ticks: utime+stime, threads: num_threads} of pid (throws if pid is gone). */
export function procStat(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { ticks: Number(f[11]) + Number(f[12]), threads: Number(f[17]) };  // utime+stime, num_threads
}

/** VmRSS of pid in kB (0 if the kernel does not say). */
export function procRssKb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

/** The whole machine's {busy, total} jiffies (/proc/stat, first line). */
export function machineTicks() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + (f[4] || 0);
  const total = f.slice(0, 8).reduce((a, x) => a + x, 0);
  return { busy: total - idle, total };
}

/** The 1, 5 and 15 minute load averages. */
export function loadAverage() {
  return fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
}

/** {tid: {name, ticks}} of every thread of pid. */
export function threadTicks(pid) {
  const out = {};
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out[tid] = { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), ticks: Number(f[11]) + Number(f[12]) };
    } catch { /* thread ended */ }
  }
  return out;
}

/** [[name (digits folded to N), % of one core]] between two threadTicks, largest first. */
export function threadSplit(before, after, seconds) {
  const byName = {};
  for (const [tid, a] of Object.entries(after)) {
    const name = a.name.replace(/\d+/g, 'N');
    byName[name] = (byName[name] || 0) + a.ticks - (before[tid] ? before[tid].ticks : 0);
  }
  return Object.entries(byName).map(([name, t]) => [name, 100 * t / CLK_TCK / seconds])
    .filter(([, p]) => p > 0).sort((x, y) => y[1] - x[1]);
}

/** Sizes of every file under dir (the recordings), {path: bytes}. */
export function fileSizes(dir) {
  const out = {};
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) Object.assign(out, fileSizes(p));
    else try { out[p] = fs.statSync(p).size; } catch { /* gone */ }
  }
  return out;
}

/** Samples pid over a window of `seconds` (waits that long; RSS and threads every 250 ms).
 * Resolves with {seconds (as measured), cpuMsPerSecond (utime+stime per second of wall time),
 * rssMaxKb, threadsMax, machineBusyPct (all cores), threadSplit (as threadSplit() gives)}. */
export async function sampleWindow(pid, seconds) {
  const st0 = procStat(pid), th0 = threadTicks(pid), m0 = machineTicks(), wall0 = performance.now();
  let rssMaxKb = procRssKb(pid), threadsMax = st0.threads;
  const end = wall0 + seconds * 1000;
  while (performance.now() < end) {
    await sleep(Math.min(250, Math.max(0, end - performance.now())));
    rssMaxKb = Math.max(rssMaxKb, procRssKb(pid));
    threadsMax = Math.max(threadsMax, procStat(pid).threads);
  }
  const measured = (performance.now() - wall0) / 1000;
  const st1 = procStat(pid), th1 = threadTicks(pid), m1 = machineTicks();
  return { seconds: measured, cpuMsPerSecond: 1000 * (st1.ticks - st0.ticks) / CLK_TCK / measured, rssMaxKb, threadsMax,
           machineBusyPct: 100 * (m1.busy - m0.busy) / (m1.total - m0.total), threadSplit: threadSplit(th0, th1, measured) };
}
