import { Readable } from 'node:stream';
import { importFile } from '../../src/importer/import-file.ts';
import { regroupStagedSql } from '../../src/importer/posting-groups.ts';
import { postingStagingTable } from '../../src/importer/upsert-postings.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

interface PlanNode {
  'Relation Name'?: string;
  'Actual Loops'?: number;
  Plans?: PlanNode[];
}

const scansOf = (node: PlanNode, relation: string): PlanNode[] => [
  ...(node['Relation Name'] === relation ? [node] : []),
  ...(node.Plans ?? []).flatMap((child) => scansOf(child, relation)),
];

// The staging table is never analyzed; once posting is (autovacuum, or the import's own ANALYZE
// after a large load), "updated_at = now()" is estimated at one row. The regrouping then scanned
// the whole staging table once per written posting: 20 s for each of a batch's two regrouping
// statements (10,000 rows into an analyzed 500k-posting table), 258 rows/s for the whole import.
describe('an import into a table that is already analyzed', () => {
  let db: TestDatabase;
  const EXISTING = 3_000;
  const BATCH = 500;

  beforeAll(async () => {
    db = await createTestDatabase();
    const lines = Array.from({ length: EXISTING }, (_, i) =>
      JSON.stringify({
        externalId: `analyzed-${i}`,
        source: i % 2 ? 'board-a' : 'board-b',
        role: `role-${i % 7}`,
        title: `Engineer ${i % 400}`,
        company: `Company ${i % 90}`,
        postedAt: `2026-0${1 + (i % 9)}-1${i % 10}`,
      }),
    );
    const summary = await importFile(db, 'postings', Readable.from([Buffer.from(`${lines.join('\n')}\n`, 'utf8')]), {
      format: 'ndjson',
    });
    expect(summary).toMatchObject({ read: EXISTING, inserted: EXISTING, rejected: 0 });
    await db.pool.query('ANALYZE posting');
  });

  afterAll(async () => {
    await db?.close();
  });

  it('regroups a batch reading each staged row once (one key probe per row, not a scan of the batch per posting)', async () => {
    const client = await db.pool.connect();
    const staging = postingStagingTable.unique();
    try {
      await client.query('BEGIN');
      await client.query(staging.createSql());
      // The state the upsert leaves: the batch's keys staged, their postings written by this transaction.
      await client.query(
        `INSERT INTO ${staging.name} (line, source, external_id)
         SELECT row_number() OVER (ORDER BY id), source, external_id FROM posting ORDER BY id DESC LIMIT ${BATCH}`,
      );
      const written = await client.query(
        `UPDATE posting p SET updated_at = now() FROM ${staging.name} s WHERE p.source = s.source AND p.external_id = s.external_id`,
      );
      expect(written.rowCount).toBe(BATCH);

      const loops: number[] = [];
      for (const sql of regroupStagedSql(staging.name)) {
        if (sql.startsWith('SET')) continue;
        const { rows } = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
          `EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`,
        );
        const plan = rows[0]?.['QUERY PLAN'][0]?.Plan as PlanNode;
        const scans = scansOf(plan, staging.name);
        expect(scans.length).toBeGreaterThan(0);
        loops.push(...scans.map((s) => s['Actual Loops'] ?? 0));
      }
      expect(loops.length).toBeGreaterThanOrEqual(2);
      expect(loops).toEqual(loops.map(() => 1));
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release();
    }
  });
});
