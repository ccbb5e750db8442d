import pg from 'pg';
import {
  isConnectionFailure,
  SOCKET_ERROR_CODES,
  UNCOUNTED_QUERY,
  type CountedClient,
  type StatementCounter,
} from './pool.ts';

/**
 * What the statements of src/stats and src/catalog need: one query method. A pg.Pool, a pool
 * client and a ReadSession all fit, so the same function runs on one snapshot or on the pool.
 */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string | NamedStatement,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>>;
}

/** A statement that may be prepared under a name (src/db/prepared.ts). */
export interface NamedStatement {
  text: string;
  values?: unknown[];
  name?: string;
}

export interface ReadSessionSettings {
  /** statement_timeout of every statement of the session (DB_STATEMENT_TIMEOUT_MS). */
  statementTimeoutMs: number;
  /**
   * Extra time the client gives a statement beyond statement_timeout before it gives up on the
   * connection itself: a server that is frozen (SIGSTOP, a dead host) never cancels anything.
   */
  clientGraceMs?: number;
  /** Connection string for a side connection that cancels a running statement; none: no cancelling. */
  cancelUrl?: string;
  /**
   * work_mem of every read transaction (DB_WORK_MEM, e.g. '64MB'), SET LOCAL like the timeout:
   * the figures' groupings and percentiles sort, and at PostgreSQL's 4 MB they spill to disk.
   */
  workMem?: string;
  /**
   * SET LOCAL jit = off in every read transaction (PostgreSQL servers; PGlite has no JIT): the
   * figures' statements run in milliseconds, and their cost estimates (CTEs the planner cannot
   * size) made PostgreSQL spend 30 ms and more compiling them.
   */
  jitOff?: boolean;
}

/** A statement of the session ran out of time (statement_timeout, or no answer at all from the server). */
export class StatementTimeoutError extends Error {
  readonly code = 'STATEMENT_TIMEOUT';
  constructor(
    readonly timeoutMs: number,
    options?: { cause?: unknown },
  ) {
    super(`a database statement ran longer than ${timeoutMs} ms (DB_STATEMENT_TIMEOUT_MS)`, options);
  }
}

/** The request's client went away: its statements were cancelled and nothing more is run. */
export class RequestAbortedError extends Error {
  readonly code = 'REQUEST_ABORTED';
  constructor() {
    super('the client disconnected; its database statements were cancelled');
  }
}

const QUERY_CANCELED = '57014';

/** Where a session reads: the primary's pool, or a replica's (src/db/replicas.ts). */
export interface ReadTarget {
  pool: pg.Pool;
  /** 'primary', or the replica's name. */
  name: string;
  replica: boolean;
}

/**
 * Chooses the session's server when its first statement runs (by then the operation is known
 * to be a query or a mutation), and hears of a replica that failed under it.
 */
export interface ReadRoute {
  choose(): ReadTarget | Promise<ReadTarget>;
  lost(target: ReadTarget, reason: string): void;
  /** The session opened its snapshot on `target` (counted in /metrics). */
  used(target: ReadTarget): void;
}

/**
 * The replica a session read from failed in the middle of the operation. Nothing is retried
 * inside the session (that would mix two snapshots): the caller runs the whole operation again
 * on the primary.
 */
export class ReplicaLostError extends Error {
  readonly code = 'REPLICA_LOST';
  constructor(
    readonly replica: string,
    options?: { cause?: unknown },
  ) {
    super(`the read replica ${replica} failed during the operation`, options);
  }
}

/**
 * One database snapshot for one GraphQL operation. The first statement takes ONE client from the
 * pool and opens `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY` with a `SET LOCAL
 * statement_timeout` (per transaction, so that it also holds behind a transaction pooler such as
 * PgBouncer); every later statement runs on that client, so every figure of the operation comes
 * from the same snapshot, even while an import commits batches. `release()` commits and gives
 * the client back; the next statement would open a new snapshot (mutations release before they
 * write, so their answer shows what they wrote, and the embedded database's single connection
 * is free for the write).
 *
 * When `signal` aborts (the HTTP client disconnected), a running statement is cancelled through a
 * side connection (pg_cancel_backend) and later statements fail at once.
 */
export class ReadSession implements Queryable {
  private client: Promise<CountedClient> | undefined;
  private failure: Error | undefined;
  private running = 0;
  private tail: Promise<void> = Promise.resolve();
  private readonly onAbort = () => void this.cancel();
  private primaryOnly = false;
  /** The server of the open (or last) snapshot. */
  target: ReadTarget | undefined;
  /** Set when a replica failed under this session: the operation should run again on the primary. */
  replicaLost = false;
  /** A query sent in the same round trip as each snapshot's BEGIN (withBegin), and its rows on the open snapshot. */
  private beginQuery: string | undefined;
  private beginResult: pg.QueryResultRow[] = [];
  /** The withBegin rows of every snapshot this session opened, in order (one for a query's whole answer). */
  readonly opened: pg.QueryResultRow[][] = [];
  /** The client whose BEGIN batch is running: its withBegin query reads tables, so it can wait on a lock and be cancelled. */
  private opening: CountedClient | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly settings: ReadSessionSettings,
    private readonly counter?: StatementCounter,
    private readonly signal?: AbortSignal,
    private readonly route?: ReadRoute,
  ) {
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Every later snapshot of this session is taken on the primary (mutations, and a retry after a lost replica). */
  pinPrimary(): void {
    this.primaryOnly = true;
  }

  /** Whether a snapshot is open (a client is held). */
  get open(): boolean {
    return this.client !== undefined;
  }

  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    statement: string | NamedStatement,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>> {
    const config: NamedStatement =
      typeof statement === 'string'
        ? { text: statement, values }
        : { ...statement, values: statement.values ?? values };
    if (this.signal?.aborted) throw new RequestAbortedError();
    if (this.failure) throw this.failure;
    const pending = (this.client ??= this.begin());
    const client = await pending;
    if (this.failure) throw this.failure;
    // One statement at a time on the client (pg would queue them too, but deprecates it).
    const previous = this.tail;
    let done!: () => void;
    this.tail = new Promise<void>((resolve) => (done = resolve));
    await previous;
    try {
      if (this.signal?.aborted) throw new RequestAbortedError();
      if (this.failure) throw this.failure;
      const limitMs = this.settings.statementTimeoutMs + this.grace();
      this.running += 1;
      const started = Date.now();
      try {
        return await client.query<R>({ ...config, query_timeout: limitMs } as pg.QueryConfig);
      } catch (raw) {
        const error = this.timedOut(raw, started, limitMs);
        if (this.target?.replica && isConnectionError(error)) {
          this.replicaLost = true;
          this.route?.lost(this.target, (error as Error).message);
          throw this.fail(new ReplicaLostError(this.target.name, { cause: error }));
        }
        throw this.fail(error);
      } finally {
        this.running -= 1;
      }
    } finally {
      done();
    }
  }

  private grace(): number {
    return this.settings.clientGraceMs ?? Math.max(1000, this.settings.statementTimeoutMs / 5);
  }

  /**
   * Sends `sql` (one SELECT without parameters: its values inline) in the same round trip as the
   * BEGIN of every snapshot of this session, so that what it reads (e.g. the figure cache's data
   * version) comes from the snapshot the figures are read on, at no extra round trip. Call it
   * before the first statement.
   */
  withBegin(sql: string): void {
    this.beginQuery = sql;
  }

  /** The rows of the withBegin query on the current snapshot (opened now if none is). */
  async beginRows<R extends pg.QueryResultRow>(): Promise<R[]> {
    if (this.signal?.aborted) throw new RequestAbortedError();
    if (this.failure) throw this.failure;
    await (this.client ??= this.begin());
    return this.beginResult as R[];
  }

  /** Commits (or, after a failure, rolls back) and returns the client to the pool. Safe to call twice. */
  async release(): Promise<void> {
    const pending = this.client;
    this.client = undefined;
    this.beginResult = [];
    const failure = this.failure;
    this.failure = undefined;
    if (!pending) return;
    let client: CountedClient;
    try {
      client = await pending;
    } catch {
      return; // never got a client: nothing to give back
    }
    await this.tail;
    if (failure && isConnectionLost(failure)) {
      client.release(failure);
      return;
    }
    try {
      await this.control(client, failure ? 'ROLLBACK' : 'COMMIT');
      client.release();
    } catch (error) {
      client.release(error instanceof Error ? error : true);
    }
  }

  /** release(), and stops listening to the request's signal. */
  async end(): Promise<void> {
    this.signal?.removeEventListener('abort', this.onAbort);
    await this.release();
  }

  private async begin(): Promise<CountedClient> {
    const primary: ReadTarget = { pool: this.pool, name: 'primary', replica: false };
    const chosen = this.primaryOnly || !this.route ? primary : await this.route.choose();
    try {
      return await this.openOn(chosen);
    } catch (error) {
      if (!chosen.replica || this.signal?.aborted || !isConnectionError(error)) throw this.fail(error);
      // Nothing was read yet: the primary takes the operation, on one snapshot still.
      this.route?.lost(chosen, (error as Error).message);
      try {
        return await this.openOn(primary);
      } catch (again) {
        throw this.fail(again);
      }
    }
  }

  /** Takes a client of `target` and opens the snapshot on it. */
  private async openOn(target: ReadTarget): Promise<CountedClient> {
    const client = (await target.pool.connect()) as CountedClient;
    if (this.signal?.aborted) {
      client.release();
      throw new RequestAbortedError();
    }
    try {
      const ms = Math.floor(this.settings.statementTimeoutMs);
      const workMem = this.settings.workMem ? `; SET LOCAL work_mem = '${this.settings.workMem}'` : '';
      const jit = this.settings.jitOff ? '; SET LOCAL jit = off' : '';
      const extra = this.beginQuery ? `; ${this.beginQuery}` : '';
      const begin = `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL statement_timeout = ${ms}${workMem}${jit}${extra}`;
      this.opening = client;
      this.running += 1;
      let results: unknown;
      try {
        results = await this.control(client, begin);
      } finally {
        this.running -= 1;
        this.opening = undefined;
      }
      // A multi-statement query answers with one result per statement; the last is the extra SELECT's.
      if (extra)
        this.beginResult = (
          Array.isArray(results) ? (results.at(-1) as pg.QueryResult) : (results as pg.QueryResult)
        ).rows;
    } catch (error) {
      client.release(error instanceof Error ? error : true);
      throw error;
    }
    this.opened.push(this.beginResult);
    this.target = target;
    this.route?.used(target);
    return client;
  }

  private async control(client: CountedClient, sql: string): Promise<unknown> {
    if (this.counter) this.counter.control += 1;
    const raw = client[UNCOUNTED_QUERY] ?? client.query.bind(client);
    const limitMs = this.settings.statementTimeoutMs + this.grace();
    const started = Date.now();
    try {
      return await (raw as (config: pg.QueryConfig) => Promise<unknown>)({
        text: sql,
        query_timeout: limitMs,
      } as pg.QueryConfig);
    } catch (error) {
      throw this.timedOut(error, started, limitMs);
    }
  }

  /**
   * pg's own query_timeout (the server gave no answer at all) rejects with an error of no code:
   * told by the time it took, the whole limit, rather than by its wording.
   */
  private timedOut(error: unknown, started: number, limitMs: number): unknown {
    const code = (error as { code?: unknown } | null)?.code;
    // setTimeout may fire a millisecond early.
    if (code === undefined && Date.now() - started >= limitMs - 5)
      return new StatementTimeoutError(this.settings.statementTimeoutMs, { cause: error });
    return error;
  }

  /** Records the first failure: the transaction is aborted, so every later statement fails the same way. */
  private fail(error: unknown): Error {
    let failure: Error;
    if (this.signal?.aborted) failure = new RequestAbortedError();
    else if (isTimeout(error)) failure = new StatementTimeoutError(this.settings.statementTimeoutMs, { cause: error });
    // An error of Node's own realm is no `instanceof Error` inside a VM context (Jest): error-like
    // objects are kept as they are, with their codes; anything else keeps itself as the cause.
    else failure = isErrorLike(error) ? error : new Error(String(error), { cause: error });
    if (!this.failure) this.failure = failure;
    return failure;
  }

  private async cancel(): Promise<void> {
    const pending = this.client;
    if (!pending || this.running === 0 || !this.settings.cancelUrl) return;
    const client = this.opening ?? (await pending.catch(() => undefined));
    const pid = (client as (CountedClient & { processID?: number | null }) | undefined)?.processID;
    if (!pid) return;
    const side = new pg.Client({ connectionString: this.settings.cancelUrl, connectionTimeoutMillis: 2000 });
    try {
      await side.connect();
      await side.query({ text: 'SELECT pg_cancel_backend($1)', values: [pid], query_timeout: 2000 } as pg.QueryConfig);
    } catch {
      // The statement still ends at statement_timeout.
    } finally {
      await side.end().catch(() => undefined);
    }
  }
}

/**
 * statement_timeout (SQLSTATE 57014, query_canceled), or the client's own limit. The session's own
 * cancel of a request that went away is 57014 too, but fail() names that one by the request's signal first.
 */
function isTimeout(error: unknown): boolean {
  return error instanceof StatementTimeoutError || (error as { code?: unknown } | null)?.code === QUERY_CANCELED;
}

function isErrorLike(error: unknown): error is Error {
  return (
    error instanceof Error ||
    (typeof error === 'object' && error !== null && typeof (error as Error).message === 'string')
  );
}

/** After a client-side timeout the connection is in an unknown state: it is closed, not reused. */
function isConnectionLost(error: Error): boolean {
  return (
    error instanceof StatementTimeoutError ||
    error instanceof RequestAbortedError ||
    error instanceof ReplicaLostError ||
    isConnectionFailure(error) ||
    (error as { code?: unknown }).code === 'ECONNRESET'
  );
}

/** The server went away (shut down, crashed, network cut), as opposed to an error in a statement. */
function isConnectionError(error: unknown): boolean {
  const e = error as { code?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  // Class 08 (connection exception), 57P01..57P03 (admin shutdown, crash shutdown, cannot connect
  // now), the socket's own codes, and what the pool's clients saw (src/db/pool.ts).
  return (
    code.startsWith('08') || /^57P0[123]$/.test(code) || SOCKET_ERROR_CODES.has(code) || isConnectionFailure(error)
  );
}
