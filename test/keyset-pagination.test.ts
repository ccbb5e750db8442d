import type { RunningServer } from '../src/http/server.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { importRows } from './support/import-rows.ts';
import { gql, startTestServer } from './support/server.ts';

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY);

// One role with 23 open postings: some share a posted day (ties broken by id), a third have no
// salary and a few no title (nulls sort last), over 5 employers.
const rows = Array.from({ length: 23 }, (_, k) => ({
  externalId: `k-${k}`,
  source: 'keyset',
  role: 'keyset-role',
  roleTitle: 'Keyset Role',
  title: k % 8 === 7 ? undefined : `Posting ${String.fromCharCode(65 + ((k * 7) % 23))}`,
  company: `Employer ${k % 5}`,
  salaryMin: k % 3 === 0 ? undefined : 50_000 + ((k * 37) % 11) * 1000,
  salaryCurrency: k % 3 === 0 ? undefined : 'USD',
  salaryPeriod: k % 3 === 0 ? undefined : 'YEAR',
  postedAt: ago(10 + Math.floor(k / 3)),
}));

type Node = { externalId: string };
interface Conn {
  totalCount?: number;
  edges: { cursor: string; node: Node }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
}

const PAGE = `query($first: Int, $after: String, $order: PostingOrder) { role(slug: "keyset-role") {
  postings(first: $first, after: $after, orderBy: $order) { edges { cursor node { externalId } } pageInfo { hasNextPage hasPreviousPage endCursor } } } }`;

describe('keyset pagination', () => {
  let db: TestDatabase;
  let server: RunningServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    await importRows(db, 'postings', rows);
    server = await startTestServer(db);
  });

  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  async function pageThrough(
    order: { field: string; direction: string },
    first: number,
    between?: () => Promise<void>,
  ): Promise<string[]> {
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 50; i++) {
      const res: { data?: { role: { postings: Conn } }; errors?: unknown } = await gql<{ role: { postings: Conn } }>(
        server.url,
        PAGE,
        { first, after, order },
      );
      expect(res.errors).toBeUndefined();
      const conn = res.data!.role.postings;
      expect(conn.pageInfo.hasPreviousPage).toBe(after !== null);
      seen.push(...conn.edges.map((e) => e.node.externalId));
      if (!conn.pageInfo.hasNextPage) return seen;
      after = conn.pageInfo.endCursor;
      await between?.();
    }
    throw new Error('did not reach the end');
  }

  async function fullList(order: { field: string; direction: string }): Promise<string[]> {
    const res = await gql<{ role: { postings: Conn } }>(server.url, PAGE, { first: 100, order });
    return res.data!.role.postings.edges.map((e) => e.node.externalId);
  }

  it.each([
    ['POSTED_AT', 'DESC'],
    ['POSTED_AT', 'ASC'],
    ['SALARY', 'ASC'],
    ['SALARY', 'DESC'],
    ['TITLE', 'ASC'],
    ['TITLE', 'DESC'],
  ])(
    'pages by %s %s visit every posting once, in the order of the whole list (nulls last, ties by id)',
    async (field, direction) => {
      const order = { field, direction };
      const whole = await fullList(order);
      expect(whole).toHaveLength(rows.length);
      for (const size of [1, 4, 7]) expect(await pageThrough(order, size)).toEqual(whole);
    },
  );

  it.each([
    ['DESC', undefined],
    ['ASC', undefined],
    ['DESC', 'Employer 2'],
    ['ASC', 'Employer 2'],
  ])(
    'orders by SALARY %s (employer %s) as a sort of the imported salaries does: salaried first, then the rest, ties by import order',
    async (direction, employer) => {
      // Independent of the service: the rows as imported (ids follow the file), their annual USD salary.
      const expected = rows
        .map((r, k) => ({ id: r.externalId, k, salary: r.salaryMin ?? null, company: r.company }))
        .filter((r) => employer === undefined || r.company === employer)
        .sort((a, b) => {
          if (a.salary === null || b.salary === null)
            return (
              (a.salary === null ? 1 : 0) - (b.salary === null ? 1 : 0) || (direction === 'ASC' ? a.k - b.k : b.k - a.k)
            );
          return direction === 'ASC' ? a.salary - b.salary || a.k - b.k : b.salary - a.salary || b.k - a.k;
        })
        .map((r) => r.id);
      expect(rows.some((r) => r.salaryMin === undefined)).toBe(true);
      const query = `query($first: Int, $after: String, $order: PostingOrder, $filter: PostingFilter) { role(slug: "keyset-role") {
        postings(first: $first, after: $after, orderBy: $order, filter: $filter) { edges { node { externalId } } pageInfo { hasNextPage endCursor } } } }`;
      for (const first of [1, 3, 8, 100]) {
        const seen: string[] = [];
        let after: string | null = null;
        for (let i = 0; i < 50; i++) {
          const res: { data?: { role: { postings: Conn } }; errors?: unknown } = await gql<{
            role: { postings: Conn };
          }>(server.url, query, {
            first,
            after,
            order: { field: 'SALARY', direction },
            filter: employer ? { employer } : undefined,
          });
          expect(res.errors).toBeUndefined();
          seen.push(...res.data!.role.postings.edges.map((e) => e.node.externalId));
          if (!res.data!.role.postings.pageInfo.hasNextPage) break;
          after = res.data!.role.postings.pageInfo.endCursor;
        }
        expect(seen).toEqual(expected);
      }
    },
  );

  it('does not repeat or skip a posting when postings are inserted before the current page between two requests', async () => {
    const order = { field: 'POSTED_AT', direction: 'DESC' };
    const before = await fullList(order);
    let n = 0;
    const seen = await pageThrough(order, 5, async () => {
      // Newer than every listed posting: it sorts before the cursor, so it must not shift the pages.
      await importRows(db, 'postings', [
        {
          externalId: `new-${n++}`,
          source: 'keyset',
          role: 'keyset-role',
          title: 'Inserted',
          company: 'Employer 9',
          postedAt: ago(1),
        },
      ]);
    });
    expect(seen).toEqual(before);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('rejects a cursor of another order, and a forged cursor, naming "after"', async () => {
    const res = await gql<{ role: { postings: Conn } }>(server.url, PAGE, {
      first: 2,
      order: { field: 'SALARY', direction: 'ASC' },
    });
    const cursor = res.data!.role.postings.pageInfo.endCursor;
    const other = await gql<unknown>(server.url, PAGE, {
      first: 2,
      after: cursor,
      order: { field: 'TITLE', direction: 'ASC' },
    });
    expect(other.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(other.errors?.[0]?.message).toContain('"after"');
    expect(other.errors?.[0]?.message).toContain('SALARY:ASC');
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const forgeries: [string, string, string][] = [
      ['garbage!', 'SALARY', 'ASC'],
      [b64(['Posting', 'SALARY:ASC', 1]), 'SALARY', 'ASC'],
      [b64({ a: 1 }), 'SALARY', 'ASC'],
      ['x'.repeat(20_000), 'SALARY', 'ASC'],
      [b64(['Posting', 'SALARY:ASC', 'not a number', 1]), 'SALARY', 'ASC'],
      [b64(['Posting', 'POSTED_AT:DESC', 'not a date', 1]), 'POSTED_AT', 'DESC'],
      [b64(['Posting', 'POSTED_AT:DESC', null, 1]), 'POSTED_AT', 'DESC'],
      [b64(['Posting', 'POSTED_AT:DESC', '2026-01-01T00:00:00.000Z', 1.5]), 'POSTED_AT', 'DESC'],
      [b64(['Posting', 'POSTED_AT:DESC', '2026-01-01T00:00:00.000Z', 99_999_999_999]), 'POSTED_AT', 'DESC'],
      [b64(['Posting', 'TITLE:ASC', { x: 1 }, 1]), 'TITLE', 'ASC'],
    ];
    for (const [forged, field, direction] of forgeries) {
      const bad = await gql<unknown>(server.url, PAGE, { first: 2, after: forged, order: { field, direction } });
      expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(bad.errors?.[0]?.message).toContain('"after"');
    }
    const roles = await gql<unknown>(
      server.url,
      'query($c: String) { roles(first: 2, after: $c, orderBy: { field: OPENINGS, direction: ASC }) { edges { cursor } } }',
      {
        c: b64(['Role', 'OPENINGS:ASC', 1.5, 'a']),
      },
    );
    expect(roles.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('answers totalCount selected through a fragment with the count of matching postings', async () => {
    const plain = await gql<{ role: { postings: Conn } }>(
      server.url,
      '{ role(slug: "keyset-role") { postings(first: 2) { edges { node { externalId } } } } }',
    );
    expect(plain.errors).toBeUndefined();
    const counted = await gql<{ role: { postings: Conn } }>(
      server.url,
      '{ role(slug: "keyset-role") { postings(first: 2) { ...Total edges { node { externalId } } } } } fragment Total on PostingConnection { totalCount }',
    );
    expect(counted.errors).toBeUndefined();
    const { rows: expected } = await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM posting p JOIN role r ON r.id = p.role_id
       WHERE r.slug = 'keyset-role' AND p.posted_at <= now() AND (p.closed_at IS NULL OR p.closed_at > now())`,
    );
    expect(counted.data?.role.postings.totalCount).toBe(expected[0]?.n);
  });
  it("pages through top employers (by postings, then name) and an employer's postings one at a time, as in the whole list", async () => {
    type Top = {
      edges: { postings: number; node: { id: string; name: string } }[];
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
    };
    // Counted per posting below, so the list is asked for without grouping duplicates.
    const q = `query($first: Int, $after: String) { role(slug: "keyset-role") { topEmployers(first: $first, after: $after, dedupe: false) {
      edges { postings node { id name } } pageInfo { hasNextPage endCursor } } } }`;
    const whole = (await gql<{ role: { topEmployers: Top } }>(server.url, q, { first: 100 })).data!.role.topEmployers
      .edges;
    // Counted independently (earlier tests inserted postings too).
    const { rows: counted } = await db.pool.query<{ name: string; n: number }>(
      `SELECT e.name, count(*)::int AS n FROM posting p JOIN role r ON r.id = p.role_id JOIN employer e ON e.id = p.employer_id
       WHERE r.slug = 'keyset-role' AND p.posted_at <= now() AND (p.closed_at IS NULL OR p.closed_at > now()) GROUP BY e.name`,
    );
    const expected = new Map(counted.map((c) => [c.name, c.n]));
    expect(whole.map((e) => [e.node.name, e.postings])).toEqual(
      [...expected].sort((a, b) => b[1] - a[1] || a[0].toLowerCase().localeCompare(b[0].toLowerCase())),
    );
    const paged: string[] = [];
    let after: string | null = null;
    do {
      const res: { data?: { role: { topEmployers: Top } } } = await gql<{ role: { topEmployers: Top } }>(
        server.url,
        q,
        { first: 2, after },
      );
      paged.push(...res.data!.role.topEmployers.edges.map((e) => e.node.name));
      after = res.data!.role.topEmployers.pageInfo.hasNextPage ? res.data!.role.topEmployers.pageInfo.endCursor : null;
    } while (after);
    expect(paged).toEqual(whole.map((e) => e.node.name));

    const eq = `query($id: ID!, $after: String) { employer(id: $id) { postings(first: 1, after: $after) { edges { node { externalId } } pageInfo { hasNextPage endCursor } } } }`;
    const id = whole[0]!.node.id;
    const all = await gql<{ employer: { postings: Conn } }>(
      server.url,
      'query($id: ID!) { employer(id: $id) { postings(first: 100) { edges { node { externalId } } } } }',
      { id },
    );
    const one: string[] = [];
    let next: string | null = null;
    do {
      const res: { data?: { employer: { postings: Conn } } } = await gql<{ employer: { postings: Conn } }>(
        server.url,
        eq,
        { id, after: next },
      );
      one.push(...res.data!.employer.postings.edges.map((e) => e.node.externalId));
      next = res.data!.employer.postings.pageInfo.hasNextPage ? res.data!.employer.postings.pageInfo.endCursor : null;
    } while (next);
    expect(one).toEqual(all.data!.employer.postings.edges.map((e) => e.node.externalId));
    expect(one.length).toBe(expected.get(whole[0]!.node.name));
  });
});
