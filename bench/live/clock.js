// clock.js: the wall clock drawn into a video frame and read back from it, for
// bench/live-room.mjs's glass-to-glass latency (both bench pages load it).
//
// The sending page draws, every frame, Date.now() (ms, modulo 2^24: 4.6 h)
// as an 8 x 5 grid of black/white cells over the top 5/6 of its canvas, like
// tests/tools/fidelity-media.c's frame code:
//   cells 0..23   the time's 24 bits, bit 23 first
//   cells 24..31  CRC-8 (polynomial 0x07) of its three bytes, big-endian
//   cells 32..39  reference cells: white, black, white, black, ...
// and below it a band of noise (4 x 4 px blocks, one of 8 precomputed
// patterns per frame), so the encoder spends a camera's bitrate (the 1.5
// Mbit/s cap at 30 fps) rather than a still picture's.  The
// cells are big (80 x 60 px at 640x360) so that VP8 / H.264 at any bitrate and
// any downscaling keep them readable.  The receiving page draws each decoded
// frame onto a 160 x 90 canvas and reads the centre of each cell: a cell is
// white if its mean luma is above the middle of the reference cells' means;
// a frame whose CRC or reference contrast fails reads as null.
// Every function returns at once (no waiting).
'use strict';

(function () {
  const COLUMNS = 8, ROWS = 5, CODE_FRACTION = 5 / 6, MODULO = 1 << 24;
  const READ_WIDTH = 160, READ_HEIGHT = 90;
  const NOISE_BLOCK = 4;  // px: per-pixel noise made VP8 drop frames at 1.5 Mbit/s; 4 x 4 blocks keep 30 fps

  function crc8(bytes) {
    let crc = 0;
    for (const b of bytes) {
      crc ^= b;
      for (let bit = 0; bit < 8; bit++) crc = (crc & 0x80) ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
    }
    return crc;
  }

  /** The 40 cell values (true = white) of time t (ms). */
  function cells(t) {
    const v = t % MODULO;
    const crc = crc8([(v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff]);
    const out = [];
    for (let i = 0; i < 24; i++) out.push(((v >> (23 - i)) & 1) === 1);
    for (let i = 0; i < 8; i++) out.push(((crc >> (7 - i)) & 1) === 1);
    for (let i = 0; i < 8; i++) out.push(i % 2 === 0);
    return out;
  }

  /** A drawer for a canvas of width x height: draw(t) paints the code of t and the next noise band. */
  function makeDrawer(canvas) {
    const ctx = canvas.getContext('2d');
    const { width, height } = canvas;
    const codeHeight = Math.round(height * CODE_FRACTION);
    const band = [];
    for (let k = 0; k < 8; k++) {
      const img = ctx.createImageData(width, height - codeHeight);
      const blocksPerRow = Math.ceil(width / NOISE_BLOCK);
      const blocks = Array.from({ length: blocksPerRow * Math.ceil(img.height / NOISE_BLOCK) }, () => Math.random() * 255);
      for (let y = 0; y < img.height; y++) {
        for (let x = 0; x < width; x++) {
          const i = (y * width + x) * 4;
          img.data[i] = img.data[i + 1] = img.data[i + 2] = blocks[Math.floor(y / NOISE_BLOCK) * blocksPerRow + Math.floor(x / NOISE_BLOCK)];
          img.data[i + 3] = 255;
        }
      }
      band.push(img);
    }
    let frame = 0;
    return function draw(t) {
      const c = cells(t);
      for (let i = 0; i < c.length; i++) {
        const row = Math.floor(i / COLUMNS), column = i % COLUMNS;
        const x0 = Math.round(column * width / COLUMNS), x1 = Math.round((column + 1) * width / COLUMNS);
        const y0 = Math.round(row * codeHeight / ROWS), y1 = Math.round((row + 1) * codeHeight / ROWS);
        ctx.fillStyle = c[i] ? '#ebebeb' : '#101010';
        ctx.fillRect(x0, y0, x1 - x0, y1 - y0);
      }
      ctx.putImageData(band[frame++ % band.length], 0, codeHeight);
    };
  }

  /** A reader of frames from video (an HTMLVideoElement): read() -> the time (ms mod 2^24) drawn
   * into the frame the element shows, or null if the frame does not carry a readable code. */
  function makeReader(video) {
    const canvas = document.createElement('canvas');
    canvas.width = READ_WIDTH;
    canvas.height = READ_HEIGHT;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    const codeHeight = READ_HEIGHT * CODE_FRACTION;
    const cellW = READ_WIDTH / COLUMNS, cellH = codeHeight / ROWS;
    return function read() {
      ctx.drawImage(video, 0, 0, READ_WIDTH, READ_HEIGHT);
      const data = ctx.getImageData(0, 0, READ_WIDTH, Math.ceil(codeHeight)).data;
      const lumas = [];
      for (let i = 0; i < COLUMNS * ROWS; i++) {
        const row = Math.floor(i / COLUMNS), column = i % COLUMNS;
        const x0 = Math.floor((column + 0.25) * cellW), x1 = Math.floor((column + 0.75) * cellW);
        const y0 = Math.floor((row + 0.25) * cellH), y1 = Math.floor((row + 0.75) * cellH);
        let sum = 0, n = 0;
        for (let y = y0; y < y1; y++) {
          for (let x = x0; x < x1; x++) {
            const p = (y * READ_WIDTH + x) * 4;
            sum += 0.299 * data[p] + 0.587 * data[p + 1] + 0.114 * data[p + 2];
            n++;
          }
        }
        lumas.push(sum / n);
      }
      const ref = lumas.slice(32);
      const white = (ref[0] + ref[2] + ref[4] + ref[6]) / 4, black = (ref[1] + ref[3] + ref[5] + ref[7]) / 4;
      if (white - black < 60) return null;
      const bits = lumas.map(l => l > (white + black) / 2);
      let v = 0, crc = 0;
      for (let i = 0; i < 24; i++) v = (v << 1) | (bits[i] ? 1 : 0);
      for (let i = 24; i < 32; i++) crc = (crc << 1) | (bits[i] ? 1 : 0);
      if (crc8([(v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff]) !== crc) return null;
      return v;
    };
  }

  /** now - then in ms for a code read at now (Date.now()), across the 2^24 wrap. */
  function elapsed(now, code) {
    return ((now % MODULO) - code + MODULO) % MODULO;
  }

  window.benchClock = { makeDrawer, makeReader, elapsed, cells };
})();
