import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApiKey } from '../src/auth/api-keys.ts';
import { createApolloServer } from '../src/graphql/apollo.ts';
import { contextFactory } from '../src/graphql/context.ts';
import type { RunningServer } from '../src/http/server.ts';
import { importFile } from '../src/importer/import-file.ts';
import { DEFAULT_SALARY_BOUNDS } from '../src/domain/salary.ts';
import { PERIODS_PER_YEAR } from '../src/domain/salary.ts';
import { seedDatabase } from '../src/catalog/seed.ts';
import { renderMarkdown } from '../src/report/markdown.ts';
import { fetchRolePage } from '../src/report/role-page-query.ts';
import { createTestDatabase, serverUrl, type TestDatabase } from './support/database.ts';
import { importRows } from './support/import-rows.ts';
import { gql, startTestServer } from './support/server.ts';

const { minUsdPerYear: MIN, maxUsdPerYear: MAX } = DEFAULT_SALARY_BOUNDS;
const PERIODS = Object.keys(PERIODS_PER_YEAR) as (keyof typeof PERIODS_PER_YEAR)[];
/** Currencies with rates of very different sizes (data/exchange-rates.csv). */
const CURRENCIES = ['USD', 'EUR', 'JPY', 'INR'];
const POSTED = '2026-01-15T00:00:00.000Z';

/** The salary arithmetic of docs/methodology.md in JavaScript doubles, in the order the SQL does it. */
const usdOf = (amount: number, period: keyof typeof PERIODS_PER_YEAR, rate: number) =>
  amount * PERIODS_PER_YEAR[period] * rate;

/** The largest (or smallest) raw amount whose yearly USD value is still within the bounds. */
function extreme(which: 'max' | 'min', period: keyof typeof PERIODS_PER_YEAR, rate: number): number {
  const bound = which === 'max' ? MAX : MIN;
  let amount = bound / (PERIODS_PER_YEAR[period] * rate);
  if (which === 'max') while (usdOf(amount, period, rate) > MAX) amount -= amount * Number.EPSILON;
  else while (usdOf(amount, period, rate) < MIN) amount += amount * Number.EPSILON;
  return amount;
}

const relativelyClose = (actual: number | null | undefined, expected: number) => {
  expect(actual).not.toBeNull();
  expect(Math.abs((actual as number) - expected) / Math.abs(expected)).toBeLessThan(1e-12);
};

/** percentile_cont over sorted values. */
function percentile(sorted: number[], p: number): number {
  const at = p * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (at - lo);
}

const STATS = /* GraphQL */ `
  query ($slug: String!, $currency: String!) {
    role(slug: $slug) {
      stats(filter: { status: ANY }) {
        salary(currency: $currency) { count mean median min max p25 p75 stddev meanConfidenceInterval { lower upper } histogram(buckets: 10) { count } }
      }
      trend(interval: MONTH, filter: { status: ANY, postedAfter: "2026-01-01", postedBefore: "2026-02-01" }) { period salary { count mean median } }
    }
  }
`;

interface Stats {
  role: {
    stats: {
      salary: {
        count: number;
        mean: number | null;
        median: number | null;
        min: number | null;
        max: number | null;
        p25: number | null;
        p75: number | null;
        stddev: number | null;
        meanConfidenceInterval: { lower: number; upper: number } | null;
        histogram: { count: number }[];
      };
    };
    trend: { period: string; salary: { count: number; mean: number | null; median: number | null } }[];
  };
}

function writeCsv(rows: Record<string, unknown>[]): string {
  const header = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobstats-implausible-'));
  const file = path.join(dir, 'rows.csv');
  fs.writeFileSync(
    file,
    [header.join(','), ...rows.map((r) => header.map((h) => (r[h] === undefined ? '' : String(r[h]))).join(','))].join(
      '\n',
    ) + '\n',
  );
  return file;
}

describe('implausible salaries: rejected on the way in, and no stored value breaks a figure', () => {
  let db: TestDatabase;
  let server: RunningServer;
  let auth: Record<string, string>;
  const rates = new Map<string, number>([['USD', 1]]);
  /** Yearly USD values of every salary stored for the role extreme-salaries. */
  const stored: number[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db);
    const { rows } = await db.pool.query<{ currency: string; usd_per_unit: number }>(
      'SELECT currency::text AS currency, usd_per_unit FROM exchange_rate',
    );
    for (const r of rows) rates.set(r.currency.trim(), r.usd_per_unit);
    server = await startTestServer(db);
    auth = { authorization: `Bearer ${(await createApiKey(db.pool, 'implausible')).key}` };

    const postings: Record<string, unknown>[] = [];
    const reports: Record<string, unknown>[] = [];
    for (const currency of CURRENCIES) {
      const rate = rates.get(currency) as number;
      for (const period of PERIODS) {
        for (const which of ['max', 'min'] as const) {
          const amount = extreme(which, period, rate);
          const id = `${currency}-${period}-${which}`;
          postings.push({
            externalId: id,
            role: 'extreme-salaries',
            company: `Employer ${id}`,
            postedAt: POSTED,
            salaryMin: amount,
            salaryMax: amount,
            salaryCurrency: currency,
            salaryPeriod: period,
          });
          reports.push({ externalId: id, role: 'extreme-salaries', amount, currency, period, observedAt: POSTED });
          stored.push(usdOf(amount, period, rate), usdOf(amount, period, rate));
        }
      }
    }
    await importRows(db, 'postings', postings);
    await importRows(db, 'observations', reports);
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  it('stores the largest and smallest allowed salary of every period in four currencies, each within the bounds', async () => {
    const { rows } = await db.pool.query<{ n: number; lo: number; hi: number }>(
      `SELECT count(*)::int AS n, min(amount_usd) AS lo, max(amount_usd) AS hi FROM salary_observation o JOIN role r ON r.id = o.role_id WHERE r.slug = 'extreme-salaries'`,
    );
    expect(rows[0]?.n).toBe(CURRENCIES.length * PERIODS.length * 2 * 2);
    expect(rows[0]?.lo).toBeGreaterThanOrEqual(MIN);
    expect(rows[0]?.hi).toBeLessThanOrEqual(MAX);
  });

  it.each(CURRENCIES)(
    'answers the salary statistics and trend in %s with the figures of an independent computation',
    async (currency) => {
      const rate = rates.get(currency) as number;
      const values = stored.map((usd) => usd / rate).sort((a, b) => a - b);
      const res = await gql<Stats>(server.url, STATS, { slug: 'extreme-salaries', currency });
      expect(res.errors).toBeUndefined();
      const s = res.data?.role.stats.salary;
      expect(s?.count).toBe(values.length);
      expect(s?.min).toBe(values[0]);
      expect(s?.max).toBe(values.at(-1));
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      relativelyClose(s?.mean, mean);
      relativelyClose(s?.median, percentile(values, 0.5));
      relativelyClose(s?.p25, percentile(values, 0.25));
      relativelyClose(s?.p75, percentile(values, 0.75));
      const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
      relativelyClose(s?.stddev, sd);
      expect(s?.histogram.reduce((a, b) => a + b.count, 0)).toBe(values.length);
      if (currency === 'USD') {
        const jan = res.data?.role.trend.find((p) => p.period === '2026-01');
        expect(jan?.salary.count).toBe(values.length);
        relativelyClose(jan?.salary.mean, mean);
      }
    },
  );

  it('serves /roles and /roles/extreme-salaries, lists roles by mean salary and renders the report', async () => {
    const list = await fetch(`${server.url}/roles`);
    expect(list.status).toBe(200);
    expect(await list.text()).toContain('/roles/extreme-salaries');
    const page = await fetch(`${server.url}/roles/extreme-salaries`);
    expect(page.status).toBe(200);
    const ordered = await gql<{ roles: { edges: { node: { slug: string } }[] } }>(
      server.url,
      '{ roles(first: 100, orderBy: { field: MEAN_SALARY, direction: DESC }) { edges { node { slug } } } }',
    );
    expect(ordered.errors).toBeUndefined();
    const apollo = createApolloServer({ production: false });
    const createContext = contextFactory(db);
    const role = await fetchRolePage(apollo, () => createContext(), 'extreme-salaries');
    expect(role?.stats.salary.count).toBe(stored.length);
    expect(renderMarkdown(role as NonNullable<typeof role>)).toContain('Extreme Salaries');
  });

  const describeWithServer = serverUrl() ? it : it.skip;
  describeWithServer(
    'prints the page with npm run report',
    async () => {
      const out = await new Promise<string>((resolve, reject) =>
        execFile(
          'npx',
          ['tsx', 'scripts/report.ts', 'extreme-salaries'],
          {
            cwd: path.resolve(__dirname, '..'),
            env: { ...process.env, DATABASE_URL: db.url, NODE_OPTIONS: '' },
            timeout: 120_000,
          },
          (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
        ),
      );
      expect(out).toContain('Extreme Salaries');
    },
    150_000,
  );

  it('rejects rows above or below the bounds after conversion, and absurd raw amounts, with line, field, value and rule, and writes the rest', async () => {
    const eur = rates.get('EUR') as number;
    const jpy = rates.get('JPY') as number;
    const file = writeCsv([
      { externalId: 'ok-1', role: 'implausible', company: 'A', postedAt: POSTED, salaryMin: 90000, salaryMax: 95000 },
      {
        externalId: 'huge',
        role: 'implausible',
        company: 'A',
        postedAt: POSTED,
        salaryMin: 1.7e308,
        salaryMax: 1.7e308,
      },
      {
        externalId: 'hourly',
        role: 'implausible',
        company: 'A',
        postedAt: POSTED,
        salaryMin: 1e308,
        salaryPeriod: 'HOUR',
      },
      {
        externalId: 'over',
        role: 'implausible',
        company: 'A',
        postedAt: POSTED,
        salaryMax: (MAX / 12 / eur) * 1.01,
        salaryCurrency: 'EUR',
        salaryPeriod: 'MONTH',
      },
      {
        externalId: 'under',
        role: 'implausible',
        company: 'A',
        postedAt: POSTED,
        salaryMin: (MIN / jpy) * 0.99,
        salaryMax: 5_000_000,
        salaryCurrency: 'JPY',
      },
      {
        externalId: 'ok-2',
        role: 'implausible',
        company: 'B',
        postedAt: POSTED,
        salaryMin: 40,
        salaryMax: 60,
        salaryPeriod: 'HOUR',
      },
    ]);
    try {
      const summary = await importFile(db, 'postings', file);
      expect(summary).toMatchObject({ read: 6, inserted: 2, rejected: 4 });
      const errors = summary.errors.map((e) => [e.line, e.externalId, e.field, e.rule]);
      expect(errors).toEqual([
        [3, 'huge', 'salaryMin', 'salaryImplausible'],
        [3, 'huge', 'salaryMax', 'salaryImplausible'],
        [4, 'hourly', 'salaryMin', 'salaryImplausible'],
        [5, 'over', 'salaryMax', 'salaryImplausible'],
        [6, 'under', 'salaryMin', 'salaryImplausible'],
      ]);
      expect(summary.errors.find((e) => e.externalId === 'over')?.message).toMatch(/USD a year .*1000\.\.10000000/);
      expect(summary.errors.find((e) => e.externalId === 'over')?.value).toBe(String((MAX / 12 / eur) * 1.01));
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
    const { rows } = await db.pool.query<{ external_id: string }>(
      `SELECT p.external_id FROM posting p JOIN role r ON r.id = p.role_id WHERE r.slug = 'implausible' ORDER BY 1`,
    );
    expect(rows.map((r) => r.external_id)).toEqual(['ok-1', 'ok-2']);

    const reports = writeCsv([
      { externalId: 'r-ok', role: 'implausible', amount: 70000, observedAt: POSTED },
      { externalId: 'r-low', role: 'implausible', amount: 999, observedAt: POSTED },
      { externalId: 'r-huge', role: 'implausible', amount: 1e308, period: 'HOUR', observedAt: POSTED },
    ]);
    try {
      const summary = await importFile(db, 'observations', reports);
      expect(summary).toMatchObject({ read: 3, inserted: 1, rejected: 2 });
      expect(summary.errors.map((e) => [e.line, e.field, e.value, e.rule])).toEqual([
        [3, 'amount', '999', 'salaryImplausible'],
        [4, 'amount', '1e+308', 'salaryImplausible'],
      ]);
    } finally {
      fs.rmSync(path.dirname(reports), { recursive: true, force: true });
    }
  });

  it('rejects the same values in createPosting and reportSalary as user errors, and writes nothing', async () => {
    const CREATE = `mutation ($input: CreatePostingInput!) { createPosting(input: $input) { posting { id } userErrors { field rule message } } }`;
    const REPORT = `mutation ($input: ReportSalaryInput!) { reportSalary(input: $input) { salaryReport { id } userErrors { field rule message } } }`;
    const base = { role: 'implausible', company: 'C', postedAt: POSTED };
    const huge = await gql<{ createPosting: { posting: null; userErrors: { field: string[]; rule: string }[] } }>(
      server.url,
      CREATE,
      { input: { ...base, externalId: 'm-huge', salaryMin: 1.7e308 } },
      auth,
    );
    expect(huge.data?.createPosting).toMatchObject({
      posting: null,
      userErrors: [{ field: ['input', 'salaryMin'], rule: 'salaryImplausible' }],
    });
    const low = await gql<{ createPosting: { posting: null; userErrors: { field: string[]; rule: string }[] } }>(
      server.url,
      CREATE,
      { input: { ...base, externalId: 'm-low', salaryMin: 500, salaryMax: 800 } },
      auth,
    );
    expect(low.data?.createPosting.posting).toBeNull();
    expect(low.data?.createPosting.userErrors.map((e) => [e.field.join('.'), e.rule])).toEqual([
      ['input.salaryMin', 'salaryImplausible'],
      ['input.salaryMax', 'salaryImplausible'],
    ]);
    const report = await gql<{ reportSalary: { salaryReport: null; userErrors: { field: string[]; rule: string }[] } }>(
      server.url,
      REPORT,
      { input: { externalId: 'm-r', role: 'implausible', amount: 1e308, period: 'HOUR', observedAt: POSTED } },
      auth,
    );
    expect(report.data?.reportSalary).toMatchObject({
      salaryReport: null,
      userErrors: [{ field: ['input', 'amount'], rule: 'salaryImplausible' }],
    });
    const okay = await gql<{ createPosting: { posting: { id: string } | null; userErrors: unknown[] } }>(
      server.url,
      CREATE,
      { input: { ...base, externalId: 'm-max', salaryMin: MAX, salaryMax: MAX } },
      auth,
    );
    expect(okay.data?.createPosting.userErrors).toEqual([]);
    expect(okay.data?.createPosting.posting).not.toBeNull();
    const { rows } = await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM posting WHERE external_id IN ('m-huge', 'm-low')`,
    );
    expect(rows[0]?.n).toBe(0);
  });

  it('still answers every figure when a value beyond the bounds was stored before the rule existed', async () => {
    await db.pool.query(`INSERT INTO role (slug, title) VALUES ('legacy-overflow', 'Legacy Overflow')`);
    await db.pool.query(
      `INSERT INTO salary_observation (role_id, source, external_id, amount, currency, period, amount_usd, observed_at)
       SELECT r.id, 'legacy', 'x' || k, v, 'USD', 'YEAR', v, '2026-01-15T00:00:00Z'
       FROM role r, (VALUES (1, 1.7e308::float8), (2, 1.7e308::float8), (3, 90000::float8)) AS t(k, v) WHERE r.slug = 'legacy-overflow'`,
    );
    const res = await gql<Stats>(server.url, STATS, { slug: 'legacy-overflow', currency: 'USD' });
    expect(res.errors).toBeUndefined();
    const s = res.data?.role.stats.salary;
    expect(s).toMatchObject({
      count: 3,
      min: 90000,
      max: 1.7e308,
      median: 1.7e308,
      stddev: null,
      meanConfidenceInterval: null,
    });
    relativelyClose(s?.mean, (1.7e308 / 3) * 2 + 30000);
    expect((await fetch(`${server.url}/roles/legacy-overflow`)).status).toBe(200);
    expect((await fetch(`${server.url}/roles?sort=mean`)).status).toBe(200);
    const ordered = await gql(
      server.url,
      '{ roles(first: 100, orderBy: { field: MEAN_SALARY, direction: DESC }) { edges { node { slug } } } }',
    );
    expect(ordered.errors).toBeUndefined();
  });
});
