import { Readable } from 'node:stream';
import { importFile } from '../../src/importer/import-file.ts';
import { REGROUP_LOCK_BUCKETS, regroupSql } from '../../src/importer/posting-groups.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

// Advisory locks take slots of PostgreSQL's shared lock table (max_locks_per_transaction x
// max_connections: 6,400 by default); one lock per duplicate key made a 10,000-row batch fail the
// whole server's transactions with "out of shared memory".
describe('regrouping duplicates in a large batch', () => {
  let db: TestDatabase;
  const ROWS = 3_000;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db?.close();
  });

  it(`imports ${ROWS} distinct postings in one batch, and regrouping them takes at most ${REGROUP_LOCK_BUCKETS} advisory locks`, async () => {
    const lines = Array.from({ length: ROWS }, (_, i) =>
      JSON.stringify({
        externalId: `lock-${i}`,
        source: 'locks',
        role: 'lock-role',
        title: `Engineer ${i}`,
        company: `Company ${i % 50}`,
        postedAt: '2026-01-05',
      }),
    );
    const summary = await importFile(db, 'postings', Readable.from([Buffer.from(`${lines.join('\n')}\n`, 'utf8')]), {
      format: 'ndjson',
      batchSize: ROWS,
    });
    expect(summary).toMatchObject({ read: ROWS, inserted: ROWS, rejected: 0 });
    const keys = await db.pool.query<{ n: number }>(
      'SELECT count(DISTINCT (employer_id, dedupe_key))::int AS n FROM posting',
    );
    expect(keys.rows[0]?.n).toBe(ROWS);

    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      const [lock] = regroupSql('SELECT id, group_id, employer_id, dedupe_key FROM posting');
      await client.query(lock as string);
      const { rows } = await client.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted",
      );
      expect(rows[0]?.n).toBeGreaterThan(0);
      expect(rows[0]?.n).toBeLessThanOrEqual(REGROUP_LOCK_BUCKETS);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });
});
