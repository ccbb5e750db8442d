import { openDatabase, type Database } from '../../src/db/database.ts';
import { createScratchDatabase } from '../../src/db/scratch-database.ts';

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
  const scratch = await createScratchDatabase(base, 'jobstats_test');
  const db = await openDatabase({ url: scratch.url, migrate: true });
  return {
    ...db,
    url: scratch.url,
    async close() {
      await db.close();
      await scratch.drop();
    },
  };
}
