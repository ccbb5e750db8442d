import { ConfigError, loadConfig } from './config.ts';
import { DatabaseUnavailableError, openDatabase } from './db/database.ts';
import { usePreparedStatements } from './db/prepared.ts';
import { setFigureCacheEntries } from './stats/figure-cache.ts';
import { parseOrigins } from './http/cors.ts';
import { recordImport } from './http/metrics.ts';
import { ListenError, startServer } from './http/server.ts';
import { onImportFinished } from './importer/import-listeners.ts';
import { isEmpty, seedDatabase } from './catalog/seed.ts';
import { createLogger } from './logger.ts';
import { openSharedState } from './shared-state/index.ts';
import { sharedWriteMarks } from './shared-state/write-marks.ts';
import { loadManifest, ManifestError } from './graphql/persisted-queries.ts';

/**
 * `npm start`: connects to DATABASE_URL, or starts the embedded PGlite under PGLITE_DIR,
 * applies pending migrations, seeds an empty database and serves GraphQL.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  let manifest: Map<string, string> | undefined;
  try {
    manifest = config.PERSISTED_QUERIES_FILE ? loadManifest(config.PERSISTED_QUERIES_FILE) : undefined;
  } catch (error) {
    if (error instanceof ManifestError)
      throw new ConfigError(`environment variable PERSISTED_QUERIES_FILE: ${error.message}`);
    throw error;
  }
  const logger = createLogger(config.LOG_LEVEL);
  // The import totals of /metrics, the seed below included.
  onImportFinished(recordImport);
  usePreparedStatements(config.DB_PREPARED_STATEMENTS === 'true');
  setFigureCacheEntries(config.FIGURE_CACHE_ENTRIES);
  const shared = openSharedState({ url: config.REDIS_URL, prefix: config.REDIS_KEY_PREFIX, logger });
  const db = await openDatabase({
    url: config.DATABASE_URL,
    pgliteDir: config.pgliteDir,
    poolMax: config.DB_POOL_MAX,
    migrate: true,
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
    readReplicas: config.DATABASE_READ_URLS && {
      urls: config.DATABASE_READ_URLS,
      maxLagMs: config.DATABASE_READ_MAX_LAG_MS,
      checkIntervalMs: config.DATABASE_READ_CHECK_MS,
      marks: sharedWriteMarks(shared, Math.max(60_000, 10 * config.DATABASE_READ_MAX_LAG_MS)),
      onStateChange: (state) => {
        if (state.healthy) logger.info({ replica: state.name, lagMs: state.lagMs }, 'replica healthy: reads go to it');
        else logger.warn({ replica: state.name, reason: state.reason }, 'replica not usable: its reads go elsewhere');
      },
    },
    poolWaitMs: config.DB_POOL_WAIT_MS,
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
    statementTimeoutForAll: true,
    salaryBounds: { minUsdPerYear: config.SALARY_MIN_USD_PER_YEAR, maxUsdPerYear: config.SALARY_MAX_USD_PER_YEAR },
    workMem: config.DB_WORK_MEM,
    embeddedRole: 'service',
  });
  logger.info({ database: db.displayUrl }, 'database ready');
  if (await isEmpty(db)) {
    const seeded = await seedDatabase(db);
    logger.info({ roles: seeded.roles.length, postings: seeded.postings.inserted }, 'seeded an empty database');
  }
  // Only a migrated, seeded database is handed to the CLIs (npm run import, seed, apikey, ...).
  db.shareEmbedded();
  const production = config.NODE_ENV === 'production';
  // Counting from the first request on: a Redis that answers within a second is used from the start.
  await shared.ready(1000);
  const server = await startServer(
    {
      db,
      logger,
      production,
      playground: config.PLAYGROUND,
      bodyLimit: config.BODY_LIMIT_BYTES,
      introspection: config.GRAPHQL_INTROSPECTION === 'true',
      limits: {
        maxDepth: config.GRAPHQL_MAX_DEPTH,
        maxAliases: config.GRAPHQL_MAX_ALIASES,
        maxCost: config.GRAPHQL_MAX_COST,
        maxTokens: config.GRAPHQL_MAX_TOKENS,
        maxBatch: config.GRAPHQL_MAX_BATCH,
      },
      rateLimit: { limit: config.RATE_LIMIT_PER_MINUTE, windowMs: 60_000, trustProxy: config.TRUST_PROXY },
      corsOrigins: parseOrigins(config.CORS_ORIGINS),
      shared,
      timeouts: {
        headersMs: config.HTTP_HEADERS_TIMEOUT_MS,
        requestMs: config.HTTP_REQUEST_TIMEOUT_MS,
        keepAliveMs: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      },
      cacheMaxAge: config.CACHE_MAX_AGE_SECONDS,
      persistedQueries: { mode: config.PERSISTED_QUERIES, manifest },
      shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
      responseCacheBytes: config.RESPONSE_CACHE_BYTES,
      figureRefresh:
        config.FIGURE_REFRESH === 'on'
          ? { delayMs: config.FIGURE_REFRESH_DELAY_MS, statementTimeoutMs: config.FIGURE_REFRESH_TIMEOUT_MS }
          : undefined,
    },
    config.PORT,
    config.HOST,
  );
  logger.info(`serving ${server.url}/graphql`);
  process.stderr.write(`Job-market statistics: GraphQL and playground at ${server.url}/graphql\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutting down: finishing requests in flight');
    // Stop accepting, let requests in flight finish (SHUTDOWN_TIMEOUT_MS at most), close the pool.
    server
      .shutdown()
      .then(({ forced }) => {
        if (forced > 0) logger.warn({ forced }, 'shutdown timeout: requests still running were cut');
        return Promise.all([db.close(), shared.close()]);
      })
      .then(
        () => {
          logger.info('stopped');
          process.exit(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof DatabaseUnavailableError || error instanceof ListenError) {
    process.stderr.write(`error: ${error.message}\n`);
  } else {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
});
