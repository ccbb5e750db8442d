import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { createApiKey } from '../src/auth/api-keys.ts';
import type { RunningServer } from '../src/http/server.ts';
import { seedDatabase } from '../src/catalog/seed.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { startTestServer } from './support/server.ts';

const QUERY = '{ role(slug: "backend-developer") { stats { openings salary { mean } } } }';
const sha256 = (text: string) => crypto.createHash('sha256').update(text).digest('hex');
const getUrl = (base: string, params: Record<string, string>) => `${base}/graphql?${new URLSearchParams(params)}`;
// Apollo's CSRF protection wants this header on GET; real APQ clients send it.
const PREFLIGHT = { 'apollo-require-preflight': 'true' };

describe('cacheable answers', () => {
  let db: TestDatabase;
  let server: RunningServer;
  let key: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db);
    server = await startTestServer(db);
    key = (await createApiKey(db.pool, 'caching')).key;
  });

  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  const post = (query: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query }),
    });

  it('marks public queries `public, max-age=60`, and answers with an API key or to a mutation `private, no-store`', async () => {
    const open = await post(QUERY);
    expect(open.status).toBe(200);
    expect(open.headers.get('cache-control')).toBe('public, max-age=60');
    const keyed = await post(QUERY, { authorization: `Bearer ${key}` });
    expect(keyed.headers.get('cache-control')).toBe('private, no-store');
    const mutation = await post(
      'mutation { upsertRole(input: { slug: "cache-test", title: "Cache Test" }) { userErrors { field message } } }',
      {
        authorization: `Bearer ${key}`,
      },
    );
    expect(((await mutation.json()) as { errors?: unknown }).errors).toBeUndefined();
    expect(mutation.headers.get('cache-control')).toBe('private, no-store');
    const broken = await post('{ role(slug: "backend-developer") { nope } }');
    expect(broken.headers.get('cache-control')).toBe('private, no-store');
  });

  it('marks answers as Apollo Server does for this schema: introspection alone and skipped fields are `private, no-store`, fields through fragments public', async () => {
    const policy = async (query: string) => (await post(query)).headers.get('cache-control');
    expect(await policy('{ __typename }')).toBe('private, no-store');
    expect(await policy('{ t: __typename }')).toBe('private, no-store');
    expect(await policy('{ __schema { queryType { name } } }')).toBe('private, no-store');
    expect(await policy('{ roles(first: 1) @skip(if: true) { totalCount } }')).toBe('private, no-store');
    expect(await policy('{ __typename roles(first: 1) { totalCount } }')).toBe('public, max-age=60');
    expect(await policy('{ ... on Query { roles(first: 1) { totalCount } } }')).toBe('public, max-age=60');
    expect(await policy('query { ...R } fragment R on Query { r: role(slug: "backend-developer") { slug } }')).toBe(
      'public, max-age=60',
    );
    expect(await policy('{ role(slug: "no-such-role") { slug } }')).toBe('public, max-age=60');
  });

  it('answers a GET query with an ETag, a repeat with 304, and a repeat after any write with the new figures', async () => {
    const url = getUrl(server.url, { query: QUERY });
    const first = await fetch(url, { headers: PREFLIGHT });
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^W\/"[^"]+"$/);
    expect(first.headers.get('cache-control')).toBe('public, max-age=60');
    const again = await fetch(url, { headers: { ...PREFLIGHT, 'if-none-match': etag as string } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect(again.headers.get('etag')).toBe(etag);
    // Any write changes the data version, and so the ETag.
    await db.pool.query(`UPDATE exchange_rate SET usd_per_unit = usd_per_unit WHERE currency = 'EUR'`);
    const after = await fetch(url, { headers: { ...PREFLIGHT, 'if-none-match': etag as string } });
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(etag);
    expect(((await after.json()) as { data: unknown }).data).toEqual({
      role: { stats: { openings: 3, salary: { mean: 88800 } } },
    });
  });

  it('serves persisted queries by hash over GET (APQ): unknown hash first, then the answer, cacheable', async () => {
    const hash = sha256(QUERY);
    const extensions = JSON.stringify({ persistedQuery: { version: 1, sha256Hash: hash } });
    const unknown = await fetch(getUrl(server.url, { extensions }), { headers: PREFLIGHT });
    expect(((await unknown.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe(
      'PERSISTED_QUERY_NOT_FOUND',
    );
    const register = await fetch(getUrl(server.url, { query: QUERY, extensions }), { headers: PREFLIGHT });
    expect(register.status).toBe(200);
    const byHash = await fetch(getUrl(server.url, { extensions }), { headers: PREFLIGHT });
    expect(byHash.status).toBe(200);
    expect(byHash.headers.get('cache-control')).toBe('public, max-age=60');
    expect(byHash.headers.get('etag')).toBeTruthy();
    expect(((await byHash.json()) as { data: unknown }).data).toEqual({
      role: { stats: { openings: 3, salary: { mean: 88800 } } },
    });
  });

  it('gives pages an ETag and Cache-Control, 304 on If-None-Match, and gzip or brotli when accepted', async () => {
    const page = `${server.url}/roles/backend-developer`;
    const plain = await fetch(page, { headers: { 'accept-encoding': 'identity' } });
    const html = await plain.text();
    expect(plain.headers.get('cache-control')).toBe('public, max-age=60');
    const etag = plain.headers.get('etag') as string;
    expect(etag).toMatch(/^W\//);
    const notModified = await fetch(page, { headers: { 'if-none-match': `"other", ${etag}` } });
    expect(notModified.status).toBe(304);
    // fetch decompresses on its own; node:http shows the bytes as sent.
    const raw = async (encoding: string) =>
      new Promise<{ encoding?: string; body: Buffer; vary?: string }>((resolve, reject) => {
        const req = require('node:http').get(
          page,
          { headers: { 'accept-encoding': encoding } },
          (res: import('node:http').IncomingMessage) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              resolve({
                encoding: res.headers['content-encoding'],
                body: Buffer.concat(chunks),
                vary: res.headers.vary,
              }),
            );
          },
        );
        req.on('error', reject);
      });
    const gz = await raw('gzip, deflate');
    expect(gz.encoding).toBe('gzip');
    expect(gz.vary).toContain('Accept-Encoding');
    expect(zlib.gunzipSync(gz.body).toString('utf8')).toBe(html);
    const br = await raw('gzip;q=0.8, br');
    expect(br.encoding).toBe('br');
    expect(zlib.brotliDecompressSync(br.body).toString('utf8')).toBe(html);
    expect(br.body.length).toBeLessThan(Buffer.byteLength(html) / 3);
    const none = await raw('gzip;q=0, br;q=0');
    expect(none.encoding).toBeUndefined();
  });

  it.each([
    ['an unterminated quote', '"unterminated'],
    ['a lone W/', 'W/'],
    ['empty list items', ',,,'],
    ['10,000 characters', 'x'.repeat(10_000)],
    ['a wildcard', '*'],
    ['tags without a comma', 'W/"a" W/"b"'],
    ['Latin-1 bytes', '\u00ff\u00fe'],
  ])('answers an If-None-Match with %s with the full answer, never a 5xx', async (_label, header) => {
    const res = await fetch(`${server.url}/roles/backend-developer`, { headers: { 'if-none-match': header } });
    expect(res.status).toBe(200);
    const api = await fetch(getUrl(server.url, { query: QUERY }), {
      headers: { ...PREFLIGHT, 'if-none-match': header },
    });
    expect(api.status).toBe(200);
  });

  it('takes max-age from the configuration', async () => {
    const short = await startTestServer(db, { cacheMaxAge: 5 });
    try {
      const res = await fetch(`${short.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: QUERY }),
      });
      expect(res.headers.get('cache-control')).toBe('public, max-age=5');
      const page = await fetch(`${short.url}/roles`);
      expect(page.headers.get('cache-control')).toBe('public, max-age=5');
    } finally {
      await short.close();
    }
  });

  it('runs only allow-listed operations with PERSISTED_QUERIES=only, by hash or exact text, and refuses others with a coded 400', async () => {
    const listed = new Map([[sha256(QUERY), QUERY]]);
    const strict = await startTestServer(db, { persistedQueries: { mode: 'only', manifest: listed } });
    try {
      const extensions = JSON.stringify({ persistedQuery: { version: 1, sha256Hash: sha256(QUERY) } });
      const byHash = await fetch(getUrl(strict.url, { extensions }), { headers: PREFLIGHT });
      expect(byHash.status).toBe(200);
      expect(((await byHash.json()) as { data: unknown }).data).toEqual({
        role: { stats: { openings: 3, salary: { mean: 88800 } } },
      });
      const byText = await fetch(`${strict.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: QUERY }),
      });
      expect(byText.status).toBe(200);
      const other = await fetch(`${strict.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ roles { totalCount } }' }),
      });
      expect(other.status).toBe(400);
      expect(((await other.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe(
        'PERSISTED_QUERY_NOT_ALLOWED',
      );
      // Registering a new hash is not possible either.
      const query = '{ roles { totalCount } }';
      const register = await fetch(
        getUrl(strict.url, {
          query,
          extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: sha256(query) } }),
        }),
        { headers: PREFLIGHT },
      );
      expect(register.status).toBe(400);
      // Pages render in process, through the same schema, whatever the allow-list.
      expect((await fetch(`${strict.url}/roles/backend-developer`)).status).toBe(200);
    } finally {
      await strict.close();
    }
  });
});
