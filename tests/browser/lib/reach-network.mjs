// reach-network.mjs: a candidate on a network that blocks UDP, for
// reach.test.mjs (docs/ingest.md "Reachability").
//
// One network namespace joined to the host by a veth pair: the host side is
// HOST_IP (where imsd and coturn listen), the namespace side NS_IP.  The
// namespace is held by a child process (`unshare --net`, which ends when our
// stdin pipe closes, so a crashed test leaves nothing) and entered with
// `nsenter --net=/proc/<pid>/ns/net`: not `ip netns add/exec`, which leaves a
// mount in /run/netns and, in a chroot (scripts/fresh-machine-check.sh), fails
// ("mount --make-rslave /": the chroot's / is no mount point).  Chromium runs
// inside it (a wrapper that is nsenter ... chromium).
// Its nftables table (output hook, in the namespace only: the host's rules
// are never touched) says what leaves the namespace: setPolicy().
//   'turn-only'  UDP only to the TURN port of HOST_IP (TURN/UDP)
//   'none'       no UDP at all (TURN/TCP, ICE-TCP)
//                (both: nothing to the host's other addresses, which the
//                default route would reach, so the pair is the one named)
//   'nat'        UDP only to PUBLIC_IP, which the namespace maps (DNAT, a 1:1
//                NAT) to HOST_IP: imsd's host address is unreachable, its
//                public twin (public_ip) is the way in
//   'nat-tcp'    no UDP, and TCP only to PUBLIC_IP or to imsd's HTTP port
//                (signalingPort, any address): ICE-TCP only through PUBLIC_IP
// Lifecycle: createNetwork() (needs root, ip, nft, unshare, nsenter) -> startCoturn() ->
// setPolicy() per case -> destroy() (namespace, veth, coturn, wrapper).
// Whatever is missing is an error that says what to install: never a skip.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const subnet = 200 + (process.pid % 50);
export const HOST_IP = `10.213.${subnet}.1`;
export const NS_IP = `10.213.${subnet}.2`;
export const PUBLIC_IP = `10.214.${subnet}.9`;

function run(cmd, args, input) {
  return execFileSync(path.isAbsolute(cmd) ? cmd : which(cmd) || cmd, args, { encoding: 'utf8', input, stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
}

function which(cmd) {
  for (const dir of (process.env.PATH || '').split(':').concat(['/usr/sbin', '/sbin'])) {
    if (dir && fs.existsSync(path.join(dir, cmd))) return path.join(dir, cmd);
  }
  return null;
}

/** What this machine lacks to run the reach tests ([] when nothing). */
export function missingRequirements() {
  const missing = [];
  if (process.getuid && process.getuid() !== 0) missing.push('root (network namespaces, nftables)');
  for (const [cmd, pkg] of [['ip', 'iproute2'], ['nft', 'nftables'], ['turnserver', 'coturn'],
    ['unshare', 'util-linux'], ['nsenter', 'util-linux']]) {
    if (!which(cmd)) missing.push(`${cmd} (Debian package ${pkg}; scripts/install-deps.sh installs it)`);
  }
  return missing;
}

/** Runs cmd args inside the namespace (nsenter). */
function inNamespace(network, cmd, args, input) {
  return run(which('nsenter'), [`--net=/proc/${network.holder.pid}/ns/net`, cmd, ...args], input);
}

export async function createNetwork() {
  const missing = missingRequirements();
  if (missing.length) throw new Error(`the reach tests need: ${missing.join(', ')}`);
  const tag = process.pid % 100000;
  const hostVeth = `rch${tag}h`;
  const nsVeth = `rch${tag}n`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imsd-reach-'));
  const network = { dir, hostVeth, holder: null, coturn: null, coturnLog: path.join(dir, 'coturn.log'), destroyed: false };
  try {
    network.holder = spawn(which('unshare'), ['--net', '/bin/sh', '-c', 'read _'], { stdio: ['pipe', 'ignore', 'inherit'] });
    // the holder is in its namespace once /proc/<pid>/ns/net differs from ours
    const ours = fs.readlinkSync('/proc/self/ns/net');
    const deadline = Date.now() + 5000;
    while (fs.readlinkSync(`/proc/${network.holder.pid}/ns/net`) === ours) {
      if (network.holder.exitCode !== null || Date.now() > deadline) throw new Error('unshare --net did not start');
      await sleep(20);
    }
    run('ip', ['link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', nsVeth]);
    run('ip', ['link', 'set', nsVeth, 'netns', String(network.holder.pid)]);
    run('ip', ['addr', 'add', `${HOST_IP}/24`, 'dev', hostVeth]);
    run('ip', ['link', 'set', hostVeth, 'up']);
    const ip = (...args) => inNamespace(network, which('ip'), args);
    ip('addr', 'add', `${NS_IP}/24`, 'dev', nsVeth);
    ip('link', 'set', nsVeth, 'up');
    ip('link', 'set', 'lo', 'up');
    ip('route', 'add', 'default', 'via', HOST_IP);
  } catch (err) {
    destroy(network);
    throw new Error(`could not build the test network (unshare --net, veth): ${err.stderr || err.message}`);
  }
  // Chromium inside the namespace: Playwright talks to it over inherited pipes,
  // which nsenter keeps.
  network.chromium = path.join(dir, 'chromium-in-netns');
  fs.writeFileSync(network.chromium, `#!/bin/sh\nexec ${which('nsenter')} --net=/proc/${network.holder.pid}/ns/net `
    + `${process.env.IMSD_CHROMIUM || '/usr/bin/chromium'} "$@"\n`, { mode: 0o755 });
  return network;
}

/** Replaces the namespace's rules with policy (see the head comment). */
export function setPolicy(network, policy, { turnPort, signalingPort } = {}) {
  const rules = {
    'turn-only': `ip daddr != ${HOST_IP} drop\n      meta l4proto udp udp dport != ${turnPort} drop`,
    none: `ip daddr != ${HOST_IP} drop\n      meta l4proto udp drop`,
    nat: `meta l4proto udp ct original ip daddr != ${PUBLIC_IP} drop`,
    'nat-tcp': `meta l4proto udp drop\n      ct original ip daddr != ${PUBLIC_IP} tcp dport != ${signalingPort} drop`,
  }[policy];
  if (!rules) throw new Error(`unknown UDP policy ${policy}`);
  const ruleset = `table inet imsd_reach
delete table inet imsd_reach
table inet imsd_reach {
  chain nat_out {
    type nat hook output priority -100; policy accept;
    ip daddr ${PUBLIC_IP} dnat ip to ${HOST_IP}
  }
  chain udp_out {
    type filter hook output priority 0; policy accept;
      ${rules}
  }
}
`;
  try {
    inNamespace(network, which('nft'), ['-f', '-'], ruleset);
  } catch (err) {
    throw new Error(`nft refused the rules of policy ${policy}: ${err.stderr || err.message}\n${ruleset}`);
  }
}

/**
 * Debian's coturn on HOST_IP:port (UDP and TCP), REST credentials
 * (use-auth-secret) with secret, relaying from HOST_IP.  Resolves once it
 * listens on TCP.
 */
export async function startCoturn(network, { port, secret }) {
  const args = ['-n', `--listening-ip=${HOST_IP}`, `--listening-port=${port}`, `--relay-ip=${HOST_IP}`,
    '--min-port=40000', '--max-port=40999', '--use-auth-secret', `--static-auth-secret=${secret}`,
    '--realm=imsd.test', '--no-tls', '--no-dtls', '--no-cli', '--fingerprint', '--no-multicast-peers',
    '--allow-loopback-peers', `--pidfile=${path.join(network.dir, 'coturn.pid')}`,
    '--log-file=stdout', '--simple-log', '--verbose'];
  const log = fs.openSync(network.coturnLog, 'a');
  network.coturn = spawn(which('turnserver'), args, { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const net = await import('node:net');
  const deadline = Date.now() + 10000;
  for (;;) {
    if (network.coturn.exitCode !== null) throw new Error(`coturn exited at start:\n${coturnLogTail(network)}`);
    const up = await new Promise((resolve) => {
      const socket = net.connect({ host: HOST_IP, port }, () => { socket.destroy(); resolve(true); });
      socket.on('error', () => resolve(false));
    });
    if (up) return;
    if (Date.now() > deadline) throw new Error(`coturn did not listen on ${HOST_IP}:${port}:\n${coturnLogTail(network)}`);
    await sleep(100);
  }
}

export function coturnLogTail(network, lines = 40) {
  try {
    return fs.readFileSync(network.coturnLog, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch { return '(no coturn log)'; }
}

export function destroy(network) {
  if (network.destroyed) return;
  network.destroyed = true;
  if (network.coturn && network.coturn.exitCode === null) network.coturn.kill('SIGKILL');
  // the namespace, and the veth pair with it, ends with its holder
  if (network.holder && network.holder.exitCode === null) network.holder.kill('SIGKILL');
  try { run('ip', ['link', 'del', network.hostVeth]); } catch { /* gone with the namespace */ }
  fs.rmSync(network.dir, { recursive: true, force: true });
}
