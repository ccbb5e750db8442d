import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** The lock's file name inside PGLITE_DIR. */
export const LOCK_FILE = 'jobstats.lock';

/** `service`: `npm start`, which lets CLIs work through it; `cli`: a command that opened the folder for itself. */
export type LockRole = 'service' | 'cli';

/** What `<PGLITE_DIR>/jobstats.lock` holds (JSON, mode 0600: the token is readable by this user only). */
export interface LockInfo {
  pid: number;
  /** The holder's start time in clock ticks since boot (/proc/<pid>/stat, field 22); null where /proc is missing. */
  startTicks: string | null;
  startedAt: string;
  role: LockRole;
  /** The holder's command line, for messages. */
  command: string;
  /** Loopback address and port where the holder serves the database over the PostgreSQL protocol. */
  host: string;
  port: number | null;
  /** The password that socket asks for. */
  token: string;
  /** A service that has finished starting (migrated, seeded): other processes may now work through it. */
  ready: boolean;
  /** Tells this lock from a later one of the same process (take-over and release check it). */
  nonce: string;
}

function procStat(pid: number): string[] | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** Start time of a process in clock ticks since boot, or null when it cannot be read (no /proc, no process). */
export function processStartTicks(pid: number): string | null {
  return procStat(pid)?.[19] ?? null;
}

/** Whether the lock's holder still runs: its pid exists and, where /proc tells, started when the lock says. */
export function holderAlive(info: LockInfo): boolean {
  try {
    process.kill(info.pid, 0);
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = procStat(info.pid);
  if (stat === null) return true;
  // A zombie (ended, not yet reaped by its parent) holds nothing any more.
  if (stat[0] === 'Z' || stat[0] === 'X') return false;
  return info.startTicks === null || stat[19] === info.startTicks;
}

type ReadResult = { state: 'none' } | { state: 'held'; info: LockInfo } | { state: 'unreadable'; ageMs: number };

function isLockInfo(value: unknown): value is LockInfo {
  const v = value as Partial<LockInfo> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    Number.isSafeInteger(v.pid) &&
    typeof v.nonce === 'string' &&
    (v.role === 'service' || v.role === 'cli')
  );
}

function readLock(file: string): ReadResult {
  let text: string;
  let mtimeMs: number;
  try {
    text = fs.readFileSync(file, 'utf8');
    mtimeMs = fs.statSync(file).mtimeMs;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'none' };
    throw error;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (isLockInfo(parsed)) return { state: 'held', info: parsed };
  } catch {
    // Empty or cut short: being written right now, or left by a crash (judged by its age).
  }
  return { state: 'unreadable', ageMs: Date.now() - mtimeMs };
}

/** A lock file that is empty or not a lock this long is left over from a crash, not being written. */
const UNREADABLE_STALE_MS = 5_000;

export interface HeldLock {
  readonly file: string;
  readonly info: LockInfo;
  /** Rewrites the lock (atomically, by rename) with these fields changed. */
  update(patch: Partial<Pick<LockInfo, 'host' | 'port' | 'ready'>>): void;
  /** Removes the lock if it is still this process's. Idempotent. */
  release(): void;
}

export type AcquireResult = { acquired: HeldLock } | { heldBy: LockInfo };

function writeExclusive(file: string, info: LockInfo): void {
  const fd = fs.openSync(file, 'wx', 0o600);
  try {
    fs.writeSync(fd, JSON.stringify(info, null, 2) + '\n');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Moves a stale lock out of the way. Renaming first (instead of unlinking) makes sure that what is
 * removed is the stale lock that was judged, not a fresh one another process wrote meanwhile;
 * such a fresh lock is put back.
 */
function removeStale(file: string, stale: LockInfo | undefined, nonce: string): void {
  const aside = `${file}.stale-${nonce}`;
  try {
    fs.renameSync(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = readLock(aside);
  const same = moved.state === 'held' ? stale !== undefined && moved.info.nonce === stale.nonce : stale === undefined;
  if (!same) {
    try {
      fs.linkSync(aside, file);
    } catch {
      // Yet another process created a lock meanwhile: that one stands.
    }
  }
  fs.rmSync(aside, { force: true });
}

const releasers = new Set<() => void>();
let exitHookInstalled = false;

/**
 * Takes `<dir>/jobstats.lock` for this process, created with O_EXCL so that of two processes only
 * one gets it. A lock whose holder is gone (pid missing, or a pid reused by a process that started
 * at another time) is taken over. Otherwise reports the live holder.
 */
export async function acquireLock(
  dir: string,
  fields: Pick<LockInfo, 'role' | 'token'> & Partial<Pick<LockInfo, 'host' | 'port' | 'ready'>>,
): Promise<AcquireResult> {
  const file = path.join(dir, LOCK_FILE);
  const nonce = crypto.randomBytes(8).toString('hex');
  const info: LockInfo = {
    pid: process.pid,
    startTicks: processStartTicks(process.pid),
    startedAt: new Date(Date.now() - process.uptime() * 1000).toISOString(),
    command: [
      path.basename(process.argv0),
      ...process.argv.slice(1, 2).map((a) => path.basename(a)),
      ...process.argv.slice(2),
    ]
      .join(' ')
      .slice(0, 300),
    host: '127.0.0.1',
    port: null,
    ready: false,
    nonce,
    ...fields,
  };
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      writeExclusive(file, info);
      return { acquired: holdLock(file, info) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const current = readLock(file);
    if (current.state === 'none') continue;
    if (current.state === 'held') {
      if (holderAlive(current.info)) return { heldBy: current.info };
      removeStale(file, current.info, nonce);
    } else if (current.ageMs > UNREADABLE_STALE_MS) {
      removeStale(file, undefined, nonce);
    } else {
      // Being written by its holder: look again in a moment.
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`cannot take the lock ${file}: it keeps changing; is something else creating it?`);
}

function holdLock(file: string, initial: LockInfo): HeldLock {
  let info = initial;
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    releasers.delete(release);
    const current = readLock(file);
    if (current.state === 'held' && current.info.nonce === info.nonce) fs.rmSync(file, { force: true });
  };
  releasers.add(release);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // process.exit() and a normal end both run 'exit' listeners; signals are the embedded database's
    // (it closes PGlite first), or the application's own handlers, which end in process.exit().
    process.on('exit', () => {
      for (const r of [...releasers]) r();
    });
  }
  return {
    file,
    get info() {
      return info;
    },
    update(patch) {
      if (!held) return;
      info = { ...info, ...patch };
      const tmp = `${file}.${info.nonce}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
      fs.renameSync(tmp, file);
    },
    release,
  };
}
