import pg from 'pg';
import { openDatabase } from '../../src/db/database.ts';
import { seedDatabase } from '../../src/catalog/seed.ts';
import { startService, type ChildService } from '../hardening/support/child-service.ts';
import {
  postgresBinDir,
  startThrowawayPostgres,
  type ThrowawayPostgres,
} from '../hardening/support/throwaway-postgres.ts';
import { runScript } from '../support/run.ts';

const describeWithServer = postgresBinDir() ? describe : describe.skip;

const OPENINGS = '{ role(slug: "backend-developer") { stats { openings } } }';

async function ask(url: string, query: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  return {
    status: res.status,
    body: (await res.json()) as {
      data?: { role?: { stats: { openings: number } } } | Record<string, unknown>;
      errors?: { message: string }[];
    },
  };
}

async function openings(url: string, headers: Record<string, string> = {}): Promise<number> {
  const answer = await ask(url, OPENINGS, headers);
  if (answer.status !== 200 || answer.body.errors)
    throw new Error(`query failed: ${answer.status} ${JSON.stringify(answer.body)}`);
  return (answer.body.data as { role: { stats: { openings: number } } }).role.stats.openings;
}

/** Read sessions per server, from the service's /metrics. */
async function readSessions(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const m of text.matchAll(/^jobstats_db_read_sessions_total\{server="([^"]+)"\} (\d+)/gm))
    counts[m[1] as string] = Number(m[2]);
  return counts;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, limitMs = 60_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - started > limitMs) throw new Error(`timed out after ${limitMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describeWithServer(
  'read replicas: queries on a streaming replica, writes on the primary, failover without a failed request',
  () => {
    let primary: ThrowawayPostgres;
    let replica: ThrowawayPostgres;
    let service: ChildService;
    let replicaName: string;

    beforeAll(async () => {
      primary = await startThrowawayPostgres();
      const db = await openDatabase({ url: primary.url, migrate: true });
      await seedDatabase(db);
      await db.close();
      replica = await startThrowawayPostgres({ replicaOf: primary });
      replicaName = `127.0.0.1:${replica.port}/postgres`;
      service = await startService(
        {
          DATABASE_URL: primary.url,
          DATABASE_READ_URLS: replica.url,
          DATABASE_READ_CHECK_MS: '200',
          RATE_LIMIT_PER_MINUTE: '0',
          // The test counts the read sessions of repeated queries: none may be answered whole from the operation cache.
          RESPONSE_CACHE_BYTES: '0',
          DB_CONNECT_TIMEOUT_MS: '1000',
        },
        120_000,
      );
      await until('the replica healthy in /readyz', async () => {
        const ready = (await (await fetch(`${service.url}/readyz`)).json()) as {
          replicas?: { name: string; healthy: boolean }[];
        };
        return ready.replicas?.[0]?.healthy ? true : undefined;
      });
    }, 240_000);

    afterAll(async () => {
      if (process.env.SHOW_SERVICE_OUTPUT) process.stdout.write(service?.output() ?? '');
      await service?.stop();
      await replica?.destroy();
      await primary?.destroy();
    });

    test('queries are answered from the replica, and /readyz and /metrics show its state and lag', async () => {
      const before = await readSessions(service.url);
      const replicaXacts = async () => {
        const client = new pg.Client({ connectionString: replica.url });
        await client.connect();
        const { rows } = await client.query<{ n: number }>(
          `SELECT xact_commit::int AS n FROM pg_stat_database WHERE datname = 'postgres'`,
        );
        await client.end();
        return rows[0]?.n ?? 0;
      };
      const xactsBefore = await replicaXacts();
      for (let i = 0; i < 30; i++) expect(await openings(service.url)).toBe(3);
      const after = await readSessions(service.url);
      expect((after[replicaName] ?? 0) - (before[replicaName] ?? 0)).toBe(30);
      expect(after.primary ?? 0).toBe(before.primary ?? 0);
      // The replica's own statistics count the 30 read transactions (and its health checks); its
      // backends report them to the statistics system within a second or so.
      await until(
        'the replica counting 30 more transactions',
        async () => ((await replicaXacts()) - xactsBefore >= 30 ? true : undefined),
        30_000,
      );
      const ready = (await (await fetch(`${service.url}/readyz`)).json()) as {
        ready: boolean;
        replicas: { name: string; healthy: boolean; lagMs: number }[];
      };
      expect(ready.ready).toBe(true);
      expect(ready.replicas).toEqual([expect.objectContaining({ name: replicaName, healthy: true })]);
      const metrics = await (await fetch(`${service.url}/metrics`)).text();
      expect(metrics).toContain(`jobstats_db_replica_up{replica="${replicaName}"} 1`);
      expect(metrics).toMatch(
        new RegExp(`jobstats_db_replica_lag_seconds\\{replica="${replicaName.replace(/[.]/g, '\\.')}"\\} [0-9.]+`),
      );
    });

    test('a write goes to the primary; its writer reads it at once, everyone else within the lag bound', async () => {
      const created = await runScript('scripts/apikey.ts', ['create', 'replica-test'], { DATABASE_URL: primary.url });
      expect(created.code).toBe(0);
      const key = created.stdout.trim().split('\n').pop() as string;
      const auth = { authorization: `Bearer ${key}` };
      const mutation = `mutation { createPosting(input: { role: "backend-developer", source: "replica-test", externalId: "r-1",
      company: "Replicated Ltd", postedAt: "2026-01-20T00:00:00Z", salaryMin: 90000, salaryMax: 90000, salaryCurrency: "USD", salaryPeriod: YEAR }) {
      userErrors { field message } } }`;
      const written = await ask(service.url, mutation, auth);
      expect(written.status).toBe(200);
      expect(written.body.errors).toBeUndefined();
      // The writer's next read sees the write, wherever it is served from.
      expect(await openings(service.url, auth)).toBe(4);
      const started = Date.now();
      await until(
        'the write on the replica, through the API',
        async () => ((await openings(service.url)) === 4 ? true : undefined),
        60_000,
      );
      process.stdout.write(`replica-test: an anonymous reader saw the write after ${Date.now() - started} ms\n`);
    });

    test('stopping the replica moves reads to the primary with no failed request; restarting it brings them back', async () => {
      let running = true;
      const failures: string[] = [];
      let answered = 0;
      const readers = Array.from({ length: 4 }, async () => {
        while (running) {
          const answer = await ask(service.url, OPENINGS);
          answered += 1;
          if (answer.status !== 200 || answer.body.errors)
            failures.push(`${answer.status} ${JSON.stringify(answer.body.errors)}`);
        }
      });
      try {
        await new Promise((r) => setTimeout(r, 500));
        await replica.stop('fast');
        const primaryBefore = (await readSessions(service.url)).primary ?? 0;
        await until('reads on the primary', async () =>
          ((await readSessions(service.url)).primary ?? 0) > primaryBefore + 5 ? true : undefined,
        );
        const ready = (await (await fetch(`${service.url}/readyz`)).json()) as {
          ready: boolean;
          replicas: { healthy: boolean }[];
        };
        expect(ready.ready).toBe(true);
        expect(ready.replicas[0]?.healthy).toBe(false);
        await replica.start();
        const replicaBefore = (await readSessions(service.url))[replicaName] ?? 0;
        await until('reads back on the replica', async () =>
          ((await readSessions(service.url))[replicaName] ?? 0) > replicaBefore + 5 ? true : undefined,
        );
      } finally {
        running = false;
        await Promise.all(readers);
      }
      expect(failures).toEqual([]);
      expect(answered).toBeGreaterThan(20);
    }, 180_000);
  },
);
