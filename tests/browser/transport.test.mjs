// transport.test.mjs: pipelines/ingest/transport.c (the receive path built
// for recording, not yet wired into the server) against real Chromium: the
// probe (tests/tools/ingest-probe, driven by ingest-probe.mjs) answers the
// page's offer with the transport alone, for each codec.  Checks: DTLS-SRTP
// comes up; every packet Chromium says it sent on each SSRC arrives
// decrypted (no more, none twice); Chromium's RTCP arrives; the PLIs the
// probe sends through ims_transport_send_rtcp() (SRTCP) reach Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const build = path.resolve(here, '../..', process.env.IMSD_BUILD_DIR || 'build');

function runProbe(codec) {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(here, '..', 'tools', 'ingest-probe.mjs'), '--build', build,
      '--codec', codec, '--seconds', '3'],
    { timeout: 60000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? (error.code ?? 1) : 0, output: `${stdout}\n${stderr}` });
    });
  });
}

for (const codec of ['h264', 'vp8']) {
  test(`the transport receives ${codec} + opus from Chromium`, { timeout: 90000 }, async () => {
    const { code, output } = await runProbe(codec);
    const line = output.split('\n').find((l) => l.startsWith('result '));
    assert.ok(line, `the probe printed its result:\n${output.slice(-3000)}`);
    const r = JSON.parse(line.slice(7));
    assert.equal(r.failed, null, output.slice(-3000));
    assert.ok(r.ok && code === 0, output.slice(-3000));
    assert.match(r.profile, /^SRTP_/);
    assert.ok(r.secureMs < 5000, `secure after ${r.secureMs} ms`);
    assert.equal(r.chromium.length, 2, 'Chromium sends audio and video');
    for (const sent of r.chromium) {
      const got = r.probe.find((p) => p.ssrc === sent.ssrc);
      assert.ok(got, `${sent.kind} SSRC ${sent.ssrc} reached the transport:\n${output.slice(-2000)}`);
      // Stats are read after the probe stopped counting: Chromium may have
      // sent a few more since, never fewer.
      assert.ok(got.packets <= sent.packetsSent, `${sent.kind}: ${got.packets} received <= ${sent.packetsSent} sent`);
      assert.ok(got.packets >= 0.9 * sent.packetsSent, `${sent.kind}: ${got.packets} of ${sent.packetsSent} arrived`);
      assert.ok(got.packets > 50, `${sent.kind}: media flowed (${got.packets} packets)`);
    }
    assert.ok(r.rtcp >= 1, `Chromium's SRTCP arrived (${r.rtcp})`);
    const video = r.chromium.find((s) => s.kind === 'video');
    assert.ok(video.pliCount >= 2, `Chromium got the transport's SRTCP PLIs (pliCount ${video.pliCount})`);
  });
}
