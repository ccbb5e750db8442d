import type pg from 'pg';
import { redactUrl } from '../config.ts';
import type { EmbeddedPostgres } from './embedded.ts';
import { applyMigrations, FailedMigrationError } from './migrate.ts';
import { createPool, StatementCounter } from './pool.ts';
import { createPrisma, type PrismaClient } from './prisma.ts';

export interface Database {
  pool: pg.Pool;
  prisma: PrismaClient;
  counter: StatementCounter;
  /** Connection string with the password hidden, for messages. */
  displayUrl: string;
  embedded: boolean;
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
  /** How long a query waits for a connection before failing (DB_CONNECT_TIMEOUT_MS); 2 s by default. */
  connectTimeoutMs?: number;
}

function describeTarget(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return redactUrl(url);
  }
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
      const { startEmbeddedPostgres } = await import('./embedded.ts');
      embedded = await startEmbeddedPostgres(options.pgliteDir);
    } catch (error) {
      throw new DatabaseUnavailableError(
        `cannot start the embedded database in ${options.pgliteDir ?? 'memory'}: ${(error as Error).message}. ` +
          'Another process may hold it; stop it, remove the folder, or set DATABASE_URL to use a PostgreSQL server.',
      );
    }
    url = embedded.url;
  }
  // PGlite runs one session for all socket connections, so concurrent transactions would
  // interleave: one connection keeps the embedded database correct.
  const { pool, counter } = createPool(url, embedded ? 1 : (options.poolMax ?? 10), new StatementCounter(), options.connectTimeoutMs);
  try {
    await pool.query('SELECT 1');
    if (options.migrate) await applyMigrations(pool);
  } catch (error) {
    await pool.end().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    if (error instanceof FailedMigrationError) throw new DatabaseUnavailableError(`${describeTarget(url)}: ${error.message}`);
    const err = error as Error & { code?: string };
    const reason = err.code ? `${err.code}: ${err.message}` : err.message;
    throw new DatabaseUnavailableError(
      `cannot use PostgreSQL at ${describeTarget(url)} (${reason}). ` +
        'Start the server and check DATABASE_URL, or unset DATABASE_URL to use the embedded database.',
    );
  }
  const prisma = createPrisma(pool);
  return {
    pool,
    prisma,
    counter,
    displayUrl: embedded ? `embedded PGlite (${options.pgliteDir ?? 'in memory'})` : redactUrl(url),
    embedded: Boolean(embedded),
    async close() {
      await prisma.$disconnect().catch(() => undefined);
      await pool.end().catch(() => undefined);
      await embedded?.stop();
    },
  };
}
