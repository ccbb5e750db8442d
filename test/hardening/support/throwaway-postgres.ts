import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../../src/db/free-port.ts';

/**
 * A PostgreSQL server of the test's own (Debian's initdb and pg_ctl, a temporary data folder,
 * a free port on 127.0.0.1, trust authentication), so that a test can stop and restart it.
 * initdb refuses to run as root: then every command runs as the `postgres` user (runuser).
 */
export interface ThrowawayPostgres {
  url: string;
  port: number;
  /** Starts the server (again) and waits until it accepts connections. */
  start(): Promise<void>;
  /** Stops the server: `fast` disconnects clients cleanly, `immediate` is a crash. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Stops it and deletes its data folder. */
  destroy(): Promise<void>;
  /**
   * SIGSTOP to the postmaster and every backend: the server keeps its sockets open but answers
   * nothing, like a host that hangs. `thaw()` sends SIGCONT to the same processes.
   */
  freeze(): Promise<void>;
  thaw(): Promise<void>;
}

/** The newest installed PostgreSQL's bin folder, or undefined when there is none. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return undefined;
  const versions = fs
    .readdirSync(root)
    .filter(
      (v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')) && fs.existsSync(path.join(root, v, 'bin', 'pg_ctl')),
    )
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], 'bin') : undefined;
}

function run(command: string, args: string[], asUser?: string): Promise<string> {
  const [file, argv] = asUser ? ['runuser', ['-u', asUser, '--', command, ...args]] : [command, args];
  return new Promise((resolve, reject) => {
    execFile(file, argv, { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

export interface ThrowawayOptions {
  /**
   * Makes the server a streaming replica of this primary (pg_basebackup -R: a copy of its data
   * folder that follows its WAL), instead of a new initdb cluster.
   */
  replicaOf?: { port: number };
}

export async function startThrowawayPostgres(setup: ThrowawayOptions = {}): Promise<ThrowawayPostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql/*/bin');
  const asUser = process.getuid?.() === 0 ? 'postgres' : undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobstats-pg-'));
  fs.chmodSync(dir, 0o700);
  if (asUser) {
    const uid = Number((await run('id', ['-u', asUser])).trim());
    const gid = Number((await run('id', ['-g', asUser])).trim());
    fs.chownSync(dir, uid, gid);
  }
  const data = path.join(dir, 'data');
  if (setup.replicaOf) {
    // initdb's pg_hba.conf trusts replication connections from 127.0.0.1, and wal_level=replica
    // with max_wal_senders=10 are PostgreSQL's defaults, so any throw-away server can be a primary.
    await run(
      path.join(bin, 'pg_basebackup'),
      [
        '-D',
        data,
        '-R',
        '-X',
        'stream',
        '-h',
        '127.0.0.1',
        '-p',
        String(setup.replicaOf.port),
        '-U',
        'postgres',
        '--no-sync',
      ],
      asUser,
    );
  } else {
    await run(
      path.join(bin, 'initdb'),
      ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync', '--no-instructions'],
      asUser,
    );
  }
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  const pgCtl = (args: string[]) => run(path.join(bin, 'pg_ctl'), ['-D', data, ...args], asUser);
  let running = false;
  let frozen: number[] = [];
  const processes = async (): Promise<number[]> => {
    const postmaster = Number(fs.readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const children = (await run('ps', ['-o', 'pid=', '--ppid', String(postmaster)]).catch(() => ''))
      .split('\n')
      .map((line) => Number(line.trim()))
      .filter((pid) => pid > 0);
    return [postmaster, ...children];
  };
  const instance: ThrowawayPostgres = {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    port,
    async start() {
      await pgCtl(['-o', options, '-l', path.join(dir, 'server.log'), '-w', '-t', '30', 'start']);
      running = true;
    },
    async stop(mode = 'fast') {
      if (!running) return;
      await pgCtl(['-m', mode, '-w', '-t', '30', 'stop']);
      running = false;
    },
    async freeze() {
      frozen = await processes();
      for (const pid of frozen) process.kill(pid, 'SIGSTOP');
    },
    async thaw() {
      for (const pid of frozen) {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          // already gone
        }
      }
      frozen = [];
    },
    async destroy() {
      await instance.thaw();
      await instance.stop('immediate').catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  await instance.start();
  return instance;
}
