import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/database.ts';
import { applyMigrations } from '../src/db/migrate.ts';
import { runCli } from './cli.ts';

// `npm run db:deploy`: applies the committed migrations in prisma/migrations that the database
// lacks, recording them in _prisma_migrations exactly as `prisma migrate deploy` does, but
// without Prisma's native engine (so it works wherever the service runs).
runCli(async () => {
  const config = loadConfig();
  const db = await openDatabase({ url: config.DATABASE_URL, pgliteDir: config.pgliteDir, embeddedRole: 'cli' });
  try {
    const applied = await applyMigrations(db.pool);
    process.stderr.write(
      applied.length ? `applied ${applied.length} migration(s) to ${db.displayUrl}: ${applied.join(', ')}\n` : `${db.displayUrl} is up to date\n`,
    );
  } finally {
    await db.close();
  }
});
