import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, type Database } from '../src/db/database.ts';
import type { RunningServer } from '../src/http/server.ts';
import { importFile } from '../src/importer/import-file.ts';
import { ROLE_PAGE_QUERY } from '../src/report/role-page-query.ts';
import { refreshFigureSnapshots } from '../src/stats/figure-snapshots.ts';
import { createTestDatabase, serverUrl, type TestDatabase } from './support/database.ts';
import { importRows } from './support/import-rows.ts';
import { mean, percentile } from './support/independent-stats.ts';
import { runScript } from './support/run.ts';
import { gql, startTestServer } from './support/server.ts';

const DAY = 24 * 3600 * 1000;

interface Model {
  externalId: string;
  role: string;
  salary: number;
  employer: string;
  postedAt: Date;
  closedAt: Date | null;
}

// The README's statistics query.
const STATS = `query($slug: String!) { role(slug: $slug) {
  stats { openings employers salary { count mean median min max } degreeRequirement { employerShare employersRequiring employersKnown } }
} }`;
interface Stats {
  openings: number;
  employers: number;
  salary: { count: number; mean: number | null; median: number | null; min: number | null; max: number | null };
  degreeRequirement: { employerShare: number | null; employersRequiring: number; employersKnown: number };
}

const row = (p: Model) => ({
  externalId: p.externalId,
  // Titles of their own: postings of one employer with the same title would be one ad (duplicates).
  title: `Engineer ${p.externalId}`,
  source: 'snapshot-test',
  role: p.role,
  roleTitle: p.role,
  company: p.employer,
  salaryMin: p.salary,
  salaryCurrency: 'USD',
  salaryPeriod: 'YEAR',
  postedAt: p.postedAt.toISOString(),
  closedAt: p.closedAt?.toISOString() ?? '',
});

/** The role's figures at `now`, computed from the model without the service (no degree data: share null). */
function expected(model: Model[], role: string, now = Date.now()) {
  const open = model.filter(
    (p) => p.role === role && p.postedAt.getTime() <= now && (p.closedAt === null || p.closedAt.getTime() > now),
  );
  const salaries = open.map((p) => p.salary);
  return {
    openings: open.length,
    employers: new Set(open.map((p) => p.employer)).size,
    count: salaries.length,
    mean: mean(salaries),
    median: percentile(salaries, 0.5),
    min: salaries.length ? Math.min(...salaries) : null,
    max: salaries.length ? Math.max(...salaries) : null,
  };
}

function expectFigures(stats: Stats, model: Model[], role: string): void {
  const want = expected(model, role);
  expect(stats.openings).toBe(want.openings);
  expect(stats.employers).toBe(want.employers);
  expect(stats.salary.count).toBe(want.count);
  expect(stats.salary.mean).toBeCloseTo(want.mean as number, 6);
  expect(stats.salary.median).toBeCloseTo(want.median as number, 6);
  expect(stats.salary.min).toBe(want.min);
  expect(stats.salary.max).toBe(want.max);
  expect(stats.degreeRequirement).toEqual({ employerShare: null, employersRequiring: 0, employersKnown: 0 });
}

describe('figure snapshots: the first statistics after an import', () => {
  let db: TestDatabase;
  const processes: { server: RunningServer; db: Database }[] = [];
  const now = Date.now();
  const model: Model[] = [
    {
      externalId: 's1',
      role: 'snap-a',
      salary: 90_000,
      employer: 'Acme',
      postedAt: new Date(now - 30 * DAY),
      closedAt: null,
    },
    {
      externalId: 's2',
      role: 'snap-a',
      salary: 120_000,
      employer: 'Acme',
      postedAt: new Date(now - 20 * DAY),
      closedAt: null,
    },
    {
      externalId: 's3',
      role: 'snap-a',
      salary: 70_000,
      employer: 'Globex',
      postedAt: new Date(now - 5 * DAY),
      closedAt: null,
    },
    {
      externalId: 's4',
      role: 'snap-a',
      salary: 200_000,
      employer: 'Initech',
      postedAt: new Date(now - 9 * DAY),
      closedAt: new Date(now - DAY),
    },
    {
      externalId: 's5',
      role: 'snap-b',
      salary: 60_000,
      employer: 'Umbrella',
      postedAt: new Date(now - 3 * DAY),
      closedAt: null,
    },
  ];

  /** A new server over a pool of its own: its figure cache is empty, as another process's would be. */
  async function freshServer(): Promise<{ server: RunningServer; db: Database }> {
    const own = await openDatabase({ url: db.url });
    const started = { server: await startTestServer(own), db: own };
    processes.push(started);
    return started;
  }
  async function statsOf(process: { server: RunningServer }, slug: string): Promise<Stats> {
    const res = await gql<{ role: { stats: Stats } }>(process.server.url, STATS, { slug });
    expect(res.errors).toBeUndefined();
    return res.data!.role.stats;
  }
  // The row the README's query reads: the report's headline (outliers kept, the page's histogram).
  const HEADLINE = `f.kind LIKE 'role-figures|%,false]|10|%'`;
  const snapshots = async () =>
    (
      await db.pool.query<{ kind: string; role: string; current: boolean }>(
        // Current: the exchange rates (shared version) and the role's own rows (its version) as when stored.
        `SELECT f.kind, r.slug AS role,
                f.version = (SELECT sum(shared)::text FROM data_version)
                AND f.role_version = (SELECT coalesce(sum(v.version), 0)::text FROM role_version v WHERE v.role_id = f.role_id) AS current
         FROM figure_snapshot f JOIN role r ON r.id = f.role_id ORDER BY r.slug, f.kind`,
      )
    ).rows;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    for (const p of processes.splice(0)) {
      await p.server.close();
      await p.db.close();
    }
  });
  afterAll(async () => {
    await db?.close();
  });

  it('stores the figures of every role the import wrote, at the version of its commit', async () => {
    const summary = await importRows(db, 'postings', model.map(row));
    expect(summary.stages.figures).toBeGreaterThan(0);
    const rows = await snapshots();
    // Per role, one row per panel of a role page: the headline with its histogram (the README's
    // query is that row less its histogram) and the breakdowns, both with and without outliers
    // (the report and the HTML page), the monthly trend and the source mix.
    const kinds = (role: string) => rows.filter((r) => r.role === role).map((r) => r.kind.replace(/\|[^|]+$/, ''));
    expect([...new Set(rows.map((r) => r.role))]).toEqual(['snap-a', 'snap-b']);
    expect(kinds('snap-a')).toHaveLength(8);
    expect(kinds('snap-b')).toEqual(kinds('snap-a'));
    expect(kinds('snap-a').filter((k) => k.startsWith('role-figures|'))).toHaveLength(2);
    expect(kinds('snap-a').filter((k) => k.startsWith('breakdown|'))).toHaveLength(4);
    expect(kinds('snap-a').filter((k) => k.startsWith('trend|MONTH|'))).toHaveLength(1);
    expect(kinds('snap-a').filter((k) => k.startsWith('source-mix|'))).toHaveLength(1);
    expect(rows.every((r) => r.current)).toBe(true);
  });

  it('answers a process that has computed nothing from the stored figures, which are the figures', async () => {
    const fresh = await freshServer();
    const before = fresh.db.counter.count;
    const stats = await statsOf(fresh, 'snap-a');
    expectFigures(stats, model, 'snap-a');
    // The role, and one lookup of its stored figures in place of their computation (no statement more).
    expect(fresh.db.counter.count - before).toBe(2);
    expectFigures(await statsOf(await freshServer(), 'snap-b'), model, 'snap-b');
  });

  it('answers every figure of the stored kinds exactly as computing them does (a role page headline, with its histogram)', async () => {
    const query = `query($slug: String!) { role(slug: $slug) { stats {
      openings employers postingsSeen duplicatesRemoved
      salary { count sampleSize outliersExcluded mean median min max p10 p25 p75 p90 stddev standardError
               meanConfidenceInterval { level lower upper } histogram(buckets: 10) { lowerBound upperBound count } }
      degreeRequirement { employerShare postingShare employersRequiring employersKnown postingsRequiring postingsKnown
                          postingsByRequirement { requirement count } postingsByLevel { level count }
                          employersByRequirement { requirement count } }
    } } }`;
    const answer = async () => {
      const res = await gql<unknown>((await freshServer()).server.url, query, { slug: 'snap-a' });
      expect(res.errors).toBeUndefined();
      return res.data;
    };
    const stored = await answer();
    const ids = (await db.pool.query<{ role_id: number }>('SELECT DISTINCT role_id FROM figure_snapshot')).rows.map(
      (r) => r.role_id,
    );
    await db.pool.query('DELETE FROM figure_snapshot');
    try {
      expect(await answer()).toEqual(stored);
    } finally {
      await refreshFigureSnapshots(db.pool, ids);
    }
  });

  it('answers a whole role page from the stored panels, as the report and the HTML page ask for it, exactly as computing it does', async () => {
    const page = async (excludeOutliers: boolean) => {
      const res = await gql<unknown>((await freshServer()).server.url, ROLE_PAGE_QUERY, {
        slug: 'snap-a',
        excludeOutliers,
      });
      expect(res.errors).toBeUndefined();
      return res.data;
    };
    const stored = [await page(false), await page(true)];
    // The HTML page (outliers left out) of a process that has computed nothing: the role, its
    // sources (every posting, whatever its dates: not a stored panel) and one lookup of every panel.
    const fresh = await freshServer();
    const before = fresh.db.counter.count;
    const html = await fetch(`${fresh.server.url}/roles/snap-a`);
    expect(html.status).toBe(200);
    expect(await html.text()).toContain('snap-a');
    expect(fresh.db.counter.count - before).toBe(3);

    const ids = (await db.pool.query<{ role_id: number }>('SELECT DISTINCT role_id FROM figure_snapshot')).rows.map(
      (r) => r.role_id,
    );
    await db.pool.query('DELETE FROM figure_snapshot');
    try {
      expect([await page(false), await page(true)]).toEqual(stored);
      // Computed: the role, the headline, both breakdowns, the trend, the source mix and the sources.
      const computing = await freshServer();
      const start = computing.db.counter.count;
      expect((await fetch(`${computing.server.url}/roles/snap-a`)).status).toBe(200);
      expect(computing.db.counter.count - start).toBe(7);
    } finally {
      await refreshFigureSnapshots(db.pool, ids);
    }
  });

  (serverUrl() ? it : it.skip)(
    'computes the panels on two connections from one snapshot: the same rows as on one',
    async () => {
      const ids = (await db.pool.query<{ id: number }>('SELECT id FROM role ORDER BY id')).rows.map((r) => r.id);
      const stored = async () =>
        (
          await db.pool.query<{ v: string }>(
            `SELECT string_agg(kind || role_id || version || valid_from || coalesce(valid_until::text, '') || value::text, '|' ORDER BY kind, role_id) AS v
             FROM figure_snapshot`,
          )
        ).rows[0]!.v;
      const asOf = new Date();
      await refreshFigureSnapshots(db.pool, ids, { connections: 1 }, asOf);
      const one = await stored();
      await db.pool.query('DELETE FROM figure_snapshot');
      await refreshFigureSnapshots(db.pool, ids, { connections: 2 }, asOf);
      expect(await stored()).toBe(one);
      // Both connections are back in the pool, out of any transaction.
      expect(db.pool.idleCount).toBe(db.pool.totalCount);
      const { rows } = await db.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
      );
      expect(rows[0]!.n).toBe(0);
    },
  );

  it('reads the stored row itself: a changed row (same version) is what the next fresh process answers', async () => {
    // Not something anyone should do: it shows the answer comes from the row, not from a computation.
    // The role's row holds the statement's row; the README's query (no histogram) reads it less its histogram.
    // A row holds the role's rows of the statement: here one.
    const { rows } = await db.pool.query<{ value: { openings: number }[] }>(
      `SELECT value FROM figure_snapshot f JOIN role r ON r.id = f.role_id WHERE r.slug = 'snap-a' AND ${HEADLINE}`,
    );
    expect(rows).toHaveLength(1);
    const openings = rows[0]!.value[0]!.openings;
    await db.pool.query(
      `UPDATE figure_snapshot f SET value = jsonb_set(value, '{0,openings}', '424242')
       FROM role r WHERE r.id = f.role_id AND r.slug = 'snap-a' AND ${HEADLINE}`,
    );
    try {
      expect((await statsOf(await freshServer(), 'snap-a')).openings).toBe(424242);
    } finally {
      await db.pool.query(
        `UPDATE figure_snapshot f SET value = jsonb_set(value, '{0,openings}', $1::jsonb)
         FROM role r WHERE r.id = f.role_id AND r.slug = 'snap-a' AND ${HEADLINE}`,
        [String(openings)],
      );
    }
  });

  it("never reads a row another release's statement stored (its kind names that statement), and drops such rows at the next refresh", async () => {
    const kindOf = async () =>
      (
        await db.pool.query<{ kind: string }>(
          `SELECT f.kind FROM figure_snapshot f JOIN role r ON r.id = f.role_id WHERE r.slug = 'snap-a' AND ${HEADLINE}`,
        )
      ).rows[0]!.kind;
    const mine = await kindOf();
    const other = mine.replace(/\|[^|]+$/, '|an-older-release');
    await db.pool.query(
      `UPDATE figure_snapshot f SET kind = $1, value = jsonb_set(value, '{0,openings}', '424242')
       FROM role r WHERE r.id = f.role_id AND r.slug = 'snap-a' AND f.kind = $2`,
      [other, mine],
    );
    expectFigures(await statsOf(await freshServer(), 'snap-a'), model, 'snap-a');
    const ids = (await db.pool.query<{ id: number }>(`SELECT id FROM role WHERE slug = 'snap-a'`)).rows.map(
      (r) => r.id,
    );
    await refreshFigureSnapshots(db.pool, ids);
    const kinds = (
      await db.pool.query<{ kind: string }>(
        `SELECT f.kind FROM figure_snapshot f JOIN role r ON r.id = f.role_id WHERE r.slug = 'snap-a' AND ${HEADLINE} ORDER BY 1`,
      )
    ).rows.map((r) => r.kind);
    expect(kinds).toEqual([mine]);
    expect((await snapshots()).filter((r) => r.role === 'snap-a')).toHaveLength(8);
    expect(kinds).not.toContain(other);
  });

  it('never answers from a row that a later write to its role outdated, whoever wrote (here plain SQL), and still answers the other roles from theirs', async () => {
    await db.pool.query(
      `UPDATE posting SET closed_at = now() - interval '1 hour' WHERE source = 'snapshot-test' AND external_id = 's3'`,
    );
    const closed = model.map((p) => (p.externalId === 's3' ? { ...p, closedAt: new Date(Date.now() - 3600_000) } : p));
    const current = (await snapshots()).filter((r) => r.current);
    expect([...new Set(current.map((r) => r.role))]).toEqual(['snap-b']);
    expect(current).toHaveLength(8);
    expectFigures(await statsOf(await freshServer(), 'snap-a'), closed, 'snap-a');
    // snap-b, which the write did not touch: its page is the role, its sources and one lookup, nothing computed.
    const untouched = await freshServer();
    const start = untouched.db.counter.count;
    expect((await fetch(`${untouched.server.url}/roles/snap-b`)).status).toBe(200);
    expect(untouched.db.counter.count - start).toBe(3);
    expectFigures(await statsOf(untouched, 'snap-b'), closed, 'snap-b');
    // The next import refreshes what it wrote (snap-b only); snap-a is computed, from the current data.
    const extra: Model = {
      externalId: 's6',
      role: 'snap-b',
      salary: 65_000,
      employer: 'Hooli',
      postedAt: new Date(Date.now() - DAY),
      closedAt: null,
    };
    await importRows(db, 'postings', [row(extra)]);
    const rows = await snapshots();
    expect([...new Set(rows.filter((r) => r.current).map((r) => r.role))]).toEqual(['snap-b']);
    expect(rows.filter((r) => r.current)).toHaveLength(8);
    const server = await freshServer();
    expectFigures(await statsOf(server, 'snap-a'), closed, 'snap-a');
    expectFigures(await statsOf(server, 'snap-b'), [...closed, extra], 'snap-b');
    model.splice(0, model.length, ...closed, extra);
  });

  it('stops answering from a row at the instant a posting of it closes, and the figures follow time', async () => {
    const closing: Model = {
      externalId: 's7',
      role: 'snap-b',
      salary: 300_000,
      employer: 'Soon Closed',
      postedAt: new Date(Date.now() - DAY),
      closedAt: new Date(Date.now() + 1500),
    };
    await importRows(db, 'postings', [row(closing)]);
    model.push(closing);
    const { rows } = await db.pool.query<{ valid_until: Date | null }>(
      `SELECT valid_until FROM figure_snapshot f JOIN role r ON r.id = f.role_id WHERE r.slug = 'snap-b'`,
    );
    // Every panel's row, the trend's too (its month ends later).
    expect(rows).toHaveLength(8);
    expect([...new Set(rows.map((r) => r.valid_until?.getTime()))]).toEqual([closing.closedAt!.getTime()]);
    const before = expected(model, 'snap-b', closing.closedAt!.getTime() - 1);
    if (Date.now() < closing.closedAt!.getTime()) {
      // Still open (unless the machine took its time importing): the stored row answers.
      const stats = await statsOf(await freshServer(), 'snap-b');
      if (Date.now() < closing.closedAt!.getTime()) expect(stats.openings).toBe(before.openings);
    }
    await new Promise((r) => setTimeout(r, Math.max(0, closing.closedAt!.getTime() - Date.now() + 50)));
    const after = await statsOf(await freshServer(), 'snap-b');
    expectFigures(after, model, 'snap-b');
    expect(after.openings).toBe(before.openings - 1);
  });

  it('stores nothing for a dry run or an import that rolled back', async () => {
    const before = await db.pool.query<{ v: string }>(
      `SELECT string_agg(version || valid_from, ',' ORDER BY kind, role_id) AS v FROM figure_snapshot`,
    );
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'figure-snapshots-'));
    try {
      const file = path.join(dir, 'postings.csv');
      const r = row({ ...model[0]!, externalId: 's8', role: 'snap-c' });
      const bad = { ...r, externalId: 's9', salaryCurrency: 'NOPE' };
      fs.writeFileSync(
        file,
        [Object.keys(r).join(','), Object.values(r).join(','), Object.values(bad).join(',')].join('\n') + '\n',
      );
      const dry = await importFile(db, 'postings', file, { dryRun: true });
      expect(dry.stages.figures).toBe(0);
      const atomic = await importFile(db, 'postings', file, { atomic: true });
      expect(atomic.rolledBack).toBe(true);
      expect(atomic.stages.figures).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const after = await db.pool.query<{ v: string }>(
      `SELECT string_agg(version || valid_from, ',' ORDER BY kind, role_id) AS v FROM figure_snapshot`,
    );
    expect(after.rows[0]!.v).toBe(before.rows[0]!.v);
  });

  it('analyzes the tables before computing when the import wrote a tenth of them or more (the planner needs statistics)', async () => {
    const fresh = await createTestDatabase();
    try {
      const many = Array.from({ length: 1200 }, (_, i) =>
        row({
          externalId: `bulk-${i}`,
          role: `bulk-${i % 3}`,
          salary: 50_000 + i,
          employer: `Bulk ${i % 40}`,
          postedAt: new Date(now - (1 + (i % 20)) * DAY),
          closedAt: null,
        }),
      );
      await importRows(fresh, 'postings', many);
      const { rows } = await fresh.pool.query<{ tuples: number; analyzed: boolean | null }>(
        `SELECT c.reltuples::float8 AS tuples,
                (SELECT s.last_analyze IS NOT NULL FROM pg_stat_user_tables s WHERE s.relid = c.oid) AS analyzed
         FROM pg_class c WHERE c.oid = 'posting'::regclass`,
      );
      // A server tells a manual ANALYZE (the import's) from autovacuum's; PGlite has no autovacuum.
      if (serverUrl()) expect(rows[0]?.analyzed).toBe(true);
      else expect(rows[0]?.tuples).toBe(1200);
    } finally {
      await fresh.close();
    }
  });

  (serverUrl() ? it : it.skip)(
    'answers the first query after the import CLI (another process) wrote a posting from what that process stored',
    async () => {
      const server = await freshServer();
      expectFigures(await statsOf(server, 'snap-a'), model, 'snap-a');
      const p: Model = {
        externalId: 's10',
        role: 'snap-a',
        salary: 150_000,
        employer: 'Cli Corp',
        postedAt: new Date(Date.now() - DAY),
        closedAt: null,
      };
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'figure-snapshots-'));
      const file = path.join(dir, 'one.csv');
      const r = row(p);
      fs.writeFileSync(file, `${Object.keys(r).join(',')}\n${Object.values(r).join(',')}\n`);
      try {
        const run = await runScript('scripts/import.ts', ['postings', file], { DATABASE_URL: db.url });
        expect(run.stderr).not.toMatch(/error|not precomputed/i);
        expect(run.code).toBe(0);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
      model.push(p);
      // The same server, whose cache holds the figures of before the write: the stored ones answer.
      const before = server.db.counter.count;
      expectFigures(await statsOf(server, 'snap-a'), model, 'snap-a');
      // The operation cache's check of its answer from before the write (which no longer holds),
      // the role (on a new snapshot) and the lookup of the figures the CLI stored.
      expect(server.db.counter.count - before).toBe(3);
    },
    120_000,
  );

  (serverUrl() ? it : it.skip)(
    "computes the figures the import CLI stores with DB_WORK_MEM, as the service's reads do (their sorts fit in it: no temporary files)",
    async () => {
      const fresh = await createTestDatabase();
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'figure-snapshots-'));
      // Temporary files of the database so far; the CLI's backends report theirs as they end.
      const tempFiles = async () =>
        (
          await fresh.pool.query<{ n: string }>(
            'SELECT temp_files::text AS n FROM pg_stat_database WHERE datname = current_database()',
          )
        ).rows[0]?.n;
      /** Imports 4,000 postings of one role with the CLI; the temporary files written meanwhile. */
      const importWith = async (workMem: string, batch: string): Promise<number> => {
        const rows = Array.from({ length: 4000 }, (_, i) =>
          row({
            externalId: `${batch}-${i}`,
            role: 'work-mem',
            salary: 40_000 + ((i * 7919) % 100_000),
            employer: `Work Mem ${i % 500}`,
            postedAt: new Date(now - (1 + (i % 30)) * DAY),
            closedAt: null,
          }),
        );
        const file = path.join(dir, `${batch}.csv`);
        fs.writeFileSync(
          file,
          `${Object.keys(rows[0] as object).join(',')}\n${rows.map((r) => Object.values(r).join(',')).join('\n')}\n`,
        );
        const before = Number(await tempFiles());
        const run = await runScript('scripts/import.ts', ['postings', file], {
          DATABASE_URL: fresh.url,
          DB_WORK_MEM: workMem,
        });
        expect(run.stderr).not.toMatch(/error|not precomputed/i);
        expect(run.code).toBe(0);
        // Statistics reach pg_stat_database shortly after a backend ends.
        let after = Number(await tempFiles());
        for (let i = 0; i < 50 && workMem === '64kB' && after === before; i++) {
          await new Promise((r) => setTimeout(r, 100));
          after = Number(await tempFiles());
        }
        return after - before;
      };
      try {
        // 64kB, PostgreSQL's least work_mem: the percentiles' sorts of 4,000 salaries spill.
        expect(await importWith('64kB', 'small')).toBeGreaterThan(0);
        expect(await importWith('64MB', 'large')).toBe(0);
        expect((await fresh.pool.query('SELECT count(*)::int AS n FROM figure_snapshot')).rows[0]?.n).toBeGreaterThan(
          0,
        );
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
        await fresh.close();
      }
    },
    120_000,
  );
});

describe('figure snapshots across roles: what a write to one role ends', () => {
  let db: TestDatabase;
  const opened: Database[] = [];
  const servers: RunningServer[] = [];
  const now = Date.now();

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    for (const server of servers) await server.close();
    for (const own of opened) await own.close();
    await db?.close();
  });

  /** A process that has computed nothing. */
  async function fresh(): Promise<{ server: RunningServer; own: Database }> {
    const own = await openDatabase({ url: db.url });
    opened.push(own);
    const server = await startTestServer(own);
    servers.push(server);
    return { server, own };
  }
  /**
   * Statements of the role's HTML page in a fresh process: 3 from its stored panels; computing
   * them, 7 when no role has rows of the current shared version, 8 when others have (the lookup
   * runs and finds none of this role's).
   */
  async function pageStatements(slug: string): Promise<number> {
    const { server, own } = await fresh();
    const before = own.counter.count;
    expect((await fetch(`${server.url}/roles/${slug}`)).status).toBe(200);
    return own.counter.count - before;
  }
  async function openingsOf(slug: string): Promise<number> {
    const { server } = await fresh();
    const res = await gql<{ role: { stats: { openings: number } } }>(
      server.url,
      `{ role(slug: "${slug}") { stats { openings employers salary { mean median } } } }`,
    );
    expect(res.errors).toBeUndefined();
    return res.data!.role.stats.openings;
  }

  it("ends a role's stored figures when a posting of another role in a group its posting leads closes (the group was open through it)", async () => {
    // One ad on two boards, filed under two roles: the earlier posting (cross-lead) leads the
    // group, which counts for its role while any member is open; here only the later one is.
    const ad = (externalId: string, role: string, postedDaysAgo: number, closedAt: string) => ({
      externalId,
      title: 'Platform Engineer',
      location: 'Lisbon',
      source: externalId,
      role,
      roleTitle: role,
      company: 'Same Ad Inc',
      salaryMin: 80_000,
      salaryCurrency: 'USD',
      salaryPeriod: 'YEAR',
      postedAt: new Date(now - postedDaysAgo * DAY).toISOString(),
      closedAt,
    });
    await importRows(db, 'postings', [
      ad('board-a', 'cross-lead', 10, new Date(now - 2 * DAY).toISOString()),
      ad('board-b', 'cross-member', 8, ''),
    ]);
    const { rows } = await db.pool.query<{ external_id: string; group_id: number | null; id: number }>(
      `SELECT external_id, group_id, id FROM posting WHERE title = 'Platform Engineer' ORDER BY posted_at`,
    );
    expect(rows.map((r) => r.group_id)).toEqual([rows[0]!.id, rows[0]!.id]);
    expect(await pageStatements('cross-lead')).toBe(3);
    expect(await openingsOf('cross-lead')).toBe(1);

    // Plain SQL closes the member: only a row of cross-member changes, yet cross-lead's group is closed now.
    await db.pool.query(`UPDATE posting SET closed_at = now() - interval '1 hour' WHERE external_id = 'board-b'`);
    expect(await openingsOf('cross-lead')).toBe(0);
    expect(await pageStatements('cross-lead')).toBe(8);
    // cross-member's own rows are outdated too (its posting changed).
    expect(await pageStatements('cross-member')).toBe(8);
  });

  it("keeps every role's stored figures through an exchange-rate write (they are in US dollars), ends a role's own when its salary observations change, and every role's at a TRUNCATE", async () => {
    const row = (externalId: string, role: string) => ({
      externalId,
      title: `Analyst ${externalId}`,
      source: 'cross-test',
      role,
      roleTitle: role,
      company: `Employer ${externalId}`,
      salaryMin: 70_000,
      salaryCurrency: 'USD',
      salaryPeriod: 'YEAR',
      postedAt: new Date(now - DAY).toISOString(),
      closedAt: '',
    });
    await importRows(db, 'postings', [row('r1', 'rate-a'), row('r2', 'rate-b')]);
    expect(await pageStatements('rate-a')).toBe(3);
    expect(await pageStatements('rate-b')).toBe(3);
    await db.pool.query(
      `INSERT INTO exchange_rate (currency, usd_per_unit, as_of) VALUES ('CHF', 1.1, DATE '2001-01-02')
       ON CONFLICT (currency, as_of) DO UPDATE SET usd_per_unit = EXCLUDED.usd_per_unit`,
    );
    expect(await pageStatements('rate-a')).toBe(3);
    expect(await pageStatements('rate-b')).toBe(3);

    await importRows(db, 'postings', [row('r3', 'rate-a'), row('r4', 'rate-b')]);
    expect(await pageStatements('rate-b')).toBe(3);
    // The salary observations of rate-a (plain SQL): rate-a computes, rate-b still reads its rows.
    await db.pool.query(
      `UPDATE salary_observation SET amount_usd = amount_usd + 1 WHERE role_id = (SELECT id FROM role WHERE slug = 'rate-a')`,
    );
    expect(await pageStatements('rate-a')).toBe(8);
    expect(await pageStatements('rate-b')).toBe(3);
    expect(await openingsOf('rate-b')).toBe(2);

    // A TRUNCATE names no rows: no role's stored figures answer (none of the shared version, so not even a lookup).
    await db.pool.query('TRUNCATE salary_observation');
    expect(await pageStatements('rate-b')).toBe(7);
    expect(await openingsOf('rate-b')).toBe(2);
  });
});
