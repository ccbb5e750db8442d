import { Writable } from 'node:stream';
import type { RunningServer } from '../../src/http/server.ts';
import { createLogger } from '../../src/logger.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startTestServer } from '../support/server.ts';
import { startService } from './support/child-service.ts';
import { freePort } from '../../src/db/free-port.ts';

const API_KEY = 'jsk_live_5ecret-api-key-0f1e2d3c4b5a';
const PASSWORD = 'pa55-w0rd-in-the-url';

/** A pino destination that keeps every line. */
function capture(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { stream, lines };
}

async function traffic(url: string): Promise<string[]> {
  const ids: string[] = [];
  const requests: [string, RequestInit][] = [
    [
      '/graphql',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
        body: JSON.stringify({ query: '{ role(slug: "backend-developer") { slug } }' }),
      },
    ],
    [
      '/graphql',
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${API_KEY}`,
          cookie: `session=${API_KEY}`,
        },
        body: JSON.stringify({ query: 'mutation { closePosting(input: { id: "x" }) { userErrors { message } } }' }),
      },
    ],
    [
      '/graphql',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `bearer ${API_KEY}` },
        body: '{not json',
      },
    ],
    [
      '/graphql',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': API_KEY, authorization: `Bearer ${API_KEY}` },
        body: JSON.stringify({ query: '{ nope }' }),
      },
    ],
    ['/readyz', { headers: { authorization: `Bearer ${API_KEY}` } }],
    ['/metrics', { headers: { authorization: `Bearer ${API_KEY}` } }],
  ];
  for (const [path, init] of requests) {
    const res = await fetch(`${url}${path}`, init);
    await res.text();
    ids.push(res.headers.get('x-request-id') ?? '');
  }
  return ids;
}

describe('logs: JSON with a request id, and never a secret', () => {
  let db: TestDatabase;
  let server: RunningServer;
  const log = capture();

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db, { logger: createLogger('trace', log.stream) });
  });

  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  it('logs each request as JSON with the id returned in X-Request-Id, and no API key', async () => {
    const ids = await traffic(server.url);
    const mine = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'client-chosen.id_1' } });
    expect(mine.headers.get('x-request-id')).toBe('client-chosen.id_1');
    const forged = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(forged.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    await new Promise((r) => setTimeout(r, 50));

    expect(log.lines.length).toBeGreaterThanOrEqual(ids.length);
    const entries = log.lines.map(
      (line) => JSON.parse(line) as { req?: { id?: string; headers?: Record<string, string> } },
    );
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(entries.some((entry) => entry.req?.id === id)).toBe(true);
    }
    expect(entries.some((entry) => entry.req?.id === 'client-chosen.id_1')).toBe(true);
    expect(entries.find((entry) => entry.req?.headers?.authorization)?.req?.headers?.authorization).toBe('[redacted]');
    for (const line of log.lines) expect(line).not.toContain(API_KEY);
  });

  it('never writes the DATABASE_URL password or an API key, from start to shutdown (the service as a process)', async () => {
    const url = new URL(db.url);
    // The embedded test database's socket checks its own password (a random token): keep that one.
    const password = url.password || PASSWORD;
    url.password = password;
    const service = await startService({
      DATABASE_URL: url.toString(),
      DB_POOL_MAX: '1',
      LOG_LEVEL: 'trace',
      NODE_ENV: 'development',
    });
    try {
      await traffic(service.url);
    } finally {
      expect(await service.stop()).toEqual({ code: 0, signal: null });
    }
    const output = service.output();
    expect(output).toMatch(/"msg":"database ready"/);
    expect(output).toContain('***@');
    expect(output).not.toContain(password);
    expect(output).not.toContain(API_KEY);

    // A database that cannot be reached at start-up: one line naming the host, without the password.
    const closedPort = await freePort();
    const failed = await startService({
      DATABASE_URL: `postgresql://postgres:${PASSWORD}@127.0.0.1:${closedPort}/x`,
    }).then(
      () => {
        throw new Error('the service started without a database');
      },
      (error: Error) => error.message,
    );
    expect(failed).toContain(`127.0.0.1:${closedPort}`);
    expect(failed).not.toContain(PASSWORD);
  }, 300_000);
});
