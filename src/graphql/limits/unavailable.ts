/**
 * Recognizes "the database cannot be reached" among the errors that pg, pg-pool, Prisma's pg
 * adapter and Prisma itself raise, so that clients get SERVICE_UNAVAILABLE (retry later)
 * instead of an internal error while PostgreSQL restarts or the network fails.
 */
import { isConnectionFailure, SOCKET_ERROR_CODES } from '../../db/pool.ts';

/**
 * PostgreSQL SQLSTATEs: class 08 (connection exception), 57P01..57P03 (admin shutdown, crash
 * shutdown, cannot connect now), 53300 (too many connections).
 */
const SQLSTATE = /^(08\d{3}|08P01|57P0[123]|53300)$/;

/** Prisma: P1001 can't reach, P1002 timed out, P1017 server closed the connection, P2024 pool timeout. */
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1017', 'P2024']);

/** Codes of src/db: a statement that ran out of time, a pool wait that ran out, a client that left. */
const BUSY_CODES: Record<string, DatabaseTrouble> = {
  STATEMENT_TIMEOUT: 'TIMEOUT',
  POOL_OVERLOADED: 'OVERLOADED',
  REQUEST_ABORTED: 'ABORTED',
};

/**
 * What kind of database trouble an error is: TIMEOUT (a statement ran longer than
 * DB_STATEMENT_TIMEOUT_MS, or the server stopped answering), OVERLOADED (no pool connection
 * came free within DB_POOL_WAIT_MS while the database answers), ABORTED (the client left and its
 * statements were cancelled), UNAVAILABLE (the database cannot be reached), or null.
 */
export type DatabaseTrouble = 'TIMEOUT' | 'OVERLOADED' | 'ABORTED' | 'UNAVAILABLE';

export function classifyDatabaseError(error: unknown, seen = new Set<unknown>()): DatabaseTrouble | null {
  if (!error || typeof error !== 'object' || seen.has(error)) return null;
  seen.add(error);
  const e = error as { code?: unknown; message?: unknown; originalError?: unknown; cause?: unknown };
  if (typeof e.code === 'string' && e.code in BUSY_CODES) return BUSY_CODES[e.code] as DatabaseTrouble;
  // 57014 query_canceled: statement_timeout, outside a read session (writes, the API-key check),
  // where nothing else cancels a statement. (Read sessions name their timeouts STATEMENT_TIMEOUT.)
  if (e.code === '57014') return 'TIMEOUT';
  for (const next of [e.originalError, e.cause]) {
    const inner = classifyDatabaseError(next, seen);
    if (inner) return inner;
  }
  return isDatabaseUnavailable(error) ? 'UNAVAILABLE' : null;
}

/** True when the error (or anything it wraps) says the database is unreachable. */
export function isDatabaseUnavailable(error: unknown, seen = new Set<unknown>()): boolean {
  if (!error || typeof error !== 'object' || seen.has(error)) return false;
  seen.add(error);
  const e = error as {
    code?: unknown;
    kind?: unknown;
    message?: unknown;
    originalError?: unknown;
    cause?: unknown;
    errors?: unknown;
    meta?: unknown;
    /** graphql-js wraps a thrown non-Error (pg-pool rejects with a plain object at times) as NonErrorThrown. */
    thrownValue?: unknown;
  };
  if (
    typeof e.code === 'string' &&
    (SOCKET_ERROR_CODES.has(e.code) || SQLSTATE.test(e.code) || PRISMA_CODES.has(e.code))
  )
    return true;
  if (
    typeof e.kind === 'string' &&
    /^(DatabaseNotReachable|ConnectionClosed|SocketTimeout|TooManyConnections)$/.test(e.kind)
  )
    return true;
  // pg's errors for a lost connection have no code: src/db/pool.ts marks them by what its clients saw.
  if (isConnectionFailure(error)) return true;
  const inner = [e.originalError, e.cause, e.meta, e.thrownValue, ...(Array.isArray(e.errors) ? e.errors : [])];
  return inner.some((next) => isDatabaseUnavailable(next, seen));
}
