import { createTestDatabase, serverUrl, type TestDatabase } from '../support/database.ts';
import { startService, type ChildService } from '../hardening/support/child-service.ts';
import { seededRandom } from '../../scripts/seeded-random.ts';

/** A small deterministic PRNG (mulberry32), so that a failure can be replayed. */

interface Attack {
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer | string;
}

const JSON_TYPE = { 'content-type': 'application/json' };
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

/** One generated hostile request of each kind, picked by `rand`. */
function makeAttack(rand: () => number, n: number): Attack {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const int = (max: number) => Math.floor(rand() * max);
  const post = (kind: string, payload: unknown, headers: Record<string, string> = JSON_TYPE): Attack => ({
    kind,
    method: 'POST',
    path: '/graphql',
    headers,
    body: typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload),
  });
  const valid = '{ role(slug: "backend-developer") { slug stats { openings salary { mean } } } }';
  switch (n % 14) {
    case 0: {
      const text = JSON.stringify({ query: valid, variables: { a: 1 } });
      return post(
        'invalid JSON',
        pick([
          text.slice(0, int(text.length)),
          `${text}}`,
          text.replace(/"/g, "'"),
          '{"query":',
          '\u0000',
          '[',
          'null',
          '"just a string"',
          '{"query": {"nested": true}}',
          '12e999999',
        ]),
      );
    }
    case 1:
      return post(
        'wrong content type',
        JSON.stringify({ query: valid }),
        pick<Record<string, string>>([
          { 'content-type': 'text/plain' },
          { 'content-type': 'application/xml' },
          { 'content-type': 'multipart/form-data; boundary=x' },
          { 'content-type': 'application/x-www-form-urlencoded' },
          { 'content-type': 'application/graphql' },
          { 'content-type': 'application/json; charset=utf-16' },
          {},
        ]),
      );
    case 2: {
      const size = pick([10_000, 100_000, 500_000, 1_040_000, 1_100_000]);
      const big = 'x'.repeat(size);
      return pick([
        post('huge string', { query: `{ role(slug: "${big}") { slug } }` }),
        post('huge string', { query: 'query($s: String!) { role(slug: $s) { slug } }', variables: { s: big } }),
        post('huge string', { query: valid, operationName: big.slice(0, 50_000) }),
      ]);
    }
    case 3: {
      const depth = pick([11, 30, 200, 2000, 4000]);
      let inner = 'id';
      for (let i = 0; i < Math.min(depth, 40); i++)
        inner = `postings(first: 1) { edges { node { employer { ${inner} } } } }`;
      return pick([
        post('deep nesting', { query: `{ role(slug: "x") { ${inner} } }` }),
        post('deep nesting', { query: `{ ${'role(slug: "x") { '.repeat(depth)}slug${' }'.repeat(depth)} }` }),
        post('deep nesting', { query: `{ role(slug: ${'['.repeat(depth)}"x"${']'.repeat(depth)}) { slug } }` }),
        post(
          'deep nesting',
          `{"query":"{ __typename }","variables":${'{"a":'.repeat(depth * 5)}1${'}'.repeat(depth * 5)}}`,
        ),
        post('deep nesting', `${'['.repeat(depth * 10)}${']'.repeat(depth * 10)}`),
      ]);
    }
    case 4: {
      const width = pick([100, 1000, 2400, 6000]);
      return pick([
        post('wide query', { query: `{ ${'__typename '.repeat(width)} }` }),
        post('wide query', { query: `{ role(slug: "x") { ${'slug title summary '.repeat(Math.ceil(width / 3))} } }` }),
        post('wide query', {
          query: `{ roles(first: 100) { edges { node { ${'stats { openings employers salary { mean median min max count } } '.repeat(Math.ceil(width / 100))} } } } }`,
        }),
      ]);
    }
    case 5: {
      const count = pick([31, 100, 500, 1200]);
      return post('alias flood', {
        query: `{ ${Array.from({ length: count }, (_, i) => `a${i}: role(slug: "backend-developer") { stats { openings } }`).join(' ')} }`,
      });
    }
    case 6:
      return pick([
        post('wrong variable types', {
          query: 'query($n: Int) { roles(first: $n) { totalCount } }',
          variables: { n: pick(['abc', 1e20, -1, 0, 101, 3.5, true, [], {}]) },
        }),
        post('wrong variable types', {
          query: 'query($s: String!) { role(slug: $s) { slug } }',
          variables: { s: pick([123, null, ['a'], { a: 1 }, false]) },
        }),
        post('wrong variable types', { query: valid, variables: pick(['string', 42, [1, 2], true]) }),
        post('wrong variable types', {
          query: 'query($f: PostingFilter) { role(slug: "backend-developer") { stats(filter: $f) { openings } } }',
          variables: { f: { status: 'NOPE', postedAfter: 'yesterday', country: 12 } },
        }),
      ]);
    case 7: {
      const bad = pick([
        Buffer.from([0xff, 0xfe, 0xfd]),
        Buffer.from([0xc0, 0xaf]),
        Buffer.from([0xed, 0xa0, 0x80]),
        Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]),
        Buffer.from([0xe2, 0x82]),
      ]);
      const [head, tail] = ['{"query":"{ role(slug: \\"', '\\") { slug } }"}'];
      return post(
        'invalid UTF-8',
        pick([
          Buffer.concat([Buffer.from(head), bad, Buffer.from(tail)]),
          Buffer.concat([bad, Buffer.from(head)]),
          bad,
        ]),
      );
    }
    case 8:
      return pick([
        post('unknown operation', { query: 'query A { __typename } query B { __typename }' }),
        post('unknown operation', { query: 'query A { __typename }', operationName: 'Nope' }),
        post('unknown operation', { query: 'subscription { roleChanged }' }),
        post('unknown operation', { query: 'mutation { deleteEverything }' }),
        post('unknown operation', { query: '{ __schema { nope } }' }),
        post('unknown operation', { query: 'fragment F on Role { slug }' }),
        post('unknown operation', { query: '' }),
        post('unknown operation', {}),
        {
          kind: 'unknown operation',
          method: pick(['PUT', 'DELETE', 'PATCH']),
          path: '/graphql',
          headers: JSON_TYPE,
          body: JSON.stringify({ query: valid }),
        },
        {
          kind: 'unknown operation',
          method: 'GET',
          path: `/graphql?query=${encodeURIComponent('mutation { closePosting(input: {id: "x"}) { userErrors { message } } }')}`,
          headers: { 'apollo-require-preflight': '1' },
        },
      ]);
    case 9: {
      const cursor = pick([
        'A'.repeat(10_000),
        'A'.repeat(201),
        b64(`RoleCursor:${'9'.repeat(500)}`),
        b64('RoleCursor:-1'),
        b64("RoleCursor:' OR 1=1 --"),
        '%%%',
        '',
        b64('PostingCursor:1'),
      ]);
      return pick([
        post('over-long cursor', {
          query: 'query($c: String) { roles(first: 5, after: $c) { totalCount edges { cursor } } }',
          variables: { c: cursor },
        }),
        post('over-long cursor', {
          query:
            'query($c: String) { role(slug: "backend-developer") { postings(first: 5, after: $c) { totalCount } } }',
          variables: { c: cursor },
        }),
      ]);
    }
    case 10: {
      const id = pick([
        b64('Role:999999999'),
        b64("Role:1'; DROP TABLE role; --"),
        b64('Role:-1'),
        b64('Posting:NaN'),
        b64('Employer:1e400'),
        b64('Nope:1'),
        b64(`Role:${'9'.repeat(300)}`),
        'not-base64!!',
        'A'.repeat(5000),
        b64('Role:'),
        b64(':1'),
        b64('Role:1:2'),
      ]);
      return pick([
        post('forged global id', {
          query: 'query($id: ID!) { node(id: $id) { id ... on Role { slug } } }',
          variables: { id },
        }),
        post('forged global id', { query: 'query($id: ID!) { employer(id: $id) { name } }', variables: { id } }),
      ]);
    }
    case 11:
      return {
        kind: 'malformed GET',
        method: 'GET',
        path: pick([
          `/graphql?query=${encodeURIComponent(valid)}&variables=${encodeURIComponent('{bad json')}`,
          `/graphql?query=${encodeURIComponent(valid)}&extensions=${encodeURIComponent('[]')}`,
          '/graphql?query=%E0%A4%A',
          `/graphql?query=${'%7B'.repeat(2000)}`,
          '/graphql?query=&query=',
        ]),
        headers: pick<Record<string, string>>([
          { 'apollo-require-preflight': '1' },
          {},
          { accept: 'application/graphql-response+json', 'apollo-require-preflight': '1' },
        ]),
      };
    case 12:
      return pick([
        post(
          'hostile batch',
          Array.from({ length: int(10) + 1 }, (_, i) => (i % 2 ? { query: valid } : { query: '{ nope }' })),
        ),
        post(
          'hostile batch',
          Array.from({ length: 11 + int(1000) }, () => ({ query: '{ __typename }' })),
        ),
        post('hostile batch', [[{ query: valid }]]),
        post('hostile batch', [1, 'two', null]),
        post('hostile batch', []),
      ]);
    default:
      return pick([
        post('fragment bomb', {
          query: `query { ...F6 }\nfragment F0 on Query { role(slug: "x") { slug } }\n${Array.from({ length: 6 }, (_, i) => `fragment F${i + 1} on Query { ${`...F${i} `.repeat(12)} }`).join('\n')}`,
        }),
        post('fragment cycle', { query: 'query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }' }),
        post('directive flood', { query: `{ __typename ${'@skip(if: false) '.repeat(1500)} }` }),
        post('introspection abuse', {
          query: `{ __schema { types { fields { type { ${'ofType { '.repeat(60)}name${' }'.repeat(60)} } } } } }`,
        }),
      ]);
  }
}

interface Problem {
  kind: string;
  status: number;
  detail: string;
}

/** Checks one response: no 5xx, and every error carries extensions.code. */
function check(kind: string, status: number, contentType: string, text: string): Problem | null {
  if (status >= 500) return { kind, status, detail: text.slice(0, 300) };
  if (status === 200 && !text.includes('"errors"')) return null;
  if (!contentType.includes('json'))
    return { kind, status, detail: `not JSON (${contentType}): ${text.slice(0, 200)}` };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { kind, status, detail: `unparsable body: ${text.slice(0, 200)}` };
  }
  const results = (Array.isArray(body) ? body : [body]) as { errors?: { extensions?: { code?: unknown } }[] }[];
  if (status !== 200 && !results.some((result) => result.errors?.length)) {
    return { kind, status, detail: `an error status without errors: ${text.slice(0, 200)}` };
  }
  for (const result of results) {
    for (const error of result.errors ?? []) {
      if (typeof error.extensions?.code !== 'string')
        return { kind, status, detail: `an error without a code: ${JSON.stringify(error).slice(0, 200)}` };
    }
  }
  return null;
}

const TOTAL = 10_000;
const CONCURRENCY = 16;

describe('hostile input: 10,000 generated requests', () => {
  let db: TestDatabase;
  let service: ChildService;

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.pool.query(`INSERT INTO role (slug, title) VALUES ('backend-developer', 'Backend Developer')`);
    service = await startService(
      {
        DATABASE_URL: db.url,
        DB_POOL_MAX: serverUrl() ? '10' : '1',
        RATE_LIMIT_PER_MINUTE: '0',
        LOG_LEVEL: 'error',
      },
      60_000,
      true,
    ); // with a way to collect garbage before reading its memory
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    await db?.close();
  });

  it('never answers 5xx, gives every error a code, keeps working and keeps its memory', async () => {
    const rand = seededRandom(20261129);
    const attacks = Array.from({ length: TOTAL }, (_, i) => makeAttack(rand, i));
    const problems: Problem[] = [];
    const byKind = new Map<string, number>();
    const statuses = new Map<number, number>();
    const timeByKind = new Map<string, number>();
    let next = 0;
    let sent = 0;
    let baseline = 0;

    async function worker(): Promise<void> {
      for (;;) {
        const index = next++;
        if (index >= attacks.length) return;
        const attack = attacks[index] as Attack;
        const started = Date.now();
        const res = await fetch(`${service.url}${attack.path}`, {
          method: attack.method,
          headers: attack.headers,
          body: Buffer.isBuffer(attack.body) ? new Uint8Array(attack.body) : attack.body,
        });
        const text = await res.text();
        timeByKind.set(attack.kind, (timeByKind.get(attack.kind) ?? 0) + Date.now() - started);
        sent += 1;
        byKind.set(attack.kind, (byKind.get(attack.kind) ?? 0) + 1);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const problem = check(attack.kind, res.status, res.headers.get('content-type') ?? '', text);
        if (problem && problems.length < 20) problems.push(problem);
      }
    }
    // Warm-up: the largest allowed requests, as many at once as the test ever sends. Memory is
    // read after a full garbage collection, before and after, so that growth means retention.
    for (let round = 0; round < 3; round++) {
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async (_, i) => {
          const body = JSON.stringify({
            query: 'query($s: String!) { role(slug: $s) { slug } }',
            variables: { s: String(i % 10).repeat(1_040_000) },
          });
          const res = await fetch(`${service.url}/graphql`, { method: 'POST', headers: JSON_TYPE, body });
          await res.text();
        }),
      );
    }
    baseline = await service.rssAfterGc();
    await Promise.all(Array.from({ length: CONCURRENCY }, () => worker()));

    if (process.env.HOSTILE_TIMING)
      console.log(
        [...timeByKind].sort((a, b) => b[1] - a[1]),
        [...statuses],
      );
    expect(sent).toBe(TOTAL);
    expect(problems).toEqual([]);
    expect(byKind.size).toBe(17);
    expect([...statuses.keys()].every((status) => status < 500)).toBe(true);

    // Still serving the normal query.
    const res = await fetch(`${service.url}/graphql`, {
      method: 'POST',
      headers: JSON_TYPE,
      body: JSON.stringify({
        query:
          '{ role(slug: "backend-developer") { slug stats { openings employers salary { mean median } degreeRequirement { employerShare } } } }',
      }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: { role: { slug: string } }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(body.data.role.slug).toBe('backend-developer');
    expect(service.child.exitCode).toBeNull();

    const growth = (await service.rssAfterGc()) - baseline;
    if (process.env.HOSTILE_TIMING)
      console.log(`RSS growth over the 10,000 requests: ${(growth / 1024 / 1024).toFixed(1)} MB`);
    expect(growth).toBeLessThan(50 * 1024 * 1024);
  }, 600_000);
});
