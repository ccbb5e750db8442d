import http from 'node:http';
import { getIntrospectionQuery } from 'graphql';
import type { RunningServer } from '../../src/http/server.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { gql, startTestServer } from '../support/server.ts';

type Errors = { message: string; extensions?: Record<string, unknown> }[];

async function post(
  url: string,
  body: unknown,
): Promise<{ status: number; json: { data?: unknown; errors?: Errors } | { data?: unknown; errors?: Errors }[] }> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as never };
}

/** `role(slug:) { postings { edges { node { employer { postings ... } } } } }`: each level adds 4 to the depth. */
function deepQuery(levels: number): string {
  let inner = 'id';
  for (let i = 0; i < levels; i++) inner = `postings(first: 1) { edges { node { employer { ${inner} } } } }`;
  return `{ role(slug: "backend-developer") { ${inner} } }`;
}

describe('query limits: each rejection has a stable code and names the limit and the value', () => {
  let db: TestDatabase;
  let server: RunningServer;
  let production: RunningServer;
  let closed: RunningServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db);
    production = await startTestServer(db, { production: true });
    closed = await startTestServer(db, { introspection: false });
  });

  afterAll(async () => {
    await server?.close();
    await production?.close();
    await closed?.close();
    await db?.close();
  });

  it('accepts the nested Relay query roles → topEmployers → postings → role (depth 11) and depth 14', async () => {
    const relay = `{ roles(first: 5) { edges { node { slug topEmployers(first: 3) { edges { postings node { name
      postings(first: 3) { edges { node { title role { slug } } } } } } } } } } }`;
    const res = await gql(server.url, relay);
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
    // role(1) postings(2) edges(3) node(4) employer(5) ... employer(13) id(14)
    const ok = await gql(server.url, deepQuery(3));
    expect(ok.errors ?? []).toEqual([]);
  });

  it('rejects a query deeper than 15 with DEPTH_LIMIT_EXCEEDED', async () => {
    const res = await gql(server.url, deepQuery(4));
    expect(res.status).toBe(400);
    expect(res.errors).toHaveLength(1);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'DEPTH_LIMIT_EXCEEDED', limit: 15, value: 18 });
    expect(res.errors?.[0]?.message).toBe('Query depth 18 exceeds the limit of 15.');
    expect(res.data).toBeUndefined();
  });

  it('keeps a configured lower depth limit', async () => {
    const strict = await startTestServer(db, { limits: { maxDepth: 10 } });
    try {
      const res = await gql(strict.url, deepQuery(3));
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'DEPTH_LIMIT_EXCEEDED', limit: 10, value: 14 });
    } finally {
      await strict.close();
    }
  });

  it('counts depth through fragments', async () => {
    const query = `query { role(slug: "x") { ...P } }
      fragment P on Role { postings(first: 1) { edges { node { employer { postings(first: 1) { edges { node { ...E } } } } } } } }
      fragment E on Posting { employer { postings(first: 1) { edges { node { employer { postings(first: 1) { edges { node { id } } } } } } } } }`;
    const res = await gql(server.url, query);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'DEPTH_LIMIT_EXCEEDED', limit: 15, value: 17 });
  });

  it('rejects more than 30 aliases with ALIAS_LIMIT_EXCEEDED', async () => {
    const aliases = (n: number) =>
      `{ ${Array.from({ length: n }, (_, i) => `a${i}: role(slug: "r${i}") { slug }`).join(' ')} }`;
    const ok = await gql(server.url, aliases(30));
    expect(ok.status).toBe(200);
    expect(ok.errors).toBeUndefined();
    const res = await gql(server.url, aliases(31));
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'ALIAS_LIMIT_EXCEEDED', limit: 30, value: 31 });
    expect(res.errors?.[0]?.message).toBe('Query uses 31 aliases, more than the limit of 30.');
  });

  it('rejects a query whose cost (from `first`) exceeds 50000 with COST_LIMIT_EXCEEDED, also when `first` is a variable', async () => {
    const query = `query($n: Int) { roles(first: $n) { edges { node { postings(first: $n) { edges { node { id title location country remote } } } } } } }`;
    // cost = 1 + n * (edges + node + postings + n * (edges + node + 5 fields)) = 1 + n * (3 + 7n)
    const small = await gql(server.url, query, { n: 10 });
    expect(small.errors).toBeUndefined();
    const res = await gql(server.url, query, { n: 100 });
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions).toMatchObject({
      code: 'COST_LIMIT_EXCEEDED',
      limit: 50_000,
      value: 1 + 100 * (3 + 700),
    });
    expect(res.errors?.[0]?.message).toMatch(/^Query cost 70301 exceeds the limit of 50000 /);
  });

  it('measures a fragment bomb (10^8 fields once expanded) quickly and rejects it', async () => {
    const levels = Array.from(
      { length: 8 },
      (_, i) => `fragment F${i + 1} on Query { ${`...F${i} `.repeat(10)} }`,
    ).join('\n');
    const query = `query { ...F8 }\nfragment F0 on Query { role(slug: "x") { slug } }\n${levels}`;
    const started = Date.now();
    const res = await gql(server.url, query);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(res.errors?.[0]?.extensions?.code).toBe('COST_LIMIT_EXCEEDED');
    expect(res.errors?.[0]?.extensions?.value).toBe(2 * 10 ** 8);
  });

  it('rejects a document of more than 5000 tokens with TOKEN_LIMIT_EXCEEDED and its token count', async () => {
    const query = `{ ${'__typename '.repeat(5000)}}`; // 5002 tokens with the braces
    const res = await gql(server.url, query);
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'TOKEN_LIMIT_EXCEEDED', limit: 5000, value: 5002 });
    expect(res.errors?.[0]?.message).toBe('Document has 5002 tokens, more than the limit of 5000.');
  });

  it('runs batches of up to 10 operations and rejects 11 with BATCH_LIMIT_EXCEEDED', async () => {
    const ten = await post(
      server.url,
      Array.from({ length: 10 }, () => ({ query: '{ __typename }' })),
    );
    expect(ten.status).toBe(200);
    expect(ten.json).toHaveLength(10);
    const eleven = await post(
      server.url,
      Array.from({ length: 11 }, () => ({ query: '{ __typename }' })),
    );
    expect(eleven.status).toBe(400);
    const errors = (eleven.json as { errors: Errors }).errors;
    expect(errors[0]?.extensions).toMatchObject({ code: 'BATCH_LIMIT_EXCEEDED', limit: 10, value: 11 });
    expect(errors[0]?.message).toBe('Batch of 11 operations exceeds the limit of 10.');
  });

  it('refuses a body over 1 MB with 413 PAYLOAD_TOO_LARGE, by Content-Length and while streaming', async () => {
    const big = JSON.stringify({ query: `{ role(slug: "${'x'.repeat(1024 * 1024)}") { slug } }` });
    const declared = await post(server.url, big);
    expect(declared.status).toBe(413);
    const error = (declared.json as { errors: Errors }).errors[0];
    expect(error?.extensions).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      limit: 1024 * 1024,
      value: Buffer.byteLength(big),
    });
    expect(error?.message).toBe(
      `Request body of ${Buffer.byteLength(big)} bytes (Content-Length) exceeds the limit of 1048576 bytes.`,
    );

    // Chunked, without Content-Length: reading stops past the limit.
    const streamed = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const { port } = new URL(server.url);
      const req = http.request(
        { host: '127.0.0.1', port, path: '/graphql', method: 'POST', headers: { 'content-type': 'application/json' } },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      const chunk = 'x'.repeat(64 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < 40) {
          sent += 1;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    }).catch((error: Error) => ({ status: -1, body: error.message }));
    if (streamed.status !== -1) {
      // The server may also reset the connection while the client is still sending.
      expect(streamed.status).toBe(413);
      const parsed = JSON.parse(streamed.body) as { errors: Errors };
      expect(parsed.errors[0]?.extensions).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', limit: 1024 * 1024 });
      expect(parsed.errors[0]?.message).toMatch(
        /^Request body exceeds the limit of 1048576 bytes \(\d+ bytes received/,
      );
    }
  });

  it('allows GraphiQL’s introspection query (deeper than 15, but introspection is not counted)', async () => {
    const res = await gql<{ __schema: { queryType: { name: string } } }>(server.url, getIntrospectionQuery());
    expect(res.errors).toBeUndefined();
    expect(res.data?.__schema.queryType.name).toBe('Query');
  });

  it('refuses introspection with INTROSPECTION_DISABLED when GRAPHQL_INTROSPECTION=false', async () => {
    const res = await gql(closed.url, '{ __schema { queryType { name } } }');
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions?.code).toBe('INTROSPECTION_DISABLED');
    expect(res.errors?.[0]?.message).toMatch(/GRAPHQL_INTROSPECTION=false/);
    const data = await gql(closed.url, '{ role(slug: "x") { slug } }');
    expect(data.errors).toBeUndefined();
  });

  it('in production: no field suggestions and no stack traces', async () => {
    const dev = await gql(server.url, '{ rolez { slug } }');
    expect(dev.errors?.[0]?.message).toMatch(/Did you mean/);
    expect(dev.errors?.[0]?.extensions?.stacktrace).toBeDefined();

    const res = await gql(production.url, '{ rolez { slug } }');
    expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.errors?.[0]?.message).not.toMatch(/Did you mean/);
    expect(JSON.stringify(res)).not.toMatch(/stacktrace|node_modules|\.ts:\d+/);

    const bad = await gql(production.url, '{ roles(first: 1000) { totalCount } }');
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(bad)).not.toMatch(/stacktrace|node_modules|\.ts:\d+/);
    const limited = await gql(production.url, deepQuery(4));
    expect(limited.errors?.[0]?.extensions?.code).toBe('DEPTH_LIMIT_EXCEEDED');
    expect(JSON.stringify(limited)).not.toMatch(/stacktrace/);
  });
});
