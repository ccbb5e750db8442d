import { execFile } from 'node:child_process';
import path from 'node:path';
import { listMigrations } from '../src/db/migrate.ts';
import { createScratchDatabase } from '../src/db/scratch-database.ts';
import { serverUrl } from './support/database.ts';
import { ROOT, runScript, type RunResult } from './support/run.ts';

/** Prisma's own CLI, as `npx prisma ...` runs it. */
function prisma(args: string[], databaseUrl: string): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(ROOT, 'node_modules/prisma/build/index.js'), ...args],
      {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: databaseUrl, TEST_DATABASE_URL: undefined },
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

// Prisma's CLI needs its schema engine: downloaded on first use, or PRISMA_SCHEMA_ENGINE_BINARY
// (which .ci/run sets on machines that cannot download it). Both tests need a PostgreSQL server.
const base = serverUrl();
const canRunPrisma = Boolean(base && (process.env.PRISMA_SCHEMA_ENGINE_BINARY || process.env.CI));
if (!canRunPrisma) {
  process.stderr.write('db-deploy-prisma: skipped (needs DATABASE_URL and PRISMA_SCHEMA_ENGINE_BINARY, or CI set)\n');
}
const maybe = canRunPrisma ? describe : describe.skip;

maybe('npm run db:deploy and prisma migrate agree', () => {
  const names = listMigrations().map((m) => m.name);

  it('after npm run db:deploy, prisma migrate status finds every migration applied', async () => {
    const scratch = await createScratchDatabase(base ?? '', 'jobstats_deploy_status');
    try {
      const deploy = await runScript('scripts/migrate.ts', [], { DATABASE_URL: scratch.url });
      expect(deploy.code).toBe(0);
      const status = await prisma(['migrate', 'status'], scratch.url);
      expect({ code: status.code, stdout: status.stdout }).toEqual({
        code: 0,
        stdout: expect.stringContaining('Database schema is up to date!'),
      });
      expect(status.stdout).toContain(`${names.length} migrations found in prisma/migrations`);
    } finally {
      await scratch.drop();
    }
  }, 600_000);

  it('after prisma migrate deploy, npm run db:deploy applies nothing and says the database is up to date', async () => {
    const scratch = await createScratchDatabase(base ?? '', 'jobstats_deploy_prisma');
    try {
      const deploy = await prisma(['migrate', 'deploy'], scratch.url);
      expect({ code: deploy.code, stdout: deploy.stdout }).toEqual({
        code: 0,
        stdout: expect.stringContaining('successfully applied'),
      });
      const ours = await runScript('scripts/migrate.ts', [], { DATABASE_URL: scratch.url });
      expect(ours.code).toBe(0);
      expect(ours.stderr).toContain('is up to date');
      expect(ours.stderr).not.toMatch(/applied \d+ migration/);
    } finally {
      await scratch.drop();
    }
  }, 600_000);
});
