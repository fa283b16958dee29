// notify.test.mjs: what a whole imsd tells systemd (systemd/imsd.service,
// docs/operations.md "systemd"), with no systemd: a python3 helper binds the
// AF_UNIX datagram socket that NOTIFY_SOCKET names (node has no such socket)
// and writes each datagram it gets as one JSON line. imsd runs with
// WATCHDOG_USEC=1 s as systemd would start it; the test reads:
//   READY=1 (with STATUS=listening) by the time /healthz answers,
//   WATCHDOG=1 about every 500 ms from the main loop,
//   SIGHUP on a plain listener: no RELOADING=1,
//   SIGTERM: STOPPING=1 before imsd exits.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { startImsd, withLogOnFailure, waitFor } from './lib/imsd.mjs';

const RECEIVER = `
import json, os, socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
with open(out, "a", buffering=1) as f:
    print("bound", flush=True)
    while True:
        data = s.recv(4096)
        f.write(json.dumps(data.decode()) + "\\n")
`;

let dir;
let receiver;
let imsd;

after(async () => {
  if (imsd) await imsd.shutdown();
  if (receiver) receiver.kill();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('imsd sends READY=1, WATCHDOG=1 from its loop and STOPPING=1 to NOTIFY_SOCKET', { timeout: 60000 }, async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imsd-notify-'));
  const socketPath = path.join(dir, 'notify.sock');
  const received = path.join(dir, 'received.jsonl');
  receiver = spawn('python3', ['-c', RECEIVER, socketPath, received], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    receiver.stdout.once('data', resolve);
    receiver.once('exit', (code) => reject(new Error(`the python3 receiver exited (${code})`)));
  });
  const messages = () => (fs.existsSync(received) ? fs.readFileSync(received, 'utf8') : '')
    .split('\n').filter(Boolean).map((line) => JSON.parse(line));

  imsd = await startImsd({ name: 'notify', env: { NOTIFY_SOCKET: socketPath, WATCHDOG_USEC: '1000000' } });
  await withLogOnFailure(imsd, async () => {
    await waitFor(() => messages().some((m) => m.startsWith('READY=1')), { timeoutMs: 5000, what: 'READY=1' });
    const ready = messages().find((m) => m.startsWith('READY=1'));
    assert.equal(ready, 'READY=1\nSTATUS=listening');
    assert.ok(messages().some((m) => m.startsWith('STATUS=starting')), 'a STATUS= while starting');

    const before = messages().filter((m) => m === 'WATCHDOG=1').length;
    await sleep(2200);
    const pings = messages().filter((m) => m === 'WATCHDOG=1').length - before;
    assert.ok(pings >= 3 && pings <= 6, `WATCHDOG=1 every 500 ms: ${pings} in 2.2 s`);

    process.kill(imsd.pid, 'SIGHUP');
    await imsd.waitForLog('SIGHUP: the listener is plain HTTP, nothing to reload');
    assert.ok(imsd.isAlive(), 'SIGHUP does not end imsd');
    assert.ok(!messages().some((m) => m.startsWith('RELOADING=1')), 'nothing reloads on a plain listener');

    const exit = await imsd.stop();
    assert.equal(exit.code, 0);
    const stopping = messages().find((m) => m.startsWith('STOPPING=1'));
    assert.equal(stopping, 'STOPPING=1\nSTATUS=stopping: finalizing open takes');
  });
});
