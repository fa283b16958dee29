#!/usr/bin/env node
// udp-relay.mjs: a user-space UDP relay that impairs one WebRTC path (the
// kernel here has no netem qdisc).  The fidelity test hands the browser this
// relay's address as imsd's only ICE candidate and keeps the browser's own
// candidates from imsd, so every packet of the session (STUN, DTLS, SRTP,
// SRTCP) crosses the relay: imsd only ever sees the relay's address (a
// peer-reflexive candidate) and the browser only ever sends to it.
//
//   node udp-relay.mjs [--bind 0.0.0.0] [--port 0] [--seed 1]
//
// One socket.  A datagram from the target (imsd) goes to the client (the
// last address that sent us anything else); any other datagram sets the
// client and goes to the target.  Impairments apply to the upstream
// direction (client -> target: the media) only; downstream (feedback) passes
// untouched.
//
// Commands, one per line on stdin; each is answered by one JSON line on
// stdout ({"ok":true,...} or {"ok":false,"error":...}):
//   target HOST PORT      where upstream goes (until set, upstream is dropped)
//   hold MS               hold upstream for MS ms, then release it all in order
//                         (a sender stall: both tracks pause, then catch up)
//   drop PERCENT          drop that share of upstream datagrams at random
//   reorder PERCENT MS    delay that share of upstream datagrams by MS ms
//                         (the others overtake them)
//   rate KBITPS [QUEUE_MS] cap upstream at KBITPS kbit/s with a drop-tail
//                         queue of QUEUE_MS (default 300) ms; rate 0 = no cap
//   lose EVERY            from now on every EVERY-th RTP packet of the video
//                         stream (the SSRC with the most bytes so far) is lost
//                         for good: it and every later copy of it (a
//                         retransmission has the same SSRC and sequence
//                         number: imsd negotiates no RTX) are dropped
//   clear                 no impairment (a hold in progress still ends on time)
//   stats                 counters: up/down datagrams and bytes, dropped (by
//                         cause), held, reordered, queued now
//   reset                 counters back to 0
// On start it prints {"ok":true,"port":N}.  It exits when stdin closes.
// Costs: one timer for the FIFO head; no per-datagram allocation beyond the
// Buffer node's dgram hands us.
import dgram from 'node:dgram';
import readline from 'node:readline';

const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};

// mulberry32: a seeded PRNG, so a run's losses can be replayed
let seed = Number(arg('seed', '1')) >>> 0;
function random() {
  seed = (seed + 0x6D2B79F5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const socket = dgram.createSocket('udp4');
let target = null;        // {address, port}
let client = null;        // {address, port}
const impair = {
  holdUntil: 0, dropPercent: 0, reorderPercent: 0, reorderMs: 0, rateKbps: 0, queueMs: 300, loseEvery: 0,
};
const ssrcBytes = new Map(); // SSRC -> RTP bytes seen upstream
const lost = new Set();      // "ssrc:seq" lost for good
let loseCount = 0;           // video packets seen since `lose`
let nextFree = 0;         // when the rate cap lets the next datagram leave
const fifo = [];          // upstream datagrams waiting: {at, msg}, at nondecreasing
let fifoHead = 0;
let timer = null;
const stats = {
  up: 0, upBytes: 0, down: 0, downBytes: 0, dropRandom: 0, dropQueue: 0, dropNoTarget: 0,
  held: 0, reordered: 0, lostForGood: 0, lostCopies: 0, rtpPadded: 0,
};

// RTP (not RTCP, STUN or DTLS: RFC 7983, RFC 5761) -> {ssrc, seq}, else null.
// SRTP leaves the header in the clear.
function rtpHeader(msg) {
  if (msg.length < 12 || msg[0] < 128 || msg[0] > 191) return null;
  if (msg[1] >= 192 && msg[1] <= 223) return null; // RTCP
  return { ssrc: msg.readUInt32BE(8), seq: msg.readUInt16BE(2) };
}

// Is msg a video packet that `lose` takes (or a copy of one it took)?
function lostForGood(msg) {
  const rtp = rtpHeader(msg);
  if (!rtp) return false;
  if (msg[0] & 0x20) stats.rtpPadded++; // P bit: padding (a probe, or the last bytes of a packet)
  ssrcBytes.set(rtp.ssrc, (ssrcBytes.get(rtp.ssrc) || 0) + msg.length);
  const key = `${rtp.ssrc}:${rtp.seq}`;
  if (lost.has(key)) { stats.lostCopies++; return true; }
  if (!impair.loseEvery) return false;
  let video = null;
  for (const [ssrc, bytes] of ssrcBytes) if (video === null || bytes > ssrcBytes.get(video)) video = ssrc;
  if (rtp.ssrc !== video || ++loseCount % impair.loseEvery !== 0) return false;
  lost.add(key);
  stats.lostForGood++;
  return true;
}

function sendUp(msg) {
  socket.send(msg, target.port, target.address);
}

function pump() {
  timer = null;
  const now = performance.now();
  while (fifoHead < fifo.length && fifo[fifoHead].at <= now + 0.5) {
    sendUp(fifo[fifoHead].msg);
    fifo[fifoHead++] = null;
  }
  if (fifoHead > 1024 && fifoHead * 2 > fifo.length) {
    fifo.splice(0, fifoHead);
    fifoHead = 0;
  }
  if (fifoHead < fifo.length) timer = setTimeout(pump, Math.max(0, fifo[fifoHead].at - now));
}

function upstream(msg) {
  if (!target) { stats.dropNoTarget++; return; }
  stats.up++;
  stats.upBytes += msg.length;
  if (lostForGood(msg)) return;
  if (impair.dropPercent > 0 && random() * 100 < impair.dropPercent) { stats.dropRandom++; return; }
  const now = performance.now();
  if (impair.reorderPercent > 0 && random() * 100 < impair.reorderPercent) {
    stats.reordered++;
    setTimeout(() => sendUp(msg), impair.reorderMs);
    return;
  }
  let at = now;
  if (impair.holdUntil > now) { at = impair.holdUntil; stats.held++; }
  if (impair.rateKbps > 0) {
    at = Math.max(at, nextFree);
    if (at - now > impair.queueMs) { stats.dropQueue++; return; }
    nextFree = at + (msg.length * 8) / impair.rateKbps; // kbit/s = bit/ms
  }
  const tail = fifo.length > fifoHead ? fifo[fifo.length - 1].at : 0;
  at = Math.max(at, tail); // keep the FIFO in order
  if (at <= now && fifoHead === fifo.length) { sendUp(msg); return; }
  fifo.push({ at, msg });
  if (!timer) timer = setTimeout(pump, Math.max(0, fifo[fifoHead].at - now));
}

socket.on('message', (msg, rinfo) => {
  if (target && rinfo.address === target.address && rinfo.port === target.port) {
    if (!client) return;
    stats.down++;
    stats.downBytes += msg.length;
    socket.send(msg, client.port, client.address);
    return;
  }
  if (!client || client.address !== rinfo.address || client.port !== rinfo.port) {
    client = { address: rinfo.address, port: rinfo.port };
  }
  upstream(msg);
});

function reply(obj) {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

function command(line) {
  const [verb, ...rest] = line.trim().split(/\s+/);
  const num = (i, dflt) => (rest[i] === undefined ? dflt : Number(rest[i]));
  switch (verb) {
    case 'target':
      if (!rest[0] || !(num(1) > 0)) return { ok: false, error: 'target HOST PORT' };
      target = { address: rest[0], port: num(1) };
      return { ok: true, target };
    case 'hold': {
      const ms = num(0);
      if (!(ms >= 0)) return { ok: false, error: 'hold MS' };
      impair.holdUntil = performance.now() + ms;
      return { ok: true, hold: ms };
    }
    case 'drop':
      if (!(num(0) >= 0 && num(0) <= 100)) return { ok: false, error: 'drop PERCENT (0..100)' };
      impair.dropPercent = num(0);
      return { ok: true, drop: impair.dropPercent };
    case 'reorder':
      if (!(num(0) >= 0 && num(0) <= 100 && num(1, 0) >= 0)) return { ok: false, error: 'reorder PERCENT MS' };
      impair.reorderPercent = num(0);
      impair.reorderMs = num(1, 0);
      return { ok: true, reorder: [impair.reorderPercent, impair.reorderMs] };
    case 'rate':
      if (!(num(0) >= 0 && num(1, 300) > 0)) return { ok: false, error: 'rate KBITPS [QUEUE_MS]' };
      impair.rateKbps = num(0);
      impair.queueMs = num(1, 300);
      nextFree = 0;
      return { ok: true, rate: [impair.rateKbps, impair.queueMs] };
    case 'lose':
      if (!(Number.isInteger(num(0)) && num(0) >= 1)) return { ok: false, error: 'lose EVERY (>= 1)' };
      impair.loseEvery = num(0);
      loseCount = 0;
      return { ok: true, lose: impair.loseEvery };
    case 'clear':
      // packets already lost stay lost: their retransmissions are dropped too
      Object.assign(impair, {
        dropPercent: 0, reorderPercent: 0, reorderMs: 0, rateKbps: 0, queueMs: 300, loseEvery: 0,
      });
      return { ok: true };
    case 'reset':
      for (const k of Object.keys(stats)) stats[k] = 0;
      return { ok: true };
    case 'stats':
      return { ok: true, ...stats, queued: fifo.length - fifoHead, client, target };
    default:
      return { ok: false, error: `unknown command ${JSON.stringify(verb || '')}` };
  }
}

socket.bind(Number(arg('port', '0')), arg('bind', '0.0.0.0'), () => {
  reply({ ok: true, port: socket.address().port });
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (line) => { if (line.trim()) reply(command(line)); });
  rl.on('close', () => { socket.close(); process.exit(0); });
});
