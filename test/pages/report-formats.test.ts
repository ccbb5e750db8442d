import { seedDatabase } from '../../src/catalog/seed.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { ROOT, runScript } from '../support/run.ts';
import { startTestServer } from '../support/server.ts';
import fs from 'node:fs';
import path from 'node:path';

const EXPECTED_MD = fs.readFileSync(path.join(ROOT, 'test/fixtures/backend-developer.md'), 'utf8');

describe('npm run report -- <slug> --format md|html|json', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db);
  });

  afterAll(async () => {
    await db?.close();
  });

  it('--format html prints the page that GET /roles/:slug serves', async () => {
    const run = await runScript('scripts/report.ts', ['backend-developer', '--format', 'html'], {
      DATABASE_URL: db.url,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const server = await startTestServer(db);
    try {
      const served = await (await fetch(`${server.url}/roles/backend-developer`)).text();
      expect(run.stdout).toBe(served);
    } finally {
      await server.close();
    }
    expect(run.stdout).toContain('<h1>Backend Developer Average Salaries and Statistics</h1>');
    expect(run.stdout).toMatch(/<dt>Average salary<\/dt><dd>\$88,800</);
  });

  it('--format json prints the data of the page query', async () => {
    const run = await runScript('scripts/report.ts', ['backend-developer', '--format', 'json'], {
      DATABASE_URL: db.url,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const data = JSON.parse(run.stdout) as {
      role: {
        slug: string;
        stats: { openings: number; salary: { mean: number; sampleSize: number; histogram: unknown[] } };
        trend: unknown[];
      };
    };
    expect(data.role.slug).toBe('backend-developer');
    expect(data.role.stats.openings).toBe(3);
    expect(data.role.stats.salary.mean).toBe(88800);
    expect(data.role.stats.salary.sampleSize).toBe(3);
    expect(data.role.stats.salary.histogram).toHaveLength(10);
    expect(data.role.trend.length).toBeGreaterThan(0);
  });

  it('--format md (the default) is still the seed page', async () => {
    const run = await runScript('scripts/report.ts', ['backend-developer', '--format', 'md'], { DATABASE_URL: db.url });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(EXPECTED_MD);
  });

  it('an unknown format is a usage error', async () => {
    const run = await runScript('scripts/report.ts', ['backend-developer', '--format', 'pdf'], {
      DATABASE_URL: db.url,
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('error: option --format has invalid value "pdf": must be md, html, json or csv\n');
  });
});
