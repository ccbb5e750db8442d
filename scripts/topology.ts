/**
 * `npm run topology`: the scale-out layout of docker-compose.yml's `scale-out` profile as local
 * processes, for trying it out and for the tests' pieces: a throw-away primary and a streaming
 * replica of it (pg_basebackup -R), PgBouncer in transaction mode in front of the primary, the
 * machine's Redis (REDIS_URL, default redis://127.0.0.1:6379), and two service instances
 * (DATABASE_URL through PgBouncer, DATABASE_READ_URLS on the replica). No reverse proxy here:
 * the two instances' addresses are printed; Ctrl-C stops everything and removes the data.
 */
import { openDatabase } from '../src/db/database.ts';
import { seedDatabase } from '../src/catalog/seed.ts';
import { startService, type ChildService } from '../test/hardening/support/child-service.ts';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../test/hardening/support/throwaway-postgres.ts';
import { startPgBouncer, type RunningPgBouncer } from '../test/support/pgbouncer.ts';
import { runCli } from './cli.ts';

runCli(async () => {
  const redis = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const stops: (() => Promise<unknown>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    const primary: ThrowawayPostgres = await startThrowawayPostgres();
    stops.push(() => primary.destroy());
    const db = await openDatabase({ url: primary.url, migrate: true });
    await seedDatabase(db);
    await db.close();
    const replica = await startThrowawayPostgres({ replicaOf: primary });
    stops.push(() => replica.destroy());
    const bouncer: RunningPgBouncer = await startPgBouncer({ host: '127.0.0.1', port: primary.port, poolSize: 10 });
    stops.push(() => bouncer.stop());
    const env = {
      DATABASE_URL: bouncer.url('postgres'),
      DATABASE_READ_URLS: replica.url,
      REDIS_URL: redis,
      DB_PREPARED_STATEMENTS: 'false', // Debian's PgBouncer 1.18 has no protocol-level prepared statements
      PLAYGROUND: 'graphiql',
      LOG_LEVEL: 'warn',
    };
    const instances: ChildService[] = [];
    for (let i = 0; i < 2; i++) {
      const service = await startService(env, 240_000);
      instances.push(service);
      stops.push(() => service.stop());
    }
    process.stdout.write(
      [
        `primary   ${primary.url} (migrations: DATABASE_URL=${primary.url} npm run db:deploy)`,
        `replica   ${replica.url}`,
        `pgbouncer ${bouncer.url('postgres')} (transaction mode)`,
        `redis     ${redis}`,
        ...instances.map((s, i) => `api-${i + 1}     ${s.url}/graphql  ${s.url}/roles  ${s.url}/readyz`),
        'Ctrl-C stops everything.',
        '',
      ].join('\n'),
    );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
  } finally {
    await stopAll();
  }
});
