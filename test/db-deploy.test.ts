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
  }, 60_000);

  const onServer = serverUrl() ? it : it.skip;

  onServer('creates the database when the server lacks it, and says once that the rates table is empty, naming the import and the bundled file', async () => {
    const base = serverUrl() as string;
    const name = `jobstats_missing_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
    const url = new URL(base);
    url.pathname = `/${name}`;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    try {
      const first = await runScript('scripts/migrate.ts', [], { DATABASE_URL: url.toString() });
      expect(first.code).toBe(0);
      expect(first.stderr).toContain(`created database "${name}"`);
      expect(first.stderr).toContain(`applied ${listMigrations().length} migration(s)`);
      expect(first.stderr.match(/exchange-rate table is empty/g)).toHaveLength(1);
      expect(first.stderr).toContain('npm run import -- rates FILE');
      expect(first.stderr).toContain('data/exchange-rates.csv (illustrative rates');
      const again = await runScript('scripts/migrate.ts', [], { DATABASE_URL: url.toString() });
      expect(again.code).toBe(0);
      expect(again.stderr).not.toContain('created database');
      expect(again.stderr).toContain('is up to date');
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  }, 60_000);

  onServer('says in one line who may create the database when the role lacks the right to', async () => {
    const base = serverUrl() as string;
    const role = `jobstats_nocreate_${process.pid}`;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`CREATE ROLE ${role} LOGIN NOCREATEDB`);
    try {
      const url = new URL(base);
      url.username = role;
      url.password = '';
      url.pathname = `/jobstats_never_${process.pid}`;
      const result = await runScript('scripts/migrate.ts', [], { DATABASE_URL: url.toString() });
      expect(result.code).toBe(2);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`database "jobstats_never_${process.pid}" does not exist`);
      expect(lines[0]).toContain(`createdb -O ${role} jobstats_never_${process.pid}`);
    } finally {
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
      await admin.end();
    }
  }, 60_000);
});
