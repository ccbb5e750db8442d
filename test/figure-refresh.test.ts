import pg from 'pg';
import { createApiKey } from '../src/auth/api-keys.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase, type Database } from '../src/db/database.ts';
import type { RunningServer } from '../src/http/server.ts';
import { createTestDatabase, serverUrl, type TestDatabase } from './support/database.ts';
import { importRows } from './support/import-rows.ts';
import { mean, percentile } from './support/independent-stats.ts';
import { gql, startTestServer } from './support/server.ts';

const DAY = 24 * 3600 * 1000;
const REFRESH_LOCK = 7_305_163_411;

interface Model {
  externalId: string;
  role: string;
  salary: number;
  employer: string;
  postedAt: Date;
}

const STATS = `query($slug: String!) { role(slug: $slug) { stats { openings employers salary { count mean median } } } }`;
interface Stats {
  openings: number;
  employers: number;
  salary: { count: number; mean: number | null; median: number | null };
}
const CREATE = `mutation($input: CreatePostingInput!) { createPosting(input: $input) { posting { id } userErrors { field message } } }`;

/** The role's figures computed from the model without the service (every posting open). */
function expected(model: Model[], role: string): Stats {
  const open = model.filter((p) => p.role === role);
  const salaries = open.map((p) => p.salary);
  return {
    openings: open.length,
    employers: new Set(open.map((p) => p.employer)).size,
    salary: { count: salaries.length, mean: mean(salaries), median: percentile(salaries, 0.5) },
  };
}

describe('stored page panels refreshed after mutations (FIGURE_REFRESH)', () => {
  let db: TestDatabase;
  let key: string;
  const processes: { server: RunningServer; db: Database }[] = [];
  const now = Date.now();
  const model: Model[] = [
    { externalId: 'r1', role: 'refresh-a', salary: 90_000, employer: 'Acme', postedAt: new Date(now - 30 * DAY) },
    { externalId: 'r2', role: 'refresh-a', salary: 120_000, employer: 'Globex', postedAt: new Date(now - 20 * DAY) },
    { externalId: 'r3', role: 'refresh-b', salary: 60_000, employer: 'Umbrella', postedAt: new Date(now - 3 * DAY) },
  ];
  const row = (p: Model) => ({
    externalId: p.externalId,
    title: `Engineer ${p.externalId}`,
    source: 'refresh-test',
    role: p.role,
    company: p.employer,
    salaryMin: p.salary,
    salaryCurrency: 'USD',
    salaryPeriod: 'YEAR',
    postedAt: p.postedAt.toISOString(),
  });

  /** A server over a pool of its own; `refresh` turns the background refresh on (it runs only when flushed). */
  async function startProcess(refresh: boolean): Promise<{ server: RunningServer; db: Database }> {
    const own = await openDatabase({ url: db.url });
    const server = await startTestServer(
      own,
      refresh ? { figureRefresh: { delayMs: 3_600_000, statementTimeoutMs: 0 } } : {},
    );
    const started = { server, db: own };
    processes.push(started);
    return started;
  }
  async function statsOf(process: { server: RunningServer }, slug: string): Promise<Stats> {
    const res = await gql<{ role: { stats: Stats } }>(process.server.url, STATS, { slug });
    expect(res.errors).toBeUndefined();
    return res.data!.role.stats;
  }
  function expectFigures(stats: Stats, role: string): void {
    const want = expected(model, role);
    expect(stats.openings).toBe(want.openings);
    expect(stats.employers).toBe(want.employers);
    expect(stats.salary.count).toBe(want.salary.count);
    expect(stats.salary.mean).toBeCloseTo(want.salary.mean as number, 6);
    expect(stats.salary.median).toBeCloseTo(want.salary.median as number, 6);
  }
  /** Per role: whether all its 8 stored panels are current (the versions of now), and when they were stored. */
  const stored = async () =>
    (
      await db.pool.query<{ role: string; rows: number; current: boolean; stored: string }>(
        `SELECT r.slug AS role, count(*)::int AS rows,
                bool_and(f.version = (SELECT sum(shared)::text FROM data_version)
                  AND f.role_version = (SELECT coalesce(sum(v.version), 0)::text FROM role_version v WHERE v.role_id = f.role_id)) AS current,
                max(f.valid_from)::text AS stored
         FROM figure_snapshot f JOIN role r ON r.id = f.role_id GROUP BY r.slug ORDER BY r.slug`,
      )
    ).rows;
  async function createPosting(process: { server: RunningServer }, p: Model): Promise<void> {
    const res = await gql<{ createPosting: { userErrors: unknown[] } }>(
      process.server.url,
      CREATE,
      { input: { ...row(p), salaryMin: p.salary, postedAt: p.postedAt.toISOString() } },
      { authorization: `Bearer ${key}` },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.createPosting.userErrors).toEqual([]);
    model.push(p);
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    await importRows(db, 'postings', model.map(row));
    ({ key } = await createApiKey(db.pool, 'refresh-test'));
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

  it("stores again the panels of the role a mutation changed, with the mutation's figures, and leaves the other roles' rows as they were", async () => {
    const before = await stored();
    expect(before.map((r) => [r.role, r.rows, r.current])).toEqual([
      ['refresh-a', 8, true],
      ['refresh-b', 8, true],
    ]);
    const writer = await startProcess(true);
    await createPosting(writer, {
      externalId: 'r4',
      role: 'refresh-a',
      salary: 150_000,
      employer: 'Initech',
      postedAt: new Date(now - DAY),
    });
    expect((await stored()).map((r) => [r.role, r.current])).toEqual([
      ['refresh-a', false],
      ['refresh-b', true],
    ]);
    await writer.server.figureRefresher!.flush();
    const after = await stored();
    expect(after.map((r) => [r.role, r.rows, r.current])).toEqual([
      ['refresh-a', 8, true],
      ['refresh-b', 8, true],
    ]);
    expect(after[1]?.stored).toBe(before[1]?.stored);
    // Another process, which computed nothing: the page of refresh-a is the role, its sources and one lookup.
    const reader = await startProcess(false);
    const start = reader.db.counter.count;
    expect((await fetch(`${reader.server.url}/roles/refresh-a`)).status).toBe(200);
    expect(reader.db.counter.count - start).toBe(3);
    expectFigures(await statsOf(reader, 'refresh-a'), 'refresh-a');
    expect((await statsOf(reader, 'refresh-a')).openings).toBe(3);
    expectFigures(await statsOf(reader, 'refresh-b'), 'refresh-b');
  });

  it('refreshes nothing without FIGURE_REFRESH: the mutated role is computed by its readers, exactly', async () => {
    const writer = await startProcess(false);
    expect(writer.server.figureRefresher).toBeUndefined();
    await createPosting(writer, {
      externalId: 'r5',
      role: 'refresh-b',
      salary: 75_000,
      employer: 'Hooli',
      postedAt: new Date(now - DAY),
    });
    expect((await stored()).find((r) => r.role === 'refresh-b')?.current).toBe(false);
    expectFigures(await statsOf(await startProcess(false), 'refresh-b'), 'refresh-b');
    // A refresher started later finds the outdated role from the database itself, whoever wrote.
    const later = await startProcess(true);
    later.server.figureRefresher!.wrote();
    await later.server.figureRefresher!.flush();
    expect((await stored()).map((r) => [r.role, r.current])).toEqual([
      ['refresh-a', true],
      ['refresh-b', true],
    ]);
    expectFigures(await statsOf(await startProcess(false), 'refresh-b'), 'refresh-b');
  });

  (serverUrl() ? it : it.skip)(
    'runs one refresh at a time across processes: while another holds the lock nothing is stored, and the write is refreshed once it is free',
    async () => {
      const other = new pg.Client({ connectionString: db.url });
      await other.connect();
      try {
        await other.query('SELECT pg_advisory_lock($1)', [REFRESH_LOCK]);
        const writer = await startProcess(true);
        await createPosting(writer, {
          externalId: 'r6',
          role: 'refresh-a',
          salary: 110_000,
          employer: 'Acme',
          postedAt: new Date(now - 2 * DAY),
        });
        await writer.server.figureRefresher!.flush();
        expect((await stored()).find((r) => r.role === 'refresh-a')?.current).toBe(false);
        await other.query('SELECT pg_advisory_unlock($1)', [REFRESH_LOCK]);
        // The busy attempt left a refresh scheduled: flushing runs it.
        await writer.server.figureRefresher!.flush();
        expect((await stored()).find((r) => r.role === 'refresh-a')?.current).toBe(true);
        expectFigures(await statsOf(await startProcess(false), 'refresh-a'), 'refresh-a');
      } finally {
        await other.end();
      }
    },
  );

  (serverUrl() ? it : it.skip)(
    'cancels a refresh that is running when the server stops, and stores nothing of it',
    async () => {
      const writer = await startProcess(true);
      await createPosting(writer, {
        externalId: 'r7',
        role: 'refresh-b',
        salary: 82_000,
        employer: 'Vandelay',
        postedAt: new Date(now - 2 * DAY),
      });
      const blocker = new pg.Client({ connectionString: db.url });
      await blocker.connect();
      try {
        // The refresh reads posting, which this transaction keeps locked until it ends.
        await blocker.query('BEGIN; LOCK TABLE posting IN ACCESS EXCLUSIVE MODE');
        const flushed = writer.server.figureRefresher!.flush();
        const waiting = async () =>
          (
            await blocker.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
            )
          ).rows[0]?.n;
        while ((await waiting()) === 0) await new Promise((r) => setTimeout(r, 20));
        const stopping = processes.splice(processes.indexOf(writer), 1)[0]!;
        await stopping.server.close();
        await flushed;
        // Stopped with the lock still held: the refresh's statement was cancelled, not waited for.
        expect(await waiting()).toBe(0);
        await stopping.db.close();
        await blocker.query('ROLLBACK');
        expect((await stored()).find((r) => r.role === 'refresh-b')?.current).toBe(false);
        expectFigures(await statsOf(await startProcess(false), 'refresh-b'), 'refresh-b');
      } finally {
        await blocker.end();
      }
    },
  );

  it('is on by default, and a malformed FIGURE_REFRESH setting is named with its value and rule', () => {
    expect(loadConfig({})).toMatchObject({
      FIGURE_REFRESH: 'on',
      FIGURE_REFRESH_DELAY_MS: 2000,
      FIGURE_REFRESH_TIMEOUT_MS: 600_000,
    });
    expect(loadConfig({ FIGURE_REFRESH: 'off' }).FIGURE_REFRESH).toBe('off');
    expect(() => loadConfig({ FIGURE_REFRESH: 'sometimes' })).toThrow(
      'environment variable FIGURE_REFRESH="sometimes": must be on or off',
    );
    expect(() => loadConfig({ FIGURE_REFRESH_DELAY_MS: '-5' })).toThrow(
      'environment variable FIGURE_REFRESH_DELAY_MS="-5": must be a whole number 0..3600000',
    );
    expect(() => loadConfig({ FIGURE_REFRESH_TIMEOUT_MS: 'forever' })).toThrow(
      'environment variable FIGURE_REFRESH_TIMEOUT_MS="forever": must be a whole number 0..3600000',
    );
  });
});
