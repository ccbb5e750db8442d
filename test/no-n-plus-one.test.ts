import type { RunningServer } from '../src/http/server.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { gql, startTestServer } from './support/server.ts';

const PAGE = `query($first: Int) { roles(first: $first) { edges { node {
  stats { openings salary { mean median } degreeRequirement { employerShare } }
  summary responsibilities { title } careerSteps { title } } } } }`;

describe('a page of roles', () => {
  let db: TestDatabase;
  let server: RunningServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    // 60 roles, each with prose placeholders, responsibilities, steps, postings and salaries.
    await db.pool.query(`
      INSERT INTO role (slug, title, summary)
        SELECT 'role-' || lpad(i::text, 3, '0'), 'Role ' || i, 'Pays {{meanSalary}} on average.' FROM generate_series(1, 60) i;
      INSERT INTO responsibility (role_id, position, title, text) SELECT r.id, k, 'R' || k, 'text' FROM role r, generate_series(1, 3) k;
      INSERT INTO career_step (role_id, position, title, text) SELECT r.id, k, 'S' || k, 'text' FROM role r, generate_series(1, 3) k;
      INSERT INTO employer (name, normalized_name) SELECT 'E' || k, 'e' || k FROM generate_series(1, 4) k;
      INSERT INTO posting (role_id, employer_id, source, external_id, degree_required, posted_at)
        SELECT r.id, e.id, 'test', r.slug || '-' || e.id, e.id % 2 = 0, now() - interval '1 day' FROM role r, employer e;
      INSERT INTO salary_observation (role_id, posting_id, source, amount, currency, period, amount_usd, observed_at)
        SELECT p.role_id, p.id, 'test', 50000 + p.id, 'USD', 'YEAR', 50000 + p.id, p.posted_at FROM posting p;
    `);
    server = await startTestServer(db);
  });

  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  async function statementsFor(first: number): Promise<number> {
    const before = db.counter.count;
    const res = await gql<{ roles: { edges: unknown[] } }>(server.url, PAGE, { first });
    expect(res.errors).toBeUndefined();
    expect(res.data?.roles.edges).toHaveLength(first);
    return db.counter.count - before;
  }

  it('loads statistics, prose, responsibilities and steps with the same few SQL statements for 5 roles as for 50', async () => {
    const forFive = await statementsFor(5);
    const forFifty = await statementsFor(50);
    expect(forFifty).toBe(forFive);
    expect(forFifty).toBeLessThanOrEqual(6);
  });
});
