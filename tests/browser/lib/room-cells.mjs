// room-cells.mjs: the 8 x 4 cells of one frame of tests/tools/fidelity-media.c
// read back: decodeCells(cells) -> {n, pattern} or null.
//
// cells: 32 values 0 (black) / 1 (white), row-major from the top left: 16
// bits of frame number (bit 15 first), its CRC-8 (polynomial 0x07), and the
// reference row: white first ("normal", the candidate's camera in the room
// tests) or black first ("inverted", the interviewer's).  null for a flash
// (all white), a frame between two, or a CRC that does not match.
// Self-contained (no closure): room-media.mjs hands its source to the page.
export function decodeCells(cells) {
  const reference = cells.slice(24).join('');
  const pattern = reference === '10101010' ? 'normal' : reference === '01010101' ? 'inverted' : null;
  if (!pattern) return null;
  let n = 0;
  for (let i = 0; i < 16; i++) n = (n << 1) | cells[i];
  let crc = 0;
  for (let i = 16; i < 24; i++) crc = (crc << 1) | cells[i];
  let check = 0;
  for (const byte of [n >> 8, n & 0xff]) {
    check ^= byte;
    for (let i = 0; i < 8; i++) check = check & 0x80 ? ((check << 1) ^ 0x07) & 0xff : (check << 1) & 0xff;
  }
  return check === crc ? { n, pattern } : null;
}
