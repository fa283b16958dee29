// room-composite.mjs: what a live room's composite MP4 holds, read with
// ffprobe and ffmpeg (tests/browser/room.test.mjs).
//
//   probeMedia(file)         -> {durationSeconds, video: [{width, height, frames}], audio: [{channels}]}
//       ffprobe -count_frames: every stream decoded to the end
//   peopleInComposite(file, {seconds}) -> {tiles: [{x, y, w, h, normal, inverted}], frames}
//       the first `seconds` decoded as 256 x 144 grey frames; the tiles are
//       the regions that are ever white (each person's y4m flashes all white
//       every 2 s, so a tile fills in), each decoded per frame with the cells
//       of tests/tools/fidelity-media.c: `normal` / `inverted` count the
//       frames whose reference row and CRC-8 read as the candidate's /
//       the interviewer's pattern.  Two tiles side by side that touch are
//       one region twice as wide as high: it is split in halves.
import { execFile } from 'node:child_process';
import { decodeCells } from './room-cells.mjs';

const W = 256;
const H = 144;

function run(file, args, { encoding = 'utf8', maxBuffer = 256 << 20 } = {}) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { encoding, maxBuffer, timeout: 180000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')}: ${err.message}\n${String(stderr).slice(-2000)}`));
      else resolve(stdout);
    });
  });
}

export async function probeMedia(file) {
  const out = JSON.parse(await run('ffprobe', ['-v', 'error', '-count_frames', '-show_streams', '-show_format',
    '-of', 'json', file]));
  const streams = out.streams || [];
  return {
    durationSeconds: Number(out.format && out.format.duration),
    video: streams.filter((s) => s.codec_type === 'video').map((s) => ({ codec: s.codec_name, width: s.width, height: s.height, frames: Number(s.nb_read_frames) })),
    audio: streams.filter((s) => s.codec_type === 'audio').map((s) => ({ codec: s.codec_name, channels: s.channels, frames: Number(s.nb_read_frames) })),
  };
}

/** The pattern ('normal' | 'inverted' | null) of the cells in rect of one grey frame. */
function decodeTile(frame, { x, y, w, h }) {
  const cells = [];
  for (let row = 0; row < 4; row++) {
    for (let col = 0; col < 8; col++) {
      const px = Math.floor(x + ((col + 0.5) * w) / 8);
      const py = Math.floor(y + ((row + 0.5) * h) / 4);
      cells.push(frame[py * W + px] > 128 ? 1 : 0);
    }
  }
  const decoded = decodeCells(cells);
  return decoded ? decoded.pattern : null;
}

/** Bounding boxes of the 4-connected regions of mask (W x H) bigger than minArea pixels. */
function regions(mask, minArea) {
  const seen = new Uint8Array(W * H);
  const out = [];
  for (let start = 0; start < W * H; start++) {
    if (!mask[start] || seen[start]) continue;
    const stack = [start];
    seen[start] = 1;
    let area = 0;
    let x0 = W; let y0 = H; let x1 = 0; let y1 = 0;
    while (stack.length) {
      const i = stack.pop();
      const px = i % W;
      const py = Math.floor(i / W);
      area++;
      x0 = Math.min(x0, px); x1 = Math.max(x1, px); y0 = Math.min(y0, py); y1 = Math.max(y1, py);
      for (const [dx, dy] of [[1, 0], [-1, 0], [0, 1], [0, -1]]) {
        const nx = px + dx;
        const ny = py + dy;
        if (nx < 0 || ny < 0 || nx >= W || ny >= H) continue;
        const j = ny * W + nx;
        if (mask[j] && !seen[j]) { seen[j] = 1; stack.push(j); }
      }
    }
    if (area >= minArea) out.push({ x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 });
  }
  return out;
}

export async function peopleInComposite(file, { seconds = 12 } = {}) {
  const raw = await run('ffmpeg', ['-v', 'error', '-t', String(seconds), '-i', file, '-an',
    '-vf', `scale=${W}:${H},format=gray`, '-f', 'rawvideo', '-'], { encoding: 'buffer' });
  const count = Math.floor(raw.length / (W * H));
  const frames = [];
  for (let i = 0; i < count; i++) frames.push(raw.subarray(i * W * H, (i + 1) * W * H));
  const max = new Uint8Array(W * H);
  for (const f of frames) for (let i = 0; i < W * H; i++) if (f[i] > max[i]) max[i] = f[i];
  const mask = max.map((v) => (v > 128 ? 1 : 0));
  const tiles = [];
  for (const r of regions(mask, (W * H) / 40)) {
    if (r.w > 2.5 * r.h) {
      const half = Math.floor(r.w / 2);
      tiles.push({ ...r, w: half }, { ...r, x: r.x + half, w: r.w - half });
    } else {
      tiles.push(r);
    }
  }
  for (const t of tiles) {
    t.normal = 0;
    t.inverted = 0;
    for (const f of frames) {
      const p = decodeTile(f, t);
      if (p) t[p]++;
    }
  }
  return { tiles, frames: frames.length };
}
