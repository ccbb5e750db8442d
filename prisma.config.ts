import { defineConfig } from 'prisma/config';

// The CLI (migrate, db:deploy) needs an explicit server; the app itself falls back to embedded PGlite.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: {
    path: 'prisma/migrations',
    seed: 'tsx scripts/seed.ts',
  },
  datasource: {
    url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/jobstats',
  },
});
