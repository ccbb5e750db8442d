import type { RunningServer } from '../src/http/server.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { importRows } from './support/import-rows.ts';
import { mean } from './support/independent-stats.ts';
import { gql, startTestServer } from './support/server.ts';

const COUNT = 3_000;

/** COUNT yearly USD salaries with cents, from a fixed linear congruential sequence. */
function salaries(): number[] {
  let state = 7;
  const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  return Array.from({ length: COUNT }, () => Math.round((30_000 + next() * 270_000) * 100) / 100);
}

const SALARY = `salary { count mean median stddev standardError meanConfidenceInterval { lower upper } }`;

interface Salary {
  count: number;
  mean: number;
  median: number;
  stddev: number;
  standardError: number;
  meanConfidenceInterval: { lower: number; upper: number };
}

// A sum in double precision depends on its order in the last bits: the same salaries read in
// another order (another plan, a parallel scan, one role's statement or a page's) used to give
// a mean and a confidence interval that differed in the 14th significant digit.
describe('figures that do not depend on the order the rows are read in', () => {
  let db: TestDatabase;
  let server: RunningServer;
  const values = salaries();
  const ascending = [...values].sort((a, b) => a - b);

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db);
    const rows = (role: string, amounts: number[]) =>
      amounts.map((amount, i) => ({
        externalId: `${role}-${i}`,
        source: 'order-test',
        role,
        // An employer of its own: equal ads of two roles would be one ad (duplicates across sources).
        company: `${role} employer ${i}`,
        title: 'Engineer',
        salaryMin: amount,
        salaryCurrency: 'USD',
        salaryPeriod: 'YEAR',
        postedAt: '2026-01-05',
      }));
    // The same salaries, stored in opposite orders: each role's rows are read in its own order.
    await importRows(db, 'postings', [...rows('order-up', ascending), ...rows('order-down', [...ascending].reverse())]);
  });

  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  const both = async (): Promise<{ up: Salary; down: Salary }> => {
    const res = await gql<{ up: { stats: { salary: Salary } }; down: { stats: { salary: Salary } } }>(
      server.url,
      `{ up: role(slug: "order-up") { stats { ${SALARY} } } down: role(slug: "order-down") { stats { ${SALARY} } } }`,
    );
    expect(res.errors).toBeUndefined();
    return { up: res.data!.up.stats.salary, down: res.data!.down.stats.salary };
  };

  it('gives two roles with the same salaries, stored in opposite orders, the same figures to the last bit', async () => {
    const { up, down } = await both();
    expect(up.count).toBe(COUNT);
    const m = mean(values) as number;
    expect(up.mean).toBeCloseTo(m, 6);
    expect(up.stddev).toBeCloseTo(Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / (COUNT - 1)), 6);
    expect(down).toEqual(up);
  });
});
