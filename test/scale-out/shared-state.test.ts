import crypto from 'node:crypto';
import type { RunningServer } from '../../src/http/server.ts';
import { seedDatabase } from '../../src/catalog/seed.ts';
import { openSharedState, type SharedState } from '../../src/shared-state/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startTestServer } from '../support/server.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const QUERY = '{ role(slug: "backend-developer") { stats { openings salary { mean } } } }';
const HASH = crypto.createHash('sha256').update(QUERY).digest('hex');
const extensions = encodeURIComponent(JSON.stringify({ persistedQuery: { version: 1, sha256Hash: HASH } }));

async function byHash(server: RunningServer) {
  const res = await fetch(`${server.url}/graphql?extensions=${extensions}`, {
    headers: { 'apollo-require-preflight': 'true' },
  });
  return (await res.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
}

describe('two instances over one database and one Redis share what they remember between requests', () => {
  let db: TestDatabase;
  let sharedA: SharedState;
  let sharedB: SharedState;
  let a: RunningServer;
  let b: RunningServer;
  let alone: RunningServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db);
    // One key prefix for this run: other tests use the same Redis.
    const prefix = `jobstats-test-${crypto.randomBytes(6).toString('hex')}:`;
    sharedA = openSharedState({ url: REDIS_URL, prefix });
    sharedB = openSharedState({ url: REDIS_URL, prefix });
    expect(await sharedA.ready(10_000)).toBe(true);
    expect(await sharedB.ready(10_000)).toBe(true);
    a = await startTestServer(db, { shared: sharedA });
    b = await startTestServer(db, { shared: sharedB });
    // An instance without Redis: what the shared store changes is visible against it.
    alone = await startTestServer(db);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close(), alone?.close()]);
    const keys = (await sharedA?.redis?.keys(`${sharedA.prefix}*`)) ?? [];
    if (keys.length) await sharedA.redis?.del(...keys);
    await Promise.all([sharedA?.close(), sharedB?.close()]);
    await db?.close();
  });

  test('a persisted query registered on one instance runs by its hash alone on the other', async () => {
    expect((await byHash(b)).errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const register = await fetch(`${a.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: QUERY, extensions: { persistedQuery: { version: 1, sha256Hash: HASH } } }),
    });
    expect(register.status).toBe(200);
    const answer = await byHash(b);
    expect(answer.errors).toBeUndefined();
    expect(answer.data).toEqual({ role: { stats: { openings: 3, salary: { mean: 88800 } } } });
    // The instance without Redis never heard of it.
    expect((await byHash(alone)).errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(await sharedA.redis?.get(`${sharedA.prefix}apq:apq:${HASH}`)).toBe(QUERY);
  });
});
