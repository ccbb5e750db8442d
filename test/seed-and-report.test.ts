import fs from 'node:fs';
import path from 'node:path';
import { importFile } from '../src/importer/import-file.ts';
import { seedDatabase } from '../src/catalog/seed.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { ROOT, runScript } from './support/run.ts';

const EXPECTED = fs.readFileSync(path.join(__dirname, 'fixtures/backend-developer.md'), 'utf8');
const SHARED_SEED = path.resolve(ROOT, '../shared/seed/backend-developer.md');

async function snapshot(db: TestDatabase): Promise<unknown[]> {
  const tables = [
    'role',
    'responsibility',
    'career_step',
    'employer',
    'posting',
    'salary_observation',
    'exchange_rate',
  ];
  return Promise.all(tables.map(async (t) => (await db.pool.query(`SELECT * FROM ${t} ORDER BY 1, 2`)).rows));
}

describe('seed and report', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db?.close();
  });

  it('the fixture is the shared seed page', () => {
    if (fs.existsSync(SHARED_SEED)) expect(fs.readFileSync(SHARED_SEED, 'utf8').trimEnd()).toBe(EXPECTED.trimEnd());
  });

  it('seeds the Backend Developer role: 5 responsibilities, 5 steps, 3 postings from 3 employers', async () => {
    const result = await seedDatabase(db);
    expect(result.roles).toEqual([{ slug: 'backend-developer', changed: true }]);
    expect(result.postings).toMatchObject({ read: 3, inserted: 3, rejected: 0 });
    const counts = await db.pool.query(`SELECT
      (SELECT count(*) FROM responsibility)::int AS responsibilities, (SELECT count(*) FROM career_step)::int AS steps,
      (SELECT count(*) FROM posting)::int AS postings, (SELECT count(*) FROM employer)::int AS employers,
      (SELECT count(*) FROM posting WHERE degree_required)::int AS requiring`);
    expect(counts.rows[0]).toEqual({ responsibilities: 5, steps: 5, postings: 3, employers: 3, requiring: 1 });
  });

  it('running the seed twice changes nothing', async () => {
    const before = await snapshot(db);
    const again = await seedDatabase(db);
    expect(again.roles).toEqual([{ slug: 'backend-developer', changed: false }]);
    expect(again.postings).toMatchObject({ inserted: 0, updated: 0, unchanged: 3 });
    expect(await snapshot(db)).toEqual(before);
  });

  it('`npm run report -- backend-developer` prints the seed page byte for byte', async () => {
    const run = await runScript('scripts/report.ts', ['backend-developer'], { DATABASE_URL: db.url });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(EXPECTED);
  });

  it('a fourth posting (100000 USD a year, degree required, new employer) changes the page to 4 openings, $91600 and 50%', async () => {
    const summary = await importFile(db, 'postings', path.join(__dirname, 'fixtures/fourth-posting.csv'));
    expect(summary).toMatchObject({ inserted: 1, rejected: 0 });
    const run = await runScript('scripts/report.ts', ['backend-developer'], { DATABASE_URL: db.url });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('- Job openings: 4\n');
    expect(run.stdout).toContain('- Average Salary: $91600\n');
    expect(run.stdout).toContain('- Degree Requirement: 50% of employers require a degree\n');
    expect(run.stdout).toContain('With an average salary of $91600, it is');
    expect(run.stdout).toContain('the degree requirement for this job title is 50% according');
    // Nothing else on the page moves.
    const expected = EXPECTED.trimEnd()
      .replace('Job openings: 3', 'Job openings: 4')
      .replaceAll('$88800', '$91600')
      .replaceAll('33%', '50%');
    expect(run.stdout.trimEnd()).toBe(expected);
  });

  it('an unknown role is a clear error with exit status 2', async () => {
    const run = await runScript('scripts/report.ts', ['no-such-role'], { DATABASE_URL: db.url });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('error: no role with slug "no-such-role"\n');
  });
});
