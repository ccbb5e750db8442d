import type pg from 'pg';
import { redactUrl } from '../config.ts';
import { createPool } from './pool.ts';
import type { ReadRoute, ReadTarget } from './read-session.ts';

/** A position in PostgreSQL's write-ahead log (`16/B374D848`), as a number that compares. */
export function parseLsn(text: string): bigint {
  const match = /^([0-9A-F]{1,8})\/([0-9A-F]{1,8})$/i.exec(text.trim());
  if (!match) throw new Error(`not a WAL position: ${JSON.stringify(text)}`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

export interface ReplicaState {
  /** host:port/database of the replica (no credentials). */
  name: string;
  healthy: boolean;
  /**
   * How far the replica is behind the primary, in milliseconds: the age of the newest primary
   * WAL position it has replayed, as sampled by the health checks (null before the first check).
   */
  lagMs: number | null;
  /** Why it is not healthy, when it is not. */
  reason?: string;
}

/**
 * Where the write marks of read-your-writes live: in Redis, so that a client that wrote through
 * one instance and reads through another still reads its write (src/shared-state/write-marks.ts).
 */
export interface WriteMarks {
  get(client: string): Promise<bigint | undefined>;
  set(client: string, lsn: bigint): Promise<void>;
}

export interface ReplicaRouterOptions {
  /** A replica further behind than this is not read from (DATABASE_READ_MAX_LAG_MS). */
  maxLagMs: number;
  /** How often each replica's state and lag is checked (DATABASE_READ_CHECK_MS). */
  checkIntervalMs: number;
  poolMax: number;
  connectTimeoutMs: number;
  poolWaitMs?: number;
  /** Told once per change of a replica's state (healthy <-> not). */
  onStateChange?: (state: ReplicaState) => void;
  /** Write marks shared with other instances; this instance's memory only when left out. */
  marks?: WriteMarks;
}

interface Replica {
  url: string;
  name: string;
  pool: pg.Pool;
  healthy: boolean;
  lagMs: number | null;
  replayed: bigint;
  reason?: string;
}

/** host:port/database of a connection string, without credentials (for messages, logs and metrics). */
export function describeTarget(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return redactUrl(url);
  }
}

/**
 * Sends read-only work to streaming replicas, round robin over those that are healthy and
 * within the lag bound, and to the primary when none is. Lag is measured on WAL positions, not
 * on replay timestamps (which grow on an idle primary): each check samples the primary's
 * current position, and a replica's lag is the age of the newest sample it has replayed.
 *
 * Read-your-writes: after a client writes, `rememberWrite` records the primary's position for
 * it; its reads go to a replica only once that replica is known to have replayed that position.
 */
export class ReplicaRouter {
  private readonly replicas: Replica[];
  private readonly samples: { at: number; lsn: bigint }[] = [];
  private readonly writes = new Map<string, bigint>();
  /** Read sessions opened per server ('primary' or a replica's name), for /metrics. */
  readonly reads = new Map<string, number>();
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;

  constructor(
    private readonly primary: pg.Pool,
    urls: readonly string[],
    private readonly options: ReplicaRouterOptions,
  ) {
    this.replicas = urls.map((url) => ({
      url,
      name: describeTarget(url),
      pool: createPool(url, options.poolMax, undefined, {
        connectTimeoutMs: options.connectTimeoutMs,
        poolWaitMs: options.poolWaitMs,
      }).pool,
      healthy: false,
      lagMs: null,
      replayed: 0n,
      reason: 'not checked yet',
    }));
  }

  get size(): number {
    return this.replicas.length;
  }

  /** Checks every replica now, then every `checkIntervalMs`. */
  async start(): Promise<void> {
    await this.check();
    this.timer = setInterval(() => void this.check(), this.options.checkIntervalMs);
    this.timer.unref();
  }

  /** One round of checks (concurrent rounds are merged). */
  check(): Promise<void> {
    this.checking ??= this.checkAll().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  private async checkAll(): Promise<void> {
    const now = Date.now();
    try {
      const { rows } = await this.primary.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
      this.samples.push({ at: now, lsn: parseLsn(rows[0]?.lsn ?? '0/0') });
    } catch {
      // Without the primary's position lag cannot be judged; the replicas' replay is still read.
    }
    // Samples older than the lag bound are only needed to tell "too far behind" apart.
    const horizon = now - Math.max(this.options.maxLagMs * 2, this.options.checkIntervalMs * 4);
    while (this.samples.length > 2 && (this.samples[1]?.at ?? now) < horizon) this.samples.shift();
    await Promise.all(this.replicas.map((replica) => this.checkOne(replica, now)));
  }

  private async checkOne(replica: Replica, now: number): Promise<void> {
    let healthy = false;
    let reason: string | undefined;
    try {
      const { rows } = await replica.pool.query<{ standby: boolean; replayed: string | null }>(
        'SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replayed',
      );
      const row = rows[0];
      if (!row?.standby || !row.replayed) {
        reason = 'not a streaming replica (pg_is_in_recovery() is false)';
      } else {
        replica.replayed = parseLsn(row.replayed);
        // The newest primary sample at or below the replayed position: its age is the lag.
        let reached: { at: number; lsn: bigint } | undefined;
        for (const sample of this.samples) if (sample.lsn <= replica.replayed) reached = sample;
        const newest = this.samples[this.samples.length - 1];
        if (newest && newest.lsn <= replica.replayed) replica.lagMs = 0;
        else replica.lagMs = reached ? now - reached.at : null;
        if (replica.lagMs === null) reason = 'lag unknown (behind every sample of the primary)';
        else if (replica.lagMs > this.options.maxLagMs)
          reason = `lag ${replica.lagMs} ms over ${this.options.maxLagMs} ms`;
        else healthy = true;
      }
    } catch (error) {
      reason = `unreachable: ${(error as Error).message}`;
    }
    const changed = healthy !== replica.healthy;
    replica.healthy = healthy;
    replica.reason = healthy ? undefined : reason;
    if (changed) this.options.onStateChange?.(this.stateOf(replica));
  }

  /** Marks a replica down at once (a read on it failed); the next check may bring it back. */
  markDown(name: string, reason: string): void {
    const replica = this.replicas.find((r) => r.name === name);
    if (!replica || !replica.healthy) return;
    replica.healthy = false;
    replica.reason = reason;
    this.options.onStateChange?.(this.stateOf(replica));
  }

  /**
   * Where a read-only operation of `client` (e.g. its API key's id; undefined for anonymous
   * readers) runs: a healthy replica that has replayed the client's last write, else the primary.
   */
  pick(client?: string, shared?: bigint): ReadTarget {
    const own = client === undefined ? undefined : this.writes.get(client);
    const needs = own === undefined ? shared : shared === undefined || own > shared ? own : shared;
    const usable = this.replicas.filter((r) => r.healthy && (needs === undefined || r.replayed >= needs));
    if (needs !== undefined && usable.length === this.replicas.filter((r) => r.healthy).length) {
      // Every healthy replica has the write: the client no longer needs the primary.
      this.writes.delete(client as string);
    }
    if (usable.length === 0) return { pool: this.primary, name: 'primary', replica: false };
    const replica = usable[this.next++ % usable.length] as Replica;
    return { pool: replica.pool, name: replica.name, replica: true };
  }

  /** The route of one read session: chosen when its first statement runs. */
  route(client?: string): ReadRoute {
    return {
      choose: async () => {
        // A mark another instance wrote (a client writing there, reading here) counts too.
        const shared =
          client === undefined || !this.options.marks
            ? undefined
            : await this.options.marks.get(client).catch(() => undefined);
        return this.pick(client, shared);
      },
      lost: (target, reason) => this.markDown(target.name, reason),
      used: (target) => this.reads.set(target.name, (this.reads.get(target.name) ?? 0) + 1),
    };
  }

  /**
   * Records that `client` has just written: its reads stay on the primary until a replica has the
   * write. The insert position, not pg_current_wal_lsn(): with synchronous_commit off a commit
   * record can still sit in the WAL buffers, past the written position.
   */
  async rememberWrite(client: string): Promise<void> {
    if (this.replicas.length === 0) return;
    const { rows } = await this.primary.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
    const lsn = parseLsn(rows[0]?.lsn ?? '0/0');
    this.writes.set(client, lsn);
    await this.options.marks?.set(client, lsn).catch(() => undefined);
  }

  states(): ReplicaState[] {
    return this.replicas.map((r) => this.stateOf(r));
  }

  private stateOf(r: Replica): ReplicaState {
    return { name: r.name, healthy: r.healthy, lagMs: r.lagMs, ...(r.reason ? { reason: r.reason } : {}) };
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.checking?.catch(() => undefined);
    await Promise.all(this.replicas.map((r) => r.pool.end().catch(() => undefined)));
  }
}
