import pg from 'pg';
import { openDatabase } from '../../src/db/database.ts';
import { startService, type ChildService } from './support/child-service.ts';
import { postgresBinDir, startThrowawayPostgres, type ThrowawayPostgres } from './support/throwaway-postgres.ts';

const QUERY = '{ role(slug: "backend-developer") { slug stats { openings } } }';

interface Answer {
  status: number;
  ms: number;
  body: { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
  retryAfter: string | null;
}

async function ask(url: string, signal?: AbortSignal, query = QUERY): Promise<Answer> {
  const started = Date.now();
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
    signal,
  });
  const body = (await res.json()) as Answer['body'];
  return { status: res.status, ms: Date.now() - started, body, retryAfter: res.headers.get('retry-after') };
}

const codes = (a: Answer) => a.body.errors?.map((e) => e.extensions?.code);

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

const describeWithServer = postgresBinDir() ? describe : describe.skip;

// Generous bounds: the machine may be loaded, and what is checked is "answers" versus "hangs".
const ANSWER_BOUND_MS = 30_000;

describeWithServer('busy is not down: statement timeout, pool wait, cancelled statements, frozen server', () => {
  let server: ThrowawayPostgres;
  let admin: pg.Client;
  /** Statement timeout 1.5 s. */
  let quick: ChildService;
  /** Statement timeout 2 minutes, two connections, 500 ms pool wait. */
  let patient: ChildService;

  /** Statements of the services that are running on `posting` right now. */
  async function runningOnPosting(): Promise<number> {
    const { rows } = await admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
       WHERE pid <> pg_backend_pid() AND state = 'active' AND query ILIKE '%posting p%'`,
    );
    return rows[0]?.n ?? 0;
  }

  /** A side transaction that holds an exclusive lock on `posting`, so that every statistic waits. */
  async function lockPostings(): Promise<pg.Client> {
    const locker = new pg.Client({ connectionString: server.url });
    await locker.connect();
    await locker.query('BEGIN; LOCK TABLE posting IN ACCESS EXCLUSIVE MODE');
    return locker;
  }

  beforeAll(async () => {
    server = await startThrowawayPostgres();
    const db = await openDatabase({ url: server.url, migrate: true });
    await db.pool.query(`INSERT INTO role (slug, title) VALUES ('backend-developer', 'Backend Developer')`);
    await db.close();
    admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    const common = {
      DATABASE_URL: server.url,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '0',
      DB_CONNECT_TIMEOUT_MS: '1000',
    };
    quick = await startService({ ...common, DB_STATEMENT_TIMEOUT_MS: '1500' });
    patient = await startService({
      ...common,
      DB_STATEMENT_TIMEOUT_MS: '120000',
      DB_POOL_MAX: '2',
      DB_POOL_WAIT_MS: '500',
    });
  }, 180_000);

  afterAll(async () => {
    await server?.thaw();
    await admin?.end().catch(() => undefined);
    await quick?.stop();
    await patient?.stop();
    await server?.destroy();
  });

  it('answers a statement that runs past DB_STATEMENT_TIMEOUT_MS with TIMEOUT, 503 and Retry-After, and stays up', async () => {
    expect((await ask(quick.url)).status).toBe(200);
    const locker = await lockPostings();
    try {
      const answer = await ask(quick.url);
      expect(answer.status).toBe(503);
      expect(answer.retryAfter).toBe('2');
      expect(codes(answer)).toEqual(['TIMEOUT']);
      expect(answer.ms).toBeLessThan(ANSWER_BOUND_MS);
      // The server cancelled the statement itself: nothing is left running.
      expect(await until(async () => (await runningOnPosting()) === 0, 10_000)).toBe(true);
    } finally {
      await locker.end();
    }
    expect((await ask(quick.url)).status).toBe(200);
  }, 120_000);

  it('cancels the statements of a request whose client disconnects, long before the statement timeout', async () => {
    const locker = await lockPostings();
    try {
      const controller = new AbortController();
      const gone = ask(patient.url, controller.signal).catch((error: unknown) => error);
      expect(await until(async () => (await runningOnPosting()) === 1, 20_000)).toBe(true);
      controller.abort();
      expect((await gone) as { name?: string }).toMatchObject({ name: 'AbortError' });
      // The statement would otherwise wait for the lock for 2 minutes.
      expect(await until(async () => (await runningOnPosting()) === 0, 15_000)).toBe(true);
    } finally {
      await locker.end();
    }
    expect((await ask(patient.url)).status).toBe(200);
  }, 120_000);

  it('cancels the statements of a role page whose reader goes away, as for an API client', async () => {
    const locker = await lockPostings();
    try {
      const controller = new AbortController();
      const gone = fetch(`${patient.url}/roles/backend-developer`, { signal: controller.signal }).catch(
        (error: unknown) => error,
      );
      expect(await until(async () => (await runningOnPosting()) >= 1, 20_000)).toBe(true);
      controller.abort();
      expect((await gone) as { name?: string }).toMatchObject({ name: 'AbortError' });
      expect(await until(async () => (await runningOnPosting()) === 0, 15_000)).toBe(true);
    } finally {
      await locker.end();
    }
    expect((await fetch(`${patient.url}/roles/backend-developer`)).status).toBe(200);
  }, 120_000);

  it('answers OVERLOADED (503, Retry-After, no data) when no pool connection comes free within DB_POOL_WAIT_MS, and /readyz stays 200', async () => {
    const locker = await lockPostings();
    let held: Promise<Answer>[] = [];
    try {
      // Two requests take the pool's two connections and wait on the lock. The three queries
      // differ (their alias), because identical queries in flight together execute once.
      const distinct = (alias: string) => QUERY.replace('role(', `${alias}: role(`);
      held = [ask(patient.url, undefined, distinct('first')), ask(patient.url, undefined, distinct('second'))];
      expect(await until(async () => (await runningOnPosting()) === 2, 20_000)).toBe(true);
      const answer = await ask(patient.url, undefined, distinct('third'));
      expect(answer.status).toBe(503);
      expect(answer.retryAfter).toBe('2');
      expect(codes(answer)).toEqual(['OVERLOADED']);
      expect(answer.body.data).toBeUndefined();
      expect(answer.ms).toBeLessThan(ANSWER_BOUND_MS);
      const ready = await fetch(`${patient.url}/readyz`);
      expect(ready.status).toBe(200);
    } finally {
      await locker.end();
    }
    // Once the lock is gone the waiting requests finish normally.
    for (const answer of await Promise.all(held)) expect(answer.status).toBe(200);
  }, 120_000);

  it('answers within the timeouts while the database is frozen (SIGSTOP), and recovers once it runs again', async () => {
    expect((await ask(quick.url)).status).toBe(200);
    await server.freeze();
    try {
      const [answer, ready] = await Promise.all([
        ask(quick.url),
        (async () => {
          const started = Date.now();
          const res = await fetch(`${quick.url}/readyz`);
          return { status: res.status, ms: Date.now() - started };
        })(),
      ]);
      expect(answer.status).toBe(503);
      expect(answer.retryAfter).not.toBeNull();
      expect(['TIMEOUT', 'SERVICE_UNAVAILABLE']).toContain(codes(answer)?.[0]);
      expect(answer.ms).toBeLessThan(ANSWER_BOUND_MS);
      expect(ready.status).toBe(503);
      expect(ready.ms).toBeLessThan(ANSWER_BOUND_MS);
      expect((await fetch(`${quick.url}/healthz`)).status).toBe(200);
    } finally {
      await server.thaw();
    }
    expect(await until(async () => (await ask(quick.url)).status === 200, 30_000)).toBe(true);
    expect((await fetch(`${quick.url}/readyz`)).status).toBe(200);
    expect(quick.child.exitCode).toBeNull();
  }, 120_000);
});
