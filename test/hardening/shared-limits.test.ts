import crypto from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import pino from 'pino';
import { createApiKey } from '../../src/auth/api-keys.ts';
import { freePort } from '../../src/db/free-port.ts';
import type { RunningServer } from '../../src/http/server.ts';
import { openSharedState, type SharedState } from '../../src/shared-state/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { runScript } from '../support/run.ts';
import { startTestServer } from '../support/server.ts';

/** The machine's Redis (shared by everyone: every key of this run is under its own prefix). */
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const QUERY = JSON.stringify({ query: '{ __typename }' });
const MUTATION = JSON.stringify({
  query:
    'mutation { upsertRole(input: { slug: "shared-limits", title: "Shared limits" }) { role { slug } userErrors { message } } }',
});

function post(url: string, body = QUERY, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

/** Log lines of a server, as parsed JSON. */
function logCollector(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
  await redis.quit();
}

describe('with REDIS_URL, the rate limit and the API key cache hold across instances', () => {
  const prefixes: string[] = [];
  const opened: { servers: RunningServer[]; states: SharedState[] }[] = [];
  let db: TestDatabase;

  /** Two instances over one database and one Redis, under a prefix of their own (so a fresh allowance). */
  async function twoInstances(limit: number): Promise<[RunningServer, RunningServer]> {
    const prefix = `jobstats-test:${crypto.randomUUID()}:`;
    prefixes.push(prefix);
    const states = [openSharedState({ url: REDIS_URL, prefix }), openSharedState({ url: REDIS_URL, prefix })];
    for (const state of states) expect(await state.ready(10_000)).toBe(true);
    const servers = await Promise.all(states.map((shared) => startTestServer(db, { rateLimit: { limit }, shared })));
    opened.push({ servers, states });
    return [servers[0] as RunningServer, servers[1] as RunningServer];
  }

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    for (const { servers, states } of opened) {
      for (const server of servers) await server.close();
      for (const state of states) await state.close();
    }
    for (const prefix of prefixes) await deleteKeys(prefix);
    await db?.close();
  });

  it('lets 20 requests of one client through across two instances (RATE_LIMIT_PER_MINUTE=20), then answers 429 on both', async () => {
    const [a, b] = await twoInstances(20);
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await post(i % 2 === 0 ? a.url : b.url)).status);
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(200));
    expect(statuses.slice(20)).toEqual(Array(10).fill(429));
    const limited = await post(b.url);
    expect(limited.status).toBe(429);
    const body = (await limited.json()) as { errors: { extensions: Record<string, unknown> }[] };
    expect(body.errors[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 20, value: 31 });
  });

  it('shares a valid key between instances, and a key revoked with `npm run apikey -- revoke` is rejected by both at once', async () => {
    const [a, b] = await twoInstances(20);
    const { key, prefix: keyPrefix } = await createApiKey(db.pool, 'shared-limits');
    const auth = { authorization: `Bearer ${key}` };
    // One allowance for the key across both instances.
    const remaining: (string | null)[] = [];
    for (const url of [a.url, b.url, a.url, b.url]) {
      const res = await post(url, url === a.url ? QUERY : MUTATION, auth);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { errors?: unknown }).errors).toBeUndefined();
      remaining.push(res.headers.get('ratelimit-remaining'));
    }
    expect(remaining).toEqual(['19', '18', '17', '16']);

    const revoked = await runScript('scripts/apikey.ts', ['revoke', keyPrefix], {
      DATABASE_URL: db.url,
      REDIS_URL,
      REDIS_KEY_PREFIX: prefixes.at(-1),
    });
    expect(revoked.stderr).toBe('');
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toBe(`Revoked API key "shared-limits" (prefix ${keyPrefix}).\n`);

    // Both instances reject the key at once, and count its requests as the address's (whose
    // allowance is untouched: 19, 18), not as the key's (15, 14): the shared cache says invalid.
    const after: (string | null)[] = [];
    for (const url of [a.url, b.url]) {
      const res = await post(url, MUTATION, auth);
      expect(res.status).toBe(401);
      const errors = ((await res.json()) as { errors: { extensions: { code: string } }[] }).errors;
      expect(errors[0]?.extensions.code).toBe('UNAUTHENTICATED');
      after.push(res.headers.get('ratelimit-remaining'));
    }
    expect(after).toEqual(['19', '18']);
  });
});

describe('with Redis down, the service keeps answering on per-process limits and says so once per change', () => {
  let db: TestDatabase;
  let redisProcess: ChildProcess | undefined;
  let port: number;
  let shared: SharedState;
  let server: RunningServer;
  const logs = logCollector();

  const startRedis = async (): Promise<void> => {
    redisProcess = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
  };
  const stopRedis = async (): Promise<void> => {
    const child = redisProcess;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };
  const waitFor = async (condition: () => boolean, what: string): Promise<void> => {
    const deadline = Date.now() + 60_000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const messages = () => logs.lines.map((l) => String(l.msg));

  beforeAll(async () => {
    db = await createTestDatabase();
    port = await freePort();
    await startRedis();
    shared = openSharedState({ url: `redis://127.0.0.1:${port}`, prefix: 'jobstats-test:', logger: logs.logger });
    expect(await shared.ready(30_000)).toBe(true);
    server = await startTestServer(db, { rateLimit: { limit: 3 }, shared, logger: logs.logger });
  });

  afterAll(async () => {
    await server?.close();
    await shared?.close();
    await stopRedis();
    await db?.close();
  });

  it('counts in Redis, falls back to a per-process window while Redis is gone, and uses Redis again once it is back', async () => {
    expect((await post(server.url)).headers.get('ratelimit-remaining')).toBe('2');
    // Redis may have refused the very first connection attempt while it started: count from here.
    const count = (start: string) => messages().filter((m) => m.startsWith(start)).length;
    const [downBefore, upBefore] = [count('Redis unavailable'), count('Redis connected')];
    await stopRedis();
    await waitFor(() => !shared.available, 'the service to notice that Redis is gone');
    // Still answering, still limited: the per-process window starts afresh.
    const during: number[] = [];
    for (let i = 0; i < 5; i++) during.push((await post(server.url)).status);
    expect(during).toEqual([200, 200, 200, 429, 429]);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(count('Redis unavailable')).toBe(downBefore + 1);
    expect(count('Redis connected')).toBe(upBefore);

    await startRedis();
    await waitFor(() => shared.available, 'the service to reconnect to Redis');
    // The restarted Redis is empty: a fresh window of 3, counted there again.
    expect((await post(server.url)).headers.get('ratelimit-remaining')).toBe('2');
    expect(count('Redis connected')).toBe(upBefore + 1);
    expect(count('Redis unavailable')).toBe(downBefore + 1);
  });
});

describe('REDIS_URL at start', () => {
  it('stops `npm start` with one line naming a malformed REDIS_URL', async () => {
    const result = await runScript('src/main.ts', [], {
      REDIS_URL: 'http://127.0.0.1:6379',
      PGLITE_DIR: '/nonexistent/never-opened',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'error: environment variable REDIS_URL="http://127.0.0.1:6379": must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379/0\n',
    );
  });
});
