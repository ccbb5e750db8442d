import type { RunningServer } from '../src/http/server.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { importRows } from './support/import-rows.ts';
import { gql, startTestServer } from './support/server.ts';

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();

// Postings with every field set (and one with most unset), two of them duplicates of each other.
const rows = [
  {
    externalId: 'full-1',
    source: 'board-a',
    role: 'list-columns',
    roleTitle: 'List Columns',
    title: 'Senior Data Engineer',
    company: 'Acme Corp',
    location: 'Austin, TX',
    country: 'US',
    remote: 'false',
    salaryMin: 120000,
    salaryMax: 140000,
    salaryCurrency: 'USD',
    salaryPeriod: 'YEAR',
    employmentType: 'FULL_TIME',
    url: 'https://jobs.example/full-1',
    description: "Requirements: a Bachelor's degree in computer science is required.",
    postedAt: ago(20),
    closedAt: '',
  },
  {
    externalId: 'full-2',
    source: 'board-b',
    role: 'list-columns',
    title: 'Senior Data Engineer',
    company: 'ACME corp',
    location: 'austin tx',
    salaryText: '$50 - $60 an hour',
    postedAt: ago(18),
    closedAt: ago(1),
  },
  {
    externalId: 'bare-3',
    source: 'board-a',
    role: 'list-columns',
    company: 'Globex',
    postedAt: ago(5),
  },
];

interface TypeRef {
  kind: string;
  name: string | null;
  ofType: TypeRef | null;
}
interface IntrospectedField {
  name: string;
  args: unknown[];
  type: TypeRef;
}

const named = (t: TypeRef): TypeRef => (t.ofType ? named(t.ofType) : t);

describe("a list's postings", () => {
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

  /** A selection of `type`'s fields: scalars as they are, objects by their scalar fields (one level). */
  async function selectionOf(type: string, depth = 1): Promise<Map<string, string>> {
    const res = await gql<{ __type: { fields: IntrospectedField[] } }>(
      server.url,
      `query($t: String!) { __type(name: $t) { fields { name args { name } type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }`,
      { t: type },
    );
    const out = new Map<string, string>();
    for (const f of res.data!.__type.fields) {
      if (f.args.length > 0) continue;
      const t = named(f.type);
      if (t.kind === 'OBJECT' || t.kind === 'INTERFACE') {
        if (depth === 0) continue;
        const inner = await selectionOf(t.name as string, depth - 1);
        out.set(f.name, `${f.name} { ${[...inner.values()].join(' ')} }`);
      } else out.set(f.name, f.name);
    }
    return out;
  }

  it('shows each field of a posting as node(id) does, when the list asks for that field alone', async () => {
    const fields = await selectionOf('Posting');
    // Fields of the posting itself and of its objects (role, employer, duplicates, education).
    expect([...fields.keys()]).toEqual(
      expect.arrayContaining(['title', 'description', 'annualSalaryUsd', 'seniority', 'education', 'duplicates']),
    );
    const full = await gql<{ role: { postings: { edges: { node: Record<string, unknown> & { id: string } }[] } } }>(
      server.url,
      `{ role(slug: "list-columns") { postings(first: 10, filter: { status: ANY }) { edges { node { id } } } } }`,
    );
    const ids = full.data!.role.postings.edges.map((e) => e.node.id);
    expect(ids).toHaveLength(3);
    const byNode = new Map<string, Record<string, unknown>>();
    for (const id of ids) {
      const res = await gql<{ node: Record<string, unknown> }>(
        server.url,
        `query($id: ID!) { node(id: $id) { ... on Posting { ${[...fields.values()].join(' ')} } } }`,
        { id },
      );
      expect(res.errors).toBeUndefined();
      byNode.set(id, res.data!.node);
    }
    // The values are real: the full posting has its description, salary and degree requirement.
    const first = [...byNode.values()].find((n) => n.externalId === 'full-1')!;
    expect(first).toMatchObject({ description: rows[0]!.description, annualSalaryUsd: 130000, seniority: 'SENIOR' });
    expect((first.education as { requirement: string }).requirement).toBe('REQUIRED');

    const employer = (first.employer as { id: string }).id;
    const lists = (selection: string) => [
      `{ owner: role(slug: "list-columns") { postings(first: 10, filter: { status: ANY }) { edges { node { id ${selection} } } } } }`,
      `{ owner: node(id: "${employer}") { ... on Employer { postings(first: 10, filter: { status: ANY }) { edges { node { id ${selection} } } } } } }`,
    ];
    for (const [name, selection] of fields) {
      for (const query of lists(selection)) {
        const res = await gql<{ owner: { postings: { edges: { node: Record<string, unknown> }[] } } }>(
          server.url,
          query,
        );
        expect(res.errors).toBeUndefined();
        expect(res.data!.owner.postings.edges.length).toBeGreaterThan(0);
        for (const { node } of res.data!.owner.postings.edges) {
          expect({ field: name, value: node[name] }).toEqual({
            field: name,
            value: (byNode.get(node.id as string) as Record<string, unknown>)[name],
          });
        }
      }
    }
  });
});
