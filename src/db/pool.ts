import pg from 'pg';

// Timestamps come back as Date and numerics as numbers; NUMERIC (from aggregates such as
// avg over doubles cast to numeric) is parsed as a float because every figure here is a double.
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number.parseFloat(v));
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number.parseInt(v, 10));

/** Socket-level codes from Node's net module: the server cannot be reached or the connection broke. */
export const SOCKET_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/** Errors that src/db saw come from a lost or unreachable connection (see createPool). */
const CONNECTION_FAILURES = new WeakSet<object>();

function markConnectionFailure(error: unknown): void {
  if (error !== null && typeof error === 'object') CONNECTION_FAILURES.add(error);
}

/**
 * True when the error came from a connection that was lost or could not be opened: a statement
 * on a client whose connection ended, or a pool that could not connect. Told by what the pool's
 * clients saw (their 'error' and 'end' events), since pg gives such errors no code.
 */
export function isConnectionFailure(error: unknown): boolean {
  return error !== null && typeof error === 'object' && CONNECTION_FAILURES.has(error);
}

/**
 * Counts every SQL statement sent through a pool: the N+1 tests and the metrics read it.
 * `count` holds the statements that do work; `control` the transaction control of read
 * sessions (BEGIN ... SET LOCAL, COMMIT), which is the same for any query and counted apart.
 */
export class StatementCounter {
  count = 0;
  control = 0;
}

type Query = pg.PoolClient['query'];

/** The client's query function before counting, for transaction control (src/db/read-session.ts). */
export const UNCOUNTED_QUERY = Symbol('uncountedQuery');

export type CountedClient = pg.PoolClient & { [UNCOUNTED_QUERY]?: Query };

/**
 * Every client of the pool waited DB_POOL_WAIT_MS for a free connection and none came: the
 * database is reachable but busy. Clients get OVERLOADED (retry later), not "unavailable".
 */
export class PoolOverloadedError extends Error {
  readonly code = 'POOL_OVERLOADED';
  constructor(readonly waitedMs: number) {
    super(`no database connection became free within ${waitedMs} ms (DB_POOL_WAIT_MS): the service is overloaded`);
  }
}

/** Whether the last attempt to open a connection failed (then waiting for one means "down", not "busy"). */
export interface Reachability {
  lastConnectFailedAt: number | null;
}

export interface PoolOptions {
  /** How long opening one new connection may take (DB_CONNECT_TIMEOUT_MS); 2 s by default. */
  connectTimeoutMs?: number;
  /** How long a query may wait for a free connection of a full pool (DB_POOL_WAIT_MS); 5 s by default. */
  poolWaitMs?: number;
  /**
   * Session default of statement_timeout for statements outside read sessions (set once per
   * connection); read sessions also SET LOCAL it per transaction, which holds behind a pooler.
   */
  statementTimeoutMs?: number;
}

/**
 * A pg pool whose clients count the statements they send. Counting at the client level catches
 * pool.query, transactions and Prisma's adapter alike, since all of them end in client.query.
 *
 * pg-pool has one timeout for both waiting for a free client and opening a new one; here the
 * pool's timeout is the wait (DB_POOL_WAIT_MS) and each client's own connect timeout is
 * DB_CONNECT_TIMEOUT_MS, and a wait that runs out while the database answers is a
 * PoolOverloadedError instead of pg-pool's "timeout exceeded when trying to connect".
 */
export function createPool(
  connectionString: string,
  max: number,
  counter = new StatementCounter(),
  options: PoolOptions = {},
): { pool: pg.Pool; counter: StatementCounter; reachability: Reachability } {
  const connectTimeoutMs = options.connectTimeoutMs ?? 2_000;
  const poolWaitMs = options.poolWaitMs ?? 5_000;
  const reachability: Reachability = { lastConnectFailedAt: null };
  // statement_timeout for statements outside read sessions travels as a start-up parameter, not a
  // SET: behind a transaction pooler a SET would stay on a server connection that other clients
  // then share (PgBouncer drops the parameter instead, so there the read sessions' SET LOCAL is
  // the only timeout).
  const statementTimeout =
    options.statementTimeoutMs === undefined ? {} : { statement_timeout: Math.floor(options.statementTimeoutMs) };
  class TimedClient extends pg.Client {
    /** Set once the connection is gone (an 'error' or 'end' event, or end() called). */
    private lost = false;
    constructor(config?: string | pg.ClientConfig) {
      super({
        ...(typeof config === 'string' ? { connectionString: config } : config),
        connectionTimeoutMillis: connectTimeoutMs,
        ...statementTimeout,
      });
      // A checked-out client whose server goes away between two statements emits 'error'; the
      // next statement reports it, so the event itself must not crash the process.
      this.on('error', (error: Error) => {
        this.lost = true;
        markConnectionFailure(error);
      });
      this.on('end', () => {
        this.lost = true;
      });
      // pg's errors for a lost connection carry no code ("Connection terminated unexpectedly",
      // "... is not queryable"): a statement that fails once the connection is gone is marked as a
      // connection failure here, by what the client saw, not by its message. (pg rejects pending
      // statements on a later tick than the 'error' event that sets the flag.)
      const query = this.query.bind(this) as (...args: unknown[]) => unknown;
      this.query = ((...args: unknown[]) => {
        const result = query(...args);
        if (!(result instanceof Promise)) return result;
        return result.catch((error: unknown) => {
          if (this.lost) markConnectionFailure(error);
          throw error;
        });
      }) as typeof this.query;
    }
    override end(): Promise<void>;
    override end(callback: (err: Error) => void): void;
    override end(callback?: (err: Error) => void): Promise<void> | void {
      this.lost = true;
      return callback ? super.end(callback) : super.end();
    }
  }
  // A short connect timeout makes queries fail fast (SERVICE_UNAVAILABLE) while the database is
  // unreachable; the pool opens new connections by itself once it is back.
  const pool = new pg.Pool({
    connectionString,
    max,
    connectionTimeoutMillis: Math.max(poolWaitMs, 1),
    idleTimeoutMillis: 30_000,
    Client: TimedClient,
  });
  pool.on('connect', (client: CountedClient) => {
    reachability.lastConnectFailedAt = null;
    const original = client.query.bind(client) as Query;
    const counted = ((...args: Parameters<Query>) => {
      counter.count += 1;
      return (original as (...a: Parameters<Query>) => ReturnType<Query>)(...args);
    }) as Query;
    client.query = counted;
    client[UNCOUNTED_QUERY] = original;
  });
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', () => undefined);

  /**
   * pg-pool's error for a wait that ran out has no code of its own, so it is told by what the
   * wrapper saw: the pool had no free client to give and the wait lasted the pool's timeout
   * (an attempt to open a connection fails sooner, at DB_CONNECT_TIMEOUT_MS, or with a code).
   */
  const classify = (error: Error, queued: boolean, waitedMs: number): Error => {
    // setTimeout may fire a millisecond early.
    if (!queued || waitedMs < poolWaitMs - 5) {
      // A pool being closed refuses new clients: that says nothing about the server.
      if (!pool.ending) {
        reachability.lastConnectFailedAt = Date.now();
        markConnectionFailure(error);
      }
      return error;
    }
    // A full pool whose last connection attempt failed is waiting on a dead server, not a busy one.
    if (reachability.lastConnectFailedAt === null) return new PoolOverloadedError(poolWaitMs);
    markConnectionFailure(error);
    return error;
  };
  const connect = pool.connect.bind(pool) as (
    cb?: (err: Error | undefined, client?: pg.PoolClient, done?: (release?: unknown) => void) => void,
  ) => unknown;
  pool.connect = ((
    cb?: (err: Error | undefined, client?: pg.PoolClient, done?: (release?: unknown) => void) => void,
  ) => {
    const queued = pool.idleCount === 0 && pool.totalCount >= max;
    const started = Date.now();
    if (cb)
      return connect((err, client, done) => cb(err ? classify(err, queued, Date.now() - started) : err, client, done));
    return (connect() as Promise<pg.PoolClient>).catch((err: Error) => {
      throw classify(err, queued, Date.now() - started);
    });
  }) as typeof pool.connect;
  return { pool, counter, reachability };
}
