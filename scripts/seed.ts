import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/database.ts';
import { seedDatabase } from '../src/catalog/seed.ts';
import { runCli } from './cli.ts';

// `npm run seed` and Prisma's seed command: loads the data files under data/ (idempotent).
runCli(async () => {
  const config = loadConfig();
  const db = await openDatabase({
    url: config.DATABASE_URL,
    pgliteDir: config.pgliteDir,
    migrate: true,
    embeddedRole: 'cli',
    workMem: config.DB_WORK_MEM,
  });
  try {
    const result = await seedDatabase(db);
    const roles = result.roles.map((r) => `${r.slug} (${r.changed ? 'written' : 'unchanged'})`).join(', ');
    const p = result.postings;
    process.stderr.write(
      `seeded ${db.displayUrl}: roles ${roles}; postings read ${p.read}, inserted ${p.inserted}, updated ${p.updated}, unchanged ${p.unchanged}\n`,
    );
  } finally {
    await db.close();
  }
});
