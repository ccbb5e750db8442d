import fs from 'node:fs';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from './support/database.ts';

// The drift check (`prisma migrate diff`) sees indexes by name and key columns only; the
// covering columns that schema.prisma cannot express are listed in prisma/index-exceptions.json.
const exceptions = JSON.parse(fs.readFileSync(path.join(__dirname, '../prisma/index-exceptions.json'), 'utf8')) as {
  indexes: Record<string, string>;
};

describe('indexes beyond schema.prisma', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db?.close();
  });

  it('the migrated database has exactly the covering indexes of the exception list, and no other INCLUDE index', async () => {
    const { rows } = await db.pool.query<{ indexname: string; indexdef: string }>(
      `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexdef LIKE '%INCLUDE%' ORDER BY indexname`,
    );
    expect(Object.fromEntries(rows.map((r) => [r.indexname, r.indexdef]))).toEqual(exceptions.indexes);
  });
});
