import type { RunningServer } from '../src/http/server.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { importRows } from './support/import-rows.ts';
import { annualUsd, employerKey, mean, percentile, type Rate } from './support/independent-stats.ts';
import { seededRandom } from '../scripts/seeded-random.ts';
import { gql, startTestServer } from './support/server.ts';

const rates: Rate[] = [{ currency: 'EUR', usdPerUnit: 1.1, asOf: '2025-01-01' }];
const TITLES = [
  'Senior Backend Engineer',
  'Junior Developer',
  'Backend Developer',
  'Lead Engineer',
  'Sr. API Developer',
  'Backend Engineer II',
  'Developer',
];
const COMPANIES = ['Acme', 'ACME ', 'Globex', 'Initech', 'Umbrella', 'Hooli'];

interface Row {
  externalId: string;
  source: string;
  role: string;
  title: string;
  company: string;
  country: string;
  remote: boolean;
  salaryMin: number | null;
  salaryMax: number | null;
  salaryCurrency: string;
  salaryPeriod: string;
  degreeRequired: boolean | null;
  seniority: string | null;
  postedAt: Date;
  closedAt: Date | null;
}

const rnd = seededRandom(42);
const pick = <T>(items: T[]): T => items[Math.floor(rnd() * items.length)] as T;
const postings: Row[] = Array.from({ length: 60 }, (_, i) => {
  const postedAt = new Date(Date.UTC(2025, 0, 1) + Math.floor(rnd() * 400) * 86_400_000);
  const closed = rnd() < 0.35 ? new Date(postedAt.getTime() + Math.floor(1 + rnd() * 90) * 86_400_000) : null;
  const base = 60000 + Math.floor(rnd() * 60) * 1000;
  return {
    externalId: `f-${i}`,
    source: pick(['boardA', 'boardB']),
    role: 'backend-developer',
    title: pick(TITLES),
    company: pick(COMPANIES),
    country: pick(['US', 'DE', 'GB']),
    remote: rnd() < 0.4,
    salaryMin: rnd() < 0.85 ? base : null,
    salaryMax: rnd() < 0.5 ? base + 10000 : null,
    salaryCurrency: rnd() < 0.2 ? 'EUR' : 'USD',
    salaryPeriod: 'YEAR',
    degreeRequired: pick([true, false, null]),
    seniority: rnd() < 0.15 ? 'MID' : null,
    postedAt,
    closedAt: closed,
  };
});
const reports = Array.from({ length: 8 }, (_, i) => ({
  externalId: `rep-${i}`,
  source: 'survey',
  role: 'backend-developer',
  amount: 70000 + i * 5000,
  currency: 'USD',
  period: 'YEAR',
  country: i % 2 ? 'US' : 'DE',
  observedAt: new Date(Date.UTC(2025, 2, 1) + i * 30 * 86_400_000),
}));

// Independent rules, written from docs/methodology.md.
function inferSeniority(title: string): string | null {
  if (/\b(lead|principal|staff|head|architect|manager|director)\b/i.test(title)) return 'LEAD';
  if (/\b(senior|sr)\b/i.test(title)) return 'SENIOR';
  if (/\b(junior|jr|intern|internship|trainee|graduate|entry[- ]level)\b/i.test(title)) return 'JUNIOR';
  if (/\b(mid|mid-level|intermediate)\b/i.test(title) || /\b(II|2)\b/.test(title)) return 'MID';
  return null;
}
const seniorityOf = (p: Row) => p.seniority ?? inferSeniority(p.title);
const isOpen = (p: Row, at: number) => p.postedAt.getTime() <= at && (p.closedAt === null || p.closedAt.getTime() > at);

interface Filter {
  status?: 'OPEN' | 'CLOSED' | 'ANY';
  postedAfter?: string;
  postedBefore?: string;
  country?: string;
  remote?: boolean;
  source?: string;
  employer?: string;
  seniority?: string;
}

function matches(p: Row, f: Filter, at: number, withStatus = true): boolean {
  const status = f.status ?? 'OPEN';
  if (withStatus) {
    if (status === 'OPEN' && !isOpen(p, at)) return false;
    if (status === 'CLOSED' && !(p.closedAt !== null && p.closedAt.getTime() <= at)) return false;
    if (status === 'ANY' && p.postedAt.getTime() > at) return false;
  }
  if (f.postedAfter && p.postedAt < new Date(f.postedAfter)) return false;
  if (f.postedBefore && p.postedAt >= new Date(f.postedBefore)) return false;
  if (f.country && p.country !== f.country) return false;
  if (f.remote !== undefined && p.remote !== f.remote) return false;
  if (f.source && p.source !== f.source) return false;
  if (f.employer && employerKey(p.company) !== employerKey(f.employer)) return false;
  if (f.seniority && seniorityOf(p) !== f.seniority) return false;
  return true;
}

function reportMatches(r: (typeof reports)[number], f: Filter, at: number): boolean {
  if (f.employer || f.remote !== undefined || f.seniority) return false;
  if (r.observedAt.getTime() > at) return false;
  if (f.postedAfter && r.observedAt < new Date(f.postedAfter)) return false;
  if (f.postedBefore && r.observedAt >= new Date(f.postedBefore)) return false;
  if (f.country && r.country !== f.country) return false;
  if (f.source && r.source !== f.source) return false;
  return true;
}

const salaryOf = (p: Row) => annualUsd(p.salaryMin, p.salaryMax, p.salaryPeriod, p.salaryCurrency, p.postedAt, rates);

const FILTERS: Filter[] = [
  {},
  { status: 'CLOSED' },
  { status: 'ANY' },
  { status: 'ANY', postedAfter: '2025-06-01', postedBefore: '2025-12-01' },
  { status: 'ANY', country: 'DE' },
  { status: 'ANY', remote: true },
  { status: 'ANY', source: 'boardB' },
  { status: 'ANY', employer: 'acme' },
  { status: 'ANY', seniority: 'SENIOR' },
  { status: 'ANY', seniority: 'MID' },
  { status: 'ANY', seniority: 'LEAD', country: 'US' },
];

const STATS = `query($filter: PostingFilter, $source: SalarySource) { role(slug: "backend-developer") {
  stats(filter: $filter, dedupe: false) { openings employers degreeRequirement { employerShare postingShare }
    salary(source: $source) { count mean median } }
  postings(first: 100, filter: $filter) { totalCount edges { node { externalId seniority } } } } }`;

interface StatsData {
  role: {
    stats: {
      openings: number;
      employers: number;
      degreeRequirement: { employerShare: number | null; postingShare: number | null };
      salary: { count: number; mean: number | null; median: number | null };
    };
    postings: { totalCount: number; edges: { node: { externalId: string; seniority: string | null } }[] };
  };
}

describe('filters and trends', () => {
  let db: TestDatabase;
  let server: RunningServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    await importRows(db, 'rates', rates as unknown as Record<string, unknown>[]);
    await importRows(db, 'postings', postings as unknown as Record<string, unknown>[]);
    await importRows(db, 'observations', reports);
    server = await startTestServer(db);
  });

  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  it.each(FILTERS.map((f) => [JSON.stringify(f), f] as const))(
    'stats and postings with filter %s match an independent computation',
    async (_name, filter) => {
      const at = Date.now();
      const matching = postings.filter((p) => matches(p, filter, at));
      const employers = new Map<string, (boolean | null)[]>();
      for (const p of matching)
        employers.set(employerKey(p.company), [...(employers.get(employerKey(p.company)) ?? []), p.degreeRequired]);
      const known = [...employers.values()].filter((d) => d.some((x) => x !== null));
      const requiring = known.filter((d) => d.some((x) => x === true));
      const postingsKnown = matching.filter((p) => p.degreeRequired !== null);
      const amounts = [
        ...matching.map(salaryOf).filter((v): v is number => v !== null),
        ...reports.filter((r) => reportMatches(r, filter, at)).map((r) => r.amount),
      ];
      const res = await gql<StatsData>(server.url, STATS, { filter });
      expect(res.errors).toBeUndefined();
      const role = res.data?.role;
      expect(role?.stats.openings).toBe(matching.length);
      expect(role?.stats.employers).toBe(employers.size);
      expect(role?.stats.degreeRequirement.employerShare).toBe(known.length ? requiring.length / known.length : null);
      expect(role?.stats.degreeRequirement.postingShare).toBe(
        postingsKnown.length ? postingsKnown.filter((p) => p.degreeRequired).length / postingsKnown.length : null,
      );
      expect(role?.stats.salary.count).toBe(amounts.length);
      if (amounts.length) {
        expect(role?.stats.salary.mean).toBeCloseTo(mean(amounts) as number, 6);
        expect(role?.stats.salary.median).toBeCloseTo(percentile(amounts, 0.5) as number, 6);
      }
      expect(role?.postings.totalCount).toBe(matching.length);
      expect(new Set(role?.postings.edges.map((e) => e.node.externalId))).toEqual(
        new Set(matching.map((p) => p.externalId)),
      );
      for (const edge of role?.postings.edges ?? []) {
        const p = postings.find((x) => x.externalId === edge.node.externalId) as Row;
        expect(edge.node.seniority).toBe(seniorityOf(p));
      }
    },
  );

  it.each(['POSTINGS', 'REPORTS', 'ALL'])('salary source %s counts the right observations', async (source) => {
    const at = Date.now();
    const fromPostings = postings
      .filter((p) => matches(p, { status: 'ANY' }, at))
      .map(salaryOf)
      .filter((v): v is number => v !== null);
    const fromReports = reports.filter((r) => reportMatches(r, { status: 'ANY' }, at)).map((r) => r.amount);
    const expected =
      source === 'POSTINGS' ? fromPostings : source === 'REPORTS' ? fromReports : [...fromPostings, ...fromReports];
    const res = await gql<StatsData>(server.url, STATS, { filter: { status: 'ANY' }, source });
    expect(res.data?.role.stats.salary.count).toBe(expected.length);
    expect(res.data?.role.stats.salary.mean).toBeCloseTo(mean(expected) as number, 6);
  });

  it('rejects a malformed filter with BAD_USER_INPUT naming the field', async () => {
    for (const [filter, field] of [
      [{ country: 'Germany' }, 'filter.country'],
      [{ postedAfter: '2025-13-01' }, 'DateTime'],
      [{ postedAfter: '2025-06-01', postedBefore: '2025-01-01' }, 'filter.postedBefore'],
      [{ seniority: 'GURU' }, 'seniority'],
    ] as const) {
      const res = await gql<StatsData>(server.url, STATS, { filter });
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.message).toContain(field);
    }
  });

  const TREND = `query($interval: TrendInterval!, $filter: PostingFilter) { role(slug: "backend-developer") {
    trend(interval: $interval, filter: $filter, dedupe: false) { period start end postings openingsAtEnd employers salary { count mean median } degreeRequirement { employerShare } } } }`;

  interface Point {
    period: string;
    start: string;
    end: string;
    postings: number;
    openingsAtEnd: number;
    employers: number;
    salary: { count: number; mean: number | null; median: number | null };
    degreeRequirement: { employerShare: number | null };
  }

  it('a monthly trend has every month from the first posting to now, empty ones included, with figures matching an independent computation', async () => {
    const at = Date.now();
    const res = await gql<{ role: { trend: Point[] } }>(server.url, TREND, { interval: 'MONTH' });
    expect(res.errors).toBeUndefined();
    const points = res.data?.role.trend ?? [];
    const first = new Date(Math.min(...postings.map((p) => p.postedAt.getTime())));
    const months: string[] = [];
    for (
      let d = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), 1));
      d.getTime() <= at;
      d = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1))
    ) {
      months.push(d.toISOString().slice(0, 7));
    }
    expect(points.map((p) => p.period)).toEqual(months);
    expect(points.some((p) => p.postings === 0)).toBe(true);
    for (const point of points) {
      const start = new Date(point.start).getTime();
      const end = new Date(point.end).getTime();
      const posted = postings.filter(
        (p) => p.postedAt.getTime() >= start && p.postedAt.getTime() < end && p.postedAt.getTime() <= at,
      );
      expect(point.postings).toBe(posted.length);
      expect(point.employers).toBe(new Set(posted.map((p) => employerKey(p.company))).size);
      // Open at the end: posted before it, and not closed before it (closures after now do not count yet).
      const openAtEnd = postings.filter(
        (p) =>
          p.postedAt.getTime() < end &&
          p.postedAt.getTime() <= at &&
          !(p.closedAt !== null && p.closedAt.getTime() < end && p.closedAt.getTime() <= at),
      );
      expect(point.openingsAtEnd).toBe(openAtEnd.length);
      const amounts = [
        ...posted.map(salaryOf).filter((v): v is number => v !== null),
        ...reports
          .filter(
            (r) => r.observedAt.getTime() >= start && r.observedAt.getTime() < end && r.observedAt.getTime() <= at,
          )
          .map((r) => r.amount),
      ];
      expect(point.salary.count).toBe(amounts.length);
      if (amounts.length) expect(point.salary.mean).toBeCloseTo(mean(amounts) as number, 6);
    }
  });

  it('quarterly and yearly trends add up to the same postings', async () => {
    const q = await gql<{ role: { trend: Point[] } }>(server.url, TREND, { interval: 'QUARTER' });
    const y = await gql<{ role: { trend: Point[] } }>(server.url, TREND, { interval: 'YEAR' });
    const total = postings.filter((p) => p.postedAt.getTime() <= Date.now()).length;
    expect(q.data?.role.trend.reduce((n, p) => n + p.postings, 0)).toBe(total);
    expect(y.data?.role.trend.reduce((n, p) => n + p.postings, 0)).toBe(total);
    expect(q.data?.role.trend[0]?.period).toMatch(/^\d{4}-Q[1-4]$/);
    expect(y.data?.role.trend[0]?.period).toBe('2025');
  });

  it('a trend limited by postedAfter/postedBefore covers exactly that range, counting older postings still open', async () => {
    const at = Date.now();
    const res = await gql<{ role: { trend: Point[] } }>(server.url, TREND, {
      interval: 'MONTH',
      filter: { postedAfter: '2025-03-01', postedBefore: '2025-07-01' },
    });
    const points = res.data?.role.trend ?? [];
    expect(points.map((p) => p.period)).toEqual(['2025-03', '2025-04', '2025-05', '2025-06']);
    for (const point of points) {
      const start = new Date(point.start).getTime();
      const end = new Date(point.end).getTime();
      expect(point.postings).toBe(
        postings.filter((p) => p.postedAt.getTime() >= start && p.postedAt.getTime() < end).length,
      );
      const openAtEnd = postings.filter(
        (p) =>
          p.postedAt.getTime() < end &&
          !(p.closedAt !== null && p.closedAt.getTime() < end && p.closedAt.getTime() <= at),
      );
      expect(point.openingsAtEnd).toBe(openAtEnd.length);
    }
    expect(
      postings.some(
        (p) => p.postedAt < new Date('2025-03-01') && (p.closedAt === null || p.closedAt >= new Date('2025-04-01')),
      ),
    ).toBe(true);
  });

  it('a trend of more than 600 periods is refused', async () => {
    const res = await gql<{ role: { trend: Point[] } }>(server.url, TREND, {
      interval: 'MONTH',
      filter: { postedAfter: '1900-01-01' },
    });
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toContain('at most 600');
  });
});
