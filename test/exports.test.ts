import { parse } from 'csv-parse/sync';
import type { RunningServer } from '../src/http/server.ts';
import { seedDatabase } from '../src/catalog/seed.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { importRows } from './support/import-rows.ts';
import { runScript } from './support/run.ts';
import { gql, startTestServer } from './support/server.ts';

const FIGURES = `openings employers salary(excludeOutliers: true) { currency count outliersExcluded mean median p25 p75 min max } degreeRequirement { employerShare postingShare }`;
const GROUP_FIGURES = FIGURES.replace('salary(excludeOutliers: true)', 'salary');
const EVIL_TITLE = `=HYPERLINK("http://evil.example","Click"), "quoted"\nand more`;

interface Figures {
  openings: number;
  employers: number;
  salary: {
    currency: string;
    count: number;
    outliersExcluded: number;
    mean: number | null;
    median: number | null;
    p25: number | null;
    p75: number | null;
    min: number | null;
    max: number | null;
  };
  degreeRequirement: { employerShare: number | null; postingShare: number | null };
}

/** The CSV cells a GraphQL answer should give (empty for null). */
const cells = (f: Figures) => ({
  openings: String(f.openings),
  employers: String(f.employers),
  salary_currency: f.salary.currency,
  salary_count: String(f.salary.count),
  salary_outliers_excluded: String(f.salary.outliersExcluded),
  salary_mean: f.salary.mean === null ? '' : String(f.salary.mean),
  salary_median: f.salary.median === null ? '' : String(f.salary.median),
  salary_p25: f.salary.p25 === null ? '' : String(f.salary.p25),
  salary_p75: f.salary.p75 === null ? '' : String(f.salary.p75),
  salary_min: f.salary.min === null ? '' : String(f.salary.min),
  salary_max: f.salary.max === null ? '' : String(f.salary.max),
  employer_degree_share: f.degreeRequirement.employerShare === null ? '' : String(f.degreeRequirement.employerShare),
  posting_degree_share: f.degreeRequirement.postingShare === null ? '' : String(f.degreeRequirement.postingShare),
});

describe('CSV exports', () => {
  let db: TestDatabase;
  let server: RunningServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db);
    await importRows(db, 'postings', [
      {
        externalId: 'x1',
        source: 'csvtest',
        role: 'formula-role',
        roleTitle: EVIL_TITLE,
        company: 'Acme',
        country: 'DE',
        salaryMin: 50000,
        seniority: 'SENIOR',
        postedAt: '2026-01-02',
      },
      {
        externalId: 'x2',
        source: 'csvtest',
        role: 'formula-role',
        company: 'Globex',
        country: 'FR',
        salaryMin: 61000,
        salaryMax: 70000,
        degreeRequired: true,
        postedAt: '2026-01-03',
      },
      {
        externalId: 'x3',
        source: 'csvtest',
        role: 'formula-role',
        company: 'Globex',
        salaryMin: 55500,
        title: 'Junior dev',
        postedAt: '2026-01-04',
      },
    ]);
    server = await startTestServer(db);
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  it('exports every role as RFC 4180 UTF-8 CSV with a header, the figures the API gives, formulas neutralized', async () => {
    const res = await fetch(`${server.url}/roles.csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8; header=present');
    expect(res.headers.get('etag')).toBeTruthy();
    const text = await res.text();
    expect(text.split('\r\n')[0]).toBe(
      'slug,title,openings,employers,salary_currency,salary_count,salary_outliers_excluded,salary_mean,salary_median,salary_p25,salary_p75,salary_min,salary_max,employer_degree_share,posting_degree_share',
    );
    expect(text.endsWith('\r\n')).toBe(true);
    const rows = parse(text, { columns: true, record_delimiter: '\r\n' }) as Record<string, string>[];
    const api = await gql<{ roles: { edges: { node: { slug: string; title: string; stats: Figures } }[] } }>(
      server.url,
      `{ roles(first: 100) { edges { node { slug title stats { ${FIGURES} } } } } }`,
    );
    expect(rows).toEqual(
      api.data!.roles.edges.map(({ node }) => ({
        slug: node.slug,
        title: node.title === EVIL_TITLE ? `'${EVIL_TITLE}` : node.title,
        ...cells(node.stats),
      })),
    );
    expect(rows.find((r) => r.slug === 'formula-role')?.title).toBe(`'${EVIL_TITLE}`);
  });

  it("exports a role's page figures and its breakdowns by country and seniority, as the API gives them", async () => {
    const res = await fetch(`${server.url}/roles/formula-role.csv`);
    expect(res.status).toBe(200);
    const rows = parse(await res.text(), { columns: true }) as Record<string, string>[];
    const api = await gql<{
      role: {
        stats: Figures & {
          c: { groups: (Figures & { key: { value: string | null }[] })[] };
          s: { groups: (Figures & { key: { value: string | null }[] })[] };
        };
      };
    }>(
      server.url,
      `{ role(slug: "formula-role") { stats { ${FIGURES}
          c: breakdown(by: [COUNTRY], first: 100, orderBy: { field: KEY }, excludeOutliers: true) { groups { key { value } ${GROUP_FIGURES} } }
          s: breakdown(by: [SENIORITY], first: 100, orderBy: { field: KEY }, excludeOutliers: true) { groups { key { value } ${GROUP_FIGURES} } } } } }`,
    );
    const stats = api.data!.role.stats;
    const base = { slug: 'formula-role', title: `'${EVIL_TITLE}` };
    expect(rows).toEqual([
      { ...base, group_by: 'all', group: '', ...cells(stats) },
      ...stats.c.groups.map((g) => ({ ...base, group_by: 'country', group: g.key[0]?.value ?? '', ...cells(g) })),
      ...stats.s.groups.map((g) => ({ ...base, group_by: 'seniority', group: g.key[0]?.value ?? '', ...cells(g) })),
    ]);
    expect(rows.map((r) => `${r.group_by}:${r.group}`)).toEqual([
      'all:',
      'country:DE',
      'country:FR',
      'country:',
      'seniority:JUNIOR',
      'seniority:SENIOR',
      'seniority:',
    ]);
    expect(rows[0]).toMatchObject({
      openings: '3',
      salary_count: '3',
      salary_median: '55500',
      salary_mean: String((50000 + 65500 + 55500) / 3),
    });
  });

  it('answers 304 to a repeat with its ETag, and 404 for an unknown or invalid slug, never a 5xx', async () => {
    const first = await fetch(`${server.url}/roles/backend-developer.csv`);
    const etag = first.headers.get('etag') as string;
    expect(
      (await fetch(`${server.url}/roles/backend-developer.csv`, { headers: { 'if-none-match': etag } })).status,
    ).toBe(304);
    for (const slug of ['no-such-role', 'x'.repeat(300), '%E0%A4%A', 'Bad%20Slug']) {
      const res = await fetch(`${server.url}/roles/${slug}.csv`);
      expect(res.status).toBe(404);
      expect(await res.text()).toMatch(/There is no role/);
    }
  });

  it('prints the same CSV with npm run report -- <slug> --format csv', async () => {
    const http = await (await fetch(`${server.url}/roles/formula-role.csv`)).text();
    const cli = await runScript('scripts/report.ts', ['formula-role', '--format', 'csv'], { DATABASE_URL: db.url });
    expect(cli.code).toBe(0);
    expect(cli.stdout).toBe(http);
    const unknown = await runScript('scripts/report.ts', ['no-such-role', '--format', 'csv'], { DATABASE_URL: db.url });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no role with slug "no-such-role"');
  }, 60_000);
});
