import path from 'node:path';
import { createTestDatabase, serverUrl, type TestDatabase } from '../support/database.ts';
import { importFile } from '../../src/importer/import-file.ts';
import { ImportFileError } from '../../src/importer/import-file-error.ts';
import { snapshotImportTables } from './table-snapshot.ts';

const fixture = (name: string): string => path.resolve(__dirname, '../fixtures/import', name);

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.close();
});

async function reset(): Promise<void> {
  await db.pool.query('TRUNCATE salary_observation, posting, employer, role, exchange_rate RESTART IDENTITY CASCADE');
  const rates = await importFile(db, 'rates', fixture('rates.csv'));
  expect(rates).toMatchObject({ read: 3, inserted: 3, rejected: 0 });
}

interface PostingRow {
  source: string;
  external_id: string;
  role: string;
  employer: string;
  employer_name: string;
  title: string | null;
  country: string | null;
  remote: boolean | null;
  salary_currency: string | null;
  salary_period: string | null;
  degree_required: boolean | null;
  seniority: string | null;
  posted_at: Date;
  closed_at: Date | null;
}

async function postings(): Promise<Map<string, PostingRow>> {
  const result = await db.pool.query<PostingRow>(
    `SELECT p.source, p.external_id, r.slug AS role, e.normalized_name AS employer, e.name AS employer_name, p.title, p.country,
            p.remote, p.salary_currency::text, p.salary_period::text, p.degree_required, p.seniority::text, p.posted_at, p.closed_at
     FROM posting p JOIN role r ON r.id = p.role_id JOIN employer e ON e.id = p.employer_id`,
  );
  return new Map(result.rows.map((r) => [`${r.source}/${r.external_id}`, r]));
}

interface ObservationRow {
  key: string;
  role: string;
  amount: number;
  currency: string;
  period: string;
  amount_usd: number;
  observed_at: Date;
  country: string | null;
}

async function postingObservations(): Promise<Map<string, ObservationRow>> {
  const result = await db.pool.query<ObservationRow>(
    `SELECT p.source || '/' || p.external_id AS key, r.slug AS role, o.amount, o.currency::text, o.period::text, o.amount_usd,
            o.observed_at, o.country::text
     FROM salary_observation o JOIN posting p ON p.id = o.posting_id JOIN role r ON r.id = o.role_id
     WHERE o.source = p.source AND o.external_id IS NULL`,
  );
  return new Map(result.rows.map((r) => [r.key, r]));
}

// Rates of the fixture, and the methodology's arithmetic, written out independently of the importer.
const EUR_2025_01 = 1.1;
const EUR_2025_07 = 1.2;

describe('importing a postings CSV', () => {
  beforeAll(reset);

  test('imports every row of a CSV with a BOM, quoted commas and quotes and a multi-line field', async () => {
    const summary = await importFile(db, 'postings', fixture('postings.csv'));
    expect(summary).toMatchObject({ read: 6, inserted: 6, updated: 0, unchanged: 0, rejected: 0, errors: [] });
    const rows = await postings();
    expect(rows.get('board/p-1')?.title).toBe('Senior Data Engineer, "Platform"');
    expect(rows.get('board/p-2')?.title).toBe('Data Engineer\nLondon office\n(hybrid, 3 days)');
    expect(rows.get('board/p-2')).toMatchObject({
      remote: false,
      degree_required: false,
      seniority: 'MID',
      salary_currency: 'EUR',
      salary_period: 'HOUR',
    });
    expect(rows.get('board/p-2')?.posted_at.toISOString()).toBe('2024-12-01T07:30:00.000Z');
    expect(rows.get('board/p-1')).toMatchObject({
      country: 'DE',
      remote: true,
      degree_required: true,
      seniority: 'SENIOR',
    });
    expect(rows.get('board/p-3')).toMatchObject({
      degree_required: null,
      remote: null,
      salary_currency: 'USD',
      salary_period: 'MONTH',
    });
    expect(rows.get('board/p-4')).toMatchObject({ salary_currency: null, salary_period: null, seniority: 'LEAD' });
    expect(rows.get('other/p-5')?.closed_at?.toISOString()).toBe('2025-02-15T00:00:00.000Z');
  });

  test('two spellings of one employer become one employer, named by the earliest spelling when each is as frequent', async () => {
    const employers = await db.pool.query('SELECT name, normalized_name FROM employer ORDER BY normalized_name');
    expect(employers.rows).toEqual([
      { name: 'Acme GmbH', normalized_name: 'acme gmbh' },
      { name: 'Ｇｌｏｂｅｘ Corp', normalized_name: 'globex corp' },
      { name: 'Straße AG', normalized_name: 'strasse ag' },
    ]);
    const rows = await postings();
    expect(rows.get('board/p-2')?.employer).toBe('acme gmbh');
    expect(rows.get('other/p-1')?.employer).toBe('strasse ag');
  });

  test('unknown roles are created, titled by roleTitle or by the slug in Title Case', async () => {
    const roles = await db.pool.query('SELECT slug, title FROM role ORDER BY slug');
    expect(roles.rows).toEqual([
      { slug: 'data-engineer', title: 'Data Engineer' },
      { slug: 'ml-ops-engineer', title: 'Ml Ops Engineer' },
      { slug: 'product-manager', title: 'Product Manager (PM)' },
    ]);
  });

  test('each posting with a salary has one observation: midpoint, annualized, converted at the rate of its date', async () => {
    const obs = await postingObservations();
    expect([...obs.keys()].sort()).toEqual(['board/p-1', 'board/p-2', 'board/p-3', 'other/p-1', 'other/p-5']);
    const expected: Record<string, [number, string, string, number]> = {
      // 60k-80k EUR a year, posted 2025-08-01: the 2025-07-01 rate.
      'board/p-1': [(60000 + 80000) / 2, 'EUR', 'YEAR', ((60000 + 80000) / 2) * EUR_2025_07],
      // 50-70 EUR an hour, posted before the first EUR rate: the earliest rate.
      'board/p-2': [((50 + 70) / 2) * 2080, 'EUR', 'HOUR', ((50 + 70) / 2) * 2080 * EUR_2025_01],
      // 5000 USD a month, minimum alone.
      'board/p-3': [5000 * 12, 'USD', 'MONTH', 5000 * 12],
      // Posted on the day of the 2025-07-01 rate.
      'other/p-1': [40000, 'EUR', 'YEAR', 40000 * EUR_2025_07],
      // Maximum alone.
      'other/p-5': [90000, 'USD', 'YEAR', 90000],
    };
    for (const [key, [amount, currency, period, usd]] of Object.entries(expected)) {
      const o = obs.get(key);
      expect({ key, amount: o?.amount, currency: o?.currency, period: o?.period }).toEqual({
        key,
        amount,
        currency,
        period,
      });
      expect(o?.amount_usd).toBeCloseTo(usd, 6);
    }
    expect(obs.get('board/p-2')).toMatchObject({ role: 'data-engineer', country: 'GB' });
    expect(obs.get('board/p-2')?.observed_at.toISOString()).toBe('2024-12-01T07:30:00.000Z');
  });

  test('re-importing the same file changes nothing and counts every row unchanged', async () => {
    const before = await snapshotImportTables(db.pool);
    const stamps = await db.pool.query('SELECT id, updated_at FROM posting ORDER BY id');
    const summary = await importFile(db, 'postings', fixture('postings.csv'));
    expect(summary).toMatchObject({ read: 6, inserted: 0, updated: 0, unchanged: 6, rejected: 0 });
    expect(await snapshotImportTables(db.pool)).toEqual(before);
    expect((await db.pool.query('SELECT id, updated_at FROM posting ORDER BY id')).rows).toEqual(stamps.rows);
  });

  test('a changed row updates its posting and its observation; a lost salary removes the observation', async () => {
    const summary = await importFile(db, 'postings', fixture('postings-changed.csv'));
    expect(summary).toMatchObject({ read: 7, inserted: 1, updated: 2, unchanged: 4, rejected: 0 });
    const rows = await postings();
    expect(rows.get('board/p-1')?.role).toBe('ml-ops-engineer');
    const obs = await postingObservations();
    // The observation follows the posting's new role and salary.
    expect(obs.get('board/p-1')).toMatchObject({ role: 'ml-ops-engineer', amount: (65000 + 85000) / 2 });
    expect(obs.get('board/p-1')?.amount_usd).toBeCloseTo(((65000 + 85000) / 2) * EUR_2025_07, 6);
    expect(obs.has('other/p-5')).toBe(false);
    // 100 USD a day, minimum alone.
    expect(obs.get('board/p-6')).toMatchObject({ amount: 100 * 260, amount_usd: 100 * 260, period: 'DAY' });
    const updated = await db.pool.query<{ external_id: string; changed: boolean }>(
      `SELECT source || '/' || external_id AS external_id, updated_at > created_at AS changed FROM posting ORDER BY 1`,
    );
    expect(updated.rows.filter((r) => r.changed).map((r) => r.external_id)).toEqual(['board/p-1', 'other/p-5']);
    const total = await db.pool.query('SELECT count(*)::int AS n FROM salary_observation');
    expect(total.rows[0].n).toBe(5);
  });

  test('CRLF line endings, a CRLF inside a quoted field and an empty line keep line numbers and values', async () => {
    const summary = await importFile(db, 'postings', fixture('postings-crlf.csv'));
    expect(summary).toMatchObject({ read: 3, inserted: 2, rejected: 1 });
    expect(summary.errors.map((e) => [e.line, e.externalId, e.rule])).toEqual([[6, 'c-3', 'countryCode']]);
    expect((await postings()).get('board/c-1')?.title).toBe('QA Engineer\r\nsecond line');
    expect((await postings()).get('board/c-2')?.title).toBe('Tab\there, back\\slash');
  });

  test('within one batch the last occurrence of a (source, externalId) wins', async () => {
    const summary = await importFile(db, 'postings', fixture('postings-duplicates.csv'));
    expect(summary).toMatchObject({ read: 3, inserted: 2, updated: 0, unchanged: 1, rejected: 0 });
    expect((await postings()).get('board/d-1')?.title).toBe('Second');
    expect((await postingObservations()).get('board/d-1')?.amount).toBe(2000);
  });
});

describe('rejected rows', () => {
  beforeAll(reset);

  test('every invalid row is rejected with its start line, externalId, field, value and rule; valid rows are imported', async () => {
    const summary = await importFile(db, 'postings', fixture('postings-invalid.csv'));
    expect(summary).toMatchObject({ read: 21, inserted: 3, rejected: 18 });
    const got = summary.errors.map((e) => [e.line, e.externalId, e.field, e.value, e.rule]);
    expect(got).toEqual([
      [5, null, 'title', 'Data Engineer', 'unclassifiedTitle'],
      [6, 'x'.repeat(201), 'externalId', 'x'.repeat(201), 'maxLength'],
      [7, 'e-7', 'role', 'Data Engineer', 'slug'],
      [8, 'e-8', 'company', '', 'required'],
      [9, 'e-9', 'country', 'XX', 'countryCode'],
      [10, 'e-10', 'remote', 'maybe', 'boolean'],
      [11, 'e-11', 'salaryMin', '-5', 'positiveNumber'],
      [12, 'e-12', 'salaryMax', '80000', 'salaryRange'],
      [13, 'e-13', 'salaryCurrency', 'EURO', 'currencyCode'],
      [14, 'e-14', 'salaryCurrency', 'NZD', 'knownCurrency'],
      [15, 'e-15', 'salaryPeriod', 'FORTNIGHT', 'period'],
      [16, 'e-16', 'degreeRequired', 'perhaps', 'boolean'],
      [17, 'e-17', 'seniority', 'INTERN', 'seniority'],
      [18, 'e-18', 'postedAt', '2025-13-01', 'isoDate'],
      [19, 'e-19', 'postedAt', '', 'required'],
      [20, 'e-20', 'closedAt', '2025-07-31', 'closedBeforePosted'],
      [21, 'e-21', '(record)', '5 fields', 'columnCount'],
      [23, 'e-23', 'salaryMin', '1,000', 'positiveNumber'],
    ]);
    const imported = await db.pool.query('SELECT external_id FROM posting ORDER BY external_id');
    expect(imported.rows.map((r) => r.external_id)).toEqual(['v-1', 'v-2', 'v-3']);
  });

  test('NDJSON: JSON values are accepted, an invalid line is a rejected row and the import goes on', async () => {
    const summary = await importFile(db, 'postings', fixture('postings.ndjson'));
    expect(summary).toMatchObject({ read: 5, inserted: 2, rejected: 3 });
    expect(summary.errors.map((e) => [e.line, e.field, e.rule])).toEqual([
      [3, '(record)', 'json'],
      [4, '(record)', 'object'],
      [5, 'salaryMin', 'positiveNumber'],
    ]);
    const rows = await postings();
    expect(rows.get('manual/n-1')).toMatchObject({ country: 'DE', remote: true, degree_required: null });
    expect(rows.get('manual/42')).toMatchObject({ role: 'qa-engineer', remote: true, salary_period: 'MONTH' });
    const obs = await postingObservations();
    expect(obs.get('manual/42')?.amount).toBe(4000 * 12);
    expect(obs.get('manual/42')?.amount_usd).toBeCloseTo(4000 * 12 * EUR_2025_01, 6);
  });

  test('a file with an unterminated quote fails as a whole, naming the file and the line', async () => {
    await expect(importFile(db, 'postings', fixture('postings-unterminated.csv'))).rejects.toThrow(
      /postings-unterminated\.csv, line 3: unterminated quoted field/,
    );
  });

  test('a header without a required column fails as a whole', async () => {
    const error = await importFile(db, 'postings', fixture('postings-missing-company.csv')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportFileError);
    expect((error as Error).message).toMatch(/line 1: the header lacks the required column company/);
  });

  test('a missing file fails naming the file', async () => {
    await expect(importFile(db, 'postings', fixture('no-such-file.csv'))).rejects.toThrow(
      /no-such-file\.csv: no such file/,
    );
  });
});

describe('atomic and dry-run imports', () => {
  beforeAll(reset);

  test('--atomic writes nothing when a row is invalid', async () => {
    const summary = await importFile(db, 'postings', fixture('postings-invalid.csv'), { atomic: true, batchSize: 2 });
    expect(summary).toMatchObject({ rejected: 18, inserted: 0, updated: 0, rolledBack: true });
    const counts = await db.pool.query(
      'SELECT (SELECT count(*) FROM posting)::int AS p, (SELECT count(*) FROM role)::int AS r, (SELECT count(*) FROM employer)::int AS e',
    );
    expect(counts.rows[0]).toEqual({ p: 0, r: 0, e: 0 });
  });

  test('--atomic commits everything when all rows are valid', async () => {
    const summary = await importFile(db, 'postings', fixture('postings.csv'), { atomic: true, batchSize: 2 });
    expect(summary).toMatchObject({ inserted: 6, rejected: 0, rolledBack: false });
  });

  test('--dry-run reports rejected rows and writes nothing', async () => {
    const before = await snapshotImportTables(db.pool);
    const summary = await importFile(db, 'postings', fixture('postings-changed.csv'), { dryRun: true });
    expect(summary).toMatchObject({ read: 7, rejected: 0, inserted: 0, updated: 0, unchanged: 0, dryRun: true });
    const invalid = await importFile(db, 'postings', fixture('postings-invalid.csv'), { dryRun: true });
    expect(invalid).toMatchObject({ read: 21, rejected: 18 });
    expect(await snapshotImportTables(db.pool)).toEqual(before);
  });

  test('small batches give the same tables as one batch', async () => {
    await reset();
    await importFile(db, 'postings', fixture('postings.csv'), { batchSize: 1 });
    await importFile(db, 'postings', fixture('postings-changed.csv'), { batchSize: 2 });
    const small = await snapshotImportTables(db.pool);
    await reset();
    await importFile(db, 'postings', fixture('postings.csv'));
    await importFile(db, 'postings', fixture('postings-changed.csv'));
    expect(await snapshotImportTables(db.pool)).toEqual(small);
  });
});

const onServer = serverUrl() ? describe : describe.skip;

onServer('staging load paths (needs a PostgreSQL server for COPY)', () => {
  test('COPY and unnest staging produce identical tables', async () => {
    const load = async (copy: boolean) => {
      await reset();
      await importFile(db, 'postings', fixture('postings.csv'), { copy });
      await importFile(db, 'postings', fixture('postings-crlf.csv'), { copy });
      await importFile(db, 'postings', fixture('postings.ndjson'), { copy });
      await importFile(db, 'observations', fixture('observations.csv'), { copy });
      await importFile(db, 'postings', fixture('postings-changed.csv'), { copy });
      return snapshotImportTables(db.pool);
    };
    const viaCopy = await load(true);
    const viaUnnest = await load(false);
    expect(viaUnnest).toEqual(viaCopy);
    expect(viaCopy.posting?.length).toBe(11);
    // Tabs, backslashes and line breaks survive COPY's text format.
    expect(viaCopy.posting).toEqual(
      expect.arrayContaining([expect.objectContaining({ title: 'Tab\there, back\\slash' })]),
    );
  });
});
