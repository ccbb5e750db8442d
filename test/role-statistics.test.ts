import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importFile } from '../src/importer/import-file.ts';
import type { RunningServer } from '../src/http/server.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { annualUsd, employerKey, mean, percentile, type Rate } from './support/independent-stats.ts';
import { gql, startTestServer } from './support/server.ts';

const DAY = 24 * 3600 * 1000;
const daysFromNow = (n: number) => new Date(Date.now() + n * DAY);

interface PostingRow {
  externalId: string;
  company: string;
  salaryMin: number | null;
  salaryMax: number | null;
  salaryCurrency: string;
  salaryPeriod: string;
  degreeRequired: boolean | null;
  postedAt: Date;
  closedAt: Date | null;
}

const rates: Rate[] = [
  { currency: 'EUR', usdPerUnit: 1.1, asOf: '2026-01-01' },
  { currency: 'EUR', usdPerUnit: 1.2, asOf: '2026-06-01' },
  { currency: 'GBP', usdPerUnit: 1.25, asOf: '2026-01-01' },
];

// Ranges, single bounds, hourly/daily/weekly/monthly pay, EUR at two rates, unknown degree
// requirements, a closed and a future posting, and two spellings of one employer.
const postings: PostingRow[] = [
  {
    externalId: 'p1',
    company: 'Acme Corp',
    salaryMin: 100000,
    salaryMax: 120000,
    salaryCurrency: 'USD',
    salaryPeriod: 'YEAR',
    degreeRequired: true,
    postedAt: daysFromNow(-30),
    closedAt: null,
  },
  {
    externalId: 'p2',
    company: '  ACME   corp ',
    salaryMin: 50,
    salaryMax: null,
    salaryCurrency: 'USD',
    salaryPeriod: 'HOUR',
    degreeRequired: null,
    postedAt: daysFromNow(-20),
    closedAt: null,
  },
  {
    externalId: 'p3',
    company: 'Globex',
    salaryMin: null,
    salaryMax: 9000,
    salaryCurrency: 'EUR',
    salaryPeriod: 'MONTH',
    degreeRequired: false,
    postedAt: new Date('2026-03-01T00:00:00Z'),
    closedAt: null,
  },
  {
    externalId: 'p4',
    company: 'Initech',
    salaryMin: null,
    salaryMax: null,
    salaryCurrency: 'USD',
    salaryPeriod: 'YEAR',
    degreeRequired: false,
    postedAt: daysFromNow(-5),
    closedAt: null,
  },
  {
    externalId: 'p5',
    company: 'Umbrella',
    salaryMin: 700,
    salaryMax: 700,
    salaryCurrency: 'USD',
    salaryPeriod: 'DAY',
    degreeRequired: true,
    postedAt: daysFromNow(-40),
    closedAt: daysFromNow(-1),
  },
  {
    externalId: 'p6',
    company: 'Hooli',
    salaryMin: 2000,
    salaryMax: 2200,
    salaryCurrency: 'USD',
    salaryPeriod: 'WEEK',
    degreeRequired: null,
    postedAt: daysFromNow(2),
    closedAt: null,
  },
  {
    externalId: 'p7',
    company: 'Stark GmbH',
    salaryMin: 80000,
    salaryMax: 90000,
    salaryCurrency: 'EUR',
    salaryPeriod: 'YEAR',
    degreeRequired: null,
    postedAt: new Date('2026-07-01T00:00:00Z'),
    closedAt: daysFromNow(30),
  },
  {
    externalId: 'p8',
    company: 'Wayne Enterprises',
    salaryMin: 60000,
    salaryMax: 64000,
    salaryCurrency: 'GBP',
    salaryPeriod: 'YEAR',
    degreeRequired: true,
    postedAt: daysFromNow(-3),
    closedAt: null,
  },
];

const reports = [
  { externalId: 'r1', amount: 95000, currency: 'USD', period: 'YEAR', observedAt: daysFromNow(-10) },
  { externalId: 'r2', amount: 5000, currency: 'EUR', period: 'MONTH', observedAt: new Date('2026-02-01T00:00:00Z') },
];

const csvCell = (v: unknown) => (v === null || v === undefined ? '' : v instanceof Date ? v.toISOString() : String(v));

function writeCsv(dir: string, name: string, header: string[], rows: Record<string, unknown>[]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(
    file,
    [header.join(','), ...rows.map((r) => header.map((h) => csvCell(r[h])).join(','))].join('\n') + '\n',
  );
  return file;
}

const STATS_QUERY = `query($slug: String!) { role(slug: $slug) { title stats(dedupe: false) {
  openings employers
  salary { currency count mean median min max }
  degreeRequirement { employerShare postingShare employersRequiring employersKnown postingsRequiring postingsKnown } } } }`;

interface StatsData {
  role: {
    title: string;
    stats: {
      openings: number;
      employers: number;
      salary: {
        currency: string;
        count: number;
        mean: number | null;
        median: number | null;
        min: number | null;
        max: number | null;
      };
      degreeRequirement: {
        employerShare: number | null;
        postingShare: number | null;
        employersRequiring: number;
        employersKnown: number;
        postingsRequiring: number;
        postingsKnown: number;
      };
    };
  } | null;
}

describe('role statistics over HTTP', () => {
  let db: TestDatabase;
  let server: RunningServer;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobstats-stats-'));
    await importFile(
      db,
      'rates',
      writeCsv(dir, 'rates.csv', ['currency', 'usdPerUnit', 'asOf'], rates as unknown as Record<string, unknown>[]),
    );
    const postingRows = postings.map((p) => ({
      ...p,
      role: 'data-engineer',
      roleTitle: 'Data Engineer',
      source: 'test',
    }));
    const summary = await importFile(
      db,
      'postings',
      writeCsv(
        dir,
        'postings.csv',
        [
          'externalId',
          'source',
          'role',
          'roleTitle',
          'company',
          'salaryMin',
          'salaryMax',
          'salaryCurrency',
          'salaryPeriod',
          'degreeRequired',
          'postedAt',
          'closedAt',
        ],
        postingRows,
      ),
    );
    expect(summary.rejected).toBe(0);
    const reportRows = reports.map((r) => ({ ...r, role: 'data-engineer', source: 'survey' }));
    const obs = await importFile(
      db,
      'observations',
      writeCsv(
        dir,
        'reports.csv',
        ['externalId', 'source', 'role', 'amount', 'currency', 'period', 'observedAt'],
        reportRows,
      ),
    );
    expect(obs.rejected).toBe(0);
    await db.pool.query(`INSERT INTO role (slug, title) VALUES ('empty-role', 'Empty Role')`);
  });

  afterAll(async () => {
    await server?.close();
    await db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('counts open postings and distinct employers, treating two spellings as one employer', async () => {
    const now = new Date();
    const open = postings.filter((p) => p.postedAt <= now && (p.closedAt === null || p.closedAt > now));
    const res = await gql<StatsData>(server.url, STATS_QUERY, { slug: 'data-engineer' });
    expect(res.errors).toBeUndefined();
    expect(res.data?.role?.title).toBe('Data Engineer');
    expect(res.data?.role?.stats.openings).toBe(open.length);
    expect(res.data?.role?.stats.employers).toBe(new Set(open.map((p) => employerKey(p.company))).size);
    expect(open.length).toBe(6);
  });

  it('computes salary count, mean, median, min and max in USD from open postings and reports', async () => {
    const now = new Date();
    const open = postings.filter((p) => p.postedAt <= now && (p.closedAt === null || p.closedAt > now));
    const amounts = [
      ...open.map((p) => annualUsd(p.salaryMin, p.salaryMax, p.salaryPeriod, p.salaryCurrency, p.postedAt, rates)),
      ...reports
        .filter((r) => r.observedAt <= now)
        .map((r) => annualUsd(r.amount, null, r.period, r.currency, r.observedAt, rates)),
    ].filter((v): v is number => v !== null);
    expect(amounts).toHaveLength(7);
    const res = await gql<StatsData>(server.url, STATS_QUERY, { slug: 'data-engineer' });
    const salary = res.data?.role?.stats.salary;
    expect(salary?.currency).toBe('USD');
    expect(salary?.count).toBe(amounts.length);
    expect(salary?.mean).toBeCloseTo(mean(amounts) as number, 6);
    expect(salary?.median).toBeCloseTo(percentile(amounts, 0.5) as number, 6);
    expect(salary?.min).toBeCloseTo(Math.min(...amounts), 6);
    expect(salary?.max).toBeCloseTo(Math.max(...amounts), 6);
  });

  it('shares degree requirements by employer (any posting requiring) and by posting, over known requirements', async () => {
    const now = new Date();
    const open = postings.filter((p) => p.postedAt <= now && (p.closedAt === null || p.closedAt > now));
    const byEmployer = new Map<string, (boolean | null)[]>();
    for (const p of open)
      byEmployer.set(employerKey(p.company), [...(byEmployer.get(employerKey(p.company)) ?? []), p.degreeRequired]);
    const employersKnown = [...byEmployer.values()].filter((reqs) => reqs.some((r) => r !== null)).length;
    const employersRequiring = [...byEmployer.values()].filter((reqs) => reqs.some((r) => r === true)).length;
    const postingsKnown = open.filter((p) => p.degreeRequired !== null).length;
    const postingsRequiring = open.filter((p) => p.degreeRequired === true).length;
    const res = await gql<StatsData>(server.url, STATS_QUERY, { slug: 'data-engineer' });
    const degree = res.data?.role?.stats.degreeRequirement;
    expect(degree).toEqual({
      employersKnown,
      employersRequiring,
      postingsKnown,
      postingsRequiring,
      employerShare: employersRequiring / employersKnown,
      postingShare: postingsRequiring / postingsKnown,
    });
    expect(employersRequiring).toBe(2);
    expect(employersKnown).toBe(4);
  });

  it('gives zeros and nulls, not errors, for a role without postings', async () => {
    const res = await gql<StatsData>(server.url, STATS_QUERY, { slug: 'empty-role' });
    expect(res.data?.role?.stats).toEqual({
      openings: 0,
      employers: 0,
      salary: { currency: 'USD', count: 0, mean: null, median: null, min: null, max: null },
      degreeRequirement: {
        employerShare: null,
        postingShare: null,
        employersRequiring: 0,
        employersKnown: 0,
        postingsRequiring: 0,
        postingsKnown: 0,
      },
    });
  });

  it('reflects a posting closed after the first answer at once', async () => {
    const before = await gql<StatsData>(server.url, STATS_QUERY, { slug: 'data-engineer' });
    await db.pool.query(`UPDATE posting SET closed_at = now() - interval '1 minute' WHERE external_id = 'p4'`);
    const after = await gql<StatsData>(server.url, STATS_QUERY, { slug: 'data-engineer' });
    expect(after.data?.role?.stats.openings).toBe((before.data?.role?.stats.openings ?? 0) - 1);
  });
});
