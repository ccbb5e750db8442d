import type { RunningServer } from '../src/http/server.ts';
import { seededRandom } from '../scripts/seeded-random.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { importRows } from './support/import-rows.ts';
import { employerKey, mean, percentile } from './support/independent-stats.ts';
import { gql, startTestServer } from './support/server.ts';

const rnd = seededRandom(1313);
const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;

// Spellings of the same three places, as job boards write them.
const LOCATIONS = ['Berlin', ' BERLIN. ', 'berlin', 'São Paulo', 'SÃO-PAULO', 'Tokyo', 'Tōkyō', null] as const;
const locationKey = (l: string | null) =>
  l === null
    ? null
    : l
        .normalize('NFKC')
        .toLowerCase()
        .replace(/[\p{P}\p{S}\s]+/gu, ' ')
        .trim() || null;
const COMPANIES = ['Acme', 'ACME ', 'Globex', 'Initech'];
const TITLES = ['Senior Backend Engineer', 'Junior Developer', 'Backend Developer', 'Lead Engineer'];
const inferSeniority = (title: string) =>
  /\blead\b/i.test(title) ? 'LEAD' : /\bsenior\b/i.test(title) ? 'SENIOR' : /\bjunior\b/i.test(title) ? 'JUNIOR' : null;

interface Row {
  externalId: string;
  source: string;
  role: string;
  title: string;
  company: string;
  location: string | null;
  country: string | null;
  remote: boolean;
  salaryMin: number | null;
  salaryMax: number | null;
  degreeRequired: boolean | null;
  employmentType: string | null;
  postedAt: Date;
}

const postings: Row[] = Array.from({ length: 120 }, (_, i) => {
  const base = 50000 + Math.floor(rnd() * 80) * 1000;
  return {
    externalId: `b-${i}`,
    source: pick(['boardA', 'boardB']),
    role: i % 3 === 0 ? 'data-engineer' : 'backend-developer',
    title: pick(TITLES),
    company: pick(COMPANIES),
    location: pick(LOCATIONS),
    country: pick(['DE', 'BR', 'JP', null]),
    remote: rnd() < 0.4,
    salaryMin: rnd() < 0.85 ? base : null,
    salaryMax: rnd() < 0.5 ? base + 10000 : null,
    degreeRequired: pick([true, false, null]),
    employmentType: pick(['Full-time', 'full time', 'Contract', null]),
    postedAt: new Date(Date.UTC(2025, Math.floor(rnd() * 10), 1 + Math.floor(rnd() * 27))),
  };
});
// One far outlier in one group, so that outlier exclusion per group shows.
postings.push({
  ...(postings[1] as Row),
  externalId: 'b-outlier',
  country: 'DE',
  salaryMin: 5_000_000,
  salaryMax: null,
});
const reports = Array.from({ length: 10 }, (_, i) => ({
  externalId: `rep-${i}`,
  source: 'survey',
  role: 'backend-developer',
  amount: 60000 + i * 4000,
  currency: 'USD',
  period: 'YEAR',
  country: i % 2 ? 'DE' : 'JP',
  observedAt: new Date(Date.UTC(2025, i % 6, 10)),
}));

const salaryOf = (p: Row): number | null =>
  p.salaryMin !== null && p.salaryMax !== null ? (p.salaryMin + p.salaryMax) / 2 : (p.salaryMin ?? p.salaryMax);

/** The independent figures of a set of postings (and reports' amounts). */
function expected(rows: Row[], reportAmounts: number[]) {
  const values = [...rows.map(salaryOf).filter((v): v is number => v !== null), ...reportAmounts];
  const byEmployer = new Map<string, (boolean | null)[]>();
  for (const r of rows)
    byEmployer.set(employerKey(r.company), [...(byEmployer.get(employerKey(r.company)) ?? []), r.degreeRequired]);
  const employerRequires = [...byEmployer.values()].map((d) =>
    d.some((x) => x === true) ? true : d.every((x) => x === null) ? null : false,
  );
  const known = employerRequires.filter((x) => x !== null);
  return {
    openings: rows.length,
    employers: byEmployer.size,
    count: values.length,
    mean: mean(values),
    median: percentile(values, 0.5),
    p25: percentile(values, 0.25),
    p90: percentile(values, 0.9),
    min: values.length ? Math.min(...values) : null,
    max: values.length ? Math.max(...values) : null,
    employerShare: known.length ? known.filter((x) => x).length / known.length : null,
    postingShare: (() => {
      const k = rows.filter((r) => r.degreeRequired !== null);
      return k.length ? k.filter((r) => r.degreeRequired).length / k.length : null;
    })(),
  };
}

const GROUP = `key { dimension value employer { name } } openings employers
  salary { count mean median p25 p90 min max suppressed outliersExcluded }
  degreeRequirement { employerShare postingShare }`;

interface Group {
  key: { dimension: string; value: string | null; employer: { name: string } | null }[];
  openings: number;
  employers: number;
  salary: {
    count: number;
    mean: number | null;
    median: number | null;
    p25: number | null;
    p90: number | null;
    min: number | null;
    max: number | null;
    suppressed: boolean;
    outliersExcluded: number;
  };
  degreeRequirement: { employerShare: number | null; postingShare: number | null };
}
interface BreakdownAnswer {
  role: { stats: { breakdown: { by: string[]; totalGroups: number; groups: Group[] } } };
}

const close = (a: number | null | undefined, b: number | null | undefined) => {
  if (a === null || a === undefined || b === null || b === undefined) expect(a ?? null).toBe(b ?? null);
  else expect(a).toBeCloseTo(b, 6);
};

describe('breakdowns', () => {
  let db: TestDatabase;
  let server: RunningServer;
  const backend = postings.filter((p) => p.role === 'backend-developer');

  beforeAll(async () => {
    db = await createTestDatabase();
    await importRows(db, 'postings', postings as unknown as Record<string, unknown>[]);
    await importRows(db, 'observations', reports);
    server = await startTestServer(db);
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  // The independent side counts every posting; the random titles, employers and places form
  // legitimate duplicate groups (same key within 60 days), so the figures are asked per posting.
  async function breakdown(args: string, filter = '{ status: ANY }', slug = 'backend-developer') {
    const res = await gql<BreakdownAnswer>(
      server.url,
      `{ role(slug: "${slug}") { stats(dedupe: false, filter: ${filter}) { breakdown(${args}) { by totalGroups groups { ${GROUP} } } } } }`,
    );
    expect(res.errors).toBeUndefined();
    return res.data!.role.stats.breakdown;
  }

  it('gives per country the openings, salary figures and degree shares an independent computation gives, reports included', async () => {
    const answer = await breakdown('by: [COUNTRY], first: 100');
    const countries = [...new Set(backend.map((p) => p.country))];
    expect(answer.totalGroups).toBe(countries.length);
    for (const country of countries) {
      const group = answer.groups.find((g) => g.key[0]?.value === country);
      expect(group).toBeDefined();
      const want = expected(
        backend.filter((p) => p.country === country),
        reports.filter((r) => r.country === country).map((r) => r.amount),
      );
      expect(group!.openings).toBe(want.openings);
      expect(group!.employers).toBe(want.employers);
      expect(group!.salary.count).toBe(want.count);
      for (const f of ['mean', 'median', 'p25', 'p90', 'min', 'max'] as const) close(group!.salary[f], want[f]);
      close(group!.degreeRequirement.employerShare, want.employerShare);
      close(group!.degreeRequirement.postingShare, want.postingShare);
    }
    // Most openings first, then by key.
    const openings = answer.groups.map((g) => g.openings);
    expect(openings).toEqual([...openings].sort((a, b) => b - a));
  });

  it('gives each group exactly what `salary` and `openings` give under the equivalent filter, outliers excluded within the group', async () => {
    const answer = await breakdown('by: [LOCATION, SENIORITY], first: 100, excludeOutliers: true');
    const located = answer.groups.filter((g) => g.key[0]?.value !== null && g.key[1]?.value !== null);
    expect(located.length).toBeGreaterThan(3);
    for (const group of located) {
      const filter = `{ status: ANY, location: ${JSON.stringify(group.key[0]!.value)}, seniority: ${group.key[1]!.value} }`;
      const res = await gql<{
        role: { stats: { openings: number; salary: Group['salary']; degreeRequirement: Group['degreeRequirement'] } };
      }>(
        server.url,
        `{ role(slug: "backend-developer") { stats(dedupe: false, filter: ${filter}) { openings
            salary(excludeOutliers: true) { count mean median p25 p90 min max suppressed outliersExcluded }
            degreeRequirement { employerShare postingShare } } } }`,
      );
      expect(res.errors).toBeUndefined();
      expect(group.openings).toBe(res.data!.role.stats.openings);
      expect(group.salary).toEqual(res.data!.role.stats.salary);
      expect(group.degreeRequirement).toEqual(res.data!.role.stats.degreeRequirement);
    }
    // The independent side: spellings of one place are one group.
    const berlin = backend.filter((p) => locationKey(p.location) === 'berlin' && inferSeniority(p.title) === 'SENIOR');
    const group = answer.groups.find((g) => g.key[0]?.value === 'berlin' && g.key[1]?.value === 'SENIOR');
    expect(group?.openings ?? 0).toBe(berlin.length);
  });

  it('detects outliers within each group: the 5,000,000 posting leaves the German figures, not the others', async () => {
    const answer = await breakdown('by: [COUNTRY], excludeOutliers: true');
    const de = answer.groups.find((g) => g.key[0]?.value === 'DE')!;
    expect(de.salary.outliersExcluded).toBeGreaterThanOrEqual(1);
    expect(de.salary.max).toBeLessThan(5_000_000);
  });

  it('filters by location after normalization, so every spelling of São Paulo matches', async () => {
    const res = await gql<{ role: { stats: { openings: number } } }>(
      server.url,
      `{ role(slug: "backend-developer") { stats(dedupe: false, filter: { status: ANY, location: "  sao paulo" }) { openings } }
         r2: role(slug: "backend-developer") { stats(dedupe: false, filter: { status: ANY, location: "são  paulo!" }) { openings } } }`,
    );
    expect(res.errors).toBeUndefined();
    const data = res.data as unknown as { role: { stats: { openings: number } }; r2: { stats: { openings: number } } };
    // "sao" is not "são": normalization does not strip accents.
    expect(data.role.stats.openings).toBe(0);
    expect(data.r2.stats.openings).toBe(backend.filter((p) => locationKey(p.location) === 'são paulo').length);
    expect(data.r2.stats.openings).toBeGreaterThan(0);
  });

  it('groups employers by identity under their name, employment types by their normalized text, months as 2025-01', async () => {
    const employers = await breakdown('by: [EMPLOYER]');
    expect(employers.groups.map((g) => g.key[0]!.employer?.name).sort()).toEqual(
      employers.groups.map((g) => g.key[0]!.value).sort(),
    );
    expect(employers.totalGroups).toBe(new Set(backend.map((p) => employerKey(p.company))).size);
    const types = await breakdown('by: [EMPLOYMENT_TYPE], orderBy: { field: KEY }');
    expect(types.groups.map((g) => g.key[0]!.value)).toEqual(['contract', 'full time', null]);
    expect(types.groups[1]!.openings).toBe(
      backend.filter((p) => p.employmentType === 'Full-time' || p.employmentType === 'full time').length,
    );
    const months = await breakdown('by: [POSTED_MONTH, REMOTE], first: 100, orderBy: { field: KEY }');
    expect(months.groups[0]!.key.map((k) => k.value)).toEqual(['2025-01', 'false']);
    const jan = backend.filter((p) => p.postedAt.getUTCMonth() === 0 && !p.remote);
    expect(months.groups[0]!.openings).toBe(jan.length);
    // Reports have no remote flag: they are in no group of a REMOTE breakdown.
    expect(months.groups[0]!.salary.count).toBe(jan.filter((p) => salaryOf(p) !== null).length);
  });

  it('suppresses the salary figures of groups under minSampleSize and orders them last by mean salary', async () => {
    const answer = await breakdown(
      'by: [COUNTRY, SOURCE], first: 100, minSampleSize: 8, orderBy: { field: MEAN_SALARY }',
    );
    const suppressed = answer.groups.filter((g) => g.salary.suppressed);
    expect(suppressed.length).toBeGreaterThan(0);
    for (const g of suppressed) {
      expect(g.salary.count).toBeLessThan(8);
      expect(g.salary.mean).toBeNull();
      expect(g.salary.median).toBeNull();
    }
    const shown = answer.groups.filter((g) => !g.salary.suppressed);
    expect(answer.groups.slice(0, shown.length)).toEqual(shown);
    const means = shown.map((g) => g.salary.mean as number);
    expect(means).toEqual([...means].sort((a, b) => b - a));
  });

  it('answers a breakdown of every role of a page with one SQL statement, for 2 roles as for 1', async () => {
    const query = (first: number) =>
      `{ roles(first: ${first}) { edges { node { stats(filter: { status: ANY }) { breakdown(by: [COUNTRY, SENIORITY], first: 50) { groups { ${GROUP} } } } } } } }`;
    const count = async (first: number) => {
      const before = db.counter.count;
      const res = await gql(server.url, query(first));
      expect(res.errors).toBeUndefined();
      return db.counter.count - before;
    };
    const one = await count(1);
    const two = await count(2);
    expect(two).toBe(one);
    // The roles page itself, its count, and the breakdown.
    expect(one).toBeLessThanOrEqual(3);
    const before = db.counter.count;
    await breakdown('by: [COUNTRY, SENIORITY], first: 100');
    // The role by slug and the breakdown.
    expect(db.counter.count - before).toBeLessThanOrEqual(2);
  });

  it('rejects more than two dimensions, a repeated one and an unknown one with coded errors', async () => {
    const three = await gql(
      server.url,
      `{ role(slug: "backend-developer") { stats { breakdown(by: [COUNTRY, SOURCE, REMOTE]) { totalGroups } } } }`,
    );
    expect(three.status).toBe(200);
    expect(three.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(three.errors?.[0]?.message).toMatch(/"by".*one or 2 dimensions/);
    const twice = await gql(
      server.url,
      `{ role(slug: "backend-developer") { stats { breakdown(by: [COUNTRY, COUNTRY]) { totalGroups } } } }`,
    );
    expect(twice.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const unknown = await gql(
      server.url,
      `{ role(slug: "backend-developer") { stats { breakdown(by: [CITY]) { totalGroups } } } }`,
    );
    expect(unknown.status).toBe(400);
    expect(unknown.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(unknown.errors?.[0]?.message).toContain('CITY');
    const badLocation = await gql(
      server.url,
      `{ role(slug: "backend-developer") { stats(filter: { location: "--" }) { openings } } }`,
    );
    expect(badLocation.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(badLocation.errors?.[0]?.message).toContain('filter.location');
  });
});
