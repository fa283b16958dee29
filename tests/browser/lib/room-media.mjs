// room-media.mjs: the people of a live room test (tests/browser/room.test.mjs)
// and how a test reads what their pages receive.
//
//   makePersonMedia({inverted, seconds}) -> {y4m, wav, fps, frames, flashEvery, inverted, dir}
//       tests/tools/fidelity-media into a fresh dir under /tmp (one per
//       person: the candidate's reference cells start white, the
//       interviewer's black (--inverted), so a page tells them apart);
//       remove with fs.rmSync(dir)
//   launchPersonBrowser(media)   -> {context, close()}
//       its own Chromium process (fake capture files are per process) with
//       media as camera + microphone (none: Chromium's own fake devices),
//       getDisplayMedia answered without a prompt (a fake screen), sound
//       allowed without a click, and the frame reader below in every page
//   remoteFrames(page, participantId, stream) -> [{n, pattern, t}] read so far
//   pcStats(page)                -> {pcId: {inAudioEnergy, inAudioPackets, inVideoFrames, outbound}}
//
// The frame reader (readFrames, in the page): every 50 ms each remote
// <video data-participant data-stream> is drawn to a 64 x 36 canvas and the
// 8 x 4 cells of tests/tools/fidelity-media.c are read at their centres and
// decoded by room-cells.mjs (a frame counts only with a matching CRC and a
// reference row of either pattern; a flash or a frame between two is skipped).  window.__roomFrames["<participant>:<stream>"] holds what was read.
import { chromium } from 'playwright-core';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CHROMIUM_ARGS } from './browser.mjs';
import { buildDir } from './imsd.mjs';
import { decodeCells } from './room-cells.mjs';

export async function makePersonMedia({ inverted = false, seconds = 20, width = 640, height = 360 } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imsd-room-media-'));
  const args = ['--y4m', path.join(dir, 'camera.y4m'), '--wav', path.join(dir, 'mic.wav'),
    '--width', String(width), '--height', String(height), '--seconds', String(seconds)];
  if (inverted) args.push('--inverted');
  const stdout = await new Promise((resolve, reject) => {
    execFile(path.join(buildDir, 'tests/tools/fidelity-media'), args, { encoding: 'utf8', timeout: 120000 },
      (err, out, stderr) => (err ? reject(new Error(`fidelity-media: ${err.message}\n${stderr}`)) : resolve(out)));
  });
  return { ...JSON.parse(stdout.trim().split('\n').pop()), dir };
}

// Runs in the page, with decodeCells (room-cells.mjs) as window.__roomDecodeCells.
function readFrames() {
  const canvas = document.createElement('canvas');
  canvas.width = 64;
  canvas.height = 36;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  window.__roomFrames = {};
  const decode = (video) => {
    ctx.drawImage(video, 0, 0, 64, 36);
    const { data } = ctx.getImageData(0, 0, 64, 36);
    const cells = [];
    for (let row = 0; row < 4; row++) {
      for (let col = 0; col < 8; col++) {
        const x = col * 8 + 4;
        const y = row * 9 + 4;
        const i = (y * 64 + x) * 4;
        cells.push((data[i] + data[i + 1] + data[i + 2]) / 3 > 128 ? 1 : 0);
      }
    }
    return window.__roomDecodeCells(cells);
  };
  setInterval(() => {
    for (const video of document.querySelectorAll('video[data-participant][data-stream]')) {
      if (video.readyState < 2 || !video.videoWidth) continue;
      const key = `${video.dataset.participant}:${video.dataset.stream}`;
      const frame = decode(video);
      if (!frame) continue;
      const list = window.__roomFrames[key] || (window.__roomFrames[key] = []);
      const last = list[list.length - 1];
      if (!last || last.n !== frame.n) list.push({ ...frame, t: Date.now() });
      if (list.length > 2000) list.splice(0, 1000);
    }
  }, 50);
}

export async function launchPersonBrowser(media) {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'imsd-chromium-room-'));
  const args = [...CHROMIUM_ARGS, '--autoplay-policy=no-user-gesture-required',
    '--auto-select-desktop-capture-source=Entire screen', '--enable-usermedia-screen-capturing'];
  if (media) args.push(`--use-file-for-fake-video-capture=${media.y4m}`, `--use-file-for-fake-audio-capture=${media.wav}`);
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.IMSD_CHROMIUM || '/usr/bin/chromium',
    headless: false,
    args,
    viewport: { width: 1000, height: 800 },
  });
  await context.addInitScript({ content: `window.__roomDecodeCells = ${decodeCells}; (${readFrames})();` });
  return {
    context,
    async close() {
      try { await context.close(); } catch { /* already gone */ }
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** The frames read so far from participantId's stream on this page. */
export function remoteFrames(page, participantId, stream = 'camera') {
  return page.evaluate((key) => (window.__roomFrames && window.__roomFrames[key]) || [], `${participantId}:${stream}`);
}

/** Per pc of the page (window.room.pcs): inbound audio energy and packets, frames decoded, outbound-rtp count. */
export function pcStats(page) {
  return page.evaluate(async () => {
    const out = {};
    for (const [id, pc] of (window.room && window.room.pcs) || []) {
      const s = { inAudioEnergy: 0, inAudioPackets: 0, inVideoFrames: 0, outbound: 0, connectionState: pc.connectionState };
      (await pc.getStats()).forEach((r) => {
        if (r.type === 'inbound-rtp' && r.kind === 'audio') {
          s.inAudioEnergy += r.totalAudioEnergy || 0;
          s.inAudioPackets += r.packetsReceived || 0;
        }
        if (r.type === 'inbound-rtp' && r.kind === 'video') s.inVideoFrames += r.framesDecoded || 0;
        if (r.type === 'outbound-rtp') s.outbound++;
      });
      out[id] = s;
    }
    return out;
  });
}
