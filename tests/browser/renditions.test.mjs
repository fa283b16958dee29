// renditions.test.mjs: recorded takes become renditions stored in S3.
//
// A private s3rver and a real imsd pointed at it (key prefix "e2e-media").
// Real Chromium records, one session per profile of etc/profiles.ini:
//   technical   2 questions: Q1 take ~4 s, next, Q2 take ~3 s
//   behavioral  1 question, ~3 s, the page forced to VP8 (?codec=vp8), so
//               the MP4 is a transcode (x264 at the profile's 480p)
//   audio-only  1 question, ~3 s (the page may still send video)
// Once every take has takes.processed_at (polled in PostgreSQL):
//   - media_files: one stored row per kind per take (original, video/mp4,
//     thumbnail, audio/wav-16k; audio-only: no thumbnail), keys
//     {prefix}/{interviewId}/{sessionId}/{questionId}/take-{n}-{takeId}/{file},
//     content types, size and sha256 equal to the bytes fetched back from S3
//   - video.mp4: top-level boxes ftyp .. moov before mdat (fast start);
//     the audio track's edit list skips the AAC priming (media_time 1024);
//     decodes (ffprobe -count_frames, i.e. a full decode) as H.264 + AAC
//     (audio-only: AAC only) lasting takes.duration_ms +- 0.5 s; a transcode
//     is no taller than mp4_max_height and has the profile's H.264 profile
//   - thumb.jpg: a JPEG whose SOF says thumbnail_width wide, aspect kept
//   - audio-16k.wav: PCM 16 kHz mono 16-bit, data size / 32000 within 0.5 s
//   - the take's spool file and its renditions dir are gone,
//     takes.processing_error is null
// (take-probe only reads Matroska, hence ffprobe for the MP4.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

import { startImsd, withLogOnFailure, waitFor, repoRoot } from './lib/imsd.mjs';
import { query, takeRows } from './lib/db.mjs';
import { launchBrowser, waitForState, clickButton, describePage } from './lib/browser.mjs';
import { openCandidate, recordTake, stopTake } from './lib/candidate.mjs';
import { startS3rver, readProfiles, expectedKinds, checkStoredObjects } from './lib/s3.mjs';

const run = promisify(execFile);
const KEY_PREFIX = 'e2e-media';
const PROFILES = readProfiles(path.join(repoRoot, 'etc/profiles.ini'));

let s3;
let imsd;
let browser;
let tmpDir;
// sessions recorded by the first test: {profile, sessionId, interviewId, questions}
const recorded = [];

before(async () => {
  s3 = await startS3rver({ name: 'renditions' });
  imsd = await startImsd({
    name: 'renditions',
    env: { ...s3.imsdEnv({ keyPrefix: KEY_PREFIX }), IMSD_PROCESSING_RETRY_MAX_SECONDS: '2' },
  });
  browser = await launchBrowser();
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'imsd-renditions-'));
});

after(async () => {
  if (browser) await browser.close();
  if (imsd) {
    if (imsd.failed && s3) s3.keep = true;
    await imsd.shutdown();
  }
  if (s3) await s3.shutdown();
  if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
});

/** The join link with ?codec= (the page's switch to force one video codec). */
function withCodec(joinUrl, codec) {
  if (!codec) return joinUrl;
  const url = new URL(joinUrl); // the token is in the #fragment: keep it last
  url.searchParams.set('codec', codec);
  return url.href;
}

/** Records one session of `profile`: one take of `seconds` per question. */
async function recordSession(profile, questions, { codec } = {}) {
  const session = await imsd.createSession({ questions, thinkSeconds: 30, maxRetakes: 1, profile });
  const api = await imsd.getSession(session.sessionId);
  assert.equal(api.status, 200, api.text);
  assert.equal(api.json.profile, profile, 'the session keeps its profile');
  const page = await openCandidate(browser.context, withCodec(session.joinUrl, codec));
  try {
    await waitForState(page, 's => s.questionIndex === 0 && s.mediaReady', { what: `${profile}: media ready` });
    for (let q = 0; q < questions.length; q++) {
      if (q > 0) {
        await clickButton(page, 'next');
        await waitForState(page, `s => s.questionIndex === ${q} && s.mediaReady`, { what: `${profile}: question ${q}` });
      }
      await recordTake(page, q, 1);
      await sleep(questions[q].seconds * 1000);
      await stopTake(page, q, 1);
    }
  } catch (err) {
    throw new Error(`${err.message}\n${await describePage(page).catch(() => '')}`);
  } finally {
    await page.close();
  }
  recorded.push({ profile, sessionId: session.sessionId, interviewId: api.json.interviewId, questions });
}

// ---- media formats

/** Top-level boxes of an MP4: [{type, offset, size}]; asserts they tile the file. */
function mp4Boxes(buf) {
  const boxes = [];
  let off = 0;
  while (off < buf.length) {
    assert.ok(off + 8 <= buf.length, `MP4 box header at ${off} runs past the end (${buf.length})`);
    let size = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    if (size === 1) size = Number(buf.readBigUInt64BE(off + 8));
    else if (size === 0) size = buf.length - off;
    assert.ok(size >= 8 && off + size <= buf.length, `MP4 box ${type} at ${off}: bad size ${size} (file ${buf.length})`);
    boxes.push({ type, offset: off, size });
    off += size;
  }
  return boxes;
}

/** The child boxes of buf[start, end) (32-bit sizes: moov's children). */
function childBoxes(buf, start, end) {
  const boxes = [];
  for (let off = start; off + 8 <= end;) {
    const size = buf.readUInt32BE(off);
    assert.ok(size >= 8 && off + size <= end, `MP4 box at ${off}: bad size ${size}`);
    boxes.push({ type: buf.toString('latin1', off + 4, off + 8), start: off + 8, end: off + size });
    off += size;
  }
  return boxes;
}

/** The audio track's edit list: [[segmentDuration, mediaTime], ...], null without one. */
function audioEditList(buf) {
  const moov = mp4Boxes(buf).find((b) => b.type === 'moov');
  for (const trak of childBoxes(buf, moov.offset + 8, moov.offset + moov.size).filter((b) => b.type === 'trak')) {
    const children = childBoxes(buf, trak.start, trak.end);
    const mdia = children.find((b) => b.type === 'mdia');
    const hdlr = childBoxes(buf, mdia.start, mdia.end).find((b) => b.type === 'hdlr');
    if (buf.toString('latin1', hdlr.start + 8, hdlr.start + 12) !== 'soun') continue;
    const edts = children.find((b) => b.type === 'edts');
    if (!edts) return null;
    const elst = childBoxes(buf, edts.start, edts.end).find((b) => b.type === 'elst');
    const wide = buf[elst.start] === 1;
    const entries = [];
    for (let i = 0, at = elst.start + 8; i < buf.readUInt32BE(elst.start + 4); i++, at += wide ? 20 : 12) {
      entries.push(wide ? [Number(buf.readBigUInt64BE(at)), Number(buf.readBigInt64BE(at + 8))]
        : [buf.readUInt32BE(at), buf.readInt32BE(at + 4)]);
    }
    return entries;
  }
  return null;
}

/** {width, height} from a JPEG's SOF0/1/2 segment. */
function jpegSize(buf) {
  assert.ok(buf[0] === 0xff && buf[1] === 0xd8, `JPEG starts with FF D8, got ${buf.subarray(0, 4).toString('hex')}`);
  let off = 2;
  while (off + 4 <= buf.length) {
    assert.equal(buf[off], 0xff, `JPEG marker expected at ${off}`);
    const marker = buf[off + 1];
    if (marker === 0xff) { off++; continue; } // fill byte
    if (marker === 0xd9 || marker === 0xda) break; // EOI / SOS before any SOF
    const len = buf.readUInt16BE(off + 2);
    if (marker === 0xc0 || marker === 0xc1 || marker === 0xc2) {
      return { height: buf.readUInt16BE(off + 5), width: buf.readUInt16BE(off + 7), sof: marker };
    }
    off += 2 + len;
  }
  throw new Error('no SOF0/SOF1/SOF2 segment in the JPEG');
}

/** The fmt fields and data size of a RIFF WAVE file. */
function wavInfo(buf) {
  assert.equal(buf.toString('latin1', 0, 4), 'RIFF', 'WAV: RIFF header');
  assert.equal(buf.toString('latin1', 8, 12), 'WAVE', 'WAV: WAVE form');
  let off = 12;
  const info = {};
  while (off + 8 <= buf.length) {
    const id = buf.toString('latin1', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    if (id === 'fmt ') {
      info.format = buf.readUInt16LE(off + 8);
      info.channels = buf.readUInt16LE(off + 10);
      info.rate = buf.readUInt32LE(off + 12);
      info.byteRate = buf.readUInt32LE(off + 16);
      info.bits = buf.readUInt16LE(off + 22);
    } else if (id === 'data') {
      info.dataSize = size;
      info.dataOffset = off + 8;
      break;
    }
    off += 8 + size + (size & 1);
  }
  return info;
}

/** ffprobe with a full decode of every stream (-count_frames). */
async function ffprobe(file) {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-count_frames', '-show_streams', '-show_format',
    '-of', 'json', file], { encoding: 'utf8', timeout: 60000 });
  return JSON.parse(stdout);
}

// ---- tests

test('takes of the technical, behavioral and audio-only profiles are recorded', { timeout: 120000 }, async () => {
  await withLogOnFailure(imsd, async () => {
    await recordSession('technical', [
      { id: 'tech-q1', text: 'Walk us through a design you shipped.', timeLimitSeconds: 30, seconds: 4 },
      { id: 'tech-q2', text: 'How would you test it?', timeLimitSeconds: 30, seconds: 3 },
    ]);
    await recordSession('behavioral', [
      { id: 'beh-q1', text: 'Tell us about a conflict in a team.', timeLimitSeconds: 30, seconds: 3 },
    ], { codec: 'vp8' });
    await recordSession('audio-only', [
      { id: 'audio-q1', text: 'Describe your ideal week.', timeLimitSeconds: 30, seconds: 3 },
    ]);
  });
});

test('every take is processed into S3 with one correct object per kind', { timeout: 150000 }, async () => {
  assert.equal(recorded.length, 3, 'the recording test must have passed first');
  await withLogOnFailure(imsd, async () => {
    const ids = recorded.map((r) => `'${r.sessionId}'`).join(',');
    const takes = await waitFor(async () => {
      const rows = await query(imsd, `SELECT * FROM takes WHERE session_id IN (${ids}) ORDER BY started_at`);
      return rows.length === 4 && rows.every((r) => r.processed_at) ? rows : null;
    }, { timeoutMs: 120000, intervalMs: 500, what: 'processed_at on all 4 takes' });

    const files = await query(imsd, `SELECT * FROM media_files WHERE session_id IN (${ids})`);
    for (const rec of recorded) {
      const profile = PROFILES[rec.profile];
      const sessionTakes = await takeRows(imsd, rec.sessionId);
      assert.deepEqual(sessionTakes.map((t) => `${t.question_idx}-${t.number}:${t.status}`),
        rec.questions.map((_, q) => `${q}-1:completed`), `${rec.profile}: takes`);
      for (const take of sessionTakes) {
        const where = `${rec.profile} take ${take.question_idx}-${take.number}`;
        const question = rec.questions[take.question_idx];
        assert.equal(take.processing_error, null, `${where}: processing_error`);
        assert.ok(takes.some((t) => t.id === take.id && t.processed_at), `${where}: processed_at`);

        const kinds = expectedKinds(profile);
        const objects = await checkStoredObjects(s3, {
          files: files.filter((f) => f.take_id === take.id),
          kinds, keyPrefix: KEY_PREFIX, interviewId: rec.interviewId, sessionId: rec.sessionId,
          questionId: question.id, number: take.number, takeId: take.id, where,
        });
        const durationMs = Number(take.duration_ms);
        assert.ok(durationMs >= (question.seconds - 1.5) * 1000, `${where}: duration_ms ${durationMs}`);

        // the original is the spool file as recorded
        assert.equal(objects.original.length, Number(take.size_bytes), `${where}: original.mkv size = takes.size_bytes`);
        assert.equal(objects.original.subarray(0, 4).toString('hex'), '1a45dfa3', `${where}: original.mkv is EBML`);

        // video.mp4: fast start, then a full decode
        const mp4 = objects['video/mp4'];
        const boxes = mp4Boxes(mp4);
        const types = boxes.map((b) => b.type);
        assert.equal(types[0], 'ftyp', `${where}: MP4 starts with ftyp (${types})`);
        assert.ok(types.includes('moov') && types.includes('mdat'), `${where}: MP4 has moov and mdat (${types})`);
        assert.ok(types.indexOf('moov') < types.indexOf('mdat'), `${where}: moov before mdat (${types})`);
        const mp4Path = path.join(tmpDir, `${take.id}.mp4`);
        fs.writeFileSync(mp4Path, mp4);
        const probe = await ffprobe(mp4Path);
        const v = probe.streams.filter((s) => s.codec_type === 'video');
        const a = probe.streams.filter((s) => s.codec_type === 'audio');
        const desc = `${where}: ${JSON.stringify(probe.streams.map((s) => [s.codec_type, s.codec_name, s.profile, s.level, s.width, s.height, s.nb_read_frames]))}`;
        assert.equal(a.length, 1, `${desc}: one audio stream`);
        assert.equal(a[0].codec_name, 'aac', desc);
        assert.ok(Number(a[0].nb_read_frames) > 0, `${desc}: audio decodes`);
        // the AAC encoder's priming (1024 samples) is skipped by the audio edit list: after at most one
        // empty edit (audio starting after video), the media edit starts at sample 1024
        const edits = audioEditList(mp4);
        assert.ok(edits && edits.length >= 1 && edits.length <= 2, `${where}: audio edit list ${JSON.stringify(edits)}`);
        if (edits.length === 2) assert.equal(edits[0][1], -1, `${where}: audio edit list ${JSON.stringify(edits)}`);
        assert.equal(edits[edits.length - 1][1], 1024, `${where}: audio edit list ${JSON.stringify(edits)} skips the priming`);
        const mp4Ms = Number(probe.format.duration) * 1000;
        assert.ok(Math.abs(mp4Ms - durationMs) <= 500, `${where}: MP4 lasts ${mp4Ms} ms, takes.duration_ms ${durationMs}`);
        if (profile.video === 'false') {
          assert.equal(v.length, 0, `${desc}: an audio-only MP4 has no video`);
          assert.equal(objects.thumbnail, undefined, `${where}: no thumbnail`);
        } else {
          assert.equal(v.length, 1, `${desc}: one video stream`);
          assert.equal(v[0].codec_name, 'h264', desc);
          assert.ok(Number(v[0].nb_read_frames) >= (question.seconds - 1) * 10, `${desc}: video decodes`);
          assert.ok(v[0].height <= Number(profile.mp4_max_height), `${desc}: no taller than ${profile.mp4_max_height}`);
          const transcoded = take.video_codec !== 'H264' || take.height > Number(profile.mp4_max_height);
          if (rec.profile === 'behavioral') assert.ok(transcoded, `${where}: a VP8 take (${take.video_codec}) is transcoded`);
          if (transcoded) {
            const want = { 'constrained-baseline': 'Constrained Baseline', baseline: 'Baseline', main: 'Main', high: 'High' }[profile.h264_profile];
            assert.equal(v[0].profile, want, `${desc}: transcode uses h264_profile ${profile.h264_profile}`);
            assert.equal(v[0].level, Math.round(Number(profile.h264_level) * 10), `${desc}: h264_level ${profile.h264_level}`);
          } else {
            assert.deepEqual([v[0].width, v[0].height], [take.width, take.height], `${desc}: a remux keeps the take's size`);
          }

          // thumb.jpg
          const jpeg = jpegSize(objects.thumbnail);
          assert.equal(jpeg.width, Number(profile.thumbnail_width), `${where}: thumbnail width (SOF ${jpeg.sof.toString(16)})`);
          const expectH = (jpeg.width * v[0].height) / v[0].width;
          assert.ok(Math.abs(jpeg.height - expectH) <= 2, `${where}: thumbnail ${jpeg.width}x${jpeg.height} keeps the ${v[0].width}x${v[0].height} aspect`);
        }

        // audio-16k.wav
        const wav = wavInfo(objects['audio/wav-16k']);
        assert.deepEqual([wav.format, wav.rate, wav.channels, wav.bits, wav.byteRate], [1, 16000, 1, 16, 32000],
          `${where}: WAV is PCM 16 kHz mono 16-bit: ${JSON.stringify(wav)}`);
        assert.ok(wav.dataSize > 0 && wav.dataOffset + wav.dataSize <= objects['audio/wav-16k'].length,
          `${where}: WAV data chunk fits the file: ${JSON.stringify(wav)}`);
        const wavMs = (wav.dataSize / 32000) * 1000;
        assert.ok(Math.abs(wavMs - durationMs) <= 500, `${where}: WAV holds ${wavMs} ms, takes.duration_ms ${durationMs}`);

        // the spool no longer holds the take
        assert.ok(take.path.startsWith(imsd.spoolDir), `${where}: recorded under the spool: ${take.path}`);
        assert.equal(fs.existsSync(take.path), false, `${where}: spool file deleted: ${take.path}`);
        assert.equal(fs.existsSync(`${take.path}.renditions`), false, `${where}: renditions dir deleted`);
      }
    }

    // nothing else in the bucket under these sessions, and the server is ready
    const listed = (await s3.listObjects(`${KEY_PREFIX}/`)).map((o) => o.key).sort();
    const ours = files.map((f) => f.object_key).sort();
    assert.deepEqual(listed.filter((k) => recorded.some((r) => k.includes(`/${r.sessionId}/`))), ours,
      'the bucket holds exactly the objects media_files lists');
    const ready = await imsd.readyz();
    assert.equal(ready.httpStatus, 200, JSON.stringify(ready));
    assert.equal(ready.checks.storage, 'ok', JSON.stringify(ready));
  });
});
