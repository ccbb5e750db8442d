import { loadConfig } from '../src/config.ts';
import { createDatabaseIfMissing } from '../src/db/create-database.ts';
import { DatabaseUnavailableError, openDatabase } from '../src/db/database.ts';
import { applyMigrations, FailedMigrationError } from '../src/db/migrate.ts';
import { runCli } from './cli.ts';

// `npm run db:deploy`: creates the database when the server lacks it, then applies the committed
// migrations in prisma/migrations that the database lacks, recording them in _prisma_migrations
// exactly as `prisma migrate deploy` does (and under its advisory lock), but without Prisma's
// native engine (so it works wherever the service runs). A migration left failed (by either
// tool) stops it with exit status 2 until it is resolved.
runCli(async () => {
  const config = loadConfig();
  if (config.DATABASE_URL) {
    const created = await createDatabaseIfMissing(config.DATABASE_URL);
    if (created) process.stderr.write(`created database "${created}"\n`);
  }
  const db = await openDatabase({ url: config.DATABASE_URL, pgliteDir: config.pgliteDir, embeddedRole: 'cli' });
  try {
    const applied = await applyMigrations(db.pool).catch((error: unknown) => {
      throw error instanceof FailedMigrationError
        ? new DatabaseUnavailableError(`${db.displayUrl}: ${error.message}`)
        : error;
    });
    process.stderr.write(
      applied.length
        ? `applied ${applied.length} migration(s) to ${db.displayUrl}: ${applied.join(', ')}\n`
        : `${db.displayUrl} is up to date\n`,
    );
    const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM exchange_rate');
    if (rows[0]?.n === 0) {
      process.stderr.write(
        'warning: the exchange-rate table is empty, so salaries in any currency but USD will be rejected: load rates with ' +
          '`npm run import -- rates FILE`, e.g. the bundled data/exchange-rates.csv (illustrative rates of 2026-01-01, not market data)\n',
      );
    }
  } finally {
    await db.close();
  }
});
