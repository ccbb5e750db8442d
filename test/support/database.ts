import crypto from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/db/database.ts';

export interface TestDatabase extends Database {
  /** Connection string of this test's own database (for child processes such as the import CLI). */
  url: string;
}

/** The PostgreSQL server to test against, or undefined for embedded PGlite. */
export function serverUrl(): string | undefined {
  return process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || undefined;
}

/**
 * A fresh, migrated database for one test file: a new database on the server named by
 * TEST_DATABASE_URL / DATABASE_URL (dropped again on close), or an in-memory PGlite otherwise.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const base = serverUrl();
  if (!base) {
    const db = await openDatabase({ migrate: true });
    const url = (db.pool as unknown as { options: { connectionString: string } }).options.connectionString;
    return { ...db, url };
  }
  const name = `jobstats_test_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  const db = await openDatabase({ url: url.toString(), migrate: true });
  return {
    ...db,
    url: url.toString(),
    async close() {
      await db.close();
      const cleanup = new pg.Client({ connectionString: base });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}
