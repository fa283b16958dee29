// postgres.mjs: a private PostgreSQL cluster for a test that takes the
// database away (stop, freeze) without touching the shared one.
//
//   startPostgres({name}) -- scripts/pg.sh on a free port in a fresh temp dir;
//                            resolves with a PostgresCluster
//   .url                  -- conninfo of its database imsd
//   .stop() / .start()    -- pg_ctl stop -m fast / start again (same data)
//   .freeze() / .thaw()   -- SIGSTOP / SIGCONT every server process: the
//                            sockets stay open and nothing answers
//   .shutdown()           -- stop, remove the temp dir
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { freePort, repoRoot } from './imsd.mjs';

const PG_SH = path.join(repoRoot, 'scripts/pg.sh');

export class PostgresCluster {
  constructor(dir, port) {
    this.dir = dir;
    this.port = port;
    this.url = `postgresql://postgres@127.0.0.1:${port}/imsd`;
    this.frozen = [];
  }

  pgsh(command) {
    return execFileSync(PG_SH, [command], {
      encoding: 'utf8',
      env: { ...process.env, IMSD_RUN_DIR: this.dir, IMSD_PG_PORT: String(this.port) },
    });
  }

  start() { this.pgsh('start'); }

  stop() { this.pgsh('stop'); }

  /** The postmaster and every backend, auxiliary and walsender process. */
  pids() {
    const pidFile = path.join(this.dir, 'pg/data/postmaster.pid');
    const postmaster = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
    let children = [];
    try {
      children = execFileSync('pgrep', ['-P', String(postmaster)], { encoding: 'utf8' })
        .split('\n').filter(Boolean).map(Number);
    } catch { /* none */ }
    return [postmaster, ...children];
  }

  freeze() {
    this.frozen = this.pids();
    for (const pid of this.frozen) process.kill(pid, 'SIGSTOP');
  }

  thaw() {
    for (const pid of this.frozen) {
      try { process.kill(pid, 'SIGCONT'); } catch { /* gone */ }
    }
    this.frozen = [];
  }

  shutdown() {
    this.thaw();
    try { this.stop(); } catch { /* already stopped */ }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function startPostgres({ name = 'pg' } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `imsd-${name}-`));
  fs.chmodSync(dir, 0o755);   // the postgres user (pg.sh as root) keeps its cluster in here
  const cluster = new PostgresCluster(dir, await freePort());
  cluster.start();
  return cluster;
}
