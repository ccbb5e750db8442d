import pg from 'pg';

// Timestamps come back as Date and numerics as numbers; NUMERIC (from aggregates such as
// avg over doubles cast to numeric) is parsed as a float because every figure here is a double.
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number.parseFloat(v));
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number.parseInt(v, 10));

/** Counts every SQL statement sent through a pool: the N+1 tests and the metrics read it. */
export class StatementCounter {
  count = 0;
}

type Query = pg.PoolClient['query'];

/**
 * A pg pool whose clients count the statements they send. Counting at the client level catches
 * pool.query, transactions and Prisma's adapter alike, since all of them end in client.query.
 */
export function createPool(
  connectionString: string,
  max: number,
  counter = new StatementCounter(),
  connectTimeoutMs = 2_000,
): { pool: pg.Pool; counter: StatementCounter } {
  // A short connect timeout makes queries fail fast (SERVICE_UNAVAILABLE) while the database is
  // unreachable; the pool opens new connections by itself once it is back.
  const pool = new pg.Pool({ connectionString, max, connectionTimeoutMillis: connectTimeoutMs, idleTimeoutMillis: 30_000 });
  pool.on('connect', (client) => {
    const original = client.query.bind(client) as Query;
    const counted = ((...args: Parameters<Query>) => {
      counter.count += 1;
      return (original as (...a: Parameters<Query>) => ReturnType<Query>)(...args);
    }) as Query;
    client.query = counted;
  });
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  return { pool, counter };
}
