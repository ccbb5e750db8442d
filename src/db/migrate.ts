import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { PROJECT_ROOT } from '../project-root.ts';
import type { Queryable } from './read-session.ts';

export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, 'prisma/migrations');

interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export function listMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(dir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = fs.readFileSync(path.join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: crypto.createHash('sha256').update(sql).digest('hex') };
    });
}

// The same bookkeeping table as `prisma migrate deploy`, so that either tool can take over.
const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

/**
 * The key `prisma migrate deploy` locks (`pg_advisory_lock(72707369)` in its own messages), so that
 * this migrator and Prisma's never run at the same time on one database.
 */
export const PRISMA_MIGRATE_LOCK_KEY = 72707369;

/** A migration recorded as started but neither finished nor rolled back: the schema is in doubt. */
export class FailedMigrationError extends Error {
  constructor(
    readonly migration: string,
    readonly logs: string | null,
  ) {
    super(
      `migration ${migration} failed earlier and was left unresolved in _prisma_migrations (finished_at and rolled_back_at are null)` +
        (logs ? `: ${logs.split('\n')[0]}` : '') +
        `; repair the database, then run \`npx prisma migrate resolve --rolled-back ${migration}\` (to apply it again) or ` +
        `\`--applied ${migration}\` (if it was completed by hand)`,
    );
    this.name = 'FailedMigrationError';
  }
}

/**
 * Applies the committed Prisma migrations that the database lacks, each in its own
 * transaction, without the Prisma CLI (whose engine the embedded start-up must not need).
 * Refuses (FailedMigrationError) when a migration failed and was not resolved, as Prisma does
 * (P3009). A migration of its own that fails is rolled back whole, so it is recorded as rolled
 * back (with the error in `logs`) and the next run tries it again.
 */
export async function applyMigrations(pool: pg.Pool, dir = MIGRATIONS_DIR): Promise<string[]> {
  const client = await pool.connect();
  const applied: string[] = [];
  // Each step is a transaction that takes Prisma's lock key as a transaction lock: concurrent
  // migrators (two test workers, two instances, prisma migrate deploy, which takes the same key
  // for its session) go one at a time, and, unlike a session lock, it ends with the transaction,
  // so behind a pooler in transaction mode no lock is left on a shared server connection.
  const locked = async <T>(work: () => Promise<T>): Promise<T> => {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [PRISMA_MIGRATE_LOCK_KEY]);
      const result = await work();
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  };
  const appliedNames = async () =>
    new Set(
      (
        await client.query<{ migration_name: string }>(
          'SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
        )
      ).rows.map((r) => r.migration_name),
    );
  try {
    const have = await locked(async () => {
      await client.query(CREATE_TABLE);
      const failed = await client.query<{ migration_name: string; logs: string | null }>(
        `SELECT migration_name, logs FROM "_prisma_migrations"
          WHERE finished_at IS NULL AND rolled_back_at IS NULL ORDER BY started_at DESC LIMIT 1`,
      );
      const unresolved = failed.rows[0];
      if (unresolved) throw new FailedMigrationError(unresolved.migration_name, unresolved.logs);
      return appliedNames();
    });
    for (const migration of listMigrations(dir)) {
      if (have.has(migration.name)) continue;
      try {
        const done = await locked(async () => {
          // Another migrator may have applied it while this one waited for the lock.
          if ((await appliedNames()).has(migration.name)) return false;
          await client.query(migration.sql);
          await client.query(
            `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count)
             VALUES ($1, $2, now(), $3, 1)`,
            [crypto.randomUUID(), migration.checksum, migration.name],
          );
          return true;
        });
        if (done) applied.push(migration.name);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        await client.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, logs, rolled_back_at, applied_steps_count)
           VALUES ($1, $2, $3, $4, now(), 0)`,
          [crypto.randomUUID(), migration.checksum, migration.name, message],
        );
        throw new Error(`migration ${migration.name} failed (rolled back, nothing of it applied): ${message}`);
      }
    }
  } finally {
    client.release();
  }
  return applied;
}

/** Names of committed migrations that the database has not applied (empty when up to date). */
export async function pendingMigrations(pool: Queryable, dir = MIGRATIONS_DIR): Promise<string[]> {
  const table = await pool.query<{ exists: boolean }>(
    `SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS exists`,
  );
  const have = new Set<string>();
  if (table.rows[0]?.exists) {
    const done = await pool.query<{ migration_name: string }>(
      'SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
    );
    for (const row of done.rows) have.add(row.migration_name);
  }
  return listMigrations(dir)
    .map((m) => m.name)
    .filter((name) => !have.has(name));
}
