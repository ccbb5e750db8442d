import { loadConfig } from '../src/config.ts';
import { DatabaseUnavailableError, openDatabase } from '../src/db/database.ts';
import { applyMigrations, FailedMigrationError } from '../src/db/migrate.ts';
import { runCli } from './cli.ts';

// `npm run db:deploy`: applies the committed migrations in prisma/migrations that the database
// lacks, recording them in _prisma_migrations exactly as `prisma migrate deploy` does (and under
// its advisory lock), but without Prisma's native engine (so it works wherever the service runs).
// A migration left failed (by either tool) stops it with exit status 2 until it is resolved.
runCli(async () => {
  const config = loadConfig();
  const db = await openDatabase({ url: config.DATABASE_URL, pgliteDir: config.pgliteDir, embeddedRole: 'cli' });
  try {
    const applied = await applyMigrations(db.pool).catch((error: unknown) => {
      throw error instanceof FailedMigrationError ? new DatabaseUnavailableError(`${db.displayUrl}: ${error.message}`) : error;
    });
    process.stderr.write(
      applied.length ? `applied ${applied.length} migration(s) to ${db.displayUrl}: ${applied.join(', ')}\n` : `${db.displayUrl} is up to date\n`,
    );
  } finally {
    await db.close();
  }
});
