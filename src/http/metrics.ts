import type { ApolloServerPlugin } from '@apollo/server';
import { getOperationAST } from 'graphql';
import type pg from 'pg';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ReplicaRouter } from '../db/replicas.ts';

/**
 * Prometheus metrics, served as text at /metrics. Each server has its own registry (tests start
 * several in one process); import totals and the process's own figures (CPU, memory, event
 * loop) live in one process-wide registry that every server's /metrics includes.
 */

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const processRegistry = new Registry();
let defaultsCollected = false;

const importRuns = new Counter({
  name: 'jobstats_import_runs_total',
  help: 'Import runs in this process, by kind of file (postings, observations, rates).',
  labelNames: ['kind'] as const,
  registers: [processRegistry],
});
const importRows = new Counter({
  name: 'jobstats_import_rows_total',
  help: 'Rows handled by imports in this process, by kind and outcome (read, inserted, updated, unchanged, rejected).',
  labelNames: ['kind', 'outcome'] as const,
  registers: [processRegistry],
});
const importSeconds = new Counter({
  name: 'jobstats_import_seconds_total',
  help: 'Time spent importing in this process, by kind.',
  labelNames: ['kind'] as const,
  registers: [processRegistry],
});

/** What recordImport needs of the importer's ImportSummary (src/importer/import-types.ts); src/main.ts subscribes it to every import. */
export interface ImportTotals {
  kind: string;
  read?: number;
  inserted?: number;
  updated?: number;
  unchanged?: number;
  rejected?: number;
  seconds?: number;
  dryRun?: boolean;
}

const ROW_OUTCOMES = ['read', 'inserted', 'updated', 'unchanged', 'rejected'] as const;

/** Adds one finished import to the import totals. Dry runs are counted as runs with their read/rejected rows only. */
export function recordImport(summary: ImportTotals): void {
  const kind = /^[a-z_]{1,32}$/.test(summary.kind) ? summary.kind : 'other';
  importRuns.inc({ kind });
  for (const outcome of ROW_OUTCOMES) {
    const value = summary[outcome];
    if (typeof value === 'number' && Number.isFinite(value) && value > 0) importRows.inc({ kind, outcome }, value);
  }
  if (typeof summary.seconds === 'number' && Number.isFinite(summary.seconds) && summary.seconds > 0) {
    importSeconds.inc({ kind }, summary.seconds);
  }
}

/** Error codes kept as they are in the `outcome` label; any other code is counted as `other_error`. */
const KNOWN_CODES = new Set([
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'INTERNAL_SERVER_ERROR',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'PERSISTED_QUERY_NOT_ALLOWED',
  'DEPTH_LIMIT_EXCEEDED',
  'ALIAS_LIMIT_EXCEEDED',
  'COST_LIMIT_EXCEEDED',
  'TOKEN_LIMIT_EXCEEDED',
  'INTROSPECTION_DISABLED',
  'SERVICE_UNAVAILABLE',
  'TIMEOUT',
  'OVERLOADED',
  'REQUEST_ABORTED',
]);

/** Operation names are chosen by clients: only this many distinct ones get their own series. */
const MAX_OPERATION_NAMES = 200;

const ROUTES = new Set(['/graphql', '/healthz', '/readyz', '/metrics']);

export interface ServerMetrics {
  contentType: string;
  /** The Prometheus text exposition. */
  text(): Promise<string>;
  /** Counts one HTTP response and its latency. */
  observeHttp(path: string, status: number, seconds: number): void;
  /** Where the in-flight gauge reads the number of requests being answered. */
  countInFlight(read: () => number): void;
  /** Records each GraphQL operation: name, outcome (ok or the first error's code) and latency. */
  plugin<TContext extends object>(): ApolloServerPlugin<TContext>;
  /** Records an operation answered whole from the operation cache (src/http/operation-cache.ts): an ok operation, and a cached answer. */
  observeCachedAnswer(operationName: string | undefined, seconds: number): void;
}

export function createMetrics(pool?: pg.Pool, replicas?: ReplicaRouter): ServerMetrics {
  if (!defaultsCollected) {
    collectDefaultMetrics({ register: processRegistry, prefix: 'jobstats_' });
    defaultsCollected = true;
  }
  const registry = new Registry();
  const operations = new Counter({
    name: 'jobstats_graphql_operations_total',
    help: 'GraphQL operations by operation name and outcome (ok, or the extensions.code of the first error).',
    labelNames: ['operation', 'outcome'] as const,
    registers: [registry],
  });
  const operationSeconds = new Histogram({
    name: 'jobstats_graphql_operation_duration_seconds',
    help: 'Time from the start of a GraphQL operation to its response, by operation name.',
    labelNames: ['operation'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const httpRequests = new Counter({
    name: 'jobstats_http_requests_total',
    help: 'HTTP responses by route and status (including 413, 429 and 503 sent before GraphQL runs).',
    labelNames: ['route', 'status'] as const,
    registers: [registry],
  });
  const httpSeconds = new Histogram({
    name: 'jobstats_http_request_duration_seconds',
    help: 'HTTP request latency by route, from the first byte of the request to the end of the response.',
    labelNames: ['route'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  if (replicas) {
    new Counter({
      name: 'jobstats_db_read_sessions_total',
      help: 'Read sessions (one per GraphQL query operation or page query) by the server they read from: primary or a replica.',
      labelNames: ['server'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const [server, n] of replicas.reads) this.inc({ server }, n);
      },
    });
    new Gauge({
      name: 'jobstats_db_replica_up',
      help: 'Read replicas: 1 while healthy and within DATABASE_READ_MAX_LAG_MS (reads go to it), else 0.',
      labelNames: ['replica'] as const,
      registers: [registry],
      collect() {
        for (const state of replicas.states()) this.set({ replica: state.name }, state.healthy ? 1 : 0);
      },
    });
    new Gauge({
      name: 'jobstats_db_replica_lag_seconds',
      help: 'Read replicas: how far each is behind the primary, from sampled WAL positions (-1 while unknown).',
      labelNames: ['replica'] as const,
      registers: [registry],
      collect() {
        for (const state of replicas.states())
          this.set({ replica: state.name }, state.lagMs === null ? -1 : state.lagMs / 1000);
      },
    });
  }
  if (pool) {
    new Gauge({
      name: 'jobstats_db_pool_connections',
      help: 'Database pool: open connections (total), idle ones, and queries waiting for a connection (waiting).',
      labelNames: ['state'] as const,
      registers: [registry],
      collect() {
        this.set({ state: 'total' }, pool.totalCount);
        this.set({ state: 'idle' }, pool.idleCount);
        this.set({ state: 'waiting' }, pool.waitingCount);
      },
    });
    new Gauge({
      name: 'jobstats_db_pool_max',
      help: 'Largest number of connections the database pool opens.',
      registers: [registry],
      collect() {
        this.set((pool as unknown as { options: { max?: number } }).options.max ?? 10);
      },
    });
    new Gauge({
      name: 'jobstats_stored_rows',
      help: 'Rows stored per table, whichever process imported them (the import CLI runs apart from the server).',
      labelNames: ['table'] as const,
      registers: [registry],
      async collect() {
        const { rows } = await pool
          .query<{ roles: number; employers: number; postings: number; observations: number }>(
            `SELECT (SELECT count(*) FROM role)::int AS roles, (SELECT count(*) FROM employer)::int AS employers,
                    (SELECT count(*) FROM posting)::int AS postings, (SELECT count(*) FROM salary_observation)::int AS observations`,
          )
          .catch(() => ({ rows: [] }));
        const counts = rows[0];
        if (!counts) return;
        this.set({ table: 'role' }, counts.roles);
        this.set({ table: 'employer' }, counts.employers);
        this.set({ table: 'posting' }, counts.postings);
        this.set({ table: 'salary_observation' }, counts.observations);
      },
    });
  }
  let inFlight: () => number = () => 0;
  new Gauge({
    name: 'jobstats_http_requests_in_flight',
    help: 'HTTP requests being answered, this scrape included.',
    registers: [registry],
    collect() {
      this.set(inFlight());
    },
  });
  const cachedAnswers = new Counter({
    name: 'jobstats_graphql_cached_answers_total',
    help: 'GraphQL query operations answered whole from the operation cache (same data version and time window as when first answered).',
    registers: [registry],
  });
  const merged = Registry.merge([registry, processRegistry]);
  const names = new Set<string>();

  function operationLabel(name: string | null | undefined): string {
    if (!name) return 'anonymous';
    if (!/^[_A-Za-z][_0-9A-Za-z]{0,63}$/.test(name)) return 'invalid';
    if (names.has(name)) return name;
    if (names.size >= MAX_OPERATION_NAMES) return 'other';
    names.add(name);
    return name;
  }

  return {
    contentType: merged.contentType,
    text: () => merged.metrics(),
    countInFlight(read) {
      inFlight = read;
    },
    observeHttp(path, status, seconds) {
      const route = ROUTES.has(path) ? path : 'other';
      httpRequests.inc({ route, status: String(status) });
      httpSeconds.observe({ route }, seconds);
    },
    observeCachedAnswer(operationName, seconds) {
      const operation = operationLabel(operationName);
      cachedAnswers.inc();
      operations.inc({ operation, outcome: 'ok' });
      operationSeconds.observe({ operation }, seconds);
    },
    plugin<TContext extends object>(): ApolloServerPlugin<TContext> {
      return {
        async requestDidStart() {
          const started = process.hrtime.bigint();
          return {
            async willSendResponse(requestContext) {
              // Apollo names the operation only once it is valid; for rejected documents, read the name off the parsed document.
              const { document, request } = requestContext;
              const named =
                requestContext.operationName ??
                request.operationName ??
                (document ? getOperationAST(document, request.operationName)?.name?.value : undefined);
              const operation = operationLabel(named);
              const body = requestContext.response.body;
              const errors = body.kind === 'single' ? body.singleResult.errors : body.initialResult.errors;
              const code = errors?.[0]?.extensions?.code;
              const outcome = !errors?.length
                ? 'ok'
                : typeof code === 'string' && KNOWN_CODES.has(code)
                  ? code
                  : 'other_error';
              operations.inc({ operation, outcome });
              operationSeconds.observe({ operation }, Number(process.hrtime.bigint() - started) / 1e9);
            },
          };
        },
      };
    },
  };
}
