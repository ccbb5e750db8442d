import type { RunningServer } from '../src/http/server.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { gql, startTestServer } from './support/server.ts';

interface RolesData {
  roles: {
    totalCount: number;
    edges: { cursor: string; node: { slug: string; title: string } }[];
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  };
}

const ROLES = `query($first: Int, $after: String) { roles(first: $first, after: $after) {
  totalCount edges { cursor node { slug title } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`;

describe('GraphQL API over HTTP', () => {
  let db: TestDatabase;
  let server: RunningServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.pool.query(
      `INSERT INTO role (slug, title) SELECT 'role-' || lpad(i::text, 2, '0'), 'Role ' || i FROM generate_series(1, 25) i`,
    );
    server = await startTestServer(db);
  });

  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  it('returns null, not an error, for an unknown slug', async () => {
    const res = await gql<{ role: null }>(server.url, '{ role(slug: "no-such-role") { title } }');
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ role: null });
  });

  it('pages through every role with cursors, totalCount and pageInfo', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const res: { data?: RolesData } = await gql<RolesData>(server.url, ROLES, { first: 10, after });
      const conn = res.data?.roles;
      if (!conn) throw new Error('no data');
      expect(conn.totalCount).toBe(25);
      expect(conn.pageInfo.hasPreviousPage).toBe(after !== null);
      expect(conn.pageInfo.startCursor).toBe(conn.edges[0]?.cursor ?? null);
      expect(conn.pageInfo.endCursor).toBe(conn.edges.at(-1)?.cursor ?? null);
      seen.push(...conn.edges.map((e) => e.node.slug));
      pages += 1;
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `role-${String(i + 1).padStart(2, '0')}`));
  });

  it('defaults to 20 roles a page', async () => {
    const res = await gql<RolesData>(server.url, ROLES, {});
    expect(res.data?.roles.edges).toHaveLength(20);
    expect(res.data?.roles.pageInfo.hasNextPage).toBe(true);
  });

  it.each([[101], [0], [-1]])(
    'rejects first: %p with BAD_USER_INPUT naming the argument and the rule',
    async (first) => {
      const res = await gql<RolesData>(server.url, ROLES, { first });
      expect(res.data?.roles).toBeUndefined();
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.message).toContain('"first"');
      expect(res.errors?.[0]?.message).toContain(String(first));
      expect(res.errors?.[0]?.message).toContain('between 1 and 100');
    },
  );

  it('rejects a cursor it did not issue with BAD_USER_INPUT naming "after"', async () => {
    const res = await gql<RolesData>(server.url, ROLES, { first: 5, after: 'not-a-cursor' });
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toContain('"after"');
  });

  it('rejects a wrongly typed variable with BAD_USER_INPUT', async () => {
    const res = await gql<RolesData>(server.url, ROLES, { first: 'ten' });
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toContain('$first');
  });

  it('gives every role a stable opaque id', async () => {
    const a = await gql<{ role: { id: string } }>(server.url, '{ role(slug: "role-01") { id } }');
    const b = await gql<{ role: { id: string } }>(server.url, '{ role(slug: "role-01") { id } }');
    expect(a.data?.role.id).toBe(b.data?.role.id);
    expect(a.data?.role.id).not.toContain('role-01');
  });

  it('answers health and readiness probes', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, database: 'ok', pendingMigrations: [] });
  });
});
