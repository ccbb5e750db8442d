import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startService } from './hardening/support/child-service.ts';
import { runScript } from './support/run.ts';
import { gql } from './support/server.ts';

const OVERVIEW =
  '{ role(slug: "backend-developer") { stats { openings salary { mean } degreeRequirement { employerShare } } } }';

describe('npm start without DATABASE_URL', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobstats-pglite-'));

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('migrates and seeds an embedded database on first start, keeps it across restarts and stops cleanly on SIGTERM', async () => {
    for (let run = 0; run < 2; run++) {
      // `npm start`'s entry point with no DATABASE_URL, in development mode (playground on).
      // A first start creates, migrates and seeds the folder: generous on a loaded machine.
      const service = await startService({ PGLITE_DIR: dir, NODE_ENV: 'development', LOG_LEVEL: 'warn' }, 240_000);
      const { url } = service;
      const res = await gql<{
        role: { stats: { openings: number; salary: { mean: number }; degreeRequirement: { employerShare: number } } };
      }>(url, OVERVIEW);
      expect(res.data?.role.stats.openings).toBe(3);
      expect(res.data?.role.stats.salary.mean).toBeCloseTo(88800, 6);
      expect(res.data?.role.stats.degreeRequirement.employerShare).toBeCloseTo(1 / 3, 10);
      const page = await fetch(`${url}/graphql`, { headers: { accept: 'text/html' } });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('GraphiQL');
      expect((await service.stop()).code).toBe(0);
    }
    expect(fs.existsSync(path.join(dir, 'PG_VERSION'))).toBe(true);
  }, 600_000);

  it('an unreachable DATABASE_URL gives one line naming the host and what to do, and a non-zero exit', async () => {
    const run = await runScript('src/main.ts', [], { DATABASE_URL: 'postgresql://app:s3cret@127.0.0.1:1/jobstats' });
    expect(run.code).not.toBe(0);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('127.0.0.1:1');
    expect(run.stderr).toContain('DATABASE_URL');
    expect(run.stderr).not.toContain('s3cret');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('a malformed environment variable is named with its value and rule', async () => {
    const run = await runScript('src/main.ts', [], { PORT: 'eighty' });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('PORT="eighty"');
    const url = await runScript('src/main.ts', [], { DATABASE_URL: 'mysql://x' });
    expect(url.stderr).toContain('DATABASE_URL="mysql://x": must be a postgres:// or postgresql:// URL');
  });
});
