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

async function ask(url: string): Promise<Answer> {
  const started = Date.now();
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: QUERY }),
  });
  const body = (await res.json()) as Answer['body'];
  return { status: res.status, ms: Date.now() - started, body, retryAfter: res.headers.get('retry-after') };
}

const haveServer = Boolean(postgresBinDir());
const describeWithServer = haveServer ? describe : describe.skip;

describeWithServer('database outage: fail fast with SERVICE_UNAVAILABLE, stay up, recover by itself', () => {
  let pg: ThrowawayPostgres;
  let service: ChildService;

  beforeAll(async () => {
    pg = await startThrowawayPostgres();
    const db = await openDatabase({ url: pg.url, migrate: true });
    await db.pool.query(`INSERT INTO role (slug, title) VALUES ('backend-developer', 'Backend Developer')`);
    await db.close();
    service = await startService({ DATABASE_URL: pg.url, DB_CONNECT_TIMEOUT_MS: '1000', LOG_LEVEL: 'warn' });
  }, 300_000);

  afterAll(async () => {
    await service?.stop();
    await pg?.destroy();
  });

  it('answers normally, loses the database, answers 503 fast, and recovers within 5 s of its return', async () => {
    const before = await ask(service.url);
    expect(before.status).toBe(200);
    expect(before.body.data).toEqual({ role: { slug: 'backend-developer', stats: { openings: 0 } } });
    expect((await fetch(`${service.url}/readyz`)).status).toBe(200);

    await pg.stop('fast');

    // Several queries while it is down: each fails fast, with a code, and never as a 500.
    for (let i = 0; i < 5; i++) {
      const down = await ask(service.url);
      expect(down.status).toBe(503);
      expect(down.ms).toBeLessThan(1500);
      expect(down.retryAfter).toBe('5');
      expect(down.body.errors?.map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
      expect(down.body.errors?.[0]?.message).toBe('The database is unavailable; retry in a few seconds.');
    }
    const ready = await fetch(`${service.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { database: string }).database).toBe('unreachable');
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    expect(service.child.exitCode).toBeNull();

    // A crash (no clean disconnect) while idle connections exist is handled the same way.
    await pg.start();
    await waitForRecovery(service.url, 5000);
    await pg.stop('immediate');
    const crashed = await ask(service.url);
    expect(crashed.status).toBe(503);
    expect(crashed.body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');

    await pg.start();
    const recoveredIn = await waitForRecovery(service.url, 5000);
    expect(recoveredIn).toBeLessThan(5000);
    expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
    expect(service.child.exitCode).toBeNull();
    expect(service.output()).not.toMatch(/Unhandled|uncaught/i);
  }, 300_000);
});

/** Polls until the query answers 200 again; returns the milliseconds it took. */
async function waitForRecovery(url: string, limitMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const answer = await ask(url);
    if (answer.status === 200 && !answer.body.errors) return Date.now() - started;
    expect([503]).toContain(answer.status);
    if (Date.now() - started > limitMs)
      throw new Error(`no recovery within ${limitMs} ms: ${JSON.stringify(answer.body)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
