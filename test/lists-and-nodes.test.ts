import type { RunningServer } from '../src/http/server.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { importRows } from './support/import-rows.ts';
import { gql, startTestServer } from './support/server.ts';

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY);

// 60 roles; role i has (i % 7) open postings with salaries rising with i, spread over 4 employers.
const ROLES = 60;
const rows = Array.from({ length: ROLES }, (_, i) =>
  Array.from({ length: i % 7 }, (_, k) => ({
    externalId: `r${i}-p${k}`,
    source: 'lists',
    role: `role-${String(i).padStart(2, '0')}`,
    roleTitle: `${['Alpha', 'Beta', 'Gamma'][i % 3]} Engineer ${i}`,
    title: `Posting ${k}`,
    company: `Employer ${(i + k) % 4}`,
    salaryMin: 40000 + i * 1000 + k * 10,
    postedAt: ago(10 + k),
  })),
).flat();

interface Edge<T> {
  cursor: string;
  node: T;
}
interface Conn<T> {
  totalCount: number;
  edges: Edge<T>[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

describe('lists, ordering and global ids', () => {
  let db: TestDatabase;
  let server: RunningServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    // Every seventh role has no posting at all.
    await db.pool.query(
      `INSERT INTO role (slug, title) SELECT 'role-' || lpad(i::text, 2, '0'), (ARRAY['Alpha', 'Beta', 'Gamma'])[i % 3 + 1] || ' Engineer ' || i
       FROM generate_series(0, ${ROLES - 1}) i`,
    );
    await importRows(db, 'postings', rows);
    await db.pool.query(
      `INSERT INTO responsibility (role_id, position, title, text) SELECT id, 1, 'Build', 'x' FROM role`,
    );
    await db.pool.query(
      `INSERT INTO career_step (role_id, position, title, text) SELECT id, 1, 'Learn', 'y' FROM role`,
    );
    server = await startTestServer(db);
  });

  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  it('searches roles by title or slug, case-insensitively, with the total count', async () => {
    const res = await gql<{ roles: Conn<{ title: string }> }>(
      server.url,
      '{ roles(first: 100, search: "gAMMA") { totalCount edges { node { title } } } }',
    );
    expect(res.data?.roles.totalCount).toBe(ROLES / 3);
    expect(res.data?.roles.edges.every((e) => e.node.title.startsWith('Gamma'))).toBe(true);
    const pct = await gql<{ roles: Conn<{ title: string }> }>(server.url, '{ roles(search: "%") { totalCount } }');
    expect(pct.data?.roles.totalCount).toBe(0);
  });

  it.each([
    ['OPENINGS', 'DESC'],
    ['OPENINGS', 'ASC'],
    ['MEAN_SALARY', 'DESC'],
    ['MEDIAN_SALARY', 'ASC'],
    ['TITLE', 'ASC'],
  ])('orders roles by %s %s across pages', async (field, direction) => {
    const q = `query($after: String) { roles(first: 25, after: $after, orderBy: { field: ${field}, direction: ${direction} }) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { slug title stats { openings salary { mean median } } } } } }`;
    type R = {
      slug: string;
      title: string;
      stats: { openings: number; salary: { mean: number | null; median: number | null } };
    };
    const all: R[] = [];
    let after: string | null = null;
    do {
      const res: { data?: { roles: Conn<R> } } = await gql<{ roles: Conn<R> }>(server.url, q, { after });
      all.push(...(res.data?.roles.edges.map((e) => e.node) ?? []));
      after = res.data?.roles.pageInfo.hasNextPage ? res.data.roles.pageInfo.endCursor : null;
    } while (after);
    expect(all).toHaveLength(ROLES);
    const value = (r: R): number | string | null =>
      field === 'OPENINGS'
        ? r.stats.openings
        : field === 'MEAN_SALARY'
          ? r.stats.salary.mean
          : field === 'MEDIAN_SALARY'
            ? r.stats.salary.median
            : r.title.toLowerCase();
    const present = all.filter((r) => value(r) !== null);
    // The documented order: by the field, ties by slug, both in the requested direction.
    const cmp = (x: number | string, y: number | string) => (x < y ? -1 : x > y ? 1 : 0);
    const sign = direction === 'ASC' ? 1 : -1;
    const sorted = [...present].sort(
      (a, b) => sign * (cmp(value(a) as number | string, value(b) as number | string) || cmp(a.slug, b.slug)),
    );
    expect(present.map((r) => r.slug)).toEqual(sorted.map((r) => r.slug));
    // Roles without a figure come last.
    expect(all.slice(present.length).every((r) => value(r) === null)).toBe(true);
  });

  it("pages through a role's postings newest first, and by salary", async () => {
    const q = `query($first: Int, $after: String, $order: PostingOrder) { role(slug: "role-06") {
      postings(first: $first, after: $after, orderBy: $order) { totalCount pageInfo { hasNextPage endCursor } edges { node { externalId postedAt annualSalaryUsd open } } } } }`;
    type P = { externalId: string; postedAt: string; annualSalaryUsd: number; open: boolean };
    const first = await gql<{ role: { postings: Conn<P> } }>(server.url, q, { first: 4 });
    const conn = first.data?.role.postings;
    expect(conn?.totalCount).toBe(6);
    expect(conn?.pageInfo.hasNextPage).toBe(true);
    const second = await gql<{ role: { postings: Conn<P> } }>(server.url, q, {
      first: 4,
      after: conn?.pageInfo.endCursor,
    });
    const all = [...(conn?.edges ?? []), ...(second.data?.role.postings.edges ?? [])].map((e) => e.node);
    expect(all.map((p) => p.externalId)).toEqual(['r6-p0', 'r6-p1', 'r6-p2', 'r6-p3', 'r6-p4', 'r6-p5']);
    expect(second.data?.role.postings.pageInfo.hasNextPage).toBe(false);
    expect(all.every((p) => p.open)).toBe(true);
    const bySalary = await gql<{ role: { postings: Conn<P> } }>(server.url, q, {
      first: 10,
      order: { field: 'SALARY', direction: 'ASC' },
    });
    const salaries = bySalary.data?.role.postings.edges.map((e) => e.node.annualSalaryUsd) ?? [];
    expect(salaries).toEqual([...salaries].sort((a, b) => a - b));
    expect(salaries[0]).toBe(40000 + 6 * 1000);
  });

  it("ranks a role's top employers by open postings, and an employer lists its postings", async () => {
    type TopEmployers = {
      totalCount: number;
      edges: { postings: number; node: { id: string; name: string; openings: number } }[];
    };
    const res = await gql<{ role: { topEmployers: TopEmployers } }>(
      server.url,
      '{ role(slug: "role-06") { topEmployers(first: 10, dedupe: false) { totalCount edges { postings node { id name openings(dedupe: false) } } } } }',
    );
    const top = res.data?.role.topEmployers;
    const expected = new Map<string, number>();
    for (const r of rows.filter((r) => r.role === 'role-06'))
      expected.set(r.company, (expected.get(r.company) ?? 0) + 1);
    expect(top?.totalCount).toBe(expected.size);
    const counts = top?.edges.map((e) => e.postings) ?? [];
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    for (const edge of top?.edges ?? []) expect(edge.postings).toBe(expected.get(edge.node.name));
    const employerId = top?.edges[0]?.node.id as string;
    const emp = await gql<{ employer: { name: string; openings: number; postings: { totalCount: number } } }>(
      server.url,
      'query($id: ID!) { employer(id: $id) { name openings(dedupe: false) postings(first: 100) { totalCount } } }',
      { id: employerId },
    );
    const all = rows.filter((r) => r.company === emp.data?.employer.name).length;
    expect(emp.data?.employer.openings).toBe(all);
    expect(emp.data?.employer.postings.totalCount).toBe(all);
  });

  it('fetches every kind of object by its global id with node(id), and forged ids find nothing', async () => {
    const res = await gql<{
      role: { id: string; postings: { edges: { node: { id: string; employer: { id: string } } }[] } };
    }>(server.url, '{ role(slug: "role-03") { id postings(first: 1) { edges { node { id employer { id } } } } } }');
    const role = res.data?.role;
    const ids = [role?.id, role?.postings.edges[0]?.node.id, role?.postings.edges[0]?.node.employer.id];
    const nodes = await gql<Record<string, { __typename: string; id: string } | null>>(
      server.url,
      `query($a: ID!, $b: ID!, $c: ID!) { a: node(id: $a) { __typename id } b: node(id: $b) { __typename id } c: node(id: $c) { __typename id } }`,
      { a: ids[0], b: ids[1], c: ids[2] },
    );
    expect(nodes.data?.a).toEqual({ __typename: 'Role', id: ids[0] });
    expect(nodes.data?.b).toEqual({ __typename: 'Posting', id: ids[1] });
    expect(nodes.data?.c).toEqual({ __typename: 'Employer', id: ids[2] });
    const parts = await gql<{ role: { responsibilities: { id: string }[]; careerSteps: { id: string }[] } }>(
      server.url,
      '{ role(slug: "role-03") { responsibilities { id } careerSteps { id } } }',
    );
    const partIds = [parts.data?.role.responsibilities[0]?.id, parts.data?.role.careerSteps[0]?.id];
    const partNodes = await gql<Record<string, { __typename: string; id: string; title: string } | null>>(
      server.url,
      `query($a: ID!, $b: ID!) { a: node(id: $a) { __typename id ... on Responsibility { title } } b: node(id: $b) { __typename id ... on CareerStep { title } } }`,
      { a: partIds[0], b: partIds[1] },
    );
    expect(partNodes.data?.a).toEqual({ __typename: 'Responsibility', id: partIds[0], title: 'Build' });
    expect(partNodes.data?.b).toEqual({ __typename: 'CareerStep', id: partIds[1], title: 'Learn' });
    const forged = Buffer.from('Role:999999').toString('base64url');
    for (const id of [
      forged,
      'garbage',
      Buffer.from('Nope:1').toString('base64url'),
      Buffer.from('Role:1 OR 1=1').toString('base64url'),
      'x'.repeat(5000),
    ]) {
      const r = await gql<{ node: null }>(server.url, 'query($id: ID!) { node(id: $id) { id } }', { id });
      expect(r.errors).toBeUndefined();
      expect(r.data?.node).toBeNull();
    }
  });

  it.each([
    [
      'roles',
      (n: number) =>
        `{ roles(first: ${n}) { totalCount edges { node { stats { openings employers salary { mean median p90 histogram(buckets: 5) { count } } degreeRequirement { employerShare } } responsibilities { title } careerSteps { title } summary } } } }`,
    ],
    [
      'role postings',
      (n: number) =>
        `{ roles(first: ${n}) { edges { node { postings(first: 3) { totalCount edges { node { title annualSalaryUsd role { slug } employer { name openings } } } } } } } }`,
    ],
    [
      'top employers',
      (n: number) =>
        `{ roles(first: ${n}) { edges { node { topEmployers(first: 2) { totalCount edges { postings node { name openings postings(first: 2) { totalCount edges { node { title } } } } } } } } } }`,
    ],
    [
      'trends',
      (n: number) =>
        `{ roles(first: ${n}) { edges { node { trend(interval: MONTH) { period postings openingsAtEnd salary { mean } } stats(filter: { status: ANY }) { openings } } } } }`,
    ],
  ])('%s: 5 and 50 items take the same number of SQL statements', async (_name, query) => {
    const count = async (n: number) => {
      const before = db.counter.count;
      const res = await gql<unknown>(server.url, query(n));
      expect(res.errors).toBeUndefined();
      return db.counter.count - before;
    };
    const five = await count(5);
    const fifty = await count(50);
    expect(fifty).toBe(five);
    expect(fifty).toBeLessThanOrEqual(8);
  });
});
