import crypto from 'node:crypto';
import fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { acquireLock, type HeldLock, type LockInfo } from './embedded-lock.ts';
import { startSessionServer } from './embedded-socket.ts';

/**
 * How a process uses the embedded database folder:
 * - `service` (`npm start`): opens it and, once started, lets the CLIs work through it; waits for a
 *   CLI that holds the folder; stops if another service holds it.
 * - `cli` (import, seed, apikey, report, db:deploy): works through a running service, or opens the
 *   folder itself when none runs; waits for another CLI that holds it.
 * - `exclusive` (anything else): opens the folder itself, or stops if any process holds it.
 */
export type EmbeddedRole = 'service' | 'cli' | 'exclusive';

export interface EmbeddedOptions {
  role?: EmbeddedRole;
  /** Where a line saying what this process waits for goes (standard error by default). */
  onWait?: (line: string) => void;
  /** How often a waiting process looks at the lock again. */
  pollMs?: number;
}

export interface EmbeddedPostgres {
  url: string;
  /** For messages: the folder, and the service's pid when the work goes through it. */
  description: string;
  /** Whether this process reaches the database through the running service. */
  viaService: boolean;
  /** Lets the machine's other processes work through this one (a service, after its start-up). */
  share(): void;
  stop(): Promise<void>;
}

/** The folder is held by a process this one must not (or cannot) share it with. */
export class EmbeddedDatabaseInUseError extends Error {}

function holderName(holder: LockInfo): string {
  return holder.role === 'service'
    ? `the service (pid ${holder.pid}, started ${holder.startedAt})`
    : `pid ${holder.pid} (${holder.command})`;
}

function inUse(dir: string, holder: LockInfo, role: EmbeddedRole): EmbeddedDatabaseInUseError {
  const what =
    role === 'service' && holder.role === 'service'
      ? `stop it first (kill ${holder.pid}), or start this one with another PGLITE_DIR or a DATABASE_URL`
      : holder.role === 'service'
        ? `stop it first (kill ${holder.pid}), or run the npm scripts (import, seed, apikey, report, db:deploy), which work through it`
        : `wait until it has finished, or stop it (kill ${holder.pid})`;
  return new EmbeddedDatabaseInUseError(`the embedded database in ${dir} is in use by ${holderName(holder)}: ${what}`);
}

/** Whether a service's socket answers, with the password from its lock. */
async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const urlOf = (host: string, port: number, token: string): string =>
  `postgresql://postgres:${encodeURIComponent(token)}@${host}:${port}/postgres`;

/**
 * Runs PGlite (PostgreSQL compiled to WebAssembly) in this process and serves it over the
 * PostgreSQL wire protocol on a loopback port, so that pg, Prisma's adapter and the importer all
 * take the same path as against a real server. `dataDir` undefined keeps the database in memory.
 *
 * A folder is opened by one process at a time, under `<dataDir>/jobstats.lock` (see EmbeddedRole);
 * the lock names the holder and, for a service, the port and password through which the CLIs do
 * their work, so that what they write is the service's database at once.
 */
export async function startEmbeddedPostgres(
  dataDir?: string,
  options: EmbeddedOptions = {},
): Promise<EmbeddedPostgres> {
  const role = options.role ?? 'exclusive';
  const token = crypto.randomBytes(24).toString('base64url');
  if (!dataDir) return serve(new PGlite({}), token, undefined, 'embedded PGlite (in memory)');
  fs.mkdirSync(dataDir, { recursive: true });
  const onWait = options.onWait ?? ((line: string) => process.stderr.write(`${line}\n`));
  let waitingFor: string | undefined;
  for (;;) {
    const result = await acquireLock(dataDir, { role: role === 'service' ? 'service' : 'cli', token });
    if ('acquired' in result) {
      return serve(new PGlite({ dataDir }), token, result.acquired, `embedded PGlite (${dataDir})`, role === 'service');
    }
    const holder = result.heldBy;
    if (role === 'exclusive' || (role === 'service' && holder.role === 'service')) throw inUse(dataDir, holder, role);
    if (role === 'cli' && holder.role === 'service' && holder.ready && holder.port !== null) {
      const url = urlOf(holder.host, holder.port, holder.token);
      if (await answers(url)) {
        return {
          url,
          description: `embedded PGlite (${dataDir}) through the service, pid ${holder.pid}`,
          viaService: true,
          share() {},
          async stop() {},
        };
      }
    }
    const line =
      holder.role === 'service' && holder.ready
        ? `waiting for the service (pid ${holder.pid}) to answer on the embedded database in ${dataDir} (another command's transaction may hold it)`
        : holder.role === 'service'
          ? `waiting for the service (pid ${holder.pid}) to finish starting on the embedded database in ${dataDir}`
          : `waiting for pid ${holder.pid} (${holder.command}) to finish with the embedded database in ${dataDir}`;
    if (line !== waitingFor) onWait(line);
    waitingFor = line;
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 250));
  }
}

async function serve(
  db: PGlite,
  token: string,
  lock: HeldLock | undefined,
  description: string,
  shareable = false,
): Promise<EmbeddedPostgres> {
  let server: Awaited<ReturnType<typeof startSessionServer>>;
  try {
    await db.waitReady;
    server = await startSessionServer({ db, token });
  } catch (error) {
    await db.close().catch(() => undefined);
    lock?.release();
    throw error;
  }
  try {
    lock?.update({ host: server.host, port: server.port });
  } catch (error) {
    await server.stop();
    await db.close().catch(() => undefined);
    lock?.release();
    throw error;
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      for (const signal of SIGNALS) process.removeListener(signal, onSignal);
      try {
        // No new CLI comes in while the service winds down (best effort: the folder may be gone).
        lock?.update({ ready: false });
      } catch {
        // The lock is removed below all the same.
      }
      try {
        await server.stop();
        await db.close();
      } finally {
        // Only now: a process waiting for the folder must not open it while PGlite still has it open.
        lock?.release();
      }
    })());

  // A process that leaves signals to their default (a CLI) would end without closing PGlite or
  // removing the lock; an application with its own handlers (npm start) closes the database itself.
  function onSignal(signal: NodeJS.Signals): void {
    if (process.listenerCount(signal) > 1) return;
    const giveUp = new Promise((resolve) => setTimeout(resolve, 10_000).unref());
    void Promise.race([stop().catch(() => undefined), giveUp]).finally(() => {
      lock?.release();
      // Our listener is gone now: the signal ends the process as it would have without us.
      process.kill(process.pid, signal);
    });
  }
  if (lock) for (const signal of SIGNALS) process.on(signal, onSignal);

  return {
    url: urlOf(server.host, server.port, token),
    description,
    viaService: false,
    share() {
      if (shareable) lock?.update({ ready: true });
    },
    stop,
  };
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
