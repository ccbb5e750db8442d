import type { RunningServer } from '../../src/http/server.ts';
import { createApiKey } from '../../src/auth/api-keys.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startTestServer } from '../support/server.ts';

const QUERY = JSON.stringify({ query: '{ __typename }' });

function send(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: QUERY,
  });
}

describe('rate limit: 429 with Retry-After and RateLimit-* headers, per API key or client address', () => {
  let db: TestDatabase;
  let direct: RunningServer;
  let proxied: RunningServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    direct = await startTestServer(db, { rateLimit: { limit: 3 } });
    proxied = await startTestServer(db, { rateLimit: { limit: 2, trustProxy: 1 } });
  });

  afterAll(async () => {
    await direct?.close();
    await proxied?.close();
    await db?.close();
  });

  it('counts down RateLimit-Remaining, then answers 429 RATE_LIMITED naming the limit and the count', async () => {
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await send(direct.url);
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-limit')).toBe('3');
      expect(res.headers.get('ratelimit-policy')).toBe('3;w=60');
      const reset = Number(res.headers.get('ratelimit-reset'));
      expect(reset).toBeGreaterThanOrEqual(1);
      expect(reset).toBeLessThanOrEqual(60);
      remaining.push(res.headers.get('ratelimit-remaining') ?? '');
    }
    expect(remaining).toEqual(['2', '1', '0']);

    const limited = await send(direct.url);
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.headers.get('ratelimit-remaining')).toBe('0');
    expect(limited.headers.get('ratelimit-reset')).toBe(String(retryAfter));
    const body = (await limited.json()) as { errors: { message: string; extensions: Record<string, unknown> }[] };
    expect(body.errors[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 3, value: 4, retryAfter });
    expect(body.errors[0]?.message).toBe(
      `Rate limit of 3 requests per 60 s exceeded (request 4 in this window); retry after ${retryAfter} s.`,
    );

    // Health checks are never limited.
    expect((await fetch(`${direct.url}/healthz`)).status).toBe(200);
  });

  it('gives each valid API key its own allowance, separate from the address', async () => {
    for (const name of ['key-one', 'key-two']) {
      const { key } = await createApiKey(db.pool, name);
      for (let i = 0; i < 3; i++) expect((await send(direct.url, { authorization: `Bearer ${key}` })).status).toBe(200);
      expect((await send(direct.url, { authorization: `Bearer ${key}` })).status).toBe(429);
    }
  });

  it('counts requests with invented keys against the client address, so new keys buy no allowance', async () => {
    // The address's allowance is spent (first test): every invented key is refused too.
    for (let i = 0; i < 5; i++) {
      const res = await send(direct.url, { authorization: `Bearer jsk_000000000000_invented${i}` });
      expect(res.status).toBe(429);
    }
  });

  it('ignores X-Forwarded-For unless a proxy is trusted', async () => {
    // `direct` trusts no proxy: a forged header does not buy a new allowance (the address is already over).
    expect((await send(direct.url, { 'x-forwarded-for': '203.0.113.9' })).status).toBe(429);

    // `proxied` trusts one hop: the last address in the header is the client.
    for (const client of ['198.51.100.1', '198.51.100.2']) {
      expect((await send(proxied.url, { 'x-forwarded-for': client })).status).toBe(200);
      expect((await send(proxied.url, { 'x-forwarded-for': `10.9.9.9, ${client}` })).status).toBe(200);
      const third = await send(proxied.url, { 'x-forwarded-for': `spoofed-${Math.random()}, ${client}` });
      expect(third.status).toBe(429);
    }
  });
});
