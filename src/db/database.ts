import type pg from 'pg';
import { redactUrl } from '../config.ts';
import type { SalaryBounds } from '../domain/salary.ts';
import type { EmbeddedPostgres, EmbeddedRole } from './embedded.ts';
import { applyMigrations, FailedMigrationError } from './migrate.ts';
import { createPool, StatementCounter } from './pool.ts';
import { describeTarget, ReplicaRouter, type ReplicaState, type WriteMarks } from './replicas.ts';
import { ReadSession, type ReadSessionSettings } from './read-session.ts';

/** statement_timeout when none is configured (DB_STATEMENT_TIMEOUT_MS's default). */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 10_000;

export interface Database {
  pool: pg.Pool;
  counter: StatementCounter;
  /** The connection string itself (with its password): for side connections only, never for messages. */
  url: string;
  /** How long opening a connection may take (DB_CONNECT_TIMEOUT_MS). */
  connectTimeoutMs: number;
  /** Settings of every read session (statement_timeout, cancelling). */
  sessionSettings: ReadSessionSettings;
  /** statement_timeout of the service's write transactions (SET LOCAL); undefined for the command-line tools. */
  writeStatementTimeoutMs?: number;
  /** A lazy one-snapshot read session on the pool (src/db/read-session.ts). */
  /**
   * A lazy one-snapshot read session. With replicas it reads from one (chosen at its first
   * statement) unless pinned to the primary; `client` (a hash of the API key) keeps a client
   * that has just written on the primary until a replica has its write.
   */
  openReadSession(signal?: AbortSignal, client?: string): ReadSession;
  /** Records that `client` has just written: its reads stay on the primary until a replica has the write. */
  rememberWrite(client: string): Promise<void>;
  /** The plausible salary range every write is checked against (SALARY_MIN/MAX_USD_PER_YEAR); the importer's default when undefined. */
  salaryBounds?: SalaryBounds;
  /** Connection string with the password hidden, for messages. */
  displayUrl: string;
  embedded: boolean;
  /** Streaming replicas for read-only work (DATABASE_READ_URLS); undefined when there are none. */
  replicas?: ReplicaRouter;
  /** Embedded database held by a service: lets the CLIs work through it (call once started and seeded). */
  shareEmbedded(): void;
  close(): Promise<void>;
}

export class DatabaseUnavailableError extends Error {}

export interface OpenOptions {
  /** A server to use; undefined starts the embedded PGlite. */
  url?: string;
  /** Folder of the embedded database; undefined keeps it in memory. */
  pgliteDir?: string;
  poolMax?: number;
  migrate?: boolean;
  /** How long opening a connection may take before failing (DB_CONNECT_TIMEOUT_MS); 2 s by default. */
  connectTimeoutMs?: number;
  /** Streaming replicas to read from (DATABASE_READ_URLS), with their lag bound and check interval. */
  readReplicas?: {
    urls: readonly string[];
    maxLagMs: number;
    checkIntervalMs: number;
    /** Write marks shared with other instances (Redis), for read-your-writes across them. */
    marks?: WriteMarks;
    /** Told once per change of a replica's state. */
    onStateChange?: (state: ReplicaState) => void;
  };
  /** How long a query waits for a free connection of a full pool (DB_POOL_WAIT_MS); 5 s by default. */
  poolWaitMs?: number;
  /**
   * statement_timeout of read sessions (SET LOCAL), and the session default of every pool
   * connection when `statementTimeoutForAll`; 10 s by default.
   */
  statementTimeoutMs?: number;
  /**
   * Whether statements outside read sessions (writes, imports) get statement_timeout too: the
   * service sets it, the command-line tools (long imports) do not.
   */
  statementTimeoutForAll?: boolean;
  /** The plausible salary range of every import and mutation (SALARY_MIN/MAX_USD_PER_YEAR). */
  salaryBounds?: SalaryBounds;
  /** work_mem of read sessions (DB_WORK_MEM: digits and kB, MB or GB); the server's default when undefined. */
  workMem?: string;
  /** How this process shares the embedded folder with others (src/db/embedded.ts); `exclusive` by default. */
  embeddedRole?: EmbeddedRole;
}

/**
 * Connects to PostgreSQL (or starts the embedded one), checks the connection and, when asked,
 * applies pending migrations. A failure is one DatabaseUnavailableError naming the host and what to do.
 */
export async function openDatabase(options: OpenOptions): Promise<Database> {
  let embedded: EmbeddedPostgres | undefined;
  let url = options.url;
  if (!url) {
    try {
      // Loaded only when needed: PGlite costs some 30 MB of memory (the importer's budget).
      const { startEmbeddedPostgres, EmbeddedDatabaseInUseError } = await import('./embedded.ts');
      try {
        embedded = await startEmbeddedPostgres(options.pgliteDir, { role: options.embeddedRole });
      } catch (error) {
        if (error instanceof EmbeddedDatabaseInUseError) throw new DatabaseUnavailableError(error.message);
        throw error;
      }
    } catch (error) {
      if (error instanceof DatabaseUnavailableError) throw error;
      throw new DatabaseUnavailableError(
        `cannot start the embedded database in ${options.pgliteDir ?? 'memory'}: ${(error as Error).message}. ` +
          'Check that the folder holds a PGlite database (or is empty), or set DATABASE_URL to use a PostgreSQL server.',
      );
    }
    url = embedded.url;
  }
  // PGlite runs one session for all socket connections, so concurrent transactions would
  // interleave: one connection keeps the embedded database correct.
  const statementTimeoutMs = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  const connectTimeoutMs = options.connectTimeoutMs ?? 2_000;
  const { pool, counter } = createPool(url, embedded ? 1 : (options.poolMax ?? 10), new StatementCounter(), {
    connectTimeoutMs,
    poolWaitMs: options.poolWaitMs,
    statementTimeoutMs: options.statementTimeoutForAll ? statementTimeoutMs : undefined,
  });
  try {
    await pool.query('SELECT 1');
    if (options.migrate) await applyMigrations(pool);
  } catch (error) {
    await pool.end().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    if (error instanceof FailedMigrationError)
      throw new DatabaseUnavailableError(`${describeTarget(url)}: ${error.message}`);
    const err = error as Error & { code?: string };
    const reason = err.code ? `${err.code}: ${err.message}` : err.message;
    throw new DatabaseUnavailableError(
      `cannot use PostgreSQL at ${describeTarget(url)} (${reason}). ` +
        'Start the server and check DATABASE_URL, or unset DATABASE_URL to use the embedded database.',
    );
  }
  let replicas: ReplicaRouter | undefined;
  if (options.readReplicas?.urls.length && !embedded) {
    replicas = new ReplicaRouter(pool, options.readReplicas.urls, {
      maxLagMs: options.readReplicas.maxLagMs,
      checkIntervalMs: options.readReplicas.checkIntervalMs,
      poolMax: options.poolMax ?? 10,
      connectTimeoutMs: options.connectTimeoutMs ?? 2_000,
      onStateChange: options.readReplicas.onStateChange,
      marks: options.readReplicas.marks,
    });
    // An unreachable replica is not an error at start: reads use the primary until it is healthy.
    await replicas.start();
  }
  // PGlite runs every connection in its one backend: cancelling "another" backend would cancel itself.
  if (options.workMem !== undefined && !/^\d{1,7}(kB|MB|GB)$/.test(options.workMem)) {
    throw new Error(`work_mem ${JSON.stringify(options.workMem)} must be digits and kB, MB or GB`);
  }
  // The embedded database keeps its own work_mem (WebAssembly memory is small).
  const workMem = embedded ? undefined : options.workMem;
  const sessionSettings: ReadSessionSettings = {
    statementTimeoutMs,
    cancelUrl: embedded ? undefined : url,
    workMem,
    jitOff: !embedded,
  };
  const serverUrl = url;
  return {
    pool,
    counter,
    url: serverUrl,
    connectTimeoutMs,
    sessionSettings,
    writeStatementTimeoutMs: options.statementTimeoutForAll ? statementTimeoutMs : undefined,
    openReadSession: (signal, client) =>
      new ReadSession(pool, sessionSettings, counter, signal, replicas?.route(client)),
    rememberWrite: async (client) => replicas?.rememberWrite(client),
    salaryBounds: options.salaryBounds,
    displayUrl: embedded ? embedded.description : redactUrl(url),
    embedded: Boolean(embedded),
    replicas,
    shareEmbedded: () => embedded?.share(),
    async close() {
      await replicas?.close();
      await pool.end().catch(() => undefined);
      await embedded?.stop();
    },
  };
}
