import type { RunningServer } from '../../src/http/server.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startTestServer } from '../support/server.ts';

const ALLOWED = 'https://stats.example.org';

describe('CORS allows only configured origins; CSRF prevention blocks simple cross-site requests', () => {
  let db: TestDatabase;
  let open: RunningServer;
  let closed: RunningServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    open = await startTestServer(db, { corsOrigins: [ALLOWED] });
    closed = await startTestServer(db);
  });

  afterAll(async () => {
    await open?.close();
    await closed?.close();
    await db?.close();
  });

  function preflight(url: string, origin: string): Promise<Response> {
    return fetch(`${url}/graphql`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, authorization',
      },
    });
  }

  it('answers a preflight from a configured origin with 204 and echoes only that origin', async () => {
    const res = await preflight(open.url, ALLOWED);
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(res.headers.get('access-control-allow-methods')).toMatch(/POST/);
    expect(res.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    expect(res.headers.get('vary')).toMatch(/Origin/);

    const post = await fetch(`${open.url}/graphql`, {
      method: 'POST',
      headers: { origin: ALLOWED, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(post.status).toBe(200);
    expect(post.headers.get('access-control-allow-origin')).toBe(ALLOWED);
  });

  it('refuses a preflight from any other origin with 403 CORS_ORIGIN_NOT_ALLOWED and sends no CORS headers', async () => {
    for (const [server, origin] of [
      [open, 'https://evil.example'],
      [open, `${ALLOWED}.evil.example`],
      [closed, ALLOWED],
      [closed, 'null'],
    ] as const) {
      const res = await preflight(server.url, origin);
      expect(res.status).toBe(403);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      const body = (await res.json()) as { errors: { extensions: { code: string } }[] };
      expect(body.errors[0]?.extensions.code).toBe('CORS_ORIGIN_NOT_ALLOWED');

      const post = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(post.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it('blocks a simple (non-preflighted) cross-site request: Apollo CSRF prevention', async () => {
    // A form post or <img src> could send these without a preflight.
    const get = await fetch(`${closed.url}/graphql?query=${encodeURIComponent('{ __typename }')}`);
    expect(get.status).toBe(400);
    expect(await get.text()).toMatch(/Cross-Site Request Forgery/);
    const form = await fetch(`${closed.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(form.status).toBe(400);
    expect(await form.text()).toMatch(/Cross-Site Request Forgery/);
    // The same GET with a header that forces a preflight works.
    const ok = await fetch(`${closed.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(ok.status).toBe(200);
  });
});
