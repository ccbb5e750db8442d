import { Writable } from 'node:stream';
import pino from 'pino';
import { openDatabase, type Database } from '../../src/db/database.ts';
import type { RunningServer } from '../../src/http/server.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startTestServer } from '../support/server.ts';
import { postgresBinDir, startThrowawayPostgres, type ThrowawayPostgres } from './support/throwaway-postgres.ts';

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

async function page(url: string): Promise<{ status: number; html: string; headers: Headers }> {
  const res = await fetch(url);
  return { status: res.status, html: await res.text(), headers: res.headers };
}

const slugsOf = (html: string) => [...html.matchAll(/<tr data-slug="([^"]+)"/g)].map((m) => m[1]);
const ROLES = 250;

describe('pages hold the same line as the API', () => {
  let db: TestDatabase;
  let server: RunningServer;
  let limited: RunningServer;
  const logs = logCollector();

  beforeAll(async () => {
    db = await createTestDatabase();
    // 250 roles with titles in a known order: "Role 000" .. "Role 249".
    await db.pool.query(
      `INSERT INTO role (slug, title) SELECT 'role-' || lpad(i::text, 3, '0'), 'Role ' || lpad(i::text, 3, '0') FROM generate_series(0, $1 - 1) i`,
      [ROLES],
    );
    server = await startTestServer(db, { logger: logs.logger });
    limited = await startTestServer(db, { rateLimit: { limit: 3 } });
  });

  afterAll(async () => {
    await server?.close();
    await limited?.close();
    await db?.close();
  });

  it.each([
    ['/roles/%00', 400, 'must not contain the NUL character'],
    ['/roles/a%00b', 400, 'must not contain the NUL character'],
    ['/roles/%FF', 400, 'not valid percent-encoded UTF-8'],
    ['/roles/%E0%A4', 400, 'not valid percent-encoded UTF-8'],
    ['/roles/%ED%A0%80', 400, 'not valid percent-encoded UTF-8'],
    ['/roles/%', 400, 'not valid percent-encoded UTF-8'],
    ['/roles/a%0Ab', 400, 'must not contain control characters'],
    ['/roles/aaa…(201 characters)', 404, 'role names have at most 200'],
    ['/roles/aaa…(5000 characters)', 404, 'role names have at most 200'],
    ['/roles/no-such-role', 404, 'There is no role called'],
    ['/roles/a/b', 404, 'There is no page at /roles/a/b'],
    ['/roles?page=0', 400, 'page must be a whole number from 1'],
    ['/roles?page=x', 400, 'page must be a whole number from 1'],
    // Keyset pages: a later page is reached through its link, which names the row it starts after.
    ['/roles?page=2', 400, 'a page after the first is reached through its link'],
    ['/roles?after=WyJSb2xlIl0', 400, 'after= belongs to a page after the first'],
    ['/roles?page=2&after=not!a!cursor', 400, 'must be a cursor returned by this list'],
    ['/roles?sort=salary', 400, 'sort must be one of'],
  ])('GET %s is %i, with an error page, no stack trace logged', async (path, status, message) => {
    const before = logs.lines.length;
    const long = /^\/roles\/aaa…\((\d+) characters\)$/.exec(path);
    const res = await page(`${server.url}${long ? `/roles/${'a'.repeat(Number(long[1]))}` : path}`);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.html).toContain(message.replace(/"/g, '&quot;'));
    const logged = logs.lines.slice(before);
    expect(logged.filter((l) => Number(l.level) >= 50)).toEqual([]);
    expect(JSON.stringify(logged)).not.toContain('"stack"');
  });

  /** Follows the rel="next" links from the first page: each page's HTML and the link that led to it. */
  async function walk(first: string): Promise<{ href: string; html: string }[]> {
    const visited: { href: string; html: string }[] = [];
    let next: string | undefined = first;
    while (next) {
      const res = await page(`${server.url}${next}`);
      expect(res.status).toBe(200);
      visited.push({ href: next, html: res.html });
      next = /<a href="([^"]+)" rel="next">/.exec(res.html)?.[1]?.replace(/&amp;/g, '&');
      if (next)
        expect(next).toMatch(
          new RegExp(`^${first.replace(/\?/, '\\?')}&page=${visited.length + 1}&after=[A-Za-z0-9_%-]+$`),
        );
    }
    return visited;
  }

  it('lists at most 100 roles a page, with links to the next, keeping the sort', async () => {
    const expected = Array.from({ length: ROLES }, (_, i) => `role-${String(i).padStart(3, '0')}`);
    const pages = await walk('/roles?sort=title&dir=desc');
    for (const { html } of pages) {
      expect(slugsOf(html).length).toBeLessThanOrEqual(100);
      expect(html).toContain(`${ROLES} roles with live figures`);
    }
    expect(pages).toHaveLength(3);
    expect(pages.flatMap(({ html }) => slugsOf(html))).toEqual([...expected].reverse());
    // The degree share, ordered on the page, is paginated the same way.
    const degree = await walk('/roles?sort=degree&dir=desc');
    expect(degree).toHaveLength(3);
    const last = (degree[2] as { html: string }).html;
    expect(slugsOf(last)).toHaveLength(50);
    expect(last).toContain('rel="first"');
    expect(last).not.toContain('rel="next"');
    expect(new Set(degree.flatMap(({ html }) => slugsOf(html)))).toEqual(new Set(expected));
  });

  it('a page number past the end, with a cursor, is 404 naming the number of pages', async () => {
    const pages = await walk('/roles?sort=title&dir=asc');
    const beyond = (pages[2] as { href: string }).href.replace('&page=3&', '&page=4&');
    const res = await page(`${server.url}${beyond}`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.html).toContain('There is no page 4: the list of roles has 3 pages');
  });

  it('shares the rate limit with /graphql: 429 with Retry-After as an HTML page', async () => {
    expect((await page(`${limited.url}/roles/role-001`)).status).toBe(200);
    const gql = await fetch(`${limited.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query":"{ __typename }"}',
    });
    expect(gql.status).toBe(200);
    expect(gql.headers.get('ratelimit-remaining')).toBe('1');
    expect((await page(`${limited.url}/roles`)).status).toBe(200);
    const over = await page(`${limited.url}/roles/role-002`);
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(over.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(over.html).toContain('Rate limit of 3 requests per 60 s exceeded (request 4 in this window)');
    expect(
      (
        await fetch(`${limited.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"query":"{ __typename }"}',
        })
      ).status,
    ).toBe(429);
  });
});

const describeWithServer = postgresBinDir() ? describe : describe.skip;

describeWithServer('a page whose database is down', () => {
  let pg: ThrowawayPostgres;
  let db: Database;
  let server: RunningServer;

  beforeAll(async () => {
    pg = await startThrowawayPostgres();
    db = await openDatabase({ url: pg.url, migrate: true, connectTimeoutMs: 1000 });
    await db.pool.query(`INSERT INTO role (slug, title) VALUES ('backend-developer', 'Backend Developer')`);
    server = await startTestServer(db);
  }, 300_000);

  afterAll(async () => {
    await server?.close();
    await db?.close().catch(() => undefined);
    await pg?.destroy();
  });

  it('is 503 with Retry-After, never 500', async () => {
    expect((await page(`${server.url}/roles/backend-developer`)).status).toBe(200);
    await pg.stop('fast');
    for (const path of ['/roles', '/roles/backend-developer']) {
      const res = await page(`${server.url}${path}`);
      expect(res.status).toBe(503);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(res.html).toContain('Temporarily unavailable');
    }
  }, 300_000);
});
