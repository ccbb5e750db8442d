import path from 'node:path';
import pg from 'pg';
import { createScratchDatabase, type ScratchDatabase } from '../../src/db/scratch-database.ts';
import { startService, type ChildService } from '../hardening/support/child-service.ts';
import { serverUrl } from '../support/database.ts';
import { pgbouncerBinary, startPgBouncer, type RunningPgBouncer } from '../support/pgbouncer.ts';
import { ROOT, runScript } from '../support/run.ts';

const base = serverUrl();
// In CI (CI set) a missing pgbouncer fails the test instead of skipping it: .ci/run installs it.
const describeBehindPooler = base && (pgbouncerBinary() || process.env.CI) ? describe : describe.skip;
if (!base || (!pgbouncerBinary() && !process.env.CI)) {
  // Skipped, not failed: the test needs a PostgreSQL server (DATABASE_URL) and Debian's pgbouncer.
  console.warn('pgbouncer test skipped: needs DATABASE_URL and /usr/sbin/pgbouncer (apt-get install pgbouncer)');
}

const STATS = '{ role(slug: "backend-developer") { stats { openings employers salary { mean median p25 p75 } } } }';

async function gqlAt(url: string, query: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  return {
    status: res.status,
    body: (await res.json()) as { data?: Record<string, unknown>; errors?: { message: string }[] },
  };
}

describeBehindPooler(
  'behind PgBouncer in transaction mode: every answer right, no session state left on shared connections',
  () => {
    let scratch: ScratchDatabase;
    let bouncer: RunningPgBouncer;
    let service: ChildService;
    let pooled: string;

    beforeAll(async () => {
      scratch = await createScratchDatabase(base as string, 'jobstats_pgbouncer');
      const u = new URL(scratch.url);
      bouncer = await startPgBouncer({
        host: u.hostname,
        port: Number(u.port || 5432),
        poolSize: Number(process.env.PGB_POOL ?? 2),
      });
      pooled = bouncer.url(u.pathname.slice(1));
      // Migrations and the seed run through the pooler too, as a deployment behind one would.
      const deploy = await runScript('scripts/migrate.ts', [], { DATABASE_URL: pooled });
      expect(deploy.stderr).not.toMatch(/error/i);
      expect(deploy.code).toBe(0);
      const seed = await runScript('scripts/seed.ts', [], { DATABASE_URL: pooled });
      expect(seed.code).toBe(0);
      service = await startService(
        { DATABASE_URL: pooled, DB_POOL_MAX: '10', RATE_LIMIT_PER_MINUTE: '0', DB_PREPARED_STATEMENTS: 'false' },
        120_000,
      );
    }, 240_000);

    afterAll(async () => {
      await service?.stop();
      await bouncer?.stop();
      await scratch?.drop();
    });

    test('forty concurrent statistics queries over two server connections all answer the seed figures', async () => {
      const answers = await Promise.all(Array.from({ length: 40 }, () => gqlAt(service.url, STATS)));
      for (const answer of answers) {
        expect(answer.status).toBe(200);
        expect(answer.body.errors).toBeUndefined();
        expect(answer.body.data).toEqual({
          role: {
            stats: { openings: 3, employers: 3, salary: { mean: 88800, median: 87800, p25: 86400, p75: 90700 } },
          },
        });
      }
    }, 120_000);

    test('an import through the pooler, while queries share its server connections, writes every row', async () => {
      const file = path.join(ROOT, 'test/fixtures/fourth-posting.csv');
      // Readers keep both server connections changing hands between the import's transactions.
      let importing = true;
      const readers = Array.from({ length: 4 }, async () => {
        let answered = 0;
        while (importing) {
          const answer = await gqlAt(service.url, STATS);
          expect(answer.status).toBe(200);
          answered += 1;
        }
        return answered;
      });
      const result = await runScript('scripts/import.ts', ['postings', file], { DATABASE_URL: pooled }).finally(() => {
        importing = false;
      });
      expect((await Promise.all(readers)).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      expect(result.stderr).not.toMatch(/error/i);
      expect(result.code).toBe(0);
      const answer = await gqlAt(
        service.url,
        '{ role(slug: "backend-developer") { stats { openings salary { mean } } } }',
      );
      expect(answer.body.data).toEqual({ role: { stats: { openings: 4, salary: { mean: 91600 } } } });
    }, 120_000);

    test('a mutation with an API key through the pooler is written once and read back', async () => {
      const created = await runScript('scripts/apikey.ts', ['create', 'pooler-test'], { DATABASE_URL: pooled });
      expect(created.code).toBe(0);
      const key = /(js_[A-Za-z0-9_-]+|[A-Za-z0-9_-]{32,})/.exec(created.stdout)?.[1];
      expect(key).toBeDefined();
      const mutation = `mutation { createPosting(input: { role: "backend-developer", source: "pooler", externalId: "p-1",
      company: "Pooled Inc", postedAt: "2026-01-20T00:00:00Z", salaryMin: 100000, salaryMax: 100000, salaryCurrency: "USD", salaryPeriod: YEAR }) {
      posting { externalId } userErrors { field message } } }`;
      const before = await gqlAt(service.url, '{ role(slug: "backend-developer") { stats { openings } } }');
      const openingsBefore = (before.body.data as { role: { stats: { openings: number } } }).role.stats.openings;
      const answer = await gqlAt(service.url, mutation, { authorization: `Bearer ${key}` });
      expect(answer.body.errors).toBeUndefined();
      const count = await gqlAt(service.url, '{ role(slug: "backend-developer") { stats { openings } } }');
      expect(count.body.data).toEqual({ role: { stats: { openings: openingsBefore + 1 } } });
    }, 120_000);

    test('the shared server connections carry no settings, prepared statements or temporary tables afterwards', async () => {
      // Through the pooler, each query may land on either server connection: ask several times.
      const client = new pg.Client({ connectionString: pooled });
      await client.connect();
      try {
        for (let i = 0; i < 6; i++) {
          const { rows } = await client.query<{ timeout: string; work_mem: string; prepared: number; temp: number }>(
            `SELECT current_setting('statement_timeout') AS timeout, current_setting('work_mem') AS work_mem,
                  (SELECT count(*)::int FROM pg_prepared_statements) AS prepared,
                  (SELECT count(*)::int FROM pg_class WHERE relpersistence = 't') AS temp`,
          );
          const defaults = await client.query<{ timeout: string; work_mem: string }>(
            `SELECT reset_val AS timeout, (SELECT reset_val FROM pg_settings WHERE name = 'work_mem') AS work_mem FROM pg_settings WHERE name = 'statement_timeout'`,
          );
          expect(rows[0]?.prepared).toBe(0);
          // No advisory lock (the migrator's, the regrouping's) outlives its transaction.
          const locks = await client.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
          );
          expect(locks.rows[0]?.n).toBe(0);
          expect(rows[0]?.temp).toBe(0);
          // current_setting shows the unit form, reset_val the raw value: compare through pg_settings.
          const now = await client.query<{ setting: string }>(
            `SELECT setting FROM pg_settings WHERE name = 'statement_timeout'`,
          );
          expect(now.rows[0]?.setting).toBe(defaults.rows[0]?.timeout);
          const mem = await client.query<{ setting: string }>(
            `SELECT setting FROM pg_settings WHERE name = 'work_mem'`,
          );
          expect(mem.rows[0]?.setting).toBe(defaults.rows[0]?.work_mem);
        }
      } finally {
        await client.end();
      }
    });
  },
);
