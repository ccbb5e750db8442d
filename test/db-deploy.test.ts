import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { listMigrations } from '../src/db/migrate.ts';
import { createScratchDatabase } from '../src/db/scratch-database.ts';
import { serverUrl } from './support/database.ts';
import { runScript } from './support/run.ts';

describe('npm run db:deploy', () => {
  it('applies every committed migration once, recorded as Prisma records them, and then says the database is up to date', async () => {
    const base = serverUrl();
    let env: Record<string, string>;
    let cleanup: () => Promise<void>;
    let url: string | undefined;
    if (base) {
      const scratch = await createScratchDatabase(base, 'jobstats_deploy');
      url = scratch.url;
      env = { DATABASE_URL: url };
      cleanup = scratch.drop;
    } else {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobstats-deploy-'));
      env = { PGLITE_DIR: dir };
      cleanup = async () => fs.rmSync(dir, { recursive: true, force: true });
    }
    try {
      const names = listMigrations().map((m) => m.name);
      const first = await runScript('scripts/migrate.ts', [], env);
      expect(first.code).toBe(0);
      expect(first.stderr).toContain(`applied ${names.length} migration(s)`);
      const second = await runScript('scripts/migrate.ts', [], env);
      expect(second.code).toBe(0);
      expect(second.stderr).toContain('is up to date');
      if (url) {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        const rows = (await client.query('SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" ORDER BY migration_name')).rows;
        await client.end();
        expect(rows.map((r) => r.migration_name)).toEqual(names);
        expect(rows.map((r) => r.checksum)).toEqual(listMigrations().map((m) => m.checksum));
      }
    } finally {
      await cleanup();
    }
  }, 300_000);
});
