import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { applyMigrations, listMigrations, PRISMA_MIGRATE_LOCK_KEY } from '../src/db/migrate.ts';
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
        const rows = (
          await client.query(
            'SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" ORDER BY migration_name',
          )
        ).rows;
        await client.end();
        expect(rows.map((r) => r.migration_name)).toEqual(names);
        expect(rows.map((r) => r.checksum)).toEqual(listMigrations().map((m) => m.checksum));
      }
    } finally {
      await cleanup();
    }
  }, 300_000);

  it('refuses a database whose last migration failed, naming it and how to resolve it, and applies nothing', async () => {
    const base = serverUrl();
    if (!base) return; // The failed-migration record needs a server the test can write to directly.
    const scratch = await createScratchDatabase(base, 'jobstats_failed_migration');
    const client = new pg.Client({ connectionString: scratch.url });
    await client.connect();
    try {
      const [first] = listMigrations();
      // What `prisma migrate deploy` leaves behind when a migration's SQL fails half-way.
      await client.query(`CREATE TABLE "_prisma_migrations" (
        "id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ,
        "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ,
        "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`);
      await client.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, logs) VALUES ('f1', $1, $2, 'ERROR: relation "x" already exists')`,
        [first?.checksum, first?.name],
      );
      const run = await runScript('scripts/migrate.ts', [], { DATABASE_URL: scratch.url });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`migration ${first?.name} failed earlier`);
      expect(run.stderr).toContain(`prisma migrate resolve --rolled-back ${first?.name}`);
      const tables = await client.query(
        `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'`,
      );
      expect(tables.rows[0].n).toBe(0);

      // Once resolved as rolled back (what `prisma migrate resolve --rolled-back` writes), it applies again.
      await client.query(`UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE id = 'f1'`);
      const again = await runScript('scripts/migrate.ts', [], { DATABASE_URL: scratch.url });
      expect(again.code).toBe(0);
      expect(again.stderr).toContain(`applied ${listMigrations().length} migration(s)`);
    } finally {
      await client.end();
      await scratch.drop();
    }
  }, 300_000);

  it('waits for the advisory lock prisma migrate deploy takes before it migrates', async () => {
    const base = serverUrl();
    if (!base) return;
    const scratch = await createScratchDatabase(base, 'jobstats_migrate_lock');
    const holder = new pg.Client({ connectionString: scratch.url });
    const pool = new pg.Pool({ connectionString: scratch.url, max: 1 });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock(72707369)');
      let finished = false;
      const migrating = applyMigrations(pool).then((names) => {
        finished = true;
        return names;
      });
      // The migrator's session shows up waiting on exactly that advisory lock.
      let waiting = 0;
      for (let i = 0; i < 100 && waiting === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const locks = await holder.query(
          `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = $1
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
          [PRISMA_MIGRATE_LOCK_KEY],
        );
        waiting = locks.rows[0].n;
      }
      expect(waiting).toBe(1);
      expect(finished).toBe(false);
      await holder.query('SELECT pg_advisory_unlock(72707369)');
      expect(await migrating).toEqual(listMigrations().map((m) => m.name));
    } finally {
      await holder.end();
      await pool.end();
      await scratch.drop();
    }
  }, 300_000);
});
