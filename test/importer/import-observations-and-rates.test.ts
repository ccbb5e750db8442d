import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { importFile } from '../../src/importer/import-file.ts';

const fixture = (name: string): string => path.resolve(__dirname, '../fixtures/import', name);

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  await importFile(db, 'rates', fixture('rates.csv'));
});

afterAll(async () => {
  await db?.close();
});

interface Observation {
  external_id: string;
  role: string;
  amount: number;
  currency: string;
  period: string;
  amount_usd: number;
  country: string | null;
}

async function reports(): Promise<Map<string, Observation>> {
  const result = await db.pool.query<Observation>(
    `SELECT o.external_id, r.slug AS role, o.amount, o.currency::text, o.period::text, o.amount_usd, o.country::text
     FROM salary_observation o JOIN role r ON r.id = o.role_id WHERE o.posting_id IS NULL`,
  );
  return new Map(result.rows.map((r) => [r.external_id, r]));
}

// Fixture rates: EUR 1.1 from 2025-01-01 and 1.2 from 2025-07-01; GBP 1.3 from 2025-01-01.
describe('salary observations and exchange rates', () => {
  test('standalone reports are annualized and converted at the rate of their date; invalid rows are rejected', async () => {
    const summary = await importFile(db, 'observations', fixture('observations.csv'));
    expect(summary).toMatchObject({ read: 6, inserted: 4, rejected: 2 });
    expect(summary.errors.map((e) => [e.line, e.externalId, e.field, e.rule])).toEqual([
      [5, 'o-4', 'amount', 'positiveNumber'],
      [6, 'o-5', 'observedAt', 'required'],
    ]);
    const rows = await reports();
    expect(rows.get('o-1')).toMatchObject({
      amount: 100000,
      currency: 'USD',
      period: 'YEAR',
      amount_usd: 100000,
      country: 'US',
    });
    expect(rows.get('o-2')).toMatchObject({ amount: 40 * 2080, currency: 'EUR', period: 'HOUR' });
    expect(rows.get('o-2')?.amount_usd).toBeCloseTo(40 * 2080 * 1.2, 6);
    expect(rows.get('o-3')).toMatchObject({ role: 'ux-writer', amount: 3000 * 12, currency: 'GBP' });
    expect(rows.get('o-3')?.amount_usd).toBeCloseTo(3000 * 12 * 1.3, 6);
    expect(rows.get('o-6')?.amount_usd).toBeCloseTo(1000 * 12 * 1.1, 6);
    const role = await db.pool.query(`SELECT title FROM role WHERE slug = 'ux-writer'`);
    expect(role.rows[0].title).toBe('UX Writer');
  });

  test('re-importing the reports changes nothing', async () => {
    const summary = await importFile(db, 'observations', fixture('observations.csv'));
    expect(summary).toMatchObject({ read: 6, inserted: 0, updated: 0, unchanged: 4, rejected: 2 });
  });

  test('importing rates recomputes amount_usd of the observations in that currency', async () => {
    await importFile(db, 'postings', fixture('postings.csv'));
    const summary = await importFile(db, 'rates', fixture('rates-update.csv'));
    expect(summary).toMatchObject({ read: 2, inserted: 1, updated: 1, rejected: 0 });
    const rows = await reports();
    // 2025-08-01: the 2025-07-01 rate, now 1.25.
    expect(rows.get('o-2')?.amount_usd).toBeCloseTo(40 * 2080 * 1.25, 6);
    // 2025-05-01: the new 2025-04-01 rate.
    expect(rows.get('o-6')?.amount_usd).toBeCloseTo(1000 * 12 * 1.15, 6);
    // Other currencies keep theirs.
    expect(rows.get('o-3')?.amount_usd).toBeCloseTo(3000 * 12 * 1.3, 6);
    const fromPostings = await db.pool.query<{ external_id: string; amount_usd: number }>(
      `SELECT p.source || '/' || p.external_id AS external_id, o.amount_usd FROM salary_observation o
       JOIN posting p ON p.id = o.posting_id WHERE o.currency = 'EUR'`,
    );
    const usd = Object.fromEntries(fromPostings.rows.map((r) => [r.external_id, r.amount_usd]));
    expect(usd['board/p-1']).toBeCloseTo(70000 * 1.25, 6);
    expect(usd['other/p-1']).toBeCloseTo(40000 * 1.25, 6);
    // Posted before the first EUR rate: still the earliest one.
    expect(usd['board/p-2']).toBeCloseTo(60 * 2080 * 1.1, 6);
  });

  test('invalid rates are rejected with their rule', async () => {
    const summary = await importFile(db, 'rates', fixture('rates-invalid.csv'));
    expect(summary.errors.map((e) => [e.line, e.field, e.rule])).toEqual([
      [2, 'currency', 'currencyCode'],
      [3, 'usdPerUnit', 'positiveNumber'],
      [4, 'asOf', 'isoDate'],
    ]);
    expect(summary).toMatchObject({ read: 4, rejected: 3, unchanged: 1 });
  });
});
