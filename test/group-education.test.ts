import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { writeRow } from '../src/catalog/row-writer.ts';
import type { RunningServer } from '../src/http/server.ts';
import { importFile } from '../src/importer/import-file.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { groupDuplicates, type RawPosting } from './support/dedupe-groups.ts';
import { employerKey } from './support/independent-stats.ts';
import { runScript } from './support/run.ts';
import { gql, startTestServer } from './support/server.ts';

// Cross-posted ads whose earliest copy has no description: a group's label, level and boolean
// must all come from its earliest member whose requirement is known (docs/methodology.md).
const FIXTURE = path.resolve(__dirname, 'fixtures/dedupe/education-cross-posted.ndjson');
const ROWS = fs
  .readFileSync(FIXTURE, 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as Record<string, unknown>);

const LABELS = ['REQUIRED', 'REQUIRED_OR_EQUIVALENT', 'PREFERRED', 'NOT_MENTIONED', 'UNKNOWN'] as const;
type Label = (typeof LABELS)[number];
const LEVELS = ['ASSOCIATE', 'BACHELOR', 'MASTER', 'DOCTORATE', 'ANY'] as const;

/** Each posting's label and level, read by hand from its description (none: UNKNOWN). */
const BY_HAND: Record<string, [Label, string | null]> = {
  'li-a1': ['UNKNOWN', null],
  'ind-a2': ['PREFERRED', 'BACHELOR'],
  'gd-a3': ['REQUIRED', 'BACHELOR'],
  'li-b1': ['REQUIRED_OR_EQUIVALENT', 'MASTER'],
  'ind-c1': ['UNKNOWN', null],
  'li-c2': ['UNKNOWN', null],
  'gd-d1': ['REQUIRED', 'DOCTORATE'],
  'li-d2': ['UNKNOWN', null],
  'ind-e1': ['NOT_MENTIONED', null],
  'ind-f1': ['NOT_MENTIONED', null],
};

type Labelled = RawPosting & { label: Label; level: string | null };

const labelled: Labelled[] = ROWS.map((r) => {
  const [label, level] = BY_HAND[String(r.externalId)] as [Label, string | null];
  return {
    externalId: String(r.externalId),
    source: String(r.source),
    role: String(r.role),
    title: String(r.title),
    company: String(r.company),
    location: String(r.location),
    country: null,
    remote: null,
    salaryMin: null,
    salaryMax: null,
    degreeRequired: label === 'UNKNOWN' ? null : label === 'REQUIRED',
    postedAt: new Date(String(r.postedAt)),
    closedAt: null,
    label,
    level,
  };
});

/** The figures computed from the hand labels and the reference grouping alone. */
function expected(dedupe: boolean) {
  const units = (dedupe ? groupDuplicates(labelled) : labelled.map((p) => [p])).map((members) => {
    const known = members.find((m) => m.label !== 'UNKNOWN');
    return { company: (members[0] as Labelled).company, label: known?.label ?? 'UNKNOWN', level: known?.level ?? null };
  });
  const strongest = new Map<string, Label>();
  for (const u of units) {
    const before = strongest.get(employerKey(u.company));
    if (before === undefined || LABELS.indexOf(u.label) < LABELS.indexOf(before))
      strongest.set(employerKey(u.company), u.label);
  }
  const employerLabels = [...strongest.values()];
  return {
    employersRequiring: employerLabels.filter((l) => l === 'REQUIRED').length,
    employersKnown: employerLabels.filter((l) => l !== 'UNKNOWN').length,
    postingsRequiring: units.filter((u) => u.label === 'REQUIRED').length,
    postingsKnown: units.filter((u) => u.label !== 'UNKNOWN').length,
    postingsByRequirement: LABELS.map((requirement) => ({
      requirement,
      count: units.filter((u) => u.label === requirement).length,
    })),
    postingsByLevel: LEVELS.map((level) => ({ level, count: units.filter((u) => u.level === level).length })),
    employersByRequirement: LABELS.map((requirement) => ({
      requirement,
      count: employerLabels.filter((l) => l === requirement).length,
    })),
  };
}

const DEGREE = `degreeRequirement {
  employersRequiring employersKnown postingsRequiring postingsKnown
  postingsByRequirement { requirement count } postingsByLevel { level count } employersByRequirement { requirement count }
}`;
const STATS = `query($dedupe: Boolean) { role(slug: "data-engineer") {
  stats(filter: { status: ANY }, dedupe: $dedupe) { openings ${DEGREE} }
  trend(interval: MONTH, filter: { status: ANY, postedAfter: "2026-01-01", postedBefore: "2026-07-01" }, dedupe: $dedupe) { postings ${DEGREE} }
  postings(first: 50, filter: { status: ANY }) { edges { node { externalId education { requirement level } } } }
} }`;

interface DegreeData {
  employersRequiring: number;
  employersKnown: number;
  postingsRequiring: number;
  postingsKnown: number;
  postingsByRequirement: { requirement: string; count: number }[];
  postingsByLevel: { level: string; count: number }[];
  employersByRequirement: { requirement: string; count: number }[];
}
interface StatsData {
  role: {
    stats: { openings: number; degreeRequirement: DegreeData };
    trend: { postings: number; degreeRequirement: DegreeData }[];
    postings: { edges: { node: { externalId: string; education: { requirement: string; level: string | null } } }[] };
  };
}

const ndjson = (rows: Record<string, unknown>[]) =>
  Readable.from([`${rows.map((r) => JSON.stringify(r)).join('\n')}\n`]);

const ORDERS: [string, (db: TestDatabase) => Promise<void>][] = [
  [
    'as published, one batch',
    async (db) => expect((await importFile(db, 'postings', ndjson(ROWS), { format: 'ndjson' })).rejected).toBe(0),
  ],
  [
    'newest first, in batches of 2',
    async (db) => {
      const rows = [...ROWS].sort((a, b) => String(b.postedAt).localeCompare(String(a.postedAt)));
      expect((await importFile(db, 'postings', ndjson(rows), { format: 'ndjson', batchSize: 2 })).rejected).toBe(0);
    },
  ],
  [
    'one row at a time, the earliest copies last',
    async (db) => {
      for (const row of [...ROWS].reverse())
        expect((await writeRow(db, 'postings', row, 'replace')).userErrors).toEqual([]);
    },
  ],
];

describe('the degree requirement of cross-posted duplicates', () => {
  let db: TestDatabase;
  let server: RunningServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db);
  });

  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  describe.each(ORDERS)('imported %s', (_name, load) => {
    beforeAll(async () => {
      await db.pool.query('TRUNCATE posting, salary_observation, employer RESTART IDENTITY CASCADE');
      await load(db);
    });

    it('reads each posting as labelled by hand', async () => {
      const res = await gql<StatsData>(server.url, STATS, { dedupe: true });
      expect(res.errors).toBeUndefined();
      const got = Object.fromEntries(
        (res.data?.role.postings.edges ?? []).map((e) => [
          e.node.externalId,
          [e.node.education.requirement, e.node.education.level],
        ]),
      );
      expect(got).toEqual(BY_HAND);
    });

    it.each([true, false])(
      'takes label, level and boolean from the earliest member whose requirement is known (dedupe %s)',
      async (dedupe) => {
        const res = await gql<StatsData>(server.url, STATS, { dedupe });
        expect(res.errors).toBeUndefined();
        const want = expected(dedupe);
        expect(res.data?.role.stats.degreeRequirement).toEqual(want);
        // Acme's three copies of one ad: the earliest says nothing, the next prefers a degree, the last requires one.
        if (dedupe) expect(want.postingsByRequirement.find((c) => c.requirement === 'PREFERRED')?.count).toBe(1);
        const known = want.employersByRequirement
          .filter((c) => c.requirement !== 'UNKNOWN')
          .reduce((n, c) => n + c.count, 0);
        expect(known).toBe(want.employersKnown);
        // Every posting of the fixture falls in the trend's months: its points add up to the totals.
        const points = res.data?.role.trend ?? [];
        const sum = (pick: (d: DegreeData) => { count: number }[]) =>
          LABELS.map((_, i) => points.reduce((n, p) => n + (pick(p.degreeRequirement)[i]?.count ?? 0), 0));
        expect(sum((d) => d.postingsByRequirement)).toEqual(want.postingsByRequirement.map((c) => c.count));
        expect(points.reduce((n, p) => n + p.postings, 0)).toBe(res.data?.role.stats.openings);
      },
    );
  });

  it('npm run reprocess reads the labels again from the descriptions and regroups them; and a run with nothing to do changes nothing', async () => {
    await db.pool.query('TRUNCATE posting, salary_observation, employer RESTART IDENTITY CASCADE');
    await ORDERS[0]?.[1](db);
    const want = expected(true);
    // As rules of an older release might have left them: ind-a2 and gd-d1 read wrongly.
    await db.pool.query(
      `UPDATE posting SET education_requirement = 'NOT_MENTIONED', education_level = NULL, education_evidence = NULL, degree_required = false
       WHERE external_id IN ('ind-a2', 'gd-d1')`,
    );
    const stale = await gql<StatsData>(server.url, STATS, { dedupe: true });
    expect(stale.data?.role.stats.degreeRequirement).toEqual(want); // the groups still hold the old copies
    const first = await runScript('scripts/reprocess.ts', ['--json'], { DATABASE_URL: db.url });
    expect([first.code, first.stderr]).toEqual([0, '']);
    expect((JSON.parse(first.stdout) as { changed: Record<string, number> }).changed).toEqual({
      'dedupe key': 0,
      role: 0,
      salary: 0,
      education: 2,
      groups: 0,
    });
    await db.pool.query(
      `UPDATE posting SET education_requirement = 'REQUIRED', degree_required = true WHERE external_id = 'ind-a2';
       UPDATE posting SET group_education_requirement = NULL, group_education_level = NULL, group_degree_required = NULL WHERE group_size > 1`,
    );
    const second = await runScript('scripts/reprocess.ts', ['--json'], { DATABASE_URL: db.url });
    const changed = (JSON.parse(second.stdout) as { changed: Record<string, number> }).changed;
    expect(changed.education).toBe(1);
    expect(changed.groups).toBeGreaterThan(0);
    expect((await gql<StatsData>(server.url, STATS, { dedupe: true })).data?.role.stats.degreeRequirement).toEqual(
      want,
    );
    const third = await runScript('scripts/reprocess.ts', ['--json'], { DATABASE_URL: db.url });
    expect((JSON.parse(third.stdout) as { changed: Record<string, number> }).changed).toEqual({
      'dedupe key': 0,
      role: 0,
      salary: 0,
      education: 0,
      groups: 0,
    });
  });

  it("the migration sets the stored groups' label and level as the regrouping does", async () => {
    await db.pool.query('TRUNCATE posting, salary_observation, employer RESTART IDENTITY CASCADE');
    await ORDERS[0]?.[1](db);
    const columns =
      'SELECT id, group_education_requirement::text AS r, group_education_level::text AS l FROM posting ORDER BY id';
    const written = (await db.pool.query(columns)).rows;
    // As a database upgraded from before the columns: groups stored, their labels not yet.
    await db.pool.query('UPDATE posting SET group_education_requirement = NULL, group_education_level = NULL');
    const withoutLabels = await gql<StatsData>(server.url, STATS, { dedupe: true });
    expect(withoutLabels.data?.role.stats.degreeRequirement).not.toEqual(expected(true));
    const migration = fs.readFileSync(
      path.resolve(__dirname, '../prisma/migrations/20261202010000_group_education/migration.sql'),
      'utf8',
    );
    const updates = migration
      .split(/;\s*\n/)
      .filter((statement) => /^\s*UPDATE/m.test(statement.replace(/^--.*$/gm, '')));
    expect(updates).toHaveLength(2);
    for (const statement of updates) await db.pool.query(statement);
    expect((await db.pool.query(columns)).rows).toEqual(written);
    expect((await gql<StatsData>(server.url, STATS, { dedupe: true })).data?.role.stats.degreeRequirement).toEqual(
      expected(true),
    );
  });

  it('the role page and the report show the four labels for employers and postings, postings seen, duplicates removed and the source mix', async () => {
    await db.pool.query('TRUNCATE posting, salary_observation, employer RESTART IDENTITY CASCADE');
    await ORDERS[0]?.[1](db);
    const want = expected(true);
    const at = (counts: { requirement: string; count: number }[], r: Label) =>
      counts.find((c) => c.requirement === r)?.count;
    const html = await (await fetch(`${server.url}/roles/data-engineer`)).text();
    const rows: [string, Label][] = [
      ['require a degree', 'REQUIRED'],
      ['require a degree or equivalent experience', 'REQUIRED_OR_EQUIVALENT'],
      ['prefer a degree', 'PREFERRED'],
      ['do not ask for one', 'NOT_MENTIONED'],
    ];
    for (const [text, r] of rows) {
      expect(html).toContain(
        `<tr><th scope="row">${text}</th><td class="num">${at(want.employersByRequirement, r)}</td><td class="num">${at(want.postingsByRequirement, r)}</td></tr>`,
      );
    }
    expect(html).toContain(
      `<p class="degree-unknown">${at(want.postingsByRequirement, 'UNKNOWN')} posting (${at(want.employersByRequirement, 'UNKNOWN')} employer with no other)`,
    );
    // 10 postings in 6 groups; the sources' counts: postings and the groups first seen there.
    const report = await runScript('scripts/report.ts', ['data-engineer'], { DATABASE_URL: db.url });
    expect(report.code).toBe(0);
    const employers = rows.map(([text, r]) => `${at(want.employersByRequirement, r)} ${text}`).join(', ');
    const postings = rows.map(([text, r]) => `${at(want.postingsByRequirement, r)} ${text}`).join(', ');
    expect(report.stdout).toContain(
      '- Degree Requirement: 33% of employers require a degree\n' +
        `  - Employers: ${employers} (1 do not say)\n` +
        `  - Postings: ${postings} (1 do not say)\n` +
        '- Postings seen: 10, duplicates removed: 4\n' +
        '- Sources: indeed 4 (3 first seen there), linkedin 4 (2 first seen there), glassdoor 2 (1 first seen there)\n',
    );
  });
});
