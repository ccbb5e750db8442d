import crypto from 'node:crypto';
import type pg from 'pg';
import type { Queryable } from './read-session.ts';

// DB_PREPARED_STATEMENTS (src/config.ts): on by default; off for poolers in transaction mode
// without protocol-level prepared statements (PgBouncer before 1.21).
let named = true;

export function usePreparedStatements(on: boolean): void {
  named = on;
}

/** A statement's name: a hash of its text, so equal texts share one prepared statement per connection. */
function statementName(text: string): string {
  return `js_${crypto.createHash('sha1').update(text).digest('base64url').slice(0, 22)}`;
}

/**
 * Runs one of the hot statements (statistics, lists) as a named prepared statement, so each
 * connection parses it once and PostgreSQL may reuse its plan; takes a pool or a client.
 */
export function hotQuery<R extends pg.QueryResultRow>(
  db: Queryable,
  text: string,
  values: unknown[],
): Promise<pg.QueryResult<R>> {
  return named ? db.query<R>({ name: statementName(text), text, values }) : db.query<R>(text, values);
}
