import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { RunningServer } from '../src/http/server.ts';
import { importFile } from '../src/importer/import-file.ts';
import { reprocessPostings } from '../src/importer/reprocess.ts';
import type { TitleRule } from '../src/importer/raw/title-rules.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { runScript } from './support/run.ts';
import { gql, startTestServer } from './support/server.ts';

// Rules A at import, rules B at reprocess: B puts machine-learning titles in a role of their own.
const RULES_A: TitleRule[] = [
  { role: 'data-scientist', title: 'Data Scientist', include: ['data scientist', 'scientist'], exclude: [] },
];
const RULES_B: TitleRule[] = [
  {
    role: 'ml-engineer',
    title: 'Machine Learning Engineer',
    include: ['machine learning', 'ml engineer'],
    exclude: [],
  },
  { role: 'data-scientist', title: 'Data Scientist', include: ['data scientist'], exclude: [] },
];

const ROWS: Record<string, unknown>[] = [
  // Classified by title (TITLE): A and B agree.
  { externalId: 't1', title: 'Senior Data Scientist', salaryText: '$100K-$120K (Glassdoor est.)' },
  // No rule of A matches: --default-role. B classifies it.
  { externalId: 't2', title: 'ML Engineer', salaryText: '€50k - €70k per year' },
  // A's 'scientist' matches; B's 'machine learning' comes first.
  {
    externalId: 't3',
    title: 'Machine Learning Scientist',
    salaryMin: 90000,
    salaryMax: 110000,
    salaryText: '$1-$2 Per Hour',
  },
  // A stated role (STATED) stays whatever the rules say.
  { externalId: 's1', title: 'Machine Learning Scientist', role: 'data-analyst', salaryText: '$40 - $50 an hour' },
  // No salary at all.
  { externalId: 's2', title: 'Data Scientist II' },
].map((r) => ({ source: 'board', company: 'Acme', postedAt: '2026-03-02T00:00:00Z', ...r }));

const EUR_PER_USD = 1.1;

interface Stored {
  externalId: string;
  role: string;
  roleOrigin: string;
  salaryOrigin: string | null;
  salaryMin: number | null;
  salaryMax: number | null;
  salaryCurrency: string | null;
  salaryPeriod: string | null;
  salaryEstimated: boolean | null;
}

/** What each posting must hold: role and salary as [min, max, currency, period, estimated] or null. */
type Want = Record<string, [string, [number | null, number | null, string, string, boolean | null] | null]>;

const STATS = `query($slug: String!) {
  role(slug: $slug) { stats(filter: { status: ANY }, dedupe: false) { openings salary { count mean min max } } }
}`;
const PERIODS: Record<string, number> = { HOUR: 2080, DAY: 260, WEEK: 52, MONTH: 12, YEAR: 1 };

describe('npm run reprocess re-derives roles from titles and salaries from text', () => {
  let db: TestDatabase;
  let server: RunningServer;
  let emptyRolesDir: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db);
    emptyRolesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'reprocess-roles-'));
  });

  afterAll(async () => {
    await server?.close();
    await db?.close();
    fs.rmSync(emptyRolesDir, { recursive: true, force: true });
  });

  const stored = async (): Promise<Stored[]> =>
    (
      await db.pool.query<Stored>(
        `SELECT p.external_id AS "externalId", r.slug AS role, p.role_origin AS "roleOrigin", p.salary_origin AS "salaryOrigin",
                p.salary_min AS "salaryMin", p.salary_max AS "salaryMax", trim(p.salary_currency) AS "salaryCurrency",
                p.salary_period AS "salaryPeriod", p.salary_estimated AS "salaryEstimated"
         FROM posting p JOIN role r ON r.id = p.role_id ORDER BY p.external_id`,
      )
    ).rows;

  /** Checks every posting, its observation, and each role's figures against the same expectation computed here. */
  async function check(want: Want): Promise<void> {
    const rows = await stored();
    expect(Object.fromEntries(rows.map((r) => [r.externalId, r.role]))).toEqual(
      Object.fromEntries(Object.entries(want).map(([id, [role]]) => [id, role])),
    );
    for (const r of rows) {
      const salary = (want[r.externalId] as Want[string])[1];
      expect([r.externalId, r.salaryMin, r.salaryMax, r.salaryCurrency, r.salaryPeriod, r.salaryEstimated]).toEqual(
        salary === null
          ? [r.externalId, null, null, r.salaryCurrency, r.salaryPeriod, r.salaryEstimated]
          : [r.externalId, ...salary],
      );
      if (salary === null) expect([r.salaryMin, r.salaryMax]).toEqual([null, null]);
    }
    // Each salary's observation: the midpoint, annualized, in USD at the test's one rate, under the posting's role.
    const usd = (s: NonNullable<Want[string][1]>): number => {
      const mid = s[0] !== null && s[1] !== null ? (s[0] + s[1]) / 2 : ((s[0] ?? s[1]) as number);
      return mid * (PERIODS[s[3]] as number) * (s[2] === 'EUR' ? EUR_PER_USD : 1);
    };
    const { rows: observations } = await db.pool.query<{ externalId: string; role: string; usd: number }>(
      `SELECT p.external_id AS "externalId", r.slug AS role, o.amount_usd AS usd
       FROM salary_observation o JOIN posting p ON p.id = o.posting_id JOIN role r ON r.id = o.role_id ORDER BY 1`,
    );
    const withSalary = Object.entries(want).filter(([, [, s]]) => s !== null) as [
      string,
      [string, NonNullable<Want[string][1]>],
    ][];
    expect(observations.map((o) => [o.externalId, o.role])).toEqual(withSalary.map(([id, [role]]) => [id, role]));
    for (const o of observations)
      expect(o.usd).toBeCloseTo(usd((want[o.externalId] as Want[string])[1] as NonNullable<Want[string][1]>), 6);
    for (const role of new Set(Object.values(want).map(([r]) => r))) {
      const mine = Object.values(want).filter(([r]) => r === role);
      const amounts = mine.flatMap(([, s]) => (s === null ? [] : [usd(s)]));
      const res = await gql<{
        role: {
          stats: {
            openings: number;
            salary: { count: number; mean: number | null; min: number | null; max: number | null };
          };
        };
      }>(server.url, STATS, { slug: role });
      expect(res.errors).toBeUndefined();
      const stats = res.data?.role.stats;
      expect([role, stats?.openings, stats?.salary.count]).toEqual([role, mine.length, amounts.length]);
      if (amounts.length > 0) {
        expect(stats?.salary.mean).toBeCloseTo(amounts.reduce((a, b) => a + b, 0) / amounts.length, 6);
        expect(stats?.salary.min).toBeCloseTo(Math.min(...amounts), 6);
        expect(stats?.salary.max).toBeCloseTo(Math.max(...amounts), 6);
      }
    }
  }

  const AFTER_IMPORT: Want = {
    s1: ['data-analyst', [40, 50, 'USD', 'HOUR', false]],
    s2: ['data-scientist', null],
    t1: ['data-scientist', [100_000, 120_000, 'USD', 'YEAR', true]],
    t2: ['generalist', [50_000, 70_000, 'EUR', 'YEAR', false]],
    t3: ['data-scientist', [90_000, 110_000, 'USD', 'YEAR', false]],
  };

  it('the import records where each role and salary came from, and reprocess with the same rules changes nothing', async () => {
    await db.pool.query(`INSERT INTO exchange_rate (currency, as_of, usd_per_unit) VALUES ('EUR', '2020-01-01', $1)`, [
      EUR_PER_USD,
    ]);
    const rows = ROWS.map((r) => `${JSON.stringify(r)}\n`).join('');
    const summary = await importFile(db, 'postings', Readable.from([rows]), {
      format: 'ndjson',
      fileName: 'feed.ndjson',
      titleRules: RULES_A,
      defaultRole: 'generalist',
      rolesDir: emptyRolesDir,
    });
    expect([summary.inserted, summary.rejected]).toEqual([ROWS.length, 0]);
    const origins = (await stored()).map((r) => [r.externalId, r.roleOrigin, r.salaryOrigin]);
    expect(origins).toEqual([
      ['s1', 'STATED', 'TEXT'],
      ['s2', 'TITLE', null],
      ['t1', 'TITLE', 'TEXT'],
      ['t2', 'TITLE', 'TEXT'],
      ['t3', 'TITLE', 'STATED'],
    ]);
    await check(AFTER_IMPORT);
    const same = await reprocessPostings(db.pool, {
      titleRules: RULES_A,
      defaultRole: 'generalist',
      rolesDir: emptyRolesDir,
      batchSize: 2,
    });
    expect(same.changed).toEqual({ 'dedupe key': 0, role: 0, salary: 0, education: 0, groups: 0 });
    await check(AFTER_IMPORT);
  });

  const AFTER_B: Want = {
    ...AFTER_IMPORT,
    t2: ['ml-engineer', [50_000, 70_000, 'EUR', 'YEAR', false]],
    t3: ['ml-engineer', [90_000, 110_000, 'USD', 'YEAR', false]],
  };

  it('with rules B, roles classified by title move as B says (a new role is created) and stated roles stay', async () => {
    const first = await reprocessPostings(db.pool, { titleRules: RULES_B, rolesDir: emptyRolesDir, batchSize: 2 });
    expect(first).toMatchObject({ postings: ROWS.length, batches: 3, unclassifiedTitles: 0 });
    expect(first.changed).toMatchObject({ role: 2, salary: 0, education: 0 });
    await check(AFTER_B);
    const { rows } = await db.pool.query<{ title: string }>(`SELECT title FROM role WHERE slug = 'ml-engineer'`);
    expect(rows).toEqual([{ title: 'Machine Learning Engineer' }]);
    const second = await reprocessPostings(db.pool, { titleRules: RULES_B, rolesDir: emptyRolesDir, batchSize: 2 });
    expect(second.changed).toEqual({ 'dedupe key': 0, role: 0, salary: 0, education: 0, groups: 0 });
  });

  it('a title no rule matches any more keeps its role without --default-role, and takes it with one', async () => {
    const only: TitleRule[] = [{ role: 'data-scientist', title: null, include: ['data scientist'], exclude: [] }];
    const kept = await reprocessPostings(db.pool, { titleRules: only, rolesDir: emptyRolesDir });
    expect([kept.changed.role, kept.unclassifiedTitles]).toEqual([0, 2]);
    await check(AFTER_B);
    const moved = await reprocessPostings(db.pool, {
      titleRules: only,
      rolesDir: emptyRolesDir,
      defaultRole: 'generalist',
    });
    expect([moved.changed.role, moved.unclassifiedTitles]).toEqual([2, 0]);
    await check({
      ...AFTER_B,
      t2: ['generalist', AFTER_B.t2?.[1] ?? null],
      t3: ['generalist', AFTER_B.t3?.[1] ?? null],
    });
    await reprocessPostings(db.pool, { titleRules: RULES_B, rolesDir: emptyRolesDir });
    await check(AFTER_B);
  });

  it('salaries read from text follow the text (an implausible one dropped), stated ones stay, a second run changes nothing', async () => {
    // As a parser change would read them: t1's text now reads in euros by the month, s1's as an implausible 5-6 dollars a year.
    await db.pool.query(`UPDATE posting SET salary_text = '€4,000 - €5,000 per month' WHERE external_id = 't1'`);
    await db.pool.query(`UPDATE posting SET salary_text = '$5 - $6 a year' WHERE external_id IN ('s1', 't3')`);
    const want: Want = {
      ...AFTER_B,
      t1: ['data-scientist', [4000, 5000, 'EUR', 'MONTH', false]],
      s1: ['data-analyst', null],
    };
    const first = await reprocessPostings(db.pool, { titleRules: RULES_B, rolesDir: emptyRolesDir, batchSize: 2 });
    expect(first.changed).toMatchObject({ role: 0, salary: 2 });
    await check(want);
    const s1 = (await stored()).find((r) => r.externalId === 's1');
    expect([s1?.salaryCurrency, s1?.salaryPeriod, s1?.salaryEstimated]).toEqual([null, null, null]);
    const second = await reprocessPostings(db.pool, { titleRules: RULES_B, rolesDir: emptyRolesDir, batchSize: 2 });
    expect(second.changed).toEqual({ 'dedupe key': 0, role: 0, salary: 0, education: 0, groups: 0 });
    await check(want);
  });

  it('the migration marks stored postings STATED (salary STATED only when there is one): reprocess changes nothing for them', async () => {
    // As a database upgraded from before the columns: drop them and run the migration's statements.
    await db.pool.query('ALTER TABLE posting DROP COLUMN role_origin, DROP COLUMN salary_origin');
    await db.pool.query('DROP TYPE "RoleOrigin"');
    await db.pool.query('DROP TYPE "SalaryOrigin"');
    const migration = fs.readFileSync(
      path.resolve(__dirname, '../prisma/migrations/20261202020000_posting_origins/migration.sql'),
      'utf8',
    );
    const statements = migration
      .split(/;\s*\n/)
      .map((st) => st.replace(/^--.*$/gm, '').trim())
      .filter((st) => st !== '');
    expect(statements).toHaveLength(4);
    for (const statement of statements) await db.pool.query(statement);
    const before = await stored();
    expect(before.map((r) => [r.externalId, r.roleOrigin, r.salaryOrigin])).toEqual(
      before.map((r) => [r.externalId, 'STATED', r.salaryMin === null && r.salaryMax === null ? null : 'STATED']),
    );
    expect(before.some((r) => r.salaryMin === null) && before.some((r) => r.salaryMin !== null)).toBe(true);
    const run = await reprocessPostings(db.pool, { titleRules: [], rolesDir: emptyRolesDir });
    expect(run.changed).toEqual({ 'dedupe key': 0, role: 0, salary: 0, education: 0, groups: 0 });
    expect(await stored()).toEqual(before);
    // Back to the origins of the import, for the next test.
    await db.pool.query(`UPDATE posting SET role_origin = 'TITLE' WHERE external_id <> 's1'`);
    await db.pool.query(`UPDATE posting SET salary_origin = 'TEXT' WHERE external_id IN ('s1', 't1', 't2')`);
  });

  it('npm run reprocess takes --roles and --default-role and says how many postings kept their role', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reprocess-rules-'));
    try {
      const file = path.join(dir, 'rules.json');
      // The data files' rules come after these; 'nothing matches' keeps every posting's title unmatched by this file.
      fs.writeFileSync(
        file,
        JSON.stringify([{ role: 'research-scientist', title: 'Research Scientist', include: ['scientist'] }]),
      );
      const run = await runScript('scripts/reprocess.ts', ['--roles', file, '--batch-size', '2'], {
        DATABASE_URL: db.url,
      });
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(
        /^postings reprocessed \(window 60 days\): read 5 in 3 batches, dedupe key changed 0, role changed [1-9]\d*, salary changed 0,/,
      );
      const roles = Object.fromEntries((await stored()).map((r) => [r.externalId, r.role]));
      expect(roles).toMatchObject({
        t1: 'research-scientist',
        t3: 'research-scientist',
        s1: 'data-analyst',
        s2: 'research-scientist',
      });
      const again = await runScript('scripts/reprocess.ts', ['--roles', file, '--json'], { DATABASE_URL: db.url });
      expect(again.code).toBe(0);
      expect((JSON.parse(again.stdout) as { changed: Record<string, number> }).changed).toEqual({
        'dedupe key': 0,
        role: 0,
        salary: 0,
        education: 0,
        groups: 0,
      });
      const bad = await runScript('scripts/reprocess.ts', ['--default-role', 'Not A Slug'], { DATABASE_URL: db.url });
      expect([bad.code, bad.stderr]).toEqual([
        2,
        'reprocess: --default-role "Not A Slug": must be a role slug such as data-scientist\n',
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
