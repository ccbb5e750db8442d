import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { writeRow } from '../src/catalog/row-writer.ts';
import type { RunningServer } from '../src/http/server.ts';
import { importFile } from '../src/importer/import-file.ts';
import { seededRandom } from '../scripts/seeded-random.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import {
  countedGroups,
  degreeFigures,
  groupDuplicates,
  isOpen,
  type CountedGroup,
  type RawPosting,
} from './support/dedupe-groups.ts';
import { employerKey, mean, percentile } from './support/independent-stats.ts';
import { runScript } from './support/run.ts';
import { gql, startTestServer } from './support/server.ts';

const FIXTURE = path.resolve(__dirname, 'fixtures/dedupe/cross-posted.ndjson');
const DAY = 86_400_000;

function parseRows(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function toRaw(row: Record<string, unknown>): RawPosting {
  const date = (v: unknown) => (v === null || v === undefined || v === '' ? null : new Date(String(v)));
  const text = (v: unknown) => (v === null || v === undefined || v === '' ? null : String(v));
  const num = (v: unknown) => (v === null || v === undefined || v === '' ? null : Number(v));
  return {
    externalId: String(row.externalId),
    source: String(row.source),
    role: String(row.role),
    title: text(row.title),
    company: String(row.company),
    location: text(row.location),
    country: text(row.country),
    remote: row.remote === null || row.remote === undefined ? null : Boolean(row.remote),
    salaryMin: num(row.salaryMin),
    salaryMax: num(row.salaryMax),
    salaryCurrency: text(row.salaryCurrency),
    salaryPeriod: text(row.salaryPeriod),
    degreeRequired:
      row.degreeRequired === null || row.degreeRequired === undefined ? null : Boolean(row.degreeRequired),
    postedAt: date(row.postedAt) as Date,
    closedAt: date(row.closedAt),
  };
}

/** Real-looking cross-posted feed: the same ads on three boards, spelled differently, some reposted later, some dated ahead. */
function randomFeed(n: number, seed: number): Record<string, unknown>[] {
  const rnd = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;
  const ads = Array.from({ length: Math.ceil(n / 3) }, () => ({
    company: pick([
      ['Acme Corp', 'ACME corp', 'acme  Corp'],
      ['Globex', 'GLOBEX'],
      ['Initech', 'Initech'],
    ] as const),
    title: pick([
      ['Sr. Data Engineer', 'Sr Data Engineer', 'SR. DATA ENGINEER'],
      ['Data Engineer (Remote)', 'Data Engineer - Remote'],
      ['Analytics Engineer', 'analytics engineer'],
    ] as const),
    location: pick([
      ['Austin, TX', 'austin tx'],
      ['Berlin', 'BERLIN'],
      [null, ''],
    ] as const),
  }));
  return Array.from({ length: n }, (_, i) => {
    const ad = pick(ads);
    const postedAt = new Date(Date.now() - Math.floor(rnd() * 200 * 24 - 24 * 10) * 3_600_000);
    const closedAt = rnd() < 0.4 ? new Date(postedAt.getTime() + Math.floor(1 + rnd() * 60) * DAY) : null;
    const salary = rnd() < 0.6 ? 80000 + Math.floor(rnd() * 60) * 1000 : null;
    return {
      externalId: `r-${i}`,
      source: pick(['linkedin', 'indeed', 'glassdoor']),
      role: 'data-engineer',
      title: pick(ad.title),
      company: pick(ad.company),
      location: pick(ad.location),
      country: pick(['US', 'DE']),
      remote: rnd() < 0.3,
      salaryMin: salary,
      salaryMax: salary !== null && rnd() < 0.5 ? salary + 10000 : null,
      salaryCurrency: 'USD',
      salaryPeriod: 'YEAR',
      degreeRequired: pick([true, false, null, null]),
      postedAt: postedAt.toISOString(),
      closedAt: closedAt?.toISOString() ?? null,
    };
  });
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const rnd = seededRandom(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

type Order = { name: string; load(db: TestDatabase, rows: Record<string, unknown>[]): Promise<void> };

const ndjson = (rows: Record<string, unknown>[]) =>
  Readable.from([rows.map((r) => JSON.stringify(r)).join('\n') + '\n']);

const ORDERS: Order[] = [
  {
    name: 'as published, one batch',
    async load(db, rows) {
      const s = await importFile(db, 'postings', ndjson(rows), { format: 'ndjson' });
      expect(s.rejected).toBe(0);
    },
  },
  {
    name: 'newest first, in batches of 4',
    async load(db, rows) {
      const s = await importFile(
        db,
        'postings',
        ndjson([...rows].sort((a, b) => String(b.postedAt).localeCompare(String(a.postedAt)))),
        { format: 'ndjson', batchSize: 4 },
      );
      expect(s.rejected).toBe(0);
    },
  },
  {
    name: "shuffled, one row at a time through the mutations' row writer",
    async load(db, rows) {
      for (const row of shuffled(rows, 7))
        expect((await writeRow(db, 'postings', row, 'replace')).userErrors).toEqual([]);
    },
  },
  {
    name: 'shuffled in batches of 3, then every row again',
    async load(db, rows) {
      await importFile(db, 'postings', ndjson(shuffled(rows, 11)), { format: 'ndjson', batchSize: 3 });
      const again = await importFile(db, 'postings', ndjson(shuffled(rows, 12)), { format: 'ndjson', batchSize: 5 });
      expect(again.unchanged).toBe(rows.length);
    },
  },
];

const STATS = `query($filter: PostingFilter, $dedupe: Boolean) { role(slug: "data-engineer") {
  stats(filter: $filter, dedupe: $dedupe) {
    openings postingsSeen duplicatesRemoved employers
    sources { source postingsSeen openings }
    salary(source: POSTINGS) { count mean median }
    degreeRequirement { employersRequiring employersKnown postingsRequiring postingsKnown }
  }
  topEmployers(first: 50, filter: $filter, dedupe: $dedupe) { edges { postings node { name openings(dedupe: $dedupe) } } }
} }`;

interface StatsData {
  role: {
    stats: {
      openings: number;
      postingsSeen: number;
      duplicatesRemoved: number;
      employers: number;
      sources: { source: string; postingsSeen: number; openings: number }[];
      salary: { count: number; mean: number | null; median: number | null };
      degreeRequirement: {
        employersRequiring: number;
        employersKnown: number;
        postingsRequiring: number;
        postingsKnown: number;
      };
    };
    topEmployers: { edges: { postings: number; node: { name: string; openings: number } }[] };
  };
}

type Filter = { status?: 'OPEN' | 'CLOSED' | 'ANY'; source?: string; country?: string };

function statusOf(g: { open: boolean; started: boolean }, status: Filter['status']): boolean {
  if (status === 'ANY') return g.started;
  if (status === 'CLOSED') return g.started && !g.open;
  return g.open;
}

/** What the API should answer, computed from the rows alone. */
function expectedStats(raws: RawPosting[], filter: Filter, dedupe: boolean, at: number) {
  const attributes = (p: RawPosting) =>
    (filter.source === undefined || p.source === filter.source) &&
    (filter.country === undefined || p.country === filter.country);
  const postingStatus = (p: RawPosting) =>
    statusOf({ open: isOpen(p, at), started: p.postedAt.getTime() <= at }, filter.status);
  const seen = raws.filter((p) => attributes(p) && postingStatus(p));
  const groups: CountedGroup<RawPosting>[] = dedupe
    ? countedGroups(groupDuplicates(raws), at)
    : countedGroups(
        raws.map((p) => [p]),
        at,
      );
  const counted = groups.filter(
    (g) => attributes(g.first) && statusOf({ open: g.open, started: g.first.postedAt.getTime() <= at }, filter.status),
  );
  const salaries = counted.map((g) => g.salaryUsd).filter((v): v is number => v !== null);
  const sources = new Map<string, { postingsSeen: number; openings: number }>();
  for (const p of seen)
    sources.set(p.source, {
      postingsSeen: (sources.get(p.source)?.postingsSeen ?? 0) + 1,
      openings: sources.get(p.source)?.openings ?? 0,
    });
  for (const g of counted)
    sources.set(g.first.source, {
      postingsSeen: sources.get(g.first.source)?.postingsSeen ?? 0,
      openings: (sources.get(g.first.source)?.openings ?? 0) + 1,
    });
  const perEmployer = new Map<string, number>();
  for (const g of counted)
    perEmployer.set(employerKey(g.first.company), (perEmployer.get(employerKey(g.first.company)) ?? 0) + 1);
  return {
    openings: counted.length,
    postingsSeen: seen.length,
    duplicatesRemoved: seen.length - counted.length,
    employers: new Set(counted.map((g) => employerKey(g.first.company))).size,
    sources: [...sources.entries()]
      .map(([source, v]) => ({ source, ...v }))
      .sort((a, b) => a.source.localeCompare(b.source)),
    salary: { count: salaries.length, mean: mean(salaries), median: percentile(salaries, 0.5) },
    degree: degreeFigures(counted.map((g) => ({ company: g.first.company, degreeRequired: g.degreeRequired }))),
    perEmployer,
    groups,
  };
}

const FILTERS: Filter[] = [
  {},
  { source: 'indeed' },
  { source: 'glassdoor' },
  { status: 'CLOSED' },
  { status: 'ANY' },
  { country: 'US' },
];

describe('duplicates across sources', () => {
  let db: TestDatabase;
  let server: RunningServer;
  const fixtureRows = parseRows(fs.readFileSync(FIXTURE, 'utf8'));
  const feedRows = randomFeed(150, 2026);

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db);
  });

  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  const reset = () => db.pool.query('TRUNCATE posting, salary_observation, employer RESTART IDENTITY CASCADE');

  async function checkGroups(rows: Record<string, unknown>[], windowDays = 60): Promise<void> {
    const raws = rows.map(toRaw);
    const at = Date.now();
    const expectedFirst = new Map<string, string>();
    for (const g of groupDuplicates(raws, windowDays))
      for (const m of g) expectedFirst.set(`${m.source}/${m.externalId}`, `${g[0]?.source}/${g[0]?.externalId}`);
    type P = {
      source: string;
      externalId: string;
      duplicateOf: { source: string; externalId: string } | null;
      duplicates: { source: string; externalId: string }[];
    };
    const got = new Map<string, P>();
    let after: string | null = null;
    for (;;) {
      const res: {
        data?: { role: { postings: { edges: { node: P }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } } };
      } = await gql(
        server.url,
        `query($after: String) { role(slug: "data-engineer") { postings(first: 100, after: $after, filter: { status: ANY }) {
          edges { node { source externalId duplicateOf { source externalId } duplicates { source externalId } } } pageInfo { hasNextPage endCursor } } } }`,
        { after },
      );
      for (const e of res.data?.role.postings.edges ?? []) got.set(`${e.node.source}/${e.node.externalId}`, e.node);
      if (!res.data?.role.postings.pageInfo.hasNextPage) break;
      after = res.data.role.postings.pageInfo.endCursor;
    }
    const listed = raws.filter((p) => p.postedAt.getTime() <= at);
    expect(got.size).toBe(listed.length);
    for (const p of listed) {
      const id = `${p.source}/${p.externalId}`;
      const node = got.get(id) as P;
      const first = expectedFirst.get(id);
      expect([id, node.duplicateOf ? `${node.duplicateOf.source}/${node.duplicateOf.externalId}` : id]).toEqual([
        id,
        first,
      ]);
      const mates = [...expectedFirst.entries()]
        .filter(([k, v]) => v === first && k !== id)
        .map(([k]) => k)
        .sort();
      expect([id, node.duplicates.map((d) => `${d.source}/${d.externalId}`).sort()]).toEqual([id, mates]);
    }
  }

  async function checkStats(rows: Record<string, unknown>[]): Promise<void> {
    const raws = rows.map(toRaw);
    for (const dedupe of [true, false]) {
      for (const filter of FILTERS) {
        const res = await gql<StatsData>(server.url, STATS, { filter, dedupe });
        const expected = expectedStats(raws, filter, dedupe, Date.now());
        expect(res.errors).toBeUndefined();
        const stats = res.data?.role.stats;
        const label = JSON.stringify({ filter, dedupe });
        expect([label, stats?.openings, stats?.postingsSeen, stats?.duplicatesRemoved, stats?.employers]).toEqual([
          label,
          expected.openings,
          expected.postingsSeen,
          expected.duplicatesRemoved,
          expected.employers,
        ]);
        expect([label, [...(stats?.sources ?? [])].sort((a, b) => a.source.localeCompare(b.source))]).toEqual([
          label,
          expected.sources,
        ]);
        expect(stats?.salary.count).toBe(expected.salary.count);
        if (expected.salary.mean === null) expect(stats?.salary.mean).toBeNull();
        else expect(stats?.salary.mean).toBeCloseTo(expected.salary.mean, 6);
        if (expected.salary.median === null) expect(stats?.salary.median).toBeNull();
        else expect(stats?.salary.median).toBeCloseTo(expected.salary.median, 6);
        expect(stats?.degreeRequirement).toEqual(expected.degree);
        const top = res.data?.role.topEmployers.edges ?? [];
        expect(new Map(top.map((e) => [employerKey(e.node.name), e.postings]))).toEqual(expected.perEmployer);
        if (filter.status === undefined && filter.source === undefined && filter.country === undefined) {
          for (const e of top) expect(e.node.openings).toBe(e.postings);
        }
      }
    }
  }

  async function checkTrend(rows: Record<string, unknown>[]): Promise<void> {
    const raws = rows.map(toRaw);
    const res = await gql<{
      role: { trend: { start: string; end: string; postings: number; openingsAtEnd: number }[] };
    }>(
      server.url,
      '{ role(slug: "data-engineer") { trend(interval: MONTH, filter: { postedAfter: "2026-01-01" }) { start end postings openingsAtEnd } } }',
    );
    const at = Date.now();
    const groups = countedGroups(groupDuplicates(raws), at).filter((g) => g.first.postedAt.getTime() <= at);
    const points = res.data?.role.trend ?? [];
    expect(points.length).toBeGreaterThan(0);
    for (const point of points) {
      const start = new Date(point.start).getTime();
      const end = new Date(point.end).getTime();
      const posted = groups.filter(
        (g) => g.first.postedAt.getTime() >= start && g.first.postedAt.getTime() < end,
      ).length;
      const openAtEnd = groups.filter((g) =>
        g.members.some(
          (m) =>
            m.postedAt.getTime() < end &&
            m.postedAt.getTime() <= at &&
            !(m.closedAt !== null && m.closedAt.getTime() < end && m.closedAt.getTime() <= at),
        ),
      ).length;
      expect([point.start, point.postings, point.openingsAtEnd]).toEqual([point.start, posted, openAtEnd]);
    }
  }

  describe.each(ORDERS.map((o) => [o.name, o] as const))('the cross-posted fixture imported %s', (_name, order) => {
    beforeAll(async () => {
      await reset();
      await order.load(db, fixtureRows);
    });

    it('groups each posting with the earliest of its duplicates, as the reference grouping does', () =>
      checkGroups(fixtureRows));
    it('counts every figure once per group, matching an independent computation under each filter', () =>
      checkStats(fixtureRows));
    it("counts a trend's openings once per group, open while any member is", () => checkTrend(fixtureRows));
  });

  it("finds 11 ads among the fixture's 20 postings: 9 duplicates removed", async () => {
    await reset();
    await ORDERS[0]?.load(db, fixtureRows);
    const res = await gql<{ role: { stats: { postingsSeen: number; openings: number; duplicatesRemoved: number } } }>(
      server.url,
      '{ role(slug: "data-engineer") { stats(filter: { status: ANY }) { postingsSeen openings duplicatesRemoved } } }',
    );
    expect(res.data?.role.stats).toEqual({ postingsSeen: 20, openings: 11, duplicatesRemoved: 9 });
  });

  describe.each([ORDERS[1], ORDERS[3]].map((o) => [o?.name, o as Order] as const))(
    'a random cross-posted feed of 150 postings imported %s',
    (_name, order) => {
      beforeAll(async () => {
        await reset();
        await order.load(db, feedRows);
      });
      it('groups as the reference grouping does', () => checkGroups(feedRows));
      it('gives the figures of an independent computation', () => checkStats(feedRows));
      it('gives the trend of an independent computation', () => checkTrend(feedRows));
    },
  );

  it('regroups when a posting changes its title, and again when it changes back', async () => {
    await reset();
    await ORDERS[0]?.load(db, fixtureRows);
    const changed = fixtureRows.map((r) => (r.externalId === 'li-1001' ? { ...r, title: 'Staff Data Engineer' } : r));
    const write = async (row: Record<string, unknown> | undefined) =>
      (await writeRow(db, 'postings', row as Record<string, unknown>, 'replace')).userErrors;
    expect(await write(changed.find((r) => r.externalId === 'li-1001'))).toEqual([]);
    await checkGroups(changed);
    await checkStats(changed);
    expect(await write(fixtureRows.find((r) => r.externalId === 'li-1001'))).toEqual([]);
    await checkGroups(fixtureRows);
  });

  it('uses the window of DEDUPE_WINDOW_DAYS', async () => {
    const before = process.env.DEDUPE_WINDOW_DAYS;
    process.env.DEDUPE_WINDOW_DAYS = '20';
    try {
      await reset();
      await ORDERS[0]?.load(db, fixtureRows);
      await checkGroups(fixtureRows, 20);
    } finally {
      if (before === undefined) delete process.env.DEDUPE_WINDOW_DAYS;
      else process.env.DEDUPE_WINDOW_DAYS = before;
    }
  });

  it('npm run reprocess groups postings stored before keys existed, in batches, and changes nothing when run again', async () => {
    await reset();
    await ORDERS[0]?.load(db, feedRows);
    // As the migration leaves postings imported before grouping existed: no key, each its own group.
    await db.pool.query(
      `UPDATE posting SET dedupe_key = NULL, group_id = NULL, group_size = 1, group_salary_posting_id = NULL, group_degree_required = NULL`,
    );
    const before = await gql<{ role: { stats: { duplicatesRemoved: number } } }>(
      server.url,
      '{ role(slug: "data-engineer") { stats(filter: { status: ANY }) { duplicatesRemoved } } }',
    );
    expect(before.data?.role.stats.duplicatesRemoved).toBe(0);
    const first = await runScript('scripts/reprocess.ts', ['--batch-size', '40', '--json'], { DATABASE_URL: db.url });
    expect([first.code, first.stderr]).toEqual([0, '']);
    const summary = JSON.parse(first.stdout) as { postings: number; batches: number; changed: Record<string, number> };
    expect(summary).toMatchObject({ postings: feedRows.length, batches: Math.ceil(feedRows.length / 40) });
    expect(summary.changed['dedupe key']).toBe(feedRows.length);
    await checkGroups(feedRows);
    await checkStats(feedRows);
    const second = await runScript('scripts/reprocess.ts', ['--json'], { DATABASE_URL: db.url });
    expect(second.code).toBe(0);
    expect((JSON.parse(second.stdout) as { changed: Record<string, number> }).changed).toEqual({
      'dedupe key': 0,
      role: 0,
      salary: 0,
      education: 0,
      groups: 0,
    });
  });

  it("npm run reprocess regroups with a changed DEDUPE_WINDOW_DAYS, printing the import's progress summary", async () => {
    await reset();
    await ORDERS[0]?.load(db, fixtureRows);
    const narrow = await runScript('scripts/reprocess.ts', [], { DATABASE_URL: db.url, DEDUPE_WINDOW_DAYS: '20' });
    expect(narrow.code).toBe(0);
    expect(narrow.stderr).toMatch(
      /^postings reprocessed \(window 20 days\): read 20 in 1 batches, dedupe key changed 0, role changed 0, salary changed 0, education changed 0, groups changed [1-9]\d* in [\d.]+ s/,
    );
    await checkGroups(fixtureRows, 20);
    const bad = await runScript('scripts/reprocess.ts', [], { DATABASE_URL: db.url, DEDUPE_WINDOW_DAYS: 'sixty' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('DEDUPE_WINDOW_DAYS="sixty": must be a whole number 0..3650');
    const back = await runScript('scripts/reprocess.ts', [], { DATABASE_URL: db.url });
    expect(back.code).toBe(0);
    await checkGroups(fixtureRows, 60);
  });

  it('the role page and the report say how many postings were seen, how many duplicates were removed, and the source mix', async () => {
    await reset();
    await ORDERS[0]?.load(db, fixtureRows);
    const expected = expectedStats(fixtureRows.map(toRaw), {}, true, Date.now());
    expect(expected.duplicatesRemoved).toBeGreaterThan(0);
    const response = await fetch(`${server.url}/roles/data-engineer`);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('<h2 id="posting-sources">Postings and sources</h2>');
    expect(html).toContain(
      `<p class="dedupe">${expected.postingsSeen} open postings seen, <strong class="duplicates-removed">${expected.duplicatesRemoved} duplicates removed</strong>`,
    );
    expect(html).toContain(`which leaves ${expected.openings} openings.</p>`);
    for (const s of expected.sources) {
      expect(html).toContain(
        `<tr><th scope="row">${s.source}</th><td class="num">${s.postingsSeen}</td><td class="num">${s.openings}</td></tr>`,
      );
    }
    const report = await runScript('scripts/report.ts', ['data-engineer', '--format', 'json'], {
      DATABASE_URL: db.url,
    });
    expect(report.code).toBe(0);
    const data = JSON.parse(report.stdout) as {
      role: { stats: { openings: number; postingsSeen: number; duplicatesRemoved: number; sources: unknown[] } };
    };
    expect(data.role.stats).toMatchObject({
      openings: expected.openings,
      postingsSeen: expected.postingsSeen,
      duplicatesRemoved: expected.duplicatesRemoved,
    });
    expect(data.role.stats.sources).toHaveLength(expected.sources.length);
    const page = await runScript('scripts/report.ts', ['data-engineer', '--format', 'html'], { DATABASE_URL: db.url });
    expect(page.stdout).toContain(`${expected.duplicatesRemoved} duplicates removed`);
  });

  it('roles(orderBy: OPENINGS) ranks by openings counted once per group, or per posting with dedupe: false', async () => {
    await reset();
    await ORDERS[0]?.load(db, fixtureRows);
    const expected = expectedStats(fixtureRows.map(toRaw), {}, true, Date.now());
    expect(expected.duplicatesRemoved).toBeGreaterThanOrEqual(2);
    // A second role with more openings than the fixture's groups, but fewer than its postings.
    const others = Array.from({ length: expected.openings + 1 }, (_, i) => ({
      externalId: `ml-${i}`,
      source: 'indeed',
      role: 'ml-engineer',
      title: `ML Engineer ${i}`,
      company: 'Hooli',
      postedAt: '2026-06-01',
    }));
    await ORDERS[0]?.load(db, others);
    const ranking = async (dedupe: boolean) =>
      (
        await gql<{ roles: { edges: { node: { slug: string; stats: { openings: number } } }[] } }>(
          server.url,
          'query($d: Boolean) { roles(first: 2, orderBy: { field: OPENINGS, direction: DESC }, dedupe: $d) { edges { node { slug stats(dedupe: $d) { openings } } } } }',
          { d: dedupe },
        )
      ).data?.roles.edges.map((e) => [e.node.slug, e.node.stats.openings]);
    expect(await ranking(true)).toEqual([
      ['ml-engineer', expected.openings + 1],
      ['data-engineer', expected.openings],
    ]);
    expect(await ranking(false)).toEqual([
      ['data-engineer', expected.postingsSeen],
      ['ml-engineer', expected.openings + 1],
    ]);
  });
});
