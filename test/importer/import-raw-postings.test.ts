import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { gql, startTestServer } from '../support/server.ts';
import { importFile } from '../../src/importer/import-file.ts';
import { ImportFileError } from '../../src/importer/import-file-error.ts';
import { readColumnMap, readTitleRulesFile } from '../../src/importer/raw-postings.ts';
import type { RunningServer } from '../../src/http/server.ts';

const ROOT = path.resolve(__dirname, '../..');
const raw = (name: string): string => path.resolve(__dirname, '../fixtures/raw', name);
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

let db: TestDatabase;
let scratch: string;

beforeAll(async () => {
  db = await createTestDatabase();
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'raw-postings-'));
});

afterAll(async () => {
  await db?.close();
  fs.rmSync(scratch, { recursive: true, force: true });
});

async function reset(): Promise<void> {
  await db.pool.query('TRUNCATE salary_observation, posting, employer, role, exchange_rate RESTART IDENTITY CASCADE');
  const rates = await importFile(db, 'rates', path.join(ROOT, 'data/exchange-rates.csv'));
  expect(rates.rejected).toBe(0);
}

interface Stored {
  source: string;
  external_id: string;
  role: string;
  title: string;
  company: string;
  location: string | null;
  country: string | null;
  remote: boolean | null;
  salary_min: number | null;
  salary_max: number | null;
  salary_currency: string | null;
  salary_period: string | null;
  salary_text: string | null;
  salary_estimated: boolean | null;
  description: string | null;
  employment_type: string | null;
  url: string | null;
  degree_required: boolean | null;
  education_requirement: string | null;
  education_level: string | null;
  education_origin: string | null;
  education_evidence: string | null;
  posted_at: Date;
  closed_at: Date | null;
}

async function stored(): Promise<Map<string, Stored>> {
  const { rows } = await db.pool.query<Stored>(`
    SELECT p.source, p.external_id, r.slug AS role, p.title, e.name AS company, p.location, p.country, p.remote,
           p.salary_min, p.salary_max, p.salary_currency::text AS salary_currency, p.salary_period::text AS salary_period,
           p.salary_text, p.salary_estimated, p.description, p.employment_type, p.url, p.degree_required,
           p.education_requirement::text AS education_requirement, p.education_level::text AS education_level,
           p.education_origin::text AS education_origin, p.education_evidence, p.posted_at, p.closed_at
    FROM posting p JOIN role r ON r.id = p.role_id JOIN employer e ON e.id = p.employer_id`);
  return new Map(rows.map((r) => [r.external_id, r]));
}

const rules = () => readTitleRulesFile(raw('roles.json'));

describe('schema.org JobPosting import', () => {
  beforeEach(reset);

  test('NDJSON JobPostings are mapped field by field; bad ones are rejected rows with line, field, value and rule', async () => {
    const summary = await importFile(db, 'postings', raw('jobpostings.ndjson'), {
      format: 'jobposting',
      source: 'globex-feed',
      titleRules: rules(),
      defaultRole: 'other',
    });
    expect(summary).toMatchObject({ read: 9, inserted: 5, rejected: 4 });
    expect(summary.errors.map((e) => [e.line, e.externalId, e.field, e.value, e.rule])).toEqual([
      [6, null, '(record)', '["not", "an object"]', 'object'],
      [7, null, 'title', '', 'required'],
      [8, null, 'hiringOrganization.name', '', 'required'],
      [8, null, 'datePosted', '', 'required'],
      [9, null, 'datePosted', 'last Tuesday', 'isoDate'],
    ]);
    const rows = await stored();
    expect(rows.get('GX-1001')).toMatchObject({
      source: 'globex-feed',
      role: 'data-scientist',
      title: 'Senior Data Scientist',
      company: 'Globex Corporation',
      location: 'Austin, TX',
      country: 'US',
      remote: false,
      salary_min: 120000,
      salary_max: 150000,
      salary_currency: 'USD',
      salary_period: 'YEAR',
      employment_type: 'FULL_TIME',
      url: 'https://jobs.globex.example/1001',
      closed_at: new Date('2026-03-10T00:00:00Z'),
      education_requirement: 'REQUIRED',
      education_level: 'BACHELOR',
      education_origin: 'TEXT',
      education_evidence: "Bachelor's degree in Statistics or Computer Science required",
      degree_required: true,
    });
    expect(rows.get('GX-1001')?.description).toBe(
      "Join our analytics team.\n• Bachelor's degree in Statistics or Computer Science required\n• 5+ years of Python",
    );
    expect(rows.get('GX-1002')).toMatchObject({
      remote: true,
      country: 'US',
      salary_min: 65,
      salary_max: 65,
      salary_period: 'HOUR',
      employment_type: 'CONTRACTOR, PART_TIME',
      posted_at: new Date('2026-01-12T14:30:00Z'),
      education_requirement: 'PREFERRED',
      education_level: 'MASTER',
      degree_required: false,
    });
    // No identifier: the stable hash of source, url and datePosted.
    const analyst = [...rows.values()].find((r) => r.title === 'Junior Data Analyst');
    expect(analyst?.external_id).toMatch(/^h:[0-9a-f]{32}$/);
    expect(analyst).toMatchObject({
      role: 'other',
      company: 'Initech',
      location: 'München',
      country: 'DE',
      salary_text: '45.000 € - 55.000 € pro Jahr',
      salary_min: 45000,
      salary_max: 55000,
      salary_currency: 'EUR',
      education_requirement: 'NOT_MENTIONED',
      education_evidence: 'No degree required.',
      degree_required: false,
    });
    expect(rows.get('GX-1004')).toMatchObject({
      role: 'ml-engineer',
      location: 'Toronto, ON',
      country: 'CA',
      salary_min: 110000,
      salary_currency: 'CAD',
      salary_estimated: true,
      education_requirement: 'REQUIRED',
      education_level: 'MASTER',
      education_origin: 'STATED',
    });
    expect(rows.get('GX-1005')).toMatchObject({
      role: 'other',
      education_requirement: 'UNKNOWN',
      degree_required: null,
      closed_at: null,
    });
    expect(summary.postings).toMatchObject({
      roles: { 'data-scientist': 2, 'ml-engineer': 1, other: 2 },
      classified: 3,
      defaulted: 2,
      salaryTextRead: 1,
    });

    // Re-importing changes nothing: the hashed id is stable.
    const again = await importFile(db, 'postings', raw('jobpostings.ndjson'), {
      format: 'jobposting',
      source: 'globex-feed',
      titleRules: rules(),
      defaultRole: 'other',
    });
    expect(again).toMatchObject({ inserted: 0, updated: 0, unchanged: 5 });
  });

  test('a folder of HTML pages: every ld+json block, @graph and arrays included; errors name file and position', async () => {
    const summary = await importFile(db, 'postings', raw('pages'), { format: 'jobposting', titleRules: rules() });
    expect(summary).toMatchObject({ read: 4, inserted: 3, rejected: 1 });
    const [error] = summary.errors;
    expect(error).toMatchObject({
      file: raw('pages/b-jobs.html'),
      index: 3,
      line: 11,
      field: '(record)',
      rule: 'json',
    });
    const rows = await stored();
    // Title rules of the role data files (data/roles/backend-developer.json) apply after --roles.
    expect(rows.get('HO-7')).toMatchObject({
      role: 'backend-developer',
      country: 'GB',
      location: 'London',
      salary_currency: 'GBP',
      education_requirement: 'REQUIRED_OR_EQUIVALENT',
      education_level: 'BACHELOR',
      description: 'Minimum qualifications: Bachelor’s degree or equivalent practical experience.',
    });
    expect(rows.get('HO-8')).toMatchObject({ role: 'intern', remote: true, education_requirement: 'NOT_MENTIONED' });
    expect(rows.get('HO-9')).toMatchObject({
      role: 'data-scientist',
      education_requirement: 'PREFERRED',
      education_origin: 'STATED',
      degree_required: false,
    });
  });

  test('a JSON array: a non-object element and an unknown country are rejected rows with their lines', async () => {
    const summary = await importFile(db, 'postings', raw('jobpostings.json'), {
      format: 'jobposting',
      titleRules: rules(),
    });
    expect(summary).toMatchObject({ read: 3, inserted: 1, rejected: 2 });
    expect(summary.errors.map((e) => [e.line, e.index, e.field, e.rule])).toEqual([
      [4, 2, '(record)', 'object'],
      [5, 3, 'country', 'countryCode'],
    ]);
  });

  test('--expire-after closes rows without validThrough that many days after they were posted', async () => {
    await importFile(db, 'postings', raw('jobpostings.ndjson'), {
      format: 'jobposting',
      titleRules: rules(),
      defaultRole: 'other',
      expireAfterDays: 30,
    });
    const rows = await stored();
    expect(rows.get('GX-1001')?.closed_at).toEqual(new Date('2026-03-10T00:00:00Z'));
    expect(rows.get('GX-1005')?.closed_at).toEqual(new Date('2026-02-20T00:00:00Z'));
  });
});

describe('scraped CSV with a column map', () => {
  beforeEach(reset);

  test('mapped fields are read from their columns; salary text, degree and role are derived; per-role and salary counts are reported', async () => {
    const summary = await importFile(db, 'postings', raw('glassdoor.csv'), {
      columns: readColumnMap(raw('glassdoor-columns.json')),
      source: 'glassdoor',
      titleRules: rules(),
    });
    expect(summary).toMatchObject({ read: 6, inserted: 5, rejected: 1 });
    expect(summary.errors).toEqual([
      expect.objectContaining({
        line: 10,
        externalId: 'gd-6',
        field: 'title',
        value: 'Office Manager',
        rule: 'unclassifiedTitle',
      }),
    ]);
    expect(summary.warnings).toEqual(['ignored unknown column: Rating']);
    expect(summary.postings).toMatchObject({
      roles: { 'data-scientist': 3, 'ml-engineer': 1, intern: 1 },
      salaryTextRead: 4,
      salaryTextUnreadable: { noAmount: 1 },
      education: { REQUIRED: 1, REQUIRED_OR_EQUIVALENT: 1, PREFERRED: 1, NOT_MENTIONED: 1, UNKNOWN: 1 },
    });
    const rows = await stored();
    expect(rows.get('gd-1')).toMatchObject({
      source: 'glassdoor',
      role: 'data-scientist',
      company: 'Acme Labs',
      location: 'New York, NY',
      salary_min: 137000,
      salary_max: 171000,
      salary_currency: 'USD',
      salary_period: 'YEAR',
      salary_estimated: true,
      education_requirement: 'REQUIRED',
      education_level: 'MASTER',
    });
    // A row's own source wins over --source; no Job Id: the stable hash.
    const indeed = [...rows.values()].find((r) => r.source === 'indeed');
    expect(indeed).toMatchObject({
      salary_min: 31,
      salary_max: 46,
      salary_period: 'HOUR',
      education_requirement: 'PREFERRED',
    });
    expect(indeed?.external_id).toMatch(/^h:/);
    expect(rows.get('gd-4')).toMatchObject({
      salary_min: null,
      salary_text: 'Competitive',
      education_requirement: 'NOT_MENTIONED',
    });
    expect(rows.get('gd-5')).toMatchObject({
      role: 'intern',
      salary_currency: 'GBP',
      education_requirement: 'UNKNOWN',
    });
  });

  test('explicit salaryMin/salaryMax win over salaryText', async () => {
    const csv = path.join(scratch, 'explicit.csv');
    // Plausible amounts (the importer rejects a salary under SALARY_MIN_USD_PER_YEAR), other than the text's.
    fs.writeFileSync(
      csv,
      'externalId,role,company,postedAt,salaryMin,salaryMax,salaryText\nx-1,data-scientist,Acme,2026-01-01,100000,120000,$53K-$91K (Glassdoor est.)\n',
    );
    expect(await importFile(db, 'postings', csv)).toMatchObject({ inserted: 1, rejected: 0 });
    expect((await stored()).get('x-1')).toMatchObject({
      salary_min: 100000,
      salary_max: 120000,
      salary_currency: 'USD',
      salary_estimated: true,
    });
  });

  test("an HTML description in a CSV is stored read as text, as a JobPosting's is, and its degree sentence decides the label", async () => {
    const csv = path.join(scratch, 'html-description.csv');
    const html =
      '<p>We build maps.</p><h3>Nice to have</h3><ul><li>A bachelor&rsquo;s degree in Geography</li><li>QGIS</li></ul>';
    fs.writeFileSync(
      csv,
      `externalId,role,company,postedAt,description\nh-1,data-scientist,Acme,2026-01-01,"${html}"\n`,
    );
    expect(await importFile(db, 'postings', csv)).toMatchObject({ inserted: 1, rejected: 0 });
    expect((await stored()).get('h-1')).toMatchObject({
      description: 'We build maps.\nNice to have\n• A bachelor’s degree in Geography\n• QGIS',
      education_requirement: 'PREFERRED',
      education_level: 'BACHELOR',
      education_evidence: 'A bachelor’s degree in Geography',
    });
  });

  test('a salary read from text that is implausible is dropped and counted, the posting kept; the same salary stated is a rejected row', async () => {
    const csv = path.join(scratch, 'implausible-text.csv');
    // $50M an hour from the text is far above SALARY_MAX_USD_PER_YEAR once annualized.
    fs.writeFileSync(
      csv,
      'externalId,role,company,postedAt,salaryText,salaryMin,salaryPeriod,salaryCurrency\n' +
        't-1,data-scientist,Acme,2026-01-01,$50000000 per hour,,,\n' +
        't-2,data-scientist,Acme,2026-01-02,$90K-$110K a year,,,\n' +
        't-3,data-scientist,Acme,2026-01-03,,50000000,HOUR,USD\n',
    );
    const summary = await importFile(db, 'postings', csv);
    expect(summary).toMatchObject({ inserted: 2, rejected: 1 });
    expect(summary.errors).toEqual([
      expect.objectContaining({ line: 4, field: 'salaryMin', rule: 'salaryImplausible' }),
    ]);
    expect(summary.postings?.salaryTextUnreadable).toMatchObject({ implausible: 1 });
    const rows = await stored();
    expect(rows.get('t-1')).toMatchObject({ salary_min: null, salary_max: null, salary_text: '$50000000 per hour' });
    expect(rows.get('t-2')).toMatchObject({ salary_min: 90000, salary_max: 110000, salary_period: 'YEAR' });
    expect(rows.has('t-3')).toBe(false);
  });

  test('a map naming a column the file lacks stops the import before anything is written, naming the column', async () => {
    const run = importFile(db, 'postings', raw('glassdoor.csv'), {
      columns: { title: 'Job Title', company: 'Employer' },
      titleRules: rules(),
    });
    await expect(run).rejects.toThrow(ImportFileError);
    await expect(
      importFile(db, 'postings', raw('glassdoor.csv'), { columns: { company: 'Employer' } }),
    ).rejects.toThrow(/reads company from the column "Employer", which the file lacks/);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM posting')).rows[0].n).toBe(0);
  });

  test('NDJSON with a column map: a key no object of the first batch has stops the import before it writes', async () => {
    const file = path.join(scratch, 'mapped.ndjson');
    fs.writeFileSync(file, '{"id":"n-1","job":"Data Scientist","org":"Acme","date":"2026-01-01"}\n');
    const ok = await importFile(db, 'postings', file, {
      columns: { externalId: 'id', title: 'job', company: 'org', postedAt: 'date' },
      titleRules: rules(),
    });
    expect(ok).toMatchObject({ inserted: 1, rejected: 0 });
    await reset();
    await expect(
      importFile(db, 'postings', file, {
        columns: { externalId: 'id', title: 'job', company: 'company_name', postedAt: 'date' },
        titleRules: rules(),
      }),
    ).rejects.toThrow(/reads company from the key "company_name"/);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM posting')).rows[0].n).toBe(0);
  });
});

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, ['scripts/import.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: db.url, TEST_DATABASE_URL: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('import CLI for raw postings', () => {
  beforeAll(reset);

  test('--roles that is not a list of rules stops the import before it writes, naming the rule', async () => {
    const bad = path.join(scratch, 'bad-roles.json');
    fs.writeFileSync(
      bad,
      JSON.stringify([
        { role: 'data-scientist', include: ['data scientist'] },
        { role: 'ml', exclude: ['x'] },
      ]),
    );
    const result = await runCli([
      'postings',
      raw('glassdoor.csv'),
      '--columns',
      raw('glassdoor-columns.json'),
      '--roles',
      bad,
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('rule 2 (role ml): "include" is required');
    expect((await db.pool.query('SELECT count(*)::int AS n FROM posting')).rows[0].n).toBe(0);
  });

  test('the summary counts rows per role, salary texts read and unreadable per reason, and degree labels', async () => {
    const result = await runCli([
      'postings',
      raw('glassdoor.csv'),
      '--columns',
      raw('glassdoor-columns.json'),
      '--roles',
      raw('roles.json'),
      '--default-role',
      'other',
      '--source',
      'glassdoor',
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      'rows per role: data-scientist 3, intern 1, ml-engineer 1, other 1 (5 classified by title, 1 by --default-role)',
    );
    expect(result.stderr).toContain('salary text: 5 read, 1 unreadable (noAmount 1): salary left empty, rows kept');
    expect(result.stderr).toMatch(/degree requirement: .*REQUIRED 1/);
  });

  test('--format jobposting reads a folder of HTML pages', async () => {
    const result = await runCli([
      'postings',
      raw('pages'),
      '--format',
      'jobposting',
      '--roles',
      raw('roles.json'),
      '--json',
    ]);
    expect(result.code).toBe(1);
    const summary = JSON.parse(result.stdout) as {
      inserted: number;
      rejected: number;
      errors: { file: string; index: number }[];
    };
    expect(summary).toMatchObject({ inserted: 3, rejected: 1 });
    expect(summary.errors[0]).toMatchObject({ index: 3, rule: 'json' });
  });
});

describe('degree requirement figures over GraphQL', () => {
  let server: RunningServer;

  beforeAll(async () => {
    await reset();
    await importFile(db, 'postings', raw('glassdoor.csv'), {
      columns: readColumnMap(raw('glassdoor-columns.json')),
      titleRules: rules(),
      defaultRole: 'data-scientist',
    });
    await importFile(db, 'postings', raw('jobpostings.ndjson'), {
      format: 'jobposting',
      titleRules: rules(),
      defaultRole: 'data-scientist',
    });
    server = await startTestServer(db);
  });

  afterAll(async () => {
    await server?.close();
  });

  test('postingsByRequirement and postingsByLevel match counts computed from the stored rows; shares follow the REQUIRED rule', async () => {
    const response = await gql<{
      role: {
        stats: {
          degreeRequirement: {
            postingsRequiring: number;
            postingsKnown: number;
            employersRequiring: number;
            employersKnown: number;
            postingsByRequirement: { requirement: string; count: number }[];
            postingsByLevel: { level: string; count: number }[];
          };
        };
        postings: {
          edges: {
            node: {
              externalId: string;
              salaryText: string | null;
              description: string | null;
              salaryEstimated: boolean | null;
              education: { requirement: string; level: string | null; evidence: string | null; origin: string | null };
            };
          }[];
        };
      };
    }>(
      server.url,
      `{ role(slug: "data-scientist") {
          stats(filter: { status: ANY }) { degreeRequirement { postingsRequiring postingsKnown employersRequiring employersKnown
            postingsByRequirement { requirement count } postingsByLevel { level count } } }
          postings(first: 100, filter: { status: ANY }) { edges { node { externalId salaryText description salaryEstimated education { requirement level evidence origin } } } }
      } }`,
    );
    expect(response.errors).toBeUndefined();
    const role = response.data?.role;
    const rows = [...(await stored()).values()].filter((r) => r.role === 'data-scientist');
    // Independent: count the stored labels in TypeScript.
    const byLabel = (label: string): number =>
      rows.filter((r) => (r.education_requirement ?? 'UNKNOWN') === label).length;
    const byLevel = (level: string): number => rows.filter((r) => r.education_level === level).length;
    const figures = role?.stats.degreeRequirement;
    expect(figures?.postingsByRequirement).toEqual(
      ['REQUIRED', 'REQUIRED_OR_EQUIVALENT', 'PREFERRED', 'NOT_MENTIONED', 'UNKNOWN'].map((requirement) => ({
        requirement,
        count: byLabel(requirement),
      })),
    );
    expect(figures?.postingsByLevel).toEqual(
      ['ASSOCIATE', 'BACHELOR', 'MASTER', 'DOCTORATE', 'ANY'].map((level) => ({ level, count: byLevel(level) })),
    );
    expect(figures?.postingsRequiring).toBe(byLabel('REQUIRED'));
    expect(figures?.postingsKnown).toBe(rows.length - byLabel('UNKNOWN'));
    const employers = new Map<string, boolean[]>();
    for (const r of rows)
      if (r.education_requirement !== 'UNKNOWN')
        employers.set(r.company, [...(employers.get(r.company) ?? []), r.education_requirement === 'REQUIRED']);
    expect(figures?.employersKnown).toBe(employers.size);
    expect(figures?.employersRequiring).toBe([...employers.values()].filter((v) => v.some(Boolean)).length);
    expect(byLabel('REQUIRED')).toBeGreaterThan(0);
    expect(byLabel('PREFERRED')).toBeGreaterThan(0);

    // The trend's periods split the same postings: per label, their counts add up to the stored rows'.
    const trend = await gql<{
      role: { trend: { degreeRequirement: { postingsByRequirement: { requirement: string; count: number }[] } }[] };
    }>(
      server.url,
      `{ role(slug: "data-scientist") { trend(interval: MONTH, filter: { status: ANY }) { degreeRequirement { postingsByRequirement { requirement count } } } } }`,
    );
    expect(trend.errors).toBeUndefined();
    const summed = new Map<string, number>();
    for (const point of trend.data?.role.trend ?? []) {
      for (const { requirement, count } of point.degreeRequirement.postingsByRequirement)
        summed.set(requirement, (summed.get(requirement) ?? 0) + count);
    }
    for (const label of ['REQUIRED', 'REQUIRED_OR_EQUIVALENT', 'PREFERRED', 'NOT_MENTIONED', 'UNKNOWN'])
      expect(summed.get(label)).toBe(byLabel(label));

    const gd1 = role?.postings.edges.find((e) => e.node.externalId === 'gd-1')?.node;
    expect(gd1).toMatchObject({
      salaryText: '$137K-$171K (Glassdoor est.)',
      salaryEstimated: true,
      education: {
        requirement: 'REQUIRED',
        level: 'MASTER',
        evidence: 'MS or PhD in Computer Science',
        origin: 'TEXT',
      },
    });
    expect(gd1?.description).toContain('5 years of NLP');
  });
});
