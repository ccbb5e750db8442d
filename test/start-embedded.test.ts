import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, runScript } from './support/run.ts';
import { gql } from './support/server.ts';

const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

/** Starts `npm start`'s entry point with no DATABASE_URL and waits for its URL. */
function start(pgliteDir: string): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null> }> {
  const env: NodeJS.ProcessEnv = { ...process.env, PGLITE_DIR: pgliteDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
  delete env.DATABASE_URL;
  delete env.TEST_DATABASE_URL;
  const child = spawn(TSX, [path.join(ROOT, 'src/main.ts')], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /at (http:\/\/\S+)\/graphql/.exec(stderr);
      if (match?.[1]) resolve({ child, url: match[1], exited });
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${stderr}`)));
  });
}

const OVERVIEW = '{ role(slug: "backend-developer") { stats { openings salary { mean } degreeRequirement { employerShare } } } }';

describe('npm start without DATABASE_URL', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobstats-pglite-'));

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('migrates and seeds an embedded database on first start, keeps it across restarts and stops cleanly on SIGTERM', async () => {
    for (let run = 0; run < 2; run++) {
      const { child, url, exited } = await start(dir);
      const res = await gql<{ role: { stats: { openings: number; salary: { mean: number }; degreeRequirement: { employerShare: number } } } }>(url, OVERVIEW);
      expect(res.data?.role.stats.openings).toBe(3);
      expect(res.data?.role.stats.salary.mean).toBeCloseTo(88800, 6);
      expect(res.data?.role.stats.degreeRequirement.employerShare).toBeCloseTo(1 / 3, 10);
      const page = await fetch(`${url}/graphql`, { headers: { accept: 'text/html' } });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('GraphiQL');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
    expect(fs.existsSync(path.join(dir, 'PG_VERSION'))).toBe(true);
  }, 120_000);

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
