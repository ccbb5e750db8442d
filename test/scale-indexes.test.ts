import fs from 'node:fs';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from './support/database.ts';

// The covering columns that schema.prisma cannot express are listed in prisma/index-exceptions.json;
// the drift check (.ci/check-drift) accepts exactly the diff of prisma/expected-drift.sql, which
// recreates those indexes without their INCLUDE columns.
const exceptions = JSON.parse(fs.readFileSync(path.join(__dirname, '../prisma/index-exceptions.json'), 'utf8')) as {
  indexes: Record<string, string>;
  expressionIndexes: Record<string, string>;
};
const expectedDrift = fs.readFileSync(path.join(__dirname, '../prisma/expected-drift.sql'), 'utf8');

describe('indexes beyond schema.prisma', () => {
  it('the accepted drift drops and recreates exactly the indexes of the exception list', () => {
    const names = Object.keys(exceptions.indexes).sort();
    const dropped = [...expectedDrift.matchAll(/^DROP INDEX "([^"]+)";$/gm)].map((m) => m[1]).sort();
    const created = [...expectedDrift.matchAll(/^CREATE INDEX "([^"]+)" ON /gm)].map((m) => m[1]).sort();
    const statements = expectedDrift.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('--'));
    expect(dropped).toEqual(names);
    expect(created).toEqual(names);
    expect(statements).toHaveLength(names.length * 2);
  });

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

  it('the migrated database has exactly the expression indexes of the exception list (which prisma migrate diff does not see)', async () => {
    const { rows } = await db.pool.query<{ indexname: string; indexdef: string }>(
      `SELECT c.relname AS indexname, pg_get_indexdef(i.indexrelid) AS indexdef
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = current_schema() AND (i.indexprs IS NOT NULL OR i.indpred IS NOT NULL) ORDER BY c.relname`,
    );
    expect(Object.keys(exceptions.expressionIndexes).length).toBeGreaterThan(0);
    expect(Object.fromEntries(rows.map((r) => [r.indexname, r.indexdef]))).toEqual(exceptions.expressionIndexes);
  });
});
