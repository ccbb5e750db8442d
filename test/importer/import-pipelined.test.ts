import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { importFile, type ImportSummary } from '../../src/importer/import-file.ts';
import { writeGeneratedPostings } from '../../scripts/generate-postings.ts';
import { createTestDatabase, serverUrl, type TestDatabase } from '../support/database.ts';
import { snapshotImportTables } from './table-snapshot.ts';

const ROOT = path.resolve(__dirname, '../..');
const RATES = path.join(ROOT, 'data/exchange-rates.csv');
const GENERATED = 3000;
const BATCH = 200;

/** The most connections the pool had checked out at once while `run` ran. */
async function busiest<T>(db: Database, run: () => Promise<T>): Promise<{ result: T; connections: number }> {
  let connections = 0;
  const onAcquire = () => {
    connections = Math.max(connections, db.pool.totalCount - db.pool.idleCount);
  };
  db.pool.on('acquire', onAcquire);
  try {
    return { result: await run(), connections };
  } finally {
    db.pool.off('acquire', onAcquire);
  }
}

/** Ids as the import assigned them: postings, observations and employers in the order they were created. */
async function storedIds(db: Database): Promise<Record<string, unknown[]>> {
  const posting = await db.pool.query('SELECT id, source, external_id FROM posting ORDER BY id');
  const employer = await db.pool.query('SELECT id, normalized_name, name FROM employer ORDER BY id');
  const observation = await db.pool.query(
    'SELECT o.id, p.source, p.external_id FROM salary_observation o JOIN posting p ON p.id = o.posting_id ORDER BY o.id',
  );
  return { posting: posting.rows, employer: employer.rows, observation: observation.rows };
}

const comparable = (s: ImportSummary) => ({
  read: s.read,
  inserted: s.inserted,
  updated: s.updated,
  unchanged: s.unchanged,
  rejected: s.rejected,
  errors: s.errors,
  postings: s.postings,
});

// Only a server gets the second connection (the embedded PGlite has one), so there is nothing to compare without one.
const withServer = serverUrl() ? describe : describe.skip;
const title = serverUrl()
  ? 'an import that stages the next batch on a second connection'
  : 'an import that stages the next batch on a second connection (skipped: needs a PostgreSQL server in DATABASE_URL or TEST_DATABASE_URL)';

withServer(title, () => {
  let scratch: string;
  let file: string;

  beforeAll(async () => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'import-pipelined-'));
    file = path.join(scratch, 'postings.csv');
    await writeGeneratedPostings(file, GENERATED, 11);
    // Later batches change rows of earlier ones (the later row wins), repeat some unchanged, and
    // bring salaries that are implausible once converted (reported by line, not written).
    const records = parse(fs.readFileSync(file, 'utf8'), { columns: true }) as Record<string, string>[];
    const extra: Record<string, string>[] = [];
    for (let i = 0; i < 600; i += 3)
      extra.push(
        i % 2 === 0
          ? { ...(records[i] as Record<string, string>), salaryMin: String(50_000 + i) }
          : (records[i] as Record<string, string>),
      );
    for (let i = 700; i < 720; i++)
      extra.push({ ...(records[i] as Record<string, string>), salaryMin: '3', salaryMax: '4' });
    fs.appendFileSync(file, stringify(extra, { columns: Object.keys(records[0] as object) }));
  }, 120_000);

  afterAll(() => {
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  test('writes exactly what a one-connection import writes, with the same ids, counts and errors', async () => {
    const [pipelined, sequential] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    // The same database through a pool of one connection: the import then stages and writes in turn.
    const single = await openDatabase({ url: sequential.url, poolMax: 1 });
    try {
      await importFile(pipelined, 'rates', RATES);
      await importFile(single, 'rates', RATES);
      const two = await busiest(pipelined, () => importFile(pipelined, 'postings', file, { batchSize: BATCH }));
      const one = await busiest(single, () => importFile(single, 'postings', file, { batchSize: BATCH }));
      expect({ pipelined: two.connections, sequential: one.connections }).toEqual({ pipelined: 2, sequential: 1 });

      expect(two.result.rejected).toBeGreaterThan(0);
      expect(two.result.updated).toBeGreaterThan(0);
      expect(comparable(two.result)).toEqual(comparable(one.result));
      expect(await storedIds(pipelined)).toEqual(await storedIds(single));
      expect(await snapshotImportTables(pipelined.pool)).toEqual(await snapshotImportTables(single.pool));
    } finally {
      await single.close();
      await Promise.all([pipelined.close(), sequential.close()]);
    }
  }, 300_000);

  test('a batch that fails keeps the batches before it, rolls back the one staged after it, and returns both connections', async () => {
    const db: TestDatabase = await createTestDatabase();
    try {
      await importFile(db, 'rates', RATES);
      // A database-side failure in the 8th batch's upsert, while the 9th is being staged.
      const failing = 7 * BATCH + 50;
      await db.pool.query(`CREATE FUNCTION refuse_posting() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.external_id = 'gen-${failing}' THEN RAISE EXCEPTION 'refused gen-${failing}'; END IF; RETURN NEW; END $$`);
      await db.pool.query(
        'CREATE TRIGGER refuse_posting BEFORE INSERT ON posting FOR EACH ROW EXECUTE FUNCTION refuse_posting()',
      );
      await expect(importFile(db, 'postings', file, { batchSize: BATCH })).rejects.toThrow(`refused gen-${failing}`);

      const count = await db.pool.query<{ n: number; last: string }>(
        `SELECT count(*)::int AS n, max(substr(external_id, 5)::int)::text AS last FROM posting`,
      );
      expect(count.rows[0]).toEqual({ n: 7 * BATCH, last: String(7 * BATCH) });
      expect(db.pool.totalCount - db.pool.idleCount).toBe(0);
      const open = await db.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
      );
      expect(open.rows[0]?.n).toBe(0);

      // Without the failure, the same file imports in full on the same pool.
      await db.pool.query('DROP TRIGGER refuse_posting ON posting');
      const rest = await importFile(db, 'postings', file, { batchSize: BATCH });
      expect(rest.inserted).toBe(GENERATED - 7 * BATCH);
      const total = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM posting');
      expect(total.rows[0]?.n).toBe(GENERATED);
    } finally {
      await db.close();
    }
  }, 300_000);
});
